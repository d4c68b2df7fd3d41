/* mntns: what a run's mount namespace costs made as a cold run makes it
 * (and a warm run did until 4adf990: "today" below), against
 * one cloned from a namespace whose root is already the run's root.
 *
 *   mntns ROOTFS CLONES BLOCKS [EXTRA_MOUNTS]
 *
 * Everything happens in a private mount namespace of this process's own
 * (a copy of the host's mount table; EXTRA_MOUNTS small tmpfs added to it
 * stand for a host with more mounts), so the host's table is not changed.
 * Per clone:
 *   today:  a detached clone of ROOTFS's bind mount (open_tree), then a
 *           child in a new mount namespace (a copy of the whole table) that
 *           makes it private, attaches the root, pivot_root(".", "."),
 *           detaches the old root, exits;
 *   rootns: setns into a namespace whose root is that bind mount (made
 *           once), a child in a new mount namespace (a copy of the root
 *           alone) that makes it private and exits, setns back.
 * The two alternate block by block; each block's line gives the wall time
 * and the CPU time of all CPUs (/proc/stat, so the kernel's deferred work
 * is counted) per clone. Needs root. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif

static char root_dir[] = "/tmp/nsjudge-mntns.XXXXXX";
static int tree_fd = -1;
static pid_t holder;         /* the process holding the root's namespace */
static int extra_made;       /* directories root_dir-<i> made */
static char child_stack[64 << 10] __attribute__((aligned(16)));

static long cpu_ticks(void)
{
    long u = 0, n = 0, s = 0, idle = 0, io = 0, irq = 0, sirq = 0;
    FILE *f = fopen("/proc/stat", "r");
    if (!f || fscanf(f, "cpu %ld %ld %ld %ld %ld %ld %ld", &u, &n, &s, &idle, &io, &irq, &sirq) != 7) {
        fprintf(stderr, "mntns: cannot read /proc/stat\n");
        exit(1);
    }
    fclose(f);
    return u + n + s + irq + sirq;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int child_today(void *arg)
{
    (void)arg;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        _exit(10);
    if (syscall(SYS_move_mount, tree_fd, "", AT_FDCWD, root_dir, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        _exit(11);
    if (chdir(root_dir) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
        _exit(12);
    if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        _exit(13);
    _exit(0);
}

static int child_rootns(void *arg)
{
    (void)arg;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || chdir("/") < 0)
        _exit(20);
    _exit(0);
}

static pid_t clone_today(void)
{
    tree_fd = (int)syscall(SYS_open_tree, AT_FDCWD, root_dir, OPEN_TREE_CLONE | AT_RECURSIVE | O_CLOEXEC);
    if (tree_fd < 0)
        return -1;
    pid_t p = clone(child_today, child_stack + sizeof child_stack, CLONE_NEWNS | SIGCHLD, NULL);
    close(tree_fd);
    return p;
}

static pid_t clone_rootns(int rootns, int home)
{
    if (setns(rootns, CLONE_NEWNS) < 0)
        return -1;
    pid_t p = clone(child_rootns, child_stack + sizeof child_stack, CLONE_NEWNS | SIGCHLD, NULL);
    if (setns(home, CLONE_NEWNS) < 0) {
        perror("mntns: setns back");
        exit(1);
    }
    return p;
}

/* At every exit once root_dir exists: nothing left on the host's /tmp, no
 * holder left waiting (the mounts go with our namespace). */
static void cleanup(void)
{
    if (holder > 0) {
        kill(holder, SIGKILL);
        waitpid(holder, NULL, 0);
    }
    umount2(root_dir, MNT_DETACH);
    rmdir(root_dir);
    for (int i = 0; i < extra_made; i++) {
        char d[64];
        snprintf(d, sizeof d, "%s-%d", root_dir, i);
        umount2(d, MNT_DETACH);
        rmdir(d);
    }
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: mntns ROOTFS CLONES BLOCKS [EXTRA_MOUNTS]\n");
        return 2;
    }
    int n = atoi(argv[2]), blocks = atoi(argv[3]), extra = argc > 4 ? atoi(argv[4]) : 0;
    if (n < 1 || blocks < 1 || extra < 0) {
        fprintf(stderr, "mntns: CLONES and BLOCKS >= 1, EXTRA_MOUNTS >= 0\n");
        return 2;
    }
    if (!mkdtemp(root_dir)) {
        perror("mntns: mkdtemp");
        return 1;
    }
    atexit(cleanup);
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        perror("mntns: a mount namespace of our own");
        return 1;
    }
    if (mount(argv[1], root_dir, NULL, MS_BIND | MS_REC, NULL) < 0) {
        fprintf(stderr, "mntns: bind %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    for (int i = 0; i < extra; i++) {
        char d[64];
        snprintf(d, sizeof d, "%s-%d", root_dir, i);
        if (mkdir(d, 0700) < 0 && errno != EEXIST) {
            fprintf(stderr, "mntns: mkdir %s: %s\n", d, strerror(errno));
            return 1;
        }
        extra_made = i + 1;
        if (mount("tmpfs", d, "tmpfs", 0, "size=64k") < 0) {
            fprintf(stderr, "mntns: extra mount %s: %s\n", d, strerror(errno));
            return 1;
        }
    }
    int lines = 0;
    FILE *mi = fopen("/proc/self/mountinfo", "r");
    for (int c; mi && (c = fgetc(mi)) != EOF;)
        lines += c == '\n';
    if (mi)
        fclose(mi);
    int home = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
    /* The namespace whose root is the bind mount: a child pivots into it and waits. */
    int ready[2];
    if (home < 0 || pipe(ready) < 0) {
        perror("mntns: our namespace's fd, or a pipe");
        return 1;
    }
    holder = fork();
    if (holder == 0) {
        if (unshare(CLONE_NEWNS) < 0 || chdir(root_dir) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
            umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
            _exit(1);
        if (write(ready[1], "r", 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    char c, path[64];
    if (holder < 0 || read(ready[0], &c, 1) != 1) {
        fprintf(stderr, "mntns: the root's namespace could not be made\n");
        return 1;
    }
    snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)holder);
    int rootns = open(path, O_RDONLY | O_CLOEXEC);
    if (rootns < 0) {
        fprintf(stderr, "mntns: open %s: %s\n", path, strerror(errno));
        return 1;
    }
    printf("mount namespace of %d mounts copied per clone today; %d clones a block\n", lines, n);
    long tick = sysconf(_SC_CLK_TCK);
    int rc = 0;
    for (int b = 0; b < blocks && rc == 0; b++)
        for (int v = 0; v < 2 && rc == 0; v++) {
            long c0 = cpu_ticks();
            double t0 = now_s();
            for (int i = 0; i < n; i++) {
                pid_t p = v == 0 ? clone_today() : clone_rootns(rootns, home);
                int st;
                if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                    fprintf(stderr, "mntns: %s clone failed (%s)\n", v ? "rootns" : "today", strerror(errno));
                    rc = 1;
                    break;
                }
            }
            double wall = now_s() - t0;
            usleep(200000); /* the kernel's deferred work (RCU callbacks, mntput) */
            long cpu = cpu_ticks() - c0;
            printf("%-6s %.0f us wall, %.0f us CPU (all CPUs) a clone\n", v ? "rootns" : "today", wall / n * 1e6,
                   (double)cpu * 1e6 / (double)tick / n);
        }
    return rc;
}
