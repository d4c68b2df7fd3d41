-- Test data stored once by content (issue #11). A blob is a file named by
-- the SHA-256 of its bytes, kept in chunks of bytea (one row each, at most
-- 1 MiB): written and read a chunk at a time, so neither the API nor a
-- worker holds a whole file, and it is backed up, replicated and deleted
-- with the rest of the database (large objects are not, by pg_dump
-- --table or logical replication, and need their own clean-up).
CREATE TABLE blobs (
    sha256      text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size        bigint NOT NULL CHECK (size >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE blob_chunks (
    sha256  text NOT NULL REFERENCES blobs(sha256) ON DELETE CASCADE,
    n       integer NOT NULL CHECK (n >= 0),
    data    bytea NOT NULL,
    PRIMARY KEY (sha256, n)
);

-- A question's tests come in versions: replacing them makes a new version,
-- and a submission is judged against the version it was made against.
ALTER TABLE questions ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE test_cases ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE test_cases DROP CONSTRAINT test_cases_question_id_ordinal_key;
ALTER TABLE test_cases ADD CONSTRAINT test_cases_question_version_ordinal_key UNIQUE (question_id, version, ordinal);
ALTER TABLE submissions ADD COLUMN question_version integer;
UPDATE submissions SET question_version = 1 WHERE question_id IS NOT NULL;

-- The texts stored so far become blobs (one chunk each: they were at most
-- a request body, BODY_MAX), and the test cases refer to them.
INSERT INTO blobs (sha256, size)
    SELECT DISTINCT encode(sha256(b), 'hex'), octet_length(b)
    FROM (SELECT convert_to(input, 'UTF8') AS b FROM test_cases
          UNION ALL SELECT convert_to(expected_output, 'UTF8') FROM test_cases) t
    ON CONFLICT DO NOTHING;
INSERT INTO blob_chunks (sha256, n, data)
    SELECT DISTINCT encode(sha256(b), 'hex'), 0, b
    FROM (SELECT convert_to(input, 'UTF8') AS b FROM test_cases
          UNION ALL SELECT convert_to(expected_output, 'UTF8') FROM test_cases) t
    ON CONFLICT DO NOTHING;
ALTER TABLE test_cases
    ADD COLUMN input_sha256 text REFERENCES blobs(sha256),
    ADD COLUMN answer_sha256 text REFERENCES blobs(sha256);
UPDATE test_cases SET input_sha256 = encode(sha256(convert_to(input, 'UTF8')), 'hex'),
                      answer_sha256 = encode(sha256(convert_to(expected_output, 'UTF8')), 'hex');
ALTER TABLE test_cases
    ALTER COLUMN input_sha256 SET NOT NULL,
    ALTER COLUMN answer_sha256 SET NOT NULL,
    DROP COLUMN input,
    DROP COLUMN expected_output;
