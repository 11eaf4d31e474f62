# Real client programs through the wrapper: curl, node, java (dual-stack), nc.
section "curl, node, java, nc (IPv4 destinations)"
conf clients <<'EOF2'
127.0.0.1/32 lrr 127.0.0.2 127.0.0.3 127.0.0.4
127.0.0.8/32 onevipa 127.0.0.5 127.0.0.6
EOF2
urls=(); for i in 1 2 3 4 5 6; do urls+=("http://127.0.0.1:7080/$i"); done

if need curl; then
  mark; out=$(sv curl -s --noproxy '*' "${urls[@]}")
  expect_sources "curl: 6 HTTP requests in one process, lrr 2 per source" \
    "127.0.0.2=2 127.0.0.3=2 127.0.0.4=2"
  expect_eq "curl: the HTTP responses name the same sources" \
    "$(recorded | in_order)" "$(awk '{ print $1 }' <<<"$out" | in_order)"
  mark; sv curl -s --noproxy '*' --interface 127.0.0.9 "${urls[@]:0:2}" >/dev/null
  expect_sources "curl --interface 127.0.0.9 (explicit bind) is left alone" "127.0.0.9=2"
fi

if need node; then
  mark; out=$(sv node "$E/client.cjs" 127.0.0.1 7001 6)
  expect_sources "node net.connect: 6 connections, lrr 2 per source" \
    "127.0.0.2=2 127.0.0.3=2 127.0.0.4=2"
  expect_cycle "node: consecutive connections walk the sources in order" \
    "127.0.0.2 127.0.0.3 127.0.0.4" "$(recorded | in_order)"
  expect_eq "node: socket.localAddress agrees with the server" \
    "$(recorded | in_order)" "$(in_order <<<"$out")"
fi

if need java; then
  mark; out=$(sv java -cp "$T/java" SvClient 127.0.0.1 7001 6)
  expect_sources "java (AF_INET6 socket to ::ffff:127.0.0.1): lrr 2 per source" \
    "127.0.0.2=2 127.0.0.3=2 127.0.0.4=2"
  expect_eq "java: getLocalAddress agrees with the server" \
    "$(recorded | in_order)" "$(in_order <<<"$out")"
  mark; sv java -cp "$T/java" SvClient 127.0.0.1 7002 2 >/dev/null
  expect_cycle "java to the dual-stack listener: 2 connections, consecutive lrr sources" \
    "127.0.0.2 127.0.0.3 127.0.0.4" "$(recorded | in_order)"
  expect_eq "java: the 2 connections were recorded" 2 "$(recorded | wc -l)"
  seen=$(recorded 1 | sort -u)
  expect_eq "java to port 7002 reached the dual-stack listener" "tcpd" "$seen"
fi

if need nc; then
  mark; sv nc -N 127.0.0.8 7001 </dev/null >/dev/null
  expect_sources "nc TCP: onevipa gives the first source" "127.0.0.5=1"
  mark; sv nc -N -s 127.0.0.9 127.0.0.8 7001 </dev/null >/dev/null
  expect_sources "nc -s 127.0.0.9 (explicit bind) is left alone" "127.0.0.9=1"
  mark; echo hi | sv nc -u -w1 127.0.0.8 7001 >/dev/null
  expect_sources "nc -u (connected UDP socket): onevipa gives the first source" "127.0.0.5=1"
  seen=$(recorded 1 | in_order)
  expect_eq "nc -u reached the UDP listener" "udp4" "$seen"
fi
