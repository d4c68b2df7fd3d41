// expect: runtime_error
// signal: 6
#include <stdlib.h>
int main(void) { abort(); }
