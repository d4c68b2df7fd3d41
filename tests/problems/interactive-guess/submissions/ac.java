import java.io.*;

public class Guess {
    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        long lo = 1, hi = 1000000000;
        while (lo < hi) {
            long mid = lo + (hi - lo) / 2;
            System.out.println("? " + mid);
            System.out.flush();
            String r = in.readLine().trim();
            if (r.equals("=")) { lo = hi = mid; }
            else if (r.equals("<")) { lo = mid + 1; }
            else { hi = mid - 1; }
        }
        System.out.println("! " + lo);
        System.out.flush();
    }
}
