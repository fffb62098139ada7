//! Machine-readable views of the catalog: an Atom feed, a sitemap with Google's video
//! extension, robots.txt and an open-data CSV. Pure functions from rows to text: the
//! handlers fetch the rows, choose the content type and send the answer.

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Utc};

use crate::catalog::{SessionRow, ITALIAN_MONTHS};
use crate::search::SessionHit;
use crate::urls::{page_url, published_media_url};

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const VIDEO_NS: &str = "http://www.google.com/schemas/sitemap-video/1.1";

/// The longest `video:duration` Google accepts, in seconds (8 hours).
const MAX_VIDEO_SECONDS: i64 = 28_800;

/// The columns of the open-data CSV, in order.
const CSV_HEADER: [&str; 12] = [
    "id",
    "date",
    "body",
    "body_slug",
    "title",
    "kind",
    "number",
    "duration_seconds",
    "state",
    "page_url",
    "mp4_url",
    "audio_url",
];

/// What describes one Atom feed (the whole archive, or one body's sessions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedInfo {
    /// The feed's title; also names its author.
    pub title: String,
    /// Where the feed itself is served, e.g. "/feed.atom".
    pub self_path: String,
    /// The HTML page listing the same sessions, e.g. "/".
    pub alternate_path: String,
    /// Appended to the origin to form the feed's permanent `<id>`.
    pub id_path: String,
}

/// An Atom 1.0 feed (RFC 4287) of `sessions`, one entry each, in the order given.
/// `base` is the absolute origin (e.g. "https://video.comune.it"); `updated` is the
/// feed's last change in Unix seconds.
pub fn atom_feed(base: &str, feed: &FeedInfo, sessions: &[SessionRow], updated: i64) -> String {
    let base = origin(base);
    let updated = DateTime::<Utc>::from_timestamp(updated, 0).unwrap_or_default();
    let mut out = feed_head(base, feed, updated);
    for s in sessions {
        atom_entry(&mut out, base, s, updated);
    }
    close(&mut out, 0, "feed");
    out
}

/// The Atom feed of a search: one entry per matching session, in the order given (the
/// newest first), its link opening the session at the second of its best passage and its
/// summary that passage with the words searched for marked.
pub fn search_feed(base: &str, feed: &FeedInfo, hits: &[SessionHit], updated: i64) -> String {
    let base = origin(base);
    let updated = DateTime::<Utc>::from_timestamp(updated, 0).unwrap_or_default();
    let mut out = feed_head(base, feed, updated);
    for hit in hits {
        let id = hit.session_id as i64;
        let page = format!("{base}{}", page_url(id));
        let best = hit.best_passage();
        let link = match best.and_then(|p| p.start_seconds) {
            Some(t) => format!("{page}?t={t}"),
            None => page.clone(),
        };
        open(&mut out, 1, "entry", &[]);
        text_element(&mut out, 2, "id", &page);
        text_element(&mut out, 2, "title", &hit.title);
        text_element(&mut out, 2, "updated", &rfc3339(day_or(&hit.date, updated)));
        empty_element(
            &mut out,
            2,
            "link",
            &[("rel", "alternate"), ("type", "text/html"), ("href", &link)],
        );
        if let Some(best) = best {
            indent(&mut out, 2);
            out.push_str("<summary type=\"html\">");
            out.push_str(&escape(&best.snippet_html));
            out.push_str("</summary>\n");
        }
        close(&mut out, 1, "entry");
    }
    close(&mut out, 0, "feed");
    out
}

/// A feed's opening: the declaration, `<feed>` and what describes it, up to its entries.
fn feed_head(base: &str, feed: &FeedInfo, updated: DateTime<Utc>) -> String {
    let mut out = String::from(XML_DECLARATION);
    open(
        &mut out,
        0,
        "feed",
        &[("xmlns", ATOM_NS), ("xml:lang", "it")],
    );
    text_element(&mut out, 1, "id", &format!("{base}{}", feed.id_path));
    text_element(&mut out, 1, "title", &feed.title);
    text_element(&mut out, 1, "updated", &rfc3339(updated));
    let self_href = format!("{base}{}", feed.self_path);
    let alternate_href = format!("{base}{}", feed.alternate_path);
    empty_element(
        &mut out,
        1,
        "link",
        &[
            ("rel", "self"),
            ("type", "application/atom+xml"),
            ("href", self_href.as_str()),
        ],
    );
    empty_element(
        &mut out,
        1,
        "link",
        &[
            ("rel", "alternate"),
            ("type", "text/html"),
            ("href", alternate_href.as_str()),
        ],
    );
    open(&mut out, 1, "author", &[]);
    text_element(&mut out, 2, "name", &feed.title);
    close(&mut out, 1, "author");
    out
}

/// A session's day as a time, or `otherwise` when the date cannot be read.
fn day_or(date: &str, otherwise: DateTime<Utc>) -> DateTime<Utc> {
    parse_date(date)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .unwrap_or(otherwise)
}

/// One session's `<entry>`; `updated` stands in for a date that cannot be read.
fn atom_entry(out: &mut String, base: &str, s: &SessionRow, updated: DateTime<Utc>) {
    let page = format!("{base}{}", page_url(s.id));
    let entry_updated = day_or(&s.date, updated);
    open(out, 1, "entry", &[]);
    text_element(out, 2, "id", &page);
    text_element(out, 2, "title", &s.title);
    text_element(out, 2, "updated", &rfc3339(entry_updated));
    empty_element(
        out,
        2,
        "link",
        &[
            ("rel", "alternate"),
            ("type", "text/html"),
            ("href", page.as_str()),
        ],
    );
    if let Some(mp4) = published_media_url(s, &s.mp4_file) {
        let href = format!("{base}{mp4}");
        empty_element(
            out,
            2,
            "link",
            &[
                ("rel", "enclosure"),
                ("type", "video/mp4"),
                ("href", href.as_str()),
            ],
        );
    }
    empty_element(
        out,
        2,
        "category",
        &[
            ("term", s.body_slug.as_str()),
            ("label", s.body_name.as_str()),
        ],
    );
    text_element(out, 2, "summary", &summary(s));
    close(out, 1, "entry");
}

/// A sitemap of the `static_paths` (e.g. "/") and of every session page; a published
/// session with both a poster and an MP4 also gets a Google `video:video` block.
/// The protocol allows 50,000 URLs per file: the caller keeps within it.
pub fn sitemap(base: &str, sessions: &[SessionRow], static_paths: &[&str]) -> String {
    let base = origin(base);
    let mut out = String::from(XML_DECLARATION);
    open(
        &mut out,
        0,
        "urlset",
        &[("xmlns", SITEMAP_NS), ("xmlns:video", VIDEO_NS)],
    );
    for path in static_paths {
        open(&mut out, 1, "url", &[]);
        text_element(&mut out, 2, "loc", &format!("{base}{path}"));
        close(&mut out, 1, "url");
    }
    for s in sessions {
        let date = parse_date(&s.date).map(|d| d.format("%Y-%m-%d").to_string());
        open(&mut out, 1, "url", &[]);
        text_element(&mut out, 2, "loc", &format!("{base}{}", page_url(s.id)));
        if let Some(date) = &date {
            text_element(&mut out, 2, "lastmod", date);
        }
        let poster = published_media_url(s, &s.poster_file);
        let mp4 = published_media_url(s, &s.mp4_file);
        if let (Some(poster), Some(mp4)) = (poster, mp4) {
            // Google's schema is a sequence: the children must come in this order.
            open(&mut out, 2, "video:video", &[]);
            text_element(
                &mut out,
                3,
                "video:thumbnail_loc",
                &format!("{base}{poster}"),
            );
            text_element(&mut out, 3, "video:title", &s.title);
            text_element(&mut out, 3, "video:description", &summary(s));
            text_element(&mut out, 3, "video:content_loc", &format!("{base}{mp4}"));
            if let Some(ms) = known_duration(s) {
                let seconds = (ms.saturating_add(500) / 1000).clamp(1, MAX_VIDEO_SECONDS);
                text_element(&mut out, 3, "video:duration", &seconds.to_string());
            }
            if let Some(date) = &date {
                text_element(
                    &mut out,
                    3,
                    "video:publication_date",
                    &format!("{date}T00:00:00+00:00"),
                );
            }
            text_element(&mut out, 3, "video:family_friendly", "yes");
            close(&mut out, 2, "video:video");
        }
        close(&mut out, 1, "url");
    }
    close(&mut out, 0, "urlset");
    out
}

/// robots.txt: everything public may be crawled except the admin area and search result
/// pages (infinitely many); it names the sitemap.
pub fn robots_txt(base: &str) -> String {
    format!(
        "User-agent: *\n\
         Allow: /\n\
         Disallow: /api/v1/admin/\n\
         Disallow: /admin\n\
         Disallow: /cerca\n\
         \n\
         Sitemap: {}/sitemap.xml\n",
        origin(base)
    )
}

/// An open-data CSV built in memory: `header`, then the records `rows` writes (UTF-8,
/// LF line ends). Writing into a Vec cannot fail, and every record has the header's
/// length, so an error leaves an empty file rather than a 500.
pub(super) fn csv_bytes(
    header: &[&str],
    rows: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> csv::Result<()>,
) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    match writer.write_record(header).and_then(|()| rows(&mut writer)) {
        Ok(()) => writer.into_inner().unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

/// The answer carrying an open-data CSV, downloaded as `file`.
pub(super) fn csv_download(file: &str, body: Vec<u8>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=60"))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{file}\""),
        ))
        .body(body)
}

/// The sessions as open-data CSV (header row first). Media URLs are relative and empty
/// until published; text cells that a spreadsheet would run as a formula are prefixed
/// with `'`.
pub fn sessions_csv(sessions: &[SessionRow]) -> String {
    let bytes = csv_bytes(&CSV_HEADER, |writer| write_csv(writer, sessions));
    String::from_utf8(bytes).unwrap_or_default()
}

fn write_csv(writer: &mut csv::Writer<Vec<u8>>, sessions: &[SessionRow]) -> csv::Result<()> {
    for s in sessions {
        let media = |file: &Option<String>| published_media_url(s, file).unwrap_or_default();
        writer.write_record([
            s.id.to_string(),
            text_cell(&s.date),
            text_cell(&s.body_name),
            text_cell(&s.body_slug),
            text_cell(&s.title),
            text_cell(&s.kind),
            s.number.map(|n| n.to_string()).unwrap_or_default(),
            s.duration_ms
                .map(|ms| format!("{:.1}", ms as f64 / 1000.0))
                .unwrap_or_default(),
            text_cell(s.state.as_str()),
            text_cell(&page_url(s.id)),
            text_cell(&media(&s.mp4_file)),
            text_cell(&media(&s.audio_file)),
        ])?;
    }
    Ok(())
}

/// A text cell safe to open in a spreadsheet: one starting like a formula gets a `'`.
pub(super) fn text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// One sentence about a session, for people and search engines:
/// "Commissione Urbanistica, seduta del 12 marzo 2009 (durata 1:02:03)".
fn summary(s: &SessionRow) -> String {
    let date = match parse_date(&s.date) {
        Some(d) => {
            // "dell'1", "dell'8", "dell'11": the number is read with a leading vowel.
            let article = if matches!(d.day(), 1 | 8 | 11) {
                "dell'"
            } else {
                "del "
            };
            let month = ITALIAN_MONTHS[d.month0() as usize];
            format!("{article}{} {month} {}", d.day(), d.year())
        }
        None => format!("del {}", s.date.trim()),
    };
    let mut text = format!("{}, seduta {date}", s.body_name);
    if let Some(ms) = known_duration(s) {
        text.push_str(&format!(" (durata {})", clock(ms)));
    }
    text
}

/// The duration in milliseconds, if the catalog knows a real one.
fn known_duration(s: &SessionRow) -> Option<i64> {
    s.duration_ms.filter(|&ms| ms > 0)
}

/// As the session page writes durations.
use crate::text::clock;

/// A catalog date ("YYYY-MM-DD"), if it is one.
fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// "2009-03-12T00:00:00Z"
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The origin without a trailing slash, so paths ("/sedute/1") join cleanly.
fn origin(base: &str) -> &str {
    base.trim_end_matches('/')
}

use crate::text::escape_xml as escape;

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// Appends ` name="value"` for each attribute, the values escaped.
fn push_attributes(out: &mut String, attributes: &[(&str, &str)]) {
    for (name, value) in attributes {
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        out.push_str(&escape(value));
        out.push('"');
    }
}

/// Appends `<name attributes…>` on its own line.
fn open(out: &mut String, depth: usize, name: &str, attributes: &[(&str, &str)]) {
    indent(out, depth);
    out.push('<');
    out.push_str(name);
    push_attributes(out, attributes);
    out.push_str(">\n");
}

/// Appends `</name>` on its own line.
fn close(out: &mut String, depth: usize, name: &str) {
    indent(out, depth);
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

/// Appends `<name attributes…/>` on its own line.
fn empty_element(out: &mut String, depth: usize, name: &str, attributes: &[(&str, &str)]) {
    indent(out, depth);
    out.push('<');
    out.push_str(name);
    push_attributes(out, attributes);
    out.push_str("/>\n");
}

/// Appends `<name>text</name>` on its own line, the text escaped.
fn text_element(out: &mut String, depth: usize, name: &str, text: &str) {
    indent(out, depth);
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(&escape(text));
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use quick_xml::events::Event;
    use quick_xml::Reader;

    const BASE: &str = "https://video.comune.it";

    /// A session of the Commissione Urbanistica on 12 March 2009, 1:02:03 long, in `state`
    /// (media files are only public when it is "published").
    fn session(id: i64, title: &str, state: &str) -> SessionRow {
        SessionRow {
            id,
            body_id: 3,
            body_name: "Commissione Urbanistica".to_string(),
            body_slug: "commissione-urbanistica".to_string(),
            date: "2009-03-12".to_string(),
            title: title.to_string(),
            kind: "ordinary".to_string(),
            number: Some(7),
            state: state.parse().unwrap(),
            state_reason: None,
            media_dir: Some(format!("{id}/v1")),
            master_playlist: Some("master.m3u8".to_string()),
            mp4_file: Some("video.mp4".to_string()),
            poster_file: Some("poster.jpg".to_string()),
            duration_ms: Some(3_723_000),
            warnings: None,
            audio_playlist: Some("audio.m3u8".to_string()),
            audio_file: Some("audio.m4a".to_string()),
            thumbnails_vtt: Some("thumbnails.vtt".to_string()),
            stored_state: state.parse().unwrap(),
            publish_from: None,
            publish_until: None,
            cuts: None,
        }
    }

    fn feed_info() -> FeedInfo {
        FeedInfo {
            title: "Sedute del Comune".to_string(),
            self_path: "/feed.atom".to_string(),
            alternate_path: "/".to_string(),
            id_path: "/feed.atom".to_string(),
        }
    }

    /// Panics unless `xml` reads to the end as well-formed XML, with valid attributes and
    /// only predefined or character entity references.
    fn well_formed(xml: &str) {
        let mut reader = Reader::from_str(xml);
        loop {
            match reader.read_event() {
                Ok(Event::Eof) => break,
                Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                    for attribute in e.attributes() {
                        let attribute = attribute.unwrap_or_else(|e| panic!("{e:?} in {xml}"));
                        if let Err(e) =
                            attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        {
                            panic!("bad attribute value ({e:?}) in {xml}");
                        }
                    }
                }
                Ok(Event::GeneralRef(r)) => {
                    let name = r.decode().unwrap_or_default().into_owned();
                    let known = matches!(r.resolve_char_ref(), Ok(Some(_)))
                        || quick_xml::escape::resolve_predefined_entity(&name).is_some();
                    assert!(known, "unknown entity &{name}; in {xml}");
                }
                Ok(_) => {}
                Err(e) => panic!(
                    "not well-formed at {}: {e:?}\n{xml}",
                    reader.buffer_position()
                ),
            }
        }
    }

    /// The text of every element named `name` (entities resolved).
    fn texts(xml: &str, name: &str) -> Vec<String> {
        let mut reader = Reader::from_str(xml);
        let (mut found, mut current) = (Vec::new(), None::<String>);
        loop {
            match reader.read_event().expect("well-formed") {
                Event::Eof => break,
                Event::Start(e) if e.name().as_ref() == name.as_bytes() => {
                    current = Some(String::new());
                }
                Event::End(e) if e.name().as_ref() == name.as_bytes() => {
                    found.extend(current.take());
                }
                Event::Text(t) => {
                    if let Some(c) = current.as_mut() {
                        c.push_str(&t.decode().expect("utf-8"));
                    }
                }
                Event::GeneralRef(r) => {
                    if let Some(c) = current.as_mut() {
                        let entity = r.decode().expect("utf-8");
                        match r.resolve_char_ref().expect("char ref") {
                            Some(ch) => c.push(ch),
                            None => c.push_str(
                                quick_xml::escape::resolve_predefined_entity(&entity)
                                    .expect("predefined entity"),
                            ),
                        }
                    }
                }
                _ => {}
            }
        }
        found
    }

    /// The value of `attribute` on every element named `element`.
    fn attribute_values(xml: &str, element: &str, attribute: &str) -> Vec<String> {
        let mut reader = Reader::from_str(xml);
        let mut found = Vec::new();
        loop {
            match reader.read_event().expect("well-formed") {
                Event::Eof => break,
                Event::Start(e) | Event::Empty(e) if e.name().as_ref() == element.as_bytes() => {
                    for a in e.attributes() {
                        let a = a.expect("valid attribute");
                        if a.key.as_ref() == attribute.as_bytes() {
                            let value = a
                                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .expect("valid value");
                            found.push(value.into_owned());
                        }
                    }
                }
                _ => {}
            }
        }
        found
    }

    #[test]
    fn feed_has_one_entry_per_session() {
        let sessions = [
            session(1, "Seduta ordinaria", "published"),
            session(2, "Seduta straordinaria", "processing"),
            session(3, "Bilancio", "published"),
        ];
        let xml = atom_feed(BASE, &feed_info(), &sessions, 1_700_000_000);
        well_formed(&xml);
        assert!(xml.contains(r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="it">"#));
        assert_eq!(xml.matches("<entry>").count(), sessions.len());
        assert_eq!(
            texts(&xml, "id"),
            [
                "https://video.comune.it/feed.atom",
                "https://video.comune.it/sedute/1",
                "https://video.comune.it/sedute/2",
                "https://video.comune.it/sedute/3",
            ]
        );
        let updated = texts(&xml, "updated");
        assert_eq!(updated[0], "2023-11-14T22:13:20Z");
        assert_eq!(updated[1], "2009-03-12T00:00:00Z");
        assert_eq!(texts(&xml, "name"), ["Sedute del Comune"]);
        assert_eq!(
            texts(&xml, "summary")[0],
            "Commissione Urbanistica, seduta del 12 marzo 2009 (durata 1:02:03)"
        );
        assert_eq!(
            attribute_values(&xml, "link", "href"),
            [
                "https://video.comune.it/feed.atom",
                "https://video.comune.it/",
                "https://video.comune.it/sedute/1",
                "https://video.comune.it/media/1/v1/video.mp4",
                "https://video.comune.it/sedute/2",
                "https://video.comune.it/sedute/3",
                "https://video.comune.it/media/3/v1/video.mp4",
            ]
        );
        assert_eq!(
            attribute_values(&xml, "category", "term"),
            ["commissione-urbanistica"; 3]
        );
    }

    #[test]
    fn feed_escapes_titles_and_attributes() {
        let title = r#"Bilancio <script>&"' 2009"#;
        let mut s = session(1, title, "published");
        s.body_name = "Giunta & \"Consiglio\" <b>".to_string();
        let mut info = feed_info();
        info.title = "Comune di <Prova> & 'Co'".to_string();
        let xml = atom_feed(BASE, &info, &[s], 0);
        well_formed(&xml);
        assert!(!xml.contains("<script>"));
        assert!(!xml.contains("<Prova>"));
        assert!(xml.contains("&lt;script&gt;&amp;&quot;&apos;"));
        assert_eq!(texts(&xml, "title"), [info.title.as_str(), title]);
        assert_eq!(
            attribute_values(&xml, "category", "label"),
            ["Giunta & \"Consiglio\" <b>"]
        );
    }

    #[test]
    fn forbidden_control_characters_are_dropped() {
        let xml = atom_feed(
            BASE,
            &feed_info(),
            &[session(1, "Prima\u{0}\u{1b} seduta\u{FFFF}", "published")],
            0,
        );
        well_formed(&xml);
        assert_eq!(texts(&xml, "title")[1], "Prima seduta");
    }

    #[test]
    fn unpublished_sessions_have_no_media() {
        let sessions = [session(5, "In lavorazione", "processing")];
        let feed = atom_feed(BASE, &feed_info(), &sessions, 0);
        well_formed(&feed);
        assert!(!feed.contains("enclosure"));
        assert!(!feed.contains("/media/"));
        assert_eq!(feed.matches("<entry>").count(), 1);

        let map = sitemap(BASE, &sessions, &[]);
        well_formed(&map);
        assert!(!map.contains("video:video"));
        assert!(!map.contains("/media/"));
        assert_eq!(texts(&map, "loc"), ["https://video.comune.it/sedute/5"]);
    }

    #[test]
    fn entry_date_falls_back_to_feed_update() {
        let mut s = session(1, "Data strana", "published");
        s.date = "marzo 2009".to_string();
        let xml = atom_feed(BASE, &feed_info(), &[s], 1_700_000_000);
        well_formed(&xml);
        assert_eq!(
            texts(&xml, "updated"),
            ["2023-11-14T22:13:20Z", "2023-11-14T22:13:20Z"]
        );
        assert_eq!(
            texts(&xml, "summary"),
            ["Commissione Urbanistica, seduta del marzo 2009 (durata 1:02:03)"]
        );
    }

    #[test]
    fn summaries_read_as_italian() {
        let mut s = session(1, "x", "published");
        assert_eq!(
            summary(&s),
            "Commissione Urbanistica, seduta del 12 marzo 2009 (durata 1:02:03)"
        );
        s.date = "2010-08-01".to_string();
        s.duration_ms = Some(95_000);
        assert_eq!(
            summary(&s),
            "Commissione Urbanistica, seduta dell'1 agosto 2010 (durata 1:35)"
        );
        s.date = "2011-12-11".to_string();
        s.duration_ms = None;
        assert_eq!(
            summary(&s),
            "Commissione Urbanistica, seduta dell'11 dicembre 2011"
        );
    }

    #[test]
    fn sitemap_lists_pages_and_videos() {
        let mut long = session(2, "Maratona", "published");
        long.duration_ms = Some(40_000_000);
        let mut no_poster = session(3, "Senza locandina", "published");
        no_poster.poster_file = None;
        let sessions = [
            session(1, "Seduta <1> & \"altro\"", "published"),
            long,
            no_poster,
        ];
        let xml = sitemap("https://video.comune.it/", &sessions, &["/", "/cerca"]);
        well_formed(&xml);
        assert!(xml.contains(r#"xmlns="http://www.sitemaps.org/schemas/sitemap/0.9""#));
        assert!(xml.contains(r#"xmlns:video="http://www.google.com/schemas/sitemap-video/1.1""#));
        assert_eq!(
            texts(&xml, "loc"),
            [
                "https://video.comune.it/",
                "https://video.comune.it/cerca",
                "https://video.comune.it/sedute/1",
                "https://video.comune.it/sedute/2",
                "https://video.comune.it/sedute/3",
            ]
        );
        assert_eq!(texts(&xml, "lastmod"), ["2009-03-12"; 3]);
        assert_eq!(xml.matches("<video:video>").count(), 2);
        assert_eq!(texts(&xml, "video:duration"), ["3723", "28800"]);
        assert_eq!(
            texts(&xml, "video:thumbnail_loc")[0],
            "https://video.comune.it/media/1/v1/poster.jpg"
        );
        assert_eq!(
            texts(&xml, "video:content_loc")[0],
            "https://video.comune.it/media/1/v1/video.mp4"
        );
        assert_eq!(texts(&xml, "video:title")[0], "Seduta <1> & \"altro\"");
        assert_eq!(
            texts(&xml, "video:description")[0],
            "Commissione Urbanistica, seduta del 12 marzo 2009 (durata 1:02:03)"
        );
        assert_eq!(
            texts(&xml, "video:publication_date"),
            ["2009-03-12T00:00:00+00:00"; 2]
        );
        assert_eq!(texts(&xml, "video:family_friendly"), ["yes"; 2]);
    }

    #[test]
    fn sitemap_clamps_short_durations_and_skips_unknown_ones() {
        let mut short = session(1, "Breve", "published");
        short.duration_ms = Some(200);
        let mut unknown = session(2, "Ignota", "published");
        unknown.duration_ms = None;
        let xml = sitemap(BASE, &[short, unknown], &[]);
        well_formed(&xml);
        assert_eq!(xml.matches("<video:video>").count(), 2);
        assert_eq!(texts(&xml, "video:duration"), ["1"]);
    }

    #[test]
    fn robots_names_the_sitemap() {
        let robots = robots_txt(BASE);
        assert!(robots
            .lines()
            .any(|l| l == "Sitemap: https://video.comune.it/sitemap.xml"));
        for path in ["/api/v1/admin/", "/admin", "/cerca"] {
            assert!(robots.lines().any(|l| l == format!("Disallow: {path}")));
        }
        assert!(robots.starts_with("User-agent: *\n"));
    }

    #[test]
    fn csv_round_trips() {
        let mut quoted = session(1, r#"Bilancio, "preventivo" 2009"#, "published");
        quoted.number = None;
        let formula = session(2, "=HYPERLINK(\"http://evil\",\"x\")", "processing");
        let mut other = session(3, "-1 punto", "published");
        other.number = Some(-1);
        other.duration_ms = None;
        other.body_name = "@Giunta".to_string();
        let text = sessions_csv(&[quoted, formula, other]);

        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().expect("header").clone();
        assert_eq!(header.iter().collect::<Vec<_>>(), CSV_HEADER);
        let rows: Vec<csv::StringRecord> =
            reader.records().collect::<Result<_, _>>().expect("records");
        assert_eq!(rows.len(), 3);

        let first = &rows[0];
        assert_eq!(first.len(), CSV_HEADER.len());
        assert_eq!(&first[0], "1");
        assert_eq!(&first[1], "2009-03-12");
        assert_eq!(&first[2], "Commissione Urbanistica");
        assert_eq!(&first[3], "commissione-urbanistica");
        assert_eq!(&first[4], r#"Bilancio, "preventivo" 2009"#);
        assert_eq!(&first[6], "");
        assert_eq!(&first[7], "3723.0");
        assert_eq!(&first[8], "published");
        assert_eq!(&first[9], "/sedute/1");
        assert_eq!(&first[10], "/media/1/v1/video.mp4");
        assert_eq!(&first[11], "/media/1/v1/audio.m4a");

        let second = &rows[1];
        assert_eq!(&second[4], "'=HYPERLINK(\"http://evil\",\"x\")");
        assert_eq!(&second[10], "");
        assert_eq!(&second[11], "");

        let third = &rows[2];
        assert_eq!(&third[2], "'@Giunta");
        assert_eq!(&third[4], "'-1 punto");
        assert_eq!(&third[6], "-1", "numeric columns are not prefixed");
        assert_eq!(&third[7], "");
    }

    #[test]
    fn empty_csv_has_only_the_header() {
        assert_eq!(sessions_csv(&[]), format!("{}\n", CSV_HEADER.join(",")));
    }
}
