//! What the IT office runs: `aula doctor`, `aula backup` then `aula restore`, and
//! `aula fixity` — real processes on a real archive (SQLite, or PostgreSQL in the suite's
//! second run, where backup is pg_dump and restore pg_restore).

use aula::domain::JobState;
use std::path::Path;

use crate::helpers::{aula, make_flv, open_catalog, scratch, Ingest};
use aula::catalog::StoredKind;

fn run(data_dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> (bool, String, String) {
    let out = aula(data_dir)
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn doctor_says_what_works_and_what_to_fix() {
    let data_dir = scratch("doctor").join("data");
    let (ok, out, err) = run(&data_dir, &["doctor"], &[]);
    assert!(ok, "{out}\n{err}");
    for line in [
        "ok   ffmpeg",
        "ok   legacy decoders      all 31 present",
        "ok   legacy containers",
        "ok   transcode profiles   audio, hd, sd in",
        "ok   encoders             libx264, aac, mjpeg",
        "ok   catalog",
        "ok   originals",
        "ok   free space",
        "ok   speech to text       faster-whisper 1.2.1 with whisper-base",
        "ok   live sessions        off (AULA_LIVE_RTMP / AULA_LIVE_SRT unset)",
    ] {
        assert!(out.contains(line), "{line:?} in\n{out}");
    }
    let (ok, out, err) = run(
        &data_dir,
        &["doctor"],
        &[
            ("AULA_LIVE_RTMP", "0.0.0.0:1935"),
            ("AULA_LIVE_SRT", "0.0.0.0:9000"),
        ],
    );
    assert!(ok, "{out}\n{err}");
    let live = "ok   live sessions        RTMP 0.0.0.0:1935, SRT 0.0.0.0:9000";
    assert!(out.contains(live), "{out}");
    // No ffmpeg: a failure, what to do about it, and a non-zero exit.
    let (ok, out, err) = run(
        &data_dir,
        &["doctor"],
        &[("AULA_FFMPEG", "/nonexistent/ffmpeg")],
    );
    assert!(!ok);
    assert!(
        out.contains("FAIL ffmpeg") && out.contains("apt-get install ffmpeg"),
        "{out}"
    );
    assert!(err.contains("1 check(s) failed"), "{err}");
    // A catalog that cannot be reached.
    let (ok, out, _) = run(
        &data_dir,
        &["doctor"],
        &[(
            "AULA_DATABASE_URL",
            "postgres://aula:secret@127.0.0.1:1/nowhere",
        )],
    );
    assert!(!ok);
    assert!(out.contains("FAIL catalog"), "{out}");
    assert!(
        !out.contains("secret"),
        "the password is not printed: {out}"
    );
}

/// An archive with one session: its recording and agenda stored, its transcode queued.
fn small_archive(name: &str) -> std::path::PathBuf {
    let root = scratch(name);
    let source = root.join("seduta.flv");
    make_flv(&source);
    let agenda = root.join("odg.txt");
    std::fs::write(&agenda, "1. Approvazione del verbale\n2. Bilancio\n").unwrap();
    let data_dir = root.join("data");
    Ingest::new(&data_dir)
        .file(&source)
        .body("Consiglio comunale")
        .date("2011-02-03")
        .title("Seduta da salvare")
        .no_wait()
        .agenda(&agenda)
        .assert_success();
    data_dir
}

#[tokio::test]
async fn a_backup_restores_the_catalog_as_it_was() {
    let data_dir = small_archive("backup");
    let backup_dir = data_dir.parent().unwrap().join("backup");
    let (ok, out, err) = run(&data_dir, &["backup", backup_dir.to_str().unwrap()], &[]);
    assert!(ok, "{err}");
    assert!(out.contains("sha256"), "{out}");
    let readme = std::fs::read_to_string(backup_dir.join("README.txt")).unwrap();
    assert!(readme.contains("aula restore"), "{readme}");
    // A second backup into the same directory is refused, not mixed in.
    let (ok, _, err) = run(&data_dir, &["backup", backup_dir.to_str().unwrap()], &[]);
    assert!(!ok && err.contains("already holds a backup"), "{err}");

    // After the backup the catalog changes: a session goes, another comes.
    let catalog = open_catalog(&data_dir).await;
    let before = catalog.all_session_ids().await.unwrap();
    assert_eq!(before, vec![1]);
    sqlx::query("DELETE FROM sessions")
        .execute(catalog.pool())
        .await
        .unwrap();
    drop(catalog);

    let (ok, _, err) = run(&data_dir, &["restore", backup_dir.to_str().unwrap()], &[]);
    assert!(ok, "{err}");
    let catalog = open_catalog(&data_dir).await;
    assert_eq!(catalog.all_session_ids().await.unwrap(), before);
    let s = catalog.session(1).await.unwrap().unwrap();
    assert_eq!(s.title, "Seduta da salvare");
    assert_eq!(catalog.agenda(1).await.unwrap().len(), 2);
    assert_eq!(
        catalog
            .jobs(Some(JobState::Queued), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    // The search index is rebuilt from the restored catalog, not taken from anywhere.
    let (ok, _, err) = run(&data_dir, &["reindex"], &[]);
    assert!(ok, "{err}");

    // Restoring from a directory that holds no backup changes nothing.
    let empty = data_dir.parent().unwrap().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (ok, _, err) = run(&data_dir, &["restore", empty.to_str().unwrap()], &[]);
    assert!(!ok && err.contains("not a backup"), "{err}");
    assert_eq!(catalog.all_session_ids().await.unwrap(), before);
}

#[tokio::test]
async fn fixity_finds_originals_that_changed_or_vanished() {
    let data_dir = small_archive("fixity");
    let (ok, _, err) = run(&data_dir, &["fixity"], &[]);
    assert!(ok, "{err}");
    assert!(
        err.contains("2 files") && err.contains("0 problem(s)"),
        "{err}"
    );

    let catalog = open_catalog(&data_dir).await;
    let files = catalog.stored_files().await.unwrap();
    let recording = files
        .iter()
        .find(|f| f.kind == StoredKind::Recording)
        .unwrap();
    let document = files
        .iter()
        .find(|f| f.kind == StoredKind::Document)
        .unwrap();
    // One bit flipped in the recording; the agenda's original deleted.
    let path = data_dir.join(&recording.stored_path);
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    // Originals are kept read-only; the test plays the part of a failing disk.
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    std::fs::remove_file(data_dir.join(&document.stored_path)).unwrap();

    let (ok, out, err) = run(&data_dir, &["fixity"], &[]);
    assert!(!ok);
    assert!(
        out.contains(&format!(
            "changed\trecording {} of session 1\t{}",
            recording.id, recording.stored_path
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "missing\tdocument {} of session 1\t{}",
            document.id, document.stored_path
        )),
        "{out}"
    );
    assert!(err.contains("2 problem(s)"), "{err}");
}
