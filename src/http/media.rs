//! Serving published media: playlists, segments, MP4s and posters from the media root,
//! with byte ranges and conditional requests (actix-files), HLS-aware content types and
//! immutable caching. No request path may leave the media root.

use std::path::PathBuf;

use actix_files::NamedFile;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

use super::AppState;

/// Content type for a media file name: the HLS types first (mime_guess gets them wrong or
/// does not know them), then mime_guess.
pub fn content_type(name: &str) -> mime_guess::Mime {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let fixed = match ext.as_str() {
        "m3u8" => Some("application/vnd.apple.mpegurl"),
        "m4s" => Some("video/iso.segment"),
        "ts" => Some("video/mp2t"),
        "mp4" => Some("video/mp4"),
        "m4a" => Some("audio/mp4"),
        "vtt" => Some("text/vtt; charset=utf-8"),
        _ => None,
    };
    match fixed {
        Some(t) => t
            .parse()
            .unwrap_or(mime_guess::mime::APPLICATION_OCTET_STREAM),
        None => mime_guess::from_ext(&ext).first_or_octet_stream(),
    }
}

/// A media path from a URL, as plain relative segments; `None` for anything that could
/// step outside the root (`..`, `.`, empty segments, backslashes, NUL, a leading slash).
pub fn safe_relative_path(raw: &str) -> Option<PathBuf> {
    if raw.is_empty() || raw.starts_with('/') {
        return None;
    }
    let mut path = PathBuf::new();
    for segment in raw.split('/') {
        if segment.is_empty()
            || segment == "."
            || segment == ".."
            || segment.contains(['\\', '\0'])
            || segment.starts_with('.')
        {
            return None;
        }
        path.push(segment);
    }
    Some(path)
}

pub async fn serve(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    // actix has percent-decoded the match already; decode once, never twice.
    let raw = req.match_info().get("path").unwrap_or("");
    let Some(relative) = safe_relative_path(raw) else {
        return not_found();
    };
    let root = state.archive.config.media_dir();
    let full = root.join(&relative);
    // Symlinks could point anywhere: the resolved file must still be under the root.
    let (Ok(real), Ok(real_root)) = (
        tokio::fs::canonicalize(&full).await,
        tokio::fs::canonicalize(&root).await,
    ) else {
        return not_found();
    };
    if !real.starts_with(&real_root) {
        return not_found();
    }
    let file = match web::block(move || NamedFile::open(real)).await {
        Ok(Ok(f)) if f.metadata().is_file() => f,
        _ => return not_found(),
    };
    let name = relative
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut response = file
        .set_content_type(content_type(&name))
        .use_etag(true)
        .use_last_modified(true)
        .prefer_utf8(true)
        .into_response(&req);
    let headers = response.headers_mut();
    // Published versions are never modified: a re-transcode is a new version at a new URL.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Content-Range, Content-Length, Accept-Ranges"),
    );
    response
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body("media not found\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hls_types() {
        assert_eq!(
            content_type("master.m3u8").as_ref(),
            "application/vnd.apple.mpegurl"
        );
        assert_eq!(content_type("seg_00001.m4s").as_ref(), "video/iso.segment");
        assert_eq!(content_type("download.MP4").as_ref(), "video/mp4");
        assert_eq!(content_type("poster.jpg").as_ref(), "image/jpeg");
        assert_eq!(content_type("subs.vtt").as_ref(), "text/vtt; charset=utf-8");
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
            "",
        ] {
            assert!(safe_relative_path(bad).is_none(), "{bad:?}");
        }
    }
}
