/* Warm slots: a long-lived caller's runs prepared ahead, torn down behind.
 *
 * With opts.warm, every thread that calls nsj_run() gets a warm slot of its
 * own the first time (a pthread key; freed when the thread exits): a slot
 * held for the thread's life, and a preparer thread that keeps one run
 * prepared for it (run_prepare: cgroup, namespaces, maps, /dev, lo, and in
 * init the root, /dev and /proc) for the rootfs and limits of the thread's
 * last run, and tears down finished runs after their results were handed
 * back. What is made per run and what is kept is the table in launch.c's
 * theory of operation.
 *
 * Kept per slot: the network namespaces (slotnet.c), on v1 and on v2 from
 * Linux 6.12 the cgroups of finished runs (cgroup_recycle: emptied, their
 * counters reset for the next run), and the roots. A root
 * is the read-only overlay of a rootfs, mounted once by the preparer in a
 * mount namespace of its own (a thread may have one; nothing else sees
 * it) and given to each run (below), so a run no longer
 * makes an overlay superblock and its dentries and inodes afresh (~0.35 ms
 * of CPU per python run). Two per rootfs alternate, like the namespaces;
 * one serves again only after its run left nothing in flight
 * (root_release says why that is the condition). A root also carries the
 * generated /proc files for its last run's limits, on its tmp
 * (root_proc_files), which init binds rather than makes. And a mount
 * namespace of its own whose root it is (mounts_root_ns), which init is
 * cloned in: init's namespace is then a copy of the root's few mounts
 * rather than of the host's whole table, with no pivot_root and no old
 * root to detach (~0.2 ms of CPU a run less here, more on a host with more
 * mounts: make bench-mntns); without one, init gets a detached clone.
 *
 * nsj_run then only plans the spec into the prepared run's shared mapping,
 * sends sync 1b and supervises; the preparer starts on the next run at
 * once, while this one executes. A run whose rootfs differs from the
 * prepared one, whose spec does not fit the prepared arena, or that finds
 * no prepared run (the preparation failed) runs cold in the same slot. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

/* A prepared run's arena: sources and file names of any ordinary
 * submission fit; its pages are made only as used (MAP_NORESERVE). */
#define WARM_ARENA (16u << 20)
#define WARM_NETS 2
/* Roots per slot: two per rootfs (one serves a run while the next run is
 * prepared on the other) for two rootfs (a compiler's and a runtime's,
 * say); and how long one is used before it is mounted anew: a rootfs
 * changed in place (not replaced) is seen within that. */
#define SLOT_ROOTS 4
/* Kept cgroups per slot: one serves a run while the next is prepared in another. */
#define WARM_CGROUPS 2
#define SLOT_ROOT_MAX_AGE_S 60

/* A slot's root: the read-only overlay of one rootfs with its /dev (the
 * read-only tmpfs of mounts_make_dev) on it, mounted in the preparer's own
 * mount namespace (at <roots_dir>/<i>) and given to a run as a detached
 * clone (two more mounts of the same superblocks). It serves one
 * run at a time, and serves again only if that run left nothing that could
 * outlive it: see root_release. */
typedef struct slot_root {
    char rootfs[PATH_MAX];
    dev_t dev;                 /* the rootfs directory it was made of */
    ino_t ino;
    time_t made;
    unsigned long used;        /* LRU clock */
    int mounted;
    int busy;                  /* a run holds it (until root_release) */
    char *gen;                 /* the generated /proc files on its tmp (mounts_slot_proc_files), */
    size_t genlen;             /*   packed (mounts_proc_gen_pack), or NULL: none there */
    int gen_off;               /* making them failed: this root's runs make their own */
    int ns_fd;                 /* its own mount namespace (mounts_root_ns), made after its
                                * /proc files, which init is cloned in; -1 = none yet */
} slot_root_t;

typedef struct warm_slot {
    nsj_sandbox_t *sb;
    pid_t pid;                 /* the process it belongs to (see warm_slot_get) */
    slot_t slot;
    pthread_t preparer;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    run_t *ready;              /* prepared, waiting for its spec */
    int preparing;             /* the preparer is making one now */
    int failed;                /* the last preparation failed: none until asked again */
    char failure[512];         /* why */
    int failure_errno;
    run_t *done;               /* finished or unwanted runs to tear down */
    char rootfs[PATH_MAX];     /* what the next run is prepared for: the last run's */
    nsj_limits_t limits;
    int want;                  /* rootfs/limits set and a run should be kept ready */
    int running;               /* a run is being set up: preparing now would compete with it */
    int stop;
    unsigned gen;              /* run numbers (cgroup names) */
    /* Network namespaces (slotnet.c): clean ones wait here for a run; one
     * in use goes with its run and comes back only if clean. */
    int host_netns;            /* the preparer's way back from making one */
    slotnet_t *nets[WARM_NETS];
    int nnets;
    int nets_off;              /* making one failed: every run makes its own */
    /* Cgroups finished runs left, emptied and kept (cgroup_recycle) for
     * the next runs: the preparer's alone. */
    cgroup_run_t cgs[WARM_CGROUPS];
    int ncgs;
    /* Roots (the preparer's alone). */
    int roots_on;              /* the preparer has its mount namespace with roots_dir */
    int rootns_off;            /* making a root's namespace failed: runs get detached clones */
    slot_root_t roots[SLOT_ROOTS];
    unsigned long roots_clock;
} warm_slot_t;

/* The preparer's own mount namespace (a thread can have one: it stops
 * sharing its fs_struct), a slave of the host's, with a private tmpfs on
 * roots_dir: the slot's roots are mounted there, seen by nothing else. */
static int roots_init(warm_slot_t *w, nsj_error_t *err)
{
    const char *dir = w->sb->roots_dir;
    if (!dir[0])
        return nsj_error_set(err, ENOENT, "no roots directory");
    if (unshare(CLONE_NEWNS) < 0)
        return nsj_error_set(err, errno, "unshare a mount namespace");
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        return nsj_error_set(err, errno, "make mounts slaves");
    if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,nr_inodes=64,mode=0700") < 0)
        return nsj_error_set(err, errno, "mount a tmpfs on %s", dir);
    return 0;
}

typedef char root_path_t[PATH_MAX + 32];

/* Where the slot's root i is mounted (in the preparer's namespace). */
static const char *root_path(const warm_slot_t *w, int i, root_path_t path)
{
    snprintf(path, sizeof(root_path_t), "%s/%d", w->sb->roots_dir, i);
    return path;
}

/* Root i's namespace, if made: its runs hold their own copies. */
static void root_ns_drop(warm_slot_t *w, int i)
{
    if (w->roots[i].ns_fd >= 0)
        close(w->roots[i].ns_fd);
    w->roots[i].ns_fd = -1;
}

static void root_unmount(warm_slot_t *w, int i)
{
    root_path_t path;
    root_path(w, i, path);
    /* Runs that still use it keep it: their clones hold its superblock. */
    if (umount2(path, MNT_DETACH) < 0) {
        fprintf(stderr, "nsjudge: warm slot: unmount %s: %s; runs mount their own roots\n", path, strerror(errno));
        w->roots_on = 0;
    }
    w->roots[i].mounted = 0;
    root_ns_drop(w, i);
    free(w->roots[i].gen);
    w->roots[i].gen = NULL;
    w->roots[i].gen_off = 0;
}

/* The generated /proc files for limits on root i's tmp, unless they are
 * there already (the same limits as its last run's, most often): init
 * then binds them and makes no tmpfs of its own. On failure the root goes
 * without (its run's init makes them). */
static void root_proc_files(warm_slot_t *w, int i, const nsj_limits_t *limits)
{
    slot_root_t *sr = &w->roots[i];
    mount_plan_t plan = {0};
    char buf[sizeof ((run_t *)0)->pre_procbuf], packed[sizeof buf + PROC_GEN_MAX * 64];
    mounts_plan_proc(&plan, limits, w->sb->ncpus, w->sb->host_cgroups, buf, sizeof buf);
    size_t n = mounts_proc_gen_pack(&plan, packed, sizeof packed);
    if (!n || sr->gen_off || (sr->gen && sr->genlen == n && memcmp(sr->gen, packed, n) == 0))
        return;
    root_path_t path;
    nsj_error_t err;
    int was = sr->gen != NULL;
    free(sr->gen);
    sr->gen = NULL;
    /* Its namespace has the old files' tmpfs: made anew after. */
    root_ns_drop(w, i);
    if (mounts_slot_proc_files(root_path(w, i, path), &plan, was, &err) < 0) {
        /* Once per root: a rootfs without a tmp directory would say it at every run. */
        fprintf(stderr, "nsjudge: warm slot: %s; its runs make their own\n", err.msg);
        sr->gen_off = 1;
        if (was)
            root_unmount(w, i); /* its tmp is in an unknown state */
        return;
    }
    if ((sr->gen = malloc(n)) == NULL) {
        root_unmount(w, i); /* files there that nothing records */
        return;
    }
    memcpy(sr->gen, packed, n);
    sr->genlen = n;
}

/* The root for run r of rootfs: a free root of the slot's for it (one
 * made now if none is free, or the rootfs directory was replaced, or it is
 * old), held by r (r->root_index): its namespace in r->root_ns_fd (init is
 * cloned in it), or else a detached clone of it in r->root_fd; or none
 * (-1: the run's init mounts its own). */
static void root_acquire(warm_slot_t *w, run_t *r, const char *rootfs, const nsj_limits_t *limits)
{
    struct stat st;
    r->root_fd = r->root_index = r->root_ns_fd = -1;
    r->root_gen = NULL;
    if (!w->roots_on || stat(rootfs, &st) < 0)
        return;
    time_t now = time(NULL);
    int pick = -1;
    for (int i = 0; i < SLOT_ROOTS; i++) {
        slot_root_t *sr = &w->roots[i];
        if (sr->mounted && !sr->busy && strcmp(sr->rootfs, rootfs) == 0) {
            if (sr->dev == st.st_dev && sr->ino == st.st_ino && now - sr->made < SLOT_ROOT_MAX_AGE_S)
                pick = i;
            else
                root_unmount(w, i); /* replaced, or old */
        }
    }
    if (pick < 0) {
        /* A new one: in an empty place, else the least recently used free one. */
        for (int i = 0; i < SLOT_ROOTS; i++)
            if (!w->roots[i].busy && (pick < 0 || !w->roots[i].mounted ||
                                      (w->roots[pick].mounted && w->roots[i].used < w->roots[pick].used)))
                pick = i;
        if (pick < 0)
            return; /* all serve runs */
        if (w->roots[pick].mounted)
            root_unmount(w, pick);
        if (!w->roots_on)
            return;
        root_path_t path;
        root_path(w, pick, path);
        nsj_error_t err = {0};
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
            nsj_error_set(&err, errno, "mkdir %s", path);
        else
            mounts_slot_root(rootfs, w->sb->empty_layer, path, &err);
        if (err.errnum) {
            fprintf(stderr, "nsjudge: warm slot: %s; runs mount their own roots\n", err.msg);
            w->roots_on = 0;
            return;
        }
        slot_root_t *sr = &w->roots[pick];
        snprintf(sr->rootfs, sizeof sr->rootfs, "%s", rootfs);
        sr->dev = st.st_dev, sr->ino = st.st_ino, sr->made = now, sr->mounted = 1;
    }
    root_proc_files(w, pick, limits);
    slot_root_t *sr = &w->roots[pick];
    if (!sr->mounted)
        return;
    root_path_t path;
    root_path(w, pick, path);
    if (sr->ns_fd < 0 && !w->rootns_off) {
        nsj_error_t err = {0};
        if ((sr->ns_fd = mounts_root_ns(path, &err)) < 0) {
            /* Once: the kernel is not going to change its mind. */
            fprintf(stderr, "nsjudge: warm slot: %s; runs attach clones of their roots instead\n", err.msg);
            w->rootns_off = 1;
        }
    }
    if (sr->ns_fd >= 0) {
        r->root_ns_fd = sr->ns_fd;
    } else {
        r->root_fd = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (r->root_fd < 0)
            return;
    }
    w->roots[pick].busy = 1;
    w->roots[pick].used = ++w->roots_clock;
    r->root_index = pick;
    r->root_gen = w->roots[pick].gen;
    r->root_gen_len = w->roots[pick].genlen;
}

/* Run r is reaped: its root is free again if nothing of the run can have
 * outlived it. Whatever a run attaches to a root's inodes (a flock, a
 * POSIX or OFD lock, an inotify watch) lives with an open file, and every
 * process of the run is gone; a file can outlive them only in flight, as
 * an SCM_RIGHTS message queued on a unix socket, until the kernel collects
 * it. Such a socket is listed in the run's network namespace, which came
 * back clean only if none is (slotnet_clean): clean is that finding. A run
 * without a slot namespace of its own to check, or one not clean, costs
 * the root (unmounted: a new one serves the next run). */
static void root_release(warm_slot_t *w, run_t *r, int clean)
{
    int i = r->root_index;
    r->root_index = r->root_ns_fd = -1;
    r->root_gen = NULL;
    if (i < 0)
        return;
    w->roots[i].busy = 0;
    if (!clean && w->roots[i].mounted)
        root_unmount(w, i);
}

/* A slot netns for a run being prepared: a clean one kept, or a new one;
 * NULL when they are off (the run makes its own, by the netns helper). */
static slotnet_t *net_take(warm_slot_t *w)
{
    pthread_mutex_lock(&w->mu);
    slotnet_t *n = w->nnets ? w->nets[--w->nnets] : NULL;
    int off = w->nets_off || w->host_netns < 0;
    pthread_mutex_unlock(&w->mu);
    if (n || off)
        return n;
    nsj_error_t err;
    n = malloc(sizeof *n);
    if (n && slotnet_make(n, w->host_netns, &err) == 0)
        return n;
    if (n)
        fprintf(stderr, "nsjudge: warm slot: runs make their own network namespaces: %s\n", err.msg);
    free(n);
    pthread_mutex_lock(&w->mu);
    w->nets_off = 1;
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* After its run's every process is gone (run_reap): kept if clean (the
 * finding returned). */
static int net_give_back(warm_slot_t *w, slotnet_t *n)
{
    if (!n)
        return 0;
    int keep = slotnet_clean(n);
    pthread_mutex_lock(&w->mu);
    if (keep && w->nnets < WARM_NETS && !w->stop) {
        w->nets[w->nnets++] = n;
        n = NULL;
    }
    pthread_mutex_unlock(&w->mu);
    if (n) {
        slotnet_close(n);
        free(n);
    }
    return keep;
}

static void push_done(warm_slot_t *w, run_t *r)
{
    r->next = w->done;
    w->done = r;
}

/* A run's network namespace and root back to the slot, once nothing of the
 * run is left (reaped): the namespace if clean, the root if that finding
 * says nothing of the run is in flight (root_release). */
static void give_back(warm_slot_t *w, run_t *r)
{
    slotnet_t *n = r->net;
    r->net = NULL;
    run_reap(r);
    root_release(w, r, net_give_back(w, n));
}

/* A finished run's cgroup back to the slot, emptied, if it can serve again
 * (cgroup_recycle says when); else removed. */
static void cgroup_give_back(warm_slot_t *w, run_t *r)
{
    cgroup_run_t kept;
    int rc = run_recycle_cgroup(r, &kept);
    if (rc < 0) {
        /* Not emptied: the removal's own tries, and the sweep's after them. */
        if (run_remove_cgroup(r) < 0)
            fprintf(stderr, "nsjudge: warm slot teardown: %s\n", r->msg);
        return;
    }
    if (rc == 0)
        return;
    if (w->ncgs < WARM_CGROUPS && !w->stop) {
        w->cgs[w->ncgs++] = kept;
        return;
    }
    nsj_error_t err;
    if (cgroup_destroy(&kept, &err) < 0)
        fprintf(stderr, "nsjudge: warm slot teardown: %s\n", err.msg);
}

static void teardown(warm_slot_t *w, run_t *r)
{
    char msg[512];
    /* Its network namespace, root and cgroup first, once nothing of the run is left. */
    if (r->net || r->root_index >= 0)
        give_back(w, r);
    if (r->have_cg)
        cgroup_give_back(w, r);
    /* A cgroup that cannot be emptied is left to the sweep's next pass; the
     * run it belonged to has its result already. Say so where an operator
     * looks (the daemons' stderr is their journal). */
    if (run_teardown(r, msg, sizeof msg) < 0)
        fprintf(stderr, "nsjudge: warm slot teardown: %s\n", msg);
}

/* The run's set-up is over (sync 4): its program runs under its CPU
 * bandwidth limit, and the next run can be prepared beside it. */
static void set_up_done(void *ud)
{
    warm_slot_t *w = ud;
    pthread_mutex_lock(&w->mu);
    w->running = 0;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void *preparer_main(void *arg)
{
    warm_slot_t *w = arg;
    nsj_error_t rerr;
    w->roots_on = roots_init(w, &rerr) == 0;
    if (!w->roots_on && w->sb->roots_dir[0])
        fprintf(stderr, "nsjudge: warm slot: runs mount their own roots: %s\n", rerr.msg);
    pthread_mutex_lock(&w->mu);
    for (;;) {
        if (!w->stop && w->want && !w->ready && !w->failed && !w->running) {
            /* A finished run's network namespace, root and cgroup are
             * worth taking back before making another (its reap is all
             * they need first). */
            run_t *held = w->done;
            while (held && !held->net && held->root_index < 0 && !held->have_cg)
                held = held->next;
            if (held) {
                pthread_mutex_unlock(&w->mu);
                if (held->net || held->root_index >= 0)
                    give_back(w, held);
                if (held->have_cg)
                    cgroup_give_back(w, held);
                pthread_mutex_lock(&w->mu);
                continue;
            }
            char rootfs[PATH_MAX];
            nsj_limits_t limits = w->limits;
            snprintf(rootfs, sizeof rootfs, "%s", w->rootfs);
            unsigned gen = w->gen++;
            w->preparing = 1;
            pthread_mutex_unlock(&w->mu);
            run_t *r = run_new(w->sb, WARM_ARENA, 1);
            int rc = -1;
            if (r) {
                r->slot = w->slot;
                r->gen = gen;
                if ((r->net = net_take(w)) != NULL)
                    r->netns_fd = r->net->fd;
                root_acquire(w, r, rootfs, &limits);
                if (w->ncgs > 0)
                    r->kept_cg = w->cgs[--w->ncgs];
                rc = run_prepare(r, rootfs, &limits);
            }
            pthread_mutex_lock(&w->mu);
            w->preparing = 0;
            if (rc == 0 && strcmp(rootfs, w->rootfs) == 0 && !w->stop)
                w->ready = r;
            else if (r)
                push_done(w, r);
            w->failed = rc < 0;
            if (rc < 0) {
                snprintf(w->failure, sizeof w->failure, "warm slot: prepare a run: %.400s", r ? r->msg : "out of memory");
                w->failure_errno = r ? r->msg_errno : ENOMEM;
            }
            pthread_cond_broadcast(&w->cv);
            continue;
        }
        if (w->done && !w->running) {
            run_t *r = w->done;
            w->done = r->next;
            pthread_mutex_unlock(&w->mu);
            teardown(w, r);
            pthread_mutex_lock(&w->mu);
            continue;
        }
        if (w->stop)
            break;
        pthread_cond_wait(&w->cv, &w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void warm_slot_free(void *arg)
{
    warm_slot_t *w = arg;
    if (w->pid != getpid())
        return; /* a forked child's copy: its parent's to free */
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    if (w->ready)
        push_done(w, w->ready), w->ready = NULL;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->preparer, NULL);
    for (int i = 0; i < w->ncgs; i++) {
        nsj_error_t err;
        if (cgroup_destroy(&w->cgs[i], &err) < 0)
            fprintf(stderr, "nsjudge: warm slot: %s\n", err.msg);
    }
    for (int i = 0; i < w->nnets; i++) {
        slotnet_close(w->nets[i]);
        free(w->nets[i]);
    }
    if (w->host_netns >= 0)
        close(w->host_netns);
    slot_release(&w->slot);
    /* The roots went with the preparer's mount namespace. */
    for (int i = 0; i < SLOT_ROOTS; i++) {
        free(w->roots[i].gen);
        root_ns_drop(w, i);
    }
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

static warm_slot_t *warm_slot_get(nsj_sandbox_t *sb, nsj_error_t *err)
{
    warm_slot_t *w = pthread_getspecific(sb->warm_key);
    /* A child forked by this thread inherits the pointer but neither the
     * preparer thread nor the prepared run's children, and shares the
     * slot's lock: it gets a warm slot of its own (the copy is left alone). */
    if (w && w->pid == getpid())
        return w;
    w = calloc(1, sizeof *w);
    if (!w) {
        nsj_error_set(err, ENOMEM, "warm slot");
        return NULL;
    }
    w->sb = sb;
    w->pid = getpid();
    for (int i = 0; i < SLOT_ROOTS; i++)
        w->roots[i].ns_fd = -1;
    /* Only a slot free now: a thread that finds none runs cold (waiting for
     * a slot run by run) rather than hold one idle that a run elsewhere
     * waits for. */
    if (slot_acquire_within(&sb->slots, 0, &w->slot, err) < 0) {
        free(w);
        return NULL;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->host_netns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int e = pthread_create(&w->preparer, NULL, preparer_main, w);
    if (e) {
        if (w->host_netns >= 0)
            close(w->host_netns);
        slot_release(&w->slot);
        free(w);
        nsj_error_set(err, e, "warm slot: start its preparer thread");
        return NULL;
    }
    pthread_setspecific(sb->warm_key, w);
    return w;
}

/* A run that found nothing prepared for it: made and removed here, in the
 * warm slot, as a cold run. */
static int run_cold_in_slot(warm_slot_t *w, const nsj_run_spec_t *spec, nsj_result_t *res, int *retry)
{
    run_t *r = run_new(w->sb, run_spec_bytes(spec), 0);
    if (!r) {
        res->verdict = NSJ_VERDICT_INTERNAL_ERROR;
        snprintf(res->message, sizeof res->message, "out of memory");
        return -1;
    }
    r->slot = w->slot;
    pthread_mutex_lock(&w->mu);
    r->gen = w->gen++;
    pthread_mutex_unlock(&w->mu);
    int rc = -1;
    if (run_plan(r, spec) == 0 && run_prepare(r, spec->rootfs, &spec->limits) == 0)
        rc = run_execute(r);
    if (run_remove_cgroup(r) < 0)
        rc = -1;
    rc = run_result(r, rc, res, retry);
    run_teardown(r, NULL, 0);
    return rc;
}

int warm_run(nsj_sandbox_t *sb, const nsj_run_spec_t *spec, nsj_result_t *res, int *retry)
{
    nsj_result_init(res);
    *retry = 0;
    nsj_error_t err;
    warm_slot_t *w = warm_slot_get(sb, &err);
    if (!w)
        return run_cold(sb, spec, res, retry);
    run_t *r = NULL;
    int same = spec->rootfs && strcmp(spec->rootfs, w->rootfs) == 0;
    pthread_mutex_lock(&w->mu);
    /* One being prepared (or about to be) for this rootfs is nearer than a cold run. */
    while (same && w->want && !w->ready && !w->failed)
        pthread_cond_wait(&w->cv, &w->mu);
    if (w->ready && same && run_spec_bytes(spec) <= w->ready->arena_cap - w->ready->arena_used)
        r = w->ready;
    else if (w->ready)
        push_done(w, w->ready); /* prepared for another rootfs (or too small): unwanted */
    w->ready = NULL;
    /* The next run is prepared for this one's rootfs and limits, starting now. */
    if (spec->rootfs && strlen(spec->rootfs) < sizeof w->rootfs) {
        snprintf(w->rootfs, sizeof w->rootfs, "%s", spec->rootfs);
        w->limits = spec->limits;
        w->want = 1;
    }
    w->failed = 0;
    w->running = 1;
    pthread_mutex_unlock(&w->mu);
    if (!r) {
        int rc = run_cold_in_slot(w, spec, res, retry);
        set_up_done(w);
        return rc;
    }

    int rc = -1;
    r->on_exec = set_up_done;
    r->on_exec_ud = w;
    if (run_plan(r, spec) == 0)
        rc = run_execute(r);
    rc = run_result(r, rc, res, retry);
    /* Behind the result: killing what is left, removing the cgroup, the
     * mapping (the preparer does it). */
    pthread_mutex_lock(&w->mu);
    push_done(w, r);
    w->running = 0; /* a run that never reached sync 4 */
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int nsj_sandbox_prepare(nsj_sandbox_t *sb, const char *rootfs, const nsj_limits_t *limits, nsj_error_t *err)
{
    if (!sb->warm)
        return nsj_error_set(err, EINVAL, "warm slots are off (opts.warm)");
    if (!rootfs || strlen(rootfs) >= PATH_MAX)
        return nsj_error_set(err, EINVAL, "prepare: rootfs must be a path");
    warm_slot_t *w = warm_slot_get(sb, err);
    if (!w)
        return -1;
    pthread_mutex_lock(&w->mu);
    if (w->ready && strcmp(w->rootfs, rootfs) != 0)
        push_done(w, w->ready), w->ready = NULL;
    snprintf(w->rootfs, sizeof w->rootfs, "%s", rootfs);
    w->limits = *limits;
    w->want = 1;
    w->failed = 0;
    pthread_cond_broadcast(&w->cv);
    while (!w->ready && !w->failed)
        pthread_cond_wait(&w->cv, &w->mu);
    int rc = 0;
    if (!w->ready)
        rc = nsj_error_set(err, w->failure_errno, "%s", w->failure);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

void nsj_sandbox_release_warm(nsj_sandbox_t *sb)
{
    if (!sb->warm)
        return;
    warm_slot_t *w = pthread_getspecific(sb->warm_key);
    pthread_setspecific(sb->warm_key, NULL);
    if (w)
        warm_slot_free(w);
}

int warm_init(nsj_sandbox_t *sb, nsj_error_t *err)
{
    int e = pthread_key_create(&sb->warm_key, warm_slot_free);
    if (e)
        return nsj_error_set(err, e, "warm slots: pthread_key_create");
    return 0;
}

void warm_fini(nsj_sandbox_t *sb)
{
    /* The calling thread's own warm slot; other threads' went with them. */
    nsj_sandbox_release_warm(sb);
    pthread_key_delete(sb->warm_key);
}
