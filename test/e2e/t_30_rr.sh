# rr:ABC: a host-wide counter in System V shared memory, shared by the processes that
# use the same configuration file and line, removed when the last of them detaches.
section "rr:600 across processes"
conf rr <<'EOF2'
127.0.0.1/32 rr:600 127.0.0.2 127.0.0.3 127.0.0.4
EOF2

# A holder keeps the segment alive between the sequential processes (the manual: the
# segment is destroyed when the last process using it ends).
# Half of the processes name the file through a symbolic link: still the same file.
ln -s "$CONF" "$T/rr-link.conf"
mark
sv_bg holder "$PY" "$E/client.py" hold 127.0.0.1 7001 --until "$T/holder.stop"; holder=$BG
wait_lines "$T/holder.out" 1
for i in 1 2 3; do
  sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 >/dev/null
  CONF=$T/rr-link.conf sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 >/dev/null
done
seq6=$(recorded | tail -n +2 | in_order)
expect_eq "rr: 6 sequential processes, 1 connection each: 2 per source" \
  "127.0.0.2=2 127.0.0.3=2 127.0.0.4=2" "$(tr ' ' '\n' <<<"$seq6" | tally)"
expect_cycle "rr: the holder and the 6 processes (3 via a symlink) walk one global cycle" \
  "127.0.0.2 127.0.0.3 127.0.0.4" "$(recorded | in_order)"

mark
pids=()
for i in 1 2 3 4 5 6; do sv_bg "rrc$i" "$PY" "$E/client.py" tcp 127.0.0.1 7001 -n 5; pids+=($BG); done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
expect_eq "rr: 6 concurrent processes exit normally" 0 "$failed"
expect_sources "rr: 6 concurrent processes x 5 connections: exactly 10 per source" \
  "127.0.0.2=10 127.0.0.3=10 127.0.0.4=10"
touch "$T/holder.stop"; wait "$holder"

# No holder: 8 processes race to create the segment. Each connects once (so all are
# attached), waits for the barrier, then makes 19 more: 160 connections, 40 per source.
conf rrrace <<'EOF2'
127.0.0.1/32 rr:600 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5
EOF2
mark
pids=()
for i in 1 2 3 4 5 6 7 8; do
  sv_bg "race$i" "$PY" "$E/client.py" tcp 127.0.0.1 7001 -n 20 --barrier "$T/race.go"; pids+=($BG)
done
for i in 1 2 3 4 5 6 7 8; do wait_lines "$T/race$i.out" 1; done
touch "$T/race.go"
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
expect_eq "rr: 8 processes created the segment concurrently and exit normally" 0 "$failed"
expect_sources "rr: 8 racing processes x 20 connections: exactly 40 per source" \
  "127.0.0.2=40 127.0.0.3=40 127.0.0.4=40 127.0.0.5=40"

section "rr shared memory segment lifetime (ipcs -m)"
conf rrshm <<'EOF2'
127.0.0.1/32 rr:600 127.0.0.2 127.0.0.3
127.0.1.1/32 rr:640 127.0.0.4 127.0.0.5
EOF2
expect_eq "no segment left over by the earlier rr processes" "" "$(shm_segments)"
sv_bg shmA "$PY" "$E/client.py" hold 127.0.0.1,127.0.1.1 7001 --until "$T/shmA.stop"; a=$BG
wait_lines "$T/shmA.out" 2
expect_eq "one process using 2 rr lines: 2 segments, perms 600 and 640, 1 attach each" \
  "600:1 640:1" "$(shm_segments)"
sv_bg shmB "$PY" "$E/client.py" hold 127.0.0.1,127.0.1.1 7001 --until "$T/shmB.stop"; b=$BG
wait_lines "$T/shmB.out" 2
expect_eq "a second process attaches the same 2 segments" "600:2 640:2" "$(shm_segments)"
touch "$T/shmA.stop"; wait "$a"
expect_eq "first process gone: segments stay for the second" "600:1 640:1" "$(shm_segments)"
touch "$T/shmB.stop"; wait "$b"
expect_eq "last process gone: segments removed" "" "$(shm_segments)"
# each line has its own counter: the two holders got the two sources of each line
seen=$(paste -d' ' "$T/shmA.out" "$T/shmB.out" | while read -r x y; do printf '%s\n' "$x" "$y" | sort -V | paste -sd, -; done | in_order)
expect_eq "each rr line has its own counter: the 2 processes got both sources of each" \
  "127.0.0.2,127.0.0.3 127.0.0.4,127.0.0.5" "$seen"
