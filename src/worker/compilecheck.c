#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "core/judging.h"
#include "queue/compile.h"
#include "service/service.h"
#include "worker/compilecheck.h"

#define BLOCK_S 1                    /* how soon a stop is noticed */
#define COMPILER_OUTPUT_MAX 4000     /* of the compiler's output in a 400 */

static const core_judging_limits_t any = {.program_max = SIZE_MAX, .max_subtasks = SIZE_MAX};

/* Compile one request's program (its custom checker, or an interactive
 * question's interactor): the outcome and its message (malloc'd). */
static queue_compile_outcome_t check(const compilecheck_ctx_t *ctx, const char *judging_json, char **message)
{
    char msg[512];
    core_judging_t j;
    json_error_t jerr;
    json_t *o = json_loads(judging_json, 0, &jerr);
    int prc = o ? core_judging_parse(o, 0, false, &any, &j, msg, sizeof msg) : -1;
    json_decref(o);
    if (prc < 0 || (j.checker.type != CORE_CHECKER_CUSTOM && j.mode != CORE_MODE_INTERACTIVE)) {
        if (prc == 0)
            core_judging_free(&j);
        *message = strdup("the request names no custom checker or interactor");
        return QUEUE_COMPILE_FAILED;
    }
    bool interactor = j.mode == CORE_MODE_INTERACTIVE;
    const char *role = interactor ? "interactor" : "checker";
    const core_program_t *p = interactor ? &j.interactor : &j.checker.program;
    progcache_prog_t prog;
    uint64_t t0 = util_now_ns();
    int rc = progcache_prepare(ctx->programs, ctx->sb, &ctx->where, role, p, ctx->limits, &prog, message,
                               COMPILER_OUTPUT_MAX, msg, sizeof msg);
    queue_compile_outcome_t out = rc == 0 ? QUEUE_COMPILE_OK : rc > 0 ? QUEUE_COMPILE_ERROR : QUEUE_COMPILE_FAILED;
    if (rc == 0) {
        msg[0] = '\0';
        if (prog.compiled)
            service_log("compile check: program cache: compiled %s %s (%s) in %" PRIu64 " ms", role, prog.key,
                        p->language, (util_now_ns() - t0) / 1000000);
        progcache_prog_free(&prog);
    }
    if (!*message)
        *message = strdup(msg);
    core_judging_free(&j);
    return out;
}

void compilecheck_run(const compilecheck_ctx_t *ctx)
{
    queue_conn_t *q = NULL;
    bool down = false;
    while (!atomic_load(ctx->stopping)) {
        nsj_error_t err;
        if (queue_broken(q)) {
            queue_close(q);
            q = NULL;
            /* The reply timeout covers BRPOP's block. */
            if (queue_connect(ctx->redis, (BLOCK_S + 10) * 1000, &q, &err) < 0) {
                if (!down)
                    service_log("compile check: Redis unavailable, retrying: %s", err.msg);
                down = true;
                sleep(1);
                continue;
            }
            if (down)
                service_log("compile check: reconnected to Redis");
            down = false;
        }
        char key[128], *judging = NULL, *message = NULL;
        int got = queue_compile_take(q, BLOCK_S, key, sizeof key, &judging, &err);
        if (got < 0 && !queue_broken(q)) {
            service_log("compile check: %s", err.msg);
            sleep(1);
        }
        if (got <= 0)
            continue;
        queue_compile_outcome_t oc = check(ctx, judging, &message);
        if (queue_compile_answer(q, key, oc, message, &err) < 0)
            service_log("compile check: answering %s: %s", key, err.msg);
        free(judging);
        free(message);
    }
    queue_close(q);
}
