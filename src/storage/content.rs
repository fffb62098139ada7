//! What a media file is to a reader: its content type from its name (the HLS types that
//! mime_guess gets wrong or does not know first), and its public path. Used when a file
//! is uploaded to a store and when it is served, so both say the same.

/// Content type for a media file name: the HLS types first (mime_guess gets them wrong or
/// does not know them), then mime_guess.
pub fn content_type(name: &str) -> mime_guess::Mime {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let fixed = match ext.as_str() {
        "m3u8" => Some("application/vnd.apple.mpegurl"),
        "m4s" => Some("video/iso.segment"),
        "ts" => Some("video/mp2t"),
        "mp4" => Some("video/mp4"),
        "m4a" => Some("audio/mp4"),
        "vtt" => Some("text/vtt; charset=utf-8"),
        _ => None,
    };
    match fixed {
        Some(t) => t
            .parse()
            .unwrap_or(mime_guess::mime::APPLICATION_OCTET_STREAM),
        None => mime_guess::from_ext(&ext).first_or_octet_stream(),
    }
}

/// The public path of `file` of the media version in `dir` (`session/version`).
pub fn media_url(dir: &str, file: &str) -> String {
    format!("/media/{dir}/{file}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hls_types() {
        assert_eq!(
            content_type("master.m3u8").as_ref(),
            "application/vnd.apple.mpegurl"
        );
        assert_eq!(content_type("seg_00001.m4s").as_ref(), "video/iso.segment");
        assert_eq!(content_type("seg.ts").as_ref(), "video/mp2t");
        assert_eq!(content_type("download.MP4").as_ref(), "video/mp4");
        assert_eq!(content_type("audio.m4a").as_ref(), "audio/mp4");
        assert_eq!(content_type("poster.jpg").as_ref(), "image/jpeg");
        assert_eq!(content_type("subs.vtt").as_ref(), "text/vtt; charset=utf-8");
    }

    #[test]
    fn media_paths_name_the_version() {
        assert_eq!(media_url("1/2", "master.m3u8"), "/media/1/2/master.m3u8");
    }
}
