//! The catalog: the archive's source of truth, stored through sqlx: embedded SQLite by
//! default, PostgreSQL when `AULA_DATABASE_URL` names one. One body of SQL serves both
//! (sqlx's `Any` driver, `$N` parameters, functions both have); each has its own
//! migrations. It knows rows and transactions; it never touches media files or HTTP.
//!
//! This file opens the catalog and holds what every room shares (the error, the clock,
//! the SQL saying what is public); each concern has its own `impl Catalog` in its own file.

mod model;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{AnyConnection, AnyPool};
use sqlx::{ConnectOptions, Connection, Executor};

pub use model::*;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot open the catalog at {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error("cannot bring the catalog schema up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("catalog error: {0}")]
    Db(sqlx::Error),
    #[error("the job's lease was taken over by another worker")]
    LeaseLost,
    #[error("the withheld ranges changed while the version was made; a newer job makes it")]
    Superseded,
}

type Result<T> = std::result::Result<T, CatalogError>;

/// Whether a database error means "cannot reach it now" (down, restarting, the network,
/// every connection busy) rather than a fault in the request or the data.
pub fn is_unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|c| {
            // PostgreSQL: connection exceptions (08…), shutting down or starting (57P0…);
            // SQLite: busy past the timeout (5).
            c.starts_with("08") || c.starts_with("57P0") || c == "5"
        }),
        _ => false,
    }
}

impl From<sqlx::Error> for CatalogError {
    fn from(e: sqlx::Error) -> Self {
        CatalogError::Db(e)
    }
}

impl CatalogError {
    /// The database could not be reached: trying again later may work.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, CatalogError::Db(e) if is_unreachable(e))
    }
}

/// A change-log entry naming this "session" asks every server to rebuild its search index.
pub const REINDEX_ALL: i64 = 0;

/// Seconds since the Unix epoch: the catalog's clock.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// SQL: whether the session `s` is outside its publication window now.
macro_rules! out_of_window {
    () => {
        "(COALESCE(s.publish_from, 0) > unixepoch() \
         OR COALESCE(s.publish_until, 9223372036854775807) <= unixepoch())"
    };
}

/// SQL: the state citizens see: `withheld` also outside the publication window.
macro_rules! public_state {
    () => {
        concat!(
            "CASE WHEN ",
            out_of_window!(),
            " THEN 'withheld' ELSE s.state END"
        )
    };
}

const SESSION_COLUMNS: &str = concat!(
    "s.id, s.body_id, b.name AS body_name, b.slug AS body_slug, s.date, \
     s.title, s.kind, s.number, ",
    public_state!(),
    " AS state, CASE WHEN s.state != 'withheld' AND ",
    out_of_window!(),
    " THEN 'outside its publication window' ELSE s.state_reason END AS state_reason, \
     m.dir AS media_dir, m.master_playlist, \
     m.mp4_file, m.poster_file, m.duration_ms, m.warnings, m.audio_playlist, m.audio_file, \
     m.thumbnails_vtt, s.state AS stored_state, s.publish_from, s.publish_until, m.cuts \
     FROM sessions s JOIN bodies b ON b.id = s.body_id \
     LEFT JOIN media_versions m ON m.id = (SELECT id FROM media_versions \
        WHERE session_id = s.id ORDER BY version DESC LIMIT 1)"
);

/// SQL condition: the session `s` is public (see `SessionRow::is_public`).
const PUBLIC: &str = concat!("(", public_state!(), ") != 'withheld'");

mod alerts;
mod bodies;
mod changes;
mod editing;
mod intake;
mod jobs;
mod legacy;
mod live;
mod maintenance;
mod media;
mod people;
mod public;
mod speech;
mod tokens;

pub use alerts::{NewMail, NewSubscription, OutgoingMail, Subscribed, Subscription};
pub use bodies::{BodyChange, BodyCount};
pub use changes::{ChangeBatch, SearchSource, SourceDocument};
pub use editing::SessionPatch;
pub use intake::{CreatedSession, NewCue, NewDocument, NewRecording, NewSession};
pub use jobs::{JobCount, JobProgress};
pub use legacy::{LegacyImport, LegacyTarget, UnmappedRow};
pub use live::{LiveListed, LiveStream};
pub use maintenance::{ImportReport, StoredFile, StoredKind};
pub use media::{NewMediaVersion, NewRendition, RecordingPart, WithheldRange};
pub use people::{
    AttendanceRow, Counts, NewRecord, NewTurn, NewVote, PersonRole, PersonRow, PersonVote,
    SessionRecord, TurnRow, VoteRow,
};
pub use public::{ArchiveFilter, ArchivePage, DocumentFile, PublicSession};
pub use speech::{
    AutomaticCue, Correction, EditedCue, NewTranscription, Transcription, TranscriptionChunk,
};

#[cfg(test)]
mod tests;

/// The database engine behind the catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A key of PostgreSQL's advisory locks, taken by every writing transaction (see `write`).
const WRITE_LOCK: i64 = 0x6175_6c61; // "aula"

#[derive(Clone, Debug)]
pub struct Catalog {
    pool: AnyPool,
    backend: Backend,
    /// The list of bodies as last read, for `bodies_recent` (shared by clones).
    bodies_seen: bodies::Seen,
}

/// A transaction on whichever engine the catalog uses.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// `url` without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    crate::config::UrlCredentials::parse(url).redacted
}

impl Catalog {
    /// Opens (creating if needed) the catalog and runs pending migrations: SQLite for a
    /// `sqlite:` URL, PostgreSQL for `postgres://` or `postgresql://`.
    pub async fn open(url: &str) -> Result<Catalog> {
        sqlx::any::install_default_drivers();
        let shown = redact_url(url);
        let open_err = |source| CatalogError::Open {
            url: shown.clone(),
            source,
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                // While the server is away, answers fail fast (503) instead of hanging.
                .acquire_timeout(Duration::from_secs(3))
                // No writer waits forever behind a stuck one, and no stuck transaction
                // holds the writers' lock forever.
                .after_connect(|conn: &mut AnyConnection, _| {
                    Box::pin(async move {
                        conn.execute(
                            "SET lock_timeout = '60s'; \
                             SET idle_in_transaction_session_timeout = '120s';",
                        )
                        .await?;
                        Ok(())
                    })
                })
                .connect(url)
                .await
                .map_err(open_err)?;
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
            return Ok(Catalog {
                pool,
                backend: Backend::Postgres,
                bodies_seen: bodies::Seen::default(),
            });
        }
        // The file is created, and put in WAL mode (which it keeps), by a first native
        // connection; the pool's own connections then set what lasts one connection.
        let native = SqliteConnectOptions::from_str(url)
            .map_err(open_err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        native
            .connect()
            .await
            .map_err(open_err)?
            .close()
            .await
            .map_err(open_err)?;
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .after_connect(|conn: &mut AnyConnection, _| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                         PRAGMA synchronous = NORMAL;",
                    )
                    .await?;
                    Ok(())
                })
            })
            .connect(url)
            .await
            .map_err(open_err)?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Catalog {
            pool,
            backend: Backend::Sqlite,
            bodies_seen: bodies::Seen::default(),
        })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A transaction that will write. Writers take turns, as SQLite has them do: there it
    /// takes the write lock at the start (so one that read first cannot fail at its first
    /// write, SQLITE_BUSY_SNAPSHOT); on PostgreSQL an advisory lock held to the commit, so
    /// read-then-write steps stay whole and the search change log commits in `seq` order.
    async fn write(&self) -> Result<Tx> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }
}
