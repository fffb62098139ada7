//! The catalog: the archive's source of truth, stored through sqlx: embedded SQLite by
//! default, PostgreSQL when `AULA_DATABASE_URL` names one. One body of SQL serves both
//! (sqlx's `Any` driver, `$N` parameters, functions both have); each has its own
//! migrations. It knows rows and transactions; it never touches media files or HTTP.

mod model;

use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;
use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{AnyConnection, AnyPool};
use sqlx::{ConnectOptions, Connection, Executor, Row};

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

/// Whether an error (of any type a handler may hold) means the catalog database cannot be
/// reached now: the answer is then "temporarily unavailable" (503, retry), not 500.
pub fn is_unavailable_error(error: &dyn std::any::Any) -> bool {
    if let Some(e) = error.downcast_ref::<CatalogError>() {
        return e.is_unavailable();
    }
    if let Some(crate::search::SearchError::Catalog(e)) =
        error.downcast_ref::<crate::search::SearchError>()
    {
        return e.is_unavailable();
    }
    error
        .downcast_ref::<sqlx::Error>()
        .is_some_and(is_unreachable)
}

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

/// Which part of the public archive a page lists.
#[derive(Debug, Clone, Copy, Default)]
pub struct ArchiveFilter {
    pub body_id: Option<i64>,
    pub year: Option<i32>,
}

/// What `ingest` records for a new session with its first recording, all in one transaction.
#[derive(Debug)]
pub struct NewSession<'a> {
    pub body: &'a BodyName,
    pub date: SessionDate,
    pub title: &'a SessionTitle,
    pub kind: &'a str,
    pub number: Option<i64>,
}

#[derive(Debug)]
pub struct NewRecording<'a> {
    pub sha256: &'a str,
    pub original_name: &'a str,
    pub size_bytes: i64,
    pub stored_path: &'a str,
    pub duration_ms: Option<i64>,
    pub probe_json: &'a str,
}

#[derive(Debug)]
pub struct NewDocument<'a> {
    pub kind: &'a str,
    pub original_name: &'a str,
    pub sha256: &'a str,
    pub size_bytes: i64,
    pub stored_path: &'a str,
    pub media_type: &'a str,
    pub text: Option<&'a str>,
    pub extraction_state: &'a str,
    pub extraction_note: Option<&'a str>,
}

#[derive(Debug)]
pub struct NewCue<'a> {
    pub start_ms: i64,
    pub end_ms: i64,
    pub speaker: Option<&'a str>,
    pub text: &'a str,
}

#[derive(Debug)]
pub struct NewMediaVersion<'a> {
    pub version: i64,
    pub dir: &'a str,
    pub profile: &'a str,
    pub master_playlist: &'a str,
    pub mp4_file: Option<&'a str>,
    pub audio_playlist: Option<&'a str>,
    pub audio_file: Option<&'a str>,
    pub poster_file: Option<&'a str>,
    pub thumbnails_vtt: Option<&'a str>,
    pub duration_ms: i64,
    pub warnings: Option<&'a str>,
    /// The ranges cut from it (`Cuts::to_json`), if any.
    pub cuts: Option<&'a str>,
    /// The transcode job publishing it and that job's lease holder: nothing is published
    /// unless the holder still holds it.
    pub job: Option<(i64, &'a str)>,
}

#[derive(Debug)]
pub struct NewRendition<'a> {
    pub kind: &'a str,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub bandwidth: i64,
    pub average_bandwidth: Option<i64>,
    pub codecs: &'a str,
    pub playlist: &'a str,
}

/// Everything search indexes about one session.
#[derive(Debug, Clone)]
pub struct SearchSource {
    pub session: SessionRow,
    pub agenda: Vec<AgendaItem>,
    /// (kind, extracted text)
    pub documents: Vec<(String, String)>,
    pub cues: Vec<CueRow>,
}

const JOB_COLUMNS: &str =
    "id, kind, session_id, payload, state, attempts, max_attempts, run_after, \
     lease_owner, lease_expires_at, progress, speed, eta_seconds, error, created_at, updated_at";

/// What a running job reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JobProgress {
    pub percent: f64,
    pub speed: Option<f64>,
    pub eta_seconds: Option<i64>,
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

mod admin;
pub use admin::*;

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

    /// The session that already holds a recording with this content, if any.
    pub async fn session_with_recording(&self, sha256: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT session_id FROM recordings WHERE sha256 = $1")
                .bind(sha256)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Creates the body if needed, the session, its recording (one row per part, in order)
    /// and a transcode job, atomically. Returns (session id, job id).
    pub async fn create_session(
        &self,
        session: &NewSession<'_>,
        parts: &[NewRecording<'_>],
        job_payload: &str,
    ) -> Result<(i64, i64)> {
        let now = now();
        let mut tx = self.write().await?;
        let key = session.body.match_key();
        let body_id: Option<i64> = sqlx::query_scalar("SELECT id FROM bodies WHERE match_key = $1")
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?;
        let body_id = match body_id {
            Some(id) => id,
            None => {
                sqlx::query_scalar(
                    "INSERT INTO bodies (slug, name, match_key, kind, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(session.body.slug())
                .bind(session.body.as_str())
                .bind(&key)
                .bind(session.body.kind())
                .bind(now)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        let session_id: i64 = sqlx::query_scalar(
            "INSERT INTO sessions (body_id, date, title, kind, number, state, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'processing', $6, $7) RETURNING id",
        )
        .bind(body_id)
        .bind(session.date.iso())
        .bind(session.title.as_str())
        .bind(session.kind)
        .bind(session.number)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for (part, recording) in parts.iter().enumerate() {
            insert_recording(&mut tx, session_id, part as i64 + 1, recording).await?;
        }
        let job_id: i64 = sqlx::query_scalar(
            "INSERT INTO jobs (kind, session_id, payload, state, run_after, created_at, updated_at) \
             VALUES ('transcode', $1, $2, 'queued', $3, $4, $5) RETURNING id",
        )
        .bind(session_id)
        .bind(job_payload)
        .bind(now)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        note_change(&mut tx, session_id).await?;
        tx.commit().await?;
        Ok((session_id, job_id))
    }

    /// Stores a document's row and, for an agenda, its numbered items.
    pub async fn add_document(
        &self,
        session_id: i64,
        doc: &NewDocument<'_>,
        agenda_items: &[(Option<String>, String)],
    ) -> Result<i64> {
        let mut tx = self.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO documents (session_id, kind, original_name, sha256, size_bytes, stored_path, \
             media_type, text, extraction_state, extraction_note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(session_id)
        .bind(doc.kind)
        .bind(doc.original_name)
        .bind(doc.sha256)
        .bind(doc.size_bytes)
        .bind(doc.stored_path)
        .bind(doc.media_type)
        .bind(doc.text)
        .bind(doc.extraction_state)
        .bind(doc.extraction_note)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        let first: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(position), 0) + 1 FROM agenda_items WHERE session_id = $1",
        )
        .bind(session_id)
        .fetch_one(&mut *tx)
        .await?;
        for (offset, (number, title)) in agenda_items.iter().enumerate() {
            sqlx::query(
                "INSERT INTO agenda_items (session_id, position, number, title) VALUES ($1, $2, $3, $4)",
            )
            .bind(session_id)
            .bind(first + offset as i64)
            .bind(number)
            .bind(title)
            .execute(&mut *tx)
            .await?;
        }
        note_change(&mut tx, session_id).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Stores a transcript's timed cues (replacing any the document had).
    pub async fn add_cues(
        &self,
        session_id: i64,
        document_id: i64,
        cues: &[NewCue<'_>],
    ) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM transcript_cues WHERE document_id = $1")
            .bind(document_id)
            .execute(&mut *tx)
            .await?;
        for cue in cues {
            sqlx::query(
                "INSERT INTO transcript_cues (session_id, document_id, start_ms, end_ms, speaker, text) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(session_id)
            .bind(document_id)
            .bind(cue.start_ms)
            .bind(cue.end_ms)
            .bind(cue.speaker)
            .bind(cue.text)
            .execute(&mut *tx)
            .await?;
        }
        note_change(&mut tx, session_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets the agenda's start times from a timed agenda: by position when it has as many
    /// items as the agenda already holds, otherwise its items replace the agenda's.
    pub async fn set_timed_agenda(
        &self,
        session_id: i64,
        items: &[(Option<String>, String, i64)],
    ) -> Result<()> {
        let mut tx = self.write().await?;
        let existing: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM agenda_items WHERE session_id = $1")
                .bind(session_id)
                .fetch_one(&mut *tx)
                .await?;
        if existing != items.len() as i64 {
            sqlx::query("DELETE FROM agenda_items WHERE session_id = $1")
                .bind(session_id)
                .execute(&mut *tx)
                .await?;
        }
        for (i, (number, title, start_ms)) in items.iter().enumerate() {
            let position = i as i64 + 1;
            if existing == items.len() as i64 {
                sqlx::query(
                    "UPDATE agenda_items SET start_ms = $1 WHERE session_id = $2 AND position = $3",
                )
                .bind(start_ms)
                .bind(session_id)
                .bind(position)
                .execute(&mut *tx)
                .await?;
            } else {
                sqlx::query(
                    "INSERT INTO agenda_items (session_id, position, number, title, start_ms) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(session_id)
                .bind(position)
                .bind(number)
                .bind(title)
                .bind(start_ms)
                .execute(&mut *tx)
                .await?;
            }
        }
        note_change(&mut tx, session_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A stored document for download: (stored path, original name, media type), if its
    /// session is public (and, for a transcript, has no withheld range).
    pub async fn document_file(&self, id: i64) -> Result<Option<(String, String, String)>> {
        Ok(sqlx::query_as(concat!(
            "SELECT d.stored_path, d.original_name, d.media_type FROM documents d \
             JOIN sessions s ON s.id = d.session_id WHERE d.id = $1 AND NOT (d.kind = 'transcript' \
             AND EXISTS (SELECT 1 FROM withheld_ranges w WHERE w.session_id = s.id)) AND ",
            public_state!(),
            " != 'withheld'"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Sets when agenda items start in the recording, by position (1-based).
    pub async fn set_agenda_times(
        &self,
        session_id: i64,
        times: &[(i64, Option<i64>)],
    ) -> Result<u64> {
        let mut tx = self.write().await?;
        let mut set = 0;
        for (position, start_ms) in times {
            set += sqlx::query(
                "UPDATE agenda_items SET start_ms = $1 WHERE session_id = $2 AND position = $3",
            )
            .bind(start_ms)
            .bind(session_id)
            .bind(position)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        if set > 0 {
            note_change(&mut tx, session_id).await?;
        }
        tx.commit().await?;
        Ok(set)
    }

    /// Stores an admin token's hash under a name.
    pub async fn add_token(&self, name: &str, token_hash: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO api_tokens (name, token_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(name)
        .bind(token_hash)
        .bind(now())
        .fetch_one(&self.pool)
        .await?)
    }

    /// The name of the token with this hash, noting that it was used.
    pub async fn use_token(&self, token_hash: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2 RETURNING name",
        )
        .bind(now())
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Records a published media version and marks the session published, atomically.
    /// `media.version` comes from `next_media_version`, which also named the directory;
    /// if another worker published that version meanwhile, the unique key refuses this one.
    pub async fn publish_media(
        &self,
        session_id: i64,
        media: &NewMediaVersion<'_>,
        renditions: &[NewRendition<'_>],
    ) -> Result<i64> {
        let mut tx = self.write().await?;
        if let Some((job_id, owner)) = media.job {
            // On PostgreSQL the job's row stays locked to the commit, so a claim of an
            // expired lease cannot slip in between this check and the publication.
            let lock = if self.backend == Backend::Postgres {
                " FOR UPDATE"
            } else {
                ""
            };
            let held: Option<i64> = sqlx::query_scalar(&format!(
                "SELECT 1 FROM jobs WHERE id = $1 AND state = 'running' AND lease_owner = $2{lock}"
            ))
            .bind(job_id)
            .bind(owner)
            .fetch_optional(&mut *tx)
            .await?;
            if held.is_none() {
                return Err(CatalogError::LeaseLost);
            }
        }
        // Ranges withheld while this version was being made: it must not be served.
        let wanted = Cuts::new(
            admin::withheld_rows(&mut tx, session_id)
                .await?
                .iter()
                .map(|r| (r.start_ms, r.end_ms))
                .collect(),
        );
        if wanted != Cuts::from_json(media.cuts) {
            return Err(CatalogError::Superseded);
        }
        let version = media.version;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO media_versions (session_id, version, dir, profile, master_playlist, mp4_file, \
             audio_playlist, audio_file, poster_file, thumbnails_vtt, duration_ms, warnings, \
             cuts, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        )
        .bind(session_id)
        .bind(version)
        .bind(media.dir)
        .bind(media.profile)
        .bind(media.master_playlist)
        .bind(media.mp4_file)
        .bind(media.audio_playlist)
        .bind(media.audio_file)
        .bind(media.poster_file)
        .bind(media.thumbnails_vtt)
        .bind(media.duration_ms)
        .bind(media.warnings)
        .bind(media.cuts)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        for r in renditions {
            sqlx::query(
                "INSERT INTO renditions (media_version_id, kind, width, height, bandwidth, \
                 average_bandwidth, codecs, playlist) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind(r.kind)
            .bind(r.width)
            .bind(r.height)
            .bind(r.bandwidth)
            .bind(r.average_bandwidth)
            .bind(r.codecs)
            .bind(r.playlist)
            .execute(&mut *tx)
            .await?;
        }
        // An editor's withholding outlasts a new version.
        sqlx::query(
            "UPDATE sessions SET state = 'published', state_reason = NULL, updated_at = $1 \
             WHERE id = $2 AND state != 'withheld'",
        )
        .bind(now())
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
        note_change(&mut tx, session_id).await?;
        tx.commit().await?;
        Ok(version)
    }

    /// The next media version number a session would get (for naming its directory).
    pub async fn next_media_version(&self, session_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM media_versions WHERE session_id = $1",
        )
        .bind(session_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// The stored path, ffprobe description and duration (ms, as measured at ingest) of
    /// each part of a session's recording, in order.
    pub async fn recording_parts(
        &self,
        session_id: i64,
    ) -> Result<Vec<(String, String, Option<i64>)>> {
        Ok(sqlx::query_as(
            "SELECT stored_path, probe_json, duration_ms FROM recordings WHERE session_id = $1 \
             ORDER BY part",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Whether any media version (published or not, current or old) is recorded in `dir`:
    /// such a directory is never replaced nor removed by a job.
    pub async fn media_dir_recorded(&self, dir: &str) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM media_versions WHERE dir = $1")
            .bind(dir)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    /// Whether `dir` is the current media version of a published session: only that one
    /// is served (older versions may hold what an editor has since withheld).
    pub async fn is_public_media_dir(&self, dir: &str) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            concat!("SELECT 1 FROM media_versions m JOIN sessions s ON s.id = m.session_id \
             WHERE m.dir = $1 AND s.state = 'published' AND NOT ", out_of_window!(), " \
             AND m.version = (SELECT MAX(version) FROM media_versions WHERE session_id = m.session_id)"),
        )
        .bind(dir)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    pub async fn set_session_failed(&self, session_id: i64, reason: &str) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE sessions SET state = 'failed', state_reason = $1, updated_at = $2 \
             WHERE id = $3 AND state != 'withheld'",
        )
        .bind(reason)
        .bind(now())
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
        note_change(&mut tx, session_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Public sessions (any state but withheld), newest first.
    pub async fn list_sessions(&self, limit: i64, offset: i64) -> Result<Vec<SessionRow>> {
        let sql =
            format!("SELECT {SESSION_COLUMNS} WHERE {PUBLIC} ORDER BY s.date DESC, s.id DESC LIMIT $1 OFFSET $2");
        Ok(sqlx::query_as(&sql)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Public sessions of one body, newest first.
    pub async fn list_body_sessions(&self, body_id: i64, limit: i64) -> Result<Vec<SessionRow>> {
        Ok(self
            .archive_page(
                &ArchiveFilter {
                    body_id: Some(body_id),
                    year: None,
                },
                limit,
                0,
            )
            .await?
            .0)
    }

    /// One page of the public archive, newest first, with how many sessions match in all.
    pub async fn archive_page(
        &self,
        filter: &ArchiveFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<SessionRow>, i64)> {
        let condition =
            "($1 IS NULL OR s.body_id = $1) AND ($2 IS NULL OR substr(s.date, 1, 4) = $2)";
        let rows = sqlx::query_as(&format!(
            "SELECT {SESSION_COLUMNS} WHERE {condition} AND {PUBLIC} \
             ORDER BY s.date DESC, s.id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(filter.body_id)
        .bind(filter.year.map(|y| format!("{y:04}")))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM sessions s WHERE {condition} AND {PUBLIC}"
        ))
        .bind(filter.body_id)
        .bind(filter.year.map(|y| format!("{y:04}")))
        .fetch_one(&self.pool)
        .await?;
        Ok((rows, total))
    }

    /// Years with public sessions (of one body, or all), newest first, with their counts.
    pub async fn archive_years(&self, body_id: Option<i64>) -> Result<Vec<(i32, i64)>> {
        let rows = sqlx::query(&format!(
            "SELECT CAST(substr(s.date, 1, 4) AS BIGINT) AS year, COUNT(*) FROM sessions s \
             WHERE ($1 IS NULL OR s.body_id = $1) AND {PUBLIC} GROUP BY year ORDER BY year DESC"
        ))
        .bind(body_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.get::<i64, _>(0) as i32, r.get::<i64, _>(1)))
            .collect())
    }

    /// When a public session last changed (Unix seconds; 0 if there is none).
    pub async fn last_session_change(&self) -> Result<i64> {
        Ok(sqlx::query_scalar(&format!(
            "SELECT COALESCE(MAX(s.updated_at), 0) FROM sessions s WHERE {PUBLIC}"
        ))
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn count_sessions(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM sessions s WHERE {PUBLIC}"))
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn session(&self, id: i64) -> Result<Option<SessionRow>> {
        let sql = format!("SELECT {SESSION_COLUMNS} WHERE s.id = $1");
        Ok(sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The agenda, with start times as the public media plays them (moved by its cuts).
    pub async fn agenda(&self, session_id: i64) -> Result<Vec<AgendaItem>> {
        let mut items = self.original_agenda(session_id).await?;
        let cuts = self.current_cuts(session_id).await?;
        if !cuts.is_empty() {
            for item in &mut items {
                item.start_ms = item.start_ms.map(|ms| cuts.public_time_clamped(ms));
            }
        }
        Ok(items)
    }

    /// The agenda with start times in the original recording's timeline.
    pub async fn original_agenda(&self, session_id: i64) -> Result<Vec<AgendaItem>> {
        Ok(sqlx::query_as(
            "SELECT id, position, number, title, start_ms FROM agenda_items \
             WHERE session_id = $1 ORDER BY position",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The session's documents, but not a transcript while ranges are withheld: its
    /// original holds every word.
    pub async fn documents(&self, session_id: i64) -> Result<Vec<DocumentRow>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, original_name, media_type, size_bytes, extraction_state, \
             extraction_note FROM documents d WHERE session_id = $1 AND NOT (kind = 'transcript' \
             AND EXISTS (SELECT 1 FROM withheld_ranges w WHERE w.session_id = d.session_id)) \
             ORDER BY id",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The session's transcript cues in time order, as the public media plays them: what
    /// was said in a cut range is left out, later cues move back by the cut's length.
    pub async fn cues(&self, session_id: i64) -> Result<Vec<CueRow>> {
        let rows: Vec<CueRow> = sqlx::query_as(
            "SELECT start_ms, end_ms, speaker, text FROM transcript_cues \
             WHERE session_id = $1 ORDER BY start_ms, id",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?;
        // What was said in a withheld range is never shown, even before the version
        // without it is published (or if making it failed).
        let withheld = self.withheld_ranges(session_id).await?;
        let cuts = self.current_cuts(session_id).await?;
        if withheld.is_empty() && cuts.is_empty() {
            return Ok(rows);
        }
        Ok(rows
            .into_iter()
            .filter(|cue| {
                !withheld.iter().any(|w| {
                    cue.start_ms < w.end_ms && cue.end_ms.max(cue.start_ms + 1) > w.start_ms
                })
            })
            .filter_map(|mut cue| {
                // A cue touching a cut is dropped whole: its words may be the withheld ones.
                let length = (cue.end_ms - cue.start_ms).max(0);
                let start = cuts.public_time(cue.start_ms)?;
                // The last instant the cue shows, so one ending where a cut begins stays.
                let last = cuts.public_time(cue.start_ms + (length - 1).max(0))?;
                let end = last + length.min(1);
                if end - start != length {
                    return None;
                }
                cue.start_ms = start;
                cue.end_ms = end;
                Some(cue)
            })
            .collect())
    }

    /// Every body, by name.
    pub async fn bodies(&self) -> Result<Vec<Body>> {
        Ok(
            sqlx::query_as("SELECT id, slug, name, kind FROM bodies ORDER BY name")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Asks every server to rebuild its search index from the catalog.
    pub async fn request_reindex(&self) -> Result<()> {
        let mut tx = self.write().await?;
        note_change(&mut tx, REINDEX_ALL).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every session id, for a full rebuild of the search index.
    pub async fn all_session_ids(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar("SELECT id FROM sessions ORDER BY id")
            .fetch_all(&self.pool)
            .await?)
    }

    /// The newest change number, where a full rebuild of the index starts following.
    pub async fn last_change(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM search_changes")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// All a search index needs about one session; `None` if it no longer exists.
    pub async fn search_source(&self, session_id: i64) -> Result<Option<SearchSource>> {
        let Some(session) = self.session(session_id).await? else {
            return Ok(None);
        };
        let agenda = self.agenda(session_id).await?;
        let documents = sqlx::query(
            "SELECT kind, text FROM documents d WHERE session_id = $1 AND text IS NOT NULL \
             AND NOT (kind = 'transcript' AND EXISTS (SELECT 1 FROM withheld_ranges w \
             WHERE w.session_id = d.session_id)) ORDER BY id",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|row| (row.get::<String, _>(0), row.get::<String, _>(1)))
        .collect();
        let cues = self.cues(session_id).await?;
        Ok(Some(SearchSource {
            session,
            agenda,
            documents,
            cues,
        }))
    }

    /// Sessions changed after `seq`, oldest change first, each once, with the newest seq seen.
    pub async fn changes_since(&self, seq: i64, limit: i64) -> Result<(Vec<i64>, i64)> {
        let rows = sqlx::query(
            "SELECT session_id, MAX(seq) FROM search_changes WHERE seq > $1 \
             GROUP BY session_id ORDER BY MAX(seq) LIMIT $2",
        )
        .bind(seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut last = seq;
        let mut ids = Vec::with_capacity(rows.len());
        for row in rows {
            ids.push(row.get::<i64, _>(0));
            last = last.max(row.get::<i64, _>(1));
        }
        Ok((ids, last))
    }

    pub async fn job(&self, id: i64) -> Result<Option<JobRow>> {
        Ok(
            sqlx::query_as(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Jobs, newest first, optionally only those in one state.
    pub async fn jobs(&self, state: Option<&str>, limit: i64) -> Result<Vec<JobRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE ($1 IS NULL OR state = $2) ORDER BY id DESC LIMIT $3"
        ))
        .bind(state)
        .bind(state)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The latest job of a session.
    pub async fn job_for_session(&self, session_id: i64) -> Result<Option<JobRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE session_id = $1 ORDER BY id DESC LIMIT 1"
        ))
        .bind(session_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Number of jobs in each state.
    pub async fn job_counts(&self) -> Result<Vec<(String, i64)>> {
        Ok(
            sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Claims one job by id for `owner` until the lease expires: a queued one, or a running
    /// one whose worker stopped renewing its lease. False if it cannot be claimed now.
    pub async fn claim_job(&self, id: i64, owner: &str, lease_seconds: i64) -> Result<bool> {
        if self.backend == Backend::Postgres {
            // As in `claim_next_job_locked`: the session's row first, so two jobs of one
            // session cannot both start.
            let mut tx = self.pool.begin().await?;
            sqlx::query(
                "SELECT s.id FROM sessions s JOIN jobs j ON j.session_id = s.id \
                 WHERE j.id = $1 FOR NO KEY UPDATE OF s",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let claimed = claim(&mut tx, id, owner, lease_seconds).await?;
            tx.commit().await?;
            return Ok(claimed);
        }
        let mut conn = self.pool.acquire().await?;
        claim(&mut conn, id, owner, lease_seconds).await
    }

    /// Claims the oldest job that is ready to run, or whose worker's lease expired.
    /// A job whose worker vanished on its last allowed attempt is failed instead, with
    /// its session.
    pub async fn claim_next_job(&self, owner: &str, lease_seconds: i64) -> Result<Option<JobRow>> {
        let now = now();
        let abandoned: Vec<(i64, Option<i64>)> = sqlx::query_as(
            "UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_expires_at = NULL, \
             error = 'the worker running it stopped responding on every attempt (' || attempts || ')', \
             updated_at = $1 WHERE state = 'running' AND lease_expires_at < $2 \
             AND attempts >= max_attempts RETURNING id, session_id",
        )
        .bind(now)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        for (id, session) in abandoned {
            if let Some(session) = session {
                let reason = self
                    .job(id)
                    .await?
                    .and_then(|j| j.error)
                    .unwrap_or_default();
                self.set_session_failed(session, &reason).await?;
            }
        }
        const READY: &str = "SELECT id, session_id FROM jobs WHERE attempts < max_attempts AND \
             ((state = 'queued' AND run_after <= $1) OR (state = 'running' AND lease_expires_at < $2)) \
             AND NOT EXISTS (SELECT 1 FROM jobs o WHERE o.session_id = jobs.session_id \
                 AND o.id != jobs.id AND o.state = 'running' AND o.lease_expires_at >= $3) \
             ORDER BY run_after, id LIMIT 1";
        if self.backend == Backend::Postgres {
            return self
                .claim_next_job_locked(READY, owner, lease_seconds)
                .await;
        }
        let candidate: Option<(i64, Option<i64>)> = sqlx::query_as(READY)
            .bind(now)
            .bind(now)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        match candidate.map(|(id, _)| id) {
            // Another worker may win the race for it: then there is nothing for us now.
            Some(id) if self.claim_job(id, owner, lease_seconds).await? => self.job(id).await,
            _ => Ok(None),
        }
    }

    /// PostgreSQL's claim: the first ready job that no other worker is claiming right now
    /// (`FOR UPDATE SKIP LOCKED`, so workers never queue behind each other), then its
    /// session's row (so two jobs of one session cannot start together), then the claim.
    async fn claim_next_job_locked(
        &self,
        ready: &str,
        owner: &str,
        lease_seconds: i64,
    ) -> Result<Option<JobRow>> {
        let now = now();
        let mut tx = self.pool.begin().await?;
        let candidate: Option<(i64, Option<i64>)> =
            sqlx::query_as(&format!("{ready} FOR UPDATE SKIP LOCKED"))
                .bind(now)
                .bind(now)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((id, session)) = candidate else {
            return Ok(None);
        };
        if let Some(session) = session {
            // NO KEY: writers inserting rows that refer to the session (KEY SHARE) are not
            // blocked, so a writer waiting for this job's row cannot deadlock with us.
            sqlx::query("SELECT id FROM sessions WHERE id = $1 FOR NO KEY UPDATE")
                .bind(session)
                .execute(&mut *tx)
                .await?;
        }
        let claimed = claim(&mut tx, id, owner, lease_seconds).await?;
        tx.commit().await?;
        if claimed {
            self.job(id).await
        } else {
            Ok(None)
        }
    }

    /// Progress report from a running job; also renews its lease. False if `owner` no
    /// longer holds the job (its lease expired and another worker took it over).
    pub async fn job_progress(
        &self,
        id: i64,
        owner: &str,
        progress: Option<&JobProgress>,
        lease_seconds: i64,
    ) -> Result<bool> {
        let now = now();
        let done = sqlx::query(
            "UPDATE jobs SET progress = COALESCE($1, progress), speed = COALESCE($2, speed), \
             eta_seconds = COALESCE($3, eta_seconds), heartbeat_at = $4, lease_expires_at = $5, \
             updated_at = $6 WHERE id = $7 AND state = 'running' AND lease_owner = $8",
        )
        .bind(progress.map(|p| p.percent))
        .bind(progress.and_then(|p| p.speed))
        .bind(progress.and_then(|p| p.eta_seconds))
        .bind(now)
        .bind(now + lease_seconds)
        .bind(now)
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks a job done (`error` None) or failed for good — only while `owner` holds it
    /// (a worker whose lease was taken over must not overwrite the new holder's work).
    pub async fn finish_job(&self, id: i64, owner: &str, error: Option<&str>) -> Result<bool> {
        let state = if error.is_some() { "failed" } else { "done" };
        let done = sqlx::query(
            "UPDATE jobs SET state = $1, error = $2, progress = CASE WHEN $3 = 'done' THEN 100 ELSE progress END, \
             lease_owner = NULL, lease_expires_at = NULL, updated_at = $4 \
             WHERE id = $5 AND lease_owner IS NOT DISTINCT FROM $6",
        )
        .bind(state)
        .bind(error)
        .bind(state)
        .bind(now())
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A failed attempt that may succeed later: queued again after `delay_seconds`, with
    /// the reason kept. Some(true): queued again; Some(false): no attempt left, failed for
    /// good; None: `owner` no longer holds the job.
    pub async fn retry_job(
        &self,
        id: i64,
        owner: &str,
        reason: &str,
        delay_seconds: i64,
    ) -> Result<Option<bool>> {
        let now = now();
        let queued = sqlx::query(
            "UPDATE jobs SET state = 'queued', error = $1, run_after = $2, lease_owner = NULL, \
             lease_expires_at = NULL, updated_at = $3 \
             WHERE id = $4 AND attempts < max_attempts AND lease_owner IS NOT DISTINCT FROM $5",
        )
        .bind(reason)
        .bind(now + delay_seconds)
        .bind(now)
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        if queued.rows_affected() == 1 {
            return Ok(Some(true));
        }
        Ok(self
            .finish_job(id, owner, Some(reason))
            .await?
            .then_some(false))
    }

    /// Gives a running job back untouched (the worker is shutting down): queued again at
    /// once, and the attempt is not counted.
    pub async fn release_job(&self, id: i64, owner: &str) -> Result<()> {
        sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, run_after = $1, \
             lease_owner = NULL, lease_expires_at = NULL, updated_at = $2 \
             WHERE id = $3 AND state = 'running' AND lease_owner = $4",
        )
        .bind(now())
        .bind(now())
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Queues a failed job again, with its attempts reset (a clerk's "retry").
    pub async fn requeue_job(&self, id: i64) -> Result<bool> {
        let mut tx = self.write().await?;
        let session: Option<Option<i64>> = sqlx::query_scalar(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_after = $1, error = NULL, \
             updated_at = $2 WHERE id = $3 AND state = 'failed' RETURNING session_id",
        )
        .bind(now())
        .bind(now())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(session) = session else {
            return Ok(false);
        };
        if let Some(session) = session {
            sqlx::query(
                "UPDATE sessions SET state = 'processing', state_reason = NULL, updated_at = $1 \
                 WHERE id = $2 AND state = 'failed'",
            )
            .bind(now())
            .bind(session)
            .execute(&mut *tx)
            .await?;
            note_change(&mut tx, session).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}

/// What an old portal address leads to now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegacyTarget {
    Moved(String),
    Gone,
}

/// The most requested addresses nobody has mapped yet.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct UnmappedRow {
    pub path: String,
    pub hits: i64,
    pub first_seen: i64,
    pub last_seen: i64,
}

/// At most this many distinct unknown addresses are remembered, so a crawler trying
/// random URLs cannot grow the table without bound (known ones keep being counted).
const UNMAPPED_LIMIT: i64 = 50_000;

impl Catalog {
    /// Stores redirects (`key` → `target`, None = 410 Gone). A key already mapped to the
    /// same target is left alone; one mapped elsewhere is reported as a conflict and
    /// nothing is written. Returns (added, unchanged).
    pub async fn add_legacy_links(
        &self,
        links: &[(String, Option<String>)],
    ) -> Result<std::result::Result<(usize, usize), Vec<String>>> {
        let mut tx = self.write().await?;
        let (mut added, mut unchanged, mut conflicts) = (0, 0, Vec::new());
        for (key, target) in links {
            let existing: Option<(Option<String>, i64)> =
                sqlx::query_as("SELECT target, status FROM legacy_links WHERE old_url = $1")
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await?;
            match existing {
                Some((t, _)) if t == *target => unchanged += 1,
                Some((t, _)) => conflicts.push(format!(
                    "{key} already leads to {}",
                    t.as_deref().unwrap_or("410 Gone")
                )),
                None => {
                    sqlx::query(
                        "INSERT INTO legacy_links (old_url, target, status, created_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(key)
                    .bind(target)
                    .bind(if target.is_some() { 301 } else { 410 })
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("DELETE FROM unmapped_requests WHERE path = $1")
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                    added += 1;
                }
            }
        }
        if !conflicts.is_empty() {
            return Ok(Err(conflicts));
        }
        tx.commit().await?;
        Ok(Ok((added, unchanged)))
    }

    /// Where an old address (its `legacy::key`) leads, if it is mapped.
    pub async fn legacy_target(&self, key: &str) -> Result<Option<LegacyTarget>> {
        let row: Option<(Option<String>, i64)> =
            sqlx::query_as("SELECT target, status FROM legacy_links WHERE old_url = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(target, status)| match target {
            Some(t) if status == 301 => LegacyTarget::Moved(t),
            _ => LegacyTarget::Gone,
        }))
    }

    /// Counts a request for an address that leads nowhere.
    pub async fn count_unmapped(&self, key: &str) -> Result<()> {
        let now = now();
        let known = sqlx::query(
            "UPDATE unmapped_requests SET hits = hits + 1, last_seen = $1 WHERE path = $2",
        )
        .bind(now)
        .bind(key)
        .execute(&self.pool)
        .await?;
        if known.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO unmapped_requests (path, hits, first_seen, last_seen) \
                 SELECT $1, 1, $2, $3 WHERE (SELECT COUNT(*) FROM unmapped_requests) < $4 \
                 ON CONFLICT (path) DO UPDATE SET hits = unmapped_requests.hits + 1, last_seen = excluded.last_seen",
            )
            .bind(key)
            .bind(now)
            .bind(now)
            .bind(UNMAPPED_LIMIT)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    pub async fn unmapped_report(&self, limit: i64) -> Result<Vec<UnmappedRow>> {
        Ok(sqlx::query_as(
            "SELECT path, hits, first_seen, last_seen FROM unmapped_requests \
             ORDER BY hits DESC, path LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// One part of a session's recording.
async fn insert_recording(
    tx: &mut AnyConnection,
    session_id: i64,
    part: i64,
    recording: &NewRecording<'_>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO recordings (session_id, part, sha256, original_name, size_bytes, \
         stored_path, duration_ms, probe_json, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(session_id)
    .bind(part)
    .bind(recording.sha256)
    .bind(recording.original_name)
    .bind(recording.size_bytes)
    .bind(recording.stored_path)
    .bind(recording.duration_ms)
    .bind(recording.probe_json)
    .bind(now())
    .execute(tx)
    .await?;
    Ok(())
}

async fn note_change(tx: &mut AnyConnection, session_id: i64) -> Result<()> {
    sqlx::query("INSERT INTO search_changes (session_id, changed_at) VALUES ($1, $2)")
        .bind(session_id)
        .bind(now())
        .execute(tx)
        .await?;
    Ok(())
}

/// Claims job `id` for `owner` if it is ready (or its worker's lease expired) and no other
/// job of its session is running.
async fn claim(conn: &mut AnyConnection, id: i64, owner: &str, lease_seconds: i64) -> Result<bool> {
    let now = now();
    let done = sqlx::query(
        "UPDATE jobs SET state = 'running', lease_owner = $1, lease_expires_at = $2, \
         heartbeat_at = $3, attempts = attempts + 1, progress = 0, speed = NULL, \
         eta_seconds = NULL, updated_at = $4 \
         WHERE id = $5 AND attempts < max_attempts AND \
         ((state = 'queued' AND run_after <= $6) OR (state = 'running' AND lease_expires_at < $7)) \
         AND NOT EXISTS (SELECT 1 FROM jobs o WHERE o.session_id = jobs.session_id \
             AND o.id != jobs.id AND o.state = 'running' AND o.lease_expires_at >= $8)",
    )
    .bind(owner)
    .bind(now + lease_seconds)
    .bind(now)
    .bind(now)
    .bind(id)
    .bind(now)
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
