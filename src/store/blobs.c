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
