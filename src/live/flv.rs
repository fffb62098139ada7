//! The FLV container, as far as a live stream needs it: what an RTMP encoder sends is the
//! body of an FLV tag (audio or video), so writing the header once and each message as a
//! tag gives a file ffmpeg and ffprobe read like any FLV recording. Pure.

/// The file header (version 1, audio and video present) and the first, empty,
/// "previous tag size".
pub const HEADER: [u8; 13] = [b'F', b'L', b'V', 1, 0b101, 0, 0, 0, 9, 0, 0, 0, 0];

/// What a tag carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagKind {
    Audio = 8,
    Video = 9,
}

/// The largest body one tag can say it has (its size is 24 bits).
pub const MAX_BODY: usize = (1 << 24) - 1;

/// One tag: its 11-byte head, the body, and the size of both after it. `None` for a body
/// too large for a tag (no encoder sends one; such a message is dropped).
pub fn tag(kind: TagKind, timestamp_ms: u32, body: &[u8]) -> Option<Vec<u8>> {
    if body.len() > MAX_BODY {
        return None;
    }
    let size = body.len() as u32;
    let mut out = Vec::with_capacity(11 + body.len() + 4);
    out.push(kind as u8);
    out.extend_from_slice(&size.to_be_bytes()[1..]);
    // 24 low bits, then the high 8 ("timestamp extended").
    out.extend_from_slice(&timestamp_ms.to_be_bytes()[1..]);
    out.push((timestamp_ms >> 24) as u8);
    out.extend_from_slice(&[0, 0, 0]); // stream id, always 0
    out.extend_from_slice(body);
    out.extend_from_slice(&(11 + size).to_be_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_head_body_and_its_size() {
        let t = tag(TagKind::Video, 0x0123_4567, b"abc").unwrap();
        assert_eq!(
            t,
            [9, 0, 0, 3, 0x23, 0x45, 0x67, 0x01, 0, 0, 0, b'a', b'b', b'c', 0, 0, 0, 14]
        );
        assert_eq!(
            tag(TagKind::Audio, 5, b"").unwrap()[0..8],
            [8, 0, 0, 0, 0, 0, 5, 0]
        );
        assert!(tag(TagKind::Audio, 0, &vec![0; MAX_BODY + 1]).is_none());
        assert_eq!(&HEADER[..3], b"FLV");
    }
}
