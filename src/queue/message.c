/* The queue message codec. Everything a message claims is checked here, so
 * the worker can trust the struct: a stream is shared by many producers and
 * a bad entry must become an error for one submission, not a crash. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "message.h"

bool queue_uuid_valid(const char *s)
{
    if (!s)
        return false;
    for (int i = 0; i < QUEUE_UUID_LEN; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return s[QUEUE_UUID_LEN] == '\0';
}

int queue_payload_invalid(nsj_error_t *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nsj_error_vkind(err, EINVAL, fmt, ap);
    va_end(ap);
    return -1;
}

static int get_uuid(const json_t *obj, const char *key, char out[QUEUE_UUID_LEN + 1], nsj_error_t *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return queue_payload_invalid(err, "missing field '%s'", key);
    if (!json_is_string(v) || json_string_length(v) != QUEUE_UUID_LEN || !queue_uuid_valid(json_string_value(v)))
        return queue_payload_invalid(err, "field '%s' is not a UUID", key);
    /* Postgres prints UUIDs in lower case: so do the message's users. */
    const char *s = json_string_value(v);
    for (int k = 0; k < QUEUE_UUID_LEN; k++)
        out[k] = (char)((s[k] >= 'A' && s[k] <= 'F') ? s[k] + 32 : s[k]);
    out[QUEUE_UUID_LEN] = '\0';
    return 0;
}

int queue_message_parse(const char *buf, size_t len, queue_message_t *out, nsj_error_t *err)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    if (!root)
        return queue_payload_invalid(err, "invalid JSON at byte %d: %s", jerr.position, jerr.text);
    int rc = -1;
    if (!json_is_object(root)) {
        queue_payload_invalid(err, "the message is not a JSON object");
        goto out;
    }
    if (get_uuid(root, "submission_id", out->submission_id, err) < 0)
        goto out;
    const json_t *t = json_object_get(root, "enqueued_ms");
    if (t && !(json_is_integer(t) && json_integer_value(t) >= 0)) {
        queue_payload_invalid(err, "field 'enqueued_ms' is not a non-negative integer");
        goto out;
    }
    out->enqueued_ms = t ? (int64_t)json_integer_value(t) : 0;
    rc = 0;
out:
    json_decref(root);
    return rc;
}

char *queue_message_encode(const queue_message_t *m, size_t *len)
{
    json_t *root = json_object();
    char *out = NULL;
    if (root && json_object_set_new(root, "submission_id", json_string(m->submission_id)) == 0 &&
        (m->enqueued_ms <= 0 || json_object_set_new(root, "enqueued_ms", json_integer((json_int_t)m->enqueued_ms)) == 0))
        out = json_dumps(root, JSON_COMPACT);
    if (out && len)
        *len = strlen(out);
    json_decref(root);
    return out;
}

char *queue_message_for(const char *submission_id, size_t *len)
{
    queue_message_t m = {0};
    snprintf(m.submission_id, sizeof m.submission_id, "%s", submission_id);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    m.enqueued_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return queue_message_encode(&m, len);
}
