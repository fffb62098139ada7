//! Media versions: publishing one (under the job's lease), the recording parts a
//! transcode reads, the ranges it must cut and which directories may be served. It must not
//! touch files: the directories it names are ingest's and the media server's.

use sqlx::Row;

use super::changes::commit_change;
use super::{now, Backend, Catalog, CatalogError, Cuts, Result};

/// One part of a session's recording, as a transcode reads it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RecordingPart {
    /// Relative to the data directory.
    pub stored_path: String,
    /// ffprobe's description, as ingest stored it.
    pub probe_json: String,
    /// As measured at ingest (decoded when the container did not say).
    pub duration_ms: Option<i64>,
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
    /// Queue a transcribe job with it when the session has no transcript yet.
    pub transcribe: bool,
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

/// A range withheld from the public media, in the original recording's timeline.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WithheldRange {
    pub start_ms: i64,
    pub end_ms: i64,
    pub reason: Option<String>,
}

impl Catalog {
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
            self.check_lease_held(&mut tx, job_id, owner).await?;
        }
        // Ranges withheld while this version was being made: it must not be served.
        let wanted = Cuts::new(
            withheld_rows(&mut tx, session_id)
                .await?
                .iter()
                .map(|r| (r.start_ms, r.end_ms))
                .collect(),
        );
        if wanted != Cuts::from_json(media.cuts) {
            return Err(CatalogError::Superseded);
        }
        let id = insert_media_version(&mut tx, session_id, media).await?;
        insert_renditions(&mut tx, id, renditions).await?;
        mark_published(&mut tx, session_id).await?;
        if media.transcribe && super::speech::wants_transcript(&mut tx, session_id).await? {
            super::speech::queue_transcribe_in(&mut tx, session_id).await?;
        }
        commit_change(tx, session_id).await?;
        Ok(media.version)
    }

    /// Refuses with `LeaseLost` unless `owner` still holds the running job `job_id`.
    async fn check_lease_held(
        &self,
        tx: &mut sqlx::AnyConnection,
        job_id: i64,
        owner: &str,
    ) -> Result<()> {
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
        Ok(())
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
    pub async fn recording_parts(&self, session_id: i64) -> Result<Vec<RecordingPart>> {
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

    /// The ranges an editor withheld from the public media, in time order.
    pub async fn withheld_ranges(&self, session_id: i64) -> Result<Vec<WithheldRange>> {
        let mut conn = self.pool.acquire().await?;
        withheld_rows(&mut conn, session_id).await
    }

    /// The cuts of the session's current media version.
    pub async fn current_cuts(&self, session_id: i64) -> Result<Cuts> {
        let cuts: Option<Option<String>> = sqlx::query_scalar(
            "SELECT cuts FROM media_versions WHERE session_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(session_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(Cuts::from_json(cuts.flatten().as_deref()))
    }
}

/// Inserts the media version's row; returns its id.
async fn insert_media_version(
    tx: &mut sqlx::AnyConnection,
    session_id: i64,
    media: &NewMediaVersion<'_>,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO media_versions (session_id, version, dir, profile, master_playlist, mp4_file, \
         audio_playlist, audio_file, poster_file, thumbnails_vtt, duration_ms, warnings, \
         cuts, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(session_id)
    .bind(media.version)
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
    .await?)
}

async fn insert_renditions(
    tx: &mut sqlx::AnyConnection,
    media_version_id: i64,
    renditions: &[NewRendition<'_>],
) -> Result<()> {
    for r in renditions {
        sqlx::query(
            "INSERT INTO renditions (media_version_id, kind, width, height, bandwidth, \
             average_bandwidth, codecs, playlist) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(media_version_id)
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
    Ok(())
}

/// Marks the session published, unless an editor withheld it: that outlasts a new version.
async fn mark_published(tx: &mut sqlx::AnyConnection, session_id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE sessions SET state = 'published', state_reason = NULL, updated_at = $1 \
         WHERE id = $2 AND state != 'withheld'",
    )
    .bind(now())
    .bind(session_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub(super) async fn withheld_rows(
    conn: &mut sqlx::AnyConnection,
    session_id: i64,
) -> Result<Vec<WithheldRange>> {
    let rows = sqlx::query(
        "SELECT start_ms, end_ms, reason FROM withheld_ranges WHERE session_id = $1 \
         ORDER BY start_ms, id",
    )
    .bind(session_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| WithheldRange {
            start_ms: r.get(0),
            end_ms: r.get(1),
            reason: r.get(2),
        })
        .collect())
}
