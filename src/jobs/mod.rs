//! Jobs: the durable work queued in the catalog and run by workers. `queue` is the
//! library's side of the catalog's job table (claim, finish, retry, give back, follow),
//! `worker` the loop that claims jobs and hands each to its kind, `transcode` (a recording
//! made into a published media version) and `transcribe` (a published session's speech
//! heard into its automatic transcript) and `mail` (one alert message sent) the kinds, `lease` the renewal that every running
//! job keeps up, `error` why a job failed. A new kind is a module beside these, one arm in
//! `worker::run_kind` and its own concurrency in `worker::run`.
//!
//! Jobs use `crate::ingest` (probe, plan, ffmpeg) and `crate::storage`; neither of those
//! knows about jobs. No HTTP here.

pub mod error;
pub mod lease;
pub mod mail;
pub mod queue;
pub mod transcode;
pub mod transcribe;
pub mod worker;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::archive::Archive;
use lease::Lease;

pub use error::JobError;
pub use transcode::{plan_for, Published};
pub use transcribe::Transcribed;
pub use worker::{run, run_or_follow, Outcome};

/// Who runs a job and how it reports: the claimed job's lease is renewed while it runs;
/// losing it, or `cancel`, stops ffmpeg.
pub struct Runner {
    pub owner: String,
    pub cancel: Arc<AtomicBool>,
}

/// What a claimed job works in and under: its own staging directory and its lease,
/// renewed for the whole run (with the latest progress); losing the lease stops the job's
/// child processes. Every kind of job begins and ends its run with one.
pub(crate) struct Claim {
    pub staging: PathBuf,
    pub lease: Lease,
}

impl Claim {
    pub(crate) async fn begin(archive: &Archive, job_id: i64, runner: &Runner) -> Claim {
        Claim {
            staging: fresh_staging(archive, job_id, &runner.owner).await,
            lease: Lease::keep(
                archive.catalog.clone(),
                job_id,
                runner.owner.clone(),
                archive.config.job_lease_seconds,
                Arc::clone(&runner.cancel),
            ),
        }
    }

    /// The run's result, unless another worker took the job over meanwhile (then what
    /// this one made counts for nothing); the staging directory is removed.
    pub(crate) async fn end<T>(self, result: Result<T, JobError>) -> Result<T, JobError> {
        let lost = self.lease.lost();
        drop(self.lease);
        let _ = tokio::fs::remove_dir_all(&self.staging).await;
        match result {
            Err(_) if lost => Err(JobError::LeaseLost),
            other => other,
        }
    }
}

/// One staging directory per claim; what earlier attempts of this job left (a worker
/// killed mid-run) is removed first.
async fn fresh_staging(archive: &Archive, job_id: i64, owner: &str) -> PathBuf {
    let staging_root = archive.config.staging_dir();
    let mine = format!("job-{job_id}-{}", sanitize(owner));
    if let Ok(mut entries) = tokio::fs::read_dir(&staging_root).await {
        while let Ok(Some(e)) = entries.next_entry().await {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(&format!("job-{job_id}-")) && name != mine {
                let _ = tokio::fs::remove_dir_all(e.path()).await;
            }
        }
    }
    staging_root.join(mine)
}

/// A worker name as a directory name.
fn sanitize(owner: &str) -> String {
    owner
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
