// expect: time_limit
// limits: --time 1 --wall 3
public class Main {
    static volatile long n;

    public static void main(String[] args) {
        for (;;)
            n++;
    }
}
