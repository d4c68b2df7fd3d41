// expect: passed
// stdin: one\ntwo words\n\nthree\n
// want: one\ntwo words\n\nthree
import java.io.BufferedReader;
import java.io.InputStreamReader;

public class Main {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        StringBuilder out = new StringBuilder();
        for (String line; (line = in.readLine()) != null;)
            out.append(line).append('\n');
        System.out.print(out);
    }
}
