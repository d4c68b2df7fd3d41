#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "common/util.h"

static const char *const wanted[] = {"memory", "cpu", "pids"};

/* Enable memory, cpu and pids for the children of dir (only those missing). */
static int enable_controllers(const char *dir, nsj_error_t *err)
{
    cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return nsj_error_set(err, errno, "cgroup v2: open %s", dir);
    char cur[512];
    if (util_read_file_at(fd, "cgroup.subtree_control", cur, sizeof cur) < 0)
        return nsj_error_set(err, errno, "cgroup v2: read %s/cgroup.subtree_control", dir);
    for (size_t i = 0; i < ARRAY_SIZE(wanted); i++) {
        char padded[520];
        snprintf(padded, sizeof padded, " %s", cur);
        char *nl = strchr(padded, '\n');
        if (nl)
            *nl = ' ';
        else
            strcat(padded, " ");
        char needle[16];
        snprintf(needle, sizeof needle, " %s ", wanted[i]);
        if (strstr(padded, needle))
            continue;
        char cmd[16];
        snprintf(cmd, sizeof cmd, "+%s", wanted[i]);
        if (util_write_file_at(fd, "cgroup.subtree_control", cmd, err) < 0)
            return nsj_error_wrap(err, "cgroup v2: enable %s in %s (is the subtree delegated?)", wanted[i], dir);
    }
    return 0;
}

static int own_cgroup(char *out, size_t cap, nsj_error_t *err)
{
    char buf[4096];
    if (util_read_file_at(AT_FDCWD, "/proc/self/cgroup", buf, sizeof buf) < 0)
        return nsj_error_set(err, errno, "cgroup v2: read /proc/self/cgroup");
    for (char *line = buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strncmp(line, "0::", 3) == 0) {
            snprintf(out, cap, "%s", line + 3);
            return 0;
        }
        line = nl ? nl + 1 : NULL;
    }
    return nsj_error_set(err, ENOENT, "cgroup v2: no '0::' line in /proc/self/cgroup");
}

static int kernel_at_least(int major, int minor)
{
    struct utsname u;
    int ma = 0, mi = 0;
    if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
        return 0;
    return ma > major || (ma == major && mi >= minor);
}

int cgroup_v2_open(cgroup_backend_t *be, const char *mount, const char *parent, nsj_error_t *err)
{
    be->version = 2;
    be->ops = &cgroup_v2_ops;
    be->v2_have_clone_into = kernel_at_least(5, 7);
    if (strcmp(parent, "self") == 0) {
        /* systemd Delegate=yes: our unit's cgroup is ours, but v2 allows no
         * processes in a cgroup whose controllers are enabled for children,
         * so we move into a "supervisor" leaf first. */
        char own[PATH_MAX];
        if (own_cgroup(own, sizeof own, err) < 0)
            return -1;
        if (strcmp(own, "/") == 0)
            own[0] = '\0';
        snprintf(be->v2_parent, sizeof be->v2_parent, "%s%s", mount, own);
        if (own[0]) {
            char sup[PATH_MAX + 16];
            snprintf(sup, sizeof sup, "%s/supervisor", be->v2_parent);
            if (mkdir(sup, 0755) < 0 && errno != EEXIST)
                return nsj_error_set(err, errno, "cgroup v2: mkdir %s", sup);
            cleanup_close int sfd = open(sup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (sfd < 0 || util_write_file_at(sfd, "cgroup.procs", "0", err) < 0)
                return nsj_error_wrap(err, "cgroup v2: move self into %s", sup);
        }
    } else {
        snprintf(be->v2_parent, sizeof be->v2_parent, "%s%s", mount, parent);
        char up[PATH_MAX];
        snprintf(up, sizeof up, "%s", be->v2_parent);
        char *slash = strrchr(up, '/');
        if (slash && slash != up)
            *slash = '\0';
        if (enable_controllers(up, err) < 0)
            return -1;
        if (mkdir(be->v2_parent, 0755) < 0 && errno != EEXIST)
            return nsj_error_set(err, errno, "cgroup v2: mkdir %s", be->v2_parent);
    }
    if (enable_controllers(be->v2_parent, err) < 0)
        return -1;
    be->v2_parent_fd = open(be->v2_parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (be->v2_parent_fd < 0)
        return nsj_error_set(err, errno, "cgroup v2: open %s", be->v2_parent);
    return 0;
}

/* The files every run writes or reads, held open (cgroup_open_files). */
enum { F_MAX, F_SWAP_MAX, F_CPU_MAX, F_PIDS_MAX, F_CURRENT, F_CPU_STAT, F_MEM_EVENTS, F_PIDS_EVENTS, F_EVENTS, F_KILL,
       F_PEAK, F_N };
static const cgroup_file_t v2_files[F_N] = {
    [F_MAX] = {0, "memory.max", O_WRONLY},
    [F_SWAP_MAX] = {0, "memory.swap.max", O_WRONLY},   /* absent without swap accounting */
    [F_CPU_MAX] = {0, "cpu.max", O_WRONLY},
    [F_PIDS_MAX] = {0, "pids.max", O_WRONLY},
    [F_CURRENT] = {0, "memory.current", O_RDONLY},
    [F_CPU_STAT] = {0, "cpu.stat", O_RDONLY},
    [F_MEM_EVENTS] = {0, "memory.events", O_RDONLY},
    [F_PIDS_EVENTS] = {0, "pids.events", O_RDONLY},
    [F_EVENTS] = {0, "cgroup.events", O_RDONLY},
    [F_KILL] = {0, "cgroup.kill", O_WRONLY},           /* from Linux 5.14 */
    /* From Linux 5.19. Read-write where the kernel lets root,
     * so that a reset can go through it later (v2_recycle): a write resets
     * the peak that reads through the same fd see; the evidence reads it
     * there. Where writing is refused (EACCES), it is opened read-only. */
    [F_PEAK] = {0, "memory.peak", O_RDWR, 1},
};
_Static_assert(F_N <= CGROUP_MAX_FILES, "cgroup_run_t holds every v2 file");
static const int v2_dir[1] = {0};

static int v2_limits(const cgroup_run_t *run, const nsj_limits_t *l, nsj_error_t *err);

static int v2_create(const cgroup_backend_t *be, const nsj_limits_t *l, cgroup_run_t *run, nsj_error_t *err)
{
    if (cgroup_mkdir_run(be->v2_parent_fd, be->v2_parent, run->name, err) < 0)
        return -1;
    run->dirfd[0] = openat(be->v2_parent_fd, run->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (run->dirfd[0] < 0) {
        nsj_error_set(err, errno, "cgroup v2: open %s/%s", be->v2_parent, run->name);
        unlinkat(be->v2_parent_fd, run->name, AT_REMOVEDIR);
        return -1;
    }
    run->ndirs = 1;
    if (cgroup_open_files(run, v2_files, F_N, v2_dir, 0, 1u << F_SWAP_MAX | 1u << F_KILL | 1u << F_PEAK, err) < 0 ||
        v2_limits(run, l, err) < 0) {
        nsj_error_wrap(err, "cgroup v2 %s", run->name);
        cgroup_close_files(run);
        close(run->dirfd[0]);
        run->dirfd[0] = -1;
        run->ndirs = 0;
        unlinkat(be->v2_parent_fd, run->name, AT_REMOVEDIR);
        return -1;
    }
    return 0;
}

static int v2_limits(const cgroup_run_t *run, const nsj_limits_t *l, nsj_error_t *err)
{
    char v[64];
    /* A recycled cgroup still holds base_usage of cache: the run gets its
     * whole limit beside it. */
    snprintf(v, sizeof v, "%llu", (unsigned long long)(l->memory_bytes + run->base_usage));
    if (cgroup_file_write(run, v2_files, F_MAX, v, err) < 0)
        return -1;
    /* No swap: a judge's memory limit is a hard limit. (Absent when the
     * kernel has no swap accounting; then there is no swap to limit.) */
    if (run->filefd[F_SWAP_MAX] >= 0 && cgroup_file_write(run, v2_files, F_SWAP_MAX, "0", err) < 0)
        return -1;
    if (l->cpu_millis)
        snprintf(v, sizeof v, "%u 100000", l->cpu_millis * 100);
    else
        snprintf(v, sizeof v, "max 100000");
    if (cgroup_file_write(run, v2_files, F_CPU_MAX, v, err) < 0)
        return -1;
    snprintf(v, sizeof v, "%u", l->pids);
    return cgroup_file_write(run, v2_files, F_PIDS_MAX, v, err);
}

static int v2_attach(const cgroup_run_t *run, pid_t pid, nsj_error_t *err)
{
    char v[32];
    snprintf(v, sizeof v, "%d", (int)pid);
    if (util_write_file_at(run->dirfd[0], "cgroup.procs", v, err) < 0)
        return nsj_error_wrap(err, "cgroup v2: attach");
    return 0;
}

/* The cgroup's counters as the kernel has them (a recycled cgroup's
 * include its earlier runs'). */
static int v2_counters(const cgroup_run_t *run, uint64_t *cpu_ns, uint64_t *oom_kills, uint64_t *pids_max_hits,
                       nsj_error_t *err)
{
    char buf[1024];
    uint64_t us;
    if (cgroup_file_read(run, F_CPU_STAT, buf, sizeof buf) < 0 || util_kv_u64(buf, "usage_usec", &us) < 0)
        return nsj_error_set(err, errno ? errno : EIO, "cgroup v2: read cpu.stat");
    *cpu_ns = us * 1000;
    if (!oom_kills)
        return 0;
    if (cgroup_file_read(run, F_MEM_EVENTS, buf, sizeof buf) < 0 || util_kv_u64(buf, "oom_kill", oom_kills) < 0)
        return nsj_error_set(err, errno ? errno : EIO, "cgroup v2: read memory.events");
    if (cgroup_file_read(run, F_PIDS_EVENTS, buf, sizeof buf) < 0 || util_kv_u64(buf, "max", pids_max_hits) < 0)
        return nsj_error_set(err, errno ? errno : EIO, "cgroup v2: read pids.events");
    return 0;
}

static uint64_t minus(uint64_t v, uint64_t base)
{
    return v > base ? v - base : 0;
}

static int v2_cpu_ns(const cgroup_run_t *run, uint64_t *ns)
{
    nsj_error_t err;
    if (v2_counters(run, ns, NULL, NULL, &err) < 0)
        return -1;
    *ns = minus(*ns, run->base_cpu_ns);
    return 0;
}

static int v2_evidence(const cgroup_run_t *run, cgroup_evidence_t *ev, nsj_error_t *err)
{
    if (v2_counters(run, &ev->cpu_ns, &ev->oom_kills, &ev->pids_max_hits, err) < 0)
        return -1;
    /* memory.peak exists from Linux 5.19; older kernels give no peak. A
     * recycled cgroup's is read through the fd its reset was written to
     * (others see the cgroup's all-time peak). */
    if (run->filefd[F_PEAK] >= 0 && cgroup_file_u64(run, F_PEAK, &ev->peak_bytes) < 0)
        return nsj_error_set(err, errno ? errno : EIO, "cgroup v2: read memory.peak");
    /* A recycled cgroup: only what this run added. */
    ev->peak_bytes = minus(ev->peak_bytes, run->base_usage);
    ev->cpu_ns = minus(ev->cpu_ns, run->base_cpu_ns);
    ev->oom_kills = minus(ev->oom_kills, run->base_oom);
    ev->pids_max_hits = minus(ev->pids_max_hits, run->base_pids);
    return 0;
}

static int populated(const cgroup_run_t *run)
{
    char buf[256];
    uint64_t v = 1;
    if (cgroup_file_read(run, F_EVENTS, buf, sizeof buf) < 0 || util_kv_u64(buf, "populated", &v) < 0)
        return -1;
    return v != 0;
}

static void kill_listed(int dirfd)
{
    char buf[8192];
    if (util_read_file_at(dirfd, "cgroup.procs", buf, sizeof buf) <= 0)
        return;
    for (char *p = buf; *p;) {
        char *end;
        long pid = strtol(p, &end, 10);
        if (end == p)
            break;
        if (pid > 0)
            kill((pid_t)pid, SIGKILL);
        p = end;
        while (*p == '\n')
            p++;
    }
}

/* Kill everything left in the cgroup and wait until it is empty. */
static int v2_empty(const cgroup_run_t *run, nsj_error_t *err)
{
    int fd = run->dirfd[0];
    /* cgroup.kill (5.14+) kills every task, including ones forking right now. */
    if (populated(run) != 0) {
        nsj_error_t ignored;
        if (run->filefd[F_KILL] < 0 || cgroup_file_write(run, v2_files, F_KILL, "1", &ignored) < 0)
            kill_listed(fd);
    }
    /* Wait for "populated 0": cgroup.events signals changes with POLLPRI
     * (after each read through the same fd, the next change). */
    uint64_t deadline = util_now_ns() + 5000000000ULL;
    while (populated(run) == 1) {
        uint64_t now = util_now_ns();
        if (now >= deadline)
            return nsj_error_set(err, EBUSY, "cgroup v2: %s still has tasks after kill", run->name);
        kill_listed(fd);
        struct pollfd p = {.fd = run->filefd[F_EVENTS], .events = POLLPRI};
        poll(&p, 1, 10);
    }
    return 0;
}

static int v2_destroy(cgroup_run_t *run, nsj_error_t *err)
{
    if (v2_empty(run, err) < 0)
        return -1;
    return cgroup_rmdir_run(run->be->v2_parent_fd, run->be->v2_parent, run->name, err);
}

/* Kept, as on v1, only while little stays charged (the page cache and
 * slab its run brought in; its tmpfs went with its mount namespace), and
 * only where the kernel can reset the peak: memory.peak takes writes from
 * Linux 6.12. Before, the write fails (the file is open read-only, or the
 * kernel refuses the value): then it is removed, a new cgroup per run. */
static int v2_recycle(cgroup_run_t *run, nsj_error_t *err)
{
    /* Opened read-write, where the kernel lets us, when the cgroup was
     * made (v2_create). Tried first: where it fails, v2_destroy empties
     * the cgroup, once. */
    nsj_error_t e;
    if (cgroup_file_write(run, v2_files, F_PEAK, "0", &e) < 0)
        return 0;
    if (v2_empty(run, err) < 0)
        return -1;
    uint64_t usage;
    if (cgroup_file_u64(run, F_CURRENT, &usage) < 0 || usage > CGROUP_RECYCLE_MAX)
        return 0;
    /* No quota until the next run's is written (v2_reuse): the change
     * refills the bandwidth and ends any throttling this run left. */
    return cgroup_file_write(run, v2_files, F_CPU_MAX, "max 100000", &e) < 0 ? 0 : 1;
}

/* Reset the peak (through F_PEAK's fd: to what is charged now) and note what
 * cannot be reset: the bytes still charged (taken off the peak, added to
 * the limit), the CPU time, OOM kills and pids.max refusals so far. */
static int v2_reuse(cgroup_run_t *run, const nsj_limits_t *l, nsj_error_t *err)
{
    if (run->filefd[F_PEAK] < 0)
        return nsj_error_set(err, ENOTSUP, "cgroup v2 %s: memory.peak not open", run->name);
    if (cgroup_file_write(run, v2_files, F_PEAK, "0", err) < 0)
        return nsj_error_wrap(err, "cgroup v2 %s: reset memory.peak", run->name);
    if (cgroup_file_u64(run, F_CURRENT, &run->base_usage) < 0)
        return nsj_error_set(err, errno ? errno : EIO, "cgroup v2 %s: read memory.current", run->name);
    if (v2_counters(run, &run->base_cpu_ns, &run->base_oom, &run->base_pids, err) < 0)
        return nsj_error_wrap(err, "cgroup v2 %s", run->name);
    return v2_limits(run, l, err);
}

const cgroup_ops_t cgroup_v2_ops = {
    .create = v2_create,
    .set_limits = v2_limits,
    .attach = v2_attach,
    .cpu_ns = v2_cpu_ns,
    .evidence = v2_evidence,
    .destroy = v2_destroy,
    .recycle = v2_recycle,
    .reuse = v2_reuse,
};
