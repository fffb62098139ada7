//! The admin API (`/api/v1/admin/…`): every call needs `Authorization: Bearer TOKEN` with a
//! token made by `aula token create` (the admin pages send the same token from a cookie).
//! Editors create and edit bodies, sessions and agendas, upload recordings and documents,
//! reprocess, publish and withhold, and cut ranges out of the public media.

// The helpers here fail with the response to send; a large error on the cold path of an
// admin request costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

use tokio::io::AsyncWriteExt;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::api::{problem, SessionJson};
use super::AppState;
use crate::auth;
use crate::catalog::{
    BodyChange, BodyName, SessionDate, SessionPatch, SessionRow, SessionTitle, WithheldRange,
};
use crate::ingest::attach::{self, DocumentKind};
use crate::ingest::{self, IngestError};

/// The cookie the admin pages keep the token in.
pub const TOKEN_COOKIE: &str = "aula_admin";

/// The token a request carries: a bearer header, or the admin pages' cookie.
pub fn request_token(req: &HttpRequest) -> Option<String> {
    if let Some(header) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        return header
            .to_str()
            .ok()
            .and_then(auth::bearer)
            .map(str::to_string);
    }
    let cookies = req
        .headers()
        .get(actix_web::http::header::COOKIE)?
        .to_str()
        .ok()?;
    cookies
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == TOKEN_COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|t| !t.is_empty() && t.len() <= 200)
}

/// The token's name when the request carries a valid one; otherwise the 401 to send.
pub async fn authorize(req: &HttpRequest, state: &AppState) -> Result<String, HttpResponse> {
    let unauthorized = |detail: &str| {
        let mut response = problem(StatusCode::UNAUTHORIZED, "Not authorised", detail);
        response.headers_mut().insert(
            actix_web::http::header::WWW_AUTHENTICATE,
            actix_web::http::header::HeaderValue::from_static("Bearer realm=\"aula admin\""),
        );
        response
    };
    if let Some(wait) = state.failed_attempts.blocked_for(req) {
        let mut response = problem(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many failed attempts",
            "too many wrong tokens came from this address: wait and try again",
        );
        if let Ok(value) = wait.as_secs().max(1).to_string().parse() {
            response
                .headers_mut()
                .insert(actix_web::http::header::RETRY_AFTER, value);
        }
        return Err(response);
    }
    let Some(token) = request_token(req) else {
        return Err(unauthorized(
            "send Authorization: Bearer TOKEN (tokens are made with 'aula token create')",
        ));
    };
    match state
        .archive
        .catalog
        .use_token(&auth::token_hash(&token))
        .await
    {
        Ok(Some(name)) => Ok(name),
        Ok(None) => {
            state.failed_attempts.failed(req);
            Err(unauthorized("the token is not valid"))
        }
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

/// Runs `authorize` and returns early with its 401.
macro_rules! authorized {
    ($req:expr, $state:expr) => {
        match authorize(&$req, &$state).await {
            Ok(who) => who,
            Err(response) => return response,
        }
    };
}

fn bad_request(title: &str, detail: &str) -> HttpResponse {
    problem(StatusCode::BAD_REQUEST, title, detail)
}

fn internal(error: impl std::fmt::Display + 'static) -> HttpResponse {
    tracing::error!(%error, "admin request failed");
    if crate::catalog::is_unavailable_error(&error) {
        return super::api::unavailable();
    }
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal error",
        "the change could not be made; the error has been logged",
    )
}

fn no_session(id: &str) -> HttpResponse {
    problem(
        StatusCode::NOT_FOUND,
        "No such session",
        &format!("there is no session {id}"),
    )
}

fn json_body<T>(
    body: Result<web::Json<T>, actix_web::Error>,
    shape: &str,
) -> Result<T, HttpResponse> {
    body.map(web::Json::into_inner).map_err(|e| {
        if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
            problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Body too large",
                "JSON bodies are limited to 64 KiB",
            )
        } else {
            bad_request("Bad body", &format!("{e}; send JSON like {shape}"))
        }
    })
}

fn rfc3339(t: Option<i64>) -> Value {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| Value::String(d.to_rfc3339()))
        .unwrap_or(Value::Null)
}

/// A session as editors see it: the public shape, its publication window and the ranges
/// withheld from its public media.
async fn admin_session(state: &AppState, id: i64) -> Result<Option<Value>, HttpResponse> {
    let catalog = &state.archive.catalog;
    let (row, ranges) =
        tokio::try_join!(catalog.session(id), catalog.withheld_ranges(id)).map_err(internal)?;
    let Some(row) = row else { return Ok(None) };
    let (from, until, stored) = (
        row.publish_from,
        row.publish_until,
        row.stored_state.clone(),
    );
    let mut value = serde_json::to_value(SessionJson::from(row)).map_err(internal)?;
    // What an editor set, beside what citizens see (`state`, which a window may hide).
    value["stored_state"] = stored.into();
    value["publish_from"] = rfc3339(from);
    value["publish_until"] = rfc3339(until);
    value["withheld_ranges"] = ranges
        .iter()
        .map(|r| {
            json!({
                "from_seconds": r.start_ms as f64 / 1000.0,
                "to_seconds": r.end_ms as f64 / 1000.0,
                "reason": r.reason,
            })
        })
        .collect();
    Ok(Some(value))
}

/// The session as it is now, after a change that may have changed what is public.
async fn answer_session(state: &AppState, id: i64, status: StatusCode) -> HttpResponse {
    state.media.forget_publication();
    match admin_session(state, id).await {
        Ok(Some(value)) => HttpResponse::build(status).json(value),
        Ok(None) => no_session(&id.to_string()),
        Err(response) => response,
    }
}

/// The session, or the 404 (or 500) to answer.
async fn existing_session(state: &AppState, id: i64) -> Result<SessionRow, HttpResponse> {
    match state.archive.catalog.session(id).await {
        Ok(Some(row)) => Ok(row),
        Ok(None) => Err(no_session(&id.to_string())),
        Err(e) => Err(internal(e)),
    }
}

fn parse_id(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().filter(|id| *id > 0)
}

const BODY_KINDS: [&str; 3] = ["council", "committee", "other"];

fn body_kind(kind: Option<&str>) -> Result<Option<&str>, HttpResponse> {
    match kind {
        None => Ok(None),
        Some(k) if BODY_KINDS.contains(&k) => Ok(Some(k)),
        Some(k) => Err(bad_request(
            "Bad kind",
            &format!("{k:?} is not a kind of body: use council, committee or other"),
        )),
    }
}

fn body_answer(change: BodyChange, status: StatusCode) -> HttpResponse {
    match change {
        BodyChange::Done(body) => HttpResponse::build(status).json(body),
        BodyChange::NotFound => {
            problem(StatusCode::NOT_FOUND, "No such body", "no body has that id")
        }
        BodyChange::NameTaken => problem(
            StatusCode::CONFLICT,
            "Name taken",
            "another body has that name already (case and accents aside)",
        ),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyFields {
    name: Option<String>,
    kind: Option<String>,
}

/// `POST /api/v1/admin/bodies` `{"name": "Commissione Urbanistica", "kind": "committee"}`
pub async fn create_body(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Result<web::Json<BodyFields>, actix_web::Error>,
) -> HttpResponse {
    let who = authorized!(req, state);
    let fields = match json_body(body, r#"{"name": "…", "kind": "committee"}"#) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let name = match BodyName::parse(fields.name.as_deref().unwrap_or_default()) {
        Ok(n) => n,
        Err(e) => return bad_request("Bad name", &e.to_string()),
    };
    let kind = match body_kind(fields.kind.as_deref()) {
        Ok(k) => k,
        Err(r) => return r,
    };
    match state.archive.catalog.create_body(&name, kind).await {
        Ok(change) => {
            tracing::info!(token = %who, name = name.as_str(), "body created");
            body_answer(change, StatusCode::CREATED)
        }
        Err(e) => internal(e),
    }
}

/// `PATCH /api/v1/admin/bodies/{id}` with a new name and/or kind.
pub async fn update_body(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Result<web::Json<BodyFields>, actix_web::Error>,
) -> HttpResponse {
    let who = authorized!(req, state);
    let Some(id) = parse_id(&id) else {
        return problem(
            StatusCode::NOT_FOUND,
            "No such body",
            "body ids are whole numbers",
        );
    };
    let fields = match json_body(body, r#"{"name": "…"}"#) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let name = match fields.name.as_deref().map(BodyName::parse).transpose() {
        Ok(n) => n,
        Err(e) => return bad_request("Bad name", &e.to_string()),
    };
    let kind = match body_kind(fields.kind.as_deref()) {
        Ok(k) => k,
        Err(r) => return r,
    };
    match state
        .archive
        .catalog
        .update_body(id, name.as_ref(), kind)
        .await
    {
        Ok(change) => {
            tracing::info!(token = %who, id, "body changed");
            body_answer(change, StatusCode::OK)
        }
        Err(e) => internal(e),
    }
}

/// Reads the editable fields of a session from a JSON object; `create` requires the
/// body, date and title.
async fn session_patch(
    state: &AppState,
    object: &Map<String, Value>,
    create: bool,
) -> Result<SessionPatch, HttpResponse> {
    const FIELDS: [&str; 7] = [
        "body",
        "date",
        "title",
        "kind",
        "number",
        "publish_from",
        "publish_until",
    ];
    if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(bad_request(
            "Unknown field",
            &format!(
                "{unknown:?} is not a field of a session: use {}",
                FIELDS.join(", ")
            ),
        ));
    }
    let text = |key: &str| -> Result<Option<String>, HttpResponse> {
        match object.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad_request("Bad field", &format!("{key} must be a string"))),
        }
    };
    let mut patch = SessionPatch::default();
    if let Some(body) = text("body")? {
        match state
            .archive
            .catalog
            .find_body(&body)
            .await
            .map_err(internal)?
        {
            Some(b) => patch.body_id = Some(b.id),
            None => {
                return Err(bad_request(
                    "Unknown body",
                    &format!(
                        "no body is named {body:?}: create it first (POST /api/v1/admin/bodies)"
                    ),
                ))
            }
        }
    }
    if let Some(date) = text("date")? {
        let date =
            SessionDate::parse(&date).map_err(|e| bad_request("Bad date", &e.to_string()))?;
        patch.date = Some(date.iso());
    }
    if let Some(title) = text("title")? {
        let title =
            SessionTitle::parse(&title).map_err(|e| bad_request("Bad title", &e.to_string()))?;
        patch.title = Some(title.as_str().to_string());
    }
    if let Some(kind) = text("kind")? {
        let kind = kind.trim();
        if kind.is_empty() || kind.len() > 40 {
            return Err(bad_request(
                "Bad kind",
                "kind is a short word, e.g. ordinary",
            ));
        }
        patch.kind = Some(kind.to_string());
    }
    match object.get("number") {
        None => {}
        Some(Value::Null) => patch.number = Some(None),
        Some(v) => match v.as_i64().filter(|n| *n >= 0) {
            Some(n) => patch.number = Some(Some(n)),
            None => {
                return Err(bad_request(
                    "Bad number",
                    "number is a whole number or null",
                ))
            }
        },
    }
    for key in ["publish_from", "publish_until"] {
        let at = match object.get(key) {
            None => continue,
            Some(Value::Null) => None,
            Some(Value::String(s)) => Some(
                chrono::DateTime::parse_from_rfc3339(s)
                    .map_err(|_| {
                        bad_request(
                            "Bad time",
                            &format!("{key}: {s:?} is not an RFC 3339 time, e.g. 2026-12-01T09:00:00+01:00"),
                        )
                    })?
                    .timestamp(),
            ),
            Some(_) => return Err(bad_request("Bad time", &format!("{key} is a string or null"))),
        };
        if key == "publish_from" {
            patch.publish_from = Some(at);
        } else {
            patch.publish_until = Some(at);
        }
    }
    if let (Some(Some(from)), Some(Some(until))) = (patch.publish_from, patch.publish_until) {
        if until <= from {
            return Err(bad_request(
                "Bad window",
                "publish_until must come after publish_from",
            ));
        }
    }
    if create && (patch.body_id.is_none() || patch.date.is_none() || patch.title.is_none()) {
        return Err(bad_request(
            "Missing field",
            "a new session needs body, date and title",
        ));
    }
    Ok(patch)
}

fn json_object(
    body: Result<web::Json<Value>, actix_web::Error>,
) -> Result<Map<String, Value>, HttpResponse> {
    match json_body(body, r#"{"title": "…"}"#)? {
        Value::Object(map) => Ok(map),
        _ => Err(bad_request("Bad body", "send a JSON object")),
    }
}

/// `POST /api/v1/admin/sessions`: a session announced before its recording.
pub async fn create_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Result<web::Json<Value>, actix_web::Error>,
) -> HttpResponse {
    let who = authorized!(req, state);
    let object = match json_object(body) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let patch = match session_patch(&state, &object, true).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let catalog = &state.archive.catalog;
    let created = catalog
        .create_pending_session(
            patch.body_id.unwrap_or_default(),
            patch.date.as_deref().unwrap_or_default(),
            patch.title.as_deref().unwrap_or_default(),
            patch.kind.as_deref().unwrap_or("ordinary"),
            patch.number.flatten(),
            (patch.publish_from.flatten(), patch.publish_until.flatten()),
        )
        .await;
    let id = match created {
        Ok(id) => id,
        Err(e) => return internal(e),
    };
    tracing::info!(token = %who, id, "session created");
    answer_session(&state, id, StatusCode::CREATED).await
}

/// `PATCH /api/v1/admin/sessions/{id}`: title, date, body, kind, number, publication window.
pub async fn update_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Result<web::Json<Value>, actix_web::Error>,
) -> HttpResponse {
    let who = authorized!(req, state);
    let Some(id) = parse_id(&id) else {
        return no_session(&id);
    };
    let object = match json_object(body) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let mut patch = match session_patch(&state, &object, false).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    // One end of the window given: check it against the other as stored.
    if let Ok(Some(row)) = state.archive.catalog.session(id).await {
        let from = patch.publish_from.unwrap_or(row.publish_from);
        let until = patch.publish_until.unwrap_or(row.publish_until);
        if let (Some(from), Some(until)) = (from, until) {
            if until <= from {
                return bad_request("Bad window", "publish_until must come after publish_from");
            }
        }
    }
    match state
        .archive
        .catalog
        .update_session(id, &std::mem::take(&mut patch))
        .await
    {
        Ok(true) => {
            tracing::info!(token = %who, id, "session changed");
            answer_session(&state, id, StatusCode::OK).await
        }
        Ok(false) => no_session(&id.to_string()),
        Err(e) => internal(e),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgendaFields {
    items: Vec<AgendaItemFields>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgendaItemFields {
    number: Option<String>,
    title: String,
    start_seconds: Option<f64>,
}

/// Seconds from the start of a recording, as milliseconds; at most a week.
fn seconds_to_ms(s: f64) -> Result<i64, HttpResponse> {
    if s.is_finite() && (0.0..=86_400.0 * 7.0).contains(&s) {
        Ok((s * 1000.0).round() as i64)
    } else {
        Err(bad_request(
            "Bad time",
            &format!("{s} is not a time in a recording: give seconds from its start"),
        ))
    }
}

/// `PUT /api/v1/admin/sessions/{id}/agenda`: the whole agenda, in order.
pub async fn replace_agenda(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Result<web::Json<AgendaFields>, actix_web::Error>,
) -> HttpResponse {
    let who = authorized!(req, state);
    let Some(id) = parse_id(&id) else {
        return no_session(&id);
    };
    let fields = match json_body(
        body,
        r#"{"items": [{"number": "1", "title": "…", "start_seconds": 65}]}"#,
    ) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if fields.items.len() > 500 {
        return bad_request("Too many items", "an agenda has at most 500 items");
    }
    let mut items = Vec::with_capacity(fields.items.len());
    for item in fields.items {
        let title = match SessionTitle::parse(&item.title) {
            Ok(t) => t.as_str().to_string(),
            Err(_) => {
                return bad_request(
                    "Bad item",
                    "every agenda item needs a title of at most 500 characters",
                )
            }
        };
        let start = match item.start_seconds.map(seconds_to_ms).transpose() {
            Ok(s) => s,
            Err(r) => return r,
        };
        let number = item
            .number
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty());
        items.push((number, title, start));
    }
    let catalog = &state.archive.catalog;
    if let Err(r) = existing_session(&state, id).await {
        return r;
    }
    if let Err(e) = catalog.replace_agenda(id, &items).await {
        return internal(e);
    }
    tracing::info!(token = %who, id, items = items.len(), "agenda replaced");
    match catalog.original_agenda(id).await {
        Ok(agenda) => HttpResponse::Ok().json(json!({ "agenda": agenda })),
        Err(e) => internal(e),
    }
}

#[derive(Debug, Deserialize)]
pub struct UploadParams {
    name: Option<String>,
    kind: Option<String>,
}

/// A file name from a client, reduced to its last component; None if nothing usable is
/// left (empty, `.`, `..`, control characters).
fn upload_name(name: Option<&str>) -> Option<String> {
    let name = name?.rsplit(['/', '\\']).next()?.trim();
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name.len() <= 255
        && !name.chars().any(char::is_control);
    ok.then(|| name.to_string())
}

/// Streams the request body into a private staging directory, refusing it (and keeping
/// nothing) past the upload limit. The directory goes away when the returned guard drops.
async fn receive_upload(
    req: &HttpRequest,
    state: &AppState,
    mut payload: web::Payload,
    name: &str,
) -> Result<((tempfile::TempDir, std::fs::File), std::path::PathBuf), HttpResponse> {
    let limit = state.archive.config.upload_limit;
    let too_large = || {
        problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Upload too large",
            &format!("uploads are limited to {limit} bytes (AULA_UPLOAD_LIMIT)"),
        )
    };
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let staging = state.archive.config.staging_dir();
    let (dir, lock) = crate::storage::uploads::begin(&staging).map_err(internal)?;
    let path = dir.path().join(name);
    let mut file = tokio::fs::File::create(&path).await.map_err(internal)?;
    let mut received: u64 = 0;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| bad_request("Upload interrupted", &e.to_string()))?;
        received += chunk.len() as u64;
        if received > limit {
            return Err(too_large());
        }
        file.write_all(&chunk).await.map_err(internal)?;
    }
    if received == 0 {
        return Err(bad_request(
            "Empty upload",
            "the request body is the file: it was empty",
        ));
    }
    file.sync_all().await.map_err(internal)?;
    Ok(((dir, lock), path))
}

/// Removes upload directories left in staging by a server that died mid-upload.
pub fn remove_dead_uploads(staging: &std::path::Path) -> usize {
    crate::storage::uploads::remove_dead_uploads(staging)
}

/// `POST /api/v1/admin/sessions/{id}/recordings?name=FILE`: the raw file as the body; it
/// becomes the session's next part and a transcode is queued.
pub async fn upload_recording(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    params: web::Query<UploadParams>,
    payload: web::Payload,
) -> HttpResponse {
    let who = authorized!(req, state);
    let Some(id) = parse_id(&id) else {
        return no_session(&id);
    };
    let Some(name) = upload_name(params.name.as_deref()) else {
        return bad_request("Bad name", "give the file's name: ?name=seduta.wmv");
    };
    if let Err(r) = existing_session(&state, id).await {
        return r;
    }
    let (_dir, path) = match receive_upload(&req, &state, payload, &name).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match ingest::add_recording(&state.archive, id, &path, &name).await {
        Ok((part, job_id)) => {
            tracing::info!(token = %who, id, part, job_id, file = %name, "recording uploaded");
            HttpResponse::Accepted()
                .json(json!({ "session_id": id, "part": part, "job_id": job_id }))
        }
        Err(IngestError::Probe { source, .. }) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Not a recording",
            &format!("{name}: {source}"),
        ),
        Err(IngestError::PartOfAnother { session_id, .. }) => problem(
            StatusCode::CONFLICT,
            "Already archived",
            &format!("{name} is already archived as part of session {session_id}"),
        ),
        Err(e) => internal(e),
    }
}

/// `POST /api/v1/admin/sessions/{id}/documents?kind=minutes&name=FILE`: the raw file as the
/// body; kept, read and indexed like documents given at ingest.
pub async fn upload_document(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    params: web::Query<UploadParams>,
    payload: web::Payload,
) -> HttpResponse {
    let who = authorized!(req, state);
    let Some(id) = parse_id(&id) else {
        return no_session(&id);
    };
    let Some(name) = upload_name(params.name.as_deref()) else {
        return bad_request("Bad name", "give the file's name: ?name=verbale.pdf");
    };
    let kind = match params.kind.as_deref() {
        Some("agenda") => DocumentKind::Agenda,
        Some("minutes") => DocumentKind::Minutes,
        Some("resolution") => DocumentKind::Resolution,
        Some("transcript") => DocumentKind::Transcript,
        Some("attachment") => DocumentKind::Attachment,
        Some("timed_agenda") => DocumentKind::TimedAgenda,
        _ => {
            return bad_request(
                "Bad kind",
                "kind is agenda, minutes, resolution, transcript, timed_agenda or attachment",
            )
        }
    };
    if let Err(r) = existing_session(&state, id).await {
        return r;
    }
    let (_dir, path) = match receive_upload(&req, &state, payload, &name).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let hashed = path.clone();
    let sha256 = match tokio::task::spawn_blocking(move || ingest::store::sha256_of(&hashed)).await
    {
        Ok(Ok(sha)) => sha,
        Ok(Err(e)) => return internal(e),
        Err(e) => return internal(e),
    };
    match state.archive.catalog.has_document(id, &sha256).await {
        Ok(false) => {}
        Ok(true) => {
            return problem(
                StatusCode::CONFLICT,
                "Already attached",
                &format!("session {id} already has a document with the content of {name}"),
            )
        }
        Err(e) => return internal(e),
    }
    let attached = match attach::attach(&state.archive, id, kind, &path).await {
        Ok(a) => a,
        Err(e) => return internal(e),
    };
    tracing::info!(token = %who, id, file = %name, problem = ?attached.problem, "document uploaded");
    let document = match state.archive.catalog.documents(id).await {
        Ok(docs) => docs.into_iter().rev().find(|d| d.original_name == name),
        Err(e) => return internal(e),
    };
    HttpResponse::Created().json(json!({
        "document": document.map(super::api::DocumentJson::from),
        "summary": attached.summary,
        "problem": attached.problem,
    }))
}

/// `POST /api/v1/admin/sessions/{id}/reprocess`: a new media version from the originals.
pub async fn reprocess(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let who = authorized!(req, state);
    let Some(id) = parse_id(&id) else {
        return no_session(&id);
    };
    let catalog = &state.archive.catalog;
    if let Err(r) = existing_session(&state, id).await {
        return r;
    }
    match catalog.queue_reprocess(id).await {
        Ok(Some(job_id)) => {
            tracing::info!(token = %who, id, job_id, "reprocess queued");
            HttpResponse::Accepted().json(json!({ "session_id": id, "job_id": job_id }))
        }
        Ok(None) => problem(
            StatusCode::CONFLICT,
            "No recording",
            "the session has no recording yet: upload one first",
        ),
        Err(e) => internal(e),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithholdFields {
    reason: String,
}

/// `POST /api/v1/admin/sessions/{id}/publish`
pub async fn publish(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let who = authorized!(req, state);
    let Some(id) = parse_id(&id) else {
        return no_session(&id);
    };
    match state.archive.catalog.set_withheld(id, None).await {
        Ok(true) => {
            tracing::info!(token = %who, id, "session published");
            answer_session(&state, id, StatusCode::OK).await
        }
        Ok(false) => no_session(&id.to_string()),
        Err(e) => internal(e),
    }
}

/// `POST /api/v1/admin/sessions/{id}/withhold` `{"reason": "…"}`: nothing of it is public
/// until it is published again.
pub async fn withhold(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Result<web::Json<WithholdFields>, actix_web::Error>,
) -> HttpResponse {
    let who = authorized!(req, state);
    let Some(id) = parse_id(&id) else {
        return no_session(&id);
    };
    let fields = match json_body(body, r#"{"reason": "…"}"#) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let reason = fields.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return bad_request("Bad reason", "say why, in at most 500 characters");
    }
    match state.archive.catalog.set_withheld(id, Some(reason)).await {
        Ok(true) => {
            tracing::info!(token = %who, id, reason, "session withheld");
            answer_session(&state, id, StatusCode::OK).await
        }
        Ok(false) => no_session(&id.to_string()),
        Err(e) => internal(e),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangesFields {
    ranges: Vec<RangeFields>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeFields {
    from_seconds: f64,
    to_seconds: f64,
    reason: Option<String>,
}

/// `PUT /api/v1/admin/sessions/{id}/withheld-ranges`: these ranges are cut from the public
/// media, as a new version made from the untouched originals.
pub async fn set_withheld_ranges(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Result<web::Json<RangesFields>, actix_web::Error>,
) -> HttpResponse {
    let who = authorized!(req, state);
    let Some(id) = parse_id(&id) else {
        return no_session(&id);
    };
    let fields = match json_body(
        body,
        r#"{"ranges": [{"from_seconds": 600, "to_seconds": 900, "reason": "…"}]}"#,
    ) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if fields.ranges.len() > 100 {
        return bad_request("Too many ranges", "at most 100 ranges");
    }
    let mut ranges = Vec::with_capacity(fields.ranges.len());
    for r in fields.ranges {
        let (start_ms, end_ms) = match (seconds_to_ms(r.from_seconds), seconds_to_ms(r.to_seconds))
        {
            (Ok(a), Ok(b)) => (a, b),
            (Err(resp), _) | (_, Err(resp)) => return resp,
        };
        if end_ms <= start_ms {
            return bad_request("Bad range", "each range ends after it starts");
        }
        let reason = r
            .reason
            .map(|s| s.trim().chars().take(500).collect::<String>());
        ranges.push(WithheldRange {
            start_ms,
            end_ms,
            reason,
        });
    }
    let catalog = &state.archive.catalog;
    let session = match existing_session(&state, id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    // A cut must leave something: compare with the recording's length where it is known.
    let total_ms: i64 = match catalog.recording_parts(id).await {
        Ok(parts) => parts.iter().map(|p| p.2.unwrap_or(0)).sum(),
        Err(e) => return internal(e),
    };
    let cut: i64 =
        crate::catalog::Cuts::new(ranges.iter().map(|r| (r.start_ms, r.end_ms)).collect())
            .ranges()
            .iter()
            .map(|(a, b)| (*b).min(total_ms) - (*a).min(total_ms))
            .sum();
    if total_ms > 0 && total_ms - cut < 1000 {
        return bad_request(
            "Nothing left",
            "the ranges cover the whole recording: withhold the session instead",
        );
    }
    match catalog.set_withheld_ranges(id, &ranges).await {
        Ok(Some(job_id)) => {
            state.media.forget_publication();
            tracing::info!(token = %who, id, job_id, ranges = ranges.len(), state = %session.state, "withheld ranges set");
            let listed: Vec<Value> = ranges
                .iter()
                .map(|r| json!({"from_seconds": r.start_ms as f64 / 1000.0, "to_seconds": r.end_ms as f64 / 1000.0, "reason": r.reason}))
                .collect();
            HttpResponse::Accepted()
                .json(json!({ "session_id": id, "job_id": job_id, "ranges": listed }))
        }
        Ok(None) => problem(
            StatusCode::CONFLICT,
            "No recording",
            "the session has no recording to cut",
        ),
        Err(e) => internal(e),
    }
}

#[derive(Debug, Deserialize)]
pub struct JobsParams {
    state: Option<String>,
}

/// A job as the admin API shows it.
pub fn job_json(job: &crate::catalog::JobRow) -> Value {
    json!({
        "id": job.id, "kind": job.kind, "session_id": job.session_id, "state": job.state,
        "attempts": job.attempts, "max_attempts": job.max_attempts, "progress": job.progress,
        "speed": job.speed, "eta_seconds": job.eta_seconds, "error": job.error,
        "created_at": job.created_at, "updated_at": job.updated_at,
    })
}

/// `GET /api/v1/admin/jobs?state=failed`
pub async fn list_jobs(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: Result<web::Query<JobsParams>, actix_web::Error>,
) -> HttpResponse {
    authorized!(req, state);
    let filter = match params.as_ref().map(|p| p.state.as_deref()) {
        Ok(None) => None,
        Ok(Some(s @ ("queued" | "running" | "done" | "failed"))) => Some(s),
        _ => return bad_request("Bad state", "state is queued, running, done or failed"),
    };
    match state.archive.catalog.jobs(filter, 200).await {
        Ok(jobs) => HttpResponse::Ok()
            .json(json!({ "jobs": jobs.iter().map(job_json).collect::<Vec<_>>() })),
        Err(e) => internal(e),
    }
}

/// `POST /api/v1/admin/jobs/{id}/retry`: a failed job queued again.
pub async fn retry_job(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let who = authorized!(req, state);
    let no_job = || problem(StatusCode::NOT_FOUND, "No such job", "no job has that id");
    let Some(id) = parse_id(&id) else {
        return no_job();
    };
    let catalog = &state.archive.catalog;
    match catalog.requeue_job(id).await {
        Ok(true) => tracing::info!(token = %who, id, "job retried"),
        Ok(false) => {
            return match catalog.job(id).await {
                Ok(Some(job)) => problem(
                    StatusCode::CONFLICT,
                    "Not failed",
                    &format!("job {id} is {}: only failed jobs are retried", job.state),
                ),
                Ok(None) => no_job(),
                Err(e) => internal(e),
            }
        }
        Err(e) => return internal(e),
    }
    match catalog.job(id).await {
        Ok(Some(job)) => HttpResponse::Ok().json(job_json(&job)),
        Ok(None) => no_job(),
        Err(e) => internal(e),
    }
}

#[derive(Debug, Deserialize)]
pub struct LimitParams {
    limit: Option<i64>,
}

/// `GET /api/v1/admin/unmapped`: the most requested unknown addresses.
pub async fn unmapped(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: Result<web::Query<LimitParams>, actix_web::Error>,
) -> HttpResponse {
    authorized!(req, state);
    let Ok(params) = params else {
        return bad_request("Bad limit", "limit is a whole number");
    };
    let limit = params.limit.unwrap_or(100).clamp(1, 1000);
    match state.archive.catalog.unmapped_report(limit).await {
        Ok(rows) => HttpResponse::Ok().json(json!({ "unmapped": rows })),
        Err(e) => internal(e),
    }
}

/// `GET /api/v1/admin/import-report`: what the last `aula import` found.
pub async fn import_report(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    authorized!(req, state);
    match state.archive.catalog.last_import_report().await {
        Ok(Some(r)) => {
            let mut value: Value = serde_json::from_str(&r.report).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut value {
                map.insert("started_at".into(), r.created_at.into());
                map.insert("file".into(), r.file.into());
                map.insert("dry_run".into(), r.dry_run.into());
            }
            HttpResponse::Ok().json(value)
        }
        Ok(None) => problem(
            StatusCode::NOT_FOUND,
            "No import yet",
            "no import has been run",
        ),
        Err(e) => internal(e),
    }
}
