-- Speech to text. Cues say where they come from: a human transcript (an imported SRT/VTT
-- or a document), the speech engine, or the engine corrected by an editor (kept when the
-- engine hears the session again); a human transcript always wins. Times stay in the
-- original recording's timeline, as for every cue.
ALTER TABLE transcript_cues ADD COLUMN source TEXT NOT NULL DEFAULT 'human'
    CHECK (source IN ('human', 'automatic', 'corrected'));
-- The engine's mean confidence in the cue's words (0-1); none for a human cue.
ALTER TABLE transcript_cues ADD COLUMN confidence DOUBLE PRECISION;

-- A session's automatic transcript: which published version was heard, by which engine
-- and model, and what came of it ('empty': no speech found).
CREATE TABLE transcriptions (
    session_id  BIGINT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    media_dir   TEXT NOT NULL,
    engine      TEXT NOT NULL,
    model       TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('done', 'empty')),
    words       BIGINT NOT NULL,
    confidence  DOUBLE PRECISION,
    updated_at  BIGINT NOT NULL
);

-- What the engine heard in each finished chunk of a transcription under way, so a worker
-- that dies resumes at the chunk it was in. Words as JSON [[text, start_ms, end_ms,
-- probability], ...] in the heard version's timeline; removed when the transcript is stored.
CREATE TABLE transcription_chunks (
    session_id  BIGINT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    media_dir   TEXT NOT NULL,
    start_ms    BIGINT NOT NULL,
    end_ms      BIGINT NOT NULL,
    words       TEXT NOT NULL,
    PRIMARY KEY (session_id, media_dir, start_ms)
);

-- Every session page asks whether a transcription of it is waiting or running, and a
-- publication whether one is queued: by session, not by scanning the whole queue.
CREATE INDEX jobs_by_session ON jobs(session_id, kind, state);
