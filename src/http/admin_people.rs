//! The admin API for what is known about people in a session: who speaks when
//! (`POST …/speakers`, an editor's turn, kept when the transcript is read again) and the
//! roll call and votes (`PUT …/record`, an editor's record, kept over the minutes and
//! over vote files). Everything is checked before anything is written.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::admin::{existing_session, json_body, seconds_to_ms, session_id, Body, Editor, Object};
use super::api::{attendance_json, vote_json};
use super::errors::ApiError;
use super::AppState;
use crate::catalog::{Catalog, NewRecord, NewVote, TurnRow};
use crate::domain::{Provenance, VoteChoice, VoteOutcome};
use crate::people::minutes::{self, VoteCounts};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeakerFields {
    from_seconds: f64,
    to_seconds: f64,
    /// The person's address; null for "nobody of the roster".
    person: Option<String>,
}

fn turn_json(t: &TurnRow) -> Value {
    json!({
        "start_seconds": t.start_ms as f64 / 1000.0,
        "end_seconds": t.end_ms.map(|ms| ms as f64 / 1000.0),
        "person": t.person.as_ref().map(|p| p.slug.clone()),
        "name": t.person.as_ref().map(|p| p.name()),
        "label": t.label,
        "source": t.source,
        "confidence": t.confidence,
    })
}

async fn person_id(catalog: &Catalog, slug: &str) -> Result<i64, ApiError> {
    match catalog.person(slug).await? {
        Some(p) => Ok(p.id),
        None => Err(ApiError::unprocessable(
            "No such person",
            format!("nobody in the roster has the address {slug:?}"),
        )),
    }
}

/// `POST /api/v1/admin/sessions/{id}/speakers`: who speaks from one time to another, in
/// the published media's seconds (as the player shows them).
pub async fn set_speaker(
    who: Editor,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body<SpeakerFields>,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&id)?;
    let f = json_body(
        body,
        r#"{"from_seconds": 65, "to_seconds": 190, "person": "mario-rossi"}"#,
    )?;
    let (from, to) = (seconds_to_ms(f.from_seconds)?, seconds_to_ms(f.to_seconds)?);
    if to <= from {
        return Err(ApiError::unprocessable(
            "Empty stretch",
            "to_seconds must be after from_seconds",
        ));
    }
    existing_session(&state, id).await?;
    let catalog = &state.archive.catalog;
    let person = match f.person.as_deref() {
        Some(slug) => Some(person_id(catalog, slug).await?),
        None => None,
    };
    // Editors see the published media; turns are kept in the original's timeline.
    let cuts = catalog.current_cuts(id).await?;
    let (from, to) = (cuts.original_time(from), cuts.original_time(to));
    catalog.set_editor_turn(id, from, to, person).await?;
    tracing::info!(token = %who, id, from, to, ?person, "speaker set");
    let turns: Vec<Value> = catalog.turns(id).await?.iter().map(turn_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "session_id": id, "turns": turns })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordFields {
    #[serde(default)]
    attendance: Vec<Object<PresenceFields>>,
    #[serde(default)]
    votes: Vec<Object<VoteFields>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresenceFields {
    person: String,
    present: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteFields {
    item_number: String,
    outcome: Option<VoteOutcome>,
    present: Option<f64>,
    voting: Option<f64>,
    in_favour: Option<f64>,
    against: Option<f64>,
    abstained: Option<f64>,
    #[serde(default)]
    unanimous: bool,
    #[serde(default)]
    people: Vec<Object<PersonVoteFields>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonVoteFields {
    person: String,
    vote: VoteChoice,
}

/// `PUT /api/v1/admin/sessions/{id}/record`: the session's roll call and votes as an
/// editor sets them; they replace what was read or imported, and stay.
pub async fn replace_record(
    who: Editor,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body<RecordFields>,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&id)?;
    let f = json_body(
        body,
        r#"{"attendance": [{"person": "mario-rossi", "present": true}], "votes": [{"item_number": "1", "outcome": "approved", "in_favour": 12, "against": 3}]}"#,
    )?;
    if f.attendance.len() > 1000 || f.votes.len() > 500 {
        return Err(ApiError::bad_request(
            "Too long",
            "a record has at most 1000 people at the roll call and 500 votes",
        ));
    }
    existing_session(&state, id).await?;
    let catalog = &state.archive.catalog;
    let mut record = NewRecord::default();
    for p in f.attendance {
        let person = person_id(catalog, &p.0.person).await?;
        record.attendance.retain(|(q, _)| *q != person);
        record.attendance.push((person, p.0.present));
    }
    let agenda = catalog.agenda(id).await?;
    for v in f.votes {
        record
            .votes
            .push(checked_vote(catalog, &agenda, v.0).await?);
    }
    catalog
        .replace_record(id, Provenance::Editor, &record)
        .await?;
    tracing::info!(token = %who, id, votes = record.votes.len(), "record set");
    let votes: Vec<Value> = catalog.votes(id).await?.iter().map(vote_json).collect();
    let attendance: Vec<Value> = catalog
        .attendance(id)
        .await?
        .iter()
        .map(attendance_json)
        .collect();
    Ok(HttpResponse::Ok()
        .json(json!({ "session_id": id, "attendance": attendance, "votes": votes })))
}

/// A count as JSON gives it: a whole number (`12` or `12.0`) from 0 to 2^32 - 1.
fn count(what: &str, value: Option<f64>) -> Result<Option<u32>, ApiError> {
    match value {
        None => Ok(None),
        Some(v) if v.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&v) => {
            Ok(Some(v as u32))
        }
        Some(v) => Err(ApiError::bad_request(
            "Bad count",
            format!("{what} is {v}: give a whole number of people, 0 or more"),
        )),
    }
}

async fn checked_vote(
    catalog: &Catalog,
    agenda: &[crate::catalog::AgendaItem],
    v: VoteFields,
) -> Result<NewVote, ApiError> {
    let Some(item) = agenda
        .iter()
        .find(|a| a.number.as_deref() == Some(v.item_number.as_str()))
    else {
        return Err(ApiError::unprocessable(
            "No such agenda item",
            format!(
                "the session's agenda has no item numbered {:?}",
                v.item_number
            ),
        ));
    };
    let counts = VoteCounts {
        present: count("present", v.present)?,
        voting: count("voting", v.voting)?,
        in_favour: count("in_favour", v.in_favour)?,
        against: count("against", v.against)?,
        abstained: count("abstained", v.abstained)?,
    };
    if let Some(problem) = minutes::check(&counts) {
        return Err(ApiError::unprocessable(
            "The numbers do not add up",
            problem,
        ));
    }
    let mut people = Vec::new();
    for p in v.people {
        let person = person_id(catalog, &p.0.person).await?;
        people.retain(|(q, _)| *q != person);
        people.push((person, p.0.vote));
    }
    Ok(NewVote {
        item_number: Some(v.item_number),
        item_title: item.title.clone(),
        outcome: v.outcome,
        counts: counts.into(),
        unanimous: v.unanimous,
        problem: None,
        excerpt: None,
        people,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterFields {
    roles: Vec<Object<crate::people::roster::RawRole>>,
}

/// `PUT /api/v1/admin/people`: roles of people, as the roster file has them (one object a
/// row, the same names); the people named get exactly these roles. Everything is checked
/// first: 422 with every problem, by position, and nothing written.
pub async fn replace_roles(
    who: Editor,
    state: web::Data<AppState>,
    body: Body<RosterFields>,
) -> Result<HttpResponse, ApiError> {
    let f = json_body(
        body,
        r#"{"roles": [{"given_name": "Mario", "family_name": "Rossi", "role": "consigliere", "body": "Consiglio comunale", "from": "2009-06-12"}]}"#,
    )?;
    if f.roles.len() > 5000 {
        return Err(ApiError::bad_request(
            "Too many roles",
            "at most 5,000 roles at once; split the roster",
        ));
    }
    let rows = f
        .roles
        .into_iter()
        .map(|r| r.0)
        .enumerate()
        .map(|(i, r)| (i + 1, r));
    let catalog = &state.archive.catalog;
    match crate::people::roster::import(catalog, rows.collect(), false).await? {
        Ok(done) => {
            tracing::info!(token = %who, people = done.people, roles = done.roles, "roster changed");
            let read = crate::people::reading::read_all(catalog).await?;
            Ok(HttpResponse::Ok().json(json!({
                "people": done.people,
                "new_people": done.new_people,
                "roles": done.roles,
                "sessions_read": read.len(),
            })))
        }
        Err(problems) => {
            let listed: Vec<String> = problems
                .iter()
                .map(|p| p.to_string().replacen("line ", "role ", 1))
                .collect();
            Err(ApiError::unprocessable(
                "Roster not accepted",
                format!("nothing was changed: {}", listed.join("; ")),
            ))
        }
    }
}
