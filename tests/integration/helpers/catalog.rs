//! Where a test's catalog lives (its own PostgreSQL database or the data directory's SQLite
//! file) and archives built straight through the catalog; no HTTP and no CLI here.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use aula::{Archive, Config};

use super::scratch;

/// When the suite runs on PostgreSQL (`AULA_TEST_POSTGRES` names a server, as the README's
/// test command sets it for its second run), each data directory gets its own database,
/// dropped and created on first use in this process; on SQLite (unset) this is None and
/// the catalog is the data directory's own file, as in production.
pub fn database_url(data_dir: &Path) -> Option<String> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static MADE: OnceLock<Mutex<HashMap<PathBuf, String>>> = OnceLock::new();
    let admin = std::env::var("AULA_TEST_POSTGRES").ok()?;
    let mut made = MADE.get_or_init(Default::default).lock().unwrap();
    if let Some(url) = made.get(data_dir) {
        return Some(url.clone());
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(data_dir.display().to_string().as_bytes());
    let name: String = format!("t_{digest:x}").chars().take(24).collect();
    let out = Command::new("psql")
        .arg(&admin)
        .args(["-v", "ON_ERROR_STOP=1", "-q"])
        .args([
            "-c",
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        ])
        .args(["-c", &format!("CREATE DATABASE {name}")])
        .output()
        .expect("psql must be installed to run the suite on PostgreSQL");
    assert!(
        out.status.success(),
        "creating {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (base, _) = admin.rsplit_once('/').expect("AULA_TEST_POSTGRES is a URL");
    let url = format!("{base}/{name}");
    made.insert(data_dir.to_owned(), url.clone());
    Some(url)
}

/// The catalog URL of `data_dir`: its PostgreSQL database, or its SQLite file.
pub fn catalog_url(data_dir: &Path) -> String {
    database_url(data_dir)
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("aula.db").display()))
}

/// The catalog of an archive's data directory, opened as the server would.
pub async fn open_catalog(data_dir: &Path) -> aula::catalog::Catalog {
    aula::catalog::Catalog::open(&catalog_url(data_dir))
        .await
        .expect("open the catalog")
}

/// An archive with one published session whose media directory (`1/1`) holds exactly
/// `files` — for serving tests that need known bytes rather than a transcode.
pub async fn published_files(name: &str, files: &[(&str, &[u8])]) -> PathBuf {
    use aula::catalog::{
        BodyName, NewMediaVersion, NewRecording, NewSession, SessionDate, SessionTitle,
    };
    let data_dir = scratch(name).join("data");
    let config = Config {
        data_dir: data_dir.clone(),
        database_url: database_url(&data_dir),
        ..Config::default()
    };
    let archive = Archive::open(config).await.unwrap();
    let aula::catalog::CreatedSession { session_id, .. } = archive
        .catalog
        .create_session(
            &NewSession {
                body: &BodyName::parse("Consiglio comunale").unwrap(),
                date: SessionDate::parse("2010-01-01").unwrap(),
                title: &SessionTitle::parse("Seduta di prova").unwrap(),
                kind: "ordinary",
                number: None,
            },
            &[NewRecording {
                sha256: &format!("{name:0>64}"),
                original_name: "x",
                size_bytes: 1,
                stored_path: "originals/x",
                duration_ms: Some(1000),
                probe_json: "{}",
            }],
            "{}",
        )
        .await
        .unwrap();
    let dir = format!("{session_id}/1");
    let media = data_dir.join("media").join(&dir);
    for (file, bytes) in files {
        let path = media.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    archive
        .catalog
        .publish_media(
            session_id,
            &NewMediaVersion {
                version: 1,
                dir: &dir,
                profile: "test",
                master_playlist: "master.m3u8",
                mp4_file: None,
                audio_playlist: None,
                audio_file: None,
                thumbnails_vtt: None,
                job: None,
                transcribe: false,
                poster_file: None,
                duration_ms: 1000,
                warnings: None,
                cuts: None,
            },
            &[],
        )
        .await
        .unwrap();
    data_dir
}
