# Process-level behaviour: errno, descriptors across exec, fork, threads.
section "errno, descriptors, fork, threads"
conf errno <<'EOF2'
127.0.0.1/32 onevipa 127.0.0.2
fd00::1/128 onevipa fd00::2
EOF2
base=$(native "$PY" "$E/client.py" errno 127.0.0.1 7999 | in_order)
expect_match "baseline: connect to a closed port gives ECONNREFUSED" "blocking ECONNREFUSED" "$base"
expect_eq "errno through the shim equals the baseline (IPv4)" "$base" \
  "$(sv "$PY" "$E/client.py" errno 127.0.0.1 7999 | in_order)"
expect_match "baseline: non-blocking connect called again gives EINPROGRESS ... EISCONN" \
  '^EINPROGRESS( EALREADY)?( 0)? EISCONN$' "$(native "$PY" "$E/client.py" nbconnect 127.0.0.1 7001 | head -1)"
base=$(native "$PY" "$E/client.py" errno fd00::1 7999 | in_order)
expect_eq "errno through the shim equals the baseline (IPv6)" "$base" \
  "$(sv "$PY" "$E/client.py" errno fd00::1 7999 | in_order)"

conf nonlocal <<'EOF2'
127.0.0.1/32 onevipa 192.0.2.1
EOF2
mark; sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 -n 2 >/dev/null
expect_eq "a source that cannot be bound: connect passes through (exit 0, from 127.0.0.1)" \
  "0 127.0.0.1=2" "$? $(recorded | tally)"
base=$(native "$PY" "$E/client.py" errno 127.0.0.1 7999 | in_order)
expect_eq "a source that cannot be bound: errno of a refused connect is unchanged" "$base" \
  "$(sv "$PY" "$E/client.py" errno 127.0.0.1 7999 | in_order)"

conf fds <<'EOF2'
127.0.0.1/32 rr:600 127.0.0.2 127.0.0.3
EOF2
expect_eq "descriptors the shim opens do not survive exec" \
  "$(native "$PY" "$E/client.py" fds 127.0.0.1 7001)" "$(sv "$PY" "$E/client.py" fds 127.0.0.1 7001)"

conf forklrr <<'EOF2'
127.0.0.1/32 lrr 127.0.0.2 127.0.0.3 127.0.0.4
EOF2
mark; sv "$PY" "$E/client.py" forks 127.0.0.1 7001 --pre 1 --children 6 >/dev/null
st=$?
expect_eq "fork: 6 children of one parent all connect" "0 7" "$st $(recorded | wc -l)"
expect_eq "fork + lrr: the 6 children start at different sources, 2 each" \
  "127.0.0.2=2 127.0.0.3=2 127.0.0.4=2" "$(recorded | tail -n +2 | tally)"

mark; out=$(sv "$PY" "$E/client.py" spawn 127.0.0.1 7001)
expect_eq "children started by subprocess and posix_spawn work" "subprocess 0 posix_spawn 0" "$out"
expect_match "the parent and its 2 spawned children all used rule sources" \
  '^127\.0\.0\.[234]=[0-9]( 127\.0\.0\.[234]=[0-9])*$' "$(recorded | tally)"
expect_eq "the spawned children connected (3 connections recorded)" 3 "$(recorded | wc -l)"

conf forkrandom <<'EOF2'
127.0.0.1/32 random 127.0.0.2 127.0.0.3 127.0.0.4
EOF2
mark; sv "$PY" "$E/client.py" forks 127.0.0.1 7001 --pre 1 --children 30 >/dev/null
distinct=$(recorded | tail -n +2 | sort -u | wc -l)
# 30 children all drawing the same source: 3^-29 if the streams diverge
if [ "$distinct" -gt 1 ]; then ok "fork + random: the children's streams diverge"
else not_ok "fork + random: the children's streams diverge" "expected: more than one source" \
  "seen: $(recorded | tail -n +2 | tally)"; fi

conf threads <<'EOF2'
127.0.0.1/32 rr:600 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5
EOF2
mark; out=$(sv "$PY" "$E/client.py" threads 127.0.0.1 7001 --threads 8 -n 50)
expect_eq "threads: 8 x 50 concurrent connects, no error" "errors 0" "$out"
expect_sources "threads + rr: exactly 100 per source" \
  "127.0.0.2=100 127.0.0.3=100 127.0.0.4=100 127.0.0.5=100"
