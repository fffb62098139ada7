//! The transcode job's finishing files, made in staging side by side once the output is
//! checked: the master playlist with measured bandwidth, thumbnail sprites and their map,
//! the poster, the MP4 and audio downloads. Each is a small ffmpeg run or a file write;
//! none touches the catalog or the media store.

use std::path::Path;
use std::time::Duration;

use crate::archive::Archive;
use crate::ingest::hls;
use crate::ingest::plan::{self, Plan};
use crate::process;

use super::check::{check_audio, Checked};
use super::JobError;

/// The finishing files' names, for the catalog's version row.
pub(super) struct Finished {
    pub thumbnails_vtt: Option<String>,
    pub mp4: &'static str,
    pub audio_file: Option<&'static str>,
}

/// Makes every finishing file (and checks the sound). They are independent small ffmpeg
/// runs: side by side.
pub(super) async fn finish(
    archive: &Archive,
    staging: &Path,
    first_source: &Path,
    plan: &Plan,
    checked: &Checked,
) -> Result<Finished, JobError> {
    let config = &archive.config;
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
        check_audio(config, staging, plan, checked),
        write_master(staging, plan, checked),
        write_thumbnails(config, staging, plan, checked.duration_s),
        make_poster(archive, first_source, plan, staging, checked.duration_s),
        make_download_mp4(archive, staging, &checked.variants[0].uri),
        audio_download,
    )?;
    Ok(Finished {
        thumbnails_vtt,
        mp4,
        audio_file,
    })
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
