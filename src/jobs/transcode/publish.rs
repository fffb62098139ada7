//! The transcode job's last stage: the checked, finished version in staging is moved into
//! the media store under a new version number, and only then does the catalog point at
//! it. A version the catalog refuses is taken back out; a directory any version row names
//! is never replaced.

use crate::archive::Archive;
use crate::catalog::{CatalogError, Cuts, NewMediaVersion, NewRendition};
use crate::ingest::plan::Plan;
use crate::jobs::queue::until_reachable;

use super::check::Checked;
use super::finish::Finished;
use super::{Ctx, JobError};

/// Publishes the staged version; returns its number.
pub(super) async fn publish(
    archive: &Archive,
    ctx: &Ctx<'_>,
    plan: &Plan,
    checked: &Checked,
    finished: &Finished,
    cuts: &Cuts,
    warnings: &[String],
) -> Result<i64, JobError> {
    let session_id = ctx.session_id;
    let version = until_reachable("numbering the version", || {
        archive.catalog.next_media_version(session_id)
    })
    .await?;
    let dir = format!("{session_id}/{version}");
    ctx.still_mine()?;
    // Another worker may have published this very version while this one was cut off
    // from the catalog (its lease expired and the job was taken over): never replace it.
    if until_reachable("checking the version", || {
        archive.catalog.media_dir_recorded(&dir)
    })
    .await?
    {
        return Err(JobError::LeaseLost);
    }
    // One move makes the whole version visible, then the catalog points at it.
    archive.media.publish(ctx.staging, &dir).await?;
    let renditions = renditions(checked);
    let audio_playlist = plan
        .audio_rungs
        .iter()
        .min_by_key(|r| r.bitrate_kbps)
        .map(|r| format!("{}/index.m3u8", r.name));
    let joined = warnings.join("\n");
    let cut_list = (!cuts.is_empty()).then(|| cuts.to_json());
    let version_row = NewMediaVersion {
        version,
        dir: &dir,
        profile: &plan.profile,
        master_playlist: "master.m3u8",
        mp4_file: Some(finished.mp4),
        audio_playlist: audio_playlist.as_deref(),
        audio_file: finished.audio_file,
        poster_file: Some("poster.jpg"),
        thumbnails_vtt: finished.thumbnails_vtt.as_deref(),
        duration_ms: (checked.duration_s * 1000.0).round() as i64,
        warnings: (!warnings.is_empty()).then_some(joined.as_str()),
        cuts: cut_list.as_deref(),
        job: Some((ctx.job_id, &ctx.runner.owner)),
        transcribe: archive.config.auto_transcribe,
    };
    let published = until_reachable("publishing the version", || {
        archive
            .catalog
            .publish_media(session_id, &version_row, &renditions)
    })
    .await;
    match published {
        Ok(_) => Ok(version),
        Err(e) => Err(take_back(archive, &dir, e).await),
    }
}

/// The catalog's rows for the checked variants.
fn renditions(checked: &Checked) -> Vec<NewRendition<'_>> {
    checked
        .variants
        .iter()
        .map(|v| NewRendition {
            kind: if v.resolution.is_some() {
                "video"
            } else {
                "audio"
            },
            width: v.resolution.map(|r| r.0),
            height: v.resolution.map(|r| r.1),
            bandwidth: v.bandwidth,
            average_bandwidth: v.average_bandwidth,
            codecs: &v.codecs,
            playlist: &v.uri,
        })
        .collect()
}

/// After the catalog refused the version: takes it back out of the media store, unless
/// the catalog points at it after all (a commit whose answer was lost, then refused when
/// tried again). Returns the refusal as the job's error.
async fn take_back(archive: &Archive, dir: &str, refusal: CatalogError) -> JobError {
    let recorded = until_reachable("checking the version", || {
        archive.catalog.media_dir_recorded(dir)
    })
    .await
    .unwrap_or(true);
    if !recorded {
        let _ = archive.media.remove(dir).await;
    }
    match refusal {
        CatalogError::LeaseLost => JobError::LeaseLost,
        CatalogError::Superseded => JobError::Superseded,
        other => other.into(),
    }
}
