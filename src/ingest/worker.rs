//! The job queue's consumer: claims ready jobs from the catalog under a lease, runs them
//! (`job::run`), and records what happened: done, failed for a reason a clerk can act on,
//! or queued again with exponential backoff. A job whose worker died (SIGKILL, power
//! loss) is claimed again by any worker once its lease expires, and starts from the
//! beginning in an emptied staging directory. `aula serve` runs a worker in-process;
//! `aula worker` runs one alone.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{watch, Semaphore};

use crate::archive::Archive;
use crate::catalog::{CatalogError, JobRow};
use crate::domain::JobState;

use super::job::{self, JobError, Published, Runner};
use super::transcode::Progress;

/// What became of one run of a job.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Published(Published),
    /// This attempt failed; the job runs again after `after_s` seconds.
    Retrying {
        reason: String,
        after_s: i64,
    },
    /// Failed for good (the session is marked failed with the reason).
    Failed {
        reason: String,
    },
    /// Given back unfinished because the worker is stopping.
    Released,
    /// Another worker took it over after this one's lease expired.
    Lost,
    /// Its version was not published: the withheld ranges changed while it was made, and
    /// the job queued by that change makes the version that counts.
    Superseded,
}

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

/// Runs a job this worker has claimed and records the outcome in the catalog.
pub async fn execute(
    archive: &Archive,
    job: &JobRow,
    owner: &str,
    cancel: Arc<AtomicBool>,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<Outcome, CatalogError> {
    let catalog = &archive.catalog;
    let Some(session_id) = job.session_id else {
        let reason = JobError::NoRecording(job.id).to_string();
        until_reachable("recording the failure", || {
            catalog.finish_job(job.id, owner, Some(&reason))
        })
        .await?;
        return Ok(Outcome::Failed { reason });
    };
    let runner = Runner {
        owner: owner.to_string(),
        cancel,
    };
    let result = job::run(archive, job.id, session_id, &runner, on_progress).await;
    match result {
        Ok(published) => {
            if !until_reachable("recording the job as done", || {
                catalog.finish_job(job.id, owner, None)
            })
            .await?
            {
                return Ok(Outcome::Lost);
            }
            Ok(Outcome::Published(published))
        }
        Err(JobError::LeaseLost) => Ok(Outcome::Lost),
        Err(JobError::Superseded) => {
            if !until_reachable("recording the job as done", || {
                catalog.finish_job(job.id, owner, None)
            })
            .await?
            {
                return Ok(Outcome::Lost);
            }
            Ok(Outcome::Superseded)
        }
        Err(JobError::Cancelled) => {
            until_reachable("giving the job back", || catalog.release_job(job.id, owner)).await?;
            Ok(Outcome::Released)
        }
        Err(e) if e.is_permanent() => {
            let reason = e.to_string();
            if !until_reachable("recording the failure", || {
                catalog.finish_job(job.id, owner, Some(&reason))
            })
            .await?
            {
                return Ok(Outcome::Lost);
            }
            until_reachable("marking the session failed", || {
                catalog.set_session_failed(session_id, &reason)
            })
            .await?;
            Ok(Outcome::Failed { reason })
        }
        Err(e) => {
            let reason = format!("attempt {} of {}: {e}", job.attempts, job.max_attempts);
            let after_s = backoff_seconds(archive.config.job_retry_seconds, job.attempts);
            match until_reachable("queueing the job again", || {
                catalog.retry_job(job.id, owner, &reason, after_s)
            })
            .await?
            {
                Some(true) => Ok(Outcome::Retrying { reason, after_s }),
                Some(false) => {
                    until_reachable("marking the session failed", || {
                        catalog.set_session_failed(session_id, &reason)
                    })
                    .await?;
                    Ok(Outcome::Failed { reason })
                }
                None => Ok(Outcome::Lost),
            }
        }
    }
}

/// Runs one job here if it can be claimed now; otherwise (a server's worker took it
/// first, or it waits for a retry) follows it in the catalog until it settles.
pub async fn run_or_follow(
    archive: &Archive,
    job_id: i64,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<Outcome, CatalogError> {
    let owner = format!("cli:{}", worker_name(0));
    let lease = archive.config.job_lease_seconds;
    loop {
        if archive.catalog.claim_job(job_id, &owner, lease).await? {
            if let Some(job) = archive.catalog.job(job_id).await? {
                let cancel = Arc::new(AtomicBool::new(false));
                return execute(archive, &job, &owner, cancel, on_progress).await;
            }
        }
        let Some(job) = archive.catalog.job(job_id).await? else {
            return Ok(Outcome::Failed {
                reason: JobError::NoSuchJob(job_id).to_string(),
            });
        };
        match job.state {
            JobState::Done => {
                let session = match job.session_id {
                    Some(id) => archive.catalog.session(id).await?,
                    None => None,
                };
                return Ok(Outcome::Published(Published {
                    session_id: job.session_id.unwrap_or(0),
                    version: session
                        .as_ref()
                        .and_then(|s| s.media_dir.as_deref()?.rsplit('/').next()?.parse().ok())
                        .unwrap_or(0),
                    duration_s: session.as_ref().and_then(|s| s.duration_ms).unwrap_or(0) as f64
                        / 1000.0,
                    warnings: session
                        .and_then(|s| s.warnings)
                        .map(|w| w.lines().map(str::to_string).collect())
                        .unwrap_or_default(),
                }));
            }
            JobState::Failed => {
                return Ok(Outcome::Failed {
                    reason: job.error.unwrap_or_default(),
                })
            }
            JobState::Running
                if job.attempts >= job.max_attempts
                    && job
                        .lease_expires_at
                        .is_some_and(|t| t < crate::catalog::now()) =>
            {
                return Ok(Outcome::Failed {
                    reason: format!(
                        "the worker running it stopped responding on every attempt ({})",
                        job.attempts
                    ),
                })
            }
            JobState::Queued if job.run_after > crate::catalog::now() => {
                return Ok(Outcome::Retrying {
                    reason: job.error.unwrap_or_default(),
                    after_s: job.run_after - crate::catalog::now(),
                })
            }
            _ => {
                if let Some(p) = job.progress {
                    on_progress(Progress {
                        done_s: p,
                        total_s: 100.0,
                        speed: job.speed,
                    });
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

/// Claims and runs jobs until `shutdown` turns true, at most `config.transcodes` at a
/// time. On shutdown, running jobs are stopped and given back to the queue.
pub async fn run(archive: Archive, mut shutdown: watch::Receiver<bool>) {
    let slots = archive.config.transcodes.max(1);
    let permits = Arc::new(Semaphore::new(slots));
    let running: Arc<Mutex<Vec<Arc<AtomicBool>>>> = Arc::default();
    let mut tasks = tokio::task::JoinSet::new();
    let mut slot = 0usize;
    let idle = Duration::from_millis(500);
    tracing::info!("worker started: {slots} transcode(s) at a time");
    loop {
        if *shutdown.borrow() {
            break;
        }
        while tasks.try_join_next().is_some() {}
        let permit = tokio::select! {
            p = Arc::clone(&permits).acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = shutdown.changed() => continue,
        };
        slot += 1;
        // A new name for every claim: a job this process claims again after its own lease
        // expired is told apart from the stale run.
        let owner = worker_name(slot);
        let claimed = archive
            .catalog
            .claim_next_job(&owner, archive.config.job_lease_seconds)
            .await;
        let job = match claimed {
            Ok(Some(job)) => job,
            Ok(None) => {
                drop(permit);
                tokio::select! {
                    _ = tokio::time::sleep(idle) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            Err(e) => {
                drop(permit);
                tracing::warn!("worker cannot read the job queue: {e}");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        };
        let cancel = Arc::new(AtomicBool::new(false));
        if let Ok(mut list) = running.lock() {
            list.retain(|c| Arc::strong_count(c) > 1);
            list.push(Arc::clone(&cancel));
        }
        let archive = archive.clone();
        tasks.spawn(async move {
            tracing::info!(
                "job {} (session {:?}) claimed by {owner}",
                job.id,
                job.session_id
            );
            let outcome = execute(&archive, &job, &owner, cancel, |_| {}).await;
            match outcome {
                Ok(o) => tracing::info!("job {}: {o:?}", job.id),
                Err(e) => tracing::error!("job {}: cannot record the outcome: {e}", job.id),
            }
            drop(permit);
        });
    }
    if let Ok(list) = running.lock() {
        for cancel in list.iter() {
            cancel.store(true, Ordering::Release);
        }
    }
    while tasks.join_next().await.is_some() {}
    tracing::info!("worker stopped");
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
}
