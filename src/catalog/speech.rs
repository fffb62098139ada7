//! The catalog's side of speech to text: queueing transcribe jobs, the chunks a running
//! transcription has finished (so a killed worker resumes), and the automatic transcript
//! stored as the session's cues, marked automatic. A human transcript always wins: an
//! automatic one is never stored over it, and importing one removes the automatic cues.

use sqlx::AnyConnection;

use super::changes::commit_change;
use super::{now, Catalog, Result};
use crate::domain::{CueSource, JobKind, TranscriptionState};

/// One finished chunk of a transcription under way.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TranscriptionChunk {
    pub start_ms: i64,
    pub end_ms: i64,
    /// JSON `[[text, start_ms, end_ms, probability], …]` in the heard version's timeline.
    pub words: String,
}

/// One cue of an automatic transcript, in the original recording's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct AutomaticCue {
    pub start_ms: i64,
    pub end_ms: i64,
    pub text: String,
    pub confidence: f64,
}

/// What is known of a session's automatic transcript.
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct Transcription {
    pub media_dir: String,
    pub engine: String,
    pub model: String,
    pub state: TranscriptionState,
    pub words: i64,
    pub confidence: Option<f64>,
    pub updated_at: i64,
}

/// One cue as an editor set it, in the published media's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct EditedCue {
    pub start_ms: i64,
    pub end_ms: i64,
    pub text: String,
}

/// What became of an editor's corrections.
#[derive(Debug, Clone, PartialEq)]
pub enum Correction {
    /// Stored: this many cues, of which this many differ from what the engine heard.
    Stored { cues: usize, corrected: usize },
    /// The session's transcript is a human one: corrected by uploading a new one.
    HumanTranscript,
}

/// The automatic transcript to store, with what made it.
#[derive(Debug)]
pub struct NewTranscription<'a> {
    pub session_id: i64,
    pub media_dir: &'a str,
    pub engine: &'a str,
    pub model: &'a str,
    pub words: i64,
    pub cues: &'a [AutomaticCue],
}

impl Catalog {
    /// Queues a transcribe job for the session unless one is waiting or running: the job's
    /// id, and whether it is new.
    pub async fn queue_transcribe(&self, session_id: i64) -> Result<(i64, bool)> {
        let mut tx = self.write().await?;
        let queued = queue_transcribe_in(&mut tx, session_id).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// Published sessions with neither a human transcript nor an automatic one, oldest
    /// first: what `aula transcribe --all-missing` queues.
    pub async fn sessions_without_transcript(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT s.id FROM sessions s WHERE s.state = 'published' \
             AND NOT EXISTS (SELECT 1 FROM transcript_cues c WHERE c.session_id = s.id \
                 AND c.source = 'human') \
             AND NOT EXISTS (SELECT 1 FROM transcriptions t WHERE t.session_id = s.id) \
             ORDER BY s.id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Whether the session has cues from a human transcript.
    pub async fn has_human_transcript(&self, session_id: i64) -> Result<bool> {
        let mut conn = self.pool.acquire().await?;
        has_human_in(&mut conn, session_id).await
    }

    /// The chunks already heard of the session's version `media_dir`, in time order.
    pub async fn transcription_chunks(
        &self,
        session_id: i64,
        media_dir: &str,
    ) -> Result<Vec<TranscriptionChunk>> {
        Ok(sqlx::query_as(
            "SELECT start_ms, end_ms, words FROM transcription_chunks \
             WHERE session_id = $1 AND media_dir = $2 ORDER BY start_ms",
        )
        .bind(session_id)
        .bind(media_dir)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Keeps what one chunk heard (replacing an earlier attempt's).
    pub async fn save_transcription_chunk(
        &self,
        session_id: i64,
        media_dir: &str,
        chunk: &TranscriptionChunk,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "DELETE FROM transcription_chunks WHERE session_id = $1 AND media_dir = $2 \
             AND start_ms = $3",
        )
        .bind(session_id)
        .bind(media_dir)
        .bind(chunk.start_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO transcription_chunks (session_id, media_dir, start_ms, end_ms, words) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(session_id)
        .bind(media_dir)
        .bind(chunk.start_ms)
        .bind(chunk.end_ms)
        .bind(&chunk.words)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores the automatic transcript in place of the previous one, and forgets the
    /// chunks; false (and nothing stored) when the session has a human transcript by now.
    pub async fn store_transcription(&self, t: &NewTranscription<'_>) -> Result<bool> {
        let mut tx = self.write().await?;
        let human = has_human_in(&mut tx, t.session_id).await?;
        sqlx::query("DELETE FROM transcription_chunks WHERE session_id = $1")
            .bind(t.session_id)
            .execute(&mut *tx)
            .await?;
        if human {
            tx.commit().await?;
            return Ok(false);
        }
        // What editors corrected stays; the engine's new words fill the rest.
        sqlx::query("DELETE FROM transcript_cues WHERE session_id = $1 AND source = 'automatic'")
            .bind(t.session_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM transcriptions WHERE session_id = $1")
            .bind(t.session_id)
            .execute(&mut *tx)
            .await?;
        let corrected: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT start_ms, end_ms FROM transcript_cues WHERE session_id = $1 \
             AND source = 'corrected'",
        )
        .bind(t.session_id)
        .fetch_all(&mut *tx)
        .await?;
        let free = |c: &&AutomaticCue| {
            !corrected
                .iter()
                .any(|&(a, b)| c.start_ms < b && c.end_ms > a)
        };
        for cue in t.cues.iter().filter(free) {
            let row = CueInsert {
                source: CueSource::Automatic,
                confidence: Some(cue.confidence),
                ..CueInsert::new(t.session_id, cue.start_ms, cue.end_ms, &cue.text)
            };
            insert_cue(&mut tx, &row).await?;
        }
        let confidence = (!t.cues.is_empty())
            .then(|| t.cues.iter().map(|c| c.confidence).sum::<f64>() / t.cues.len() as f64);
        let state = if t.cues.is_empty() {
            TranscriptionState::Empty
        } else {
            TranscriptionState::Done
        };
        sqlx::query(
            "INSERT INTO transcriptions (session_id, media_dir, engine, model, state, words, \
             confidence, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(t.session_id)
        .bind(t.media_dir)
        .bind(t.engine)
        .bind(t.model)
        .bind(state)
        .bind(t.words)
        .bind(confidence)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        commit_change(tx, t.session_id).await?;
        Ok(true)
    }

    /// An editor's version of the automatic transcript, replacing what was shown (cues in
    /// withheld ranges, which the editor did not see, are kept). A cue the same as one the
    /// engine heard stays the engine's; any other is marked corrected, and is kept when
    /// the engine hears the session again.
    pub async fn correct_transcript(
        &self,
        session_id: i64,
        cues: &[EditedCue],
    ) -> Result<Correction> {
        let cuts = self.current_cuts(session_id).await?;
        let withheld = self.withheld_ranges(session_id).await?;
        let mut tx = self.write().await?;
        if has_human_in(&mut tx, session_id).await? {
            return Ok(Correction::HumanTranscript);
        }
        let before: Vec<(i64, i64, i64, String, CueSource)> = sqlx::query_as(
            "SELECT id, start_ms, end_ms, text, source FROM transcript_cues \
             WHERE session_id = $1",
        )
        .bind(session_id)
        .fetch_all(&mut *tx)
        .await?;
        let hidden = |a: i64, b: i64| withheld.iter().any(|w| a < w.end_ms && b > w.start_ms);
        for (id, start, end, ..) in &before {
            if !hidden(*start, *end) {
                sqlx::query("DELETE FROM transcript_cues WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let mut corrected = 0;
        for cue in cues {
            let start = cuts.original_time(cue.start_ms);
            let end = cuts.original_time((cue.end_ms - 1).max(cue.start_ms)) + 1;
            let heard = before.iter().any(|(_, a, b, text, source)| {
                *source == CueSource::Automatic && (*a, *b) == (start, end) && *text == cue.text
            });
            let source = if heard {
                CueSource::Automatic
            } else {
                corrected += 1;
                CueSource::Corrected
            };
            let row = CueInsert {
                source,
                ..CueInsert::new(session_id, start, end, &cue.text)
            };
            insert_cue(&mut tx, &row).await?;
        }
        commit_change(tx, session_id).await?;
        Ok(Correction::Stored {
            cues: cues.len(),
            corrected,
        })
    }

    /// The session's automatic transcript, if one was made.
    pub async fn transcription(&self, session_id: i64) -> Result<Option<Transcription>> {
        Ok(sqlx::query_as(
            "SELECT media_dir, engine, model, state, words, confidence, updated_at \
             FROM transcriptions WHERE session_id = $1",
        )
        .bind(session_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Whether a transcribe job of the session is waiting or running.
    pub async fn transcribing(&self, session_id: i64) -> Result<bool> {
        let mut conn = self.pool.acquire().await?;
        Ok(pending_transcribe(&mut conn, session_id).await?.is_some())
    }
}

/// One row of `transcript_cues` as written: a human transcript's (with its document and
/// speaker) or the speech engine's (with its confidence); times in the original's timeline.
pub(super) struct CueInsert<'a> {
    pub session_id: i64,
    pub document_id: Option<i64>,
    pub start_ms: i64,
    pub end_ms: i64,
    pub speaker: Option<&'a str>,
    pub text: &'a str,
    pub source: CueSource,
    pub confidence: Option<f64>,
}

impl<'a> CueInsert<'a> {
    /// A human cue with no document or speaker; the fields that differ are set after.
    pub(super) fn new(session_id: i64, start_ms: i64, end_ms: i64, text: &'a str) -> Self {
        CueInsert {
            session_id,
            document_id: None,
            start_ms,
            end_ms,
            speaker: None,
            text,
            source: CueSource::Human,
            confidence: None,
        }
    }
}

/// Writes one cue: the one place transcript cues are inserted.
pub(super) async fn insert_cue(tx: &mut AnyConnection, c: &CueInsert<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO transcript_cues (session_id, document_id, start_ms, end_ms, speaker, \
         text, source, confidence) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(c.session_id)
    .bind(c.document_id)
    .bind(c.start_ms)
    .bind(c.end_ms)
    .bind(c.speaker)
    .bind(c.text)
    .bind(c.source)
    .bind(c.confidence)
    .execute(tx)
    .await?;
    Ok(())
}

/// Whether the session has cues from a human transcript (which always wins).
async fn has_human_in(conn: &mut AnyConnection, session_id: i64) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM transcript_cues WHERE session_id = $1 AND source = 'human' LIMIT 1",
    )
    .bind(session_id)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// The session's transcribe job that is waiting or running, if any.
async fn pending_transcribe(conn: &mut AnyConnection, session_id: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM jobs WHERE session_id = $1 AND kind = 'transcribe' \
         AND state IN ('queued', 'running') LIMIT 1",
    )
    .bind(session_id)
    .fetch_optional(conn)
    .await?)
}

/// Queues a transcribe job in `tx` unless the session has one waiting or running: the
/// job's id, and whether it is new.
pub(super) async fn queue_transcribe_in(
    tx: &mut AnyConnection,
    session_id: i64,
) -> Result<(i64, bool)> {
    if let Some(id) = pending_transcribe(tx, session_id).await? {
        return Ok((id, false));
    }
    let id = super::jobs::insert_job(tx, JobKind::Transcribe, session_id, "{}").await?;
    Ok((id, true))
}

/// Whether a newly published session should be heard: no human transcript, no automatic
/// one yet.
pub(super) async fn wants_transcript(tx: &mut AnyConnection, session_id: i64) -> Result<bool> {
    let has: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM transcript_cues WHERE session_id = $1 AND source = 'human' \
         UNION ALL SELECT 1 FROM transcriptions WHERE session_id = $2 LIMIT 1",
    )
    .bind(session_id)
    .bind(session_id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(has.is_none())
}

/// Removes the session's automatic cues (corrected ones too) and the record of its
/// automatic transcript: a human transcript replaces them.
pub(super) async fn remove_automatic_cues(tx: &mut AnyConnection, session_id: i64) -> Result<()> {
    sqlx::query(
        "DELETE FROM transcript_cues WHERE session_id = $1 \
         AND source IN ('automatic', 'corrected')",
    )
    .bind(session_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM transcriptions WHERE session_id = $1")
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
