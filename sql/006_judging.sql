-- How tests are judged (issue #12): a question's checker and subtasks, and
-- the checker of a submission's inline tests, as the JSON of
-- core/judging.h ({"checker": ..., "subtasks": [...], "run_all_tests": ...});
-- NULL = the default (the exact checker, no subtasks). Each result keeps
-- its checker's message, its share of the test's points and its subtask;
-- a submission keeps its subtasks' results. The 'skipped' status of a test
-- comes from the status table (core/status.h), like the others.
ALTER TABLE questions ADD COLUMN judging jsonb;
ALTER TABLE submissions
    ADD COLUMN judging jsonb,
    ADD COLUMN subtask_results jsonb;
ALTER TABLE submission_results
    ADD COLUMN checker_message text,
    ADD COLUMN points_fraction double precision,
    ADD COLUMN subtask text;
