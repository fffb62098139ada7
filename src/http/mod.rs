//! The HTTP face of aula (actix-web): pages, the JSON API, media and assets. Handlers are
//! thin: they parse the request, call the library and shape the answer. Nothing here
//! decides what the archive contains.

mod admin;
mod admin_pages;
mod api;
pub use crate::storage::content_type as media_content_type;
pub use api::page_url;
#[doc(hidden)]
pub mod conditional;
mod feeds;
mod i18n;
mod media;
mod ops;
mod pages;
#[doc(hidden)]
pub mod ranges;
mod security;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};

use crate::archive::Archive;
use crate::search::SearchIndex;

/// Shared by every request.
/// Static files under `root` that never leave it: actix-files refuses `..` and the like,
/// and this filter also refuses a file that resolves outside `root` (a symlink).
fn confined_files(mount: &str, root: std::path::PathBuf) -> actix_files::Files {
    let real_root = root.canonicalize().unwrap_or_else(|_| root.clone());
    actix_files::Files::new(mount, root).path_filter(move |relative, _| {
        match real_root.join(relative).canonicalize() {
            Ok(real) => real.starts_with(&real_root),
            // Absent: actix-files answers 404 itself.
            Err(_) => true,
        }
    })
}

pub struct AppState {
    pub archive: Archive,
    pub search: Arc<SearchIndex>,
    pub media: media::MediaFiles,
    /// Failed admin token attempts, to bound guessing.
    pub failed_attempts: security::FailedAttempts,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}; is another server using that port? (--listen or AULA_LISTEN changes it)")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
}

/// A server bound to its port, ready to run.
pub struct Application {
    server: Server,
    port: u16,
    address: String,
}

impl Application {
    /// Opens the search index, brings it up to date with the catalog, keeps it in step from
    /// then on, and binds the listener (port 0 picks a free port).
    pub async fn build(archive: Archive) -> Result<Application, StartError> {
        let stale = admin::remove_dead_uploads(&archive.config.staging_dir());
        if stale > 0 {
            tracing::info!(
                stale,
                "removed uploads left by a server that stopped mid-upload"
            );
        }
        let search = Arc::new(SearchIndex::open(&archive.config.index_dir())?);
        let applied = search.catch_up(&archive.catalog).await?;
        if applied > 0 {
            tracing::info!(
                sessions = applied,
                "search index caught up with the catalog"
            );
        }
        spawn_index_follower(archive.clone(), Arc::clone(&search));

        let addr = archive.config.listen;
        let listener = TcpListener::bind(addr).map_err(|source| StartError::Bind {
            addr: addr.to_string(),
            source,
        })?;
        let bound = listener.local_addr().map_err(|source| StartError::Bind {
            addr: addr.to_string(),
            source,
        })?;
        let workers = archive.config.workers;
        let media = media::MediaFiles::new(Arc::clone(&archive.media));
        let state = web::Data::new(AppState {
            archive,
            search,
            media,
            failed_attempts: security::FailedAttempts::default(),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                // JSON bodies (the admin API's) are small: 64 KiB is far beyond any of them.
                .app_data(web::JsonConfig::default().limit(64 * 1024))
                .wrap(actix_web::middleware::from_fn(ops::count))
                .configure(routes(&state))
        })
        .on_connect(|conn, _| {
            // Headers and body leave in separate writes; without this, Nagle's algorithm
            // and delayed ACKs add ~40 ms to small responses.
            if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
                let _ = tcp.set_nodelay(true);
            }
        })
        .listen(listener)
        .map_err(|source| StartError::Bind {
            addr: addr.to_string(),
            source,
        })?
        .workers(workers)
        // Room for one body chunk: actix copies chunks into this buffer, and one that grows
        // past 128 KiB is reallocated after every write.
        .h1_write_buffer_size(64 * 1024)
        // Bounds on slow or idle clients (see docs/SECURITY.md): the request head must
        // arrive within 5 s (else 408), an idle kept-alive connection closes after 15 s.
        .client_request_timeout(Duration::from_secs(5))
        .client_disconnect_timeout(Duration::from_secs(1))
        .keep_alive(Duration::from_secs(15))
        .shutdown_timeout(10)
        .run();
        Ok(Application {
            server,
            port: bound.port(),
            address: format!("http://{bound}"),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// e.g. `http://127.0.0.1:8080`
    pub fn address(&self) -> &str {
        &self.address
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn routes(state: &web::Data<AppState>) -> impl FnOnce(&mut web::ServiceConfig) + '_ {
    move |cfg| {
        let web_dir = state.archive.config.web_dir.clone();
        cfg.service(
            web::scope("/api/v1/admin")
                .route("/bodies", web::post().to(admin::create_body))
                .route("/bodies/{id}", web::patch().to(admin::update_body))
                .route("/sessions", web::post().to(admin::create_session))
                .route("/sessions/{id}", web::patch().to(admin::update_session))
                .route(
                    "/sessions/{id}/agenda",
                    web::put().to(admin::replace_agenda),
                )
                .route(
                    "/sessions/{id}/agenda/{position}/start",
                    web::put().to(admin::set_agenda_start),
                )
                .route(
                    "/sessions/{id}/recordings",
                    web::post().to(admin::upload_recording),
                )
                .route(
                    "/sessions/{id}/documents",
                    web::post().to(admin::upload_document),
                )
                .route("/sessions/{id}/reprocess", web::post().to(admin::reprocess))
                .route("/sessions/{id}/publish", web::post().to(admin::publish))
                .route("/sessions/{id}/withhold", web::post().to(admin::withhold))
                .route(
                    "/sessions/{id}/withheld-ranges",
                    web::put().to(admin::set_withheld_ranges),
                )
                .route("/jobs", web::get().to(admin::list_jobs))
                .route("/jobs/{id}/retry", web::post().to(admin::retry_job))
                .route("/unmapped", web::get().to(admin::unmapped))
                .route("/import-report", web::get().to(admin::import_report))
                .default_service(web::to(api::not_found)),
        )
        .service(
            web::scope("/api/v1")
                .route("/bodies", web::get().to(api::bodies))
                .route("/openapi.json", web::get().to(api::openapi))
                .route("/sessions.csv", web::get().to(api::sessions_csv))
                .route("/sessions", web::get().to(api::list_sessions))
                .route("/sessions/{id}", web::get().to(api::session))
                .route("/search", web::get().to(api::search))
                .default_service(web::to(api::not_found)),
        )
        .route("/media/{path:.*}", web::route().to(media::serve))
        // Styles, scripts and fonts go compressed (video.js is 0.7 MB as it is); media
        // never are: their byte ranges must mean the file's bytes.
        .service(
            web::scope("/static")
                .wrap(actix_web::middleware::Compress::default())
                .service(
                    confined_files("", web_dir.join("static"))
                        .use_etag(true)
                        .prefer_utf8(true),
                ),
        )
        .service(
            web::scope("/vendor")
                .wrap(actix_web::middleware::Compress::default())
                .service(confined_files(
                    "/bootstrap-italia",
                    web_dir.join("node_modules/bootstrap-italia/dist"),
                ))
                .service(confined_files(
                    "/video.js",
                    web_dir.join("node_modules/video.js/dist"),
                )),
        )
        .route("/healthz", web::get().to(ops::healthz))
        .route("/readyz", web::get().to(ops::readyz))
        .route("/metrics", web::get().to(ops::metrics))
        .route("/admin", web::get().to(admin_pages::home))
        .route("/admin/accedi", web::post().to(admin_pages::sign_in))
        .route("/admin/esci", web::post().to(admin_pages::sign_out))
        .route("/admin/lavori", web::get().to(admin_pages::jobs))
        .route(
            "/admin/lavori/{id}/riprova",
            web::post().to(admin_pages::retry),
        )
        .route("/admin/importazione", web::get().to(admin_pages::import))
        .route("/admin/indirizzi", web::get().to(admin_pages::unmapped))
        .route("/", web::get().to(pages::home))
        .route("/sedute/{id}", web::get().to(pages::session))
        .route(
            "/sedute/{id}/sottotitoli.vtt",
            web::get().to(pages::captions),
        )
        .route("/sedute/{id}/capitoli.vtt", web::get().to(pages::chapters))
        .route(
            "/sedute/{id}/trascrizione.{format}",
            web::get().to(pages::transcript_download),
        )
        .route("/feed.atom", web::get().to(pages::feed))
        .route("/organi/{slug}/feed.atom", web::get().to(pages::body_feed))
        .route("/archivio", web::get().to(pages::archive))
        .route("/archivio/{year}", web::get().to(pages::archive))
        .route("/organi/{slug}", web::get().to(pages::archive))
        .route("/organi/{slug}/{year}", web::get().to(pages::archive))
        .route("/accessibilita", web::get().to(pages::accessibility))
        .route("/embed/{id}", web::get().to(pages::embed))
        .route("/sitemap.xml", web::get().to(pages::sitemap))
        .route("/robots.txt", web::get().to(pages::robots))
        .route("/documenti/{id}", web::get().to(pages::document))
        .route("/cerca", web::get().to(pages::search))
        .default_service(web::to(pages::fallback));
    }
}

/// Keeps this process's search index in step with the catalog, whoever wrote to it (an
/// `aula ingest` in another process, another replica).
fn spawn_index_follower(archive: Archive, search: Arc<SearchIndex>) {
    let every = Duration::from_millis(archive.config.index_poll_ms.max(50));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Windows that opened or closed before this process started were applied when
        // their sessions were last indexed, unless that was before the boundary: take
        // every past boundary once.
        let mut windows_checked = 0;
        loop {
            tick.tick().await;
            if let Err(e) = search.catch_up(&archive.catalog).await {
                tracing::warn!(error = %e, "search index could not catch up; will retry");
                continue;
            }
            let now = crate::catalog::now();
            match search
                .apply_windows(&archive.catalog, windows_checked, now)
                .await
            {
                Ok(_) => windows_checked = now,
                Err(e) => tracing::warn!(error = %e, "publication windows not applied; will retry"),
            }
        }
    });
}
