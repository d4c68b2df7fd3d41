// expect: runtime_error
// exit: 3
#include <stdlib.h>
int main(void) { exit(3); }
