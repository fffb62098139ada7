#!/usr/bin/env bash
# Pages as a phone sees them: Lighthouse (npm, its default mobile profile: a mid-range phone
# on slow 4G, simulated) in Debian's Chromium on the home, a session page, the archive and
# a search, served by this aula and by the aula of BASE (the pages before they were made
# fast), from one archive (the demo's four legacy recordings), in one run. Rounds alternate
# which server goes first; prints each page's median figures side by side, the ratio, and
# the goals met or missed.
# Usage: bench/web/run.sh [ROUNDS]    (BASE=git revision, default b073b3c; PROFILE=release|debug)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
ROUNDS=${1:-3}
BASE=${BASE:-b073b3c}
PROFILE=${PROFILE:-release}
flag=()
[ "$PROFILE" = release ] && flag=(--release)

work=$(mktemp -d /tmp/aula-web-bench.XXXXXX)
cleanup() {
  # The servers' pids, written by serve() (which runs in a subshell).
  for pid in $(cat "$work"/*.pid 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  git -C "$root" worktree remove --force "$work/base" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> the baseline: $BASE, with its own web/ packages"
git worktree add --quiet --detach "$work/base" "$BASE"
(cd "$work/base/web" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
if [ -f "$work/base/web/build.mjs" ]; then (cd "$work/base/web" && node build.mjs >/dev/null); fi
echo "==> this aula"
cargo build "${flag[@]}" --locked --bin aula 2>&1 | tail -1
cp "target/$PROFILE/aula" "$work/aula-now"
# The baseline gets a target directory of its own (sharing this one would leave its binary
# at target/$PROFILE/aula, where cargo, finding its own build fresh, would not replace it),
# seeded with this one's compiled dependencies so that only aula itself compiles.
base_target="$root/target/bench-web-base"
mkdir -p "$base_target/$PROFILE"
for part in deps build .fingerprint; do
  if [ -d "target/$PROFILE/$part" ] && [ ! -d "$base_target/$PROFILE/$part" ]; then
    cp -a "target/$PROFILE/$part" "$base_target/$PROFILE/"
  fi
done
(cd "$work/base" && CARGO_TARGET_DIR="$base_target" cargo build "${flag[@]}" --locked --bin aula 2>&1 | tail -1)
cp "$base_target/$PROFILE/aula" "$work/aula-base"
if cmp -s "$work/aula-base" "$work/aula-now"; then
  echo "the baseline and this aula are the same binary: nothing to compare" >&2
  exit 1
fi
(cd web && node build.mjs >/dev/null)

echo "==> one archive for both: the demo's recordings"
AULA_DATA_DIR="$work/data" AULA_LOG=warn "$work/aula-now" demo --no-serve >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
serve() { # name web_dir → prints the base address
  local port; port=$(free_port)
  AULA_DATA_DIR="$work/data" AULA_INDEX_DIR="$work/index-$1" AULA_WEB_DIR="$2" AULA_LOG=warn \
    "$work/aula-$1" serve --listen "127.0.0.1:$port" --no-worker >"$work/$1.log" 2>&1 &
  echo $! >"$work/$1.pid"
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  echo "http://127.0.0.1:$port"
}
base_url=$(serve base "$work/base/web")
now_url=$(serve now "$root/web")
# The session page: the newest session with video (seek thumbnails; the demo's MP3 has none).
session=$(curl -fsS "$now_url/api/v1/sessions" | python3 -c '
import json, sys
sessions = json.load(sys.stdin)["sessions"]
print(next(s["page_url"] for s in sessions if s["media"].get("thumbnails")))')
pages=("/" "$session" "/archivio" "/cerca?q=bilancio")

for round in $(seq 1 "$ROUNDS"); do
  order=(base now)
  [ $((round % 2)) -eq 0 ] && order=(now base)
  for name in "${order[@]}"; do
    url=$base_url
    [ "$name" = now ] && url=$now_url
    echo "==> round $round: $name"
    LIGHTHOUSE_JSON="$work/$name-$round.json" node web/tests/lighthouse.mjs "${pages[@]/#/$url}" \
      | grep '^lighthouse ' | sed "s#$url##"
  done
done

python3 - "$work" "$ROUNDS" "$BASE" "$PROFILE" <<'EOF'
import json, statistics, sys
from urllib.parse import urlsplit
work, rounds, base, profile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def load(name):
    by_page = {}
    for r in range(1, rounds + 1):
        for p in json.load(open(f"{work}/{name}-{r}.json")):
            u = urlsplit(p["url"])
            by_page.setdefault(u.path + (f"?{u.query}" if u.query else ""), []).append(p)
    return {page: {k: statistics.median(x[k] for x in runs) for k in
                   ("perf", "a11y", "bp", "seo", "fcp", "lcp", "tbt", "cls")}
            for page, runs in by_page.items()}
before, after = load("base"), load("now")
print(f"\nmedians of {rounds} rounds; before = {base}, after = this checkout ({profile} builds)\n")
print("| page | | performance | accessibility | best practices | SEO | FCP ms | LCP ms | TBT ms | CLS |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for page in after:
    for label, m in (("before", before.get(page)), ("after", after[page])):
        if m:
            print(f"| {page} | {label} | {m['perf']:.0f} | {m['a11y']:.0f} | {m['bp']:.0f} | {m['seo']:.0f} "
                  f"| {m['fcp']:.0f} | {m['lcp']:.0f} | {m['tbt']:.0f} | {m['cls']:.3f} |")
print()
session = next(p for p in after if p.startswith("/sedute/"))
s = after[session]
goals = [
    ("session performance >= 90", s["perf"] >= 90, s["perf"]),
    ("session LCP <= 2500 ms", s["lcp"] <= 2500, s["lcp"]),
    ("session TBT <= 200 ms", s["tbt"] <= 200, s["tbt"]),
    ("session CLS <= 0.1", s["cls"] <= 0.1, s["cls"]),
]
for page, m in after.items():
    goals.append((f"{page} accessibility = 100", m["a11y"] == 100, m["a11y"]))
    if not page.startswith("/cerca"):
        goals.append((f"{page} SEO >= 95", m["seo"] >= 95, m["seo"]))
for name, met, value in goals:
    print(f"{'met   ' if met else 'MISSED'} {name} (median {value})")
EOF
