/* The Docker path, as judges in the field run it: `docker run` per program
 * with the usual flags, verdicts from `docker inspect`. Here to compare
 * against (make bench-docker); it uses nothing of the sandbox library. */
#ifndef NSJ_DOCKER_BACKEND_H
#define NSJ_DOCKER_BACKEND_H

#include <stdint.h>

#include "nsjudge/error.h"
#include "nsjudge/result.h"
#include "nsjudge/sandbox.h"

typedef struct docker_outcome {
    int started;            /* the container was created and ran */
    int oom_killed;         /* State.OOMKilled */
    int exit_code;          /* State.ExitCode (128+N when killed by signal N) */
    int timed_out;          /* killed by us at the wall limit */
    int out_over, err_over; /* output beyond the cap */
    char error[400];        /* docker's own failure (CLI stderr or State.Error) */
} docker_outcome_t;

/* Pure: the namespace back end's result fields from a Docker outcome. */
void docker_outcome_to_result(const docker_outcome_t *o, const nsj_limits_t *l, nsj_result_t *res);

typedef struct docker_run_opts {
    const char *image;          /* e.g. nsjudge-python */
    const char *const *argv;    /* command inside the container */
    const char *source_name;    /* file name under /code */
    const char *source;
    size_t source_len;
    unsigned source_mode;
    int stdin_fd;               /* -1 = empty stdin */
    const char *box_dir;        /* a host directory bound at /box, or NULL */
    int box_rw;                 /* bound read-write (the compile step) */
    nsj_limits_t limits;        /* memory, cpus, pids, wall, output, tmp */
} docker_run_opts_t;

/* Run one program through the docker CLI; fills res like nsj_run(). <0 on
 * internal_error. Needs `docker` on PATH (DOCKER_HOST honoured). */
int docker_run(const docker_run_opts_t *o, nsj_result_t *res);

#endif
