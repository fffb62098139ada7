//! Faults: the server killed mid-upload, the disk filling during a transcode, the
//! database going away mid-run. Real processes, real ffmpeg, a real PostgreSQL.

use aula::domain::{JobState, SessionState};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crate::helpers::{
    admin_token, aula, eventually, files_under, free_port, make_flv_lasting, open_catalog, run_ok,
    scratch, Ingest,
};
use crate::jobs::Killed;

/// `aula serve` on a free port; returns the process and its base URL once it answers.
async fn serve(data_dir: &Path, envs: &[(&str, &str)]) -> (Killed, String) {
    let port = free_port();
    let child = Killed(
        aula(data_dir)
            .args(["serve", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .envs(envs.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    eventually(
        &format!("the server on {base} starts"),
        Duration::from_secs(20),
        || async { reqwest::get(format!("{base}/healthz")).await.map(drop) },
    )
    .await;
    (child, base)
}

#[tokio::test]
async fn a_server_killed_mid_upload_leaves_nothing_and_the_upload_can_be_retried() {
    let root = scratch("kill-upload");
    let data_dir = root.join("data");
    let source = root.join("seduta.flv");
    make_flv_lasting(&source, 8);
    let bytes = std::fs::read(&source).unwrap();
    let token = admin_token(&data_dir);
    let (mut server, base) = serve(&data_dir, &[("AULA_LOG", "warn")]).await;
    let client = reqwest::Client::new();
    let id = create_a_session(&client, &base, &token).await;

    // Half the file sent, then the server is killed with SIGKILL.
    let port = base.rsplit(':').next().unwrap().to_string();
    let mut conn = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    write!(
        conn,
        "POST /api/v1/admin/sessions/{id}/recordings?name=seduta.flv HTTP/1.1\r\n\
         Host: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Length: {}\r\n\r\n",
        bytes.len()
    )
    .unwrap();
    conn.write_all(&bytes[..bytes.len() / 2]).unwrap();
    conn.flush().unwrap();
    let staging = data_dir.join("staging");
    eventually("the upload begins", Duration::from_secs(10), || async {
        match files_under(&staging).is_empty() {
            true => Err("nothing in staging"),
            false => Ok(()),
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    drop(conn);

    // Nothing archived, nothing in the catalog; the partial bytes only in staging.
    assert!(files_under(&data_dir.join("originals")).is_empty());
    assert!(files_under(&data_dir.join("media")).is_empty());
    let partial: Vec<_> = files_under(&staging)
        .into_iter()
        .filter(|f| !f.ends_with(".receiving"))
        .collect();
    assert_eq!(partial.len(), 1, "{partial:?}");
    let catalog = open_catalog(&data_dir).await;
    assert!(catalog.recording_parts(id).await.unwrap().is_empty());
    assert_eq!(
        catalog.session(id).await.unwrap().unwrap().state,
        SessionState::Pending
    );

    // A new start removes the dead upload; the same upload, retried, is archived whole.
    let (_server, base) = serve(&data_dir, &[("AULA_LOG", "warn")]).await;
    assert!(
        files_under(&staging).is_empty(),
        "the dead upload was removed"
    );
    let r = client
        .post(format!(
            "{base}/api/v1/admin/sessions/{id}/recordings?name=seduta.flv"
        ))
        .bearer_auth(&token)
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    let parts = catalog.recording_parts(id).await.unwrap();
    assert_eq!(parts.len(), 1);
    let kept = std::fs::read(data_dir.join(&parts[0].stored_path)).unwrap();
    assert_eq!(kept, bytes, "the archived original is the whole file");
}

/// A body and a session in it, created through the admin API of the server at `base`;
/// the session's id.
async fn create_a_session(client: &reqwest::Client, base: &str, token: &str) -> i64 {
    let r = client
        .post(format!("{base}/api/v1/admin/bodies"))
        .bearer_auth(token)
        .json(&serde_json::json!({"name": "Consiglio comunale"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: serde_json::Value = client
        .post(format!("{base}/api/v1/admin/sessions"))
        .bearer_auth(token)
        .json(&serde_json::json!({
            "body": "consiglio-comunale", "date": "2008-06-05", "title": "Seduta interrotta"
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    created["id"].as_i64().expect("session created")
}

/// A private PostgreSQL for one test (scripts/pg-throwaway.sh), stopped at the end.
struct PrivatePostgres {
    url: String,
    dir: String,
}

impl PrivatePostgres {
    fn start() -> PrivatePostgres {
        let out = run_ok(
            std::process::Command::new("bash")
                .arg(Path::new(crate::helpers::MANIFEST_DIR).join("scripts/pg-throwaway.sh")),
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let value = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .unwrap_or_else(|| panic!("{key} in {text}"))
                .to_string()
        };
        PrivatePostgres {
            url: value("AULA_TEST_POSTGRES="),
            dir: value("AULA_PG_DIR="),
        }
    }

    fn script(&self, action: &str) {
        let ok = std::process::Command::new("bash")
            .arg(Path::new(crate::helpers::MANIFEST_DIR).join("scripts/pg-throwaway.sh"))
            .args([action, &self.dir])
            .status()
            .unwrap()
            .success();
        assert!(ok, "pg-throwaway.sh {action}");
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        self.script("stop");
    }
}

#[tokio::test]
async fn the_database_going_away_gives_503s_then_everything_recovers_with_no_job_lost_or_run_twice()
{
    let pg = PrivatePostgres::start();
    let root = scratch("database-away");
    let data_dir = root.join("data");
    let db = [("AULA_DATABASE_URL", pg.url.as_str())];
    queue_three_sessions(&root, &data_dir, &pg.url);
    let catalog = aula::catalog::Catalog::open(&pg.url).await.unwrap();
    let (_server, base) = serve(
        &data_dir,
        &[
            db[0],
            ("AULA_TRANSCODES", "1"),
            ("AULA_JOB_LEASE_SECONDS", "30"),
            ("AULA_LOG", "warn"),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let status = |path: &str| {
        let request = client.get(format!("{base}{path}")).send();
        async move {
            let r = request.await.unwrap();
            (
                r.status().as_u16(),
                r.headers().get("retry-after").is_some(),
            )
        }
    };
    // Wait for a transcode to be under way, then take the database away for a while.
    eventually("a job starts", Duration::from_secs(60), || async {
        let jobs = catalog.jobs(None, 10).await.unwrap();
        match jobs.iter().any(|j| j.state == JobState::Running) {
            true => Ok(()),
            false => Err(jobs),
        }
    })
    .await;
    assert_eq!(status("/api/v1/sessions").await.0, 200);
    pg.script("pause");
    let mut seen = Vec::new();
    for path in [
        "/api/v1/sessions",
        "/",
        "/sedute/1",
        "/api/v1/search?q=seduta",
        "/readyz",
    ] {
        seen.push((path, status(path).await));
    }
    assert_eq!(status("/healthz").await.0, 200, "alive all the same");
    tokio::time::sleep(Duration::from_secs(3)).await;
    pg.script("resume");
    for (path, (code, retry_after)) in &seen {
        match *path {
            // Search answers from the server's own index, which needs no database.
            "/api/v1/search?q=seduta" => assert!(*code == 200 || *code == 503, "{path} {code}"),
            _ => assert!(
                *code == 503 && (*retry_after || *path == "/readyz"),
                "{path} answered {code} while the database was away"
            ),
        }
    }

    // Back by itself: answers, and every job finishes, each exactly once.
    eventually("the server recovers", Duration::from_secs(20), || async {
        match status("/api/v1/sessions").await {
            (200, _) => Ok(()),
            other => Err(other),
        }
    })
    .await;
    every_job_done_once_and_published(&catalog).await;
    assert_eq!(status("/readyz").await.0, 200);
}

/// Three FLV recordings of 30–32 s ingested into the catalog at `url`, queued (not run).
fn queue_three_sessions(root: &Path, data_dir: &Path, url: &str) {
    for i in 0..3 {
        let source = root.join(format!("seduta-{i}.flv"));
        make_flv_lasting(&source, 30 + i);
        Ingest::new(data_dir)
            .envs([("AULA_DATABASE_URL", url)])
            .file(&source)
            .body("Consiglio comunale")
            .date(&format!("2007-0{}-10", i + 1))
            .title(&format!("Seduta {i}"))
            .no_wait()
            .assert_success();
    }
}

/// No job lost, none failed, each run once; every session published at version 1.
async fn every_job_done_once_and_published(catalog: &aula::catalog::Catalog) {
    let jobs = eventually("every job finishes", Duration::from_secs(180), || async {
        let jobs = catalog.jobs(None, 10).await.unwrap();
        assert_eq!(jobs.len(), 3, "no job lost: {jobs:?}");
        assert!(
            jobs.iter().all(|j| j.state != JobState::Failed),
            "a job failed: {jobs:?}"
        );
        match jobs.iter().all(|j| j.state == JobState::Done) {
            true => Ok(jobs),
            false => Err(jobs),
        }
    })
    .await;
    for j in &jobs {
        assert_eq!(j.attempts, 1, "run once: {j:?}");
    }
    for id in catalog.all_session_ids().await.unwrap() {
        let s = catalog.session(id).await.unwrap().unwrap();
        assert_eq!(s.state, SessionState::Published, "{s:?}");
        assert_eq!(s.media_dir, Some(format!("{id}/1")));
    }
}

/// A tmpfs mounted over a directory for one test (root may mount here), unmounted at the
/// end whatever happens.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(dir: &Path, bytes: u64) -> SmallDisk {
        std::fs::create_dir_all(dir).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs, which needs root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk(dir.to_owned())
    }

    fn resize(&self, bytes: u64) {
        let ok = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={bytes}")])
            .arg(&self.0)
            .status()
            .unwrap()
            .success();
        assert!(ok, "remount {}", self.0.display());
    }

    fn used(&self) -> u64 {
        let (free, total) = aula::maintenance::disk_space(&self.0).unwrap();
        total - free
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

#[tokio::test]
async fn a_full_disk_fails_the_transcode_cleanly_and_it_runs_once_space_is_back() {
    let root = scratch("disk-full");
    let data_dir = root.join("data");
    let disk = SmallDisk::mount(&data_dir, 256 << 20);
    let source = root.join("seduta.flv");
    make_flv_lasting(&source, 20);
    Ingest::new(&data_dir)
        .file(&source)
        .body("Consiglio comunale")
        .date("2006-10-11")
        .title("Seduta senza spazio")
        .no_wait()
        .assert_success();
    let original = files_under(&data_dir.join("originals"));
    assert_eq!(original.len(), 1);
    let original_bytes = std::fs::read(&original[0]).unwrap();
    // Room for what is there and a little more, far less than the transcode writes.
    disk.resize(disk.used() + (1 << 20));

    let catalog = open_catalog(&data_dir).await;
    let worker = |_: ()| {
        Killed(
            aula(&data_dir)
                .arg("worker")
                .env("AULA_JOB_RETRY_SECONDS", "3")
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        )
    };
    let mut first = worker(());
    let failed = eventually(
        "the first attempt fails and the job is queued again",
        Duration::from_secs(60),
        || async {
            let job = catalog.jobs(None, 1).await.unwrap().pop().unwrap();
            assert!(
                job.state != JobState::Done,
                "the transcode fitted: make the disk smaller"
            );
            match job.state == JobState::Queued && job.attempts == 1 {
                true => Ok(job),
                false => Err(job),
            }
        },
    )
    .await;
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    failed_cleanly(
        &catalog,
        &data_dir,
        &failed,
        (&original[0], &original_bytes),
    )
    .await;

    // Space is back: the job's next attempt runs and publishes.
    disk.resize(256 << 20);
    let _second = worker(());
    let job = eventually(
        "the second attempt publishes",
        Duration::from_secs(90),
        || async {
            let job = catalog.jobs(None, 1).await.unwrap().pop().unwrap();
            assert!(job.state != JobState::Failed, "{job:?}");
            match job.state == JobState::Done {
                true => Ok(job),
                false => Err(job),
            }
        },
    )
    .await;
    assert_eq!(job.attempts, 2);
    let session = catalog.session(1).await.unwrap().unwrap();
    assert_eq!(session.state, SessionState::Published);
    assert!(data_dir.join("media/1/1/master.m3u8").is_file());
}

/// A transcode that ran out of space: failed with the reason, nothing published or left
/// behind, the original untouched, the catalog intact.
async fn failed_cleanly(
    catalog: &aula::catalog::Catalog,
    data_dir: &Path,
    failed: &aula::catalog::JobRow,
    (original, original_bytes): (&Path, &[u8]),
) {
    let reason = failed.error.clone().unwrap_or_default();
    assert!(reason.contains("No space left on device"), "{reason}");
    let session = catalog.session(1).await.unwrap().unwrap();
    assert_ne!(session.state, SessionState::Published);
    assert!(session.media_dir.is_none());
    assert!(files_under(&data_dir.join("media")).is_empty());
    assert!(
        files_under(&data_dir.join("staging")).is_empty(),
        "staging cleaned"
    );
    assert_eq!(std::fs::read(original).unwrap(), original_bytes);
    if catalog.backend() == aula::catalog::Backend::Sqlite {
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(catalog.pool())
            .await
            .unwrap();
        assert_eq!(check, "ok");
    }
}

/// Uploads are told apart by their lock, not by process ids (which containers share or
/// repeat): a start removes only those whose lock nobody holds.
#[tokio::test]
async fn a_start_removes_dead_uploads_and_keeps_live_ones() {
    use std::os::fd::AsRawFd;
    let data_dir = scratch("dead-uploads").join("data");
    let staging = data_dir.join("staging");
    for name in ["upload-live", "upload-dead"] {
        std::fs::create_dir_all(staging.join(name)).unwrap();
        std::fs::write(staging.join(name).join("part.flv"), b"partial").unwrap();
    }
    std::fs::write(staging.join("upload-dead/.receiving"), b"").unwrap();
    let live = std::fs::File::create(staging.join("upload-live/.receiving")).unwrap();
    // SAFETY: flock on a descriptor this test owns, held until `live` drops.
    assert_eq!(unsafe { libc::flock(live.as_raw_fd(), libc::LOCK_EX) }, 0);
    let _app = crate::helpers::spawn_app(&data_dir).await;
    assert!(
        !staging.join("upload-dead").exists(),
        "the dead upload was removed"
    );
    assert!(
        staging.join("upload-live/part.flv").exists(),
        "the live one was kept"
    );
    drop(live);
}

#[tokio::test]
async fn a_live_recording_survives_a_server_killed_mid_stream() {
    let root = scratch("kill-live");
    let data_dir = root.join("data");
    let token = admin_token(&data_dir);
    let live = format!("127.0.0.1:{}", free_port());
    let envs = [
        ("AULA_LOG", "warn"),
        ("AULA_LIVE_RTMP", live.as_str()),
        ("AULA_LIVE_CAPTIONS", "off"),
    ];
    let (mut server, base) = serve(&data_dir, &envs).await;
    let client = reqwest::Client::new();
    let id = create_a_session(&client, &base, &token).await;
    let armed: serde_json::Value = client
        .post(format!("{base}/api/v1/admin/sessions/{id}/live"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = format!(
        "rtmp://{live}/live/{}",
        armed["stream_key"].as_str().unwrap()
    );
    let encoder = tokio::spawn(crate::helpers::push_live(&url, 30).output());
    // Three segments of the ladder made, then the server dies without a word.
    eventually("three live segments", Duration::from_secs(30), || async {
        let text = reqwest::get(format!("{base}/live/{id}/360p/index.m3u8"))
            .await
            .map_err(|e| e.to_string())?
            .text()
            .await
            .map_err(|e| e.to_string())?;
        match text.matches(".m4s").count() {
            3.. => Ok(()),
            n => Err(format!("{n} segments")),
        }
    })
    .await;
    server.0.kill().unwrap();
    let _ = server.0.wait();
    let pushed = encoder.await.unwrap().unwrap();
    assert!(
        !pushed.status.success(),
        "the encoder went on without its server"
    );

    // The next start hands what was recorded to the archive.
    let rtmp = format!("127.0.0.1:{}", free_port());
    let app =
        crate::helpers::spawn_app_with(&data_dir, |c| c.live_rtmp = Some(rtmp.parse().unwrap()))
            .await;
    let (_, jobs) = app
        .admin(&token)
        .get("/api/v1/admin/jobs?state=queued")
        .await;
    let job = jobs["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["session_id"] == id)
        .unwrap_or_else(|| panic!("nothing of the live session queued: {jobs}"))["id"]
        .as_i64()
        .unwrap();
    crate::helpers::run_job(&data_dir, job).await;
    let session = app.json(&format!("/api/v1/sessions/{id}")).await;
    let seconds = session["duration_seconds"].as_f64().unwrap_or_default();
    assert!(
        seconds >= 5.0,
        "{seconds} s archived of a stream cut after 6 s or more"
    );
    let (_, live) = app
        .admin(&token)
        .get(&format!("/api/v1/admin/sessions/{id}/live"))
        .await;
    assert_eq!(live["state"], "ended", "{live}");
}
