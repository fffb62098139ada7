//! The benchmark's "seek" workload, which wrk cannot do: like a player seeking, each request
//! opens a connection, asks for an open-ended range (`bytes=N-`) at a random offset, reads
//! the headers and 256 KB of body, then closes the connection without reading the rest.
//! Prints requests per second and latency percentiles (time to the 256 KB) as one line.
//! Usage: seek_client HOST:PORT PATH FILE_SIZE CONNECTIONS SECONDS

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const WANT: usize = 256 * 1024;

async fn one(addr: &str, path: &str, offset: u64) -> std::io::Result<()> {
    let mut s = TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nRange: bytes={offset}-\r\n\r\n");
    s.write_all(req.as_bytes()).await?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0usize;
    let mut body_start = None;
    let mut head = Vec::new();
    while body_start.is_none_or(|start| got < start + WANT) {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            return Err(std::io::Error::other("closed early"));
        }
        if body_start.is_none() {
            head.extend_from_slice(&buf[..n]);
            if let Some(i) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                if !head.starts_with(b"HTTP/1.1 206") {
                    return Err(std::io::Error::other("not a 206"));
                }
                body_start = Some(i + 4);
            }
        }
        got += n;
    }
    Ok(()) // dropping the stream closes it mid-body
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 6 {
        eprintln!("usage: seek_client HOST:PORT PATH FILE_SIZE CONNECTIONS SECONDS");
        std::process::exit(2);
    }
    let addr = args[1].clone();
    let path = args[2].clone();
    let size: u64 = args[3].parse().expect("FILE_SIZE");
    let conns: usize = args[4].parse().expect("CONNECTIONS");
    let secs: u64 = args[5].parse().expect("SECONDS");
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..conns {
        let (addr, path) = (addr.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (c as u64 + 1);
            while Instant::now() < deadline {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let offset = x % (size - WANT as u64);
                let t = Instant::now();
                match one(&addr, &path, offset).await {
                    Ok(()) => lat.push(t.elapsed()),
                    Err(_) => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.expect("task");
        all.extend(lat);
        errors += e;
    }
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "requests={} errors={} rps={:.1} p50_ms={:.2} p99_ms={:.2}",
        all.len(),
        errors,
        all.len() as f64 / secs as f64,
        pct(0.50),
        pct(0.99)
    );
}
