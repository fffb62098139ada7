//! E-mail alerts as citizens meet them: the form under a search or a body's sessions
//! (`POST /avvisi`), the confirmation link (`/avvisi/conferma/{token}`: a page with one
//! button, so a mail scanner that opens links confirms nothing), the leaving link
//! (`/avvisi/annulla/{token}`: the same, and its POST is also the one-click target of the
//! messages' `List-Unsubscribe-Post`), the privacy statement (`/privacy`), and the admin
//! call that composes the digests now. Without an SMTP server configured there are no
//! alerts: the forms are not shown and these addresses answer 404.
//!
//! The answer to a subscription never says whether the address was already subscribed:
//! the same page whether or not a message was sent.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::admin::Editor;
use super::errors::{ApiError, OrPage, PageError};
use super::i18n::Ui;
use super::pages::{html, language, Page};
use super::AppState;
use crate::alerts::messages::{self, Links};
use crate::alerts::{self, digest, Follows};
use crate::catalog::{NewMail, NewSubscription};
use crate::domain::Frequency;

#[derive(Template)]
#[template(path = "alert.html")]
struct AlertPage {
    t: Ui,
    heading: String,
    lines: Vec<String>,
    /// A form with one button posting here, when not empty.
    action: String,
    button: String,
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyPage {
    t: Ui,
    owner: Option<String>,
}

/// The subscription form's fields.
#[derive(Debug, Deserialize)]
pub struct SubscribeForm {
    email: String,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    /// A body's sessions, rather than a search.
    #[serde(default)]
    organo: Option<String>,
    /// A person's sessions (their slug), rather than a search.
    #[serde(default)]
    persona: Option<String>,
    #[serde(default)]
    frequency: Option<String>,
}

fn enabled(state: &AppState) -> bool {
    state.archive.config.alerts_enabled()
}

/// What an alert page says, in the reader's language: its heading, its paragraphs, and
/// at most one button, posting to an address.
struct Said {
    heading: String,
    lines: Vec<String>,
    button: Option<(String, String)>,
}

/// The page `said` writes with the reader's words.
fn show(req: &HttpRequest, status: StatusCode, said: impl FnOnce(&Ui) -> Said) -> Page {
    let (t, remember) = language(req);
    let Said {
        heading,
        lines,
        button,
    } = said(&t);
    let (action, button) = button.unwrap_or_default();
    let page = AlertPage {
        t,
        heading,
        lines,
        action,
        button,
    };
    html(req, status, remember, page)
}

/// A page of heading `key` saying `lines` (each a key, `{}` the subscription's label).
fn told(req: &HttpRequest, key: &str, lines: &[&str], label: &str) -> Page {
    show(req, StatusCode::OK, |t| Said {
        heading: t.s(key).to_string(),
        lines: lines.iter().map(|k| t.f(k, label)).collect(),
        button: None,
    })
}

/// The page of the subscription of `token` with the one button that does `what`
/// (`confirm`, `leave`: its heading, text and button are `alerts.{what}…`) at `path`.
async fn button_page(
    req: &HttpRequest,
    state: &AppState,
    token: &str,
    what: &str,
    path: &str,
) -> Page {
    let subscription = subscription_of(req, state, token).await?;
    show(req, StatusCode::OK, |t| Said {
        heading: t.s(&format!("alerts.{what}")).to_string(),
        lines: vec![t.f(&format!("alerts.{what}_text"), &subscription.label)],
        button: Some((
            format!("{path}/{token}"),
            t.s(&format!("alerts.{what}_button")).to_string(),
        )),
    })
}

/// What the form asks to follow, and how messages name it; None when it names nothing.
fn follows(
    form: &SubscribeForm,
    body_name: impl Fn(&str) -> Option<String>,
    person_name: impl Fn(&str) -> Option<String>,
) -> Option<(Follows, String)> {
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(String::from)
    };
    if let Some(q) = given(&form.q) {
        let body = given(&form.body);
        // With a search, `persona` narrows it to what that person said.
        let speaker = given(&form.persona);
        let speaker_name = match speaker.as_deref() {
            Some(slug) => Some(person_name(slug)?),
            None => None,
        };
        let within: Vec<String> = [body.as_deref().and_then(&body_name), speaker_name]
            .into_iter()
            .flatten()
            .collect();
        let label = match within.is_empty() {
            true => format!("«{q}»"),
            false => format!("«{q}» ({})", within.join(", ")),
        };
        let follows = Follows::Search {
            q,
            body,
            kind: given(&form.kind),
            speaker,
        };
        return Some((follows, label));
    }
    if let Some(slug) = given(&form.persona) {
        let name = person_name(&slug)?;
        return Some((Follows::Person { slug }, name));
    }
    let slug = given(&form.organo)?;
    let name = body_name(&slug)?;
    Some((Follows::Body { slug }, name))
}

/// `POST /avvisi`: an address asks to follow a search or a body; a confirmation message
/// is queued (at most one per address and follow while unconfirmed).
pub async fn subscribe(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SubscribeForm>,
) -> Page {
    if !enabled(&state) {
        return Err(PageError::not_found(&req));
    }
    let bodies = state.archive.catalog.bodies().await.or_page(&req)?;
    let body_name = |slug: &str| {
        bodies
            .iter()
            .find(|b| b.slug == slug)
            .map(|b| b.name.clone())
    };
    let refused = |why: &dyn Fn(&Ui) -> String| {
        show(&req, StatusCode::BAD_REQUEST, |t| Said {
            heading: t.s("alerts.refused").to_string(),
            lines: vec![why(t)],
            button: None,
        })
    };
    let email = match alerts::address(&form.email) {
        Ok(email) => email,
        Err(alerts::AddressError::Missing) => {
            return refused(&|t| t.s("alerts.address_missing").to_string())
        }
        Err(alerts::AddressError::Invalid(_)) => {
            return refused(&|t| t.f("alerts.address_invalid", form.email.trim()))
        }
    };
    let people = state.archive.catalog.people().await.or_page(&req)?;
    let person_name = |slug: &str| people.iter().find(|p| p.slug == slug).map(|p| p.name());
    let Some((follows, label)) = follows(&form, body_name, person_name) else {
        return refused(&|t| t.s("alerts.nothing_to_follow").to_string());
    };
    let frequency = form
        .frequency
        .as_deref()
        .unwrap_or("weekly")
        .parse::<Frequency>();
    let Ok(frequency) = frequency else {
        return refused(&|t| t.s("alerts.bad_frequency").to_string());
    };
    let token = crate::auth::random_hex(24).map_err(|e| PageError::other(Some(&req), e))?;
    // Never the request's Host (anyone can write it): the address set for the archive,
    // which configuration requires with alerts.
    let Some(origin) = state.archive.config.public_url.clone() else {
        return Err(PageError::not_found(&req));
    };
    let lang = Ui::for_request(&req).0.code();
    let (subject, body) =
        messages::confirmation(lang, &Links::new(&origin, &token), &label, frequency);
    let new = NewSubscription {
        email: &email,
        follows: &follows.to_json(),
        label: &label,
        frequency,
        lang,
        origin: &origin,
        token: &token,
    };
    let mail = NewMail {
        subject: &subject,
        body: &body,
    };
    let subscribed = state
        .archive
        .catalog
        .subscribe(&new, &mail)
        .await
        .or_page(&req)?;
    tracing::info!(queued = ?subscribed, "alert subscription asked");
    told(
        &req,
        "alerts.check_mail",
        &["alerts.check_mail_text", "alerts.check_mail_spam"],
        &label,
    )
}

/// The subscription of `token`, or the page saying there is none.
async fn subscription_of(
    req: &HttpRequest,
    state: &AppState,
    token: &str,
) -> Result<crate::catalog::Subscription, PageError> {
    if !enabled(state) || token.len() > 100 {
        return Err(PageError::not_found(req));
    }
    state
        .archive
        .catalog
        .subscription(token)
        .await
        .or_page(req)?
        .ok_or_else(|| PageError::not_found(req))
}

/// `GET /avvisi/conferma/{token}`: what is followed, and the button that confirms it.
pub async fn confirm_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Page {
    let subscription = subscription_of(&req, &state, &token).await?;
    if subscription.confirmed_at.is_some() {
        let texts = ["alerts.confirmed_text"];
        return told(&req, "alerts.confirmed", &texts, &subscription.label);
    }
    button_page(&req, &state, &token, "confirm", "/avvisi/conferma").await
}

/// `POST /avvisi/conferma/{token}`: confirmed; what matches now counts as told.
pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Page {
    let subscription = subscription_of(&req, &state, &token).await?;
    let matching = match Follows::from_json(&subscription.follows) {
        Some(follows) => digest::matching(&state.archive.catalog, &state.search, &follows)
            .await
            .or_page(&req)?,
        None => Vec::new(),
    };
    let ids: Vec<i64> = matching.iter().map(|h| h.session_id as i64).collect();
    let now = crate::catalog::now();
    let first = alerts::next_digest(now, subscription.frequency);
    state
        .archive
        .catalog
        .confirm_subscription(&token, first, &ids)
        .await
        .or_page(&req)?;
    tracing::info!(
        subscription = subscription.id,
        matching = ids.len(),
        "alert confirmed"
    );
    let texts = ["alerts.confirmed_text", "alerts.leave_any_time"];
    told(&req, "alerts.confirmed", &texts, &subscription.label)
}

/// `GET /avvisi/annulla/{token}`: the button that ends the subscription.
pub async fn leave_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Page {
    button_page(&req, &state, &token, "leave", "/avvisi/annulla").await
}

/// `POST /avvisi/annulla/{token}`: the subscription and all kept for it deleted. Also what
/// a mail program's own "unsubscribe" posts (RFC 8058). Gone already: the same answer.
pub async fn leave(req: HttpRequest, state: web::Data<AppState>, token: web::Path<String>) -> Page {
    if !enabled(&state) || token.len() > 100 {
        return Err(PageError::not_found(&req));
    }
    let gone = state
        .archive
        .catalog
        .unsubscribe(&token)
        .await
        .or_page(&req)?;
    if gone {
        tracing::info!("alert subscription removed by its subscriber");
    }
    told(&req, "alerts.left", &["alerts.left_text"], "")
}

/// `GET /privacy`: what the archive keeps about people, and why.
pub async fn privacy(req: HttpRequest, state: web::Data<AppState>) -> Page {
    let (t, remember) = language(&req);
    let owner = state.archive.config.owner_name.clone();
    html(&req, StatusCode::OK, remember, PrivacyPage { t, owner })
}

#[derive(Debug, Deserialize)]
pub struct DigestParams {
    /// Every confirmed subscription, not only those due.
    #[serde(default)]
    all: bool,
}

/// `POST /api/v1/admin/alerts/digests`: composes the due digests now (every confirmed
/// subscription's with `?all=true`) and queues their messages.
pub async fn compose_digests(
    who: Editor,
    state: web::Data<AppState>,
    params: web::Query<DigestParams>,
) -> Result<HttpResponse, ApiError> {
    if !enabled(&state) {
        return Err(ApiError::conflict(
            "No SMTP server",
            "alerts need an SMTP server: set AULA_SMTP_HOST and AULA_MAIL_FROM",
        ));
    }
    let now = crate::catalog::now();
    let composed =
        digest::compose_due(&state.archive.catalog, &state.search, now, params.all).await?;
    tracing::info!(token = %who, ?composed, "alert digests composed");
    Ok(HttpResponse::Ok().json(composed))
}
