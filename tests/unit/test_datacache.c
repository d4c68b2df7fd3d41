/* Unit tests: the worker's test-data cache (src/worker/datacache.c):
 * fills verified by hash, hits without fetching, LRU eviction, and several
 * processes filling the same blob at once. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/hash.h"
#include "common/util.h"
#include "worker/datacache.h"

typedef struct src {
    const char *data;
    size_t len;
    int calls;
    bool corrupt;
    unsigned slow_us;            /* between pieces */
} src_t;

static int fetch(void *ud, const char *sha, int (*sink)(void *, const void *, size_t), void *sctx, nsj_error_t *err)
{
    (void)sha;
    src_t *s = ud;
    s->calls++;
    for (size_t off = 0; off < s->len; off += 4096) {
        size_t k = s->len - off < 4096 ? s->len - off : 4096;
        char piece[4096];
        memcpy(piece, s->data + off, k);
        if (s->corrupt && off == 0)
            piece[0] ^= 1;
        if (sink(sctx, piece, k) < 0)
            return nsj_error_set(err, EIO, "sink");
        if (s->slow_us)
            usleep(s->slow_us);
    }
    return 0;
}

static char dir[] = "/tmp/nsjudge-datacache-XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    util_rm_rf(dir);
    return 0;
}

static core_blob_t blob_of(const char *data, size_t len)
{
    core_blob_t b = {.size = len};
    assert_int_equal(hash_sha256_hex(data, len, b.sha256), 0);
    return b;
}

static void read_all(int fd, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    char extra;
    assert_int_equal(read(fd, &extra, 1), 0);
}

/* Files of the cache directory: blobs, and temporary fills or a blob's
 * own lock (the shards' lock files, .lock-XX, are made once and kept). */
static void count_files(const char *d, int *blobs, int *fills)
{
    *blobs = *fills = 0;
    DIR *dd = opendir(d);
    struct dirent *e;
    while ((e = readdir(dd))) {
        if (hash_hex_valid(e->d_name))
            (*blobs)++;
        else if (strncmp(e->d_name, ".fill-", 6) == 0 || (strncmp(e->d_name, ".lock-", 6) == 0 && strlen(e->d_name) != 8))
            (*fills)++;
    }
    closedir(dd);
}

static void fill_then_hit(void **state)
{
    (void)state;
    char sub[512];
    snprintf(sub, sizeof sub, "%s/a/b/c", dir); /* made with its parents */
    datacache_t *c;
    nsj_error_t err;
    assert_int_equal(datacache_open(sub, 1 << 20, &c, &err), 0);
    static const char text[] = "21\n";
    src_t s = {.data = text, .len = 3};
    core_blob_t b = blob_of(text, 3);
    int fd;
    bool filled;
    assert_int_equal(datacache_get(c, &b, fetch, &s, &fd, &filled, &err), 0);
    assert_true(filled);
    char buf[8];
    read_all(fd, buf, 3);
    assert_memory_equal(buf, text, 3);
    close(fd);
    assert_int_equal(datacache_get(c, &b, fetch, &s, &fd, &filled, &err), 0);
    assert_false(filled);
    assert_int_equal(s.calls, 1); /* the second time from the file */
    read_all(fd, buf, 3);
    close(fd);
    /* The empty file is a blob too. */
    core_blob_t empty = blob_of("", 0);
    src_t e = {.data = "", .len = 0};
    assert_int_equal(datacache_get(c, &empty, fetch, &e, &fd, &filled, &err), 0);
    read_all(fd, buf, 0);
    close(fd);
    datacache_close(c);
}

static void corrupt_is_refused(void **state)
{
    (void)state;
    char sub[512];
    snprintf(sub, sizeof sub, "%s/b", dir);
    datacache_t *c;
    nsj_error_t err;
    assert_int_equal(datacache_open(sub, 1 << 20, &c, &err), 0);
    static const char text[] = "hello world";
    core_blob_t b = blob_of(text, 11);
    src_t s = {.data = text, .len = 11, .corrupt = true};
    int fd;
    assert_int_equal(datacache_get(c, &b, fetch, &s, &fd, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "corrupt"));
    assert_int_equal(fd, -1);
    int blobs, fills;
    count_files(sub, &blobs, &fills);
    assert_int_equal(blobs, 0);
    assert_int_equal(fills, 0);
    /* A file of the wrong size under the name is replaced by a good fill. */
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", sub, b.sha256);
    FILE *f = fopen(path, "w");
    fputs("short", f);
    fclose(f);
    s.corrupt = false;
    bool filled;
    assert_int_equal(datacache_get(c, &b, fetch, &s, &fd, &filled, &err), 0);
    assert_true(filled);
    char buf[16];
    read_all(fd, buf, 11);
    close(fd);
    core_blob_t bad = {.sha256 = "../etc/passwd", .size = 1};
    assert_int_equal(datacache_get(c, &bad, fetch, &s, &fd, NULL, &err), -1);
    datacache_close(c);
}

static void lru_eviction(void **state)
{
    (void)state;
    char sub[512];
    snprintf(sub, sizeof sub, "%s/c", dir);
    datacache_t *c;
    nsj_error_t err;
    assert_int_equal(datacache_open(sub, 10000, &c, &err), 0); /* room for 3 blobs of 3000 */
    char data[4][3000];
    core_blob_t b[4];
    src_t s[4];
    for (int i = 0; i < 4; i++) {
        memset(data[i], 'a' + i, sizeof data[i]);
        b[i] = blob_of(data[i], sizeof data[i]);
        s[i] = (src_t){.data = data[i], .len = sizeof data[i]};
    }
    int fd;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(datacache_get(c, &b[i], fetch, &s[i], &fd, NULL, &err), 0);
        close(fd);
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL); /* distinct mtimes */
    }
    /* Use 0 again: 1 is now the least recently used. */
    assert_int_equal(datacache_get(c, &b[0], fetch, &s[0], &fd, NULL, &err), 0);
    close(fd);
    struct timespec ts = {0, 20 * 1000000};
    nanosleep(&ts, NULL);
    assert_int_equal(datacache_get(c, &b[3], fetch, &s[3], &fd, NULL, &err), 0);
    close(fd);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", sub, b[1].sha256);
    assert_int_equal(access(path, F_OK), -1); /* evicted */
    for (int i = 0; i < 4; i++) {
        if (i == 1)
            continue;
        snprintf(path, sizeof path, "%s/%s", sub, b[i].sha256);
        assert_int_equal(access(path, F_OK), 0);
    }
    /* A file evicted while open stays readable through its descriptor. */
    assert_int_equal(datacache_get(c, &b[0], fetch, &s[0], &fd, NULL, &err), 0);
    snprintf(path, sizeof path, "%s/%s", sub, b[0].sha256);
    unlink(path);
    char buf[3000];
    read_all(fd, buf, sizeof buf);
    assert_memory_equal(buf, data[0], sizeof buf);
    close(fd);
    datacache_close(c);
}

/* Two handles on one directory (as two worker processes): each reads the
 * directory only when its own fills pass the 10% slack or the total it
 * knows passes the bound, so the files may pass the bound by at most a
 * slack per handle, and eviction still brings them back under it. */
static void bound_shared_by_two(void **state)
{
    (void)state;
    char sub[512];
    snprintf(sub, sizeof sub, "%s/e", dir);
    datacache_t *c[2];
    nsj_error_t err;
    for (int k = 0; k < 2; k++)
        assert_int_equal(datacache_open(sub, 10000, &c[k], &err), 0); /* slack: 1000 */
    static char data[40][1000];
    for (int i = 0; i < 40; i++) {
        memset(data[i], 'A' + i, sizeof data[i]);
        core_blob_t b = blob_of(data[i], sizeof data[i]);
        src_t s = {.data = data[i], .len = sizeof data[i]};
        int fd;
        assert_int_equal(datacache_get(c[i % 2], &b, fetch, &s, &fd, NULL, &err), 0);
        char buf[1000];
        read_all(fd, buf, sizeof buf);
        assert_memory_equal(buf, data[i], sizeof buf);
        close(fd);
        int blobs, fills;
        count_files(sub, &blobs, &fills);
        assert_int_equal(fills, 0);
        assert_true(blobs * 1000 <= 10000 + 2 * 1000);
    }
    /* Each evicted as its own fills went on: not the 40 blobs of 40000 bytes. */
    int blobs, fills;
    count_files(sub, &blobs, &fills);
    assert_true(blobs >= 9 && blobs <= 12);
    for (int k = 0; k < 2; k++)
        datacache_close(c[k]);
}

/* Four processes fill the same 2 MiB blob at once, slowly: each gets the
 * whole verified file, one of them fetched it, one copy stays, no
 * temporary or lock file is left. */
static void concurrent_processes(void **state)
{
    (void)state;
    char sub[512];
    snprintf(sub, sizeof sub, "%s/d", dir);
    size_t len = 2 << 20;
    char *data = malloc(len);
    srand(3);
    for (size_t i = 0; i < len; i++)
        data[i] = (char)(rand() & 0xff);
    core_blob_t b = blob_of(data, len);
    pid_t kids[4];
    for (int k = 0; k < 4; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            datacache_t *c;
            nsj_error_t err;
            if (datacache_open(sub, 64 << 20, &c, &err) < 0)
                _exit(10);
            src_t s = {.data = data, .len = len, .slow_us = 200};
            int fd;
            if (datacache_get(c, &b, fetch, &s, &fd, NULL, &err) < 0)
                _exit(11);
            char *buf = malloc(len);
            size_t got = 0;
            ssize_t n;
            while ((n = read(fd, buf + got, len - got)) > 0)
                got += (size_t)n;
            if (got != len || memcmp(buf, data, len) != 0)
                _exit(12);
            _exit(s.calls); /* 1: this one fetched it */
        }
    }
    int fetched = 0;
    for (int k = 0; k < 4; k++) {
        int st;
        assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
        assert_true(WIFEXITED(st));
        assert_true(WEXITSTATUS(st) <= 1);
        fetched += WEXITSTATUS(st);
    }
    assert_int_equal(fetched, 1); /* read from its source once for the host */
    int blobs, fills;
    count_files(sub, &blobs, &fills);
    assert_int_equal(blobs, 1);
    assert_int_equal(fills, 0);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fill_then_hit),
        cmocka_unit_test(corrupt_is_refused),
        cmocka_unit_test(lru_eviction),
        cmocka_unit_test(bound_shared_by_two),
        cmocka_unit_test(concurrent_processes),
    };
    return cmocka_run_group_tests_name("datacache", tests, setup, teardown);
}
