// expect: ok
// stdout: root=readonly
// The rootfs, /code and /box (the compiled classes) are read-only; only
// /tmp is writable.
import java.io.FileOutputStream;

public class Main {
    public static void main(String[] args) throws Exception {
        boolean ok = true;
        for (String path : new String[] {"/etc/x", "/usr/x", "/x", "/code/x", "/box/x", "/box/Main.class"}) {
            try (FileOutputStream f = new FileOutputStream(path)) {
                ok = false;
            } catch (Exception e) {
            }
        }
        try (FileOutputStream f = new FileOutputStream("/tmp/x")) {
            f.write('x');
        }
        System.out.println("root=" + (ok ? "readonly" : "writable"));
    }
}
