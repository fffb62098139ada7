//! People, as citizens and programs see them: `/persone` and `/persone/{slug}` (roles,
//! sessions attended, what they said, how they voted; schema.org `Person`), the same as
//! JSON at `/api/v1/people` and `/api/v1/people/{slug}`, and the votes as open-data CSV
//! at `/api/v1/votes.csv`. Everything is made from `people::profile` and the catalog.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde_json::{json, Value};

use super::errors::{ApiError, OrPage, PageError};
use super::feeds::{csv_bytes, csv_download, text_cell};
use super::i18n::Ui;
use super::pages::{html, language, script_json, Page};
use super::AppState;
use crate::catalog::{PersonRole, PersonRow, SessionRow, VoteRow};
use crate::domain::{VoteChoice, VoteOutcome};
use crate::people::profile::{self, Profile, SessionRef};
use crate::text::clock;
use crate::urls::page_url;

/// A person's page.
pub fn person_url(slug: &str) -> String {
    format!("/persone/{slug}")
}

/// A role in words: "Consigliere · Consiglio comunale · Lista civica · dal 12 giugno 2009".
pub(super) fn role_text(t: &Ui, r: &PersonRole) -> String {
    let mut parts = vec![t.s(&format!("role.{}", r.role)).to_string()];
    if let Some(b) = &r.body {
        parts.push(b.name.clone());
    }
    parts.extend(r.party.clone());
    parts.extend(r.portfolio.clone());
    parts.push(match &r.to {
        Some(to) => t.f2("role.period", t.date(&r.from), t.date(to)),
        None => t.f("role.since", t.date(&r.from)),
    });
    parts.join(" · ")
}

pub fn outcome_text(t: &Ui, outcome: Option<VoteOutcome>) -> String {
    match outcome {
        Some(o) => t.s(&format!("vote.{o}")).to_string(),
        None => t.s("vote.unknown").to_string(),
    }
}

/// The counts in words ("presenti 25, votanti 24, favorevoli 18, contrari 6, astenuti 1").
pub fn counts_text(t: &Ui, v: &VoteRow) -> String {
    let c = &v.counts;
    let mut parts: Vec<String> = [
        ("vote.present", c.present),
        ("vote.voting", c.voting),
        ("vote.in_favour_n", c.in_favour),
        ("vote.against_n", c.against),
        ("vote.abstained_n", c.abstained),
    ]
    .into_iter()
    .filter_map(|(key, n)| Some(t.f(key, n?)))
    .collect();
    if v.unanimous {
        parts.insert(0, t.s("vote.unanimous").to_string());
    }
    parts.join(", ")
}

pub struct SessionLink {
    pub url: String,
    pub title: String,
    pub body: String,
    pub date_iso: String,
}

impl From<&SessionRef> for SessionLink {
    fn from(s: &SessionRef) -> Self {
        SessionLink {
            url: page_url(s.id),
            title: s.title.clone(),
            body: s.body.clone(),
            date_iso: s.date.clone(),
        }
    }
}

pub struct SpokenView {
    pub session: SessionLink,
    pub secs: i64,
    pub clock: String,
    pub snippet: String,
}

pub struct VoteView {
    pub session: SessionLink,
    pub item: String,
    pub outcome: String,
    pub choice: String,
}

pub struct PersonItem {
    pub url: String,
    pub name: String,
    pub roles: String,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    t: Ui,
    people: Vec<PersonItem>,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    t: Ui,
    name: String,
    roles: Vec<String>,
    attended: Vec<SessionLink>,
    spoken: Vec<SpokenView>,
    votes: Vec<VoteView>,
    json_ld: String,
    /// The form that follows them by e-mail (when the archive sends alerts).
    alert: Option<super::pages::AlertForm>,
}

/// `GET /persone`: everyone in the roster, with their latest role.
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Page {
    let (t, remember) = language(&req);
    let catalog = &state.archive.catalog;
    let roles = catalog.everyones_roles().await.or_page(&req)?;
    let people = catalog
        .people()
        .await
        .or_page(&req)?
        .into_iter()
        .map(|p| PersonItem {
            url: person_url(&p.slug),
            roles: roles
                .get(&p.id)
                .and_then(|r| r.first())
                .map(|r| role_text(&t, r))
                .unwrap_or_default(),
            name: p.name(),
        })
        .collect();
    html(&req, StatusCode::OK, remember, PeoplePage { t, people })
}

/// `GET /persone/{slug}`: one person's page.
pub async fn page(req: HttpRequest, state: web::Data<AppState>, slug: web::Path<String>) -> Page {
    let (t, remember) = language(&req);
    let profile = profile::profile(&state.archive.catalog, &slug)
        .await
        .or_page(&req)?
        .ok_or_else(|| PageError::not_found(&req))?;
    let origin = super::pages::base_url(&req, &state);
    let page = PersonPage {
        name: profile.person.name(),
        roles: profile.roles.iter().map(|r| role_text(&t, r)).collect(),
        attended: profile.attended.iter().map(SessionLink::from).collect(),
        spoken: profile
            .spoken
            .iter()
            .map(|s| SpokenView {
                session: SessionLink::from(&s.session),
                secs: s.start_ms.max(0) / 1000,
                clock: clock(s.start_ms),
                snippet: s.snippet.clone(),
            })
            .collect(),
        votes: profile
            .votes
            .iter()
            .map(|v| VoteView {
                session: SessionLink::from(&v.session),
                item: item_text(&v.vote),
                outcome: outcome_text(&t, v.vote.outcome),
                choice: t.s(&format!("vote.{}", v.choice)).to_string(),
            })
            .collect(),
        json_ld: script_json(&person_ld(&profile, &origin)),
        alert: state
            .archive
            .config
            .alerts_enabled()
            .then(|| super::pages::AlertForm {
                legend: t.f("alerts.form_person_legend", profile.person.name()),
                q: String::new(),
                body: String::new(),
                kind: String::new(),
                organo: String::new(),
                persona: profile.person.slug.clone(),
            }),
        t,
    };
    html(&req, StatusCode::OK, remember, page)
}

fn item_text(v: &VoteRow) -> String {
    match &v.item_number {
        Some(n) if !v.item_title.is_empty() => format!("{n}. {}", v.item_title),
        Some(n) => n.clone(),
        None => v.item_title.clone(),
    }
}

/// schema.org `Person`, each role an `OrganizationRole` of the comune's body.
fn person_ld(p: &Profile, origin: &str) -> Value {
    let roles: Vec<Value> = p
        .roles
        .iter()
        .map(|r| {
            let mut role = json!({
                "@type": "OrganizationRole",
                "roleName": r.role.as_str(),
                "startDate": r.from,
                "memberOf": {"@type": "Organization", "name": r.body.as_ref().map(|b| b.name.as_str()).unwrap_or("Comune")},
            });
            if let Some(to) = &r.to {
                role["endDate"] = to.clone().into();
            }
            role
        })
        .collect();
    json!({
        "@context": "https://schema.org",
        "@type": "Person",
        "name": p.person.name(),
        "givenName": p.person.given_name,
        "familyName": p.person.family_name,
        "url": format!("{origin}{}", person_url(&p.person.slug)),
        "memberOf": roles,
    })
}

fn person_json(p: &PersonRow) -> Value {
    json!({
        "slug": p.slug,
        "name": p.name(),
        "given_name": p.given_name,
        "family_name": p.family_name,
        "url": person_url(&p.slug),
        "api": format!("/api/v1/people/{}", p.slug),
    })
}

/// `GET /api/v1/people`: the roster with each person's roles.
pub async fn api_list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let catalog = &state.archive.catalog;
    let mut roles = catalog.everyones_roles().await?;
    let people: Vec<Value> = catalog
        .people()
        .await?
        .iter()
        .map(|p| {
            let mut json = person_json(p);
            json["roles"] =
                serde_json::to_value(roles.remove(&p.id).unwrap_or_default()).unwrap_or_default();
            json
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=10"))
        .json(json!({ "people": people })))
}

/// `GET /api/v1/people/{slug}`: one person's profile.
pub async fn api_person(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let Some(p) = profile::profile(&state.archive.catalog, &slug).await? else {
        return Err(ApiError::not_found(
            "No such person",
            format!("nobody in the roster has the address {:?}", slug.as_str()),
        ));
    };
    let mut json = person_json(&p.person);
    json["roles"] = serde_json::to_value(&p.roles).unwrap_or_default();
    json["attended"] = serde_json::to_value(&p.attended).unwrap_or_default();
    json["spoken"] = p
        .spoken
        .iter()
        .map(|s| {
            json!({
                "session": s.session,
                "start_seconds": s.start_ms as f64 / 1000.0,
                "url": format!("{}?t={}", page_url(s.session.id), s.start_ms.max(0) / 1000),
                "snippet": s.snippet,
                "inferred": s.inferred,
            })
        })
        .collect();
    json["votes"] = p
        .votes
        .iter()
        .map(|v| {
            json!({
                "session": v.session,
                "item_number": v.vote.item_number,
                "item_title": v.vote.item_title,
                "outcome": v.vote.outcome,
                "vote": v.choice,
            })
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=10"))
        .json(json))
}

const VOTES_HEADER: [&str; 16] = [
    "session_id",
    "date",
    "body",
    "item_number",
    "item_title",
    "outcome",
    "present",
    "voting",
    "in_favour",
    "against",
    "abstained",
    "unanimous",
    "problem",
    "source",
    "person",
    "vote",
];

/// `GET /api/v1/votes.csv`: every vote of the public sessions, one row per vote and one
/// more per person whose vote is known.
pub async fn votes_csv(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let catalog = &state.archive.catalog;
    // Two reads, not one per session: the sessions, and all their votes, grouped here.
    let mut by_session: std::collections::HashMap<i64, Vec<VoteRow>> =
        std::collections::HashMap::new();
    for v in catalog.public_votes().await? {
        by_session.entry(v.session_id).or_default().push(v);
    }
    let all: Vec<(SessionRow, Vec<VoteRow>)> = catalog
        .sessions_with_votes()
        .await?
        .into_iter()
        .filter_map(|s| {
            let votes = by_session.remove(&s.id)?;
            Some((s, votes))
        })
        .collect();
    let body = csv_bytes(&VOTES_HEADER, |writer| write_votes(writer, &all));
    Ok(csv_download("votazioni.csv", body))
}

fn write_votes(
    writer: &mut csv::Writer<Vec<u8>>,
    all: &[(SessionRow, Vec<VoteRow>)],
) -> csv::Result<()> {
    for (s, votes) in all {
        for v in votes {
            let n = |x: Option<i64>| x.map(|n| n.to_string()).unwrap_or_default();
            let mut row = vec![
                s.id.to_string(),
                text_cell(&s.date),
                text_cell(&s.body_name),
                text_cell(v.item_number.as_deref().unwrap_or("")),
                text_cell(&v.item_title),
                v.outcome.map(|o| o.to_string()).unwrap_or_default(),
                n(v.counts.present),
                n(v.counts.voting),
                n(v.counts.in_favour),
                n(v.counts.against),
                n(v.counts.abstained),
                u8::from(v.unanimous).to_string(),
                text_cell(v.problem.as_deref().unwrap_or("")),
                v.source.to_string(),
                String::new(),
                String::new(),
            ];
            writer.write_record(&row)?;
            for pv in &v.people {
                row[14] = text_cell(&pv.person.slug);
                row[15] = pv.choice.to_string();
                writer.write_record(&row)?;
            }
        }
    }
    Ok(())
}

const PEOPLE_HEADER: [&str; 9] = [
    "slug",
    "given_name",
    "family_name",
    "role",
    "body",
    "group",
    "portfolio",
    "from",
    "to",
];

/// `GET /api/v1/people.csv`: the roster as open data, one row per role.
pub async fn people_csv(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut roles = state.archive.catalog.roster_roles().await?;
    roles.sort_by(|a, b| {
        (&a.family_name, &a.given_name, &a.slug, a.from).cmp(&(
            &b.family_name,
            &b.given_name,
            &b.slug,
            b.from,
        ))
    });
    let body = csv_bytes(&PEOPLE_HEADER, |writer| {
        for r in &roles {
            writer.write_record([
                text_cell(&r.slug),
                text_cell(&r.given_name),
                text_cell(&r.family_name),
                r.role.to_string(),
                text_cell(r.body.as_ref().map_or("", |b| b.name.as_str())),
                text_cell(r.party.as_deref().unwrap_or("")),
                text_cell(r.portfolio.as_deref().unwrap_or("")),
                r.from.iso(),
                r.to.map(|d| d.iso()).unwrap_or_default(),
            ])?;
        }
        Ok(())
    });
    Ok(csv_download("persone.csv", body))
}

/// A person's vote in words, for the session page.
pub fn choice_text(t: &Ui, c: VoteChoice) -> String {
    t.s(&format!("vote.{c}")).to_string()
}

/// A person named on a session page.
pub struct PersonLink {
    pub name: String,
    pub url: String,
    pub party: String,
}

impl PersonLink {
    fn of(p: &PersonRow, party: Option<&str>) -> PersonLink {
        PersonLink {
            name: p.name(),
            url: person_url(&p.slug),
            party: party.unwrap_or_default().to_string(),
        }
    }
}

/// A vote as the session page shows it.
pub struct VotePane {
    pub item: String,
    pub outcome: String,
    pub counts: String,
    /// Why the numbers cannot be right, in words; empty when they can.
    pub problem: String,
    pub from_minutes: bool,
    /// Each person whose vote is known, with it in words.
    pub people: Vec<(PersonLink, String)>,
}

/// The roll call and the votes of a session, as its page shows them.
#[derive(Default)]
pub struct RecordView {
    pub present: Vec<PersonLink>,
    pub absent: Vec<PersonLink>,
    pub attendance_from_minutes: bool,
    /// Votes on no item of the agenda (or when there is no agenda).
    pub other_votes: Vec<VotePane>,
}

fn vote_pane(t: &Ui, v: &VoteRow) -> VotePane {
    VotePane {
        item: item_text(v),
        outcome: outcome_text(t, v.outcome),
        counts: counts_text(t, v),
        problem: v
            .problem
            .as_deref()
            .map(|p| t.f("vote.problem", p))
            .unwrap_or_default(),
        from_minutes: v.source == crate::domain::Provenance::Minutes,
        people: v
            .people
            .iter()
            .map(|pv| (PersonLink::of(&pv.person, None), choice_text(t, pv.choice)))
            .collect(),
    }
}

/// Each agenda item's vote (by its number), and the session's roll call and other votes.
pub fn record_view(
    t: &Ui,
    agenda_numbers: &[Option<String>],
    attendance: &[crate::catalog::AttendanceRow],
    votes: &[VoteRow],
) -> (Vec<Option<VotePane>>, RecordView) {
    let (placed, elsewhere) = crate::people::votes_by_item(agenda_numbers, votes);
    let by_item = placed
        .into_iter()
        .map(|v| v.map(|v| vote_pane(t, v)))
        .collect();
    let mut record = RecordView {
        other_votes: elsewhere.into_iter().map(|v| vote_pane(t, v)).collect(),
        ..RecordView::default()
    };
    for a in attendance {
        let link = PersonLink::of(&a.person, a.party.as_deref());
        if a.present {
            record.present.push(link);
        } else {
            record.absent.push(link);
        }
        record.attendance_from_minutes |= a.source == crate::domain::Provenance::Minutes;
    }
    (by_item, record)
}
