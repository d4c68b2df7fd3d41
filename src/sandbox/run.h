/* One run's state, shared by launch.c (set-up, child side) and
 * supervise.c (the event loop). */
#ifndef NSJ_SANDBOX_RUN_H
#define NSJ_SANDBOX_RUN_H

#include <stdint.h>
#include <sys/types.h>

#include "internal.h"

struct nsj_sandbox {
    seccomp_prog_t prog;
    cgroup_backend_t *cg;
    cap_t empty_caps;
    slot_table_t slots;
    int scratch_dirfd;       /* <run_dir>/scratch */
    unsigned ncpus;
    char empty_layer[4096];  /* an empty directory: the overlay root's second layer */
    char host_cgroups[4096]; /* the host's /proc/cgroups, counts hidden (mounts_host_cgroups) */
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
};

#define SYNC_MAX_FDS 5  /* netns + four v1 hierarchies */

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

typedef struct run {
    nsj_sandbox_t *sb;
    const nsj_run_spec_t *spec;
    cgroup_run_t cg;
    slot_t slot;

    /* prepared by the parent for the child (no allocation after clone) */
    mount_plan_t mounts;
    char procbuf[16384];     /* the generated /proc files (mounts_plan_proc) */
    rlimit_plan_t rlimits;
    const char *const *envp;
    const char *cwd;
    cgroup_join_t join;      /* how init gets into the run's cgroup */
    uint64_t sig_reset;      /* signals init resets to SIG_DFL (bit s-1) */

    /* fds: parent ends, then the child's ends (closed in the parent after clone) */
    int sock, child_sock;
    int in_w, in_r;
    outbuf_t out, err;
    int out_w, err_w;
    int pidfd, listener;
    pid_t pid;

    /* stdin feeding */
    const char *in_data;
    size_t in_len, in_off;
    char in_buf[65536];
    int in_src;              /* spec->stdin_fd, -1 when done or unused */

    uint64_t start_ns, end_ns, last_io_ns;
    uint64_t exec_ns;        /* sync 4: the program's wall clock starts (0 = not yet) */
    int wall_tfd;            /* the wall timer, re-armed at sync 4 */
    run_facts_t facts;
    char blocked[64];
    int have_exit_msg;
    int exec_reached;        /* sync 4 done: the program is about to execve */
    int src_read;            /* bytes were read from spec->stdin_fd (a retry would lose them) */
    int init_reaped;
    char msg[512];           /* internal error text */
    int msg_errno;           /* its errno (0 = none): decides whether the host's fault is retried */
    uint64_t *trace;         /* NSJUDGE_TRACE: TR_N stamps shared with the children, or NULL */
} run_t;

/* NSJUDGE_TRACE=1: print each phase's time since the run started to stderr. */
void run_trace(const run_t *r, const char *phase);

/* With NSJUDGE_TRACE the children stamp their own phases into a page
 * shared with the parent (plain stores: fine after clone), printed at the end. */
enum {
    TR_INIT_START, TR_HELPER_START, TR_HELPER_NETNS, TR_HELPER_SENT, TR_INIT_GO, TR_INIT_MOUNTED,
    TR_INIT_NET_READY, TR_PROG_START, TR_PROG_SECCOMP, TR_INIT_PROG_EXITED, TR_N
};
void child_trace(const run_t *r, int point);

/* How long set-up may take beyond the wall limit before the run is the
 * host's failure (the wall timer restarts at execve). */
#define SETUP_GRACE_NS (10ULL * 1000000000ULL)

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
