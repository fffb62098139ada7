//! Live captions: the speech engine hears a live session's sound while it streams, and its
//! words become an HLS subtitles track of the live ladder, marked automatic.
//!
//! The ladder's ffmpeg also writes the sound as 16 kHz mono WAV chunks of `CHUNK_SECONDS`
//! (the segment muxer, which lists each finished chunk with its times in `chunks.csv`).
//! A `Captioner` follows that list: each finished chunk is heard after the last second of
//! the chunk before (the engine started once, with the session's own words as its prompt,
//! as for the archive), each word given by the one chunk it ends in, laid out as captions
//! (two lines of 42, 1–7 s), and written as one WebVTT segment of `captions/index.m3u8`
//! in the ladder's directory; the master playlist names that track. A chunk is removed
//! once heard. When the stream ends, the playlist ends too. The full-quality transcript is
//! the archive's job afterwards, on the whole recording.
//!
//! The pure parts (the list's lines, a segment's WebVTT, the playlist, the master with its
//! subtitles) are unit-tested; `tests/integration/live.rs` hears Festival's speech live.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::archive::Archive;
use crate::speech::captions::{captions, Caption};
use crate::speech::engine::{Engine, Word};
use crate::speech::prompt::{prompt, SessionWords};
use crate::text::{escape_text, timestamp};

/// Length of a chunk the engine hears: a caption appears this long after its first word
/// was said, plus the engine's time. Shorter chunks cut more words in two.
pub const CHUNK_SECONDS: u32 = 5;

/// The subtitles track's directory in the ladder's, and its playlist.
pub const DIR: &str = "captions";
const PLAYLIST: &str = "captions/index.m3u8";

/// The track's name in the master playlist (the player's menu), and its language.
const NAME: &str = "Italiano (automatici)";

/// The list of finished chunks ffmpeg keeps, in the chunks' directory.
pub const CHUNK_LIST: &str = "chunks.csv";

/// The most tokens the engine may decode for one chunk: speech runs at about three
/// tokens a second, so this is four times a chunk's worth (a loop stops here).
const MAX_TOKENS: u32 = 12 * CHUNK_SECONDS;

/// How many seconds behind the live point (itself three 2 s segments behind the last) a
/// session page's player starts when the stream has captions, so that a chunk's captions
/// reach it before it plays the chunk: they are listed 3-10 s after the chunk ends (the
/// most beside two busy loops and the other live tests) and players reload the captions'
/// playlist every 5 s. At the live point, a test run saw two captions of eight come after
/// their words had played (never shown), and a loaded full run not one.
pub const PLAYER_HOLD_S: u32 = 10;

/// How long the engine may take over one chunk before it is given up.
const HEAR_LIMIT: Duration = Duration::from_secs(60);

/// Sound of the chunk before heard again at the start of each chunk: a word the chunks'
/// edge cut in two is heard whole by the later chunk.
const OVERLAP_MS: i64 = 1000;
/// A word ending this close to a chunk's end may have been cut there: it is left to the
/// next chunk, which hears it whole. Each word is given by exactly one chunk: the one in
/// which it ends before this margin.
const EDGE_MS: i64 = 150;

/// The words a chunk gives (times on the stream's clock), heard with up to `OVERLAP_MS`
/// of the chunk before: those the chunk before did not give, and none the next will.
pub fn words_of_chunk(words: Vec<Word>, chunk: &Chunk, first: bool, last: bool) -> Vec<Word> {
    words
        .into_iter()
        .filter(|w| first || w.end_ms > chunk.start_ms - EDGE_MS)
        .filter(|w| last || w.end_ms <= chunk.end_ms - EDGE_MS)
        .collect()
}

/// The 16-bit samples of a WAV file as ffmpeg writes the chunks (16 kHz mono PCM), or
/// `None` for anything else.
pub fn wav_samples(file: &[u8]) -> Option<&[u8]> {
    if file.len() < 12 || &file[..4] != b"RIFF" || &file[8..12] != b"WAVE" {
        return None;
    }
    let mut at = 12;
    let mut pcm_mono_16k = false;
    while at + 8 <= file.len() {
        let id = &file[at..at + 4];
        let size = u32::from_le_bytes(file[at + 4..at + 8].try_into().ok()?) as usize;
        let body = at + 8;
        if id == b"data" {
            // A size ffmpeg could not fill in reads to the end.
            let end = body.saturating_add(size).min(file.len());
            return pcm_mono_16k.then(|| &file[body..end - (end - body) % 2]);
        }
        if id == b"fmt " && body + 16 <= file.len() {
            let f = &file[body..body + 16];
            let format = u16::from_le_bytes([f[0], f[1]]);
            let channels = u16::from_le_bytes([f[2], f[3]]);
            let rate = u32::from_le_bytes([f[4], f[5], f[6], f[7]]);
            let bits = u16::from_le_bytes([f[14], f[15]]);
            pcm_mono_16k = format == 1 && channels == 1 && rate == 16_000 && bits == 16;
        }
        at = body.checked_add(size.checked_add(size % 2)?)?;
    }
    None
}

/// A 16 kHz mono 16-bit WAV file of `samples`.
pub fn wav_of(samples: &[u8]) -> Vec<u8> {
    let len = samples.len() as u32;
    let mut out = Vec::with_capacity(44 + samples.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&[1, 0, 1, 0]); // PCM, one channel
    out.extend_from_slice(&16_000u32.to_le_bytes());
    out.extend_from_slice(&(16_000u32 * 2).to_le_bytes());
    out.extend_from_slice(&[2, 0, 16, 0]); // two bytes a frame, 16 bits a sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(samples);
    out
}

/// Bytes of 16 kHz mono 16-bit sound per millisecond.
const BYTES_PER_MS: usize = 32;

/// One finished chunk, as ffmpeg's segment list gives it: `chunk_00003.wav,15.0,20.0`.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    pub file: String,
    pub start_ms: i64,
    pub end_ms: i64,
}

/// The chunks a list names, in order; a line being written is left for later.
pub fn chunks(list: &str) -> Vec<Chunk> {
    list.lines()
        .filter_map(|line| {
            let mut fields = line.split(',');
            let (file, start, end) = (fields.next()?, fields.next()?, fields.next()?);
            let ms = |v: &str| {
                v.trim()
                    .parse::<f64>()
                    .ok()
                    .map(|s| (s * 1000.0).round() as i64)
            };
            Some(Chunk {
                file: file.trim().to_string(),
                start_ms: ms(start)?,
                end_ms: ms(end)?,
            })
        })
        .collect()
}

/// One segment of the subtitles track: the captions heard in a chunk, on the stream's
/// clock. The ladder's fMP4 and the sound chunks come out of one filter graph, so both
/// start at 0 whatever the encoder's own clock (measured: an MPEG-TS input starting at
/// 1.459 s gave video from 0.021 s and the first chunk from 0.000 s), and the header says
/// so (`X-TIMESTAMP-MAP`, RFC 8216 3.5): cue time 0 is media time 0. hls.js and video.js
/// assume that when it is missing; Safari's own player is told.
pub fn segment_vtt(captions: &[Caption]) -> String {
    let mut out = String::from("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n");
    for c in captions {
        let _ = write!(
            out,
            "\n{} --> {}\n{}\n",
            timestamp(c.start_ms.max(0) as u64, '.'),
            timestamp(c.end_ms.max(0) as u64, '.'),
            escape_text(&c.text)
        );
    }
    out
}

/// The subtitles playlist: one segment per chunk heard, ended once the stream is.
pub fn playlist(segments: &[(String, Chunk)], ended: bool) -> String {
    let longest = segments
        .iter()
        .map(|(_, c)| (c.end_ms - c.start_ms + 999) / 1000)
        .max()
        .unwrap_or(i64::from(CHUNK_SECONDS))
        .max(1);
    let mut out = format!(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:{longest}\n\
         #EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:EVENT\n"
    );
    for (name, chunk) in segments {
        let seconds = (chunk.end_ms - chunk.start_ms) as f64 / 1000.0;
        let _ = write!(out, "#EXTINF:{seconds:.3},\n{name}\n");
    }
    if ended {
        out.push_str("#EXT-X-ENDLIST\n");
    }
    out
}

/// The ladder's master playlist naming the subtitles track on every variant; unchanged
/// if it names it already.
pub fn with_subtitles(master: &str) -> String {
    if master.contains("TYPE=SUBTITLES") {
        return master.to_string();
    }
    let media = format!(
        "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"{NAME}\",LANGUAGE=\"it\",\
         AUTOSELECT=YES,DEFAULT=NO,URI=\"{PLAYLIST}\""
    );
    let mut out = String::new();
    let mut added = false;
    for line in master.lines() {
        if line.starts_with("#EXT-X-STREAM-INF:") {
            if !added {
                out.push_str(&media);
                out.push('\n');
                added = true;
            }
            out.push_str(line);
            out.push_str(",SUBTITLES=\"subs\"\n");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Whether a live ladder's master playlist (in `hls`) is ready for players: ffmpeg has
/// written it and, when the stream has captions (their playlist exists from the start),
/// it names their track.
pub async fn master_ready(hls: &Path) -> bool {
    let Ok(master) = tokio::fs::read_to_string(hls.join(super::package::MASTER)).await else {
        return false;
    };
    let captioned = tokio::fs::try_exists(hls.join(PLAYLIST))
        .await
        .unwrap_or(false);
    master.contains("#EXT-X-STREAM-INF") && (!captioned || master.contains("TYPE=SUBTITLES"))
}

/// Writes `text` to `path` whole: beside it first, then renamed over it, so a reader
/// never sees half a playlist.
async fn replace(path: &Path, text: &str) -> std::io::Result<()> {
    let part = path.with_extension("part");
    tokio::fs::write(&part, text).await?;
    tokio::fs::rename(&part, path).await
}

/// Hears one live stream's chunks into its subtitles track.
pub struct Captioner {
    archive: Archive,
    session_id: i64,
    /// The ladder's directory, and where its chunks of sound are.
    hls: PathBuf,
    audio: PathBuf,
    run: String,
    /// Set when the ladder has finished: the last chunks are heard, then the track ends.
    pub ended: Arc<AtomicBool>,
    began: Instant,
}

impl Captioner {
    pub fn new(archive: Archive, session_id: i64, hls: &Path, audio: &Path, run: &str) -> Self {
        Captioner {
            archive,
            session_id,
            hls: hls.to_owned(),
            audio: audio.to_owned(),
            run: run.to_string(),
            ended: Arc::new(AtomicBool::new(false)),
            began: Instant::now(),
        }
    }

    /// Follows the chunks until the ladder has ended and every chunk is heard. Failures
    /// are logged: captions stop, the stream goes on.
    pub async fn run(self) {
        if let Err(e) = self.follow().await {
            tracing::error!(session = self.session_id, "live: captions stopped: {e}");
            self.drain().await;
        }
        let _ = tokio::fs::remove_dir_all(&self.audio).await;
    }

    /// Captions have stopped but the stream goes on: the chunks ffmpeg still writes are
    /// removed as they are listed, until the stream ends. (The directory must stay: an
    /// output ffmpeg can no longer write would stop the whole ladder.)
    async fn drain(&self) {
        while !self.ended.load(std::sync::atomic::Ordering::Acquire) {
            let list = tokio::fs::read_to_string(self.audio.join(CHUNK_LIST))
                .await
                .unwrap_or_default();
            for chunk in chunks(&list) {
                let _ = tokio::fs::remove_file(self.audio.join(&chunk.file)).await;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn follow(&self) -> Result<(), String> {
        let dir = self.hls.join(DIR);
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| e.to_string())?;
        let track = self.hls.join(PLAYLIST);
        replace(&track, &playlist(&[], false))
            .await
            .map_err(|e| e.to_string())?;
        // The master names the track before any player can have it: a player that loaded
        // it without the track would never show captions (seen in Chromium: the engine's
        // load took longer than the first segments). The page shows the player only once
        // the master names it (`master_ready`).
        let mut named = false;
        while !named && !self.ended.load(std::sync::atomic::Ordering::Acquire) {
            named = self.name_in_master().await;
            if !named {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let cancel = AtomicBool::new(false);
        let loading = Instant::now();
        let mut engine = Engine::start(&self.archive.config, &cancel)
            .await
            .map_err(|e| e.to_string())?;
        let prompt = self.prompt().await;
        tracing::info!(
            session = self.session_id,
            load_ms = loading.elapsed().as_millis() as u64,
            prompt = prompt.as_deref().unwrap_or_default(),
            "live: captions engine ready"
        );
        let mut heard: Vec<(String, Chunk)> = Vec::new();
        let mut tail: Vec<u8> = Vec::new();
        loop {
            if !named {
                named = self.name_in_master().await;
            }
            let ended = self.ended.load(std::sync::atomic::Ordering::Acquire);
            let list = tokio::fs::read_to_string(self.audio.join(CHUNK_LIST))
                .await
                .unwrap_or_default();
            let waiting: Vec<Chunk> = chunks(&list).into_iter().skip(heard.len()).collect();
            if waiting.is_empty() {
                if ended {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            let count = waiting.len();
            for (n, chunk) in waiting.into_iter().enumerate() {
                // The list is whole once the stream has ended: its last chunk is the last.
                let edges = (heard.is_empty(), ended && n + 1 == count);
                let name = self
                    .hear(
                        &mut engine,
                        &chunk,
                        edges,
                        &mut tail,
                        prompt.as_deref(),
                        &cancel,
                    )
                    .await?;
                heard.push((name, chunk));
                replace(&track, &playlist(&heard, false))
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        engine.stop().await;
        if !named {
            self.name_in_master().await;
        }
        replace(&track, &playlist(&heard, true))
            .await
            .map_err(|e| e.to_string())
    }

    /// Hears one chunk, after the last `OVERLAP_MS` of the one before (`tail`, then this
    /// chunk's own), and writes its segment; the chunk's sound is removed. `edges`: whether
    /// it is the first chunk, and the last.
    async fn hear(
        &self,
        engine: &mut Engine,
        chunk: &Chunk,
        edges: (bool, bool),
        tail: &mut Vec<u8>,
        prompt: Option<&str>,
        cancel: &AtomicBool,
    ) -> Result<String, String> {
        let wav = self.audio.join(&chunk.file);
        let joined = self.audio.join("joined.wav");
        let file = tokio::fs::read(&wav).await.map_err(|e| e.to_string())?;
        // Heard alone, without the overlap, if the chunk is not the WAV expected.
        let (heard_file, before_ms) = match wav_samples(&file) {
            Some(samples) => {
                let mut sound = std::mem::take(tail);
                let before_ms = (sound.len() / BYTES_PER_MS) as i64;
                sound.extend_from_slice(samples);
                let keep = sound.len().min(OVERLAP_MS as usize * BYTES_PER_MS);
                *tail = sound[sound.len() - keep..].to_vec();
                tokio::fs::write(&joined, wav_of(&sound))
                    .await
                    .map_err(|e| e.to_string())?;
                (joined.as_path(), before_ms)
            }
            None => {
                tail.clear();
                (wav.as_path(), 0)
            }
        };
        let hearing = Instant::now();
        let heard = engine
            .hear_now(heard_file, prompt, MAX_TOKENS, HEAR_LIMIT, cancel)
            .await
            .map_err(|e| e.to_string())?;
        let mut words = heard.words;
        for w in &mut words {
            w.start_ms += chunk.start_ms - before_ms;
            w.end_ms += chunk.start_ms - before_ms;
        }
        let words = words_of_chunk(words, chunk, edges.0, edges.1);
        let laid = captions(&words);
        let index = chunk
            .file
            .trim_start_matches("chunk_")
            .trim_end_matches(".wav");
        let name = format!("sub_{}_{index}.vtt", self.run);
        replace(&self.hls.join(DIR).join(&name), &segment_vtt(&laid))
            .await
            .map_err(|e| e.to_string())?;
        let _ = tokio::fs::remove_file(&wav).await;
        // How late the captions of this chunk are, beyond the chunk itself: the engine's
        // time and the wait for the chunk to be listed (the stream began about when
        // this captioner did).
        let late = self.began.elapsed().as_millis() as i64 - chunk.end_ms;
        tracing::info!(
            session = self.session_id,
            chunk_end_ms = chunk.end_ms,
            late_ms = late,
            heard_ms = hearing.elapsed().as_millis() as u64,
            words = words.len(),
            "live: captions heard"
        );
        Ok(name)
    }

    /// Names the subtitles track in the master playlist once ffmpeg has written it.
    async fn name_in_master(&self) -> bool {
        let master = self.hls.join(super::package::MASTER);
        let Ok(text) = tokio::fs::read_to_string(&master).await else {
            return false;
        };
        if !text.contains("#EXT-X-STREAM-INF") {
            return false;
        }
        replace(&master, &with_subtitles(&text)).await.is_ok()
    }

    /// The session's own words for the engine: its body, title and agenda.
    async fn prompt(&self) -> Option<String> {
        let catalog = &self.archive.catalog;
        let session = catalog.session(self.session_id).await.ok()??;
        let agenda = catalog.agenda(self.session_id).await.unwrap_or_default();
        prompt(&SessionWords {
            body: &session.body_name,
            title: &session.title,
            agenda: agenda.iter().map(|a| a.title.as_str()).collect(),
            documents: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_word_at_a_chunks_edge_is_given_by_one_chunk_only() {
        let first = Chunk {
            file: "chunk_00000.wav".into(),
            start_ms: 0,
            end_ms: 5_000,
        };
        let second = Chunk {
            file: "chunk_00001.wav".into(),
            start_ms: 5_000,
            end_ms: 10_000,
        };
        let texts = |words: Vec<Word>| words.into_iter().map(|w| w.text).collect::<Vec<_>>();
        // The first chunk heard "consiglio" cut in two at 5 s; it is left to the next.
        let heard_first = vec![
            Word::heard("la", 4_300, 4_500),
            Word::heard("consi", 4_600, 4_990),
        ];
        assert_eq!(
            texts(words_of_chunk(heard_first, &first, true, false)),
            ["la"]
        );
        // The second heard from 4 s: "la" again (given already), "consiglio" whole.
        let heard_second = vec![
            Word::heard("la", 4_300, 4_500),
            Word::heard("consiglio", 4_600, 5_300),
            Word::heard("comunale", 5_400, 9_900),
        ];
        assert_eq!(
            texts(words_of_chunk(heard_second.clone(), &second, false, false)),
            ["consiglio"]
        );
        // The last chunk keeps what ends at its very end: no chunk comes after.
        assert_eq!(
            texts(words_of_chunk(heard_second, &second, false, true)),
            ["consiglio", "comunale"]
        );
    }

    #[test]
    fn chunks_of_sound_are_read_and_joined_as_wav() {
        let samples: Vec<u8> = (0..64u8).collect();
        let wav = wav_of(&samples);
        assert_eq!(wav.len(), 44 + 64);
        assert_eq!(wav_samples(&wav), Some(&samples[..]));
        // ffmpeg's own header carries a LIST chunk before the data.
        let mut with_list = wav[..36].to_vec();
        with_list.extend_from_slice(b"LIST\x04\0\0\0INFO");
        with_list.extend_from_slice(&wav[36..]);
        assert_eq!(wav_samples(&with_list), Some(&samples[..]));
        // Stereo, or not a WAV at all: not joined.
        let mut stereo = wav.clone();
        stereo[22] = 2;
        assert_eq!(wav_samples(&stereo), None);
        assert_eq!(wav_samples(b"RIFF\0\0\0\0AVI LIST"), None);
        assert_eq!(wav_samples(b""), None);
    }

    #[test]
    fn finished_chunks_are_read_from_the_list_with_their_times() {
        let list = "chunk_00000.wav,0.000000,5.005333\nchunk_00001.wav,5.005333,10.0\nchunk_0000";
        assert_eq!(
            chunks(list),
            [
                Chunk {
                    file: "chunk_00000.wav".into(),
                    start_ms: 0,
                    end_ms: 5005
                },
                Chunk {
                    file: "chunk_00001.wav".into(),
                    start_ms: 5005,
                    end_ms: 10_000
                },
            ]
        );
    }

    #[test]
    fn a_segment_is_webvtt_on_the_streams_clock() {
        let vtt = segment_vtt(&[Caption {
            start_ms: 61_250,
            end_ms: 64_000,
            text: "La seduta è aperta.\nPrego <consigliere>".into(),
            confidence: 0.9,
        }]);
        assert_eq!(
            vtt,
            "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n\n\
             00:01:01.250 --> 00:01:04.000\nLa seduta è aperta.\nPrego &lt;consigliere&gt;\n"
        );
        assert_eq!(
            segment_vtt(&[]),
            "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n"
        );
    }

    #[test]
    fn the_playlist_lists_the_segments_and_ends_with_the_stream() {
        let c = |s, e| Chunk {
            file: String::new(),
            start_ms: s,
            end_ms: e,
        };
        let segments = [
            ("sub_a_00000.vtt".to_string(), c(0, 5000)),
            ("sub_a_00001.vtt".into(), c(5000, 10_020)),
        ];
        let live = playlist(&segments, false);
        assert!(live.contains("#EXT-X-TARGETDURATION:6\n"), "{live}");
        assert!(live.contains("#EXTINF:5.020,\nsub_a_00001.vtt\n"), "{live}");
        assert!(!live.contains("ENDLIST"));
        assert!(playlist(&segments, true).ends_with("#EXT-X-ENDLIST\n"));
        assert!(playlist(&[], false).contains("#EXT-X-TARGETDURATION:5\n"));
    }

    #[test]
    fn the_master_names_the_track_on_every_variant_once() {
        let master = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-STREAM-INF:BANDWIDTH=985600,RESOLUTION=640x360\n\
                      360p/index.m3u8\n\n#EXT-X-STREAM-INF:BANDWIDTH=70400,CODECS=\"mp4a.40.2\"\naudio-64k/index.m3u8\n";
        let named = with_subtitles(master);
        assert_eq!(named.matches("TYPE=SUBTITLES").count(), 1);
        assert_eq!(named.matches(",SUBTITLES=\"subs\"").count(), 2);
        assert!(named.find("TYPE=SUBTITLES") < named.find("#EXT-X-STREAM-INF"));
        assert_eq!(with_subtitles(&named), named);
    }
}
