#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/judging.h"

static const struct {
    const char *name;
    bool builtin;
} table[] = {
#define CORE_CHECKER_ROW(id, name, builtin) {name, builtin},
    CORE_CHECKERS(CORE_CHECKER_ROW)
#undef CORE_CHECKER_ROW
};

const char *core_checker_name(core_checker_type_t t)
{
    return (unsigned)t < CORE_CHECKER_COUNT ? table[t].name : "exact";
}

int core_checker_from_name(const char *name, core_checker_type_t *out)
{
    for (unsigned i = 0; name && i < CORE_CHECKER_COUNT; i++)
        if (strcmp(name, table[i].name) == 0) {
            *out = (core_checker_type_t)i;
            return 0;
        }
    return -1;
}

bool core_checker_builtin(core_checker_type_t t)
{
    return (unsigned)t < CORE_CHECKER_COUNT && table[t].builtin;
}

static const char *const mode_names[] = {
#define CORE_MODE_ROW(id, name) name,
    CORE_MODES(CORE_MODE_ROW)
#undef CORE_MODE_ROW
};

const char *core_mode_name(core_mode_t m)
{
    return (unsigned)m < CORE_MODE_COUNT ? mode_names[m] : "standard";
}

int core_mode_from_name(const char *name, core_mode_t *out)
{
    for (unsigned i = 0; name && i < CORE_MODE_COUNT; i++)
        if (strcmp(name, mode_names[i]) == 0) {
            *out = (core_mode_t)i;
            return 0;
        }
    return -1;
}

static int refuse(char *msg, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(char *msg, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, cap, fmt, ap);
    va_end(ap);
    return -1;
}

static bool only(const json_t *obj, const char *const *allowed, const char *where, char *msg, size_t cap)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        bool ok = false;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (!ok) {
            refuse(msg, cap, "unknown field '%s%.40s'", where, key);
            return false;
        }
    }
    return true;
}

static bool file_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || s[0] == '.')
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static int tolerance(const json_t *c, const char *key, double *out, char *msg, size_t cap)
{
    const json_t *v = json_object_get(c, key);
    *out = 0;
    if (!v)
        return 0;
    if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0 ||
        json_number_value(v) > CORE_FLOAT_TOL_MAX)
        return refuse(msg, cap, "field 'checker.%s' must be a number from 0 to 1", key);
    *out = json_number_value(v);
    return 0;
}

/* A helper program (a custom checker, an interactor) at field f. */
static int parse_program(const json_t *c, const char *f, const core_judging_limits_t *lim, core_program_t *p, char *msg,
                         size_t cap)
{
    const json_t *lang = json_object_get(c, "language"), *src = json_object_get(c, "source"),
                 *files = json_object_get(c, "files");
    if (!json_is_string(lang) || json_string_length(lang) == 0 || json_string_length(lang) >= sizeof p->language)
        return refuse(msg, cap, "field '%s.language' must name a language (GET /languages lists them)", f);
    if (!json_is_string(src) || json_string_length(src) == 0)
        return refuse(msg, cap, "field '%s.source' must be a non-empty string: the %s's source", f, f);
    if (files && !json_is_object(files))
        return refuse(msg, cap, "field '%s.files' must be an object of file names to contents", f);
    size_t total = json_string_length(src);
    snprintf(p->language, sizeof p->language, "%s", json_string_value(lang));
    if (!(p->source = strdup(json_string_value(src))))
        return refuse(msg, cap, "out of memory");
    p->source_len = json_string_length(src);
    size_t n = files ? json_object_size(files) : 0;
    if (n > 16)
        return refuse(msg, cap, "field '%s.files' has %zu files: at most 16", f, n);
    if (n && !(p->files = calloc(n, sizeof *p->files)))
        return refuse(msg, cap, "out of memory");
    const char *key;
    json_t *v;
    if (files)
        json_object_foreach((json_t *)files, key, v) {
            if (!file_name_ok(key))
                return refuse(msg, cap, "field '%s.files': '%.64s' is not a plain file name ([A-Za-z0-9._-])",
                              f, key);
            if (!json_is_string(v))
                return refuse(msg, cap, "field '%s.files.%.64s' must be a string", f, key);
            total += json_string_length(v);
            core_file_t *cf = &p->files[p->nfiles++];
            cf->name = strdup(key);
            cf->data = strdup(json_string_value(v));
            cf->len = json_string_length(v);
            if (!cf->name || !cf->data)
                return refuse(msg, cap, "out of memory");
        }
    if (total > lim->program_max)
        return refuse(msg, cap, "field '%s': source and files are %zu bytes, the limit is %zu", f, total,
                      lim->program_max);
    return 0;
}

static int parse_checker(const json_t *c, bool builtin_only, const core_judging_limits_t *lim, core_checker_t *out,
                         char *msg, size_t cap)
{
    static const char *const fields[] = {"type", "abs", "rel", "language", "source", "files", "presentation_error",
                                         NULL};
    if (!json_is_object(c))
        return refuse(msg, cap, "field 'checker' must be an object such as {\"type\": \"tokens\"}");
    if (!only(c, fields, "checker.", msg, cap))
        return -1;
    const json_t *type = json_object_get(c, "type");
    if (!json_is_string(type) || core_checker_from_name(json_string_value(type), &out->type) < 0)
        return refuse(msg, cap, "field 'checker.type' must be one of exact, tokens, float, custom");
    if (builtin_only && !core_checker_builtin(out->type))
        return refuse(msg, cap, "field 'checker.type': inline test cases take a built-in checker "
                                "(exact, tokens, float); a custom checker belongs to a question");
    bool is_float = out->type == CORE_CHECKER_FLOAT, is_custom = out->type == CORE_CHECKER_CUSTOM;
    static const char *const float_keys[] = {"abs", "rel"},
                             *const custom_keys[] = {"language", "source", "files", "presentation_error"};
    for (size_t i = 0; i < 2; i++)
        if (!is_float && json_object_get(c, float_keys[i]))
            return refuse(msg, cap, "field 'checker.%s' belongs to the float checker only", float_keys[i]);
    for (size_t i = 0; i < 4; i++)
        if (!is_custom && json_object_get(c, custom_keys[i]))
            return refuse(msg, cap, "field 'checker.%s' belongs to the custom checker only", custom_keys[i]);
    if (is_float) {
        if (tolerance(c, "abs", &out->abs, msg, cap) < 0 || tolerance(c, "rel", &out->rel, msg, cap) < 0)
            return -1;
        if (!json_object_get(c, "abs") && !json_object_get(c, "rel"))
            return refuse(msg, cap, "field 'checker': the float checker needs 'abs' or 'rel' (e.g. 1e-6)");
    }
    const json_t *pe = json_object_get(c, "presentation_error");
    if (pe && (!json_is_string(pe) || (strcmp(json_string_value(pe), "failed") &&
                                       strcmp(json_string_value(pe), "passed"))))
        return refuse(msg, cap, "field 'checker.presentation_error' must be \"failed\" or \"passed\"");
    out->pe_passes = pe && strcmp(json_string_value(pe), "passed") == 0;
    if (is_custom)
        return parse_program(c, "checker", lim, &out->program, msg, cap);
    return 0;
}

/* Is there a cycle through subtask i? (colour: 0 new, 1 on the path, 2 done) */
static bool cycle(const core_judging_t *j, size_t i, unsigned char *colour)
{
    if (colour[i] == 1)
        return true;
    if (colour[i] == 2)
        return false;
    colour[i] = 1;
    for (size_t k = 0; k < j->subtasks[i].ndepends; k++)
        if (cycle(j, j->subtasks[i].depends[k], colour))
            return true;
    colour[i] = 2;
    return false;
}

static int parse_subtasks(const json_t *arr, size_t ntests, const core_judging_limits_t *lim, core_judging_t *out,
                          char *msg, size_t cap)
{
    static const char *const fields[] = {"name", "points", "tests", "depends", NULL};
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return refuse(msg, cap, "field 'subtasks' must be a non-empty array of {name, points, tests, depends?}");
    size_t n = json_array_size(arr);
    if (n > lim->max_subtasks)
        return refuse(msg, cap, "field 'subtasks' has %zu groups: at most %zu", n, lim->max_subtasks);
    if (!(out->subtasks = calloc(n, sizeof *out->subtasks)))
        return refuse(msg, cap, "out of memory");
    out->nsubtasks = n;
    for (size_t i = 0; i < n; i++) { /* names first: depends may name a later group */
        const json_t *g = json_array_get(arr, i), *name = json_object_get(g, "name");
        char where[32];
        snprintf(where, sizeof where, "subtasks[%zu].", i);
        if (!json_is_object(g))
            return refuse(msg, cap, "field 'subtasks[%zu]' must be an object", i);
        if (!only(g, fields, where, msg, cap))
            return -1;
        if (!json_is_string(name) || json_string_length(name) == 0 ||
            json_string_length(name) > CORE_SUBTASK_NAME_MAX)
            return refuse(msg, cap, "field 'subtasks[%zu].name' must be a string of 1 to %d bytes", i,
                          CORE_SUBTASK_NAME_MAX);
        for (size_t k = 0; k < i; k++)
            if (strcmp(out->subtasks[k].name, json_string_value(name)) == 0)
                return refuse(msg, cap, "field 'subtasks[%zu].name': '%s' is taken by subtasks[%zu]", i,
                              json_string_value(name), k);
        snprintf(out->subtasks[i].name, sizeof out->subtasks[i].name, "%s", json_string_value(name));
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *g = json_array_get(arr, i), *pts = json_object_get(g, "points"),
                     *tests = json_object_get(g, "tests"), *deps = json_object_get(g, "depends");
        core_subtask_t *s = &out->subtasks[i];
        if (!json_is_integer(pts) || json_integer_value(pts) < 0 || json_integer_value(pts) > 1000000)
            return refuse(msg, cap, "field 'subtasks[%zu].points' must be an integer from 0 to 1000000", i);
        s->points = json_integer_value(pts);
        if (!json_is_array(tests) || json_array_size(tests) == 0)
            return refuse(msg, cap, "field 'subtasks[%zu].tests' must be a non-empty array of test ordinals", i);
        if (!(s->tests = calloc(json_array_size(tests), sizeof *s->tests)))
            return refuse(msg, cap, "out of memory");
        for (size_t k = 0; k < json_array_size(tests); k++) {
            const json_t *t = json_array_get(tests, k);
            if (!json_is_integer(t) || json_integer_value(t) < 0 || (size_t)json_integer_value(t) >= ntests)
                return refuse(msg, cap, "field 'subtasks[%zu].tests[%zu]' names no test: ordinals are 0 to %zu", i,
                              k, ntests ? ntests - 1 : 0);
            for (size_t m = 0; m < s->ntests; m++)
                if (s->tests[m] == (int)json_integer_value(t))
                    return refuse(msg, cap, "field 'subtasks[%zu].tests' names test %d twice", i, s->tests[m]);
            s->tests[s->ntests++] = (int)json_integer_value(t);
        }
        if (deps && (!json_is_array(deps)))
            return refuse(msg, cap, "field 'subtasks[%zu].depends' must be an array of subtask names", i);
        size_t nd = deps ? json_array_size(deps) : 0;
        if (nd && !(s->depends = calloc(nd, sizeof *s->depends)))
            return refuse(msg, cap, "out of memory");
        for (size_t k = 0; k < nd; k++) {
            const json_t *d = json_array_get(deps, k);
            size_t m = n;
            for (size_t q = 0; json_is_string(d) && q < n && m == n; q++)
                if (strcmp(out->subtasks[q].name, json_string_value(d)) == 0)
                    m = q;
            if (m == n)
                return refuse(msg, cap, "field 'subtasks[%zu].depends[%zu]' names no subtask", i, k);
            s->depends[s->ndepends++] = m;
        }
    }
    unsigned char *colour = calloc(n, 1);
    if (!colour)
        return refuse(msg, cap, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (cycle(out, i, colour)) {
            free(colour);
            return refuse(msg, cap, "field 'subtasks[%zu].depends': the dependencies make a cycle", i);
        }
    free(colour);
    return 0;
}

/* "mode" and "interactor": an interactive question is judged by its
 * interactor, so it takes no checker, and the interactor comes with that
 * mode only. */
static int parse_mode(const json_t *obj, bool builtin_only, const core_judging_limits_t *lim, core_judging_t *out,
                      char *msg, size_t cap)
{
    static const char *const fields[] = {"language", "source", "files", NULL};
    const json_t *m = json_object_get(obj, "mode"), *i = json_object_get(obj, "interactor");
    if (m && !json_is_null(m) &&
        (!json_is_string(m) || core_mode_from_name(json_string_value(m), &out->mode) < 0))
        return refuse(msg, cap, "field 'mode' must be one of standard, interactive");
    bool has_i = i && !json_is_null(i);
    if (out->mode != CORE_MODE_INTERACTIVE) {
        if (has_i)
            return refuse(msg, cap, "field 'interactor' comes with \"mode\": \"interactive\"");
        return 0;
    }
    if (builtin_only)
        return refuse(msg, cap, "field 'mode': inline test cases run standard; an interactive problem is a question "
                                "with its interactor");
    if (!has_i)
        return refuse(msg, cap, "field 'interactor' is required with \"mode\": \"interactive\" "
                                "({\"language\", \"source\", \"files\"})");
    if (out->checker.type != CORE_CHECKER_EXACT)
        return refuse(msg, cap, "field 'checker': an interactive question is judged by its interactor");
    if (!json_is_object(i))
        return refuse(msg, cap, "field 'interactor' must be an object {\"language\", \"source\", \"files\"}");
    if (!only(i, fields, "interactor.", msg, cap))
        return -1;
    return parse_program(i, "interactor", lim, &out->interactor, msg, cap);
}

int core_judging_parse(const json_t *obj, size_t ntests, bool builtin_only, const core_judging_limits_t *lim,
                       core_judging_t *out, char *msg, size_t cap)
{
    memset(out, 0, sizeof *out);
    const json_t *c = json_object_get(obj, "checker"), *st = json_object_get(obj, "subtasks"),
                 *all = json_object_get(obj, "run_all_tests");
    int rc = 0;
    if (c && !json_is_null(c))
        rc = parse_checker(c, builtin_only, lim, &out->checker, msg, cap);
    if (rc == 0 && st && !json_is_null(st))
        rc = parse_subtasks(st, ntests, lim, out, msg, cap);
    if (rc == 0 && all && !json_is_boolean(all))
        rc = refuse(msg, cap, "field 'run_all_tests' must be a boolean");
    out->run_all = json_is_true(all);
    if (rc == 0)
        rc = parse_mode(obj, builtin_only, lim, out, msg, cap);
    if (rc < 0)
        core_judging_free(out);
    return rc;
}

bool core_judging_is_default(const core_judging_t *j)
{
    return j->checker.type == CORE_CHECKER_EXACT && j->nsubtasks == 0 && !j->run_all && j->mode == CORE_MODE_STANDARD;
}

int core_judging_check_tests(const core_judging_t *j, size_t ntests, char *msg, size_t cap)
{
    for (size_t i = 0; i < j->nsubtasks; i++)
        for (size_t k = 0; k < j->subtasks[i].ntests; k++)
            if ((size_t)j->subtasks[i].tests[k] >= ntests)
                return refuse(msg, cap, "subtask '%s' names test %d: the new tests are 0 to %zu",
                              j->subtasks[i].name, j->subtasks[i].tests[k], ntests ? ntests - 1 : 0);
    return 0;
}

/* {"language"[, "source", "files"]} of a helper program. */
static json_t *program_json(const core_program_t *p, bool with_program)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "language", json_string(p->language));
    if (with_program) {
        json_object_set_new(o, "source", json_stringn(p->source, p->source_len));
        json_t *files = json_object();
        for (size_t i = 0; files && i < p->nfiles; i++)
            json_object_set_new(files, p->files[i].name, json_stringn(p->files[i].data, p->files[i].len));
        json_object_set_new(o, "files", files);
    }
    return o;
}

json_t *core_judging_json(const core_judging_t *j, bool with_program)
{
    const core_checker_t *c = &j->checker;
    json_t *o = json_object(), *cj = json_object();
    if (!o || !cj)
        goto fail;
    json_object_set_new(o, "checker", cj);
    json_object_set_new(cj, "type", json_string(core_checker_name(c->type)));
    if (c->type == CORE_CHECKER_FLOAT) {
        json_object_set_new(cj, "abs", json_real(c->abs));
        json_object_set_new(cj, "rel", json_real(c->rel));
    }
    if (c->type == CORE_CHECKER_CUSTOM) {
        json_object_set_new(cj, "language", json_string(c->program.language));
        json_object_set_new(cj, "presentation_error", json_string(c->pe_passes ? "passed" : "failed"));
        if (with_program) {
            json_object_set_new(cj, "source", json_stringn(c->program.source, c->program.source_len));
            json_t *files = json_object();
            for (size_t i = 0; files && i < c->program.nfiles; i++)
                json_object_set_new(files, c->program.files[i].name,
                                    json_stringn(c->program.files[i].data, c->program.files[i].len));
            json_object_set_new(cj, "files", files);
        }
    }
    if (j->nsubtasks) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < j->nsubtasks; i++) {
            const core_subtask_t *s = &j->subtasks[i];
            json_t *g = json_object(), *tests = json_array(), *deps = json_array();
            for (size_t k = 0; tests && k < s->ntests; k++)
                json_array_append_new(tests, json_integer(s->tests[k]));
            for (size_t k = 0; deps && k < s->ndepends; k++)
                json_array_append_new(deps, json_string(j->subtasks[s->depends[k]].name));
            json_object_set_new(g, "name", json_string(s->name));
            json_object_set_new(g, "points", json_integer(s->points));
            json_object_set_new(g, "tests", tests);
            json_object_set_new(g, "depends", deps);
            json_array_append_new(arr, g);
        }
        json_object_set_new(o, "subtasks", arr);
    }
    json_object_set_new(o, "run_all_tests", json_boolean(j->run_all));
    json_object_set_new(o, "mode", json_string(core_mode_name(j->mode)));
    if (j->mode == CORE_MODE_INTERACTIVE)
        json_object_set_new(o, "interactor", program_json(&j->interactor, with_program));
    return o;
fail:
    json_decref(o);
    json_decref(cj);
    return NULL;
}

char *core_judging_dump(const core_judging_t *j)
{
    json_t *o = core_judging_json(j, true);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

void core_program_free(core_program_t *p)
{
    if (!p)
        return;
    free(p->source);
    for (size_t i = 0; i < p->nfiles; i++) {
        free(p->files[i].name);
        free(p->files[i].data);
    }
    free(p->files);
    memset(p, 0, sizeof *p);
}

void core_judging_free(core_judging_t *j)
{
    if (!j)
        return;
    core_program_free(&j->checker.program);
    core_program_free(&j->interactor);
    for (size_t i = 0; i < j->nsubtasks; i++) {
        free(j->subtasks[i].tests);
        free(j->subtasks[i].depends);
    }
    free(j->subtasks);
    memset(j, 0, sizeof *j);
}
