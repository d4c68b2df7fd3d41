/* probe: the integration tests' payload, built static so it runs in any
 * rootfs. One command per test idea; each prints what it observed as
 * "key=value" lines (or "ESCAPED ..." when it got out of something).
 *
 *   probe hello                      print "hello"
 *   probe exit N | segv | abort      end that way
 *   probe spin [N]                   burn CPU in N processes
 *   probe sleep SEC                  sleep
 *   probe memhog MIB                 allocate and touch MIB mebibytes
 *   probe forkbomb                   fork forever
 *   probe flood out|err|both         write forever
 *   probe trickle MS                 1-byte writes to stdout for MS ms of CPU
 *   probe ids MS                     host uid of the program (uid_map), then sleep MS
 *   probe inflight MS                leave fds in flight on a socketpair, hold MS
 *   probe sendfd                     pass one fd over a socketpair: sendfd=ok|ERRNO
 *   probe inotify MS                 take inotify instances until refused, hold MS
 *   probe sigqueue MS                queue signals to self until refused, hold MS
 *   probe pipes MS                   make 1 MiB pipes until refused, hold MS
 *   probe pipesize                   a new pipe's capacity: pipesize=N
 *   probe families                   socket() for families 0..45: which succeed
 *   probe tcpbuf MIB MS              park up to MIB MiB in loopback TCP buffers
 *   probe cat PATH...                print each file (path: then its text)
 *   probe selfxcpu                   25 ms of CPU, then raise(SIGXCPU)
 * With no arguments, the arguments are read from stdin (one line): the
 * CLI's binary language passes none.
 *   probe daemon                     setsid double-fork, then exit 0
 *   probe stopped                    a SIGSTOPped child, then exit 0
 *   probe killall                    kill(-1, SIGKILL) and report
 *   probe syscall NAME               try a syscall, print NAME=ok|ERRNO
 *   probe i386 | x32                 a syscall through a foreign entry point
 *   probe status                     uid, gid, caps, no_new_privs, seccomp, hostname
 *   probe fds | env | pids | ifaces  what the program can see
 *   probe connect IP PORT            TCP connect, print result
 *   probe write PATH                 create a file, print result
 *   probe fill PATH MIB              write MIB mebibytes, print how many fit
 *   probe execat PATH                copy self to PATH and exec it
 *   probe exists PATH...             print PATH=yes|no
 *   probe rootid                     root_dev=MAJ:MIN of / and root_fstype= (mountinfo)
 *   probe echo                       copy stdin to stdout
 *   probe flock PATH MS              hold an exclusive flock on PATH for MS ms
 *   probe trylock PATH               try one: trylock=ok, or the errno if held elsewhere
 *   probe leave                      leave state behind on every channel a next run
 *                                    could read (files, SysV IPC, mqueue, sockets,
 *                                    TCP TIME_WAIT and a bound port, inotify, a held
 *                                    flock on /etc, a setsid daemon holding it all under an
 *                                    extra seccomp filter, a stopped child): made=...
 *   probe find                       what a run finds of it: one key=value per channel
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *ename(int e)
{
    const char *n = strerrorname_np(e);
    return n ? n : "E?";
}

static void report(const char *name, long rc)
{
    if (rc < 0)
        printf("%s=%s\n", name, ename(errno));
    else
        printf("%s=ok\n", name);
}

static int try_syscall(const char *n)
{
    long rc;
    errno = 0;
    if (!strcmp(n, "ptrace")) rc = syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
    else if (!strcmp(n, "mount")) rc = mount("none", "/tmp", "tmpfs", 0, NULL);
    else if (!strcmp(n, "umount2")) rc = umount2("/tmp", MNT_DETACH);
    else if (!strcmp(n, "unshare")) rc = unshare(CLONE_NEWNS);
    else if (!strcmp(n, "unshare_user")) rc = unshare(CLONE_NEWUSER);
    else if (!strcmp(n, "setns")) rc = setns(0, 0);
    else if (!strcmp(n, "clone3")) {
        struct { unsigned long long f[11]; } a = {{0}};
        a.f[4] = SIGCHLD; /* exit_signal */
        rc = syscall(SYS_clone3, &a, 88);
        if (rc == 0)
            _exit(0);
        if (rc > 0)
            waitpid((pid_t)rc, NULL, 0);
    } else if (!strcmp(n, "clone_newuser") || !strcmp(n, "clone_newnet")) {
        long fl = (!strcmp(n, "clone_newuser") ? CLONE_NEWUSER : CLONE_NEWNET) | SIGCHLD;
        rc = syscall(SYS_clone, fl, 0, 0, 0, 0);
        if (rc == 0)
            _exit(0);
        if (rc > 0)
            waitpid((pid_t)rc, NULL, 0);
    } else if (!strcmp(n, "clone_plain")) {
        rc = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
        if (rc == 0)
            _exit(0);
        if (rc > 0)
            waitpid((pid_t)rc, NULL, 0);
    } else if (!strcmp(n, "keyctl")) rc = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
    else if (!strcmp(n, "add_key")) rc = syscall(SYS_add_key, "user", "k", "v", 1, KEY_SPEC_SESSION_KEYRING);
    else if (!strcmp(n, "io_uring_setup")) rc = syscall(SYS_io_uring_setup, 4, calloc(1, 256));
    else if (!strcmp(n, "userfaultfd")) rc = syscall(SYS_userfaultfd, 0);
    else if (!strcmp(n, "bpf")) rc = syscall(SYS_bpf, 0, NULL, 0);
    else if (!strcmp(n, "perf_event_open")) rc = syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
    else if (!strcmp(n, "personality_query")) rc = personality(0xffffffff);
    else if (!strcmp(n, "personality_set")) rc = personality(PER_BSD);
    else if (!strcmp(n, "chroot")) rc = chroot("/tmp");
    else if (!strcmp(n, "pivot_root")) rc = syscall(SYS_pivot_root, "/tmp", "/tmp");
    else if (!strcmp(n, "fsopen")) rc = syscall(SYS_fsopen, "tmpfs", 0);
    else if (!strcmp(n, "open_tree")) rc = syscall(SYS_open_tree, AT_FDCWD, "/tmp", 1 /* OPEN_TREE_CLONE */);
    else if (!strcmp(n, "kexec_load")) rc = syscall(SYS_kexec_load, 0, 0, NULL, 0);
    else if (!strcmp(n, "init_module")) rc = syscall(SYS_init_module, NULL, 0, "");
    else if (!strcmp(n, "reboot")) rc = syscall(SYS_reboot, 0, 0, 0, NULL);
    else if (!strcmp(n, "swapon")) rc = syscall(SYS_swapon, "/tmp/x", 0);
    else if (!strcmp(n, "settimeofday")) rc = syscall(SYS_settimeofday, NULL, NULL);
    else if (!strcmp(n, "clock_settime")) {
        struct timespec ts = {0, 0};
        rc = syscall(SYS_clock_settime, CLOCK_REALTIME, &ts);
    } else if (!strcmp(n, "syslog")) rc = syscall(SYS_syslog, 3, NULL, 0);
    else if (!strcmp(n, "acct")) rc = syscall(SYS_acct, NULL);
    else if (!strcmp(n, "open_by_handle_at")) rc = syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, 0);
    else if (!strcmp(n, "process_vm_readv")) rc = syscall(SYS_process_vm_readv, getpid(), NULL, 0, NULL, 0, 0);
    else if (!strcmp(n, "sethostname")) rc = sethostname("x", 1);
    else if (!strcmp(n, "setuid0")) rc = setuid(0);
    else if (!strcmp(n, "getpid")) rc = syscall(SYS_getpid);
    else if (!strcmp(n, "vsock")) rc = socket(40 /* AF_VSOCK; never connected */, SOCK_STREAM, 0);
    else if (!strcmp(n, "io_setup")) { unsigned long ctx = 0; rc = syscall(SYS_io_setup, 1, &ctx); }
    else if (!strcmp(n, "sysfs")) rc = syscall(SYS_sysfs, 3);
    else if (!strcmp(n, "ustat")) rc = syscall(SYS_ustat, 0, NULL);
    else if (!strcmp(n, "memfd_secret")) rc = syscall(447, 0);
    else if (!strcmp(n, "set_mempolicy")) rc = syscall(SYS_set_mempolicy, 0, NULL, 0);
    else {
        printf("unknown syscall test %s\n", n);
        return 2;
    }
    report(n, rc);
    return 0;
}

/* Read a "Key:\tvalue" line of /proc/self/status. */
static void status_field(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t n = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, n) && line[n] == ':') {
            char *v = line + n + 1;
            v += strspn(v, " \t");
            printf("%s=%s", key, v);
        }
    if (f)
        fclose(f);
}

/* ---- probe leave / probe find: what one run leaves for the next ---- */

#define WARM_KEY 0x4e534a57 /* SysV key "NSJW" */
#define WARM_PORT 40123
static const char warm_abstract[] = "\0nsjudge-warm";

static void host_uid_line(void)
{
    FILE *f = fopen("/proc/self/uid_map", "r");
    unsigned in, out, n;
    while (f && fscanf(f, "%u %u %u", &in, &out, &n) == 3)
        if (in == (unsigned)getuid())
            printf("host_uid=%u\n", out);
    if (f)
        fclose(f);
}

static int unix_socket_at(const char *path, size_t len, int do_bind)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    memcpy(a.sun_path, path, len);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    socklen_t al = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    int rc = do_bind ? bind(fd, (struct sockaddr *)&a, al) : connect(fd, (struct sockaddr *)&a, al);
    if (rc == 0 && do_bind)
        rc = listen(fd, 4);
    if (rc < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static struct sockaddr_in warm_addr(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(WARM_PORT)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int cmd_leave(void)
{
    char made[512] = "";
#define MADE(what, ok) strcat(made, (ok) ? what "," : "")
    host_uid_line();
    int fd = open("/tmp/warm-file", O_WRONLY | O_CREAT, 0666);
    MADE("tmp", fd >= 0);
    fd = open("/dev/shm/warm-file", O_WRONLY | O_CREAT, 0666);
    MADE("devshm", fd >= 0);
    fd = open("/box/warm-file", O_WRONLY | O_CREAT, 0666); /* read-only unless bound */
    MADE("box", fd >= 0);
    MADE("sysv_shm", shmget(WARM_KEY, 4096, IPC_CREAT | 0666) >= 0);
    MADE("sysv_msg", msgget(WARM_KEY, IPC_CREAT | 0666) >= 0);
    MADE("sysv_sem", semget(WARM_KEY, 1, IPC_CREAT | 0666) >= 0);
    /* RLIMIT_MSGQUEUE is 0 in the sandbox: expected to be refused here. */
    long mq = syscall(SYS_mq_open, "nsjudge-warm", O_RDWR | O_CREAT, 0666, NULL);
    printf("mqueue_create=%s\n", mq >= 0 ? "ok" : ename(errno));
    MADE("mqueue", mq >= 0);
    /* The sockets and the rest are held by a setsid daemon, which says
     * when its line is out (ready): this run must not end before. */
    int ready[2];
    if (pipe(ready) < 0) {
        printf("error=pipe %s\n", ename(errno));
        return 1;
    }
    pid_t d = fork();
    if (d == 0) {
        close(ready[0]);
        setsid();
        int abs = unix_socket_at(warm_abstract, sizeof warm_abstract - 1, 1);
        int path = unix_socket_at("/dev/shm/warm.sock", sizeof "/dev/shm/warm.sock", 1);
        /* TIME_WAIT: the side that closes first keeps it. */
        struct sockaddr_in a = warm_addr();
        int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        int tw = 0;
        if (bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 4) == 0) {
            int c = socket(AF_INET, SOCK_STREAM, 0);
            if (connect(c, (struct sockaddr *)&a, sizeof a) == 0) {
                int s = accept(l, NULL, NULL);
                close(s); /* server closes first: TIME_WAIT on 127.0.0.1:WARM_PORT */
                usleep(20000);
                close(c);
                tw = 1;
            }
        }
        int ino = 0;
        while (ino < 64 && inotify_init1(0) >= 0)
            ino++;
        int lk = open("/etc", O_RDONLY | O_DIRECTORY);
        int locked = lk >= 0 && flock(lk, LOCK_EX) == 0;
        /* A generated /proc file: a warm slot's root keeps them between runs. */
        int lm = open("/proc/meminfo", O_RDONLY);
        int mlocked = lm >= 0 && flock(lm, LOCK_EX) == 0;
        struct rlimit rl = {16, 16};
        setrlimit(RLIMIT_NOFILE, &rl);
        struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        struct sock_fprog prog = {.len = 1, .filter = &allow};
        int filtered = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0;
        printf("daemon=%s%s%s%s%s%s%s\n", abs >= 0 ? "abstract," : "", path >= 0 ? "pathsock," : "",
               tw ? "timewait,listen," : "", ino ? "inotify," : "", locked ? "flock," : "",
               mlocked ? "meminfo_flock," : "", filtered ? "seccomp," : "");
        fflush(stdout);
        close(ready[1]);
        for (int i = 0; i < 3; i++)
            close(i);
        for (;;)
            pause();
    }
    close(ready[1]);
    /* Reading a file may stamp its atime, which a later run could see. */
    struct stat m0, m1;
    char buf[4096];
    int mfd = open("/proc/meminfo", O_RDONLY);
    int read_ok = mfd >= 0 && fstat(mfd, &m0) == 0 && read(mfd, buf, sizeof buf) > 0 && fstat(mfd, &m1) == 0;
    printf("meminfo_atime=%s\n", !read_ok ? ename(errno)
                                 : m0.st_atim.tv_sec == m1.st_atim.tv_sec && m0.st_atim.tv_nsec == m1.st_atim.tv_nsec
                                     ? "unchanged"
                                     : "changed");
    if (mfd >= 0)
        close(mfd);
    pid_t st = fork();
    if (st == 0) {
        raise(SIGSTOP);
        for (;;)
            pause();
    }
    /* The daemon's line first: its end of the pipe closes after it (EOF
     * here), however slow the host. */
    char b;
    while (read(ready[0], &b, 1) < 0 && errno == EINTR)
        ;
    printf("made=%s\n", made);
    return 0;
#undef MADE
}

/* ---- the slot's network namespace: reused only while clean ---- */

static const char inflight_name[] = "\0nsjudge-inflight";

/* The network namespace's cookie (unique, never reused) and what a run
 * could have left in it. */
static int cmd_netns(void)
{
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    unsigned long long cookie = 0;
    socklen_t cl = sizeof cookie;
    if (u < 0 || getsockopt(u, SOL_SOCKET, 71 /* SO_NETNS_COOKIE */, &cookie, &cl) < 0)
        printf("netns_cookie_error=%s\n", ename(errno));
    else
        printf("netns_cookie=%llu\n", cookie);
    close(u);
    char line[512];
    FILE *f = fopen("/proc/net/dev", "r");
    while (f && fgets(line, sizeof line, f)) {
        unsigned long long rxb, rxp, txb, txp, skip;
        char *lo = strstr(line, "lo:");
        if (lo && sscanf(lo + 3, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &rxb, &rxp, &skip, &skip, &skip,
                         &skip, &skip, &skip, &txb, &txp) == 10)
            printf("lo_packets=%llu/%llu\n", rxp, txp);
    }
    if (f)
        fclose(f);
    int labels = -1;
    f = fopen("/proc/net/ip6_flowlabel", "r");
    while (f && fgets(line, sizeof line, f))
        labels++;
    if (f)
        fclose(f);
    printf("flowlabels=%d\n", labels);
    f = fopen("/proc/net/sockstat", "r");
    while (f && fgets(line, sizeof line, f)) {
        int tw;
        char *t = strstr(line, " tw ");
        if (!strncmp(line, "TCP:", 4) && t && sscanf(t, " tw %d", &tw) == 1)
            printf("tcp_tw=%d\n", tw);
    }
    if (f)
        fclose(f);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    memcpy(a.sun_path, inflight_name, sizeof inflight_name - 1);
    int b = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("inflight_name=%s\n", bind(b, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
                                                                           sizeof inflight_name - 1)) == 0
                                      ? "free"
                                      : ename(errno));
    close(b);
    return 0;
}

static int send_fds(int sock, const int *fds, int n);

/* One kind of state a run can leave in its network namespace. */
static int cmd_dirty(const char *kind)
{
    cmd_netns();
    int made = 0;
    if (!strcmp(kind, "tcp")) {
        /* A connection over lo: packets, and TIME_WAIT on the closing side. */
        struct sockaddr_in a = warm_addr();
        int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 4) == 0 &&
            connect(c, (struct sockaddr *)&a, sizeof a) == 0) {
            int s = accept(l, NULL, NULL);
            close(s);
            usleep(20000);
            close(c);
            made = 1;
        }
    } else if (!strcmp(kind, "flowlabel")) {
        /* An IPv6 flow label outlives its socket by its linger time; no packet. */
        struct in6_flowlabel_req {
            struct in6_addr flr_dst;
            uint32_t flr_label;
            uint8_t flr_action, flr_share;
            uint16_t flr_flags, flr_expires, flr_linger;
            uint32_t __flr_pad;
        } req;
        memset(&req, 0, sizeof req);
        req.flr_dst = in6addr_loopback;
        req.flr_label = htonl(0x5eed1);
        req.flr_action = 0;                  /* IPV6_FL_A_GET */
        req.flr_share = 255;                 /* IPV6_FL_S_ANY */
        req.flr_flags = 1 | 2;               /* IPV6_FL_F_CREATE | IPV6_FL_F_EXCL */
        req.flr_linger = 60;
        int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
        if (setsockopt(s6, IPPROTO_IPV6, 32 /* IPV6_FLOWLABEL_MGR */, &req, sizeof req) == 0)
            made = 1;
        else
            printf("flowlabel_error=%s\n", ename(errno));
        close(s6);
    } else if (!strcmp(kind, "inflight")) {
        /* An abstract name bound on a socket that only a cycle of unix
         * sockets in flight keeps alive; no packet. */
        int sv[2], x = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        memcpy(a.sun_path, inflight_name, sizeof inflight_name - 1);
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 &&
            bind(x, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + sizeof inflight_name - 1)) == 0 &&
            send_fds(sv[0], &x, 1) == 0 && send_fds(sv[0], &sv[0], 1) == 0 && send_fds(sv[1], &sv[1], 1) == 0)
            made = 1;
        close(x), close(sv[0]), close(sv[1]);
    } else if (!strcmp(kind, "inflight_lock")) {
        /* A lock on a rootfs inode (/etc), its file kept open only by a
         * cycle of unix sockets in flight: it outlives every process of
         * the run until the kernel collects the cycle. */
        int sv[2], x = open("/etc", O_RDONLY | O_DIRECTORY);
        if (x >= 0 && flock(x, LOCK_EX | LOCK_NB) == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 &&
            send_fds(sv[0], &x, 1) == 0 && send_fds(sv[0], &sv[0], 1) == 0 && send_fds(sv[1], &sv[1], 1) == 0)
            made = 1;
        close(x), close(sv[0]), close(sv[1]);
    }
    printf("made=%s\n", made ? kind : "nothing");
    return 0;
}

static int cmd_find(void)
{
    host_uid_line();
    printf("tmp=%s\n", access("/tmp/warm-file", F_OK) == 0 ? "found" : "absent");
    printf("devshm=%s\n", access("/dev/shm/warm-file", F_OK) == 0 ? "found" : "absent");
    printf("box=%s\n", access("/box/warm-file", F_OK) == 0 ? "found" : "absent");
    printf("sysv_shm=%s\n", shmget(WARM_KEY, 0, 0) >= 0 ? "found" : ename(errno));
    printf("sysv_msg=%s\n", msgget(WARM_KEY, 0) >= 0 ? "found" : ename(errno));
    printf("sysv_sem=%s\n", semget(WARM_KEY, 0, 0) >= 0 ? "found" : ename(errno));
    printf("mqueue=%s\n", syscall(SYS_mq_open, "nsjudge-warm", O_RDONLY, 0, NULL) >= 0 ? "found" : ename(errno));
    printf("abstract=%s\n", unix_socket_at(warm_abstract, sizeof warm_abstract - 1, 0) >= 0 ? "found" : ename(errno));
    printf("pathsock=%s\n",
           unix_socket_at("/dev/shm/warm.sock", sizeof "/dev/shm/warm.sock", 0) >= 0 ? "found" : ename(errno));
    /* Without SO_REUSEADDR a TIME_WAIT or a listener on the port refuses the bind. */
    struct sockaddr_in a = warm_addr();
    int b = socket(AF_INET, SOCK_STREAM, 0);
    printf("tcp_bind=%s\n", bind(b, (struct sockaddr *)&a, sizeof a) == 0 ? "ok" : ename(errno));
    close(b);
    int tcp = -1;
    FILE *f = fopen("/proc/net/tcp", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f))
        tcp++;
    if (f)
        fclose(f);
    printf("tcp_sockets=%d\n", tcp);
    int ino = 0;
    while (ino < 64 && inotify_init1(0) >= 0)
        ino++;
    printf("inotify=%d\n", ino);
    int lk = open("/etc", O_RDONLY | O_DIRECTORY);
    printf("flock=%s\n", lk >= 0 && flock(lk, LOCK_EX | LOCK_NB) == 0 ? "ok" : ename(errno));
    int lm = open("/proc/meminfo", O_RDONLY);
    printf("meminfo_flock=%s\n", lm >= 0 && flock(lm, LOCK_EX | LOCK_NB) == 0 ? "ok" : ename(errno));
    int procs = 0;
    DIR *d = opendir("/proc");
    for (struct dirent *e; d && (e = readdir(d));)
        procs += e->d_name[0] >= '0' && e->d_name[0] <= '9';
    if (d)
        closedir(d);
    printf("processes=%d\n", procs);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    printf("nofile=%llu\n", (unsigned long long)rl.rlim_cur);
    status_field("Seccomp_filters");
    printf("env_WARM=%s\n", getenv("WARM") ? getenv("WARM") : "absent");
    return 0;
}

static int cmd_status(void)
{
    char host[256] = "";
    gethostname(host, sizeof host);
    printf("uid=%d\ngid=%d\nhostname=%s\npid=%d\n", (int)getuid(), (int)getgid(), host, (int)getpid());
    status_field("CapEff");
    status_field("CapPrm");
    status_field("CapBnd");
    status_field("CapAmb");
    status_field("NoNewPrivs");
    status_field("Seccomp");
    status_field("Groups");
    return 0;
}

static int list_dir(const char *path, int numeric_only)
{
    DIR *d = opendir(path);
    if (!d) {
        printf("error=%s\n", ename(errno));
        return 1;
    }
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && (!numeric_only || (e->d_name[0] >= '0' && e->d_name[0] <= '9')))
            printf("%s\n", e->d_name);
    closedir(d);
    return 0;
}

/* The network namespace's interfaces, from /proc/self/net/dev (if_nameindex
 * needs a netlink socket, a family the sandbox refuses). */
static int cmd_ifaces(void)
{
    FILE *f = fopen("/proc/self/net/dev", "r");
    if (!f) {
        printf("error=%s\n", ename(errno));
        return 1;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    char line[512];
    for (int n = 0; fgets(line, sizeof line, f); n++) {
        char name[IFNAMSIZ];
        if (n < 2 || sscanf(line, " %15[^:]:", name) != 1)
            continue;
        struct ifreq r;
        memset(&r, 0, sizeof r);
        snprintf(r.ifr_name, sizeof r.ifr_name, "%s", name);
        int up = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &r) == 0 && (r.ifr_flags & IFF_UP);
        printf("iface=%s %s\n", name, up ? "up" : "down");
    }
    fclose(f);
    return 0;
}

static void hold(const char *ms)
{
    long v = atol(ms);
    struct timespec ts = {v / 1000, (v % 1000) * 1000000L};
    fflush(stdout);
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int send_fds(int sock, const int *fds, int n)
{
    char data = 'x';
    struct iovec iov = {.iov_base = &data, .iov_len = 1};
    union {
        char buf[CMSG_SPACE(64 * sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                        .msg_controllen = CMSG_SPACE((size_t)n * sizeof(int))};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
    memcpy(CMSG_DATA(c), fds, (size_t)n * sizeof(int));
    return sendmsg(sock, &mh, MSG_DONTWAIT) == 1 ? 0 : -1;
}

/* Fds in flight are counted per host uid against the sender's
 * RLIMIT_NOFILE: send 64 at a time until the kernel refuses. */
static int cmd_inflight(const char *ms)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0)
        return printf("error=%s\n", ename(errno)), 1;
    int fds[64];
    for (int i = 0; i < 64; i++)
        fds[i] = sv[0];
    long sent = 0;
    int e = 0;
    for (int k = 0; k < 1000; k++) {
        if (send_fds(sv[1], fds, 64) < 0) {
            e = errno;
            break;
        }
        sent += 64;
    }
    printf("inflight=%ld stopped=%s\n", sent, e ? ename(e) : "no");
    hold(ms);
    return 0;
}

static int cmd_sendfd(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0)
        return printf("sendfd=%s\n", ename(errno)), 0;
    int rc = send_fds(sv[1], &sv[0], 1);
    printf("sendfd=%s\n", rc == 0 ? "ok" : ename(errno));
    return 0;
}

static int cmd_inotify(const char *ms)
{
    int n = 0, e = 0;
    for (; n < 100000; n++) {
        int fd = inotify_init1(IN_CLOEXEC);
        if (fd < 0) {
            e = errno;
            break;
        }
    }
    printf("inotify=%d stopped=%s\n", n, e ? ename(e) : "no");
    hold(ms);
    return 0;
}

static int cmd_sigqueue(const char *ms)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &set, NULL);
    union sigval v = {.sival_int = 1};
    int n = 0, e = 0;
    for (; n < 1000000; n++)
        if (sigqueue(getpid(), SIGRTMIN, v) < 0) {
            e = errno;
            break;
        }
    printf("sigqueue=%d stopped=%s\n", n, e ? ename(e) : "no");
    hold(ms);
    return 0;
}

static int cmd_pipes(const char *ms)
{
    int n = 0;
    for (; n < 120; n++) {
        int p[2];
        if (pipe(p) < 0 || fcntl(p[1], F_SETPIPE_SZ, 1 << 20) < 0)
            break;
    }
    printf("pipes=%d\n", n);
    hold(ms);
    return 0;
}

static int cmd_pipesize(void)
{
    int p[2];
    if (pipe(p) < 0)
        return printf("pipesize=%s\n", ename(errno)), 0;
    printf("pipesize=%d\n", fcntl(p[0], F_GETPIPE_SZ));
    return 0;
}

static int cmd_families(void)
{
    printf("families=");
    for (int f = 0; f <= 45; f++) {
        /* Never connect anywhere (AF_VSOCK would reach the hypervisor): socket() only. */
        int fd = socket(f, SOCK_STREAM, 0);
        if (fd < 0 && errno != EAFNOSUPPORT)
            fd = socket(f, SOCK_DGRAM, 0);
        if (fd < 0 && errno != EAFNOSUPPORT)
            fd = socket(f, SOCK_RAW, 0);
        if (fd >= 0 || errno != EAFNOSUPPORT)
            printf("%d%s ", f, fd >= 0 ? "" : "?");
        if (fd >= 0)
            close(fd);
    }
    printf("\n");
    return 0;
}

/* Connections on lo whose receivers never read: each write parks bytes in
 * the kernel's socket buffers. */
static int cmd_tcpbuf(const char *mib, const char *ms)
{
    long want = atol(mib) << 20, parked = 0;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 128) < 0 ||
        getsockname(ls, (struct sockaddr *)&a, &al) < 0)
        return printf("error=%s\n", ename(errno)), 1;
    static char buf[1 << 16];
    int conns = 0;
    for (; conns < 100 && parked < want; conns++) {
        int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (c < 0)
            break;
        int big = 64 << 20;
        setsockopt(c, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
        if (connect(c, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS)
            break;
        struct pollfd pl = {.fd = ls, .events = POLLIN};
        if (poll(&pl, 1, 200) != 1 || accept(ls, NULL, NULL) < 0)
            break; /* never read */
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
            ssize_t n = send(c, buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0) {
                clock_gettime(CLOCK_MONOTONIC, &t0);
                parked += n;
                if (parked >= want)
                    break;
                continue;
            }
            if (n < 0 && errno != EAGAIN)
                break;
            /* Full (or under memory pressure): give it a moment, then the next connection. */
            clock_gettime(CLOCK_MONOTONIC, &t);
            if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > 30)
                break;
            usleep(2000);
        }
    }
    printf("tcpbuf_mib=%ld conns=%d\n", parked >> 20, conns);
    hold(ms);
    return 0;
}

static int cmd_cat(int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
        printf("%s:\n", argv[i]);
        FILE *f = fopen(argv[i], "r");
        if (!f) {
            printf("error=%s\n", ename(errno));
            continue;
        }
        char line[1024];
        while (fgets(line, sizeof line, f))
            fputs(line, stdout);
        fclose(f);
    }
    return 0;
}

static int cmd_connect(const char *ip, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    inet_pton(AF_INET, ip, &a.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        printf("connect=%s\n", ename(errno));
        return 0;
    }
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
        printf("connect=ok\nESCAPED connected to %s:%d\n", ip, port);
    else
        printf("connect=%s\n", ename(errno));
    return 0;
}

static int cmd_fill(const char *path, long mib)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        printf("fill=%s\n", ename(errno));
        return 0;
    }
    static char buf[1 << 20];
    memset(buf, 'x', sizeof buf);
    long done = 0;
    signal(SIGXFSZ, SIG_IGN);
    for (; done < mib; done++)
        if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) {
            printf("fill_error=%s\n", ename(errno));
            break;
        }
    printf("fill_mib=%ld\n", done);
    close(fd);
    return 0;
}

static int cmd_execat(const char *path)
{
    int in = open("/proc/self/exe", O_RDONLY), out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (in < 0 || out < 0) {
        printf("copy=%s\n", ename(errno));
        return 0;
    }
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            break;
    close(out);
    char *argv[] = {(char *)path, "hello", NULL};
    execv(path, argv);
    printf("exec=%s\n", ename(errno));
    return 0;
}

static void i386_getpid(void)
{
    long rc;
    __asm__ volatile("int $0x80" : "=a"(rc) : "a"(20) : "memory");
    printf("i386=%ld\nESCAPED i386 syscall ran\n", rc);
}

static void x32_getpid(void)
{
    long rc;
    __asm__ volatile("syscall" : "=a"(rc) : "a"(0x40000000L | 39) : "rcx", "r11", "memory");
    printf("x32=%ld\nESCAPED x32 syscall ran\n", rc);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    static char line[4096];
    static char *args[64];
    if (argc < 2 && fgets(line, sizeof line, stdin)) {
        args[0] = argv[0];
        argc = 1;
        for (char *t = strtok(line, " \t\n"); t && argc < 63; t = strtok(NULL, " \t\n"))
            args[argc++] = t;
        args[argc] = NULL;
        argv = args;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: probe COMMAND ...\n");
        return 2;
    }
    const char *c = argv[1];
    if (!strcmp(c, "hello")) {
        puts("hello");
        return 0;
    }
    if (!strcmp(c, "exit") && argc > 2)
        return atoi(argv[2]);
    if (!strcmp(c, "segv")) {
        volatile int *p = NULL;
        return *p;
    }
    if (!strcmp(c, "abort"))
        abort();
    if (!strcmp(c, "spin")) {
        int n = argc > 2 ? atoi(argv[2]) : 1;
        for (int i = 1; i < n; i++)
            if (fork() == 0)
                break;
        for (volatile unsigned long x = 0;; x++)
            ;
    }
    if (!strcmp(c, "sleep") && argc > 2) {
        sleep((unsigned)atoi(argv[2]));
        return 0;
    }
    if (!strcmp(c, "memhog") && argc > 2) {
        long mib = atol(argv[2]);
        for (long i = 0; i < mib; i++) {
            char *p = malloc(1 << 20);
            if (!p) {
                printf("malloc failed at %ld MiB\n", i);
                return 3;
            }
            memset(p, (int)i, 1 << 20);
        }
        printf("allocated=%ld\n", mib);
        return 0;
    }
    if (!strcmp(c, "forkbomb")) {
        for (;;)
            fork();
    }
    if (!strcmp(c, "flood") && argc > 2) {
        static char buf[65536];
        memset(buf, 'y', sizeof buf);
        int o = strcmp(argv[2], "err") != 0, e = strcmp(argv[2], "out") != 0;
        for (;;) {
            if (o && write(1, buf, sizeof buf) < 0)
                return 1;
            if (e && write(2, buf, sizeof buf) < 0)
                return 1;
        }
    }
    if (!strcmp(c, "ids") && argc > 2) {
        FILE *f = fopen("/proc/self/uid_map", "r");
        unsigned in, out, n;
        while (f && fscanf(f, "%u %u %u", &in, &out, &n) == 3)
            if (in == (unsigned)getuid())
                printf("host_uid=%u\n", out);
        if (f)
            fclose(f);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        printf("start_ms=%lld\n", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
        hold(argv[2]);
        clock_gettime(CLOCK_REALTIME, &ts);
        printf("end_ms=%lld\n", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
        return 0;
    }
    if (!strcmp(c, "inflight") && argc > 2)
        return cmd_inflight(argv[2]);
    if (!strcmp(c, "sendfd"))
        return cmd_sendfd();
    if (!strcmp(c, "inotify") && argc > 2)
        return cmd_inotify(argv[2]);
    if (!strcmp(c, "sigqueue") && argc > 2)
        return cmd_sigqueue(argv[2]);
    if (!strcmp(c, "pipes") && argc > 2)
        return cmd_pipes(argv[2]);
    if (!strcmp(c, "pipesize"))
        return cmd_pipesize();
    if (!strcmp(c, "families"))
        return cmd_families();
    if (!strcmp(c, "tcpbuf") && argc > 3)
        return cmd_tcpbuf(argv[2], argv[3]);
    if (!strcmp(c, "cat"))
        return cmd_cat(argc, argv);
    if (!strcmp(c, "selfxcpu")) {
        struct timespec t;
        do
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
        while (t.tv_nsec < 25000000 && t.tv_sec == 0);
        raise(SIGXCPU);
        return 0;
    }
    if (!strcmp(c, "trickle") && argc > 2) {
        long ms = atol(argv[2]);
        struct timespec t0, t;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
        for (long n = 0;; n++) {
            if (write(1, "y", 1) != 1)
                return 1;
            if ((n & 1023) == 0) {
                clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
                if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
                    return 0;
            }
        }
    }
    if (!strcmp(c, "daemon")) {
        if (fork() == 0) {
            setsid();
            if (fork() == 0) {
                for (int fd = 0; fd < 3; fd++)
                    close(fd);
                for (;;)
                    pause();
            }
            _exit(0);
        }
        wait(NULL);
        puts("daemonized");
        return 0;
    }
    if (!strcmp(c, "stopped")) {
        pid_t p = fork();
        if (p == 0) {
            raise(SIGSTOP);
            for (;;)
                pause();
        }
        puts("stopped child left behind");
        return 0;
    }
    if (!strcmp(c, "killall")) {
        int rc = kill(-1, SIGKILL);
        printf("kill=%s\n", rc < 0 ? ename(errno) : "ok");
        return 0;
    }
    if (!strcmp(c, "syscall") && argc > 2)
        return try_syscall(argv[2]);
    if (!strcmp(c, "i386")) {
        i386_getpid();
        return 0;
    }
    if (!strcmp(c, "x32")) {
        x32_getpid();
        return 0;
    }
    if (!strcmp(c, "status"))
        return cmd_status();
    if (!strcmp(c, "leave"))
        return cmd_leave();
    if (!strcmp(c, "netns"))
        return cmd_netns();
    if (!strcmp(c, "dirty") && argc > 2)
        return cmd_dirty(argv[2]);
    if (!strcmp(c, "find"))
        return cmd_find();
    if (!strcmp(c, "fds"))
        return list_dir("/proc/self/fd", 0);
    if (!strcmp(c, "pids"))
        return list_dir("/proc", 1);
    if (!strcmp(c, "env")) {
        extern char **environ;
        for (char **e = environ; *e; e++)
            puts(*e);
        return 0;
    }
    if (!strcmp(c, "ifaces"))
        return cmd_ifaces();
    if (!strcmp(c, "connect") && argc > 3)
        return cmd_connect(argv[2], atoi(argv[3]));
    if (!strcmp(c, "write") && argc > 2) {
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        printf("write=%s\n", fd < 0 ? ename(errno) : "ok");
        return 0;
    }
    if (!strcmp(c, "fill") && argc > 3)
        return cmd_fill(argv[2], atol(argv[3]));
    if (!strcmp(c, "execat") && argc > 2)
        return cmd_execat(argv[2]);
    if (!strcmp(c, "rootid")) {
        /* The root's superblock (its device number, unique per mounted
         * filesystem) and its filesystem type (/proc/self/mountinfo). */
        struct stat st;
        if (stat("/", &st) < 0)
            printf("root_dev=%s\n", ename(errno));
        else
            printf("root_dev=%u:%u\n", major(st.st_dev), minor(st.st_dev));
        FILE *f = fopen("/proc/self/mountinfo", "r");
        char ml[1024];
        while (f && fgets(ml, sizeof ml, f)) {
            char mp[512], fs[64];
            /* id parent maj:min root mountpoint options ... - fstype source superopts */
            const char *dash = strstr(ml, " - ");
            if (sscanf(ml, "%*s %*s %*s %*s %511s", mp) == 1 && !strcmp(mp, "/") && dash &&
                sscanf(dash + 3, "%63s", fs) == 1)
                printf("root_fstype=%s\n", fs);
        }
        if (f)
            fclose(f);
        return 0;
    }
    if (!strcmp(c, "exists")) {
        for (int i = 2; i < argc; i++)
            printf("%s=%s\n", argv[i], access(argv[i], F_OK) == 0 ? "yes" : "no");
        return 0;
    }
    if ((!strcmp(c, "flock") && argc > 3) || (!strcmp(c, "trylock") && argc > 2)) {
        int fd = open(argv[2], O_RDONLY);
        if (fd < 0) {
            printf("open=%s\n", ename(errno));
            return 0;
        }
        if (!strcmp(c, "trylock")) {
            int rc = flock(fd, LOCK_EX | LOCK_NB);
            printf("trylock=%s\n", rc < 0 ? ename(errno) : "ok");
            return 0;
        }
        if (flock(fd, LOCK_EX) < 0) {
            printf("flock=%s\n", ename(errno));
            return 0;
        }
        puts("locked");
        usleep((useconds_t)atoi(argv[3]) * 1000);
        return 0;
    }
    if (!strcmp(c, "echo")) {
        char buf[4096];
        ssize_t n;
        while ((n = read(0, buf, sizeof buf)) > 0)
            if (write(1, buf, (size_t)n) != n)
                return 1;
        return 0;
    }
    fprintf(stderr, "probe: unknown command %s\n", c);
    return 2;
}
