/* abrun: time two commands side by side, alternating them run by run so a
 * noisy machine slows both alike. Prints one line per command with the
 * median, p90 and mean wall time in microseconds.
 *
 *   abrun RUNS WARMUP -- CMD_A ARGS... -- CMD_B ARGS...
 *
 * Output of the commands goes to /dev/null; a command that exits non-zero
 * fails the benchmark (a broken sandbox must not look fast). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static double run(char **argv, int devnull)
{
    double t0 = now_us();
    pid_t p = fork();
    if (p == 0) {
        int in = open("/dev/null", O_RDONLY);
        dup2(in, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    waitpid(p, &st, 0);
    double t = now_us() - t0;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "abrun: %s exited with status %d\n", argv[0], st);
        exit(1);
    }
    return t;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *name, double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += t[i];
    printf("%s median_us=%.0f p90_us=%.0f p99_us=%.0f mean_us=%.0f\n", name, t[n / 2], t[n * 9 / 10],
           t[n * 99 / 100], sum / n);
}

int main(int argc, char **argv)
{
    if (argc < 6 || strcmp(argv[3], "--") != 0) {
        fprintf(stderr, "usage: abrun RUNS WARMUP -- CMD_A... -- CMD_B...\n");
        return 2;
    }
    int runs = atoi(argv[1]), warm = atoi(argv[2]);
    char **a = argv + 4, **b = NULL;
    for (int i = 4; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) {
            argv[i] = NULL;
            b = argv + i + 1;
        }
    if (!b || !*b || runs < 10) {
        fprintf(stderr, "usage: abrun RUNS WARMUP -- CMD_A... -- CMD_B... (RUNS >= 10)\n");
        return 2;
    }
    int devnull = open("/dev/null", O_WRONLY);
    double *ta = calloc((size_t)runs, sizeof *ta), *tb = calloc((size_t)runs, sizeof *tb);
    for (int i = 0; i < warm; i++)
        run(a, devnull), run(b, devnull);
    for (int i = 0; i < runs; i++) {
        /* Alternate which goes first, too. */
        if (i % 2) {
            ta[i] = run(a, devnull);
            tb[i] = run(b, devnull);
        } else {
            tb[i] = run(b, devnull);
            ta[i] = run(a, devnull);
        }
    }
    report("A", ta, runs);
    report("B", tb, runs);
    return 0;
}
