// expect: runtime_error
// signal: 11
// A null dereference (pointer and target volatile, so -O2 keeps the store).
int main()
{
    volatile int *volatile p = nullptr;
    *p = 1;
}
