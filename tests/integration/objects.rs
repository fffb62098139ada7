//! Media in an S3-compatible object store: a real server (s3s-fs, from crates.io, which
//! the README's test command installs) on 127.0.0.1; real `aula` processes ingest into it
//! and serve from it, proxying byte ranges or redirecting to a public base.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::helpers::{aula, eventually, eventually_blocking, free_port, make_flv, run_ok, scratch};
use crate::jobs::Killed;

/// An s3s-fs server over `root`, with one bucket, `media`.
fn s3_server(root: &Path) -> (Killed, String) {
    std::fs::create_dir_all(root.join("media")).unwrap();
    let port = free_port();
    let binary = std::env::var("AULA_S3S_FS").unwrap_or_else(|_| "s3s-fs".into());
    let child = std::process::Command::new(&binary)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args([
            "--access-key",
            "aula-test",
            "--secret-key",
            "aula-test-secret",
        ])
        .arg(root)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{binary} must be installed (the README's test command installs it): {e}")
        });
    let endpoint = format!("http://127.0.0.1:{port}");
    eventually_blocking(
        &format!("{binary} listens on {port}"),
        Duration::from_secs(5),
        || std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string()),
    );
    (Killed(child), endpoint)
}

fn with_store(mut cmd: std::process::Command, endpoint: &str) -> std::process::Command {
    cmd.env("AULA_MEDIA_STORE", "s3://media/archivio")
        .env("AULA_S3_ENDPOINT", endpoint)
        .env("AULA_S3_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "aula-test")
        .env("AWS_SECRET_ACCESS_KEY", "aula-test-secret");
    cmd
}

fn serve(data_dir: &Path, endpoint: &str, extra: &[(&str, &str)]) -> (Killed, String) {
    let port = free_port();
    let mut cmd = with_store(aula(data_dir), endpoint);
    cmd.args(["serve", "--no-worker", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        // Each replica keeps its own search index.
        .env(
            "AULA_INDEX_DIR",
            data_dir.with_file_name(format!("index-{port}")),
        )
        .envs(extra.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let child = Killed(cmd.spawn().unwrap());
    (child, format!("http://127.0.0.1:{port}"))
}

async fn ready(client: &reqwest::Client, base: &str) -> serde_json::Value {
    eventually(
        &format!("{base} becomes ready"),
        Duration::from_secs(15),
        || async {
            let r = client
                .get(format!("{base}/readyz"))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = r.status();
            let body: serde_json::Value = r.json().await.unwrap_or_default();
            match status == 200 {
                true => Ok(body),
                false => Err(format!("{status} {body}")),
            }
        },
    )
    .await
}

#[tokio::test]
async fn media_in_an_object_store_are_proxied_by_range_or_redirected() {
    let root = scratch("object-store");
    let (_server, endpoint) = s3_server(&root.join("s3"));
    let data_dir = ingest_into_the_bucket(&root, &endpoint);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (_a, a) = serve(&data_dir, &endpoint, &[]);
    let checks = ready(&client, &a).await;
    assert_eq!(checks["checks"]["media"], "ok", "{checks}");
    let objects = root.join("s3/media/archivio/1/1");
    let etag = proxied_by_range_with_validators(&client, &a, &objects).await;

    // A second replica gives the same validators (the store's own ETag).
    let (_b, b) = serve(&data_dir, &endpoint, &[]);
    ready(&client, &b).await;
    let other = client
        .get(format!("{b}/media/1/1/master.m3u8"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.headers()["etag"], etag.as_str());

    // The HLS plays through the proxy: ffprobe reads the whole ladder over HTTP.
    let got = crate::helpers::ffprobe_duration(&format!("{a}/media/1/1/master.m3u8"));
    assert!((got - 6.0).abs() < 1.0, "{got}");

    // A clip is cut from the download in the bucket, which ffmpeg reads by ranges at a
    // presigned address (nothing copied whole), into the local clip cache.
    let clip = client
        .get(format!("{a}/sedute/1/clip.mp4?da=1&a=4"))
        .send()
        .await
        .unwrap();
    assert_eq!(clip.status(), 200);
    assert_eq!(clip.headers()["content-type"], "video/mp4");
    let file = root.join("clip.mp4");
    std::fs::write(&file, clip.bytes().await.unwrap()).unwrap();
    let got = crate::helpers::ffprobe_duration(file.to_str().unwrap());
    assert!(
        (3.9..4.3).contains(&got),
        "a clip of 0:00 (key frame) to 0:04 lasts {got} s"
    );

    redirected_to_the_public_base(&client, &data_dir, &endpoint).await;
}

/// `aula ingest` of an FLV with the media store in the bucket: published there under
/// the prefix, nothing left in the local media area. The data directory.
fn ingest_into_the_bucket(root: &Path, endpoint: &str) -> PathBuf {
    let source = root.join("seduta.flv");
    make_flv(&source);
    let data_dir = root.join("data");
    run_ok(
        with_store(aula(&data_dir), endpoint)
            .arg("ingest")
            .arg(&source)
            .args(["--body", "Consiglio comunale", "--date", "2010-05-06"])
            .args(["--title", "Seduta nel bucket"]),
    );

    // Published into the bucket under the prefix; nothing in the local media area.
    let objects = root.join("s3/media/archivio/1/1");
    for file in [
        "master.m3u8",
        "download.mp4",
        "poster.jpg",
        "thumbnails.vtt",
    ] {
        assert!(objects.join(file).is_file(), "{file} in the bucket");
    }
    assert!(crate::helpers::files_under(&data_dir.join("media")).is_empty());
    assert!(crate::helpers::files_under(&data_dir.join("staging")).is_empty());

    data_dir
}

/// Proxied from the store: types, one range and several, validators. The playlist's ETag.
async fn proxied_by_range_with_validators(
    client: &reqwest::Client,
    a: &str,
    objects: &Path,
) -> String {
    let playlist = client
        .get(format!("{a}/media/1/1/master.m3u8"))
        .send()
        .await
        .unwrap();
    assert_eq!(playlist.status(), 200);
    assert_eq!(
        playlist.headers()["content-type"],
        "application/vnd.apple.mpegurl"
    );
    let etag = playlist.headers()["etag"].to_str().unwrap().to_string();
    let mp4 = std::fs::read(objects.join("download.mp4")).unwrap();
    let url = format!("{a}/media/1/1/download.mp4");
    let r = ranged(client, &url, "bytes=1000-1999").await;
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 1000-1999/{}", mp4.len()).as_str()
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), &mp4[1000..2000]);
    let tail = ranged(client, &url, "bytes=-500").await;
    assert_eq!(
        tail.bytes().await.unwrap().as_ref(),
        &mp4[mp4.len() - 500..]
    );
    let whole = client.get(&url).send().await.unwrap();
    assert_eq!(
        whole.headers()["content-length"],
        mp4.len().to_string().as_str()
    );
    assert_eq!(whole.bytes().await.unwrap().as_ref(), mp4.as_slice());
    let multi = ranged(client, &url, "bytes=0-9,2000000000-").await;
    assert_eq!(multi.status(), 206);
    let multi = ranged(client, &url, "bytes=0-9,100-109").await;
    assert!(multi.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("multipart/byteranges"));
    let body = multi.bytes().await.unwrap();
    assert!(body.windows(10).any(|w| w == &mp4[100..110]));
    let unsatisfiable = ranged(client, &url, &format!("bytes={}-", mp4.len() + 10)).await;
    assert_eq!(unsatisfiable.status(), 416);
    let again = client
        .get(format!("{a}/media/1/1/master.m3u8"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(
        client
            .get(format!("{a}/media/1/1/nope.m4s"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    etag
}

/// Redirect mode: the client is sent to the public base, after the same checks.
async fn redirected_to_the_public_base(client: &reqwest::Client, data_dir: &Path, endpoint: &str) {
    let (_c, c) = serve(
        data_dir,
        endpoint,
        &[("AULA_MEDIA_REDIRECT_URL", "https://cdn.example.it/archivio")],
    );
    ready(client, &c).await;
    let r = client
        .get(format!("{c}/media/1/1/seg.m4s"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(
        r.headers()["location"],
        "https://cdn.example.it/archivio/1/1/seg.m4s"
    );
    let hidden = client
        .get(format!("{c}/media/9/1/seg.m4s"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        hidden.status(),
        404,
        "only published versions are redirected"
    );
}

/// `url` asked for the bytes `range` names (`bytes=0-9`).
async fn ranged(client: &reqwest::Client, url: &str, range: &str) -> reqwest::Response {
    client.get(url).header("Range", range).send().await.unwrap()
}
