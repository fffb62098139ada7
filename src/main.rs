//! The `aula` command: parses arguments, builds the configuration, calls the library, and
//! turns its errors into messages and exit codes. No archive logic lives here.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

use aula::catalog::{BodyName, SessionDate, SessionTitle};
use aula::http::Application;
use aula::ingest::{self, Progress, Submission, Submitted};
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
    /// Serve the archive over HTTP.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Add a recording to the archive and wait until it is published or has failed.
    Ingest {
        /// The recording (any format ffmpeg reads).
        file: PathBuf,
        /// The body that held the session, e.g. "Commissione Urbanistica".
        #[arg(long)]
        body: String,
        /// Date of the session, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        #[arg(long)]
        title: String,
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
    /// Manage admin API tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Rebuild the search index from the catalog. Running servers rebuild theirs too, in
    /// the background, and swap the new index in when it is complete.
    Reindex,
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
enum TokenAction {
    /// Make a token for the admin API; it is printed once and stored only as a hash.
    Create {
        /// Who or what uses it, e.g. "ufficio segreteria".
        name: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AULA_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn,tantivy=warn,actix_server=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
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
        Command::Serve { listen } => {
            if let Some(listen) = listen {
                config.set_listen(&listen)?;
            }
            serve(Archive::open(config).await?).await
        }
        Command::Ingest {
            file,
            body,
            date,
            title,
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
            let submission = Submission {
                body: BodyName::parse(&body).context("--body")?,
                date: SessionDate::parse(&date).context("--date")?,
                title: SessionTitle::parse(&title).context("--title")?,
                kind,
                documents,
                file,
            };
            let archive = Archive::open(config).await?;
            ingest_and_wait(&archive, &submission).await.map(|_| ())
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
            serve(archive).await
        }
    }
}

async fn serve(archive: Archive) -> anyhow::Result<()> {
    let app = Application::build(archive).await?;
    // Printed on stdout so scripts (and tests) can read the bound address.
    println!("aula is serving the archive at {}", app.address());
    let _ = std::io::stdout().flush();
    app.run_until_stopped().await?;
    Ok(())
}

/// Submits a recording and runs its transcode here, showing progress on the terminal.
/// Returns the session id.
async fn ingest_and_wait(archive: &Archive, sub: &Submission) -> anyhow::Result<i64> {
    let shown = sub.file.display().to_string();
    let (session_id, job_id) = match ingest::submit(archive, sub).await? {
        Submitted::AlreadyArchived { session_id } => {
            eprintln!("{shown}: already in the archive as session {session_id}; nothing to do");
            return Ok(session_id);
        }
        Submitted::Queued {
            session_id,
            job_id,
            documents,
        } => {
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
    eprintln!("{shown}: session {session_id} created, transcoding…");
    let worker = format!("cli-{}", std::process::id());
    let result = ingest::run_job(archive, job_id, &worker, show_progress).await;
    eprintln!();
    if let Err(e) = result {
        bail!("{shown}: {e}");
    }
    eprintln!("{shown}: published as session {session_id}");
    Ok(session_id)
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
            file,
            body: BodyName::parse(rec.body)?,
            date: SessionDate::parse(rec.date)?,
            title: SessionTitle::parse(rec.title)?,
            kind: "ordinary".into(),
            documents: vec![(aula::ingest::attach::DocumentKind::Agenda, agenda)],
        };
        ingest_and_wait(archive, &sub).await?;
    }
    Ok(())
}
