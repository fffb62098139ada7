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
    pub profile: Option<String>,
    pub level: Option<i64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub sample_aspect_ratio: Option<String>,
    pub field_order: Option<String>,
    pub avg_frame_rate: Option<String>,
    pub channels: Option<u32>,
    pub duration: Option<String>,
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
}

#[derive(Debug, Clone, PartialEq)]
pub struct AudioInfo {
    pub index: u32,
    pub codec: String,
    pub channels: u32,
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
            return Err(ProbeError::NotMedia(clean_ffprobe_message(&stderr, file)))
        }
        Err(other) => return Err(ProbeError::Process(other)),
    };
    let json = String::from_utf8_lossy(&output.stdout).into_owned();
    let probe = parse(&json)?;
    Ok((probe, json))
}

/// ffprobe prefixes its complaint with the path; the caller names the file already.
fn clean_ffprobe_message(stderr: &str, file: &Path) -> String {
    let path = file.display().to_string();
    let line = stderr.lines().last().unwrap_or("").trim();
    let line = line.strip_prefix(&path).unwrap_or(line);
    let line = line.trim_start_matches(':').trim();
    if line.is_empty() {
        "ffprobe found no recognisable format".to_string()
    } else {
        line.to_string()
    }
}

/// Turns ffprobe JSON into a `Probe`. Cover art in audio files is not video.
pub fn parse(json: &str) -> Result<Probe, ProbeError> {
    let raw: ProbeJson =
        serde_json::from_str(json).map_err(|e| ProbeError::BadJson(e.to_string()))?;
    let format = raw.format.as_ref();
    let video = raw
        .streams
        .iter()
        .filter(|s| s.codec_type.as_deref() == Some("video"))
        .filter(|s| s.disposition.as_ref().is_none_or(|d| d.attached_pic == 0))
        .find(|s| s.width.unwrap_or(0) > 0 && s.height.unwrap_or(0) > 0)
        .map(|s| VideoInfo {
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
            interlaced: matches!(s.field_order.as_deref(), Some("tt" | "bb" | "tb" | "bt")),
            fps: s
                .avg_frame_rate
                .as_deref()
                .and_then(|r| parse_ratio(r, '/'))
                .filter(|(_, d)| *d > 0)
                .map(|(n, d)| n as f64 / d as f64),
        });
    let audio = raw
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("audio"))
        .map(|s| AudioInfo {
            index: s.index,
            codec: s.codec_name.clone().unwrap_or_default(),
            channels: s.channels.unwrap_or(2),
        });
    if video.is_none() && audio.is_none() {
        return Err(ProbeError::NoStreams);
    }
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
        video,
        audio,
    })
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
    fn nothing_playable_is_refused() {
        let err =
            parse(r#"{"streams":[{"index":0,"codec_type":"data"}],"format":{}}"#).unwrap_err();
        assert!(matches!(err, ProbeError::NoStreams));
        assert!(matches!(parse("not json"), Err(ProbeError::BadJson(_))));
    }
}
