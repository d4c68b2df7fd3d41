/* The outcome of one sandboxed run: a verdict, the program's own exit
 * status, metering, captured output and the kernel evidence behind the
 * verdict. */
#ifndef NSJUDGE_RESULT_H
#define NSJUDGE_RESULT_H

#include <stddef.h>
#include <stdint.h>

typedef enum nsj_verdict {
    NSJ_VERDICT_OK = 0,
    NSJ_VERDICT_RUNTIME_ERROR,   /* exit code != 0 or killed by a signal */
    NSJ_VERDICT_TIME_LIMIT,      /* CPU or wall limit; see time_kind */
    NSJ_VERDICT_MEMORY_LIMIT,    /* the cgroup's OOM-kill count rose */
    NSJ_VERDICT_OUTPUT_LIMIT,    /* stdout or stderr over its cap */
    NSJ_VERDICT_SYSCALL_BLOCKED, /* a syscall the policy marks "kill" */
    NSJ_VERDICT_INTERNAL_ERROR,  /* the sandbox itself failed */
} nsj_verdict_t;

typedef enum nsj_time_kind {
    NSJ_TIME_NONE = 0,
    NSJ_TIME_CPU,
    NSJ_TIME_WALL,
} nsj_time_kind_t;

typedef struct nsj_result {
    nsj_verdict_t verdict;
    nsj_time_kind_t time_kind;   /* which limit, when verdict is time_limit */
    int exit_code;               /* -1 when the program did not exit normally */
    int signal;                  /* 0 when the program was not killed by a signal */
    char *out;                   /* captured stdout (owned, NUL-terminated) */
    size_t out_len;
    char *err;                   /* captured stderr (owned, NUL-terminated) */
    size_t err_len;
    int out_truncated;           /* output beyond the cap was discarded */
    int err_truncated;
    uint64_t cpu_ms;             /* CPU time of the whole cgroup */
    uint64_t wall_ms;            /* from clone to the end of the sandbox */
    uint64_t memory_kb;          /* peak memory of the whole cgroup */
    uint64_t ended_ns;           /* CLOCK_MONOTONIC: when the program ended, or when the
                                  * supervisor killed it (0 if it never ran) */
    char evidence[512];          /* e.g. "oom_kill=1", "wall timer 10000 ms" */
    char message[512];           /* internal_error: which step failed and why */
} nsj_result_t;

/* The verdict's wire name: "ok", "runtime_error", "time_limit", ... */
const char *nsj_verdict_name(nsj_verdict_t v);

/* Parse a wire name back into a verdict; returns <0 when unknown. */
int nsj_verdict_from_name(const char *name, nsj_verdict_t *out);

/* Initialise an empty result (exit_code -1, no output). */
void nsj_result_init(nsj_result_t *r);

/* Release the output buffers of a result. */
void nsj_result_free(nsj_result_t *r);

#endif
