// expect: ok
// stdout: net=blocked
// Only lo exists in the sandbox's network namespace: no route out, and
// nothing listens on its own loopback (the host's is another namespace).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int reachable(const char *host, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct timeval tv = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &a.sin_addr);
    int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

int main(void)
{
    int open = reachable("1.1.1.1", 53) | reachable("127.0.0.1", 22) | reachable("127.0.0.1", 80) |
               reachable("127.0.0.1", 5432);
    printf("net=%s\n", open ? "open" : "blocked");
    return 0;
}
