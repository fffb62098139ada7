//! The job queue's consumer: claims ready jobs from the catalog under a lease, runs each
//! by its kind (`run_kind`), and records what happened through `queue`: done, failed for
//! a reason a clerk can act on, or queued again with exponential backoff. A job whose
//! worker died (SIGKILL, power loss) is claimed again by any worker once its lease
//! expires, and starts from the beginning in an emptied staging directory. `aula serve`
//! runs a worker in-process; `aula worker` runs one alone.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{watch, Semaphore};

use crate::archive::Archive;
use crate::catalog::{CatalogError, JobRow};
use crate::domain::JobKind;
use crate::ingest::transcode::Progress;

use super::mail::{self, Mailed};
use super::queue::{self, backoff_seconds, worker_name, Claimed, Standing};
use super::transcode::{self, Published};
use super::transcribe::{self, Transcribed};
use super::{JobError, Runner};

/// What became of one run of a job.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Published(Published),
    /// A transcribe job heard the session (`stored` false: it has a human transcript).
    Transcribed(Transcribed),
    /// A mail job sent its message (or found its subscriber gone).
    Mailed(Mailed),
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

/// Runs a job this worker has claimed and records the outcome in the catalog.
pub async fn execute(
    archive: &Archive,
    job: &JobRow,
    owner: &str,
    cancel: Arc<AtomicBool>,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<Outcome, CatalogError> {
    let claimed = Claimed {
        catalog: &archive.catalog,
        job_id: job.id,
        owner,
    };
    let runner = Runner {
        owner: owner.to_string(),
        cancel,
    };
    let result = run_kind(archive, job, &runner, on_progress).await;
    record(archive, job, &claimed, result).await
}

/// Hands a job to the code of its kind; what it made, as an `Outcome`.
async fn run_kind(
    archive: &Archive,
    job: &JobRow,
    runner: &Runner,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<Outcome, JobError> {
    // A new kind of job is a variant of `JobKind` and an arm here.
    match (job.kind, job.session_id) {
        (JobKind::Transcode, Some(session)) => {
            transcode::run(archive, job.id, session, runner, on_progress)
                .await
                .map(Outcome::Published)
        }
        (JobKind::Transcribe, Some(session)) => {
            transcribe::run(archive, job.id, session, runner, on_progress)
                .await
                .map(Outcome::Transcribed)
        }
        // About no session: a message to send.
        (JobKind::Mail, _) => mail::run(archive, job).await.map(Outcome::Mailed),
        (_, None) => Err(JobError::NoRecording(job.id)),
    }
}

/// Records in the catalog what became of a run, and says it as an `Outcome`.
async fn record(
    archive: &Archive,
    job: &JobRow,
    claimed: &Claimed<'_>,
    result: Result<Outcome, JobError>,
) -> Result<Outcome, CatalogError> {
    // Only a transcode's failure leaves the session without media: a transcript that
    // cannot be made leaves it as it was.
    let fails_session = job.session_id.filter(|_| job.kind == JobKind::Transcode);
    let done = |outcome: Outcome| async move {
        if claimed.finish(None).await? {
            Ok(outcome)
        } else {
            Ok(Outcome::Lost)
        }
    };
    match result {
        Ok(outcome) => done(outcome).await,
        Err(JobError::LeaseLost) => Ok(Outcome::Lost),
        Err(JobError::Superseded) => done(Outcome::Superseded).await,
        Err(JobError::Cancelled) => {
            claimed.release().await?;
            Ok(Outcome::Released)
        }
        Err(e) if e.is_permanent() => {
            let reason = e.to_string();
            if !claimed.finish(Some(&reason)).await? {
                return Ok(Outcome::Lost);
            }
            if let Some(session_id) = fails_session {
                claimed.fail_session(session_id, &reason).await?;
            }
            Ok(Outcome::Failed { reason })
        }
        Err(e) => {
            let reason = format!("attempt {} of {}: {e}", job.attempts, job.max_attempts);
            let after_s = backoff_seconds(archive.config.job_retry_seconds, job.attempts);
            match claimed.retry(&reason, after_s).await? {
                Some(true) => Ok(Outcome::Retrying { reason, after_s }),
                Some(false) => {
                    if let Some(session_id) = fails_session {
                        claimed.fail_session(session_id, &reason).await?;
                    }
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
        if let Some(job) = queue::claim(&archive.catalog, job_id, &owner, lease).await? {
            let cancel = Arc::new(AtomicBool::new(false));
            return execute(archive, &job, &owner, cancel, on_progress).await;
        }
        let Some(job) = archive.catalog.job(job_id).await? else {
            return Ok(Outcome::Failed {
                reason: JobError::NoSuchJob(job_id).to_string(),
            });
        };
        match queue::standing(&job, crate::catalog::now()) {
            Standing::Done => return published_by_another(archive, &job).await,
            Standing::Failed { reason } => return Ok(Outcome::Failed { reason }),
            Standing::Waiting { reason, after_s } => {
                return Ok(Outcome::Retrying { reason, after_s })
            }
            Standing::Pending => {
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

/// What another worker made of a finished job, read back from its session.
async fn published_by_another(archive: &Archive, job: &JobRow) -> Result<Outcome, CatalogError> {
    if job.kind == JobKind::Mail {
        // Done: its message went (or its subscriber had left).
        return Ok(Outcome::Mailed(Mailed { sent: true }));
    }
    if job.kind == JobKind::Transcribe {
        let session_id = job.session_id.unwrap_or(0);
        let made = archive.catalog.transcription(session_id).await?;
        return Ok(Outcome::Transcribed(Transcribed {
            session_id,
            words: made.as_ref().map_or(0, |t| t.words.max(0) as usize),
            captions: archive.catalog.cues(session_id).await?.len(),
            chunks_heard: 0,
            chunks_resumed: 0,
            stored: made.is_some(),
        }));
    }
    let session = match job.session_id {
        Some(id) => archive.catalog.session(id).await?,
        None => None,
    };
    Ok(Outcome::Published(Published {
        session_id: job.session_id.unwrap_or(0),
        version: session
            .as_ref()
            .and_then(|s| s.media_dir.as_deref()?.rsplit('/').next()?.parse().ok())
            .unwrap_or(0),
        duration_s: session.as_ref().and_then(|s| s.duration_ms).unwrap_or(0) as f64 / 1000.0,
        warnings: session
            .and_then(|s| s.warnings)
            .map(|w| w.lines().map(str::to_string).collect())
            .unwrap_or_default(),
    }))
}

/// Claims and runs jobs until `shutdown` turns true: at most `config.transcodes`
/// transcodes and `config.transcribes` transcriptions at a time, each kind claimed only
/// while it has a free slot. On shutdown, running jobs are stopped and given back.
/// Alert messages one worker sends at once.
const MAILS_AT_ONCE: usize = 2;

pub async fn run(archive: Archive, mut shutdown: watch::Receiver<bool>) {
    let kinds = [
        (JobKind::Transcode, archive.config.transcodes.max(1)),
        (JobKind::Transcribe, archive.config.transcribes.max(1)),
        // Messages: short, and waiting on the SMTP server rather than the CPU.
        (JobKind::Mail, MAILS_AT_ONCE),
    ]
    .map(|(kind, slots)| (kind, Arc::new(Semaphore::new(slots))));
    let running: Arc<Mutex<Vec<Arc<AtomicBool>>>> = Arc::default();
    let mut tasks = tokio::task::JoinSet::new();
    let mut slot = 0usize;
    let idle = Duration::from_millis(500);
    tracing::info!(
        "worker started: {} transcode(s) and {} transcription(s) at a time",
        archive.config.transcodes.max(1),
        archive.config.transcribes.max(1)
    );
    while !*shutdown.borrow() {
        while tasks.try_join_next().is_some() {}
        let mut claimed_any = false;
        for (kind, permits) in &kinds {
            let Ok(permit) = Arc::clone(permits).try_acquire_owned() else {
                continue;
            };
            slot += 1;
            // A new name for every claim: a job this process claims again after its own
            // lease expired is told apart from the stale run.
            let owner = worker_name(slot);
            let lease = archive.config.job_lease_seconds;
            let job = match queue::claim_next(&archive.catalog, &owner, lease, *kind).await {
                Ok(Some(job)) => job,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!("worker cannot read the job queue: {e}");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    continue;
                }
            };
            claimed_any = true;
            let cancel = Arc::new(AtomicBool::new(false));
            if let Ok(mut list) = running.lock() {
                list.retain(|c| Arc::strong_count(c) > 1);
                list.push(Arc::clone(&cancel));
            }
            let archive = archive.clone();
            tasks.spawn(async move {
                tracing::info!(
                    "{} job {} (session {:?}) claimed by {owner}",
                    job.kind,
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
        if !claimed_any {
            tokio::select! {
                _ = tokio::time::sleep(idle) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
    if let Ok(list) = running.lock() {
        for cancel in list.iter() {
            cancel.store(true, Ordering::Release);
        }
    }
    while tasks.join_next().await.is_some() {}
    tracing::info!("worker stopped");
}
