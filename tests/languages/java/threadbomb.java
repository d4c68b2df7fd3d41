// expect: runtime_error
// exit: 1
// limits: --pids 16 --wall 30
// A thread bomb (the table raises the JVM's pids limit to 64: run_pids_min).
// At pids.max, Thread.start throws OutOfMemoryError ("unable to create
// native thread"); uncaught in main, the JVM exits with 1.
public class Main {
    public static void main(String[] args) {
        for (;;) {
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(10_000);
                } catch (InterruptedException e) {
                }
            });
            t.setDaemon(true);
            t.start();
        }
    }
}
