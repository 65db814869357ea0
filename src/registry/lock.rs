//! The registry's exclusive advisory lock (`DIR/.lock`), held during every mutation. The
//! holder writes its pid and command into the file, so a waiting process can say who has it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::layout::LOCK_FILE;

/// Released when dropped (and by the kernel if the process dies).
pub struct RegistryLock {
    file: File,
}

impl RegistryLock {
    /// Waits up to `wait` for the lock; then fails with "registry busy" naming the holder.
    pub fn acquire(dir: &Path, wait: Duration, command: &str) -> Result<RegistryLock> {
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
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
}

impl Drop for RegistryLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}
