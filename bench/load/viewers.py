#!/usr/bin/env python3
"""Simulated HLS viewers against an aula server (standard library only).

Each viewer keeps one HTTP/1.1 keep-alive connection and behaves like a simple player:
it fetches a session's master playlist, one of its video variant playlists and the
variant's init segment, then the segments in order at real-time pace (segment i is
requested one segment duration after segment i-1 was, or at once if that one came late).
After each segment it may seek (probability --seek-prob): it jumps to a random later
segment and fetches it at once. At the end of a playlist it starts another session.
Viewers start staggered over --ramp seconds; no new request starts after --duration.

A stall is a segment that was not there when the player needed it: its download took
longer than one segment duration (read from #EXTINF), or the request failed (error,
non-200 status, short body, timeout). The summary is printed for people, then one line
`RESULT {json}` for scripts.

Usage: viewers.py [--base URL] [--viewers N] [--duration S] [--seek-prob P] [--sessions 1,2]
"""

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import urllib.parse


class HttpError(Exception):
    pass


class Conn:
    """One keep-alive HTTP/1.1 connection; reconnects when the server closed it."""

    def __init__(self, host, port, timeout):
        self.host, self.port, self.timeout = host, port, timeout
        self.reader = self.writer = None
        self.connects = 0

    async def close(self):
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except Exception:
                pass
        self.reader = self.writer = None

    async def get(self, path):
        """Returns (status, body bytes). Retries once on a connection closed while idle."""
        for attempt in (0, 1):
            fresh = self.writer is None
            if fresh:
                self.reader, self.writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), self.timeout)
                self.connects += 1
            try:
                return await asyncio.wait_for(self._get(path), self.timeout)
            except (ConnectionError, asyncio.IncompleteReadError) as e:
                await self.close()
                # A kept-alive connection the server closed meanwhile: retry once, fresh.
                if fresh or attempt == 1:
                    raise HttpError(f"{type(e).__name__}: {e}") from e
            except BaseException:
                await self.close()
                raise

    async def _get(self, path):
        req = (f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
               f"User-Agent: aula-load-viewer\r\nAccept: */*\r\n\r\n")
        self.writer.write(req.encode())
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise HttpError(f"bad status line {lines[0]!r}")
        status = int(parts[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(chunks)
        else:
            body = await self.reader.read()
            await self.close()
            return status, body
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, body


def parse_master(text):
    """[(uri, is_video)] of the variant streams."""
    out, pending = [], None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#EXT-X-STREAM-INF:"):
            pending = "RESOLUTION=" in line
        elif line and not line.startswith("#") and pending is not None:
            out.append((line, pending))
            pending = None
    return out


def parse_variant(text):
    """(init uri or None, [(uri, duration)])."""
    init, segs, dur = None, [], None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#EXT-X-MAP:"):
            for attr in line[len("#EXT-X-MAP:"):].split(","):
                if attr.startswith("URI="):
                    init = attr[4:].strip('"')
        elif line.startswith("#EXTINF:"):
            dur = float(line[len("#EXTINF:"):].split(",")[0])
        elif line and not line.startswith("#") and dur is not None:
            segs.append((line, dur))
            dur = None
    return init, segs


def resolve(base_path, uri):
    return urllib.parse.urljoin(base_path, uri)


class Stats:
    def __init__(self):
        self.seg_times = []      # seconds, successful segment fetches
        self.seg_bytes = 0
        self.segments = 0
        self.playlists = 0
        self.playlist_times = []
        self.other_bytes = 0
        self.stalls = 0          # slow segments + failed requests during playback
        self.slow = 0            # segment download longer than its duration
        self.errors = 0          # failed requests of any kind
        self.error_kinds = {}
        self.seeks = 0
        self.sessions_started = 0
        self.max_late = 0.0      # worst lateness beyond the segment duration, seconds

    def error(self, kind):
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


async def viewer(idx, args, stats, host, port, deadline, rng):
    await asyncio.sleep(min(rng.uniform(0, args.ramp), max(0.0, deadline - time.monotonic())))
    conn = Conn(host, port, args.timeout)

    async def fetch(path, kind):
        t0 = time.monotonic()
        try:
            status, body = await conn.get(path)
        except asyncio.TimeoutError:
            stats.error(f"{kind} timeout")
            return None, time.monotonic() - t0
        except (HttpError, OSError) as e:
            stats.error(f"{kind} {type(e).__name__}")
            return None, time.monotonic() - t0
        dt = time.monotonic() - t0
        if status != 200:
            stats.error(f"{kind} HTTP {status}")
            return None, dt
        return body, dt

    try:
        while time.monotonic() < deadline:
            session = rng.choice(args.sessions)
            master_path = f"{args.prefix}/media/{session}/1/master.m3u8"
            body, dt = await fetch(master_path, "master")
            if body is None:
                stats.stalls += 1
                await asyncio.sleep(1)
                continue
            stats.playlists += 1
            stats.playlist_times.append(dt)
            stats.other_bytes += len(body)
            variants = parse_master(body.decode())
            videos = [u for u, v in variants if v] or [u for u, _ in variants]
            variant_path = resolve(master_path, rng.choice(videos))
            body, dt = await fetch(variant_path, "variant")
            if body is None:
                stats.stalls += 1
                await asyncio.sleep(1)
                continue
            stats.playlists += 1
            stats.playlist_times.append(dt)
            stats.other_bytes += len(body)
            init, segs = parse_variant(body.decode())
            if init:
                body, _ = await fetch(resolve(variant_path, init), "init")
                if body is None:
                    stats.stalls += 1
                    continue
                stats.other_bytes += len(body)
            stats.sessions_started += 1
            i = 0
            next_at = time.monotonic()
            while i < len(segs) and time.monotonic() < deadline:
                now = time.monotonic()
                if next_at > now:
                    await asyncio.sleep(min(next_at, deadline) - now)
                    if time.monotonic() >= deadline:
                        break
                uri, dur = segs[i]
                started = time.monotonic()
                body, dt = await fetch(resolve(variant_path, uri), "segment")
                if body is None:
                    stats.stalls += 1
                else:
                    stats.segments += 1
                    stats.seg_bytes += len(body)
                    stats.seg_times.append(dt)
                    if dt > dur:
                        stats.slow += 1
                        stats.stalls += 1
                        stats.max_late = max(stats.max_late, dt - dur)
                next_at = started + dur
                if i + 2 < len(segs) and rng.random() < args.seek_prob:
                    i = rng.randrange(i + 2, len(segs))
                    stats.seeks += 1
                    next_at = time.monotonic()  # a seek fetches its segment at once
                else:
                    i += 1
            # Played to the end: the next session starts when this one has been watched.
            now = time.monotonic()
            if next_at > now and next_at < deadline:
                await asyncio.sleep(next_at - now)
    finally:
        await conn.close()


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    k = max(0, min(len(sorted_vals) - 1, int(round(p / 100 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


async def loop_lag(deadline, out):
    """Worst delay of this event loop's timers: how much the client itself added."""
    while time.monotonic() < deadline:
        t = time.monotonic()
        await asyncio.sleep(0.05)
        out.append(time.monotonic() - t - 0.05)


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", default="http://127.0.0.1:18500")
    ap.add_argument("--viewers", type=int, default=300)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds")
    ap.add_argument("--seek-prob", type=float, default=0.05,
                    help="chance of a seek after each segment")
    ap.add_argument("--ramp", type=float, default=5.0, help="viewers start over this many seconds")
    ap.add_argument("--sessions", default="1", help="session ids, comma-separated")
    ap.add_argument("--timeout", type=float, default=30.0, help="per request, seconds")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    u = urllib.parse.urlsplit(args.base)
    host, port = u.hostname, u.port or 80
    args.prefix = u.path.rstrip("/")
    args.sessions = [int(s) for s in args.sessions.split(",") if s]

    stats = Stats()
    lags = []
    start = time.monotonic()
    deadline = start + args.duration
    master_rng = random.Random(args.seed)
    tasks = [asyncio.create_task(viewer(i, args, stats, host, port, deadline,
                                        random.Random(master_rng.random())))
             for i in range(args.viewers)]
    lag_task = asyncio.create_task(loop_lag(deadline, lags))
    await asyncio.gather(*tasks, lag_task)
    elapsed = time.monotonic() - start

    st = sorted(stats.seg_times)
    ms = lambda v: None if v is None else round(v * 1000, 2)
    result = {
        "viewers": args.viewers, "duration_s": args.duration, "elapsed_s": round(elapsed, 2),
        "seek_prob": args.seek_prob, "sessions": args.sessions,
        "segments": stats.segments, "segment_bytes": stats.seg_bytes,
        "total_bytes": stats.seg_bytes + stats.other_bytes,
        "mb_per_s": round((stats.seg_bytes + stats.other_bytes) / elapsed / 1e6, 2),
        "playlists": stats.playlists, "sessions_started": stats.sessions_started,
        "seeks": stats.seeks,
        "seg_ms": {"p50": ms(pct(st, 50)), "p90": ms(pct(st, 90)), "p95": ms(pct(st, 95)),
                   "p99": ms(pct(st, 99)), "max": ms(st[-1] if st else None),
                   "mean": ms(statistics.fmean(st) if st else None)},
        "playlist_ms_p99": ms(pct(sorted(stats.playlist_times), 99)),
        "stalls": stats.stalls, "slow_segments": stats.slow,
        "max_late_ms": ms(stats.max_late),
        "errors": stats.errors, "error_kinds": stats.error_kinds,
        "client_loop_lag_ms_max": ms(max(lags) if lags else None),
        "client_loop_lag_ms_p99": ms(pct(sorted(lags), 99)),
    }
    s = result["seg_ms"]
    print(f"{args.viewers} viewers, {elapsed:.1f} s, sessions {args.sessions}, "
          f"seek probability {args.seek_prob} per segment")
    print(f"segments fetched {stats.segments} ({stats.seg_bytes / 1e6:.1f} MB), playlists "
          f"{stats.playlists}, seeks {stats.seeks}, {result['mb_per_s']} MB/s")
    print(f"segment fetch ms: p50 {s['p50']}  p90 {s['p90']}  p95 {s['p95']}  p99 {s['p99']}  "
          f"max {s['max']}")
    print(f"stalls {stats.stalls} (slow segments {stats.slow}), errors {stats.errors} "
          f"{stats.error_kinds or ''}")
    print(f"client event-loop lag: p99 {result['client_loop_lag_ms_p99']} ms, "
          f"max {result['client_loop_lag_ms_max']} ms")
    print("RESULT " + json.dumps(result))
    return 0 if stats.stalls == 0 and stats.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
