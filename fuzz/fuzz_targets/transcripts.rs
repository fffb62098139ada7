//! Transcripts (`aula::documents::transcript`: SRT and WebVTT in, WebVTT and SRT out) and
//! timed agendas (`aula::documents::timed_agenda`: CSV or a WebVTT chapters track in, a
//! chapters track out). Input: UTF-8 text, given to both parsers.
#![no_main]

use aula::documents::timed_agenda::{self, TimedItem};
use aula::documents::transcript::{self, Cue, MAX_CUES};
use libfuzzer_sys::fuzz_target;

fn check_cues(cues: &[Cue], what: &str) {
    assert!(!cues.is_empty(), "{what}: Ok with no cues");
    assert!(cues.len() <= MAX_CUES, "{what}: more than MAX_CUES");
    for cue in cues {
        assert!(cue.start_ms <= cue.end_ms, "{what}: cue ends before it starts: {cue:?}");
        for line in cue.text.split('\n') {
            if cue.text.is_empty() {
                break;
            }
            assert!(!line.is_empty(), "{what}: empty line in cue text {:?}", cue.text);
            assert_eq!(line.trim(), line, "{what}: untrimmed line in {:?}", cue.text);
        }
        if let Some(speaker) = &cue.speaker {
            assert!(!speaker.trim().is_empty(), "{what}: empty speaker in {cue:?}");
        }
    }
    assert!(
        cues.windows(2).all(|w| w[0].start_ms <= w[1].start_ms),
        "{what}: cues not sorted by start"
    );
}

fn times(cues: &[Cue]) -> Vec<(u64, u64)> {
    cues.iter().map(|c| (c.start_ms, c.end_ms)).collect()
}

/// Writing the cues out and reading them back keeps every cue and its times (the unit
/// tests' round trips, here on whatever the parser accepted).
fn round_trip(cues: &[Cue], out: &str, format: &str) {
    let again = match transcript::parse(out) {
        Ok(again) => again,
        Err(e) => panic!("{format} output does not parse back: {e}\n--- output ---\n{out}"),
    };
    check_cues(&again, format);
    assert_eq!(
        times(&again),
        times(cues),
        "{format} round trip changed the cues' times\n--- output ---\n{out}"
    );
}

fn check_transcript(text: &str) {
    let Ok(cues) = transcript::parse(text) else {
        return;
    };
    check_cues(&cues, "parse");
    round_trip(&cues, &transcript::to_webvtt(&cues), "WebVTT");
    // A text line that would read back as a timing line (finding 1, fixed: `to_srt`
    // neutralises it) must not add a cue or break the SRT.
    round_trip(&cues, &transcript::to_srt(&cues), "SRT");
}

fn check_items(items: &[TimedItem], what: &str) {
    assert!(!items.is_empty(), "{what}: Ok with no items");
    assert!(items.len() <= timed_agenda::MAX_ITEMS, "{what}: too many items");
    for item in items {
        assert!(!item.title.is_empty(), "{what}: empty title {item:?}");
        assert_eq!(
            item.title.split_whitespace().collect::<Vec<_>>().join(" "),
            item.title,
            "{what}: title whitespace not collapsed"
        );
        if let Some(n) = &item.number {
            assert!(!n.trim().is_empty(), "{what}: empty item number {item:?}");
        }
        if let Some(end) = item.end_ms {
            assert!(item.start_ms <= end, "{what}: item ends before it starts {item:?}");
        }
    }
    assert!(
        items.windows(2).all(|w| w[0].start_ms <= w[1].start_ms),
        "{what}: items not sorted by start"
    );
}

fn check_chapters(items: &[TimedItem], duration_ms: u64) {
    let vtt = timed_agenda::chapters_vtt(items, duration_ms);
    let kept: Vec<u64> = items
        .iter()
        .map(|i| i.start_ms)
        .filter(|s| *s < duration_ms)
        .collect();
    if kept.is_empty() {
        assert_eq!(vtt, "WEBVTT\n", "chapters for no item");
        return;
    }
    // The chapters track is a WebVTT file aula itself reads back as a timed agenda.
    let again = match timed_agenda::parse(&vtt) {
        Ok(again) => again,
        Err(e) => panic!("chapters_vtt output does not parse back: {e}\n--- output ---\n{vtt}"),
    };
    check_items(&again, "chapters");
    let starts: Vec<u64> = again.iter().map(|i| i.start_ms).collect();
    assert_eq!(starts, kept, "chapters round trip changed the starts\n{vtt}");
    for item in &again {
        let end = item.end_ms.expect("a chapters item has an end");
        assert!(end <= duration_ms, "chapter ends after the recording");
    }
}

fn check_timed_agenda(text: &str) {
    let Ok(items) = timed_agenda::parse(text) else {
        return;
    };
    check_items(&items, "parse");
    let last = items.last().map_or(0, |i| i.start_ms);
    // Every item kept, then only the first half.
    check_chapters(&items, last.saturating_add(1_000));
    check_chapters(&items, items[items.len() / 2].start_ms);
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check_transcript(text);
    check_timed_agenda(text);
});
