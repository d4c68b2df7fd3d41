/* Unit tests: the supervisor's end of the sandbox's sync socket. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "sandbox/run.h"

/* Init failed (say, chdir into a rootfs it may not enter), sent SYNC_ERROR
 * and died while the supervisor's sync 3 sat unread in its socket. The
 * kernel then marks the supervisor's end ECONNRESET, and the first read
 * reports that instead of the queued message. The message still arrives,
 * then EOF. (A run lost its reason this way: "sandbox init ended without
 * reporting the program's status".) */
static void error_survives_reset(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    child_err_t ce = {.err = EACCES};
    snprintf(ce.text, sizeof ce.text, "chdir /rootfs");
    assert_int_equal(sync_send(sv[1], SYNC_ERROR, 0, &ce, NULL, 0), 0); /* init's report */
    assert_int_equal(sync_send(sv[0], SYNC_NET_READY, 0, NULL, NULL, 0), 0); /* sync 3, never read */
    close(sv[1]);                                                            /* init is gone */

    sync_msg_t m;
    int fds[2];
    ssize_t n = sync_recv(sv[0], &m, fds, NULL);
    assert_int_equal(n, (ssize_t)sizeof m);
    assert_int_equal(m.type, SYNC_ERROR);
    assert_int_equal(m.ce.err, EACCES);
    assert_string_equal(m.ce.text, "chdir /rootfs");
    assert_int_equal(fds[0], -1);
    assert_int_equal(sync_recv(sv[0], &m, fds, NULL), 0); /* then EOF */
    close(sv[0]);
}

/* A datagram that is not a sync message: -1 with errno set (EPROTO), so
 * the caller does not act on a stale errno. */
static void short_message_is_eproto(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal(write(sv[1], "x", 1), 1);
    sync_msg_t m;
    errno = EAGAIN;
    assert_int_equal(sync_recv(sv[0], &m, NULL, NULL), -1);
    assert_int_equal(errno, EPROTO);
    close(sv[0]), close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(error_survives_reset),
        cmocka_unit_test(short_message_is_eproto),
    };
    return cmocka_run_group_tests_name("sandbox sync socket", tests, NULL, NULL);
}
