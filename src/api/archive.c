#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/archive.h"
#include "common/hash.h"
#include "common/util.h"

#define BLOCK (64 * 1024)

typedef struct file {
    uint64_t n;                  /* the test's number */
    int role;                    /* 0 input, 1 answer */
    char name[128];
    core_blob_t blob;
    int fd;
} file_t;

/* Is the entry name safe: relative, no ".." component, not empty? */
static bool name_safe(const char *p)
{
    if (!p || !*p || p[0] == '/')
        return false;
    for (const char *s = p; *s;) {
        size_t len = strcspn(s, "/");
        if (len == 2 && s[0] == '.' && s[1] == '.')
            return false;
        s += len;
        while (*s == '/')
            s++;
    }
    return true;
}

/* "7.in" -> 7, role 0; "7.out" or "7.ans" -> role 1; else -1. */
static int test_name(const char *path, uint64_t *n, int *role)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t digits = strspn(base, "0123456789");
    if (digits == 0 || digits > 9)
        return -1;
    const char *ext = base + digits;
    if (strcmp(ext, ".in") == 0)
        *role = 0;
    else if (strcmp(ext, ".out") == 0 || strcmp(ext, ".ans") == 0)
        *role = 1;
    else
        return -1;
    *n = strtoull(base, NULL, 10);
    return 0;
}

static int cmp_files(const void *a, const void *b)
{
    const file_t *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    return x->role - y->role;
}

/* Copy the entry's data to a new temporary file while hashing it. */
static int spool(struct archive *ar, const api_archive_limits_t *lim, const char *name, uint64_t *total, file_t *f,
                 char *buf, api_error_t *e)
{
    f->fd = open(lim->tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (f->fd < 0)
        return api_reject(e, 503, "test data: temporary file in %.100s: %s", lim->tmpdir, strerror(errno));
    hash_sha256_t h;
    if (hash_sha256_init(&h) < 0)
        return api_reject(e, 503, "out of memory");
    uint64_t size = 0;
    int rc = 0;
    for (;;) {
        la_ssize_t n = archive_read_data(ar, buf, BLOCK);
        if (n == 0)
            break;
        if (n < 0) {
            rc = api_reject(e, 400, "archive entry '%.100s': %.120s", name, archive_error_string(ar));
            break;
        }
        size += (uint64_t)n;
        *total += (uint64_t)n;
        if (size > lim->max_file) {
            rc = api_reject(e, 413, "archive entry '%.100s' is over the %llu-byte limit of a test file (MAX_TEST_FILE)",
                            name, (unsigned long long)lim->max_file);
            break;
        }
        if (*total > lim->max_total) {
            rc = api_reject(e, 413, "the archive expands to more than the %llu-byte limit of a question's test data"
                            " (MAX_TEST_DATA)", (unsigned long long)lim->max_total);
            break;
        }
        if (util_write_all(f->fd, buf, (size_t)n) < 0) {
            rc = api_reject(e, 503, "test data: writing a temporary file: %s", strerror(errno));
            break;
        }
        hash_sha256_update(&h, buf, (size_t)n);
    }
    char hex[HASH_HEX_LEN + 1];
    if (hash_sha256_final(&h, hex) < 0 && rc == 0)
        rc = api_reject(e, 503, "out of memory");
    if (rc < 0)
        return -1;
    memcpy(f->blob.sha256, hex, sizeof hex);
    f->blob.size = size;
    if (lseek(f->fd, 0, SEEK_SET) < 0)
        return api_reject(e, 503, "test data: seek: %s", strerror(errno));
    return 0;
}

static int read_entries(struct archive *ar, const api_archive_limits_t *lim, file_t **files, size_t *nfiles,
                        api_error_t *e)
{
    char *buf = malloc(BLOCK);
    if (!buf)
        return api_reject(e, 503, "out of memory");
    uint64_t total = 0;
    size_t entries = 0, cap = 0;
    int rc = 0;
    struct archive_entry *ent;
    for (;;) {
        int r = archive_read_next_header(ar, &ent);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            rc = api_reject(e, 400, "not a readable zip, tar or tar.gz archive: %.150s",
                            archive_error_string(ar) ? archive_error_string(ar) : "unknown format");
            break;
        }
        const char *name = archive_entry_pathname(ent);
        if (++entries > lim->max_entries) {
            rc = api_reject(e, 413, "the archive has more than %zu entries", lim->max_entries);
            break;
        }
        if (!name_safe(name)) {
            rc = api_reject(e, 400, "archive entry '%.100s': absolute names and '..' are not allowed",
                            name ? name : "");
            break;
        }
        mode_t type = archive_entry_filetype(ent);
        if (type == AE_IFDIR)
            continue;
        if (type != AE_IFREG || archive_entry_hardlink(ent) || archive_entry_symlink(ent)) {
            rc = api_reject(e, 400, "archive entry '%.100s': only regular files are allowed (no links, devices"
                                    " or other special files)", name);
            break;
        }
        uint64_t n;
        int role;
        if (test_name(name, &n, &role) < 0) {
            rc = api_reject(e, 400, "archive entry '%.100s': expected test files named N.in and N.out (or N.ans)",
                            name);
            break;
        }
        if (*nfiles == cap) {
            file_t *nf = realloc(*files, (cap = cap ? cap * 2 : 32) * sizeof **files);
            if (!nf) {
                rc = api_reject(e, 503, "out of memory");
                break;
            }
            *files = nf;
        }
        file_t *f = &(*files)[(*nfiles)++];
        *f = (file_t){.n = n, .role = role, .fd = -1};
        snprintf(f->name, sizeof f->name, "%s", name);
        if (spool(ar, lim, name, &total, f, buf, e) < 0) {
            rc = -1;
            break;
        }
    }
    free(buf);
    return rc;
}

int api_archive_read(int fd, const api_archive_limits_t *lim, api_archive_t *out, api_error_t *e)
{
    memset(out, 0, sizeof *out);
    struct archive *ar = archive_read_new();
    if (!ar)
        return api_reject(e, 503, "out of memory");
    archive_read_support_format_zip(ar);
    archive_read_support_format_tar(ar);
    archive_read_support_filter_gzip(ar);
    file_t *files = NULL;
    size_t nfiles = 0;
    int rc;
    if (lseek(fd, 0, SEEK_SET) < 0 || archive_read_open_fd(ar, fd, BLOCK) != ARCHIVE_OK)
        rc = api_reject(e, 400, "not a readable zip, tar or tar.gz archive: %.150s",
                        archive_error_string(ar) ? archive_error_string(ar) : "unknown format");
    else
        rc = read_entries(ar, lim, &files, &nfiles, e);
    archive_read_free(ar);
    if (rc == 0 && nfiles == 0)
        rc = api_reject(e, 400, "the archive has no test files (N.in with N.out or N.ans)");
    if (rc == 0) {
        qsort(files, nfiles, sizeof *files, cmp_files);
        size_t ntests = 0;
        for (size_t i = 0; rc == 0 && i < nfiles; i++) {
            if (i + 1 < nfiles && files[i + 1].n == files[i].n && files[i + 1].role == files[i].role)
                rc = api_reject(e, 400, "archive entries '%.100s' and '%.100s' are the same test file", files[i].name,
                                files[i + 1].name);
            else if (files[i].role == 0 && !(i + 1 < nfiles && files[i + 1].n == files[i].n))
                rc = api_reject(e, 400, "archive entry '%.100s' has no answer (%llu.out or %llu.ans)", files[i].name,
                                (unsigned long long)files[i].n, (unsigned long long)files[i].n);
            else if (files[i].role == 1 && !(i > 0 && files[i - 1].n == files[i].n && files[i - 1].role == 0))
                rc = api_reject(e, 400, "archive entry '%.100s' has no input (%llu.in)", files[i].name,
                                (unsigned long long)files[i].n);
            else if (files[i].role == 0)
                ntests++;
        }
        if (rc == 0) {
            out->tests = calloc(ntests, sizeof *out->tests);
            out->fds = calloc(ntests, sizeof *out->fds);
            if (!out->tests || !out->fds)
                rc = api_reject(e, 503, "out of memory");
        }
        for (size_t i = 0; rc == 0 && i + 1 < nfiles; i += 2) {
            core_test_t *t = &out->tests[out->ntests];
            t->score = 1;
            t->input = files[i].blob;
            t->answer = files[i + 1].blob;
            out->fds[out->ntests][0] = files[i].fd;
            out->fds[out->ntests][1] = files[i + 1].fd;
            files[i].fd = files[i + 1].fd = -1;
            out->ntests++;
        }
    }
    for (size_t i = 0; i < nfiles; i++)
        if (files[i].fd >= 0)
            close(files[i].fd);
    free(files);
    if (rc < 0)
        api_archive_free(out);
    return rc;
}

void api_archive_free(api_archive_t *a)
{
    for (size_t i = 0; a->fds && i < a->ntests; i++) {
        close(a->fds[i][0]);
        close(a->fds[i][1]);
    }
    free(a->fds);
    core_tests_free(a->tests, a->ntests);
    memset(a, 0, sizeof *a);
}
