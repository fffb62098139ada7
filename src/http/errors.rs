//! The HTTP layer's one error path: what a handler returns when it cannot answer as
//! asked. `ApiError` becomes an RFC 9457 problem document (the public and admin APIs);
//! `PageError` becomes an HTML page in the reader's language. Whether a failure is the
//! reader's mistake (4xx), the catalog being out of reach for a moment (503 with
//! `Retry-After`) or a fault (500, logged) is decided here, from the error's own methods,
//! once. Handlers use `?`; they never build an error response by hand.
//!
//! It must not decide anything about the archive itself: the library's errors say what
//! happened, this file only says how to tell the client.

use std::borrow::Cow;
use std::fmt;

use actix_web::http::header::{HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use super::i18n::Ui;

/// How long a client should wait before asking again while the catalog is away.
const RETRY_AFTER_SECONDS: u64 = 5;

/// A failure of the library seen from HTTP: either a fault, or the catalog database out of
/// reach (which comes back by itself).
pub trait Unavailable {
    /// The catalog could not be reached: 503 and "try again", not 500.
    fn is_unavailable(&self) -> bool;
}

impl Unavailable for crate::catalog::CatalogError {
    fn is_unavailable(&self) -> bool {
        crate::catalog::CatalogError::is_unavailable(self)
    }
}

impl Unavailable for crate::alerts::digest::DigestError {
    fn is_unavailable(&self) -> bool {
        match self {
            crate::alerts::digest::DigestError::Catalog(e) => e.is_unavailable(),
            crate::alerts::digest::DigestError::Search(e) => e.is_unavailable(),
        }
    }
}

impl Unavailable for crate::search::SearchError {
    fn is_unavailable(&self) -> bool {
        crate::search::SearchError::is_unavailable(self)
    }
}

impl Unavailable for crate::ingest::IngestError {
    fn is_unavailable(&self) -> bool {
        matches!(self, crate::ingest::IngestError::Catalog(e) if e.is_unavailable())
    }
}

/// A fault the client cannot fix: logged in full, answered in general terms.
#[derive(Debug)]
pub struct Fault {
    message: String,
    unavailable: bool,
}

impl Fault {
    pub fn new<E: fmt::Display + Unavailable>(error: E) -> Fault {
        Fault {
            message: error.to_string(),
            unavailable: error.is_unavailable(),
        }
    }

    /// A fault outside the catalog (a file, a child process): always a 500.
    pub fn other(error: impl fmt::Display) -> Fault {
        Fault {
            message: error.to_string(),
            unavailable: false,
        }
    }

    fn status(&self) -> StatusCode {
        if self.unavailable {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }

    fn log(&self, what: &str) {
        if self.unavailable {
            tracing::warn!(error = %self.message, "{what}: the catalog cannot be reached");
        } else {
            tracing::error!(error = %self.message, "{what} failed");
        }
    }
}

/// An answer of the JSON APIs that is not a success: an RFC 9457 problem document.
#[derive(Debug)]
pub enum ApiError {
    /// The client's mistake, or a state of the archive the client must know about.
    Problem {
        status: StatusCode,
        title: Cow<'static, str>,
        detail: String,
        /// Seconds to wait, for 429 and 503.
        retry_after: Option<u64>,
    },
    /// No valid token: 401 with the scheme to use.
    Unauthorized(String),
    Fault(Fault),
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        title: impl Into<Cow<'static, str>>,
        detail: impl Into<String>,
    ) -> ApiError {
        ApiError::Problem {
            status,
            title: title.into(),
            detail: detail.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(title: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, title, detail)
    }

    pub fn not_found(title: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, title, detail)
    }

    /// 422: the request is well formed (it matches the API's schema) but cannot be done:
    /// it names a body that does not exist, a range that ends before it starts, a file
    /// that is not a recording. A 400 means the request itself breaks the schema.
    pub fn unprocessable(
        title: impl Into<Cow<'static, str>>,
        detail: impl Into<String>,
    ) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, title, detail)
    }

    pub fn conflict(title: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, title, detail)
    }

    /// 429 or 503: ask again after `seconds`.
    pub fn retry_after(mut self, seconds: u64) -> ApiError {
        if let ApiError::Problem { retry_after, .. } = &mut self {
            *retry_after = Some(seconds.max(1));
        }
        self
    }

    /// The catalog cannot be reached now: it comes back by itself.
    pub fn unavailable() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Temporarily unavailable",
            "the catalog database cannot be reached now; try again in a few seconds",
        )
        .retry_after(RETRY_AFTER_SECONDS)
    }

    /// A fault outside the catalog (a file, a child process).
    pub fn internal(error: impl fmt::Display) -> ApiError {
        ApiError::Fault(Fault::other(error))
    }

    /// The problem document this error is sent as.
    pub fn to_response(&self) -> HttpResponse {
        match self {
            ApiError::Problem {
                status,
                title,
                detail,
                retry_after,
            } => {
                let mut response = problem(*status, title, detail);
                if let Some(seconds) = retry_after {
                    response
                        .headers_mut()
                        .insert(RETRY_AFTER, HeaderValue::from(*seconds));
                }
                response
            }
            ApiError::Unauthorized(detail) => {
                let mut response = problem(StatusCode::UNAUTHORIZED, "Not authorised", detail);
                response.headers_mut().insert(
                    WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"aula admin\""),
                );
                response
            }
            ApiError::Fault(fault) if fault.unavailable => ApiError::unavailable().to_response(),
            ApiError::Fault(_) => problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error",
                "the archive could not answer; the error has been logged",
            ),
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

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Problem { title, detail, .. } => write!(f, "{title}: {detail}"),
            ApiError::Unauthorized(detail) => write!(f, "not authorised: {detail}"),
            ApiError::Fault(fault) => f.write_str(&fault.message),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Problem { status, .. } => *status,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Fault(fault) => fault.status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Fault(fault) = self {
            fault.log("API request");
        }
        self.to_response()
    }
}

impl<E: fmt::Display + Unavailable> From<E> for ApiError {
    fn from(error: E) -> ApiError {
        ApiError::Fault(Fault::new(error))
    }
}

/// A page that cannot be shown as asked: the 404 page or the error page, in the reader's
/// language.
#[derive(Debug)]
pub struct PageError {
    /// Boxed: a page's words are large, and errors travel by value.
    ui: Box<Ui>,
    /// The language cookie to set, when the reader just chose one with `?lang=`.
    remember: Option<String>,
    kind: PageErrorKind,
}

#[derive(Debug)]
enum PageErrorKind {
    NotFound,
    Fault(Fault),
}

impl PageError {
    fn new(req: Option<&HttpRequest>, kind: PageErrorKind) -> PageError {
        let (ui, remember) = match req {
            Some(req) => {
                let (ui, asked) = Ui::for_request(req);
                let remember = asked.then(|| ui.remember());
                (ui, remember)
            }
            None => (Ui::default(), None),
        };
        PageError {
            ui: Box::new(ui),
            remember,
            kind,
        }
    }

    /// "There is no such page", in the language of `req`.
    pub fn not_found(req: &HttpRequest) -> PageError {
        PageError::new(Some(req), PageErrorKind::NotFound)
    }

    /// "There is no such thing", in Italian: for what is not a page (a track, a file)
    /// and so carries no reader's choice.
    pub fn missing() -> PageError {
        PageError::new(None, PageErrorKind::NotFound)
    }

    /// A failure while making the page for `req`.
    pub fn fault(req: &HttpRequest, error: impl fmt::Display + Unavailable) -> PageError {
        PageError::new(Some(req), PageErrorKind::Fault(Fault::new(error)))
    }

    /// A failure outside the catalog while making the page for `req` (or, without one,
    /// a resource that is not a page).
    pub fn other(req: Option<&HttpRequest>, error: impl fmt::Display) -> PageError {
        PageError::new(req, PageErrorKind::Fault(Fault::other(error)))
    }
}

impl<E: fmt::Display + Unavailable> From<E> for PageError {
    /// A failure while making what is not a page (a track, a feed): Italian, the default.
    fn from(error: E) -> PageError {
        PageError::new(None, PageErrorKind::Fault(Fault::new(error)))
    }
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            PageErrorKind::NotFound => f.write_str("no such page"),
            PageErrorKind::Fault(fault) => f.write_str(&fault.message),
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match &self.kind {
            PageErrorKind::NotFound => StatusCode::NOT_FOUND,
            PageErrorKind::Fault(fault) => fault.status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let body = match &self.kind {
            PageErrorKind::NotFound => not_found_body((*self.ui).clone()),
            PageErrorKind::Fault(fault) => {
                fault.log("page");
                error_body((*self.ui).clone())
            }
        };
        let mut builder = HttpResponse::build(status);
        builder.content_type("text/html; charset=utf-8");
        if status == StatusCode::SERVICE_UNAVAILABLE {
            builder.insert_header((RETRY_AFTER, RETRY_AFTER_SECONDS));
        }
        if status == StatusCode::NOT_FOUND {
            // As every page: revalidated, and in the reader's language.
            builder
                .insert_header(("Cache-Control", "no-cache"))
                .insert_header(("Vary", "Accept-Language, Cookie"));
        }
        if let Some(cookie) = &self.remember {
            builder.insert_header((actix_web::http::header::SET_COOKIE, cookie.clone()));
        }
        builder.body(body)
    }
}

#[derive(askama::Template)]
#[template(path = "not_found.html")]
struct NotFoundPage {
    t: Ui,
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: Ui,
}

/// The body of the friendly 404, in `t`'s language.
fn not_found_body(t: Ui) -> String {
    askama::Template::render(&NotFoundPage { t })
        .unwrap_or_else(|_| "Pagina non trovata".to_string())
}

/// The body of the error page, in `t`'s language.
fn error_body(t: Ui) -> String {
    askama::Template::render(&ErrorPage { t }).unwrap_or_else(|_| "Errore interno".to_string())
}

/// `result.or_page(&req)?`: a library failure while making a page becomes its error page.
pub trait OrPage<T> {
    fn or_page(self, req: &HttpRequest) -> Result<T, PageError>;
}

impl<T, E: fmt::Display + Unavailable> OrPage<T> for Result<T, E> {
    fn or_page(self, req: &HttpRequest) -> Result<T, PageError> {
        self.map_err(|e| PageError::fault(req, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_keeps_its_status_and_says_what_to_do() {
        let e = ApiError::bad_request("Bad page", "page starts at 1");
        assert_eq!(e.status_code(), StatusCode::BAD_REQUEST);
        assert_eq!(e.to_string(), "Bad page: page starts at 1");
    }

    #[test]
    fn an_unreachable_catalog_is_503_with_retry_after() {
        let e: ApiError = crate::catalog::CatalogError::Db(sqlx::Error::PoolTimedOut).into();
        assert_eq!(e.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        let r = e.to_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers().get(RETRY_AFTER).unwrap(), "5");
    }

    #[test]
    fn other_catalog_failures_are_500_without_details() {
        let e: ApiError = crate::catalog::CatalogError::Db(sqlx::Error::RowNotFound).into();
        assert_eq!(e.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(e.to_response().headers().get(RETRY_AFTER).is_none());
    }

    #[test]
    fn unauthorised_names_the_scheme() {
        let r = ApiError::Unauthorized("no token".into()).to_response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.headers().get(WWW_AUTHENTICATE).is_some());
    }
}
