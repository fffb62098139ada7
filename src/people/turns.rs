//! Speaker turns inferred from an automatic transcript, which names nobody: what the chair
//! says gives the turns away. "Ha la parola il consigliere Rossi", "la parola
//! all'assessore Bianchi", "prego, sindaco", "interviene la consigliera De Luca" start the
//! named person's turn where the phrase ends (and, when someone else was speaking, the
//! chair's turn where the cue starts); "grazie presidente" after someone's words hands the
//! floor back to the chair. Names go through `names::resolve`, with one letter of leeway
//! for a long surname the engine misspelt when exactly one person is that close.
//!
//! Each turn has a confidence; below `THRESHOLD` (or when the name fits several people or
//! nobody) it names nobody, but still ends the turn before it, so the previous speaker is
//! not stretched over someone unknown. A phrase inside a cue starts the turn at its
//! estimated time, by the share of the cue's words before it.

use super::names::{fold_name, resolve, Resolved};
use super::Member;
use crate::domain::RoleKind;

/// One cue of an automatic transcript.
pub struct HeardCue<'a> {
    pub start_ms: i64,
    pub end_ms: i64,
    pub text: &'a str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InferredTurn {
    /// The turn runs from here to the next turn's start (or the end of the transcript).
    pub start_ms: i64,
    /// None when the confidence is below `THRESHOLD` or nobody of the roster fits.
    pub person_id: Option<i64>,
    /// 0..=1: how sure the reading is.
    pub confidence: f64,
    /// The words that gave it away, for an editor to check.
    pub evidence: String,
}

/// Below this a turn names nobody.
pub const THRESHOLD: f64 = 0.6;

/// Words that start the name of whoever is given the floor, after them.
const FLOOR: &[&[&str]] = &[
    &["ha", "la", "parola"],
    // The engine often hears "ha la parola" as "a la parola", "do la" as "dola".
    &["a", "la", "parola"],
    &["do", "la", "parola"],
    &["dola", "parola"],
    &["cedo", "la", "parola"],
    &["la", "parola", "al"],
    &["la", "parola", "alla"],
    &["la", "parola", "all"],
    &["la", "parola", "allo"],
    &["la", "parola", "a"],
    &["lei", "la", "parola"],
    &["interviene"],
    &["prego"],
];

/// Words that end a name phrase. Particles that begin surnames ("di", "da", "la") do
/// not: the longest phrase that names someone is taken.
const NAME_STOP: &[&str] = &[
    "per",
    "prego",
    "grazie",
    "che",
    "e",
    "ne",
    "ha",
    "le",
    "su",
    "sul",
    "sulla",
    "a",
    "ad",
    "in",
    "con",
    "buongiorno",
    "buonasera",
    "si",
    "puo",
    "quindi",
];

/// Articles and fillers between the floor words and the name.
const NAME_LEAD: &[&str] = &[
    "il", "lo", "la", "l", "al", "alla", "all", "allo", "signor", "signora",
];

/// A turn found in one cue, before merging.
struct Found {
    at_word: usize,
    person: Option<i64>,
    confidence: f64,
    evidence: String,
}

/// The turns of an automatic transcript.
pub fn infer(cues: &[HeardCue], roster: &[Member]) -> Vec<InferredTurn> {
    let chair = chair_of(roster);
    let mut turns: Vec<InferredTurn> = Vec::new();
    for cue in cues {
        let words = heard_words(cue.text);
        for found in found_in(&words, roster, chair) {
            let share = found.at_word as f64 / words.len().max(1) as f64;
            let start_ms = cue.start_ms + ((cue.end_ms - cue.start_ms) as f64 * share) as i64;
            let named = found.person.filter(|_| found.confidence >= THRESHOLD);
            push(
                &mut turns,
                start_ms,
                named,
                found.confidence,
                found.evidence,
            );
        }
    }
    // Before anyone is given the floor, the chair is opening the sitting.
    if let (Some(first), Some(chair)) = (cues.first(), chair) {
        if turns
            .first()
            .is_some_and(|t| t.start_ms > first.start_ms && t.person_id == Some(chair))
        {
            turns[0].start_ms = first.start_ms;
        }
    }
    turns
}

/// Titles the engine may run into the name after them ("consigliererossi").
const GLUED_TITLES: &[&str] = &[
    "consigliere",
    "consigliera",
    "assessore",
    "assessora",
    "sindaco",
    "sindaca",
    "presidente",
];

/// A cue's words, folded, with a title run into the next word split off it.
fn heard_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for w in fold_name(text).split(' ').filter(|w| !w.is_empty()) {
        let glued = GLUED_TITLES
            .iter()
            .find(|t| w.len() >= t.len() + 3 && w.starts_with(*t));
        match glued {
            Some(title) => {
                words.push(title.to_string());
                words.push(w[title.len()..].to_string());
            }
            None => words.push(w.to_string()),
        }
    }
    words
}

/// The roster's chair: the one person presiding that day.
fn chair_of(roster: &[Member]) -> Option<i64> {
    let chairs: Vec<i64> = roster
        .iter()
        .filter(|m| m.has(RoleKind::President))
        .map(|m| m.id)
        .collect();
    (chairs.len() == 1).then(|| chairs[0])
}

/// Adds a turn unless it only repeats who is already speaking.
fn push(
    turns: &mut Vec<InferredTurn>,
    start_ms: i64,
    person: Option<i64>,
    confidence: f64,
    evidence: String,
) {
    if person.is_some() && turns.last().is_some_and(|t| t.person_id == person) {
        return;
    }
    let start_ms = turns.last().map_or(start_ms, |t| start_ms.max(t.start_ms));
    turns.push(InferredTurn {
        start_ms,
        person_id: person,
        confidence,
        evidence,
    });
}

/// The floor given (and handed back) in one cue's words, in order.
fn found_in(words: &[String], roster: &[Member], chair: Option<i64>) -> Vec<Found> {
    let mut found: Vec<Found> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let step = floor_given(words, i, roster, chair, &mut found)
            .or_else(|| thanks(words, i, chair, &mut found));
        i = step.unwrap_or(i + 1);
    }
    found
}

/// The chair giving the floor at `i`: the chair's turn (unless the chair already has it)
/// and the named person's; where to read on.
fn floor_given(
    words: &[String],
    i: usize,
    roster: &[Member],
    chair: Option<i64>,
    found: &mut Vec<Found>,
) -> Option<usize> {
    let len = floor_at(words, i)?;
    let (name_end, person, confidence) = named_after(words, i + len, roster);
    // "prego" alone (or before words that are nobody) is politeness, not the floor.
    if (words[i] == "prego" && confidence < THRESHOLD) || name_end <= i + len {
        return None;
    }
    let evidence = words[i..name_end].join(" ");
    if chair.is_some() && found.last().is_none_or(|f| f.person != chair) {
        found.push(Found {
            at_word: i,
            person: chair,
            confidence: 0.7,
            evidence: evidence.clone(),
        });
    }
    found.push(Found {
        at_word: name_end,
        person,
        confidence,
        evidence,
    });
    Some(name_end)
}

/// Thanks that move the floor: the chair thanking the speaker at the start of a cue
/// ("grazie consigliere") speaks from there; "grazie presidente" after someone's words, or
/// as a cue of its own, hands the floor back to the chair (at the start of a longer cue it
/// is a speaker beginning). Where to read on.
fn thanks(words: &[String], i: usize, chair: Option<i64>, found: &mut Vec<Found>) -> Option<usize> {
    const THANKED: &[&str] = &[
        "consigliere",
        "consigliera",
        "assessore",
        "assessora",
        "sindaco",
        "sindaca",
    ];
    if words[i] != "grazie" {
        return None;
    }
    let filler = usize::from(words.get(i + 1).is_some_and(|w| w == "e" || w == "signor"));
    let whom = words.get(i + 1 + filler)?;
    let end = i + 2 + filler;
    let (at_word, end) = if i == 0 && THANKED.contains(&whom.as_str()) {
        (0, end)
    } else if whom == "presidente" && (i > 0 || end == words.len()) {
        (end, end)
    } else {
        return None;
    };
    if chair.is_some() {
        found.push(Found {
            at_word,
            person: chair,
            confidence: 0.7,
            evidence: words[i..end].join(" "),
        });
    }
    Some(end)
}

/// The length of the floor-giving words starting at `i`, if they do.
fn floor_at(words: &[String], i: usize) -> Option<usize> {
    FLOOR
        .iter()
        .filter(|f| {
            words.len() >= i + f.len()
                && words[i..i + f.len()]
                    .iter()
                    .zip(f.iter())
                    .all(|(w, f)| w == f)
        })
        .map(|f| f.len())
        .max()
}

/// Who the words from `from` name: (where the name ends, the person, the confidence).
fn named_after(words: &[String], from: usize, roster: &[Member]) -> (usize, Option<i64>, f64) {
    let mut start = from;
    while words
        .get(start)
        .is_some_and(|w| NAME_LEAD.contains(&w.as_str()))
    {
        start += 1;
    }
    let mut end = start;
    while end < words.len() && end < start + 5 && !NAME_STOP.contains(&words[end].as_str()) {
        end += 1;
    }
    // The whole phrase; then one misspelt surname; then shorter phrases, which may drop
    // words said after the name.
    let full = resolve(&words[start..end].join(" "), roster);
    if let Resolved::Person(id) = full {
        return (end, Some(id), confidence(&words[start..end], id, roster));
    }
    if let Some((stop, id)) = misspelt(&words[start..end], roster) {
        return (start + stop, Some(id), 0.65);
    }
    for stop in (start + 1..end).rev() {
        match resolve(&words[start..stop].join(" "), roster) {
            Resolved::Person(id) => {
                return (stop, Some(id), confidence(&words[start..stop], id, roster))
            }
            Resolved::Ambiguous(_) => return (stop, None, 0.3),
            Resolved::Unknown => {}
        }
    }
    let certainty = if matches!(full, Resolved::Ambiguous(_)) {
        0.3
    } else {
        0.2
    };
    (end, None, certainty)
}

/// How sure a resolved name is: a title matching the person's role, or a bare role, is
/// surer than a surname alone.
fn confidence(phrase: &[String], id: i64, roster: &[Member]) -> f64 {
    let Some(m) = roster.iter().find(|m| m.id == id) else {
        return 0.0;
    };
    let title = |w: &str| -> Option<RoleKind> {
        Some(match w {
            "consigliere" | "consigliera" => RoleKind::Councillor,
            "assessore" | "assessora" => RoleKind::Assessore,
            "sindaco" | "sindaca" => RoleKind::Mayor,
            "vicesindaco" | "vicesindaca" => RoleKind::DeputyMayor,
            "presidente" => RoleKind::President,
            "segretario" | "segretaria" => RoleKind::Secretary,
            _ => return None,
        })
    };
    let family = fold_name(&m.family_name);
    let said_name = phrase.join(" ").contains(&family);
    match phrase.iter().find_map(|w| title(w)) {
        Some(role) if m.has(role) && said_name => 0.9,
        Some(role) if m.has(role) => 0.8,
        _ => 0.7,
    }
}

/// A surname of five letters or more the engine got one letter wrong ("rosi", or "del
/// luca" for "De Luca"), when exactly one person of the roster is that close: (where the
/// name ends within `words`, the person).
fn misspelt(words: &[String], roster: &[Member]) -> Option<(usize, i64)> {
    for i in 0..words.len() {
        for len in [2, 1] {
            let Some(heard) = words.get(i..i + len).map(|w| w.join(" ")) else {
                continue;
            };
            if heard.chars().count() < 5 {
                continue;
            }
            let close: Vec<i64> = roster
                .iter()
                .filter(|m| within_one(&heard, &fold_name(&m.family_name)))
                .map(|m| m.id)
                .collect();
            if let [one] = close[..] {
                return Some((i + len, one));
            }
        }
    }
    None
}

/// Whether `a` becomes `b` by one letter changed, added or removed.
fn within_one(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a == b || a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    let first = short
        .iter()
        .zip(long.iter())
        .position(|(x, y)| x != y)
        .unwrap_or(short.len());
    if short.len() == long.len() {
        short[first + 1..] == long[first + 1..]
    } else {
        short[first..] == long[first + 1..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::member;

    fn roster() -> Vec<Member> {
        use RoleKind::*;
        vec![
            member(1, "Anna", "Verdi", &[Councillor, President]),
            member(2, "Mario", "Rossi", &[Councillor]),
            member(3, "Luca", "Rossi", &[Assessore]),
            member(4, "Anna", "De Luca", &[Councillor]),
            member(5, "Carla", "Bruni", &[Mayor]),
            member(6, "Paolo", "Santoro", &[Councillor]),
        ]
    }

    fn cue(start_ms: i64, text: &str) -> HeardCue<'_> {
        HeardCue {
            start_ms,
            end_ms: start_ms + 3_000,
            text,
        }
    }

    fn who(turns: &[InferredTurn]) -> Vec<(i64, Option<i64>)> {
        turns.iter().map(|t| (t.start_ms, t.person_id)).collect()
    }

    #[test]
    fn the_chair_gives_the_floor_and_takes_it_back() {
        let cues = [
            cue(
                0,
                "Buongiorno, apriamo la seduta. Ha la parola il consigliere Rossi.",
            ),
            cue(3_000, "Grazie presidente, il bilancio è in ordine."),
            cue(6_000, "Grazie consigliere. Prego, assessore Rossi."),
            cue(9_000, "Le tariffe non aumenteranno. Grazie presidente."),
            cue(12_000, "La parola alla consigliera De Luca."),
            cue(15_000, "Voteremo contro. Prego sindaco."),
        ];
        let turns = infer(&cues, &roster());
        assert_eq!(
            who(&turns),
            [
                (0, Some(1)),
                (3_000, Some(2)),
                (6_000, Some(1)),
                (9_000, Some(3)),
                (12_000, Some(1)),
                (15_000, Some(4)),
                (16_500, Some(1)),
                (18_000, Some(5)),
            ],
            "{turns:#?}"
        );
        assert!(turns[1].confidence >= 0.9);
        assert_eq!(turns[1].evidence, "ha la parola il consigliere rossi");
    }

    #[test]
    fn names_that_fit_several_or_nobody_name_nobody() {
        let cues = [
            cue(0, "Ha la parola Rossi."),
            cue(3_000, "Ha la parola il consigliere Esposito."),
            cue(6_000, "Ha la parola il consigliere Santoto."),
        ];
        let turns = infer(&cues, &roster());
        let named: Vec<Option<i64>> = turns.iter().map(|t| t.person_id).collect();
        // Chair, nobody (Rossi is two people), chair, nobody (unknown), chair, Santoro.
        assert_eq!(
            named,
            [Some(1), None, Some(1), None, Some(1), Some(6)],
            "{turns:#?}"
        );
        assert!((turns[5].confidence - 0.65).abs() < 1e-9);
        assert!(infer(&[cue(0, "Prego, si accomodi.")], &roster()).is_empty());
        // What the engine made of the words, as heard in the tests.
        let heard = [
            cue(0, "A la parola il Consigliererossi."),
            cue(3_000, "Grazie Presidente, il bilancio è in ordine."),
            cue(6_000, "Grazie e Consigliere."),
            cue(9_000, "A la parola la Consigliera del Luca."),
            cue(12_000, "Voteremo contro."),
            cue(15_000, "Grazie Presidente."),
        ];
        let turns = infer(&heard, &roster());
        assert_eq!(
            who(&turns),
            [
                (0, Some(1)),
                (3_000, Some(2)),
                (6_000, Some(1)),
                (12_000, Some(4)),
                (18_000, Some(1))
            ],
            "{turns:#?}"
        );
        assert!(infer(&[], &roster()).is_empty());
        assert!(within_one("rosi", "rossi") && within_one("santoto", "santoro"));
        assert!(!within_one("rossi", "rossi") && !within_one("bruni", "verdi"));
    }
}
