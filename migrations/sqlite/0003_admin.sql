-- Time ranges an editor cut from a session's public media (agenda items closed to the
-- public by law). Times are in the original recording's timeline, in milliseconds; the
-- originals keep every second.
CREATE TABLE withheld_ranges (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    start_ms    INTEGER NOT NULL,
    end_ms      INTEGER NOT NULL CHECK (end_ms > start_ms),
    reason      TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX withheld_ranges_by_session ON withheld_ranges(session_id, start_ms);

-- The ranges a media version was made without, as JSON [[start_ms, end_ms], …]: public
-- times (agenda, captions, search hits) are moved by them.
ALTER TABLE media_versions ADD COLUMN cuts TEXT;

-- What each `aula import` found, newest last; the admin pages show the latest.
CREATE TABLE import_reports (
    id          INTEGER PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    file        TEXT NOT NULL,
    dry_run     INTEGER NOT NULL,
    report      TEXT NOT NULL
);
