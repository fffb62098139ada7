//! The catalog's values and rows (states and kinds are in `crate::domain`). Values that
//! come from outside (a body's name, a date, a title) can only be built by parsing, so
//! nothing invalid travels inward.

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::{
    BodyKind, CueSource, DocumentKind, ExtractionState, JobKind, JobState, SessionState,
};

/// Why a value given by a person or a file was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum InvalidInput {
    #[error("the body name is empty")]
    EmptyBody,
    #[error("the title is empty")]
    EmptyTitle,
    #[error("{what} is too long ({len} characters, at most {max})")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{0:?} is not a date: write it as YYYY-MM-DD, e.g. 2009-03-12")]
    BadDate(String),
}

/// `text` with its runs of spaces made one and its ends trimmed; refused as `empty` when
/// nothing is left, or when longer than `max` characters.
fn required_text(
    text: &str,
    empty: InvalidInput,
    what: &'static str,
    max: usize,
) -> Result<String, InvalidInput> {
    let text = collapse_spaces(text);
    if text.is_empty() {
        return Err(empty);
    }
    check_len(what, &text, max)?;
    Ok(text)
}

/// The name of a council, committee or other body, trimmed and non-empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyName(String);

impl BodyName {
    pub fn parse(text: &str) -> Result<BodyName, InvalidInput> {
        required_text(text, InvalidInput::EmptyBody, "the body name", 200).map(BodyName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Lower case without accents or punctuation: "Commissione Urbanistica" and
    /// "commissione  urbanística" name the same body.
    pub fn match_key(&self) -> String {
        fold(&self.0)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn slug(&self) -> String {
        slug(&self.0)
    }

    /// What the name suggests: "Consiglio …" is the council, "Commissione …" and
    /// "Giunta …" committees, anything else other.
    pub fn kind(&self) -> BodyKind {
        let key = self.match_key();
        if key.starts_with("consiglio") {
            BodyKind::Council
        } else if key.starts_with("commissione") || key.starts_with("giunta") {
            BodyKind::Committee
        } else {
            BodyKind::Other
        }
    }
}

/// The title of a session, trimmed and non-empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTitle(String);

impl SessionTitle {
    pub fn parse(text: &str) -> Result<SessionTitle, InvalidInput> {
        required_text(text, InvalidInput::EmptyTitle, "the title", 500).map(SessionTitle)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A calendar date in ISO form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SessionDate(NaiveDate);

/// Month names as Italian dates write them ("12 marzo 2009").
pub const ITALIAN_MONTHS: [&str; 12] = [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
];

impl SessionDate {
    pub fn parse(text: &str) -> Result<SessionDate, InvalidInput> {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map(SessionDate)
            .map_err(|_| InvalidInput::BadDate(text.to_string()))
    }

    pub fn iso(&self) -> String {
        self.0.format("%Y-%m-%d").to_string()
    }
}

use crate::text::collapse_spaces;

fn check_len(what: &'static str, text: &str, max: usize) -> Result<(), InvalidInput> {
    let len = text.chars().count();
    if len > max {
        return Err(InvalidInput::TooLong { what, len, max });
    }
    Ok(())
}

/// Lower case, accents removed ("Città" → "citta").
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

/// A URL-safe name: "Commissione Urbanistica" → "commissione-urbanistica".
pub fn slug(text: &str) -> String {
    let folded = fold(text);
    let mut out = String::with_capacity(folded.len());
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Body {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub kind: BodyKind,
}

/// A session as lists and pages show it, with its body and published media (if any).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SessionRow {
    pub id: i64,
    pub body_id: i64,
    pub body_name: String,
    pub body_slug: String,
    pub date: String,
    pub title: String,
    pub kind: String,
    pub number: Option<i64>,
    pub state: SessionState,
    pub state_reason: Option<String>,
    pub media_dir: Option<String>,
    pub master_playlist: Option<String>,
    pub mp4_file: Option<String>,
    pub poster_file: Option<String>,
    pub duration_ms: Option<i64>,
    pub warnings: Option<String>,
    pub audio_playlist: Option<String>,
    pub audio_file: Option<String>,
    pub thumbnails_vtt: Option<String>,
    /// The state as stored: `state` says `withheld` also while the session is outside its
    /// publication window.
    pub stored_state: SessionState,
    /// Unix seconds; the session is public only from / until then.
    pub publish_from: Option<i64>,
    pub publish_until: Option<i64>,
    /// The ranges the current media version was made without (JSON, see `Cuts`).
    pub cuts: Option<String>,
}

impl SessionRow {
    /// Whether citizens may see it at all: withheld sessions (by an editor, or outside
    /// their publication window) are not listed, shown, searched or served.
    pub fn is_public(&self) -> bool {
        self.state != SessionState::Withheld
    }
}

/// Time ranges cut from a media version, in the original recording's timeline
/// (milliseconds): sorted, disjoint, each at least 1 ms long.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cuts(Vec<(i64, i64)>);

impl Cuts {
    /// Sorts the ranges and merges those that overlap or touch; empty ones are dropped.
    pub fn new(mut ranges: Vec<(i64, i64)>) -> Cuts {
        ranges.retain(|(a, b)| b > a);
        for r in &mut ranges {
            r.0 = r.0.max(0);
        }
        ranges.retain(|(a, b)| b > a);
        ranges.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(ranges.len());
        for (a, b) in ranges {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        Cuts(merged)
    }

    /// Reads what `to_json` wrote; anything unreadable is no cut at all.
    pub fn from_json(text: Option<&str>) -> Cuts {
        text.and_then(|t| serde_json::from_str::<Vec<(i64, i64)>>(t).ok())
            .map(Cuts::new)
            .unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "[]".into())
    }

    pub fn ranges(&self) -> &[(i64, i64)] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Where an instant of the original plays in the cut media; None inside a cut.
    pub fn public_time(&self, ms: i64) -> Option<i64> {
        let mut removed = 0;
        for &(a, b) in &self.0 {
            if ms < a {
                break;
            }
            if ms < b {
                return None;
            }
            removed += b - a;
        }
        Some(ms - removed)
    }

    /// Where an instant of the cut media was in the original: the inverse of `public_time`
    /// (an instant where a cut was made is the one after the cut).
    pub fn original_time(&self, public_ms: i64) -> i64 {
        let mut t = public_ms;
        for &(a, b) in &self.0 {
            if t < a {
                break;
            }
            t += b - a;
        }
        t
    }

    /// Like `public_time`, but an instant inside a cut goes to where the cut is.
    pub fn public_time_clamped(&self, ms: i64) -> i64 {
        let mut removed = 0;
        for &(a, b) in &self.0 {
            if ms < a {
                break;
            }
            if ms < b {
                return a - removed;
            }
            removed += b - a;
        }
        ms - removed
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AgendaItem {
    pub id: i64,
    pub position: i64,
    pub number: Option<String>,
    pub title: String,
    pub start_ms: Option<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DocumentRow {
    pub id: i64,
    pub kind: DocumentKind,
    pub original_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub extraction_state: ExtractionState,
    pub extraction_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct CueRow {
    pub start_ms: i64,
    pub end_ms: i64,
    pub speaker: Option<String>,
    pub text: String,
    pub source: CueSource,
    /// The speech engine's mean confidence in the words (automatic cues only).
    pub confidence: Option<f64>,
    /// The person of the roster speaking, from the session's speaker turns.
    #[sqlx(skip)]
    pub person: Option<super::PersonRow>,
    /// The person was inferred from the chair's words, not read from a label or set by an
    /// editor: pages say so.
    #[sqlx(skip)]
    pub person_inferred: bool,
}

impl CueRow {
    /// Who speaks, as captions name them: the person of the roster, else the label.
    pub fn speaker_name(&self) -> Option<String> {
        self.person
            .as_ref()
            .map(|p| p.name())
            .or_else(|| self.speaker.clone())
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct JobRow {
    pub id: i64,
    pub kind: JobKind,
    pub session_id: Option<i64>,
    pub payload: String,
    pub state: JobState,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_after: i64,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<i64>,
    pub progress: Option<f64>,
    pub speed: Option<f64>,
    pub eta_seconds: Option<i64>,
    pub error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_names_fold_to_one_key() {
        let a = BodyName::parse("  Commissione   Urbanistica ").unwrap();
        let b = BodyName::parse("commissione urbanística").unwrap();
        assert_eq!(a.as_str(), "Commissione Urbanistica");
        assert_eq!(a.match_key(), b.match_key());
        assert_eq!(a.slug(), "commissione-urbanistica");
        assert_eq!(a.kind(), BodyKind::Committee);
        assert_eq!(
            BodyName::parse("Consiglio comunale").unwrap().kind(),
            BodyKind::Council
        );
        assert_eq!(BodyName::parse(" \t"), Err(InvalidInput::EmptyBody));
    }

    #[test]
    fn dates_must_be_iso() {
        assert_eq!(
            SessionDate::parse("2009-03-12").unwrap().iso(),
            "2009-03-12"
        );
        assert!(SessionDate::parse("12/03/2009").is_err());
        assert!(SessionDate::parse("2009-02-30").is_err());
    }

    #[test]
    fn cuts_move_later_times_back() {
        let cuts = Cuts::new(vec![
            (20_000, 30_000),
            (5_000, 10_000),
            (8_000, 12_000),
            (40, 40),
        ]);
        assert_eq!(cuts.ranges(), &[(5_000, 12_000), (20_000, 30_000)]);
        assert_eq!(cuts.public_time(1_000), Some(1_000));
        assert_eq!(cuts.public_time(6_000), None);
        assert_eq!(cuts.public_time(12_000), Some(5_000));
        assert_eq!(cuts.public_time(35_000), Some(35_000 - 7_000 - 10_000));
        assert_eq!(cuts.public_time_clamped(25_000), 20_000 - 7_000);
        assert_eq!(Cuts::from_json(Some(&cuts.to_json())), cuts);
        assert!(Cuts::from_json(Some("not json")).is_empty());
        assert_eq!(Cuts::new(vec![(-5, 10)]).ranges(), &[(0, 10)]);
    }

    #[test]
    fn a_time_in_the_cut_media_goes_back_to_the_original() {
        let cuts = Cuts::new(vec![(5_000, 12_000), (20_000, 30_000)]);
        for public in [0, 4_999, 5_000, 12_999, 13_000, 20_000, 50_000] {
            let original = cuts.original_time(public);
            assert_eq!(
                cuts.public_time(original),
                Some(public),
                "{public} -> {original}"
            );
        }
        assert_eq!(cuts.original_time(5_000), 12_000);
        assert_eq!(Cuts::default().original_time(7), 7);
    }

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(slug("Città d'arte — 2009!"), "citta-d-arte-2009");
        assert_eq!(fold("Perché"), "perche");
    }
}
