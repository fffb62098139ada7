//! The roll call and the votes read from the text of a session's minutes (verbale), as
//! clerks write them: "Risultano presenti i consiglieri: Rossi Mario, Bianchi Luca…",
//! "Assenti: Neri (giustificato)", headings such as "Punto n. 3 all'ordine del giorno: …",
//! and under each "Presenti n. 25, votanti n. 24, favorevoli n. 18, contrari n. 6, astenuti
//! n. 1", "con voti unanimi", "la proposta è approvata" / "respinta" / "il punto è rinviato".
//! The text comes out of PDF or DOCX: line breaks and spacing are irregular, and whole
//! minutes may be in capitals.
//!
//! Choices the callers rely on:
//! - only the first roll call is the session's: the first list of those present (or absent)
//!   that is not part of a vote, and the other list if it follows within a few KB; later
//!   "entra il consigliere…" lines are not read. Names are kept as written (titles too, the
//!   name resolver sets them aside), without notes in brackets; a "name" must look like one
//!   (at most five words, each capitalised or a particle such as "de"), so a list ends at
//!   the first piece of prose. `present_count` is only a number the clerk wrote;
//! - a vote belongs to the last heading before it (`None` before any heading), and a
//!   heading has at most one vote: the first. The second vote clerks write under a heading
//!   is nearly always the immediate executability ("immediata eseguibilità", "con separata
//!   votazione"), and amendments voted before the proposal also make a first vote, so from
//!   the first sign of another vote (those words, or a count or outcome that differs from
//!   the one already read) the text under that heading is not read;
//! - sentences that open with a premise ("Visto", "Richiamata", "Premesso"…) are not read,
//!   nor "approvato con deliberazione…": they speak of earlier acts, not of this vote;
//! - without a written outcome: a unanimous vote is approved; otherwise the counts decide,
//!   approved when more are in favour than against, else rejected (a tie rejects, as in
//!   council rules); with neither, the outcome stays unknown;
//! - a unanimous vote with a known number of voters (or present, less any abstainers)
//!   has them all in favour (all against when the minutes say it was rejected); abstainers
//!   not written are those present who did not vote, else 0;
//! - `check` says when counts cannot be right; the vote is still returned, with the problem.
//!
//! Pure text in, verdict out: no panics on any input, and bounded work on hostile input
//! (the first 2 MB are read, lists stop at 200 names, look-ups only ever look nearby).

use std::ops::Range;

use crate::catalog::fold;
use crate::domain::VoteOutcome;

/// Minutes longer than this are read up to here.
const MAX_BYTES: usize = 2 << 20;
/// A roll call listing more names than this is cut.
const MAX_NAMES: usize = 200;
/// The excerpt kept with a vote, for an editor to check.
const EXCERPT_CHARS: usize = 300;
/// How far after "presenti" / "assenti" a list of names may run.
const LIST_WINDOW: usize = 16 * 1024;
/// How far after the first list of the roll call the other list may be.
const OTHER_LIST_REACH: usize = 4 * 1024;
/// How many "presenti" / "assenti" are tried for a roll call: it is at the top of the
/// minutes, and hostile text could repeat the word a million times.
const MAX_MARKERS: usize = 1000;
/// Sentences without anything of a vote after which a vote already read is over.
const MAX_GAP: usize = 3;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MinutesReading {
    pub roll_call: Option<RollCall>,
    pub votes: Vec<VoteReading>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RollCall {
    pub present: Vec<String>,
    pub absent: Vec<String>,
    pub present_count: Option<u32>,
}

/// The agenda item a vote is under, as the heading writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRef {
    pub number: Option<String>,
    pub title: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VoteCounts {
    pub present: Option<u32>,
    pub voting: Option<u32>,
    pub in_favour: Option<u32>,
    pub against: Option<u32>,
    pub abstained: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VoteReading {
    pub item: Option<ItemRef>,
    pub outcome: Option<VoteOutcome>,
    pub counts: VoteCounts,
    pub unanimous: bool,
    /// Why the numbers cannot be right ("favorevoli 18 + contrari 5 = 23, non i 24
    /// votanti"), from `check`.
    pub problem: Option<String>,
    /// The sentence(s) the vote was read from, spaces collapsed, at most about 300
    /// characters, for an editor to check.
    pub excerpt: String,
}

/// Whether counts add up: in favour + against = voting; voting + abstaining = present
/// (abstainers are present but do not vote); none larger than those present. In Italian,
/// naming the numbers.
pub fn check(c: &VoteCounts) -> Option<String> {
    if let (Some(y), Some(n), Some(v)) = (c.in_favour, c.against, c.voting) {
        let sum = u64::from(y) + u64::from(n);
        if sum != u64::from(v) {
            return Some(format!(
                "favorevoli {y} + contrari {n} = {sum}, non i {v} votanti"
            ));
        }
    }
    if let (Some(v), Some(a), Some(p)) = (c.voting, c.abstained, c.present) {
        let sum = u64::from(v) + u64::from(a);
        if sum != u64::from(p) {
            return Some(format!(
                "votanti {v} + astenuti {a} = {sum}, non i {p} presenti"
            ));
        }
    }
    let p = c.present?;
    let parts = [
        ("votanti", c.voting),
        ("favorevoli", c.in_favour),
        ("contrari", c.against),
        ("astenuti", c.abstained),
    ];
    parts.into_iter().find_map(|(what, n)| {
        n.filter(|n| *n > p)
            .map(|n| format!("{what} {n}, più dei {p} presenti"))
    })
}

/// Reads the roll call and the votes.
pub fn read(text: &str) -> MinutesReading {
    let text = &text[..floor_boundary(text, MAX_BYTES)];
    let votes = sections(text)
        .into_iter()
        .filter_map(|(item, body)| vote_in(item, &text[body]))
        .collect();
    MinutesReading {
        roll_call: roll_call(text),
        votes,
    }
}

/// The largest char boundary of `text` at or before `at`.
fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// `text[range]`, widened or narrowed to char boundaries so it can never panic.
fn clip(text: &str, range: Range<usize>) -> &str {
    let start = floor_boundary(text, range.start);
    let end = floor_boundary(text, range.end).max(start);
    &text[start..end]
}

/// The byte range of the next whitespace-separated word at or after `from`.
fn next_word(s: &str, from: usize) -> Option<(usize, usize)> {
    let rest = s.get(from..)?;
    let start = from + rest.find(|c: char| !c.is_whitespace())?;
    let end = s[start..]
        .find(char::is_whitespace)
        .map_or(s.len(), |e| start + e);
    Some((start, end))
}

// ---------------------------------------------------------------------------------------
// Agenda headings

/// The text cut at each agenda heading: (the heading's item, the byte range under it). The
/// text before the first heading is under no item.
fn sections(text: &str) -> Vec<(Option<ItemRef>, Range<usize>)> {
    let mut out: Vec<(Option<ItemRef>, Range<usize>)> = vec![(None, 0..0)];
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let end = at + line.len();
        match heading(line) {
            Some(item) => out.push((Some(item), end..end)),
            None => {
                if let Some((_, body)) = out.last_mut() {
                    body.end = end;
                }
            }
        }
        at = end;
    }
    out
}

/// An agenda heading: "Punto n. 3 all'ordine del giorno: Titolo", "PUNTO 2 - Titolo",
/// "Oggetto n. 4: Titolo", "3° punto: Titolo", "Punto 1)".
fn heading(line: &str) -> Option<ItemRef> {
    let (s1, e1) = next_word(line, 0)?;
    let first = &line[s1..e1];
    let key = fold(first);
    let key = key.trim_end_matches([':', '.']);
    let (number, end) = if key == "punto" || key == "oggetto" {
        numbered(line, e1)?
    } else {
        let number = ordinal(first)?;
        let (s2, e2) = next_word(line, e1)?;
        if fold(&line[s2..e2]).trim_end_matches([':', '.', '-']) != "punto" {
            return None;
        }
        (number, e2)
    };
    Some(ItemRef {
        number: Some(number),
        title: heading_title(&line[end..]),
    })
}

/// The number after "punto" / "oggetto" ("3", "n. 3", "n.3", "nr. 3", "3 bis") and where
/// it ends.
fn numbered(line: &str, from: usize) -> Option<(String, usize)> {
    let (mut s, mut e) = next_word(line, from)?;
    if let Some(mark) = number_mark(&line[s..e]) {
        if s + mark == e {
            (s, e) = next_word(line, e)?;
        } else {
            s += mark;
        }
    }
    let mut number = item_number(&line[s..e])?;
    if let Some((s2, e2)) = next_word(line, e) {
        let word = line[s2..e2].trim_end_matches([':', ')', '.', ',', '-']);
        if matches!(word.to_ascii_lowercase().as_str(), "bis" | "ter" | "quater") {
            number = format!("{number} {word}");
            e = e2;
        }
    }
    Some((number, e))
}

/// The length of a "n." / "n°" / "nr." / "numero" mark at the start of a word, when what
/// follows it is nothing or a number.
fn number_mark(word: &str) -> Option<usize> {
    const MARKS: &[&str] = &["numero", "nr.", "nr", "n.", "n°", "nº", "n"];
    MARKS.iter().find_map(|mark| {
        let head = word.get(..mark.len())?;
        let tail = &word[mark.len()..];
        let fits = head.eq_ignore_ascii_case(mark)
            && (tail.is_empty() || tail.starts_with(|c: char| c.is_ascii_digit()));
        fits.then_some(mark.len())
    })
}

/// "3", "3)", "3:", "3.", "3-bis" → "3", "3-bis"; None when it does not start with a number.
fn item_number(word: &str) -> Option<String> {
    let w = word.trim_end_matches([')', ':', '.', ',', '°', 'º', '^', '-', '–']);
    let digits = w.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 4 {
        return None;
    }
    // Text glued by the extraction ("1Approvazione…") keeps only the number.
    if w.len() > 12 {
        return Some(w[..digits].to_string());
    }
    Some(w.to_string())
}

/// "3°", "3º", "3^", "3°)" → "3".
fn ordinal(word: &str) -> Option<String> {
    let digits = word.chars().take_while(char::is_ascii_digit).count();
    let rest = &word[digits..];
    let marked = rest.starts_with(['°', 'º', '^']);
    (digits > 0 && digits <= 4 && marked).then(|| word[..digits].to_string())
}

/// The heading's title: after "all'ordine del giorno" when written near the start, without
/// the separator before it.
fn heading_title(rest: &str) -> String {
    // ASCII lower case keeps every byte where it was, so offsets fit `rest`.
    let lower = rest.to_ascii_lowercase();
    let mut title = rest;
    for phrase in ["ordine del giorno", "o.d.g.", "o.d.g", "odg"] {
        let found = lower.find(phrase).filter(|at| {
            *at < 40
                && !lower[..*at]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric)
        });
        if let Some(at) = found {
            title = &rest[at + phrase.len()..];
            break;
        }
    }
    title
        .trim_start_matches(|c: char| {
            c.is_whitespace() || matches!(c, ':' | '-' | '–' | '—' | '.' | ')' | ',')
        })
        .trim_end()
        .to_string()
}

// ---------------------------------------------------------------------------------------
// Sentences and words

/// The byte ranges of the sentences: cut after a full stop (not that of "n." or of an
/// initial, nor a decimal point), at a blank line, and at a line break before a capitalised
/// word ("Presenti n. 25\nVotanti n. 24"). Text in capitals is cut only at full stops and
/// blank lines, as its line breaks say nothing.
fn sentences(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let rest = &text[i + c.len_utf8()..];
        let ends = match c {
            '.' | '!' | '?' => {
                rest.chars().next().is_none_or(char::is_whitespace)
                    && !abbreviation_before(&text[start..i])
            }
            '\n' => {
                let next = rest.trim_start_matches([' ', '\t', '\r']);
                let mut chars = next.chars();
                let (a, b) = (chars.next(), chars.next());
                a.is_none_or(|a| a == '\n')
                    || (a.is_some_and(char::is_uppercase) && b.is_some_and(char::is_lowercase))
            }
            _ => false,
        };
        if ends {
            let end = i + c.len_utf8();
            if text[start..end].trim().chars().any(char::is_alphanumeric) {
                out.push(start..end);
            }
            start = end;
        }
    }
    if text[start..].chars().any(char::is_alphanumeric) {
        out.push(start..text.len());
    }
    out
}

/// Whether the word before a full stop makes it an abbreviation ("n.", "Sigg.", "Dott.")
/// or an initial ("Rossi M."). Only the last few characters are looked at.
fn abbreviation_before(before: &str) -> bool {
    let word: String = before
        .chars()
        .rev()
        .take(10)
        .take_while(|c| !c.is_whitespace())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let word = fold(&word);
    let word = word.trim_start_matches(|c: char| !c.is_alphanumeric());
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    (letters == 1 && word.len() == 1)
        || matches!(
            word,
            "n" | "nr"
                | "num"
                | "sig"
                | "sigg"
                | "sigra"
                | "dott"
                | "dr"
                | "avv"
                | "ing"
                | "geom"
                | "prof"
                | "arch"
                | "rag"
                | "cons"
                | "ass"
                | "pres"
                | "art"
                | "artt"
                | "on"
        )
}

/// Words of folded text, and the commas, semicolons and full stops between them (a count
/// does not reach across them); the dot of "n." and other marks are dropped.
fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in fold(text).chars() {
        if c.is_alphanumeric() {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        let abbreviation = out
            .last()
            .is_some_and(|w| matches!(w.as_str(), "n" | "nr" | "num"));
        if matches!(c, ',' | ';') || (c == '.' && !abbreviation) {
            out.push(c.to_string());
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

fn is_stop(w: &str) -> bool {
    matches!(w, "," | ";" | ".")
}

/// A number as clerks write it: digits, or a word for a small one ("nessuno" is 0).
fn number_word(w: &str) -> Option<u32> {
    const WORDS: &[&str] = &[
        "zero",
        "uno",
        "due",
        "tre",
        "quattro",
        "cinque",
        "sei",
        "sette",
        "otto",
        "nove",
        "dieci",
        "undici",
        "dodici",
        "tredici",
        "quattordici",
        "quindici",
        "sedici",
        "diciassette",
        "diciotto",
        "diciannove",
        "venti",
    ];
    match w {
        "nessuno" | "nessun" | "nessuna" => Some(0),
        "un" | "una" => Some(1),
        _ if w.bytes().all(|b| b.is_ascii_digit()) => w.parse().ok().filter(|n| *n < 100_000),
        _ => WORDS
            .iter()
            .position(|n| *n == w)
            .and_then(|n| u32::try_from(n).ok()),
    }
}

// ---------------------------------------------------------------------------------------
// Votes

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Present,
    Voting,
    InFavour,
    Against,
    Abstained,
}

fn slot_mut(c: &mut VoteCounts, slot: Slot) -> &mut Option<u32> {
    match slot {
        Slot::Present => &mut c.present,
        Slot::Voting => &mut c.voting,
        Slot::InFavour => &mut c.in_favour,
        Slot::Against => &mut c.against,
        Slot::Abstained => &mut c.abstained,
    }
}

/// The count a word at `i` names, if it is a count keyword.
fn slot_of(t: &[String], i: usize) -> Option<Slot> {
    let slot = match t.get(i)?.as_str() {
        "presenti" => Slot::Present,
        // "non votanti" are not the voters.
        "votanti" if i == 0 || t[i - 1] != "non" => Slot::Voting,
        "favorevoli" | "favorevole" => Slot::InFavour,
        "contrari" | "contrario" | "contraria" | "contrarie" => Slot::Against,
        "astenuti" | "astenuto" | "astenuta" | "astenute" | "astensioni" | "astensione" => {
            Slot::Abstained
        }
        _ => return None,
    };
    Some(slot)
}

/// The first number among the next few words, skipping the words clerks put between a
/// keyword and its number ("favorevoli n. 18", "18 voti favorevoli"); not across a comma.
fn first_number<'a>(words: impl Iterator<Item = &'a String>) -> Option<u32> {
    const FILLER: &[&str] = &[
        "n",
        "nr",
        "num",
        "numero",
        "ndeg",
        "deg",
        "no",
        "voti",
        "voto",
        "pari",
        "a",
        "di",
        "in",
        "sono",
        "risultano",
        "consiglieri",
    ];
    words
        .take(4)
        .take_while(|w| !is_stop(w))
        .find(|w| !FILLER.contains(&w.as_str()))
        .and_then(|w| number_word(w))
}

/// The number after the keyword at `i`; "presenti e votanti n. 20" gives both the 20.
fn number_after(t: &[String], mut i: usize) -> Option<u32> {
    for _ in 0..3 {
        if t.get(i + 1).is_some_and(|w| w == "e") && slot_of(t, i + 2).is_some() {
            i += 2;
        }
    }
    first_number(t.get(i + 1..)?.iter())
}

/// The counts of one sentence. Each keyword's number is after it ("favorevoli 18") or
/// before it ("18 favorevoli"); when both could be, the way most keywords of the sentence
/// go decides, so "18 favorevoli 6 contrari" is not read as 6 in favour.
fn counts(t: &[String]) -> VoteCounts {
    let found: Vec<(Slot, Option<u32>, Option<u32>)> = (0..t.len())
        .filter_map(|i| {
            let slot = slot_of(t, i)?;
            Some((slot, number_after(t, i), first_number(t[..i].iter().rev())))
        })
        .collect();
    let after_only = found
        .iter()
        .filter(|f| f.1.is_some() && f.2.is_none())
        .count();
    let before_only = found
        .iter()
        .filter(|f| f.1.is_none() && f.2.is_some())
        .count();
    let mut c = VoteCounts::default();
    for (slot, after, before) in found {
        let n = if before_only > after_only {
            before.or(after)
        } else {
            after.or(before)
        };
        let place = slot_mut(&mut c, slot);
        if place.is_none() {
            *place = n;
        }
    }
    c
}

/// "approvata con deliberazione n. 5": an earlier act, not this vote.
fn names_an_act(t: &[String], i: usize) -> bool {
    t.iter().skip(i + 1).take(3).any(|w| {
        matches!(
            w.as_str(),
            "deliberazione"
                | "delibera"
                | "determinazione"
                | "decreto"
                | "dlgs"
                | "legge"
                | "dpr"
                | "dcc"
                | "dgc"
                | "provvedimento"
        )
    })
}

fn approves(w: &str) -> bool {
    matches!(
        w,
        "approva" | "approvata" | "approvato" | "approvati" | "approvate" | "approvano"
    )
}

/// The outcome a word at `i` states. An infinitive counts only after "delibera"
/// ("DELIBERA di approvare"), since "propone di approvare" is not an outcome.
fn outcome_word(t: &[String], i: usize) -> Option<VoteOutcome> {
    let w = t[i].as_str();
    let decided = || {
        t[..i]
            .iter()
            .rev()
            .take(4)
            .any(|p| p.starts_with("deliber") && p != "deliberazione")
    };
    if approves(w) && !names_an_act(t, i) || w == "approvare" && decided() {
        return Some(VoteOutcome::Approved);
    }
    if w.starts_with("respint")
        || w.starts_with("bocciat")
        || matches!(w, "respinge" | "respingono")
        || w == "respingere" && decided()
    {
        return Some(VoteOutcome::Rejected);
    }
    let postponed = w.starts_with("rinviat")
        || matches!(w, "rinvio" | "rinvia")
        || w == "rinviare" && decided();
    postponed.then_some(VoteOutcome::Postponed)
}

/// The outcome a sentence states: the last one written ("respinta la richiesta di rinvio,
/// la proposta è approvata"), "non (è) approvata" being a rejection.
fn outcome(t: &[String]) -> Option<VoteOutcome> {
    let mut found = None;
    let mut i = 0;
    while i < t.len() {
        if t[i] == "non" {
            let negated = (i + 1..t.len().min(i + 4)).find(|j| approves(&t[*j]));
            if let Some(j) = negated {
                found = Some(VoteOutcome::Rejected);
                i = j + 1;
                continue;
            }
        }
        if let Some(o) = outcome_word(t, i) {
            found = Some(o);
        }
        i += 1;
    }
    found
}

/// A sentence that opens as a premise ("Visto…", "Richiamata…", "Dato atto…") speaks of
/// earlier acts, unless it reports the vote ("Visto l'esito della votazione…").
fn is_premise(t: &[String]) -> bool {
    const OPENINGS: &[&str] = &[
        "visto",
        "vista",
        "visti",
        "viste",
        "richiamato",
        "richiamata",
        "richiamati",
        "richiamate",
        "premesso",
        "considerato",
        "considerata",
        "considerati",
        "ritenuto",
        "ritenuta",
        "atteso",
        "rilevato",
        "rilevata",
        "dato",
        "preso",
        "acquisito",
        "acquisita",
        "acquisiti",
        "accertato",
        "accertata",
        "tenuto",
        "letto",
        "letta",
        "sentito",
        "udito",
        "udita",
    ];
    let opens = t
        .iter()
        .find(|w| !is_stop(w))
        .is_some_and(|w| OPENINGS.contains(&w.as_str()));
    opens
        && !t
            .iter()
            .any(|w| w.starts_with("votazion") || w.starts_with("votant") || w == "esito")
}

/// What one sentence says of a vote.
#[derive(Debug, Clone, Copy, Default)]
struct Found {
    counts: VoteCounts,
    unanimous: bool,
    outcome: Option<VoteOutcome>,
}

impl Found {
    fn read(sentence: &str) -> Found {
        let t = tokens(sentence);
        if is_premise(&t) {
            return Found::default();
        }
        Found {
            counts: counts(&t),
            unanimous: t.iter().any(|w| w.starts_with("unanim")),
            outcome: outcome(&t),
        }
    }

    /// Whether it says anything of a vote: those present alone are a roll call.
    fn is_vote(&self) -> bool {
        let c = VoteCounts {
            present: None,
            ..self.counts
        };
        self.unanimous || self.outcome.is_some() || c != VoteCounts::default()
    }

    /// Whether `other` cannot be the same vote: a count or outcome read differently, or
    /// "unanimi" after votes against.
    fn conflicts(&self, other: &Found) -> bool {
        let (a, b) = (self.counts, other.counts);
        let pairs = [
            (a.present, b.present),
            (a.voting, b.voting),
            (a.in_favour, b.in_favour),
            (a.against, b.against),
            (a.abstained, b.abstained),
        ];
        let differs = |p: &(Option<u32>, Option<u32>)| matches!(p, (Some(x), Some(y)) if x != y);
        let rejected = [self.outcome, other.outcome].contains(&Some(VoteOutcome::Rejected));
        pairs.iter().any(differs)
            || matches!((self.outcome, other.outcome), (Some(x), Some(y)) if x != y)
            || (other.unanimous && a.against.is_some_and(|n| n > 0) && !rejected)
    }

    fn merge(&mut self, other: &Found) {
        let (mine, theirs) = (&mut self.counts, other.counts);
        mine.present = mine.present.or(theirs.present);
        mine.voting = mine.voting.or(theirs.voting);
        mine.in_favour = mine.in_favour.or(theirs.in_favour);
        mine.against = mine.against.or(theirs.against);
        mine.abstained = mine.abstained.or(theirs.abstained);
        self.unanimous |= other.unanimous;
        self.outcome = self.outcome.or(other.outcome);
    }
}

/// Where a second vote under the same heading begins, in one sentence.
fn second_vote_at(sentence: &str) -> Option<usize> {
    const MARKS: &[&str] = &[
        "immediata eseguibilit",
        "immediatamente eseguibil",
        "eseguibilita' immediata",
        "successiva votazione",
        "separata votazione",
        "successiva e separata",
        "votazione separata",
        "seconda votazione",
    ];
    // ASCII lower case keeps every byte where it was, so offsets fit `sentence`.
    let lower = sentence.to_ascii_lowercase();
    MARKS.iter().filter_map(|m| lower.find(m)).min()
}

/// The vote under one heading, if the text under it has one: the first, read from the
/// sentences that state it (see the module's notes for where it ends).
fn vote_in(item: Option<ItemRef>, body: &str) -> Option<VoteReading> {
    let mut vote = Found::default();
    let mut span: Option<Range<usize>> = None;
    // "Presenti n. 20." as a sentence of its own, just before the vote.
    let mut pending: Option<(usize, u32)> = None;
    let mut gap = 0;
    for s in sentences(body) {
        let marker = second_vote_at(&body[s.clone()]);
        if marker.is_some() && span.is_some() {
            break;
        }
        let s = s.start..marker.map_or(s.end, |at| s.start + at);
        let found = Found::read(&body[s.clone()]);
        if span.is_some() && vote.conflicts(&found) {
            break;
        }
        if !found.is_vote() {
            if span.is_none() {
                pending = found.counts.present.map(|p| (s.start, p));
            } else if found.counts.present.is_some() {
                vote.merge(&found);
            } else {
                gap += 1;
                if gap > MAX_GAP {
                    break;
                }
            }
            continue;
        }
        let mut start = s.start;
        if let Some((at, p)) = pending.take().filter(|_| span.is_none()) {
            if found.counts.present.is_none_or(|n| n == p) {
                vote.counts.present = Some(p);
                start = at;
            }
        }
        vote.merge(&found);
        span = Some(span.map_or(start, |sp| sp.start)..s.end);
        gap = 0;
        if marker.is_some() {
            break;
        }
    }
    let span = span?;
    Some(finish(item, vote, excerpt(&body[span])))
}

/// The vote with unanimity filled in, the outcome inferred when not written, and checked.
fn finish(item: Option<ItemRef>, mut vote: Found, excerpt: String) -> VoteReading {
    if vote.unanimous {
        fill_unanimous(&mut vote.counts, vote.outcome);
    }
    let c = vote.counts;
    let outcome = vote.outcome.or(match (c.in_favour, c.against) {
        _ if vote.unanimous => Some(VoteOutcome::Approved),
        (Some(y), Some(n)) if y > n => Some(VoteOutcome::Approved),
        (Some(_), Some(_)) => Some(VoteOutcome::Rejected),
        _ => None,
    });
    VoteReading {
        item,
        outcome,
        counts: c,
        unanimous: vote.unanimous,
        problem: check(&c),
        excerpt,
    }
}

/// A unanimous vote: all voters in favour (against, if it was rejected), nobody else.
fn fill_unanimous(c: &mut VoteCounts, outcome: Option<VoteOutcome>) {
    let rejected = outcome == Some(VoteOutcome::Rejected);
    let all = c
        .voting
        .or_else(|| {
            c.present
                .map(|p| p.saturating_sub(c.abstained.unwrap_or(0)))
        })
        .or(if rejected { c.against } else { c.in_favour });
    let Some(all) = all else {
        return;
    };
    c.voting.get_or_insert(all);
    let (with, without) = if rejected {
        (&mut c.against, &mut c.in_favour)
    } else {
        (&mut c.in_favour, &mut c.against)
    };
    with.get_or_insert(all);
    without.get_or_insert(0);
    let not_voting = c.present.map_or(0, |p| p.saturating_sub(all));
    c.abstained.get_or_insert(not_voting);
}

/// The text, spaces collapsed, cut at about `EXCERPT_CHARS` characters.
fn excerpt(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = 0;
    for word in raw.split_whitespace() {
        if chars > 0 {
            out.push(' ');
            chars += 1;
        }
        for c in word.chars() {
            if chars >= EXCERPT_CHARS {
                let cut = out.trim_end().len();
                out.truncate(cut);
                out.push('…');
                return out;
            }
            out.push(c);
            chars += 1;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Roll call

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Present,
    Absent,
}

/// What one "presenti" / "assenti" introduces.
#[derive(Debug, Default)]
struct Listed {
    names: Vec<String>,
    count: Option<u32>,
}

/// The first roll call: the first list of those present or absent that is not part of a
/// vote, and the other list (or the names after a bare count) when they follow closely.
fn roll_call(text: &str) -> Option<RollCall> {
    let sents = sentences(text);
    let markers = markers(text);
    let mut call = RollCall::default();
    let mut anchor: Option<usize> = None;
    for (at, marker) in markers {
        if anchor.is_some_and(|a| at > a + OTHER_LIST_REACH) {
            break;
        }
        let wanted = match marker {
            Marker::Present => call.present.is_empty(),
            Marker::Absent => call.absent.is_empty(),
        };
        if !wanted {
            continue;
        }
        let Some(listed) = listed_at(text, &sents, at, marker) else {
            continue;
        };
        anchor.get_or_insert(at);
        match marker {
            Marker::Present => {
                call.present = listed.names;
                call.present_count = call.present_count.or(listed.count);
            }
            Marker::Absent => call.absent = listed.names,
        }
    }
    anchor.map(|_| call)
}

/// Where "presenti" and "assenti" are written as words, in order, at most `MAX_MARKERS`.
fn markers(text: &str) -> Vec<(usize, Marker)> {
    // ASCII lower case keeps every byte where it was, so offsets fit `text`.
    let lower = text.to_ascii_lowercase();
    let mut found = Vec::new();
    for (word, marker) in [("presenti", Marker::Present), ("assenti", Marker::Absent)] {
        let whole = lower.match_indices(word).map(|(at, _)| at).filter(|at| {
            let before = lower[..*at].chars().next_back();
            let after = lower[at + word.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        });
        found.extend(whole.take(MAX_MARKERS).map(|at| (at, marker)));
    }
    found.sort_unstable_by_key(|(at, _)| *at);
    found.truncate(MAX_MARKERS);
    found
}

/// The names (or count) a marker introduces, unless it is part of a vote.
fn listed_at(text: &str, sents: &[Range<usize>], at: usize, marker: Marker) -> Option<Listed> {
    let len = match marker {
        Marker::Present => "presenti".len(),
        Marker::Absent => "assenti".len(),
    };
    let after = clip(text, at + len..at + len + LIST_WINDOW);
    let rest = after_colon(skip_lead(after));
    let count = leading_count(rest);
    if in_vote(text, sents, at, count.is_some()) {
        return None;
    }
    if let Some((count, tail)) = count {
        // "Presenti n. 3 consiglieri: Rossi, Bianchi, Verdi".
        let line = clip(tail, 0..80);
        let line = &line[..line.find('\n').unwrap_or(line.len())];
        let names = line
            .find(':')
            .map(|c| names_in(&tail[c + 1..]))
            .unwrap_or_default();
        let listed = match marker {
            Marker::Present => Listed {
                names,
                count: Some(count),
            },
            Marker::Absent if !names.is_empty() => Listed { names, count: None },
            Marker::Absent => return None,
        };
        return Some(listed);
    }
    let names = names_in(rest);
    (!names.is_empty()).then_some(Listed { names, count: None })
}

/// Whether the marker at `at` is part of a vote ("Presenti n. 25, votanti n. 24…", "con
/// voto unanime dei presenti"), judging by its sentence; a bare count ("Presenti n. 25",
/// not "… consiglieri") also by the sentence after it.
fn in_vote(text: &str, sents: &[Range<usize>], at: usize, count: bool) -> bool {
    let voting = |t: &[String]| {
        t.iter().any(|w| {
            [
                "votant",
                "favorevol",
                "contrar",
                "astenut",
                "astension",
                "unanim",
            ]
            .iter()
            .any(|k| w.starts_with(k))
        })
    };
    let i = sents.partition_point(|r| r.end <= at);
    let Some(own) = sents.get(i) else {
        return false;
    };
    let own = tokens(clip(
        text,
        own.start.max(at.saturating_sub(200))..own.end.min(at + 300),
    ));
    if voting(&own) {
        return true;
    }
    let roll_call_words = [
        "consiglieri",
        "consigliere",
        "su",
        "assegnati",
        "componenti",
    ];
    let bare = count && !own.iter().any(|w| roll_call_words.contains(&w.as_str()));
    bare && sents.get(i + 1).is_some_and(|next| {
        voting(&tokens(clip(
            text,
            next.start..next.end.min(next.start + 300),
        )))
    })
}

/// Words between the marker and the names ("presenti i consiglieri:", "sono presenti i
/// Sigg.:", "assenti giustificati:"), folded, without dots.
const LIST_LEAD: &[&str] = &[
    "i",
    "gli",
    "le",
    "sigg",
    "sig",
    "sigri",
    "siggri",
    "signori",
    "consiglieri",
    "consigliere",
    "comunali",
    "componenti",
    "seguenti",
    "membri",
    "assessori",
    "in",
    "aula",
    "sono",
    "risultano",
    "risulta",
    "all",
    "allappello",
    "appello",
    "nominale",
    "giustificati",
    "ingiustificati",
];

/// The list after its lead words; a colon ends the lead.
fn skip_lead(s: &str) -> &str {
    let mut rest = s;
    for _ in 0..10 {
        let t = rest.trim_start();
        let end = t.find(char::is_whitespace).unwrap_or(t.len());
        let word = &t[..end];
        let core: String = fold(word).chars().filter(|c| c.is_alphanumeric()).collect();
        if !core.is_empty() && !LIST_LEAD.contains(&core.as_str()) {
            return t;
        }
        rest = &t[end..];
        if word.ends_with(':') || t.is_empty() {
            return rest;
        }
    }
    rest
}

/// "il Sindaco e i consiglieri: Rossi…": a colon early on the first line, before any
/// separator, opens the list proper.
fn after_colon(s: &str) -> &str {
    let head = clip(s, 0..80);
    let stop = head.find(['.', ',', ';', '\n']).unwrap_or(head.len());
    match head[..stop].find(':') {
        Some(c) => &s[c + 1..],
        None => s,
    }
}

/// "n. 25 consiglieri", "15 su 17", "25": the number and what follows it.
fn leading_count(s: &str) -> Option<(u32, &str)> {
    let (mut start, mut end) = next_word(s, 0)?;
    if let Some(mark) = number_mark(&s[start..end]) {
        if start + mark == end {
            (start, end) = next_word(s, end)?;
        } else {
            start += mark;
        }
    }
    let word = &s[start..end];
    let digits = word.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 5 {
        return None;
    }
    Some((word[..digits].parse().ok()?, &s[start + digits..]))
}

/// The names of a list: separated by commas, semicolons, " e " and line breaks, notes in
/// brackets left out; it ends at the end of the sentence, at a blank line, at a colon (the
/// next list's label) or at the first piece that is not a name.
fn names_in(list: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut part = String::new();
    let mut depth = 0u32;
    for (at, c) in list.char_indices() {
        if depth > 0 {
            match c {
                '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                _ => {}
            }
            continue;
        }
        let rest = &list[at + c.len_utf8()..];
        let (flush, last) = match c {
            '(' | '[' => {
                depth = 1;
                (false, false)
            }
            ',' | ';' => (true, false),
            '\n' => {
                let next = rest.trim_start_matches([' ', '\t', '\r']);
                (true, next.is_empty() || next.starts_with('\n'))
            }
            '.' if rest.chars().next().is_none_or(char::is_whitespace)
                && !abbreviation_before(&part) =>
            {
                (true, true)
            }
            ':' => return names,
            _ => {
                part.push(c);
                (false, false)
            }
        };
        if flush && (!take_names(&part, &mut names) || last) {
            return names;
        }
        if flush {
            part.clear();
        }
    }
    take_names(&part, &mut names);
    names
}

/// The names of one piece of a list ("Bianchi Luca e Verdi"), added to `names`; false when
/// the list is over (a piece that is not a name, or `MAX_NAMES` reached).
fn take_names(part: &str, names: &mut Vec<String>) -> bool {
    let mut groups: Vec<Vec<&str>> = vec![Vec::new()];
    for word in part.split_whitespace() {
        if word.eq_ignore_ascii_case("e") || word.eq_ignore_ascii_case("ed") {
            groups.push(Vec::new());
        } else if let Some(g) = groups.last_mut() {
            g.push(word);
        }
    }
    for group in groups {
        let joined = group.join(" ");
        let name = joined.trim_matches(|c: char| !c.is_alphanumeric() && !matches!(c, '\'' | '’'));
        if name.is_empty() {
            continue;
        }
        // "Bianchi L. Il Presidente apre la seduta": keep what is before the initial's dot.
        let name = if is_name(name) {
            name
        } else {
            match name.split_once(". ") {
                Some((head, _)) if is_name(head) => {
                    names.push(format!("{head}."));
                }
                _ => {}
            }
            return false;
        };
        names.push(name.to_string());
        if names.len() >= MAX_NAMES {
            names.truncate(MAX_NAMES);
            return false;
        }
    }
    true
}

/// Whether a piece of a list reads as a person's name: one to five words, each capitalised
/// or a particle ("de Luca", "D'Angelo"), no digits; "nessuno" and prose are not names.
fn is_name(s: &str) -> bool {
    const PARTICLES: &[&str] = &[
        "de", "di", "da", "del", "della", "delle", "dei", "degli", "dal", "dalla", "lo", "la",
        "le", "li", "van", "von", "d", "dell", "dall", "all",
    ];
    let words: Vec<&str> = s.split_whitespace().collect();
    let first = words.first().map(|w| fold(w));
    let opens_prose = first
        .as_deref()
        .is_some_and(|w| matches!(w, "il" | "i" | "gli" | "nessuno" | "nessuna" | "nessun"));
    if words.is_empty() || words.len() > 5 || s.chars().count() > 80 || opens_prose {
        return false;
    }
    if s.chars().any(|c| c.is_ascii_digit()) {
        return false;
    }
    words.iter().all(|w| {
        let (head, tail) = match w.split_once(['\'', '’']) {
            Some((h, t)) => (h, t),
            None => (*w, ""),
        };
        let particle = PARTICLES.contains(&fold(head).as_str());
        w.chars().next().is_some_and(char::is_uppercase)
            || (particle && (tail.is_empty() || tail.starts_with(char::is_uppercase)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(p: u32, v: u32, y: u32, n: u32, a: u32) -> VoteCounts {
        VoteCounts {
            present: Some(p),
            voting: Some(v),
            in_favour: Some(y),
            against: Some(n),
            abstained: Some(a),
        }
    }

    fn only_vote(text: &str) -> VoteReading {
        let r = read(text);
        assert_eq!(r.votes.len(), 1, "{text}\n{:#?}", r.votes);
        r.votes.into_iter().next().unwrap()
    }

    fn number(v: &VoteReading) -> Option<&str> {
        v.item.as_ref().and_then(|i| i.number.as_deref())
    }

    fn title(v: &VoteReading) -> &str {
        v.item.as_ref().map_or("", |i| i.title.as_str())
    }

    #[test]
    fn a_roll_call_with_notes_in_brackets() {
        let text = "VERBALE DI DELIBERAZIONE\nRisultano presenti i consiglieri: Rossi Mario, \
            Bianchi Luca (entra alle ore 18.30), De Luca Anna e Verdi.\n\
            Risultano assenti i consiglieri Neri Paolo (giustificato); Gallo.\n\
            Il Presidente, constatato il numero legale, dichiara aperta la seduta.\n";
        let call = read(text).roll_call.unwrap();
        assert_eq!(
            call.present,
            ["Rossi Mario", "Bianchi Luca", "De Luca Anna", "Verdi"]
        );
        assert_eq!(call.absent, ["Neri Paolo", "Gallo"]);
        assert_eq!(call.present_count, None);
    }

    #[test]
    fn roll_call_phrasings() {
        let call = read("Sono presenti i Sigg.: ROSSI, BIANCHI e VERDI\nAssenti: Neri Paolo (giustificato), Gallo.\n")
            .roll_call
            .unwrap();
        assert_eq!(call.present, ["ROSSI", "BIANCHI", "VERDI"]);
        assert_eq!(call.absent, ["Neri Paolo", "Gallo"]);

        let call = read("Presenti n. 25 consiglieri.\nPunto 1: Comunicazioni\n")
            .roll_call
            .unwrap();
        assert_eq!(call.present_count, Some(25));
        assert!(call.present.is_empty());

        let call = read("All'appello risultano presenti 15 su 17.\nAssenti: nessuno.\n")
            .roll_call
            .unwrap();
        assert_eq!(call.present_count, Some(15));
        assert!(call.absent.is_empty());

        // A list on separate lines ends at the next label or at prose.
        let call = read("Presenti:\nRossi Mario\nD'Angelo Pia\nde Santis Ugo\nAssenti: Neri\nIl Presidente apre la seduta e saluta il pubblico\n")
            .roll_call
            .unwrap();
        assert_eq!(
            call.present,
            ["Rossi Mario", "D'Angelo Pia", "de Santis Ugo"]
        );
        assert_eq!(call.absent, ["Neri"]);
    }

    #[test]
    fn only_the_first_roll_call_counts_and_votes_are_not_one() {
        let text = "Punto 1 - Bilancio\nPresenti n. 20, votanti n. 20, favorevoli n. 20.\n\
            La proposta è approvata.\n\n"
            .to_string()
            + &"Discussione. ".repeat(400)
            + "\nRisultano presenti i consiglieri: Rossi, Bianchi.\n"
            + &"Interventi. ".repeat(400)
            + "\nRisultano presenti i consiglieri: Verdi, Neri.\n";
        let call = read(&text).roll_call.unwrap();
        assert_eq!(call.present, ["Rossi", "Bianchi"]);
        assert_eq!(call.present_count, None, "the vote's 20 is not a roll call");
        let r = read("Il verbale è approvato con voto unanime dei presenti (n. 20).\n");
        assert_eq!(r.roll_call, None);
        assert_eq!(r.votes[0].counts.in_favour, Some(20));
    }

    #[test]
    fn headings_in_each_style() {
        let cases = [
            (
                "Punto n. 3 all'ordine del giorno: Approvazione del bilancio di previsione 2012",
                "3",
                "Approvazione del bilancio di previsione 2012",
            ),
            (
                "PUNTO 2 - Variante al piano regolatore",
                "2",
                "Variante al piano regolatore",
            ),
            (
                "Oggetto n. 4: Mozione sul verde pubblico (parchi)",
                "4",
                "Mozione sul verde pubblico (parchi)",
            ),
            ("3° punto: Interrogazioni", "3", "Interrogazioni"),
            ("Punto 1)", "1", ""),
            ("Punto n.7 bis - Ratifica", "7 bis", "Ratifica"),
            ("PUNTO N° 5 ALL'O.D.G.: NOMINA", "5", "NOMINA"),
        ];
        for (line, n, t) in cases {
            let item = heading(line).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(item.number.as_deref(), Some(n), "{line}");
            assert_eq!(item.title, t, "{line}");
        }
        for line in [
            "Il punto è rinviato",
            "Oggetto: nomina",
            "Punto di vista",
            "3 punti",
        ] {
            assert_eq!(heading(line), None, "{line}");
        }
    }

    #[test]
    fn each_vote_phrasing_is_read() {
        let v = only_vote("Punto 1 - A\nPresenti n. 25, votanti n. 24, favorevoli n. 18, contrari n. 6, astenuti n. 1.\nLa proposta è approvata.\n");
        assert_eq!(v.counts, counts(25, 24, 18, 6, 1));
        assert_eq!(v.outcome, Some(VoteOutcome::Approved));
        assert_eq!((v.problem, v.unanimous), (None, false));
        assert!(
            v.excerpt.starts_with("Presenti n. 25, votanti"),
            "{}",
            v.excerpt
        );

        let v = only_vote(
            "Punto 2 - B\nIl Consiglio con 18 voti favorevoli, 6 contrari e 1 astenuto approva.\n",
        );
        assert_eq!(
            (v.counts.in_favour, v.counts.against, v.counts.abstained),
            (Some(18), Some(6), Some(1))
        );
        assert_eq!(v.outcome, Some(VoteOutcome::Approved));

        let v = only_vote("Punto 3 - C\nvoti favorevoli 12, contrari: nessuno, astenuti 1 (Rossi)\nIl Consiglio DELIBERA di approvare la proposta.\n");
        assert_eq!(
            (v.counts.in_favour, v.counts.against, v.counts.abstained),
            (Some(12), Some(0), Some(1))
        );
        assert_eq!(v.outcome, Some(VoteOutcome::Approved));

        let v = only_vote("Punto 4 - D\nfavorevoli: 9, nessun astenuto, contrari tre. La mozione non è approvata.\n");
        assert_eq!(
            (v.counts.in_favour, v.counts.against, v.counts.abstained),
            (Some(9), Some(3), Some(0))
        );
        assert_eq!(v.outcome, Some(VoteOutcome::Rejected));
    }

    #[test]
    fn counts_without_an_outcome_decide_it() {
        // Numbers before their keywords, without commas.
        let v = only_vote(
            "Punto 5 - E\nEsito: 20 presenti 19 votanti 10 favorevoli 9 contrari 1 astenuto\n",
        );
        assert_eq!(v.counts, counts(20, 19, 10, 9, 1));
        assert_eq!(
            v.outcome,
            Some(VoteOutcome::Approved),
            "inferred: more in favour"
        );

        let v = only_vote("Punto 6 - F\nPresenti e votanti n. 11, favorevoli 5, contrari 6.\n");
        assert_eq!(
            v.counts,
            VoteCounts {
                abstained: None,
                ..counts(11, 11, 5, 6, 0)
            }
        );
        assert_eq!(
            v.outcome,
            Some(VoteOutcome::Rejected),
            "inferred: not more in favour"
        );
        let v = only_vote("Punto 7 - G\nLa proposta è respinta.\n");
        assert_eq!(
            (v.outcome, v.counts),
            (Some(VoteOutcome::Rejected), VoteCounts::default())
        );
    }

    #[test]
    fn unanimous_votes_fill_in_the_counts() {
        let v = only_vote(
            "Punto 3 - Variante\nIl Consiglio approva con voto unanime dei presenti (n. 20).\n",
        );
        assert!(v.unanimous);
        assert_eq!(v.counts, counts(20, 20, 20, 0, 0));
        assert_eq!((v.outcome, v.problem), (Some(VoteOutcome::Approved), None));

        let v = only_vote("Punto 4 - Verbali\nPresenti n. 15.\nVotanti n. 13, con voti unanimi.\n");
        assert_eq!(
            v.counts,
            counts(15, 13, 13, 0, 2),
            "abstainers: present not voting"
        );
        assert_eq!(
            v.outcome,
            Some(VoteOutcome::Approved),
            "unanimous, no outcome written"
        );

        let v = only_vote("Punto 5 - Mozione\nPresenti 12. La mozione è respinta all'unanimità.\n");
        assert_eq!(
            v.counts,
            counts(12, 12, 0, 12, 0),
            "unanimously rejected: all against"
        );

        let v = only_vote("Punto 6 - Nomina\napprovata all'unanimità\n");
        assert!(v.unanimous);
        assert_eq!(v.counts, VoteCounts::default(), "no number to fill in");
    }

    #[test]
    fn numbers_that_do_not_add_up_are_flagged() {
        let v = only_vote("PUNTO 1 - Mozione\nPRESENTI N. 20, VOTANTI N. 20, FAVOREVOLI N. 12, CONTRARI N. 9, ASTENUTI N. 0\n");
        assert_eq!(
            v.problem.as_deref(),
            Some("favorevoli 12 + contrari 9 = 21, non i 20 votanti")
        );
        assert_eq!(v.outcome, Some(VoteOutcome::Approved));
        assert_eq!(
            check(&counts(25, 24, 18, 5, 1)).as_deref(),
            Some("favorevoli 18 + contrari 5 = 23, non i 24 votanti")
        );
        assert_eq!(
            check(&counts(10, 9, 9, 0, 2)).as_deref(),
            Some("votanti 9 + astenuti 2 = 11, non i 10 presenti")
        );
        let too_many = VoteCounts {
            present: Some(3),
            against: Some(5),
            ..VoteCounts::default()
        };
        assert_eq!(
            check(&too_many).as_deref(),
            Some("contrari 5, più dei 3 presenti")
        );
        assert_eq!(check(&counts(25, 24, 18, 6, 1)), None);
        assert_eq!(check(&VoteCounts::default()), None);
        let huge = counts(u32::MAX, u32::MAX, u32::MAX, u32::MAX, u32::MAX);
        assert!(check(&huge).is_some(), "sums do not overflow");
    }

    #[test]
    fn a_postponed_item() {
        let r = read("Punto 5) Interrogazioni\nIl punto è rinviato alla prossima seduta.\nPunto 6) Varie\nSi dispone il rinvio.\nPunto 7) Altro\nRINVIATA.\n");
        assert_eq!(r.votes.len(), 3);
        assert!(r
            .votes
            .iter()
            .all(|v| v.outcome == Some(VoteOutcome::Postponed)));
        assert_eq!(
            r.votes.iter().map(number).collect::<Vec<_>>(),
            [Some("5"), Some("6"), Some("7")]
        );
    }

    #[test]
    fn minutes_in_capitals() {
        let text = "RISULTANO PRESENTI I CONSIGLIERI: ROSSI MARIO, BIANCHI LUCA E DE LUCA ANNA.\n\
            ASSENTI: NERI (GIUSTIFICATO).\n\
            PUNTO N. 2 ALL'ORDINE DEL GIORNO: APPROVAZIONE DEL BILANCIO\n\
            IL CONSIGLIO COMUNALE\nCON VOTI FAVOREVOLI N. 10, CONTRARI\nN. 3, ASTENUTI N. 0\nLA PROPOSTA È APPROVATA.\n";
        let r = read(text);
        let call = r.roll_call.unwrap();
        assert_eq!(
            call.present,
            ["ROSSI MARIO", "BIANCHI LUCA", "DE LUCA ANNA"]
        );
        assert_eq!(call.absent, ["NERI"]);
        assert_eq!(r.votes.len(), 1);
        let v = &r.votes[0];
        assert_eq!(
            (number(v), title(v)),
            (Some("2"), "APPROVAZIONE DEL BILANCIO")
        );
        assert_eq!(
            (v.counts.in_favour, v.counts.against, v.counts.abstained),
            (Some(10), Some(3), Some(0))
        );
        assert_eq!(v.outcome, Some(VoteOutcome::Approved));
    }

    #[test]
    fn the_executability_vote_is_not_read() {
        let text = "Punto 2 - Bilancio\nPresenti n. 20, votanti n. 20, favorevoli n. 15, contrari n. 5.\n\
            La proposta è approvata.\n\
            Successivamente, con voti unanimi, il Consiglio dichiara il presente atto immediatamente eseguibile.\n";
        let v = only_vote(text);
        assert_eq!(
            v.counts,
            VoteCounts {
                abstained: None,
                ..counts(20, 20, 15, 5, 0)
            }
        );
        assert!(!v.unanimous, "the unanimity is the second vote's");
        assert!(!v.excerpt.contains("eseguibile"), "{}", v.excerpt);

        let v = only_vote("Punto 3 - Regolamento\nCon separata votazione: presenti 20, favorevoli 12\n\
            Presenti n. 20, favorevoli 20.\nLa proposta è approvata.\nCon separata votazione, favorevoli 19, contrari 1, è dichiarata l'immediata eseguibilità.\n");
        assert_eq!(
            v.counts.in_favour,
            Some(20),
            "read up to the second vote only"
        );

        let v =
            only_vote("Punto 4 - Mozione\nL'emendamento è respinto.\nLa mozione è approvata.\n");
        assert_eq!(
            v.outcome,
            Some(VoteOutcome::Rejected),
            "the first vote of a heading"
        );
    }

    #[test]
    fn what_is_not_a_vote() {
        let r = read("Punto 6) Varie\nSi passa alla votazione.\nPunto 7 - Bilancio\n\
            Visto il bilancio approvato con voti unanimi nel 2011;\nRichiamata la deliberazione n. 5, approvata il 3 marzo;\n\
            Il regolamento approvato con deliberazione n. 12 resta in vigore.\n");
        assert!(r.votes.is_empty(), "{:#?}", r.votes);
        let v = only_vote(
            "Vista la proposta;\nVisto l'esito della votazione: favorevoli 8, contrari 2.\n",
        );
        assert_eq!(
            (v.counts.in_favour, v.item),
            (Some(8), None),
            "before any heading: no item"
        );
        let v =
            only_vote("Punto 1 - A\nIl Sindaco propone di approvare. Favorevoli 4, contrari 7.\n");
        assert_eq!(
            v.outcome,
            Some(VoteOutcome::Rejected),
            "a proposal is not an outcome"
        );
    }

    #[test]
    fn garbage_and_empty_text_read_as_nothing() {
        assert_eq!(read(""), MinutesReading::default());
        assert_eq!(read("   \n\n\t"), MinutesReading::default());
        assert_eq!(
            read("\u{0}\u{1}%PDF-1.4 ÿÿÿ \u{fffd}\u{fffd} endobj stream x\u{9c}\u{2}"),
            MinutesReading::default()
        );
        let binary: String = (0u32..5000)
            .filter_map(|i| char::from_u32((i * 7919) % 0x3000))
            .collect();
        let _ = read(&binary);
        assert_eq!(
            read("presenti: ; assenti: , , .\npunto\npunto n.\n3° punto"),
            MinutesReading::default()
        );
    }

    #[test]
    fn multi_byte_text_never_panics() {
        let stress = "à€😀 presenti: à😀, È; punto 1° punto: 😀 favorevoli 😀 n.😀 è approvataà\n\
            Punto n. 3 all’ordine del giorno: Città 😀\nPRESENTI N. 2😀 È ASSENTI: ÀÈ (😀\n"
            .repeat(2000);
        let _ = read(&stress);
        for cut in 0..200 {
            let s = &stress[..floor_boundary(&stress, cut)];
            let _ = read(s);
        }
        let emoji = "😀".repeat(1000) + "İ" + &"à.".repeat(1000);
        assert_eq!(read(&emoji).votes, []);
    }

    #[test]
    fn hostile_input_is_bounded() {
        let huge = "presenti: ".to_string() + &"Rossi, ".repeat(100_000);
        assert_eq!(read(&huge).roll_call.unwrap().present.len(), MAX_NAMES);
        // Over 2 MB: what is past the limit is not read, and the cut is on a char boundary.
        let long =
            "à".repeat(MAX_BYTES / 2 - 1) + "x" + "\nPunto 1 - A\nLa proposta è approvata.\n";
        assert!(long.len() > MAX_BYTES);
        assert!(read(&long).votes.is_empty());
        let many = "presenti assenti presenti e votanti e presenti. ".repeat(40_000);
        let _ = read(&many);
        let v = only_vote(&("Punto 1 - A\n".to_string() + &"approvata ".repeat(100)));
        assert!(v.excerpt.chars().count() <= EXCERPT_CHARS + 1);
        assert!(v.excerpt.ends_with('…'));
    }
}
