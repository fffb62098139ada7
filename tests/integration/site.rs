//! The citizens' pages beyond the home and the session: the archive by year and by body,
//! with stable addresses and pagination, and the accessibility statement.

use crate::helpers::{flv_archive, spawn_app, TestApp};

/// The served archive of one session, with what its pages are checked against: the
/// session's page address, its body's slug and its year.
struct Listed {
    app: TestApp,
    page_url: String,
    slug: String,
    year: String,
}

async fn listed() -> Listed {
    let archive = flv_archive();
    let app = spawn_app(&archive.data_dir).await;
    let session = &app.json("/api/v1/sessions").await["sessions"][0];
    Listed {
        page_url: session["page_url"].as_str().unwrap().to_string(),
        slug: session["body"]["slug"].as_str().unwrap().to_string(),
        year: session["date"].as_str().unwrap()[..4].to_string(),
        app,
    }
}

/// A page's status and text.
async fn text(app: &TestApp, path: impl AsRef<str>) -> (u16, String) {
    let r = app.get(path.as_ref()).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn the_archive_by_year_and_by_body() {
    let Listed {
        app,
        page_url,
        slug,
        year,
    } = &listed().await;
    // The home names the bodies, each linking to its page.
    let (_, home) = text(app, "/").await;
    assert!(home.contains(&format!("href=\"/organi/{slug}\"")), "{home}");

    let (status, all) = text(app, "/archivio").await;
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

    let (status, by_year) = text(app, format!("/archivio/{year}")).await;
    assert_eq!(status, 200);
    assert!(by_year.contains(&format!("<h1>Archivio {year}</h1>")));
    assert!(by_year.contains(page_url.as_str()));
    let (status, empty_year) = text(app, "/archivio/1990").await;
    assert_eq!(status, 200);
    assert!(!empty_year.contains(page_url.as_str()) && empty_year.contains("Nessuna seduta."));

    let (status, body) = text(app, format!("/organi/{slug}")).await;
    assert_eq!(status, 200);
    assert!(
        body.contains(page_url.as_str()) && body.contains(&format!("/organi/{slug}/feed.atom"))
    );

    let (status, body_year) = text(app, format!("/organi/{slug}/{year}")).await;
    assert_eq!(status, 200);
    assert!(body_year.contains(page_url.as_str()));
}

#[tokio::test]
async fn every_page_announces_its_feed_and_describes_itself() {
    let Listed {
        app,
        page_url,
        slug,
        ..
    } = &listed().await;
    let (_, home) = text(app, "/").await;
    let (_, all) = text(app, "/archivio").await;
    let (_, body) = text(app, format!("/organi/{slug}")).await;
    // Feed readers find the archive's feed from every page and a body's from its page;
    // every page describes itself once, for search engines and shared links.
    let session_page = text(app, page_url).await.1;
    for (what, page) in [
        ("home", &home),
        ("archive", &all),
        ("body", &body),
        ("session", &session_page),
    ] {
        assert!(
            page.contains(
                "type=\"application/atom+xml\" title=\"Nuove sedute (Atom)\" href=\"/feed.atom\">"
            ),
            "{what}: no feed autodiscovery"
        );
        assert_eq!(
            page.matches("<meta name=\"description\"").count(),
            1,
            "{what}"
        );
    }
    let body_feed = format!("href=\"/organi/{slug}/feed.atom\">");
    assert!(
        body.lines()
            .any(|l| l.contains("<link rel=\"alternate\"") && l.contains(&body_feed)),
        "the body's feed is discoverable on its page"
    );
    assert!(home.contains("<meta name=\"description\" content=\"Le sedute del consiglio comunale"));
    assert!(body.contains(": le sedute registrate, con video"), "{body}");
}

#[tokio::test]
async fn the_calendar_view() {
    let Listed {
        app, year, slug, ..
    } = &listed().await;
    let (_, by_year) = text(app, format!("/archivio/{year}")).await;
    // The calendar view: a year as months of weeks from Monday, each session under its
    // day; the year links keep the view, and the archive's calendar opens the newest year.
    assert!(by_year.contains(&format!("href=\"/archivio/{year}?vista=calendario\"")));
    let (status, cal) = text(app, format!("/archivio/{year}?vista=calendario")).await;
    assert_eq!(status, 200);
    assert!(cal.contains("<caption>marzo 2009</caption>"), "{cal}");
    assert!(cal.contains(
        "<tr><td class=\"aula-day\">9</td><td class=\"aula-day\">10</td><td class=\"aula-day\">11</td>\
         <td class=\"aula-day has-sessions\" data-label=\"giovedì 12 marzo 2009\">\
         <span class=\"aula-day-number\">12</span><ul class=\"list-unstyled mb-0\">\
         <li><a href=\"/sedute/1\">Consiglio comunale</a></li>"
    ), "{cal}");
    assert!(
        !cal.contains("<caption>aprile 2009</caption>"),
        "months without sessions are left out"
    );
    assert!(cal.contains(&format!("href=\"/archivio/{year}?vista=calendario\"")));
    assert!(cal.contains(&format!("<a href=\"/archivio/{year}\">Elenco</a>")));
    let newest = app.get("/archivio?vista=calendario").await;
    assert_eq!(newest.status(), 302);
    assert_eq!(
        newest.headers()["location"],
        format!("/archivio/{year}?vista=calendario").as_str()
    );
    let (_, cal_en) = text(
        app,
        format!("/organi/{slug}/{year}?vista=calendario&lang=en"),
    )
    .await;
    assert!(cal_en.contains("<caption>March 2009</caption>"), "{cal_en}");
    assert!(cal_en.contains("<abbr title=\"Thursday\">Thu</abbr>"));
    assert!(cal_en.contains("data-label=\"Thursday March 12, 2009\""));
}

#[tokio::test]
async fn addresses_that_name_nothing_are_404() {
    let Listed { app, year, .. } = &listed().await;
    // Addresses that name nothing are 404, never a 500 or an empty page.
    for path in [
        "/archivio?vista=mappa".to_string(),
        format!("/archivio/{year}?vista=calendario&pagina=2"),
        "/organi/nessuno".to_string(),
        "/archivio/duemila".to_string(),
        "/archivio/99999".to_string(),
        "/archivio?pagina=2".to_string(),
        "/archivio?pagina=0".to_string(),
        "/archivio?pagina=x".to_string(),
    ] {
        assert_eq!(app.get(&path).await.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn the_accessibility_statement_is_linked_from_every_page() {
    let Listed { app, .. } = &listed().await;
    let (_, all) = text(app, "/archivio").await;
    // The accessibility statement, linked from every page's footer, in both languages.
    assert!(all.contains("href=\"/accessibilita\""));
    let (status, a11y) = text(app, "/accessibilita").await;
    assert_eq!(status, 200);
    assert!(a11y.contains("<h1>Dichiarazione di accessibilità</h1>"));
    let (_, a11y_en) = text(app, "/accessibilita?lang=en").await;
    assert!(a11y_en.contains("<h1>Accessibility statement</h1>"));
}

#[tokio::test]
async fn the_session_page_shares_embeds_and_describes_itself() {
    let archive = flv_archive();
    let app = spawn_app(&archive.data_dir).await;
    let session = &app.json("/api/v1/sessions").await["sessions"][0];
    let id = session["id"].as_i64().unwrap();
    let page_url = session["page_url"].as_str().unwrap();
    let r = app.get(&format!("{page_url}?t=2")).await;
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let html = r.text().await.unwrap();
    let canonical = app.url(page_url);
    assert!(
        html.contains(&format!("<link rel=\"canonical\" href=\"{canonical}\">")),
        "{html}"
    );
    assert!(html.contains("<meta property=\"og:type\" content=\"video.other\">"));
    assert!(html.contains("<meta property=\"og:video\" content=\"http://127.0.0.1:"));
    // Downloads: the MP4 and the sound alone.
    let mp4 = session["media"]["mp4"].as_str().unwrap();
    let audio = session["media"]["audio"].as_str().unwrap();
    assert!(
        html.contains(&format!("href=\"{mp4}\" download"))
            && html.contains(&format!("href=\"{audio}\" download"))
    );
    // Share from this moment, and the embed code.
    assert!(
        html.contains(&format!("value=\"{canonical}?t=2\"")),
        "{html}"
    );
    assert!(html.contains(&format!("/embed/{id}")));
    // schema.org metadata that parses as JSON and names the video.
    let ld = html
        .split("<script type=\"application/ld+json\">")
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .unwrap();
    let ld: serde_json::Value = serde_json::from_str(ld).unwrap();
    assert_eq!(ld["@type"], "VideoObject");
    assert_eq!(ld["name"], archive.title);
    assert!(ld["contentUrl"].as_str().unwrap().ends_with(mp4));
    assert!(ld["duration"].as_str().unwrap().starts_with("PT0H0M"));

    // The embeddable player may be framed by any site; nothing else may.
    let embed = app.get(&format!("/embed/{id}")).await;
    assert_eq!(embed.status(), 200);
    assert!(!embed.headers().contains_key("x-frame-options"));
    let csp = embed.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("frame-ancestors *") && csp.contains("script-src 'self';"),
        "{csp}"
    );
    assert!(embed.text().await.unwrap().contains("<video id=\"player\""));
    assert_eq!(app.get("/embed/9999").await.status(), 404);
}

#[tokio::test]
async fn search_results_have_facets_and_filters() {
    let app = spawn_app(&flv_archive().data_dir).await;
    let text = |path: &'static str| {
        let app = &app;
        async move {
            let r = app.get(path).await;
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, page) = text("/cerca?q=bilancio").await;
    assert_eq!(status, 200);
    assert!(page.contains("1 seduta trovata per «bilancio»."), "{page}");
    // Facets link to the same search narrowed down.
    assert!(
        page.contains("href=\"/cerca?q=bilancio&#38;body=consiglio-comunale\""),
        "{page}"
    );
    assert!(page.contains("href=\"/cerca?q=bilancio&#38;from=2009&#38;to=2009\""));
    // The filters show the bodies and keep what was chosen.
    let (_, filtered) = text("/cerca?q=bilancio&body=consiglio-comunale&sort=newest").await;
    assert!(filtered.contains("<option value=\"consiglio-comunale\" selected>"));
    assert!(filtered.contains("<option value=\"newest\" selected>"));
    assert!(filtered.contains("1 seduta trovata"));
    let (_, none) = text("/cerca?q=bilancio&from=2010").await;
    assert!(none.contains("Nessuna seduta corrisponde"), "{none}");
    // A filter the archive cannot read says so, with a 400.
    let (status, bad) = text("/cerca?q=bilancio&from=ieri").await;
    assert_eq!(status, 400);
    assert!(bad.contains("«ieri» non è una data"), "{bad}");
    let (status, bad) = text("/cerca?q=bilancio&body=giunta-ombra").await;
    assert_eq!(status, 400);
    assert!(
        bad.contains("Non esiste un organo «giunta-ombra»."),
        "{bad}"
    );
}

/// What a browser and a phone ask for beside the page: the favicon (asked for by name on
/// every visit), the touch icon, the manifest, each a real image of its size.
#[tokio::test]
async fn icons_and_manifest_answer_at_their_names() {
    let app = spawn_app(&flv_archive().data_dir).await;
    let home = app.text("/").await;
    for link in [
        "<link rel=\"icon\" href=\"/favicon.ico\"",
        "<link rel=\"apple-touch-icon\" href=\"/apple-touch-icon.png\">",
        "<link rel=\"manifest\" href=\"/manifest.webmanifest\">",
    ] {
        assert!(home.contains(link), "{link} in {home}");
    }

    // The icons are real images of the sizes asked for (ffprobe reads them).
    let dir = crate::helpers::scratch("site-icons");
    for (path, content_type, size) in [
        ("/favicon.ico", "image/x-icon", "32x32"),
        ("/apple-touch-icon.png", "image/png", "180x180"),
        ("/apple-touch-icon-precomposed.png", "image/png", "180x180"),
        ("/dist/icon-192.png", "image/png", "192x192"),
        ("/dist/icon-512.png", "image/png", "512x512"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], content_type, "{path}");
        let file = dir.join(path.trim_start_matches('/').replace('/', "_"));
        std::fs::write(&file, r.bytes().await.unwrap()).unwrap();
        let probe = std::process::Command::new("ffprobe")
            .args(["-v", "error", "-show_entries", "stream=width,height"])
            .args(["-of", "csv=p=0:s=x"])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&probe.stdout).trim(),
            size,
            "{path}: {}",
            String::from_utf8_lossy(&probe.stderr)
        );
    }

    let r = app.get("/manifest.webmanifest").await;
    assert_eq!(r.headers()["content-type"], "application/manifest+json");
    let manifest: serde_json::Value = r.json().await.unwrap();
    assert_eq!(manifest["name"], "Archivio delle sedute");
    for icon in manifest["icons"].as_array().unwrap() {
        let src = icon["src"].as_str().unwrap();
        assert_eq!(app.get(src).await.status(), 200, "{src}");
    }
}

/// The pages' stylesheet and icon at versioned addresses that caches may keep for a
/// year, while any other address of the same file is revalidated.
#[tokio::test]
async fn linked_assets_are_versioned_and_immutable() {
    let app = spawn_app(&flv_archive().data_dir).await;
    let home = app.text("/").await;
    // The stylesheet and the icon are linked with their version; that address is
    // immutable, the bare one is revalidated (and both are the same bytes).
    for asset in ["/dist/site.css", "/dist/icon.svg"] {
        let linked = home
            .split('"')
            .find(|part| part.starts_with(&format!("{asset}?v=")))
            .unwrap_or_else(|| panic!("{asset} linked with a version in {home}"));
        let versioned = app.get(linked).await;
        assert_eq!(versioned.status(), 200, "{linked}");
        assert_eq!(
            versioned.headers()["cache-control"],
            "public, max-age=31536000, immutable",
            "{linked}"
        );
        let bare = app.get(asset).await;
        assert_eq!(
            bare.headers()["cache-control"],
            "public, no-cache",
            "{asset}"
        );
        let stale = app.get(&format!("{asset}?v=000000000000")).await;
        assert_eq!(
            stale.headers()["cache-control"],
            "public, no-cache",
            "{asset}"
        );
        assert_eq!(
            versioned.bytes().await.unwrap(),
            bare.bytes().await.unwrap(),
            "{asset}"
        );
    }
    // The built stylesheet is the kit's rules the pages use: far smaller than the kit.
    let css = app.get("/dist/site.css").await.bytes().await.unwrap();
    let kit = app
        .get("/vendor/bootstrap-italia/css/bootstrap-italia.min.css")
        .await
        .bytes()
        .await
        .unwrap();
    assert!(
        css.len() * 5 < kit.len(),
        "site.css {} bytes, the kit {}",
        css.len(),
        kit.len()
    );
}

#[tokio::test]
async fn the_session_page_loads_the_player_only_when_asked() {
    let app = spawn_app(&flv_archive().data_dir).await;
    // The session page does not load video.js until asked: only player.js, deferred, and
    // the player's box is reserved with the poster preloaded.
    let page_url = app.json("/api/v1/sessions").await["sessions"][0]["page_url"]
        .as_str()
        .unwrap()
        .to_string();
    let session = app.text(&page_url).await;
    assert!(!session.contains("<script src=\"/vendor/"), "{session}");
    assert!(session.contains("/static/player.js?v="), "{session}");
    assert!(session.contains("\" defer></script>"), "{session}");
    assert!(session.contains("class=\"player-box\""), "{session}");
    assert!(
        session.contains("rel=\"preload\" as=\"image\""),
        "{session}"
    );
}
