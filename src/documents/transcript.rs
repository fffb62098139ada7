//! Transcripts of a session's recording: SRT and WebVTT text in, timed cues (with the speaker
//! when the file names one) out, and cues back out as WebVTT — served as the captions track, so
//! its text is escaped — or as SRT for download. Pure text functions: no files, no database,
//! no async; storing cues is the catalog's job.

use std::fmt::Write as _;

use crate::text::{escape_text, timestamp};

/// More cues than this is not one session's transcript; the limit bounds the work on bad input.
pub const MAX_CUES: usize = 200_000;
/// Longer lines mean a binary file or one whose line breaks were lost.
pub const MAX_LINE_CHARS: usize = 10_000;

/// One timed piece of a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    pub start_ms: u64,
    pub end_ms: u64,
    /// In title case ("Cons. Rossi"), from `<v Name>` in WebVTT or a leading "CONS. ROSSI:".
    pub speaker: Option<String>,
    /// Plain text without markup; lines separated by '\n', never an empty line.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TranscriptFormat {
    Srt,
    WebVtt,
}

impl TranscriptFormat {
    fn time_hint(self) -> &'static str {
        match self {
            TranscriptFormat::Srt => "HH:MM:SS,mmm (for example 00:01:02,500)",
            TranscriptFormat::WebVtt => "HH:MM:SS.mmm (for example 00:01:02.500)",
        }
    }

    fn decimal_separator(self) -> char {
        match self {
            TranscriptFormat::Srt => ',',
            TranscriptFormat::WebVtt => '.',
        }
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TranscriptError {
    #[error("no cues found: is this an SRT or WebVTT file?")]
    NoCues,
    #[error("line {line}: '{found}' is not a time; write it as {expected}")]
    BadTimestamp {
        line: usize,
        found: String,
        expected: &'static str,
    },
    #[error("line {line}: the cue ends at {end}, before it starts at {start}")]
    EndBeforeStart {
        line: usize,
        start: String,
        end: String,
    },
    #[error(
        "line {line} is longer than {max} characters: this is not a subtitle file, \
         or its line breaks are missing",
        max = MAX_LINE_CHARS
    )]
    LineTooLong { line: usize },
    #[error(
        "line {line}: more than {max} cues; split the transcript into smaller files",
        max = MAX_CUES
    )]
    TooManyCues { line: usize },
}

/// WebVTT when the text starts with the "WEBVTT" header (after an optional BOM), SRT when it
/// has a timing line ("00:00:01,000 --> 00:00:04,000"), otherwise nothing.
pub fn detect(text: &str) -> Option<TranscriptFormat> {
    let body = strip_bom(text).trim_start();
    if let Some(rest) = body.strip_prefix("WEBVTT") {
        if rest.is_empty() || rest.starts_with([' ', '\t', '\n', '\r']) {
            return Some(TranscriptFormat::WebVtt);
        }
    }
    if lines_of(body).into_iter().any(looks_like_timing) {
        return Some(TranscriptFormat::Srt);
    }
    None
}

/// The cues of an SRT or WebVTT transcript, sorted by start (cues with the same start keep
/// their order in the file). Overlapping cues are kept.
pub fn parse(text: &str) -> Result<Vec<Cue>, TranscriptError> {
    Ok(parse_with_lines(text, true)?
        .into_iter()
        .map(|(_, cue)| cue)
        .collect())
}

/// Each cue with the line of its timing, sorted by start. `speaker_labels` turns a leading
/// "PRESIDENTE:" into the speaker; chapter titles are read without it.
pub(crate) fn parse_with_lines(
    text: &str,
    speaker_labels: bool,
) -> Result<Vec<(usize, Cue)>, TranscriptError> {
    let format = detect(text).ok_or(TranscriptError::NoCues)?;
    let lines = lines_of(strip_bom(text));
    if let Some(line) = too_long_line(&lines) {
        return Err(TranscriptError::LineTooLong { line });
    }
    let raw = raw_cues(&lines, format)?;
    let mut cues = Vec::with_capacity(raw.len());
    for cue in raw {
        let text = cue.lines.join("\n");
        let pieces = match format {
            TranscriptFormat::WebVtt => webvtt_voices(&text),
            TranscriptFormat::Srt => vec![(None, strip_srt_formatting(&text))],
        };
        for (voice, text) in pieces {
            let text = tidy_lines(&text);
            let (speaker, text) = match voice {
                Some(voice) => (Some(voice), text),
                None if speaker_labels => match split_speaker_label(&text) {
                    Some((speaker, rest)) => (Some(speaker), rest.to_string()),
                    None => (None, text),
                },
                None => (None, text),
            };
            if cues.len() == MAX_CUES {
                return Err(TranscriptError::TooManyCues { line: cue.line });
            }
            cues.push((
                cue.line,
                Cue {
                    start_ms: cue.start_ms,
                    end_ms: cue.end_ms,
                    speaker,
                    text,
                },
            ));
        }
    }
    if cues.is_empty() {
        return Err(TranscriptError::NoCues);
    }
    cues.sort_by_key(|(_, cue)| cue.start_ms);
    Ok(cues)
}

/// A WebVTT file: one cue per `Cue`, in start order, the speaker as `<v Name>`, and `&`, `<`,
/// `>` escaped so no text can become markup in the player.
pub fn to_webvtt(cues: &[Cue]) -> String {
    let mut out = String::from("WEBVTT\n");
    for cue in by_start(cues) {
        let _ = writeln!(
            out,
            "\n{} --> {}",
            timestamp(cue.start_ms, '.'),
            timestamp(cue.end_ms, '.')
        );
        let mut lines = text_lines(&cue.text);
        if let Some(speaker) = &cue.speaker {
            let _ = write!(out, "<v {}>", escape_text(speaker.trim()));
            if let Some(first) = lines.next() {
                out.push_str(&escape_text(first));
            }
            out.push('\n');
        }
        for line in lines {
            out.push_str(&escape_text(line));
            out.push('\n');
        }
    }
    out
}

/// An SRT file: numbered cues in start order; the speaker, if any, leads the text in capitals
/// ("CONS. ROSSI: …"), the way captions and Italian minutes write it, so `parse` reads it back.
pub fn to_srt(cues: &[Cue]) -> String {
    let mut out = String::new();
    for (index, cue) in by_start(cues).into_iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "{}\n{} --> {}",
            index + 1,
            timestamp(cue.start_ms, ','),
            timestamp(cue.end_ms, ',')
        );
        // SRT has no escaping: a text line that looks like a timing line would read back
        // as one, so its arrow is written "-- >" (found by fuzzing:
        // `fuzz/regressions/transcripts/`). Other text keeps its "-->".
        let safe = |line: &str| {
            if looks_like_timing(line) {
                line.replace("-->", "-- >")
            } else {
                line.to_string()
            }
        };
        let mut lines = text_lines(&cue.text);
        if let Some(speaker) = &cue.speaker {
            let _ = write!(out, "{}:", safe(&speaker.trim().to_uppercase()));
            if let Some(first) = lines.next() {
                out.push(' ');
                out.push_str(&safe(first));
            }
            out.push('\n');
        }
        for line in lines {
            out.push_str(&safe(line));
            out.push('\n');
        }
    }
    out
}

/// Milliseconds from "HH:MM:SS,mmm", "HH:MM:SS.mmm", "MM:SS.mmm" or without the fraction.
/// Minutes and seconds must be below 60; the fraction may have 1 to 3 digits ("1,5" = 1500 ms).
pub(crate) fn parse_timestamp(s: &str) -> Option<u64> {
    let s = s.trim();
    let (clock, fraction) = match s.rfind([',', '.']) {
        Some(at) => (&s[..at], Some(&s[at + 1..])),
        None => (s, None),
    };
    let millis = match fraction {
        None => 0,
        Some(f) if (1..=3).contains(&f.len()) && all_digits(f) => {
            let padded = format!("{f:0<3}");
            padded.parse::<u64>().ok()?
        }
        Some(_) => return None,
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let (hours, minutes, seconds) = match parts.as_slice() {
        [h, m, s] if (1..=5).contains(&h.len()) && all_digits(h) => (h.parse::<u64>().ok()?, m, s),
        [m, s] => (0, m, s),
        _ => return None,
    };
    let two_digits = |part: &str| -> Option<u64> {
        if (1..=2).contains(&part.len()) && all_digits(part) {
            part.parse::<u64>().ok().filter(|v| *v < 60)
        } else {
            None
        }
    };
    let minutes = two_digits(minutes)?;
    let seconds = two_digits(seconds)?;
    Some(((hours * 60 + minutes) * 60 + seconds) * 1000 + millis)
}

/// Lines split at "\r\n", "\n" or a lone "\r" (old Mac files, allowed by WebVTT).
pub(crate) fn lines_of(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                i += 1;
                start = i;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                i += 1;
                if bytes.get(i) == Some(&b'\n') {
                    i += 1;
                }
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < bytes.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// The 1-based number of the first line longer than `MAX_LINE_CHARS`.
pub(crate) fn too_long_line(lines: &[&str]) -> Option<usize> {
    lines
        .iter()
        .position(|line| line.len() > MAX_LINE_CHARS && line.chars().count() > MAX_LINE_CHARS)
        .map(|index| index + 1)
}

pub(crate) fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn by_start(cues: &[Cue]) -> Vec<&Cue> {
    let mut sorted: Vec<&Cue> = cues.iter().collect();
    sorted.sort_by_key(|cue| cue.start_ms);
    sorted
}

/// The non-empty lines of a cue's text, trimmed: an empty line would end the cue.
fn text_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|line| !line.is_empty())
}

fn tidy_lines(text: &str) -> String {
    text_lines(text).collect::<Vec<_>>().join("\n")
}

/// A cue as found in the file, before markup and speakers are handled.
struct RawCue<'a> {
    line: usize,
    start_ms: u64,
    end_ms: u64,
    lines: Vec<&'a str>,
}

/// A line that is meant as a timing line: starts with a digit and has the arrow. Text lines
/// that merely contain "-->" ("vedi sopra --> punto 3") are not.
fn looks_like_timing(line: &str) -> bool {
    line.contains("-->") && line.trim_start().starts_with(|c: char| c.is_ascii_digit())
}

enum Timing {
    Ok(u64, u64),
    BadTimestamp(String),
    EndBeforeStart(u64, u64),
}

/// "start --> end [settings]": WebVTT cue settings and SRT coordinates after the end are ignored.
fn read_timing(line: &str) -> Timing {
    let Some((left, right)) = line.split_once("-->") else {
        return Timing::BadTimestamp(line.trim().to_string());
    };
    let start_text = left.trim();
    let Some(start) = parse_timestamp(start_text) else {
        return Timing::BadTimestamp(start_text.to_string());
    };
    let Some(end_text) = right.split_whitespace().next() else {
        return Timing::BadTimestamp(line.trim().to_string());
    };
    let Some(end) = parse_timestamp(end_text) else {
        return Timing::BadTimestamp(end_text.to_string());
    };
    if end < start {
        Timing::EndBeforeStart(start, end)
    } else {
        Timing::Ok(start, end)
    }
}

fn timing_error(
    timing: Timing,
    line: usize,
    format: TranscriptFormat,
) -> Result<(u64, u64), TranscriptError> {
    match timing {
        Timing::Ok(start, end) => Ok((start, end)),
        Timing::BadTimestamp(found) => Err(TranscriptError::BadTimestamp {
            line,
            found,
            expected: format.time_hint(),
        }),
        Timing::EndBeforeStart(start, end) => {
            let sep = format.decimal_separator();
            Err(TranscriptError::EndBeforeStart {
                line,
                start: timestamp(start, sep),
                end: timestamp(end, sep),
            })
        }
    }
}

/// WebVTT blocks that are not cues.
fn is_webvtt_metadata(first_line: &str) -> bool {
    ["NOTE", "STYLE", "REGION"].iter().any(|keyword| {
        first_line
            .strip_prefix(keyword)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
    })
}

fn raw_cues<'a>(
    lines: &[&'a str],
    format: TranscriptFormat,
) -> Result<Vec<RawCue<'a>>, TranscriptError> {
    let blank = |line: &str| line.trim().is_empty();
    let mut i = 0;
    if format == TranscriptFormat::WebVtt {
        // The "WEBVTT" line and the header lines under it, up to a blank line (or, leniently,
        // a timing line with no blank line before it).
        while i < lines.len() && blank(lines[i]) {
            i += 1;
        }
        i += 1;
        while i < lines.len() && !blank(lines[i]) && !lines[i].contains("-->") {
            i += 1;
        }
    }
    let mut cues: Vec<RawCue<'a>> = Vec::new();
    while i < lines.len() {
        if blank(lines[i]) {
            i += 1;
            continue;
        }
        let first = i;
        while i < lines.len() && !blank(lines[i]) {
            i += 1;
        }
        let block = &lines[first..i];
        let line_no = |index: usize| first + index + 1;
        if format == TranscriptFormat::WebVtt && is_webvtt_metadata(block[0]) {
            continue;
        }
        // The timing line is the first line, or the second after a cue number or identifier
        // (whatever that line says: garbled SRT numbers are tolerated).
        let timing_at = if looks_like_timing(block[0]) {
            0
        } else if block.len() > 1 && looks_like_timing(block[1]) {
            1
        } else {
            // No timing: in SRT, text cut off from its cue by a stray blank line, kept with
            // that cue; a lone number is a cue whose timing is missing, and is dropped. WebVTT
            // drops such blocks, as its specification says.
            let lone_number = block.len() == 1 && all_digits(block[0].trim());
            if format == TranscriptFormat::Srt && !lone_number {
                if let Some(last) = cues.last_mut() {
                    last.lines.extend_from_slice(block);
                }
            }
            continue;
        };
        let (start_ms, end_ms) =
            timing_error(read_timing(block[timing_at]), line_no(timing_at), format)?;
        push_raw(&mut cues, line_no(timing_at), start_ms, end_ms)?;
        for (index, line) in block.iter().enumerate().skip(timing_at + 1) {
            // A cue that follows without a blank line in between.
            if looks_like_timing(line) {
                match read_timing(line) {
                    Timing::BadTimestamp(_) => {}
                    timing => {
                        let (start_ms, end_ms) = timing_error(timing, line_no(index), format)?;
                        if let Some(last) = cues.last_mut() {
                            if last.lines.last().is_some_and(|l| all_digits(l.trim())) {
                                last.lines.pop();
                            }
                        }
                        push_raw(&mut cues, line_no(index), start_ms, end_ms)?;
                        continue;
                    }
                }
            }
            if let Some(last) = cues.last_mut() {
                last.lines.push(line);
            }
        }
    }
    Ok(cues)
}

fn push_raw(
    cues: &mut Vec<RawCue<'_>>,
    line: usize,
    start_ms: u64,
    end_ms: u64,
) -> Result<(), TranscriptError> {
    if cues.len() == MAX_CUES {
        return Err(TranscriptError::TooManyCues { line });
    }
    cues.push(RawCue {
        line,
        start_ms,
        end_ms,
        lines: Vec::new(),
    });
    Ok(())
}

/// WebVTT cue text without markup, split where the voice changes: `<v Rossi>` and
/// `<v.loud Rossi>` name the speaker of what follows; every other tag (`<i>`, `<c.x>`,
/// `<00:00:01.000>`, `</v>`…) is dropped and entities are decoded. A `<` with no `>` on its line
/// is kept as text.
fn webvtt_voices(text: &str) -> Vec<(Option<String>, String)> {
    let mut pieces: Vec<(Option<String>, String)> = vec![(None, String::new())];
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let line_end = after.find('\n').unwrap_or(after.len());
        let Some(close) = after[..line_end].find('>') else {
            if let Some(piece) = pieces.last_mut() {
                piece.1.push_str(&decode_entities(&rest[..open + 1]));
            }
            rest = after;
            continue;
        };
        if let Some(piece) = pieces.last_mut() {
            piece.1.push_str(&decode_entities(&rest[..open]));
        }
        if let Some(name) = voice_name(&after[..close]) {
            match pieces.last_mut() {
                Some(piece) if piece.1.trim().is_empty() => {
                    piece.0 = Some(name);
                    piece.1.clear();
                }
                Some(piece) if piece.0.as_deref() == Some(name.as_str()) => {}
                _ => pieces.push((Some(name), String::new())),
            }
        }
        rest = &after[close + 1..];
    }
    if let Some(piece) = pieces.last_mut() {
        piece.1.push_str(&decode_entities(rest));
    }
    // A voice piece that says nothing is dropped, unless it is the whole cue.
    if pieces.len() > 1 {
        pieces.retain(|piece| !piece.1.trim().is_empty());
    }
    pieces
}

/// "v Rossi" or "v.loud.x Rossi" → "Rossi" ("v DE LUCA" → "De Luca", as labels are read);
/// other tags → None.
fn voice_name(tag: &str) -> Option<String> {
    let rest = tag.strip_prefix('v')?;
    if !(rest.is_empty() || rest.starts_with(['.', ' ', '\t'])) {
        return None;
    }
    let name = rest.split_once([' ', '\t']).map(|(_, name)| name)?;
    let name = decode_entities(name.trim());
    let words: Vec<&str> = name.split_whitespace().collect();
    (!words.is_empty()).then(|| title_case(&words))
}

/// The entities WebVTT files use: `&amp;`, `&lt;`, `&gt;`, `&nbsp;` (to U+00A0), `&quot;`,
/// `&apos;`, `&lrm;`, `&rlm;` and numeric ones. Anything else stays as written.
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let decoded = after.find(';').filter(|semi| *semi <= 10).and_then(|semi| {
            let name = &after[..semi];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "nbsp" => Some('\u{a0}'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "lrm" => Some('\u{200e}'),
                "rlm" => Some('\u{200f}'),
                _ => {
                    let number = name.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => number.parse::<u32>().ok()?,
                    };
                    char::from_u32(code).filter(|c| *c != '\0')
                }
            };
            c.map(|c| (c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// SRT text without the formatting tags subtitle editors add (`<i>`, `<b>`, `<u>`, `<s>`,
/// `<font …>` and their closing tags) and ASS overrides such as `{\an8}`. Other `<…>` is text.
fn strip_srt_formatting(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['<', '{']) {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let line_end = after.find('\n').unwrap_or(after.len());
        let (closing, is_markup) = if rest[at..].starts_with('<') {
            let close = after[..line_end].find('>');
            let markup = close.is_some_and(|close| {
                let tag = after[..close].trim_start_matches('/').to_ascii_lowercase();
                let name = tag.split_whitespace().next().unwrap_or("");
                matches!(name, "i" | "b" | "u" | "s" | "font")
            });
            (close, markup)
        } else {
            let close = after[..line_end].find('}');
            (close, after.starts_with('\\'))
        };
        match closing {
            Some(close) if is_markup => rest = &after[close + 1..],
            _ => {
                out.push_str(&rest[at..at + 1]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Titles that open a speaker label in Italian minutes, compared in capitals.
const SPEAKER_TITLES: &[&str] = &[
    "PRESIDENTE",
    "VICEPRESIDENTE",
    "SINDACO",
    "SINDACA",
    "VICESINDACO",
    "VICESINDACA",
    "CONS.",
    "CONS",
    "CONSIGLIERE",
    "CONSIGLIERA",
    "ASS.",
    "ASSESSORE",
    "ASSESSORA",
    "SEGRETARIO",
    "SEGRETARIA",
    "DIRIGENTE",
];

/// Lower-case words allowed inside a titled label ("Presidente del Consiglio").
const NAME_PARTICLES: &[&str] = &[
    "di", "de", "del", "della", "dello", "dei", "degli", "delle", "d'", "dell'",
];

/// Capitalised words that head a line of minutes without being anyone's name.
const NOT_SPEAKERS: &[&str] = &[
    "PUNTO",
    "OGGETTO",
    "ORE",
    "ORA",
    "NOTA",
    "NB",
    "N.B.",
    "VOTAZIONE",
    "VOTAZIONI",
    "ESITO",
    "FAVOREVOLI",
    "CONTRARI",
    "ASTENUTI",
    "PRESENTI",
    "ASSENTI",
    "ORDINE",
    "DELIBERA",
    "DELIBERAZIONE",
    "ALLEGATO",
    "APPELLO",
    "ATTENZIONE",
    "AVVISO",
    "IMPORTANTE",
    "OK",
    "SI",
    "SÌ",
    "NO",
    "INIZIO",
    "FINE",
    "PAUSA",
    "SOSPENSIONE",
    "RIPRESA",
    "INTERVENTO",
];

/// "CONS. ROSSI: Grazie" → ("Cons. Rossi", "Grazie"); also "Sindaco Bianchi:", "PRESIDENTE:",
/// "ASS. VERDI - …". The label must be a known title followed by capitalised words, or a name
/// in capitals of 1–4 words, so that "Ore 10:30 inizia la seduta" or "Punto 2: bilancio" stay
/// text.
fn split_speaker_label(text: &str) -> Option<(String, &str)> {
    let first_line = text.lines().next()?;
    let (label_end, rest_start) = label_separator(first_line)?;
    let label = first_line[..label_end].trim();
    if label.is_empty()
        || label.chars().count() > 60
        || !label
            .chars()
            .all(|c| c.is_alphabetic() || c.is_whitespace() || matches!(c, '.' | '\'' | '’' | '-'))
    {
        return None;
    }
    let words: Vec<&str> = label.split_whitespace().collect();
    let all_caps = label
        .chars()
        .filter(|c| c.is_alphabetic())
        .all(char::is_uppercase);
    let titled = SPEAKER_TITLES.contains(&words[0].to_uppercase().as_str())
        && words.len() <= 6
        && words[0].starts_with(char::is_uppercase)
        && words[1..].iter().all(|word| {
            word.starts_with(char::is_uppercase)
                || NAME_PARTICLES.contains(&word.to_lowercase().as_str())
        });
    let capital_name = all_caps
        && words.len() <= 4
        && label.chars().filter(|c| c.is_alphabetic()).count() >= 2
        && !NOT_SPEAKERS.contains(&words[0].to_uppercase().as_str());
    if !(titled || capital_name) {
        return None;
    }
    let rest = text[rest_start..].trim_start();
    Some((title_case(&words), rest))
}

/// Where a label ends on the first line: a colon followed by a space or the end ("10:30" is
/// not one), or a dash with spaces around it; the earliest of the two, within 80 bytes.
fn label_separator(line: &str) -> Option<(usize, usize)> {
    let mut after_space = false;
    for (at, c) in line.char_indices() {
        if at > 80 {
            return None;
        }
        let end = at + c.len_utf8();
        let then_space = line[end..].chars().next().is_none_or(char::is_whitespace);
        if c == ':' && then_space {
            return Some((at, end));
        }
        if matches!(c, '-' | '–' | '—') && after_space && then_space {
            return Some((at, end));
        }
        after_space = c.is_whitespace();
    }
    None
}

/// "CONS. DELL'ACQUA" → "Cons. Dell'Acqua": a word in capitals gets a capital at its start
/// and after an apostrophe or hyphen, the rest in lower case. A word with any lower-case letter
/// is kept as written ("McDonald", "del").
fn title_case(words: &[&str]) -> String {
    let mut out = String::new();
    for word in words {
        if !out.is_empty() {
            out.push(' ');
        }
        if word.chars().any(char::is_lowercase) {
            out.push_str(word);
            continue;
        }
        let mut capital = true;
        for c in word.chars() {
            if capital && c.is_alphabetic() {
                out.extend(c.to_uppercase());
                capital = false;
            } else {
                out.extend(c.to_lowercase());
                if matches!(c, '\'' | '’' | '-') {
                    capital = true;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srt_written_back_reads_back_with_the_same_cues() {
        for text in [
            include_str!("../../fuzz/regressions/transcripts/stray_block_with_timing.srt"),
            include_str!(
                "../../fuzz/regressions/transcripts/stray_block_with_backwards_timing.srt"
            ),
        ] {
            let cues = parse(text).unwrap();
            let again = parse(&to_srt(&cues)).expect("aula reads its own SRT");
            let times = |c: &[Cue]| c.iter().map(|c| (c.start_ms, c.end_ms)).collect::<Vec<_>>();
            assert_eq!(times(&again), times(&cues));
            let vtt = parse(&to_webvtt(&cues)).unwrap();
            assert_eq!(times(&vtt), times(&cues));
        }
    }

    fn cue(start_ms: u64, end_ms: u64, speaker: Option<&str>, text: &str) -> Cue {
        Cue {
            start_ms,
            end_ms,
            speaker: speaker.map(str::to_string),
            text: text.to_string(),
        }
    }

    #[test]
    fn detects_webvtt_and_srt() {
        assert_eq!(detect("WEBVTT\n\n"), Some(TranscriptFormat::WebVtt));
        assert_eq!(
            detect("\u{feff}WEBVTT - Consiglio comunale\r\n"),
            Some(TranscriptFormat::WebVtt)
        );
        assert_eq!(detect("WEBVTT"), Some(TranscriptFormat::WebVtt));
        assert_eq!(
            detect("1\n00:00:01,000 --> 00:00:02,000\nBuongiorno\n"),
            Some(TranscriptFormat::Srt)
        );
        assert_eq!(detect("WEBVTTX\n"), None);
        assert_eq!(detect("Verbale della seduta\nvedi --> sopra\n"), None);
        assert_eq!(detect(""), None);
    }

    #[test]
    fn srt_plain() {
        let srt = "1\n00:00:01,000 --> 00:00:04,500\nBuongiorno a tutti,\ninizia la seduta.\n\n\
                   2\n00:00:05,000 --> 00:00:07,250\nGrazie.\n";
        assert_eq!(
            parse(srt).unwrap(),
            vec![
                cue(1000, 4500, None, "Buongiorno a tutti,\ninizia la seduta."),
                cue(5000, 7250, None, "Grazie."),
            ]
        );
    }

    #[test]
    fn srt_with_crlf_bom_dots_trailing_spaces_and_no_final_blank_line() {
        let srt = "\u{feff}1  \r\n00:00:01.000 --> 00:00:02.000   \r\nUno  \r\n\r\n  \r\n\
                   2\r\n01:02:03,4 --> 01:02:04,56\r\nDue";
        assert_eq!(
            parse(srt).unwrap(),
            vec![
                cue(1000, 2000, None, "Uno"),
                cue(3_723_400, 3_724_560, None, "Due")
            ]
        );
    }

    #[test]
    fn srt_with_garbled_or_missing_numbers() {
        let srt = "1a\n00:00:01,000 --> 00:00:02,000\nUno\n\n\
                   00:00:03,000 --> 00:00:04,000\nDue\n\n\
                   ?\n00:00:05,000 --> 00:00:06,000 X1:10 X2:20 Y1:5 Y2:6\nTre\n";
        let texts: Vec<_> = parse(srt).unwrap().into_iter().map(|c| c.text).collect();
        assert_eq!(texts, ["Uno", "Due", "Tre"]);
    }

    #[test]
    fn srt_formatting_tags_are_removed_but_other_angle_brackets_stay() {
        let srt = "1\n00:00:01,000 --> 00:00:02,000\n{\\an8}<i>Voti</i> <font color=\"#ff0\">favorevoli</font> <B>12</B>\n\
                   a < b, <script>x</script>\n";
        assert_eq!(
            parse(srt).unwrap()[0].text,
            "Voti favorevoli 12\na < b, <script>x</script>"
        );
    }

    #[test]
    fn srt_text_after_a_stray_blank_line_stays_with_its_cue() {
        let srt = "1\n00:00:01,000 --> 00:00:02,000\nPrima riga\n\nseconda riga\n\n\
                   2\n00:00:03,000 --> 00:00:04,000\nDue\n\n3\n";
        assert_eq!(
            parse(srt).unwrap(),
            vec![
                cue(1000, 2000, None, "Prima riga\nseconda riga"),
                cue(3000, 4000, None, "Due"),
            ]
        );
    }

    #[test]
    fn srt_cues_without_blank_lines_between_them() {
        let srt = "1\n00:00:01,000 --> 00:00:02,000\nUno\n2\n00:00:03,000 --> 00:00:04,000\nDue\n\
                   vedi allegato --> punto 3\n";
        assert_eq!(
            parse(srt).unwrap(),
            vec![
                cue(1000, 2000, None, "Uno"),
                cue(3000, 4000, None, "Due\nvedi allegato --> punto 3"),
            ]
        );
    }

    #[test]
    fn webvtt_header_metadata_blocks_identifiers_and_settings() {
        let vtt = "WEBVTT - Consiglio comunale\nKind: captions\nLanguage: it\n\n\
                   NOTE registrato in aula consiliare\n00:00:00.000 --> 00:00:01.000 non è un cue\n\n\
                   STYLE\n::cue { color: yellow }\n\n\
                   REGION\nid:fill width:40%\n\n\
                   intro\n00:01.000 --> 00:04.000 line:0 position:20% align:start\nBuongiorno\n\n\
                   00:00:05.000 --> 00:00:06.500\nSeconda\n\n\
                   NOTE in mezzo\n\n\
                   3\n01:00:00.000 --> 01:00:01.000 region:fill\nTerza\n";
        assert_eq!(
            parse(vtt).unwrap(),
            vec![
                cue(1000, 4000, None, "Buongiorno"),
                cue(5000, 6500, None, "Seconda"),
                cue(3_600_000, 3_601_000, None, "Terza"),
            ]
        );
    }

    #[test]
    fn webvtt_header_followed_directly_by_a_cue() {
        let vtt = "WEBVTT\n00:00:01.000 --> 00:00:02.000\nSubito\n";
        assert_eq!(parse(vtt).unwrap(), vec![cue(1000, 2000, None, "Subito")]);
    }

    #[test]
    fn webvtt_tags_are_removed_and_voices_name_the_speaker() {
        let vtt = "WEBVTT\n\n\
                   00:00:01.000 --> 00:00:02.000\n<v Mario Rossi>Buongiorno <i>a tutti</i></v>\n\n\
                   00:00:03.000 --> 00:00:04.000\n<v.loud DE LUCA>Silenzio!\n\n\
                   00:00:05.000 --> 00:00:06.000\n<c.yellow>Voti</c> <00:00:05.500><b>favorevoli</b> <lang en>ok</lang>\n";
        assert_eq!(
            parse(vtt).unwrap(),
            vec![
                cue(1000, 2000, Some("Mario Rossi"), "Buongiorno a tutti"),
                cue(3000, 4000, Some("De Luca"), "Silenzio!"),
                cue(5000, 6000, None, "Voti favorevoli ok"),
            ]
        );
    }

    #[test]
    fn webvtt_two_voices_in_one_cue_become_two_cues() {
        let vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Presidente>Favorevoli?</v>\n<v Bianchi>Io.</v>\n";
        assert_eq!(
            parse(vtt).unwrap(),
            vec![
                cue(1000, 3000, Some("Presidente"), "Favorevoli?"),
                cue(1000, 3000, Some("Bianchi"), "Io."),
            ]
        );
    }

    #[test]
    fn webvtt_entities_are_decoded() {
        let vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nSanti &amp; Figli &lt;srl&gt;&nbsp;&#8364;5 &#x41; &copy; & co\n";
        assert_eq!(
            parse(vtt).unwrap()[0].text,
            "Santi & Figli <srl>\u{a0}€5 A &copy; & co"
        );
    }

    #[test]
    fn speakers_as_italian_minutes_write_them() {
        let cases = [
            (
                "CONS. ROSSI: Chiedo la parola.",
                "Cons. Rossi",
                "Chiedo la parola.",
            ),
            ("Cons. Rossi: Grazie.", "Cons. Rossi", "Grazie."),
            (
                "PRESIDENTE: Si apre la seduta.",
                "Presidente",
                "Si apre la seduta.",
            ),
            (
                "Sindaco Bianchi: Rispondo subito.",
                "Sindaco Bianchi",
                "Rispondo subito.",
            ),
            (
                "ASS. VERDI - Illustro la delibera.",
                "Ass. Verdi",
                "Illustro la delibera.",
            ),
            (
                "SEGRETARIO GENERALE: Appello.",
                "Segretario Generale",
                "Appello.",
            ),
            (
                "Presidente del Consiglio: Prego.",
                "Presidente del Consiglio",
                "Prego.",
            ),
            ("VICESINDACO:", "Vicesindaco", ""),
            (
                "DE LUCA: Non sono d'accordo.",
                "De Luca",
                "Non sono d'accordo.",
            ),
            (
                "CONS. DELL'ACQUA: Voto contro.",
                "Cons. Dell'Acqua",
                "Voto contro.",
            ),
            (
                "ROSSI – Una domanda.\nE un'altra.",
                "Rossi",
                "Una domanda.\nE un'altra.",
            ),
            (
                "Dirigente Neri: Il parere è favorevole.",
                "Dirigente Neri",
                "Il parere è favorevole.",
            ),
            ("NICOLÒ FERRARI: Presente.", "Nicolò Ferrari", "Presente."),
            ("Cons. McDonald: Grazie.", "Cons. McDonald", "Grazie."),
            ("ROSSI:\u{a0}Grazie.", "Rossi", "Grazie."),
            ("PRESIDENTE:\nSi vota.", "Presidente", "Si vota."),
        ];
        for (line, speaker, text) in cases {
            let srt = format!("1\n00:00:01,000 --> 00:00:02,000\n{line}\n");
            assert_eq!(
                parse(&srt).unwrap(),
                vec![cue(1000, 2000, Some(speaker), text)],
                "{line}"
            );
        }
    }

    #[test]
    fn ordinary_sentences_are_not_speakers() {
        let lines = [
            "Ore 10:30 inizia la seduta",
            "ORE 10:30 INIZIA LA SEDUTA",
            "Punto 2: bilancio",
            "PUNTO 2: BILANCIO",
            "Ordine del giorno: approvazione",
            "VOTAZIONE: favorevoli 12",
            "Il sindaco ha detto: andiamo avanti",
            "Consigliere Rossi ha chiesto: perché?",
            "Mario Rossi: buongiorno",
            "Sindaco, prego: a lei",
            "Roma, 12 marzo - seduta",
            "UNA RELAZIONE MOLTO LUNGA IN MAIUSCOLO: testo",
            "- Sì.",
            "Alle ore 10:30:00 si riprende",
            "A: b",
        ];
        for line in lines {
            let srt = format!("1\n00:00:01,000 --> 00:00:02,000\n{line}\n");
            assert_eq!(
                parse(&srt).unwrap(),
                vec![cue(1000, 2000, None, line)],
                "{line}"
            );
        }
    }

    #[test]
    fn a_label_on_a_later_line_is_text() {
        let srt = "1\n00:00:01,000 --> 00:00:02,000\nGrazie.\nPRESIDENTE: Prego.\n";
        assert_eq!(parse(srt).unwrap()[0].speaker, None);
    }

    #[test]
    fn webvtt_voice_wins_over_a_label() {
        let vtt =
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Rossi>PRESIDENTE: lo chiedo a lei\n\n\
                   00:00:03.000 --> 00:00:04.000\nSINDACO: Rispondo.\n";
        assert_eq!(
            parse(vtt).unwrap(),
            vec![
                cue(1000, 2000, Some("Rossi"), "PRESIDENTE: lo chiedo a lei"),
                cue(3000, 4000, Some("Sindaco"), "Rispondo."),
            ]
        );
    }

    #[test]
    fn end_before_start_is_an_error_with_its_line() {
        let srt =
            "1\n00:00:01,000 --> 00:00:02,000\nUno\n\n2\n00:00:05,000 --> 00:00:04,000\nDue\n";
        let err = parse(srt).unwrap_err();
        assert_eq!(
            err,
            TranscriptError::EndBeforeStart {
                line: 6,
                start: "00:00:05,000".into(),
                end: "00:00:04,000".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "line 6: the cue ends at 00:00:04,000, before it starts at 00:00:05,000"
        );
    }

    #[test]
    fn unparseable_timestamps_are_errors_with_their_line() {
        let srt =
            "1\n00:00:01,000 --> 00:00:02,000\nUno\n\n2\n00:0l:03,000 --> 00:00:04,000\nDue\n";
        let err = parse(srt).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 6: '00:0l:03,000' is not a time; write it as HH:MM:SS,mmm (for example 00:01:02,500)"
        );
        let vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:75.000\nUno\n";
        assert_eq!(
            parse(vtt).unwrap_err(),
            TranscriptError::BadTimestamp {
                line: 3,
                found: "00:00:75.000".into(),
                expected: "HH:MM:SS.mmm (for example 00:01:02.500)"
            }
        );
        let missing_end = "1\n00:00:01,000 -->\nUno\n";
        assert!(matches!(
            parse(missing_end),
            Err(TranscriptError::BadTimestamp { line: 2, .. })
        ));
    }

    #[test]
    fn no_cues_is_an_error() {
        let message = "no cues found: is this an SRT or WebVTT file?";
        for text in [
            "",
            "\u{feff}",
            "Verbale della seduta del 12 marzo\n",
            "WEBVTT\n\nNOTE solo una nota\n",
        ] {
            let err = parse(text).unwrap_err();
            assert_eq!(err, TranscriptError::NoCues, "{text:?}");
            assert_eq!(err.to_string(), message);
        }
    }

    #[test]
    fn overlong_lines_are_refused() {
        let srt = format!(
            "1\n00:00:01,000 --> 00:00:02,000\n{}\n",
            "a".repeat(MAX_LINE_CHARS + 1)
        );
        assert_eq!(
            parse(&srt).unwrap_err(),
            TranscriptError::LineTooLong { line: 3 }
        );
        // The limit counts characters, not bytes.
        let accented = format!(
            "1\n00:00:01,000 --> 00:00:02,000\n{}\n",
            "è".repeat(MAX_LINE_CHARS)
        );
        assert!(parse(&accented).is_ok());
    }

    #[test]
    fn too_many_cues_are_refused() {
        let mut vtt = String::from("WEBVTT\n");
        for i in 0..=MAX_CUES as u64 {
            let _ = write!(
                vtt,
                "\n{} --> {}\nx\n",
                timestamp(i * 10, '.'),
                timestamp(i * 10 + 5, '.')
            );
        }
        assert_eq!(
            parse(&vtt).unwrap_err(),
            TranscriptError::TooManyCues {
                line: 3 + 3 * MAX_CUES
            }
        );
    }

    #[test]
    fn cues_come_out_sorted_and_overlaps_are_kept() {
        let srt = "1\n00:00:05,000 --> 00:00:09,000\nC\n\n2\n00:00:01,000 --> 00:00:06,000\nA\n\n\
                   3\n00:00:05,000 --> 00:00:07,000\nD\n\n4\n00:00:02,000 --> 00:00:03,000\nB\n";
        let texts: Vec<_> = parse(srt).unwrap().into_iter().map(|c| c.text).collect();
        assert_eq!(texts, ["A", "B", "C", "D"]);
    }

    #[test]
    fn lone_carriage_returns_end_lines() {
        let vtt = "WEBVTT\r\r00:00:01.000 --> 00:00:02.000\rUno\r";
        assert_eq!(parse(vtt).unwrap(), vec![cue(1000, 2000, None, "Uno")]);
    }

    fn sample() -> Vec<Cue> {
        vec![
            cue(
                0,
                1500,
                Some("Presidente"),
                "Buongiorno, si apre la seduta.",
            ),
            cue(
                1500,
                4000,
                Some("Cons. Rossi"),
                "Chiedo la parola\nsull'ordine dei lavori.",
            ),
            cue(3000, 3500, None, "Santi & Figli <srl> --> vedi allegato"),
            cue(4000, 4000, Some("Ass. Dell'Acqua"), ""),
            cue(
                3_600_000,
                3_661_001,
                Some("Sindaco Bianchi"),
                "Ore 10:30: risposta.",
            ),
            cue(3_600_000, 3_600_001, None, "Punto 2: bilancio"),
        ]
    }

    #[test]
    fn webvtt_round_trip() {
        let cues = sample();
        assert_eq!(parse(&to_webvtt(&cues)).unwrap(), cues);
    }

    #[test]
    fn srt_round_trip() {
        let cues = sample();
        assert_eq!(parse(&to_srt(&cues)).unwrap(), cues);
    }

    #[test]
    fn webvtt_output_escapes_markup() {
        let cues = [
            cue(
                61_000,
                62_500,
                Some("A <b>&"),
                "<script>alert('x')</script>\n\n  due  ",
            ),
            cue(1000, 2000, None, "primo"),
        ];
        assert_eq!(
            to_webvtt(&cues),
            "WEBVTT\n\n\
             00:00:01.000 --> 00:00:02.000\nprimo\n\n\
             00:01:01.000 --> 00:01:02.500\n<v A &lt;b&gt;&amp;>&lt;script&gt;alert('x')&lt;/script&gt;\ndue\n"
        );
    }

    #[test]
    fn srt_output() {
        let cues = [
            cue(3_723_004, 3_724_000, Some("Cons. Rossi"), "Grazie.\nPrego."),
            cue(0, 999, None, "Inizio"),
        ];
        assert_eq!(
            to_srt(&cues),
            "1\n00:00:00,000 --> 00:00:00,999\nInizio\n\n\
             2\n01:02:03,004 --> 01:02:04,000\nCONS. ROSSI: Grazie.\nPrego.\n"
        );
    }

    #[test]
    fn timestamps_in_their_accepted_shapes() {
        assert_eq!(parse_timestamp("00:00:01,000"), Some(1000));
        assert_eq!(parse_timestamp("00:00:01.5"), Some(1500));
        assert_eq!(parse_timestamp("1:02:03"), Some(3_723_000));
        assert_eq!(parse_timestamp("02:03.040"), Some(123_040));
        assert_eq!(parse_timestamp("100:00:00.000"), Some(360_000_000));
        assert_eq!(parse_timestamp("00:60:00.000"), None);
        assert_eq!(parse_timestamp("00:00:01.0000"), None);
        assert_eq!(parse_timestamp("1:7x"), None);
        assert_eq!(parse_timestamp("12"), None);
        assert_eq!(parse_timestamp(""), None);
    }
}
