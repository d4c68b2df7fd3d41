// Writes 1 MiB before reading anything, while the interactor writes its
// numbers before reading: both pipes fill, both sides block.
#include <cstdio>
#include <cstring>
int main()
{
    static char buf[1 << 20];
    std::memset(buf, '7', sizeof buf);
    std::fwrite(buf, 1, sizeof buf, stdout);
    std::fflush(stdout);
    long n;
    return std::scanf("%ld", &n) == 1 ? 0 : 1;
}
