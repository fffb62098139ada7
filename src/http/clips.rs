//! Clips of a public session as files: its MP4 (`/sedute/{id}/clip.mp4?da=&a=`), cut from
//! the published download by `crate::clips::cut`, and its captions
//! (`/sedute/{id}/clip.vtt?da=&a=`) timed from the clip's own start. The checks of the
//! stretch (`window`) and their messages (`window_message`) are shared with the clip page
//! (`/sedute/{id}?t=&fine=`, in `pages.rs`). A stretch that cannot be a clip is a 400
//! (times that cannot be read) or 422 (times that name no clip) in plain text saying why;
//! a session or media that is not public is a 404; nothing is cut for either.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::errors::PageError;
use super::i18n::Ui;
use super::AppState;
use crate::catalog::{PublicSession, SessionRow};
use crate::clips::cut::CutError;
use crate::clips::{Window, WindowError};
use crate::documents::transcript::{self, Cue};
use crate::domain::SessionState;
use crate::text::clock;

/// How long a browser may keep a clip without asking again: it must ask, since the same
/// address gives a new file when the session's media or captions change.
const CLIP_CACHE: &str = "public, no-cache";

#[derive(Debug, Deserialize)]
pub struct ClipParams {
    da: Option<String>,
    a: Option<String>,
}

/// The stretch from `start` to `end` (as links write times) of the published `session`,
/// if it can be a clip. A missing start is the session's beginning.
pub(super) fn window(
    state: &AppState,
    session: &SessionRow,
    start: Option<&str>,
    end: Option<&str>,
) -> Result<Window, WindowError> {
    let read = |text: &str| {
        super::pages::parse_start(text).ok_or_else(|| WindowError::Unreadable(text.trim().into()))
    };
    let start = match start.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => read(text)?,
        None => 0,
    };
    let end = match end.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => read(text)?,
        None => return Err(WindowError::Missing),
    };
    let duration_ms = session.duration_ms.unwrap_or(0).max(0) as u64;
    Window::new(
        start,
        end,
        duration_ms,
        state.archive.config.clip_max_seconds,
    )
}

/// A clip page asked for with its times as the form sends them (`?t=1:05&fine=2:30`): a
/// redirect to the clip's own address, in seconds, the one its page shares. None when the
/// query already is that address, or carries more than the two times.
pub(super) fn to_its_address(req: &HttpRequest, id: i64, window: Window) -> Option<HttpResponse> {
    let mut plain = true;
    for pair in req.query_string().split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name != "t" && name != "fine" {
            return None;
        }
        plain &= !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    }
    if plain {
        return None;
    }
    let Window { start_s, end_s } = window;
    let to = format!("{}?t={start_s}&fine={end_s}", crate::urls::page_url(id));
    Some(
        HttpResponse::Found()
            .insert_header((header::LOCATION, to))
            .finish(),
    )
}

/// The status of a stretch that cannot be a clip: 400 for times that cannot be read (or
/// no end), 422 for times that can but name no clip (the end before the start, beyond
/// the session, longer than allowed), as the API answers a well-formed but impossible
/// request (RFC 9110 §15.5.21).
pub(super) fn status_of(error: &WindowError) -> StatusCode {
    match error {
        WindowError::Missing | WindowError::Unreadable(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// Why a stretch cannot be a clip, in the reader's language.
pub(super) fn window_message(t: &Ui, error: &WindowError) -> String {
    let at = |s: &u64| clock(*s as i64 * 1000);
    match error {
        WindowError::Missing => t.s("clip.missing").to_string(),
        WindowError::Unreadable(text) => t.f("clip.unreadable", text),
        WindowError::EndNotAfterStart { start_s, end_s } => {
            t.f2("clip.end_not_after_start", at(end_s), at(start_s))
        }
        WindowError::BeyondSession { end_s, duration_s } => {
            t.f2("clip.beyond_session", at(end_s), at(duration_s))
        }
        WindowError::TooLong { length_s, max_s } => t.f2("clip.too_long", at(length_s), at(max_s)),
    }
}

/// A published session with its download, and the stretch asked of it.
struct Asked {
    session: SessionRow,
    cues: Vec<Cue>,
    /// `session/version` and the download's name in it.
    dir: String,
    mp4: String,
    window: Window,
}

/// What `clip.mp4` and `clip.vtt` both need, or the answer already: 404 for what is not
/// public, 400 for a stretch that cannot be a clip.
async fn asked(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
    params: &ClipParams,
) -> Result<Result<Asked, HttpResponse>, PageError> {
    let Ok(id) = id.parse::<i64>() else {
        return Err(PageError::missing());
    };
    let Some(PublicSession { session, cues, .. }) =
        state.archive.catalog.public_session(id).await?
    else {
        return Err(PageError::missing());
    };
    let (Some(dir), Some(mp4)) = (session.media_dir.clone(), session.mp4_file.clone()) else {
        return Err(PageError::missing());
    };
    if session.state != SessionState::Published {
        return Err(PageError::missing());
    }
    let window = match window(state, &session, params.da.as_deref(), params.a.as_deref()) {
        Ok(window) => window,
        Err(e) => {
            let t = Ui::for_request(req).0;
            let why = format!("{} {}", t.s("clip.invalid"), window_message(&t, &e));
            return Ok(Err(bad_clip(status_of(&e), &why)));
        }
    };
    let cues = cues
        .into_iter()
        .map(|c| Cue {
            start_ms: c.start_ms.max(0) as u64,
            end_ms: c.end_ms.max(0) as u64,
            speaker: c.speaker_name(),
            text: c.text,
        })
        .collect();
    Ok(Ok(Asked {
        session,
        cues,
        dir,
        mp4,
        window,
    }))
}

fn bad_clip(status: StatusCode, why: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!("{why}\n"))
}

/// A clip that cannot be cut now: 503 for a busy machine (try again), else the fault.
fn cut_failed(req: &HttpRequest, error: CutError) -> Result<HttpResponse, PageError> {
    match error {
        CutError::Busy => Ok(HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, "5"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .content_type("text/plain; charset=utf-8")
            .body(format!("{error}\n"))),
        other => Err(PageError::other(Some(req), other)),
    }
}

/// What `asked` needs, then where ffmpeg reads the published download and where the clip
/// really starts (its key frame); or the answer already. `captions` refuses a session
/// without any before anything is probed.
async fn prepared(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
    params: &ClipParams,
    captions: bool,
) -> Result<Result<(Asked, String, u64), HttpResponse>, PageError> {
    let asked = match asked(req, state, id, params).await? {
        Ok(asked) => asked,
        Err(answer) => return Ok(Err(answer)),
    };
    if captions && asked.cues.is_empty() {
        return Err(PageError::missing());
    }
    let input = state
        .archive
        .media
        .reader_address(&format!("{}/{}", asked.dir, asked.mp4))
        .await
        .map_err(|e| PageError::other(Some(req), e))?;
    match state.clips.start_of(&input, &asked.dir, asked.window).await {
        Ok(from_ms) => Ok(Ok((asked, input, from_ms))),
        Err(e) => cut_failed(req, e).map(Err),
    }
}

/// `GET /sedute/{id}/clip.mp4?da=START&a=END`: the stretch as an MP4 with its captions.
pub async fn clip_mp4(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    params: web::Query<ClipParams>,
) -> Result<HttpResponse, PageError> {
    let (asked, input, from_ms) = match prepared(&req, &state, &id, &params, false).await? {
        Ok(found) => found,
        Err(answer) => return Ok(answer),
    };
    let made = match state
        .clips
        .clip(&input, &asked.dir, asked.window, from_ms, &asked.cues)
        .await
    {
        Ok(made) => made,
        Err(e) => return cut_failed(&req, e),
    };
    let stored = tokio::task::spawn_blocking(move || crate::clips::cut::stored(&made.mp4))
        .await
        .map_err(|e| PageError::other(Some(&req), e))?
        .map_err(|e| PageError::other(Some(&req), e))?;
    let Window { start_s, end_s } = asked.window;
    let name = format!("seduta-{}-clip-{start_s}-{end_s}.mp4", asked.session.id);
    super::media::respond_made(
        &req,
        stored,
        CLIP_CACHE,
        &format!("inline; filename=\"{name}\""),
    )
    .ok_or_else(PageError::missing)
}

/// `GET /sedute/{id}/clip.vtt?da=START&a=END`: the captions of the stretch, timed from
/// the clip's start, as in its MP4.
pub async fn clip_vtt(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    params: web::Query<ClipParams>,
) -> Result<HttpResponse, PageError> {
    let (asked, _, from_ms) = match prepared(&req, &state, &id, &params, true).await? {
        Ok(found) => found,
        Err(answer) => return Ok(answer),
    };
    let cues = crate::clips::captions(&asked.cues, from_ms, asked.window.end_s * 1000);
    Ok(HttpResponse::Ok()
        .content_type("text/vtt; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, CLIP_CACHE))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(transcript::to_webvtt(&cues)))
}
