# The five policies on IPv4 with python (one process unless said otherwise), and rule
# precedence. Sources are 127.0.0.2-9: local on lo, unlike the default 127.0.0.1.
section "policies (python, IPv4)"

conf onevipa <<'EOF2'
127.0.0.1/32 onevipa 127.0.0.2 127.0.0.3 127.0.0.4
EOF2
mark; sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 -n 5 >/dev/null
expect_sources "onevipa: 5 connections all from the first source" "127.0.0.2=5"

conf lrr <<'EOF2'
127.0.0.1/32 lrr 127.0.0.2 127.0.0.3 127.0.0.4
EOF2
mark; sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 -n 6 >/dev/null
expect_sources "lrr: 6 connections over 3 sources, 2 each" "127.0.0.2=2 127.0.0.3=2 127.0.0.4=2"
expect_cycle "lrr: consecutive connections walk the sources in order" \
  "127.0.0.2 127.0.0.3 127.0.0.4" "$(recorded | in_order)"

# lrr starts at a random offset in each process: 12 processes all starting on the
# same source has probability 3^-11.
mark
for i in $(seq 12); do sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 >/dev/null; done
firsts=$(recorded | sort -u | wc -l)
if [ "$firsts" -gt 1 ]; then ok "lrr: 12 processes do not all start at the same source"
else not_ok "lrr: 12 processes do not all start at the same source" \
  "expected: more than one first source" "seen: $(recorded | tally)"; fi

conf random <<'EOF2'
127.0.0.1/32 random 127.0.0.2 127.0.0.3 127.0.0.4
EOF2
mark; sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 -n 60 >/dev/null
seen=$(recorded | sort -u | paste -sd' ' -)
# every source missing once in 60 draws: 3 * (2/3)^60 < 1e-10
expect_eq "random: 60 connections use exactly the 3 sources" "127.0.0.2 127.0.0.3 127.0.0.4" "$seen"

conf lc <<'EOF2'
127.0.0.1/32 lc 127.0.0.2 127.0.0.3 127.0.0.4
EOF2
for how in close shutdown dup2 closerange; do
  out=$(sv "$PY" "$E/client.py" lc 127.0.0.1 7001 -n 6 -m 2 --release $how)
  held=$(sed -n '1,6p' <<<"$out" | tally)
  expect_eq "lc: 6 connections held open are balanced 2/2/2 (run with $how)" \
    "127.0.0.2=2 127.0.0.3=2 127.0.0.4=2" "$held"
  victim=$(sed -n 's/^released //p' <<<"$out")
  again=$(sed -n '8,$p' <<<"$out" | tally)
  if [[ $victim =~ ^127\.0\.0\.[234]$ ]]; then
    expect_eq "lc: after $how of both sockets of $victim the next 2 reuse it" "$victim=2" "$again"
  else
    not_ok "lc: after $how of both sockets of one source the next 2 reuse it" \
      "released source '$victim' is not a source of the rule"
  fi
done
# the server saw the same as the client reported
mark; sv "$PY" "$E/client.py" lc 127.0.0.1 7001 -n 6 -m 0 >/dev/null
expect_sources "lc: the server sees the balanced sources too" "127.0.0.2=2 127.0.0.3=2 127.0.0.4=2"

srcs=$(seq -f '127.0.1.%g' 64 | paste -sd' ' -)
conf many <<EOF2
127.0.0.1/32 lrr $srcs
EOF2
mark; sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 -n 64 >/dev/null
expect_sources "lrr with 64 sources (over the old limit of 8): each used once" \
  "$(seq -f '127.0.1.%g=1' 64 | paste -sd' ' -)"

srcs=$(for i in $(seq 0 299); do echo "127.1.$((i / 100)).$((i % 100 + 1))"; done)
conf wide <<EOF2
127.0.0.1/32 lrr $(paste -sd' ' - <<<"$srcs")
EOF2
mark; sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 -n 300 >/dev/null
expect_sources "lrr with 300 sources on one line: each used once" \
  "$(sed 's/$/=1/' <<<"$srcs" | sort -V | paste -sd' ' -)"

conf halfbad <<'EOF2'
127.0.0.1/32 lrr 127.0.0.2 192.0.2.1
EOF2
mark; sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 -n 4 >/dev/null
expect_sources "lrr over a local and a non-local source: the failed binds pass through" \
  "127.0.0.1=2 127.0.0.2=2"

conf lc2 <<'EOF2'
127.0.0.1/32 lc 127.0.0.2 127.0.0.3
EOF2
out=$(sv "$PY" "$E/client.py" nbconnect 127.0.0.1 7001)
expect_match "non-blocking connect called again: EINPROGRESS ... EISCONN as without the shim" \
  '^EINPROGRESS( EALREADY)?( 0)? EISCONN$' "$(head -1 <<<"$out")"
expect_eq "lc: connect() repeated on one socket takes one count (closed: next 2 spread)" \
  "127.0.0.2=1 127.0.0.3=1" "$(tail -n +2 <<<"$out" | tally)"

conf tworules <<'EOF2'
127.0.0.1/32 lrr 127.0.0.2 127.0.0.3 127.0.0.4
127.0.0.8/32 lrr 127.0.0.5 127.0.0.6
EOF2
mark; sv "$PY" "$E/client.py" tcp 127.0.0.1,127.0.0.8 7001 -n 12 >/dev/null
by_dest() { awk -v m="$MARK" -v d="$1" 'NR > m && $4 == d { print $2 }' "$LOG" | in_order; }
expect_cycle "two lrr rules used alternately: the first keeps its own cycle" \
  "127.0.0.2 127.0.0.3 127.0.0.4" "$(by_dest 127.0.0.1)"
expect_cycle "two lrr rules used alternately: the second keeps its own cycle" \
  "127.0.0.5 127.0.0.6" "$(by_dest 127.0.0.8)"
expect_eq "two lrr rules: 6 connections each" "6 6" \
  "$(by_dest 127.0.0.1 | wc -w) $(by_dest 127.0.0.8 | wc -w)"

section "rule precedence (IPv4)"
conf prefix <<'EOF2'
127.0.0.0/8 onevipa 127.0.0.5
127.0.0.1/32 onevipa 127.0.0.6
127.0.1.0/24 onevipa 127.0.0.7
127.0.1.0/24 onevipa 127.0.0.8
EOF2
mark; sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 >/dev/null
expect_sources "longest prefix: /32 beats /8 (written before it)" "127.0.0.6=1"
mark; sv "$PY" "$E/client.py" tcp 127.0.0.9 7001 >/dev/null
expect_sources "a destination only the /8 holds uses the /8 rule" "127.0.0.5=1"
mark; sv "$PY" "$E/client.py" tcp 127.0.1.1 7001 >/dev/null
expect_sources "equal prefixes: the later line wins" "127.0.0.8=1"

conf exempt <<'EOF2'
127.0.0.0/8 onevipa 127.0.0.5
127.0.0.1/32 onevipa 0.0.0.0
EOF2
mark; sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 >/dev/null
expect_sources "a /32 with source 0.0.0.0 exempts its host from the /8 rule" "127.0.0.1=1"
mark; sv "$PY" "$E/client.py" tcp 127.0.0.9 7001 >/dev/null
expect_sources "the /8 rule still applies to the other hosts" "127.0.0.5=1"

conf other <<'EOF2'
127.0.0.9/32 onevipa 127.0.0.5
EOF2
mark; sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 >/dev/null
expect_sources "a destination no rule holds is left alone" "127.0.0.1=1"

section "explicit bind by the application"
conf lrr_again <<'EOF2'
127.0.0.1/32 lrr 127.0.0.2 127.0.0.3 127.0.0.4
EOF2
mark; sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 -n 3 --bind 127.0.0.9 >/dev/null
expect_sources "python bound to 127.0.0.9 before connect keeps it" "127.0.0.9=3"
mark; sv "$PY" "$E/client.py" udp 127.0.0.1 7001 --sockets 2 --bind 127.0.0.9 >/dev/null
expect_sources "python UDP bound to 127.0.0.9 before sendto keeps it" "127.0.0.9=2"
