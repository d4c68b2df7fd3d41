/* Unit tests: size, time and fraction parsing; key/value lookup. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

static void sizes(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(util_parse_size("256", &v), 0), assert_int_equal(v, 256);
    assert_int_equal(util_parse_size("64k", &v), 0), assert_int_equal(v, 64 << 10);
    assert_int_equal(util_parse_size("256m", &v), 0), assert_int_equal(v, 256 << 20);
    assert_int_equal(util_parse_size("1G", &v), 0), assert_int_equal(v, 1ULL << 30);
    assert_int_equal(util_parse_size("1.5m", &v), 0), assert_int_equal(v, 1536 << 10);
    assert_int_equal(util_parse_size("2MB", &v), 0), assert_int_equal(v, 2 << 20);
    static const char *const bad[] = {"", "m", "-1", "1x", "1mm", "1.m", " 1", "99999999999999999999",
                                      "20000000000000g"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(util_parse_size(bad[i], &v), -1);
}

static void seconds(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(util_parse_seconds_ms("5", &v), 0), assert_int_equal(v, 5000);
    assert_int_equal(util_parse_seconds_ms("0.5", &v), 0), assert_int_equal(v, 500);
    assert_int_equal(util_parse_seconds_ms("1.25s", &v), 0), assert_int_equal(v, 1250);
    assert_int_equal(util_parse_seconds_ms("0.0005", &v), 0), assert_int_equal(v, 0);
    static const char *const bad[] = {"", "-1", "1e3", "abc", "1,5", "999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(util_parse_seconds_ms(bad[i], &v), -1);
}

static void fractions(void **state)
{
    (void)state;
    uint32_t v;
    assert_int_equal(util_parse_millis("0.5", &v), 0), assert_int_equal(v, 500);
    assert_int_equal(util_parse_millis("2", &v), 0), assert_int_equal(v, 2000);
    assert_int_equal(util_parse_millis("0", &v), 0), assert_int_equal(v, 0);
    assert_int_equal(util_parse_millis("half", &v), -1);
    assert_int_equal(util_parse_millis("5000", &v), -1);
}

static void integers(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(util_parse_u64("32", 100, &v), 0), assert_int_equal(v, 32);
    assert_int_equal(util_parse_u64("101", 100, &v), -1);
    assert_int_equal(util_parse_u64("-1", 100, &v), -1);
    assert_int_equal(util_parse_u64("3x", 100, &v), -1);
}

static void key_values(void **state)
{
    (void)state;
    const char *text = "low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\n";
    uint64_t v;
    assert_int_equal(util_kv_u64(text, "oom_kill", &v), 0), assert_int_equal(v, 1);
    assert_int_equal(util_kv_u64(text, "oom", &v), 0), assert_int_equal(v, 2);
    assert_int_equal(util_kv_u64(text, "max", &v), 0), assert_int_equal(v, 3);
    assert_int_equal(util_kv_u64(text, "missing", &v), -1);
}

/* A compiler's artefacts copied (worker/progcache.c): files with their
 * execute bit, directories, no symlinks. */
/* FNV-1a's published 64-bit vectors, and going on from an earlier result. */
static void fnv1a(void **state)
{
    (void)state;
    assert_true(util_fnv1a(UTIL_FNV1A_BASIS, "", 0) == 0xcbf29ce484222325ULL);
    assert_true(util_fnv1a(UTIL_FNV1A_BASIS, "a", 1) == 0xaf63dc4c8601ec8cULL);
    assert_true(util_fnv1a(UTIL_FNV1A_BASIS, "foobar", 6) == 0x85944171f73967e8ULL);
    assert_true(util_fnv1a(util_fnv1a(UTIL_FNV1A_BASIS, "foo", 3), "bar", 3) == 0x85944171f73967e8ULL);
}

/* A kept file (a cgroup's) is written and read again through one fd:
 * each write lands at 0, each read starts at 0, wherever the fd is. */
static void kept_fd(void **state)
{
    (void)state;
    char path[] = "/tmp/nsj-util-XXXXXX", buf[64];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    nsj_error_t err;
    assert_int_equal(util_write_fd(fd, "x", "123456", &err), 0);
    assert_int_equal(util_pread_all(fd, buf, sizeof buf), 6);
    assert_string_equal(buf, "123456");
    assert_int_equal(ftruncate(fd, 0), 0);
    assert_int_equal(util_write_fd(fd, "x", "78", &err), 0);
    assert_true(lseek(fd, 0, SEEK_END) == 2);
    assert_int_equal(util_pread_all(fd, buf, sizeof buf), 2);
    assert_string_equal(buf, "78");
    assert_int_equal(util_pread_all(fd, buf, 2), 1); /* cap - 1 bytes, terminated */
    assert_string_equal(buf, "7");
    close(fd);
    assert_int_equal(util_write_fd(fd, "closed", "1", &err), -1);
    assert_int_equal(err.errnum, EBADF);
    assert_true(util_pread_all(fd, buf, sizeof buf) < 0);
}

static void copy_tree(void **state)
{
    (void)state;
    char src[] = "/tmp/nsjudge-test-copy-src-XXXXXX", dst[] = "/tmp/nsjudge-test-copy-dst-XXXXXX", path[256];
    assert_non_null(mkdtemp(src));
    assert_non_null(mkdtemp(dst));
    snprintf(path, sizeof path, "%s/main", src);
    int fd = open(path, O_WRONLY | O_CREAT, 0700);
    static char big[200000]; /* several read buffers' worth */
    memset(big, 'x', sizeof big);
    assert_int_equal(write(fd, big, sizeof big), (ssize_t)sizeof big);
    close(fd);
    snprintf(path, sizeof path, "%s/pkg", src);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/pkg/A.class", src);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    assert_int_equal(write(fd, "cafe", 4), 4);
    close(fd);
    snprintf(path, sizeof path, "%s/link", src);
    assert_int_equal(symlink("/etc/passwd", path), 0);
    int s = open(src, O_RDONLY | O_DIRECTORY), d = open(dst, O_RDONLY | O_DIRECTORY);
    nsj_error_t err;
    assert_int_equal(util_copy_tree(s, d, &err), 0);
    close(s);
    close(d);
    struct stat st;
    snprintf(path, sizeof path, "%s/main", dst);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0755);
    assert_int_equal(st.st_size, sizeof big);
    snprintf(path, sizeof path, "%s/pkg/A.class", dst);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    snprintf(path, sizeof path, "%s/pkg", dst);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0755);
    snprintf(path, sizeof path, "%s/link", dst);
    assert_int_equal(lstat(path, &st), -1);
    assert_int_equal(util_rm_rf(src), 0);
    assert_int_equal(util_rm_rf(dst), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sizes), cmocka_unit_test(seconds), cmocka_unit_test(fractions),
        cmocka_unit_test(integers), cmocka_unit_test(key_values), cmocka_unit_test(fnv1a), cmocka_unit_test(kept_fd),
        cmocka_unit_test(copy_tree),
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
