#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nsjudge/error.h"

int nsj_error_set(nsj_error_t *err, int errnum, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        err->msg[0] = '\0';
    size_t len = strnlen(err->msg, sizeof err->msg);
    if (errnum != 0 && len < sizeof err->msg)
        snprintf(err->msg + len, sizeof err->msg - len, ": %s", strerror(errnum));
    err->errnum = errnum;
    return -1;
}

int nsj_error_vkind(nsj_error_t *err, int kind, const char *fmt, va_list ap)
{
    if (!err)
        return -1;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    err->errnum = kind;
    return -1;
}

int nsj_error_kind(nsj_error_t *err, int kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nsj_error_vkind(err, kind, fmt, ap);
    va_end(ap);
    return -1;
}

int nsj_error_wrap(nsj_error_t *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char prefix[NSJ_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    /* Shift the old message right and put "prefix: " in front, truncating. */
    size_t plen = strlen(prefix), olen = strnlen(err->msg, sizeof err->msg - 1);
    size_t cap = sizeof err->msg - 1;
    if (plen + 2 > cap)
        plen = cap - 2;
    size_t keep = olen < cap - plen - 2 ? olen : cap - plen - 2;
    memmove(err->msg + plen + 2, err->msg, keep);
    memcpy(err->msg, prefix, plen);
    err->msg[plen] = ':';
    err->msg[plen + 1] = ' ';
    err->msg[plen + 2 + keep] = '\0';
    return -1;
}

void nsj_error_clear(nsj_error_t *err)
{
    if (!err)
        return;
    err->errnum = 0;
    err->msg[0] = '\0';
}
