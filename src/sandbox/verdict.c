#define _GNU_SOURCE
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "internal.h"

static const char *const verdict_names[] = {
    [NSJ_VERDICT_OK] = "ok",
    [NSJ_VERDICT_RUNTIME_ERROR] = "runtime_error",
    [NSJ_VERDICT_TIME_LIMIT] = "time_limit",
    [NSJ_VERDICT_MEMORY_LIMIT] = "memory_limit",
    [NSJ_VERDICT_OUTPUT_LIMIT] = "output_limit",
    [NSJ_VERDICT_SYSCALL_BLOCKED] = "syscall_blocked",
    [NSJ_VERDICT_INTERNAL_ERROR] = "internal_error",
};

const char *nsj_verdict_name(nsj_verdict_t v)
{
    if ((unsigned)v >= sizeof verdict_names / sizeof verdict_names[0])
        return "internal_error";
    return verdict_names[v];
}

int nsj_verdict_from_name(const char *name, nsj_verdict_t *out)
{
    for (unsigned i = 0; i < sizeof verdict_names / sizeof verdict_names[0]; i++)
        if (strcmp(verdict_names[i], name) == 0) {
            *out = (nsj_verdict_t)i;
            return 0;
        }
    return -1;
}

void nsj_result_init(nsj_result_t *r)
{
    memset(r, 0, sizeof *r);
    r->exit_code = -1;
}

void nsj_result_free(nsj_result_t *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
    r->out_len = r->err_len = 0;
}

void verdict_add_evidence(nsj_result_t *res, const char *fmt, ...)
{
    size_t len = strlen(res->evidence);
    if (len + 3 >= sizeof res->evidence)
        return;
    if (len) {
        memcpy(res->evidence + len, "; ", 3);
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->evidence + len, sizeof res->evidence - len, fmt, ap);
    va_end(ap);
}

static const char *signame(int sig)
{
    const char *abbrev = sigabbrev_np(sig);
    return abbrev ? abbrev : "?";
}

/* Precedence, strongest first: the sandbox broke; a killed syscall; the
 * kernel's OOM kill; an output overflow; a time limit (our timer, or the
 * cgroup's CPU time at or over the limit: evidence, never the program's
 * word: a SIGXCPU it sent itself is a runtime error); then the program's
 * own status. */
void verdict_decide(const run_facts_t *f, nsj_result_t *res)
{
    res->evidence[0] = '\0';
    res->time_kind = NSJ_TIME_NONE;
    res->exit_code = -1;
    res->signal = 0;
    if (f->have_status) {
        if (WIFEXITED(f->status))
            res->exit_code = WEXITSTATUS(f->status);
        else if (WIFSIGNALED(f->status))
            res->signal = WTERMSIG(f->status);
    } else if (f->killed != KILL_NONE || f->cg.oom_kills) {
        /* We (or the OOM killer) took the whole sandbox down with SIGKILL. */
        res->signal = SIGKILL;
    }
    uint64_t cpu_ms = f->cg.cpu_ns / 1000000;
    /* A status from init means the program had ended before any kill of
     * ours took effect (init reports it, then exits; init killed reports
     * nothing): a wall timer, idle timer or cancel that fired after it,
     * on a busy host, did not end it. Its measured wall time still counts. */
    kill_reason_t killed = f->killed;
    if (f->have_status && (killed == KILL_WALL || killed == KILL_IDLE || killed == KILL_CANCEL))
        killed = KILL_NONE;

    if (f->internal_error) {
        res->verdict = NSJ_VERDICT_INTERNAL_ERROR;
    } else if (killed == KILL_SECCOMP) {
        res->verdict = NSJ_VERDICT_SYSCALL_BLOCKED;
        verdict_add_evidence(res, "seccomp kill syscall=%s", f->blocked_syscall ? f->blocked_syscall : "?");
    } else if (f->cg.oom_kills) {
        res->verdict = NSJ_VERDICT_MEMORY_LIMIT;
        verdict_add_evidence(res, "oom_kill=%llu", (unsigned long long)f->cg.oom_kills);
    } else if (killed == KILL_OUTPUT) {
        res->verdict = NSJ_VERDICT_OUTPUT_LIMIT;
        verdict_add_evidence(res, "%s over %llu bytes", f->out_over ? "stdout" : "stderr", (unsigned long long)f->output_limit);
    } else if (killed == KILL_CPU || (f->cpu_limit_ms && cpu_ms >= f->cpu_limit_ms && killed != KILL_WALL)) {
        res->verdict = NSJ_VERDICT_TIME_LIMIT;
        res->time_kind = NSJ_TIME_CPU;
        if (res->signal == SIGXCPU && killed != KILL_CPU)
            verdict_add_evidence(res, "cpu time %llu ms > %llu ms (SIGXCPU)", (unsigned long long)cpu_ms,
                (unsigned long long)f->cpu_limit_ms);
        else
            verdict_add_evidence(res, "cpu time %llu ms > %llu ms", (unsigned long long)cpu_ms, (unsigned long long)f->cpu_limit_ms);
    } else if (killed == KILL_WALL || (f->wall_limit_ms && f->wall_ms > f->wall_limit_ms)) {
        res->verdict = NSJ_VERDICT_TIME_LIMIT;
        res->time_kind = NSJ_TIME_WALL;
        verdict_add_evidence(res, "wall timer %llu ms", (unsigned long long)f->wall_limit_ms);
    } else if (killed == KILL_CANCEL || killed == KILL_IDLE) {
        res->verdict = NSJ_VERDICT_RUNTIME_ERROR;
        verdict_add_evidence(res, killed == KILL_CANCEL ? "cancelled" : "idle timeout");
    } else if (!f->have_status) {
        /* init died without reporting the program's status. */
        res->verdict = NSJ_VERDICT_INTERNAL_ERROR;
    } else if (res->signal) {
        res->verdict = NSJ_VERDICT_RUNTIME_ERROR;
        verdict_add_evidence(res, "signal %s (%d)", signame(res->signal), res->signal);
    } else if (res->exit_code != 0) {
        res->verdict = NSJ_VERDICT_RUNTIME_ERROR;
        verdict_add_evidence(res, "exit code %d", res->exit_code);
    } else {
        res->verdict = NSJ_VERDICT_OK;
        verdict_add_evidence(res, "exit code 0");
    }
    /* A runtime that thrashes in its garbage collector at the memory limit
     * until a timer fires: say so, it is what the user must fix. */
    if (res->verdict == NSJ_VERDICT_TIME_LIMIT && f->memory_limit && f->cg.peak_bytes >= f->memory_limit / 10 * 9)
        verdict_add_evidence(res, "memory at the limit (peak %llu of %llu MiB)",
                             (unsigned long long)(f->cg.peak_bytes >> 20), (unsigned long long)(f->memory_limit >> 20));
    if (f->cg.pids_max_hits)
        verdict_add_evidence(res, "pids.events max=%llu", (unsigned long long)f->cg.pids_max_hits);
    if (f->cg.oom_kills && res->verdict != NSJ_VERDICT_MEMORY_LIMIT)
        verdict_add_evidence(res, "oom_kill=%llu", (unsigned long long)f->cg.oom_kills);
}
