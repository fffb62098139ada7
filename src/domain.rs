//! The archive's states and kinds, each an enum with the one spelling the catalog, the API
//! and the templates share: a session's state, a body's kind, a job's state and kind, a document's kind,
//! a document's extraction state, a search passage's kind.
//! Each is built by parsing (`FromStr`), written with `as_str`/`Display`, and read and
//! written by serde and by sqlx (`Any`, a TEXT column). It must not hold rules about
//! what a state allows: those live where the state changes (the catalog, the worker).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sqlx::any::{Any, AnyTypeInfo};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

/// A text that names none of a type's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a {what}: use {}", expected.join(", "))]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static [&'static str],
}

/// An enum of fixed spellings, with everything needed to carry it through parsing, text,
/// JSON and the database. Comparing with a `&str` is kept for templates, which compare
/// with literals.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownValue;

            fn from_str(text: &str) -> Result<Self, UnknownValue> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue {
                        what: $what,
                        value: text.to_string(),
                        expected: &[$($text),+],
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // `pad`, so widths in format strings (`{:<8}`) apply.
                f.pad(self.as_str())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }

        impl Type<Any> for $name {
            fn type_info() -> AnyTypeInfo {
                <str as Type<Any>>::type_info()
            }

            fn compatible(ty: &AnyTypeInfo) -> bool {
                <str as Type<Any>>::compatible(ty)
            }
        }

        impl<'r> Decode<'r, Any> for $name {
            fn decode(value: <Any as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <String as Decode<'r, Any>>::decode(value)?;
                Ok(text.parse()?)
            }
        }

        impl<'q> Encode<'q, Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <Any as Database>::ArgumentBuffer<'q>,
            ) -> Result<IsNull, BoxDynError> {
                <&str as Encode<'q, Any>>::encode(self.as_str(), buf)
            }
        }
    };
}

text_enum! {
    /// Where a session is in its life. The catalog may report `Withheld` also for a session
    /// outside its publication window (`SessionRow::stored_state` keeps what is stored).
    SessionState, "session state" {
        /// Announced, or uploaded and waiting for its recording to be processed.
        Pending = "pending",
        Processing = "processing",
        Published = "published",
        Failed = "failed",
        /// Hidden from the public by an editor.
        Withheld = "withheld",
    }
}

text_enum! {
    /// Where a live session's encoder is: not come yet, pushing now, or stopped (its
    /// recording handed to the archive as the session's next part).
    LiveState, "live state" {
        Scheduled = "scheduled",
        Live = "live",
        Ended = "ended",
    }
}

text_enum! {
    /// Where a job is in the queue.
    JobState, "job state" {
        Queued = "queued",
        Running = "running",
        Done = "done",
        Failed = "failed",
    }
}

text_enum! {
    /// What a job does.
    JobKind, "job kind" {
        /// Makes a session's media version from its recording.
        Transcode = "transcode",
        /// Hears a published session's speech into its automatic transcript.
        Transcribe = "transcribe",
        /// Sends one e-mail message of an alert (a confirmation or a digest).
        Mail = "mail",
    }
}

text_enum! {
    /// How often an alert's digest of new matches is sent.
    Frequency, "frequency" {
        Daily = "daily",
        Weekly = "weekly",
    }
}

text_enum! {
    /// What came of a session's automatic transcript.
    TranscriptionState, "transcription state" {
        Done = "done",
        /// The engine found no speech.
        Empty = "empty",
    }
}

text_enum! {
    /// Who wrote a transcript cue: a person (an imported transcript), the speech engine, or
    /// the speech engine and then an editor who corrected it (kept when it hears again).
    CueSource, "cue source" {
        Human = "human",
        Automatic = "automatic",
        Corrected = "corrected",
    }
}

text_enum! {
    /// What a document is to the session, as a clerk names it when attaching one.
    DocumentKind, "document kind" {
        Agenda = "agenda",
        Minutes = "minutes",
        Resolution = "resolution",
        Attachment = "attachment",
        /// SRT or WebVTT: becomes timed cues and the captions track.
        Transcript = "transcript",
        /// CSV or WebVTT chapters: sets when agenda items start.
        TimedAgenda = "timed_agenda",
    }
}

text_enum! {
    /// What a body is: the council, a committee (or the giunta), or anything else.
    BodyKind, "kind of body" {
        Council = "council",
        Committee = "committee",
        Other = "other",
    }
}

text_enum! {
    /// What became of reading a document's text.
    ExtractionState, "extraction state" {
        Ok = "ok",
        /// The file is fine but holds no text (a scan OCR could not read, an empty file).
        Empty = "empty",
        /// The file could not be read; the reason is kept beside it.
        Failed = "failed",
    }
}

text_enum! {
    /// What a search index document (a passage of a hit) comes from.
    PassageKind, "passage kind" {
        /// The session itself: its body and title.
        Session = "session",
        AgendaItem = "agenda_item",
        Agenda = "agenda",
        Minutes = "minutes",
        Resolution = "resolution",
        /// A window of about 30 seconds of its transcript's cues.
        Transcript = "transcript",
        /// The same of a transcript the speech engine made.
        AutomaticTranscript = "automatic_transcript",
        Attachment = "attachment",
    }
}

impl From<DocumentKind> for PassageKind {
    /// A document's passages are of the kind it is stored under.
    fn from(kind: DocumentKind) -> PassageKind {
        match kind.stored() {
            DocumentKind::Agenda => PassageKind::Agenda,
            DocumentKind::Minutes => PassageKind::Minutes,
            DocumentKind::Resolution => PassageKind::Resolution,
            DocumentKind::Transcript => PassageKind::Transcript,
            DocumentKind::Attachment | DocumentKind::TimedAgenda => PassageKind::Attachment,
        }
    }
}

impl CueSource {
    /// Made by the speech engine (corrected or not): shown as automatic, may be wrong.
    pub fn is_automatic(self) -> bool {
        self != CueSource::Human
    }
}

impl DocumentKind {
    /// The kind the catalog keeps it under: a timed agenda's times go into the agenda, and
    /// the file itself is kept as an attachment.
    pub fn stored(self) -> DocumentKind {
        match self {
            DocumentKind::TimedAgenda => DocumentKind::Attachment,
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T>(all: &[T])
    where
        T: Copy + fmt::Debug + PartialEq + fmt::Display + std::str::FromStr + Serialize,
        T: for<'de> Deserialize<'de>,
        <T as std::str::FromStr>::Err: fmt::Debug,
    {
        for &value in all {
            let text = value.to_string();
            assert_eq!(text.parse::<T>().unwrap(), value);
            let json = serde_json::to_string(&value).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<T>(&json).unwrap(), value);
        }
    }

    #[test]
    fn every_value_reads_back_what_it_writes() {
        round_trips(SessionState::ALL);
        round_trips(JobState::ALL);
        round_trips(LiveState::ALL);
        round_trips(JobKind::ALL);
        round_trips(Frequency::ALL);
        round_trips(CueSource::ALL);
        round_trips(TranscriptionState::ALL);
        round_trips(DocumentKind::ALL);
        round_trips(PassageKind::ALL);
    }

    #[test]
    fn unknown_spellings_are_refused_with_the_choices() {
        let err = "Published".parse::<SessionState>().unwrap_err();
        assert_eq!(err.value, "Published");
        assert!(
            err.to_string().contains("pending, processing, published"),
            "{err}"
        );
        assert!("".parse::<JobState>().is_err());
        assert!(serde_json::from_str::<JobKind>("\"encode\"").is_err());
    }

    #[test]
    fn spellings_match_the_catalog_and_templates() {
        assert_eq!(SessionState::Withheld.as_str(), "withheld");
        assert_eq!(JobState::Queued, "queued");
        assert_eq!(format!("{:<8}|", JobState::Done), "done    |");
        assert_eq!(DocumentKind::TimedAgenda.stored(), DocumentKind::Attachment);
        assert_eq!(DocumentKind::Minutes.stored(), DocumentKind::Minutes);
        for &kind in DocumentKind::ALL {
            // A document's passages are searched by the kind the catalog keeps it under.
            assert_eq!(PassageKind::from(kind).as_str(), kind.stored().as_str());
        }
    }
}

text_enum! {
    /// What a person is in a body (or, for the mayor, the giunta and the secretary, in the
    /// comune) over a span of time.
    RoleKind, "role" {
        Councillor = "councillor",
        Mayor = "mayor",
        DeputyMayor = "deputy_mayor",
        /// A member of the giunta with a portfolio.
        Assessore = "assessore",
        /// Presides over the body: the council's or a committee's president.
        President = "president",
        VicePresident = "vice_president",
        /// The secretary general, who takes the minutes.
        Secretary = "secretary",
    }
}

text_enum! {
    /// Where a speaker turn, a roll call or a vote came from: a label in a human transcript,
    /// the words of an automatic one, the minutes' text, an imported file, or an editor
    /// (whose word is kept when the others are read again).
    Provenance, "provenance" {
        Label = "label",
        Inferred = "inferred",
        Minutes = "minutes",
        Import = "import",
        Editor = "editor",
    }
}

text_enum! {
    /// What came of a vote on an agenda item.
    VoteOutcome, "vote outcome" {
        Approved = "approved",
        Rejected = "rejected",
        Postponed = "postponed",
    }
}

text_enum! {
    /// How one person voted.
    VoteChoice, "vote" {
        InFavour = "in_favour",
        Against = "against",
        Abstained = "abstained",
        /// Present but not voting, or absent at the vote.
        NotVoting = "not_voting",
    }
}
