# Baselines: without the shim every client leaves from 127.0.0.1 (or fd00::1), so the
# checks that expect VIPAs later can fail. Then the wrapper itself.
section "baseline without the shim"
conf base <<'EOF2'
127.0.0.1/32 onevipa 127.0.0.2
fd00::1/128 onevipa fd00::2
EOF2

mark; native "$PY" "$E/client.py" tcp 127.0.0.1 7001 -n 2 >/dev/null
expect_sources "python without the shim leaves from 127.0.0.1" "127.0.0.1=2"
mark; native "$PY" "$E/client.py" tcp fd00::1 7001 >/dev/null
expect_sources "python IPv6 without the shim leaves from fd00::1" "fd00::1=1"
if need curl; then
  mark; native curl -s --noproxy '*' http://127.0.0.1:7080/ >/dev/null
  expect_sources "curl without the shim leaves from 127.0.0.1" "127.0.0.1=1"
fi
if need node; then
  mark; native node "$E/client.cjs" 127.0.0.1 7001 >/dev/null
  expect_sources "node without the shim leaves from 127.0.0.1" "127.0.0.1=1"
fi
if need java; then
  mark; native java -cp "$T/java" SvClient 127.0.0.1 7001 >/dev/null
  expect_sources "java without the shim leaves from 127.0.0.1" "127.0.0.1=1"
fi
if need nc; then
  mark; native nc -N 127.0.0.1 7001 </dev/null >/dev/null
  expect_sources "nc without the shim leaves from 127.0.0.1" "127.0.0.1=1"
fi

section "the wrapper shim/src_vipa.sh"
seen=$(sv sh -c 'echo "$LD_PRELOAD"')
expect_match "wrapper sets LD_PRELOAD to src_vipa.so" "src_vipa\.so" "$seen"
seen=$(LD_PRELOAD=libm.so.6 sv sh -c 'echo "$LD_PRELOAD"')
expect_match "wrapper keeps an existing LD_PRELOAD" "(libm\.so\.6.*src_vipa\.so|src_vipa\.so.*libm\.so\.6)" "$seen"
sv sh -c 'exit 7'
expect_eq "wrapper passes the program's exit status" 7 "$?"
seen=$(sv "$PY" -c 'import sys; print(sys.argv[1:])' "a b" "" 'c"d')
expect_eq "wrapper passes arguments unchanged" "['a b', '', 'c\"d']" "$seen"
