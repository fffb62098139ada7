//! RFC 9110 §13 conditional requests, evaluated in the order §13.2.2 prescribes, for a
//! representation with a strong ETag and a modification time. Pure: headers in, a verdict
//! out.

use std::time::{SystemTime, UNIX_EPOCH};

/// The request's conditional headers, raw.
#[derive(Debug, Default, Clone, Copy)]
pub struct Conditions<'a> {
    pub if_match: Option<&'a str>,
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<&'a str>,
    pub if_unmodified_since: Option<&'a str>,
    pub if_range: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// 412 Precondition Failed
    PreconditionFailed,
    /// 304 Not Modified
    NotModified,
    /// Go on; `ranges_allowed` says whether a Range header may be honoured (If-Range).
    Proceed { ranges_allowed: bool },
}

/// `etag` is the quoted strong tag (`"abc"`); `modified` the representation's time.
pub fn evaluate(
    conditions: &Conditions<'_>,
    is_get_or_head: bool,
    etag: &str,
    modified: SystemTime,
) -> Verdict {
    let modified = seconds(modified);
    // 1. If-Match, else If-Unmodified-Since
    if let Some(list) = conditions.if_match {
        if !matches_any(list, etag, true) {
            return Verdict::PreconditionFailed;
        }
    } else if let Some(date) = conditions.if_unmodified_since.and_then(parse_date) {
        if modified > date {
            return Verdict::PreconditionFailed;
        }
    }
    // 2. If-None-Match, else If-Modified-Since (GET and HEAD only)
    if let Some(list) = conditions.if_none_match {
        if matches_any(list, etag, false) {
            return if is_get_or_head {
                Verdict::NotModified
            } else {
                Verdict::PreconditionFailed
            };
        }
    } else if is_get_or_head {
        if let Some(date) = conditions.if_modified_since.and_then(parse_date) {
            if modified <= date {
                return Verdict::NotModified;
            }
        }
    }
    // 3. If-Range decides whether Range applies.
    let ranges_allowed = match conditions.if_range.map(str::trim) {
        None => true,
        Some(v) if v.starts_with('"') => v == etag,
        Some(v) if v.starts_with("W/") => false, // weak tags never validate a range
        Some(v) => parse_date(v) == Some(modified),
    };
    Verdict::Proceed { ranges_allowed }
}

/// Whether a list of entity tags (or `*`) matches `etag`. Strong comparison requires both
/// tags strong and equal; weak comparison ignores the `W/` prefix.
fn matches_any(list: &str, etag: &str, strong: bool) -> bool {
    let list = list.trim();
    if list == "*" {
        return true; // the representation exists, since we are serving it
    }
    let ours = etag.trim_start_matches("W/");
    entity_tags(list).any(|tag| {
        let weak = tag.starts_with("W/");
        if strong && weak {
            return false;
        }
        tag.trim_start_matches("W/") == ours
    })
}

/// Splits `"a", W/"b",  "c,d"` into tags, honouring quotes (a tag may contain commas).
fn entity_tags(list: &str) -> impl Iterator<Item = &str> {
    let mut rest = list;
    std::iter::from_fn(move || loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return None;
        }
        let start = if rest.starts_with("W/\"") {
            3
        } else if rest.starts_with('"') {
            1
        } else {
            // Not a tag: skip to the next comma.
            let end = rest.find(',').unwrap_or(rest.len());
            rest = &rest[end..];
            continue;
        };
        let end = rest[start..]
            .find('"')
            .map(|i| start + i + 1)
            .unwrap_or(rest.len());
        let tag = &rest[..end];
        rest = &rest[end..];
        return Some(tag);
    })
}

fn seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// An HTTP date (IMF-fixdate, or the obsolete RFC 850 and asctime forms) in seconds; an
/// invalid date is `None`, and the header is then ignored as the RFC requires.
fn parse_date(text: &str) -> Option<u64> {
    httpdate::parse_http_date(text.trim()).ok().map(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use Verdict::*;

    const TAG: &str = "\"abc123\"";

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn date(secs: u64) -> String {
        httpdate::fmt_http_date(at(secs))
    }

    fn eval(c: Conditions<'_>) -> Verdict {
        evaluate(&c, true, TAG, at(1_000_000))
    }

    const GO: Verdict = Proceed {
        ranges_allowed: true,
    };

    #[test]
    fn if_none_match_uses_weak_comparison() {
        for v in [
            TAG,
            "W/\"abc123\"",
            "\"x\", \"abc123\"",
            "*",
            " \"x\" ,W/\"abc123\"",
        ] {
            let c = Conditions {
                if_none_match: Some(v),
                ..Default::default()
            };
            assert_eq!(eval(c), NotModified, "{v}");
        }
        let c = Conditions {
            if_none_match: Some("\"other\""),
            ..Default::default()
        };
        assert_eq!(eval(c), GO);
        // for a non-GET method a match fails the precondition
        let c = Conditions {
            if_none_match: Some(TAG),
            ..Default::default()
        };
        assert_eq!(evaluate(&c, false, TAG, at(1)), PreconditionFailed);
    }

    #[test]
    fn if_match_uses_strong_comparison() {
        let c = Conditions {
            if_match: Some(TAG),
            ..Default::default()
        };
        assert_eq!(eval(c), GO);
        let c = Conditions {
            if_match: Some("*"),
            ..Default::default()
        };
        assert_eq!(eval(c), GO);
        let c = Conditions {
            if_match: Some("W/\"abc123\""),
            ..Default::default()
        };
        assert_eq!(eval(c), PreconditionFailed);
        let c = Conditions {
            if_match: Some("\"nope\""),
            ..Default::default()
        };
        assert_eq!(eval(c), PreconditionFailed);
    }

    #[test]
    fn dates() {
        let (before, same, after) = (date(999_999), date(1_000_000), date(1_000_001));
        let ims = |d: &str| {
            eval(Conditions {
                if_modified_since: Some(d),
                ..Default::default()
            })
        };
        assert_eq!(ims(&same), NotModified);
        assert_eq!(ims(&after), NotModified);
        assert_eq!(ims(&before), GO);
        assert_eq!(ims("not a date"), GO, "invalid dates are ignored");
        let ius = |d: &str| {
            eval(Conditions {
                if_unmodified_since: Some(d),
                ..Default::default()
            })
        };
        assert_eq!(ius(&before), PreconditionFailed);
        assert_eq!(ius(&same), GO);
        assert_eq!(ius("yesterday"), GO);
        // obsolete formats are accepted
        assert_eq!(ims("Monday, 12-Jan-70 13:46:40 GMT"), NotModified);
    }

    #[test]
    fn precedence() {
        // If-None-Match wins over If-Modified-Since, even when the date would say 304.
        let c = Conditions {
            if_none_match: Some("\"other\""),
            if_modified_since: Some(&date(2_000_000)),
            ..Default::default()
        };
        assert_eq!(eval(c), GO);
        // If-Match wins over If-Unmodified-Since.
        let c = Conditions {
            if_match: Some(TAG),
            if_unmodified_since: Some(&date(1)),
            ..Default::default()
        };
        assert_eq!(eval(c), GO);
        // 412 comes before 304.
        let c = Conditions {
            if_match: Some("\"nope\""),
            if_none_match: Some(TAG),
            ..Default::default()
        };
        assert_eq!(eval(c), PreconditionFailed);
        // If-Modified-Since is only for GET and HEAD.
        let c = Conditions {
            if_modified_since: Some(&date(2_000_000)),
            ..Default::default()
        };
        assert_eq!(evaluate(&c, false, TAG, at(1_000_000)), GO);
    }

    #[test]
    fn if_range() {
        let ir = |v: &str| {
            eval(Conditions {
                if_range: Some(v),
                ..Default::default()
            })
        };
        let no = Proceed {
            ranges_allowed: false,
        };
        assert_eq!(ir(TAG), GO);
        assert_eq!(ir("\"old\""), no);
        assert_eq!(ir("W/\"abc123\""), no);
        assert_eq!(ir(&date(1_000_000)), GO);
        assert_eq!(ir(&date(999_999)), no);
        assert_eq!(ir("garbage"), no);
    }
}
