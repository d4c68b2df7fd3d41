/* Interactive verdicts. The order of the rules is the point; README.md
 * ("Interactive problems") gives each one's reason. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "judge/interact.h"
#include "judge/judge.h"

/* The interactor's message: the first line of its stderr, bounded. */
static void first_line(const nsj_result_t *r, char *buf, size_t cap)
{
    const char *s = r->err ? r->err : "";
    size_t n = strcspn(s, "\n");
    if (n > 200)
        n = 200;
    snprintf(buf, cap, "%.*s", (int)n, s);
}

static bool judged_exit(int code)
{
    return code == INTERACT_EXIT_OK || code == INTERACT_EXIT_WA || code == INTERACT_EXIT_PE ||
           code == INTERACT_EXIT_DIRT || code == INTERACT_EXIT_POINTS || code == INTERACT_EXIT_UNEXPECTED_EOF;
}

/* The interactor's exit code when it judged the contestant, else -1. */
static int interactor_judgement(const nsj_result_t *i)
{
    if (i->verdict == NSJ_VERDICT_OK)
        return 0;
    if (i->verdict == NSJ_VERDICT_RUNTIME_ERROR && i->signal == 0 && judged_exit(i->exit_code))
        return i->exit_code;
    return -1;
}

static void set(interact_outcome_t *o, core_status_t st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set(interact_outcome_t *o, core_status_t st, const char *fmt, ...)
{
    o->status = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->evidence, sizeof o->evidence, fmt, ap);
    va_end(ap);
}

/* The contestant's own outcome (it ended on its own, or after an accept). */
static void contestant_verdict(const nsj_pair_result_t *pr, interact_outcome_t *o, const char *msg)
{
    const nsj_result_t *c = &pr->contestant;
    core_status_t st = judge_classify(c, true);
    if (st == CORE_STATUS_PASSED)
        set(o, st, "interactor: %s", msg[0] ? msg : "ok");
    else
        set(o, st, "%s", c->evidence);
}

void interact_decide(const nsj_pair_result_t *pr, interact_outcome_t *o)
{
    const nsj_result_t *c = &pr->contestant, *i = &pr->interactor;
    char msg[256];
    first_line(i, msg, sizeof msg);
    memset(o, 0, sizeof *o);

    /* 1. Either sandbox broke: the host's fault. */
    if (pr->rc_interactor < 0) {
        set(o, CORE_STATUS_INTERNAL_ERROR, "interactor's sandbox: %s", i->message);
        return;
    }
    if (pr->rc_contestant < 0) {
        set(o, CORE_STATUS_INTERNAL_ERROR, "%s", c->message);
        return;
    }
    bool contestant_first = pr->contestant_ran && !pr->interactor_first;
    bool contestant_ok = pr->contestant_ran && c->verdict == NSJ_VERDICT_OK;

    /* 2. The interactor wrote into a pipe the contestant had closed by
     * ending first: a consequence of the contestant's end, not a failure. */
    if (contestant_first && i->signal == SIGPIPE) {
        if (!contestant_ok)
            set(o, judge_classify(c, true), "%s", c->evidence);
        else
            set(o, CORE_STATUS_FAILED, "the program exited before the interactor had finished (interactor: SIGPIPE)");
        return;
    }

    /* 3. Anything but a testlib judgement is the interactor's failure. */
    int code = interactor_judgement(i);
    if (code < 0 || code == INTERACT_EXIT_FAIL) {
        o->interactor_failed = true;
        set(o, CORE_STATUS_INTERNAL_ERROR, "interactor failed: %s%s%s", i->evidence, msg[0] ? ": " : "", msg);
        return;
    }

    /* 4. The contestant ended first, badly: its own verdict, whatever the
     * interactor said after seeing its stdin end. */
    if (contestant_first && !contestant_ok) {
        set(o, judge_classify(c, true), "%s", c->evidence);
        return;
    }

    /* 5. The interactor's judgement: a rejection wins over whatever the
     * contestant did after it (SIGPIPE, being stopped); an accept still
     * needs the contestant to end well on its own. */
    if (code != INTERACT_EXIT_OK) {
        set(o, CORE_STATUS_FAILED, "interactor: exit code %d%s%s", code, msg[0] ? ": " : "", msg);
        return;
    }
    /* Accepted, then the contestant wrote into the pipe of an interactor
     * already gone: whether that write raced the interactor's end is not
     * the contestant's to control, and nobody reads it. */
    if (pr->interactor_first && c->signal == SIGPIPE) {
        set(o, CORE_STATUS_PASSED, "interactor: %s; the program's output after the exchange ended was discarded (SIGPIPE)",
            msg[0] ? msg : "ok");
        return;
    }
    contestant_verdict(pr, o, msg);
}
