//! ffprobe's JSON (`aula::ingest::probe::parse`), key frame lists
//! (`probe::parse_keyframes`), and from there the transcode plan and ffmpeg's arguments
//! (`aula::ingest::plan::{choose_profile, plan, ffmpeg_args}`) with the shipped profiles in
//! transcode-profiles/.
//!
//! Input layout (UTF-8; see docs/FUZZING.md): `JSON[\x1eJSON…][\0KEYFRAMES_CSV]`. Up to four
//! JSON documents separated by U+001E are the parts of one session; the text after the
//! first NUL is ffprobe's `time,flags` key frame CSV for the first part.
#![no_main]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use aula::ingest::plan::{self, Plan, Profile};
use aula::ingest::probe::{self, Probe};
use libfuzzer_sys::fuzz_target;

const PROFILES: [&str; 3] = [
    include_str!("../../transcode-profiles/audio.toml"),
    include_str!("../../transcode-profiles/hd.toml"),
    include_str!("../../transcode-profiles/sd.toml"),
];

fn profiles() -> &'static [Profile] {
    static LOADED: std::sync::OnceLock<Vec<Profile>> = std::sync::OnceLock::new();
    LOADED.get_or_init(|| {
        PROFILES
            .iter()
            .map(|text| Profile::parse(text).expect("shipped profile parses"))
            .collect()
    })
}

fn check_keyframes(csv: &str) -> Vec<f64> {
    let keyframes = probe::parse_keyframes(csv);
    assert!(keyframes.iter().all(|t| t.is_finite()), "non-finite key frame");
    assert!(
        keyframes.windows(2).all(|w| w[0] <= w[1]),
        "key frames not sorted: {keyframes:?}"
    );
    keyframes
}

fn check_plan(parts: &[Probe], p: &Plan, profile: &Profile) {
    let tallest = parts.iter().filter_map(|p| p.video.as_ref()).map(|v| v.height).max();
    assert_eq!(p.parts.len(), parts.len());
    assert!(p.fps >= 1.0 && p.fps <= 120.0, "fps {}", p.fps);
    match tallest {
        None => assert!(p.rungs.is_empty(), "video rungs for an audio-only source"),
        Some(h) => {
            for r in &p.rungs {
                // Never upscaled (the one rung made at the source's own height may round an
                // odd height up to the next even number).
                assert!(r.height <= h.saturating_add(1), "rung {} over source {h}", r.height);
            }
        }
    }
    for r in &p.rungs {
        assert!(r.width >= 2 && r.width % 2 == 0, "odd or tiny width {}", r.width);
        assert!(r.height >= 2 && r.height % 2 == 0, "odd or tiny height {}", r.height);
        if r.copy {
            let v = parts[0].video.as_ref().expect("a copied rung has a video source");
            assert_eq!(parts.len(), 1, "copy with several parts");
            assert_eq!((r.width, r.height), (v.width, v.height), "copy changes the size");
        }
    }
    assert!(
        p.rungs.windows(2).all(|w| w[0].height >= w[1].height),
        "rungs not largest first"
    );
    assert!(p.rungs.iter().filter(|r| r.copy).count() <= 1, "several copied rungs");
    assert_eq!(p.variant_count(), p.rungs.len() + p.audio_rungs.len());
    if let Some(t) = &p.thumbnails {
        assert!(!p.rungs.is_empty(), "thumbnails without video");
        assert!(t.per_sprite() > 0 && t.count >= 1 && t.interval_s >= 1);
        assert!(t.width >= 2 && t.width % 2 == 0 && t.height >= 2 && t.height % 2 == 0);
        let _ = t.sprites();
        let frames = t.count.min(2_000);
        let vtt = plan::thumbnails_vtt(t, p.source_duration_s, frames);
        assert!(vtt.starts_with("WEBVTT\n"));
        let _ = plan::sprite_args(t, Path::new("/out/thumbs"));
    }
    assert_eq!(p.profile, profile.name);
}

/// Leading `[label]`s of a filter chain are its inputs, trailing ones its outputs.
fn chain_labels(chain: &str) -> (Vec<&str>, Vec<&str>, &str) {
    let mut inputs = Vec::new();
    let mut rest = chain;
    while let Some(after) = rest.strip_prefix('[') {
        let end = after.find(']').expect("unclosed [ in a filter chain");
        inputs.push(&after[..end]);
        rest = &after[end + 1..];
    }
    let mut outputs = Vec::new();
    while let Some(before) = rest.strip_suffix(']') {
        let start = before.rfind('[').expect("unopened ] in a filter chain");
        outputs.push(&before[start + 1..]);
        rest = &before[..start];
    }
    outputs.reverse();
    (inputs, outputs, rest)
}

/// ffmpeg refuses a graph with a label used twice, a label nobody reads, or a read of a
/// label nobody writes; the same for `-map [label]` and for split counts.
fn check_ffmpeg_args(p: &Plan, args: &[String], inputs: usize) {
    let input_files = args.iter().filter(|a| *a == "-i").count();
    assert!(input_files >= inputs, "fewer -i than parts");
    let maps: Vec<&str> = args
        .windows(2)
        .filter(|w| w[0] == "-map")
        .map(|w| w[1].as_str())
        .collect();
    let graph = args
        .windows(2)
        .find(|w| w[0] == "-filter_complex")
        .map(|w| w[1].clone())
        .unwrap_or_default();
    let mut produced: HashMap<String, usize> = HashMap::new();
    let mut consumed: HashMap<String, usize> = HashMap::new();
    if !graph.is_empty() {
        for chain in graph.split(';') {
            let (ins, outs, body) = chain_labels(chain);
            for label in &ins {
                if let Some((file, _stream)) = label.split_once(':') {
                    let file: usize = file.parse().expect("input label is a file index");
                    assert!(file < input_files, "[{label}] names a missing input\n{graph}");
                } else {
                    *consumed.entry(label.to_string()).or_default() += 1;
                }
            }
            for label in &outs {
                *produced.entry(label.to_string()).or_default() += 1;
            }
            // The last filter of a chain: `split=N` / `asplit=N` must have N outputs.
            let last = body.rsplit(',').next().unwrap_or("");
            if let Some(n) = last
                .strip_prefix("split=")
                .or_else(|| last.strip_prefix("asplit="))
            {
                let n: usize = n.parse().expect("split count");
                assert_eq!(n, outs.len(), "{last} with {} outputs\n{graph}", outs.len());
            }
            if let Some(at) = body.find("concat=n=") {
                let spec = &body[at + "concat=n=".len()..];
                let mut fields = spec.split(':');
                let n: usize = fields.next().unwrap().parse().expect("concat n");
                let v: usize = fields.next().unwrap().trim_start_matches("v=").parse().unwrap();
                let a: usize = fields.next().unwrap().trim_start_matches("a=").parse().unwrap();
                assert_eq!(ins.len(), n * (v + a), "concat inputs\n{graph}");
                assert_eq!(outs.len(), v + a, "concat outputs\n{graph}");
            }
        }
    }
    for m in &maps {
        if let Some(label) = m.strip_prefix('[').and_then(|m| m.strip_suffix(']')) {
            *consumed.entry(label.to_string()).or_default() += 1;
        } else {
            let (file, _) = m.split_once(':').expect("-map FILE:STREAM");
            let file: usize = file.parse().expect("-map file index");
            assert!(file < input_files, "-map {m} names a missing input");
        }
    }
    for (label, n) in &produced {
        assert_eq!(*n, 1, "[{label}] written {n} times\n{graph}");
        assert_eq!(
            consumed.get(label).copied().unwrap_or(0),
            1,
            "[{label}] read {} times\n{graph}\n{maps:?}",
            consumed.get(label).copied().unwrap_or(0)
        );
    }
    for label in consumed.keys() {
        assert!(produced.contains_key(label), "[{label}] read but never written\n{graph}");
    }
    let stream_map = args
        .windows(2)
        .find(|w| w[0] == "-var_stream_map")
        .map(|w| w[1].as_str())
        .expect("-var_stream_map");
    assert_eq!(
        stream_map.split(' ').filter(|s| !s.is_empty()).count(),
        p.variant_count(),
        "variant count: {stream_map}"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (json, keyframes_csv) = text.split_once('\0').unwrap_or((text, ""));
    let keyframes = check_keyframes(keyframes_csv);
    let parts: Vec<Probe> = json
        .split('\u{1e}')
        .take(4)
        .filter_map(|doc| probe::parse(doc).ok())
        .collect();
    if parts.is_empty() {
        return;
    }
    for part in &parts {
        assert!(part.video.is_some() || part.audio.is_some(), "a probe with no stream");
        assert!(!part.duration_s.is_nan(), "NaN duration");
        assert!(part.duration_s >= 0.0, "negative duration {}", part.duration_s);
        assert_eq!(part.duration_declared, part.duration_s > 0.0);
        if let Some(v) = &part.video {
            assert!(v.width > 0 && v.height > 0 && v.sar.0 > 0 && v.sar.1 > 0);
            assert!(!v.codec.is_empty() && v.codec != "none");
        }
        if let Some(a) = &part.audio {
            assert!(!a.codec.is_empty() && a.codec != "none");
        }
    }
    let all = profiles();
    let chosen = plan::choose_profile(all, &parts).expect("some shipped profile fits");
    let wants_audio = parts.iter().all(|p| p.video.is_none());
    assert_eq!(
        chosen.source == plan::SourceKind::Audio,
        wants_audio,
        "profile {} for this source",
        chosen.name
    );
    let inputs: Vec<PathBuf> = (0..parts.len())
        .map(|i| PathBuf::from(format!("/in/part{i}.mp4")))
        .collect();
    let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    // The measured loudness, from the last byte: none, silence, or -70..-6 LUFS.
    let lufs = match data.last().copied().unwrap_or(0) {
        0 => None,
        1 => Some(f64::NEG_INFINITY),
        b => Some(-70.0 + f64::from(b % 65)),
    };
    for profile in std::iter::once(chosen).chain(all.iter()) {
        let mut p = plan::plan(&parts, &keyframes, profile);
        check_plan(&parts, &p, profile);
        let args = plan::ffmpeg_args(&p, &inputs, Path::new("/out"));
        check_ffmpeg_args(&p, &args, inputs.len());
        p.apply_loudness(lufs);
        if let Some(gain) = p.loudness_gain_db {
            assert!(gain.is_finite() && gain.abs() <= 20.0 && gain.abs() > 1.0, "gain {gain}");
        }
        let args = plan::ffmpeg_args(&p, &inputs, Path::new("/out"));
        check_ffmpeg_args(&p, &args, inputs.len());
    }
});
