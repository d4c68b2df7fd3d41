// expect: runtime_error
// signal: 6
// An uncaught exception: std::terminate calls abort(), SIGABRT.
#include <stdexcept>
int main() { throw std::runtime_error("uncaught"); }
