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
        18,
        "{stdout}"
    );
}
