//! Ingest: a recording file becomes an archived original, a session in the catalog and a
//! transcode job; running that job probes, plans, transcodes into staging and publishes by
//! rename. Bad input is refused before anything is written.

pub mod attach;
pub mod hls;
pub mod plan;
pub mod probe;
pub mod store;
pub mod transcode;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use crate::archive::Archive;
use crate::catalog::{
    BodyName, CatalogError, NewMediaVersion, NewRecording, NewRendition, NewSession, SessionDate,
    SessionTitle,
};
use crate::process::{self, ProcessError};
use plan::{Plan, Profile, ProfileError};
use probe::ProbeError;
pub use transcode::Progress;

/// The profile used until profiles are chosen per source.
pub const DEFAULT_PROFILE: &str = "sd";

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{file}: no such file")]
    Missing { file: PathBuf },
    #[error("{file}: not a regular file")]
    NotAFile { file: PathBuf },
    #[error("{file}: {source}")]
    Probe { file: PathBuf, source: ProbeError },
    #[error("{file}: cannot read this document: {reason}")]
    Document { file: PathBuf, reason: String },
    #[error(transparent)]
    Attach(#[from] attach::AttachError),
    #[error("{file}: cannot store the original: {source}")]
    Store {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

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
    #[error("the output failed its check: {0}")]
    Check(String),
    #[error("cannot write the output in {path}: {source}")]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// A recording offered to the archive, with what the clerk says about it.
#[derive(Debug)]
pub struct Submission {
    pub file: PathBuf,
    pub body: BodyName,
    pub date: SessionDate,
    pub title: SessionTitle,
    pub kind: String,
    /// Agenda, minutes, transcript… each kept and read; one that cannot be read is kept
    /// with the reason and does not stop the ingest.
    pub documents: Vec<(attach::DocumentKind, PathBuf)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// A new session with a queued transcode job, and how its documents went.
    Queued {
        session_id: i64,
        job_id: i64,
        documents: Vec<attach::Attached>,
    },
    /// The same content is archived already; nothing was created.
    AlreadyArchived { session_id: i64 },
}

/// Checks and records a submission: probe, read the agenda, store the original, create
/// the session and its job. Nothing is written unless every check passes.
pub async fn submit(archive: &Archive, sub: &Submission) -> Result<Submitted, IngestError> {
    let file = &sub.file;
    let meta = tokio::fs::metadata(file)
        .await
        .map_err(|_| IngestError::Missing { file: file.clone() })?;
    if !meta.is_file() {
        return Err(IngestError::NotAFile { file: file.clone() });
    }
    let (probe, probe_json) = probe::probe_file(&archive.config.ffprobe, file)
        .await
        .map_err(|source| IngestError::Probe {
            file: file.clone(),
            source,
        })?;
    if probe.duration_s <= 0.0 {
        return Err(IngestError::Probe {
            file: file.clone(),
            source: ProbeError::NotMedia("ffprobe reports no duration".into()),
        });
    }
    // A mistyped document path stops the ingest before anything is written; a document
    // that exists but cannot be read is kept with the reason (see `attach`).
    for (_, path) in &sub.documents {
        let reason = match tokio::fs::metadata(path).await {
            Ok(m) if m.is_file() => continue,
            Ok(_) => "not a regular file".to_string(),
            Err(e) => e.to_string(),
        };
        return Err(IngestError::Document {
            file: path.clone(),
            reason,
        });
    }

    let stored = store::store_original_async(file, archive.data_dir())
        .await
        .map_err(|source| IngestError::Store {
            file: file.clone(),
            source,
        })?;
    if let Some(session_id) = archive
        .catalog
        .session_with_recording(&stored.sha256)
        .await?
    {
        return Ok(Submitted::AlreadyArchived { session_id });
    }
    let original_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let created = archive
        .catalog
        .create_session(
            &NewSession {
                body: &sub.body,
                date: sub.date,
                title: &sub.title,
                kind: &sub.kind,
                number: None,
            },
            &NewRecording {
                sha256: &stored.sha256,
                original_name: &original_name,
                size_bytes: stored.size as i64,
                stored_path: &stored.relative_path,
                duration_ms: Some((probe.duration_s * 1000.0).round() as i64),
                probe_json: &probe_json,
            },
            &serde_json::json!({ "profile": DEFAULT_PROFILE }).to_string(),
        )
        .await;
    let (session_id, job_id) = match created {
        Ok(ids) => ids,
        Err(e) => {
            if stored.newly_written {
                let _ = std::fs::remove_file(archive.data_path(&stored.relative_path));
            }
            return Err(e.into());
        }
    };
    let mut documents = Vec::with_capacity(sub.documents.len());
    for (kind, path) in &sub.documents {
        documents.push(attach::attach(archive, session_id, *kind, path).await?);
    }
    Ok(Submitted::Queued {
        session_id,
        job_id,
        documents,
    })
}

/// How long a transcode may run before it is presumed hung: generous, and scaled to the
/// source so a three-hour council session is not cut short.
pub fn transcode_timeout(duration_s: f64) -> Duration {
    Duration::from_secs_f64(120.0 + duration_s.max(0.0) * 10.0)
}

/// Runs a queued transcode job to the end: the session is published, or the job and the
/// session are marked failed with the reason. `on_progress` sees every progress report.
pub async fn run_job(
    archive: &Archive,
    job_id: i64,
    worker: &str,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<(), JobError> {
    const LEASE: i64 = 60;
    let job = archive
        .catalog
        .job(job_id)
        .await?
        .ok_or(JobError::NoSuchJob(job_id))?;
    if !archive.catalog.claim_job(job_id, worker, LEASE).await? {
        return Err(JobError::NotClaimable(job_id));
    }
    let session_id = job.session_id.ok_or(JobError::NoRecording(job_id))?;
    let staging = archive
        .config
        .staging_dir()
        .join(format!("job-{job_id}-{}", std::process::id()));
    let result = transcode_and_publish(archive, job_id, session_id, &staging, on_progress).await;
    let _ = tokio::fs::remove_dir_all(&staging).await;
    match &result {
        Ok(()) => archive.catalog.finish_job(job_id, None).await?,
        Err(e) => {
            let reason = e.to_string();
            archive.catalog.finish_job(job_id, Some(&reason)).await?;
            archive
                .catalog
                .set_session_failed(session_id, &reason)
                .await?;
        }
    }
    result
}

async fn transcode_and_publish(
    archive: &Archive,
    job_id: i64,
    session_id: i64,
    staging: &Path,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<(), JobError> {
    let (stored_path, probe_json) = archive
        .catalog
        .first_recording(session_id)
        .await?
        .ok_or(JobError::NoRecording(job_id))?;
    let source = archive.data_path(&stored_path);
    tokio::fs::metadata(&source)
        .await
        .map_err(|e| JobError::OriginalMissing {
            path: source.clone(),
            source: e,
        })?;
    let probe = probe::parse(&probe_json)?;
    let profile = Profile::load(
        &archive
            .config
            .profiles_dir
            .join(format!("{DEFAULT_PROFILE}.toml")),
    )?;
    let plan = plan::plan(&probe, &profile);

    let out_err = |path: &Path| {
        let path = path.to_owned();
        move |source| JobError::Output { path, source }
    };
    let _ = tokio::fs::remove_dir_all(staging).await;
    tokio::fs::create_dir_all(staging)
        .await
        .map_err(out_err(staging))?;

    // Progress goes to the caller and, throttled, to the catalog (which renews the lease).
    let (tx, mut rx) = tokio::sync::watch::channel(None::<Progress>);
    let catalog = archive.catalog.clone();
    let heartbeat = tokio::spawn(async move {
        while rx.changed().await.is_ok() {
            let latest = *rx.borrow_and_update();
            if let Some(p) = latest {
                let _ = catalog
                    .job_progress(job_id, p.percent(), p.speed, p.eta_seconds(), 60)
                    .await;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let args = plan::ffmpeg_args(&plan, &source, staging);
    let ran = transcode::run_ffmpeg(
        archive.config.ffmpeg.clone(),
        args,
        plan.source_duration_s,
        transcode_timeout(plan.source_duration_s),
        Arc::new(AtomicBool::new(false)),
        move |p| {
            on_progress(p);
            let _ = tx.send(Some(p));
        },
    )
    .await;
    let _ = heartbeat.await;
    ran.map_err(JobError::Transcode)?;

    let checked = check_output(staging, &plan).await?;
    make_poster(archive, &source, &plan, staging).await?;
    let mp4 = make_download_mp4(archive, staging, &checked.variants[0].uri).await?;

    // Publish: one rename makes the whole version visible, then the catalog points at it.
    let version = archive.catalog.next_media_version(session_id).await?;
    let dir = format!("{session_id}/{version}");
    let target = archive.media_path(&dir);
    if let Some(parent) = target.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(out_err(parent))?;
    }
    tokio::fs::rename(staging, &target)
        .await
        .map_err(out_err(&target))?;
    let renditions: Vec<NewRendition> = checked
        .variants
        .iter()
        .map(|v| NewRendition {
            kind: if plan.is_audio_only() {
                "audio"
            } else {
                "video"
            },
            width: v.resolution.map(|r| r.0),
            height: v.resolution.map(|r| r.1),
            bandwidth: v.bandwidth,
            average_bandwidth: v.average_bandwidth,
            codecs: &v.codecs,
            playlist: &v.uri,
        })
        .collect();
    let published = archive
        .catalog
        .publish_media(
            session_id,
            &NewMediaVersion {
                version,
                dir: &dir,
                profile: &plan.profile,
                master_playlist: "master.m3u8",
                mp4_file: Some(mp4),
                audio_playlist: None,
                poster_file: Some("poster.jpg"),
                duration_ms: (checked.duration_s * 1000.0).round() as i64,
                warnings: None,
            },
            &renditions,
        )
        .await;
    if let Err(e) = published {
        // The catalog never pointed at it: take it back out of the media area.
        let _ = tokio::fs::remove_dir_all(&target).await;
        return Err(e.into());
    }
    Ok(())
}

/// What was verified about a finished output.
struct Checked {
    variants: Vec<hls::Variant>,
    duration_s: f64,
}

/// Every variant present and finished, every segment on disk, duration close to the source's.
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
    let mut duration_s = f64::MAX;
    for v in &variants {
        let path = dir.join(&v.uri);
        let text = read(path.clone()).await?;
        let (d, segments) =
            hls::parse_media(&v.uri, &text).map_err(|e| JobError::Check(e.to_string()))?;
        let base = path.parent().unwrap_or(dir);
        for seg in &segments {
            if tokio::fs::metadata(base.join(seg)).await.is_err() {
                return Err(JobError::Check(format!(
                    "segment {seg} of {} is missing",
                    v.uri
                )));
            }
        }
        duration_s = duration_s.min(d);
    }
    if (duration_s - plan.source_duration_s).abs() > 1.0 {
        return Err(JobError::Check(format!(
            "the output lasts {duration_s:.1} s but the source declares {:.1} s",
            plan.source_duration_s
        )));
    }
    Ok(Checked {
        variants,
        duration_s,
    })
}

/// A still for the player and the lists: a frame a little into the video, or a plain card
/// for audio-only recordings.
async fn make_poster(
    archive: &Archive,
    source: &Path,
    plan: &Plan,
    dir: &Path,
) -> Result<(), JobError> {
    let poster = dir.join("poster.jpg");
    let poster_arg = poster.display().to_string();
    let mut args: Vec<String> = vec![
        "-hide_banner".into(),
        "-v".into(),
        "error".into(),
        "-y".into(),
    ];
    match plan.rungs.first() {
        Some(top) => {
            let at = (plan.source_duration_s / 3.0).min(5.0);
            args.extend([
                "-ss".into(),
                format!("{at:.2}"),
                "-i".into(),
                source.display().to_string(),
                "-map".into(),
                format!("0:{}", plan.video_stream.unwrap_or(0)),
                "-frames:v".into(),
                "1".into(),
                "-vf".into(),
                format!(
                    "{}scale={}:{},setsar=1",
                    if plan.deinterlace { "yadif," } else { "" },
                    top.width,
                    top.height
                ),
            ]);
        }
        None => args.extend([
            "-f".into(),
            "lavfi".into(),
            "-i".into(),
            "color=c=0x0066cc:s=640x360".into(),
            "-frames:v".into(),
            "1".into(),
        ]),
    }
    args.extend(["-q:v".into(), "4".into(), poster_arg]);
    process::run(&archive.config.ffmpeg, &args, Duration::from_secs(120))
        .await
        .map_err(JobError::Transcode)?;
    if tokio::fs::metadata(&poster).await.is_err() {
        return Err(JobError::Check("no poster frame could be taken".into()));
    }
    Ok(())
}

/// A progressive MP4 with the index first, remuxed from the top rung (no re-encode), for
/// download and for players without HLS.
async fn make_download_mp4(
    archive: &Archive,
    dir: &Path,
    top_playlist: &str,
) -> Result<&'static str, JobError> {
    const NAME: &str = "download.mp4";
    let args = [
        "-hide_banner".to_string(),
        "-v".into(),
        "error".into(),
        "-y".into(),
        "-i".into(),
        dir.join(top_playlist).display().to_string(),
        "-c".into(),
        "copy".into(),
        "-movflags".into(),
        "+faststart".into(),
        dir.join(NAME).display().to_string(),
    ];
    process::run(&archive.config.ffmpeg, &args, Duration::from_secs(600))
        .await
        .map_err(JobError::Transcode)?;
    Ok(NAME)
}
