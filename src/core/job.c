#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/job.h"

static const struct {
    const char *name;
    size_t offset;
    uint64_t min;
    bool seconds;
} fields[] = {
    {"time_limit", offsetof(core_limits_t, time_ms), CORE_LIMIT_TIME_MIN_MS, true},
    {"wall_limit", offsetof(core_limits_t, wall_ms), CORE_LIMIT_TIME_MIN_MS, true},
    {"memory_limit", offsetof(core_limits_t, memory_bytes), CORE_LIMIT_MEMORY_MIN, false},
    {"output_limit", offsetof(core_limits_t, output_bytes), CORE_LIMIT_OUTPUT_MIN, false},
};

static uint64_t field(const core_limits_t *l, size_t i)
{
    return *(const uint64_t *)((const char *)l + fields[i].offset);
}

int core_limit_check(const char *name, uint64_t v, const core_limits_t *max, char *msg, size_t cap)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (strcmp(name, fields[i].name) != 0)
            continue;
        uint64_t hi = field(max, i);
        if (v >= fields[i].min && v <= hi)
            return 0;
        if (fields[i].seconds)
            snprintf(msg, cap, "field '%s' must be from %g to %g seconds", name, (double)fields[i].min / 1000.0,
                     (double)hi / 1000.0);
        else
            snprintf(msg, cap, "field '%s' must be from %" PRIu64 " to %" PRIu64 " bytes", name, fields[i].min, hi);
        return -1;
    }
    snprintf(msg, cap, "no limit is named '%s'", name);
    return -1;
}

int core_limits_check(const core_limits_t *l, const core_limits_t *max, char *msg, size_t cap)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (field(l, i) && core_limit_check(fields[i].name, field(l, i), max, msg, cap) < 0)
            return -1;
    return 0;
}

void core_limits_resolve(const core_limits_t *set, const nsj_limits_t *defaults, nsj_limits_t *out)
{
    *out = *defaults;
    if (set->time_ms) {
        out->cpu_ms = set->time_ms;
        /* A program waiting on nothing still uses wall time: never let the
         * host's default wall clock cut a long CPU limit short. */
        if (!set->wall_ms && out->wall_ms < 2 * set->time_ms + 1000)
            out->wall_ms = 2 * set->time_ms + 1000;
    }
    if (set->wall_ms)
        out->wall_ms = set->wall_ms;
    if (set->memory_bytes)
        out->memory_bytes = set->memory_bytes;
    if (set->output_bytes)
        out->output_bytes = set->output_bytes;
}

void core_limits_from_sandbox(const nsj_limits_t *l, core_limits_t *out)
{
    *out = (core_limits_t){.time_ms = l->cpu_ms, .wall_ms = l->wall_ms, .memory_bytes = l->memory_bytes,
                           .output_bytes = l->output_bytes};
}

int64_t core_tests_max_score(const core_test_t *tests, size_t n)
{
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += tests[i].score;
    return sum;
}

void core_tests_free(core_test_t *tests, size_t n)
{
    for (size_t i = 0; tests && i < n; i++) {
        free(tests[i].input_data);
        free(tests[i].answer_data);
    }
    free(tests);
}

void core_job_free(core_job_t *job)
{
    if (!job)
        return;
    free(job->source);
    core_tests_free(job->tests, job->ntests);
    core_judging_free(&job->judging);
    memset(job, 0, sizeof *job);
}

void core_question_free(core_question_t *q)
{
    if (!q)
        return;
    free(q->title);
    free(q->statement);
    core_tests_free(q->tests, q->ntests);
    core_judging_free(&q->judging);
    memset(q, 0, sizeof *q);
}

void core_report_free(core_report_t *rep)
{
    if (!rep)
        return;
    for (size_t i = 0; rep->tests && i < rep->ntests; i++) {
        free(rep->tests[i].out);
        free(rep->tests[i].err);
    }
    free(rep->tests);
    free(rep->groups);
    free(rep->out);
    free(rep->err);
    memset(rep, 0, sizeof *rep);
}

void core_submission_free(core_submission_t *s)
{
    if (!s)
        return;
    core_job_free(&s->job);
    core_report_free(&s->report);
    memset(s, 0, sizeof *s);
}
