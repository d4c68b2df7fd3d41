// Leaves at once, having said nothing.
int main() { return 0; }
