#!/usr/bin/env bash
# End-to-end tests: real programs through shim/src_vipa.sh inside a private network,
# IPC and mount namespace. usage: test/e2e/run.sh [WORD...]  (only t_*WORD*.sh files)
# Env: SV_E2E_KEEP=1 keeps the temp dir (configs, server log, stderr of the last run).
set -u
E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E/../.." && pwd)

if [ "${SV_E2E_INSIDE:-}" != 1 ]; then
  # Everything runs in a new user+network+IPC+mount namespace: traffic stays on this
  # namespace's loopback, shared memory segments and /etc bind mounts stay private.
  exec env SV_E2E_INSIDE=1 timeout -k 5 300 unshare -rn --ipc --mount bash "$0" "$@"
fi

. "$E/lib.sh"
unset LD_PRELOAD SRC_VIPA_DEBUG SRC_VIPA_CONFIG_FILE http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy
WRAPPER=${SV_E2E_WRAPPER:-$ROOT/shim/src_vipa.sh}   # override: testing the suite itself
SO=${SV_E2E_SO:-$ROOT/build/src_vipa.so}
T=$(mktemp -d /tmp/sv-e2e.XXXXXX)
LOG=$T/server.log
ERR=$T/stderr
BG_PIDS=()
: >"$ERR"

cleanup() {
  local p
  for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  umount /etc 2>/dev/null
  if [ "${SV_E2E_KEEP:-}" = 1 ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

# spawn COMMAND...: start in the background, remembered for cleanup.
spawn() { "$@" & BG_PIDS+=($!); }

setup_network() {
  ip link set lo up || return 1
  local i
  for i in 1 2 3 4 5 6 7 8 9; do
    ip -6 addr add "fd00::$i/128" dev lo nodad || return 1
  done
}

# /etc becomes writable for this namespace only: an overlay whose upper layer is in $T
# (for /etc/src_vipa.conf, the default configuration); bind mounts of the two files
# below where overlays are not allowed.
setup_etc() {
  mkdir -p "$T/etc.up" "$T/etc.work"
  if mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/etc.up,workdir=$T/etc.work" /etc; then
    ETC_WRITABLE=1
    cp "$T/hosts" /etc/hosts && cp "$T/resolv.conf" /etc/resolv.conf
  else
    ETC_WRITABLE=0
    mount --bind "$T/hosts" /etc/hosts && mount --bind "$T/resolv.conf" /etc/resolv.conf
  fi
}

# Names for the host-name checks, and a resolver that only reaches our own loopback
# (the recording server answers NXDOMAIN on 127.0.0.1:53 and logs who asked).
setup_names() {
  cat >"$T/hosts" <<'EOF'
127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
127.0.0.1 svdest.test
127.0.0.6 svsrc-a.test
127.0.0.7 svsrc-b.test
127.0.0.6 svsrcs.test
127.0.0.7 svsrcs.test
fd00::1 svdest6.test
fd00::6 svsrc6.test
EOF
  printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$T/resolv.conf"
  setup_etc
}

start_server() {
  spawn timeout 600 "$PY" "$E/server.py" "$LOG" "$T/server.ready"
  wait_for "$T/server.ready"
}

section "setup"
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
check "python3 is installed" test -n "$PY"
check "loopback up with fd00::1-9 (namespace network)" setup_network
check "private /etc: hosts, resolv.conf (mount namespace)" setup_names
check "recording server is up" start_server
if [ ! -e "$SO" ] || [ ! -x "$WRAPPER" ]; then
  not_ok "build/src_vipa.so and shim/src_vipa.sh exist (run: make shim)"
  summary
  exit 1
fi
ok "build/src_vipa.so and shim/src_vipa.sh exist"
if command -v javac >/dev/null && command -v java >/dev/null; then
  check "javac compiles the Java client" javac -d "$T/java" "$E/SvClient.java"
fi

for t in "$E"/t_*.sh; do
  if [ $# -gt 0 ]; then
    match=0
    for w in "$@"; do [[ $(basename "$t") == *"$w"* ]] && match=1; done
    [ $match = 1 ] || continue
  fi
  . "$t"
done

summary
