#!/usr/bin/env bash
# Serving benchmark: aula against nginx (sendfile, open_file_cache) on the same media tree,
# side by side in one run. Each server is pinned to core 0 with one worker, the load
# generator to core 1; every workload runs ROUNDS times, alternating which server goes
# first, and the medians are compared. Everything stays on 127.0.0.1.
# Usage: bench/media/run.sh [ROUNDS] [SECONDS]   (CONNS=64 by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
SECS=${2:-10}
CONNS=${CONNS:-64}
AULA_PORT=${AULA_PORT:-18080}
NGINX_PORT=${NGINX_PORT:-18081}

missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v wrk >/dev/null || missing+=(wrk)
command -v taskset >/dev/null || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

echo "==> building (release)"
cargo build --release --locked --bin aula --example bench_media_tree --example seek_client 2>&1 | tail -1

WORK=$(mktemp -d /tmp/aula-bench.XXXXXX)
chmod 755 "$WORK"  # nginx workers run as www-data
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

echo "==> building the media tree in $WORK"
MEDIA=$(./target/release/examples/bench_media_tree "$WORK/data" | tail -1)
MEDIA_ROOT=$(dirname "$(dirname "$MEDIA")")
mkdir -p "$WORK/nginx-tmp"
sed -e "s|@WORK@|$WORK|g" -e "s|@PORT@|$NGINX_PORT|g" -e "s|@MEDIA@|$MEDIA_ROOT|g" \
  bench/media/nginx.conf.in > "$WORK/nginx.conf"

AULA_WORKERS=1 AULA_LOG=warn taskset -c 0 ./target/release/aula --data-dir "$WORK/data" \
  serve --no-worker --listen "127.0.0.1:$AULA_PORT" > "$WORK/aula.log" 2>&1 &
AULA_PID=$!
pids+=("$AULA_PID")
taskset -c 0 "$NGINX" -c "$WORK/nginx.conf" -p "$WORK" &
pids+=("$!")
for port in "$AULA_PORT" "$NGINX_PORT"; do
  for _ in $(seq 1 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/media/1/1/master.m3u8" && break
    sleep 0.1
  done
done
NGINX_WORKER=$(pgrep -P "$(cat "$WORK/nginx.pid")" | head -1)

echo "==> warming both servers (every file once)"
for port in "$AULA_PORT" "$NGINX_PORT"; do
  for f in $(cd "$MEDIA" && find . -type f | sed 's|^\./||'); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/media/1/1/$f" || { echo "warming failed: port $port, $f"; curl -si "http://127.0.0.1:$port/media/1/1/$f" | head -5; cat "$WORK/aula.log"; exit 22; }
  done
done

RESULTS="$WORK/results.tsv"
run_wrk() { # server port workload script
  local out rps p99 errors
  out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" --latency -s "bench/media/$4" "http://127.0.0.1:$2")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}')
  errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
  printf '%s\t%s\t%s\t%s\t%s\n' "$3" "$1" "$rps" "$p99" "${errors:-none}" >> "$RESULTS"
}
run_seek() { # server port
  local out
  out=$(taskset -c 1 ./target/release/examples/seek_client "127.0.0.1:$2" /media/1/1/download.mp4 200000000 "$CONNS" "$SECS")
  printf '%s\t%s\t%s\t%s\t%s\n' "seek 256K of bytes=N-" "$1" \
    "$(echo "$out" | sed 's/.*rps=\([0-9.]*\).*/\1/')" "$(echo "$out" | sed 's/.*p99_ms=\([0-9.]*\).*/\1/')" \
    "$(echo "$out" | sed 's/.*errors=\([0-9]*\).*/errors=\1/')" >> "$RESULTS"
}

for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then order="aula nginx"; else order="nginx aula"; fi
  echo "==> round $round/$ROUNDS ($order)"
  for server in $order; do
    port=$AULA_PORT; [ "$server" = nginx ] && port=$NGINX_PORT
    run_wrk "$server" "$port" "playlists" playlists.lua
    run_wrk "$server" "$port" "segments 1.5 MB" random_segment.lua
    run_wrk "$server" "$port" "MP4 1 MiB ranges" mp4_range.lua
    run_seek "$server" "$port"
    run_wrk "$server" "$port" "live playlists" live_playlists.lua
    run_wrk "$server" "$port" "live segments 500 kB" live_segment.lua
  done
done

AULA_RSS=$(awk '/VmHWM/ {print $2}' "/proc/$AULA_PID/status")
NGINX_RSS=$(awk '/VmHWM/ {print $2}' "/proc/$NGINX_WORKER/status")
python3 - "$RESULTS" "$AULA_RSS" "$NGINX_RSS" "$ROUNDS" "$SECS" "$CONNS" <<'PY'
import sys, statistics, collections
path, aula_rss, nginx_rss, rounds, secs, conns = sys.argv[1:]
rows = collections.defaultdict(lambda: collections.defaultdict(list))
notes = collections.defaultdict(set)
order = []
for line in open(path):
    w, server, rps, p99, errors = line.rstrip("\n").split("\t")
    if w not in order: order.append(w)
    rows[w][server].append((float(rps or 0), float(p99 or 0)))
    if errors not in ("none", "errors=0"): notes[(w, server)].add(errors.strip())
print(f"\n{rounds} rounds x {secs} s, {conns} connections, servers on core 0, load on core 1; medians\n")
print("| workload | aula req/s | nginx req/s | ratio | aula p99 ms | nginx p99 ms | p99 ratio |")
print("|---|---:|---:|---:|---:|---:|---:|")
for w in order:
    a, n = rows[w]["aula"], rows[w]["nginx"]
    ar, nr = statistics.median(x[0] for x in a), statistics.median(x[0] for x in n)
    ap, np_ = statistics.median(x[1] for x in a), statistics.median(x[1] for x in n)
    print(f"| {w} | {ar:.0f} | {nr:.0f} | {ar/nr:.2f} | {ap:.2f} | {np_:.2f} | {ap/np_ if np_ else float('nan'):.2f} |")
print(f"\npeak RSS: aula {int(aula_rss)//1024} MB, nginx worker {int(nginx_rss)//1024} MB")
for (w, s), e in notes.items():
    print(f"note: {s} / {w}: {'; '.join(sorted(e))}")
PY
