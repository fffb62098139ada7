//! Every child process aula starts (ffprobe, ffmpeg for posters and demo media, the
//! tools `aula doctor` asks, pg_dump and pg_restore, the speech engine) goes through here:
//! a time limit, the child killed if we give up on it, and errors that say what to do.
//! `run` is for a tool that runs to its end; `Conversation` for one that stays up and
//! answers a line for a line (the speech engine, which loads its model once); `Fed` for
//! one that reads a stream on its standard input for as long as it comes (a live
//! session). Long transcodes with progress use `ingest::transcode`, which shares
//! `ProcessError`. Nothing here knows what a tool is for; the caller adds that to the
//! error.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("cannot start {program}: {source}; make sure it is installed and in $PATH (or set its path in the configuration)")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("{program} did not finish within {seconds} s and was stopped")]
    Timeout { program: String, seconds: u64 },
    #[error("{program} failed ({status}): {stderr}")]
    Failed {
        program: String,
        status: String,
        stderr: String,
    },
    #[error("lost contact with {program}: {source}")]
    Io {
        program: String,
        source: std::io::Error,
    },
    #[error("{program} stopped ({status}): {stderr}")]
    Ended {
        program: String,
        status: String,
        stderr: String,
    },
    #[error("{program} was stopped: the work was cancelled")]
    Cancelled { program: String },
}

/// What a finished child printed.
#[derive(Debug)]
pub struct Output {
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Runs `program args…` to completion within `timeout`, killing it if it overruns.
/// A non-zero exit is an error carrying the tail of its standard error.
pub async fn run<I, S>(program: &Path, args: I, timeout: Duration) -> Result<Output, ProcessError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_with_env(program, args, &[], timeout).await
}

/// As `run`, with variables added to the child's environment: for what must not appear
/// in its arguments, where `ps` shows them to every user (a database password).
pub async fn run_with_env<I, S>(
    program: &Path,
    args: I,
    env: &[(&str, &str)],
    timeout: Duration,
) -> Result<Output, ProcessError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let (name, child) = spawn(program, args, env, Stdio::null())?;
    let output = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(result) => result.map_err(|source| ProcessError::Io {
            program: name.clone(),
            source,
        })?,
        // Dropping the future drops the child, which kills it (kill_on_drop).
        Err(_) => {
            return Err(ProcessError::Timeout {
                program: name,
                seconds: timeout.as_secs(),
            })
        }
    };
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() {
        return Err(ProcessError::Failed {
            program: name,
            status: output.status.to_string(),
            stderr: tail(&stderr, 600),
        });
    }
    Ok(Output {
        stdout: output.stdout,
        stderr,
    })
}

/// `program args…` started with `env` added, its output piped, killed when dropped; its
/// name for messages.
fn spawn<I, S>(
    program: &Path,
    args: I,
    env: &[(&str, &str)],
    stdin: Stdio,
) -> Result<(String, Child), ProcessError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let name = program_name(program);
    let child = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| ProcessError::Spawn {
            program: name.clone(),
            source,
        })?;
    Ok((name, child))
}

/// A child that stays up and answers lines with lines: started once, asked many times,
/// killed when dropped. Its standard error is kept (the last few KiB) for the error that
/// says why it stopped.
pub struct Conversation {
    name: String,
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr: Arc<Mutex<String>>,
}

/// How much of a conversing child's standard error is kept.
const STDERR_KEPT: usize = 8 * 1024;

impl Conversation {
    pub fn start<I, S>(program: &Path, args: I, env: &[(&str, &str)]) -> Result<Self, ProcessError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let (name, mut child) = spawn(program, args, env, Stdio::piped())?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            unreachable!("all three were asked to be piped")
        };
        let kept = keep_stderr(stderr);
        Ok(Conversation {
            name,
            child,
            stdin,
            stdout: BufReader::new(stdout).lines(),
            stderr: kept,
        })
    }

    /// Sends one line (a newline is added).
    pub async fn send(&mut self, line: &str) -> Result<(), ProcessError> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        let io = |source| ProcessError::Io {
            program: self.name.clone(),
            source,
        };
        self.stdin.write_all(&bytes).await.map_err(io)?;
        self.stdin.flush().await.map_err(|source| ProcessError::Io {
            program: self.name.clone(),
            source,
        })
    }

    /// The next line the child prints, waiting at most `limit` and giving up at once when
    /// `cancel` turns true (checked five times a second). The child is killed on a time
    /// out or a cancel: it may be in the middle of an answer that nobody will read.
    pub async fn receive(
        &mut self,
        limit: Duration,
        cancel: &AtomicBool,
    ) -> Result<String, ProcessError> {
        let deadline = tokio::time::Instant::now() + limit;
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tokio::select! {
                line = self.stdout.next_line() => {
                    return match line {
                        Ok(Some(line)) => Ok(line),
                        Ok(None) => Err(self.ended().await),
                        Err(source) => Err(ProcessError::Io { program: self.name.clone(), source }),
                    };
                }
                _ = tokio::time::sleep_until(deadline) => {
                    let _ = self.child.kill().await;
                    return Err(ProcessError::Timeout {
                        program: self.name.clone(),
                        seconds: limit.as_secs(),
                    });
                }
                _ = tick.tick() => {
                    if cancel.load(Ordering::Acquire) {
                        let _ = self.child.kill().await;
                        return Err(ProcessError::Cancelled { program: self.name.clone() });
                    }
                }
            }
        }
    }

    /// Why the child stopped talking: its exit status and the end of its standard error.
    async fn ended(&mut self) -> ProcessError {
        let status = match tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await {
            Ok(Ok(status)) => status.to_string(),
            Ok(Err(e)) => e.to_string(),
            Err(_) => "still running, but its output closed".to_string(),
        };
        // The standard error reader may still be taking the last lines in.
        tokio::time::sleep(Duration::from_millis(50)).await;
        stopped(&self.name, &self.stderr, status)
    }

    /// Ends the conversation: input closed, a moment to exit, then killed.
    pub async fn finish(mut self) {
        drop(self.stdin);
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// Keeps the last few KiB a child writes to its standard error, read as it comes.
fn keep_stderr(stderr: tokio::process::ChildStderr) -> Arc<Mutex<String>> {
    let kept = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&kept);
    tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Ok(mut kept) = sink.lock() {
                kept.push_str(&line);
                kept.push('\n');
                if kept.len() > 2 * STDERR_KEPT {
                    *kept = tail(&kept, STDERR_KEPT);
                }
            }
        }
    });
    kept
}

/// A child fed bytes on its standard input for as long as they come (ffmpeg packaging a
/// live stream): no time limit, since it runs as long as its feed; killed when dropped;
/// its standard error kept for the error that says why it stopped.
pub struct Fed {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stderr: Arc<Mutex<String>>,
}

impl Fed {
    pub fn start<I, S>(program: &Path, args: I) -> Result<Self, ProcessError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let (name, mut child) = spawn(program, args, &[], Stdio::piped())?;
        let (Some(stdin), Some(mut stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            unreachable!("all three were asked to be piped")
        };
        // Nothing is expected on standard output; read it so the child never blocks on it.
        tokio::spawn(async move {
            let _ = tokio::io::copy(&mut stdout, &mut tokio::io::sink()).await;
        });
        Ok(Fed {
            name,
            child,
            stdin: Some(stdin),
            stderr: keep_stderr(stderr),
        })
    }

    /// Writes `bytes` to the child; an error when it no longer reads (it stopped).
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), ProcessError> {
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(self.failure("its input was closed".into()));
        };
        if let Err(source) = stdin.write_all(bytes).await {
            let _ = self.child.kill().await;
            let status = format!("stopped reading its input: {source}");
            return Err(self.failure(status));
        }
        Ok(())
    }

    /// Closes the child's input and waits up to `grace` for it to finish what it has;
    /// killed past that. An error unless it exits successfully.
    pub async fn finish(mut self, grace: Duration) -> Result<(), ProcessError> {
        drop(self.stdin.take());
        let status = match tokio::time::timeout(grace, self.child.wait()).await {
            Ok(Ok(status)) if status.success() => return Ok(()),
            Ok(Ok(status)) => status.to_string(),
            Ok(Err(e)) => e.to_string(),
            Err(_) => {
                let _ = self.child.kill().await;
                return Err(ProcessError::Timeout {
                    program: self.name.clone(),
                    seconds: grace.as_secs(),
                });
            }
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err(self.failure(status))
    }

    fn failure(&self, status: String) -> ProcessError {
        stopped(&self.name, &self.stderr, status)
    }
}

/// A child that stopped: how, and the end of what it wrote to its standard error.
fn stopped(program: &str, kept: &Mutex<String>, status: String) -> ProcessError {
    let stderr = kept.lock().map(|kept| tail(&kept, 600)).unwrap_or_default();
    ProcessError::Ended {
        program: program.to_string(),
        status,
        stderr,
    }
}

pub fn program_name(program: &Path) -> String {
    program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| program.display().to_string())
}

/// The last `max` bytes of a message, cut at a character boundary, trimmed.
pub fn tail(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.len() <= max {
        return text.to_string();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &text[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn missing_program_says_what_to_do() {
        let err = run(
            Path::new("/nonexistent/ffprobe"),
            ["-h"],
            Duration::from_secs(5),
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("$PATH"), "{err}");
    }

    #[tokio::test]
    async fn overrunning_child_is_stopped() {
        let err = run(Path::new("sleep"), ["30"], Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(matches!(err, ProcessError::Timeout { .. }), "{err}");
    }

    #[tokio::test]
    async fn the_environment_reaches_the_child_but_not_its_arguments() {
        let out = run_with_env(
            Path::new("sh"),
            ["-c", "printf %s \"$AULA_TEST_SECRET\""],
            &[("AULA_TEST_SECRET", "s3cret")],
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        assert_eq!(out.stdout, b"s3cret");
    }

    #[tokio::test]
    async fn a_conversation_answers_line_for_line_and_says_why_it_ended() {
        let never = AtomicBool::new(false);
        let script = "read a; echo \"got $a\"; read b; echo \"got $b\"; echo bye >&2; exit 3";
        let mut c = Conversation::start(Path::new("sh"), ["-c", script], &[]).unwrap();
        for n in ["one", "two"] {
            c.send(n).await.unwrap();
            let got = c.receive(Duration::from_secs(5), &never).await.unwrap();
            assert_eq!(got, format!("got {n}"));
        }
        let err = c.receive(Duration::from_secs(5), &never).await.unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, ProcessError::Ended { .. }), "{text}");
        assert!(text.contains("bye") && text.contains('3'), "{text}");
    }

    #[tokio::test]
    async fn a_silent_conversation_times_out_or_is_cancelled() {
        let never = AtomicBool::new(false);
        let mut c = Conversation::start(Path::new("sleep"), ["30"], &[]).unwrap();
        let err = c
            .receive(Duration::from_millis(300), &never)
            .await
            .unwrap_err();
        assert!(matches!(err, ProcessError::Timeout { .. }), "{err}");
        let mut c = Conversation::start(Path::new("sleep"), ["30"], &[]).unwrap();
        let cancel = AtomicBool::new(true);
        let started = std::time::Instant::now();
        let err = c
            .receive(Duration::from_secs(20), &cancel)
            .await
            .unwrap_err();
        assert!(matches!(err, ProcessError::Cancelled { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn tail_keeps_the_end() {
        assert_eq!(tail("abcdef", 3), "…def");
        assert_eq!(tail(" ok ", 10), "ok");
    }
}
