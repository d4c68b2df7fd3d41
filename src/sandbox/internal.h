/* Internal interfaces between the sandbox's modules (one file per concern).
 *
 * Functions with a child_ prefix, and the userns_enter, mounts_*_root,
 * caps_ and limits_apply functions, run in init or the program before its
 * execve, which share the memory of a possibly multi-threaded supervisor
 * (carrier.c): they may only use system calls and memory prepared by the
 * parent (no malloc, no stdio, no locks, no writes to globals), and report
 * failure through a child_err_t. */
#ifndef NSJ_SANDBOX_INTERNAL_H
#define NSJ_SANDBOX_INTERNAL_H

#include <linux/filter.h>
#include <stdint.h>
#include <sys/types.h>

#include "nsjudge/sandbox.h"

/* ---- child-side error report (travels over the sync socket) ---- */

typedef struct child_err {
    int err;           /* errno */
    char text[240];    /* "step: detail" */
} child_err_t;

/* Record a failed step (errno taken from the caller) without allocating; returns -1. */
int child_fail(child_err_t *ce, int errnum, const char *step, const char *detail);

/* ---- cgroups: one per run, new or (warm) recycled (cgroup.c, cgroup_v1.c, cgroup_v2.c) ---- */

typedef struct cgroup_evidence {
    uint64_t cpu_ns;          /* CPU time of the whole cgroup */
    uint64_t peak_bytes;      /* peak memory (0 when the kernel cannot tell) */
    uint64_t oom_kills;       /* OOM kills inside the cgroup */
    uint64_t pids_max_hits;   /* fork/clone refused by pids.max */
} cgroup_evidence_t;

typedef struct cgroup_backend cgroup_backend_t;

#define CGROUP_MAX_DIRS 4     /* v1: memory, cpu, cpuacct, pids */
#define CGROUP_MAX_FILES 12

typedef struct cgroup_run {
    const cgroup_backend_t *be;
    char name[64];                 /* run-<supervisor pid>-<slot>-<run number> */
    int dirfd[CGROUP_MAX_DIRS];    /* v2: [0] only; v1: one per hierarchy */
    int ndirs;
    int joinfd[CGROUP_MAX_DIRS];   /* v1: each hierarchy's "tasks", opened by the parent */
    int njoin;
    /* A recycled cgroup (cgroup_reuse): what earlier runs left in the
     * counters that cannot be reset, taken off this run's evidence. */
    uint64_t base_usage;           /* bytes still charged when this run got it */
    uint64_t base_oom;             /* OOM kills counted before */
    uint64_t base_pids;            /* pids.max refusals counted before */
    uint64_t base_cpu_ns;          /* v2: CPU time counted before (v1 resets cpuacct.usage) */
    int filefd[CGROUP_MAX_FILES];  /* the files every run writes or reads, open for the
                                    * cgroup's life (v1_files, v2_files), -1 = none */
} cgroup_run_t;

/* An empty cgroup_run_t: no directory, no fd. */
void cgroup_run_clear(cgroup_run_t *run);
/* Find the back end to use (v2 first) and prepare the parent cgroup. */
int cgroup_backend_open(nsj_cgroup_mode_t mode, const char *parent, cgroup_backend_t **out, nsj_error_t *err);
void cgroup_backend_close(cgroup_backend_t *be);
/* Remove run cgroups whose supervisor pid is gone; returns how many. */
int cgroup_backend_sweep(const cgroup_backend_t *be);
const char *cgroup_backend_name(const cgroup_backend_t *be);

/* Make the run's cgroup (named after the caller's pid, the run's slot and
 * the slot's run number gen) and write its limits. */
int cgroup_create(const cgroup_backend_t *be, const nsj_limits_t *l, unsigned slot, unsigned gen, cgroup_run_t *run,
                  nsj_error_t *err);
/* Write the limits again (a warm run whose limits differ from its cgroup's). */
int cgroup_set_limits(const cgroup_run_t *run, const nsj_limits_t *l, nsj_error_t *err);
/* The directory fd for clone3(CLONE_INTO_CGROUP), or -1 when the pid must be attached after clone. */
int cgroup_clone_fd(const cgroup_run_t *run);
/* How the cloned child gets into the run's cgroup. */
typedef enum cgroup_join {
    CGROUP_JOIN_AT_CLONE,   /* v2: clone3(CLONE_INTO_CGROUP) */
    CGROUP_JOIN_SELF,       /* v1: the child writes "0" to joinfd[] (cgroup_join_self) */
    CGROUP_JOIN_BY_PARENT,  /* v2 before Linux 5.7: cgroup_attach() after clone */
} cgroup_join_t;
cgroup_join_t cgroup_backend_join_method(const cgroup_backend_t *be);
/* Parent: move pid into the run's cgroup (CGROUP_JOIN_BY_PARENT). */
int cgroup_attach(const cgroup_run_t *run, pid_t pid, nsj_error_t *err);
/* Child: move itself into the run's cgroups through the fds the parent
 * opened. Moving only oneself lets the kernel skip the global
 * cgroup_threadgroup_rwsem write lock, whose RCU grace period costs
 * 5-13 ms per run when a parent moves a child (measured on this host). */
int cgroup_join_self(const int *fds, int n, child_err_t *ce);
/* Parent: close the join fds once the child has its copies. */
void cgroup_close_join(cgroup_run_t *run);
/* CPU time used so far by the whole cgroup. */
int cgroup_cpu_ns(const cgroup_run_t *run, uint64_t *ns);
/* Read the kernel's evidence: OOM kills, pids.max refusals, peak memory, CPU. */
int cgroup_read_evidence(const cgroup_run_t *run, cgroup_evidence_t *ev, nsj_error_t *err);
/* Kill everything left in the cgroup, confirm it is empty, remove it. */
int cgroup_destroy(cgroup_run_t *run, nsj_error_t *err);
/* Kill everything left in a finished run's cgroup and confirm it is empty;
 * then keep it for another run of the same slot (1: run stays valid, its
 * join fds closed) if the back end can reset it and the run left at most
 * CGROUP_RECYCLE_MAX bytes charged to it, else remove it (0). <0 + err
 * when it cannot be emptied (run still valid: cgroup_destroy it). Call
 * after the run's mount namespace is gone (its tmpfs uncharged). */
#define CGROUP_RECYCLE_MAX (1u << 20)
int cgroup_recycle(cgroup_run_t *run, nsj_error_t *err);
/* A cgroup kept by cgroup_recycle for a new run: its counters reset (or
 * their leftovers noted, see cgroup_run_t), the limits l written (the
 * memory limit raised by what is still charged), the join fds opened.
 * Takes kept (left empty); on failure kept is removed and <0 + err. */
int cgroup_reuse(cgroup_run_t *kept, const nsj_limits_t *l, cgroup_run_t *run, nsj_error_t *err);

/* ---- slots (slot.c): one per concurrently running sandbox on the host ---- */

typedef struct slot_table {
    int dirfd;               /* <run_dir>/slots */
    unsigned n;              /* slots 0..n-1 */
    uint32_t uid_base;
    unsigned wait_ms;        /* how long a run waits for a free slot */
    _Atomic unsigned hint;   /* where the next search starts */
} slot_table_t;

typedef struct slot {
    int index;               /* -1 = none held */
    int lockfd;              /* holds the flock */
    uint32_t root_id;        /* host uid/gid of ns 0 (init; owns the user namespace) */
    uint32_t prog_id;        /* host uid/gid of ns 1000 (the program) */
} slot_t;

/* mkdir a root-owned directory (or check an existing one) and give it mode. */
int slot_mkdir_private(const char *path, mode_t mode, nsj_error_t *err);
/* Make (root-owned, 0700) and open <run_dir>/slots; run_dir is 0711. */
int slot_table_open(slot_table_t *t, const char *run_dir, unsigned nslots, uint32_t uid_base, unsigned wait_ms,
                    nsj_error_t *err);
void slot_table_close(slot_table_t *t);
/* Take a free slot, waiting up to wait_ms for one. */
int slot_acquire(slot_table_t *t, slot_t *s, nsj_error_t *err);
/* The same, waiting at most wait_ms (0: take one only if free now). */
int slot_acquire_within(slot_table_t *t, unsigned wait_ms, slot_t *s, nsj_error_t *err);
void slot_release(slot_t *s);

/* ---- scratch mounts (scratch.c) ---- */

/* Make (root-owned, 0711: runs traverse it, nobody lists it) and open <run_dir>/scratch. */
int scratch_open_dir(const char *run_dir, int *dirfd, nsj_error_t *err);
/* Remove scratch mounts whose owner died (their lock is free); returns how many. */
int scratch_sweep(int parent_fd);

/* ---- seccomp (seccomp.c): policy file -> BPF, compiled once ---- */

typedef struct seccomp_prog {
    struct sock_filter *insns;
    unsigned short len;
} seccomp_prog_t;

/* Parse a policy file and compile it to BPF for the native architecture. */
int seccomp_policy_compile(const char *path, seccomp_prog_t *out, nsj_error_t *err);
void seccomp_prog_free(seccomp_prog_t *p);
/* Child: install the filter with a user-notification listener; returns the listener fd. */
int seccomp_policy_load(const seccomp_prog_t *p, child_err_t *ce);
/* Parent: read one notification; names the blocked syscall ("ptrace", "i386:getpid"). */
int seccomp_notify_read(int listener, char *name, size_t cap, pid_t *pid);

/* ---- user namespace (ns.c) ---- */

/* Parent: map ns uid/gid 0 -> the slot's root id and 1000 -> its program id for pid. */
int userns_write_maps(pid_t pid, const slot_t *slot, nsj_error_t *err);
/* Child: become ns root (mapped) and drop inherited supplementary groups. */
int userns_enter(child_err_t *ce);
/* Child: become the unprivileged sandbox user (uid/gid 1000). */
int userns_become_sandbox_user(child_err_t *ce);

/* ---- mounts (mounts.c) ---- */

/* A /proc file replaced by generated text (the run's own view). */
typedef struct proc_file {
    const char *name;         /* relative to the new root: "proc/meminfo" */
    const char *data;
    size_t len;
} proc_file_t;

#define PROC_GEN_MAX 4
#define MOUNT_MAX_BINDS 8         /* they travel with sync 1b */

typedef struct mount_plan {
    const char *rootfs;
    const char *empty_layer;  /* the overlay root's second, empty layer */
    int devfd;                /* the private /dev (mounts_make_dev), in init */
    int rootfd;               /* in init: the warm slot's root, a detached clone (warm.c), or -1 */
    int rooted;               /* in init: cloned in the warm slot root's namespace (mounts_root_ns) */
    const nsj_bind_t *binds;
    size_t nbinds;
    const nsj_file_t *files;
    size_t nfiles;
    const char *files_dir;    /* relative to the new root ("code") */
    char tmp_opts[96];        /* tmpfs options for /tmp and /dev/shm */
    char files_opts[96];      /* tmpfs options for files_dir */
    proc_file_t proc_gen[PROC_GEN_MAX]; /* generated /proc files */
    int nproc_gen;
    int limits_ready;         /* sync 1b (warm): the premounted limits' part is the spec's */
    int proc_gen_in_root;     /* warm: the generated files are tmp/f0.. of the slot's root already */
    uint32_t proc_masks_absent; /* masked /proc files this kernel lacks (mounts_proc_masks_absent) */
} mount_plan_t;

/* Parent: generate the run's /proc files (meminfo with its memory limit,
 * stat and loadavg with no host activity, cgroups with no host counts)
 * into buf, pointing plan->proc_gen at them. host_cgroups is the host's
 * /proc/cgroups rewritten once (mounts_host_cgroups). */
void mounts_plan_proc(mount_plan_t *plan, const nsj_limits_t *l, unsigned ncpus, const char *host_cgroups,
                      char *buf, size_t cap);
/* Parent, once: which of the masked /proc files this kernel lacks (bit i:
 * the i-th), so that init skips their lookups; 0 masks them all. */
uint32_t mounts_proc_masks_absent(void);
/* Parent (a warm slot's preparer): the generated files of plan, as
 * tmp/f0.. of the slot's root at root: a new read-only tmpfs on its tmp
 * (the one there before, if mounted, detached). */
int mounts_slot_proc_files(const char *root, const mount_plan_t *plan, int mounted, nsj_error_t *err);
/* The generated files' names and contents packed into out (to compare a
 * run's with a slot root's); the bytes used, or 0 when cap is too small. */
size_t mounts_proc_gen_pack(const mount_plan_t *plan, char *out, size_t cap);
/* Parent, once: the host's /proc/cgroups with every num_cgroups set to 1. */
void mounts_host_cgroups(char *out, size_t cap);

/* Parent: a detached, read-only tmpfs holding the sandbox's /dev (null,
 * zero, full, random, urandom, std* links, shm/), made as real root so its
 * devices work inside the user namespace; returns its mount fd. */
int mounts_make_dev(nsj_error_t *err);
/* Parent: each bind as a detached mount (open_tree, its flags set), in
 * fds[0..nbinds-1], for init to attach after the old root is gone. */
int mounts_open_binds(const mount_plan_t *plan, int *fds, nsj_error_t *err);
/* Parent (a warm slot's preparer, in its own mount namespace): the
 * read-only overlay of rootfs that is the root, mounted at target, with
 * the private /dev (mounts_make_dev) on its /dev. */
int mounts_slot_root(const char *rootfs, const char *empty_layer, const char *target, nsj_error_t *err);
/* Parent (a warm slot's preparer): a mount namespace whose root is the
 * slot's root mounted at root (its copies of the root's mounts private),
 * with an empty proc (subset=pid, of a pid namespace gone with its maker)
 * on its /proc, so that a run's user namespace may mount its own there;
 * its fd, or -1 with err. A run cloned in it has nothing of the host's
 * mount table to copy or detach. */
int mounts_root_ns(const char *root, nsj_error_t *err);
/* Child, before the spec is known: the overlay of the rootfs and its /dev
 * (or the slot's root, plan->rootfd, /dev in it, attached there), /proc (with the user
 * namespace's caps and the masked files), then pivot_root into it and
 * detach the old root (cwd: the new /); or, plan->rooted, /proc alone.
 * Uses plan->rootfs, empty_layer, rootfd, rooted and devfd only. */
int mounts_prepare_root(const mount_plan_t *plan, child_err_t *ce);
/* Child: the part of the root that only the limits decide: generated
 * /proc files, /dev/shm and /tmp. A warm run's init mounts it before the
 * spec for the limits it was prepared with; mounts_unmount_limits undoes
 * that when the spec's limits differ (rooted: all but the slot root's
 * /proc files, which stay beneath). */
int mounts_limits_part(const mount_plan_t *plan, child_err_t *ce);
int mounts_unmount_limits(const mount_plan_t *plan, int rooted, child_err_t *ce);
/* Child, with the spec: the limits' part (unless plan->limits_ready), the
 * files, the binds (from mounts_open_binds). */
int mounts_finish_root(const mount_plan_t *plan, const int *bindfds, child_err_t *ce);

/* ---- capabilities (caps.c, raw system calls) ---- */

/* Child: drop the bounding and ambient sets and lock securebits (needs CAP_SETPCAP). */
int caps_drop_bounding(child_err_t *ce);
/* Child: clear permitted, effective and inheritable sets. */
int caps_clear(child_err_t *ce);

/* ---- network (net.c, libnl-route) ---- */

/* Parent: bring up "lo" through a NETLINK_ROUTE socket created inside the sandbox's netns. */
int net_bring_up_lo(int nl_fd, nsj_error_t *err);

/* ---- a warm slot's reusable network namespaces (slotnet.c) ---- */

#define SLOTNET_FILES 5
#define SLOTNET_STATE 1024

typedef struct slotnet {
    int fd;                                  /* the namespace (its ns file), -1 = none */
    int files[SLOTNET_FILES];                /* its net/dev, sockstat, sockstat6, ip6_flowlabel, unix */
    char base[SLOTNET_FILES][SLOTNET_STATE]; /* their per-namespace figures when made */
} slotnet_t;

void slotnet_init(slotnet_t *n);
/* Make one (host-owned, lo up) from the calling thread, which goes back to
 * host_netns after. <0 with err. */
int slotnet_make(slotnet_t *n, int host_netns, nsj_error_t *err);
/* 1 when it is as made (a run that used no network left it so): reusable. */
int slotnet_clean(const slotnet_t *n);
void slotnet_close(slotnet_t *n);

/* ---- rlimits (limits.c) ---- */

typedef struct rlimit_plan {
    int resource[8];
    uint64_t value[8];
    int n;
} rlimit_plan_t;

/* Parent: the rlimits a run gets from its limits. */
void limits_plan(const nsj_limits_t *l, rlimit_plan_t *plan);
/* Child: apply the plan. */
int limits_apply(const rlimit_plan_t *plan, child_err_t *ce);

/* ---- the transcript relay of interactive runs (relay.c) ---- */

typedef struct relay relay_t;

/* Relay prog_out -> inter_in and inter_out -> prog_in on a thread of its
 * own, keeping the first max bytes of the exchange (a "--- program:" or
 * "--- interactor:" line where the direction changes). Takes the four fds
 * (closed as each direction ends, or on failure). */
int relay_start(int prog_out, int inter_in, int inter_out, int prog_in, size_t max, relay_t **out, nsj_error_t *err);
/* Wait until both directions ended (both programs' ends closed); the
 * transcript is the caller's to free. */
void relay_finish(relay_t *r, char **transcript, size_t *len, int *truncated);

/* ---- verdict (verdict.c): pure decision from the collected facts ---- */

typedef enum kill_reason {
    KILL_NONE = 0,
    KILL_WALL,
    KILL_CPU,
    KILL_OUTPUT,
    KILL_SECCOMP,
    KILL_CANCEL,
    KILL_IDLE,
} kill_reason_t;

typedef struct run_facts {
    int internal_error;
    kill_reason_t killed;
    int have_status;          /* the program's wait status is known */
    int status;               /* waitpid() status of the program */
    cgroup_evidence_t cg;
    uint64_t cpu_limit_ms, wall_limit_ms, wall_ms;
    uint64_t memory_limit;    /* bytes */
    const char *blocked_syscall;
    int out_over, err_over;   /* which stream overflowed */
    uint64_t output_limit;
} run_facts_t;

/* Fill verdict, time_kind, exit_code, signal and evidence from the facts. */
void verdict_decide(const run_facts_t *f, nsj_result_t *res);
/* Append one fact to res->evidence ("; " between facts; dropped when full). */
void verdict_add_evidence(nsj_result_t *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
