/* The language table: etc/languages.conf parsed once into structs. */
#ifndef NSJ_LANGUAGES_H
#define NSJ_LANGUAGES_H

#include <stddef.h>

#include "nsjudge/error.h"

#define LANG_MAX_ARGS 32
#define LANG_MAX_ALIASES 8

typedef struct language {
    char name[32];
    char aliases[LANG_MAX_ALIASES][32];
    size_t naliases;
    char version[128];
    char rootfs[256];              /* as written: a name under rootfs/ or absolute */
    char source[64];               /* file name in /code */
    char *run_argv[LANG_MAX_ARGS + 1];
    size_t run_argc;
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

/* Resolve the language's rootfs to an absolute directory: absolute as
 * written, else $NSJUDGE_ROOTFS_DIR/<rootfs>, else rootfs/<rootfs> of the
 * checkout or install; <0 + err when not found. */
int languages_rootfs_path(const language_t *l, char *out, size_t cap, nsj_error_t *err);

#endif
