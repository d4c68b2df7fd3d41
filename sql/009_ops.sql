-- Operations (issue #13): listings newest first with keyset pagination
-- on (created_at, id), so a page is one index range scan however deep.
CREATE INDEX submissions_created ON submissions (created_at DESC, id DESC);
CREATE INDEX submissions_question_created ON submissions (question_id, created_at DESC, id DESC)
    WHERE question_id IS NOT NULL;
CREATE INDEX questions_created ON questions (created_at DESC, id DESC);

-- Callbacks: a submission may name a URL to POST its final state to. The
-- delivery is queued in the same transaction that makes the submission
-- final (the trigger below), so no restart of the API or a worker loses
-- one; workers deliver from this table (src/worker/callbacks.c).
ALTER TABLE submissions ADD COLUMN callback_url text CHECK (length(callback_url) <= 2048);

CREATE TABLE callback_outbox (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(), -- the idempotency id sent with each attempt
    submission_id    uuid NOT NULL UNIQUE REFERENCES submissions(id) ON DELETE CASCADE,
    url              text NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(), -- also the lease of a worker delivering it
    last_error       text,
    delivered_at     timestamptz,
    failed_at        timestamptz,                        -- given up
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX callback_outbox_due ON callback_outbox (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;

-- A submission is final once finished_at is set (both the results' commit
-- and internal_error set it, once).
CREATE FUNCTION callback_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.callback_url IS NOT NULL AND NEW.finished_at IS NOT NULL AND OLD.finished_at IS NULL THEN
        INSERT INTO callback_outbox (submission_id, url) VALUES (NEW.id, NEW.callback_url)
            ON CONFLICT (submission_id) DO NOTHING;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER submissions_callback AFTER UPDATE OF finished_at ON submissions
    FOR EACH ROW EXECUTE FUNCTION callback_enqueue();

-- A key's own callback secret (POST /keys/{id}/callback-secret): the
-- callbacks of its submissions are signed with it instead of the
-- deployment's CALLBACK_SECRET. Kept as it is: it signs, it does not grant.
ALTER TABLE api_keys ADD COLUMN callback_secret text CHECK (callback_secret ~ '^[0-9a-f]{64}$');
