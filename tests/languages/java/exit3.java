// expect: runtime_error
// exit: 3
public class Main {
    public static void main(String[] args) {
        System.exit(3);
    }
}
