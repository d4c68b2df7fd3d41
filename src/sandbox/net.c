#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <unistd.h>

#include "internal.h"

/* The socket was created by the sandbox's init inside the new network
 * namespace and passed to us, so libnl talks to that namespace while this
 * thread never leaves its own (no setns in a multi-threaded supervisor). */
int net_bring_up_lo(int nl_fd, nsj_error_t *err)
{
    int rc = -1;
    struct rtnl_link *lo = NULL, *change = NULL;
    struct nl_sock *sk = nl_socket_alloc();
    if (!sk) {
        close(nl_fd);
        return nsj_error_set(err, ENOMEM, "net: nl_socket_alloc");
    }
    int e = nl_socket_set_fd(sk, NETLINK_ROUTE, nl_fd);
    if (e < 0) {
        close(nl_fd);
        nsj_error_set(err, EINVAL, "net: adopt netlink socket: %s", nl_geterror(e));
        goto out;
    }
    /* A new netns has exactly one device, lo, always ifindex 1: no lookup. */
    lo = rtnl_link_alloc();
    change = rtnl_link_alloc();
    if (!lo || !change) {
        nsj_error_set(err, ENOMEM, "net: rtnl_link_alloc");
        goto out;
    }
    rtnl_link_set_ifindex(lo, 1);
    rtnl_link_set_flags(change, IFF_UP);
    e = rtnl_link_change(sk, lo, change, 0);
    if (e < 0) {
        nsj_error_set(err, EPERM, "net: set lo up: %s", nl_geterror(e));
        goto out;
    }
    rc = 0;
out:
    rtnl_link_put(change);
    rtnl_link_put(lo);
    nl_socket_free(sk); /* closes nl_fd */
    return rc;
}
