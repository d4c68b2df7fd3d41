#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "common/util.h"

/* cgroup v1, for hybrid hosts. The files that tell the truth there:
 * memory.oom_control's oom_kill line (failcnt is unreliable), pids.events,
 * memory.max_usage_in_bytes for the peak, cpuacct.usage for CPU time.
 * Swap: memory.memsw.limit_in_bytes = memory.limit_in_bytes. */

int cgroup_v1_open(cgroup_backend_t *be, const char *const mounts[V1_NCTRL], const char *parent, nsj_error_t *err)
{
    be->version = 1;
    be->ops = &cgroup_v1_ops;
    be->v1_ndirs = 0;
    for (int i = 0; i < V1_NCTRL; i++) {
        /* Controllers mounted together ("cpu,cpuacct") share a directory. */
        int same = -1;
        for (int j = 0; j < i; j++)
            if (strcmp(mounts[i], mounts[j]) == 0)
                same = j;
        snprintf(be->v1_parent[i], PATH_MAX, "%s%s", mounts[i], parent);
        if (same >= 0) {
            be->v1_ctrl_dir[i] = be->v1_ctrl_dir[same];
            be->v1_parent_fd[i] = -1;
            continue;
        }
        be->v1_ctrl_dir[i] = be->v1_ndirs++;
        if (mkdir(be->v1_parent[i], 0755) < 0 && errno != EEXIST)
            return nsj_error_set(err, errno, "cgroup v1: mkdir %s", be->v1_parent[i]);
        be->v1_parent_fd[i] = open(be->v1_parent[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (be->v1_parent_fd[i] < 0)
            return nsj_error_set(err, errno, "cgroup v1: open %s", be->v1_parent[i]);
    }
    struct stat st;
    char memsw[PATH_MAX + 40];
    snprintf(memsw, sizeof memsw, "%s/memory.memsw.limit_in_bytes", be->v1_parent[V1_MEMORY]);
    be->v1_memsw = stat(memsw, &st) == 0;
    snprintf(memsw, sizeof memsw, "%s/memory.kmem.tcp.limit_in_bytes", be->v1_parent[V1_MEMORY]);
    be->v1_kmem_tcp = stat(memsw, &st) == 0;
    return 0;
}

/* The files every run writes or reads, held open (cgroup_open_files). */
enum { F_LIMIT, F_MEMSW, F_KMEM_TCP, F_MAX_USAGE, F_USAGE, F_OOM, F_PERIOD, F_QUOTA, F_CPUACCT, F_PIDS_MAX,
       F_PIDS_EVENTS, F_N };
static const cgroup_file_t v1_files[F_N] = {
    [F_LIMIT] = {V1_MEMORY, "memory.limit_in_bytes", O_WRONLY},
    [F_MEMSW] = {V1_MEMORY, "memory.memsw.limit_in_bytes", O_WRONLY},
    [F_KMEM_TCP] = {V1_MEMORY, "memory.kmem.tcp.limit_in_bytes", O_WRONLY},
    [F_MAX_USAGE] = {V1_MEMORY, "memory.max_usage_in_bytes", O_RDWR},
    [F_USAGE] = {V1_MEMORY, "memory.usage_in_bytes", O_RDONLY},
    [F_OOM] = {V1_MEMORY, "memory.oom_control", O_RDONLY},
    [F_PERIOD] = {V1_CPU, "cpu.cfs_period_us", O_WRONLY},
    [F_QUOTA] = {V1_CPU, "cpu.cfs_quota_us", O_WRONLY},
    [F_CPUACCT] = {V1_CPUACCT, "cpuacct.usage", O_RDWR},
    [F_PIDS_MAX] = {V1_PIDS, "pids.max", O_WRONLY},
    [F_PIDS_EVENTS] = {V1_PIDS, "pids.events", O_RDONLY},
};
_Static_assert(F_N <= CGROUP_MAX_FILES, "cgroup_run_t holds every v1 file");

static int fwrite_v(const cgroup_run_t *run, int f, const char *v, nsj_error_t *err)
{
    return cgroup_file_write(run, v1_files, f, v, err);
}

static void remove_dirs(cgroup_run_t *run)
{
    const cgroup_backend_t *be = run->be;
    for (int i = 0; i < V1_NCTRL; i++) {
        if (be->v1_parent_fd[i] < 0)
            continue;
        int d = be->v1_ctrl_dir[i];
        if (run->dirfd[d] >= 0) {
            close(run->dirfd[d]);
            run->dirfd[d] = -1;
            unlinkat(be->v1_parent_fd[i], run->name, AT_REMOVEDIR);
        }
    }
    run->ndirs = 0;
}

static int v1_limits(const cgroup_run_t *run, const nsj_limits_t *l, nsj_error_t *err);

static int v1_create(const cgroup_backend_t *be, const nsj_limits_t *l, cgroup_run_t *run, nsj_error_t *err)
{
    for (int i = 0; i < V1_NCTRL; i++) {
        if (be->v1_parent_fd[i] < 0)
            continue;
        if (cgroup_mkdir_run(be->v1_parent_fd[i], be->v1_parent[i], run->name, err) < 0)
            goto fail;
        int d = be->v1_ctrl_dir[i];
        run->dirfd[d] = openat(be->v1_parent_fd[i], run->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (run->dirfd[d] < 0) {
            nsj_error_set(err, errno, "cgroup v1: open %s/%s", be->v1_parent[i], run->name);
            unlinkat(be->v1_parent_fd[i], run->name, AT_REMOVEDIR);
            goto fail;
        }
        run->ndirs = be->v1_ndirs;
    }
    uint32_t skip = (be->v1_memsw ? 0 : 1u << F_MEMSW) | (be->v1_kmem_tcp ? 0 : 1u << F_KMEM_TCP);
    if (cgroup_open_files(run, v1_files, F_N, be->v1_ctrl_dir, skip, 0, err) < 0 || v1_limits(run, l, err) < 0)
        goto fail;
    /* Opened here, written by the child (see cgroup_join_self). */
    for (int d = 0; d < run->ndirs; d++) {
        run->joinfd[d] = openat(run->dirfd[d], "tasks", O_WRONLY | O_CLOEXEC);
        if (run->joinfd[d] < 0) {
            nsj_error_set(err, errno, "open tasks");
            goto fail;
        }
        run->njoin = d + 1;
    }
    return 0;
fail:
    nsj_error_wrap(err, "cgroup v1 %s", run->name);
    cgroup_close_join(run);
    cgroup_close_files(run);
    remove_dirs(run);
    return -1;
}

static int v1_limits(const cgroup_run_t *run, const nsj_limits_t *l, nsj_error_t *err)
{
    const cgroup_backend_t *be = run->be;
    char v[64];
    /* A recycled cgroup still holds base_usage of cache: the run gets its
     * whole limit beside it. */
    snprintf(v, sizeof v, "%llu", (unsigned long long)(l->memory_bytes + run->base_usage));
    /* memsw may never be below the limit: lowering, the limit goes first;
     * raising (a warm run's new limits), memsw does. */
    if (fwrite_v(run, F_LIMIT, v, err) < 0) {
        if (err->errnum != EINVAL || !be->v1_memsw || fwrite_v(run, F_MEMSW, v, err) < 0 ||
            fwrite_v(run, F_LIMIT, v, err) < 0)
            return -1;
    }
    if (be->v1_memsw && fwrite_v(run, F_MEMSW, v, err) < 0)
        return -1;
    /* v1 charges socket buffers to a counter of their own, unlimited unless
     * set: without it a run parks hundreds of MiB in loopback TCP buffers
     * past its limit (v2 charges them to memory.current). */
    if (be->v1_kmem_tcp && fwrite_v(run, F_KMEM_TCP, v, err) < 0)
        return -1;
    if (fwrite_v(run, F_PERIOD, "100000", err) < 0)
        return -1;
    if (l->cpu_millis)
        snprintf(v, sizeof v, "%u", l->cpu_millis * 100);
    else
        snprintf(v, sizeof v, "-1");
    if (fwrite_v(run, F_QUOTA, v, err) < 0)
        return -1;
    snprintf(v, sizeof v, "%u", l->pids);
    return fwrite_v(run, F_PIDS_MAX, v, err);
}

static int v1_attach(const cgroup_run_t *run, pid_t pid, nsj_error_t *err)
{
    char v[32];
    snprintf(v, sizeof v, "%d", (int)pid);
    for (int d = 0; d < run->ndirs; d++)
        if (util_write_file_at(run->dirfd[d], "cgroup.procs", v, err) < 0)
            return nsj_error_wrap(err, "cgroup v1: attach");
    return 0;
}

static int v1_cpu_ns(const cgroup_run_t *run, uint64_t *ns)
{
    return cgroup_file_u64(run, F_CPUACCT, ns);
}

static int v1_evidence(const cgroup_run_t *run, cgroup_evidence_t *ev, nsj_error_t *err)
{
    char buf[1024];
    if (v1_cpu_ns(run, &ev->cpu_ns) < 0)
        return nsj_error_set(err, errno, "cgroup v1: read cpuacct.usage");
    if (cgroup_file_read(run, F_OOM, buf, sizeof buf) < 0 || util_kv_u64(buf, "oom_kill", &ev->oom_kills) < 0)
        return nsj_error_set(err, errno ? errno : ENOTSUP, "cgroup v1: read memory.oom_control oom_kill");
    if (cgroup_file_read(run, F_PIDS_EVENTS, buf, sizeof buf) < 0 || util_kv_u64(buf, "max", &ev->pids_max_hits) < 0)
        return nsj_error_set(err, errno, "cgroup v1: read pids.events");
    if (cgroup_file_read(run, F_MAX_USAGE, buf, sizeof buf) > 0)
        ev->peak_bytes = strtoull(buf, NULL, 10);
    /* A recycled cgroup: only what this run added. */
    ev->peak_bytes = ev->peak_bytes > run->base_usage ? ev->peak_bytes - run->base_usage : 0;
    ev->oom_kills = ev->oom_kills > run->base_oom ? ev->oom_kills - run->base_oom : 0;
    ev->pids_max_hits = ev->pids_max_hits > run->base_pids ? ev->pids_max_hits - run->base_pids : 0;
    return 0;
}

/* Kill what cgroup.procs lists; returns how many were listed. */
static int kill_listed(int dirfd)
{
    char buf[8192];
    int n = 0;
    if (util_read_file_at(dirfd, "cgroup.procs", buf, sizeof buf) <= 0)
        return 0;
    for (char *p = buf; *p;) {
        char *end;
        long pid = strtol(p, &end, 10);
        if (end == p)
            break;
        if (pid > 0) {
            kill((pid_t)pid, SIGKILL);
            n++;
        }
        p = end;
        while (*p == '\n')
            p++;
    }
    return n;
}

/* Kill what is left in every hierarchy until none lists a task. */
static int v1_empty(const cgroup_run_t *run, nsj_error_t *err)
{
    /* The sandbox's pid namespace is gone by now, which took every task
     * with it; this loop is the second lock, bounded at 5 s. v1 has no
     * cgroup.kill, and a fork bomb can outrun one pass, hence the loop. */
    uint64_t deadline = util_now_ns() + 5000000000ULL;
    for (;;) {
        int n = 0;
        for (int d = 0; d < run->ndirs; d++)
            n += kill_listed(run->dirfd[d]);
        if (n == 0)
            return 0;
        if (util_now_ns() >= deadline)
            return nsj_error_set(err, EBUSY, "cgroup v1: %s still has tasks after kill", run->name);
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

/* Kept only while little stays charged: what a finished run leaves in its
 * memory cgroup is page cache and slab (dentries, inodes) it brought in,
 * reclaimable; its tmpfs went with its mount namespace. */
static int v1_recycle(cgroup_run_t *run, nsj_error_t *err)
{
    if (v1_empty(run, err) < 0)
        return -1;
    uint64_t usage;
    if (cgroup_file_u64(run, F_USAGE, &usage) < 0 || usage > CGROUP_RECYCLE_MAX)
        return 0;
    return 1;
}

/* Reset what v1 lets us reset (the peak, to what is charged now; the CPU
 * time, to 0) and note the rest: the bytes still charged (taken off the
 * peak, added to the limit), the OOM kills and pids.max refusals so far.
 * The CPU quota is written anew by v1_limits, which also ends any
 * throttling left from the last run. */
static int v1_reuse(cgroup_run_t *run, const nsj_limits_t *l, nsj_error_t *err)
{
    char buf[1024];
    if (fwrite_v(run, F_MAX_USAGE, "0", err) < 0 || fwrite_v(run, F_CPUACCT, "0", err) < 0)
        return nsj_error_wrap(err, "cgroup v1 %s: reset", run->name);
    if (cgroup_file_u64(run, F_USAGE, &run->base_usage) < 0 || cgroup_file_read(run, F_OOM, buf, sizeof buf) < 0 ||
        util_kv_u64(buf, "oom_kill", &run->base_oom) < 0 || cgroup_file_read(run, F_PIDS_EVENTS, buf, sizeof buf) < 0 ||
        util_kv_u64(buf, "max", &run->base_pids) < 0)
        return nsj_error_set(err, errno ? errno : EIO, "cgroup v1 %s: read its counters", run->name);
    if (v1_limits(run, l, err) < 0)
        return -1;
    for (int d = 0; d < run->ndirs; d++) {
        run->joinfd[d] = openat(run->dirfd[d], "tasks", O_WRONLY | O_CLOEXEC);
        if (run->joinfd[d] < 0)
            return nsj_error_set(err, errno, "cgroup v1 %s: open tasks", run->name);
        run->njoin = d + 1;
    }
    return 0;
}

static int v1_destroy(cgroup_run_t *run, nsj_error_t *err)
{
    const cgroup_backend_t *be = run->be;
    if (v1_empty(run, err) < 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < V1_NCTRL; i++) {
        if (be->v1_parent_fd[i] < 0)
            continue;
        int d = be->v1_ctrl_dir[i];
        close(run->dirfd[d]);
        run->dirfd[d] = -1;
        nsj_error_t e;
        if (cgroup_rmdir_run(be->v1_parent_fd[i], be->v1_parent[i], run->name, &e) < 0 && rc == 0) {
            *err = e;
            rc = -1;
        }
    }
    return rc;
}

const cgroup_ops_t cgroup_v1_ops = {
    .create = v1_create,
    .set_limits = v1_limits,
    .attach = v1_attach,
    .cpu_ns = v1_cpu_ns,
    .evidence = v1_evidence,
    .destroy = v1_destroy,
    .recycle = v1_recycle,
    .reuse = v1_reuse,
};
