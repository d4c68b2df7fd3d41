/* Warm slots: nothing of a run survives into the next run of the same slot.
 *
 * One thread, one warm sandbox (opts.warm), so every run here goes through
 * the same warm slot (each test checks that: the program's host uid is the
 * slot's). A writer leaves state on every channel it can; the next run, a
 * reader, must find none of it, and the cgroup's counters (peak memory, CPU
 * time, OOM kills, pids.max refusals) must be its own. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

static nsj_sandbox_t *warm_sb;

/* The warm sandbox, made by the first test that runs (not in the group's
 * setup: a filtered-out group must make nothing, e.g. under
 * NSJUDGE_CGROUP_PARENT=self, where every sandbox moves its process). */
static void need_warm_sandbox(void)
{
    if (warm_sb)
        return;
    nsj_sandbox_opts_t o = {.warm = 1};
    const char *mode = getenv("NSJUDGE_TEST_CGROUP");
    o.cgroup_mode = mode && !strcmp(mode, "v1") ? NSJ_CGROUP_V1 : mode && !strcmp(mode, "v2") ? NSJ_CGROUP_V2
                                                                                                : NSJ_CGROUP_AUTO;
    nsj_error_t err;
    if (nsj_sandbox_new(&o, &warm_sb, &err) < 0)
        fail_msg("warm sandbox: %s", err.msg);
}

static int warm_teardown(void **state)
{
    (void)state;
    nsj_sandbox_free(warm_sb);
    warm_sb = NULL;
    return 0;
}

static int probe_in(nsj_result_t *res, const nsj_limits_t *lim, const char *const *envp, const char *cmd)
{
    const char *argv[] = {"/code/main", cmd, NULL};
    nsj_run_spec_t spec;
    nsj_file_t f;
    it_probe_spec(&spec, &f, lim, argv);
    spec.envp = envp;
    return nsj_run(warm_sb, &spec, res);
}

static int probe_args(nsj_result_t *res, const nsj_limits_t *lim, const char *a1, const char *a2)
{
    const char *argv[] = {"/code/main", a1, a2, NULL};
    nsj_run_spec_t spec;
    nsj_file_t f;
    it_probe_spec(&spec, &f, lim, argv);
    return nsj_run(warm_sb, &spec, res);
}

/* The value of "key=" in out (copied into buf), or "" */
static const char *value_of(const char *out, const char *key, char *buf, size_t cap)
{
    size_t n = strlen(key);
    buf[0] = '\0';
    for (const char *p = out; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > n && memcmp(p, key, n) == 0 && p[n] == '=') {
            snprintf(buf, cap, "%.*s", (int)(len - n - 1), p + n + 1);
            break;
        }
        p = eol ? eol + 1 : NULL;
    }
    return buf;
}

#define EXPECT_MADE(list, what)                                                      \
    do {                                                                             \
        if (!strstr(list, what ",")) {                                               \
            it_dump("writer", &w);                                                   \
            fail_msg("the writer could not leave '%s' behind (%s): the reader's "    \
                     "finding nothing would prove nothing", what, list);             \
        }                                                                            \
    } while (0)

static void w_nothing_survives(void **state)
{
    (void)state;
    IT_REQUIRE_SANDBOX();
    need_warm_sandbox();
    char made[512], daemon[512], uid_w[32], uid_r[32], v[64];
    /* The writer runs with its own environment and a low nofile limit. */
    static const char *const env_w[] = {"PATH=/usr/bin:/bin", "WARM=writer", NULL};
    nsj_limits_t lw;
    nsj_limits_default(&lw);
    lw.nofile = 64;
    nsj_result_t w, r;
    for (int round = 0; round < 3; round++) {
        RUN_OK(probe_in(&w, &lw, env_w, "leave"), &w);
        EXPECT_VERDICT(&w, NSJ_VERDICT_OK);
        value_of(w.out, "made", made, sizeof made);
        value_of(w.out, "daemon", daemon, sizeof daemon);
        value_of(w.out, "host_uid", uid_w, sizeof uid_w);
        EXPECT_MADE(made, "tmp");
        EXPECT_MADE(made, "devshm");
        EXPECT_MADE(made, "sysv_shm");
        EXPECT_MADE(made, "sysv_msg");
        EXPECT_MADE(made, "sysv_sem");
        /* POSIX message queues cannot be made at all (RLIMIT_MSGQUEUE 0). */
        if (!strstr(made, "mqueue,"))
            EXPECT_LINE(&w, "mqueue_create=EMFILE");
        EXPECT_MADE(daemon, "abstract");
        EXPECT_MADE(daemon, "pathsock");
        EXPECT_MADE(daemon, "timewait");
        EXPECT_MADE(daemon, "inotify");
        EXPECT_MADE(daemon, "flock");
        EXPECT_MADE(daemon, "meminfo_flock");
        EXPECT_MADE(daemon, "seccomp");
        /* The slot's root keeps the generated /proc files: reading one
         * leaves no trace (its tmpfs is read-only, so no atime). */
        EXPECT_LINE(&w, "meminfo_atime=unchanged");

        RUN_OK(probe_in(&r, NULL, NULL, "find"), &r);
        EXPECT_VERDICT(&r, NSJ_VERDICT_OK);
        value_of(r.out, "host_uid", uid_r, sizeof uid_r);
        /* The same warm slot, or this proved nothing about warm slots. */
        if (!uid_w[0] || strcmp(uid_w, uid_r) != 0)
            fail_msg("writer ran as host uid '%s', reader as '%s': not the same slot", uid_w, uid_r);
        EXPECT_LINE(&r, "tmp=absent");
        EXPECT_LINE(&r, "devshm=absent");
        EXPECT_LINE(&r, "box=absent");
        EXPECT_LINE(&r, "sysv_shm=ENOENT");
        EXPECT_LINE(&r, "sysv_msg=ENOENT");
        EXPECT_LINE(&r, "sysv_sem=ENOENT");
        EXPECT_LINE(&r, "mqueue=ENOENT");
        EXPECT_LINE(&r, "abstract=ECONNREFUSED");
        EXPECT_LINE(&r, "pathsock=ENOENT");
        EXPECT_LINE(&r, "tcp_bind=ok");      /* no TIME_WAIT, no listener on the port */
        EXPECT_LINE(&r, "tcp_sockets=0");    /* /proc/net/tcp is empty */
        EXPECT_LINE(&r, "inotify=16");       /* the user namespace's whole cap, none held */
        EXPECT_LINE(&r, "flock=ok");
        EXPECT_LINE(&r, "meminfo_flock=ok");
        EXPECT_LINE(&r, "processes=1");      /* no daemon, no stopped child: itself */
        EXPECT_LINE(&r, "nofile=256");       /* the spec's rlimits, not the writer's */
        EXPECT_LINE(&r, "env_WARM=absent");
        if (strcmp(value_of(r.out, "Seccomp_filters", v, sizeof v), "1") != 0)
            fail_msg("the reader runs under %s seccomp filters, not 1", v);
        nsj_result_free(&w);
        nsj_result_free(&r);
    }
}

/* The cgroup's counters are the run's own: a reader after a writer that
 * peaked, burnt CPU, forked into pids.max and was OOM-killed. */
static void w_cgroup_counters_fresh(void **state)
{
    (void)state;
    IT_REQUIRE_SANDBOX();
    need_warm_sandbox();
    nsj_result_t w, r;
    char uid_w[32], uid_r[32];
    for (int kind = 0; kind < 4; kind++) {
        nsj_limits_t l;
        nsj_limits_default(&l);
        l.wall_ms = 60000;
        l.cpu_ms = 60000;
        nsj_result_t idw;
        RUN_OK(probe_args(&idw, NULL, "ids", "0"), &idw);
        value_of(idw.out, "host_uid", uid_w, sizeof uid_w);
        nsj_result_free(&idw);
        int rc;
        switch (kind) {
        case 0: /* a high peak */
            rc = probe_args(&w, &l, "memhog", "160");
            break;
        case 1: /* CPU time */
            l.cpu_ms = 1000;
            l.cpu_millis = 1000;
            rc = probe_args(&w, &l, "spin", "1");
            break;
        case 2: /* pids.max refusals */
            l.pids = 8;
            l.wall_ms = 2000; /* reaches pids.max within it even emulated (300 ms did not) */
            rc = probe_args(&w, &l, "forkbomb", NULL);
            break;
        default: /* an OOM kill */
            l.memory_bytes = 48 << 20;
            rc = probe_args(&w, &l, "memhog", "200");
            break;
        }
        (void)rc;
        if (kind == 0)
            assert_true(w.memory_kb >= 150 * 1024);
        if (kind == 1)
            assert_true(w.cpu_ms >= 1000);
        if (kind == 2)
            EXPECT_EVIDENCE(&w, "pids.events max=");
        if (kind == 3)
            EXPECT_VERDICT(&w, NSJ_VERDICT_MEMORY_LIMIT);
        /* The readers: the same limits as any run, so their cgroups are the
         * prepared ones. The first was prepared while the writer ran; on
         * v1 (and v2 from Linux 6.12) a later one gets the writer's cgroup,
         * emptied and reset (cgroup_recycle): three readers cover both. */
        for (int n = 0; n < 3; n++) {
            RUN_OK(probe_args(&r, NULL, "ids", "0"), &r);
            EXPECT_VERDICT(&r, NSJ_VERDICT_OK);
            value_of(r.out, "host_uid", uid_r, sizeof uid_r);
            if (!uid_w[0] || strcmp(uid_w, uid_r) != 0)
                fail_msg("runs as host uid '%s' then '%s': not the same slot", uid_w, uid_r);
            /* Evidence, not absolute times: the reader's CPU is far below the
             * spinning writer's (an emulated guest spends ~200 ms on a trivial run). */
            if (r.memory_kb >= 32 * 1024 || (kind == 1 && r.cpu_ms * 2 >= w.cpu_ms) || strstr(r.evidence, "oom") ||
                strstr(r.evidence, "pids.events")) {
                it_dump("reader", &r);
                fail_msg("after writer %d reader %d has peak %llu KiB, cpu %llu ms, evidence '%s'", kind, n,
                         (unsigned long long)r.memory_kb, (unsigned long long)r.cpu_ms, r.evidence);
            }
            nsj_result_free(&r);
        }
        nsj_result_free(&w);
    }
}

/* The names of this process's run cgroups of slot (run-<pid>-<slot>-<n>)
 * that exist now, each followed by a space: v1's in the memory hierarchy,
 * v2's under the parent (in dir_out when given). <0 when that directory
 * is not found. */
static int run_cgroups(unsigned slot, char *out, size_t cap, char *dir_out, size_t dir_cap)
{
    int v1 = strcmp(nsj_sandbox_cgroup_backend(warm_sb), "v1") == 0;
    const char *parent = getenv("NSJUDGE_CGROUP_PARENT");
    if (!parent || !*parent)
        parent = "/nsjudge";
    char mnt[512] = "", line[2048];
    FILE *f = fopen("/proc/self/mountinfo", "re");
    while (f && fgets(line, sizeof line, f)) {
        char *sep = strstr(line, " - "), point[512];
        if (!sep || sscanf(line, "%*s %*s %*s %*s %511s", point) != 1)
            continue;
        int is_v2 = strncmp(sep, " - cgroup2 ", 11) == 0, is_v1 = strncmp(sep, " - cgroup ", 10) == 0;
        if ((v1 && is_v1 && (strstr(sep, ",memory") || strstr(sep, " memory"))) || (!v1 && is_v2 && !mnt[0]))
            snprintf(mnt, sizeof mnt, "%s", point);
    }
    if (f)
        fclose(f);
    if (!mnt[0] || strcmp(parent, "self") == 0)
        return -1;
    char dir[1100], prefix[32];
    snprintf(dir, sizeof dir, "%s%s", mnt, parent);
    snprintf(prefix, sizeof prefix, "run-%d-%u-", (int)getpid(), slot);
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    if (dir_out)
        snprintf(dir_out, dir_cap, "%s", dir);
    size_t len = 0;
    out[0] = '\0';
    for (struct dirent *e; (e = readdir(d));)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && len + strlen(e->d_name) + 2 < cap)
            len += (size_t)snprintf(out + len, cap - len, "%s ", e->d_name);
    closedir(d);
    return 0;
}

/* v1, and v2 from Linux 6.12: a finished run's cgroup serves the slot's
 * later runs (emptied, its counters reset: w_cgroup_counters_fresh), so the
 * same cgroups are seen before and after some runs. v2 before 6.12 makes
 * one per run (its memory.peak cannot be reset there: Debian 12's 6.1), so
 * none is seen twice. Which of the two this kernel is, the test finds out
 * for itself: whether a run cgroup's memory.peak takes a write. */
static void w_cgroup_recycled(void **state)
{
    (void)state;
    IT_REQUIRE_SANDBOX();
    need_warm_sandbox();
    nsj_result_t r;
    char before[1024], after[1024], uid[32];
    for (int i = 0; i < 3; i++) {
        RUN_OK(probe_args(&r, NULL, "ids", "0"), &r);
        value_of(r.out, "host_uid", uid, sizeof uid);
        nsj_result_free(&r);
    }
    /* The program runs as host uid base + 2 * slot + 1 (base: the library's
     * default, which need_warm_sandbox keeps); other slots of this process
     * (other threads' tests) keep their own cgroups meanwhile. */
    unsigned long host_uid = strtoul(uid, NULL, 10);
    if (host_uid < 100001)
        fail_msg("the probe's host uid '%s' is not a slot's", uid);
    unsigned slot = (unsigned)((host_uid - 100001) / 2);
    char dir[1100];
    if (run_cgroups(slot, before, sizeof before, dir, sizeof dir) < 0) {
        if (strcmp(getenv("NSJUDGE_CGROUP_PARENT") ? getenv("NSJUDGE_CGROUP_PARENT") : "", "self") == 0)
            return; /* a delegated v2 subtree: v2 makes a cgroup per run either way */
        fail_msg("the run cgroups' directory was not found");
    }
    for (int i = 0; i < 4; i++) {
        RUN_OK(probe_args(&r, NULL, "ids", "0"), &r);
        EXPECT_VERDICT(&r, NSJ_VERDICT_OK);
        nsj_result_free(&r);
    }
    assert_int_equal(run_cgroups(slot, after, sizeof after, NULL, 0), 0);
    if (!before[0])
        fail_msg("slot %u had no run cgroup before the runs", slot);
    int v1 = strcmp(nsj_sandbox_cgroup_backend(warm_sb), "v1") == 0, resettable = 0;
    if (!v1) {
        /* Asked of a cgroup of the test's own beside the runs' (theirs come
         * and go with the runs). Root may open memory.peak for writing on
         * any kernel; 6.1 refuses the write. */
        char probe[1200], peak[1300];
        snprintf(probe, sizeof probe, "%s/peak-probe-%d", dir, (int)getpid());
        if (mkdir(probe, 0755) < 0)
            fail_msg("mkdir %s: %s", probe, strerror(errno));
        snprintf(peak, sizeof peak, "%s/memory.peak", probe);
        int fd = open(peak, O_RDWR | O_CLOEXEC);
        int open_errno = errno;
        resettable = fd >= 0 && write(fd, "0", 1) == 1;
        if (fd >= 0)
            close(fd);
        rmdir(probe);
        if (fd < 0 && open_errno != EACCES)
            fail_msg("open %s: %s", peak, strerror(open_errno));
        print_message("v2: memory.peak %s resettable on this kernel\n", resettable ? "is" : "is not");
    }
    int seen_twice = 0;
    for (char *p = before, *sp; *p; p = sp + 1) {
        sp = strchr(p, ' ');
        char name[128];
        snprintf(name, sizeof name, " %.*s ", (int)(sp - p), p);
        char padded[1040];
        snprintf(padded, sizeof padded, " %s", after);
        seen_twice += strstr(padded, name) != NULL;
    }
    int keeps = v1 || resettable;
    if (keeps ? !seen_twice : seen_twice)
        fail_msg("%s: slot %u's run cgroups before 4 runs '%s', after '%s'",
                 keeps ? "one should have been kept" : "v2 kept one without a resettable memory.peak", slot, before,
                 after);
}

/* A rootfs named by a symlink (a versioned tree swapped in by renaming a
 * link) is served warm like any other: its runs are prepared ahead, so
 * runs that use no network share the slot's namespaces (cold ones would
 * each make one). It once went cold on every run: the slot's root could
 * not be attached at a symlink. */
static void w_symlinked_rootfs_runs_warm(void **state)
{
    (void)state;
    IT_REQUIRE_SANDBOX();
    need_warm_sandbox();
    char dir[] = "/tmp/nsjudge-it-link.XXXXXX", link[64];
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0755), 0); /* the sandbox's init looks it up */
    snprintf(link, sizeof link, "%s/rootfs", dir);
    char real[4096];
    assert_non_null(realpath(it.rootfs, real));
    assert_int_equal(symlink(real, link), 0);
    char cookies[6][32];
    int distinct = 0;
    for (int i = 0; i < 6; i++) {
        const char *argv[] = {"/code/main", "netns", NULL};
        nsj_run_spec_t spec;
        nsj_file_t f;
        it_probe_spec(&spec, &f, NULL, argv);
        spec.rootfs = link;
        nsj_result_t r;
        RUN_OK(nsj_run(warm_sb, &spec, &r), &r);
        EXPECT_VERDICT(&r, NSJ_VERDICT_OK);
        value_of(r.out, "netns_cookie", cookies[i], sizeof cookies[i]);
        int seen = 0;
        for (int j = 0; j < i; j++)
            seen |= strcmp(cookies[j], cookies[i]) == 0;
        distinct += !seen;
        nsj_result_free(&r);
    }
    unlink(link);
    rmdir(dir);
    if (distinct > 3)
        fail_msg("6 runs from a symlinked rootfs ran in %d network namespaces: not prepared ahead", distinct);
}

/* Mounts (in /proc/self/mountinfo) whose mount point is path (only the
 * writable ones if rw_only), and whether the last (the one on top) has
 * "size=<kib>k" among its options. */
static int mounts_at(const char *mountinfo, const char *path, int rw_only, unsigned long long kib, int *sized)
{
    char want[64], pat[96];
    snprintf(want, sizeof want, "size=%lluk", kib);
    snprintf(pat, sizeof pat, " %s ", path);
    int n = 0;
    *sized = 0;
    for (const char *p = mountinfo; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)len, p);
        /* field 5 is the mount point: "id parent maj:min root point ..." */
        const char *f = line;
        for (int i = 0; i < 4 && f; i++)
            f = strchr(f + 1, ' ');
        if (f && strncmp(f, pat, strlen(pat)) == 0 && (!rw_only || strncmp(f + strlen(pat), "rw,", 3) == 0)) {
            n++;
            *sized = strstr(line, want) != NULL;
        }
        p = eol ? eol + 1 : NULL;
    }
    return n;
}

/* A warm run is prepared with the last run's limits, its /proc files,
 * /dev/shm and /tmp mounted for them ahead; a spec with other limits gets
 * its own, mounted in their place (not on top of them). */
static void w_limits_follow_the_spec(void **state)
{
    (void)state;
    IT_REQUIRE_SANDBOX();
    need_warm_sandbox();
    static const struct { unsigned mem_mib, tmp_mib; } seq[] = {{64, 8}, {96, 4}, {96, 4}, {64, 8}, {80, 16}, {64, 8}};
    char uid0[32] = "", uid[32];
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        nsj_limits_t l;
        nsj_limits_default(&l);
        l.memory_bytes = (uint64_t)seq[i].mem_mib << 20;
        l.tmp_bytes = (uint64_t)seq[i].tmp_mib << 20;
        nsj_result_t r;
        const char *argv[] = {"/code/main", "cat", "/proc/meminfo", "/proc/self/mountinfo", NULL};
        nsj_run_spec_t spec;
        nsj_file_t f;
        it_probe_spec(&spec, &f, &l, argv);
        RUN_OK(nsj_run(warm_sb, &spec, &r), &r);
        EXPECT_VERDICT(&r, NSJ_VERDICT_OK);
        char line[96];
        snprintf(line, sizeof line, "MemTotal:       %u kB", seq[i].mem_mib << 10);
        EXPECT_LINE(&r, line);
        int sized_tmp, sized_shm, sized_meminfo;
        int ntmp = mounts_at(r.out, "/tmp", 1, (unsigned long long)seq[i].tmp_mib << 10, &sized_tmp);
        int nshm = mounts_at(r.out, "/dev/shm", 0, (unsigned long long)seq[i].tmp_mib << 10, &sized_shm);
        int nmeminfo = mounts_at(r.out, "/proc/meminfo", 0, 256, &sized_meminfo);
        int ro_tmp = mounts_at(r.out, "/tmp", 0, 0, &(int){0}) - ntmp;
        /* One writable /tmp, the run's; beneath it the read-only tmpfs of the
         * /proc files (two when the spec's limits are not those the slot's
         * root has files for: its own lie under the spec's). */
        if (ntmp != 1 || ro_tmp < 1 || ro_tmp > 2 || nshm != 1 || !sized_tmp || !sized_shm || nmeminfo != 1) {
            it_dump("mounts", &r);
            fail_msg("run %zu (tmp %u MiB): /tmp mounted writable %d times (sized %d), read-only %d, /dev/shm %d "
                     "(sized %d), /proc/meminfo %d", i, seq[i].tmp_mib, ntmp, sized_tmp, ro_tmp, nshm, sized_shm,
                     nmeminfo);
        }
        /* The same warm slot throughout. */
        nsj_result_t id;
        RUN_OK(probe_args(&id, &l, "ids", "0"), &id);
        value_of(id.out, "host_uid", uid, sizeof uid);
        if (!uid0[0])
            snprintf(uid0, sizeof uid0, "%s", uid);
        if (!uid[0] || strcmp(uid, uid0) != 0)
            fail_msg("runs as host uid '%s' then '%s': not the same slot", uid0, uid);
        nsj_result_free(&id);
        nsj_result_free(&r);
    }
}

/* A run that left its network namespace as it was made must find it so:
 * lo's packet counters at 0, no flow label, no TIME_WAIT, the abstract
 * name of an in-flight socket free. */
static void expect_pristine_netns(const nsj_result_t *r, const char *after)
{
    if (!it_has_line(r->out, "lo_packets=0/0") || !it_has_line(r->out, "flowlabels=0") ||
        !it_has_line(r->out, "tcp_tw=0") || !it_has_line(r->out, "inflight_name=free")) {
        it_dump("reader", r);
        fail_msg("after %s the reader's network namespace is not as made", after);
    }
}

/* The slot's network namespace is handed to later runs only while no run
 * has used it (slotnet.c). Evidence of both halves: runs that use no
 * network share namespaces (their cookies, unique per namespace and never
 * reused, repeat), and after a run that left packets and TIME_WAIT, an
 * IPv6 flow label that outlives its socket, or an abstract name held by
 * sockets in flight, no later run gets that namespace (its cookie never
 * comes back) and every later run finds its own as made. */
static void w_netns_reused_only_when_clean(void **state)
{
    (void)state;
    IT_REQUIRE_SANDBOX();
    need_warm_sandbox();
    char cookies[8][32], v[64];
    int distinct = 0;
    for (int i = 0; i < 8; i++) {
        nsj_result_t r;
        RUN_OK(probe_args(&r, NULL, "netns", NULL), &r);
        EXPECT_VERDICT(&r, NSJ_VERDICT_OK);
        expect_pristine_netns(&r, "a run that used no network");
        value_of(r.out, "netns_cookie", cookies[i], sizeof cookies[i]);
        if (!cookies[i][0]) {
            it_dump("netns", &r);
            fail_msg("no network namespace cookie (SO_NETNS_COOKIE needs Linux 5.14)");
        }
        int seen = 0;
        for (int j = 0; j < i; j++)
            seen |= strcmp(cookies[j], cookies[i]) == 0;
        distinct += !seen;
        nsj_result_free(&r);
    }
    /* A slot's first run finds nothing prepared (its own namespace); then
     * two alternate: one serves a run while the next run is prepared in
     * the other. Without reuse, 8 runs would have had 8. */
    if (distinct > 3)
        fail_msg("8 runs that used no network ran in %d network namespaces: not reused", distinct);
    static const char *const kinds[] = {"tcp", "flowlabel", "inflight"};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        nsj_result_t w;
        RUN_OK(probe_args(&w, NULL, "dirty", kinds[k]), &w);
        char made[32], dirty[32];
        if (strcmp(value_of(w.out, "made", made, sizeof made), kinds[k]) != 0) {
            it_dump("writer", &w);
            fail_msg("the writer could not leave '%s' behind: the readers' finding nothing would prove nothing",
                     kinds[k]);
        }
        value_of(w.out, "netns_cookie", dirty, sizeof dirty);
        nsj_result_free(&w);
        for (int i = 0; i < 4; i++) {
            nsj_result_t r;
            RUN_OK(probe_args(&r, NULL, "netns", NULL), &r);
            EXPECT_VERDICT(&r, NSJ_VERDICT_OK);
            expect_pristine_netns(&r, kinds[k]);
            /* Packets and a lingering label stay: that namespace is done
             * for. Sockets in flight the kernel may collect as the writer
             * exits (6.1 does, 6.18 later): then its namespace is clean
             * again and may serve, as the reader's finding shows. */
            if (k < 2 && (!dirty[0] || strcmp(value_of(r.out, "netns_cookie", v, sizeof v), dirty) == 0)) {
                it_dump("reader", &r);
                fail_msg("a run got the network namespace (cookie %s) of a run that left %s in it", dirty, kinds[k]);
            }
            nsj_result_free(&r);
        }
    }
}

/* Lines of a mount table (a file) whose text has needle. */
static int table_lines_with(const char *path, const char *needle)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

/* A run of another slot at the same time: this thread's own warm slot,
 * its first run (which may have found nothing prepared), then the one
 * kept in r. */
struct beside_run {
    int (*run)(nsj_result_t *);
    nsj_result_t r;
    int rc;
};

static void *run_beside(void *arg)
{
    struct beside_run *o = arg;
    nsj_result_t first;
    if ((o->rc = o->run(&first)) == 0) {
        nsj_result_free(&first);
        o->rc = o->run(&o->r);
    }
    nsj_sandbox_release_warm(warm_sb);
    return NULL;
}

static int rootid_run(nsj_result_t *r)
{
    return probe_args(r, NULL, "rootid", NULL);
}

/* A warm slot's root is an overlay of its own, mounted once in the slot's
 * own mount namespace and attached to each of its runs (warm.c; launch.c's
 * table says why that reuse is safe): runs of one slot find the same root
 * superblock (its device number), a run in another slot at the same time
 * finds another (so a lock or watch on a rootfs file stays in its slot:
 * c_no_shared_inodes_between_runs), and the host's mount table never shows
 * a slot's root. */
static void w_root_per_slot(void **state)
{
    (void)state;
    IT_REQUIRE_SANDBOX();
    need_warm_sandbox();
    char dev[6][64], fs[64], v[64];
    int distinct = 0;
    for (int i = 0; i < 6; i++) {
        nsj_result_t r;
        RUN_OK(probe_args(&r, NULL, "rootid", NULL), &r);
        EXPECT_VERDICT(&r, NSJ_VERDICT_OK);
        value_of(r.out, "root_dev", dev[i], sizeof dev[i]);
        if (strcmp(value_of(r.out, "root_fstype", fs, sizeof fs), "overlay") != 0) {
            it_dump("rootid", &r);
            fail_msg("the root is '%s', not a read-only overlay", fs);
        }
        int seen = 0;
        for (int j = 0; j < i; j++)
            seen |= strcmp(dev[j], dev[i]) == 0;
        distinct += !seen;
        nsj_result_free(&r);
    }
    /* Two roots alternate (one serves a run while the next is prepared on
     * the other), after a first run that may have found nothing prepared.
     * Without reuse, 6 runs would have had 6. */
    if (distinct > 3)
        fail_msg("6 runs of one warm slot had %d roots: the slot's roots were not reused", distinct);
    struct beside_run beside = {.run = rootid_run};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, run_beside, &beside), 0);
    nsj_result_t r;
    RUN_OK(rootid_run(&r), &r);
    nsj_result_free(&r);
    pthread_join(t, NULL);
    RUN_OK(beside.rc, &beside.r);
    value_of(beside.r.out, "root_dev", v, sizeof v);
    for (int i = 0; i < 6; i++)
        if (!v[0] || strcmp(v, dev[i]) == 0)
            fail_msg("a run in another slot had root %s, as this slot's run %d: one superblock for two slots", v, i);
    nsj_result_free(&beside.r);
    /* The probe from the host: neither this process's mount table nor the
     * host's (pid 1's) has the slots' roots. */
    static const char *const tables[] = {"/proc/self/mountinfo", "/proc/1/mountinfo"};
    for (int i = 0; i < 2; i++) {
        int n = table_lines_with(tables[i], " /run/nsjudge/roots");
        if (n != 0)
            fail_msg("%s shows a warm slot's root (%d lines; -1: unreadable)", tables[i], n);
    }
}

/* A run's mount table (it cats its /proc/self/mountinfo). */
static int mountinfo_run(nsj_result_t *r)
{
    const char *argv[] = {"/code/main", "cat", "/proc/self/mountinfo", NULL};
    nsj_run_spec_t spec;
    nsj_file_t f;
    it_probe_spec(&spec, &f, NULL, argv);
    return nsj_run(warm_sb, &spec, r);
}

/* Whether a run's mount table (r->out) is that of a copy of its root's
 * namespace: one root, nothing of the host's, two procs at /proc, the
 * lower an empty subset=pid one (its maj:min in lower_dev); else why not,
 * in why. */
static int rooted_table(const nsj_result_t *r, char *lower_dev, size_t cap, char *why, size_t whycap)
{
    int nroot = 0, nproc = 0, lower_subset = 0, mounts = 0;
    lower_dev[0] = '\0';
    for (const char *p = r->out; p && *p;) {
        const char *eol = strchr(p, '\n');
        char line[1024], dev[32] = "", point[256] = "";
        snprintf(line, sizeof line, "%.*s", (int)(eol ? (size_t)(eol - p) : strlen(p)), p);
        p = eol ? eol + 1 : NULL;
        if (sscanf(line, "%*s %*s %31s %*s %255s", dev, point) != 2)
            continue;
        mounts++;
        const char *super = strstr(line, " - ");
        if (strcmp(point, "/") == 0)
            nroot++;
        if (strcmp(point, "/proc") == 0 && super && nproc++ == 0) {
            lower_subset = strstr(super, " proc ") && strstr(super, "subset=pid");
            snprintf(lower_dev, cap, "%s", dev);
        }
        if (!strncmp(point, "/work", 5) || !strncmp(point, "/run", 4) || !strncmp(point, "/sys", 4)) {
            snprintf(why, whycap, "the mount table has the host's %s", point);
            return 0;
        }
    }
    if (nroot == 1 && nproc == 2 && lower_subset)
        return 1;
    snprintf(why, whycap, "%d mounts: %d at /, %d procs at /proc, the lower %s: not cloned in its root's namespace",
             mounts, nroot, nproc, lower_subset ? "subset=pid" : "not an empty subset=pid proc");
    return 0;
}

/* A warm run is cloned in its root's own mount namespace (warm.c,
 * mounts_root_ns): its table holds the root, its /dev, the /proc files'
 * tmpfs and the run's own mounts, and nothing of the host's. Beneath its
 * /proc lies the procfs that lets its user namespace mount one (the kernel
 * wants one fully visible): an empty one, of a pid namespace gone with its
 * maker, showing pid directories only (subset=pid), so that even uncovered
 * it would show nothing. A run of another slot at the same time has a
 * namespace of its own (another such procfs), and neither this process's
 * table nor the host's (pid 1's) gains those namespaces' mounts. */
static void w_root_namespace(void **state)
{
    (void)state;
    IT_REQUIRE_SANDBOX();
    need_warm_sandbox();
    static const char *const tables[] = {"/proc/self/mountinfo", "/proc/1/mountinfo"};
    int host_before[2];
    for (int i = 0; i < 2; i++)
        host_before[i] = table_lines_with(tables[i], "subset=pid");
    char dev[4][32], why[256];
    /* The slot's first run may have found nothing prepared (it ran cold). */
    nsj_result_t first;
    RUN_OK(mountinfo_run(&first), &first);
    nsj_result_free(&first);
    for (int run = 0; run < 4; run++) {
        nsj_result_t r;
        RUN_OK(mountinfo_run(&r), &r);
        EXPECT_VERDICT(&r, NSJ_VERDICT_OK);
        if (!rooted_table(&r, dev[run], sizeof dev[run], why, sizeof why)) {
            it_dump("mounts", &r);
            fail_msg("run %d: %s", run, why);
        }
        nsj_result_free(&r);
    }
    /* Beside them, a run of another slot. */
    struct beside_run beside = {.run = mountinfo_run};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, run_beside, &beside), 0);
    nsj_result_t r;
    RUN_OK(mountinfo_run(&r), &r);
    nsj_result_free(&r);
    pthread_join(t, NULL);
    RUN_OK(beside.rc, &beside.r);
    char other[32];
    if (!rooted_table(&beside.r, other, sizeof other, why, sizeof why)) {
        it_dump("mounts beside", &beside.r);
        fail_msg("a run of another slot: %s", why);
    }
    for (int i = 0; i < 4; i++)
        if (strcmp(other, dev[i]) == 0)
            fail_msg("a run of another slot had the empty proc %s beneath its /proc, as this slot's run %d: "
                     "one root namespace for two slots", other, i);
    nsj_result_free(&beside.r);
    for (int i = 0; i < 2; i++) {
        int after = table_lines_with(tables[i], "subset=pid");
        if (after != host_before[i])
            fail_msg("%s had %d subset=pid procs before the runs and %d after: a root's namespace leaked into it",
                     tables[i], host_before[i], after);
    }
}

/* A slot's root serves again only after a run that left nothing alive:
 * a lock on a rootfs inode whose file a cycle of unix sockets in flight
 * keeps open outlives the run's processes (until the kernel collects the
 * cycle), and no later run of the slot may see it. */
static void w_root_not_reused_after_inflight(void **state)
{
    (void)state;
    IT_REQUIRE_SANDBOX();
    need_warm_sandbox();
    for (int round = 0; round < 2; round++) {
        nsj_result_t w;
        RUN_OK(probe_args(&w, NULL, "dirty", "inflight_lock"), &w);
        char made[32];
        if (strcmp(value_of(w.out, "made", made, sizeof made), "inflight_lock") != 0) {
            it_dump("writer", &w);
            fail_msg("the writer could not leave a lock in flight: the readers' finding none would prove nothing");
        }
        nsj_result_free(&w);
        for (int i = 0; i < 4; i++) {
            nsj_result_t r;
            RUN_OK(probe_args(&r, NULL, "trylock", "/etc"), &r);
            if (!it_has_line(r.out, "trylock=ok")) {
                it_dump("reader", &r);
                fail_msg("a run of the slot sees the lock an earlier run left in flight on /etc");
            }
            nsj_result_free(&r);
        }
    }
}

/* Set-up failures of a warm run are reported like a cold run's, and the
 * slot serves the next run. */
static void w_bad_spec_then_good(void **state)
{
    (void)state;
    IT_REQUIRE_SANDBOX();
    need_warm_sandbox();
    nsj_result_t r;
    const char *argv[] = {"/code/main", "hello", NULL};
    nsj_run_spec_t spec;
    nsj_run_spec_init(&spec);
    nsj_file_t f = {.name = "main", .data = it.probe, .len = it.probe_len, .mode = 0755};
    spec.rootfs = it.rootfs;
    spec.files = &f;
    spec.nfiles = 1;
    spec.argv = argv;
    spec.cwd = "/does/not/exist";
    assert_true(nsj_run(warm_sb, &spec, &r) < 0);
    assert_int_equal(r.verdict, NSJ_VERDICT_INTERNAL_ERROR);
    assert_non_null(strstr(r.message, "chdir"));
    nsj_result_free(&r);
    spec.cwd = NULL;
    RUN_OK(nsj_run(warm_sb, &spec, &r), &r);
    EXPECT_LINE(&r, "hello");
    nsj_result_free(&r);
    /* Released: nothing of the slot's left on the host. */
    nsj_sandbox_release_warm(warm_sb);
    it_settle(); /* the shared sandbox's warm slot, when it has warm slots too */
    assert_int_equal(it_count_sandbox_processes(), 0);
    assert_int_equal(it_count_run_cgroups(), 0);
}

int it_run_warm_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(w_nothing_survives),
        cmocka_unit_test(w_cgroup_counters_fresh),
        cmocka_unit_test(w_cgroup_recycled),
        cmocka_unit_test(w_symlinked_rootfs_runs_warm),
        cmocka_unit_test(w_limits_follow_the_spec),
        cmocka_unit_test(w_netns_reused_only_when_clean),
        cmocka_unit_test(w_root_per_slot),
        cmocka_unit_test(w_root_namespace),
        cmocka_unit_test(w_root_not_reused_after_inflight),
        cmocka_unit_test(w_bad_spec_then_good),
    };
    return cmocka_run_group_tests_name("warm slots: nothing survives into the next run", tests, NULL,
                                       warm_teardown);
}
