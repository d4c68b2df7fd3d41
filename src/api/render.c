/* Field names and shapes are the API's (README "HTTP API"): times in
 * milliseconds as integers where they are measurements, limits in seconds
 * (JSON numbers) and bytes as the requests give them; unknown or not yet
 * known values are null. */
#include <jansson.h>
#include <stdlib.h>

#include "api/render.h"
#include "judge/judge.h"

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

static json_t *text(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *seconds(uint64_t ms)
{
    return ms ? json_real((double)ms / 1000.0) : json_null();
}

static json_t *bytes(uint64_t b)
{
    return b ? json_integer((json_int_t)b) : json_null();
}

/* Set the four limit fields on o; nonzero when out of memory. */
static int set_limits(json_t *o, const core_limits_t *l)
{
    return json_object_set_new(o, "time_limit", seconds(l->time_ms)) |
           json_object_set_new(o, "wall_limit", seconds(l->wall_ms)) |
           json_object_set_new(o, "memory_limit", bytes(l->memory_bytes)) |
           json_object_set_new(o, "output_limit", bytes(l->output_bytes));
}

static json_t *result_json(const core_test_result_t *t)
{
    json_t *o = json_object(), *lim = json_object();
    if (!o || !lim) {
        json_decref(o);
        json_decref(lim);
        return NULL;
    }
    bool known = t->limits.time_ms || t->limits.wall_ms || t->limits.memory_bytes || t->limits.output_bytes;
    int bad = 0;
    bad |= json_object_set_new(o, "test_case_id", json_string(t->test_id));
    bad |= json_object_set_new(o, "ordinal", json_integer(t->ordinal));
    bad |= json_object_set_new(o, "status", json_string(core_status_name(t->status)));
    bad |= json_object_set_new(o, "passed", json_boolean(t->passed));
    bad |= json_object_set_new(o, "stdout", text(t->out));
    bad |= json_object_set_new(o, "stderr", text(t->err));
    bad |= json_object_set_new(o, "execution_ms", json_integer((json_int_t)t->wall_ms));
    bad |= json_object_set_new(o, "cpu_ms", json_integer((json_int_t)t->cpu_ms));
    bad |= json_object_set_new(o, "memory_kb", json_integer((json_int_t)t->memory_kb));
    bad |= json_object_set_new(o, "exit_code", t->exit_code >= 0 ? json_integer(t->exit_code) : json_null());
    bad |= json_object_set_new(o, "signal", t->signal > 0 ? json_integer(t->signal) : json_null());
    bad |= json_object_set_new(o, "evidence", json_string(t->evidence));
    bad |= json_object_set_new(o, "checker_message", str_or_null(t->checker_message));
    bad |= json_object_set_new(o, "points_fraction", json_real(t->passed ? 1.0 : t->fraction));
    bad |= json_object_set_new(o, "subtask", str_or_null(t->group));
    if (t->stdout_blob.sha256[0]) {
        bad |= json_object_set_new(o, "stdout_sha256", json_string(t->stdout_blob.sha256));
        bad |= json_object_set_new(o, "stdout_size", json_integer((json_int_t)t->stdout_blob.size));
    }
    bad |= set_limits(lim, &t->limits);
    /* Results stored before limits were recorded have none. */
    bad |= json_object_set_new(o, "limits", known ? lim : (json_decref(lim), json_null()));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static char *dump(json_t *o, int bad)
{
    char *out = !bad && o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return out;
}

char *api_render_submission(const core_submission_t *s)
{
    const core_job_t *j = &s->job;
    const core_report_t *r = &s->report;
    json_t *o = json_object(), *results = json_array();
    int bad = !o || !results;
    if (bad) {
        json_decref(results);
        return dump(o, bad);
    }
    bad |= json_object_set_new(o, "id", json_string(j->submission_id));
    bad |= json_object_set_new(o, "question_id", str_or_null(j->question_id));
    bad |= json_object_set_new(o, "language", json_string(j->language));
    bad |= json_object_set_new(o, "status", json_string(core_status_name(r->status)));
    bad |= json_object_set_new(o, "source_code", text(j->source));
    bad |= json_object_set_new(o, "stdout", text(r->out));
    bad |= json_object_set_new(o, "stderr", text(r->err));
    bad |= json_object_set_new(o, "execution_ms", r->summarized ? json_integer((json_int_t)r->execution_ms) : json_null());
    bad |= json_object_set_new(o, "memory_kb", r->summarized ? json_integer((json_int_t)r->memory_kb) : json_null());
    bad |= json_object_set_new(o, "score_awarded", r->summarized ? json_integer(r->score) : json_null());
    bad |= json_object_set_new(o, "max_score", json_integer(r->max_score));
    bad |= json_object_set_new(o, "error", str_or_null(r->error));
    bad |= set_limits(o, &j->limits);
    bad |= json_object_set_new(o, "keep_output", json_boolean(j->keep_output));
    bad |= json_object_set_new(o, "created_at", str_or_null(s->created_at));
    bad |= json_object_set_new(o, "started_at", str_or_null(s->started_at));
    bad |= json_object_set_new(o, "finished_at", str_or_null(s->finished_at));
    for (size_t i = 0; !bad && i < r->ntests; i++)
        bad |= json_array_append_new(results, result_json(&r->tests[i]));
    bad |= json_object_set_new(o, "results", results);
    json_t *groups = r->ngroups ? json_array() : json_null();
    for (size_t i = 0; groups && i < r->ngroups; i++) {
        const core_group_result_t *g = &r->groups[i];
        bad |= json_array_append_new(groups, json_pack("{s:s, s:s, s:I, s:I}", "name", g->name, "status",
                                                       core_status_name(g->status), "points", (json_int_t)g->points,
                                                       "awarded", (json_int_t)g->awarded));
    }
    bad |= json_object_set_new(o, "subtasks", groups);
    return dump(o, bad);
}

char *api_render_question(const core_question_t *q)
{
    json_t *o = json_object(), *tests = json_array();
    int bad = !o || !tests;
    if (bad) {
        json_decref(tests);
        return dump(o, bad);
    }
    bad |= json_object_set_new(o, "id", json_string(q->id));
    bad |= json_object_set_new(o, "title", text(q->title));
    bad |= json_object_set_new(o, "statement", text(q->statement));
    bad |= json_object_set_new(o, "created_at", str_or_null(q->created_at));
    bad |= json_object_set_new(o, "max_score", json_integer(judge_max_score(q->tests, q->ntests, &q->judging)));
    /* The judging, without a custom checker's source and files. */
    json_t *jd = core_judging_json(&q->judging, false);
    bad |= !jd;
    bad |= json_object_set(o, "checker", json_object_get(jd, "checker"));
    bad |= json_object_set(o, "subtasks", json_object_get(jd, "subtasks") ? json_object_get(jd, "subtasks") : json_null());
    bad |= json_object_set(o, "run_all_tests", json_object_get(jd, "run_all_tests"));
    bad |= json_object_set(o, "mode", json_object_get(jd, "mode"));
    bad |= json_object_set(o, "interactor", json_object_get(jd, "interactor") ? json_object_get(jd, "interactor") : json_null());
    json_decref(jd);
    bad |= set_limits(o, &q->limits);
    bad |= json_object_set_new(o, "version", json_integer(q->version));
    for (size_t i = 0; !bad && i < q->ntests; i++) {
        const core_test_t *t = &q->tests[i];
        bad |= json_array_append_new(tests, json_pack("{s:s, s:i, s:I, s:s, s:I, s:s, s:I}", "id", t->id, "ordinal",
                                                      (int)i, "score", (json_int_t)t->score, "input_sha256",
                                                      t->input.sha256, "input_size", (json_int_t)t->input.size,
                                                      "answer_sha256", t->answer.sha256, "answer_size",
                                                      (json_int_t)t->answer.size));
    }
    bad |= json_object_set_new(o, "test_cases", tests);
    return dump(o, bad);
}
