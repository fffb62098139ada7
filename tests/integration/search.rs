//! Italian-aware search over titles and agendas, through the HTTP API.

use crate::helpers::{flv_archive, spawn_app, TestApp};

async fn hits(app: &TestApp, q: &str) -> Vec<serde_json::Value> {
    let json = app
        .json(&format!("/api/v1/search?q={}", urlencoding::encode(q)))
        .await;
    json["results"].as_array().unwrap().clone()
}

#[tokio::test]
async fn plural_finds_singular_and_accents_fold() {
    let archive = flv_archive();
    let app = spawn_app(&archive.data_dir).await;

    // The agenda says "bilancio"; the title does not.
    let found = hits(&app, "bilanci").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["title"], archive.title);
    let snippet = found[0]["passages"][0]["snippet_html"].as_str().unwrap();
    assert!(snippet.contains("<mark>bilancio</mark>"), "{snippet}");

    // The agenda says "città".
    let found = hits(&app, "citta").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0]["passages"][0]["snippet_html"]
        .as_str()
        .unwrap()
        .contains("<mark>città</mark>"));

    // Words that are nowhere find nothing, and stray syntax is not an error.
    assert!(hits(&app, "urbanistica").await.is_empty());
    assert!(hits(&app, "dell'ambiente \"").await.is_empty());
}

#[tokio::test]
async fn search_page_shows_highlighted_results() {
    let archive = flv_archive();
    let app = spawn_app(&archive.data_dir).await;
    let page = app.get("/cerca?q=bilanci").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(archive.title), "{html}");
    assert!(html.contains("<mark>bilancio</mark>"));
    let too_long = "a".repeat(600);
    let r = app.get(&format!("/api/v1/search?q={too_long}")).await;
    assert_eq!(r.status(), 400);
}
