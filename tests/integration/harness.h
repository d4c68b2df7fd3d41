/* Integration-test harness: real kernel, real sandbox, real payloads.
 *
 * Environment (the Makefile sets the first two):
 *   NSJUDGE_HOME      the checkout (seccomp policy, languages, build/)
 *   NSJUDGE_ROOTFS    the rootfs for payloads (default: rootfs/python)
 *   NSJUDGE_TEST_CGROUP  auto | v1 | v2 (default auto)
 *   NSJUDGE_TEST_WARM    1: the shared sandbox has warm slots (opts.warm) */
#ifndef NSJ_IT_HARNESS_H
#define NSJ_IT_HARNESS_H

#include <stdbool.h>

#include "../common/require.h"
#include "nsjudge/sandbox.h"

typedef struct it_env {
    nsj_sandbox_t *sb;
    char home[2048];
    char rootfs[2048];
    char probe_path[2560];
    char *probe;              /* the probe payload, read once */
    size_t probe_len;
    bool have_python;         /* rootfs has /usr/bin/python3 */
    char unavailable[3072];    /* why the sandbox could not be made, if so */
} it_env_t;

extern it_env_t it;

/* Assertions shared by the test files (cmocka must be included first). */
#define RUN_OK(call, res)                                  \
    do {                                                   \
        if ((call) < 0) {                                  \
            it_dump(#call, res);                           \
            fail_msg("run failed: %s", (res)->message);    \
        }                                                  \
    } while (0)

#define EXPECT_VERDICT(res, v)                                                          \
    do {                                                                                \
        if ((res)->verdict != (v)) {                                                    \
            it_dump("unexpected verdict", res);                                         \
            fail_msg("verdict %s, expected %s", nsj_verdict_name((res)->verdict), nsj_verdict_name(v)); \
        }                                                                               \
    } while (0)

#define EXPECT_LINE(res, line)                                  \
    do {                                                        \
        if (!it_has_line((res)->out, line)) {                   \
            it_dump("missing line", res);                       \
            fail_msg("stdout lacks the line '%s'", line);       \
        }                                                       \
    } while (0)

#define EXPECT_EVIDENCE(res, text)                                           \
    do {                                                                     \
        if (!strstr((res)->evidence, text)) {                                \
            it_dump("evidence", res);                                        \
            fail_msg("evidence '%s' lacks '%s'", (res)->evidence, text);     \
        }                                                                    \
    } while (0)

/* The slot-isolation tests (test_isolation.c); returns how many failed.
 * portable: only those that need nothing but the probe. */
int it_run_isolation_tests(int portable);
/* The warm-slot tests (test_warm.c); returns how many failed. */
int it_run_warm_tests(void);

/* Before counting what runs left on the host: with warm slots, give up
 * this thread's (its prepared run and torn-down runs go with it). */
void it_settle(void);

/* The interactive-pair tests (test_interactive.c); returns how many failed.
 * portable: only those that need nothing but the payloads. */
int it_run_interactive_tests(int portable);

/* Make the shared sandbox once; records why not (tests then REQUIRE it). */
void it_global_setup(void);
void it_global_teardown(void);

/* Skip (or fail under NSJUDGE_TESTS_MUST_RUN=1) when there is no sandbox. */
#define IT_REQUIRE_SANDBOX() REQUIRE(it.sb != NULL, "%s", it.unavailable)
#define IT_REQUIRE_PYTHON() \
    REQUIRE(it.sb != NULL && it.have_python, "python rootfs not built (make rootfs): %s", it.unavailable)

/* Fill spec to run the probe as /code/main with argv in it.rootfs (f holds
 * the probe's file; lim NULL = the default limits). */
void it_probe_spec(nsj_run_spec_t *spec, nsj_file_t *f, const nsj_limits_t *lim, const char *const *argv);

/* Run the probe with args (NULL-terminated) and limits (NULL = defaults). */
int it_probe(nsj_result_t *res, const nsj_limits_t *lim, const char *arg, ...) __attribute__((sentinel));
/* The same, with stdin bytes. */
int it_probe_stdin(nsj_result_t *res, const nsj_limits_t *lim, const char *in, size_t inlen, const char *arg, ...)
    __attribute__((sentinel));
/* Run Python source as /code/main.py. */
int it_python(nsj_result_t *res, const nsj_limits_t *lim, const char *src, const char *in);

/* Does the output contain this line (exactly)? */
bool it_has_line(const char *out, const char *line);
/* Count lines of out. */
int it_count_lines(const char *out);

/* Print a result (on failure diagnostics). */
void it_dump(const char *what, const nsj_result_t *r);

/* Run build/nsjudge with args; captures stdout and stderr; returns exit status. */
int it_cli(char **out, char **err, const char *stdin_text, const char *arg, ...) __attribute__((sentinel));

/* Processes with the slots' host uids in this process's run cgroups. */
int it_count_sandbox_processes(void);
/* The same for the run cgroups of another supervisor process. */
int it_count_sandbox_processes_of(pid_t supervisor);
/* Locks taken with flock() by this process's sandboxes, as the host's
 * /proc/locks lists them (waiters not counted); -1 if it cannot be read. */
int it_count_sandbox_flocks(void);
/* The sandbox's default slots: host ids IT_UID_BASE .. +2*IT_SLOTS-1. */
#define IT_UID_BASE 100000u
#define IT_SLOTS 64u

/* This process's run cgroups (run-<pid>-*) left anywhere under /sys/fs/cgroup. */
int it_count_run_cgroups(void);
int it_count_run_cgroups_of(pid_t supervisor);
/* Host mounts at or under the rootfs, or of type overlay. */
int it_count_mounts(void);
/* Open fds of this process. */
int it_count_fds(void);

#endif
