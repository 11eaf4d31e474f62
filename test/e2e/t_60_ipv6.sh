# IPv6 rules (fd00:: VIPAs on lo) and IPv4-mapped destinations on AF_INET6 sockets.
section "IPv6 rules"
conf v6 <<'EOF2'
fd00::/16 onevipa fd00::5
fd00::1/128 lrr fd00::2 fd00::3 fd00::4
EOF2
mark; sv "$PY" "$E/client.py" tcp fd00::1 7001 -n 6 >/dev/null
expect_sources "python IPv6: lrr 2 per source" "fd00::2=2 fd00::3=2 fd00::4=2"
expect_cycle "python IPv6: consecutive connections walk the sources in order" \
  "fd00::2 fd00::3 fd00::4" "$(recorded | in_order)"
mark; sv "$PY" "$E/client.py" tcp fd00::7 7001 >/dev/null
expect_sources "IPv6 longest prefix: fd00::7 falls to the /16 rule" "fd00::5=1"
if need curl; then
  mark; sv curl -s --noproxy '*' -g "http://[fd00::1]:7080/a" "http://[fd00::1]:7080/b" >/dev/null
  expect_cycle "curl IPv6: 2 requests, consecutive lrr sources" "fd00::2 fd00::3 fd00::4" \
    "$(recorded | in_order)"
  expect_eq "curl IPv6: both requests recorded" 2 "$(recorded | wc -l)"
fi
if need node; then
  mark; sv node "$E/client.cjs" fd00::1 7001 3 >/dev/null
  expect_sources "node IPv6: 3 connections, lrr 1 per source" "fd00::2=1 fd00::3=1 fd00::4=1"
fi
if need java; then
  mark; sv java -cp "$T/java" SvClient fd00::1 7001 3 >/dev/null
  expect_sources "java IPv6: 3 connections, lrr 1 per source" "fd00::2=1 fd00::3=1 fd00::4=1"
fi
mark; sv "$PY" "$E/client.py" tcp fd00::1 7002 -n 3 >/dev/null
expect_sources "python IPv6 to the dual-stack listener: lrr 1 per source" \
  "fd00::2=1 fd00::3=1 fd00::4=1"

section "IPv4-mapped destinations (AF_INET6 socket to ::ffff:a.b.c.d)"
conf mapped <<'EOF2'
127.0.0.1/32 lrr 127.0.0.2 127.0.0.3 127.0.0.4
fd00::/16 onevipa fd00::5
EOF2
mark; out=$(sv "$PY" "$E/client.py" tcp ::ffff:127.0.0.1 7001 -n 6)
expect_sources "python AF_INET6 to ::ffff:127.0.0.1: IPv4 rule, lrr 2 per source" \
  "127.0.0.2=2 127.0.0.3=2 127.0.0.4=2"
expect_eq "python AF_INET6: getsockname shows the mapped sources" \
  "$(recorded | sed 's/^/::ffff:/' | in_order)" "$(in_order <<<"$out")"
mark; native "$PY" "$E/client.py" tcp ::ffff:127.0.0.1 7001 >/dev/null
expect_sources "baseline: AF_INET6 to ::ffff:127.0.0.1 without the shim leaves from 127.0.0.1" \
  "127.0.0.1=1"
mark; sv "$PY" "$E/client.py" tcp ::ffff:127.0.0.9 7001 >/dev/null
expect_sources "mapped destination without an IPv4 rule is left alone (no IPv6 rule applies)" \
  "127.0.0.1=1"
