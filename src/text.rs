//! Small text helpers the whole crate shares, each written once: clocks, escaping and
//! whitespace. Pure functions on strings only; nothing here knows about HTTP, files or
//! the catalog, and nothing here decides what a caller's text means.
//!
//! Where two callers looked alike but wanted different things, both versions live here
//! under names that say the difference (`escape_html` / `escape_xml`,
//! `collapse_spaces` / `collapse_xml_spaces`), so the choice stays visible at the call.

/// A length as a clerk reads it in a sentence: 12.4 s → "12 s", 450 → "7 min 30 s",
/// 7 500 → "2 h 05 min" (seconds dropped past an hour). Negative lengths read as zero.
pub fn spoken_length(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, sec) => format!("{sec} s"),
        (0, min, sec) => format!("{min} min {sec:02} s"),
        (h, min, _) => format!("{h} h {min:02} min"),
    }
}

/// A duration as a player shows it: 3 723 000 ms → "1:02:03", 95 000 → "1:35" (hours only
/// when there are any). Negative durations read as zero.
pub fn clock(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// Seconds as "HH:MM:SS", rounded to the nearest second (3725.4 → "01:02:05"), for
/// messages a clerk reads. Negative or NaN seconds read as zero.
pub fn hms(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// "HH:MM:SS.mmm" as WebVTT writes it, or with `,` as SRT does; hours grow past two
/// digits when they must.
pub fn timestamp(ms: u64, decimal: char) -> String {
    let (hours, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (minutes, rest) = (rest / 60_000, rest % 60_000);
    let (seconds, millis) = (rest / 1000, rest % 1000);
    format!("{hours:02}:{minutes:02}:{seconds:02}{decimal}{millis:03}")
}

/// `&`, `<` and `>` as entities: enough for text between tags (HTML, XML, WebVTT cue
/// text), not for attribute values.
pub fn escape_text(text: &str) -> String {
    escape_with(text, |c| match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        _ => None,
    })
}

/// HTML text and attribute values (either quote): `&`, `<`, `>`, `"` and `'` (as
/// `&#39;`, which HTML 4 readers know too). Every other character is kept.
pub fn escape_html(text: &str) -> String {
    escape_with(text, |c| match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&quot;"),
        '\'' => Some("&#39;"),
        _ => None,
    })
}

/// XML content and attribute values: the five predefined entities, and the characters
/// XML 1.0 forbids even as references dropped (control characters other than tab, LF and
/// CR; U+FFFE and U+FFFF), so a stray byte in a title cannot make a feed unreadable.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}' => {
                out.push(c)
            }
            _ => {}
        }
    }
    out
}

fn escape_with(text: &str, entity: impl Fn(char) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match entity(c) {
            Some(e) => out.push_str(e),
            None => out.push(c),
        }
    }
    out
}

/// Words separated by single spaces, nothing before or after: every Unicode white space
/// (no-break spaces included) counts. For names and titles a person typed.
pub fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each run of XML white space (space, tab, LF, CR) becomes one space, as a word processor
/// shows it; the ends are kept (a run's leading space separates it from the run before)
/// and other white space (a no-break space is deliberate) is left alone.
pub fn collapse_xml_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if matches!(c, ' ' | '\t' | '\n' | '\r') {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_in_their_three_shapes() {
        assert_eq!(clock(3_723_000), "1:02:03");
        assert_eq!(clock(95_000), "1:35");
        assert_eq!(clock(999), "0:00");
        assert_eq!(clock(-5_000), "0:00");
        assert_eq!(hms(3725.4), "01:02:05");
        assert_eq!(hms(59.5), "00:01:00");
        assert_eq!(hms(-3.0), "00:00:00");
        assert_eq!(hms(f64::NAN), "00:00:00");
        assert_eq!(timestamp(3_723_004, '.'), "01:02:03.004");
        assert_eq!(timestamp(0, ','), "00:00:00,000");
        assert_eq!(timestamp(360_000_000, '.'), "100:00:00.000");
        assert_eq!(spoken_length(12.4), "12 s");
        assert_eq!(spoken_length(450.0), "7 min 30 s");
        assert_eq!(spoken_length(7500.0), "2 h 05 min");
        assert_eq!(spoken_length(-3.0), "0 s");
    }

    #[test]
    fn each_escaper_covers_what_its_context_needs() {
        let nasty = "<b a=\"x\">&'\u{1}";
        assert_eq!(escape_text(nasty), "&lt;b a=\"x\"&gt;&amp;'\u{1}");
        assert_eq!(
            escape_html(nasty),
            "&lt;b a=&quot;x&quot;&gt;&amp;&#39;\u{1}"
        );
        assert_eq!(escape_xml(nasty), "&lt;b a=&quot;x&quot;&gt;&amp;&apos;");
        assert_eq!(escape_xml("a\tb\nc\r\u{FFFE}é😀"), "a\tb\nc\ré😀");
        assert_eq!(escape_html("città"), "città");
    }

    #[test]
    fn spaces_collapse_for_typed_names_or_for_xml_runs() {
        let text = "  Consiglio\u{a0}\u{a0}comunale \t\n di  Roma ";
        assert_eq!(collapse_spaces(text), "Consiglio comunale di Roma");
        assert_eq!(
            collapse_xml_spaces(text),
            " Consiglio\u{a0}\u{a0}comunale di Roma "
        );
        assert_eq!(collapse_spaces(""), "");
        assert_eq!(collapse_xml_spaces("\r\n"), " ");
    }
}
