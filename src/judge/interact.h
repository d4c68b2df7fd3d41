/* The verdict of one interactive test from its two sandboxes' outcomes
 * (nsjudge/pair.h), by the rules in README.md ("Interactive problems"). */
#ifndef NSJ_JUDGE_INTERACT_H
#define NSJ_JUDGE_INTERACT_H

#include <stdbool.h>

#include "core/status.h"
#include "nsjudge/pair.h"

/* testlib's exit codes that are a judgement of the contestant (anything
 * else an interactor does is its own failure). */
enum {
    INTERACT_EXIT_OK = 0,
    INTERACT_EXIT_WA = 1,
    INTERACT_EXIT_PE = 2,
    INTERACT_EXIT_FAIL = 3,
    INTERACT_EXIT_DIRT = 4,
    INTERACT_EXIT_POINTS = 7,
    INTERACT_EXIT_UNEXPECTED_EOF = 8,
};

typedef struct interact_outcome {
    core_status_t status;
    bool interactor_failed;      /* internal_error because of the interactor (not the host) */
    char evidence[512];
} interact_outcome_t;

/* Decide one test. */
void interact_decide(const nsj_pair_result_t *pr, interact_outcome_t *out);

#endif
