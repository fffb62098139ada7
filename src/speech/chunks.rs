//! Where a long recording is cut for the engine: into chunks of about a minute (a
//! setting), each cut in the middle of a silence near its mark so no word is split, from
//! the silences ffmpeg's `silencedetect` finds. A finished chunk is kept, so a worker that
//! dies in hour three of a session starts again at the chunk it was in. The engine holds
//! a whole chunk at once (its audio, features and voice-activity scores), so the chunk,
//! not the session, sets its memory: 680 MB with 300 s chunks on a 10-minute session,
//! 505–550 MB with 60 s ones. Pure: ffmpeg's report in, chunk bounds out.

/// The length a chunk aims at unless configured otherwise. A cut moves to a silence from
/// 80 % to 110 % of it, or failing that from 50 % to 150 %: a cut where someone speaks
/// splits a word. A last chunk under 10 % of it joins the one before.
pub const TARGET_MS: i64 = 60_000;

/// The `silencedetect` filter's arguments the parser expects: quieter than -35 dB for at
/// least 0.3 s.
pub const SILENCEDETECT: &str = "silencedetect=noise=-35dB:duration=0.3";

/// One chunk: `[start_ms, end_ms)` of the audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    pub start_ms: i64,
    pub end_ms: i64,
}

/// The silences `[start, end)` in ffmpeg's `silencedetect` report (its standard error),
/// in milliseconds. A silence still open at the end is closed at `duration_ms`.
pub fn silences(report: &str, duration_ms: i64) -> Vec<(i64, i64)> {
    let value = |line: &str, key: &str| -> Option<i64> {
        let rest = &line[line.find(key)? + key.len()..];
        let number = rest.split_whitespace().next()?;
        let seconds: f64 = number.parse().ok()?;
        seconds
            .is_finite()
            .then(|| (seconds.max(0.0) * 1000.0).round() as i64)
    };
    let mut out = Vec::new();
    let mut open = None;
    for line in report.lines() {
        if let Some(start) = value(line, "silence_start: ") {
            open = Some(start);
        } else if let Some(end) = value(line, "silence_end: ") {
            out.push((open.take().unwrap_or(0), end));
        }
    }
    if let Some(start) = open {
        out.push((start, duration_ms.max(start)));
    }
    out
}

/// The chunks of audio lasting `duration_ms`, of about `target_ms` each, cut in the
/// silences where they can be.
pub fn chunks(duration_ms: i64, silences: &[(i64, i64)], target_ms: i64) -> Vec<Chunk> {
    let target = target_ms.max(1_000);
    let shortest = target / 10;
    let mut out = Vec::new();
    let mut start = 0;
    while duration_ms - start > target + shortest {
        let mark = start + target;
        let within = |from: i64, to: i64| best_silence(silences, start + from, start + to, mark);
        let cut = within(target * 8 / 10, target * 11 / 10)
            .or_else(|| within(target / 2, target * 3 / 2))
            .unwrap_or(mark)
            .min(duration_ms);
        if duration_ms - cut < shortest {
            break;
        }
        out.push(Chunk {
            start_ms: start,
            end_ms: cut,
        });
        start = cut;
    }
    if duration_ms > start {
        out.push(Chunk {
            start_ms: start,
            end_ms: duration_ms,
        });
    }
    out
}

/// The middle of the longest silence whose middle is in `[earliest, latest]`, the nearer
/// `mark` the better among equals (to a tenth of a second).
fn best_silence(silences: &[(i64, i64)], earliest: i64, latest: i64, mark: i64) -> Option<i64> {
    silences
        .iter()
        .map(|&(a, b)| (b - a, (a + b) / 2))
        .filter(|&(_, middle)| (earliest..=latest).contains(&middle))
        .max_by_key(|&(length, middle)| (length / 100, -(middle - mark).abs()))
        .map(|(_, middle)| middle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tests' marks: the arithmetic reads easier in five-minute chunks.
    const FIVE_MINUTES: i64 = 300_000;

    #[test]
    fn silencedetect_report_is_read() {
        let report = "[silencedetect @ 0x55] silence_start: 12.5\n\
                      size=N/A time=00:00:20.00 bitrate=N/A\n\
                      [silencedetect @ 0x55] silence_end: 13.25 | silence_duration: 0.75\n\
                      [silencedetect @ 0x55] silence_start: 58.004\n";
        assert_eq!(
            silences(report, 60_000),
            [(12_500, 13_250), (58_004, 60_000)]
        );
        assert!(silences("no silences here\nsilence_start: nan\n", 1_000).is_empty());
    }

    #[test]
    fn a_short_recording_is_one_chunk() {
        assert_eq!(
            chunks(90_000, &[], FIVE_MINUTES),
            [Chunk {
                start_ms: 0,
                end_ms: 90_000
            }]
        );
        assert!(chunks(0, &[], FIVE_MINUTES).is_empty());
    }

    #[test]
    fn cuts_fall_in_the_longest_silence_near_the_mark() {
        let silences = [(250_000, 250_400), (290_000, 292_000), (310_000, 310_500)];
        let c = chunks(700_000, &silences, FIVE_MINUTES);
        assert_eq!(c[0].end_ms, 291_000);
        assert_eq!(c[1].start_ms, 291_000);
        // No silence near the second mark: cut on it.
        assert_eq!(c[1].end_ms, 591_000);
        assert_eq!(c.last().unwrap().end_ms, 700_000);
        // None near the mark but one further off: better late than in a word.
        let c = chunks(700_000, &[(420_000, 421_000)], FIVE_MINUTES);
        assert_eq!(c[0].end_ms, 420_500);
    }

    #[test]
    fn chunks_cover_the_whole_recording_without_a_sliver_at_the_end() {
        for duration in [299_000, 330_000, 331_000, 601_000, 8 * 3_600_000] {
            let c = chunks(duration, &[], FIVE_MINUTES);
            assert_eq!(c[0].start_ms, 0);
            assert_eq!(c.last().unwrap().end_ms, duration);
            assert!(c.windows(2).all(|p| p[0].end_ms == p[1].start_ms));
            assert!(
                c.iter().all(|k| k.end_ms - k.start_ms >= FIVE_MINUTES / 10),
                "{c:?}"
            );
            assert!(c
                .iter()
                .all(|k| k.end_ms - k.start_ms <= FIVE_MINUTES * 11 / 10));
        }
    }
}
