//! Plain-text documents (`aula::documents::decode_text`: UTF-8 or Windows-1252 bytes) and
//! the numbered points of an agenda (`aula::documents::agenda_items`). Input: any bytes.
#![no_main]

use aula::documents::{agenda_items, decode_text, DocumentError};
use libfuzzer_sys::fuzz_target;

fn check_items(text: &str) {
    for (number, title) in agenda_items(text) {
        let number = number.expect("a point has a number");
        assert!(
            (1..=3).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_digit()),
            "number {number:?}"
        );
        assert!(!title.is_empty(), "empty title for point {number}");
        assert_eq!(title.trim(), title, "untrimmed title {title:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    match decode_text(data) {
        Ok(text) => {
            assert!(!data.iter().all(u8::is_ascii_whitespace));
            assert!(!data.contains(&0));
            let body = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
            if let Ok(utf8) = std::str::from_utf8(body) {
                assert_eq!(text, utf8.replace("\r\n", "\n"), "UTF-8 text changed");
            } else {
                // Windows-1252: one character per byte, less one per CRLF pair, whatever
                // BOM-like bytes it starts with (finding 3, fixed).
                let crlf = body.windows(2).filter(|w| w == b"\r\n").count();
                let expected = body.len() - crlf;
                assert_eq!(text.chars().count(), expected, "Windows-1252 length");
            }
            check_items(&text);
        }
        Err(DocumentError::Empty) => assert!(data.iter().all(u8::is_ascii_whitespace)),
        Err(DocumentError::Unsupported(_)) => assert!(data.contains(&0)),
    }
    if let Ok(text) = std::str::from_utf8(data) {
        check_items(text);
    }
});
