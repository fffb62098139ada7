//! Clips: a stretch of a session cited by its link (`?t=&fine=`), its page (Open Graph,
//! schema.org `Clip`), its MP4 cut from the published download without re-encoding (the
//! packets are the download's own, checked with ffprobe) with the stretch's captions,
//! its captions file, the refusals of a stretch that cannot be a clip, and a clip of a
//! withheld session or range. In Chromium: marking a start and an end while watching,
//! and the clip page stopping at its end.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{json, Value};

use crate::helpers::{
    admin_token, files_under, make_flv_lasting, node_script, run_job, scratch, spawn_app,
    spawn_app_with, Ingest, TestApp,
};

/// Captions of the clip archive's session: one before, one inside, one after 3–7 s.
const SRT: &str = "1\n00:00:00,500 --> 00:00:02,000\nPRESIDENTE: apriamo la seduta\n\n\
                   2\n00:00:04,000 --> 00:00:05,500\nCONS. ROSSI: la variante della Fornace\n\n\
                   3\n00:00:09,000 --> 00:00:10,500\nPRESIDENTE: passiamo al voto\n";

/// A published 12 s session with a transcript, ingested from a fresh directory `name`.
fn session_with_captions(name: &str) -> PathBuf {
    let root = scratch(name);
    let source = root.join("seduta.flv");
    make_flv_lasting(&source, 12);
    let srt = root.join("seduta.srt");
    std::fs::write(&srt, SRT).unwrap();
    let data_dir = root.join("data");
    Ingest::new(&data_dir)
        .file(&source)
        .body("Consiglio comunale")
        .date("2013-03-14")
        .title("Seduta sulla variante")
        .option("--transcript", &srt)
        .assert_success();
    data_dir
}

/// One such session shared by the tests that only read it.
fn clip_archive() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| session_with_captions("clip-archive"))
}

/// The bytes at `path`, saved as `file` for ffprobe.
async fn download(
    app: &TestApp,
    path: &str,
    file: PathBuf,
) -> (PathBuf, reqwest::header::HeaderMap) {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    let headers = response.headers().clone();
    std::fs::write(&file, response.bytes().await.unwrap()).unwrap();
    (file, headers)
}

/// ffprobe's answer for `file`, as JSON.
fn probe(file: &str, args: &[&str]) -> Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json"])
        .args(args)
        .arg(file)
        .output()
        .expect("ffprobe must be installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The MD5 of every video packet of `file`, in order.
fn video_packets(file: &str) -> Vec<String> {
    let found = probe(
        file,
        &[
            "-select_streams",
            "v:0",
            "-show_data_hash",
            "MD5",
            "-show_entries",
            "packet=data_hash",
        ],
    );
    found["packets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["data_hash"].as_str().unwrap().to_string())
        .collect()
}

/// Whether `part` occurs in `whole` as a run of consecutive packets.
fn is_run_of(part: &[String], whole: &[String]) -> bool {
    !part.is_empty() && whole.windows(part.len()).any(|w| w == part)
}

/// The text track of an MP4, as WebVTT.
fn captions_in(file: &Path) -> String {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(file)
        .args(["-map", "0:s", "-f", "webvtt", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The start and end of every cue of a WebVTT text, in seconds.
fn cue_times(vtt: &str) -> Vec<f64> {
    vtt.lines()
        .filter_map(|l| l.split_once(" --> "))
        .flat_map(|(a, b)| [a, b])
        .map(|stamp| {
            stamp
                .split(':')
                .fold(0.0, |t, p| t * 60.0 + p.trim().parse::<f64>().unwrap())
        })
        .collect()
}

/// The published download of session `id`, saved as `file`.
async fn published_download(app: &TestApp, id: i64, file: PathBuf) -> PathBuf {
    let session = app.json(&format!("/api/v1/sessions/{id}")).await;
    let mp4 = session["media"]["mp4"].as_str().unwrap().to_string();
    download(app, &mp4, file).await.0
}

#[tokio::test]
async fn a_clip_has_its_own_page_title_address_and_metadata() {
    let app = spawn_app(clip_archive()).await;

    // The clip's page: its own title, address, Open Graph video and schema.org Clip.
    let page = app.text("/sedute/1?t=3&fine=7").await.replace("&#38;", "&");
    for expected in [
        "<title>Seduta sulla variante, da 0:03 a 0:07",
        "og:title\" content=\"Seduta sulla variante, da 0:03 a 0:07\"",
        "og:video\" content=\"http://",
        "/sedute/1/clip.mp4?da=3&a=7\">",
        "/sedute/1/clip.vtt?da=3&a=7\"",
        "rel=\"canonical\" href=\"http://",
        "data-start=\"3\" data-end=\"7\"",
        "href=\"/sedute/1?t=3\" class=\"clip-whole\"",
    ] {
        assert!(
            page.contains(expected),
            "{expected} missing in the clip page"
        );
    }
    assert!(
        page.contains("/sedute/1?t=3&fine=7\">"),
        "canonical is the clip's"
    );
    let json_ld = page
        .split("<script type=\"application/ld+json\">")
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .unwrap();
    let object: Value = serde_json::from_str(json_ld).unwrap();
    assert_eq!(object["@type"], "VideoObject");
    let clip = &object["hasPart"][0];
    assert_eq!(
        (&clip["@type"], &clip["startOffset"], &clip["endOffset"]),
        (&json!("Clip"), &json!(3), &json!(7))
    );
    assert!(clip["url"]
        .as_str()
        .unwrap()
        .ends_with("/sedute/1?t=3&fine=7"));
    // Times as the page's form sends them lead to that address.
    let typed = app.get("/sedute/1?t=0%3A03&fine=0%3A07").await;
    assert_eq!(typed.status(), 302);
    assert_eq!(typed.headers()["location"], "/sedute/1?t=3&fine=7");
    // The whole session's page offers to make one, and is not a clip.
    let whole = app.text("/sedute/1").await;
    assert!(whole.contains("name=\"fine\"") && !whole.contains("clip-banner"));
}

#[tokio::test]
async fn a_clips_mp4_is_the_downloads_own_packets_with_the_captions_of_its_stretch() {
    let app = spawn_app(clip_archive()).await;
    let downloads = scratch("clip-downloads");
    // The MP4: from the key frame at or before 3 s (one every 2 s: 2 s) to 7 s, its
    // video packets the published download's own, and the captions of the stretch.
    let source = published_download(&app, 1, downloads.join("published.mp4")).await;
    let (clip, headers) = download(
        &app,
        "/sedute/1/clip.mp4?da=3&a=7",
        downloads.join("clip-3-7.mp4"),
    )
    .await;
    assert_eq!(headers["content-type"], "video/mp4");
    assert_eq!(headers["accept-ranges"], "bytes");
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("seduta-1-clip-3-7.mp4"));
    let found = probe(
        clip.to_str().unwrap(),
        &[
            "-show_entries",
            "format=duration:stream=codec_name,codec_type",
        ],
    );
    let duration: f64 = found["format"]["duration"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (4.9..5.3).contains(&duration),
        "the clip lasts {duration} s"
    );
    let codecs: Vec<&str> = found["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["codec_name"].as_str().unwrap())
        .collect();
    assert_eq!(codecs, ["h264", "aac", "mov_text"]);
    let (clip_packets, all_packets) = (
        video_packets(clip.to_str().unwrap()),
        video_packets(source.to_str().unwrap()),
    );
    assert!(
        clip_packets.len() >= 100 && is_run_of(&clip_packets, &all_packets),
        "the clip's {} video packets are not a run of the download's {}",
        clip_packets.len(),
        all_packets.len()
    );
    let inside = captions_in(&clip);
    assert!(inside.contains("la variante della Fornace"), "{inside}");
    // Timed from the clip's start: its key frame, at 2 s of the video (2.022 s here, as the
    // ladder's first frame comes 22 ms after its audio), within a frame.
    let timed_from_key_frame = |vtt: &str| {
        let times = cue_times(vtt);
        times.len() == 2 && (times[0] - 2.0).abs() < 0.04 && (times[1] - 3.5).abs() < 0.04
    };
    assert!(
        timed_from_key_frame(&inside),
        "timed from the clip: {inside}"
    );
    assert!(
        !inside.contains("apriamo") && !inside.contains("voto"),
        "{inside}"
    );
    let vtt = app.text("/sedute/1/clip.vtt?da=3&a=7").await;
    assert!(vtt.starts_with("WEBVTT"), "{vtt}");
    assert!(timed_from_key_frame(&vtt), "{vtt}");
    assert_eq!(
        cue_times(&vtt),
        cue_times(&inside),
        "the same times as in the MP4"
    );
    assert!(vtt.contains("la variante della Fornace"), "{vtt}");
    assert!(!vtt.contains("apriamo") && !vtt.contains("voto"), "{vtt}");

    served_as_media(&app, headers["etag"].to_str().unwrap()).await;
}

/// Served as published media are: ranges, validators, HEAD; asked again, the same file.
async fn served_as_media(app: &TestApp, etag: &str) {
    let part = app
        .client
        .get(app.url("/sedute/1/clip.mp4?da=3&a=7"))
        .header("Range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap().len(), 100);
    let again = app
        .client
        .get(app.url("/sedute/1/clip.mp4?da=3&a=7"))
        .header("If-None-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let head = app
        .client
        .head(app.url("/sedute/1/clip.mp4?da=3&a=7"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["etag"].to_str().unwrap(), etag);
}

#[tokio::test]
async fn a_stretch_that_cannot_be_a_clip_is_refused_saying_why_and_nothing_is_cut() {
    let data_dir = clip_archive();
    let app = spawn_app_with(data_dir, |c| c.clip_max_seconds = 8).await;
    // A stretch that cannot be a clip: 400 (unreadable) or 422 (impossible) saying why, in
    // the reader's language, and nothing cut.
    for (query, status, says) in [
        ("da=7&a=3", 422, "deve venire dopo l'inizio"),
        ("da=3&a=3", 422, "deve venire dopo l'inizio"),
        ("da=3&a=40", 422, "oltre la durata della seduta"),
        ("da=0&a=9", 422, "al massimo 0:08"),
        ("da=abc&a=4", 400, "«abc» non è un orario"),
        ("da=3", 400, "servono l'inizio e la fine"),
        ("da=-1&a=4", 400, "«-1» non è un orario"),
    ] {
        for file in ["clip.mp4", "clip.vtt"] {
            let response = app.get(&format!("/sedute/1/{file}?{query}")).await;
            assert_eq!(response.status(), status, "{file}?{query}");
            let text = response.text().await.unwrap();
            assert!(text.contains(says), "{file}?{query}: {text}");
        }
    }
    let english = app
        .client
        .get(app.url("/sedute/1/clip.mp4?da=7&a=3"))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(english.status(), 422);
    assert!(english
        .text()
        .await
        .unwrap()
        .contains("must come after the start"));
    let bad_page = app.get("/sedute/1?t=7&fine=3").await;
    assert_eq!(bad_page.status(), 422);
    let bad_page = bad_page.text().await.unwrap().replace("&#39;", "'");
    assert!(bad_page.contains(
        "Questa clip non si può mostrare: la fine (0:03) deve venire dopo l'inizio (0:07)."
    ));
    assert!(
        !bad_page.contains("clip-banner"),
        "no clip on a page that refused it"
    );
    for missing in [
        "/sedute/999/clip.mp4?da=1&a=2",
        "/sedute/x/clip.vtt?da=1&a=2",
    ] {
        assert_eq!(app.get(missing).await.status(), 404, "{missing}");
    }
    // Nothing cut, nor even looked for, for any of them (other tests cut other stretches
    // of this archive meanwhile).
    let stretches: Vec<String> = files_under(&data_dir.join("cache/clips"))
        .iter()
        .filter_map(|f| f.parent()?.file_name()?.to_str().map(String::from))
        .collect();
    for refused in ["7-3", "3-3", "3-40", "0-9"] {
        assert!(
            !stretches.iter().any(|s| s == refused),
            "{refused} in {stretches:?}"
        );
    }
}

#[tokio::test]
async fn a_withheld_session_or_range_is_never_in_a_clip() {
    let data_dir = session_with_captions("clip-withheld");
    let app = spawn_app(&data_dir).await;
    let admin_key = admin_token(&data_dir);
    let admin = app.admin(&admin_key);
    let downloads = scratch("clip-withheld-downloads");
    let first = published_download(&app, 1, downloads.join("first.mp4")).await;
    let (clip, headers) = download(
        &app,
        "/sedute/1/clip.mp4?da=6&a=10",
        downloads.join("before.mp4"),
    )
    .await;
    let first_etag = headers["etag"].to_str().unwrap().to_string();
    assert!(is_run_of(
        &video_packets(clip.to_str().unwrap()),
        &video_packets(first.to_str().unwrap())
    ));

    // 3–5 s withheld: at once no clip (the uncut version is hidden), then clips of the
    // new version only.
    let (status, cut) = admin
        .put(
            "/api/v1/admin/sessions/1/withheld-ranges",
            json!({"ranges": [{"from_seconds": 3, "to_seconds": 5, "reason": "dati personali"}]}),
        )
        .await;
    assert_eq!(status, 202, "{cut}");
    for path in [
        "/sedute/1/clip.mp4?da=6&a=10",
        "/sedute/1/clip.vtt?da=6&a=10",
    ] {
        assert_eq!(
            app.get(path).await.status(),
            404,
            "{path} while the cut is made"
        );
    }
    run_job(&data_dir, cut["job_id"].as_i64().unwrap()).await;
    let second = published_download(&app, 1, downloads.join("second.mp4")).await;
    let (clip, headers) = download(
        &app,
        "/sedute/1/clip.mp4?da=6&a=10",
        downloads.join("after.mp4"),
    )
    .await;
    assert_ne!(headers["etag"].to_str().unwrap(), first_etag);
    let packets = video_packets(clip.to_str().unwrap());
    assert!(is_run_of(
        &packets,
        &video_packets(second.to_str().unwrap())
    ));
    assert!(!is_run_of(
        &packets,
        &video_packets(first.to_str().unwrap())
    ));
    // The session now lasts 10 s: 6–12 is beyond it.
    let beyond = app.get("/sedute/1/clip.mp4?da=6&a=12").await;
    assert_eq!(beyond.status(), 422);

    // The whole session withheld: no clip, no clip page.
    let (status, _) = admin
        .post(
            "/api/v1/admin/sessions/1/withhold",
            json!({"reason": "ricorso"}),
        )
        .await;
    assert_eq!(status, 200);
    for path in [
        "/sedute/1/clip.mp4?da=6&a=10",
        "/sedute/1/clip.vtt?da=6&a=10",
        "/sedute/1?t=6&fine=10",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn a_clip_is_marked_while_watching_and_its_page_stops_at_its_end_in_chromium() {
    let app = spawn_app(clip_archive()).await;
    let stdout = node_script("clip.mjs", vec![app.url("/sedute/1")], Vec::new()).await;
    for check in ["marked", "clip-page", "stopped", "download"] {
        assert!(stdout.contains(&format!("{check}=ok")), "{check}: {stdout}");
    }
}
