//! The SRT side of live sessions: what newer encoders prefer over a lossy link (OBS, vMix,
//! hardware encoders, `ffmpeg … -f mpegts srt://…`). srt-tokio does the protocol; the
//! encoder names its session by the stream key given as its stream id (`streamid=KEY`,
//! or the access-control form `#!::r=KEY,m=publish`). A wrong or missing key is rejected
//! in the handshake (SRT's 2403, forbidden) and logged with the peer's address; one
//! encoder per session. What arrives is MPEG-TS and goes to the session's `Feed` as it is.

use std::net::SocketAddr;
use std::sync::Arc;

use futures_util::StreamExt;
use srt_tokio::access::{RejectReason, ServerRejectReason};
use srt_tokio::{ConnectionRequest, SrtIncoming, SrtListener, SrtSocket};

use super::{Container, Hub};

/// Binds the SRT listener (a UDP port).
pub async fn bind(addr: SocketAddr) -> std::io::Result<(SrtListener, SrtIncoming)> {
    SrtListener::builder().bind(addr).await
}

/// Takes encoders for as long as the server runs. The listener stays here: dropped, it
/// would close.
pub async fn serve(listener: SrtListener, mut incoming: SrtIncoming, hub: Arc<Hub>) {
    let _listener = listener;
    while let Some(request) = incoming.incoming().next().await {
        let hub = Arc::clone(&hub);
        tokio::spawn(async move { connection(request, &hub).await });
    }
}

/// The stream key in an SRT stream id: the whole id, or `r=` of the `#!::` form.
pub fn key_of(stream_id: &str) -> &str {
    match stream_id.strip_prefix("#!::") {
        Some(fields) => fields
            .split(',')
            .find_map(|f| f.strip_prefix("r="))
            .unwrap_or_default(),
        None => stream_id,
    }
}

async fn connection(request: ConnectionRequest, hub: &Arc<Hub>) {
    let peer = request.remote();
    let key = request
        .stream_id()
        .map(|id| key_of(id.as_str()).to_string())
        .unwrap_or_default();
    let opening = match hub.open(&key, Container::MpegTs).await {
        Ok(opening) => opening,
        Err(why) => {
            tracing::warn!(%peer, "live: refused an SRT encoder: {why}");
            hub.refused();
            let _ = request
                .reject(RejectReason::Server(ServerRejectReason::Forbidden))
                .await;
            return;
        }
    };
    tracing::info!(%peer, session = opening.session_id(), "live: SRT encoder let in");
    // Answered first, begun after: ending the part it comes back to takes seconds, which
    // an encoder's handshake does not wait (seen: ffmpeg gave up, "Input/output error").
    // Meanwhile what it sends is read and held, so that SRT keeps acknowledging it (seen:
    // a socket not read for those seconds broke the encoder's connection).
    let socket = match request.accept(None).await {
        Ok(socket) => Some(socket),
        Err(e) => {
            tracing::warn!(%peer, "live: the SRT handshake did not finish: {e}");
            None
        }
    };
    let (held, mut arriving) = tokio::sync::mpsc::channel(HELD_PACKETS);
    let reader = socket.map(|socket| tokio::spawn(read(socket, held)));
    let mut feed = match opening.begin().await {
        Ok(feed) => feed,
        Err(why) => return tracing::error!(%peer, "live: the SRT stream cannot begin: {why}"),
    };
    while let Some(bytes) = arriving.recv().await {
        if let Err(why) = feed.write(&bytes).await {
            tracing::warn!(%peer, "live: the SRT stream cannot be written: {why}");
            break;
        }
        if hub.stop_asked(feed.session_id()) {
            break;
        }
    }
    // Closed here: the reader stops at its next packet, and the socket with it.
    drop(arriving);
    if let Some(Ok(Err(why))) = match reader {
        Some(reader) => Some(reader.await),
        None => None,
    } {
        tracing::info!(%peer, "live: SRT connection closed: {why}");
    }
    hub.dropped(feed).await;
}

/// Packets read ahead of the feed while a part it comes back to ends: about 20 MB, a
/// minute of a 3 Mb/s stream.
const HELD_PACKETS: usize = 16_384;

/// Passes what arrives to `held` until the encoder closes, SRT gives up on it (its peer
/// idle timeout), or nobody takes it any more (the stream ended).
async fn read(
    mut socket: SrtSocket,
    held: tokio::sync::mpsc::Sender<bytes::Bytes>,
) -> Result<(), String> {
    while let Some(received) = socket.next().await {
        let (_, bytes) = received.map_err(|e| e.to_string())?;
        if held.send(bytes).await.is_err() {
            return Ok(());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::key_of;

    #[test]
    fn the_key_is_the_stream_id_or_its_resource() {
        assert_eq!(key_of("live_abc"), "live_abc");
        assert_eq!(key_of("#!::r=live_abc,m=publish"), "live_abc");
        assert_eq!(key_of("#!::m=publish,r=live_abc"), "live_abc");
        assert_eq!(key_of("#!::m=publish"), "");
    }
}
