//! The pages' stylesheet, scripts and icons at versioned addresses. Each file the pages link
//! is read once at start and linked as `path?v=HASH` (its content's SHA-256, shortened);
//! an answer to that exact address can be cached for a year and never asked for again
//! (`immutable`), because a changed file gets a new address. Any other address of the same
//! file (no `v`, or an old one) is revalidated on every use with its ETag.
//!
//! `web/dist/` is built by `web/build.mjs` (scripts/install-deps.sh runs it). Without it,
//! the pages fall back to the kit's whole stylesheet and ours, and the icons are missing:
//! slower, but nothing breaks; the server says so once at start.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use super::errors::PageError;

/// A year: the longest `max-age` caches are asked to honour (RFC 9111 §5.2.2.1 allows
/// more; a year is what every cache understands).
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Any other address of an asset: kept, but checked with its ETag before each use.
pub const REVALIDATE: &str = "public, no-cache";

/// The files the pages link, by address, and where each is under the web directory.
const LINKED: &[(&str, &str)] = &[
    ("/dist/site.css", "dist/site.css"),
    ("/dist/icon.svg", "dist/icon.svg"),
    ("/static/aula.css", "static/aula.css"),
    ("/static/player.js", "static/player.js"),
    ("/static/live.js", "static/live.js"),
    (
        "/vendor/bootstrap-italia/css/bootstrap-italia.min.css",
        "node_modules/bootstrap-italia/dist/css/bootstrap-italia.min.css",
    ),
    (
        "/vendor/video.js/video.min.js",
        "node_modules/video.js/dist/video.min.js",
    ),
    (
        "/vendor/video.js/video-js.min.css",
        "node_modules/video.js/dist/video-js.min.css",
    ),
    (
        "/vendor/video.js/lang/it.js",
        "node_modules/video.js/dist/lang/it.js",
    ),
    (
        "/vendor/video.js/lang/en.js",
        "node_modules/video.js/dist/lang/en.js",
    ),
];

/// The built stylesheet: the kit's rules the pages use, and ours.
const SITE_CSS: &str = "/dist/site.css";
/// What the pages link when the stylesheet was not built.
const UNBUILT_CSS: &[&str] = &[
    "/vendor/bootstrap-italia/css/bootstrap-italia.min.css",
    "/static/aula.css",
];

/// The version of every linked file found at start.
#[derive(Debug, Clone, Default)]
pub struct Assets {
    versions: HashMap<&'static str, String>,
}

impl Assets {
    /// Reads and hashes the linked files under `web_dir`; a missing one is linked without a
    /// version (and so never cached as immutable).
    pub fn load(web_dir: &Path) -> Assets {
        let versions: HashMap<&'static str, String> = LINKED
            .iter()
            .filter_map(|(address, file)| {
                let bytes = std::fs::read(web_dir.join(file)).ok()?;
                Some((*address, version_of(&bytes)))
            })
            .collect();
        if !versions.contains_key(SITE_CSS) {
            tracing::warn!(
                web_dir = %web_dir.display(),
                "web/dist is not built: the pages load bootstrap-italia's whole stylesheet and have no icons; run scripts/install-deps.sh (it runs `npm run build` in web/)"
            );
        }
        Assets { versions }
    }

    /// The address to link for `address`: with its version when the file was found.
    pub fn url(&self, address: &str) -> String {
        match self.versions.get(address) {
            Some(v) => format!("{address}?v={v}"),
            None => address.to_string(),
        }
    }

    /// The stylesheets every page links, in order.
    pub fn stylesheets(&self) -> Vec<String> {
        if self.versions.contains_key(SITE_CSS) {
            vec![self.url(SITE_CSS)]
        } else {
            UNBUILT_CSS.iter().map(|a| self.url(a)).collect()
        }
    }

    /// The `Cache-Control` for an answer to `path` with `query`: immutable only when the
    /// query names the file's current version.
    pub fn cache_control(&self, path: &str, query: &str) -> &'static str {
        let asked = query.split('&').find_map(|pair| pair.strip_prefix("v="));
        match (asked, self.versions.get(path)) {
            (Some(asked), Some(current)) if asked == current => IMMUTABLE,
            _ => REVALIDATE,
        }
    }
}

/// An icon asked for by its fixed name (`/favicon.ico`, the touch icons): a day in caches,
/// since its address cannot change when it does.
pub async fn root_icon(req: HttpRequest, file: PathBuf) -> Result<HttpResponse, PageError> {
    // Opening a file is one system call; the body is read by NamedFile as it is sent.
    let named = actix_files::NamedFile::open(&file).map_err(|_| PageError::not_found(&req))?;
    let mut response = named.use_etag(true).into_response(&req);
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("public, max-age=86400"),
    );
    Ok(response)
}

/// The first 12 hex digits of the content's SHA-256: 48 bits, more than enough to tell
/// one build of a file from the next.
fn version_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web_dir(with_dist: bool) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("static")).unwrap();
        std::fs::write(dir.path().join("static/aula.css"), "body{}").unwrap();
        if with_dist {
            std::fs::create_dir_all(dir.path().join("dist")).unwrap();
            std::fs::write(dir.path().join("dist/site.css"), "p{}").unwrap();
        }
        dir
    }

    #[test]
    fn a_found_file_is_linked_with_its_content_version() {
        let dir = web_dir(true);
        let assets = Assets::load(dir.path());
        let url = assets.url("/static/aula.css");
        assert_eq!(url, format!("/static/aula.css?v={}", version_of(b"body{}")));
        assert_eq!(url.len(), "/static/aula.css?v=".len() + 12);
        // A file that is not there is linked as it is.
        assert_eq!(assets.url("/static/player.js"), "/static/player.js");
    }

    #[test]
    fn pages_link_the_built_stylesheet_or_fall_back_to_the_whole_kit() {
        let built = Assets::load(web_dir(true).path());
        assert_eq!(
            built.stylesheets(),
            vec![format!("/dist/site.css?v={}", version_of(b"p{}"))]
        );
        let unbuilt = Assets::load(web_dir(false).path());
        let sheets = unbuilt.stylesheets();
        assert_eq!(sheets.len(), 2);
        assert!(sheets[0].starts_with("/vendor/bootstrap-italia/"));
        assert!(sheets[1].starts_with("/static/aula.css?v="));
    }

    #[test]
    fn only_the_current_version_is_cached_as_immutable() {
        let assets = Assets::load(web_dir(true).path());
        let current = version_of(b"body{}");
        let path = "/static/aula.css";
        assert_eq!(
            assets.cache_control(path, &format!("v={current}")),
            IMMUTABLE
        );
        assert_eq!(
            assets.cache_control(path, &format!("x=1&v={current}")),
            IMMUTABLE
        );
        assert_eq!(assets.cache_control(path, ""), REVALIDATE);
        assert_eq!(assets.cache_control(path, "v=000000000000"), REVALIDATE);
        assert_eq!(
            assets.cache_control(path, &format!("v={current}0")),
            REVALIDATE
        );
        // An address not linked by any page is never immutable.
        assert_eq!(
            assets.cache_control("/static/other.js", &format!("v={current}")),
            REVALIDATE
        );
    }
}
