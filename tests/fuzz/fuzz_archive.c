/* libFuzzer target for the test data archive reader (make fuzz): any bytes
 * give tests or a 400/413 refusal with a message, never a crash, a leak
 * or undefined behaviour (ASan+UBSan). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "api/archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const api_archive_limits_t lim = {.max_total = 1 << 20, .max_file = 256 << 10, .max_entries = 64,
                                             .tmpdir = "/tmp"};
    int fd = memfd_create("fuzz", MFD_CLOEXEC);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size)
        abort();
    api_archive_t a;
    api_error_t e;
    if (api_archive_read(fd, &lim, &a, &e) == 0) {
        if (a.ntests == 0)
            abort();
        api_archive_free(&a);
    } else if ((e.status != 400 && e.status != 413) || !e.msg[0]) {
        abort();
    }
    close(fd);
    return 0;
}
