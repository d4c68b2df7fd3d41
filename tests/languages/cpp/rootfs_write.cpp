// expect: ok
// stdout: root=readonly
// The rootfs, /code and (for runs) /box are read-only; only /tmp is writable.
#include <fstream>
#include <iostream>
int main()
{
    bool ok = true;
    for (const char *path : {"/etc/x", "/usr/x", "/x", "/code/x", "/box/x"}) {
        std::ofstream f(path);
        if (f.is_open())
            ok = false;
    }
    std::ofstream tmp("/tmp/x");
    if (!(tmp << "x"))
        return 2;
    std::cout << "root=" << (ok ? "readonly" : "writable") << '\n';
}
