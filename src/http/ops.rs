//! What operators and their tools ask of a running server: `/healthz` (the process
//! answers), `/readyz` (it can do its work: catalog, ffmpeg, storage, search index) and
//! `/metrics` (Prometheus text: requests by route and status, bytes sent, open response
//! bodies, job queue by state, transcode speed, search latency).

use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use serde_json::json;

use super::AppState;
use crate::catalog::JobCount;
use crate::domain::JobState;

/// Upper bounds (seconds) of the search latency histogram.
const SEARCH_BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0];

/// Counters shared by every worker thread of the process.
pub struct Metrics {
    /// (route pattern, status) → requests
    requests: RwLock<HashMap<(String, u16), AtomicU64>>,
    bytes_sent: AtomicU64,
    open_bodies: AtomicU64,
    search_buckets: [AtomicU64; SEARCH_BUCKETS.len()],
    search_count: AtomicU64,
    /// Sum of search durations in microseconds.
    search_micros: AtomicU64,
}

pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// Distinct (route, status) pairs kept; unknown paths all share the route "unmatched".
const MAX_SERIES: usize = 2_000;

impl Metrics {
    fn new() -> Metrics {
        Metrics {
            requests: RwLock::new(HashMap::new()),
            bytes_sent: AtomicU64::new(0),
            open_bodies: AtomicU64::new(0),
            search_buckets: Default::default(),
            search_count: AtomicU64::new(0),
            search_micros: AtomicU64::new(0),
        }
    }

    fn count_request(&self, route: &str, status: u16) {
        if let Ok(known) = self.requests.read() {
            if let Some(n) = known.get(&(route.to_string(), status)) {
                n.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        if let Ok(mut known) = self.requests.write() {
            if known.len() < MAX_SERIES {
                known
                    .entry((route.to_string(), status))
                    .or_insert_with(|| AtomicU64::new(0))
                    .fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Records how long one search took.
    pub fn observe_search(&self, took: Duration) {
        let secs = took.as_secs_f64();
        for (bucket, bound) in self.search_buckets.iter().zip(SEARCH_BUCKETS) {
            if secs <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.search_count.fetch_add(1, Ordering::Relaxed);
        self.search_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }
}

/// Middleware: gives every request an id (the client's `X-Request-Id` if it is a sane
/// one, otherwise a new one), logs within a span that carries it, returns it in the
/// answer with the security headers (`security::add_headers`), counts the answer by its route pattern (never the raw path, so the number of
/// series stays small) and status, and wraps its body to count the bytes that leave and
/// the bodies still being sent.
pub async fn count(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    use tracing::Instrument;
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map_or_else(new_request_id, str::to_string);
    let span = tracing::info_span!("request", id = %id, method = %req.method(), path = %req.path());
    let started = std::time::Instant::now();
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    let mut response = if header_bytes > super::security::MAX_HEADER_BYTES {
        let mut refused = HttpResponse::build(actix_web::http::StatusCode::from_u16(431).unwrap())
            .content_type("text/plain; charset=utf-8")
            .body("request header fields too large\n");
        refused
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
        req.into_response(refused)
    } else {
        next.call(req)
            .instrument(span.clone())
            .await?
            .map_into_boxed_body()
    };
    // The media scope has no pattern of its own (see `routes`): its answers keep the
    // label they had as a route.
    let route = response.request().match_pattern().unwrap_or_else(|| {
        match response.request().path().starts_with("/media/") {
            true => "/media/{path:.*}".to_string(),
            false => "unmatched".to_string(),
        }
    });
    let status = response.status().as_u16();
    METRICS.count_request(&route, status);
    span.in_scope(|| {
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if status >= 500 {
            tracing::warn!(status, ms, "answered");
        } else {
            tracing::debug!(status, ms, "answered");
        }
    });
    let https = response.request().connection_info().scheme() == "https";
    super::security::add_headers(response.headers_mut(), https);
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&id) {
        response.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("x-request-id"),
            value,
        );
    }
    METRICS.open_bodies.fetch_add(1, Ordering::Relaxed);
    Ok(response.map_body(|_, body| {
        BoxBody::new(Counted {
            inner: body.boxed(),
        })
    }))
}

/// A request id unique in this process and unlikely to repeat across processes: the
/// start time, the process id and a counter.
fn new_request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static START: LazyLock<u64> = LazyLock::new(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        nanos ^ (u64::from(std::process::id()) << 40)
    });
    format!("{:x}-{:x}", *START, NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A response body that adds what it yields to the bytes sent, and is an open body
/// until it is dropped (sent, or the client went away).
struct Counted {
    inner: BoxBody,
}

impl Drop for Counted {
    fn drop(&mut self) {
        METRICS.open_bodies.fetch_sub(1, Ordering::Relaxed);
    }
}

impl MessageBody for Counted {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.inner.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let polled = Pin::new(&mut self.get_mut().inner).poll_next(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &polled {
            METRICS
                .bytes_sent
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        }
        polled
    }

    fn try_into_bytes(mut self) -> Result<Bytes, Self> {
        // Small bodies are written in one piece: keep that.
        let inner = std::mem::replace(&mut self.inner, BoxBody::new(()));
        match inner.try_into_bytes() {
            Ok(bytes) => {
                METRICS
                    .bytes_sent
                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                Ok(bytes)
            }
            Err(inner) => {
                self.inner = inner;
                Err(self)
            }
        }
    }
}

/// `GET /healthz`: the process is alive and answering.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body("ok\n")
}

/// `GET /readyz`: 200 when the catalog answers, ffmpeg and ffprobe are there, the data
/// directory takes writes and the search index is open; otherwise 503 naming what fails.
/// `features` says whether what the archive can work without (speech to text) is there.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let config = &state.archive.config;
    let database = match state.archive.catalog.ping().await {
        Ok(()) => Ok(()),
        Err(e) => Err(e.to_string()),
    };
    let tools = [&config.ffmpeg, &config.ffprobe]
        .into_iter()
        .find(|tool| find_program(tool).is_none())
        .map_or(Ok(()), |missing| {
            Err(format!("{} not found", missing.display()))
        });
    let staging = config.staging_dir();
    let storage = tokio::task::spawn_blocking(move || {
        tempfile::NamedTempFile::new_in(&staging)
            .map(drop)
            .map_err(|e| format!("cannot write in {}: {e}", staging.display()))
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()));
    let media = state
        .archive
        .media
        .reachable()
        .await
        .map_err(|e| e.to_string());
    let index = state
        .search
        .applied_seq()
        .map(drop)
        .map_err(|e| e.to_string());
    let checks = [
        ("database", database),
        ("ffmpeg", tools),
        ("storage", storage),
        ("media", media),
        ("search_index", index),
    ];
    let ready = checks.iter().all(|(_, r)| r.is_ok());
    let report: serde_json::Map<String, serde_json::Value> = checks
        .into_iter()
        .map(|(name, r)| {
            (
                name.to_string(),
                r.err().unwrap_or_else(|| "ok".into()).into(),
            )
        })
        .collect();
    let mut response = if ready {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    // Features the archive works without: said, but not counted against readiness.
    let speech = crate::speech::installed(config)
        .map_or_else(|e| format!("unavailable: {e}"), |()| "ok".into());
    response
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({
            "status": if ready { "ready" } else { "not ready" },
            "checks": report,
            "features": { "speech_to_text": speech },
        }))
}

/// The program as a command would find it: a path as it is, a bare name in `$PATH`.
fn find_program(program: &Path) -> Option<PathBuf> {
    let is_file = |p: &Path| p.metadata().is_ok_and(|m| m.is_file());
    if program.components().count() > 1 {
        return is_file(program).then(|| program.to_owned());
    }
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|candidate| is_file(candidate))
    })
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let m = &*METRICS;
    let mut out = String::new();
    m.write_requests(&mut out);
    m.write_traffic(&mut out);
    m.write_search_latency(&mut out);
    // The queue as the catalog has it (shared by every server and worker).
    let catalog = &state.archive.catalog;
    match tokio::try_join!(
        catalog.job_counts(),
        catalog.jobs(Some(JobState::Running), 1000)
    ) {
        Ok((counts, running)) => {
            let speeds: Vec<f64> = running.iter().filter_map(|j| j.speed).collect();
            write_job_queue(&mut out, &counts, &speeds);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: the job queue could not be read"),
    }
    if let Some(hub) = &state.live {
        write_live(&mut out, &hub.now(), hub.refused_count());
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(out)
}

/// The live streams of this server: how many, their viewers and what they received.
fn write_live(out: &mut String, now: &[crate::live::LiveNow], refused: u64) {
    let connected = now.iter().filter(|l| l.connected).count();
    let _ = writeln!(
        out,
        "# HELP aula_live_streams Live streams, with an encoder connected or waited for.\n\
         # TYPE aula_live_streams gauge\n\
         aula_live_streams{{encoder=\"connected\"}} {connected}\n\
         aula_live_streams{{encoder=\"waiting\"}} {}\n\
         # HELP aula_live_viewers Addresses that fetched a live playlist in the last 15 s.\n\
         # TYPE aula_live_viewers gauge\n\
         aula_live_viewers {}\n\
         # HELP aula_live_received_bytes Bytes received by the live streams now running.\n\
         # TYPE aula_live_received_bytes gauge\n\
         aula_live_received_bytes {}\n\
         # HELP aula_live_refused_total Encoders refused: a wrong key, or a second encoder.\n\
         # TYPE aula_live_refused_total counter\n\
         aula_live_refused_total {refused}",
        now.len() - connected,
        now.iter().map(|l| l.viewers).sum::<usize>(),
        now.iter().map(|l| l.bytes).sum::<u64>(),
    );
}

// Writing to a String cannot fail: the `fmt::Result`s below are ignored.
impl Metrics {
    /// Answers by route pattern and status, in a stable order.
    fn write_requests(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP aula_http_requests_total Answers by route pattern and status.\n\
             # TYPE aula_http_requests_total counter"
        );
        if let Ok(known) = self.requests.read() {
            let mut series: Vec<_> = known.iter().collect();
            series.sort_by(|a, b| a.0.cmp(b.0));
            for ((route, status), n) in series {
                let _ = writeln!(
                    out,
                    "aula_http_requests_total{{route=\"{}\",status=\"{status}\"}} {}",
                    label(route),
                    n.load(Ordering::Relaxed)
                );
            }
        }
    }

    /// Bytes sent and response bodies still open.
    fn write_traffic(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP aula_http_response_bytes_total Response body bytes handed to the network.\n\
             # TYPE aula_http_response_bytes_total counter\n\
             aula_http_response_bytes_total {}\n\
             # HELP aula_http_open_bodies Response bodies being sent now (media streams among them).\n\
             # TYPE aula_http_open_bodies gauge\n\
             aula_http_open_bodies {}",
            self.bytes_sent.load(Ordering::Relaxed),
            // This scrape's own body is not open yet.
            self.open_bodies.load(Ordering::Relaxed)
        );
    }

    /// The search latency histogram (buckets are cumulative, as Prometheus wants).
    fn write_search_latency(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP aula_search_duration_seconds Time to answer a search.\n\
             # TYPE aula_search_duration_seconds histogram"
        );
        for (bucket, bound) in self.search_buckets.iter().zip(SEARCH_BUCKETS) {
            let _ = writeln!(
                out,
                "aula_search_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.search_count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "aula_search_duration_seconds_bucket{{le=\"+Inf\"}} {count}\n\
             aula_search_duration_seconds_sum {}\n\
             aula_search_duration_seconds_count {count}",
            self.search_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
    }
}

/// Jobs by state (every state, zero included, so a series never vanishes) and the mean
/// speed of the running transcodes (0 when none runs).
fn write_job_queue(out: &mut String, counts: &[JobCount], speeds: &[f64]) {
    let _ = writeln!(
        out,
        "# HELP aula_jobs Jobs in the queue by state.\n# TYPE aula_jobs gauge"
    );
    for &state in JobState::ALL {
        let n = counts
            .iter()
            .find(|c| c.state == state)
            .map_or(0, |c| c.jobs);
        let _ = writeln!(out, "aula_jobs{{state=\"{state}\"}} {n}");
    }
    let _ = writeln!(
        out,
        "# HELP aula_transcode_speed Mean speed of the running transcodes, in multiples of real time.\n\
         # TYPE aula_transcode_speed gauge\n\
         aula_transcode_speed {}",
        if speeds.is_empty() {
            0.0
        } else {
            speeds.iter().sum::<f64>() / speeds.len() as f64
        }
    );
}

/// A Prometheus label value: backslash, quote and newline escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn requests_and_search_latency_render_as_prometheus_series() {
        let m = Metrics::new();
        m.count_request("/b", 200);
        m.count_request("/a", 404);
        m.count_request("/b", 200);
        m.observe_search(Duration::from_millis(3));
        let mut out = String::new();
        m.write_requests(&mut out);
        m.write_search_latency(&mut out);
        let series: Vec<&str> = out.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            series[..2],
            [
                "aula_http_requests_total{route=\"/a\",status=\"404\"} 1",
                "aula_http_requests_total{route=\"/b\",status=\"200\"} 2",
            ]
        );
        for line in [
            "aula_search_duration_seconds_bucket{le=\"0.0025\"} 0",
            "aula_search_duration_seconds_bucket{le=\"0.005\"} 1",
            "aula_search_duration_seconds_bucket{le=\"+Inf\"} 1",
            "aula_search_duration_seconds_sum 0.003",
            "aula_search_duration_seconds_count 1",
        ] {
            assert!(series.contains(&line), "{line} in {out}");
        }
    }

    #[test]
    fn every_job_state_is_reported_and_speeds_are_averaged() {
        let mut out = String::new();
        let queued = JobCount {
            state: JobState::Queued,
            jobs: 3,
        };
        write_job_queue(&mut out, &[queued], &[1.5, 2.5]);
        let series: Vec<&str> = out.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            series,
            [
                "aula_jobs{state=\"queued\"} 3",
                "aula_jobs{state=\"running\"} 0",
                "aula_jobs{state=\"done\"} 0",
                "aula_jobs{state=\"failed\"} 0",
                "aula_transcode_speed 2",
            ]
        );
        let mut idle = String::new();
        write_job_queue(&mut idle, &[], &[]);
        assert!(idle.ends_with("aula_transcode_speed 0\n"), "{idle}");
    }

    #[test]
    fn programs_are_found_like_a_shell_would() {
        assert!(find_program(Path::new("sh")).is_some());
        assert!(find_program(Path::new("/bin/sh")).is_some());
        assert!(find_program(Path::new("/nonexistent/ffmpeg")).is_none());
        assert!(find_program(Path::new("no-such-program-aula")).is_none());
    }
}
