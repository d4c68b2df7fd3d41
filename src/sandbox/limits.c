#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"
#include "internal.h"

const char *const nsj_default_env[] = {
    "PATH=/usr/local/bin:/usr/bin:/bin",
    "HOME=/tmp",
    "LANG=C.UTF-8",
    NULL,
};

void nsj_limits_default(nsj_limits_t *l)
{
    l->memory_bytes = 256ULL << 20;
    l->cpu_ms = 5000;
    l->wall_ms = 10000;
    l->pids = 32;
    l->cpu_millis = 500;
    l->output_bytes = 1ULL << 20;
    l->tmp_bytes = 64ULL << 20;
    l->fsize_bytes = 64ULL << 20;
    l->nofile = 256;
    l->stack_bytes = 64ULL << 20;
}

int nsj_limits_validate(const nsj_limits_t *l, nsj_error_t *err)
{
    if (l->memory_bytes < (4ULL << 20) || l->memory_bytes > (1ULL << 40))
        return nsj_error_set(err, EINVAL, "memory limit must be between 4m and 1024g");
    if (l->cpu_ms < 1 || l->cpu_ms > 24ULL * 3600 * 1000)
        return nsj_error_set(err, EINVAL, "CPU time limit must be between 0.001 s and 24 h");
    if (l->wall_ms < 1 || l->wall_ms > 24ULL * 3600 * 1000)
        return nsj_error_set(err, EINVAL, "wall time limit must be between 0.001 s and 24 h");
    /* init + the program: fewer than 2 tasks cannot run anything. */
    if (l->pids < 2 || l->pids > 1000000)
        return nsj_error_set(err, EINVAL, "pids limit must be between 2 and 1000000");
    if (l->cpu_millis != 0 && (l->cpu_millis < 10 || l->cpu_millis > 1024000))
        return nsj_error_set(err, EINVAL, "CPU bandwidth must be between 0.01 and 1024 cores (0 = unlimited)");
    if (l->output_bytes < 1 || l->output_bytes > (1ULL << 30))
        return nsj_error_set(err, EINVAL, "output limit must be between 1 byte and 1g");
    if (l->tmp_bytes < 4096 || l->tmp_bytes > (64ULL << 30))
        return nsj_error_set(err, EINVAL, "/tmp size must be between 4k and 64g");
    if (l->nofile < 16 || l->nofile > 1048576)
        return nsj_error_set(err, EINVAL, "open-file limit must be between 16 and 1048576");
    if (l->stack_bytes < (64ULL << 10))
        return nsj_error_set(err, EINVAL, "stack limit must be at least 64k");
    return 0;
}

void limits_plan(const nsj_limits_t *l, rlimit_plan_t *p)
{
    p->n = 0;
#define ADD(res, v) (p->resource[p->n] = (res), p->value[p->n] = (v), p->n++)
    ADD(RLIMIT_CORE, 0);
    ADD(RLIMIT_FSIZE, l->fsize_bytes);
    ADD(RLIMIT_NOFILE, l->nofile);
    ADD(RLIMIT_STACK, l->stack_bytes);
    /* Backstop for one process spinning; the supervisor measures the whole
     * cgroup and normally ends the run first. Rounded up to whole seconds. */
    ADD(RLIMIT_CPU, (l->cpu_ms + 999) / 1000 + 1);
    ADD(RLIMIT_MSGQUEUE, 0);
    /* Queued signals are counted per user (and up to the user namespace's
     * owner, the slot's id): a handful is all a runtime needs. */
    ADD(RLIMIT_SIGPENDING, 128);
    ADD(RLIMIT_MEMLOCK, 64ULL << 10);
#undef ADD
}

int limits_apply(const rlimit_plan_t *p, child_err_t *ce)
{
    for (int i = 0; i < p->n; i++) {
        struct rlimit rl = {.rlim_cur = p->value[i], .rlim_max = p->value[i]};
        if (syscall(SYS_prlimit64, 0, p->resource[i], &rl, NULL) < 0)
            return child_fail(ce, errno, "setrlimit", "rlimit");
    }
    return 0;
}
