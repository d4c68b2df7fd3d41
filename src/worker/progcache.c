#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/util.h"
#include "judge/judge.h"
#include "worker/progcache.h"

struct progcache {
    char dir[3900];
    pthread_mutex_t mu;          /* one compile at a time in this process */
    atomic_uint_fast64_t compiles;
};

int progcache_open(const char *dir, progcache_t **out, nsj_error_t *err)
{
    *out = NULL;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return nsj_error_set(err, errno, "program cache: mkdir %s", dir);
    progcache_t *c = calloc(1, sizeof *c);
    if (!c)
        return nsj_error_set(err, ENOMEM, "program cache");
    if (strlen(dir) >= sizeof c->dir) {
        free(c);
        return nsj_error_set(err, ENAMETOOLONG, "program cache: directory name too long");
    }
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    pthread_mutex_init(&c->mu, NULL);
    atomic_init(&c->compiles, 0);
    *out = c;
    return 0;
}

void progcache_close(progcache_t *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->mu);
    free(c);
}

uint64_t progcache_compiles(progcache_t *c)
{
    return atomic_load(&c->compiles);
}

static int add_part(hash_sha256_t *h, const char *data, size_t len)
{
    uint64_t n = len;
    return hash_sha256_update(h, &n, sizeof n) < 0 || hash_sha256_update(h, data, len) < 0 ? -1 : 0;
}

void progcache_key(const core_program_t *p, char key[65])
{
    hash_sha256_t h;
    int rc = hash_sha256_init(&h);
    rc |= add_part(&h, p->language, strlen(p->language));
    rc |= add_part(&h, p->source, p->source_len);
    for (size_t i = 0; i < p->nfiles; i++) {
        rc |= add_part(&h, p->files[i].name, strlen(p->files[i].name));
        rc |= add_part(&h, p->files[i].data, p->files[i].len);
    }
    if (hash_sha256_final(&h, key) < 0 || rc < 0)
        key[0] = '\0';
}

/* Keep the build's /box as <dir>/<key>. */
static int keep(progcache_t *c, const char *box, const char *key, nsj_error_t *err)
{
    char tmp[128], tmp_path[4300];
    snprintf(tmp, sizeof tmp, ".tmp-%s-%d", key, (int)gettid());
    snprintf(tmp_path, sizeof tmp_path, "%s/%s", c->dir, tmp);
    cleanup_close int dir = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int src = open(box, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0 || src < 0)
        return nsj_error_set(err, errno, "program cache: open %s", dir < 0 ? c->dir : box);
    util_rm_rf(tmp_path);
    if (mkdirat(dir, tmp, 0755) < 0)
        return nsj_error_set(err, errno, "program cache: mkdir %s/%s", c->dir, tmp);
    cleanup_close int dst = openat(dir, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = dst < 0 ? nsj_error_set(err, errno, "program cache: open %s", tmp) : util_copy_tree(src, dst, err);
    if (rc == 0 && fsync(dst) < 0)
        rc = nsj_error_set(err, errno, "program cache: fsync %s", tmp);
    if (rc == 0 && renameat(dir, tmp, dir, key) < 0) {
        /* Another process kept the same program first: its copy serves. */
        if (errno != EEXIST && errno != ENOTEMPTY)
            rc = nsj_error_set(err, errno, "program cache: rename %s", tmp);
    } else if (rc == 0) {
        return 0;
    }
    util_rm_rf(tmp_path);
    return rc;
}

static bool cached(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int init_build(const language_t *lang, const char *rootfs, const core_program_t *p, nsj_sandbox_t *sb,
                      judge_build_t *b, nsj_error_t *err)
{
    if (judge_build_init(b, sb, lang, rootfs, p->source, p->source_len, 0644, err) < 0)
        return -1;
    for (size_t i = 0; i < p->nfiles; i++)
        if (judge_build_add_file(b, p->files[i].name, p->files[i].data, p->files[i].len, err) < 0) {
            judge_build_cleanup(b);
            return -1;
        }
    return 0;
}

int progcache_get(progcache_t *c, nsj_sandbox_t *sb, const language_t *lang, const char *rootfs,
                  const core_program_t *p, const nsj_limits_t *base, progcache_prog_t *out, nsj_result_t *cres,
                  nsj_error_t *err)
{
    memset(out, 0, sizeof *out);
    nsj_result_init(cres);
    if (init_build(lang, rootfs, p, sb, &out->build, err) < 0)
        return -1;
    if (!lang->compile_argc)
        return 0; /* interpreted: the source in /code is the program */
    progcache_key(p, out->key);
    if (!out->key[0]) {
        judge_build_cleanup(&out->build);
        return nsj_error_set(err, ENOMEM, "program cache: hashing the program");
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", c->dir, out->key);
    pthread_mutex_lock(&c->mu);
    int rc = 0;
    if (!cached(path)) {
        rc = judge_build_compile(&out->build, sb, base, cres);
        if (rc == 0) {
            atomic_fetch_add(&c->compiles, 1);
            out->compiled = true;
            rc = keep(c, judge_build_box_path(&out->build), out->key, err);
        } else if (rc < 0) {
            nsj_error_set(err, EIO, "compiling: %.400s", cres->message);
        }
    }
    pthread_mutex_unlock(&c->mu);
    if (rc == 0 && !out->compiled) {
        /* The cache is the worker's own (never bound into a sandbox): the
         * program gets a copy in its /box, as if it had just compiled. */
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        rc = fd < 0 ? nsj_error_set(err, errno, "program cache: open %s", path)
                    : judge_build_fill_box(&out->build, fd, err);
        if (fd >= 0)
            close(fd);
    }
    if (rc != 0)
        judge_build_cleanup(&out->build);
    return rc;
}

int progcache_prepare(progcache_t *c, nsj_sandbox_t *sb, const progcache_langs_t *where, const char *role,
                      const core_program_t *p, const nsj_limits_t *base, progcache_prog_t *out, char **output,
                      size_t output_max, char *why, size_t cap)
{
    if (output)
        *output = NULL;
    const language_t *lang = languages_find(where->langs, p->language);
    if (!lang) {
        snprintf(why, cap, "the %s's language '%s' is not in this worker's language table", role, p->language);
        return -1;
    }
    size_t li = (size_t)(lang - where->langs->langs);
    if (!where->rootfs[li][0]) {
        snprintf(why, cap, "the %s (%s) cannot run here: %s", role, p->language, where->rootfs_err[li]);
        return -1;
    }
    nsj_result_t cres;
    nsj_error_t err;
    int rc = progcache_get(c, sb, lang, where->rootfs[li], p, base, out, &cres, &err);
    if (rc > 0) {
        const char *text = cres.err_len ? cres.err : cres.out ? cres.out : "";
        size_t len = cres.err_len ? cres.err_len : cres.out_len;
        if (!len) {
            text = cres.evidence;
            len = strlen(text);
        }
        int line = (int)strcspn(text, "\n");
        snprintf(why, cap, "the %s (%s) does not compile: %.*s", role, p->language, line > 300 ? 300 : line, text);
        if (output)
            *output = judge_display_text(text, len, output_max);
    } else if (rc < 0) {
        snprintf(why, cap, "the %s (%s): %s", role, p->language, err.msg);
    }
    nsj_result_free(&cres);
    return rc;
}

void progcache_prog_free(progcache_prog_t *p)
{
    judge_build_cleanup(&p->build);
}
