-- Live sessions: a session an editor armed for the chamber's encoder. The stream key is
-- kept only as its SHA-256 (it is shown once, when armed); `state` says whether the
-- encoder has not come yet, is pushing now, or has stopped and the recording was handed
-- to the archive.
CREATE TABLE live_streams (
    session_id  BIGINT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    key_sha256  TEXT NOT NULL UNIQUE,
    state       TEXT NOT NULL CHECK (state IN ('scheduled', 'live', 'ended')),
    -- When the stream is to start on the session's day (HH:MM), for its page; optional.
    starts_at   TEXT,
    started_at  BIGINT,
    ended_at    BIGINT,
    created_at  BIGINT NOT NULL
);
