import java.io.*;

public class Sum {
    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        int n = Integer.parseInt(in.readLine().trim());
        long s = 0;
        for (int i = 0; i < n; i++)
            s += Long.parseLong(in.readLine().trim());
        System.out.println(s + 1);
        System.out.flush();
    }
}
