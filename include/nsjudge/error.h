/* nsjudge error reporting: errno plus a message that grows context as it
 * travels up ("cgroup: write memory.max: Invalid argument"). Library code
 * never exits; fallible functions return <0 and fill an nsj_error_t. */
#ifndef NSJUDGE_ERROR_H
#define NSJUDGE_ERROR_H

#include <stdarg.h>

#define NSJ_ERROR_MSG_MAX 512

typedef struct nsj_error {
    int errnum;                    /* errno of the root cause, 0 if none */
    char msg[NSJ_ERROR_MSG_MAX];   /* human-readable, outermost context first */
} nsj_error_t;

/* Set err to errnum + formatted message (strerror appended when errnum != 0); returns -1. */
int nsj_error_set(nsj_error_t *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set err to a kind (an errno value) + formatted message, nothing appended; returns -1. */
int nsj_error_kind(nsj_error_t *err, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* nsj_error_kind() with a va_list; returns -1. */
int nsj_error_vkind(nsj_error_t *err, int kind, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Prefix err's message with formatted context ("ctx: old message"); returns -1. */
int nsj_error_wrap(nsj_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reset err to "no error". */
void nsj_error_clear(nsj_error_t *err);

#endif
