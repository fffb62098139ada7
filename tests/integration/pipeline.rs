//! The legacy ingest pipeline end to end, through the real CLI: every period format in
//! `formats` ingests and plays (checked by probing the published HLS and MP4 with
//! ffprobe), a session in several parts plays as one timeline, and damaged sources are
//! salvaged with a warning that says how much, or refused with the reason.

use std::path::Path;
use std::process::Command;

use crate::formats::{generate, Expect, LegacyFormat, LEGACY_FORMATS};
use crate::helpers::{assert_success, aula, ffmpeg, scratch, synthesize, Ingest};

/// ffprobe's JSON description of a file or playlist.
fn probe(input: &Path) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(input)
        .output()
        .expect("ffprobe");
    assert!(
        out.status.success(),
        "ffprobe {} failed: {}",
        input.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn duration(p: &serde_json::Value) -> f64 {
    p["format"]["duration"].as_str().unwrap().parse().unwrap()
}

fn stream<'a>(p: &'a serde_json::Value, kind: &str) -> Option<&'a serde_json::Value> {
    p["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["codec_type"] == kind && s["disposition"]["attached_pic"] != 1)
}

#[tokio::test]
async fn every_legacy_format_ingests_and_plays() {
    let root = scratch("formats");
    let sources = root.join("archivio vecchio");
    std::fs::create_dir_all(&sources).unwrap();
    for f in LEGACY_FORMATS {
        generate(&sources, f);
    }
    let data_dir = root.join("data");
    let summary = ingest_all(&sources, &data_dir);
    let catalog = crate::helpers::open_catalog(&data_dir).await;
    for f in LEGACY_FORMATS {
        let file = sources.join(f.file_name);
        let report = summary["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["file"] == file.display().to_string())
            .unwrap_or_else(|| panic!("{} is not in the summary", f.name));
        assert_eq!(report["status"], "published", "{}: {report}", f.name);
        let session = catalog
            .session(report["session_id"].as_i64().unwrap())
            .await
            .unwrap()
            .unwrap();
        let media = data_dir
            .join("media")
            .join(session.media_dir.as_ref().unwrap());
        let source = probe(&file);
        let hls = probe(&media.join("master.m3u8"));
        let mp4 = probe(&media.join("download.mp4"));
        keeps_duration_and_streams(f, &source, &hls, &mp4);
        if let Some(expect) = &f.video {
            video_is_square_progressive_and_keeps_aspect(f, expect, &source, &hls, &media);
        }
        if f.audio {
            audio_is_stereo_download_and_mono_rung(f, &mp4, &media);
        }
        download_and_master_are_complete(f, &media);
    }
    // The originals are kept untouched, one per recording.
    let originals = crate::helpers::files_under(&data_dir.join("originals"));
    assert_eq!(originals.len(), LEGACY_FORMATS.len());
}

/// `aula ingest DIR --json --at-once 2` over the samples: every file
/// published, progress shown. Its JSON summary.
fn ingest_all(sources: &Path, data_dir: &Path) -> serde_json::Value {
    let out = aula(data_dir)
        .args([
            "ingest",
            "--body",
            "Consiglio comunale",
            "--json",
            "--at-once",
            "2",
        ])
        .arg(sources)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON summary ({e}): {stderr}"));
    let failed: Vec<_> = summary["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] != "published")
        .collect();
    assert!(
        out.status.success() && failed.is_empty(),
        "not published: {failed:#?}"
    );
    assert_eq!(summary["ok"], LEGACY_FORMATS.len(), "{summary:#}");
    assert_eq!(summary["failed"], 0);
    assert!(
        stderr.contains(&format!("{0}/{0}", LEGACY_FORMATS.len())),
        "progress shown: {stderr}"
    );
    said_how_long_it_would_take(&summary, &stderr);
    summary
}

/// Before the batch, every legacy shape was measured by a trial transcode and the batch's
/// time estimated; the summary keeps the estimate beside what it took. (How close the
/// estimate comes is measured by `bench/ingest`, not asserted here.)
fn said_how_long_it_would_take(summary: &serde_json::Value, stderr: &str) {
    let timing = &summary["timing"];
    let estimate = &timing["estimate"];
    assert_eq!(
        estimate["unmeasured"],
        serde_json::json!({}),
        "{estimate:#}"
    );
    let files = estimate["files"].as_array().unwrap();
    assert_eq!(files.len(), LEGACY_FORMATS.len());
    assert!(files.iter().all(|f| f["seconds"].as_f64().unwrap() > 0.0));
    let media: f64 = files
        .iter()
        .map(|f| f["duration_s"].as_f64().unwrap())
        .sum();
    assert!((estimate["media_s"].as_f64().unwrap() - media).abs() < 1e-6);
    // Two at once: the batch can be no shorter than half the sum of its recordings.
    assert_eq!(estimate["at_once"], 2, "--at-once 2");
    let sum: f64 = files.iter().map(|f| f["seconds"].as_f64().unwrap()).sum();
    let seconds = estimate["seconds"].as_f64().unwrap();
    assert!(
        seconds >= sum / 2.0 - 1e-6 && seconds <= sum + 1e-6,
        "{seconds} of {sum}"
    );
    assert!(timing["elapsed_s"].as_f64().unwrap() > 0.0);
    let said = stderr
        .lines()
        .position(|l| l.starts_with("estimate: "))
        .expect(stderr);
    let first_done = stderr
        .lines()
        .position(|l| l.starts_with('['))
        .expect(stderr);
    assert!(
        said < first_done,
        "said before the first was done: {stderr}"
    );
}

/// The HLS and the MP4 last as long as the source and have its kinds of streams.
fn keeps_duration_and_streams(
    f: &LegacyFormat,
    source: &serde_json::Value,
    hls: &serde_json::Value,
    mp4: &serde_json::Value,
) {
    for (what, out) in [("HLS", hls), ("MP4", mp4)] {
        let (want, got) = (duration(source), duration(out));
        assert!(
            (want - got).abs() <= 1.0,
            "{}: {what} lasts {got:.2} s, source {want:.2} s",
            f.name
        );
        assert_eq!(
            stream(out, "audio").is_some(),
            f.audio,
            "{}: {what} audio",
            f.name
        );
        assert_eq!(
            stream(out, "video").is_some(),
            f.video.is_some(),
            "{}: {what} video",
            f.name
        );
    }
}

/// A video rung: the sample is (or is not) interlaced as its table says; the HLS has
/// square pixels, the source's display aspect, progressive frames, and thumbnails.
fn video_is_square_progressive_and_keeps_aspect(
    f: &LegacyFormat,
    expect: &Expect,
    source: &serde_json::Value,
    hls: &serde_json::Value,
    media: &Path,
) {
    let field_order = stream(source, "video").unwrap()["field_order"].as_str();
    let source_interlaced = matches!(field_order, Some("tt" | "bb" | "tb" | "bt"));
    assert_eq!(
        source_interlaced, expect.interlaced,
        "{}: the sample itself",
        f.name
    );
    let v = stream(hls, "video").unwrap();
    let (w, h) = (v["width"].as_f64().unwrap(), v["height"].as_f64().unwrap());
    let sar = v["sample_aspect_ratio"].as_str().unwrap_or("1:1");
    assert!(
        sar == "1:1" || sar == "0:1",
        "{}: square pixels, got {sar}",
        f.name
    );
    assert!(
        (w / h - expect.display_aspect).abs() / expect.display_aspect < 0.02,
        "{}: {w}×{h} does not keep {:.3}",
        f.name,
        expect.display_aspect
    );
    assert!(
        v["field_order"].as_str().is_none_or(|o| o == "progressive"),
        "{}: deinterlaced",
        f.name
    );
    assert!(
        media.join("thumbnails.vtt").is_file(),
        "{}: thumbnails",
        f.name
    );
}

/// Sound: AAC at 48 kHz, stereo in the download, mono in the audio-only rung.
fn audio_is_stereo_download_and_mono_rung(f: &LegacyFormat, mp4: &serde_json::Value, media: &Path) {
    // The download is remuxed from the top variant: stereo, as every video rung.
    let a = stream(mp4, "audio").unwrap();
    assert_eq!(a["codec_name"], "aac", "{}", f.name);
    assert_eq!(a["sample_rate"], "48000", "{}", f.name);
    assert_eq!(a["channels"], 2, "{}", f.name);
    // The slow-link rung is mono speech.
    let rung = probe(&media.join("audio-64k/index.m3u8"));
    let a = stream(&rung, "audio").expect("audio-only rung");
    assert_eq!(a["codec_name"], "aac", "{}", f.name);
    assert_eq!(a["sample_rate"], "48000", "{}", f.name);
    assert_eq!(a["channels"], 1, "{}: the 64 kb/s rung", f.name);
}

/// The download and the master playlist as players need them.
fn download_and_master_are_complete(f: &LegacyFormat, media: &Path) {
    // The download has its index first, so it plays while it downloads.
    let bytes = std::fs::read(media.join("download.mp4")).unwrap();
    let moov = bytes.windows(4).position(|w| w == b"moov").unwrap();
    let mdat = bytes.windows(4).position(|w| w == b"mdat").unwrap();
    assert!(moov < mdat, "{}: faststart MP4", f.name);
    // The master playlist's bandwidths are measured, and complete.
    let master = std::fs::read_to_string(media.join("master.m3u8")).unwrap();
    for line in master
        .lines()
        .filter(|l| l.starts_with("#EXT-X-STREAM-INF"))
    {
        assert!(
            line.contains("AVERAGE-BANDWIDTH=") && line.contains("CODECS="),
            "{line}"
        );
        if line.contains("RESOLUTION=") {
            assert!(line.contains("FRAME-RATE="), "{line}");
        }
    }
}

#[tokio::test]
async fn h264_and_aac_sources_are_copied_not_reencoded() {
    let root = scratch("copy-path");
    let source = root.join("diretta 2012.mp4");
    // 640×360 H.264 High with a key frame every 2 s: the 360p rung copies it.
    synthesize(
        &source,
        Some("640x360"),
        Some((300, 48000)),
        6,
        "-c:v libx264 -profile:v high -g 50 -pix_fmt yuv420p -c:a aac -ac 2",
    );
    let data_dir = root.join("data");
    let out = crate::helpers::ingest(&data_dir, &source, "Diretta", None);
    assert_success(&out);
    let media = data_dir.join("media/1/1");
    // The copied rung keeps the source's exact video packets.
    let packets = |input: &Path| {
        let out = Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-show_entries",
                "packet=size",
                "-of",
                "csv=p=0",
            ])
            .arg(input)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let copied = packets(&media.join("360p/index.m3u8"));
    assert_eq!(
        copied,
        packets(&source),
        "360p is the source's H.264, packet for packet"
    );
    assert_ne!(packets(&media.join("240p/index.m3u8")).len(), 0);
    let segments = |rung: &str| {
        std::fs::read_dir(media.join(rung))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".m4s")
            })
            .count()
    };
    assert_eq!(
        segments("360p"),
        segments("240p"),
        "rungs are cut at the same instants"
    );
}

/// A source every video rung of which is copied is made by two ffmpeg runs at once (the
/// copy, and the audio-only rung's encode): the result is one ladder as a single run makes,
/// but for the audio rung's first timestamp (0 s, where the copied variant's audio starts
/// at 0.058 s after the muxer's shift; a single run gave the audio rung that shift too).
#[tokio::test]
async fn a_fully_copied_source_gets_its_audio_rung_from_a_second_run() {
    let root = scratch("copy-split");
    let source = root.join("diretta 2013.mp4");
    synthesize(
        &source,
        Some("320x240"),
        Some((310, 48000)),
        6,
        "-c:v libx264 -profile:v high -g 50 -pix_fmt yuv420p -c:a aac -ac 2",
    );
    let data_dir = root.join("data");
    let plan = crate::helpers::aula(&data_dir)
        .args(["plan", source.to_str().unwrap(), "--output", "/tmp/out"])
        .output()
        .unwrap();
    assert_success(&plan);
    let commands = String::from_utf8_lossy(&plan.stdout).into_owned();
    let lines: Vec<&str> = commands.lines().collect();
    assert_eq!(lines.len(), 3, "two runs and a wait: {commands}");
    assert!(lines[0].ends_with(" &") && lines[2] == "wait", "{commands}");
    assert!(lines[0].contains("master.m3u8") && !lines[0].contains("audio-64k"));
    assert!(lines[1].contains("master-audio.m3u8") && !lines[1].contains("-c:v"));
    assert_success(&crate::helpers::ingest(&data_dir, &source, "Diretta", None));
    let media = data_dir.join("media/1/1");
    assert!(!media.join("master-audio.m3u8").exists());
    let master = std::fs::read_to_string(media.join("master.m3u8")).unwrap();
    let uris: Vec<&str> = master.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        uris,
        ["240p/index.m3u8", "audio-64k/index.m3u8"],
        "{master}"
    );
    assert!(master.contains("AVERAGE-BANDWIDTH="), "rewritten: {master}");
    let audio = probe(&media.join("audio-64k/index.m3u8"));
    let a = stream(&audio, "audio").expect("the audio rung has sound");
    assert_eq!(
        (a["codec_name"].as_str(), a["channels"].as_i64()),
        (Some("aac"), Some(1))
    );
    assert!(stream(&audio, "video").is_none());
    for rung in ["240p/index.m3u8", "audio-64k/index.m3u8"] {
        let d = duration(&probe(&media.join(rung)));
        assert!((d - 6.0).abs() <= 0.3, "{rung}: {d:.2} s");
    }
    let video = probe(&media.join("240p/index.m3u8"));
    assert!(stream(&video, "video").is_some());
    let start = |s: &serde_json::Value| s["start_time"].as_str().unwrap().parse::<f64>().unwrap();
    let muxed = stream(&video, "audio").expect("the video rung has sound");
    assert!(
        (start(muxed) - start(a)).abs() < 0.1,
        "the audio rung starts with the video rung's sound: {} and {}",
        start(muxed),
        start(a)
    );
}

#[tokio::test]
async fn a_session_in_parts_plays_as_one_timeline() {
    let root = scratch("parts");
    let first = root.join("seduta parte 1.flv");
    let second = root.join("seduta parte 2.mpg");
    crate::helpers::make_flv(&first);
    synthesize(
        &second,
        Some("720x576"),
        Some((500, 48000)),
        4,
        "-c:v mpeg2video -flags +ilme+ildct -top 1 -aspect 4:3 -c:a mp2 -f vob",
    );
    let data_dir = root.join("data");
    Ingest::new(&data_dir)
        .files([&first, &second])
        .body("Consiglio comunale")
        .date("2003-05-06")
        .title("Seduta in due parti")
        .assert_success();
    let catalog = crate::helpers::open_catalog(&data_dir).await;
    let session = catalog.session(1).await.unwrap().unwrap();
    assert_eq!(catalog.recording_parts(1).await.unwrap().len(), 2);
    let media = data_dir.join("media").join(session.media_dir.unwrap());
    let total = duration(&probe(&first)) + duration(&probe(&second));
    for file in ["master.m3u8", "download.mp4"] {
        let got = duration(&probe(&media.join(file)));
        assert!(
            (got - total).abs() <= 1.0,
            "{file}: {got:.2} s, parts add up to {total:.2} s"
        );
    }
    assert_eq!(
        catalog.all_session_ids().await.unwrap(),
        vec![1],
        "one session"
    );
}

/// Cuts a file to `fraction` of its length.
fn truncate(path: &Path, fraction: f64) {
    let bytes = std::fs::read(path).unwrap();
    std::fs::write(path, &bytes[..(bytes.len() as f64 * fraction) as usize]).unwrap();
}

#[tokio::test]
async fn truncated_recording_is_salvaged_with_a_warning_and_its_true_length() {
    let root = scratch("truncated");
    // An FLV states its length at the start; cut at 40% it still claims 12 s.
    let flv = root.join("consiglio troncato.flv");
    // An ASF file states it in a header completed at the end: cut, it states none.
    let wmv = root.join("commissione troncata.wmv");
    for (file, codecs) in [(&flv, ["flv", "libmp3lame"]), (&wmv, ["wmv2", "wmav2"])] {
        let encode = format!("-c:v {} -b:v 600k -c:a {} -b:a 64k", codecs[0], codecs[1]);
        synthesize(file, Some("320x240"), Some((440, 44100)), 12, &encode);
        truncate(file, 0.4);
    }
    assert!(
        duration(&probe(&flv)) > 11.0,
        "the FLV still declares the whole session"
    );
    let data_dir = root.join("data");
    for (id, file, said) in [
        (1, &flv, "of the 12.0 s declared can be decoded"),
        (2, &wmv, "states no length"),
    ] {
        let out = crate::helpers::ingest(&data_dir, file, "Seduta troncata", None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(stderr.contains("warning: truncated:"), "{stderr}");
        assert!(stderr.contains(said), "{stderr}");
        let session = crate::helpers::open_catalog(&data_dir)
            .await
            .session(id)
            .await
            .unwrap()
            .unwrap();
        let kept = session.duration_ms.unwrap() as f64 / 1000.0;
        assert!(
            kept > 3.0 && kept < 6.5,
            "published {kept} s, not the declared 12 s"
        );
        let warnings = session.warnings.unwrap();
        assert!(warnings.starts_with("truncated:"), "{warnings}");
        assert!(
            !warnings.contains("damaged"),
            "the cut is not damage: {warnings}"
        );
        let media = data_dir.join("media").join(session.media_dir.unwrap());
        let got = duration(&probe(&media.join("master.m3u8")));
        assert!((got - kept).abs() < 0.5, "HLS {got} s, catalog {kept} s");
    }
}

#[tokio::test]
async fn damaged_middle_is_published_with_the_damaged_time_named() {
    let root = scratch("damaged");
    let source = root.join("commissione danneggiata.mpg");
    synthesize(
        &source,
        Some("352x288"),
        Some((440, 48000)),
        12,
        "-c:v mpeg2video -b:v 1500k -c:a mp2 -f vob",
    );
    // Scribble over a stretch in the middle of the file, as a failing tape or disk does.
    let mut bytes = std::fs::read(&source).unwrap();
    let (from, to) = (bytes.len() * 45 / 100, bytes.len() * 50 / 100);
    let mut x: u32 = 12345;
    for b in &mut bytes[from..to] {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        *b = (x >> 16) as u8;
    }
    std::fs::write(&source, &bytes).unwrap();
    let data_dir = root.join("data");
    let out = crate::helpers::ingest(&data_dir, &source, "Seduta danneggiata", None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let session = crate::helpers::open_catalog(&data_dir)
        .await
        .session(1)
        .await
        .unwrap()
        .unwrap();
    let warnings = session.warnings.unwrap_or_default();
    assert!(warnings.contains("damaged between 00:00:0"), "{warnings}");
    let kept = session.duration_ms.unwrap() as f64 / 1000.0;
    assert!((kept - 12.0).abs() <= 1.0, "the rest is intact: {kept} s");
}

#[tokio::test]
async fn unreadable_inputs_are_refused_with_the_reason() {
    let root = scratch("refused");
    // A text file renamed .wmv.
    let text = root.join("verbale.wmv");
    std::fs::write(
        &text,
        "Verbale della seduta del consiglio comunale\n".repeat(200),
    )
    .unwrap();
    // An AVI whose codec nobody can decode (its FourCC overwritten).
    let avi = root.join("codec sconosciuto.avi");
    synthesize(&avi, Some("176x144"), None, 2, "-c:v mpeg4 -vtag XVID");
    let mut bytes = std::fs::read(&avi).unwrap();
    for tag in [b"XVID", b"xvid", b"FMP4"] {
        while let Some(at) = bytes.windows(4).position(|w| w == tag) {
            bytes[at..at + 4].copy_from_slice(b"QQ7Z");
        }
    }
    std::fs::write(&avi, &bytes).unwrap();
    // A QuickTime file with its index at the end, cut before the index arrived.
    let mov = root.join("intervista.mov");
    synthesize(&mov, Some("176x144"), None, 4, "-c:v libx264");
    truncate(&mov, 0.4);

    let data_dir = root.join("data");
    for (file, problem) in [
        (&text, "not a recording"),
        (&avi, "unsupported format"),
        (&mov, "truncated"),
    ] {
        let out = crate::helpers::ingest(&data_dir, file, "Seduta", None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{} was accepted", file.display());
        assert!(stderr.contains(&file.display().to_string()), "{stderr}");
        assert!(
            stderr.contains(problem),
            "{}: says {problem:?}: {stderr}",
            file.display()
        );
    }
    assert!(crate::helpers::open_catalog(&data_dir)
        .await
        .all_session_ids()
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn the_same_recording_twice_creates_nothing_new() {
    let root = scratch("twice");
    let source = root.join("seduta.flv");
    crate::helpers::make_flv(&source);
    let copy = root.join("seduta (copia).flv");
    std::fs::copy(&source, &copy).unwrap();
    let data_dir = root.join("data");
    let first = crate::helpers::ingest(&data_dir, &source, "Seduta", None);
    assert_success(&first);
    let again = crate::helpers::ingest(&data_dir, &copy, "Seduta di nuovo", None);
    assert_success(&again);
    assert!(String::from_utf8_lossy(&again.stderr).contains("already in the archive as session 1"));
    let catalog = crate::helpers::open_catalog(&data_dir).await;
    assert_eq!(catalog.all_session_ids().await.unwrap(), vec![1]);
    assert_eq!(
        crate::helpers::files_under(&data_dir.join("originals")).len(),
        1
    );
    // The original is byte for byte what was given.
    let stored = &crate::helpers::files_under(&data_dir.join("originals"))[0];
    assert_eq!(
        std::fs::read(stored).unwrap(),
        std::fs::read(&source).unwrap()
    );
}

/// Integrated loudness (LUFS) of a file's audio, measured by ffmpeg's ebur128 filter.
fn loudness(input: &Path) -> f64 {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(input)
        .args([
            "-map",
            "0:a:0",
            "-af",
            "ebur128=framelog=verbose",
            "-f",
            "null",
            "-",
        ])
        .output()
        .unwrap();
    aula::ingest::analyse::parse_integrated_loudness(&String::from_utf8_lossy(&out.stderr))
        .expect("a loudness measurement")
}

#[tokio::test]
async fn speech_is_brought_to_the_ebu_r128_level() {
    let root = scratch("loudness");
    let data_dir = root.join("data");
    // A recording made far too loud, and one far too quiet.
    for (n, volume) in [(1, "8dB"), (2, "-18dB")] {
        let source = root.join(format!("seduta {n}.mp3"));
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "anoisesrc=color=pink:sample_rate=44100:amplitude=0.3",
            "-t",
            "6",
            "-af",
            &format!("volume={volume}"),
            "-c:a",
            "libmp3lame",
            source.to_str().unwrap(),
        ]);
        let before = loudness(&source);
        let out = crate::helpers::ingest(&data_dir, &source, &format!("Seduta {n}"), None);
        assert_success(&out);
        let media = data_dir.join(format!("media/{n}/1"));
        for rung in ["audio-128k", "audio-64k"] {
            let mut after = loudness(&media.join(rung).join("index.m3u8"));
            if rung == "audio-64k" {
                // The mono rung plays on both speakers: BS.1770 measures such dual mono
                // 3 dB above the single channel it measures here.
                after += 3.01;
            }
            assert!(
                (after + 23.0).abs() <= 1.5,
                "{rung}: {before:.1} LUFS became {after:.1}"
            );
        }
    }
}

/// A tree with a long and a short recording of one shape and one of another: the longest
/// of each shape is measured (the long one by two spans, the audio one whole), the shorter
/// of the same shape is estimated from its rate, and with `--no-wait` the worker's number
/// of transcodes is what the estimate assumes. The trial output is removed afterwards.
#[test]
fn a_tree_is_estimated_by_shape_from_its_longest_recordings() {
    let root = scratch("estimate-by-shape");
    let tree = root.join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    let h264 = "-c:v libx264 -preset ultrafast -g 50 -pix_fmt yuv420p -c:a aac -b:a 64k -ac 2";
    let (long, short) = (
        tree.join("seduta_2010-03-01.mp4"),
        tree.join("seduta_2010-04-01.mp4"),
    );
    synthesize(&long, Some("320x240"), Some((440, 48000)), 40, h264);
    synthesize(&short, Some("320x240"), Some((550, 48000)), 8, h264);
    synthesize(
        &tree.join("audio_2010-05-01.mp3"),
        None,
        Some((660, 44100)),
        12,
        "-c:a libmp3lame -b:a 64k",
    );
    let temp = root.join("tmp");
    std::fs::create_dir_all(&temp).unwrap();
    let out = aula(&root.join("data"))
        .args([
            "ingest",
            "--body",
            "Consiglio comunale",
            "--json",
            "--no-wait",
        ])
        .arg(&tree)
        .env("AULA_TRANSCODES", "3")
        .env("TMPDIR", &temp)
        .output()
        .unwrap();
    assert_success(&out);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let estimate = &summary["timing"]["estimate"];
    assert_eq!(
        estimate["at_once"], 3,
        "the worker's transcodes: {estimate:#}"
    );
    let shapes = estimate["shapes"].as_object().unwrap();
    assert_eq!(shapes.len(), 2, "{estimate:#}");
    let video = shapes
        .values()
        .find(|m| m["file"] == long.display().to_string());
    let video = video.unwrap_or_else(|| panic!("the longest H.264 was measured: {estimate:#}"));
    assert_eq!(video["spans"], true, "40 s is measured by two spans");
    let audio = shapes.values().find(|m| m["spans"] == false).unwrap();
    assert!(audio["file"].as_str().unwrap().ends_with(".mp3"));
    for m in shapes.values() {
        assert!(m["per_media_s"].as_f64().unwrap() > 0.0, "{m}");
        assert!(m["fixed_s"].as_f64().unwrap() >= 0.0, "{m}");
        assert!(m["cores"].as_f64().unwrap() > 0.0, "{m}");
    }
    let seconds = |path: &Path| {
        let files = estimate["files"].as_array().unwrap();
        let f = files
            .iter()
            .find(|f| f["file"] == path.display().to_string())
            .unwrap();
        f["seconds"].as_f64().unwrap()
    };
    assert!(
        seconds(&short) < seconds(&long),
        "one rate, a shorter recording: {estimate:#}"
    );
    assert_eq!(estimate["unmeasured"], serde_json::json!({}));
    let left: Vec<_> = std::fs::read_dir(&temp).unwrap().collect();
    assert!(left.is_empty(), "the trial output is removed: {left:?}");
    assert_eq!(summary["queued"], 3, "{summary:#}");
}
