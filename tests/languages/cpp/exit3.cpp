// expect: runtime_error
// exit: 3
#include <cstdlib>
int main() { std::exit(3); }
