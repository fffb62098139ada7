//! A real browser: headless Debian Chromium, driven by playwright-core from web/, opens the
//! session page and plays the converted recording.

use std::path::Path;
use std::process::Command;

use crate::helpers::{flv_archive, scratch, spawn_app, MANIFEST_DIR};

#[tokio::test]
async fn the_session_page_plays_in_chromium() {
    let archive = flv_archive();
    let app = spawn_app(&archive.data_dir).await;
    let list = app.json("/api/v1/sessions").await;
    let page = list["sessions"][0]["page_url"]
        .as_str()
        .unwrap()
        .to_string();
    let artifacts = scratch("browser-artifacts");
    let script = Path::new(MANIFEST_DIR).join("web/tests/play.mjs");
    let url = app.url(&page);
    // The browser runs in its own process; this test's runtime keeps serving meanwhile.
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(url)
            .arg(artifacts.join("session-page.png"))
            .output()
            .expect("node must be installed (the README's test command installs it)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "playback failed\nstdout: {stdout}\nstderr: {stderr}"
    );
    let played: f64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("currentTime="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no currentTime in output: {stdout}"));
    assert!(played > 2.0, "the video only reached {played} s");
}

#[tokio::test]
async fn the_english_switch_works_in_chromium() {
    let app = spawn_app(&flv_archive().data_dir).await;
    let script = Path::new(MANIFEST_DIR).join("web/tests/lang.mjs");
    let url = app.url("/");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(url)
            .output()
            .expect("node must be installed (the README's test command installs it)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("heading=Sessions"), "{stdout}");
}

#[tokio::test]
async fn axe_finds_no_serious_violations() {
    let app = spawn_app(&flv_archive().data_dir).await;
    let session = app.json("/api/v1/sessions").await["sessions"][0]["page_url"]
        .as_str()
        .unwrap()
        .to_string();
    let urls: Vec<String> = [
        "/".to_string(),
        session,
        "/cerca?q=bilancio".to_string(),
        "/cerca".to_string(),
        "/non/esiste".to_string(),
        "/?lang=en".to_string(),
        "/archivio".to_string(),
        "/organi/consiglio-comunale".to_string(),
        "/accessibilita".to_string(),
        "/embed/1".to_string(),
    ]
    .iter()
    .map(|p| app.url(p))
    .collect();
    let script = Path::new(MANIFEST_DIR).join("web/tests/axe.mjs");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .args(urls)
            .output()
            .expect("node must be installed (the README's test command installs it)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.matches(" 0 serious or critical").count(),
        20,
        "{stdout}"
    );
}

/// Runs play.mjs on `url`; returns (where playback began, where it got to).
async fn play(url: String, until: f64) -> (f64, f64) {
    let script = Path::new(MANIFEST_DIR).join("web/tests/play.mjs");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(url)
            .env("PLAY_UNTIL", until.to_string())
            .output()
            .expect("node must be installed (the README's test command installs it)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let value = |key: &str| -> f64 {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {key} in {stdout}"))
    };
    (value("began="), value("currentTime="))
}

#[tokio::test]
async fn a_moment_link_starts_there_and_the_embed_plays() {
    let app = spawn_app(&flv_archive().data_dir).await;
    let session = &app.json("/api/v1/sessions").await["sessions"][0];
    let page = session["page_url"].as_str().unwrap().to_string();
    let id = session["id"].as_i64().unwrap();
    let (began, _) = play(app.url(&format!("{page}?t=2")), 2.5).await;
    assert!((2.0..2.5).contains(&began), "?t=2 began at {began} s");
    let (_, reached) = play(app.url(&format!("/embed/{id}")), 1.0).await;
    assert!(reached > 1.0);
}

#[tokio::test]
async fn chapters_transcript_captions_and_search_hits_seek_in_chromium() {
    // A session with a timed agenda and a transcript.
    let root = scratch("browser-timed");
    let source = root.join("seduta.flv");
    crate::helpers::make_flv(&source);
    let tempi = root.join("tempi.csv");
    std::fs::write(
        &tempi,
        "0:00;Apertura della seduta\n0:03;Variante urbanistica\n",
    )
    .unwrap();
    let srt = root.join("seduta.srt");
    std::fs::write(
        &srt,
        "1\n00:00:01,000 --> 00:00:02,500\nPRESIDENTE: dichiaro aperta la seduta, apertura dei lavori\n\n\
         2\n00:00:04,000 --> 00:00:05,500\nCONS. ROSSI: parliamo della lottizzazione Fornace\n",
    )
    .unwrap();
    let data_dir = root.join("data");
    let out = crate::helpers::aula(&data_dir)
        .arg("ingest")
        .arg(&source)
        .args(["--body", "Consiglio comunale", "--date", "2012-06-01"])
        .args(["--title", "Seduta con trascrizione"])
        .arg("--timed-agenda")
        .arg(&tempi)
        .arg("--transcript")
        .arg(&srt)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let app = spawn_app(&data_dir).await;
    // Wait for the server's index to hold the transcript.
    for _ in 0..50 {
        if app.json("/api/v1/search?q=fornace").await["total"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let script = Path::new(MANIFEST_DIR).join("web/tests/interact.mjs");
    let (session, search) = (app.url("/sedute/1"), app.url("/cerca?q=fornace"));
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(session)
            .arg(search)
            .output()
            .expect("node must be installed (the README's test command installs it)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for check in [
        "captions",
        "chapter",
        "transcript",
        "following",
        "audio-only",
        "search-hit",
        "no-javascript",
    ] {
        assert!(stdout.contains(&format!("{check}=ok")), "{stdout}");
    }
}
