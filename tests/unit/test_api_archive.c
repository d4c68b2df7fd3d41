/* Unit tests: test data archives (src/api/archive.c), built here with
 * libarchive's writer: pairs in zip, tar and tar.gz; every refusal names
 * the entry; a zip bomb stops at the limit; random bytes and mutated
 * archives are refused cleanly (a deterministic fuzz). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "api/archive.h"
#include "common/hash.h"
#include "judge/languages.h"

enum kind { ZIP, TAR, TGZ };

typedef struct ent {
    const char *name;
    const char *data;            /* NULL: see type */
    size_t len;                  /* 0 with data: strlen */
    int type;                    /* 0 = AE_IFREG */
    const char *link;            /* symlink target, or hardlink source with type -1 */
} ent_t;

/* An archive of the entries in a memfd. */
static int make(enum kind k, const ent_t *es, size_t n)
{
    struct archive *a = archive_write_new();
    if (k == ZIP)
        archive_write_set_format_zip(a);
    else
        archive_write_set_format_pax_restricted(a);
    if (k == TGZ)
        archive_write_add_filter_gzip(a);
    int fd = memfd_create("archive", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, es[i].name);
        size_t len = es[i].data ? (es[i].len ? es[i].len : strlen(es[i].data)) : 0;
        if (es[i].type == -1) {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_hardlink(e, es[i].link);
        } else {
            archive_entry_set_filetype(e, es[i].type ? (unsigned)es[i].type : AE_IFREG);
            if (es[i].type == AE_IFLNK)
                archive_entry_set_symlink(e, es[i].link);
            if (es[i].type == AE_IFCHR)
                archive_entry_set_rdev(e, 0x0103);
            archive_entry_set_size(e, (la_int64_t)len);
        }
        archive_entry_set_perm(e, 0644);
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        if (len)
            assert_int_equal(archive_write_data(a, es[i].data, len), (la_ssize_t)len);
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    return fd;
}

static const api_archive_limits_t lim = {.max_total = 1 << 20, .max_file = 512 << 10, .max_entries = 20,
                                         .tmpdir = "/tmp"};

static void expect_refusal(int fd, unsigned status, const char *needle)
{
    api_archive_t a;
    api_error_t e;
    assert_int_equal(api_archive_read(fd, &lim, &a, &e), -1);
    if (e.status != status || !strstr(e.msg, needle))
        fail_msg("got %u '%s', want %u '%s'", e.status, e.msg, status, needle);
    assert_null(a.tests);
    close(fd);
}

static void pairs_in_every_format(void **state)
{
    (void)state;
    const ent_t es[] = {
        {"data/", NULL, 0, AE_IFDIR, NULL},
        {"data/10.in", "10\n", 0, 0, NULL},
        {"data/10.ans", "20\n", 0, 0, NULL},
        {"2.out", "4\n", 0, 0, NULL},
        {"2.in", "2\n", 0, 0, NULL},
    };
    for (int k = ZIP; k <= TGZ; k++) {
        int fd = make((enum kind)k, es, 5);
        api_archive_t a;
        api_error_t e;
        if (api_archive_read(fd, &lim, &a, &e) < 0)
            fail_msg("format %d: %u %s", k, e.status, e.msg);
        assert_int_equal(a.ntests, 2);
        char want[HASH_HEX_LEN + 1];
        hash_sha256_hex("2\n", 2, want);
        assert_string_equal(a.tests[0].input.sha256, want); /* ordered by number, not by entry */
        assert_int_equal(a.tests[0].input.size, 2);
        hash_sha256_hex("20\n", 3, want);
        assert_string_equal(a.tests[1].answer.sha256, want);
        assert_int_equal(a.tests[1].score, 1);
        char buf[8];
        assert_int_equal(read(a.fds[1][1], buf, sizeof buf), 3);
        assert_memory_equal(buf, "20\n", 3);
        api_archive_free(&a);
        close(fd);
    }
}

static void refusals(void **state)
{
    (void)state;
    const ent_t dotdot[] = {{"../1.in", "x", 0, 0, NULL}};
    expect_refusal(make(TAR, dotdot, 1), 400, "'../1.in'");
    const ent_t inner[] = {{"a/../../1.in", "x", 0, 0, NULL}};
    expect_refusal(make(ZIP, inner, 1), 400, "'a/../../1.in'");
    const ent_t abs[] = {{"/etc/1.in", "x", 0, 0, NULL}};
    expect_refusal(make(TAR, abs, 1), 400, "absolute");
    const ent_t sym[] = {{"1.in", NULL, 0, AE_IFLNK, "/etc/passwd"}};
    expect_refusal(make(TAR, sym, 1), 400, "'1.in': only regular files");
    const ent_t hard[] = {{"1.in", "x", 0, 0, NULL}, {"1.out", NULL, 0, -1, "1.in"}};
    expect_refusal(make(TAR, hard, 2), 400, "'1.out': only regular files");
    const ent_t dev[] = {{"1.in", NULL, 0, AE_IFCHR, NULL}};
    expect_refusal(make(TAR, dev, 1), 400, "'1.in': only regular files");
    const ent_t fifo[] = {{"1.in", NULL, 0, AE_IFIFO, NULL}};
    expect_refusal(make(TGZ, fifo, 1), 400, "only regular files");
    const ent_t unknown[] = {{"1.in", "x", 0, 0, NULL}, {"readme.txt", "x", 0, 0, NULL}};
    expect_refusal(make(ZIP, unknown, 2), 400, "'readme.txt': expected test files");
    const ent_t lonely[] = {{"1.in", "x", 0, 0, NULL}, {"1.out", "x", 0, 0, NULL}, {"2.in", "y", 0, 0, NULL}};
    expect_refusal(make(ZIP, lonely, 3), 400, "'2.in' has no answer");
    const ent_t orphan[] = {{"3.ans", "x", 0, 0, NULL}};
    expect_refusal(make(TAR, orphan, 1), 400, "'3.ans' has no input");
    const ent_t twice[] = {{"1.in", "x", 0, 0, NULL}, {"1.out", "x", 0, 0, NULL}, {"1.ans", "x", 0, 0, NULL}};
    expect_refusal(make(TAR, twice, 3), 400, "are the same test file");
    const ent_t none[] = {{"d/", NULL, 0, AE_IFDIR, NULL}};
    expect_refusal(make(TAR, none, 1), 400, "no test files");
    int fd = memfd_create("junk", 0);
    assert_int_equal(write(fd, "this is not an archive at all", 29), 29);
    expect_refusal(fd, 400, "not a readable");

    ent_t many[30];
    char names[30][16];
    for (int i = 0; i < 30; i++) {
        snprintf(names[i], sizeof names[i], "%d.%s", i / 2, i % 2 ? "out" : "in");
        many[i] = (ent_t){names[i], "x", 0, 0, NULL};
    }
    expect_refusal(make(ZIP, many, 30), 413, "more than 20 entries");
    char *big = malloc(600 << 10);
    memset(big, 'a', 600 << 10);
    const ent_t large[] = {{"1.in", big, 600 << 10, 0, NULL}};
    expect_refusal(make(TGZ, large, 1), 413, "'1.in' is over the 524288-byte limit");
    /* A bomb: 8 MiB of zeros, a few KiB compressed, in 400 KiB files. */
    const ent_t bomb[] = {{"1.in", big, 400 << 10, 0, NULL}, {"1.out", big, 400 << 10, 0, NULL},
                          {"2.in", big, 400 << 10, 0, NULL}, {"2.out", big, 400 << 10, 0, NULL}};
    expect_refusal(make(ZIP, bomb, 4), 413, "MAX_TEST_DATA");
    free(big);
}

/* A manifest gives order, scores and names; one file may serve two tests. */
static void manifest(void **state)
{
    (void)state;
    const ent_t es[] = {
        {"cases/big.txt", "7\n", 0, 0, NULL},
        {"cases/big.ans", "14\n", 0, 0, NULL},
        {"small", "1\n", 0, 0, NULL},
        {"two", "2\n", 0, 0, NULL},
        {"tests.json", "{\"tests\":[{\"input\":\"small\",\"answer\":\"two\",\"score\":3},"
                       "{\"input\":\"cases/big.txt\",\"answer\":\"cases/big.ans\"},"
                       "{\"input\":\"small\",\"answer\":\"two\",\"score\":0}]}", 0, 0, NULL},
    };
    for (int k = ZIP; k <= TGZ; k++) {
        int fd = make((enum kind)k, es, 5);
        api_archive_t a;
        api_error_t e;
        if (api_archive_read(fd, &lim, &a, &e) < 0)
            fail_msg("format %d: %u %s", k, e.status, e.msg);
        assert_int_equal(a.ntests, 3);
        assert_int_equal(a.tests[0].score, 3);
        assert_int_equal(a.tests[1].score, 1);
        assert_int_equal(a.tests[2].score, 0);
        char want[HASH_HEX_LEN + 1];
        hash_sha256_hex("7\n", 2, want);
        assert_string_equal(a.tests[1].input.sha256, want);
        assert_string_equal(a.tests[0].input.sha256, a.tests[2].input.sha256);
        char buf[8];
        assert_int_equal(pread(a.fds[2][1], buf, sizeof buf, 0), 2);
        assert_memory_equal(buf, "2\n", 2);
        api_archive_free(&a);
        close(fd);
    }
    static const struct {
        const char *json, *needle;
    } bad[] = {
        {"[]", "not a JSON object"},
        {"{\"tests\":[]}", "non-empty array"},
        {"{\"tests\":[{\"input\":\"small\"}]}", "needs 'input' and 'answer'"},
        {"{\"tests\":[{\"input\":\"small\",\"answer\":\"nope\"}]}", "names 'nope'"},
        {"{\"tests\":[{\"input\":\"small\",\"answer\":\"two\",\"score\":-1}]}", "'score' in tests[0]"},
        {"{\"tests\":[{\"input\":\"small\",\"answer\":\"two\",\"points\":1}]}", "unknown field 'points'"},
        {"{\"tests\":[{\"input\":\"small\",\"answer\":\"small\"}]}", "'two' is not used by tests.json"},
        {"{\"order\":1}", "unknown field 'order'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const ent_t b[] = {{"small", "1\n", 0, 0, NULL}, {"two", "2\n", 0, 0, NULL}, {"tests.json", bad[i].json, 0, 0, NULL}};
        expect_refusal(make(TAR, b, 3), 400, bad[i].needle);
    }
    /* Without a manifest, other names are refused, naming it as the way out. */
    const ent_t plain[] = {{"small", "1\n", 0, 0, NULL}};
    expect_refusal(make(TAR, plain, 1), 400, "or a tests.json");
}

/* An interactive question's tests.json: mode and the interactor, its
 * source and helper files named by path in the archive. */
static void manifest_interactor(void **state)
{
    (void)state;
    language_table_t langs;
    nsj_error_t err;
    if (languages_load(NULL, &langs, &err) < 0)
        fail_msg("%s", err.msg);
    api_archive_limits_t il = lim;
    il.program_max = 1 << 16;
    il.langs = &langs;
    const ent_t es[] = {
        {"1.in", "42\n", 0, 0, NULL},
        {"1.ans", "42\n", 0, 0, NULL},
        {"judge/interactor.cpp", "#include \"lib.h\"\nint main() { return 0; }\n", 0, 0, NULL},
        {"judge/lib.h", "// helper\n", 0, 0, NULL},
        {"tests.json", "{\"tests\":[{\"input\":\"1.in\",\"answer\":\"1.ans\"}],\"mode\":\"interactive\","
                       "\"interactor\":{\"language\":\"cpp\",\"source\":\"judge/interactor.cpp\","
                       "\"files\":[\"judge/lib.h\"]}}", 0, 0, NULL},
    };
    int fd = make(TAR, es, 5);
    api_archive_t a;
    api_error_t e;
    if (api_archive_read(fd, &il, &a, &e) < 0)
        fail_msg("%u %s", e.status, e.msg);
    assert_true(a.has_judging);
    assert_int_equal(a.judging.mode, CORE_MODE_INTERACTIVE);
    assert_string_equal(a.judging.interactor.language, "cpp");
    assert_non_null(strstr(a.judging.interactor.source, "int main()"));
    assert_int_equal(a.judging.interactor.nfiles, 1);
    assert_string_equal(a.judging.interactor.files[0].name, "lib.h");
    api_archive_free(&a);
    close(fd);
    /* Refusals name the interactor's field. */
    static const struct {
        const char *json, *needle;
    } bad[] = {
        {"{\"tests\":[{\"input\":\"1.in\",\"answer\":\"1.ans\"}],\"mode\":\"interactive\"}", "field 'interactor'"},
        {"{\"tests\":[{\"input\":\"1.in\",\"answer\":\"1.ans\"}],\"mode\":\"interactive\","
         "\"interactor\":{\"language\":\"cpp\",\"source\":\"nope.cpp\"}}", "interactor.source names 'nope.cpp'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const ent_t b[] = {{"1.in", "1\n", 0, 0, NULL}, {"1.ans", "2\n", 0, 0, NULL}, {"tests.json", bad[i].json, 0, 0, NULL}};
        int bfd = make(TAR, b, 3);
        assert_int_equal(api_archive_read(bfd, &il, &a, &e), -1);
        if (e.status != 400 || !strstr(e.msg, bad[i].needle))
            fail_msg("got %u '%s', want 400 '%s'", e.status, e.msg, bad[i].needle);
        close(bfd);
    }
    languages_free(&langs);
}

/* Random bytes and mutated archives: a clean 400 or 413 (or, for a
 * mutation that leaves the archive valid, tests), never a crash. */
static void fuzz_deterministic(void **state)
{
    (void)state;
    const ent_t es[] = {{"1.in", "21\n", 0, 0, NULL}, {"1.out", "42\n", 0, 0, NULL}};
    unsigned char base[3][4096];
    size_t blen[3];
    for (int k = ZIP; k <= TGZ; k++) {
        int fd = make((enum kind)k, es, 2);
        blen[k] = (size_t)pread(fd, base[k], sizeof base[k], 0);
        close(fd);
    }
    srand(11);
    unsigned char buf[4096];
    for (int round = 0; round < 3000; round++) {
        int k = round % 3;
        size_t len = blen[k];
        memcpy(buf, base[k], len);
        if (round % 10 == 0) {
            len = (size_t)(rand() % 512);
            for (size_t i = 0; i < len; i++)
                buf[i] = (unsigned char)rand();
        } else {
            for (int m = 1 + rand() % 4; m > 0; m--)
                buf[(size_t)rand() % len] = (unsigned char)rand();
        }
        int fd = memfd_create("fuzz", 0);
        assert_int_equal(write(fd, buf, len), (ssize_t)len);
        api_archive_t a;
        api_error_t e;
        if (api_archive_read(fd, &lim, &a, &e) == 0) {
            assert_true(a.ntests >= 1);
            api_archive_free(&a);
        } else {
            assert_true(e.status == 400 || e.status == 413);
        }
        close(fd);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pairs_in_every_format),
        cmocka_unit_test(refusals),
        cmocka_unit_test(manifest),
        cmocka_unit_test(manifest_interactor),
        cmocka_unit_test(fuzz_deterministic),
    };
    return cmocka_run_group_tests_name("api_archive", tests, NULL, NULL);
}
