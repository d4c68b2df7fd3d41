/* The warm path as the worker uses it: one long-lived process running N
 * runs back to back through the library (opts.warm), alternated run by run
 * with a bare fork+exec of the same program on the host: posix_spawn, the
 * cheapest one (glibc's is a vfork-like clone that copies no page table; a
 * fork() of this multi-threaded process copies its page tables, which on a
 * host where that is dear (a PVM guest: ~4 ms) would flatter the sandbox).
 *
 *   warm RUNS ROOTFS HOST_PROGRAM SANDBOX_PROGRAM FILE
 *     bare: HOST_PROGRAM FILE, or FILE itself when HOST_PROGRAM is "-"
 *     sandboxed: FILE is given as /code/<basename> (executable), run as
 *     SANDBOX_PROGRAM /code/<basename>, or itself when that is "-"
 *
 * Prints "bare ..." and "warm ..." lines (median_us, p99_us) and a "cpu"
 * line: the CPU per run spent outside the program's cgroup (this process's
 * threads and its reaped children, minus what the runs' cgroups counted):
 * the supervisor, the preparer thread, init before it joins its cgroup, the
 * netns helper, and the kernel work done on their behalf. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <libgen.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "nsjudge/sandbox.h"

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* One bare run; its wall time in us, its own CPU (wait4's rusage) added to *cpu_ms_sum. */
static double bare(const char *prog, const char *file, int devnull, double *cpu_ms_sum)
{
    char *av[] = {(char *)prog, (char *)file, NULL};
    if (strcmp(prog, "-") == 0)
        av[0] = (char *)file, av[1] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, devnull, 1);
    posix_spawn_file_actions_adddup2(&fa, devnull, 2);
    double t0 = now_us();
    pid_t p;
    int err = posix_spawn(&p, av[0], &fa, NULL, av, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err != 0) {
        fprintf(stderr, "warm: bare %s: %s\n", av[0], strerror(err));
        exit(1);
    }
    int st;
    struct rusage ru;
    wait4(p, &st, 0, &ru);
    *cpu_ms_sum += (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                   (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "warm: bare %s %s exited with status %d\n", prog, file, st);
        exit(1);
    }
    return now_us() - t0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *name, double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp);
    printf("%s median_us=%.0f p90_us=%.0f p99_us=%.0f\n", name, t[n / 2], t[n * 9 / 10], t[n * 99 / 100]);
}

static double cpu_ms(void)
{
    struct rusage s, c;
    getrusage(RUSAGE_SELF, &s);
    getrusage(RUSAGE_CHILDREN, &c);
    return (double)(s.ru_utime.tv_sec + s.ru_stime.tv_sec + c.ru_utime.tv_sec + c.ru_stime.tv_sec) * 1e3 +
           (double)(s.ru_utime.tv_usec + s.ru_stime.tv_usec + c.ru_utime.tv_usec + c.ru_stime.tv_usec) / 1e3;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: warm RUNS ROOTFS HOST_PROGRAM SANDBOX_PROGRAM FILE\n");
        return 2;
    }
    int runs = atoi(argv[1]), warmup = 20;
    /* BENCH_GAP_US: a pause before each run, as a worker has between tests
     * (reading, comparing, storing); 0 = truly back to back. */
    const char *g = getenv("BENCH_GAP_US");
    useconds_t gap_us = g ? (useconds_t)atoi(g) : 0;
    const char *file = argv[5];
    if (runs < 10) {
        fprintf(stderr, "warm: RUNS >= 10\n");
        return 2;
    }
    nsj_sandbox_opts_t o = {.warm = 1};
    nsj_sandbox_t *sb;
    nsj_error_t err;
    if (nsj_sandbox_new(&o, &sb, &err) < 0) {
        fprintf(stderr, "warm: %s\n", err.msg);
        return 1;
    }
    char *data, *copy = strdup(file);
    size_t len;
    if (util_read_whole_file(file, 64 << 20, &data, &len, &err) < 0) {
        fprintf(stderr, "warm: %s\n", err.msg);
        return 1;
    }
    nsj_file_t f = {.name = basename(copy), .data = data, .len = len, .mode = 0755};
    char codepath[300];
    snprintf(codepath, sizeof codepath, "/code/%s", f.name);
    const char *av[] = {argv[4], codepath, NULL};
    if (strcmp(argv[4], "-") == 0)
        av[0] = codepath, av[1] = NULL;
    nsj_run_spec_t spec;
    nsj_run_spec_init(&spec);
    spec.rootfs = argv[2];
    spec.argv = av;
    spec.files = &f;
    spec.nfiles = 1;
    int devnull = open("/dev/null", O_WRONLY);
    double *tb = calloc((size_t)runs, sizeof *tb), *tw = calloc((size_t)runs, sizeof *tw);
    double cpu0 = 0, cg_ms = 0, bare_cpu = 0;
    for (int i = -warmup; i < runs; i++) {
        if (i == 0)
            cpu0 = cpu_ms(), bare_cpu = 0;
        /* The bare child's own CPU: this process's children's total would
         * also take the sandboxes' inits reaped meanwhile by the preparer. */
        double b = bare(argv[3], file, devnull, &bare_cpu);
        if (gap_us)
            usleep(gap_us);
        nsj_result_t res;
        double t0 = now_us();
        int rc = nsj_run(sb, &spec, &res);
        double t = now_us() - t0;
        if (rc < 0 || res.verdict != NSJ_VERDICT_OK) {
            fprintf(stderr, "warm: run %d: %s %s\n", i, nsj_verdict_name(res.verdict), res.message);
            return 1;
        }
        if (i >= 0) {
            tb[i] = b, tw[i] = t;
            cg_ms += (double)res.cpu_ms; /* whole ms only: an upper bound of what is subtracted */
        }
        nsj_result_free(&res);
    }
    /* Every run torn down and its init reaped (their CPU counted), then measure. */
    nsj_sandbox_release_warm(sb);
    double machinery = (cpu_ms() - cpu0 - bare_cpu - cg_ms) / runs;
    report("bare", tb, runs);
    report("warm", tw, runs);
    printf("cpu machinery_ms_per_run=%.3f\n", machinery);
    nsj_sandbox_free(sb);
    return 0;
}
