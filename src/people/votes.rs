//! `aula votes import FILE`: roll calls and votes from a structured file (CSV or JSON), as
//! an electronic voting system or a clerk's spreadsheet exports them. One row per person
//! per vote, per person at the roll call, or per vote with only its counts:
//!
//! - `session`: the session's number in aula (required on every row);
//! - `item`: the agenda item's number as the agenda writes it; empty for a roll-call row;
//! - `person` and `vote`: a person (address or name) and how they voted (`favorevole`,
//!   `contrario`, `astenuto`, `non votante`, or the English spellings); at the roll call,
//!   `presente` or `assente`;
//! - `outcome` (`approvata`, `respinta`, `rinviata`), `present`, `voting`, `in_favour`,
//!   `against`, `abstained`, `unanimous`: the vote's, on any of its rows (rows that give
//!   them must agree).
//!
//! Every row is checked before anything is written: the session and the item must exist,
//! the person must be one person of the roster on that day, the counts must add up (and
//! agree with the people listed, when every voter is). Then each session's roll call and
//! votes replace what was read from its minutes, in one transaction; an editor's stay.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::catalog::{fold, Catalog, CatalogError, NewRecord, NewVote};
use crate::domain::{Provenance, VoteChoice, VoteOutcome};
use crate::import::Problem;

use super::minutes::{self, VoteCounts};
use super::names::{self, Resolved};

/// One row as read (Italian column names accepted too).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct RawVoteRow {
    #[serde(deserialize_with = "text_or_number", alias = "seduta")]
    pub session: String,
    #[serde(alias = "punto")]
    pub item: String,
    #[serde(alias = "persona")]
    pub person: String,
    #[serde(alias = "voto")]
    pub vote: String,
    #[serde(alias = "esito")]
    pub outcome: String,
    #[serde(deserialize_with = "text_or_number", alias = "presenti")]
    pub present: String,
    #[serde(deserialize_with = "text_or_number", alias = "votanti")]
    pub voting: String,
    #[serde(deserialize_with = "text_or_number", alias = "favorevoli")]
    pub in_favour: String,
    #[serde(deserialize_with = "text_or_number", alias = "contrari")]
    pub against: String,
    #[serde(deserialize_with = "text_or_number", alias = "astenuti")]
    pub abstained: String,
    #[serde(deserialize_with = "text_or_number", alias = "unanimita")]
    pub unanimous: String,
}

/// A cell as text: JSON vote files may give numbers and booleans as such.
fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Cell {
        Text(String),
        Whole(i64),
        Number(f64),
        Flag(bool),
    }
    Ok(match Cell::deserialize(d)? {
        Cell::Text(t) => t,
        Cell::Whole(n) => n.to_string(),
        Cell::Number(n) => n.to_string(),
        Cell::Flag(b) => if b { "1" } else { "0" }.to_string(),
    })
}

/// What an import wrote.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct VotesImported {
    pub sessions: usize,
    pub votes: usize,
    pub people_votes: usize,
    pub attendance: usize,
    /// Sessions left as they are because an editor set their record.
    pub kept_editor: Vec<i64>,
}

pub fn parse_outcome(text: &str) -> Option<VoteOutcome> {
    match fold(text.trim()).as_str() {
        "approvata" | "approvato" | "approvati" | "approvate" => Some(VoteOutcome::Approved),
        "respinta" | "respinto" | "respinti" | "respinte" => Some(VoteOutcome::Rejected),
        "rinviata" | "rinviato" | "rinvio" => Some(VoteOutcome::Postponed),
        other => other.parse().ok(),
    }
}

/// A person's vote, or at the roll call whether they were there (`Err(present)`).
fn parse_choice(text: &str) -> Option<Result<VoteChoice, bool>> {
    let t = fold(text.trim()).replace([' ', '-'], "_");
    Some(Ok(match t.as_str() {
        "favorevole" | "si" | "favore" => VoteChoice::InFavour,
        "contrario" | "contraria" | "no" => VoteChoice::Against,
        "astenuto" | "astenuta" | "astensione" => VoteChoice::Abstained,
        "non_votante" | "non_vota" | "assente_al_voto" => VoteChoice::NotVoting,
        "presente" | "present" => return Some(Err(true)),
        "assente" | "absent" => return Some(Err(false)),
        other => other.parse().ok()?,
    }))
}

fn parse_bool(text: &str) -> Option<bool> {
    match fold(text.trim()).as_str() {
        "" | "0" | "no" | "false" | "falso" => Some(false),
        "1" | "si" | "yes" | "true" | "vero" | "x" => Some(true),
        _ => None,
    }
}

/// A vote being gathered from its rows.
#[derive(Default)]
struct Gathered {
    /// The first row of the vote, where its problems are reported.
    line: usize,
    title: String,
    outcome: Option<VoteOutcome>,
    counts: VoteCounts,
    unanimous: bool,
    people: Vec<(i64, VoteChoice)>,
}

/// Everything of one session in the file.
#[derive(Default)]
struct SessionVotes {
    attendance: Vec<(i64, bool)>,
    votes: BTreeMap<String, Gathered>,
}

/// Checks the rows and, when every one is right, stores each session's record; otherwise
/// writes nothing and returns every problem, by line.
pub async fn import(
    catalog: &Catalog,
    rows: Vec<(usize, RawVoteRow)>,
    dry_run: bool,
) -> Result<Result<VotesImported, Vec<Problem>>, CatalogError> {
    if rows.is_empty() {
        return Ok(Err(vec![Problem {
            line: None,
            reason: "the file has no rows".into(),
        }]));
    }
    let mut sessions: BTreeMap<i64, SessionVotes> = BTreeMap::new();
    let mut problems = Vec::new();
    for (line, raw) in rows {
        if let Err(reason) = gather_row(catalog, line, &raw, &mut sessions).await? {
            problems.push(Problem::on_line(line, reason));
        }
    }
    let mut records = Vec::new();
    for (id, s) in sessions {
        match record_of(s) {
            Ok(record) => records.push((id, record)),
            Err(reasons) => {
                problems.extend(reasons.into_iter().map(|(line, reason)| {
                    Problem::on_line(line, format!("session {id}, {reason}"))
                }))
            }
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        return Ok(Err(problems));
    }
    let mut done = VotesImported {
        sessions: records.len(),
        ..VotesImported::default()
    };
    for (_, r) in &records {
        done.votes += r.votes.len();
        done.people_votes += r.votes.iter().map(|v| v.people.len()).sum::<usize>();
        done.attendance += r.attendance.len();
    }
    if dry_run {
        return Ok(Ok(done));
    }
    let stored = catalog
        .replace_records(Provenance::Import, &records)
        .await?;
    done.kept_editor = records
        .iter()
        .zip(stored)
        .filter(|(_, s)| !s)
        .map(|((id, _), _)| *id)
        .collect();
    Ok(Ok(done))
}

/// Adds one row to what is gathered, or says what is wrong with it.
async fn gather_row(
    catalog: &Catalog,
    line: usize,
    raw: &RawVoteRow,
    sessions: &mut BTreeMap<i64, SessionVotes>,
) -> Result<Result<(), String>, CatalogError> {
    let Ok(session_id) = raw.session.trim().parse::<i64>() else {
        return Ok(Err(format!(
            "session {:?} is not a session number",
            raw.session
        )));
    };
    if catalog.session(session_id).await?.is_none() {
        return Ok(Err(format!("there is no session {session_id}")));
    }
    let person = match raw.person.trim() {
        "" => None,
        name => match find_person(catalog, session_id, name).await? {
            Ok(id) => Some(id),
            Err(reason) => return Ok(Err(reason)),
        },
    };
    let choice = match (person, raw.vote.trim()) {
        (None, "") => None,
        (None, _) => return Ok(Err("a vote needs the person who gave it".into())),
        (Some(_), "") => return Ok(Err("the person's vote is empty".into())),
        (Some(_), v) => match parse_choice(v) {
            Some(c) => Some(c),
            None => return Ok(Err(format!(
                "vote {v:?} is not one of: favorevole, contrario, astenuto, non votante, presente, assente"
            ))),
        },
    };
    let entry = sessions.entry(session_id).or_default();
    let item = raw.item.trim();
    if item.is_empty() {
        return Ok(match (person, choice) {
            (Some(p), Some(Err(present))) => {
                entry.attendance.retain(|(q, _)| *q != p);
                entry.attendance.push((p, present));
                Ok(())
            }
            _ => Err("a row without an agenda item is a roll call: give a person and presente or assente".into()),
        });
    }
    let agenda = catalog.agenda(session_id).await?;
    let Some(on_agenda) = agenda.iter().find(|a| a.number.as_deref() == Some(item)) else {
        return Ok(Err(format!(
            "session {session_id} has no agenda item numbered {item:?}"
        )));
    };
    let vote = entry.votes.entry(item.to_string()).or_default();
    vote.title = on_agenda.title.clone();
    if vote.line == 0 {
        vote.line = line;
    }
    if let Err(reason) = merge_vote(vote, raw, person, choice) {
        return Ok(Err(reason));
    }
    Ok(Ok(()))
}

/// One person of the session's roster, by address or by name.
async fn find_person(
    catalog: &Catalog,
    session_id: i64,
    name: &str,
) -> Result<Result<i64, String>, CatalogError> {
    if let Some(p) = catalog.person(name).await? {
        return Ok(Ok(p.id));
    }
    let members = catalog.members_on(session_id).await?;
    Ok(match names::resolve(name, &members) {
        Resolved::Person(id) => Ok(id),
        Resolved::Ambiguous(_) => Err(format!(
            "{name:?} fits more than one person on the session's day: use their address"
        )),
        Resolved::Unknown => Err(format!(
            "{name:?} is nobody in the roster on the session's day"
        )),
    })
}

/// Adds a row's counts, outcome and person to a vote; rows must agree.
fn merge_vote(
    vote: &mut Gathered,
    raw: &RawVoteRow,
    person: Option<i64>,
    choice: Option<Result<VoteChoice, bool>>,
) -> Result<(), String> {
    if !raw.outcome.trim().is_empty() {
        let outcome = parse_outcome(&raw.outcome).ok_or_else(|| {
            format!(
                "outcome {:?} is not approvata, respinta or rinviata",
                raw.outcome
            )
        })?;
        if vote.outcome.is_some_and(|o| o != outcome) {
            return Err("the outcome differs from the one given before for this item".into());
        }
        vote.outcome = Some(outcome);
    }
    let fields = [
        ("present", &raw.present, &mut vote.counts.present),
        ("voting", &raw.voting, &mut vote.counts.voting),
        ("in_favour", &raw.in_favour, &mut vote.counts.in_favour),
        ("against", &raw.against, &mut vote.counts.against),
        ("abstained", &raw.abstained, &mut vote.counts.abstained),
    ];
    for (what, text, slot) in fields {
        if text.trim().is_empty() {
            continue;
        }
        let n: u32 = text
            .trim()
            .parse()
            .map_err(|_| format!("{what} {text:?} is not a number"))?;
        if slot.is_some_and(|old| old != n) {
            return Err(format!(
                "{what} differs from the number given before for this item"
            ));
        }
        *slot = Some(n);
    }
    vote.unanimous |= parse_bool(&raw.unanimous)
        .ok_or_else(|| format!("unanimous {:?} is not sì or no", raw.unanimous))?;
    match (person, choice) {
        (Some(p), Some(Ok(c))) => {
            if vote.people.iter().any(|(q, _)| *q == p) {
                return Err("this person's vote on this item is given twice".into());
            }
            vote.people.push((p, c));
        }
        (Some(_), Some(Err(_))) => {
            return Err("presente and assente are for the roll call: leave the item empty".into())
        }
        _ => {}
    }
    Ok(())
}

/// A session's gathered rows as a record, with the counts filled from the people when not
/// given, and checked.
fn record_of(s: SessionVotes) -> Result<NewRecord, Vec<(usize, String)>> {
    let mut problems = Vec::new();
    let mut votes = Vec::new();
    for (number, mut v) in s.votes {
        let count = |c: VoteChoice| v.people.iter().filter(|(_, x)| *x == c).count() as u32;
        let (yes, no, abst) = (
            count(VoteChoice::InFavour),
            count(VoteChoice::Against),
            count(VoteChoice::Abstained),
        );
        if !v.people.is_empty() {
            let c = &mut v.counts;
            c.in_favour.get_or_insert(yes);
            c.against.get_or_insert(no);
            c.abstained.get_or_insert(abst);
            c.voting.get_or_insert(yes + no);
            if c.in_favour < Some(yes) || c.against < Some(no) || c.abstained < Some(abst) {
                problems.push((
                    v.line,
                    format!(
                        "item {number}: more people are listed ({yes} in favour, {no} against, \
                     {abst} abstaining) than the counts say"
                    ),
                ));
            }
        }
        if let Some(reason) = minutes::check(&v.counts) {
            problems.push((v.line, format!("item {number}: {reason}")));
        }
        let outcome = v.outcome.or(match (v.counts.in_favour, v.counts.against) {
            (Some(y), Some(n)) => Some(if y > n {
                VoteOutcome::Approved
            } else {
                VoteOutcome::Rejected
            }),
            _ => None,
        });
        votes.push(NewVote {
            item_number: Some(number),
            item_title: v.title,
            outcome,
            counts: v.counts.into(),
            unanimous: v.unanimous,
            problem: None,
            excerpt: None,
            people: v.people,
        });
    }
    if problems.is_empty() {
        Ok(NewRecord {
            attendance: s.attendance,
            votes,
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_files_give_numbers_as_numbers() {
        let json = r#"[{"session": 1, "item": "2", "present": 3, "voting": 3,
                        "in_favour": 2, "against": 1, "unanimous": false}]"#;
        let rows = crate::import::read_rows::<RawVoteRow>(json).unwrap();
        let r = &rows[0].1;
        assert_eq!(
            (r.session.as_str(), r.present.as_str(), r.against.as_str()),
            ("1", "3", "1")
        );
        assert_eq!(parse_bool(&r.unanimous), Some(false));
    }

    #[test]
    fn spellings_are_read() {
        assert_eq!(parse_outcome("Approvata"), Some(VoteOutcome::Approved));
        assert_eq!(parse_outcome("rejected"), Some(VoteOutcome::Rejected));
        assert_eq!(parse_outcome("boh"), None);
        assert_eq!(parse_choice("Favorevole"), Some(Ok(VoteChoice::InFavour)));
        assert_eq!(parse_choice("non votante"), Some(Ok(VoteChoice::NotVoting)));
        assert_eq!(parse_choice("ASSENTE"), Some(Err(false)));
        assert_eq!(parse_choice("forse"), None);
        assert_eq!(parse_bool("sì"), Some(true));
        assert_eq!(parse_bool("magari"), None);
    }

    fn row(
        item: &str,
        person: Option<(i64, VoteChoice)>,
    ) -> (RawVoteRow, Option<i64>, Option<Result<VoteChoice, bool>>) {
        (
            RawVoteRow {
                item: item.into(),
                ..RawVoteRow::default()
            },
            person.map(|p| p.0),
            person.map(|p| Ok(p.1)),
        )
    }

    #[test]
    fn counts_come_from_the_people_and_must_agree() {
        let mut v = Gathered::default();
        for (id, c) in [
            (1, VoteChoice::InFavour),
            (2, VoteChoice::InFavour),
            (3, VoteChoice::Against),
        ] {
            let (raw, p, ch) = row("1", Some((id, c)));
            merge_vote(&mut v, &raw, p, ch).unwrap();
        }
        let (raw, p, ch) = row("1", Some((3, VoteChoice::Abstained)));
        assert!(merge_vote(&mut v, &raw, p, ch)
            .unwrap_err()
            .contains("given twice"));
        let mut s = SessionVotes::default();
        s.votes.insert("1".into(), v);
        let record = record_of(s).unwrap();
        let vote = &record.votes[0];
        assert_eq!(
            (
                vote.counts.in_favour,
                vote.counts.against,
                vote.counts.voting
            ),
            (Some(2), Some(1), Some(3))
        );
        assert_eq!(vote.outcome, Some(VoteOutcome::Approved));

        let mut bad = Gathered::default();
        let raw = RawVoteRow {
            voting: "24".into(),
            in_favour: "18".into(),
            against: "5".into(),
            ..RawVoteRow::default()
        };
        merge_vote(&mut bad, &raw, None, None).unwrap();
        let other = RawVoteRow {
            against: "6".into(),
            ..RawVoteRow::default()
        };
        assert!(merge_vote(&mut bad, &other, None, None)
            .unwrap_err()
            .contains("against differs"));
        let mut s = SessionVotes::default();
        s.votes.insert("2".into(), bad);
        let problems = record_of(s).unwrap_err();
        assert!(problems[0].1.starts_with("item 2: "), "{problems:?}");
    }
}
