// Waits for the interactor to speak first; the interactor waits for a
// query: both read, nobody writes.
import java.io.*;

public class ReadFirst {
    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line = in.readLine();
        System.out.println("! " + line);
    }
}
