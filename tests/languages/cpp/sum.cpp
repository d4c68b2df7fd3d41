// expect: passed
// stdin: 3 4\n
// want: 7
#include <iostream>
int main()
{
    long a, b;
    std::cin >> a >> b;
    std::cout << a + b << '\n';
}
