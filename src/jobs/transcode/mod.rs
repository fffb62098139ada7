//! The transcode job: a session's stored recording made into a published media version.
//! One function per stage, in the order `transcode_and_publish` runs them: read the parts
//! (`stages`), leave out the withheld ranges, plan, one ffmpeg run into staging, check the
//! output and salvage a damaged source (`check`), the finishing files side by side
//! (`finish`), publish by one move into the media store and one catalog write (`publish`).
//! The worker decides what happens to the job afterwards from the error's kind; this
//! module never writes the job's row.

mod check;
mod finish;
mod publish;
mod stages;

use std::path::Path;
use std::sync::atomic::Ordering;

use crate::archive::Archive;
use crate::ingest::transcode::Progress;

use super::lease::Lease;

pub use stages::plan_for;

pub(crate) use super::JobError;
use super::{Claim, Runner};

/// A published version, as the job reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub session_id: i64,
    pub version: i64,
    pub duration_s: f64,
    pub warnings: Vec<String>,
}

/// Runs a job this worker has claimed. `on_progress` sees every progress report.
pub async fn run(
    archive: &Archive,
    job_id: i64,
    session_id: i64,
    runner: &Runner,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<Published, JobError> {
    // The lease is kept for the whole job (planning and finishing read whole files too),
    // with ffmpeg's latest progress; losing it stops ffmpeg and the job.
    let claim = Claim::begin(archive, job_id, runner).await;
    let ctx = Ctx {
        job_id,
        session_id,
        staging: &claim.staging,
        runner,
        lease: &claim.lease,
    };
    let result = transcode_and_publish(archive, &ctx, on_progress).await;
    claim.end(result).await
}

/// The claimed job as its stages see it.
struct Ctx<'a> {
    job_id: i64,
    session_id: i64,
    staging: &'a Path,
    runner: &'a Runner,
    lease: &'a Lease,
}

impl Ctx<'_> {
    fn still_mine(&self) -> Result<(), JobError> {
        if self.lease.lost() {
            Err(JobError::LeaseLost)
        } else {
            Ok(())
        }
    }

    fn cancelled(&self) -> bool {
        self.runner.cancel.load(Ordering::Acquire)
    }
}

/// The stages in order; each says what it needs and returns what the next one reads.
async fn transcode_and_publish(
    archive: &Archive,
    ctx: &Ctx<'_>,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<Published, JobError> {
    let mut inputs = stages::read_parts(archive, ctx.job_id, ctx.session_id).await?;
    let cuts = stages::read_cuts(archive, ctx.session_id).await?;
    let trims = stages::leave_out(&mut inputs, &cuts)?;
    let started = std::time::Instant::now();
    let plan = stages::plan(&archive.config, &inputs, trims, cuts.is_empty()).await?;
    let planned = started.elapsed();
    let logged_errors = stages::transcode(archive, ctx, &inputs, &plan, on_progress).await?;
    let transcoded = started.elapsed() - planned;
    let (checked, judged) =
        check::check(&archive.config, ctx, &inputs, &plan, logged_errors).await?;
    inputs.warnings.extend(judged);
    let finished =
        finish::finish(archive, ctx.staging, &inputs.sources[0], &plan, &checked).await?;
    let version = publish::publish(
        archive,
        ctx,
        &plan,
        &checked,
        &finished,
        &cuts,
        &inputs.warnings,
    )
    .await?;
    tracing::info!(
        "job {}: {:.1} s of source in {:.2} s: planning {:.2} s, transcode {:.2} s, \
         checks and finishing {:.2} s",
        ctx.job_id,
        plan.source_duration_s,
        started.elapsed().as_secs_f64(),
        planned.as_secs_f64(),
        transcoded.as_secs_f64(),
        (started.elapsed() - planned - transcoded).as_secs_f64(),
    );
    Ok(Published {
        session_id: ctx.session_id,
        version,
        duration_s: checked.duration_s,
        warnings: inputs.warnings,
    })
}
