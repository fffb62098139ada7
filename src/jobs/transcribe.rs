//! The transcribe job: a published session's speech heard into its automatic transcript.
//! It reads the published version's audio (so a withheld range, already cut from it, is
//! never heard), finds the silences, cuts the audio into chunks of about a minute,
//! and gives the engine one chunk at a time with the session's own words as a prompt.
//! Each finished chunk is kept in the catalog, so a worker killed in hour three resumes at
//! the chunk it was in; memory stays that of one chunk. At the end the words become
//! captions, moved back to the original recording's timeline, and are stored as the
//! session's cues, marked automatic, unless a human transcript arrived meanwhile.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::archive::Archive;
use crate::catalog::{AutomaticCue, Cuts, NewTranscription, TranscriptionChunk};
use crate::domain::SessionState;
use crate::ingest::transcode::Progress;
use crate::process;
use crate::speech::chunks::{self, Chunk};
use crate::speech::prompt::{self, SessionWords};
use crate::speech::{captions, Engine, EngineError, Word};

use super::lease::Lease;
use super::queue::until_reachable;
use super::{Claim, JobError, Runner};

/// What became of asking for a session's transcription.
#[derive(Debug, Clone, PartialEq)]
pub enum Asked {
    /// Its job, new or already waiting.
    Queued {
        job_id: i64,
        new: bool,
    },
    /// It has a human transcript, which always wins.
    HumanTranscript,
    /// It has no published media (yet, or any more).
    NotPublished,
    /// Its recording has no sound.
    NoAudio,
    NoSuchSession,
}

/// Queues a transcription of the session if it can have one.
pub async fn ask(archive: &Archive, session_id: i64) -> Result<Asked, JobError> {
    let catalog = &archive.catalog;
    let Some(session) = catalog.session(session_id).await? else {
        return Ok(Asked::NoSuchSession);
    };
    if session.stored_state != SessionState::Published {
        return Ok(Asked::NotPublished);
    }
    if session.audio_file.is_none() && session.audio_playlist.is_none() {
        return Ok(Asked::NoAudio);
    }
    if catalog.has_human_transcript(session_id).await? {
        return Ok(Asked::HumanTranscript);
    }
    let (job_id, new) = catalog.queue_transcribe(session_id).await?;
    Ok(Asked::Queued { job_id, new })
}

/// What a transcribe job made.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcribed {
    pub session_id: i64,
    /// Words heard and captions made of them; 0 and 0 when no speech was found.
    pub words: usize,
    pub captions: usize,
    /// Chunks heard by this run, and chunks an earlier, interrupted run had heard.
    pub chunks_heard: usize,
    pub chunks_resumed: usize,
    /// False when nothing was stored: the session has a human transcript.
    pub stored: bool,
}

/// The published audio of the session and what is needed to hear it.
struct Hearing<'a> {
    archive: &'a Archive,
    session_id: i64,
    media_dir: String,
    runner: &'a Runner,
    lease: &'a Lease,
}

/// Runs a transcribe job this worker has claimed.
pub async fn run(
    archive: &Archive,
    job_id: i64,
    session_id: i64,
    runner: &Runner,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<Transcribed, JobError> {
    let claim = Claim::begin(archive, job_id, runner).await;
    let (staging, lease) = (&claim.staging, &claim.lease);
    let result = transcribe(archive, session_id, staging, runner, lease, on_progress).await;
    match claim.end(result).await {
        Err(JobError::Speech(EngineError::Cancelled)) => Err(JobError::Cancelled),
        other => other,
    }
}

async fn transcribe(
    archive: &Archive,
    session_id: i64,
    staging: &Path,
    runner: &Runner,
    lease: &Lease,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<Transcribed, JobError> {
    let catalog = &archive.catalog;
    if catalog.has_human_transcript(session_id).await? {
        return Ok(Transcribed {
            session_id,
            words: 0,
            captions: 0,
            chunks_heard: 0,
            chunks_resumed: 0,
            stored: false,
        });
    }
    let source = catalog
        .search_source(session_id)
        .await?
        .ok_or(JobError::NothingToHear(session_id))?;
    let session = &source.session;
    // The sound alone when the version has it; an audio-only session's download has
    // nothing else.
    let sound = session.audio_file.clone().or(session.mp4_file.clone());
    let (Some(media_dir), Some(audio_file), Some(duration_ms)) =
        (session.media_dir.clone(), sound, session.duration_ms)
    else {
        return Err(JobError::NothingToHear(session_id));
    };
    tokio::fs::create_dir_all(staging)
        .await
        .map_err(|source| JobError::Output {
            path: staging.to_owned(),
            source,
        })?;
    let audio = archive
        .media
        .local_file(&format!("{media_dir}/{audio_file}"), staging)
        .await?;
    let job = Hearing {
        archive,
        session_id,
        media_dir,
        runner,
        lease,
    };
    let chunks = job.chunks(&audio, duration_ms).await?;
    let words_prompt = SessionWords {
        body: &session.body_name,
        title: &session.title,
        agenda: source.agenda.iter().map(|a| a.title.as_str()).collect(),
        documents: source.documents.iter().map(|d| d.text.as_str()).collect(),
    };
    let prompt = prompt::prompt(&words_prompt);
    // Where the chunks fall (`0-60120,60120-…`, ms): bench/asr decodes the same chunks
    // with the bare engine to measure what the job itself costs.
    let bounds: Vec<String> = chunks
        .iter()
        .map(|c| format!("{}-{}", c.start_ms, c.end_ms))
        .collect();
    tracing::info!(
        session_id,
        chunks = chunks.len(),
        bounds = bounds.join(","),
        prompt = prompt.as_deref().unwrap_or(""),
        "transcribing"
    );
    let (words, (engine, model), resumed) = job
        .hear_all(
            &audio,
            &chunks,
            prompt.as_deref(),
            duration_ms,
            staging,
            &on_progress,
        )
        .await?;
    job.store(words, &engine, &model, chunks.len() - resumed, resumed)
        .await
}

impl Hearing<'_> {
    /// The chunks of the audio, cut in its silences.
    async fn chunks(&self, audio: &Path, duration_ms: i64) -> Result<Vec<Chunk>, JobError> {
        let config = &self.archive.config;
        let limit = config.transcode_timeout(duration_ms as f64 / 1000.0);
        let args: [&std::ffi::OsStr; 9] = [
            "-hide_banner".as_ref(),
            "-nostats".as_ref(),
            "-i".as_ref(),
            audio.as_os_str(),
            "-af".as_ref(),
            chunks::SILENCEDETECT.as_ref(),
            "-f".as_ref(),
            "null".as_ref(),
            "-".as_ref(),
        ];
        let out = process::run(&config.ffmpeg, args, limit)
            .await
            .map_err(JobError::Transcode)?;
        let silences = chunks::silences(&out.stderr, duration_ms);
        let target = config.asr_chunk_seconds as i64 * 1000;
        Ok(chunks::chunks(duration_ms, &silences, target))
    }

    /// Every chunk heard, those an earlier run kept read back: all the words in the
    /// published version's timeline, the engine and model, and how many chunks were
    /// resumed.
    async fn hear_all(
        &self,
        audio: &Path,
        chunks: &[Chunk],
        prompt: Option<&str>,
        duration_ms: i64,
        staging: &Path,
        on_progress: &(impl Fn(Progress) + Send + Sync + 'static),
    ) -> Result<(Vec<Word>, (String, String), usize), JobError> {
        let catalog = &self.archive.catalog;
        let kept = catalog
            .transcription_chunks(self.session_id, &self.media_dir)
            .await?;
        let mut words = Vec::new();
        let mut engine: Option<Engine> = None;
        let mut heard_by_engine = 0;
        let mut resumed = 0;
        let started = Instant::now();
        let mut heard_ms = 0i64;
        for chunk in chunks {
            if let Some(k) = kept
                .iter()
                .find(|k| k.start_ms == chunk.start_ms && k.end_ms == chunk.end_ms)
            {
                words.extend(read_words(&k.words));
                resumed += 1;
                continue;
            }
            if self.runner.cancel.load(Ordering::Acquire) {
                return Err(JobError::Cancelled);
            }
            // A fresh engine every few chunks: its memory grows a little with each chunk it
            // hears (about 6 MB a chunk, measured), and a new process starts from its floor
            // again, so a 3-hour session needs no more than a 5-minute one.
            if heard_by_engine >= self.archive.config.asr_chunks_per_engine {
                if let Some(old) = engine.take() {
                    old.stop().await;
                }
                heard_by_engine = 0;
            }
            let engine = match &mut engine {
                Some(e) => e,
                None => {
                    engine.insert(Engine::start(&self.archive.config, &self.runner.cancel).await?)
                }
            };
            heard_by_engine += 1;
            let progress = self.lease.progress();
            let mut report = |done_s: f64| {
                let p = Progress {
                    done_s: chunk.start_ms as f64 / 1000.0 + done_s,
                    total_s: duration_ms as f64 / 1000.0,
                    speed: Some(
                        (heard_ms as f64 / 1000.0 + done_s)
                            / started.elapsed().as_secs_f64().max(0.001),
                    ),
                };
                on_progress(p);
                let _ = progress.send(Some(p));
            };
            let heard = self
                .hear_chunk(engine, audio, chunk, prompt, staging, &mut report)
                .await?;
            heard_ms += chunk.end_ms - chunk.start_ms;
            let kept = TranscriptionChunk {
                start_ms: chunk.start_ms,
                end_ms: chunk.end_ms,
                words: write_words(&heard),
            };
            until_reachable("keeping a heard chunk", || {
                catalog.save_transcription_chunk(self.session_id, &self.media_dir, &kept)
            })
            .await?;
            words.extend(heard);
        }
        // Whichever engine heard the last chunk names them all (they are the same setting).
        let names = match engine {
            Some(e) => {
                let names = (e.name.clone(), e.model.clone());
                e.stop().await;
                names
            }
            // Every chunk was heard by an earlier run that stopped before storing them.
            None => (
                "faster-whisper".into(),
                crate::speech::engine::model_name(&self.archive.config.asr_model),
            ),
        };
        Ok((words, names, resumed))
    }

    /// One chunk cut out as 16 kHz mono WAV and heard; its words in the version's
    /// timeline.
    async fn hear_chunk(
        &self,
        engine: &mut Engine,
        audio: &Path,
        chunk: &Chunk,
        prompt: Option<&str>,
        staging: &Path,
        report: &mut (dyn FnMut(f64) + Send),
    ) -> Result<Vec<Word>, JobError> {
        let config = &self.archive.config;
        let seconds = (chunk.end_ms - chunk.start_ms) as f64 / 1000.0;
        let wav = staging.join(format!("chunk-{}.wav", chunk.start_ms));
        let (from, length) = (
            format!("{:.3}", chunk.start_ms as f64 / 1000.0),
            format!("{seconds:.3}"),
        );
        let args: [&std::ffi::OsStr; 17] = [
            "-hide_banner".as_ref(),
            "-nostats".as_ref(),
            "-v".as_ref(),
            "error".as_ref(),
            "-ss".as_ref(),
            from.as_ref(),
            "-t".as_ref(),
            length.as_ref(),
            "-i".as_ref(),
            audio.as_os_str(),
            "-vn".as_ref(),
            "-ac".as_ref(),
            "1".as_ref(),
            "-ar".as_ref(),
            "16000".as_ref(),
            "-y".as_ref(),
            wav.as_os_str(),
        ];
        process::run(&config.ffmpeg, args, config.transcode_timeout(seconds))
            .await
            .map_err(JobError::Transcode)?;
        let limit = config.transcode_timeout(seconds);
        let heard = engine
            .hear(&wav, prompt, limit, &self.runner.cancel, report)
            .await?;
        let _ = tokio::fs::remove_file(&wav).await;
        Ok(heard
            .words
            .into_iter()
            .map(|w| Word {
                start_ms: w.start_ms + chunk.start_ms,
                end_ms: w.end_ms + chunk.start_ms,
                ..w
            })
            .collect())
    }

    /// The words as captions in the original's timeline, stored as the session's
    /// automatic transcript.
    async fn store(
        &self,
        words: Vec<Word>,
        engine: &str,
        model: &str,
        heard: usize,
        resumed: usize,
    ) -> Result<Transcribed, JobError> {
        let catalog = &self.archive.catalog;
        let cuts = catalog.current_cuts(self.session_id).await?;
        let cues = original_cues(&words, &cuts);
        let made = NewTranscription {
            session_id: self.session_id,
            media_dir: &self.media_dir,
            engine,
            model,
            words: words.len() as i64,
            cues: &cues,
        };
        let stored = until_reachable("storing the transcript", || {
            catalog.store_transcription(&made)
        })
        .await?;
        if stored {
            until_reachable("reading the speakers", || {
                crate::people::reading::read_session(catalog, self.session_id)
            })
            .await?;
        }
        Ok(Transcribed {
            session_id: self.session_id,
            words: words.len(),
            captions: cues.len(),
            chunks_heard: heard,
            chunks_resumed: resumed,
            stored,
        })
    }
}

/// Captions of `words` (heard in the cut media) in the original recording's timeline.
/// Where a range was cut, captions are made on each side separately: one caption across
/// the cut would cover the withheld range and be hidden whole.
fn original_cues(words: &[Word], cuts: &Cuts) -> Vec<AutomaticCue> {
    let joins: Vec<i64> = cuts
        .ranges()
        .iter()
        .map(|&(a, _)| cuts.public_time_clamped(a))
        .collect();
    let mut out = Vec::new();
    let mut rest = words;
    for join in joins.iter().copied().chain([i64::MAX]) {
        let split = rest.partition_point(|w| w.start_ms < join);
        let (side, after) = rest.split_at(split);
        for c in captions::captions(side) {
            // Kept within its side of the cut.
            let end = c.end_ms.min(join);
            out.push(AutomaticCue {
                start_ms: cuts.original_time(c.start_ms),
                end_ms: cuts.original_time((end - 1).max(c.start_ms)) + 1,
                text: c.text,
                confidence: c.confidence,
            });
        }
        rest = after;
    }
    out
}

fn write_words(words: &[Word]) -> String {
    let rows: Vec<(&str, i64, i64, f64)> = words
        .iter()
        .map(|w| (w.text.as_str(), w.start_ms, w.end_ms, w.probability))
        .collect();
    serde_json::to_string(&rows).unwrap_or_else(|_| "[]".into())
}

fn read_words(json: &str) -> Vec<Word> {
    serde_json::from_str::<Vec<(String, i64, i64, f64)>>(json)
        .unwrap_or_default()
        .into_iter()
        .map(|(text, start_ms, end_ms, probability)| Word {
            text,
            start_ms,
            end_ms,
            probability,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(text: &str, start_ms: i64, end_ms: i64) -> Word {
        Word::heard(&format!(" {text}"), start_ms, end_ms)
    }

    #[test]
    fn kept_chunks_read_back_what_was_written() {
        let words = vec![w("Buongiorno", 0, 800), w("a", 800, 900)];
        assert_eq!(read_words(&write_words(&words)), words);
        assert!(read_words("not json").is_empty());
    }

    #[test]
    fn captions_go_back_to_the_original_timeline_and_never_span_a_cut() {
        // 10-20 s of the original was withheld: the published audio jumps from 10 s to
        // what was 20 s.
        let cuts = Cuts::new(vec![(10_000, 20_000)]);
        let words = vec![
            w("Prima", 8_000, 8_600),
            w("del", 8_600, 9_000),
            w("taglio", 9_000, 9_900),
            w("dopo", 10_100, 10_600),
            w("il", 10_600, 10_800),
            w("taglio.", 10_800, 11_500),
        ];
        let cues = original_cues(&words, &cuts);
        assert_eq!(cues.len(), 2, "{cues:?}");
        assert_eq!(cues[0].text, "Prima del taglio");
        assert_eq!(cues[0].start_ms, 8_000);
        assert!(cues[0].end_ms <= 10_000, "{cues:?}");
        assert_eq!(cues[1].text, "dopo il taglio.");
        assert_eq!(cues[1].start_ms, 20_100);
        assert!(cues[1].end_ms > 21_000);
        // Shown as the published media plays them, both are whole.
        for c in &cues {
            assert!(cuts.public_time(c.start_ms).is_some());
            assert!(cuts.public_time(c.end_ms - 1).is_some(), "{c:?}");
        }
    }
}
