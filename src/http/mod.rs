//! The HTTP face of aula (actix-web): pages, the JSON API, media and assets. Handlers are
//! thin: they parse the request, call the library and shape the answer. Nothing here
//! decides what the archive contains.

mod admin;
mod admin_pages;
mod admin_people;
mod alerts;
mod api;
mod assets;
mod clips;
#[doc(hidden)]
pub mod conditional;
mod errors;
mod feeds;
mod i18n;
mod live;
mod media;
mod ops;
mod pages;
mod people;
#[doc(hidden)]
pub mod ranges;
mod routes;
mod security;

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
    /// The versions of the files the pages link (read once at start).
    pub assets: Arc<assets::Assets>,
    /// Failed admin token attempts, to bound guessing.
    pub failed_attempts: security::FailedAttempts,
    /// Clips cut from published sessions, and their cache.
    pub clips: crate::clips::cut::Clips,
    /// The live sessions' encoders, when this server takes them (`live_rtmp`).
    pub live: Option<Arc<crate::live::Hub>>,
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

/// How many connections may wait for the server to accept them. std's `bind` asks for 128:
/// a burst beyond that (a session starting, its viewers' players opening at once) had its
/// extra connections dropped by the kernel and retried by the clients a second later
/// (measured: 97 of 600 simultaneous connections). The kernel caps this at
/// `net.core.somaxconn`.
const LISTEN_BACKLOG: i32 = 2048;

/// The listening socket on `addr`, as std's `bind` makes it but with a longer queue.
fn listen(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(LISTEN_BACKLOG)?;
    Ok(socket.into())
}

/// The HTTP server over `listener`, with its limits on slow and idle clients.
fn serve(
    state: web::Data<AppState>,
    listener: TcpListener,
    workers: usize,
) -> std::io::Result<Server> {
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            // JSON bodies (the admin API's) are small: 64 KiB is far beyond any of them.
            .app_data(web::JsonConfig::default().limit(64 * 1024))
            .wrap(actix_web::middleware::from_fn(ops::count))
            .configure(routes::routes(&state))
    })
    .on_connect(|conn, _| {
        // Headers and body leave in separate writes; without this, Nagle's algorithm
        // and delayed ACKs add ~40 ms to small responses.
        if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
            let _ = tcp.set_nodelay(true);
        }
    })
    .listen(listener)?
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
    .run())
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
        crate::search::follow::spawn_follower(
            archive.catalog.clone(),
            Arc::clone(&search),
            Duration::from_millis(archive.config.index_poll_ms.max(50)),
        );

        if archive.config.alerts_enabled() {
            crate::alerts::digest::spawn_composer(
                archive.catalog.clone(),
                Arc::clone(&search),
                Duration::from_secs(archive.config.alerts_poll_seconds),
            );
        }

        let live = crate::live::start(&archive)
            .await
            .map_err(|(addr, source)| StartError::Bind {
                addr: addr.to_string(),
                source,
            })?;

        let addr = archive.config.listen;
        let listener = listen(addr).map_err(|source| StartError::Bind {
            addr: addr.to_string(),
            source,
        })?;
        let bound = listener.local_addr().map_err(|source| StartError::Bind {
            addr: addr.to_string(),
            source,
        })?;
        let workers = archive.config.workers;
        let media = media::MediaFiles::new(Arc::clone(&archive.media));
        let archive_web_dir = archive.config.web_dir.clone();
        let config = &archive.config;
        let clips = crate::clips::cut::Clips::new(
            &config.data_dir,
            &config.ffmpeg,
            &config.ffprobe,
            config.clip_cache_mb << 20,
        );
        let state = web::Data::new(AppState {
            clips,
            live,
            archive,
            search,
            media,
            assets: Arc::new(assets::Assets::load(&archive_web_dir)),
            failed_attempts: security::FailedAttempts::default(),
        });
        let server = serve(state, listener, workers).map_err(|source| StartError::Bind {
            addr: addr.to_string(),
            source,
        })?;
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
