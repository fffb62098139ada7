//! Media made with ffmpeg's lavfi sources and measured with ffprobe; nothing about aula.

use std::path::Path;
use std::process::Command;

/// Runs ffmpeg (quietly) and panics with its message if it fails.
pub fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-v", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg must be installed (the README's test command installs it)");
    assert!(
        out.status.success(),
        "ffmpeg {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A recording made from ffmpeg's test sources: a moving pattern of `picture` size (none:
/// sound only) and a tone of (frequency, sample rate) (none: silent), `seconds` long,
/// encoded as `encode` says (ffmpeg's options, separated by spaces) into `path`.
pub fn synthesize(
    path: &Path,
    picture: Option<&str>,
    tone: Option<(u32, u32)>,
    seconds: u32,
    encode: &str,
) {
    let mut args: Vec<String> = Vec::new();
    if let Some(size) = picture {
        args.extend(["-f", "lavfi", "-i"].map(String::from));
        args.push(format!("testsrc2=size={size}:rate=25"));
    }
    if let Some((hz, rate)) = tone {
        args.extend(["-f", "lavfi", "-i"].map(String::from));
        args.push(format!("sine=frequency={hz}:sample_rate={rate}"));
    }
    args.extend(["-t".to_string(), seconds.to_string()]);
    args.extend(encode.split_whitespace().map(String::from));
    args.push(path.to_str().expect("test paths are UTF-8").to_string());
    ffmpeg(&args.iter().map(String::as_str).collect::<Vec<_>>());
}

/// Duration ffprobe reports for a file or URL, in seconds.
pub fn ffprobe_duration(input: &str) -> f64 {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "default=noprint_wrappers=1:nokey=1",
            input,
        ])
        .output()
        .expect("ffprobe must be installed");
    assert!(
        out.status.success(),
        "ffprobe {input} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("ffprobe gave no duration for {input}"))
}

/// A 6-second Flash video as 2000s council portals published them: Sorenson Spark + MP3.
pub fn make_flv(path: &Path) {
    make_flv_lasting(path, 6);
}

/// A Flash video (Sorenson Spark and MP3) of test pattern and tone, `seconds` long.
pub fn make_flv_lasting(path: &Path, seconds: u32) {
    make_flv_with_tone(path, seconds, 440);
}

/// The same with a tone of `hz`, which makes the file's bytes (and checksum) its own.
pub fn make_flv_with_tone(path: &Path, seconds: u32, hz: u32) {
    synthesize(
        path,
        Some("320x240"),
        Some((hz, 44100)),
        seconds,
        "-c:v flv -q:v 5 -c:a libmp3lame -b:a 64k",
    );
}
