#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "common/util.h"

static const char *const v1_names[V1_NCTRL] = {"memory", "cpu", "cpuacct", "pids"};

/* Unescape mountinfo's octal escapes (\040 for space) in place. */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] && r[3]) {
            *w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

static int has_option(const char *opts, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = opts; p && *p;) {
        if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return 1;
        p = strchr(p, ',');
        if (p)
            p++;
    }
    return 0;
}

/* Scan mountinfo for the cgroup2 mount and each v1 controller's mount. */
static int scan_mounts(char *v2, size_t v2cap, char v1[V1_NCTRL][PATH_MAX], nsj_error_t *err)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return nsj_error_set(err, errno, "cgroup: open /proc/self/mountinfo");
    char *line = NULL;
    size_t cap = 0;
    v2[0] = '\0';
    for (int i = 0; i < V1_NCTRL; i++)
        v1[i][0] = '\0';
    while (getline(&line, &cap, f) > 0) {
        /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
        char *sep = strstr(line, " - ");
        if (!sep)
            continue;
        *sep = '\0';
        char fstype[32], source[256], superopts[512];
        if (sscanf(sep + 3, "%31s %255s %511s", fstype, source, superopts) != 3)
            continue;
        char root[PATH_MAX], mnt[PATH_MAX];
        if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2)
            continue;
        unescape(mnt);
        if (strcmp(fstype, "cgroup2") == 0) {
            if (!v2[0] || strcmp(mnt, "/sys/fs/cgroup") == 0)
                snprintf(v2, v2cap, "%s", mnt);
        } else if (strcmp(fstype, "cgroup") == 0) {
            for (int i = 0; i < V1_NCTRL; i++)
                if (!v1[i][0] && has_option(superopts, v1_names[i]))
                    snprintf(v1[i], PATH_MAX, "%s", mnt);
        }
    }
    free(line);
    fclose(f);
    return 0;
}

static int v2_usable(const char *mount)
{
    char path[PATH_MAX + 32], buf[512];
    snprintf(path, sizeof path, "%s", mount);
    cleanup_close int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || util_read_file_at(fd, "cgroup.controllers", buf, sizeof buf) < 0)
        return 0;
    char *save = NULL;
    int have = 0;
    for (char *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
        if (strcmp(t, "memory") == 0) have |= 1;
        if (strcmp(t, "cpu") == 0) have |= 2;
        if (strcmp(t, "pids") == 0) have |= 4;
    }
    return have == 7;
}

/* Kill what is left in a cgroup directory (by its procs file) and remove it. */
static void remove_stale(int parent_fd, const char *name)
{
    int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[8192];
    for (int round = 0; round < 100; round++) {
        if (util_read_file_at(fd, "cgroup.procs", buf, sizeof buf) <= 0 || !buf[0])
            break;
        for (char *p = buf; *p;) {
            char *end;
            long pid = strtol(p, &end, 10);
            if (end == p)
                break;
            if (pid > 0)
                kill((pid_t)pid, SIGKILL);
            p = end + strspn(end, "\n");
        }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    close(fd);
    unlinkat(parent_fd, name, AT_REMOVEDIR);
}

/* A supervisor killed mid-run (SIGKILL, OOM, power) takes its sandboxes
 * with it (init's parent-death signal) but cannot remove their cgroups:
 * remove every run-<pid>-<slot>-<n> whose supervisor pid no longer exists. */
static int sweep_stale_runs(int parent_fd)
{
    /* A new open file description, not dup(): a dup shares the offset, so
     * every sweep after the first would start at the end of the directory. */
    int dfd = openat(parent_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    int removed = 0;
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return 0;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        int pid;
        unsigned slot, gen;
        char tail;
        if (sscanf(e->d_name, "run-%d-%u-%u%c", &pid, &slot, &gen, &tail) != 3 || pid <= 0 || pid == getpid())
            continue;
        if (kill(pid, 0) == 0 || errno != ESRCH)
            continue; /* alive (or not ours to judge) */
        remove_stale(parent_fd, e->d_name);
        removed++;
    }
    closedir(d);
    return removed;
}

int cgroup_backend_sweep(const cgroup_backend_t *be)
{
    int n = 0;
    if (be->version == 2)
        n += sweep_stale_runs(be->v2_parent_fd);
    for (int i = 0; i < V1_NCTRL; i++)
        if (be->version == 1 && be->v1_parent_fd[i] >= 0)
            n += sweep_stale_runs(be->v1_parent_fd[i]);
    return n;
}

int cgroup_backend_open(nsj_cgroup_mode_t mode, const char *parent, cgroup_backend_t **out, nsj_error_t *err)
{
    char v2[PATH_MAX];
    char v1[V1_NCTRL][PATH_MAX];
    if (scan_mounts(v2, sizeof v2, v1, err) < 0)
        return -1;
    if (!parent)
        parent = getenv("NSJUDGE_CGROUP_PARENT");
    if (!parent || !*parent)
        parent = "/nsjudge";
    if (strcmp(parent, "self") != 0 && (parent[0] != '/' || strstr(parent, "/..") || strstr(parent, "//")))
        return nsj_error_set(err, EINVAL, "cgroup: parent '%s' must be an absolute path without '..' or 'self'",
                             parent);

    cgroup_backend_t *be = calloc(1, sizeof *be);
    if (!be)
        return nsj_error_set(err, ENOMEM, "cgroup");
    be->v2_parent_fd = -1;
    for (int i = 0; i < V1_NCTRL; i++)
        be->v1_parent_fd[i] = -1;

    int want_v2 = mode == NSJ_CGROUP_V2 || (mode == NSJ_CGROUP_AUTO && v2[0] && v2_usable(v2));
    if (want_v2) {
        if (!v2[0]) {
            nsj_error_set(err, ENOENT, "cgroup v2: no cgroup2 mount");
            goto fail;
        }
        if (!v2_usable(v2)) {
            nsj_error_set(err, ENOTSUP, "cgroup v2: %s lacks the memory, cpu and pids controllers", v2);
            goto fail;
        }
        if (cgroup_v2_open(be, v2, parent, err) < 0)
            goto fail;
    } else {
        const char *mounts[V1_NCTRL];
        for (int i = 0; i < V1_NCTRL; i++) {
            if (!v1[i][0]) {
                nsj_error_set(err, ENOENT, "cgroup: neither a usable cgroup2 mount (memory, cpu, pids) "
                              "nor a v1 '%s' hierarchy", v1_names[i]);
                goto fail;
            }
            mounts[i] = v1[i];
        }
        if (strcmp(parent, "self") == 0) {
            nsj_error_set(err, ENOTSUP, "cgroup v1: parent 'self' is only for delegated v2 hosts");
            goto fail;
        }
        if (cgroup_v1_open(be, mounts, parent, err) < 0)
            goto fail;
    }
    cgroup_backend_sweep(be);
    *out = be;
    return 0;
fail:
    cgroup_backend_close(be);
    return -1;
}

void cgroup_backend_close(cgroup_backend_t *be)
{
    if (!be)
        return;
    if (be->v2_parent_fd >= 0)
        close(be->v2_parent_fd);
    for (int i = 0; i < V1_NCTRL; i++)
        if (be->v1_parent_fd[i] >= 0)
            close(be->v1_parent_fd[i]);
    free(be);
}

const char *cgroup_backend_name(const cgroup_backend_t *be)
{
    return be->version == 2 ? "v2" : "v1";
}

int cgroup_mkdir_run(int parent_fd, const char *parent, const char *name, nsj_error_t *err)
{
    if (mkdirat(parent_fd, name, 0755) == 0)
        return 0;
    /* A crashed earlier process with our pid may have left one. */
    if (errno == EEXIST) {
        remove_stale(parent_fd, name);
        if (mkdirat(parent_fd, name, 0755) == 0)
            return 0;
    }
    return nsj_error_set(err, errno, "cgroup: mkdir %s/%s", parent, name);
}

int cgroup_rmdir_run(int parent_fd, const char *parent, const char *name, nsj_error_t *err)
{
    /* Reaped tasks can linger in a cgroup for a moment: retry for up to 2 s. */
    for (int i = 0; i < 2000; i++) {
        if (unlinkat(parent_fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY)
            break;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return nsj_error_set(err, errno, "cgroup: rmdir %s/%s", parent, name);
}

void cgroup_run_clear(cgroup_run_t *run)
{
    memset(run, 0, sizeof *run);
    for (int i = 0; i < CGROUP_MAX_DIRS; i++)
        run->dirfd[i] = run->joinfd[i] = -1;
    for (int i = 0; i < CGROUP_MAX_FILES; i++)
        run->filefd[i] = -1;
}

int cgroup_open_files(cgroup_run_t *run, const cgroup_file_t *table, int n, const int *dir_of, uint32_t skip,
                      uint32_t optional, nsj_error_t *err)
{
    for (int i = 0; i < n && i < CGROUP_MAX_FILES; i++) {
        if (skip & (1u << i))
            continue;
        int dfd = run->dirfd[dir_of[table[i].dir]];
        run->filefd[i] = openat(dfd, table[i].name, table[i].flags | O_CLOEXEC);
        if (run->filefd[i] < 0 && errno == EACCES && table[i].read_only_else)
            run->filefd[i] = openat(dfd, table[i].name, O_RDONLY | O_CLOEXEC);
        if (run->filefd[i] < 0 && !(errno == ENOENT && (optional & (1u << i))))
            return nsj_error_set(err, errno, "cgroup: open %s", table[i].name);
    }
    return 0;
}

int cgroup_file_write(const cgroup_run_t *run, const cgroup_file_t *table, int i, const char *v, nsj_error_t *err)
{
    return util_write_fd(run->filefd[i], table[i].name, v, err);
}

ssize_t cgroup_file_read(const cgroup_run_t *run, int i, char *buf, size_t cap)
{
    return util_pread_all(run->filefd[i], buf, cap);
}

int cgroup_file_u64(const cgroup_run_t *run, int i, uint64_t *v)
{
    char buf[64];
    if (cgroup_file_read(run, i, buf, sizeof buf) <= 0)
        return -1;
    *v = strtoull(buf, NULL, 10);
    return 0;
}

void cgroup_close_files(cgroup_run_t *run)
{
    for (int i = 0; i < CGROUP_MAX_FILES; i++) {
        if (run->filefd[i] >= 0)
            close(run->filefd[i]);
        run->filefd[i] = -1;
    }
}

int cgroup_create(const cgroup_backend_t *be, const nsj_limits_t *l, unsigned slot, unsigned gen, cgroup_run_t *run,
                  nsj_error_t *err)
{
    cgroup_run_clear(run);
    run->be = be;
    /* Unique: a process holds each slot at most once at a time, and a warm
     * slot numbers its runs (the next run's cgroup exists before the last
     * one's is removed). */
    snprintf(run->name, sizeof run->name, "run-%d-%u-%u", (int)getpid(), slot, gen);
    return be->ops->create(be, l, run, err);
}

int cgroup_set_limits(const cgroup_run_t *run, const nsj_limits_t *l, nsj_error_t *err)
{
    if (run->be->ops->set_limits(run, l, err) < 0)
        return nsj_error_wrap(err, "cgroup %s", run->name);
    return 0;
}

int cgroup_clone_fd(const cgroup_run_t *run)
{
    return (run->be->version == 2 && run->be->v2_have_clone_into) ? run->dirfd[0] : -1;
}

cgroup_join_t cgroup_backend_join_method(const cgroup_backend_t *be)
{
    if (be->version == 1)
        return CGROUP_JOIN_SELF;
    return be->v2_have_clone_into ? CGROUP_JOIN_AT_CLONE : CGROUP_JOIN_BY_PARENT;
}

int cgroup_join_self(const int *fds, int n, child_err_t *ce)
{
    int joined = 0;
    for (int i = 0; i < n; i++) {
        if (fds[i] < 0)
            continue;
        if (write(fds[i], "0", 1) != 1)
            return child_fail(ce, errno, "cgroup", "join own cgroup (write 0 to tasks)");
        joined++;
    }
    return joined ? 0 : child_fail(ce, EPROTO, "cgroup", "no cgroup to join");
}

void cgroup_close_join(cgroup_run_t *run)
{
    for (int i = 0; i < run->njoin; i++) {
        if (run->joinfd[i] >= 0)
            close(run->joinfd[i]);
        run->joinfd[i] = -1;
    }
    run->njoin = 0;
}

int cgroup_attach(const cgroup_run_t *run, pid_t pid, nsj_error_t *err)
{
    return run->be->ops->attach(run, pid, err);
}

int cgroup_cpu_ns(const cgroup_run_t *run, uint64_t *ns)
{
    return run->be->ops->cpu_ns(run, ns);
}

int cgroup_read_evidence(const cgroup_run_t *run, cgroup_evidence_t *ev, nsj_error_t *err)
{
    memset(ev, 0, sizeof *ev);
    return run->be->ops->evidence(run, ev, err);
}

int cgroup_destroy(cgroup_run_t *run, nsj_error_t *err)
{
    cgroup_close_join(run);
    if (!run->be || run->ndirs == 0)
        return 0;
    cgroup_close_files(run);
    int rc = run->be->ops->destroy(run, err);
    for (int i = 0; i < run->ndirs; i++) {
        if (run->dirfd[i] >= 0)
            close(run->dirfd[i]);
        run->dirfd[i] = -1;
    }
    run->ndirs = 0;
    return rc;
}

int cgroup_recycle(cgroup_run_t *run, nsj_error_t *err)
{
    cgroup_close_join(run);
    if (!run->be || run->ndirs == 0)
        return 0;
    if (run->be->ops->recycle) {
        int kept = run->be->ops->recycle(run, err);
        if (kept != 0)
            return kept;
    }
    return cgroup_destroy(run, err) < 0 ? -1 : 0;
}

int cgroup_reuse(cgroup_run_t *kept, const nsj_limits_t *l, cgroup_run_t *run, nsj_error_t *err)
{
    *run = *kept;
    cgroup_run_clear(kept);
    run->njoin = 0;
    run->base_usage = run->base_oom = run->base_pids = run->base_cpu_ns = 0;
    if (run->be->ops->reuse && run->be->ops->reuse(run, l, err) == 0)
        return 0;
    if (!run->be->ops->reuse)
        nsj_error_set(err, ENOTSUP, "cgroup %s: this back end does not reuse", run->name);
    nsj_error_t e;
    cgroup_destroy(run, &e);
    return -1;
}
