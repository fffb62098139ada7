//! Where published media live: the data directory's `media/` (the default), or an
//! S3-compatible object store (`AULA_MEDIA_STORE=s3://bucket/prefix`) for archives that
//! outgrow one machine. A version is made in local staging either way; publishing moves it
//! in (one rename on disk; an upload of every file to the store), and only then does the
//! catalog point at it. Originals always stay in the data directory.
//!
//! This room owns everything about where media bytes live and how they are read back:
//! publish, remove, open (`StoredFile`: length, strong ETag, content type, small files
//! whole), read a range, the content type of a media name (`content`), the public path
//! of a media file, the originals (`originals`) and the staging of uploads (`uploads`).
//! It knows nothing of HTTP: the handlers in `crate::http` turn what it returns into
//! responses.

pub mod content;
mod local;
mod object;
pub mod originals;
pub mod uploads;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};

use crate::config::Config;

pub use content::{content_type, media_url};
use local::Validator;
use object::{remove_prefix, upload};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("AULA_MEDIA_STORE={0:?} is not understood: write s3://bucket or s3://bucket/prefix")]
    BadUrl(String),
    #[error("cannot set up the object store: {0}")]
    Setup(String),
    #[error("object store: {0}")]
    Object(#[from] object_store::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StorageError + '_ {
    move |source| StorageError::Io {
        path: path.to_owned(),
        source,
    }
}

/// An S3-compatible bucket (and a key prefix in it) that holds the media versions.
#[derive(Debug)]
pub struct ObjectMedia {
    pub store: Arc<dyn ObjectStore>,
    prefix: String,
    /// Shown in logs and by `doctor`: `s3://bucket/prefix at endpoint`.
    pub description: String,
    /// When set, media requests are answered with a redirect instead of being proxied.
    pub redirect: Option<Redirect>,
    /// Makes presigned URLs (the S3 store itself).
    signer: Arc<dyn object_store::signer::Signer>,
}

/// Where a media request is redirected.
#[derive(Debug, Clone)]
pub enum Redirect {
    /// A URL of the private bucket signed for a few minutes: withholding a session takes
    /// effect as soon as aula stops signing its addresses.
    Presigned,
    /// A public base (a public bucket, or a CDN in front of it). Whatever was published
    /// stays reachable there by its address even after a session is withheld.
    Public(String),
}

/// How long a presigned media URL is valid.
pub const PRESIGNED_FOR: std::time::Duration = std::time::Duration::from_secs(300);

impl ObjectMedia {
    /// A presigned GET URL for `relative`.
    pub async fn presigned(&self, relative: &str) -> Result<String, StorageError> {
        let url = self
            .signer
            .signed_url(http::Method::GET, &self.key(relative), PRESIGNED_FOR)
            .await?;
        Ok(url.to_string())
    }
}

impl ObjectMedia {
    /// The object key of `relative` (`session/version/file…`, already checked safe).
    pub fn key(&self, relative: &str) -> ObjectPath {
        if self.prefix.is_empty() {
            ObjectPath::from(relative)
        } else {
            ObjectPath::from(format!("{}/{relative}", self.prefix))
        }
    }
}

/// Files up to this size are kept in memory whole when opened: playlists, init segments,
/// posters, where the cost per request is what counts. Larger bodies are read as sent,
/// which costs no more per byte (bench/media) and keeps no copy (docs/SERVING.md).
pub const SMALL_FILE: u64 = 64 * 1024;

/// Where a published file's bytes come from.
#[derive(Debug)]
pub enum Source {
    Disk(std::fs::File),
    /// An object in the store, read by ranges as the reader takes them.
    Object(Arc<ObjectMedia>, ObjectPath),
}

/// What is known about one published file once opened. Published files never change,
/// so this can be kept as long as the reader likes.
#[derive(Debug)]
pub struct StoredFile {
    pub source: Source,
    pub len: u64,
    pub modified: std::time::SystemTime,
    /// A strong ETag, quoted, the same on every replica: from the content on disk, the
    /// store's own for an object; from the file's metadata for a live stream's file.
    pub etag: String,
    pub content_type: mime_guess::Mime,
    /// The whole file, for small files.
    pub bytes: Option<Bytes>,
}

/// Reads exactly `len` bytes at `offset` of an open file on disk.
pub use local::read_range as read_disk_range;

/// The media area of an archive.
#[derive(Debug)]
pub enum MediaStore {
    Local(PathBuf),
    Object(Arc<ObjectMedia>),
}

impl MediaStore {
    pub fn from_config(config: &Config) -> Result<MediaStore, StorageError> {
        let Some(url) = config.media_store.as_deref() else {
            return Ok(MediaStore::Local(config.media_dir()));
        };
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| StorageError::BadUrl(url.into()))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() || prefix.split('/').any(|s| s == "..") {
            return Err(StorageError::BadUrl(url.into()));
        }
        // Credentials and any other AWS_* settings come from the environment.
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Some(region) = &config.s3_region {
            builder = builder.with_region(region);
        }
        if let Some(endpoint) = &config.s3_endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        let store = Arc::new(
            builder
                .build()
                .map_err(|e| StorageError::Setup(e.to_string()))?,
        );
        let endpoint = config.s3_endpoint.as_deref().unwrap_or("AWS");
        let redirect = config.media_redirect_url.as_deref().map(|r| {
            if r == "presigned" {
                Redirect::Presigned
            } else {
                Redirect::Public(r.trim_end_matches('/').to_string())
            }
        });
        Ok(MediaStore::Object(Arc::new(ObjectMedia {
            store: Arc::clone(&store) as Arc<dyn ObjectStore>,
            signer: store,
            prefix: prefix.trim_matches('/').to_string(),
            description: format!("{url} at {endpoint}"),
            redirect,
        })))
    }

    /// Makes the version built in `staged` public as `dir` (`session/version`). On disk,
    /// one rename; in a store, every file uploaded (with its content type) and the local
    /// copy removed. A leftover of an attempt that died before the catalog pointed at it
    /// is replaced.
    pub async fn publish(&self, staged: &Path, dir: &str) -> Result<(), StorageError> {
        match self {
            MediaStore::Local(root) => {
                let target = root.join(dir);
                if let Some(parent) = target.parent() {
                    tokio::fs::create_dir_all(parent)
                        .await
                        .map_err(io(parent))?;
                }
                if tokio::fs::metadata(&target).await.is_ok() {
                    tokio::fs::remove_dir_all(&target)
                        .await
                        .map_err(io(&target))?;
                }
                tokio::fs::rename(staged, &target)
                    .await
                    .map_err(io(&target))
            }
            MediaStore::Object(media) => {
                remove_prefix(media, dir).await?;
                let uploaded = async {
                    for file in local::files_under(staged).map_err(io(staged))? {
                        let relative = file
                            .strip_prefix(staged)
                            .map_err(|_| {
                                StorageError::Setup("a staged file outside staging".into())
                            })?
                            .to_string_lossy()
                            .replace('\\', "/");
                        upload(media, &file, &media.key(&format!("{dir}/{relative}"))).await?;
                    }
                    Ok::<(), StorageError>(())
                }
                .await;
                if let Err(e) = uploaded {
                    // Half a version is no version: what was uploaded goes (best effort).
                    let _ = remove_prefix(media, dir).await;
                    return Err(e);
                }
                tokio::fs::remove_dir_all(staged).await.map_err(io(staged))
            }
        }
    }

    /// Takes a version back out (the catalog refused to point at it).
    pub async fn remove(&self, dir: &str) -> Result<(), StorageError> {
        match self {
            MediaStore::Local(root) => {
                let target = root.join(dir);
                match tokio::fs::remove_dir_all(&target).await {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&target)(e)),
                    _ => Ok(()),
                }
            }
            MediaStore::Object(media) => remove_prefix(media, dir).await,
        }
    }

    /// Opens and describes a published file (`relative` already checked safe, as
    /// `session/version/file…`); None when there is no such file, it resolves outside the
    /// media area, or the store cannot say. Files up to `SMALL_FILE` bytes come whole
    /// while `small_budget` allows.
    pub async fn open(&self, relative: &Path, small_budget: usize) -> Option<StoredFile> {
        match self {
            MediaStore::Local(root) => {
                let (root, relative) = (root.clone(), relative.to_owned());
                tokio::task::spawn_blocking(move || {
                    local::open(&root, &relative, small_budget, Validator::Content)
                })
                .await
                .ok()?
            }
            MediaStore::Object(media) => {
                let key = relative.to_str()?;
                object::open(media, key, small_budget).await
            }
        }
    }

    /// A file this server writes itself outside the published media (a live stream's
    /// playlist or segment, under `root`), opened and described as a published file is
    /// but for its ETag, made from its metadata: a live segment is served once to each
    /// viewer, and reading it through for a hash first doubled the reading.
    pub async fn open_made(root: PathBuf, relative: PathBuf) -> Option<StoredFile> {
        tokio::task::spawn_blocking(move || {
            local::open(&root, &relative, SMALL_FILE as usize, Validator::Metadata)
        })
        .await
        .ok()?
    }

    /// A published file (`session/version/file`) as a file on this machine, for a tool
    /// that reads it whole (the speech engine's ffmpeg): in place on disk, or copied from
    /// the object store into `scratch`.
    pub async fn local_file(
        &self,
        relative: &str,
        scratch: &Path,
    ) -> Result<PathBuf, StorageError> {
        match self {
            MediaStore::Local(root) => {
                let path = root.join(relative);
                tokio::fs::metadata(&path).await.map_err(io(&path))?;
                Ok(path)
            }
            MediaStore::Object(media) => {
                use futures_util::StreamExt;
                use tokio::io::AsyncWriteExt;
                let name = relative.rsplit('/').next().unwrap_or("media");
                let path = scratch.join(name);
                let mut out = tokio::fs::File::create(&path).await.map_err(io(&path))?;
                let mut stream = media.store.get(&media.key(relative)).await?.into_stream();
                while let Some(bytes) = stream.next().await {
                    out.write_all(&bytes?).await.map_err(io(&path))?;
                }
                out.flush().await.map_err(io(&path))?;
                Ok(path)
            }
        }
    }

    /// An address ffmpeg can read a published file (`session/version/file`) at, by ranges
    /// and without copying it whole: its path on disk, or a presigned URL of the store.
    pub async fn reader_address(&self, relative: &str) -> Result<String, StorageError> {
        match self {
            MediaStore::Local(root) => {
                let path = root.join(relative);
                tokio::fs::metadata(&path).await.map_err(io(&path))?;
                Ok(path.display().to_string())
            }
            MediaStore::Object(media) => media.presigned(relative).await,
        }
    }

    /// Whether the media area answers (cheap enough for every `/readyz`): the directory
    /// exists, or the store answers a HEAD (an absent key is an answer).
    pub async fn reachable(&self) -> Result<(), StorageError> {
        match self {
            MediaStore::Local(root) => tokio::fs::metadata(root).await.map(drop).map_err(io(root)),
            MediaStore::Object(media) => {
                match media.store.head(&media.key(".aula-readiness")).await {
                    Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                    Err(e) => Err(e.into()),
                }
            }
        }
    }

    /// Whether media can be written and read back: a probe object (or file) written,
    /// read and deleted. For `/readyz` and `aula doctor`.
    pub async fn check(&self) -> Result<String, StorageError> {
        match self {
            MediaStore::Local(root) => {
                let probe = root.join(format!(".aula-probe-{}", std::process::id()));
                tokio::fs::write(&probe, b"ok").await.map_err(io(&probe))?;
                tokio::fs::remove_file(&probe).await.map_err(io(&probe))?;
                Ok(format!("{} is writable", root.display()))
            }
            MediaStore::Object(media) => {
                let key = media.key(&format!(".aula-probe-{}", std::process::id()));
                media
                    .store
                    .put(&key, PutPayload::from_static(b"ok"))
                    .await?;
                let back = media.store.get(&key).await?.bytes().await?;
                media.store.delete(&key).await?;
                if back.as_ref() != b"ok" {
                    return Err(StorageError::Setup("a probe object read back wrong".into()));
                }
                Ok(format!("{} is writable", media.description))
            }
        }
    }
}
