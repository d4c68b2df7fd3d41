// expect: runtime_error
// exit: 1
// An uncaught exception: the JVM prints the stack trace and exits with 1.
public class Main {
    public static void main(String[] args) {
        Object o = null;
        System.out.println(o.hashCode());
    }
}
