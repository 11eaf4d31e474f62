# The configuration file: host names, comments, old and bad forms, missing and invalid
# files (the program must keep working), logging, and DNS made while loading it.
section "configuration file"
conf names <<'EOF2'
# host names come from the private /etc/hosts
svdest.test/32	lrr   svsrc-a.test svsrc-b.test

svdest6.test/128 onevipa svsrc6.test
EOF2
mark; sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 -n 4 >/dev/null
expect_sources "host names (destination and sources, comments, tabs): lrr 2 per source" \
  "127.0.0.6=2 127.0.0.7=2"
mark; sv "$PY" "$E/client.py" tcp fd00::1 7001 >/dev/null
expect_sources "IPv6 host names: onevipa" "fd00::6=1"
conf localhost <<'EOF2'
localhost/32 onevipa 127.0.0.5
EOF2
mark; sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 >/dev/null
expect_sources "destination 'localhost' applies to 127.0.0.1" "127.0.0.5=1"

conf multiname <<'EOF2'
127.0.0.1/32 lrr svsrcs.test
EOF2
mark; sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 -n 4 >/dev/null
expect_sources "a source name with 2 addresses gives 2 sources: lrr 2 each" \
  "127.0.0.6=2 127.0.0.7=2"

# 100,000 rules: the one for 127.0.0.1 still applies, and loading stays quick
big_conf "$T/big.conf"
CONF=$T/big.conf
mark; start=$(date +%s%N)
sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 >/dev/null
ms=$((($(date +%s%N) - start) / 1000000))
expect_sources "100,000 rules: the rule for 127.0.0.1 applies" "127.0.0.2=1"
if [ "$ms" -lt 10000 ]; then ok "100,000 rules: the program ran in ${ms} ms (limit 10 s)"
else not_ok "100,000 rules: the program ran in ${ms} ms (limit 10 s)"; fi

conf oldformat <<'EOF2'
127.0.0.1/32 127.0.0.4
EOF2
mark; sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 -n 3 >/dev/null
expect_sources "old 1.x line 'DEST/MASK SRC' reads as onevipa" "127.0.0.4=3"

conf badpolicy <<'EOF2'
127.0.0.1/32 bogus 127.0.0.2 127.0.0.3
EOF2
mark; SRC_VIPA_DEBUG=1 sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 -n 4 >/dev/null
expect_sources "unknown policy word falls back to round robin: 2 per source" "127.0.0.2=2 127.0.0.3=2"
expect_cycle "unknown policy word: consecutive connections alternate" "127.0.0.2 127.0.0.3" \
  "$(recorded | in_order)"
expect_match "unknown policy word: warning for line 1 under SRC_VIPA_DEBUG=1" \
  "badpolicy\.conf:1: warning" "$(cat "$ERR")"

if [ "$ETC_WRITABLE" = 1 ]; then
  echo "127.0.0.1/32 onevipa 127.0.0.4" >/etc/src_vipa.conf
  mark; env -u SRC_VIPA_CONFIG_FILE timeout 30 "$WRAPPER" "$PY" "$E/client.py" tcp 127.0.0.1 7001 \
    >/dev/null 2>"$ERR"
  expect_sources "no SRC_VIPA_CONFIG_FILE: /etc/src_vipa.conf applies" "127.0.0.4=1"
  rm /etc/src_vipa.conf
else
  skip "no SRC_VIPA_CONFIG_FILE: /etc/src_vipa.conf applies" "no overlay mount for /etc here"
fi

CONF=$T/does-not-exist.conf
mark; sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 -n 2 >/dev/null
st=$?
expect_eq "missing config: the program works (exit 0)" 0 "$st"
expect_sources "missing config: connections pass through" "127.0.0.1=2"
expect_eq "missing config: nothing on stderr" "" "$(cat "$ERR")"

conf invalid <<'EOF2'
this is not a rule
127.0.0.1/99 onevipa 127.0.0.2
127.0.0.1/32 onevipa 127.0.0.2 fd00::2
EOF2
mark; sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 -n 2 >/dev/null
st=$?
expect_eq "invalid config: the program works (exit 0)" 0 "$st"
expect_sources "invalid config: connections pass through" "127.0.0.1=2"
expect_eq "invalid config without SRC_VIPA_DEBUG: nothing on stderr" "" "$(cat "$ERR")"
mark; SRC_VIPA_DEBUG=1 sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 -n 3 >/dev/null
expect_match "invalid config with SRC_VIPA_DEBUG=1: 'src_vipa[pid]:' lines on stderr" \
  "src_vipa\[[0-9]+\]: " "$(cat "$ERR")"
for n in 1 2 3; do
  expect_eq "invalid config: line $n reported once as an error (3 connections)" 1 \
    "$(grep -c "invalid\.conf:$n: error" "$ERR")"
done

SRC_VIPA_CONFIG_FILE=$CONF with_syslog "$T/syslog" "$WRAPPER" "$PY" "$E/client.py" tcp 127.0.0.1 7001 -n 2 >/dev/null 2>"$ERR"
st=$?
expect_eq "invalid config, syslog captured: program works, nothing on stderr" "0" "$st$(cat "$ERR")"
for n in 1 2 3; do
  expect_eq "invalid config: line $n logged once to syslog" 1 \
    "$(grep -c "src_vipa\[[0-9]*\]: .*invalid\.conf:$n: error" "$T/syslog")"
done
bad=$(grep -vE '^<(8|9|1[0-5])>' "$T/syslog")
expect_eq "syslog messages use facility LOG_USER" "" "$bad"

conf partly <<'EOF2'
not a rule at all
127.0.0.1/32 onevipa 127.0.0.3
EOF2
mark; sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 >/dev/null
expect_sources "an invalid line does not stop the valid ones" "127.0.0.3=1"

CONF=$T/confdir   # a directory: cannot be read as a file
mkdir -p "$CONF"
mark; SRC_VIPA_DEBUG=1 sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 >/dev/null
st=$?
expect_eq "unreadable config (a directory): the program works" "0 127.0.0.1=1" "$st $(recorded | tally)"
expect_match "unreadable config: logged under SRC_VIPA_DEBUG=1" "src_vipa\[[0-9]+\]: " "$(cat "$ERR")"

conf valid_quiet <<'EOF2'
127.0.0.1/32 onevipa 127.0.0.2
EOF2
sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 >/dev/null
expect_eq "valid config without SRC_VIPA_DEBUG: nothing on stderr" "" "$(cat "$ERR")"

# A name that is not in /etc/hosts makes the shim ask DNS (our server on 127.0.0.1:53,
# which answers NXDOMAIN). That query must not go through the rules: the 127.0.0.0/8
# rule would otherwise bind it to 127.0.0.5.
conf dns <<'EOF2'
127.0.0.0/8 onevipa 127.0.0.5
nosuch.invalid/32 onevipa 127.0.0.6
EOF2
mark; sv "$PY" "$E/client.py" tcp 127.0.0.1 7001 >/dev/null
st=$?
dns=$(awk -v m="$MARK" 'NR > m && $1 == "dns4" { print $2 }' "$LOG" | sort -u | paste -sd' ' -)
tcp=$(awk -v m="$MARK" 'NR > m && $1 == "tcp4" { print $2 }' "$LOG" | paste -sd' ' -)
expect_eq "unresolvable name in the config: program works, the valid line applies" \
  "0 127.0.0.5" "$st $tcp"
expect_eq "the shim's own DNS query at load time is not bound by the rules" "127.0.0.1" "$dns"
