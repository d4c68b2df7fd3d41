// expect: ok
// stdout: net=blocked
// Only lo exists in the sandbox's network namespace: no route out, and
// nothing listens on its own loopback (the host's is another namespace).
import java.net.InetSocketAddress;
import java.net.Socket;

public class Main {
    static boolean reachable(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 1000);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    public static void main(String[] args) {
        boolean open = reachable("1.1.1.1", 53) || reachable("127.0.0.1", 22) || reachable("127.0.0.1", 80)
                || reachable("127.0.0.1", 5432);
        System.out.println("net=" + (open ? "open" : "blocked"));
    }
}
