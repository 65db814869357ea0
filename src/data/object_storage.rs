//! Inputs and outputs in object storage: `s3://`, `gs://` and `az://` (with their `s3a://`,
//! `abfs://` and `abfss://` forms), through the `object_store` crate that Polars builds on.
//!
//! Inputs are copied to a private temporary directory before any reader opens them, so every
//! check, digest and error of a local file applies unchanged (and a file is read once, not
//! once per column); the copy needs as much space in `$TMPDIR` as the objects take. Outputs
//! are one PUT each, which object stores apply atomically. Credentials come from the standard
//! environment of each cloud (AWS_* variables, web identity for IRSA, instance metadata;
//! GOOGLE_*; AZURE_*), as their own CLIs read them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, RetryConfig};
use serde::{Serialize, Serializer};

/// Objects fetched at once: enough to fill a link from a pod, few enough for an API's limits.
const CONCURRENT_FETCHES: usize = 8;

/// A URL such as `s3://bucket/prefix/part-*.parquet`, split into its store and its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectUrl {
    /// What the user wrote, for messages and reports.
    url: String,
    /// `scheme://bucket` (or `abfss://container@account...`): which store to build.
    store: String,
    /// The object's key, or a glob over keys.
    key: String,
}

const SCHEMES: [&str; 6] = ["s3", "s3a", "gs", "az", "abfs", "abfss"];

impl ObjectUrl {
    /// `None` when `spec` is not an object-storage URL (a local path); an error when it is
    /// one without a bucket or a key.
    pub fn parse(spec: &str) -> Option<Result<ObjectUrl>> {
        let (scheme, rest) = spec.split_once("://")?;
        if !SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) {
            return None;
        }
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        Some(
            if bucket.is_empty() || key.is_empty() || key.ends_with('/') {
                Err(anyhow::anyhow!(
                "{spec}: expected {scheme}://BUCKET/KEY, where KEY names an object or is a glob \
                 such as prefix/*.parquet"
            ))
            } else {
                Ok(ObjectUrl {
                    url: spec.to_string(),
                    store: format!("{}://{bucket}", scheme.to_ascii_lowercase()),
                    key: key.to_string(),
                })
            },
        )
    }

    /// Whether `spec` is meant for object storage (a parse error is still an object URL).
    pub fn is_url(spec: &str) -> bool {
        ObjectUrl::parse(spec).is_some()
    }

    fn is_glob(&self) -> bool {
        self.key.contains(['*', '?', '['])
    }

    /// The store of this URL, configured from the environment.
    fn store(&self) -> Result<Arc<dyn ObjectStore>> {
        // A CLI run fails within a minute rather than retrying for the crate's three.
        let retry = RetryConfig {
            max_retries: 3,
            retry_timeout: Duration::from_secs(60),
            ..RetryConfig::default()
        };
        let scheme = self.store.split_once("://").map_or("", |(s, _)| s);
        let store: Arc<dyn ObjectStore> = match scheme {
            "s3" | "s3a" => {
                let builder = object_store::aws::AmazonS3Builder::from_env()
                    .with_url(&self.store)
                    .with_retry(retry);
                // An http:// endpoint (MinIO, moto, a proxy in the cluster) is what the user
                // chose by setting it; the crate would otherwise refuse it.
                let plain_http = ["AWS_ENDPOINT_URL", "AWS_ENDPOINT"]
                    .iter()
                    .any(|var| std::env::var(var).is_ok_and(|value| value.starts_with("http://")));
                Arc::new(builder.with_allow_http(plain_http).build()?)
            }
            "gs" => Arc::new(
                object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_url(&self.store)
                    .with_retry(retry)
                    .build()?,
            ),
            _ => Arc::new(
                object_store::azure::MicrosoftAzureBuilder::from_env()
                    .with_url(&self.store)
                    .with_retry(retry)
                    .build()?,
            ),
        };
        Ok(store)
    }

    fn object(&self, key: &str) -> String {
        format!("{}/{key}", self.store)
    }
}

impl std::fmt::Display for ObjectUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url)
    }
}

impl Serialize for ObjectUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.url)
    }
}

/// Where the environment's credentials are looked for, for errors that are about access.
fn credentials_hint(url: &str) -> &'static str {
    if url.starts_with("gs") {
        "credentials are read from GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_SERVICE_ACCOUNT*"
    } else if url.starts_with('s') {
        "credentials are read from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN), \
         AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN (IRSA) or instance metadata; the region \
         from AWS_REGION, the endpoint from AWS_ENDPOINT_URL"
    } else {
        "credentials are read from AZURE_STORAGE_ACCOUNT_NAME with AZURE_STORAGE_ACCOUNT_KEY, a \
         SAS token or a client secret (AZURE_*)"
    }
}

/// Local copies of objects, removed when the last holder drops them.
#[derive(Debug)]
pub struct StagedObjects {
    /// Keeps the directory alive for readers and background digests.
    pub dir: Arc<tempfile::TempDir>,
    /// Per URL given, each object's local copy and its URL (a glob's sorted by key).
    pub files: Vec<Vec<(PathBuf, String)>>,
}

/// Copies every object that `urls` name (globs expanded, sorted by key per URL) into one
/// temporary directory. A glob that matches nothing, or a missing object, is an error
/// naming the URL.
pub fn fetch(urls: &[ObjectUrl]) -> Result<StagedObjects> {
    let dir = tempfile::Builder::new()
        .prefix("refit-objects-")
        .tempdir()
        .with_context(|| {
            format!(
                "creating a directory for copies of the input objects in {} (set TMPDIR to \
                 a writable directory with room for them)",
                std::env::temp_dir().display()
            )
        })?;
    let runtime = runtime()?;
    let mut files = Vec::new();
    let mut fetched = 0;
    // One client per bucket: credentials (an STS exchange for IRSA) are fetched once.
    let mut stores: HashMap<&str, Arc<dyn ObjectStore>> = HashMap::new();
    for url in urls {
        let store = match stores.get(url.store.as_str()) {
            Some(store) => Arc::clone(store),
            None => {
                let store = url.store()?;
                stores.insert(&url.store, Arc::clone(&store));
                store
            }
        };
        let keys = runtime.block_on(matching_keys(&*store, url))?;
        let copies: Vec<(ObjectPath, PathBuf)> = keys
            .into_iter()
            .enumerate()
            .map(|(i, key)| {
                let name = key.filename().unwrap_or("object").to_string();
                let local = dir.path().join(format!("{:06}", fetched + i)).join(name);
                (key, local)
            })
            .collect();
        runtime.block_on(
            futures::stream::iter(copies.iter().map(|(key, local)| {
                let store = Arc::clone(&store);
                async move { copy_to_file(&*store, url, key, local).await }
            }))
            .buffer_unordered(CONCURRENT_FETCHES)
            .try_collect::<Vec<()>>(),
        )?;
        fetched += copies.len();
        files.push(
            copies
                .into_iter()
                .map(|(key, local)| (local, url.object(key.as_ref())))
                .collect(),
        );
    }
    Ok(StagedObjects {
        dir: Arc::new(dir),
        files,
    })
}

/// The keys `url` names: itself when it is no glob (checked to exist), else every key under
/// the glob's fixed prefix that matches it, `*` not crossing a `/` as in a shell.
async fn matching_keys(store: &dyn ObjectStore, url: &ObjectUrl) -> Result<Vec<ObjectPath>> {
    if !url.is_glob() {
        let key = ObjectPath::from(url.key.as_str());
        store
            .head(&key)
            .await
            .map_err(|e| access_error(e, &url.url, Access::Read))?;
        return Ok(vec![key]);
    }
    let pattern = glob::Pattern::new(&url.key)
        .with_context(|| format!("{url}: invalid glob pattern `{}`", url.key))?;
    let fixed = &url.key[..url.key.find(['*', '?', '[']).unwrap_or(url.key.len())];
    let prefix = fixed.rfind('/').map(|end| ObjectPath::from(&fixed[..end]));
    let options = glob::MatchOptions {
        require_literal_separator: true,
        ..glob::MatchOptions::new()
    };
    let listed: Vec<_> = store
        .list(prefix.as_ref())
        .try_collect()
        .await
        .map_err(|e| access_error(e, &url.url, Access::Read))?;
    let mut keys: Vec<ObjectPath> = listed
        .into_iter()
        .map(|meta| meta.location)
        .filter(|key| pattern.matches_with(key.as_ref(), options))
        .collect();
    if keys.is_empty() {
        bail!("{url}: no objects match");
    }
    keys.sort();
    Ok(keys)
}

async fn copy_to_file(
    store: &dyn ObjectStore,
    url: &ObjectUrl,
    key: &ObjectPath,
    local: &Path,
) -> Result<()> {
    use std::io::Write;
    let object = url.object(key.as_ref());
    let parent = local.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .with_context(|| format!("creating {} for a copy of {object}", parent.display()))?;
    let mut file = std::fs::File::create(local)
        .with_context(|| format!("creating {} for a copy of {object}", local.display()))?;
    let mut chunks = store
        .get(key)
        .await
        .map_err(|e| access_error(e, &object, Access::Read))?
        .into_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.with_context(|| format!("reading {object}"))?;
        file.write_all(&chunk)
            .with_context(|| format!("writing {} (copy of {object})", local.display()))?;
    }
    Ok(())
}

/// Writes each object with one PUT (atomic in every store); none of them is written unless
/// every store could be configured first.
pub fn put_all(objects: &[(&ObjectUrl, Vec<u8>)]) -> Result<()> {
    if objects.is_empty() {
        return Ok(());
    }
    let stores = objects
        .iter()
        .map(|(url, _)| url.store())
        .collect::<Result<Vec<_>>>()?;
    let runtime = runtime()?;
    for ((url, bytes), store) in objects.iter().zip(stores) {
        if url.is_glob() {
            bail!("{url}: an output URL names one object; it cannot be a glob");
        }
        let key = ObjectPath::from(url.key.as_str());
        runtime
            .block_on(store.put(&key, PutPayload::from(bytes.clone())))
            .map_err(|e| access_error(e, &url.url, Access::Write))?;
    }
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the object-storage client")
}

/// What was being done when a store's error came back.
#[derive(Clone, Copy)]
enum Access {
    Read,
    Write,
}

/// The store's error in one line (its own text already holds its causes), with where
/// credentials come from when it may be about them.
fn access_error(error: object_store::Error, url: &str, access: Access) -> anyhow::Error {
    let verb = match access {
        Access::Read => "reading",
        Access::Write => "writing",
    };
    match (&error, access) {
        (object_store::Error::NotFound { .. }, Access::Read) => {
            anyhow::anyhow!("{url}: no such object (or no such bucket)")
        }
        (object_store::Error::NotFound { .. }, Access::Write) => {
            anyhow::anyhow!("writing {url}: no such bucket")
        }
        _ => {
            // The crate's text repeats its causes but drops the innermost one (the refused
            // connection, the DNS failure), which is the one the user can act on.
            let mut root: &dyn std::error::Error = &error;
            while let Some(source) = root.source() {
                root = source;
            }
            let cause = root.to_string();
            let mut text = error.to_string();
            if !text.contains(&cause) {
                text = format!("{text}: {cause}");
            }
            anyhow::anyhow!("{verb} {url}: {text} ({})", credentials_hint(url))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_store_and_key() {
        let url = ObjectUrl::parse("S3://bucket/day=1/*.parquet")
            .unwrap()
            .unwrap();
        assert_eq!(
            url.store, "s3://bucket",
            "the scheme picks the store in any case"
        );
        assert_eq!(url.key, "day=1/*.parquet");
        assert!(url.is_glob());
        assert_eq!(url.object("day=1/a.parquet"), "s3://bucket/day=1/a.parquet");
    }

    #[test]
    fn local_paths_are_not_urls() {
        for spec in [
            "data.parquet",
            "/tmp/s3://x",
            "file:///x.parquet",
            "https://h/x.csv",
        ] {
            assert!(ObjectUrl::parse(spec).is_none(), "{spec}");
        }
    }

    #[test]
    fn a_url_without_key_is_refused() {
        for spec in ["s3://bucket", "s3://bucket/", "gs:///key", "az://c/prefix/"] {
            let err = ObjectUrl::parse(spec).unwrap().unwrap_err().to_string();
            assert!(err.contains("expected"), "{spec}: {err}");
        }
    }
}
