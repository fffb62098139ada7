//! From a source's description and a ladder profile to a plan, and from a plan to ffmpeg's
//! arguments. Pure functions only: no processes, no files, so every decision is unit-tested.
//!
//! The decisions: which profile fits the source (SD, HD or audio), which rungs (never
//! taller than the source), whether the source's H.264 can be copied into the rung of its
//! own size, square pixels that keep the display aspect, deinterlacing, one audio chain
//! (resampled, stereo, loudness gain) shared by every variant, and seek thumbnails.

use std::path::Path;

use serde::Deserialize;

use super::probe::{Probe, VideoInfo};

/// A ladder, as written in `transcode-profiles/NAME.toml`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// What the profile is for: video sources up to `max_source_height` lines, or
    /// audio-only sources.
    #[serde(default)]
    pub source: SourceKind,
    #[serde(default)]
    pub max_source_height: Option<u32>,
    pub segment_seconds: u32,
    pub keyframe_seconds: u32,
    pub preset: String,
    /// x264's `--tune` (one of its names, e.g. `ssim`), when the profile asks for one.
    #[serde(default)]
    pub tune: Option<String>,
    /// x264 options beyond the preset, as ffmpeg's `-x264-params` takes them
    /// (`key=value:key=value`).
    #[serde(default)]
    pub x264_params: Option<String>,
    pub audio: AudioSettings,
    /// Audio-only variants (the rung a phone on a slow link can fall back to).
    #[serde(rename = "audio_rung", default)]
    pub audio_rungs: Vec<AudioRungSpec>,
    #[serde(default)]
    pub thumbnails: Option<ThumbnailSettings>,
    #[serde(rename = "rung", default)]
    pub rungs: Vec<RungSpec>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    #[default]
    Video,
    Audio,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AudioSettings {
    pub bitrate_kbps: u32,
    pub sample_rate: u32,
    pub channels: u32,
    /// Bring speech to `target_lufs` (EBU R128: -23) with one gain for the whole session.
    #[serde(default)]
    pub normalize_loudness: bool,
    #[serde(default = "default_target_lufs")]
    pub target_lufs: f64,
    /// Peaks are limited to this level (dBFS) after the gain.
    #[serde(default = "default_peak_db")]
    pub peak_db: f64,
}

fn default_target_lufs() -> f64 {
    -23.0
}

fn default_peak_db() -> f64 {
    -1.0
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AudioRungSpec {
    pub bitrate_kbps: u32,
    /// 1 for a mono rung (speech on a slow link: better sound per bit, half the
    /// encoding); the profile's channels if left out.
    #[serde(default)]
    pub channels: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ThumbnailSettings {
    pub width: u32,
    /// At most this many seconds between thumbnails (short recordings get more).
    pub interval_seconds: u32,
    pub columns: u32,
    pub rows: u32,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RungSpec {
    pub height: u32,
    pub video_kbps: u32,
    pub maxrate_kbps: u32,
    pub bufsize_kbps: u32,
    pub h264_profile: String,
    pub h264_level: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("cannot read transcode profile {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("transcode profile {path} is not valid: {message}")]
    Invalid { path: String, message: String },
    #[error("no transcode profile in {dir} fits a {what} source")]
    NoneFits { dir: String, what: String },
}

impl Profile {
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: shown.clone(),
            source,
        })?;
        Profile::parse(&text).map_err(|message| ProfileError::Invalid {
            path: shown,
            message,
        })
    }

    /// Every `*.toml` profile in a directory, sorted by name.
    pub fn load_dir(dir: &Path) -> Result<Vec<Profile>, ProfileError> {
        let read_err = |source| ProfileError::Read {
            path: dir.display().to_string(),
            source,
        };
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(read_err)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        paths.iter().map(|p| Profile::load(p)).collect()
    }

    pub fn parse(text: &str) -> Result<Profile, String> {
        let profile: Profile = toml::from_str(text).map_err(|e| e.to_string())?;
        match profile.source {
            SourceKind::Video if profile.rungs.is_empty() => {
                return Err("a video profile needs at least one [[rung]]".into())
            }
            SourceKind::Audio if profile.audio_rungs.is_empty() => {
                return Err("an audio profile needs at least one [[audio_rung]]".into())
            }
            _ => {}
        }
        if profile.segment_seconds == 0 || profile.keyframe_seconds == 0 {
            return Err("segment_seconds and keyframe_seconds must be positive".into());
        }
        if profile.segment_seconds % profile.keyframe_seconds != 0 {
            return Err(
                "segment_seconds must be a multiple of keyframe_seconds so segments start on keyframes"
                    .into(),
            );
        }
        if profile
            .audio_rungs
            .iter()
            .any(|r| !matches!(r.channels, None | Some(1 | 2)))
        {
            return Err("an [[audio_rung]] has 1 or 2 channels".into());
        }
        if let Some(t) = &profile.thumbnails {
            if t.width < 16 || t.interval_seconds == 0 || t.columns == 0 || t.rows == 0 {
                return Err("thumbnails need a width ≥ 16 and a positive interval and grid".into());
            }
        }
        check_encoder(&profile)?;
        Ok(profile)
    }
}

/// x264's presets and tunings, as its documentation lists them.
const X264_PRESETS: &[&str] = &[
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
    "placebo",
];
const X264_TUNES: &[&str] = &[
    "film",
    "animation",
    "grain",
    "stillimage",
    "psnr",
    "ssim",
    "fastdecode",
    "zerolatency",
];

/// The encoder settings are names x264 knows, and `x264_params` is a list of
/// `key=value` pairs of plain words: a mistake is told when the profile is read, not by
/// ffmpeg in the middle of an archive's migration.
fn check_encoder(profile: &Profile) -> Result<(), String> {
    if !X264_PRESETS.contains(&profile.preset.as_str()) {
        return Err(format!(
            "preset {:?} is not one of x264's: {}",
            profile.preset,
            X264_PRESETS.join(", ")
        ));
    }
    if let Some(tune) = profile.tune.as_deref() {
        if !X264_TUNES.contains(&tune) {
            return Err(format!(
                "tune {tune:?} is not one of x264's: {}",
                X264_TUNES.join(", ")
            ));
        }
    }
    let word = |w: &str| {
        !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.,".contains(&b))
    };
    if let Some(params) = profile.x264_params.as_deref() {
        let pairs_ok = params.split(':').all(|pair| {
            pair.split_once('=')
                .is_some_and(|(k, v)| word(k) && word(v))
        });
        if !pairs_ok {
            return Err(format!(
                "x264_params {params:?} must be key=value pairs joined by ':' (e.g. \"me=dia:subme=1\")"
            ));
        }
    }
    Ok(())
}

/// The profile for a source: audio-only sources get the audio profile; video sources the
/// video profile with the smallest `max_source_height` that holds them (the tallest
/// profile if none does).
pub fn choose_profile<'a>(profiles: &'a [Profile], parts: &[Probe]) -> Option<&'a Profile> {
    let height = parts
        .iter()
        .filter_map(|p| p.video.as_ref())
        .map(|v| v.height)
        .max();
    match height {
        None => profiles.iter().find(|p| p.source == SourceKind::Audio),
        Some(h) => {
            let video = || profiles.iter().filter(|p| p.source == SourceKind::Video);
            video()
                .filter(|p| p.max_source_height.is_none_or(|m| h <= m))
                .min_by_key(|p| p.max_source_height.unwrap_or(u32::MAX))
                .or_else(|| video().max_by_key(|p| p.max_source_height.unwrap_or(u32::MAX)))
        }
    }
}

/// One video rung of the output, with its exact size.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoRung {
    /// Variant name, also its directory: "360p".
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub video_kbps: u32,
    pub maxrate_kbps: u32,
    pub bufsize_kbps: u32,
    pub h264_profile: String,
    pub h264_level: String,
    /// The source's own H.264 is copied into this rung, not re-encoded.
    pub copy: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AudioRung {
    /// Variant name, also its directory: "audio-64k".
    pub name: String,
    pub bitrate_kbps: u32,
    pub channels: u32,
}

/// One input file of a session (a session may be recorded in several parts).
#[derive(Debug, Clone, PartialEq)]
pub struct PartPlan {
    pub video_stream: Option<u32>,
    pub audio_stream: Option<u32>,
    pub deinterlace: bool,
    pub duration_s: f64,
    /// Only this span of the file (start, end in seconds) is used: the rest is withheld.
    pub trim: Option<(f64, f64)>,
}

/// Seek thumbnails: `count` frames every `interval_s`, tiled `columns`×`rows` per sprite.
#[derive(Debug, Clone, PartialEq)]
pub struct ThumbnailPlan {
    pub interval_s: u32,
    pub width: u32,
    pub height: u32,
    pub columns: u32,
    pub rows: u32,
    pub count: u32,
}

impl ThumbnailPlan {
    pub fn per_sprite(&self) -> u32 {
        self.columns * self.rows
    }

    pub fn sprites(&self) -> u32 {
        self.count.div_ceil(self.per_sprite())
    }
}

/// What ffmpeg will do with one session's recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub profile: String,
    pub parts: Vec<PartPlan>,
    /// Sum of the parts' declared durations.
    pub source_duration_s: f64,
    pub fps: f64,
    /// Largest first; empty for audio-only sources.
    pub rungs: Vec<VideoRung>,
    pub audio_rungs: Vec<AudioRung>,
    pub has_audio: bool,
    pub audio: AudioSettings,
    /// Gain applied to every audio output, from the loudness measured before the run.
    pub loudness_gain_db: Option<f64>,
    /// The source's audio is AAC-LC as the profile wants it (rate, channels, aligned with
    /// the video): it may be copied into the video variants if it needs no gain.
    pub audio_copyable: bool,
    /// The source's AAC is copied into the video variants (see `apply_loudness`).
    pub copy_audio: bool,
    pub segment_seconds: u32,
    pub keyframe_seconds: u32,
    pub preset: String,
    pub tune: Option<String>,
    pub x264_params: Option<String>,
    /// Key frame times of the copied source; empty unless a rung copies.
    pub copy_keyframes: Vec<f64>,
    pub thumbnails: Option<ThumbnailPlan>,
}

impl Plan {
    /// Sets the loudness gain from the measured integrated loudness (None: not measured
    /// or silence); audio that needs no gain and is already AAC as wanted is copied.
    pub fn apply_loudness(&mut self, integrated_lufs: Option<f64>) {
        self.loudness_gain_db = loudness_gain(&self.audio, integrated_lufs);
        self.copy_audio =
            self.audio_copyable && self.loudness_gain_db.is_none() && !self.rungs.is_empty();
    }

    pub fn is_audio_only(&self) -> bool {
        self.rungs.is_empty()
    }

    /// Number of HLS variants: every video rung (with audio muxed in) and every audio rung.
    pub fn variant_count(&self) -> usize {
        self.rungs.len() + self.audio_rungs.len()
    }

    pub fn copies_video(&self) -> bool {
        self.rungs.iter().any(|r| r.copy)
    }

    fn transcoded_rungs(&self) -> usize {
        self.rungs.iter().filter(|r| !r.copy).count()
    }
}

/// H.264 that every HLS player decodes: 8-bit 4:2:0, a common profile, level ≤ 4.2.
fn h264_is_copyable(v: &VideoInfo) -> bool {
    let profile_ok = matches!(
        v.profile.as_deref(),
        Some("Baseline" | "Constrained Baseline" | "Main" | "High")
    );
    v.codec == "h264"
        && profile_ok
        && v.level.is_some_and(|l| (1..=42).contains(&l))
        && v.pix_fmt.as_deref() == Some("yuv420p")
        && !v.interlaced
        && v.sar.0 == v.sar.1
}

/// Key frames that can start segments: the first at the start, none further apart than a
/// segment and a key frame interval.
fn keyframes_fit(keyframes: &[f64], profile: &Profile, duration_s: f64) -> bool {
    let longest = (profile.segment_seconds + profile.keyframe_seconds) as f64;
    let Some(first) = keyframes.first() else {
        return false;
    };
    *first < 0.5
        // The times go to ffmpeg in one argument, which Linux limits to 128 KiB.
        && keyframes.len() <= 9_000
        && keyframes.windows(2).all(|w| w[1] - w[0] <= longest)
        && duration_s - keyframes[keyframes.len() - 1] <= longest
}

/// Decides the output for a session's parts: drop rungs taller than the source (never
/// upscale), square pixels that keep the display aspect, deinterlace interlaced parts,
/// copy a single H.264 source into the rung of its own size when its key frames allow.
/// `keyframes` are the first part's video key frame times (empty if unknown).
pub fn plan(parts: &[Probe], keyframes: &[f64], profile: &Profile) -> Plan {
    let source_duration_s: f64 = parts.iter().map(|p| p.duration_s).sum();
    // The tallest video part decides the ladder; the others are fitted into it.
    let video = parts
        .iter()
        .filter_map(|p| p.video.as_ref())
        .max_by_key(|v| v.height);
    let ladder = match video {
        Some(video) => video_ladder(video, parts, keyframes, profile, source_duration_s),
        None => VideoLadder {
            rungs: Vec::new(),
            fps: 25.0,
            copy_keyframes: Vec::new(),
        },
    };
    let has_audio = parts.iter().any(|p| p.audio.is_some());
    let audio_rungs = if has_audio {
        audio_rungs(profile)
    } else {
        Vec::new()
    };
    let thumbnails = profile
        .thumbnails
        .as_ref()
        .zip(ladder.rungs.first())
        .map(|(t, top)| thumbnail_plan(t, top, source_duration_s));
    Plan {
        profile: profile.name.clone(),
        parts: parts.iter().map(part_plan).collect(),
        source_duration_s,
        fps: ladder.fps,
        rungs: ladder.rungs,
        audio_rungs,
        has_audio,
        audio: profile.audio.clone(),
        loudness_gain_db: None,
        audio_copyable: audio_copyable(parts, &profile.audio),
        copy_audio: false,
        segment_seconds: profile.segment_seconds,
        keyframe_seconds: profile.keyframe_seconds,
        preset: profile.preset.clone(),
        tune: profile.tune.clone(),
        x264_params: profile.x264_params.clone(),
        copy_keyframes: ladder.copy_keyframes,
        thumbnails,
    }
}

/// The video half of a plan: the rungs, the output frame rate, and the key frame times a
/// copied rung imposes on the others (empty when nothing is copied).
struct VideoLadder {
    rungs: Vec<VideoRung>,
    fps: f64,
    copy_keyframes: Vec<f64>,
}

fn video_ladder(
    video: &VideoInfo,
    parts: &[Probe],
    keyframes: &[f64],
    profile: &Profile,
    source_duration_s: f64,
) -> VideoLadder {
    let fps = video
        .fps
        .filter(|f| f.is_finite() && *f >= 1.0 && *f <= 120.0)
        .unwrap_or(25.0);
    let display_aspect = video.display_width() / video.height as f64;
    let may_copy = parts.len() == 1
        && h264_is_copyable(video)
        && keyframes_fit(keyframes, profile, source_duration_s);
    let mut rungs = Vec::new();
    let mut copy_keyframes = Vec::new();
    for spec in rung_specs(profile, video) {
        let height = even(spec.height as f64);
        let width = even(height as f64 * display_aspect);
        let copy = may_copy && width == video.width && height == video.height;
        if copy {
            // ffmpeg starts the output at the source's first time stamp.
            let start = keyframes.first().copied().unwrap_or(0.0);
            copy_keyframes = keyframes.iter().map(|t| t - start).collect();
        }
        rungs.push(VideoRung {
            name: format!("{height}p"),
            width,
            height,
            video_kbps: spec.video_kbps,
            maxrate_kbps: spec.maxrate_kbps,
            bufsize_kbps: spec.bufsize_kbps,
            h264_profile: spec.h264_profile,
            h264_level: spec.h264_level,
            copy,
        });
    }
    VideoLadder {
        rungs,
        fps,
        copy_keyframes,
    }
}

/// The profile's rungs no taller than the source, tallest first.
fn rung_specs(profile: &Profile, video: &VideoInfo) -> Vec<RungSpec> {
    let mut specs: Vec<RungSpec> = profile
        .rungs
        .iter()
        .filter(|r| r.height <= video.height)
        .cloned()
        .collect();
    specs.sort_by_key(|r| std::cmp::Reverse(r.height));
    if specs.is_empty() {
        // Smaller than every rung: one rung at the source's own height, with the
        // settings of the smallest rung.
        if let Some(smallest) = profile.rungs.iter().min_by_key(|r| r.height) {
            specs.push(RungSpec {
                height: even(video.height as f64),
                ..smallest.clone()
            });
        }
    }
    specs
}

/// A single part whose audio is already what the profile asks for (AAC-LC at its rate and
/// channels) and starts with its video, so it may be copied if no gain is needed.
fn audio_copyable(parts: &[Probe], wanted: &AudioSettings) -> bool {
    let [p] = parts else {
        return false;
    };
    p.audio.as_ref().is_some_and(|a| {
        a.codec == "aac"
            && a.profile.as_deref() == Some("LC")
            && a.channels == wanted.channels
            && a.sample_rate == Some(wanted.sample_rate)
            && p.video
                .as_ref()
                .is_some_and(|v| (a.start_time - v.start_time).abs() < 0.1)
    })
}

fn audio_rungs(profile: &Profile) -> Vec<AudioRung> {
    profile
        .audio_rungs
        .iter()
        .map(|a| AudioRung {
            name: format!("audio-{}k", a.bitrate_kbps),
            bitrate_kbps: a.bitrate_kbps,
            channels: a.channels.unwrap_or(profile.audio.channels),
        })
        .collect()
}

/// Thumbnails shaped like the top rung: about ten at least, one per `interval_seconds`
/// at most.
fn thumbnail_plan(t: &ThumbnailSettings, top: &VideoRung, duration_s: f64) -> ThumbnailPlan {
    let interval_s = ((duration_s / 10.0).floor() as u32).clamp(1, t.interval_seconds);
    ThumbnailPlan {
        interval_s,
        width: even(t.width as f64),
        height: even(t.width as f64 * top.height as f64 / top.width as f64),
        columns: t.columns,
        rows: t.rows,
        count: ((duration_s / interval_s as f64).ceil() as u32).max(1),
    }
}

fn part_plan(p: &Probe) -> PartPlan {
    PartPlan {
        video_stream: p.video.as_ref().map(|v| v.index),
        audio_stream: p.audio.as_ref().map(|a| a.index),
        deinterlace: p.video.as_ref().is_some_and(|v| v.interlaced),
        duration_s: p.duration_s,
        trim: None,
    }
}

/// The gain that brings speech measured at `integrated_lufs` to the profile's target;
/// none for silence (nothing to normalise) or within ±1 LU of the target (EBU R128's
/// tolerance), at most ±20 dB.
pub fn loudness_gain(audio: &AudioSettings, integrated_lufs: Option<f64>) -> Option<f64> {
    if !audio.normalize_loudness {
        return None;
    }
    let measured = integrated_lufs.filter(|l| l.is_finite() && *l > -60.0)?;
    let gain = (audio.target_lufs - measured).clamp(-20.0, 20.0);
    let gain = (gain * 10.0).round() / 10.0;
    (gain.abs() > 1.0).then_some(gain)
}

/// Input options that read only `trim`'s span of a file (decoding from the key frame
/// before its start, as ffmpeg's accurate input seeking does). A span from the start is
/// not sought at all: `-ss 0` on an FLV without an index skips audio and stretches video.
pub fn trim_args(trim: Option<(f64, f64)>) -> Vec<String> {
    let Some((start, end)) = trim else {
        return Vec::new();
    };
    let mut args = Vec::new();
    if start > 0.0005 {
        args.extend(["-ss".into(), format!("{start:.3}")]);
    }
    args.extend(["-t".into(), format!("{:.3}", end - start)]);
    args
}

/// The spans of the parts that remain when `cuts` (seconds, in the timeline of the parts
/// played one after the other) are taken out: (part index, start, end) within each part's
/// file, in order. Slivers shorter than 0.1 s are dropped.
pub fn keep_segments(durations: &[f64], cuts: &[(f64, f64)]) -> Vec<(usize, f64, f64)> {
    let mut out = Vec::new();
    let mut offset = 0.0;
    for (part, &length) in durations.iter().enumerate() {
        let mut start = 0.0;
        let mut local: Vec<(f64, f64)> = cuts
            .iter()
            .map(|(a, b)| ((a - offset).max(0.0), (b - offset).min(length)))
            .filter(|(a, b)| b > a)
            .collect();
        local.sort_by(|x, y| x.0.total_cmp(&y.0));
        for (a, b) in local {
            if a - start >= 0.1 {
                out.push((part, start, a));
            }
            start = start.max(b);
        }
        if length - start >= 0.1 {
            out.push((part, start, length));
        }
        offset += length;
    }
    out
}

/// Nearest even number, from 2 to 65534 (H.264 4:2:0 needs even sizes). A probe stating
/// an absurd size or aspect cannot overflow it (found by fuzzing: `fuzz/regressions/
/// probe_plan/huge_width.json`); ffmpeg then refuses the size itself.
fn even(x: f64) -> u32 {
    let half = (x / 2.0).round();
    let half = if half.is_finite() {
        half.clamp(1.0, 32767.0)
    } else {
        1.0
    };
    half as u32 * 2
}

/// The directory, inside the output, that holds the thumbnail sprites.
/// The transcode writes one small picture per interval (`frame_NNNNN.jpg`); they are tiled
/// into sprites afterwards (`sprite_args`), since a tile filter inside the run would hold
/// back ffmpeg's progress reports until the first sprite is full.
pub const THUMBNAIL_DIR: &str = "thumbs";

/// The master playlist the audio-only run of a split ladder writes (see `ffmpeg_runs`);
/// its variants are appended to `master.m3u8` once both runs end.
pub const AUDIO_RUN_MASTER: &str = "master-audio.m3u8";

/// The ffmpeg runs that make the ladder, to be run at the same time: one, or two when
/// every video rung is a copy. Then the first run only moves packets and is bound by one
/// thread, and the audio-only rungs' AAC encode (the one real encode left) runs beside it
/// in a second process with its own master playlist (`AUDIO_RUN_MASTER`): measured on a
/// 120 s H.264 + AAC source, the whole ingest went from 67x to 82x real time
/// (bench/README.md).
pub fn ffmpeg_runs(plan: &Plan, inputs: &[&Path], out_dir: &Path) -> Vec<Vec<String>> {
    let split = !plan.rungs.is_empty()
        && plan.transcoded_rungs() == 0
        && plan.has_audio
        && !plan.audio_rungs.is_empty();
    if !split {
        return vec![ffmpeg_args(plan, inputs, out_dir)];
    }
    let video = Plan {
        audio_rungs: Vec::new(),
        ..plan.clone()
    };
    let audio = Plan {
        rungs: Vec::new(),
        copy_audio: false,
        thumbnails: None,
        ..plan.clone()
    };
    vec![
        ffmpeg_args(&video, inputs, out_dir),
        ladder_args(&audio, inputs, out_dir, AUDIO_RUN_MASTER),
    ]
}

/// ffmpeg arguments that turn the `inputs` (one per part, in order) into the HLS ladder in
/// `out_dir`: one decode, split once per transcoded rung, every rung with key frames at
/// the same instants, one audio chain split into every variant, and the thumbnail sprites.
pub fn ffmpeg_args(plan: &Plan, inputs: &[&Path], out_dir: &Path) -> Vec<String> {
    ladder_args(plan, inputs, out_dir, "master.m3u8")
}

fn ladder_args(plan: &Plan, inputs: &[&Path], out_dir: &Path, master: &str) -> Vec<String> {
    let mut args: Vec<String> = vec!["-hide_banner".into(), "-nostdin".into(), "-y".into()];
    for (input, part) in inputs.iter().zip(&plan.parts) {
        args.extend(["-fflags".into(), "+genpts".into()]);
        args.extend(trim_args(part.trim));
        args.extend(["-i".into(), input.display().to_string()]);
    }
    let transcoded = plan.transcoded_rungs();
    // Thumbnails come from the decoded stream when one exists; a fully copied source gets
    // them from a key-frame-only decode of an extra input (cheap).
    let thumbs_from_keyframes = plan.thumbnails.is_some() && transcoded == 0;
    let mut graph = video_graph(plan, transcoded);
    if let Some(t) = plan.thumbnails.as_ref().filter(|_| thumbs_from_keyframes) {
        args.extend([
            "-skip_frame".into(),
            "nokey".into(),
            "-i".into(),
            inputs[0].display().to_string(),
        ]);
        graph.push(keyframe_thumbnails(plan, t, inputs.len()));
    }
    let audio_outputs = audio_output_count(plan);
    graph.extend(audio_graph(plan, audio_outputs));
    if !graph.is_empty() {
        args.extend(["-filter_complex".into(), graph.join(";")]);
    }

    // Output 1: the HLS ladder.
    let stream_map = map_variants(plan, audio_outputs, &mut args);
    if transcoded > 0 {
        args.extend(encoder_args(plan));
    }
    let out = out_dir.display();
    args.extend(hls_args(plan, &format!("{out}"), master, &stream_map));

    // Output 2: the thumbnail sprites.
    if plan.thumbnails.is_some() {
        args.extend([
            "-map".into(),
            "[thumbs]".into(),
            "-c:v".into(),
            "mjpeg".into(),
            "-q:v".into(),
            "5".into(),
            "-fps_mode".into(),
            "passthrough".into(),
            "-f".into(),
            "image2".into(),
            "-start_number".into(),
            "1".into(),
            format!("{out}/{THUMBNAIL_DIR}/{THUMBNAIL_FRAMES}"),
        ]);
    }
    args
}

/// The deinterlacer, with its defaults spelt out (send-frame mode, parity detected, every
/// frame): PAL broadcasts recorded on DVD are interlaced.
const DEINTERLACE: &str = "yadif=mode=0:parity=auto:deint=0";

/// Video: one decoded picture stream `[vsrc]` at the output frame rate, split into a
/// scaler per transcoded rung (`[v{rung}]`) and, if any, the thumbnails (`[thumbs]`).
/// Nothing when no rung is transcoded.
fn video_graph(plan: &Plan, transcoded: usize) -> Vec<String> {
    let with_thumbnails = plan.thumbnails.as_ref().filter(|_| transcoded > 0);
    let outputs = transcoded + usize::from(with_thumbnails.is_some());
    let Some(top) = plan.rungs.first().filter(|_| outputs > 0) else {
        return Vec::new();
    };
    let fps = fmt_fps(plan.fps);
    let mut graph = if plan.parts.len() == 1 {
        let part = &plan.parts[0];
        let v = part.video_stream.unwrap_or(0);
        vec![format!("[0:{v}]{}fps={fps}[vsrc]", deinterlace(part))]
    } else {
        joined_video(plan, top, &fps)
    };
    let mut split = format!("[vsrc]split={outputs}");
    for i in 0..outputs {
        split.push_str(&format!("[s{i}]"));
    }
    graph.push(split);
    let mut s = 0;
    for (i, r) in plan.rungs.iter().enumerate().filter(|(_, r)| !r.copy) {
        graph.push(format!(
            "[s{s}]scale={}:{}:flags=bicubic,setsar=1,format=yuv420p[v{i}]",
            r.width, r.height
        ));
        s += 1;
    }
    if let Some(t) = with_thumbnails {
        graph.push(format!("[s{s}]{}[thumbs]", thumbnail_filter(t, None)));
    }
    graph
}

/// "yadif…," before the other filters of an interlaced part, nothing otherwise.
fn deinterlace(part: &PartPlan) -> String {
    if part.deinterlace {
        format!("{DEINTERLACE},")
    } else {
        String::new()
    }
}

/// Parts joined into `[vsrc]` (and their audio into `[acat]`): each fitted into the top
/// rung's frame, a part without video shown as black for its length.
fn joined_video(plan: &Plan, top: &VideoRung, fps: &str) -> Vec<String> {
    let (w, h) = (top.width, top.height);
    let mut graph = Vec::new();
    let mut concat = String::new();
    for (i, part) in plan.parts.iter().enumerate() {
        match part.video_stream {
            Some(v) => graph.push(format!(
                "[{i}:{v}]{}scale={w}:{h}:force_original_aspect_ratio=decrease,\
                 pad={w}:{h}:-1:-1,setsar=1,fps={fps},format=yuv420p[pv{i}]",
                deinterlace(part)
            )),
            None => graph.push(format!(
                "color=c=black:s={w}x{h}:r={fps}:d={:.3},format=yuv420p[pv{i}]",
                part.duration_s
            )),
        }
        concat.push_str(&format!("[pv{i}]"));
        if plan.has_audio {
            concat.push_str(&format!("[pa{i}]"));
        }
    }
    let n = plan.parts.len();
    let a = u8::from(plan.has_audio);
    let audio_out = if plan.has_audio { "[acat]" } else { "" };
    graph.push(format!("{concat}concat=n={n}:v=1:a={a}[vsrc]{audio_out}"));
    graph
}

/// Thumbnails of a fully copied source, from the extra key-frame-only input (number
/// `extra`). Only key frames arrive: the last one is held to the end of the recording.
fn keyframe_thumbnails(plan: &Plan, t: &ThumbnailPlan, extra: usize) -> String {
    let v = plan.parts[0].video_stream.unwrap_or(0);
    let hold = (plan.segment_seconds + plan.keyframe_seconds) as f64;
    format!(
        "[{extra}:{v}]{}[thumbs]",
        thumbnail_filter(t, Some((hold, plan.source_duration_s)))
    )
}

/// How many video variants take their audio from the filter graph (none when the
/// source's audio is copied into them).
fn audio_muxed_from_filter(plan: &Plan) -> usize {
    if plan.copy_audio {
        0
    } else {
        plan.rungs.len()
    }
}

/// How many outputs the audio chain is split into: one per variant that carries audio.
fn audio_output_count(plan: &Plan) -> usize {
    if plan.has_audio {
        audio_muxed_from_filter(plan) + plan.audio_rungs.len()
    } else {
        0
    }
}

/// Audio: one chain (aligned to the video's start, stereo 48 kHz, loudness gain), split
/// into `[a{k}]` once per variant that carries audio, and `[a{k}m]` for mono rungs.
fn audio_graph(plan: &Plan, outputs: usize) -> Vec<String> {
    if outputs == 0 {
        return Vec::new();
    }
    let a = &plan.audio;
    let layout = if a.channels == 1 { "mono" } else { "stereo" };
    let shape = format!(
        "aresample={}:async=1:first_pts=0,aformat=sample_fmts=fltp:sample_rates={}:channel_layouts={layout}",
        a.sample_rate, a.sample_rate
    );
    let mut graph = Vec::new();
    let mut chain = if plan.parts.len() == 1 {
        let idx = plan.parts[0].audio_stream.unwrap_or(0);
        format!("[0:{idx}]{shape}")
    } else {
        graph.extend(joined_audio(plan, &shape, layout));
        "[acat]anull".to_string()
    };
    if let Some(gain) = plan.loudness_gain_db {
        let limit = 10f64.powf(a.peak_db / 20.0);
        chain.push_str(&format!(
            ",volume={gain:.1}dB,alimiter=limit={limit:.4}:level=disabled"
        ));
    }
    chain.push_str(&format!(",asplit={outputs}"));
    for i in 0..outputs {
        chain.push_str(&format!("[a{i}]"));
    }
    graph.push(chain);
    // A mono rung gets its own downmix from the stereo chain. `pan` converts; an
    // `aformat` here would make the filter negotiation turn the whole chain mono.
    for (k, r) in (audio_muxed_from_filter(plan)..).zip(&plan.audio_rungs) {
        if r.channels == 1 && a.channels == 2 {
            graph.push(format!("[a{k}]pan=mono|c0=0.5*c0+0.5*c1[a{k}m]"));
        }
    }
    graph
}

/// Each part's audio shaped into `[pa{i}]` (silence for a part without any); joined into
/// `[acat]` here only when there is no video to concatenate alongside.
fn joined_audio(plan: &Plan, shape: &str, layout: &str) -> Vec<String> {
    let mut graph = Vec::new();
    for (i, part) in plan.parts.iter().enumerate() {
        match part.audio_stream {
            Some(idx) => graph.push(format!("[{i}:{idx}]{shape}[pa{i}]")),
            None => graph.push(format!(
                "anullsrc=r={}:cl={layout},atrim=duration={:.3}[pa{i}]",
                plan.audio.sample_rate, part.duration_s
            )),
        }
    }
    if plan.rungs.is_empty() {
        let inputs: String = (0..plan.parts.len()).map(|i| format!("[pa{i}]")).collect();
        graph.push(format!(
            "{inputs}concat=n={}:v=0:a=1[acat]",
            plan.parts.len()
        ));
    }
    graph
}

/// Maps every variant's streams with their codecs into `args`; returns the
/// `-var_stream_map` entries that group them into variants.
fn map_variants(plan: &Plan, audio_outputs: usize, args: &mut Vec<String>) -> Vec<String> {
    let mut stream_map = Vec::new();
    let mut audio_index = 0;
    for (i, r) in plan.rungs.iter().enumerate() {
        args.extend(video_rung_args(plan, i, r));
        if plan.has_audio && plan.copy_audio {
            let idx = plan.parts[0].audio_stream.unwrap_or(0);
            args.extend([
                "-map".into(),
                format!("0:{idx}"),
                format!("-c:a:{i}"),
                "copy".into(),
            ]);
            stream_map.push(format!("v:{i},a:{i},name:{}", r.name));
        } else if audio_outputs > 0 {
            args.extend(["-map".into(), format!("[a{audio_index}]")]);
            args.extend(aac_args(i, plan.audio.bitrate_kbps));
            stream_map.push(format!("v:{i},a:{i},name:{}", r.name));
            audio_index += 1;
        } else {
            stream_map.push(format!("v:{i},name:{}", r.name));
        }
    }
    if audio_outputs > 0 {
        // Output audio streams are numbered in map order: after one per video rung.
        for (out_index, r) in (plan.rungs.len()..).zip(&plan.audio_rungs) {
            let mono = if r.channels == 1 && plan.audio.channels == 2 {
                "m"
            } else {
                ""
            };
            args.extend(["-map".into(), format!("[a{audio_index}{mono}]")]);
            args.extend(aac_args(out_index, r.bitrate_kbps));
            stream_map.push(format!("a:{out_index},name:{}", r.name));
            audio_index += 1;
        }
    }
    stream_map
}

/// Rung `i`'s video: the source's stream copied, or its scaler's output encoded.
fn video_rung_args(plan: &Plan, i: usize, r: &VideoRung) -> Vec<String> {
    if r.copy {
        let v = plan.parts[0].video_stream.unwrap_or(0);
        return vec![
            "-map".into(),
            format!("0:{v}"),
            format!("-c:v:{i}"),
            "copy".into(),
        ];
    }
    vec![
        "-map".into(),
        format!("[v{i}]"),
        format!("-c:v:{i}"),
        "libx264".into(),
        format!("-b:v:{i}"),
        format!("{}k", r.video_kbps),
        format!("-maxrate:v:{i}"),
        format!("{}k", r.maxrate_kbps),
        format!("-bufsize:v:{i}"),
        format!("{}k", r.bufsize_kbps),
        format!("-profile:v:{i}"),
        r.h264_profile.clone(),
        format!("-level:v:{i}"),
        r.h264_level.clone(),
    ]
}

fn aac_args(i: usize, kbps: u32) -> Vec<String> {
    vec![
        format!("-c:a:{i}"),
        "aac".into(),
        format!("-b:a:{i}"),
        format!("{kbps}k"),
    ]
}

/// x264's shared settings: the preset (with the profile's tuning and options), and key
/// frames every `keyframe_seconds` or where the copied rung has them, so every rung is cut
/// into segments at the same instants.
fn encoder_args(plan: &Plan) -> Vec<String> {
    let mut args = vec!["-preset".into(), plan.preset.clone()];
    if let Some(tune) = &plan.tune {
        args.extend(["-tune".into(), tune.clone()]);
    }
    if let Some(params) = &plan.x264_params {
        args.extend(["-x264-params".into(), params.clone()]);
    }
    args.extend(["-sc_threshold".into(), "0".into()]);
    if plan.copy_keyframes.is_empty() {
        let gop = (plan.fps * plan.keyframe_seconds as f64).round() as u32;
        args.extend([
            "-g".into(),
            gop.to_string(),
            "-keyint_min".into(),
            gop.to_string(),
            "-force_key_frames".into(),
            format!("expr:gte(t,n_forced*{})", plan.keyframe_seconds),
        ]);
    } else {
        let longest = (plan.segment_seconds + plan.keyframe_seconds) as f64;
        let gop = (plan.fps * (longest + 1.0)).round() as u32;
        let times: Vec<String> = plan
            .copy_keyframes
            .iter()
            .map(|t| format!("{t:.3}"))
            .collect();
        args.extend([
            "-g".into(),
            gop.to_string(),
            "-force_key_frames".into(),
            times.join(","),
        ]);
    }
    args
}

/// The HLS muxer: fMP4 segments and one playlist per variant under `out`/NAME, and the
/// master playlist.
fn hls_args(plan: &Plan, out: &str, master: &str, stream_map: &[String]) -> Vec<String> {
    vec![
        "-f".into(),
        "hls".into(),
        "-hls_time".into(),
        plan.segment_seconds.to_string(),
        "-hls_playlist_type".into(),
        "vod".into(),
        "-hls_segment_type".into(),
        "fmp4".into(),
        "-hls_flags".into(),
        "independent_segments".into(),
        "-hls_fmp4_init_filename".into(),
        "init.mp4".into(),
        "-hls_segment_filename".into(),
        format!("{out}/%v/seg_%05d.m4s"),
        "-master_pl_name".into(),
        master.into(),
        "-var_stream_map".into(),
        stream_map.join(" "),
        format!("{out}/%v/index.m3u8"),
    ]
}

/// Name pattern of the single thumbnails the transcode writes.
pub const THUMBNAIL_FRAMES: &str = "frame_%05d.jpg";

/// ffmpeg arguments that tile the single thumbnails in `dir` into `sprite_NNN.jpg`.
pub fn sprite_args(t: &ThumbnailPlan, dir: &Path) -> Vec<String> {
    vec![
        "-hide_banner".into(),
        "-nostdin".into(),
        "-v".into(),
        "error".into(),
        "-y".into(),
        "-framerate".into(),
        "1".into(),
        "-start_number".into(),
        "1".into(),
        "-i".into(),
        dir.join(THUMBNAIL_FRAMES).display().to_string(),
        "-vf".into(),
        format!("tile={}x{}", t.columns, t.rows),
        "-fps_mode".into(),
        "passthrough".into(),
        "-q:v".into(),
        "5".into(),
        "-start_number".into(),
        "1".into(),
        dir.join("sprite_%03d.jpg").display().to_string(),
    ]
}

/// One picture every interval, scaled. `hold` = (seconds to hold the last frame,
/// recording length) for a key-frame-only input.
fn thumbnail_filter(t: &ThumbnailPlan, hold: Option<(f64, f64)>) -> String {
    let (pad, trim) = match hold {
        Some((seconds, duration)) => (
            format!("tpad=stop_mode=clone:stop_duration={seconds},"),
            format!(",trim=end={duration:.3}"),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        "{pad}fps=1/{}:eof_action=pass{trim},scale={}:{}:flags=bicubic,setsar=1",
        t.interval_s, t.width, t.height
    )
}

/// The WebVTT map of the sprites: one cue per thumbnail, pointing at its tile.
/// `frames` is how many thumbnails ffmpeg actually wrote (cues past them are left out).
pub fn thumbnails_vtt(t: &ThumbnailPlan, duration_s: f64, frames: u32) -> String {
    let mut vtt = String::from("WEBVTT\n");
    for k in 0..t.count.min(frames) {
        let sprite = k / t.per_sprite() + 1;
        let start = (k * t.interval_s) as f64;
        if start >= duration_s {
            break;
        }
        let end = (start + t.interval_s as f64).min(duration_s);
        let slot = k % t.per_sprite();
        let (x, y) = ((slot % t.columns) * t.width, (slot / t.columns) * t.height);
        vtt.push_str(&format!(
            "\n{} --> {}\n{THUMBNAIL_DIR}/sprite_{sprite:03}.jpg#xywh={x},{y},{},{}\n",
            vtt_time(start),
            vtt_time(end),
            t.width,
            t.height
        ));
    }
    vtt
}

fn vtt_time(seconds: f64) -> String {
    crate::text::timestamp((seconds * 1000.0).round() as u64, '.')
}

fn fmt_fps(fps: f64) -> String {
    if (fps - fps.round()).abs() < 1e-6 {
        format!("{}", fps.round() as u32)
    } else {
        format!("{fps:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absurd_probed_size_does_not_overflow_the_ladder() {
        let probe = crate::ingest::probe::parse(include_str!(
            "../../fuzz/regressions/probe_plan/huge_width.json"
        ))
        .expect("the reproducer parses");
        let profiles: Vec<Profile> = ["hd", "sd", "audio"]
            .iter()
            .map(|n| {
                Profile::load(
                    &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join(format!("transcode-profiles/{n}.toml")),
                )
                .unwrap()
            })
            .collect();
        let parts = [probe];
        let profile = choose_profile(&profiles, &parts).expect("a profile");
        let planned = plan(&parts, &[], profile);
        for rung in &planned.rungs {
            assert!(rung.width >= 2 && rung.width <= 65534 && rung.width % 2 == 0);
        }
        assert_eq!(even(f64::INFINITY), 2);
        assert_eq!(even(1e12), 65534);
        assert_eq!(even(719.4), 720);
    }
    use crate::ingest::probe;

    fn profiles() -> Vec<Profile> {
        let dir = format!("{}/transcode-profiles", env!("CARGO_MANIFEST_DIR"));
        Profile::load_dir(Path::new(&dir)).unwrap()
    }

    fn profile(name: &str) -> Profile {
        profiles().into_iter().find(|p| p.name == name).unwrap()
    }

    fn fixture(name: &str) -> Probe {
        let path = format!("{}/tests/fixtures/probe/{name}", env!("CARGO_MANIFEST_DIR"));
        probe::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn arg_after<'a>(args: &'a [String], flag: &str) -> &'a str {
        &args[args
            .iter()
            .position(|a| a == flag)
            .unwrap_or_else(|| panic!("no {flag}"))
            + 1]
    }

    /// A 320×240 H.264 High 3.0 + AAC source, as a 2010 camera or FLV encoder made it.
    fn h264_source() -> Probe {
        let mut p = fixture("flv1_mp3.json");
        let v = p.video.as_mut().unwrap();
        v.codec = "h264".into();
        v.profile = Some("High".into());
        v.level = Some(30);
        v.pix_fmt = Some("yuv420p".into());
        p.duration_s = 6.0;
        p
    }

    /// Every scenario's plan and full argument vector, as one text: pins the exact output
    /// of `plan` and `ffmpeg_args` so that reshaping them cannot change a byte.
    fn snapshot() -> String {
        let sd = profile("sd");
        let interlaced = fixture("mpeg2_pal_interlaced.json");
        let flv = fixture("flv1_mp3.json");
        let keyframes = [0.0, 2.0, 4.0];
        let mut aac = h264_source();
        let a = aac.audio.as_mut().unwrap();
        a.codec = "aac".into();
        a.profile = Some("LC".into());
        a.channels = 2;
        a.sample_rate = Some(48000);
        let mut small_h264 = h264_source();
        small_h264.video.as_mut().unwrap().height = 360;
        small_h264.video.as_mut().unwrap().width = 480;
        let mut loud = plan(std::slice::from_ref(&flv), &[], &sd);
        loud.loudness_gain_db = Some(8.5);
        let mut copied_audio = plan(&[aac], &keyframes, &sd);
        copied_audio.apply_loudness(Some(-23.6));
        let mut trimmed = plan(&[interlaced.clone(), interlaced.clone()], &[], &sd);
        trimmed.parts[0].trim = Some((0.0, 2.0));
        trimmed.parts[1].trim = Some((4.0, 8.0));
        let mut no_video = flv.clone();
        no_video.video = None;
        let mp3 = fixture("mp3_audio_only.json");
        let audio = profile("audio");
        let scenarios: Vec<(&str, Plan, usize)> = vec![
            (
                "interlaced",
                plan(std::slice::from_ref(&interlaced), &[], &sd),
                1,
            ),
            ("loudness", loud, 1),
            ("partly-copied", plan(&[small_h264], &keyframes, &sd), 1),
            ("fully-copied", plan(&[h264_source()], &keyframes, &sd), 1),
            ("copied-audio", copied_audio, 1),
            (
                "audio-only",
                plan(std::slice::from_ref(&mp3), &[], &audio),
                1,
            ),
            ("audio-parts", plan(&[mp3.clone(), mp3], &[], &audio), 2),
            (
                "parts",
                plan(&[interlaced, flv.clone()], &[0.0, 2.0], &sd),
                2,
            ),
            ("part-without-video", plan(&[flv, no_video], &[], &sd), 2),
            ("trimmed", trimmed, 2),
        ];
        let mut out = String::new();
        for (name, p, inputs) in scenarios {
            let names: Vec<String> = (0..inputs).map(|i| format!("in{i}.src")).collect();
            let paths: Vec<&Path> = names.iter().map(Path::new).collect();
            out.push_str(&format!("## {name}\n{p:?}\n"));
            for arg in ffmpeg_args(&p, &paths, Path::new("/out")) {
                out.push_str(&arg);
                out.push('\n');
            }
        }
        out
    }

    #[test]
    fn encoder_settings_are_checked_when_the_profile_is_read() {
        let with = |extra: &str| {
            let text = std::fs::read_to_string(format!(
                "{}/transcode-profiles/sd.toml",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap()
            .replace("tune = \"ssim\"\n", "")
            .replace("x264_params = \"me=dia:subme=1\"\n", "")
            .replacen("preset = \"veryfast\"\n", extra, 1);
            Profile::parse(&text)
        };
        let p = with("preset = \"veryfast\"\ntune = \"ssim\"\nx264_params = \"me=dia:subme=1\"\n")
            .unwrap();
        let args = ffmpeg_args(&plan_of(&p), &[Path::new("in.mpg")], Path::new("/out"));
        assert_eq!(arg_after(&args, "-tune"), "ssim");
        assert_eq!(arg_after(&args, "-x264-params"), "me=dia:subme=1");
        for bad in [
            "preset = \"speedy\"\n",
            "preset = \"veryfast\"\ntune = \"fastest\"\n",
            "preset = \"veryfast\"\nx264_params = \"subme\"\n",
            "preset = \"veryfast\"\nx264_params = \"me=dia;subme=1\"\n",
            "preset = \"veryfast\"\nx264_params = \"me=dia: subme=1\"\n",
            "preset = \"veryfast\"\nx264_params = \"\"\n",
        ] {
            let refused = with(bad).unwrap_err();
            assert!(refused.contains("x264"), "{bad}: {refused}");
        }
        let plain = with("preset = \"veryfast\"\n").unwrap();
        let args = ffmpeg_args(&plan_of(&plain), &[Path::new("in.mpg")], Path::new("/out"));
        assert!(!args.iter().any(|a| a == "-tune" || a == "-x264-params"));
    }

    fn plan_of(p: &Profile) -> Plan {
        plan(&[fixture("mpeg2_pal_interlaced.json")], &[], p)
    }

    #[test]
    fn plans_and_arguments_match_the_snapshot() {
        let path = format!(
            "{}/tests/fixtures/plan/snapshot.txt",
            env!("CARGO_MANIFEST_DIR")
        );
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        let actual = snapshot();
        if std::env::var_os("AULA_BLESS").is_some() {
            std::fs::write(&path, &actual).unwrap();
            return;
        }
        assert!(
            actual == expected,
            "differs from {path}; AULA_BLESS=1 rewrites it after review"
        );
    }

    #[test]
    fn profile_follows_the_source() {
        let all = profiles();
        let name = |parts: &[Probe]| choose_profile(&all, parts).unwrap().name.clone();
        assert_eq!(name(&[fixture("flv1_mp3.json")]), "sd");
        assert_eq!(name(&[fixture("mpeg2_pal_interlaced.json")]), "sd");
        assert_eq!(name(&[fixture("mp3_audio_only.json")]), "audio");
        let mut hd = h264_source();
        hd.video.as_mut().unwrap().height = 1080;
        hd.video.as_mut().unwrap().width = 1920;
        assert_eq!(name(&[hd]), "hd");
    }

    #[test]
    fn small_flash_video_is_never_upscaled() {
        let p = plan(&[fixture("flv1_mp3.json")], &[], &profile("sd"));
        // 320×240 source: the 480p and 360p rungs are dropped, the 240p rung kept at 4:3.
        assert_eq!(p.rungs.len(), 1);
        assert_eq!((p.rungs[0].width, p.rungs[0].height), (320, 240));
        assert!(!p.rungs[0].copy, "Sorenson Spark is re-encoded");
        assert!(!p.parts[0].deinterlace);
        assert_eq!(p.variant_count(), 2, "240p and the audio-only rung");
    }

    #[test]
    fn anamorphic_pal_gets_square_pixels_and_deinterlacing() {
        let p = plan(&[fixture("mpeg2_pal_interlaced.json")], &[], &profile("sd"));
        assert!(p.parts[0].deinterlace);
        let sizes: Vec<_> = p.rungs.iter().map(|r| (r.width, r.height)).collect();
        // 720×576 at 16:15 displays as 4:3.
        assert_eq!(sizes, vec![(640, 480), (480, 360), (320, 240)]);
        let args = ffmpeg_args(&p, &[Path::new("in.mpg")], Path::new("/out"));
        let graph = arg_after(&args, "-filter_complex");
        assert!(graph.starts_with("[0:0]yadif"), "{graph}");
        assert!(
            graph.contains("split=4"),
            "three rungs and the thumbnails: {graph}"
        );
        assert!(graph.contains("scale=480:360"), "{graph}");
        assert!(graph.contains("setsar=1"), "{graph}");
        assert!(
            graph.contains("asplit=4"),
            "three variants and the audio rung: {graph}"
        );
        assert_eq!(
            arg_after(&args, "-var_stream_map"),
            "v:0,a:0,name:480p v:1,a:1,name:360p v:2,a:2,name:240p a:3,name:audio-64k"
        );
        assert!(args.contains(&"expr:gte(t,n_forced*2)".to_string()));
        assert_eq!(arg_after(&args, "-g"), "50", "GOP of 2 s at 25 fps");
        assert!(args.iter().any(|a| a.ends_with("thumbs/frame_%05d.jpg")));
    }

    #[test]
    fn wide_pal_keeps_sixteen_ninths() {
        let mut probe = fixture("mpeg2_pal_interlaced.json");
        probe.video.as_mut().unwrap().sar = (64, 45);
        let p = plan(&[probe], &[], &profile("sd"));
        let sizes: Vec<_> = p.rungs.iter().map(|r| (r.width, r.height)).collect();
        assert_eq!(sizes, vec![(854, 480), (640, 360), (426, 240)]);
    }

    #[test]
    fn h264_of_a_rung_size_is_copied_with_aligned_keyframes() {
        let keyframes = [0.0, 2.0, 4.0];
        let mut src = h264_source();
        src.video.as_mut().unwrap().height = 360;
        src.video.as_mut().unwrap().width = 480;
        let p = plan(&[src], &keyframes, &profile("sd"));
        assert_eq!(p.rungs.len(), 2);
        assert!(p.rungs[0].copy && !p.rungs[1].copy);
        let args = ffmpeg_args(&p, &[Path::new("in.flv")], Path::new("/out"));
        assert_eq!(arg_after(&args, "-c:v:0"), "copy");
        assert_eq!(arg_after(&args, "-c:v:1"), "libx264");
        assert_eq!(arg_after(&args, "-force_key_frames"), "0.000,2.000,4.000");
        let graph = arg_after(&args, "-filter_complex");
        assert!(
            graph.contains("split=2"),
            "one encode and the thumbnails: {graph}"
        );
    }

    #[test]
    fn fully_copied_source_decodes_only_key_frames_for_thumbnails() {
        let p = plan(&[h264_source()], &[0.0, 2.0, 4.0], &profile("sd"));
        assert!(p.copies_video() && p.rungs.len() == 1);
        let args = ffmpeg_args(&p, &[Path::new("in.mp4")], Path::new("/out"));
        assert!(!args.contains(&"libx264".to_string()), "{args:?}");
        assert_eq!(arg_after(&args, "-skip_frame"), "nokey");
        let graph = arg_after(&args, "-filter_complex");
        assert!(
            graph.contains("[1:1]tpad=stop_mode=clone:stop_duration=6,fps=1/1"),
            "{graph}"
        );
    }

    #[test]
    fn a_fully_copied_ladder_encodes_its_audio_rung_in_a_second_run() {
        let p = plan(&[h264_source()], &[0.0, 2.0, 4.0], &profile("sd"));
        let runs = ffmpeg_runs(&p, &[Path::new("in.mp4")], Path::new("/out"));
        assert_eq!(runs.len(), 2);
        let (video, audio) = (&runs[0], &runs[1]);
        assert_eq!(arg_after(video, "-master_pl_name"), "master.m3u8");
        assert_eq!(arg_after(video, "-c:v:0"), "copy");
        assert!(arg_after(video, "-var_stream_map").starts_with("v:0,a:0,name:"));
        assert!(!arg_after(video, "-var_stream_map").contains("audio-64k"));
        assert_eq!(arg_after(video, "-skip_frame"), "nokey", "thumbnails stay");
        assert_eq!(arg_after(audio, "-master_pl_name"), AUDIO_RUN_MASTER);
        assert_eq!(arg_after(audio, "-var_stream_map"), "a:0,name:audio-64k");
        assert_eq!(arg_after(audio, "-b:a:0"), "64k");
        assert!(arg_after(audio, "-filter_complex").contains("pan=mono"));
        assert!(!audio.iter().any(|a| a.starts_with("-c:v") || a == "mjpeg"));
        assert_eq!(arg_after(audio, "-i"), "in.mp4");
    }

    #[test]
    fn a_ladder_that_encodes_video_is_one_run() {
        let interlaced = fixture("mpeg2_pal_interlaced.json");
        let mut small_h264 = h264_source();
        small_h264.video.as_mut().unwrap().height = 360;
        small_h264.video.as_mut().unwrap().width = 480;
        let mp3 = fixture("mp3_audio_only.json");
        for (p, input) in [
            (plan(&[interlaced], &[], &profile("sd")), "in.mpg"),
            (
                plan(&[small_h264], &[0.0, 2.0, 4.0], &profile("sd")),
                "in.mp4",
            ),
            (plan(&[mp3], &[], &profile("audio")), "in.mp3"),
        ] {
            let one = ffmpeg_args(&p, &[Path::new(input)], Path::new("/out"));
            let runs = ffmpeg_runs(&p, &[Path::new(input)], Path::new("/out"));
            assert_eq!(runs, vec![one], "{}", p.profile);
        }
    }

    #[test]
    fn h264_that_players_may_not_take_is_reencoded() {
        let fits = [0.0, 2.0, 4.0];
        type Change = Box<dyn Fn(&mut Probe)>;
        let cases: Vec<(&str, Change, &[f64])> = vec![
            ("keyframes 10 s apart", Box::new(|_| {}), &[0.0]),
            ("no keyframes known", Box::new(|_| {}), &[]),
            (
                "interlaced",
                Box::new(|p| p.video.as_mut().unwrap().interlaced = true),
                &fits,
            ),
            (
                "level 5.1",
                Box::new(|p| p.video.as_mut().unwrap().level = Some(51)),
                &fits,
            ),
            (
                "4:2:2",
                Box::new(|p| p.video.as_mut().unwrap().pix_fmt = Some("yuv422p".into())),
                &fits,
            ),
            (
                "High 10",
                Box::new(|p| p.video.as_mut().unwrap().profile = Some("High 10".into())),
                &fits,
            ),
            (
                "anamorphic",
                Box::new(|p| p.video.as_mut().unwrap().sar = (4, 3)),
                &fits,
            ),
        ];
        for (why, change, keyframes) in cases {
            let mut src = h264_source();
            src.duration_s = if keyframes == [0.0] { 12.0 } else { 6.0 };
            change(&mut src);
            let p = plan(&[src], keyframes, &profile("sd"));
            assert!(!p.copies_video(), "{why}: copied");
        }
    }

    #[test]
    fn tiny_source_gets_one_rung_at_its_own_height() {
        let mut probe = fixture("flv1_mp3.json");
        let v = probe.video.as_mut().unwrap();
        v.width = 176;
        v.height = 144;
        let p = plan(&[probe], &[], &profile("sd"));
        assert_eq!(p.rungs.len(), 1);
        assert_eq!(p.rungs[0].height, 144);
        assert_eq!(p.rungs[0].video_kbps, 400);
    }

    #[test]
    fn audio_only_gets_the_audio_ladder() {
        let p = plan(&[fixture("mp3_audio_only.json")], &[], &profile("audio"));
        assert!(p.is_audio_only() && p.thumbnails.is_none());
        let args = ffmpeg_args(&p, &[Path::new("in.mp3")], Path::new("/out"));
        assert_eq!(
            arg_after(&args, "-var_stream_map"),
            "a:0,name:audio-128k a:1,name:audio-64k"
        );
        assert!(!args.contains(&"libx264".to_string()));
    }

    #[test]
    fn loudness_gain_reaches_the_target_and_is_applied() {
        let sd = profile("sd");
        assert_eq!(loudness_gain(&sd.audio, Some(-31.5)), Some(8.5));
        assert_eq!(loudness_gain(&sd.audio, Some(-10.0)), Some(-13.0));
        assert_eq!(loudness_gain(&sd.audio, Some(-70.0)), None, "silence");
        assert_eq!(loudness_gain(&sd.audio, Some(-55.0)), Some(20.0), "bounded");
        assert_eq!(
            loudness_gain(&sd.audio, Some(-22.2)),
            None,
            "within tolerance"
        );
        let mut p = plan(&[fixture("flv1_mp3.json")], &[], &sd);
        p.loudness_gain_db = Some(8.5);
        let args = ffmpeg_args(&p, &[Path::new("in.flv")], Path::new("/out"));
        let graph = arg_after(&args, "-filter_complex");
        assert!(
            graph.contains("volume=8.5dB,alimiter=limit=0.8913:level=disabled"),
            "{graph}"
        );
        assert!(
            graph.contains("aresample=48000:async=1:first_pts=0"),
            "{graph}"
        );
    }

    #[test]
    fn aac_at_the_target_loudness_is_copied_otherwise_reencoded() {
        let mut src = h264_source();
        let a = src.audio.as_mut().unwrap();
        a.codec = "aac".into();
        a.profile = Some("LC".into());
        a.channels = 2;
        a.sample_rate = Some(48000);
        let keyframes = [0.0, 2.0, 4.0];
        let mut p = plan(&[src.clone()], &keyframes, &profile("sd"));
        assert!(p.audio_copyable);
        p.apply_loudness(Some(-23.6));
        assert!(p.copy_audio && p.loudness_gain_db.is_none());
        let args = ffmpeg_args(&p, &[Path::new("in.mp4")], Path::new("/out"));
        assert_eq!(arg_after(&args, "-c:a:0"), "copy");
        assert_eq!(
            arg_after(&args, "-c:a:1"),
            "aac",
            "the audio-only rung is encoded"
        );
        assert_eq!(
            arg_after(&args, "-var_stream_map"),
            "v:0,a:0,name:240p a:1,name:audio-64k"
        );
        let graph = arg_after(&args, "-filter_complex");
        assert!(graph.contains("asplit=1[a0]"), "{graph}");
        // Too quiet: the gain needs a re-encode.
        p.apply_loudness(Some(-30.0));
        assert!(!p.copy_audio && p.loudness_gain_db == Some(7.0));
        // 44.1 kHz is not what the profile wants.
        src.audio.as_mut().unwrap().sample_rate = Some(44100);
        assert!(!plan(&[src], &keyframes, &profile("sd")).audio_copyable);
    }

    #[test]
    fn parts_are_joined_into_one_timeline() {
        let first = fixture("mpeg2_pal_interlaced.json");
        let second = fixture("flv1_mp3.json");
        let p = plan(
            &[first.clone(), second.clone()],
            &[0.0, 2.0],
            &profile("sd"),
        );
        assert!((p.source_duration_s - (first.duration_s + second.duration_s)).abs() < 1e-9);
        assert!(!p.copies_video());
        let args = ffmpeg_args(
            &p,
            &[Path::new("a.vob"), Path::new("b.flv")],
            Path::new("/o"),
        );
        let graph = arg_after(&args, "-filter_complex");
        assert!(
            graph.contains("[pv0][pa0][pv1][pa1]concat=n=2:v=1:a=1[vsrc][acat]"),
            "{graph}"
        );
        assert!(
            graph.contains("pad=640:480"),
            "the smaller part is fitted in: {graph}"
        );
        assert_eq!(args.iter().filter(|a| *a == "-i").count(), 2);
    }

    #[test]
    fn the_slow_link_rung_is_a_mono_downmix_of_the_stereo_chain() {
        let p = plan(&[fixture("mpeg2_pal_interlaced.json")], &[], &profile("sd"));
        let rung = p
            .audio_rungs
            .iter()
            .find(|r| r.name == "audio-64k")
            .unwrap();
        assert_eq!(rung.channels, 1);
        let args = ffmpeg_args(&p, &[Path::new("a.mpg")], Path::new("/o"));
        let graph = arg_after(&args, "-filter_complex");
        let k = p.rungs.len();
        assert!(
            graph.contains("channel_layouts=stereo")
                && graph.contains(&format!("[a{k}]pan=mono|c0=0.5*c0+0.5*c1[a{k}m]")),
            "{graph}"
        );
        assert!(args.contains(&format!("[a{k}m]")));
        assert!(Profile::parse(
            "name = \"x\"\ndescription = \"x\"\nsource = \"audio\"\nsegment_seconds = 4\n\
             keyframe_seconds = 2\npreset = \"veryfast\"\n\
             [audio]\nbitrate_kbps = 128\nsample_rate = 48000\nchannels = 2\n\
             normalize_loudness = true\n[[audio_rung]]\nbitrate_kbps = 64\nchannels = 6\n"
        )
        .is_err_and(|e| e.contains("1 or 2 channels")));
    }

    #[test]
    fn withheld_ranges_leave_spans_of_the_parts() {
        // Two parts of 10 s and 20 s; cuts at 2–4 s, 8–12 s (across the join) and 29.95–31 s.
        let kept = keep_segments(&[10.0, 20.0], &[(2.0, 4.0), (8.0, 12.0), (29.95, 31.0)]);
        assert_eq!(kept, vec![(0, 0.0, 2.0), (0, 4.0, 8.0), (1, 2.0, 19.95)]);
        assert_eq!(keep_segments(&[5.0], &[]), vec![(0, 0.0, 5.0)]);
        assert!(keep_segments(&[5.0], &[(0.0, 5.0)]).is_empty());

        // Each span is an input read from its start to its end, joined like parts.
        let source = fixture("mpeg2_pal_interlaced.json");
        let mut p = plan(&[source.clone(), source], &[], &profile("sd"));
        p.parts[0].trim = Some((0.0, 2.0));
        p.parts[1].trim = Some((4.0, 8.0));
        let args = ffmpeg_args(
            &p,
            &[Path::new("a.mpg"), Path::new("a.mpg")],
            Path::new("/o"),
        );
        let joined = args.join(" ");
        assert!(
            joined.contains("+genpts -t 2.000 -i a.mpg")
                && joined.contains("-ss 4.000 -t 4.000 -i a.mpg"),
            "{joined}"
        );
        assert!(arg_after(&args, "-filter_complex").contains("concat=n=2"));
    }

    #[test]
    fn thumbnail_map_points_into_the_sprites() {
        let t = ThumbnailPlan {
            interval_s: 10,
            width: 160,
            height: 120,
            columns: 2,
            rows: 2,
            count: 5,
        };
        assert_eq!(t.sprites(), 2);
        let vtt = thumbnails_vtt(&t, 45.0, 5);
        assert!(vtt.starts_with("WEBVTT\n"));
        assert!(
            vtt.contains("00:00:10.000 --> 00:00:20.000\nthumbs/sprite_001.jpg#xywh=160,0,160,120")
        );
        assert!(
            vtt.contains("00:00:40.000 --> 00:00:45.000\nthumbs/sprite_002.jpg#xywh=0,0,160,120")
        );
        // Only four thumbnails written: the cue of the fifth is left out.
        assert!(!thumbnails_vtt(&t, 45.0, 4).contains("sprite_002"));
        let args = sprite_args(&t, Path::new("/o/thumbs"));
        assert!(args.contains(&"tile=2x2".to_string()));
        assert_eq!(args.last().unwrap(), "/o/thumbs/sprite_%03d.jpg");
    }

    #[test]
    fn bad_profiles_are_refused() {
        assert!(Profile::parse("name = 'x'").is_err());
        let no_rungs = "name='x'\nsegment_seconds=4\nkeyframe_seconds=2\npreset='fast'\n\
                        [audio]\nbitrate_kbps=96\nsample_rate=48000\nchannels=2\n";
        assert!(Profile::parse(no_rungs).unwrap_err().contains("rung"));
    }
}
