//! Files that are not recordings are refused with a message naming the file and the
//! problem, and leave nothing behind: no session, no job, no stored file.

use crate::helpers::{aula, files_under, ingest, run_refused, scratch};

#[tokio::test]
async fn empty_and_random_files_are_refused_and_change_nothing() {
    let root = scratch("bad-input");
    let data_dir = root.join("data");
    let empty = root.join("vuoto.flv");
    std::fs::write(&empty, b"").unwrap();
    let random = root.join("casuale.mp4");
    std::fs::write(&random, crate::helpers::pattern(64 * 1024)).unwrap();

    for (file, problem) in [(&empty, "empty"), (&random, "not a recording")] {
        let out = ingest(&data_dir, file, "Seduta", None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{} was accepted", file.display());
        assert!(
            stderr.contains(&file.display().to_string()),
            "message names the file: {stderr}"
        );
        assert!(
            stderr.contains(problem),
            "message says {problem:?}: {stderr}"
        );
    }

    let catalog = crate::helpers::open_catalog(&data_dir).await;
    for table in ["sessions", "recordings", "jobs", "documents", "bodies"] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(catalog.pool())
            .await
            .unwrap();
        assert_eq!(n, 0, "{table} is not empty");
    }
    for area in ["originals", "media", "staging"] {
        let left = files_under(&data_dir.join(area));
        assert!(left.is_empty(), "{area} holds {left:?}");
    }
}

#[tokio::test]
async fn bad_metadata_is_refused_before_anything_runs() {
    let root = scratch("bad-metadata");
    let data_dir = root.join("data");
    let stderr = run_refused(
        aula(&data_dir)
            .args(["ingest", "/nonexistent.flv", "--body", "Consiglio"])
            .args(["--date", "12/03/2009", "--title", "x"]),
    );
    assert!(
        stderr.contains("--date") && stderr.contains("YYYY-MM-DD"),
        "{stderr}"
    );

    let stderr = run_refused(
        aula(&data_dir)
            .args(["ingest", "/nonexistent.flv", "--body", "Consiglio"])
            .args(["--date", "2009-03-12", "--title", "x"]),
    );
    assert!(
        stderr.contains("/nonexistent.flv: no such file"),
        "{stderr}"
    );

    let stderr = run_refused(
        aula(&data_dir)
            .args(["ingest", &root.display().to_string(), "--body", "Consiglio"])
            .args(["--at-once", "0"]),
    );
    assert!(
        stderr.contains("--at-once") && stderr.contains("0 is not in 1..=64"),
        "{stderr}"
    );
}

/// A job state the queue does not have is named as such, with the ones it has; before, the
/// CLI listed nothing, as if there were no such jobs.
#[tokio::test]
async fn an_unknown_job_state_is_refused_with_the_states() {
    let data_dir = scratch("bad-job-state").join("data");
    let stderr = run_refused(aula(&data_dir).args(["jobs", "--state", "lost"]));
    assert!(
        stderr.contains("\"lost\" is not a job state: use queued, running, done, failed"),
        "{stderr}"
    );
}
