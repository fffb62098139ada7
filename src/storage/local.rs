//! The local-directory side of the media store: opening a published file (refusing
//! anything that resolves outside the media root) and reading a range of it, and listing
//! a staged version's files. Blocking calls: callers run them off the async threads.

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};

use super::{content_type, Source, StoredFile, SMALL_FILE};

/// Opens and describes a file, refusing anything that resolves outside the root (symlinks
/// included) or is not a regular file.
pub(super) fn open(root: &Path, relative: &Path, small_budget: usize) -> Option<StoredFile> {
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
    // The ETag comes from the content, so it is the same after a restart and on every
    // replica serving a copy of the file.
    let mut hasher = Sha256::new();
    let mut whole = (len <= SMALL_FILE && (len as usize) <= small_budget)
        .then(|| BytesMut::with_capacity(len as usize));
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
    let name = relative.file_name()?.to_string_lossy();
    Some(StoredFile {
        etag,
        content_type: content_type(&name),
        bytes: whole.map(BytesMut::freeze),
        source: Source::Disk(file),
        len,
        modified,
    })
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
