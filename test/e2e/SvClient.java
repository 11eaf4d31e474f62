// Java client for the end-to-end tests: N sequential connections to HOST PORT.
// The JDK opens AF_INET6 sockets even for IPv4 destinations (it connects to
// ::ffff:a.b.c.d), so this covers the shim's dual-stack path.
// usage: java SvClient HOST PORT [N]   prints the local address of each connection
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;

public class SvClient {
    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        for (int i = 0; i < n; i++) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 5000);
                s.setSoTimeout(5000);
                new BufferedReader(new InputStreamReader(s.getInputStream())).readLine();
                System.out.println(s.getLocalAddress().getHostAddress());
            }
        }
    }
}
