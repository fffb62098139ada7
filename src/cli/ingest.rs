//! `aula ingest` and `aula plan`: the arguments of an ingest turned into a submission (or
//! a directory batch) for the library, and its progress and summary printed as a clerk
//! reads them (or as JSON for a script).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Args;

use aula::batch::{self, BatchOptions, Feedback, FileReport, FileResult, Summary};
use aula::catalog::{BodyName, SessionDate, SessionTitle};
use aula::ingest::attach::DocumentKind;
use aula::ingest::{self, Progress, Submission};
use aula::{Archive, Config};

#[derive(Args)]
pub struct IngestArgs {
    /// The recording, its parts, or a directory of recordings.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The body that held the session, e.g. "Commissione Urbanistica".
    #[arg(long)]
    pub body: String,
    /// Date of the session, YYYY-MM-DD.
    #[arg(long)]
    pub date: Option<String>,
    #[arg(long)]
    pub title: Option<String>,
    /// Only queue the jobs; a running server or `aula worker` transcodes them.
    #[arg(long)]
    pub no_wait: bool,
    /// Print the summary as JSON on standard output.
    #[arg(long)]
    pub json: bool,
    /// For a directory: how many recordings to transcode at once. By default as many as
    /// the machine takes, from the cores a trial transcode of each kind keeps busy.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub at_once: Option<u16>,
    /// ordinary, extraordinary, …
    #[arg(long, default_value = "ordinary")]
    pub kind: String,
    /// Agenda (ordine del giorno): PDF, DOCX, ODT, DOC, RTF, HTML or text.
    #[arg(long)]
    pub agenda: Option<PathBuf>,
    /// Minutes (verbale), any document format.
    #[arg(long)]
    pub minutes: Option<PathBuf>,
    /// A resolution (delibera); may be repeated.
    #[arg(long)]
    pub resolution: Vec<PathBuf>,
    /// Any other attachment; may be repeated.
    #[arg(long)]
    pub attachment: Vec<PathBuf>,
    /// Transcript as SRT or WebVTT: captions and searchable, timed text.
    #[arg(long)]
    pub transcript: Option<PathBuf>,
    /// When each agenda item starts: CSV (time;title) or WebVTT chapters.
    #[arg(long)]
    pub timed_agenda: Option<PathBuf>,
}

impl IngestArgs {
    /// The documents given with the recording, in the order the flags list them.
    fn documents(&mut self) -> Vec<(DocumentKind, PathBuf)> {
        let mut documents = Vec::new();
        documents.extend(self.agenda.take().map(|p| (DocumentKind::Agenda, p)));
        documents.extend(self.minutes.take().map(|p| (DocumentKind::Minutes, p)));
        let resolutions = std::mem::take(&mut self.resolution);
        documents.extend(
            resolutions
                .into_iter()
                .map(|p| (DocumentKind::Resolution, p)),
        );
        let attachments = std::mem::take(&mut self.attachment);
        documents.extend(
            attachments
                .into_iter()
                .map(|p| (DocumentKind::Attachment, p)),
        );
        documents.extend(
            self.transcript
                .take()
                .map(|p| (DocumentKind::Transcript, p)),
        );
        let timed = self.timed_agenda.take();
        documents.extend(timed.map(|p| (DocumentKind::TimedAgenda, p)));
        documents
    }
}

/// Prints what the library reports during an ingest on standard error.
pub struct Terminal;

impl Feedback for Terminal {
    fn note(&self, line: &str) {
        eprintln!("{line}");
    }

    fn progress(&self, p: Progress) {
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

    fn progress_end(&self) {
        eprintln!();
    }

    fn file_done(&self, done: usize, total: usize, file: &str) {
        let bar_width = 30;
        let filled = done * bar_width / total.max(1);
        eprintln!(
            "[{}{}] {done}/{total} {file}",
            "#".repeat(filled),
            ".".repeat(bar_width - filled.min(bar_width))
        );
    }
}

pub async fn ingest(config: Config, mut args: IngestArgs) -> anyhow::Result<()> {
    let documents = args.documents();
    let body = BodyName::parse(&args.body).context("--body")?;
    let date = args
        .date
        .as_deref()
        .map(|d| SessionDate::parse(d).context("--date"))
        .transpose()?;
    let title = args
        .title
        .as_deref()
        .map(|t| SessionTitle::parse(t).context("--title"))
        .transpose()?;
    let archive = Archive::open(config).await?;
    if let [dir] = &args.files[..] {
        if dir.is_dir() {
            if !documents.is_empty() {
                bail!("documents go with one session: give them with a file, not a directory");
            }
            let options = BatchOptions {
                body,
                date,
                title,
                kind: args.kind,
                no_wait: args.no_wait,
                at_once: args.at_once.map(usize::from),
            };
            return ingest_directory(&archive, dir, &options, args.json).await;
        }
    }
    let submission = Submission {
        body,
        date: date.context("--date is needed for a single recording")?,
        title: title.context("--title is needed for a single recording")?,
        kind: args.kind,
        documents,
        parts: args.files,
    };
    ingest_session(&archive, &submission, args.no_wait, args.json).await
}

async fn ingest_session(
    archive: &Archive,
    submission: &Submission,
    no_wait: bool,
    json: bool,
) -> anyhow::Result<()> {
    let feedback: Arc<dyn Feedback> = Arc::new(Terminal);
    let result = batch::ingest_one(archive, submission, no_wait, &feedback, !json).await;
    let file = batch::shown_parts(&submission.parts);
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

async fn ingest_directory(
    archive: &Archive,
    dir: &Path,
    options: &BatchOptions,
    json: bool,
) -> anyhow::Result<()> {
    let feedback: Arc<dyn Feedback> = Arc::new(Terminal);
    let summary = batch::ingest_directory(archive, dir, options, &feedback).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        eprint!("{}", summary.to_text());
    }
    if summary.failed > 0 {
        bail!(
            "{} of {} recordings failed",
            summary.failed,
            summary.files.len()
        );
    }
    Ok(())
}

pub async fn plan(config: &Config, files: &[PathBuf], output: &Path) -> anyhow::Result<()> {
    let mut probes = Vec::new();
    for file in files {
        let (probe, _) = ingest::probe::probe_file(&config.ffprobe, file)
            .await
            .with_context(|| file.display().to_string())?;
        probes.push(probe);
    }
    let plan = aula::jobs::plan_for(config, files, &probes, true).await?;
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
    let runs = ingest::plan::ffmpeg_runs(&plan, &inputs, output);
    if runs.len() > 1 {
        eprintln!(
            "  {} ffmpeg runs at once; then append {}'s variants to master.m3u8",
            runs.len(),
            ingest::plan::AUDIO_RUN_MASTER
        );
    }
    let last = runs.len() - 1;
    for (i, args) in runs.into_iter().enumerate() {
        let quoted: Vec<String> = std::iter::once(config.ffmpeg.display().to_string())
            .chain(args)
            .map(|a| shell_quote(&a))
            .collect();
        // Every run but the last in the background, then wait for them: as the job runs them.
        let tail = if i < last { " &" } else { "" };
        println!("{}{tail}", quoted.join(" "));
    }
    if last > 0 {
        println!("wait");
    }
    Ok(())
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
