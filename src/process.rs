//! Every child process aula starts (ffprobe, ffmpeg for posters and demo media, the
//! tools `aula doctor` asks, pg_dump and pg_restore) goes through here: a time limit, the
//! child killed if we give up on it, and errors that say what to do. Long transcodes with
//! progress use `ingest::transcode`, which shares `ProcessError`. Nothing here knows what
//! a tool is for; the caller adds that to the error.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

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
    let name = program_name(program);
    let child = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| ProcessError::Spawn {
            program: name.clone(),
            source,
        })?;
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

    #[test]
    fn tail_keeps_the_end() {
        assert_eq!(tail("abcdef", 3), "…def");
        assert_eq!(tail(" ok ", 10), "ok");
    }
}
