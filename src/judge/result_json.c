#include <stdlib.h>
#include <string.h>

#include "result_json.h"
#include "text.h"

static json_t *text_json(const char *s, size_t len)
{
    size_t n;
    char *clean = text_utf8_sanitize(s ? s : "", s ? len : 0, &n);
    if (!clean)
        return NULL;
    json_t *j = json_stringn(clean, n);
    free(clean);
    return j;
}

json_t *result_to_json(const nsj_result_t *r)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    const char *evidence = r->verdict == NSJ_VERDICT_INTERNAL_ERROR && r->message[0] ? r->message : r->evidence;
    int bad = 0;
    bad |= json_object_set_new(o, "status", json_string(nsj_verdict_name(r->verdict)));
    bad |= json_object_set_new(o, "exit_code", r->exit_code >= 0 ? json_integer(r->exit_code) : json_null());
    bad |= json_object_set_new(o, "signal", r->signal > 0 ? json_integer(r->signal) : json_null());
    bad |= json_object_set_new(o, "stdout", text_json(r->out, r->out_len));
    bad |= json_object_set_new(o, "stderr", text_json(r->err, r->err_len));
    bad |= json_object_set_new(o, "cpu_ms", json_integer((json_int_t)r->cpu_ms));
    bad |= json_object_set_new(o, "wall_ms", json_integer((json_int_t)r->wall_ms));
    bad |= json_object_set_new(o, "memory_kb", json_integer((json_int_t)r->memory_kb));
    bad |= json_object_set_new(o, "evidence", text_json(evidence, strlen(evidence)));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}
