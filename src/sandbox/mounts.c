#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "internal.h"

/* mounts_prepare_root, mounts_finish_root and their helpers run in the child (see internal.h): raw
 * syscalls only, and paths relative to the new root (we chdir into it
 * first), so no strings need building after clone. */

/* Kernel-wide /proc files masked with /dev/null (read as empty), as
 * container runtimes do: timer_list and sched_debug list the host's tasks
 * to anyone. The rest are host-wide facts a judge program has no business
 * reading and that change with what other runs do (a channel between
 * concurrent runs): the host's kernel command line and boot id, pressure
 * stall figures, file locks of every process, memory and interrupt
 * counters, disks. Writable kernel knobs (/proc/sys, sysrq-trigger) need no
 * read-only remount here: their owners are ids that do not exist in the
 * sandbox, and the program has no capabilities. Paths missing on this
 * kernel are skipped (found once: mounts_proc_masks_absent).
 * meminfo, stat, loadavg and cgroups are replaced by generated text instead
 * (runtimes read them: libuv for total memory and CPUs, glibc's
 * getloadavg, the JVM's container detection). */
static const char *const proc_masked[] = {
    "proc/kcore", "proc/keys", "proc/key-users", "proc/timer_list", "proc/sched_debug", "proc/cmdline",
    "proc/sys/kernel/random/boot_id", "proc/pressure/cpu", "proc/pressure/io", "proc/pressure/memory",
    "proc/pressure/irq", "proc/locks", "proc/vmstat", "proc/zoneinfo", "proc/buddyinfo", "proc/pagetypeinfo",
    "proc/diskstats", "proc/partitions", "proc/swaps", "proc/interrupts", "proc/softirqs", "proc/schedstat",
    "proc/modules",
};

/* The user namespace's own caps on per-user kernel objects, written by
 * init (its root) into the run's fresh /proc: the host-wide defaults
 * (128 inotify instances per user) would let one run take a host-sized
 * share. The owner's counts in the parent namespace are capped too. */
static const struct { const char *path, *value; } userns_caps[] = {
    {"proc/sys/user/max_inotify_instances", "16"},
    {"proc/sys/user/max_inotify_watches", "1024"},
    {"proc/sys/user/max_fanotify_groups", "0"},
    {"proc/sys/user/max_user_namespaces", "0"},
};

/* ---- parent side: generated /proc files ---- */

static size_t add_text(char *buf, size_t cap, size_t off, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static size_t add_text(char *buf, size_t cap, size_t off, const char *fmt, ...)
{
    if (off >= cap)
        return off;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + off, cap - off, fmt, ap);
    va_end(ap);
    return n < 0 ? off : (off + (size_t)n < cap ? off + (size_t)n : cap);
}

void mounts_host_cgroups(char *out, size_t cap)
{
    char host[4096];
    size_t off = 0;
    out[0] = '\0';
    if (util_read_file_at(AT_FDCWD, "/proc/cgroups", host, sizeof host) <= 0)
        return;
    char *save = NULL;
    for (char *line = strtok_r(host, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char name[64];
        unsigned hier, num, enabled;
        if (line[0] == '#' || sscanf(line, "%63s %u %u %u", name, &hier, &num, &enabled) != 4)
            off = add_text(out, cap, off, "%s\n", line);
        else
            off = add_text(out, cap, off, "%s\t%u\t1\t%u\n", name, hier, enabled);
    }
}

void mounts_plan_proc(mount_plan_t *plan, const nsj_limits_t *l, unsigned ncpus, const char *host_cgroups,
                      char *buf, size_t cap)
{
    size_t off = 0, start;
    unsigned long long kb = (unsigned long long)(l->memory_bytes / 1024);
    plan->nproc_gen = 0;
#define GEN(path)                                                                                           \
    do {                                                                                                    \
        if (off < cap && plan->nproc_gen < PROC_GEN_MAX)                                                    \
            plan->proc_gen[plan->nproc_gen++] = (proc_file_t){(path), buf + start, off - start};             \
    } while (0)
    start = off;
    off = add_text(buf, cap, off,
                   "MemTotal:       %llu kB\nMemFree:        %llu kB\nMemAvailable:   %llu kB\n"
                   "Buffers:               0 kB\nCached:                0 kB\nSwapCached:            0 kB\n"
                   "Active:                0 kB\nInactive:              0 kB\nSwapTotal:             0 kB\n"
                   "SwapFree:              0 kB\nShmem:                 0 kB\nHugePages_Total:       0\n"
                   "HugePages_Free:        0\nHugepagesize:       2048 kB\n",
                   kb, kb, kb);
    GEN("proc/meminfo");
    start = off;
    off = add_text(buf, cap, off, "cpu  0 0 0 0 0 0 0 0 0 0\n");
    for (unsigned c = 0; c < ncpus && c < 1024; c++)
        off = add_text(buf, cap, off, "cpu%u 0 0 0 0 0 0 0 0 0 0\n", c);
    off = add_text(buf, cap, off, "intr 0\nctxt 0\nbtime 0\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n");
    GEN("proc/stat");
    start = off;
    off = add_text(buf, cap, off, "0.00 0.00 0.00 1/1 1\n");
    GEN("proc/loadavg");
    if (host_cgroups[0]) {
        start = off;
        off = add_text(buf, cap, off, "%s", host_cgroups);
        GEN("proc/cgroups");
    }
#undef GEN
}

/* ---- parent side ---- */

static const struct { const char *name; unsigned minor; } dev_nodes[] = {
    {"null", 3}, {"zero", 5}, {"full", 7}, {"random", 8}, {"urandom", 9},
};
static const struct { const char *name, *target; } dev_links[] = {
    {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"},
    {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"},
};

/* Why not the host's nodes, or the rootfs's: an inode shared between runs
 * is a channel between them (flock on /dev/null, inotify IN_MODIFY on it),
 * and a user namespace may not make device nodes, nor use those of a
 * filesystem it mounted. Real root makes them here, per run, in a tmpfs
 * that init moves into its namespace (the new mount API, Linux >= 5.12). */
int mounts_make_dev(nsj_error_t *err)
{
    int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0)
        return nsj_error_set(err, errno, "dev: fsopen tmpfs (nsjudge needs Linux >= 5.12)");
    int m = -1;
    if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "64k", 0) < 0 ||
        syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "nr_inodes", "32", 0) < 0 ||
        syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
        syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
        nsj_error_set(err, errno, "dev: configure tmpfs");
        goto fail;
    }
    m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
    if (m < 0) {
        nsj_error_set(err, errno, "dev: fsmount");
        goto fail;
    }
    for (size_t i = 0; i < sizeof dev_nodes / sizeof dev_nodes[0]; i++) {
        /* mknodat applies the umask: set the mode afterwards. */
        if (mknodat(m, dev_nodes[i].name, S_IFCHR | 0666, makedev(1, dev_nodes[i].minor)) < 0 ||
            fchmodat(m, dev_nodes[i].name, 0666, 0) < 0) {
            nsj_error_set(err, errno, "dev: mknod %s", dev_nodes[i].name);
            goto fail;
        }
    }
    for (size_t i = 0; i < sizeof dev_links / sizeof dev_links[0]; i++)
        if (symlinkat(dev_links[i].target, m, dev_links[i].name) < 0) {
            nsj_error_set(err, errno, "dev: symlink %s", dev_links[i].name);
            goto fail;
        }
    if (mkdirat(m, "shm", 01777) < 0 || fchmodat(m, "shm", 01777, 0) < 0) {
        nsj_error_set(err, errno, "dev: mkdir shm");
        goto fail;
    }
    struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
    if (syscall(SYS_mount_setattr, m, "", AT_EMPTY_PATH, &ro, sizeof ro) < 0) {
        nsj_error_set(err, errno, "dev: make read-only");
        goto fail;
    }
    close(fs);
    return m;
fail:
    if (m >= 0)
        close(m);
    close(fs);
    return -1;
}

int mounts_open_binds(const mount_plan_t *plan, int *fds, nsj_error_t *err)
{
    for (size_t i = 0; i < plan->nbinds; i++)
        fds[i] = -1;
    for (size_t i = 0; i < plan->nbinds; i++) {
        const nsj_bind_t *b = &plan->binds[i];
        fds[i] = (int)syscall(SYS_open_tree, AT_FDCWD, b->host_path,
                              OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (fds[i] < 0) {
            nsj_error_set(err, errno, "bind %s: open_tree", b->sandbox_path);
            goto fail;
        }
        struct mount_attr a = {.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
        if (!(b->flags & NSJ_BIND_RW))
            a.attr_set |= MOUNT_ATTR_RDONLY;
        if (b->flags & NSJ_BIND_NOEXEC)
            a.attr_set |= MOUNT_ATTR_NOEXEC;
        if (syscall(SYS_mount_setattr, fds[i], "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0) {
            nsj_error_set(err, errno, "bind %s: set its flags", b->sandbox_path);
            goto fail;
        }
    }
    return 0;
fail:
    for (size_t i = 0; i < plan->nbinds; i++)
        if (fds[i] >= 0)
            close(fds[i]), fds[i] = -1;
    return -1;
}

/* ---- child side ---- */

static int setup_dev(const mount_plan_t *plan, child_err_t *ce)
{
    if (syscall(SYS_move_mount, plan->devfd, "", AT_FDCWD, "dev", MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return child_fail(ce, errno, "move_mount", "/dev");
    close(plan->devfd);
    return 0;
}

uint32_t mounts_proc_masks_absent(void)
{
    uint32_t absent = 0;
    char path[64];
    _Static_assert(sizeof proc_masked / sizeof proc_masked[0] <= 32, "one bit per masked file");
    for (size_t i = 0; i < sizeof proc_masked / sizeof proc_masked[0]; i++) {
        snprintf(path, sizeof path, "/%s", proc_masked[i]);
        /* Only ENOENT means absent: anything else (a host /proc that says
         * EACCES) keeps the mask. */
        if (faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
            absent |= 1u << i;
    }
    return absent;
}

static int setup_proc(const mount_plan_t *plan, child_err_t *ce)
{
    /* Must happen before the old root is detached: the kernel only lets a
     * user namespace mount proc while a full proc is visible in its mount
     * namespace. hidepid=invisible hides init (uid 0) from the program. */
    if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=invisible") < 0 &&
        mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return child_fail(ce, errno, "mount", "/proc");
    for (size_t i = 0; i < sizeof userns_caps / sizeof userns_caps[0]; i++) {
        int fd = open(userns_caps[i].path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
            continue;
        size_t n = strlen(userns_caps[i].value);
        if (fd < 0 || write(fd, userns_caps[i].value, n) != (ssize_t)n) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            return child_fail(ce, e, "set user namespace limit", userns_caps[i].path);
        }
        close(fd);
    }
    for (size_t i = 0; i < sizeof proc_masked / sizeof proc_masked[0]; i++)
        if (!(plan->proc_masks_absent & (1u << i)) && mount("dev/null", proc_masked[i], NULL, MS_BIND, NULL) < 0 &&
            errno != ENOENT)
            return child_fail(ce, errno, "mask", proc_masked[i]);
    return 0;
}

/* The generated files as f0, f1, ... in dirfd (raw calls, no allocation:
 * init uses it too). -1 with errno, *failed the file's index. */
static int write_proc_gen(int dirfd, const mount_plan_t *plan, int *failed)
{
    char name[3] = {'f', '0', '\0'};
    for (int i = 0; i < plan->nproc_gen; i++) {
        const proc_file_t *p = &plan->proc_gen[i];
        name[1] = (char)('0' + i);
        *failed = i;
        int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
        if (fd < 0)
            return -1;
        ssize_t n = write(fd, p->data, p->len);
        int e = n < 0 ? errno : EIO;
        close(fd);
        if (n != (ssize_t)p->len)
            return errno = e, -1;
    }
    return 0;
}

#define PROC_GEN_TMPFS_OPTS "size=256k,mode=0755"
#define PROC_GEN_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME)

/* The generated /proc files: written into a small tmpfs mounted on "tmp",
 * made read-only, each file bound over its /proc file; the run's own /tmp
 * is then mounted over it (not unmounted: an unmount waits for an RCU
 * grace period, a measurable part of a run). Binding from a detached
 * fsmount() tree instead needs a Linux later than judge hosts' 6.1. A warm
 * slot's root has that tmpfs on its tmp already (mounts_slot_proc_files),
 * with these very files when plan->proc_gen_in_root: then only the binds
 * are made (~0.15 ms of CPU a run less). */
static int setup_proc_gen(const mount_plan_t *plan, child_err_t *ce)
{
    if (!plan->nproc_gen)
        return 0;
    if (!plan->proc_gen_in_root) {
        if (mount("tmpfs", "tmp", "tmpfs", PROC_GEN_FLAGS, PROC_GEN_TMPFS_OPTS) < 0)
            return child_fail(ce, errno, "mount tmpfs", "for /proc files");
        int dfd = open("tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC), failed = 0;
        if (dfd < 0)
            return child_fail(ce, errno, "open", "tmpfs for /proc files");
        int rc = write_proc_gen(dfd, plan, &failed), e = errno;
        close(dfd);
        if (rc < 0)
            return child_fail(ce, e, "write generated", plan->proc_gen[failed].name);
        if (mount(NULL, "tmp", NULL, MS_REMOUNT | MS_RDONLY | PROC_GEN_FLAGS, PROC_GEN_TMPFS_OPTS) < 0)
            return child_fail(ce, errno, "remount read-only", "/proc files");
    }
    char name[8] = {'t', 'm', 'p', '/', 'f', '0', '\0'};
    for (int i = 0; i < plan->nproc_gen; i++) {
        name[5] = (char)('0' + i);
        if (mount(name, plan->proc_gen[i].name, NULL, MS_BIND, NULL) < 0 && errno != ENOENT)
            return child_fail(ce, errno, "bind generated", plan->proc_gen[i].name);
    }
    return 0;
}

/* Why a slot root may carry them: the tmpfs is read-only for its whole
 * life (the superblock: no write, and no atime either, so a run cannot
 * tell whether one before it read a file), and files that change come
 * on a new tmpfs, with new inodes; what a run can attach to the inodes
 * (a lock, an inotify watch) lives with its open files, as for the rest
 * of the root (warm.c: root_release). */
int mounts_slot_proc_files(const char *root, const mount_plan_t *plan, int mounted, nsj_error_t *err)
{
    char dir[PATH_MAX + 8];
    snprintf(dir, sizeof dir, "%s/tmp", root);
    if (mounted && umount2(dir, MNT_DETACH) < 0)
        return nsj_error_set(err, errno, "unmount the /proc files at %s", dir);
    if (mount("tmpfs", dir, "tmpfs", PROC_GEN_FLAGS, PROC_GEN_TMPFS_OPTS) < 0)
        return nsj_error_set(err, errno, "mount a tmpfs for /proc files at %s", dir);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), failed = 0;
    if (dfd < 0 || write_proc_gen(dfd, plan, &failed) < 0 ||
        mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY | PROC_GEN_FLAGS, PROC_GEN_TMPFS_OPTS) < 0) {
        nsj_error_set(err, errno, "write the /proc files at %s", dir);
        if (dfd >= 0)
            close(dfd);
        umount2(dir, MNT_DETACH);
        return -1;
    }
    close(dfd);
    return 0;
}

size_t mounts_proc_gen_pack(const mount_plan_t *plan, char *out, size_t cap)
{
    size_t off = 0;
    for (int i = 0; i < plan->nproc_gen; i++) {
        const proc_file_t *p = &plan->proc_gen[i];
        size_t nlen = strlen(p->name) + 1, need = nlen + sizeof p->len + p->len;
        if (cap - off < need)
            return 0;
        memcpy(out + off, p->name, nlen);
        memcpy(out + off + nlen, &p->len, sizeof p->len);
        memcpy(out + off + nlen + sizeof p->len, p->data, p->len);
        off += need;
    }
    return off;
}

/* The spec's files, written by init into a tmpfs that then becomes read-only. */
static int setup_files(const mount_plan_t *plan, child_err_t *ce)
{
    const char *dir = plan->files_dir;
    if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, plan->files_opts) < 0)
        return child_fail(ce, errno, "mount tmpfs", dir);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return child_fail(ce, errno, "open", dir);
    for (size_t i = 0; i < plan->nfiles; i++) {
        const nsj_file_t *f = &plan->files[i];
        int fd = openat(dfd, f->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, f->mode & 0755);
        if (fd < 0) {
            close(dfd);
            return child_fail(ce, errno, "create", f->name);
        }
        for (size_t off = 0; off < f->len;) {
            ssize_t n = write(fd, f->data + off, f->len - off);
            if (n <= 0) {
                int e = n < 0 ? errno : EIO;
                close(fd), close(dfd);
                return child_fail(ce, e, "write", f->name);
            }
            off += (size_t)n;
        }
        /* The umask did not apply to the mode we meant. */
        if (fchmod(fd, f->mode & 0755) < 0) {
            int e = errno;
            close(fd), close(dfd);
            return child_fail(ce, e, "chmod", f->name);
        }
        close(fd);
    }
    close(dfd);
    if (mount(NULL, dir, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
        return child_fail(ce, errno, "remount read-only", dir);
    return 0;
}

/* "lowerdir=/proc/self/fd/A:/proc/self/fd/B" into buf, without stdio. */
static void overlay_opts(char *buf, int a, int b)
{
    static const char pre[] = "lowerdir=/proc/self/fd/", mid[] = ":/proc/self/fd/";
    char *p = buf;
    for (const char *s = pre; *s; s++)
        *p++ = *s;
    for (int k = 0; k < 2; k++) {
        int v = k ? b : a;
        char digits[12];
        int n = 0;
        do
            digits[n++] = (char)('0' + v % 10), v /= 10;
        while (v);
        while (n)
            *p++ = digits[--n];
        if (!k)
            for (const char *s = mid; *s; s++)
                *p++ = *s;
    }
    *p = '\0';
}

/* The read-only overlay of rootfs (lower) over empty (a second, empty
 * layer), mounted at target. Its layers are named by fd: overlay shows its
 * options verbatim in /proc/self/mountinfo, which must not reveal host
 * paths. Raw calls and no allocation: init uses it too. errno on failure. */
static int mount_overlay(const char *rootfs, const char *empty_layer, const char *target)
{
    int lower = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int empty = open(empty_layer, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int e = errno, m = -1;
    if (lower >= 0 && empty >= 0) {
        char opts[96];
        overlay_opts(opts, lower, empty);
        m = mount("overlay", target, "overlay", MS_RDONLY | MS_NOSUID | MS_NODEV, opts);
        e = errno;
    }
    if (lower >= 0)
        close(lower);
    if (empty >= 0)
        close(empty);
    errno = e;
    return m;
}

int mounts_slot_root(const char *rootfs, const char *empty_layer, const char *target, nsj_error_t *err)
{
    if (mount_overlay(rootfs, empty_layer, target) < 0)
        return nsj_error_set(err, errno, "mount the overlay of %s at %s", rootfs, target);
    int dev = mounts_make_dev(err), e = errno;
    if (dev >= 0) {
        int dirfd = open(target, O_PATH | O_DIRECTORY | O_CLOEXEC);
        long m = dirfd < 0 ? -1 : syscall(SYS_move_mount, dev, "", dirfd, "dev", MOVE_MOUNT_F_EMPTY_PATH);
        e = errno;
        if (dirfd >= 0)
            close(dirfd);
        close(dev);
        if (m == 0)
            return 0;
        nsj_error_set(err, e, "attach /dev at %s/dev", target);
    }
    umount2(target, MNT_DETACH);
    errno = e;
    return -1;
}

/* mounts_root_ns's child: a vfork child sharing the caller's memory and
 * descriptor table, in a new mount and pid namespace (raw calls only). */
typedef struct root_ns_job {
    const char *root;
    int fd;                  /* out: the namespace */
    int err;
    const char *what;
} root_ns_job_t;

static int root_ns_child(void *arg)
{
    root_ns_job_t *j = arg;
    /* Nothing of the namespace is shared with the caller's: its copies of
     * the slot's root change only by being made anew. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        j->what = "make mounts private";
    else if (chdir(j->root) < 0)
        j->what = "chdir into the root";
    /* What lets a run's user namespace mount its own proc here: the kernel
     * wants a proc mount already fully visible in the mount namespace
     * (mount_too_revealing). This one is of our own pid namespace, empty
     * once we exit, and shows pid directories only (subset=pid): none. */
    else if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "subset=pid") < 0)
        j->what = "mount an empty proc (subset=pid) on its /proc";
    else if ((j->fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC)) < 0)
        j->what = "open /proc/self/ns/mnt";
    else if (syscall(SYS_pivot_root, ".", ".") < 0)
        j->what = "pivot_root";
    else if (umount2(".", MNT_DETACH) < 0)
        j->what = "detach the old root";
    else
        return 0;
    j->err = errno;
    return 1;
}

int mounts_root_ns(const char *root, nsj_error_t *err)
{
    enum { STACK = 64 << 10 };
    char *stack = malloc(STACK);
    if (!stack)
        return nsj_error_set(err, ENOMEM, "root namespace: stack");
    root_ns_job_t j = {.root = root, .fd = -1};
    /* CLONE_VFORK: we go on once it is gone, its namespace held by j.fd. */
    pid_t pid = clone(root_ns_child, stack + STACK, CLONE_VM | CLONE_VFORK | CLONE_FILES | CLONE_NEWNS | CLONE_NEWPID, &j);
    int e = errno, st = 0;
    if (pid > 0)
        while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR)
            ;
    free(stack);
    if (pid < 0)
        return nsj_error_set(err, e, "root namespace: clone");
    if (j.what || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        if (j.fd >= 0)
            close(j.fd);
        return nsj_error_set(err, j.what ? j.err : EPROTO, "root namespace of %s: %s", root,
                             j.what ? j.what : "its maker died");
    }
    return j.fd;
}

int mounts_prepare_root(const mount_plan_t *plan, child_err_t *ce)
{
    /* Nothing we mount may propagate back to the host. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return child_fail(ce, errno, "make mounts private", "/");
    /* Warm, cloned in the slot root's own namespace (mounts_root_ns): that
     * root is ours already, /dev in it, and nothing of the host is here to
     * copy, pivot from or detach; only /proc is made. */
    if (plan->rooted) {
        if (chdir("/") < 0)
            return child_fail(ce, errno, "chdir", "/");
        return setup_proc(plan, ce);
    }
    /* The root is a read-only overlay of the rootfs rather than a bind
     * mount: its own superblock gives this run (or, warm, this slot: see
     * warm.c) its own inodes, so no lock (flock, fcntl) or inotify watch on
     * a rootfs file is seen by a run beside it. The overlay is nodev,
     * nosuid and read-only throughout. A warm slot's comes made, as a
     * detached clone of the slot's (plan->rootfd); else we mount our own. */
    if (plan->rootfd >= 0) {
        /* A rootfs named by a symlink (a versioned tree swapped in) is
         * mounted where it points, as mount(2) would. */
        long m = syscall(SYS_move_mount, plan->rootfd, "", AT_FDCWD, plan->rootfs,
                         MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS);
        int e = errno;
        close(plan->rootfd);
        if (m < 0)
            return child_fail(ce, e, "attach the slot's root at", plan->rootfs);
    } else if (mount_overlay(plan->rootfs, plan->empty_layer, plan->rootfs) < 0) {
        return child_fail(ce, errno, "mount overlay of the rootfs (is something mounted inside it?)", plan->rootfs);
    }
    if (chdir(plan->rootfs) < 0)
        return child_fail(ce, errno, "chdir", plan->rootfs);
    if ((plan->rootfd < 0 && setup_dev(plan, ce) < 0) || setup_proc(plan, ce) < 0)
        return -1;
    /* pivot_root(".", ".") stacks the old root on the new one; detaching it
     * leaves nothing of the host reachable by path. */
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return child_fail(ce, errno, "pivot_root", plan->rootfs);
    if (umount2(".", MNT_DETACH) < 0)
        return child_fail(ce, errno, "detach old root", "/");
    if (chdir("/") < 0)
        return child_fail(ce, errno, "chdir", "/");
    return 0;
}

int mounts_limits_part(const mount_plan_t *plan, child_err_t *ce)
{
    /* Before /tmp: the generated /proc files' tmpfs lies under it. */
    if (setup_proc_gen(plan, ce) < 0)
        return -1;
    if (mount("tmpfs", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, plan->tmp_opts) < 0)
        return child_fail(ce, errno, "mount tmpfs", "/dev/shm");
    if (mount("tmpfs", "tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, plan->tmp_opts) < 0)
        return child_fail(ce, errno, "mount tmpfs", "/tmp");
    return 0;
}

/* In the reverse order of mounts_limits_part; nothing has used them yet. */
int mounts_unmount_limits(const mount_plan_t *plan, int rooted, child_err_t *ce)
{
    if (umount2("tmp", MNT_DETACH) < 0)
        return child_fail(ce, errno, "umount", "/tmp");
    if (umount2("dev/shm", MNT_DETACH) < 0)
        return child_fail(ce, errno, "umount", "/dev/shm");
    if (!plan->nproc_gen)
        return 0;
    for (int i = 0; i < plan->nproc_gen; i++)
        if (umount2(plan->proc_gen[i].name, MNT_DETACH) < 0 && errno != EINVAL)
            return child_fail(ce, errno, "umount", plan->proc_gen[i].name);
    /* The root's own, in a root's namespace: a copy the kernel locks to
     * what lies beneath (MNT_LOCKED), read-only, left under the spec's. */
    if (rooted && plan->proc_gen_in_root)
        return 0;
    if (umount2("tmp", MNT_DETACH) < 0)
        return child_fail(ce, errno, "umount", "/proc files");
    return 0;
}

int mounts_finish_root(const mount_plan_t *plan, const int *bindfds, child_err_t *ce)
{
    if (!plan->limits_ready && mounts_limits_part(plan, ce) < 0)
        return -1;
    if (plan->nfiles && setup_files(plan, ce) < 0)
        return -1;
    /* The binds were made by the supervisor (mounts_open_binds): the old
     * root, and every host path with it, is gone already. */
    for (size_t i = 0; i < plan->nbinds; i++) {
        const char *dst = plan->binds[i].sandbox_path + 1; /* relative to the new root, our cwd */
        if (bindfds[i] < 0 ||
            syscall(SYS_move_mount, bindfds[i], "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
            return child_fail(ce, bindfds[i] < 0 ? EPROTO : errno, "move_mount bind", plan->binds[i].sandbox_path);
        close(bindfds[i]);
    }
    return 0;
}
