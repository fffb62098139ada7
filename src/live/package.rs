//! The live ladder: the ffmpeg command that turns the encoder's stream (FLV or MPEG-TS
//! on its standard input) into HLS as it arrives. Pure: the profile's rungs in, arguments out.
//!
//! The rungs are the archive's (the same heights, bit rates and the audio-only rung), so a
//! phone sees the same choices live as afterwards; a rung is never taller than the
//! source. Segments are fMP4 of 2 s with a key frame at every segment start on every rung
//! (x264's `zerolatency`: no B-frames, no look-ahead, the least delay it can add). The
//! playlists are of type EVENT and keep every segment: a viewer can go back to the
//! session's start (the DVR window is the whole session). ffmpeg writes each segment and
//! playlist beside its name and renames it, so a reader never sees half a file.

use std::path::Path;

use super::captions::{CHUNK_LIST, CHUNK_SECONDS};
use super::Container;
use crate::ingest::plan::{Profile, RungSpec};

/// Length of a live segment, seconds.
pub const SEGMENT_SECONDS: u32 = 2;

/// The master playlist's name in a live stream's directory.
pub const MASTER: &str = "master.m3u8";

/// The profile's ladder for a source `source_height` lines tall (when the encoder said):
/// rungs taller are left out, and a source shorter than every rung gets one rung of its
/// own height, as the archive does.
pub fn ladder_for(profile: &Profile, source_height: Option<u32>) -> Profile {
    let mut ladder = profile.clone();
    let Some(height) = source_height else {
        return ladder;
    };
    ladder.rungs.retain(|r| r.height <= height);
    if ladder.rungs.is_empty() {
        if let Some(lowest) = profile.rungs.iter().min_by_key(|r| r.height) {
            ladder.rungs.push(RungSpec {
                height: height & !1,
                ..lowest.clone()
            });
        }
    }
    ladder
}

/// The ffmpeg arguments reading FLV from standard input into `dir`; the files of this
/// run of the encoder are named with `run`, so a reconnect never reuses a name.
pub fn ffmpeg_args(
    profile: &Profile,
    input: Container,
    dir: &Path,
    run: &str,
    captions_audio: Option<&Path>,
) -> Vec<String> {
    let videos = profile.rungs.len();
    let mut args: Vec<String> = ["-hide_banner", "-loglevel", "error", "-y"]
        .map(String::from)
        .to_vec();
    // ffmpeg reads up to 5 s of a stream before it starts, by default, to learn its
    // streams; a live encoder sends its parameters at once, so a second is plenty (with
    // the default, a 5 s push over SRT left no segment at all).
    args.extend(["-analyzeduration", "1000000", "-probesize", "1000000"].map(String::from));
    args.extend(["-f", input.name(), "-i", "pipe:0"].map(String::from));
    args.extend([
        "-filter_complex".into(),
        graph(profile, captions_audio.is_some()),
    ]);
    let mut names = Vec::new();
    for (i, rung) in profile.rungs.iter().enumerate() {
        args.extend([
            "-map".into(),
            format!("[v{i}]"),
            "-map".into(),
            format!("[a{i}]"),
            format!("-b:v:{i}"),
            format!("{}k", rung.video_kbps),
            format!("-maxrate:v:{i}"),
            format!("{}k", rung.maxrate_kbps),
            format!("-bufsize:v:{i}"),
            format!("{}k", rung.bufsize_kbps),
            format!("-profile:v:{i}"),
            rung.h264_profile.clone(),
            format!("-level:v:{i}"),
            rung.h264_level.clone(),
            format!("-b:a:{i}"),
            format!("{}k", profile.audio.bitrate_kbps),
        ]);
        names.push(format!("v:{i},a:{i},name:{}p", rung.height));
    }
    for (j, rung) in profile.audio_rungs.iter().enumerate() {
        let a = videos + j;
        args.extend([
            "-map".into(),
            format!("[r{j}]"),
            format!("-b:a:{a}"),
            format!("{}k", rung.bitrate_kbps),
        ]);
        names.push(format!("a:{a},name:audio-{}k", rung.bitrate_kbps));
    }
    let preset = profile.preset.clone();
    args.extend([
        "-c:v".into(),
        "libx264".into(),
        "-preset".into(),
        preset,
        "-tune".into(),
        "zerolatency".into(),
        "-pix_fmt".into(),
        "yuv420p".into(),
        "-force_key_frames".into(),
        format!("expr:gte(t,n_forced*{SEGMENT_SECONDS})"),
        "-sc_threshold".into(),
        "0".into(),
        "-c:a".into(),
        "aac".into(),
    ]);
    args.extend(hls_args(dir, &names, run));
    if let Some(audio) = captions_audio {
        args.extend(captions_args(audio));
    }
    args
}

/// The sound for live captions: 16 kHz mono WAV in chunks, each listed with its times
/// once finished (`live::captions`).
fn captions_args(dir: &Path) -> Vec<String> {
    let at = |name: &str| dir.join(name).to_string_lossy().into_owned();
    vec![
        "-map".into(),
        "[cap]".into(),
        "-c:a".into(),
        "pcm_s16le".into(),
        "-f".into(),
        "segment".into(),
        "-segment_time".into(),
        CHUNK_SECONDS.to_string(),
        "-segment_format".into(),
        "wav".into(),
        "-segment_list".into(),
        at(CHUNK_LIST),
        "-segment_list_type".into(),
        "csv".into(),
        at("chunk_%05d.wav"),
    ]
}

/// One decode split per rung: video scaled to at most the rung's height, audio resampled
/// once and split per variant (the audio-only rungs with their own channel count).
fn graph(profile: &Profile, captions: bool) -> String {
    let videos = profile.rungs.len();
    let audios = profile.audio_rungs.len();
    let rate = profile.audio.sample_rate;
    let channels = profile.audio.channels;
    let mut parts = Vec::new();
    let splits: String = (0..videos).map(|i| format!("[s{i}]")).collect();
    parts.push(format!("[0:v:0]split={videos}{splits}"));
    for (i, rung) in profile.rungs.iter().enumerate() {
        let h = rung.height;
        parts.push(format!("[s{i}]scale=-2:'min({h},ih)'[v{i}]"));
    }
    let outs: String = (0..videos)
        .map(|i| format!("[a{i}]"))
        .chain((0..audios).map(|j| format!("[q{j}]")))
        .chain(captions.then(|| "[c]".to_string()))
        .collect();
    parts.push(format!(
        "[0:a:0]aresample={rate},aformat=channel_layouts={},asplit={}{outs}",
        layout(channels),
        videos + audios + usize::from(captions)
    ));
    if captions {
        parts.push("[c]aresample=16000,aformat=sample_fmts=s16:channel_layouts=mono[cap]".into());
    }
    for (j, rung) in profile.audio_rungs.iter().enumerate() {
        let ch = rung.channels.unwrap_or(channels);
        parts.push(format!(
            "[q{j}]aformat=channel_layouts={}[r{j}]",
            layout(ch)
        ));
    }
    parts.join(";")
}

fn layout(channels: u32) -> &'static str {
    if channels == 1 {
        "mono"
    } else {
        "stereo"
    }
}

fn hls_args(dir: &Path, names: &[String], run: &str) -> Vec<String> {
    let at = |name: &str| dir.join(name).to_string_lossy().into_owned();
    vec![
        "-f".into(),
        "hls".into(),
        "-hls_time".into(),
        SEGMENT_SECONDS.to_string(),
        "-hls_list_size".into(),
        "0".into(),
        "-hls_playlist_type".into(),
        "event".into(),
        "-hls_segment_type".into(),
        "fmp4".into(),
        "-hls_flags".into(),
        "independent_segments+temp_file".into(),
        "-hls_fmp4_init_filename".into(),
        format!("init_{run}_%v.mp4"),
        "-master_pl_name".into(),
        MASTER.into(),
        "-var_stream_map".into(),
        names.join(" "),
        "-hls_segment_filename".into(),
        at(&format!("%v/seg_{run}_%05d.m4s")),
        at("%v/index.m3u8"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sd() -> Profile {
        let path = format!("{}/transcode-profiles/sd.toml", env!("CARGO_MANIFEST_DIR"));
        Profile::load(Path::new(&path)).unwrap()
    }

    #[test]
    fn every_rung_and_the_audio_rung_are_variants_of_one_run() {
        let args = ffmpeg_args(
            &sd(),
            Container::Flv,
            Path::new("/d/live/7/hls"),
            "20261205-1800",
            None,
        );
        let at = |flag: &str| {
            let i = args.iter().position(|a| a == flag).unwrap();
            args[i + 1].clone()
        };
        assert_eq!(
            at("-var_stream_map"),
            "v:0,a:0,name:480p v:1,a:1,name:360p v:2,a:2,name:240p a:3,name:audio-64k"
        );
        assert_eq!(at("-i"), "pipe:0");
        assert_eq!(at("-hls_time"), "2");
        assert_eq!(at("-hls_playlist_type"), "event");
        assert_eq!(at("-b:a:3"), "64k");
        assert_eq!(at("-b:v:1"), "800k");
        let graph = at("-filter_complex");
        assert!(graph.contains("[s2]scale=-2:'min(240,ih)'[v2]"), "{graph}");
        assert!(graph.contains("asplit=4[a0][a1][a2][q0]"), "{graph}");
        assert!(
            graph.contains("[q0]aformat=channel_layouts=mono[r0]"),
            "{graph}"
        );
        assert_eq!(args.last().unwrap(), "/d/live/7/hls/%v/index.m3u8");
        assert_eq!(
            at("-hls_segment_filename"),
            "/d/live/7/hls/%v/seg_20261205-1800_%05d.m4s"
        );
    }

    #[test]
    fn rungs_taller_than_the_source_are_left_out() {
        let heights = |h| -> Vec<u32> {
            ladder_for(&sd(), h)
                .rungs
                .iter()
                .map(|r| r.height)
                .collect()
        };
        assert_eq!(heights(None), [480, 360, 240]);
        assert_eq!(heights(Some(1080)), [480, 360, 240]);
        assert_eq!(heights(Some(360)), [360, 240]);
        assert_eq!(heights(Some(181)), [180]);
        assert_eq!(ladder_for(&sd(), Some(181)).rungs[0].video_kbps, 400);
    }
}
