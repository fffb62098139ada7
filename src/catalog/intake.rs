//! What ingest records: a new session with its recording, more recording parts, its
//! documents, agenda and transcript cues, and the checks it makes before storing a file.
//! It must not decide what is public (see `public`) nor run jobs (see `jobs`).

use sqlx::AnyConnection;

use super::changes::{commit_change, note_change};
use super::jobs::{insert_job, queue_transcode};
use crate::domain::{DocumentKind, ExtractionState, JobKind};

use super::{now, BodyName, Catalog, Result, SessionDate, SessionTitle};

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
    /// As the clerk named it; the catalog keeps `kind.stored()`.
    pub kind: DocumentKind,
    pub original_name: &'a str,
    pub sha256: &'a str,
    pub size_bytes: i64,
    pub stored_path: &'a str,
    pub media_type: &'a str,
    pub text: Option<&'a str>,
    pub extraction_state: ExtractionState,
    pub extraction_note: Option<&'a str>,
}

#[derive(Debug)]
pub struct NewCue<'a> {
    pub start_ms: i64,
    pub end_ms: i64,
    pub speaker: Option<&'a str>,
    pub text: &'a str,
}

/// What `create_session` made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreatedSession {
    pub session_id: i64,
    /// The transcode job queued for its recording.
    pub job_id: i64,
}

impl Catalog {
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
    /// and a transcode job, atomically.
    pub async fn create_session(
        &self,
        session: &NewSession<'_>,
        parts: &[NewRecording<'_>],
        job_payload: &str,
    ) -> Result<CreatedSession> {
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
        let job_id = insert_job(&mut tx, JobKind::Transcode, session_id, job_payload).await?;
        commit_change(tx, session_id).await?;
        Ok(CreatedSession { session_id, job_id })
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
        .bind(doc.kind.stored())
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
            insert_agenda_item(
                &mut tx,
                session_id,
                first + offset as i64,
                number.as_deref(),
                title,
                None,
            )
            .await?;
        }
        commit_change(tx, session_id).await?;
        Ok(id)
    }

    /// Stores a transcript's timed cues (replacing any the document had, and the
    /// session's automatic transcript).
    pub async fn add_cues(
        &self,
        session_id: i64,
        document_id: i64,
        cues: &[NewCue<'_>],
    ) -> Result<()> {
        let mut tx = self.write().await?;
        // A human transcript replaces the automatic one.
        super::speech::remove_automatic_cues(&mut tx, session_id).await?;
        sqlx::query("DELETE FROM transcript_cues WHERE document_id = $1")
            .bind(document_id)
            .execute(&mut *tx)
            .await?;
        for cue in cues {
            let row = super::speech::CueInsert {
                document_id: Some(document_id),
                speaker: cue.speaker,
                ..super::speech::CueInsert::new(session_id, cue.start_ms, cue.end_ms, cue.text)
            };
            super::speech::insert_cue(&mut tx, &row).await?;
        }
        commit_change(tx, session_id).await?;
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
                let number = number.as_deref();
                insert_agenda_item(
                    &mut tx,
                    session_id,
                    position,
                    number,
                    title,
                    Some(*start_ms),
                )
                .await?;
            }
        }
        commit_change(tx, session_id).await?;
        Ok(())
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

    /// Adds a recording as the session's next part and makes sure a transcode is queued.
    /// Returns (part number, job id).
    pub async fn add_recording_part(
        &self,
        session_id: i64,
        recording: &NewRecording<'_>,
    ) -> Result<(i64, i64)> {
        let mut tx = self.write().await?;
        let part: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(part), 0) + 1 FROM recordings WHERE session_id = $1",
        )
        .bind(session_id)
        .fetch_one(&mut *tx)
        .await?;
        insert_recording(&mut tx, session_id, part, recording).await?;
        let job_id = queue_transcode(&mut tx, session_id, false).await?;
        tx.commit().await?;
        Ok((part, job_id))
    }

    /// Whether the session has a document with this content already.
    pub async fn has_document(&self, session_id: i64, sha256: &str) -> Result<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM documents WHERE session_id = $1 AND sha256 = $2")
                .bind(session_id)
                .bind(sha256)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    /// Whether a recording or document points at this stored original.
    pub async fn is_stored_path_used(&self, path: &str) -> Result<bool> {
        let used: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM recordings WHERE stored_path = $1 \
             UNION ALL SELECT 1 FROM documents WHERE stored_path = $1 LIMIT 1",
        )
        .bind(path)
        .fetch_optional(&self.pool)
        .await?;
        Ok(used.is_some())
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

/// One agenda item at `position`; `start_ms` is where it starts in the original.
pub(super) async fn insert_agenda_item(
    tx: &mut AnyConnection,
    session_id: i64,
    position: i64,
    number: Option<&str>,
    title: &str,
    start_ms: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO agenda_items (session_id, position, number, title, start_ms) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(session_id)
    .bind(position)
    .bind(number)
    .bind(title)
    .bind(start_ms)
    .execute(tx)
    .await?;
    Ok(())
}
