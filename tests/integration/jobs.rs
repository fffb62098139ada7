//! Durable jobs: a worker killed with SIGKILL mid-transcode has its job finished by
//! another once the lease expires, with nothing half-written visible and nothing
//! duplicated; an ffmpeg that hangs is killed after the scaled timeout and the job is
//! retried. Real `aula` processes and real ffmpeg, on short sources.

use aula::domain::{JobState, SessionState};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use aula::catalog::{Catalog, JobRow};

use crate::helpers::{aula, eventually, files_under, scratch, synthesize, Ingest};

/// A 20-second PAL MPEG-2 source: long enough to be caught mid-transcode.
fn long_source(path: &Path) {
    synthesize(
        path,
        Some("720x576"),
        Some((440, 48000)),
        20,
        "-c:v mpeg2video -b:v 3000k -aspect 4:3 -c:a mp2 -f vob",
    );
}

async fn job(catalog: &Catalog) -> JobRow {
    catalog
        .jobs(None, 10)
        .await
        .unwrap()
        .pop()
        .expect("one job")
}

/// Waits until `check` holds for the job, or panics after `limit`.
async fn wait_for(
    catalog: &Catalog,
    limit: Duration,
    what: &str,
    check: impl Fn(&JobRow) -> bool,
) -> JobRow {
    eventually(what, limit, || async {
        let j = job(catalog).await;
        match check(&j) {
            true => Ok(j),
            false => Err(j),
        }
    })
    .await
}

/// Process ids of the ffmpeg children of `parent` whose command line contains `marker`.
pub(crate) fn ffmpeg_children(parent: u32, marker: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid …
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
            continue;
        };
        let ppid: u32 = after
            .split(' ')
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if (parent == 0 || ppid == parent)
            && cmdline.starts_with("ffmpeg")
            && cmdline.contains(marker)
        {
            found.push(pid);
        }
    }
    found
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} {pid}");
}

fn queue(data_dir: &Path, source: &Path) {
    Ingest::new(data_dir)
        .file(source)
        .body("Consiglio comunale")
        .date("2004-11-29")
        .title("Seduta")
        .no_wait()
        .assert_success();
}

pub(crate) struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A scratch archive with one 20-second transcode job queued.
async fn queued_job(name: &str) -> (std::path::PathBuf, Catalog) {
    let root = scratch(name);
    let source = root.join("seduta lunga.vob");
    long_source(&source);
    let data_dir = root.join("data");
    queue(&data_dir, &source);
    let catalog = crate::helpers::open_catalog(&data_dir).await;
    (data_dir, catalog)
}

#[tokio::test]
async fn a_worker_killed_mid_transcode_has_its_job_finished_by_another() {
    let (data_dir, catalog) = queued_job("kill-worker").await;

    let mut first = Killed(
        aula(&data_dir)
            .arg("worker")
            .env("AULA_JOB_LEASE_SECONDS", "2")
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Mid-transcode: the job running and its ffmpeg at work (seen in /proc, which does not
    // wait for the next progress write to the catalog).
    let worker_pid = first.0.id();
    let running = wait_for(&catalog, Duration::from_secs(60), "the transcode", |j| {
        j.state == JobState::Running && !ffmpeg_children(worker_pid, "-f hls").is_empty()
    })
    .await;
    assert_eq!(running.attempts, 1);
    // …and some of its output written.
    eventually("some output written", Duration::from_secs(30), || async {
        match files_under(&data_dir.join("staging")).is_empty() {
            true => Err("nothing in staging"),
            false => Ok(()),
        }
    })
    .await;
    let transcoding = ffmpeg_children(first.0.id(), "-f hls");
    assert_eq!(transcoding.len(), 1, "one ffmpeg transcoding");
    first.0.kill().unwrap(); // SIGKILL
    first.0.wait().unwrap();
    // Its ffmpeg does not go on writing into the staging directory.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !Path::new(&format!("/proc/{}", transcoding[0])).exists()
            || std::fs::read_to_string(format!("/proc/{}/stat", transcoding[0]))
                .unwrap()
                .contains(") Z"),
        "the orphaned ffmpeg was killed with its worker"
    );
    // Half-written output stays in staging, never in the media area.
    assert!(files_under(&data_dir.join("media")).is_empty());
    assert!(!files_under(&data_dir.join("staging")).is_empty());

    // A second worker (here the server's own) takes it over after the lease expires.
    let second = Killed(
        aula(&data_dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("AULA_JOB_LEASE_SECONDS", "2")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let done = wait_for(
        &catalog,
        Duration::from_secs(120),
        "the job to finish",
        |j| j.state == JobState::Done || j.state == JobState::Failed,
    )
    .await;
    drop(second);
    assert_eq!(done.state, JobState::Done, "{done:?}");
    assert_eq!(done.attempts, 2, "run again from the start once");
    published_once_from_the_second_run(&catalog, &data_dir).await;
}

/// No duplicate session, one published version of the whole source, staging cleaned.
async fn published_once_from_the_second_run(catalog: &aula::catalog::Catalog, data_dir: &Path) {
    assert_eq!(
        catalog.all_session_ids().await.unwrap(),
        vec![1],
        "no duplicate session"
    );
    let session = catalog.session(1).await.unwrap().unwrap();
    assert_eq!(session.state, SessionState::Published);
    assert_eq!(session.media_dir.as_deref(), Some("1/1"));
    let versions: Vec<_> = std::fs::read_dir(data_dir.join("media/1"))
        .unwrap()
        .collect();
    assert_eq!(versions.len(), 1, "one published version");
    assert!(
        files_under(&data_dir.join("staging")).is_empty(),
        "staging cleaned"
    );
    let got =
        crate::helpers::ffprobe_duration(data_dir.join("media/1/1/master.m3u8").to_str().unwrap());
    assert!((got - 20.0).abs() <= 1.0, "{got}");
}

#[tokio::test]
async fn a_hung_ffmpeg_is_killed_after_the_scaled_timeout_and_the_job_retried() {
    let (data_dir, catalog) = queued_job("hung-ffmpeg").await;
    // 20 s of source: the transcode may run 4 + 1.5 × 20 = 34 s. (With 0.5, 14 s, the
    // retry itself was stopped as hung twice in 20 runs on a loaded machine, where it ran
    // at 0.77× real time.)
    let worker = Killed(
        aula(&data_dir)
            .arg("worker")
            .env("AULA_TRANSCODE_TIMEOUT_BASE", "4")
            .env("AULA_TRANSCODE_TIMEOUT_FACTOR", "1.5")
            .env("AULA_JOB_RETRY_SECONDS", "1")
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Stop the transcoding ffmpeg as a hung process would be.
    let pid = eventually("a transcode starts", Duration::from_secs(60), || async {
        ffmpeg_children(worker.0.id(), "-f hls")
            .first()
            .copied()
            .ok_or("no ffmpeg child")
    })
    .await;
    signal(pid, "-STOP");
    let stopped_at = Instant::now();
    let retried = wait_for(
        &catalog,
        Duration::from_secs(60),
        "the hang to be noticed",
        |j| {
            j.error
                .as_deref()
                .is_some_and(|e| e.contains("ffmpeg hung"))
        },
    )
    .await;
    let waited = stopped_at.elapsed();
    assert!(
        waited >= Duration::from_secs(8),
        "killed only after the timeout ({waited:?})"
    );
    assert!(retried.error.unwrap().contains("attempt 1 of 3"));
    assert!(
        !Path::new(&format!("/proc/{pid}/cmdline")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .unwrap()
                .contains(") Z")
    );
    // The retry runs normally and publishes.
    let done = wait_for(&catalog, Duration::from_secs(120), "the retry", |j| {
        j.state == JobState::Done || j.state == JobState::Failed
    })
    .await;
    assert_eq!(done.state, JobState::Done, "{done:?}");
    assert_eq!(done.attempts, 2);
    assert_eq!(
        catalog.session(1).await.unwrap().unwrap().state,
        SessionState::Published
    );
}
