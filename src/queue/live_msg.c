/* Live messages. The worker formats what the client will read (a session's
 * stdout chunk, its state, its exit) once, and the API forwards it as is:
 * the API never parses program output. */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/text.h"
#include "live_msg.h"
#include "message.h"

void live_events_key(const char *submission_id, char out[LIVE_KEY_MAX])
{
    snprintf(out, LIVE_KEY_MAX, "codesce:events:%.40s", submission_id);
}

void live_session_key(const char *session_id, bool input, char out[LIVE_KEY_MAX])
{
    snprintf(out, LIVE_KEY_MAX, "codesce:session:%.40s:%s", session_id, input ? "in" : "out");
}

static bool language_ok(const char *s, size_t n)
{
    if (n == 0 || n >= sizeof ((live_job_t *)0)->language)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '+' || c == '.'))
            return false;
    }
    return true;
}

int live_job_parse(const char *buf, size_t len, live_job_t *out, nsj_error_t *err)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!root)
        return queue_payload_invalid(err, "invalid JSON at byte %d: %s", jerr.position, jerr.text);
    int rc = -1;
    const json_t *id = json_object_get(root, "session_id"), *l = json_object_get(root, "language"),
                 *src = json_object_get(root, "source_code");
    if (!json_is_object(root))
        queue_payload_invalid(err, "the message is not a JSON object");
    else if (!json_is_string(id) || !queue_uuid_valid(json_string_value(id)))
        queue_payload_invalid(err, "field 'session_id' is missing or not a UUID");
    else if (!json_is_string(l) || !language_ok(json_string_value(l), json_string_length(l)))
        queue_payload_invalid(err, "field 'language' is missing or not a language name");
    else if (!json_is_string(src))
        queue_payload_invalid(err, "field 'source_code' is missing or not a string");
    else if (!(out->source = strndup(json_string_value(src), json_string_length(src))))
        nsj_error_set(err, ENOMEM, "source_code");
    else
        rc = 0;
    /* The id alone, when valid, lets the caller end the session it names. */
    if (json_is_string(id) && queue_uuid_valid(json_string_value(id)))
        memcpy(out->session_id, json_string_value(id), 37);
    if (rc == 0) {
        memcpy(out->language, json_string_value(l), json_string_length(l) + 1);
        out->source_len = json_string_length(src);
    }
    json_decref(root);
    return rc;
}

char *live_job_encode(const live_job_t *job, size_t *len)
{
    json_t *o = json_pack("{s:s, s:s, s:s%}", "session_id", job->session_id, "language", job->language,
                          "source_code", job->source ? job->source : "", job->source ? job->source_len : 0);
    char *out = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (out && len)
        *len = strlen(out);
    return out;
}

void live_job_free(live_job_t *job)
{
    free(job->source);
    memset(job, 0, sizeof *job);
}

/* Compact JSON of o (consumed); NULL when o is NULL or out of memory. */
static char *dump(json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

/* A JSON string of arbitrary bytes: invalid UTF-8 becomes U+FFFD. */
static json_t *text(const char *s, size_t len)
{
    size_t n;
    char *clean = text_utf8_sanitize(s ? s : "", s ? len : 0, &n);
    if (!clean)
        return NULL;
    json_t *j = json_stringn(clean, n);
    free(clean);
    return j;
}

char *live_msg_output(bool is_stderr, const char *data, size_t len)
{
    json_t *d = text(data, len);
    return d ? dump(json_pack("{s:s, s:o}", "type", is_stderr ? "stderr" : "stdout", "data", d)) : NULL;
}

char *live_msg_state(const char *state)
{
    return dump(json_pack("{s:s, s:s}", "type", "state", "state", state));
}

char *live_msg_exit(const live_exit_t *x)
{
    json_t *ev = text(x->evidence ? x->evidence : "", x->evidence ? strlen(x->evidence) : 0);
    if (!ev)
        return NULL;
    return dump(json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:o}", "type", "exit", "status", x->status,
                          "exit_code", x->exit_code >= 0 ? json_integer(x->exit_code) : json_null(), "signal",
                          x->signal > 0 ? json_integer(x->signal) : json_null(), "cpu_ms", (json_int_t)x->cpu_ms,
                          "wall_ms", (json_int_t)x->wall_ms, "memory_kb", (json_int_t)x->memory_kb, "evidence", ev));
}

char *live_event_status(const char *status, const live_final_t *f)
{
    if (!f)
        return dump(json_pack("{s:s}", "status", status));
    json_t *err = f->error ? text(f->error, strlen(f->error)) : json_null();
    if (!err)
        return NULL;
    return dump(json_pack("{s:s, s:o, s:I, s:I, s:I, s:o}", "status", status, "score",
                          f->score >= 0 ? json_integer((json_int_t)f->score) : json_null(), "max_score",
                          (json_int_t)f->max_score, "execution_ms", (json_int_t)f->execution_ms, "memory_kb",
                          (json_int_t)f->memory_kb, "error", err));
}

char *live_event_result(const live_result_t *r)
{
    json_t *ev = text(r->evidence ? r->evidence : "", r->evidence ? strlen(r->evidence) : 0);
    if (!ev)
        return NULL;
    const char *cm = r->checker_message && *r->checker_message ? r->checker_message : NULL;
    const char *group = r->group && *r->group ? r->group : NULL;
    json_t *cmj = cm ? text(cm, strlen(cm)) : json_null(), *gj = group ? text(group, strlen(group)) : json_null();
    if (!cmj || !gj) {
        json_decref(ev);
        json_decref(cmj);
        json_decref(gj);
        return NULL;
    }
    return dump(json_pack("{s:i, s:s, s:b, s:I, s:I, s:I, s:o, s:o, s:o}", "ordinal", r->ordinal, "status", r->status,
                          "passed", r->passed, "execution_ms", (json_int_t)r->execution_ms, "cpu_ms",
                          (json_int_t)r->cpu_ms, "memory_kb", (json_int_t)r->memory_kb, "evidence", ev,
                          "checker_message", cmj, "group", gj));
}

size_t live_utf8_complete(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t back = 0;
    while (back < 3 && back < len && (p[len - 1 - back] & 0xC0) == 0x80)
        back++;
    if (back == len)
        return len; /* only continuation bytes: invalid whatever follows */
    unsigned char lead = p[len - 1 - back];
    size_t need;
    if (lead < 0x80)
        return len;
    if ((lead & 0xE0) == 0xC0)
        need = 2;
    else if ((lead & 0xF0) == 0xE0)
        need = 3;
    else if ((lead & 0xF8) == 0xF0)
        need = 4;
    else
        return len; /* not a lead byte: invalid, nothing to wait for */
    return back + 1 < need ? len - back - 1 : len;
}

static bool decimal_u64(const char *s, size_t n)
{
    if (n == 0 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return n < 20 || strncmp(s, "18446744073709551615", 20) <= 0;
}

bool live_entry_id_valid(const char *s)
{
    if (!s)
        return false;
    const char *dash = strchr(s, '-');
    if (!dash)
        return decimal_u64(s, strlen(s)); /* "<ms>" stands for "<ms>-0" */
    return decimal_u64(s, (size_t)(dash - s)) && decimal_u64(dash + 1, strlen(dash + 1));
}
