//! Cutting a clip's MP4 out of a session's published download, without re-encoding: the
//! ladder puts a key frame every 2 s, so the clip starts at the key frame at or before the
//! asked start (ffprobe finds it) and is a stream copy from there to the asked end, with
//! the captions of the stretch as a text track (`mov_text`, which phones and desktop
//! players show). Clips are kept in the data directory's `cache/clips/`, one directory per
//! media version and stretch, the least recently used removed past a size limit; at most
//! `CUTS_AT_ONCE` cuts run together, so many first requests cannot take the machine.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use super::Window;
use crate::documents::transcript::{to_webvtt, Cue};
use crate::process::{self, ProcessError};

/// Cuts running at once; the rest wait their turn, for at most `WAIT`.
const CUTS_AT_ONCE: usize = 2;
const WAIT: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum CutError {
    #[error("too many clips are being cut right now: try again in a few seconds")]
    Busy,
    #[error("cannot find the key frames of the published video: {0}")]
    Probe(String),
    #[error("cannot cut the clip: {0}")]
    Process(#[from] ProcessError),
    #[error("clip cache {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CutError + '_ {
    move |source| CutError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A clip ready to be served.
#[derive(Debug, Clone)]
pub struct Made {
    /// The clip's MP4 in the cache.
    pub mp4: PathBuf,
    /// Where the clip really starts in the session (the key frame), in milliseconds.
    pub from_ms: u64,
}

/// The clip cache and the tools that fill it.
#[derive(Debug)]
pub struct Clips {
    root: PathBuf,
    ffmpeg: PathBuf,
    ffprobe: PathBuf,
    limit_bytes: u64,
    cutting: Semaphore,
}

impl Clips {
    pub fn new(data_dir: &Path, ffmpeg: &Path, ffprobe: &Path, limit_bytes: u64) -> Clips {
        Clips {
            root: data_dir.join("cache").join("clips"),
            ffmpeg: ffmpeg.to_owned(),
            ffprobe: ffprobe.to_owned(),
            limit_bytes,
            cutting: Semaphore::new(CUTS_AT_ONCE),
        }
    }

    /// The directory of one stretch of one media version (`dir`: `session/version`).
    fn stretch_dir(&self, dir: &str, window: Window) -> PathBuf {
        self.root
            .join(dir.replace('/', "-"))
            .join(format!("{}-{}", window.start_s, window.end_s))
    }

    /// Where the clip of `window` really starts: the key frame at or before its start,
    /// found once and remembered next to the clip.
    pub async fn start_of(&self, input: &str, dir: &str, window: Window) -> Result<u64, CutError> {
        let stretch = self.stretch_dir(dir, window);
        let remembered = stretch.join("from_ms");
        if let Ok(text) = tokio::fs::read_to_string(&remembered).await {
            if let Ok(ms) = text.trim().parse() {
                return Ok(ms);
            }
        }
        let from_ms = self.key_frame_before(input, window.start_s).await?;
        tokio::fs::create_dir_all(&stretch)
            .await
            .map_err(io(&stretch))?;
        write_atomically(&remembered, from_ms.to_string().as_bytes()).await?;
        Ok(from_ms)
    }

    /// The last video key frame at or before `start_s`, in milliseconds from the video's
    /// start; `start_s` itself for a file without video (every audio frame is a key).
    async fn key_frame_before(&self, input: &str, start_s: u64) -> Result<u64, CutError> {
        if start_s == 0 {
            return Ok(0);
        }
        let interval = format!("{}%{}", start_s.saturating_sub(6), start_s + 1);
        let args = [
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-read_intervals",
            &interval,
            "-show_entries",
            "format=start_time:packet=pts_time,flags",
            "-of",
            "json",
            input,
        ];
        let output = process::run(&self.ffprobe, args, Duration::from_secs(30)).await?;
        let found: serde_json::Value = serde_json::from_slice(&output.stdout)
            .map_err(|e| CutError::Probe(format!("unreadable ffprobe answer: {e}")))?;
        key_frame_at_or_before(&found, start_s * 1000)
            .ok_or_else(|| CutError::Probe(format!("no key frame near {start_s} s")))
    }

    /// The clip of `window`, cut if it is not in the cache: starting at `from_ms` (from
    /// `start_of`), with `cues` (the session's) as its captions.
    pub async fn clip(
        &self,
        input: &str,
        dir: &str,
        window: Window,
        from_ms: u64,
        cues: &[Cue],
    ) -> Result<Made, CutError> {
        let to_ms = window.end_s * 1000;
        let captions = super::captions(cues, from_ms, to_ms);
        let vtt = (!captions.is_empty()).then(|| to_webvtt(&captions));
        // Named by what is in it: corrected captions make a new file.
        let mut hash = Sha256::new();
        hash.update(format!("{from_ms}-{to_ms}\n"));
        hash.update(vtt.as_deref().unwrap_or(""));
        let name = format!("clip-{}.mp4", &hex::encode(hash.finalize())[..16]);
        let stretch = self.stretch_dir(dir, window);
        let mp4 = stretch.join(&name);
        let made = Made {
            mp4: mp4.clone(),
            from_ms,
        };
        if touch(&mp4).await {
            return Ok(made);
        }
        let _turn = tokio::time::timeout(WAIT, self.cutting.acquire())
            .await
            .map_err(|_| CutError::Busy)?
            .map_err(|_| CutError::Busy)?;
        // Someone else may have cut it while this one waited.
        if touch(&mp4).await {
            return Ok(made);
        }
        tokio::fs::create_dir_all(&stretch)
            .await
            .map_err(io(&stretch))?;
        let part = stretch.join(format!(".{name}.part"));
        let vtt_file = stretch.join(format!(".{name}.vtt"));
        if let Some(vtt) = &vtt {
            tokio::fs::write(&vtt_file, vtt)
                .await
                .map_err(io(&vtt_file))?;
        }
        let args = cut_args(
            input,
            from_ms,
            to_ms,
            vtt.is_some().then_some(vtt_file.as_path()),
            &part,
        );
        let limit = Duration::from_secs(60 + window.length_s());
        let result = process::run(&self.ffmpeg, &args, limit).await;
        let _ = tokio::fs::remove_file(&vtt_file).await;
        if let Err(e) = result {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(e.into());
        }
        tokio::fs::rename(&part, &mp4).await.map_err(io(&mp4))?;
        tracing::info!(clip = %mp4.display(), from_ms, to_ms, "clip cut");
        self.trim().await;
        Ok(made)
    }

    /// Removes the least recently served clips until the cache is within its limit.
    async fn trim(&self) {
        let root = self.root.clone();
        let limit = self.limit_bytes;
        let removed = tokio::task::spawn_blocking(move || trim_dir(&root, limit))
            .await
            .unwrap_or(0);
        if removed > 0 {
            tracing::info!(removed, "clip cache trimmed");
        }
    }
}

/// A cut clip described for serving: its ETag comes from its name (a digest of what is
/// in it) and the version it was cut from, so nothing is read to make it.
pub fn stored(mp4: &Path) -> std::io::Result<crate::storage::StoredFile> {
    let file = std::fs::File::open(mp4)?;
    let meta = file.metadata()?;
    let part = |p: Option<&Path>| {
        p.and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let stretch = mp4.parent();
    let etag = format!(
        "\"{}.{}.{}.{}\"",
        part(stretch.and_then(Path::parent)),
        part(stretch),
        part(Some(mp4))
            .trim_start_matches("clip-")
            .trim_end_matches(".mp4"),
        meta.len()
    );
    Ok(crate::storage::StoredFile {
        source: crate::storage::Source::Disk(file),
        len: meta.len(),
        modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        etag,
        content_type: crate::storage::content_type("clip.mp4"),
        bytes: None,
    })
}

/// ffmpeg's arguments for a stream copy of `input` from `from_ms` to `to_ms`, with the
/// captions in `vtt` (already timed from the clip's start) as a text track, into `out`.
fn cut_args(input: &str, from_ms: u64, to_ms: u64, vtt: Option<&Path>, out: &Path) -> Vec<String> {
    let secs = |ms: u64| format!("{}.{:03}", ms / 1000, ms % 1000);
    let mut args: Vec<String> = ["-hide_banner", "-v", "error", "-y", "-ss"]
        .map(String::from)
        .to_vec();
    args.extend([secs(from_ms), "-i".into(), input.to_string()]);
    if let Some(vtt) = vtt {
        args.extend(["-i".into(), vtt.display().to_string()]);
    }
    args.extend(["-t".into(), secs(to_ms.saturating_sub(from_ms))]);
    args.extend(
        [
            "-map", "0:v?", "-map", "0:a?", "-c:v", "copy", "-c:a", "copy",
        ]
        .map(String::from),
    );
    if vtt.is_some() {
        args.extend(
            [
                "-map",
                "1:s",
                "-c:s",
                "mov_text",
                "-metadata:s:s:0",
                "language=ita",
            ]
            .map(String::from),
        );
    }
    args.extend(["-movflags", "+faststart", "-f", "mp4"].map(String::from));
    args.push(out.display().to_string());
    args
}

/// From ffprobe's packets (JSON), the last key frame at or before `at_ms`, in
/// milliseconds from the file's start time.
fn key_frame_at_or_before(probe: &serde_json::Value, at_ms: u64) -> Option<u64> {
    let number = |v: &serde_json::Value| v.as_str().and_then(|s| s.parse::<f64>().ok());
    let start = probe
        .pointer("/format/start_time")
        .and_then(number)
        .unwrap_or(0.0);
    let packets = probe.get("packets")?.as_array()?;
    if packets.is_empty() {
        // No video stream: the clip starts where it was asked.
        return Some(at_ms);
    }
    packets
        .iter()
        .filter(|p| {
            p.get("flags")
                .and_then(|f| f.as_str())
                .is_some_and(|f| f.starts_with('K'))
        })
        .filter_map(|p| p.get("pts_time").and_then(number))
        .map(|pts| ((pts - start).max(0.0) * 1000.0).round() as u64)
        .filter(|&ms| ms <= at_ms)
        .max()
}

/// Marks `path` as just used; false when it does not exist.
async fn touch(path: &Path) -> bool {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        std::fs::File::options()
            .append(true)
            .open(&path)
            .and_then(|f| f.set_modified(SystemTime::now()))
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

async fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CutError> {
    let part = path.with_extension("part");
    tokio::fs::write(&part, bytes).await.map_err(io(&part))?;
    tokio::fs::rename(&part, path).await.map_err(io(path))
}

/// Removes the oldest clips (by last use) under `root` until their total is at most
/// `limit` bytes, and the directories they leave empty; returns how many went.
fn trim_dir(root: &Path, limit: u64) -> usize {
    let mut clips: Vec<(SystemTime, u64, PathBuf)> = Vec::new();
    let Ok(versions) = std::fs::read_dir(root) else {
        return 0;
    };
    for version in versions.flatten() {
        for stretch in std::fs::read_dir(version.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            for file in std::fs::read_dir(stretch.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let path = file.path();
                if path.extension().is_some_and(|e| e == "mp4") {
                    if let Ok(meta) = file.metadata() {
                        let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                        clips.push((used, meta.len(), path));
                    }
                }
            }
        }
    }
    let mut total: u64 = clips.iter().map(|c| c.1).sum();
    clips.sort();
    let mut removed = 0;
    for (_, len, path) in clips {
        if total <= limit {
            break;
        }
        if std::fs::remove_file(&path).is_ok() {
            total -= len;
            removed += 1;
            if let Some(stretch) = path.parent() {
                let keeps_clips = std::fs::read_dir(stretch)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .any(|f| f.path().extension().is_some_and(|e| e == "mp4"));
                if !keeps_clips {
                    let _ = std::fs::remove_dir_all(stretch);
                }
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clip_starts_at_the_last_key_frame_at_or_before_its_start() {
        let probe = serde_json::json!({
            "packets": [
                {"pts_time": "4.022031", "flags": "K_"},
                {"pts_time": "4.062031", "flags": "__"},
                {"pts_time": "6.022031", "flags": "K_"},
                {"pts_time": "6.062031", "flags": "__"},
                {"pts_time": "8.022031", "flags": "K_"},
            ],
            "format": {"start_time": "0.022031"}
        });
        assert_eq!(key_frame_at_or_before(&probe, 7_000), Some(6_000));
        assert_eq!(key_frame_at_or_before(&probe, 6_000), Some(6_000));
        assert_eq!(key_frame_at_or_before(&probe, 3_000), None);
        let audio_only = serde_json::json!({"packets": [], "format": {"start_time": "0"}});
        assert_eq!(key_frame_at_or_before(&audio_only, 7_000), Some(7_000));
    }

    #[test]
    fn a_cut_copies_the_streams_and_adds_the_captions_as_text() {
        let input = "/m/download.mp4";
        let args = cut_args(
            input,
            6_000,
            20_000,
            Some(Path::new("/c/x.vtt")),
            Path::new("/c/o"),
        );
        let text = args.join(" ");
        assert!(
            text.contains("-ss 6.000 -i /m/download.mp4 -i /c/x.vtt -t 14.000"),
            "{text}"
        );
        assert!(text.contains("-c:v copy -c:a copy"), "{text}");
        assert!(text.contains("-map 1:s -c:s mov_text"), "{text}");
        assert!(!text.contains("libx264"), "never re-encoded: {text}");
        let bare = cut_args(input, 0, 1_500, None, Path::new("/c/o")).join(" ");
        assert!(!bare.contains("1:s"), "{bare}");
        assert!(bare.contains("-t 1.500"), "{bare}");
    }

    #[test]
    fn the_cache_loses_its_least_recently_used_clips_first() {
        let root = tempfile::tempdir().unwrap();
        let old = root.path().join("1-1/0-10/clip-a.mp4");
        let new = root.path().join("1-1/10-20/clip-b.mp4");
        for path in [&old, &new] {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, vec![0u8; 1000]).unwrap();
        }
        let earlier = SystemTime::now() - Duration::from_secs(60);
        std::fs::File::options()
            .append(true)
            .open(&old)
            .unwrap()
            .set_modified(earlier)
            .unwrap();
        assert_eq!(trim_dir(root.path(), 2000), 0);
        assert_eq!(trim_dir(root.path(), 1500), 1);
        assert!(!old.exists() && !old.parent().unwrap().exists());
        assert!(new.exists());
    }
}
