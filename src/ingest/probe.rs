//! What ffprobe says about a source file, parsed into the few facts planning needs. Parsing
//! is separate from running ffprobe so it can be tested on stored JSON samples.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::process::{self, ProcessError};

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("the file is empty (0 bytes)")]
    Empty,
    #[error("not a recording ffprobe can read: {0}")]
    NotMedia(String),
    #[error("the file has neither a video nor an audio stream")]
    NoStreams,
    #[error("unsupported format: {0}")]
    Unsupported(String),
    #[error("ffprobe's description could not be read: {0}")]
    BadJson(String),
    #[error(transparent)]
    Process(ProcessError),
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
}

/// ffprobe's JSON, as far as aula reads it. Unknown fields are ignored; the whole text
/// is kept in the catalog as well.
#[derive(Debug, Clone, Deserialize)]
pub struct ProbeJson {
    #[serde(default)]
    pub streams: Vec<StreamJson>,
    pub format: Option<FormatJson>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FormatJson {
    pub format_name: Option<String>,
    pub duration: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StreamJson {
    pub index: u32,
    pub codec_type: Option<String>,
    pub codec_name: Option<String>,
    pub codec_tag_string: Option<String>,
    pub profile: Option<String>,
    pub level: Option<i64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub sample_aspect_ratio: Option<String>,
    pub pix_fmt: Option<String>,
    pub sample_rate: Option<String>,
    pub field_order: Option<String>,
    pub avg_frame_rate: Option<String>,
    pub channels: Option<u32>,
    pub duration: Option<String>,
    pub start_time: Option<String>,
    pub disposition: Option<Disposition>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Disposition {
    #[serde(default)]
    pub attached_pic: u8,
}

/// The facts about a source that planning needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub container: String,
    pub duration_s: f64,
    /// False when the file states no length (ffprobe says N/A): often a truncated file
    /// whose header was never completed. `duration_s` is then what decodes.
    pub duration_declared: bool,
    pub video: Option<VideoInfo>,
    pub audio: Option<AudioInfo>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    pub index: u32,
    pub codec: String,
    pub profile: Option<String>,
    pub level: Option<i64>,
    pub width: u32,
    pub height: u32,
    /// Sample (pixel) aspect ratio as (num, den); 1:1 when ffprobe gives none.
    pub sar: (u32, u32),
    pub interlaced: bool,
    pub fps: Option<f64>,
    pub pix_fmt: Option<String>,
    pub start_time: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AudioInfo {
    pub index: u32,
    pub codec: String,
    pub profile: Option<String>,
    pub channels: u32,
    pub sample_rate: Option<u32>,
    /// Seconds from the start of the file to the first sample.
    pub start_time: f64,
}

impl VideoInfo {
    /// Width as displayed, with the pixel aspect applied (720×576 at 16:15 → 768).
    pub fn display_width(&self) -> f64 {
        self.width as f64 * self.sar.0 as f64 / self.sar.1 as f64
    }
}

/// Runs ffprobe on `file` and parses what it says. Returns the parsed facts and the raw
/// JSON (to be kept in the catalog).
pub async fn probe_file(ffprobe: &Path, file: &Path) -> Result<(Probe, String), ProbeError> {
    let meta = tokio::fs::metadata(file).await?;
    if meta.len() == 0 {
        return Err(ProbeError::Empty);
    }
    let args = [
        "-v".as_ref(),
        "error".as_ref(),
        "-print_format".as_ref(),
        "json".as_ref(),
        "-show_format".as_ref(),
        "-show_streams".as_ref(),
        file.as_os_str(),
    ];
    let output = match process::run(ffprobe, args, Duration::from_secs(60)).await {
        Ok(output) => output,
        Err(ProcessError::Failed { stderr, .. }) => {
            if let Some(why) = quicktime_without_index(file) {
                return Err(ProbeError::NotMedia(why.into()));
            }
            return Err(ProbeError::NotMedia(clean_ffprobe_message(&stderr, file)));
        }
        Err(other) => return Err(ProbeError::Process(other)),
    };
    let json = String::from_utf8_lossy(&output.stdout).into_owned();
    let probe = parse(&json)?;
    Ok((probe, json))
}

/// Times (in seconds) of the key frames of one video stream, read from the packets
/// without decoding; empty when the frames are not evenly spaced (variable frame rate),
/// since such video cannot be copied into segments of exact length. Used to decide
/// whether the source's H.264 can be copied.
pub async fn keyframe_times(
    ffprobe: &Path,
    file: &Path,
    stream: u32,
) -> Result<Vec<f64>, ProbeError> {
    let select = stream.to_string();
    let args = [
        "-v".as_ref(),
        "error".as_ref(),
        "-select_streams".as_ref(),
        select.as_ref(),
        "-show_entries".as_ref(),
        "packet=pts_time,flags".as_ref(),
        "-of".as_ref(),
        "csv=p=0".as_ref(),
        file.as_os_str(),
    ];
    let output = process::run(ffprobe, args, Duration::from_secs(300))
        .await
        .map_err(ProbeError::Process)?;
    Ok(parse_keyframes(&String::from_utf8_lossy(&output.stdout)))
}

/// `0.040000,K__` lines → sorted key frame times; empty if the frame rate varies.
pub fn parse_keyframes(csv: &str) -> Vec<f64> {
    let mut all: Vec<(f64, bool)> = csv
        .lines()
        .filter_map(|line| {
            let (time, flags) = line.trim().split_once(',')?;
            let t = time.parse::<f64>().ok().filter(|t| t.is_finite())?;
            Some((t, flags.starts_with('K')))
        })
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Constant frame rate: every gap within 10% of the typical (median) gap.
    let mut gaps: Vec<f64> = all.windows(2).map(|w| w[1].0 - w[0].0).collect();
    gaps.sort_by(f64::total_cmp);
    if let Some(&typical) = gaps.get(gaps.len() / 2) {
        if typical <= 0.0 || gaps.iter().any(|g| (g - typical).abs() > typical * 0.1) {
            return Vec::new();
        }
    }
    all.into_iter()
        .filter(|(_, key)| *key)
        .map(|(t, _)| t)
        .collect()
}

/// A QuickTime/MP4 file whose index (the `moov` atom, written last by cameras and old
/// encoders) never arrived: the commonest way such a recording is lost. Walks the
/// top-level atoms only.
fn quicktime_without_index(file: &Path) -> Option<&'static str> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(file).ok()?;
    let len = f.metadata().ok()?.len();
    let mut at = 0u64;
    let mut atoms = 0;
    while at + 8 <= len && atoms < 10_000 {
        let mut head = [0u8; 16];
        f.seek(SeekFrom::Start(at)).ok()?;
        f.read_exact(&mut head[..8]).ok()?;
        let kind = &head[4..8];
        let known = matches!(
            kind,
            b"ftyp" | b"moov" | b"mdat" | b"free" | b"wide" | b"skip" | b"uuid" | b"pnot"
        );
        if !known {
            return None;
        }
        if kind == b"moov" {
            return None;
        }
        let size = match u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as u64 {
            0 => len - at,
            1 => {
                f.read_exact(&mut head[8..16]).ok()?;
                u64::from_be_bytes(head[8..16].try_into().ok()?)
            }
            n => n,
        };
        if size < 8 {
            return None;
        }
        at = at.saturating_add(size);
        atoms += 1;
    }
    (atoms > 0).then_some(
        "truncated or never finished: the QuickTime/MP4 index (moov atom) is missing, so the recording cannot be read",
    )
}

/// ffprobe prefixes its complaint with the path; the caller names the file already.
/// Messages a clerk would not understand get a plain explanation beside them.
fn clean_ffprobe_message(stderr: &str, file: &Path) -> String {
    let path = file.display().to_string();
    let line = stderr.lines().last().unwrap_or("").trim();
    let line = line.strip_prefix(&path).unwrap_or(line);
    let line = line.trim_start_matches(':').trim();
    if line.is_empty() {
        "ffprobe found no recognisable format".to_string()
    } else if line.contains("moov atom not found") {
        format!("{line} (the file is truncated or was never finished: its index is missing)")
    } else {
        line.to_string()
    }
}

/// Turns ffprobe JSON into a `Probe`. Cover art in audio files is not video.
pub fn parse(json: &str) -> Result<Probe, ProbeError> {
    let raw: ProbeJson =
        serde_json::from_str(json).map_err(|e| ProbeError::BadJson(e.to_string()))?;
    let format = raw.format.as_ref();
    let video = raw.streams.iter().find(|s| is_picture(s)).map(video_info);
    let audio = raw
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("audio"))
        .map(audio_info);
    if video.is_none() && audio.is_none() {
        return Err(ProbeError::NoStreams);
    }
    check_decodable(&raw.streams, &video, &audio)?;
    let stream_duration = raw
        .streams
        .iter()
        .filter_map(|s| s.duration.as_deref()?.parse::<f64>().ok())
        .fold(0.0_f64, f64::max);
    let duration_s = format
        .and_then(|f| f.duration.as_deref()?.parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d > 0.0)
        .unwrap_or(stream_duration);
    Ok(Probe {
        container: format
            .and_then(|f| f.format_name.clone())
            .unwrap_or_default(),
        duration_s,
        duration_declared: duration_s > 0.0,
        video,
        audio,
    })
}

/// A video stream with a size that is not an attached picture (cover art).
fn is_picture(s: &StreamJson) -> bool {
    s.codec_type.as_deref() == Some("video")
        && s.disposition.as_ref().is_none_or(|d| d.attached_pic == 0)
        && s.width.unwrap_or(0) > 0
        && s.height.unwrap_or(0) > 0
}

fn video_info(s: &StreamJson) -> VideoInfo {
    VideoInfo {
        index: s.index,
        codec: s.codec_name.clone().unwrap_or_default(),
        profile: s.profile.clone(),
        level: s.level,
        width: s.width.unwrap_or(0),
        height: s.height.unwrap_or(0),
        sar: s
            .sample_aspect_ratio
            .as_deref()
            .and_then(|r| parse_ratio(r, ':'))
            .filter(|(n, d)| *n > 0 && *d > 0)
            .unwrap_or((1, 1)),
        // DV is interlaced by definition, though ffprobe reports no field order for it.
        interlaced: matches!(s.field_order.as_deref(), Some("tt" | "bb" | "tb" | "bt"))
            || s.codec_name.as_deref() == Some("dvvideo"),
        fps: s
            .avg_frame_rate
            .as_deref()
            .and_then(|r| parse_ratio(r, '/'))
            .filter(|(_, d)| *d > 0)
            .map(|(n, d)| n as f64 / d as f64),
        pix_fmt: s.pix_fmt.clone(),
        start_time: start_time(s),
    }
}

fn audio_info(s: &StreamJson) -> AudioInfo {
    AudioInfo {
        index: s.index,
        codec: s.codec_name.clone().unwrap_or_default(),
        profile: s.profile.clone(),
        channels: s.channels.unwrap_or(2),
        sample_rate: s.sample_rate.as_deref().and_then(|r| r.parse().ok()),
        start_time: start_time(s),
    }
}

/// ffprobe lists streams it cannot decode with no codec name: say which one.
fn check_decodable(
    streams: &[StreamJson],
    video: &Option<VideoInfo>,
    audio: &Option<AudioInfo>,
) -> Result<(), ProbeError> {
    for (kind, info) in [
        ("video", video.as_ref().map(|v| (v.index, v.codec.as_str()))),
        ("audio", audio.as_ref().map(|a| (a.index, a.codec.as_str()))),
    ] {
        if let Some((index, codec)) = info {
            if codec.is_empty() || codec == "none" {
                let tag = streams
                    .iter()
                    .find(|s| s.index == index)
                    .and_then(|s| s.codec_tag_string.clone())
                    .unwrap_or_else(|| "?".into());
                return Err(ProbeError::Unsupported(format!(
                    "the {kind} codec (tag {tag}) is not one ffmpeg can decode"
                )));
            }
        }
    }
    Ok(())
}

fn start_time(s: &StreamJson) -> f64 {
    s.start_time
        .as_deref()
        .and_then(|t| t.parse::<f64>().ok())
        .filter(|t| t.is_finite())
        .unwrap_or(0.0)
}

fn parse_ratio(text: &str, sep: char) -> Option<(u32, u32)> {
    let (n, d) = text.split_once(sep)?;
    Some((n.trim().parse().ok()?, d.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!("{}/tests/fixtures/probe/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn flash_video_with_mp3() {
        let p = parse(&fixture("flv1_mp3.json")).unwrap();
        assert_eq!(p.container, "flv");
        let v = p.video.unwrap();
        assert_eq!((v.codec.as_str(), v.width, v.height), ("flv1", 320, 240));
        assert!(!v.interlaced);
        assert_eq!(v.sar, (1, 1));
        assert_eq!(p.audio.unwrap().codec, "mp3");
        assert!((p.duration_s - 6.025).abs() < 0.001);
    }

    #[test]
    fn interlaced_pal_keeps_its_pixel_aspect() {
        let p = parse(&fixture("mpeg2_pal_interlaced.json")).unwrap();
        let v = p.video.unwrap();
        assert!(v.interlaced);
        assert_eq!(v.sar, (16, 15));
        assert_eq!(v.display_width(), 768.0);
        assert_eq!(v.fps, Some(25.0));
    }

    #[test]
    fn audio_only() {
        let p = parse(&fixture("mp3_audio_only.json")).unwrap();
        assert!(p.video.is_none());
        assert_eq!(p.audio.unwrap().codec, "mp3");
    }

    #[test]
    fn keyframes_from_packet_flags() {
        let mut csv = String::new();
        for n in 0..=50 {
            let flag = if n % 25 == 0 { "K__" } else { "___" };
            csv.push_str(&format!("{:.6},{flag}\n", n as f64 * 0.04));
        }
        csv.push_str("N/A,K__\n");
        assert_eq!(parse_keyframes(&csv), vec![0.0, 1.0, 2.0]);
        // Frames dropped here and there: variable frame rate, nothing to copy.
        let vfr = "0.000000,K__\n0.040000,___\n0.160000,___\n0.200000,___\n";
        assert!(parse_keyframes(vfr).is_empty());
    }

    #[test]
    fn undecodable_codec_is_named() {
        let json = r#"{"streams":[{"index":0,"codec_type":"video","codec_tag_string":"ZZZZ",
            "width":320,"height":240}],"format":{"duration":"3.0"}}"#;
        let err = parse(json).unwrap_err().to_string();
        assert!(
            err.contains("unsupported format") && err.contains("ZZZZ"),
            "{err}"
        );
    }

    #[test]
    fn nothing_playable_is_refused() {
        let err =
            parse(r#"{"streams":[{"index":0,"codec_type":"data"}],"format":{}}"#).unwrap_err();
        assert!(matches!(err, ProbeError::NoStreams));
        assert!(matches!(parse("not json"), Err(ProbeError::BadJson(_))));
    }
}
