// expect: memory_limit
// limits: --memory 64m
// A heap bomb that touches every page, so the memory is really charged.
#include <stdlib.h>
#include <string.h>
int main(void)
{
    for (;;) {
        char *p = malloc(1 << 20);
        if (!p)
            return 2;
        memset(p, 1, 1 << 20);
    }
}
