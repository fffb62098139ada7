//! What editors change about a session through the admin API: announcing it, its
//! fields, agenda, publication (withholding) and ranges withheld from the public media.
//! It must not read for the public (see `public`) nor claim or finish jobs (see `jobs`).

use super::changes::commit_change;
use super::intake::insert_agenda_item;
use super::jobs::queue_transcode;
use super::media::withheld_rows;
use crate::domain::SessionState;

use super::{now, Catalog, Cuts, Result, WithheldRange};

/// The fields of a session an editor may change; `None` leaves one as it is.
#[derive(Debug, Default)]
pub struct SessionPatch {
    pub body_id: Option<i64>,
    pub date: Option<String>,
    pub title: Option<String>,
    pub kind: Option<String>,
    pub number: Option<Option<i64>>,
    pub publish_from: Option<Option<i64>>,
    pub publish_until: Option<Option<i64>>,
}

impl Catalog {
    /// A session announced before its recording arrives: `pending` until one is uploaded.
    pub async fn create_pending_session(
        &self,
        body_id: i64,
        date: &str,
        title: &str,
        kind: &str,
        number: Option<i64>,
        window: (Option<i64>, Option<i64>),
    ) -> Result<i64> {
        let mut tx = self.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sessions (body_id, date, title, kind, number, publish_from, publish_until, \
             state, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9) RETURNING id",
        )
        .bind(body_id)
        .bind(date)
        .bind(title)
        .bind(kind)
        .bind(number)
        .bind(window.0)
        .bind(window.1)
        .bind(now())
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        commit_change(tx, id).await?;
        Ok(id)
    }

    /// Applies an editor's changes; false if there is no such session.
    pub async fn update_session(&self, id: i64, patch: &SessionPatch) -> Result<bool> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE sessions SET body_id = COALESCE($1, body_id), date = COALESCE($2, date), \
             title = COALESCE($3, title), kind = COALESCE($4, kind), \
             number = CASE WHEN $5 THEN $6 ELSE number END, \
             publish_from = CASE WHEN $7 THEN $8 ELSE publish_from END, \
             publish_until = CASE WHEN $9 THEN $10 ELSE publish_until END, \
             updated_at = $11 WHERE id = $12",
        )
        .bind(patch.body_id)
        .bind(&patch.date)
        .bind(&patch.title)
        .bind(&patch.kind)
        .bind(patch.number.is_some())
        .bind(patch.number.flatten())
        .bind(patch.publish_from.is_some())
        .bind(patch.publish_from.flatten())
        .bind(patch.publish_until.is_some())
        .bind(patch.publish_until.flatten())
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(false);
        }
        commit_change(tx, id).await?;
        Ok(true)
    }

    /// Replaces a session's agenda: (number, title, start in the original, ms).
    pub async fn replace_agenda(
        &self,
        session_id: i64,
        items: &[(Option<String>, String, Option<i64>)],
    ) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM agenda_items WHERE session_id = $1")
            .bind(session_id)
            .execute(&mut *tx)
            .await?;
        for (i, (number, title, start_ms)) in items.iter().enumerate() {
            insert_agenda_item(
                &mut tx,
                session_id,
                i as i64 + 1,
                number.as_deref(),
                title,
                *start_ms,
            )
            .await?;
        }
        commit_change(tx, session_id).await?;
        Ok(())
    }

    /// Withholds a session from the public (`reason` given) or publishes it again (`None`):
    /// then it shows its media if it has some, and otherwise waits for them. False if
    /// there is no such session.
    pub async fn set_withheld(&self, id: i64, reason: Option<&str>) -> Result<bool> {
        let mut tx = self.write().await?;
        let stored: Option<SessionState> =
            sqlx::query_scalar("SELECT state FROM sessions WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(stored) = stored else {
            return Ok(false);
        };
        let (state, why) = match reason {
            Some(reason) => (SessionState::Withheld, Some(reason.to_string())),
            None if stored != SessionState::Withheld => return Ok(true),
            None => self.state_when_published(&mut tx, id).await?,
        };
        sqlx::query(
            "UPDATE sessions SET state = $1, state_reason = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(state)
        .bind(why)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        commit_change(tx, id).await?;
        Ok(true)
    }

    /// What a withheld session becomes when it is published again: its media only if
    /// they were made without every range withheld now.
    async fn state_when_published(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: i64,
    ) -> Result<(SessionState, Option<String>)> {
        let active: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM jobs WHERE session_id = $1 AND state IN ('queued', 'running') LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if active.is_some() {
            return Ok((SessionState::Processing, None));
        }
        let latest: Option<Option<String>> = sqlx::query_scalar(
            "SELECT cuts FROM media_versions WHERE session_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let wanted = Cuts::new(
            withheld_rows(&mut *tx, id)
                .await?
                .iter()
                .map(|r| (r.start_ms, r.end_ms))
                .collect(),
        );
        match latest {
            Some(cuts) if Cuts::from_json(cuts.as_deref()) == wanted => {
                Ok((SessionState::Published, None))
            }
            Some(_) => Ok((
                SessionState::Failed,
                Some(
                    "no version without the withheld ranges has been made yet: reprocess it".into(),
                ),
            )),
            None => {
                let failed: Option<Option<String>> = sqlx::query_scalar(
                    "SELECT error FROM jobs WHERE session_id = $1 AND state = 'failed' \
                     ORDER BY id DESC LIMIT 1",
                )
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                Ok(match failed {
                    Some(error) => (SessionState::Failed, error),
                    None => (SessionState::Pending, None),
                })
            }
        }
    }

    /// Queues a new transcode of the session's recording (a new media version); None if
    /// it has no recording yet.
    pub async fn queue_reprocess(&self, session_id: i64) -> Result<Option<i64>> {
        let mut tx = self.write().await?;
        if !has_recording(&mut tx, session_id).await? {
            return Ok(None);
        }
        let job_id = queue_transcode(&mut tx, session_id, false).await?;
        tx.commit().await?;
        Ok(Some(job_id))
    }

    /// Replaces the withheld ranges and queues the version made without them. Until it is
    /// published the current media are not served (they still hold what is withheld now).
    /// None if the session has no recording.
    pub async fn set_withheld_ranges(
        &self,
        session_id: i64,
        ranges: &[WithheldRange],
    ) -> Result<Option<i64>> {
        let mut tx = self.write().await?;
        if !has_recording(&mut tx, session_id).await? {
            return Ok(None);
        }
        sqlx::query("DELETE FROM withheld_ranges WHERE session_id = $1")
            .bind(session_id)
            .execute(&mut *tx)
            .await?;
        for r in ranges {
            sqlx::query(
                "INSERT INTO withheld_ranges (session_id, start_ms, end_ms, reason, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(session_id)
            .bind(r.start_ms)
            .bind(r.end_ms)
            .bind(&r.reason)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        }
        let job_id = queue_transcode(&mut tx, session_id, true).await?;
        tx.commit().await?;
        Ok(Some(job_id))
    }
}

async fn has_recording(tx: &mut sqlx::AnyConnection, session_id: i64) -> Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM recordings WHERE session_id = $1 LIMIT 1")
            .bind(session_id)
            .fetch_optional(tx)
            .await?;
    Ok(found.is_some())
}
