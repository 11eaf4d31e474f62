# .INADDR_ANY: a bind() to the wildcard on a port in range gets a source instead.
section ".INADDR_ANY (python binds the wildcard on a port)"
conf bindany <<'EOF2'
.INADDR_ANY 7100-7199 onevipa 127.0.0.5
.INADDR_ANY 7150-7159 onevipa 127.0.0.6
.INADDR_ANY 7155 onevipa 0.0.0.0
.INADDR_ANY 7120 onevipa 192.0.2.1
.INADDR_ANY 7200 onevipa fd00::5
EOF2
BINDANY=("$PY" "$E/client.py" bindany)

expect_eq "baseline: without the shim the wildcard stays" "0.0.0.0 7100" "$(native "${BINDANY[@]}" 7100)"
expect_eq "port 7100 in 7100-7199: bound to 127.0.0.5" "127.0.0.5 7100" "$(sv "${BINDANY[@]}" 7100)"
expect_eq "port 7151: the later statement 7150-7159 overrides" "127.0.0.6 7151" "$(sv "${BINDANY[@]}" 7151)"
expect_eq "port 7155: a later 0.0.0.0 source leaves the wildcard" "0.0.0.0 7155" "$(sv "${BINDANY[@]}" 7155)"
expect_eq "port 7400 outside every statement: wildcard left" "0.0.0.0 7400" "$(sv "${BINDANY[@]}" 7400)"
expect_eq "port 7120 with a non-local source: bind falls back to the wildcard" \
  "0.0.0.0 7120" "$(sv "${BINDANY[@]}" 7120)"

mark; out=$(sv "${BINDANY[@]}" 7101 --to 127.0.0.1:7001)
expect_eq "TCP bound on 7101 then connected: the peer sees 127.0.0.5:7101" \
  "127.0.0.5 7101" "$(paste -d' ' <(recorded 2) <(recorded 3))"
mark; out=$(sv "${BINDANY[@]}" 7102 --proto udp --to 127.0.0.1:7001)
expect_eq "UDP bound on 7102 then sendto: the peer sees 127.0.0.5:7102" \
  "127.0.0.5 7102" "$(paste -d' ' <(recorded 2) <(recorded 3))"

expect_eq "IPv6 socket (V6ONLY) on 7200: bound to fd00::5" "fd00::5 7200" "$(sv "${BINDANY[@]}" 7200 --family 6)"
expect_eq "IPv6 socket (V6ONLY) on 7100: no IPv6 statement, wildcard left" ":: 7100" \
  "$(sv "${BINDANY[@]}" 7100 --family 6)"
# an IPv4 source would take IPv6 away from a dual-stack socket: IPv4 statements never apply
expect_eq "dual-stack socket on 7100: the IPv4 statement does not apply, it stays dual-stack" \
  ":: 7100" "$(sv "${BINDANY[@]}" 7100 --family dual)"
mark; sv "${BINDANY[@]}" 7103 --family dual --to ::ffff:127.0.0.1:7001 >/dev/null
expect_eq "dual-stack socket bound on 7103 then connected to ::ffff:127.0.0.1: peer sees 127.0.0.1:7103" \
  "127.0.0.1 7103" "$(paste -d' ' <(recorded 2) <(recorded 3))"

# errno: the port is taken on the wildcard by another (unshimmed) listener
R=$T/busy.ready spawn "$PY" -c 'import os, socket, time
s = socket.socket(); s.bind(("0.0.0.0", 7110)); s.listen(1)
open(os.environ["R"], "w").write("1"); time.sleep(20)'
busy=$!
wait_for "$T/busy.ready"
expect_eq "port 7110 in use: the application still gets EADDRINUSE" "bind EADDRINUSE" "$(sv "${BINDANY[@]}" 7110)"
kill "$busy"

# The manual's use case: rlogin/rsh bind a reserved port on .INADDR_ANY through libc's
# rresvport() (rcmd) or bindresvport(); libc calls its internal bind for them.
conf resvport <<'EOF2'
.INADDR_ANY 512-1023 onevipa 127.0.0.5
EOF2
expect_eq "baseline: rresvport/bindresvport without the shim bind the wildcard" \
  "rresvport 0.0.0.0 bindresvport 0.0.0.0" "$(native "$PY" "$E/client.py" resvport | in_order)"
out=$(sv "$PY" "$E/client.py" resvport | in_order)
expect_eq "rresvport() (rlogin, rsh) with .INADDR_ANY 512-1023: bound to 127.0.0.5" \
  "rresvport 127.0.0.5" "$(awk '{ print $1, $2 }' <<<"$out")"
expect_eq "bindresvport() with .INADDR_ANY 512-1023: bound to 127.0.0.5" \
  "bindresvport 127.0.0.5" "$(awk '{ print $3, $4 }' <<<"$out")"

# Dual-stack [::]:0 sockets (Python, Node udp6, Java DatagramSocket) under an IPv4
# `.INADDR_ANY 0` statement, the advice for Node udp4: bound to ::ffff:127.0.0.5 they would
# reach IPv4 only, and their IPv6 sends would fail with EAFNOSUPPORT. They are left alone.
section "dual-stack [::]:0 sockets keep both families under .INADDR_ANY 0 (python, node udp6, java)"
conf dualzero <<'EOF2'
.INADDR_ANY 0 onevipa 127.0.0.5
EOF2
DUAL_PY='import errno, socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 0))
out = [s.getsockname()[0]]
for dst in ("::1", "::ffff:127.0.0.1"):
    try:
        s.sendto(b"dual", (dst, 7001)); out.append("ok")
    except OSError as e:
        out.append(errno.errorcode.get(e.errno, str(e.errno)))
print(*out)'
DUAL_NODE='const s = require("dgram").createSocket("udp6"); const out = [];
const send = (dst, next) => s.send("dual", 7001, dst, (e) => { out.push(e ? e.code : "ok"); next(); });
send("::1", () => send("::ffff:127.0.0.1", () => { console.log(s.address().address, ...out); s.close(); }));'
expect_eq "baseline: python [::]:0 sends to ::1 and ::ffff:127.0.0.1" ":: ok ok" "$(native "$PY" -c "$DUAL_PY")"
expect_eq "python [::]:0 under an IPv4 .INADDR_ANY 0: left dual-stack, both sends work" ":: ok ok" \
  "$(sv "$PY" -c "$DUAL_PY")"
if command -v node >/dev/null; then
  expect_eq "node udp6 under an IPv4 .INADDR_ANY 0: left dual-stack, both sends work" ":: ok ok" \
    "$(sv node -e "$DUAL_NODE")"
  mark; sv node -e 'const s = require("dgram").createSocket("udp4"); s.send("x", 7001, "127.0.0.1", () => s.close());'
  expect_eq "node udp4 under the same statement: leaves from 127.0.0.5" "127.0.0.5" "$(recorded | in_order)"
fi
if [[ -d $T/java ]]; then
  DUAL_JAVA=$T/dualjava
  mkdir -p "$DUAL_JAVA"
  cat >"$DUAL_JAVA/Dual.java" <<'EOF2'
import java.net.*;
public class Dual {
  public static void main(String[] a) throws Exception {
    DatagramSocket s = new DatagramSocket(0);
    StringBuilder out = new StringBuilder(s.getLocalAddress().getHostAddress());
    for (String dst : new String[] {"::1", "::ffff:127.0.0.1"}) {
      try { s.send(new DatagramPacket(new byte[] {1}, 1, InetAddress.getByName(dst), 7001)); out.append(" ok"); }
      catch (java.io.IOException e) { out.append(" ").append(e.getClass().getSimpleName()); }
    }
    System.out.println(out); s.close();
  }
}
EOF2
  if javac -d "$DUAL_JAVA" "$DUAL_JAVA/Dual.java" 2>"$ERR"; then
    expect_eq "java DatagramSocket under an IPv4 .INADDR_ANY 0: left dual-stack, both sends work" \
      "0:0:0:0:0:0:0:0 ok ok" "$(sv java -cp "$DUAL_JAVA" Dual)"
  else
    not_ok "javac compiles the dual-stack Java client"
  fi
fi
# An IPv6 statement applies to them, and a socket bound to an IPv6 VIPA reaches IPv6 only
# (docs/abi.md): what the README says to expect of it.
conf dualzero6 <<'EOF2'
.INADDR_ANY 0 onevipa 127.0.0.5
.INADDR_ANY 0 onevipa fd00::5
EOF2
expect_eq "python [::]:0 with an IPv6 .INADDR_ANY 0: bound to fd00::5, IPv4 unreachable" \
  "fd00::5 ok ENETUNREACH" "$(sv "$PY" -c "$DUAL_PY")"
