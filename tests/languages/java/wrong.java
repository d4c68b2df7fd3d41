// expect: failed
// stdin: 3 4\n
// want: 7
import java.util.Scanner;

public class Main {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        long a = in.nextLong(), b = in.nextLong();
        System.out.println(a - b);
    }
}
