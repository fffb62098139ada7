#!/usr/bin/env bash
# Builds the load-test archive: five 60-second recordings (MPEG-2 + MP2, 640x360, each with a
# different tone so the originals differ) ingested as five sessions of two bodies, each with
# an agenda from bench/load/agenda/. Usage: bench/load/make_archive.sh DATA_DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${1:?usage: make_archive.sh DATA_DIR}
SRC=$(dirname "$DATA")/src
mkdir -p "$SRC"
# n|body|date|title|tone (Hz)
sessions=(
  "1|Consiglio comunale|2010-03-04|Seduta per il carico: bilancio di previsione 2010|440"
  "2|Consiglio comunale|2011-09-22|Assestamento di bilancio e variante parcheggi|523"
  "3|Commissione Urbanistica|2012-05-15|Variante generale al piano di governo del territorio|587"
  "4|Consiglio comunale|2009-12-03|Seduta straordinaria: emergenza alluvione|659"
  "5|Consiglio comunale|2013-04-28|Rendiconto 2012 e illuminazione pubblica|698"
)
for s in "${sessions[@]}"; do
  IFS='|' read -r n body date title tone <<<"$s"
  f="$SRC/seduta-$n.mpg"
  nice -n 5 ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=size=640x360:rate=25" -f lavfi -i "sine=frequency=$tone" -t 60 \
    -c:v mpeg2video -b:v 2M -c:a mp2 "$f"
  echo "==> ingesting $n: $title"
  nice -n 5 ./target/release/aula --data-dir "$DATA" ingest "$f" --body "$body" --date "$date" \
    --title "$title" --agenda "bench/load/agenda/$n.txt"
done
