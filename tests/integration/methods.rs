//! Methods as clients nobody here wrote use them (RFC 9110 §9): HEAD wherever GET works,
//! with GET's status and headers and no body; any other method on a known address is
//! 405 with the methods it takes in `Allow`; and neither counts as an old address that
//! leads nowhere.

use reqwest::Method;

use crate::helpers::{published_files, spawn_app};

/// Every public page, feed, file and API read (session 1 is published).
const READS: &[&str] = &[
    "/",
    "/sedute/1",
    "/archivio",
    "/archivio/2010",
    "/organi/consiglio-comunale",
    "/organi/consiglio-comunale/feed.atom",
    "/cerca?q=seduta",
    "/cerca/feed.atom?q=seduta",
    "/accessibilita",
    "/embed/1",
    "/feed.atom",
    "/sitemap.xml",
    "/robots.txt",
    "/healthz",
    "/api/v1/sessions",
    "/api/v1/sessions/1",
    "/api/v1/sessions.csv",
    "/api/v1/bodies",
    "/api/v1/search?q=seduta",
    "/api/v1/openapi.json",
    "/favicon.ico",
    "/apple-touch-icon.png",
    "/manifest.webmanifest",
    "/dist/site.css",
];

#[tokio::test]
async fn head_answers_wherever_get_does_with_the_same_headers_and_no_body() {
    let data_dir =
        published_files("methods-head", &[("master.m3u8", b"#EXTM3U\n".as_slice())]).await;
    let app = spawn_app(&data_dir).await;
    for path in READS {
        let get = app.get(path).await;
        assert_eq!(get.status(), 200, "GET {path}");
        let head = app
            .client
            .head(app.url(path))
            .send()
            .await
            .expect("HEAD request");
        assert_eq!(head.status(), get.status(), "HEAD {path}");
        for name in ["content-type", "cache-control", "content-length"] {
            assert_eq!(
                head.headers().get(name),
                get.headers().get(name),
                "HEAD {path}: {name}"
            );
        }
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path} sent a body"
        );
    }
    // The archive's own live pages are not old addresses leading nowhere; an old one
    // followed is, one only checked with HEAD is not.
    assert_eq!(app.get("/vecchio/seduta.asp?id=3").await.status(), 404);
    let checked = app
        .client
        .head(app.url("/vecchio/controllato.asp"))
        .send()
        .await
        .unwrap();
    assert_eq!(checked.status(), 404, "HEAD of an unknown address");
    let token = crate::helpers::admin_token(&data_dir);
    let (status, report) = app.admin(&token).get("/api/v1/admin/unmapped").await;
    assert_eq!(status, 200, "{report}");
    let listed = report["unmapped"].as_array().expect("a list");
    assert_eq!(listed.len(), 1, "{report}");
    assert!(
        listed[0]["path"]
            .as_str()
            .unwrap()
            .contains("vecchio/seduta.asp"),
        "{report}"
    );
}

#[tokio::test]
async fn pages_far_past_the_end_are_empty_or_missing_never_a_fault() {
    let data_dir =
        published_files("methods-pages", &[("master.m3u8", b"#EXTM3U\n".as_slice())]).await;
    let app = spawn_app(&data_dir).await;
    let r = app.get("/archivio?pagina=9223372036854775807").await;
    assert_eq!(r.status(), 404);
    // The API's last page (its OpenAPI document says which) is empty; past it, a 400.
    let found = app.json("/api/v1/search?q=seduta&page=1000000").await;
    assert_eq!(found["results"], serde_json::json!([]), "{found}");
    let listed = app.json("/api/v1/sessions?page=1000000").await;
    assert_eq!(listed["sessions"], serde_json::json!([]), "{listed}");
    for past in [
        "/api/v1/search?q=seduta&page=18446744073709551615",
        "/api/v1/sessions?page=9223372036854775807",
        "/api/v1/sessions?per_page=201",
    ] {
        assert_eq!(app.get(past).await.status(), 400, "{past}");
    }
}

#[tokio::test]
async fn other_methods_on_known_addresses_are_405_with_allow() {
    let data_dir =
        published_files("methods-405", &[("master.m3u8", b"#EXTM3U\n".as_slice())]).await;
    let app = spawn_app(&data_dir).await;
    for path in READS {
        for method in ["PUT", "DELETE", "TRACE", "PATCH"] {
            let r = app
                .client
                .request(
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    app.url(path),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 405, "{method} {path}");
            let allow = r
                .headers()
                .get("allow")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            assert!(
                allow.contains("GET") && allow.contains("HEAD"),
                "{method} {path}: Allow {allow:?}"
            );
        }
    }
    // The admin API's writes say what they take, too.
    let r = app
        .client
        .get(app.url("/api/v1/admin/sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers().get("allow").unwrap(), "POST");
}
