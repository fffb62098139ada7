//! The transcode job's first stages: what the catalog says about the recording (its
//! parts, the ranges withheld), the plan, and the one ffmpeg run into staging. Deciding
//! is left to `crate::ingest::plan`'s pure functions; this file gathers their inputs and
//! runs their output.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::archive::Archive;
use crate::catalog::Cuts;
use crate::ingest::analyse;
use crate::ingest::hls;
use crate::ingest::plan::{self, Plan, Profile, ProfileError};
use crate::ingest::probe::{self, Probe};
use crate::ingest::transcode::{self as ffmpeg, Progress};
use crate::jobs::queue::until_reachable;
use crate::process::ProcessError;

use super::{Ctx, JobError};

/// The inputs of the transcode: one source per span of a part that is kept, its probe
/// (with the span's duration), and what was found wrong with them so far.
pub(super) struct Inputs {
    pub sources: Vec<PathBuf>,
    pub probes: Vec<Probe>,
    pub warnings: Vec<String>,
}

/// The stored parts of the session's recording, each checked present and its stored
/// description read; a part whose header states no length is timed by what ingest
/// decoded, with a warning.
pub(super) async fn read_parts(
    archive: &Archive,
    job_id: i64,
    session_id: i64,
) -> Result<Inputs, JobError> {
    let rows = until_reachable("reading the recording", || {
        archive.catalog.recording_parts(session_id)
    })
    .await?;
    if rows.is_empty() {
        return Err(JobError::NoRecording(job_id));
    }
    let several = rows.len() > 1;
    let mut inputs = Inputs {
        sources: Vec::new(),
        probes: Vec::new(),
        warnings: Vec::new(),
    };
    for (
        part,
        crate::catalog::RecordingPart {
            stored_path,
            probe_json,
            duration_ms: measured_ms,
        },
    ) in rows.iter().enumerate()
    {
        let source = archive.data_path(stored_path);
        tokio::fs::metadata(&source)
            .await
            .map_err(|e| JobError::OriginalMissing {
                path: source.clone(),
                source: e,
            })?;
        let mut probe = probe::parse(probe_json)?;
        if !probe.duration_declared {
            // Ingest decoded it to find out how long it is.
            probe.duration_s = measured_ms.unwrap_or(0) as f64 / 1000.0;
            let which = if several {
                format!("part {}: ", part + 1)
            } else {
                String::new()
            };
            inputs.warnings.push(format!(
                "{which}truncated: the file states no length (its header was never completed); {:.1} s could be decoded",
                probe.duration_s
            ));
        }
        inputs.probes.push(probe);
        inputs.sources.push(source);
    }
    Ok(inputs)
}

/// The ranges an editor withheld from the session.
pub(super) async fn read_cuts(archive: &Archive, session_id: i64) -> Result<Cuts, JobError> {
    let ranges = until_reachable("reading the withheld ranges", || {
        archive.catalog.withheld_ranges(session_id)
    })
    .await?;
    Ok(Cuts::new(
        ranges.iter().map(|r| (r.start_ms, r.end_ms)).collect(),
    ))
}

/// Leaves the withheld ranges out: each remaining span of a part becomes an input of its
/// own, read from its start to its end. Returns each input's span (None: all of it).
pub(super) fn leave_out(
    inputs: &mut Inputs,
    cuts: &Cuts,
) -> Result<Vec<Option<(f64, f64)>>, JobError> {
    if cuts.is_empty() {
        return Ok(vec![None; inputs.sources.len()]);
    }
    let durations: Vec<f64> = inputs.probes.iter().map(|p| p.duration_s).collect();
    let ranges: Vec<(f64, f64)> = cuts
        .ranges()
        .iter()
        .map(|&(a, b)| (a as f64 / 1000.0, b as f64 / 1000.0))
        .collect();
    let kept = plan::keep_segments(&durations, &ranges);
    if kept.is_empty() {
        return Err(JobError::Unsalvageable(
            "every second of the recording is withheld: there is nothing to publish".into(),
        ));
    }
    let (mut sources, mut probes, mut trims) = (Vec::new(), Vec::new(), Vec::new());
    for (part, start, end) in kept {
        sources.push(inputs.sources[part].clone());
        let mut probe = inputs.probes[part].clone();
        probe.duration_s = end - start;
        probes.push(probe);
        trims.push(Some((start, end)));
    }
    inputs.sources = sources;
    inputs.probes = probes;
    Ok(trims)
}

/// The plan for the inputs, each part read over its span. Spans of files (something
/// withheld) are re-encoded, never copied.
pub(super) async fn plan(
    config: &crate::config::Config,
    inputs: &Inputs,
    trims: Vec<Option<(f64, f64)>>,
    may_copy: bool,
) -> Result<Plan, JobError> {
    let mut plan = plan_for(config, &inputs.sources, &inputs.probes, may_copy).await?;
    for (part, trim) in plan.parts.iter_mut().zip(trims) {
        part.trim = trim;
    }
    Ok(plan)
}

/// The ffmpeg run (or the two runs side by side, see `plan::ffmpeg_runs`) into an emptied
/// staging directory. Progress (of the first run, which carries the video) goes to the
/// caller and, throttled by the lease's renewal, to the catalog. Returns the errors ffmpeg
/// logged while it still finished.
pub(super) async fn transcode(
    archive: &Archive,
    ctx: &Ctx<'_>,
    inputs: &Inputs,
    plan: &Plan,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<Vec<String>, JobError> {
    let config = &archive.config;
    let staging = ctx.staging;
    let timeout = config.transcode_timeout(plan.source_duration_s);
    let out_err = |source| JobError::Output {
        path: staging.to_owned(),
        source,
    };
    let _ = tokio::fs::remove_dir_all(staging).await;
    tokio::fs::create_dir_all(staging.join(plan::THUMBNAIL_DIR))
        .await
        .map_err(out_err)?;
    let sources: Vec<&Path> = inputs.sources.iter().map(PathBuf::as_path).collect();
    let mut runs = plan::ffmpeg_runs(plan, &sources, staging).into_iter();
    let main = runs.next().unwrap_or_default();
    let tx = ctx.lease.progress();
    let cancel = &ctx.runner.cancel;
    let first = ffmpeg::run_ffmpeg(
        config.ffmpeg.clone(),
        main,
        plan.source_duration_s,
        timeout,
        Arc::clone(cancel),
        move |p| {
            on_progress(p);
            let _ = tx.send(Some(p));
        },
    );
    let others = futures_util::future::join_all(runs.map(|args| {
        let total_s = plan.source_duration_s;
        ffmpeg::run_ffmpeg(
            config.ffmpeg.clone(),
            args,
            total_s,
            timeout,
            Arc::clone(cancel),
            |_| {},
        )
    }));
    let (first, others) = tokio::join!(first, others);
    ctx.still_mine()?;
    let mut logged = Vec::new();
    for ran in std::iter::once(first).chain(others) {
        match ran {
            Ok(errors) => logged.extend(errors),
            Err(ProcessError::Timeout { seconds, .. }) => return Err(JobError::Hung { seconds }),
            Err(_) if ctx.cancelled() => return Err(JobError::Cancelled),
            Err(e) => return Err(JobError::Transcode(e)),
        }
    }
    join_masters(staging).await?;
    Ok(logged)
}

/// Appends the variants of the audio-only run's master playlist, when there was one, to
/// the first run's `master.m3u8`, and removes it: the output then looks as one run's.
async fn join_masters(staging: &Path) -> Result<(), JobError> {
    let extra_path = staging.join(plan::AUDIO_RUN_MASTER);
    let Ok(extra) = tokio::fs::read_to_string(&extra_path).await else {
        return Ok(());
    };
    let path = staging.join("master.m3u8");
    let read = tokio::fs::read_to_string(&path)
        .await
        .map_err(|e| JobError::Check(format!("{} is missing: {e}", path.display())))?;
    let check = |e: hls::PlaylistError| JobError::Check(e.to_string());
    let mut variants = hls::parse_master("master.m3u8", &read).map_err(check)?;
    variants.extend(hls::parse_master(plan::AUDIO_RUN_MASTER, &extra).map_err(check)?);
    tokio::fs::write(&path, hls::write_master(&variants))
        .await
        .map_err(|source| JobError::Output {
            path: path.clone(),
            source,
        })?;
    tokio::fs::remove_file(&extra_path)
        .await
        .map_err(|source| JobError::Output {
            path: extra_path,
            source,
        })
}

/// The plan for a session's parts: the profile that fits, whether the video can be
/// copied (from its key frames), and the loudness gain (from a measurement of the audio).
/// `may_copy` is false when the parts are spans of their files: those are re-encoded.
pub async fn plan_for(
    config: &crate::config::Config,
    sources: &[PathBuf],
    probes: &[Probe],
    may_copy: bool,
) -> Result<Plan, JobError> {
    let profiles = Profile::load_dir(&config.profiles_dir)?;
    let profile =
        plan::choose_profile(&profiles, probes).ok_or_else(|| ProfileError::NoneFits {
            dir: config.profiles_dir.display().to_string(),
            what: if probes.iter().any(|p| p.video.is_some()) {
                "video"
            } else {
                "audio-only"
            }
            .into(),
        })?;
    // The two measurements read the source independently: side by side.
    let keyframes = async {
        match (probes, sources) {
            ([p], [source]) if may_copy && p.video.as_ref().is_some_and(|v| v.codec == "h264") => {
                let v = p.video.as_ref().map_or(0, |v| v.index);
                // Only needed to decide whether the video can be copied: if the scan
                // fails, the video is re-encoded.
                match probe::keyframe_times(&config.ffprobe, source, v).await {
                    Ok(times) => times,
                    Err(e) => {
                        tracing::warn!(
                            "{}: key frame scan failed ({e}); re-encoding",
                            source.display()
                        );
                        Vec::new()
                    }
                }
            }
            _ => Vec::new(),
        }
    };
    let total_s: f64 = probes.iter().map(|p| p.duration_s).sum();
    let loudness = async {
        if !profile.audio.normalize_loudness {
            return Ok(None);
        }
        let timeout = config.transcode_timeout(total_s);
        let mut measured = Vec::new();
        for (p, source) in probes.iter().zip(sources) {
            if let Some(a) = &p.audio {
                let lufs = analyse::integrated_loudness(&config.ffmpeg, source, a.index, timeout)
                    .await
                    .map_err(JobError::Transcode)?;
                measured.push((lufs, p.duration_s));
            }
        }
        Ok::<_, JobError>(analyse::combine_loudness(&measured))
    };
    let (keyframes, lufs) = tokio::join!(keyframes, loudness);
    let mut plan = plan::plan(probes, &keyframes, profile);
    plan.audio_copyable &= may_copy;
    plan.apply_loudness(lufs?);
    Ok(plan)
}
