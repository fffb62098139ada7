//! Media serving against RFC 9110 §13–15: byte ranges, conditional requests, types,
//! caching, CORS and path safety, over real HTTP to the real server.

use std::io::{Read, Write};

use reqwest::header::HeaderMap;
use reqwest::StatusCode;

use crate::helpers::{pattern, published_files, raw_status, spawn_app, TestApp};

const LEN: usize = 100_000;
const BIG: usize = 3 * 1024 * 1024 + 17;

async fn app() -> (TestApp, Vec<u8>, std::path::PathBuf) {
    let bytes = pattern(LEN);
    let big = pattern(BIG);
    let data_dir = published_files(
        &format!(
            "serving-{}",
            std::process::id() as u64 * 1000 + rand_suffix()
        ),
        &[
            ("seg.m4s", &bytes),
            ("big.mp4", &big),
            ("empty.m4s", b""),
            ("master.m3u8", b"#EXTM3U\n"),
            ("old.ts", b"ts"),
            ("audio.m4a", b"m4a"),
            ("subs.vtt", b"WEBVTT\n"),
            ("poster.jpg", b"jpg"),
            ("360p/index.m3u8", b"#EXTM3U\n#EXT-X-ENDLIST\n"),
        ],
    )
    .await;
    (spawn_app(&data_dir).await, bytes, data_dir)
}

/// Tests run in parallel: each gets its own archive directory.
fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

async fn get(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = app.client.get(app.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let h = r.headers().clone();
    (status, h, r.bytes().await.unwrap().to_vec())
}

fn h<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_else(|| panic!("no {name} header"))
}

const SEG: &str = "/media/1/1/seg.m4s";

#[tokio::test]
async fn single_open_suffix_and_clamped_ranges() {
    let (app, bytes, _) = app().await;
    let cases: [(&str, usize, usize); 5] = [
        ("bytes=0-0", 0, 0),
        ("bytes=1000-1999", 1000, 1999),
        ("bytes=99000-", 99000, LEN - 1),
        ("bytes=-500", LEN - 500, LEN - 1),
        ("bytes=99990-200000", 99990, LEN - 1),
    ];
    for (range, first, last) in cases {
        let (status, headers, body) = get(&app, SEG, &[("Range", range)]).await;
        assert_eq!(status, 206, "{range}");
        assert_eq!(
            h(&headers, "content-range"),
            format!("bytes {first}-{last}/{LEN}"),
            "{range}"
        );
        assert_eq!(
            h(&headers, "content-length"),
            (last - first + 1).to_string()
        );
        assert_eq!(body, bytes[first..=last], "{range}");
    }
    // A suffix longer than the file is the whole file, as a 206.
    let (status, headers, body) = get(&app, SEG, &[("Range", "bytes=-999999")]).await;
    assert_eq!(status, 206);
    assert_eq!(
        h(&headers, "content-range"),
        format!("bytes 0-{}/{LEN}", LEN - 1)
    );
    assert_eq!(body, bytes);
}

#[tokio::test]
async fn large_files_stream_exact_ranges_across_chunks() {
    let (app, _, data_dir) = app().await;
    let big = std::fs::read(data_dir.join("media/1/1/big.mp4")).unwrap();
    let (status, headers, body) = get(&app, "/media/1/1/big.mp4", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(h(&headers, "content-length"), BIG.to_string());
    assert!(body == big, "full body differs");
    let (status, _, body) = get(
        &app,
        "/media/1/1/big.mp4",
        &[("Range", "bytes=262000-1310000")],
    )
    .await;
    assert_eq!(status, 206);
    assert!(
        body == big[262000..=1310000],
        "range across chunk boundaries differs"
    );
}

#[tokio::test]
async fn several_ranges_make_a_multipart_answer() {
    let (app, bytes, _) = app().await;
    let (status, headers, body) = get(&app, SEG, &[("Range", "bytes=50000-50099, 0-9,-5")]).await;
    assert_eq!(status, 206);
    let ct = h(&headers, "content-type");
    let boundary = ct
        .strip_prefix("multipart/byteranges; boundary=")
        .unwrap_or_else(|| panic!("{ct}"));
    assert_eq!(h(&headers, "content-length"), body.len().to_string());
    let text = String::from_utf8_lossy(&body);
    // Parts in the order asked, each with its own headers and exactly its bytes.
    let expected = [(50000, 50099), (0, 9), (LEN - 5, LEN - 1)];
    let mut rest: &[u8] = &body;
    for (first, last) in expected {
        let head = format!(
            "\r\n--{boundary}\r\nContent-Type: video/iso.segment\r\nContent-Range: bytes {first}-{last}/{LEN}\r\n\r\n"
        );
        assert!(
            rest.starts_with(head.as_bytes()),
            "part header for {first}-{last} in {text:.300}"
        );
        rest = &rest[head.len()..];
        assert_eq!(&rest[..=last - first], &bytes[first..=last]);
        rest = &rest[last - first + 1..];
    }
    assert_eq!(rest, format!("\r\n--{boundary}--\r\n").as_bytes());
}

#[tokio::test]
async fn overlapping_ranges_are_coalesced() {
    let (app, bytes, _) = app().await;
    let (status, headers, body) =
        get(&app, SEG, &[("Range", "bytes=0-499, 100-999 ,\t950-1099")]).await;
    assert_eq!(status, 206);
    assert_eq!(h(&headers, "content-range"), format!("bytes 0-1099/{LEN}"));
    assert_eq!(body, bytes[..1100]);
    // The same range a thousand times is still one range: never more than the file.
    let hostile = format!("bytes={}", vec!["0-"; 60].join(","));
    let (status, _, body) = get(&app, SEG, &[("Range", &hostile)]).await;
    assert_eq!(status, 206);
    assert_eq!(body.len(), LEN);
}

#[tokio::test]
async fn unsatisfiable_malformed_and_foreign_ranges() {
    let (app, bytes, _) = app().await;
    for range in [
        "bytes=100000-",
        "bytes=200000-300000",
        "bytes=-0",
        "bytes=99999999999999999999999-",
    ] {
        let (status, headers, _) = get(&app, SEG, &[("Range", range)]).await;
        assert_eq!(status, 416, "{range}");
        assert_eq!(
            h(&headers, "content-range"),
            format!("bytes */{LEN}"),
            "{range}"
        );
    }
    // Malformed or another unit: the Range header is ignored and the whole file sent.
    for range in [
        "bytes=abc",
        "bytes=5-1",
        "pages=1-2",
        "bytes",
        "bytes=1-2-3",
        "bytes=0x1-",
    ] {
        let (status, headers, body) = get(&app, SEG, &[("Range", range)]).await;
        assert_eq!(status, 200, "{range}");
        assert!(headers.get("content-range").is_none());
        assert_eq!(body.len(), bytes.len(), "{range}");
    }
    // Numbers past 64 bits at the end clamp to the end.
    let (status, headers, _) =
        get(&app, SEG, &[("Range", "bytes=10-99999999999999999999999")]).await;
    assert_eq!(status, 206);
    assert_eq!(
        h(&headers, "content-range"),
        format!("bytes 10-{}/{LEN}", LEN - 1)
    );
    // Too many scattered parts: the whole file, once.
    let scattered: Vec<String> = (0..40)
        .map(|i| format!("{}-{}", i * 2000, i * 2000 + 1))
        .collect();
    let (status, _, body) = get(
        &app,
        SEG,
        &[("Range", &format!("bytes={}", scattered.join(",")))],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body.len(), LEN);
}

#[tokio::test]
async fn zero_length_files() {
    let (app, _, _) = app().await;
    let (status, headers, body) = get(&app, "/media/1/1/empty.m4s", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(h(&headers, "content-length"), "0");
    assert!(body.is_empty());
    for range in ["bytes=0-", "bytes=-1", "bytes=0-0"] {
        let (status, headers, _) = get(&app, "/media/1/1/empty.m4s", &[("Range", range)]).await;
        assert_eq!(status, 416, "{range}");
        assert_eq!(h(&headers, "content-range"), "bytes */0");
    }
}

#[tokio::test]
async fn head_has_the_headers_of_get() {
    let (app, _, _) = app().await;
    for path in [
        SEG,
        "/media/1/1/big.mp4",
        "/media/1/1/empty.m4s",
        "/media/1/1/master.m3u8",
    ] {
        let (_, get_headers, _) = get(&app, path, &[]).await;
        let head = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), 200);
        let head_headers = head.headers().clone();
        assert!(head.bytes().await.unwrap().is_empty());
        for (name, value) in &get_headers {
            // Every answer has its own date and request id.
            if name != "date" && name != "x-request-id" {
                assert_eq!(head_headers.get(name), Some(value), "{path}: {name}");
            }
        }
        assert_eq!(head_headers.len(), get_headers.len(), "{path}");
    }
    // Range is defined for GET only: HEAD answers as the plain GET.
    let head = app
        .client
        .head(app.url(SEG))
        .header("Range", "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(h(head.headers(), "content-length"), LEN.to_string());
}

/// The segment's ETag and Last-Modified, as a plain GET answers them.
async fn validators(app: &TestApp) -> (String, String) {
    let (_, headers, _) = get(app, SEG, &[]).await;
    (
        h(&headers, "etag").to_string(),
        h(&headers, "last-modified").to_string(),
    )
}

#[tokio::test]
async fn conditional_requests() {
    let (app, _, _) = app().await;
    let (etag, modified) = validators(&app).await;
    assert!(
        etag.starts_with('"') && !etag.starts_with("W/"),
        "strong: {etag}"
    );
    let weak = format!("W/{etag}");
    let long_ago = "Sat, 01 Jan 2000 00:00:00 GMT";
    let future = "Fri, 01 Jan 2100 00:00:00 GMT";

    let status = |h: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let pairs: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
            get(app, SEG, &pairs).await
        }
    };
    // If-None-Match (weak comparison) and If-Modified-Since give 304 with the validators.
    for v in [
        etag.clone(),
        weak.clone(),
        format!("\"x\", {etag}"),
        "*".into(),
    ] {
        let (s, hd, body) = status(vec![("If-None-Match", v.clone())]).await;
        assert_eq!(s, 304, "{v}");
        assert_eq!(h(&hd, "etag"), etag);
        assert!(hd.get("cache-control").is_some());
        assert!(body.is_empty());
    }
    // Each set of conditions and the status it gets.
    let s = |v: &str| v.to_string();
    let cases: Vec<(Vec<(&'static str, String)>, u16)> = vec![
        (vec![("If-None-Match", s("\"other\""))], 200),
        (vec![("If-Modified-Since", modified.clone())], 304),
        (vec![("If-Modified-Since", s(future))], 304),
        (vec![("If-Modified-Since", s(long_ago))], 200),
        (vec![("If-Modified-Since", s("garbage"))], 200),
        // If-None-Match takes precedence over If-Modified-Since.
        (
            vec![
                ("If-None-Match", s("\"other\"")),
                ("If-Modified-Since", s(future)),
            ],
            200,
        ),
        // If-Match (strong) and If-Unmodified-Since give 412.
        (vec![("If-Match", etag.clone())], 200),
        (vec![("If-Match", s("*"))], 200),
        (vec![("If-Match", weak.clone())], 412),
        (vec![("If-Match", s("\"other\""))], 412),
        (vec![("If-Unmodified-Since", s(long_ago))], 412),
        (vec![("If-Unmodified-Since", modified.clone())], 200),
        // 412 outranks 304.
        (
            vec![
                ("If-Match", s("\"other\"")),
                ("If-None-Match", etag.clone()),
            ],
            412,
        ),
    ];
    for (conditions, expected) in cases {
        let shown = format!("{conditions:?}");
        assert_eq!(status(conditions).await.0, expected, "{shown}");
    }
}

#[tokio::test]
async fn if_range_keeps_the_range_only_while_current() {
    let (app, bytes, _) = app().await;
    let (etag, modified) = validators(&app).await;
    let weak = format!("W/{etag}");
    let long_ago = "Sat, 01 Jan 2000 00:00:00 GMT";
    // If-Range: the current ETag or date keeps the range; anything else sends it all.
    let range = ("Range", "bytes=10-19");
    for (validator, expected) in [
        (etag.clone(), 206),
        (modified.clone(), 206),
        ("\"stale\"".to_string(), 200),
        (weak.clone(), 200),
        (long_ago.to_string(), 200),
    ] {
        let (s, _, body) = get(&app, SEG, &[range, ("If-Range", validator.as_str())]).await;
        assert_eq!(s, expected, "If-Range {validator}");
        let want: &[u8] = if expected == 206 {
            &bytes[10..20]
        } else {
            &bytes
        };
        assert_eq!(body, want);
    }
}

#[tokio::test]
async fn etags_survive_restarts_and_copies() {
    let (app, _, data_dir) = app().await;
    let (_, first, _) = get(&app, SEG, &[]).await;
    // Another server on the same archive (a restart, or a second replica).
    let second = spawn_app(&data_dir).await;
    let (_, again, _) = get(&second, SEG, &[]).await;
    assert_eq!(h(&first, "etag"), h(&again, "etag"));
    // A copy of the published file with a different modification time: same content, same tag.
    let path = data_dir.join("media/1/1/seg.m4s");
    let copy = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(&path, copy).unwrap();
    let third = spawn_app(&data_dir).await;
    let (_, copied, _) = get(&third, SEG, &[]).await;
    assert_eq!(h(&first, "etag"), h(&copied, "etag"));
    assert_ne!(h(&first, "last-modified"), h(&copied, "last-modified"));
}

#[tokio::test]
async fn types_caching_and_cors() {
    let (app, _, _) = app().await;
    for (file, ct) in [
        ("master.m3u8", "application/vnd.apple.mpegurl"),
        ("360p/index.m3u8", "application/vnd.apple.mpegurl"),
        ("seg.m4s", "video/iso.segment"),
        ("old.ts", "video/mp2t"),
        ("big.mp4", "video/mp4"),
        ("audio.m4a", "audio/mp4"),
        ("subs.vtt", "text/vtt; charset=utf-8"),
        ("poster.jpg", "image/jpeg"),
    ] {
        let (s, headers, _) = get(
            &app,
            &format!("/media/1/1/{file}"),
            &[("Origin", "https://example.org")],
        )
        .await;
        assert_eq!(s, 200, "{file}");
        assert_eq!(h(&headers, "content-type"), ct, "{file}");
        assert_eq!(h(&headers, "x-content-type-options"), "nosniff");
        assert_eq!(
            h(&headers, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(h(&headers, "accept-ranges"), "bytes");
        assert_eq!(h(&headers, "access-control-allow-origin"), "*");
        let exposed = h(&headers, "access-control-expose-headers");
        for name in ["Content-Range", "Content-Length", "Accept-Ranges"] {
            assert!(exposed.contains(name), "{exposed}");
        }
    }
    // Preflight for a cross-origin Range request.
    let r = app
        .client
        .request(reqwest::Method::OPTIONS, app.url(SEG))
        .header("Origin", "https://example.org")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "range")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert!(h(r.headers(), "access-control-allow-headers").contains("Range"));
    assert!(h(r.headers(), "access-control-allow-methods").contains("GET"));
    // Other methods are not allowed on media.
    let r = app.client.post(app.url(SEG)).send().await.unwrap();
    assert_eq!(r.status(), 405);
    // Pages and the API are short-lived.
    assert_eq!(h(app.get("/").await.headers(), "cache-control"), "no-cache");
    assert_eq!(
        h(app.get("/api/v1/sessions").await.headers(), "cache-control"),
        "public, max-age=10"
    );
}

#[tokio::test]
async fn no_path_leaves_the_media_root() {
    let (app, _, data_dir) = app().await;
    // A symlink inside a published directory pointing outside the media root.
    std::os::unix::fs::symlink(
        data_dir.join("aula.db"),
        data_dir.join("media/1/1/link.m4s"),
    )
    .unwrap();
    std::os::unix::fs::symlink("/etc", data_dir.join("media/1/1/etc")).unwrap();
    let address = app.address.clone();
    let statuses = tokio::task::spawn_blocking(move || {
        [
            "/media/1/1/../../../aula.db",
            "/media/1/1/%2e%2e/%2e%2e/%2e%2e/aula.db",
            "/media/1/1/%2E%2E%2F%2E%2E%2F%2E%2E%2Faula.db",
            "/media/1/1/%252e%252e/%252e%252e/aula.db",
            "/media/1/1/..%5c..%5c..%5caula.db",
            "/media/1/1/..\\..\\aula.db",
            "/media/1/1/seg.m4s%00.jpg",
            "/media//etc/passwd",
            "/media/%2fetc%2fpasswd",
            "/media/1/1/%c0%ae%c0%ae/%c0%ae%c0%ae/aula.db",
            "/media/1/1/link.m4s",
            "/media/1/1/etc/passwd",
            "/media/1/1/360p",
            "/media/1/1/",
            "/media/1/1",
            "/media/",
        ]
        .map(|t| (t, raw_status(&address, t)))
    })
    .await
    .unwrap();
    for (target, status) in statuses {
        assert!(status == 404 || status == 400, "{target} answered {status}");
    }
}

#[tokio::test]
async fn only_the_current_version_of_a_published_session_is_served() {
    let (app, _, data_dir) = app().await;
    // A directory on disk that the catalog does not know (half-published, or an old layout).
    std::fs::create_dir_all(data_dir.join("media/99/1")).unwrap();
    std::fs::write(data_dir.join("media/99/1/seg.m4s"), b"secret").unwrap();
    assert_eq!(app.get("/media/99/1/seg.m4s").await.status(), 404);
    // A session that is not published (still processing) is not served either.
    let pool = crate::helpers::open_catalog(&data_dir).await;
    sqlx::query("UPDATE sessions SET state = 'withheld'")
        .execute(pool.pool())
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await; // publication answers are trusted for 2 s
    assert_eq!(app.get(SEG).await.status(), 404);
}

#[tokio::test]
async fn clients_that_leave_mid_body_cost_nothing() {
    let (app, _, _) = app().await;
    let address = app.address.clone();
    tokio::task::spawn_blocking(move || {
        let host = address.trim_start_matches("http://").to_string();
        for _ in 0..50 {
            let mut s = std::net::TcpStream::connect(&host).unwrap();
            write!(s, "GET /media/1/1/big.mp4 HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            drop(s); // gone after the first few kilobytes
        }
    })
    .await
    .unwrap();
    let (status, _, body) = get(&app, "/media/1/1/big.mp4", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(body.len(), BIG);
}
