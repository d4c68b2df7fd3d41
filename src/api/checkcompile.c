/* POST /questions with a custom checker (or an interactor) in a compiled
 * language: before the question is stored, a worker compiles it
 * (queue/compile.h; the API has no sandbox). A program that does not
 * compile is the question's fault: 400 with the compiler's output, naming
 * the field. No worker
 * answering, or one that cannot try, is the host's: 503, nothing stored. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "queue/compile.h"

/* A worker's compile limits plus queueing: how long to wait for the answer. */
#define WAIT_EXTRA_S 30

int api_checker_compiles(api_server_t *s, const core_judging_t *j, unsigned *status, char **body)
{
    /* An interactive question's interactor is checked the same way (the
     * parser allows no custom checker beside it). */
    bool interactive = j->mode == CORE_MODE_INTERACTIVE;
    if (j->checker.type != CORE_CHECKER_CUSTOM && !interactive)
        return 0;
    const char *what = interactive ? "interactor" : "checker";
    const language_t *lang =
        languages_find(s->langs, interactive ? j->interactor.language : j->checker.program.language);
    if (!lang || !lang->compile_argc)
        return 0; /* interpreted: nothing to compile */
    core_judging_t only = {.checker = j->checker};
    if (interactive)
        only = (core_judging_t){.mode = CORE_MODE_INTERACTIVE, .interactor = j->interactor};
    char *text = core_judging_dump(&only);
    if (!text) {
        *status = 503;
        *body = api_error_json("out of memory");
        return -1;
    }
    nsj_limits_t base, cl;
    nsj_limits_default(&base);
    languages_compile_limits(lang, &base, &cl);
    int wait_s = (int)(cl.wall_ms / 1000) + WAIT_EXTRA_S;
    queue_conn_t *q = NULL;
    nsj_error_t err;
    queue_compile_outcome_t oc = QUEUE_COMPILE_FAILED;
    char *msg = NULL;
    /* A connection of its own: its replies may take the whole wait. */
    int rc = queue_connect(&s->redis, (wait_s + 10) * 1000, &q, &err);
    if (rc == 0)
        rc = queue_compile_check(q, text, wait_s, &oc, &msg, &err);
    queue_close(q);
    free(text);
    int out = -1;
    if (rc < 0) {
        *status = 503;
        *body = api_error_json("checking that the %s compiles: Redis: %s", what, err.msg);
    } else if (rc == 1) {
        *status = 503;
        *body = api_error_json("checking that the %s compiles: no worker answered within %d s; "
                               "nothing was stored, try again", what, wait_s);
    } else if (oc == QUEUE_COMPILE_ERROR) {
        *status = 400;
        *body = api_error_json("field '%s.source': the %s (%s) does not compile: %s", what, what, lang->name, msg);
    } else if (oc == QUEUE_COMPILE_FAILED) {
        *status = 503;
        *body = api_error_json("checking that the %s compiles: the worker could not: %s", what, msg);
    } else {
        out = 0;
    }
    free(msg);
    return out;
}
