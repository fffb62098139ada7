//! Builds the media tree the serving benchmark uses (bench/media/run.sh): one published
//! session with a 3-rung HLS ladder of 60 segments per rung at realistic sizes, and a
//! 200 MB progressive MP4, registered in a fresh catalog so aula serves it as published.
//! The session is also armed and live, its live ladder the same files (a link), so the
//! live address (`/live/1/…`, which asks the catalog and reads each file) is measured too.
//! Usage: cargo run --release --example bench_media_tree -- DATA_DIR

use std::io::Write;
use std::path::PathBuf;

use aula::catalog::{
    BodyName, NewMediaVersion, NewRecording, NewSession, SessionDate, SessionTitle,
};
use aula::{Archive, Config};

/// (name, segment bytes ≈ bitrate × 4 s, width, height, bandwidth)
const RUNGS: [(&str, usize, u32, u32, u32); 3] = [
    ("720p", 1_500_000, 1280, 720, 3_000_000),
    ("360p", 500_000, 640, 360, 1_000_000),
    ("240p", 250_000, 426, 240, 500_000),
];
const SEGMENTS: usize = 60;
const MP4_BYTES: usize = 200 * 1000 * 1000;

fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let data_dir: PathBuf = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: bench_media_tree DATA_DIR"))?
        .into();
    let archive = Archive::open(Config {
        data_dir: data_dir.clone(),
        ..Config::default()
    })
    .await?;
    let aula::catalog::CreatedSession { session_id, .. } = archive
        .catalog
        .create_session(
            &NewSession {
                body: &BodyName::parse("Consiglio comunale")?,
                date: SessionDate::parse("2012-05-10")?,
                title: &SessionTitle::parse("Seduta per il banco di prova")?,
                kind: "ordinary",
                number: None,
            },
            &[NewRecording {
                sha256: &"b".repeat(64),
                original_name: "bench",
                size_bytes: 1,
                stored_path: "originals/bench",
                duration_ms: Some(240_000),
                probe_json: "{}",
            }],
            "{}",
        )
        .await?;
    let dir = format!("{session_id}/1");
    let root = data_dir.join("media").join(&dir);
    let mut master = String::from("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    for (r, (name, size, w, h, bw)) in RUNGS.iter().enumerate() {
        let rung = root.join(name);
        std::fs::create_dir_all(&rung)?;
        let mut playlist = String::from(
            "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n\
             #EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"init.mp4\"\n",
        );
        std::fs::write(rung.join("init.mp4"), noise(900, r as u64 + 7))?;
        for i in 0..SEGMENTS {
            // ±10% around the nominal size, as real encodes vary
            let jitter = (i * 7919 % 21) as f64 / 100.0 - 0.10;
            let len = (*size as f64 * (1.0 + jitter)) as usize;
            let seg = format!("seg_{i:05}.m4s");
            std::fs::write(rung.join(&seg), noise(len, (r * 1000 + i) as u64 + 1))?;
            playlist.push_str(&format!("#EXTINF:4.000000,\n{seg}\n"));
        }
        playlist.push_str("#EXT-X-ENDLIST\n");
        std::fs::write(rung.join("index.m3u8"), playlist)?;
        master.push_str(&format!(
            "#EXT-X-STREAM-INF:BANDWIDTH={bw},RESOLUTION={w}x{h},CODECS=\"avc1.64001f,mp4a.40.2\"\n{name}/index.m3u8\n"
        ));
    }
    std::fs::write(root.join("master.m3u8"), master)?;
    let mut mp4 = std::fs::File::create(root.join("download.mp4"))?;
    let block = noise(1 << 20, 99);
    let mut written = 0;
    while written < MP4_BYTES {
        let n = block.len().min(MP4_BYTES - written);
        mp4.write_all(&block[..n])?;
        written += n;
    }
    archive
        .catalog
        .publish_media(
            session_id,
            &NewMediaVersion {
                version: 1,
                dir: &dir,
                profile: "bench",
                master_playlist: "master.m3u8",
                mp4_file: Some("download.mp4"),
                audio_playlist: None,
                audio_file: None,
                thumbnails_vtt: None,
                job: None,
                transcribe: false,
                poster_file: None,
                duration_ms: 240_000,
                warnings: None,
                cuts: None,
            },
            &[],
        )
        .await?;
    live_too(&archive, &data_dir, session_id, &root).await?;
    println!("{}", root.display());
    Ok(())
}

/// Arms the session for a live stream, live now, whose ladder is the published files.
async fn live_too(
    archive: &Archive,
    data_dir: &std::path::Path,
    session_id: i64,
    ladder: &std::path::Path,
) -> anyhow::Result<()> {
    archive
        .catalog
        .arm_live(session_id, &"c".repeat(64), None)
        .await?;
    archive.catalog.live_started(session_id).await?;
    let hls = aula::live::hls_dir(data_dir, session_id);
    std::fs::create_dir_all(hls.parent().expect("a live directory"))?;
    std::os::unix::fs::symlink(ladder.canonicalize()?, &hls)?;
    Ok(())
}
