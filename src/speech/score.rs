//! Word error rate: how far a transcript is from the words really said, as speech
//! recognition measures it (substitutions, deletions and insertions over the words said),
//! after both are written the same way: lower case, no punctuation, elisions apart. Used
//! by the tests and `bench/asr`. Pure.

/// The words of `text` as compared: lower case, punctuation dropped, "dell'ordine" as
/// "dell" and "ordine".
pub fn normalized_words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| c.is_whitespace() || c == '\'' || c == '’')
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// The word error rate of `heard` against `said` (0 is perfect; it can exceed 1 when
/// words are added). `said` without words gives 0 if nothing was heard, else 1.
pub fn word_error_rate(said: &str, heard: &str) -> f64 {
    let (r, h) = (normalized_words(said), normalized_words(heard));
    if r.is_empty() {
        return if h.is_empty() { 0.0 } else { 1.0 };
    }
    // Levenshtein distance over words, one row at a time.
    let mut row: Vec<usize> = (0..=h.len()).collect();
    for (i, rw) in r.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, hw) in h.iter().enumerate() {
            let substitution = diagonal + usize::from(rw != hw);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[h.len()] as f64 / r.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_error_rate_counts_substitutions_deletions_and_insertions() {
        let said = "Il primo punto all'ordine del giorno.";
        assert_eq!(
            word_error_rate(said, "il primo punto all ordine del giorno"),
            0.0
        );
        // one substitution in 7 words
        assert!(
            (word_error_rate(said, "Il primo ponte all'ordine del giorno") - 1.0 / 7.0).abs()
                < 1e-9
        );
        // one deletion and one insertion
        let wer = word_error_rate(said, "primo punto all'ordine del giorno oggi");
        assert!((wer - 2.0 / 7.0).abs() < 1e-9, "{wer}");
        assert_eq!(word_error_rate("", ""), 0.0);
        assert_eq!(word_error_rate("", "rumore"), 1.0);
        assert_eq!(word_error_rate("due parole", ""), 1.0);
    }
}
