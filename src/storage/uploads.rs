//! Uploads being received: each in a private directory under staging, locked (an
//! exclusive `flock`) for as long as its upload runs, by whichever process, container or
//! host on this filesystem receives it. A directory whose lock can be taken has no live
//! upload, so what a dead server left can be told apart and removed. Nothing here reads a
//! request: the HTTP layer streams the body into the file it is given.

use std::path::Path;

/// The lock file in an upload directory.
const UPLOAD_LOCK: &str = ".receiving";

/// A fresh upload directory in `staging`, locked: the directory goes away when the
/// `TempDir` drops, the lock when the `File` does.
pub fn begin(staging: &Path) -> std::io::Result<(tempfile::TempDir, std::fs::File)> {
    let dir = tempfile::Builder::new()
        .prefix("upload-")
        .tempdir_in(staging)?;
    let lock = lock_upload(dir.path())?;
    Ok((dir, lock))
}

fn lock_upload(dir: &Path) -> std::io::Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    let file = std::fs::File::create(dir.join(UPLOAD_LOCK))?;
    // SAFETY: flock on a file descriptor this function owns.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(file)
}

/// Removes upload directories left in staging by a server that died mid-upload (killed,
/// or its machine stopped): their lock is free, and nothing in them was ever archived.
/// Returns how many were removed.
pub fn remove_dead_uploads(staging: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(staging) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("upload-") || !entry.path().join(UPLOAD_LOCK).exists() {
            continue;
        }
        // Taking the lock proves no one holds it; it is released when `_lock` drops.
        if let Ok(_lock) = lock_upload(&entry.path()) {
            if std::fs::remove_dir_all(entry.path()).is_ok() {
                removed += 1;
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_upload_nobody_holds_is_removed() {
        let staging = tempfile::tempdir().unwrap();
        let live = begin(staging.path()).unwrap();
        let dead = begin(staging.path()).unwrap();
        let dead_path = dead.0.keep();
        drop(dead.1);
        assert_eq!(remove_dead_uploads(staging.path()), 1);
        assert!(!dead_path.exists());
        assert!(live.0.path().exists());
    }
}
