# Resource limits: ephemeral ports (TCP binds with IP_BIND_ADDRESS_NO_PORT) and no
# System V shared memory (rr falls back to counting per process).
section "limits: ephemeral ports, no shared memory"

# 5 ephemeral ports, outside the default range so no earlier connection holds one.
# 8 connections held from one VIPA to 2 server ports: possible only if the bind of the
# VIPA does not reserve a port per socket.
ports_file=/proc/sys/net/ipv4/ip_local_port_range
old_ports=$(cat "$ports_file")
echo "61000 61004" >"$ports_file"
conf ports <<'EOF2'
127.0.0.1/32 onevipa 127.0.0.5
EOF2
out=$(sv "$PY" "$E/client.py" many 127.0.0.1 7001,7002 -n 8)
expect_eq "8 connections from one VIPA with only 5 ephemeral ports (2 destinations)" \
  "127.0.0.5=8" "$(awk '{ print $1 }' <<<"$out" | tally)"
out=$(native "$PY" "$E/client.py" many 127.0.0.1 7001,7002 -n 8)
expect_eq "baseline: the same 8 connections without the shim also fit" \
  "127.0.0.1=8" "$(awk '{ print $1 }' <<<"$out" | tally)"
echo "$old_ports" >"$ports_file"

# shmmni 0 in our IPC namespace: no segment can be created.
shm_file=/proc/sys/kernel/shmmni
old_shm=$(cat "$shm_file")
if echo 0 >"$shm_file" 2>/dev/null; then
  conf noshm <<'EOF2'
127.0.0.1/32 rr:600 127.0.0.2 127.0.0.3 127.0.0.4
EOF2
  mark
  SRC_VIPA_CONFIG_FILE=$CONF with_syslog "$T/noshm.syslog" "$WRAPPER" "$PY" "$E/client.py" \
    tcp 127.0.0.1 7001 -n 6 >/dev/null 2>"$ERR"
  expect_eq "rr without shared memory: program works, nothing on stderr" "0" "$?$(cat "$ERR")"
  expect_sources "rr without shared memory: round robin in the process, 2 per source" \
    "127.0.0.2=2 127.0.0.3=2 127.0.0.4=2"
  msgs=$(sed 's/^<[0-9]*>.*src_vipa\[[0-9]*\]: //' "$T/noshm.syslog")
  if [ -n "$msgs" ] && [ -z "$(sort <<<"$msgs" | uniq -d)" ]; then
    ok "rr without shared memory: logged to syslog, each message once"
  else
    not_ok "rr without shared memory: logged to syslog, each message once" \
      "syslog: ${msgs:-(nothing)}"
  fi
  echo "$old_shm" >"$shm_file"
else
  not_ok "kernel.shmmni can be set in the test's IPC namespace"
fi
