//! Live sessions: which session a stream key opens, and where its encoder is. The key is
//! never stored in clear, only its SHA-256, as for admin tokens.

use super::{now, Catalog, Result};
use crate::domain::LiveState;

/// A session armed for a live stream.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LiveStream {
    pub session_id: i64,
    pub state: LiveState,
    /// When it is to start on the session's day (`HH:MM`), if the editor said.
    pub starts_at: Option<String>,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
}

/// An armed session as the admin pages list it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LiveListed {
    pub session_id: i64,
    pub title: String,
    pub date: String,
    pub state: LiveState,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
}

impl Catalog {
    /// The sessions armed for a live stream, the latest armed first.
    pub async fn live_streams(&self, limit: i64) -> Result<Vec<LiveListed>> {
        Ok(sqlx::query_as(
            "SELECT l.session_id, s.title, s.date, l.state, l.started_at, l.ended_at \
             FROM live_streams l JOIN sessions s ON s.id = l.session_id \
             ORDER BY l.created_at DESC, l.session_id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Arms `session_id` for a live stream under a new key (its hash), or gives an armed
    /// session a new key: the old one opens nothing from then on. An encoder already
    /// pushing goes on; its session's state is kept, and its start time unless a new
    /// one is given.
    pub async fn arm_live(
        &self,
        session_id: i64,
        key_sha256: &str,
        starts_at: Option<&str>,
    ) -> Result<LiveStream> {
        sqlx::query(
            "INSERT INTO live_streams (session_id, key_sha256, state, starts_at, created_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (session_id) DO UPDATE SET key_sha256 = excluded.key_sha256, \
             starts_at = COALESCE(excluded.starts_at, live_streams.starts_at)",
        )
        .bind(session_id)
        .bind(key_sha256)
        .bind(LiveState::Scheduled)
        .bind(starts_at)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(self
            .live_stream(session_id)
            .await?
            .expect("the row was just written"))
    }

    /// The live stream of a session, if it was ever armed.
    pub async fn live_stream(&self, session_id: i64) -> Result<Option<LiveStream>> {
        Ok(sqlx::query_as(
            "SELECT session_id, state, starts_at, started_at, ended_at FROM live_streams \
             WHERE session_id = $1",
        )
        .bind(session_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The live stream a key opens, if any.
    pub async fn live_stream_by_key(&self, key_sha256: &str) -> Result<Option<LiveStream>> {
        Ok(sqlx::query_as(
            "SELECT session_id, state, starts_at, started_at, ended_at FROM live_streams \
             WHERE key_sha256 = $1",
        )
        .bind(key_sha256)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Notes that the encoder started pushing; a reconnect keeps the first start.
    pub async fn live_started(&self, session_id: i64) -> Result<()> {
        self.set_live_state(
            "UPDATE live_streams SET state = $1, started_at = COALESCE(started_at, $2), \
             ended_at = NULL WHERE session_id = $3",
            LiveState::Live,
            session_id,
        )
        .await
    }

    /// Notes that the encoder stopped and its recording went to the archive.
    pub async fn live_ended(&self, session_id: i64) -> Result<()> {
        self.set_live_state(
            "UPDATE live_streams SET state = $1, ended_at = $2 WHERE session_id = $3",
            LiveState::Ended,
            session_id,
        )
        .await
    }

    async fn set_live_state(&self, sql: &str, state: LiveState, session_id: i64) -> Result<()> {
        sqlx::query(sql)
            .bind(state)
            .bind(now())
            .bind(session_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Sessions whose live stream ended and whose recording the archive published (a
    /// media version made after the end) at or before `published_by`: their live files
    /// are no longer the only way to watch them.
    pub async fn live_streams_archived(&self, published_by: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT l.session_id FROM live_streams l WHERE l.state = $1 AND EXISTS \
             (SELECT 1 FROM media_versions m WHERE m.session_id = l.session_id \
              AND m.published_at >= l.ended_at AND m.published_at <= $2) \
             ORDER BY l.session_id",
        )
        .bind(LiveState::Ended)
        .bind(published_by)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Live streams whose encoder was pushing when a server stopped: nothing pushes to a
    /// server that has just started, so these are ended with what they recorded.
    pub async fn live_streams_left_live(&self) -> Result<Vec<LiveStream>> {
        Ok(sqlx::query_as(
            "SELECT session_id, state, starts_at, started_at, ended_at FROM live_streams \
             WHERE state = $1 ORDER BY session_id",
        )
        .bind(LiveState::Live)
        .fetch_all(&self.pool)
        .await?)
    }
}
