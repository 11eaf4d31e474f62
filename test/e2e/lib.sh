# Helpers for the end-to-end suite (sourced by run.sh and the t_*.sh files).
# Results: TAP (test/tap.sh), details as "#   ..." lines.

# ok, not_ok, skip, check, expect_eq, section, summary: the shared TAP helpers
. "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"

# expect_match DESC REGEX SEEN
expect_match() {
  if [[ $3 =~ $2 ]]; then ok "$1"
  else not_ok "$1" "expected to match: $2" "seen: $3"; fi
}

# need TOOL...: false (and one failure per missing tool) when a tool is missing.
need() {
  local t missing=0
  for t in "$@"; do
    if ! command -v "$t" >/dev/null 2>&1; then
      not_ok "$t is installed (needed by the next checks)"; missing=1
    fi
  done
  return $missing
}

# ---- running programs ---------------------------------------------------------
# conf NAME < TEXT: writes $T/NAME.conf and makes it the configuration for `sv`.
conf() {
  CONF=$T/$1.conf
  cat >"$CONF"
}

# sv PROGRAM ARGS...: through shim/src_vipa.sh with $CONF; stderr goes to $ERR.
sv() {
  SRC_VIPA_CONFIG_FILE=$CONF timeout 30 "$WRAPPER" "$@" 2>"$ERR"
}

# native PROGRAM ARGS...: the same program without the shim (baseline runs).
native() {
  env -u LD_PRELOAD SRC_VIPA_CONFIG_FILE="$CONF" timeout 30 "$@" 2>"$ERR"
}


# ---- what the recording server saw --------------------------------------------
# mark: later `recorded` calls only look at lines logged after this point.
mark() { MARK=$(wc -l <"$LOG"); }

# recorded [FIELD]: one line per connection/datagram since `mark`, in arrival order:
# the source address (FIELD 2, default), source port (3) or listener name (1).
recorded() { awk -v m="$MARK" -v f="${1:-2}" 'NR > m { print $f }' "$LOG"; }

# tally: "addr=count ..." of the lines on stdin, sorted by address.
tally() { sort | uniq -c | awk '{ print $2 "=" $1 }' | sort -V | paste -sd' ' -; }

# in_order: the lines on stdin joined by spaces.
in_order() { paste -sd' ' -; }

# expect_sources DESC EXPECTED_TALLY: compares `recorded | tally` with EXPECTED.
expect_sources() {
  local seen
  seen=$(recorded | tally)
  if [ "$seen" = "$2" ]; then ok "$1"
  else not_ok "$1" "expected sources: $2" "seen sources:     ${seen:-(none recorded)}" \
    "arrival order:    $(recorded | head -24 | in_order)"; fi
}

# expect_cycle DESC "S0 S1 ... Sk" SEQUENCE: each element of SEQUENCE is the source
# after the previous one in the rule's list (cyclically), from any starting point.
expect_cycle() {
  local -a list=($2) seq=($3)
  local i j prev=-1 bad=""
  for ((i = 0; i < ${#seq[@]}; i++)); do
    for ((j = 0; j < ${#list[@]}; j++)); do [ "${seq[i]}" = "${list[j]}" ] && break; done
    if [ "$j" = "${#list[@]}" ]; then bad="${seq[i]} is not a source of the rule"; break; fi
    if [ "$prev" != -1 ] && [ "$j" != $(((prev + 1) % ${#list[@]})) ]; then
      bad="position $i: ${seq[i]} does not follow ${list[prev]}"; break
    fi
    prev=$j
  done
  if [ -z "$bad" ] && [ ${#seq[@]} -gt 0 ]; then ok "$1"
  else not_ok "$1" "expected a cyclic walk over: $2" "seen: ${3:-(nothing)}" "${bad:-empty sequence}"; fi
}

# shm_segments: "perms:nattch" per System V shared memory segment (ipcs -m).
shm_segments() { ipcs -m | awk '$1 ~ /^0x/ { print $4 ":" $6 }' | sort | paste -sd' ' -; }

# wait_for FILE: bounded wait (5 s) until FILE exists and is not empty.
wait_for() {
  local i
  for ((i = 0; i < 250; i++)); do [ -s "$1" ] && return 0; sleep 0.02; done
  return 1
}

# sv_bg NAME PROGRAM ARGS...: like `sv`, in the background; stdout in $T/NAME.out,
# stderr in $T/NAME.err, pid in $BG (also remembered for cleanup).
sv_bg() {
  local name=$1; shift
  SRC_VIPA_CONFIG_FILE=$CONF timeout 60 "$WRAPPER" "$@" >"$T/$name.out" 2>"$T/$name.err" &
  BG=$!; BG_PIDS+=($BG)
}

# wait_lines FILE N: bounded wait (10 s) until FILE has at least N lines.
wait_lines() {
  local i
  for ((i = 0; i < 500; i++)); do
    [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
    sleep 0.02
  done
  return 1
}

# with_syslog OUT COMMAND...: runs COMMAND in a nested mount namespace whose /dev is a
# tmpfs (the real nodes linked back in) with a receiver on /dev/log; the datagrams end
# up one per line in OUT.
with_syslog() {
  local out=$1; shift
  mkdir -p "$T/devroot"
  unshare --mount bash -c '
    root=$1; shift
    mount --rbind /dev "$root" && mount -t tmpfs tmpfs /dev || exit 99
    for f in null zero full random urandom tty; do ln -s "$root/$f" "/dev/$f"; done
    ln -s /proc/self/fd /dev/fd
    exec "$@"' _ "$T/devroot" "$PY" "$E/syslog_capture.py" "$out" "$@"
}

# big_conf FILE: 100,000 rules for 10.0.0.0/8 hosts (never connected to), then
# 127.0.0.1/32 onevipa 127.0.0.2. Loading it takes a noticeable moment.
big_conf() {
  [ -s "$1" ] && return 0
  "$PY" - "$1" <<'PYEOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(100000):
        f.write(f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}/32 onevipa 127.0.0.3\n")
    f.write("127.0.0.1/32 onevipa 127.0.0.2\n")
PYEOF
}
