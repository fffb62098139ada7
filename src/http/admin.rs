//! The admin API (`/api/v1/admin/…`): every call needs `Authorization: Bearer TOKEN` with a
//! token made by `aula token create` (the admin pages send the same token from a cookie).
//! Editors create and edit bodies, sessions and agendas, upload recordings and documents,
//! reprocess, publish and withhold, and cut ranges out of the public media.
//!
//! Handlers return `Result<HttpResponse, ApiError>` and use `?`: every refusal and every
//! fault goes out through `errors.rs`, never as a response built here. It must not touch
//! SQL (that is `catalog`) nor decide how a library failure is told (that is `errors.rs`).

use tokio::io::AsyncWriteExt;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::api::SessionJson;
use super::errors::ApiError;
use super::AppState;
use crate::auth;
use crate::catalog::{
    BodyChange, BodyName, SessionDate, SessionPatch, SessionRow, SessionTitle, WithheldRange,
};
use crate::domain::BodyKind;
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

/// The token's name when the request carries a valid one; otherwise the 401 (or 429, while
/// this address is blocked) to send.
pub async fn authorize(req: &HttpRequest, state: &AppState) -> Result<String, ApiError> {
    if let Some(wait) = state.failed_attempts.blocked_for(req) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many failed attempts",
            "too many wrong tokens came from this address: wait and try again",
        )
        .retry_after(wait.as_secs()));
    }
    let Some(token) = request_token(req) else {
        return Err(ApiError::Unauthorized(
            "send Authorization: Bearer TOKEN (tokens are made with 'aula token create')".into(),
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
            Err(ApiError::Unauthorized("the token is not valid".into()))
        }
        // Whatever the cause, the caller cannot be let in: a 503 says "not your token's
        // fault", without the Retry-After promise of a merely unreachable catalog.
        Err(e) => {
            tracing::error!(error = %e, "token check failed");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Catalog unavailable",
                "the token could not be checked; try again shortly",
            ))
        }
    }
}

/// An editor: the request carried a valid admin token. Taken as a handler's first
/// argument, so no handler can forget to ask; shown in the log as the token's name.
pub struct Editor(String);

impl std::fmt::Display for Editor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl actix_web::FromRequest for Editor {
    type Error = ApiError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Editor, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::internal("the admin API runs without its state"))?;
            authorize(&req, state).await.map(Editor)
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartTime {
    /// Seconds from the start of the recording; null clears the time. Required: a body
    /// without it is a mistake, not a request to clear.
    #[serde(deserialize_with = "nullable")]
    start_seconds: Option<f64>,
}

/// A field that must be sent, as a value or null (serde takes a missing `Option` field as
/// null unless the field has its own reader).
fn nullable<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d)
}

/// A field that may be left out but, when sent, is a value: null is refused, as the
/// API's schema says (serde alone takes null as left out).
pub(super) fn not_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// `PUT /api/v1/admin/sessions/{id}/agenda/{position}/start` with `{"start_seconds": 125}`.
pub async fn set_agenda_start(
    who: Editor,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Body<StartTime>,
) -> Result<HttpResponse, ApiError> {
    let (Ok(session_id), Ok(position)) = (path.0.parse::<i64>(), path.1.parse::<i64>()) else {
        return Err(ApiError::not_found(
            "No such agenda item",
            "session ids and positions are whole numbers",
        ));
    };
    let Ok(body) = body else {
        return Err(ApiError::bad_request(
            "Bad body",
            "send JSON {\"start_seconds\": SECONDS} (or null to clear it)",
        ));
    };
    let body = body.into_inner().0;
    let start_ms = match body.start_seconds {
        None => None,
        Some(s) => Some(ms_from_seconds(s).ok_or_else(|| not_a_time("Bad start time", s))?),
    };
    let changed = state
        .archive
        .catalog
        .set_agenda_times(session_id, &[(position, start_ms)])
        .await?;
    if changed == 0 {
        return Err(ApiError::not_found(
            "No such agenda item",
            format!("session {session_id} has no agenda item {position}"),
        ));
    }
    tracing::info!(token = %who, session_id, position, ?start_ms, "agenda time set");
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "session_id": session_id, "position": position, "start_ms": start_ms,
    })))
}

/// "There is no session `id`": the 404 of every call naming a session.
fn no_session(id: impl std::fmt::Display) -> ApiError {
    ApiError::not_found("No such session", format!("there is no session {id}"))
}

/// A request's JSON body: an object (see `Object`) read as `T`, or the error to answer.
pub type Body<T> = Result<web::Json<Object<T>>, actix_web::Error>;

/// A JSON object read as `T`. serde alone would also read a struct from an array of its
/// fields in order (`[null, null]` as a body's name and kind), which the API's schema
/// does not allow; schemathesis found it. The object is read first, then its fields.
#[derive(Debug)]
pub struct Object<T>(pub T);

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Object<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        let value = Value::Object(map);
        if has_control_text(&value) {
            return Err(serde::de::Error::custom(
                "text may hold tabs and line breaks but no other control characters",
            ));
        }
        serde_json::from_value(value)
            .map(Object)
            .map_err(serde::de::Error::custom)
    }
}

/// Whether any text in `value` holds a control character other than tab, CR or LF: never
/// meant by an editor, invisible on the pages, and refused by PostgreSQL (NUL) — a 500
/// there, found by schemathesis, where SQLite stored it.
fn has_control_text(value: &Value) -> bool {
    let control = |s: &str| {
        s.chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    };
    match value {
        Value::String(s) => control(s),
        Value::Array(items) => items.iter().any(has_control_text),
        Value::Object(map) => map.iter().any(|(k, v)| control(k) || has_control_text(v)),
        _ => false,
    }
}

pub(super) fn json_body<T>(body: Body<T>, shape: &str) -> Result<T, ApiError> {
    body.map(|json| json.into_inner().0).map_err(|e| {
        if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Body too large",
                "the body is larger than this call takes (64 KiB; an agenda or a record 1 MiB, a transcript 4 MiB)",
            )
        } else {
            ApiError::bad_request("Bad body", format!("{e}; send JSON like {shape}"))
        }
    })
}

fn rfc3339(t: Option<i64>) -> Value {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| Value::String(d.to_rfc3339()))
        .unwrap_or(Value::Null)
}

/// A withheld range as the admin API shows it: in seconds, as editors give it.
fn range_json(r: &WithheldRange) -> Value {
    json!({
        "from_seconds": r.start_ms as f64 / 1000.0,
        "to_seconds": r.end_ms as f64 / 1000.0,
        "reason": r.reason,
    })
}

/// A session as editors see it: the public shape, its publication window and the ranges
/// withheld from its public media.
async fn admin_session(state: &AppState, id: i64) -> Result<Option<Value>, ApiError> {
    let catalog = &state.archive.catalog;
    let (row, ranges) = tokio::try_join!(catalog.session(id), catalog.withheld_ranges(id))?;
    let Some(row) = row else { return Ok(None) };
    let (from, until, stored) = (row.publish_from, row.publish_until, row.stored_state);
    let mut value = serde_json::to_value(SessionJson::from(row)).map_err(ApiError::internal)?;
    // What an editor set, beside what citizens see (`state`, which a window may hide).
    value["stored_state"] = stored.as_str().into();
    value["publish_from"] = rfc3339(from);
    value["publish_until"] = rfc3339(until);
    value["withheld_ranges"] = ranges.iter().map(range_json).collect();
    Ok(Some(value))
}

/// The session as it is now, after a change that may have changed what is public.
async fn answer_session(
    state: &AppState,
    id: i64,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    state.media.forget_publication();
    let value = admin_session(state, id)
        .await?
        .ok_or_else(|| no_session(id))?;
    Ok(HttpResponse::build(status).json(value))
}

/// The session, or the 404 (or 500) to answer.
pub(super) async fn existing_session(state: &AppState, id: i64) -> Result<SessionRow, ApiError> {
    state
        .archive
        .catalog
        .session(id)
        .await?
        .ok_or_else(|| no_session(id))
}

fn parse_id(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().filter(|id| *id > 0)
}

/// A session id from the path, or the 404 naming what was asked for.
pub(super) fn session_id(text: &str) -> Result<i64, ApiError> {
    parse_id(text).ok_or_else(|| no_session(text))
}

fn body_kind(kind: Option<&str>) -> Result<Option<BodyKind>, ApiError> {
    kind.map(str::parse::<BodyKind>)
        .transpose()
        .map_err(|e| ApiError::bad_request("Bad kind", e.to_string()))
}

fn body_answer(change: BodyChange, status: StatusCode) -> Result<HttpResponse, ApiError> {
    match change {
        BodyChange::Done(body) => Ok(HttpResponse::build(status).json(body)),
        BodyChange::NotFound => Err(ApiError::not_found("No such body", "no body has that id")),
        BodyChange::NameTaken => Err(ApiError::conflict(
            "Name taken",
            "another body has that name already (case and accents aside)",
        )),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyFields {
    #[serde(default, deserialize_with = "not_null")]
    name: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    kind: Option<String>,
}

fn bad_name(e: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request("Bad name", e.to_string())
}

/// `POST /api/v1/admin/bodies` `{"name": "Commissione Urbanistica", "kind": "committee"}`
pub async fn create_body(
    who: Editor,
    state: web::Data<AppState>,
    body: Body<BodyFields>,
) -> Result<HttpResponse, ApiError> {
    let fields = json_body(body, r#"{"name": "…", "kind": "committee"}"#)?;
    let name = BodyName::parse(fields.name.as_deref().unwrap_or_default()).map_err(bad_name)?;
    let kind = body_kind(fields.kind.as_deref())?;
    let change = state.archive.catalog.create_body(&name, kind).await?;
    tracing::info!(token = %who, name = name.as_str(), "body created");
    body_answer(change, StatusCode::CREATED)
}

/// `PATCH /api/v1/admin/bodies/{id}` with a new name and/or kind.
pub async fn update_body(
    who: Editor,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body<BodyFields>,
) -> Result<HttpResponse, ApiError> {
    let Some(id) = parse_id(&id) else {
        return Err(ApiError::not_found(
            "No such body",
            "body ids are whole numbers",
        ));
    };
    let fields = json_body(body, r#"{"name": "…"}"#)?;
    let name = fields
        .name
        .as_deref()
        .map(BodyName::parse)
        .transpose()
        .map_err(bad_name)?;
    let kind = body_kind(fields.kind.as_deref())?;
    let change = state
        .archive
        .catalog
        .update_body(id, name.as_ref(), kind)
        .await?;
    tracing::info!(token = %who, id, "body changed");
    body_answer(change, StatusCode::OK)
}

/// The fields of a session an editor may set.
const SESSION_FIELDS: [&str; 7] = [
    "body",
    "date",
    "title",
    "kind",
    "number",
    "publish_from",
    "publish_until",
];

fn refuse_unknown_fields(object: &Map<String, Value>) -> Result<(), ApiError> {
    match object
        .keys()
        .find(|k| !SESSION_FIELDS.contains(&k.as_str()))
    {
        None => Ok(()),
        Some(unknown) => Err(ApiError::bad_request(
            "Unknown field",
            format!(
                "{unknown:?} is not a field of a session: use {}",
                SESSION_FIELDS.join(", ")
            ),
        )),
    }
}

/// The string at `key`, if given.
fn text_field(object: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::bad_request(
            "Bad field",
            format!("{key} must be a string"),
        )),
    }
}

/// The id of the body named in `body`, which must exist already.
async fn body_field(
    state: &AppState,
    object: &Map<String, Value>,
) -> Result<Option<i64>, ApiError> {
    let Some(body) = text_field(object, "body")? else {
        return Ok(None);
    };
    match state.archive.catalog.find_body(&body).await? {
        Some(b) => Ok(Some(b.id)),
        None => Err(ApiError::unprocessable(
            "Unknown body",
            format!("no body is named {body:?}: create it first (POST /api/v1/admin/bodies)"),
        )),
    }
}

fn date_field(object: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    let Some(date) = text_field(object, "date")? else {
        return Ok(None);
    };
    let date =
        SessionDate::parse(&date).map_err(|e| ApiError::bad_request("Bad date", e.to_string()))?;
    Ok(Some(date.iso()))
}

fn title_field(object: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    let Some(title) = text_field(object, "title")? else {
        return Ok(None);
    };
    let title = SessionTitle::parse(&title)
        .map_err(|e| ApiError::bad_request("Bad title", e.to_string()))?;
    Ok(Some(title.as_str().to_string()))
}

fn kind_field(object: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    let Some(kind) = text_field(object, "kind")? else {
        return Ok(None);
    };
    let kind = kind.trim();
    if kind.is_empty() || kind.chars().count() > 40 {
        return Err(ApiError::bad_request(
            "Bad kind",
            "kind is a short word, e.g. ordinary",
        ));
    }
    Ok(Some(kind.to_string()))
}

/// The largest session number (the OpenAPI document's `maximum`): a register's count, far
/// from any a council reaches.
const MAX_SESSION_NUMBER: i64 = 999_999_999;

/// A session number as JSON gives it: 7 or 7.0 (JSON does not tell them apart, and the
/// schema's "integer" takes both), from 0 to `MAX_SESSION_NUMBER`.
fn session_number(v: &Value) -> Option<i64> {
    // Every whole number up to the maximum is exact as an f64, integer or not in the JSON.
    let f = v.as_f64()?;
    (f.fract() == 0.0 && (0.0..=MAX_SESSION_NUMBER as f64).contains(&f)).then_some(f as i64)
}

/// The session's number: absent (unchanged), null (cleared) or a whole number.
fn number_field(object: &Map<String, Value>) -> Result<Option<Option<i64>>, ApiError> {
    match object.get("number") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(v) => match session_number(v) {
            Some(n) => Ok(Some(Some(n))),
            None => Err(ApiError::bad_request(
                "Bad number",
                format!("number is a whole number from 0 to {MAX_SESSION_NUMBER}, or null"),
            )),
        },
    }
}

/// An end of the publication window, as Unix seconds: absent (unchanged), null (cleared) or
/// an RFC 3339 time.
fn time_field(object: &Map<String, Value>, key: &str) -> Result<Option<Option<i64>>, ApiError> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(at) => Ok(Some(Some(at.timestamp()))),
            Err(_) => Err(ApiError::bad_request(
                "Bad time",
                format!("{key}: {s:?} is not an RFC 3339 time, e.g. 2026-12-01T09:00:00+01:00"),
            )),
        },
        Some(_) => Err(ApiError::bad_request(
            "Bad time",
            format!("{key} is a string or null"),
        )),
    }
}

/// A publication window must end after it starts (either end may be open).
fn check_window(from: Option<i64>, until: Option<i64>) -> Result<(), ApiError> {
    match (from, until) {
        (Some(from), Some(until)) if until <= from => Err(ApiError::unprocessable(
            "Bad window",
            "publish_until must come after publish_from",
        )),
        _ => Ok(()),
    }
}

/// Reads the editable fields of a session from a JSON object; `create` requires the
/// body, date and title.
async fn session_patch(
    state: &AppState,
    object: &Map<String, Value>,
    create: bool,
) -> Result<SessionPatch, ApiError> {
    refuse_unknown_fields(object)?;
    let patch = SessionPatch {
        body_id: body_field(state, object).await?,
        date: date_field(object)?,
        title: title_field(object)?,
        kind: kind_field(object)?,
        number: number_field(object)?,
        publish_from: time_field(object, "publish_from")?,
        publish_until: time_field(object, "publish_until")?,
    };
    check_window(patch.publish_from.flatten(), patch.publish_until.flatten())?;
    if create && (patch.body_id.is_none() || patch.date.is_none() || patch.title.is_none()) {
        return Err(ApiError::bad_request(
            "Missing field",
            "a new session needs body, date and title",
        ));
    }
    Ok(patch)
}

fn json_object(body: Body<Map<String, Value>>) -> Result<Map<String, Value>, ApiError> {
    json_body(body, r#"{"title": "…"}"#)
}

/// `POST /api/v1/admin/sessions`: a session announced before its recording.
pub async fn create_session(
    who: Editor,
    state: web::Data<AppState>,
    body: Body<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let object = json_object(body)?;
    let patch = session_patch(&state, &object, true).await?;
    let id = state
        .archive
        .catalog
        .create_pending_session(
            patch.body_id.unwrap_or_default(),
            patch.date.as_deref().unwrap_or_default(),
            patch.title.as_deref().unwrap_or_default(),
            patch.kind.as_deref().unwrap_or("ordinary"),
            patch.number.flatten(),
            (patch.publish_from.flatten(), patch.publish_until.flatten()),
        )
        .await?;
    tracing::info!(token = %who, id, "session created");
    answer_session(&state, id, StatusCode::CREATED).await
}

/// `PATCH /api/v1/admin/sessions/{id}`: title, date, body, kind, number, publication window.
pub async fn update_session(
    who: Editor,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&id)?;
    let object = json_object(body)?;
    let patch = session_patch(&state, &object, false).await?;
    // One end of the window given: check it against the other as stored. A failure to
    // read it is left to the update below to report.
    if let Ok(Some(row)) = state.archive.catalog.session(id).await {
        check_window(
            patch.publish_from.unwrap_or(row.publish_from),
            patch.publish_until.unwrap_or(row.publish_until),
        )?;
    }
    if !state.archive.catalog.update_session(id, &patch).await? {
        return Err(no_session(id));
    }
    tracing::info!(token = %who, id, "session changed");
    answer_session(&state, id, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgendaFields {
    items: Vec<Object<AgendaItemFields>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgendaItemFields {
    number: Option<String>,
    title: String,
    start_seconds: Option<f64>,
}

/// The longest recording a time may point into: a week.
const LONGEST_RECORDING_SECONDS: f64 = 86_400.0 * 7.0;

/// Seconds from the start of a recording, as milliseconds; None past a week or not a number.
fn ms_from_seconds(s: f64) -> Option<i64> {
    (s.is_finite() && (0.0..=LONGEST_RECORDING_SECONDS).contains(&s))
        .then(|| (s * 1000.0).round() as i64)
}

/// The refusal of `s` as a time in a recording, under `title`.
fn not_a_time(title: &'static str, s: f64) -> ApiError {
    ApiError::bad_request(
        title,
        format!("{s} is not a time in a recording: give seconds from its start"),
    )
}

/// Seconds from the start of a recording, as milliseconds; at most a week.
pub(super) fn seconds_to_ms(s: f64) -> Result<i64, ApiError> {
    ms_from_seconds(s).ok_or_else(|| not_a_time("Bad time", s))
}

/// An agenda item as the catalog stores it: number, title, start in milliseconds.
type AgendaItem = (Option<String>, String, Option<i64>);

/// The agenda an editor sent, checked item by item.
fn agenda_items(fields: Vec<AgendaItemFields>) -> Result<Vec<AgendaItem>, ApiError> {
    if fields.len() > 500 {
        return Err(ApiError::bad_request(
            "Too many items",
            "an agenda has at most 500 items",
        ));
    }
    let mut items = Vec::with_capacity(fields.len());
    for item in fields {
        let title = SessionTitle::parse(&item.title).map_err(|_| {
            ApiError::bad_request(
                "Bad item",
                "every agenda item needs a title of at most 500 characters",
            )
        })?;
        let start = item.start_seconds.map(seconds_to_ms).transpose()?;
        let number = item
            .number
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty());
        items.push((number, title.as_str().to_string(), start));
    }
    Ok(items)
}

/// `PUT /api/v1/admin/sessions/{id}/agenda`: the whole agenda, in order.
pub async fn replace_agenda(
    who: Editor,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body<AgendaFields>,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&id)?;
    let fields = json_body(
        body,
        r#"{"items": [{"number": "1", "title": "…", "start_seconds": 65}]}"#,
    )?;
    let items = agenda_items(fields.items.into_iter().map(|o| o.0).collect())?;
    let catalog = &state.archive.catalog;
    existing_session(&state, id).await?;
    catalog.replace_agenda(id, &items).await?;
    tracing::info!(token = %who, id, items = items.len(), "agenda replaced");
    let agenda = catalog.original_agenda(id).await?;
    Ok(HttpResponse::Ok().json(json!({ "agenda": agenda })))
}

#[derive(Debug, Deserialize)]
pub struct UploadParams {
    name: Option<String>,
    kind: Option<String>,
}

/// A file name from a client, by the rule the OpenAPI document states (so a name it
/// allows is never refused, nor one it refuses taken): at most 255 characters, none of
/// them a control character, `/` or `\\` (a name, not a path), and at least one that is
/// neither a space nor a dot (not `.` or `..`). Spaces around it are dropped; a name too
/// long for a file system (255 bytes) is shortened before its extension.
fn upload_name(name: Option<&str>) -> Option<String> {
    let name = name?;
    let ok = name.chars().count() <= 255
        && !name
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\')
        && name.chars().any(|c| !c.is_whitespace() && c != '.');
    ok.then(|| fit_file_name(name.trim(), 255))
}

/// The upload's `?name=`, or the 400 that says what a name may be (with an example).
fn named_upload(params: &UploadParams, example: &str) -> Result<String, ApiError> {
    upload_name(params.name.as_deref()).ok_or_else(|| {
        ApiError::bad_request(
            "Bad name",
            format!(
                "give the file's name (not a path, no control characters, at most 255 characters): ?name={example}"
            ),
        )
    })
}

/// `name` in at most `max` bytes: the stem is cut (at a character) and a short extension
/// kept, since ffprobe and the document readers go by it.
fn fit_file_name(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.len() <= 16 => (stem, format!(".{ext}")),
        _ => (name, String::new()),
    };
    let mut cut = max - extension.len();
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{extension}", stem[..cut].trim_end())
}

/// Streams the request body into a private staging directory, refusing it (and keeping
/// nothing) past the upload limit. The directory goes away when the returned guard drops.
async fn receive_upload(
    req: &HttpRequest,
    state: &AppState,
    mut payload: web::Payload,
    name: &str,
) -> Result<((tempfile::TempDir, std::fs::File), std::path::PathBuf), ApiError> {
    let limit = state.archive.config.upload_limit;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Upload too large",
            format!("uploads are limited to {limit} bytes (AULA_UPLOAD_LIMIT)"),
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
    let (dir, lock) = crate::storage::uploads::begin(&staging).map_err(ApiError::internal)?;
    let path = dir.path().join(name);
    let mut file = tokio::fs::File::create(&path)
        .await
        .map_err(ApiError::internal)?;
    let mut received: u64 = 0;
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request("Upload interrupted", e.to_string()))?;
        received += chunk.len() as u64;
        if received > limit {
            return Err(too_large());
        }
        file.write_all(&chunk).await.map_err(ApiError::internal)?;
    }
    if received == 0 {
        return Err(ApiError::unprocessable(
            "Empty upload",
            "the request body is the file: it was empty",
        ));
    }
    file.sync_all().await.map_err(ApiError::internal)?;
    Ok(((dir, lock), path))
}

/// Removes upload directories left in staging by a server that died mid-upload.
pub fn remove_dead_uploads(staging: &std::path::Path) -> usize {
    crate::storage::uploads::remove_dead_uploads(staging)
}

/// `POST /api/v1/admin/sessions/{id}/recordings?name=FILE`: the raw file as the body; it
/// becomes the session's next part and a transcode is queued.
pub async fn upload_recording(
    who: Editor,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    params: web::Query<UploadParams>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&id)?;
    let name = named_upload(&params, "seduta.wmv")?;
    existing_session(&state, id).await?;
    let (_dir, path) = receive_upload(&req, &state, payload, &name).await?;
    let (part, job_id) = ingest::add_recording(&state.archive, id, &path, &name)
        .await
        .map_err(|e| match e {
            IngestError::Probe { source, .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Not a recording",
                format!("{name}: {source}"),
            ),
            IngestError::PartOfAnother { session_id, .. } => ApiError::conflict(
                "Already archived",
                format!("{name} is already archived as part of session {session_id}"),
            ),
            e => e.into(),
        })?;
    tracing::info!(token = %who, id, part, job_id, file = %name, "recording uploaded");
    Ok(HttpResponse::Accepted().json(json!({ "session_id": id, "part": part, "job_id": job_id })))
}

/// `POST /api/v1/admin/sessions/{id}/documents?kind=minutes&name=FILE`: the raw file as the
/// body; kept, read and indexed like documents given at ingest.
pub async fn upload_document(
    who: Editor,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    params: web::Query<UploadParams>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&id)?;
    let name = named_upload(&params, "verbale.pdf")?;
    let kind = match params.kind.as_deref().map(str::parse::<DocumentKind>) {
        Some(Ok(kind)) => kind,
        _ => {
            return Err(ApiError::bad_request(
                "Bad kind",
                "kind is agenda, minutes, resolution, transcript, timed_agenda or attachment",
            ))
        }
    };
    existing_session(&state, id).await?;
    let (_dir, path) = receive_upload(&req, &state, payload, &name).await?;
    let hashed = path.clone();
    let sha256 = tokio::task::spawn_blocking(move || ingest::store::sha256_of(&hashed))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    if state.archive.catalog.has_document(id, &sha256).await? {
        return Err(ApiError::conflict(
            "Already attached",
            format!("session {id} already has a document with the content of {name}"),
        ));
    }
    let attached = attach::attach(&state.archive, id, kind, &path)
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(token = %who, id, file = %name, problem = ?attached.problem, "document uploaded");
    let documents = state.archive.catalog.documents(id).await?;
    let document = documents
        .into_iter()
        .rev()
        .find(|d| d.original_name == name);
    Ok(HttpResponse::Created().json(json!({
        "document": document.map(super::api::DocumentJson::from),
        "summary": attached.summary,
        "problem": attached.problem,
    })))
}

/// `POST /api/v1/admin/sessions/{id}/reprocess`: a new media version from the originals.
pub async fn reprocess(
    who: Editor,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&id)?;
    existing_session(&state, id).await?;
    let Some(job_id) = state.archive.catalog.queue_reprocess(id).await? else {
        return Err(ApiError::conflict(
            "No recording",
            "the session has no recording yet: upload one first",
        ));
    };
    tracing::info!(token = %who, id, job_id, "reprocess queued");
    Ok(HttpResponse::Accepted().json(json!({ "session_id": id, "job_id": job_id })))
}

/// `POST /api/v1/admin/sessions/{id}/transcribe`: an automatic transcript, heard by the
/// speech engine in a transcribe job (a queued one is reused).
pub async fn transcribe(
    who: Editor,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    use crate::jobs::transcribe::{ask, Asked};
    let id = session_id(&id)?;
    let refused = |title: &'static str, detail: &str| Err(ApiError::conflict(title, detail));
    match ask(&state.archive, id).await.map_err(|e| match e {
        crate::jobs::JobError::Catalog(e) => ApiError::from(e),
        other => ApiError::internal(other),
    })? {
        Asked::Queued { job_id, new } => {
            tracing::info!(token = %who, id, job_id, new, "transcription queued");
            Ok(HttpResponse::Accepted().json(json!({ "session_id": id, "job_id": job_id })))
        }
        Asked::NoSuchSession => Err(no_session(id)),
        Asked::HumanTranscript => refused(
            "Human transcript",
            "the session has a human transcript, which is kept: an automatic one never \
             replaces it",
        ),
        Asked::NoAudio => refused("No sound", "the session's recording has no sound"),
        Asked::NotPublished => refused(
            "Not published",
            "the session has no published media yet: transcribe it once it is published",
        ),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithholdFields {
    reason: String,
}

/// `POST /api/v1/admin/sessions/{id}/publish`
pub async fn publish(
    who: Editor,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&id)?;
    if !state.archive.catalog.set_withheld(id, None).await? {
        return Err(no_session(id));
    }
    tracing::info!(token = %who, id, "session published");
    answer_session(&state, id, StatusCode::OK).await
}

/// `POST /api/v1/admin/sessions/{id}/withhold` `{"reason": "…"}`: nothing of it is public
/// until it is published again.
pub async fn withhold(
    who: Editor,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body<WithholdFields>,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&id)?;
    let fields = json_body(body, r#"{"reason": "…"}"#)?;
    let reason = fields.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::bad_request(
            "Bad reason",
            "say why, in at most 500 characters",
        ));
    }
    if !state.archive.catalog.set_withheld(id, Some(reason)).await? {
        return Err(no_session(id));
    }
    tracing::info!(token = %who, id, reason, "session withheld");
    answer_session(&state, id, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangesFields {
    ranges: Vec<Object<RangeFields>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeFields {
    from_seconds: f64,
    to_seconds: f64,
    reason: Option<String>,
}

/// The ranges an editor sent, checked one by one.
fn withheld_ranges(fields: Vec<RangeFields>) -> Result<Vec<WithheldRange>, ApiError> {
    if fields.len() > 100 {
        return Err(ApiError::bad_request(
            "Too many ranges",
            "at most 100 ranges",
        ));
    }
    let mut ranges = Vec::with_capacity(fields.len());
    for r in fields {
        let start_ms = seconds_to_ms(r.from_seconds)?;
        let end_ms = seconds_to_ms(r.to_seconds)?;
        if end_ms <= start_ms {
            return Err(ApiError::unprocessable(
                "Bad range",
                "each range ends after it starts",
            ));
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
    Ok(ranges)
}

/// Whether cutting `ranges` from a recording of `total_ms` leaves at least a second of it
/// (a length of 0 is unknown: anything goes).
fn leaves_something(ranges: &[WithheldRange], total_ms: i64) -> bool {
    let cut: i64 =
        crate::catalog::Cuts::new(ranges.iter().map(|r| (r.start_ms, r.end_ms)).collect())
            .ranges()
            .iter()
            .map(|(a, b)| (*b).min(total_ms) - (*a).min(total_ms))
            .sum();
    total_ms <= 0 || total_ms - cut >= 1000
}

/// `PUT /api/v1/admin/sessions/{id}/withheld-ranges`: these ranges are cut from the public
/// media, as a new version made from the untouched originals.
pub async fn set_withheld_ranges(
    who: Editor,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body<RangesFields>,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&id)?;
    let fields = json_body(
        body,
        r#"{"ranges": [{"from_seconds": 600, "to_seconds": 900, "reason": "…"}]}"#,
    )?;
    let ranges = withheld_ranges(fields.ranges.into_iter().map(|o| o.0).collect())?;
    let catalog = &state.archive.catalog;
    let session = existing_session(&state, id).await?;
    // A cut must leave something: compare with the recording's length where it is known.
    let parts = catalog.recording_parts(id).await?;
    let total_ms: i64 = parts.iter().map(|p| p.duration_ms.unwrap_or(0)).sum();
    if !leaves_something(&ranges, total_ms) {
        return Err(ApiError::unprocessable(
            "Nothing left",
            "the ranges cover the whole recording: withhold the session instead",
        ));
    }
    let Some(job_id) = catalog.set_withheld_ranges(id, &ranges).await? else {
        return Err(ApiError::conflict(
            "No recording",
            "the session has no recording to cut",
        ));
    };
    state.media.forget_publication();
    tracing::info!(token = %who, id, job_id, ranges = ranges.len(), state = %session.state, "withheld ranges set");
    let listed: Vec<Value> = ranges.iter().map(range_json).collect();
    Ok(HttpResponse::Accepted()
        .json(json!({ "session_id": id, "job_id": job_id, "ranges": listed })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranscriptFields {
    cues: Vec<Object<CueFields>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CueFields {
    start_seconds: f64,
    end_seconds: f64,
    text: String,
    /// As `GET` gave it: read back and ignored (the server decides what was corrected).
    #[serde(default, rename = "source")]
    _source: Option<crate::domain::CueSource>,
}

/// Cues an editor may set at once, and characters in one.
const MAX_CUES: usize = 20_000;
const MAX_CUE_CHARS: usize = 1_000;

/// The cues an editor sent, checked one by one and put in time order.
fn edited_cues(fields: Vec<CueFields>) -> Result<Vec<crate::catalog::EditedCue>, ApiError> {
    if fields.len() > MAX_CUES {
        return Err(ApiError::bad_request(
            "Too many cues",
            format!("at most {MAX_CUES} cues"),
        ));
    }
    let mut cues = Vec::with_capacity(fields.len());
    for (n, c) in fields.into_iter().enumerate() {
        let (start_ms, end_ms) = (
            seconds_to_ms(c.start_seconds)?,
            seconds_to_ms(c.end_seconds)?,
        );
        let text = c.text.trim();
        let bad = |why: &str| {
            Err(ApiError::unprocessable(
                "Bad cue",
                format!("cue {}: {why}", n + 1),
            ))
        };
        if end_ms <= start_ms {
            return bad("it must end after it starts");
        }
        if text.is_empty() || text.chars().count() > MAX_CUE_CHARS {
            return bad(&format!(
                "its text must have 1 to {MAX_CUE_CHARS} characters"
            ));
        }
        cues.push(crate::catalog::EditedCue {
            start_ms,
            end_ms,
            text: text.to_string(),
        });
    }
    cues.sort_by_key(|c| (c.start_ms, c.end_ms));
    Ok(cues)
}

/// A cue as the transcript editor sees it: times in the published media.
fn cue_json(cue: &crate::catalog::CueRow) -> Value {
    json!({
        "start_seconds": cue.start_ms as f64 / 1000.0,
        "end_seconds": cue.end_ms as f64 / 1000.0,
        "text": cue.text,
        "source": cue.source,
    })
}

/// `GET /api/v1/admin/sessions/{id}/transcript`: the cues as the published media play
/// them, each saying whether a person, the speech engine or an editor wrote it.
pub async fn transcript(
    _: Editor,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&id)?;
    existing_session(&state, id).await?;
    let cues = state.archive.catalog.cues(id).await?;
    let listed: Vec<Value> = cues.iter().map(cue_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "session_id": id, "cues": listed })))
}

/// `PUT /api/v1/admin/sessions/{id}/transcript`: an editor's corrections of the automatic
/// transcript, the whole list as it should read (merged, split, retimed, retyped); what
/// differs from what the engine heard is kept when it hears the session again.
pub async fn correct_transcript(
    who: Editor,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body<TranscriptFields>,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&id)?;
    let fields = json_body(
        body,
        r#"{"cues": [{"start_seconds": 1.5, "end_seconds": 4, "text": "…"}]}"#,
    )?;
    let cues = edited_cues(fields.cues.into_iter().map(|o| o.0).collect())?;
    existing_session(&state, id).await?;
    let catalog = &state.archive.catalog;
    match catalog.correct_transcript(id, &cues).await? {
        crate::catalog::Correction::HumanTranscript => Err(ApiError::conflict(
            "Human transcript",
            "the session's transcript is a human one: upload a corrected file instead",
        )),
        crate::catalog::Correction::Stored { cues, corrected } => {
            tracing::info!(token = %who, id, cues, corrected, "transcript corrected");
            crate::people::reading::read_session(catalog, id).await?;
            let listed: Vec<Value> = catalog.cues(id).await?.iter().map(cue_json).collect();
            Ok(HttpResponse::Ok()
                .json(json!({ "session_id": id, "corrected": corrected, "cues": listed })))
        }
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
    _: Editor,
    state: web::Data<AppState>,
    params: Result<web::Query<JobsParams>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let filter = match params.as_ref().map(|p| p.state.as_deref()) {
        Ok(None) => None,
        Ok(Some(s)) => Some(
            s.parse::<crate::domain::JobState>()
                .map_err(|e| ApiError::bad_request("Bad state", e.to_string()))?,
        ),
        Err(e) => return Err(ApiError::bad_request("Bad query", e.to_string())),
    };
    let jobs = state.archive.catalog.jobs(filter, 200).await?;
    Ok(HttpResponse::Ok().json(json!({ "jobs": jobs.iter().map(job_json).collect::<Vec<_>>() })))
}

/// `POST /api/v1/admin/jobs/{id}/retry`: a failed job queued again.
pub async fn retry_job(
    who: Editor,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let no_job = || ApiError::not_found("No such job", "no job has that id");
    let id = parse_id(&id).ok_or_else(no_job)?;
    let catalog = &state.archive.catalog;
    if !catalog.requeue_job(id).await? {
        let job = catalog.job(id).await?.ok_or_else(no_job)?;
        return Err(ApiError::conflict(
            "Not failed",
            format!("job {id} is {}: only failed jobs are retried", job.state),
        ));
    }
    tracing::info!(token = %who, id, "job retried");
    let job = catalog.job(id).await?.ok_or_else(no_job)?;
    Ok(HttpResponse::Ok().json(job_json(&job)))
}

#[derive(Debug, Deserialize)]
pub struct LimitParams {
    limit: Option<i64>,
}

/// `GET /api/v1/admin/unmapped`: the most requested unknown addresses.
pub async fn unmapped(
    _: Editor,
    state: web::Data<AppState>,
    params: Result<web::Query<LimitParams>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let Ok(params) = params else {
        return Err(ApiError::bad_request(
            "Bad limit",
            "limit is a whole number",
        ));
    };
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request(
            "Bad limit",
            format!("limit is from 1 to 1000, not {limit}"),
        ));
    }
    let rows = state.archive.catalog.unmapped_report(limit).await?;
    Ok(HttpResponse::Ok().json(json!({ "unmapped": rows })))
}

/// `GET /api/v1/admin/import-report`: what the last `aula import` found.
pub async fn import_report(
    _: Editor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(r) = state.archive.catalog.last_import_report().await? else {
        return Err(ApiError::not_found(
            "No import yet",
            "no import has been run",
        ));
    };
    let report = crate::import::Report::from_json(&r.report);
    let mut value: Value = serde_json::to_value(report).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("started_at".into(), r.created_at.into());
        map.insert("file".into(), r.file.into());
        map.insert("dry_run".into(), r.dry_run.into());
    }
    Ok(HttpResponse::Ok().json(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::ResponseError;

    fn range(start_ms: i64, end_ms: i64) -> WithheldRange {
        WithheldRange {
            start_ms,
            end_ms,
            reason: None,
        }
    }

    fn object(json: Value) -> Map<String, Value> {
        match json {
            Value::Object(map) => map,
            _ => unreachable!("the tests give objects"),
        }
    }

    #[test]
    fn times_past_a_week_or_not_numbers_are_refused() {
        assert_eq!(ms_from_seconds(1.2345), Some(1235));
        assert_eq!(ms_from_seconds(LONGEST_RECORDING_SECONDS + 1.0), None);
        assert_eq!(ms_from_seconds(-1.0), None);
        assert_eq!(ms_from_seconds(f64::NAN), None);
    }

    #[test]
    fn a_cut_must_leave_a_second_of_a_known_recording() {
        assert!(leaves_something(&[range(0, 9_000)], 10_000));
        assert!(!leaves_something(&[range(0, 9_500)], 10_000));
        assert!(!leaves_something(
            &[range(0, 5_000), range(4_000, 60_000)],
            10_000
        ));
        assert!(leaves_something(&[range(0, 60_000)], 0));
    }

    #[test]
    fn ranges_end_after_they_start() {
        let fields = |from_seconds, to_seconds| RangeFields {
            from_seconds,
            to_seconds,
            reason: Some("  privacy  ".into()),
        };
        let ranges = withheld_ranges(vec![fields(1.0, 2.0)]).unwrap();
        assert_eq!((ranges[0].start_ms, ranges[0].end_ms), (1000, 2000));
        assert_eq!(ranges[0].reason.as_deref(), Some("privacy"));
        // Well formed (the schema cannot say "after"), so a 422, not a 400.
        let refused = withheld_ranges(vec![fields(2.0, 2.0)]).unwrap_err();
        assert_eq!(refused.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[test]
    fn upload_names_follow_the_documented_rule() {
        assert_eq!(
            upload_name(Some(" seduta 2009.wmv ")).as_deref(),
            Some("seduta 2009.wmv")
        );
        for refused in [
            None,
            Some(""),
            Some(" "),
            Some("."),
            Some(".."),
            Some("a/b.pdf"),
        ] {
            assert_eq!(upload_name(refused), None, "{refused:?}");
        }
        assert_eq!(upload_name(Some("c:\\odg.pdf")), None);
        assert_eq!(upload_name(Some("odg\u{7}.pdf")), None);
        assert_eq!(upload_name(Some(&"a".repeat(256))), None);
        // 255 characters are allowed; in more than 255 bytes they are shortened before
        // the extension, at a character boundary.
        let long = format!("{}.pdf", "è".repeat(251));
        let fitted = upload_name(Some(&long)).unwrap();
        assert!(fitted.len() <= 255 && fitted.ends_with("è.pdf"), "{fitted}");
    }

    #[test]
    fn bodies_are_objects_and_sent_fields_are_not_null() {
        let read = |v: Value| serde_json::from_value::<Object<BodyFields>>(v).map(|o| o.0);
        let fields = read(json!({"name": "Giunta"})).unwrap();
        assert_eq!(
            (fields.name.as_deref(), fields.kind),
            (Some("Giunta"), None)
        );
        // serde alone reads a struct from an array of its fields, and null as left out.
        assert!(read(json!([null, null])).is_err());
        assert!(read(json!({"name": null})).is_err());
        assert!(read(json!({"name": "Giunta", "kind": null})).is_err());
        // A start time must be sent: null clears it, nothing at all is a mistake.
        let start = |v: Value| serde_json::from_value::<Object<StartTime>>(v).map(|o| o.0);
        assert_eq!(
            start(json!({"start_seconds": null})).unwrap().start_seconds,
            None
        );
        assert_eq!(
            start(json!({"start_seconds": 5})).unwrap().start_seconds,
            Some(5.0)
        );
        assert!(start(json!({})).is_err());
        // No control characters but tab and line breaks, anywhere (PostgreSQL refuses NUL).
        assert!(read(json!({"name": "Giunta\u{0}"})).is_err());
        assert!(read(json!({"name": "Giunta\u{7f}"})).is_err());
        assert!(read(json!({"name": "Giunta\tcomunale\n"})).is_ok());
        let titled = serde_json::from_value::<Object<AgendaFields>>(
            json!({"items": [{"title": "Bilancio", "number": "1\u{0}"}]}),
        );
        assert!(titled.is_err());
        // Nested objects too.
        let ranges =
            serde_json::from_value::<Object<RangesFields>>(json!({"ranges": [[1.0, 2.0, null]]}));
        assert!(ranges.is_err());
    }

    #[test]
    fn session_fields_are_checked_by_name_and_type() {
        let unknown = refuse_unknown_fields(&object(json!({"titel": "x"}))).unwrap_err();
        assert!(unknown.to_string().contains("\"titel\" is not a field"));
        let o = object(json!({"number": null, "publish_from": "2026-12-01T09:00:00+01:00"}));
        assert_eq!(number_field(&o).unwrap(), Some(None));
        // 7.0 is the whole number 7 in JSON; 7.5 and -1 are not numbers of a session.
        assert_eq!(
            number_field(&object(json!({"number": 7.0}))).unwrap(),
            Some(Some(7))
        );
        assert!(number_field(&object(json!({"number": 7.5}))).is_err());
        assert!(number_field(&object(json!({"number": -1}))).is_err());
        assert!(number_field(&object(json!({"number": 1e300}))).is_err());
        assert!(number_field(&object(json!({"number": 1_000_000_000}))).is_err());
        assert_eq!(
            time_field(&o, "publish_from").unwrap(),
            Some(Some(1_796_112_000))
        );
        assert_eq!(time_field(&o, "publish_until").unwrap(), None);
        let bad = time_field(&object(json!({"publish_until": 5})), "publish_until");
        assert_eq!(bad.unwrap_err().status_code(), StatusCode::BAD_REQUEST);
        let window = check_window(Some(10), Some(10)).unwrap_err();
        assert_eq!(window.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(check_window(Some(10), None).is_ok());
    }
}
