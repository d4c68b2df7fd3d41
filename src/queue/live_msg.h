/* Messages of the live features (docs/live.md), pure: bytes -> struct ->
 * bytes, no Redis here, so they are unit-tested without a server.
 *
 *   codesce:sessions             session jobs: {"session_id", "language", "source_code"}
 *   codesce:session:<id>:in      API -> worker: type attach | input (data = bytes) | eof | close
 *   codesce:session:<id>:out     worker -> API: type stdout | stderr | state | exit, data = the
 *                                JSON message the client gets, ready to send as is
 *   codesce:events:<id>          worker (and API) -> SSE: type status | result, data = JSON
 *
 * Every entry of the per-item streams has the two fields "type" and "data". */
#ifndef NSJ_QUEUE_LIVE_MSG_H
#define NSJ_QUEUE_LIVE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nsjudge/error.h"

#define LIVE_KEY_MAX 96
#define LIVE_ID_MAX 64          /* a Redis stream entry id "ms-seq", with room */

/* A session job as the sessions stream carries it. */
typedef struct live_job {
    char session_id[37];
    char language[32];
    char *source;               /* owned, NUL-terminated */
    size_t source_len;
} live_job_t;

/* The end of an interactive run: the fields of `nsjudge run`'s JSON
 * without the output (it went out live). */
typedef struct live_exit {
    const char *status;         /* "ok", "runtime_error", ..., "compile_error" */
    int exit_code;              /* <0: null */
    int signal;                 /* 0: null */
    uint64_t cpu_ms, wall_ms, memory_kb;
    const char *evidence;
} live_exit_t;

/* One finished test case, for a "result" event. */
typedef struct live_result {
    int ordinal;
    const char *status;
    bool passed;
    int64_t execution_ms, cpu_ms, memory_kb;
    const char *evidence;
    const char *checker_message; /* NULL or "": null */
    const char *group;           /* its subtask; NULL or "": null */
} live_result_t;

/* The final state of a submission, for its terminal "status" event. */
typedef struct live_final {
    const char *status;
    int64_t score, max_score;   /* score < 0: null (nothing was scored) */
    int64_t execution_ms, memory_kb;
    const char *error;          /* internal_error's reason, or NULL */
} live_final_t;

/* Redis keys: "codesce:events:<id>", "codesce:session:<id>:in" / ":out". */
void live_events_key(const char *submission_id, char out[LIVE_KEY_MAX]);
void live_session_key(const char *session_id, bool input, char out[LIVE_KEY_MAX]);

/* Parse a session job; err says what is wrong. Free with live_job_free(). */
int live_job_parse(const char *buf, size_t len, live_job_t *out, nsj_error_t *err);

/* Encode a session job as compact JSON (malloc'd); NULL on failure. */
char *live_job_encode(const live_job_t *job, size_t *len);

void live_job_free(live_job_t *job);

/* {"type":"stdout"|"stderr","data":...}: data made valid UTF-8 (invalid
 * bytes become U+FFFD). malloc'd JSON, NULL when out of memory. */
char *live_msg_output(bool is_stderr, const char *data, size_t len);

/* {"type":"state","state":...}. */
char *live_msg_state(const char *state);

/* {"type":"exit","status","exit_code","signal","cpu_ms","wall_ms","memory_kb","evidence"}. */
char *live_msg_exit(const live_exit_t *x);

/* A "status" event's data: {"status"} while in progress, and with
 * "score", "max_score", "execution_ms", "memory_kb", "error" at the end. */
char *live_event_status(const char *status, const live_final_t *final);

/* A "result" event's data: {"ordinal","status","passed","execution_ms","cpu_ms","memory_kb","evidence",
 * "checker_message","group"}. */
char *live_event_result(const live_result_t *r);

/* The longest prefix of s that does not end inside a UTF-8 sequence still
 * being written (at most 3 bytes are held back, and only when they could
 * start a valid sequence): output is sent in chunks and a character cut
 * between two chunks must not become two U+FFFD. */
size_t live_utf8_complete(const char *s, size_t len);

/* Is s a stream entry id, "<ms>-<seq>" or "<ms>" (decimal, each < 2^64)? */
bool live_entry_id_valid(const char *s);

#endif
