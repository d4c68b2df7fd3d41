#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
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
    b->source = (nsj_file_t){.name = lang->source, .data = source, .len = len, .mode = mode};
    if (!lang->compile_argc)
        return 0;
    if (nsj_scratch_new(sb, JUDGE_BOX_BYTES, JUDGE_BOX_INODES, &b->scratch, err) < 0)
        return nsj_error_wrap(err, "build");
    b->box = (nsj_bind_t){.host_path = nsj_scratch_path(b->scratch), .sandbox_path = "/box", .flags = 0};
    return 0;
}

static const char *const *expand(judge_build_t *b, char *const *argv, const nsj_limits_t *l)
{
    languages_expand_argv(argv, l, b->argbuf, b->argv);
    return b->argv;
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
    spec.files = &b->source;
    spec.nfiles = 1;
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
    spec->files = &b->source;
    spec->nfiles = 1;
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
static void runtime_oom(const language_t *lang, nsj_result_t *res)
{
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
        runtime_oom(b->lang, res);
    return rc;
}

void judge_build_cleanup(judge_build_t *b)
{
    nsj_scratch_free(b->scratch);
    b->scratch = NULL;
}
