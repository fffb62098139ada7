//! Running one claimed transcode job: probe facts → plan → one ffmpeg run into staging →
//! quality check (and salvage of damaged sources) → playlists with measured bandwidth,
//! thumbnails, poster, downloads → publish by one rename. The worker (see `worker`) decides
//! what happens to the job afterwards from the error's kind.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::archive::Archive;
use crate::catalog::{CatalogError, Cuts, JobProgress, NewMediaVersion, NewRendition};
use crate::process::{self, ProcessError};

use super::analyse::{self, clock, Decoded};
use super::hls;
use super::plan::{self, Plan, Profile, ProfileError};
use super::probe::{self, Probe, ProbeError};
use super::transcode::{self, Progress};

/// Why a transcode job failed, in words a clerk can act on.
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
        )
    }
}

/// A published version, as the job reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub session_id: i64,
    pub version: i64,
    pub duration_s: f64,
    pub warnings: Vec<String>,
}

/// Who runs a job and how it reports: the claimed job's lease is renewed while it runs;
/// losing it, or `cancel`, stops ffmpeg.
pub struct Runner {
    pub owner: String,
    pub cancel: Arc<AtomicBool>,
}

/// Runs a job this worker has claimed. `on_progress` sees every progress report.
pub async fn run(
    archive: &Archive,
    job_id: i64,
    session_id: i64,
    runner: &Runner,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<Published, JobError> {
    // One staging directory per claim; what earlier attempts of this job left (a worker
    // killed mid-run) is removed first.
    let staging_root = archive.config.staging_dir();
    let mine = format!("job-{job_id}-{}", sanitize(&runner.owner));
    if let Ok(mut entries) = tokio::fs::read_dir(&staging_root).await {
        while let Ok(Some(e)) = entries.next_entry().await {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(&format!("job-{job_id}-")) && name != mine {
                let _ = tokio::fs::remove_dir_all(e.path()).await;
            }
        }
    }
    let staging = staging_root.join(mine);
    // The lease is renewed for the whole job (planning and finishing read whole files
    // too), with ffmpeg's latest progress; losing it stops ffmpeg and the job.
    let (tx, rx) = tokio::sync::watch::channel(None::<Progress>);
    let lost = Arc::new(AtomicBool::new(false));
    let heartbeat = tokio::spawn(heartbeat(
        archive.catalog.clone(),
        job_id,
        runner.owner.clone(),
        archive.config.job_lease_seconds,
        rx,
        Arc::clone(&lost),
        Arc::clone(&runner.cancel),
    ));
    let ctx = Ctx {
        job_id,
        session_id,
        staging: &staging,
        runner,
        lost: &lost,
    };
    let result = transcode_and_publish(archive, &ctx, tx, on_progress).await;
    heartbeat.abort();
    let result = match result {
        Err(_) if lost.load(Ordering::Acquire) => Err(JobError::LeaseLost),
        other => other,
    };
    let _ = tokio::fs::remove_dir_all(&staging).await;
    result
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

struct Ctx<'a> {
    job_id: i64,
    session_id: i64,
    staging: &'a Path,
    runner: &'a Runner,
    lost: &'a AtomicBool,
}

impl Ctx<'_> {
    fn still_mine(&self) -> Result<(), JobError> {
        if self.lost.load(Ordering::Acquire) {
            Err(JobError::LeaseLost)
        } else {
            Ok(())
        }
    }
}

async fn transcode_and_publish(
    archive: &Archive,
    ctx: &Ctx<'_>,
    tx: tokio::sync::watch::Sender<Option<Progress>>,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<Published, JobError> {
    let (job_id, session_id, staging, runner) =
        (ctx.job_id, ctx.session_id, ctx.staging, ctx.runner);
    let config = &archive.config;
    use crate::ingest::worker::until_reachable;
    let rows = until_reachable("reading the recording", || {
        archive.catalog.recording_parts(session_id)
    })
    .await?;
    if rows.is_empty() {
        return Err(JobError::NoRecording(job_id));
    }
    let mut sources: Vec<PathBuf> = Vec::new();
    let mut probes: Vec<Probe> = Vec::new();
    let mut warnings = Vec::new();
    let several = rows.len() > 1;
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
            warnings.push(format!(
                "{which}truncated: the file states no length (its header was never completed); {:.1} s could be decoded",
                probe.duration_s
            ));
        }
        probes.push(probe);
        sources.push(source);
    }
    // Ranges withheld by an editor are left out: each remaining span of a part becomes an
    // input of its own, read from its start to its end.
    let cuts = Cuts::new(
        until_reachable("reading the withheld ranges", || {
            archive.catalog.withheld_ranges(session_id)
        })
        .await?
        .iter()
        .map(|r| (r.start_ms, r.end_ms))
        .collect(),
    );
    let mut trims = vec![None; sources.len()];
    if !cuts.is_empty() {
        let durations: Vec<f64> = probes.iter().map(|p| p.duration_s).collect();
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
        let (mut kept_sources, mut kept_probes) = (Vec::new(), Vec::new());
        trims.clear();
        for (part, start, end) in kept {
            kept_sources.push(sources[part].clone());
            let mut probe = probes[part].clone();
            probe.duration_s = end - start;
            kept_probes.push(probe);
            trims.push(Some((start, end)));
        }
        sources = kept_sources;
        probes = kept_probes;
    }
    let started = std::time::Instant::now();
    let mut plan = plan_for(config, &sources, &probes, cuts.is_empty()).await?;
    for (part, trim) in plan.parts.iter_mut().zip(&trims) {
        part.trim = *trim;
    }
    let planned = started.elapsed();
    let timeout = config.transcode_timeout(plan.source_duration_s);

    let out_err = |path: &Path| {
        let path = path.to_owned();
        move |source| JobError::Output { path, source }
    };
    let _ = tokio::fs::remove_dir_all(staging).await;
    tokio::fs::create_dir_all(staging.join(plan::THUMBNAIL_DIR))
        .await
        .map_err(out_err(staging))?;

    // Progress goes to the caller and, throttled by the heartbeat, to the catalog.
    let inputs: Vec<&Path> = sources.iter().map(PathBuf::as_path).collect();
    let args = plan::ffmpeg_args(&plan, &inputs, staging);
    let transcode_started = std::time::Instant::now();
    let ran = transcode::run_ffmpeg(
        config.ffmpeg.clone(),
        args,
        plan.source_duration_s,
        timeout,
        Arc::clone(&runner.cancel),
        move |p| {
            on_progress(p);
            let _ = tx.send(Some(p));
        },
    )
    .await;
    let transcoded = transcode_started.elapsed();
    ctx.still_mine()?;
    let logged_errors = match ran {
        Ok(errors) => errors,
        Err(ProcessError::Timeout { seconds, .. }) => return Err(JobError::Hung { seconds }),
        Err(_) if runner.cancel.load(Ordering::Acquire) => return Err(JobError::Cancelled),
        Err(e) => return Err(JobError::Transcode(e)),
    };

    if !logged_errors.is_empty() {
        tracing::warn!("job {job_id}: ffmpeg reported errors: {logged_errors:?}");
    }
    let checked = check_output(staging, &plan).await?;
    let cut_short = probes.iter().any(|p| !p.duration_declared);
    let judged = judge_duration(
        config,
        &sources,
        &plan,
        &checked,
        !logged_errors.is_empty(),
        cut_short,
    )
    .await?;
    warnings.extend(judged);
    // The finishing steps are independent small ffmpeg runs: run them side by side.
    let audio_download = async {
        match &plan.rungs[..] {
            [top, ..] if plan.has_audio => {
                let playlist = format!("{}/index.m3u8", top.name);
                make_audio_download(archive, staging, &playlist)
                    .await
                    .map(Some)
            }
            _ => Ok(None),
        }
    };
    let ((), (), thumbnails_vtt, (), mp4, audio_file) = tokio::try_join!(
        check_audio(config, staging, &plan, &checked),
        write_master(staging, &plan, &checked),
        write_thumbnails(config, staging, &plan, checked.duration_s),
        make_poster(archive, &sources[0], &plan, staging, checked.duration_s),
        make_download_mp4(archive, staging, &checked.variants[0].uri),
        audio_download,
    )?;

    // Publish: one rename makes the whole version visible, then the catalog points at it.
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
    archive.media.publish(staging, &dir).await?;
    let renditions: Vec<NewRendition> = checked
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
        .collect();
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
        mp4_file: Some(mp4),
        audio_playlist: audio_playlist.as_deref(),
        audio_file,
        poster_file: Some("poster.jpg"),
        thumbnails_vtt: thumbnails_vtt.as_deref(),
        duration_ms: (checked.duration_s * 1000.0).round() as i64,
        warnings: (!warnings.is_empty()).then_some(joined.as_str()),
        cuts: cut_list.as_deref(),
        job: Some((job_id, &runner.owner)),
    };
    let published = crate::ingest::worker::until_reachable("publishing the version", || {
        archive
            .catalog
            .publish_media(session_id, &version_row, &renditions)
    })
    .await;
    if let Err(e) = published {
        // Take it back out of the media area, unless the catalog points at it after all
        // (a commit whose answer was lost, then refused when tried again).
        let recorded = until_reachable("checking the version", || {
            archive.catalog.media_dir_recorded(&dir)
        })
        .await
        .unwrap_or(true);
        if !recorded {
            let _ = archive.media.remove(&dir).await;
        }
        return Err(match e {
            CatalogError::LeaseLost => JobError::LeaseLost,
            CatalogError::Superseded => JobError::Superseded,
            other => other.into(),
        });
    }
    tracing::info!(
        "job {job_id}: {:.1} s of source in {:.2} s: planning {:.2} s, transcode {:.2} s, \
         checks and finishing {:.2} s",
        plan.source_duration_s,
        started.elapsed().as_secs_f64(),
        planned.as_secs_f64(),
        transcoded.as_secs_f64(),
        (started.elapsed() - planned - transcoded).as_secs_f64(),
    );
    Ok(Published {
        session_id,
        version,
        duration_s: checked.duration_s,
        warnings,
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

/// Renews the lease every third of its length and records the latest progress. Sets
/// `lost` and `cancel` if the catalog says this worker no longer holds the job.
async fn heartbeat(
    catalog: crate::catalog::Catalog,
    job_id: i64,
    owner: String,
    lease_seconds: i64,
    rx: tokio::sync::watch::Receiver<Option<Progress>>,
    lost: Arc<AtomicBool>,
    cancel: Arc<AtomicBool>,
) {
    let every = Duration::from_millis((lease_seconds.max(1) as u64 * 1000 / 3).clamp(200, 10_000));
    let mut ticker = tokio::time::interval(every);
    loop {
        // Progress arrives many times a second; one write per tick is enough. The loop
        // runs until the job aborts it, after ffmpeg's last report too.
        ticker.tick().await;
        let latest = *rx.borrow();
        let report = latest.map(|p| JobProgress {
            percent: p.percent(),
            speed: p.speed,
            eta_seconds: p.eta_seconds(),
        });
        match catalog
            .job_progress(job_id, &owner, report.as_ref(), lease_seconds)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                lost.store(true, Ordering::Release);
                cancel.store(true, Ordering::Release);
                return;
            }
            // The catalog may be briefly unreachable; the lease covers a few misses.
            Err(e) => tracing::warn!("job {job_id}: cannot renew the lease: {e}"),
        }
    }
}

/// What was verified about a finished output.
struct Checked {
    variants: Vec<hls::Variant>,
    /// Per variant: (segment file, seconds) in order.
    segments: Vec<Vec<(String, f64)>>,
    duration_s: f64,
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
async fn check_audio(
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

/// Rewrites the master playlist with BANDWIDTH (the busiest segment) and
/// AVERAGE-BANDWIDTH measured from the segments on disk, and FRAME-RATE.
async fn write_master(dir: &Path, plan: &Plan, checked: &Checked) -> Result<(), JobError> {
    let mut variants = checked.variants.clone();
    for (v, segments) in variants.iter_mut().zip(&checked.segments) {
        let base = dir.join(&v.uri);
        let base = base.parent().unwrap_or(dir);
        let mut sized = Vec::with_capacity(segments.len());
        for (seg, seconds) in segments {
            let bytes = tokio::fs::metadata(base.join(seg))
                .await
                .map_err(|source| JobError::Output {
                    path: base.join(seg),
                    source,
                })?
                .len();
            sized.push((bytes, *seconds));
        }
        let (peak, average) = hls::measure_bandwidth(&sized);
        v.bandwidth = peak;
        v.average_bandwidth = Some(average);
        if v.resolution.is_some() {
            v.frame_rate = Some(plan.fps);
            // ffmpeg leaves CODECS out for a copied stream: read it from the init segment.
            if !v.codecs.contains("avc1") {
                let mut codecs = vec![init_codec(base).await?];
                codecs.extend(plan.has_audio.then(|| "mp4a.40.2".to_string()));
                v.codecs = codecs.join(",");
            }
        }
    }
    let text = hls::write_master(&variants);
    let path = dir.join("master.m3u8");
    tokio::fs::write(&path, text)
        .await
        .map_err(|source| JobError::Output { path, source })
}

/// The H.264 codec string of the init segment in a variant's directory.
async fn init_codec(dir: &Path) -> Result<String, JobError> {
    let mut entries = tokio::fs::read_dir(dir)
        .await
        .map_err(|source| JobError::Output {
            path: dir.to_owned(),
            source,
        })?;
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("init") && name.ends_with(".mp4") {
            let bytes = tokio::fs::read(entry.path()).await.unwrap_or_default();
            if let Some(codec) = hls::avc_codec_string(&bytes) {
                return Ok(codec);
            }
        }
    }
    Err(JobError::Check(format!(
        "no H.264 init segment in {}",
        dir.display()
    )))
}

/// Tiles the single thumbnails into sprites, removes the singles and writes the WebVTT
/// map; None for audio-only output.
async fn write_thumbnails(
    config: &crate::config::Config,
    dir: &Path,
    plan: &Plan,
    duration_s: f64,
) -> Result<Option<String>, JobError> {
    const NAME: &str = "thumbnails.vtt";
    let thumbs = dir.join(plan::THUMBNAIL_DIR);
    let Some(t) = &plan.thumbnails else {
        let _ = tokio::fs::remove_dir(&thumbs).await;
        return Ok(None);
    };
    let frame = |n: u32| thumbs.join(format!("frame_{n:05}.jpg"));
    let mut frames = 0;
    while tokio::fs::metadata(frame(frames + 1)).await.is_ok() {
        frames += 1;
    }
    if frames == 0 {
        return Err(JobError::Check("no thumbnail was written".into()));
    }
    process::run(
        &config.ffmpeg,
        plan::sprite_args(t, &thumbs),
        Duration::from_secs(600),
    )
    .await
    .map_err(JobError::Transcode)?;
    for n in 1..=frames {
        let _ = tokio::fs::remove_file(frame(n)).await;
    }
    let path = dir.join(NAME);
    tokio::fs::write(&path, plan::thumbnails_vtt(t, duration_s, frames))
        .await
        .map_err(|source| JobError::Output { path, source })?;
    Ok(Some(NAME.to_string()))
}

/// A still for the player and the lists: a frame a little into the video, or a plain card
/// for audio-only recordings.
async fn make_poster(
    archive: &Archive,
    source: &Path,
    plan: &Plan,
    dir: &Path,
    duration_s: f64,
) -> Result<(), JobError> {
    let poster = dir.join("poster.jpg");
    let mut args: Vec<String> = vec![
        "-hide_banner".into(),
        "-v".into(),
        "error".into(),
        "-y".into(),
    ];
    match (plan.rungs.first(), plan.parts[0].video_stream) {
        (Some(top), Some(video)) => {
            // Seeking after decoding (not in the input) finds a frame even when the
            // source's key frames are far apart; at most 5 s are decoded. A part that is a
            // span of its file (the rest withheld) gives a frame from inside the span.
            let (from, to) = plan.parts[0].trim.unwrap_or((0.0, duration_s));
            let at = from + (duration_s / 3.0).min(5.0).min((to - from) / 2.0);
            args.extend([
                "-i".into(),
                source.display().to_string(),
                "-ss".into(),
                format!("{at:.2}"),
                "-map".into(),
                format!("0:{video}"),
                "-frames:v".into(),
                "1".into(),
                "-vf".into(),
                format!(
                    "{}scale={}:{},setsar=1",
                    if plan.parts[0].deinterlace {
                        "yadif,"
                    } else {
                        ""
                    },
                    top.width,
                    top.height
                ),
            ]);
        }
        (top, _) => {
            let (w, h) = top.map_or((640, 360), |t| (t.width, t.height));
            args.extend([
                "-f".into(),
                "lavfi".into(),
                "-i".into(),
                format!("color=c=0x0066cc:s={w}x{h}"),
                "-frames:v".into(),
                "1".into(),
            ]);
        }
    }
    args.extend(["-q:v".into(), "4".into(), poster.display().to_string()]);
    process::run(&archive.config.ffmpeg, &args, Duration::from_secs(120))
        .await
        .map_err(JobError::Transcode)?;
    if tokio::fs::metadata(&poster).await.is_err() {
        return Err(JobError::Check("no poster frame could be taken".into()));
    }
    Ok(())
}

/// A progressive MP4 with the index first, remuxed from the top variant (no re-encode),
/// for download and for players without HLS.
async fn make_download_mp4(
    archive: &Archive,
    dir: &Path,
    top_playlist: &str,
) -> Result<&'static str, JobError> {
    remux(archive, dir, top_playlist, &[], "download.mp4").await
}

/// The sound alone, for listening on a slow link or keeping: the top variant's audio.
async fn make_audio_download(
    archive: &Archive,
    dir: &Path,
    playlist: &str,
) -> Result<&'static str, JobError> {
    remux(archive, dir, playlist, &["-vn"], "audio.m4a").await
}

async fn remux(
    archive: &Archive,
    dir: &Path,
    playlist: &str,
    extra: &[&str],
    name: &'static str,
) -> Result<&'static str, JobError> {
    let mut args: Vec<String> = vec![
        "-hide_banner".into(),
        "-v".into(),
        "error".into(),
        "-y".into(),
        "-i".into(),
        dir.join(playlist).display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend([
        "-c".into(),
        "copy".into(),
        "-movflags".into(),
        "+faststart".into(),
        dir.join(name).display().to_string(),
    ]);
    process::run(&archive.config.ffmpeg, &args, Duration::from_secs(600))
        .await
        .map_err(JobError::Transcode)?;
    Ok(name)
}
