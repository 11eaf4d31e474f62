#!/usr/bin/env bash
# The shim's own tests (make test-shim): build/src_vipa.so through LD_PRELOAD on C test
# programs, inside a new user + network + IPC + mount namespace (loopback up, fd00::5 and
# fd00::6 on lo, a private /etc/hosts), so traffic stays on this namespace's loopback and
# shared memory segments are private. Prints TAP (test/tap.sh).
# usage: test/native/run.sh            (from the repository root, after make shim)
# Env: SV_BUILD (default build/) where the programs are; SV_NATIVE_KEEP=1 keeps the
# temporary directory; SV_NATIVE_QUICK=1 skips valgrind.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

if [ "${SV_NATIVE_INSIDE:-}" != 1 ]; then
  exec env SV_NATIVE_INSIDE=1 timeout -k 5 900 unshare -rn --ipc --mount bash "$0" "$@"
fi

unset LD_PRELOAD SRC_VIPA_DEBUG SRC_VIPA_CONFIG_FILE
BUILD=${SV_BUILD:-$ROOT/build}
T=$(mktemp -d /tmp/sv-native.XXXXXX)
SO=$BUILD/src_vipa.so
TRAP_SO=$BUILD/native/src_vipa_trap.so
WRAPPER=$T/src_vipa.sh # the installed form: @LIBDIR@ replaced with $BUILD
TEST=$BUILD/native/shim_test
STRESS=$BUILD/sv_stress
ERR=$T/stderr
. "$ROOT/test/tap.sh" # ok, not_ok (shows $ERR), skip, check, expect_eq, summary
cleanup() { if [ "${SV_NATIVE_KEEP:-}" = 1 ]; then echo "# kept $T"; else rm -rf "$T"; fi; }
trap cleanup EXIT

conf() { CONF=$T/$1.conf; cat >"$CONF"; }
# sv ARGS...: a program through the wrapper with $CONF; stderr to $ERR
sv() { SRC_VIPA_CONFIG_FILE=$CONF timeout 60 "$WRAPPER" "$@" 2>"$ERR"; }
# scenario NAME: shim_test NAME; each of its own check lines becomes one of ours
scenario() {
  local out line
  out=$(SRC_VIPA_DEBUG=${DEBUG:-} sv "$TEST" "$@")
  local rc=$?
  while IFS= read -r line; do
    case $line in
      "ok - $1: "*) ok "${line#ok - }" ;;
      "ok - "*) ok "$1: ${line#ok - }" ;;
      "not ok - $1: "*) not_ok "${line#not ok - }" ;;
      "not ok - "*) not_ok "$1: ${line#not ok - }" ;;
    esac
  done <<<"$out"
  [ "$rc" = 0 ] || [ -n "$out" ] || not_ok "$1: shim_test exited $rc with no output"
}
shm_segments() { ipcs -m | awk '$1 ~ /^0x/ { print $4 ":" $6 }' | sort | paste -sd' ' -; }

echo "# --- setup"
ip link set lo up && ip -6 addr add fd00::5/128 dev lo nodad && ip -6 addr add fd00::6/128 dev lo nodad
check "namespace loopback with fd00::5, fd00::6" test -n "$(ip -6 addr show dev lo to fd00::5/128)"
printf '127.0.0.1 localhost\n::1 localhost\n127.0.0.31 svsrc.test\n' >"$T/hosts"
check "private /etc/hosts" mount --bind "$T/hosts" /etc/hosts
for f in "$SO" "$TRAP_SO" "$BUILD/native/failalloc.so" "$TEST" "$STRESS"; do
  [ -e "$f" ] || { not_ok "$f exists (run: make shim test-shim)"; summary; exit 1; }
done

echo "# --- the library and the wrapper"
sed "s|@LIBDIR@|$BUILD|" "$ROOT/shim/src_vipa.sh" >"$WRAPPER" && chmod +x "$WRAPPER"
if [ -e "$ROOT/build/src_vipa.so" ]; then
  expect_eq "src_vipa.sh in the checkout uses build/src_vipa.so" "$ROOT/build/src_vipa.so" \
    "$("$ROOT/shim/src_vipa.sh" sh -c 'echo "$LD_PRELOAD"')"
fi
expect_eq "only the intercepted calls are exported" \
  "accept accept4 bind bindresvport close close_range connect dup dup2 dup3 fcntl fcntl64 rresvport rresvport_af sendmmsg sendmsg sendto shutdown sigaltstack socket" \
  "$(nm -D --defined-only "$SO" | awk '{ print $3 }' | sort | paste -sd' ' -)"
expect_eq "runtime dependencies: libc only" "libc.so.6" \
  "$(ldd "$SO" | awk '$1 !~ /vdso|ld-linux/ { print $1 }' | paste -sd' ' -)"
"$WRAPPER" >/dev/null 2>"$ERR"; rc=$?
expect_eq "src_vipa.sh without arguments: usage, exit 2" "2 usage: src_vipa.sh PROGRAM [ARGUMENT...]" \
  "$rc $(head -1 "$ERR")"
expect_eq "src_vipa.sh puts the library first and keeps LD_PRELOAD" "$SO:libm.so.6" \
  "$(LD_PRELOAD=libm.so.6 "$WRAPPER" sh -c 'echo "$LD_PRELOAD"')"
expect_eq "src_vipa.sh execs the program (same pid)" "same" \
  "$("$WRAPPER" sh -c 'echo $$' | { read -r p; [ -n "$p" ] && echo same; })"

echo "# --- behaviour (shim_test)"
conf basic <<'EOF2'
127.0.0.0/8 onevipa 127.0.0.5
127.0.1.0/24 onevipa 192.0.2.1
.INADDR_ANY 7000-7010 onevipa 127.0.0.7
.INADDR_ANY 7020 onevipa 192.0.2.1
EOF2
scenario basic
conf lc <<'EOF2'
127.0.0.1/32 lc 127.0.0.21 127.0.0.22
EOF2
scenario lc
conf lrr <<'EOF2'
127.0.0.1/32 lrr 127.0.0.11 127.0.0.12 127.0.0.13
EOF2
scenario lrr
conf ipv6 <<'EOF2'
::1/128 onevipa fd00::5
127.0.0.1/32 onevipa 127.0.0.5
.INADDR_ANY 7000-7010 onevipa 127.0.0.7
.INADDR_ANY 7040 onevipa fd00::6
EOF2
scenario ipv6

echo "# --- configuration"
CONF=$T/does-not-exist.conf
scenario passthrough
expect_eq "missing configuration: silent" "" "$(cat "$ERR")"
conf invalid <<'EOF2'
# one bad line among good ones
127.0.0.1/32 onevipa 127.0.0.5 fd00::5
127.0.0.1/32 onevipa 127.0.0.6
EOF2
expect_eq "invalid line: the valid rule still applies" "127.0.0.6" "$(sv "$TEST" source)"
expect_eq "invalid line: nothing on stderr without SRC_VIPA_DEBUG" "" "$(cat "$ERR")"
out=$(SRC_VIPA_DEBUG=1 sv "$TEST" source)
expect_eq "invalid line: logged once with file and line under SRC_VIPA_DEBUG" "1" \
  "$(grep -c "^src_vipa\[[0-9]*\]: config: $CONF:2: error: " "$ERR")"
conf hostname <<'EOF2'
127.0.0.1/32 onevipa svsrc.test
EOF2
expect_eq "a host name as source (resolved at load)" "127.0.0.31" "$(sv "$TEST" source)"
conf badname <<'EOF2'
127.0.0.1/32 onevipa no-such-host.invalid
127.0.0.0/8 onevipa 127.0.0.8
EOF2
expect_eq "a name that does not resolve: that line skipped, the others apply" "127.0.0.8" "$(sv "$TEST" source)"
CONF=$T
out=$(SRC_VIPA_DEBUG=1 sv "$TEST" source)
expect_eq "unreadable configuration (a directory): pass-through" "127.0.0.1" "$out"
expect_eq "unreadable configuration: logged" "1" "$(grep -c "cannot read $T: a directory" "$ERR")"

echo "# --- engine trap, no memory"
conf trap <<'EOF2'
127.0.0.0/8 onevipa 127.0.0.5
EOF2
out=$(SRC_VIPA_DEBUG=1 SRC_VIPA_CONFIG_FILE=$CONF LD_PRELOAD=$TRAP_SO timeout 60 "$TEST" passthrough 2>"$ERR")
expect_eq "a trapping engine: every connection passes through" "2" "$(grep -c '^ok - ' <<<"$out")"
expect_eq "the trap is logged once" "1" "$(grep -c 'engine trapped in sv_select' "$ERR")"

out=$(SRC_VIPA_DEBUG=1 SRC_VIPA_CONFIG_FILE=$CONF LD_PRELOAD="$SO $BUILD/native/failalloc.so" timeout 60 "$TEST" passthrough 2>"$ERR")
expect_eq "no memory for the engine: every connection passes through" "2" "$(grep -c '^ok - ' <<<"$out")"
expect_eq "no memory for the engine: logged" "1" "$(grep -c 'engine failed to start (out of memory)' "$ERR")"

echo "# --- send path: one check per socket, none per datagram"
conf udp <<'EOF2'
127.0.0.0/8 onevipa 127.0.0.5
EOF2
if command -v strace >/dev/null; then
  # the test program itself makes 1 getsockname (receiver port) and 1 bind (receiver); the
  # shim 1 bind, and for a socket it did not see created 1 getsockname + 1 getsockopt
  for how in socket raw; do
    SRC_VIPA_CONFIG_FILE=$CONF LD_PRELOAD=$SO strace -f -qq -e trace=getsockname,getsockopt,bind \
      -o "$T/strace" "$TEST" udp-repeat 20 ${how#socket} >"$T/out" 2>"$ERR"
    expect_eq "20 datagrams from the VIPA ($how)" "ok - udp-repeat: 20 of 20 datagrams from the VIPA" "$(cat "$T/out")"
    if [ $how = socket ]; then want="1 0 2"; else want="2 1 2"; fi
    expect_eq "system calls for 20 datagrams ($how): getsockname, getsockopt, bind $want" "$want" \
      "$(for c in getsockname getsockopt bind; do grep -c " $c(" "$T/strace"; done | paste -sd' ' -)"
  done
  # the same lifecycle as the benchmarks: no system call beyond socket, bind, connect, close
  SRC_VIPA_CONFIG_FILE=$CONF LD_PRELOAD=$SO strace -f -qq -c -o "$T/strace" "$TEST" connect-loop 200 >/dev/null 2>"$ERR"
  expect_eq "200 UDP socket+connect+close: system calls per lifecycle" "bind:1 close:1 connect:1 socket:1" \
    "$(awk '$4 ~ /^[0-9]+$/ && $4 >= 200 && $NF != "total" {print $NF ":" int($4 / 200)}' "$T/strace" | sort | paste -sd' ' -)"
else
  not_ok "strace is installed (make deps)"
fi

echo "# --- rr: System V shared memory"
conf rr <<'EOF2'
127.0.0.1/32 rr:600 127.0.0.41 127.0.0.42 127.0.0.43
EOF2
expect_eq "no segment before" "" "$(shm_segments)"
SRC_VIPA_CONFIG_FILE=$CONF "$WRAPPER" "$TEST" hold "$T/stop" >"$T/holder" 2>"$ERR" &
holder=$!
for ((i = 0; i < 250; i++)); do [ -s "$T/holder" ] && break; sleep 0.02; done
expect_eq "while a process uses it: one segment, perms 600, 1 attach" "600:1" "$(shm_segments)"
seq=$(cat "$T/holder"); for i in 1 2 3 4 5; do seq="$seq $(sv "$TEST" source)"; done
expect_eq "rr: 6 processes walk the sources in one global cycle" "ok" \
  "$(awk -v s="$seq" 'BEGIN { n = split(s, a, " "); split("127.0.0.41 127.0.0.42 127.0.0.43", l, " ");
     for (i = 1; i <= 3; i++) if (l[i] == a[1]) p = i; if (!p) { print "bad start " s; exit }
     for (i = 1; i <= n; i++) { if (a[i] != l[p]) { print "bad " s; exit } p = p % 3 + 1 } print "ok" }')"
expect_eq "other processes came and went: the segment stays" "600:1" "$(shm_segments)"
touch "$T/stop"; wait "$holder"
expect_eq "the last process gone: segment removed" "" "$(shm_segments)"
conf rr2 <<'EOF2'
127.0.0.1/32 rr:640 127.0.0.41 127.0.0.42
EOF2
key1=$(SRC_VIPA_CONFIG_FILE=$CONF "$WRAPPER" "$TEST" hold "$T/stop2" >/dev/null 2>&1 & h=$!
  for ((i = 0; i < 250; i++)); do [ -n "$(shm_segments)" ] && break; sleep 0.02; done
  ipcs -m | awk '$1 ~ /^0x/ { print $1, $4 }'; touch "$T/stop2"; wait $h)
expect_eq "perms from rr:640" "640" "${key1#* }"
rm -f "$T/stop2"
ipcrm -a shm 2>/dev/null
# a segment left by a killed process is reused, then removed by the next last exit
SRC_VIPA_CONFIG_FILE=$CONF "$WRAPPER" "$TEST" hold "$T/stop3" >/dev/null 2>&1 & h=$!
for ((i = 0; i < 250; i++)); do [ -n "$(shm_segments)" ] && break; sleep 0.02; done
kill -9 $h; wait $h 2>/dev/null
expect_eq "SIGKILLed last user: the segment stays (nattch 0)" "640:0" "$(shm_segments)"
sv "$TEST" source >/dev/null
expect_eq "the next process reuses it and, as last user, removes it" "" "$(shm_segments)"

# no System V shared memory at all (shmmni 0, in a nested IPC namespace): per process
conf rrnone <<'EOF2'
127.0.0.1/32 rr:600 127.0.0.41 127.0.0.42
EOF2
out=$(SRC_VIPA_DEBUG=1 SRC_VIPA_CONFIG_FILE=$CONF W=$WRAPPER TEST=$TEST unshare --ipc sh -c \
  'echo 0 >/proc/sys/kernel/shmmni || exit 3; "$W" "$TEST" source' 2>"$ERR")
if [ $? = 3 ]; then
  skip "no shared memory: rr still answers (per process)" "shmmni not writable here"
else
  expect_eq "no shared memory: rr still answers (per process)" "ok" \
    "$(case $out in 127.0.0.41 | 127.0.0.42) echo ok ;; *) echo "$out" ;; esac)"
  expect_eq "no shared memory: said once" "1" "$(grep -c 'rr has no shared counter' "$ERR")"
fi

echo "# --- hostile shared memory (layout 2: magic 0, lock 16, counter 24; 48 bytes)"
SHMTOOL=$BUILD/native/shmtool
conf rrh <<'EOF2'
127.0.0.1/32 rr:600 127.0.0.41 127.0.0.42 127.0.0.43
EOF2
ipcrm -a shm 2>/dev/null
# start_holder FILE: a process keeping the segment attached until FILE exists
start_holder() {
  rm -f "$1" "$T/holder" # (the redirection below truncates only once the child runs)
  SRC_VIPA_CONFIG_FILE=$CONF "$WRAPPER" "$TEST" hold "$1" >"$T/holder" 2>/dev/null &
  holder=$!
  for ((i = 0; i < 250; i++)); do [ -s "$T/holder" ] && break; sleep 0.02; done
}
stop_holder() { touch "$1"; wait "$holder"; }
three_sources() { for i in 1 2 3; do sv "$TEST" source; done | sort -u | paste -sd' ' -; }
start_holder "$T/h1"
shmid=$(ipcs -m | awk '$1 ~ /^0x/ { print $2; exit }')
expect_eq "the segment starts with its header (magic SVRR)" "1381127763" "$("$SHMTOOL" peek "$shmid" 0)"
"$SHMTOOL" poke "$shmid" 24 0xFFFFFFFF
expect_eq "counter written to 0xFFFFFFFF by another user: still one shared cycle" \
  "127.0.0.41 127.0.0.42 127.0.0.43" "$(three_sources)"
expect_eq "... and the counter went on from 0" "3" "$("$SHMTOOL" peek "$shmid" 24)"
"$SHMTOOL" poke "$shmid" 16 1
out=$(SRC_VIPA_DEBUG=1 sv "$TEST" source)
expect_eq "lock word held by another user: the program still gets a source of the rule" "ok" \
  "$(case $out in 127.0.0.4[123]) echo ok ;; *) echo "$out" ;; esac)"
expect_eq "... and says it counts per process" "1" "$(grep -c 'locked for too long' "$ERR")"
"$SHMTOOL" poke "$shmid" 16 0
"$SHMTOOL" poke "$shmid" 0 0x12345678
h1=$holder
start_holder "$T/h2"
expect_eq "foreign header: the next probe key is used (a second segment)" "2" \
  "$(ipcs -m | grep -c '^0x')"
expect_eq "foreign header: processes still share one cycle (on the next key)" \
  "127.0.0.41 127.0.0.42 127.0.0.43" "$(three_sources)"
stop_holder "$T/h2"; holder=$h1; stop_holder "$T/h1"
ipcrm -a shm 2>/dev/null
# squatters: learn the key, then take it first with the wrong mode or size
key=$(SRC_VIPA_DEBUG=1 sv "$TEST" source 2>&1 >/dev/null; grep -o 'uses shared memory key 0x[0-9a-f]*' "$ERR" | head -1 | awk '{ print $NF }')
ipcrm -a shm 2>/dev/null
for squat in "48 0" "48 0666" "8 0600" "4096 0600"; do
  set -- $squat
  "$SHMTOOL" create "$key" "$1" "$2" >/dev/null
  out=$(SRC_VIPA_DEBUG=1 sv "$TEST" source)
  used=$(grep -o 'uses shared memory key 0x[0-9a-f]*' "$ERR" | awk '{ print $NF }' | head -1)
  expect_eq "key squatted (size $1, mode $2): the next probe key is used" "next" \
    "$([ -n "$used" ] && [ "$used" != "$key" ] && echo next || echo "used '$used' (squatted $key)")"
  start_holder "$T/h3"
  expect_eq "key squatted (size $1, mode $2): processes share one cycle" \
    "127.0.0.41 127.0.0.42 127.0.0.43" "$(three_sources)"
  stop_holder "$T/h3"
  ipcrm -a shm 2>/dev/null
done

echo "# --- stress"
conf stress <<'EOF2'
127.0.0.1/32 rr:600 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5
EOF2
out=$(sv "$STRESS" threads 32 2000 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5)
expect_eq "32 threads x 2000 connections, rr: exact counts" \
  "127.0.0.2=16000 127.0.0.3=16000 127.0.0.4=16000 127.0.0.5=16000 other=0" "$(head -1 <<<"$out")"
out=$(sv "$STRESS" forks 200 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5)
expect_eq "fork storm: 200 children + 4 parent connections, rr: exact counts" \
  "127.0.0.2=51 127.0.0.3=51 127.0.0.4=51 127.0.0.5=51 other=0" "$(head -1 <<<"$out")"
expect_eq "fork storm: every child exited 0" "ok: 204 connections, exactly 51 per source" "$(tail -1 <<<"$out")"
expect_eq "after the storm: no segment left" "" "$(shm_segments)"

echo "# --- valgrind (memcheck, small scale)"
if [ "${SV_NATIVE_QUICK:-}" = 1 ]; then
  echo "# skipped (SV_NATIVE_QUICK=1)"
elif command -v valgrind >/dev/null; then
  vg() {
    SRC_VIPA_CONFIG_FILE=$CONF LD_PRELOAD=$SO timeout 300 valgrind -q --error-exitcode=99 \
      --leak-check=full --errors-for-leak-kinds=definite "$@" >"$T/vg.out" 2>"$ERR"
  }
  for s in basic lc ipv6; do
    CONF=$T/$s.conf
    vg "$TEST" "$s"; rc=$?
    expect_eq "valgrind: shim_test $s, no errors" "0 0" "$rc $(grep -c '^not ok' "$T/vg.out")"
  done
  CONF=$T/stress.conf
  vg "$STRESS" threads 4 50 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5
  expect_eq "valgrind: 4 threads x 50 connections, no errors" "0" "$?"
  vg --trace-children=yes "$STRESS" forks 8 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5
  expect_eq "valgrind: fork storm of 8, no errors" "0" "$?"
else
  not_ok "valgrind is installed (make deps)"
fi

summary
