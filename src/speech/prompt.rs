//! The words of a session given to the engine before it listens, so the names and terms
//! of this comune come out spelt right: the body, the title, the agenda, and the names
//! that recur in the session's documents. Whisper reads at most about 220 tokens of it
//! (and keeps the end when there is more), so it is kept short. Pure.

use std::collections::HashMap;

/// Characters of prompt at the most (about 200 tokens of Italian).
pub const MAX_CHARS: usize = 600;
/// Names taken from the documents at the most.
const MAX_NAMES: usize = 30;

/// What a session says about itself.
#[derive(Debug, Default)]
pub struct SessionWords<'a> {
    pub body: &'a str,
    pub title: &'a str,
    pub agenda: Vec<&'a str>,
    pub documents: Vec<&'a str>,
}

/// The prompt for `session`, or `None` when it says nothing.
pub fn prompt(session: &SessionWords<'_>) -> Option<String> {
    let mut text = String::new();
    for part in [session.body, session.title] {
        let part = part.trim().trim_end_matches('.');
        if !part.is_empty() {
            text.push_str(part);
            text.push_str(". ");
        }
    }
    let agenda: Vec<&str> = session
        .agenda
        .iter()
        .map(|a| a.trim().trim_end_matches(['.', ';']))
        .filter(|a| !a.is_empty())
        .collect();
    if !agenda.is_empty() {
        text.push_str("Ordine del giorno: ");
        text.push_str(&agenda.join("; "));
        text.push_str(". ");
    }
    let names: Vec<String> = names(&session.documents)
        .into_iter()
        .filter(|n| !text.contains(n.as_str()))
        .collect();
    if !names.is_empty() {
        text.push_str(&names.join(", "));
        text.push('.');
    }
    let text = cut(text.trim(), MAX_CHARS);
    (!text.is_empty()).then_some(text)
}

/// `text` cut to at most `max` characters at a word boundary.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let end = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
    let head = &text[..end];
    head[..head.rfind(' ').unwrap_or(end)]
        .trim_end_matches([',', ';', ' '])
        .to_string()
}

/// Capitalised words inside sentences (proper names: people, places, offices), the most
/// frequent first; words that only open sentences are not names.
fn names(documents: &[&str]) -> Vec<String> {
    let mut seen: HashMap<String, (usize, usize)> = HashMap::new();
    let mut order = 0;
    for doc in documents {
        let mut sentence_start = true;
        for raw in doc.split_whitespace() {
            let word = raw.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'');
            let mut chars = word.chars();
            let capitalised = chars.next().is_some_and(char::is_uppercase)
                && chars.clone().next().is_some_and(char::is_lowercase)
                && chars.all(|c| c.is_alphabetic() || c == '\'');
            if capitalised && !sentence_start && word.chars().count() >= 3 {
                order += 1;
                seen.entry(word.to_string()).or_insert((0, order)).0 += 1;
            }
            sentence_start = raw.ends_with(['.', ':', ';', '?', '!']);
        }
    }
    let mut names: Vec<(String, (usize, usize))> = seen.into_iter().collect();
    names.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.1 .1.cmp(&b.1 .1)));
    names.into_iter().take(MAX_NAMES).map(|(n, _)| n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_names_the_session_its_agenda_and_recurring_names() {
        let minutes = "Il consigliere Bertolazzi chiede la parola. Risponde l'assessore \
                       Quaglieri. Il consigliere Bertolazzi replica. Votano anche Quaglieri e \
                       Zanardelli per il Piano regolatore di Roccabruna.";
        let words = SessionWords {
            body: "Consiglio comunale",
            title: "Seduta del 12 marzo 2009",
            agenda: vec![
                "Variante al piano regolatore generale",
                "  ",
                "Bilancio di previsione;",
            ],
            documents: vec![minutes],
        };
        let p = prompt(&words).unwrap();
        assert!(
            p.starts_with(
                "Consiglio comunale. Seduta del 12 marzo 2009. Ordine del giorno: Variante al \
                 piano regolatore generale; Bilancio di previsione. "
            ),
            "{p}"
        );
        // Most frequent first; "Il", "Risponde", "Votano" open sentences and are no names.
        assert!(
            p.ends_with("Bertolazzi, Quaglieri, Zanardelli, Piano, Roccabruna."),
            "{p}"
        );
    }

    #[test]
    fn the_prompt_stays_short_and_says_nothing_when_there_is_nothing() {
        assert_eq!(prompt(&SessionWords::default()), None);
        let long = "Voce ".repeat(200) + "Rossi";
        let words = SessionWords {
            body: "Consiglio comunale",
            title: &long,
            ..Default::default()
        };
        let p = prompt(&words).unwrap();
        assert!(p.chars().count() <= MAX_CHARS, "{}", p.len());
        assert!(p.ends_with("Voce"));
    }
}
