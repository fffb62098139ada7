-- People and what the archive knows about them in its sessions. Calendar dates are ISO
-- text, media times milliseconds in the original recording's timeline, as everywhere.

-- The roster: everyone who held a role in the comune's bodies.
CREATE TABLE people (
    id           INTEGER PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    given_name   TEXT NOT NULL,
    family_name  TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

-- Who was what, where and when. `body_id` is empty for the comune-wide roles (mayor,
-- deputy mayor, assessore, secretary); `to_date` is empty while the role lasts.
CREATE TABLE person_roles (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('councillor', 'mayor', 'deputy_mayor',
                    'assessore', 'president', 'vice_president', 'secretary')),
    body_id     INTEGER REFERENCES bodies(id),
    -- the council group or party
    party       TEXT,
    -- an assessore's portfolio (delega)
    portfolio   TEXT,
    from_date   TEXT NOT NULL,
    to_date     TEXT
);
CREATE INDEX person_roles_by_person ON person_roles(person_id);

-- Who speaks when. Read from a human transcript's labels or from what the chair says in an
-- automatic one (read again when the transcript or the roster changes), such a turn runs
-- from its start to the next one's and has no `end_ms`. An editor's turn has one, and
-- within it the editor's word wins over the readings; it is kept when they are read again.
-- `person_id` is empty for a turn nobody could be named for; `label` is the label as
-- written or the words that gave the turn away.
CREATE TABLE speaker_turns (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    start_ms    INTEGER NOT NULL,
    end_ms      INTEGER,
    person_id   INTEGER REFERENCES people(id) ON DELETE SET NULL,
    label       TEXT,
    source      TEXT NOT NULL CHECK (source IN ('label', 'inferred', 'editor')),
    confidence  REAL
);
CREATE INDEX speaker_turns_by_session ON speaker_turns(session_id, start_ms);
CREATE INDEX speaker_turns_by_person ON speaker_turns(person_id);

-- The roll call: who was present (1) or absent (0).
CREATE TABLE attendance (
    session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    present     INTEGER NOT NULL CHECK (present IN (0, 1)),
    source      TEXT NOT NULL CHECK (source IN ('minutes', 'import', 'editor')),
    PRIMARY KEY (session_id, person_id)
);
CREATE INDEX attendance_by_person ON attendance(person_id);

-- Votes on agenda items. `item_number` is the agenda item's number as written (agenda
-- items are rewritten when an agenda is attached again, so it is not a key to them);
-- `problem` says why the counts cannot be right: shown, never silently stored.
CREATE TABLE votes (
    id           INTEGER PRIMARY KEY,
    session_id   INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    item_number  TEXT,
    item_title   TEXT NOT NULL,
    outcome      TEXT CHECK (outcome IN ('approved', 'rejected', 'postponed')),
    present      INTEGER,
    voting       INTEGER,
    in_favour    INTEGER,
    against      INTEGER,
    abstained    INTEGER,
    unanimous    INTEGER NOT NULL DEFAULT 0 CHECK (unanimous IN (0, 1)),
    problem      TEXT,
    excerpt      TEXT,
    source       TEXT NOT NULL CHECK (source IN ('minutes', 'import', 'editor')),
    UNIQUE (session_id, position)
);

CREATE TABLE person_votes (
    vote_id    INTEGER NOT NULL REFERENCES votes(id) ON DELETE CASCADE,
    person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    choice     TEXT NOT NULL CHECK (choice IN ('in_favour', 'against', 'abstained', 'not_voting')),
    PRIMARY KEY (vote_id, person_id)
);
CREATE INDEX person_votes_by_person ON person_votes(person_id);
