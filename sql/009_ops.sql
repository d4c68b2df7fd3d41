-- Operations (issue #13): listings newest first with keyset pagination
-- on (created_at, id), so a page is one index range scan however deep.
CREATE INDEX submissions_created ON submissions (created_at DESC, id DESC);
CREATE INDEX submissions_question_created ON submissions (question_id, created_at DESC, id DESC)
    WHERE question_id IS NOT NULL;
CREATE INDEX questions_created ON questions (created_at DESC, id DESC);
