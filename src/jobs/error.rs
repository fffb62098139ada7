//! Why a job failed, for every kind: the worker decides from the error's kind whether
//! the job is tried again.

use std::path::PathBuf;

use crate::catalog::CatalogError;
use crate::ingest::plan::ProfileError;
use crate::ingest::probe::ProbeError;
use crate::process::ProcessError;
use crate::speech::EngineError;

/// Why a job failed, in words a clerk can act on.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("job {0} does not exist")]
    NoSuchJob(i64),
    #[error("job {0} is not waiting to run (another worker may hold it)")]
    NotClaimable(i64),
    #[error("the session of job {0} has no recording")]
    NoRecording(i64),
    #[error("the stored original {path} is missing: {source}")]
    OriginalMissing {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error("the stored description of the recording is unreadable: {0}")]
    Probe(#[from] ProbeError),
    #[error("transcoding failed: {0}")]
    Transcode(ProcessError),
    #[error(
        "ffmpeg hung: it was stopped after {seconds} s, the limit for a source of this length"
    )]
    Hung { seconds: u64 },
    #[error("the output failed its check: {0}")]
    Check(String),
    #[error("{0}")]
    Unsalvageable(String),
    #[error("cannot write the output in {path}: {source}")]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot publish the version: {0}")]
    Publish(#[from] crate::storage::StorageError),
    #[error("another worker took the job over (this worker's lease expired)")]
    LeaseLost,
    #[error("the worker is shutting down")]
    Cancelled,
    #[error("the withheld ranges changed while this version was made; it was not published")]
    Superseded,
    #[error("session {0} has no published audio to transcribe")]
    NothingToHear(i64),
    #[error(transparent)]
    Speech(#[from] EngineError),
    #[error(transparent)]
    Mail(#[from] crate::alerts::mail::MailError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

impl JobError {
    /// Failures that running again cannot fix: the source or the setup is at fault.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            JobError::NoRecording(_)
                | JobError::OriginalMissing { .. }
                | JobError::Profile(_)
                | JobError::Probe(_)
                | JobError::Check(_)
                | JobError::Unsalvageable(_)
                | JobError::NothingToHear(_)
        ) || matches!(self, JobError::Speech(e) if e.is_setup())
            || matches!(self, JobError::Mail(e) if e.is_permanent())
    }
}
