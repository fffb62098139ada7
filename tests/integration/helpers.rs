//! What every integration test uses: media made with ffmpeg's lavfi sources, the real
//! `aula` binary for ingest, and the real server started in-process on a free port.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use aula::http::Application;
use aula::{Archive, Config};

pub const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");

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

/// A scratch directory under cargo's target dir, emptied first.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Runs ffmpeg (quietly) and panics with its message if it fails.
pub fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-v", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg must be installed (the README's test command installs it)");
    assert!(
        out.status.success(),
        "ffmpeg {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Duration ffprobe reports for a file or URL, in seconds.
pub fn ffprobe_duration(input: &str) -> f64 {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "default=noprint_wrappers=1:nokey=1",
            input,
        ])
        .output()
        .expect("ffprobe must be installed");
    assert!(
        out.status.success(),
        "ffprobe {input} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("ffprobe gave no duration for {input}"))
}

/// A 6-second Flash video as 2000s council portals published them: Sorenson Spark + MP3.
pub fn make_flv(path: &Path) {
    make_flv_lasting(path, 6);
}

/// A Flash video (Sorenson Spark and MP3) of test pattern and tone, `seconds` long.
pub fn make_flv_lasting(path: &Path, seconds: u32) {
    make_flv_with_tone(path, seconds, 440);
}

/// The same with a tone of `hz`, which makes the file's bytes (and checksum) its own.
pub fn make_flv_with_tone(path: &Path, seconds: u32, hz: u32) {
    let seconds = seconds.to_string();
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25",
        "-f",
        "lavfi",
        "-i",
        &format!("sine=frequency={hz}:sample_rate=44100"),
        "-t",
        &seconds,
        "-c:v",
        "flv",
        "-q:v",
        "5",
        "-c:a",
        "libmp3lame",
        "-b:a",
        "64k",
        path.to_str().unwrap(),
    ]);
}

/// The `aula` binary with a data directory and the repository's profiles.
pub fn aula(data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aula"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .env(
            "AULA_PROFILES_DIR",
            Path::new(MANIFEST_DIR).join("transcode-profiles"),
        )
        .env("AULA_WEB_DIR", Path::new(MANIFEST_DIR).join("web"))
        .env("AULA_LOG", "warn");
    if let Some(url) = database_url(data_dir) {
        cmd.env("AULA_DATABASE_URL", url);
    }
    cmd
}

/// `aula ingest FILE --body … --date … --title … [--agenda …]`
pub fn ingest(data_dir: &Path, file: &Path, title: &str, agenda: Option<&Path>) -> Output {
    let mut cmd = aula(data_dir);
    cmd.arg("ingest")
        .arg(file)
        .args(["--body", "Consiglio comunale", "--date", "2009-03-12"])
        .args(["--title", title]);
    if let Some(agenda) = agenda {
        cmd.arg("--agenda").arg(agenda);
    }
    cmd.output().expect("run aula ingest")
}

/// The archive shared by the read-only tests: one FLV session with an agenda, ingested
/// once through the real CLI.
pub struct FlvArchive {
    pub data_dir: PathBuf,
    pub source: PathBuf,
    pub title: &'static str,
}

pub const FLV_AGENDA: &str = "ORDINE DEL GIORNO\n\n\
    1. Approvazione del bilancio consuntivo\n\
    2. Riqualificazione della piazza della città\n\
    3. Interrogazioni\n";

pub fn flv_archive() -> &'static FlvArchive {
    static ARCHIVE: OnceLock<FlvArchive> = OnceLock::new();
    ARCHIVE.get_or_init(|| {
        let root = scratch("flv-archive");
        let source = root.join("seduta consiglio 2009.flv");
        make_flv(&source);
        let agenda = root.join("odg.txt");
        std::fs::write(&agenda, FLV_AGENDA).unwrap();
        let data_dir = root.join("data");
        let title = "Seduta del consiglio comunale";
        let out = ingest(&data_dir, &source, title, Some(&agenda));
        assert!(
            out.status.success(),
            "ingest failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        FlvArchive {
            data_dir,
            source,
            title,
        }
    })
}

/// A running server and a client for it.
pub struct TestApp {
    pub address: String,
    /// This server's own search index.
    pub index_dir: PathBuf,
    pub client: reqwest::Client,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request failed")
    }

    pub async fn json(&self, path: &str) -> serde_json::Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("JSON body")
    }
}

/// Starts the real server on a free port over `data_dir`, with its own search index
/// (so several tests can serve the same archive at once).
pub async fn spawn_app(data_dir: &Path) -> TestApp {
    spawn_app_with(data_dir, |_| {}).await
}

/// The configuration the tests run with, over `data_dir`.
pub fn test_config(data_dir: &Path) -> Config {
    Config {
        data_dir: data_dir.to_owned(),
        web_dir: Path::new(MANIFEST_DIR).join("web"),
        profiles_dir: Path::new(MANIFEST_DIR).join("transcode-profiles"),
        index_poll_ms: 200,
        database_url: database_url(data_dir),
        ..Config::default()
    }
}

/// `spawn_app` with some settings changed.
pub async fn spawn_app_with(data_dir: &Path, change: impl FnOnce(&mut Config)) -> TestApp {
    let index_dir = tempfile::tempdir().unwrap().keep();
    let mut config = Config {
        index_dir: Some(index_dir.clone()),
        ..test_config(data_dir)
    };
    change(&mut config);
    config.set_listen("127.0.0.1:0").unwrap();
    let archive = Archive::open(config).await.expect("open archive");
    let app = Application::build(archive).await.expect("start server");
    let address = app.address().to_string();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        index_dir,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    }
}

/// The catalog of an archive's data directory, opened as the server would.
pub async fn open_catalog(data_dir: &Path) -> aula::catalog::Catalog {
    aula::catalog::Catalog::open(&catalog_url(data_dir))
        .await
        .expect("open the catalog")
}

/// Every regular file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
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

/// Deterministic bytes: a simple LCG, so tests are repeatable.
pub fn pattern(len: usize) -> Vec<u8> {
    let mut x: u32 = 12345;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) as u8
        })
        .collect()
}

/// Runs `node web/tests/SCRIPT ARGS…` with `env` set, on a blocking thread so the server
/// under test keeps answering meanwhile; fails the test unless the script succeeds, and
/// returns what it printed.
pub async fn node_script(
    script: &str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
) -> String {
    let script = Path::new(MANIFEST_DIR).join("web/tests").join(script);
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(&script)
            .args(args)
            // Screenshots, as test artifacts (git ignores the directory).
            .env(
                "AULA_ARTIFACTS",
                Path::new(MANIFEST_DIR).join("test-artifacts/browser"),
            )
            .envs(env)
            .output()
            .expect("node must be installed (the README's test command installs it)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A port free on 127.0.0.1 right now (for servers started as separate processes).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A new admin API token, made with `aula token create`.
pub fn admin_token(data_dir: &Path) -> String {
    let out = aula(data_dir)
        .args(["token", "create", "test"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
