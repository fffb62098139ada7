-- E-mail alerts. A subscription is one address following one search (its parameters as
-- JSON) or one body, confirmed by a link before anything else is sent to it (double
-- opt-in); `token` is in every link of its messages and is what confirms and removes it.
-- Nothing else about the person is kept, and leaving deletes the row and all that hangs on
-- it.
CREATE TABLE alert_subscriptions (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL,
    follows         TEXT NOT NULL,
    label           TEXT NOT NULL,
    frequency       TEXT NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    lang            TEXT NOT NULL,
    -- The archive's address the subscriber used, for the links of its messages.
    origin          TEXT NOT NULL,
    token           TEXT NOT NULL UNIQUE,
    confirmed_at    INTEGER,
    next_digest_at  INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX alert_subscriptions_due ON alert_subscriptions(next_digest_at);
CREATE INDEX alert_subscriptions_email ON alert_subscriptions(email);

-- The sessions each subscription has been told about (or that already matched when it was
-- confirmed): a match is in one message at most.
CREATE TABLE alert_matches_sent (
    subscription_id INTEGER NOT NULL REFERENCES alert_subscriptions(id) ON DELETE CASCADE,
    session_id      INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    sent_at         INTEGER NOT NULL,
    PRIMARY KEY (subscription_id, session_id)
);

-- Messages waiting for their `mail` job; removed once sent.
CREATE TABLE mail_messages (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES alert_subscriptions(id) ON DELETE CASCADE,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
