/* Compile once, run per test: a submission's compile step runs inside the
 * sandbox (same isolation: no network, read-only root, no capabilities)
 * and writes its artefact to a scratch directory, bound read-write at /box
 * for the compile and read-only (executable) for every run after it. The
 * source itself is a file in the sandbox's /code. */
#ifndef NSJ_BUILD_H
#define NSJ_BUILD_H

#include "judge/languages.h"
#include "nsjudge/sandbox.h"

#define JUDGE_BUILD_FILES_MAX 16 /* helper files beside the source (a checker's testlib.h) */

typedef struct judge_build {
    const language_t *lang;
    const char *rootfs;
    lang_source_name_t name;   /* the source's file name in /code and its entry */
    nsj_file_t files[1 + JUDGE_BUILD_FILES_MAX]; /* /code/<name.file>, then helper files */
    size_t nfiles;
    nsj_bind_t box;            /* the scratch directory at /box */
    nsj_scratch_t *scratch;    /* its tmpfs on the host; NULL if none */
    /* argv with placeholders expanded ({memory_mb}: the run's memory limit) */
    char argbuf[LANG_MAX_ARGS][256];
    const char *argv[LANG_MAX_ARGS + 1];
} judge_build_t;

/* What a compile step may write to /box: a tmpfs of this size and inodes,
 * charged to the compile run's memory. */
#define JUDGE_BOX_BYTES (256ULL << 20)
#define JUDGE_BOX_INODES 16384

/* Keep the source; for a compiled language make the scratch tmpfs. The
 * source must outlive b. */
int judge_build_init(judge_build_t *b, nsj_sandbox_t *sb, const language_t *lang, const char *rootfs,
                     const char *source, size_t len, unsigned mode, nsj_error_t *err);

/* Add a helper file to /code beside the source, for the compile and the
 * runs (name and data must outlive b); <0 when there are too many or the
 * name is the source's. */
int judge_build_add_file(judge_build_t *b, const char *name, const char *data, size_t len, nsj_error_t *err);

/* The scratch directory at /box on the host (NULL for an interpreted
 * language): what a compile wrote there. */
const char *judge_build_box_path(const judge_build_t *b);

/* Instead of compiling: copy an artefact directory made by an earlier
 * compile (worker/progcache.h) into /box and seal it as a compile would. */
int judge_build_fill_box(judge_build_t *b, int src_dirfd, nsj_error_t *err);

/* Run the compile step (none for interpreted languages: returns 0 and
 * leaves res empty). 0 = compiled; 1 = compile error (res holds the
 * compiler's verdict and output); <0 = the sandbox failed (res says why). */
int judge_build_compile(judge_build_t *b, nsj_sandbox_t *sb, const nsj_limits_t *base, nsj_result_t *res);

/* Fill spec (initialised by the caller) for one run of the built program:
 * rootfs, argv, environment, /code, /box and the language's limits. */
void judge_build_run_spec(judge_build_t *b, const nsj_limits_t *base, nsj_run_spec_t *spec);

/* nsj_run() one run of the built program (spec from judge_build_run_spec),
 * then apply the language's out-of-memory patterns to its verdict. */
int judge_build_run(judge_build_t *b, nsj_sandbox_t *sb, const nsj_run_spec_t *spec, nsj_result_t *res);

/* Remove the scratch tmpfs. */
/* A runtime error whose stderr says the runtime ran out of memory (the
 * language's oom patterns) becomes memory_limit (judge_build_run does this;
 * for results of runs made otherwise, such as nsj_run_pair's). */
void judge_build_runtime_oom(const judge_build_t *b, nsj_result_t *res);

void judge_build_cleanup(judge_build_t *b);

#endif
