/* The language table: etc/languages.conf parsed once into structs. */
#ifndef NSJ_LANGUAGES_H
#define NSJ_LANGUAGES_H

#include <stdbool.h>
#include <stddef.h>

#include "nsjudge/error.h"
#include "nsjudge/sandbox.h"

#include <stdint.h>

#define LANG_MAX_ARGS 32
#define LANG_MAX_ALIASES 8
#define LANG_MAX_ENV 8

/* Limits of a compile step (0 = the run's default for that limit). */
typedef struct lang_compile_limits {
    uint64_t cpu_ms, wall_ms, memory_bytes, output_bytes, tmp_bytes, fsize_bytes;
    uint32_t pids;
    uint32_t cpu_millis;         /* CPU bandwidth; UINT32_MAX = unlimited ("cpus=0") */
} lang_compile_limits_t;

#define LANG_MAX_OOM 4

/* How a submission's file and entry point are named (key `entry`). */
typedef enum lang_entry {
    LANG_ENTRY_FIXED,      /* "fixed" (default): always `source` */
    LANG_ENTRY_JAVA_CLASS, /* "java-class": <C>.java for the source's top-level
                            * public class C (`source` when there is none); the
                            * compile must make /box/<C>.class with
                            * public static void main(String[]) */
} lang_entry_t;

/* A submission's file name in /code and its entry ({class}: the name
 * without its extension). */
typedef struct lang_source_name {
    char file[64];
    char entry[64];
} lang_source_name_t;

typedef struct language {
    char name[32];
    char aliases[LANG_MAX_ALIASES][32];
    size_t naliases;
    char version[128];
    char rootfs[256];              /* as written: a name under rootfs/ or absolute */
    char source[64];               /* file name in /code (the default one, see entry) */
    lang_entry_t entry;
    char *run_argv[LANG_MAX_ARGS + 1];
    size_t run_argc;
    char *compile_argv[LANG_MAX_ARGS + 1];  /* empty: interpreted, no compile step */
    size_t compile_argc;
    lang_compile_limits_t compile_limits;
    uint32_t run_pids_min;         /* the run's pids limit is at least this */
    uint64_t run_memory_extra;     /* added to the run's memory limit (runtime overhead) */
    char *env[LANG_MAX_ENV + 8];   /* nsj_default_env plus the language's own, NULL-ended */
    size_t ndefault, nenv;         /* entries of each kind */
    /* Added for interactive sessions only (a person watches the output as
     * it comes: e.g. PYTHONUNBUFFERED=1), NULL-ended. */
    char *session_env[LANG_MAX_ENV + 1];
    size_t nsession_env;
    /* Offered by the API (GET /languages, POST): "listed = no" keeps a
     * language to the CLI (e.g. binary: a prebuilt executable cannot come
     * as source text). */
    bool listed;
    /* Substrings of stderr by which the runtime says it ran out of memory
     * (Java's OutOfMemoryError, Python's MemoryError...): such a run ends
     * memory_limit, as judges' users expect, not runtime_error. */
    char oom[LANG_MAX_OOM][96];
    size_t noom;
} language_t;

typedef struct language_table {
    language_t *langs;
    size_t n;
} language_table_t;

/* Parse the table's text; errors name "file:line". */
int languages_parse(const char *text, const char *fname, language_table_t *out, nsj_error_t *err);

/* Load the table from a file (NULL = NSJUDGE_LANGUAGES or etc/languages.conf). */
int languages_load(const char *path, language_table_t *out, nsj_error_t *err);

void languages_free(language_table_t *t);

/* Find a language by name or alias (case-sensitive), or NULL. */
const language_t *languages_find(const language_table_t *t, const char *name);
/* The same, among the listed languages only (what the API accepts). */
const language_t *languages_find_listed(const language_table_t *t, const char *name);

/* The limits of a run of this language: base adjusted (pids, memory). */
void languages_run_limits(const language_t *l, const nsj_limits_t *base, nsj_limits_t *out);

/* The limits of its compile step: base with the compile_limits it sets. */
void languages_compile_limits(const language_t *l, const nsj_limits_t *base, nsj_limits_t *out);

/* The file name this source is stored as, and its entry (see lang_entry_t). */
void languages_source_name(const language_t *l, const char *src, size_t len, lang_source_name_t *out);

/* The name of the top-level public class of Java source (comments, string
 * and character literals skipped), or 0 when there is none or it is not a
 * plain ASCII identifier shorter than cap. */
int languages_java_public_class(const char *src, size_t len, char *out, size_t cap);

/* argv with its placeholders expanded ({memory_mb}: the memory limit in
 * MiB; {source}: the file name in /code; {class}: the entry, the file name
 * without its extension) into buf/out (out is NULL-terminated); out[i]
 * points to argv[i] or buf[i]. */
void languages_expand_argv(char *const *argv, const nsj_limits_t *l, const lang_source_name_t *name,
                           char buf[][256], const char **out);

/* Resolve the language's rootfs to an absolute directory: absolute as
 * written, else $NSJUDGE_ROOTFS_DIR/<rootfs>, else rootfs/<rootfs> of the
 * checkout or install; <0 + err when not found. */
int languages_rootfs_path(const language_t *l, char *out, size_t cap, nsj_error_t *err);

#endif
