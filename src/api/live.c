/* The live routes' pure parts. Strict like request.c: a client message
 * with an unknown type or an unknown field is refused, not ignored, so a
 * client bug shows at once instead of as a program that never gets input. */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/live.h"
#include "queue/message.h"

/* ---- routes ---- */

static void lower_uuid(const char *in, char id[37])
{
    for (int k = 0; k < 36; k++)
        id[k] = (char)((in[k] >= 'A' && in[k] <= 'F') ? in[k] + 32 : in[k]);
    id[36] = '\0';
}

/* The first segment of a path of the JSON API: never a static file. */
static bool api_prefix(const char *path)
{
    static const char *const names[] = {"submissions", "questions", "languages", "healthz", "sessions"};
    const char *seg = path + 1;
    size_t n = strcspn(seg, "/");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && strncmp(seg, names[i], n) == 0)
            return true;
    return false;
}

api_live_route_t api_live_route_match(const char *path, char id[37], char *file, size_t cap)
{
    id[0] = '\0';
    if (cap)
        file[0] = '\0';
    static const char subs[] = "/submissions/", events[] = "/events", sess[] = "/sessions";
    if (strncmp(path, subs, sizeof subs - 1) == 0) {
        const char *u = path + sizeof subs - 1;
        char uuid[37];
        if (strlen(u) != 36 + sizeof events - 1 || strcmp(u + 36, events) != 0)
            return API_LIVE_NONE;
        memcpy(uuid, u, 36);
        uuid[36] = '\0';
        if (!queue_uuid_valid(uuid))
            return API_LIVE_NONE;
        lower_uuid(uuid, id);
        return API_LIVE_EVENTS;
    }
    if (strncmp(path, sess, sizeof sess - 1) == 0) {
        const char *rest = path + sizeof sess - 1;
        if (*rest == '\0')
            return API_LIVE_SESSIONS;
        if (*rest != '/' || !queue_uuid_valid(rest + 1))
            return API_LIVE_NONE;
        lower_uuid(rest + 1, id);
        return API_LIVE_SESSION;
    }
    if (path[0] != '/' || api_prefix(path))
        return API_LIVE_NONE;
    const char *name = path[1] ? path + 1 : "index.html";
    if (!api_static_name_ok(name) || strlen(name) >= cap)
        return API_LIVE_NONE;
    snprintf(file, cap, "%s", name);
    return API_LIVE_STATIC;
}

const char *api_live_route_allow(api_live_route_t r)
{
    switch (r) {
    case API_LIVE_EVENTS:
    case API_LIVE_SESSION: return "GET";
    case API_LIVE_SESSIONS: return "POST";
    case API_LIVE_STATIC: return "GET, HEAD";
    case API_LIVE_NONE: break;
    }
    return "";
}

bool api_live_route_allows(api_live_route_t r, const char *method)
{
    switch (r) {
    case API_LIVE_EVENTS:
    case API_LIVE_SESSION: return strcmp(method, "GET") == 0;
    case API_LIVE_SESSIONS: return strcmp(method, "POST") == 0;
    case API_LIVE_STATIC: return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    case API_LIVE_NONE: break;
    }
    return false;
}

bool api_static_name_ok(const char *name)
{
    size_t len = strlen(name), depth = 0;
    if (len == 0 || len > 200)
        return false;
    for (const char *seg = name;;) {
        size_t n = strcspn(seg, "/");
        if (n == 0 || seg[0] == '.' || ++depth > 6)
            return false;
        for (size_t i = 0; i < n; i++) {
            char c = seg[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '-'))
                return false;
        }
        if (seg[n] == '\0')
            return true;
        seg += n + 1;
    }
}

const char *api_static_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},      {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},              {".map", "application/json"},
        {".svg", "image/svg+xml"},                  {".png", "image/png"},
        {".ico", "image/x-icon"},                   {".txt", "text/plain; charset=utf-8"},
        {".woff2", "font/woff2"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* ---- the WebSocket handshake ---- */

/* Does a comma-separated header value hold this token (case-insensitive)? */
static bool has_token(const char *value, const char *token)
{
    size_t tlen = strlen(token);
    for (const char *p = value; p && *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m > 0 && (p[m - 1] == ' ' || p[m - 1] == '\t'))
            m--;
        if (m == tlen && strncasecmp(p, token, tlen) == 0)
            return true;
        p += n;
    }
    return false;
}

/* 16 bytes in base64: 22 characters of the alphabet and "==". */
static bool key_ok(const char *key)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (!key || strlen(key) != 24 || strcmp(key + 22, "==") != 0)
        return false;
    for (int i = 0; i < 22; i++)
        if (!strchr(b64, key[i]) || key[i] == '\0')
            return false;
    /* The last character before the padding carries 2 bits: 4 zero bits. */
    return (strchr(b64, key[21]) - b64) % 16 == 0;
}

int api_ws_check(const char *method, const char *upgrade, const char *connection, const char *version,
                 const char *key, api_error_t *e)
{
    if (!method || strcmp(method, "GET") != 0)
        return api_reject(e, 400, "a WebSocket handshake is a GET request");
    if (!upgrade || !has_token(upgrade, "websocket"))
        return api_reject(e, 426, "this is a WebSocket endpoint: send 'Upgrade: websocket' and 'Connection: Upgrade'");
    if (!connection || !has_token(connection, "upgrade"))
        return api_reject(e, 400, "the 'Connection' header must contain 'Upgrade'");
    if (!version || strcmp(version, "13") != 0)
        return api_reject(e, 426, "unsupported WebSocket version '%.20s': this server speaks version 13",
                      version ? version : "(none)");
    if (!key)
        return api_reject(e, 400, "missing 'Sec-WebSocket-Key'");
    if (!key_ok(key))
        return api_reject(e, 400, "'Sec-WebSocket-Key' must be 16 bytes in base64 (24 characters)");
    return 0;
}

/* Does origin (scheme://host[:port]) name exactly this Host header? */
static bool same_origin(const char *origin, const char *host)
{
    const char *rest;
    if (strncasecmp(origin, "http://", 7) == 0)
        rest = origin + 7;
    else if (strncasecmp(origin, "https://", 8) == 0)
        rest = origin + 8;
    else
        return false;
    return host && *host && strcasecmp(rest, host) == 0;
}

bool api_origin_allowed(const char *origin, const char *host, const char *allowed)
{
    if (!origin)
        return true;
    if (!allowed || !*allowed)
        return same_origin(origin, host);
    size_t olen = strlen(origin);
    for (const char *p = allowed; *p;) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        size_t n = strcspn(p, " ,\t");
        if (n == 1 && *p == '*')
            return true;
        if (n && n == olen && strncasecmp(p, origin, n) == 0)
            return true;
        p += n;
    }
    return false;
}

/* ---- POST /sessions ---- */

int api_parse_session(const char *body, size_t len, const api_limits_t *lim, const language_table_t *langs,
                      api_session_req_t *out, api_error_t *e)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!root) {
        if (strstr(jerr.text, "\\u0000"))
            return api_reject(e, 400, "strings must not contain \\u0000 (line %d, column %d)", jerr.line, jerr.column);
        return api_reject(e, 400, "invalid JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
    }
    int rc = -1;
    const char *key;
    json_t *v;
    if (!json_is_object(root)) {
        api_reject(e, 400, "the body must be a JSON object");
        goto out;
    }
    json_object_foreach(root, key, v) {
        if (strcmp(key, "language") != 0 && strcmp(key, "source_code") != 0) {
            api_reject(e, 400, "unknown field '%.64s'", key);
            goto out;
        }
    }
    const json_t *lang = json_object_get(root, "language"), *src = json_object_get(root, "source_code");
    if (!lang || !json_is_string(lang)) {
        api_reject(e, 400, lang ? "field 'language' must be a string" : "missing field 'language'");
        goto out;
    }
    const language_t *l = languages_find_listed(langs, json_string_value(lang));
    if (!l) {
        api_reject(e, 400, "unknown language '%.40s' (GET /languages lists them)", json_string_value(lang));
        goto out;
    }
    if (!src || !json_is_string(src)) {
        api_reject(e, 400, src ? "field 'source_code' must be a string" : "missing field 'source_code'");
        goto out;
    }
    size_t slen = json_string_length(src);
    if (slen > lim->source_max) {
        api_reject(e, 413, "source_code is %zu bytes: the limit is %zu", slen, lim->source_max);
        goto out;
    }
    if (slen == strspn(json_string_value(src), " \t\r\n")) {
        api_reject(e, 400, "source_code is empty");
        goto out;
    }
    snprintf(out->language, sizeof out->language, "%s", l->name);
    if (!(out->source = strdup(json_string_value(src)))) {
        api_reject(e, 503, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

void api_session_req_free(api_session_req_t *r)
{
    free(r->source);
    memset(r, 0, sizeof *r);
}

/* ---- client messages ---- */

static int why_not(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int why_not(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return -1;
}

int api_parse_client_message(const char *text, size_t len, api_client_msg_t *out, char *why, size_t cap)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    /* Input is bytes for the program: "\u0000" is a byte like any other. */
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    if (!root)
        return why_not(why, cap, "not JSON: %s", jerr.text);
    int rc = -1;
    const json_t *type = json_object_get(root, "type"), *data = json_object_get(root, "data");
    if (!json_is_object(root)) {
        why_not(why, cap, "a message must be a JSON object");
    } else if (!json_is_string(type)) {
        why_not(why, cap, "a message needs a string 'type'");
    } else if (strcmp(json_string_value(type), "input") == 0) {
        if (!json_is_string(data))
            why_not(why, cap, "an input message needs a string 'data'");
        else if (json_object_size(root) != 2)
            why_not(why, cap, "an input message has only 'type' and 'data'");
        else if (!(out->data = malloc(json_string_length(data) + 1)))
            why_not(why, cap, "out of memory");
        else {
            out->type = API_CLIENT_INPUT;
            out->len = json_string_length(data);
            memcpy(out->data, json_string_value(data), out->len);
            out->data[out->len] = '\0';
            rc = 0;
        }
    } else if (strcmp(json_string_value(type), "eof") == 0) {
        if (json_object_size(root) != 1)
            why_not(why, cap, "an eof message has only 'type'");
        else {
            out->type = API_CLIENT_EOF;
            rc = 0;
        }
    } else {
        why_not(why, cap, "unknown message type '%.40s' (input, eof)", json_string_value(type));
    }
    json_decref(root);
    return rc;
}

void api_client_msg_free(api_client_msg_t *m)
{
    free(m->data);
    memset(m, 0, sizeof *m);
}

/* ---- Server-Sent Events ---- */

char *api_sse_event(const char *id, const char *event, const char *data, size_t len, size_t *outlen)
{
    /* Every line of data gets "data: " and "\n"; CR, LF and CRLF all end a line. */
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        if (data[i] == '\n' || (data[i] == '\r' && !(i + 1 < len && data[i + 1] == '\n')))
            lines++;
    size_t cap = len + lines * 7 + (id ? strlen(id) + 5 : 0) + (event ? strlen(event) + 8 : 0) + 2;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t o = 0;
    if (id)
        o += (size_t)sprintf(out + o, "id: %s\n", id);
    if (event)
        o += (size_t)sprintf(out + o, "event: %s\n", event);
    memcpy(out + o, "data: ", 6);
    o += 6;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\r' || data[i] == '\n') {
            if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
                i++;
            memcpy(out + o, "\ndata: ", 7);
            o += 7;
        } else {
            out[o++] = data[i];
        }
    }
    out[o++] = '\n';
    out[o++] = '\n';
    out[o] = '\0';
    if (outlen)
        *outlen = o;
    return out;
}
