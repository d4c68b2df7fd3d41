// Crashes after the first answer, while the interactor waits for a query.
#include <cstdio>
#include <csignal>
int main()
{
    std::printf("? 500000000\n");
    std::fflush(stdout);
    char r[8];
    if (std::scanf("%7s", r) != 1)
        return 1;
    std::raise(SIGSEGV);
}
