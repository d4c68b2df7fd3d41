-- Full output on request (issue #11): a submission with keep_output keeps
-- each test's whole stdout (up to its output limit) as a blob, beside the
-- bounded preview in submission_results.stdout.
ALTER TABLE submissions ADD COLUMN keep_output boolean NOT NULL DEFAULT false;
ALTER TABLE submission_results ADD COLUMN stdout_sha256 text REFERENCES blobs(sha256);
