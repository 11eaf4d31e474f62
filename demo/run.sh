#!/usr/bin/env bash
# `make demo`: a recording server on 127.0.0.1-127.0.0.5, one configuration rule per
# policy that maps each of those destinations to the VIPAs 127.0.0.11-13, and a few
# ordinary clients (curl, nc, python3) per policy run through shim/src_vipa.sh. Prints the
# source address the server saw for every connection, a bar per VIPA, and whether that is
# what the policy promises (exit 1 if not).
#
# Everything stays on the loopback interface: Linux answers for all of 127.0.0.0/8 on lo,
# so no address has to be configured and no network namespace is needed. The server, the
# temporary directory and any shared-memory segment the demo created are removed on exit,
# also after a failure or Ctrl-C.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
wrapper=${SRC_VIPA_WRAPPER:-$top/shim/src_vipa.sh}
vipas=(127.0.0.11 127.0.0.12 127.0.0.13)
dests=(127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5)
policies=(onevipa random lrr rr:600 lc)

for tool in python3 curl nc timeout ipcs; do
  command -v "$tool" >/dev/null || { echo "demo: '$tool' is missing (make deps installs it)" >&2; exit 1; }
done
[ -x "$wrapper" ] || { echo "demo: $wrapper is missing; run make first" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/src-vipa-demo.XXXXXX")
conf=$work/src_vipa.conf
log=$work/connections.log
server_pid=

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  remove_segments
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The rr:600 rule's counter is a System V segment whose key src_vipa.so derives from the
# configuration file and line (demo/shm_keys.py, docs/shim.md). Its last user removes it
# on exit; if a client was killed before that, the demo removes it here.
rr_line=0
segment_row() { # KEY...: the `ipcs -m` rows of these keys
  ipcs -m 2>/dev/null | awk -v keys=" $* " 'index(keys, " " tolower($1) " ")'
}
remove_segments() {
  [ "$rr_line" -gt 0 ] && [ -f "$conf" ] || return 0
  local key
  for key in $(python3 "$top/demo/shm_keys.py" "$conf" "$rr_line"); do
    if [ -n "$(segment_row "$key" | awk '$6 == 0')" ]; then ipcrm -M "$key" 2>/dev/null || true; fi
  done
}

# --- the server -------------------------------------------------------------------------
python3 "$top/demo/server.py" "$log" "$work/ready" 0 120 "${dests[@]}" &
server_pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/ready" ] && break
  kill -0 "$server_pid" 2>/dev/null || { echo "demo: the server did not start" >&2; exit 1; }
  sleep 0.05
done
[ -s "$work/ready" ] || { echo "demo: the server did not start within 5 seconds" >&2; exit 1; }
read -r _ port < "$work/ready"

# --- the configuration ------------------------------------------------------------------
{
  echo "# written by make demo: one destination per policy, the same three VIPAs for each"
  for i in "${!policies[@]}"; do
    echo "${dests[$i]}/32 ${policies[$i]} ${vipas[*]}"
  done
} > "$conf"
rr_line=$(grep -n ' rr:' "$conf" | cut -d: -f1)
export SRC_VIPA_CONFIG_FILE=$conf

echo "src-vipa demo"
echo "  server:  python3 on ${dests[0]}-${dests[-1]##*.} port $port (records the source of each connection)"
echo "  VIPAs:   ${vipas[*]}"
echo "  config:  SRC_VIPA_CONFIG_FILE=$conf"
sed 's/^/           /' "$conf"

# --- the clients ------------------------------------------------------------------------
# Each client runs through src_vipa.sh; none of them is told about a source address.
run_curl() { timeout 15 "$wrapper" curl -s --max-time 5 -o /dev/null "http://$1:$port/"; }
run_nc() { printf 'nc\n' | timeout 15 "$wrapper" nc -N -w 3 "$1" "$port" >/dev/null; }
run_python() { timeout 20 "$wrapper" python3 "$top/demo/client.py" "$1" "$port" "$2" ${3:-}; }

failures=0
show() { # POLICY DEST WHAT-IT-PROMISES CHECK
  local policy=$1 dest=$2 promise=$3 check=$4
  local rows sources=() clients=() n=0 i
  rows=$(awk -v d="$dest" '$1 == d { print $2, $3 }' "$log")
  while read -r src client; do
    [ -n "$src" ] || continue
    sources+=("$src"); clients+=("$client"); n=$((n + 1))
  done <<< "$rows"
  echo
  echo "== $policy: $promise"
  for i in $(seq 0 $((n - 1))); do
    printf '  %2d  %-8s -> %s\n' $((i + 1)) "${clients[$i]}" "${sources[$i]}"
  done
  local v c counts=()
  for v in "${vipas[@]}"; do
    c=0
    for i in $(seq 0 $((n - 1))); do [ "${sources[$i]}" = "$v" ] && c=$((c + 1)); done
    counts+=("$c")
    printf '  %-11s %-24s %d\n' "$v" "$(printf '%*s' "$c" '' | tr ' ' '#')" "$c"
  done
  local verdict=ok
  for i in $(seq 0 $((n - 1))); do
    case " ${vipas[*]} " in *" ${sources[$i]} "*) ;; *) verdict="connection $((i + 1)) did not leave from a VIPA" ;; esac
  done
  if [ "$n" -eq 0 ]; then
    verdict="no connection reached the server"
  elif [ "$verdict" = ok ]; then
    case $check in
      first) [ "${counts[0]}" -eq "$n" ] || verdict="not every connection used ${vipas[0]}" ;;
      even)  [ "${counts[0]}" -eq "${counts[1]}" ] && [ "${counts[1]}" -eq "${counts[2]}" ] \
               || verdict="the VIPAs were not used equally often" ;;
      any) ;;
    esac
  fi
  if [ "$verdict" = ok ]; then echo "  -> as promised"; else echo "  -> NOT as promised: $verdict"; failures=$((failures + 1)); fi
}

# onevipa: every client, every connection, the first source
run_curl "${dests[0]}"; run_nc "${dests[0]}"; run_python "${dests[0]}" 2; run_curl "${dests[0]}"; run_nc "${dests[0]}"
show onevipa "${dests[0]}" "always the first source" first

# random: any source, independently for every connection
for _ in 1 2 3; do run_curl "${dests[1]}"; done
run_python "${dests[1]}" 9
show random "${dests[1]}" "a source chosen at random for every connection" any

# lrr: round robin inside one process (each new process starts at a random offset)
run_python "${dests[2]}" 6
show lrr "${dests[2]}" "round robin within one process (here: one python3 making 6 connections)" even

# rr:600: round robin over every process that uses this file and line. The first client
# stays alive for a moment, so that its shared-memory segment can be seen.
rr_keys=$(python3 "$top/demo/shm_keys.py" "$conf" "$rr_line")
timeout 20 "$wrapper" python3 "$top/demo/client.py" "${dests[3]}" "$port" 1 --linger 10 "$work/rr-done" &
linger_pid=$!
for _ in $(seq 1 100); do
  [ "$(awk -v d="${dests[3]}" '$1 == d' "$log" | wc -l)" -ge 1 ] && break
  sleep 0.05
done
rr_segment=$(segment_row $rr_keys)
run_nc "${dests[3]}"; run_curl "${dests[3]}"; run_python "${dests[3]}" 1; run_nc "${dests[3]}"; run_curl "${dests[3]}"
touch "$work/rr-done"   # the first client exits now, last: it removes the segment
wait "$linger_pid" 2>/dev/null || true
show rr:600 "${dests[3]}" "round robin across processes (6 separate processes, one connection each)" even
if [ -n "$rr_segment" ]; then
  echo "  the shared counter while the first process was alive (ipcs -m):"
  echo "      key        shmid      owner      perms      bytes      nattch"
  echo "$rr_segment" | sed 's/^/      /'
  left=$(segment_row $rr_keys)
  if [ -z "$left" ]; then echo "  after the last process exited: gone from ipcs -m (it removed the segment)"
  else echo "  NOT as promised: the segment is still there after the last process exited:"; echo "      $left"; failures=$((failures + 1)); fi
else
  echo "  NOT as promised: no shared-memory segment seen for line $rr_line (keys: $(echo $rr_keys))"
  failures=$((failures + 1))
fi

# lc: the source with the fewest open connections of this process
run_python "${dests[4]}" 6 --hold
show lc "${dests[4]}" "fewest open connections (one python3 holding 6 connections open)" even

echo
if [ "$failures" -eq 0 ]; then
  echo "demo: every policy did what it promises; cleaning up"
else
  echo "demo: $failures policies did not do what they promise" >&2
  exit 1
fi
