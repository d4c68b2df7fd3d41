// expect: passed
// stdin: one\ntwo words\n\nthree\n
// want: one\ntwo words\n\nthree
#include <stdio.h>
int main(void)
{
    int c;
    while ((c = getchar()) != EOF)
        putchar(c);
    return 0;
}
