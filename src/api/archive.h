/* Test data uploaded as an archive (PUT /questions/{id}/tests): zip, tar
 * or tar.gz, read with libarchive. Pure of the network and the database:
 * a file descriptor of the spooled archive in, tests (hash, size and a
 * temporary file of each input and answer) out, or a refusal that names
 * the entry at fault; unit-tested and fuzzed without a server.
 *
 * Layout: files named N.in with N.out or N.ans (N a whole number; any
 * directory part is ignored), ordered by N, score 1 each; or any names and
 * a manifest, tests.json at the top of the archive:
 *   {"tests": [{"input": "a/1.txt", "answer": "a/1.ans", "score": 2}, ...]}
 * giving the order, the scores (default 1) and which file is which (every
 * file must be used; one may serve several tests). Directories are
 * skipped. Refused (400): names with "..", absolute names, links, devices
 * and other non-regular entries, unknown names, a test without its pair,
 * two files for one role, a bad manifest; (413): an entry over max_file, more than
 * max_total bytes in all, more than max_entries entries -- counted as the
 * bytes come out of the decompressor, whatever the headers claim, so that a
 * zip bomb stops at the limit. */
#ifndef NSJ_API_ARCHIVE_H
#define NSJ_API_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "api/request.h"
#include "core/job.h"

typedef struct api_archive_limits {
    uint64_t max_total;          /* MAX_TEST_DATA: bytes of all the files */
    uint64_t max_file;           /* MAX_TEST_FILE */
    size_t max_entries;          /* entries of any kind */
    const char *tmpdir;          /* where the files are spooled (unlinked at once) */
} api_archive_limits_t;

typedef struct api_archive {
    core_test_t *tests;          /* input/answer blobs filled in; no bytes */
    int (*fds)[2];               /* per test: its input's and its answer's file, at offset 0 */
    size_t ntests;
} api_archive_t;

/* Read the archive at fd. <0 with e (400 or 413) on a refusal, 503 when
 * the host fails (temporary files). Free with api_archive_free(). */
int api_archive_read(int fd, const api_archive_limits_t *lim, api_archive_t *out, api_error_t *e);

void api_archive_free(api_archive_t *a);

#endif
