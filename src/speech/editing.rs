//! An editor's form of the transcript made into cues: each row's times (typed as
//! `H:MM:SS.mmm`, `M:SS` or seconds) and text, a row ticked to be merged with the next, a
//! row split where its text holds `||` (the times shared out by characters). Pure: form
//! rows in, cues or the first row's problem out; the catalog decides what was corrected.

use crate::catalog::EditedCue;

/// One row of the editor's form, as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormRow {
    pub start: String,
    pub end: String,
    pub text: String,
    pub merge_with_next: bool,
}

/// Where an editor marks a split inside a cue's text.
pub const SPLIT: &str = "||";

/// A time as the form shows it: `0:01:02.500`.
pub fn form_time(ms: i64) -> String {
    let ms = ms.max(0);
    format!(
        "{}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// `H:MM:SS.mmm`, `M:SS(.mmm)` or seconds, in milliseconds; `None` for anything else.
pub fn parse_time(text: &str) -> Option<i64> {
    let mut total = 0.0;
    let parts: Vec<&str> = text.trim().split(':').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    for (i, part) in parts.iter().enumerate() {
        let last = i == parts.len() - 1;
        let value: f64 = if last {
            part.parse().ok()?
        } else {
            f64::from(part.parse::<u32>().ok()?)
        };
        if !value.is_finite() || value < 0.0 || (i > 0 && value >= 60.0) {
            return None;
        }
        total = total * 60.0 + value;
    }
    (total <= 604_800.0).then(|| (total * 1000.0).round() as i64)
}

/// The cues the form describes, in time order; the row (from 1) and what is wrong with it
/// when one cannot be read.
pub fn cues_from_form(rows: &[FormRow]) -> Result<Vec<EditedCue>, (usize, String)> {
    let mut out: Vec<EditedCue> = Vec::new();
    let mut merging = false;
    for (i, row) in rows.iter().enumerate() {
        let n = i + 1;
        let (Some(start), Some(end)) = (parse_time(&row.start), parse_time(&row.end)) else {
            return Err((n, "write times as 0:01:02.500".into()));
        };
        if end <= start {
            return Err((n, "it must end after it starts".into()));
        }
        let text = row.text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.replace(SPLIT, "").trim().is_empty() {
            return Err((n, "its text is empty".into()));
        }
        let parts = split(start, end, &text);
        match out.last_mut() {
            Some(previous) if merging => {
                let first = &parts[0];
                previous.text = format!("{} {}", previous.text, first.text);
                previous.end_ms = previous.end_ms.max(first.end_ms);
                out.extend(parts.into_iter().skip(1));
            }
            _ => out.extend(parts),
        }
        merging = row.merge_with_next;
    }
    out.sort_by_key(|c| (c.start_ms, c.end_ms));
    Ok(out)
}

/// A cue cut where its text holds `SPLIT`, the time shared out by characters.
fn split(start: i64, end: i64, text: &str) -> Vec<EditedCue> {
    let pieces: Vec<&str> = text
        .split(SPLIT)
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let total: usize = pieces.iter().map(|p| p.chars().count()).sum();
    let mut at = start;
    let mut seen = 0;
    let mut out = Vec::with_capacity(pieces.len());
    for (i, piece) in pieces.iter().enumerate() {
        seen += piece.chars().count();
        let to = if i + 1 == pieces.len() {
            end
        } else {
            start + (end - start) * seen as i64 / total.max(1) as i64
        };
        out.push(EditedCue {
            start_ms: at,
            end_ms: to.max(at + 1),
            text: piece.to_string(),
        });
        at = to;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(start: &str, end: &str, text: &str) -> FormRow {
        FormRow {
            start: start.into(),
            end: end.into(),
            text: text.into(),
            merge_with_next: false,
        }
    }

    #[test]
    fn times_read_the_ways_a_clerk_types_them() {
        assert_eq!(parse_time("0:01:02.500"), Some(62_500));
        assert_eq!(parse_time("1:02"), Some(62_000));
        assert_eq!(parse_time(" 62.5 "), Some(62_500));
        assert_eq!(parse_time(&form_time(3_723_004)), Some(3_723_004));
        for bad in [
            "",
            "1:60",
            "a:00",
            "-3",
            "1:2:3:4",
            "200:00:00",
            "NaN",
            "inf",
        ] {
            assert_eq!(parse_time(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn rows_are_retimed_merged_and_split() {
        let mut first = row("0:00:01.000", "0:00:03.000", "Buongiorno a tutti,");
        first.merge_with_next = true;
        let rows = [
            first,
            row("0:00:03.000", "0:00:05.000", "apriamo  la seduta."),
            row("0:00:06.000", "0:00:10.000", "Prego. || Grazie presidente."),
        ];
        // "Prego." is 6 characters of 24: the first quarter of its 4 s.
        let cues = cues_from_form(&rows).unwrap();
        let got: Vec<(i64, i64, &str)> = cues
            .iter()
            .map(|c| (c.start_ms, c.end_ms, c.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (1_000, 5_000, "Buongiorno a tutti, apriamo la seduta."),
                (6_000, 7_000, "Prego."),
                (7_000, 10_000, "Grazie presidente."),
            ]
        );
    }

    #[test]
    fn a_bad_row_is_named() {
        let rows = [
            row("0:00:01", "0:00:02", "bene"),
            row("0:00:05", "0:00:04", "al rovescio"),
        ];
        assert_eq!(cues_from_form(&rows).unwrap_err().0, 2);
        assert_eq!(cues_from_form(&[row("x", "1", "a")]).unwrap_err().0, 1);
        assert_eq!(cues_from_form(&[row("1", "2", " || ")]).unwrap_err().0, 1);
    }
}
