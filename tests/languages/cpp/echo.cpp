// expect: passed
// stdin: one\ntwo words\n\nthree\n
// want: one\ntwo words\n\nthree
#include <iostream>
#include <string>
int main()
{
    std::string line;
    while (std::getline(std::cin, line))
        std::cout << line << '\n';
}
