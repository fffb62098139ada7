//! Reads a session for its people, after anything they are read from changes (a
//! transcript attached or heard, the minutes attached, the roster imported): speaker turns
//! from the transcript's labels or, for an automatic one, from what the chair says; the
//! roll call and the votes from the minutes. What an editor set, or a vote file imported,
//! is never overwritten by a reading.

use crate::catalog::{AgendaItem, Catalog, CatalogError, CueRow, NewRecord, NewTurn, NewVote};
use crate::domain::{CueSource, Provenance};

use super::minutes::{self, MinutesReading};
use super::names::{self, Resolved};
use super::turns::{self, HeardCue};
use super::Member;

/// What reading one session found, for the log and the command line.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Reading {
    pub turns: usize,
    pub named_turns: usize,
    pub present: usize,
    pub absent: usize,
    pub votes: usize,
    /// Names in the transcript's labels or the roll call that fit nobody, or several.
    pub unresolved: Vec<String>,
    /// False when an import or an editor already set the roll call and votes.
    pub record_stored: bool,
}

/// Reads the session again and stores what was found.
pub async fn read_session(catalog: &Catalog, session_id: i64) -> Result<Reading, CatalogError> {
    let members = catalog.members_on(session_id).await?;
    let cues = catalog.whole_transcript(session_id).await?;
    let mut reading = Reading::default();
    let (source, found) = speaker_turns(&cues, &members, &mut reading.unresolved);
    reading.turns = found.len();
    reading.named_turns = found.iter().filter(|t| t.person_id.is_some()).count();
    catalog
        .replace_read_turns(session_id, source, &found)
        .await?;
    let texts = catalog.minutes_texts(session_id).await?;
    if !texts.is_empty() {
        let agenda = catalog.agenda(session_id).await?;
        let read = minutes::read(&texts.join("\n\n"));
        let record = record_of(&read, &members, &agenda, &mut reading.unresolved);
        reading.present = record.attendance.iter().filter(|(_, p)| *p).count();
        reading.absent = record.attendance.len() - reading.present;
        reading.votes = record.votes.len();
        reading.record_stored = catalog
            .replace_record(session_id, Provenance::Minutes, &record)
            .await?;
    }
    reading.unresolved.sort();
    reading.unresolved.dedup();
    Ok(reading)
}

/// Turns from the labels of a human transcript, or inferred from an automatic one.
fn speaker_turns(
    cues: &[CueRow],
    members: &[Member],
    unresolved: &mut Vec<String>,
) -> (Provenance, Vec<NewTurn>) {
    if cues.iter().any(|c| c.source == CueSource::Human) {
        return (Provenance::Label, label_turns(cues, members, unresolved));
    }
    let heard: Vec<HeardCue> = cues
        .iter()
        .map(|c| HeardCue {
            start_ms: c.start_ms,
            end_ms: c.end_ms,
            text: &c.text,
        })
        .collect();
    let inferred = turns::infer(&heard, members)
        .into_iter()
        .map(|t| NewTurn {
            start_ms: t.start_ms,
            person_id: t.person_id,
            label: Some(t.evidence),
            confidence: Some(t.confidence),
        })
        .collect();
    (Provenance::Inferred, inferred)
}

/// A turn where the label changes; a cue without a label goes on with the one before.
fn label_turns(cues: &[CueRow], members: &[Member], unresolved: &mut Vec<String>) -> Vec<NewTurn> {
    let mut found: Vec<NewTurn> = Vec::new();
    for cue in cues {
        let Some(label) = cue.speaker.as_deref() else {
            continue;
        };
        if found.last().and_then(|t| t.label.as_deref()) == Some(label) {
            continue;
        }
        let person_id = match names::resolve(label, members) {
            Resolved::Person(id) => Some(id),
            Resolved::Ambiguous(_) | Resolved::Unknown => {
                unresolved.push(label.to_string());
                None
            }
        };
        found.push(NewTurn {
            start_ms: cue.start_ms,
            person_id,
            label: Some(label.to_string()),
            confidence: None,
        });
    }
    found
}

/// The roll call and votes as read, with names resolved and items matched to the agenda.
fn record_of(
    read: &MinutesReading,
    members: &[Member],
    agenda: &[AgendaItem],
    unresolved: &mut Vec<String>,
) -> NewRecord {
    let mut record = NewRecord::default();
    if let Some(call) = &read.roll_call {
        let lists = [(&call.present, true), (&call.absent, false)];
        for (list, present) in lists {
            for name in list.iter() {
                match names::resolve(name, members) {
                    Resolved::Person(id) if !record.attendance.iter().any(|(p, _)| *p == id) => {
                        record.attendance.push((id, present))
                    }
                    Resolved::Person(_) => {}
                    _ => unresolved.push(name.clone()),
                }
            }
        }
    }
    for v in &read.votes {
        let item = v.item.as_ref();
        let number = item.and_then(|i| i.number.clone());
        let on_agenda = number
            .as_deref()
            .and_then(|n| agenda.iter().find(|a| a.number.as_deref() == Some(n)));
        let written = item.map(|i| i.title.clone()).unwrap_or_default();
        let title = match on_agenda {
            Some(a) if written.trim().is_empty() => a.title.clone(),
            _ => written,
        };
        record.votes.push(NewVote {
            item_number: number,
            item_title: title,
            outcome: v.outcome,
            counts: v.counts.into(),
            unanimous: v.unanimous,
            problem: v.problem.clone(),
            excerpt: Some(v.excerpt.clone()),
            // Who voted how is only known from a vote file or an editor: the minutes'
            // counts (even "unanimi") do not say who was still in the room at the vote.
            people: Vec::new(),
        });
    }
    record
}

/// Reads every session with a transcript or minutes again (after the roster changed).
pub async fn read_all(catalog: &Catalog) -> Result<Vec<(i64, Reading)>, CatalogError> {
    let mut all = Vec::new();
    for id in catalog.sessions_with_people_sources().await? {
        all.push((id, read_session(catalog, id).await?));
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RoleKind::*;
    use crate::people::member;

    /// Cues as the catalog gives them, from a transcript as a clerk wrote it.
    fn human_cues(text: &str) -> Vec<CueRow> {
        crate::documents::transcript::parse(text)
            .unwrap()
            .into_iter()
            .map(|c| CueRow {
                start_ms: c.start_ms as i64,
                end_ms: c.end_ms as i64,
                speaker: c.speaker,
                text: c.text,
                source: CueSource::Human,
                confidence: None,
                person: None,
                person_inferred: false,
            })
            .collect()
    }

    #[test]
    fn webvtt_voices_and_srt_labels_become_the_same_turns() {
        let roster = [
            member(1, "Anna", "Verdi", &[Councillor, President]),
            member(2, "Mario", "Rossi", &[Councillor]),
            member(3, "Luca", "Rossi", &[Assessore]),
        ];
        let vtt =
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Il Presidente>Apriamo la seduta.\n\n\
                   00:00:03.000 --> 00:00:04.000\n<v Cons. Rossi>La variante.\n\n\
                   00:00:05.000 --> 00:00:06.000\nE la fornace.\n\n\
                   00:00:07.000 --> 00:00:08.000\n<v Rossi>Chi dei due?\n";
        let srt = "1\n00:00:01,000 --> 00:00:02,000\nIL PRESIDENTE: Apriamo la seduta.\n\n\
                   2\n00:00:03,000 --> 00:00:04,000\nCONS. ROSSI: La variante.\n\n\
                   3\n00:00:05,000 --> 00:00:06,000\nE la fornace.\n\n\
                   4\n00:00:07,000 --> 00:00:08,000\nROSSI: Chi dei due?\n";
        for text in [vtt, srt] {
            let mut unresolved = Vec::new();
            let (source, turns) = speaker_turns(&human_cues(text), &roster, &mut unresolved);
            assert_eq!(source, Provenance::Label);
            let who: Vec<(i64, Option<i64>)> =
                turns.iter().map(|t| (t.start_ms, t.person_id)).collect();
            // An unlabelled cue goes on with the speaker before; "Rossi" alone is two people.
            assert_eq!(
                who,
                [(1_000, Some(1)), (3_000, Some(2)), (7_000, None)],
                "{text}"
            );
            assert_eq!(unresolved, ["Rossi"]);
        }
    }
}
