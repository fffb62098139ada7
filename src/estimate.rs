//! How long `aula ingest DIR` will take on this machine, said before it starts, and how
//! many recordings to transcode at once. A clerk about to migrate twenty years of
//! sessions needs to know whether that is a weekend or a season.
//!
//! Recordings of one archive come in few shapes (the same camera, encoder and format for
//! years), and the time a recording takes is, to a good approximation, a fixed cost plus
//! a cost per second of media that depends only on its shape. So for each shape, its
//! longest recording is measured: planned whole as the job plans it (that reads all of
//! it), then two spans of it (`SHORT_S` and `LONG_S` seconds from the same point) run
//! through the job's own ffmpeg command; the line through the two timings gives the fixed
//! and per-second cost. How many cores the longer run kept busy says how many transcodes
//! the machine takes at once. The trial output goes to a scratch directory that is
//! removed afterwards; nothing in the archive changes.
//!
//! Spans are read from the original by ffmpeg's own seeking, not cut into excerpt files:
//! stream-copied excerpts lose frames in some legacy containers (RealMedia's video) and
//! cannot be written for some codecs in any container ffmpeg has.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::config::Config;
use crate::ingest::plan;
use crate::ingest::probe::{self, Probe};
use crate::process;
use crate::text::spoken_length;

/// Seconds of the two excerpts measured for each shape.
pub const SHORT_S: f64 = 6.0;
pub const LONG_S: f64 = 18.0;
/// Where in a recording the excerpts start, as a share of its length: past the opening
/// minutes, which are often a still picture or an empty chamber.
const START_AT: f64 = 0.3;
/// Per recording, besides its planning and its ffmpeg run: probing and storing it, the
/// checks and finishing files (poster, sprites, downloads), the catalog. On the build
/// machine: 0.1 s outside the job and 0.1–0.3 s of checks and finishing per recording,
/// over the 31 legacy formats of the tests made 40 s long.
const PER_FILE_S: f64 = 0.3;

/// What decides the time a recording takes per second of media: its container, its video
/// (codec, size, frame rate, interlacing) and its audio (codec, channels, rate).
pub fn shape_of(probe: &Probe) -> String {
    let video = probe.video.as_ref().map_or("no video".to_string(), |v| {
        format!(
            "{} {}x{} {:.0}fps{}",
            v.codec,
            v.width,
            v.height,
            v.fps.unwrap_or(0.0),
            if v.interlaced { " interlaced" } else { "" }
        )
    });
    let audio = probe.audio.as_ref().map_or("no audio".to_string(), |a| {
        format!(
            "{} {}ch {}Hz",
            a.codec,
            a.channels,
            a.sample_rate.unwrap_or(0)
        )
    });
    format!("{}, {video}, {audio}", probe.container)
}

/// The cost of one shape: wall seconds `fixed_s + per_media_s × duration`, keeping
/// `cores` of the machine busy meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rate {
    pub fixed_s: f64,
    pub per_media_s: f64,
    pub cores: f64,
}

impl Rate {
    /// The line through two timed runs `(media seconds, wall seconds)`. Timings on a busy
    /// machine can make the short run look slower per second than the long one would
    /// allow; the costs are kept at zero or more.
    pub fn through(short: (f64, f64), long: (f64, f64), cores: f64) -> Rate {
        let (s_media, s_wall) = short;
        let (l_media, l_wall) = long;
        let slope = (l_wall - s_wall) / (l_media - s_media);
        // A slope that is not positive (or not a number) says the timings were disturbed:
        // the long run alone, through the origin, is then the rate.
        let per = match slope > 0.0 && slope.is_finite() {
            true => slope,
            false => l_wall / l_media.max(1e-3),
        };
        Rate {
            fixed_s: (l_wall - per * l_media).max(0.0),
            per_media_s: per,
            cores,
        }
    }

    pub fn seconds(&self, duration_s: f64) -> f64 {
        PER_FILE_S + self.fixed_s + self.per_media_s * duration_s
    }
}

/// How many recordings to transcode at once: as many as fit in the machine's cores,
/// given how many one keeps busy, and at least one.
pub fn at_once(available: usize, cores_per_job: f64) -> usize {
    let fit = (available as f64 / cores_per_job.max(0.5) + 0.2).floor() as usize;
    fit.clamp(1, available.max(1))
}

/// The wall time of running `walls` in this order, `slots` at a time, each starting as
/// soon as a slot is free (what the batch does).
pub fn makespan(walls: &[f64], slots: usize) -> f64 {
    let mut free_at = vec![0.0f64; slots.max(1)];
    for w in walls {
        let first = free_at
            .iter_mut()
            .min_by(|a, b| a.total_cmp(b))
            .expect("at least one slot");
        *first += w;
    }
    free_at.into_iter().fold(0.0, f64::max)
}

/// How a shape was measured, and its rate.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    /// The recording measured (the longest of its shape).
    pub file: String,
    /// True when two spans of it were timed; false when it was short and ran whole.
    pub spans: bool,
    #[serde(flatten)]
    pub rate: Rate,
}

/// One recording's part of the estimate.
#[derive(Debug, Clone, Serialize)]
pub struct FileEstimate {
    pub file: String,
    pub duration_s: f64,
    pub shape: String,
    /// None when its shape could not be measured (`Estimate::unmeasured` says why).
    pub seconds: Option<f64>,
}

/// The whole batch: said before it starts, compared with what happened at the end.
#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    pub media_s: f64,
    /// Wall seconds for the measured recordings, `at_once` at a time.
    pub seconds: f64,
    pub at_once: usize,
    /// Seconds spent measuring (not included in `seconds`).
    pub measuring_s: f64,
    pub shapes: BTreeMap<String, Measured>,
    /// Shapes that could not be measured, with the reason; their recordings are left out
    /// of `seconds` (they will most likely fail the same way in the ingest).
    pub unmeasured: BTreeMap<String, String>,
    pub files: Vec<FileEstimate>,
}

impl Estimate {
    /// What the person starting the batch reads.
    pub fn to_text(&self) -> String {
        let measured = self.files.iter().filter(|f| f.seconds.is_some()).count();
        let mut out = format!(
            "estimate: {} recordings, {} of media, about {} on this machine, {} at a time \
             ({} shape(s) measured in {:.0} s)",
            self.files.len(),
            spoken_length(self.media_s),
            spoken_length(self.seconds),
            self.at_once,
            self.shapes.len(),
            self.measuring_s
        );
        if measured < self.files.len() {
            out.push_str(&format!(
                "\n  {} recording(s) not counted: their shape could not be measured",
                self.files.len() - measured
            ));
            for (shape, why) in &self.unmeasured {
                out.push_str(&format!("\n    {shape}: {why}"));
            }
        }
        out
    }
}

/// Probes every file, measures one recording of each shape, and estimates the batch.
/// `at_once_set`: a number set by the operator, or None to fit the machine. Recordings
/// already in the archive are counted too: they are recognised by their checksum, which
/// is only computed when each is stored.
pub async fn estimate(config: &Config, files: &[PathBuf], at_once_set: Option<usize>) -> Estimate {
    let began = Instant::now();
    let mut probed = Vec::new();
    for file in files {
        // A file ffprobe cannot read is refused by the ingest itself; it counts no time.
        if let Ok((p, _)) = probe::probe_file(&config.ffprobe, file).await {
            probed.push((file, p));
        }
    }
    // The longest recording of each shape is measured: its spans start furthest from an
    // opening still, and it is the one whose error would cost most.
    let mut longest: BTreeMap<String, &(&PathBuf, Probe)> = BTreeMap::new();
    for probed in &probed {
        let entry = longest.entry(shape_of(&probed.1)).or_insert(probed);
        if probed.1.duration_s > entry.1.duration_s {
            *entry = probed;
        }
    }
    let mut shapes = BTreeMap::new();
    let mut unmeasured = BTreeMap::new();
    for (shape, (file, p)) in longest {
        match measure(config, file, p).await {
            Ok((rate, spans)) => {
                let file = file.display().to_string();
                shapes.insert(shape, Measured { file, spans, rate });
            }
            Err(why) => {
                unmeasured.insert(shape, why);
            }
        }
    }
    let files: Vec<FileEstimate> = probed
        .iter()
        .map(|(file, p)| {
            let shape = shape_of(p);
            FileEstimate {
                file: file.display().to_string(),
                duration_s: p.duration_s,
                seconds: shapes.get(&shape).map(|m| m.rate.seconds(p.duration_s)),
                shape,
            }
        })
        .collect();
    let available = std::thread::available_parallelism().map_or(1, |n| n.get());
    let busiest = shapes.values().map(|m| m.rate.cores).fold(1.0, f64::max);
    let at_once = at_once_set.unwrap_or_else(|| at_once(available, busiest));
    let walls: Vec<f64> = files.iter().filter_map(|f| f.seconds).collect();
    Estimate {
        media_s: files.iter().map(|f| f.duration_s).sum(),
        seconds: makespan(&walls, at_once),
        at_once,
        measuring_s: began.elapsed().as_secs_f64(),
        shapes,
        unmeasured,
        files,
    }
}

/// The rate of `file`'s shape: the recording planned whole as the job plans it (the key
/// frame scan and the loudness measurement read all of it), then two spans of it
/// transcoded as the job would. A recording too short for two spans is transcoded whole.
async fn measure(config: &Config, file: &Path, probe: &Probe) -> Result<(Rate, bool), String> {
    let scratch = tempfile::Builder::new()
        .prefix("aula-estimate-")
        .tempdir()
        .map_err(|e| format!("cannot make a scratch directory: {e}"))?;
    let dir = scratch.path();
    let whole = probe.duration_s;
    if whole <= 0.0 {
        return Err("the recording states no length".into());
    }
    let began = Instant::now();
    let sources = [file.to_path_buf()];
    let planned = crate::jobs::plan_for(config, &sources, std::slice::from_ref(probe), true)
        .await
        .map_err(|e| format!("cannot plan it: {e}"))?;
    let planning_per_s = began.elapsed().as_secs_f64() / whole;
    let trial = |span: Option<(f64, f64)>, name: &'static str| {
        timed_transcode(config, file, &planned, span, dir.join(name))
    };
    if whole < LONG_S * 1.5 {
        let t = trial(None, "whole").await?;
        let rate = Rate {
            fixed_s: 0.0,
            per_media_s: planning_per_s + t.wall / whole,
            cores: t.cores,
        };
        return Ok((rate, false));
    }
    let start = (whole * START_AT).min(whole - LONG_S);
    let short = trial(Some((start, SHORT_S)), "short").await?;
    let long = trial(Some((start, LONG_S)), "long").await?;
    let mut rate = Rate::through((SHORT_S, short.wall), (LONG_S, long.wall), long.cores);
    rate.per_media_s += planning_per_s;
    Ok((rate, true))
}

struct Timed {
    wall: f64,
    cores: f64,
}

/// The job's ffmpeg run for `planned`, on `span` (start, seconds) of `file` or all of it,
/// into a scratch output `out`: its wall time and the cores it kept busy.
async fn timed_transcode(
    config: &Config,
    file: &Path,
    planned: &plan::Plan,
    span: Option<(f64, f64)>,
    out: PathBuf,
) -> Result<Timed, String> {
    tokio::fs::create_dir_all(out.join(plan::THUMBNAIL_DIR))
        .await
        .map_err(|e| format!("cannot make a scratch directory: {e}"))?;
    let mut runs = plan::ffmpeg_runs(planned, &[file], &out);
    if let Some((start, seconds)) = span {
        for args in &mut runs {
            limit_inputs(args, start, seconds);
        }
    }
    let cpu_before = children_cpu_s();
    let began = Instant::now();
    let timeout = config.transcode_timeout(planned.source_duration_s);
    let ran = futures_util::future::join_all(
        runs.iter()
            .map(|args| process::run(&config.ffmpeg, args, timeout)),
    )
    .await;
    for r in ran {
        r.map_err(|e| format!("the trial transcode failed: {e}"))?;
    }
    let wall = began.elapsed().as_secs_f64();
    let cpu = children_cpu_s() - cpu_before;
    Ok(Timed {
        wall,
        cores: if wall > 0.0 { cpu / wall } else { 1.0 },
    })
}

/// Every input of an ffmpeg command read only from `start` for `seconds` (input options:
/// ffmpeg seeks in the source). Every one: a fully copied source is also read by a second,
/// key-frames-only input for its thumbnails, which otherwise reads the whole recording in
/// each trial (measured: a 1,200 s remux estimated at 104 s, which took 11 s).
fn limit_inputs(args: &mut Vec<String>, start: f64, seconds: f64) {
    let mut at = 0;
    while let Some(i) = args[at..].iter().position(|a| a == "-i").map(|i| i + at) {
        let limit = [
            "-ss".into(),
            format!("{start:.3}"),
            "-t".into(),
            format!("{seconds:.3}"),
        ];
        args.splice(i..i, limit);
        at = i + 6;
    }
}

/// CPU seconds (user and system) of this process's finished children so far.
fn children_cpu_s() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) } != 0 {
        return 0.0;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_through_two_runs_gives_fixed_and_per_second_costs() {
        let r = Rate::through((6.0, 2.0), (18.0, 5.0), 1.8);
        assert!((r.per_media_s - 0.25).abs() < 1e-9);
        assert!((r.fixed_s - 0.5).abs() < 1e-9);
        // A two-hour session of that shape: the per-file cost + 0.5 s + 1,800 s.
        assert!((r.seconds(7200.0) - PER_FILE_S - 1800.5).abs() < 1e-9);
        // A short run slower than the long one allows (a busy moment): no negative cost.
        let r = Rate::through((6.0, 6.0), (18.0, 5.0), 1.0);
        assert!(r.per_media_s > 0.0 && r.fixed_s >= 0.0);
        assert!((r.seconds(18.0) - PER_FILE_S - 5.0).abs() < 1e-9);
    }

    #[test]
    fn a_span_limits_every_input_of_every_run() {
        let fixture = include_str!("../tests/fixtures/probe/mpeg2_pal_interlaced.json");
        let mut source = probe::parse(fixture).unwrap();
        let v = source.video.as_mut().unwrap();
        // An H.264 source of the smallest rung's size: every video rung is copied, the
        // thumbnails come from a second input, the audio rung from a second run.
        (v.codec, v.width, v.height, v.interlaced, v.sar) =
            ("h264".into(), 320, 240, false, (1, 1));
        (v.profile, v.level, v.pix_fmt) = (Some("High".into()), Some(30), Some("yuv420p".into()));
        let profiles = plan::Profile::load_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("transcode-profiles"),
        )
        .unwrap();
        let sd = profiles.iter().find(|p| p.name == "sd").unwrap();
        let planned = plan::plan(&[source], &[0.0, 2.0, 4.0], sd);
        let mut runs = plan::ffmpeg_runs(&planned, &[Path::new("in.mp4")], Path::new("/o"));
        assert_eq!(runs.len(), 2, "{planned:?}");
        assert_eq!(runs[0].iter().filter(|a| *a == "-i").count(), 2);
        for args in &mut runs {
            limit_inputs(args, 30.0, 6.0);
            let inputs: Vec<usize> = (0..args.len()).filter(|&i| args[i] == "-i").collect();
            for i in inputs {
                assert_eq!(args[i - 4..i], ["-ss", "30.000", "-t", "6.000"], "{args:?}");
            }
        }
    }

    #[test]
    fn as_many_at_once_as_the_cores_take() {
        assert_eq!(at_once(2, 1.9), 1, "a transcode keeps both cores busy");
        assert_eq!(at_once(2, 1.0), 2, "a remux keeps one");
        assert_eq!(at_once(2, 0.2), 2, "never more than the cores");
        assert_eq!(at_once(16, 1.9), 8);
        assert_eq!(at_once(1, 3.0), 1);
    }

    #[test]
    fn the_batch_runs_in_order_in_the_first_free_slot() {
        assert_eq!(makespan(&[10.0, 1.0, 1.0, 1.0], 2), 10.0);
        assert_eq!(makespan(&[1.0, 1.0, 1.0, 10.0], 2), 11.0);
        assert_eq!(makespan(&[3.0, 4.0], 1), 7.0);
        assert_eq!(makespan(&[], 2), 0.0);
    }

    #[test]
    fn recordings_of_one_camera_share_a_shape() {
        let p = probe::parse(include_str!(
            "../tests/fixtures/probe/mpeg2_pal_interlaced.json"
        ))
        .unwrap();
        assert_eq!(
            shape_of(&p),
            "mpeg, mpeg2video 720x576 25fps interlaced, mp2 2ch 48000Hz"
        );
    }
}
