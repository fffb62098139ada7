//! The HLS playlists ffmpeg wrote: the variants of a master playlist and the segments of
//! a media playlist, read back to check the output; and the master playlist written again
//! with bandwidths measured from the real segments.

/// One `#EXT-X-STREAM-INF` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub uri: String,
    pub bandwidth: i64,
    pub average_bandwidth: Option<i64>,
    pub resolution: Option<(i64, i64)>,
    pub codecs: String,
    pub frame_rate: Option<f64>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PlaylistError {
    #[error("{0} is not an HLS playlist (no #EXTM3U header)")]
    NotHls(String),
    #[error("{0} lists no variants")]
    NoVariants(String),
    #[error("{0} has no #EXT-X-ENDLIST: the output was not finished")]
    Unfinished(String),
    #[error("{name} has a bad line: {line}")]
    BadLine { name: String, line: String },
}

pub fn parse_master(name: &str, text: &str) -> Result<Vec<Variant>, PlaylistError> {
    if !text.trim_start().starts_with("#EXTM3U") {
        return Err(PlaylistError::NotHls(name.into()));
    }
    let mut variants = Vec::new();
    let mut pending: Option<Variant> = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(attrs) = line.strip_prefix("#EXT-X-STREAM-INF:") {
            let mut v = Variant {
                uri: String::new(),
                bandwidth: 0,
                average_bandwidth: None,
                resolution: None,
                codecs: String::new(),
                frame_rate: None,
            };
            for (key, value) in attributes(attrs) {
                match key {
                    "BANDWIDTH" => v.bandwidth = value.parse().unwrap_or(0),
                    "AVERAGE-BANDWIDTH" => v.average_bandwidth = value.parse().ok(),
                    "CODECS" => v.codecs = value.to_string(),
                    "FRAME-RATE" => v.frame_rate = value.parse().ok(),
                    "RESOLUTION" => {
                        v.resolution = value
                            .split_once('x')
                            .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
                    }
                    _ => {}
                }
            }
            pending = Some(v);
        } else if !line.starts_with('#') {
            if let Some(mut v) = pending.take() {
                v.uri = line.to_string();
                variants.push(v);
            }
        }
    }
    if variants.is_empty() {
        return Err(PlaylistError::NoVariants(name.into()));
    }
    Ok(variants)
}

/// The segments of a finished VOD media playlist: (URI, `#EXTINF` seconds) in order.
pub fn parse_media(name: &str, text: &str) -> Result<Vec<(String, f64)>, PlaylistError> {
    if !text.trim_start().starts_with("#EXTM3U") {
        return Err(PlaylistError::NotHls(name.into()));
    }
    let mut segments = Vec::new();
    let mut pending: Option<f64> = None;
    let mut ended = false;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("#EXTINF:") {
            let value = rest.split(',').next().unwrap_or("");
            pending = Some(
                value
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| PlaylistError::BadLine {
                        name: name.into(),
                        line: line.into(),
                    })?,
            );
        } else if line == "#EXT-X-ENDLIST" {
            ended = true;
        } else if !line.starts_with('#') {
            let seconds = pending.take().ok_or_else(|| PlaylistError::BadLine {
                name: name.into(),
                line: line.into(),
            })?;
            segments.push((line.to_string(), seconds));
        }
    }
    if !ended {
        return Err(PlaylistError::Unfinished(name.into()));
    }
    Ok(segments)
}

/// (peak, average) bits per second of a variant from its segments' (bytes, seconds): the
/// peak is the busiest segment (segments under half a second, like a short last one, only
/// count towards the average), the average is all bits over all seconds.
pub fn measure_bandwidth(segments: &[(u64, f64)]) -> (i64, i64) {
    let bits: f64 = segments.iter().map(|(b, _)| *b as f64 * 8.0).sum();
    let seconds: f64 = segments.iter().map(|(_, s)| s).sum();
    let average = if seconds > 0.0 { bits / seconds } else { 0.0 };
    let peak = segments
        .iter()
        .filter(|(_, s)| *s >= 0.5)
        .map(|(b, s)| *b as f64 * 8.0 / s)
        .fold(average, f64::max);
    (peak.ceil() as i64, average.ceil() as i64)
}

/// The RFC 6381 codec string of the H.264 track in an fMP4 init segment (`avc1.64001e`),
/// read from its `avcC` box: profile, constraint flags, level.
pub fn avc_codec_string(init: &[u8]) -> Option<String> {
    let at = init.windows(4).position(|w| w == b"avcC")?;
    let record = init.get(at + 4..at + 8)?;
    (record[0] == 1).then(|| format!("avc1.{:02x}{:02x}{:02x}", record[1], record[2], record[3]))
}

/// A master playlist for `variants`, in their order.
pub fn write_master(variants: &[Variant]) -> String {
    let mut out = String::from("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    for v in variants {
        out.push_str(&format!("#EXT-X-STREAM-INF:BANDWIDTH={}", v.bandwidth));
        if let Some(avg) = v.average_bandwidth {
            out.push_str(&format!(",AVERAGE-BANDWIDTH={avg}"));
        }
        if !v.codecs.is_empty() {
            out.push_str(&format!(",CODECS=\"{}\"", v.codecs));
        }
        if let Some((w, h)) = v.resolution {
            out.push_str(&format!(",RESOLUTION={w}x{h}"));
        }
        if let Some(fps) = v.frame_rate {
            out.push_str(&format!(",FRAME-RATE={fps:.3}"));
        }
        out.push_str(&format!("\n{}\n", v.uri));
    }
    out
}

/// Splits `A=1,B="x,y"` into pairs, honouring quotes.
fn attributes(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim();
        let after = &rest[eq + 1..];
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            let next = quoted.get(end + 1..).unwrap_or("");
            (&quoted[..end], next.strip_prefix(',').unwrap_or(next))
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (&after[..end], after.get(end + 1..).unwrap_or(""))
        };
        out.push((key, value));
        rest = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MASTER: &str = "#EXTM3U\n#EXT-X-VERSION:7\n\
        #EXT-X-STREAM-INF:BANDWIDTH=985600,RESOLUTION=480x360,CODECS=\"avc1.4d401f,mp4a.40.2\"\n\
        360p/index.m3u8\n\n\
        #EXT-X-STREAM-INF:BANDWIDTH=545600,RESOLUTION=320x240,CODECS=\"avc1.4d401e,mp4a.40.2\"\n\
        240p/index.m3u8\n";

    #[test]
    fn master_variants() {
        let v = parse_master("master.m3u8", MASTER).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].uri, "360p/index.m3u8");
        assert_eq!(v[0].bandwidth, 985600);
        assert_eq!(v[0].resolution, Some((480, 360)));
        assert_eq!(v[1].codecs, "avc1.4d401e,mp4a.40.2");
    }

    #[test]
    fn media_duration_and_end() {
        let text = "#EXTM3U\n#EXT-X-MAP:URI=\"init_0.mp4\"\n#EXTINF:4.000000,\nseg_00000.m4s\n\
                    #EXTINF:2.04,\nseg_00001.m4s\n#EXT-X-ENDLIST\n";
        let segs = parse_media("index.m3u8", text).unwrap();
        assert_eq!(
            segs,
            vec![
                ("seg_00000.m4s".to_string(), 4.0),
                ("seg_00001.m4s".to_string(), 2.04)
            ]
        );
        let cut = text.replace("#EXT-X-ENDLIST\n", "");
        assert!(matches!(
            parse_media("x", &cut),
            Err(PlaylistError::Unfinished(_))
        ));
        assert!(parse_master("x", "hello").is_err());
    }

    #[test]
    fn codec_string_from_the_init_segment() {
        let mut init = b"....moov....trak....avc1".to_vec();
        init.extend_from_slice(&[0, 0, 0, 40]);
        init.extend_from_slice(b"avcC");
        init.extend_from_slice(&[1, 0x64, 0x00, 0x1e, 0xff]);
        assert_eq!(avc_codec_string(&init).as_deref(), Some("avc1.64001e"));
        assert_eq!(avc_codec_string(b"no such box"), None);
    }

    #[test]
    fn bandwidth_is_measured_and_written_back() {
        // 4 s at 500 kB, 4 s at 250 kB, a 0.2 s tail of 50 kB (2 Mb/s, ignored for the peak).
        let (peak, avg) = measure_bandwidth(&[(500_000, 4.0), (250_000, 4.0), (50_000, 0.2)]);
        assert_eq!(peak, 1_000_000);
        assert_eq!(avg, (800_000.0 * 8.0 / 8.2_f64).ceil() as i64);
        let mut v = parse_master("m", MASTER).unwrap();
        v[0].bandwidth = peak;
        v[0].average_bandwidth = Some(avg);
        v[0].frame_rate = Some(25.0);
        let text = write_master(&v);
        assert!(text.contains(
            "#EXT-X-STREAM-INF:BANDWIDTH=1000000,AVERAGE-BANDWIDTH=780488,CODECS=\"avc1.4d401f,mp4a.40.2\",RESOLUTION=480x360,FRAME-RATE=25.000\n360p/index.m3u8\n"
        ), "{text}");
        assert_eq!(parse_master("m", &text).unwrap(), v);
    }
}
