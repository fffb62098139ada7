//! The speech engine as aula talks to it: `asr/aula_asr.py` (faster-whisper) started as a
//! child through `process::Conversation`, its model loaded once, then asked for one chunk
//! of audio at a time. What it says is read into `Heard`: words with their times and
//! probabilities. It knows nothing of sessions, jobs or the catalog.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde::Deserialize;

use crate::config::Config;
use crate::process::{Conversation, ProcessError};

/// Above this gzip ratio a segment's text is a loop, not speech (Whisper's threshold).
const LOOP_COMPRESSION: f64 = 2.4;

/// How long the engine may take to load its model (a large model from a slow disk).
const LOAD_LIMIT: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("the speech engine is not available: {0}")]
    Unavailable(String),
    #[error("the speech engine failed: {0}")]
    Failed(String),
    #[error("the speech engine took longer than {seconds} s over one chunk and was stopped")]
    Hung { seconds: u64 },
    #[error("the speech engine was stopped: the job was cancelled")]
    Cancelled,
    #[error("the speech engine said something that is not its protocol: {0}")]
    Protocol(String),
}

impl EngineError {
    /// Failures another attempt cannot fix until an operator acts (no engine, no model).
    pub fn is_setup(&self) -> bool {
        matches!(self, EngineError::Unavailable(_))
    }
}

impl From<ProcessError> for EngineError {
    fn from(e: ProcessError) -> Self {
        match e {
            ProcessError::Spawn { .. } => EngineError::Unavailable(format!(
                "{e}; install it with scripts/install-deps.sh, or set AULA_ASR_PYTHON"
            )),
            ProcessError::Timeout { seconds, .. } => EngineError::Hung { seconds },
            ProcessError::Cancelled { .. } => EngineError::Cancelled,
            other => EngineError::Failed(other.to_string()),
        }
    }
}

/// One word as heard: its text as the engine spelt it (with its leading space), its time
/// within the chunk, and how sure the engine was (0–1).
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub text: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub probability: f64,
}

#[cfg(test)]
impl Word {
    /// A word heard with a probability of 0.9, for tests.
    pub(crate) fn heard(text: &str, start_ms: i64, end_ms: i64) -> Word {
        Word {
            text: text.into(),
            start_ms,
            end_ms,
            probability: 0.9,
        }
    }
}

/// What the engine heard in one chunk.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Heard {
    pub words: Vec<Word>,
    /// The chunk's length as the engine read it.
    pub duration_ms: i64,
}

/// One line of the engine's protocol (see `asr/aula_asr.py`).
#[derive(Debug, Deserialize)]
struct Line {
    ready: Option<bool>,
    engine: Option<String>,
    error: Option<String>,
    progress: Option<f64>,
    segments: Option<Vec<Segment>>,
    duration: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct Segment {
    avg_logprob: f64,
    no_speech_prob: f64,
    /// gzip's ratio over the segment's text; absent from engines that do not say it.
    #[serde(default)]
    compression_ratio: f64,
    words: Vec<(String, f64, f64, f64)>,
}

impl Segment {
    /// Whether the segment is Whisper "hearing" words in silence: words it barely
    /// believes (a mean under 0.35) where it judged speech unlikely (over 0.5) or decoded
    /// poorly (a mean log probability under -1, Whisper's own threshold). Seen here in the
    /// silence after Festival's speech: the prompt repeated (no speech 0.84, words 0.05)
    /// and "Non so, non so." (no speech 0.58, log probability -1.80, words 0.15).
    /// Or a loop: text that compresses more than 2.4 times (Whisper's own threshold for a
    /// failed decode) even after the engine's fallback, like the 220 times "si" a 60 s
    /// chunk once gave in two seconds.
    fn is_hallucinated(&self) -> bool {
        let mean = self.words.iter().map(|w| w.3).sum::<f64>() / self.words.len().max(1) as f64;
        let unsure = mean < 0.35 && (self.no_speech_prob > 0.5 || self.avg_logprob < -1.0);
        unsure || self.compression_ratio > LOOP_COMPRESSION
    }
}

fn ms(seconds: f64) -> i64 {
    (seconds.max(0.0) * 1000.0).round() as i64
}

fn parse(line: &str) -> Result<Line, EngineError> {
    serde_json::from_str(line).map_err(|e| EngineError::Protocol(format!("{e}: {line:.200}")))
}

/// A started engine with its model loaded.
pub struct Engine {
    talk: Conversation,
    /// e.g. `faster-whisper 1.2.1`.
    pub name: String,
    /// The model directory's name, e.g. `whisper-base`.
    pub model: String,
}

impl Engine {
    /// Starts the engine the configuration names and waits for its model to load.
    pub async fn start(config: &Config, cancel: &AtomicBool) -> Result<Engine, EngineError> {
        Engine::launch(config, false, cancel).await
    }

    async fn launch(
        config: &Config,
        check: bool,
        cancel: &AtomicBool,
    ) -> Result<Engine, EngineError> {
        if !config.asr_engine.is_file() {
            return Err(EngineError::Unavailable(format!(
                "{} does not exist (set AULA_ASR_ENGINE)",
                config.asr_engine.display()
            )));
        }
        let mut args = vec![
            config.asr_engine.as_os_str().to_owned(),
            "--model".into(),
            config.asr_model.as_os_str().to_owned(),
            "--device".into(),
            config.asr_device.clone().into(),
            "--compute-type".into(),
            config.asr_compute_type.clone().into(),
            "--threads".into(),
            config.asr_threads.to_string().into(),
            "--beam".into(),
            config.asr_beam.to_string().into(),
        ];
        if check {
            args.push("--check".into());
        }
        let env = [("HF_HUB_OFFLINE", "1"), ("PYTHONUNBUFFERED", "1")];
        let mut talk = Conversation::start(&config.asr_python, args, &env)?;
        let first = parse(&talk.receive(LOAD_LIMIT, cancel).await?)?;
        if let Some(error) = first.error {
            return Err(EngineError::Unavailable(error));
        }
        if first.ready != Some(true) {
            return Err(EngineError::Protocol("it did not say it was ready".into()));
        }
        Ok(Engine {
            talk,
            name: first.engine.unwrap_or_else(|| "unknown engine".into()),
            model: model_name(&config.asr_model),
        })
    }

    /// What the engine hears in `audio` (a WAV file), with `prompt` (words of this session)
    /// to steer its spelling. `on_progress` sees the seconds of the chunk done so far; the
    /// chunk must be done within `limit`.
    pub async fn hear(
        &mut self,
        audio: &Path,
        prompt: Option<&str>,
        limit: Duration,
        cancel: &AtomicBool,
        on_progress: &mut (dyn FnMut(f64) + Send),
    ) -> Result<Heard, EngineError> {
        let request = serde_json::json!({ "audio": audio, "prompt": prompt });
        self.ask(request, limit, cancel, on_progress).await
    }

    /// `hear` for live captions, where a late caption is worse than a missing one: one
    /// decode per window, without Whisper's fallback to higher temperatures (up to five
    /// more decodes), and at most `max_tokens` tokens a window, so a window caught in a
    /// loop stops early; what decodes poorly is dropped as in `hear`.
    pub async fn hear_now(
        &mut self,
        audio: &Path,
        prompt: Option<&str>,
        max_tokens: u32,
        limit: Duration,
        cancel: &AtomicBool,
    ) -> Result<Heard, EngineError> {
        let request = serde_json::json!({
            "audio": audio, "prompt": prompt, "fallback": false, "max_tokens": max_tokens
        });
        self.ask(request, limit, cancel, &mut |_| {}).await
    }

    async fn ask(
        &mut self,
        request: serde_json::Value,
        limit: Duration,
        cancel: &AtomicBool,
        on_progress: &mut (dyn FnMut(f64) + Send),
    ) -> Result<Heard, EngineError> {
        self.talk.send(&request.to_string()).await?;
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let line = match self.talk.receive(left, cancel).await {
                Err(ProcessError::Timeout { .. }) => {
                    return Err(EngineError::Hung {
                        seconds: limit.as_secs(),
                    })
                }
                other => parse(&other?)?,
            };
            if let Some(error) = line.error {
                return Err(EngineError::Failed(error));
            }
            if let Some(done) = line.progress {
                on_progress(done);
                continue;
            }
            let Some(segments) = line.segments else {
                return Err(EngineError::Protocol("an answer without segments".into()));
            };
            let words = segments
                .into_iter()
                .filter(|s| !s.is_hallucinated())
                .flat_map(|s| s.words)
                .map(|(text, start, end, probability)| Word {
                    text,
                    start_ms: ms(start),
                    end_ms: ms(end.max(start)),
                    probability,
                })
                .collect();
            return Ok(Heard {
                words,
                duration_ms: ms(line.duration.unwrap_or(0.0)),
            });
        }
    }

    /// Ends the engine's process.
    pub async fn stop(self) {
        self.talk.finish().await;
    }
}

/// Whether the engine's files are where the configuration says (the interpreter, the
/// script, the model's weights): cheap enough for every `/readyz`; `check` runs it.
pub fn installed(config: &Config) -> Result<(), String> {
    let model = config.asr_model.join("model.bin");
    for (what, path) in [
        ("AULA_ASR_PYTHON", &config.asr_python),
        ("AULA_ASR_ENGINE", &config.asr_engine),
        ("AULA_ASR_MODEL", &model),
    ] {
        if !path.is_file() {
            return Err(format!("{} not found (set {what})", path.display()));
        }
    }
    Ok(())
}

/// Whether the configured engine starts and loads its model: `Ok` with what it is, or why
/// not. For `aula doctor` and `/readyz`.
pub async fn check(config: &Config) -> Result<String, EngineError> {
    let never = AtomicBool::new(false);
    let engine = Engine::launch(config, true, &never).await?;
    let said = format!("{} with {}", engine.name, engine.model);
    engine.stop().await;
    Ok(said)
}

/// A model directory's name as transcripts record it, e.g. `whisper-base`.
pub fn model_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_read_into_words_in_milliseconds() {
        let line = r#"{"segments": [{"start": 0.0, "end": 2.5, "text": "Buongiorno a tutti", "avg_logprob": -0.2, "no_speech_prob": 0.01, "words": [[" Buongiorno", 0.0, 0.84, 0.82], [" a", 0.84, 0.94, 0.99]]}], "duration": 9.17}"#;
        let l = parse(line).unwrap();
        assert_eq!(l.duration, Some(9.17));
        let words = &l.segments.unwrap()[0].words;
        assert_eq!(words[0].0, " Buongiorno");
        assert_eq!(ms(words[0].2), 840);
    }

    #[test]
    fn words_heard_in_what_the_engine_took_for_silence_are_dropped() {
        let line = r#"{"segments": [
            {"start": 0.05, "end": 18.21, "avg_logprob": -0.2, "no_speech_prob": 0.008, "words": [[" Grazie", 0.05, 0.5, 0.99]]},
            {"start": 18.21, "end": 18.67, "avg_logprob": -0.53, "no_speech_prob": 0.84, "words": [[" Il", 18.21, 18.67, 0.0146], [" primo", 18.67, 18.67, 0.0059]]},
            {"start": 6.82, "end": 7.22, "avg_logprob": -1.8, "no_speech_prob": 0.58, "words": [[" Non", 6.82, 7.22, 0.01], [" so,", 7.22, 7.22, 0.03], [" non", 7.22, 7.22, 0.16], [" so.", 7.22, 7.22, 0.4]]},
            {"start": 20.0, "end": 21.0, "avg_logprob": -0.4, "no_speech_prob": 0.7, "words": [[" Sì", 20.0, 20.4, 0.9]]},
            {"start": 22.0, "end": 23.0, "avg_logprob": -0.6, "no_speech_prob": 0.1, "words": [[" mormorio", 22.0, 23.0, 0.2]]},
            {"start": 289.0, "end": 291.0, "avg_logprob": -0.3, "no_speech_prob": 0.02, "compression_ratio": 14.7, "words": [[" si", 289.0, 289.1, 0.6], [" si", 289.1, 289.2, 0.7]]},
            {"start": 291.0, "end": 295.0, "avg_logprob": -0.3, "no_speech_prob": 0.02, "compression_ratio": 1.2, "words": [[" Il", 291.0, 291.2, 0.9]]}
        ], "duration": 300.0}"#;
        let segments = parse(line).unwrap().segments.unwrap();
        let kept: Vec<bool> = segments.iter().map(|s| !s.is_hallucinated()).collect();
        // A quiet "Sì" the engine believes stays, and so does an unsure word in speech; a
        // loop goes, the sentence after it stays.
        assert_eq!(kept, [true, false, false, true, true, false, true]);
    }

    #[test]
    fn a_line_out_of_protocol_is_named() {
        let err = parse("Traceback (most recent call last):").unwrap_err();
        assert!(matches!(err, EngineError::Protocol(_)), "{err}");
        assert!(err.to_string().contains("Traceback"));
    }

    #[test]
    fn a_missing_interpreter_is_a_setup_error_that_says_what_to_do() {
        let e: EngineError = ProcessError::Spawn {
            program: "python".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        }
        .into();
        assert!(e.is_setup());
        assert!(e.to_string().contains("AULA_ASR_PYTHON"), "{e}");
    }
}
