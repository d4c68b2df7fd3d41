// expect: passed
// want: hello
// No public class: the file is Main.java, as before, and Main runs.
class Main {
    public static void main(String[] args) {
        System.out.println("hello");
    }
}
