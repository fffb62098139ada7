//! The search index: tantivy with an Italian analysis chain, fed from the catalog (its
//! source of truth) and answering queries with snippets. Each process keeps its own copy and
//! catches up from the catalog's change log; the index is never the only place data lives.

mod italian;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED,
    STRING,
};
use tantivy::snippet::{Snippet, SnippetGenerator};
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::catalog::{Catalog, CatalogError, SearchSource};

pub use italian::{register as register_analyzers, STEMMED};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("cannot open the search index in {path}: {message}")]
    Open { path: String, message: String },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("the query is too long ({0} characters, at most 500)")]
    QueryTooLong(usize),
}

#[derive(Clone, Copy)]
struct Fields {
    session_id: Field,
    kind: Field,
    body: Field,
    date: Field,
    year: Field,
    /// Searchable title: on the session's own document only, so agenda items and passages
    /// do not all match through the title they share.
    title: Field,
    /// The session's title on every document, for showing hits.
    session_title: Field,
    text: Field,
    start_ms: Field,
}

/// Bumped whenever the schema or analysis changes: an index of another version is rebuilt
/// from the catalog.
const SCHEMA_VERSION: &str = "aula-search-1";

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let stemmed = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(STEMMED)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let fields = Fields {
        session_id: b.add_u64_field("session_id", INDEXED | STORED | FAST),
        kind: b.add_text_field("kind", STRING | STORED),
        body: b.add_text_field("body", STRING | STORED),
        date: b.add_text_field("date", STRING | STORED),
        year: b.add_u64_field("year", INDEXED | FAST),
        title: b.add_text_field("title", stemmed.clone()),
        session_title: b.add_text_field("session_title", STORED),
        text: b.add_text_field("text", stemmed),
        start_ms: b.add_u64_field("start_ms", STORED),
    };
    (b.build(), fields)
}

/// One hit: a passage of a session, with where it starts in the recording when known.
#[derive(Debug, Clone, Serialize)]
pub struct Passage {
    pub kind: String,
    /// Escaped HTML with the matching words in `<mark>`.
    pub snippet_html: String,
    pub start_seconds: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionHit {
    pub session_id: u64,
    pub title: String,
    pub body: String,
    pub date: String,
    pub score: f32,
    pub passages: Vec<Passage>,
}

pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    parser: QueryParser,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it (or recreating it, when it was built by another
    /// schema version) as needed. A new index starts empty and catches up from the catalog.
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        let open_err = |message: String| SearchError::Open {
            path: dir.display().to_string(),
            message,
        };
        std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
        let (schema, fields) = schema();
        let version_file = dir.join("aula-version");
        let current = std::fs::read_to_string(&version_file).unwrap_or_default();
        if current.trim() != SCHEMA_VERSION {
            // Unknown or outdated: the catalog can always rebuild it.
            std::fs::remove_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
            std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
            Index::create_in_dir(dir, schema.clone())?;
            std::fs::write(&version_file, SCHEMA_VERSION).map_err(|e| open_err(e.to_string()))?;
        }
        let index = Index::open_in_dir(dir)?;
        italian::register(&index);
        let writer = index.writer(64 * 1024 * 1024)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let mut parser = QueryParser::for_index(&index, vec![fields.title, fields.text]);
        parser.set_conjunction_by_default();
        parser.set_field_boost(fields.title, 2.0);
        Ok(SearchIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            parser,
        })
    }

    /// The last catalog change this index has applied.
    pub fn applied_seq(&self) -> Result<i64, SearchError> {
        let metas = self.index.load_metas()?;
        Ok(metas.payload.and_then(|p| p.parse().ok()).unwrap_or(0))
    }

    /// Applies every catalog change since the last one applied. Returns how many sessions
    /// were (re)indexed.
    pub async fn catch_up(&self, catalog: &Catalog) -> Result<usize, SearchError> {
        let mut seq = self.applied_seq()?;
        let mut total = 0;
        loop {
            let (sessions, last) = catalog.changes_since(seq, 500).await?;
            if sessions.is_empty() {
                break;
            }
            let mut sources = Vec::with_capacity(sessions.len());
            for id in &sessions {
                sources.push((*id, catalog.search_source(*id).await?));
            }
            self.apply(&sources, last)?;
            total += sessions.len();
            seq = last;
        }
        Ok(total)
    }

    fn apply(&self, sources: &[(i64, Option<SearchSource>)], seq: i64) -> Result<(), SearchError> {
        let f = self.fields;
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| tantivy::TantivyError::InternalError("index writer poisoned".into()))?;
        for (id, source) in sources {
            writer.delete_term(Term::from_field_u64(f.session_id, *id as u64));
            let Some(src) = source else { continue };
            if src.session.state == "withheld" {
                continue;
            }
            for d in documents_for(src, &f) {
                writer.add_document(d)?;
            }
        }
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&seq.to_string());
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Free-text search, results grouped by session, best first.
    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<SessionHit>, SearchError> {
        let chars = text.chars().count();
        if chars > 500 {
            return Err(SearchError::QueryTooLong(chars));
        }
        let cleaned = italian::prepare_query(text);
        if cleaned.trim().is_empty() {
            return Ok(Vec::new());
        }
        let f = self.fields;
        // Lenient: a stray quote or bracket is read as text, never an error.
        let (query, _ignored) = self.parser.parse_query_lenient(&cleaned);
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(200).order_by_score())?;
        let text_snippets = SnippetGenerator::create(&searcher, &*query, f.text)?;
        let mut order: Vec<u64> = Vec::new();
        let mut hits: HashMap<u64, SessionHit> = HashMap::new();
        for (score, address) in top {
            let d: TantivyDocument = searcher.doc(address)?;
            let get = |field| {
                d.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let Some(session_id) = d.get_first(f.session_id).and_then(|v| v.as_u64()) else {
                continue;
            };
            let kind = get(f.kind);
            let passage = Passage {
                kind: kind.clone(),
                snippet_html: highlight(&text_snippets.snippet_from_doc(&d), &get(f.text)),
                start_seconds: d
                    .get_first(f.start_ms)
                    .and_then(|v| v.as_u64())
                    .map(|ms| ms / 1000),
            };
            let hit = hits.entry(session_id).or_insert_with(|| {
                order.push(session_id);
                SessionHit {
                    session_id,
                    title: get(f.session_title),
                    body: get(f.body),
                    date: get(f.date),
                    score,
                    passages: Vec::new(),
                }
            });
            if kind != "session" && hit.passages.len() < 3 {
                hit.passages.push(passage);
            }
        }
        Ok(order
            .into_iter()
            .take(limit)
            .filter_map(|id| hits.remove(&id))
            .collect())
    }

    /// Documents in the index for one session (for tests and diagnostics).
    pub fn count_for_session(&self, session_id: i64) -> Result<usize, SearchError> {
        let q = TermQuery::new(
            Term::from_field_u64(self.fields.session_id, session_id as u64),
            IndexRecordOption::Basic,
        );
        let q = BooleanQuery::new(vec![(Occur::Must, Box::new(q) as Box<dyn Query>)]);
        Ok(self
            .reader
            .searcher()
            .search(&q, &tantivy::collector::Count)?)
    }
}

/// The index documents of one session: the session itself, each agenda item, and each
/// passage of its documents.
fn documents_for(src: &SearchSource, f: &Fields) -> Vec<TantivyDocument> {
    let s = &src.session;
    let year: u64 = s.date.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0);
    let base = |kind: &str, text: &str| {
        doc!(
            f.session_id => s.id as u64,
            f.kind => kind,
            f.body => s.body_name.as_str(),
            f.date => s.date.as_str(),
            f.year => year,
            f.session_title => s.title.as_str(),
            f.text => text,
        )
    };
    let mut session_doc = base("session", &s.body_name);
    session_doc.add_text(f.title, &s.title);
    let mut out = vec![session_doc];
    for item in &src.agenda {
        let mut d = base("agenda_item", &item.title);
        if let Some(ms) = item.start_ms {
            d.add_u64(f.start_ms, ms.max(0) as u64);
        }
        out.push(d);
    }
    for (kind, text) in &src.documents {
        for passage in passages(text, 120) {
            out.push(base(kind, &passage));
        }
    }
    out
}

/// Splits text into passages of about `words` words, at paragraph breaks where possible.
fn passages(text: &str, words: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for paragraph in text.split("\n\n") {
        for word in paragraph.split_whitespace() {
            current.push(word);
            if current.len() >= words {
                out.push(current.join(" "));
                current.clear();
            }
        }
        if current.len() >= words / 2 {
            out.push(current.join(" "));
            current.clear();
        }
    }
    if !current.is_empty() {
        out.push(current.join(" "));
    }
    out
}

/// Escaped HTML with highlighted ranges in `<mark>`; the start of the text when nothing in
/// this field matched.
fn highlight(snippet: &Snippet, fallback: &str) -> String {
    let fragment = snippet.fragment();
    if fragment.is_empty() {
        let short: String = fallback.chars().take(160).collect();
        return escape(&short);
    }
    let mut out = String::with_capacity(fragment.len() + 32);
    let mut from = 0;
    for range in snippet.highlighted() {
        out.push_str(&escape(&fragment[from..range.start]));
        out.push_str("<mark>");
        out.push_str(&escape(&fragment[range.clone()]));
        out.push_str("</mark>");
        from = range.end;
    }
    out.push_str(&escape(&fragment[from..]));
    out
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passages_are_bounded() {
        let text = "uno due tre quattro\n\ncinque sei";
        assert_eq!(
            passages(text, 3),
            vec!["uno due tre", "quattro", "cinque sei"]
        );
    }

    #[test]
    fn escape_covers_html() {
        assert_eq!(escape("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
    }
}
