//! The public JSON API, version 1. Field names are a promise: later work adds fields, it
//! does not rename or remove them. Errors are RFC 9457 problem documents.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::AppState;
use crate::catalog::SessionRow;
use crate::search::{SearchError, SessionHit};

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
    pub state: String,
    pub state_reason: Option<String>,
    pub page_url: String,
    pub media: MediaJson,
}

pub fn page_url(session_id: i64) -> String {
    format!("/sedute/{session_id}")
}

pub fn media_url(dir: &str, file: &str) -> String {
    format!("/media/{dir}/{file}")
}

impl From<SessionRow> for SessionJson {
    fn from(s: SessionRow) -> Self {
        let published = s.state == "published";
        let url = |file: &Option<String>| match (&s.media_dir, file) {
            (Some(dir), Some(f)) if published => Some(media_url(dir, f)),
            _ => None,
        };
        SessionJson {
            id: s.id,
            media: MediaJson {
                master_playlist: url(&s.master_playlist),
                mp4: url(&s.mp4_file),
                poster: url(&s.poster_file),
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

/// An RFC 9457 problem document.
pub fn problem(status: StatusCode, title: &str, detail: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .json(serde_json::json!({
            "type": "about:blank",
            "title": title,
            "status": status.as_u16(),
            "detail": detail,
        }))
}

fn internal(error: impl std::fmt::Display) -> HttpResponse {
    tracing::error!(%error, "request failed");
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal error",
        "the archive could not answer; the error has been logged",
    )
}

#[derive(Debug, Deserialize)]
pub struct Paging {
    page: Option<i64>,
    per_page: Option<i64>,
}

pub async fn list_sessions(
    state: web::Data<AppState>,
    paging: Result<web::Query<Paging>, actix_web::Error>,
) -> HttpResponse {
    let Ok(paging) = paging else {
        return problem(
            StatusCode::BAD_REQUEST,
            "Bad paging",
            "page and per_page must be whole numbers",
        );
    };
    let per_page = paging.per_page.unwrap_or(50).clamp(1, 200);
    let page = paging.page.unwrap_or(1).max(1);
    let catalog = &state.archive.catalog;
    let (rows, total) = match tokio::try_join!(
        catalog.list_sessions(per_page, (page - 1).saturating_mul(per_page)),
        catalog.count_sessions()
    ) {
        Ok(v) => v,
        Err(e) => return internal(e),
    };
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=10"))
        .json(serde_json::json!({
            "page": page,
            "per_page": per_page,
            "total": total,
            "sessions": rows.into_iter().map(SessionJson::from).collect::<Vec<_>>(),
        }))
}

pub async fn session(state: web::Data<AppState>, id: web::Path<String>) -> HttpResponse {
    let Ok(id) = id.parse::<i64>() else {
        return problem(
            StatusCode::NOT_FOUND,
            "No such session",
            "session ids are whole numbers",
        );
    };
    let catalog = &state.archive.catalog;
    match tokio::try_join!(catalog.session(id), catalog.agenda(id)) {
        Ok((Some(row), agenda)) => {
            let mut json = serde_json::to_value(SessionJson::from(row)).unwrap_or_default();
            json["agenda"] = serde_json::to_value(agenda).unwrap_or_default();
            HttpResponse::Ok()
                .insert_header(("Cache-Control", "public, max-age=10"))
                .json(json)
        }
        Ok((None, _)) => problem(
            StatusCode::NOT_FOUND,
            "No such session",
            &format!("there is no session {id}"),
        ),
        Err(e) => internal(e),
    }
}

#[derive(Debug, Deserialize)]
pub struct SearchParams {
    pub q: Option<String>,
}

#[derive(Debug, Serialize)]
struct SearchResultJson {
    #[serde(flatten)]
    hit: SessionHit,
    page_url: String,
    /// The page at the best passage's time, when it has one.
    jump_url: Option<String>,
}

pub async fn search(state: web::Data<AppState>, params: web::Query<SearchParams>) -> HttpResponse {
    let q = params.q.clone().unwrap_or_default();
    match state.search.search(&q, 20) {
        Ok(hits) => HttpResponse::Ok()
            .insert_header(("Cache-Control", "public, max-age=10"))
            .json(serde_json::json!({
                "query": q,
                "results": hits.into_iter().map(|hit| {
                    let page_url = page_url(hit.session_id as i64);
                    let jump_url = hit.passages.iter().find_map(|p| p.start_seconds)
                        .map(|t| format!("{page_url}?t={t}"));
                    SearchResultJson { hit, page_url, jump_url }
                }).collect::<Vec<_>>(),
            })),
        Err(e @ SearchError::QueryTooLong(_)) => problem(
            StatusCode::BAD_REQUEST,
            "Query not accepted",
            &e.to_string(),
        ),
        Err(e) => internal(e),
    }
}

pub async fn not_found() -> HttpResponse {
    problem(
        StatusCode::NOT_FOUND,
        "Not found",
        "no such API resource; see /api/v1/sessions",
    )
}
