//! The transcode job's checks on its output: every variant and segment there, the output
//! as long as the source decodes (a damaged or cut-off source is salvaged with a warning
//! saying how much, or refused), sound where the source has sound. Reads staging; writes
//! nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::ingest::analyse::{self, clock, Decoded};
use crate::ingest::hls;
use crate::ingest::plan::Plan;
use crate::process;

use super::stages::Inputs;
use super::{Ctx, JobError};

/// The output checked and its duration judged against the source: what was verified, and
/// the warnings a salvage carries.
pub(super) async fn check(
    config: &crate::config::Config,
    ctx: &Ctx<'_>,
    inputs: &Inputs,
    plan: &Plan,
    logged_errors: Vec<String>,
) -> Result<(Checked, Vec<String>), JobError> {
    if !logged_errors.is_empty() {
        tracing::warn!(
            "job {}: ffmpeg reported errors: {logged_errors:?}",
            ctx.job_id
        );
    }
    let checked = check_output(ctx.staging, plan).await?;
    let cut_short = inputs.probes.iter().any(|p| !p.duration_declared);
    let warnings = judge_duration(
        config,
        &inputs.sources,
        plan,
        &checked,
        !logged_errors.is_empty(),
        cut_short,
    )
    .await?;
    Ok((checked, warnings))
}

/// What was verified about a finished output.
pub(super) struct Checked {
    pub variants: Vec<hls::Variant>,
    /// Per variant: (segment file, seconds) in order.
    pub segments: Vec<Vec<(String, f64)>>,
    pub duration_s: f64,
}

/// Every variant present and finished, every segment on disk.
async fn check_output(dir: &Path, plan: &Plan) -> Result<Checked, JobError> {
    let read = |path: PathBuf| async move {
        tokio::fs::read_to_string(&path)
            .await
            .map_err(|e| JobError::Check(format!("{} is missing: {e}", path.display())))
    };
    let master = read(dir.join("master.m3u8")).await?;
    let variants =
        hls::parse_master("master.m3u8", &master).map_err(|e| JobError::Check(e.to_string()))?;
    if variants.len() != plan.variant_count() {
        return Err(JobError::Check(format!(
            "expected {} variants, found {}",
            plan.variant_count(),
            variants.len()
        )));
    }
    let mut duration_s = 0.0_f64;
    let mut all_segments = Vec::new();
    for v in &variants {
        let path = dir.join(&v.uri);
        let text = read(path.clone()).await?;
        let segments =
            hls::parse_media(&v.uri, &text).map_err(|e| JobError::Check(e.to_string()))?;
        if segments.is_empty() {
            return Err(JobError::Check(format!("{} has no segments", v.uri)));
        }
        let base = path.parent().unwrap_or(dir);
        for (seg, _) in &segments {
            if tokio::fs::metadata(base.join(seg)).await.is_err() {
                return Err(JobError::Check(format!(
                    "segment {seg} of {} is missing",
                    v.uri
                )));
            }
        }
        // Variants with video are timed by their video, the audio rung by its audio:
        // the longest is what plays.
        let d: f64 = segments.iter().map(|s| s.1).sum();
        duration_s = duration_s.max(d);
        all_segments.push(segments);
    }
    Ok(Checked {
        variants,
        segments: all_segments,
        duration_s,
    })
}

/// The output must last as long as the source decodes. When it is shorter than the
/// source declares, or ffmpeg reported decoding errors, a full decode says how much of
/// the source is sound: a salvage is published with a warning saying how much, never with
/// the declared duration; damage in the middle is named by its time range.
async fn judge_duration(
    config: &crate::config::Config,
    sources: &[PathBuf],
    plan: &Plan,
    checked: &Checked,
    decoder_complained: bool,
    cut_short: bool,
) -> Result<Vec<String>, JobError> {
    let out = checked.duration_s;
    let declared = plan.source_duration_s;
    if (out - declared).abs() <= 1.0 && !decoder_complained {
        return Ok(Vec::new());
    }
    let mut decoded = Decoded {
        duration_s: 0.0,
        damaged: Vec::new(),
    };
    let mut offset = 0.0;
    for (part, source) in plan.parts.iter().zip(sources) {
        let streams: Vec<u32> = part
            .video_stream
            .into_iter()
            .chain(part.audio_stream)
            .collect();
        let d = analyse::decode_check(
            &config.ffmpeg,
            source,
            part.trim,
            &streams,
            config.transcode_timeout(part.duration_s),
        )
        .await
        .map_err(JobError::Transcode)?;
        decoded
            .damaged
            .extend(d.damaged.iter().map(|(a, b)| (a + offset, b + offset)));
        decoded.duration_s += d.duration_s;
        offset += part.duration_s;
    }
    let mut warnings = Vec::new();
    if decoded.duration_s < 1.0 {
        return Err(JobError::Unsalvageable(format!(
            "truncated: only {:.1} s of the {declared:.1} s declared can be decoded, nothing worth publishing",
            decoded.duration_s
        )));
    }
    if (out - decoded.duration_s).abs() > 1.0 {
        return Err(JobError::Check(format!(
            "the output lasts {out:.1} s but {:.1} s of the source can be decoded",
            decoded.duration_s
        )));
    }
    let truncated = cut_short || decoded.duration_s < declared - 1.0;
    if truncated {
        // Where a cut-off file ends, the decoders complain: that is the truncation
        // already reported, not damage.
        let end = decoded.duration_s - 1.0;
        decoded.damaged.retain(|(from, _)| *from < end);
    }
    if decoded.duration_s < declared - 1.0 {
        warnings.push(format!(
            "truncated: only {:.1} s of the {declared:.1} s declared can be decoded; the rest of the recording is missing from the file",
            decoded.duration_s
        ));
    }
    for (from, to) in &decoded.damaged {
        warnings.push(format!(
            "damaged between {} and {}: the source has decoding errors there, picture or sound may be broken",
            clock(*from),
            clock(to.max(from + 1.0))
        ));
    }
    Ok(warnings)
}

/// A source with sound must give sound: the top variant has to carry an audio stream.
pub(super) async fn check_audio(
    config: &crate::config::Config,
    dir: &Path,
    plan: &Plan,
    checked: &Checked,
) -> Result<(), JobError> {
    if !plan.has_audio {
        return Ok(());
    }
    let playlist = dir.join(&checked.variants[0].uri);
    let args = [
        "-v".as_ref(),
        "error".as_ref(),
        "-show_entries".as_ref(),
        "stream=codec_type".as_ref(),
        "-of".as_ref(),
        "csv=p=0".as_ref(),
        playlist.as_os_str(),
    ];
    let out = process::run(&config.ffprobe, args, Duration::from_secs(60))
        .await
        .map_err(JobError::Transcode)?;
    if !String::from_utf8_lossy(&out.stdout).contains("audio") {
        return Err(JobError::Check(format!(
            "the source has sound but {} has no audio stream",
            checked.variants[0].uri
        )));
    }
    Ok(())
}
