-- The whole catalog of the archive. Times are Unix seconds (INTEGER), calendar dates are
-- ISO text (YYYY-MM-DD), media times are milliseconds. Later features fill tables that
-- exist already here, so the schema is laid out for the whole mission at once.

-- Council, committees and other bodies that hold sessions.
CREATE TABLE bodies (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    -- folded name (lower case, no accents) to match imports case- and accent-insensitively
    match_key   TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL DEFAULT 'committee' CHECK (kind IN ('council', 'committee', 'other')),
    created_at  INTEGER NOT NULL
);

CREATE TABLE sessions (
    id             INTEGER PRIMARY KEY,
    body_id        INTEGER NOT NULL REFERENCES bodies(id),
    date           TEXT NOT NULL,
    title          TEXT NOT NULL,
    kind           TEXT NOT NULL DEFAULT 'ordinary',
    number         INTEGER,
    -- pending: waiting for media; processing; published; failed; withheld by an editor
    state          TEXT NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'processing', 'published', 'failed', 'withheld')),
    state_reason   TEXT,
    publish_from   INTEGER,
    publish_until  INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX sessions_by_date ON sessions(date DESC, id DESC);
CREATE INDEX sessions_by_body ON sessions(body_id, date DESC);

-- Original files, content-addressed and never modified. A session may be recorded in parts.
CREATE TABLE recordings (
    id             INTEGER PRIMARY KEY,
    session_id     INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    part           INTEGER NOT NULL DEFAULT 1,
    sha256         TEXT NOT NULL UNIQUE,
    original_name  TEXT NOT NULL,
    size_bytes     INTEGER NOT NULL,
    -- path of the stored original, relative to the data directory
    stored_path    TEXT NOT NULL,
    duration_ms    INTEGER,
    -- ffprobe's JSON description, kept whole
    probe_json     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (session_id, part)
);

-- A published set of renditions. Never modified once published; a re-transcode adds a version.
CREATE TABLE media_versions (
    id               INTEGER PRIMARY KEY,
    session_id       INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    version          INTEGER NOT NULL,
    -- directory relative to the media root, e.g. '12/1'
    dir              TEXT NOT NULL UNIQUE,
    profile          TEXT NOT NULL,
    master_playlist  TEXT NOT NULL,
    mp4_file         TEXT,
    audio_playlist   TEXT,
    poster_file      TEXT,
    thumbnails_vtt   TEXT,
    duration_ms      INTEGER NOT NULL,
    warnings         TEXT,
    published_at     INTEGER NOT NULL,
    UNIQUE (session_id, version)
);

CREATE TABLE renditions (
    id                 INTEGER PRIMARY KEY,
    media_version_id   INTEGER NOT NULL REFERENCES media_versions(id) ON DELETE CASCADE,
    kind               TEXT NOT NULL CHECK (kind IN ('video', 'audio')),
    width              INTEGER,
    height             INTEGER,
    bandwidth          INTEGER NOT NULL,
    average_bandwidth  INTEGER,
    codecs             TEXT NOT NULL,
    playlist           TEXT NOT NULL
);

-- Agendas, minutes, resolutions, transcripts and other attachments.
CREATE TABLE documents (
    id                 INTEGER PRIMARY KEY,
    session_id         INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    kind               TEXT NOT NULL
                       CHECK (kind IN ('agenda', 'minutes', 'resolution', 'transcript', 'attachment')),
    original_name      TEXT NOT NULL,
    sha256             TEXT NOT NULL,
    size_bytes         INTEGER NOT NULL,
    stored_path        TEXT NOT NULL,
    media_type         TEXT NOT NULL,
    text               TEXT,
    -- ok, empty (no text found, with the reason), failed (with the reason)
    extraction_state   TEXT NOT NULL DEFAULT 'ok' CHECK (extraction_state IN ('ok', 'empty', 'failed')),
    extraction_note    TEXT,
    created_at         INTEGER NOT NULL,
    UNIQUE (session_id, sha256)
);

CREATE TABLE agenda_items (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    number      TEXT,
    title       TEXT NOT NULL,
    start_ms    INTEGER,
    end_ms      INTEGER,
    UNIQUE (session_id, position)
);

CREATE TABLE transcript_cues (
    id           INTEGER PRIMARY KEY,
    session_id   INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    document_id  INTEGER REFERENCES documents(id) ON DELETE CASCADE,
    start_ms     INTEGER NOT NULL,
    end_ms       INTEGER NOT NULL,
    speaker      TEXT,
    text         TEXT NOT NULL
);
CREATE INDEX transcript_cues_by_session ON transcript_cues(session_id, start_ms);

-- Durable work queue.
CREATE TABLE jobs (
    id                INTEGER PRIMARY KEY,
    kind              TEXT NOT NULL,
    session_id        INTEGER REFERENCES sessions(id) ON DELETE CASCADE,
    payload           TEXT NOT NULL DEFAULT '{}',
    state             TEXT NOT NULL DEFAULT 'queued'
                      CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    max_attempts      INTEGER NOT NULL DEFAULT 3,
    run_after         INTEGER NOT NULL,
    lease_owner       TEXT,
    lease_expires_at  INTEGER,
    heartbeat_at      INTEGER,
    progress          REAL,
    speed             REAL,
    eta_seconds       INTEGER,
    error             TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX jobs_ready ON jobs(state, run_after);

-- Old portal addresses (path and query) and where they lead now.
CREATE TABLE legacy_links (
    id          INTEGER PRIMARY KEY,
    old_url     TEXT NOT NULL UNIQUE,
    target      TEXT,
    status      INTEGER NOT NULL DEFAULT 301 CHECK (status IN (301, 410)),
    session_id  INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE unmapped_requests (
    path        TEXT PRIMARY KEY,
    hits        INTEGER NOT NULL DEFAULT 0,
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);

-- Every change that search must see, in order; each server's index remembers the last seq
-- it applied, so replicas catch up from the catalog alone.
CREATE TABLE search_changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id  INTEGER NOT NULL,
    changed_at  INTEGER NOT NULL
);
