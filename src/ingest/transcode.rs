//! Runs one long ffmpeg job through the `ffmpeg-sidecar` crate: progress events out, a
//! deadline and a cancel flag in, the child killed on either. It does not decide what
//! ffmpeg does (that is `plan`) nor where the output goes (that is `publish`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ffmpeg_sidecar::command::FfmpegCommand;
use ffmpeg_sidecar::event::{FfmpegEvent, LogLevel};

use crate::process::{program_name, tail, ProcessError};

/// A progress report: how far into the source, and how fast.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub done_s: f64,
    pub total_s: f64,
    /// Multiple of real time, as ffmpeg reports it.
    pub speed: Option<f64>,
}

impl Progress {
    pub fn percent(&self) -> f64 {
        if self.total_s <= 0.0 {
            return 0.0;
        }
        (self.done_s / self.total_s * 100.0).clamp(0.0, 100.0)
    }

    pub fn eta_seconds(&self) -> Option<i64> {
        let speed = self.speed.filter(|s| *s > 0.0)?;
        Some(((self.total_s - self.done_s).max(0.0) / speed).round() as i64)
    }
}

/// Runs ffmpeg with `args` on a blocking thread, calling `on_progress` for each progress
/// line. Kills ffmpeg when `timeout` passes or `cancel` is set. On success, returns the
/// error messages ffmpeg logged while still finishing (decoding errors in a damaged source).
pub async fn run_ffmpeg(
    ffmpeg: PathBuf,
    args: Vec<String>,
    total_s: f64,
    timeout: Duration,
    cancel: Arc<AtomicBool>,
    on_progress: impl Fn(Progress) + Send + 'static,
) -> Result<Vec<String>, ProcessError> {
    tokio::task::spawn_blocking(move || {
        run_blocking(&ffmpeg, &args, total_s, timeout, &cancel, &on_progress)
    })
    .await
    .map_err(|e| ProcessError::Io {
        program: "ffmpeg".into(),
        source: std::io::Error::other(e.to_string()),
    })?
}

fn run_blocking(
    ffmpeg: &std::path::Path,
    args: &[String],
    total_s: f64,
    timeout: Duration,
    cancel: &Arc<AtomicBool>,
    on_progress: &dyn Fn(Progress),
) -> Result<Vec<String>, ProcessError> {
    let program = program_name(ffmpeg);
    let (child, events) = spawn_ffmpeg(ffmpeg, args, &program)?;
    // The watchdog kills ffmpeg on deadline or cancel; the event loop below then ends
    // because ffmpeg's stderr closes.
    let finished = Arc::new(AtomicBool::new(false));
    let timed_out = Arc::new(AtomicBool::new(false));
    let watchdog = spawn_watchdog(&child, &finished, &timed_out, timeout, cancel);
    let logged = read_events(events, total_s, on_progress);
    finished.store(true, Ordering::Release);
    let _ = watchdog.join();
    let status = child
        .lock()
        .map_err(|_| io_err(&program, "ffmpeg handle poisoned"))?
        .wait()
        .map_err(|source| ProcessError::Io {
            program: program.clone(),
            source,
        })?;
    verdict(
        program,
        timeout,
        timed_out.load(Ordering::Acquire),
        cancel.load(Ordering::Acquire),
        status,
        logged,
    )
}

type SharedChild = Arc<Mutex<ffmpeg_sidecar::child::FfmpegChild>>;

/// Starts ffmpeg (dying with this thread) and opens its event stream.
fn spawn_ffmpeg(
    ffmpeg: &std::path::Path,
    args: &[String],
    program: &str,
) -> Result<(SharedChild, ffmpeg_sidecar::iter::FfmpegIterator), ProcessError> {
    let mut command = FfmpegCommand::new_with_path(ffmpeg);
    command.args(args);
    die_with_parent(command.as_inner_mut());
    let child = command.spawn().map_err(|source| ProcessError::Spawn {
        program: program.to_string(),
        source,
    })?;
    let child = Arc::new(Mutex::new(child));
    let events = child
        .lock()
        .map_err(|_| io_err(program, "ffmpeg handle poisoned"))?
        .iter()
        .map_err(|e| io_err(program, &e.to_string()))?;
    Ok((child, events))
}

/// Kills ffmpeg once `timeout` passes or `cancel` is set, unless `finished` comes first;
/// `timed_out` tells which of the two it was.
fn spawn_watchdog(
    child: &SharedChild,
    finished: &Arc<AtomicBool>,
    timed_out: &Arc<AtomicBool>,
    timeout: Duration,
    cancel: &Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let child = Arc::clone(child);
    let finished = Arc::clone(finished);
    let timed_out = Arc::clone(timed_out);
    let started = Instant::now();
    let cancel = Arc::clone(cancel);
    std::thread::spawn(move || {
        while !finished.load(Ordering::Acquire) {
            let late = started.elapsed() > timeout;
            if late || cancel.load(Ordering::Acquire) {
                timed_out.store(late, Ordering::Release);
                if let Ok(mut c) = child.lock() {
                    let _ = c.kill();
                }
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    })
}

/// What ffmpeg logged worth keeping: its error lines, and ffmpeg-sidecar's own.
#[derive(Debug, Default)]
struct Logged {
    errors: Vec<String>,
    sidecar: Vec<String>,
}

/// Reports progress until ffmpeg's stderr closes, keeping the first few error lines.
fn read_events(
    events: impl Iterator<Item = FfmpegEvent>,
    total_s: f64,
    on_progress: &dyn Fn(Progress),
) -> Logged {
    let mut logged = Logged::default();
    for event in events {
        match event {
            FfmpegEvent::Progress(p) => on_progress(Progress {
                done_s: parse_time(&p.time).unwrap_or(0.0),
                total_s,
                speed: (p.speed > 0.0).then_some(p.speed as f64),
            }),
            FfmpegEvent::Log(LogLevel::Error | LogLevel::Fatal, line)
                if logged.errors.len() < 20 =>
            {
                logged.errors.push(line);
            }
            // ffmpeg-sidecar's own complaints (lines it could not parse, such as the
            // stream list of a run with several outputs): kept for a failure message only.
            FfmpegEvent::Error(line) if logged.sidecar.len() < 5 => logged.sidecar.push(line),
            _ => {}
        }
    }
    logged
}

/// How the run ended: a deadline or a cancel outranks ffmpeg's own exit status.
fn verdict(
    program: String,
    timeout: Duration,
    timed_out: bool,
    cancelled: bool,
    status: std::process::ExitStatus,
    logged: Logged,
) -> Result<Vec<String>, ProcessError> {
    if timed_out {
        return Err(ProcessError::Timeout {
            program,
            seconds: timeout.as_secs(),
        });
    }
    if cancelled {
        return Err(ProcessError::Failed {
            program,
            status: "cancelled".into(),
            stderr: "the job was cancelled".into(),
        });
    }
    if !status.success() {
        return Err(ProcessError::Failed {
            program,
            status: status.to_string(),
            stderr: tail(
                &logged
                    .errors
                    .iter()
                    .chain(&logged.sidecar)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n"),
                600,
            ),
        });
    }
    Ok(logged.errors)
}

/// On Linux, ffmpeg is killed when the thread that started it dies, so a worker killed
/// with SIGKILL leaves no ffmpeg writing into a staging directory another worker reuses.
#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe and touches only the child being set up.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut std::process::Command) {}

fn io_err(program: &str, message: &str) -> ProcessError {
    ProcessError::Io {
        program: program.to_string(),
        source: std::io::Error::other(message.to_string()),
    }
}

/// "00:01:02.50" → 62.5
fn parse_time(text: &str) -> Option<f64> {
    let mut seconds = 0.0;
    for part in text.trim().split(':') {
        seconds = seconds * 60.0 + part.parse::<f64>().ok()?;
    }
    (seconds >= 0.0).then_some(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_arithmetic() {
        assert_eq!(parse_time("00:01:02.50"), Some(62.5));
        assert_eq!(parse_time("N/A"), None);
        let p = Progress {
            done_s: 30.0,
            total_s: 120.0,
            speed: Some(3.0),
        };
        assert_eq!(p.percent(), 25.0);
        assert_eq!(p.eta_seconds(), Some(30));
    }

    #[cfg(unix)]
    #[test]
    fn verdict_ranks_deadline_then_cancel_then_exit_status() {
        use std::os::unix::process::ExitStatusExt;
        let ok = std::process::ExitStatus::from_raw(0);
        let failed = std::process::ExitStatus::from_raw(1 << 8);
        let logged = || Logged {
            errors: vec!["bad frame".into()],
            sidecar: vec!["unparsed line".into()],
        };
        let t = Duration::from_secs(7);
        let run = |timed_out, cancelled, status| {
            verdict("ffmpeg".into(), t, timed_out, cancelled, status, logged())
        };
        assert!(matches!(
            run(true, true, failed),
            Err(ProcessError::Timeout { seconds: 7, .. })
        ));
        assert!(matches!(
            run(false, true, failed),
            Err(ProcessError::Failed { status, .. }) if status == "cancelled"
        ));
        match run(false, false, failed) {
            Err(ProcessError::Failed { stderr, .. }) => {
                assert_eq!(stderr, "bad frame\nunparsed line")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            run(false, false, ok).ok(),
            Some(vec!["bad frame".to_string()])
        );
    }
}
