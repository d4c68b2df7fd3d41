// expect: passed
// want: hello, world
#include <iostream>
int main() { std::cout << "hello, world\n"; }
