/* Interactive runs: a contestant's program and an interactor, each in its
 * own sandbox (its own slot, cgroup and limits), talking through two pipes
 * the supervisors never touch: the contestant's stdout is the interactor's
 * stdin, the interactor's stdout the contestant's stdin. */
#ifndef NSJUDGE_PAIR_H
#define NSJUDGE_PAIR_H

#include "sandbox.h"

typedef struct nsj_pair_spec {
    /* Each a full run spec. Their stdin/stdout are the pipes (a stdin_*
     * or program_std*_fd given is refused). The pair uses the contestant's
     * cancel_fd and the interactor's on_exec and ud itself (the
     * interactor's on_output is not called); the interactor's cancel_fd
     * stops both, whenever it becomes readable. The contestant's wall limit is the exchange's wall clock:
     * give the interactor a longer one, so that a contestant that stalls is
     * stopped first. */
    nsj_run_spec_t contestant;
    nsj_run_spec_t interactor;
    /* Keep the first transcript_max bytes of the exchange (0 = none: the
     * programs then share kernel pipes and nothing sits between them; with
     * a transcript a relay thread of the pair's moves the bytes). */
    size_t transcript_max;
} nsj_pair_spec_t;

typedef struct nsj_pair_result {
    nsj_result_t contestant;     /* when contestant_ran */
    nsj_result_t interactor;
    int rc_contestant, rc_interactor; /* nsj_run's return: <0 = that sandbox's internal_error */
    /* The contestant starts once the interactor is about to execve; 0 when
     * the interactor ended unsuccessfully before that. */
    int contestant_ran;
    /* The interactor's sandbox ended before the contestant's. Each side
     * sees EOF or EPIPE only after the other's sandbox ended and its
     * supervisor let go of the pipes, so whatever that side did next is
     * ordered after the other's end. */
    int interactor_first;
    /* The interactor ended with anything but exit code 0 before the
     * contestant's run was over: the contestant was then stopped (killed,
     * unless it had ended already: the exchange is over either way). */
    int contestant_stopped;
    /* With transcript_max: the exchange in order, each direction's bytes
     * under a "--- program:" or "--- interactor:" line (owned); NULL else. */
    char *transcript;
    size_t transcript_len;
    int transcript_truncated;    /* the exchange went on past transcript_max */
} nsj_pair_result_t;

/* Run the pair to completion; always fills res (nsj_pair_result_free() it).
 * Returns 0 when both sandboxes reached an outcome, <0 when either had an
 * internal error (see rc_contestant / rc_interactor and their messages). */
int nsj_run_pair(nsj_sandbox_t *sb, const nsj_pair_spec_t *spec, nsj_pair_result_t *res);

void nsj_pair_result_free(nsj_pair_result_t *res);

#endif
