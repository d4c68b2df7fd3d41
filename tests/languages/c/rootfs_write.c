// expect: ok
// stdout: root=readonly
// The rootfs, /code and (for runs) /box are read-only; only /tmp is writable.
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(void)
{
    const char *paths[] = {"/etc/x", "/usr/x", "/x", "/code/x", "/box/x"};
    int ok = 1;
    for (unsigned i = 0; i < sizeof paths / sizeof *paths; i++) {
        int fd = open(paths[i], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            ok = 0;
            close(fd);
        }
    }
    int fd = open("/tmp/x", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "x", 1) != 1)
        return 2;
    printf("root=%s\n", ok ? "readonly" : "writable");
    return 0;
}
