//! RFC 9110 §14 byte ranges: what a `Range` header asks of a representation of a given
//! length. Pure functions, no I/O, so every case is unit-tested.
//!
//! Limits that keep a hostile header cheap (documented in docs/SERVING.md):
//! - a header longer than `MAX_HEADER_LEN` or with more than `MAX_SPECS` range specs is
//!   ignored (the whole representation is sent, which the RFC allows);
//! - overlapping ranges, and ranges closer than `COALESCE_GAP` bytes, are merged, so a
//!   response never carries a byte twice and never more bytes than the file;
//! - if more than `MAX_PARTS` parts remain after merging, the header is ignored.

use std::cmp::{max, min};

pub const MAX_HEADER_LEN: usize = 1024;
pub const MAX_SPECS: usize = 64;
pub const MAX_PARTS: usize = 16;
/// About the overhead of one multipart part's headers: a smaller gap costs less sent whole.
pub const COALESCE_GAP: u64 = 80;

/// An inclusive byte range, `first..=last`, within the representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub first: u64,
    pub last: u64,
}

impl ByteRange {
    /// How many bytes (at least one: an inclusive range is never empty).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u64 {
        self.last - self.first + 1
    }
}

/// What to do with a `Range` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeDecision {
    /// Not a byte range request we honour (no header, unknown unit, bad syntax, over the
    /// limits): send the whole representation with 200.
    Full,
    /// Syntactically fine but nothing selectable: 416 with `Content-Range: bytes */LEN`.
    Unsatisfiable,
    /// One or more ranges, in the order to send them.
    Ranges(Vec<ByteRange>),
}

enum Spec {
    /// `first-` or `first-last` (last may be absent = to the end)
    From { first: Number, last: Option<Number> },
    /// `-suffix`
    Suffix(Number),
}

/// A decimal number that may be too large for 64 bits; such a number is still a valid
/// number, just larger than any file.
#[derive(Clone, Copy)]
enum Number {
    Value(u64),
    Huge,
}

fn parse_number(text: &str) -> Option<Number> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.parse().map(Number::Value).unwrap_or(Number::Huge))
}

fn parse_spec(text: &str) -> Option<Spec> {
    let (a, b) = text.split_once('-')?;
    if a.is_empty() {
        return Some(Spec::Suffix(parse_number(b)?));
    }
    let first = parse_number(a)?;
    let last = if b.is_empty() {
        None
    } else {
        Some(parse_number(b)?)
    };
    if let (Number::Value(f), Some(Number::Value(l))) = (first, last) {
        if l < f {
            return None; // invalid: the whole header is ignored
        }
    }
    if let (Number::Huge, Some(Number::Value(_))) = (first, last) {
        return None; // first > last
    }
    Some(Spec::From { first, last })
}

/// Decides how to answer `header` (the raw `Range` value) for a representation of `len`
/// bytes.
pub fn decide(header: &str, len: u64) -> RangeDecision {
    if header.len() > MAX_HEADER_LEN {
        return RangeDecision::Full;
    }
    let Some((unit, set)) = header.split_once('=') else {
        return RangeDecision::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return RangeDecision::Full;
    }
    let mut specs = Vec::new();
    // List syntax: elements separated by commas with optional whitespace; empty elements
    // are allowed and skipped.
    for element in set.split(',') {
        let element = element.trim_matches([' ', '\t']);
        if element.is_empty() {
            continue;
        }
        if specs.len() == MAX_SPECS {
            return RangeDecision::Full;
        }
        match parse_spec(element) {
            Some(spec) => specs.push(spec),
            None => return RangeDecision::Full,
        }
    }
    if specs.is_empty() {
        return RangeDecision::Full;
    }
    let mut ranges = Vec::with_capacity(specs.len());
    for spec in specs {
        let range = match spec {
            Spec::From { first, last } => match first {
                Number::Value(first) if first < len => {
                    let last = match last {
                        Some(Number::Value(l)) => min(l, len - 1),
                        Some(Number::Huge) | None => len - 1,
                    };
                    Some(ByteRange { first, last })
                }
                _ => None,
            },
            Spec::Suffix(n) => {
                let n = match n {
                    Number::Value(n) => min(n, len),
                    Number::Huge => len,
                };
                (n > 0).then(|| ByteRange {
                    first: len - n,
                    last: len - 1,
                })
            }
        };
        ranges.extend(range);
    }
    if ranges.is_empty() {
        return RangeDecision::Unsatisfiable;
    }
    let ranges = coalesce(ranges);
    if ranges.len() > MAX_PARTS {
        return RangeDecision::Full;
    }
    RangeDecision::Ranges(ranges)
}

/// Keeps the requested order unless some ranges overlap or nearly touch; then sorts and
/// merges them all, so no byte is sent twice.
fn coalesce(mut ranges: Vec<ByteRange>) -> Vec<ByteRange> {
    if ranges.len() < 2 {
        return ranges;
    }
    let mut sorted = ranges.clone();
    sorted.sort_by_key(|r| r.first);
    let close = sorted
        .windows(2)
        .any(|w| w[1].first <= w[0].last.saturating_add(COALESCE_GAP + 1));
    if !close {
        return ranges;
    }
    ranges.clear();
    for r in sorted {
        match ranges.last_mut() {
            Some(prev) if r.first <= prev.last.saturating_add(COALESCE_GAP + 1) => {
                prev.last = max(prev.last, r.last);
            }
            _ => ranges.push(r),
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeDecision::*;

    fn r(first: u64, last: u64) -> ByteRange {
        ByteRange { first, last }
    }

    #[test]
    fn single_open_and_suffix() {
        assert_eq!(decide("bytes=0-99", 1000), Ranges(vec![r(0, 99)]));
        assert_eq!(decide("bytes=900-", 1000), Ranges(vec![r(900, 999)]));
        assert_eq!(decide("bytes=-100", 1000), Ranges(vec![r(900, 999)]));
        assert_eq!(decide("bytes=999-999", 1000), Ranges(vec![r(999, 999)]));
    }

    #[test]
    fn past_the_end_is_clamped() {
        assert_eq!(decide("bytes=500-5000", 1000), Ranges(vec![r(500, 999)]));
        assert_eq!(decide("bytes=-5000", 1000), Ranges(vec![r(0, 999)]));
    }

    #[test]
    fn unsatisfiable() {
        assert_eq!(decide("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(decide("bytes=1000-2000, 3000-", 1000), Unsatisfiable);
        assert_eq!(decide("bytes=-0", 1000), Unsatisfiable);
        // a satisfiable one among them is enough
        assert_eq!(decide("bytes=5000-, 0-0", 1000), Ranges(vec![r(0, 0)]));
    }

    #[test]
    fn zero_length_representation_has_no_ranges() {
        assert_eq!(decide("bytes=0-", 0), Unsatisfiable);
        assert_eq!(decide("bytes=-10", 0), Unsatisfiable);
        assert_eq!(decide("bytes=0-0", 0), Unsatisfiable);
    }

    #[test]
    fn several_ranges_keep_their_order() {
        assert_eq!(
            decide("bytes=500-599,0-99", 1000),
            Ranges(vec![r(500, 599), r(0, 99)])
        );
    }

    #[test]
    fn overlapping_and_close_ranges_merge() {
        assert_eq!(
            decide("bytes=0-99,50-149,-100", 1000),
            Ranges(vec![r(0, 149), r(900, 999)])
        );
        assert_eq!(
            decide("bytes=0-99,120-199", 1000),
            Ranges(vec![r(0, 199)]),
            "a 20-byte gap costs less than a part header"
        );
        // the same range many times is one range
        let many = format!("bytes={}", vec!["0-9"; 50].join(","));
        assert_eq!(decide(&many, 1000), Ranges(vec![r(0, 9)]));
    }

    #[test]
    fn whitespace_and_empty_elements() {
        assert_eq!(
            decide("bytes= 0-9 ,\t200-299 , ,", 1000),
            Ranges(vec![r(0, 9), r(200, 299)])
        );
        assert_eq!(decide("BYTES=0-9", 1000), Ranges(vec![r(0, 9)]));
    }

    #[test]
    fn malformed_or_unknown_is_ignored() {
        for bad in [
            "",
            "bytes",
            "bytes=",
            "bytes=abc",
            "bytes=9-0",
            "bytes=1-2-3",
            "bytes=+1-2",
            "bytes=0x10-",
            "bytes=- 5",
            "bytes=0 -9",
            "items=0-9",
            "bytes=--5",
            "0-9",
        ] {
            assert_eq!(decide(bad, 1000), Full, "{bad:?}");
        }
    }

    #[test]
    fn numbers_beyond_64_bits() {
        let huge = "99999999999999999999999999";
        assert_eq!(decide(&format!("bytes={huge}-"), 1000), Unsatisfiable);
        assert_eq!(
            decide(&format!("bytes=10-{huge}"), 1000),
            Ranges(vec![r(10, 999)])
        );
        assert_eq!(
            decide(&format!("bytes=-{huge}"), 1000),
            Ranges(vec![r(0, 999)])
        );
        assert_eq!(decide(&format!("bytes={huge}-5"), 1000), Full);
        assert_eq!(
            decide("bytes=18446744073709551615-", u64::MAX),
            Unsatisfiable
        );
        assert_eq!(
            decide("bytes=18446744073709551614-", u64::MAX),
            Ranges(vec![r(u64::MAX - 1, u64::MAX - 1)])
        );
    }

    #[test]
    fn hostile_headers_are_bounded() {
        let many_parts: Vec<String> = (0..40)
            .map(|i| format!("{}-{}", i * 1000, i * 1000 + 1))
            .collect();
        let header = format!("bytes={}", many_parts.join(","));
        assert_eq!(decide(&header, 100_000), Full, "more than MAX_PARTS parts");
        let too_many_specs = format!("bytes={}", vec!["0-0"; MAX_SPECS + 1].join(","));
        assert_eq!(decide(&too_many_specs[..], 100), Full);
        let long = format!("bytes=0-{}", "0".repeat(MAX_HEADER_LEN));
        assert_eq!(decide(&long, 100), Full);
    }
}
