//! What ffmpeg can tell about a source beyond ffprobe's header reading: how loud its speech
//! is (EBU R128 integrated loudness), and how much of it really decodes and where it is
//! damaged. Parsing is separate from running so both are unit-tested on stored output.

use std::path::Path;
use std::time::Duration;

use crate::process::{self, ProcessError};

/// Integrated loudness (LUFS) of one audio stream, from ffmpeg's `ebur128` filter; None
/// when the measurement has no answer (silence).
pub async fn integrated_loudness(
    ffmpeg: &Path,
    input: &Path,
    audio_stream: u32,
    timeout: Duration,
) -> Result<Option<f64>, ProcessError> {
    let map = format!("0:{audio_stream}");
    let args = [
        "-hide_banner".as_ref(),
        "-nostdin".as_ref(),
        "-nostats".as_ref(),
        "-i".as_ref(),
        input.as_os_str(),
        "-map".as_ref(),
        map.as_ref(),
        "-af".as_ref(),
        "ebur128=framelog=verbose".as_ref(),
        "-f".as_ref(),
        "null".as_ref(),
        "-".as_ref(),
    ];
    let output = process::run(ffmpeg, args, timeout).await?;
    Ok(parse_integrated_loudness(&output.stderr))
}

/// The `I: -20.1 LUFS` line of the ebur128 summary.
pub fn parse_integrated_loudness(stderr: &str) -> Option<f64> {
    let summary = &stderr[stderr.rfind("Summary:")?..];
    summary.lines().find_map(|line| {
        let value = line
            .trim()
            .strip_prefix("I:")?
            .trim()
            .strip_suffix("LUFS")?;
        value.trim().parse::<f64>().ok().filter(|v| v.is_finite())
    })
}

/// Loudness of several parts taken together: their energies averaged by duration.
pub fn combine_loudness(parts: &[(Option<f64>, f64)]) -> Option<f64> {
    let (mut energy, mut total) = (0.0, 0.0);
    for (lufs, seconds) in parts {
        if let Some(l) = lufs {
            energy += 10f64.powf(l / 10.0) * seconds;
            total += seconds;
        }
    }
    (total > 0.0 && energy > 0.0).then(|| 10.0 * (energy / total).log10())
}

/// What a full decode of a source found.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// Seconds of media that decode (from the first frame to the end of the last).
    pub duration_s: f64,
    /// Time ranges (seconds) around which the decoders reported errors, merged.
    pub damaged: Vec<(f64, f64)>,
}

/// Decodes `input` completely (video and audio) and reports how much decodes and where
/// the decoders complained. ffmpeg writes one checksum line per decoded frame and its
/// error messages to the same stream, in order, so each error falls between two frame
/// times.
pub async fn decode_check(
    ffmpeg: &Path,
    input: &Path,
    trim: Option<(f64, f64)>,
    streams: &[u32],
    timeout: Duration,
) -> Result<Decoded, ProcessError> {
    let mut args: Vec<std::ffi::OsString> = ["-hide_banner", "-nostdin", "-nostats", "-v", "error"]
        .iter()
        .map(Into::into)
        .collect();
    args.extend(["-fflags".into(), "+genpts".into()]);
    args.extend(super::plan::trim_args(trim).into_iter().map(Into::into));
    args.push("-i".into());
    args.push(input.as_os_str().to_owned());
    for s in streams {
        args.extend(["-map".into(), format!("0:{s}").into()]);
    }
    args.extend(
        // Never give up on a badly damaged file: its good parts are what is measured.
        [
            "-max_error_rate",
            "1",
            "-flush_packets",
            "1",
            "-f",
            "framecrc",
            "pipe:2",
        ]
        .iter()
        .map(Into::into),
    );
    // A decode error is not a failure here: it is what we are looking for.
    let stderr = match process::run(ffmpeg, &args, timeout).await {
        Ok(output) => output.stderr,
        Err(ProcessError::Failed { stderr, .. }) => stderr,
        Err(other) => return Err(other),
    };
    Ok(parse_framecrc(&stderr))
}

/// Reads framecrc lines (`#tb 0: 1/25`, `0, 0, 0, 1, 622080, 0x…`) mixed with error
/// messages.
pub fn parse_framecrc(text: &str) -> Decoded {
    let mut time_bases: Vec<(usize, f64)> = Vec::new();
    let (mut first, mut last_end) = (f64::MAX, 0.0_f64);
    let mut last_seen: Option<f64> = None;
    let mut open_error: Option<f64> = None;
    let mut damaged: Vec<(f64, f64)> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("#tb ") {
            if let Some((index, tb)) = rest.split_once(':') {
                if let (Ok(i), Some((n, d))) = (index.trim().parse(), tb.trim().split_once('/')) {
                    if let (Ok(n), Ok(d)) = (n.parse::<f64>(), d.parse::<f64>()) {
                        if d > 0.0 {
                            time_bases.push((i, n / d));
                        }
                    }
                }
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let frame = (fields.len() >= 5)
            .then(|| {
                let stream: usize = fields[0].parse().ok()?;
                let pts: i64 = fields[2].parse().ok()?;
                let duration: i64 = fields[3].parse().ok()?;
                let tb = time_bases.iter().find(|(i, _)| *i == stream)?.1;
                Some((pts as f64 * tb, (pts + duration.max(0)) as f64 * tb))
            })
            .flatten();
        match frame {
            Some((start, end)) => {
                first = first.min(start);
                last_end = last_end.max(end);
                last_seen = Some(start);
                if let Some(from) = open_error.take() {
                    push_range(&mut damaged, from, start.max(from));
                }
            }
            None => {
                // An error message: damage begins at the last frame seen.
                if open_error.is_none() {
                    open_error = Some(last_seen.unwrap_or(0.0));
                }
            }
        }
    }
    if let Some(from) = open_error {
        push_range(&mut damaged, from, last_end.max(from));
    }
    let duration_s = if first == f64::MAX {
        0.0
    } else {
        (last_end - first.min(0.0).max(first)).max(0.0)
    };
    let offset = if first == f64::MAX { 0.0 } else { first };
    Decoded {
        duration_s,
        damaged: damaged
            .into_iter()
            .map(|(a, b)| ((a - offset).max(0.0), (b - offset).max(0.0)))
            .collect(),
    }
}

/// Adds a range, merging it with the previous one when they are within a second.
fn push_range(ranges: &mut Vec<(f64, f64)>, from: f64, to: f64) {
    if let Some(last) = ranges.last_mut() {
        if from <= last.1 + 1.0 {
            last.1 = last.1.max(to);
            return;
        }
    }
    ranges.push((from, to));
}

/// "00:01:02" for warnings a clerk reads.
pub use crate::text::hms as clock;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loudness_summary() {
        let stderr = "[Parsed_ebur128_0 @ 0x1] t: 1.2 M: -30 S: -30 I: -29.0 LUFS\n\
            [Parsed_ebur128_0 @ 0x1] Summary:\n\n  Integrated loudness:\n    I:         -31.4 LUFS\n\
            \x20   Threshold: -41.6 LUFS\n";
        assert_eq!(parse_integrated_loudness(stderr), Some(-31.4));
        assert_eq!(parse_integrated_loudness("no summary"), None);
        let silence = "Summary:\n  Integrated loudness:\n    I:         -inf LUFS\n";
        assert_eq!(parse_integrated_loudness(silence), None);
    }

    #[test]
    fn loudness_of_parts_is_energy_weighted() {
        let same = combine_loudness(&[(Some(-20.0), 10.0), (Some(-20.0), 30.0)]).unwrap();
        assert!((same + 20.0).abs() < 1e-9);
        let mixed = combine_loudness(&[(Some(-20.0), 10.0), (Some(-30.0), 10.0)]).unwrap();
        assert!(mixed > -23.0 && mixed < -22.0, "{mixed}");
        assert_eq!(combine_loudness(&[(None, 10.0)]), None);
    }

    #[test]
    fn clean_decode_has_its_length_and_no_damage() {
        let text = "#tb 0: 1/25\n#media_type 0: video\n#tb 1: 1/48000\n\
            0, 0, 0, 1, 100, 0x1\n1, 0, 0, 1152, 4608, 0x2\n0, 1, 1, 1, 100, 0x3\n\
            0, 99, 99, 1, 100, 0x4\n";
        let d = parse_framecrc(text);
        assert!((d.duration_s - 4.0).abs() < 1e-9, "{d:?}");
        assert!(d.damaged.is_empty());
    }

    #[test]
    fn errors_between_frames_name_the_damaged_range() {
        let mut text = String::from("#tb 0: 1/25\n");
        for n in 0..300 {
            text.push_str(&format!("0, {n}, {n}, 1, 100, 0x1\n"));
            if n == 100 || n == 110 {
                text.push_str("[mpeg2video @ 0x5] ac-tex damaged at 12 20\n");
            }
        }
        let d = parse_framecrc(&text);
        assert_eq!(d.damaged.len(), 1, "{d:?}");
        let (a, b) = d.damaged[0];
        assert!(
            (a - 4.0).abs() < 0.05 && (b - 4.44).abs() < 0.05,
            "{a}..{b}"
        );
        assert!((d.duration_s - 12.0).abs() < 1e-9);
        assert_eq!(clock(3725.4), "01:02:05");
    }
}
