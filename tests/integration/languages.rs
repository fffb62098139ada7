//! The pages speak Italian by default and English on request: `?lang=`, remembered in a
//! cookie, or the browser's Accept-Language.

use crate::helpers::{flv_archive, spawn_app};

#[tokio::test]
async fn pages_follow_the_readers_language() {
    let archive = flv_archive();
    let app = spawn_app(&archive.data_dir).await;
    let page = |path: &str, headers: &[(&str, &str)]| {
        let mut r = app.client.get(app.url(path));
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        r.send()
    };
    let text = |path: &str, headers: &[(&str, &str)]| {
        let sent = page(path, headers);
        async move { sent.await.unwrap().text().await.unwrap() }
    };
    let session = app.json("/api/v1/sessions").await["sessions"][0]["page_url"]
        .as_str()
        .unwrap()
        .to_string();

    // Italian by default, with a link to the same page in English.
    let it = text("/", &[]).await;
    assert!(
        it.contains("<html lang=\"it\">") && it.contains("<h1>Sedute</h1>"),
        "{it}"
    );
    assert!(it.contains("href=\"/?lang=en\"") && it.contains(">English</a>"));
    assert!(it.contains("12 marzo 2009"), "dates in Italian");

    // The browser's preference.
    let en = page("/", &[("Accept-Language", "en-GB,en;q=0.9,it;q=0.5")])
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        en.contains("<html lang=\"en\">") && en.contains("<h1>Sessions</h1>"),
        "{en}"
    );
    assert!(en.contains("March 12, 2009"));
    assert!(en.contains(">Italiano</a>"));

    // A choice made with the switch is remembered, and beats the browser's preference.
    let chosen = page("/cerca?q=bilancio&lang=en", &[("Accept-Language", "it")])
        .await
        .unwrap();
    let cookie = chosen.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("aula_lang=en;"), "{cookie}");
    let body = chosen.text().await.unwrap();
    assert!(
        body.contains("href=\"/cerca?q=bilancio&#38;lang=it\""),
        "{body}"
    );
    assert!(body.contains("1 session found for «bilancio»."), "{body}");
    let again = text(
        &session,
        &[("Cookie", "aula_lang=en"), ("Accept-Language", "it")],
    )
    .await;
    assert!(
        again.contains("<html lang=\"en\">") && again.contains(">Agenda</h2>"),
        "{again}"
    );

    // The friendly 404 too; an unknown language is ignored.
    let missing = page("/non/esiste?lang=en", &[]).await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Page not found"));
    let unknown = page("/?lang=fr", &[]).await.unwrap();
    assert!(!unknown.headers().contains_key("set-cookie"));
    assert!(unknown.text().await.unwrap().contains("<html lang=\"it\">"));
}

/// A recording that could not be processed: the citizen reads why in their language, and
/// the technical reason (English, from ffmpeg) sits in a marked-up aside.
#[tokio::test]
async fn a_failed_recording_is_explained_in_the_readers_language() {
    let data_dir = crate::helpers::published_files("failed-page", &[("master.m3u8", b"x")]).await;
    let catalog = crate::helpers::open_catalog(&data_dir).await;
    catalog
        .set_session_failed(
            1,
            "ffmpeg exited with 1: Invalid data found when processing input",
        )
        .await
        .unwrap();
    let app = spawn_app(&data_dir).await;
    let it = app.text("/sedute/1").await;
    assert!(
        it.contains("La registrazione di questa seduta per ora non può essere riprodotta."),
        "{it}"
    );
    assert!(it.contains("<summary>Dettagli tecnici (in inglese)</summary>"));
    assert!(it.contains("<p class=\"mb-0 small\" lang=\"en\">ffmpeg exited with 1: Invalid data"));
    let en = app.text("/sedute/1?lang=en").await;
    assert!(
        en.contains("The recording of this session cannot be played for now."),
        "{en}"
    );
}
