//! The search change log: every write that changes what search shows notes the session
//! here, and search servers follow it. It must not know about the index itself.

use sqlx::{AnyConnection, Row};

use crate::domain::DocumentKind;

use super::{now, AgendaItem, Catalog, CueRow, Result, SessionRow, REINDEX_ALL};

/// Everything search indexes about one session.
#[derive(Debug, Clone)]
pub struct SearchSource {
    pub session: SessionRow,
    pub agenda: Vec<AgendaItem>,
    pub documents: Vec<SourceDocument>,
    pub cues: Vec<CueRow>,
}

/// A document's extracted text, as search indexes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDocument {
    pub kind: DocumentKind,
    pub text: String,
}

/// Sessions changed after a point of the change log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeBatch {
    /// Each once, oldest change first; `REINDEX_ALL` asks for a full rebuild.
    pub sessions: Vec<i64>,
    /// The newest change seen: where the next batch starts.
    pub last_seq: i64,
}

impl Catalog {
    /// Asks every server to rebuild its search index from the catalog.
    pub async fn request_reindex(&self) -> Result<()> {
        commit_change(self.write().await?, REINDEX_ALL).await
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
        .map(|row| {
            Ok(SourceDocument {
                kind: row.try_get(0)?,
                text: row.try_get(1)?,
            })
        })
        .collect::<std::result::Result<_, sqlx::Error>>()?;
        let cues = self.cues(session_id).await?;
        Ok(Some(SearchSource {
            session,
            agenda,
            documents,
            cues,
        }))
    }

    /// Sessions changed after `seq`, oldest change first, each once, with the newest seq seen.
    pub async fn changes_since(&self, seq: i64, limit: i64) -> Result<ChangeBatch> {
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
        Ok(ChangeBatch {
            sessions: ids,
            last_seq: last,
        })
    }

    /// Sessions whose publication window opens or closes in `(after, until]`.
    pub async fn window_boundaries_between(&self, after: i64, until: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM sessions WHERE (publish_from > $1 AND publish_from <= $2) \
             OR (publish_until > $3 AND publish_until <= $4) ORDER BY id",
        )
        .bind(after)
        .bind(until)
        .bind(after)
        .bind(until)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// Ends a write that changed a session: noted for the search index, then committed.
pub(super) async fn commit_change(mut tx: super::Tx, session_id: i64) -> Result<()> {
    note_change(&mut tx, session_id).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn note_change(tx: &mut AnyConnection, session_id: i64) -> Result<()> {
    sqlx::query("INSERT INTO search_changes (session_id, changed_at) VALUES ($1, $2)")
        .bind(session_id)
        .bind(now())
        .execute(tx)
        .await?;
    Ok(())
}
