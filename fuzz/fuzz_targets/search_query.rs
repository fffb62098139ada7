//! A citizen's search text (`aula::search::query::parse`). Input: UTF-8 text.
#![no_main]

use aula::search::query::{parse, Clause, QueryError, MAX_CLAUSES};
use libfuzzer_sys::fuzz_target;

const QUOTES: [char; 5] = ['"', '“', '”', '«', '»'];

fn check_clause(clause: &Clause) {
    match clause {
        Clause::Word(w) => {
            assert!(!w.is_empty(), "empty word");
            assert!(w.chars().all(char::is_alphanumeric), "word with a separator: {w:?}");
            assert!(!matches!(w.as_str(), "OR" | "O" | "AND" | "E" | "NOT"), "operator {w:?} as a word");
        }
        Clause::Phrase(p) => {
            assert!(!p.is_empty(), "empty phrase");
            assert_eq!(p.trim(), p, "untrimmed phrase");
            assert!(!p.contains(QUOTES), "quote inside a phrase: {p:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse(text) {
        Ok(q) => {
            let count = q.required.iter().map(Vec::len).sum::<usize>() + q.excluded.len();
            assert!(count <= MAX_CLAUSES, "{count} clauses accepted");
            for group in &q.required {
                assert!(!group.is_empty(), "empty required group");
                group.iter().for_each(check_clause);
            }
            q.excluded.iter().for_each(check_clause);
            // Without quotes only words make clauses, and words are letters and digits.
            if !text.chars().any(|c| c.is_alphanumeric() || QUOTES.contains(&c)) {
                assert!(q.required.is_empty() && q.excluded.is_empty(), "clauses from no word");
            }
        }
        Err(QueryError::TooManyClauses(n)) => assert!(n > MAX_CLAUSES, "refused {n} clauses"),
    }
});
