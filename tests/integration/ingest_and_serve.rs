//! A legacy Flash recording ingested through the CLI, then served: playlists, ranges,
//! pages, the JSON API, and the published stream's duration as ffprobe sees it.

use std::path::Path;
use std::time::Duration;

use crate::helpers::{
    assert_success, eventually, ffprobe_duration, flv_archive, spawn_app, TestApp,
};

#[tokio::test]
async fn flv_becomes_hls_that_serves_ranges_and_keeps_its_duration() {
    let archive = flv_archive();
    let app = spawn_app(&archive.data_dir).await;

    let list = app.json("/api/v1/sessions").await;
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{list}");
    let session = &sessions[0];
    assert_eq!(session["title"], archive.title);
    assert_eq!(session["state"], "published");
    assert_eq!(session["body"]["name"], "Consiglio comunale");
    assert_eq!(session["date"], "2009-03-12");
    let master = session["media"]["master_playlist"]
        .as_str()
        .unwrap()
        .to_string();

    let segment_url = first_segment(&app, &master).await;
    segment_range_is_exact(&app, &archive.data_dir, &segment_url).await;

    // ffprobe, reading the published stream over HTTP, sees the source's duration.
    let source = ffprobe_duration(archive.source.to_str().unwrap());
    let published = ffprobe_duration(&app.url(&master));
    assert!(
        (published - source).abs() <= 0.5,
        "source {source:.3} s, published {published:.3} s"
    );

    downloads_audio_and_thumbnails(&app, &session["media"]).await;

    // The pages list it and play it.
    let home = app.text("/").await;
    assert!(home.contains(archive.title), "home page lists the session");
    let page_url = session["page_url"].as_str().unwrap();
    let page = app.get(page_url).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains(&format!("src=\"{master}\"")), "player source");
    assert!(
        page.contains("Approvazione del bilancio consuntivo"),
        "agenda"
    );

    let detail = app
        .json(&format!("/api/v1/sessions/{}", session["id"]))
        .await;
    assert_eq!(detail["agenda"].as_array().unwrap().len(), 3);
}

/// The master playlist answers with an HLS content type; its first variant's first
/// segment, by address.
async fn first_segment(app: &TestApp, master: &str) -> String {
    let response = app.get(master).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.apple.mpegurl"
    );
    let text = response.text().await.unwrap();
    assert!(text.starts_with("#EXTM3U"), "{text}");
    let variant = text
        .lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .expect("a variant");
    let media_base = master.rsplit_once('/').unwrap().0;
    let variant_url = format!("{media_base}/{variant}");
    let playlist = app.text(&variant_url).await;
    assert!(playlist.contains("#EXT-X-ENDLIST"), "{playlist}");
    let segment = playlist
        .lines()
        .find(|l| l.ends_with(".m4s"))
        .expect("a segment");
    let segment_url = format!("{}/{segment}", variant_url.rsplit_once('/').unwrap().0);

    segment_url
}

/// A segment answers 206 to a Range request with exactly those bytes.
async fn segment_range_is_exact(app: &TestApp, data_dir: &Path, segment_url: &str) {
    let on_disk = std::fs::read(
        data_dir
            .join("media")
            .join(segment_url.trim_start_matches("/media/")),
    )
    .unwrap();
    assert!(on_disk.len() > 300);
    let response = app
        .client
        .get(app.url(segment_url))
        .header("Range", "bytes=100-299")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 206);
    assert_eq!(
        response.headers()["content-range"],
        format!("bytes 100-299/{}", on_disk.len()).as_str()
    );
    assert_eq!(response.headers()["content-type"], "video/iso.segment");
    assert_eq!(&response.bytes().await.unwrap()[..], &on_disk[100..300]);
}

/// The progressive MP4, the poster, the audio-only rung, the sound alone and the seek
/// thumbnails, from the session's `media` in the API.
async fn downloads_audio_and_thumbnails(app: &TestApp, media: &serde_json::Value) {
    let mp4 = media["mp4"].as_str().unwrap();
    let response = app.get(mp4).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "video/mp4");
    let poster = media["poster"].as_str().unwrap();
    assert_eq!(
        app.get(poster).await.headers()["content-type"],
        "image/jpeg"
    );

    let audio_playlist = media["audio_playlist"].as_str().unwrap();
    assert_eq!(app.get(audio_playlist).await.status(), 200);
    let audio = app.get(media["audio"].as_str().unwrap()).await;
    assert_eq!(audio.status(), 200);
    let audio_type = audio.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(audio_type.starts_with("audio/"), "{audio_type}");
    let thumbnails = media["thumbnails"].as_str().unwrap();
    let vtt = app.text(thumbnails).await;
    assert!(vtt.starts_with("WEBVTT"), "{vtt}");
    let sprite = vtt
        .lines()
        .find(|l| l.contains("#xywh="))
        .and_then(|l| l.split('#').next())
        .unwrap();
    let sprite_url = format!("{}/{sprite}", thumbnails.rsplit_once('/').unwrap().0);
    let sprite = app.get(&sprite_url).await;
    assert_eq!(sprite.status(), 200, "{sprite_url}");
    assert_eq!(sprite.headers()["content-type"], "image/jpeg");
    assert_eq!(
        media["warnings"].as_array().unwrap().len(),
        0,
        "a clean source"
    );
}

#[tokio::test]
async fn unknown_pages_and_sessions_answer_404() {
    let archive = flv_archive();
    let app = spawn_app(&archive.data_dir).await;
    assert_eq!(app.get("/sedute/999999").await.status(), 404);
    assert_eq!(app.get("/sedute/abc").await.status(), 404);
    let r = app.get("/api/v1/sessions/999999").await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(app.get("/non-esiste").await.status(), 404);
}

#[tokio::test]
async fn a_running_server_sees_a_new_ingest_at_once() {
    let root = crate::helpers::scratch("live-ingest");
    let data_dir = root.join("data");
    let app = spawn_app(&data_dir).await;
    assert!(app.json("/api/v1/sessions").await["sessions"]
        .as_array()
        .unwrap()
        .is_empty());

    // An audio-only recording, as many small committees published them.
    let source = root.join("commissione ambiente.mp3");
    crate::helpers::synthesize(&source, None, Some((300, 44100)), 5, "-c:a libmp3lame");
    let agenda = root.join("odg.txt");
    std::fs::write(&agenda, "1. Qualità dell'aria nel territorio comunale\n").unwrap();
    let out = crate::helpers::ingest(&data_dir, &source, "Commissione ambiente", Some(&agenda));
    assert_success(&out);

    // Listed straight away (the catalog is shared), searchable within a few index polls.
    let list = app.json("/api/v1/sessions").await;
    assert_eq!(list["sessions"][0]["state"], "published", "{list}");
    eventually(
        "the new session becomes searchable",
        Duration::from_secs(5),
        || async {
            let json = app.search("aria").await;
            match json["results"].as_array().is_some_and(|r| r.len() == 1) {
                true => Ok(()),
                false => Err(json),
            }
        },
    )
    .await;

    // Audio-only: one audio variant, and the duration is kept.
    let master = list["sessions"][0]["media"]["master_playlist"]
        .as_str()
        .unwrap()
        .to_string();
    let text = app.text(&master).await;
    assert!(
        text.contains("mp4a.40.2") && !text.contains("avc1"),
        "{text}"
    );
    let published = crate::helpers::ffprobe_duration(&app.url(&master));
    assert!((published - 5.0).abs() <= 0.5, "published {published} s");

    // The same file again creates nothing new.
    let out = crate::helpers::ingest(&data_dir, &source, "Altro titolo", None);
    assert_success(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("already in the archive"));
    let list = app.json("/api/v1/sessions").await;
    assert_eq!(list["total"], 1);
}
