/* The web page: plain files under the web root (WEB_ROOT, else web/ found
 * like the other data files), served at / with their content types.
 *
 * Names are checked before any file is looked at (api_static_name_ok: no
 * "..", no hidden files, a fixed alphabet) and opened relative to the web
 * root's descriptor, so a request cannot leave the root; only regular
 * files are served (no directory listings). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/internal.h"
#include "api/observe.h"

#define STATIC_MAX (16 << 20)

/* The page's scripts, styles and sockets come from this origin only. */
#define CSP "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; object-src 'none'; " \
            "base-uri 'none'; frame-ancestors 'none'"

bool api_static_exists(api_server_t *s, const char *file)
{
    struct stat st;
    return s->web_fd >= 0 && api_static_name_ok(file) && fstatat(s->web_fd, file, &st, 0) == 0 &&
           S_ISREG(st.st_mode);
}

enum MHD_Result api_static_answer(api_server_t *s, struct MHD_Connection *c, request_t *r)
{
    int fd = s->web_fd >= 0 && api_static_name_ok(r->file) ? openat(s->web_fd, r->file, O_RDONLY | O_CLOEXEC) : -1;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > STATIC_MAX) {
        if (fd >= 0)
            close(fd);
        return api_send_json(c, MHD_HTTP_NOT_FOUND, api_error_json("no such resource: /%.200s", r->file), NULL,
                             NULL);
    }
    struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd); /* takes fd */
    if (!resp) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, api_static_type(r->file));
    /* Revalidated on every load: an upgrade never leaves an old app.js behind. */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (strncmp(api_static_type(r->file), "text/html", 9) == 0) {
        MHD_add_response_header(resp, "Content-Security-Policy", CSP);
        MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    }
    enum MHD_Result ret = api_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}
