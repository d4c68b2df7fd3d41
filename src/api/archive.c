#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
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

#define MANIFEST "tests.json"
#define MANIFEST_MAX (1 << 20)

typedef struct file {
    bool numbered;               /* named N.in, N.out or N.ans: */
    uint64_t n;                  /* the test's number */
    int role;                    /* 0 input, 1 answer */
    char name[256];
    core_blob_t blob;
    int fd;
    bool used;                   /* by the manifest */
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

/* The manifest's bytes, whole (it is small). */
static int read_manifest(struct archive *ar, char **manifest, size_t *len, api_error_t *e)
{
    if (*manifest)
        return api_reject(e, 400, "the archive has two " MANIFEST);
    size_t cap = 4096, n = 0;
    char *m = malloc(cap);
    for (;;) {
        if (!m)
            return api_reject(e, 503, "out of memory");
        la_ssize_t k = archive_read_data(ar, m + n, cap - n - 1);
        if (k < 0) {
            free(m);
            return api_reject(e, 400, "archive entry '" MANIFEST "': %.120s", archive_error_string(ar));
        }
        if (k == 0)
            break;
        n += (size_t)k;
        if (n > MANIFEST_MAX) {
            free(m);
            return api_reject(e, 413, MANIFEST " is over %d bytes", MANIFEST_MAX);
        }
        if (n + 1 == cap) {
            char *nm = realloc(m, cap *= 2);
            if (!nm)
                free(m);
            m = nm;
        }
    }
    m[n] = '\0';
    *manifest = m;
    *len = n;
    return 0;
}

static int read_entries(struct archive *ar, const api_archive_limits_t *lim, file_t **files, size_t *nfiles,
                        char **manifest, size_t *manifest_len, api_error_t *e)
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
        if (strcmp(name, MANIFEST) == 0) {
            if (read_manifest(ar, manifest, manifest_len, e) < 0) {
                rc = -1;
                break;
            }
            continue;
        }
        if (strlen(name) >= sizeof(*files)->name) {
            rc = api_reject(e, 400, "archive entry '%.100s...': names are at most %zu bytes", name,
                            sizeof(*files)->name - 1);
            break;
        }
        uint64_t n = 0;
        int role = 0;
        bool numbered = test_name(name, &n, &role) == 0;
        if (*nfiles == cap) {
            file_t *nf = realloc(*files, (cap = cap ? cap * 2 : 32) * sizeof **files);
            if (!nf) {
                rc = api_reject(e, 503, "out of memory");
                break;
            }
            *files = nf;
        }
        file_t *f = &(*files)[(*nfiles)++];
        *f = (file_t){.numbered = numbered, .n = n, .role = role, .fd = -1};
        snprintf(f->name, sizeof f->name, "%s", name);
        if (spool(ar, lim, name, &total, f, buf, e) < 0) {
            rc = -1;
            break;
        }
    }
    free(buf);
    return rc;
}

static file_t *find(file_t *files, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(files[i].name, name) == 0)
            return &files[i];
    return NULL;
}

/* A file's bytes as a JSON string (at most max bytes), or NULL with e. */
static json_t *file_text(file_t *f, size_t max, api_error_t *e)
{
    if (f->blob.size > max) {
        api_reject(e, 413, MANIFEST ": the checker's files are over %zu bytes", max);
        return NULL;
    }
    char *buf = malloc(f->blob.size + 1);
    size_t off = 0;
    while (buf && off < f->blob.size) {
        ssize_t n = pread(f->fd, buf + off, f->blob.size - off, (off_t)off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    json_t *str = buf && off == f->blob.size ? json_stringn(buf, off) : NULL;
    free(buf);
    if (!str)
        api_reject(e, 400, MANIFEST ": the checker's file '%.100s' is not readable UTF-8 text", f->name);
    f->used = true;
    return str;
}

/* A helper program of the manifest (field: "checker" or "interactor") as
 * a question body has it: its "source" and "files" name files of the
 * archive, read here into body[field]. */
static int program(const json_t *c, const char *field, json_t *body, file_t *files, size_t nfiles,
                   const api_archive_limits_t *lim, api_error_t *e)
{
    json_t *cc = json_deep_copy(c), *fo = json_object();
    const json_t *fl = json_object_get(c, "files");
    if (!cc || !fo) {
        json_decref(cc);
        json_decref(fo);
        return api_reject(e, 503, "out of memory");
    }
    json_object_set_new(body, field, cc);
    json_object_set_new(cc, "files", fo);
    const char *src = json_string_value(json_object_get(c, "source"));
    file_t *f = find(files, nfiles, src);
    if (!f)
        return api_reject(e, 400, MANIFEST ": %s.source names '%.100s', which is not a file of the archive", field,
                          src);
    json_t *text = file_text(f, lim->program_max, e);
    if (!text)
        return -1;
    json_object_set_new(cc, "source", text);
    if (fl && !json_is_array(fl))
        return api_reject(e, 400, MANIFEST ": %s.files must be an array of file names of the archive", field);
    for (size_t i = 0; i < json_array_size(fl); i++) {
        const char *name = json_string_value(json_array_get(fl, i));
        file_t *g = name ? find(files, nfiles, name) : NULL;
        if (!g)
            return api_reject(e, 400, MANIFEST ": %s.files[%zu] is not a file of the archive", field, i);
        const char *base = strrchr(name, '/');
        if (!(text = file_text(g, lim->program_max, e)))
            return -1;
        json_object_set_new(fo, base ? base + 1 : name, text);
    }
    return 0;
}

/* The manifest's checker, subtasks, run_all_tests, mode and interactor as
 * a question body has them (core/judging.h); a custom checker's and an
 * interactor's "source" and "files" name files of the archive. */
static int judging(const json_t *root, size_t ntests, file_t *files, size_t nfiles, const api_archive_limits_t *lim,
                   api_archive_t *out, api_error_t *e)
{
    json_t *body = json_object();
    int rc = -1;
    if (!body)
        return api_reject(e, 503, "out of memory");
    static const char *const programs[] = {"checker", "interactor"};
    for (size_t k = 0; k < 2; k++) {
        const json_t *c = json_object_get(root, programs[k]);
        if (c && json_is_object(c) && json_is_string(json_object_get(c, "source"))) {
            if (program(c, programs[k], body, files, nfiles, lim, e) < 0)
                goto out;
        } else if (c) {
            json_object_set(body, programs[k], (json_t *)c);
        }
    }
    static const char *const plain[] = {"subtasks", "run_all_tests", "mode"};
    for (size_t k = 0; k < 3; k++)
        if (json_object_get(root, plain[k]))
            json_object_set(body, plain[k], json_object_get(root, plain[k]));
    api_limits_t al = {.program_max = lim->program_max};
    rc = api_parse_judging(body, ntests, false, &al, lim->langs, &out->judging, e);
    out->has_judging = rc == 0;
out:
    json_decref(body);
    return rc;
}

/* The tests as tests.json lists them: {"tests": [{"input", "answer",
 * "score"?}], "checker"?, "subtasks"?, "run_all_tests"?, "mode"?, "interactor"?}, names as in the
 * archive; every file must be used. */
static int from_manifest(const char *text, size_t len, file_t *files, size_t nfiles, const api_archive_limits_t *lim,
                         api_archive_t *out, api_error_t *e)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    int rc = -1;
    const char *key;
    json_t *v;
    if (!json_is_object(root)) {
        api_reject(e, 400, MANIFEST ": not a JSON object (%.100s)", root ? "" : jerr.text);
        goto out;
    }
    json_object_foreach(root, key, v) {
        if (strcmp(key, "tests") && strcmp(key, "checker") && strcmp(key, "subtasks") && strcmp(key, "run_all_tests") &&
            strcmp(key, "mode") && strcmp(key, "interactor")) {
            api_reject(e, 400, MANIFEST ": unknown field '%.64s'", key);
            goto out;
        }
    }
    const json_t *tests = json_object_get(root, "tests");
    size_t n = json_array_size(tests);
    if (!json_is_array(tests) || n == 0) {
        api_reject(e, 400, MANIFEST ": 'tests' must be a non-empty array");
        goto out;
    }
    out->tests = calloc(n, sizeof *out->tests);
    out->fds = calloc(n, sizeof *out->fds);
    if (!out->tests || !out->fds) {
        api_reject(e, 503, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *t = json_array_get(tests, i);
        if (!json_is_object(t)) {
            api_reject(e, 400, MANIFEST ": tests[%zu] must be an object", i);
            goto out;
        }
        json_object_foreach((json_t *)t, key, v) {
            if (strcmp(key, "input") && strcmp(key, "answer") && strcmp(key, "score")) {
                api_reject(e, 400, MANIFEST ": unknown field '%.64s' in tests[%zu]", key, i);
                goto out;
            }
        }
        const char *in = json_string_value(json_object_get(t, "input")),
                   *ans = json_string_value(json_object_get(t, "answer"));
        const json_t *score = json_object_get(t, "score");
        if (!in || !ans) {
            api_reject(e, 400, MANIFEST ": tests[%zu] needs 'input' and 'answer' (file names)", i);
            goto out;
        }
        if (score && (!json_is_integer(score) || json_integer_value(score) < 0 ||
                      json_integer_value(score) > API_SCORE_MAX)) {
            api_reject(e, 400, MANIFEST ": 'score' in tests[%zu] must be an integer from 0 to %d", i, API_SCORE_MAX);
            goto out;
        }
        file_t *fi = find(files, nfiles, in), *fa = find(files, nfiles, ans);
        if (!fi || !fa) {
            api_reject(e, 400, MANIFEST ": tests[%zu] names '%.100s', which is not a file of the archive", i,
                       fi ? ans : in);
            goto out;
        }
        core_test_t *ct = &out->tests[i];
        ct->score = score ? (int64_t)json_integer_value(score) : 1;
        ct->input = fi->blob;
        ct->answer = fa->blob;
        /* A file may serve several tests: each gets its own descriptor. */
        out->fds[i][0] = dup(fi->fd);
        out->fds[i][1] = dup(fa->fd);
        out->ntests = i + 1;
        if (out->fds[i][0] < 0 || out->fds[i][1] < 0) {
            api_reject(e, 503, "test data: dup: %s", strerror(errno));
            goto out;
        }
        fi->used = fa->used = true;
    }
    if ((json_object_get(root, "checker") || json_object_get(root, "subtasks") ||
         json_object_get(root, "run_all_tests") || json_object_get(root, "mode") ||
         json_object_get(root, "interactor")) &&
        judging(root, n, files, nfiles, lim, out, e) < 0)
        goto out;
    for (size_t i = 0; i < nfiles; i++) {
        if (!files[i].used) {
            api_reject(e, 400, "archive entry '%.100s' is not used by " MANIFEST, files[i].name);
            goto out;
        }
    }
    rc = 0;
out:
    json_decref(root);
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
    size_t nfiles = 0, manifest_len = 0;
    char *manifest = NULL;
    int rc;
    if (lseek(fd, 0, SEEK_SET) < 0 || archive_read_open_fd(ar, fd, BLOCK) != ARCHIVE_OK)
        rc = api_reject(e, 400, "not a readable zip, tar or tar.gz archive: %.150s",
                        archive_error_string(ar) ? archive_error_string(ar) : "unknown format");
    else
        rc = read_entries(ar, lim, &files, &nfiles, &manifest, &manifest_len, e);
    archive_read_free(ar);
    if (rc == 0 && nfiles == 0)
        rc = api_reject(e, 400, "the archive has no test files (N.in with N.out or N.ans)");
    if (rc == 0 && manifest) {
        rc = from_manifest(manifest, manifest_len, files, nfiles, lim, out, e);
    } else if (rc == 0) {
        for (size_t i = 0; rc == 0 && i < nfiles; i++)
            if (!files[i].numbered)
                rc = api_reject(e, 400, "archive entry '%.100s': expected test files named N.in and N.out (or N.ans),"
                                        " or a " MANIFEST " naming them", files[i].name);
    }
    if (rc == 0 && !manifest) {
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
    free(manifest);
    if (rc < 0)
        api_archive_free(out);
    return rc;
}

void api_archive_free(api_archive_t *a)
{
    for (size_t i = 0; a->fds && i < a->ntests; i++) {
        if (a->fds[i][0] >= 0)
            close(a->fds[i][0]);
        if (a->fds[i][1] >= 0)
            close(a->fds[i][1]);
    }
    free(a->fds);
    core_tests_free(a->tests, a->ntests);
    core_judging_free(&a->judging);
    memset(a, 0, sizeof *a);
}
