/* One run's state, shared by launch.c (set-up, child side) and
 * supervise.c (the event loop). */
#ifndef NSJ_SANDBOX_RUN_H
#define NSJ_SANDBOX_RUN_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "internal.h"

/* Carriers (carrier.c): the threads whose vfork children the runs' inits
 * are, each with the stacks of its run. */
typedef struct carrier carrier_t;
typedef struct carrier_pool {
    pthread_mutex_t mu;
    carrier_t *all;
    pid_t owner;             /* the process whose threads they are */
} carrier_pool_t;
typedef enum carrier_stack {
    CARRIER_INIT_STACK,
    CARRIER_PROG_STACK,
    CARRIER_THREAD_STACK,        /* init's thread that vforks the prepared program */
    CARRIER_HELPER_THREAD_STACK, /* init's thread that vforks the netns helper */
} carrier_stack_t;

struct nsj_sandbox {
    int warm;                /* opts.warm: each calling thread keeps a warm slot (warm.c) */
    pthread_key_t warm_key;  /* that thread's warm_slot_t */
    _Atomic unsigned run_gen;/* numbers cold runs' cgroups */
    seccomp_prog_t prog;
    cgroup_backend_t *cg;
    slot_table_t slots;
    int scratch_dirfd;       /* <run_dir>/scratch */
    unsigned ncpus;
    char empty_layer[4096];  /* an empty directory: the overlay root's second layer */
    char roots_dir[4096];    /* <run_dir>/roots: where warm slots mount their roots, privately */
    char host_cgroups[4096]; /* the host's /proc/cgroups, counts hidden (mounts_host_cgroups) */
    uint32_t proc_masks_absent; /* mounts_proc_masks_absent */
    carrier_pool_t carriers;
};

/* The sync protocol between supervisor, the sandbox's init and the program.
 * Numbered as in the theory of operation in launch.c; each side's code
 * carries the same "sync N" comment. */
enum sync_type {
    SYNC_GO = 1,          /* 1: parent -> init: maps written, cgroup joined */
    SYNC_NETNS = 2,       /* 2: netns helper -> parent: its netlink socket + netns fd */
    SYNC_NET_READY = 3,   /* 3: parent -> init: lo is up; carries the netns fd */
    SYNC_LISTENER_FD = 4, /* 4: program -> parent: its seccomp listener's fd number (no fd
                           *    passed: the parent takes it with pidfd_getfd) */
    SYNC_EXIT = 5,        /* 5: init -> parent: the program's wait status */
    SYNC_ERROR = 6,       /* any: a set-up step failed (child_err_t) */
    SYNC_LISTENER_TAKEN = 7, /* 4b: parent -> program: listener taken, execve */
    SYNC_SPEC = 8,        /* 1b: parent -> init: the spec's part of the run is in place */
    SYNC_PROGRAM_GO = 9,  /* 4 (warm): init -> parent: the program, made and its listener
                           *    taken while prepared, was let go to execve */
};

#define SYNC_MAX_FDS 8  /* netns + four v1 hierarchies; the binds (MOUNT_MAX_BINDS) */

typedef struct sync_msg {
    uint32_t type;
    int32_t status;
    child_err_t ce;
} sync_msg_t;

typedef struct outbuf {
    char *data;
    size_t len, cap, limit;
    int over;             /* bytes beyond limit arrived */
    int fd;               /* read end, -1 at EOF */
} outbuf_t;

/* A run lives in one MAP_SHARED mapping (itself, then an arena for the
 * child's copy of the spec): prepared ahead, before its spec is known, its
 * init sees what the parent writes here later (sync 1b). */
typedef struct run {
    nsj_sandbox_t *sb;
    const nsj_run_spec_t *spec;  /* the caller's; parent side only */
    cgroup_run_t cg;
    int have_cg;
    nsj_limits_t cg_limits;      /* what the cgroup was made with */
    cgroup_run_t kept_cg;        /* warm.c's: a cgroup an earlier run of the slot left (cgroup_recycle),
                                    for run_prepare to reuse (ndirs 0: none) */
    unsigned gen;                /* the slot's run number (cgroup name) */
    slot_t slot;
    int own_slot;                /* the run took the slot itself (cold); a warm slot keeps its own */
    int warm;                    /* prepared ahead: init takes sync 3 before sync 1b */
    size_t map_len;              /* the whole mapping */
    char *arena;                 /* the child's copy of the spec (argv, envp, mounts) */
    size_t arena_cap, arena_used;
    struct run *next;            /* a warm slot's list of runs to tear down */
    void (*on_exec)(void *ud);   /* called at sync 4 (the set-up is over), or NULL */
    void *on_exec_ud;

    /* prepared by the parent for the child (no allocation after clone) */
    mount_plan_t mounts;
    char procbuf[16384];     /* the generated /proc files (mounts_plan_proc) */
    /* warm: the limits' part of the root (/proc files, /dev/shm, /tmp),
     * planned for the limits the run is prepared with and mounted by init
     * before the spec; written before the clone, read-only after. */
    mount_plan_t premounts;
    char pre_procbuf[16384];
    rlimit_plan_t rlimits;
    const char *const *argv;
    const char *const *envp;
    const char *cwd;
    cgroup_join_t join;      /* how init gets into the run's cgroup */
    uint64_t sig_reset;      /* signals init resets to SIG_DFL (bit s-1) */

    /* fds: parent ends, then the child's ends (closed in the parent after clone) */
    int sock, child_sock;
    /* The child's ends as init finds them: the parent closes (and resets)
     * child_sock, in_r, out_w, err_w right after the clone, and this
     * mapping is shared, so init reads these copies instead. */
    int init_fds[4];
    int in_w, in_r;
    outbuf_t out, err;
    int out_w, err_w;
    int pidfd, listener;
    int mntns;               /* init's mount namespace, held: see run_prepare */
    pid_t pid;

    /* stdin feeding */
    const char *in_data;
    size_t in_len, in_off;
    char in_buf[65536];
    int in_src;              /* spec->stdin_fd, -1 when done or unused */

    uint64_t start_ns, end_ns, last_io_ns;
    uint64_t kill_ns;        /* when run_kill first signalled init (0 = never) */
    uint64_t exec_ns;        /* sync 4: the program's wall clock starts (0 = not yet) */
    int wall_tfd;            /* the wall timer, re-armed at sync 4 */
    run_facts_t facts;
    char blocked[64];
    int have_exit_msg;
    int exec_reached;        /* sync 4 done: the program is about to execve */
    uint32_t prog_go;        /* warm: the futex init wakes the prepared program with (child side) */
    carrier_t *carrier;      /* the thread init is the vfork child of (carrier.c) */
    uint32_t init_started;   /* futex: init runs (or its clone failed, or it exited) */
    int clone_errno;         /* the carrier's clone3 failed with this */
    pid_t init_tid;          /* init's pid, written by the kernel at the clone (CLONE_PARENT_SETTID) */
    pid_t prog_pid;          /* warm: the program's pid in the sandbox, likewise */
    int netns_fd;            /* warm: the slot's network namespace to be born in (slotnet.c), -1 = a
                              * new one from the netns helper; borrowed, not closed by the run */
    slotnet_t *net;          /* warm.c's: the slot netns netns_fd belongs to */
    int root_fd;             /* warm: a detached clone of the slot's root (warm.c), sent at sync 1;
                              * -1 = init mounts its own overlay */
    int root_ns_fd;          /* warm.c's: that root's own mount namespace (mounts_root_ns), which
                              * init is cloned in (then root_fd is -1); borrowed, -1 = none */
    int root_index;          /* warm.c's: the slot's root the run holds (set before the clone,
                              * kept until init is reaped), -1 = none: root_fd is the slot's root,
                              * its /dev in it */
    const char *root_gen;    /* warm.c's: the generated /proc files in that root's tmp, packed
                              * (mounts_proc_gen_pack), or NULL */
    size_t root_gen_len;
    int src_read;            /* bytes were read from spec->stdin_fd (a retry would lose them) */
    int init_reaped;
    int init_code, init_status; /* how init ended (waitid's si_code, si_status), once reaped */
    char msg[512];           /* internal error text */
    int msg_errno;           /* its errno (0 = none): decides whether the host's fault is retried */
    uint64_t *trace;         /* NSJUDGE_TRACE: TR_N stamps shared with the children, or NULL */
} run_t;

/* A run's life (launch.c): run_new (its shared mapping; arena_cap bytes
 * for the child's copy of the spec, see run_spec_bytes), run_plan (the
 * spec) and run_prepare (a held slot, the rootfs and limits) in either
 * order — a warm run is prepared before its spec is known —, run_execute,
 * run_result, run_teardown (also of a run never executed). */
size_t run_spec_bytes(const nsj_run_spec_t *spec);
run_t *run_new(nsj_sandbox_t *sb, size_t arena_cap, int warm);
int run_plan(run_t *r, const nsj_run_spec_t *spec);
int run_prepare(run_t *r, const char *rootfs, const nsj_limits_t *l);
int run_execute(run_t *r);
int run_remove_cgroup(run_t *r);
int run_result(run_t *r, int rc, nsj_result_t *res, int *retry);
int run_teardown(run_t *r, char *msg, size_t cap);
/* A finished run's cgroup for another run of the slot: the run reaped, its
 * mount namespace let go, its cgroup emptied and kept (1: moved to *out)
 * or removed (0); <0 (r->msg) when it could not be emptied. */
int run_recycle_cgroup(run_t *r, cgroup_run_t *out);
/* Kill what is left of the run's sandbox and reap its init (run_teardown
 * does it first): every process of it gone, every file it held closed. */
void run_reap(run_t *r);

/* The one-shot run: a slot, everything made, used and removed in this call. */
int run_cold(nsj_sandbox_t *sb, const nsj_run_spec_t *spec, nsj_result_t *res, int *retry);

/* Warm slots (warm.c): nsj_run on a sandbox made with opts.warm. */
int warm_run(nsj_sandbox_t *sb, const nsj_run_spec_t *spec, nsj_result_t *res, int *retry);
/* nsj_sandbox_new/free: the per-thread key and its destructor. */
int warm_init(nsj_sandbox_t *sb, nsj_error_t *err);
void warm_fini(nsj_sandbox_t *sb);

/* carrier.c */
void carrier_pool_init(carrier_pool_t *p);
/* Stops the idle carriers (every run torn down by then). */
void carrier_pool_fini(carrier_pool_t *p);
/* An idle carrier for one run, made when none is; NULL with err. */
carrier_t *carrier_take(carrier_pool_t *p, nsj_error_t *err);
char *carrier_stack_top(const carrier_t *c, carrier_stack_t which);
size_t carrier_stack_size(carrier_stack_t which);
/* An fd of the network namespace the carrier's thread goes back to. */
int carrier_home_netns(const carrier_t *c);
/* On the carrier's thread (which has an fs_struct of its own): enter the
 * mount namespace nsfd (a warm slot root's, for init's clone); 0, or -1
 * with errno. carrier_leave_mntns goes back to the one it was made in,
 * and its working directory (aborts if it cannot). */
int carrier_enter_mntns(carrier_t *c, int nsfd);
void carrier_leave_mntns(carrier_t *c);
/* Run job(arg) on the carrier's thread; returns at once. */
void carrier_post(carrier_t *c, void (*job)(void *), void *arg);
/* After the run's init was reaped: the carrier may serve another run. */
void carrier_give(carrier_pool_t *p, carrier_t *c);
/* clone3 whose child runs fn(arg) on the stack args give, then exits. */
long carrier_clone3(const void *args, size_t size, int (*fn)(void *), void *arg);

/* NSJUDGE_TRACE=1: print each phase's time since the run started to stderr. */
void run_trace(const run_t *r, const char *phase);

/* With NSJUDGE_TRACE the children stamp their own phases into a page
 * shared with the parent (plain stores: fine after clone), printed at the end. */
enum {
    TR_INIT_START, TR_HELPER_START, TR_HELPER_NETNS, TR_HELPER_SENT, TR_INIT_GO, TR_INIT_PREPARED,
    TR_INIT_SPEC, TR_INIT_MOUNTED, TR_INIT_NET_READY, TR_PROG_START, TR_PROG_SECCOMP, TR_INIT_PROG_EXITED, TR_N
};
void child_trace(const run_t *r, int point);

/* How long set-up may take beyond the wall limit before the run is the
 * host's failure (the wall timer restarts at execve). */
#define SETUP_GRACE_NS (10ULL * 1000000000ULL)

/* sync 4: take the program's seccomp listener (its fd number there) into
 * r->listener. 0; 1 when the program is gone (killed); <0 with r->msg. */
int run_take_listener(run_t *r, pid_t sender, int fdnum);

/* Kill the sandbox (its init; the pid namespace takes the rest) once, recording why. */
void run_kill(run_t *r, kill_reason_t why);

/* Event loop: feed stdin, drain output, enforce limits, until init is reaped
 * and output is at EOF. <0 on an internal error (r->msg says why). */
int supervise(run_t *r);

/* Read one sync message (and up to two fds passed with it, else -1; and
 * the sender's host pid from SO_PASSCRED when sender is not NULL). */
ssize_t sync_recv(int sock, sync_msg_t *m, int fd[2], pid_t *sender);

/* Send one sync message with up to SYNC_MAX_FDS fds (raw calls only: the
 * children use it too). */
int sync_send(int sock, uint32_t type, int32_t status, const child_err_t *ce, const int *fds, int nfds);

#endif
