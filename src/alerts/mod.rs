//! E-mail alerts: a citizen follows a search or a body and gets, once a day or a week, the
//! sessions that newly match. This room holds what a subscription follows (`Follows`), the
//! checks of an address (`address`), when digests fall due (`next_digest`), the messages'
//! words (`messages`, pure), the composing of due digests from the search index and the
//! catalog (`digest`), and the sending over SMTP (`mail`, used by the `mail` job). What is
//! stored, and how a match is told once only, is `catalog::alerts`.

pub mod digest;
pub mod mail;
pub mod messages;

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::Frequency;

/// What a subscription follows: a search with the filters of `/cerca`, or a body's
/// sessions. Stored as JSON; the same follow has the same JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "follows", rename_all = "snake_case")]
pub enum Follows {
    Search {
        q: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<String>,
        /// Only what this person of the roster said (their slug).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        speaker: Option<String>,
    },
    Body {
        slug: String,
    },
    /// The sessions where a person of the roster spoke or voted.
    Person {
        slug: String,
    },
}

impl Follows {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Option<Follows> {
        serde_json::from_str(text).ok()
    }
}

/// Why an address is not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("an e-mail address is needed")]
    Missing,
    #[error("{0:?} is not an e-mail address")]
    Invalid(String),
}

/// The address as it will be written to: trimmed, its domain in lower case, at most 254
/// characters, one `@` with something on both sides, a dot in the domain, and nothing a
/// mail header could be bent with (spaces, control characters, `<>,;"`).
pub fn address(text: &str) -> Result<String, AddressError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AddressError::Missing);
    }
    let invalid = || AddressError::Invalid(text.chars().take(80).collect());
    if text.len() > 254
        || text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"()[]\\".contains(c))
    {
        return Err(invalid());
    }
    let (local, domain) = text.rsplit_once('@').ok_or_else(invalid)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
        return Err(invalid());
    }
    Ok(format!("{local}@{}", domain.to_lowercase()))
}

/// The hour (UTC) digests go out at: early morning in Italy, before the working day.
const DIGEST_HOUR_UTC: u32 = 5;

/// When the digest after `now` is due: the next day's early morning for a daily digest,
/// the next Monday's for a weekly one.
pub fn next_digest(now: i64, frequency: Frequency) -> i64 {
    let now: DateTime<Utc> = Utc.timestamp_opt(now, 0).single().unwrap_or_default();
    let today = Utc
        .with_ymd_and_hms(now.year(), now.month(), now.day(), DIGEST_HOUR_UTC, 0, 0)
        .single()
        .unwrap_or(now);
    let days = match frequency {
        Frequency::Daily => 1,
        Frequency::Weekly => 7 - i64::from(now.weekday().num_days_from_monday()),
    };
    let mut next = today + Duration::days(days);
    // Still early this morning: a daily digest goes today.
    if frequency == Frequency::Daily && now.hour() < DIGEST_HOUR_UTC {
        next = today;
    }
    next.timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_and_written_one_way() {
        assert_eq!(
            address("  Mario.Rossi@Comune.Example.IT "),
            Ok("Mario.Rossi@comune.example.it".into())
        );
        assert_eq!(address(" "), Err(AddressError::Missing));
        for bad in [
            "mario",
            "mario@",
            "@comune.it",
            "mario@comune",
            "mario rossi@comune.it",
            "mario@comune..it",
            "a@b.it\r\nBcc: x@y.it",
            "\"x\"@comune.it",
            "mario@comune.it>",
        ] {
            assert!(address(bad).is_err(), "{bad:?} taken");
        }
        assert!(address(&format!("{}@comune.it", "a".repeat(65))).is_err());
    }

    #[test]
    fn what_is_followed_is_stored_the_same_way_each_time() {
        let search = Follows::Search {
            q: "variante piano".into(),
            body: Some("consiglio-comunale".into()),
            kind: None,
            speaker: None,
        };
        assert_eq!(
            search.to_json(),
            r#"{"follows":"search","q":"variante piano","body":"consiglio-comunale"}"#
        );
        assert_eq!(Follows::from_json(&search.to_json()), Some(search));
        let body = Follows::Body {
            slug: "giunta".into(),
        };
        assert_eq!(Follows::from_json(&body.to_json()), Some(body));
        assert_eq!(Follows::from_json("{}"), None);
    }

    #[test]
    fn digests_fall_due_early_in_the_morning_daily_or_on_mondays() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().timestamp();
        // Thursday 3 December 2026, 14:00 UTC.
        let thursday = at("2026-12-03T14:00:00Z");
        assert_eq!(
            next_digest(thursday, Frequency::Daily),
            at("2026-12-04T05:00:00Z")
        );
        assert_eq!(
            next_digest(thursday, Frequency::Weekly),
            at("2026-12-07T05:00:00Z")
        );
        let early = at("2026-12-03T03:00:00Z");
        assert_eq!(
            next_digest(early, Frequency::Daily),
            at("2026-12-03T05:00:00Z")
        );
        let monday = at("2026-12-07T06:00:00Z");
        assert_eq!(
            next_digest(monday, Frequency::Weekly),
            at("2026-12-14T05:00:00Z")
        );
    }
}
