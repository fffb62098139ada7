//! What citizens may read: public sessions, archive pages, agendas, documents and cues as
//! the public media play them. Lists, counts and downloads filter by publication; `session`
//! and its parts answer for any session, so their callers check `SessionRow::is_public`
//! (`public_session` does). It must never write, and never list what an editor withheld.

use sqlx::Row;

use super::{
    AgendaItem, Catalog, CueRow, DocumentRow, Result, SessionRow, PUBLIC, SESSION_COLUMNS,
};

/// Which part of the public archive a page lists.
#[derive(Debug, Clone, Copy, Default)]
pub struct ArchiveFilter {
    pub body_id: Option<i64>,
    pub year: Option<i32>,
}

/// A document's stored file and how to hand it out.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DocumentFile {
    /// Relative to the data directory.
    pub stored_path: String,
    pub original_name: String,
    pub media_type: String,
}

/// One page of the public archive.
#[derive(Debug, Clone)]
pub struct ArchivePage {
    pub sessions: Vec<SessionRow>,
    /// How many sessions match the filter on every page.
    pub total: i64,
}

/// A public session with all its page shows, each part as citizens may see it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PublicSession {
    pub session: SessionRow,
    /// Start times as the public media play them.
    pub agenda: Vec<AgendaItem>,
    /// Without a transcript while ranges are withheld.
    pub documents: Vec<DocumentRow>,
    /// Without what was said in a withheld range; a human transcript's, or else the speech
    /// engine's (`CueRow::source`).
    pub cues: Vec<CueRow>,
    /// A transcription of it is waiting or running.
    pub transcribing: bool,
}

impl Catalog {
    /// A session with its agenda, documents and cues; None if there is no such session or
    /// it is not public (withheld, or outside its publication window).
    pub async fn public_session(&self, id: i64) -> Result<Option<PublicSession>> {
        let (session, agenda, documents, cues, transcribing) = tokio::try_join!(
            self.session(id),
            self.agenda(id),
            self.documents(id),
            self.cues(id),
            self.transcribing(id)
        )?;
        Ok(session
            .filter(SessionRow::is_public)
            .map(|session| PublicSession {
                session,
                agenda,
                documents,
                cues,
                transcribing,
            }))
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
            .sessions)
    }

    /// One page of the public archive, newest first, with how many sessions match in all.
    pub async fn archive_page(
        &self,
        filter: &ArchiveFilter,
        limit: i64,
        offset: i64,
    ) -> Result<ArchivePage> {
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
        Ok(ArchivePage {
            sessions: rows,
            total,
        })
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

    /// A session's transcript, whole: the human one if any, else the engine's, in the
    /// original timeline, withheld ranges included. Never shown as it is (`cues` is what
    /// citizens see); speakers are read from it, since who spoke around a withheld range
    /// is still who spoke.
    pub async fn whole_transcript(&self, session_id: i64) -> Result<Vec<CueRow>> {
        Ok(sqlx::query_as(
            "SELECT start_ms, end_ms, speaker, text, source, confidence FROM transcript_cues \
             WHERE session_id = $1 AND (source = 'human' OR NOT EXISTS (SELECT 1 FROM \
             transcript_cues h WHERE h.session_id = $2 AND h.source = 'human')) \
             ORDER BY start_ms, id",
        )
        .bind(session_id)
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The session's transcript cues in time order, as the public media plays them: what
    /// was said in a cut range is left out, later cues move back by the cut's length. A
    /// human transcript's cues when there is one, otherwise the automatic transcript's.
    pub async fn cues(&self, session_id: i64) -> Result<Vec<CueRow>> {
        let rows = self.whole_transcript(session_id).await?;
        let turns = self.turns(session_id).await?;
        let rows: Vec<CueRow> = rows
            .into_iter()
            .map(|mut cue| {
                let turn = crate::people::speaker_at(&turns, cue.start_ms);
                cue.person = turn.and_then(|t| t.person.clone());
                cue.person_inferred = cue.person.is_some()
                    && turn.is_some_and(|t| t.source == crate::domain::Provenance::Inferred);
                cue
            })
            .collect();
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

    /// A stored document for download, if its session is public (and, for a transcript,
    /// has no withheld range).
    pub async fn document_file(&self, id: i64) -> Result<Option<DocumentFile>> {
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
}
