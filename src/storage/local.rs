//! The local-directory side of the media store: opening a published file (refusing
//! anything that resolves outside the media root) and reading a range of it, and listing
//! a staged version's files. Blocking calls: callers run them off the async threads.

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};

use super::{content_type, Source, StoredFile, SMALL_FILE};

/// How a file's ETag is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    /// From the content: the same after a restart and on every replica serving a copy of
    /// a published file, at the cost of reading it whole once.
    Content,
    /// From the file's inode, length and modification time, as nginx does: for the files
    /// this server writes itself (a live stream's), which only it serves and which are
    /// replaced whole (written aside, then renamed), so these change with every version.
    Metadata,
}

/// Opens and describes a file, refusing anything that resolves outside the root (symlinks
/// included) or is not a regular file.
pub(super) fn open(
    root: &Path,
    relative: &Path,
    small_budget: usize,
    validator: Validator,
) -> Option<StoredFile> {
    use std::os::unix::fs::MetadataExt;
    let real_root = root.canonicalize().ok()?;
    let real = root.join(relative).canonicalize().ok()?;
    if !real.starts_with(&real_root) {
        return None;
    }
    let file = std::fs::File::open(&real).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() {
        return None;
    }
    let len = meta.len();
    let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    let small = len <= SMALL_FILE && (len as usize) <= small_budget;
    let (etag, whole) = match validator {
        Validator::Content => read_and_hash(&file, len, small)?,
        Validator::Metadata => {
            let whole = if small {
                Some(read_range(&file, 0, len as usize).ok()?)
            } else {
                None
            };
            let nanos = modified
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos();
            (format!("\"{:x}-{len:x}-{nanos:x}\"", meta.ino()), whole)
        }
    };
    let name = relative.file_name()?.to_string_lossy();
    Some(StoredFile {
        etag,
        content_type: content_type(&name),
        bytes: whole,
        source: Source::Disk(file),
        len,
        modified,
    })
}

/// Reads a file through once for its content's ETag, keeping the bytes when `small`.
fn read_and_hash(file: &std::fs::File, len: u64, small: bool) -> Option<(String, Option<Bytes>)> {
    let mut hasher = Sha256::new();
    let mut whole = small.then(|| BytesMut::with_capacity(len as usize));
    let mut buf = vec![0u8; 256 * 1024];
    let mut offset = 0u64;
    loop {
        let n = file.read_at(&mut buf, offset).ok()?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        if let Some(w) = whole.as_mut() {
            w.extend_from_slice(&buf[..n]);
        }
        offset += n as u64;
    }
    if offset != len {
        return None; // changed under us: not a published (immutable) file
    }
    let etag = format!("\"{}\"", &hex::encode(hasher.finalize())[..32]);
    Some((etag, whole.map(BytesMut::freeze)))
}

/// Reads exactly `len` bytes at `offset` into a fresh buffer, without first zeroing it
/// (at 64 KiB a chunk, zeroing was a measurable share of serving a segment).
pub fn read_range(file: &std::fs::File, offset: u64, len: usize) -> std::io::Result<Bytes> {
    use std::os::fd::AsRawFd;
    let mut buf = BytesMut::with_capacity(len);
    while buf.len() < len {
        let filled = buf.len();
        let at = libc::off_t::try_from(offset + filled as u64)
            .map_err(|_| std::io::Error::other("offset beyond off_t"))?;
        // SAFETY: pread writes at most `len - filled` bytes into the buffer's spare
        // capacity, which is allocated, exclusively ours and at least that large; the
        // length is then extended only over the bytes it reports written.
        let n = unsafe {
            libc::pread(
                file.as_raw_fd(),
                buf.as_mut_ptr().add(filled).cast(),
                len - filled,
                at,
            )
        };
        match n {
            n if n > 0 => unsafe { buf.set_len(filled + n as usize) },
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            _ => {
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
    Ok(buf.freeze())
}

pub(super) fn files_under(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                todo.push(entry.path());
            } else if kind.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn etag(root: &Path, name: &str, validator: Validator) -> String {
        open(root, Path::new(name), 1 << 20, validator)
            .unwrap()
            .etag
    }

    #[test]
    fn a_made_file_replaced_whole_gets_a_new_etag_and_a_published_one_keeps_its_content_s() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("index.m3u8"), "#EXTM3U\nseg_1.m4s\n").unwrap();
        let first = etag(root, "index.m3u8", Validator::Metadata);
        assert_eq!(etag(root, "index.m3u8", Validator::Metadata), first);
        let opened = open(root, Path::new("index.m3u8"), 1 << 20, Validator::Metadata).unwrap();
        assert_eq!(opened.bytes.as_deref(), Some(&b"#EXTM3U\nseg_1.m4s\n"[..]));
        // Rewritten aside and renamed over it, as ffmpeg's temp_file does, at the same length.
        std::fs::write(root.join("index.m3u8.tmp"), "#EXTM3U\nseg_2.m4s\n").unwrap();
        std::fs::rename(root.join("index.m3u8.tmp"), root.join("index.m3u8")).unwrap();
        assert_ne!(etag(root, "index.m3u8", Validator::Metadata), first);

        // From the content: the same bytes anywhere have the same ETag.
        std::fs::write(root.join("a.m4s"), b"same bytes").unwrap();
        std::fs::write(root.join("b.m4s"), b"same bytes").unwrap();
        assert_eq!(
            etag(root, "a.m4s", Validator::Content),
            etag(root, "b.m4s", Validator::Content)
        );
        assert_ne!(
            etag(root, "a.m4s", Validator::Metadata),
            etag(root, "b.m4s", Validator::Metadata)
        );
        assert!(open(root, Path::new("../x"), 1 << 20, Validator::Metadata).is_none());
    }
}
