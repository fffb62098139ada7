//! Response headers that tell browsers what the pages may do, and a bound on failed
//! admin sign-ins.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most bytes of request headers accepted (about what nginx allows by default); past it
/// the answer is 431 and the connection closes.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::HttpRequest;

/// What pages may load: scripts only from the archive itself (no inline script anywhere);
/// the player's media and its transmuxing worker come as `blob:` URLs; fonts and icons
/// of the design kit are partly `data:` URLs; video.js sets some inline styles.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     media-src 'self' blob:; worker-src 'self' blob:; connect-src 'self'; \
     object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers to an answer. `https` says whether the client reached us
/// over TLS (directly or through a proxy that says so): only then is HSTS sent.
pub fn add_headers(headers: &mut actix_web::http::header::HeaderMap, https: bool) {
    // Names and values made at compile time: made from text on each answer, checking the
    // policy's 300 characters was a visible share of a small media answer's time.
    const POLICY: HeaderValue = HeaderValue::from_static(CONTENT_SECURITY_POLICY);
    const DENY: HeaderValue = HeaderValue::from_static("DENY");
    const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
    const REFERRER: HeaderValue = HeaderValue::from_static("strict-origin-when-cross-origin");
    const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000");
    // A handler that set its own policy (the embeddable player) decides about framing.
    let own_policy = headers.contains_key(header::CONTENT_SECURITY_POLICY);
    let mut set = |name: HeaderName, value: HeaderValue| {
        if !headers.contains_key(&name) {
            headers.insert(name, value);
        }
    };
    if !own_policy {
        set(header::X_FRAME_OPTIONS, DENY);
        set(header::CONTENT_SECURITY_POLICY, POLICY);
    }
    set(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    set(header::REFERRER_POLICY, REFERRER);
    if https {
        set(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
}

/// Failed token attempts allowed per client address in one window; past it, every
/// attempt (even with the right token) waits for the window to end.
pub const MAX_FAILURES: u32 = 10;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// Addresses with recent failed sign-ins on this server: (failures, start of their window).
#[derive(Default)]
pub struct FailedAttempts {
    by_client: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

/// The client's address as the connection has it (not a header it could forge). Behind
/// a proxy every client shares the proxy's address, and so its budget.
fn client(req: &HttpRequest) -> Option<IpAddr> {
    req.peer_addr().map(|a| a.ip())
}

impl FailedAttempts {
    /// How long this client must wait before trying a token again, if it is blocked.
    pub fn blocked_for(&self, req: &HttpRequest) -> Option<Duration> {
        let ip = client(req)?;
        let mut failures = self.by_client.lock().ok()?;
        let (count, since) = *failures.get(&ip)?;
        let elapsed = since.elapsed();
        if elapsed >= FAILURE_WINDOW {
            failures.remove(&ip);
            return None;
        }
        (count >= MAX_FAILURES).then(|| FAILURE_WINDOW - elapsed)
    }

    /// Notes a failed attempt from this client.
    pub fn failed(&self, req: &HttpRequest) {
        let Some(ip) = client(req) else { return };
        let Ok(mut failures) = self.by_client.lock() else {
            return;
        };
        // Bounded memory: forget expired windows when the table grows.
        if failures.len() >= 10_000 {
            failures.retain(|_, (_, since)| since.elapsed() < FAILURE_WINDOW);
        }
        let entry = failures.entry(ip).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= FAILURE_WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_added_without_overriding() {
        let mut headers = actix_web::http::header::HeaderMap::new();
        headers.insert(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("SAMEORIGIN"),
        );
        add_headers(&mut headers, false);
        assert_eq!(headers.get("x-frame-options").unwrap(), "SAMEORIGIN");
        assert!(headers
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("script-src 'self';"));
        assert!(headers.get("strict-transport-security").is_none());
        add_headers(&mut headers, true);
        assert!(headers.get("strict-transport-security").is_some());
    }
}
