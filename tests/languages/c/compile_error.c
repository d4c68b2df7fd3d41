// expect: compile_error
#include <stdio.h>
int main(void)
{
    printf("missing semicolon\n")
    return undeclared;
}
