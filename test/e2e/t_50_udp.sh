# Datagrams (sendto, sendmsg, connected UDP) and TCP Fast Open: the shim binds an
# unbound socket by destination rule before its first send, once per socket.
section "UDP and TCP Fast Open (python)"
conf udp <<'EOF2'
127.0.0.1/32 lrr 127.0.0.2 127.0.0.3 127.0.0.4
fd00::1/128 lrr fd00::2 fd00::3 fd00::4
EOF2

for how in sendto sendmsg sendmmsg connect; do
  mark; sv "$PY" "$E/client.py" udp 127.0.0.1 7001 --sockets 3 --how $how >/dev/null
  expect_sources "UDP $how: 3 sockets, one datagram each, lrr 1 per source" \
    "127.0.0.2=1 127.0.0.3=1 127.0.0.4=1"
done
mark; out=$(sv "$PY" "$E/client.py" udp 127.0.0.1 7001 --sockets 1 --per 4)
seen=$(paste -d: <(recorded 2) <(recorded 3) | sort -u | wc -l)
expect_eq "UDP sendto: 4 datagrams from one socket share one source address and port" 1 "$seen"
expect_match "UDP sendto: that one source is a source of the rule" '^127\.0\.0\.[234]=4$' \
  "$(recorded | tally)"
for how in sendmsg sendmmsg; do
  mark; sv "$PY" "$E/client.py" udp fd00::1 7001 --sockets 3 --how $how >/dev/null
  expect_sources "UDP IPv6 $how: 3 sockets, lrr 1 per source" "fd00::2=1 fd00::3=1 fd00::4=1"
done

mark; sv "$PY" "$E/client.py" tfo 127.0.0.1 7001 >/dev/null
seen=$(recorded | grep -cxE '127\.0\.0\.[234]')
expect_eq "TCP Fast Open sendto(MSG_FASTOPEN): bound to a source of the rule" 1 "$seen"
