/* libFuzzer target: the live parsers a client or a stream entry feeds:
 * WebSocket client messages, POST /sessions bodies, the handshake checks,
 * routes and static names, session jobs, SSE framing, UTF-8 cut points. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/live.h"
#include "queue/live_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static language_table_t langs;
    static int ready;
    if (!ready) {
        nsj_error_t err;
        const char *text = "[python]\naliases = py\nversion = 3\nrootfs = python\nsource = main.py\n"
                           "run = /usr/bin/python3 /code/main.py\n";
        if (languages_parse(text, "fuzz.conf", &langs, &err) < 0)
            abort();
        ready = 1;
    }
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';

    api_client_msg_t m;
    char why[120];
    if (api_parse_client_message(s, size, &m, why, sizeof why) == 0)
        api_client_msg_free(&m);
    api_limits_t lim = {.source_max = 1000, .max_tests = 10};
    api_session_req_t r;
    api_error_t e;
    if (api_parse_session(s, size, &lim, &langs, &r, &e) == 0)
        api_session_req_free(&r);
    char id[37], file[256];
    (void)api_live_route_match(s, id, file, sizeof file);
    (void)api_ws_check("GET", s, s, s, s, &e);
    (void)api_origin_allowed(s, s, s);
    size_t n;
    free(api_sse_event(s, s, s, size, &n));

    live_job_t job;
    nsj_error_t err;
    if (live_job_parse(s, size, &job, &err) == 0) {
        size_t len;
        free(live_job_encode(&job, &len));
    }
    live_job_free(&job);
    size_t cut = live_utf8_complete(s, size);
    if (cut > size || size - cut > 3)
        abort();
    free(live_msg_output(size & 1, s, size));
    (void)live_entry_id_valid(s);
    free(s);
    return 0;
}
