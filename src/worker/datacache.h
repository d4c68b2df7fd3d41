/* The worker host's cache of test data (NSJUDGE_DATA_CACHE): blobs as
 * files named by their SHA-256, so a problem's data crosses the network
 * once per host however many submissions and worker processes use it.
 *
 * A fill writes to a temporary file in the cache directory while hashing,
 * and only a file whose hash and size are right is renamed to its name:
 * rename() is atomic, so concurrent fills of one blob (threads or
 * processes) each end with a complete, verified file and one survives; a
 * lock file (one per 256th of the blobs, by hash) makes them wait for one
 * fill instead of each reading the blob from Postgres. A
 * use sets the file's mtime: eviction, when the files pass the size bound,
 * removes the least recently used first. A file removed while a test reads
 * it stays readable through the open descriptor. */
#ifndef NSJ_WORKER_DATACACHE_H
#define NSJ_WORKER_DATACACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/job.h"
#include "nsjudge/error.h"

typedef struct datacache datacache_t;

/* Give a blob's bytes to sink (which returns <0 on failure) in any number
 * of calls; <0 with err when they cannot be had. */
typedef int (*datacache_fetch_fn)(void *ud, const char *sha256,
                                  int (*sink)(void *sctx, const void *data, size_t len), void *sctx,
                                  nsj_error_t *err);

/* Open (creating) the cache directory, bounded to max_bytes. */
int datacache_open(const char *dir, uint64_t max_bytes, datacache_t **out, nsj_error_t *err);

void datacache_close(datacache_t *c);

/* A read-only descriptor of the blob's file, filled through fetch when it
 * is not here (*filled says so; may be NULL). */
int datacache_get(datacache_t *c, const core_blob_t *blob, datacache_fetch_fn fetch, void *ud, int *fd,
                  bool *filled, nsj_error_t *err);

/* Whether the blob's file is here whole (by its size; nothing opened). */
bool datacache_has(datacache_t *c, const core_blob_t *blob);

/* The lock a fill of blob holds (its shard's, one of 256), taken without
 * waiting: a descriptor to close when done, or -1 (held elsewhere: a fill
 * of it or of a blob of the same shard is under way). */
int datacache_trylock(datacache_t *c, const core_blob_t *blob);

/* Which of the 256 shards blob belongs to (its lock). */
int datacache_shard(const core_blob_t *blob);

/* Put a blob whose bytes the caller has (read with others in one query),
 * verified as a fill is; nothing when it is here already. The caller
 * holds its lock (datacache_trylock) since before it read the bytes, so
 * that the host reads each blob once. */
int datacache_put(datacache_t *c, const core_blob_t *blob, const void *data, size_t len, nsj_error_t *err);

#endif
