// expect: memory_limit
// limits: --memory 64m
// A heap bomb that touches every page, so the memory is really charged.
#include <vector>
int main()
{
    std::vector<std::vector<char>> blocks;
    for (;;)
        blocks.emplace_back(1 << 20, 1);
}
