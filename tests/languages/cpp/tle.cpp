// expect: time_limit
// limits: --time 1 --wall 3
// The counter is volatile: an infinite loop without side effects is
// undefined behaviour in C++ and may be removed.
int main()
{
    volatile unsigned long n = 0;
    for (;;)
        n = n + 1;
}
