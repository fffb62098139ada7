//! The admin API and pages, and the open data: bodies and sessions edited through the API,
//! uploads streamed with a size limit, a range withheld from the public media as a new
//! version (probed), withholding and publication windows, feeds, sitemap, robots, CSV
//! export, transcript downloads and the OpenAPI document.

use aula::domain::{JobState, SessionState};
use std::path::Path;

use aula::catalog::{CatalogError, Cuts, NewMediaVersion, WithheldRange};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    admin_token, aula, ffprobe_duration, files_under, flv_archive, make_flv_lasting, node_script,
    run_job, run_refused, scratch, spawn_app, spawn_app_with, test_config, well_formed, Admin,
    TestApp,
};

/// An upload sent in chunks, with no Content-Length: only counting can stop it. Returns
/// the status the server answered.
async fn chunked_upload(app: &TestApp, path: &str, token: &str, total: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![7u8; 64 * 1024];
    let mut sent = 0;
    // The server may answer and stop reading before all of it is sent.
    while sent < total {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if stream.write_all(&frame).await.is_err() {
            break;
        }
        sent += chunk.len();
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {answer:?}"))
}

/// What the steps of the editors' story share: the server, an editor's client, and the
/// session being built.
struct Desk<'a> {
    app: &'a TestApp,
    admin: Admin<'a>,
    token: &'a str,
    data_dir: &'a Path,
    id: i64,
    /// `/api/v1/admin/sessions/ID`
    session: String,
}

impl Desk<'_> {
    /// Every file kept under the data directory's `dir`.
    fn kept(&self, dir: &str) -> Vec<std::path::PathBuf> {
        files_under(&self.data_dir.join(dir))
    }

    /// Where the session's recordings are uploaded.
    fn recordings(&self) -> String {
        format!("{}/recordings?name=seduta%202009.flv", self.session)
    }
}

#[tokio::test]
async fn editors_build_a_session_upload_it_and_withhold_a_range() {
    let root = scratch("admin-api");
    let data_dir = root.join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let token = admin_token(&data_dir);
    let app = spawn_app_with(&data_dir, |c| c.upload_limit = 2_000_000).await;
    let admin = app.admin(&token);
    refused_without_a_token(&app).await;
    bodies_are_created_once(&admin).await;
    let id = a_session_announced_and_edited(&admin).await;
    let desk = Desk {
        app: &app,
        admin,
        token: &token,
        data_dir: &data_dir,
        id,
        session: format!("/api/v1/admin/sessions/{id}"),
    };
    uploads_refused_keep_nothing(&desk).await;
    let source = root.join("seduta.flv");
    let first_mp4 = a_recording_is_published(&desk, &source).await;
    let transcript_doc = agenda_and_transcript_added(&desk).await;
    let public = a_range_withheld(&desk, &first_mp4, &transcript_doc).await;
    let mp4 = the_cut_version_published(&desk, &public, &first_mp4, &source).await;
    public_times_follow_the_cut(&desk, &public).await;
    withheld_and_published_again(&desk, &mp4).await;
    a_publication_window_not_yet_open(&desk, &mp4).await;
    reprocess_and_retry(&desk).await;
    bodies_count_public_sessions(&desk).await;
    a_window_that_closes_by_itself(&desk).await;
}

async fn refused_without_a_token(app: &TestApp) {
    // Without a token, or with a wrong one: 401, nothing created.
    let new_body = json!({"name": "Commissione Urbanistica"});
    let (status, _) = app
        .anonymous_admin()
        .post("/api/v1/admin/bodies", new_body.clone())
        .await;
    assert_eq!(status, 401);
    let (status, _) = app
        .admin("aula_wrong")
        .post("/api/v1/admin/bodies", new_body.clone())
        .await;
    assert_eq!(status, 401);
    assert_eq!(app.json("/api/v1/bodies").await["bodies"], json!([]));
}

async fn bodies_are_created_once(admin: &Admin<'_>) {
    let new_body = json!({"name": "Commissione Urbanistica"});
    // Bodies: created once; the same name in other case and accents is taken.
    let (status, body) = admin.post("/api/v1/admin/bodies", new_body).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["slug"], "commissione-urbanistica");
    assert_eq!(body["kind"], "committee");
    let (status, _) = admin
        .post(
            "/api/v1/admin/bodies",
            json!({"name": "commissione URBANÌSTICA"}),
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = admin
        .post(
            "/api/v1/admin/bodies",
            json!({"name": "Giunta", "kind": "cabal"}),
        )
        .await;
    assert_eq!(status, 400);
}

/// Returns the new session's id.
async fn a_session_announced_and_edited(admin: &Admin<'_>) -> i64 {
    // A session announced before its recording, then edited.
    let (status, s) = admin.post("/api/v1/admin/sessions", json!({
        "body": "commissione-urbanistica", "date": "2009-03-12", "title": "Variante al piano regolatore"
    })).await;
    assert_eq!(status, 201, "{s}");
    assert_eq!(s["state"], "pending");
    let id = s["id"].as_i64().unwrap();
    let (status, s) = admin
        .patch_session(
            id,
            json!({"title": "Variante generale al PRG", "number": 7}),
        )
        .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(
        (s["title"].as_str(), s["number"].as_i64()),
        (Some("Variante generale al PRG"), Some(7))
    );
    for bad in [
        json!({"date": "12/03/2009"}),
        json!({"colour": "red"}),
        json!({"publish_from": "domani"}),
    ] {
        let (status, problem) = admin.patch_session(id, bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {problem}");
        assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    // Well formed, but naming a body that does not exist: 422, saying what to do.
    let (status, problem) = admin.patch_session(id, json!({"body": "Nessuno"})).await;
    assert_eq!(status, 422, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("create it first"),
        "{problem}"
    );

    id
}

async fn uploads_refused_keep_nothing(desk: &Desk<'_>) {
    let Desk { app, admin, .. } = desk;
    // Uploads: over the limit refused with nothing kept; something ffprobe cannot read
    // refused with nothing kept.
    let recordings = desk.recordings();
    let (status, _) = admin.upload(&recordings, vec![7u8; 2_500_000]).await;
    assert_eq!(status, 413, "refused by its Content-Length");
    let status = chunked_upload(app, &recordings, desk.token, 3_000_000).await;
    assert_eq!(status, 413, "refused while counting");
    let (status, p) = admin
        .upload(&recordings, b"not a video at all".repeat(1000))
        .await;
    assert_eq!(status, 422, "{p}");
    assert!(
        desk.kept("originals").is_empty(),
        "{:?}",
        desk.kept("originals")
    );
    assert!(
        desk.kept("staging").is_empty(),
        "{:?}",
        desk.kept("staging")
    );
}

/// Returns the public MP4 of the first version.
async fn a_recording_is_published(desk: &Desk<'_>, source: &Path) -> String {
    let Desk {
        app,
        admin,
        data_dir,
        ..
    } = desk;
    let id = desk.id;
    // A real recording: 8 s of picture and tone.
    make_flv_lasting(source, 8);
    let recordings = desk.recordings();
    let (status, up) = admin
        .upload(&recordings, std::fs::read(source).unwrap())
        .await;
    assert_eq!(status, 202, "{up}");
    assert_eq!(up["part"], 1);
    run_job(data_dir, up["job_id"].as_i64().unwrap()).await;
    let public = app.json(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(public["state"], "published");
    let first_mp4 = public["media"]["mp4"].as_str().unwrap().to_string();

    first_mp4
}

/// Returns the transcript document's public page.
async fn agenda_and_transcript_added(desk: &Desk<'_>) -> String {
    let Desk {
        app,
        admin,
        session,
        ..
    } = desk;
    // Agenda with times, and a transcript with a cue inside the range to withhold.
    let (status, agenda) = admin
        .put(
            &format!("{session}/agenda"),
            json!({"items": [
                {"number": "1", "title": "Apertura", "start_seconds": 0},
                {"number": "2", "title": "Punto a porte chiuse", "start_seconds": 3},
                {"number": "3", "title": "Variante", "start_seconds": 6}
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{agenda}");
    let srt = "1\n00:00:00,500 --> 00:00:01,500\nCONS. ROSSI: apriamo la seduta\n\n\
               2\n00:00:03,200 --> 00:00:04,000\nCONS. BIANCHI: dato personale riservato\n\n\
               3\n00:00:06,000 --> 00:00:07,000\nCONS. ROSSI: passiamo alla variante\n";
    let (status, doc) = admin
        .upload(
            &format!("{session}/documents?kind=transcript&name=trascrizione.srt"),
            srt.into(),
        )
        .await;
    assert_eq!(status, 201, "{doc}");
    assert_eq!(doc["document"]["kind"], "transcript");
    let transcript_doc = format!("/documenti/{}", doc["document"]["id"]);
    assert_eq!(app.get(&transcript_doc).await.status(), 200);
    app.search_finds("riservato", 1).await;

    transcript_doc
}

/// Returns the session's public JSON once the cut version is published.
async fn a_range_withheld(desk: &Desk<'_>, first_mp4: &str, transcript_doc: &str) -> Value {
    let Desk {
        app,
        admin,
        data_dir,
        session,
        ..
    } = desk;
    let id = desk.id;
    // Withhold 2.5–5.5 s: a new version without it; the current one is hidden meanwhile.
    let (status, cut) = admin
        .put(
            &format!("{session}/withheld-ranges"),
            json!({"ranges": [
                {"from_seconds": 2.5, "to_seconds": 5.5, "reason": "dati personali (art. 10)"}
            ]}),
        )
        .await;
    assert_eq!(status, 202, "{cut}");
    // At once, before the new version exists: neither the uncut media, nor the words said
    // in the range (captions, transcript file, search), are public any more.
    assert_eq!(
        app.get(first_mp4).await.status(),
        404,
        "the uncut media must stop being served"
    );
    let vtt = app.text(&format!("/sedute/{id}/sottotitoli.vtt")).await;
    assert!(
        !vtt.contains("riservato") && vtt.contains("apriamo"),
        "{vtt}"
    );
    assert_eq!(app.get(transcript_doc).await.status(), 404);
    app.search_finds("riservato", 0).await;
    run_job(data_dir, cut["job_id"].as_i64().unwrap()).await;
    let public = app.json(&format!("/api/v1/sessions/{id}")).await;
    assert_eq!(public["state"], "published");
    public
}

/// Returns the cut version's public MP4.
async fn the_cut_version_published(
    desk: &Desk<'_>,
    public: &Value,
    first_mp4: &str,
    source: &Path,
) -> String {
    let data_dir = desk.data_dir;
    let mp4 = public["media"]["mp4"].as_str().unwrap();
    assert_ne!(mp4, first_mp4);
    let dir = mp4
        .trim_start_matches("/media/")
        .rsplit_once('/')
        .unwrap()
        .0;
    let cut_duration = ffprobe_duration(
        data_dir
            .join("media")
            .join(dir)
            .join("download.mp4")
            .to_str()
            .unwrap(),
    );
    assert!(
        (cut_duration - 5.0).abs() < 0.5,
        "the cut version lasts {cut_duration} s, not 5"
    );
    let hls = ffprobe_duration(
        data_dir
            .join("media")
            .join(dir)
            .join("master.m3u8")
            .to_str()
            .unwrap(),
    );
    assert!((hls - 5.0).abs() < 0.5, "HLS lasts {hls} s");
    // The original is untouched: same bytes as uploaded.
    let recording = std::fs::read(source).unwrap();
    let originals = desk.kept("originals");
    assert_eq!(
        originals.len(),
        2,
        "the recording and the transcript: {originals:?}"
    );
    assert!(originals
        .iter()
        .any(|f| std::fs::read(f).unwrap() == recording));
    mp4.to_string()
}

async fn public_times_follow_the_cut(desk: &Desk<'_>, public: &Value) {
    let Desk { app, admin, .. } = desk;
    let id = desk.id;
    // Public times follow the cut: the item inside it starts where the cut is, the later
    // one 3 s earlier; the cue inside it is gone, the later one moved.
    let starts: Vec<Value> = public["agenda"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["start_ms"].clone())
        .collect();
    assert_eq!(starts, vec![json!(0), json!(2500), json!(3000)]);
    let vtt = app.text(&format!("/sedute/{id}/trascrizione.vtt")).await;
    assert!(!vtt.contains("riservato"), "{vtt}");
    assert!(
        vtt.contains("00:00:03.000 --> 00:00:04.000") && vtt.contains("variante"),
        "{vtt}"
    );
    let srt_out = app.get(&format!("/sedute/{id}/trascrizione.srt")).await;
    assert_eq!(srt_out.status(), 200);
    assert!(srt_out.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert!(srt_out
        .text()
        .await
        .unwrap()
        .contains("00:00:00,500 --> 00:00:01,500"));
    let (_, admin_view) = admin.patch_session(id, json!({})).await;
    assert_eq!(
        admin_view["withheld_ranges"][0]["reason"],
        "dati personali (art. 10)"
    );
}

async fn withheld_and_published_again(desk: &Desk<'_>, mp4: &str) {
    let Desk {
        app,
        admin,
        session,
        ..
    } = desk;
    let id = desk.id;
    // Withheld: gone from every public place; published again: back.
    let (status, s) = admin
        .post(
            &format!("{session}/withhold"),
            json!({"reason": "ricorso in corso"}),
        )
        .await;
    assert_eq!((status, s["state"].as_str()), (200, Some("withheld")));
    for path in [
        format!("/api/v1/sessions/{id}"),
        format!("/sedute/{id}"),
        mp4.to_string(),
        format!("/sedute/{id}/trascrizione.vtt"),
    ] {
        assert_eq!(app.get(&path).await.status(), 404, "{path}");
    }
    assert_eq!(app.json("/api/v1/sessions").await["total"], 0);
    let (status, s) = admin
        .call(Method::POST, &format!("{session}/publish"), None)
        .await;
    assert_eq!((status, s["state"].as_str()), (200, Some("published")));
    assert_eq!(app.get(mp4).await.status(), 200);
}

async fn a_publication_window_not_yet_open(desk: &Desk<'_>, mp4: &str) {
    let Desk { app, admin, .. } = desk;
    let id = desk.id;
    // A publication window that has not opened yet hides it; clearing it shows it again.
    let (status, s) = admin
        .patch_session(id, json!({"publish_from": "2999-01-01T00:00:00Z"}))
        .await;
    assert_eq!(
        (status, s["state"].as_str()),
        (200, Some("withheld")),
        "{s}"
    );
    assert_eq!(s["publish_from"], "2999-01-01T00:00:00+00:00");
    assert_eq!(app.get(&format!("/sedute/{id}")).await.status(), 404);
    assert_eq!(app.get(mp4).await.status(), 404);
    let (_, s) = admin.patch_session(id, json!({"publish_from": null})).await;
    assert_eq!(s["state"], "published");
}

async fn reprocess_and_retry(desk: &Desk<'_>) {
    let Desk { admin, session, .. } = desk;
    // Reprocess queues a job; only failed jobs are retried.
    let (status, r) = admin
        .call(Method::POST, &format!("{session}/reprocess"), None)
        .await;
    assert_eq!(status, 202, "{r}");
    let job = r["job_id"].as_i64().unwrap();
    let (status, jobs) = admin.get("/api/v1/admin/jobs?state=queued").await;
    assert_eq!(status, 200);
    assert!(jobs["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|j| j["id"] == job));
    let (status, _) = admin
        .call(
            Method::POST,
            &format!("/api/v1/admin/jobs/{job}/retry"),
            None,
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = admin.get("/api/v1/admin/jobs?state=lost").await;
    assert_eq!(status, 400);
}

async fn bodies_count_public_sessions(desk: &Desk<'_>) {
    let Desk { app, admin, .. } = desk;
    // The bodies list counts public sessions; unknown ids are 404 problems.
    let bodies = app.json("/api/v1/bodies").await;
    assert_eq!(bodies["bodies"][0]["sessions"], 1);
    let (status, _) = admin
        .call(Method::POST, "/api/v1/admin/sessions/999/publish", None)
        .await;
    assert_eq!(status, 404);
}

async fn a_window_that_closes_by_itself(desk: &Desk<'_>) {
    let Desk { app, admin, .. } = desk;
    let id = desk.id;
    // A window that closes by itself: nothing is written then, yet search drops it.
    app.search_finds("variante", 1).await;
    let until = chrono::Utc::now() + chrono::Duration::seconds(2);
    let (status, s) = admin
        .patch_session(id, json!({"publish_until": until.to_rfc3339()}))
        .await;
    assert_eq!(
        (status, s["state"].as_str()),
        (200, Some("published")),
        "{s}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(app.get(&format!("/sedute/{id}")).await.status(), 404);
    app.search_finds("variante", 0).await;
}

#[tokio::test]
async fn open_data_feeds_sitemap_csv_and_openapi() {
    let archive = flv_archive();
    let app = spawn_app(&archive.data_dir).await;

    // Feeds, sitemap and robots: well-formed, and naming the session.
    let session = &app.json("/api/v1/sessions").await["sessions"][0];
    let page = session["page_url"].as_str().unwrap();
    let slug = session["body"]["slug"].as_str().unwrap();
    for path in [
        "/feed.atom".to_string(),
        format!("/organi/{slug}/feed.atom"),
    ] {
        let r = app.get(&path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml"));
        let xml = r.text().await.unwrap();
        well_formed(&xml);
        assert!(xml.contains(page) && xml.contains(archive.title), "{xml}");
    }
    assert_eq!(app.get("/organi/nessuno/feed.atom").await.status(), 404);
    let sitemap = app.text("/sitemap.xml").await;
    well_formed(&sitemap);
    assert!(
        sitemap.contains("<video:content_loc>") && sitemap.contains(page),
        "{sitemap}"
    );
    let robots = app.text("/robots.txt").await;
    assert!(
        robots.contains("Sitemap: http://127.0.0.1:")
            && robots.contains("Disallow: /api/v1/admin/"),
        "{robots}"
    );

    // CSV export: a header and the session, read back by a CSV reader.
    let csv_text = app.text("/api/v1/sessions.csv").await;
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    assert_eq!(reader.headers().unwrap().get(4), Some("title"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(
        rows.iter().any(|r| r.get(4) == Some(archive.title)),
        "{csv_text}"
    );

    // The OpenAPI document served is valid (checked by swagger-parser in node).
    let doc = app.text("/api/v1/openapi.json").await;
    let file = scratch("openapi").join("openapi.json");
    std::fs::write(&file, doc).unwrap();
    node_script("openapi.mjs", vec![file.display().to_string()], Vec::new()).await;
}

#[tokio::test]
async fn admin_pages_sign_in_and_show_the_import_report() {
    let archive = flv_archive();
    let token = admin_token(&archive.data_dir);
    let app = spawn_app(&archive.data_dir).await;
    // A refused import leaves its report for the admin pages.
    let csv_file = scratch("admin-import").join("catalogo.csv");
    std::fs::write(
        &csv_file,
        "old_url;date;body;title;recordings\n/vecchio?id=1;31/02/2011;Giunta;Seduta;manca.flv\n",
    )
    .unwrap();
    run_refused(aula(&archive.data_dir).arg("import").arg(&csv_file));
    let (status, report) = app.admin(&token).get("/api/v1/admin/import-report").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["problems"][0]["line"], 2, "{report}");
    assert_eq!(report["imported"], 0);

    // Admin pages: the sign-in form; a wrong token refused; a right one kept in a cookie
    // that opens the job list, the import report and the unmapped addresses.
    assert_eq!(app.get("/admin/lavori").await.status(), 401);
    let form = app.text("/admin").await;
    assert!(form.contains("name=\"token\""));
    let sign_in = |t: &str| {
        app.client
            .post(app.url("/admin/accedi"))
            .form(&[("token", t)])
            .send()
    };
    assert_eq!(sign_in("aula_wrong").await.unwrap().status(), 401);
    let r = sign_in(&token).await.unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let cookie = cookie.split(';').next().unwrap().to_string();
    let page = |path: &'static str| {
        app.client
            .get(app.url(path))
            .header("Cookie", cookie.clone())
            .send()
    };
    let jobs = page("/admin/lavori").await.unwrap();
    assert_eq!(jobs.status(), 200);
    assert!(jobs.text().await.unwrap().contains("completato"));
    let import = page("/admin/importazione")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(import.contains("riga 2: unknown date format"), "{import}");
    assert_eq!(page("/admin/indirizzi").await.unwrap().status(), 200);
}

#[tokio::test]
async fn media_made_without_the_latest_withheld_ranges_never_become_public() {
    let data_dir = scratch("admin-superseded").join("data");
    let archive = aula::Archive::open(test_config(&data_dir)).await.unwrap();
    let catalog = &archive.catalog;
    let id = session_with_a_published_version(catalog).await;

    // Ranges set while a job was making version 2 without them: it is refused.
    let range = WithheldRange {
        start_ms: 10_000,
        end_ms: 20_000,
        reason: None,
    };
    catalog
        .set_withheld_ranges(id, std::slice::from_ref(&range))
        .await
        .unwrap();
    let refused = catalog.publish_media(id, &version(2, None), &[]).await;
    assert!(
        matches!(refused, Err(CatalogError::Superseded)),
        "{refused:?}"
    );
    assert_eq!(
        catalog.session(id).await.unwrap().unwrap().state,
        SessionState::Processing
    );

    // Withheld by an editor, then its job fails: it stays withheld, not "failed" (public).
    catalog.set_withheld(id, Some("ricorso")).await.unwrap();
    catalog
        .set_session_failed(id, "ffmpeg failed")
        .await
        .unwrap();
    assert_eq!(
        catalog.session(id).await.unwrap().unwrap().state,
        SessionState::Withheld
    );
    // Published again with no version lacking the range: not served (failed, with why).
    let jobs = catalog.jobs(Some(JobState::Queued), 10).await.unwrap();
    for job in jobs {
        assert!(catalog.claim_job(job.id, "t", 60).await.unwrap());
        assert!(catalog
            .finish_job(job.id, "t", Some("ffmpeg failed"))
            .await
            .unwrap());
    }
    catalog.set_withheld(id, None).await.unwrap();
    let row = catalog.session(id).await.unwrap().unwrap();
    assert_eq!(row.state, SessionState::Failed, "{row:?}");
    assert!(!catalog.is_public_media_dir("x/1").await.unwrap());

    // The version made without the range is accepted and served.
    let cuts = Cuts::new(vec![(10_000, 20_000)]).to_json();
    let cuts: &'static str = Box::leak(cuts.into_boxed_str());
    catalog.set_withheld_ranges(id, &[range]).await.unwrap();
    catalog
        .publish_media(id, &version(2, Some(cuts)), &[])
        .await
        .unwrap();
    assert_eq!(
        catalog.session(id).await.unwrap().unwrap().state,
        SessionState::Published
    );
    assert!(catalog.is_public_media_dir("x/2").await.unwrap());
}

/// One session of a new body with a recording and a published version 1, made before any
/// range was withheld; its id.
async fn session_with_a_published_version(catalog: &aula::catalog::Catalog) -> i64 {
    let body = catalog
        .create_body(&aula::catalog::BodyName::parse("Giunta").unwrap(), None)
        .await
        .unwrap();
    let aula::catalog::BodyChange::Done(body) = body else {
        panic!("no body")
    };
    let id = catalog
        .create_pending_session(
            body.id,
            "2010-01-01",
            "Seduta",
            "ordinary",
            None,
            (None, None),
        )
        .await
        .unwrap();
    let recording = aula::catalog::NewRecording {
        sha256: &"a".repeat(64),
        original_name: "a.flv",
        size_bytes: 1,
        stored_path: "originals/a.flv",
        duration_ms: Some(60_000),
        probe_json: "{}",
    };
    catalog.add_recording_part(id, &recording).await.unwrap();
    catalog
        .publish_media(id, &version(1, None), &[])
        .await
        .unwrap();
    id
}

/// Media version `n` (1 or 2) of a minute, made with `cuts` (as JSON).
fn version(n: i64, cuts: Option<&'static str>) -> NewMediaVersion<'static> {
    NewMediaVersion {
        version: n,
        dir: if n == 1 { "x/1" } else { "x/2" },
        profile: "test",
        master_playlist: "master.m3u8",
        mp4_file: None,
        audio_playlist: None,
        audio_file: None,
        poster_file: None,
        thumbnails_vtt: None,
        duration_ms: 60_000,
        warnings: None,
        cuts,
        job: None,
        transcribe: false,
    }
}
