-- Interactive sessions (issue #6, docs/live.md): one row per POST /sessions.
-- The live traffic goes through Redis streams that expire; this row is the
-- record that outlives them: which language ran when, and how it ended.

CREATE TABLE sessions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    language     text NOT NULL,
    status       text NOT NULL DEFAULT 'queued' CHECK (status IN (
                     'queued', 'running', 'finished', 'terminated')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- Set when a WebSocket attached: a session is attached at most once.
    attached_at  timestamptz,
    started_at   timestamptz,
    finished_at  timestamptz,
    -- The final {"type":"exit", "status", ...} message the client got.
    exit         jsonb
);

CREATE INDEX sessions_unfinished ON sessions (created_at) WHERE status IN ('queued', 'running');
