//! Live sessions over HTTP. Public: `GET /api/v1/sessions/{id}/live`, whether the stream
//! has started, ended, or is in the archive (what a live page asks to follow it). Admin:
//! `POST …/sessions/{id}/live` arms a session for the
//! chamber's encoder and answers, once, the address and the stream key to set in it;
//! asking again gives a new key and the old one opens nothing. `GET` says where the
//! encoder is (scheduled, live, ended) without the key; `POST …/live/end` ends the stream
//! now (the gavel fell) rather than after the reconnect window.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use serde::Deserialize;

use super::admin::{existing_session, session_id, Editor, Object};
use super::errors::ApiError;
use super::AppState;
use crate::catalog::LiveStream;
use crate::domain::LiveState;

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
        "starts_at": stream.starts_at,
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

/// What arming may say: when the stream is to start (`{"starts_at": "18:00"}`), for the
/// session's page. The body may be empty.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArmFields {
    #[serde(default, deserialize_with = "super::admin::not_null")]
    starts_at: Option<String>,
}

/// `HH:MM`, a time of day.
pub(super) fn is_clock(text: &str) -> bool {
    let b = text.as_bytes();
    let two = |i: usize| -> Option<u8> {
        let (t, u) = (b[i].checked_sub(b'0')?, b[i + 1].checked_sub(b'0')?);
        (t < 10 && u < 10).then(|| t * 10 + u)
    };
    b.len() == 5 && b[2] == b':' && two(0).is_some_and(|h| h < 24) && two(3).is_some_and(|m| m < 60)
}

fn arm_fields(body: &[u8]) -> Result<ArmFields, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ArmFields::default());
    }
    let fields = serde_json::from_slice::<Object<ArmFields>>(body)
        .map_err(|e| {
            ApiError::bad_request(
                "Bad body",
                format!("{e}; send JSON like {{\"starts_at\": \"18:00\"}}, or nothing"),
            )
        })?
        .0;
    match &fields.starts_at {
        Some(t) if !is_clock(t) => Err(ApiError::bad_request(
            "Bad starts_at",
            format!("{t:?}: write when the session starts as HH:MM, e.g. 18:00"),
        )),
        _ => Ok(fields),
    }
}

/// `POST /api/v1/admin/sessions/{id}/live`
pub async fn arm(
    who: Editor,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    if state.live.is_none() {
        return Err(live_off());
    }
    let id = session_id(&id)?;
    let fields = arm_fields(&body)?;
    let (stream, key) = arm_with_new_key(&state, id, fields.starts_at.as_deref()).await?;
    tracing::info!(token = %who, id, "live session armed with a new stream key");
    let mut answer = stream_json(&stream);
    let (rtmp, srt) = push_addresses(&req, &state, &key);
    if let Some(rtmp) = rtmp {
        answer["rtmp_url"] = json!(rtmp);
    }
    if let Some(srt) = srt {
        answer["srt_url"] = json!(srt);
    }
    answer["stream_key"] = json!(key);
    Ok(HttpResponse::Ok().json(answer))
}

/// Arms session `id` (which must exist) under a new key, with its start time when given;
/// the key in clear, to be shown once.
pub(super) async fn arm_with_new_key(
    state: &AppState,
    id: i64,
    starts_at: Option<&str>,
) -> Result<(LiveStream, String), ApiError> {
    existing_session(state, id).await?;
    let key = format!(
        "live_{}",
        crate::auth::random_hex(16).map_err(ApiError::internal)?
    );
    let hash = crate::auth::token_hash(&key);
    let stream = state.archive.catalog.arm_live(id, &hash, starts_at).await?;
    Ok((stream, key))
}

/// Where an encoder pushes with `key`: the RTMP server's address (the key goes beside
/// it) and the whole SRT address, for the receivers this server runs.
pub(super) fn push_addresses(
    req: &HttpRequest,
    state: &AppState,
    key: &str,
) -> (Option<String>, Option<String>) {
    let config = &state.archive.config;
    let rtmp = config.live_rtmp.map(|bound| {
        let host = push_host(req, bound);
        format!("rtmp://{host}:{}/live", bound.port())
    });
    let srt = config.live_srt.map(|bound| {
        let host = push_host(req, bound);
        format!("srt://{host}:{}?streamid={key}", bound.port())
    });
    (rtmp, srt)
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

/// Whether players may load the stream's master playlist now (see `captions::master_ready`).
pub(super) async fn live_ready(state: &AppState, stream: &LiveStream) -> bool {
    let hls = crate::live::hls_dir(state.archive.data_dir(), stream.session_id);
    stream.state == LiveState::Live && crate::live::captions::master_ready(&hls).await
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
    answer["ready"] = json!(live_ready(&state, &stream).await);
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-cache"))
        .json(answer))
}

#[cfg(test)]
mod tests {
    use super::{arm_fields, is_clock};

    #[test]
    fn a_start_time_is_a_time_of_day_or_nothing() {
        assert!(is_clock("18:00") && is_clock("00:00") && is_clock("23:59"));
        for bad in ["24:00", "18:60", "8:00", "18.00", "18:00 ", "ab:cd", ""] {
            assert!(!is_clock(bad), "{bad}");
        }
        assert_eq!(arm_fields(b"").unwrap().starts_at, None);
        assert_eq!(
            arm_fields(b"{\"starts_at\": \"18:30\"}")
                .unwrap()
                .starts_at
                .as_deref(),
            Some("18:30")
        );
        assert!(arm_fields(b"{\"starts_at\": \"6pm\"}").is_err());
        assert!(arm_fields(b"{\"start\": \"18:00\"}").is_err());
        assert!(arm_fields(b"[\"18:00\"]").is_err());
        assert!(arm_fields(b"{\"starts_at\": null}").is_err());
    }
}
