/* The supervisor's own CPU for a program that floods stdout with 1-byte
 * writes: the supervisor runs outside any cgroup, so what it spends is
 * paid by the host, not the run.
 *   supcost PROBE ROOTFS MS  -> program_cpu_ms=... supervisor_cpu_ms=... ratio=... */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/resource.h>

#include "common/util.h"
#include "nsjudge/sandbox.h"

static double ms(const struct timeval *a, const struct timeval *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_usec - a->tv_usec) / 1e3;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: supcost PROBE ROOTFS MS\n");
        return 2;
    }
    nsj_sandbox_t *sb;
    nsj_error_t err;
    char *probe;
    size_t len;
    if (nsj_sandbox_new(NULL, &sb, &err) < 0 || util_read_whole_file(argv[1], 64 << 20, &probe, &len, &err) < 0) {
        fprintf(stderr, "supcost: %s\n", err.msg);
        return 1;
    }
    nsj_file_t f = {.name = "main", .data = probe, .len = len, .mode = 0755};
    const char *av[] = {"/code/main", "trickle", argv[3], NULL};
    nsj_run_spec_t spec;
    nsj_run_spec_init(&spec);
    spec.rootfs = argv[2];
    spec.files = &f;
    spec.nfiles = 1;
    spec.argv = av;
    spec.limits.output_bytes = 256 << 20;
    spec.limits.cpu_millis = 0;
    struct rusage a, b;
    getrusage(RUSAGE_THREAD, &a);
    nsj_result_t res;
    int rc = nsj_run(sb, &spec, &res);
    getrusage(RUSAGE_THREAD, &b);
    double sup = ms(&a.ru_utime, &b.ru_utime) + ms(&a.ru_stime, &b.ru_stime);
    if (rc < 0 || res.verdict != NSJ_VERDICT_OK) {
        fprintf(stderr, "supcost: %s %s\n", nsj_verdict_name(res.verdict), res.message);
        return 1;
    }
    printf("program_cpu_ms=%llu supervisor_cpu_ms=%.1f ratio=%.3f bytes=%zu\n", (unsigned long long)res.cpu_ms, sup,
           sup / (double)res.cpu_ms, res.out_len);
    nsj_result_free(&res);
    nsj_sandbox_free(sb);
    return 0;
}
