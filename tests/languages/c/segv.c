// expect: runtime_error
// signal: 11
// A null dereference. Both the pointer and its target are volatile: with
// only the pointer volatile, gcc -O2 drops the dead store and exits 0.
int main(void)
{
    volatile int *volatile p = 0;
    *p = 1;
    return 0;
}
