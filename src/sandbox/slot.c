/* Slots: the identity of one concurrently running sandbox on this host.
 *
 * Every run holds a slot 0..N-1 for its whole life. The slot is an flock on
 * <run_dir>/slots/<N>, taken on a fresh open file description, so two
 * threads of one process, two workers or a worker and the CLI never hold
 * the same slot, and the kernel releases it when its holder dies however
 * it dies. A slot owns:
 *   - two host ids: uid_base + 2N (the sandbox's init, ns uid 0, and the
 *     owner of the run's user namespace) and uid_base + 2N + 1 (the
 *     program, ns uid 1000); gids are the same numbers;
 *   - its cgroup names, run-<supervisor pid>-<N>-<run number>.
 * The kernel counts fds in flight, inotify, pending signals, pipe pages and
 * mqueue bytes per host uid (and charges a user namespace's counts up to
 * its owner), so these land on the slot's ids: one run can exhaust only
 * its own slot's counts, never root's or another slot's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "run.h"

/* mode 0700, or 0711 where runs must traverse it (to their scratch mounts). */
int slot_mkdir_private(const char *path, mode_t mode, nsj_error_t *err)
{
    if (mkdir(path, mode) < 0 && errno != EEXIST)
        return nsj_error_set(err, errno, "mkdir %s", path);
    struct stat st;
    if (lstat(path, &st) < 0)
        return nsj_error_set(err, errno, "stat %s", path);
    /* Anyone who could write here could take every slot. */
    if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
        return nsj_error_set(err, EPERM, "%s must be a root-owned directory not writable by others", path);
    if ((st.st_mode & 07777) != mode && chmod(path, mode) < 0)
        return nsj_error_set(err, errno, "chmod %s", path);
    return 0;
}

int slot_table_open(slot_table_t *t, const char *run_dir, unsigned nslots, uint32_t uid_base, unsigned wait_ms,
                    nsj_error_t *err)
{
    memset(t, 0, sizeof *t);
    t->dirfd = -1;
    if (nslots < 1 || nslots > 4096)
        return nsj_error_set(err, EINVAL, "slots: count %u must be between 1 and 4096", nslots);
    if (uid_base < 1000 || (uint64_t)uid_base + 2ULL * nslots > 0xfffffffeULL)
        return nsj_error_set(err, EINVAL, "slots: uid base %u must be at least 1000 and leave room for %u ids",
                             uid_base, 2 * nslots);
    if (!run_dir || run_dir[0] != '/' || strlen(run_dir) > 3000)
        return nsj_error_set(err, EINVAL, "slots: run directory must be an absolute path");
    char path[3100];
    snprintf(path, sizeof path, "%s", run_dir);
    if (slot_mkdir_private(path, 0711, err) < 0)
        return nsj_error_wrap(err, "slots");
    snprintf(path, sizeof path, "%s/slots", run_dir);
    if (slot_mkdir_private(path, 0700, err) < 0)
        return nsj_error_wrap(err, "slots");
    t->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (t->dirfd < 0)
        return nsj_error_set(err, errno, "slots: open %s", path);
    t->n = nslots;
    t->uid_base = uid_base;
    t->wait_ms = wait_ms;
    return 0;
}

void slot_table_close(slot_table_t *t)
{
    if (t->dirfd >= 0)
        close(t->dirfd);
    t->dirfd = -1;
}

/* Try slot i without waiting: 1 taken, 0 busy, <0 error. */
static int try_slot(const slot_table_t *t, unsigned i, slot_t *s, nsj_error_t *err)
{
    char name[16];
    snprintf(name, sizeof name, "%u", i);
    int fd = openat(t->dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return nsj_error_set(err, errno, "slots: open lock %u", i);
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return 0;
        return nsj_error_set(err, e, "slots: lock %u", i);
    }
    s->index = (int)i;
    s->lockfd = fd;
    s->root_id = t->uid_base + 2 * i;
    s->prog_id = s->root_id + 1;
    return 1;
}

int slot_acquire(slot_table_t *t, slot_t *s, nsj_error_t *err)
{
    return slot_acquire_within(t, t->wait_ms, s, err);
}

int slot_acquire_within(slot_table_t *t, unsigned wait_ms, slot_t *s, nsj_error_t *err)
{
    s->index = -1;
    s->lockfd = -1;
    /* Spread the starting point so that concurrent callers rarely collide. */
    unsigned start = (atomic_fetch_add(&t->hint, 1) + (unsigned)getpid() * 7919u) % t->n;
    uint64_t deadline = 0;
    long backoff_us = 500;
    for (;;) {
        for (unsigned k = 0; k < t->n; k++) {
            int rc = try_slot(t, (start + k) % t->n, s, err);
            if (rc != 0)
                return rc > 0 ? 0 : -1;
        }
        uint64_t now = util_now_ns();
        if (!deadline)
            deadline = now + (uint64_t)wait_ms * 1000000ULL;
        if (now >= deadline)
            return nsj_error_set(err, EBUSY, "slots: all %u slots stayed busy for %u ms (NSJUDGE_SLOTS)", t->n,
                                 wait_ms);
        struct timespec ts = {0, backoff_us * 1000};
        nanosleep(&ts, NULL);
        if (backoff_us < 20000)
            backoff_us *= 2;
    }
}

void slot_release(slot_t *s)
{
    /* Closing the only descriptor of the open file description drops the lock. */
    if (s->lockfd >= 0)
        close(s->lockfd);
    s->lockfd = -1;
    s->index = -1;
}
