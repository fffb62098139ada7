//! Live sessions: the chamber's encoder pushes to aula, citizens watch the HLS ladder as it
//! is made, and when the encoder stops the recording becomes the session's next part
//! through the same ingest as an upload (the archive's ladder, MP4, poster, thumbnails and,
//! when set, the transcript follow as jobs).
//!
//! `rtmp` receives an encoder (the protocol, the key check, one encoder per session);
//! `Hub` decides whom to accept and gives each accepted encoder a `Feed`; a `Feed` writes
//! what arrives, as FLV, both to the recording on disk and to an ffmpeg packaging the live
//! ladder (`package`) into `live/{session}/hls/` under the data directory, served at
//! `/live/{session}/…`. The recording is the original: if ffmpeg fails, the recording goes
//! on; if the server stops, the next start hands what was recorded to the archive.

pub mod captions;
pub mod flv;
pub mod package;
pub mod rtmp;
pub mod srt;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;

use crate::archive::Archive;
use crate::ingest::plan::{Profile, SourceKind};
use crate::process::Fed;
use flv::TagKind;

/// What an encoder's stream arrives as: FLV tags from RTMP, MPEG-TS from SRT. The
/// recording keeps it as it came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Flv,
    MpegTs,
}

impl Container {
    /// ffmpeg's name of the format, and the recording's extension.
    pub fn name(self) -> &'static str {
        match self {
            Container::Flv => "flv",
            Container::MpegTs => "mpegts",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Container::Flv => "flv",
            Container::MpegTs => "ts",
        }
    }
}

/// Why an encoder was not let in.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("no live session has this stream key")]
    UnknownKey,
    #[error("session {0} already has an encoder pushing to it")]
    Busy(i64),
    #[error("the catalog cannot be read: {0}")]
    Catalog(String),
    #[error("the recording cannot be written: {0}")]
    Disk(String),
    #[error("an editor ended session {0}")]
    Ended(i64),
}

/// The live sessions of this server: who is pushing now.
pub struct Hub {
    archive: Archive,
    /// The archive's video ladder with the lowest top (the SD profile as shipped), used
    /// live whatever the source's size: a rung is never taller than the source.
    profile: Option<Profile>,
    /// Sessions with an encoder connected now.
    pushing: Mutex<HashSet<i64>>,
    /// Streams whose encoder dropped, kept open for it to come back (`reconnect`), each
    /// with the number of the drop that put it there.
    held: Mutex<HashMap<i64, (u64, Feed)>>,
    /// Sessions an editor ended while their encoder was still connected.
    stopping: Mutex<HashSet<i64>>,
    drops: AtomicU64,
    /// What each live stream has received, for the admin pages and `/metrics`.
    received: Mutex<HashMap<i64, Arc<Received>>>,
    /// Who fetched a live playlist, and when: the viewers.
    viewers: Mutex<Viewers>,
    refused: AtomicU64,
    reconnect: Duration,
}

/// A viewer is someone who fetched a live playlist this recently.
const VIEWER_SEEN: Duration = Duration::from_secs(15);

/// The viewers of every live stream: when each address last fetched a playlist.
struct Viewers {
    seen: HashMap<(i64, std::net::IpAddr), Instant>,
    /// When those not seen for `VIEWER_SEEN` were last forgotten.
    swept: Instant,
}

/// What one live stream has received since it started.
struct Received {
    bytes: AtomicU64,
    since: Instant,
}

/// One live stream as the admin pages and `/metrics` show it.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveNow {
    pub session_id: i64,
    /// An encoder is connected (else the stream waits for it to come back).
    pub connected: bool,
    /// Received since the stream started, and its average rate.
    pub bytes: u64,
    pub kbps: u64,
    /// Addresses that fetched a live playlist in the last 15 s.
    pub viewers: usize,
}

/// How much of an MPEG-TS stream is kept before the ladder starts, for ffprobe to read
/// the picture's size from (about a second at an encoder's usual rates).
const PROBE_BYTES: u64 = 256 * 1024;

/// How long ffmpeg may take to finish the live ladder once its input has closed.
const FINISH_GRACE: Duration = Duration::from_secs(30);
/// How long the live captions may take to hear their last chunks once the stream ended.
const CAPTIONS_GRACE: Duration = Duration::from_secs(60);

/// The directory of a session's live stream in the data directory.
pub fn session_dir(data_dir: &Path, session_id: i64) -> PathBuf {
    data_dir.join("live").join(session_id.to_string())
}

/// Where a session's live ladder is written and served from.
pub fn hls_dir(data_dir: &Path, session_id: i64) -> PathBuf {
    session_dir(data_dir, session_id).join("hls")
}

/// Binds the addresses encoders push to (`live_rtmp`, `live_srt`), hands to the archive
/// what a stopped server left recorded, and takes encoders from then on. `None` when
/// neither address is set.
pub async fn start(
    archive: &Archive,
) -> Result<Option<Arc<Hub>>, (std::net::SocketAddr, std::io::Error)> {
    let config = &archive.config;
    if config.live_rtmp.is_none() && config.live_srt.is_none() {
        return Ok(None);
    }
    let rtmp = match config.live_rtmp {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| (addr, e))?,
        ),
        None => None,
    };
    let srt = match config.live_srt {
        Some(addr) => Some(srt::bind(addr).await.map_err(|e| (addr, e))?),
        None => None,
    };
    let hub = Hub::new(archive.clone());
    hub.recover().await;
    hub.sweep().await;
    tokio::spawn(sweeping(Arc::clone(&hub)));
    if let Some(listener) = rtmp {
        tracing::info!(address = ?config.live_rtmp, "live: encoders may push RTMP here");
        tokio::spawn(rtmp::serve(listener, Arc::clone(&hub)));
    }
    if let Some((listener, incoming)) = srt {
        tracing::info!(address = ?config.live_srt, "live: encoders may push SRT here");
        tokio::spawn(srt::serve(listener, incoming, Arc::clone(&hub)));
    }
    Ok(Some(hub))
}

impl Hub {
    pub fn new(archive: Archive) -> Arc<Hub> {
        let profile = match Profile::load_dir(&archive.config.profiles_dir) {
            Ok(all) => all
                .into_iter()
                .filter(|p| p.source == SourceKind::Video && !p.rungs.is_empty())
                .min_by_key(|p| p.max_source_height.unwrap_or(u32::MAX)),
            Err(e) => {
                tracing::error!("live: no ladder, encoders are only recorded: {e}");
                None
            }
        };
        let reconnect = Duration::from_secs(archive.config.live_reconnect_seconds);
        Arc::new(Hub {
            archive,
            profile,
            pushing: Mutex::new(HashSet::new()),
            held: Mutex::new(HashMap::new()),
            stopping: Mutex::new(HashSet::new()),
            drops: AtomicU64::new(0),
            received: Mutex::new(HashMap::new()),
            viewers: Mutex::new(Viewers {
                seen: HashMap::new(),
                swept: Instant::now(),
            }),
            refused: AtomicU64::new(0),
            reconnect,
        })
    }

    /// Lets in the encoder presenting `key`, or says why not; quick (the key, the session
    /// claimed), so that an SRT handshake is answered at once. Its stream is recorded and
    /// packaged from the first byte it sends (`Opening::begin`); an encoder coming back
    /// within the reconnect window goes on with the same recording and ladder.
    pub async fn open(
        self: &Arc<Self>,
        key: &str,
        container: Container,
    ) -> Result<Opening, Refusal> {
        let catalog = &self.archive.catalog;
        let stream = catalog
            .live_stream_by_key(&crate::auth::token_hash(key))
            .await
            .map_err(|e| Refusal::Catalog(e.to_string()))?
            .ok_or(Refusal::UnknownKey)?;
        let id = stream.session_id;
        if !self.pushing.lock().expect("live set").insert(id) {
            return Err(Refusal::Busy(id));
        }
        let held = self.held.lock().expect("live held").remove(&id);
        Ok(match held {
            // FLV tags are timed by us, so the same recording and ladder go on; an MPEG-TS
            // stream has its own clock, which starts again: the part ends, a new one begins.
            Some((_, mut feed))
                if feed.container == Container::Flv && container == Container::Flv =>
            {
                feed.resume();
                tracing::info!(session = id, "live: the encoder came back");
                Opening::Resumed(feed)
            }
            previous => Opening::New {
                hub: Arc::clone(self),
                id,
                container,
                previous: previous.map(|(_, feed)| feed),
            },
        })
    }

    async fn start(self: &Arc<Self>, id: i64, container: Container) -> Result<Feed, Refusal> {
        let data = self.archive.data_dir();
        let hls = hls_dir(data, id);
        let _ = tokio::fs::remove_dir_all(&hls).await;
        tokio::fs::create_dir_all(&hls)
            .await
            .map_err(|e| Refusal::Disk(format!("{}: {e}", hls.display())))?;
        let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
        let name = format!("recording-{stamp}.{}", container.extension());
        let path = session_dir(data, id).join(name);
        let recording = tokio::fs::File::create(&path)
            .await
            .map_err(|e| Refusal::Disk(format!("{}: {e}", path.display())))?;
        if let Err(e) = self.archive.catalog.live_started(id).await {
            tracing::warn!(session = id, "live: the start was not noted: {e}");
        }
        tracing::info!(session = id, recording = %path.display(), "live: an encoder is pushing");
        Ok(Feed {
            hub: Arc::clone(self),
            session_id: id,
            container,
            ladder: Ladder::Waiting {
                hls,
                run: stamp.to_string(),
                source_height: None,
            },
            captions: None,
            recording,
            path,
            written: 0,
            received: self.counting(id),
            last_ms: 0,
            offset: Some((0, 0)),
        })
    }

    /// The encoder of `feed` is gone. An editor's end, or no reconnect window, ends the
    /// stream now; otherwise it waits the window for the encoder to come back.
    pub async fn dropped(self: &Arc<Self>, feed: Feed) {
        let id = feed.session_id;
        self.pushing.lock().expect("live set").remove(&id);
        let ended = self.stopping.lock().expect("live stopping").remove(&id);
        if ended || self.reconnect.is_zero() {
            return feed.end().await;
        }
        let dropped = self.drops.fetch_add(1, Ordering::Relaxed);
        self.held
            .lock()
            .expect("live held")
            .insert(id, (dropped, feed));
        tracing::info!(
            session = id,
            window = self.reconnect.as_secs(),
            "live: the encoder dropped; waiting for it"
        );
        let hub = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(hub.reconnect).await;
            let feed = {
                let mut held = hub.held.lock().expect("live held");
                let expired = matches!(held.get(&id), Some((d, _)) if *d == dropped);
                expired.then(|| held.remove(&id)).flatten()
            };
            if let Some((_, feed)) = feed {
                feed.end().await;
            }
        });
    }

    /// An editor ends a session's live stream: a held stream ends now, a connected encoder
    /// is disconnected and its stream ended. `false` when nothing was live.
    pub async fn end(self: &Arc<Self>, id: i64) -> bool {
        let held = self.held.lock().expect("live held").remove(&id);
        if let Some((_, feed)) = held {
            feed.end().await;
            return true;
        }
        if self.pushing.lock().expect("live set").contains(&id) {
            self.stopping.lock().expect("live stopping").insert(id);
            return true;
        }
        false
    }

    /// A new count of what a session's stream receives.
    fn counting(&self, id: i64) -> Arc<Received> {
        let received = Arc::new(Received {
            bytes: AtomicU64::new(0),
            since: Instant::now(),
        });
        let mut all = self.received.lock().expect("live counts");
        all.insert(id, Arc::clone(&received));
        received
    }

    /// Notes that `viewer` fetched a session's live playlist (players fetch one every
    /// segment, so a viewer is someone who did within `VIEWER_SEEN`).
    pub fn saw_viewer(&self, id: i64, viewer: std::net::IpAddr) {
        let now = Instant::now();
        let mut viewers = self.viewers.lock().expect("live viewers");
        // Those gone are forgotten once per `VIEWER_SEEN`, not at every playlist fetched.
        if now.duration_since(viewers.swept) >= VIEWER_SEEN {
            viewers
                .seen
                .retain(|_, at| now.duration_since(*at) < VIEWER_SEEN);
            viewers.swept = now;
        }
        viewers.seen.insert((id, viewer), now);
    }

    /// An encoder was refused (a wrong key, or a second encoder).
    pub fn refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// How many encoders were refused since the server started.
    pub fn refused_count(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// The live streams of this server now: encoders connected or waited for.
    pub fn now(&self) -> Vec<LiveNow> {
        let pushing = self.pushing.lock().expect("live set").clone();
        let waiting: HashSet<i64> = self
            .held
            .lock()
            .expect("live held")
            .keys()
            .copied()
            .collect();
        let now = Instant::now();
        let viewers = self.viewers.lock().expect("live viewers");
        let received = self.received.lock().expect("live counts");
        let mut list: Vec<LiveNow> = pushing
            .union(&waiting)
            .map(|&id| {
                let (bytes, seconds) = received.get(&id).map_or((0, 0.0), |r| {
                    (
                        r.bytes.load(Ordering::Relaxed),
                        r.since.elapsed().as_secs_f64(),
                    )
                });
                LiveNow {
                    session_id: id,
                    connected: pushing.contains(&id),
                    bytes,
                    kbps: if seconds > 0.0 {
                        (bytes as f64 * 8.0 / 1000.0 / seconds) as u64
                    } else {
                        0
                    },
                    viewers: viewers
                        .seen
                        .iter()
                        .filter(|((s, _), at)| *s == id && now.duration_since(**at) < VIEWER_SEEN)
                        .count(),
                }
            })
            .collect();
        list.sort_by_key(|l| l.session_id);
        list
    }

    /// Whether an editor asked for this session's stream to end.
    pub fn stop_asked(&self, id: i64) -> bool {
        self.stopping.lock().expect("live stopping").contains(&id)
    }

    /// Hands to the archive what was recorded of the sessions that were live when the
    /// server stopped (nothing pushes to a server that has just started).
    pub async fn recover(&self) {
        let left = match self.archive.catalog.live_streams_left_live().await {
            Ok(left) => left,
            Err(e) => return tracing::error!("live: cannot list the sessions left live: {e}"),
        };
        for stream in left {
            let dir = session_dir(self.archive.data_dir(), stream.session_id);
            for path in recordings(&dir) {
                archive_recording(&self.archive, stream.session_id, &path).await;
            }
            if let Err(e) = self.archive.catalog.live_ended(stream.session_id).await {
                tracing::warn!(
                    session = stream.session_id,
                    "live: the end was not noted: {e}"
                );
            }
        }
    }
}

/// How often the live files of archived streams are looked for (and at each start):
/// every ten minutes, or every few seconds when they go as soon as the archive has the
/// recording.
fn sweep_every(keep_hours: u64) -> Duration {
    if keep_hours == 0 {
        Duration::from_secs(5)
    } else {
        Duration::from_secs(600)
    }
}

async fn sweeping(hub: Arc<Hub>) {
    let every = sweep_every(hub.archive.config.live_keep_hours);
    loop {
        tokio::time::sleep(every).await;
        hub.sweep().await;
    }
}

impl Hub {
    /// Removes the live files (the ladder, its captions and sound chunks) of streams whose
    /// recording the archive published `live_keep_hours` ago: from then on the archive's
    /// own version is what plays, and a three-hour session's ladder is gigabytes. A
    /// recording the archive could not take is kept. A session an encoder pushes to again
    /// is left alone: the sweep holds it as busy while it removes, so none can start then.
    pub async fn sweep(&self) {
        let keep = i64::try_from(self.archive.config.live_keep_hours.saturating_mul(3600))
            .unwrap_or(i64::MAX);
        let archived = match self
            .archive
            .catalog
            .live_streams_archived(crate::catalog::now().saturating_sub(keep))
            .await
        {
            Ok(archived) => archived,
            Err(e) => return tracing::warn!("live: cannot list the archived streams: {e}"),
        };
        for id in archived {
            let dir = session_dir(self.archive.data_dir(), id);
            if !dir.exists() || self.held.lock().expect("live held").contains_key(&id) {
                continue;
            }
            if !self.pushing.lock().expect("live set").insert(id) {
                continue;
            }
            let removed = tokio::task::spawn_blocking(move || remove_live_files(&dir)).await;
            self.pushing.lock().expect("live set").remove(&id);
            match removed {
                Ok(Ok(bytes)) => tracing::info!(
                    session = id,
                    bytes,
                    "live: files removed, the archive has the recording"
                ),
                Ok(Err(e)) => tracing::warn!(session = id, "live: files not all removed: {e}"),
                Err(e) => tracing::warn!(session = id, "live: files not removed: {e}"),
            }
        }
    }
}

/// Removes what a session's live directory holds but its recordings, and the directory
/// once empty: the bytes freed.
fn remove_live_files(dir: &Path) -> std::io::Result<u64> {
    let kept = recordings(dir);
    let mut freed = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if kept.contains(&path) {
            continue;
        }
        freed += size_of_tree(&path);
        if path.is_dir() && !path.is_symlink() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    if kept.is_empty() {
        std::fs::remove_dir(dir)?;
    }
    Ok(freed)
}

fn size_of_tree(path: &Path) -> u64 {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::read_dir(path)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| size_of_tree(&e.path()))
            .sum(),
        Ok(meta) => meta.len(),
        Err(_) => 0,
    }
}

/// The recordings kept in a session's live directory, oldest first.
fn recordings(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with("recording-") && (name.ends_with(".flv") || name.ends_with(".ts"))
        })
        .collect();
    found.sort();
    found
}

/// Adds a recording as the session's next part (a transcode is queued) and removes it
/// once the archive holds its copy. One that cannot be added stays, and the log says why.
async fn archive_recording(archive: &Archive, session_id: i64, path: &Path) {
    let name = format!(
        "diretta-{session_id}-{}",
        path.file_name().unwrap_or_default().to_string_lossy()
    );
    match crate::ingest::add_recording(archive, session_id, &path.to_path_buf(), &name).await {
        Ok((part, job)) => {
            tracing::info!(
                session = session_id,
                part,
                job,
                "live: the recording went to the archive"
            );
            let _ = tokio::fs::remove_file(path).await;
        }
        Err(e) => tracing::error!(
            session = session_id,
            recording = %path.display(),
            "live: the recording was kept but not archived: {e}"
        ),
    }
}

/// An encoder let in, before its stream begins.
pub enum Opening {
    /// Back within the window, on the same recording and ladder.
    Resumed(Feed),
    /// A new part; the part it comes back to, if any, ends first.
    New {
        hub: Arc<Hub>,
        id: i64,
        container: Container,
        previous: Option<Feed>,
    },
}

impl Opening {
    pub fn session_id(&self) -> i64 {
        match self {
            Opening::Resumed(feed) => feed.session_id,
            Opening::New { id, .. } => *id,
        }
    }

    /// The feed the encoder's stream goes to. A part it came back to is ended first (its
    /// ladder and captions finish, its recording goes to the archive): seconds, under
    /// load, which is why this comes after the encoder has been answered.
    pub async fn begin(self) -> Result<Feed, Refusal> {
        let (hub, id, container, previous) = match self {
            Opening::Resumed(feed) => return Ok(feed),
            Opening::New {
                hub,
                id,
                container,
                previous,
            } => (hub, id, container, previous),
        };
        if let Some(feed) = previous {
            feed.end().await;
        }
        let feed = hub.start(id, container).await;
        if feed.is_err() {
            hub.pushing.lock().expect("live set").remove(&id);
        }
        feed
    }
}

/// The live ladder of one encoder's stream: started with its first audio or video, once
/// the stream's metadata (sent first by OBS and ffmpeg) has said how tall the picture is.
enum Ladder {
    Waiting {
        hls: PathBuf,
        run: String,
        source_height: Option<u32>,
    },
    Running(Box<Fed>),
    Off,
}

/// One encoder's stream on its way to the recording and the live ladder.
pub struct Feed {
    hub: Arc<Hub>,
    session_id: i64,
    container: Container,
    ladder: Ladder,
    /// The captioner, and its flag set when the ladder has ended, for it to finish.
    captions: Option<(
        Arc<std::sync::atomic::AtomicBool>,
        tokio::task::JoinHandle<()>,
    )>,
    recording: tokio::fs::File,
    path: PathBuf,
    written: u64,
    received: Arc<Received>,
    /// The latest time written, and how the current connection's times map onto the
    /// recording's: an encoder that comes back starts its clock again, and the recording
    /// goes on from where it stopped.
    last_ms: u32,
    offset: Option<(u32, u32)>,
}

impl Feed {
    pub fn session_id(&self) -> i64 {
        self.session_id
    }

    /// The encoder came back: its next message follows the last one written.
    fn resume(&mut self) {
        self.offset = None;
    }

    /// A message's time on the recording's clock.
    fn recording_ms(&mut self, ms: u32) -> u32 {
        // A frame's length after the last message, so no two share a time.
        let (base, at) = *self
            .offset
            .get_or_insert((ms, self.last_ms.saturating_add(40)));
        let t = at.saturating_add(ms.saturating_sub(base));
        self.last_ms = self.last_ms.max(t);
        t
    }

    /// The picture's height as the encoder announced it: rungs taller are left out.
    pub fn source_height(&mut self, height: Option<u32>) {
        if let Ladder::Waiting { source_height, .. } = &mut self.ladder {
            *source_height = height.filter(|h| *h > 0);
        }
    }

    fn start_ladder(&mut self) {
        let Ladder::Waiting {
            hls,
            run,
            source_height,
        } = &self.ladder
        else {
            return;
        };
        let hub = &self.hub;
        let Some(profile) = &hub.profile else {
            self.ladder = Ladder::Off;
            return;
        };
        let (hls, run) = (hls.clone(), run.clone());
        let ladder = package::ladder_for(profile, *source_height);
        let audio = self.captions_audio(&run);
        let args = package::ffmpeg_args(&ladder, self.container, &hls, &run, audio.as_deref());
        self.ladder = match Fed::start(&hub.archive.config.ffmpeg, args) {
            Ok(fed) => Ladder::Running(Box::new(fed)),
            Err(e) => {
                tracing::error!(session = self.session_id, "live: no ladder: {e}");
                return self.ladder = Ladder::Off;
            }
        };
        if let Some(audio) = audio {
            let archive = hub.archive.clone();
            let captioner = captions::Captioner::new(archive, self.session_id, &hls, &audio, &run);
            let ended = Arc::clone(&captioner.ended);
            self.captions = Some((ended, tokio::spawn(captioner.run())));
        }
    }

    /// Where the ladder puts the sound for live captions, made ready; `None` when they
    /// are off or the speech engine is not installed.
    fn captions_audio(&self, run: &str) -> Option<PathBuf> {
        let config = &self.hub.archive.config;
        if !config.live_captions {
            return None;
        }
        if let Err(why) = crate::speech::engine::installed(config) {
            tracing::info!(session = self.session_id, "live: no captions: {why}");
            return None;
        }
        let dir = session_dir(self.hub.archive.data_dir(), self.session_id)
            .join(format!("captions-audio-{run}"));
        std::fs::create_dir_all(&dir)
            .map_err(|e| tracing::error!("live: no captions: {}: {e}", dir.display()))
            .ok()?;
        Some(dir)
    }

    /// Writes one audio or video message. Only the recording's failure is an error: a
    /// ladder that stops is logged and the recording goes on.
    pub async fn push(
        &mut self,
        kind: TagKind,
        timestamp_ms: u32,
        body: &[u8],
    ) -> Result<(), Refusal> {
        let at = self.recording_ms(timestamp_ms);
        let Some(tag) = flv::tag(kind, at, body) else {
            return Ok(());
        };
        let mut bytes = Vec::with_capacity(flv::HEADER.len() + tag.len());
        if self.written == 0 {
            bytes.extend_from_slice(&flv::HEADER);
        }
        bytes.extend_from_slice(&tag);
        self.write(&bytes).await
    }

    /// Writes bytes of the stream as they came (MPEG-TS from SRT; FLV made by `push`).
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), Refusal> {
        self.recording
            .write_all(bytes)
            .await
            .map_err(|e| Refusal::Disk(format!("{}: {e}", self.path.display())))?;
        self.written += bytes.len() as u64;
        self.received
            .bytes
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        match &mut self.ladder {
            Ladder::Running(ffmpeg) => {
                if let Err(e) = ffmpeg.write(bytes).await {
                    tracing::error!(session = self.session_id, "live: the ladder stopped: {e}");
                    self.ladder = Ladder::Off;
                }
            }
            Ladder::Waiting { .. } => self.begin_ladder().await,
            Ladder::Off => {}
        }
        Ok(())
    }

    /// Starts the ladder once it can know the picture's height: at once for FLV (the
    /// metadata came first), after the first `PROBE_BYTES` of MPEG-TS (read by ffprobe
    /// from the recording). The ladder is given the recording so far, so it misses
    /// nothing.
    async fn begin_ladder(&mut self) {
        if self.container == Container::MpegTs {
            if self.written < PROBE_BYTES {
                return;
            }
            let _ = self.recording.flush().await;
            let ffprobe = &self.hub.archive.config.ffprobe;
            let height = crate::ingest::probe::probe_file(ffprobe, &self.path)
                .await
                .ok()
                .and_then(|(probe, _)| probe.video)
                .map(|v| v.height);
            tracing::debug!(
                session = self.session_id,
                ?height,
                "live: the stream's picture"
            );
            self.source_height(height);
        }
        self.start_ladder();
        let _ = self.recording.flush().await;
        let so_far = match tokio::fs::read(&self.path).await {
            Ok(so_far) => so_far,
            Err(e) => {
                tracing::error!(session = self.session_id, "live: no ladder: {e}");
                self.ladder = Ladder::Off;
                return;
            }
        };
        if let Ladder::Running(ffmpeg) = &mut self.ladder {
            if let Err(e) = ffmpeg.write(&so_far).await {
                tracing::error!(session = self.session_id, "live: the ladder stopped: {e}");
                self.ladder = Ladder::Off;
            }
        }
    }

    /// The encoder is gone: the ladder is finished (its playlists end), the recording
    /// closed and handed to the archive, the session noted as ended.
    pub async fn end(mut self) {
        let id = self.session_id;
        if let Ladder::Running(ffmpeg) = std::mem::replace(&mut self.ladder, Ladder::Off) {
            if let Err(e) = ffmpeg.finish(FINISH_GRACE).await {
                tracing::warn!(session = id, "live: the ladder did not end cleanly: {e}");
            }
        }
        // The captioner hears what is left and ends its track before this stream is
        // over: an SRT encoder coming back starts a new part in the same directory, and
        // a captioner still at work wrote its ended track over the new part's (a player
        // that read it then stopped asking for captions).
        if let Some((ended, mut captioner)) = self.captions.take() {
            ended.store(true, Ordering::Release);
            if tokio::time::timeout(CAPTIONS_GRACE, &mut captioner)
                .await
                .is_err()
            {
                captioner.abort();
                tracing::warn!(session = id, "live: the captions did not end in time");
            }
        }
        let _ = self.recording.flush().await;
        let _ = self.recording.sync_all().await;
        let archive = &self.hub.archive;
        if self.written > 0 {
            archive_recording(archive, id, &self.path).await;
        } else {
            let _ = tokio::fs::remove_file(&self.path).await;
        }
        if let Err(e) = archive.catalog.live_ended(id).await {
            tracing::warn!(session = id, "live: the end was not noted: {e}");
        }
        tracing::info!(
            session = id,
            bytes = self.written,
            "live: the encoder stopped"
        );
    }
}
