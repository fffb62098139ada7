//! `aula ingest DIR`: the recordings in a directory tree, each made a session, and the
//! summary a clerk reads at the end (or a script reads as JSON). Which files count, and
//! the date and title a file's name suggests, are decided here.

use std::path::{Path, PathBuf};

use serde::Serialize;

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
        }
    }

    /// The summary as a clerk reads it.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{} published, {} with warnings, {} failed, {} queued, {} already in the archive\n",
            self.ok, self.warnings, self.failed, self.queued, self.already_archived
        );
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
