//! The search index: tantivy with an Italian analysis chain, fed from the catalog (its
//! source of truth) and answering queries grouped by session, with snippets, filters and
//! facet counts. Each process keeps its own copy and catches up from the catalog's change
//! log; the index is never the only place data lives.

pub mod follow;
mod italian;
pub mod query;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use chrono::NaiveDate;
use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector, TopDocs};
use tantivy::columnar::Column;
use tantivy::index::SegmentReader;
use tantivy::query::{BooleanQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED,
    STRING,
};
use tantivy::snippet::{Snippet, SnippetGenerator};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    doc, DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Score, Searcher,
    TantivyDocument, Term,
};

use crate::catalog::{Catalog, CatalogError, SearchSource};
use crate::domain::PassageKind;
pub use query::QueryError;

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
    #[error(transparent)]
    Query(#[from] QueryError),
}

impl SearchError {
    /// Whether the searcher's input was at fault (answer 400), not the archive.
    pub fn is_bad_query(&self) -> bool {
        matches!(self, SearchError::QueryTooLong(_) | SearchError::Query(_))
    }

    /// Whether the catalog behind the index could not be reached: trying again later may
    /// work (the catalog's own error decides).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, SearchError::Catalog(e) if e.is_unavailable())
    }
}

#[derive(Clone, Copy)]
struct Fields {
    session_id: Field,
    kind: Field,
    body_id: Field,
    body: Field,
    date: Field,
    /// yyyymmdd as a number, for date ranges and sorting
    day: Field,
    /// Searchable title: on the session's own document only, so agenda items and passages
    /// do not all match through the title they share.
    title: Field,
    title_exact: Field,
    /// The session's title on every document, for showing hits.
    session_title: Field,
    text: Field,
    text_exact: Field,
    start_ms: Field,
    speaker: Field,
    /// The address of the roster's person speaking in a transcript passage.
    person: Field,
}

/// Bumped whenever the schema or analysis changes: an index of another version is rebuilt
/// from the catalog.
const SCHEMA_VERSION: &str = "aula-search-3";

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let analyzed = |analyzer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let fields = Fields {
        session_id: b.add_u64_field("session_id", INDEXED | STORED | FAST),
        kind: b.add_text_field("kind", STRING | STORED),
        body_id: b.add_u64_field("body_id", INDEXED | STORED | FAST),
        body: b.add_text_field("body", STORED),
        date: b.add_text_field("date", STORED),
        day: b.add_u64_field("day", INDEXED | FAST),
        title: b.add_text_field("title", analyzed(italian::STEMMED)),
        title_exact: b.add_text_field("title_exact", analyzed(italian::EXACT)),
        session_title: b.add_text_field("session_title", STORED),
        text: b.add_text_field("text", analyzed(italian::STEMMED).set_stored()),
        text_exact: b.add_text_field("text_exact", analyzed(italian::EXACT)),
        start_ms: b.add_u64_field("start_ms", STORED),
        speaker: b.add_text_field("speaker", STORED),
        person: b.add_text_field("person", STRING | STORED | FAST),
    };
    (b.build(), fields)
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    #[default]
    Relevance,
    Newest,
    Oldest,
}

/// A search as the API and pages ask it.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub text: String,
    pub body_id: Option<i64>,
    /// A document kind: session, agenda_item, agenda, minutes, resolution, transcript…
    pub kind: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Only what this person of the roster said (their address).
    pub speaker: Option<String>,
    pub sort: Sort,
    /// 1-based
    pub page: usize,
    pub per_page: usize,
}

/// One passage of a session, with where it starts in the recording when known.
#[derive(Debug, Clone, Serialize)]
pub struct Passage {
    pub kind: PassageKind,
    /// Escaped HTML with the matching words in `<mark>`.
    pub snippet_html: String,
    pub start_seconds: Option<u64>,
    pub speaker: Option<String>,
    /// The speaker's address, when they are a person of the roster.
    pub person: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionHit {
    pub session_id: u64,
    pub title: String,
    pub body: String,
    pub body_id: u64,
    pub date: String,
    pub score: f32,
    pub passages: Vec<Passage>,
}

impl SessionHit {
    /// The passage to open the session at: the best one with a second to start from,
    /// else simply the best.
    pub fn best_passage(&self) -> Option<&Passage> {
        (self.passages.iter())
            .find(|p| p.start_seconds.is_some())
            .or(self.passages.first())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    /// Sessions matching, over all pages.
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub hits: Vec<SessionHit>,
    /// (body id, sessions) for the query before the body filter, most first.
    pub bodies: Vec<(u64, usize)>,
    /// (year, sessions) for the query before the date filter, newest first.
    pub years: Vec<(u64, usize)>,
    /// (person's address, passages) of the transcript passages matching the words (and
    /// kind), before any other filter, most first.
    pub speakers: Vec<(String, u64)>,
    /// The words asked for, when none of them can be searched (only common words such
    /// as "della", or words too long to be words): nothing was looked for.
    pub unsearchable: Vec<String>,
}

/// What a query run needs, swapped whole when the index is rebuilt.
struct Live {
    index: Index,
    reader: IndexReader,
    /// None for a read-only view (another process or server writes this index).
    writer: Option<Mutex<IndexWriter>>,
    stemmed: TextAnalyzer,
    exact: TextAnalyzer,
}

/// The index directory holds generations (`gen-N/`); the file `current` names the one in
/// use, so a rebuild can be made beside it and swapped in with one rename.
pub struct SearchIndex {
    root: PathBuf,
    live: RwLock<Arc<Live>>,
    fields: Fields,
}

fn open_live(dir: &Path, schema: &Schema) -> Result<Live, SearchError> {
    open_live_as(dir, schema, true)
}

fn open_live_as(dir: &Path, schema: &Schema, writable: bool) -> Result<Live, SearchError> {
    let open_err = |message: String| SearchError::Open {
        path: dir.display().to_string(),
        message,
    };
    std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
    let version_file = dir.join("aula-version");
    let current = std::fs::read_to_string(&version_file).unwrap_or_default();
    if current.trim() != SCHEMA_VERSION && writable {
        // Unknown or outdated: the catalog can always rebuild it.
        std::fs::remove_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
        std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
        Index::create_in_dir(dir, schema.clone())?;
        std::fs::write(&version_file, SCHEMA_VERSION).map_err(|e| open_err(e.to_string()))?;
    }
    let mut index = Index::open_in_dir(dir)?;
    italian::register(&index);
    // A query visits the index's segments on every core at once: the grouping collector
    // must see every match, so it gains most from this.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores > 1 {
        index.set_multithread_executor(cores)?;
    }
    let writer = if writable {
        Some(Mutex::new(index.writer(64 * 1024 * 1024)?))
    } else {
        None
    };
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    let tokenizers = index.tokenizers();
    let analyzer = |name| {
        tokenizers
            .get(name)
            .ok_or_else(|| open_err(format!("analyzer {name} is not registered")))
    };
    Ok(Live {
        stemmed: analyzer(italian::STEMMED)?,
        exact: analyzer(italian::EXACT)?,
        index,
        reader,
        writer,
    })
}

fn writer(live: &Live) -> Result<std::sync::MutexGuard<'_, IndexWriter>, SearchError> {
    live.writer
        .as_ref()
        .ok_or_else(|| {
            SearchError::Index(tantivy::TantivyError::InternalError(
                "this search index was opened read-only".into(),
            ))
        })?
        .lock()
        .map_err(|_| poisoned())
}

fn poisoned() -> SearchError {
    SearchError::Index(tantivy::TantivyError::InternalError(
        "search index lock poisoned".into(),
    ))
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it (or recreating it, when it was built by another
    /// schema version) as needed. A new index starts empty and catches up from the catalog.
    pub fn open(root: &Path) -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema();
        let generation = current_generation(root);
        let live = open_live(&root.join(format!("gen-{generation}")), &schema)?;
        Ok(SearchIndex {
            root: root.to_owned(),
            live: RwLock::new(Arc::new(live)),
            fields,
        })
    }

    /// Opens the current generation for searching only, beside a process that writes it.
    pub fn open_read_only(root: &Path) -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema();
        let generation = current_generation(root);
        let live = open_live_as(&root.join(format!("gen-{generation}")), &schema, false)?;
        live.reader.reload()?;
        Ok(SearchIndex {
            root: root.to_owned(),
            live: RwLock::new(Arc::new(live)),
            fields,
        })
    }

    fn live(&self) -> Result<Arc<Live>, SearchError> {
        self.live
            .read()
            .map(|l| Arc::clone(&l))
            .map_err(|_| poisoned())
    }

    /// The last catalog change this index has applied.
    pub fn applied_seq(&self) -> Result<i64, SearchError> {
        let metas = self.live()?.index.load_metas()?;
        Ok(metas.payload.and_then(|p| p.parse().ok()).unwrap_or(0))
    }

    /// Applies every catalog change since the last one applied. Returns how many sessions
    /// were (re)indexed.
    pub async fn catch_up(&self, catalog: &Catalog) -> Result<usize, SearchError> {
        let live = self.live()?;
        let mut seq = self.applied_seq()?;
        let mut total = 0;
        // The index has seen changes the catalog does not hold (it was restored from a
        // backup, or replaced): nothing after `seq` can be trusted to arrive, so rebuild.
        if seq > catalog.last_change().await? {
            total += self.rebuild_generation(catalog).await?;
            seq = self.applied_seq()?;
        }
        loop {
            let crate::catalog::ChangeBatch {
                sessions,
                last_seq: last,
            } = catalog.changes_since(seq, 500).await?;
            if sessions.is_empty() {
                break;
            }
            if sessions.contains(&crate::catalog::REINDEX_ALL) {
                total += self.rebuild_generation(catalog).await?;
                seq = self.applied_seq()?.max(last);
                continue;
            }
            let sources = load_sources(catalog, &sessions).await?;
            self.apply(&live, &sources, last)?;
            total += sessions.len();
            seq = last;
        }
        Ok(total)
    }

    /// Re-indexes the sessions whose publication window opened or closed in `(after,
    /// until]` (Unix seconds): nothing in the catalog changes at that moment, so no change
    /// entry tells the index. Returns how many were re-indexed.
    pub async fn apply_windows(
        &self,
        catalog: &Catalog,
        after: i64,
        until: i64,
    ) -> Result<usize, SearchError> {
        let ids = catalog.window_boundaries_between(after, until).await?;
        if ids.is_empty() {
            return Ok(0);
        }
        let live = self.live()?;
        let sources = load_sources(catalog, &ids).await?;
        let seq = self.applied_seq()?;
        self.apply(&live, &sources, seq)?;
        Ok(ids.len())
    }

    /// Rebuilds the whole index from the catalog into a new generation directory, then
    /// swaps it in: searches are answered by the old index until the moment of the swap.
    /// Returns the number of sessions indexed.
    pub async fn rebuild(&self, catalog: &Catalog) -> Result<usize, SearchError> {
        let n = self.rebuild_generation(catalog).await?;
        // Changes made while rebuilding
        self.catch_up(catalog).await?;
        Ok(n)
    }

    async fn rebuild_generation(&self, catalog: &Catalog) -> Result<usize, SearchError> {
        let (schema, _) = schema();
        let current = current_generation(&self.root);
        let next = current + 1;
        let next_dir = self.root.join(format!("gen-{next}"));
        let _ = std::fs::remove_dir_all(&next_dir);
        let fresh = open_live(&next_dir, &schema)?;
        let seq = catalog.last_change().await?;
        let ids = catalog.all_session_ids().await?;
        for chunk in ids.chunks(200) {
            let sources = load_sources(catalog, chunk).await?;
            let writer = writer(&fresh)?;
            for (id, source) in &sources {
                for d in documents_for(*id, source.as_ref(), &self.fields) {
                    writer.add_document(d)?;
                }
            }
        }
        {
            let mut writer = writer(&fresh)?;
            let mut commit = writer.prepare_commit()?;
            commit.set_payload(&seq.to_string());
            commit.commit()?;
        }
        fresh.reader.reload()?;
        // Record the new generation first (atomically), then swap it in.
        let tmp = self.root.join("current.tmp");
        std::fs::write(&tmp, next.to_string())
            .and_then(|_| std::fs::rename(&tmp, self.root.join("current")))
            .map_err(|e| SearchError::Open {
                path: self.root.display().to_string(),
                message: e.to_string(),
            })?;
        let old = std::mem::replace(
            &mut *self.live.write().map_err(|_| poisoned())?,
            Arc::new(fresh),
        );
        drop(old);
        // Open files of the old generation stay readable by searches still running.
        let _ = std::fs::remove_dir_all(self.root.join(format!("gen-{current}")));
        Ok(ids.len())
    }

    fn apply(
        &self,
        live: &Live,
        sources: &[(i64, Option<SearchSource>)],
        seq: i64,
    ) -> Result<(), SearchError> {
        let f = self.fields;
        let mut writer = writer(live)?;
        for (id, source) in sources {
            writer.delete_term(Term::from_field_u64(f.session_id, *id as u64));
            for d in documents_for(*id, source.as_ref(), &f) {
                writer.add_document(d)?;
            }
        }
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&seq.to_string());
        commit.commit()?;
        drop(writer);
        live.reader.reload()?;
        Ok(())
    }

    /// Runs a search: sessions matching every required word or phrase, grouped, sorted,
    /// one page of them with up to three passages each, and facet counts.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, SearchError> {
        let chars = req.text.chars().count();
        if chars > 500 {
            return Err(SearchError::QueryTooLong(chars));
        }
        let parsed = query::parse(&req.text)?;
        let live = self.live()?;
        let per_page = req.per_page.clamp(1, 100);
        let page = req.page.max(1);
        let mut results = SearchResults {
            total: 0,
            page,
            per_page,
            hits: Vec::new(),
            bodies: Vec::new(),
            years: Vec::new(),
            speakers: Vec::new(),
            unsearchable: Vec::new(),
        };
        let Some((text_query, highlight)) = self.text_query(&live, &parsed) else {
            // Words were asked for and none is searchable: say so rather than find nothing.
            results.unsearchable = parsed.asked();
            return Ok(results);
        };
        let searcher = live.reader.searcher();
        // One pass over what the text (and kind) match. Body and date belong to a whole
        // session, so the filters on them, and the facets that each ignore one of them (so a
        // citizen sees where else to look), all come from this pass.
        // The speaker facet ignores the speaker filter: without one, it comes from that
        // same pass; with one, from a pass of its own.
        let matched = self.of_kind(text_query, req.kind.as_deref());
        let speakers = speaker_collector()?;
        let all = match req.speaker.as_deref() {
            None => {
                let (all, found) = searcher.search(&matched, &(SessionCollector, speakers))?;
                results.speakers = speaker_buckets(found);
                all
            }
            Some(speaker) => {
                results.speakers = speaker_buckets(searcher.search(&matched, &speakers)?);
                searcher.search(&self.of_speaker(matched, speaker), &SessionCollector)?
            }
        };
        let filters = SessionFilters::of(req);
        (results.bodies, results.years) = facets(&all, &filters);
        let ranked: Vec<&SessionAgg> = all.iter().filter(|a| filters.admits(a)).collect();
        results.total = ranked.len();
        let on_page = page_of(ranked, req.sort, page, per_page);
        let f = self.fields;
        let snippets = SnippetGenerator::create(&searcher, &*highlight, f.text)?;
        // Reading the stored documents and making their snippets is a page's other cost;
        // the sessions of the page are spread over the search threads.
        let build = |agg: &SessionAgg| session_hit(&searcher, &snippets, f, agg);
        let built = searcher
            .index()
            .search_executor()
            .map(build, on_page.into_iter())?;
        results.hits = built.into_iter().flatten().collect();
        Ok(results)
    }

    /// The text query, narrowed to one document kind when the request names one.
    fn of_kind(&self, text_query: Box<dyn Query>, kind: Option<&str>) -> BooleanQuery {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query)];
        if let Some(kind) = kind {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.kind, kind),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        BooleanQuery::new(clauses)
    }

    /// The query narrowed to one speaker's transcript passages.
    fn of_speaker(&self, query: BooleanQuery, speaker: &str) -> BooleanQuery {
        BooleanQuery::new(vec![
            (Occur::Must, Box::new(query) as Box<dyn Query>),
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.person, speaker),
                    IndexRecordOption::Basic,
                )),
            ),
        ])
    }

    /// The query for the words and phrases, and a query of their stems over `text` used
    /// only to highlight snippets. `None` when nothing searchable is left (only stop words,
    /// only exclusions).
    fn text_query(
        &self,
        live: &Live,
        parsed: &query::ParsedQuery,
    ) -> Option<(Box<dyn Query>, Box<dyn Query>)> {
        let mut highlight_terms: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for group in &parsed.required {
            let alternatives: Vec<(Occur, Box<dyn Query>)> = group
                .iter()
                .filter_map(|c| self.clause_query(live, c, &mut highlight_terms))
                .map(|q| (Occur::Should, q))
                .collect();
            if !alternatives.is_empty() {
                clauses.push((Occur::Must, Box::new(BooleanQuery::new(alternatives))));
            }
        }
        if clauses.is_empty() {
            return None;
        }
        // Excluded words are in nothing that matches, so there is nothing of theirs to
        // highlight.
        let mut ignored = Vec::new();
        for clause in &parsed.excluded {
            if let Some(q) = self.clause_query(live, clause, &mut ignored) {
                clauses.push((Occur::MustNot, q));
            }
        }
        Some((
            Box::new(BooleanQuery::new(clauses)),
            Box::new(BooleanQuery::new(highlight_terms)),
        ))
    }

    /// The query of one word or phrase; the stems that highlight it go into `highlight`.
    /// `None` when analysis leaves nothing of it (a stop word).
    fn clause_query(
        &self,
        live: &Live,
        clause: &query::Clause,
        highlight: &mut Vec<(Occur, Box<dyn Query>)>,
    ) -> Option<Box<dyn Query>> {
        match clause {
            query::Clause::Word(word) => self.word_query(live, word, highlight),
            query::Clause::Phrase(phrase) => self.phrase_query(live, phrase, highlight),
        }
    }

    /// A word matches by stem, each of its stems in the session's title or in a text.
    fn word_query(
        &self,
        live: &Live,
        word: &str,
        highlight: &mut Vec<(Occur, Box<dyn Query>)>,
    ) -> Option<Box<dyn Query>> {
        let f = self.fields;
        let stems = analyze(&live.stemmed, word);
        if stems.is_empty() {
            return None;
        }
        let mut all: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for stem in stems {
            highlight.push((Occur::Should, term_text(f.text, &stem)));
            all.push((
                Occur::Must,
                Box::new(BooleanQuery::new(vec![
                    (Occur::Should, term_text(f.title, &stem)),
                    (Occur::Should, term_text(f.text, &stem)),
                ])),
            ));
        }
        Some(Box::new(BooleanQuery::new(all)))
    }

    /// A phrase matches its exact words in order, in the session's title or in a text.
    /// Snippets are made over the stemmed text, so its stems are what highlights it.
    fn phrase_query(
        &self,
        live: &Live,
        phrase: &str,
        highlight: &mut Vec<(Occur, Box<dyn Query>)>,
    ) -> Option<Box<dyn Query>> {
        let f = self.fields;
        let words = analyze(&live.exact, phrase);
        for stem in analyze(&live.stemmed, phrase) {
            highlight.push((Occur::Should, term_text(f.text, &stem)));
        }
        let on = |field| -> Box<dyn Query> {
            if words.len() == 1 {
                term_text(field, &words[0])
            } else {
                Box::new(PhraseQuery::new(
                    words
                        .iter()
                        .map(|w| Term::from_field_text(field, w))
                        .collect(),
                ))
            }
        };
        if words.is_empty() {
            return None;
        }
        Some(Box::new(BooleanQuery::new(vec![
            (Occur::Should, on(f.title_exact)),
            (Occur::Should, on(f.text_exact)),
        ])))
    }

    /// The benchmark's second reference: tantivy alone doing the job a result page asks —
    /// the top `limit` documents and, in the same pass, counts by body and by year
    /// (tantivy's own terms and histogram aggregations over the fast fields). Returns the
    /// number of body buckets, so the work cannot be optimised away.
    pub fn tantivy_top_docs_with_facets(
        &self,
        text: &str,
        limit: usize,
    ) -> Result<usize, SearchError> {
        use tantivy::aggregation::agg_req::Aggregations;
        use tantivy::aggregation::{AggContextParams, AggregationCollector};
        let parsed = query::parse(text)?;
        let live = self.live()?;
        let Some((q, _)) = self.text_query(&live, &parsed) else {
            return Ok(0);
        };
        let aggs: Aggregations = serde_json::from_value(serde_json::json!({
            "bodies": { "terms": { "field": "body_id", "size": 100 } },
            "years": { "histogram": { "field": "day", "interval": 10000 } }
        }))
        .map_err(|e| SearchError::Open {
            path: "aggregation request".into(),
            message: e.to_string(),
        })?;
        let facets = AggregationCollector::from_aggs(aggs, AggContextParams::default());
        let searcher = live.reader.searcher();
        let (_top, counts) =
            searcher.search(&*q, &(TopDocs::with_limit(limit).order_by_score(), facets))?;
        Ok(counts.0.len())
    }

    /// The same words and phrases handed to tantivy alone: its top `limit` documents, no
    /// filters, grouping, facets or snippets. The reference the search benchmark compares
    /// against; returns how many documents came back.
    pub fn tantivy_top_docs(&self, text: &str, limit: usize) -> Result<usize, SearchError> {
        let parsed = query::parse(text)?;
        let live = self.live()?;
        let Some((q, _)) = self.text_query(&live, &parsed) else {
            return Ok(0);
        };
        let searcher = live.reader.searcher();
        Ok(searcher
            .search(&*q, &TopDocs::with_limit(limit).order_by_score())?
            .len())
    }
}

/// Counts matching transcript passages by the person speaking (at most 30 people):
/// tantivy's terms aggregation over the `person` fast field.
fn speaker_collector() -> Result<tantivy::aggregation::AggregationCollector, SearchError> {
    use tantivy::aggregation::agg_req::Aggregations;
    use tantivy::aggregation::{AggContextParams, AggregationCollector};
    let aggs: Aggregations = serde_json::from_value(serde_json::json!({
        "speakers": { "terms": { "field": "person", "size": 30 } }
    }))
    .map_err(|e| SearchError::Open {
        path: "aggregation request".into(),
        message: e.to_string(),
    })?;
    Ok(AggregationCollector::from_aggs(
        aggs,
        AggContextParams::default(),
    ))
}

/// (person's address, passages) from what `speaker_collector` gathered, most first.
fn speaker_buckets(
    found: tantivy::aggregation::agg_result::AggregationResults,
) -> Vec<(String, u64)> {
    use tantivy::aggregation::agg_result::{AggregationResult, BucketResult};
    use tantivy::aggregation::Key;
    let Some(AggregationResult::BucketResult(BucketResult::Terms { buckets, .. })) =
        found.0.get("speakers")
    else {
        return Vec::new();
    };
    buckets
        .iter()
        .filter_map(|b| match &b.key {
            Key::Str(slug) if !slug.is_empty() => Some((slug.clone(), b.doc_count)),
            _ => None,
        })
        .collect()
}

fn current_generation(root: &Path) -> u64 {
    std::fs::read_to_string(root.join("current"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1)
}

async fn load_sources(
    catalog: &Catalog,
    ids: &[i64],
) -> Result<Vec<(i64, Option<SearchSource>)>, SearchError> {
    let mut sources = Vec::with_capacity(ids.len());
    for id in ids {
        sources.push((*id, catalog.search_source(*id).await?));
    }
    Ok(sources)
}

fn term_text(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

fn analyze(analyzer: &TextAnalyzer, text: &str) -> Vec<String> {
    let mut analyzer = analyzer.clone();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    out
}

fn day_number(d: NaiveDate) -> u64 {
    d.format("%Y%m%d").to_string().parse().unwrap_or(0)
}

/// Per matching session: its best score, where it stands for facets and sorting, and its
/// four best documents (the session document and three passages), best first.
#[derive(Debug, Clone)]
struct SessionAgg {
    session_id: u64,
    body_id: u64,
    day: u64,
    top: [(Score, DocAddress); 4],
    top_len: u8,
}

impl SessionAgg {
    fn new(session_id: u64, body_id: u64, day: u64) -> SessionAgg {
        SessionAgg {
            session_id,
            body_id,
            day,
            top: [(Score::MIN, DocAddress::new(0, 0)); 4],
            top_len: 0,
        }
    }

    fn top(&self) -> &[(Score, DocAddress)] {
        &self.top[..self.top_len as usize]
    }

    /// The session's score: that of its best document.
    fn best(&self) -> Score {
        self.top[0].0
    }

    fn add(&mut self, score: Score, address: DocAddress) {
        let len = self.top_len as usize;
        if len == 4 && self.top[3].0 >= score {
            return;
        }
        // Insertion into at most four places: no allocation, no sort per document.
        let at = self.top[..len]
            .iter()
            .position(|t| t.0 < score)
            .unwrap_or(len);
        let end = len.min(3);
        self.top.copy_within(at..end, at + 1);
        self.top[at] = (score, address);
        self.top_len = (len + 1).min(4) as u8;
    }

    fn absorb(&mut self, other: &SessionAgg) {
        for &(score, address) in other.top() {
            self.add(score, address);
        }
    }
}

/// Groups every matching document by session in one pass, reading ids from fast fields.
/// The fruit is one entry per matching session, ordered by session id.
struct SessionCollector;

struct SessionSegment {
    segment: u32,
    session_id: Column<u64>,
    body_id: Column<u64>,
    day: Column<u64>,
    /// One entry per run of consecutive documents of one session. A session's documents are
    /// stored together, so runs are few (a session split across indexing threads or merged
    /// segments makes a few more); they are merged once, after the pass, by sorting.
    runs: Vec<SessionAgg>,
}

impl Collector for SessionCollector {
    type Fruit = Vec<SessionAgg>;
    type Child = SessionSegment;

    fn for_segment(&self, segment: u32, reader: &SegmentReader) -> tantivy::Result<SessionSegment> {
        let fast = reader.fast_fields();
        Ok(SessionSegment {
            segment,
            session_id: fast.u64("session_id")?,
            body_id: fast.u64("body_id")?,
            day: fast.u64("day")?,
            runs: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<SessionAgg>>) -> tantivy::Result<Self::Fruit> {
        let mut runs: Vec<SessionAgg> = fruits.into_iter().flatten().collect();
        runs.sort_unstable_by_key(|r| r.session_id);
        let mut merged: Vec<SessionAgg> = Vec::with_capacity(runs.len());
        for run in runs {
            match merged.last_mut() {
                Some(last) if last.session_id == run.session_id => last.absorb(&run),
                _ => merged.push(run),
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for SessionSegment {
    type Fruit = Vec<SessionAgg>;

    fn collect(&mut self, doc: u32, score: Score) {
        let Some(session) = self.session_id.first(doc) else {
            return;
        };
        if self.runs.last().is_none_or(|r| r.session_id != session) {
            self.runs.push(SessionAgg::new(
                session,
                self.body_id.first(doc).unwrap_or(0),
                self.day.first(doc).unwrap_or(0),
            ));
        }
        if let Some(run) = self.runs.last_mut() {
            run.add(score, DocAddress::new(self.segment, doc));
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.runs
    }
}

fn count_by<'a>(
    sessions: impl Iterator<Item = &'a SessionAgg>,
    key: impl Fn(&SessionAgg) -> u64,
) -> Vec<(u64, usize)> {
    // Few distinct keys (bodies, years) over thousands of sessions: a short list.
    let mut out: Vec<(u64, usize)> = Vec::new();
    for agg in sessions {
        let k = key(agg);
        match out.iter_mut().find(|c| c.0 == k) {
            Some(c) => c.1 += 1,
            None => out.push((k, 1)),
        }
    }
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// The filters that apply to a whole session: its body and its date range.
struct SessionFilters {
    body_id: Option<i64>,
    from_day: Option<u64>,
    to_day: Option<u64>,
}

impl SessionFilters {
    fn of(req: &SearchRequest) -> SessionFilters {
        SessionFilters {
            body_id: req.body_id,
            from_day: req.from.map(day_number),
            to_day: req.to.map(day_number),
        }
    }

    fn body_ok(&self, a: &SessionAgg) -> bool {
        self.body_id.is_none_or(|b| a.body_id == b as u64)
    }

    fn dates_ok(&self, a: &SessionAgg) -> bool {
        self.from_day.is_none_or(|d| a.day >= d) && self.to_day.is_none_or(|d| a.day <= d)
    }

    fn admits(&self, a: &SessionAgg) -> bool {
        self.body_ok(a) && self.dates_ok(a)
    }
}

/// (body id or year, sessions) of one facet.
type FacetCounts = Vec<(u64, usize)>;

/// Sessions by body (most first) and by year (newest first). Each facet ignores its own
/// filter, so a citizen sees where else to look.
fn facets(all: &[SessionAgg], filters: &SessionFilters) -> (FacetCounts, FacetCounts) {
    let bodies = count_by(all.iter().filter(|a| filters.dates_ok(a)), |s| s.body_id);
    let mut years = count_by(all.iter().filter(|a| filters.body_ok(a)), |s| {
        s.day / 10_000
    });
    years.sort_by_key(|y| std::cmp::Reverse(y.0));
    (bodies, years)
}

/// How two matching sessions are ordered. Ties break on the session id, so pages never
/// overlap.
fn session_order(sort: Sort, a: &SessionAgg, b: &SessionAgg) -> std::cmp::Ordering {
    match sort {
        Sort::Relevance => b
            .best()
            .total_cmp(&a.best())
            .then(b.day.cmp(&a.day))
            .then(b.session_id.cmp(&a.session_id)),
        Sort::Newest => b.day.cmp(&a.day).then(b.session_id.cmp(&a.session_id)),
        Sort::Oldest => a.day.cmp(&b.day).then(a.session_id.cmp(&b.session_id)),
    }
}

/// The sessions of one page (1-based), in order.
fn page_of(
    mut ranked: Vec<&SessionAgg>,
    sort: Sort,
    page: usize,
    per_page: usize,
) -> Vec<&SessionAgg> {
    // Only the requested page needs its order: partition around its end, then sort just
    // that prefix.
    let order = |a: &&SessionAgg, b: &&SessionAgg| session_order(sort, a, b);
    let page_end = page.saturating_mul(per_page).min(ranked.len());
    if page_end > 0 && page_end < ranked.len() {
        ranked.select_nth_unstable_by(page_end - 1, order);
    }
    ranked[..page_end].sort_unstable_by(order);
    ranked
        .into_iter()
        .take(page_end)
        // A page far past the end is empty, never an overflow.
        .skip(page.saturating_sub(1).saturating_mul(per_page))
        .collect()
}

/// One session of a page, headed by its title, body and date, with its passages. `None`
/// for a session none of whose documents were kept.
fn session_hit(
    searcher: &Searcher,
    snippets: &SnippetGenerator,
    f: Fields,
    agg: &SessionAgg,
) -> tantivy::Result<Option<SessionHit>> {
    let mut hit: Option<SessionHit> = None;
    for (_, address) in agg.top() {
        let d: TantivyDocument = searcher.doc(*address)?;
        let hit = hit.get_or_insert_with(|| SessionHit {
            session_id: agg.session_id,
            title: stored_text(&d, f.session_title),
            body: stored_text(&d, f.body),
            body_id: agg.body_id,
            date: stored_text(&d, f.date),
            score: agg.best(),
            passages: Vec::new(),
        });
        hit.passages.extend(passage_of(&d, f, snippets));
    }
    Ok(hit)
}

/// What a stored document shows under its session's heading, if anything.
fn passage_of(d: &TantivyDocument, f: Fields, snippets: &SnippetGenerator) -> Option<Passage> {
    let Ok(kind) = stored_text(d, f.kind).parse::<PassageKind>() else {
        return None; // written by a newer aula: not ours to show
    };
    if kind == PassageKind::Session {
        return None; // the title is the hit's own heading
    }
    let speaker = stored_text(d, f.speaker);
    let person = stored_text(d, f.person);
    Some(Passage {
        person: (!person.is_empty()).then_some(person),
        snippet_html: highlight_html(&snippets.snippet_from_doc(d), &stored_text(d, f.text)),
        start_seconds: d
            .get_first(f.start_ms)
            .and_then(|v| v.as_u64())
            .map(|ms| ms / 1000),
        speaker: (!speaker.is_empty()).then_some(speaker),
        kind,
    })
}

/// A stored text field, empty when the document has none.
fn stored_text(d: &TantivyDocument, field: Field) -> String {
    d.get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

/// The index documents of one session: the session itself, each agenda item, each passage
/// of its documents, and its transcript in windows of about 30 seconds. None for a session
/// that no longer exists or is withheld.
fn documents_for(id: i64, src: Option<&SearchSource>, f: &Fields) -> Vec<TantivyDocument> {
    let Some(src) = src else { return Vec::new() };
    let s = &src.session;
    if !s.is_public() {
        return Vec::new();
    }
    let day: u64 = s.date.replace('-', "").parse().unwrap_or(0);
    let base = |kind: PassageKind, text: &str| {
        doc!(
            f.session_id => id as u64,
            f.kind => kind.as_str(),
            f.body_id => s.body_id as u64,
            f.body => s.body_name.as_str(),
            f.date => s.date.as_str(),
            f.day => day,
            f.session_title => s.title.as_str(),
            f.text => text,
            f.text_exact => text,
        )
    };
    let mut session_doc = base(PassageKind::Session, &s.body_name);
    session_doc.add_text(f.title, &s.title);
    session_doc.add_text(f.title_exact, &s.title);
    let mut out = vec![session_doc];
    for item in &src.agenda {
        let mut d = base(PassageKind::AgendaItem, &item.title);
        if let Some(ms) = item.start_ms {
            d.add_u64(f.start_ms, ms.max(0) as u64);
        }
        out.push(d);
    }
    for crate::catalog::SourceDocument { kind, text } in &src.documents {
        if *kind == crate::domain::DocumentKind::Transcript {
            continue; // indexed from its timed cues below
        }
        for passage in passages(text, 120) {
            out.push(base(PassageKind::from(*kind), &passage));
        }
    }
    // The cues are a human transcript's or, when there is none, the speech engine's.
    let automatic = src.cues.first().is_some_and(|c| c.source.is_automatic());
    let cue_kind = if automatic {
        PassageKind::AutomaticTranscript
    } else {
        PassageKind::Transcript
    };
    // An automatic transcript's windows start at sentences, so a hit opens the session at
    // the sentence it is in (its captions are cut at sentence ends).
    for window in cue_windows(&src.cues, 30_000, automatic) {
        let mut d = base(cue_kind, &window.text);
        d.add_u64(f.start_ms, window.start_ms);
        if let Some(speaker) = &window.speaker {
            d.add_text(f.speaker, speaker);
        }
        if let Some(person) = &window.person {
            d.add_text(f.person, person);
        }
        out.push(d);
    }
    out
}

struct CueWindow {
    start_ms: u64,
    speaker: Option<String>,
    person: Option<String>,
    text: String,
}

/// Consecutive cues of one speaker, up to `span_ms` long, as one passage that starts at its
/// first cue; with `by_sentence`, a window also ends with a sentence.
fn cue_windows(cues: &[crate::catalog::CueRow], span_ms: i64, by_sentence: bool) -> Vec<CueWindow> {
    let mut out: Vec<CueWindow> = Vec::new();
    let mut window_start = i64::MIN;
    for cue in cues {
        let person = cue.person.as_ref().map(|p| p.slug.clone());
        let same = out.last().is_some_and(|w| {
            w.speaker == cue.speaker_name()
                && w.person == person
                && cue.start_ms - window_start < span_ms
                && !(by_sentence && w.text.ends_with(['.', '?', '!']))
        });
        if same {
            if let Some(w) = out.last_mut() {
                w.text.push(' ');
                w.text.push_str(&cue.text.replace('\n', " "));
            }
        } else {
            window_start = cue.start_ms;
            out.push(CueWindow {
                start_ms: cue.start_ms.max(0) as u64,
                speaker: cue.speaker_name(),
                person,
                text: cue.text.replace('\n', " "),
            });
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
fn highlight_html(snippet: &Snippet, fallback: &str) -> String {
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

pub use crate::text::escape_html as escape;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_keeps_its_four_best_documents_best_first() {
        let at = |d| DocAddress::new(0, d);
        let mut agg = SessionAgg::new(7, 1, 20090312);
        for (d, score) in [(0, 1.0), (1, 5.0), (2, 3.0), (3, 0.5), (4, 4.0), (5, 2.0)] {
            agg.add(score, at(d));
        }
        let kept: Vec<(Score, u32)> = agg.top().iter().map(|(s, a)| (*s, a.doc_id)).collect();
        assert_eq!(kept, vec![(5.0, 1), (4.0, 4), (3.0, 2), (2.0, 5)]);
        assert_eq!(agg.best(), 5.0);

        // The same session met again in another run (another segment): one list.
        let mut other = SessionAgg::new(7, 1, 20090312);
        other.add(9.0, DocAddress::new(1, 0));
        other.add(0.1, DocAddress::new(1, 1));
        agg.absorb(&other);
        let kept: Vec<Score> = agg.top().iter().map(|(s, _)| *s).collect();
        assert_eq!(kept, vec![9.0, 5.0, 4.0, 3.0]);
        assert_eq!(agg.best(), 9.0);
    }

    #[test]
    fn runs_of_one_session_merge_and_facets_count_sessions() {
        let run = |id, body, day, score| {
            let mut a = SessionAgg::new(id, body, day);
            a.add(score, DocAddress::new(0, id as u32));
            a
        };
        let fruits = vec![
            vec![run(3, 1, 20100101, 1.0), run(1, 2, 20090101, 2.0)],
            vec![run(3, 1, 20100101, 3.0), run(2, 1, 20090505, 1.5)],
        ];
        let merged = SessionCollector.merge_fruits(fruits).unwrap();
        let ids: Vec<u64> = merged.iter().map(|a| a.session_id).collect();
        assert_eq!(ids, vec![1, 2, 3]);
        assert_eq!(merged[2].best(), 3.0);
        assert_eq!(merged[2].top().len(), 2);
        assert_eq!(count_by(merged.iter(), |a| a.body_id), vec![(1, 2), (2, 1)]);
        assert_eq!(
            count_by(merged.iter(), |a| a.day / 10_000),
            vec![(2009, 2), (2010, 1)]
        );
    }

    fn matched(id: u64, body: u64, day: u64, score: Score) -> SessionAgg {
        let mut a = SessionAgg::new(id, body, day);
        a.add(score, DocAddress::new(0, id as u32));
        a
    }

    #[test]
    fn each_facet_ignores_its_own_filter() {
        let all = vec![
            matched(1, 1, 20090101, 1.0),
            matched(2, 2, 20100505, 1.0),
            matched(3, 1, 20100606, 1.0),
        ];
        let filters = SessionFilters {
            body_id: Some(1),
            from_day: Some(20100101),
            to_day: None,
        };
        let admitted: Vec<u64> = all
            .iter()
            .filter(|a| filters.admits(a))
            .map(|a| a.session_id)
            .collect();
        assert_eq!(admitted, vec![3]);
        let (bodies, years) = facets(&all, &filters);
        assert_eq!(bodies, vec![(1, 1), (2, 1)]);
        assert_eq!(years, vec![(2010, 1), (2009, 1)]);
    }

    #[test]
    fn pages_follow_the_order_and_never_overlap() {
        // Odd ids score 1, even ids 0; days repeat every three ids.
        let all: Vec<SessionAgg> = (1..=7)
            .map(|id| matched(id, 1, 20100000 + id % 3, (id % 2) as Score))
            .collect();
        let ids = |page: Vec<&SessionAgg>| page.iter().map(|a| a.session_id).collect::<Vec<_>>();
        assert_eq!(
            ids(page_of(all.iter().collect(), Sort::Relevance, 1, 7)),
            vec![5, 7, 1, 3, 2, 4, 6]
        );
        assert_eq!(
            ids(page_of(all.iter().collect(), Sort::Newest, 1, 3)),
            vec![5, 2, 7]
        );
        assert_eq!(
            ids(page_of(all.iter().collect(), Sort::Oldest, 2, 3)),
            vec![4, 7, 2]
        );
        for sort in [Sort::Relevance, Sort::Newest, Sort::Oldest] {
            let whole = ids(page_of(all.iter().collect(), sort, 1, 100));
            let paged: Vec<u64> = (1..=4)
                .flat_map(|page| ids(page_of(all.iter().collect(), sort, page, 2)))
                .collect();
            assert_eq!(paged, whole, "{sort:?}");
        }
        assert!(page_of(all.iter().collect(), Sort::Newest, 5, 2).is_empty());
        assert!(page_of(all.iter().collect(), Sort::Newest, usize::MAX, 100).is_empty());
    }

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

    #[test]
    fn cues_group_by_speaker_and_time() {
        let cue = |start: i64, speaker: &str, text: &str| crate::catalog::CueRow {
            start_ms: start,
            end_ms: start + 1000,
            speaker: Some(speaker.into()),
            text: text.into(),
            source: crate::domain::CueSource::Human,
            confidence: None,
            person: None,
            person_inferred: false,
        };
        let cues = [
            cue(0, "Rossi", "a"),
            cue(10_000, "Rossi", "b"),
            cue(40_000, "Rossi", "c"),
            cue(41_000, "Bianchi", "d"),
        ];
        let w = cue_windows(&cues, 30_000, false);
        let got: Vec<_> = w.iter().map(|w| (w.start_ms, w.text.as_str())).collect();
        assert_eq!(got, vec![(0, "a b"), (40_000, "c"), (41_000, "d")]);
        // By sentence (an automatic transcript's captions, two lines each): a window ends
        // with its sentence, so a hit on "fognaria" opens at 4 s, not at 0.
        let cues = [
            cue(0, "", "Buongiorno a tutti."),
            cue(4_000, "", "La rete\nfognaria"),
            cue(6_000, "", "va rifatta."),
        ];
        let w = cue_windows(&cues, 30_000, true);
        let got: Vec<_> = w.iter().map(|w| (w.start_ms, w.text.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (0, "Buongiorno a tutti."),
                (4_000, "La rete fognaria va rifatta.")
            ]
        );
    }
}
