#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "docker_backend.h"
#include "sandbox/internal.h"

/* Docker reports a process killed by signal N as exit code 128+N, the same
 * as a process that chose to exit with that code: this back end cannot
 * tell them apart (the namespace back end sees the real wait status). */
void docker_outcome_to_result(const docker_outcome_t *o, const nsj_limits_t *l, nsj_result_t *res)
{
    res->evidence[0] = '\0';
    res->time_kind = NSJ_TIME_NONE;
    res->exit_code = -1;
    res->signal = 0;
    if (!o->started) {
        res->verdict = NSJ_VERDICT_INTERNAL_ERROR;
        snprintf(res->message, sizeof res->message, "docker: %s", o->error[0] ? o->error : "container did not start");
        return;
    }
    if (o->exit_code > 128 && o->exit_code <= 128 + 64)
        res->signal = o->exit_code - 128;
    else
        res->exit_code = o->exit_code;
    if (o->oom_killed) {
        res->verdict = NSJ_VERDICT_MEMORY_LIMIT;
        verdict_add_evidence(res, "docker OOMKilled=true");
    } else if (o->out_over || o->err_over) {
        res->verdict = NSJ_VERDICT_OUTPUT_LIMIT;
        verdict_add_evidence(res, "%s over %llu bytes (docker kill)", o->out_over ? "stdout" : "stderr",
            (unsigned long long)l->output_bytes);
    } else if (o->timed_out) {
        res->verdict = NSJ_VERDICT_TIME_LIMIT;
        res->time_kind = NSJ_TIME_WALL;
        verdict_add_evidence(res, "wall timer %llu ms (docker kill)", (unsigned long long)l->wall_ms);
    } else if (res->signal) {
        res->verdict = NSJ_VERDICT_RUNTIME_ERROR;
        verdict_add_evidence(res, "docker exit code %d (signal %d?)", o->exit_code, res->signal);
    } else if (o->exit_code != 0) {
        res->verdict = NSJ_VERDICT_RUNTIME_ERROR;
        verdict_add_evidence(res, "exit code %d", o->exit_code);
    } else {
        res->verdict = NSJ_VERDICT_OK;
        verdict_add_evidence(res, "exit code 0");
    }
    verdict_add_evidence(res, "docker: no CPU or memory accounting");
}

/* The docker client: NSJUDGE_DOCKER_CLI, else `docker` on PATH. */
static const char *docker_cli(void)
{
    const char *c = getenv("NSJUDGE_DOCKER_CLI");
    return c && *c ? c : "docker";
}

/* Run a docker CLI command to completion; its stdout (trimmed) into out. */
static int docker_cmd(char *out, size_t cap, const char *const *argv)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(p[1], 1);
        dup2(p[1], 2);
        execvp(docker_cli(), (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    size_t len = 0;
    for (;;) {
        char chunk[4096];
        ssize_t n = read(p[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        size_t keep = cap - 1 - len;
        if ((size_t)n < keep)
            keep = (size_t)n;
        memcpy(out + len, chunk, keep);
        len += keep;
    }
    close(p[0]);
    out[len] = '\0';
    while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
        out[--len] = '\0';
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Start `docker kill NAME` without waiting: while it works, dockerd may be
 * blocked streaming the container's output to us, so we must keep
 * draining (a synchronous kill deadlocks on an output flood). */
static pid_t docker_kill_async(const char *name)
{
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0), dup2(devnull, 1), dup2(devnull, 2);
        const char *argv[] = {"docker", "kill", name, NULL};
        execvp(docker_cli(), (char *const *)argv);
        _exit(127);
    }
    return pid;
}

typedef struct cap_buf {
    char *data;
    size_t len, limit;
    int over;
} cap_buf_t;

static void cap_add(cap_buf_t *b, const char *p, size_t n)
{
    size_t room = b->limit - b->len, keep = n < room ? n : room;
    memcpy(b->data + b->len, p, keep);
    b->len += keep;
    b->data[b->len] = '\0';
    if (keep < n)
        b->over = 1;
}

int docker_run(const docker_run_opts_t *o, nsj_result_t *res)
{
    static unsigned seq;
    nsj_result_init(res);
    docker_outcome_t out = {0};
    char dir[4096], name[64], path[4200], mem[32], cpus[32], pids[32], tmpfs[96], vol[4200], box[4200], buf[512];
    snprintf(dir, sizeof dir, "%s/nsjudge-docker-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    cap_buf_t so = {.limit = o->limits.output_bytes}, se = {.limit = o->limits.output_bytes};
    so.data = malloc(so.limit + 1);
    se.data = malloc(se.limit + 1);
    if (!so.data || !se.data || !mkdtemp(dir) || chmod(dir, 0755) < 0) {
        snprintf(out.error, sizeof out.error, "code directory: %s", strerror(errno));
        free(so.data), free(se.data);
        docker_outcome_to_result(&out, &o->limits, res);
        return -1;
    }
    so.data[0] = se.data[0] = '\0';
    snprintf(path, sizeof path, "%s/%s", dir, o->source_name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, o->source_mode);
    if (fd < 0 || fchmod(fd, o->source_mode) < 0 || util_write_all(fd, o->source, o->source_len) < 0) {
        snprintf(out.error, sizeof out.error, "write %.200s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto finish;
    }
    close(fd);

    snprintf(name, sizeof name, "nsjudge-%d-%u", (int)getpid(), seq++);
    snprintf(mem, sizeof mem, "%llub", (unsigned long long)o->limits.memory_bytes);
    snprintf(cpus, sizeof cpus, "%u.%03u", o->limits.cpu_millis / 1000, o->limits.cpu_millis % 1000);
    snprintf(pids, sizeof pids, "%u", o->limits.pids);
    snprintf(tmpfs, sizeof tmpfs, "/tmp:rw,noexec,nosuid,size=%llu", (unsigned long long)o->limits.tmp_bytes);
    snprintf(vol, sizeof vol, "%s:/code:ro", dir);
    /* The judges' usual flags. Not --rm: the verdict needs `docker inspect`
     * after exit, and the container is removed right after that. */
    const char *argv[64] = {"docker", "run", "--name", name, "--network", "none", "--read-only",
                            "--memory", mem, "--memory-swap", mem, "--pids-limit", pids,
                            "--tmpfs", tmpfs, "-v", vol, "-i"};
    int n = 18;
    if (o->box_dir) {
        snprintf(box, sizeof box, "%s:/box:%s", o->box_dir, o->box_rw ? "rw" : "ro");
        argv[n++] = "-v";
        argv[n++] = box;
    }
    if (o->limits.cpu_millis) {
        argv[n++] = "--cpus";
        argv[n++] = cpus;
    }
    argv[n++] = o->image;
    for (int i = 0; o->argv[i] && n < 62; i++)
        argv[n++] = o->argv[i];
    argv[n] = NULL;

    int pin[2], pout[2], perr[2];
    if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) {
        snprintf(out.error, sizeof out.error, "pipe: %s", strerror(errno));
        goto finish;
    }
    uint64_t start = util_now_ns();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pin[0], 0), dup2(pout[1], 1), dup2(perr[1], 2);
        execvp(docker_cli(), (char *const *)argv);
        _exit(127);
    }
    close(pin[0]), close(pout[1]), close(perr[1]);
    fcntl(pin[1], F_SETFL, O_NONBLOCK);
    /* Feed stdin, drain both streams, enforce the wall limit and the caps. */
    char in_buf[65536], rbuf[65536];
    size_t in_len = 0, in_off = 0;
    int in_src = o->stdin_fd, in_w = pin[1], fo = pout[0], fe = perr[0], killed = 0;
    pid_t killer = -1;
    if (in_src < 0) {
        close(in_w);
        in_w = -1;
    }
    while (fo >= 0 || fe >= 0) {
        if (in_w >= 0 && in_off == in_len) {
            ssize_t r = read(in_src, in_buf, sizeof in_buf);
            if (r <= 0) {
                close(in_w);
                in_w = -1;
            } else {
                in_len = (size_t)r;
                in_off = 0;
            }
        }
        struct pollfd p[3] = {{fo, POLLIN, 0}, {fe, POLLIN, 0}, {in_w, POLLOUT, 0}};
        uint64_t now = util_now_ns(), due = start + o->limits.wall_ms * 1000000ULL;
        int timeout = killed ? -1 : now >= due ? 0 : (int)((due - now) / 1000000) + 1;
        int r = poll(p, 3, timeout);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0 && !killed) {
            out.timed_out = 1;
            killed = 1;
            killer = docker_kill_async(name);
            continue;
        }
        if (p[2].revents && in_w >= 0) {
            ssize_t w = write(in_w, in_buf + in_off, in_len - in_off);
            if (w > 0)
                in_off += (size_t)w;
            else if (w < 0 && errno != EAGAIN) {
                close(in_w);
                in_w = -1;
            }
        }
        for (int i = 0; i < 2; i++) {
            int *f = i == 0 ? &fo : &fe;
            if (!p[i].revents || *f < 0)
                continue;
            ssize_t got = read(*f, rbuf, sizeof rbuf);
            if (got > 0) {
                cap_add(i == 0 ? &so : &se, rbuf, (size_t)got);
                if ((so.over || se.over) && !killed) {
                    killed = 1;
                    killer = docker_kill_async(name);
                }
            } else if (got == 0 || errno != EINTR) {
                close(*f);
                *f = -1;
            }
        }
    }
    if (in_w >= 0)
        close(in_w);
    int st;
    waitpid(pid, &st, 0);
    if (killer > 0)
        waitpid(killer, NULL, 0);
    res->wall_ms = (util_now_ns() - start) / 1000000;
    out.out_over = so.over;
    out.err_over = se.over;

    const char *inspect_argv[] = {"docker", "inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", name, NULL};
    if (docker_cmd(buf, sizeof buf, inspect_argv) == 0) {
        char oom[16];
        if (sscanf(buf, "%15s %d", oom, &out.exit_code) == 2) {
            out.started = 1;
            out.oom_killed = strcmp(oom, "true") == 0;
        }
    }
    if (!out.started) {
        /* docker run's own complaint is on its stderr (exit 125: daemon, image...). */
        snprintf(out.error, sizeof out.error, "docker run exit status %d: %.300s",
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1, se.data);
    }
    const char *rm_argv[] = {"docker", "rm", "-f", name, NULL};
    docker_cmd(buf, sizeof buf, rm_argv);
finish:
    util_rm_rf(dir);
    docker_outcome_to_result(&out, &o->limits, res);
    res->out = so.data;
    res->out_len = so.len;
    res->err = se.data;
    res->err_len = se.len;
    res->out_truncated = so.over;
    res->err_truncated = se.over;
    return res->verdict == NSJ_VERDICT_INTERNAL_ERROR ? -1 : 0;
}
