//! Italian text analysis for the index, registered once by name: words split at anything
//! not a letter or digit (so elided articles like "dell'" fall off as their own token),
//! lower case, accents folded, stop words removed, Snowball Italian stemming.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer,
};
use tantivy::Index;

/// Name of the stemmed Italian analyzer in the index's tokenizer manager.
pub const STEMMED: &str = "it_stem";
/// Name of the exact analyzer: words lower-cased and accent-folded, nothing removed or
/// stemmed, for quoted phrases ("piano regolatore" must not match "piano regolamento").
pub const EXACT: &str = "it_exact";

/// Stop words after folding (so "perché" and "perche" are both covered), including the
/// elided forms an apostrophe leaves behind ("dell'ambiente" → "dell", "ambiente").
const STOP_WORDS: &[&str] = &[
    "a", "ad", "al", "alla", "alle", "allo", "ai", "agli", "all", "anche", "anch", "avere",
    "aveva", "c", "che", "chi", "ci", "col", "coi", "come", "con", "contro", "cui", "d", "da",
    "dal", "dall", "dalla", "dalle", "dallo", "dai", "dagli", "degli", "dei", "del", "dell",
    "della", "delle", "dello", "di", "dov", "dove", "e", "ed", "era", "erano", "essere", "gli",
    "ha", "hanno", "ho", "i", "il", "in", "io", "l", "la", "le", "lei", "li", "lo", "loro", "lui",
    "ma", "mi", "ne", "negli", "nei", "nel", "nell", "nella", "nelle", "nello", "noi", "non",
    "nostro", "o", "per", "perche", "piu", "quale", "quali", "quando", "quanto", "quel", "quell",
    "quella", "quelle", "quelli", "quello", "questa", "queste", "questi", "questo", "se", "sei",
    "si", "sia", "siamo", "sono", "su", "sua", "sue", "sugli", "sui", "sul", "sull", "sulla",
    "sulle", "sullo", "suo", "suoi", "ti", "tra", "tu", "tua", "tuo", "un", "una", "uno", "vi",
    "voi", "gia", "cosi", "ogni", "tutto", "tutti", "tutte", "tutta",
];

fn stemmed() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(
            STOP_WORDS.iter().map(|w| w.to_string()),
        ))
        .filter(Stemmer::new(Language::Italian))
        .build()
}

fn exact() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Registers aula's analyzers on an index (needed on every open: tokenizers are not
/// persisted, only their names).
pub fn register(index: &Index) {
    index.tokenizers().register(STEMMED, stemmed());
    index.tokenizers().register(EXACT, exact());
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::tokenizer::TokenStream;

    fn tokens(text: &str) -> Vec<String> {
        let mut analyzer = stemmed();
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn plural_and_singular_meet() {
        assert_eq!(tokens("bilanci"), tokens("bilancio"));
        assert_eq!(tokens("approvazioni"), tokens("approvazione"));
    }

    #[test]
    fn accents_fold_and_elisions_drop() {
        assert_eq!(tokens("città"), tokens("citta"));
        assert_eq!(tokens("dell'ambiente"), tokens("ambiente"));
        assert!(tokens("perché più").is_empty());
    }

    #[test]
    fn exact_keeps_every_word_unstemmed() {
        let mut analyzer = exact();
        let mut stream = analyzer.token_stream("Variante al Piano Regolatore");
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        assert_eq!(out, ["variante", "al", "piano", "regolatore"]);
    }
}
