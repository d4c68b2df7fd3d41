#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/paths.h"
#include "common/util.h"
#include "languages.h"

/* The values of `entry`, indexed by lang_entry_t. */
static const char *const entry_names[] = {
    [LANG_ENTRY_FIXED] = "fixed",
    [LANG_ENTRY_JAVA_CLASS] = "java-class",
};

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

static int copy_field(char *dst, size_t cap, const char *v)
{
    if (strlen(v) >= cap)
        return -1;
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

static int split_words(char *v, char **argv, size_t max, size_t *argc)
{
    *argc = 0;
    char *save = NULL;
    for (char *w = strtok_r(v, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        if (*argc == max)
            return -1;
        argv[(*argc)++] = w;
    }
    return 0;
}

static void free_argv(char **argv, size_t *argc)
{
    for (size_t i = 0; i < *argc; i++)
        free(argv[i]);
    *argc = 0;
    argv[0] = NULL;
}

static void lang_free(language_t *l)
{
    free_argv(l->run_argv, &l->run_argc);
    free_argv(l->compile_argv, &l->compile_argc);
    for (size_t i = 0; i < l->nenv; i++)
        free(l->env[l->ndefault + i]); /* the defaults are nsj_default_env's */
    memset(l->env, 0, sizeof l->env);
    l->nenv = 0;
    for (size_t i = 0; i < l->nsession_env; i++)
        free(l->session_env[i]);
    memset(l->session_env, 0, sizeof l->session_env);
    l->nsession_env = 0;
}

static int set_argv(char *val, char **argv, size_t *argc)
{
    char *w[LANG_MAX_ARGS];
    size_t n;
    free_argv(argv, argc);
    if (split_words(val, w, LANG_MAX_ARGS, &n) || n == 0)
        return 1;
    for (size_t i = 0; i < n; i++) {
        argv[i] = strdup(w[i]);
        if (!argv[i])
            return 1;
        *argc = i + 1;
    }
    argv[*argc] = NULL;
    return 0;
}

/* "time=10 wall=30 memory=1g pids=128 output=64k tmp=256m fsize=256m cpus=1" */
static int parse_compile_limits(char *val, lang_compile_limits_t *cl)
{
    char *save = NULL;
    memset(cl, 0, sizeof *cl);
    for (char *kv = strtok_r(val, " \t", &save); kv; kv = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            return 1;
        *eq = '\0';
        const char *k = kv, *v = eq + 1;
        uint64_t n;
        int bad;
        if (!strcmp(k, "time")) bad = util_parse_seconds_ms(v, &cl->cpu_ms);
        else if (!strcmp(k, "wall")) bad = util_parse_seconds_ms(v, &cl->wall_ms);
        else if (!strcmp(k, "memory")) bad = util_parse_size(v, &cl->memory_bytes);
        else if (!strcmp(k, "output")) bad = util_parse_size(v, &cl->output_bytes);
        else if (!strcmp(k, "tmp")) bad = util_parse_size(v, &cl->tmp_bytes);
        else if (!strcmp(k, "fsize")) bad = util_parse_size(v, &cl->fsize_bytes);
        else if (!strcmp(k, "pids")) bad = util_parse_u64(v, 1000000, &n), cl->pids = (uint32_t)n;
        else if (!strcmp(k, "cpus")) {
            uint32_t m;
            bad = util_parse_millis(v, &m);
            cl->cpu_millis = m ? m : UINT32_MAX;
        }
        else return 1;
        if (bad)
            return 1;
    }
    return 0;
}

static int finish(const language_t *l, const char *fname, nsj_error_t *err)
{
    if (l->compile_argc && l->compile_argv[0][0] != '/')
        return nsj_error_set(err, EINVAL, "%s: [%s] compile must start with an absolute path", fname, l->name);
    if (!l->rootfs[0] || !l->source[0] || !l->run_argc)
        return nsj_error_set(err, EINVAL, "%s: [%s] needs rootfs, source and run", fname, l->name);
    if (l->run_argv[0][0] != '/')
        return nsj_error_set(err, EINVAL, "%s: [%s] run must start with an absolute path", fname, l->name);
    if (strchr(l->source, '/'))
        return nsj_error_set(err, EINVAL, "%s: [%s] source must be a plain file name", fname, l->name);
    return 0;
}

int languages_parse(const char *text, const char *fname, language_table_t *out, nsj_error_t *err)
{
    memset(out, 0, sizeof *out);
    language_t *cur = NULL;
    unsigned lineno = 0;
    const char *p = text;
    while (*p) {
        lineno++;
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[1024];
        if (len >= sizeof line) {
            nsj_error_set(err, EINVAL, "%s:%u: line too long", fname, lineno);
            goto fail;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        p = eol ? eol + 1 : p + len;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = trim(line);
        if (!*s)
            continue;
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (!end || end[1] != '\0' || end == s + 1) {
                nsj_error_set(err, EINVAL, "%s:%u: bad section header", fname, lineno);
                goto fail;
            }
            *end = '\0';
            if (cur && finish(cur, fname, err) < 0)
                goto fail;
            if (languages_find(out, s + 1)) {
                nsj_error_set(err, EINVAL, "%s:%u: language '%s' defined twice", fname, lineno, s + 1);
                goto fail;
            }
            language_t *nl = realloc(out->langs, (out->n + 1) * sizeof *nl);
            if (!nl) {
                nsj_error_set(err, ENOMEM, "%s", fname);
                goto fail;
            }
            out->langs = nl;
            cur = &out->langs[out->n++];
            memset(cur, 0, sizeof *cur);
            cur->listed = true;
            /* The clean default environment first; `env` keys add to it. */
            while (nsj_default_env[cur->ndefault] && cur->ndefault < 8)
                cur->env[cur->ndefault] = (char *)nsj_default_env[cur->ndefault], cur->ndefault++;
            if (copy_field(cur->name, sizeof cur->name, s + 1) < 0) {
                nsj_error_set(err, EINVAL, "%s:%u: name too long", fname, lineno);
                goto fail;
            }
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            nsj_error_set(err, EINVAL, "%s:%u: expected 'key = value'", fname, lineno);
            goto fail;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        if (!cur) {
            nsj_error_set(err, EINVAL, "%s:%u: '%s' outside a [language] section", fname, lineno, key);
            goto fail;
        }
        int bad = 0;
        if (strcmp(key, "version") == 0) {
            bad = copy_field(cur->version, sizeof cur->version, val);
        } else if (strcmp(key, "listed") == 0) {
            bad = strcmp(val, "yes") != 0 && strcmp(val, "no") != 0;
            cur->listed = strcmp(val, "yes") == 0;
        } else if (strcmp(key, "rootfs") == 0) {
            bad = copy_field(cur->rootfs, sizeof cur->rootfs, val) || strstr(val, "..") != NULL;
        } else if (strcmp(key, "source") == 0) {
            bad = copy_field(cur->source, sizeof cur->source, val);
        } else if (strcmp(key, "entry") == 0) {
            bad = 1;
            for (size_t i = 0; i < sizeof entry_names / sizeof entry_names[0]; i++)
                if (strcmp(val, entry_names[i]) == 0)
                    cur->entry = (lang_entry_t)i, bad = 0;
        } else if (strcmp(key, "aliases") == 0) {
            char *w[LANG_MAX_ALIASES];
            size_t n;
            bad = split_words(val, w, LANG_MAX_ALIASES, &n);
            for (size_t i = 0; !bad && i < n; i++)
                bad = copy_field(cur->aliases[i], sizeof cur->aliases[i], w[i]);
            cur->naliases = bad ? 0 : n;
        } else if (strcmp(key, "run") == 0) {
            bad = set_argv(val, cur->run_argv, &cur->run_argc);
        } else if (strcmp(key, "compile") == 0) {
            bad = set_argv(val, cur->compile_argv, &cur->compile_argc);
        } else if (strcmp(key, "compile_limits") == 0) {
            bad = parse_compile_limits(val, &cur->compile_limits);
        } else if (strcmp(key, "run_pids_min") == 0) {
            uint64_t n;
            bad = util_parse_u64(val, 1000000, &n);
            cur->run_pids_min = (uint32_t)n;
        } else if (strcmp(key, "run_memory_extra") == 0) {
            bad = util_parse_size(val, &cur->run_memory_extra);
        } else if (strcmp(key, "env") == 0) {
            char *w[LANG_MAX_ENV];
            size_t n;
            bad = split_words(val, w, LANG_MAX_ENV, &n);
            for (size_t i = 0; !bad && i < n; i++) {
                bad = !strchr(w[i], '=') || w[i][0] == '=' || cur->nenv >= LANG_MAX_ENV;
                if (!bad && !(cur->env[cur->ndefault + cur->nenv] = strdup(w[i])))
                    bad = 1;
                if (!bad)
                    cur->nenv++;
            }
        } else if (strcmp(key, "oom") == 0) {
            bad = !*val || cur->noom >= LANG_MAX_OOM || copy_field(cur->oom[cur->noom], sizeof cur->oom[0], val);
            if (!bad)
                cur->noom++;
        } else if (strcmp(key, "session_env") == 0) {
            char *w[LANG_MAX_ENV];
            size_t n;
            bad = split_words(val, w, LANG_MAX_ENV, &n);
            for (size_t i = 0; !bad && i < n; i++) {
                bad = !strchr(w[i], '=') || w[i][0] == '=' || cur->nsession_env >= LANG_MAX_ENV;
                if (!bad && !(cur->session_env[cur->nsession_env] = strdup(w[i])))
                    bad = 1;
                if (!bad)
                    cur->nsession_env++;
            }
        } else {
            nsj_error_set(err, EINVAL, "%s:%u: unknown key '%s' in [%s]", fname, lineno, key, cur->name);
            goto fail;
        }
        if (bad) {
            nsj_error_set(err, EINVAL, "%s:%u: bad value for '%s'", fname, lineno, key);
            goto fail;
        }
    }
    if (cur && finish(cur, fname, err) < 0)
        goto fail;
    if (out->n == 0) {
        nsj_error_set(err, EINVAL, "%s: no languages defined", fname);
        goto fail;
    }
    return 0;
fail:
    languages_free(out);
    return -1;
}

int languages_load(const char *path, language_table_t *out, nsj_error_t *err)
{
    char found[4096];
    if (!path)
        path = getenv("NSJUDGE_LANGUAGES");
    if (!path || !*path) {
        if (paths_find_data("etc/languages.conf", found, sizeof found) < 0)
            return nsj_error_set(err, ENOENT, "languages: etc/languages.conf not found (set NSJUDGE_LANGUAGES)");
        path = found;
    }
    cleanup_free char *text = NULL;
    if (util_read_whole_file(path, 1 << 20, &text, NULL, err) < 0)
        return nsj_error_wrap(err, "languages");
    return languages_parse(text, path, out, err);
}

void languages_free(language_table_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        lang_free(&t->langs[i]);
    free(t->langs);
    t->langs = NULL;
    t->n = 0;
}

static int is_ident(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
           (unsigned char)c >= 0x80;
}

/* A tokeniser just good enough to see Java's top-level declarations:
 * comments, string/char literals (text blocks are runs of them) skipped,
 * braces counted; at depth 0 a `class`, `interface`, `enum` or `record`
 * after `public` (since the last `;` or `}`) names the public class. */
int languages_java_public_class(const char *src, size_t len, char *out, size_t cap)
{
    size_t i = 0;
    int depth = 0, seen_public = 0, want_name = 0;
    while (i < len) {
        char c = src[i];
        if (c == '/' && i + 1 < len && src[i + 1] == '/') {
            while (i < len && src[i] != '\n')
                i++;
        } else if (c == '/' && i + 1 < len && src[i + 1] == '*') {
            i += 2;
            while (i + 1 < len && !(src[i] == '*' && src[i + 1] == '/'))
                i++;
            i += 2;
        } else if (c == '"' || c == '\'') {
            for (i++; i < len && src[i] != c; i++)
                if (src[i] == '\\')
                    i++;
            i++;
        } else if (is_ident(c)) {
            size_t s = i;
            while (i < len && is_ident(src[i]))
                i++;
            size_t n = i - s;
            if (depth != 0)
                continue;
            if (want_name) {
                for (size_t k = s; k < i; k++)
                    if ((unsigned char)src[k] >= 0x80 || (k == s && src[k] >= '0' && src[k] <= '9'))
                        return 0;
                if (n >= cap)
                    return 0;
                memcpy(out, src + s, n);
                out[n] = '\0';
                return 1;
            }
            if (n == 6 && !memcmp(src + s, "public", 6))
                seen_public = 1;
            else if (seen_public && ((n == 5 && !memcmp(src + s, "class", 5)) ||
                                     (n == 9 && !memcmp(src + s, "interface", 9)) ||
                                     (n == 4 && !memcmp(src + s, "enum", 4)) ||
                                     (n == 6 && !memcmp(src + s, "record", 6))))
                want_name = 1;
        } else {
            if (c == '{')
                depth++;
            else if (c == '}' && depth > 0)
                depth--;
            if ((c == '{' || c == '}' || c == ';') && depth <= 1)
                seen_public = want_name = 0;
            i++;
        }
    }
    return 0;
}

void languages_source_name(const language_t *l, const char *src, size_t len, lang_source_name_t *out)
{
    char cls[48];
    if (l->entry == LANG_ENTRY_JAVA_CLASS && languages_java_public_class(src, len, cls, sizeof cls))
        snprintf(out->file, sizeof out->file, "%s.java", cls);
    else
        snprintf(out->file, sizeof out->file, "%s", l->source);
    snprintf(out->entry, sizeof out->entry, "%s", out->file);
    char *dot = strrchr(out->entry, '.');
    if (dot && dot != out->entry)
        *dot = '\0';
}

/* {memory_mb}: the JVM's -Xmx{memory_mb}m lets its heap reach the cgroup's
 * limit, so a heap bomb ends in the kernel's OOM kill (memory_limit), not
 * in Java's own OutOfMemoryError. {source}/{class}: the file the submission
 * is stored as and its entry (Java: the public class's name). */
void languages_expand_argv(char *const *argv, const nsj_limits_t *l, const lang_source_name_t *name,
                           char buf[][256], const char **out)
{
    char mb[32];
    snprintf(mb, sizeof mb, "%llu", (unsigned long long)(l->memory_bytes >> 20));
    const char *ph[][2] = {{"{memory_mb}", mb}, {"{source}", name->file}, {"{class}", name->entry}};
    size_t i;
    for (i = 0; argv[i] && i < LANG_MAX_ARGS; i++) {
        const char *a = argv[i];
        if (!strchr(a, '{')) {
            out[i] = a;
            continue;
        }
        size_t o = 0;
        while (*a && o < 255) {
            size_t k;
            for (k = 0; k < sizeof ph / sizeof ph[0]; k++)
                if (!strncmp(a, ph[k][0], strlen(ph[k][0])))
                    break;
            if (k == sizeof ph / sizeof ph[0]) {
                buf[i][o++] = *a++;
                continue;
            }
            o += (size_t)snprintf(buf[i] + o, 256 - o, "%s", ph[k][1]);
            if (o > 255)
                o = 255;
            a += strlen(ph[k][0]);
        }
        buf[i][o] = '\0';
        out[i] = buf[i];
    }
    out[i] = NULL;
}

void languages_run_limits(const language_t *l, const nsj_limits_t *base, nsj_limits_t *out)
{
    *out = *base;
    if (out->pids < l->run_pids_min)
        out->pids = l->run_pids_min;
    out->memory_bytes += l->run_memory_extra;
}

void languages_compile_limits(const language_t *l, const nsj_limits_t *base, nsj_limits_t *out)
{
    const lang_compile_limits_t *c = &l->compile_limits;
    *out = *base;
    if (c->cpu_ms) out->cpu_ms = c->cpu_ms;
    if (c->wall_ms) out->wall_ms = c->wall_ms;
    if (c->memory_bytes) out->memory_bytes = c->memory_bytes;
    if (c->output_bytes) out->output_bytes = c->output_bytes;
    if (c->tmp_bytes) out->tmp_bytes = c->tmp_bytes;
    if (c->fsize_bytes) out->fsize_bytes = c->fsize_bytes;
    if (c->pids) out->pids = c->pids;
    if (c->cpu_millis) out->cpu_millis = c->cpu_millis == UINT32_MAX ? 0 : c->cpu_millis;
}

const language_t *languages_find(const language_table_t *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++) {
        const language_t *l = &t->langs[i];
        if (strcmp(l->name, name) == 0)
            return l;
        for (size_t a = 0; a < l->naliases; a++)
            if (strcmp(l->aliases[a], name) == 0)
                return l;
    }
    return NULL;
}

const language_t *languages_find_listed(const language_table_t *t, const char *name)
{
    const language_t *l = languages_find(t, name);
    return l && l->listed ? l : NULL;
}

int languages_rootfs_path(const language_t *l, char *out, size_t cap, nsj_error_t *err)
{
    struct stat st;
    if (l->rootfs[0] == '/') {
        snprintf(out, cap, "%s", l->rootfs);
    } else {
        const char *dir = getenv("NSJUDGE_ROOTFS_DIR");
        char rel[300];
        snprintf(rel, sizeof rel, "rootfs/%s", l->rootfs);
        if (dir && *dir)
            snprintf(out, cap, "%s/%s", dir, l->rootfs);
        else if (paths_find_data(rel, out, cap) < 0)
            return nsj_error_set(err, ENOENT, "rootfs '%s' for %s not found (run make rootfs, or set NSJUDGE_ROOTFS_DIR)",
                                 l->rootfs, l->name);
    }
    if (stat(out, &st) < 0 || !S_ISDIR(st.st_mode))
        return nsj_error_set(err, ENOENT, "rootfs %s for %s is not a directory (run make rootfs)", out, l->name);
    return 0;
}
