//! `aula transcribe`: queues the transcription of published sessions and, unless told not
//! to wait, runs each here (or follows the worker that took it) until its transcript is
//! stored, printing what was heard.

use anyhow::bail;
use clap::Args;

use aula::jobs::transcribe::{self, Asked};
use aula::jobs::{worker, Outcome};
use aula::{Archive, Config};

#[derive(Args)]
pub struct TranscribeArgs {
    /// The sessions to transcribe (their numbers, as in /sedute/N).
    #[arg(required_unless_present = "all_missing")]
    pub sessions: Vec<i64>,
    /// Every published session that has neither a human nor an automatic transcript.
    #[arg(long, conflicts_with = "sessions")]
    pub all_missing: bool,
    /// Only queue the jobs; a running server or `aula worker` transcribes them.
    #[arg(long)]
    pub no_wait: bool,
}

pub async fn transcribe(config: Config, args: TranscribeArgs) -> anyhow::Result<()> {
    let archive = Archive::open(config).await?;
    let sessions = if args.all_missing {
        archive.catalog.sessions_without_transcript().await?
    } else {
        args.sessions
    };
    if sessions.is_empty() {
        eprintln!("every published session has a transcript; nothing to do");
        return Ok(());
    }
    let mut jobs = Vec::new();
    let mut refused = 0;
    for id in sessions {
        match transcribe::ask(&archive, id).await? {
            Asked::Queued { job_id, new } => {
                let how = if new { "queued" } else { "already queued" };
                eprintln!("session {id}: {how} as job {job_id}");
                jobs.push((id, job_id));
            }
            Asked::HumanTranscript => {
                eprintln!("session {id}: has a human transcript, which is kept; nothing to do")
            }
            other => {
                refused += 1;
                let why = match other {
                    Asked::NoAudio => "its recording has no sound",
                    Asked::NoSuchSession => "there is no such session",
                    _ => "it is not published (transcribe it once it is)",
                };
                eprintln!("session {id}: not transcribed: {why}");
            }
        }
    }
    if !args.no_wait {
        for (id, job_id) in jobs {
            follow(&archive, id, job_id).await?;
        }
    }
    if refused > 0 {
        bail!("{refused} session(s) could not be transcribed");
    }
    Ok(())
}

/// Runs or follows one job to its end and says what came of it.
async fn follow(archive: &Archive, session_id: i64, job_id: i64) -> anyhow::Result<()> {
    let outcome = worker::run_or_follow(archive, job_id, |_| {}).await?;
    match outcome {
        Outcome::Transcribed(t) if !t.stored => {
            eprintln!("session {session_id}: has a human transcript by now; nothing stored")
        }
        Outcome::Transcribed(t) if t.words == 0 => {
            eprintln!("session {session_id}: no speech found; the transcript is empty")
        }
        Outcome::Transcribed(t) => eprintln!(
            "session {session_id}: {} words heard, {} captions{}",
            t.words,
            t.captions,
            if t.chunks_resumed > 0 {
                format!(" ({} chunks resumed from an earlier run)", t.chunks_resumed)
            } else {
                String::new()
            }
        ),
        Outcome::Failed { reason } => bail!("session {session_id}: {reason}"),
        Outcome::Retrying { reason, after_s } => {
            bail!("session {session_id}: {reason}; a worker tries again in {after_s} s")
        }
        other => eprintln!("session {session_id}: {other:?}"),
    }
    Ok(())
}
