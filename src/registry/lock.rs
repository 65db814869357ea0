//! The registry's exclusive advisory lock (`DIR/.lock`), held during every mutation. The
//! holder writes its pid and command into the file, so a waiting process can say who has it.
//! Dry runs take the shared lock, and only if `.lock` already exists: they create nothing.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::files::open_regular;
use super::layout::LOCK_FILE;

/// Released when dropped (and by the kernel if the process dies).
pub struct RegistryLock {
    file: File,
}

impl RegistryLock {
    /// Waits up to `wait` for the lock; then fails with "registry busy" naming the holder.
    pub fn acquire(dir: &Path, wait: Duration, command: &str) -> Result<RegistryLock> {
        let path = dir.join(LOCK_FILE);
        let mut options = OpenOptions::new();
        options.read(true).write(true);
        let mut file = open_regular(&path, &options, true)?
            .with_context(|| format!("creating {}", path.display()))?;
        wait_for(&mut file, &path, wait, File::try_lock)?;
        let holder = format!(
            "pid {} ({}) since {}\n",
            std::process::id(),
            command,
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        file.set_len(0)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(holder.as_bytes()))
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(RegistryLock { file })
    }

    /// The shared lock, for a run that only reads: it waits for a writer to finish, writes
    /// nothing, and is None when no refit ever locked the registry (no `.lock` to share).
    pub fn shared(dir: &Path, wait: Duration) -> Result<Option<RegistryLock>> {
        let path = dir.join(LOCK_FILE);
        let Some(mut file) = open_regular(&path, OpenOptions::new().read(true), false)? else {
            return Ok(None);
        };
        wait_for(&mut file, &path, wait, File::try_lock_shared)?;
        Ok(Some(RegistryLock { file }))
    }
}

/// Tries `try_lock` until it succeeds or `wait` has passed ("registry busy", naming the holder).
fn wait_for(
    file: &mut File,
    path: &Path,
    wait: Duration,
    try_lock: fn(&File) -> Result<(), std::fs::TryLockError>,
) -> Result<()> {
    let started = Instant::now();
    loop {
        match try_lock(file) {
            Ok(()) => return Ok(()),
            Err(std::fs::TryLockError::WouldBlock) => {
                if started.elapsed() >= wait {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    bail!(
                        "registry busy: {} is held by {} (waited {}s; raise --wait)",
                        path.display(),
                        holder.trim().replace('\n', ", "),
                        wait.as_secs()
                    );
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("locking {}", path.display()))
            }
        }
    }
}

impl Drop for RegistryLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}
