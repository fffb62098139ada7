//! From the words the engine heard to captions as subtitle practice wants them: Italian
//! elisions the engine split ("dell" + "'ordine") joined again, then cues of at most two
//! lines of 42 characters, shown 1 to 7 seconds, closed at sentence ends and at pauses.
//! Pure: words in, cues out.

use super::engine::Word;

/// Characters on one caption line, and lines in one caption.
pub const LINE_CHARS: usize = 42;
pub const LINES: usize = 2;
// `lay_out` breaks a caption into two lines at most.
const _: () = assert!(LINES == 2);
/// How long a caption stays on screen, at least and at most.
pub const MIN_MS: i64 = 1_000;
pub const MAX_MS: i64 = 7_000;
/// A silence this long between two words ends a caption.
const PAUSE_MS: i64 = 700;

/// One caption: its times, its text (lines joined by `\n`), and the engine's mean
/// confidence in its words.
#[derive(Debug, Clone, PartialEq)]
pub struct Caption {
    pub start_ms: i64,
    pub end_ms: i64,
    pub text: String,
    pub confidence: f64,
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’')
}

/// Words as a reader writes them: each trimmed, and an elision the engine split in two
/// ("dell" + "'ordine", or "dell'" + " ordine") made one word again.
pub fn join_elisions(words: &[Word]) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::with_capacity(words.len());
    for w in words {
        let text = w.text.trim();
        if text.is_empty() {
            continue;
        }
        let glued_to_previous = text.starts_with(is_apostrophe)
            || out.last().is_some_and(|p| p.text.ends_with(is_apostrophe));
        match out.last_mut() {
            Some(p) if glued_to_previous => {
                // "dell" + "'ordine": the apostrophe is written once.
                if p.text.ends_with(is_apostrophe) && text.starts_with(is_apostrophe) {
                    p.text.pop();
                }
                p.text.push_str(text);
                p.end_ms = p.end_ms.max(w.end_ms);
                p.probability = p.probability.min(w.probability);
            }
            _ => out.push(Word {
                text: text.to_string(),
                ..w.clone()
            }),
        }
    }
    out
}

/// `text` on at most `LINES` lines of at most `LINE_CHARS` characters, broken at a space
/// so the lines are as even as they can be; `None` when it does not fit.
pub fn lay_out(text: &str) -> Option<String> {
    let len = text.chars().count();
    if len <= LINE_CHARS {
        return Some(text.to_string());
    }
    let spaces = text.char_indices().filter(|&(_, c)| c == ' ');
    let best = spaces
        .map(|(at, _)| {
            let first = text[..at].chars().count();
            (first.max(len - first - 1), at)
        })
        .filter(|&(longest, _)| longest <= LINE_CHARS)
        .min()?;
    let (first, second) = (&text[..best.1], &text[best.1 + 1..]);
    Some(format!("{first}\n{second}"))
}

fn ends_sentence(word: &str) -> bool {
    word.ends_with(['.', '?', '!', '…'])
}

/// Captions from the words heard, in time order.
pub fn captions(words: &[Word]) -> Vec<Caption> {
    let words = join_elisions(words);
    let mut cues = Vec::new();
    let mut current: Vec<&Word> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if let Some(first) = current.first() {
            let text = joined(&current, Some(word));
            let too_long = word.end_ms - first.start_ms > MAX_MS || lay_out(&text).is_none();
            if too_long {
                // What the sentence still has to say goes on with some of this caption's
                // words, rather than alone ("… vicino alle" / "scuole.").
                let rest = sentence_rest(&words[i..]);
                let keep = balanced(&current, rest);
                cues.push(caption(&current[..keep]));
                current.drain(..keep);
            }
        }
        current.push(word);
        let next = words.get(i + 1);
        if next.is_none() || ends_here(&current, next) {
            cues.push(caption(&current));
            current.clear();
        }
    }
    timed(cues)
}

/// The characters of `words` up to the end of their sentence (at most two captions' worth).
fn sentence_rest(words: &[Word]) -> usize {
    let mut chars = 0;
    for w in words {
        chars += w.text.chars().count() + 1;
        if ends_sentence(&w.text) || chars > LINE_CHARS * LINES {
            break;
        }
    }
    chars
}

/// How many of a full caption's words to show before the rest of its sentence (`rest`
/// characters) follows: all of them unless that rest is short, then as many as leave the
/// next caption about as long as this one.
fn balanced(current: &[&Word], rest: usize) -> usize {
    if rest > LINE_CHARS / 2 {
        return current.len();
    }
    let mut keep = current.len();
    let mut moved = rest;
    while keep > 1 {
        let last = current[keep - 1].text.chars().count() + 1;
        let kept: usize = current[..keep - 1]
            .iter()
            .map(|w| w.text.chars().count() + 1)
            .sum();
        // Stop where the sentence broke (a comma) or once the two are even.
        if ends_sentence(&current[keep - 1].text) || moved + last > kept {
            break;
        }
        moved += last;
        keep -= 1;
        if current[keep - 1].text.ends_with([',', ';', ':']) {
            break;
        }
    }
    keep
}

/// Whether the caption being built ends after its last word: at a sentence end or a
/// pause, once it has been on screen long enough (or can be, before the next word).
fn ends_here(current: &[&Word], next: Option<&Word>) -> bool {
    let (Some(first), Some(last), Some(next)) = (current.first(), current.last(), next) else {
        return true;
    };
    let gap = next.start_ms - last.end_ms;
    let shown = last.end_ms - first.start_ms;
    let can_last_a_second = shown >= MIN_MS || gap >= MIN_MS - shown;
    (ends_sentence(&last.text) || gap >= PAUSE_MS) && can_last_a_second
}

fn joined(words: &[&Word], more: Option<&Word>) -> String {
    let mut text = String::new();
    for w in words.iter().copied().chain(more) {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&w.text);
    }
    text
}

fn caption(words: &[&Word]) -> Caption {
    let text = joined(words, None);
    // A single word longer than two lines (it does not happen in Italian) is cut.
    let text = lay_out(&text).unwrap_or_else(|| text.chars().take(LINE_CHARS).collect());
    let confidence = words.iter().map(|w| w.probability).sum::<f64>() / words.len() as f64;
    Caption {
        start_ms: words[0].start_ms,
        end_ms: words[words.len() - 1].end_ms,
        text,
        confidence,
    }
}

/// Each caption shown at least `MIN_MS` (as far as the next one allows) and at most
/// `MAX_MS`.
fn timed(mut cues: Vec<Caption>) -> Vec<Caption> {
    let starts: Vec<i64> = cues.iter().map(|c| c.start_ms).skip(1).collect();
    for (i, cue) in cues.iter_mut().enumerate() {
        let next = starts.get(i).copied().unwrap_or(i64::MAX);
        if cue.end_ms - cue.start_ms < MIN_MS {
            cue.end_ms = (cue.start_ms + MIN_MS).min(next).max(cue.end_ms);
        }
        cue.end_ms = cue.end_ms.min(cue.start_ms + MAX_MS);
    }
    cues
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(text: &str, start_ms: i64, end_ms: i64) -> Word {
        Word::heard(text, start_ms, end_ms)
    }

    /// Words of `text` spoken one every `step` ms, each lasting `step - 50`.
    fn spoken(text: &str, from: i64, step: i64) -> Vec<Word> {
        text.split(' ')
            .enumerate()
            .map(|(i, t)| {
                let start = from + i as i64 * step;
                w(&format!(" {t}"), start, start + step - 50)
            })
            .collect()
    }

    #[test]
    fn split_elisions_are_joined_both_ways() {
        let words = [
            w(" all", 0, 200),
            w("'ordine", 200, 600),
            w(" del", 600, 800),
            w(" giorno,", 800, 1200),
            w(" l'", 1300, 1400),
            w(" assessore", 1400, 2000),
            w(" dell’", 2000, 2100),
            w("’urbanistica", 2100, 2900),
        ];
        let joined: Vec<String> = join_elisions(&words).into_iter().map(|w| w.text).collect();
        assert_eq!(
            joined,
            [
                "all'ordine",
                "del",
                "giorno,",
                "l'assessore",
                "dell’urbanistica"
            ]
        );
        let first = &join_elisions(&words)[0];
        assert_eq!((first.start_ms, first.end_ms), (0, 600));
    }

    #[test]
    fn lines_are_balanced_and_never_over_42() {
        assert_eq!(
            lay_out("Buongiorno a tutti.").unwrap(),
            "Buongiorno a tutti."
        );
        let text = "Il primo punto all'ordine del giorno riguarda la variante al piano";
        let laid = lay_out(text).unwrap();
        let lines: Vec<&str> = laid.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(
            lines.iter().all(|l| l.chars().count() <= LINE_CHARS),
            "{laid}"
        );
        let diff = lines[0].chars().count().abs_diff(lines[1].chars().count());
        assert!(diff <= 12, "{laid}");
        assert_eq!(laid.replace('\n', " "), text);
        assert!(lay_out(&"parola ".repeat(14)).is_none());
    }

    #[test]
    fn captions_keep_the_limits_on_a_long_run_of_speech() {
        // Three minutes of speech with no pause and no full stop.
        let text = "la commissione ha esaminato con attenzione la proposta di variante \
                    presentata dalla giunta comunale e dai consiglieri di maggioranza"
            .repeat(25);
        let cues = captions(&spoken(&text, 0, 350));
        assert!(cues.len() > 20);
        for c in &cues {
            let length = c.end_ms - c.start_ms;
            assert!((MIN_MS..=MAX_MS).contains(&length), "{c:?}");
            let lines: Vec<&str> = c.text.lines().collect();
            assert!(lines.len() <= LINES, "{c:?}");
            assert!(
                lines.iter().all(|l| l.chars().count() <= LINE_CHARS),
                "{c:?}"
            );
        }
        // Nothing lost, nothing added, in order.
        let back: Vec<String> = cues.iter().map(|c| c.text.replace('\n', " ")).collect();
        assert_eq!(
            back.join(" "),
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        assert!(cues.windows(2).all(|p| p[0].end_ms <= p[1].start_ms));
    }

    #[test]
    fn sentence_ends_and_pauses_close_a_caption() {
        let mut words = spoken("Buongiorno a tutti. Apriamo la seduta", 0, 400);
        words.extend(spoken("Prego consigliere", 4_000, 400));
        let cues = captions(&words);
        let texts: Vec<&str> = cues.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Buongiorno a tutti.",
                "Apriamo la seduta",
                "Prego consigliere"
            ]
        );
    }

    #[test]
    fn a_short_word_alone_is_shown_a_second_unless_the_next_comes_first() {
        let words = [w(" Grazie.", 0, 300), w(" Prego.", 2_000, 2_400)];
        let cues = captions(&words);
        assert_eq!(cues.len(), 2);
        assert_eq!((cues[0].start_ms, cues[0].end_ms), (0, 1_000));
        assert_eq!((cues[1].start_ms, cues[1].end_ms), (2_000, 3_000));
        // "Sì." then straight on: it stays with what follows rather than flash by.
        let words = [
            w(" Sì.", 0, 200),
            w(" Favorevoli", 300, 900),
            w(" tutti.", 900, 1_500),
        ];
        let cues = captions(&words);
        assert_eq!(cues.len(), 1, "{cues:?}");
        assert_eq!(cues[0].text, "Sì. Favorevoli tutti.");
    }

    #[test]
    fn a_sentence_too_long_for_one_caption_is_not_left_with_a_lone_word() {
        let words = spoken(
            "La relazione sulla qualità dell'aria propone nuove piste ciclabili vicino alle scuole.",
            0,
            300,
        );
        let texts: Vec<String> = captions(&words).into_iter().map(|c| c.text).collect();
        assert_eq!(texts.len(), 2, "{texts:?}");
        let second = &texts[1];
        assert!(second.split_whitespace().count() >= 4, "{texts:?}");
        assert!(second.ends_with("alle scuole."), "{texts:?}");
    }

    #[test]
    fn no_words_no_captions() {
        assert!(captions(&[]).is_empty());
        assert!(captions(&[w(" ", 0, 100)]).is_empty());
    }
}
