// expect: passed
// want: hello from Solution
// The public class may have any name: the file is stored as Solution.java
// and the JVM runs Solution. The comment and the string below name other
// classes ("public class Main"), which must not count.
/* public class Wrong { } */
import java.util.List;

class Helper {
    static String who() { return "Solution"; }
}

public class Solution {
    static final String DECOY = "public class Main {";
    public static void main(String[] args) {
        System.out.println("hello from " + Helper.who());
    }
}
