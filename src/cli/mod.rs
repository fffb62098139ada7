//! The subcommands of `aula`: their arguments, and one function each that reads them,
//! calls the library and prints what it returns. Nothing here decides anything about the
//! archive; a rule found here belongs in the library.

mod import;
mod ingest;
mod ops;
mod people;
mod serve;
mod speech;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use aula::Config;

#[derive(Parser)]
#[command(
    name = "aula",
    version,
    about = "Council-session video archive and streaming server"
)]
pub struct Cli {
    /// Configuration file (TOML); AULA_* environment variables and flags override it.
    #[arg(long, global = true, env = "AULA_CONFIG")]
    pub config: Option<PathBuf>,
    /// Where the archive lives (originals, media, catalog, index). Default: ./data
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once at start-up; the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum Command {
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
    /// Show the jobs (transcodes and transcriptions): state, progress, failure reasons.
    Jobs {
        /// Only jobs in this state: queued, running, done or failed.
        #[arg(long)]
        state: Option<aula::domain::JobState>,
        /// Queue a failed job again.
        #[arg(long)]
        retry: Option<i64>,
    },
    /// Add recordings to the archive and wait until they are published or have failed.
    ///
    /// One or more files make one session (several files are its parts, in order). A
    /// directory makes one session per recording found in it, with the date taken from
    /// each file's name (or --date) and the title from the name (or --title).
    Ingest(ingest::IngestArgs),
    /// Hear published sessions' speech into automatic transcripts (captions, search) and
    /// wait for them; sessions with a human transcript are left as they are.
    Transcribe(speech::TranscribeArgs),
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
    /// The roster of people (councillors, mayor, assessori, presidents, the secretary) and
    /// what is read about them from transcripts and minutes.
    People {
        #[command(subcommand)]
        action: PeopleAction,
    },
    /// Roll calls and votes from a structured file (one row per person per vote).
    Votes {
        #[command(subcommand)]
        action: VotesAction,
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
pub enum LegacyAction {
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
pub enum PeopleAction {
    /// Import the roster (CSV or JSON, one row per role; see docs/PEOPLE.md). Every row is
    /// checked, and the roster for contradictions, before anything is written; the people
    /// in the file get exactly the roles it gives them. Then every session's transcript
    /// and minutes are read again for speakers, roll calls and votes.
    Import {
        file: PathBuf,
        /// Check the file and say what would change, without changing anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// Read sessions' transcripts and minutes again for speakers, roll calls and votes
    /// (all sessions that have them, or the ones given).
    Read { sessions: Vec<i64> },
}

#[derive(Subcommand)]
pub enum VotesAction {
    /// Import roll calls and votes (CSV or JSON; see docs/PEOPLE.md). Every row is checked
    /// before anything is written; each session's record then replaces what was read from
    /// its minutes (an editor's record stays).
    Import {
        file: PathBuf,
        /// Check the file and say what would change, without changing anything.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
pub enum TokenAction {
    /// Make a token for the admin API; it is printed once and stored only as a hash.
    Create {
        /// Who or what uses it, e.g. "ufficio segreteria".
        name: String,
    },
}

/// Builds the configuration (file, environment, then the global flags) and runs the
/// subcommand.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(dir) = cli.data_dir {
        config.data_dir = dir;
    }
    match cli.command {
        Command::Serve { listen, no_worker } => serve::serve(config, listen, !no_worker).await,
        Command::Worker => serve::worker(config).await,
        Command::Demo { listen, no_serve } => serve::demo(config, listen, no_serve).await,
        Command::Jobs { state, retry } => ops::jobs(config, state, retry).await,
        Command::Ingest(args) => ingest::ingest(config, args).await,
        Command::Transcribe(args) => speech::transcribe(config, args).await,
        Command::Plan { files, output } => ingest::plan(&config, &files, &output).await,
        Command::Import {
            file,
            dry_run,
            skip_bad,
        } => import::import(config, &file, dry_run, skip_bad).await,
        Command::Legacy { action } => import::legacy(config, action).await,
        Command::People { action } => people::people(config, action).await,
        Command::Votes { action } => people::votes(config, action).await,
        Command::Token {
            action: TokenAction::Create { name },
        } => ops::create_token(config, &name).await,
        Command::Reindex => ops::reindex(config).await,
        Command::Doctor => ops::doctor(&config).await,
        Command::Backup { dir } => ops::backup(&config, &dir).await,
        Command::Restore { dir } => ops::restore(&config, &dir).await,
        Command::Fixity => ops::fixity(config).await,
    }
}
