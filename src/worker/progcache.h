/* Compiled helper programs of questions (issue #12: a custom checker; an
 * interactor is the same kind of thing): compiled once per content on each
 * worker host and kept, so a question's checker is compiled once whatever
 * the number of submissions, not once per submission.
 *
 * A program is named by its key: the SHA-256 of its language, source and
 * helper files (names and bytes). The compile runs in the sandbox like a
 * submission's (judge/build.h: /code holds the source and the helper
 * files, the compiler writes /box); the /box it made is then copied to
 * <dir>/<key> (through a temporary directory renamed into place: rename is
 * atomic, so two workers compiling one program at once both end with a
 * whole directory and one survives). A later use copies <dir>/<key>
 * into its own /box scratch (the cache itself is never bound into a
 * sandbox: it stays private to the worker, like the test data beside it)
 * and puts the source and files in /code again (an interpreted language's
 * program is its source: nothing is compiled or kept for it). A changed program is a new key, so nothing is ever stale;
 * threads of one process wait for one compile of a key. */
#ifndef NSJ_WORKER_PROGCACHE_H
#define NSJ_WORKER_PROGCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/judging.h"
#include "judge/build.h"
#include "judge/languages.h"
#include "nsjudge/error.h"
#include "nsjudge/sandbox.h"

typedef struct progcache progcache_t;

/* A program ready to run. Keep it in place (build points into itself)
 * until progcache_prog_free(). */
typedef struct progcache_prog {
    judge_build_t build;         /* run it with judge_build_run_spec() + judge_build_run() */
    char key[65];                /* "" for an interpreted language */
    bool compiled;               /* this call compiled it (it was not cached) */
} progcache_prog_t;

/* Open (creating) the cache directory. */
int progcache_open(const char *dir, progcache_t **out, nsj_error_t *err);

void progcache_close(progcache_t *c);

/* The program's key (64 hex digits and a NUL; "" when out of memory). */
void progcache_key(const core_program_t *p, char key[65]);

/* Get the program ready: from the cache, else compiled in the sandbox
 * (limits: base with the language's compile allowances) and kept.
 * 0 = ready; 1 = it does not compile (cres holds the compiler's verdict
 * and output: nsj_result_free() it); <0 = the host failed (err says why). */
int progcache_get(progcache_t *c, nsj_sandbox_t *sb, const language_t *lang, const char *rootfs,
                  const core_program_t *p, const nsj_limits_t *base, progcache_prog_t *out, nsj_result_t *cres,
                  nsj_error_t *err);

/* Where the worker's languages can run: the table, and per language its
 * rootfs ("" when it cannot run here, rootfs_err saying why). */
typedef struct progcache_langs {
    const language_table_t *langs;
    const char (*rootfs)[4096];
    const char (*rootfs_err)[512];
} progcache_langs_t;

/* progcache_get() for a program named by its language (what a question
 * stores): 0 = ready (out->compiled says whether this call compiled it);
 * 1 = it does not compile: *output (malloc'd, may be NULL) gets the
 * compiler's output as storable text (at most output_max bytes) and why
 * its first line; <0 = it cannot be made here (unknown language, no
 * rootfs, the sandbox failed): why says so. role names the program in why
 * ("checker", "interactor"). */
int progcache_prepare(progcache_t *c, nsj_sandbox_t *sb, const progcache_langs_t *where, const char *role,
                      const core_program_t *p, const nsj_limits_t *base, progcache_prog_t *out, char **output,
                      size_t output_max, char *why, size_t cap);

void progcache_prog_free(progcache_prog_t *p);

/* Programs compiled by this process since progcache_open() (the evidence
 * that a program is compiled once). */
uint64_t progcache_compiles(progcache_t *c);

#endif
