//! Beyond one process: the catalog engine the run asked for, and several `aula worker`
//! processes sharing one job queue (on PostgreSQL their claims use `FOR UPDATE SKIP
//! LOCKED`), one of them killed mid-job.

use aula::domain::{JobState, SessionState};
use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use aula::catalog::{Backend, Catalog};

use crate::helpers::{
    aula, eventually, files_under, make_flv_with_tone, open_catalog, scratch, Ingest,
};
use crate::jobs::{ffmpeg_children, Killed};

#[tokio::test]
async fn the_catalog_runs_on_the_engine_the_suite_asked_for() {
    let data_dir = scratch("engine").join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let catalog = open_catalog(&data_dir).await;
    catalog.ping().await.unwrap();
    if std::env::var("AULA_TEST_POSTGRES").is_ok() {
        assert_eq!(catalog.backend(), Backend::Postgres);
        assert!(
            !data_dir.join("aula.db").exists(),
            "no SQLite file beside it"
        );
    } else {
        assert_eq!(catalog.backend(), Backend::Sqlite);
        assert!(data_dir.join("aula.db").exists());
    }
}

#[tokio::test]
async fn three_workers_run_twelve_jobs_exactly_once_and_finish_a_killed_ones_job() {
    let root = scratch("three-workers");
    let data_dir = root.join("data");
    queue_twelve(&root, &data_dir);
    let catalog = open_catalog(&data_dir).await;
    assert_eq!(
        catalog
            .jobs(Some(JobState::Queued), 100)
            .await
            .unwrap()
            .len(),
        12
    );

    let worker = || {
        Killed(
            aula(&data_dir)
                .arg("worker")
                .env("AULA_TRANSCODES", "1")
                .env("AULA_JOB_LEASE_SECONDS", "3")
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        )
    };
    let workers = vec![worker(), worker(), worker()];
    let pids: Vec<u32> = workers.iter().map(|w| w.0.id()).collect();
    let owner_pid =
        |owner: &str| -> Option<u32> { owner.split(':').nth(1).and_then(|p| p.parse().ok()) };

    // Watch the queue: note every worker seen holding a job; kill the first worker as soon
    // as its ffmpeg is transcoding, and remember that job.
    // Shared with the check below, which runs once per poll.
    let holders = RefCell::new(BTreeSet::new());
    let killed_job = Cell::new(None);
    let workers = RefCell::new(workers);
    eventually("the queue drains", Duration::from_secs(240), || async {
        let jobs = catalog.jobs(None, 100).await.unwrap();
        for j in jobs.iter().filter(|j| j.state == JobState::Running) {
            if let Some(pid) = j.lease_owner.as_deref().and_then(owner_pid) {
                holders.borrow_mut().insert(pid);
                if killed_job.get().is_none()
                    && pid == pids[0]
                    && !ffmpeg_children(pid, "-f hls").is_empty()
                {
                    let first = &mut workers.borrow_mut()[0].0;
                    first.kill().unwrap(); // SIGKILL, mid-transcode
                    first.wait().unwrap();
                    killed_job.set(Some(j.id));
                }
            }
        }
        match jobs
            .iter()
            .all(|j| j.state == JobState::Done || j.state == JobState::Failed)
        {
            true => Ok(()),
            false => Err(jobs),
        }
    })
    .await;
    drop(workers);
    let (holders, killed_job) = (holders.into_inner(), killed_job.get());
    let killed_job = killed_job.expect("the first worker was caught transcoding");
    assert_eq!(holders.len(), 3, "all three workers took jobs: {holders:?}");

    each_ran_once_and_published_once(&catalog, &data_dir, killed_job).await;
}

/// Twelve FLV recordings of different tones ingested and queued, not run.
fn queue_twelve(root: &Path, data_dir: &Path) {
    for i in 0..12u32 {
        let source = root.join(format!("seduta-{i}.flv"));
        make_flv_with_tone(&source, 6, 300 + 40 * i);
        Ingest::new(data_dir)
            .file(&source)
            .body("Consiglio comunale")
            .date(&format!("2010-01-{:02}", i + 1))
            .title(&format!("Seduta {i}"))
            .no_wait()
            .assert_success();
    }
}

/// Each job ran to the end once: one attempt, except the killed one's, retaken once
/// after its lease expired; every session has exactly one published version.
async fn each_ran_once_and_published_once(catalog: &Catalog, data_dir: &Path, killed_job: i64) {
    let jobs = catalog.jobs(None, 100).await.unwrap();
    assert_eq!(jobs.len(), 12);
    for j in &jobs {
        assert_eq!(j.state, JobState::Done, "{j:?}");
        let expected = if j.id == killed_job { 2 } else { 1 };
        assert_eq!(j.attempts, expected, "{j:?}");
    }
    for id in catalog.all_session_ids().await.unwrap() {
        let s = catalog.session(id).await.unwrap().unwrap();
        assert_eq!(s.state, SessionState::Published, "{s:?}");
        assert_eq!(s.media_dir.as_deref(), Some(format!("{id}/1").as_str()));
        let versions = std::fs::read_dir(data_dir.join("media").join(id.to_string()))
            .unwrap()
            .count();
        assert_eq!(versions, 1, "session {id}");
    }
    assert!(files_under(&data_dir.join("staging")).is_empty());
}

/// A real `aula serve` process on a free port, with its own index directory.
struct Replica {
    process: Killed,
    base: String,
}

fn replica(data_dir: &Path, index_dir: &Path) -> Replica {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let process = Killed(
        aula(data_dir)
            .args(["serve", "--no-worker", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .env("AULA_INDEX_DIR", index_dir)
            .env("AULA_INDEX_POLL_MS", "200")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    Replica {
        process,
        base: format!("http://127.0.0.1:{port}"),
    }
}

/// Waits until `check` holds; returns how long that took (panics after 10 s).
async fn within<F, Fut>(what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    eventually(what, Duration::from_secs(10), || {
        let holds = check();
        async move {
            match holds.await {
                true => Ok(()),
                false => Err(false),
            }
        }
    })
    .await;
    started.elapsed()
}

#[tokio::test]
async fn two_replicas_on_one_catalog_agree() {
    let segment = crate::helpers::pattern(200_000);
    let data_dir = crate::helpers::published_files(
        "replicas",
        &[
            ("master.m3u8", b"#EXTM3U\n#EXT-X-VERSION:7\n".as_slice()),
            ("seg.m4s", &segment),
        ],
    )
    .await;
    let token = crate::helpers::admin_token(&data_dir);
    let root = data_dir.parent().unwrap();
    let a = replica(&data_dir, &root.join("index-a"));
    let b = replica(&data_dir, &root.join("index-b"));
    let client = reqwest::Client::new();
    both_ready(&client, [&a.base, &b.base]).await;
    let total = |base: &str, q: &str| {
        let request = client.get(format!("{base}/api/v1/search?q={q}")).send();
        async move {
            let body: serde_json::Value = request.await.unwrap().json().await.unwrap();
            body["total"].as_i64().unwrap()
        }
    };
    assert_eq!(total(&b.base, "prova").await, 1);

    same_bytes_and_validators(&client, &a.base, &b.base).await;

    // Withheld through A: B stops finding it; published again through A: B finds it; a
    // new title written through A is searchable through B.
    use reqwest::Method;
    let steps = [
        (
            Method::POST,
            "/withhold",
            serde_json::json!({"reason": "verifica"}),
            "prova",
            0,
        ),
        (Method::POST, "/publish", serde_json::json!({}), "prova", 1),
        (
            Method::PATCH,
            "",
            serde_json::json!({"title": "Seduta sullo zibaldone"}),
            "zibaldone",
            1,
        ),
    ];
    for (method, action, body, query, expected) in steps {
        let r = client
            .request(
                method,
                format!("{}/api/v1/admin/sessions/1{action}", a.base),
            )
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{action} {body}");
        let took = within(&format!("B to find {expected} for {query:?}"), || async {
            total(&b.base, query).await == expected
        })
        .await;
        println!("replica B caught up with {action:?} {body} in {took:?}");
    }
    drop((a.process, b.process));
}

/// Waits for each replica's /readyz to answer 200.
async fn both_ready(client: &reqwest::Client, bases: [&str; 2]) {
    for base in bases {
        let url = format!("{base}/readyz");
        within("a replica to be ready", || {
            let request = client.get(&url).send();
            async move { matches!(request.await, Ok(resp) if resp.status() == 200) }
        })
        .await;
    }
}

/// The same bytes of a segment, with the same validators, from either replica.
async fn same_bytes_and_validators(client: &reqwest::Client, a: &str, b: &str) {
    let media = |base: &str| {
        client
            .get(format!("{base}/media/1/1/seg.m4s"))
            .header("Range", "bytes=1000-1999")
            .send()
    };
    let (ra, rb) = (media(a).await.unwrap(), media(b).await.unwrap());
    assert_eq!(ra.status(), 206);
    for h in ["etag", "last-modified", "content-range"] {
        assert_eq!(ra.headers()[h], rb.headers()[h], "{h}");
    }
    assert_eq!(ra.bytes().await.unwrap(), rb.bytes().await.unwrap());
}
