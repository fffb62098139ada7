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

/// A session's recording in which `sentences` are spoken in Italian (Festival's voice
/// `pc_diphone`), one after another with `pause` seconds of silence between them, over a
/// test picture, as MPEG-2 in a program stream (a 2000s DVD-recorder file). Where each
/// sentence starts and ends, in seconds.
pub fn speak(path: &Path, sentences: &[&str], pause: f64) -> Vec<(f64, f64)> {
    let dir = path.with_extension("voice");
    std::fs::create_dir_all(&dir).unwrap();
    let silence = dir.join("pause.wav");
    let pause_s = pause.to_string();
    let silence_args = [
        "-f",
        "lavfi",
        "-i",
        "anullsrc=r=16000:cl=mono",
        "-t",
        &pause_s,
    ];
    ffmpeg(
        &[
            &silence_args[..],
            &["-c:a", "pcm_s16le", silence.to_str().unwrap()],
        ]
        .concat(),
    );
    let mut list = String::new();
    let mut times = Vec::new();
    let mut at = 0.0;
    for (i, sentence) in sentences.iter().enumerate() {
        let said = say(&dir, i, sentence);
        let length = ffprobe_duration(said.to_str().unwrap());
        times.push((at, at + length));
        at += length + pause;
        list.push_str(&format!(
            "file '{}'\nfile '{}'\n",
            said.display(),
            silence.display()
        ));
    }
    let list_file = dir.join("list.txt");
    std::fs::write(&list_file, list).unwrap();
    let voice = dir.join("voice.wav");
    let list_path = list_file.to_str().unwrap();
    ffmpeg(&[
        "-f",
        "concat",
        "-safe",
        "0",
        "-i",
        list_path,
        "-c:a",
        "pcm_s16le",
        voice.to_str().unwrap(),
    ]);
    let picture = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25"];
    let encode = [
        "-shortest",
        "-c:v",
        "mpeg2video",
        "-b:v",
        "400k",
        "-c:a",
        "mp2",
        "-ar",
        "48000",
        "-f",
        "vob",
    ];
    let sound = ["-i", voice.to_str().unwrap()];
    ffmpeg(&[&picture[..], &sound, &encode, &[path.to_str().unwrap()]].concat());
    times
}

/// Sentence number `i` said by Festival into `dir`, as 16 kHz mono WAV (the rate of the
/// pauses, for ffmpeg's concat demuxer).
fn say(dir: &Path, i: usize, sentence: &str) -> std::path::PathBuf {
    let text = dir.join(format!("{i}.txt"));
    let wav = dir.join(format!("{i}.wav"));
    // Festival reads ISO 8859-1: "è" in UTF-8 comes out as noise.
    let latin1: Vec<u8> = sentence
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect();
    std::fs::write(&text, latin1).unwrap();
    let out = Command::new("text2wave")
        .args(["-eval", "(voice_pc_diphone)", "-o"])
        .arg(&wav)
        .arg(&text)
        .output()
        .expect("Festival must be installed (the README's test command installs it)");
    let why = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "text2wave: {why}");
    let even = dir.join(format!("{i}-16k.wav"));
    let (from, to) = (wav.to_str().unwrap(), even.to_str().unwrap());
    ffmpeg(&["-i", from, "-ar", "16000", "-ac", "1", to]);
    even
}

/// ffmpeg pushing `seconds` of a test picture (640×360, key frame every 2 s) and a tone,
/// in real time, to `url`: FLV over RTMP, MPEG-TS over SRT.
pub fn push_live(url: &str, seconds: u32) -> tokio::process::Command {
    let format = if url.starts_with("srt:") {
        "mpegts"
    } else {
        "flv"
    };
    let mut cmd = tokio::process::Command::new("ffmpeg");
    cmd.args(["-hide_banner", "-loglevel", "error", "-re"])
        .args(["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25"])
        .args(["-f", "lavfi", "-i", "sine=frequency=330:sample_rate=48000"])
        .args(["-t", &seconds.to_string()])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-g", "50"])
        .args(["-c:a", "aac", "-b:a", "96k", "-f", format, url])
        .kill_on_drop(true);
    cmd
}
