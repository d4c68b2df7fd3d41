/* Interactive sessions: POST /sessions, and the WebSocket at /sessions/{id}
 * that bridges a browser and the worker running the program.
 *
 * The API runs no sandbox: the program runs on a worker (worker/session.c).
 * This side only moves messages:
 *
 *   client --text frame--> reader (this connection's thread) --XADD--> codesce:session:<id>:in
 *   client <--text frame-- pump (a thread per socket) <--XREAD BLOCK-- codesce:session:<id>:out
 *
 * The worker formats every message the client gets (stdout, stderr,
 * state, exit); the pump forwards them verbatim and ends the socket after
 * the exit. When the socket ends first (the client closed it, broke the
 * protocol, or vanished), the reader writes "close" to the input stream
 * and the worker kills the program. A session is attached once: the row's
 * attached_at is set by a conditional UPDATE (a second socket gets 409).
 *
 * Frames are parsed with src/api/ws.c; the answers to protocol errors are
 * close codes: 1002 a frame breaking RFC 6455 (unmasked, reserved bits or
 * opcode, bad control frame), 1009 over API_WS_MESSAGE_MAX, 1007 text that
 * is not UTF-8, 1003 a binary message, 1008 text that is not one of our
 * messages. */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/internal.h"
#include "api/observe.h"
#include "api/ws.h"
#include "common/util.h"
#include "queue/live.h"
#include "queue/message.h"
#include "queue/position.h"
#include "service/service.h"

#define PUMP_BLOCK_MS 1000       /* XREAD wait of the pump: how soon it sees the end */
#define FALLBACK_MS 10000        /* silence before Postgres is asked whether the session ended */
#define CLOSE_WAIT_MS 1000       /* after our close frame, how long to wait for the client's */
#define SEND_TIMEOUT_MS 5000     /* a client that reads nothing this long is gone */
#define IN_TTL_S 3600            /* the input stream expires even if the worker never runs */

/* ---- POST /sessions ---- */

enum MHD_Result api_session_create(api_server_t *s, struct MHD_Connection *c, request_t *r)
{
    api_limits_t lim = {.source_max = s->cfg.source_max, .max_tests = s->cfg.max_test_cases};
    api_session_req_t req;
    api_error_t e;
    if (api_parse_session(r->body, r->len, &lim, s->langs, &req, &e) < 0)
        return api_send_json(c, e.status, api_error_json("%s", e.msg), NULL, NULL);
    store_t *db;
    size_t slot;
    nsj_error_t err;
    char id[STORE_UUID_LEN + 1];
    enum MHD_Result ret;
    if (api_db_take(s, &db, &slot, &err) < 0) {
        ret = api_send_db_unavailable(c, &err);
        goto out;
    }
    /* Queued for a worker only when its WebSocket attaches (api_session_connect). */
    int rc = store_session_create(db, req.language, req.source, r->who.key_id, id, &err);
    api_db_give(s, slot);
    if (rc < 0) {
        ret = api_send_store_error(c, "storing the session", &err);
        goto out;
    }
    if (!api_auth_session_take(s, r, id)) {
        live_exit_t x = {.status = "terminated", .exit_code = -1, .evidence = "too many sessions (MAX_SESSIONS)"};
        char *ex = live_msg_exit(&x);
        if (ex && api_db_take(s, &db, &slot, &(nsj_error_t){0}) == 0) {
            store_session_finish(db, id, "terminated", ex, &(nsj_error_t){0});
            api_db_give(s, slot);
        }
        free(ex);
        ret = api_send_json(c, MHD_HTTP_TOO_MANY_REQUESTS,
                            api_error_json("%llu sessions are open already (MAX_SESSIONS); retry after 5 s",
                                           (unsigned long long)s->cfg.max_sessions),
                            MHD_HTTP_HEADER_RETRY_AFTER, "5");
        goto out;
    }
    char location[64];
    snprintf(location, sizeof location, "/sessions/%s", id);
    json_t *o = json_pack("{s:s, s:s}", "id", id, "status", "queued");
    ret = api_send_json(c, MHD_HTTP_CREATED, o ? json_dumps(o, JSON_COMPACT) : NULL, MHD_HTTP_HEADER_LOCATION,
                        location);
    json_decref(o);
out:
    api_session_req_free(&req);
    return ret;
}

/* ---- the handshake ---- */

unsigned api_live_check_headers(api_server_t *s, struct MHD_Connection *c, const char *method, request_t *r)
{
    if (r->live != API_LIVE_SESSION)
        return 0;
#define H(name) MHD_lookup_connection_value(c, MHD_HEADER_KIND, name)
    api_error_t e;
    if (api_ws_check(method, H("Upgrade"), H("Connection"), H("Sec-WebSocket-Version"), H("Sec-WebSocket-Key"),
                     &e) < 0) {
        r->early_body = api_error_json("%s", e.msg);
        if (e.status == 426 && H("Upgrade") && strstr(e.msg, "version")) {
            r->early_hname = "Sec-WebSocket-Version";
            r->early_hvalue = "13";
        } else if (e.status == 426) {
            r->early_hname = "Upgrade";
            r->early_hvalue = "websocket";
        }
        return e.status;
    }
    const char *origin = H("Origin");
    if (!api_origin_allowed(origin, H("Host"), s->cfg.allowed_origins)) {
        r->early_body = api_error_json("origin '%.200s' is not allowed to open sessions here (ALLOWED_ORIGINS)",
                                       origin);
        return MHD_HTTP_FORBIDDEN;
    }
#undef H
    return 0;
}

/* ---- the bridge ---- */

typedef struct bridge {
    api_server_t *s;
    char id[37];
    char in_key[LIVE_KEY_MAX], out_key[LIVE_KEY_MAX];
    int fd;
    pthread_mutex_t wmu;         /* one writer at a time on the socket */
    bool broken;                 /* a write failed (under wmu) */
    atomic_bool done;            /* everything ends */
    atomic_bool close_sent;      /* our close frame went out */
    atomic_bool exit_seen;       /* the exit message went out: the program is over */
    atomic_ullong close_sent_ms;
    char entry[32];              /* the job's entry in the sessions stream: its place while it waits */
} bridge_t;

static uint64_t now_ms(void)
{
    return util_now_ns() / 1000000ULL;
}

static int send_all(bridge_t *b, const uint8_t *p, size_t n)
{
    uint64_t deadline = now_ms() + SEND_TIMEOUT_MS;
    while (n > 0) {
        ssize_t w = send(b->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && now_ms() < deadline) {
            struct pollfd pfd = {.fd = b->fd, .events = POLLOUT};
            poll(&pfd, 1, 200);
            continue;
        }
        return -1;
    }
    return 0;
}

static int ws_send(bridge_t *b, int opcode, const void *payload, size_t len)
{
    uint8_t stack[256];
    uint8_t *buf = len + 10 <= sizeof stack ? stack : malloc(len + 10);
    if (!buf)
        return -1;
    size_t n = ws_encode_frame(opcode, payload, len, buf, len + 10);
    pthread_mutex_lock(&b->wmu);
    int rc = b->broken || atomic_load(&b->close_sent) ? -1 : send_all(b, buf, n);
    if (rc < 0)
        b->broken = true;
    pthread_mutex_unlock(&b->wmu);
    if (buf != stack)
        free(buf);
    return rc;
}

/* Send our close frame (once): the code, then a short reason. */
static void ws_close(bridge_t *b, int code, const char *reason)
{
    uint8_t p[125];
    size_t rlen = strlen(reason) > sizeof p - 2 ? sizeof p - 2 : strlen(reason);
    p[0] = (uint8_t)(code >> 8);
    p[1] = (uint8_t)code;
    memcpy(p + 2, reason, rlen);
    uint8_t frame[140];
    size_t n = ws_encode_frame(WS_OP_CLOSE, p, rlen + 2, frame, sizeof frame);
    pthread_mutex_lock(&b->wmu);
    if (!atomic_load(&b->close_sent)) {
        if (!b->broken && send_all(b, frame, n) < 0)
            b->broken = true;
        atomic_store(&b->close_sent_ms, now_ms());
        atomic_store(&b->close_sent, true);
    }
    pthread_mutex_unlock(&b->wmu);
}

/* Append to the session's input stream through the pool. */
static int to_worker(bridge_t *b, const char *type, const char *data, size_t len)
{
    queue_conn_t *q;
    size_t slot;
    nsj_error_t err;
    live_item_t it = {type, data, len};
    int rc = -1;
    for (int attempt = 0; attempt < 2 && rc < 0; attempt++) {
        if (api_redis_take(b->s, &q, &slot, &err) < 0)
            break;
        rc = live_add(q, b->in_key, &it, 1, 0, IN_TTL_S, NULL, 0, &err);
        bool retry = rc < 0 && err.errnum == EAGAIN && queue_broken(q);
        api_redis_give(b->s, slot);
        if (!retry)
            break;
    }
    if (rc < 0)
        service_log("session %s: writing '%s' to its input stream: %s", b->id, type, err.msg);
    return rc;
}

/* The session ended without its exit reaching us (the worker could not
 * publish it): its record has it. true when it was sent. */
static bool exit_from_record(bridge_t *b)
{
    store_t *db;
    size_t slot;
    nsj_error_t err;
    char status[16], *exit_json = NULL;
    if (api_db_take(b->s, &db, &slot, &err) < 0)
        return false;
    int rc = store_session_state(db, b->id, status, sizeof status, &exit_json, &err);
    api_db_give(b->s, slot);
    if (rc < 0 || !exit_json) {
        free(exit_json);
        return false;
    }
    char *st = live_msg_state(status);
    if (st)
        ws_send(b, WS_OP_TEXT, st, strlen(st));
    ws_send(b, WS_OP_TEXT, exit_json, strlen(exit_json));
    free(st);
    free(exit_json);
    return true;
}

static void *pump_main(void *arg)
{
    bridge_t *b = arg;
    queue_conn_t *q = NULL;
    char last[LIVE_ID_MAX] = "0";
    /* The first place after a second: a job taken at once is never "queued". */
    uint64_t silent_since = now_ms(), next_place = now_ms() + 1000;
    bool heard = false;          /* from the worker: it has the session */
    while (!atomic_load(&b->done)) {
        if (atomic_load(&b->s->stopping)) {
            ws_close(b, WS_CLOSE_GOING_AWAY, "the server is shutting down");
            break;
        }
        nsj_error_t err;
        if (queue_broken(q)) {
            queue_close(q);
            q = NULL;
            if (queue_connect(&b->s->redis, PUMP_BLOCK_MS + 5000, &q, &err) < 0) {
                struct timespec ts = {0, 200 * 1000000L};
                nanosleep(&ts, NULL);
                continue;
            }
        }
        /* Waiting for a session worker: its place in the line, every second. */
        long place;
        if (!heard && b->entry[0] && now_ms() >= next_place) {
            next_place = now_ms() + 1000;
            if (queue_position(q, QUEUE_SESSIONS_STREAM, QUEUE_GROUP, b->entry, &place, &err) == 0 && place > 0) {
                char msg[96];
                int m = snprintf(msg, sizeof msg, "{\"type\":\"state\",\"state\":\"queued\",\"position\":%ld}", place);
                ws_send(b, WS_OP_TEXT, msg, (size_t)m);
            }
        }
        live_entry_t *e = NULL;
        size_t n = 0;
        if (live_read(q, b->out_key, last, PUMP_BLOCK_MS, 64, &e, &n, &err) < 0)
            continue;
        heard = heard || n > 0;
        bool ended = false;
        for (size_t i = 0; i < n && !ended; i++) {
            snprintf(last, sizeof last, "%s", e[i].id);
            if (e[i].data && ws_send(b, WS_OP_TEXT, e[i].data, e[i].len) < 0)
                ended = true;
            if (strcmp(e[i].type, "exit") == 0) {
                atomic_store(&b->exit_seen, true);
                ended = true;
            }
        }
        live_entries_free(e, n);
        if (n)
            silent_since = now_ms();
        else if (now_ms() - silent_since >= FALLBACK_MS) {
            silent_since = now_ms();
            if (exit_from_record(b)) {
                atomic_store(&b->exit_seen, true);
                ended = true;
            }
        }
        if (ended) {
            ws_close(b, WS_CLOSE_NORMAL, atomic_load(&b->exit_seen) ? "session ended" : "");
            break;
        }
    }
    queue_close(q);
    return NULL;
}

typedef struct reader {
    uint8_t *buf;
    size_t len, cap;
    ws_message_t msg;
    bool stop;                   /* no more frames are read (a close was sent or received) */
} reader_t;

static void protocol_error(bridge_t *b, reader_t *rd, int code, const char *why)
{
    ws_close(b, code, why);
    rd->stop = true;
}

static void on_message(bridge_t *b, reader_t *rd)
{
    if (rd->msg.opcode == WS_OP_BINARY) {
        protocol_error(b, rd, 1003, "binary messages are not accepted: send JSON text");
        return;
    }
    api_client_msg_t m;
    char why[120];
    if (api_parse_client_message((const char *)rd->msg.data, rd->msg.len, &m, why, sizeof why) < 0) {
        protocol_error(b, rd, WS_CLOSE_POLICY, why);
        return;
    }
    /* After the exit there is no program to give input to. */
    if (!atomic_load(&b->exit_seen)) {
        int rc = m.type == API_CLIENT_INPUT ? to_worker(b, "input", m.data, m.len) : to_worker(b, "eof", "", 0);
        if (rc < 0)
            protocol_error(b, rd, 1011, "queue unavailable");
    }
    api_client_msg_free(&m);
}

/* The code to answer a client's close frame with: its own when it may be
 * sent (RFC 6455 7.4), 1000 when it gave none, 1002 when it was malformed. */
static int close_reply(const ws_frame_t *f)
{
    if (f->len == 0)
        return WS_CLOSE_NORMAL;
    if (f->len == 1)
        return WS_CLOSE_PROTOCOL;
    int code = f->payload[0] << 8 | f->payload[1];
    bool ok = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
    return ok ? code : WS_CLOSE_PROTOCOL;
}

/* Handle every whole frame in the buffer. */
static void on_frames(bridge_t *b, reader_t *rd)
{
    size_t off = 0;
    while (!rd->stop) {
        ws_frame_t f;
        long used = ws_parse_frame(rd->buf + off, rd->len - off, API_WS_MESSAGE_MAX, &f);
        if (used == 0)
            break;
        if (used < 0) {
            protocol_error(b, rd, (int)-used, -used == WS_CLOSE_TOO_BIG ? "message too big" : "protocol error");
            break;
        }
        off += (size_t)used;
        switch (f.opcode) {
        case WS_OP_PING:
            ws_send(b, WS_OP_PONG, f.payload, f.len);
            break;
        case WS_OP_PONG:
            break;
        case WS_OP_CLOSE:
            /* The closing handshake: answer with the same code, then end. */
            ws_close(b, close_reply(&f), "");
            rd->stop = true;
            break;
        default: {
            int k = ws_message_add(&rd->msg, &f);
            if (k < 0) {
                protocol_error(b, rd, -k,
                               -k == WS_CLOSE_INVALID_DATA ? "text is not UTF-8"
                               : -k == WS_CLOSE_TOO_BIG    ? "message too big"
                                                           : "protocol error");
            } else if (k == 1) {
                on_message(b, rd);
                ws_message_reset(&rd->msg);
            }
        }
        }
    }
    memmove(rd->buf, rd->buf + off, rd->len - off);
    rd->len -= off;
}

static void bridge_run(bridge_t *b, const char *extra, size_t extra_len)
{
    reader_t rd = {.cap = API_WS_MESSAGE_MAX + 16 + 4096, .msg = {.max = API_WS_MESSAGE_MAX}};
    rd.buf = malloc(rd.cap);
    if (!rd.buf)
        return;
    if (to_worker(b, "attach", "", 0) < 0) {
        ws_close(b, 1011, "queue unavailable");
        free(rd.buf);
        return;
    }
    pthread_t pump;
    if (pthread_create(&pump, NULL, pump_main, b) != 0) {
        ws_close(b, 1011, "out of resources");
        to_worker(b, "close", "", 0);
        free(rd.buf);
        return;
    }
    if (extra_len <= rd.cap) {
        memcpy(rd.buf, extra, extra_len);
        rd.len = extra_len;
    }
    for (;;) {
        on_frames(b, &rd);
        if (atomic_load(&b->close_sent)) {
            rd.stop = true;
            if (now_ms() - atomic_load(&b->close_sent_ms) >= CLOSE_WAIT_MS)
                break;
        }
        pthread_mutex_lock(&b->wmu);
        bool broken = b->broken;
        pthread_mutex_unlock(&b->wmu);
        if (broken)
            break;
        struct pollfd pfd = {.fd = b->fd, .events = POLLIN};
        int pr = poll(&pfd, 1, 100);
        if (pr < 0 && errno != EINTR)
            break;
        if (pr <= 0)
            continue;
        if (rd.len == rd.cap)
            rd.len = 0; /* cannot happen: a frame is never larger (ws_parse_frame's max) */
        ssize_t n = recv(b->fd, rd.buf + rd.len, rd.cap - rd.len, MSG_DONTWAIT);
        if (n == 0)
            break; /* the client went away */
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            break;
        }
        if (!rd.stop)
            rd.len += (size_t)n;
    }
    atomic_store(&b->done, true);
    /* The socket is over: a program still running has nobody to talk to. */
    if (!atomic_load(&b->exit_seen))
        to_worker(b, "close", "", 0);
    pthread_join(pump, NULL);
    ws_message_free(&rd.msg);
    free(rd.buf);
}

static void upgraded(void *cls, struct MHD_Connection *c, void *con_cls, const char *extra_in, size_t extra_in_size,
                     MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    (void)c;
    api_server_t *s = cls;
    const request_t *r = con_cls;
    api_live_enter(s);
    bridge_t *b = calloc(1, sizeof *b);
    if (b) {
        b->s = s;
        b->fd = sock;
        memcpy(b->id, r->id, sizeof b->id);
        memcpy(b->entry, r->session_entry, sizeof b->entry);
        live_session_key(b->id, true, b->in_key);
        live_session_key(b->id, false, b->out_key);
        pthread_mutex_init(&b->wmu, NULL);
        /* Thread per connection: this thread may block here for the whole
         * session (libmicrohttpd allows it in that mode). */
        bridge_run(b, extra_in, extra_in_size);
        pthread_mutex_destroy(&b->wmu);
        free(b);
    }
    MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
    api_live_leave(s);
}

/* The session's job onto the sessions stream now that its socket is here
 * (r->session_entry gets its entry's id); a failure ends the session. */
static int queue_job(api_server_t *s, request_t *r)
{
    store_t *db;
    size_t slot;
    nsj_error_t err;
    live_job_t job = {0};
    char *source = NULL;
    int rc = api_db_take(s, &db, &slot, &err);
    if (rc == 0) {
        rc = store_session_job(db, r->id, job.language, sizeof job.language, &source, &err);
        api_db_give(s, slot);
    }
    char *payload = NULL;
    size_t len = 0;
    if (rc == 0) {
        memcpy(job.session_id, r->id, sizeof job.session_id);
        job.source = source;
        job.source_len = strlen(source);
        payload = live_job_encode(&job, &len);
        rc = payload ? 0 : nsj_error_set(&err, ENOMEM, "encoding the job");
    }
    queue_conn_t *q;
    if (rc == 0 && (rc = api_redis_take(s, &q, &slot, &err)) == 0) {
        rc = queue_enqueue_on(q, QUEUE_SESSIONS_STREAM, payload, len, r->session_entry, sizeof r->session_entry,
                              &err);
        api_redis_give(s, slot);
    }
    free(payload);
    free(source);
    if (rc == 0)
        return 0;
    service_log("session %s: not queued: %s", r->id, err.msg);
    live_exit_t x = {.status = "internal_error", .exit_code = -1, .evidence = "enqueue failed"};
    char *ex = live_msg_exit(&x);
    if (ex && api_db_take(s, &db, &slot, &err) == 0) {
        store_session_finish(db, r->id, "terminated", ex, &err);
        api_db_give(s, slot);
    }
    free(ex);
    return -1;
}

enum MHD_Result api_session_connect(api_server_t *s, struct MHD_Connection *c, request_t *r)
{
    store_t *db;
    size_t slot;
    nsj_error_t err;
    store_attach_t st;
    if (api_db_take(s, &db, &slot, &err) < 0)
        return api_send_db_unavailable(c, &err);
    int rc = store_session_attach(db, r->id, &st, &err);
    api_db_give(s, slot);
    if (rc < 0)
        return api_send_store_error(c, "attaching the session", &err);
    if (st == STORE_ATTACH_MISSING)
        return api_send_json(c, MHD_HTTP_NOT_FOUND, api_error_json("no such session: %s", r->id), NULL, NULL);
    r->attached = st == STORE_ATTACH_OK;
    if (st == STORE_ATTACH_TAKEN)
        return api_send_json(c, MHD_HTTP_CONFLICT,
                             api_error_json("session %s already has its WebSocket: a session is attached once",
                                            r->id),
                             NULL, NULL);
    if (queue_job(s, r) < 0)
        return api_send_json(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                             api_error_json("queue unavailable: the session was not started"), NULL, NULL);
    char accept[29];
    const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-WebSocket-Key");
    if (!key || ws_accept_key(key, accept) < 0)
        return MHD_NO; /* checked with the headers: cannot happen */
    struct MHD_Response *resp = MHD_create_response_for_upgrade(upgraded, s);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "websocket");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "Upgrade");
    MHD_add_response_header(resp, "Sec-WebSocket-Accept", accept);
    enum MHD_Result ret = api_queue_response(c, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
    MHD_destroy_response(resp);
    return ret;
}
