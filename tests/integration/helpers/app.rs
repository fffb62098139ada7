//! The real server started in-process on a free port (`spawn_app`), and `TestApp`, the
//! client every HTTP test talks through. No CLI and no media making here.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use aula::http::Application;
use aula::{Archive, Config};

use super::{database_url, eventually, MANIFEST_DIR};

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

    /// The body of `GET path`, whatever its status.
    pub async fn text(&self, path: &str) -> String {
        self.get(path).await.text().await.expect("a text body")
    }

    pub async fn json(&self, path: &str) -> serde_json::Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("JSON body")
    }

    /// What `/api/v1/search?q=QUERY` answers (QUERY as the test spells it, already encoded).
    pub async fn search(&self, query: &str) -> Value {
        self.json(&format!("/api/v1/search?q={query}")).await
    }

    /// Waits (up to 5 s: the index follows the catalog every 200 ms) for a search to find
    /// `expected` sessions, and returns its answer.
    pub async fn search_finds(&self, query: &str, expected: u64) -> Value {
        eventually(
            &format!("a search for {query:?} finds {expected} sessions"),
            Duration::from_secs(5),
            || async {
                let found = self.search(query).await;
                match found["total"].as_u64() == Some(expected) {
                    true => Ok(found),
                    false => Err(found),
                }
            },
        )
        .await
    }

    /// The admin API as the holder of `token` sees it.
    pub fn admin(&self, token: &str) -> Admin<'_> {
        Admin {
            app: self,
            token: Some(token.to_owned()),
        }
    }

    /// The admin API called with no token at all.
    pub fn anonymous_admin(&self) -> Admin<'_> {
        Admin {
            app: self,
            token: None,
        }
    }
}

/// A client of the admin API: every call answers (status, JSON body or Null), so a test
/// can assert refusals as plainly as successes.
pub struct Admin<'a> {
    app: &'a TestApp,
    token: Option<String>,
}

impl Admin<'_> {
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.app.client.request(method, self.app.url(path));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }

    /// `PATCH /api/v1/admin/sessions/ID`.
    pub async fn patch_session(&self, id: i64, body: Value) -> (u16, Value) {
        self.patch(&format!("/api/v1/admin/sessions/{id}"), body)
            .await
    }

    /// Raw bytes POSTed to `path` (a recording or a document upload).
    pub async fn upload(&self, path: &str, bytes: Vec<u8>) -> (u16, Value) {
        let mut request = self.app.client.post(self.app.url(path)).body(bytes);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        answer(request).await
    }
}

async fn answer(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request failed");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Starts the real server on a free port over `data_dir`, with its own search index
/// (so several tests can serve the same archive at once).
pub async fn spawn_app(data_dir: &Path) -> TestApp {
    spawn_app_with(data_dir, |_| {}).await
}

/// The configuration the tests run with, over `data_dir`: the repository's profiles, web
/// assets and speech engine, and sessions transcribed only when a test asks.
pub fn test_config(data_dir: &Path) -> Config {
    let repo = Path::new(MANIFEST_DIR);
    Config {
        data_dir: data_dir.to_owned(),
        web_dir: repo.join("web"),
        profiles_dir: repo.join("transcode-profiles"),
        asr_python: repo.join(".venv-asr/bin/python"),
        asr_engine: repo.join("asr/aula_asr.py"),
        asr_model: repo.join(".venv-asr/models/whisper-base"),
        auto_transcribe: false,
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
    // actix's server starts its acceptor and workers when its future is first polled,
    // which is when this test's runtime next gets to it: a test that blocked its thread
    // before then would find a socket nobody accepts on. It is running once it answers.
    tokio::spawn(app.run_until_stopped());
    let app = TestApp {
        address,
        index_dir,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    };
    eventually("the server answers", Duration::from_secs(30), || async {
        match app.client.get(app.url("/healthz")).send().await {
            Ok(r) if r.status() == 200 => Ok(()),
            Ok(r) => Err(r.status().to_string()),
            Err(e) => Err(e.to_string()),
        }
    })
    .await;
    app
}

/// Runs a queued transcode to its end in this process, as a worker would, and fails the
/// test unless it publishes.
pub async fn run_job(data_dir: &Path, job_id: i64) {
    let archive = aula::Archive::open(test_config(data_dir)).await.unwrap();
    let outcome = aula::jobs::run_or_follow(&archive, job_id, |_| {})
        .await
        .unwrap();
    assert!(
        matches!(outcome, aula::jobs::Outcome::Published(_)),
        "{outcome:?}"
    );
}

/// A port free on 127.0.0.1 right now (for servers started as separate processes).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Sends a request line exactly as given (no client normalisation) and returns the status.
pub fn raw_status(address: &str, target: &str) -> u16 {
    let host = address.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(host).unwrap();
    use std::io::{Read, Write};
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0)
}
