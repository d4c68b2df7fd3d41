#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "common/util.h"
#include "sandbox/internal.h"

int judge_build_init(judge_build_t *b, nsj_sandbox_t *sb, const language_t *lang, const char *rootfs,
                     const char *source, size_t len, unsigned mode, nsj_error_t *err)
{
    memset(b, 0, sizeof *b);
    b->lang = lang;
    b->rootfs = rootfs;
    languages_source_name(lang, source, len, &b->name);
    b->files[0] = (nsj_file_t){.name = b->name.file, .data = source, .len = len, .mode = mode};
    b->nfiles = 1;
    if (!lang->compile_argc)
        return 0;
    if (nsj_scratch_new(sb, JUDGE_BOX_BYTES, JUDGE_BOX_INODES, &b->scratch, err) < 0)
        return nsj_error_wrap(err, "build");
    b->box = (nsj_bind_t){.host_path = nsj_scratch_path(b->scratch), .sandbox_path = "/box", .flags = 0};
    return 0;
}

int judge_build_add_file(judge_build_t *b, const char *name, const char *data, size_t len, nsj_error_t *err)
{
    if (b->nfiles >= ARRAY_SIZE(b->files))
        return nsj_error_set(err, E2BIG, "build: more than %d helper files", JUDGE_BUILD_FILES_MAX);
    for (size_t i = 0; i < b->nfiles; i++)
        if (strcmp(b->files[i].name, name) == 0)
            return nsj_error_set(err, EEXIST, "build: two files named %s in /code", name);
    b->files[b->nfiles++] = (nsj_file_t){.name = name, .data = data, .len = len, .mode = 0644};
    return 0;
}

const char *judge_build_box_path(const judge_build_t *b)
{
    return b->scratch ? nsj_scratch_path(b->scratch) : NULL;
}

int judge_build_fill_box(judge_build_t *b, int src_dirfd, nsj_error_t *err)
{
    if (!b->scratch)
        return nsj_error_set(err, EINVAL, "build: %s has no /box to fill", b->lang->name);
    int dst = open(nsj_scratch_path(b->scratch), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dst < 0)
        return nsj_error_set(err, errno, "build: open /box");
    int rc = util_copy_tree(src_dirfd, dst, err);
    close(dst);
    if (rc == 0)
        rc = nsj_scratch_seal(b->scratch, err);
    return rc < 0 ? nsj_error_wrap(err, "build: fill /box") : 0;
}

static const char *const *expand(judge_build_t *b, char *const *argv, const nsj_limits_t *l)
{
    languages_expand_argv(argv, l, &b->name, b->argbuf, b->argv);
    return b->argv;
}

static uint32_t be(const unsigned char *p, int n)
{
    uint32_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Does this class file declare public static void main(String[])? Walks
 * the constant pool (JVMS 4.4), skips the fields, reads each method's
 * flags, name and descriptor. */
static bool class_has_main(const unsigned char *d, size_t len)
{
    static const char name[] = "main", desc[] = "([Ljava/lang/String;)V";
    if (len < 10 || be(d, 4) != 0xCAFEBABE)
        return false;
    uint32_t count = be(d + 8, 2);
    size_t p = 10;
    cleanup_free uint32_t *off = calloc(count ? count : 1, sizeof *off);
    if (!off)
        return false;
    for (uint32_t i = 1; i < count; i++) {
        if (p >= len)
            return false;
        off[i] = (uint32_t)p;
        switch (d[p]) {
        case 1: if (p + 3 > len) return false; p += 3 + be(d + p + 1, 2); break;
        case 3: case 4: case 9: case 10: case 11: case 12: case 17: case 18: p += 5; break;
        case 5: case 6: p += 9; i++; break;
        case 7: case 8: case 16: case 19: case 20: p += 3; break;
        case 15: p += 4; break;
        default: return false;
        }
    }
    if (p + 8 > len)
        return false;
    p += 6;
    p += 2 + 2 * (size_t)be(d + p, 2); /* interfaces */
    for (int pass = 0; pass < 2; pass++) { /* fields, then methods */
        if (p + 2 > len)
            return false;
        uint32_t n = be(d + p, 2);
        p += 2;
        for (uint32_t m = 0; m < n; m++) {
            if (p + 8 > len)
                return false;
            uint32_t flags = be(d + p, 2), ni = be(d + p + 2, 2), di = be(d + p + 4, 2), na = be(d + p + 6, 2);
            p += 8;
            if (pass == 1 && (flags & 0x0009) == 0x0009 && ni < count && di < count && off[ni] && off[di]) {
                const unsigned char *a = d + off[ni], *b = d + off[di];
                if (a[0] == 1 && be(a + 1, 2) == sizeof name - 1 && !memcmp(a + 3, name, sizeof name - 1) &&
                    b[0] == 1 && be(b + 1, 2) == sizeof desc - 1 && !memcmp(b + 3, desc, sizeof desc - 1))
                    return true;
            }
            for (uint32_t k = 0; k < na; k++) {
                if (p + 6 > len)
                    return false;
                p += 6 + be(d + p + 2, 4);
            }
        }
    }
    return false;
}

/* The entry class of a java-class language: /box/<entry>.class with main. */
static void check_java_entry(judge_build_t *b, nsj_result_t *res)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.class", nsj_scratch_path(b->scratch), b->name.entry);
    cleanup_free char *data = NULL;
    size_t len = 0;
    nsj_error_t err;
    if (util_read_whole_file(path, 64 << 20, &data, &len, &err) < 0) {
        res->verdict = NSJ_VERDICT_RUNTIME_ERROR;
        verdict_add_evidence(res, "the compile step made no class %s (Java runs the file's public class, "
                                  "else Main)", b->name.entry);
    } else if (!class_has_main((const unsigned char *)data, len)) {
        res->verdict = NSJ_VERDICT_RUNTIME_ERROR;
        verdict_add_evidence(res, "class %s has no public static void main(String[])", b->name.entry);
    }
}

int judge_build_compile(judge_build_t *b, nsj_sandbox_t *sb, const nsj_limits_t *base, nsj_result_t *res)
{
    nsj_result_init(res);
    if (!b->lang->compile_argc)
        return 0;
    nsj_run_spec_t spec;
    nsj_run_spec_init(&spec);
    languages_compile_limits(b->lang, base, &spec.limits);
    nsj_bind_t rw = b->box;
    rw.flags = NSJ_BIND_RW | NSJ_BIND_NOEXEC;
    spec.rootfs = b->rootfs;
    spec.files = b->files;
    spec.nfiles = b->nfiles;
    spec.binds = &rw;
    spec.nbinds = 1;
    spec.argv = expand(b, b->lang->compile_argv, &spec.limits);
    spec.envp = (const char *const *)b->lang->env;
    spec.cwd = "/box";
    if (nsj_run(sb, &spec, res) < 0)
        return -1;
    if (res->verdict != NSJ_VERDICT_OK)
        return 1;
    nsj_error_t err;
    if (nsj_scratch_seal(b->scratch, &err) < 0) {
        res->verdict = NSJ_VERDICT_INTERNAL_ERROR;
        snprintf(res->message, sizeof res->message, "build: %.480s", err.msg);
        return -1;
    }
    /* A compiler that succeeds without making the program (go build of a
     * package other than main writes an archive, not an executable): the
     * submission's fault, a compile error, not a failed execve later. */
    if (b->lang->entry == LANG_ENTRY_JAVA_CLASS) {
        check_java_entry(b, res);
        return res->verdict == NSJ_VERDICT_OK ? 0 : 1;
    }
    const char *prog = b->lang->run_argv[0];
    if (prog && strncmp(prog, "/box/", 5) == 0) {
        char path[4200];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", nsj_scratch_path(b->scratch), prog + 5);
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
            res->verdict = NSJ_VERDICT_RUNTIME_ERROR;
            verdict_add_evidence(res, "the compile step made no executable %s (a program needs its entry point: "
                                      "Go: package main with func main)", prog);
            return 1;
        }
    }
    return 0;
}

void judge_build_run_spec(judge_build_t *b, const nsj_limits_t *base, nsj_run_spec_t *spec)
{
    languages_run_limits(b->lang, base, &spec->limits);
    spec->rootfs = b->rootfs;
    spec->files = b->files;
    spec->nfiles = b->nfiles;
    spec->files_dir = "/code";
    if (b->scratch) {
        spec->binds = &b->box;
        spec->nbinds = 1;
    }
    spec->argv = expand(b, b->lang->run_argv, &spec->limits);
    spec->envp = (const char *const *)b->lang->env;
    spec->cwd = "/code";
}

/* The runtime's own word that it ran out of memory (a line of its stderr
 * holding one of the language's oom patterns) turns a runtime error into
 * memory_limit; the line goes into the evidence. */
void judge_build_runtime_oom(const judge_build_t *b, nsj_result_t *res)
{
    const language_t *lang = b->lang;
    if (res->verdict != NSJ_VERDICT_RUNTIME_ERROR || !res->err)
        return;
    for (size_t i = 0; i < lang->noom; i++) {
        const char *hit = memmem(res->err, res->err_len, lang->oom[i], strlen(lang->oom[i]));
        if (!hit)
            continue;
        const char *bol = hit, *end = res->err + res->err_len;
        while (bol > res->err && bol[-1] != '\n')
            bol--;
        const char *eol = memchr(hit, '\n', (size_t)(end - hit));
        int n = (int)((eol ? eol : end) - bol);
        res->verdict = NSJ_VERDICT_MEMORY_LIMIT;
        verdict_add_evidence(res, "runtime out of memory: %.*s", n > 120 ? 120 : n, bol);
        return;
    }
}

int judge_build_run(judge_build_t *b, nsj_sandbox_t *sb, const nsj_run_spec_t *spec, nsj_result_t *res)
{
    int rc = nsj_run(sb, spec, res);
    if (rc == 0)
        judge_build_runtime_oom(b, res);
    return rc;
}

void judge_build_cleanup(judge_build_t *b)
{
    nsj_scratch_free(b->scratch);
    b->scratch = NULL;
}
