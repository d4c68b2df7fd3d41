// expect: time_limit
// limits: --time 1 --wall 3
int main(void)
{
    volatile unsigned long n = 0;
    for (;;)
        n++;
}
