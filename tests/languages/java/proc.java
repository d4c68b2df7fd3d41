// expect: ok
// stdout: procs=1 pid1=hidden
// The pid namespace and hidepid=invisible: the program sees only itself
// (the JVM's threads are not /proc entries), not the sandbox's init (pid 1)
// nor any host process.
import java.io.File;

public class Main {
    public static void main(String[] args) {
        int n = 0;
        for (String name : new File("/proc").list())
            if (name.matches("[0-9]+"))
                n++;
        System.out.println("procs=" + n + " pid1=" + (new File("/proc/1").exists() ? "visible" : "hidden"));
    }
}
