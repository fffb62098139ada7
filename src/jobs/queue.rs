//! The library's side of the job queue: the catalog's job methods, wrapped so that a
//! worker records what became of a job even through a short database outage, plus the
//! pure rules (retry delays, worker names, what a job's row says about its end). SQL stays
//! in `crate::catalog`; what to run stays in `worker` and the job kinds.

use std::time::Duration;

use crate::catalog::{Catalog, CatalogError, JobRow};
use crate::domain::{JobKind, JobState};

/// A name for a worker that tells the job list where it runs: host, process, slot.
pub fn worker_name(slot: usize) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{host}:{}:{slot}", std::process::id())
}

/// Delay before retry number `attempt` (1 = after the first failure): base, 2×, 4×… at
/// most a day.
pub fn backoff_seconds(base: i64, attempt: i64) -> i64 {
    let doublings = (attempt - 1).clamp(0, 16) as u32;
    base.max(0).saturating_mul(1 << doublings).min(86_400)
}

/// Runs a catalog step again while the database cannot be reached (for up to ten
/// minutes), so that an outage neither throws a finished transcode away nor makes another
/// worker run the job a second time.
pub(crate) async fn until_reachable<T, F, Fut>(what: &str, mut step: F) -> Result<T, CatalogError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, CatalogError>>,
{
    let started = std::time::Instant::now();
    loop {
        match step().await {
            Err(e) if e.is_unavailable() && started.elapsed() < Duration::from_secs(600) => {
                tracing::warn!("{what}: {e}; trying again in a second");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            other => return other,
        }
    }
}

/// Takes the next job of `kind` that is due for `owner`, for `lease_s` seconds; None
/// when none is.
pub async fn claim_next(
    catalog: &Catalog,
    owner: &str,
    lease_s: i64,
    kind: JobKind,
) -> Result<Option<JobRow>, CatalogError> {
    catalog.claim_next_job(owner, lease_s, kind).await
}

/// Takes job `job_id` for `owner` if it is due and no one holds it: its row, or None (it
/// runs elsewhere, waits for a retry, or has ended).
pub async fn claim(
    catalog: &Catalog,
    job_id: i64,
    owner: &str,
    lease_s: i64,
) -> Result<Option<JobRow>, CatalogError> {
    if catalog.claim_job(job_id, owner, lease_s).await? {
        catalog.job(job_id).await
    } else {
        Ok(None)
    }
}

/// One claimed job as its holder sees the queue: every write names the holder, so a
/// worker whose lease expired cannot overwrite the one that took the job over.
pub struct Claimed<'a> {
    pub catalog: &'a Catalog,
    pub job_id: i64,
    pub owner: &'a str,
}

impl Claimed<'_> {
    /// Records the job as done (`reason` None) or failed for good; false if the job is no
    /// longer this worker's.
    pub async fn finish(&self, reason: Option<&str>) -> Result<bool, CatalogError> {
        let what = match reason {
            None => "recording the job as done",
            Some(_) => "recording the failure",
        };
        until_reachable(what, || {
            self.catalog.finish_job(self.job_id, self.owner, reason)
        })
        .await
    }

    /// Gives the job back unfinished (the worker is stopping).
    pub async fn release(&self) -> Result<(), CatalogError> {
        until_reachable("giving the job back", || {
            self.catalog.release_job(self.job_id, self.owner)
        })
        .await
    }

    /// Queues the job again after `after_s` seconds: Some(false) when it has no attempts
    /// left, None when it is no longer this worker's.
    pub async fn retry(&self, reason: &str, after_s: i64) -> Result<Option<bool>, CatalogError> {
        until_reachable("queueing the job again", || {
            self.catalog
                .retry_job(self.job_id, self.owner, reason, after_s)
        })
        .await
    }

    /// Marks the job's session failed, with the reason a clerk reads.
    pub async fn fail_session(&self, session_id: i64, reason: &str) -> Result<(), CatalogError> {
        until_reachable("marking the session failed", || {
            self.catalog.set_session_failed(session_id, reason)
        })
        .await
    }
}

/// How a job another worker holds (or that waits for a retry) stands, read from its row.
#[derive(Debug, Clone, PartialEq)]
pub enum Standing {
    Done,
    Failed {
        reason: String,
    },
    /// Waiting `after_s` more seconds before it runs again.
    Waiting {
        reason: String,
        after_s: i64,
    },
    /// Still to run or running: look again later.
    Pending,
}

/// What a job's row says about its end, at time `now`.
pub fn standing(job: &JobRow, now: i64) -> Standing {
    match job.state {
        JobState::Done => Standing::Done,
        JobState::Failed => Standing::Failed {
            reason: job.error.clone().unwrap_or_default(),
        },
        JobState::Running
            if job.attempts >= job.max_attempts
                && job.lease_expires_at.is_some_and(|t| t < now) =>
        {
            Standing::Failed {
                reason: format!(
                    "the worker running it stopped responding on every attempt ({})",
                    job.attempts
                ),
            }
        }
        JobState::Queued if job.run_after > now => Standing::Waiting {
            reason: job.error.clone().unwrap_or_default(),
            after_s: job.run_after - now,
        },
        _ => Standing::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_bounded() {
        assert_eq!(backoff_seconds(30, 1), 30);
        assert_eq!(backoff_seconds(30, 2), 60);
        assert_eq!(backoff_seconds(30, 3), 120);
        assert_eq!(backoff_seconds(30, 40), 86_400);
        assert_eq!(backoff_seconds(0, 3), 0);
    }

    fn row(state: &str) -> JobRow {
        JobRow {
            id: 1,
            kind: JobKind::Transcode,
            session_id: Some(2),
            payload: "{}".into(),
            state: state.parse().unwrap(),
            attempts: 1,
            max_attempts: 3,
            run_after: 0,
            lease_owner: None,
            lease_expires_at: None,
            progress: None,
            speed: None,
            eta_seconds: None,
            error: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn a_rows_state_says_how_the_job_stands() {
        assert_eq!(standing(&row("done"), 100), Standing::Done);
        let mut waiting = row("queued");
        waiting.run_after = 130;
        waiting.error = Some("attempt 1 of 3: boom".into());
        assert_eq!(
            standing(&waiting, 100),
            Standing::Waiting {
                reason: "attempt 1 of 3: boom".into(),
                after_s: 30
            }
        );
        assert_eq!(standing(&row("queued"), 100), Standing::Pending);
        let mut abandoned = row("running");
        abandoned.attempts = 3;
        abandoned.lease_expires_at = Some(99);
        assert!(matches!(standing(&abandoned, 100), Standing::Failed { .. }));
        abandoned.lease_expires_at = Some(101);
        assert_eq!(standing(&abandoned, 100), Standing::Pending);
    }
}
