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
    let seconds = seconds.to_string();
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25",
        "-f",
        "lavfi",
        "-i",
        &format!("sine=frequency={hz}:sample_rate=44100"),
        "-t",
        &seconds,
        "-c:v",
        "flv",
        "-q:v",
        "5",
        "-c:a",
        "libmp3lame",
        "-b:a",
        "64k",
        path.to_str().unwrap(),
    ]);
}
