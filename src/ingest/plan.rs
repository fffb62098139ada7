//! From a source's description and a ladder profile to a plan, and from a plan to ffmpeg's
//! arguments. Pure functions only: no processes, no files, so every decision is unit-tested.

use std::path::Path;

use serde::Deserialize;

use super::probe::Probe;

/// A ladder, as written in `transcode-profiles/NAME.toml`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub segment_seconds: u32,
    pub keyframe_seconds: u32,
    pub preset: String,
    pub audio: AudioSettings,
    #[serde(rename = "rung")]
    pub rungs: Vec<RungSpec>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AudioSettings {
    pub bitrate_kbps: u32,
    pub sample_rate: u32,
    pub channels: u32,
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

    pub fn parse(text: &str) -> Result<Profile, String> {
        let profile: Profile = toml::from_str(text).map_err(|e| e.to_string())?;
        if profile.rungs.is_empty() {
            return Err("a profile needs at least one [[rung]]".into());
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
        Ok(profile)
    }
}

/// One video rung of the output, with its exact size.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoRung {
    pub width: u32,
    pub height: u32,
    pub video_kbps: u32,
    pub maxrate_kbps: u32,
    pub bufsize_kbps: u32,
    pub h264_profile: String,
    pub h264_level: String,
}

/// What ffmpeg will do with one source.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub profile: String,
    pub source_duration_s: f64,
    /// Index of the source's video stream, if it has one.
    pub video_stream: Option<u32>,
    pub audio_stream: Option<u32>,
    pub deinterlace: bool,
    pub fps: f64,
    /// Largest first; empty for audio-only sources.
    pub rungs: Vec<VideoRung>,
    pub audio: AudioSettings,
    pub segment_seconds: u32,
    pub keyframe_seconds: u32,
    pub preset: String,
}

impl Plan {
    pub fn is_audio_only(&self) -> bool {
        self.rungs.is_empty()
    }

    /// Number of HLS variants (each video rung carries audio; audio-only is one variant).
    pub fn variant_count(&self) -> usize {
        self.rungs.len().max(1)
    }
}

/// Decides the output for a source: drop rungs taller than the source (never upscale),
/// square pixels that keep the display aspect, deinterlace interlaced sources.
pub fn plan(probe: &Probe, profile: &Profile) -> Plan {
    let mut rungs = Vec::new();
    let mut fps = 25.0;
    let mut deinterlace = false;
    if let Some(video) = &probe.video {
        deinterlace = video.interlaced;
        fps = video
            .fps
            .filter(|f| f.is_finite() && *f >= 1.0 && *f <= 120.0)
            .unwrap_or(25.0);
        let display_aspect = video.display_width() / video.height as f64;
        let mut specs: Vec<&RungSpec> = profile
            .rungs
            .iter()
            .filter(|r| r.height <= video.height)
            .collect();
        specs.sort_by_key(|r| std::cmp::Reverse(r.height));
        let own;
        if specs.is_empty() {
            // Smaller than every rung: one rung at the source's own height, with the
            // settings of the smallest rung.
            let smallest = profile.rungs.iter().min_by_key(|r| r.height);
            own = smallest.map(|r| RungSpec {
                height: even(video.height as f64),
                ..r.clone()
            });
            specs.extend(own.as_ref());
        }
        for spec in specs {
            let height = even(spec.height as f64);
            rungs.push(VideoRung {
                width: even(height as f64 * display_aspect),
                height,
                video_kbps: spec.video_kbps,
                maxrate_kbps: spec.maxrate_kbps,
                bufsize_kbps: spec.bufsize_kbps,
                h264_profile: spec.h264_profile.clone(),
                h264_level: spec.h264_level.clone(),
            });
        }
    }
    Plan {
        profile: profile.name.clone(),
        source_duration_s: probe.duration_s,
        video_stream: probe.video.as_ref().map(|v| v.index),
        audio_stream: probe.audio.as_ref().map(|a| a.index),
        deinterlace,
        fps,
        rungs,
        audio: profile.audio.clone(),
        segment_seconds: profile.segment_seconds,
        keyframe_seconds: profile.keyframe_seconds,
        preset: profile.preset.clone(),
    }
}

/// Nearest even number, at least 2 (H.264 4:2:0 needs even sizes).
fn even(x: f64) -> u32 {
    let n = (x / 2.0).round() as u32 * 2;
    n.max(2)
}

/// ffmpeg arguments that turn `input` into the HLS ladder in `out_dir`: one decode,
/// split once per rung, every rung with keyframes at the same instants.
pub fn ffmpeg_args(plan: &Plan, input: &Path, out_dir: &Path) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "-hide_banner".into(),
        "-nostdin".into(),
        "-y".into(),
        "-fflags".into(),
        "+genpts".into(),
        "-i".into(),
        input.display().to_string(),
    ];
    let a = &plan.audio;
    let audio_args = |args: &mut Vec<String>, i: usize| {
        args.extend([
            format!("-c:a:{i}"),
            "aac".into(),
            format!("-b:a:{i}"),
            format!("{}k", a.bitrate_kbps),
            format!("-ac:a:{i}"),
            a.channels.to_string(),
            format!("-ar:a:{i}"),
            a.sample_rate.to_string(),
        ]);
    };
    let mut stream_map = Vec::new();
    if let Some(v) = plan.video_stream.filter(|_| !plan.rungs.is_empty()) {
        let n = plan.rungs.len();
        let mut graph = format!("[0:{v}]");
        if plan.deinterlace {
            graph.push_str("yadif=mode=0:parity=auto:deint=0,");
        }
        graph.push_str(&format!("fps={}", fmt_fps(plan.fps)));
        graph.push_str(&format!(",split={n}"));
        for i in 0..n {
            graph.push_str(&format!("[s{i}]"));
        }
        for (i, r) in plan.rungs.iter().enumerate() {
            graph.push_str(&format!(
                ";[s{i}]scale={}:{}:flags=bicubic,setsar=1,format=yuv420p[v{i}]",
                r.width, r.height
            ));
        }
        args.extend(["-filter_complex".into(), graph]);
        let gop = (plan.fps * plan.keyframe_seconds as f64).round() as u32;
        for (i, r) in plan.rungs.iter().enumerate() {
            args.extend(["-map".into(), format!("[v{i}]")]);
            if let Some(a) = plan.audio_stream {
                args.extend(["-map".into(), format!("0:{a}")]);
            }
            args.extend([
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
            ]);
            if plan.audio_stream.is_some() {
                audio_args(&mut args, i);
                stream_map.push(format!("v:{i},a:{i},name:{}p", r.height));
            } else {
                stream_map.push(format!("v:{i},name:{}p", r.height));
            }
        }
        args.extend([
            "-preset".into(),
            plan.preset.clone(),
            "-g".into(),
            gop.to_string(),
            "-keyint_min".into(),
            gop.to_string(),
            "-sc_threshold".into(),
            "0".into(),
            "-force_key_frames".into(),
            format!("expr:gte(t,n_forced*{})", plan.keyframe_seconds),
        ]);
    } else if let Some(a) = plan.audio_stream {
        args.extend(["-map".into(), format!("0:{a}")]);
        audio_args(&mut args, 0);
        stream_map.push("a:0,name:audio".into());
    }
    let out = out_dir.display();
    args.extend([
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
        "master.m3u8".into(),
        "-var_stream_map".into(),
        stream_map.join(" "),
        format!("{out}/%v/index.m3u8"),
    ]);
    args
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
    use crate::ingest::probe;

    fn sd() -> Profile {
        let path = format!("{}/transcode-profiles/sd.toml", env!("CARGO_MANIFEST_DIR"));
        Profile::load(Path::new(&path)).unwrap()
    }

    fn fixture(name: &str) -> Probe {
        let path = format!("{}/tests/fixtures/probe/{name}", env!("CARGO_MANIFEST_DIR"));
        probe::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn small_flash_video_is_never_upscaled() {
        let p = plan(&fixture("flv1_mp3.json"), &sd());
        // 320×240 source: the 360p rung is dropped, the 240p rung kept at 4:3.
        assert_eq!(p.rungs.len(), 1);
        assert_eq!((p.rungs[0].width, p.rungs[0].height), (320, 240));
        assert!(!p.deinterlace);
    }

    #[test]
    fn anamorphic_pal_gets_square_pixels_and_deinterlacing() {
        let p = plan(&fixture("mpeg2_pal_interlaced.json"), &sd());
        assert!(p.deinterlace);
        let sizes: Vec<_> = p.rungs.iter().map(|r| (r.width, r.height)).collect();
        // 720×576 at 16:15 displays as 4:3.
        assert_eq!(sizes, vec![(480, 360), (320, 240)]);
        let args = ffmpeg_args(&p, Path::new("in.mpg"), Path::new("/out"));
        let graph = &args[args.iter().position(|a| a == "-filter_complex").unwrap() + 1];
        assert!(graph.starts_with("[0:0]yadif"), "{graph}");
        assert!(graph.contains("scale=480:360"), "{graph}");
        assert!(graph.contains("setsar=1"), "{graph}");
        let map = &args[args.iter().position(|a| a == "-var_stream_map").unwrap() + 1];
        assert_eq!(map, "v:0,a:0,name:360p v:1,a:1,name:240p");
        assert!(args.contains(&"expr:gte(t,n_forced*2)".to_string()));
        assert!(args.contains(&"50".to_string()), "GOP of 2 s at 25 fps");
    }

    #[test]
    fn tiny_source_gets_one_rung_at_its_own_height() {
        let mut probe = fixture("flv1_mp3.json");
        let v = probe.video.as_mut().unwrap();
        v.width = 176;
        v.height = 144;
        let p = plan(&probe, &sd());
        assert_eq!(p.rungs.len(), 1);
        assert_eq!(p.rungs[0].height, 144);
        assert_eq!(p.rungs[0].video_kbps, 400);
    }

    #[test]
    fn audio_only_has_one_audio_variant() {
        let p = plan(&fixture("mp3_audio_only.json"), &sd());
        assert!(p.is_audio_only());
        let args = ffmpeg_args(&p, Path::new("in.mp3"), Path::new("/out"));
        assert!(!args.contains(&"-filter_complex".to_string()));
        let map = &args[args.iter().position(|a| a == "-var_stream_map").unwrap() + 1];
        assert_eq!(map, "a:0,name:audio");
    }

    #[test]
    fn bad_profiles_are_refused() {
        assert!(Profile::parse("name = 'x'").is_err());
        let no_rungs = "name='x'\nsegment_seconds=4\nkeyframe_seconds=2\npreset='fast'\n\
                        [audio]\nbitrate_kbps=96\nsample_rate=48000\nchannels=2\n";
        assert!(Profile::parse(no_rungs).unwrap_err().contains("rung"));
    }
}
