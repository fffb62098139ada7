//! The public JSON API, version 1. Field names are a promise: later work adds fields, it
//! does not rename or remove them. Errors are RFC 9457 problem documents.

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::errors::ApiError;
use super::AppState;
use chrono::NaiveDate;

use crate::catalog::{Body, DocumentRow, SessionRow};
use crate::domain::{DocumentKind, ExtractionState, SessionState};
use crate::search::{SearchRequest, SearchResults, Sort};

#[derive(Debug, Serialize)]
pub struct BodyJson {
    pub id: i64,
    pub name: String,
    pub slug: String,
}

#[derive(Debug, Serialize)]
pub struct MediaJson {
    pub master_playlist: Option<String>,
    pub mp4: Option<String>,
    pub poster: Option<String>,
    /// The audio-only HLS rung (a slow link).
    pub audio_playlist: Option<String>,
    /// The sound alone, as an M4A download.
    pub audio: Option<String>,
    /// WebVTT map of the seek thumbnails.
    pub thumbnails: Option<String>,
    /// What ingest noticed about the source (truncated, damaged between …), one per line.
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct SessionJson {
    pub id: i64,
    pub body: BodyJson,
    pub date: String,
    pub title: String,
    pub kind: String,
    pub number: Option<i64>,
    pub duration_seconds: Option<f64>,
    /// pending, processing, published, failed, withheld
    pub state: SessionState,
    pub state_reason: Option<String>,
    pub page_url: String,
    pub media: MediaJson,
}

/// A session's document as the API lists it.
#[derive(Debug, Serialize)]
pub struct DocumentJson {
    pub id: i64,
    pub kind: DocumentKind,
    pub name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub url: String,
    /// ok, empty (no text found) or failed (unreadable), with the reason in `text_note`
    pub text_state: ExtractionState,
    pub text_note: Option<String>,
}

impl From<DocumentRow> for DocumentJson {
    fn from(d: DocumentRow) -> Self {
        DocumentJson {
            url: format!("/documenti/{}", d.id),
            id: d.id,
            kind: d.kind,
            name: d.original_name,
            media_type: d.media_type,
            size_bytes: d.size_bytes,
            text_state: d.extraction_state,
            text_note: d.extraction_note,
        }
    }
}

use crate::urls::page_url;

impl From<SessionRow> for SessionJson {
    fn from(s: SessionRow) -> Self {
        let url = |file| crate::urls::published_media_url(&s, file);
        SessionJson {
            id: s.id,
            media: MediaJson {
                master_playlist: url(&s.master_playlist),
                mp4: url(&s.mp4_file),
                poster: url(&s.poster_file),
                audio_playlist: url(&s.audio_playlist),
                audio: url(&s.audio_file),
                thumbnails: url(&s.thumbnails_vtt),
                warnings: s
                    .warnings
                    .as_deref()
                    .filter(|_| s.state == SessionState::Published)
                    .map(|w| w.lines().map(str::to_string).collect())
                    .unwrap_or_default(),
            },
            body: BodyJson {
                id: s.body_id,
                name: s.body_name,
                slug: s.body_slug,
            },
            page_url: page_url(s.id),
            date: s.date,
            title: s.title,
            kind: s.kind,
            number: s.number,
            duration_seconds: s.duration_ms.map(|ms| ms as f64 / 1000.0),
            state: s.state,
            state_reason: s.state_reason,
        }
    }
}

/// The last page anyone may ask for (the OpenAPI document says so too).
const MAX_PAGE: i64 = 1_000_000;
/// The most sessions in one page of the list.
const MAX_PER_PAGE: i64 = 200;
/// The most results in one page of a search.
const MAX_SEARCH_PER_PAGE: usize = 100;

#[derive(Debug, Deserialize)]
pub struct Paging {
    page: Option<i64>,
    per_page: Option<i64>,
}

pub async fn list_sessions(
    state: web::Data<AppState>,
    paging: Result<web::Query<Paging>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let paging = paging.map_err(|_| {
        ApiError::bad_request("Bad paging", "page and per_page must be whole numbers")
    })?;
    let per_page = paging.per_page.unwrap_or(50);
    let page = paging.page.unwrap_or(1);
    if !(1..=MAX_PER_PAGE).contains(&per_page) || !(1..=MAX_PAGE).contains(&page) {
        return Err(ApiError::bad_request(
            "Bad paging",
            format!("page is 1 to {MAX_PAGE}, per_page 1 to {MAX_PER_PAGE}"),
        ));
    }
    let catalog = &state.archive.catalog;
    let (rows, total) = tokio::try_join!(
        catalog.list_sessions(per_page, (page - 1).saturating_mul(per_page)),
        catalog.count_sessions()
    )?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=10"))
        .json(serde_json::json!({
            "page": page,
            "per_page": per_page,
            "total": total,
            "sessions": rows.into_iter().map(SessionJson::from).collect::<Vec<_>>(),
        })))
}

pub async fn session(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let Ok(id) = id.parse::<i64>() else {
        return Err(ApiError::not_found(
            "No such session",
            "session ids are whole numbers",
        ));
    };
    match state.archive.catalog.public_session(id).await? {
        Some(crate::catalog::PublicSession {
            session: row,
            agenda,
            documents,
            cues,
            transcribing,
        }) => {
            let crate::catalog::SessionRecord { attendance, votes } =
                state.archive.catalog.session_record(row.id).await?;
            let page = page_url(row.id);
            let automatic = cues.first().is_some_and(|c| c.source.is_automatic());
            let has_chapters = agenda.iter().any(|a| a.start_ms.is_some());
            let mut json = serde_json::to_value(SessionJson::from(row)).unwrap_or_default();
            json["agenda"] = agenda_json(agenda, &votes);
            json["votes"] = votes.iter().map(vote_json).collect();
            json["attendance"] = attendance.iter().map(attendance_json).collect();
            json["documents"] = serde_json::to_value(
                documents
                    .into_iter()
                    .map(DocumentJson::from)
                    .collect::<Vec<_>>(),
            )
            .unwrap_or_default();
            json["transcript"] = if cues.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::json!({
                    "vtt": format!("{page}/trascrizione.vtt"),
                    "srt": format!("{page}/trascrizione.srt"),
                    "automatic": automatic,
                })
            };
            json["transcribing"] = transcribing.into();
            json["chapters"] = if has_chapters {
                format!("{page}/capitoli.vtt").into()
            } else {
                serde_json::Value::Null
            };
            Ok(HttpResponse::Ok()
                .insert_header(("Cache-Control", "public, max-age=10"))
                .json(json))
        }
        None => Err(ApiError::not_found(
            "No such session",
            format!("there is no session {id}"),
        )),
    }
}

/// A vote as the API gives it: its counts, outcome, source and who voted how.
pub(super) fn vote_json(v: &crate::catalog::VoteRow) -> serde_json::Value {
    serde_json::json!({
        "item_number": v.item_number,
        "item_title": v.item_title,
        "outcome": v.outcome,
        "present": v.counts.present,
        "voting": v.counts.voting,
        "in_favour": v.counts.in_favour,
        "against": v.counts.against,
        "abstained": v.counts.abstained,
        "unanimous": v.unanimous,
        "problem": v.problem,
        "source": v.source,
        "people": v.people.iter().map(|p| serde_json::json!({
            "person": p.person.slug,
            "name": p.person.name(),
            "vote": p.choice,
        })).collect::<Vec<_>>(),
    })
}

/// One person at a roll call, as the API gives it.
pub(super) fn attendance_json(a: &crate::catalog::AttendanceRow) -> serde_json::Value {
    serde_json::json!({
        "person": a.person.slug,
        "name": a.person.name(),
        "party": a.party,
        "present": a.present,
        "source": a.source,
    })
}

/// The agenda, each item with the vote taken on it or null (`people::votes_by_item`).
fn agenda_json(
    agenda: Vec<crate::catalog::AgendaItem>,
    votes: &[crate::catalog::VoteRow],
) -> serde_json::Value {
    let numbers: Vec<Option<String>> = agenda.iter().map(|a| a.number.clone()).collect();
    let (placed, _) = crate::people::votes_by_item(&numbers, votes);
    agenda
        .into_iter()
        .zip(placed)
        .map(|(item, vote)| {
            let mut json = serde_json::to_value(item).unwrap_or_default();
            json["vote"] = vote.map(vote_json).unwrap_or_default();
            json
        })
        .collect()
}

/// `GET /api/v1/bodies`: every body with its number of public sessions.
pub async fn bodies(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let bodies = state.archive.catalog.bodies_with_counts().await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=10"))
        .json(serde_json::json!({ "bodies": bodies })))
}

/// At most this many sessions go into one export, feed or sitemap (a sitemap file holds
/// 50,000 addresses).
pub const EXPORT_LIMIT: i64 = 45_000;

/// `GET /api/v1/sessions.csv`: the public catalog as open data.
pub async fn sessions_csv(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let rows = state.archive.catalog.list_sessions(EXPORT_LIMIT, 0).await?;
    let body = super::feeds::sessions_csv(&rows).into_bytes();
    Ok(super::feeds::csv_download("sedute.csv", body))
}

/// `GET /api/v1/openapi.json`: this API, described.
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .body(openapi_document())
}

/// The OpenAPI document as served: `docs/openapi.json` with its schemas, which are kept in
/// `docs/openapi-schemas.json`, put back in `components.schemas`. Both files are checked
/// by the tests (a unit test here, and swagger-parser on the served document).
pub fn openapi_document() -> &'static str {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text);
        let (Ok(mut doc), Ok(schemas)) = (
            parse(include_str!("../../docs/openapi.json")),
            parse(include_str!("../../docs/openapi-schemas.json")),
        ) else {
            // A unit test reads both files: this cannot ship.
            return String::from("{}");
        };
        doc["components"]["schemas"] = schemas["schemas"].clone();
        serde_json::to_string(&doc).unwrap_or_default()
    })
}

/// Search parameters, shared by the API and the search page.
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    pub q: Option<String>,
    /// body slug
    pub body: Option<String>,
    pub kind: Option<String>,
    /// YYYY-MM-DD or YYYY
    pub from: Option<String>,
    pub to: Option<String>,
    /// A person's address: only what they said.
    pub speaker: Option<String>,
    /// relevance (default), newest, oldest
    pub sort: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

/// Why search parameters were refused; the text is shown to the searcher.
#[derive(Debug, thiserror::Error)]
pub enum ParamError {
    #[error("{name}={value:?} is not a date: write YYYY-MM-DD or a year")]
    Date { name: &'static str, value: String },
    #[error("{name}={value:?} is not a whole number from 1 to {max}")]
    Number {
        name: &'static str,
        value: String,
        max: usize,
    },
    #[error("sort={0:?} is unknown: use relevance, newest or oldest")]
    Sort(String),
    #[error("there is no body {0:?}")]
    Body(String),
    #[error("kind={0:?} is unknown: use session, agenda_item, agenda, minutes, resolution, transcript or attachment")]
    Kind(String),
}

impl SearchParams {
    pub fn to_request(&self, bodies: &[Body]) -> Result<SearchRequest, ParamError> {
        let date = |name: &'static str,
                    value: &Option<String>,
                    end: bool|
         -> Result<Option<NaiveDate>, ParamError> {
            let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
                return Ok(None);
            };
            let err = || ParamError::Date {
                name,
                value: v.to_string(),
            };
            if v.len() == 4 {
                let year: i32 = v.parse().map_err(|_| err())?;
                let (m, d) = if end { (12, 31) } else { (1, 1) };
                return NaiveDate::from_ymd_opt(year, m, d)
                    .map(Some)
                    .ok_or_else(err);
            }
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| err())
        };
        let number = |name: &'static str,
                      value: &Option<String>,
                      default: usize,
                      max: usize|
         -> Result<usize, ParamError> {
            match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                None => Ok(default),
                Some(v) => v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| ParamError::Number {
                        name,
                        value: v.to_string(),
                        max,
                    }),
            }
        };
        let body_id = match self.body.as_deref().filter(|b| !b.is_empty()) {
            None => None,
            Some(slug) => Some(
                bodies
                    .iter()
                    .find(|b| b.slug == slug)
                    .map(|b| b.id)
                    .ok_or_else(|| ParamError::Body(slug.to_string()))?,
            ),
        };
        let kind = match self.kind.as_deref().filter(|k| !k.is_empty()) {
            None => None,
            Some(k) if k.parse::<crate::domain::PassageKind>().is_ok() => Some(k.to_string()),
            Some(k) => return Err(ParamError::Kind(k.to_string())),
        };
        let sort = match self.sort.as_deref().unwrap_or("") {
            "" | "relevance" => Sort::Relevance,
            "newest" => Sort::Newest,
            "oldest" => Sort::Oldest,
            other => return Err(ParamError::Sort(other.to_string())),
        };
        Ok(SearchRequest {
            text: self.q.clone().unwrap_or_default(),
            body_id,
            kind,
            from: date("from", &self.from, false)?,
            to: date("to", &self.to, true)?,
            speaker: self
                .speaker
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from),
            sort,
            page: number("page", &self.page, 1, MAX_PAGE as usize)?,
            per_page: number("per_page", &self.per_page, 20, MAX_SEARCH_PER_PAGE)?,
        })
    }
}

/// A session's page at a second of its recording.
pub fn page_url_at(session_id: i64, seconds: Option<u64>) -> String {
    match seconds {
        Some(t) => format!("{}?t={t}", page_url(session_id)),
        None => page_url(session_id),
    }
}

/// Runs a search for the API or a page: the results, or a message for the searcher.
/// What the searcher got wrong: the API says it in English (`Display`), the search page in
/// the reader's language (`pages::bad_search_text`).
#[derive(Debug)]
pub enum BadSearch {
    Param(ParamError),
    Query(crate::search::SearchError),
}

impl std::fmt::Display for BadSearch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadSearch::Param(e) => e.fmt(f),
            BadSearch::Query(e) => e.fmt(f),
        }
    }
}

/// Runs a search: `Err(Ok(_))` is the searcher's mistake (400), `Err(Err(_))` the archive's.
/// The bodies (to read `body=` and to name the hits' bodies) come from the catalog's recent
/// list, read again when it lacks the body asked for or one a hit is in.
pub async fn run_search(
    state: &AppState,
    params: &SearchParams,
) -> Result<(SearchResults, Arc<Vec<Body>>), Result<BadSearch, crate::search::SearchError>> {
    let catalog = &state.archive.catalog;
    let fault = |e: crate::catalog::CatalogError| Err(e.into());
    let mut bodies = catalog.bodies_recent().await.map_err(fault)?;
    let asked = params.body.as_deref().filter(|b| !b.is_empty());
    if asked.is_some_and(|slug| !bodies.iter().any(|b| b.slug == slug)) {
        bodies = Arc::new(catalog.bodies().await.map_err(fault)?);
    }
    let request = params
        .to_request(&bodies)
        .map_err(|e| Ok(BadSearch::Param(e)))?;
    let started = std::time::Instant::now();
    let found = state.search.search(&request);
    super::ops::METRICS.observe_search(started.elapsed());
    let results = match found {
        Ok(results) => results,
        Err(e) if e.is_bad_query() => return Err(Ok(BadSearch::Query(e))),
        Err(e) => return Err(Err(e)),
    };
    let known = |id: &u64| bodies.iter().any(|b| b.id as u64 == *id);
    let in_results = results.hits.iter().map(|h| &h.body_id);
    if !in_results
        .chain(results.bodies.iter().map(|(id, _)| id))
        .all(known)
    {
        bodies = Arc::new(catalog.bodies().await.map_err(fault)?);
    }
    Ok((results, bodies))
}

pub async fn search(
    state: web::Data<AppState>,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    refuse_empty_fields(&params)?;
    let (results, bodies) = match run_search(&state, &params).await {
        Ok(found) => found,
        Err(Ok(BadSearch::Param(ParamError::Body(slug)))) => {
            return Err(ApiError::not_found(
                "No such body",
                format!("there is no body {slug:?}; GET /api/v1/bodies lists them"),
            ))
        }
        Err(Ok(bad)) => {
            return Err(ApiError::bad_request(
                "Search not accepted",
                bad.to_string(),
            ))
        }
        Err(Err(e)) => return Err(e.into()),
    };
    let body = |id: u64| bodies.iter().find(|b| b.id as u64 == id);
    let hits: Vec<serde_json::Value> = results
        .hits
        .iter()
        .map(|hit| hit_json(hit, body(hit.body_id)))
        .collect();
    let facet_bodies: Vec<serde_json::Value> = results
        .bodies
        .iter()
        .filter_map(|(id, count)| {
            body(*id).map(|b| serde_json::json!({ "slug": b.slug, "name": b.name, "count": count }))
        })
        .collect();
    let years: Vec<serde_json::Value> = results
        .years
        .iter()
        .map(|(year, count)| serde_json::json!({ "year": year, "count": count }))
        .collect();
    // The roster is read only when there are speakers to name or a speaker was asked for
    // (none without a roster), not on every search.
    let people = if params.speaker.is_some() || !results.speakers.is_empty() {
        state.archive.catalog.people().await?
    } else {
        Vec::new()
    };
    if let Some(slug) = params.speaker.as_deref() {
        if !people.iter().any(|p| p.slug == slug) {
            return Err(ApiError::not_found(
                "No such person",
                format!(
                    "nobody in the roster has the address {slug:?}; GET /api/v1/people lists them"
                ),
            ));
        }
    }
    let speakers: Vec<serde_json::Value> = results
        .speakers
        .iter()
        .filter_map(|(slug, count)| {
            let p = people.iter().find(|p| &p.slug == slug)?;
            Some(serde_json::json!({ "slug": slug, "name": p.name(), "count": count }))
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=10"))
        .json(serde_json::json!({
            "query": params.q.clone().unwrap_or_default(),
            "total": results.total,
            "page": results.page,
            "per_page": results.per_page,
            "results": hits,
            "facets": { "bodies": facet_bodies, "years": years, "speakers": speakers },
            "note": (!results.unsearchable.is_empty()).then(|| format!(
                "{}: only common words (or words too long to be words), which are not searched on \
                 their own; add a word that says what was discussed, or put the words in quotes \
                 to find them as an exact phrase",
                results.unsearchable.join(", ")
            )),
        })))
}

/// The search form sends empty fields; the API says what it takes: a parameter with a
/// format or a list of values is given with one, or left out.
fn refuse_empty_fields(params: &SearchParams) -> Result<(), ApiError> {
    for (name, value) in [
        ("from", &params.from),
        ("to", &params.to),
        ("kind", &params.kind),
        ("sort", &params.sort),
    ] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(ApiError::bad_request(
                "Search not accepted",
                format!("{name} is empty: give a value or leave it out"),
            ));
        }
    }
    Ok(())
}

/// One session found, with its passages, each linking to its second.
fn hit_json(hit: &crate::search::SessionHit, body: Option<&Body>) -> serde_json::Value {
    let id = hit.session_id as i64;
    let passages: Vec<serde_json::Value> = hit
        .passages
        .iter()
        .map(|p| {
            serde_json::json!({
                "kind": p.kind,
                "snippet_html": p.snippet_html,
                "start_seconds": p.start_seconds,
                "speaker": p.speaker,
                "person": p.person,
                "url": page_url_at(id, p.start_seconds),
            })
        })
        .collect();
    serde_json::json!({
        "session_id": hit.session_id,
        "title": hit.title,
        "body": hit.body,
        "body_slug": body.map(|b| b.slug.as_str()),
        "date": hit.date,
        "score": hit.score,
        "page_url": page_url(id),
        "jump_url": hit.passages.iter().find_map(|p| p.start_seconds).map(|t| page_url_at(id, Some(t))),
        "passages": passages,
    })
}

pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found(
        "Not found",
        "no such API resource; see /api/v1/sessions",
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_served_openapi_document_is_whole() {
        let doc: serde_json::Value = serde_json::from_str(super::openapi_document()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        // Every schema a path names is there.
        let text = super::openapi_document();
        for (at, _) in text.match_indices("#/components/schemas/") {
            let name: String = text[at + 21..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            assert!(schemas.contains_key(&name), "missing schema {name}");
        }
    }
}
