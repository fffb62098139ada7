//! The `aula` command: parses arguments, builds the configuration, calls the library, and
//! turns its errors into messages and exit codes. No archive logic lives here.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

use aula::catalog::{BodyName, SessionDate, SessionTitle};
use aula::http::Application;
use aula::ingest::batch::{self, FileReport, FileResult, Summary};
use aula::ingest::{self, Progress, Submission, Submitted};
use aula::jobs::Outcome;
use aula::{Archive, Config};

#[derive(Parser)]
#[command(
    name = "aula",
    version,
    about = "Council-session video archive and streaming server"
)]
struct Cli {
    /// Configuration file (TOML); AULA_* environment variables and flags override it.
    #[arg(long, global = true, env = "AULA_CONFIG")]
    config: Option<PathBuf>,
    /// Where the archive lives (originals, media, catalog, index). Default: ./data
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start-up; the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Serve the archive over HTTP, with a transcode worker in the same process.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
        #[arg(long)]
        listen: Option<String>,
        /// Do not run transcode jobs here (run `aula worker` elsewhere).
        #[arg(long)]
        no_worker: bool,
    },
    /// Run queued transcode jobs until stopped (Ctrl-C or SIGTERM gives running jobs back).
    Worker,
    /// Show the transcode jobs: state, progress, failure reasons.
    Jobs {
        /// Only jobs in this state: queued, running, done or failed.
        #[arg(long)]
        state: Option<String>,
        /// Queue a failed job again.
        #[arg(long)]
        retry: Option<i64>,
    },
    /// Add recordings to the archive and wait until they are published or have failed.
    ///
    /// One or more files make one session (several files are its parts, in order). A
    /// directory makes one session per recording found in it, with the date taken from
    /// each file's name (or --date) and the title from the name (or --title).
    Ingest {
        /// The recording, its parts, or a directory of recordings.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The body that held the session, e.g. "Commissione Urbanistica".
        #[arg(long)]
        body: String,
        /// Date of the session, YYYY-MM-DD.
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        title: Option<String>,
        /// Only queue the jobs; a running server or `aula worker` transcodes them.
        #[arg(long)]
        no_wait: bool,
        /// Print the summary as JSON on standard output.
        #[arg(long)]
        json: bool,
        /// ordinary, extraordinary, …
        #[arg(long, default_value = "ordinary")]
        kind: String,
        /// Agenda (ordine del giorno): PDF, DOCX, ODT, DOC, RTF, HTML or text.
        #[arg(long)]
        agenda: Option<PathBuf>,
        /// Minutes (verbale), any document format.
        #[arg(long)]
        minutes: Option<PathBuf>,
        /// A resolution (delibera); may be repeated.
        #[arg(long)]
        resolution: Vec<PathBuf>,
        /// Any other attachment; may be repeated.
        #[arg(long)]
        attachment: Vec<PathBuf>,
        /// Transcript as SRT or WebVTT: captions and searchable, timed text.
        #[arg(long)]
        transcript: Option<PathBuf>,
        /// When each agenda item starts: CSV (time;title) or WebVTT chapters.
        #[arg(long)]
        timed_agenda: Option<PathBuf>,
    },
    /// Show how recordings would be transcoded: the profile, the rungs, and the exact
    /// ffmpeg command (nothing is written to the archive).
    Plan {
        /// The recording or its parts, in order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output directory to put in the printed command.
        #[arg(long, default_value = "out")]
        output: PathBuf,
    },
    /// Import the old archive's catalog (CSV or JSON, one row per session): every row is
    /// checked first, then each becomes a session with a queued transcode, and its old URLs
    /// redirect to it. Importing the same file again changes nothing.
    Import {
        file: PathBuf,
        /// Check every row and say what would happen, without changing anything.
        #[arg(long)]
        dry_run: bool,
        /// Import the good rows even if some are bad (the bad ones are listed).
        #[arg(long)]
        skip_bad: bool,
    },
    /// The old portal's addresses: import where they lead now, see which still lead nowhere.
    Legacy {
        #[command(subcommand)]
        action: LegacyAction,
    },
    /// Manage admin API tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Rebuild the search index from the catalog. Running servers rebuild theirs too, in
    /// the background, and swap the new index in when it is complete.
    Reindex,
    /// Check this machine: ffmpeg and ffprobe (the decoders legacy recordings need, the
    /// encoders the profiles need), the catalog, the storage directories and free space.
    /// Says what to fix; exits non-zero if aula cannot work here.
    Doctor,
    /// Back the catalog up into a new directory while the archive runs (SQLite: a
    /// consistent copy; PostgreSQL: pg_dump). Originals and media are files: back them up
    /// with your file backup. The search index is rebuilt, never backed up.
    Backup { dir: PathBuf },
    /// Put a catalog backup back (servers and workers stopped); every search index then
    /// rebuilds from it.
    Restore { dir: PathBuf },
    /// Re-hash every original recording and document and report any that changed or
    /// vanished; exits non-zero if one did.
    Fixity,
    /// Generate legacy-format demo recordings, ingest them and serve the archive.
    Demo {
        #[arg(long)]
        listen: Option<String>,
        /// Ingest only; do not start the server.
        #[arg(long)]
        no_serve: bool,
    },
}

#[derive(Subcommand)]
enum LegacyAction {
    /// Import a list "old URL → new URL" (one per line; the new URL may be 410 for a
    /// withdrawn item). Nothing is imported unless every line is good; importing the same
    /// list again changes nothing.
    Import {
        file: PathBuf,
        /// Check the list and say what would change, without changing anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// The most requested old addresses that still have no mapping.
    Report {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Make a token for the admin API; it is printed once and stored only as a hash.
    Create {
        /// Who or what uses it, e.g. "ufficio segreteria".
        name: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("AULA_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn,tantivy=warn,actix_server=warn".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // Human lines by default; one JSON object per line for log collectors.
    if std::env::var("AULA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        logs.json().with_current_span(true).init();
    } else {
        logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("aula: error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aula: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(dir) = cli.data_dir {
        config.data_dir = dir;
    }
    match cli.command {
        Command::Serve { listen, no_worker } => {
            if let Some(listen) = listen {
                config.set_listen(&listen)?;
            }
            serve(Archive::open(config).await?, !no_worker).await
        }
        Command::Doctor => {
            let checks = aula::maintenance::doctor(&config).await;
            let mut failed = 0;
            for c in &checks {
                let mark = match c.status {
                    aula::maintenance::Status::Ok => "ok  ",
                    aula::maintenance::Status::Warn => "WARN",
                    aula::maintenance::Status::Fail => {
                        failed += 1;
                        "FAIL"
                    }
                };
                println!("{mark} {:<20} {}", c.what, c.detail);
                if !c.fix.is_empty() {
                    println!("     {:<20} → {}", "", c.fix);
                }
            }
            if failed > 0 {
                bail!("{failed} check(s) failed: aula cannot work fully on this machine");
            }
            Ok(())
        }
        Command::Backup { dir } => {
            let report = aula::maintenance::backup(&config, &dir).await?;
            println!(
                "{} ({} bytes, sha256 {})",
                report.catalog_file.display(),
                report.bytes,
                report.sha256
            );
            eprintln!(
                "catalog backed up; see {}/README.txt to restore",
                dir.display()
            );
            Ok(())
        }
        Command::Restore { dir } => {
            let from = aula::maintenance::restore(&config, &dir).await?;
            eprintln!(
                "catalog restored from {}; search indexes rebuild from it when servers start",
                from.display()
            );
            Ok(())
        }
        Command::Fixity => {
            let archive = Archive::open(config).await?;
            let started = std::time::Instant::now();
            let report = aula::maintenance::fixity(&archive.config, &archive.catalog).await?;
            for p in &report.problems {
                println!(
                    "{}\t{} {} of session {}\t{}",
                    p.problem, p.file.kind, p.file.id, p.file.session_id, p.file.stored_path
                );
            }
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "{} files, {:.1} MB re-hashed in {secs:.1} s: {} problem(s)",
                report.checked,
                report.bytes as f64 / 1e6,
                report.problems.len()
            );
            if !report.problems.is_empty() {
                bail!("{} original(s) changed or vanished", report.problems.len());
            }
            Ok(())
        }
        Command::Worker => {
            let archive = Archive::open(config).await?;
            let (stop, stopped) = tokio::sync::watch::channel(false);
            tokio::spawn(async move {
                wait_for_stop_signal().await;
                eprintln!("stopping: giving running jobs back to the queue");
                let _ = stop.send(true);
            });
            aula::jobs::run(archive, stopped).await;
            Ok(())
        }
        Command::Jobs { state, retry } => {
            let archive = Archive::open(config).await?;
            if let Some(id) = retry {
                if !archive.catalog.requeue_job(id).await? {
                    bail!("job {id} is not a failed job");
                }
                eprintln!("job {id} queued again");
                return Ok(());
            }
            for (state, n) in archive.catalog.job_counts().await? {
                eprintln!("{state}: {n}");
            }
            for j in archive.catalog.jobs(state.as_deref(), 100).await? {
                println!(
                    "{:>6}  {:<8} session {:<6} attempt {}/{}  {:>5.1}%  {}",
                    j.id,
                    j.state,
                    j.session_id.map_or("-".into(), |s| s.to_string()),
                    j.attempts,
                    j.max_attempts,
                    j.progress.unwrap_or(0.0),
                    j.error.unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::Ingest {
            files,
            body,
            date,
            title,
            no_wait,
            json,
            kind,
            agenda,
            minutes,
            resolution,
            attachment,
            transcript,
            timed_agenda,
        } => {
            use aula::ingest::attach::DocumentKind as K;
            let mut documents: Vec<(K, PathBuf)> = Vec::new();
            documents.extend(agenda.map(|p| (K::Agenda, p)));
            documents.extend(minutes.map(|p| (K::Minutes, p)));
            documents.extend(resolution.into_iter().map(|p| (K::Resolution, p)));
            documents.extend(attachment.into_iter().map(|p| (K::Attachment, p)));
            documents.extend(transcript.map(|p| (K::Transcript, p)));
            documents.extend(timed_agenda.map(|p| (K::TimedAgenda, p)));
            let body = BodyName::parse(&body).context("--body")?;
            let date = date
                .map(|d| SessionDate::parse(&d).context("--date"))
                .transpose()?;
            let title = title
                .map(|t| SessionTitle::parse(&t).context("--title"))
                .transpose()?;
            let archive = Archive::open(config).await?;
            if let [dir] = &files[..] {
                if dir.is_dir() {
                    if !documents.is_empty() {
                        bail!(
                            "documents go with one session: give them with a file, not a directory"
                        );
                    }
                    let options = BatchOptions {
                        body,
                        date,
                        title,
                        kind,
                        no_wait,
                        json,
                    };
                    return ingest_directory(&archive, dir, &options).await;
                }
            }
            let submission = Submission {
                body,
                date: date.context("--date is needed for a single recording")?,
                title: title.context("--title is needed for a single recording")?,
                kind,
                documents,
                parts: files,
            };
            let result = ingest_one(&archive, &submission, no_wait, !json).await;
            let file = shown_parts(&submission.parts);
            if let FileResult::Published { warnings, .. } = &result {
                for w in warnings {
                    eprintln!("{file}: warning: {w}");
                }
            }
            let failure = match &result {
                FileResult::Failed { reason } => Some(reason.clone()),
                _ => None,
            };
            if json {
                let report = FileReport { file, result };
                println!(
                    "{}",
                    serde_json::to_string_pretty(&Summary::new(vec![report]))?
                );
            }
            match failure {
                Some(reason) => bail!("{reason}"),
                None => Ok(()),
            }
        }
        Command::Plan { files, output } => {
            let mut probes = Vec::new();
            for file in &files {
                let (probe, _) = ingest::probe::probe_file(&config.ffprobe, file)
                    .await
                    .with_context(|| file.display().to_string())?;
                probes.push(probe);
            }
            let plan = aula::jobs::plan_for(&config, &files, &probes, true).await?;
            eprintln!(
                "profile {}: {:.1} s, {} part(s)",
                plan.profile,
                plan.source_duration_s,
                plan.parts.len()
            );
            for r in &plan.rungs {
                let how = if r.copy {
                    "copied from the source"
                } else {
                    "H.264"
                };
                eprintln!("  {} {}×{} {how}", r.name, r.width, r.height);
            }
            for r in &plan.audio_rungs {
                eprintln!("  {} AAC {} kb/s", r.name, r.bitrate_kbps);
            }
            if let Some(gain) = plan.loudness_gain_db {
                eprintln!("  loudness gain {gain:+.1} dB");
            }
            if plan.copy_audio {
                eprintln!("  the source's AAC copied into the video rungs");
            }
            let inputs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
            let args = ingest::plan::ffmpeg_args(&plan, &inputs, &output);
            let quoted: Vec<String> = std::iter::once(config.ffmpeg.display().to_string())
                .chain(args)
                .map(|a| shell_quote(&a))
                .collect();
            println!("{}", quoted.join(" "));
            Ok(())
        }
        Command::Import {
            file,
            dry_run,
            skip_bad,
        } => {
            let archive = Archive::open(config).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let rows = aula::import::read_rows(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let base = file.parent().unwrap_or(Path::new(".")).to_path_buf();
            let total = rows.len();
            let (good, errors) = aula::import::check_rows(&archive, rows, &base).await;
            for e in &errors {
                eprintln!("{}: {e}", file.display());
            }
            // What the admin pages show as the last import, whatever its outcome.
            let record = |imported: usize, unchanged: usize, note: &str| {
                let problems: Vec<serde_json::Value> = errors
                    .iter()
                    .map(|e| {
                        let (line, reason) = e
                            .strip_prefix("line ")
                            .and_then(|r| r.split_once(": "))
                            .and_then(|(n, r)| Some((n.parse::<i64>().ok()?, r)))
                            .unwrap_or((0, e.as_str()));
                        serde_json::json!({ "line": line, "reason": reason })
                    })
                    .collect();
                let report = serde_json::json!({
                    "rows": total, "imported": imported, "unchanged": unchanged,
                    "skipped": errors.len(), "outcome": note, "problems": problems,
                });
                let (archive, file) = (&archive, file.display().to_string());
                async move {
                    if let Err(e) = archive
                        .catalog
                        .add_import_report(&file, dry_run, &report.to_string())
                        .await
                    {
                        eprintln!("the import report could not be stored: {e}");
                    }
                }
            };
            if !errors.is_empty() && !skip_bad {
                record(0, 0, "refused: nothing imported").await;
                bail!(
                    "{}: {} problem(s) in {total} rows; nothing imported (fix them, or --skip-bad to import the good rows)",
                    file.display(),
                    errors.len()
                );
            }
            if dry_run {
                for row in &good {
                    println!(
                        "line {}: {} {} {:?}, {} part(s), {} document(s), {} old URL(s)",
                        row.line,
                        row.submission.date.iso(),
                        row.submission.body.as_str(),
                        row.submission.title.as_str(),
                        row.submission.parts.len(),
                        row.submission.documents.len(),
                        row.old_urls.len()
                    );
                }
                println!(
                    "{} of {total} rows would be imported (dry run: nothing changed)",
                    good.len()
                );
                record(0, 0, "dry run: nothing changed").await;
                return Ok(());
            }
            let done = match aula::import::import_rows(&archive, &good).await {
                Ok(done) => done,
                Err(e) => {
                    record(0, 0, &format!("failed: {e}")).await;
                    bail!("{}: {e}", file.display());
                }
            };
            let created = done
                .iter()
                .filter(|(_, o)| matches!(o, aula::import::RowOutcome::Created { .. }))
                .count();
            println!(
                "{created} sessions created (transcodes queued for `aula serve` or `aula worker`), {} already in the archive, {} rows skipped",
                done.len() - created,
                total - good.len()
            );
            record(created, done.len() - created, "imported").await;
            Ok(())
        }
        Command::Legacy { action } => {
            let archive = Archive::open(config).await?;
            match action {
                LegacyAction::Import { file, dry_run } => {
                    let text = std::fs::read_to_string(&file)
                        .with_context(|| format!("reading {}", file.display()))?;
                    let mappings = match aula::legacy::parse_list(&text) {
                        Ok(m) => m,
                        Err(errors) => {
                            for e in &errors {
                                eprintln!("{}: {e}", file.display());
                            }
                            bail!(
                                "{}: {} bad line(s); nothing imported",
                                file.display(),
                                errors.len()
                            );
                        }
                    };
                    let links: Vec<(String, Option<String>)> = mappings
                        .iter()
                        .filter_map(|m| {
                            let key = aula::legacy::key(m.old())?;
                            Some(match m {
                                aula::legacy::Mapping::Moved { new, .. } => {
                                    (key, Some(new.clone()))
                                }
                                aula::legacy::Mapping::Gone { .. } => (key, None),
                            })
                        })
                        .collect();
                    if dry_run {
                        let mut new = 0;
                        for (key, _) in &links {
                            if archive.catalog.legacy_target(key).await?.is_none() {
                                new += 1;
                            }
                        }
                        println!(
                            "{} mappings read; {new} would be added (dry run: nothing changed)",
                            links.len()
                        );
                        return Ok(());
                    }
                    match archive.catalog.add_legacy_links(&links).await? {
                        Ok((added, unchanged)) => {
                            println!("{added} mappings added, {unchanged} already there");
                            Ok(())
                        }
                        Err(conflicts) => {
                            for c in &conflicts {
                                eprintln!("{}: {c}", file.display());
                            }
                            bail!(
                                "{} address(es) already lead elsewhere; nothing imported",
                                conflicts.len()
                            )
                        }
                    }
                }
                LegacyAction::Report { limit } => {
                    let rows = archive.catalog.unmapped_report(limit).await?;
                    if rows.is_empty() {
                        eprintln!("no unknown address has been requested");
                    }
                    for r in rows {
                        let last = chrono::DateTime::from_timestamp(r.last_seen, 0)
                            .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_default();
                        println!("{:>7}  {last}  {}", r.hits, r.path);
                    }
                    Ok(())
                }
            }
        }
        Command::Token {
            action: TokenAction::Create { name },
        } => {
            let archive = Archive::open(config).await?;
            let token = aula::auth::new_token().context("reading the system's randomness")?;
            archive
                .catalog
                .add_token(&name, &aula::auth::token_hash(&token))
                .await?;
            println!("{token}");
            eprintln!("token for {name:?} created; keep it safe, it is not shown again");
            Ok(())
        }
        Command::Reindex => {
            let archive = Archive::open(config).await?;
            archive.catalog.request_reindex().await?;
            match aula::search::SearchIndex::open(&archive.config.index_dir()) {
                Ok(index) => {
                    let n = index.rebuild(&archive.catalog).await?;
                    eprintln!("search index rebuilt: {n} sessions");
                }
                // A server holds this index: it sees the request and rebuilds it itself.
                Err(e) => eprintln!(
                    "the index in {} is in use ({e}); the running server rebuilds it within seconds",
                    archive.config.index_dir().display()
                ),
            }
            Ok(())
        }
        Command::Demo { listen, no_serve } => {
            if let Some(listen) = listen {
                config.set_listen(&listen)?;
            }
            let archive = Archive::open(config).await?;
            demo(&archive).await?;
            if no_serve {
                return Ok(());
            }
            serve(archive, true).await
        }
    }
}

async fn serve(archive: Archive, with_worker: bool) -> anyhow::Result<()> {
    let app = Application::build(archive.clone()).await?;
    // Printed on stdout so scripts (and tests) can read the bound address.
    println!("aula is serving the archive at {}", app.address());
    let _ = std::io::stdout().flush();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = with_worker.then(|| tokio::spawn(aula::jobs::run(archive, stopped)));
    let served = app.run_until_stopped().await;
    // The server stops on Ctrl-C or SIGTERM; running jobs go back to the queue.
    let _ = stop.send(true);
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    served?;
    Ok(())
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// A word as a POSIX shell reads it back unchanged.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=+,%@".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn shown_parts(parts: &[PathBuf]) -> String {
    parts
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Submits one session's recording and, unless `no_wait`, runs its transcode here (or
/// follows the worker that took it), showing progress if `progress`.
async fn ingest_one(
    archive: &Archive,
    sub: &Submission,
    no_wait: bool,
    progress: bool,
) -> FileResult {
    let shown = shown_parts(&sub.parts);
    let (session_id, job_id) = match ingest::submit(archive, sub).await {
        Err(e) => {
            return FileResult::Failed {
                reason: format!("{e:#}"),
            }
        }
        Ok(Submitted::AlreadyArchived { session_id }) => {
            // Its transcode may have been interrupted (Ctrl-C, no worker running): finish it.
            match archive.catalog.job_for_session(session_id).await {
                Ok(Some(job)) if !no_wait && (job.state == "queued" || job.state == "running") => {
                    eprintln!("{shown}: already in the archive as session {session_id}; finishing its transcode");
                    (session_id, job.id)
                }
                _ => {
                    eprintln!(
                        "{shown}: already in the archive as session {session_id}; nothing to do"
                    );
                    return FileResult::AlreadyArchived { session_id };
                }
            }
        }
        Ok(Submitted::Queued {
            session_id,
            job_id,
            documents,
        }) => {
            for d in documents {
                match d.problem {
                    None => eprintln!("{}: {}", d.file.display(), d.summary),
                    Some(problem) => eprintln!(
                        "{}: kept, but its text could not be read: {problem}",
                        d.file.display()
                    ),
                }
            }
            (session_id, job_id)
        }
    };
    if no_wait {
        eprintln!("{shown}: session {session_id} created, job {job_id} queued");
        return FileResult::Queued {
            session_id,
            job_id,
            note: None,
        };
    }
    if progress {
        eprintln!("{shown}: session {session_id} created, transcoding…");
    }
    let outcome = aula::jobs::run_or_follow(archive, job_id, move |p| {
        if progress {
            show_progress(p)
        }
    })
    .await;
    if progress {
        eprintln!();
    }
    match outcome {
        Ok(Outcome::Published(p)) => {
            eprintln!("{shown}: published as session {session_id} ({:.1} s)", p.duration_s);
            FileResult::Published {
                session_id,
                duration_s: p.duration_s,
                warnings: p.warnings,
            }
        }
        Ok(Outcome::Retrying { reason, after_s }) => FileResult::Queued {
            session_id,
            job_id,
            note: Some(format!("{reason}; it will be tried again in {after_s} s by a worker (`aula worker` or `aula serve`)")),
        },
        Ok(Outcome::Failed { reason }) => FileResult::Failed { reason: format!("{shown}: {reason}") },
        Ok(Outcome::Released | Outcome::Lost) => FileResult::Queued {
            session_id,
            job_id,
            note: Some("another worker is finishing it".into()),
        },
        Ok(Outcome::Superseded) => FileResult::Queued {
            session_id,
            job_id,
            note: Some("its withheld ranges changed meanwhile; a newer job makes the version".into()),
        },
        Err(e) => FileResult::Failed { reason: format!("{shown}: {e}") },
    }
}

struct BatchOptions {
    body: BodyName,
    date: Option<SessionDate>,
    title: Option<SessionTitle>,
    kind: String,
    no_wait: bool,
    json: bool,
}

/// One session per recording under `dir`, transcoded a few at a time, then the summary.
async fn ingest_directory(
    archive: &Archive,
    dir: &Path,
    options: &BatchOptions,
) -> anyhow::Result<()> {
    let files =
        batch::find_recordings(dir).with_context(|| format!("reading {}", dir.display()))?;
    if files.is_empty() {
        bail!(
            "{}: no recordings found (looked for {})",
            dir.display(),
            batch::MEDIA_EXTENSIONS.join(", ")
        );
    }
    let total = files.len();
    eprintln!("{}: {total} recordings", dir.display());
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(
        archive.config.transcodes.max(1),
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, file) in files.into_iter().enumerate() {
        // The file's own name first, then the folders it is in.
        let named = file
            .file_name()
            .and_then(|n| batch::date_in_name(&n.to_string_lossy()))
            .or_else(|| batch::date_in_name(&file.to_string_lossy()));
        let date = match (options.date, named) {
            (Some(d), _) => Ok(d),
            (None, Some(d)) => SessionDate::parse(&d).map_err(anyhow::Error::from),
            (None, None) => file_date(&file),
        };
        let title = match &options.title {
            Some(t) => Ok(t.clone()),
            None => {
                SessionTitle::parse(&batch::title_from_name(&file)).map_err(anyhow::Error::from)
            }
        };
        let shown = file.display().to_string();
        let (date, title) = match (date, title) {
            (Ok(d), Ok(t)) => (d, t),
            (Err(e), _) | (_, Err(e)) => {
                tasks.spawn(async move {
                    (
                        index,
                        FileReport {
                            file: shown,
                            result: FileResult::Failed {
                                reason: format!("{e:#}"),
                            },
                        },
                    )
                });
                continue;
            }
        };
        let sub = Submission {
            parts: vec![file],
            body: options.body.clone(),
            date,
            title,
            kind: options.kind.clone(),
            documents: Vec::new(),
        };
        let archive = archive.clone();
        let slots = std::sync::Arc::clone(&slots);
        let done = std::sync::Arc::clone(&done);
        let no_wait = options.no_wait;
        tasks.spawn(async move {
            let _slot = slots.acquire_owned().await;
            let result = ingest_one(&archive, &sub, no_wait, false).await;
            let n = done.fetch_add(1, std::sync::atomic::Ordering::AcqRel) + 1;
            let bar_width = 30;
            let filled = n * bar_width / total;
            eprintln!(
                "[{}{}] {n}/{total} {shown}",
                "#".repeat(filled),
                ".".repeat(bar_width - filled)
            );
            (
                index,
                FileReport {
                    file: shown,
                    result,
                },
            )
        });
    }
    let mut reports = Vec::with_capacity(total);
    while let Some(joined) = tasks.join_next().await {
        reports.push(joined.context("an ingest task stopped unexpectedly")?);
    }
    reports.sort_by_key(|(i, _)| *i);
    let summary = Summary::new(reports.into_iter().map(|(_, r)| r).collect());
    if options.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        eprint!("{}", summary.to_text());
    }
    if summary.failed > 0 {
        bail!("{} of {total} recordings failed", summary.failed);
    }
    Ok(())
}

/// The date a file was last modified, for recordings whose name carries none.
fn file_date(file: &Path) -> anyhow::Result<SessionDate> {
    let modified = std::fs::metadata(file)?.modified()?;
    let date = chrono::DateTime::<chrono::Utc>::from(modified)
        .format("%Y-%m-%d")
        .to_string();
    Ok(SessionDate::parse(&date)?)
}

fn show_progress(p: Progress) {
    let speed = p
        .speed
        .map(|s| format!(", {s:.1}× real time"))
        .unwrap_or_default();
    let eta = p
        .eta_seconds()
        .map(|s| format!(", {s} s left"))
        .unwrap_or_default();
    eprint!("\r  {:5.1}%{speed}{eta}      ", p.percent());
    let _ = std::io::stderr().flush();
}

async fn demo(archive: &Archive) -> anyhow::Result<()> {
    let dir: &Path = &archive.data_dir().join("demo-sources");
    for rec in aula::demo::RECORDINGS {
        let (file, agenda) = rec
            .generate(&archive.config.ffmpeg, dir)
            .await
            .with_context(|| format!("generating the demo recording {}", rec.file_name))?;
        let sub = Submission {
            parts: vec![file],
            body: BodyName::parse(rec.body)?,
            date: SessionDate::parse(rec.date)?,
            title: SessionTitle::parse(rec.title)?,
            kind: "ordinary".into(),
            documents: vec![(aula::ingest::attach::DocumentKind::Agenda, agenda)],
        };
        if let FileResult::Failed { reason } = ingest_one(archive, &sub, false, true).await {
            bail!("demo recording {}: {reason}", rec.file_name);
        }
    }
    Ok(())
}
