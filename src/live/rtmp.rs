//! The RTMP side of live sessions: what OBS, a hardware encoder or ffmpeg speak when they
//! push. rml_rtmp does the protocol (handshake, chunks, commands); this loop reads the
//! socket, lets an encoder publish only with a key the `Hub` knows, and passes its audio
//! and video messages to the session's `Feed`.
//!
//! Bounds: at most `MAX_CONNECTIONS` at once; an encoder must publish within
//! `BEFORE_PUBLISH` of connecting, and one that sends nothing for `IDLE` is taken as gone
//! (its session ends as when it stops cleanly). A refused key is answered with
//! `NetStream.Publish.BadName`, logged with the peer's address (never the key), and the
//! connection closed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};
use rml_rtmp::sessions::{
    ServerSession, ServerSessionConfig, ServerSessionEvent, ServerSessionResult,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use super::flv::TagKind;
use super::{Feed, Hub};

/// Encoders (and anything else knocking) served at once.
const MAX_CONNECTIONS: usize = 16;
/// From connecting to publishing.
const BEFORE_PUBLISH: Duration = Duration::from_secs(10);
/// Silence after which a publishing encoder is taken as gone.
pub const IDLE: Duration = Duration::from_secs(5);

/// Accepts encoders on `listener` for as long as the server runs.
pub async fn serve(listener: TcpListener, hub: Arc<Hub>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!("live: cannot accept an encoder: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            tracing::warn!(%peer, "live: refused a connection, {MAX_CONNECTIONS} already open");
            continue;
        };
        let hub = Arc::clone(&hub);
        tokio::spawn(async move {
            let _ = socket.set_nodelay(true);
            let mut feed = None;
            if let Err(why) = connection(socket, peer, &hub, &mut feed).await {
                tracing::info!(%peer, "live: connection closed: {why}");
            }
            if let Some(feed) = feed {
                hub.dropped(feed).await;
            }
            drop(slot);
        });
    }
}

/// One connection, from the handshake to the end of its stream. `feed` is set once the
/// encoder is let in, so the caller ends it however this returns.
async fn connection(
    mut socket: TcpStream,
    peer: SocketAddr,
    hub: &Arc<Hub>,
    feed: &mut Option<Feed>,
) -> Result<(), String> {
    let mut buf = vec![0u8; 64 * 1024];
    let leftover = handshake(&mut socket, &mut buf).await?;
    let (mut session, first) =
        ServerSession::new(ServerSessionConfig::new()).map_err(|e| format!("rtmp: {e:?}"))?;
    send(&mut socket, first).await?;
    let mut pending = leftover;
    loop {
        let results = session
            .handle_input(&pending)
            .map_err(|e| format!("rtmp: {e:?}"))?;
        for result in results {
            match result {
                ServerSessionResult::OutboundResponse(packet) => {
                    write(&mut socket, &packet.bytes).await?;
                }
                ServerSessionResult::RaisedEvent(event) => {
                    if !event_done(event, &mut socket, &mut session, peer, hub, feed).await? {
                        return Ok(());
                    }
                }
                ServerSessionResult::UnhandleableMessageReceived(_) => {}
            }
        }
        let limit = if feed.is_some() { IDLE } else { BEFORE_PUBLISH };
        let n = read(&mut socket, &mut buf, limit).await?;
        if n == 0 {
            return Ok(());
        }
        if let Some(id) = feed.as_ref().map(Feed::session_id) {
            if hub.stop_asked(id) {
                return Err(super::Refusal::Ended(id).to_string());
            }
        }
        pending = buf[..n].to_vec();
    }
}

/// Handles one event; `false` when the stream is over.
async fn event_done(
    event: ServerSessionEvent,
    socket: &mut TcpStream,
    session: &mut ServerSession,
    peer: SocketAddr,
    hub: &Arc<Hub>,
    feed: &mut Option<Feed>,
) -> Result<bool, String> {
    match event {
        ServerSessionEvent::ConnectionRequested { request_id, .. } => {
            let out = session
                .accept_request(request_id)
                .map_err(|e| format!("rtmp: {e:?}"))?;
            send(socket, out).await?;
        }
        ServerSessionEvent::PublishStreamRequested {
            request_id,
            stream_key,
            ..
        } => {
            if feed.is_some() {
                return Err("a second publish on one connection".into());
            }
            match hub.open(&stream_key, super::Container::Flv).await {
                Ok(opening) => {
                    tracing::info!(%peer, session = opening.session_id(), "live: encoder let in");
                    let sent = match session.accept_request(request_id) {
                        Ok(out) => send(socket, out).await,
                        Err(e) => Err(format!("rtmp: {e:?}")),
                    };
                    // Answered first: ending a part it comes back to takes seconds. Begun
                    // whatever the answer: the session is claimed, and that part must end.
                    *feed = Some(opening.begin().await.map_err(|e| e.to_string())?);
                    sent?;
                }
                Err(why) => {
                    tracing::warn!(%peer, "live: refused an encoder: {why}");
                    hub.refused();
                    if let Ok(out) = session.reject_request(
                        request_id,
                        "NetStream.Publish.BadName",
                        &why.to_string(),
                    ) {
                        let _ = send(socket, out).await;
                    }
                    return Ok(false);
                }
            }
        }
        ServerSessionEvent::VideoDataReceived {
            data, timestamp, ..
        } => push(feed, TagKind::Video, timestamp.value, &data).await?,
        ServerSessionEvent::AudioDataReceived {
            data, timestamp, ..
        } => push(feed, TagKind::Audio, timestamp.value, &data).await?,
        ServerSessionEvent::StreamMetadataChanged { metadata, .. } => {
            if let Some(feed) = feed.as_mut() {
                feed.source_height(metadata.video_height);
            }
        }
        ServerSessionEvent::PublishStreamFinished { .. } => return Ok(false),
        _ => {}
    }
    Ok(true)
}

async fn push(feed: &mut Option<Feed>, kind: TagKind, at: u32, data: &[u8]) -> Result<(), String> {
    match feed.as_mut() {
        Some(feed) => feed.push(kind, at, data).await.map_err(|e| e.to_string()),
        None => Err("media before a publish".into()),
    }
}

/// The RTMP handshake; what the peer sent beyond it.
async fn handshake(socket: &mut TcpStream, buf: &mut [u8]) -> Result<Vec<u8>, String> {
    let mut shake = Handshake::new(PeerType::Server);
    loop {
        let n = read(socket, buf, BEFORE_PUBLISH).await?;
        if n == 0 {
            return Err("closed during the handshake".into());
        }
        match shake
            .process_bytes(&buf[..n])
            .map_err(|e| format!("not an RTMP handshake: {e:?}"))?
        {
            HandshakeProcessResult::InProgress { response_bytes } => {
                write(socket, &response_bytes).await?;
            }
            HandshakeProcessResult::Completed {
                response_bytes,
                remaining_bytes,
            } => {
                write(socket, &response_bytes).await?;
                return Ok(remaining_bytes);
            }
        }
    }
}

async fn read(socket: &mut TcpStream, buf: &mut [u8], limit: Duration) -> Result<usize, String> {
    match tokio::time::timeout(limit, socket.read(buf)).await {
        Ok(Ok(n)) => Ok(n),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("nothing received for {} s", limit.as_secs())),
    }
}

async fn write(socket: &mut TcpStream, bytes: &[u8]) -> Result<(), String> {
    if bytes.is_empty() {
        return Ok(());
    }
    socket.write_all(bytes).await.map_err(|e| e.to_string())
}

async fn send(socket: &mut TcpStream, results: Vec<ServerSessionResult>) -> Result<(), String> {
    for result in results {
        if let ServerSessionResult::OutboundResponse(packet) = result {
            write(socket, &packet.bytes).await?;
        }
    }
    Ok(())
}
