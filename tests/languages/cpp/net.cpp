// expect: ok
// stdout: net=blocked
// Only lo exists in the sandbox's network namespace: no route out, and
// nothing listens on its own loopback (the host's is another namespace).
#include <arpa/inet.h>
#include <iostream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static bool reachable(const char *host, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    timeval tv{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, host, &a.sin_addr);
    bool ok = connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0;
    close(fd);
    return ok;
}

int main()
{
    bool open = reachable("1.1.1.1", 53) || reachable("127.0.0.1", 22) || reachable("127.0.0.1", 80) ||
                reachable("127.0.0.1", 5432);
    std::cout << "net=" << (open ? "open" : "blocked") << '\n';
}
