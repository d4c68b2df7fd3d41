// expect: runtime_error
// signal: 6
// limits: --pids 16 --wall 30
// A thread bomb: std::thread throws std::system_error when clone fails
// with EAGAIN at pids.max; uncaught, it ends in std::terminate (SIGABRT).
#include <chrono>
#include <thread>
#include <vector>
int main()
{
    std::vector<std::thread> ts;
    for (;;)
        ts.emplace_back([] { std::this_thread::sleep_for(std::chrono::seconds(10)); });
}
