//! What the archive shows about one person: their roles, the sessions they attended, what
//! they said (each turn with its session and the second it starts, in the published
//! media's timeline, without anything withheld) and how they voted. The page, the API and
//! the open data are made from this one value.

use serde::Serialize;

use crate::catalog::{Catalog, CatalogError, PersonRole, PersonRow, SessionRow, VoteRow};
use crate::domain::VoteChoice;

/// At most this many sessions' turns are shown on a person's page (the latest).
pub const TURN_SESSIONS: i64 = 30;
/// A snippet of what was said is at most this many characters.
const SNIPPET_CHARS: usize = 240;

/// A session as a person's page links it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionRef {
    pub id: i64,
    pub date: String,
    pub title: String,
    pub body: String,
}

impl From<&SessionRow> for SessionRef {
    fn from(s: &SessionRow) -> Self {
        SessionRef {
            id: s.id,
            date: s.date.clone(),
            title: s.title.clone(),
            body: s.body_name.clone(),
        }
    }
}

/// One stretch a person spoke.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spoken {
    pub session: SessionRef,
    /// Where it starts in the published media.
    pub start_ms: i64,
    pub snippet: String,
    /// Who spoke was inferred from the chair's words.
    pub inferred: bool,
}

/// How a person voted on one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonalVote {
    pub session: SessionRef,
    pub vote: VoteRow,
    pub choice: VoteChoice,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    pub person: PersonRow,
    pub roles: Vec<PersonRole>,
    pub attended: Vec<SessionRef>,
    pub spoken: Vec<Spoken>,
    pub votes: Vec<PersonalVote>,
}

/// A person's profile, or None if nobody has that address.
pub async fn profile(catalog: &Catalog, slug: &str) -> Result<Option<Profile>, CatalogError> {
    let Some(person) = catalog.person(slug).await? else {
        return Ok(None);
    };
    let roles = catalog.person_roles(person.id).await?;
    let attended = catalog
        .sessions_attended(person.id)
        .await?
        .into_iter()
        .map(|(id, date, title, body)| SessionRef {
            id,
            date,
            title,
            body,
        })
        .collect();
    let mut spoken = Vec::new();
    // Only the session and its public cues: not the rest of what its page shows.
    for id in catalog.sessions_spoken_in(person.id, TURN_SESSIONS).await? {
        if let Some(session) = catalog.session(id).await?.filter(SessionRow::is_public) {
            let cues = catalog.cues(id).await?;
            spoken.extend(turns_of(&person, &session, &cues));
        }
    }
    let mut votes = Vec::new();
    for (vote, choice) in catalog.person_votes(person.id).await? {
        if let Some(s) = catalog.session(vote.session_id).await? {
            votes.push(PersonalVote {
                session: SessionRef::from(&s),
                vote,
                choice,
            });
        }
    }
    Ok(Some(Profile {
        person,
        roles,
        attended,
        spoken,
        votes,
    }))
}

/// The runs of a session's public cues spoken by `person`.
fn turns_of(
    person: &PersonRow,
    session: &SessionRow,
    cues: &[crate::catalog::CueRow],
) -> Vec<Spoken> {
    let mut found: Vec<Spoken> = Vec::new();
    let mut in_turn = false;
    for cue in cues {
        let theirs = cue.person.as_ref().is_some_and(|p| p.id == person.id);
        if !theirs {
            in_turn = false;
            continue;
        }
        match found.last_mut() {
            Some(last) if in_turn => {
                if last.snippet.chars().count() < SNIPPET_CHARS {
                    last.snippet.push(' ');
                    last.snippet.push_str(&cue.text.replace('\n', " "));
                }
            }
            _ => found.push(Spoken {
                session: SessionRef::from(session),
                start_ms: cue.start_ms,
                snippet: cue.text.replace('\n', " "),
                inferred: cue.person_inferred,
            }),
        }
        in_turn = true;
    }
    for s in &mut found {
        if s.snippet.chars().count() > SNIPPET_CHARS {
            s.snippet = s
                .snippet
                .chars()
                .take(SNIPPET_CHARS - 1)
                .collect::<String>()
                + "…";
        }
    }
    found
}
