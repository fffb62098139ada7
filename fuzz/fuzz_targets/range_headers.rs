//! `Range` headers (`aula::http::ranges::decide`) and conditional request headers
//! (`aula::http::conditional::evaluate`).
//!
//! Input layout (see docs/FUZZING.md):
//! - bytes 0..8: little-endian u64 that picks the representation length (small lengths,
//!   lengths near `u64::MAX` and arbitrary ones are all reachable);
//! - bytes 8..16: little-endian u64, the modification time in seconds (taken modulo the
//!   largest time an HTTP date can write);
//! - byte 16: flags: bit 0 = GET/HEAD, bits 1..=5 = If-Match, If-None-Match,
//!   If-Modified-Since, If-Unmodified-Since, If-Range present;
//! - the rest, UTF-8, one value per line: Range, If-Match, If-None-Match,
//!   If-Modified-Since, If-Unmodified-Since, If-Range, ETag characters. A conditional
//!   line that is exactly `=` stands for the representation's own ETag (If-Match,
//!   If-None-Match, If-Range) or its own date (the date headers), so the fuzzer reaches the
//!   "equal" branches.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use aula::http::conditional::{evaluate, Conditions, Verdict};
use aula::http::ranges::{decide, RangeDecision, COALESCE_GAP, MAX_HEADER_LEN, MAX_PARTS};
use libfuzzer_sys::fuzz_target;

/// 9999-12-31T23:59:59Z + 1: the first second an IMF-fixdate cannot write.
const HTTP_DATE_END: u64 = 253_402_300_800;

fn u64_at(data: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&data[at..at + 8]);
    u64::from_le_bytes(b)
}

fn length(raw: u64) -> u64 {
    let v = raw >> 2;
    match raw & 3 {
        0 => v,
        1 => v % 2_000,
        2 => u64::MAX - (v % 4),
        _ => v % 100,
    }
}

fn check_ranges(header: &str, len: u64) {
    let decision = decide(header, len);
    if header.len() > MAX_HEADER_LEN {
        assert_eq!(decision, RangeDecision::Full, "over-long header not ignored");
    }
    if let RangeDecision::Ranges(ranges) = &decision {
        assert!(len > 0, "ranges for an empty representation: {ranges:?}");
        assert!(!ranges.is_empty(), "Ranges(vec![])");
        assert!(ranges.len() <= MAX_PARTS, "{} parts > MAX_PARTS", ranges.len());
        let mut total: u64 = 0;
        for r in ranges {
            assert!(r.first <= r.last, "first > last: {r:?}");
            assert!(r.last < len, "range {r:?} beyond length {len}");
            total = total
                .checked_add(r.len())
                .expect("total of range lengths overflows u64");
        }
        assert!(total <= len, "{total} bytes sent of a {len}-byte file");
        // No byte twice, and no two parts closer than the coalescing gap.
        let mut sorted = ranges.clone();
        sorted.sort_by_key(|r| r.first);
        for w in sorted.windows(2) {
            assert!(
                w[1].first > w[0].last.saturating_add(COALESCE_GAP + 1),
                "parts overlap or nearly touch: {:?} {:?}",
                w[0],
                w[1]
            );
        }
    }
    // Only the unit is case-insensitive and the specs hold digits only, so the header's
    // case never changes the answer.
    let upper = header.to_ascii_uppercase();
    assert_eq!(decide(&upper, len), decision, "case changed the decision");
}

fn check_conditions(flags: u8, lines: &[&str], modified_secs: u64) {
    let modified = UNIX_EPOCH + Duration::from_secs(modified_secs);
    let own_date = httpdate::fmt_http_date(modified);
    // A strong tag as aula makes them: quoted, no quotes or whitespace inside.
    let chars: String = lines
        .get(6)
        .copied()
        .unwrap_or("abc123")
        .chars()
        .filter(|c| *c != '"' && !c.is_whitespace() && !c.is_control())
        .collect();
    let etag = format!("\"{chars}\"");
    let is_get_or_head = flags & 1 == 1;
    let value = |i: usize, own: &str| -> Option<String> {
        if flags & (1 << (i + 1)) == 0 {
            return None;
        }
        let line = lines.get(i + 1).copied().unwrap_or("");
        Some(if line == "=" { own.to_string() } else { line.to_string() })
    };
    let if_match = value(0, &etag);
    let if_none_match = value(1, &etag);
    let if_modified_since = value(2, &own_date);
    let if_unmodified_since = value(3, &own_date);
    let if_range = value(4, &etag);
    let c = Conditions {
        if_match: if_match.as_deref(),
        if_none_match: if_none_match.as_deref(),
        if_modified_since: if_modified_since.as_deref(),
        if_unmodified_since: if_unmodified_since.as_deref(),
        if_range: if_range.as_deref(),
    };
    let verdict = evaluate(&c, is_get_or_head, &etag, modified);

    if verdict == Verdict::NotModified {
        assert!(is_get_or_head, "304 for a method other than GET/HEAD");
    }
    if c.if_match.is_none()
        && c.if_unmodified_since.is_none()
        && c.if_none_match.is_none()
        && (c.if_modified_since.is_none() || !is_get_or_head)
    {
        assert!(
            matches!(verdict, Verdict::Proceed { .. }),
            "no precondition yet {verdict:?}"
        );
    }
    if let Verdict::Proceed { ranges_allowed } = verdict {
        match c.if_range.map(str::trim) {
            None => assert!(ranges_allowed, "no If-Range, yet ranges refused"),
            Some(v) if v == etag => assert!(ranges_allowed, "If-Range with our ETag refused"),
            Some(v) if v == own_date => {
                assert!(ranges_allowed, "If-Range with our date refused")
            }
            Some(v) if v.starts_with("W/") => assert!(!ranges_allowed, "weak If-Range"),
            _ => {}
        }
    }
    // Our own strong tag in If-Match always passes step 1; with nothing else, we proceed.
    if c.if_match.map(str::trim) == Some(etag.as_str()) || c.if_match.map(str::trim) == Some("*")
    {
        if c.if_none_match.is_none() && (c.if_modified_since.is_none() || !is_get_or_head) {
            assert!(
                matches!(verdict, Verdict::Proceed { .. }),
                "If-Match {:?} matched yet {verdict:?}",
                c.if_match
            );
        }
    }
    // Our own tag (or *) in If-None-Match, once step 1 passes, is 304 (GET/HEAD) or 412.
    if c.if_none_match.map(str::trim) == Some(etag.as_str()) && c.if_match.is_none() {
        let step1_fails = c
            .if_unmodified_since
            .and_then(|d| httpdate::parse_http_date(d.trim()).ok())
            .is_some_and(|d| modified > d);
        if !step1_fails {
            let expected = if is_get_or_head {
                Verdict::NotModified
            } else {
                Verdict::PreconditionFailed
            };
            assert_eq!(verdict, expected, "If-None-Match with our ETag");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 17 {
        return;
    }
    let len = length(u64_at(data, 0));
    let modified_secs = u64_at(data, 8) % HTTP_DATE_END;
    let flags = data[16];
    let Ok(text) = std::str::from_utf8(&data[17..]) else {
        return;
    };
    let lines: Vec<&str> = text.split('\n').collect();
    check_ranges(lines[0], len);
    // The whole text as one header too: long and comma-heavy inputs.
    check_ranges(text, len);
    check_conditions(flags, &lines, modified_secs);
});
