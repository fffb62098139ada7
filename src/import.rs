//! `aula import FILE`: the old portal's catalog, as CSV or JSON, one row per session with
//! its old URLs, date, body, title, kind, number, recording parts and documents. Every row
//! is checked before anything is written (dates in the forms Italian archives use, files
//! that exist and are recordings, old URLs not mapped twice); then each row becomes a
//! session through the ordinary ingest (`ingest::submit`) and its old URLs redirects to
//! it. The same file imported again changes nothing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::archive::Archive;
use crate::catalog::{BodyName, SessionDate, SessionTitle};
use crate::ingest::attach::DocumentKind;
use crate::ingest::{self, Submission, Submitted};

/// One row as read, before checking. CSV columns have these names; lists (old URLs,
/// recording parts, attachments) are separated by `|`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct RawRow {
    #[serde(alias = "old_url")]
    pub old_urls: ListField,
    pub date: String,
    pub body: String,
    pub title: String,
    pub kind: String,
    pub number: String,
    #[serde(alias = "recording")]
    pub recordings: ListField,
    pub agenda: String,
    pub minutes: String,
    pub transcript: String,
    #[serde(alias = "attachment")]
    pub attachments: ListField,
}

/// A list given either as a JSON array or as text separated by `|`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListField(pub Vec<String>);

impl<'de> Deserialize<'de> for ListField {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Text(String),
            List(Vec<String>),
        }
        let items = match Either::deserialize(d)? {
            Either::Text(t) => t.split('|').map(str::to_string).collect(),
            Either::List(l) => l,
        };
        Ok(ListField(
            items
                .into_iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        ))
    }
}

/// A checked row, ready to become a session.
#[derive(Debug, Clone)]
pub struct ImportRow {
    /// Line in a CSV file (header = 1), position (from 1) in a JSON array.
    pub line: usize,
    pub old_urls: Vec<String>,
    pub submission: Submission,
    pub number: Option<i64>,
}

/// Reads the file's rows: JSON when it starts with `[` (an array of objects), else CSV
/// with a header (comma or semicolon separated, as spreadsheets export it).
pub fn read_rows<T: serde::de::DeserializeOwned>(text: &str) -> Result<Vec<(usize, T)>, String> {
    let text = text.trim_start_matches('\u{feff}');
    if text.trim_start().starts_with('[') {
        let rows: Vec<T> =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        return Ok(rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| (i + 1, r))
            .collect());
    }
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.deserialize::<T>() {
        match record {
            Ok(row) => rows.push((rows.len() + 2, row)),
            Err(e) => {
                let line = e.position().map_or(rows.len() + 2, |p| p.line() as usize);
                return Err(format!("line {line}: {e}"));
            }
        }
    }
    Ok(rows)
}

use crate::catalog::ITALIAN_MONTHS as MONTHS;

/// The dates Italian archives write: `12/03/2009`, `12-03-2009`, `12.03.2009`,
/// `2009-03-12`, `12 marzo 2009` (also `1° marzo 2009`, `12 Mar 2009`).
pub fn parse_date(text: &str) -> Option<SessionDate> {
    let t = text.trim().to_lowercase();
    let iso = |y: i32, m: u32, d: u32| {
        chrono::NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|date| SessionDate::parse(&date.format("%Y-%m-%d").to_string()).ok())
    };
    let nums: Vec<&str> = t.split(['/', '-', '.']).collect();
    if let [a, b, c] = nums[..] {
        let (a, b, c) = (a.trim(), b.trim(), c.trim());
        let n = |s: &str| s.parse::<u32>().ok();
        if a.len() == 4 {
            return iso(a.parse().ok()?, n(b)?, n(c)?);
        }
        if c.len() == 4 {
            return iso(c.parse().ok()?, n(b)?, n(a)?);
        }
        return None;
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    if let [d, m, y] = words[..] {
        let d: u32 = d.trim_end_matches(['°', 'º']).parse().ok()?;
        let month = MONTHS.iter().position(|name| {
            *name == m || (m.len() >= 3 && name.starts_with(m.trim_end_matches('.')))
        })?;
        return iso(y.parse().ok()?, month as u32 + 1, d);
    }
    None
}

/// Something wrong with the import file, where it is known which row it is on. Stored in
/// the import report as `{"line": N, "reason": "…"}` and shown as "line N: reason".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Line in a CSV file (header = 1), position (from 1) in a JSON array.
    #[serde(default)]
    pub line: Option<usize>,
    #[serde(default)]
    pub reason: String,
}

impl Problem {
    pub fn on_line(line: usize, reason: impl Into<String>) -> Problem {
        Problem {
            line: Some(line),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

/// What one run of `aula import` did, as the admin pages and the admin API show the last
/// one, whatever its outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Report {
    pub rows: usize,
    pub imported: usize,
    pub unchanged: usize,
    pub skipped: usize,
    /// In words: "imported", "dry run: nothing changed", "refused: …", "failed: …".
    pub outcome: String,
    pub problems: Vec<Problem>,
}

impl Report {
    /// Reads a stored report; one that cannot be read shows as empty rather than failing
    /// the page that shows it.
    pub fn from_json(text: &str) -> Report {
        serde_json::from_str(text).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        // A struct of numbers, strings and a list of them always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Keeps `report` as the last import, what the admin pages show.
pub async fn store_report(
    archive: &Archive,
    file: &str,
    dry_run: bool,
    report: &Report,
) -> Result<(), crate::catalog::CatalogError> {
    archive
        .catalog
        .add_import_report(file, dry_run, &report.to_json())
        .await
}

/// Checks every row; returns the good ones and the problems of the bad ones.
/// `base` is the directory relative paths are taken from (the import file's).
pub async fn check_rows(
    archive: &Archive,
    rows: Vec<(usize, RawRow)>,
    base: &Path,
) -> (Vec<ImportRow>, Vec<Problem>) {
    let mut good = Vec::new();
    let mut errors = Vec::new();
    let mut seen_urls: HashMap<String, usize> = HashMap::new();
    for (line, raw) in rows {
        // Checked first (the row is consumed below), listed last as before.
        let url_problems = old_url_problems(&raw, line, &mut seen_urls);
        let mut problems = Vec::new();
        let row = check_row(archive, line, raw, base, &mut problems).await;
        problems.extend(url_problems);
        match row {
            Some(row) if problems.is_empty() => good.push(row),
            _ => errors.extend(problems.into_iter().map(|p| Problem::on_line(line, p))),
        }
    }
    (good, errors)
}

/// One row made a checked row, or `None` with what is wrong added to `problems`.
async fn check_row(
    archive: &Archive,
    line: usize,
    raw: RawRow,
    base: &Path,
    problems: &mut Vec<String>,
) -> Option<ImportRow> {
    let date = parse_date(&raw.date);
    if date.is_none() {
        problems.push(format!("unknown date format {:?}", raw.date));
    }
    let body = BodyName::parse(&raw.body)
        .map_err(|e| problems.push(e.to_string()))
        .ok();
    let title = SessionTitle::parse(&raw.title)
        .map_err(|e| problems.push(e.to_string()))
        .ok();
    let number = session_number(&raw.number, problems);
    let path = |p: &str| {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            base.join(p)
        }
    };
    if raw.recordings.0.is_empty() {
        problems.push("no recording".into());
    }
    let parts: Vec<PathBuf> = raw.recordings.0.iter().map(|p| path(p)).collect();
    for part in &parts {
        if !part.is_file() {
            problems.push(format!("missing file {}", part.display()));
        } else if let Err(e) = ingest::probe::probe_file(&archive.config.ffprobe, part).await {
            problems.push(format!("{}: {e}", part.display()));
        }
    }
    let documents = documents(&raw, &path, problems);
    let kind = match raw.kind.trim() {
        "" => "ordinary".to_string(),
        kind => kind.to_string(),
    };
    Some(ImportRow {
        line,
        old_urls: raw.old_urls.0,
        number,
        submission: Submission {
            parts,
            body: body?,
            date: date?,
            title: title?,
            kind,
            documents,
        },
    })
}

/// The session's number as old catalogs write it ("4", "n. 4", "N° 4"); blank is none.
fn session_number(text: &str, problems: &mut Vec<String>) -> Option<i64> {
    match text.trim() {
        "" => None,
        n => match n
            .trim_start_matches(['n', 'N', '.', '°', ' '])
            .parse::<i64>()
        {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push(format!("the number {n:?} is not a number"));
                None
            }
        },
    }
}

/// The row's documents, each of which must exist.
fn documents(
    raw: &RawRow,
    path: &dyn Fn(&str) -> PathBuf,
    problems: &mut Vec<String>,
) -> Vec<(DocumentKind, PathBuf)> {
    let singles = [
        (DocumentKind::Agenda, &raw.agenda),
        (DocumentKind::Minutes, &raw.minutes),
        (DocumentKind::Transcript, &raw.transcript),
    ];
    let docs = singles
        .into_iter()
        .filter(|(_, p)| !p.trim().is_empty())
        .map(|(k, p)| (k, p.trim().to_string()))
        .chain(
            raw.attachments
                .0
                .iter()
                .map(|p| (DocumentKind::Attachment, p.clone())),
        );
    let mut documents = Vec::new();
    for (kind, p) in docs {
        let p = path(&p);
        if !p.is_file() {
            problems.push(format!("missing file {}", p.display()));
        }
        documents.push((kind, p));
    }
    documents
}

/// What is wrong with the row's old URLs: not addresses, or already on an earlier row.
fn old_url_problems(
    raw: &RawRow,
    line: usize,
    seen_urls: &mut HashMap<String, usize>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for url in &raw.old_urls.0 {
        match crate::legacy::key(url) {
            None => problems.push(format!("{url:?} is not a URL or a path starting with /")),
            Some(key) => {
                if let Some(first) = seen_urls.insert(key, line) {
                    problems.push(format!("duplicate old URL {url} (also on line {first})"));
                }
            }
        }
    }
    problems
}

/// What importing one row did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    Created { session_id: i64, job_id: i64 },
    Unchanged { session_id: i64 },
}

/// Imports checked rows: each becomes a session with a queued transcode (or is found
/// already archived), and its old URLs lead to its page. Stops at the first failure,
/// naming the row; rows already imported stay (running the import again finishes it).
pub async fn import_rows(
    archive: &Archive,
    rows: &[ImportRow],
) -> Result<Vec<(usize, RowOutcome)>, Problem> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let fail = |e: String| Problem::on_line(row.line, e);
        let outcome = match ingest::submit(archive, &row.submission).await {
            Ok(Submitted::Queued {
                session_id, job_id, ..
            }) => RowOutcome::Created { session_id, job_id },
            Ok(Submitted::AlreadyArchived { session_id }) => RowOutcome::Unchanged { session_id },
            Err(e) => return Err(fail(e.to_string())),
        };
        let session_id = match outcome {
            RowOutcome::Created { session_id, .. } | RowOutcome::Unchanged { session_id } => {
                session_id
            }
        };
        let target = crate::urls::page_url(session_id);
        let links: Vec<(String, Option<String>)> = row
            .old_urls
            .iter()
            .filter_map(|u| Some((crate::legacy::key(u)?, Some(target.clone()))))
            .collect();
        match archive.catalog.add_legacy_links(&links).await {
            Ok(crate::catalog::LegacyImport::Added { .. }) => {}
            Ok(crate::catalog::LegacyImport::Conflicts(conflicts)) => {
                return Err(fail(conflicts.join("; ")))
            }
            Err(e) => return Err(fail(e.to_string())),
        }
        out.push((row.line, outcome));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn italian_archive_dates() {
        for (text, want) in [
            ("12/03/2009", "2009-03-12"),
            ("12-03-2009", "2009-03-12"),
            ("12.03.2009", "2009-03-12"),
            ("2009-03-12", "2009-03-12"),
            ("12 marzo 2009", "2009-03-12"),
            ("12 Marzo 2009", "2009-03-12"),
            ("1° dicembre 2004", "2004-12-01"),
            ("3 mar. 2010", "2010-03-03"),
        ] {
            assert_eq!(
                parse_date(text).map(|d| d.iso()).as_deref(),
                Some(want),
                "{text}"
            );
        }
        for bad in [
            "31/02/2009",
            "marzo 2009",
            "2009",
            "12 brumaio 2009",
            "03/12/09",
            "",
        ] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn rows_from_csv_and_json() {
        let csv = "old_url;date;body;title;kind;number;recordings;agenda\n\
                   /a.asp?id=1 | /v/1.wmv;12/03/2009;Consiglio comunale;Seduta;ordinaria;n. 4;s1.wmv;odg.pdf\n";
        let rows = read_rows::<RawRow>(csv).unwrap();
        assert_eq!(rows.len(), 1);
        let (line, r) = &rows[0];
        assert_eq!(*line, 2);
        assert_eq!(r.old_urls.0, vec!["/a.asp?id=1", "/v/1.wmv"]);
        assert_eq!(r.recordings.0, vec!["s1.wmv"]);
        assert_eq!(r.agenda, "odg.pdf");
        let json = r#"[{"old_urls": ["/a"], "date": "2009-03-12", "body": "Giunta",
                       "title": "T", "recordings": ["p1.mpg", "p2.mpg"]}]"#;
        let rows = read_rows::<RawRow>(json).unwrap();
        assert_eq!(rows[0].1.recordings.0.len(), 2);
        assert!(read_rows::<RawRow>("[{")
            .unwrap_err()
            .contains("not valid JSON"));
    }

    #[test]
    fn a_report_reads_back_as_written() {
        let report = Report {
            rows: 3,
            skipped: 1,
            outcome: "imported".into(),
            problems: vec![Problem::on_line(4, "no recording")],
            ..Report::default()
        };
        let json = report.to_json();
        assert!(
            json.contains(r#"{"line":4,"reason":"no recording"}"#),
            "{json}"
        );
        assert_eq!(Report::from_json(&json), report);
        assert_eq!(report.problems[0].to_string(), "line 4: no recording");
        assert_eq!(Report::from_json("not json"), Report::default());
    }
}
