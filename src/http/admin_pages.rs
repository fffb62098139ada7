//! The admin pages (`/admin/…`): sign-in with an admin token, the job list with a retry
//! button, the last import report, the old addresses still answering 404, and a session's
//! automatic transcript beside its video, to correct (`speech::editing` reads the form). The token is
//! kept in an HttpOnly, SameSite=Strict cookie, which other sites cannot make a browser
//! send with a form, so the buttons need no further CSRF token.
//!
//! A page that cannot be made goes through `errors.rs` (`PageError`: the error page in
//! the reader's language, 503 while the catalog is away); none is built here by hand.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::admin::{authorize, TOKEN_COOKIE};
use super::errors::{OrPage, PageError};
use super::i18n::Ui;
use super::AppState;
use crate::auth;
use crate::catalog::{JobRow, UnmappedRow};
// Named by the template, which compares job states and kinds as values, not as strings.
use crate::domain::{JobKind, JobState, LiveState, Provenance};

pub struct ImportView {
    pub file: String,
    pub when: String,
    pub dry_run: bool,
    pub summary: String,
    pub problems: Vec<String>,
}

/// A session's transcript as the editor's form shows it.
pub struct TranscriptView {
    pub session_id: i64,
    pub title: String,
    /// The published MP4 (or the sound alone), to play beside the cues.
    pub media: Option<String>,
    pub rows: Vec<EditorRow>,
    /// Who speaks when, as read or set; each can be confirmed or changed.
    pub turns: Vec<TurnView>,
    /// The roster of the session's day: (address, name).
    pub people: Vec<(String, String)>,
}

/// A speaker turn in the editor: times as the player shows them.
pub struct TurnView {
    pub start: String,
    pub end: String,
    pub who: String,
    pub person: String,
    pub source: Provenance,
    pub confidence: String,
}

pub struct EditorRow {
    pub n: usize,
    pub start: String,
    pub end: String,
    pub text: String,
    pub corrected: bool,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    t: Ui,
    signed_in: bool,
    section: &'static str,
    message: String,
    jobs: Vec<JobRow>,
    import: Option<ImportView>,
    unmapped: Vec<UnmappedRow>,
    transcript: Option<TranscriptView>,
    /// The roster: (name, its page, the roles in words), and the rows last sent.
    people: Vec<(String, String, String)>,
    roster_rows: String,
    roster_problems: Vec<String>,
    /// The armed sessions, with what this server knows of their encoder now.
    live: Vec<(crate::catalog::LiveListed, Option<crate::live::LiveNow>)>,
    /// Whether this server takes encoders (the form to arm a session is shown).
    live_on: bool,
    /// A session just armed from the page: its id, the addresses and the key, shown once.
    armed: Option<ArmedView>,
}

/// What an editor sets in the encoder, shown once after arming.
struct ArmedView {
    session_id: i64,
    rtmp: String,
    srt: String,
    key: String,
}

impl AdminPage {
    fn new(req: &HttpRequest, signed_in: bool, section: &'static str) -> AdminPage {
        AdminPage {
            t: Ui::for_request(req).0,
            signed_in,
            section,
            message: String::new(),
            jobs: Vec::new(),
            import: None,
            unmapped: Vec::new(),
            transcript: None,
            people: Vec::new(),
            roster_rows: String::new(),
            roster_problems: Vec::new(),
            live: Vec::new(),
            live_on: false,
            armed: None,
        }
    }
}

/// What an admin handler answers: the page, or the error page `errors.rs` makes.
type Page = Result<HttpResponse, PageError>;

// A page error carries the reader's language and its cookie; it is made once per failed
// request, so its size costs nothing worth a box.
#[allow(clippy::result_large_err)]
fn page(req: &HttpRequest, status: StatusCode, page: AdminPage) -> Page {
    let body = page.render().map_err(|e| PageError::other(Some(req), e))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Frame-Options", "DENY"))
        .body(body))
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

fn cookie(req: &HttpRequest, value: &str, max_age: i64) -> String {
    let secure = if req.connection_info().scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    format!("{TOKEN_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// `GET /admin`: the sign-in form, or the job list once signed in.
pub async fn home(req: HttpRequest, state: web::Data<AppState>) -> Page {
    if authorize(&req, &state).await.is_ok() {
        return Ok(see_other("/admin/lavori"));
    }
    page(&req, StatusCode::OK, AdminPage::new(&req, false, "signin"))
}

#[derive(Debug, Deserialize)]
pub struct SignIn {
    token: String,
}

/// `POST /admin/accedi`: checks the token and keeps it in the cookie.
pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: Result<web::Form<SignIn>, actix_web::Error>,
) -> Page {
    if state.failed_attempts.blocked_for(&req).is_some() {
        let mut p = AdminPage::new(&req, false, "signin");
        p.message = p.t.s("admin.blocked").into();
        return page(&req, StatusCode::TOO_MANY_REQUESTS, p);
    }
    let token = form.map(|f| f.token.trim().to_string()).unwrap_or_default();
    let valid = !token.is_empty()
        && token.len() <= 200
        && token.chars().all(|c| c.is_ascii_graphic())
        && matches!(
            state
                .archive
                .catalog
                .use_token(&auth::token_hash(&token))
                .await,
            Ok(Some(_))
        );
    if !valid {
        state.failed_attempts.failed(&req);
        let mut p = AdminPage::new(&req, false, "signin");
        p.message = p.t.s("admin.bad_token").into();
        return page(&req, StatusCode::UNAUTHORIZED, p);
    }
    let mut response = see_other("/admin/lavori");
    if let Ok(value) = cookie(&req, &token, 8 * 3600).parse() {
        response
            .headers_mut()
            .insert(actix_web::http::header::SET_COOKIE, value);
    }
    Ok(response)
}

/// `POST /admin/esci`
pub async fn sign_out(req: HttpRequest) -> HttpResponse {
    let mut response = see_other("/admin");
    if let Ok(value) = cookie(&req, "", 0).parse() {
        response
            .headers_mut()
            .insert(actix_web::http::header::SET_COOKIE, value);
    }
    response
}

/// Nothing when signed in; otherwise the answer to give instead: the sign-in form with
/// a 401.
async fn sign_in_first(req: &HttpRequest, state: &AppState) -> Option<Page> {
    if authorize(req, state).await.is_ok() {
        return None;
    }
    let mut p = AdminPage::new(req, false, "signin");
    p.message = p.t.s("admin.sign_in_first").into();
    Some(page(req, StatusCode::UNAUTHORIZED, p))
}

#[derive(Debug, Deserialize)]
pub struct Notice {
    fatto: Option<String>,
}

/// `GET /admin/lavori`
pub async fn jobs(
    req: HttpRequest,
    state: web::Data<AppState>,
    notice: web::Query<Notice>,
) -> Page {
    if let Some(answer) = sign_in_first(&req, &state).await {
        return answer;
    }
    let mut p = AdminPage::new(&req, true, "jobs");
    p.jobs = state.archive.catalog.jobs(None, 200).await.or_page(&req)?;
    if let Some(id) = notice.fatto.as_deref().and_then(|v| v.parse::<i64>().ok()) {
        p.message = p.t.f("admin.requeued", id);
    }
    page(&req, StatusCode::OK, p)
}

/// `GET /admin/dirette`: the sessions armed for a live stream, their state, and for those
/// running on this server whether the encoder is connected, its average rate and the
/// viewers; and the form that arms a session.
pub async fn live(req: HttpRequest, state: web::Data<AppState>) -> Page {
    if let Some(answer) = sign_in_first(&req, &state).await {
        return answer;
    }
    let p = live_page(&req, &state).await?;
    page(&req, StatusCode::OK, p)
}

#[derive(Debug, Deserialize)]
pub struct ArmForm {
    seduta: String,
    #[serde(default)]
    inizio: String,
}

/// `POST /admin/dirette`: arms a session from the page, which shows the encoder's
/// addresses and key once (arming again gives a new key).
pub async fn arm_live(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ArmForm>,
) -> Page {
    if let Some(answer) = sign_in_first(&req, &state).await {
        return answer;
    }
    let starts_at = Some(form.inizio.trim()).filter(|t| !t.is_empty());
    let id = form.seduta.trim().parse::<i64>().ok().filter(|id| *id > 0);
    let armed = match (id, state.live.is_some()) {
        (_, false) => Err(StatusCode::CONFLICT),
        (None, _) => Err(StatusCode::BAD_REQUEST),
        (Some(_), _) if starts_at.is_some_and(|t| !super::live::is_clock(t)) => {
            Err(StatusCode::BAD_REQUEST)
        }
        (Some(id), _) => super::live::arm_with_new_key(&state, id, starts_at)
            .await
            .map_err(|e| actix_web::ResponseError::status_code(&e)),
    };
    let mut p = live_page(&req, &state).await?;
    let status = match armed {
        Ok((stream, key)) => {
            tracing::info!(
                id = stream.session_id,
                "live session armed from the admin pages"
            );
            let (rtmp, srt) = super::live::push_addresses(&req, &state, &key);
            p.armed = Some(ArmedView {
                session_id: stream.session_id,
                rtmp: rtmp.unwrap_or_default(),
                srt: srt.unwrap_or_default(),
                key,
            });
            StatusCode::OK
        }
        Err(status) => {
            p.message =
                p.t.s(match status {
                    StatusCode::NOT_FOUND => "admin.live_no_session",
                    StatusCode::BAD_REQUEST => "admin.live_bad_form",
                    _ => "admin.live_off",
                })
                .to_string();
            status
        }
    };
    page(&req, status, p)
}

async fn live_page(req: &HttpRequest, state: &AppState) -> Result<AdminPage, PageError> {
    let mut p = AdminPage::new(req, true, "live");
    p.live_on = state.live.is_some();
    let now = state.live.as_ref().map(|hub| hub.now()).unwrap_or_default();
    let listed = state.archive.catalog.live_streams(100).await.or_page(req)?;
    p.live = listed
        .into_iter()
        .map(|l| {
            let running = now.iter().find(|n| n.session_id == l.session_id).cloned();
            (l, running)
        })
        .collect();
    Ok(p)
}

/// `POST /admin/lavori/{id}/riprova`
pub async fn retry(req: HttpRequest, state: web::Data<AppState>, id: web::Path<String>) -> Page {
    if let Some(answer) = sign_in_first(&req, &state).await {
        return answer;
    }
    let Ok(id) = id.parse::<i64>() else {
        return Ok(see_other("/admin/lavori"));
    };
    if !state.archive.catalog.requeue_job(id).await.or_page(&req)? {
        return Ok(see_other("/admin/lavori"));
    }
    tracing::info!(id, "job retried from the admin pages");
    Ok(see_other(&format!("/admin/lavori?fatto={id}")))
}

/// `GET /admin/importazione`
pub async fn import(req: HttpRequest, state: web::Data<AppState>) -> Page {
    if let Some(answer) = sign_in_first(&req, &state).await {
        return answer;
    }
    let mut p = AdminPage::new(&req, true, "import");
    let report = state
        .archive
        .catalog
        .last_import_report()
        .await
        .or_page(&req)?;
    let t = p.t.clone();
    p.import = report.map(|r| {
        let v = crate::import::Report::from_json(&r.report);
        ImportView {
            file: r.file,
            when: chrono::DateTime::from_timestamp(r.created_at, 0)
                .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default(),
            dry_run: r.dry_run,
            summary: t.fill(
                "admin.import_summary",
                &[&v.rows, &v.imported, &v.unchanged, &v.skipped, &v.outcome],
            ),
            problems: v
                .problems
                .iter()
                .map(|p| t.fill("admin.row_problem", &[&p.line.unwrap_or(0), &p.reason]))
                .collect(),
        }
    });
    page(&req, StatusCode::OK, p)
}

/// `GET /admin/indirizzi`
pub async fn unmapped(req: HttpRequest, state: web::Data<AppState>) -> Page {
    if let Some(answer) = sign_in_first(&req, &state).await {
        return answer;
    }
    let mut p = AdminPage::new(&req, true, "unmapped");
    p.unmapped = state
        .archive
        .catalog
        .unmapped_report(200)
        .await
        .or_page(&req)?;
    page(&req, StatusCode::OK, p)
}

/// `GET /admin/sedute/{id}/trascrizione`: the transcript's cues beside the video, each a
/// row of the form that corrects them.
pub async fn transcript(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    notice: web::Query<Notice>,
) -> Page {
    if let Some(answer) = sign_in_first(&req, &state).await {
        return answer;
    }
    let id = id.parse::<i64>().map_err(|_| PageError::not_found(&req))?;
    let mut p = AdminPage::new(&req, true, "transcript");
    if let Some(n) = notice
        .fatto
        .as_deref()
        .and_then(|v| v.parse::<usize>().ok())
    {
        p.message = p.t.f("admin.transcript_saved", n);
    }
    p.transcript = Some(transcript_view(&req, &state, id).await?);
    page(&req, StatusCode::OK, p)
}

async fn transcript_view(
    req: &HttpRequest,
    state: &AppState,
    id: i64,
) -> Result<TranscriptView, PageError> {
    let catalog = &state.archive.catalog;
    let session = catalog.session(id).await.or_page(req)?;
    let session = session.ok_or_else(|| PageError::not_found(req))?;
    let cues = catalog.cues(id).await.or_page(req)?;
    let media = crate::urls::published_media_url(&session, &session.mp4_file);
    let (turns, people) = speaker_views(catalog, id, cues.last().map(|c| c.end_ms))
        .await
        .or_page(req)?;
    Ok(TranscriptView {
        turns,
        people,
        session_id: id,
        title: session.title,
        media,
        rows: cues
            .into_iter()
            .enumerate()
            .map(|(i, c)| EditorRow {
                n: i + 1,
                start: crate::speech::editing::form_time(c.start_ms),
                end: crate::speech::editing::form_time(c.end_ms),
                text: c.text.replace('\n', " "),
                corrected: c.source == crate::domain::CueSource::Corrected,
            })
            .collect(),
    })
}

/// The session's turns, each running to the next (or, for an editor's, to its end), in
/// the published media's timeline; and the roster of the session's day.
async fn speaker_views(
    catalog: &crate::catalog::Catalog,
    id: i64,
    last_ms: Option<i64>,
) -> Result<(Vec<TurnView>, Vec<(String, String)>), crate::catalog::CatalogError> {
    use crate::speech::editing::form_time;
    let cuts = catalog.current_cuts(id).await?;
    let turns = catalog.turns(id).await?;
    let shown = |ms: i64| form_time(cuts.public_time_clamped(ms));
    let mut views = Vec::new();
    for (i, t) in turns.iter().enumerate() {
        let next = turns[i + 1..].iter().map(|n| n.start_ms).next();
        let end = t.end_ms.or(next).or(last_ms).unwrap_or(t.start_ms);
        views.push(TurnView {
            start: shown(t.start_ms),
            end: shown(end),
            who: t
                .person
                .as_ref()
                .map(|p| p.name())
                .or_else(|| t.label.clone())
                .unwrap_or_default(),
            person: t
                .person
                .as_ref()
                .map(|p| p.slug.clone())
                .unwrap_or_default(),
            source: t.source,
            confidence: t.confidence.map(|c| format!("{c:.2}")).unwrap_or_default(),
        });
    }
    let everyone = catalog.people().await?;
    let people = catalog
        .members_on(id)
        .await?
        .into_iter()
        .filter_map(|m| everyone.iter().find(|p| p.id == m.id))
        .map(|p| (p.slug.clone(), p.name()))
        .collect();
    Ok((views, people))
}

/// `GET /admin/persone`: the roster, and the form that changes it.
pub async fn people(
    req: HttpRequest,
    state: web::Data<AppState>,
    notice: web::Query<Notice>,
) -> Page {
    if let Some(answer) = sign_in_first(&req, &state).await {
        return answer;
    }
    let mut p = AdminPage::new(&req, true, "people");
    if let Some(n) = notice.fatto.as_deref() {
        p.message = p.t.f("admin.roster_saved", n);
    }
    roster_view(&req, &state, &mut p).await?;
    page(&req, StatusCode::OK, p)
}

async fn roster_view(
    req: &HttpRequest,
    state: &AppState,
    p: &mut AdminPage,
) -> Result<(), PageError> {
    let catalog = &state.archive.catalog;
    let roles = catalog.everyones_roles().await.or_page(req)?;
    for person in catalog.people().await.or_page(req)? {
        let text: Vec<String> = roles
            .get(&person.id)
            .into_iter()
            .flatten()
            .map(|r| super::people::role_text(&p.t, r))
            .collect();
        let url = super::people::person_url(&person.slug);
        p.people.push((person.name(), url, text.join("; ")));
    }
    Ok(())
}

/// `POST /admin/persone`: roster rows as CSV text (`righe`, with its header), checked and
/// written as `aula people import` does; every problem is listed and nothing changes.
pub async fn change_people(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Page {
    if let Some(answer) = sign_in_first(&req, &state).await {
        return answer;
    }
    let text = form
        .iter()
        .find(|(k, _)| k == "righe")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let mut p = AdminPage::new(&req, true, "people");
    let catalog = &state.archive.catalog;
    let problems = match crate::import::read_rows::<crate::people::roster::RawRole>(&text) {
        Err(e) => vec![e],
        Ok(rows) => match crate::people::roster::import(catalog, rows, false)
            .await
            .or_page(&req)?
        {
            Ok(done) => {
                crate::people::reading::read_all(catalog)
                    .await
                    .or_page(&req)?;
                tracing::info!(
                    people = done.people,
                    roles = done.roles,
                    "roster changed in the admin pages"
                );
                return Ok(see_other(&format!("/admin/persone?fatto={}", done.people)));
            }
            Err(problems) => problems
                .iter()
                .map(|q| match q.line {
                    Some(line) => p.t.f2("admin.row_problem", line, &q.reason),
                    None => q.reason.clone(),
                })
                .collect(),
        },
    };
    p.message = p.t.s("admin.roster_refused").to_string();
    p.roster_problems = problems;
    p.roster_rows = text;
    roster_view(&req, &state, &mut p).await?;
    page(&req, StatusCode::UNPROCESSABLE_ENTITY, p)
}

/// `POST /admin/sedute/{id}/oratori`: who speaks from `da` to `a` (times as the player
/// shows them); `persona` empty for nobody of the roster. Kept over what is read.
pub async fn set_speaker(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Page {
    if let Some(answer) = sign_in_first(&req, &state).await {
        return answer;
    }
    let id = id.parse::<i64>().map_err(|_| PageError::not_found(&req))?;
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let parse = crate::speech::editing::parse_time;
    let catalog = &state.archive.catalog;
    let mut p = AdminPage::new(&req, true, "transcript");
    let person = match field("persona").as_str() {
        "" => Ok(None),
        slug => match catalog.person(slug).await.or_page(&req)? {
            Some(person) => Ok(Some(person.id)),
            None => Err(p.t.s("admin.speaker_unknown").to_string()),
        },
    };
    p.message = match (parse(&field("da")), parse(&field("a")), person) {
        (Some(from), Some(to), Ok(person)) if to > from => {
            let cuts = catalog.current_cuts(id).await.or_page(&req)?;
            let (from, to) = (cuts.original_time(from), cuts.original_time(to));
            catalog
                .set_editor_turn(id, from, to, person)
                .await
                .or_page(&req)?;
            tracing::info!(id, from, to, ?person, "speaker set in the admin pages");
            return Ok(see_other(&format!("/admin/sedute/{id}/trascrizione")));
        }
        (_, _, Err(message)) => message,
        _ => p.t.s("admin.speaker_bad_times").to_string(),
    };
    p.transcript = Some(transcript_view(&req, &state, id).await?);
    page(&req, StatusCode::UNPROCESSABLE_ENTITY, p)
}

/// `POST /admin/sedute/{id}/trascrizione`: the form's rows (`start-N`, `end-N`, `text-N`,
/// `merge-N`) as the transcript should read; a row that cannot be read is named and
/// nothing changes.
pub async fn correct_transcript(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Page {
    if let Some(answer) = sign_in_first(&req, &state).await {
        return answer;
    }
    let id = id.parse::<i64>().map_err(|_| PageError::not_found(&req))?;
    let rows = form_rows(&form.into_inner());
    let mut p = AdminPage::new(&req, true, "transcript");
    p.message = match crate::speech::editing::cues_from_form(&rows) {
        Err((row, why)) => p.t.fill("admin.transcript_bad_row", &[&row, &why]),
        Ok(cues) => match state
            .archive
            .catalog
            .correct_transcript(id, &cues)
            .await
            .or_page(&req)?
        {
            crate::catalog::Correction::Stored { corrected, .. } => {
                tracing::info!(id, corrected, "transcript corrected in the admin pages");
                crate::people::reading::read_session(&state.archive.catalog, id)
                    .await
                    .or_page(&req)?;
                return Ok(see_other(&format!(
                    "/admin/sedute/{id}/trascrizione?fatto={corrected}"
                )));
            }
            crate::catalog::Correction::HumanTranscript => p.t.s("admin.transcript_human").into(),
        },
    };
    p.transcript = Some(transcript_view(&req, &state, id).await?);
    page(&req, StatusCode::UNPROCESSABLE_ENTITY, p)
}

/// The form's fields as rows, in the order of their numbers.
fn form_rows(fields: &[(String, String)]) -> Vec<crate::speech::editing::FormRow> {
    let mut rows: std::collections::BTreeMap<usize, crate::speech::editing::FormRow> =
        std::collections::BTreeMap::new();
    for (name, value) in fields {
        let Some((field, n)) = name.rsplit_once('-') else {
            continue;
        };
        let Ok(n) = n.parse::<usize>() else { continue };
        let row = rows.entry(n).or_default();
        match field {
            "start" => row.start.clone_from(value),
            "end" => row.end.clone_from(value),
            "text" => row.text.clone_from(value),
            "merge" => row.merge_with_next = true,
            _ => {}
        }
    }
    rows.into_values().collect()
}
