# Stress: many threads and a fork storm with rr, exact totals, no crash; and memcheck.
section "stress"
conf stress <<'EOF2'
127.0.0.1/32 rr:600 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5
EOF2

STRESS=$ROOT/build/sv_stress   # test/native/stress.c, built by `make shim`
if [ -x "$STRESS" ]; then
  # sv_stress listens on 127.0.0.1 itself and checks its own counts
  echo "# build/sv_stress: 32 threads x 2000 connections, and a fork storm of 200"
  out=$(sv "$STRESS" threads 32 2000 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5)
  expect_eq "sv_stress: 32 threads x 2000 connections, rr: exactly 16000 per source" \
    "127.0.0.2=16000 127.0.0.3=16000 127.0.0.4=16000 127.0.0.5=16000 other=0 ok" \
    "$(head -1 <<<"$out") $(tail -1 <<<"$out" | cut -d: -f1)"
  out=$(sv "$STRESS" forks 200 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5)
  expect_eq "sv_stress: fork storm, 200 children + 4 parent connections, rr: exactly 51 per source" \
    "127.0.0.2=51 127.0.0.3=51 127.0.0.4=51 127.0.0.5=51 other=0 ok" \
    "$(head -1 <<<"$out") $(tail -1 <<<"$out" | cut -d: -f1)"
else
  echo "# build/sv_stress not built: python stress (8 threads x 250, 200 forked children)"
  mark; out=$(sv "$PY" "$E/client.py" threads 127.0.0.1 7001 --threads 8 -n 250)
  expect_eq "stress threads: 2000 connects, no error" "errors 0" "$out"
  expect_sources "stress threads + rr: exactly 500 per source" \
    "127.0.0.2=500 127.0.0.3=500 127.0.0.4=500 127.0.0.5=500"
  mark; out=$(sv "$PY" "$E/client.py" forks 127.0.0.1 7001 --pre 1 --children 200 | tail -1)
  expect_eq "fork storm: 200 children connect and exit 0" "failed-children 0" "$out"
  expect_eq "fork storm + rr: the 200 children's connections, exactly 50 per source" \
    "127.0.0.2=50 127.0.0.3=50 127.0.0.4=50 127.0.0.5=50" "$(recorded | tail -n +2 | tally)"
fi

conf forkthreads <<'EOF2'
127.0.0.1/32 lc 127.0.0.2 127.0.0.3
127.0.0.0/8 rr:600 127.0.0.4 127.0.0.5
EOF2
out=$(sv "$PY" "$E/client.py" forkthreads 127.0.0.1 7001 --warm --threads 4 --children 40)
expect_eq "fork while 4 threads connect (configuration loaded): 40 children connect, none hangs" \
  "failed-children 0 thread-errors 0" "$out"

# The configuration takes a while to load (100,000 rules): the first fork happens while
# another thread is still loading it. The child must not inherit a held lock.
big_conf "$T/big.conf"
CONF=$T/big.conf
out=$(sv "$PY" "$E/client.py" forkthreads 127.0.0.1 7001 --threads 1 --children 3 --delay 0.05)
expect_eq "fork while another thread loads the configuration: 3 children connect, none hangs" \
  "failed-children 0 thread-errors 0" "$out"

if command -v valgrind >/dev/null && command -v nc >/dev/null; then
  vg_nc() {
    timeout 60 valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
      nc -N 127.0.0.1 7001 </dev/null >/dev/null 2>"$ERR"
  }
  conf memcheck <<'EOF2'
127.0.0.1/32 onevipa 127.0.0.2 127.0.0.3
EOF2
  if vg_nc; then
    mark; LD_PRELOAD=$SO SRC_VIPA_CONFIG_FILE=$CONF vg_nc
    expect_eq "valgrind memcheck: nc through the shim, no errors" "0 127.0.0.2=1" "$? $(recorded | tally)"
  else
    skip "valgrind memcheck: nc through the shim, no errors" "valgrind reports errors for nc without the shim"
  fi
fi
