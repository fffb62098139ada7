//! The admin API (`/api/v1/admin/…`): every call needs `Authorization: Bearer TOKEN` with a
//! token made by `aula token create`. For now it sets when agenda items start; editing
//! sessions, uploads and publication windows come with the migration work.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::api::problem;
use super::AppState;
use crate::auth;

/// The token's name when the request carries a valid one; otherwise the 401 to send.
async fn authorize(req: &HttpRequest, state: &AppState) -> Result<String, HttpResponse> {
    let unauthorized = |detail: &str| {
        let mut response = problem(StatusCode::UNAUTHORIZED, "Not authorised", detail);
        response.headers_mut().insert(
            actix_web::http::header::WWW_AUTHENTICATE,
            actix_web::http::header::HeaderValue::from_static("Bearer realm=\"aula admin\""),
        );
        response
    };
    let Some(token) = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(auth::bearer)
    else {
        return Err(unauthorized(
            "send Authorization: Bearer TOKEN (tokens are made with 'aula token create')",
        ));
    };
    match state
        .archive
        .catalog
        .use_token(&auth::token_hash(token))
        .await
    {
        Ok(Some(name)) => Ok(name),
        Ok(None) => Err(unauthorized("the token is not valid")),
        Err(e) => {
            tracing::error!(error = %e, "token check failed");
            Err(problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "Catalog unavailable",
                "the token could not be checked; try again shortly",
            ))
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartTime {
    /// Seconds from the start of the recording; null clears the time.
    start_seconds: Option<f64>,
}

/// `PUT /api/v1/admin/sessions/{id}/agenda/{position}/start` with `{"start_seconds": 125}`.
pub async fn set_agenda_start(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Result<web::Json<StartTime>, actix_web::Error>,
) -> HttpResponse {
    let who = match authorize(&req, &state).await {
        Ok(who) => who,
        Err(response) => return response,
    };
    let (Ok(session_id), Ok(position)) = (path.0.parse::<i64>(), path.1.parse::<i64>()) else {
        return problem(
            StatusCode::NOT_FOUND,
            "No such agenda item",
            "session ids and positions are whole numbers",
        );
    };
    let Ok(body) = body else {
        return problem(
            StatusCode::BAD_REQUEST,
            "Bad body",
            "send JSON {\"start_seconds\": SECONDS} (or null to clear it)",
        );
    };
    let start_ms = match body.start_seconds {
        None => None,
        Some(s) if s.is_finite() && (0.0..=86_400.0 * 7.0).contains(&s) => {
            Some((s * 1000.0).round() as i64)
        }
        Some(s) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "Bad start time",
                &format!("{s} is not a time in a recording: give seconds from its start"),
            )
        }
    };
    match state
        .archive
        .catalog
        .set_agenda_times(session_id, &[(position, start_ms)])
        .await
    {
        Ok(0) => problem(
            StatusCode::NOT_FOUND,
            "No such agenda item",
            &format!("session {session_id} has no agenda item {position}"),
        ),
        Ok(_) => {
            tracing::info!(token = %who, session_id, position, ?start_ms, "agenda time set");
            HttpResponse::Ok().json(serde_json::json!({
                "session_id": session_id, "position": position, "start_ms": start_ms,
            }))
        }
        Err(e) => {
            tracing::error!(error = %e, "setting an agenda time failed");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error",
                "the change could not be saved; the error has been logged",
            )
        }
    }
}
