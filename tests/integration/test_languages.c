/* Every language of etc/languages.conf, through the sandbox as the judge
 * runs it: compile once inside the sandbox (compiled languages), then run.
 *
 * Cases are files in tests/languages/<language>/, labelled in a header
 * comment ('#' or '//' lines at the top):
 *   expect: passed | failed | runtime_error | time_limit | memory_limit |
 *           output_limit | syscall_blocked | compile_error | ok
 *   stdin:  text given to the program (\n escapes)       (optional)
 *   want:   expected output, judged by the judge's rule   (passed/failed)
 *   stdout: text the program's output must contain       (optional)
 *   signal: N     the program must have died by signal N  (optional)
 *   exit:   N     its exit code must be N                 (optional)
 *   limits: --memory 64m --time 1 --wall 2 --pids 16 --output 64k
 * `passed`/`failed` are the judge's statuses for ok runs whose output does
 * or does not match `want`. NSJUDGE_TEST_LANG=java limits to one language. */
#define _GNU_SOURCE
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/require.h"
#include "common/util.h"
#include "judge/build.h"
#include "judge/compare.h"
#include "judge/languages.h"
#include "nsjudge/sandbox.h"

typedef struct lcase {
    char path[4400], name[256];
    char expect[32], input[1024], want[1024], stdout_has[256];
    int signal, exit_code; /* -1 = not checked */
    nsj_limits_t limits;
} lcase_t;

static nsj_sandbox_t *sb;
static language_table_t langs;
static char home[2048], why[1024];

static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] == 'n') {
            *w++ = '\n';
            r++;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

static int parse_limits(char *s, nsj_limits_t *l)
{
    char *save = NULL;
    for (char *opt = strtok_r(s, " ", &save); opt; opt = strtok_r(NULL, " ", &save)) {
        char *v = strtok_r(NULL, " ", &save);
        uint64_t n;
        if (!v)
            return -1;
        if (!strcmp(opt, "--memory") && util_parse_size(v, &l->memory_bytes) == 0) continue;
        if (!strcmp(opt, "--time") && util_parse_seconds_ms(v, &l->cpu_ms) == 0) continue;
        if (!strcmp(opt, "--wall") && util_parse_seconds_ms(v, &l->wall_ms) == 0) continue;
        if (!strcmp(opt, "--output") && util_parse_size(v, &l->output_bytes) == 0) continue;
        if (!strcmp(opt, "--cpus") && util_parse_millis(v, &l->cpu_millis) == 0) continue;
        if (!strcmp(opt, "--pids") && util_parse_u64(v, 100000, &n) == 0) {
            l->pids = (uint32_t)n;
            continue;
        }
        return -1;
    }
    return 0;
}

static int parse_case(lcase_t *c)
{
    FILE *f = fopen(c->path, "r");
    if (!f)
        return -1;
    char line[2048];
    c->signal = c->exit_code = -1;
    nsj_limits_default(&c->limits);
    while (fgets(line, sizeof line, f)) {
        char *p = line;
        if (p[0] == '#')
            p++;
        else if (p[0] == '/' && p[1] == '/')
            p += 2;
        else
            break;
        p[strcspn(p, "\n")] = '\0';
        p += strspn(p, " ");
        char *colon = strchr(p, ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *v = colon + 1 + strspn(colon + 1, " ");
        if (!strcmp(p, "expect")) snprintf(c->expect, sizeof c->expect, "%s", v);
        else if (!strcmp(p, "stdin")) snprintf(c->input, sizeof c->input, "%s", v), unescape(c->input);
        else if (!strcmp(p, "want")) snprintf(c->want, sizeof c->want, "%s", v), unescape(c->want);
        else if (!strcmp(p, "stdout")) snprintf(c->stdout_has, sizeof c->stdout_has, "%s", v);
        else if (!strcmp(p, "signal")) c->signal = atoi(v);
        else if (!strcmp(p, "exit")) c->exit_code = atoi(v);
        else if (!strcmp(p, "limits") && parse_limits(v, &c->limits) < 0) {
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return c->expect[0] ? 0 : -1;
}

/* The judge's status of one case: compile_error, a verdict, or for ok runs
 * with an expected output passed/failed. */
static void run_case(const language_t *lang, const char *rootfs, const lcase_t *c)
{
    char *src;
    size_t len;
    nsj_error_t err;
    if (util_read_whole_file(c->path, 1 << 20, &src, &len, &err) < 0)
        fail_msg("%s", err.msg);
    judge_build_t b;
    if (judge_build_init(&b, sb, lang, rootfs, src, len, 0644, &err) < 0)
        fail_msg("%s: %s", c->name, err.msg);
    nsj_result_t r;
    char status[32];
    int crc = judge_build_compile(&b, sb, &c->limits, &r);
    if (crc < 0)
        fail_msg("%s: compile step failed: %s", c->name, r.message);
    if (crc == 1) {
        snprintf(status, sizeof status, "compile_error");
    } else {
        nsj_result_free(&r);
        nsj_run_spec_t spec;
        nsj_run_spec_init(&spec);
        judge_build_run_spec(&b, &c->limits, &spec);
        spec.stdin_data = c->input;
        spec.stdin_len = strlen(c->input);
        if (judge_build_run(&b, sb, &spec, &r) < 0)
            fail_msg("%s: run failed: %s", c->name, r.message);
        snprintf(status, sizeof status, "%s", nsj_verdict_name(r.verdict));
        if (r.verdict == NSJ_VERDICT_OK && c->want[0])
            snprintf(status, sizeof status, "%s",
                     judge_output_matches(r.out, r.out_len, c->want, strlen(c->want)) ? "passed" : "failed");
    }
    judge_build_cleanup(&b);
    int ok = !strcmp(status, c->expect) && (!c->stdout_has[0] || strstr(r.out, c->stdout_has)) &&
             (c->signal < 0 || r.signal == c->signal) && (c->exit_code < 0 || r.exit_code == c->exit_code);
    if (!ok)
        fail_msg("%s/%s: got %s (expected %s), exit %d, signal %d\n  evidence: %s %s\n  stdout: %.300s\n  stderr: %.600s",
                 lang->name, c->name, status, c->expect, r.exit_code, r.signal, r.evidence, r.message, r.out, r.err);
    print_message("  %-12s %-24s %-14s %5llu ms cpu %6llu KiB\n", lang->name, c->name, status,
                  (unsigned long long)r.cpu_ms, (unsigned long long)r.memory_kb);
    nsj_result_free(&r);
    free(src);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const lcase_t *)a)->name, ((const lcase_t *)b)->name);
}

static void language(void **state)
{
    const language_t *lang = *state;
    REQUIRE(sb, "%s", why);
    char rootfs[4096], dir[4096];
    nsj_error_t err;
    REQUIRE(languages_rootfs_path(lang, rootfs, sizeof rootfs, &err) == 0, "%s", err.msg);
    snprintf(dir, sizeof dir, "%s/tests/languages/%s", home, lang->name);
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("no test cases for %s in %s", lang->name, dir);
    static lcase_t cases[64];
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < 64;) {
        if (e->d_name[0] == '.')
            continue;
        lcase_t *c = &cases[n];
        memset(c, 0, sizeof *c);
        snprintf(c->name, sizeof c->name, "%s", e->d_name);
        snprintf(c->path, sizeof c->path, "%s/%s", dir, e->d_name);
        if (parse_case(c) < 0)
            fail_msg("%s: bad or missing labels", c->path);
        n++;
    }
    closedir(d);
    qsort(cases, (size_t)n, sizeof cases[0], by_name);
    assert_true(n > 0);
    for (int i = 0; i < n; i++)
        run_case(lang, rootfs, &cases[i]);
}

int main(void)
{
    const char *h = getenv("NSJUDGE_HOME");
    snprintf(home, sizeof home, "%s", h && *h ? h : ".");
    nsj_error_t err;
    char conf[4200];
    snprintf(conf, sizeof conf, "%s/etc/languages.conf", home);
    if (languages_load(conf, &langs, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    if (geteuid() != 0)
        snprintf(why, sizeof why, "the sandbox needs root");
    else if (nsj_sandbox_new(NULL, &sb, &err) < 0)
        snprintf(why, sizeof why, "sandbox: %s", err.msg);
    const char *only = getenv("NSJUDGE_TEST_LANG");
    struct CMUnitTest tests[32];
    size_t n = 0;
    for (size_t i = 0; i < langs.n && n < 32; i++) {
        if (!strcmp(langs.langs[i].name, "binary") || (only && *only && strcmp(only, langs.langs[i].name)))
            continue;
        tests[n] = (struct CMUnitTest){.name = langs.langs[i].name, .test_func = language,
                                       .initial_state = &langs.langs[i]};
        n++;
    }
    int failed = _cmocka_run_group_tests("languages", tests, n, NULL, NULL);
    nsj_sandbox_free(sb);
    languages_free(&langs);
    return failed ? 1 : 0;
}
