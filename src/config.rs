//! Configuration: one `Config` built from layers — built-in defaults for the embedded
//! mode, then an optional TOML file, then `AULA_*` environment variables, then command-line
//! flags (applied by the binary). It only describes where things are; it opens nothing.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Everything aula needs to know about its surroundings.
///
/// | field | default | environment |
/// |---|---|---|
/// | `data_dir` | `./data` | `AULA_DATA_DIR` |
/// | `database_url` | `sqlite://<data_dir>/aula.db` | `AULA_DATABASE_URL` |
/// | `index_dir` | `<data_dir>/index` | `AULA_INDEX_DIR` |
/// | `listen` | `127.0.0.1:8080` | `AULA_LISTEN` |
/// | `web_dir` | `./web` | `AULA_WEB_DIR` |
/// | `profiles_dir` | `./transcode-profiles` | `AULA_PROFILES_DIR` |
/// | `ffmpeg` / `ffprobe` | found in `$PATH` | `AULA_FFMPEG` / `AULA_FFPROBE` |
/// | `index_poll_ms` | 1000 | `AULA_INDEX_POLL_MS` |
/// | `workers` | number of CPUs | `AULA_WORKERS` |
/// | `transcodes` | CPUs ÷ 4, at least 1 | `AULA_TRANSCODES` |
/// | `job_lease_seconds` | 60 | `AULA_JOB_LEASE_SECONDS` |
/// | `job_retry_seconds` | 30 (doubled at each retry) | `AULA_JOB_RETRY_SECONDS` |
/// | `transcode_timeout_base` | 120 s | `AULA_TRANSCODE_TIMEOUT_BASE` |
/// | `transcode_timeout_factor` | 10 × the source's duration | `AULA_TRANSCODE_TIMEOUT_FACTOR` |
/// | `upload_limit` | 8 GiB (bytes) | `AULA_UPLOAD_LIMIT` |
/// | `public_url` | taken from each request's Host | `AULA_PUBLIC_URL` |
/// | `media_store` | the data directory's `media/` | `AULA_MEDIA_STORE` (`s3://bucket/prefix`) |
/// | `s3_endpoint` / `s3_region` | AWS | `AULA_S3_ENDPOINT` / `AULA_S3_REGION` |
/// | `media_redirect_url` | none (media are proxied) | `AULA_MEDIA_REDIRECT_URL` (`presigned` or a public base) |
/// | `owner_name` | none | `AULA_OWNER_NAME` |
/// | `owner_url` | none | `AULA_OWNER_URL` |
///
/// Relative paths are taken from the working directory of the process.
#[derive(Debug, Clone)]
pub struct Config {
    /// Root of everything aula stores: originals, published media, staging, index, SQLite.
    pub data_dir: PathBuf,
    /// Catalog database. `None` means the embedded SQLite file inside `data_dir`.
    pub database_url: Option<String>,
    /// Where this process keeps its own copy of the search index. `None`: `data_dir/index`.
    pub index_dir: Option<PathBuf>,
    /// Address the HTTP server binds; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Templates' companion assets and the npm packages (`web/node_modules`).
    pub web_dir: PathBuf,
    /// Transcode ladders, one TOML file each.
    pub profiles_dir: PathBuf,
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
    /// How often a server looks at the catalog for changes to index.
    pub index_poll_ms: u64,
    /// HTTP worker threads.
    pub workers: usize,
    /// Transcode jobs run at once by one worker process (each ffmpeg uses every core).
    pub transcodes: usize,
    /// How long a job stays claimed by a worker that stops renewing its lease.
    pub job_lease_seconds: i64,
    /// Delay before the first retry of a failed attempt; doubled at each further one.
    pub job_retry_seconds: i64,
    /// A transcode that runs longer than base + factor × the source's duration is
    /// presumed hung and killed.
    pub transcode_timeout_base: f64,
    pub transcode_timeout_factor: f64,
    /// Largest file the admin API accepts as one upload, in bytes.
    pub upload_limit: u64,
    /// The archive's public address (e.g. `https://video.comune.example.it`), for feeds and
    /// the sitemap; `None`: from the request's Host header.
    pub public_url: Option<String>,
    /// The administration the archive belongs to ("Comune di Esempio"), named in every
    /// page's top bar as Designers Italia's Modello Comuni has it, linking to `owner_url`.
    pub owner_name: Option<String>,
    pub owner_url: Option<String>,
    /// `s3://bucket/prefix`: published media live in an S3-compatible object store
    /// (credentials from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`); `None`: on disk.
    pub media_store: Option<String>,
    pub s3_endpoint: Option<String>,
    pub s3_region: Option<String>,
    /// Answer media requests with a redirect to this public base (a public bucket or a
    /// CDN) instead of proxying the bytes from the store.
    pub media_redirect_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration file {path} is not valid TOML for aula: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{name}={value:?} is not valid: {reason}")]
    Value {
        name: String,
        value: String,
        reason: String,
    },
}

/// The shape of a configuration file: every key optional, same names as the fields.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLayer {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    index_dir: Option<PathBuf>,
    listen: Option<String>,
    web_dir: Option<PathBuf>,
    profiles_dir: Option<PathBuf>,
    ffmpeg: Option<PathBuf>,
    ffprobe: Option<PathBuf>,
    index_poll_ms: Option<u64>,
    workers: Option<usize>,
    transcodes: Option<usize>,
    job_lease_seconds: Option<i64>,
    job_retry_seconds: Option<i64>,
    transcode_timeout_base: Option<f64>,
    transcode_timeout_factor: Option<f64>,
    upload_limit: Option<u64>,
    public_url: Option<String>,
    owner_name: Option<String>,
    owner_url: Option<String>,
    media_store: Option<String>,
    s3_endpoint: Option<String>,
    s3_region: Option<String>,
    media_redirect_url: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./data"),
            database_url: None,
            index_dir: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            web_dir: PathBuf::from("./web"),
            profiles_dir: PathBuf::from("./transcode-profiles"),
            ffmpeg: PathBuf::from("ffmpeg"),
            ffprobe: PathBuf::from("ffprobe"),
            index_poll_ms: 1000,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            transcodes: std::thread::available_parallelism().map_or(1, |n| n.get().div_ceil(4)),
            job_lease_seconds: 60,
            job_retry_seconds: 30,
            transcode_timeout_base: 120.0,
            transcode_timeout_factor: 10.0,
            upload_limit: 8 << 30,
            public_url: None,
            owner_name: None,
            owner_url: None,
            media_store: None,
            s3_endpoint: None,
            s3_region: None,
            media_redirect_url: None,
        }
    }
}

impl Config {
    /// Defaults, then the file (if given), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
            config.apply_file(path, &text)?;
        }
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok(config)
    }

    fn apply_file(&mut self, path: &Path, text: &str) -> Result<(), ConfigError> {
        let layer: FileLayer = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        if let Some(v) = layer.data_dir {
            self.data_dir = v;
        }
        if let Some(v) = layer.database_url {
            self.database_url = Some(v);
        }
        if let Some(v) = layer.index_dir {
            self.index_dir = Some(v);
        }
        if let Some(v) = layer.listen {
            self.listen = parse_listen("listen", &v)?;
        }
        if let Some(v) = layer.web_dir {
            self.web_dir = v;
        }
        if let Some(v) = layer.profiles_dir {
            self.profiles_dir = v;
        }
        if let Some(v) = layer.ffmpeg {
            self.ffmpeg = v;
        }
        if let Some(v) = layer.ffprobe {
            self.ffprobe = v;
        }
        if let Some(v) = layer.index_poll_ms {
            self.index_poll_ms = v;
        }
        if let Some(v) = layer.workers {
            self.workers = v.max(1);
        }
        if let Some(v) = layer.transcodes {
            self.transcodes = v.max(1);
        }
        if let Some(v) = layer.job_lease_seconds {
            self.job_lease_seconds = v.max(1);
        }
        if let Some(v) = layer.job_retry_seconds {
            self.job_retry_seconds = v.max(0);
        }
        if let Some(v) = layer.transcode_timeout_base {
            self.transcode_timeout_base = v.max(1.0);
        }
        if let Some(v) = layer.transcode_timeout_factor {
            self.transcode_timeout_factor = v.max(0.0);
        }
        if let Some(v) = layer.upload_limit {
            self.upload_limit = v;
        }
        if let Some(v) = layer.public_url {
            self.public_url = Some(v.trim_end_matches('/').to_string());
        }
        if let Some(v) = layer.owner_name {
            self.owner_name = Some(v);
        }
        if let Some(v) = layer.owner_url {
            self.owner_url = Some(checked_url("owner_url", &v)?);
        }
        if let Some(v) = layer.media_store {
            self.media_store = Some(v);
        }
        if let Some(v) = layer.s3_endpoint {
            self.s3_endpoint = Some(checked_url("s3_endpoint", &v)?);
        }
        if let Some(v) = layer.s3_region {
            self.s3_region = Some(v);
        }
        if let Some(v) = layer.media_redirect_url {
            self.media_redirect_url = Some(redirect_setting("media_redirect_url", &v)?);
        }
        Ok(())
    }

    /// Applies `AULA_*` variables read through `get` (a function so tests need not touch
    /// the real process environment).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = get("AULA_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = get("AULA_DATABASE_URL") {
            self.database_url = Some(v);
        }
        if let Some(v) = get("AULA_INDEX_DIR") {
            self.index_dir = Some(v.into());
        }
        if let Some(v) = get("AULA_LISTEN") {
            self.listen = parse_listen("AULA_LISTEN", &v)?;
        }
        if let Some(v) = get("AULA_WEB_DIR") {
            self.web_dir = v.into();
        }
        if let Some(v) = get("AULA_PROFILES_DIR") {
            self.profiles_dir = v.into();
        }
        if let Some(v) = get("AULA_FFMPEG") {
            self.ffmpeg = v.into();
        }
        if let Some(v) = get("AULA_FFPROBE") {
            self.ffprobe = v.into();
        }
        if let Some(v) = get("AULA_INDEX_POLL_MS") {
            self.index_poll_ms = v.parse().map_err(|_| ConfigError::Value {
                name: "AULA_INDEX_POLL_MS".into(),
                value: v.clone(),
                reason: "expected a whole number of milliseconds".into(),
            })?;
        }
        if let Some(v) = get("AULA_WORKERS") {
            self.workers =
                v.parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| ConfigError::Value {
                        name: "AULA_WORKERS".into(),
                        value: v.clone(),
                        reason: "expected a positive whole number of threads".into(),
                    })?;
        }
        if let Some(v) = get("AULA_TRANSCODES") {
            self.transcodes = number(&v, "AULA_TRANSCODES", 1.0)?;
        }
        if let Some(v) = get("AULA_JOB_LEASE_SECONDS") {
            self.job_lease_seconds = number(&v, "AULA_JOB_LEASE_SECONDS", 1.0)?;
        }
        if let Some(v) = get("AULA_JOB_RETRY_SECONDS") {
            self.job_retry_seconds = number(&v, "AULA_JOB_RETRY_SECONDS", 0.0)?;
        }
        if let Some(v) = get("AULA_TRANSCODE_TIMEOUT_BASE") {
            self.transcode_timeout_base = number(&v, "AULA_TRANSCODE_TIMEOUT_BASE", 1.0)?;
        }
        if let Some(v) = get("AULA_TRANSCODE_TIMEOUT_FACTOR") {
            self.transcode_timeout_factor = number(&v, "AULA_TRANSCODE_TIMEOUT_FACTOR", 0.0)?;
        }
        if let Some(v) = get("AULA_UPLOAD_LIMIT") {
            self.upload_limit = number(&v, "AULA_UPLOAD_LIMIT", 1.0)?;
        }
        if let Some(v) = get("AULA_PUBLIC_URL").filter(|v| !v.trim().is_empty()) {
            self.public_url = Some(v.trim().trim_end_matches('/').to_string());
        }
        if let Some(v) = get("AULA_OWNER_NAME").filter(|v| !v.trim().is_empty()) {
            self.owner_name = Some(v.trim().to_string());
        }
        if let Some(v) = get("AULA_OWNER_URL").filter(|v| !v.trim().is_empty()) {
            self.owner_url = Some(checked_url("AULA_OWNER_URL", v.trim())?);
        }
        if let Some(v) = get("AULA_MEDIA_STORE").filter(|v| !v.trim().is_empty()) {
            self.media_store = Some(v.trim().to_string());
        }
        if let Some(v) = get("AULA_S3_ENDPOINT").filter(|v| !v.trim().is_empty()) {
            self.s3_endpoint = Some(checked_url("AULA_S3_ENDPOINT", v.trim())?);
        }
        if let Some(v) = get("AULA_S3_REGION").filter(|v| !v.trim().is_empty()) {
            self.s3_region = Some(v.trim().to_string());
        }
        if let Some(v) = get("AULA_MEDIA_REDIRECT_URL").filter(|v| !v.trim().is_empty()) {
            self.media_redirect_url = Some(redirect_setting("AULA_MEDIA_REDIRECT_URL", v.trim())?);
        }
        Ok(())
    }

    /// How long a transcode of a source lasting `duration_s` may run before it is presumed
    /// hung: generous, and scaled to the source so a three-hour session is not cut short.
    pub fn transcode_timeout(&self, duration_s: f64) -> std::time::Duration {
        std::time::Duration::from_secs_f64(
            self.transcode_timeout_base + duration_s.max(0.0) * self.transcode_timeout_factor,
        )
    }

    /// Sets the listen address from a flag's text.
    pub fn set_listen(&mut self, text: &str) -> Result<(), ConfigError> {
        self.listen = parse_listen("--listen", text)?;
        Ok(())
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("aula.db").display()),
        }
    }

    pub fn index_dir(&self) -> PathBuf {
        self.index_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("index"))
    }

    /// Originals, content-addressed by SHA-256; never modified.
    pub fn originals_dir(&self) -> PathBuf {
        self.data_dir.join("originals")
    }

    /// Published media versions; what `/media/` serves.
    pub fn media_dir(&self) -> PathBuf {
        self.data_dir.join("media")
    }

    /// Work in progress; never served.
    pub fn staging_dir(&self) -> PathBuf {
        self.data_dir.join("staging")
    }
}

/// A database URL taken apart once around its password, so no other code parses
/// credentials: what messages show, what a client tool may be given on its command line,
/// and the password itself for its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlCredentials {
    /// `scheme://user:***@host/…` for messages and logs.
    pub redacted: String,
    /// `scheme://user@host/…`, safe to pass as an argument.
    pub without_password: String,
    /// The password, percent-decoded; `None` when the URL carries none.
    pub password: Option<String>,
}

impl UrlCredentials {
    pub fn parse(url: &str) -> UrlCredentials {
        let plain = || UrlCredentials {
            redacted: url.to_string(),
            without_password: url.to_string(),
            password: None,
        };
        let (Some(scheme), Some(at)) = (url.find("://"), url.rfind('@')) else {
            return plain();
        };
        if at <= scheme {
            return plain();
        }
        let Some((user, password)) = url[scheme + 3..at].split_once(':') else {
            return plain();
        };
        let (head, tail) = (&url[..scheme + 3], &url[at..]);
        UrlCredentials {
            redacted: format!("{head}{user}:***{tail}"),
            without_password: format!("{head}{user}{tail}"),
            password: Some(
                urlencoding::decode(password)
                    .map(|p| p.into_owned())
                    .unwrap_or_else(|_| password.to_string()),
            ),
        }
    }
}

/// A number from an environment variable, at least `min`.
fn number<T: std::str::FromStr>(text: &str, name: &str, min: f64) -> Result<T, ConfigError> {
    let in_range = text
        .trim()
        .parse::<f64>()
        .is_ok_and(|v| v.is_finite() && v >= min);
    match text.trim().parse::<T>() {
        Ok(v) if in_range => Ok(v),
        _ => Err(ConfigError::Value {
            name: name.into(),
            value: text.into(),
            reason: format!("expected a number of at least {min}"),
        }),
    }
}

fn parse_listen(name: &str, text: &str) -> Result<SocketAddr, ConfigError> {
    text.parse().map_err(|_| ConfigError::Value {
        name: name.into(),
        value: text.into(),
        reason: "expected an address and port such as 127.0.0.1:8080 (port 0 picks a free one)"
            .into(),
    })
}

/// `presigned`, or a public http(s) base.
fn redirect_setting(name: &str, value: &str) -> Result<String, ConfigError> {
    if value == "presigned" {
        Ok(value.into())
    } else {
        checked_url(name, value)
    }
}

/// A link target for pages: only http(s), so a setting cannot smuggle `javascript:` in.
fn checked_url(name: &str, value: &str) -> Result<String, ConfigError> {
    if value.starts_with("https://") || value.starts_with("http://") {
        Ok(value.to_string())
    } else {
        Err(ConfigError::Value {
            name: name.into(),
            value: value.into(),
            reason: "expected an http:// or https:// address".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        let mut config = Config::default();
        config
            .apply_file(
                Path::new("aula.toml"),
                "data_dir = \"/srv/aula\"\nlisten = \"0.0.0.0:9000\"\n",
            )
            .unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/srv/aula"));
        config
            .apply_env(|name| (name == "AULA_LISTEN").then(|| "127.0.0.1:0".to_string()))
            .unwrap();
        assert_eq!(config.listen.port(), 0);
        assert_eq!(config.data_dir, PathBuf::from("/srv/aula"));
        assert_eq!(config.database_url(), "sqlite:///srv/aula/aula.db");
        assert_eq!(config.index_dir(), PathBuf::from("/srv/aula/index"));
    }

    #[test]
    fn credentials_are_taken_apart_once() {
        let c = UrlCredentials::parse("postgres://aula:p%40ss@db:5432/aula");
        assert_eq!(c.redacted, "postgres://aula:***@db:5432/aula");
        assert_eq!(c.without_password, "postgres://aula@db:5432/aula");
        assert_eq!(c.password.as_deref(), Some("p@ss"));
        let plain = UrlCredentials::parse("sqlite:///srv/aula/aula.db");
        assert_eq!(plain.redacted, "sqlite:///srv/aula/aula.db");
        assert_eq!(plain.password, None);
        assert_eq!(
            UrlCredentials::parse("postgres://aula@db/aula").password,
            None
        );
    }

    #[test]
    fn bad_values_are_named() {
        let mut config = Config::default();
        let err = config
            .apply_env(|name| (name == "AULA_LISTEN").then(|| "localhost".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("AULA_LISTEN"), "{err}");
        let err = config
            .apply_file(Path::new("x.toml"), "colour = 1")
            .unwrap_err();
        assert!(err.to_string().contains("x.toml"), "{err}");
        let err = config
            .apply_env(|name| (name == "AULA_OWNER_URL").then(|| "javascript:alert(1)".into()))
            .unwrap_err();
        assert!(err.to_string().contains("AULA_OWNER_URL"), "{err}");
        config
            .apply_file(
                Path::new("aula.toml"),
                "owner_name = \"Comune di Esempio\"\nowner_url = \"https://comune.example.it\"\n",
            )
            .unwrap();
        assert_eq!(config.owner_name.as_deref(), Some("Comune di Esempio"));
        assert_eq!(
            config.owner_url.as_deref(),
            Some("https://comune.example.it")
        );
    }
}
