//! The roll call and the votes read from the text of a session's minutes, as clerks write
//! them: "Risultano presenti i consiglieri: Rossi Mario, Bianchi Luca…", "Assenti: Neri
//! (giustificato)", headings such as "Punto n. 3 all'ordine del giorno: …", and under each
//! "Presenti n. 25, votanti n. 24, favorevoli n. 18, contrari n. 6, astenuti n. 1", "con voti
//! unanimi", "la proposta è approvata" / "respinta" / "il punto è rinviato".
//!
//! Choices the callers rely on:
//! - only the first roll call is the session's (later "entra il consigliere…" lines are not);
//! - a vote belongs to the heading before it, and a heading has one vote: the first. The
//!   second vote clerks write under a heading is nearly always the immediate executability
//!   ("immediata eseguibilità"), so the text from there on is not read;
//! - without a written outcome, counts decide: approved when more are in favour than
//!   against, else rejected;
//! - a unanimous vote with a known number of voters (or present) has them all in favour;
//! - `check` says when counts cannot be right; the vote is still returned, with the problem.
//!
//! Pure text in, verdict out: no panics on any input, work bounded on hostile input.

use crate::catalog::fold;
use crate::domain::VoteOutcome;

/// Minutes longer than this are read up to here.
const MAX_BYTES: usize = 2 << 20;
/// A roll call listing more names than this is cut.
const MAX_NAMES: usize = 200;
/// The excerpt kept with a vote, for an editor to check.
const EXCERPT_CHARS: usize = 300;

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
    /// Why the numbers cannot be right, from `check`.
    pub problem: Option<String>,
    /// The text the vote was read from, at most about 300 characters.
    pub excerpt: String,
}

/// Whether counts add up: in favour + against = voting; voting + abstaining = present
/// (abstainers are present but do not vote); none larger than those present. In Italian,
/// naming the numbers.
pub fn check(c: &VoteCounts) -> Option<String> {
    if let (Some(y), Some(n), Some(v)) = (c.in_favour, c.against, c.voting) {
        if u64::from(y) + u64::from(n) != u64::from(v) {
            return Some(format!(
                "favorevoli {y} + contrari {n} = {}, non i {v} votanti",
                u64::from(y) + u64::from(n)
            ));
        }
    }
    if let (Some(v), Some(a), Some(p)) = (c.voting, c.abstained, c.present) {
        if u64::from(v) + u64::from(a) != u64::from(p) {
            return Some(format!(
                "votanti {v} + astenuti {a} = {}, non i {p} presenti",
                u64::from(v) + u64::from(a)
            ));
        }
    }
    if let Some(p) = c.present {
        let parts = [
            ("votanti", c.voting),
            ("favorevoli", c.in_favour),
            ("contrari", c.against),
            ("astenuti", c.abstained),
        ];
        for (what, n) in parts {
            if let Some(n) = n.filter(|n| *n > p) {
                return Some(format!("{what} {n}, più dei {p} presenti"));
            }
        }
    }
    None
}

/// Reads the roll call and the votes.
pub fn read(text: &str) -> MinutesReading {
    let text = bounded(text);
    let sections = sections(text);
    let mut reading = MinutesReading {
        roll_call: roll_call(text),
        votes: Vec::new(),
    };
    for (item, body) in sections {
        if let Some(vote) = vote_in(item, &body) {
            reading.votes.push(vote);
        }
    }
    reading
}

fn bounded(text: &str) -> &str {
    if text.len() <= MAX_BYTES {
        return text;
    }
    let mut end = MAX_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The text cut at each agenda heading: (the heading's item, the text under it). The text
/// before the first heading is under no item.
fn sections(text: &str) -> Vec<(Option<ItemRef>, String)> {
    let mut out: Vec<(Option<ItemRef>, String)> = vec![(None, String::new())];
    for line in text.lines() {
        match heading(line) {
            Some(item) => out.push((Some(item), String::new())),
            None => {
                if let Some((_, body)) = out.last_mut() {
                    body.push_str(line);
                    body.push('\n');
                }
            }
        }
    }
    out
}

/// An agenda heading: "Punto n. 3 all'ordine del giorno: Titolo", "PUNTO 2 - Titolo",
/// "Oggetto n. 4: Titolo", "3° punto: Titolo", "Punto 1)".
fn heading(line: &str) -> Option<ItemRef> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let first = fold(words.first()?);
    let (number, rest_at) = if first == "punto" || first == "oggetto" {
        let mut at = 1;
        if words
            .get(at)
            .is_some_and(|w| matches!(fold(w).as_str(), "n." | "n" | "n°" | "nr." | "numero"))
        {
            at += 1;
        }
        let raw = words.get(at)?;
        let number = item_number(raw)?;
        (number, at + 1)
    } else {
        let number = item_number(words.first()?)?;
        if !raw_is_ordinal(words.first()?) || fold(words.get(1)?).trim_end_matches(':') != "punto" {
            return None;
        }
        (number, 2)
    };
    let rest = words.get(rest_at..).unwrap_or(&[]).join(" ");
    Some(ItemRef {
        number: Some(number),
        title: heading_title(&rest),
    })
}

fn raw_is_ordinal(word: &str) -> bool {
    word.ends_with('°') || word.ends_with('º')
}

/// "3", "3)", "3:", "3°", "3-bis" → "3", "3-bis"; None when it is not a number.
fn item_number(word: &str) -> Option<String> {
    let w = word.trim_end_matches([')', ':', '.', ',', '°', 'º', '-', '–']);
    let digits: String = w.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || digits.len() > 4 {
        return None;
    }
    Some(w.to_string())
}

/// The heading's title: after "all'ordine del giorno" and the separator, if written.
fn heading_title(rest: &str) -> String {
    let lower = rest.to_lowercase();
    let mut title = rest;
    if let Some(at) = lower.find("ordine del giorno") {
        let end = at + "ordine del giorno".len();
        if rest.is_char_boundary(end) {
            title = &rest[end..];
        }
    }
    title
        .trim_start_matches(|c: char| {
            c.is_whitespace() || matches!(c, ':' | '-' | '–' | '—' | '.' | ')')
        })
        .trim()
        .to_string()
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

fn number_word(w: &str) -> Option<u32> {
    let n = match w {
        "nessuno" | "nessun" | "nessuna" | "zero" => 0,
        "uno" | "un" | "una" => 1,
        "due" => 2,
        "tre" => 3,
        "quattro" => 4,
        "cinque" => 5,
        "sei" => 6,
        "sette" => 7,
        "otto" => 8,
        "nove" => 9,
        "dieci" => 10,
        _ => return w.parse().ok().filter(|n| *n < 100_000),
    };
    Some(n)
}

/// The number a count keyword at `i` gives: after it ("favorevoli n. 18", "contrari:
/// nessuno") or before it ("18 voti favorevoli", "1 astenuto").
fn count_at(t: &[String], i: usize) -> Option<u32> {
    const FILLER: &[&str] = &["n", "nr", "num", "numero", "voti", "pari", "a", "di", "in"];
    let near = |words: &mut dyn Iterator<Item = &String>| {
        words
            .take(4)
            .take_while(|w| !is_stop(w))
            .find(|w| !FILLER.contains(&w.as_str()))
            .and_then(|w| number_word(w))
    };
    near(&mut t[i + 1..].iter()).or_else(|| near(&mut t[..i].iter().rev()))
}

fn counts(t: &[String]) -> VoteCounts {
    let mut c = VoteCounts::default();
    for (i, w) in t.iter().enumerate() {
        let slot = match w.as_str() {
            "presenti" => &mut c.present,
            "votanti" => &mut c.voting,
            "favorevoli" | "favorevole" => &mut c.in_favour,
            "contrari" | "contrario" => &mut c.against,
            "astenuti" | "astenuto" | "astensioni" | "astenuta" => &mut c.abstained,
            _ => continue,
        };
        if slot.is_none() {
            *slot = count_at(t, i);
        }
    }
    c
}

fn outcome(t: &[String]) -> Option<VoteOutcome> {
    let approved = |w: &str| {
        matches!(
            w,
            "approva"
                | "approvata"
                | "approvato"
                | "approvati"
                | "approvate"
                | "approvano"
                | "approvare"
        )
    };
    let rejected = t.iter().enumerate().any(|(i, w)| {
        w.starts_with("respint") || (w == "non" && t[i + 1..].iter().take(2).any(|n| approved(n)))
    });
    if rejected {
        return Some(VoteOutcome::Rejected);
    }
    if t.iter().any(|w| w.starts_with("rinviat") || w == "rinvio") {
        return Some(VoteOutcome::Postponed);
    }
    t.iter()
        .any(|w| approved(w))
        .then_some(VoteOutcome::Approved)
}

/// The vote under one heading, if the text under it has one.
fn vote_in(item: Option<ItemRef>, body: &str) -> Option<VoteReading> {
    let lower = body.to_lowercase();
    // The second vote of a heading (immediate executability) is not read.
    let cut = ["immediata eseguibilit", "immediatamente eseguibile"]
        .iter()
        .filter_map(|m| lower.find(m))
        .min()
        .filter(|at| body.is_char_boundary(*at))
        .unwrap_or(body.len());
    let body = &body[..cut];
    let t = tokens(body);
    let mut counts = counts(&t);
    let unanimous = t.iter().any(|w| w.starts_with("unanim"));
    let outcome = outcome(&t).or(match (counts.in_favour, counts.against) {
        (Some(y), Some(n)) if y > n => Some(VoteOutcome::Approved),
        (Some(_), Some(_)) => Some(VoteOutcome::Rejected),
        _ if unanimous => Some(VoteOutcome::Approved),
        _ => None,
    });
    // Those present alone are a roll call, not a vote.
    let has_counts = VoteCounts {
        present: None,
        ..counts
    } != VoteCounts::default();
    if !has_counts && !unanimous && outcome.is_none() {
        return None;
    }
    if unanimous {
        if let Some(all) = counts.voting.or(counts.present) {
            counts.voting.get_or_insert(all);
            counts.in_favour.get_or_insert(all);
            counts.against.get_or_insert(0);
            counts.abstained.get_or_insert(0);
        }
    }
    let excerpt: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let excerpt = match excerpt.char_indices().nth(EXCERPT_CHARS) {
        Some((at, _)) => format!("{}…", &excerpt[..at]),
        None => excerpt,
    };
    Some(VoteReading {
        item,
        outcome,
        counts,
        unanimous,
        problem: check(&counts),
        excerpt,
    })
}

/// The first roll call: the names after "presenti" and after "assenti", and a count
/// ("Presenti n. 25 consiglieri") when that is what is written.
fn roll_call(text: &str) -> Option<RollCall> {
    let mut call = RollCall::default();
    let (present, count) = listed(text, "presenti");
    call.present = present;
    call.present_count = count;
    call.absent = listed(text, "assenti").0;
    let empty = call.present.is_empty() && call.absent.is_empty() && call.present_count.is_none();
    (!empty).then_some(call)
}

/// Words between the marker and the names ("presenti i consiglieri:", "sono presenti i
/// sigg.:").
const LIST_LEAD: &[&str] = &[
    "i",
    "gli",
    "le",
    "sigg",
    "sig",
    "ri",
    "signori",
    "consiglieri",
    "consigliere",
    "componenti",
    "seguenti",
    "membri",
    "assessori",
    "in",
    "aula",
    "sono",
    "risultano",
];

/// The names listed after the first `marker` that heads a list, or the count after it.
fn listed(text: &str, marker: &str) -> (Vec<String>, Option<u32>) {
    for (at, _) in text.to_lowercase().match_indices(marker) {
        // `to_lowercase` may move bytes in rare scripts: only trust a boundary in `text`.
        let end = at + marker.len();
        if !text.is_char_boundary(at) || !text.is_char_boundary(end) {
            continue;
        }
        let before_ok = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphabetic());
        let after = &text[end..];
        if !before_ok || after.starts_with(|c: char| c.is_alphabetic()) {
            continue;
        }
        let t = tokens(after.get(..after.len().min(40)).unwrap_or(""));
        let first = t
            .iter()
            .find(|w| !LIST_LEAD.contains(&w.as_str()) && w.as_str() != "n");
        if let Some(n) = first.and_then(|w| w.parse::<u32>().ok()) {
            return (Vec::new(), Some(n));
        }
        let names = names_after(after);
        if !names.is_empty() {
            return (names, None);
        }
    }
    (Vec::new(), None)
}

/// The names of a list: up to the end of its sentence or paragraph, separated by commas,
/// semicolons, " e " and line breaks, notes in brackets left out.
fn names_after(after: &str) -> Vec<String> {
    let start = after.find(':').filter(|at| *at < 60).map_or(0, |at| at + 1);
    let list = &after[start..];
    let end = list
        .find(".\n")
        .into_iter()
        .chain(list.find("\n\n"))
        .chain(list.find(". "))
        .min()
        .unwrap_or(list.len());
    let mut cleaned = String::new();
    let mut depth = 0usize;
    for c in list[..end].chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => cleaned.push(c),
            _ => {}
        }
    }
    let mut names = Vec::new();
    for part in cleaned
        .replace(" e ", ",")
        .replace(" E ", ",")
        .split([',', ';', '\n'])
    {
        let words: Vec<&str> = part
            .split_whitespace()
            .filter(|w| {
                !LIST_LEAD.contains(&fold(w).trim_end_matches(['.', ':']).to_string().as_str())
            })
            .collect();
        let name = words
            .join(" ")
            .trim_matches(|c: char| !c.is_alphabetic())
            .to_string();
        if name.chars().next().is_some_and(char::is_alphabetic) && name.chars().count() <= 80 {
            names.push(name);
        }
        if names.len() == MAX_NAMES {
            break;
        }
    }
    names
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

    #[test]
    fn the_clerks_phrasings_are_read() {
        let text = "VERBALE\nRisultano presenti i consiglieri: Rossi Mario, Bianchi Luca (entra alle ore 18.30), De Luca Anna e Verdi.\n\
            Risultano assenti i consiglieri: Neri Paolo (giustificato); Gallo.\n\n\
            Punto n. 2 all'ordine del giorno: Bilancio di previsione 2012\n\
            Presenti n. 25, votanti n. 24, favorevoli n. 18, contrari n. 6, astenuti n. 1.\nLa proposta è approvata.\n\
            Con successiva votazione per l'immediata eseguibilità: presenti 25, favorevoli 25.\n\
            PUNTO 3 - Variante al piano regolatore\nIl Consiglio approva con voti unanimi dei presenti (n. 20).\n\
            Oggetto n. 4: Mozione sul verde\ncon 10 voti favorevoli, 12 contrari e nessun astenuto la mozione è respinta.\n\
            5° punto: Interrogazioni\nIl punto è rinviato alla prossima seduta.\n\
            Punto 6) Varie\nSi passa alla votazione.\n";
        let r = read(text);
        let call = r.roll_call.unwrap();
        assert_eq!(
            call.present,
            ["Rossi Mario", "Bianchi Luca", "De Luca Anna", "Verdi"]
        );
        assert_eq!(call.absent, ["Neri Paolo", "Gallo"]);
        assert_eq!(r.votes.len(), 4, "{:#?}", r.votes);
        let budget = &r.votes[0];
        assert_eq!(budget.item.as_ref().unwrap().number.as_deref(), Some("2"));
        assert_eq!(
            budget.item.as_ref().unwrap().title,
            "Bilancio di previsione 2012"
        );
        assert_eq!(budget.counts, counts(25, 24, 18, 6, 1));
        assert_eq!(budget.outcome, Some(VoteOutcome::Approved));
        assert_eq!(budget.problem, None);
        let plan = &r.votes[1];
        assert_eq!(
            plan.item.as_ref().unwrap().title,
            "Variante al piano regolatore"
        );
        assert!(plan.unanimous);
        assert_eq!(
            (plan.counts.in_favour, plan.counts.against),
            (Some(20), Some(0))
        );
        let motion = &r.votes[2];
        assert_eq!(motion.item.as_ref().unwrap().number.as_deref(), Some("4"));
        assert_eq!(
            (
                motion.counts.in_favour,
                motion.counts.against,
                motion.counts.abstained
            ),
            (Some(10), Some(12), Some(0))
        );
        assert_eq!(motion.outcome, Some(VoteOutcome::Rejected));
        let later = &r.votes[3];
        assert_eq!(later.item.as_ref().unwrap().number.as_deref(), Some("5"));
        assert_eq!(later.outcome, Some(VoteOutcome::Postponed));
    }

    #[test]
    fn numbers_that_do_not_add_up_are_flagged() {
        let r = read("PUNTO 1 - Mozione\nPRESENTI N. 20, VOTANTI N. 20, FAVOREVOLI N. 12, CONTRARI N. 9, ASTENUTI N. 0\n");
        let v = &r.votes[0];
        assert_eq!(
            v.problem.as_deref(),
            Some("favorevoli 12 + contrari 9 = 21, non i 20 votanti")
        );
        assert_eq!(
            v.outcome,
            Some(VoteOutcome::Approved),
            "more in favour: approved"
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
    }

    #[test]
    fn counts_of_a_roll_call_and_garbage_read_as_they_are() {
        let r = read("Presenti n. 25 consiglieri.\nPunto 1: Comunicazioni\n");
        assert_eq!(r.roll_call.unwrap().present_count, Some(25));
        assert!(r.votes.is_empty());
        assert_eq!(read(""), MinutesReading::default());
        assert_eq!(read("\u{0}\u{1}%PDF-1.4 ÿÿÿ"), MinutesReading::default());
        let stress = "à€😀 presenti: à😀, è; punto 1° punto: 😀 favorevoli 😀\n".repeat(2000);
        let _ = read(&stress);
        let huge = "presenti: ".to_string() + &"Rossi, ".repeat(100_000);
        assert_eq!(read(&huge).roll_call.unwrap().present.len(), MAX_NAMES);
    }
}
