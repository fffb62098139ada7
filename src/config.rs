//! Configuration: one `Config` built from layers — built-in defaults for the embedded
//! mode, then an optional TOML file, then `AULA_*` environment variables, then command-line
//! flags (applied by the binary). Every setting is named once, in `SETTINGS`; the file and
//! the environment are read into the same `Layer` and merged over the defaults by one
//! function, so the two cannot disagree. It only describes where things are; it opens
//! nothing.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Everything aula needs to know about its surroundings. The settings, their variables
/// and their defaults are listed in `SETTINGS` and in README.md's configuration table.
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
    /// Where the chamber's encoder pushes live sessions over RTMP. `None`: no live sessions.
    pub live_rtmp: Option<SocketAddr>,
    /// Where encoders push live sessions over SRT (a UDP port). `None`: no SRT.
    pub live_srt: Option<SocketAddr>,
    /// Captions made by the speech engine while a session is live (when it is installed).
    pub live_captions: bool,
    /// How long a live session waits for an encoder that dropped before it ends (0: at once).
    pub live_reconnect_seconds: u64,
    /// How long a live stream's own files (its ladder, captions and sound chunks) stay
    /// once the archive has published its recording (0: removed at the next look).
    pub live_keep_hours: u64,
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
    /// The longest clip of a session that can be cut and downloaded, in seconds.
    pub clip_max_seconds: u64,
    /// Disk the cut clips may take (the least recently used go first), in megabytes.
    pub clip_cache_mb: u64,
    /// E-mail alerts: the SMTP server (`None`: no alerts are offered), its port, how the
    /// connection is secured, the credentials, and the sender's address.
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    pub smtp_user: Option<String>,
    pub smtp_password: Option<String>,
    pub mail_from: Option<String>,
    /// How often a server looks for alert digests that are due.
    pub alerts_poll_seconds: u64,
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
    /// Speech to text: the Python of the engine's virtual environment, the engine (our
    /// script over faster-whisper), and the faster-whisper model directory it loads.
    pub asr_python: PathBuf,
    pub asr_engine: PathBuf,
    pub asr_model: PathBuf,
    /// `cpu`, `cuda` or `auto`, and CTranslate2's compute type for it (`int8` on a CPU).
    pub asr_device: String,
    pub asr_compute_type: String,
    /// CPU threads the engine uses (0: all); beam size (1 fastest, 5 most accurate).
    pub asr_threads: usize,
    pub asr_beam: usize,
    /// The length of audio the engine hears at once; a killed worker resumes at the chunk
    /// it was in.
    pub asr_chunk_seconds: u64,
    /// Chunks one engine process hears before a fresh one takes over: its memory grows a
    /// little with each chunk, and a new process starts from its floor again.
    pub asr_chunks_per_engine: usize,
    /// Transcribe jobs run at once by one worker process (each uses `asr_threads`).
    pub transcribes: usize,
    /// Whether a session published without a transcript is queued for speech to text at
    /// once (`auto`), or only when asked (`manual`: `aula transcribe`, the admin API).
    pub auto_transcribe: bool,
}

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain, then upgraded with STARTTLS (port 587); refused if the server cannot.
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a server on the same machine or network.
    None,
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

/// How a setting's text is read from the environment (a file has TOML's own types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Whole,
    Number,
}

/// One setting: its key in the configuration file, its environment variable, and what
/// it is for.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub key: &'static str,
    pub env: &'static str,
    pub kind: Kind,
    pub about: &'static str,
}

const fn setting(key: &'static str, env: &'static str, kind: Kind, about: &'static str) -> Setting {
    Setting {
        key,
        env,
        kind,
        about,
    }
}

/// Every setting of a `Layer`, in the order README.md's table lists them.
pub const SETTINGS: &[Setting] = &[
    setting("data_dir", "AULA_DATA_DIR", Kind::Text, "data directory"),
    setting(
        "listen",
        "AULA_LISTEN",
        Kind::Text,
        "listen address (port 0 = any free port)",
    ),
    setting(
        "live_rtmp",
        "AULA_LIVE_RTMP",
        Kind::Text,
        "live sessions: address encoders push RTMP to (unset: no live sessions)",
    ),
    setting(
        "live_srt",
        "AULA_LIVE_SRT",
        Kind::Text,
        "live sessions: address (UDP) encoders push SRT to (unset: no SRT)",
    ),
    setting(
        "live_captions",
        "AULA_LIVE_CAPTIONS",
        Kind::Text,
        "live sessions: automatic captions while live, on or off",
    ),
    setting(
        "live_reconnect_seconds",
        "AULA_LIVE_RECONNECT_SECONDS",
        Kind::Whole,
        "live sessions: how long an encoder that dropped may come back to the same part (seconds)",
    ),
    setting(
        "live_keep_hours",
        "AULA_LIVE_KEEP_HOURS",
        Kind::Whole,
        "live sessions: how long the stream's own files stay once its recording is published (hours)",
    ),
    setting(
        "database_url",
        "AULA_DATABASE_URL",
        Kind::Text,
        "catalog database: sqlite://… or postgres://user:pass@host/db",
    ),
    setting(
        "media_store",
        "AULA_MEDIA_STORE",
        Kind::Text,
        "published media in S3-compatible object storage (s3://bucket/prefix)",
    ),
    setting(
        "s3_endpoint",
        "AULA_S3_ENDPOINT",
        Kind::Text,
        "the object store's endpoint (http/https)",
    ),
    setting(
        "s3_region",
        "AULA_S3_REGION",
        Kind::Text,
        "the object store's region",
    ),
    setting(
        "media_redirect_url",
        "AULA_MEDIA_REDIRECT_URL",
        Kind::Text,
        "answer media requests with a redirect: presigned, or a public/CDN base",
    ),
    setting(
        "index_dir",
        "AULA_INDEX_DIR",
        Kind::Text,
        "search index directory",
    ),
    setting(
        "index_poll_ms",
        "AULA_INDEX_POLL_MS",
        Kind::Whole,
        "how often a server looks for catalog changes to index (ms)",
    ),
    setting(
        "web_dir",
        "AULA_WEB_DIR",
        Kind::Text,
        "web assets and npm packages",
    ),
    setting(
        "profiles_dir",
        "AULA_PROFILES_DIR",
        Kind::Text,
        "transcode profiles",
    ),
    setting("ffmpeg", "AULA_FFMPEG", Kind::Text, "ffmpeg"),
    setting("ffprobe", "AULA_FFPROBE", Kind::Text, "ffprobe"),
    setting(
        "workers",
        "AULA_WORKERS",
        Kind::Whole,
        "HTTP worker threads",
    ),
    setting(
        "transcodes",
        "AULA_TRANSCODES",
        Kind::Whole,
        "transcodes at once per worker",
    ),
    setting(
        "job_lease_seconds",
        "AULA_JOB_LEASE_SECONDS",
        Kind::Whole,
        "job lease (a dead worker's job is retaken after it)",
    ),
    setting(
        "job_retry_seconds",
        "AULA_JOB_RETRY_SECONDS",
        Kind::Whole,
        "first retry delay (doubled each time)",
    ),
    setting(
        "transcode_timeout_base",
        "AULA_TRANSCODE_TIMEOUT_BASE",
        Kind::Number,
        "hung transcode limit: base seconds",
    ),
    setting(
        "transcode_timeout_factor",
        "AULA_TRANSCODE_TIMEOUT_FACTOR",
        Kind::Number,
        "hung transcode limit: × the source's duration",
    ),
    setting(
        "upload_limit",
        "AULA_UPLOAD_LIMIT",
        Kind::Whole,
        "largest upload through the admin API (bytes)",
    ),
    setting(
        "clip_max_seconds",
        "AULA_CLIP_MAX_SECONDS",
        Kind::Whole,
        "longest clip of a session (seconds)",
    ),
    setting(
        "clip_cache_mb",
        "AULA_CLIP_CACHE_MB",
        Kind::Whole,
        "disk for cut clips (megabytes)",
    ),
    setting(
        "smtp_host",
        "AULA_SMTP_HOST",
        Kind::Text,
        "e-mail alerts: SMTP server (unset: no alerts)",
    ),
    setting(
        "smtp_port",
        "AULA_SMTP_PORT",
        Kind::Whole,
        "e-mail alerts: SMTP port",
    ),
    setting(
        "smtp_tls",
        "AULA_SMTP_TLS",
        Kind::Text,
        "e-mail alerts: starttls, tls or none",
    ),
    setting(
        "smtp_user",
        "AULA_SMTP_USER",
        Kind::Text,
        "e-mail alerts: SMTP user",
    ),
    setting(
        "smtp_password",
        "AULA_SMTP_PASSWORD",
        Kind::Text,
        "e-mail alerts: SMTP password",
    ),
    setting(
        "mail_from",
        "AULA_MAIL_FROM",
        Kind::Text,
        "e-mail alerts: sender address",
    ),
    setting(
        "alerts_poll_seconds",
        "AULA_ALERTS_POLL_SECONDS",
        Kind::Whole,
        "e-mail alerts: how often due digests are looked for",
    ),
    setting(
        "public_url",
        "AULA_PUBLIC_URL",
        Kind::Text,
        "public address, for feeds and the sitemap",
    ),
    setting(
        "owner_name",
        "AULA_OWNER_NAME",
        Kind::Text,
        "the administration named in every page's top bar",
    ),
    setting(
        "owner_url",
        "AULA_OWNER_URL",
        Kind::Text,
        "its site (http/https)",
    ),
    setting(
        "asr_python",
        "AULA_ASR_PYTHON",
        Kind::Text,
        "speech to text: the engine's Python",
    ),
    setting(
        "asr_engine",
        "AULA_ASR_ENGINE",
        Kind::Text,
        "speech to text: the engine script",
    ),
    setting(
        "asr_model",
        "AULA_ASR_MODEL",
        Kind::Text,
        "speech to text: a faster-whisper model directory",
    ),
    setting(
        "asr_device",
        "AULA_ASR_DEVICE",
        Kind::Text,
        "speech to text: cpu, cuda or auto",
    ),
    setting(
        "asr_compute_type",
        "AULA_ASR_COMPUTE_TYPE",
        Kind::Text,
        "speech to text: CTranslate2 compute type",
    ),
    setting(
        "asr_threads",
        "AULA_ASR_THREADS",
        Kind::Whole,
        "speech to text: CPU threads (0 = all)",
    ),
    setting(
        "asr_beam",
        "AULA_ASR_BEAM",
        Kind::Whole,
        "speech to text: beam size",
    ),
    setting(
        "asr_chunk_seconds",
        "AULA_ASR_CHUNK_SECONDS",
        Kind::Whole,
        "speech to text: seconds of audio heard at once",
    ),
    setting(
        "asr_chunks_per_engine",
        "AULA_ASR_CHUNKS_PER_ENGINE",
        Kind::Whole,
        "speech to text: chunks one engine process hears before a fresh one",
    ),
    setting(
        "transcribes",
        "AULA_TRANSCRIBES",
        Kind::Whole,
        "transcribe jobs at once per worker",
    ),
    setting(
        "transcribe",
        "AULA_TRANSCRIBE",
        Kind::Text,
        "speech to text after publication: auto, or manual",
    ),
];

/// Variables the binary reads itself, before (or instead of) any configuration.
pub const PROCESS_VARIABLES: &[(&str, &str)] = &[
    ("AULA_CONFIG", "the configuration file, as --config"),
    ("AULA_LOG", "log filter"),
    ("AULA_LOG_FORMAT", "log format: human lines, or json"),
];

/// What one layer (the file, or the environment) says: every setting optional, with the
/// same names as `Config`'s fields and `SETTINGS`' keys.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub index_dir: Option<PathBuf>,
    pub listen: Option<String>,
    pub live_rtmp: Option<String>,
    pub live_srt: Option<String>,
    pub live_reconnect_seconds: Option<u64>,
    pub live_keep_hours: Option<u64>,
    pub live_captions: Option<String>,
    pub web_dir: Option<PathBuf>,
    pub profiles_dir: Option<PathBuf>,
    pub ffmpeg: Option<PathBuf>,
    pub ffprobe: Option<PathBuf>,
    pub index_poll_ms: Option<u64>,
    pub workers: Option<usize>,
    pub transcodes: Option<usize>,
    pub job_lease_seconds: Option<i64>,
    pub job_retry_seconds: Option<i64>,
    pub transcode_timeout_base: Option<f64>,
    pub transcode_timeout_factor: Option<f64>,
    pub upload_limit: Option<u64>,
    pub clip_max_seconds: Option<u64>,
    pub clip_cache_mb: Option<u64>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    pub smtp_tls: Option<String>,
    pub smtp_user: Option<String>,
    pub smtp_password: Option<String>,
    pub mail_from: Option<String>,
    pub alerts_poll_seconds: Option<u64>,
    pub public_url: Option<String>,
    pub owner_name: Option<String>,
    pub owner_url: Option<String>,
    pub media_store: Option<String>,
    pub s3_endpoint: Option<String>,
    pub s3_region: Option<String>,
    pub media_redirect_url: Option<String>,
    pub asr_python: Option<PathBuf>,
    pub asr_engine: Option<PathBuf>,
    pub asr_model: Option<PathBuf>,
    pub asr_device: Option<String>,
    pub asr_compute_type: Option<String>,
    pub asr_threads: Option<usize>,
    pub asr_beam: Option<usize>,
    pub asr_chunk_seconds: Option<u64>,
    pub asr_chunks_per_engine: Option<usize>,
    pub transcribes: Option<usize>,
    pub transcribe: Option<String>,
}

/// The layers' values by key, and for each the name to give in an error: the file's key
/// or the variable that set it.
struct Layers {
    values: toml::Table,
    names: HashMap<&'static str, &'static str>,
}

impl Layers {
    fn new() -> Layers {
        Layers {
            values: toml::Table::new(),
            names: SETTINGS.iter().map(|s| (s.key, s.key)).collect(),
        }
    }

    /// The file's settings; unknown keys and wrong types are refused with the file named.
    /// Blank text means "not set", as it does in the environment.
    fn add_file(&mut self, path: &Path, text: &str) -> Result<(), ConfigError> {
        let parse = |message: String| ConfigError::Parse {
            path: path.to_owned(),
            message,
        };
        let table: toml::Table = toml::from_str(text).map_err(|e| parse(e.to_string()))?;
        toml::Value::Table(table.clone())
            .try_into::<Layer>()
            .map_err(|e| parse(e.to_string()))?;
        for (key, value) in table {
            if let Some(value) = unblank(value) {
                self.values.insert(key, value);
            }
        }
        Ok(())
    }

    /// The `AULA_*` variables `get` finds (a function so tests need not touch the real
    /// process environment); each is checked on its own so an error names it.
    fn add_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        for s in SETTINGS {
            let Some(raw) = get(s.env) else { continue };
            let Some(value) = env_value(s, &raw)? else {
                continue;
            };
            let mut one = toml::Table::new();
            one.insert(s.key.into(), value.clone());
            toml::Value::Table(one)
                .try_into::<Layer>()
                .map_err(|e| bad_value(s.env, &raw, e.message()))?;
            self.values.insert(s.key.into(), value);
            self.names.insert(s.key, s.env);
        }
        Ok(())
    }

    fn name(&self, key: &'static str) -> &'static str {
        self.names.get(key).copied().unwrap_or(key)
    }
}

/// A TOML value with blank text taken as absent, and text trimmed.
fn unblank(value: toml::Value) -> Option<toml::Value> {
    match value {
        toml::Value::String(s) if s.trim().is_empty() => None,
        toml::Value::String(s) => Some(toml::Value::String(s.trim().to_string())),
        other => Some(other),
    }
}

/// An environment variable's text as the TOML value a file would hold; blank is absent.
fn env_value(s: &Setting, raw: &str) -> Result<Option<toml::Value>, ConfigError> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let value = match s.kind {
        Kind::Text => toml::Value::String(text.to_string()),
        Kind::Whole => toml::Value::Integer(
            text.parse()
                .map_err(|_| bad_value(s.env, raw, "expected a whole number"))?,
        ),
        Kind::Number => toml::Value::Float(
            text.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad_value(s.env, raw, "expected a number"))?,
        ),
    };
    Ok(Some(value))
}

fn bad_value(name: &str, value: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Value {
        name: name.into(),
        value: value.into(),
        reason: reason.into(),
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./data"),
            database_url: None,
            index_dir: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            live_rtmp: None,
            live_srt: None,
            live_reconnect_seconds: 180,
            live_keep_hours: 24,
            live_captions: true,
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
            clip_max_seconds: 900,
            clip_cache_mb: 2048,
            smtp_host: None,
            smtp_port: 587,
            smtp_tls: SmtpTls::Starttls,
            smtp_user: None,
            smtp_password: None,
            mail_from: None,
            alerts_poll_seconds: 300,
            public_url: None,
            owner_name: None,
            owner_url: None,
            media_store: None,
            s3_endpoint: None,
            s3_region: None,
            media_redirect_url: None,
            asr_python: PathBuf::from("./.venv-asr/bin/python"),
            asr_engine: PathBuf::from("./asr/aula_asr.py"),
            asr_model: PathBuf::from("./.venv-asr/models/whisper-base"),
            asr_device: "cpu".into(),
            asr_compute_type: "int8".into(),
            asr_threads: 0,
            asr_beam: 5,
            asr_chunk_seconds: (crate::speech::chunks::TARGET_MS / 1000) as u64,
            asr_chunks_per_engine: 5,
            transcribes: 1,
            auto_transcribe: true,
        }
    }
}

impl Config {
    /// Defaults, then the file (if given), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let text = match file {
            Some(path) => {
                Some(
                    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                        path: path.to_owned(),
                        source,
                    })?,
                )
            }
            None => None,
        };
        let file = file.zip(text.as_deref());
        Config::from_layers(file, |name| std::env::var(name).ok())
    }

    /// Defaults, then `file` (its path and text), then the variables `env` finds.
    pub fn from_layers(
        file: Option<(&Path, &str)>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut layers = Layers::new();
        if let Some((path, text)) = file {
            layers.add_file(path, text)?;
        }
        layers.add_env(env)?;
        Config::default().merged(&layers)
    }

    /// The defaults with every value the layers give put over them, checked once.
    fn merged(mut self, layers: &Layers) -> Result<Config, ConfigError> {
        // Each value was checked as its layer was read, so this reads; were it not to,
        // the error says so rather than panicking.
        let layer: Layer = toml::Value::Table(layers.values.clone())
            .try_into()
            .map_err(|e| ConfigError::Parse {
                path: PathBuf::from("the configuration"),
                message: e.to_string(),
            })?;
        let name = |key| layers.name(key);
        self.apply_speech(&layer, &name)?;
        self.apply_mail(&layer, &name)?;
        if let Some(v) = &layer.listen {
            self.listen = parse_listen(name("listen"), v)?;
        }
        if let Some(v) = &layer.live_rtmp {
            self.live_rtmp = Some(parse_listen(name("live_rtmp"), v)?);
        }
        if let Some(v) = &layer.live_srt {
            self.live_srt = Some(parse_listen(name("live_srt"), v)?);
        }
        self.live_captions = match layer.live_captions.as_deref() {
            None => self.live_captions,
            Some("on") => true,
            Some("off") => false,
            Some(v) => return Err(bad_value(name("live_captions"), v, "expected on or off")),
        };
        if let Some(v) = layer.live_reconnect_seconds {
            self.live_reconnect_seconds = v;
        }
        if let Some(v) = layer.live_keep_hours {
            self.live_keep_hours = v;
        }
        self.apply_places(&layer);
        self.apply_limits(&layer, &name);
        self.public_url = layer
            .public_url
            .map(|v| v.trim_end_matches('/').to_string())
            .or(self.public_url);
        self.owner_name = layer.owner_name.or(self.owner_name);
        if let Some(v) = layer.owner_url {
            self.owner_url = Some(checked_url(name("owner_url"), &v)?);
        }
        self.media_store = layer.media_store.or(self.media_store);
        if let Some(v) = layer.s3_endpoint {
            self.s3_endpoint = Some(checked_url(name("s3_endpoint"), &v)?);
        }
        self.s3_region = layer.s3_region.or(self.s3_region);
        if let Some(v) = layer.media_redirect_url {
            let setting = name("media_redirect_url");
            self.media_redirect_url = Some(redirect_setting(setting, &v)?);
        }
        // The links in alert messages: never from a request's Host header, which anyone
        // can write (a confirmation mail pointing at another site would be phishing).
        if self.smtp_host.is_some() && self.public_url.is_none() {
            return Err(bad_value(
                name("public_url"),
                "",
                "e-mail alerts need the archive's public address for the links in their \
                 messages: set AULA_PUBLIC_URL (public_url) with the SMTP server",
            ));
        }
        Ok(self)
    }

    /// The SMTP server of e-mail alerts: a sender is needed as soon as a server is named.
    fn apply_mail(
        &mut self,
        layer: &Layer,
        name: &dyn Fn(&'static str) -> &'static str,
    ) -> Result<(), ConfigError> {
        self.smtp_host = layer.smtp_host.clone().or(self.smtp_host.take());
        if let Some(v) = layer.smtp_port {
            self.smtp_port = at_least(v, 1, name("smtp_port"));
        }
        if let Some(v) = &layer.smtp_tls {
            self.smtp_tls = match v.as_str() {
                "starttls" => SmtpTls::Starttls,
                "tls" => SmtpTls::Tls,
                "none" => SmtpTls::None,
                _ => {
                    return Err(bad_value(
                        name("smtp_tls"),
                        v,
                        "expected starttls, tls or none",
                    ))
                }
            };
        }
        self.smtp_user = layer.smtp_user.clone().or(self.smtp_user.take());
        self.smtp_password = layer.smtp_password.clone().or(self.smtp_password.take());
        if let Some(v) = &layer.mail_from {
            if !v.contains('@') {
                return Err(bad_value(
                    name("mail_from"),
                    v,
                    "expected an e-mail address",
                ));
            }
            self.mail_from = Some(v.clone());
        }
        if self.smtp_host.is_some() && self.mail_from.is_none() {
            return Err(bad_value(
                name("mail_from"),
                "",
                "e-mail alerts need a sender: set AULA_MAIL_FROM (mail_from) with the SMTP server",
            ));
        }
        Ok(())
    }

    /// The speech engine's settings (its paths are places); the device is one the engine
    /// knows.
    fn apply_speech(
        &mut self,
        layer: &Layer,
        name: &dyn Fn(&'static str) -> &'static str,
    ) -> Result<(), ConfigError> {
        if let Some(v) = &layer.asr_device {
            if !matches!(v.as_str(), "cpu" | "cuda" | "auto") {
                return Err(bad_value(
                    name("asr_device"),
                    v,
                    "expected cpu, cuda or auto",
                ));
            }
            self.asr_device.clone_from(v);
        }
        if let Some(v) = &layer.asr_compute_type {
            self.asr_compute_type.clone_from(v);
        }
        if let Some(v) = layer.asr_threads {
            self.asr_threads = v;
        }
        if let Some(v) = layer.asr_beam {
            self.asr_beam = at_least(v, 1, name("asr_beam"));
        }
        if let Some(v) = layer.transcribes {
            self.transcribes = at_least(v, 1, name("transcribes"));
        }
        if let Some(v) = layer.asr_chunk_seconds {
            self.asr_chunk_seconds = at_least(v, 10, name("asr_chunk_seconds"));
        }
        if let Some(v) = layer.asr_chunks_per_engine {
            self.asr_chunks_per_engine = at_least(v, 1, name("asr_chunks_per_engine"));
        }
        self.auto_transcribe = match layer.transcribe.as_deref() {
            None => self.auto_transcribe,
            Some("auto") => true,
            Some("manual") => false,
            Some(v) => return Err(bad_value(name("transcribe"), v, "expected auto or manual")),
        };
        Ok(())
    }

    /// Where things are: directories, the catalog, the tools, the speech engine and model.
    fn apply_places(&mut self, layer: &Layer) {
        let path = |v: &Option<PathBuf>, current: &mut PathBuf| {
            if let Some(v) = v {
                *current = v.clone();
            }
        };
        path(&layer.data_dir, &mut self.data_dir);
        path(&layer.web_dir, &mut self.web_dir);
        path(&layer.profiles_dir, &mut self.profiles_dir);
        path(&layer.ffmpeg, &mut self.ffmpeg);
        path(&layer.ffprobe, &mut self.ffprobe);
        path(&layer.asr_python, &mut self.asr_python);
        path(&layer.asr_engine, &mut self.asr_engine);
        path(&layer.asr_model, &mut self.asr_model);
        if layer.database_url.is_some() {
            self.database_url.clone_from(&layer.database_url);
        }
        if layer.index_dir.is_some() {
            self.index_dir.clone_from(&layer.index_dir);
        }
    }

    /// Counts and durations. A value below the least that works is raised to it, from the
    /// file and from the environment alike, with a warning naming the setting.
    fn apply_limits(&mut self, layer: &Layer, name: &dyn Fn(&'static str) -> &'static str) {
        if let Some(v) = layer.index_poll_ms {
            self.index_poll_ms = v;
        }
        if let Some(v) = layer.workers {
            self.workers = at_least(v, 1, name("workers"));
        }
        if let Some(v) = layer.transcodes {
            self.transcodes = at_least(v, 1, name("transcodes"));
        }
        if let Some(v) = layer.job_lease_seconds {
            self.job_lease_seconds = at_least(v, 1, name("job_lease_seconds"));
        }
        if let Some(v) = layer.job_retry_seconds {
            self.job_retry_seconds = at_least(v, 0, name("job_retry_seconds"));
        }
        if let Some(v) = layer.transcode_timeout_base {
            self.transcode_timeout_base = at_least(v, 1.0, name("transcode_timeout_base"));
        }
        if let Some(v) = layer.transcode_timeout_factor {
            let setting = name("transcode_timeout_factor");
            self.transcode_timeout_factor = at_least(v, 0.0, setting);
        }
        if let Some(v) = layer.upload_limit {
            self.upload_limit = at_least(v, 1, name("upload_limit"));
        }
        if let Some(v) = layer.clip_max_seconds {
            self.clip_max_seconds = at_least(v, 1, name("clip_max_seconds"));
        }
        if let Some(v) = layer.clip_cache_mb {
            self.clip_cache_mb = at_least(v, 1, name("clip_cache_mb"));
        }
        if let Some(v) = layer.alerts_poll_seconds {
            self.alerts_poll_seconds = at_least(v, 1, name("alerts_poll_seconds"));
        }
    }

    /// How long a transcode of a source lasting `duration_s` may run before it is presumed
    /// hung: generous, and scaled to the source so a three-hour session is not cut short.
    pub fn transcode_timeout(&self, duration_s: f64) -> std::time::Duration {
        std::time::Duration::from_secs_f64(
            self.transcode_timeout_base + duration_s.max(0.0) * self.transcode_timeout_factor,
        )
    }

    /// Whether the archive offers e-mail alerts: an SMTP server to send through and the
    /// public address their links name.
    pub fn alerts_enabled(&self) -> bool {
        self.smtp_host.is_some() && self.public_url.is_some()
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

/// `value`, or `min` (with a warning) when it is below it.
fn at_least<T: PartialOrd + std::fmt::Display + Copy>(value: T, min: T, name: &str) -> T {
    if value < min {
        tracing::warn!("{name} = {value} is below the least that works; {min} is used");
        min
    } else {
        value
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

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn layers_apply_in_order() {
        let file = "data_dir = \"/srv/aula\"\nlisten = \"0.0.0.0:9000\"\n";
        let config = Config::from_layers(Some((Path::new("aula.toml"), file)), env(&[])).unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/srv/aula"));
        assert_eq!(config.listen.port(), 9000);
        let config = Config::from_layers(
            Some((Path::new("aula.toml"), file)),
            env(&[("AULA_LISTEN", "127.0.0.1:0")]),
        )
        .unwrap();
        assert_eq!(config.listen.port(), 0);
        assert_eq!(config.data_dir, PathBuf::from("/srv/aula"));
        assert_eq!(config.database_url(), "sqlite:///srv/aula/aula.db");
        assert_eq!(config.index_dir(), PathBuf::from("/srv/aula/index"));
    }

    #[test]
    fn alerts_need_a_sender_and_the_public_address_and_a_known_tls() {
        let from = |vars: &[(&str, &str)]| Config::from_layers(None, env(vars));
        let server = ("AULA_SMTP_HOST", "smtp.comune.example.it");
        let sender = ("AULA_MAIL_FROM", "Archivio <archivio@comune.example.it>");
        let public = ("AULA_PUBLIC_URL", "https://video.comune.example.it/");
        let ok = from(&[
            server,
            sender,
            public,
            ("AULA_SMTP_TLS", "tls"),
            ("AULA_SMTP_PORT", "465"),
        ])
        .unwrap();
        assert!(ok.alerts_enabled());
        assert_eq!((ok.smtp_tls, ok.smtp_port), (SmtpTls::Tls, 465));
        assert!(!from(&[]).unwrap().alerts_enabled());
        for (vars, names) in [
            (vec![server, public], "AULA_MAIL_FROM"),
            (vec![server, sender], "AULA_PUBLIC_URL"),
            (
                vec![server, sender, public, ("AULA_SMTP_TLS", "ssl")],
                "AULA_SMTP_TLS",
            ),
            (
                vec![server, ("AULA_MAIL_FROM", "archivio"), public],
                "AULA_MAIL_FROM",
            ),
        ] {
            let refused = from(&vars).unwrap_err().to_string();
            assert!(refused.contains(names), "{refused}");
        }
    }

    #[test]
    fn the_file_and_the_environment_agree() {
        let from_file =
            |text: &str| Config::from_layers(Some((Path::new("a.toml"), text)), env(&[]));
        let from_env = |vars: &[(&str, &str)]| Config::from_layers(None, env(vars));
        for (file, vars) in [
            ("workers = 0", [("AULA_WORKERS", "0")]),
            ("upload_limit = 0", [("AULA_UPLOAD_LIMIT", "0")]),
            ("job_lease_seconds = 0", [("AULA_JOB_LEASE_SECONDS", "0")]),
            (
                "transcode_timeout_base = 0.5",
                [("AULA_TRANSCODE_TIMEOUT_BASE", "0.5")],
            ),
            (
                "owner_name = \"  Comune  \"",
                [("AULA_OWNER_NAME", "  Comune  ")],
            ),
            (
                "public_url = \"https://x.example/ \"",
                [("AULA_PUBLIC_URL", "https://x.example/ ")],
            ),
            ("public_url = \"\"", [("AULA_PUBLIC_URL", "")]),
        ] {
            let (a, b) = (from_file(file).unwrap(), from_env(&vars).unwrap());
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{file}");
        }
        let a = from_file("workers = 0").unwrap();
        assert_eq!((a.workers, a.upload_limit), (1, 8 << 30));
        assert_eq!(
            from_env(&[("AULA_PUBLIC_URL", "https://x.example/")])
                .unwrap()
                .public_url
                .as_deref(),
            Some("https://x.example")
        );
        assert!(from_file("workers = -1").is_err());
        let err = from_env(&[("AULA_WORKERS", "-1")]).unwrap_err();
        assert!(err.to_string().contains("AULA_WORKERS"), "{err}");
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
        let err = Config::from_layers(None, env(&[("AULA_LISTEN", "localhost")])).unwrap_err();
        assert!(err.to_string().contains("AULA_LISTEN"), "{err}");
        let err =
            Config::from_layers(Some((Path::new("x.toml"), "colour = 1")), env(&[])).unwrap_err();
        assert!(err.to_string().contains("x.toml"), "{err}");
        let err = Config::from_layers(
            Some((Path::new("x.toml"), "listen = \"nowhere\"")),
            env(&[]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("listen"), "{err}");
        let err = Config::from_layers(None, env(&[("AULA_OWNER_URL", "javascript:alert(1)")]))
            .unwrap_err();
        assert!(err.to_string().contains("AULA_OWNER_URL"), "{err}");
        let err = Config::from_layers(None, env(&[("AULA_INDEX_POLL_MS", "soon")])).unwrap_err();
        assert!(err.to_string().contains("AULA_INDEX_POLL_MS"), "{err}");
        let file =
            "owner_name = \"Comune di Esempio\"\nowner_url = \"https://comune.example.it\"\n";
        let config = Config::from_layers(Some((Path::new("aula.toml"), file)), env(&[])).unwrap();
        assert_eq!(config.owner_name.as_deref(), Some("Comune di Esempio"));
        assert_eq!(
            config.owner_url.as_deref(),
            Some("https://comune.example.it")
        );
    }

    /// Every key of `SETTINGS` is a field of `Layer`.
    #[test]
    fn every_setting_is_a_layer_field() {
        for s in SETTINGS {
            let value = match s.kind {
                Kind::Text => toml::Value::String("x".into()),
                Kind::Whole => toml::Value::Integer(1),
                Kind::Number => toml::Value::Float(1.0),
            };
            let mut one = toml::Table::new();
            one.insert(s.key.into(), value);
            let read = toml::Value::Table(one).try_into::<Layer>();
            assert!(read.is_ok(), "{}: {read:?}", s.key);
            assert_eq!(s.env, format!("AULA_{}", s.key.to_ascii_uppercase()));
        }
    }

    /// README.md's configuration section names exactly the variables aula reads.
    #[test]
    fn the_readme_lists_every_variable() {
        let readme = include_str!("../README.md");
        let start = readme
            .find("### Configuration")
            .expect("a configuration section");
        let section = &readme[start..];
        let end = section[3..].find("\n### ").map_or(section.len(), |i| i + 3);
        let listed: std::collections::BTreeSet<String> = section[..end]
            .split(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .filter(|w| w.starts_with("AULA_") && w.len() > 5)
            .map(String::from)
            .collect();
        let known: std::collections::BTreeSet<String> = SETTINGS
            .iter()
            .map(|s| s.env.to_string())
            .chain(PROCESS_VARIABLES.iter().map(|(v, _)| v.to_string()))
            .collect();
        assert_eq!(listed, known);
    }
}
