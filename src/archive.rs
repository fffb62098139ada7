//! The opened archive: configuration plus the catalog, with the data directory laid out.
//! Every command and the server start here; nothing else opens the catalog.

use std::path::{Path, PathBuf};

use crate::catalog::{Catalog, CatalogError};
use crate::config::Config;

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create the data directory {path}: {source}; check its permissions or set --data-dir")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
}

#[derive(Clone, Debug)]
pub struct Archive {
    pub config: Config,
    pub catalog: Catalog,
    /// Where published media live: `media/` on disk, or an object store.
    pub media: std::sync::Arc<crate::storage::MediaStore>,
}

impl Archive {
    pub async fn open(config: Config) -> Result<Archive, OpenError> {
        for dir in [
            config.data_dir.clone(),
            config.originals_dir(),
            config.media_dir(),
            config.staging_dir(),
        ] {
            std::fs::create_dir_all(&dir).map_err(|source| OpenError::DataDir {
                path: dir.clone(),
                source,
            })?;
        }
        let catalog = Catalog::open(&config.database_url()).await?;
        let media = std::sync::Arc::new(crate::storage::MediaStore::from_config(&config)?);
        Ok(Archive {
            config,
            catalog,
            media,
        })
    }

    /// A path stored in the catalog (relative to the data directory) made absolute.
    pub fn data_path(&self, relative: &str) -> PathBuf {
        self.config.data_dir.join(relative)
    }

    /// The published directory of a media version.
    pub fn media_path(&self, dir: &str) -> PathBuf {
        self.config.media_dir().join(dir)
    }

    pub fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }
}
