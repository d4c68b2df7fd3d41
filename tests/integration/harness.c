#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "harness.h"

it_env_t it;

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

void it_global_setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    snprintf(it.home, sizeof it.home, "%s", env_or("NSJUDGE_HOME", "."));
    char def_rootfs[2040];
    snprintf(def_rootfs, sizeof def_rootfs, "%.2000s/rootfs/python", it.home);
    snprintf(it.rootfs, sizeof it.rootfs, "%s", env_or("NSJUDGE_ROOTFS", def_rootfs));
    snprintf(it.probe_path, sizeof it.probe_path, "%s/%s/payloads/probe", it.home, env_or("BUILD", "build"));
    char py[2100];
    snprintf(py, sizeof py, "%s/usr/bin/python3", it.rootfs);
    it.have_python = access(py, X_OK) == 0;

    if (geteuid() != 0) {
        snprintf(it.unavailable, sizeof it.unavailable, "the sandbox needs root (namespaces, cgroups)");
        return;
    }
    struct stat st;
    if (stat(it.rootfs, &st) < 0) {
        snprintf(it.unavailable, sizeof it.unavailable, "no rootfs at %s (make rootfs)", it.rootfs);
        return;
    }
    nsj_error_t err;
    if (util_read_whole_file(it.probe_path, 64 << 20, &it.probe, &it.probe_len, &err) < 0) {
        snprintf(it.unavailable, sizeof it.unavailable, "payload: %s", err.msg);
        return;
    }
    nsj_sandbox_opts_t opts = {0};
    const char *mode = env_or("NSJUDGE_TEST_CGROUP", "auto");
    opts.cgroup_mode = !strcmp(mode, "v1") ? NSJ_CGROUP_V1 : !strcmp(mode, "v2") ? NSJ_CGROUP_V2 : NSJ_CGROUP_AUTO;
    opts.warm = !strcmp(env_or("NSJUDGE_TEST_WARM", "0"), "1");
    if (nsj_sandbox_new(&opts, &it.sb, &err) < 0) {
        snprintf(it.unavailable, sizeof it.unavailable, "sandbox: %s", err.msg);
        it.sb = NULL;
        return;
    }
    fprintf(stderr, "[ integration: rootfs %s, cgroup %s, %s slots ]\n", it.rootfs, nsj_sandbox_cgroup_backend(it.sb),
            opts.warm ? "warm" : "cold");
}

void it_global_teardown(void)
{
    nsj_sandbox_free(it.sb);
    free(it.probe);
}

void it_probe_spec(nsj_run_spec_t *spec, nsj_file_t *f, const nsj_limits_t *lim, const char *const *argv)
{
    nsj_run_spec_init(spec);
    if (lim)
        spec->limits = *lim;
    *f = (nsj_file_t){.name = "main", .data = it.probe, .len = it.probe_len, .mode = 0755};
    spec->rootfs = it.rootfs;
    spec->files = f;
    spec->nfiles = 1;
    spec->argv = argv;
}

static int run_probe_v(nsj_result_t *res, const nsj_limits_t *lim, const char *in, size_t inlen, const char *arg,
                       va_list ap)
{
    const char *argv[32] = {"/code/main"};
    int n = 1;
    for (const char *a = arg; a && n < 31; a = va_arg(ap, const char *))
        argv[n++] = a;
    argv[n] = NULL;
    nsj_run_spec_t spec;
    nsj_file_t f;
    it_probe_spec(&spec, &f, lim, argv);
    spec.cwd = "/tmp";
    spec.stdin_data = in;
    spec.stdin_len = inlen;
    return nsj_run(it.sb, &spec, res);
}

int it_probe(nsj_result_t *res, const nsj_limits_t *lim, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    int rc = run_probe_v(res, lim, NULL, 0, arg, ap);
    va_end(ap);
    return rc;
}

int it_probe_stdin(nsj_result_t *res, const nsj_limits_t *lim, const char *in, size_t inlen, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    int rc = run_probe_v(res, lim, in, inlen, arg, ap);
    va_end(ap);
    return rc;
}

int it_python(nsj_result_t *res, const nsj_limits_t *lim, const char *src, const char *in)
{
    static const char *const argv[] = {"/usr/bin/python3", "/code/main.py", NULL};
    nsj_run_spec_t spec;
    nsj_run_spec_init(&spec);
    if (lim)
        spec.limits = *lim;
    nsj_file_t f = {.name = "main.py", .data = src, .len = strlen(src), .mode = 0644};
    spec.rootfs = it.rootfs;
    spec.files = &f;
    spec.nfiles = 1;
    spec.argv = argv;
    spec.cwd = "/code";
    spec.stdin_data = in;
    spec.stdin_len = in ? strlen(in) : 0;
    return nsj_run(it.sb, &spec, res);
}

bool it_has_line(const char *out, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = out; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len == n && memcmp(p, line, n) == 0)
            return true;
        p = eol ? eol + 1 : NULL;
    }
    return false;
}

int it_count_lines(const char *out)
{
    int n = 0;
    for (const char *p = out; p && *p; p++)
        n += *p == '\n';
    return n;
}

void it_dump(const char *what, const nsj_result_t *r)
{
    print_message("--- %s: status=%s exit=%d signal=%d cpu=%llu wall=%llu mem=%llu\n    evidence: %s\n"
                  "    message: %s\n    stdout: %.400s\n    stderr: %.400s\n",
                  what, nsj_verdict_name(r->verdict), r->exit_code, r->signal, (unsigned long long)r->cpu_ms,
                  (unsigned long long)r->wall_ms, (unsigned long long)r->memory_kb, r->evidence, r->message,
                  r->out ? r->out : "", r->err ? r->err : "");
}

static char *slurp(int fd)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1 == cap)
            buf = realloc(buf, cap *= 2);
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return buf;
}

int it_cli(char **out, char **err, const char *stdin_text, const char *arg, ...)
{
    char bin[4200];
    snprintf(bin, sizeof bin, "%s/%s/nsjudge", it.home, env_or("BUILD", "build"));
    const char *argv[40] = {bin};
    int n = 1;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a && n < 39; a = va_arg(ap, const char *))
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    int po[2], pe[2], pi[2];
    if (pipe(po) < 0 || pipe(pe) < 0 || pipe(pi) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pi[0], 0), dup2(po[1], 1), dup2(pe[1], 2);
        close(pi[1]), close(po[0]), close(pe[0]);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(pi[0]), close(po[1]), close(pe[1]);
    if (stdin_text)
        util_write_all(pi[1], stdin_text, strlen(stdin_text));
    close(pi[1]);
    /* Outputs are small in these tests; stderr first would block only if
     * stdout filled its pipe, which a single JSON line does not. */
    *out = slurp(po[0]);
    *err = slurp(pe[0]);
    close(po[0]), close(pe[0]);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void it_settle(void)
{
    if (it.sb)
        nsj_sandbox_release_warm(it.sb);
}

int it_count_sandbox_processes(void)
{
    return it_count_sandbox_processes_of(getpid());
}

/* Whether process pid (a host pid, as text) is a sandbox process of
 * supervisor's: a slot's host uid, in a run cgroup supervisor made. */
static bool is_sandbox_process_of(const char *pid, pid_t supervisor)
{
    char path[300], buf[4096];
    snprintf(path, sizeof path, "/proc/%s/status", pid);
    if (util_read_file_at(AT_FDCWD, path, buf, sizeof buf) <= 0)
        return false;
    char *uid = strstr(buf, "\nUid:");
    unsigned r = 0;
    /* The slots' host ids (default base and count). */
    if (!uid || sscanf(uid + 5, "%u", &r) != 1 || r < IT_UID_BASE || r >= IT_UID_BASE + 2 * IT_SLOTS)
        return false;
    /* Ours: in a run cgroup this test process made (run-<our pid>-N);
     * sandboxes of other supervisors on the host are not counted. */
    char cg[4096], mine[64];
    snprintf(path, sizeof path, "/proc/%s/cgroup", pid);
    snprintf(mine, sizeof mine, "/run-%d-", (int)supervisor);
    return util_read_file_at(AT_FDCWD, path, cg, sizeof cg) > 0 && strstr(cg, mine);
}

int it_count_sandbox_processes_of(pid_t supervisor)
{
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && is_sandbox_process_of(e->d_name, supervisor))
            n++;
    if (d)
        closedir(d);
    return n;
}

int it_count_sandbox_flocks(void)
{
    /* "1: FLOCK  ADVISORY  WRITE 1234 00:2a:17 0 EOF"; a waiter's line
     * has "->" after the number. The pid is the host's. */
    FILE *f = fopen("/proc/locks", "r");
    if (!f)
        return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char type[16], pid[16]; /* the number, type, ADVISORY, mode, pid */
        if (sscanf(line, "%*s %15s %*s %*s %15s", type, pid) == 2 && !strcmp(type, "FLOCK") &&
            is_sandbox_process_of(pid, getpid()))
            n++;
    }
    fclose(f);
    return n;
}

/* This process's run cgroups (run-<pid>-N) anywhere under /sys/fs/cgroup
 * (every hierarchy, any parent: the default /nsjudge, "self" delegation). */
static int count_runs(const char *dir, int depth, pid_t supervisor)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.')
            continue;
        char mine[64];
        snprintf(mine, sizeof mine, "run-%d-", (int)supervisor);
        if (strncmp(e->d_name, mine, strlen(mine)) == 0)
            n++;
        if (depth > 0) {
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
            n += count_runs(sub, depth - 1, supervisor);
        }
    }
    closedir(d);
    return n;
}

int it_count_run_cgroups(void)
{
    return it_count_run_cgroups_of(getpid());
}

int it_count_run_cgroups_of(pid_t supervisor)
{
    return count_runs("/sys/fs/cgroup", 8, supervisor);
}

/* Host mounts a leaking sandbox would leave: anything at or under the
 * rootfs, or any overlay (sandboxes mount only in their own namespaces;
 * unrelated mounts by other software on the host are not counted). */
int it_count_mounts(void)
{
    int fd = open("/proc/self/mountinfo", O_RDONLY);
    if (fd < 0)
        return -1;
    char *buf = slurp(fd);
    close(fd);
    int n = 0;
    size_t rl = strlen(it.rootfs);
    for (char *line = buf; line && *line;) {
        char *eol = strchr(line, '\n');
        if (eol)
            *eol = '\0';
        char point[4096] = "";
        sscanf(line, "%*s %*s %*s %*s %4095s", point);
        /* Where a leaking sandbox would leave mounts: on its rootfs, or a
         * scratch mount under the run directory. (Not "any overlay": other
         * work on the host, a docker daemon say, mounts and unmounts its own.) */
        if ((rl && strncmp(point, it.rootfs, rl) == 0) || strncmp(point, "/run/nsjudge", 12) == 0)
            n++;
        line = eol ? eol + 1 : NULL;
    }
    free(buf);
    return n;
}

int it_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n - 1; /* the directory's own fd */
}
