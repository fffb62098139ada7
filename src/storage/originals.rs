//! Keeping originals: copied once into `originals/`, named by their SHA-256, never modified.
//! The copy is hashed as it is written and renamed into place only when complete.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// An original now held in the archive.
#[derive(Debug, Clone)]
pub struct Stored {
    pub sha256: String,
    pub size: u64,
    /// Relative to the data directory, e.g. `originals/ab/ab12…ef.flv`.
    pub relative_path: String,
    /// False when the same content was already there.
    pub newly_written: bool,
}

/// Copies `source` into `data_dir/originals`, hashing on the way. The partial copy lives
/// in `staging` until it is complete and synced, then it is renamed into place.
pub fn store_original(source: &Path, data_dir: &Path) -> std::io::Result<Stored> {
    let staging = data_dir.join("staging");
    std::fs::create_dir_all(&staging).map_err(|e| naming(e, "making", &staging))?;
    let tmp = staging.join(format!(
        "original-{}-{}.part",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    let result = copy_hashing(source, &tmp);
    let (sha256, size) = match result {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let relative_path = format!(
        "originals/{}/{}{}",
        &sha256[..2],
        sha256,
        extension_of(source)
    );
    let target = data_dir.join(&relative_path);
    if target.exists() {
        std::fs::remove_file(&tmp)?;
        return Ok(Stored {
            sha256,
            size,
            relative_path,
            newly_written: false,
        });
    }
    let placed = target
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|_| std::fs::rename(&tmp, &target))
        .map_err(|e| naming(e, "placing", &target));
    if let Err(e) = placed {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(Stored {
        sha256,
        size,
        relative_path,
        newly_written: true,
    })
}

/// `store_original` on a blocking thread, for async callers.
pub async fn store_original_async(source: &Path, data_dir: &Path) -> std::io::Result<Stored> {
    let (source, data_dir) = (source.to_owned(), data_dir.to_owned());
    tokio::task::spawn_blocking(move || store_original(&source, &data_dir))
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?
}

/// SHA-256 of a file without copying it.
pub fn sha256_of(path: &Path) -> std::io::Result<String> {
    Ok(sha256_and_size(path)?.0)
}

/// (hex SHA-256, size in bytes) of a file.
pub fn sha256_and_size(path: &Path) -> std::io::Result<(String, u64)> {
    digest(std::fs::File::open(path)?, None)
}

fn copy_hashing(source: &Path, target: &PathBuf) -> std::io::Result<(String, u64)> {
    let input = std::fs::File::open(source).map_err(|e| naming(e, "reading", source))?;
    let mut output = std::fs::File::create(target).map_err(|e| naming(e, "writing", target))?;
    let digested = digest(input, Some(&mut output))?;
    output.sync_all()?;
    Ok(digested)
}

/// `e` saying which step on which path failed, so an error names the file at fault (the
/// original, the partial copy, or its place), keeping its kind.
fn naming(e: std::io::Error, doing: &str, path: &Path) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{doing} {}: {e}", path.display()))
}

/// Reads `input` to its end in 1 MiB blocks, writing each to `copy` when there is one:
/// the hex SHA-256 of what was read, and its size.
fn digest(
    mut input: impl Read,
    mut copy: Option<&mut std::fs::File>,
) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        if let Some(out) = copy.as_mut() {
            out.write_all(&buf[..n])?;
        }
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// ".flv" from "Seduta del 12 marzo.FLV"; empty when there is no sensible extension.
fn extension_of(path: &Path) -> String {
    match path.extension().and_then(|e| e.to_str()) {
        Some(ext)
            if !ext.is_empty()
                && ext.len() <= 8
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            format!(".{}", ext.to_ascii_lowercase())
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_content_is_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("Seduta dell'8 aprile.FLV");
        std::fs::write(&a, b"legacy bytes").unwrap();
        let data = dir.path().join("data");
        let first = store_original(&a, &data).unwrap();
        assert!(first.newly_written);
        assert!(first.relative_path.ends_with(".flv"));
        assert_eq!(first.sha256, sha256_of(&a).unwrap());
        assert_eq!(
            std::fs::read(data.join(&first.relative_path)).unwrap(),
            b"legacy bytes"
        );
        let second = store_original(&a, &data).unwrap();
        assert!(!second.newly_written);
        assert_eq!(second.relative_path, first.relative_path);
        // nothing left behind in staging
        assert_eq!(std::fs::read_dir(data.join("staging")).unwrap().count(), 0);
    }
}
