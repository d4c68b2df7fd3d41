#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/util.h"
#include "worker/datacache.h"

/* Temporary files of fills that died (a killed process) are removed after this. */
#define STALE_FILL_S 3600
#define FILL_PREFIX ".fill-"
#define LOCK_PREFIX ".lock-"
#define LOCK_SHARD_HEX 2 /* lock files: .lock-00 to .lock-ff */

struct datacache {
    int dirfd;
    char dir[4096];
    uint64_t max_bytes;
    pthread_mutex_t evict_mu;    /* one eviction at a time in this process; guards the rest */
    bool scanned;                /* the directory was read once */
    uint64_t known_bytes;        /* its total at the last reading, plus our fills since */
    uint64_t since_scan;         /* our fills' bytes since then */
};

/* mkdir -p: the default sits under /var/cache/nsjudge, which may not exist yet. */
static int make_dirs(const char *dir, nsj_error_t *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return nsj_error_set(err, ENAMETOOLONG, "data cache: %.100s", dir);
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(path, c ? 0755 : 0700) < 0 && errno != EEXIST)
            return nsj_error_set(err, errno, "data cache: mkdir %s", path);
        if (!c)
            return 0;
        *p = c;
    }
}

int datacache_open(const char *dir, uint64_t max_bytes, datacache_t **out, nsj_error_t *err)
{
    *out = NULL;
    if (make_dirs(dir, err) < 0)
        return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return nsj_error_set(err, errno, "data cache: open %s", dir);
    datacache_t *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return nsj_error_set(err, ENOMEM, "data cache");
    }
    c->dirfd = fd;
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    c->max_bytes = max_bytes;
    pthread_mutex_init(&c->evict_mu, NULL);
    *out = c;
    return 0;
}

void datacache_close(datacache_t *c)
{
    if (!c)
        return;
    close(c->dirfd);
    pthread_mutex_destroy(&c->evict_mu);
    free(c);
}

typedef struct fill {
    int fd;
    hash_sha256_t h;
    uint64_t size;
    int werr;
} fill_t;

static int sink(void *ud, const void *data, size_t len)
{
    fill_t *f = ud;
    if (util_write_all(f->fd, data, len) < 0) {
        f->werr = errno ? errno : EIO;
        return -1;
    }
    f->size += len;
    return hash_sha256_update(&f->h, data, len);
}

typedef struct entry {
    char name[HASH_HEX_LEN + 1];
    uint64_t size;
    struct timespec used;
} entry_t;

static int by_use(const void *a, const void *b)
{
    const entry_t *x = a, *y = b;
    if (x->used.tv_sec != y->used.tv_sec)
        return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
    return x->used.tv_nsec < y->used.tv_nsec ? -1 : x->used.tv_nsec > y->used.tv_nsec;
}

/* After a fill of `added` bytes: remove the least recently used files
 * until they fit in 90% of the bound (so that not every fill evicts), never
 * keep (just filled); also old temporary files of fills that died.
 *
 * Reading the directory costs a stat per file, so it is read only when it
 * may hold too much: when the total known here passes the bound, or our
 * own fills since the last reading pass the 10% the eviction leaves free.
 * Other processes sharing the directory do the same, so each adds at most
 * that slack (and one blob) unseen by the others: with P processes the
 * files stay under the bound plus P times 10% of it. Reading it per fill
 * made a fill cost one stat per cached blob. */
static void evict(datacache_t *c, const char *keep, uint64_t added)
{
    pthread_mutex_lock(&c->evict_mu);
    c->known_bytes += added;
    c->since_scan += added;
    if (c->scanned && c->known_bytes <= c->max_bytes && c->since_scan <= c->max_bytes / 10) {
        pthread_mutex_unlock(&c->evict_mu);
        return;
    }
    int fd = dup(c->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        pthread_mutex_unlock(&c->evict_mu);
        return;
    }
    rewinddir(d);
    entry_t *es = NULL;
    size_t n = 0, cap = 0;
    uint64_t total = 0;
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d))) {
        struct stat st;
        if (fstatat(c->dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
            continue;
        if (strncmp(e->d_name, FILL_PREFIX, strlen(FILL_PREFIX)) == 0 ||
            strncmp(e->d_name, LOCK_PREFIX, strlen(LOCK_PREFIX)) == 0) {
            /* The shards' lock files stay; a blob's own (older versions') go. */
            if (now - st.st_mtime > STALE_FILL_S && strlen(e->d_name) != strlen(LOCK_PREFIX) + LOCK_SHARD_HEX)
                unlinkat(c->dirfd, e->d_name, 0);
            continue;
        }
        if (!hash_hex_valid(e->d_name))
            continue;
        total += (uint64_t)st.st_size;
        if (n == cap) {
            entry_t *ne = realloc(es, (cap = cap ? cap * 2 : 64) * sizeof *es);
            if (!ne)
                break;
            es = ne;
        }
        memcpy(es[n].name, e->d_name, sizeof es[n].name); /* 64 digits and the NUL */
        es[n].size = (uint64_t)st.st_size;
        es[n].used = st.st_mtim;
        n++;
    }
    closedir(d);
    if (total > c->max_bytes) {
        qsort(es, n, sizeof *es, by_use);
        uint64_t target = c->max_bytes / 10 * 9;
        for (size_t i = 0; i < n && total > target; i++) {
            if (strcmp(es[i].name, keep) == 0)
                continue;
            if (unlinkat(c->dirfd, es[i].name, 0) == 0 || errno == ENOENT)
                total -= es[i].size;
        }
    }
    free(es);
    c->scanned = true;
    c->known_bytes = total;
    c->since_scan = 0;
    pthread_mutex_unlock(&c->evict_mu);
}

/* The blob's file when it is here and whole: a descriptor, marked used. */
static int lookup(datacache_t *c, const core_blob_t *blob)
{
    int fd = openat(c->dirfd, blob->sha256, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == blob->size) {
        futimens(fd, NULL); /* used now: the LRU order */
        return fd;
    }
    /* Not what a verified fill leaves (someone else's file): fill again. */
    close(fd);
    return -1;
}

static int fill(datacache_t *c, const core_blob_t *blob, datacache_fetch_fn fetch, void *ud, int *out, bool *filled,
                nsj_error_t *err);

/* The lock file of blob's shard (made the first time, kept), opened. */
static int open_lock(datacache_t *c, const core_blob_t *blob)
{
    char lock[16];
    snprintf(lock, sizeof lock, LOCK_PREFIX "%.*s", LOCK_SHARD_HEX, blob->sha256);
    return openat(c->dirfd, lock, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
}

int datacache_get(datacache_t *c, const core_blob_t *blob, datacache_fetch_fn fetch, void *ud, int *out,
                  bool *filled, nsj_error_t *err)
{
    *out = -1;
    if (filled)
        *filled = false;
    if (!hash_hex_valid(blob->sha256))
        return nsj_error_set(err, EINVAL, "data cache: '%.70s' is not a SHA-256", blob->sha256);
    if ((*out = lookup(c, blob)) >= 0)
        return 0;
    /* One fill of a blob at a time on this host: threads and processes that
     * want it meanwhile wait on the lock file of its shard (flock: per open
     * file, so threads exclude each other too), then find it filled.
     * Correctness does not rest on the lock (fills are verified and renamed
     * whole): it only saves reading a blob from Postgres twice. The lock
     * files are made once and kept: one made and removed per fill cost an
     * inode allocation each, and ext4 allocates slowly past the inodes it
     * freed in the last seconds (it skips them one by one). Fills of other
     * blobs of the same shard (1 in 256) wait meanwhile. */
    int lfd = open_lock(c, blob);
    if (lfd >= 0 && flock(lfd, LOCK_EX) == 0 && (*out = lookup(c, blob)) >= 0) {
        close(lfd);
        return 0;
    }
    int rc = fill(c, blob, fetch, ud, out, filled, err);
    if (lfd >= 0)
        close(lfd);
    return rc;
}

static int fill(datacache_t *c, const core_blob_t *blob, datacache_fetch_fn fetch, void *ud, int *out, bool *filled,
                nsj_error_t *err)
{
    char tmp[128];
    snprintf(tmp, sizeof tmp, FILL_PREFIX "%.16s-XXXXXX", blob->sha256);
    char path[sizeof c->dir + sizeof tmp + 2];
    snprintf(path, sizeof path, "%s/%s", c->dir, tmp);
    fill_t f = {.fd = mkostemp(path, O_CLOEXEC)};
    if (f.fd < 0)
        return nsj_error_set(err, errno, "data cache: create %s", path);
    const char *name = strrchr(path, '/') + 1;
    char got[HASH_HEX_LEN + 1];
    int rc = -1;
    if (hash_sha256_init(&f.h) < 0) {
        nsj_error_set(err, ENOMEM, "data cache: sha256");
        goto fail;
    }
    if (fetch(ud, blob->sha256, sink, &f, err) < 0) {
        hash_sha256_final(&f.h, got);
        if (f.werr)
            nsj_error_set(err, f.werr, "data cache: write %s", path);
        goto fail;
    }
    if (hash_sha256_final(&f.h, got) < 0) {
        nsj_error_set(err, ENOMEM, "data cache: sha256");
        goto fail;
    }
    if (strcmp(got, blob->sha256) != 0 || f.size != blob->size) {
        snprintf(err->msg, sizeof err->msg,
                 "data cache: blob %.16s... arrived corrupt (%llu bytes hashing to %.16s..., want %llu bytes)",
                 blob->sha256, (unsigned long long)f.size, got, (unsigned long long)blob->size);
        err->errnum = EIO;
        goto fail;
    }
    if (fchmod(f.fd, 0444) < 0 || renameat(c->dirfd, name, c->dirfd, blob->sha256) < 0) {
        nsj_error_set(err, errno, "data cache: install %s", blob->sha256);
        goto fail;
    }
    if (lseek(f.fd, 0, SEEK_SET) < 0) {
        nsj_error_set(err, errno, "data cache: seek");
        close(f.fd);
        return -1;
    }
    if (filled)
        *filled = true;
    evict(c, blob->sha256, blob->size);
    *out = f.fd;
    return 0;
fail:
    unlinkat(c->dirfd, name, 0);
    close(f.fd);
    return rc;
}

int datacache_shard(const core_blob_t *blob)
{
    unsigned v = 0;
    sscanf(blob->sha256, "%2x", &v);
    return (int)(v & 0xff);
}

int datacache_trylock(datacache_t *c, const core_blob_t *blob)
{
    if (!hash_hex_valid(blob->sha256))
        return -1;
    int fd = open_lock(c, blob);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

bool datacache_has(datacache_t *c, const core_blob_t *blob)
{
    struct stat st;
    return hash_hex_valid(blob->sha256) && fstatat(c->dirfd, blob->sha256, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISREG(st.st_mode) && (uint64_t)st.st_size == blob->size;
}

typedef struct mem_src {
    const void *data;
    size_t len;
} mem_src_t;

static int fetch_mem(void *ud, const char *sha, int (*give)(void *, const void *, size_t), void *sctx, nsj_error_t *err)
{
    const mem_src_t *m = ud;
    if (give(sctx, m->data, m->len) < 0)
        return nsj_error_set(err, EIO, "data cache: writing blob %.16s", sha);
    return 0;
}

int datacache_put(datacache_t *c, const core_blob_t *blob, const void *data, size_t len, nsj_error_t *err)
{
    if (!hash_hex_valid(blob->sha256))
        return nsj_error_set(err, EINVAL, "data cache: '%.70s' is not a SHA-256", blob->sha256);
    if (datacache_has(c, blob))
        return 0;
    mem_src_t m = {data, len};
    int fd;
    if (fill(c, blob, fetch_mem, &m, &fd, NULL, err) < 0)
        return -1;
    close(fd);
    return 0;
}
