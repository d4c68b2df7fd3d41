// expect: ok
// stdout: procs=1 pid1=hidden
// The pid namespace and hidepid=invisible: the program sees only itself,
// not the sandbox's init (pid 1) nor any host process.
#include <filesystem>
#include <iostream>
namespace fs = std::filesystem;
int main()
{
    int n = 0;
    for (const auto &e : fs::directory_iterator("/proc")) {
        const auto name = e.path().filename().string();
        if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos)
            n++;
    }
    std::cout << "procs=" << n << " pid1=" << (fs::exists("/proc/1") ? "visible" : "hidden") << '\n';
}
