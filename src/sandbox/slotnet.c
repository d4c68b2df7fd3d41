/* A warm slot's network namespaces: made once, reused while clean.
 *
 * Making a network namespace and destroying it are the largest share of a
 * run's set-up CPU (~1.2 ms of ~3.4 ms on the 2-CPU bench host: every
 * protocol's per-namespace init, sysctl tables, lo; and cleanup_net). A
 * run that never used the network leaves nothing in its namespace, so a
 * warm slot hands such a namespace to a later run of the same slot.
 *
 * The namespace belongs to the host (made here by the preparer thread with
 * unshare, lo brought up by root): the sandbox's root has no capability in
 * it, so nothing of its configuration (addresses, routes, sysctls, rules)
 * can change from inside. Init is born in it (the cloning thread enters it
 * around clone3: launch.c do_clone).
 *
 * A namespace serves one run at a time. After the run's every process is
 * gone (init reaped: the pid namespace empty, every socket closed), it goes
 * back to the slot only if it is as it was made: lo's packet and byte
 * counters unchanged (no IP packet was sent: no connection, no TIME_WAIT,
 * no route or neighbour state, no counters for the next run to read), no
 * socket left in it (sockstat's and sockstat6's per-namespace counts of
 * sockets in use all 0, no unix socket listed: one kept alive in flight
 * would keep an abstract name bound), and no IPv6 flow label (which can
 * outlive its socket by its linger time). Anything else
 * and it is closed (the kernel destroys it) and the next run gets a fresh
 * one. The sandbox's socket families are AF_UNIX, AF_INET and AF_INET6
 * (seccomp), with no capabilities: those are the state it can make. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

static const char *const watched[SLOTNET_FILES] = {"dev", "sockstat", "sockstat6", "ip6_flowlabel", "unix"};

/* The per-namespace part of a file's text: lo's line of net/dev, the
 * per-namespace counts of sockstat/sockstat6 (not the global memory and
 * orphan figures), the whole flow label table. */
static void normalize(int which, const char *text, char *out, size_t cap)
{
    size_t off = 0;
    out[0] = '\0';
    if (which >= 3) {
        size_t l = strlen(text);
        l = l < cap ? l : cap - 1; /* any entry makes it differ from the bare header */
        memcpy(out, text, l);
        out[l] = '\0';
        return;
    }
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)len, p);
        p = eol ? eol + 1 : p + len;
        if (which == 0) {
            const char *q = line;
            while (*q == ' ')
                q++;
            if (strncmp(q, "lo:", 3) == 0)
                off += (size_t)snprintf(out + off, off < cap ? cap - off : 0, "%s\n", q);
            continue;
        }
        /* "TCP: inuse 0 orphan 0 tw 0 alloc 0 mem 0": keep inuse, used, tw */
        char *save = NULL, *tok = strtok_r(line, " ", &save);
        if (!tok)
            continue;
        off += (size_t)snprintf(out + off, off < cap ? cap - off : 0, "%s", tok);
        for (char *k = strtok_r(NULL, " ", &save); k; k = strtok_r(NULL, " ", &save)) {
            char *v = strtok_r(NULL, " ", &save);
            if (!v)
                break;
            /* Not "sockets: used": it drops only when a socket is freed,
             * an RCU grace period after its close (UDP's, netlink's). */
            if (!strcmp(k, "inuse") || !strcmp(k, "tw"))
                off += (size_t)snprintf(out + off, off < cap ? cap - off : 0, " %s %s", k, v);
        }
        off += (size_t)snprintf(out + off, off < cap ? cap - off : 0, "\n");
    }
}

/* sockstat's counts of sockets in use and in TIME_WAIT: all 0. */
static int all_zero(const char *norm)
{
    for (const char *p = norm; *p; p++)
        if (*p >= '1' && *p <= '9' && (p == norm || p[-1] == ' '))
            return 0;
    return 1;
}

static int read_state(const slotnet_t *n, char state[SLOTNET_FILES][SLOTNET_STATE])
{
    for (int i = 0; i < SLOTNET_FILES; i++) {
        char buf[8192];
        ssize_t got = pread(n->files[i], buf, sizeof buf - 1, 0);
        if (got < 0)
            return -1;
        buf[got] = '\0';
        normalize(i, buf, state[i], SLOTNET_STATE);
    }
    return 0;
}

void slotnet_init(slotnet_t *n)
{
    n->fd = -1;
    for (int i = 0; i < SLOTNET_FILES; i++)
        n->files[i] = -1;
}

void slotnet_close(slotnet_t *n)
{
    if (n->fd >= 0)
        close(n->fd);
    for (int i = 0; i < SLOTNET_FILES; i++)
        if (n->files[i] >= 0)
            close(n->files[i]);
    slotnet_init(n);
}

int slotnet_make(slotnet_t *n, int host_netns, nsj_error_t *err)
{
    slotnet_init(n);
    /* This thread alone moves (a network namespace is per thread), and back. */
    if (unshare(CLONE_NEWNET) < 0)
        return nsj_error_set(err, errno, "slot netns: unshare");
    int rc = -1;
    n->fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (n->fd < 0) {
        nsj_error_set(err, errno, "slot netns: open its ns file");
        goto back;
    }
    int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0 /* NETLINK_ROUTE */);
    if (nl < 0) {
        nsj_error_set(err, errno, "slot netns: netlink socket");
        goto back;
    }
    if (net_bring_up_lo(nl, err) < 0) /* takes nl */
        goto back;
    /* Opened here, these read this namespace's figures for good. */
    for (int i = 0; i < SLOTNET_FILES; i++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/thread-self/net/%s", watched[i]);
        if ((n->files[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
            nsj_error_set(err, errno, "slot netns: open %s", path);
            goto back;
        }
    }
    if (read_state(n, n->base) < 0) {
        nsj_error_set(err, errno, "slot netns: read its counters");
        goto back;
    }
    rc = 0;
back:
    if (setns(host_netns, CLONE_NEWNET) < 0) {
        /* This thread would make every later run in the wrong namespace. */
        fprintf(stderr, "nsjudge: slot netns: cannot go back to the host's network namespace: %s\n", strerror(errno));
        abort();
    }
    if (rc < 0)
        slotnet_close(n);
    return rc;
}

int slotnet_clean(const slotnet_t *n)
{
    char now[SLOTNET_FILES][SLOTNET_STATE];
    if (n->fd < 0 || read_state(n, now) < 0)
        return 0;
    for (int i = 0; i < SLOTNET_FILES; i++)
        if (!(i == 1 || i == 2 ? all_zero(now[i]) : strcmp(now[i], n->base[i]) == 0)) {
            if (getenv("NSJUDGE_TRACE"))
                fprintf(stderr, "nsjudge trace: slot netns not reused: its %s changed:\n%s---\n%s", watched[i],
                        n->base[i], now[i]);
            return 0;
        }
    return 1;
}
