/* The launch sequence.
 *
 * Theory of operation
 * -------------------
 * A run is three processes: the supervisor (the caller's thread), the
 * sandbox's init (pid 1 of a new pid namespace) and the program (pid 2).
 * Its state (run_t) lives in one MAP_SHARED mapping, so that init, cloned
 * before the spec may be known, reads what the parent writes there later.
 *
 *  parent                          init (cloned)              netns helper    program
 *  ------                          -------------              ------------    -------
 *  ---- run_prepare: needs only the rootfs and the limits ----
 *  (slot held: host ids, cgroup
 *    name: slot.c)
 *  v2: cgroup_create (limits)
 *  socketpair + pipes; seccomp
 *    filter compiled once (cached)
 *  a carrier thread (carrier.c):   fork ----------------->  unshare(NEWNET)
 *    clone3(CLONE_NEWUSER|NS|PID|  keep fds 3-6, close rest   netlink socket
 *    IPC|UTS[|NEWCGROUP|INTO_      reset signals            sync 2: send
 *    CGROUP], PIDFD, VM|VFORK) as
 *    the slot's root id (owns the
 *    userns), then asleep until
 *    init exits; hold init's
 *    mount ns (fd)
 *  write uid/gid maps                                         netlink + netns
 *  sync 1: GO + /dev ----------->  become ns root,            fds, exit
 *  [cold: sync 1b, see below]      clear groups; hostname;
 *  v1: cgroup_create (limits)      overlay of the rootfs,
 *  sync 2: recv netlink + netns <----------------------------
 *  bring lo up (libnl)             /dev, /proc; pivot_root;
 *                                  old root detached (warm:
 *                                    born in its root's own
 *                                    namespace: /proc only)
 *                                  warm: /proc files, /dev/shm,
 *                                    /tmp for the limits it
 *                                    was prepared with
 *                                  drop bounding set, lock
 *                                    securebits
 *  sync 3: NET_READY + netns --->  (warm: here; cold: after
 *    (+ v1 tasks fds)              1b) v1: join cgroups,
 *                                  unshare cgroup ns; setns
 *  ---- run_plan + run_execute: the spec ----
 *  spec copied into the shared
 *    run_t (argv, envp, mounts...)
 *  warm: limits rewritten if they
 *    differ from the cgroup's
 *  sync 1b: SPEC + binds as ---->  /proc files, /dev/shm,
 *    detached mounts (open_tree)   /tmp (warm: only if the
 *    (warm: whether the limits'    spec's differ: the others
 *    part premounted is the        unmounted first), files
 *    spec's)                       tmpfs, binds attached
 *                                  clone(VM|VFORK) ------------------------->  stdio = pipes, close
 *                                  (resumed at its execve:)                       fds, setsid, rlimits,
 *                                  non-dumpable, drop caps,                       chdir, uid/gid 1000
 *                                  wait for the program                           (caps gone),
 *                                                                                 no_new_privs,
 *  sync 4: listener's fd number <---------------------------------------------  seccomp (last)
 *  pidfd_getfd(program, number)
 *  sync 4b: taken ---------------------------------------------------------->  execve
 *
 *  A warm run makes its program while prepared, and it waits at sync 1b:
 *
 *  sync 3 (above) ------------->   clone(VM) -------------------------------->  stdio, setsid,
 *                                                                                 uid/gid 1000, caps
 *                                                                                 gone, no_new_privs,
 *  sync 4: listener's fd number <---------------------------------------------  seccomp
 *  pidfd_getfd: run_prepare ends                                                  (waits: futex)
 *  ... sync 1b: SPEC ---------->   the spec's mounts (above);
 *                                  wake the program ------------------------>  rlimits, chdir,
 *  sync 4 (GO): the wall clock <-  "let go"                                       execve
 *    starts                        non-dumpable, drop caps,
 *                                  wait for the program
 *  supervise: poll pidfd, timerfds, pipes,
 *    seccomp listener, sync socket
 *  sync 5: recv program's status <-  program exited: send
 *                                  status, exit (the kernel
 *                                  kills what is left)
 *  reap init; evidence from the cgroup; the result
 *  ---- run_teardown ----
 *  kill the cgroup, confirm empty, rmdir; close init's mount ns (the
 *  unmount and its RCU grace period happen here, not before the result);
 *  (cold) slot_release
 *
 * A cold run (the CLI) does it all in one nsj_run() call: plan, prepare
 * (sending sync 1b right after sync 1, so init builds its whole root while
 * the netns is made), execute, teardown. A warm slot (warm.c: the worker's
 * threads) prepares the next run for the rootfs and limits of the last one
 * while nothing else happens (from sync 4 of the current run), so that
 * nsj_run() starts at sync 1b; it tears a run down after returning its
 * result.
 *
 * What a warm slot reuses, and what every run gets new. Reuse is allowed
 * only where it is provably invisible to the next run; the rest is made
 * anew per run, but ahead of time.
 *
 *  resource                         per run?  why
 *  -------------------------------  --------  ---------------------------------------------
 *  slot (host uid/gid pair, lock)   reused    an identity, no state of its own: what is
 *                                             charged to the ids (fds in flight, inotify,
 *                                             signals, pipe pages) goes with the run's
 *                                             processes, all dead before its result (init
 *                                             reaped), as for a slot a cold run takes
 *                                             after another; no set-up step depends on
 *                                             those counts (slot.c)
 *  compiled seccomp filter          reused    immutable BPF (every nsjudge run shares it);
 *                                             each program loads it fresh, filters are
 *                                             per process and die with it
 *  user namespace + uid/gid maps    new       holds the userns sysctls (max_inotify_*),
 *                                             keyrings and ucounts of its users; made ahead
 *  pid namespace + init             new       one clone ahead; a pid ns dies with its init
 *  mount namespace, /proc          new       made ahead and pivoted into before the spec
 *                                             arrives. warm: a copy of the slot root's own
 *                                             namespace (below), which init is cloned in
 *                                             (the carrier enters it for the clone): only
 *                                             the root's mounts are copied, nothing of the
 *                                             host's is there to pivot from or detach
 *  a slot root's mount namespace    reused    warm (mounts_root_ns): the root's mounts,
 *    (the root, its /dev, its       per root  private, and beneath /proc an empty procfs
 *    /proc files' tmpfs)                      (of a pid namespace gone with its maker,
 *                                             subset=pid: no file but pid directories,
 *                                             none) that lets the run's user namespace
 *                                             mount its own. No run is in it: each gets a
 *                                             copy, and what a run mounts or unmounts in
 *                                             its copy never reaches it (private). Made
 *                                             anew with the root's /proc files
 *  the root: a read-only overlay    reused    warm: the slot's (warm.c), mounted by the
 *    of the rootfs, and /dev (a     per slot  preparer in its own mount namespace and
 *    read-only tmpfs made by root)  while     given to each run (a copy of its namespace). Its
 *                                   nothing   own superblocks give the slot its own inodes:
 *                                   in flight a lock (flock, POSIX, OFD) or inotify watch on
 *                                             a rootfs file is never seen by a run of
 *                                             another slot, i.e. beside it. Nothing a run
 *                                             does changes it (read-only, no upper layer;
 *                                             leases are refused: the files are not the
 *                                             sandbox's), and what a run attaches to its
 *                                             inodes lives with an open file, gone with the
 *                                             run's processes, unless a unix socket in
 *                                             flight keeps the file open: a root serves
 *                                             again only after a run whose network
 *                                             namespace came back clean (none listed), and
 *                                             one run at a time (two alternate). Left to
 *                                             the next run: which dentries are cached
 *                                             (timing, as the host's shared page cache).
 *                                             In its own namespace (the row above); a
 *                                             detached clone if that cannot be made.
 *                                             cold: new, the overlay mounted by init, /dev
 *                                             made by the parent
 *  /tmp, /dev/shm                   new       sized by the limits: mounted while the run is
 *                                             prepared, in its own new mount namespace, for
 *                                             the limits it is prepared with; replaced at
 *                                             sync 1b (unmounted, mounted anew) when the
 *                                             spec's limits give other sizes or files
 *  generated /proc files (meminfo,  reused    warm: files of the slot's root, on a tmpfs
 *    stat, loadavg, cgroups)        per root  mounted on its tmp (under the run's /tmp),
 *                                   for the   made for the limits the root's last run was
 *                                   same      prepared with; bound over /proc's. Read-only
 *                                   limits    for the tmpfs's life (its superblock: no write,
 *                                             no atime, so a run cannot tell that one before
 *                                             it read them); other limits get a new tmpfs
 *                                             (new inodes), made while no run holds the root.
 *                                             What a run attaches to them (a lock, a watch)
 *                                             goes as for the root's other files. cold, or
 *                                             limits changed at sync 1b: new, made by init
 *  files tmpfs, binds               new       the spec's own: mounted at sync 1b
 *  the program's process            new       warm: cloned by init while the run is
 *                                             prepared (in the run's own namespaces and
 *                                             cgroup), up to its seccomp filter; the spec's
 *                                             rlimits, cwd, argv and envp come at sync 1b.
 *                                             A vfork child either way (warm: of a thread
 *                                             of init, which goes on; cold: of init, after
 *                                             sync 1b), sharing the supervisor's memory as
 *                                             init does; its own memory from its execve on
 *  network namespace with lo up     reused    warm: the slot's (slotnet.c), owned by the
 *                                   while     host (the sandbox has no capability in it:
 *                                   clean     its addresses, routes and sysctls cannot
 *                                             change), one run at a time, handed on only
 *                                             if the run left it as made: lo's counters
 *                                             unchanged (no packet: no connection, no
 *                                             TIME_WAIT, nothing to read in snmp/netstat),
 *                                             no socket in use or listed, no IPv6 flow
 *                                             label; else destroyed, the next run gets a
 *                                             new one. cold: new, made by the helper
 *  ipc namespace, uts namespace     new       SysV objects outlive processes; come with
 *                                             the clone ahead
 *  cgroup (limits, counters)        kept per  warm, v1 and v2 from Linux 6.12: a finished
 *                                   slot      run's cgroup serves a later run of the slot
 *                                   while     (two alternate, as roots do) once emptied:
 *                                   nearly    every task gone (listed in no hierarchy; v2:
 *                                   empty     cgroup.kill, then "populated 0"), its mount
 *                                             namespace and so its tmpfs gone, at most 1 MiB
 *                                             still charged (the page cache and slab it
 *                                             brought in, reclaimable; more and it is
 *                                             removed). The next run gets it reset: the peak
 *                                             reset by the kernel (v1 max_usage_in_bytes; v2
 *                                             a write to memory.peak, which from 6.12 resets
 *                                             the peak read through that same fd, kept open
 *                                             for the run's evidence); the CPU time reset
 *                                             (v1 cpuacct.usage) or, on v2, counted before
 *                                             and taken off; the bytes still charged taken
 *                                             off its peak and added to its limit; the OOM
 *                                             kills and pids.max refusals counted before
 *                                             taken off its own; limits and the CPU quota
 *                                             written anew (which ends any throttling; v2
 *                                             lifts the quota at teardown so that the new
 *                                             one is a change). Spared: a mkdir and an rmdir
 *                                             in each of v1's hierarchies (~0.3 ms of CPU a
 *                                             run), v2's one and its dying memcg; the
 *                                             files it writes and reads are held open for
 *                                             its life (not cgroup.procs: cgroup_open_files).
 *                                             v2 before
 *                                             6.12 (memory.peak cannot be reset: Debian 12's
 *                                             6.1) and cold: new per run; made ahead, its
 *                                             limits rewritten when the spec's differ
 *  cgroup namespace                 new       rooted at the run's own cgroup
 *  sync socket, pipes, pidfd        new       per run, made ahead
 *  rlimits, environment, cwd,       new       set by the program's own process from the
 *    credentials, capabilities                spec at sync 1b
 *
 * Overlap is the point of this order: a cold run's network namespace
 * (~0.5 ms) is made by a helper in the sandbox's user namespace while init
 * builds its root (a warm run is born in its slot's: see slotnet.c), and
 * on v1 the parent creates the cgroup meanwhile too. Nothing of the program
 * exists before it is in its cgroup and namespaces.
 *
 * Why an init: as pid 1 the program would ignore its own default-action
 * signals (abort() would end as SIGSEGV) and would have to reap orphans.
 * With init as pid 1, killing init kills the whole namespace at once, which
 * no fork bomb or setsid double-fork can outrun.
 *
 * Init and the program until its execve share the supervisor's memory
 * (CLONE_VM: no copy of a worker's page tables to make and tear down per
 * run, ~0.5 ms of CPU), each as a vfork child, which the OOM killer never
 * picks (carrier.c says why that matters). They run on the carrier's
 * stacks with raw system calls, take no lock in that memory and write
 * nothing in it but their stacks, their errno and the shared run_t (see
 * internal.h); their fd tables, credentials, namespaces, signal handlers,
 * rlimits and seccomp filters are their own. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/futex.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/paths.h"
#include "common/util.h"
#include "run.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Own copy of the kernel's struct clone_args (v2, with .cgroup), so that no
 * header version decides whether it has that field. */
struct nsj_clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
    uint64_t stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

/* Fixed fd numbers in init and, until execve, in the program. */
enum { FD_SOCK = 3, FD_IN = 4, FD_OUT = 5, FD_ERR = 6, FD_FIRST_FREE = 7 };

/* ---------- child side ---------- */

int child_fail(child_err_t *ce, int errnum, const char *step, const char *detail)
{
    size_t n = 0, cap = sizeof ce->text - 1;
    for (const char *s = step; *s && n < cap; s++)
        ce->text[n++] = *s;
    if (detail && *detail) {
        for (const char *s = ": "; *s && n < cap; s++)
            ce->text[n++] = *s;
        for (const char *s = detail; *s && n < cap; s++)
            ce->text[n++] = *s;
    }
    ce->text[n] = '\0';
    ce->err = errnum;
    return -1;
}

int sync_send(int sock, uint32_t type, int32_t status, const child_err_t *ce, const int *fds, int nfds)
{
    sync_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.status = status;
    if (ce)
        m.ce = *ce;
    struct iovec iov = {.iov_base = &m, .iov_len = sizeof m};
    union {
        char buf[CMSG_SPACE(SYNC_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds > SYNC_MAX_FDS)
        return -1;
    if (nfds > 0) {
        memset(&u, 0, sizeof u);
        mh.msg_control = u.buf;
        mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
    }
    ssize_t n;
    do
        n = sendmsg(sock, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof m ? 0 : -1;
}

static int child_send(int sock, uint32_t type, int32_t status, const child_err_t *ce, int fd)
{
    return sync_send(sock, type, status, ce, &fd, fd >= 0 ? 1 : 0);
}

/* Wait for a message of the given type; fds[] gets the fds passed with it
 * (-1 where none), at most SYNC_MAX_FDS. */
static int child_wait(int sock, uint32_t type, int *fds, child_err_t *ce)
{
    sync_msg_t m;
    union {
        char buf[CMSG_SPACE(SYNC_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = {.iov_base = &m, .iov_len = sizeof m};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    ssize_t n;
    do
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof m || m.type != type)
        return child_fail(ce, n < 0 ? errno : EPROTO, "sync", "unexpected message from supervisor");
    if (fds) {
        for (int i = 0; i < SYNC_MAX_FDS; i++)
            fds[i] = -1;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            memcpy(fds, CMSG_DATA(c), (nfd > SYNC_MAX_FDS ? SYNC_MAX_FDS : nfd) * sizeof(int));
        }
    }
    return 0;
}

static __attribute__((noreturn)) void child_die(int sock, const child_err_t *ce)
{
    child_send(sock, SYNC_ERROR, 0, ce, -1);
    _exit(126);
}

/* Parent: the signals whose disposition is not the default (SigIgn and
 * SigCgt of /proc/self/status), so the child resets those few rather than
 * making 64 calls. All of them when that cannot be read. */
static uint64_t signals_to_reset(void)
{
    char buf[4096];
    uint64_t ign = ~0ULL, cgt = 0;
    if (util_read_file_at(AT_FDCWD, "/proc/self/status", buf, sizeof buf) > 0) {
        const char *i = strstr(buf, "\nSigIgn:"), *c = strstr(buf, "\nSigCgt:");
        if (i && c) {
            ign = strtoull(i + 9, NULL, 16);
            cgt = strtoull(c + 9, NULL, 16);
        }
    }
    return ign | cgt;
}

static void reset_signals(uint64_t which)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < _NSIG && s <= 64; s++)
        if (which & (1ULL << (s - 1)))
            sigaction(s, &sa, NULL); /* EINVAL for KILL/STOP and glibc-reserved: fine */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static int close_from(unsigned first, unsigned flags)
{
    if (syscall(SYS_close_range, first, ~0U, flags) == 0)
        return 0;
    /* Kernels before 5.9 (5.11 for CLOEXEC): walk the fd table. */
    for (int fd = (int)first; fd < 65536; fd++) {
        if (flags & CLOSE_RANGE_CLOEXEC)
            fcntl(fd, F_SETFD, FD_CLOEXEC);
        else
            close(fd);
    }
    return 0;
}

/* The spec's part of the program's set-up: its rlimits and cwd. */
static void program_spec_part(const run_t *r, child_err_t *ce)
{
    if (limits_apply(&r->rlimits, ce) < 0)
        child_die(FD_SOCK, ce);
    if (chdir(r->cwd) < 0)
        child_fail(ce, errno, "chdir", r->cwd), child_die(FD_SOCK, ce);
}

/* A warm run's program is made while the run is prepared, up to its
 * seccomp filter and the listener the supervisor takes then; it waits here
 * until init has the spec's root in place (sync 1b). */
static void program_wait_go(const run_t *r)
{
    uint32_t *go = (uint32_t *)&r->prog_go;
    while (__atomic_load_n(go, __ATOMIC_ACQUIRE) == 0)
        syscall(SYS_futex, go, FUTEX_WAIT, 0, NULL, NULL, 0);
}

static __attribute__((noreturn)) void program_main(const run_t *r)
{
    child_err_t ce = {0};
    child_trace(r, TR_PROG_START);
    if (dup2(FD_IN, 0) < 0 || dup2(FD_OUT, 1) < 0 || dup2(FD_ERR, 2) < 0)
        child_fail(&ce, errno, "dup2", "stdio"), child_die(FD_SOCK, &ce);
    close_from(FD_IN, 0); /* FD_SOCK stays until execve (it is close-on-exec) */
    /* Signal dispositions and mask, and the empty bounding set, come from init. */
    if (setsid() < 0)
        child_fail(&ce, errno, "setsid", NULL), child_die(FD_SOCK, &ce);
    if (!r->warm)
        program_spec_part(r, &ce);
    /* Leaving uid 0 clears the permitted and effective sets... */
    if (userns_become_sandbox_user(&ce) < 0)
        child_die(FD_SOCK, &ce);
    /* ...and this clears the inheritable one. */
    if (caps_clear(&ce) < 0)
        child_die(FD_SOCK, &ce);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        child_fail(&ce, errno, "prctl", "no_new_privs"), child_die(FD_SOCK, &ce);
    child_trace(r, TR_PROG_SECCOMP);
    /* seccomp last: nothing above has to get past the policy (a warm
     * program's rlimits and chdir below do: both are allowed). */
    int listener = seccomp_policy_load(&r->sb->prog, &ce);
    if (listener < 0)
        child_die(FD_SOCK, &ce);
    /* sync 4: the listener lets the supervisor name any "kill" syscall. Only
     * its number travels: the supervisor takes the fd with pidfd_getfd.
     * Passing it over the socket (SCM_RIGHTS) would be counted against
     * this uid's fds in flight, a per-user count the program can exhaust
     * (and a slot's previous run may have left it high until the kernel's
     * garbage collector runs). */
    if (child_send(FD_SOCK, SYNC_LISTENER_FD, listener, NULL, -1) < 0)
        child_fail(&ce, errno, "sync 4", "send seccomp listener number"), child_die(FD_SOCK, &ce);
    if (r->warm) {
        /* Taken while prepared: the supervisor sends the spec only then. */
        program_wait_go(r);
        program_spec_part(r, &ce);
    } else {
        /* sync 4b: wait until it is taken: execve closes it (close-on-exec). */
        if (child_wait(FD_SOCK, SYNC_LISTENER_TAKEN, NULL, &ce) < 0)
            child_die(FD_SOCK, &ce);
    }
    close(listener);
    execve(r->argv[0], (char *const *)r->argv, (char *const *)r->envp);
    child_fail(&ce, errno, "execve", r->argv[0]);
    child_die(FD_SOCK, &ce);
}

static int program_entry(void *r)
{
    program_main(r);
}

/* A warm run's: a thread of init (CLONE_THREAD, on the carrier's stack for
 * it) whose vfork child the program is until its execve, which wakes the
 * thread to exit. The kernel writes the program's pid into the shared
 * run_t before the program runs (CLONE_PARENT_SETTID). */
static int program_carrier_entry(void *arg)
{
    run_t *r = arg;
    if (clone(program_entry, carrier_stack_top(r->carrier, CARRIER_PROG_STACK),
              CLONE_VM | CLONE_VFORK | CLONE_PARENT_SETTID | SIGCHLD, r,
              &r->prog_pid) < 0) {
        child_err_t ce = {0};
        child_fail(&ce, errno, "fork", "program");
        child_send(FD_SOCK, SYNC_ERROR, 0, &ce, -1);
    }
    return 0;
}

/* Runs as a child of init, sharing its user namespace (and capabilities
 * there): the network namespace it makes is owned by the sandbox. */
static __attribute__((noreturn)) void netns_helper_main(const run_t *r, int sock)
{
    child_err_t ce = {0};
    child_trace(r, TR_HELPER_START);
    /* Hold nothing of the supervisor's but the sync socket. */
    if (sock > 3)
        syscall(SYS_close_range, 3, sock - 1, 0);
    syscall(SYS_close_range, sock + 1, ~0U, 0);
    if (unshare(CLONE_NEWNET) < 0)
        child_fail(&ce, errno, "unshare", "network namespace"), child_die(sock, &ce);
    child_trace(r, TR_HELPER_NETNS);
    int fds[2];
    fds[0] = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0 /* NETLINK_ROUTE */);
    fds[1] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fds[0] < 0 || fds[1] < 0)
        child_fail(&ce, errno, "netns helper", "netlink socket / ns fd"), child_die(sock, &ce);
    /* sync 2 */
    child_trace(r, TR_HELPER_SENT);
    if (sync_send(sock, SYNC_NETNS, 0, NULL, fds, 2) < 0)
        child_fail(&ce, errno, "sync 2", "send netns"), child_die(sock, &ce);
    _exit(0);
}

static int helper_entry(void *r)
{
    netns_helper_main(r, ((const run_t *)r)->init_fds[0]);
}

typedef struct helper_start {
    run_t *r;
    char *stack_top;         /* the helper's own: an array in init's frame */
} helper_start_t;

/* A thread of init (CLONE_THREAD) whose vfork child the netns helper is,
 * as the program is of another (see program_carrier_entry). */
static int helper_carrier_entry(void *arg)
{
    const helper_start_t *hs = arg;
    if (clone(helper_entry, hs->stack_top, CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)hs->r) < 0) {
        child_err_t ce = {0};
        child_fail(&ce, errno, "fork", "netns helper");
        child_send(hs->r->init_fds[0], SYNC_ERROR, 0, &ce, -1);
    }
    return 0;
}

/* sync 3: lo is up and the run's cgroup exists. fds[0] is the network
 * namespace; v1: fds[1..] are the cgroups' tasks files to join through.
 * Join before the program exists, then root our cgroup namespace there. */
static void init_net_ready(const run_t *r)
{
    child_err_t ce = {0};
    int fds[SYNC_MAX_FDS];
    if (child_wait(FD_SOCK, SYNC_NET_READY, fds, &ce) < 0)
        child_die(FD_SOCK, &ce);
    child_trace(r, TR_INIT_NET_READY);
    /* Born in the slot's network namespace (netns_fd), there is no netns
     * fd: the cgroups' come first. */
    int slotnet = r->netns_fd >= 0, first = slotnet ? 0 : 1;
    if (r->join == CGROUP_JOIN_SELF && cgroup_join_self(fds + first, SYNC_MAX_FDS - first, &ce) < 0)
        child_die(FD_SOCK, &ce);
    if (r->join != CGROUP_JOIN_AT_CLONE && unshare(CLONE_NEWCGROUP) < 0)
        child_fail(&ce, errno, "unshare", "cgroup namespace"), child_die(FD_SOCK, &ce);
    if (!slotnet && (fds[0] < 0 || setns(fds[0], CLONE_NEWNET) < 0))
        child_fail(&ce, fds[0] < 0 ? EPROTO : errno, "setns", "network namespace"), child_die(FD_SOCK, &ce);
    for (int i = 0; i < SYNC_MAX_FDS; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

static __attribute__((noreturn)) void init_main(const run_t *r)
{
    child_err_t ce = {0};
    /* The netns helper first, as it is on the critical path (see the top of
     * this file). glibc's clone(), a bare wrapper, not fork(): glibc's fork
     * takes locks that other threads of the original process may have held
     * at clone time. */
    child_trace(r, TR_INIT_START);
    /* It shares our memory (the supervisor's, carrier.c) as a vfork child
     * of a thread of ours, which alone waits for it, and runs on this
     * array, which we never touch. Only cold runs, and warm ones without a
     * network namespace of the slot's, make one. */
    char helper_stack[32 << 10] __attribute__((aligned(64)));
    helper_start_t hs = {.r = (run_t *)r, .stack_top = helper_stack + sizeof helper_stack};
    pid_t helper = 0; /* none when born in the slot's network namespace */
    if (r->netns_fd < 0)
        helper = clone(helper_carrier_entry, carrier_stack_top(r->carrier, CARRIER_HELPER_THREAD_STACK),
                       CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, &hs);
    int helper_errno = helper < 0 ? errno : 0;
    /* Keep exactly our four fds at 3..6 (0-2 are replaced in the program);
     * everything else this copy of the supervisor holds is closed now. */
    const int *src = r->init_fds;
    int tmp[4];
    for (int i = 0; i < 4; i++)
        if ((tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, FD_FIRST_FREE)) < 0)
            _exit(125);
    for (int i = 0; i < 4; i++)
        if (dup3(tmp[i], FD_SOCK + i, O_CLOEXEC) < 0)
            _exit(125);
    close_from(FD_FIRST_FREE, 0);
    reset_signals(r->sig_reset);
    /* If the supervisor dies, so does the sandbox. */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (helper < 0)
        child_fail(&ce, helper_errno, "fork", "netns helper"), child_die(FD_SOCK, &ce);

    /* sync 1: wait until our uid/gid maps exist; the private /dev comes with it. */
    int gofds[SYNC_MAX_FDS];
    if (child_wait(FD_SOCK, SYNC_GO, gofds, &ce) < 0)
        child_die(FD_SOCK, &ce);
    child_trace(r, TR_INIT_GO);
    /* The private /dev, or (warm) the slot's root with its /dev. */
    int slot_root = r->root_index >= 0, rooted = slot_root && r->root_ns_fd >= 0;
    int devfd = slot_root ? -1 : gofds[0], rootfd = slot_root ? gofds[0] : -1;
    if (gofds[0] < 0 && !rooted)
        child_fail(&ce, EPROTO, "sync 1", slot_root ? "no root mount" : "no /dev mount"), child_die(FD_SOCK, &ce);
    if (userns_enter(&ce) < 0)
        child_die(FD_SOCK, &ce);
    /* Again: the kernel clears the parent-death signal on any change of
     * credentials, and userns_enter just made us root of the namespace. A
     * supervisor that died in between is seen at the next sync (EOF on FD_SOCK). */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (sethostname("sandbox", 7) < 0)
        child_fail(&ce, errno, "sethostname", NULL), child_die(FD_SOCK, &ce);
    /* The part of the root that needs only the rootfs (known when the run is
     * prepared): its overlay, /dev, /proc; pivot_root into it. */
    mount_plan_t plan = r->mounts;
    plan.devfd = devfd;
    plan.rootfd = rootfd;
    plan.rooted = rooted;
    if (mounts_prepare_root(&plan, &ce) < 0)
        child_die(FD_SOCK, &ce);
    child_trace(r, TR_INIT_PREPARED);
    /* Warm: /proc files, /dev/shm and /tmp for the limits we were prepared
     * with (most specs bring the same: a test after a test). */
    if (r->warm && mounts_limits_part(&r->premounts, &ce) < 0)
        child_die(FD_SOCK, &ce);
    /* Bounding set and securebits once, here (before the spec: they limit
     * what an execve may gain, not our own effective caps, which the
     * mounts at sync 1b still use): the program inherits them. */
    if (caps_drop_bounding(&ce) < 0)
        child_die(FD_SOCK, &ce);
    /* A warm run's sync 3 comes while it is prepared (before its spec), a
     * cold run's after sync 1b (its root is built meanwhile). */
    pid_t prog = 0;
    if (r->warm) {
        init_net_ready(r);
        /* The program, made now (in its cgroup and namespaces) up to its
         * seccomp filter: it shares our memory until its execve and waits
         * for sync 1b's root (program_wait_go). As init is, it is a vfork
         * child (carrier.c), of a thread of ours, as we go on meanwhile. */
        if (clone(program_carrier_entry, carrier_stack_top(r->carrier, CARRIER_THREAD_STACK),
                  CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, (void *)r) < 0)
            child_fail(&ce, errno, "fork", "program's carrier thread"), child_die(FD_SOCK, &ce);
    }
    /* sync 1b: the spec's part of the run is in our (shared) run_t now, its
     * binds come as detached mounts. */
    int bindfds[SYNC_MAX_FDS];
    if (child_wait(FD_SOCK, SYNC_SPEC, bindfds, &ce) < 0)
        child_die(FD_SOCK, &ce);
    child_trace(r, TR_INIT_SPEC);
    plan = r->mounts;
    if (r->warm && !plan.limits_ready && mounts_unmount_limits(&r->premounts, rooted, &ce) < 0)
        child_die(FD_SOCK, &ce);
    if (mounts_finish_root(&plan, bindfds, &ce) < 0)
        child_die(FD_SOCK, &ce);
    child_trace(r, TR_INIT_MOUNTED);
    if (r->warm) {
        /* Let the prepared program go, and tell the supervisor (sync 4,
         * warm): its wall clock starts. */
        __atomic_store_n(&((run_t *)r)->prog_go, 1, __ATOMIC_RELEASE);
        syscall(SYS_futex, &r->prog_go, FUTEX_WAKE, 1, NULL, NULL, 0);
        if (child_send(FD_SOCK, SYNC_PROGRAM_GO, 0, NULL, -1) < 0)
            child_fail(&ce, errno, "sync 4", "program let go"), child_die(FD_SOCK, &ce);
    } else {
        init_net_ready(r);
        /* The program shares init's memory until its execve, as posix_spawn
         * does (CLONE_VM|CLONE_VFORK; init sleeps meanwhile): no copy of
         * init's page tables, which are a copy of the whole supervisor's (a
         * worker's threads and heaps). Until execve it uses only its own
         * stack, registers and the shared run_t; its fd table, credentials,
         * rlimits and seccomp filter are its own. glibc's clone() is a bare
         * system call wrapper (no locks), as raw clone is elsewhere. */
        prog = clone(program_entry, carrier_stack_top(r->carrier, CARRIER_PROG_STACK), CLONE_VM | CLONE_VFORK | SIGCHLD,
                     (void *)r);
        if (prog < 0)
            child_fail(&ce, errno, "fork", "program"), child_die(FD_SOCK, &ce);
    }

    /* init from here on: nothing to do but wait, so hold nothing. */
    close(0), close(1), close(2);
    close(FD_IN), close(FD_OUT), close(FD_ERR);
    /* Not dumpable (/proc/1/mem etc. closed to the program): the memory we
     * share is the supervisor's, which nsj_sandbox_new made so. */
    if (caps_clear(&ce) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        child_die(FD_SOCK, &ce);
    for (;;) {
        int st;
        pid_t p = (pid_t)syscall(SYS_wait4, -1, &st, __WALL, NULL);
        if (p > 0 && p == (prog > 0 ? prog : __atomic_load_n(&r->prog_pid, __ATOMIC_ACQUIRE))) {
            child_trace(r, TR_INIT_PROG_EXITED);
            /* sync 5: report, then exit; the kernel kills what is left
             * (other children, such as the netns helper, are just reaped). */
            /* Exit codes for the supervisor's message when this fails:
             * 123, the status could not be sent; 124, wait4 failed (125:
             * init's fds could not be set up, above). */
            _exit(child_send(FD_SOCK, SYNC_EXIT, st, NULL, -1) < 0 ? 123 : 0);
        }
        if (p < 0 && errno != EINTR)
            _exit(124);
    }
}

/* ---------- parent side ---------- */

ssize_t sync_recv(int sock, sync_msg_t *m, int fd[2], pid_t *sender)
{
    union {
        char buf[CMSG_SPACE(SYNC_MAX_FDS * sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } u;
    struct iovec iov = {.iov_base = m, .iov_len = sizeof *m};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    if (fd)
        fd[0] = fd[1] = -1;
    if (sender)
        *sender = 0;
    /* ECONNRESET is the kernel's note that the sandbox's end was closed
     * with a message of ours unread (init died before reading sync 3): it
     * comes once, ahead of what init sent before it died, such as the
     * SYNC_ERROR that says why. Read on; EOF follows the last message. */
    ssize_t n;
    int resets = 0;
    do
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    while (n < 0 && (errno == EINTR || (errno == ECONNRESET && ++resets <= 2)));
    if (n <= 0)
        return n;
    int k = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS && sender) {
            struct ucred uc;
            memcpy(&uc, CMSG_DATA(c), sizeof uc);
            *sender = uc.pid; /* the kernel translated it into our pid namespace */
            continue;
        }
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < nfd; i++) {
            int got;
            memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
            if (fd && k < 2)
                fd[k++] = got;
            else
                close(got);
        }
    }
    if (n != (ssize_t)sizeof *m) {
        errno = EPROTO; /* not a sync message: the caller gives up on the socket */
        return -1;
    }
    return n;
}

static int trace_on(void)
{
    static int on = -1;
    if (on < 0) {
        const char *e = getenv("NSJUDGE_TRACE");
        on = e && *e && strcmp(e, "0") != 0;
    }
    return on;
}

void run_trace(const run_t *r, const char *phase)
{
    if (trace_on())
        fprintf(stderr, "nsjudge trace: %8.3f ms  %s\n", (double)(util_now_ns() - r->start_ns) / 1e6, phase);
}

void child_trace(const run_t *r, int point)
{
    if (r->trace)
        r->trace[point] = util_now_ns();
}

static void print_child_trace(const run_t *r)
{
    static const char *const names[TR_N] = {
        "  init: started", "  helper: started", "  helper: netns made", "  helper: netns sent",
        "  init: sync 1 received", "  init: rootfs, /dev, /proc mounted", "  init: sync 1b (spec) received",
        "  init: root built", "  init: sync 3 received", "  program: started",
        "  program: loading seccomp, execve next", "  init: program exited",
    };
    for (int i = 0; r->trace && i < TR_N; i++)
        if (r->trace[i])
            fprintf(stderr, "nsjudge trace: %8.3f ms  %s\n", (double)(r->trace[i] - r->start_ns) / 1e6, names[i]);
}

static void set_msg(run_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_msg(run_t *r, const char *fmt, ...)
{
    int e = errno; /* the cause, for the retry of host faults in nsj_run */
    if (r->msg[0])
        return; /* keep the first, root cause */
    r->msg_errno = e;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
}

/* After a failed set-up step: if a child reported its own failure, that is
 * the root cause ("sync 3: Broken pipe" is only its consequence). */
static void prefer_child_error(run_t *r)
{
    for (;;) {
        sync_msg_t m;
        int fds[2];
        ssize_t n = sync_recv(r->sock, &m, fds, NULL);
        for (int i = 0; i < 2; i++)
            if (n > 0 && fds[i] >= 0)
                close(fds[i]);
        if (n <= 0)
            return;
        if (m.type == SYNC_ERROR) {
            snprintf(r->msg, sizeof r->msg, "sandbox set-up: %s: %s", m.ce.text, strerror(m.ce.err));
            r->msg_errno = m.ce.err;
            return;
        }
    }
}

/* Wait (poll) for one set-up message from init; fails if init dies first. */
static int setup_recv(run_t *r, uint32_t want, int fd[2], sync_msg_t *got, pid_t *sender)
{
    for (;;) {
        sync_msg_t m;
        ssize_t n = sync_recv(r->sock, &m, fd, sender);
        if (n > 0) {
            if (got)
                *got = m;
            if (m.type == SYNC_ERROR) {
                errno = m.ce.err;
                set_msg(r, "sandbox set-up: %s: %s", m.ce.text, strerror(m.ce.err));
                return -1;
            }
            if (m.type != want) {
                set_msg(r, "sandbox set-up: sync protocol: got message %u, wanted %u", m.type, want);
                return -1;
            }
            return 0;
        }
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            set_msg(r, "sandbox set-up: init exited before sync %u", want);
            return -1;
        }
        uint64_t now = util_now_ns(), deadline = r->start_ns + 10000000000ULL;
        if (now >= deadline) {
            set_msg(r, "sandbox set-up: no sync %u within 10 s", want);
            return -1;
        }
        struct pollfd p = {.fd = r->sock, .events = POLLIN};
        poll(&p, 1, (int)((deadline - now) / 1000000) + 1);
    }
}

/* The user namespace is owned by the euid of its creator, and the kernel
 * charges a namespace's per-user counts (inotify, pending signals, ...) up
 * the chain to that owner: created by root they would land on root, shared
 * by every run and by the host. So this thread clones as the slot's root id
 * (raw syscalls: only this thread's credentials change, not the whole
 * process's as glibc's set*id() would), keeping its effective capabilities
 * for CLONE_INTO_CGROUP (SECBIT_NO_SETUID_FIXUP), and then switches back. */
typedef struct owner_saved {
    int secbits;             /* -1: not changed */
    int dumpable;
} owner_saved_t;

static int become_slot_owner(const run_t *r, owner_saved_t *saved)
{
    saved->dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    saved->secbits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
    if (saved->secbits < 0 || prctl(PR_SET_SECUREBITS, saved->secbits | SECBIT_NO_SETUID_FIXUP, 0, 0, 0) < 0) {
        saved->secbits = -1;
        return -1;
    }
    if (syscall(SYS_setresgid, -1, r->slot.root_id, -1) < 0 || syscall(SYS_setresuid, -1, r->slot.root_id, -1) < 0)
        return -1;
    return 0;
}

/* Undo become_slot_owner(), also after it failed half-way. */
static void back_to_root(const owner_saved_t *saved)
{
    /* Cannot fail for a thread whose real and saved ids are still 0. */
    syscall(SYS_setresuid, -1, 0, -1);
    syscall(SYS_setresgid, -1, 0, -1);
    if (saved->secbits >= 0)
        prctl(PR_SET_SECUREBITS, saved->secbits, 0, 0, 0);
    /* Changing the euid made the whole process non-dumpable: undo that
     * (never the case in nsjudge, which keeps itself non-dumpable). */
    if (saved->dumpable > 0)
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

/* Release the preparer waiting in do_clone. */
static void init_started(run_t *r)
{
    __atomic_store_n(&r->init_started, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &r->init_started, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Init's first step: tell the preparer the clone happened (its pid and
 * pidfd are written by now); then it is init. */
static int init_entry(void *arg)
{
    init_started(arg);
    init_main(arg);
}

/* On the run's carrier thread (carrier.c): clone init as its vfork child,
 * sharing this memory, and sleep until init is gone. Once init exists, r
 * is not touched again here: the run may be torn down (r unmapped) as soon
 * as init is reaped, before this thread wakes. */
static void clone_init(void *arg)
{
    run_t *r = arg;
    /* No CLONE_NEWNET: the netns helper makes it (see the top). */
    uint64_t ns = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
    int cgfd = r->join == CGROUP_JOIN_AT_CLONE ? cgroup_clone_fd(&r->cg) : -1;
    struct nsj_clone_args a;
    memset(&a, 0, sizeof a);
    a.flags = ns | CLONE_PIDFD | CLONE_VM | CLONE_VFORK | CLONE_PARENT_SETTID;
    a.pidfd = (uint64_t)(uintptr_t)&r->pidfd;
    a.parent_tid = (uint64_t)(uintptr_t)&r->init_tid;
    a.exit_signal = SIGCHLD;
    a.stack = (uint64_t)(uintptr_t)(carrier_stack_top(r->carrier, CARRIER_INIT_STACK) -
                                    carrier_stack_size(CARRIER_INIT_STACK));
    a.stack_size = carrier_stack_size(CARRIER_INIT_STACK);
    if (cgfd >= 0) {
        /* Born in its cgroup, so its cgroup namespace is rooted there. */
        a.flags |= CLONE_NEWCGROUP | CLONE_INTO_CGROUP;
        a.cgroup = (uint64_t)cgfd;
    }
    int home = carrier_home_netns(r->carrier);
    /* Born in the slot's network namespace: this thread enters it for the
     * clone (a network namespace is per thread) and goes back after. */
    int in_slotnet = r->netns_fd >= 0;
    long pid = -1;
    int e = 0;
    owner_saved_t saved = {.secbits = -1, .dumpable = 0};
    /* Likewise the slot root's mount namespace (a warm run: warm.c), entered
     * while still root on the host (setns wants CAP_SYS_ADMIN over it). */
    int in_rootns = r->root_ns_fd >= 0;
    carrier_t *carrier = r->carrier; /* r may be gone once init is */
    if (in_rootns && carrier_enter_mntns(carrier, r->root_ns_fd) < 0)
        e = errno, in_rootns = 0;
    else if (in_slotnet && setns(r->netns_fd, CLONE_NEWNET) < 0)
        e = errno;
    else if (become_slot_owner(r, &saved) < 0)
        e = errno;
    else if ((pid = carrier_clone3(&a, sizeof a, init_entry, r)) < 0)
        e = (int)-pid;
    back_to_root(&saved);
    if (in_slotnet && setns(home, CLONE_NEWNET) < 0) {
        /* Every later run of this thread would start in the wrong one. */
        fprintf(stderr, "nsjudge: cannot go back to the host's network namespace: %s\n", strerror(errno));
        abort();
    }
    if (in_rootns)
        carrier_leave_mntns(carrier);
    if (e) {
        /* No init was made: the preparer waits for this. */
        r->clone_errno = e;
        init_started(r);
    }
}

static pid_t do_clone(run_t *r)
{
    nsj_error_t err;
    carrier_t *c = carrier_take(&r->sb->carriers, &err);
    if (!c) {
        errno = err.errnum ? err.errnum : ENOMEM;
        return -1;
    }
    r->carrier = c;
    carrier_post(c, clone_init, r);
    /* Until init's first step, or the clone's failure. The kernel wrote
     * init's pid before init ran; an init killed before its first step is
     * seen by that pid within a millisecond. */
    struct timespec ms = {0, 1000000};
    while (!__atomic_load_n(&r->init_started, __ATOMIC_ACQUIRE) && !__atomic_load_n(&r->init_tid, __ATOMIC_ACQUIRE))
        syscall(SYS_futex, &r->init_started, FUTEX_WAIT, 0, &ms, NULL, 0);
    if (r->clone_errno) {
        errno = r->clone_errno;
        return -1;
    }
    return r->init_tid;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* The part of the root only the limits decide (/tmp and /dev/shm sizes,
 * the generated /proc files), planned into m with its text in buf. */
static void plan_limits_part(run_t *r, mount_plan_t *m, const nsj_limits_t *l, char *buf, size_t cap)
{
    snprintf(m->tmp_opts, sizeof m->tmp_opts, "size=%llu,nr_inodes=%llu,mode=1777",
             (unsigned long long)l->tmp_bytes, (unsigned long long)(l->tmp_bytes / 16384 + 64));
    mounts_plan_proc(m, l, r->sb->ncpus, r->sb->host_cgroups, buf, cap);
}

/* Warm: the slot's root the run got has the premounted files in its tmp
 * already (warm.c put them there for these limits). */
static int root_has_proc_gen(const run_t *r)
{
    char packed[sizeof r->pre_procbuf + PROC_GEN_MAX * 64];
    size_t n = r->root_gen ? mounts_proc_gen_pack(&r->premounts, packed, sizeof packed) : 0;
    return r->root_index >= 0 && n && n == r->root_gen_len && memcmp(packed, r->root_gen, n) == 0;
}

static int check_spec(const nsj_run_spec_t *s, char *msg, size_t cap)
{
    struct stat st;
    if (!s->rootfs || s->rootfs[0] != '/') {
        snprintf(msg, cap, "rootfs must be an absolute path");
        return -1;
    }
    /* The path goes into overlay's options, where these would be syntax. */
    if (strpbrk(s->rootfs, ",:\\") || strlen(s->rootfs) > 2000) {
        snprintf(msg, cap, "rootfs %s: path must not contain ',', ':' or '\\' (max 2000 bytes)", s->rootfs);
        return -1;
    }
    if (stat(s->rootfs, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(msg, cap, "rootfs %s: not a directory (build it: make rootfs)", s->rootfs);
        return -1;
    }
    if (!s->argv || !s->argv[0] || s->argv[0][0] != '/') {
        snprintf(msg, cap, "argv[0] must be an absolute path inside the rootfs");
        return -1;
    }
    if (s->nbinds > MOUNT_MAX_BINDS) {
        snprintf(msg, cap, "at most %d binds", MOUNT_MAX_BINDS);
        return -1;
    }
    if (s->program_stdin_fd >= 0 && (s->stdin_fd >= 0 || s->stdin_data)) {
        snprintf(msg, cap, "program_stdin_fd excludes stdin_fd and stdin_data");
        return -1;
    }
    for (size_t i = 0; i < s->nbinds; i++) {
        const nsj_bind_t *b = &s->binds[i];
        char p[4096];
        if (!b->host_path || b->host_path[0] != '/' || stat(b->host_path, &st) < 0) {
            snprintf(msg, cap, "bind source %s: missing or not absolute", b->host_path ? b->host_path : "(null)");
            return -1;
        }
        if (!b->sandbox_path || b->sandbox_path[0] != '/' || strstr(b->sandbox_path, "..") ||
            strcmp(b->sandbox_path, "/") == 0) {
            snprintf(msg, cap, "bind target %s: must be an absolute path below /", b->sandbox_path);
            return -1;
        }
        snprintf(p, sizeof p, "%s%s", s->rootfs, b->sandbox_path);
        if (stat(p, &st) < 0) {
            snprintf(msg, cap, "bind target %s does not exist in the rootfs", b->sandbox_path);
            return -1;
        }
    }
    if (s->nfiles) {
        const char *dir = s->files_dir ? s->files_dir : "/code";
        char p[4096];
        if (dir[0] != '/' || strcmp(dir, "/") == 0 || strstr(dir, "..")) {
            snprintf(msg, cap, "files_dir %s: must be an absolute path below /", dir);
            return -1;
        }
        snprintf(p, sizeof p, "%s%s", s->rootfs, dir);
        if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
            snprintf(msg, cap, "files_dir %s does not exist in the rootfs", dir);
            return -1;
        }
        for (size_t i = 0; i < s->nbinds; i++)
            if (strcmp(s->binds[i].sandbox_path, dir) == 0) {
                snprintf(msg, cap, "files_dir %s is also a bind target", dir);
                return -1;
            }
        for (size_t i = 0; i < s->nfiles; i++) {
            const char *n = s->files[i].name;
            if (!n || !*n || strchr(n, '/') || strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || strlen(n) > 255 ||
                (!s->files[i].data && s->files[i].len)) {
                snprintf(msg, cap, "file %zu: name must be a plain file name and data given", i);
                return -1;
            }
        }
    }
    return 0;
}

void nsj_run_spec_init(nsj_run_spec_t *spec)
{
    memset(spec, 0, sizeof *spec);
    nsj_limits_default(&spec->limits);
    spec->stdin_fd = -1;
    spec->cancel_fd = -1;
    spec->program_stdin_fd = spec->program_stdout_fd = -1;
}

/* Errors that say the host was short of something for a moment (a slot, a
 * pid, memory, a per-user count), not that the run can never work. */
static int host_fault(int e)
{
    return e == EAGAIN || e == ENOMEM || e == ETOOMANYREFS || e == EBUSY || e == EMFILE || e == ENFILE ||
           e == ENOSPC || e == EINTR || e == ETIMEDOUT;
}

/* ---------- one run's life: new, plan, prepare, execute, result, teardown ---------- */

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* A copy of n bytes in the run's arena (NULL when it is full). */
static void *arena_copy(run_t *r, const void *src, size_t n)
{
    size_t at = align8(r->arena_used);
    if (at > r->arena_cap || n > r->arena_cap - at)
        return NULL;
    r->arena_used = at + n;
    if (src && n)
        memcpy(r->arena + at, src, n);
    return r->arena + at;
}

static const char *arena_str(run_t *r, const char *s)
{
    return s ? arena_copy(r, s, strlen(s) + 1) : NULL;
}

static const char *const *arena_strv(run_t *r, const char *const *v)
{
    size_t n = 0;
    while (v[n])
        n++;
    const char **out = arena_copy(r, NULL, (n + 1) * sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(out[i] = arena_str(r, v[i])))
            return NULL;
    out[n] = NULL;
    return out;
}

static size_t strv_bytes(const char *const *v)
{
    size_t n = 8;
    for (; v && *v; v++)
        n += align8(strlen(*v) + 1) + 8;
    return n;
}

size_t run_spec_bytes(const nsj_run_spec_t *spec)
{
    size_t n = 4096 + strv_bytes(spec->argv) + strv_bytes(spec->envp ? spec->envp : nsj_default_env);
    n += align8(spec->rootfs ? strlen(spec->rootfs) + 1 : 0) + align8(spec->cwd ? strlen(spec->cwd) + 1 : 0);
    n += align8(spec->files_dir ? strlen(spec->files_dir) + 1 : 0);
    n += align8(spec->nbinds * sizeof(nsj_bind_t)) + align8(spec->nfiles * sizeof(nsj_file_t));
    for (size_t i = 0; i < spec->nbinds; i++)
        n += align8(spec->binds[i].host_path ? strlen(spec->binds[i].host_path) + 1 : 0) +
             align8(spec->binds[i].sandbox_path ? strlen(spec->binds[i].sandbox_path) + 1 : 0);
    for (size_t i = 0; i < spec->nfiles; i++)
        n += align8(spec->files[i].name ? strlen(spec->files[i].name) + 1 : 0) + align8(spec->files[i].len);
    return n;
}

run_t *run_new(nsj_sandbox_t *sb, size_t arena_cap, int warm)
{
    size_t head = (sizeof(run_t) + 4095) & ~(size_t)4095;
    arena_cap = (arena_cap + 4095) & ~(size_t)4095;
    /* Shared, not private: the init cloned from this thread reads what we
     * write after the clone (the spec, at sync 1b). NORESERVE: a standby's
     * arena is sized for the largest spec, its pages are made only as used. */
    void *m = mmap(NULL, head + arena_cap, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    run_t *r = m;
    r->map_len = head + arena_cap;
    r->arena = (char *)m + head;
    r->arena_cap = arena_cap;
    r->sb = sb;
    r->warm = warm;
    r->slot.index = r->slot.lockfd = -1;
    r->sock = r->child_sock = r->in_w = r->in_r = r->out_w = r->err_w = -1;
    r->out.fd = r->err.fd = r->pidfd = r->listener = r->wall_tfd = r->in_src = r->mntns = -1;
    r->netns_fd = r->root_fd = r->root_index = r->root_ns_fd = -1;
    cgroup_run_clear(&r->cg);
    cgroup_run_clear(&r->kept_cg);
    r->sig_reset = signals_to_reset();
    if (trace_on()) {
        void *pg = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        r->trace = pg == MAP_FAILED ? NULL : pg;
    }
    return r;
}

/* The spec's part of the run: checked, and what the child reads copied
 * into the shared arena. <0 with r->msg. */
int run_plan(run_t *r, const nsj_run_spec_t *spec)
{
    nsj_error_t err;
    r->spec = spec;
    r->in_src = spec->stdin_fd;
    r->in_data = spec->stdin_data;
    r->in_len = spec->stdin_data ? spec->stdin_len : 0;
    r->out.limit = r->err.limit = spec->limits.output_bytes;
    r->facts.cpu_limit_ms = spec->limits.cpu_ms;
    r->facts.wall_limit_ms = spec->limits.wall_ms;
    r->facts.memory_limit = spec->limits.memory_bytes;
    r->facts.output_limit = spec->limits.output_bytes;
    if (nsj_limits_validate(&spec->limits, &err) < 0) {
        errno = err.errnum, set_msg(r, "limits: %s", err.msg);
        return -1;
    }
    if (check_spec(spec, r->msg, sizeof r->msg) < 0)
        return -1;
    r->argv = arena_strv(r, spec->argv);
    r->envp = arena_strv(r, spec->envp ? spec->envp : nsj_default_env);
    r->cwd = arena_str(r, spec->cwd ? spec->cwd : "/tmp");
    r->mounts.empty_layer = r->sb->empty_layer;
    nsj_bind_t *b = arena_copy(r, spec->binds, spec->nbinds * sizeof *b);
    nsj_file_t *f = arena_copy(r, spec->files, spec->nfiles * sizeof *f);
    int ok = r->argv && r->envp && r->cwd && (b || !spec->nbinds) && (f || !spec->nfiles);
    for (size_t i = 0; ok && i < spec->nbinds; i++)
        ok = (b[i].host_path = arena_str(r, spec->binds[i].host_path)) &&
             (b[i].sandbox_path = arena_str(r, spec->binds[i].sandbox_path));
    for (size_t i = 0; ok && i < spec->nfiles; i++)
        ok = (f[i].name = arena_str(r, spec->files[i].name)) &&
             (f[i].data = arena_copy(r, spec->files[i].data, spec->files[i].len)) != NULL;
    const char *dir = arena_str(r, (spec->files_dir ? spec->files_dir : "/code") + 1);
    if (!ok || !dir) {
        errno = ENOMEM, set_msg(r, "run spec too large for the run's arena");
        return -1;
    }
    r->mounts.binds = b;
    r->mounts.nbinds = spec->nbinds;
    r->mounts.files = f;
    r->mounts.nfiles = spec->nfiles;
    r->mounts.files_dir = dir;
    size_t fbytes = 0;
    for (size_t i = 0; i < spec->nfiles; i++)
        fbytes += (spec->files[i].len + 4095) & ~(size_t)4095;
    snprintf(r->mounts.files_opts, sizeof r->mounts.files_opts, "size=%zu,nr_inodes=%zu,mode=755",
             fbytes + 65536, spec->nfiles + 16);
    limits_plan(&spec->limits, &r->rlimits);
    plan_limits_part(r, &r->mounts, &spec->limits, r->procbuf, sizeof r->procbuf);
    return 0;
}

/* The warm run's premounted limits' part is exactly what the spec needs:
 * the same tmpfs options and the same generated /proc files. */
static int limits_part_same(const mount_plan_t *a, const mount_plan_t *b)
{
    if (strcmp(a->tmp_opts, b->tmp_opts) != 0 || a->nproc_gen != b->nproc_gen)
        return 0;
    for (int i = 0; i < a->nproc_gen; i++)
        if (strcmp(a->proc_gen[i].name, b->proc_gen[i].name) != 0 || a->proc_gen[i].len != b->proc_gen[i].len ||
            memcmp(a->proc_gen[i].data, b->proc_gen[i].data, a->proc_gen[i].len) != 0)
            return 0;
    return 1;
}

/* sync 1b: the spec is in the shared run_t; its binds go along as mounts. */
static int send_spec(run_t *r)
{
    nsj_error_t err;
    int fds[MOUNT_MAX_BINDS];
    if (mounts_open_binds(&r->mounts, fds, &err) < 0) {
        errno = err.errnum, set_msg(r, "%s", err.msg);
        return -1;
    }
    int rc = sync_send(r->sock, SYNC_SPEC, 0, NULL, fds, (int)r->mounts.nbinds);
    int e = errno;
    for (size_t i = 0; i < r->mounts.nbinds; i++)
        close(fds[i]);
    if (rc < 0) {
        errno = e;
        set_msg(r, "sandbox set-up: sync 1b: %s", strerror(e));
    }
    return rc;
}

/* Kill a sandbox whose set-up failed (or that is no longer wanted) and reap its init. */
static void kill_and_reap(run_t *r)
{
    if (r->pid <= 0 || r->init_reaped)
        return;
    run_kill(r, KILL_NONE);
    /* Really reaped, not interrupted: the run's carrier (its stacks) is
     * handed to another run only then (run_teardown). */
    int rc;
    do {
        siginfo_t si;
        rc = r->pidfd >= 0 ? waitid((idtype_t)P_PIDFD, (id_t)r->pidfd, &si, WEXITED) : waitpid(r->pid, NULL, 0);
    } while (rc < 0 && errno == EINTR);
    r->init_reaped = 1;
    r->end_ns = util_now_ns();
}

/* The run's cgroup: the one its slot kept (warm: cgroup_reuse, counters
 * reset) when there is one, else a new one. */
static int run_make_cgroup(run_t *r, const nsj_limits_t *l, nsj_error_t *err)
{
    if (r->kept_cg.ndirs > 0) {
        char what[160];
        int ok = cgroup_reuse(&r->kept_cg, l, &r->cg, err) == 0;
        if (trace_on()) {
            if (ok)
                snprintf(what, sizeof what, "cgroup %s reused (%llu bytes still charged)", r->cg.name,
                         (unsigned long long)r->cg.base_usage);
            else
                snprintf(what, sizeof what, "cgroup not reused: %.120s", err->msg);
            run_trace(r, what);
        }
        if (ok)
            return 0;
    }
    return cgroup_create(r->sb->cg, l, (unsigned)r->slot.index, r->gen, &r->cg, err);
}

/* Everything the spec's rootfs and limits allow before the rest of the
 * spec is known (r->slot held): cgroup, clone, maps, /dev, the netns with
 * lo up; init builds the rootfs's overlay, /dev and /proc meanwhile. A
 * cold run (r->warm == 0, run_plan done) sends sync 1b along. <0 with
 * r->msg, the sandbox killed. */
int run_prepare(run_t *r, const char *rootfs, const nsj_limits_t *l)
{
    nsj_sandbox_t *sb = r->sb;
    nsj_error_t err;
    r->start_ns = util_now_ns();
    run_trace(r, r->warm ? "prepare (warm)" : "start");
    if (!(r->mounts.rootfs = arena_str(r, rootfs))) {
        errno = ENOMEM, set_msg(r, "run spec too large for the run's arena");
        return -1;
    }
    r->mounts.empty_layer = sb->empty_layer;
    r->mounts.proc_masks_absent = sb->proc_masks_absent;
    r->cg_limits = *l;
    if (r->warm) {
        plan_limits_part(r, &r->premounts, l, r->pre_procbuf, sizeof r->pre_procbuf);
        r->premounts.proc_gen_in_root = root_has_proc_gen(r);
    }
    /* 1. cgroup (v2: now, to be born in it; v1: right after clone, so the
     * netns helper starts sooner), socket, pipes. */
    r->join = cgroup_backend_join_method(sb->cg);
    if (r->join == CGROUP_JOIN_AT_CLONE) {
        if (run_make_cgroup(r, l, &err) < 0) {
            errno = err.errnum, set_msg(r, "%s", err.msg);
            return -1;
        }
        r->have_cg = 1;
    }
    int sv[2], p_in[2], p_out[2], p_err[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        set_msg(r, "socketpair: %s", strerror(errno));
        return -1;
    }
    r->sock = sv[0], r->child_sock = sv[1];
    /* sync 4 names the program by its pid (SCM_CREDENTIALS). */
    int one = 1;
    if (setsockopt(r->sock, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0) {
        set_msg(r, "setsockopt SO_PASSCRED: %s", strerror(errno));
        return -1;
    }
    /* The program's own stdin/stdout (nsj_run_pair): a copy of the
     * caller's fd, closed here once init holds its own. Only a cold run
     * has its spec this early: nsj_run never gives such a spec to a warm
     * slot, whose pipes are made before its spec is known. */
    const nsj_run_spec_t *ps = r->warm ? NULL : r->spec;
    int prog_in = ps ? ps->program_stdin_fd : -1, prog_out = ps ? ps->program_stdout_fd : -1;
    if (prog_in >= 0) {
        if ((r->in_r = fcntl(prog_in, F_DUPFD_CLOEXEC, 3)) < 0) {
            set_msg(r, "dup program stdin: %s", strerror(errno));
            return -1;
        }
    } else if (pipe2(p_in, O_CLOEXEC) < 0) {
        set_msg(r, "pipe: %s", strerror(errno));
        return -1;
    } else {
        r->in_r = p_in[0], r->in_w = p_in[1];
    }
    if (prog_out >= 0) {
        if ((r->out_w = fcntl(prog_out, F_DUPFD_CLOEXEC, 3)) < 0) {
            set_msg(r, "dup program stdout: %s", strerror(errno));
            return -1;
        }
    } else if (pipe2(p_out, O_CLOEXEC) < 0) {
        set_msg(r, "pipe: %s", strerror(errno));
        return -1;
    } else {
        r->out.fd = p_out[0], r->out_w = p_out[1];
    }
    if (pipe2(p_err, O_CLOEXEC) < 0) {
        set_msg(r, "pipe: %s", strerror(errno));
        return -1;
    }
    r->err.fd = p_err[0], r->err_w = p_err[1];
    if (r->in_w >= 0)
        fcntl(r->in_w, F_SETFL, O_NONBLOCK);
    if (r->out.fd >= 0)
        fcntl(r->out.fd, F_SETFL, O_NONBLOCK);
    fcntl(r->err.fd, F_SETFL, O_NONBLOCK);

    /* 2. clone. */
    r->init_fds[0] = r->child_sock, r->init_fds[1] = r->in_r, r->init_fds[2] = r->out_w, r->init_fds[3] = r->err_w;
    r->pid = do_clone(r);
    run_trace(r, "cloned");
    if (r->pid < 0) {
        set_msg(r, "clone: %s", strerror(errno));
        r->pid = 0;
        return -1;
    }
    close_fd(&r->child_sock);
    close_fd(&r->in_r);
    close_fd(&r->out_w);
    close_fd(&r->err_w);
    /* Held so that init's exit does not unmount its root: unmounting waits
     * for an RCU grace period (synchronize_rcu_expedited in the kernel's
     * namespace_unlock), which would lie between the program's exit and the
     * result. Closed by run_teardown, behind the result. */
    char nspath[64];
    snprintf(nspath, sizeof nspath, "/proc/%d/ns/mnt", (int)r->pid);
    r->mntns = open(nspath, O_RDONLY | O_CLOEXEC);
    if (r->mntns < 0) {
        set_msg(r, "open %s: %s", nspath, strerror(errno));
        goto kill;
    }

    /* 3. maps (before init changes credentials: its uid_map is ours to
     * write only while it is still dumpable), sync 1. */
    if (userns_write_maps(r->pid, &r->slot, &err) < 0) {
        errno = err.errnum, set_msg(r, "%s", err.msg);
        goto kill;
    }
    /* sync 1, with the private /dev, or (warm) the slot's root, /dev in it */
    int slot_root = r->root_index >= 0, rooted = slot_root && r->root_ns_fd >= 0;
    int gofd = rooted ? -1 : slot_root ? r->root_fd : mounts_make_dev(&err);
    if (gofd < 0 && !rooted) {
        errno = err.errnum, set_msg(r, "%s", err.msg);
        goto kill;
    }
    /* Rooted, init was born in its root: nothing to send. */
    int go = sync_send(r->sock, SYNC_GO, 0, NULL, &gofd, rooted ? 0 : 1);
    if (go < 0)
        set_msg(r, "sandbox set-up: sync %u: %s", SYNC_GO, strerror(errno));
    if (slot_root)
        close_fd(&r->root_fd);
    else if (gofd >= 0)
        close(gofd);
    if (go < 0)
        goto kill;
    /* sync 1b (cold): the spec is planned already; init builds all of its root now. */
    if (!r->warm && send_spec(r) < 0)
        goto kill;
    run_trace(r, "maps written, /dev made, sync 1 sent");

    /* 4. v1 (and v2 before 5.7): the cgroup, made while init builds its
     * root; init joins it at sync 3, before the program exists. */
    if (!r->have_cg) {
        if (run_make_cgroup(r, l, &err) < 0) {
            errno = err.errnum, set_msg(r, "%s", err.msg);
            goto kill;
        }
        r->have_cg = 1;
        run_trace(r, "cgroup created");
    }
    if (r->join == CGROUP_JOIN_BY_PARENT && cgroup_attach(&r->cg, r->pid, &err) < 0) {
        errno = err.errnum, set_msg(r, "%s", err.msg);
        goto kill;
    }
    /* sync 2 (none when born in the slot's network namespace: lo is up) */
    int nsfds[2] = {-1, -1};
    if (r->netns_fd >= 0)
        goto net_ready;
    if (setup_recv(r, SYNC_NETNS, nsfds, NULL, NULL) < 0)
        goto kill;
    if (nsfds[0] < 0 || nsfds[1] < 0) {
        set_msg(r, "sandbox set-up: sync 2 lacks the netlink socket or the netns");
        if (nsfds[0] >= 0)
            close(nsfds[0]);
        if (nsfds[1] >= 0)
            close(nsfds[1]);
        goto kill;
    }
    run_trace(r, "sync 2: netns received");
    /* As the namespace's owner: the kernel wants CAP_NET_ADMIN over the
     * sandbox's user namespace from the sender too, which its owner has
     * there without needing CAP_NET_ADMIN on the host (a container may
     * withhold it). */
    owner_saved_t saved;
    int lo = become_slot_owner(r, &saved);
    if (lo == 0)
        lo = net_bring_up_lo(nsfds[0], &err); /* takes nsfds[0] */
    else
        nsj_error_set(&err, errno, "net: become the slot's id"), close(nsfds[0]);
    back_to_root(&saved);
    if (lo < 0) {
        close(nsfds[1]);
        errno = err.errnum, set_msg(r, "%s", err.msg);
        goto kill;
    }
    run_trace(r, "lo up");
net_ready:;
    /* sync 3: the netns (unless born in the slot's), then (v1) the cgroups' tasks fds */
    int ready[SYNC_MAX_FDS], nready = 0;
    if (nsfds[1] >= 0)
        ready[nready++] = nsfds[1];
    for (int i = 0; i < r->cg.njoin; i++)
        ready[nready++] = r->cg.joinfd[i];
    int sent = sync_send(r->sock, SYNC_NET_READY, 0, NULL, ready, nready);
    if (nsfds[1] >= 0)
        close(nsfds[1]);
    cgroup_close_join(&r->cg);
    if (sent < 0) {
        set_msg(r, "sandbox set-up: sync 3: %s", strerror(errno));
        goto kill;
    }
    /* sync 4, warm: the program was made after sync 3, up to its seccomp
     * filter; its listener is taken now, before its spec. */
    if (r->warm) {
        sync_msg_t m;
        pid_t sender;
        if (setup_recv(r, SYNC_LISTENER_FD, NULL, &m, &sender) < 0)
            goto kill;
        if (run_take_listener(r, sender, m.status) != 0) {
            set_msg(r, "sandbox set-up: sync 4: the prepared program is gone");
            goto kill;
        }
        run_trace(r, "sync 4: listener taken (prepared)");
    }
    return 0;
kill:
    prefer_child_error(r);
    kill_and_reap(r);
    return -1;
}

/* From a prepared run to its end: (warm: the cgroup's limits, sync 1b)
 * supervise until init is reaped, then the cgroup's evidence. <0 with r->msg. */
int run_execute(run_t *r)
{
    nsj_error_t err;
    int rc = -1;
    if (r->warm) {
        r->start_ns = util_now_ns();
        run_trace(r, "start (warm: prepared ahead)");
        const nsj_limits_t *l = &r->spec->limits;
        if ((l->memory_bytes != r->cg_limits.memory_bytes || l->cpu_millis != r->cg_limits.cpu_millis ||
             l->pids != r->cg_limits.pids) &&
            cgroup_set_limits(&r->cg, l, &err) < 0) {
            errno = err.errnum, set_msg(r, "%s", err.msg);
            goto kill;
        }
        r->cg_limits = *l;
        r->mounts.limits_ready = limits_part_same(&r->mounts, &r->premounts);
        /* sync 1b */
        if (send_spec(r) < 0)
            goto kill;
    }
    r->last_io_ns = util_now_ns();
    /* 5. supervise until init is reaped (sync 4 and 5 arrive in the loop). */
    rc = supervise(r);
    goto collect;
kill:
    prefer_child_error(r);
    kill_and_reap(r);
collect:
    run_trace(r, "sandbox ended");
    if (rc < 0)
        r->facts.internal_error = 1;
    if (r->have_cg && cgroup_read_evidence(&r->cg, &r->facts.cg, &err) < 0) {
        errno = err.errnum, set_msg(r, "%s", err.msg);
        r->facts.internal_error = 1;
        rc = -1;
    }
    return rc;
}

/* Kill and remove the run's cgroup (after its evidence was read). <0 with r->msg. */
int run_remove_cgroup(run_t *r)
{
    nsj_error_t err;
    if (!r->have_cg)
        return 0;
    r->have_cg = 0;
    if (cgroup_destroy(&r->cg, &err) < 0) {
        errno = err.errnum, set_msg(r, "cleanup: %s", err.msg);
        return -1;
    }
    run_trace(r, "cgroup removed");
    return 0;
}

/* The verdict and the caller's result from what the run left in r;
 * returns rc, or <0 when the run ended in internal_error. */
int run_result(run_t *r, int rc, nsj_result_t *res, int *retry)
{
    nsj_result_init(res);
    if (r->trace)
        print_child_trace(r);
    if (r->msg[0])
        r->facts.internal_error = 1, rc = -1;
    uint64_t from = r->exec_ns ? r->exec_ns : r->start_ns; /* the program's own wall time */
    r->facts.wall_ms = r->end_ns > from ? (r->end_ns - from) / 1000000 : 0;
    r->facts.blocked_syscall = r->blocked;
    r->facts.out_over = r->out.over;
    r->facts.err_over = r->err.over;
    verdict_decide(&r->facts, res);
    if (rc == 0 && res->verdict == NSJ_VERDICT_INTERNAL_ERROR) {
        if (r->init_code == CLD_EXITED)
            set_msg(r, "sandbox init ended without reporting the program's status (init exited with %d)",
                    r->init_status);
        else if (r->init_code == CLD_KILLED || r->init_code == CLD_DUMPED)
            set_msg(r, "sandbox init ended without reporting the program's status (init killed by signal %d)",
                    r->init_status);
        else
            set_msg(r, "sandbox init ended without reporting the program's status");
        rc = -1;
    }
    snprintf(res->message, sizeof res->message, "%s", r->msg);
    res->cpu_ms = r->facts.cg.cpu_ns / 1000000;
    res->wall_ms = r->facts.wall_ms;
    res->memory_kb = r->facts.cg.peak_bytes / 1024;
    /* Killed by us: it ended then (its processes die at once); else when
     * its status came (or init was reaped). */
    if (r->exec_reached)
        res->ended_ns = r->kill_ns && r->kill_ns < r->end_ns ? r->kill_ns : r->end_ns;
    res->out = r->out.data ? r->out.data : calloc(1, 1);
    res->out_len = r->out.len;
    res->err = r->err.data ? r->err.data : calloc(1, 1);
    res->err_len = r->err.len;
    res->out_truncated = r->out.over;
    res->err_truncated = r->err.over;
    r->out.data = r->err.data = NULL; /* the result's now */
    /* The host's fault, before the program ever ran: worth another try. */
    *retry = rc < 0 && !r->exec_reached && !r->src_read && host_fault(r->msg_errno);
    return rc;
}

void run_reap(run_t *r)
{
    kill_and_reap(r);
}

int run_recycle_cgroup(run_t *r, cgroup_run_t *out)
{
    kill_and_reap(r);
    /* Its tmpfs mounts (charged to the cgroup) go with its namespace. */
    close_fd(&r->mntns);
    if (!r->have_cg)
        return 0;
    nsj_error_t err;
    int kept = cgroup_recycle(&r->cg, &err);
    if (kept < 0) {
        errno = err.errnum, set_msg(r, "cleanup: %s", err.msg);
        return -1;
    }
    r->have_cg = 0;
    if (kept)
        *out = r->cg;
    cgroup_run_clear(&r->cg);
    run_trace(r, kept ? "cgroup kept for the slot" : "cgroup removed");
    return kept;
}

/* Whatever is left of a run, prepared or finished: its sandbox (killed),
 * cgroup, fds, slot (when it took its own) and mapping. <0 when the cgroup
 * could not be removed (r->msg says why, copied to msg). */
int run_teardown(run_t *r, char *msg, size_t cap)
{
    kill_and_reap(r);
    if (r->kept_cg.ndirs > 0) {
        nsj_error_t e;
        cgroup_destroy(&r->kept_cg, &e);
    }
    /* Its init is gone (reaped) or was never made: its stacks are free. */
    if (r->carrier && (r->pid <= 0 || r->init_reaped))
        carrier_give(&r->sb->carriers, r->carrier);
    int rc = run_remove_cgroup(r);
    if (rc < 0 && msg)
        snprintf(msg, cap, "%s", r->msg);
    cgroup_close_join(&r->cg);
    if (r->own_slot)
        slot_release(&r->slot);
    close_fd(&r->sock);
    close_fd(&r->child_sock);
    close_fd(&r->in_r);
    close_fd(&r->in_w);
    close_fd(&r->out_w);
    close_fd(&r->err_w);
    close_fd(&r->out.fd);
    close_fd(&r->err.fd);
    close_fd(&r->listener);
    close_fd(&r->pidfd);
    close_fd(&r->mntns);
    close_fd(&r->root_fd);
    free(r->out.data);
    free(r->err.data);
    if (r->trace)
        munmap(r->trace, 4096);
    munmap(r, r->map_len);
    return rc;
}

/* The one-shot (cold) run: everything made for it, on this thread, and
 * removed before it returns. */
int run_cold(nsj_sandbox_t *sb, const nsj_run_spec_t *spec, nsj_result_t *res, int *retry)
{
    nsj_result_init(res);
    *retry = 0;
    run_t *r = run_new(sb, run_spec_bytes(spec), 0);
    if (!r) {
        res->verdict = NSJ_VERDICT_INTERNAL_ERROR;
        snprintf(res->message, sizeof res->message, "out of memory");
        return -1;
    }
    r->gen = atomic_fetch_add(&sb->run_gen, 1);
    int rc = -1;
    nsj_error_t err;
    if (run_plan(r, spec) < 0)
        goto done;
    /* 0. the slot: this run's host ids and cgroup name. */
    if (slot_acquire(&sb->slots, &r->slot, &err) < 0) {
        errno = err.errnum, set_msg(r, "%s", err.msg);
        goto done;
    }
    r->own_slot = 1;
    if (run_prepare(r, spec->rootfs, &spec->limits) == 0)
        rc = run_execute(r);
done:
    if (run_remove_cgroup(r) < 0)
        rc = -1;
    rc = run_result(r, rc, res, retry);
    run_teardown(r, NULL, 0);
    return rc;
}

int nsj_run(nsj_sandbox_t *sb, const nsj_run_spec_t *spec, nsj_result_t *res)
{
    int retry = 0, rc = -1;
    for (int attempt = 0; attempt < 3; attempt++) {
        if (attempt) {
            nsj_result_free(res);
            struct timespec ts = {0, 5000000L << attempt};
            nanosleep(&ts, NULL);
        }
        /* A spec with its own program pipes (nsj_run_pair) runs cold:
         * a warm slot's pipes exist before its spec. */
        int pipes = spec->program_stdin_fd >= 0 || spec->program_stdout_fd >= 0;
        rc = sb->warm && !pipes ? warm_run(sb, spec, res, &retry) : run_cold(sb, spec, res, &retry);
        if (!retry)
            break;
    }
    return rc;
}

/* ---------- the long-lived sandbox ---------- */

/* The overlay root needs a second, empty lower layer (a single lower layer
 * without an upper one is refused by older kernels). A root-owned empty
 * directory under the cache directory, made once. */
static int make_empty_layer(char *out, size_t cap, nsj_error_t *err)
{
    const char *dir = getenv("NSJUDGE_CACHE_DIR");
    if (!dir || !*dir)
        dir = "/var/cache/nsjudge";
    if (strpbrk(dir, ",:\\"))
        return nsj_error_set(err, EINVAL, "cache directory %s: path must not contain ',', ':' or '\\'", dir);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return nsj_error_set(err, errno, "mkdir %s", dir);
    snprintf(out, cap, "%s/empty-layer", dir);
    if (mkdir(out, 0755) < 0 && errno != EEXIST)
        return nsj_error_set(err, errno, "mkdir %s", out);
    /* Checked, never recreated: concurrent sandboxes mount it right now. */
    cleanup_close int fd = open(out, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022))
        return nsj_error_set(err, EPERM, "%s must be a root-owned directory not writable by others", out);
    DIR *d = fdopendir(dup(fd));
    if (!d)
        return nsj_error_set(err, errno, "open %s", out);
    int entries = 0;
    for (struct dirent *e; (e = readdir(d));)
        entries += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    if (entries)
        return nsj_error_set(err, ENOTEMPTY, "%s must be empty: every sandbox's root shows it", out);
    return 0;
}

int nsj_sandbox_new(const nsj_sandbox_opts_t *opts, nsj_sandbox_t **out, nsj_error_t *err)
{
    nsj_sandbox_opts_t none = {0};
    if (!opts)
        opts = &none;
    if (geteuid() != 0)
        return nsj_error_set(err, EPERM, "nsjudge needs root to create namespaces and cgroups");
    nsj_sandbox_t *sb = calloc(1, sizeof *sb);
    if (!sb)
        return nsj_error_set(err, ENOMEM, "sandbox");
    sb->scratch_dirfd = -1;
    sb->slots.dirfd = -1;
    carrier_pool_init(&sb->carriers);
    /* One carrier made now: its thread starts while the rest is set up. */
    carrier_t *first = carrier_take(&sb->carriers, err);
    if (first)
        carrier_give(&sb->carriers, first);
    if (warm_init(sb, err) < 0) {
        carrier_pool_fini(&sb->carriers);
        free(sb);
        return -1;
    }
    /* Each run's init shares this process's memory (carrier.c), so that
     * memory is never dumpable: no core file, no /proc/PID/mem of init for
     * anyone without CAP_SYS_PTRACE over the host. The process stays so. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
        nsj_error_set(err, errno, "prctl PR_SET_DUMPABLE");
        goto fail;
    }
    sb->warm = opts->warm;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    sb->ncpus = n > 0 ? (unsigned)n : 1;

    char policy[4096];
    const char *path = opts->seccomp_policy;
    if (!path)
        path = getenv("NSJUDGE_SECCOMP");
    if (!path || !*path) {
        if (paths_find_data("seccomp/default.policy", policy, sizeof policy) < 0) {
            nsj_error_set(err, ENOENT, "seccomp: default.policy not found (set NSJUDGE_SECCOMP)");
            goto fail;
        }
        path = policy;
    }
    if (seccomp_policy_compile(path, &sb->prog, err) < 0)
        goto fail;
    if (make_empty_layer(sb->empty_layer, sizeof sb->empty_layer, err) < 0)
        goto fail;
    mounts_host_cgroups(sb->host_cgroups, sizeof sb->host_cgroups);
    /* Found once for a long-lived caller's many runs; a one-shot run would
     * spend more on looking than init saves (it tries every mask). */
    if (sb->warm)
        sb->proc_masks_absent = mounts_proc_masks_absent();
    const char *run_dir = opts->run_dir && *opts->run_dir ? opts->run_dir : "/run/nsjudge";
    if (slot_table_open(&sb->slots, run_dir, opts->slots ? opts->slots : 64, opts->uid_base ? opts->uid_base : 100000,
                        opts->slot_wait_ms ? opts->slot_wait_ms : 60000, err) < 0)
        goto fail;
    if (scratch_open_dir(run_dir, &sb->scratch_dirfd, err) < 0)
        goto fail;
    scratch_sweep(sb->scratch_dirfd);
    /* Warm slots mount their roots here, each in a mount namespace of its
     * own (warm.c); the directory itself stays empty. Without it every run
     * mounts its own root. */
    if (sb->warm && snprintf(sb->roots_dir, sizeof sb->roots_dir, "%s/roots", run_dir) < (int)sizeof sb->roots_dir &&
        mkdir(sb->roots_dir, 0700) < 0 && errno != EEXIST)
        sb->roots_dir[0] = '\0';
    if (cgroup_backend_open(opts->cgroup_mode, opts->cgroup_parent, &sb->cg, err) < 0)
        goto fail;
    *out = sb;
    return 0;
fail:
    nsj_sandbox_free(sb);
    return -1;
}

void nsj_sandbox_free(nsj_sandbox_t *sb)
{
    if (!sb)
        return;
    warm_fini(sb);
    carrier_pool_fini(&sb->carriers);
    seccomp_prog_free(&sb->prog);
    cgroup_backend_close(sb->cg);
    slot_table_close(&sb->slots);
    if (sb->scratch_dirfd >= 0)
        close(sb->scratch_dirfd);
    free(sb);
}

int nsj_sandbox_sweep(nsj_sandbox_t *sb)
{
    return cgroup_backend_sweep(sb->cg) + scratch_sweep(sb->scratch_dirfd);
}

const char *nsj_sandbox_cgroup_backend(const nsj_sandbox_t *sb)
{
    return cgroup_backend_name(sb->cg);
}
