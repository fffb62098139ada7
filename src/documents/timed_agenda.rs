//! Agenda items with the moment of the recording where each starts — from a spreadsheet a
//! clerk filled in (CSV) or from a WebVTT chapters track — and back out as a chapters track for
//! the player. Pure text functions: no files, no database; matching items to the session's
//! agenda is the caller's job.

use std::fmt::Write as _;

use super::transcript::{self, TranscriptError, TranscriptFormat};
use crate::text::{collapse_spaces, escape_text, timestamp};

/// More items than this is not one session's agenda; the limit bounds the work on bad input.
pub const MAX_ITEMS: usize = 10_000;

/// One agenda item and where it starts in the recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedItem {
    /// The item's number on the agenda ("3", "3bis"), when the file gives one.
    pub number: Option<String>,
    pub title: String,
    pub start_ms: u64,
    /// Only a chapters track says where an item ends; in a CSV it runs to the next one.
    pub end_ms: Option<u64>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TimedAgendaError {
    #[error(
        "no agenda items found: write one item per line as start;title, \
         for example 00:12:30;Approvazione del verbale"
    )]
    NoItems,
    #[error("line {line}: '{found}' is not a time; write it as HH:MM:SS")]
    BadTime { line: usize, found: String },
    #[error(
        "line {line}: '{found}' is not an item number; write a number such as 3, 3bis or 3.1, \
         or leave the cell empty"
    )]
    BadNumber { line: usize, found: String },
    #[error("line {line}: the start time is missing; write it as HH:MM:SS")]
    MissingTime { line: usize },
    #[error("line {line}: the item starting at {start} has no title")]
    MissingTitle { line: usize, start: String },
    #[error("line {line}: a quoted field is never closed; add the closing quote (\")")]
    UnclosedQuote { line: usize },
    #[error(
        "line {line} is longer than {max} characters: this is not an agenda, \
         or its line breaks are missing",
        max = transcript::MAX_LINE_CHARS
    )]
    LineTooLong { line: usize },
    #[error(
        "line {line}: more than {max} agenda items; is this really one session's agenda?",
        max = MAX_ITEMS
    )]
    TooManyItems { line: usize },
    /// A chapters track that is not valid WebVTT.
    #[error(transparent)]
    Chapters(TranscriptError),
}

/// The items of a WebVTT chapters track (text starting with "WEBVTT") or of a CSV table,
/// sorted by start (items with the same start keep their order in the file).
///
/// CSV: `start;title`, `start,title` or tab-separated, with an optional item number column
/// first (`number;start;title`); start as `HH:MM:SS`, `MM:SS` or seconds, an optional fraction
/// after `.` or `,`. Leading rows that do not start with a digit (a title, a header) are skipped.
pub fn parse(text: &str) -> Result<Vec<TimedItem>, TimedAgendaError> {
    let text = transcript::strip_bom(text);
    let mut items = if transcript::detect(text) == Some(TranscriptFormat::WebVtt) {
        parse_chapters(text)?
    } else {
        parse_csv(text)?
    };
    items.sort_by_key(|item| item.start_ms);
    Ok(items)
}

/// A WebVTT chapters track: each item runs from its start to the next later start, the last to
/// `duration_ms`; items starting at or after `duration_ms` are left out. Item `end_ms` is not
/// used. The cue text is "number. title", escaped.
pub fn chapters_vtt(items: &[TimedItem], duration_ms: u64) -> String {
    let mut sorted: Vec<&TimedItem> = items
        .iter()
        .filter(|item| item.start_ms < duration_ms)
        .collect();
    sorted.sort_by_key(|item| item.start_ms);
    let mut out = String::from("WEBVTT\n");
    for (index, item) in sorted.iter().enumerate() {
        // Items that start together (points discussed jointly) share the same span.
        let end = sorted[index + 1..]
            .iter()
            .map(|next| next.start_ms)
            .find(|start| *start > item.start_ms)
            .unwrap_or(duration_ms);
        let title = collapse_spaces(&item.title);
        let label = match &item.number {
            Some(number) => format!("{}. {title}", number.trim()),
            None => title,
        };
        let _ = write!(
            out,
            "\n{} --> {}\n{}\n",
            timestamp(item.start_ms, '.'),
            timestamp(end, '.'),
            escape_text(&label)
        );
    }
    out
}

fn parse_chapters(text: &str) -> Result<Vec<TimedItem>, TimedAgendaError> {
    let cues = transcript::parse_with_lines(text, false).map_err(|err| match err {
        TranscriptError::NoCues => TimedAgendaError::NoItems,
        err => TimedAgendaError::Chapters(err),
    })?;
    let mut items = Vec::with_capacity(cues.len().min(MAX_ITEMS));
    for (line, cue) in cues {
        if items.len() == MAX_ITEMS {
            return Err(TimedAgendaError::TooManyItems { line });
        }
        let title = collapse_spaces(&cue.text);
        if title.is_empty() {
            return Err(TimedAgendaError::MissingTitle {
                line,
                start: clock(cue.start_ms),
            });
        }
        let (number, title) = split_number(title);
        items.push(TimedItem {
            number,
            title,
            start_ms: cue.start_ms,
            end_ms: Some(cue.end_ms),
        });
    }
    Ok(items)
}

/// One CSV record: the line it starts on and its fields, unquoted.
#[derive(Debug)]
struct Record {
    line: usize,
    fields: Vec<String>,
}

const DELIMITERS: [char; 3] = [';', '\t', ','];

fn parse_csv(text: &str) -> Result<Vec<TimedItem>, TimedAgendaError> {
    let lines = transcript::lines_of(text);
    if let Some(line) = transcript::too_long_line(&lines) {
        return Err(TimedAgendaError::LineTooLong { line });
    }
    let delimiter = choose_delimiter(&lines);
    let mut rows = read_records(&lines, delimiter)?;
    for row in &mut rows {
        // Spreadsheets pad rows with empty cells.
        while row.fields.len() > 1 && row.fields.last().is_some_and(|f| f.trim().is_empty()) {
            row.fields.pop();
        }
    }
    rows.retain(|row| row.fields.iter().any(|field| !field.trim().is_empty()));
    // A data row starts with a time or an item number; rows before the first one are a title
    // or a header. The header's width says how many columns are meant.
    let first_data = rows
        .iter()
        .position(|row| {
            row.fields
                .iter()
                .take(2)
                .any(|field| field.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        })
        .ok_or(TimedAgendaError::NoItems)?;
    let header_columns = first_data
        .checked_sub(1)
        .map(|header| rows[header].fields.len());
    let data = &rows[first_data..];
    // Numbered when the header says so or any row reads as number;start;title: in a
    // start;title file a title is never exactly a time, so one such row settles it, and the
    // other rows are then held to that layout (a mistyped start is reported, not misread).
    let header_names_number = first_data
        .checked_sub(1)
        .and_then(|header| rows[header].fields.first())
        .is_some_and(|name| is_number_heading(name));
    let numbered = header_names_number
        || data.iter().any(|row| {
            row.fields.len() >= 3
                && is_time(&row.fields[1])
                && (row.fields[0].trim().is_empty() || item_number(&row.fields[0]).is_some())
        });
    let title_at = if numbered { 2 } else { 1 };
    // Without a header wider than the layout, cells past the title are the title's own text,
    // cut by an unquoted delimiter ("Bilancio; variazioni"); with one, they are other columns.
    let join_rest = header_columns.is_none_or(|columns| columns <= title_at + 1);
    let mut items = Vec::with_capacity(data.len().min(MAX_ITEMS));
    for row in data {
        if items.len() == MAX_ITEMS {
            return Err(TimedAgendaError::TooManyItems { line: row.line });
        }
        items.push(row_item(row, numbered, join_rest, delimiter)?);
    }
    Ok(items)
}

fn row_item(
    row: &Record,
    numbered: bool,
    join_rest: bool,
    delimiter: char,
) -> Result<TimedItem, TimedAgendaError> {
    let line = row.line;
    let field = |at: usize| row.fields.get(at).map(String::as_str).unwrap_or("");
    let start_at = usize::from(numbered);
    let start_text = field(start_at).trim();
    if start_text.is_empty() {
        return Err(TimedAgendaError::MissingTime { line });
    }
    let start_ms = parse_start(start_text).ok_or_else(|| TimedAgendaError::BadTime {
        line,
        found: start_text.to_string(),
    })?;
    let title_at = start_at + 1;
    let title = if join_rest {
        row.fields
            .get(title_at..)
            .map(|rest| rest.join(&delimiter.to_string()))
            .unwrap_or_default()
    } else {
        field(title_at).to_string()
    };
    let title = collapse_spaces(&title);
    if title.is_empty() {
        return Err(TimedAgendaError::MissingTitle {
            line,
            start: clock(start_ms),
        });
    }
    let (number, title) = match numbered.then(|| field(0).trim()) {
        Some(written) if !written.is_empty() => match item_number(written) {
            Some(number) => (Some(number.to_string()), title),
            None => {
                return Err(TimedAgendaError::BadNumber {
                    line,
                    found: written.to_string(),
                })
            }
        },
        // No number column, or an empty cell in it: the title may carry one ("3. Bilancio").
        _ => split_number(title),
    };
    Ok(TimedItem {
        number,
        title,
        start_ms,
        end_ms: None,
    })
}

/// The delimiter that makes most of the first rows read as start and title: Italian Excel
/// writes `;`, others `,`, a copy from a spreadsheet gives tabs. Ties go to `;`.
fn choose_delimiter(lines: &[&str]) -> char {
    let mut best = (DELIMITERS[0], 0);
    for delimiter in DELIMITERS {
        let Ok(records) = read_records(lines, delimiter) else {
            continue;
        };
        let score = records
            .iter()
            .filter(|row| row.fields.iter().any(|field| !field.trim().is_empty()))
            .take(10)
            .filter(|row| row.fields.len() >= 2 && row.fields.iter().take(2).any(|f| is_time(f)))
            .count();
        if score > best.1 {
            best = (delimiter, score);
        }
    }
    best.0
}

/// CSV records as spreadsheets write them: a field in double quotes may hold the delimiter,
/// line breaks and doubled quotes (`""`); a quote inside an unquoted field is just a character.
fn read_records(lines: &[&str], delimiter: char) -> Result<Vec<Record>, TimedAgendaError> {
    let mut records = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let first_line = index + 1;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut in_quotes = false;
        let mut was_quoted = false;
        loop {
            let mut chars = lines[index].chars().peekable();
            while let Some(c) = chars.next() {
                if in_quotes {
                    if c != '"' {
                        field.push(c);
                    } else if chars.peek() == Some(&'"') {
                        chars.next();
                        field.push('"');
                    } else {
                        in_quotes = false;
                    }
                } else if c == delimiter {
                    fields.push(std::mem::take(&mut field));
                    was_quoted = false;
                } else if c == '"' && !was_quoted && field.trim().is_empty() {
                    field.clear();
                    in_quotes = true;
                    was_quoted = true;
                } else {
                    field.push(c);
                }
            }
            if !in_quotes {
                break;
            }
            index += 1;
            if index == lines.len() {
                return Err(TimedAgendaError::UnclosedQuote { line: first_line });
            }
            field.push('\n');
        }
        fields.push(field);
        records.push(Record {
            line: first_line,
            fields,
        });
        index += 1;
    }
    Ok(records)
}

/// "3", "3.", "3bis)", "12a", "3.1", "Punto 3", "n. 3": the item number without its
/// decorations; None when the text is not a number.
fn item_number(text: &str) -> Option<&str> {
    let text = text.trim();
    let lower = text.to_lowercase();
    let prefix = ["punto", "n°", "nr.", "nr", "n.", "n"]
        .into_iter()
        .find(|prefix| {
            lower.starts_with(prefix)
                && lower[prefix.len()..]
                    .trim_start()
                    .starts_with(|c: char| c.is_ascii_digit())
        })
        .map_or(0, str::len);
    let number = text
        .get(prefix..)?
        .trim_start()
        .trim_end_matches(['.', ')'])
        .trim_end();
    let valid = number.len() <= 12
        && number.starts_with(|c: char| c.is_ascii_digit())
        && number
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '/' | '-'));
    valid.then_some(number)
}

/// "N.", "Nr", "Numero", "Punto", "#", "Number"…: a header over a column of item numbers.
fn is_number_heading(name: &str) -> bool {
    let name = name.trim().trim_end_matches(['.', ':', '°']).to_lowercase();
    matches!(
        name.as_str(),
        "n" | "nr" | "num" | "numero" | "punto" | "#" | "no" | "number" | "item"
    )
}

fn is_time(field: &str) -> bool {
    parse_start(field).is_some()
}

/// Milliseconds from "HH:MM:SS", "MM:SS" or plain seconds ("754"), each with an optional
/// fraction after `.` or `,`.
fn parse_start(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.contains(':') {
        return transcript::parse_timestamp(text);
    }
    let (seconds, fraction) = match text.split_once(['.', ',']) {
        Some((seconds, fraction)) => (seconds, Some(fraction)),
        None => (text, None),
    };
    let digits =
        |s: &str, max: usize| (1..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(seconds, 6) {
        return None;
    }
    let millis = match fraction {
        None => 0,
        Some(f) if digits(f, 3) => format!("{f:0<3}").parse::<u64>().ok()?,
        Some(_) => return None,
    };
    Some(seconds.parse::<u64>().ok()? * 1000 + millis)
}

/// "00:12:30", or "00:12:30.250" when there are milliseconds.
fn clock(ms: u64) -> String {
    let full = timestamp(ms, '.');
    match full.strip_suffix(".000") {
        Some(whole) => whole.to_string(),
        None => full,
    }
}

/// "3. Bilancio" → (Some("3"), "Bilancio"), read the way the rest of the documents module reads
/// agenda points ("2) …", "Punto 4 – …"); a title without a number stays whole.
fn split_number(title: String) -> (Option<String>, String) {
    // "10:30 ripresa dei lavori" and "10.30 ripresa" start with a time, not a number.
    let after_digits = title.trim_start_matches(|c: char| c.is_ascii_digit());
    let mut next = after_digits.chars();
    if after_digits.len() < title.len()
        && matches!(next.next(), Some(':' | '.' | ','))
        && next.next().is_some_and(|c| c.is_ascii_digit())
    {
        return (None, title);
    }
    match super::agenda_items(&title).as_slice() {
        [(Some(number), rest)] => (Some(number.clone()), rest.clone()),
        _ => (None, title),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(number: Option<&str>, title: &str, start_ms: u64, end_ms: Option<u64>) -> TimedItem {
        TimedItem {
            number: number.map(str::to_string),
            title: title.to_string(),
            start_ms,
            end_ms,
        }
    }

    #[test]
    fn csv_with_semicolons_header_and_bom() {
        let csv =
            "\u{feff}Inizio;Titolo\r\n00:00:00;Appello\r\n00:12:30;Approvazione del verbale\r\n";
        assert_eq!(
            parse(csv).unwrap(),
            vec![
                item(None, "Appello", 0, None),
                item(None, "Approvazione del verbale", 750_000, None),
            ]
        );
    }

    #[test]
    fn csv_with_commas_and_no_header() {
        let csv = "0:00:00,Appello\n1:05:00,Bilancio di previsione 2009";
        assert_eq!(
            parse(csv).unwrap(),
            vec![
                item(None, "Appello", 0, None),
                item(None, "Bilancio di previsione 2009", 3_900_000, None),
            ]
        );
    }

    #[test]
    fn csv_with_tabs_from_a_spreadsheet_copy() {
        let csv = "00:01:00\tAppello\n00:02:00\tComunicazioni, del sindaco\n";
        let titles: Vec<_> = parse(csv).unwrap().into_iter().map(|i| i.title).collect();
        assert_eq!(titles, ["Appello", "Comunicazioni, del sindaco"]);
    }

    #[test]
    fn csv_with_a_number_column() {
        let csv = "N.;Inizio;Oggetto\n1;00:00:00;Appello\n2.;00:05:00;Verbale\n;00:09:00;Pausa\n\
                   3bis);00:10:00;Mozione\nPunto 4;00:11:00;Varie\n;00:12:00;5. Chiusura\n";
        assert_eq!(
            parse(csv).unwrap(),
            vec![
                item(Some("1"), "Appello", 0, None),
                item(Some("2"), "Verbale", 300_000, None),
                item(None, "Pausa", 540_000, None),
                item(Some("3bis"), "Mozione", 600_000, None),
                item(Some("4"), "Varie", 660_000, None),
                item(Some("5"), "Chiusura", 720_000, None),
            ]
        );
    }

    #[test]
    fn start_times_in_their_accepted_shapes() {
        let csv = "01:02:03;A\n1:02:03;B\n02:03;C\n754;D\n754,5;E\n00:00:01.250;F\n";
        let starts: Vec<_> = parse(csv)
            .unwrap()
            .into_iter()
            .map(|i| i.start_ms)
            .collect();
        assert_eq!(
            starts,
            [1_250, 123_000, 754_000, 754_500, 3_723_000, 3_723_000]
        );
    }

    #[test]
    fn csv_quoted_fields() {
        let csv = "00:01:00;\"Bilancio; variazioni, assestamento\"\n\
                   00:02:00; \"Mozione \"\"Piazza pulita\"\"\"\n\
                   00:03:00;\"Interrogazione\nsu due righe\"\n\
                   00:04:00;Il \"nuovo\" regolamento\n";
        assert_eq!(
            parse(csv).unwrap(),
            vec![
                item(None, "Bilancio; variazioni, assestamento", 60_000, None),
                item(None, "Mozione \"Piazza pulita\"", 120_000, None),
                item(None, "Interrogazione su due righe", 180_000, None),
                item(None, "Il \"nuovo\" regolamento", 240_000, None),
            ]
        );
    }

    #[test]
    fn csv_quoted_fields_with_commas() {
        let csv = "start,title\n\"00:01:00\",\"Bilancio, variazioni; assestamento\"\n";
        assert_eq!(
            parse(csv).unwrap(),
            vec![item(
                None,
                "Bilancio, variazioni; assestamento",
                60_000,
                None
            )]
        );
    }

    #[test]
    fn unquoted_delimiters_in_a_title_are_kept_and_padding_dropped() {
        let csv = "00:01:00;Bilancio; variazioni;;\n00:02:00,Conti, bilanci; e altro\n";
        // The file is read with `;`: the second row's comma stays in its start and is refused.
        assert_eq!(
            parse(csv).unwrap_err(),
            TimedAgendaError::BadTime {
                line: 2,
                found: "00:02:00,Conti, bilanci".into()
            }
        );
        let csv = "00:01:00;Bilancio; variazioni;;\n";
        assert_eq!(
            parse(csv).unwrap(),
            vec![item(None, "Bilancio; variazioni", 60_000, None)]
        );
    }

    #[test]
    fn with_a_wide_header_extra_columns_are_ignored() {
        let csv = "Inizio;Titolo;Note\n00:01:00;Bilancio;approvato all'unanimità\n";
        assert_eq!(
            parse(csv).unwrap(),
            vec![item(None, "Bilancio", 60_000, None)]
        );
    }

    #[test]
    fn a_number_written_in_the_title_is_split_off() {
        let csv = "00:01:00;1. Appello\n00:02:00;Punto 2 – Bilancio\n00:03:00;2009 in sintesi\n\
                   00:04:00;10:30 ripresa dei lavori\n00:05:00;3.1 allegato\n";
        assert_eq!(
            parse(csv).unwrap(),
            vec![
                item(Some("1"), "Appello", 60_000, None),
                item(Some("2"), "Bilancio", 120_000, None),
                item(None, "2009 in sintesi", 180_000, None),
                item(None, "10:30 ripresa dei lavori", 240_000, None),
                item(None, "3.1 allegato", 300_000, None),
            ]
        );
    }

    #[test]
    fn title_rows_blank_lines_and_empty_rows_are_skipped() {
        let csv = "Consiglio comunale del 12/03/2009;;\r\n;;\r\n\r\nInizio;Titolo;\r\n00:00:10;Appello;\r\n\r\n;;\r\n00:00:20;Fine;\r\n";
        assert_eq!(
            parse(csv).unwrap(),
            vec![
                item(None, "Appello", 10_000, None),
                item(None, "Fine", 20_000, None)
            ]
        );
    }

    #[test]
    fn items_are_sorted_by_start() {
        // Points discussed out of order ("inversione dell'ordine del giorno").
        let csv =
            "1;00:00:00;Appello\n3;00:30:00;Mozione\n2;00:10:00;Bilancio\n4;00:10:00;Variazione\n";
        let numbers: Vec<_> = parse(csv)
            .unwrap()
            .into_iter()
            .map(|i| i.number.unwrap())
            .collect();
        assert_eq!(numbers, ["1", "2", "4", "3"]);
    }

    #[test]
    fn webvtt_chapters() {
        let vtt = "\u{feff}WEBVTT\n\n\
                   00:00:00.000 --> 00:05:00.000\n1. Appello\n\n\
                   intro\n00:05:00.000 --> 00:45:30.500\n<b>Bilancio</b> &amp;\nassestamento\n\n\
                   00:45:30.500 --> 01:00:00.000\nPRESIDENTE: chiusura\n";
        assert_eq!(
            parse(vtt).unwrap(),
            vec![
                item(Some("1"), "Appello", 0, Some(300_000)),
                item(None, "Bilancio & assestamento", 300_000, Some(2_730_500)),
                item(None, "PRESIDENTE: chiusura", 2_730_500, Some(3_600_000)),
            ]
        );
    }

    #[test]
    fn bad_time_says_how_to_write_it() {
        let csv = "Inizio;Titolo\n00:00:00;Appello\n00:01:00;Verbale\n1:7x;Bilancio\n";
        let err = parse(csv).unwrap_err();
        assert_eq!(
            err,
            TimedAgendaError::BadTime {
                line: 4,
                found: "1:7x".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "line 4: '1:7x' is not a time; write it as HH:MM:SS"
        );
        assert_eq!(
            parse("1;00:00:00;Appello\n2;00:61:00;Verbale\n").unwrap_err(),
            TimedAgendaError::BadTime {
                line: 2,
                found: "00:61:00".into()
            }
        );
        assert_eq!(
            parse("Punto;Ora;Titolo\n2;00:61:00;Verbale\n").unwrap_err(),
            TimedAgendaError::BadTime {
                line: 2,
                found: "00:61:00".into()
            }
        );
        // A first row that is a failed time is an error, not a header.
        assert_eq!(
            parse("7x;Appello\n").unwrap_err().to_string(),
            "line 1: '7x' is not a time; write it as HH:MM:SS"
        );
    }

    #[test]
    fn missing_title_and_missing_time() {
        assert_eq!(
            parse("00:00:00;Appello\n00:12:30;\n")
                .unwrap_err()
                .to_string(),
            "line 2: the item starting at 00:12:30 has no title"
        );
        assert_eq!(
            parse("1;00:00:00;Appello\n2;;Bilancio\n")
                .unwrap_err()
                .to_string(),
            "line 2: the start time is missing; write it as HH:MM:SS"
        );
        assert_eq!(
            parse("WEBVTT\n\n00:00:01.500 --> 00:00:02.000\n<b></b>\n")
                .unwrap_err()
                .to_string(),
            "line 3: the item starting at 00:00:01.500 has no title"
        );
    }

    #[test]
    fn bad_item_number() {
        let err = parse("1;00:00:00;Appello\nBilancio;00:01:00;Verbale\n").unwrap_err();
        assert_eq!(
            err,
            TimedAgendaError::BadNumber {
                line: 2,
                found: "Bilancio".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "line 2: 'Bilancio' is not an item number; write a number such as 3, 3bis or 3.1, \
             or leave the cell empty"
        );
    }

    #[test]
    fn unclosed_quote() {
        let err = parse("00:00:00;Appello\n00:01:00;\"Bilancio\n00:02:00;Fine\n").unwrap_err();
        assert_eq!(err, TimedAgendaError::UnclosedQuote { line: 2 });
        assert_eq!(
            err.to_string(),
            "line 2: a quoted field is never closed; add the closing quote (\")"
        );
    }

    #[test]
    fn nothing_to_read() {
        for text in [
            "",
            "\u{feff}",
            "Inizio;Titolo\n",
            ";;\n\n",
            "WEBVTT\n\nNOTE vuoto\n",
        ] {
            assert_eq!(
                parse(text).unwrap_err(),
                TimedAgendaError::NoItems,
                "{text:?}"
            );
        }
        assert_eq!(
            TimedAgendaError::NoItems.to_string(),
            "no agenda items found: write one item per line as start;title, \
             for example 00:12:30;Approvazione del verbale"
        );
    }

    #[test]
    fn chapters_errors_are_passed_on() {
        let err = parse("WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nAppello\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 3: the cue ends at 00:00:01.000, before it starts at 00:00:05.000"
        );
    }

    #[test]
    fn bounds() {
        let long = format!("00:00:00;{}\n", "a".repeat(transcript::MAX_LINE_CHARS));
        assert_eq!(
            parse(&long).unwrap_err(),
            TimedAgendaError::LineTooLong { line: 1 }
        );
        let mut many = String::new();
        for i in 0..=MAX_ITEMS {
            let _ = writeln!(many, "{i};Punto");
        }
        assert_eq!(
            parse(&many).unwrap_err(),
            TimedAgendaError::TooManyItems {
                line: MAX_ITEMS + 1
            }
        );
    }

    #[test]
    fn chapters_track_text() {
        let items = [
            item(Some("2"), "Bilancio & <variazioni>", 754_000, None),
            item(Some("1"), "Appello", 0, Some(5_000)),
            item(Some("3"), "Mozione", 754_000, None),
            item(None, "Interrogazioni\n  varie", 3_600_000, None),
            item(Some("5"), "Oltre la fine", 4_000_000, None),
        ];
        assert_eq!(
            chapters_vtt(&items, 3_700_500),
            "WEBVTT\n\n\
             00:00:00.000 --> 00:12:34.000\n1. Appello\n\n\
             00:12:34.000 --> 01:00:00.000\n2. Bilancio &amp; &lt;variazioni&gt;\n\n\
             00:12:34.000 --> 01:00:00.000\n3. Mozione\n\n\
             01:00:00.000 --> 01:01:40.500\nInterrogazioni varie\n"
        );
        assert_eq!(chapters_vtt(&[], 1000), "WEBVTT\n");
    }

    #[test]
    fn chapters_track_reads_back() {
        let items = vec![
            item(Some("1"), "Appello", 0, None),
            item(Some("2"), "Bilancio & <variazioni>", 60_000, None),
            item(None, "Varie ed eventuali", 120_000, None),
        ];
        let read = parse(&chapters_vtt(&items, 180_000)).unwrap();
        assert_eq!(
            read,
            vec![
                item(Some("1"), "Appello", 0, Some(60_000)),
                item(Some("2"), "Bilancio & <variazioni>", 60_000, Some(120_000)),
                item(None, "Varie ed eventuali", 120_000, Some(180_000)),
            ]
        );
    }
}
