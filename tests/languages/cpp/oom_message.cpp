// expect: memory_limit
// limits: --memory 64m
// std::bad_alloc, uncaught: the runtime's own out-of-memory report.
#include <cstdio>
#include <vector>
int main() {
    std::vector<char> v;
    v.reserve((size_t)1 << 42);
    std::puts("unreachable");
}
