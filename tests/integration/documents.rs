//! A session ingested through the CLI with its documents: an HTML agenda, a timed agenda,
//! an SRT transcript with speakers, and broken minutes that must not stop the ingest.

use std::path::{Path, PathBuf};

use crate::helpers::{aula, ffmpeg, run_refused, scratch, spawn_app, synthesize, TestApp};

#[tokio::test]
async fn documents_transcripts_and_times_come_in_with_the_recording() {
    let root = scratch("documents-ingest");
    let data_dir = root.join("data");
    let broken = ingest_with_documents(&root, &data_dir);

    let app = spawn_app(&data_dir).await;
    let list = app.json("/api/v1/sessions").await;
    let id = list["sessions"][0]["id"].as_i64().unwrap();
    assert_eq!(list["sessions"][0]["state"], "published");
    let detail = app.json(&format!("/api/v1/sessions/{id}")).await;
    let agenda = detail["agenda"].as_array().unwrap();
    assert_eq!(agenda.len(), 2, "{detail}");
    assert_eq!(agenda[1]["title"], "Variante al piano regolatore");
    assert_eq!(agenda[1]["start_ms"], 12_000);

    tracks_and_page(&app, id).await;

    // The transcript is searchable and its hit opens the second it was said.
    let found = app.search_finds("fornace&kind=transcript", 1).await;
    assert_eq!(
        found["results"][0]["passages"][0]["start_seconds"], 13,
        "{found}"
    );
    assert_eq!(found["results"][0]["passages"][0]["speaker"], "Cons. Rossi");

    originals_are_downloadable(&app, &data_dir, &broken).await;
}

/// `aula ingest` of a recording with an HTML agenda (with a script), a timed agenda, an
/// SRT transcript with speakers and broken minutes: it succeeds and says what it read.
/// The broken minutes' path.
fn ingest_with_documents(root: &Path, data_dir: &Path) -> PathBuf {
    let audio = root.join("seduta.mp3");
    synthesize(&audio, None, Some((250, 44100)), 20, "-c:a libmp3lame");
    let agenda = root.join("odg.html");
    std::fs::write(&agenda, "<html><body><script>alert(1)</script><ol>\
        <p>1. Comunicazioni del Presidente</p><p>2. Variante al piano regolatore</p></ol></body></html>").unwrap();
    let timed = root.join("tempi.csv");
    std::fs::write(&timed, "Inizio;Titolo\n00:00:00;Comunicazioni del Presidente\n00:00:12;Variante al piano regolatore\n").unwrap();
    let srt = root.join("trascrizione.srt");
    std::fs::write(&srt, "1\n00:00:01,000 --> 00:00:04,000\nPRESIDENTE: Buongiorno, apriamo la seduta.\n\n\
        2\n00:00:13,000 --> 00:00:17,500\nCONS. ROSSI: La variante riguarda l'area della fornace.\n").unwrap();
    let broken = root.join("verbale.pdf");
    std::fs::write(
        &broken,
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n% truncated here",
    )
    .unwrap();

    let out = aula(data_dir)
        .arg("ingest")
        .arg(&audio)
        .args([
            "--body",
            "Commissione Urbanistica",
            "--date",
            "2016-02-03",
            "--title",
            "Seduta con documenti",
        ])
        .arg("--agenda")
        .arg(&agenda)
        .arg("--timed-agenda")
        .arg(&timed)
        .arg("--transcript")
        .arg(&srt)
        .arg("--minutes")
        .arg(&broken)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("verbale.pdf: kept, but its text could not be read"),
        "{stderr}"
    );
    assert!(stderr.contains("2 cues"), "{stderr}");
    broken
}

/// Captions and chapters tracks, linked from the page, which marks the broken minutes
/// and never passes the agenda's markup through.
async fn tracks_and_page(app: &TestApp, id: i64) {
    let captions = app.get(&format!("/sedute/{id}/sottotitoli.vtt")).await;
    assert_eq!(captions.status(), 200);
    assert_eq!(
        captions.headers()["content-type"],
        "text/vtt; charset=utf-8"
    );
    let text = captions.text().await.unwrap();
    assert!(text.starts_with("WEBVTT"), "{text}");
    assert!(text.contains("<v Cons. Rossi>"), "{text}");
    let chapters = app.text(&format!("/sedute/{id}/capitoli.vtt")).await;
    assert!(chapters.contains("00:00:12.000 --> "), "{chapters}");
    let page = app.text(&format!("/sedute/{id}")).await;
    assert!(page.contains("kind=\"captions\"") && page.contains("kind=\"chapters\""));
    assert!(
        page.contains("testo non leggibile"),
        "the broken minutes are marked"
    );
    assert!(
        !page.contains("<script>alert"),
        "agenda markup is never passed through"
    );
}

/// Originals are kept and downloadable, byte for byte, even the broken one.
async fn originals_are_downloadable(app: &TestApp, data_dir: &Path, broken: &Path) {
    let docs: Vec<i64> = {
        let pool = crate::helpers::open_catalog(data_dir).await;
        sqlx::query_scalar("SELECT id FROM documents WHERE original_name = 'verbale.pdf'")
            .fetch_all(pool.pool())
            .await
            .unwrap()
    };
    let r = app.get(&format!("/documenti/{}", docs[0])).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("verbale.pdf"));
    assert_eq!(
        r.bytes().await.unwrap().to_vec(),
        std::fs::read(broken).unwrap()
    );
    assert_eq!(app.get("/documenti/999999").await.status(), 404);
}

#[tokio::test]
async fn a_mistyped_document_path_stops_the_ingest_before_anything_is_written() {
    let root = scratch("documents-missing");
    let data_dir = root.join("data");
    let audio = root.join("a.mp3");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine",
        "-t",
        "2",
        audio.to_str().unwrap(),
    ]);
    let stderr = run_refused(aula(&data_dir).arg("ingest").arg(&audio).args([
        "--body",
        "Consiglio",
        "--date",
        "2016-02-03",
        "--title",
        "x",
        "--minutes",
        "/nonexistent/verbale.pdf",
    ]));
    assert!(stderr.contains("/nonexistent/verbale.pdf"), "{stderr}");
    assert!(crate::helpers::files_under(&data_dir.join("originals")).is_empty());
}
