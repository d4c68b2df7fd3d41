/* Request parsing. Strict on purpose: an unknown field is an error (a typo
 * such as "testcases" must not silently judge nothing), and every message
 * names the field at fault. */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "queue/message.h"
#include "request.h"

int api_reject(api_error_t *e, unsigned status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->status = status;
    return -1;
}

static void lower_id(const char *in, char id[37])
{
    /* Postgres prints UUIDs in lower case: normalise for the lookup. */
    for (int k = 0; k < 36; k++)
        id[k] = (char)((in[k] >= 'A' && in[k] <= 'F') ? in[k] + 32 : in[k]);
    id[36] = '\0';
}

/* After a question's id: "/tests", "/tests/{n}/input" or "/tests/{n}/answer";
 * after a submission's: "/tests/{n}/stdout". */
static api_route_t sub_route(api_route_t base, const char *rest, long *ordinal)
{
    if (base == API_ROUTE_QUESTION && strcmp(rest, "/tests") == 0)
        return API_ROUTE_QUESTION_TESTS;
    if (strncmp(rest, "/tests/", 7) != 0)
        return API_ROUTE_NONE;
    const char *p = rest + 7;
    size_t digits = strspn(p, "0123456789");
    if (digits == 0 || digits > 6 || (digits > 1 && p[0] == '0'))
        return API_ROUTE_NONE;
    *ordinal = strtol(p, NULL, 10);
    if (base == API_ROUTE_QUESTION && strcmp(p + digits, "/input") == 0)
        return API_ROUTE_TEST_INPUT;
    if (base == API_ROUTE_QUESTION && strcmp(p + digits, "/answer") == 0)
        return API_ROUTE_TEST_ANSWER;
    if (base == API_ROUTE_SUBMISSION && strcmp(p + digits, "/stdout") == 0)
        return API_ROUTE_TEST_STDOUT;
    return API_ROUTE_NONE;
}

api_route_t api_route_match(const char *path, char id[37], long *ordinal)
{
    static const struct {
        const char *prefix;
        api_route_t plain, with_id;
    } routes[] = {
        {"/submissions", API_ROUTE_SUBMISSIONS, API_ROUTE_SUBMISSION},
        {"/questions", API_ROUTE_QUESTIONS, API_ROUTE_QUESTION},
        {"/languages", API_ROUTE_LANGUAGES, API_ROUTE_NONE},
        {"/healthz", API_ROUTE_HEALTHZ, API_ROUTE_NONE},
        {"/metrics", API_ROUTE_METRICS, API_ROUTE_NONE},
        {"/openapi.json", API_ROUTE_OPENAPI, API_ROUTE_NONE},
    };
    id[0] = '\0';
    *ordinal = -1;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        size_t n = strlen(routes[i].prefix);
        if (strncmp(path, routes[i].prefix, n) != 0)
            continue;
        const char *rest = path + n;
        if (*rest == '\0')
            return routes[i].plain;
        if (*rest != '/' || routes[i].with_id == API_ROUTE_NONE || strlen(rest + 1) < 36)
            return API_ROUTE_NONE;
        char maybe[37];
        memcpy(maybe, rest + 1, 36);
        maybe[36] = '\0';
        if (!queue_uuid_valid(maybe))
            return API_ROUTE_NONE;
        api_route_t r = rest[37] == '\0' ? routes[i].with_id : sub_route(routes[i].with_id, rest + 37, ordinal);
        if (r != API_ROUTE_NONE)
            lower_id(maybe, id);
        return r;
    }
    return API_ROUTE_NONE;
}

const char *api_route_allow(api_route_t r)
{
    switch (r) {
    case API_ROUTE_SUBMISSIONS:
    case API_ROUTE_QUESTIONS: return "GET, HEAD, POST";
    case API_ROUTE_QUESTION_TESTS: return "PUT";
    case API_ROUTE_SUBMISSION:
    case API_ROUTE_QUESTION:
    case API_ROUTE_TEST_INPUT:
    case API_ROUTE_TEST_ANSWER:
    case API_ROUTE_TEST_STDOUT:
    case API_ROUTE_LANGUAGES:
    case API_ROUTE_HEALTHZ:
    case API_ROUTE_METRICS:
    case API_ROUTE_OPENAPI: return "GET, HEAD";
    case API_ROUTE_NONE: break;
    }
    return "";
}

const char *api_route_name(api_route_t r)
{
    switch (r) {
    case API_ROUTE_SUBMISSIONS: return "/submissions";
    case API_ROUTE_SUBMISSION: return "/submissions/{id}";
    case API_ROUTE_QUESTIONS: return "/questions";
    case API_ROUTE_QUESTION: return "/questions/{id}";
    case API_ROUTE_QUESTION_TESTS: return "/questions/{id}/tests";
    case API_ROUTE_TEST_INPUT: return "/questions/{id}/tests/{n}/input";
    case API_ROUTE_TEST_ANSWER: return "/questions/{id}/tests/{n}/answer";
    case API_ROUTE_TEST_STDOUT: return "/submissions/{id}/tests/{n}/stdout";
    case API_ROUTE_LANGUAGES: return "/languages";
    case API_ROUTE_HEALTHZ: return "/healthz";
    case API_ROUTE_METRICS: return "/metrics";
    case API_ROUTE_OPENAPI: return "/openapi.json";
    case API_ROUTE_NONE: break;
    }
    return "";
}

bool api_route_allows(api_route_t r, const char *method)
{
    if ((r == API_ROUTE_SUBMISSIONS || r == API_ROUTE_QUESTIONS) && strcmp(method, "POST") == 0)
        return true;
    if (r == API_ROUTE_QUESTION_TESTS)
        return strcmp(method, "PUT") == 0;
    if (r == API_ROUTE_NONE)
        return false;
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

bool api_content_type_archive(const char *v)
{
    static const char *const types[] = {"application/zip", "application/x-tar", "application/gzip",
                                        "application/x-gzip"};
    if (!v)
        return false;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t len = strcspn(v, "; \t");
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (len == strlen(types[i]) && strncasecmp(v, types[i], len) == 0)
            return true;
    return false;
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

bool api_content_type_json(const char *v)
{
    static const char type[] = "application/json";
    if (!v)
        return false;
    const char *p = skip_ws(v);
    if (strncasecmp(p, type, sizeof type - 1) != 0)
        return false;
    p = skip_ws(p + sizeof type - 1);
    while (*p == ';') {
        p = skip_ws(p + 1);
        const char *eq = strchr(p, '=');
        if (!eq)
            return false;
        size_t nlen = (size_t)(eq - p);
        while (nlen > 0 && (p[nlen - 1] == ' ' || p[nlen - 1] == '\t'))
            nlen--;
        const char *val = skip_ws(eq + 1);
        size_t vlen = strcspn(val, ";");
        const char *next = val + vlen;
        while (vlen > 0 && (val[vlen - 1] == ' ' || val[vlen - 1] == '\t'))
            vlen--;
        if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"')
            val++, vlen -= 2;
        if (nlen == 7 && strncasecmp(p, "charset", 7) == 0 &&
            !((vlen == 5 && strncasecmp(val, "utf-8", 5) == 0) || (vlen == 4 && strncasecmp(val, "utf8", 4) == 0)))
            return false;
        p = next;
    }
    return *p == '\0';
}

static json_t *load(const char *body, size_t len, api_error_t *e)
{
    json_error_t jerr;
    /* No JSON_ALLOW_NUL: "\u0000" is refused here, as Postgres text cannot hold it. */
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!root) {
        if (strstr(jerr.text, "\\u0000"))
            api_reject(e, 400, "strings must not contain \\u0000 (line %d, column %d)", jerr.line, jerr.column);
        else
            api_reject(e, 400, "invalid JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        api_reject(e, 400, "the body must be a JSON object");
        return NULL;
    }
    return root;
}

static int only_fields(const json_t *obj, const char *const *allowed, const char *where, api_error_t *e)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(key, *a) == 0;
        if (!ok)
            return api_reject(e, 400, "unknown field '%.64s'%s", key, where);
    }
    return 0;
}

static const char *type_name(const json_t *v)
{
    if (!v)
        return "missing";
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "something else";
}

/* A required string field (may be empty); NULL + e when missing or not a string. */
static const json_t *string_field(const json_t *obj, const char *key, const char *where, api_error_t *e)
{
    const json_t *v = json_object_get(obj, key);
    if (!v) {
        api_reject(e, 400, "missing field '%s'%s", key, where);
        return NULL;
    }
    if (!json_is_string(v)) {
        api_reject(e, 400, "field '%s'%s must be a string, not %s", key, where, type_name(v));
        return NULL;
    }
    return v;
}

static int parse_tests(const json_t *root, const api_limits_t *lim, core_test_t **out, size_t *nout, api_error_t *e)
{
    static const char *const fields[] = {"input", "expected_output", "score", NULL};
    const json_t *arr = json_object_get(root, "test_cases");
    if (!json_is_array(arr))
        return api_reject(e, 400, "field 'test_cases' must be an array, not %s", type_name(arr));
    size_t n = json_array_size(arr);
    if (n == 0)
        return api_reject(e, 400, "field 'test_cases' is empty: give at least one test case");
    if (n > lim->max_tests)
        return api_reject(e, 400, "too many test cases: %zu (the limit is %zu)", n, lim->max_tests);
    core_test_t *tests = calloc(n, sizeof *tests);
    if (!tests)
        return api_reject(e, 503, "out of memory");
    *out = tests;
    for (size_t i = 0; i < n; i++) {
        *nout = i + 1;
        const json_t *t = json_array_get(arr, i);
        char where[48];
        snprintf(where, sizeof where, " in test_cases[%zu]", i);
        if (!json_is_object(t))
            return api_reject(e, 400, "test_cases[%zu] must be an object, not %s", i, type_name(t));
        if (only_fields(t, fields, where, e) < 0)
            return -1;
        const json_t *in = string_field(t, "input", where, e), *want = in ? string_field(t, "expected_output", where, e) : NULL;
        if (!in || !want)
            return -1;
        tests[i].score = 1;
        const json_t *s = json_object_get(t, "score");
        if (s) {
            if (!json_is_integer(s) || json_integer_value(s) < 0 || json_integer_value(s) > API_SCORE_MAX)
                return api_reject(e, 400, "field 'score'%s must be an integer from 0 to %d", where, API_SCORE_MAX);
            tests[i].score = (int64_t)json_integer_value(s);
        }
        tests[i].input_data = strdup(json_string_value(in));
        tests[i].input_len = json_string_length(in);
        tests[i].answer_data = strdup(json_string_value(want));
        tests[i].answer_len = json_string_length(want);
        if (!tests[i].input_data || !tests[i].answer_data)
            return api_reject(e, 503, "out of memory");
    }
    return 0;
}

/* The limit fields of a question or an inline submission. Times are
 * seconds (JSON numbers, fractions allowed); sizes are bytes, as integers
 * or as strings with a k/m/g suffix ("64m"), as in the environment. */
static const char *const limit_fields[] = {"time_limit", "wall_limit", "memory_limit", "output_limit"};

static bool has_limits(const json_t *root)
{
    for (size_t i = 0; i < sizeof limit_fields / sizeof limit_fields[0]; i++)
        if (json_object_get(root, limit_fields[i]))
            return true;
    return false;
}

static int parse_limit(const json_t *root, const char *name, bool seconds, const core_limits_t *max, uint64_t *out,
                       api_error_t *e)
{
    const json_t *v = json_object_get(root, name);
    *out = 0;
    if (!v)
        return 0;
    uint64_t val = 0;
    if (seconds) {
        if (!json_is_number(v))
            return api_reject(e, 400, "field '%s' must be a number of seconds, not %s", name, type_name(v));
        double sec = json_number_value(v);
        /* Anything that rounds to 0 ms, or is negative, fails the range check below. */
        val = sec > 0 && sec < 1e9 ? (uint64_t)(sec * 1000.0 + 0.5) : (sec >= 1e9 ? UINT64_MAX : 0);
    } else if (json_is_integer(v)) {
        val = json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
    } else if (!json_is_string(v) || util_parse_size(json_string_value(v), &val) < 0) {
        return api_reject(e, 400, "field '%s' must be a size in bytes: an integer, or a string like \"64m\" (k, m, g)",
                          name);
    }
    char msg[200];
    if (core_limit_check(name, val, max, msg, sizeof msg) < 0)
        return api_reject(e, 400, "%s", msg);
    *out = val;
    return 0;
}

static int parse_limits(const json_t *root, const core_limits_t *max, core_limits_t *out, api_error_t *e)
{
    if (parse_limit(root, "time_limit", true, max, &out->time_ms, e) < 0 ||
        parse_limit(root, "wall_limit", true, max, &out->wall_ms, e) < 0 ||
        parse_limit(root, "memory_limit", false, max, &out->memory_bytes, e) < 0 ||
        parse_limit(root, "output_limit", false, max, &out->output_bytes, e) < 0)
        return -1;
    return 0;
}

int api_parse_judging(const json_t *root, size_t ntests, bool builtin_only, const api_limits_t *lim,
                      const language_table_t *langs, core_judging_t *out, api_error_t *e)
{
    core_judging_limits_t jl = {.program_max = lim->program_max ? lim->program_max : lim->source_max,
                                .max_subtasks = API_SUBTASKS_MAX};
    char msg[256];
    if (core_judging_parse(root, ntests, builtin_only, &jl, out, msg, sizeof msg) < 0)
        return api_reject(e, 400, "%s", msg);
    const core_program_t *p = &out->checker.program;
    if (out->checker.type == CORE_CHECKER_CUSTOM && (!langs || !languages_find_listed(langs, p->language))) {
        api_reject(e, 400, "field 'checker.language': unknown language '%.40s' (GET /languages lists them)",
                   p->language);
        core_judging_free(out);
        return -1;
    }
    const core_program_t *ip = &out->interactor;
    if (out->mode == CORE_MODE_INTERACTIVE && !languages_find_listed(langs, ip->language)) {
        api_reject(e, 400, "field 'interactor.language': unknown language '%.40s' (GET /languages lists them)",
                   ip->language);
        core_judging_free(out);
        return -1;
    }
    return 0;
}

/* An http(s) URL with a host, no credentials, no spaces or control
 * characters. Whether its target may be reached is the delivering
 * worker's decision (CALLBACK_ALLOW), made on the address it resolves to. */
static int parse_callback_url(const json_t *v, char out[CORE_URL_MAX + 1], api_error_t *e)
{
    if (!json_is_string(v))
        return api_reject(e, 400, "field 'callback_url' must be a string, not %s", type_name(v));
    const char *u = json_string_value(v);
    size_t n = json_string_length(v);
    if (n > CORE_URL_MAX)
        return api_reject(e, 400, "field 'callback_url' is %zu bytes: the limit is %d", n, CORE_URL_MAX);
    const char *host = strncmp(u, "https://", 8) == 0 ? u + 8 : strncmp(u, "http://", 7) == 0 ? u + 7 : NULL;
    if (!host)
        return api_reject(e, 400, "field 'callback_url' must be an http:// or https:// URL");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f)
            return api_reject(e, 400, "field 'callback_url' must not contain spaces or control characters");
    size_t hlen = strcspn(host, "/?#");
    if (hlen == 0 || host[0] == ':')
        return api_reject(e, 400, "field 'callback_url' has no host");
    if (memchr(host, '@', hlen))
        return api_reject(e, 400, "field 'callback_url' must not carry credentials (user@host)");
    memcpy(out, u, n + 1);
    return 0;
}

int api_parse_submission(const char *body, size_t len, const api_limits_t *lim, const language_table_t *langs,
                         core_job_t *out, api_error_t *e)
{
    static const char *const fields[] = {"language", "source_code", "question_id", "test_cases", "time_limit",
                                         "wall_limit", "memory_limit", "output_limit", "keep_output", "checker",
                                         "callback_url", NULL};
    memset(out, 0, sizeof *out);
    json_t *root = load(body, len, e);
    if (!root)
        return -1;
    int rc = -1;
    if (only_fields(root, fields, "", e) < 0)
        goto out;
    const json_t *lang = string_field(root, "language", "", e);
    if (!lang)
        goto out;
    const language_t *l = languages_find_listed(langs, json_string_value(lang));
    if (!l) {
        api_reject(e, 400, "unknown language '%.40s' (GET /languages lists them)", json_string_value(lang));
        goto out;
    }
    snprintf(out->language, sizeof out->language, "%s", l->name);
    const json_t *src = string_field(root, "source_code", "", e);
    if (!src)
        goto out;
    size_t slen = json_string_length(src);
    if (slen > lim->source_max) {
        api_reject(e, 413, "source_code is %zu bytes: the limit is %zu", slen, lim->source_max);
        goto out;
    }
    if (slen == strspn(json_string_value(src), " \t\r\n")) {
        api_reject(e, 400, "source_code is empty");
        goto out;
    }
    const json_t *qid = json_object_get(root, "question_id"), *tests = json_object_get(root, "test_cases");
    if (qid && json_is_null(qid))
        qid = NULL;
    if (qid && tests) {
        api_reject(e, 400, "give either question_id or test_cases, not both");
        goto out;
    }
    if (!qid && !tests) {
        api_reject(e, 400, "missing field 'question_id' or 'test_cases': what should the program be tested with?");
        goto out;
    }
    if (qid) {
        if (!json_is_string(qid) || !queue_uuid_valid(json_string_value(qid))) {
            api_reject(e, 400, "field 'question_id' must be a UUID string");
            goto out;
        }
        if (has_limits(root)) {
            api_reject(e, 400, "limits (time_limit, wall_limit, memory_limit, output_limit) come with test_cases: "
                               "a submission to a question runs under the question's");
            goto out;
        }
        if (json_object_get(root, "checker")) {
            api_reject(e, 400, "field 'checker' comes with test_cases: a submission to a question is judged by "
                               "the question's checker");
            goto out;
        }
        for (int k = 0; k < 36; k++) {
            char c = json_string_value(qid)[k];
            out->question_id[k] = (char)((c >= 'A' && c <= 'F') ? c + 32 : c);
        }
        out->question_id[36] = '\0';
    } else if (parse_tests(root, lim, &out->tests, &out->ntests, e) < 0 ||
               parse_limits(root, &lim->max, &out->limits, e) < 0 ||
               api_parse_judging(root, out->ntests, true, lim, langs, &out->judging, e) < 0) {
        goto out;
    }
    const json_t *keep = json_object_get(root, "keep_output");
    if (keep && !json_is_boolean(keep)) {
        api_reject(e, 400, "field 'keep_output' must be true or false, not %s", type_name(keep));
        goto out;
    }
    out->keep_output = json_is_true(keep);
    const json_t *cb = json_object_get(root, "callback_url");
    if (cb && !json_is_null(cb) && parse_callback_url(cb, out->callback_url, e) < 0)
        goto out;
    if (!(out->source = strdup(json_string_value(src)))) {
        api_reject(e, 503, "out of memory");
        goto out;
    }
    out->source_len = slen;
    rc = 0;
out:
    json_decref(root);
    if (rc < 0)
        core_job_free(out);
    return rc;
}

int api_parse_question(const char *body, size_t len, const api_limits_t *lim, const language_table_t *langs,
                       core_question_t *out, api_error_t *e)
{
    static const char *const fields[] = {"title", "statement", "test_cases", "time_limit", "wall_limit",
                                         "memory_limit", "output_limit", "checker", "subtasks",
                                         "run_all_tests", "mode", "interactor", NULL};
    memset(out, 0, sizeof *out);
    json_t *root = load(body, len, e);
    if (!root)
        return -1;
    int rc = -1;
    if (only_fields(root, fields, "", e) < 0)
        goto out;
    const json_t *title = string_field(root, "title", "", e);
    if (!title)
        goto out;
    size_t tlen = json_string_length(title);
    if (tlen == 0 || tlen > API_TITLE_MAX) {
        api_reject(e, 400, "field 'title' must have 1 to %d bytes", API_TITLE_MAX);
        goto out;
    }
    const json_t *st = json_object_get(root, "statement");
    if (st && !json_is_string(st)) {
        api_reject(e, 400, "field 'statement' must be a string, not %s", type_name(st));
        goto out;
    }
    if (st && json_string_length(st) > lim->source_max) {
        api_reject(e, 413, "statement is %zu bytes: the limit is %zu", json_string_length(st), lim->source_max);
        goto out;
    }
    if (!json_object_get(root, "test_cases")) {
        api_reject(e, 400, "missing field 'test_cases'");
        goto out;
    }
    if (parse_tests(root, lim, &out->tests, &out->ntests, e) < 0 || parse_limits(root, &lim->max, &out->limits, e) < 0 ||
        api_parse_judging(root, out->ntests, false, lim, langs, &out->judging, e) < 0)
        goto out;
    out->title = strdup(json_string_value(title));
    out->statement = strdup(st ? json_string_value(st) : "");
    if (!out->title || !out->statement) {
        api_reject(e, 503, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(root);
    if (rc < 0)
        core_question_free(out);
    return rc;
}
