//! The old portal's catalog (`aula::import::read_rows`, CSV or JSON) and the date forms
//! Italian archives write (`aula::import::parse_date`). Input: UTF-8 text.
#![no_main]

use aula::catalog::SessionDate;
use aula::import::{parse_date, read_rows, ListField};
use libfuzzer_sys::fuzz_target;

fn check_list(what: &str, list: &ListField) {
    for item in &list.0 {
        assert!(!item.is_empty(), "empty {what} item kept");
        assert_eq!(item.trim(), item, "{what} item not trimmed");
    }
}

fn check_date(text: &str) {
    let date = parse_date(text);
    if let Some(d) = date {
        // What the catalog stores (iso) must read back as the same date.
        let iso = d.iso();
        assert_eq!(
            SessionDate::parse(&iso).ok(),
            Some(d),
            "{text:?} gave a date whose ISO form {iso:?} does not read back"
        );
        // An ISO date is one of the accepted forms.
        if iso.len() == 10 && iso.starts_with(|c: char| c.is_ascii_digit()) {
            assert_eq!(parse_date(&iso), Some(d), "ISO form {iso:?} of {text:?}");
        }
    }
    // Month names and everything else are read case-insensitively.
    assert_eq!(
        parse_date(&text.to_ascii_uppercase()),
        date,
        "case changed the date of {text:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check_date(text);
    if let Ok(rows) = read_rows(text) {
        let json = text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with('[');
        let first_line = if json { 1 } else { 2 };
        for (i, (line, row)) in rows.iter().enumerate() {
            assert_eq!(*line, first_line + i, "row numbering");
            check_list("old_urls", &row.old_urls);
            check_list("recordings", &row.recordings);
            check_list("attachments", &row.attachments);
            check_date(&row.date);
        }
    }
});
