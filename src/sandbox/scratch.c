/* Scratch directories for compile steps: a tmpfs per build on the host,
 * under <run_dir>/scratch/<name>, capped in size and inodes.
 *
 * Why not a directory in the host's /tmp: nothing would cap what a
 * compiler writes there, and a supervisor killed mid-compile would leave it
 * forever. A tmpfs's pages are charged to the memory cgroup of the task
 * that writes them (the compile run), and each scratch has a lock file
 * <name>.lock held (flock) by its owner for its whole life: a sweep that
 * can take the lock knows the owner is dead and removes the mount. The
 * lock file is locked under a temporary name before it is renamed into
 * place, so a sweep never sees a new lock unlocked. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <time.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

struct nsj_scratch {
    int parent_fd;           /* <run_dir>/scratch (the sandbox's) */
    int lockfd;
    char name[64];
    char path[4096];
    char opts[96];
};

static atomic_uint scratch_seq;

int scratch_open_dir(const char *run_dir, int *dirfd, nsj_error_t *err)
{
    char path[3100];
    snprintf(path, sizeof path, "%s/scratch", run_dir);
    /* A run's init (the slot's uid) must traverse it to bind its /box; it
     * cannot list it, and the names hold 64 random bits. */
    if (slot_mkdir_private(path, 0711, err) < 0)
        return nsj_error_wrap(err, "scratch");
    *dirfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*dirfd < 0)
        return nsj_error_set(err, errno, "scratch: open %s", path);
    return 0;
}

static void remove_scratch(int parent_fd, const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "/proc/self/fd/%d/%s", parent_fd, name);
    /* Detach: a run still holding it open keeps it alive, unseen. */
    while (umount2(path, MNT_DETACH) == 0)
        ;
    unlinkat(parent_fd, name, AT_REMOVEDIR);
}

int nsj_scratch_new(nsj_sandbox_t *sb, uint64_t size_bytes, uint64_t inodes, nsj_scratch_t **out, nsj_error_t *err)
{
    *out = NULL;
    if (size_bytes < 4096 || inodes < 16)
        return nsj_error_set(err, EINVAL, "scratch: size %llu and inodes %llu too small",
                             (unsigned long long)size_bytes, (unsigned long long)inodes);
    nsj_scratch_t *s = calloc(1, sizeof *s);
    if (!s)
        return nsj_error_set(err, ENOMEM, "scratch");
    s->parent_fd = sb->scratch_dirfd;
    s->lockfd = -1;
    char tmp[96], lock[96];
    for (int tries = 0;; tries++) {
        uint64_t rnd = 0;
        if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
            free(s);
            return nsj_error_set(err, errno, "scratch: getrandom");
        }
        snprintf(s->name, sizeof s->name, "%d-%u-%016llx", (int)getpid(), atomic_fetch_add(&scratch_seq, 1),
                 (unsigned long long)rnd);
        snprintf(tmp, sizeof tmp, "%s.new", s->name);
        snprintf(lock, sizeof lock, "%s.lock", s->name);
        s->lockfd = openat(s->parent_fd, tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (s->lockfd >= 0 && flock(s->lockfd, LOCK_EX | LOCK_NB) == 0 &&
            renameat2(s->parent_fd, tmp, s->parent_fd, lock, RENAME_NOREPLACE) == 0)
            break;
        int e = errno;
        if (s->lockfd >= 0) {
            close(s->lockfd);
            s->lockfd = -1;
            unlinkat(s->parent_fd, tmp, 0);
        }
        /* EEXIST: a dead process with our pid left that name; ENOENT: a
         * sweep removed our unlocked temporary file. */
        if ((e != EEXIST && e != ENOENT && e != EWOULDBLOCK) || tries > 100) {
            free(s);
            return nsj_error_set(err, e, "scratch: lock file");
        }
    }
    snprintf(s->path, sizeof s->path, "/proc/self/fd/%d/%s", s->parent_fd, s->name);
    snprintf(s->opts, sizeof s->opts, "size=%llu,nr_inodes=%llu,mode=0777", (unsigned long long)size_bytes,
             (unsigned long long)inodes);
    if (mkdirat(s->parent_fd, s->name, 0700) < 0) {
        nsj_error_set(err, errno, "scratch: mkdir %s", s->name);
        goto fail;
    }
    if (mount("nsjudge-scratch", s->path, "tmpfs", MS_NOSUID | MS_NODEV, s->opts) < 0) {
        nsj_error_set(err, errno, "scratch: mount tmpfs");
        goto fail;
    }
    /* Bind sources and the sweep need a real path: resolve ours once. */
    char real[4096];
    if (!realpath(s->path, real) || strlen(real) >= sizeof s->path) {
        nsj_error_set(err, errno ? errno : ENAMETOOLONG, "scratch: resolve path");
        goto fail;
    }
    snprintf(s->path, sizeof s->path, "%s", real);
    *out = s;
    return 0;
fail:
    nsj_scratch_free(s);
    return -1;
}

const char *nsj_scratch_path(const nsj_scratch_t *s)
{
    return s->path;
}

static int open_up(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)ftw;
    if (type == FTW_D || type == FTW_DP)
        return chmod(path, (st->st_mode & 07777) | 0555) < 0 ? -1 : 0;
    if (type == FTW_F) {
        mode_t m = (st->st_mode & 07777) | 0444;
        if (m & 0111)
            m |= 0111;
        return chmod(path, m & ~(mode_t)06000) < 0 ? -1 : 0;
    }
    return 0; /* symlinks and the rest: left as they are */
}

int nsj_scratch_seal(nsj_scratch_t *s, nsj_error_t *err)
{
    /* Later runs have other slots, so other host uids: what the compile
     * step wrote must be readable (and executable where it was) by all. */
    if (nftw(s->path, open_up, 16, FTW_PHYS | FTW_MOUNT) < 0)
        return nsj_error_set(err, errno, "scratch: open up permissions");
    /* EBUSY while a file of it is open for writing somewhere: after a copy
     * made by this process (judge_build_fill_box), a sandbox that another
     * thread cloned meanwhile holds the copy's fds until its first step
     * closes them (close_range, within a millisecond). Wait that out. */
    int rc, tries = 0;
    while ((rc = mount(NULL, s->path, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, s->opts)) < 0 &&
           errno == EBUSY && ++tries < 200) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    if (rc < 0)
        return nsj_error_set(err, errno, "scratch: remount read-only");
    return 0;
}

void nsj_scratch_free(nsj_scratch_t *s)
{
    if (!s)
        return;
    char lock[96];
    snprintf(lock, sizeof lock, "%s.lock", s->name);
    remove_scratch(s->parent_fd, s->name);
    if (s->lockfd >= 0) {
        unlinkat(s->parent_fd, lock, 0);
        close(s->lockfd);
    }
    free(s);
}

int scratch_sweep(int parent_fd)
{
    int dfd = openat(parent_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return 0;
    }
    int removed = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        int is_lock = n > 5 && strcmp(e->d_name + n - 5, ".lock") == 0;
        int is_new = n > 4 && strcmp(e->d_name + n - 4, ".new") == 0;
        if (!is_lock && !is_new)
            continue;
        int fd = openat(parent_fd, e->d_name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            continue;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            /* Its owner is gone (the kernel dropped the lock with it). */
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(n - (is_lock ? 5 : 4)), e->d_name);
            if (is_lock)
                remove_scratch(parent_fd, name);
            unlinkat(parent_fd, e->d_name, 0);
            removed++;
        }
        close(fd);
    }
    closedir(d);
    return removed;
}
