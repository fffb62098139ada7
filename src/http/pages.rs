//! Server-rendered pages (askama templates in `web/templates`, escaped by default). The
//! player works without JavaScript; scripts only enhance.
//!
//! Handlers return `Result<HttpResponse, PageError>`: a page that cannot be shown goes
//! through `errors.rs` (404, 500, 503 in the reader's language); no error response is
//! built here by hand. Nothing here reads the database but through the catalog.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::api::{run_search, BadSearch, ParamError, SearchParams, EXPORT_LIMIT};
use super::errors::{OrPage, PageError};
use super::feeds::{self, FeedInfo};
use super::i18n::Ui;
use super::AppState;
use crate::catalog::{
    AgendaItem, Body, BodyCount, Catalog, CatalogError, DocumentRow, PublicSession, SessionRow,
};
use crate::documents::{timed_agenda, transcript};
// Named by the templates, which compare states and kinds as values, not as strings.
use crate::domain::{DocumentKind, ExtractionState, LiveState, SessionState};
use crate::search::SessionHit;
use crate::urls::{page_url, published_media_url};

/// A session as the templates show it, with its text already formatted.
pub struct SessionView {
    pub id: i64,
    pub url: String,
    pub title: String,
    pub body: String,
    pub date_iso: String,
    pub duration_text: String,
    pub state: crate::domain::SessionState,
    pub state_reason: String,
    pub master: Option<String>,
    pub mp4: Option<String>,
    pub poster: Option<String>,
    /// The sound alone (M4A), once published.
    pub audio: Option<String>,
    /// The audio-only HLS rung, for a slow link.
    pub audio_playlist: Option<String>,
    /// The WebVTT map of the seek thumbnails.
    pub thumbnails: Option<String>,
}

impl From<SessionRow> for SessionView {
    fn from(s: SessionRow) -> Self {
        let url = |file| published_media_url(&s, file);
        SessionView {
            master: url(&s.master_playlist),
            mp4: url(&s.mp4_file),
            poster: url(&s.poster_file),
            audio: url(&s.audio_file),
            audio_playlist: url(&s.audio_playlist),
            thumbnails: url(&s.thumbnails_vtt),
            id: s.id,
            url: page_url(s.id),
            duration_text: s.duration_ms.map(clock).unwrap_or_default(),
            title: s.title,
            body: s.body_name,
            date_iso: s.date,
            state: s.state,
            state_reason: s.state_reason.unwrap_or_default(),
        }
    }
}

pub struct AgendaView {
    pub number: String,
    pub title: String,
    pub start: Option<(u64, String)>,
    /// The vote taken on it, when one is known.
    pub vote: Option<super::people::VotePane>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    t: Ui,
    sessions: Vec<SessionView>,
    /// Bodies with public sessions.
    bodies: Vec<crate::catalog::BodyCount>,
}

#[derive(Template)]
#[template(path = "session.html")]
struct SessionPage {
    t: Ui,
    s: SessionView,
    has_captions: bool,
    /// The transcript is the speech engine's: the captions and the pane say so.
    automatic: bool,
    /// No transcript yet, and one is being made.
    transcribing: bool,
    has_chapters: bool,
    agenda: Vec<AgendaView>,
    /// The roll call and the votes on no agenda item.
    record: super::people::RecordView,
    documents: Vec<DocumentRow>,
    cues: Vec<CueView>,
    start_at: u64,
    /// The archive's address (`https://…`), for absolute links in metadata.
    origin: String,
    canonical: String,
    description: String,
    /// schema.org VideoObject (with the clip as its `Clip` part, on a clip's page).
    video: serde_json::Value,
    share_url: String,
    embed_code: String,
    /// The stretch shown as a clip (`?t=&fine=`).
    clip: Option<ClipView>,
    /// Why the stretch asked for cannot be a clip (the page answers 400 and shows it).
    clip_error: String,
    /// The longest clip, as a clock, for the form's hint.
    clip_max: String,
    /// The live stream, while the session has no published media yet.
    live: Option<LiveView>,
}

/// A live session as its page shows it before the archive has it.
struct LiveView {
    state: crate::domain::LiveState,
    /// When it is to start (`HH:MM`), if the editor said.
    starts_at: String,
    /// The live master playlist.
    playlist: String,
    /// Where the page asks whether the stream started or ended.
    status: String,
    /// Live, and its master playlist ready for players.
    ready: bool,
    /// Seconds behind the live point the player starts: time for live captions to come.
    hold: u32,
}

impl SessionPage {
    /// The VideoObject made safe to sit inside a script element.
    fn json_ld(&self) -> String {
        script_json(&self.video)
    }
}

/// A clip of the session, as its page shows it.
pub struct ClipView {
    pub start_s: u64,
    pub end_s: u64,
    pub start_clock: String,
    pub end_clock: String,
    /// "Title, 1:05–2:30": the page's title, and what a shared link shows.
    pub title: String,
    /// Its page, absolute.
    pub url: String,
    /// Its MP4 and its captions (when the session has any).
    pub mp4: String,
    pub vtt: Option<String>,
}

/// The form that follows a search or a body's sessions by e-mail (`alert_form.html`).
pub struct AlertForm {
    pub legend: String,
    pub q: String,
    pub body: String,
    pub kind: String,
    /// A body's slug, to follow its sessions rather than a search.
    pub organo: String,
    /// A person's slug, to follow the sessions where they speak or vote.
    pub persona: String,
}

/// A transcript line beside the video.
pub struct CueView {
    pub start_ms: i64,
    pub end_ms: i64,
    pub secs: i64,
    pub clock: String,
    /// Who speaks, shown where a labelled cue names them or where the turn changes.
    pub speaker: String,
    /// Their page, when the speaker is a person of the roster.
    pub person_url: String,
    /// The person was inferred from the chair's words.
    pub inferred: bool,
    pub text: String,
}

#[derive(Template)]
#[template(path = "embed.html")]
struct EmbedPage {
    t: Ui,
    s: SessionView,
    has_captions: bool,
    automatic: bool,
    start_at: u64,
    canonical: String,
}

/// JSON for a `<script type="application/ld+json">`: no `<` can close the element.
pub(super) fn script_json(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c")
}

/// schema.org metadata of a session's recording, for search engines.
fn video_object(
    s: &SessionView,
    origin: &str,
    canonical: &str,
    description: &str,
    duration_ms: Option<i64>,
) -> serde_json::Value {
    let mut v = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": s.title,
        "description": description,
        "uploadDate": s.date_iso,
        "url": canonical,
        "inLanguage": "it",
        "publisher": { "@type": "GovernmentOrganization", "name": s.body },
    });
    if let Some(poster) = &s.poster {
        v["thumbnailUrl"] = format!("{origin}{poster}").into();
    }
    if let Some(mp4) = &s.mp4 {
        v["contentUrl"] = format!("{origin}{mp4}").into();
        v["embedUrl"] = format!("{origin}/embed/{}", s.id).into();
    }
    if let Some(ms) = duration_ms {
        let secs = ms.max(0) / 1000;
        v["duration"] = format!("PT{}H{}M{}S", secs / 3600, (secs / 60) % 60, secs % 60).into();
    }
    v
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    t: Ui,
    query: String,
    results: Vec<SessionHit>,
    error: String,
    /// Sessions matching, over all pages.
    total: usize,
    /// (name, sessions, link that filters on it)
    facet_bodies: Vec<(String, usize, String)>,
    facet_years: Vec<(u64, usize, String)>,
    /// (person, transcript passages, link that filters on them)
    facet_speakers: Vec<(String, u64, String)>,
    /// The person whose words alone are searched, and the link that searches everyone's.
    speaker: Option<(String, String)>,
    /// Every body, for the filter's list.
    bodies: Vec<crate::catalog::Body>,
    body: String,
    kind: String,
    from: String,
    to: String,
    sort: String,
    prev: Option<String>,
    next: Option<String>,
    /// The same search as a feed, once it has words (the page asks nothing wrong).
    feed: Option<String>,
    /// The form that follows it by e-mail (when the archive sends alerts).
    alert: Option<AlertForm>,
}

/// What a page handler answers: the page, or the error page `errors.rs` makes.
pub(super) type Page = Result<HttpResponse, PageError>;

/// A page for `req`. `remember` is the language cookie to set when the reader chose one
/// with `?lang=` (see `Ui::for_request`).
// A page error carries the reader's language and its cookie; it is made once per failed
// request, so its size costs nothing worth a box.
#[allow(clippy::result_large_err)]
pub(super) fn html(
    req: &HttpRequest,
    status: StatusCode,
    remember: Option<String>,
    page: impl Template,
) -> Page {
    let body = page.render().map_err(|e| PageError::other(Some(req), e))?;
    let mut response = HttpResponse::build(status);
    response
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-cache"))
        // The same address answers in the reader's language.
        .insert_header(("Vary", "Accept-Language, Cookie"));
    if let Some(cookie) = remember {
        response.insert_header((actix_web::http::header::SET_COOKIE, cookie));
    }
    Ok(response.body(body))
}

/// The reader's language, and the cookie to set if they just chose it.
pub(super) fn language(req: &HttpRequest) -> (Ui, Option<String>) {
    let (ui, asked) = Ui::for_request(req);
    let remember = asked.then(|| ui.remember());
    (ui, remember)
}

pub async fn home(req: HttpRequest, state: web::Data<AppState>) -> Page {
    let (t, remember) = language(&req);
    let catalog = &state.archive.catalog;
    let (rows, bodies) =
        tokio::try_join!(catalog.list_sessions(20, 0), catalog.bodies_with_counts())
            .or_page(&req)?;
    html(
        &req,
        StatusCode::OK,
        remember,
        HomePage {
            t,
            sessions: rows.into_iter().map(SessionView::from).collect(),
            bodies: bodies.into_iter().filter(|b| b.sessions > 0).collect(),
        },
    )
}

#[derive(Template)]
#[template(path = "archive.html")]
struct ArchivePage {
    t: Ui,
    heading: String,
    /// The breadcrumb's last step ("" on the archive's own first page).
    crumb: String,
    /// Where this listing lives, without a year: `/archivio` or `/organi/{slug}`.
    base: String,
    feed: Option<String>,
    /// On a body's page, the form that follows its sessions by e-mail.
    alert: Option<AlertForm>,
    year: Option<i32>,
    years: Vec<(i32, i64)>,
    bodies: Vec<crate::catalog::BodyCount>,
    sessions: Vec<SessionView>,
    total: i64,
    page: i64,
    pages: i64,
    /// The year as a calendar (`?vista=calendario`), instead of the list.
    calendar: Option<Vec<CalendarMonth>>,
    /// The other view of the same listing.
    list_url: String,
    calendar_url: Option<String>,
    /// Appended to year links so they keep the view ("" or "?vista=calendario").
    view_query: &'static str,
}

/// A month of the archive's calendar: weeks from Monday, with `None` outside the month.
pub struct CalendarMonth {
    pub name: String,
    pub weeks: Vec<Vec<Option<CalendarDay>>>,
}

pub struct CalendarDay {
    pub day: u32,
    /// "giovedì 12 marzo 2009": shown on narrow screens, where the grid becomes a list.
    pub label: String,
    /// (page, link text) of each session held that day.
    pub sessions: Vec<(String, String)>,
}

/// The months of `year` that have sessions, each as a grid of weeks.
fn calendar(t: &Ui, year: i32, sessions: &[SessionView], by_title: bool) -> Vec<CalendarMonth> {
    use chrono::{Datelike, NaiveDate};
    let weekdays: Vec<&str> = t.s("calendar.weekdays_full").split_whitespace().collect();
    let months: Vec<&str> = t.s("months").split_whitespace().collect();
    let mut out = Vec::new();
    for month in 1..=12u32 {
        let held: Vec<(u32, &SessionView)> = sessions
            .iter()
            .filter_map(|s| {
                let date = NaiveDate::parse_from_str(&s.date_iso, "%Y-%m-%d").ok()?;
                (date.year() == year && date.month() == month).then_some((date.day(), s))
            })
            .collect();
        if held.is_empty() {
            continue;
        }
        let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else {
            continue;
        };
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)
        };
        let length = next.map_or(31, |n| (n - first).num_days() as u32);
        let lead = first.weekday().num_days_from_monday() as usize;
        let mut cells: Vec<Option<CalendarDay>> = (0..lead).map(|_| None).collect();
        for day in 1..=length {
            let date = first + chrono::Days::new(u64::from(day - 1));
            let weekday = weekdays
                .get(date.weekday().num_days_from_monday() as usize)
                .copied()
                .unwrap_or("");
            let mut sessions: Vec<(String, String)> = held
                .iter()
                .filter(|(d, _)| *d == day)
                .map(|(_, s)| {
                    let text = if by_title { &s.title } else { &s.body };
                    (s.url.clone(), text.clone())
                })
                .collect();
            sessions.reverse(); // the listing is newest first; a day reads in order
            cells.push(Some(CalendarDay {
                day,
                label: format!("{weekday} {}", t.date(&date.format("%Y-%m-%d").to_string())),
                sessions,
            }));
        }
        while cells.len() % 7 != 0 {
            cells.push(None);
        }
        let mut weeks = Vec::new();
        let mut cells = cells.into_iter().peekable();
        while cells.peek().is_some() {
            weeks.push(cells.by_ref().take(7).collect());
        }
        out.push(CalendarMonth {
            name: format!("{} {year}", months.get(month as usize - 1).unwrap_or(&"")),
            weeks,
        });
    }
    out
}

#[derive(Template)]
#[template(path = "accessibility.html")]
struct AccessibilityPage {
    t: Ui,
}

#[derive(Debug, Deserialize)]
pub struct ArchiveParams {
    pagina: Option<String>,
    /// `calendario` for the calendar view; `elenco` (or nothing) for the list.
    vista: Option<String>,
}

/// Most sessions one calendar year shows (twelve bodies meeting weekly is about 600).
const CALENDAR_LIMIT: i64 = 2000;

/// Sessions on one archive page.
const ARCHIVE_PAGE: i64 = 20;

/// What an archive address and its query ask for.
#[derive(Debug, PartialEq)]
struct ArchiveQuery {
    year: Option<i32>,
    page: i64,
    as_calendar: bool,
    /// `?pagina=` was given (the calendar has no pages).
    paged: bool,
}

/// Why an archive address lists nothing.
#[derive(Debug, PartialEq)]
enum Unlisted {
    /// Not an archive address at all: perhaps an old portal's under the same prefix.
    NotOurs,
    /// An archive address with a page or view that does not exist.
    NotFound,
}

/// The `{year}` of the address and the `?pagina=`/`?vista=` of the query, checked.
fn archive_query(year: Option<&str>, params: &ArchiveParams) -> Result<ArchiveQuery, Unlisted> {
    let year = match year {
        None => None,
        Some(y) => match y.parse::<i32>() {
            Ok(y) if (1900..=2999).contains(&y) => Some(y),
            _ => return Err(Unlisted::NotOurs),
        },
    };
    let page = match params.pagina.as_deref() {
        None => 1,
        Some(p) => match p.parse::<i64>() {
            Ok(p) if p >= 1 => p,
            _ => return Err(Unlisted::NotFound),
        },
    };
    let as_calendar = match params.vista.as_deref() {
        None | Some("elenco") => false,
        Some("calendario") => true,
        Some(_) => return Err(Unlisted::NotFound),
    };
    Ok(ArchiveQuery {
        year,
        page,
        as_calendar,
        paged: params.pagina.is_some(),
    })
}

/// The body whose address is `slug`, if there is one.
async fn body_by_slug(catalog: &Catalog, slug: &str) -> Result<Option<Body>, CatalogError> {
    Ok(catalog.bodies().await?.into_iter().find(|b| b.slug == slug))
}

/// What one archive page lists.
struct Listing {
    rows: Vec<SessionRow>,
    /// Sessions matching, over all pages.
    total: i64,
    /// (year, sessions) of the body (or of the archive), newest first.
    years: Vec<(i32, i64)>,
    bodies: Vec<BodyCount>,
}

impl Listing {
    fn pages(&self) -> i64 {
        ((self.total + ARCHIVE_PAGE - 1) / ARCHIVE_PAGE).max(1)
    }
}

async fn archive_listing(
    catalog: &Catalog,
    filter: &crate::catalog::ArchiveFilter,
    query: &ArchiveQuery,
) -> Result<Listing, CatalogError> {
    let (limit, offset) = if query.as_calendar {
        (CALENDAR_LIMIT, 0)
    } else {
        (ARCHIVE_PAGE, (query.page - 1).saturating_mul(ARCHIVE_PAGE))
    };
    let (
        crate::catalog::ArchivePage {
            sessions: rows,
            total,
        },
        years,
        bodies,
    ) = tokio::try_join!(
        catalog.archive_page(filter, limit, offset),
        catalog.archive_years(filter.body_id),
        catalog.bodies_with_counts()
    )?;
    Ok(Listing {
        rows,
        total,
        years,
        bodies,
    })
}

/// Where a listing lives: `/archivio` or `/organi/{slug}`, then `/{year}` if chosen.
fn listing_path(slug: Option<&str>, year: Option<i32>) -> String {
    let base = match slug {
        Some(slug) => format!("/organi/{slug}"),
        None => "/archivio".to_string(),
    };
    match year {
        Some(y) => format!("{base}/{y}"),
        None => base,
    }
}

/// The calendar view of a listing: it shows one year, the newest unless one is chosen.
fn calendar_url(slug: Option<&str>, year: Option<i32>, years: &[(i32, i64)]) -> Option<String> {
    let year = year.or_else(|| years.iter().map(|(y, _)| *y).max())?;
    Some(format!(
        "{}?vista=calendario",
        listing_path(slug, Some(year))
    ))
}

/// `/archivio`, `/archivio/{year}`, `/organi/{slug}`, `/organi/{slug}/{year}`: public
/// sessions newest first, twenty a page, with links by year (and, on the archive, by body).
pub async fn archive(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<ArchiveParams>,
) -> Page {
    let info = req.match_info();
    let query = match archive_query(info.get("year"), &params) {
        Ok(query) => query,
        Err(Unlisted::NotOurs) => return fallback(req.clone(), state.clone()).await,
        Err(Unlisted::NotFound) => return Err(PageError::not_found(&req)),
    };
    let catalog = &state.archive.catalog;
    let slug = info.get("slug");
    let body = match slug {
        None => None,
        Some(slug) => match body_by_slug(catalog, slug).await.or_page(&req)? {
            Some(b) => Some(b),
            None => return fallback(req.clone(), state.clone()).await,
        },
    };
    let filter = crate::catalog::ArchiveFilter {
        body_id: body.as_ref().map(|b| b.id),
        year: query.year,
    };
    let listing = archive_listing(catalog, &filter, &query)
        .await
        .or_page(&req)?;
    if query.page > listing.pages() || (query.as_calendar && query.paged) {
        return Err(PageError::not_found(&req));
    }
    let calendar_url = calendar_url(slug, query.year, &listing.years);
    if query.as_calendar && query.year.is_none() {
        return match &calendar_url {
            Some(url) => Ok(HttpResponse::Found()
                .insert_header(("Location", url.as_str()))
                .finish()),
            None => Err(PageError::not_found(&req)),
        };
    }
    let (t, remember) = language(&req);
    let list_url = listing_path(slug, query.year);
    let mut page = archive_page(t, &query, body.clone(), listing, list_url, calendar_url);
    if let (Some(body), true) = (body, state.archive.config.alerts_enabled()) {
        page.alert = Some(AlertForm {
            legend: page.t.f("alerts.form_body_legend", &body.name),
            q: String::new(),
            body: String::new(),
            kind: String::new(),
            organo: body.slug,
            persona: String::new(),
        });
    }
    html(&req, StatusCode::OK, remember, page)
}

/// The page's heading, its breadcrumb's last step, its listing's base address and feed.
fn archive_heading(
    t: &Ui,
    body: Option<&Body>,
    year: Option<i32>,
) -> (String, String, String, String) {
    match body {
        Some(b) => {
            let heading = match year {
                Some(y) => format!("{} · {y}", b.name),
                None => b.name.clone(),
            };
            let base = format!("/organi/{}", b.slug);
            let feed = format!("{base}/feed.atom");
            (heading.clone(), heading, base, feed)
        }
        None => {
            let (heading, crumb) = match year {
                Some(y) => (t.f("archive.year", y), y.to_string()),
                None => (t.s("archive.title").to_string(), String::new()),
            };
            (
                heading,
                crumb,
                "/archivio".to_string(),
                "/feed.atom".to_string(),
            )
        }
    }
}

fn archive_page(
    t: Ui,
    query: &ArchiveQuery,
    body: Option<Body>,
    listing: Listing,
    list_url: String,
    calendar_url: Option<String>,
) -> ArchivePage {
    let (heading, crumb, base, feed) = archive_heading(&t, body.as_ref(), query.year);
    let pages = listing.pages();
    let sessions: Vec<SessionView> = listing.rows.into_iter().map(SessionView::from).collect();
    ArchivePage {
        heading,
        crumb,
        base,
        feed: Some(feed),
        alert: None,
        year: query.year,
        years: listing.years,
        // The body page lists its own sessions only.
        bodies: if body.is_some() {
            Vec::new()
        } else {
            listing
                .bodies
                .into_iter()
                .filter(|b| b.sessions > 0)
                .collect()
        },
        calendar: match (query.as_calendar, query.year) {
            (true, Some(y)) => Some(calendar(&t, y, &sessions, body.is_some())),
            _ => None,
        },
        sessions,
        total: listing.total,
        page: query.page,
        pages,
        list_url,
        calendar_url,
        view_query: if query.as_calendar {
            "?vista=calendario"
        } else {
            ""
        },
        t,
    }
}

/// `/manifest.webmanifest`: the archive's name and icons for a phone's home screen.
pub async fn manifest(req: HttpRequest) -> HttpResponse {
    let (t, _) = Ui::for_request(&req);
    let body = serde_json::json!({
        "name": t.s("site.name"),
        "short_name": t.s("site.short_name"),
        "description": t.s("site.description"),
        "lang": t.code(),
        "start_url": "/",
        "display": "browser",
        "background_color": "#ffffff",
        "theme_color": "#0066cc",
        "icons": [
            {"src": "/dist/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/dist/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {"src": "/dist/icon.svg", "sizes": "any", "type": "image/svg+xml"}
        ]
    });
    HttpResponse::Ok()
        .content_type("application/manifest+json")
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .insert_header(("Vary", "Accept-Language, Cookie"))
        .body(body.to_string())
}

/// `/accessibilita`: the accessibility statement AgID requires, linked from every footer.
pub async fn accessibility(req: HttpRequest) -> Page {
    let (t, remember) = language(&req);
    html(&req, StatusCode::OK, remember, AccessibilityPage { t })
}

/// The public session a page shows, or the page's 404.
async fn public_session(
    req: &HttpRequest,
    state: &AppState,
    id: i64,
) -> Result<PublicSession, PageError> {
    state
        .archive
        .catalog
        .public_session(id)
        .await
        .or_page(req)?
        .ok_or_else(|| PageError::not_found(req))
}

#[derive(Debug, Deserialize)]
pub struct SessionParams {
    t: Option<String>,
    /// With `t`, the end of a clip.
    fine: Option<String>,
}

pub async fn session(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    params: web::Query<SessionParams>,
) -> Page {
    let (t, remember) = language(&req);
    let Ok(id) = id.parse::<i64>() else {
        // Not one of ours: perhaps an old portal address under the same prefix.
        return fallback(req.clone(), state.clone()).await;
    };
    let recording = public_session(&req, &state, id).await?;
    let record = state
        .archive
        .catalog
        .session_record(id)
        .await
        .or_page(&req)?;
    let start_at = params.t.as_deref().and_then(parse_start).unwrap_or(0);
    let clip = match params.fine.as_deref() {
        Some(end) if recording.session.mp4_file.is_some() => Some(super::clips::window(
            &state,
            &recording.session,
            params.t.as_deref(),
            Some(end),
        )),
        _ => None,
    };
    if let Some(Ok(window)) = &clip {
        if let Some(redirect) = super::clips::to_its_address(&req, id, *window) {
            return Ok(redirect);
        }
    }
    let status = match &clip {
        Some(Err(e)) => super::clips::status_of(e),
        _ => StatusCode::OK,
    };
    let max = state.archive.config.clip_max_seconds;
    let published = recording.session.master_playlist.is_some();
    let mut page = session_page(
        t,
        (recording, record),
        &base_url(&req, &state),
        start_at,
        max,
    );
    if !published {
        page.live = live_view(&state, id).await.or_page(&req)?;
    }
    match clip {
        Some(Ok(window)) => with_clip(&mut page, window),
        Some(Err(e)) => page.clip_error = super::clips::window_message(&page.t, &e),
        None => {}
    }
    html(&req, status, remember, page)
}

/// The session's live stream, if it was ever armed.
async fn live_view(
    state: &AppState,
    id: i64,
) -> Result<Option<LiveView>, crate::catalog::CatalogError> {
    let Some(stream) = state.archive.catalog.live_stream(id).await? else {
        return Ok(None);
    };
    Ok(Some(LiveView {
        ready: super::live::live_ready(state, &stream).await,
        hold: if state.archive.config.live_captions {
            crate::live::captions::PLAYER_HOLD_S
        } else {
            0
        },
        state: stream.state,
        starts_at: stream.starts_at.unwrap_or_default(),
        playlist: format!("/live/{id}/{}", crate::live::package::MASTER),
        status: format!("/api/v1/sessions/{id}/live"),
    }))
}

/// Makes the session's page the page of its clip `window`: its title, address, metadata
/// (Open Graph and a schema.org `Clip`) and share link are the clip's.
fn with_clip(page: &mut SessionPage, window: crate::clips::Window) {
    let crate::clips::Window { start_s, end_s } = window;
    let at = |s: u64| clock(s as i64 * 1000);
    let title = page
        .t
        .fill("clip.title", &[&page.s.title, &at(start_s), &at(end_s)]);
    let url = format!("{}?t={start_s}&fine={end_s}", page.canonical);
    let files = format!("{}/clip", page.s.url);
    let clip = ClipView {
        start_s,
        end_s,
        start_clock: at(start_s),
        end_clock: at(end_s),
        mp4: format!("{files}.mp4?da={start_s}&a={end_s}"),
        vtt: page
            .has_captions
            .then(|| format!("{files}.vtt?da={start_s}&a={end_s}")),
        title,
        url,
    };
    page.video["hasPart"] = serde_json::json!([{
        "@type": "Clip",
        "name": clip.title,
        "startOffset": start_s,
        "endOffset": end_s,
        "url": clip.url,
    }]);
    page.start_at = start_s;
    page.share_url.clone_from(&clip.url);
    page.canonical.clone_from(&clip.url);
    page.clip = Some(clip);
}

/// The page of a public session, on the archive at `origin`, the video starting at
/// `start_at` seconds.
fn session_page(
    t: Ui,
    (recording, record): (PublicSession, crate::catalog::SessionRecord),
    origin: &str,
    start_at: u64,
    clip_max_s: u64,
) -> SessionPage {
    let PublicSession {
        session: row,
        agenda,
        documents,
        cues,
        transcribing,
    } = recording;
    let numbers: Vec<Option<String>> = agenda.iter().map(|a| a.number.clone()).collect();
    let (item_votes, record) =
        super::people::record_view(&t, &numbers, &record.attendance, &record.votes);
    let automatic = cues.first().is_some_and(|c| c.source.is_automatic());
    let origin = origin.to_string();
    let duration_ms = row.duration_ms;
    let s: SessionView = row.into();
    let canonical = format!("{origin}{}", s.url);
    let description = format!(
        "{} · {}",
        t.f("session.description", &s.body),
        t.date(&s.date_iso)
    );
    let video = video_object(&s, &origin, &canonical, &description, duration_ms);
    let share_url = if start_at > 0 {
        format!("{canonical}?t={start_at}")
    } else {
        canonical.clone()
    };
    let embed_code = format!(
        "<iframe src=\"{origin}/embed/{}\" title=\"{}\" width=\"640\" height=\"400\" allow=\"fullscreen\"></iframe>",
        s.id,
        s.title.replace('"', "&quot;")
    );
    SessionPage {
        t,
        has_captions: !cues.is_empty(),
        automatic,
        transcribing: transcribing && cues.is_empty(),
        has_chapters: agenda.iter().any(|a| a.start_ms.is_some()),
        s,
        agenda: agenda
            .into_iter()
            .zip(item_votes)
            .map(|(item, vote)| AgendaView {
                vote,
                ..agenda_view(item)
            })
            .collect(),
        record,
        documents,
        cues: cue_views(cues),
        start_at,
        origin,
        canonical,
        description,
        video,
        share_url,
        embed_code,
        clip: None,
        clip_error: String::new(),
        clip_max: clock(clip_max_s as i64 * 1000),
        live: None,
    }
}

/// `/embed/{id}`: the player alone, for other sites' pages. The only page that may be
/// framed: it sends its own policy, which allows any site to frame it.
pub async fn embed(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    params: web::Query<SessionParams>,
) -> Page {
    let (t, remember) = language(&req);
    let Ok(id) = id.parse::<i64>() else {
        return Err(PageError::not_found(&req));
    };
    let PublicSession {
        session: row, cues, ..
    } = public_session(&req, &state, id).await?;
    let s: SessionView = row.into();
    let canonical = format!("{}{}", base_url(&req, &state), s.url);
    let mut response = html(
        &req,
        StatusCode::OK,
        remember,
        EmbedPage {
            t,
            has_captions: !cues.is_empty(),
            automatic: cues.first().is_some_and(|c| c.source.is_automatic()),
            start_at: params.t.as_deref().and_then(parse_start).unwrap_or(0),
            s,
            canonical,
        },
    )?;
    if let Ok(policy) = super::security::CONTENT_SECURITY_POLICY
        .replace("frame-ancestors 'none'", "frame-ancestors *")
        .parse()
    {
        response
            .headers_mut()
            .insert(actix_web::http::header::CONTENT_SECURITY_POLICY, policy);
    }
    Ok(response)
}

fn agenda_view(item: AgendaItem) -> AgendaView {
    AgendaView {
        number: item.number.unwrap_or_default(),
        title: item.title,
        start: item
            .start_ms
            .map(|ms| ((ms.max(0) / 1000) as u64, clock(ms))),
        vote: None,
    }
}

/// The transcript pane's rows: a labelled cue shows its speaker (the person of the roster
/// it was resolved to, linked, or the label as written); an unlabelled one shows the person
/// only where the turn changes, so an automatic transcript is not a list of names.
fn cue_views(cues: Vec<crate::catalog::CueRow>) -> Vec<CueView> {
    let mut previous: Option<i64> = None;
    cues.into_iter()
        .map(|c| {
            let person = c.person.as_ref();
            let changed = person.map(|p| p.id) != previous;
            previous = person.map(|p| p.id);
            let show_person = c.speaker.is_some() || changed;
            let (speaker, person_url) = match person {
                Some(p) if show_person => (p.name(), super::people::person_url(&p.slug)),
                _ => (c.speaker.clone().unwrap_or_default(), String::new()),
            };
            let inferred = c.person_inferred && !person_url.is_empty();
            CueView {
                secs: c.start_ms.max(0) / 1000,
                clock: clock(c.start_ms),
                start_ms: c.start_ms,
                end_ms: c.end_ms,
                speaker,
                person_url,
                inferred,
                text: c.text,
            }
        })
        .collect()
}

pub async fn search(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<SearchParams>,
) -> Page {
    let (t, remember) = language(&req);
    let query = params.q.clone().unwrap_or_default();
    let mut page = SearchPage {
        t,
        query,
        results: Vec::new(),
        error: String::new(),
        total: 0,
        facet_bodies: Vec::new(),
        facet_years: Vec::new(),
        facet_speakers: Vec::new(),
        speaker: None,
        bodies: Vec::new(),
        body: params.body.clone().unwrap_or_default(),
        kind: params.kind.clone().unwrap_or_default(),
        from: params.from.clone().unwrap_or_default(),
        to: params.to.clone().unwrap_or_default(),
        sort: params.sort.clone().unwrap_or_default(),
        prev: None,
        next: None,
        feed: None,
        alert: None,
    };
    let status = match run_search(&state, &params).await {
        Ok((found, bodies)) => {
            if !found.unsearchable.is_empty() {
                page.error = page
                    .t
                    .f("search.error.common", found.unsearchable.join(", "));
            }
            // Names only when there are speakers to name (none without a roster).
            if params.speaker.is_some() || !found.speakers.is_empty() {
                let people = state.archive.catalog.people().await.or_page(&req)?;
                show_speakers(&mut page, &params, &found, &people);
            }
            show_results(&mut page, &params, found, &bodies);
            StatusCode::OK
        }
        Err(Ok(bad)) => {
            page.error = bad_search_text(&page.t, &bad);
            StatusCode::BAD_REQUEST
        }
        Err(Err(e)) => return Err(PageError::fault(&req, e)),
    };
    if state.archive.config.alerts_enabled()
        && page.error.is_empty()
        && !page.query.trim().is_empty()
    {
        page.alert = Some(AlertForm {
            legend: page.t.f("alerts.form_legend", page.query.trim()),
            q: page.query.trim().to_string(),
            body: page.body.clone(),
            kind: page.kind.clone(),
            organo: String::new(),
            persona: params.speaker.clone().unwrap_or_default(),
        });
    }
    html(&req, status, remember, page)
}

/// The speaker facet and the speaker filter in force, with the people's names.
fn show_speakers(
    page: &mut SearchPage,
    params: &SearchParams,
    found: &crate::search::SearchResults,
    people: &[crate::catalog::PersonRow],
) {
    let name_of = |slug: &str| people.iter().find(|p| p.slug == slug).map(|p| p.name());
    page.facet_speakers = found
        .speakers
        .iter()
        .filter_map(|(slug, n)| {
            let url = search_url(params, &[("speaker", Some(slug)), ("page", None)]);
            Some((name_of(slug)?, *n, url))
        })
        .collect();
    page.speaker = params.speaker.as_deref().map(|slug| {
        let name = name_of(slug).unwrap_or_else(|| slug.to_string());
        (
            name,
            search_url(params, &[("speaker", None), ("page", None)]),
        )
    });
}

/// Fills the search page with what was found, the facets and the links to the pages
/// before and after, each keeping the other parameters.
fn show_results(
    page: &mut SearchPage,
    params: &SearchParams,
    found: crate::search::SearchResults,
    bodies: &[Body],
) {
    let slug_of = |id: u64| bodies.iter().find(|b| b.id as u64 == id);
    page.facet_bodies = found
        .bodies
        .iter()
        .filter_map(|(id, n)| {
            let b = slug_of(*id)?;
            let url = search_url(params, &[("body", Some(&b.slug)), ("page", None)]);
            Some((b.name.clone(), *n, url))
        })
        .collect();
    page.facet_years = found
        .years
        .iter()
        .map(|(year, n)| {
            let y = year.to_string();
            let url = search_url(
                params,
                &[("from", Some(&y)), ("to", Some(&y)), ("page", None)],
            );
            (*year, *n, url)
        })
        .collect();
    let shown_to = found.page * found.per_page;
    if found.page > 1 {
        let p = (found.page - 1).to_string();
        page.prev = Some(search_url(params, &[("page", Some(&p))]));
    }
    if shown_to < found.total {
        let p = (found.page + 1).to_string();
        page.next = Some(search_url(params, &[("page", Some(&p))]));
    }
    page.total = found.total;
    page.results = found.hits;
    page.bodies = bodies.to_vec();
    if !page.query.trim().is_empty() {
        page.feed = Some(search_feed_url(params));
    }
}

/// The searcher's mistake in the reader's language.
fn bad_search_text(t: &Ui, bad: &BadSearch) -> String {
    use crate::search::{QueryError, SearchError};
    match bad {
        BadSearch::Param(ParamError::Date { value, .. }) => t.f("search.error.date", value),
        BadSearch::Param(ParamError::Number { value, .. }) => t.f("search.error.number", value),
        BadSearch::Param(ParamError::Sort(value)) => t.f("search.error.sort", value),
        BadSearch::Param(ParamError::Body(value)) => t.f("search.error.body", value),
        BadSearch::Param(ParamError::Kind(value)) => t.f("search.error.kind", value),
        BadSearch::Query(SearchError::QueryTooLong(n)) => t.f("search.error.too_long", n),
        BadSearch::Query(SearchError::Query(QueryError::TooManyClauses(n))) => t.f2(
            "search.error.too_many",
            n,
            crate::search::query::MAX_CLAUSES,
        ),
        BadSearch::Query(other) => other.to_string(),
    }
}

/// `/cerca` with the same parameters as `params`, some replaced (or removed, with None).
fn search_url(params: &SearchParams, changes: &[(&str, Option<&String>)]) -> String {
    format!("/cerca{}", search_query(params, changes))
}

/// The same search as a feed: its words and filters, in the feed's own order (newest
/// first, no page).
fn search_feed_url(params: &SearchParams) -> String {
    let query = search_query(params, &[("sort", None), ("page", None)]);
    format!("/cerca/feed.atom{query}")
}

/// `?q=…&body=…`: the search parameters of `params`, some replaced (or removed, with None).
fn search_query(params: &SearchParams, changes: &[(&str, Option<&String>)]) -> String {
    let current = [
        ("q", &params.q),
        ("body", &params.body),
        ("kind", &params.kind),
        ("from", &params.from),
        ("to", &params.to),
        ("speaker", &params.speaker),
        ("sort", &params.sort),
        ("page", &params.page),
    ];
    let mut pairs: Vec<String> = Vec::new();
    for (name, value) in current {
        let value = match changes.iter().find(|(n, _)| *n == name) {
            Some((_, changed)) => changed.cloned(),
            None => value.clone(),
        };
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            pairs.push(format!("{name}={}", urlencoding::encode(&v)));
        }
    }
    format!("?{}", pairs.join("&"))
}

fn vtt(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/vtt; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=60"))
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .body(body)
}

/// The transcript cues of a public session; None if it is not public or has none.
async fn public_cues(
    state: &AppState,
    id: &str,
) -> Result<Option<Vec<transcript::Cue>>, crate::catalog::CatalogError> {
    let Ok(id) = id.parse::<i64>() else {
        return Ok(None);
    };
    let Some(PublicSession { cues: rows, .. }) = state.archive.catalog.public_session(id).await?
    else {
        return Ok(None);
    };
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        rows.into_iter()
            .map(|c| transcript::Cue {
                start_ms: c.start_ms.max(0) as u64,
                end_ms: c.end_ms.max(0) as u64,
                speaker: c.speaker_name(),
                text: c.text,
            })
            .collect(),
    ))
}

/// The session's transcript as its Italian captions track.
pub async fn captions(state: web::Data<AppState>, id: web::Path<String>) -> Page {
    match public_cues(&state, &id).await? {
        Some(cues) => Ok(vtt(transcript::to_webvtt(&cues))),
        None => Err(PageError::missing()),
    }
}

/// `/sedute/{id}/trascrizione.{vtt,srt}`: the transcript as a file to download.
pub async fn transcript_download(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Page {
    let (id, format) = path.into_inner();
    let (body, media_type) = match public_cues(&state, &id).await? {
        Some(cues) if format == "vtt" => (transcript::to_webvtt(&cues), "text/vtt"),
        Some(cues) if format == "srt" => (transcript::to_srt(&cues), "application/x-subrip"),
        _ => return Err(PageError::missing()),
    };
    Ok(HttpResponse::Ok()
        .content_type(format!("{media_type}; charset=utf-8"))
        .insert_header(("Cache-Control", "public, max-age=60"))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"seduta-{id}-trascrizione.{format}\""),
        ))
        .body(body))
}

/// Timed agenda items as a chapters track.
pub async fn chapters(state: web::Data<AppState>, id: web::Path<String>) -> Page {
    let Ok(id) = id.parse::<i64>() else {
        return Err(PageError::missing());
    };
    let Some(PublicSession {
        session, agenda, ..
    }) = state.archive.catalog.public_session(id).await?
    else {
        return Err(PageError::missing());
    };
    let items: Vec<timed_agenda::TimedItem> = agenda
        .into_iter()
        .filter_map(|a| {
            Some(timed_agenda::TimedItem {
                start_ms: a.start_ms?.max(0) as u64,
                number: a.number,
                title: a.title,
                end_ms: None,
            })
        })
        .collect();
    if items.is_empty() {
        return Err(PageError::missing());
    }
    let duration = session.duration_ms.unwrap_or(0).max(0) as u64;
    Ok(vtt(timed_agenda::chapters_vtt(&items, duration)))
}

/// A session document's original, as it was archived.
pub async fn document(state: web::Data<AppState>, id: web::Path<String>) -> Page {
    let Ok(id) = id.parse::<i64>() else {
        return Err(PageError::missing());
    };
    let Some(crate::catalog::DocumentFile {
        stored_path: stored,
        original_name: name,
        media_type,
    }) = state.archive.catalog.document_file(id).await?
    else {
        return Err(PageError::missing());
    };
    let bytes = tokio::fs::read(state.archive.data_path(&stored))
        .await
        .map_err(|e| {
            PageError::other(None, format!("document {id} is missing from storage: {e}"))
        })?;
    Ok(HttpResponse::Ok()
        .content_type(media_type)
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"{}\"; filename*=UTF-8''{}",
                name.replace(['"', '\\', '\r', '\n'], "_"),
                urlencoding::encode(&name)
            ),
        ))
        .body(bytes))
}

/// The archive's public address: `AULA_PUBLIC_URL`, or what the request was sent to.
pub(super) fn base_url(req: &HttpRequest, state: &AppState) -> String {
    match &state.archive.config.public_url {
        Some(url) => url.clone(),
        None => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    }
}

/// How long shared caches may keep what names the archive's address: only when that
/// address is configured. Taken from the request, it is whatever the client said (a Host
/// or X-Forwarded-Host header), which must not be cached for everyone else.
fn address_cache(state: &AppState, max_age: u32) -> String {
    match state.archive.config.public_url {
        Some(_) => format!("public, max-age={max_age}"),
        None => "private, no-cache".into(),
    }
}

fn xml(state: &AppState, media_type: &str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(format!("{media_type}; charset=utf-8"))
        .insert_header(("Cache-Control", address_cache(state, 300)))
        .body(body)
}

/// Newest sessions in one feed.
const FEED_ENTRIES: i64 = 50;

/// `/feed.atom`: the newest sessions of every body.
pub async fn feed(req: HttpRequest, state: web::Data<AppState>) -> Page {
    let catalog = &state.archive.catalog;
    let (rows, updated) = tokio::try_join!(
        catalog.list_sessions(FEED_ENTRIES, 0),
        catalog.last_session_change()
    )?;
    let info = FeedInfo {
        title: "Sedute del Comune".into(),
        self_path: "/feed.atom".into(),
        alternate_path: "/".into(),
        id_path: "/feed.atom".into(),
    };
    let base = base_url(&req, &state);
    Ok(xml(
        &state,
        "application/atom+xml",
        feeds::atom_feed(&base, &info, &rows, updated),
    ))
}

/// `/cerca/feed.atom?q=…`: a search followed in a feed reader. The same words and filters
/// as `/cerca`; the newest matching sessions by date first, so a new session that matches
/// shows up as a new entry. An old session that starts to match (its transcript arrives)
/// shows up only if it is among the 50 newest that match: the feed keeps no record of
/// when a session began to match.
pub async fn search_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<SearchParams>,
) -> Page {
    let t = Ui::for_request(&req).0;
    let mut params = params.into_inner();
    let words = params.q.clone().unwrap_or_default();
    if words.trim().is_empty() {
        return Ok(bad_feed(t.s("search.feed_needs_words")));
    }
    params.sort = Some("newest".into());
    params.page = None;
    params.per_page = Some(FEED_ENTRIES.to_string());
    let found = match run_search(&state, &params).await {
        Ok((found, _)) => found,
        // No such body: as the search API answers it, 404.
        Err(Ok(bad @ BadSearch::Param(ParamError::Body(_)))) => {
            let mut answer = bad_feed(&bad_search_text(&t, &bad));
            *answer.status_mut() = StatusCode::NOT_FOUND;
            return Ok(answer);
        }
        Err(Ok(bad)) => return Ok(bad_feed(&bad_search_text(&t, &bad))),
        Err(Err(e)) => return Err(PageError::fault(&req, e)),
    };
    let updated = state.archive.catalog.last_session_change().await?;
    let feed_url = search_feed_url(&params);
    let info = FeedInfo {
        title: format!("Ricerca «{}» – Sedute del Comune", words.trim()),
        alternate_path: search_url(&params, &[("sort", None)]),
        self_path: feed_url.clone(),
        id_path: feed_url,
    };
    let base = base_url(&req, &state);
    Ok(xml(
        &state,
        "application/atom+xml",
        feeds::search_feed(&base, &info, &found.hits, updated),
    ))
}

/// A search feed asked for wrongly: what to change, as plain text a feed reader shows.
fn bad_feed(why: &str) -> HttpResponse {
    HttpResponse::BadRequest()
        .content_type("text/plain; charset=utf-8")
        .body(format!("{why}\n"))
}

/// `/organi/{slug}/feed.atom`: the newest sessions of one body.
pub async fn body_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Page {
    let catalog = &state.archive.catalog;
    let Some(body) = body_by_slug(catalog, &slug).await? else {
        return Err(PageError::missing());
    };
    let (rows, updated) = tokio::try_join!(
        catalog.list_body_sessions(body.id, FEED_ENTRIES),
        catalog.last_session_change()
    )?;
    let path = format!("/organi/{}/feed.atom", body.slug);
    let info = FeedInfo {
        title: format!("Sedute: {}", body.name),
        self_path: path.clone(),
        alternate_path: "/".into(),
        id_path: path,
    };
    let base = base_url(&req, &state);
    Ok(xml(
        &state,
        "application/atom+xml",
        feeds::atom_feed(&base, &info, &rows, updated),
    ))
}

/// `/sitemap.xml`: every public session page, with its video.
pub async fn sitemap(req: HttpRequest, state: web::Data<AppState>) -> Page {
    let rows = state.archive.catalog.list_sessions(EXPORT_LIMIT, 0).await?;
    let people = state.archive.catalog.people().await?;
    let base = base_url(&req, &state);
    // The home page, then the people's pages (when there is a roster), then the sessions.
    let mut paths: Vec<String> = vec!["/".into()];
    if !people.is_empty() {
        paths.push("/persone".into());
        paths.extend(people.iter().map(|p| super::people::person_url(&p.slug)));
    }
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    Ok(xml(
        &state,
        "application/xml",
        feeds::sitemap(&base, &rows, &paths),
    ))
}

pub async fn robots(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header(("Cache-Control", address_cache(&state, 3600)))
        .body(feeds::robots_txt(&base_url(&req, &state)))
}

/// `?t=` as seconds (`95`), or `1:35`, or `1h2m3s`.
pub(super) fn parse_start(text: &str) -> Option<u64> {
    let text = text.trim();
    if let Ok(s) = text.parse::<u64>() {
        return Some(s);
    }
    if text.contains(':') {
        let mut total = 0u64;
        for part in text.split(':') {
            total = total.checked_mul(60)?.checked_add(part.parse().ok()?)?;
        }
        return Some(total);
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
        } else {
            let n: u64 = number.parse().ok()?;
            number.clear();
            let unit = match c {
                'h' => 3600,
                'm' => 60,
                's' => 1,
                _ => return None,
            };
            total = total.checked_add(n.checked_mul(unit)?)?;
        }
    }
    number.is_empty().then_some(total)
}

use crate::text::clock;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_times() {
        assert_eq!(parse_start("95"), Some(95));
        assert_eq!(parse_start("1:35"), Some(95));
        assert_eq!(parse_start("1h2m3s"), Some(3723));
        assert_eq!(parse_start("abc"), None);
        assert_eq!(parse_start("99999999999999999999:1"), None);
    }

    #[test]
    fn formatting() {
        assert_eq!(clock(3_723_000), "1:02:03");
        assert_eq!(clock(95_000), "1:35");
    }

    fn params(pagina: Option<&str>, vista: Option<&str>) -> ArchiveParams {
        ArchiveParams {
            pagina: pagina.map(String::from),
            vista: vista.map(String::from),
        }
    }

    #[test]
    fn archive_addresses_are_checked() {
        let plain = archive_query(Some("2009"), &params(None, None));
        assert_eq!(
            plain,
            Ok(ArchiveQuery {
                year: Some(2009),
                page: 1,
                as_calendar: false,
                paged: false
            })
        );
        let calendar = archive_query(None, &params(Some("2"), Some("calendario")));
        assert_eq!(
            calendar,
            Ok(ArchiveQuery {
                year: None,
                page: 2,
                as_calendar: true,
                paged: true
            })
        );
        // Not a year: an old portal's address, for the fallback.
        assert_eq!(
            archive_query(Some("index.php"), &params(None, None)),
            Err(Unlisted::NotOurs)
        );
        assert_eq!(
            archive_query(Some("1800"), &params(None, None)),
            Err(Unlisted::NotOurs)
        );
        assert_eq!(
            archive_query(None, &params(Some("0"), None)),
            Err(Unlisted::NotFound)
        );
        assert_eq!(
            archive_query(None, &params(None, Some("mappa"))),
            Err(Unlisted::NotFound)
        );
    }

    /// The point: a page that fails answers in the language its reader chose,
    /// and still says when to come back.
    #[actix_web::test]
    async fn a_failed_page_speaks_the_readers_language() {
        use actix_web::ResponseError;
        let req = actix_web::test::TestRequest::default()
            .uri("/archivio?lang=en")
            .to_http_request();
        let unreachable = CatalogError::Db(sqlx::Error::PoolTimedOut);
        let response = PageError::fault(&req, unreachable).error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get("Retry-After").unwrap(), "5");
        assert!(response.headers().get("Set-Cookie").is_some());
        let body = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap();
        let body = String::from_utf8_lossy(&body);
        assert!(body.contains("Something went wrong"), "{body}");
    }

    #[test]
    fn the_calendar_shows_the_chosen_year_or_the_newest() {
        let years = [(2008, 3), (2010, 1), (2009, 2)];
        assert_eq!(
            calendar_url(Some("giunta"), None, &years).as_deref(),
            Some("/organi/giunta/2010?vista=calendario")
        );
        assert_eq!(
            calendar_url(None, Some(2008), &years).as_deref(),
            Some("/archivio/2008?vista=calendario")
        );
        assert_eq!(calendar_url(None, None, &[]), None);
        assert_eq!(listing_path(None, None), "/archivio");
    }
}

/// Every address no route takes: an old portal URL that was mapped answers 301 to its new
/// page (or 410 if withdrawn); anything else is counted for `aula legacy report` and
/// answers the friendly 404.
pub async fn fallback(req: HttpRequest, state: web::Data<AppState>) -> Page {
    let method = req.method();
    if method != actix_web::http::Method::GET && method != actix_web::http::Method::HEAD {
        return Err(PageError::not_found(&req));
    }
    let uri = req.uri();
    let address = uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or_else(|| uri.path());
    // Over-long addresses are not worth remembering (nor a way to fill the catalog).
    let Some(key) = crate::legacy::key(address).filter(|k| k.len() <= 1024) else {
        return Err(PageError::not_found(&req));
    };
    let catalog = &state.archive.catalog;
    match catalog.legacy_target(&key).await {
        Ok(Some(crate::catalog::LegacyTarget::Moved(to))) => Ok(HttpResponse::MovedPermanently()
            .insert_header((actix_web::http::header::LOCATION, to))
            .insert_header((
                actix_web::http::header::CACHE_CONTROL,
                "public, max-age=86400",
            ))
            .finish()),
        Ok(Some(crate::catalog::LegacyTarget::Gone)) => {
            let (t, remember) = language(&req);
            html(&req, StatusCode::GONE, remember, GonePage { t })
        }
        Ok(None) => {
            // The report lists what people followed: a HEAD (a link checker's, an uptime
            // monitor's) answers the same 404 but is not counted.
            if req.method() == actix_web::http::Method::GET {
                if let Err(e) = catalog.count_unmapped(&key).await {
                    tracing::warn!("cannot count the unknown address {key}: {e}");
                }
            }
            Err(PageError::not_found(&req))
        }
        // An old address is not worth a 503: the reader gets the 404 they would have had.
        Err(e) => {
            tracing::error!("legacy lookup of {key}: {e}");
            Err(PageError::not_found(&req))
        }
    }
}

#[derive(Template)]
#[template(path = "gone.html")]
struct GonePage {
    t: Ui,
}
