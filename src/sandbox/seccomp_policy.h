/* The seccomp policy as data: the files in seccomp/ parsed into rules.
 *
 * Grammar, one statement per line ('#' starts a comment):
 *   default ACTION                  action for syscalls no rule names
 *   badarch ACTION                  action for foreign architectures and x32
 *   ACTION SYSCALL... [if COND [and COND]...]
 * ACTION is "allow", "kill" or "errno NAME" (EPERM, ENOSYS, ...). "kill" ends
 * the run as syscall_blocked naming the call. COND is "argN == V",
 * "argN != V", "argN & V" (any bit of V set) or "argN not-in V,V,..." (an
 * allowlist: any value but these); at most one '&' or 'not-in' per rule. V
 * is a number or FLAG[|FLAG...] from a fixed table (CLONE_NEW*, AF_*). */
#ifndef NSJ_SECCOMP_POLICY_H
#define NSJ_SECCOMP_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "nsjudge/error.h"

typedef enum secpol_kind { SECPOL_ALLOW, SECPOL_ERRNO, SECPOL_KILL } secpol_kind_t;

typedef struct secpol_action {
    secpol_kind_t kind;
    int errnum;                 /* SECPOL_ERRNO */
} secpol_action_t;

typedef enum secpol_op { SECPOL_EQ, SECPOL_NE, SECPOL_ANYBIT, SECPOL_NOTIN } secpol_op_t;

#define SECPOL_MAX_SET 8

typedef struct secpol_cond {
    unsigned arg;               /* 0..5 */
    secpol_op_t op;
    uint64_t value;             /* EQ, NE, ANYBIT */
    uint64_t set[SECPOL_MAX_SET]; /* NOTIN: the allowed values, ascending */
    unsigned nset;
} secpol_cond_t;

#define SECPOL_MAX_CONDS 4

typedef struct secpol_rule {
    int nr;                     /* native syscall number */
    char name[40];
    secpol_action_t action;
    secpol_cond_t cond[SECPOL_MAX_CONDS];
    unsigned ncond;
    unsigned line;
} secpol_rule_t;

typedef struct seccomp_policy {
    secpol_action_t def;
    secpol_action_t badarch;
    secpol_rule_t *rules;
    size_t nrules;
} seccomp_policy_t;

/* Parse policy text; errors name "file:line". Unknown syscalls, actions,
 * errno names and flags are errors. */
int seccomp_policy_parse(const char *text, const char *fname, seccomp_policy_t *out, nsj_error_t *err);
void seccomp_policy_free(seccomp_policy_t *p);

/* Find the rule for a syscall name (first match), or NULL. */
const secpol_rule_t *seccomp_policy_find(const seccomp_policy_t *p, const char *name);

#endif
