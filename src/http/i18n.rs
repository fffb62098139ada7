//! The pages' languages: Italian by default, English on request. Every interface string
//! comes from a message catalog (`web/i18n/{it,en}.toml`, built into the binary), never
//! from a template. The language is chosen by `?lang=`, which is remembered in a cookie,
//! then by that cookie, then by the browser's `Accept-Language`.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use actix_web::HttpRequest;

use super::assets::Assets;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    It,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::It => "it",
            Lang::En => "en",
        }
    }

    fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "it" => Some(Lang::It),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    fn other(self) -> Lang {
        match self {
            Lang::It => Lang::En,
            Lang::En => Lang::It,
        }
    }
}

type Catalog = HashMap<String, String>;

fn load(text: &str) -> Catalog {
    // Built in and checked by the tests below: a broken catalog cannot ship.
    toml::from_str(text).unwrap_or_default()
}

static IT: LazyLock<Catalog> = LazyLock::new(|| load(include_str!("../../web/i18n/it.toml")));
static EN: LazyLock<Catalog> = LazyLock::new(|| load(include_str!("../../web/i18n/en.toml")));

/// The cookie that remembers a chosen language.
pub const LANG_COOKIE: &str = "aula_lang";

/// What a page needs to speak its reader's language: the strings, and the address of the
/// same page in the other language.
#[derive(Debug, Clone, Default)]
pub struct Ui {
    pub lang: Lang,
    /// This page with `lang=` set to the other language.
    pub switch_url: String,
    /// The administration the archive belongs to, and its site (the top bar's link).
    pub owner: Option<(String, Option<String>)>,
    /// The request's path, for the menu to mark where the reader is.
    pub path: String,
    /// The versioned addresses of the stylesheets, scripts and icons.
    pub assets: Arc<Assets>,
}

impl Ui {
    /// The language for this request, and whether `?lang=` asked for it (then the answer
    /// should remember it: see `remember`).
    pub fn for_request(req: &HttpRequest) -> (Ui, bool) {
        let asked = query_lang(req.query_string());
        let lang = asked
            .or_else(|| {
                let cookies = req.headers().get(actix_web::http::header::COOKIE)?;
                cookies
                    .to_str()
                    .ok()?
                    .split(';')
                    .filter_map(|c| c.trim().split_once('='))
                    .find(|(name, _)| *name == LANG_COOKIE)
                    .and_then(|(_, v)| Lang::parse(v))
            })
            .or_else(|| {
                let header = req
                    .headers()
                    .get(actix_web::http::header::ACCEPT_LANGUAGE)?;
                accept_language(header.to_str().ok()?)
            })
            .unwrap_or_default();
        let state = req.app_data::<actix_web::web::Data<super::AppState>>();
        let owner = state.and_then(|state| {
            let config = &state.archive.config;
            let name = config.owner_name.clone()?;
            Some((name, config.owner_url.clone()))
        });
        let assets = state.map(|s| Arc::clone(&s.assets)).unwrap_or_default();
        let ui = Ui {
            lang,
            switch_url: switch_url(req.path(), req.query_string(), lang.other()),
            owner,
            path: req.path().to_string(),
            assets,
        };
        (ui, asked.is_some())
    }

    /// The `Set-Cookie` value that remembers this language for a year.
    pub fn remember(&self) -> String {
        format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            self.lang.code()
        )
    }

    fn catalog(&self) -> &'static Catalog {
        match self.lang {
            Lang::It => &IT,
            Lang::En => &EN,
        }
    }

    /// The address to link for one of the pages' files (see `assets`).
    pub fn asset(&self, address: &str) -> String {
        self.assets.url(address)
    }

    /// video.js's strings in the reader's language, at its versioned address.
    pub fn player_strings(&self) -> String {
        self.asset(&format!("/vendor/video.js/lang/{}.js", self.code()))
    }

    /// A string of the catalog (its key, if missing: visible, and caught by the tests).
    pub fn s<'a>(&self, key: &'a str) -> &'a str
    where
        'static: 'a,
    {
        self.catalog().get(key).map_or(key, String::as_str)
    }

    /// A string with its `{}` replaced by `value`, in order.
    pub fn f(&self, key: &str, value: impl std::fmt::Display) -> String {
        self.s(key).replacen("{}", &value.to_string(), 1)
    }

    /// A string with two `{}` replaced in order.
    pub fn f2(
        &self,
        key: &str,
        first: impl std::fmt::Display,
        second: impl std::fmt::Display,
    ) -> String {
        self.f(key, first).replacen("{}", &second.to_string(), 1)
    }

    /// A string with each `{}` replaced by the next value.
    pub fn fill(&self, key: &str, values: &[&dyn std::fmt::Display]) -> String {
        let mut out = self.s(key).to_string();
        for value in values {
            out = out.replacen("{}", &value.to_string(), 1);
        }
        out
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn other_code(&self) -> &'static str {
        self.lang.other().code()
    }

    /// The other language's name, in that language.
    pub fn other_name(&self) -> &'static str {
        let other = Ui {
            lang: self.lang.other(),
            ..Ui::default()
        };
        other.catalog().get("lang.name").map_or("", String::as_str)
    }

    /// Whether the menu entry for `prefix` is where the reader is.
    pub fn is_in(&self, prefix: &str) -> bool {
        if prefix == "/" {
            self.path == "/"
        } else {
            self.path == prefix || self.path.starts_with(&format!("{prefix}/"))
        }
    }

    /// The days of the week from Monday: (short, full) names.
    pub fn weekdays(&self) -> Vec<(&'static str, &'static str)> {
        self.s("calendar.weekdays")
            .split_whitespace()
            .zip(self.s("calendar.weekdays_full").split_whitespace())
            .collect()
    }

    /// "2009-03-12" as the language writes dates: "12 marzo 2009", "March 12, 2009".
    pub fn date(&self, iso: &str) -> String {
        let mut parts = iso.split('-');
        let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
            return iso.to_string();
        };
        let months: Vec<&str> = self.s("months").split_whitespace().collect();
        match (m.parse::<usize>(), d.parse::<u32>()) {
            (Ok(m @ 1..=12), Ok(d)) if months.len() == 12 => self
                .s("date.format")
                .replace("{d}", &d.to_string())
                .replace("{month}", months[m - 1])
                .replace("{y}", y),
            _ => iso.to_string(),
        }
    }
}

/// `lang=` in a query string.
fn query_lang(query: &str) -> Option<Lang> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::parse(v))
}

/// The best supported language of an `Accept-Language` header, by its weights.
fn accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let Some(lang) = parts.next().and_then(Lang::parse) else {
            continue;
        };
        let weight = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
            best = Some((weight, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

/// The same path and query with `lang=` set to `lang` (other parameters kept).
fn switch_url(path: &str, query: &str, lang: Lang) -> String {
    let mut params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("lang="))
        .collect();
    let set = format!("lang={}", lang.code());
    params.push(&set);
    format!("{path}?{}", params.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogs_have_the_same_keys_and_every_key_the_templates_and_handlers_use() {
        let it: Catalog = toml::from_str(include_str!("../../web/i18n/it.toml")).unwrap();
        let en: Catalog = toml::from_str(include_str!("../../web/i18n/en.toml")).unwrap();
        let mut a: Vec<_> = it.keys().collect();
        let mut b: Vec<_> = en.keys().collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let files = ["web/templates", "src/http"]
            .iter()
            .flat_map(|dir| std::fs::read_dir(root.join(dir)).unwrap())
            .map(|entry| entry.unwrap().path());
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            for call in ["t.s(\"", "t.f(\"", "t.f2(\""] {
                for piece in text.split(call).skip(1) {
                    let key = piece.split('"').next().unwrap();
                    assert!(
                        it.contains_key(key),
                        "{}: no message {key:?}",
                        path.display()
                    );
                }
            }
        }
    }

    #[test]
    fn languages_are_chosen_by_weight() {
        assert_eq!(accept_language("en-GB,en;q=0.9,it;q=0.8"), Some(Lang::En));
        assert_eq!(accept_language("fr, it;q=0.5, en;q=0.4"), Some(Lang::It));
        assert_eq!(accept_language("de, fr"), None);
        assert_eq!(accept_language("en;q=0"), None);
        assert_eq!(query_lang("q=bilancio&lang=en"), Some(Lang::En));
    }

    #[test]
    fn dates_and_switch_links() {
        let it = Ui::default();
        let en = Ui {
            lang: Lang::En,
            ..Ui::default()
        };
        assert_eq!(it.date("2009-03-12"), "12 marzo 2009");
        assert_eq!(en.date("2009-03-12"), "March 12, 2009");
        assert_eq!(it.date("nonsense"), "nonsense");
        assert_eq!(it.other_name(), "English");
        assert_eq!(en.f2("search.found", 3, "x"), "3 sessions found for «x».");
        assert_eq!(
            switch_url("/cerca", "q=piano&lang=it", Lang::En),
            "/cerca?q=piano&lang=en"
        );
        assert_eq!(switch_url("/", "", Lang::En), "/?lang=en");
    }
}
