//! Which address goes to which handler: the one table of routes, and the one rule for
//! methods. Every resource answers the methods it was declared with; a page or a read of
//! the API declared with `get` answers HEAD too (RFC 9110 §9.3.2: the same headers as
//! GET, no body — actix-http leaves the body out of a HEAD answer); any other method on a
//! known address is 405 with `Allow` (actix-web's resource default). Addresses no route
//! serves go to the legacy-address fallback. It must not decide anything a handler
//! decides.

use actix_web::{web, FromRequest, Handler, Resource, Responder};

use super::{
    admin, admin_pages, admin_people, alerts, api, assets, clips, live, media, ops, pages, people,
    AppState,
};

/// A resource answering GET, and HEAD with the same handler.
fn get<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args> + Clone,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
}

/// A resource answering POST alone.
fn post<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path).route(web::post().to(handler))
}

/// A resource answering PUT alone.
fn put<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path).route(web::put().to(handler))
}

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

pub(super) fn routes(state: &web::Data<AppState>) -> impl FnOnce(&mut web::ServiceConfig) + '_ {
    move |cfg| {
        admin_api(cfg);
        public_api(cfg);
        // A scope with a fixed prefix, not a route with a `{path:.*}` pattern: a pattern
        // is matched by a regular expression on every request, which was a tenth of the
        // server's time on small media files (perf, bench/media playlists).
        cfg.service(web::scope("/media").default_service(web::route().to(media::serve)));
        cfg.service(web::scope("/live").default_service(web::route().to(media::serve_live)));
        assets(cfg, &state.archive.config.web_dir);
        operations(cfg);
        admin_site(cfg);
        site(cfg);
        cfg.default_service(web::to(pages::fallback));
    }
}

fn admin_api(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1/admin")
            .app_data(api_query_errors())
            .service(post("/bodies", admin::create_body))
            .service(web::resource("/bodies/{id}").route(web::patch().to(admin::update_body)))
            .service(post("/sessions", admin::create_session))
            .service(web::resource("/sessions/{id}").route(web::patch().to(admin::update_session)))
            .service(
                put("/sessions/{id}/agenda", admin::replace_agenda)
                    // 500 items of long titles are past the 64 KiB default: the item
                    // count, not the size, is what the call refuses (400).
                    .app_data(web::JsonConfig::default().limit(1 << 20)),
            )
            .service(put(
                "/sessions/{id}/agenda/{position}/start",
                admin::set_agenda_start,
            ))
            .service(post("/sessions/{id}/recordings", admin::upload_recording))
            .service(post("/sessions/{id}/documents", admin::upload_document))
            .service(post("/sessions/{id}/reprocess", admin::reprocess))
            .service(post("/sessions/{id}/transcribe", admin::transcribe))
            .service(get("/sessions/{id}/live", live::status).route(web::post().to(live::arm)))
            .service(post("/sessions/{id}/live/end", live::end))
            .service(
                get("/sessions/{id}/transcript", admin::transcript)
                    .route(web::put().to(admin::correct_transcript))
                    // A long session's transcript is a few hundred KiB of JSON.
                    .app_data(web::JsonConfig::default().limit(4 << 20)),
            )
            .service(post("/sessions/{id}/speakers", admin_people::set_speaker))
            .service(
                put("/people", admin_people::replace_roles)
                    .app_data(web::JsonConfig::default().limit(1 << 20)),
            )
            .service(
                put("/sessions/{id}/record", admin_people::replace_record)
                    .app_data(web::JsonConfig::default().limit(1 << 20)),
            )
            .service(post("/sessions/{id}/publish", admin::publish))
            .service(post("/sessions/{id}/withhold", admin::withhold))
            .service(put(
                "/sessions/{id}/withheld-ranges",
                admin::set_withheld_ranges,
            ))
            .service(post("/alerts/digests", alerts::compose_digests))
            .service(get("/jobs", admin::list_jobs))
            .service(post("/jobs/{id}/retry", admin::retry_job))
            .service(get("/unmapped", admin::unmapped))
            .service(get("/import-report", admin::import_report))
            .default_service(web::to(api::not_found)),
    );
}

fn public_api(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .app_data(api_query_errors())
            .service(get("/bodies", api::bodies))
            .service(get("/openapi.json", api::openapi))
            .service(get("/sessions.csv", api::sessions_csv))
            .service(get("/sessions", api::list_sessions))
            .service(get("/sessions/{id}", api::session))
            .service(get("/sessions/{id}/live", live::public_status))
            .service(get("/search", api::search))
            .service(get("/people.csv", people::people_csv))
            .service(get("/people", people::api_list))
            .service(get("/people/{slug}", people::api_person))
            .service(get("/votes.csv", people::votes_csv))
            .default_service(web::to(api::not_found)),
    );
}

/// A query string the API cannot read (a repeated or malformed parameter) answers as
/// every API error does: an RFC 9457 problem document, not actix's plain text.
fn api_query_errors() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _| {
        super::errors::ApiError::bad_request("Bad query", error.to_string()).into()
    })
}

/// Styles, scripts and icons go compressed (video.js is 0.7 MB as it is); media never
/// are: their byte ranges must mean the file's bytes. The pages link them at versioned
/// addresses (`assets.rs`), cached for a year; the icons browsers and phones ask for by
/// name live at the root.
fn assets(cfg: &mut web::ServiceConfig, web_dir: &std::path::Path) {
    let cached = || actix_web::middleware::from_fn(asset_headers);
    // Ours: the scripts and styles we write, and what web/build.mjs makes of them.
    for (address, dir) in [("/static", "static"), ("/dist", "dist")] {
        cfg.service(
            web::scope(address)
                .wrap(actix_web::middleware::Compress::default())
                .wrap(cached())
                .service(
                    confined_files("", web_dir.join(dir))
                        .use_etag(true)
                        .prefer_utf8(true),
                ),
        );
    }
    cfg.service(
        web::scope("/vendor")
            .wrap(actix_web::middleware::Compress::default())
            .wrap(cached())
            .service(confined_files(
                "/bootstrap-italia",
                web_dir.join("node_modules/bootstrap-italia/dist"),
            ))
            .service(confined_files(
                "/video.js",
                web_dir.join("node_modules/video.js/dist"),
            )),
    );
    for (address, file) in ROOT_ICONS {
        let path = web_dir.join("dist").join(file);
        cfg.service(get(address, move |req: actix_web::HttpRequest| {
            assets::root_icon(req, path.clone())
        }));
    }
    cfg.service(get("/manifest.webmanifest", pages::manifest));
}

/// The icons asked for by name: `/favicon.ico` by every browser and tool, the touch icons
/// by iPhones and iPads (the precomposed name by older ones).
const ROOT_ICONS: &[(&str, &str)] = &[
    ("/favicon.ico", "favicon.ico"),
    ("/apple-touch-icon.png", "apple-touch-icon.png"),
    ("/apple-touch-icon-precomposed.png", "apple-touch-icon.png"),
];

/// Sets the `Cache-Control` of an asset's answer: a year for the version the pages link,
/// revalidation for any other address of it; errors keep their own. actix-files answers
/// other methods than GET and HEAD with a 405 that does not say which it takes: `Allow`
/// is added (RFC 9110 §15.5.6).
async fn asset_headers(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let policy = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.assets.cache_control(req.path(), req.query_string()));
    let mut response = next.call(req).await?;
    let status = response.status();
    let headers = response.headers_mut();
    if status == actix_web::http::StatusCode::METHOD_NOT_ALLOWED
        && !headers.contains_key(actix_web::http::header::ALLOW)
    {
        headers.insert(
            actix_web::http::header::ALLOW,
            actix_web::http::header::HeaderValue::from_static("GET, HEAD"),
        );
    }
    if let Some(policy) = policy {
        if status.is_success() || status == actix_web::http::StatusCode::NOT_MODIFIED {
            headers.insert(
                actix_web::http::header::CACHE_CONTROL,
                actix_web::http::header::HeaderValue::from_static(policy),
            );
        }
    }
    Ok(response)
}

fn operations(cfg: &mut web::ServiceConfig) {
    cfg.service(get("/healthz", ops::healthz))
        .service(get("/readyz", ops::readyz))
        .service(get("/metrics", ops::metrics));
}

fn admin_site(cfg: &mut web::ServiceConfig) {
    cfg.service(get("/admin", admin_pages::home))
        .service(post("/admin/accedi", admin_pages::sign_in))
        .service(post("/admin/esci", admin_pages::sign_out))
        .service(get("/admin/lavori", admin_pages::jobs))
        .service(
            get("/admin/dirette", admin_pages::live).route(web::post().to(admin_pages::arm_live)),
        )
        .service(post("/admin/lavori/{id}/riprova", admin_pages::retry))
        .service(get("/admin/importazione", admin_pages::import))
        .service(get("/admin/indirizzi", admin_pages::unmapped))
        .service(
            get("/admin/sedute/{id}/trascrizione", admin_pages::transcript)
                .route(web::post().to(admin_pages::correct_transcript))
                // A long session's form is far over actix's 16 KiB default for forms.
                .app_data(web::FormConfig::default().limit(4 << 20)),
        )
        .service(post("/admin/sedute/{id}/oratori", admin_pages::set_speaker))
        .service(
            get("/admin/persone", admin_pages::people)
                .route(web::post().to(admin_pages::change_people))
                .app_data(web::FormConfig::default().limit(1 << 20)),
        );
}

fn site(cfg: &mut web::ServiceConfig) {
    cfg.service(get("/", pages::home))
        .service(get("/sedute/{id}", pages::session))
        .service(get("/sedute/{id}/sottotitoli.vtt", pages::captions))
        .service(get("/sedute/{id}/capitoli.vtt", pages::chapters))
        .service(get("/sedute/{id}/clip.mp4", clips::clip_mp4))
        .service(get("/sedute/{id}/clip.vtt", clips::clip_vtt))
        .service(get(
            "/sedute/{id}/trascrizione.{format}",
            pages::transcript_download,
        ))
        .service(get("/feed.atom", pages::feed))
        .service(get("/organi/{slug}/feed.atom", pages::body_feed))
        .service(get("/archivio", pages::archive))
        .service(get("/archivio/{year}", pages::archive))
        .service(get("/organi/{slug}", pages::archive))
        .service(get("/organi/{slug}/{year}", pages::archive))
        .service(get("/accessibilita", pages::accessibility))
        .service(get("/embed/{id}", pages::embed))
        .service(get("/sitemap.xml", pages::sitemap))
        .service(get("/robots.txt", pages::robots))
        .service(get("/documenti/{id}", pages::document))
        .service(get("/cerca", pages::search))
        .service(get("/persone", people::list))
        .service(get("/persone/{slug}", people::page))
        .service(get("/cerca/feed.atom", pages::search_feed))
        .service(post("/avvisi", alerts::subscribe))
        .service(
            get("/avvisi/conferma/{token}", alerts::confirm_page)
                .route(web::post().to(alerts::confirm)),
        )
        .service(
            get("/avvisi/annulla/{token}", alerts::leave_page).route(web::post().to(alerts::leave)),
        )
        .service(get("/privacy", alerts::privacy));
}
