#include <iostream>
#include <string>
int main()
{
    long lo = 1, hi = 1000000000;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        std::cout << "? " << mid << std::endl;
        std::string r;
        if (!(std::cin >> r))
            return 1;
        if (r == "=") {
            lo = hi = mid;
        } else if (r == "<") {
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    std::cout << "! " << lo << std::endl;
}
