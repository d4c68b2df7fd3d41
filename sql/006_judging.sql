-- How tests are judged (issue #12). A question's checker and subtasks go
-- with a version of its tests (the JSON of core/judging.h: {"checker": ...,
-- "subtasks": [...], "run_all_tests": ...}), so that a submission is judged
-- by the checker of the version it was made against; a version without a
-- row is judged by the default (the exact checker, no subtasks). Inline
-- tests carry theirs on the submission. Each result keeps its checker's
-- message, its share of the test's points and its subtask; a submission
-- keeps its subtasks' results. The 'skipped' status of a test comes from
-- the status table (core/status.h), like the others.
CREATE TABLE question_judging (
    question_id  uuid NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    version      integer NOT NULL CHECK (version >= 1),
    judging      jsonb NOT NULL,
    PRIMARY KEY (question_id, version)
);
ALTER TABLE submissions
    ADD COLUMN judging jsonb,
    ADD COLUMN subtask_results jsonb;
ALTER TABLE submission_results
    ADD COLUMN checker_message text,
    ADD COLUMN points_fraction double precision,
    ADD COLUMN subtask text;
