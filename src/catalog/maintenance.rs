//! What operators' tools need: a health ping, every stored original for fixity checks,
//! backups (checkpoint, snapshot) and `aula import` reports. It must not serve the public.

use sqlx::Row;

use super::{now, Backend, Catalog, Result};

/// Which of the archive's originals a stored file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredKind {
    Recording,
    Document,
}

impl std::fmt::Display for StoredKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            StoredKind::Recording => "recording",
            StoredKind::Document => "document",
        })
    }
}

/// A file the archive keeps under its own checksum: an original recording or a document.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub kind: StoredKind,
    pub id: i64,
    pub session_id: i64,
    pub sha256: String,
    pub size_bytes: i64,
    /// relative to the data directory
    pub stored_path: String,
}

/// A stored `aula import` report.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub created_at: i64,
    pub file: String,
    pub dry_run: bool,
    /// JSON, as `aula import` wrote it.
    pub report: String,
}

impl Catalog {
    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Every original recording and document, with the checksum it was stored under.
    pub async fn stored_files(&self) -> Result<Vec<StoredFile>> {
        let rows = sqlx::query(
            "SELECT 'recording', id, session_id, sha256, size_bytes, stored_path FROM recordings \
             UNION ALL \
             SELECT 'document', id, session_id, sha256, size_bytes, stored_path FROM documents \
             ORDER BY 6",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| StoredFile {
                kind: match r.get::<String, _>(0).as_str() {
                    "recording" => StoredKind::Recording,
                    _ => StoredKind::Document,
                },
                id: r.get(1),
                session_id: r.get(2),
                sha256: r.get(3),
                size_bytes: r.get(4),
                stored_path: r.get(5),
            })
            .collect())
    }

    /// SQLite: folds the write-ahead log into the file, then closes every connection, so
    /// the file alone is the whole catalog (for restore). PostgreSQL: closes the pool.
    pub async fn checkpoint_and_close(&self) -> Result<()> {
        if self.backend() == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await?;
        }
        self.pool.close().await;
        Ok(())
    }

    /// SQLite only: a consistent copy of the whole catalog at `path` (a new file), taken
    /// while servers and workers go on (`VACUUM INTO`).
    pub async fn snapshot_sqlite(&self, path: &std::path::Path) -> Result<()> {
        sqlx::query("VACUUM INTO $1")
            .bind(path.display().to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn add_import_report(&self, file: &str, dry_run: bool, report: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO import_reports (created_at, file, dry_run, report) VALUES ($1, $2, $3, $4)",
        )
        .bind(now())
        .bind(file)
        .bind(i64::from(dry_run))
        .bind(report)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn last_import_report(&self) -> Result<Option<ImportReport>> {
        let row = sqlx::query(
            "SELECT created_at, file, dry_run, report FROM import_reports ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| ImportReport {
            created_at: r.get(0),
            file: r.get(1),
            dry_run: r.get::<i64, _>(2) != 0,
            report: r.get(3),
        }))
    }
}
