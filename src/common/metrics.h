/* A small registry of Prometheus metrics (text exposition format 0.0.4):
 * counters, gauges and histograms, each a family with fixed label names
 * and one series per set of label values, created on first use. Values are
 * atomics: updating a series takes no lock once it exists; creating one
 * and rendering take the family's mutex. Pure: no I/O, no sockets. */
#ifndef NSJ_COMMON_METRICS_H
#define NSJ_COMMON_METRICS_H

#include <stddef.h>

typedef struct metrics metrics_t;
typedef struct metric metric_t;

/* A new empty registry (NULL when out of memory). */
metrics_t *metrics_new(void);

/* Free a registry and its families (NULL is fine). */
void metrics_free(metrics_t *m);

/* Register a family; labels is a comma-separated list of label names or
 * NULL. NULL when out of memory or more than METRICS_LABELS_MAX labels. */
#define METRICS_LABELS_MAX 4
metric_t *metrics_counter(metrics_t *m, const char *name, const char *help, const char *labels);
metric_t *metrics_gauge(metrics_t *m, const char *name, const char *help, const char *labels);
metric_t *metrics_histogram(metrics_t *m, const char *name, const char *help, const char *labels,
                            const double *buckets, size_t nbuckets);

/* Bucket bounds (seconds) that suit request and run durations. */
extern const double metrics_seconds_buckets[];
extern const size_t metrics_seconds_nbuckets;

/* Add v to a counter or gauge series (values: one per label, in order;
 * NULL for a family without labels). A NULL family does nothing. */
void metric_add(metric_t *f, const char *const *values, double v);

/* Set a gauge series. */
void metric_set(metric_t *f, const char *const *values, double v);

/* Record one observation in a histogram series. */
void metric_observe(metric_t *f, const char *const *values, double v);

/* The whole registry in the text format (malloc'd; NULL when out of memory). */
char *metrics_render(metrics_t *m);

#endif
