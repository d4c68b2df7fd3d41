// expect: memory_limit
// limits: --memory 128m
// java.lang.OutOfMemoryError from the JVM itself (an array larger than the
// heap): memory_limit, not runtime_error.
public class Main {
    public static void main(String[] args) {
        long[] big = new long[Integer.MAX_VALUE - 8];
        System.out.println(big.length);
    }
}
