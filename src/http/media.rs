//! Serving published media: playlists, segments, MP4s and posters from the media root,
//! with RFC 9110 byte ranges (`ranges`) and conditional requests (`conditional`), HLS-aware
//! content types, immutable caching and CORS. No request path may leave the media root,
//! and only the current version of a published session is public.
//!
//! Published files never change, so what a request needs to know about a file (its open
//! handle, length, strong ETag from its content, and for small files the bytes themselves)
//! is looked up once and kept; the hot path then makes no filesystem calls but the read of
//! the bytes it sends.

use std::collections::HashMap;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder};
use bytes::Bytes;

use super::conditional::{self, Conditions, Verdict};
use super::ranges::{self, ByteRange, RangeDecision};
use super::AppState;
use crate::catalog::Catalog;
use crate::storage::{read_disk_range, MediaStore, ObjectMedia, Source, StoredFile};

/// Total memory for small files.
const SMALL_FILES_BUDGET: usize = 32 * 1024 * 1024;
/// Most files whose facts are kept (open handles included); past it the table is cleared.
const MAX_ENTRIES: usize = 8192;
/// Bytes read per step of a large body: enough to keep syscalls few, small enough that many
/// slow clients do not make the server hold much.
const CHUNK: u64 = 64 * 1024;
/// Bytes fetched from the object store per request of a large body.
const OBJECT_BLOCK: u64 = 1 << 20;
/// How long a "public or not" answer about a media directory is trusted.
const PUBLIC_TTL: Duration = Duration::from_secs(2);

/// A media path from a URL, as plain relative segments; `None` for anything that could
/// step outside the root (`..`, `.`, empty segments, backslashes, NUL, a leading slash,
/// hidden files).
pub fn safe_relative_path(raw: &str) -> Option<PathBuf> {
    if raw.is_empty() || raw.starts_with('/') {
        return None;
    }
    let mut path = PathBuf::new();
    for segment in raw.split('/') {
        if segment.is_empty() || segment.starts_with('.') || segment.contains(['\\', '\0']) {
            return None;
        }
        path.push(segment);
    }
    Some(path)
}

/// Answers from the catalog, each trusted for `PUBLIC_TTL`. When one expires, the first
/// request to need it asks the catalog while the others keep the old answer (its time is
/// renewed then), so an expiry does not send every request in flight to the catalog at
/// once (measured: at 1,000 connections that queued hundreds of requests behind the pool
/// for seconds). When the catalog cannot answer, an answer known within the last moments
/// stands; one never known is `None`.
struct Recent<K, V> {
    known: RwLock<HashMap<K, (V, Instant)>>,
}

impl<K, V> Default for Recent<K, V> {
    fn default() -> Self {
        Recent {
            known: RwLock::new(HashMap::new()),
        }
    }
}

impl<K: std::hash::Hash + Eq, V: Clone> Recent<K, V> {
    async fn get<Q, F, Fut>(&self, key: &Q, ask: F) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ToOwned<Owned = K> + ?Sized,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Option<V>>,
    {
        if let Ok(known) = self.known.read() {
            if let Some((value, at)) = known.get(key) {
                if at.elapsed() < PUBLIC_TTL {
                    return Some(value.clone());
                }
            }
        }
        let stale = match self.known.write() {
            Ok(mut known) => match known.get_mut(key) {
                Some((value, at)) if at.elapsed() < PUBLIC_TTL => return Some(value.clone()),
                Some((value, at)) => {
                    *at = Instant::now();
                    Some(value.clone())
                }
                None => None,
            },
            Err(_) => None,
        };
        let Some(value) = ask().await else {
            return stale;
        };
        if let Ok(mut known) = self.known.write() {
            if known.len() >= MAX_ENTRIES {
                known.clear();
            }
            known.insert(key.to_owned(), (value.clone(), Instant::now()));
        }
        Some(value)
    }

    fn clear(&self) {
        if let Ok(mut known) = self.known.write() {
            known.clear();
        }
    }
}

/// What serving needs to know about one published file.
struct MediaFile {
    source: Source,
    len: u64,
    modified: SystemTime,
    etag: String,
    etag_header: HeaderValue,
    last_modified: HeaderValue,
    content_type: HeaderValue,
    /// The whole file, for small files.
    bytes: Option<Bytes>,
}

/// The media area and what is known about the files in it.
pub struct MediaFiles {
    store: Arc<MediaStore>,
    files: RwLock<HashMap<String, Arc<MediaFile>>>,
    small_bytes: AtomicUsize,
    /// Whether a media directory (`session/version`) is public.
    public_dirs: Recent<String, bool>,
    /// What a session's live address may give.
    live: Recent<i64, LiveAccess>,
}

impl MediaFiles {
    pub fn new(store: Arc<MediaStore>) -> MediaFiles {
        MediaFiles {
            store,
            files: RwLock::new(HashMap::new()),
            small_bytes: AtomicUsize::new(0),
            public_dirs: Recent::default(),
            live: Recent::default(),
        }
    }

    /// Forgets what is known about which media are public: an editor changed it through
    /// this server, which should not wait for the answers to age (other replicas do).
    pub fn forget_publication(&self) {
        self.public_dirs.clear();
        self.live.clear();
    }

    /// Whether `dir` (`session/version`) is the current version of a published session;
    /// `None` when the catalog cannot be asked now.
    async fn is_public(&self, dir: &str, catalog: &Catalog) -> Option<bool> {
        self.public_dirs
            .get(dir, || async {
                catalog
                    .is_public_media_dir(dir)
                    .await
                    .map_err(|e| tracing::warn!(error = %e, "cannot check media publication"))
                    .ok()
            })
            .await
    }

    async fn get(&self, key: &str, relative: PathBuf) -> Option<Arc<MediaFile>> {
        if let Some(found) = self.files.read().ok()?.get(key) {
            return Some(Arc::clone(found));
        }
        let budget_left =
            SMALL_FILES_BUDGET.saturating_sub(self.small_bytes.load(Ordering::Relaxed));
        debug_assert_eq!(relative.to_str(), Some(key));
        let file = describe(self.store.open(&relative, budget_left).await?)?;
        let file = Arc::new(file);
        if let Some(b) = &file.bytes {
            self.small_bytes.fetch_add(b.len(), Ordering::Relaxed);
        }
        let mut files = self.files.write().ok()?;
        if files.len() >= MAX_ENTRIES {
            files.clear();
            self.small_bytes.store(0, Ordering::Relaxed);
        }
        files.insert(key.to_string(), Arc::clone(&file));
        Some(file)
    }
}

/// The facts serving needs, as header values, of a file the store opened.
fn describe(stored: StoredFile) -> Option<MediaFile> {
    Some(MediaFile {
        etag_header: HeaderValue::from_str(&stored.etag).ok()?,
        last_modified: HeaderValue::from_str(&httpdate::fmt_http_date(stored.modified)).ok()?,
        content_type: HeaderValue::from_str(stored.content_type.as_ref()).ok()?,
        etag: stored.etag,
        bytes: stored.bytes,
        source: stored.source,
        len: stored.len,
        modified: stored.modified,
    })
}

pub async fn serve(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Some(answer) = not_a_read(&req) {
        return answer;
    }
    // What follows "/media/", as actix has percent-decoded it once; it is never decoded
    // again.
    let raw = req.match_info().unprocessed();
    let raw = raw.strip_prefix('/').unwrap_or(raw);
    let Some(relative) = safe_relative_path(raw) else {
        return not_found();
    };
    // session/version/file…: the version directory must be public.
    let mut segments = raw.splitn(3, '/');
    let (Some(session), Some(version), Some(_)) =
        (segments.next(), segments.next(), segments.next())
    else {
        return not_found();
    };
    let media = &state.media;
    match media
        .is_public(&format!("{session}/{version}"), &state.archive.catalog)
        .await
    {
        Some(true) => {}
        Some(false) => return not_found(),
        None => return unavailable(),
    }
    // Redirected to the store (after the same publication check). The redirect itself is
    // never stored by caches, so withholding a session takes effect at once here.
    if let MediaStore::Object(objects) = &*media.store {
        if let Some(target) = objects.redirect_target(raw).await {
            let target = match target {
                Ok(url) => url,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot sign a media address");
                    return not_found();
                }
            };
            let mut builder = HttpResponse::Found();
            cors(&mut builder);
            return builder
                .insert_header((header::LOCATION, target))
                .insert_header((header::CACHE_CONTROL, "private, no-store"))
                .finish();
        }
    }
    let Some(file) = media.get(raw, relative).await else {
        return not_found();
    };
    respond(&req, file)
}

/// Answers `req` with a file this server made rather than published (a clip from the
/// cache), with the same ranges and conditions as published media, but its own
/// `Cache-Control` (a clip's address outlives any one version of the session) and a
/// `Content-Disposition` naming it.
pub fn respond_made(
    req: &HttpRequest,
    stored: StoredFile,
    cache_control: &'static str,
    disposition: &str,
) -> Option<HttpResponse> {
    let mut response = respond(req, Arc::new(describe(stored)?));
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    if let Ok(value) = HeaderValue::from_str(disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Some(response)
}

fn respond(req: &HttpRequest, file: Arc<MediaFile>) -> HttpResponse {
    let headers = req.headers();
    let is_head = req.method() == Method::HEAD;
    let conditions = request_conditions(headers);
    let verdict = conditional::evaluate(&conditions, true, &file.etag, file.modified);
    let ranges_allowed = match verdict {
        Verdict::PreconditionFailed => {
            return common(HttpResponse::build(StatusCode::PRECONDITION_FAILED), &file).finish()
        }
        Verdict::NotModified => {
            return common(HttpResponse::build(StatusCode::NOT_MODIFIED), &file).finish()
        }
        Verdict::Proceed { ranges_allowed } => ranges_allowed,
    };
    // Range is defined for GET only (RFC 9110 §14.2); HEAD answers as a plain GET would.
    match range_decision(headers, ranges_allowed && !is_head, file.len) {
        RangeDecision::Full => whole_file(file, is_head),
        RangeDecision::Unsatisfiable => unsatisfiable(&file),
        RangeDecision::Ranges(list) if list.len() == 1 => one_range(file, list[0]),
        RangeDecision::Ranges(list) => multipart(file, &list),
    }
}

/// The request's conditional headers; one that is not visible ASCII counts as absent.
fn request_conditions(headers: &HeaderMap) -> Conditions<'_> {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    Conditions {
        if_match: text(header::IF_MATCH),
        if_none_match: text(header::IF_NONE_MATCH),
        if_modified_since: text(header::IF_MODIFIED_SINCE),
        if_unmodified_since: text(header::IF_UNMODIFIED_SINCE),
        if_range: text(header::IF_RANGE),
    }
}

/// What the request's `Range` header asks of a file of `len` bytes, when ranges are
/// `honoured` at all; anything unreadable gets the whole file.
fn range_decision(headers: &HeaderMap, honoured: bool, len: u64) -> RangeDecision {
    match headers.get(header::RANGE) {
        Some(range) if honoured => match range.to_str() {
            Ok(range) => ranges::decide(range, len),
            Err(_) => RangeDecision::Full,
        },
        _ => RangeDecision::Full,
    }
}

/// 200 with the whole file (its headers only, for HEAD).
fn whole_file(file: Arc<MediaFile>, is_head: bool) -> HttpResponse {
    let mut builder = common(HttpResponse::Ok(), &file);
    builder.insert_header((header::CONTENT_TYPE, file.content_type.clone()));
    let len = file.len;
    let pieces = if is_head || len == 0 {
        Vec::new()
    } else {
        vec![Piece::File(ByteRange {
            first: 0,
            last: len - 1,
        })]
    };
    body(builder, file, pieces, len)
}

/// 416: no range asked for lies within the file.
fn unsatisfiable(file: &MediaFile) -> HttpResponse {
    let mut builder = common(HttpResponse::build(StatusCode::RANGE_NOT_SATISFIABLE), file);
    builder.insert_header((header::CONTENT_RANGE, format!("bytes */{}", file.len)));
    builder.finish()
}

/// 206 with one range, as the file's own type.
fn one_range(file: Arc<MediaFile>, r: ByteRange) -> HttpResponse {
    let mut builder = common(HttpResponse::PartialContent(), &file);
    builder
        .insert_header((header::CONTENT_TYPE, file.content_type.clone()))
        .insert_header((
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{}", r.first, r.last, file.len),
        ));
    body(builder, file, vec![Piece::File(r)], r.len())
}

/// 206 with several ranges as multipart/byteranges.
fn multipart(file: Arc<MediaFile>, list: &[ByteRange]) -> HttpResponse {
    // A boundary that cannot occur in the part headers and, being derived from the ETag,
    // is the same for the same file.
    let boundary = format!("aula-{}", file.etag.trim_matches('"'));
    let ct = file
        .content_type
        .to_str()
        .unwrap_or("application/octet-stream");
    let pieces = multipart_pieces(list, &boundary, ct, file.len);
    let mut builder = common(HttpResponse::PartialContent(), &file);
    builder.insert_header((
        header::CONTENT_TYPE,
        format!("multipart/byteranges; boundary={boundary}"),
    ));
    let len = pieces.iter().map(Piece::len).sum();
    body(builder, file, pieces, len)
}

/// The parts of a multipart/byteranges body: each range behind its part headers, then the
/// closing boundary. `ct` is the file's type, `len` its length.
fn multipart_pieces(list: &[ByteRange], boundary: &str, ct: &str, len: u64) -> Vec<Piece> {
    let mut pieces = Vec::with_capacity(list.len() * 2 + 1);
    for r in list {
        pieces.push(Piece::Bytes(Bytes::from(format!(
            "\r\n--{boundary}\r\nContent-Type: {ct}\r\nContent-Range: bytes {}-{}/{len}\r\n\r\n",
            r.first, r.last
        ))));
        pieces.push(Piece::File(*r));
    }
    pieces.push(Piece::Bytes(Bytes::from(format!("\r\n--{boundary}--\r\n"))));
    pieces
}

/// Headers every answer about a file carries (200, 206, 304, 412, 416 alike).
fn common(mut builder: HttpResponseBuilder, file: &MediaFile) -> HttpResponseBuilder {
    builder
        .insert_header((header::ETAG, file.etag_header.clone()))
        .insert_header((header::LAST_MODIFIED, file.last_modified.clone()))
        // Published versions are never modified: a re-transcode is a new version at a new URL.
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ))
        .insert_header((header::ACCEPT_RANGES, HeaderValue::from_static("bytes")));
    cors(&mut builder);
    builder
}

fn cors(builder: &mut HttpResponseBuilder) {
    builder
        .insert_header((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .insert_header((
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ))
        .insert_header((
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("Content-Range, Content-Length, Accept-Ranges, ETag"),
        ));
}

/// CORS preflight: any origin may GET and HEAD media with ranges and validators.
fn preflight() -> HttpResponse {
    let mut builder = HttpResponse::NoContent();
    cors(&mut builder);
    builder
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD, OPTIONS"))
        .insert_header((
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "Range, If-Range, If-None-Match, If-Modified-Since, If-Match, If-Unmodified-Since",
        ))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"))
        .finish()
}

/// The answer to a request that is not GET or HEAD: CORS's preflight, or 405.
fn not_a_read(req: &HttpRequest) -> Option<HttpResponse> {
    let method = req.method();
    if method == Method::OPTIONS {
        return Some(preflight());
    }
    (method != Method::GET && method != Method::HEAD).then(|| {
        HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "GET, HEAD, OPTIONS"))
            .finish()
    })
}

/// The catalog cannot say whether a file may be served: ask again shortly.
fn unavailable() -> HttpResponse {
    let mut builder = HttpResponse::ServiceUnavailable();
    cors(&mut builder);
    builder
        .insert_header((header::RETRY_AFTER, "5"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/plain; charset=utf-8")
        .body("media temporarily unavailable\n")
}

/// `/live/{session}/…`: a live session's ladder as ffmpeg writes it, with the same
/// ranges and conditions as published media. A playlist changes with every segment and
/// is never kept by caches; segments and init files are named for the encoder's run that
/// made them, so they never change under their name and are.
pub async fn serve_live(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Some(answer) = not_a_read(&req) {
        return answer;
    }
    let raw = req.match_info().unprocessed();
    let raw = raw.strip_prefix('/').unwrap_or(raw);
    let Some((session, rest)) = raw.split_once('/') else {
        return not_found();
    };
    let (Some(id), Some(relative)) = (
        session.parse::<i64>().ok().filter(|id| *id > 0),
        safe_relative_path(rest),
    ) else {
        return not_found();
    };
    let catalog = &state.archive.catalog;
    match state.media.live.get(&id, || live_access(catalog, id)).await {
        Some(LiveAccess::Watchable) => {}
        // Once the recording is the published session, the live address leads to it.
        Some(LiveAccess::Archived(master)) if rest == crate::live::package::MASTER => {
            let mut builder = HttpResponse::Found();
            cors(&mut builder);
            return builder
                .insert_header((header::LOCATION, master))
                .insert_header((header::CACHE_CONTROL, "no-cache"))
                .finish();
        }
        Some(LiveAccess::Archived(_)) => {}
        Some(LiveAccess::Hidden) => return not_found(),
        None => return unavailable(),
    }
    let root = crate::live::hls_dir(state.archive.data_dir(), id);
    let Some(file) = crate::storage::MediaStore::open_made(root, relative)
        .await
        .and_then(describe)
    else {
        return not_found();
    };
    let playlist = rest.ends_with(".m3u8");
    if let (true, Some(hub), Some(peer)) = (playlist, &state.live, req.peer_addr()) {
        hub.saw_viewer(id, peer.ip());
    }
    let cache = if playlist {
        "no-cache"
    } else {
        "public, max-age=86400"
    };
    let mut response = respond(&req, Arc::new(file));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// What a session's live address may give.
#[derive(Clone)]
enum LiveAccess {
    /// Never armed, unknown or withheld.
    Hidden,
    Watchable,
    /// The recording is published: the archive's master playlist.
    Archived(String),
}

/// Whether a session's live stream may be watched: it was armed, and the session is not
/// withheld. `None` when the catalog cannot say.
async fn live_access(catalog: &Catalog, id: i64) -> Option<LiveAccess> {
    let session = catalog.session(id).await.ok()?;
    let armed = catalog.live_stream(id).await.ok()?.is_some();
    Some(match session {
        Some(s) if armed && s.is_public() => {
            match crate::urls::published_media_url(&s, &s.master_playlist) {
                Some(master) => LiveAccess::Archived(master),
                None => LiveAccess::Watchable,
            }
        }
        _ => LiveAccess::Hidden,
    })
}

fn not_found() -> HttpResponse {
    let mut builder = HttpResponse::NotFound();
    cors(&mut builder);
    builder
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body("media not found\n")
}

/// `len` is the Content-Length; for HEAD it is the GET's length and `pieces` is empty.
fn body(
    mut builder: HttpResponseBuilder,
    file: Arc<MediaFile>,
    pieces: Vec<Piece>,
    len: u64,
) -> HttpResponse {
    // A small file or a range of one, from memory: one buffer, written with the headers.
    if let ([Piece::File(r)], Some(all)) = (pieces.as_slice(), &file.bytes) {
        return builder.body(all.slice(r.first as usize..=r.last as usize));
    }
    if let (Source::Object(media, path), None) = (&file.source, &file.bytes) {
        return builder.no_chunking(len).streaming(object_body(
            Arc::clone(media),
            path.clone(),
            pieces,
        ));
    }
    builder.body(FileBody {
        file,
        pieces: pieces.into_iter().rev().collect(),
        len,
    })
}

enum Piece {
    Bytes(Bytes),
    File(ByteRange),
}

impl Piece {
    fn len(&self) -> u64 {
        match self {
            Piece::Bytes(b) => b.len() as u64,
            Piece::File(r) => r.len(),
        }
    }
}

/// Bytes of an object body from the store: each range fetched a block at a time as the
/// client takes them (a client that goes away stops the fetching).
fn object_body(
    media: Arc<ObjectMedia>,
    path: object_store::path::Path,
    pieces: Vec<Piece>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    let reversed: Vec<Piece> = pieces.into_iter().rev().collect();
    futures_util::stream::try_unfold(reversed, move |mut pieces| {
        let (media, path) = (Arc::clone(&media), path.clone());
        async move {
            let Some(piece) = pieces.pop() else {
                return Ok(None);
            };
            match piece {
                Piece::Bytes(b) => Ok(Some((b, pieces))),
                Piece::File(r) => {
                    let n = r.len().min(OBJECT_BLOCK);
                    if r.len() > n {
                        pieces.push(Piece::File(ByteRange {
                            first: r.first + n,
                            last: r.last,
                        }));
                    }
                    let bytes = media.read_range(&path, r.first..r.first + n).await?;
                    Ok(Some((bytes, pieces)))
                }
            }
        }
    })
}

/// A response body made of literal bytes and file ranges, read a chunk at a time as the
/// client takes them: a client that goes away stops the reading, and a slow one holds at
/// most one chunk. Small files are served from memory without copying.
struct FileBody {
    file: Arc<MediaFile>,
    /// Reversed: the next piece is the last element.
    pieces: Vec<Piece>,
    len: u64,
}

impl MessageBody for FileBody {
    type Error = std::io::Error;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.len)
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        let Some(piece) = this.pieces.pop() else {
            return Poll::Ready(None);
        };
        match piece {
            Piece::Bytes(b) => Poll::Ready(Some(Ok(b))),
            Piece::File(r) => {
                let n = r.len().min(CHUNK);
                if r.len() > n {
                    this.pieces.push(Piece::File(ByteRange {
                        first: r.first + n,
                        last: r.last,
                    }));
                }
                if let Some(all) = &this.file.bytes {
                    let (a, b) = (r.first as usize, (r.first + n) as usize);
                    return Poll::Ready(Some(Ok(all.slice(a..b))));
                }
                // Published media are read from the page cache almost always; like nginx
                // without aio, the read happens on the worker thread.
                match &this.file.source {
                    Source::Disk(file) => {
                        Poll::Ready(Some(read_disk_range(file, r.first, n as usize)))
                    }
                    // Not reached: object bodies stream through `object_body`.
                    Source::Object(..) => {
                        Poll::Ready(Some(Err(std::io::Error::other("an object read as a file"))))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_only_when_honoured_and_readable() {
        let mut headers = HeaderMap::new();
        assert_eq!(range_decision(&headers, true, 100), RangeDecision::Full);
        headers.insert(header::RANGE, HeaderValue::from_static("bytes=0-9"));
        assert_eq!(range_decision(&headers, false, 100), RangeDecision::Full);
        assert_eq!(
            range_decision(&headers, true, 100),
            RangeDecision::Ranges(vec![ByteRange { first: 0, last: 9 }])
        );
        let unreadable = HeaderValue::from_bytes(b"bytes=0-\xff").unwrap();
        headers.insert(header::RANGE, unreadable);
        assert_eq!(range_decision(&headers, true, 100), RangeDecision::Full);
    }

    #[test]
    fn multipart_parts_carry_their_range_and_close_the_body() {
        let list = [
            ByteRange { first: 0, last: 1 },
            ByteRange { first: 5, last: 9 },
        ];
        let pieces = multipart_pieces(&list, "aula-x", "video/mp4", 10);
        let mut text = String::new();
        for piece in &pieces {
            match piece {
                Piece::Bytes(b) => text.push_str(std::str::from_utf8(b).unwrap()),
                Piece::File(r) => text.push_str(&format!("<{}-{}>", r.first, r.last)),
            }
        }
        assert_eq!(
            text,
            "\r\n--aula-x\r\nContent-Type: video/mp4\r\nContent-Range: bytes 0-1/10\r\n\r\n<0-1>\
             \r\n--aula-x\r\nContent-Type: video/mp4\r\nContent-Range: bytes 5-9/10\r\n\r\n<5-9>\
             \r\n--aula-x--\r\n"
        );
        let header_bytes: u64 = pieces
            .iter()
            .filter(|p| matches!(p, Piece::Bytes(_)))
            .map(Piece::len)
            .sum();
        let total: u64 = pieces.iter().map(Piece::len).sum();
        assert_eq!(total, header_bytes + 2 + 5);
    }

    /// An answer older than `PUBLIC_TTL`, as if given that long ago.
    fn aged(recent: &Recent<String, bool>, key: &str, value: bool) {
        let long_ago = Instant::now() - PUBLIC_TTL - Duration::from_millis(100);
        let mut known = recent.known.write().unwrap();
        known.insert(key.to_string(), (value, long_ago));
    }

    #[actix_web::test]
    async fn a_recent_answer_is_kept_and_an_old_one_stands_while_the_catalog_is_away() {
        let recent: Recent<String, bool> = Recent::default();
        let asked = std::cell::Cell::new(0);
        let ask = |answer: Option<bool>| {
            asked.set(asked.get() + 1);
            async move { answer }
        };
        // Never known and the catalog away: no answer.
        assert_eq!(recent.get("1/1", || ask(None)).await, None);
        assert_eq!(recent.get("1/1", || ask(Some(true))).await, Some(true));
        // Fresh: the catalog is not asked again.
        assert_eq!(recent.get("1/1", || ask(Some(false))).await, Some(true));
        assert_eq!(asked.get(), 2);
        // Old, and the catalog away: the old answer stands.
        aged(&recent, "1/1", true);
        assert_eq!(recent.get("1/1", || ask(None)).await, Some(true));
        // Old, and the catalog answers: the new answer.
        aged(&recent, "1/1", true);
        assert_eq!(recent.get("1/1", || ask(Some(false))).await, Some(false));
        assert_eq!(asked.get(), 4);
        recent.clear();
        assert_eq!(recent.get("1/1", || ask(None)).await, None);
    }

    #[test]
    fn paths_cannot_escape() {
        assert!(safe_relative_path("1/1/master.m3u8").is_some());
        for bad in [
            "../aula.db",
            "1/../../x",
            "/etc/passwd",
            "1//x",
            "1/./x",
            "..\\x",
            "a\0b",
            ".hidden",
            "1/1/.manifest",
            "",
        ] {
            assert!(safe_relative_path(bad).is_none(), "{bad:?}");
        }
    }
}
