-- nsjudge pipeline schema. Applied once by store_migrate() (recorded in
-- schema_migrations); never edit an applied migration, add a new file.

CREATE TABLE questions (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title       text NOT NULL,
    statement   text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE submissions (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- NULL when the test cases came inline with the submission.
    question_id   uuid REFERENCES questions(id),
    language      text NOT NULL,
    source_code   text NOT NULL,
    status        text NOT NULL DEFAULT 'queued' CHECK (status IN (
                      'queued', 'running', 'passed', 'failed', 'runtime_error', 'compile_error',
                      'time_limit', 'memory_limit', 'output_limit', 'internal_error')),
    -- Output of the first failing test, or of the last test when all passed.
    stdout        text,
    stderr        text,
    execution_ms  integer,          -- the longest test (wall clock)
    memory_kb     bigint,           -- the largest peak of any test
    score_awarded integer,
    max_score     integer NOT NULL CHECK (max_score >= 0),
    error         text,             -- why, for internal_error
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- Last time a queue message was written for it (stale rows are re-enqueued).
    enqueued_at   timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz
);

CREATE INDEX submissions_unfinished ON submissions (enqueued_at) WHERE status IN ('queued', 'running');
CREATE INDEX submissions_question ON submissions (question_id) WHERE question_id IS NOT NULL;

-- A test case belongs to a question, or (inline test cases) to one submission.
CREATE TABLE test_cases (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    question_id     uuid REFERENCES questions(id) ON DELETE CASCADE,
    submission_id   uuid REFERENCES submissions(id) ON DELETE CASCADE,
    ordinal         integer NOT NULL CHECK (ordinal >= 0),
    input           text NOT NULL,
    expected_output text NOT NULL,
    score           integer NOT NULL CHECK (score >= 0),
    CHECK ((question_id IS NULL) <> (submission_id IS NULL)),
    UNIQUE (question_id, ordinal),
    UNIQUE (submission_id, ordinal)
);

CREATE TABLE submission_results (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    submission_id  uuid NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
    test_case_id   uuid NOT NULL REFERENCES test_cases(id) ON DELETE CASCADE,
    ordinal        integer NOT NULL,
    status         text NOT NULL CHECK (status IN (
                       'passed', 'failed', 'runtime_error', 'compile_error', 'time_limit',
                       'memory_limit', 'output_limit', 'internal_error')),
    passed         boolean NOT NULL,
    stdout         text NOT NULL,     -- bounded (the worker's STORED_OUTPUT_MAX)
    stderr         text NOT NULL,
    execution_ms   integer NOT NULL,  -- wall clock
    cpu_ms         integer NOT NULL,
    memory_kb      bigint NOT NULL,
    exit_code      integer,
    signal         integer,
    evidence       text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    -- A redelivered job never duplicates rows.
    UNIQUE (submission_id, test_case_id)
);
