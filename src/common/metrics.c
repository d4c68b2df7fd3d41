/* Prometheus metrics registry (metrics.h). A series' value is a double
 * kept in an atomic 64-bit word and added to with compare-and-swap, so
 * hot paths (every request, every run) never take a lock. */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/metrics.h"
#include "common/util.h"

typedef enum kind { K_COUNTER, K_GAUGE, K_HISTOGRAM } kind_t;

typedef struct series {
    struct series *next;
    char *values[METRICS_LABELS_MAX];
    _Atomic uint64_t value;      /* counter/gauge: a double's bits; histogram: the sum */
    _Atomic uint64_t count;      /* histogram: observations */
    _Atomic uint64_t *buckets;   /* histogram: cumulative counts are computed when rendering */
} series_t;

struct metric {
    struct metric *next;
    kind_t kind;
    char *name, *help;
    char *labels[METRICS_LABELS_MAX];
    size_t nlabels;
    double *bounds;
    size_t nbounds;
    pthread_mutex_t mu;
    _Atomic(series_t *) head;
};

struct metrics {
    pthread_mutex_t mu;
    metric_t *head, *tail;
};

const double metrics_seconds_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
const size_t metrics_seconds_nbuckets = sizeof metrics_seconds_buckets / sizeof metrics_seconds_buckets[0];

metrics_t *metrics_new(void)
{
    metrics_t *m = calloc(1, sizeof *m);
    if (m)
        pthread_mutex_init(&m->mu, NULL);
    return m;
}

static void series_free(series_t *s, size_t nlabels)
{
    for (size_t i = 0; i < nlabels; i++)
        free(s->values[i]);
    free(s->buckets);
    free(s);
}

static void metric_free(metric_t *f)
{
    series_t *s = atomic_load(&f->head);
    while (s) {
        series_t *n = s->next;
        series_free(s, f->nlabels);
        s = n;
    }
    for (size_t i = 0; i < f->nlabels; i++)
        free(f->labels[i]);
    free(f->name);
    free(f->help);
    free(f->bounds);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

void metrics_free(metrics_t *m)
{
    if (!m)
        return;
    metric_t *f = m->head;
    while (f) {
        metric_t *n = f->next;
        metric_free(f);
        f = n;
    }
    pthread_mutex_destroy(&m->mu);
    free(m);
}

static metric_t *family(metrics_t *m, kind_t kind, const char *name, const char *help, const char *labels,
                        const double *bounds, size_t nbounds)
{
    if (!m)
        return NULL;
    metric_t *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    pthread_mutex_init(&f->mu, NULL);
    f->kind = kind;
    f->name = strdup(name);
    f->help = strdup(help);
    bool ok = f->name && f->help;
    if (labels && *labels) {
        char *copy = strdup(labels), *save = NULL;
        ok = ok && copy;
        for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; ok && t; t = strtok_r(NULL, ",", &save)) {
            if (f->nlabels == METRICS_LABELS_MAX || !(f->labels[f->nlabels++] = strdup(t)))
                ok = false;
        }
        free(copy);
    }
    if (ok && nbounds) {
        f->bounds = malloc(nbounds * sizeof *bounds);
        ok = f->bounds != NULL;
        if (ok) {
            memcpy(f->bounds, bounds, nbounds * sizeof *bounds);
            f->nbounds = nbounds;
        }
    }
    if (!ok) {
        metric_free(f);
        return NULL;
    }
    pthread_mutex_lock(&m->mu);
    if (m->tail)
        m->tail->next = f;
    else
        m->head = f;
    m->tail = f;
    pthread_mutex_unlock(&m->mu);
    return f;
}

metric_t *metrics_counter(metrics_t *m, const char *name, const char *help, const char *labels)
{
    return family(m, K_COUNTER, name, help, labels, NULL, 0);
}

metric_t *metrics_gauge(metrics_t *m, const char *name, const char *help, const char *labels)
{
    return family(m, K_GAUGE, name, help, labels, NULL, 0);
}

metric_t *metrics_histogram(metrics_t *m, const char *name, const char *help, const char *labels,
                            const double *buckets, size_t nbuckets)
{
    return family(m, K_HISTOGRAM, name, help, labels, buckets, nbuckets);
}

static bool same_values(const series_t *s, const char *const *values, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s->values[i], values[i] ? values[i] : "") != 0)
            return false;
    return true;
}

/* The series of these label values, created on first use (lock-free lookup
 * of the list, which only ever grows at its head under the mutex). */
static series_t *series(metric_t *f, const char *const *values)
{
    for (series_t *s = atomic_load(&f->head); s; s = s->next)
        if (same_values(s, values, f->nlabels))
            return s;
    pthread_mutex_lock(&f->mu);
    series_t *s;
    for (s = atomic_load(&f->head); s; s = s->next)
        if (same_values(s, values, f->nlabels))
            break;
    if (!s && (s = calloc(1, sizeof *s))) {
        bool ok = true;
        for (size_t i = 0; i < f->nlabels; i++)
            ok = ok && (s->values[i] = strdup(values[i] ? values[i] : ""));
        if (ok && f->kind == K_HISTOGRAM)
            ok = (s->buckets = calloc(f->nbounds, sizeof *s->buckets)) != NULL;
        if (!ok) {
            series_free(s, f->nlabels);
            s = NULL;
        } else {
            s->next = atomic_load(&f->head);
            atomic_store(&f->head, s);
        }
    }
    pthread_mutex_unlock(&f->mu);
    return s;
}

static double bits_double(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static uint64_t double_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

static void atomic_add_double(_Atomic uint64_t *p, double v)
{
    uint64_t old = atomic_load(p);
    while (!atomic_compare_exchange_weak(p, &old, double_bits(bits_double(old) + v)))
        ;
}

void metric_add(metric_t *f, const char *const *values, double v)
{
    series_t *s = f ? series(f, values) : NULL;
    if (s)
        atomic_add_double(&s->value, v);
}

void metric_set(metric_t *f, const char *const *values, double v)
{
    series_t *s = f ? series(f, values) : NULL;
    if (s)
        atomic_store(&s->value, double_bits(v));
}

void metric_observe(metric_t *f, const char *const *values, double v)
{
    series_t *s = f && f->kind == K_HISTOGRAM ? series(f, values) : NULL;
    if (!s)
        return;
    for (size_t i = 0; i < f->nbounds; i++)
        if (v <= f->bounds[i]) {
            atomic_fetch_add(&s->buckets[i], 1);
            break;
        }
    atomic_fetch_add(&s->count, 1);
    atomic_add_double(&s->value, v);
}

/* ---- rendering ---- */

typedef util_sbuf_t buf_t;

/* A label value or help text escaped as the format says (\\, \n, and \" in values). */
static void put_escaped(buf_t *b, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            util_sb_add(b, "\\\\");
        else if (*s == '\n')
            util_sb_add(b, "\\n");
        else if (quote && *s == '"')
            util_sb_add(b, "\\\"");
        else
            util_sb_add(b, "%c", *s);
    }
}

static void put_number(buf_t *b, double v)
{
    if (isinf(v))
        util_sb_add(b, v > 0 ? "+Inf" : "-Inf");
    else if (isnan(v))
        util_sb_add(b, "NaN");
    else if (v == (double)(int64_t)v && fabs(v) < 1e15)
        util_sb_add(b, "%lld", (long long)v);
    else {
        /* The shortest form that reads back as the same double. */
        char t[32];
        snprintf(t, sizeof t, "%.15g", v);
        if (strtod(t, NULL) != v)
            snprintf(t, sizeof t, "%.17g", v);
        util_sb_add(b, "%s", t);
    }
}

/* {a="x",b="y"} with an optional extra label (le), or nothing. */
static void put_labels(buf_t *b, const metric_t *f, const series_t *s, const char *extra, double le)
{
    if (!f->nlabels && !extra)
        return;
    util_sb_add(b, "{");
    for (size_t i = 0; i < f->nlabels; i++) {
        util_sb_add(b, "%s%s=\"", i ? "," : "", f->labels[i]);
        put_escaped(b, s->values[i], true);
        util_sb_add(b, "\"");
    }
    if (extra) {
        util_sb_add(b, "%s%s=\"", f->nlabels ? "," : "", extra);
        put_number(b, le);
        util_sb_add(b, "\"");
    }
    util_sb_add(b, "}");
}

char *metrics_render(metrics_t *m)
{
    buf_t b = {.p = malloc(4096), .cap = 4096};
    if (!b.p)
        return NULL;
    b.p[0] = '\0';
    pthread_mutex_lock(&m->mu);
    for (metric_t *f = m->head; f; f = f->next) {
        static const char *const types[] = {"counter", "gauge", "histogram"};
        util_sb_add(&b, "# HELP %s ", f->name);
        put_escaped(&b, f->help, false);
        util_sb_add(&b, "\n# TYPE %s %s\n", f->name, types[f->kind]);
        pthread_mutex_lock(&f->mu);
        for (series_t *s = atomic_load(&f->head); s; s = s->next) {
            if (f->kind != K_HISTOGRAM) {
                util_sb_add(&b, "%s", f->name);
                put_labels(&b, f, s, NULL, 0);
                util_sb_add(&b, " ");
                put_number(&b, bits_double(atomic_load(&s->value)));
                util_sb_add(&b, "\n");
                continue;
            }
            /* Read the count first: buckets only grow, so the +Inf bucket
             * (= count) is never below a finite one. */
            uint64_t count = atomic_load(&s->count), cum = 0;
            for (size_t i = 0; i < f->nbounds; i++) {
                cum += atomic_load(&s->buckets[i]);
                if (cum > count)
                    cum = count;
                util_sb_add(&b, "%s_bucket", f->name);
                put_labels(&b, f, s, "le", f->bounds[i]);
                util_sb_add(&b, " %llu\n", (unsigned long long)cum);
            }
            util_sb_add(&b, "%s_bucket", f->name);
            put_labels(&b, f, s, "le", INFINITY);
            util_sb_add(&b, " %llu\n%s_sum", (unsigned long long)count, f->name);
            put_labels(&b, f, s, NULL, 0);
            util_sb_add(&b, " ");
            put_number(&b, bits_double(atomic_load(&s->value)));
            util_sb_add(&b, "\n%s_count", f->name);
            put_labels(&b, f, s, NULL, 0);
            util_sb_add(&b, " %llu\n", (unsigned long long)count);
        }
        pthread_mutex_unlock(&f->mu);
    }
    pthread_mutex_unlock(&m->mu);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
