//! Live sessions over HTTP. Public: `GET /api/v1/sessions/{id}/live`, whether the stream
//! has started, ended, or is in the archive (what a live page asks to follow it). Admin:
//! `POST …/sessions/{id}/live` arms a session for the
//! chamber's encoder and answers, once, the address and the stream key to set in it;
//! asking again gives a new key and the old one opens nothing. `GET` says where the
//! encoder is (scheduled, live, ended) without the key; `POST …/live/end` ends the stream
//! now (the gavel fell) rather than after the reconnect window.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::admin::{existing_session, session_id, Editor};
use super::errors::ApiError;
use super::AppState;
use crate::catalog::LiveStream;

/// The host an encoder is told to push to: the configured address, or, when it listens
/// on every interface, the host this request came to.
fn push_host(req: &HttpRequest, bound: std::net::SocketAddr) -> String {
    if bound.ip().is_unspecified() {
        let info = req.connection_info();
        let host = info.host();
        host.rsplit_once(':')
            .map_or(host, |(name, _)| name)
            .to_string()
    } else {
        bound.ip().to_string()
    }
}

fn stream_json(stream: &LiveStream) -> Value {
    json!({
        "session_id": stream.session_id,
        "state": stream.state,
        "started_at": stream.started_at,
        "ended_at": stream.ended_at,
        "playlist": format!("/live/{}/{}", stream.session_id, crate::live::package::MASTER),
    })
}

fn live_off() -> ApiError {
    ApiError::conflict(
        "Live sessions are off",
        "this server takes no live streams: set AULA_LIVE_RTMP (live_rtmp) or AULA_LIVE_SRT \
         (live_srt) to the address encoders push to, e.g. 0.0.0.0:1935 or 0.0.0.0:9000",
    )
}

/// `POST /api/v1/admin/sessions/{id}/live`
pub async fn arm(
    who: Editor,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if state.live.is_none() {
        return Err(live_off());
    }
    let id = session_id(&id)?;
    existing_session(&state, id).await?;
    let key = format!(
        "live_{}",
        crate::auth::random_hex(16).map_err(ApiError::internal)?
    );
    let stream = state
        .archive
        .catalog
        .arm_live(id, &crate::auth::token_hash(&key))
        .await?;
    tracing::info!(token = %who, id, "live session armed with a new stream key");
    let mut answer = stream_json(&stream);
    let config = &state.archive.config;
    if let Some(bound) = config.live_rtmp {
        let host = push_host(&req, bound);
        answer["rtmp_url"] = json!(format!("rtmp://{host}:{}/live", bound.port()));
    }
    if let Some(bound) = config.live_srt {
        let host = push_host(&req, bound);
        answer["srt_url"] = json!(format!("srt://{host}:{}?streamid={key}", bound.port()));
    }
    answer["stream_key"] = json!(key);
    Ok(HttpResponse::Ok().json(answer))
}

/// `GET /api/v1/admin/sessions/{id}/live`
pub async fn status(
    _: Editor,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&id)?;
    existing_session(&state, id).await?;
    match state.archive.catalog.live_stream(id).await? {
        Some(stream) => Ok(HttpResponse::Ok().json(stream_json(&stream))),
        None => Err(ApiError::new(
            actix_web::http::StatusCode::NOT_FOUND,
            "Not a live session",
            format!("session {id} was never armed for a live stream"),
        )),
    }
}

/// `POST /api/v1/admin/sessions/{id}/live/end`
pub async fn end(
    who: Editor,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let hub = state.live.as_ref().ok_or_else(live_off)?;
    let id = session_id(&id)?;
    existing_session(&state, id).await?;
    if !hub.end(id).await {
        return Err(ApiError::conflict(
            "Not live",
            format!("session {id} has no encoder pushing or waiting to come back"),
        ));
    }
    tracing::info!(token = %who, id, "live session ended by an editor");
    Ok(HttpResponse::Accepted().json(json!({ "session_id": id })))
}

/// `GET /api/v1/sessions/{id}/live`: a public session's live stream, if it was armed.
pub async fn public_status(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let missing = || {
        ApiError::new(
            actix_web::http::StatusCode::NOT_FOUND,
            "No live stream",
            "no public session with this id has a live stream",
        )
    };
    let id = id
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(missing)?;
    let catalog = &state.archive.catalog;
    let session = catalog.session(id).await?.filter(|s| s.is_public());
    let (Some(session), Some(stream)) = (session, catalog.live_stream(id).await?) else {
        return Err(missing());
    };
    let mut answer = stream_json(&stream);
    answer["archived"] = json!(session.master_playlist.is_some());
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-cache"))
        .json(answer))
}
