// expect: runtime_error
// signal: 6
// A real null dereference in the JVM: Unsafe.getInt(0) faults (SIGSEGV);
// the JVM's handler sees a fault outside Java code, reports a fatal error
// and calls abort(), so the process dies by SIGABRT (6), not 11.
import java.lang.reflect.Field;

public class Main {
    public static void main(String[] args) throws Exception {
        Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        sun.misc.Unsafe u = (sun.misc.Unsafe) f.get(null);
        System.out.println(u.getInt(0L));
    }
}
