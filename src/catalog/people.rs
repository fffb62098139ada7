//! People: the roster and its roles, speaker turns, roll calls and votes. It stores what
//! `crate::people` reads and gives it back; it never reads names or minutes itself.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::Row;

use super::{now, Body, Catalog, Result, SessionDate, Tx, PUBLIC};
use crate::domain::{Provenance, RoleKind, VoteChoice, VoteOutcome};
use crate::people::roster::{RoleEntry, RosterImported};
use crate::people::Member;

/// A person as lists show them.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct PersonRow {
    pub id: i64,
    pub slug: String,
    pub given_name: String,
    pub family_name: String,
}

impl PersonRow {
    pub fn name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }
}

/// One role a person held.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonRole {
    pub role: RoleKind,
    pub body: Option<Body>,
    pub party: Option<String>,
    pub portfolio: Option<String>,
    pub from: String,
    pub to: Option<String>,
}

/// Who speaks in a stretch of a session; times in the original recording's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurnRow {
    pub start_ms: i64,
    /// Only an editor's turn has an end; a reading's runs to the next reading's start.
    pub end_ms: Option<i64>,
    pub person: Option<PersonRow>,
    pub label: Option<String>,
    pub source: Provenance,
    pub confidence: Option<f64>,
}

/// A turn as a reader found it, to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTurn {
    pub start_ms: i64,
    pub person_id: Option<i64>,
    pub label: Option<String>,
    pub confidence: Option<f64>,
}

/// One person at a roll call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttendanceRow {
    pub person: PersonRow,
    pub party: Option<String>,
    pub present: bool,
    pub source: Provenance,
}

/// The counts of a vote; any may be unknown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub present: Option<i64>,
    pub voting: Option<i64>,
    pub in_favour: Option<i64>,
    pub against: Option<i64>,
    pub abstained: Option<i64>,
}

impl From<crate::people::minutes::VoteCounts> for Counts {
    fn from(c: crate::people::minutes::VoteCounts) -> Counts {
        let n = |v: Option<u32>| v.map(i64::from);
        Counts {
            present: n(c.present),
            voting: n(c.voting),
            in_favour: n(c.in_favour),
            against: n(c.against),
            abstained: n(c.abstained),
        }
    }
}

/// A vote on an agenda item, with how each person voted when it is known.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VoteRow {
    pub id: i64,
    pub session_id: i64,
    pub position: i64,
    pub item_number: Option<String>,
    pub item_title: String,
    pub outcome: Option<VoteOutcome>,
    pub counts: Counts,
    pub unanimous: bool,
    /// Why the counts cannot be right; shown with the vote.
    pub problem: Option<String>,
    pub excerpt: Option<String>,
    pub source: Provenance,
    pub people: Vec<PersonVote>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonVote {
    pub person: PersonRow,
    pub choice: VoteChoice,
}

/// What a session's page and resource show of its people: asked for only there, not by
/// every reader of a public session (captions, clips, downloads).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionRecord {
    /// The roll call, present first.
    pub attendance: Vec<AttendanceRow>,
    /// The votes, in the order taken.
    pub votes: Vec<VoteRow>,
}

/// A vote to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVote {
    pub item_number: Option<String>,
    pub item_title: String,
    pub outcome: Option<VoteOutcome>,
    pub counts: Counts,
    pub unanimous: bool,
    pub problem: Option<String>,
    pub excerpt: Option<String>,
    pub people: Vec<(i64, VoteChoice)>,
}

/// A session's record of presence and votes, from one source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewRecord {
    /// (person, present); empty when the source has no roll call.
    pub attendance: Vec<(i64, bool)>,
    pub votes: Vec<NewVote>,
}

const PERSON: &str = "p.id, p.slug, p.given_name, p.family_name";

fn person_at(r: &sqlx::any::AnyRow, at: usize) -> PersonRow {
    PersonRow {
        id: r.get(at),
        slug: r.get(at + 1),
        given_name: r.get(at + 2),
        family_name: r.get(at + 3),
    }
}

fn body_at(r: &sqlx::any::AnyRow, at: usize) -> Option<Body> {
    let id: Option<i64> = r.get(at);
    Some(Body {
        id: id?,
        slug: r.get(at + 1),
        name: r.get(at + 2),
        kind: r.get(at + 3),
    })
}

impl Catalog {
    /// Every role of the roster, as the roster import checks new ones against.
    pub async fn roster_roles(&self) -> Result<Vec<RoleEntry>> {
        let rows = sqlx::query(
            "SELECT p.slug, p.given_name, p.family_name, r.role, r.party, r.portfolio, \
             r.from_date, r.to_date, b.id, b.slug, b.name, b.kind FROM person_roles r \
             JOIN people p ON p.id = r.person_id LEFT JOIN bodies b ON b.id = r.body_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let date = |t: Option<String>| t.and_then(|t| SessionDate::parse(&t).ok());
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some(RoleEntry {
                    line: 0,
                    slug: r.get(0),
                    given_name: r.get(1),
                    family_name: r.get(2),
                    role: r.get(3),
                    party: r.get(4),
                    portfolio: r.get(5),
                    from: date(r.get(6))?,
                    to: date(r.get(7)),
                    body: body_at(r, 8),
                })
            })
            .collect())
    }

    /// Writes the people of `entries` with exactly these roles (their other roles go).
    pub async fn replace_roles(&self, entries: &[RoleEntry]) -> Result<RosterImported> {
        let mut tx = self.write().await?;
        let mut done = RosterImported::default();
        let mut seen: Vec<(&str, i64)> = Vec::new();
        for e in entries {
            let id = match seen.iter().find(|(s, _)| *s == e.slug) {
                Some((_, id)) => *id,
                None => {
                    let (id, new) = upsert_person(&mut tx, e).await?;
                    sqlx::query("DELETE FROM person_roles WHERE person_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    done.people += 1;
                    done.new_people += usize::from(new);
                    seen.push((&e.slug, id));
                    id
                }
            };
            sqlx::query(
                "INSERT INTO person_roles (person_id, role, body_id, party, portfolio, \
                 from_date, to_date) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(e.role)
            .bind(e.body.as_ref().map(|b| b.id))
            .bind(e.party.as_deref())
            .bind(e.portfolio.as_deref())
            .bind(e.from.iso())
            .bind(e.to.map(|d| d.iso()))
            .execute(&mut *tx)
            .await?;
            done.roles += 1;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// Everyone in the roster, by family name.
    pub async fn people(&self) -> Result<Vec<PersonRow>> {
        Ok(sqlx::query_as(
            "SELECT id, slug, given_name, family_name FROM people p \
             ORDER BY family_name, given_name, id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn person(&self, slug: &str) -> Result<Option<PersonRow>> {
        Ok(
            sqlx::query_as("SELECT id, slug, given_name, family_name FROM people WHERE slug = $1")
                .bind(slug)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// A person's roles, the latest first.
    pub async fn person_roles(&self, person_id: i64) -> Result<Vec<PersonRole>> {
        let mut all = self
            .roles_where("r.person_id = $1", Some(person_id))
            .await?;
        Ok(all.remove(&person_id).unwrap_or_default())
    }

    /// Everyone's roles, by person, the latest first: one query for a list of people.
    pub async fn everyones_roles(&self) -> Result<HashMap<i64, Vec<PersonRole>>> {
        self.roles_where("1 = 1", None).await
    }

    async fn roles_where(
        &self,
        condition: &str,
        value: Option<i64>,
    ) -> Result<HashMap<i64, Vec<PersonRole>>> {
        let sql = format!(
            "SELECT r.person_id, r.role, r.party, r.portfolio, r.from_date, r.to_date, \
             b.id, b.slug, b.name, b.kind FROM person_roles r \
             LEFT JOIN bodies b ON b.id = r.body_id WHERE {condition} \
             ORDER BY r.from_date DESC, r.id"
        );
        let mut query = sqlx::query(&sql);
        if let Some(v) = value {
            query = query.bind(v);
        }
        let mut roles: HashMap<i64, Vec<PersonRole>> = HashMap::new();
        for r in query.fetch_all(&self.pool).await? {
            roles.entry(r.get(0)).or_default().push(PersonRole {
                role: r.get(1),
                party: r.get(2),
                portfolio: r.get(3),
                from: r.get(4),
                to: r.get(5),
                body: body_at(&r, 6),
            });
        }
        Ok(roles)
    }

    /// The roster valid on a session's date, with the roles each held that day: in the
    /// session's body, and the comune-wide ones. A president of another body is not this
    /// session's chair, so that role is left out (the person stays, as someone who may
    /// speak).
    pub async fn members_on(&self, session_id: i64) -> Result<Vec<Member>> {
        let rows = sqlx::query(
            "SELECT p.id, p.given_name, p.family_name, r.role, \
             CASE WHEN r.body_id IS NULL OR r.body_id = s.body_id THEN 1 ELSE 0 END \
             FROM sessions s JOIN person_roles r ON r.from_date <= s.date \
             AND (r.to_date IS NULL OR r.to_date >= s.date) \
             JOIN people p ON p.id = r.person_id WHERE s.id = $1 ORDER BY p.id",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?;
        let mut members: Vec<Member> = Vec::new();
        for r in &rows {
            let id: i64 = r.get(0);
            let role: RoleKind = r.get(3);
            let here = r.get::<i64, _>(4) != 0;
            if members.last().map(|m| m.id) != Some(id) {
                members.push(Member {
                    id,
                    given_name: r.get(1),
                    family_name: r.get(2),
                    roles: Vec::new(),
                });
            }
            let chair = matches!(role, RoleKind::President | RoleKind::VicePresident);
            if let Some(m) = members.last_mut() {
                if (here || !chair) && !m.roles.contains(&role) {
                    m.roles.push(role);
                }
            }
        }
        Ok(members)
    }
}

async fn upsert_person(tx: &mut Tx, e: &RoleEntry) -> Result<(i64, bool)> {
    let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM people WHERE slug = $1")
        .bind(&e.slug)
        .fetch_optional(&mut **tx)
        .await?;
    if let Some(id) = existing {
        sqlx::query(
            "UPDATE people SET given_name = $1, family_name = $2, updated_at = $3 \
             WHERE id = $4 AND (given_name != $5 OR family_name != $6)",
        )
        .bind(&e.given_name)
        .bind(&e.family_name)
        .bind(now())
        .bind(id)
        .bind(&e.given_name)
        .bind(&e.family_name)
        .execute(&mut **tx)
        .await?;
        return Ok((id, false));
    }
    let id = sqlx::query_scalar(
        "INSERT INTO people (slug, given_name, family_name, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&e.slug)
    .bind(&e.given_name)
    .bind(&e.family_name)
    .bind(now())
    .bind(now())
    .fetch_one(&mut **tx)
    .await?;
    Ok((id, true))
}

/// Turns, roll calls and votes.
impl Catalog {
    /// Replaces a session's read turns (label or inferred) with `turns`; an editor's stay.
    /// Turns read the same as before change nothing, so reading every session again (after
    /// a roster import) re-indexes only those whose speakers changed. Whether they did.
    pub async fn replace_read_turns(
        &self,
        session_id: i64,
        source: Provenance,
        turns: &[NewTurn],
    ) -> Result<bool> {
        let mut tx = self.write().await?;
        let stored = sqlx::query(
            "SELECT start_ms, person_id, label, source, confidence FROM speaker_turns \
             WHERE session_id = $1 AND source != 'editor' ORDER BY start_ms, id",
        )
        .bind(session_id)
        .fetch_all(&mut *tx)
        .await?;
        let same = stored.len() == turns.len()
            && stored.iter().zip(turns).all(|(r, t)| {
                r.get::<i64, _>(0) == t.start_ms
                    && r.get::<Option<i64>, _>(1) == t.person_id
                    && r.get::<Option<String>, _>(2) == t.label
                    && r.get::<Provenance, _>(3) == source
                    && r.get::<Option<f64>, _>(4) == t.confidence
            });
        if same {
            return Ok(false);
        }
        sqlx::query("DELETE FROM speaker_turns WHERE session_id = $1 AND source != 'editor'")
            .bind(session_id)
            .execute(&mut *tx)
            .await?;
        for t in turns {
            sqlx::query(
                "INSERT INTO speaker_turns (session_id, start_ms, person_id, label, source, \
                 confidence) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(session_id)
            .bind(t.start_ms)
            .bind(t.person_id)
            .bind(t.label.as_deref())
            .bind(source)
            .bind(t.confidence)
            .execute(&mut *tx)
            .await?;
        }
        super::changes::commit_change(tx, session_id).await?;
        Ok(true)
    }

    /// Sets who speaks from `start_ms` to `end_ms` (nobody: `None`), as an editor says;
    /// editor turns it overlaps are cut back or removed.
    pub async fn set_editor_turn(
        &self,
        session_id: i64,
        start_ms: i64,
        end_ms: i64,
        person_id: Option<i64>,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        let overlapping = sqlx::query(
            "SELECT id, start_ms, end_ms, person_id FROM speaker_turns WHERE session_id = $1 \
             AND source = 'editor' AND start_ms < $2 AND end_ms > $3",
        )
        .bind(session_id)
        .bind(end_ms)
        .bind(start_ms)
        .fetch_all(&mut *tx)
        .await?;
        for r in &overlapping {
            let (id, a, b): (i64, i64, i64) = (r.get(0), r.get(1), r.get(2));
            let kept: Option<i64> = r.get(3);
            sqlx::query("DELETE FROM speaker_turns WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            // What is left on either side keeps its person.
            for (from, to) in [(a, start_ms), (end_ms, b)] {
                if to > from {
                    insert_editor_turn(&mut tx, session_id, from, to, kept).await?;
                }
            }
        }
        insert_editor_turn(&mut tx, session_id, start_ms, end_ms, person_id).await?;
        super::changes::commit_change(tx, session_id).await
    }

    /// A session's turns, by start: an editor's and the readings'.
    pub async fn turns(&self, session_id: i64) -> Result<Vec<TurnRow>> {
        let rows = sqlx::query(&format!(
            "SELECT t.start_ms, t.end_ms, t.label, t.source, t.confidence, {PERSON} \
             FROM speaker_turns t LEFT JOIN people p ON p.id = t.person_id \
             WHERE t.session_id = $1 ORDER BY t.start_ms, t.id"
        ))
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| TurnRow {
                start_ms: r.get(0),
                end_ms: r.get(1),
                label: r.get(2),
                source: r.get(3),
                confidence: r.get(4),
                person: r.get::<Option<i64>, _>(5).map(|_| person_at(r, 5)),
            })
            .collect())
    }

    /// Replaces what `source` said about a session's presence and votes, unless a more
    /// trusted source (an import over the minutes, an editor over both) already did:
    /// then nothing changes and this returns false.
    pub async fn replace_record(
        &self,
        session_id: i64,
        source: Provenance,
        record: &NewRecord,
    ) -> Result<bool> {
        let records = [(session_id, record.clone())];
        Ok(self.replace_records(source, &records).await?[0])
    }

    /// `replace_record` for several sessions in one transaction: all or nothing.
    pub async fn replace_records(
        &self,
        source: Provenance,
        records: &[(i64, NewRecord)],
    ) -> Result<Vec<bool>> {
        let mut tx = self.write().await?;
        let mut stored = Vec::new();
        for (session_id, record) in records {
            stored.push(replace_in(&mut tx, *session_id, source, record).await?);
        }
        tx.commit().await?;
        Ok(stored)
    }

    /// A session's roll call and votes.
    pub async fn session_record(&self, session_id: i64) -> Result<SessionRecord> {
        let (attendance, votes) =
            tokio::try_join!(self.attendance(session_id), self.votes(session_id))?;
        Ok(SessionRecord { attendance, votes })
    }

    /// Who was at a session's roll call, present first, by family name.
    pub async fn attendance(&self, session_id: i64) -> Result<Vec<AttendanceRow>> {
        let rows = sqlx::query(&format!(
            "SELECT a.present, a.source, {PERSON}, (SELECT r.party FROM person_roles r \
             WHERE r.person_id = p.id AND r.party IS NOT NULL AND r.from_date <= s.date \
             AND (r.to_date IS NULL OR r.to_date >= s.date) ORDER BY r.from_date DESC \
             LIMIT 1) FROM attendance a JOIN people p ON p.id = a.person_id \
             JOIN sessions s ON s.id = a.session_id WHERE a.session_id = $1 \
             ORDER BY a.present DESC, p.family_name, p.given_name"
        ))
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| AttendanceRow {
                present: r.get::<i64, _>(0) != 0,
                source: r.get(1),
                person: person_at(r, 2),
                party: r.get(6),
            })
            .collect())
    }

    /// A session's votes, in the order taken.
    pub async fn votes(&self, session_id: i64) -> Result<Vec<VoteRow>> {
        // The session page and the admin API decide whether the session may be shown.
        self.votes_where("v.session_id = $1", session_id).await
    }

    /// Every vote of the public sessions with who voted how, in three queries whatever
    /// the archive's size (the open-data CSV): the latest session first, each session's
    /// votes in the order taken.
    pub async fn public_votes(&self) -> Result<Vec<VoteRow>> {
        // `votes_where` binds one value; every session id is above 0.
        self.votes_where(&format!("{PUBLIC} AND v.session_id > $1"), 0)
            .await
    }

    /// The votes a person took part in (or were recorded absent at), in public sessions,
    /// the latest first.
    pub async fn person_votes(&self, person_id: i64) -> Result<Vec<(VoteRow, VoteChoice)>> {
        let votes = self
            .votes_where(
                &format!(
                    "v.id IN (SELECT vote_id FROM person_votes WHERE person_id = $1) AND {PUBLIC}"
                ),
                person_id,
            )
            .await?;
        Ok(votes
            .into_iter()
            .filter_map(|v| {
                let choice = v.people.iter().find(|p| p.person.id == person_id)?.choice;
                Some((v, choice))
            })
            .collect())
    }

    async fn votes_where(&self, condition: &str, value: i64) -> Result<Vec<VoteRow>> {
        let rows = sqlx::query(&format!(
            "SELECT v.id, v.session_id, v.position, v.item_number, v.item_title, v.outcome, \
             v.present, v.voting, v.in_favour, v.against, v.abstained, v.unanimous, \
             v.problem, v.excerpt, v.source FROM votes v JOIN sessions s ON s.id = v.session_id \
             WHERE {condition} ORDER BY s.date DESC, v.session_id, v.position"
        ))
        .bind(value)
        .fetch_all(&self.pool)
        .await?;
        let mut votes: Vec<VoteRow> = rows.iter().map(vote_row).collect();
        // Who voted how, for all those votes in one query.
        let people = sqlx::query(&format!(
            "SELECT pv.vote_id, pv.choice, {PERSON} FROM person_votes pv \
             JOIN people p ON p.id = pv.person_id WHERE pv.vote_id IN (SELECT v.id FROM votes v \
             JOIN sessions s ON s.id = v.session_id WHERE {condition}) \
             ORDER BY p.family_name, p.given_name"
        ))
        .bind(value)
        .fetch_all(&self.pool)
        .await?;
        let at: HashMap<i64, usize> = votes.iter().enumerate().map(|(i, v)| (v.id, i)).collect();
        for r in &people {
            if let Some(v) = at.get(&r.get::<i64, _>(0)).map(|&i| &mut votes[i]) {
                v.people.push(PersonVote {
                    choice: r.get(1),
                    person: person_at(r, 2),
                });
            }
        }
        Ok(votes)
    }

    /// The public sessions a person was recorded present at: (id, date, title, body name),
    /// the latest first.
    pub async fn sessions_attended(
        &self,
        person_id: i64,
    ) -> Result<Vec<(i64, String, String, String)>> {
        Ok(sqlx::query_as(&format!(
            "SELECT s.id, s.date, s.title, b.name FROM attendance a \
             JOIN sessions s ON s.id = a.session_id JOIN bodies b ON b.id = s.body_id \
             WHERE a.person_id = $1 AND a.present = 1 AND {PUBLIC} \
             ORDER BY s.date DESC, s.id DESC"
        ))
        .bind(person_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The public sessions in which a person has a turn, the latest first, at most `limit`.
    pub async fn sessions_spoken_in(&self, person_id: i64, limit: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(&format!(
            "SELECT s.id FROM sessions s WHERE {PUBLIC} AND s.id IN (SELECT session_id FROM \
             speaker_turns WHERE person_id = $1) ORDER BY s.date DESC, s.id DESC LIMIT $2"
        ))
        .bind(person_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The text of a session's minutes, in the order attached.
    pub async fn minutes_texts(&self, session_id: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT text FROM documents WHERE session_id = $1 AND kind = 'minutes' \
             AND text IS NOT NULL ORDER BY id",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The public sessions where a person spoke or voted, the latest first, at most
    /// `limit`: what following them by e-mail tells about.
    pub async fn sessions_of_person(
        &self,
        person_id: i64,
        limit: i64,
    ) -> Result<Vec<super::SessionRow>> {
        let sql = format!(
            "SELECT {} WHERE {PUBLIC} AND (s.id IN (SELECT session_id FROM speaker_turns \
             WHERE person_id = $1) OR s.id IN (SELECT v.session_id FROM votes v JOIN \
             person_votes pv ON pv.vote_id = v.id WHERE pv.person_id = $2)) \
             ORDER BY s.date DESC, s.id DESC LIMIT $3",
            super::SESSION_COLUMNS
        );
        Ok(sqlx::query_as(&sql)
            .bind(person_id)
            .bind(person_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// The public sessions with votes, the latest first.
    pub async fn sessions_with_votes(&self) -> Result<Vec<super::SessionRow>> {
        let sql = format!(
            "SELECT {} WHERE {PUBLIC} AND EXISTS (SELECT 1 FROM votes v \
             WHERE v.session_id = s.id) ORDER BY s.date DESC, s.id DESC LIMIT 45000",
            super::SESSION_COLUMNS
        );
        Ok(sqlx::query_as(&sql).fetch_all(&self.pool).await?)
    }

    /// Every session with a transcript or minutes, for reading them again after the
    /// roster changed.
    pub async fn sessions_with_people_sources(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM sessions s WHERE EXISTS (SELECT 1 FROM transcript_cues c \
             WHERE c.session_id = s.id) OR EXISTS (SELECT 1 FROM documents d \
             WHERE d.session_id = s.id AND d.kind = 'minutes') ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}

async fn replace_in(
    tx: &mut Tx,
    session_id: i64,
    source: Provenance,
    record: &NewRecord,
) -> Result<bool> {
    let trusted: &[&str] = match source {
        Provenance::Minutes => &["import", "editor"],
        Provenance::Import => &["editor"],
        _ => &[],
    };
    for table in ["attendance", "votes"] {
        let sql = format!("SELECT source FROM {table} WHERE session_id = $1");
        let sources: Vec<String> = sqlx::query_scalar(&sql)
            .bind(session_id)
            .fetch_all(&mut **tx)
            .await?;
        if sources.iter().any(|s| trusted.contains(&s.as_str())) {
            return Ok(false);
        }
    }
    for table in ["attendance", "votes"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE session_id = $1"))
            .bind(session_id)
            .execute(&mut **tx)
            .await?;
    }
    for (person, present) in &record.attendance {
        sqlx::query(
            "INSERT INTO attendance (session_id, person_id, present, source) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(session_id)
        .bind(person)
        .bind(i64::from(*present))
        .bind(source)
        .execute(&mut **tx)
        .await?;
    }
    for (position, vote) in record.votes.iter().enumerate() {
        insert_vote(tx, session_id, position as i64 + 1, source, vote).await?;
    }
    Ok(true)
}

async fn insert_editor_turn(
    tx: &mut Tx,
    session_id: i64,
    start_ms: i64,
    end_ms: i64,
    person_id: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO speaker_turns (session_id, start_ms, end_ms, person_id, source) \
         VALUES ($1, $2, $3, $4, 'editor')",
    )
    .bind(session_id)
    .bind(start_ms)
    .bind(end_ms)
    .bind(person_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn vote_row(r: &sqlx::any::AnyRow) -> VoteRow {
    VoteRow {
        id: r.get(0),
        session_id: r.get(1),
        position: r.get(2),
        item_number: r.get(3),
        item_title: r.get(4),
        outcome: r.get(5),
        counts: Counts {
            present: r.get(6),
            voting: r.get(7),
            in_favour: r.get(8),
            against: r.get(9),
            abstained: r.get(10),
        },
        unanimous: r.get::<i64, _>(11) != 0,
        problem: r.get(12),
        excerpt: r.get(13),
        source: r.get(14),
        people: Vec::new(),
    }
}

async fn insert_vote(
    tx: &mut Tx,
    session_id: i64,
    position: i64,
    source: Provenance,
    v: &NewVote,
) -> Result<()> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO votes (session_id, position, item_number, item_title, outcome, present, \
         voting, in_favour, against, abstained, unanimous, problem, excerpt, source) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(session_id)
    .bind(position)
    .bind(v.item_number.as_deref())
    .bind(&v.item_title)
    .bind(v.outcome)
    .bind(v.counts.present)
    .bind(v.counts.voting)
    .bind(v.counts.in_favour)
    .bind(v.counts.against)
    .bind(v.counts.abstained)
    .bind(i64::from(v.unanimous))
    .bind(v.problem.as_deref())
    .bind(v.excerpt.as_deref())
    .bind(source)
    .fetch_one(&mut **tx)
    .await?;
    for (person, choice) in &v.people {
        sqlx::query("INSERT INTO person_votes (vote_id, person_id, choice) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(person)
            .bind(choice)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
