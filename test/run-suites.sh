#!/usr/bin/env bash
# make test: runs each suite's make target, shows its TAP as it comes (a copy in
# build/test/TARGET.tap), checks it as prove would (one plan, as many tests as planned,
# exit status 0), and ends with one plain line: "N passed, N failed".
#   usage: test/run-suites.sh TARGET...     (MAKE from the environment)
# A suite that stops early, plans wrongly or exits non-zero without a `not ok` line
# counts as one failure more; skipped tests (`# SKIP`) are counted apart, never passed.
set -uo pipefail
MAKE=${MAKE:-make}
logs=build/test
mkdir -p "$logs"
passed=0 failed=0 skipped=0 report=()

for t in "$@"; do
  echo "=== $t"
  $MAKE --no-print-directory "$t" | tee "$logs/$t.tap" # stderr: to the terminal only
  status=${PIPESTATUS[0]}
  read -r p f s n plans plan why < <(awk '
    /^ok [0-9]+/ { n++; if ($0 ~ /# [Ss][Kk][Ii][Pp]/) s++; else p++ }
    /^not ok [0-9]+/ { n++; f++ }
    /^1\.\.[0-9]+/ { plans++; plan = substr($1, 4); if ($0 ~ /# [Ss][Kk][Ii][Pp]/) { why = $0; sub(/^[^#]*# *[Ss][Kk][Ii][Pp] */, "", why) } }
    END { gsub(/ /, "_", why); print p + 0, f + 0, s + 0, n + 0, plans + 0, (plan == "" ? "-" : plan), (why == "" ? "-" : why) }
  ' "$logs/$t.tap")
  problem=
  if [ "$plans" != 1 ]; then problem="$plans TAP plans (1..N lines), expected one"
  elif [ "$plan" != "$n" ]; then problem="planned $plan tests, $n ran"
  elif [ "$status" != 0 ] && [ "$f" = 0 ]; then problem="exited with status $status"
  fi
  if [ -n "$problem" ]; then f=$((f + 1)); echo "not ok - $t: $problem"; fi
  line="$t: $p passed, $f failed"
  [ "$s" = 0 ] || line="$line, $s skipped"
  [ "$why" = - ] || line="$line (skipped: ${why//_/ })"
  report+=("$line")
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done

echo "==="
printf '# %s\n' "${report[@]}"
[ "$skipped" = 0 ] || echo "# $skipped skipped (not counted as passed)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
