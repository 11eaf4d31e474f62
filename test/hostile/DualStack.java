// Java's DatagramSocket (an AF_INET6 dual-stack socket bound to the wildcard, port 0,
// when IPv6 is available): one datagram to [::1]:PORT, one to 127.0.0.1:PORT. Prints
// "TARGET: sent" or "TARGET: error MESSAGE"; the payload is "TAG TARGET".
// usage: java DualStack PORT TAG
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

public class DualStack {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String tag = args[1];
        try (DatagramSocket s = new DatagramSocket()) {
            for (String t : new String[] { "::1", "127.0.0.1" }) {
                byte[] b = (tag + " " + t).getBytes(StandardCharsets.UTF_8);
                try {
                    s.send(new DatagramPacket(b, b.length, InetAddress.getByName(t), port));
                    System.out.println(t + ": sent");
                } catch (java.io.IOException e) {
                    System.out.println(t + ": error " + e.getMessage());
                }
            }
        }
    }
}
