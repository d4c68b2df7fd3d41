// expect: compile_error
// javac accepts a class without main; nothing could run it: compile_error
// (the judge reads the compiled class), not a runtime_error from the JVM.
public class Solution {
    static int twice(int x) {
        return 2 * x;
    }
}
