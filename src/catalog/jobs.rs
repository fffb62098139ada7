//! The job queue's SQL: queueing transcodes, claiming under a lease, progress, finishing,
//! retrying and releasing, and a session's state when its job fails for good. It must not
//! run jobs (that is `ingest::worker`) nor decide retries' delays.

use sqlx::AnyConnection;

use super::changes::{commit_change, note_change};
use crate::domain::{JobKind, JobState};

use super::{now, Backend, Catalog, JobRow, Result};

const JOB_COLUMNS: &str =
    "id, kind, session_id, payload, state, attempts, max_attempts, run_after, \
     lease_owner, lease_expires_at, progress, speed, eta_seconds, error, created_at, updated_at";

/// How many jobs are in one state.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobCount {
    pub state: JobState,
    pub jobs: i64,
}

/// What a running job reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JobProgress {
    pub percent: f64,
    pub speed: Option<f64>,
    pub eta_seconds: Option<i64>,
}

impl Catalog {
    pub async fn job(&self, id: i64) -> Result<Option<JobRow>> {
        Ok(
            sqlx::query_as(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Jobs, newest first, optionally only those in one state.
    pub async fn jobs(&self, state: Option<JobState>, limit: i64) -> Result<Vec<JobRow>> {
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
    pub async fn job_counts(&self) -> Result<Vec<JobCount>> {
        Ok(
            sqlx::query_as(
                "SELECT state, COUNT(*) AS jobs FROM jobs GROUP BY state ORDER BY state",
            )
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

    /// Claims the oldest job of `kind` that is ready to run, or whose worker's lease
    /// expired. A job whose worker vanished on its last allowed attempt is failed instead,
    /// with its session if it was a transcode.
    pub async fn claim_next_job(
        &self,
        owner: &str,
        lease_seconds: i64,
        kind: JobKind,
    ) -> Result<Option<JobRow>> {
        let now = now();
        let abandoned: Vec<(i64, Option<i64>, JobKind)> = sqlx::query_as(
            "UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_expires_at = NULL, \
             error = 'the worker running it stopped responding on every attempt (' || attempts || ')', \
             updated_at = $1 WHERE state = 'running' AND lease_expires_at < $2 \
             AND attempts >= max_attempts RETURNING id, session_id, kind",
        )
        .bind(now)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        for (id, session, abandoned_kind) in abandoned {
            if let (Some(session), JobKind::Transcode) = (session, abandoned_kind) {
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
             AND kind = $4 ORDER BY run_after, id LIMIT 1";
        if self.backend == Backend::Postgres {
            return self
                .claim_next_job_locked(READY, owner, lease_seconds, kind)
                .await;
        }
        let candidate: Option<(i64, Option<i64>)> = sqlx::query_as(READY)
            .bind(now)
            .bind(now)
            .bind(now)
            .bind(kind)
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
        kind: JobKind,
    ) -> Result<Option<JobRow>> {
        let now = now();
        let mut tx = self.pool.begin().await?;
        let candidate: Option<(i64, Option<i64>)> =
            sqlx::query_as(&format!("{ready} FOR UPDATE SKIP LOCKED"))
                .bind(now)
                .bind(now)
                .bind(now)
                .bind(kind)
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
        let state = if error.is_some() {
            JobState::Failed
        } else {
            JobState::Done
        };
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
        commit_change(tx, session_id).await?;
        Ok(())
    }
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

/// The session's queued transcode job, or a new one. A job already queued reads the
/// recording and the withheld ranges when it starts, so it serves for this change too;
/// a running one does not. `hide_current` stops serving the current media meanwhile.
pub(super) async fn queue_transcode(
    tx: &mut sqlx::AnyConnection,
    session_id: i64,
    hide_current: bool,
) -> Result<i64> {
    let now = now();
    let queued: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM jobs WHERE session_id = $1 AND kind = 'transcode' AND state = 'queued' \
         ORDER BY id LIMIT 1",
    )
    .bind(session_id)
    .fetch_optional(&mut *tx)
    .await?;
    // Whatever it waited for before, this change is new work: run it now, afresh. Only
    // while it is still queued: a worker may claim it meanwhile (on PostgreSQL claims do
    // not wait for writers), and then a new job is needed.
    let reset = match queued {
        Some(id) => {
            sqlx::query(
                "UPDATE jobs SET attempts = 0, run_after = $1, error = NULL, updated_at = $2 \
             WHERE id = $3 AND state = 'queued'",
            )
            .bind(now)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        }
        None => false,
    };
    let job_id = match queued {
        Some(id) if reset => id,
        _ => insert_job(tx, JobKind::Transcode, session_id, "{}").await?,
    };
    let states = if hide_current {
        "('pending', 'failed', 'published')"
    } else {
        "('pending', 'failed')"
    };
    sqlx::query(&format!(
        "UPDATE sessions SET state = 'processing', state_reason = NULL, updated_at = $1 \
         WHERE id = $2 AND state IN {states}"
    ))
    .bind(now)
    .bind(session_id)
    .execute(&mut *tx)
    .await?;
    note_change(&mut *tx, session_id).await?;
    Ok(job_id)
}

/// Queues a job of `kind` for the session, due now; its id.
pub(super) async fn insert_job(
    tx: &mut AnyConnection,
    kind: JobKind,
    session_id: i64,
    payload: &str,
) -> Result<i64> {
    insert(tx, kind, Some(session_id), payload).await
}

/// A job about no session (a message to send), its subject in `payload`. It is tried
/// more often than the default: with the backoff doubling, an SMTP server may be away
/// for hours before a message is given up.
pub(super) async fn insert_job_without_session(
    tx: &mut AnyConnection,
    kind: JobKind,
    payload: &str,
) -> Result<i64> {
    let id = insert(tx, kind, None, payload).await?;
    sqlx::query("UPDATE jobs SET max_attempts = $1 WHERE id = $2")
        .bind(MAIL_ATTEMPTS)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(id)
}

/// Attempts of a job without a session (30 s doubled nine times: about four hours).
const MAIL_ATTEMPTS: i64 = 10;

async fn insert(
    tx: &mut AnyConnection,
    kind: JobKind,
    session_id: Option<i64>,
    payload: &str,
) -> Result<i64> {
    let now = now();
    Ok(sqlx::query_scalar(
        "INSERT INTO jobs (kind, session_id, payload, state, run_after, created_at, updated_at) \
         VALUES ($1, $2, $3, 'queued', $4, $5, $6) RETURNING id",
    )
    .bind(kind)
    .bind(session_id)
    .bind(payload)
    .bind(now)
    .bind(now)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?)
}
