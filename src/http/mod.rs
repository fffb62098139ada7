//! The HTTP face of aula (actix-web): pages, the JSON API, media and assets. Handlers are
//! thin: they parse the request, call the library and shape the answer. Nothing here
//! decides what the archive contains.

mod admin;
mod api;
pub use api::page_url;
mod conditional;
mod feeds;
mod media;
mod pages;
mod ranges;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};

use crate::archive::Archive;
use crate::search::SearchIndex;

/// Shared by every request.
pub struct AppState {
    pub archive: Archive,
    pub search: Arc<SearchIndex>,
    pub media: media::MediaFiles,
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
        let media = media::MediaFiles::new(archive.config.media_dir());
        let state = web::Data::new(AppState {
            archive,
            search,
            media,
        });
        let server =
            HttpServer::new(move || App::new().app_data(state.clone()).configure(routes(&state)))
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
                .route(
                    "/sessions/{id}/agenda/{position}/start",
                    web::put().to(admin::set_agenda_start),
                )
                .default_service(web::to(api::not_found)),
        )
        .service(
            web::scope("/api/v1")
                .route("/sessions", web::get().to(api::list_sessions))
                .route("/sessions/{id}", web::get().to(api::session))
                .route("/search", web::get().to(api::search))
                .default_service(web::to(api::not_found)),
        )
        .route("/media/{path:.*}", web::route().to(media::serve))
        .service(
            actix_files::Files::new("/static", web_dir.join("static"))
                .use_etag(true)
                .prefer_utf8(true),
        )
        .service(actix_files::Files::new(
            "/vendor/bootstrap-italia",
            web_dir.join("node_modules/bootstrap-italia/dist"),
        ))
        .service(actix_files::Files::new(
            "/vendor/video.js",
            web_dir.join("node_modules/video.js/dist"),
        ))
        .route("/", web::get().to(pages::home))
        .route("/sedute/{id}", web::get().to(pages::session))
        .route(
            "/sedute/{id}/sottotitoli.vtt",
            web::get().to(pages::captions),
        )
        .route("/sedute/{id}/capitoli.vtt", web::get().to(pages::chapters))
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
        loop {
            tick.tick().await;
            if let Err(e) = search.catch_up(&archive.catalog).await {
                tracing::warn!(error = %e, "search index could not catch up; will retry");
            }
        }
    });
}
