//! The object-store side of the media store: uploading a staged version, removing one,
//! opening an object (one HEAD, small ones fetched whole) and reading a range of it. No
//! decisions about what is public: the caller has made them.

use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use object_store::path::Path as ObjectPath;
use object_store::{Attribute, Attributes, ObjectStore, PutPayload};
use sha2::{Digest, Sha256};

use super::{content_type, io, ObjectMedia, Source, StorageError, StoredFile, SMALL_FILE};

/// Bytes of a file above which the upload is multipart.
const SINGLE_PUT: u64 = 16 << 20;

impl ObjectMedia {
    /// Bytes `range` of the object at `path`, exactly; a short answer is an error.
    pub async fn read_range(
        &self,
        path: &ObjectPath,
        range: std::ops::Range<u64>,
    ) -> std::io::Result<Bytes> {
        let want = range.end - range.start;
        let bytes = self
            .store
            .get_range(path, range)
            .await
            .map_err(std::io::Error::other)?;
        if bytes.len() as u64 != want {
            return Err(std::io::Error::other("the object store sent a short range"));
        }
        Ok(bytes)
    }

    /// Where a request for `relative` is sent instead of being proxied, if this store
    /// redirects: a public base's address, or a presigned one.
    pub async fn redirect_target(&self, relative: &str) -> Option<Result<String, StorageError>> {
        match self.redirect.as_ref()? {
            super::Redirect::Public(base) => Some(Ok(format!("{base}/{relative}"))),
            super::Redirect::Presigned => Some(self.presigned(relative).await),
        }
    }
}

pub(super) async fn remove_prefix(media: &ObjectMedia, dir: &str) -> Result<(), StorageError> {
    use futures_util::TryStreamExt;
    let prefix = media.key(dir);
    let keys: Vec<ObjectPath> = media
        .store
        .list(Some(&prefix))
        .map_ok(|meta| meta.location)
        .try_collect()
        .await?;
    for key in keys {
        media.store.delete(&key).await?;
    }
    Ok(())
}

pub(super) async fn upload(
    media: &ObjectMedia,
    file: &Path,
    key: &ObjectPath,
) -> Result<(), StorageError> {
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    let mut attributes = Attributes::new();
    attributes.insert(
        Attribute::ContentType,
        content_type(&name).to_string().into(),
    );
    attributes.insert(
        Attribute::CacheControl,
        "public, max-age=31536000, immutable".into(),
    );
    let size = tokio::fs::metadata(file).await.map_err(io(file))?.len();
    if size <= SINGLE_PUT {
        let bytes = tokio::fs::read(file).await.map_err(io(file))?;
        let options = object_store::PutOptions {
            attributes,
            ..Default::default()
        };
        media
            .store
            .put_opts(key, PutPayload::from(Bytes::from(bytes)), options)
            .await?;
        return Ok(());
    }
    let mut writer = object_store::buffered::BufWriter::new(Arc::clone(&media.store), key.clone())
        .with_attributes(attributes);
    let mut source = tokio::fs::File::open(file).await.map_err(io(file))?;
    let copied = async {
        tokio::io::copy(&mut source, &mut writer).await?;
        tokio::io::AsyncWriteExt::shutdown(&mut writer).await
    }
    .await;
    if let Err(e) = copied {
        // An unfinished multipart upload would linger (and be billed) in the bucket.
        let _ = writer.abort().await;
        return Err(io(file)(e));
    }
    Ok(())
}

/// Describes an object of the store (one HEAD; a small one is fetched whole). Its ETag is
/// the store's own, so every replica gives the same one for the same object.
pub(super) async fn open(
    media: &Arc<ObjectMedia>,
    key: &str,
    small_budget: usize,
) -> Option<StoredFile> {
    let path = media.key(key);
    let meta = match media.store.head(&path).await {
        Ok(meta) => meta,
        Err(object_store::Error::NotFound { .. }) => return None,
        Err(e) => {
            tracing::warn!(error = %e, key, "cannot read a media object's description");
            return None;
        }
    };
    let len = meta.size;
    let modified: SystemTime = meta.last_modified.into();
    let tag = meta
        .e_tag
        .as_deref()
        .map(|t| t.trim_start_matches("W/").trim_matches('"').to_string())
        .filter(|t| !t.is_empty() && !t.contains('"'))
        .unwrap_or_else(|| {
            let mut h = Sha256::new();
            h.update(format!(
                "{key}:{len}:{}",
                meta.last_modified.timestamp_millis()
            ));
            hex::encode(h.finalize())[..32].to_string()
        });
    let etag = format!("\"{tag}\"");
    let bytes = if len <= SMALL_FILE && (len as usize) <= small_budget {
        let got = media.store.get(&path).await.ok()?.bytes().await.ok()?;
        if got.len() as u64 != len {
            return None;
        }
        Some(got)
    } else {
        None
    };
    let name = key.rsplit('/').next()?;
    Some(StoredFile {
        etag,
        content_type: content_type(name),
        bytes,
        source: Source::Object(Arc::clone(media), path),
        len,
        modified,
    })
}
