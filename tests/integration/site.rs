//! The citizens' pages beyond the home and the session: the archive by year and by body,
//! with stable addresses and pagination, and the accessibility statement.

use crate::helpers::{flv_archive, spawn_app};

#[tokio::test]
async fn the_archive_by_year_and_by_body() {
    let archive = flv_archive();
    let app = spawn_app(&archive.data_dir).await;
    let session = &app.json("/api/v1/sessions").await["sessions"][0];
    let page_url = session["page_url"].as_str().unwrap().to_string();
    let slug = session["body"]["slug"].as_str().unwrap().to_string();
    let year = &session["date"].as_str().unwrap()[..4];
    let text = |path: String| {
        let app = &app;
        async move {
            let r = app.get(&path).await;
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };

    let (status, all) = text("/archivio".into()).await;
    assert_eq!(status, 200);
    assert!(all.contains(&format!("href=\"{page_url}\"")), "{all}");
    assert!(
        all.contains(&format!("href=\"/archivio/{year}\"")),
        "year links"
    );
    assert!(
        all.contains(&format!("href=\"/organi/{slug}\"")),
        "body links"
    );
    assert!(all.contains("1 sedute, 1 pagine."), "{all}");

    let (status, by_year) = text(format!("/archivio/{year}")).await;
    assert_eq!(status, 200);
    assert!(by_year.contains(&format!("<h1>Archivio {year}</h1>")));
    assert!(by_year.contains(&page_url));
    let (status, empty_year) = text("/archivio/1990".into()).await;
    assert_eq!(status, 200);
    assert!(!empty_year.contains(&page_url) && empty_year.contains("Nessuna seduta."));

    let (status, body) = text(format!("/organi/{slug}")).await;
    assert_eq!(status, 200);
    assert!(body.contains(&page_url) && body.contains(&format!("/organi/{slug}/feed.atom")));
    let (status, body_year) = text(format!("/organi/{slug}/{year}")).await;
    assert_eq!(status, 200);
    assert!(body_year.contains(&page_url));

    // Addresses that name nothing are 404, never a 500 or an empty page.
    for path in [
        "/organi/nessuno".to_string(),
        "/archivio/duemila".to_string(),
        "/archivio/99999".to_string(),
        "/archivio?pagina=2".to_string(),
        "/archivio?pagina=0".to_string(),
        "/archivio?pagina=x".to_string(),
    ] {
        assert_eq!(app.get(&path).await.status(), 404, "{path}");
    }

    // The accessibility statement, linked from every page's footer, in both languages.
    assert!(all.contains("href=\"/accessibilita\""));
    let (status, a11y) = text("/accessibilita".into()).await;
    assert_eq!(status, 200);
    assert!(a11y.contains("<h1>Dichiarazione di accessibilità</h1>"));
    let (_, a11y_en) = text("/accessibilita?lang=en".into()).await;
    assert!(a11y_en.contains("<h1>Accessibility statement</h1>"));
}
