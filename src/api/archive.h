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
 * file must be used; one may serve several tests), and optionally the
 * new version's "checker", "subtasks" and "run_all_tests" as a question's
 * body has them, except that a custom checker's "source" and "files" name
 * files of the archive: {"type": "custom", "language": "cpp", "source":
 * "checker.cpp", "files": ["testlib.h"]} (a file's base name is its name
 * beside the checker's source). Without them the new version keeps the
 * previous one's. Directories are
 * skipped. Refused (400): names with "..", absolute names, links, devices
 * and other non-regular entries, unknown names, a test without its pair,
 * two files for one role, a bad manifest; (413): an entry over max_file, more than
 * max_total bytes in all, more than max_entries entries -- counted as the
 * bytes come out of the decompressor, whatever the headers claim, so that a
 * zip bomb stops at the limit. */
#ifndef NSJ_API_ARCHIVE_H
#define NSJ_API_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/request.h"
#include "core/job.h"

typedef struct api_archive_limits {
    uint64_t max_total;          /* MAX_TEST_DATA: bytes of all the files */
    uint64_t max_file;           /* MAX_TEST_FILE */
    size_t max_entries;          /* entries of any kind */
    const char *tmpdir;          /* where the files are spooled (unlinked at once) */
    size_t program_max;          /* bytes of a custom checker's source and files */
    const language_table_t *langs; /* a custom checker's language */
} api_archive_limits_t;

typedef struct api_archive {
    core_test_t *tests;          /* input/answer blobs filled in; no bytes */
    int (*fds)[2];               /* per test: its input's and its answer's file, at offset 0 */
    size_t ntests;
    core_judging_t judging;      /* the manifest's checker and subtasks, when has_judging */
    bool has_judging;
} api_archive_t;

/* Read the archive at fd. <0 with e (400 or 413) on a refusal, 503 when
 * the host fails (temporary files). Free with api_archive_free(). */
int api_archive_read(int fd, const api_archive_limits_t *lim, api_archive_t *out, api_error_t *e);

void api_archive_free(api_archive_t *a);

#endif
