//! Operations: `/healthz`, `/readyz` (and what makes it fail) and `/metrics` counting
//! what the server did.

use crate::helpers::{
    eventually, files_under, flv_archive, scratch, spawn_app, spawn_app_with, Ingest,
};
use aula::domain::JobState;

/// The value of one metric line (`name{labels} value`), if present.
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let archive = flv_archive();
    let app = spawn_app(&archive.data_dir).await;

    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200);
    let ready = app.json("/readyz").await;
    assert_eq!(ready["status"], "ready", "{ready}");
    for check in ["database", "ffmpeg", "storage", "search_index"] {
        assert_eq!(ready["checks"][check], "ok", "{ready}");
    }

    // Some traffic, then the counters that must have moved.
    let before = app.text("/metrics").await;
    let sessions = app.json("/api/v1/sessions").await;
    let mp4 = sessions["sessions"][0]["media"]["mp4"]
        .as_str()
        .unwrap()
        .to_string();
    let body = app.get(&mp4).await.bytes().await.unwrap();
    assert_eq!(app.get("/non/esiste").await.status(), 404);
    assert_eq!(app.search("bilancio").await["total"], 1);
    let after = app.text("/metrics").await;

    let sessions_series = "aula_http_requests_total{route=\"/api/v1/sessions\",status=\"200\"}";
    assert_eq!(
        metric(&after, sessions_series).unwrap() - metric(&before, sessions_series).unwrap_or(0.0),
        1.0,
        "{after}"
    );
    assert!(
        metric(
            &after,
            "aula_http_requests_total{route=\"/media/{path:.*}\",status=\"200\"}"
        )
        .is_some(),
        "{after}"
    );
    assert!(
        metric(
            &after,
            "aula_http_requests_total{route=\"unmatched\",status=\"404\"}"
        )
        .is_some(),
        "{after}"
    );
    let sent = metric(&after, "aula_http_response_bytes_total").unwrap()
        - metric(&before, "aula_http_response_bytes_total").unwrap();
    assert!(
        sent >= body.len() as f64,
        "{sent} bytes counted, the MP4 alone is {}",
        body.len()
    );
    assert!(metric(&after, "aula_search_duration_seconds_count").unwrap() >= 1.0);
    assert!(metric(&after, "aula_search_duration_seconds_bucket{le=\"+Inf\"}").unwrap() >= 1.0);
    assert_eq!(
        metric(&after, "aula_jobs{state=\"done\"}"),
        Some(1.0),
        "{after}"
    );
    assert_eq!(metric(&after, "aula_jobs{state=\"queued\"}"), Some(0.0));
    assert!(metric(&after, "aula_http_open_bodies").is_some());
    assert!(metric(&after, "aula_transcode_speed").is_some());
}

#[tokio::test]
async fn readiness_names_what_is_missing() {
    let data_dir = scratch("ops-not-ready").join("data");
    let app = spawn_app_with(&data_dir, |c| c.ffmpeg = "/nonexistent/ffmpeg".into()).await;
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), 503);
    let ready: serde_json::Value = r.json().await.unwrap();
    assert_eq!(ready["status"], "not ready");
    assert_eq!(
        ready["checks"]["ffmpeg"], "/nonexistent/ffmpeg not found",
        "{ready}"
    );
    assert_eq!(ready["checks"]["database"], "ok");
    // Alive all the same.
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn readiness_says_whether_speech_to_text_is_there_without_failing_for_it() {
    let data_dir = scratch("ops-no-speech").join("data");
    let app = spawn_app_with(&data_dir, |c| c.asr_model = "/nonexistent/model".into()).await;
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), 200, "ingest and serving go on without it");
    let ready: serde_json::Value = r.json().await.unwrap();
    let said = ready["features"]["speech_to_text"]
        .as_str()
        .unwrap_or_default();
    assert!(
        said.starts_with("unavailable") && said.contains("AULA_ASR_MODEL"),
        "{ready}"
    );
    let app = spawn_app(&data_dir).await;
    let ready: serde_json::Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["features"]["speech_to_text"], "ok", "{ready}");
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let app = spawn_app(&flv_archive().data_dir).await;
    let id = |r: &reqwest::Response| {
        r.headers()
            .get("x-request-id")
            .map(|v| v.to_str().unwrap().to_string())
    };
    let a = id(&app.get("/healthz").await).expect("an id");
    let b = id(&app.get("/healthz").await).expect("an id");
    assert_ne!(a, b);
    let send = |value: &'static str| {
        app.client
            .get(app.url("/healthz"))
            .header("X-Request-Id", value)
            .send()
    };
    // A proxy's id is kept; one that could forge log lines is replaced.
    assert_eq!(
        id(&send("edge-42.a").await.unwrap()).as_deref(),
        Some("edge-42.a")
    );
    let replaced = id(&send("x\" injected=1").await.unwrap()).unwrap();
    assert!(
        !replaced.contains('"') && !replaced.contains(' '),
        "{replaced}"
    );
}

#[test]
fn logs_are_json_lines_when_asked() {
    use std::io::{BufRead, BufReader};
    let archive = flv_archive();
    let index = scratch("ops-json-logs").join("index");
    let mut server = crate::helpers::aula(&archive.data_dir)
        .args(["serve", "--no-worker", "--listen", "127.0.0.1:0"])
        .env("AULA_INDEX_DIR", &index)
        .env("AULA_LOG", "info")
        .env("AULA_LOG_FORMAT", "json")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A fresh index catches up with the catalog at start, and says so.
    let stderr = server.stderr.take().unwrap();
    let line = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .find(|l| l.contains("caught up"));
    let _ = server.kill();
    let _ = server.wait();
    let line = line.expect("the catch-up line");
    let entry: serde_json::Value = serde_json::from_str(&line).expect("a JSON object per line");
    assert_eq!(entry["level"], "INFO", "{line}");
    assert!(entry["fields"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("caught up")));
}

/// SIGTERM: the server stops, and the transcode it was running goes back to the queue
/// at once (not after its lease expires), with the attempt not counted.
#[tokio::test]
async fn a_stopped_server_gives_its_running_job_back() {
    use std::io::{BufRead, BufReader};
    use std::time::Duration;
    let root = scratch("ops-graceful");
    let data_dir = root.join("data");
    let source = root.join("lunga.avi");
    crate::helpers::synthesize(
        &source,
        Some("720x576"),
        Some((440, 48000)),
        120,
        "-c:v mpeg4 -q:v 5 -c:a libmp3lame",
    );
    Ingest::new(&data_dir)
        .file(&source)
        .body("Consiglio comunale")
        .date("2011-05-02")
        .title("Seduta lunga")
        .no_wait()
        .assert_success();
    let catalog = crate::helpers::open_catalog(&data_dir).await;

    let mut server = crate::helpers::aula(&data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("serving the archive"), "{first}");
    // Mid-transcode: the job running and its ffmpeg at work with some output written.
    // Seen in /proc and on disk, not through a progress write, which comes only every
    // ten seconds (a fast machine finished this whole job between two of them once).
    eventually("the job starts", Duration::from_secs(60), || async {
        let job = catalog.jobs(None, 10).await.unwrap().remove(0);
        match job.state == JobState::Running
            && !crate::jobs::ffmpeg_children(server.id(), "-f hls").is_empty()
            && !files_under(&data_dir.join("staging")).is_empty()
        {
            true => Ok(()),
            false => Err(job),
        }
    })
    .await;

    // SAFETY: a plain signal to the child process this test started.
    unsafe { libc::kill(server.id() as i32, libc::SIGTERM) };
    let status = eventually("the server stops", Duration::from_secs(20), || {
        let exited = server.try_wait().unwrap();
        async move { exited.ok_or("still running") }
    })
    .await;
    assert!(status.success(), "{status:?}");
    let job = &catalog.jobs(None, 10).await.unwrap()[0];
    assert_eq!(job.state, JobState::Queued, "{job:?}");
    assert_eq!(job.lease_owner, None);
    assert_eq!(job.attempts, 0, "a stopped attempt does not count");
    assert!(
        files_under(&data_dir.join("media")).is_empty(),
        "nothing published"
    );
}

#[tokio::test]
async fn pages_and_media_carry_the_security_headers() {
    let app = spawn_app(&flv_archive().data_dir).await;
    for path in [
        "/",
        "/cerca?q=bilancio",
        "/api/v1/sessions",
        "/admin",
        "/non/esiste",
    ] {
        let r = app.get(path).await;
        let h = |name: &str| {
            r.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default()
        };
        let csp = h("content-security-policy");
        assert!(
            csp.contains("script-src 'self';") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(h("x-frame-options"), "DENY", "{path}");
        assert_eq!(h("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(
            h("referrer-policy"),
            "strict-origin-when-cross-origin",
            "{path}"
        );
        assert_eq!(h("strict-transport-security"), "", "{path}: not over TLS");
    }
    // Behind a TLS proxy that says so, HSTS is sent.
    let r = app
        .client
        .get(app.url("/"))
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .unwrap();
    assert!(r.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn guessing_admin_tokens_is_bounded() {
    let data_dir = scratch("ops-guessing").join("data");
    let token = crate::helpers::admin_token(&data_dir);
    let app = spawn_app(&data_dir).await;
    let jobs = |t: String| {
        app.client
            .get(app.url("/api/v1/admin/jobs"))
            .bearer_auth(t)
            .send()
    };
    assert_eq!(jobs(token.clone()).await.unwrap().status(), 200);
    for n in 0..10 {
        let r = jobs(format!("aula_guess{n}")).await.unwrap();
        assert_eq!(r.status(), 401, "guess {n}");
    }
    // The eleventh attempt waits, whatever the token, and says for how long.
    let r = jobs(format!("aula_guess{}", 11)).await.unwrap();
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(jobs(token).await.unwrap().status(), 429);
    // The sign-in page too.
    let r = app
        .client
        .post(app.url("/admin/accedi"))
        .form(&[("token", "aula_guess")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
}
