// expect: memory_limit
// limits: --memory 128m
// A heap bomb: the table runs java with -Xmx equal to the memory limit, so
// the heap plus the JVM's own memory pass the cgroup's limit before the
// heap is full: the kernel's OOM kill (memory_limit), not OutOfMemoryError.
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

public class Main {
    public static void main(String[] args) {
        List<byte[]> blocks = new ArrayList<>();
        for (;;) {
            byte[] b = new byte[1 << 20];
            Arrays.fill(b, (byte) 1);
            blocks.add(b);
        }
    }
}
