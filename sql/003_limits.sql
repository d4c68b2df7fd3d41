-- Limits per question and per submission (issue #11). NULL = not set: the
-- worker's default applies. A submission sets its own only with inline
-- tests; one naming a question runs under the question's. Each result
-- records the limits its test ran under (the language's allowances
-- included); rows from before this migration have NULL there.
-- The status columns' CHECK constraints are not written here: they come
-- from the status table in src/core/status.h (store_migrate_statuses()).

ALTER TABLE questions
    ADD COLUMN time_limit_ms bigint CHECK (time_limit_ms > 0),
    ADD COLUMN wall_limit_ms bigint CHECK (wall_limit_ms > 0),
    ADD COLUMN memory_limit  bigint CHECK (memory_limit > 0),
    ADD COLUMN output_limit  bigint CHECK (output_limit > 0);

ALTER TABLE submissions
    ADD COLUMN time_limit_ms bigint CHECK (time_limit_ms > 0),
    ADD COLUMN wall_limit_ms bigint CHECK (wall_limit_ms > 0),
    ADD COLUMN memory_limit  bigint CHECK (memory_limit > 0),
    ADD COLUMN output_limit  bigint CHECK (output_limit > 0);

ALTER TABLE submission_results
    ADD COLUMN time_limit_ms bigint,
    ADD COLUMN wall_limit_ms bigint,
    ADD COLUMN memory_limit  bigint,
    ADD COLUMN output_limit  bigint;
