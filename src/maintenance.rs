//! What the IT office runs to keep an archive healthy for years: `aula doctor` (is this
//! machine able to run it, and what to fix), `aula backup` / `aula restore` (the catalog;
//! the index is rebuilt, never backed up), and `aula fixity` (every original still has the
//! checksum it was stored under). Every tool it asks (ffmpeg, ffprobe, pg_dump,
//! pg_restore) runs through `process`, with a time limit; it never starts a child itself.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::catalog::{redact_url, Backend, Catalog, StoredFile};
use crate::config::{Config, UrlCredentials};
use crate::ingest::plan::Profile;
use crate::process::{self, ProcessError};
use crate::storage::originals::sha256_and_size;

/// How long `ffmpeg -version` or one of its listings may take: they answer at once.
const TOOL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long pg_dump or pg_restore may run: a catalog holds metadata only, so even a
/// large archive's dumps in minutes; an hour means the server stopped answering.
const PG_TIMEOUT: Duration = Duration::from_secs(3600);

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Works, but deserves attention (low disk space, say).
    Warn,
    /// aula cannot do part of its work until this is fixed.
    Fail,
}

#[derive(Debug, Clone)]
pub struct Check {
    pub status: Status,
    pub what: String,
    pub detail: String,
    /// What to do about it (empty when all is well).
    pub fix: String,
}

impl Check {
    fn ok(what: &str, detail: impl Into<String>) -> Check {
        Check {
            status: Status::Ok,
            what: what.into(),
            detail: detail.into(),
            fix: String::new(),
        }
    }

    fn bad(status: Status, what: &str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            status,
            what: what.into(),
            detail: detail.into(),
            fix: fix.into(),
        }
    }
}

/// Decoders for the legacy formats town halls have (and the names people know them by).
pub const LEGACY_DECODERS: &[(&str, &str)] = &[
    ("flv", "Flash Video (Sorenson H.263)"),
    ("vp6f", "Flash Video (On2 VP6)"),
    ("h263", "H.263 (3GP, old phones)"),
    ("h264", "H.264"),
    ("mpeg4", "MPEG-4 Part 2 (DivX, Xvid, 3GP)"),
    ("msmpeg4", "Microsoft MPEG-4 v3 (old AVI)"),
    ("wmv1", "Windows Media Video 7"),
    ("wmv2", "Windows Media Video 8"),
    ("wmv3", "Windows Media Video 9"),
    ("vc1", "VC-1"),
    ("rv10", "RealVideo 1"),
    ("rv20", "RealVideo 2"),
    ("rv30", "RealVideo 3"),
    ("rv40", "RealVideo 4"),
    ("mpeg1video", "MPEG-1 video"),
    ("mpeg2video", "MPEG-2 video (DVD, broadcast)"),
    ("dvvideo", "DV"),
    ("mjpeg", "Motion JPEG"),
    ("mp2", "MPEG audio layer 2"),
    ("mp3", "MP3"),
    ("aac", "AAC"),
    ("ac3", "AC-3 (DVD audio)"),
    ("wmav1", "Windows Media Audio 1"),
    ("wmav2", "Windows Media Audio 2"),
    ("cook", "RealAudio Cook"),
    ("real_144", "RealAudio 1.0"),
    ("real_288", "RealAudio 2.0"),
    ("amrnb", "AMR-NB (3GP speech)"),
    ("pcm_s16le", "PCM (WAV, DV)"),
    ("adpcm_ima_qt", "IMA ADPCM (QuickTime)"),
    ("nellymoser", "Nellymoser (Flash speech)"),
];

/// Containers of the same recordings.
pub const LEGACY_DEMUXERS: &[&str] = &[
    "flv", "asf", "rm", "mpeg", "mpegts", "dv", "avi", "mov", "mp3", "wav", "matroska",
];

/// Encoders, filters and muxers the transcode itself uses, beyond the profiles' own.
const PIPELINE_ENCODERS: &[&str] = &["libx264", "aac", "mjpeg"];
const PIPELINE_FILTERS: &[&str] = &[
    "scale",
    "fps",
    "tile",
    "pan",
    "concat",
    "ebur128",
    "alimiter",
    "aresample",
    "split",
    "asplit",
];
const PIPELINE_MUXERS: &[&str] = &["hls", "mp4", "ipod", "image2"];
/// What the live ladder asks of ffmpeg besides the archive's: the encoders' containers
/// read from its standard input, and the sound for live captions cut into WAV chunks.
const LIVE_DEMUXERS: &[&str] = &["flv", "mpegts"];
const LIVE_MUXERS: &[&str] = &["segment", "wav"];

/// Below this much free space (bytes) in the data directory, doctor warns.
const LOW_SPACE: u64 = 10 << 30;

/// Everything `aula doctor` checks, in order. It changes only what a first start would:
/// the data directory's layout is created if missing (with a probe file written and
/// removed in each), and a new SQLite catalog is created and migrated.
pub async fn doctor(config: &Config) -> Vec<Check> {
    let mut checks = Vec::new();
    checks.extend(tool_checks(config).await);
    checks.extend(storage_checks(config));
    checks.push(media_check(config).await);
    checks.push(database_check(config).await);
    checks.push(speech_check(config).await);
    checks
}

/// The speech engine, started and its model loaded. Without it the archive works, but
/// sessions get no automatic transcript: a warning, not a failure.
async fn speech_check(config: &Config) -> Check {
    match crate::speech::check(config).await {
        Ok(what) => Check::ok("speech to text", what),
        Err(e) => Check::bad(
            Status::Warn,
            "speech to text",
            e.to_string(),
            "sessions get no automatic transcript; run scripts/install-deps.sh (it installs \
             the engine into .venv-asr), or set AULA_ASR_PYTHON / AULA_ASR_ENGINE / \
             AULA_ASR_MODEL",
        ),
    }
}

/// The published media area: a probe written, read back and deleted (on disk, or in the
/// object store when `AULA_MEDIA_STORE` names one).
async fn media_check(config: &Config) -> Check {
    let store = match crate::storage::MediaStore::from_config(config) {
        Ok(store) => store,
        Err(e) => {
            return Check::bad(
                Status::Fail,
                "media store",
                e.to_string(),
                "fix AULA_MEDIA_STORE / AULA_S3_ENDPOINT",
            )
        }
    };
    match store.check().await {
        Ok(detail) => Check::ok("media store", detail),
        Err(e) => Check::bad(
            Status::Fail,
            "media store",
            e.to_string(),
            "check the endpoint, the bucket and the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY",
        ),
    }
}

/// What `tool args…` printed, or why it could not be asked.
async fn run(tool: &Path, args: &[&str]) -> Result<String, String> {
    let out = process::run(tool, args, TOOL_TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The names in the listing `ffmpeg -decoders` (or -encoders, -filters, -muxers,
/// -demuxers) prints: the second word of each line after the legend's `---` rule (for
/// filters the rule is absent; their lines start with flags, then the name).
fn listed_names(listing: &str) -> Vec<String> {
    let body = match listing.find(" ------") {
        Some(i) => &listing[i..],
        None => listing,
    };
    body.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let flags = words.next()?;
            if flags.starts_with('-') || flags.ends_with(':') || flags == "=" {
                return None;
            }
            // Muxer and demuxer names may be lists ("mov,mp4,m4a,3gp,3g2,mj2").
            words.next().map(str::to_string)
        })
        .flat_map(|name| name.split(',').map(str::to_string).collect::<Vec<_>>())
        .collect()
}

fn missing<'a>(listing: &str, wanted: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let names = listed_names(listing);
    wanted
        .into_iter()
        .filter(|w| !names.iter().any(|n| n == w))
        .collect()
}

async fn tool_checks(config: &Config) -> Vec<Check> {
    let install = "install Debian's ffmpeg (apt-get install ffmpeg), or set AULA_FFMPEG / \
                   AULA_FFPROBE to a full build";
    let mut checks = Vec::new();
    for (what, tool) in [("ffmpeg", &config.ffmpeg), ("ffprobe", &config.ffprobe)] {
        match run(tool, &["-hide_banner", "-version"]).await {
            Ok(v) => checks.push(Check::ok(
                what,
                v.lines().next().unwrap_or_default().trim().to_string(),
            )),
            Err(e) => {
                checks.push(Check::bad(Status::Fail, what, e, install));
                return checks;
            }
        }
    }
    let ffmpeg = &config.ffmpeg;
    let listing = |kind: &'static str| async move {
        run(ffmpeg, &["-hide_banner", kind])
            .await
            .unwrap_or_default()
    };
    checks.push(decoder_check(&listing("-decoders").await));
    checks.push(demuxer_check(&listing("-demuxers").await));
    checks.push(profile_check(config));
    checks.push(live_check(
        config,
        &listing("-demuxers").await,
        &listing("-muxers").await,
    ));
    for (what, kind, wanted) in [
        ("encoders", "-encoders", PIPELINE_ENCODERS),
        ("filters", "-filters", PIPELINE_FILTERS),
        ("muxers", "-muxers", PIPELINE_MUXERS),
    ] {
        let gone = missing(&listing(kind).await, wanted.iter().copied());
        checks.push(if gone.is_empty() {
            Check::ok(what, wanted.join(", "))
        } else {
            Check::bad(
                Status::Fail,
                what,
                format!("missing: {}", gone.join(", ")),
                "no recording can be transcoded; install Debian's ffmpeg (built with libx264)",
            )
        });
    }
    checks
}

/// Live sessions: off unless an address for encoders is set; then what ffmpeg needs for
/// the live ladder and its captions. (The addresses themselves are bound at start, which
/// says so if one is taken.)
fn live_check(config: &Config, demuxers: &str, muxers: &str) -> Check {
    let addresses: Vec<String> = [("RTMP", config.live_rtmp), ("SRT", config.live_srt)]
        .into_iter()
        .filter_map(|(name, at)| at.map(|at| format!("{name} {at}")))
        .collect();
    if addresses.is_empty() {
        return Check::ok(
            "live sessions",
            "off (AULA_LIVE_RTMP / AULA_LIVE_SRT unset)",
        );
    }
    let mut gone = missing(demuxers, LIVE_DEMUXERS.iter().copied());
    gone.extend(missing(muxers, LIVE_MUXERS.iter().copied()));
    if gone.is_empty() {
        Check::ok("live sessions", addresses.join(", "))
    } else {
        Check::bad(
            Status::Fail,
            "live sessions",
            format!("ffmpeg is missing: {}", gone.join(", ")),
            "live streams cannot be packaged; install Debian's ffmpeg",
        )
    }
}

fn decoder_check(decoders: &str) -> Check {
    let gone = missing(decoders, LEGACY_DECODERS.iter().map(|(n, _)| *n));
    if gone.is_empty() {
        return Check::ok(
            "legacy decoders",
            format!("all {} present", LEGACY_DECODERS.len()),
        );
    }
    let named: Vec<String> = gone
        .iter()
        .map(|g| {
            let label = LEGACY_DECODERS
                .iter()
                .find(|(n, _)| n == g)
                .map(|(_, l)| *l);
            format!("{g} ({})", label.unwrap_or(""))
        })
        .collect();
    Check::bad(
        Status::Warn,
        "legacy decoders",
        format!("missing: {}", named.join(", ")),
        "recordings in these formats will fail to ingest; use a full ffmpeg build",
    )
}

fn demuxer_check(demuxers: &str) -> Check {
    let gone = missing(demuxers, LEGACY_DEMUXERS.iter().copied());
    if gone.is_empty() {
        Check::ok(
            "legacy containers",
            format!("all {} present", LEGACY_DEMUXERS.len()),
        )
    } else {
        Check::bad(
            Status::Warn,
            "legacy containers",
            format!("missing: {}", gone.join(", ")),
            "files in these containers will fail to ingest; use a full ffmpeg build",
        )
    }
}

/// The profiles' ladders, which the pipeline checks after it are for.
fn profile_check(config: &Config) -> Check {
    match Profile::load_dir(&config.profiles_dir) {
        Ok(profiles) if !profiles.is_empty() => {
            let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
            Check::ok(
                "transcode profiles",
                format!("{} in {}", names.join(", "), config.profiles_dir.display()),
            )
        }
        Ok(_) => Check::bad(
            Status::Fail,
            "transcode profiles",
            format!("none in {}", config.profiles_dir.display()),
            "point AULA_PROFILES_DIR at the transcode-profiles directory",
        ),
        Err(e) => Check::bad(
            Status::Fail,
            "transcode profiles",
            e.to_string(),
            "fix the profile file named above",
        ),
    }
}

async fn database_check(config: &Config) -> Check {
    let url = config.database_url();
    match Catalog::open(&url).await {
        Ok(catalog) => match catalog.ping().await {
            Ok(()) => {
                let engine = match catalog.backend() {
                    Backend::Sqlite => "SQLite",
                    Backend::Postgres => "PostgreSQL",
                };
                Check::ok(
                    "catalog",
                    format!("{engine} at {}, schema up to date", redact_url(&url)),
                )
            }
            Err(e) => Check::bad(
                Status::Fail,
                "catalog",
                e.to_string(),
                "check that the database server runs",
            ),
        },
        Err(e) => Check::bad(
            Status::Fail,
            "catalog",
            e.to_string(),
            "check AULA_DATABASE_URL, that the server runs and the user may connect",
        ),
    }
}

/// Free and total bytes of the filesystem holding `path`.
pub fn disk_space(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `s` a valid out-parameter.
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return None;
    }
    let block = s.f_frsize as u64;
    Some((s.f_bavail as u64 * block, s.f_blocks as u64 * block))
}

fn storage_checks(config: &Config) -> Vec<Check> {
    let mut checks = Vec::new();
    let dirs = [
        ("originals", config.originals_dir()),
        ("media", config.media_dir()),
        ("staging", config.staging_dir()),
        ("search index", config.index_dir()),
    ];
    for (what, dir) in dirs {
        let probe = dir.join(format!(".aula-doctor-{}", std::process::id()));
        let written = std::fs::create_dir_all(&dir)
            .and_then(|_| std::fs::write(&probe, b"ok"))
            .and_then(|_| std::fs::remove_file(&probe));
        checks.push(match written {
            Ok(()) => Check::ok(what, format!("{} is writable", dir.display())),
            Err(e) => Check::bad(
                Status::Fail,
                what,
                format!("{}: {e}", dir.display()),
                "give the user aula runs as write access to it (and its parents)",
            ),
        });
    }
    match disk_space(&config.data_dir) {
        Some((free, total)) => {
            let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
            let detail = format!(
                "{:.1} GiB free of {:.1} GiB in {}",
                gib(free),
                gib(total),
                config.data_dir.display()
            );
            checks.push(if free < LOW_SPACE {
                Check::bad(
                    Status::Warn,
                    "free space",
                    detail,
                    "a transcode needs several times its source's size in staging; free space",
                )
            } else {
                Check::ok("free space", detail)
            });
        }
        None => checks.push(Check::bad(
            Status::Warn,
            "free space",
            format!("cannot measure {}", config.data_dir.display()),
            "",
        )),
    }
    checks
}

#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    #[error("{0}")]
    Io(String),
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    #[error("{0}")]
    Refused(String),
}

fn io(context: impl std::fmt::Display, e: std::io::Error) -> MaintenanceError {
    MaintenanceError::Io(format!("{context}: {e}"))
}

/// What a backup holds: the catalog file it wrote, and a README saying how to restore.
pub struct BackupReport {
    pub catalog_file: PathBuf,
    pub bytes: u64,
    pub sha256: String,
}

const CATALOG_SQLITE: &str = "catalog.sqlite3";
const CATALOG_PGDUMP: &str = "catalog.pgdump";

/// Backs the catalog up into `dest` (created; must not hold a backup already): a
/// consistent SQLite copy taken while the archive runs, or `pg_dump --format=custom` of a
/// PostgreSQL catalog. Originals and media are files, copied with the usual tools; the
/// search index is rebuilt from the catalog (`aula reindex`), never backed up.
pub async fn backup(config: &Config, dest: &Path) -> Result<BackupReport, MaintenanceError> {
    std::fs::create_dir_all(dest).map_err(|e| io(dest.display(), e))?;
    for name in [CATALOG_SQLITE, CATALOG_PGDUMP] {
        if dest.join(name).exists() {
            return Err(MaintenanceError::Refused(format!(
                "{} already holds a backup ({name}); choose an empty directory",
                dest.display()
            )));
        }
    }
    let catalog = Catalog::open(&config.database_url()).await?;
    let file = match catalog.backend() {
        Backend::Sqlite => {
            let file = dest.join(CATALOG_SQLITE);
            catalog.snapshot_sqlite(&file).await?;
            file
        }
        Backend::Postgres => {
            let file = dest.join(CATALOG_PGDUMP);
            pg_tool("pg_dump", &config.database_url(), |url| {
                let args = ["--format=custom", "--no-owner", "--file"].map(OsString::from);
                let mut args = Vec::from(args);
                args.extend([file.clone().into_os_string(), url.into()]);
                args
            })
            .await?;
            file
        }
    };
    let (sha256, bytes) = sha256_and_size(&file).map_err(|e| io(file.display(), e))?;
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    let readme = format!(
        "aula catalog backup\n\
         made: {}\n\
         aula: {}\n\
         file: {name} ({bytes} bytes, sha256 {sha256})\n\
         \n\
         To restore (servers and workers stopped):\n\
         \x20 aula restore {dir}\n\
         then start them again: each server rebuilds its search index from the catalog\n\
         (or run `aula reindex`). Originals and media are not in this backup: copy the\n\
         data directory's originals/ and media/ with your file backup, and check them\n\
         afterwards with `aula fixity`.\n",
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        env!("CARGO_PKG_VERSION"),
        dir = dest.display(),
    );
    std::fs::write(dest.join("README.txt"), readme).map_err(|e| io(dest.display(), e))?;
    Ok(BackupReport {
        catalog_file: file,
        bytes,
        sha256,
    })
}

/// Puts a backup made by `backup` back as the catalog. SQLite: the file replaces the
/// catalog (the old one is kept beside it as `aula.db.before-restore`). PostgreSQL:
/// `pg_restore --clean` into the configured database. Run with servers stopped.
pub async fn restore(config: &Config, from: &Path) -> Result<PathBuf, MaintenanceError> {
    let sqlite = from.join(CATALOG_SQLITE);
    let pgdump = from.join(CATALOG_PGDUMP);
    let url = config.database_url();
    let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
    if postgres {
        if !pgdump.exists() {
            return Err(MaintenanceError::Refused(format!(
                "{} holds no {CATALOG_PGDUMP}: not a backup of a PostgreSQL catalog",
                from.display()
            )));
        }
        pg_tool("pg_restore", &url, |url| {
            let args = [
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
            ];
            let mut args = Vec::from(args.map(OsString::from));
            args.extend([url.into(), pgdump.clone().into_os_string()]);
            args
        })
        .await?;
    } else {
        if !sqlite.exists() {
            return Err(MaintenanceError::Refused(format!(
                "{} holds no {CATALOG_SQLITE}: not a backup of a SQLite catalog",
                from.display()
            )));
        }
        let target = sqlite_path(&url)?;
        let dir = target.parent().unwrap_or(Path::new("."));
        let name = target
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        // The backup is copied first, and the copy (never the backup) is opened to check
        // it is a catalog and bring its schema up to date.
        let staged = dir.join(format!("{name}.restoring"));
        std::fs::copy(&sqlite, &staged).map_err(|e| io(staged.display(), e))?;
        let probe = Catalog::open(&format!("sqlite://{}", staged.display())).await?;
        probe.ping().await?;
        probe.checkpoint_and_close().await?;
        if target.exists() {
            // The current catalog, complete (its WAL folded in), is kept beside it.
            let current = Catalog::open(&url).await?;
            current.checkpoint_and_close().await?;
            let kept = dir.join(format!("{name}.before-restore"));
            std::fs::copy(&target, &kept).map_err(|e| io(kept.display(), e))?;
        }
        for stale in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(dir.join(format!("{name}{stale}")));
            let _ = std::fs::remove_file(dir.join(format!("{name}.restoring{stale}")));
        }
        // One rename: there is never a moment without a catalog file.
        std::fs::rename(&staged, &target).map_err(|e| io(target.display(), e))?;
    }
    // The restored catalog is the truth now: every index rebuilds from it.
    let catalog = Catalog::open(&url).await?;
    catalog.request_reindex().await?;
    Ok(if postgres { pgdump } else { sqlite })
}

/// The file of a `sqlite:` catalog URL.
fn sqlite_path(url: &str) -> Result<PathBuf, MaintenanceError> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| MaintenanceError::Refused(format!("{url} is not a SQLite catalog")))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        return Err(MaintenanceError::Refused(format!("{url} names no file")));
    }
    Ok(PathBuf::from(path))
}

/// Runs a PostgreSQL client tool on `url`'s database, with the arguments `args` makes
/// from the URL. The password is taken out of that URL (where `ps` would show it) and
/// given through `PGPASSWORD` instead.
async fn pg_tool(
    program: &str,
    url: &str,
    args: impl FnOnce(String) -> Vec<OsString>,
) -> Result<(), MaintenanceError> {
    let credentials = UrlCredentials::parse(url);
    let env: Vec<(&str, &str)> = credentials
        .password
        .as_deref()
        .map(|p| ("PGPASSWORD", p))
        .into_iter()
        .collect();
    let args = args(credentials.without_password.clone());
    match process::run_with_env(Path::new(program), &args, &env, PG_TIMEOUT).await {
        Ok(_) => Ok(()),
        Err(ProcessError::Spawn { source, .. }) => Err(MaintenanceError::Io(format!(
            "cannot start {program}: {source}; install the PostgreSQL client tools \
             (Debian: apt-get install postgresql-client) so {program} is in $PATH"
        ))),
        Err(ProcessError::Failed { stderr, .. }) => {
            Err(MaintenanceError::Io(format!("{program} failed: {stderr}")))
        }
        Err(e) => Err(MaintenanceError::Io(e.to_string())),
    }
}

/// One original whose bytes are no longer what was stored.
#[derive(Debug, Clone)]
pub struct FixityProblem {
    pub file: StoredFile,
    /// "missing", "changed" (different checksum) or "unreadable: …"
    pub problem: String,
}

#[derive(Debug, Default)]
pub struct FixityReport {
    pub checked: usize,
    pub bytes: u64,
    pub problems: Vec<FixityProblem>,
}

/// Re-hashes every original recording and document the catalog knows, and reports any
/// that vanished or whose bytes changed. Reads only.
pub async fn fixity(config: &Config, catalog: &Catalog) -> Result<FixityReport, MaintenanceError> {
    let files = catalog.stored_files().await?;
    let data_dir = config.data_dir.clone();
    tokio::task::spawn_blocking(move || {
        let mut report = FixityReport::default();
        for file in files {
            let path = data_dir.join(&file.stored_path);
            report.checked += 1;
            let problem = match sha256_and_size(&path) {
                Ok((sha, size)) => {
                    report.bytes += size;
                    (sha != file.sha256).then(|| "changed".to_string())
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some("missing".into()),
                Err(e) => Some(format!("unreadable: {e}")),
            };
            if let Some(problem) = problem {
                report.problems.push(FixityProblem { file, problem });
            }
        }
        report
    })
    .await
    .map_err(|e| MaintenanceError::Io(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_from_ffmpeg_listings() {
        let decoders = "Decoders:\n V..... = Video\n ------\n V....D flv   FLV / Sorenson\n \
                        A....D mp3   MP3 (MPEG audio layer 3)\n";
        assert_eq!(listed_names(decoders), vec!["flv", "mp3"]);
        let muxers = "File formats:\n D. = Demuxing supported\n --\n  E mov,mp4,m4a QuickTime\n";
        // No " ------" rule of six: the legend lines are filtered by their shape.
        let names = listed_names(muxers);
        assert!(names.contains(&"mp4".to_string()), "{names:?}");
        assert_eq!(missing(decoders, ["flv", "wmv3"]), vec!["wmv3"]);
    }

    #[test]
    fn live_sessions_need_ffmpeg_s_containers_only_when_on() {
        let demuxers = "File formats:\n --\n D  flv   FLV\n D  mpegts MPEG-TS\n";
        let muxers = "File formats:\n --\n  E wav   WAV\n";
        let mut config = Config::default();
        assert_eq!(live_check(&config, demuxers, muxers).status, Status::Ok);
        config.live_srt = Some("127.0.0.1:9000".parse().unwrap());
        let check = live_check(&config, demuxers, muxers);
        assert_eq!(check.status, Status::Fail);
        assert!(check.detail.contains("segment"), "{check:?}");
        let muxers = "File formats:\n --\n  E segment segment\n  E wav   WAV\n";
        let check = live_check(&config, demuxers, muxers);
        assert_eq!(check.status, Status::Ok, "{check:?}");
        assert_eq!(check.detail, "SRT 127.0.0.1:9000");
    }
}
