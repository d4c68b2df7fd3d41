/* A question's or a submission's judging (core/judging.h) and a
 * submission's subtask results, as the jsonb columns of 006_judging.sql. */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* What was stored was checked by the API: these bounds only keep it whole. */
static const core_judging_limits_t stored = {.program_max = SIZE_MAX, .max_subtasks = SIZE_MAX};

char *store_judging_text(const core_judging_t *j, bool *bad)
{
    if (core_judging_is_default(j))
        return NULL;
    char *s = core_judging_dump(j);
    if (!s)
        *bad = true;
    return s;
}

int store_judging_put(store_t *s, const char *question_id, int version, const core_judging_t *j, nsj_error_t *err)
{
    bool bad = false;
    char *text = store_judging_text(j, &bad), ver[16];
    if (bad)
        return nsj_error_set(err, ENOMEM, "postgres: out of memory");
    if (!text)
        return 0; /* the default: no row */
    snprintf(ver, sizeof ver, "%d", version);
    const char *p[] = {question_id, ver, text};
    PGresult *r = store_exec(s, "INSERT INTO question_judging (question_id, version, judging) VALUES ($1, $2, $3)", 3,
                             p, err);
    free(text);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

int store_judging_parse(const char *text, size_t ntests, core_judging_t *out, nsj_error_t *err)
{
    memset(out, 0, sizeof *out);
    if (!text || !*text)
        return 0;
    json_error_t jerr;
    json_t *o = json_loads(text, 0, &jerr);
    char msg[256];
    if (!o)
        return nsj_error_set(err, EIO, "stored judging: %s", jerr.text);
    int rc = core_judging_parse(o, ntests, false, &stored, out, msg, sizeof msg);
    json_decref(o);
    if (rc < 0)
        return nsj_error_set(err, EIO, "stored judging: %s", msg);
    return 0;
}

char *store_groups_text(const core_report_t *rep, bool *bad)
{
    if (!rep->ngroups)
        return NULL;
    json_t *a = json_array();
    for (size_t i = 0; a && i < rep->ngroups; i++) {
        const core_group_result_t *g = &rep->groups[i];
        json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I}", "name", g->name, "status",
                                           core_status_name(g->status), "points", (json_int_t)g->points,
                                           "awarded", (json_int_t)g->awarded));
    }
    char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    if (!s)
        *bad = true;
    return s;
}

int store_groups_parse(const char *text, core_report_t *rep, nsj_error_t *err)
{
    if (!text || !*text)
        return 0;
    json_error_t jerr;
    json_t *a = json_loads(text, 0, &jerr);
    if (!json_is_array(a)) {
        json_decref(a);
        return nsj_error_set(err, EIO, "stored subtask results: not an array");
    }
    size_t n = json_array_size(a);
    rep->groups = calloc(n ? n : 1, sizeof *rep->groups);
    if (!rep->groups) {
        json_decref(a);
        return nsj_error_set(err, ENOMEM, "postgres: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = "", *status = "";
        json_int_t pts = 0, aw = 0;
        json_unpack(json_array_get(a, i), "{s?s, s?s, s?I, s?I}", "name", &name, "status", &status, "points", &pts,
                    "awarded", &aw);
        core_group_result_t *g = &rep->groups[rep->ngroups++];
        snprintf(g->name, sizeof g->name, "%s", name);
        if (core_status_from_name(status, &g->status) < 0)
            g->status = CORE_STATUS_FAILED;
        g->points = pts;
        g->awarded = aw;
    }
    json_decref(a);
    return 0;
}
