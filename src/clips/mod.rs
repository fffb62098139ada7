//! Clips: a stretch of a published session to cite and share. A clip is asked for by its
//! start and end in seconds of the published video (`?t=&fine=` on the session page,
//! `?da=&a=` for its MP4 and captions); `window` checks them against the session and the
//! length limit, `captions` gives the session's cues for the stretch, and `cut` makes the
//! MP4 (a stream copy of the published download from the key frame at or before the
//! start, with the captions as a text track) into a bounded cache.
//!
//! The published video already leaves out every range an editor withheld (a new version
//! is made without them, and the old one stops being served at once), so a clip cut from
//! the current version cannot contain one; clips are cached by version, so a clip of an
//! older version is never served either.

pub mod cut;

use crate::documents::transcript::Cue;

/// A clip's stretch, in whole seconds of the published video.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start_s: u64,
    pub end_s: u64,
}

/// Why a clip cannot be made of what was asked; each says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("a clip needs its start and its end (da and a, in seconds or as 1:02:03)")]
    Missing,
    #[error("{0} is not a time: write seconds (75), minutes and seconds (1:15) or 1h2m3s")]
    Unreadable(String),
    #[error("the clip ends at {end_s} s, not after its start at {start_s} s")]
    EndNotAfterStart { start_s: u64, end_s: u64 },
    #[error("the clip ends at {end_s} s, beyond the end of the session ({duration_s} s)")]
    BeyondSession { end_s: u64, duration_s: u64 },
    #[error("the clip is {length_s} s long; clips are at most {max_s} s")]
    TooLong { length_s: u64, max_s: u64 },
}

impl Window {
    /// The stretch from `start_s` to `end_s` of a video of `duration_ms`, at most `max_s`
    /// long. The end may be the session's last second rounded up.
    pub fn new(
        start_s: u64,
        end_s: u64,
        duration_ms: u64,
        max_s: u64,
    ) -> Result<Window, WindowError> {
        if end_s <= start_s {
            return Err(WindowError::EndNotAfterStart { start_s, end_s });
        }
        let duration_s = duration_ms.div_ceil(1000);
        if end_s > duration_s {
            return Err(WindowError::BeyondSession { end_s, duration_s });
        }
        let length_s = end_s - start_s;
        if length_s > max_s {
            return Err(WindowError::TooLong { length_s, max_s });
        }
        Ok(Window { start_s, end_s })
    }

    pub fn length_s(&self) -> u64 {
        self.end_s - self.start_s
    }
}

/// The cues heard between `from_ms` and `to_ms`, cut to that stretch and timed from
/// `from_ms` (the clip's own zero).
pub fn captions(cues: &[Cue], from_ms: u64, to_ms: u64) -> Vec<Cue> {
    cues.iter()
        .filter(|c| c.end_ms > from_ms && c.start_ms < to_ms)
        .map(|c| Cue {
            start_ms: c.start_ms.max(from_ms) - from_ms,
            end_ms: c.end_ms.min(to_ms) - from_ms,
            speaker: c.speaker.clone(),
            text: c.text.clone(),
        })
        .filter(|c| c.end_ms > c.start_ms)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_is_inside_the_session_after_its_start_and_within_the_limit() {
        assert_eq!(
            Window::new(10, 25, 60_000, 600),
            Ok(Window {
                start_s: 10,
                end_s: 25
            })
        );
        // The last, partial second of the session counts.
        assert!(Window::new(50, 61, 60_400, 600).is_ok());
        assert_eq!(
            Window::new(25, 10, 60_000, 600),
            Err(WindowError::EndNotAfterStart {
                start_s: 25,
                end_s: 10
            })
        );
        assert!(matches!(
            Window::new(10, 10, 60_000, 600),
            Err(WindowError::EndNotAfterStart { .. })
        ));
        assert_eq!(
            Window::new(10, 62, 60_400, 600),
            Err(WindowError::BeyondSession {
                end_s: 62,
                duration_s: 61
            })
        );
        assert_eq!(
            Window::new(0, 601, 3_600_000, 600),
            Err(WindowError::TooLong {
                length_s: 601,
                max_s: 600
            })
        );
        assert_eq!(Window::new(0, 600, 3_600_000, 600).unwrap().length_s(), 600);
    }

    fn cue(start_ms: u64, end_ms: u64, text: &str) -> Cue {
        Cue {
            start_ms,
            end_ms,
            speaker: None,
            text: text.into(),
        }
    }

    #[test]
    fn a_clips_captions_are_the_cues_of_its_stretch_timed_from_its_start() {
        let cues = [
            cue(0, 4_000, "prima"),
            cue(4_000, 9_000, "a cavallo dell'inizio"),
            cue(10_000, 12_000, "dentro"),
            cue(19_000, 23_000, "a cavallo della fine"),
            cue(25_000, 27_000, "dopo"),
        ];
        let got = captions(&cues, 6_000, 20_000);
        let texts: Vec<(u64, u64, &str)> = got
            .iter()
            .map(|c| (c.start_ms, c.end_ms, c.text.as_str()))
            .collect();
        assert_eq!(
            texts,
            [
                (0, 3_000, "a cavallo dell'inizio"),
                (4_000, 6_000, "dentro"),
                (13_000, 14_000, "a cavallo della fine"),
            ]
        );
        assert!(captions(&cues, 30_000, 40_000).is_empty());
    }
}
