//! Reading back the HLS playlists ffmpeg wrote: the variants of a master playlist and the
//! total duration of a media playlist. Used to check output and to describe renditions;
//! it never writes playlists.

/// One `#EXT-X-STREAM-INF` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub uri: String,
    pub bandwidth: i64,
    pub average_bandwidth: Option<i64>,
    pub resolution: Option<(i64, i64)>,
    pub codecs: String,
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
            };
            for (key, value) in attributes(attrs) {
                match key {
                    "BANDWIDTH" => v.bandwidth = value.parse().unwrap_or(0),
                    "AVERAGE-BANDWIDTH" => v.average_bandwidth = value.parse().ok(),
                    "CODECS" => v.codecs = value.to_string(),
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

/// Sum of `#EXTINF` durations of a finished VOD media playlist, and its segment URIs.
pub fn parse_media(name: &str, text: &str) -> Result<(f64, Vec<String>), PlaylistError> {
    if !text.trim_start().starts_with("#EXTM3U") {
        return Err(PlaylistError::NotHls(name.into()));
    }
    let mut total = 0.0;
    let mut segments = Vec::new();
    let mut ended = false;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("#EXTINF:") {
            let value = rest.split(',').next().unwrap_or("");
            total += value
                .trim()
                .parse::<f64>()
                .map_err(|_| PlaylistError::BadLine {
                    name: name.into(),
                    line: line.into(),
                })?;
        } else if line == "#EXT-X-ENDLIST" {
            ended = true;
        } else if !line.starts_with('#') {
            segments.push(line.to_string());
        }
    }
    if !ended {
        return Err(PlaylistError::Unfinished(name.into()));
    }
    Ok((total, segments))
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
        let (d, segs) = parse_media("index.m3u8", text).unwrap();
        assert!((d - 6.04).abs() < 1e-9);
        assert_eq!(segs, vec!["seg_00000.m4s", "seg_00001.m4s"]);
        let cut = text.replace("#EXT-X-ENDLIST\n", "");
        assert!(matches!(
            parse_media("x", &cut),
            Err(PlaylistError::Unfinished(_))
        ));
        assert!(parse_master("x", "hello").is_err());
    }
}
