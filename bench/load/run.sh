#!/usr/bin/env bash
# Load test (issue "Hardening"): one aula server on 127.0.0.1 with a small real archive
# (five 60 s sessions, 3 HLS variants of 4 s segments each, agendas to search), then
#   segments  wrk, 1,000 connections, random HLS segments, 30 s   (goal: 0 errors; p99)
#   viewers   bench/load/viewers.py, 300 real-time HLS viewers with seeks, 60 s (goal: 0 stalls)
#   search    wrk, 50 connections, /api/v1/search over 20 queries, 30 s (p99)
# Everything stays on 127.0.0.1; every run is bounded in time. Not a test: the figures depend
# on the machine and on what else runs on it (the load average is recorded with each run).
#
# Usage: bench/load/run.sh [segments] [viewers] [search]     (no argument: all three)
# Environment: WORK (default /tmp/aula-load; the archive there is kept and reused), PORT,
#   SEG_CONNS SEG_SECS SEG_TIMEOUT, VIEWERS VIEWER_SECS SEEK_PROB, SEARCH_CONNS SEARCH_SECS,
#   THREADS (wrk threads, 2), AULA_WORKERS (server HTTP threads; default: one per CPU),
#   SKIP_BUILD=1, AULA_BIN (test another aula binary instead of target/release/aula).
set -euo pipefail
cd "$(dirname "$0")/../.."
PARTS=${*:-segments viewers search}
WORK=${WORK:-/tmp/aula-load}
PORT=${PORT:-18500}
SEG_CONNS=${SEG_CONNS:-1000}
SEG_SECS=${SEG_SECS:-30}
SEG_TIMEOUT=${SEG_TIMEOUT:-10s}
VIEWERS=${VIEWERS:-300}
VIEWER_SECS=${VIEWER_SECS:-60}
SEEK_PROB=${SEEK_PROB:-0.05}
SEARCH_CONNS=${SEARCH_CONNS:-50}
SEARCH_SECS=${SEARCH_SECS:-30}
THREADS=${THREADS:-2}
BASE="http://127.0.0.1:$PORT"

command -v wrk >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
}
command -v ffmpeg >/dev/null || { echo "ffmpeg is needed to make the archive" >&2; exit 2; }

# Open files: every connection is a descriptor on both sides (server and wrk).
want=65536
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then want=$hard; fi
ulimit -n "$want"
if [ "$(ulimit -n)" -lt $((SEG_CONNS + 200)) ]; then
  echo "open files limit $(ulimit -n) is too low for $SEG_CONNS connections" >&2
  exit 2
fi

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "==> building (release)"
  nice -n 5 cargo build --release --locked --bin aula 2>&1 | tail -1
fi
AULA=${AULA_BIN:-./target/release/aula}

if [ ! -f "$WORK/data/aula.db" ]; then
  echo "==> making the archive in $WORK/data"
  mkdir -p "$WORK"
  AULA_LOG=warn bench/load/make_archive.sh "$WORK/data"
fi

OUT="$WORK/results/$(date +%Y%m%dT%H%M%S)"
mkdir -p "$OUT"
SERVER_PID=
SAMPLER_PID=
cleanup() {
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null || true
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT INT TERM

{
  echo "date: $(date -Is)"
  echo "host: $(nproc) CPUs, $(uname -sr)"
  echo "open files limit: $(ulimit -n)"
  echo "AULA_WORKERS: ${AULA_WORKERS:-default (one per CPU)}"
  echo "uptime: $(uptime)"
  echo "busiest processes (nice, %cpu, command):"
  ps -eo ni,pcpu,comm --sort=-pcpu | head -8
} > "$OUT/machine.txt"
cat "$OUT/machine.txt"

echo "==> starting aula on $BASE"
AULA_LOG=warn "$AULA" --data-dir "$WORK/data" serve --no-worker --listen "127.0.0.1:$PORT" \
  > "$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
  curl -sf -o /dev/null "$BASE/readyz" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/server.log"; exit 1; }
  sleep 0.1
done
curl -sf -o /dev/null "$BASE/readyz" || { echo "server not ready" >&2; cat "$OUT/server.log"; exit 1; }

# Every 2 s: load average, server RSS (kB), threads, open descriptors, CPU ticks.
(
  while kill -0 "$SERVER_PID" 2>/dev/null; do
    printf '%s %s rss_kb=%s threads=%s fds=%s cpu_ticks=%s\n' "$(date +%T)" \
      "$(cut -d' ' -f1-3 /proc/loadavg)" \
      "$(awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null)" \
      "$(awk '/Threads/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null)" \
      "$(ls "/proc/$SERVER_PID/fd" 2>/dev/null | wc -l)" \
      "$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat" 2>/dev/null)"
    sleep 2
  done
) > "$OUT/samples.txt" &
SAMPLER_PID=$!

# The sessions and every segment path of every variant (video and audio), warmed once.
python3 - "$BASE" "$OUT" <<'PY'
import json, sys, urllib.parse, urllib.request
base, out = sys.argv[1], sys.argv[2]
get = lambda p: urllib.request.urlopen(base + p, timeout=10).read()
sessions = json.loads(get("/api/v1/sessions?per_page=100"))["sessions"]
ids, paths = [], []
for s in sessions:
    master = (s.get("media") or {}).get("master_playlist")
    if not master:
        continue
    ids.append(str(s["id"]))
    for line in get(master).decode().splitlines():
        if line and not line.startswith("#"):
            variant = urllib.parse.urljoin(master, line)
            for l in get(variant).decode().splitlines():
                if l and not l.startswith("#"):
                    paths.append(urllib.parse.urljoin(variant, l))
size = 0
for p in paths:
    size += len(get(p))
open(f"{out}/segments.txt", "w").write("\n".join(paths) + "\n")
open(f"{out}/sessions.txt", "w").write(",".join(ids) + "\n")
print(f"{len(ids)} sessions, {len(paths)} segment URLs, mean segment {size / len(paths) / 1000:.0f} kB")
PY
SESSIONS=$(cat "$OUT/sessions.txt")

server_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
before() {
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); busiest now (top):"
  top -b -n1 -o %CPU 2>/dev/null | sed -n '7,11p' || true
  T0=$(server_ticks)
}
after() {
  echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "server CPU: $(awk -v a="$T0" -v b="$(server_ticks)" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", (b - a) / hz}') s;" \
    "peak RSS so far $(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status") kB"
  kill -0 "$SERVER_PID" || { echo "SERVER DIED"; exit 1; }
  echo "slow catalog-connection waits (> 2 s) logged so far: $(grep -c 'time to acquire exceeded' "$OUT/server.log" || true)"
}

for part in $PARTS; do
  case $part in
    segments)
      echo "==> segments: $SEG_CONNS connections, $SEG_SECS s" | tee "$OUT/segments.out"
      cmd=(wrk -t"$THREADS" -c"$SEG_CONNS" -d"${SEG_SECS}s" --timeout "$SEG_TIMEOUT" --latency
           -s bench/load/segments.lua "$BASE")
      echo "${cmd[*]}" | tee -a "$OUT/segments.out"
      { before; SEGMENT_URLS="$OUT/segments.txt" "${cmd[@]}"; after; } 2>&1 | tee -a "$OUT/segments.out"
      ;;
    viewers)
      echo "==> viewers: $VIEWERS viewers, $VIEWER_SECS s" | tee "$OUT/viewers.out"
      cmd=(python3 bench/load/viewers.py --base "$BASE" --viewers "$VIEWERS"
           --duration "$VIEWER_SECS" --seek-prob "$SEEK_PROB" --sessions "$SESSIONS")
      echo "${cmd[*]}" | tee -a "$OUT/viewers.out"
      { before; "${cmd[@]}" || true; after; } 2>&1 | tee -a "$OUT/viewers.out"
      ;;
    search)
      echo "==> search: $SEARCH_CONNS connections, $SEARCH_SECS s" | tee "$OUT/search.out"
      cmd=(wrk -t"$THREADS" -c"$SEARCH_CONNS" -d"${SEARCH_SECS}s" --latency
           -s bench/load/search.lua "$BASE")
      echo "${cmd[*]}" | tee -a "$OUT/search.out"
      { before; "${cmd[@]}"; after; } 2>&1 | tee -a "$OUT/search.out"
      ;;
    *) echo "unknown part: $part (segments, viewers, search)" >&2; exit 2 ;;
  esac
  # The server's own counters (requests by route and status, search latency histogram).
  curl -sf "$BASE/metrics" > "$OUT/metrics-after-$part.txt" || true
  sleep 5  # let the connections of one part close before the next
done

echo "==> server log: $(grep -c . "$OUT/server.log" || true) lines" \
  "($(grep -ci 'error' "$OUT/server.log" || true) with 'error')"
grep -i 'error\|warn' "$OUT/server.log" | sort | uniq -c | sort -rn | head -5 || true
echo "==> results in $OUT"
