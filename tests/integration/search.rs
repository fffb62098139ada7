//! Italian-aware search over titles, agendas, minutes and transcripts, through the HTTP
//! API: stemming, accents, elision, phrases, filters, facets, times, escaping, rebuilds.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use aula::catalog::{
    BodyName, NewCue, NewDocument, NewRecording, NewSession, SessionDate, SessionTitle,
};
use aula::{Archive, Config};

use crate::helpers::{eventually, flv_archive, scratch, spawn_app, well_formed, TestApp};

async fn search(app: &TestApp, query: &str) -> serde_json::Value {
    app.json(&format!("/api/v1/search?{query}")).await
}

async fn titles(app: &TestApp, q: &str) -> Vec<String> {
    let json = search(app, &format!("q={}", urlencoding::encode(q))).await;
    json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap().to_string())
        .collect()
}

/// The id of the session titled `title`, from the API's list.
async fn id_of(app: &TestApp, title: &str) -> i64 {
    let sessions = app.json("/api/v1/sessions").await;
    sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["title"] == title)
        .unwrap_or_else(|| panic!("no session {title:?} in {sessions}"))["id"]
        .as_i64()
        .unwrap()
}

const A: &str = "Variante al piano regolatore generale";
const B: &str = "Bilancio di previsione 2012";
const C: &str = "Piste ciclabili e mobilità";

/// Three sessions with documents and a transcript, written straight into a catalog.
async fn build_archive(data_dir: PathBuf) {
    let archive = Archive::open(Config {
        database_url: crate::helpers::database_url(&data_dir),
        data_dir,
        ..Config::default()
    })
    .await
    .unwrap();
    let sessions = [
        ("Commissione Urbanistica", "2009-03-12", A,
         "Verbale. Approvazione del progetto per la tutela dell'ambiente, perché la zona è fragile. \
          Il consigliere ha scritto <script>alert('x')</script> nel verbale.", vec!["Variante area ex Fornace"]),
        ("Consiglio comunale", "2012-05-10", B,
         "Discussione sul piano regolamento edilizio e sui tributi.", vec!["Approvazioni dei verbali", "Regolamento edilizio"]),
        ("Commissione Urbanistica", "2015-01-20", C,
         "La città avrà nuove piste.", vec!["Piano della mobilità"]),
    ];
    for (i, (body, date, title, minutes, agenda)) in sessions.into_iter().enumerate() {
        let aula::catalog::CreatedSession { session_id: id, .. } = archive
            .catalog
            .create_session(
                &NewSession {
                    body: &BodyName::parse(body).unwrap(),
                    date: SessionDate::parse(date).unwrap(),
                    title: &SessionTitle::parse(title).unwrap(),
                    kind: "ordinary",
                    number: None,
                },
                &[NewRecording {
                    sha256: &format!("{i:0>64}"),
                    original_name: "x",
                    size_bytes: 1,
                    stored_path: "originals/x",
                    duration_ms: Some(600_000),
                    probe_json: "{}",
                }],
                "{}",
            )
            .await
            .unwrap();
        let items: Vec<(Option<String>, String)> = agenda
            .iter()
            .enumerate()
            .map(|(n, t)| (Some((n + 1).to_string()), t.to_string()))
            .collect();
        archive
            .catalog
            .add_document(id, &text_document("agenda", format!("a{i}"), "odg"), &items)
            .await
            .unwrap();
        archive
            .catalog
            .add_document(id, &text_document("minutes", format!("m{i}"), minutes), &[])
            .await
            .unwrap();
        if i == 0 {
            timed_agenda_and_transcript(&archive.catalog, id).await;
        }
    }
}

/// A text document of `kind` whose content is `text` (nothing on disk).
fn text_document(kind: &str, sha: String, text: &'static str) -> NewDocument<'static> {
    NewDocument {
        kind: kind.parse().unwrap(),
        original_name: "doc.txt",
        sha256: Box::leak(sha.into_boxed_str()),
        size_bytes: 1,
        stored_path: "originals/doc",
        media_type: "text/plain",
        text: Some(text),
        extraction_state: aula::domain::ExtractionState::Ok,
        extraction_note: None,
    }
}

/// The first session's agenda item at 2:05 and a transcript of two cues by two speakers.
async fn timed_agenda_and_transcript(catalog: &aula::catalog::Catalog, id: i64) {
    catalog
        .set_agenda_times(id, &[(1, Some(125_000))])
        .await
        .unwrap();
    let t = catalog
        .add_document(id, &text_document("transcript", "t0".into(), ""), &[])
        .await
        .unwrap();
    catalog
        .add_cues(
            id,
            t,
            &[
                NewCue {
                    start_ms: 0,
                    end_ms: 4000,
                    speaker: Some("Presidente"),
                    text: "Apriamo la seduta",
                },
                NewCue {
                    start_ms: 65_000,
                    end_ms: 70_000,
                    speaker: Some("Cons. Rossi"),
                    text: "La variante riguarda l'area della vecchia fornace",
                },
            ],
        )
        .await
        .unwrap();
}

fn search_archive() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let data_dir = scratch("search-archive").join("data");
        let dir = data_dir.clone();
        // Its own runtime: tests' runtimes come and go.
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(build_archive(dir))
        })
        .join()
        .unwrap();
        data_dir
    })
}

#[tokio::test]
async fn plural_finds_singular_and_accents_fold() {
    let archive = flv_archive();
    let app = spawn_app(&archive.data_dir).await;
    // The FLV session's agenda says "bilancio"; its title does not.
    let found = search(&app, "q=bilanci").await;
    let results = found["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{found}");
    assert_eq!(results[0]["title"], archive.title);
    let snippet = results[0]["passages"][0]["snippet_html"].as_str().unwrap();
    assert!(snippet.contains("<mark>bilancio</mark>"), "{snippet}");
    let found = search(&app, "q=citta").await;
    assert!(found["results"][0]["passages"][0]["snippet_html"]
        .as_str()
        .unwrap()
        .contains("<mark>città</mark>"));
    assert_eq!(
        search(&app, "q=urbanistica").await["results"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn italian_analysis() {
    let app = spawn_app(search_archive()).await;
    assert_eq!(titles(&app, "bilanci").await, vec![B]);
    assert!(
        titles(&app, "approvazioni").await.contains(&A.to_string()),
        "approvazione"
    );
    assert_eq!(titles(&app, "citta").await, vec![C]);
    assert_eq!(titles(&app, "città").await, vec![C]);
    assert_eq!(titles(&app, "ambiente").await, vec![A], "dell'ambiente");
    assert_eq!(titles(&app, "dell'ambiente").await, vec![A]);
    // "perché" is a stop word for free text, but a quoted word is matched exactly.
    assert_eq!(titles(&app, "\"perche\"").await, vec![A]);
    assert_eq!(titles(&app, "\"perché\"").await, vec![A]);
}

#[tokio::test]
async fn phrases_are_exact_where_stems_collide() {
    let app = spawn_app(search_archive()).await;
    // Snowball gives "regolatore" and "regolamento" one stem...
    let mut loose = titles(&app, "piano regolatore").await;
    loose.sort();
    assert_eq!(loose, vec![B.to_string(), A.to_string()]);
    // ...a quoted phrase does not.
    assert_eq!(titles(&app, "\"piano regolatore\"").await, vec![A]);
    assert_eq!(
        titles(&app, "\"regolatore piano\"").await,
        Vec::<String>::new()
    );
    // OR and exclusion
    let mut either = titles(&app, "fornace OR ciclabili").await;
    either.sort();
    assert_eq!(either, vec![C.to_string(), A.to_string()]);
    let mut not_b = titles(&app, "piano -tributi").await;
    not_b.sort();
    assert_eq!(not_b, vec![C.to_string(), A.to_string()]);
}

#[tokio::test]
async fn filters_facets_sorting_and_pages() {
    let app = spawn_app(search_archive()).await;
    let all = search(&app, "q=piano&sort=newest").await;
    let order: Vec<&str> = all["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["date"].as_str().unwrap())
        .collect();
    assert_eq!(order, vec!["2015-01-20", "2012-05-10", "2009-03-12"]);
    assert_eq!(all["total"], 3);
    let bodies = all["facets"]["bodies"].as_array().unwrap();
    assert_eq!(bodies[0]["slug"], "commissione-urbanistica");
    assert_eq!(bodies[0]["count"], 2);
    assert_eq!(all["facets"]["years"].as_array().unwrap().len(), 3);

    let filtered = search(&app, "q=piano&body=commissione-urbanistica&sort=oldest").await;
    let t: Vec<&str> = filtered["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert_eq!(t, vec![A, C]);
    // the body facet still shows the other bodies
    assert_eq!(filtered["facets"]["bodies"].as_array().unwrap().len(), 2);

    let dated = search(&app, "q=piano&from=2010&to=2014-12-31").await;
    assert_eq!(dated["total"], 1);
    assert_eq!(dated["results"][0]["title"], B);
    let kind = search(&app, "q=fornace&kind=transcript").await;
    assert_eq!(kind["results"][0]["passages"][0]["kind"], "transcript");

    let page2 = search(&app, "q=piano&sort=newest&per_page=1&page=2").await;
    assert_eq!(page2["results"].as_array().unwrap().len(), 1);
    assert_eq!(page2["results"][0]["date"], "2012-05-10");
    assert_eq!(page2["total"], 3);
}

#[tokio::test]
async fn timed_hits_link_to_their_second() {
    let app = spawn_app(search_archive()).await;
    let found = search(&app, "q=fornace").await;
    let hit = &found["results"][0];
    assert_eq!(hit["title"], A);
    let passages = hit["passages"].as_array().unwrap();
    let cue = passages
        .iter()
        .find(|p| p["kind"] == "transcript")
        .expect("a transcript passage");
    assert_eq!(cue["start_seconds"], 65);
    assert_eq!(cue["speaker"], "Cons. Rossi");
    let url = cue["url"].as_str().unwrap();
    assert!(url.ends_with("?t=65"), "{url}");
    let item = passages
        .iter()
        .find(|p| p["kind"] == "agenda_item")
        .expect("the timed agenda item");
    assert_eq!(item["start_seconds"], 125);
    assert!(hit["jump_url"].as_str().unwrap().contains("?t="));
}

#[tokio::test]
async fn documents_are_shown_escaped() {
    let app = spawn_app(search_archive()).await;
    let found = search(&app, "q=alert").await;
    let snippet = found["results"][0]["passages"][0]["snippet_html"]
        .as_str()
        .unwrap();
    assert!(snippet.contains("&lt;script&gt;"), "{snippet}");
    assert!(!snippet.contains("<script"), "{snippet}");
    let page = app.text("/cerca?q=alert").await;
    assert!(
        !page.contains("<script>alert"),
        "search page runs no stored script"
    );
}

#[tokio::test]
async fn bad_searches_get_readable_400s_never_500s() {
    let app = spawn_app(search_archive()).await;
    for (query, needle) in [
        ("q=piano&from=2009-13-45", "not a date"),
        ("q=piano&sort=sideways", "sort"),
        ("q=piano&page=0", "page"),
        ("q=piano&kind=video", "kind"),
        ("q=piano&to=", "to is empty"),
        ("q=piano&per_page=101", "per_page"),
        ("q=piano&page=1000001", "page"),
    ] {
        let r = app.get(&format!("/api/v1/search?{query}")).await;
        assert_eq!(r.status(), 400, "{query}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let body = r.text().await.unwrap();
        assert!(body.contains(needle), "{query}: {body}");
    }
    // A body that does not exist is a resource that is not there.
    let r = app.get("/api/v1/search?q=piano&body=nessuno").await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert!(r.text().await.unwrap().contains("no body"));
    // A query string the API cannot read is a problem document too.
    let r = app.get("/api/v1/search?q=piano&page=1&page=2").await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let many = vec!["x"; 200].join("+");
    let r = app.get(&format!("/api/v1/search?q={many}")).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("at most 32"));
    let long = "a".repeat(600);
    assert_eq!(
        app.get(&format!("/api/v1/search?q={long}")).await.status(),
        400
    );
    // The page says it in the reader's language, the API in English.
    let page = app.get("/cerca?q=piano&from=ieri").await;
    assert_eq!(page.status(), 400);
    assert!(page.text().await.unwrap().contains("«ieri» non è una data"));
    let page = app.get("/cerca?q=piano&from=ieri&lang=en").await;
    assert_eq!(page.status(), 400);
    assert!(page.text().await.unwrap().contains("“ieri” is not a date"));
    let many = vec!["parola"; 40].join(" ");
    let page = app
        .get(&format!("/cerca?q={}", urlencoding::encode(&many)))
        .await;
    assert_eq!(page.status(), 400);
    let text = page.text().await.unwrap();
    assert!(text.contains("40 parole o frasi"), "{text}");
    let api = app.get("/api/v1/search?q=piano&sort=caso").await;
    assert_eq!(api.status(), 400);
    assert!(api
        .text()
        .await
        .unwrap()
        .contains(r#"sort=\"caso\" is unknown"#));
}

/// Only common words: nothing is looked for, and the API and the page say so and what to
/// type instead; quoted, they are a phrase and are searched.
#[tokio::test]
async fn only_common_words_are_explained_not_searched() {
    let app = spawn_app(search_archive()).await;
    let found = app.json("/api/v1/search?q=perch%C3%A9+della").await;
    assert_eq!(found["results"], serde_json::json!([]));
    assert!(
        found["note"]
            .as_str()
            .unwrap_or_default()
            .contains("perché, della: only common words"),
        "{found}"
    );
    assert_eq!(
        app.json("/api/v1/search?q=piano").await["note"],
        serde_json::Value::Null
    );
    let r = app.get("/cerca?q=perch%C3%A9+della").await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("sono solo parole comuni"), "{page}");
    assert!(page.contains("tra virgolette"), "{page}");
    assert_eq!(
        app.get("/api/v1/search?q=%22della%22").await.status(),
        200,
        "a quoted phrase of common words is searched"
    );
}

/// Syntax a citizen did not mean is read leniently, never refused.
#[tokio::test]
async fn query_syntax_nobody_meant_is_read_leniently() {
    let app = spawn_app(search_archive()).await;
    for q in [
        "title:foo (a",
        "\"unterminated",
        "a* b? ~c ^2",
        "OR",
        "-",
        "%22%22",
    ] {
        let r = app
            .get(&format!("/api/v1/search?q={}", urlencoding::encode(q)))
            .await;
        assert_eq!(r.status(), 200, "{q}");
    }
}

#[tokio::test]
async fn reindex_rebuilds_while_search_keeps_answering() {
    let data_dir = scratch("reindex").join("data");
    build_archive(data_dir.clone()).await;
    let app = spawn_app(&data_dir).await;
    assert_eq!(titles(&app, "fornace").await, vec![A]);
    let generation = || std::fs::read_to_string(app.index_dir.join("current")).unwrap_or_default();
    assert_eq!(generation(), "");
    // The command rebuilds the data directory's own index (no server holds it)...
    let out = crate::helpers::aula(&data_dir)
        .arg("reindex")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.contains("rebuilt: 3 sessions"),
        "{stderr}"
    );
    let own = std::fs::read_to_string(data_dir.join("index/current")).unwrap();
    assert_eq!(own.trim(), "2");
    // ...and the running server, which keeps its own, rebuilds it in the background and
    // swaps it in, answering searches throughout.
    eventually(
        "the server rebuilds its index",
        Duration::from_secs(5),
        || async {
            assert_eq!(titles(&app, "fornace").await, vec![A]);
            let generation = generation();
            match generation.trim() == "2" {
                true => Ok(()),
                false => Err(generation),
            }
        },
    )
    .await;
    assert_eq!(titles(&app, "fornace").await, vec![A]);
}

#[tokio::test]
async fn agenda_times_set_through_the_admin_api_reach_search() {
    let data_dir = scratch("admin-times").join("data");
    build_archive(data_dir.clone()).await;
    let token = crate::helpers::admin_token(&data_dir);
    let app = spawn_app(&data_dir).await;
    let c = id_of(&app, C).await;
    let url = app.url(&format!("/api/v1/admin/sessions/{c}/agenda/1/start"));
    let put = |auth: Option<String>, body: &str| {
        let mut r = app
            .client
            .put(&url)
            .header("Content-Type", "application/json")
            .body(body.to_string());
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        r.send()
    };
    let bearer = Some(format!("Bearer {token}"));
    for (auth, body, expected) in [
        (None, r#"{"start_seconds": 42}"#, 401),
        (
            Some("Bearer aula_wrong".into()),
            r#"{"start_seconds": 42}"#,
            401,
        ),
        (bearer.clone(), r#"{"start_seconds": -5}"#, 400),
        (bearer.clone(), "not json", 400),
    ] {
        let anonymous = auth.is_none();
        let r = put(auth, body).await.unwrap();
        assert_eq!(r.status(), expected, "{body}");
        if anonymous {
            let challenge = r.headers()["www-authenticate"].to_str().unwrap();
            assert!(challenge.starts_with("Bearer"), "{challenge}");
        }
    }
    let (status, _) = app
        .admin(&token)
        .put(
            &format!("/api/v1/admin/sessions/{c}/agenda/99/start"),
            serde_json::json!({"start_seconds": 1}),
        )
        .await;
    assert_eq!(status, 404);
    // Nothing was changed by the refused calls.
    let detail = app.json(&format!("/api/v1/sessions/{c}")).await;
    assert!(detail["agenda"][0]["start_ms"].is_null());

    let r = put(bearer, r#"{"start_seconds": 42}"#).await.unwrap();
    assert_eq!(r.status(), 200);
    let detail = app.json(&format!("/api/v1/sessions/{c}")).await;
    assert_eq!(detail["agenda"][0]["start_ms"], 42_000);
    // The search index follows: the item's hit now opens the session at 42 s.
    let found = eventually(
        "the agenda item's hit opens the session at 42 s",
        Duration::from_secs(5),
        || async {
            let found = search(&app, "q=mobilita&kind=agenda_item").await;
            match found["results"][0]["passages"][0]["start_seconds"] == 42 {
                true => Ok(found),
                false => Err(found),
            }
        },
    )
    .await;
    assert_eq!(
        found["results"][0]["passages"][0]["start_seconds"], 42,
        "{found}"
    );
    assert!(found["results"][0]["jump_url"]
        .as_str()
        .unwrap()
        .ends_with("?t=42"));
}

/// The entries of an Atom feed (checked well-formed first), each as its XML text.
fn feed_entries(xml: &str) -> Vec<String> {
    well_formed(xml);
    xml.split("<entry>")
        .skip(1)
        .map(|e| e.split("</entry>").next().unwrap().to_string())
        .collect()
}

/// What sits between `<name>` and `</name>` in `xml`.
fn element<'a>(xml: &'a str, name: &str) -> &'a str {
    let open = xml
        .find(&format!("<{name}"))
        .unwrap_or_else(|| panic!("no {name}: {xml}"));
    let start = open + xml[open..].find('>').unwrap() + 1;
    &xml[start..start + xml[start..].find(&format!("</{name}>")).unwrap()]
}

#[tokio::test]
async fn a_search_is_followed_as_a_feed_newest_first_opening_at_its_second() {
    let app = spawn_app(search_archive()).await;
    let response = app.get("/cerca/feed.atom?q=piano").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let feed = response.text().await.unwrap();
    let entries = feed_entries(&feed);
    let titles: Vec<&str> = entries.iter().map(|e| element(e, "title")).collect();
    // The newest session first, as /api/v1/search?sort=newest gives them.
    assert_eq!(titles, [C, B, A], "{feed}");
    assert!(element(&feed, "title").contains("«piano»"), "{feed}");
    assert!(
        feed.contains("/cerca/feed.atom?q=piano\"/>"),
        "self link: {feed}"
    );

    // Each entry opens its session at the second of its best timed passage, and shows
    // that passage with the words searched for marked (HTML, escaped in the XML).
    let api = search(&app, "q=fornace").await;
    let jump = api["results"][0]["jump_url"].as_str().unwrap();
    let entries = feed_entries(&app.text("/cerca/feed.atom?q=fornace").await);
    assert_eq!(entries.len(), 1);
    let href = entries[0]
        .split("rel=\"alternate\" type=\"text/html\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert!(
        href.starts_with("http://") && href.ends_with(jump),
        "{href} vs {jump}"
    );
    assert!(jump.contains("?t="), "{jump}");
    let summary = element(&entries[0], "summary");
    assert!(
        summary
            .to_lowercase()
            .contains("&lt;mark&gt;fornace&lt;/mark&gt;"),
        "{summary}"
    );

    // The page's filters hold in the feed, and the page announces its feed.
    let filtered = app
        .text("/cerca/feed.atom?q=piano&body=commissione-urbanistica")
        .await;
    assert_eq!(feed_entries(&filtered).len(), 2, "{filtered}");
    let page = app.text("/cerca?q=piano&sort=oldest").await;
    assert!(page.contains(
        "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Ricerca «piano» (Atom)\" href=\"/cerca/feed.atom?q=piano\">"
    ), "{page}");
    assert!(page.contains("<a href=\"/cerca/feed.atom?q=piano\" type=\"application/atom+xml\">"));
    assert!(!app.text("/cerca").await.contains("/cerca/feed.atom"));

    // A feed of nothing, or of a search the page would refuse, is a 400 that says why, in
    // the reader's language (Italian unless asked otherwise).
    for (query, needle) in [
        ("", "aggiungile come q"),
        ("?q=piano&from=2009-13-45", "2009-13-45"),
    ] {
        let response = app.get(&format!("/cerca/feed.atom{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        let why = response.text().await.unwrap();
        assert!(why.contains(needle), "{query}: {why}");
    }
}

/// The server keeps the list of bodies for a moment (it is needed by every search); a body
/// another process adds meanwhile (the CLI, an import) is found at once all the same.
#[tokio::test]
async fn a_body_added_by_another_process_is_searched_at_once() {
    let data_dir = scratch("new-body").join("data");
    build_archive(data_dir.clone()).await;
    let app = spawn_app(&data_dir).await;
    assert_eq!(
        search(&app, "q=piano").await["total"],
        3,
        "the list is read"
    );
    let other = Archive::open(Config {
        database_url: crate::helpers::database_url(&data_dir),
        data_dir: data_dir.clone(),
        ..Config::default()
    })
    .await
    .unwrap();
    other
        .catalog
        .create_session(
            &NewSession {
                body: &BodyName::parse("Giunta comunale").unwrap(),
                date: SessionDate::parse("2016-02-03").unwrap(),
                title: &SessionTitle::parse("Piano delle opere pubbliche").unwrap(),
                kind: "ordinary",
                number: None,
            },
            &[],
            "{}",
        )
        .await
        .unwrap();
    // Within the server's keeping time: the body is asked of the catalog, not refused.
    let r = app.get("/api/v1/search?q=piano&body=giunta-comunale").await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    eventually(
        "the new body's session is found by its body",
        Duration::from_secs(10),
        || async {
            let found = search(&app, "q=piano&body=giunta-comunale").await;
            match found["total"] == 1 {
                true => Ok(found),
                false => Err(found),
            }
        },
    )
    .await;
    let all = search(&app, "q=piano").await;
    let slugs: Vec<&str> = all["facets"]["bodies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["slug"].as_str().unwrap())
        .collect();
    assert!(slugs.contains(&"giunta-comunale"), "{all}");
}
