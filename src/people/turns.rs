//! Speaker turns inferred from an automatic transcript, which names nobody: what the chair
//! says gives the turns away. "Ha la parola il consigliere Rossi", "la parola
//! all'assessore Bianchi", "prego, sindaco", "interviene la consigliera De Luca" start the
//! named person's turn after the phrase, and the chair's own turn where the chair's words
//! begin; "grazie presidente" at the end of someone's words hands the floor back to the
//! chair. Names go through `names::resolve`, with one letter of leeway for a surname of
//! five letters or more that the engine misspelt, when exactly one surname is that close.
//!
//! Where a turn starts: a phrase that ends its cue starts the next turn at the next cue's
//! start (the usual case: captions break where the voice changes); a phrase with more words
//! after it in the same cue starts the turn inside the cue, estimated by the share of the
//! cue's words before it; words that open a cue start the turn at the cue's start.
//!
//! Each turn has a confidence; below `THRESHOLD`, or when the name fits several people or
//! nobody, it names nobody but still ends the turn before it, so the previous speaker is
//! not stretched over someone unknown. The chair is the one roster member who is
//! `President`; without one the chair's turns are boundaries that name nobody.

use super::names::{fold_name, resolve, split_title, Resolved};
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
    /// None when the confidence is below `THRESHOLD` or nobody of the roster fits: a turn
    /// boundary with nobody named.
    pub person_id: Option<i64>,
    /// 0..=1: how sure the reading is.
    pub confidence: f64,
    /// The words that gave it away ("Ha la parola il consigliere Rossi"), as heard, for an
    /// editor to check.
    pub evidence: String,
}

/// Below this a turn names nobody.
pub const THRESHOLD: f64 = 0.6;

/// A title said with a name the person's role agrees with.
const TITLED: f64 = 0.9;
/// A bare role one person held ("prego sindaco"), or a whole name without a title.
const ROLE_OR_FULL_NAME: f64 = 0.8;
/// A unique surname without a title, or with a title the person did not hold.
const SURNAME: f64 = 0.7;
/// A surname the engine got one letter wrong.
const MISSPELT: f64 = 0.65;
/// The chair speaking, inferred from the act of giving the floor or thanking a speaker.
const CHAIR_GIVING: f64 = 0.7;
/// The chair taking the floor back after "grazie presidente".
const HANDED_BACK: f64 = 0.65;
/// A name that fits several people.
const AMBIGUOUS: f64 = 0.3;
/// A name that fits nobody.
const UNKNOWN: f64 = 0.2;

/// Words that give the floor to the name after them. The engine often hears "ha la
/// parola" as "a la parola" and "do la" as "dola".
const FLOOR: &[&[&str]] = &[
    &["ha", "la", "parola"],
    &["a", "la", "parola"],
    &["do", "la", "parola"],
    &["dola", "parola"],
    &["diamo", "la", "parola"],
    &["cedo", "la", "parola"],
    &["passo", "la", "parola"],
    &["lascio", "la", "parola"],
    &["la", "parola", "al"],
    &["la", "parola", "alla"],
    &["la", "parola", "all"],
    &["la", "parola", "allo"],
    &["la", "parola", "a"],
    &["lei", "la", "parola"],
    &["interviene"],
    &["prego"],
];

/// Floor words that are as often politeness or narration ("prego, si accomodi", "se
/// nessuno interviene"): they count only before a name that resolves, or a title.
const WEAK_FLOOR: &[&str] = &["prego", "interviene"];

/// Words before "la parola" that make it someone asking for the floor, not the chair
/// giving it.
const ASKING: &[&str] = &["chiedo", "chiede", "chiesto", "chiedere", "chiedono"];

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

/// The longest name phrase read after the floor words.
const NAME_WORDS: usize = 6;

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

/// Whom the chair thanks when a speaker ends ("grazie consigliere").
const THANKED: &[&str] = &[
    "consigliere",
    "consigliera",
    "assessore",
    "assessora",
    "sindaco",
    "sindaca",
    "vicesindaco",
    "vicesindaca",
];

/// One word heard, folded, with the raw token it came from (for the evidence) and whether
/// a clause ends after it (a comma, a full stop).
struct Word {
    text: String,
    token: usize,
    clause_end: bool,
}

/// A cue's words, and its raw tokens.
struct Heard<'a> {
    words: Vec<Word>,
    tokens: Vec<&'a str>,
}

/// A turn found in one cue, before it is timed and merged.
struct Found {
    /// The word of the cue the turn starts at (the cue's length: after its end).
    at_word: usize,
    person: Option<i64>,
    confidence: f64,
    evidence: String,
}

/// What the reader of one cue knows: the roster, the chair, and whether the floor was
/// just given to someone other than the chair, whose opening "grazie presidente" hands
/// nothing back: the word of the cue their words begin at (0 when before the cue).
struct Reader<'r> {
    roster: &'r [Member],
    chair: Option<i64>,
    opening: Option<usize>,
}

/// How many words a speaker may say before thanking the chair and still be beginning
/// ("Sì, grazie presidente, ...").
const OPENING_WORDS: usize = 3;

/// The turns of an automatic transcript, in order, consecutive turns of one person merged.
pub fn infer(cues: &[HeardCue], roster: &[Member]) -> Vec<InferredTurn> {
    let chair = chair_of(roster);
    let mut turns: Vec<InferredTurn> = Vec::new();
    for (k, cue) in cues.iter().enumerate() {
        let heard = heard_words(cue.text);
        let n = heard.words.len();
        let mut reader = Reader {
            roster,
            chair,
            opening: turns
                .last()
                .is_some_and(|t| t.start_ms >= cue.start_ms && t.person_id != chair)
                .then_some(0),
        };
        if reader.opening.is_some() && starts_with(&heard.words, 0, &["ne", "ha", "facolta"]) {
            // "ne ha facoltà" heard as the next caption: the named speaker begins after it.
            if let Some(last) = turns.last_mut() {
                last.start_ms = start_at(cues, k, 3, n);
                last.evidence = format!("{} {}", last.evidence, evidence(&heard, 0, 3));
            }
        }
        for found in reader.read(&heard) {
            let person = found.person.filter(|_| found.confidence >= THRESHOLD);
            let turn = InferredTurn {
                start_ms: start_at(cues, k, found.at_word, n),
                person_id: person,
                confidence: found.confidence,
                evidence: found.evidence,
            };
            push(&mut turns, turn);
        }
    }
    // Before anyone is given the floor, the chair is opening the sitting.
    if let (Some(first), Some(_)) = (cues.first(), chair) {
        if let Some(turn) = turns.first_mut().filter(|t| t.person_id == chair) {
            turn.start_ms = turn.start_ms.min(first.start_ms);
        }
    }
    turns
}

/// When a turn found at word `at` of cue `k` (of `n` words) starts: the cue's start for
/// its first word, the next cue's start (or this one's end) after its last, else the
/// share of the cue's time before that word.
fn start_at(cues: &[HeardCue], k: usize, at: usize, n: usize) -> i64 {
    let Some(cue) = cues.get(k) else {
        return 0;
    };
    if at == 0 {
        return cue.start_ms;
    }
    if at >= n {
        return cues.get(k + 1).map_or(cue.end_ms, |next| next.start_ms);
    }
    let length = (cue.end_ms - cue.start_ms).max(0) as f64;
    cue.start_ms + (length * at as f64 / n as f64) as i64
}

/// Adds a turn unless it only repeats who is already speaking (or is a second boundary
/// naming nobody at the same moment).
fn push(turns: &mut Vec<InferredTurn>, mut turn: InferredTurn) {
    if let Some(last) = turns.last() {
        let same = turn.person_id == last.person_id
            && (turn.person_id.is_some() || turn.start_ms <= last.start_ms);
        if same {
            return;
        }
        turn.start_ms = turn.start_ms.max(last.start_ms);
    }
    turns.push(turn);
}

/// The roster's chair: the one person presiding that day.
fn chair_of(roster: &[Member]) -> Option<i64> {
    let chairs: Vec<i64> = roster
        .iter()
        .filter(|m| m.has(RoleKind::President))
        .map(|m| m.id)
        .collect();
    match chairs.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// A cue's words, folded, with a title run into the next word split off it.
fn heard_words(text: &str) -> Heard<'_> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let mut words: Vec<Word> = Vec::new();
    for (t, token) in tokens.iter().enumerate() {
        let bare = token.trim_end_matches(['"', '\'', '»', '”', ')', ']']);
        let clause_end = bare.ends_with([',', '.', ';', ':', '!', '?', '…']);
        let folded = fold_name(token);
        if folded.is_empty() {
            // A dash or a stray mark between words ends the clause before it.
            if let Some(last) = words.last_mut() {
                last.clause_end = true;
            }
            continue;
        }
        for part in folded.split(' ') {
            let glued = GLUED_TITLES
                .iter()
                .find(|title| part.len() >= title.len() + 3 && part.starts_with(*title));
            let pieces = match glued {
                Some(title) => vec![title.to_string(), part[title.len()..].to_string()],
                None => vec![part.to_string()],
            };
            for piece in pieces {
                words.push(Word {
                    text: piece,
                    token: t,
                    clause_end: false,
                });
            }
        }
        if let Some(last) = words.last_mut() {
            last.clause_end = clause_end;
        }
    }
    Heard { words, tokens }
}

/// The raw words from word `from` to word `to` (not included), without the punctuation
/// that ends them.
fn evidence(heard: &Heard, from: usize, to: usize) -> String {
    let (Some(first), Some(last)) = (heard.words.get(from), heard.words.get(to.wrapping_sub(1)))
    else {
        return String::new();
    };
    let tokens = heard.tokens.get(first.token..=last.token).unwrap_or(&[]);
    let text = tokens.join(" ");
    text.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '\'')
        .to_string()
}

/// Whether the words from `at` are `phrase`.
fn starts_with(words: &[Word], at: usize, phrase: &[&str]) -> bool {
    words.len() >= at + phrase.len()
        && words[at..at + phrase.len()]
            .iter()
            .zip(phrase)
            .all(|(w, p)| w.text == *p)
}

impl Reader<'_> {
    /// The floor given (and handed back) in one cue, in order.
    fn read(&mut self, heard: &Heard) -> Vec<Found> {
        let mut found: Vec<Found> = Vec::new();
        let mut i = 0;
        while i < heard.words.len() {
            let step = self
                .floor_given(heard, i, &mut found)
                .or_else(|| self.thanks(heard, i, &mut found));
            i = step.unwrap_or(i + 1);
        }
        found
    }

    /// The chair giving the floor at word `i`: the chair's turn (from the thanks just
    /// before, if any) and the named person's after the name; where to read on.
    fn floor_given(&mut self, heard: &Heard, i: usize, found: &mut Vec<Found>) -> Option<usize> {
        let words = &heard.words;
        let len = floor_at(words, i)?;
        if i > 0 && ASKING.contains(&words[i - 1].text.as_str()) {
            return None;
        }
        let name = self.named_after(words, i + len);
        if name.end <= name.start {
            return None;
        }
        let weak = len == 1 && WEAK_FLOOR.contains(&words[i].text.as_str());
        if weak && name.confidence < THRESHOLD && !name.titled {
            return None;
        }
        // "..., ne ha facoltà" closes the giving of the floor.
        let mut end = name.end;
        if starts_with(words, end, &["ne", "ha", "facolta"]) {
            end += 3;
        }
        let said = evidence(heard, i, end);
        if found.last().is_none_or(|f| f.person != self.chair) {
            found.push(Found {
                at_word: thanks_before(words, i).unwrap_or(i),
                person: self.chair,
                confidence: CHAIR_GIVING,
                evidence: said.clone(),
            });
        }
        found.push(Found {
            at_word: end,
            person: name.person,
            confidence: name.confidence,
            evidence: said,
        });
        self.opening = (name.person != self.chair).then_some(end);
        Some(end)
    }

    /// Thanks that move the floor at word `i`; where to read on. The chair thanking the
    /// speaker as a cue begins ("grazie consigliere") speaks from there. "Grazie
    /// presidente" hands the floor back to the chair after it when it ends the cue or
    /// follows the speaker's words within it (captions often run the chair's next words
    /// in). It is a speaker beginning instead when it opens a cue with more words after
    /// it, or comes among the first words of someone just given the floor (unless it ends
    /// a cue after some words of theirs: a short intervention).
    fn thanks(&mut self, heard: &Heard, i: usize, found: &mut Vec<Found>) -> Option<usize> {
        let words = &heard.words;
        if words[i].text != "grazie" {
            return None;
        }
        let filler = ["e", "signor", "signora"];
        let skip = usize::from(
            words
                .get(i + 1)
                .is_some_and(|w| filler.contains(&w.text.as_str())),
        );
        let whom = words.get(i + 1 + skip)?.text.as_str();
        let end = i + 2 + skip;
        let at_end = end == words.len();
        let (at_word, confidence) = if i == 0 && THANKED.contains(&whom) {
            (0, CHAIR_GIVING)
        } else if whom == "presidente" && self.hands_back(i, at_end) {
            (end, HANDED_BACK)
        } else {
            return None;
        };
        found.push(Found {
            at_word,
            person: self.chair,
            confidence,
            evidence: evidence(heard, i, end),
        });
        self.opening = None;
        Some(end)
    }

    /// Whether "grazie presidente" at word `i` (at the cue's end or not) ends someone's
    /// words rather than begins them.
    fn hands_back(&self, i: usize, at_end: bool) -> bool {
        match self.opening {
            Some(from) => {
                let said = i.saturating_sub(from);
                said > 0 && (at_end || said > OPENING_WORDS)
            }
            None => i > 0 || at_end,
        }
    }

    /// Who the words from `from` name.
    fn named_after(&self, words: &[Word], from: usize) -> Name {
        let mut start = from;
        while words
            .get(start)
            .is_some_and(|w| NAME_LEAD.contains(&w.text.as_str()))
        {
            start += 1;
        }
        let mut end = start;
        while end < words.len()
            && end < start + NAME_WORDS
            && !NAME_STOP.contains(&words[end].text.as_str())
        {
            end += 1;
            if words[end - 1].clause_end {
                break;
            }
        }
        let phrase: Vec<String> = words[start..end].iter().map(|w| w.text.clone()).collect();
        let titled = phrase.first().is_some_and(|w| !split_title(w).1.is_empty());
        let mut name = self.name_in(&phrase);
        name.start += start;
        name.end += start;
        name.titled = titled;
        name
    }

    /// Who a name phrase names: the longest part of it that resolves, else one misspelt
    /// surname put right. Positions are within `phrase`.
    fn name_in(&self, phrase: &[String]) -> Name {
        let nobody = |end, confidence| Name {
            start: 0,
            end,
            person: None,
            confidence,
            titled: false,
        };
        let (n, verdict) = match longest_fit(phrase, self.roster) {
            Some((n, Resolved::Person(id))) => {
                return self.named(&phrase[..n], id, false);
            }
            Some(found) => found,
            None => (phrase.len(), Resolved::Unknown),
        };
        if verdict == Resolved::Unknown {
            if let Some((n, id, corrected)) = misspelt(phrase, self.roster) {
                return self.named(&corrected, id, true).ending_at(n);
            }
            return nobody(n, UNKNOWN);
        }
        nobody(n, AMBIGUOUS)
    }

    /// `phrase` read as naming `id`, with how sure that is.
    fn named(&self, phrase: &[String], id: i64, misspelt: bool) -> Name {
        let confidence = if misspelt {
            MISSPELT
        } else {
            self.roster
                .iter()
                .find(|m| m.id == id)
                .map_or(0.0, |m| confidence(phrase, m))
        };
        Name {
            start: 0,
            end: phrase.len(),
            person: Some(id),
            confidence,
            titled: false,
        }
    }
}

/// A name phrase read: where it is, whom it names, how surely, and whether it opens with a
/// title (which makes a weak "prego" a real giving of the floor).
struct Name {
    start: usize,
    end: usize,
    person: Option<i64>,
    confidence: f64,
    titled: bool,
}

impl Name {
    fn ending_at(self, end: usize) -> Name {
        Name { end, ..self }
    }
}

/// The length of the floor-giving words starting at `i`, if they do.
fn floor_at(words: &[Word], i: usize) -> Option<usize> {
    FLOOR
        .iter()
        .filter(|phrase| starts_with(words, i, phrase))
        .map(|phrase| phrase.len())
        .max()
}

/// Where the chair's thanks to the last speaker begin, when they come just before the
/// floor words at `i` in the same cue ("... grazie consigliere. Prego, assessore").
fn thanks_before(words: &[Word], i: usize) -> Option<usize> {
    let j = (i.saturating_sub(5)..i)
        .rev()
        .find(|&j| words[j].text == "grazie")?;
    let sentence_start = j == 0 || words[j - 1].clause_end;
    // "Grazie consigliere Rossi." or a sentence of thanks of its own ("Grazie. Prego").
    let thanked = words[j + 1..i]
        .iter()
        .any(|w| THANKED.contains(&w.text.as_str()))
        || words[i - 1].clause_end;
    (sentence_start && thanked).then_some(j)
}

/// The longest start of `phrase` that names someone (one person or several), with its
/// length. A shorter start must keep a name word: a title alone, once the words after it
/// are dropped, would be a guess.
fn longest_fit(phrase: &[String], roster: &[Member]) -> Option<(usize, Resolved)> {
    (1..=phrase.len()).rev().find_map(|n| {
        let text = phrase[..n].join(" ");
        if n < phrase.len() && split_title(&text).0.is_empty() {
            return None;
        }
        match resolve(&text, roster) {
            Resolved::Unknown => None,
            verdict => Some((n, verdict)),
        }
    })
}

/// How sure a resolved name is: a title matching the person's role is surest; a bare role
/// or a whole name comes next; a surname alone, or under a title they did not hold, last.
fn confidence(phrase: &[String], m: &Member) -> f64 {
    let (name, roles) = split_title(&phrase.join(" "));
    let family = fold_name(&m.family_name).replace(' ', "");
    if name.is_empty() {
        ROLE_OR_FULL_NAME
    } else if roles.iter().any(|r| m.has(*r)) {
        TITLED
    } else if roles.is_empty() && name.concat().len() > family.len() {
        ROLE_OR_FULL_NAME
    } else {
        SURNAME
    }
}

/// One surname of five letters or more that the engine got one letter wrong ("rosi",
/// "del luca" for "De Luca"), when exactly one surname of the roster is that close: (where
/// the name ends in `phrase`, the person, the phrase put right). A surname two people share
/// is then told apart by the rest of the phrase, or not at all.
fn misspelt(phrase: &[String], roster: &[Member]) -> Option<(usize, i64, Vec<String>)> {
    let mut surnames: Vec<String> = roster.iter().map(|m| fold_name(&m.family_name)).collect();
    surnames.sort();
    surnames.dedup();
    for i in 0..phrase.len() {
        for len in [2, 1] {
            let Some(window) = phrase.get(i..i + len) else {
                continue;
            };
            let heard = window.join(" ");
            if split_title(&heard).0.is_empty() {
                continue;
            }
            let close: Vec<&String> = surnames
                .iter()
                .filter(|s| s.replace(' ', "").len() >= 5 && within_one(&heard, s))
                .collect();
            let [surname] = close.as_slice() else {
                continue;
            };
            // The surname written whole ("deluca"), which `resolve` reads as "De Luca".
            let mut corrected = phrase[..i].to_vec();
            corrected.push(surname.replace(' ', ""));
            corrected.extend_from_slice(&phrase[i + len..]);
            if let Some((n, Resolved::Person(id))) = longest_fit(&corrected, roster) {
                if n > i {
                    return Some((n + len - 1, id, corrected[..n].to_vec()));
                }
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
            member(7, "Elena", "Bianchi", &[Assessore]),
        ]
    }

    fn cue(start_ms: i64, text: &str) -> HeardCue<'_> {
        HeardCue {
            start_ms,
            end_ms: start_ms + 2_500,
            text,
        }
    }

    fn cues<'a>(texts: &[&'a str]) -> Vec<HeardCue<'a>> {
        (0..)
            .step_by(3_000)
            .zip(texts)
            .map(|(s, t)| cue(s, t))
            .collect()
    }

    fn who(turns: &[InferredTurn]) -> Vec<(i64, Option<i64>)> {
        turns.iter().map(|t| (t.start_ms, t.person_id)).collect()
    }

    #[test]
    fn the_chair_gives_the_floor_in_three_phrasings_and_takes_it_back() {
        let heard = cues(&[
            "Buongiorno, apriamo la seduta. Ha la parola il consigliere Rossi.",
            "Grazie presidente, il bilancio è in ordine.",
            "Ho concluso. Grazie presidente.",
            "Grazie consigliere. Do la parola all'assessore Bianchi.",
            "Le tariffe non aumenteranno.",
            "Grazie. Prego sindaco.",
            "La giunta ha approvato il progetto.",
        ]);
        let turns = infer(&heard, &roster());
        assert_eq!(
            who(&turns),
            [
                (0, Some(1)),
                (3_000, Some(2)),
                (9_000, Some(1)),
                (12_000, Some(7)),
                (15_000, Some(1)),
                (18_000, Some(5)),
            ],
            "{turns:#?}"
        );
        assert_eq!(turns[1].evidence, "Ha la parola il consigliere Rossi");
        assert!((turns[1].confidence - TITLED).abs() < 1e-9);
        assert!((turns[2].confidence - HANDED_BACK).abs() < 1e-9);
        assert_eq!(turns[2].evidence, "Grazie presidente");
        assert!((turns[5].confidence - ROLE_OR_FULL_NAME).abs() < 1e-9);
        assert!(turns.iter().all(|t| t.confidence >= THRESHOLD));
    }

    #[test]
    fn a_phrase_inside_a_cue_starts_the_turn_inside_it() {
        let heard = cues(&[
            "Ha la parola il consigliere Santoro.",
            "Voteremo contro. Prego, consigliera De Luca, ne ha facoltà. Grazie presidente, dunque.",
        ]);
        let turns = infer(&heard, &roster());
        // The chair from "Prego" (word 2 of 12), De Luca after "facoltà" (word 9); her
        // opening thanks hand nothing back.
        assert_eq!(
            who(&turns),
            [
                (0, Some(1)),
                (3_000, Some(6)),
                (3_416, Some(1)),
                (4_875, Some(4))
            ],
            "{turns:#?}"
        );
        assert_eq!(
            turns[3].evidence,
            "Prego, consigliera De Luca, ne ha facoltà"
        );
        // "ne ha facoltà" as a caption of its own: the speaker begins after it.
        let heard = cues(&[
            "Ha la parola il consigliere Santoro,",
            "ne ha facoltà.",
            "Chiedo che il progetto torni in commissione.",
        ]);
        let turns = infer(&heard, &roster());
        assert_eq!(who(&turns), [(0, Some(1)), (6_000, Some(6))], "{turns:#?}");
    }

    #[test]
    fn a_speaker_opening_with_thanks_keeps_the_floor() {
        let heard = cues(&[
            "Cedo la parola al sindaco.",
            "Grazie presidente.",
            "La giunta ha approvato il progetto.",
            "Grazie presidente.",
            "Passiamo al punto successivo.",
        ]);
        let turns = infer(&heard, &roster());
        assert_eq!(
            who(&turns),
            [(0, Some(1)), (3_000, Some(5)), (12_000, Some(1))],
            "{turns:#?}"
        );
        // Thanks among a speaker's first words begin them; after their words (the chair's
        // next words run into the same caption) they hand the floor back.
        let heard = cues(&[
            "Ha la parola il consigliere Santoro.",
            "Sì, grazie presidente, voteremo contro.",
            "Ha la parola l'assessore Bianchi.",
            "Voteremo contro la proposta. Grazie presidente. Passiamo al voto.",
        ]);
        let turns = infer(&heard, &roster());
        assert_eq!(
            who(&turns),
            [
                (0, Some(1)),
                (3_000, Some(6)),
                (6_000, Some(1)),
                (9_000, Some(7)),
                (10_666, Some(1))
            ],
            "{turns:#?}"
        );
    }

    #[test]
    fn unknown_and_ambiguous_names_leave_a_boundary_naming_nobody() {
        let heard = cues(&[
            "Ha la parola il consigliere Esposito.",
            "Intervengo sulla mozione.",
            "La parola a Rossi.",
            "Grazie presidente, sulla mozione.",
            "Prego, si accomodi.",
        ]);
        let turns = infer(&heard, &roster());
        assert_eq!(
            who(&turns),
            [(0, Some(1)), (3_000, None), (6_000, Some(1)), (9_000, None)],
            "{turns:#?}"
        );
        assert!((turns[1].confidence - UNKNOWN).abs() < 1e-9);
        assert!((turns[3].confidence - AMBIGUOUS).abs() < 1e-9);
        // Someone asking for the floor is not the chair giving it.
        assert!(infer(&cues(&["Chiedo la parola al presidente."]), &roster()).is_empty());
    }

    #[test]
    fn a_misspelt_surname_names_its_one_close_person_less_surely() {
        let heard = cues(&[
            "Ha la parola il consigliere Santoto.",
            "Grazie presidente.",
            "A la parola l'assessore Rosi.",
            "Le tariffe restano uguali.",
            "Grazie e Consigliere. A la parola la Consigliera del Luca.",
            "Voteremo contro.",
        ]);
        let turns = infer(&heard, &roster());
        assert_eq!(
            who(&turns),
            [
                (0, Some(1)),
                (3_000, Some(6)),
                (6_000, Some(1)),
                (9_000, Some(3)),
                (12_000, Some(1)),
                (15_000, Some(4)),
            ],
            "{turns:#?}"
        );
        assert!((turns[1].confidence - MISSPELT).abs() < 1e-9);
        assert!(within_one("rosi", "rossi") && within_one("del luca", "de luca"));
        assert!(!within_one("rossi", "rossi") && !within_one("bruni", "verdi"));
        // Two letters off is too far, and a correction that fits two people names nobody.
        for text in ["La parola al consigliere Santoni.", "La parola a Rosi."] {
            let turns = infer(&cues(&[text]), &roster());
            assert_eq!(turns.last().map(|t| t.person_id), Some(None), "{text}");
        }
    }

    #[test]
    fn the_engines_spellings_still_read_as_the_chairs_words() {
        let heard = cues(&[
            "A la parola il Consigliererossi.",
            "Bene.",
            "Dola parola al consigliere Santoro.",
            "Bene.",
            "Grazie consigliere. A lei la parola, assessore Bianchi.",
        ]);
        let turns = infer(&heard, &roster());
        assert_eq!(
            who(&turns),
            [
                (0, Some(1)),
                (3_000, Some(2)),
                (6_000, Some(1)),
                (9_000, Some(6)),
                (12_000, Some(1)),
                // The last cue's phrase: the turn starts at its end.
                (14_500, Some(7)),
            ],
            "{turns:#?}"
        );
    }

    #[test]
    fn no_cues_or_no_chair_words_give_no_turns() {
        assert!(infer(&[], &roster()).is_empty());
        assert!(infer(&cues(&["", "Buongiorno a tutti."]), &roster()).is_empty());
        // Without a president the chair's turns are boundaries naming nobody.
        let no_chair: Vec<Member> = roster().into_iter().filter(|m| m.id != 1).collect();
        let turns = infer(&cues(&["Ha la parola l'assessore Bianchi."]), &no_chair);
        assert_eq!(who(&turns), [(0, None), (2_500, Some(7))], "{turns:#?}");
    }
}
