/* Runs side by side: slots, per-user kernel counts, host-wide pools.
 *
 * The pair tests follow one shape: a holder run fills a resource that the
 * kernel counts per user (or host-wide) and holds it; meanwhile a second
 * run, and probes on the host as root and as an unprivileged user, must be
 * unaffected. The holder is then cancelled. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "harness.h"

/* ------------------------------------------------------------ helpers */

typedef struct holder {
    pthread_t tid;
    nsj_sandbox_t *sb;
    const char *argv[8];
    nsj_limits_t lim;
    int cancel[2];
    atomic_int ready;       /* the probe printed its first line */
    nsj_result_t res;
    int rc;
} holder_t;

static void on_output(void *ud, nsj_stream_t s, const char *buf, size_t len)
{
    holder_t *h = ud;
    if (s == NSJ_STDOUT && memchr(buf, '\n', len))
        atomic_store(&h->ready, 1);
}

static void *holder_main(void *arg)
{
    holder_t *h = arg;
    nsj_run_spec_t spec;
    nsj_run_spec_init(&spec);
    spec.limits = h->lim;
    nsj_file_t f = {.name = "main", .data = it.probe, .len = it.probe_len, .mode = 0755};
    spec.rootfs = it.rootfs;
    spec.files = &f;
    spec.nfiles = 1;
    spec.argv = h->argv;
    spec.on_output = on_output;
    spec.ud = h;
    spec.cancel_fd = h->cancel[0];
    h->rc = nsj_run(h->sb ? h->sb : it.sb, &spec, &h->res);
    atomic_store(&h->ready, 1);
    return NULL;
}

/* Start the probe with up to 6 args in a thread; wait until it printed. */
static void holder_start(holder_t *h, const char *a1, const char *a2)
{
    h->argv[0] = "/code/main";
    h->argv[1] = a1;
    h->argv[2] = a2;
    h->argv[3] = NULL;
    if (h->lim.memory_bytes == 0)
        nsj_limits_default(&h->lim);
    h->lim.wall_ms = 120000;
    h->lim.cpu_ms = 60000;
    assert_int_equal(pipe2(h->cancel, O_CLOEXEC), 0);
    assert_int_equal(pthread_create(&h->tid, NULL, holder_main, h), 0);
    struct timespec ts = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 6000 && !atomic_load(&h->ready); i++)
        nanosleep(&ts, NULL);
    assert_true(atomic_load(&h->ready));
}

/* Cancel the holder and check that it held what it was asked to. */
static void holder_stop(holder_t *h, const char *expect_line_prefix)
{
    assert_int_equal(write(h->cancel[1], "x", 1), 1);
    pthread_join(h->tid, NULL);
    close(h->cancel[0]);
    close(h->cancel[1]);
    RUN_OK(h->rc, &h->res);
    if (expect_line_prefix && !strstr(h->res.out, expect_line_prefix)) {
        it_dump("holder", &h->res);
        fail_msg("the holder did not report '%s'", expect_line_prefix);
    }
    nsj_result_free(&h->res);
}

typedef enum host_probe { HP_SENDFD, HP_INOTIFY, HP_SIGQUEUE, HP_PIPESIZE } host_probe_t;

/* Try the resource on the host, as root or as nobody (65534): 0 = it worked. */
static int host_try(host_probe_t what, int unprivileged)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (unprivileged && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                             setresuid(65534, 65534, 65534) < 0))
            _exit(100);
        switch (what) {
        case HP_SENDFD: {
            int sv[2];
            char c = 'x';
            struct iovec iov = {.iov_base = &c, .iov_len = 1};
            union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
            } u;
            memset(&u, 0, sizeof u);
            struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
            if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0)
                _exit(1);
            struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
            cm->cmsg_level = SOL_SOCKET;
            cm->cmsg_type = SCM_RIGHTS;
            cm->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(cm), &sv[0], sizeof(int));
            _exit(sendmsg(sv[1], &mh, 0) == 1 ? 0 : 2);
        }
        case HP_INOTIFY:
            _exit(inotify_init1(0) >= 0 ? 0 : 3);
        case HP_SIGQUEUE: {
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, SIGRTMIN);
            sigprocmask(SIG_BLOCK, &set, NULL);
            union sigval v = {.sival_int = 1};
            timer_t t;
            if (sigqueue(getpid(), SIGRTMIN, v) < 0)
                _exit(4);
            _exit(timer_create(CLOCK_MONOTONIC, NULL, &t) == 0 ? 0 : 5);
        }
        case HP_PIPESIZE: {
            int p[2];
            _exit(pipe(p) == 0 && fcntl(p[0], F_GETPIPE_SZ) == 65536 ? 0 : 6);
        }
        }
        _exit(99);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void expect_host_unaffected(host_probe_t what)
{
    int root = host_try(what, 0), nobody = host_try(what, 1);
    if (root || nobody)
        fail_msg("host probe %d failed while a run held the resource: root %d, nobody %d", (int)what, root, nobody);
}

/* A second run beside the holder: it must start (set-up does not depend on
 * what the holder exhausted) and see its own full quota. */
static void expect_second_run(const char *cmd, const char *arg, const char *line)
{
    nsj_result_t r;
    RUN_OK(it_probe(&r, NULL, cmd, arg, NULL), &r);
    EXPECT_VERDICT(&r, NSJ_VERDICT_OK);
    EXPECT_LINE(&r, line);
    nsj_result_free(&r);
}

static long long field(const char *out, const char *key)
{
    const char *p = strstr(out, key);
    return p ? atoll(p + strlen(key)) : -1;
}

/* ------------------------------------------------------------ slots */

typedef struct ids_run {
    pthread_t tid;
    int cli;
    long long uid, start, end;
    char why[256];
} ids_run_t;

static void *ids_main(void *arg)
{
    ids_run_t *x = arg;
    if (x->cli) {
        char *out = NULL, *err = NULL;
        char probe[4200];
        snprintf(probe, sizeof probe, "%s", it.probe_path);
        int st = it_cli(&out, &err, "ids 1500\n", "run", "--lang", "binary", "--rootfs", it.rootfs, "--stdin", "-",
                        probe, NULL);
        /* The JSON escapes newlines: the fields end at a backslash. */
        x->uid = field(out, "host_uid=");
        x->start = field(out, "start_ms=");
        x->end = field(out, "end_ms=");
        if (st != 0)
            snprintf(x->why, sizeof x->why, "cli exit %d: %.100s %.100s", st, out, err);
        free(out), free(err);
        return NULL;
    }
    nsj_result_t r;
    if (it_probe(&r, NULL, "ids", "1500", NULL) < 0 || r.verdict != NSJ_VERDICT_OK)
        snprintf(x->why, sizeof x->why, "run: %s %.200s", nsj_verdict_name(r.verdict), r.message);
    x->uid = field(r.out, "host_uid=");
    x->start = field(r.out, "start_ms=");
    x->end = field(r.out, "end_ms=");
    nsj_result_free(&r);
    return NULL;
}

/* 8 runs at once, 4 through the library (threads) and 4 through the CLI
 * (processes): any two that overlapped in time had different host ids. */
static void x_slots_distinct(void **state)
{
    (void)state;
    IT_REQUIRE_SANDBOX();
    ids_run_t x[8];
    memset(x, 0, sizeof x);
    for (int i = 0; i < 8; i++) {
        x[i].cli = i % 2;
        assert_int_equal(pthread_create(&x[i].tid, NULL, ids_main, &x[i]), 0);
    }
    for (int i = 0; i < 8; i++)
        pthread_join(x[i].tid, NULL);
    int overlaps = 0;
    for (int i = 0; i < 8; i++) {
        if (x[i].why[0])
            fail_msg("run %d: %s", i, x[i].why);
        assert_true(x[i].uid >= IT_UID_BASE + 1 && x[i].uid < IT_UID_BASE + 2 * IT_SLOTS);
        assert_int_equal((x[i].uid - IT_UID_BASE) % 2, 1); /* the program's id of its slot */
        for (int j = 0; j < i; j++) {
            if (x[i].start < x[j].end && x[j].start < x[i].end) {
                overlaps++;
                if (x[i].uid == x[j].uid)
                    fail_msg("runs %d and %d overlapped with host uid %lld", i, j, x[i].uid);
            }
        }
    }
    assert_true(overlaps > 0); /* or this proved nothing */
}

/* A sandbox object on its own run directory with one slot. */
static nsj_sandbox_t *one_slot_sandbox(const char *run_dir, unsigned wait_ms)
{
    nsj_sandbox_opts_t o = {0};
    o.slots = 1;
    o.uid_base = 300000;
    o.run_dir = run_dir;
    o.slot_wait_ms = wait_ms;
    nsj_sandbox_t *sb = NULL;
    nsj_error_t err;
    if (nsj_sandbox_new(&o, &sb, &err) < 0)
        fail_msg("sandbox: %s", err.msg);
    return sb;
}

static int slot_held(const char *run_dir)
{
    char p[512];
    snprintf(p, sizeof p, "%s/slots/0", run_dir);
    int fd = open(p, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int held = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
    close(fd);
    return held;
}

/* With one slot: a second run waits for it (never shares it); with a short
 * wait it fails with a clear error; a holder killed by SIGKILL frees it. */
static void x_slot_wait_and_release(void **state)
{
    (void)state;
    IT_REQUIRE_SANDBOX();
    char dir[] = "/run/nsjudge-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    nsj_sandbox_t *sb = one_slot_sandbox(dir, 60000);

    holder_t h;
    memset(&h, 0, sizeof h);
    h.sb = sb;
    holder_start(&h, "ids", "60000");
    assert_true(slot_held(dir));
    /* A run that may wait only 200 ms: refused, saying why. */
    nsj_sandbox_t *impatient = one_slot_sandbox(dir, 200);
    nsj_run_spec_t spec;
    nsj_run_spec_init(&spec);
    nsj_file_t f = {.name = "main", .data = it.probe, .len = it.probe_len, .mode = 0755};
    const char *argv[] = {"/code/main", "hello", NULL};
    spec.rootfs = it.rootfs;
    spec.files = &f;
    spec.nfiles = 1;
    spec.argv = argv;
    nsj_result_t r;
    assert_true(nsj_run(impatient, &spec, &r) < 0);
    assert_int_equal(r.verdict, NSJ_VERDICT_INTERNAL_ERROR);
    assert_non_null(strstr(r.message, "all 1 slots stayed busy"));
    nsj_result_free(&r);
    nsj_sandbox_free(impatient);
    /* A patient one waits until the holder is gone, then runs in the slot. */
    holder_stop(&h, "host_uid=300001");

    /* A supervisor SIGKILLed mid-run: the kernel drops its lock. */
    pid_t child = fork();
    if (child == 0) {
        nsj_sandbox_t *csb = one_slot_sandbox(dir, 1000);
        spec.argv = (const char *[]){"/code/main", "sleep", "60", NULL};
        spec.limits.wall_ms = 60000;
        nsj_run(csb, &spec, &r);
        _exit(0);
    }
    struct timespec ts = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 3000 && !slot_held(dir); i++)
        nanosleep(&ts, NULL);
    assert_true(slot_held(dir));
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    /* The lock goes with the last holder of its file: a sandbox process
     * the dead supervisor had just cloned may hold an inherited copy until
     * its first step closes it or it dies with its supervisor (slow in the
     * emulated v2 guest). Bounded: it must go, within 30 s. */
    for (int i = 0; i < 3000 && slot_held(dir); i++)
        nanosleep(&ts, NULL);
    assert_false(slot_held(dir));
    spec.argv = (const char *[]){"/code/main", "ids", "0", NULL};
    spec.limits.wall_ms = 10000;
    RUN_OK(nsj_run(sb, &spec, &r), &r);
    EXPECT_LINE(&r, "host_uid=300001");
    nsj_result_free(&r);
    nsj_sandbox_sweep(sb); /* the dead supervisor's cgroup */
    nsj_sandbox_free(sb);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* ------------------------------------------------------------ pairs */

/* One pair test: the holder runs "probe CMD 600000" (fills, then holds
 * until cancelled); a second run of "probe SECOND [ARG]" must start and
 * print LINE (its own full quota); the host probe must work as root and as
 * nobody; the holder must have reported HELD (it really filled it). */
static void pair(const char *cmd, const char *second, const char *arg, const char *line, host_probe_t hp,
                 const char *held)
{
    IT_REQUIRE_SANDBOX();
    holder_t h;
    memset(&h, 0, sizeof h);
    holder_start(&h, cmd, "600000");
    expect_second_run(second, arg, line);
    expect_host_unaffected(hp);
    holder_stop(&h, held);
}

/* Fds in flight: per host uid, against the sender's RLIMIT_NOFILE. The
 * set-up of other runs must not depend on that count (the seccomp listener
 * is no longer sent in flight), and their own sends work. */
static void x_pair_fds_in_flight(void **state)
{
    (void)state;
    pair("inflight", "sendfd", NULL, "sendfd=ok", HP_SENDFD, "stopped=ETOOMANYREFS");
}

static void x_pair_inotify(void **state)
{
    (void)state;
    pair("inotify", "inotify", "0", "inotify=16 stopped=EMFILE", HP_INOTIFY, "inotify=16 stopped=EMFILE");
}

static void x_pair_signals(void **state)
{
    (void)state;
    pair("sigqueue", "sigqueue", "0", "sigqueue=128 stopped=EAGAIN", HP_SIGQUEUE, "sigqueue=128 stopped=EAGAIN");
}

static void x_pair_pipe_pages(void **state)
{
    (void)state;
    pair("pipes", "pipesize", NULL, "pipesize=65536", HP_PIPESIZE, "pipes=");
}

/* ------------------------------------------------------------ surfaces */

/* socket() of every family but UNIX, INET and INET6 fails with
 * EAFNOSUPPORT: AF_VSOCK first (never connected to: only created). */
static void x_socket_families(void **state)
{
    (void)state;
    IT_REQUIRE_SANDBOX();
    nsj_result_t r;
    RUN_OK(it_probe(&r, NULL, "families", NULL), &r);
    EXPECT_VERDICT(&r, NSJ_VERDICT_OK);
    EXPECT_LINE(&r, "families=1 2 10 ");
    nsj_result_free(&r);
    RUN_OK(it_probe(&r, NULL, "syscall", "vsock", NULL), &r);
    EXPECT_LINE(&r, "vsock=EAFNOSUPPORT");
    nsj_result_free(&r);
}

/* Loopback TCP buffers count against the run's memory: 600 MiB asked for
 * under a 64 MiB limit ends memory_limit (v2: charged to memory.current)
 * or parks no more than about the limit (v1: memory.kmem.tcp). */
static void x_socket_memory(void **state)
{
    (void)state;
    IT_REQUIRE_SANDBOX();
    nsj_limits_t l;
    nsj_limits_default(&l);
    l.memory_bytes = 64ULL << 20;
    l.wall_ms = 60000;
    l.cpu_ms = 30000;
    nsj_result_t r;
    RUN_OK(it_probe(&r, &l, "tcpbuf", "600", "0", NULL), &r);
    if (r.verdict != NSJ_VERDICT_MEMORY_LIMIT) {
        EXPECT_VERDICT(&r, NSJ_VERDICT_OK);
        long long parked = field(r.out, "tcpbuf_mib=");
        if (parked < 0 || parked > 80) {
            it_dump("tcpbuf", &r);
            fail_msg("%lld MiB parked in socket buffers under a 64 MiB limit", parked);
        }
    }
    nsj_result_free(&r);
}

/* Host-wide /proc files are masked or generated for the run. */
static void x_proc_view(void **state)
{
    (void)state;
    IT_REQUIRE_SANDBOX();
    nsj_limits_t l;
    nsj_limits_default(&l);
    l.memory_bytes = 64ULL << 20;
    nsj_result_t r;
    RUN_OK(it_probe(&r, &l, "cat", "/proc/meminfo", "/proc/loadavg", "/proc/cmdline", "/proc/sys/kernel/random/boot_id",
                    "/proc/locks", "/proc/vmstat", "/proc/interrupts", "/proc/sys/user/max_inotify_instances", NULL),
           &r);
    EXPECT_VERDICT(&r, NSJ_VERDICT_OK);
    EXPECT_LINE(&r, "MemTotal:       65536 kB");
    EXPECT_LINE(&r, "MemAvailable:   65536 kB");
    EXPECT_LINE(&r, "0.00 0.00 0.00 1/1 1");
    /* Empty: each path's line is followed directly by the next path. */
    assert_non_null(strstr(r.out, "/proc/cmdline:\n/proc/sys/kernel/random/boot_id:\n/proc/locks:\n/proc/vmstat:\n"
                                  "/proc/interrupts:\n/proc/sys/user/max_inotify_instances:\n16\n"));
    nsj_result_free(&r);
    /* Every other masked file reads as empty (or is absent on this kernel). */
    static const char *const masked[] = {
        "/proc/kcore", "/proc/keys", "/proc/key-users", "/proc/timer_list", "/proc/sched_debug", "/proc/pressure/cpu",
        "/proc/pressure/io", "/proc/pressure/memory", "/proc/pressure/irq", "/proc/zoneinfo", "/proc/buddyinfo",
        "/proc/pagetypeinfo", "/proc/diskstats", "/proc/partitions", "/proc/swaps", "/proc/softirqs",
        "/proc/schedstat", "/proc/modules",
    };
    for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++) {
        RUN_OK(it_probe(&r, &l, "cat", masked[i], NULL), &r);
        char empty[128], absent[128];
        snprintf(empty, sizeof empty, "%s:\n", masked[i]);
        snprintf(absent, sizeof absent, "%s:\nerror=ENOENT\n", masked[i]);
        if (strcmp(r.out, empty) != 0 && strcmp(r.out, absent) != 0) {
            it_dump(masked[i], &r);
            fail_msg("%s is not masked", masked[i]);
        }
        nsj_result_free(&r);
    }
    RUN_OK(it_probe(&r, &l, "cat", "/proc/cgroups", "/proc/stat", NULL), &r);
    for (const char *p = strstr(r.out, "\n"); p && p[1] && strncmp(p + 1, "/proc/stat:", 11) != 0;
         p = strchr(p + 1, '\n')) {
        char name[64];
        unsigned hier, num, en;
        if (sscanf(p + 1, "%63s %u %u %u", name, &hier, &num, &en) == 4 && num != 1)
            fail_msg("/proc/cgroups shows %u cgroups of %s", num, name);
    }
    EXPECT_LINE(&r, "cpu  0 0 0 0 0 0 0 0 0 0");
    nsj_result_free(&r);
}

/* time_limit only from evidence: a SIGXCPU the program sent itself after
 * 25 ms of CPU is a runtime error naming the signal. */
static void x_self_sent_sigxcpu(void **state)
{
    (void)state;
    IT_REQUIRE_SANDBOX();
    nsj_result_t r;
    RUN_OK(it_probe(&r, NULL, "selfxcpu", NULL), &r);
    EXPECT_VERDICT(&r, NSJ_VERDICT_RUNTIME_ERROR);
    EXPECT_EVIDENCE(&r, "signal XCPU");
    nsj_result_free(&r);
}

/* ------------------------------------------------------------ CLI */

/* Write text to a fresh /tmp/nsjudge-test-XXXXXX<ext> (the caller unlinks it). */
static void temp_source(char path[64], const char *ext, const char *text)
{
    snprintf(path, 64, "/tmp/nsjudge-test-XXXXXX%s", ext);
    int fd = mkstemps(path, (int)strlen(ext));
    assert_true(fd >= 0);
    assert_int_equal(util_write_all(fd, text, strlen(text)), 0);
    close(fd);
}

/* Skip (or fail under NSJUDGE_TESTS_MUST_RUN) without the gcc rootfs. */
#define REQUIRE_GCC_ROOTFS()                                                                  \
    do {                                                                                      \
        char gcc_[2300];                                                                      \
        snprintf(gcc_, sizeof gcc_, "%s/rootfs/gcc/usr/bin/g++", it.home);                    \
        REQUIRE(access(gcc_, X_OK) == 0, "gcc rootfs not built (make rootfs)");               \
    } while (0)

/* The CLI killed by SIGKILL mid-compile leaves its /box scratch mount;
 * the next CLI start sweeps it (its lock is free). */
static void x_cli_killed_mid_compile(void **state)
{
    (void)state;
    IT_REQUIRE_SANDBOX();
    REQUIRE_GCC_ROOTFS();
    char dir[] = "/run/nsjudge-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char src[64];
    temp_source(src, ".cpp",
                "#include <bits/stdc++.h>\n#include <regex>\n"
                "int main(){ std::regex r(\"a+b\"); std::map<int,std::string> m; "
                "std::cout << std::regex_match(\"aab\", r) << m.size() << std::endl; }\n");
    char bin[4200];
    snprintf(bin, sizeof bin, "%s/%s/nsjudge", it.home, getenv("BUILD") ? getenv("BUILD") : "build");
    pid_t cli = fork();
    if (cli == 0) {
        setenv("NSJUDGE_RUN_DIR", dir, 1);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1), dup2(null, 2);
        execl(bin, bin, "run", "--lang", "cpp", src, (char *)NULL);
        _exit(127);
    }
    char scratch[600];
    snprintf(scratch, sizeof scratch, "%s/scratch", dir);
    int seen = 0;
    struct timespec ts = {0, 5 * 1000 * 1000};
    for (int i = 0; i < 4000 && !seen; i++) {
        DIR *d = opendir(scratch);
        for (struct dirent *e; d && (e = readdir(d));)
            seen |= strstr(e->d_name, ".lock") != NULL;
        if (d)
            closedir(d);
        if (!seen)
            nanosleep(&ts, NULL);
    }
    kill(cli, SIGKILL);
    waitpid(cli, NULL, 0);
    unlink(src);
    assert_true(seen);
    /* Left behind by the dead CLI... */
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "grep -q ' %s/' /proc/self/mountinfo", scratch);
    assert_int_equal(system(cmd), 0);
    /* ...until the next start sweeps it. */
    setenv("NSJUDGE_RUN_DIR", dir, 1);
    char *out, *err;
    int st = it_cli(&out, &err, "hello\n", "run", "--lang", "binary", "--rootfs", it.rootfs, "--stdin", "-",
                    it.probe_path, NULL);
    unsetenv("NSJUDGE_RUN_DIR");
    if (st != 0 || !strstr(out, "\"status\":\"ok\""))
        fail_msg("exit %d: %s %s", st, out, err);
    free(out), free(err);
    assert_int_equal(system(cmd), 256); /* grep found nothing */
    DIR *d = opendir(scratch);
    int left = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        left += e->d_name[0] != '.';
    if (d)
        closedir(d);
    assert_int_equal(left, 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* A run leaving fds in flight does not fail a concurrent compile. */
static void x_pair_fds_in_flight_compile(void **state)
{
    (void)state;
    IT_REQUIRE_SANDBOX();
    REQUIRE_GCC_ROOTFS();
    char src[64];
    temp_source(src, ".c", "#include <stdio.h>\nint main(void){puts(\"compiled\");return 0;}\n");
    holder_t h;
    memset(&h, 0, sizeof h);
    holder_start(&h, "inflight", "600000");
    char *out, *err;
    int st = it_cli(&out, &err, NULL, "run", "--lang", "c", src, NULL);
    unlink(src);
    holder_stop(&h, "stopped=ETOOMANYREFS");
    if (st != 0 || !strstr(out, "\"status\":\"ok\"") || !strstr(out, "compiled"))
        fail_msg("exit %d: %s %s", st, out, err);
    free(out), free(err);
}

/* A runtime's own out-of-memory message ends memory_limit (the CLI applies
 * the language table's oom patterns). */
static void x_runtime_oom_message(void **state)
{
    (void)state;
    IT_REQUIRE_PYTHON();
    char src[64];
    temp_source(src, ".py", "x = bytearray(1 << 40)\n");
    char *out, *err;
    int st = it_cli(&out, &err, NULL, "run", "--memory", "64m", src, NULL);
    unlink(src);
    if (st != 0 || !strstr(out, "\"status\":\"memory_limit\"") || !strstr(out, "runtime out of memory: MemoryError"))
        fail_msg("exit %d: %s %s", st, out, err);
    free(out), free(err);
}

/* A compile /box is sealed read-only while a sandbox that another thread
 * cloned still holds an inherited fd of a file just written there (until
 * its first step closes it): the seal waits that out instead of failing
 * the judge's build with EBUSY (seen once in 100 custom-checker
 * submissions, as internal_error). */
static void x_scratch_seal_waits_for_inherited_fd(void **state)
{
    (void)state;
    IT_REQUIRE_SANDBOX();
    nsj_scratch_t *sc = NULL;
    nsj_error_t err = {0};
    if (nsj_scratch_new(it.sb, 1 << 20, 64, &sc, &err) < 0)
        fail_msg("scratch: %s", err.msg);
    char path[4200];
    snprintf(path, sizeof path, "%s/checker", nsj_scratch_path(sc));
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "x", 1), 1);
    int go[2];
    assert_int_equal(pipe2(go, O_CLOEXEC), 0);
    pid_t child = fork();
    if (child == 0) { /* the inherited copy, held 50 ms */
        char c;
        if (read(go[0], &c, 1) < 0)
            _exit(1);
        struct timespec ts = {0, 50000000L};
        nanosleep(&ts, NULL);
        _exit(0);
    }
    close(fd);
    assert_int_equal(write(go[1], "g", 1), 1);
    int rc = nsj_scratch_seal(sc, &err);
    int st;
    waitpid(child, &st, 0);
    close(go[0]), close(go[1]);
    if (rc < 0) {
        nsj_scratch_free(sc);
        fail_msg("seal failed while a child held the file: %s", err.msg);
    }
    int w = open(path, O_WRONLY | O_CLOEXEC);
    int werr = errno;
    if (w >= 0)
        close(w);
    nsj_scratch_free(sc);
    assert_true(w < 0 && werr == EROFS);
}

int it_run_isolation_tests(int portable)
{
    const struct CMUnitTest probe_tests[] = {
        cmocka_unit_test(x_slot_wait_and_release),
        cmocka_unit_test(x_pair_fds_in_flight),
        cmocka_unit_test(x_pair_inotify),
        cmocka_unit_test(x_pair_signals),
        cmocka_unit_test(x_pair_pipe_pages),
        cmocka_unit_test(x_socket_families),
        cmocka_unit_test(x_socket_memory),
        cmocka_unit_test(x_proc_view),
        cmocka_unit_test(x_self_sent_sigxcpu),
        cmocka_unit_test(x_scratch_seal_waits_for_inherited_fd),
    };
    const struct CMUnitTest host_tests[] = {
        cmocka_unit_test(x_slots_distinct),
        cmocka_unit_test(x_cli_killed_mid_compile),
        cmocka_unit_test(x_pair_fds_in_flight_compile),
        cmocka_unit_test(x_runtime_oom_message),
    };
    int failed = cmocka_run_group_tests_name("isolation between runs (probe payloads)", probe_tests, NULL, NULL);
    if (!portable)
        failed += cmocka_run_group_tests_name("isolation between runs (CLI, compilers)", host_tests, NULL, NULL);
    return failed;
}
