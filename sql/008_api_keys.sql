-- API keys (issue #13): a key is a random secret shown once; only its
-- SHA-256 is stored. Scopes are a subset of the table in src/api/auth.h
-- (submit, read, admin), kept as a comma-separated list.
CREATE TABLE api_keys (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    scopes         text NOT NULL,
    secret_sha256  text NOT NULL UNIQUE CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
    -- The secret's first characters, to tell keys apart in listings.
    prefix         text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz
);

-- A submission or a session belongs to the key that made it (NULL: anonymous).
ALTER TABLE submissions ADD COLUMN key_id uuid REFERENCES api_keys(id);
ALTER TABLE sessions ADD COLUMN key_id uuid REFERENCES api_keys(id);
CREATE INDEX submissions_key ON submissions (key_id, created_at) WHERE key_id IS NOT NULL;

-- A submission stored whose enqueue failed (Redis unavailable): the
-- workers' sweep enqueues it within seconds instead of after STALE_QUEUED_AGE.
ALTER TABLE submissions ADD COLUMN enqueue_failed boolean NOT NULL DEFAULT false;
CREATE INDEX submissions_enqueue_failed ON submissions (enqueued_at) WHERE enqueue_failed;

-- MAX_QUEUED counts a key's unfinished submissions.
CREATE INDEX submissions_key_unfinished ON submissions (key_id) WHERE status IN ('queued', 'running');

-- A session's program waits here until its WebSocket attaches: only then
-- is the session queued for a worker (an unattached session holds none).
ALTER TABLE sessions ADD COLUMN source_code text;
