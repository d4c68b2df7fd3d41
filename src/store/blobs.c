/* Blobs: test data stored once by its SHA-256, in chunks of at most
 * STORE_BLOB_CHUNK bytes (sql/004_blobs.sql says why chunks of bytea).
 * Writing a blob that is there already changes nothing (ON CONFLICT), so
 * two writers of the same bytes at once both succeed and one copy is kept;
 * readers get one chunk at a time in binary form. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hash.h"
#include "internal.h"

static int insert_head(store_t *s, const char *sha, uint64_t size, bool *inserted, nsj_error_t *err)
{
    char sz[24];
    snprintf(sz, sizeof sz, "%" PRIu64, size);
    const char *p[] = {sha, sz};
    PGresult *r = store_exec(s, "INSERT INTO blobs (sha256, size) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1", 2,
                             p, err);
    if (!r)
        return -1;
    *inserted = PQntuples(r) > 0;
    PQclear(r);
    return 0;
}

static int insert_chunk(store_t *s, const char *sha, int n, const char *data, size_t len, nsj_error_t *err)
{
    char num[16];
    snprintf(num, sizeof num, "%d", n);
    const char *p[] = {sha, num, data};
    int lens[] = {0, 0, (int)len}, fmts[] = {0, 0, 1};
    PGresult *r = store_exec_binary(s, "INSERT INTO blob_chunks (sha256, n, data) VALUES ($1, $2, $3)", 3, p, lens,
                                    fmts, 0, err);
    if (!r)
        return nsj_error_wrap(err, "storing a chunk of blob %.16s", sha);
    PQclear(r);
    return 0;
}

static int put_mem(store_t *s, const char *data, size_t len, core_blob_t *out, nsj_error_t *err)
{
    if (hash_sha256_hex(data, len, out->sha256) < 0)
        return nsj_error_set(err, ENOMEM, "sha256");
    out->size = len;
    bool inserted;
    if (insert_head(s, out->sha256, len, &inserted, err) < 0)
        return -1;
    for (size_t off = 0, n = 0; inserted && (off < len || n == 0); n++) {
        size_t k = len - off < STORE_BLOB_CHUNK ? len - off : STORE_BLOB_CHUNK;
        if (insert_chunk(s, out->sha256, (int)n, data + off, k, err) < 0)
            return -1;
        off += k;
    }
    return 0;
}

static int put_fd(store_t *s, int fd, const core_blob_t *blob, nsj_error_t *err)
{
    bool inserted;
    if (insert_head(s, blob->sha256, blob->size, &inserted, err) < 0)
        return -1;
    if (!inserted)
        return 0;
    char *buf = malloc(STORE_BLOB_CHUNK);
    if (!buf)
        return nsj_error_set(err, ENOMEM, "blob buffer");
    uint64_t off = 0;
    int rc = 0;
    for (int n = 0; rc == 0 && (off < blob->size || n == 0); n++) {
        size_t want = blob->size - off < STORE_BLOB_CHUNK ? (size_t)(blob->size - off) : STORE_BLOB_CHUNK, got = 0;
        while (got < want) {
            ssize_t k = pread(fd, buf + got, want - got, (off_t)(off + got));
            if (k <= 0) {
                rc = nsj_error_set(err, k < 0 ? errno : EIO, "reading blob %.16s", blob->sha256);
                break;
            }
            got += (size_t)k;
        }
        if (rc == 0)
            rc = insert_chunk(s, blob->sha256, n, buf, want, err);
        off += want;
    }
    free(buf);
    return rc;
}

int store_blob_read(store_t *s, const char *sha, int (*sink)(void *ud, const void *data, size_t len), void *ud,
                    uint64_t *size, nsj_error_t *err)
{
    *size = 0;
    for (int n = 0;; n++) {
        char num[16];
        snprintf(num, sizeof num, "%d", n);
        const char *p[] = {sha, num};
        /* Binary results: bytea arrives as its bytes, not as hex text. */
        PGresult *r = store_exec_binary(s, "SELECT data FROM blob_chunks WHERE sha256 = $1 AND n = $2", 2, p, NULL,
                                        NULL, 1, err);
        if (!r)
            return nsj_error_wrap(err, "reading blob %.16s", sha);
        if (PQntuples(r) == 0) {
            PQclear(r);
            if (n == 0) {
                snprintf(err->msg, sizeof err->msg, "blob %s not found", sha);
                err->errnum = ENOENT;
                return -1;
            }
            return 0;
        }
        size_t len = (size_t)PQgetlength(r, 0, 0);
        int rc = sink(ud, PQgetvalue(r, 0, 0), len);
        PQclear(r);
        if (rc < 0)
            return nsj_error_set(err, EIO, "blob %.16s: writing what was read", sha);
        *size += len;
        if (rc > 0)
            return 0;
    }
}

/* A blob is whole or absent: its head and chunks commit together, in the
 * caller's transaction or in one of their own. */
static bool own_transaction(store_t *s)
{
    return !store_broken(s) && PQtransactionStatus(s->conn) == PQTRANS_IDLE;
}

/* A batch of store_blobs_put_mem: rows per statement (3 parameters a row at
 * most, well under libpq's 65535) and bytes of chunks per statement. */
#define PUT_ROWS 1000
#define PUT_BYTES (16u << 20)

static int put_oom(nsj_error_t *err)
{
    return nsj_error_set(err, ENOMEM, "postgres: out of memory");
}

/* Heads of items[from..to) in one statement; todo[i] set for one item per
 * blob that was not stored yet (its chunks are to be written). */
static int put_heads(store_t *s, store_mem_t *items, size_t from, size_t to, bool *todo, nsj_error_t *err)
{
    size_t rows = to - from;
    const char **p = calloc(2 * rows, sizeof *p);
    char(*sz)[24] = calloc(rows, sizeof *sz);
    util_sbuf_t sql = {0};
    int rc = -1;
    if (!p || !sz) {
        rc = put_oom(err);
        goto out;
    }
    util_sb_add(&sql, "INSERT INTO blobs (sha256, size) VALUES ");
    for (size_t i = 0; i < rows; i++) {
        snprintf(sz[i], sizeof sz[i], "%" PRIu64, items[from + i].out->size);
        p[2 * i] = items[from + i].out->sha256;
        p[2 * i + 1] = sz[i];
        util_sb_add(&sql, "%s($%zu, $%zu)", i ? ", " : "", 2 * i + 1, 2 * i + 2);
    }
    util_sb_add(&sql, " ON CONFLICT DO NOTHING RETURNING sha256");
    if (sql.oom) {
        rc = put_oom(err);
        goto out;
    }
    PGresult *r = store_exec(s, sql.p, (int)(2 * rows), p, err);
    if (!r)
        goto out;
    /* Each blob stored now comes back once (a duplicate in the list was
     * a conflict): its first item writes the chunks. */
    for (int k = 0; k < PQntuples(r); k++) {
        const char *sha = PQgetvalue(r, k, 0);
        for (size_t i = from; i < to; i++)
            if (strcmp(items[i].out->sha256, sha) == 0) {
                todo[i] = true;
                break;
            }
    }
    PQclear(r);
    rc = 0;
out:
    free(p);
    free(sz);
    free(sql.p);
    return rc;
}

/* The chunk rows of a batch, in one statement: (item, chunk number). */
typedef struct chunk_row {
    const store_mem_t *item;
    int n;
} chunk_row_t;

static int put_chunks(store_t *s, const chunk_row_t *rows, size_t nrows, nsj_error_t *err)
{
    const char **p = calloc(3 * nrows, sizeof *p);
    int *lens = calloc(3 * nrows, sizeof *lens), *fmts = calloc(3 * nrows, sizeof *fmts);
    char(*num)[16] = calloc(nrows, sizeof *num);
    util_sbuf_t sql = {0};
    int rc = -1;
    if (!p || !lens || !fmts || !num) {
        rc = put_oom(err);
        goto out;
    }
    util_sb_add(&sql, "INSERT INTO blob_chunks (sha256, n, data) VALUES ");
    for (size_t i = 0; i < nrows; i++) {
        const store_mem_t *it = rows[i].item;
        size_t off = (size_t)rows[i].n * STORE_BLOB_CHUNK;
        size_t len = it->len - off < STORE_BLOB_CHUNK ? it->len - off : STORE_BLOB_CHUNK;
        snprintf(num[i], sizeof num[i], "%d", rows[i].n);
        p[3 * i] = it->out->sha256;
        p[3 * i + 1] = num[i];
        p[3 * i + 2] = it->data + off;
        lens[3 * i + 2] = (int)len;
        fmts[3 * i + 2] = 1;
        util_sb_add(&sql, "%s($%zu, $%zu, $%zu)", i ? ", " : "", 3 * i + 1, 3 * i + 2, 3 * i + 3);
    }
    if (sql.oom) {
        rc = put_oom(err);
        goto out;
    }
    PGresult *r = store_exec_binary(s, sql.p, (int)(3 * nrows), p, lens, fmts, 0, err);
    if (!r) {
        nsj_error_wrap(err, "storing blob chunks");
        goto out;
    }
    PQclear(r);
    rc = 0;
out:
    free(p);
    free(lens);
    free(fmts);
    free(num);
    free(sql.p);
    return rc;
}

static int put_many(store_t *s, store_mem_t *items, size_t n, nsj_error_t *err)
{
    for (size_t i = 0; i < n; i++) {
        if (hash_sha256_hex(items[i].data, items[i].len, items[i].out->sha256) < 0)
            return nsj_error_set(err, ENOMEM, "sha256");
        items[i].out->size = items[i].len;
    }
    bool *todo = calloc(n + 1, sizeof *todo);
    chunk_row_t *rows = calloc(PUT_ROWS, sizeof *rows);
    int rc = todo && rows ? 0 : put_oom(err);
    for (size_t from = 0; rc == 0 && from < n; from += PUT_ROWS)
        rc = put_heads(s, items, from, from + PUT_ROWS < n ? from + PUT_ROWS : n, todo, err);
    size_t nrows = 0, bytes = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!todo[i])
            continue;
        /* An empty blob is one empty chunk, as store_blob_read expects. */
        for (size_t off = 0, k = 0; rc == 0 && (off < items[i].len || k == 0); k++) {
            size_t len = items[i].len - off < STORE_BLOB_CHUNK ? items[i].len - off : STORE_BLOB_CHUNK;
            if (nrows == PUT_ROWS || (nrows && bytes + len > PUT_BYTES)) {
                rc = put_chunks(s, rows, nrows, err);
                nrows = bytes = 0;
            }
            rows[nrows++] = (chunk_row_t){&items[i], (int)k};
            bytes += len;
            off += len;
        }
    }
    if (rc == 0 && nrows)
        rc = put_chunks(s, rows, nrows, err);
    free(todo);
    free(rows);
    return rc;
}

int store_blobs_put_mem(store_t *s, store_mem_t *items, size_t n, nsj_error_t *err)
{
    if (n == 0)
        return 0;
    bool own = own_transaction(s);
    if (own && store_begin(s, err) < 0)
        return -1;
    if (put_many(s, items, n, err) < 0 || (own && store_commit(s, err) < 0)) {
        if (own)
            store_rollback(s);
        return -1;
    }
    return 0;
}

int store_blob_put_fd(store_t *s, int fd, const core_blob_t *blob, nsj_error_t *err)
{
    bool own = own_transaction(s);
    if (own && store_begin(s, err) < 0)
        return -1;
    if (put_fd(s, fd, blob, err) < 0 || (own && store_commit(s, err) < 0)) {
        if (own)
            store_rollback(s);
        return -1;
    }
    return 0;
}

int store_blob_put_mem(store_t *s, const char *data, size_t len, core_blob_t *out, nsj_error_t *err)
{
    bool own = own_transaction(s);
    if (own && store_begin(s, err) < 0)
        return -1;
    if (put_mem(s, data, len, out, err) < 0 || (own && store_commit(s, err) < 0)) {
        if (own)
            store_rollback(s);
        return -1;
    }
    return 0;
}

int store_blobs_read_small(store_t *s, const char *const *shas, size_t n,
                           int (*each)(void *ud, const char *sha, const void *data, size_t len), void *ud,
                           nsj_error_t *err)
{
    if (n == 0)
        return 0;
    /* One text[] parameter: "{hash,hash,...}" (hex digits need no quoting). */
    util_sbuf_t arr = {0};
    for (size_t i = 0; i < n; i++) {
        if (!hash_hex_valid(shas[i])) {
            free(arr.p);
            return nsj_error_set(err, EINVAL, "blob '%.70s': not a SHA-256", shas[i]);
        }
        util_sb_add(&arr, "%c%s", i ? ',' : '{', shas[i]);
    }
    util_sb_add(&arr, "}");
    if (arr.oom) {
        free(arr.p);
        return put_oom(err);
    }
    const char *p[] = {arr.p};
    PGresult *r = store_exec_binary(s, "SELECT sha256, data FROM blob_chunks WHERE n = 0 AND sha256 = ANY($1::text[])",
                                    1, p, NULL, NULL, 1, err);
    free(arr.p);
    if (!r)
        return nsj_error_wrap(err, "reading %zu blobs", n);
    int rc = 0;
    for (int k = 0; rc == 0 && k < PQntuples(r); k++) {
        char sha[HASH_HEX_LEN + 1];
        snprintf(sha, sizeof sha, "%.*s", PQgetlength(r, k, 0), PQgetvalue(r, k, 0));
        rc = each(ud, sha, PQgetvalue(r, k, 1), (size_t)PQgetlength(r, k, 1));
    }
    PQclear(r);
    return rc < 0 ? nsj_error_set(err, EIO, "reading blobs: the reader stopped") : 0;
}
