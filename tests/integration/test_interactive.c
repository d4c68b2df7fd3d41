/* Interactive runs (nsj_run_pair) on the real kernel: a contestant and an
 * interactor (both the static payload tests/payloads/interact.c) in two
 * sandboxes joined by pipes. Each test asserts the outcome of both sides,
 * the order they ended in, the verdict interact_decide draws from them,
 * and that nothing of either sandbox is left. Wall-clock bounds are only
 * upper bounds with wide slack: they show that no shape of the exchange
 * wedges the pair. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/util.h"
#include "harness.h"
#include "judge/interact.h"
#include "nsjudge/pair.h"

static char *payload;
static size_t payload_len;
static char payload_missing[600];

/* The contestant's limits: 1 s of CPU, 4 s of wall clock (the exchange's:
 * 30 round trips take well under that, even in the emulated v2 VM). */
static nsj_limits_t contestant_limits(void)
{
    nsj_limits_t l;
    nsj_limits_default(&l);
    l.cpu_ms = 1000;
    l.wall_ms = 4000;
    l.cpu_millis = 1000;
    return l;
}

/* The interactor's: longer than the contestant's wall clock. */
static nsj_limits_t interactor_limits(void)
{
    nsj_limits_t l;
    nsj_limits_default(&l);
    l.cpu_ms = 2000;
    l.wall_ms = 10000;
    l.cpu_millis = 1000;
    return l;
}

typedef struct shape {
    nsj_pair_result_t pr;
    interact_outcome_t out;
    uint64_t elapsed_ms;
} shape_t;

static void dump(const shape_t *s)
{
    fprintf(stderr, "  decided: %s (%s)\n  interactor_first=%d contestant_ran=%d contestant_stopped=%d elapsed=%llu ms\n",
            core_status_name(s->out.status), s->out.evidence, s->pr.interactor_first, s->pr.contestant_ran,
            s->pr.contestant_stopped, (unsigned long long)s->elapsed_ms);
    it_dump("contestant", &s->pr.contestant);
    it_dump("interactor", &s->pr.interactor);
}

#define EXPECT_STATUS(s, st)                                                                                 \
    do {                                                                                                     \
        if ((s)->out.status != (st)) {                                                                       \
            dump(s);                                                                                         \
            fail_msg("status %s, expected %s", core_status_name((s)->out.status), core_status_name(st));     \
        }                                                                                                    \
    } while (0)

#define EXPECT(s, cond)                          \
    do {                                         \
        if (!(cond)) {                           \
            dump(s);                             \
            fail_msg("expected: %s", #cond);     \
        }                                        \
    } while (0)

/* Run a shape; transcript_max > 0 puts the relay between the programs. */
/* i_cancel: the interactor's cancel_fd in the next shape, and an fd made
 * readable when the program is about to execve (the contestant's on_exec). */
static int shape_cancel_fd = -1, shape_exec_fd = -1;

static void on_contestant_exec(void *ud)
{
    (void)ud;
    if (write(shape_exec_fd, "x", 1) < 0)
        fail_msg("exec pipe: %s", strerror(errno));
}

static void run_shape_t(shape_t *s, const char *imode, const char *cmode, const nsj_limits_t *il,
                        const nsj_limits_t *cl, size_t transcript_max)
{
    REQUIRE(it.sb != NULL && payload, "%s", it.sb ? payload_missing : it.unavailable);
    static const char secret[] = "777777777\n";
    nsj_file_t ifiles[] = {
        {.name = "main", .data = payload, .len = payload_len, .mode = 0755},
        {.name = "input.txt", .data = secret, .len = strlen(secret), .mode = 0644},
    };
    nsj_file_t cfile = {.name = "main", .data = payload, .len = payload_len, .mode = 0755};
    const char *iargv[] = {"/code/main", imode, "/code/input.txt", "/tmp/output.txt", "/code/input.txt", NULL};
    const char *cargv[] = {"/code/main", cmode, NULL};
    nsj_pair_spec_t spec;
    nsj_run_spec_init(&spec.interactor);
    nsj_run_spec_init(&spec.contestant);
    spec.interactor.rootfs = spec.contestant.rootfs = it.rootfs;
    spec.interactor.files = ifiles;
    spec.interactor.nfiles = 2;
    spec.interactor.argv = iargv;
    spec.interactor.limits = il ? *il : interactor_limits();
    spec.contestant.files = &cfile;
    spec.contestant.nfiles = 1;
    spec.contestant.argv = cargv;
    spec.contestant.limits = cl ? *cl : contestant_limits();
    spec.transcript_max = transcript_max;
    spec.interactor.cancel_fd = shape_cancel_fd;
    if (shape_exec_fd >= 0)
        spec.contestant.on_exec = on_contestant_exec;
    uint64_t t0 = util_now_ns();
    int rc = nsj_run_pair(it.sb, &spec, &s->pr);
    s->elapsed_ms = (util_now_ns() - t0) / 1000000;
    interact_decide(&s->pr, &s->out);
    if (rc < 0 && s->out.status != CORE_STATUS_INTERNAL_ERROR) {
        dump(s);
        fail_msg("nsj_run_pair failed without an internal_error verdict");
    }
    /* Nothing of either sandbox is left, whatever the shape. */
    EXPECT(s, it_count_sandbox_processes() == 0);
    EXPECT(s, it_count_run_cgroups() == 0);
    /* Generous: the slowest shape ends at the interactor's 10 s wall limit. */
    EXPECT(s, s->elapsed_ms < 60000);
}

static void run_shape(shape_t *s, const char *imode, const char *cmode, const nsj_limits_t *il,
                      const nsj_limits_t *cl)
{
    run_shape_t(s, imode, cmode, il, cl, 0);
    EXPECT(s, s->pr.transcript == NULL);
}

static void i_accept(void **state)
{
    (void)state;
    shape_t s;
    run_shape(&s, "iguess", "cguess", NULL, NULL);
    EXPECT_STATUS(&s, CORE_STATUS_PASSED);
    EXPECT(&s, s.pr.contestant.verdict == NSJ_VERDICT_OK && s.pr.interactor.verdict == NSJ_VERDICT_OK);
    /* The interactor read the test's input file and wrote its output path. */
    EXPECT(&s, strstr(s.pr.interactor.err, "ok: found in") != NULL);
    EXPECT(&s, strstr(s.out.evidence, "ok: found in") != NULL);
    EXPECT(&s, !s.pr.contestant_stopped);
    nsj_pair_result_free(&s.pr);
}

static void i_wrong_answer(void **state)
{
    (void)state;
    shape_t s;
    run_shape(&s, "iguess", "cwrong", NULL, NULL);
    EXPECT_STATUS(&s, CORE_STATUS_FAILED);
    EXPECT(&s, s.pr.interactor.exit_code == INTERACT_EXIT_WA);
    EXPECT(&s, strstr(s.out.evidence, "wrong answer: 0 is not the number") != NULL);
    nsj_pair_result_free(&s.pr);
}

/* The interactor rejects the first query and exits; the contestant, still
 * writing, dies of SIGPIPE (or is stopped): wrong answer, not its crash. */
static void i_reject_early(void **state)
{
    (void)state;
    shape_t s;
    run_shape(&s, "ireject", "cspam", NULL, NULL);
    EXPECT_STATUS(&s, CORE_STATUS_FAILED);
    EXPECT(&s, s.pr.interactor_first);
    EXPECT(&s, s.pr.contestant.signal == SIGPIPE || s.pr.contestant_stopped);
    EXPECT(&s, strstr(s.out.evidence, "rejected at the first query") != NULL);
    fprintf(stderr, "  [ reject early: the contestant ended by %s ]\n",
            s.pr.contestant.signal == SIGPIPE ? "SIGPIPE" : "being stopped");
    nsj_pair_result_free(&s.pr);
}

/* The interactor accepts at the first query and exits 0, so the contestant
 * is left to end on its own: still writing, it gets EPIPE (SIGPIPE) once
 * the interactor's sandbox is gone. That output went nowhere: passed. */
static void i_accept_then_sigpipe(void **state)
{
    (void)state;
    shape_t s;
    run_shape(&s, "iaccept", "cspam", NULL, NULL);
    EXPECT_STATUS(&s, CORE_STATUS_PASSED);
    EXPECT(&s, s.pr.interactor_first && !s.pr.contestant_stopped);
    EXPECT(&s, s.pr.contestant.signal == SIGPIPE);
    EXPECT(&s, strstr(s.out.evidence, "SIGPIPE") != NULL);
    nsj_pair_result_free(&s.pr);
}

/* The contestant crashes while the interactor waits for a query: the
 * interactor then sees EOF (exit 8), but the crash came first. */
static void i_contestant_crash(void **state)
{
    (void)state;
    shape_t s;
    run_shape(&s, "iguess", "ccrash", NULL, NULL);
    EXPECT_STATUS(&s, CORE_STATUS_RUNTIME_ERROR);
    EXPECT(&s, s.pr.contestant.signal == SIGSEGV);
    EXPECT(&s, !s.pr.interactor_first);
    EXPECT(&s, s.pr.interactor.exit_code == INTERACT_EXIT_UNEXPECTED_EOF);
    nsj_pair_result_free(&s.pr);
}

/* The contestant burns CPU while the interactor waits. */
static void i_contestant_cpu_limit(void **state)
{
    (void)state;
    shape_t s;
    run_shape(&s, "iguess", "cspin", NULL, NULL);
    EXPECT_STATUS(&s, CORE_STATUS_TIME_LIMIT);
    /* Its CPU limit, or (on a host too busy to give it a quarter of a core)
     * its wall clock: either way it burned CPU, and the interactor waited. */
    EXPECT(&s, s.pr.contestant.time_kind == NSJ_TIME_CPU || s.pr.contestant.cpu_ms >= 250);
    EXPECT(&s, s.pr.interactor.exit_code == INTERACT_EXIT_UNEXPECTED_EOF);
    EXPECT(&s, !s.pr.interactor_first);
    nsj_pair_result_free(&s.pr);
}

/* Deadlock: both sides read, each waiting for the other to speak. The
 * contestant's wall clock (the exchange's) ends it. */
static void i_deadlock_both_read(void **state)
{
    (void)state;
    shape_t s;
    run_shape(&s, "iguess", "cread", NULL, NULL);
    EXPECT_STATUS(&s, CORE_STATUS_TIME_LIMIT);
    EXPECT(&s, s.pr.contestant.time_kind == NSJ_TIME_WALL);
    EXPECT(&s, s.pr.contestant.cpu_ms < 500);
    EXPECT(&s, s.pr.interactor.exit_code == INTERACT_EXIT_UNEXPECTED_EOF);
    nsj_pair_result_free(&s.pr);
}

/* Deadlock: both write 1 MiB into a 64 KiB pipe the other never reads. */
static void i_deadlock_both_fill(void **state)
{
    (void)state;
    shape_t s;
    run_shape(&s, "iflood", "cflood", NULL, NULL);
    EXPECT_STATUS(&s, CORE_STATUS_TIME_LIMIT);
    EXPECT(&s, s.pr.contestant.time_kind == NSJ_TIME_WALL);
    EXPECT(&s, !s.pr.interactor_first);
    /* The interactor, blocked writing, got EPIPE/SIGPIPE once the
     * contestant's sandbox was gone: a consequence, not its failure. */
    EXPECT(&s, !s.out.interactor_failed);
    nsj_pair_result_free(&s.pr);
}

/* The contestant exits at once without a word: the interactor sees EOF. */
static void i_contestant_exits_early(void **state)
{
    (void)state;
    shape_t s;
    run_shape(&s, "iguess", "cexit", NULL, NULL);
    EXPECT_STATUS(&s, CORE_STATUS_FAILED);
    EXPECT(&s, s.pr.contestant.verdict == NSJ_VERDICT_OK);
    EXPECT(&s, s.pr.interactor.exit_code == INTERACT_EXIT_UNEXPECTED_EOF);
    EXPECT(&s, strstr(s.out.evidence, "unexpected EOF") != NULL);
    nsj_pair_result_free(&s.pr);
}

/* The interactor only reads (never answers) and the contestant waits for an
 * answer after its query: the contestant's wall clock ends it. */
static void i_interactor_never_answers(void **state)
{
    (void)state;
    shape_t s;
    run_shape(&s, "iread", "cguess", NULL, NULL);
    EXPECT_STATUS(&s, CORE_STATUS_TIME_LIMIT);
    EXPECT(&s, s.pr.contestant.time_kind == NSJ_TIME_WALL);
    nsj_pair_result_free(&s.pr);
}

/* Interactor failures are internal_error naming the interactor. */
static void i_interactor_crash(void **state)
{
    (void)state;
    shape_t s;
    run_shape(&s, "icrash", "cguess", NULL, NULL);
    EXPECT_STATUS(&s, CORE_STATUS_INTERNAL_ERROR);
    EXPECT(&s, s.out.interactor_failed);
    EXPECT(&s, s.pr.interactor.signal == SIGSEGV);
    EXPECT(&s, strstr(s.out.evidence, "interactor failed: signal SEGV") != NULL);
    nsj_pair_result_free(&s.pr);
}

static void i_interactor_exit_3(void **state)
{
    (void)state;
    shape_t s;
    run_shape(&s, "ifail", "cguess", NULL, NULL);
    EXPECT_STATUS(&s, CORE_STATUS_INTERNAL_ERROR);
    EXPECT(&s, s.out.interactor_failed);
    EXPECT(&s, strstr(s.out.evidence, "bad test: the input is malformed") != NULL);
    nsj_pair_result_free(&s.pr);
}

/* The interactor hangs (burns CPU) while the contestant waits for an
 * answer: whichever ends first, the interactor's limit makes it its fault. */
static void i_interactor_hang(void **state)
{
    (void)state;
    shape_t s;
    nsj_limits_t il = interactor_limits();
    il.cpu_ms = 1000;
    run_shape(&s, "ihang", "cguess", &il, NULL);
    EXPECT_STATUS(&s, CORE_STATUS_INTERNAL_ERROR);
    EXPECT(&s, s.out.interactor_failed);
    EXPECT(&s, s.pr.interactor.verdict == NSJ_VERDICT_TIME_LIMIT);
    nsj_pair_result_free(&s.pr);
}

/* The caller's cancel_fd (the interactor's) stops both sides: while the
 * interactor runs, and after it accepted while the program still runs. */
typedef struct canceller {
    int exec_fd, cancel_fd;
    long delay_ms;               /* after the program's execve */
} canceller_t;

static void *cancel_later(void *arg)
{
    canceller_t *c = arg;
    struct pollfd p = {.fd = c->exec_fd, .events = POLLIN};
    if (poll(&p, 1, 60000) != 1)
        fail_msg("the program did not start within 60 s");
    struct timespec ts = {c->delay_ms / 1000, (c->delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    if (write(c->cancel_fd, "x", 1) < 0)
        fail_msg("cancel pipe: %s", strerror(errno));
    return NULL;
}

static void cancel_shape(shape_t *s, const char *imode, const char *cmode, long delay_ms)
{
    int cp[2], ep[2];
    assert_int_equal(pipe2(cp, O_CLOEXEC), 0);
    assert_int_equal(pipe2(ep, O_CLOEXEC), 0);
    canceller_t c = {.exec_fd = ep[0], .cancel_fd = cp[1], .delay_ms = delay_ms};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, cancel_later, &c), 0);
    nsj_limits_t cl = contestant_limits(), il = interactor_limits();
    cl.cpu_ms = il.cpu_ms = 10000; /* only the cancel ends these runs */
    cl.wall_ms = 20000;
    il.wall_ms = 30000;
    shape_cancel_fd = cp[0];
    shape_exec_fd = ep[1];
    run_shape_t(s, imode, cmode, &il, &cl, 0);
    shape_cancel_fd = shape_exec_fd = -1;
    pthread_join(th, NULL);
    close(cp[0]), close(cp[1]), close(ep[0]), close(ep[1]);
}

static void i_cancel(void **state)
{
    (void)state;
    shape_t s;
    /* The interactor still waits (for a query that never comes): both
     * killed, the program stopped. */
    cancel_shape(&s, "iguess", "cspin", 300);
    EXPECT(&s, strcmp(s.pr.interactor.evidence, "cancelled") == 0);
    EXPECT(&s, s.pr.contestant_stopped && strcmp(s.pr.contestant.evidence, "cancelled") == 0);
    nsj_pair_result_free(&s.pr);
    /* The interactor accepted the program's first line and left (a matter
     * of milliseconds; 3 s allowed); the program burns CPU on until the
     * cancel stops it. */
    cancel_shape(&s, "iaccept", "cwritespin", 3000);
    EXPECT(&s, s.pr.interactor.verdict == NSJ_VERDICT_OK && s.pr.interactor_first);
    EXPECT(&s, s.pr.contestant_stopped && strcmp(s.pr.contestant.evidence, "cancelled") == 0);
    nsj_pair_result_free(&s.pr);
}

/* ---- with a transcript: the relay between the programs ---- */

static void i_transcript_accept(void **state)
{
    (void)state;
    shape_t s;
    run_shape_t(&s, "iguess", "cguess", NULL, NULL, 1 << 20);
    EXPECT_STATUS(&s, CORE_STATUS_PASSED);
    EXPECT(&s, s.pr.transcript && !s.pr.transcript_truncated);
    /* The exchange in order: the first query, its answer, the last answer. */
    static const char head[] = "--- program:\n? 500000000\n--- interactor:\n<\n";
    EXPECT(&s, strncmp(s.pr.transcript, head, strlen(head)) == 0);
    EXPECT(&s, strstr(s.pr.transcript, "--- program:\n! 777777777\n") != NULL);
    nsj_pair_result_free(&s.pr);
}

static void i_transcript_bounded(void **state)
{
    (void)state;
    shape_t s;
    /* Some 30 queries and answers: several hundred bytes. */
    run_shape_t(&s, "iguess", "cguess", NULL, NULL, 100);
    EXPECT_STATUS(&s, CORE_STATUS_PASSED);
    EXPECT(&s, s.pr.transcript_truncated && s.pr.transcript_len == 100);
    static const char head[] = "--- program:\n? 500000000\n--- interactor:\n<\n";
    EXPECT(&s, strncmp(s.pr.transcript, head, strlen(head)) == 0);
    nsj_pair_result_free(&s.pr);
}

/* The stalls end the same way through the relay. */
static void i_transcript_deadlocks(void **state)
{
    (void)state;
    shape_t s;
    run_shape_t(&s, "iflood", "cflood", NULL, NULL, 4096);
    EXPECT_STATUS(&s, CORE_STATUS_TIME_LIMIT);
    EXPECT(&s, s.pr.contestant.time_kind == NSJ_TIME_WALL && !s.pr.interactor_first);
    EXPECT(&s, s.pr.transcript_truncated);
    nsj_pair_result_free(&s.pr);
    run_shape_t(&s, "iguess", "cread", NULL, NULL, 4096);
    EXPECT_STATUS(&s, CORE_STATUS_TIME_LIMIT);
    EXPECT(&s, s.pr.contestant.time_kind == NSJ_TIME_WALL && s.pr.transcript_len == 0);
    EXPECT(&s, s.pr.interactor.exit_code == INTERACT_EXIT_UNEXPECTED_EOF);
    nsj_pair_result_free(&s.pr);
}

/* Ends pass through the relay: a crash is still seen first, the
 * interactor's EOF after it; an interactor's rejection still ends a
 * program that keeps writing. */
static void i_transcript_ends(void **state)
{
    (void)state;
    shape_t s;
    run_shape_t(&s, "iguess", "ccrash", NULL, NULL, 4096);
    EXPECT_STATUS(&s, CORE_STATUS_RUNTIME_ERROR);
    EXPECT(&s, !s.pr.interactor_first && s.pr.interactor.exit_code == INTERACT_EXIT_UNEXPECTED_EOF);
    nsj_pair_result_free(&s.pr);
    run_shape_t(&s, "iaccept", "cspam", NULL, NULL, 4096);
    EXPECT_STATUS(&s, CORE_STATUS_PASSED);
    EXPECT(&s, s.pr.interactor_first && s.pr.contestant.signal == SIGPIPE);
    nsj_pair_result_free(&s.pr);
}

/* ---- the CLI: nsjudge run --interactor ---- */

static const char cli_interactor[] =
    "import sys\n"
    "secret = int(open(sys.argv[1]).read())\n"
    "open(sys.argv[2], 'w').write('started\\n')\n"
    "for line in sys.stdin:\n"
    "    kind, x = line.split()\n"
    "    x = int(x)\n"
    "    if kind == '!':\n"
    "        sys.stderr.write('ok\\n' if x == secret else 'wrong: %d\\n' % x)\n"
    "        sys.exit(0 if x == secret else 1)\n"
    "    print('<' if x < secret else '>' if x > secret else '=', flush=True)\n"
    "sys.stderr.write('unexpected EOF\\n')\n"
    "sys.exit(8)\n";

static const char cli_guess[] =
    "lo, hi = 1, 100\n"
    "while lo < hi:\n"
    "    mid = (lo + hi) // 2\n"
    "    print('?', mid, flush=True)\n"
    "    r = input()\n"
    "    if r == '=':\n"
    "        lo = hi = mid\n"
    "    elif r == '<':\n"
    "        lo = mid + 1\n"
    "    else:\n"
    "        hi = mid - 1\n"
    "print('!', lo, flush=True)\n";

static void temp_file(char path[64], const char *ext, const char *text)
{
    snprintf(path, 64, "/tmp/nsjudge-test-XXXXXX%s", ext);
    int fd = mkstemps(path, (int)strlen(ext));
    assert_true(fd >= 0);
    assert_int_equal(util_write_all(fd, text, strlen(text)), 0);
    close(fd);
}

static json_t *cli_json(const char *out, const char *err)
{
    json_error_t je;
    json_t *j = json_loads(out ? out : "", 0, &je);
    if (!j)
        fail_msg("not JSON: %s (stderr: %s)", out, err);
    return j;
}

static void i_cli(void **state)
{
    (void)state;
    IT_REQUIRE_PYTHON();
    char isrc[64], csrc[64], wsrc[64], in[64];
    temp_file(isrc, ".py", cli_interactor);
    temp_file(csrc, ".py", cli_guess);
    temp_file(wsrc, ".py", "print('! 7', flush=True)\n");
    temp_file(in, ".txt", "42\n");
    char *out, *err;
    int rc = it_cli(&out, &err, NULL, "run", "--interactor", isrc, "--stdin", in, "--transcript", "4k", csrc, NULL);
    json_t *j = cli_json(out, err);
    if (rc != 0 || strcmp(json_string_value(json_object_get(j, "verdict")), "passed") != 0)
        fail_msg("rc %d: %s (stderr: %s)", rc, out, err);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "interactor"), "status")), "ok");
    const char *tr = json_string_value(json_object_get(j, "transcript"));
    assert_non_null(tr);
    assert_non_null(strstr(tr, "--- program:\n? 50\n--- interactor:\n>\n"));
    assert_non_null(strstr(tr, "! 42\n"));
    json_decref(j);
    free(out), free(err);

    rc = it_cli(&out, &err, NULL, "run", "--interactor", isrc, "--stdin", in, wsrc, NULL);
    j = cli_json(out, err);
    assert_int_equal(rc, 0);
    assert_string_equal(json_string_value(json_object_get(j, "verdict")), "failed");
    assert_non_null(strstr(json_string_value(json_object_get(j, "verdict_evidence")), "wrong: 7"));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "interactor"), "exit_code")), 1);
    assert_null(json_object_get(j, "transcript"));
    json_decref(j);
    free(out), free(err);

    /* Usage errors: exit 2 with a line on stderr. */
    rc = it_cli(&out, &err, NULL, "run", "--transcript", "4k", csrc, NULL);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "go with --interactor"));
    free(out), free(err);
    rc = it_cli(&out, &err, NULL, "run", "--interactor", "/nonexistent.py", csrc, NULL);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "/nonexistent.py"));
    free(out), free(err);
    unlink(isrc), unlink(csrc), unlink(wsrc), unlink(in);
    assert_int_equal(it_count_run_cgroups(), 0);
}

/* A spec that gives stdin itself is refused before anything runs. */
static void i_refuses_own_stdin(void **state)
{
    (void)state;
    IT_REQUIRE_SANDBOX();
    nsj_pair_spec_t spec;
    nsj_run_spec_init(&spec.interactor);
    nsj_run_spec_init(&spec.contestant);
    spec.contestant.stdin_data = "x";
    spec.contestant.stdin_len = 1;
    nsj_pair_result_t pr;
    assert_int_equal(nsj_run_pair(it.sb, &spec, &pr), -1);
    assert_int_equal(pr.contestant_ran, 0);
    assert_non_null(strstr(pr.interactor.message, "pipes"));
    nsj_pair_result_free(&pr);
}

int it_run_interactive_tests(int portable)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s/payloads/interact", it.home, getenv("BUILD") ? getenv("BUILD") : "build");
    nsj_error_t err;
    if (util_read_whole_file(path, 64 << 20, &payload, &payload_len, &err) < 0) {
        snprintf(payload_missing, sizeof payload_missing, "payload: %s", err.msg);
        payload = NULL;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(i_accept),
        cmocka_unit_test(i_wrong_answer),
        cmocka_unit_test(i_reject_early),
        cmocka_unit_test(i_accept_then_sigpipe),
        cmocka_unit_test(i_contestant_crash),
        cmocka_unit_test(i_contestant_cpu_limit),
        cmocka_unit_test(i_deadlock_both_read),
        cmocka_unit_test(i_deadlock_both_fill),
        cmocka_unit_test(i_contestant_exits_early),
        cmocka_unit_test(i_interactor_never_answers),
        cmocka_unit_test(i_interactor_crash),
        cmocka_unit_test(i_interactor_exit_3),
        cmocka_unit_test(i_interactor_hang),
        cmocka_unit_test(i_cancel),
        cmocka_unit_test(i_transcript_accept),
        cmocka_unit_test(i_transcript_bounded),
        cmocka_unit_test(i_transcript_deadlocks),
        cmocka_unit_test(i_transcript_ends),
        cmocka_unit_test(i_refuses_own_stdin),
    };
    /* A warm slot that the earlier groups left prepared (NSJUDGE_TEST_WARM=1)
     * is a sandbox of this process: release it, so that "nothing is left"
     * counts this group's runs only (pairs always run cold). */
    it_settle();
    int failed = cmocka_run_group_tests_name("interactive pairs (interact payload)", tests, NULL, NULL);
    const struct CMUnitTest cli_tests[] = {
        cmocka_unit_test(i_cli),
    };
    if (!portable)
        failed += cmocka_run_group_tests_name("interactive pairs (CLI, python)", cli_tests, NULL, NULL);
    free(payload);
    payload = NULL;
    return failed;
}
