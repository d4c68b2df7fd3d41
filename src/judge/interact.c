/* Interactive verdicts. The order of the rules is the point; README.md
 * ("Interactive problems") gives each one's reason. */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "judge/checker.h"
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
    o->fraction = st == CORE_STATUS_PASSED;
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
    snprintf(o->message, sizeof o->message, "%s", msg);

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

    /* 2. The contestant ended first, badly (a crash, a limit): its own
     * verdict, if the interactor then ended on its own (an exit code, a
     * signal): it was waiting on the exchange, and whatever it did on
     * seeing its stdin end or its stdout broken (testlib says "unexpected
     * EOF"; a clumsier one fails or crashes) is a consequence. An
     * interactor stopped by a limit of its own was not waiting (rule 4). */
    bool interactor_limit = i->verdict == NSJ_VERDICT_TIME_LIMIT || i->verdict == NSJ_VERDICT_MEMORY_LIMIT ||
                            i->verdict == NSJ_VERDICT_OUTPUT_LIMIT || i->verdict == NSJ_VERDICT_SYSCALL_BLOCKED;
    if (contestant_first && !contestant_ok && !interactor_limit) {
        set(o, judge_classify(c, true), "%s", c->evidence);
        return;
    }

    /* 3. The contestant exited 0 first and the interactor then wrote into
     * the pipe it had left: the contestant left before the end. */
    if (contestant_first && contestant_ok && i->signal == SIGPIPE) {
        set(o, CORE_STATUS_FAILED, "the program exited before the interactor had finished (interactor: SIGPIPE)");
        return;
    }

    /* 4. Anything but a testlib judgement is the interactor's failure. */
    int code = interactor_judgement(i);
    if (code < 0 || code == INTERACT_EXIT_FAIL) {
        o->interactor_failed = true;
        set(o, CORE_STATUS_INTERNAL_ERROR, "interactor failed: %s%s%s", i->evidence, msg[0] ? ": " : "", msg);
        return;
    }

    /* 5. The interactor's judgement: a rejection wins over whatever the
     * contestant did after it (SIGPIPE, being stopped); an accept still
     * needs the contestant to end well on its own. */
    if (code == INTERACT_EXIT_POINTS) {
        /* testlib's quitp(): read as for a checker ("points X" first). */
        static const core_checker_t as_custom = {.type = CORE_CHECKER_CUSTOM};
        judge_check_t chk;
        judge_checker_verdict(&as_custom, i, &chk);
        if (chk.outcome == JUDGE_CHECK_FAILED) {
            o->interactor_failed = true;
            set(o, CORE_STATUS_INTERNAL_ERROR, "interactor failed: %s", chk.message);
            return;
        }
        if (chk.outcome != JUDGE_CHECK_ACCEPTED) {
            o->fraction = chk.fraction;
            set(o, CORE_STATUS_FAILED, "interactor: %s", chk.message);
            return;
        }
        code = INTERACT_EXIT_OK;
    }
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
        o->fraction = 1;
        return;
    }
    contestant_verdict(pr, o, msg);
}

/* ---- running one test ---- */

/* A test file (an fd from open_data) whole in memory, bounded. */
static int read_data(int fd, char **data, size_t *len, nsj_error_t *err)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return util_read_whole_file(path, INTERACT_DATA_MAX, data, len, err);
}

static bool fd_readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return fd >= 0 && poll(&p, 1, 0) > 0;
}

void interact_pair_specs(judge_build_t *build, const nsj_limits_t *limits, judge_build_t *interactor, const char *in,
                         size_t in_len, const char *ans, size_t ans_len, nsj_file_t *files, const char **argv,
                         nsj_pair_spec_t *ps)
{
    memset(ps, 0, sizeof *ps);
    nsj_run_spec_init(&ps->contestant);
    nsj_run_spec_init(&ps->interactor);
    judge_build_run_spec(build, limits, &ps->contestant);
    nsj_limits_t base;
    nsj_limits_default(&base);
    base.cpu_ms = INTERACT_CPU_MS;
    base.wall_ms = ps->contestant.limits.wall_ms + INTERACT_WALL_EXTRA_MS;
    base.memory_bytes = INTERACT_MEMORY;
    base.output_bytes = INTERACT_OUTPUT;
    nsj_run_spec_t *is = &ps->interactor;
    judge_build_run_spec(interactor, &base, is);
    /* Leading dots: a helper file's name never starts with one. */
    size_t n = is->nfiles;
    memcpy(files, is->files, n * sizeof *files);
    files[n++] = (nsj_file_t){.name = ".input", .data = in, .len = in_len, .mode = 0444};
    files[n++] = (nsj_file_t){.name = ".answer", .data = ans, .len = ans_len, .mode = 0444};
    is->files = files;
    is->nfiles = n;
    size_t argc = 0;
    for (; is->argv[argc] && argc < LANG_MAX_ARGS; argc++)
        argv[argc] = is->argv[argc];
    argv[argc++] = "/code/.input";
    argv[argc++] = "/tmp/.output";
    argv[argc++] = "/code/.answer";
    argv[argc] = NULL;
    is->argv = argv;
}

void interact_run_test(nsj_sandbox_t *sb, const judge_submission_t *sub, judge_build_t *build, size_t i,
                       core_report_t *rep)
{
    const core_test_t *tc = &sub->job->tests[i];
    core_test_result_t *t = &rep->tests[i];
    snprintf(t->test_id, sizeof t->test_id, "%s", tc->id);
    t->ordinal = (int)i;
    t->exit_code = -1;
    judge_test_group(&sub->job->judging, i, t->group, sizeof t->group);
    cleanup_free char *in = NULL, *ans = NULL;
    size_t in_len = 0, ans_len = 0;
    nsj_error_t err;
    int in_fd = sub->open_data(sub->ud, &tc->input, &err), ans_fd = -1;
    bool data_ok = in_fd >= 0 && read_data(in_fd, &in, &in_len, &err) == 0 &&
                   (ans_fd = sub->open_data(sub->ud, &tc->answer, &err)) >= 0 &&
                   read_data(ans_fd, &ans, &ans_len, &err) == 0;
    if (in_fd >= 0)
        close(in_fd);
    if (ans_fd >= 0)
        close(ans_fd);

    nsj_pair_result_t pr;
    interact_outcome_t o = {.status = CORE_STATUS_INTERNAL_ERROR};
    memset(&pr, 0, sizeof pr);
    nsj_result_init(&pr.contestant);
    nsj_result_init(&pr.interactor);
    if (!data_ok) {
        snprintf(o.evidence, sizeof o.evidence, "test data for the interactor: %.450s", err.msg);
    } else {
        nsj_file_t files[1 + JUDGE_BUILD_FILES_MAX + 2];
        const char *argv[LANG_MAX_ARGS + 4];
        nsj_pair_spec_t ps;
        interact_pair_specs(build, &sub->limits, sub->interactor, in, in_len, ans, ans_len, files, argv, &ps);
        ps.interactor.cancel_fd = sub->cancel_fd;
        /* Asked to keep output: the exchange, bounded by the output limit. */
        ps.transcript_max = sub->job->keep_output ? ps.contestant.limits.output_bytes : 0;
        core_limits_from_sandbox(&ps.contestant.limits, &t->limits);
        int rc = nsj_run_pair(sb, &ps, &pr);
        if (fd_readable(sub->cancel_fd)) {
            /* Shutdown: the interactor was cancelled, the program stopped. */
            rep->cancelled = true;
            nsj_pair_result_free(&pr);
            return;
        }
        if (rc == 0 && pr.contestant_ran)
            judge_build_runtime_oom(build, &pr.contestant);
        interact_decide(&pr, &o);
    }
    const nsj_result_t *c = &pr.contestant;
    t->status = o.status;
    t->passed = t->status == CORE_STATUS_PASSED;
    t->fraction = t->passed ? 1 : t->status == CORE_STATUS_FAILED ? o.fraction : 0;
    snprintf(t->checker_message, sizeof t->checker_message, "%s", o.message);
    snprintf(t->evidence, sizeof t->evidence, "%s", o.evidence);
    /* The program's stdout went to the interactor: what is shown (and,
     * with keep_output, kept) is the transcript if one was asked for. */
    t->out = judge_display_text(pr.transcript, pr.transcript_len, sub->preview_max);
    t->err = judge_display_text(c->err, c->err_len, sub->preview_max);
    t->wall_ms = c->wall_ms;
    t->cpu_ms = c->cpu_ms;
    t->memory_kb = c->memory_kb;
    t->exit_code = c->exit_code;
    t->signal = c->signal;
    if (pr.transcript && sub->keep_stdout &&
        sub->keep_stdout(sub->ud, pr.transcript, pr.transcript_len, &t->stdout_blob, &err) < 0) {
        t->status = CORE_STATUS_INTERNAL_ERROR;
        t->passed = false;
        snprintf(t->evidence, sizeof t->evidence, "keeping the transcript: %.480s", err.msg);
    }
    nsj_pair_result_free(&pr);
    judge_end_test(sub, rep, i, t);
}
