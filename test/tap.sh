# TAP for the shell suites (sourced by test/*/run.sh): numbered `ok N - ...` and
# `not ok N - ...` lines, details as `#   ...` lines, and at the end the plan `1..N`
# (TAP allows it last) with a `# N passed, N failed` comment, so `prove test/X/run.sh`
# can run any suite and `make test` (test/run-suites.sh) can count them all.
#   ok DESC | not_ok DESC [DETAIL...] | skip DESC REASON | check DESC COMMAND... |
#   expect_eq DESC EXPECTED SEEN | section TITLE | summary (last; its status is the
#   suite's) | skip_all REASON (instead of any test: the whole suite cannot run here)
# not_ok also shows the file named by $ERR (the stderr of the last program), if any.

PASSED=0
FAILED=0
SKIPPED=0
NUM=0

section() { echo "# --- $*"; }

ok() {
  NUM=$((NUM + 1)); PASSED=$((PASSED + 1))
  echo "ok $NUM - $1"
}

not_ok() {
  NUM=$((NUM + 1)); FAILED=$((FAILED + 1))
  echo "not ok $NUM - $1"
  shift
  local detail
  for detail in "$@"; do printf '%s\n' "$detail" | head -n 30 | sed 's/^/#   /'; done
  if [ -n "${ERR:-}" ] && [ -s "$ERR" ]; then
    echo "#   stderr of the last program:"
    head -c 1500 "$ERR" | sed 's/^/#     /'
  fi
}

# skip DESC REASON: a check that cannot run here; counted apart, never as passed
skip() {
  NUM=$((NUM + 1)); SKIPPED=$((SKIPPED + 1))
  echo "ok $NUM - $1 # SKIP $2"
}

# check DESC COMMAND...: passes when COMMAND succeeds (run in this shell)
check() {
  local desc=$1; shift
  if "$@"; then ok "$desc"; else not_ok "$desc" "command failed: $*"; fi
}

# expect_eq DESC EXPECTED SEEN
expect_eq() {
  if [ "$2" = "$3" ]; then ok "$1"
  else not_ok "$1" "expected: $2" "seen:     $3"; fi
}

summary() {
  echo "1..$NUM"
  echo "# $PASSED passed, $FAILED failed$([ "$SKIPPED" = 0 ] || echo ", $SKIPPED skipped")"
  [ "$FAILED" = 0 ]
}

skip_all() {
  echo "1..0 # SKIP $*"
  exit 0
}
