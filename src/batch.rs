//! `aula ingest`: one session submitted and transcoded while the caller watches, or the
//! recordings in a directory tree each made a session, and the summary a clerk reads at
//! the end (or a script reads as JSON). Which files count, and the date and title a file's
//! name suggests, are decided here. It prints nothing itself: what the person running it
//! should see goes through `Feedback`, which the binary implements.
//! It sits above `ingest` and `jobs` (submitting through the one, running or following
//! through the other), so neither has to know the other.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde::Serialize;

use crate::archive::Archive;
use crate::catalog::{BodyName, SessionDate, SessionTitle};
use crate::ingest::{self as ingest, Progress, Submission, Submitted};
use crate::jobs::worker::{self, Outcome};

/// Extensions of the recordings town halls hold (compared without case).
pub const MEDIA_EXTENSIONS: &[&str] = &[
    "flv", "f4v", "asf", "wmv", "wma", "rm", "rmvb", "ra", "mpg", "mpeg", "mpe", "m1v", "m2v",
    "vob", "ts", "m2ts", "mts", "dv", "avi", "3gp", "3g2", "mov", "qt", "mp4", "m4v", "mkv",
    "webm", "ogv", "mp3", "wav", "aac", "m4a", "ogg", "oga", "opus", "flac", "mp2",
];

/// Recording files under `dir`, recursively, sorted by path; hidden files are skipped.
pub fn find_recordings(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current)? {
            let entry = entry?;
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            let kind = entry.file_type()?;
            if hidden {
                continue;
            }
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() && is_recording(&path) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn is_recording(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| MEDIA_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// A date written in a file name: 2009-03-12, 2009_03_12, 20090312, 12-03-2009,
/// 12.03.2009 or 12_03_2009. Returned as YYYY-MM-DD.
pub fn date_in_name(name: &str) -> Option<String> {
    let digits: Vec<(usize, char)> = name.char_indices().collect();
    let n = digits.len();
    let is_digit = |i: usize| i < n && digits[i].1.is_ascii_digit();
    let is_sep = |i: usize| i < n && matches!(digits[i].1, '-' | '_' | '.');
    let num = |from: usize, len: usize| -> Option<u32> {
        (from..from + len).all(is_digit).then(|| {
            digits[from..from + len]
                .iter()
                .fold(0, |acc, (_, c)| acc * 10 + c.to_digit(10).unwrap_or(0))
        })
    };
    let valid = |y: u32, m: u32, d: u32| {
        chrono::NaiveDate::from_ymd_opt(y as i32, m, d)
            .filter(|_| (1950..=2100).contains(&y))
            .map(|date| date.format("%Y-%m-%d").to_string())
    };
    for i in 0..n {
        // A number must not continue a longer one.
        if i > 0 && is_digit(i - 1) {
            continue;
        }
        let candidates = [
            // YYYY-MM-DD
            (
                num(i, 4),
                is_sep(i + 4),
                num(i + 5, 2),
                is_sep(i + 7),
                num(i + 8, 2),
            ),
            // DD-MM-YYYY
            (
                num(i + 6, 4),
                is_sep(i + 2),
                num(i + 3, 2),
                is_sep(i + 5),
                num(i, 2),
            ),
        ];
        for (y, s1, m, s2, d) in candidates {
            if let (Some(y), true, Some(m), true, Some(d)) = (y, s1, m, s2, d) {
                if !is_digit(i + 10) {
                    if let Some(date) = valid(y, m, d) {
                        return Some(date);
                    }
                }
            }
        }
        // YYYYMMDD
        if let (Some(y), Some(m), Some(d)) = (num(i, 4), num(i + 4, 2), num(i + 6, 2)) {
            if !is_digit(i + 8) {
                if let Some(date) = valid(y, m, d) {
                    return Some(date);
                }
            }
        }
    }
    None
}

/// A readable title from a file name: the stem with separators as spaces.
pub fn title_from_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let spaced: String = stem
        .chars()
        .map(|c| if c == '_' { ' ' } else { c })
        .collect();
    let title = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        "Seduta".to_string()
    } else {
        title
    }
}

/// How one file of a batch ended.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum FileResult {
    Published {
        session_id: i64,
        duration_s: f64,
        warnings: Vec<String>,
    },
    AlreadyArchived {
        session_id: i64,
    },
    /// Queued for a worker (`--no-wait`), or to be retried by one.
    Queued {
        session_id: i64,
        job_id: i64,
        note: Option<String>,
    },
    Failed {
        reason: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub file: String,
    #[serde(flatten)]
    pub result: FileResult,
}

/// The end of a batch: counts and every file's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub ok: usize,
    pub warnings: usize,
    pub failed: usize,
    pub queued: usize,
    pub already_archived: usize,
    pub files: Vec<FileReport>,
    /// For a directory: what was estimated before it started, and what it took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    pub estimate: crate::estimate::Estimate,
    /// Wall seconds from the first transcode started to the last finished.
    pub elapsed_s: f64,
}

impl Timing {
    /// "took 4 h 05 min, estimated 4 h 20 min (+6 %)": the estimate's error, for the
    /// next batch on this machine.
    pub fn to_text(&self) -> String {
        use crate::text::spoken_length;
        let e = self.estimate.seconds;
        let error = match self.elapsed_s > 0.0 {
            true => format!(" ({:+.0} %)", (e - self.elapsed_s) / self.elapsed_s * 100.0),
            false => String::new(),
        };
        format!(
            "took {}, estimated {}{error}\n",
            spoken_length(self.elapsed_s),
            spoken_length(e)
        )
    }
}

impl Summary {
    pub fn new(files: Vec<FileReport>) -> Summary {
        let count = |f: &dyn Fn(&FileResult) -> bool| files.iter().filter(|r| f(&r.result)).count();
        Summary {
            ok: count(
                &|r| matches!(r, FileResult::Published { warnings, .. } if warnings.is_empty()),
            ),
            warnings: count(
                &|r| matches!(r, FileResult::Published { warnings, .. } if !warnings.is_empty()),
            ),
            failed: count(&|r| matches!(r, FileResult::Failed { .. })),
            queued: count(&|r| matches!(r, FileResult::Queued { .. })),
            already_archived: count(&|r| matches!(r, FileResult::AlreadyArchived { .. })),
            files,
            timing: None,
        }
    }

    /// The summary as a clerk reads it.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{} published, {} with warnings, {} failed, {} queued, {} already in the archive\n",
            self.ok, self.warnings, self.failed, self.queued, self.already_archived
        );
        if let Some(t) = self.timing.as_ref().filter(|_| self.queued == 0) {
            out.push_str(&t.to_text());
        }
        for f in &self.files {
            match &f.result {
                FileResult::Published { warnings, .. } if !warnings.is_empty() => {
                    out.push_str(&format!("  warning  {}\n", f.file));
                    for w in warnings {
                        out.push_str(&format!("           {w}\n"));
                    }
                }
                FileResult::Failed { reason } => {
                    out.push_str(&format!("  FAILED   {}\n           {reason}\n", f.file))
                }
                FileResult::Queued {
                    note: Some(note), ..
                } => out.push_str(&format!("  queued   {}\n           {note}\n", f.file)),
                _ => {}
            }
        }
        out
    }
}

/// What the person running an ingest sees while it runs.
pub trait Feedback: Send + Sync {
    /// A line about one recording ("published as session 4", "already in the archive").
    fn note(&self, line: &str);
    /// How far a transcode followed here has got.
    fn progress(&self, progress: Progress);
    /// The transcode followed here has ended, however it ended.
    fn progress_end(&self);
    /// `done` of `total` recordings of a directory are finished; `file` the latest.
    fn file_done(&self, done: usize, total: usize, file: &str);
}

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("reading {dir}: {source}")]
    Read { dir: String, source: std::io::Error },
    #[error("{dir}: no recordings found (looked for {looked_for})")]
    Empty { dir: String, looked_for: String },
    #[error("an ingest task stopped unexpectedly: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The parts of a recording as the messages name them.
pub fn shown_parts(parts: &[PathBuf]) -> String {
    parts
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Submits one session's recording and, unless `no_wait`, runs its transcode here (or
/// follows the worker that took it), reporting its progress if `progress`.
pub async fn ingest_one(
    archive: &Archive,
    sub: &Submission,
    no_wait: bool,
    feedback: &Arc<dyn Feedback>,
    progress: bool,
) -> FileResult {
    let shown = shown_parts(&sub.parts);
    let (session_id, job_id) = match submitted(archive, sub, no_wait, feedback, &shown).await {
        Ok(ids) => ids,
        Err(result) => return result,
    };
    if no_wait {
        feedback.note(&format!(
            "{shown}: session {session_id} created, job {job_id} queued"
        ));
        return FileResult::Queued {
            session_id,
            job_id,
            note: None,
        };
    }
    if progress {
        feedback.note(&format!(
            "{shown}: session {session_id} created, transcoding…"
        ));
    }
    let watcher = Arc::clone(feedback);
    let outcome = worker::run_or_follow(archive, job_id, move |p| {
        if progress {
            watcher.progress(p)
        }
    })
    .await;
    if progress {
        feedback.progress_end();
    }
    let ids = (session_id, job_id);
    match outcome {
        Ok(outcome) => file_result(outcome, ids, &shown, feedback.as_ref()),
        Err(e) => FileResult::Failed {
            reason: format!("{shown}: {e}"),
        },
    }
}

/// The session and job to follow, or the result when there is nothing to follow.
async fn submitted(
    archive: &Archive,
    sub: &Submission,
    no_wait: bool,
    feedback: &Arc<dyn Feedback>,
    shown: &str,
) -> Result<(i64, i64), FileResult> {
    match ingest::submit(archive, sub).await {
        Err(e) => Err(FileResult::Failed {
            reason: e.to_string(),
        }),
        Ok(Submitted::AlreadyArchived { session_id }) => {
            // Its transcode may have been interrupted (Ctrl-C, no worker running): finish it.
            match archive.catalog.job_for_session(session_id).await {
                Ok(Some(job))
                    if !no_wait
                        && matches!(
                            job.state,
                            crate::domain::JobState::Queued | crate::domain::JobState::Running
                        ) =>
                {
                    feedback.note(&format!("{shown}: already in the archive as session {session_id}; finishing its transcode"));
                    Ok((session_id, job.id))
                }
                _ => {
                    feedback.note(&format!(
                        "{shown}: already in the archive as session {session_id}; nothing to do"
                    ));
                    Err(FileResult::AlreadyArchived { session_id })
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
                    None => feedback.note(&format!("{}: {}", d.file.display(), d.summary)),
                    Some(problem) => feedback.note(&format!(
                        "{}: kept, but its text could not be read: {problem}",
                        d.file.display()
                    )),
                }
            }
            Ok((session_id, job_id))
        }
    }
}

fn file_result(
    outcome: Outcome,
    (session_id, job_id): (i64, i64),
    shown: &str,
    feedback: &dyn Feedback,
) -> FileResult {
    let queued = |note: String| FileResult::Queued {
        session_id,
        job_id,
        note: Some(note),
    };
    match outcome {
        Outcome::Published(p) => {
            feedback.note(&format!(
                "{shown}: published as session {session_id} ({:.1} s)",
                p.duration_s
            ));
            FileResult::Published {
                session_id,
                duration_s: p.duration_s,
                warnings: p.warnings,
            }
        }
        Outcome::Retrying { reason, after_s } => queued(format!("{reason}; it will be tried again in {after_s} s by a worker (`aula worker` or `aula serve`)")),
        Outcome::Failed { reason } => FileResult::Failed {
            reason: format!("{shown}: {reason}"),
        },
        Outcome::Released | Outcome::Lost => queued("another worker is finishing it".into()),
        Outcome::Superseded => queued(
            "its withheld ranges changed meanwhile; a newer job makes the version".into(),
        ),
        // A directory's files are followed by their transcode jobs only.
        Outcome::Transcribed(_) | Outcome::Mailed(_) => {
            queued("the job followed was not a transcode".into())
        }
    }
}

/// What every session made from a directory shares; the date and title, when not
/// given, come from each file.
pub struct BatchOptions {
    pub body: BodyName,
    pub date: Option<SessionDate>,
    pub title: Option<SessionTitle>,
    pub kind: String,
    pub no_wait: bool,
    /// Recordings transcoded at once; None fits the machine (`estimate::at_once`).
    pub at_once: Option<usize>,
}

/// One session per recording under `dir`, after saying how long they will take
/// (`estimate`), as many transcoded at once as the machine takes (or `options.at_once`;
/// with `no_wait`, the worker's `transcodes`); the summary lists them in path order, with
/// the estimate and the time it really took.
pub async fn ingest_directory(
    archive: &Archive,
    dir: &Path,
    options: &BatchOptions,
    feedback: &Arc<dyn Feedback>,
) -> Result<Summary, BatchError> {
    let files = find_recordings(dir).map_err(|source| BatchError::Read {
        dir: dir.display().to_string(),
        source,
    })?;
    if files.is_empty() {
        return Err(BatchError::Empty {
            dir: dir.display().to_string(),
            looked_for: MEDIA_EXTENSIONS.join(", "),
        });
    }
    let total = files.len();
    feedback.note(&format!("{}: {total} recordings", dir.display()));
    let at_once = match options.no_wait {
        true => Some(archive.config.transcodes.max(1)),
        false => options.at_once,
    };
    let estimate = crate::estimate::estimate(&archive.config, &files, at_once).await;
    feedback.note(&estimate.to_text());
    let began = std::time::Instant::now();
    let done = Arc::new(AtomicUsize::new(0));
    let slots = Arc::new(tokio::sync::Semaphore::new(estimate.at_once.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, file) in files.into_iter().enumerate() {
        let shown = file.display().to_string();
        let sub = match submission_for(file, options) {
            Ok(sub) => sub,
            Err(reason) => {
                let result = FileResult::Failed { reason };
                tasks.spawn(async move {
                    (
                        index,
                        FileReport {
                            file: shown,
                            result,
                        },
                    )
                });
                continue;
            }
        };
        let (archive, slots, done) = (archive.clone(), Arc::clone(&slots), Arc::clone(&done));
        let (feedback, no_wait) = (Arc::clone(feedback), options.no_wait);
        tasks.spawn(async move {
            let _slot = slots.acquire_owned().await;
            let result = ingest_one(&archive, &sub, no_wait, &feedback, false).await;
            let n = done.fetch_add(1, Ordering::AcqRel) + 1;
            feedback.file_done(n, total, &shown);
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
        reports.push(joined?);
    }
    reports.sort_by_key(|(i, _)| *i);
    let mut summary = Summary::new(reports.into_iter().map(|(_, r)| r).collect());
    summary.timing = Some(Timing {
        elapsed_s: began.elapsed().as_secs_f64(),
        estimate,
    });
    Ok(summary)
}

/// The session one file of a directory becomes: the date from the options, else the
/// file's own name, else the folders it is in, else when it was last modified.
fn submission_for(file: PathBuf, options: &BatchOptions) -> Result<Submission, String> {
    let named = file
        .file_name()
        .and_then(|n| date_in_name(&n.to_string_lossy()))
        .or_else(|| date_in_name(&file.to_string_lossy()));
    let date = match (options.date, named) {
        (Some(d), _) => d,
        (None, Some(d)) => SessionDate::parse(&d).map_err(|e| e.to_string())?,
        (None, None) => file_date(&file)?,
    };
    let title = match &options.title {
        Some(t) => t.clone(),
        None => SessionTitle::parse(&title_from_name(&file)).map_err(|e| e.to_string())?,
    };
    Ok(Submission {
        parts: vec![file],
        body: options.body.clone(),
        date,
        title,
        kind: options.kind.clone(),
        documents: Vec::new(),
    })
}

/// The date a file was last modified, for recordings whose name carries none.
fn file_date(file: &Path) -> Result<SessionDate, String> {
    let modified = std::fs::metadata(file)
        .and_then(|m| m.modified())
        .map_err(|e| e.to_string())?;
    let date = chrono::DateTime::<chrono::Utc>::from(modified)
        .format("%Y-%m-%d")
        .to_string();
    SessionDate::parse(&date).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_italian_archive_names() {
        let cases = [
            ("commissione urbanistica 12-03-2009.wmv", Some("2009-03-12")),
            ("consiglio_2007-04-16.flv", Some("2007-04-16")),
            ("CC20110923.mpg", Some("2011-09-23")),
            ("seduta 03.11.2001 parte 2.rm", Some("2001-11-03")),
            ("2005_06_30_giunta.avi", Some("2005-06-30")),
            ("seduta 31-02-2009.wmv", None),
            ("seduta n. 12.mp3", None),
            ("VTS_01_1.VOB", None),
            ("123456789012.mp4", None),
        ];
        for (name, want) in cases {
            assert_eq!(date_in_name(name).as_deref(), want, "{name}");
        }
    }

    #[test]
    fn titles_and_files() {
        assert_eq!(
            title_from_name(Path::new("/x/Consiglio_comunale  seduta dell'11 marzo.wmv")),
            "Consiglio comunale seduta dell'11 marzo"
        );
        let dir = std::env::temp_dir().join(format!("aula-batch-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("2009/sub")).unwrap();
        for f in [
            "a.WMV",
            "2009/b.flv",
            "2009/sub/c.mp3",
            "2009/ordine.pdf",
            ".hidden.mp4",
        ] {
            std::fs::write(dir.join(f), b"x").unwrap();
        }
        let found = find_recordings(&dir).unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|p| p.strip_prefix(&dir).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["2009/b.flv", "2009/sub/c.mp3", "a.WMV"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn summary_counts() {
        let s = Summary::new(vec![
            FileReport {
                file: "a".into(),
                result: FileResult::Published {
                    session_id: 1,
                    duration_s: 3.0,
                    warnings: vec![],
                },
            },
            FileReport {
                file: "b".into(),
                result: FileResult::Published {
                    session_id: 2,
                    duration_s: 1.2,
                    warnings: vec!["truncated".into()],
                },
            },
            FileReport {
                file: "c".into(),
                result: FileResult::Failed {
                    reason: "not a recording".into(),
                },
            },
        ]);
        assert_eq!((s.ok, s.warnings, s.failed), (1, 1, 1));
        let text = s.to_text();
        assert!(
            text.contains("FAILED   c\n           not a recording"),
            "{text}"
        );
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["files"][2]["status"], "failed");
        assert_eq!(json["files"][1]["warnings"][0], "truncated");
    }
}
