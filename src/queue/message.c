/* The queue message codec. Everything a message claims is checked here, so
 * the worker can trust the struct: a stream is shared by many producers and
 * a bad entry must become an error for one submission, not a crash. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->errnum = EINVAL;
    return -1;
}

/* Copy a JSON string's bytes (NUL bytes included) into a new buffer. */
static int dup_string(const json_t *j, char **out, size_t *len)
{
    size_t n = json_string_length(j);
    char *p = malloc(n + 1);
    if (!p)
        return -1;
    memcpy(p, json_string_value(j), n);
    p[n] = '\0';
    *out = p;
    *len = n;
    return 0;
}

static int get_uuid(const json_t *obj, const char *key, char out[QUEUE_UUID_LEN + 1], nsj_error_t *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return queue_payload_invalid(err, "missing field '%s'", key);
    if (!json_is_string(v) || json_string_length(v) != QUEUE_UUID_LEN || !queue_uuid_valid(json_string_value(v)))
        return queue_payload_invalid(err, "field '%s' is not a UUID", key);
    memcpy(out, json_string_value(v), QUEUE_UUID_LEN + 1);
    return 0;
}

static int get_text(const json_t *obj, const char *key, char **out, size_t *len, nsj_error_t *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return queue_payload_invalid(err, "missing field '%s'", key);
    if (!json_is_string(v))
        return queue_payload_invalid(err, "field '%s' is not a string", key);
    if (dup_string(v, out, len) < 0)
        return nsj_error_set(err, ENOMEM, "field '%s'", key);
    return 0;
}

static bool language_ok(const char *s, size_t n)
{
    if (n == 0 || n >= QUEUE_LANG_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '+' || c == '.'))
            return false;
    }
    return true;
}

static int parse_test(const json_t *t, size_t i, queue_test_case_t *tc, nsj_error_t *err)
{
    if (!json_is_object(t))
        return queue_payload_invalid(err, "test_cases[%zu] is not an object", i);
    if (get_uuid(t, "id", tc->id, err) < 0 || get_text(t, "input", &tc->input, &tc->input_len, err) < 0 ||
        get_text(t, "expected_output", &tc->expected, &tc->expected_len, err) < 0)
        return nsj_error_wrap(err, "test_cases[%zu]", i);
    const json_t *s = json_object_get(t, "score");
    if (!s)
        return queue_payload_invalid(err, "test_cases[%zu]: missing field 'score'", i);
    if (!json_is_integer(s) || json_integer_value(s) < 0 || json_integer_value(s) > QUEUE_MAX_SCORE)
        return queue_payload_invalid(err, "test_cases[%zu]: field 'score' is not an integer from 0 to %lld", i, QUEUE_MAX_SCORE);
    tc->score = (int64_t)json_integer_value(s);
    return 0;
}

static int parse_object(const json_t *root, queue_message_t *m, nsj_error_t *err)
{
    if (!json_is_object(root))
        return queue_payload_invalid(err, "the message is not a JSON object");
    if (get_uuid(root, "submission_id", m->submission_id, err) < 0)
        return -1;
    const json_t *q = json_object_get(root, "question_id");
    if (q && !json_is_null(q)) {
        if (get_uuid(root, "question_id", m->question_id, err) < 0)
            return -1;
    }
    const json_t *l = json_object_get(root, "language");
    if (!l)
        return queue_payload_invalid(err, "missing field '%s'", "language");
    if (!json_is_string(l) || !language_ok(json_string_value(l), json_string_length(l)))
        return queue_payload_invalid(err, "field '%s' is not a language name", "language");
    memcpy(m->language, json_string_value(l), json_string_length(l) + 1);
    if (get_text(root, "source_code", &m->source, &m->source_len, err) < 0)
        return -1;
    const json_t *tests = json_object_get(root, "test_cases");
    if (!tests)
        return queue_payload_invalid(err, "missing field '%s'", "test_cases");
    if (!json_is_array(tests))
        return queue_payload_invalid(err, "field '%s' is not an array", "test_cases");
    size_t n = json_array_size(tests);
    if (n == 0)
        return queue_payload_invalid(err, "field '%s' is empty", "test_cases");
    if (n > QUEUE_MAX_TESTS)
        return queue_payload_invalid(err, "field 'test_cases' has more than %d entries", QUEUE_MAX_TESTS);
    m->tests = calloc(n, sizeof *m->tests);
    if (!m->tests)
        return nsj_error_set(err, ENOMEM, "test_cases");
    for (size_t i = 0; i < n; i++) {
        m->ntests = i + 1; /* so queue_message_free() releases what was parsed */
        if (parse_test(json_array_get(tests, i), i, &m->tests[i], err) < 0)
            return -1;
    }
    return 0;
}

int queue_message_parse(const char *buf, size_t len, queue_message_t *out, nsj_error_t *err)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    if (!root) {
        return queue_payload_invalid(err, "invalid JSON at byte %d: %s", jerr.position, jerr.text);
    }
    int rc = parse_object(root, out, err);
    json_decref(root);
    if (rc < 0) {
        char keep[QUEUE_UUID_LEN + 1];
        memcpy(keep, out->submission_id, sizeof keep);
        queue_message_free(out);
        memcpy(out->submission_id, keep, sizeof keep);
        return -1;
    }
    return 0;
}

static int set(json_t *o, const char *key, json_t *v)
{
    return v ? json_object_set_new(o, key, v) : -1;
}

char *queue_message_encode(const queue_message_t *m, size_t *len)
{
    json_t *root = json_object(), *tests = json_array();
    char *out = NULL;
    int bad_ = !root || !tests;
    bad_ |= !root || set(root, "submission_id", json_string(m->submission_id));
    bad_ |= !root || set(root, "question_id", m->question_id[0] ? json_string(m->question_id) : json_null());
    bad_ |= !root || set(root, "language", json_string(m->language));
    bad_ |= !root || set(root, "source_code", json_stringn(m->source ? m->source : "", m->source_len));
    for (size_t i = 0; !bad_ && i < m->ntests; i++) {
        const queue_test_case_t *t = &m->tests[i];
        json_t *o = json_object();
        int b = !o;
        b |= !o || set(o, "id", json_string(t->id));
        b |= !o || set(o, "input", json_stringn(t->input ? t->input : "", t->input_len));
        b |= !o || set(o, "expected_output", json_stringn(t->expected ? t->expected : "", t->expected_len));
        b |= !o || set(o, "score", json_integer((json_int_t)t->score));
        if (b || json_array_append_new(tests, o) < 0) {
            json_decref(o);
            bad_ = 1;
        }
    }
    if (!bad_ && json_object_set(root, "test_cases", tests) == 0)
        out = json_dumps(root, JSON_COMPACT);
    if (out && len)
        *len = strlen(out);
    json_decref(tests);
    json_decref(root);
    return out;
}

void queue_message_free(queue_message_t *m)
{
    if (!m)
        return;
    free(m->source);
    for (size_t i = 0; m->tests && i < m->ntests; i++) {
        free(m->tests[i].input);
        free(m->tests[i].expected);
    }
    free(m->tests);
    memset(m, 0, sizeof *m);
}
