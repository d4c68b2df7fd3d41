#include <cstdio>
int main()
{
    long n, x, s = 0;
    if (std::scanf("%ld", &n) != 1)
        return 1;
    for (long i = 0; i < n && std::scanf("%ld", &x) == 1; i++)
        s += x;
    std::printf("%ld\n", s);
}
