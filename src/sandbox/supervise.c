/* Supervision: one poll() over every event source of a run, no sleeping.
 *
 *   pidfd        init exited (the whole sandbox is gone)  -> reap, finish
 *   sync socket  sync 4 (seccomp listener), sync 5 (program status), errors
 *   listener     a "kill" syscall was attempted            -> syscall_blocked
 *   out/err      drain into capped buffers                 -> output_limit
 *   stdin pipe   feed from memory or from the caller's fd
 *   wall timer   timerfd at execve (sync 4) + wall limit    -> time_limit (wall);
 *                before that, at start + limit + SETUP_GRACE: a set-up
 *                that slow is the host's fault (internal_error), never
 *                the program's
 *   cpu timer    timerfd at the earliest moment the cgroup could reach
 *                the CPU limit (remaining / max rate); re-armed until it does
 *   idle timer, cancel fd (interactive runs) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "run.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

void run_kill(run_t *r, kill_reason_t why)
{
    if (r->facts.killed == KILL_NONE)
        r->facts.killed = why;
    if (r->init_reaped)
        return;
    if (!r->kill_ns)
        r->kill_ns = util_now_ns();
    /* SIGKILL to init: the kernel then kills every task of its pid namespace. */
    if (r->pidfd >= 0 && syscall(SYS_pidfd_send_signal, r->pidfd, SIGKILL, NULL, 0) == 0)
        return;
    if (r->pid > 0)
        kill(r->pid, SIGKILL);
}

static void set_err(run_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(run_t *r, const char *fmt, ...)
{
    int e = errno; /* the cause, for nsj_run's retry of host faults */
    if (r->msg[0])
        return;
    r->msg_errno = e;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
}

static void arm(int tfd, uint64_t at_ns)
{
    struct itimerspec its = {0};
    its.it_value.tv_sec = (time_t)(at_ns / 1000000000ULL);
    its.it_value.tv_nsec = (long)(at_ns % 1000000000ULL);
    timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void drain_timer(int tfd)
{
    uint64_t n;
    while (read(tfd, &n, sizeof n) < 0 && errno == EINTR)
        ;
}

/* Append to a capped buffer; past the cap bytes are counted, not kept. */
static int outbuf_add(outbuf_t *b, const char *p, size_t n)
{
    size_t room = b->limit > b->len ? b->limit - b->len : 0;
    size_t keep = n < room ? n : room;
    if (keep) {
        if (b->len + keep + 1 > b->cap) {
            size_t ncap = b->cap ? b->cap : 4096;
            while (ncap < b->len + keep + 1)
                ncap *= 2;
            if (ncap > b->limit + 1)
                ncap = b->limit + 1;
            char *nd = realloc(b->data, ncap);
            if (!nd)
                return -1;
            b->data = nd;
            b->cap = ncap;
        }
        memcpy(b->data + b->len, p, keep);
        b->len += keep;
        b->data[b->len] = '\0';
    }
    if (keep < n)
        b->over = 1;
    return 0;
}

/* Returns how many bytes were read. */
static size_t read_output(run_t *r, outbuf_t *b, nsj_stream_t which)
{
    char buf[65536];
    size_t got = 0;
    for (;;) {
        ssize_t n = read(b->fd, buf, sizeof buf);
        if (n > 0) {
            got += (size_t)n;
            r->last_io_ns = util_now_ns();
            if (r->spec->on_output)
                r->spec->on_output(r->spec->ud, which, buf, (size_t)n);
            if (outbuf_add(b, buf, (size_t)n) < 0) {
                set_err(r, "output buffer: out of memory");
                run_kill(r, KILL_NONE);
            }
            if (b->over && r->facts.killed == KILL_NONE)
                run_kill(r, KILL_OUTPUT);
            /* A short read drained the pipe: the rest waits for the next
             * batch. Reading on until EAGAIN races a writer on another CPU
             * into one tiny read per write. Past the cap, output is still
             * drained (and discarded) batch by batch until EOF. */
            if ((size_t)n < sizeof buf)
                return got;
            continue;
        }
        if (n == 0) {
            close(b->fd);
            b->fd = -1;
        } else if (errno == EINTR) {
            continue;
        }
        return got;
    }
}

static void close_stdin(run_t *r)
{
    if (r->in_w >= 0)
        close(r->in_w);
    r->in_w = -1;
    r->in_src = -1;
}

/* Move stdin bytes along; returns with in_w closed once all is delivered. */
static void feed_stdin(run_t *r)
{
    while (r->in_w >= 0) {
        if (r->in_off == r->in_len) {
            if (r->in_src < 0) {
                close_stdin(r);
                return;
            }
            ssize_t n = read(r->in_src, r->in_buf, sizeof r->in_buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN)
                return; /* live source: wait for it in poll */
            if (n <= 0) {
                close_stdin(r);
                return;
            }
            r->src_read = 1;
            r->in_data = r->in_buf;
            r->in_len = (size_t)n;
            r->in_off = 0;
            r->last_io_ns = util_now_ns();
        }
        ssize_t w = write(r->in_w, r->in_data + r->in_off, r->in_len - r->in_off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                close_stdin(r); /* EPIPE: the program stopped reading */
            return;
        }
        r->in_off += (size_t)w;
    }
}

/* sync 4: take the program's seccomp listener out of its fd table, by its
 * fd number there (the program waits before execve closes it). 0, or <0
 * with r->msg; 1 when the program is gone already (killed: the evidence
 * tells why). */
int run_take_listener(run_t *r, pid_t sender, int fdnum)
{
    if (r->listener >= 0)
        return 0;
    int pidfd = sender > 0 ? (int)syscall(SYS_pidfd_open, sender, 0) : -1;
    int fd = pidfd >= 0 ? (int)syscall(SYS_pidfd_getfd, pidfd, fdnum, 0) : -1;
    int e = errno;
    if (pidfd >= 0)
        close(pidfd);
    if (fd < 0 && (e == ESRCH || r->facts.killed != KILL_NONE))
        return 1;
    if (fd < 0) {
        errno = e;
        set_err(r, "sandbox set-up: sync 4: take the seccomp listener of pid %d: %s", (int)sender, strerror(e));
        return -1;
    }
    r->listener = fd;
    return 0;
}

/* The set-up is over: the program's wall clock starts now. */
static void program_started(run_t *r)
{
    r->exec_reached = 1;
    /* The wall clock is the program's from here: a slow set-up on a busy
     * host must not eat into it. */
    r->exec_ns = util_now_ns();
    if (r->wall_tfd >= 0)
        arm(r->wall_tfd, r->exec_ns + r->spec->limits.wall_ms * 1000000ULL);
    run_trace(r, "sync 4: program about to execve");
    if (r->on_exec)
        r->on_exec(r->on_exec_ud);
    if (r->spec->on_exec)
        r->spec->on_exec(r->spec->ud);
}

/* sync 4 (cold): take the listener, then sync 4b lets the program execve. */
static void take_listener(run_t *r, pid_t sender, int fdnum)
{
    int rc = run_take_listener(r, sender, fdnum);
    if (rc < 0)
        run_kill(r, KILL_NONE);
    if (rc != 0)
        return;
    if (sync_send(r->sock, SYNC_LISTENER_TAKEN, 0, NULL, NULL, 0) < 0) {
        set_err(r, "sandbox set-up: sync 4b: %s", strerror(errno));
        run_kill(r, KILL_NONE);
        return;
    }
    program_started(r);
}

static void handle_sync(run_t *r)
{
    for (;;) {
        sync_msg_t m;
        int fds[2];
        pid_t sender;
        ssize_t n = sync_recv(r->sock, &m, fds, &sender);
        for (int i = 0; i < 2; i++)
            if (n > 0 && fds[i] >= 0)
                close(fds[i]); /* no message of the run's phase carries fds */
        if (n <= 0) {
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                close(r->sock);
                r->sock = -1;
            }
            return;
        }
        switch (m.type) {
        case SYNC_LISTENER_FD: /* sync 4 */
            take_listener(r, sender, m.status);
            break;
        case SYNC_PROGRAM_GO: /* sync 4, warm: the listener was taken while prepared */
            program_started(r);
            break;
        case SYNC_EXIT: /* sync 5 */
            r->facts.have_status = 1;
            r->facts.status = m.status;
            r->end_ns = util_now_ns();
            run_trace(r, "sync 5: program exited");
            break;
        case SYNC_ERROR:
            errno = m.ce.err;
            set_err(r, "sandbox set-up: %s: %s", m.ce.text, strerror(m.ce.err));
            run_kill(r, KILL_NONE);
            break;
        default:
            set_err(r, "sync protocol: unexpected message %u", m.type);
            run_kill(r, KILL_NONE);
        }
    }
}

static void handle_listener(run_t *r, short revents)
{
    if (revents & POLLIN) {
        pid_t pid;
        if (seccomp_notify_read(r->listener, r->blocked, sizeof r->blocked, &pid) == 0) {
            run_kill(r, KILL_SECCOMP);
            return;
        }
    }
    if (revents & (POLLHUP | POLLERR)) {
        /* Every task using the filter is gone. */
        close(r->listener);
        r->listener = -1;
    }
}

/* CPU time grows at most at min(quota, online CPUs); sleep until the
 * earliest moment the limit could be reached. */
static void arm_cpu(run_t *r, int tfd, uint64_t used_ns)
{
    uint64_t limit_ns = r->spec->limits.cpu_ms * 1000000ULL;
    uint64_t rate_milli = r->sb->ncpus * 1000ULL;
    if (r->spec->limits.cpu_millis && r->spec->limits.cpu_millis < rate_milli)
        rate_milli = r->spec->limits.cpu_millis;
    uint64_t remaining = limit_ns > used_ns ? limit_ns - used_ns : 0;
    uint64_t wait_ns = remaining * 1000 / rate_milli;
    if (wait_ns < 2000000)
        wait_ns = 2000000;
    arm(tfd, util_now_ns() + wait_ns);
}

int supervise(run_t *r)
{
    const nsj_run_spec_t *s = r->spec;
    int wall = r->wall_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    int cpu = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    int idle = s->idle_ms ? timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK) : -1;
    if (wall < 0 || cpu < 0 || (s->idle_ms && idle < 0)) {
        set_err(r, "timerfd_create: %s", strerror(errno));
        run_kill(r, KILL_NONE);
    }
    if (wall >= 0)
        arm(wall, r->start_ns + s->limits.wall_ms * 1000000ULL + SETUP_GRACE_NS);
    if (cpu >= 0)
        arm_cpu(r, cpu, 0);
    if (idle >= 0)
        arm(idle, r->last_io_ns + s->idle_ms * 1000000ULL);
    if (r->in_src >= 0)
        fcntl(r->in_src, F_SETFL, fcntl(r->in_src, F_GETFL) | O_NONBLOCK);
    feed_stdin(r);

    /* Output is drained in batches: after a read, the pipes are left alone
     * for OUTPUT_BATCH_NS (the kernel buffers up to their size; a writer
     * that fills them just waits). Polling them all the time would wake
     * the supervisor for every write: a program making 1-byte writes cost
     * the supervisor, outside any cgroup, most of a CPU. */
    enum { OUTPUT_BATCH_NS = 2000000 };
    uint64_t output_quiet_until = 0;
    for (int i = 0; i < 2; i++)
        fcntl(i ? r->err.fd : r->out.fd, F_SETPIPE_SZ, 256 << 10); /* best effort: fewer writer stalls */

    enum { P_PID, P_SOCK, P_OUT, P_ERR, P_IN, P_SRC, P_LISTEN, P_WALL, P_CPU, P_IDLE, P_CANCEL, P_N };
    /* Done when init is reaped, or as soon as it is on its way out after
     * sync 5 (it closed the sync socket: the kernel kills what is left of
     * the namespace) — not waiting for its exit to finish (its namespaces
     * torn down, every task reaped): run_teardown reaps it. Either way,
     * once the output pipes are at EOF. */
    for (;;) {
        int ended = r->init_reaped || (r->facts.have_status && r->sock < 0);
        if (ended && r->out.fd < 0 && r->err.fd < 0)
            break;
        struct pollfd p[P_N];
        for (int i = 0; i < P_N; i++)
            p[i] = (struct pollfd){.fd = -1, .events = POLLIN};
        if (!r->init_reaped) {
            p[P_PID].fd = r->pidfd;
            p[P_SOCK].fd = r->sock;
            p[P_LISTEN].fd = r->listener;
            p[P_WALL].fd = wall;
            p[P_CPU].fd = cpu;
            p[P_IDLE].fd = idle;
            p[P_CANCEL].fd = s->cancel_fd;
        }
        int timeout = -1;
        uint64_t now = util_now_ns();
        if (ended || now >= output_quiet_until) {
            p[P_OUT].fd = r->out.fd;
            p[P_ERR].fd = r->err.fd;
        } else {
            timeout = (int)((output_quiet_until - now + 999999) / 1000000);
        }
        if (r->in_w >= 0 && r->in_off < r->in_len) {
            p[P_IN].fd = r->in_w;
            p[P_IN].events = POLLOUT;
        } else if (r->in_w >= 0 && r->in_src >= 0) {
            p[P_SRC].fd = r->in_src;
        }
        /* Once the sandbox has ended every writer is dead (or dying), so EOF is due at once;
         * bound the wait anyway rather than trust that forever. */
        if (ended) {
            uint64_t due = r->end_ns + 5000000000ULL;
            if (now >= due) {
                set_err(r, "output pipes still open 5 s after the sandbox ended");
                break;
            }
            timeout = (int)((due - now) / 1000000) + 1;
        }
        if (poll(p, P_N, timeout) < 0) {
            if (errno == EINTR)
                continue;
            set_err(r, "poll: %s", strerror(errno));
            run_kill(r, KILL_NONE);
            break;
        }
        size_t got = 0;
        if (p[P_OUT].revents)
            got += read_output(r, &r->out, NSJ_STDOUT);
        if (p[P_ERR].revents)
            got += read_output(r, &r->err, NSJ_STDERR);
        if (got)
            output_quiet_until = util_now_ns() + OUTPUT_BATCH_NS;
        if (p[P_IN].revents & (POLLOUT | POLLERR | POLLHUP))
            feed_stdin(r);
        if (p[P_SRC].revents)
            feed_stdin(r);
        if (p[P_SOCK].revents)
            handle_sync(r);
        if (p[P_LISTEN].revents && r->listener >= 0)
            handle_listener(r, p[P_LISTEN].revents);
        if (p[P_WALL].revents) {
            drain_timer(wall);
            if (r->exec_reached) {
                run_kill(r, KILL_WALL);
            } else {
                errno = ETIMEDOUT;
                set_err(r, "sandbox set-up did not reach the program within %llu ms",
                        (unsigned long long)(s->limits.wall_ms + SETUP_GRACE_NS / 1000000));
                run_kill(r, KILL_NONE);
            }
        }
        if (p[P_CPU].revents) {
            drain_timer(cpu);
            uint64_t used;
            if (cgroup_cpu_ns(&r->cg, &used) == 0) {
                if (used >= s->limits.cpu_ms * 1000000ULL)
                    run_kill(r, KILL_CPU);
                else
                    arm_cpu(r, cpu, used);
            }
        }
        if (p[P_IDLE].revents) {
            drain_timer(idle);
            uint64_t due = r->last_io_ns + s->idle_ms * 1000000ULL;
            if (util_now_ns() >= due)
                run_kill(r, KILL_IDLE);
            else
                arm(idle, due);
        }
        if (p[P_CANCEL].revents)
            run_kill(r, KILL_CANCEL);
        if (p[P_PID].revents) {
            /* Messages init sent just before exiting are still queued. */
            if (r->sock >= 0)
                handle_sync(r);
            siginfo_t si;
            memset(&si, 0, sizeof si);
            if (waitid((idtype_t)P_PIDFD, (id_t)r->pidfd, &si, WEXITED | WNOHANG) == 0 && si.si_pid) {
                r->init_reaped = 1;
                r->init_code = si.si_code, r->init_status = si.si_status;
                if (!r->facts.have_status)
                    r->end_ns = util_now_ns();
                if (r->listener >= 0) {
                    close(r->listener);
                    r->listener = -1;
                }
                close_stdin(r);
            }
        }
    }
    if (wall >= 0)
        close(wall);
    r->wall_tfd = -1;
    if (cpu >= 0)
        close(cpu);
    if (idle >= 0)
        close(idle);
    close_stdin(r);
    return r->msg[0] ? -1 : 0;
}
