//! Text out of session documents, and agenda items out of that text. Knows bytes and text;
//! storing documents is the catalog's job and indexing them is search's.

pub mod extract;
pub mod timed_agenda;
pub mod transcript;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DocumentError {
    #[error("the document is empty")]
    Empty,
    #[error("unsupported format: {0} (plain text agendas are accepted)")]
    Unsupported(String),
}

/// Text from a plain-text file: UTF-8 (with or without BOM) or, failing that, the
/// Windows-1252 that old Italian office files use (a superset of Latin-1 for text).
pub fn decode_text(bytes: &[u8]) -> Result<String, DocumentError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(DocumentError::Empty);
    }
    if bytes.contains(&0) {
        return Err(DocumentError::Unsupported(
            "binary file (it contains NUL bytes)".into(),
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        // Without BOM sniffing: bytes that are not UTF-8 are Windows-1252, even when they
        // start like a UTF-16 BOM (found by fuzzing: `fuzz/regressions/agenda_items/`).
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    };
    Ok(text.replace("\r\n", "\n"))
}

/// Numbered points of an agenda: "1. Approvazione…", "2) …", "Punto 3 – …", "4 - …".
/// Returns (number, title) pairs in order; lines that are not points are skipped, and a
/// point's continuation lines are joined to it.
pub fn agenda_items(text: &str) -> Vec<(Option<String>, String)> {
    let mut items: Vec<(Option<String>, String)> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            open = false;
            continue;
        }
        if let Some((number, title)) = numbered_point(trimmed) {
            items.push((Some(number), title));
            open = true;
        } else if open && line.starts_with([' ', '\t']) {
            if let Some(last) = items.last_mut() {
                last.1.push(' ');
                last.1.push_str(trimmed);
            }
        } else {
            open = false;
        }
    }
    items
}

fn numbered_point(line: &str) -> Option<(String, String)> {
    let lower = line.to_lowercase();
    let rest = if lower.starts_with("punto ") {
        &line["punto ".len()..]
    } else {
        line
    };
    let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let number = &rest[..digits];
    let after = &rest[digits..];
    let title = after
        .strip_prefix(['.', ')'])
        .or_else(|| {
            let t = after.trim_start();
            t.strip_prefix(['-', '–', '—', ':'])
        })?
        .trim()
        .trim_start_matches(['-', '–', '—'])
        .trim();
    if title.is_empty() {
        return None;
    }
    Some((number.to_string(), title.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_is_never_sniffed_as_utf16() {
        let bytes = include_bytes!("../../fuzz/regressions/agenda_items/utf16_bom_in_cp1252.txt");
        let text = decode_text(bytes).unwrap();
        assert_eq!(
            text.chars().count(),
            bytes.len(),
            "one character per byte: {text:?}"
        );
        assert!(text.starts_with('þ') || text.starts_with('ÿ'), "{text:?}");
    }

    #[test]
    fn agenda_points_in_their_usual_shapes() {
        let text = "ORDINE DEL GIORNO\n\n\
            1. Approvazione verbale della seduta precedente\n\
            2) Variante al piano regolatore generale:\n   area ex Fornace\n\
            Punto 3 – Bilancio di previsione 2009\n\
            4 - Interrogazioni\n\
            Il presidente\n";
        let items = agenda_items(text);
        assert_eq!(
            items,
            vec![
                (
                    Some("1".into()),
                    "Approvazione verbale della seduta precedente".into()
                ),
                (
                    Some("2".into()),
                    "Variante al piano regolatore generale: area ex Fornace".into()
                ),
                (Some("3".into()), "Bilancio di previsione 2009".into()),
                (Some("4".into()), "Interrogazioni".into()),
            ]
        );
    }

    #[test]
    fn dates_and_years_are_not_points() {
        assert!(agenda_items("2009 bilancio\n12/03/2009\n").is_empty());
    }

    #[test]
    fn legacy_encodings_are_read() {
        // "Città" in Windows-1252
        assert_eq!(decode_text(b"Citt\xe0").unwrap(), "Città");
        assert_eq!(decode_text("Città".as_bytes()).unwrap(), "Città");
        assert_eq!(decode_text(b" \n"), Err(DocumentError::Empty));
        assert!(matches!(
            decode_text(b"%PDF\0\0"),
            Err(DocumentError::Unsupported(_))
        ));
    }
}
