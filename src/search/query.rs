//! A citizen's search text, read leniently into a small structure: words, quoted phrases,
//! `OR` between alternatives, `-word` / `NOT word` to exclude; `AND` is the default and may
//! be written. Anything else (brackets, colons, wildcards, stray quotes) is read as a word
//! separator, never an error. Pure: no index involved.

/// One thing to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clause {
    /// A word, matched by stem ("bilanci" finds "bilancio").
    Word(String),
    /// Quoted words, matched exactly and in order, accents and case aside.
    Phrase(String),
}

/// Required groups (each satisfied by any of its alternatives) and excluded clauses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedQuery {
    pub required: Vec<Vec<Clause>>,
    pub excluded: Vec<Clause>,
}

/// At most this many words and phrases in one query: beyond it the query is refused, so
/// no query can cost more than a few dozen term lookups.
pub const MAX_CLAUSES: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum QueryError {
    #[error("the query has {0} words or phrases; at most {MAX_CLAUSES} are searched at once")]
    TooManyClauses(usize),
}

impl ParsedQuery {
    /// The words and phrases asked for, as typed (for telling the searcher about them).
    pub fn asked(&self) -> Vec<String> {
        self.required
            .iter()
            .flatten()
            .map(|c| match c {
                Clause::Word(w) => w.clone(),
                Clause::Phrase(p) => format!("\"{p}\""),
            })
            .collect()
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Phrase(String),
    Or,
    And,
    Not,
}

fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut word = String::new();
    let mut negate_next = false;
    let flush = |word: &mut String, out: &mut Vec<Token>, negate: &mut bool| {
        if word.is_empty() {
            return;
        }
        let w = std::mem::take(word);
        match w.as_str() {
            "OR" | "O" => out.push(Token::Or),
            "AND" | "E" => out.push(Token::And),
            "NOT" => out.push(Token::Not),
            _ => {
                if *negate {
                    out.push(Token::Not);
                }
                out.push(Token::Word(w));
            }
        }
        *negate = false;
    };
    while let Some(c) = chars.next() {
        match c {
            '"' | '“' | '”' | '«' | '»' => {
                flush(&mut word, &mut out, &mut negate_next);
                let mut phrase = String::new();
                for p in chars.by_ref() {
                    if matches!(p, '"' | '“' | '”' | '«' | '»') {
                        break;
                    }
                    phrase.push(p);
                }
                if !phrase.trim().is_empty() {
                    if negate_next {
                        out.push(Token::Not);
                    }
                    out.push(Token::Phrase(phrase.trim().to_string()));
                }
                negate_next = false;
            }
            '-' if word.is_empty() => negate_next = true,
            c if c.is_alphanumeric() => word.push(c),
            // Inside a word, apostrophes and hyphens split it ("dell'ambiente"); elsewhere
            // every other character is a separator.
            _ => {
                flush(&mut word, &mut out, &mut negate_next);
                if c != '-' {
                    negate_next = false;
                }
            }
        }
    }
    flush(&mut word, &mut out, &mut negate_next);
    out
}

/// Reads `text` into required groups and exclusions.
pub fn parse(text: &str) -> Result<ParsedQuery, QueryError> {
    let mut query = ParsedQuery::default();
    let mut pending_or = false;
    let mut negate = false;
    let mut count = 0;
    for token in tokens(text) {
        let clause = match token {
            Token::Or => {
                pending_or = !query.required.is_empty();
                continue;
            }
            Token::And => {
                pending_or = false;
                continue;
            }
            Token::Not => {
                negate = true;
                continue;
            }
            Token::Word(w) => Clause::Word(w),
            Token::Phrase(p) => Clause::Phrase(p),
        };
        count += 1;
        if negate {
            query.excluded.push(clause);
        } else if pending_or {
            if let Some(last) = query.required.last_mut() {
                last.push(clause);
            }
        } else {
            query.required.push(vec![clause]);
        }
        negate = false;
        pending_or = false;
    }
    if count > MAX_CLAUSES {
        return Err(QueryError::TooManyClauses(count));
    }
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Clause::*;

    #[test]
    fn the_words_asked_for_are_named_as_typed() {
        let parsed = parse("perché \"della casa\" -di").unwrap();
        assert_eq!(parsed.asked(), vec!["perché", "\"della casa\""]);
    }

    fn w(s: &str) -> Clause {
        Word(s.into())
    }

    #[test]
    fn words_are_all_required() {
        let q = parse("variante piano regolatore").unwrap();
        assert_eq!(
            q.required,
            vec![vec![w("variante")], vec![w("piano")], vec![w("regolatore")]]
        );
        assert!(q.excluded.is_empty());
    }

    #[test]
    fn phrases_or_and_exclusions() {
        let q =
            parse("\"piano regolatore\" bilancio OR rendiconto -verde NOT parcheggi AND scuola")
                .unwrap();
        assert_eq!(
            q.required,
            vec![
                vec![Phrase("piano regolatore".into())],
                vec![w("bilancio"), w("rendiconto")],
                vec![w("scuola")]
            ]
        );
        assert_eq!(q.excluded, vec![w("verde"), w("parcheggi")]);
        let q = parse("-\"area verde\" parco").unwrap();
        assert_eq!(q.excluded, vec![Phrase("area verde".into())]);
        assert_eq!(q.required, vec![vec![w("parco")]]);
    }

    #[test]
    fn apostrophes_and_syntax_are_separators() {
        let q = parse("dell'ambiente title:foo (a) b* c? ^2 ~ {x}").unwrap();
        let words: Vec<_> = q.required.into_iter().flatten().collect();
        assert_eq!(
            words,
            vec![
                w("dell"),
                w("ambiente"),
                w("title"),
                w("foo"),
                w("a"),
                w("b"),
                w("c"),
                w("2"),
                w("x")
            ]
        );
        // typographic quotes make a phrase; an unterminated one runs to the end
        assert_eq!(
            parse("«piano regolatore»").unwrap().required,
            vec![vec![Phrase("piano regolatore".into())]]
        );
        assert_eq!(
            parse("\"piano").unwrap().required,
            vec![vec![Phrase("piano".into())]]
        );
        // a lone OR or NOT is harmless
        assert_eq!(parse("OR NOT").unwrap(), ParsedQuery::default());
        assert_eq!(parse("").unwrap(), ParsedQuery::default());
        assert_eq!(parse("piano-regolatore").unwrap().required.len(), 2);
    }

    #[test]
    fn absurd_queries_are_refused() {
        let long = vec!["parola"; MAX_CLAUSES + 1].join(" ");
        assert_eq!(
            parse(&long),
            Err(QueryError::TooManyClauses(MAX_CLAUSES + 1))
        );
        assert!(parse(&vec!["parola"; MAX_CLAUSES].join(" ")).is_ok());
    }
}
