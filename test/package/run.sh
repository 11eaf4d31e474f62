#!/usr/bin/env bash
# test-package: what an operator installs works.
#  - the man pages render without warnings; the example configuration is valid;
#  - `make install DESTDIR=...` puts every file where the README says, and real programs
#    (python3, curl) started through the INSTALLED src_vipa.sh, with a configuration in
#    that tree, leave from the configured source address;
#  - a second install keeps a changed /etc/src_vipa.conf; uninstall removes the rest;
#  - `make rpm` and `make deb` build, and list the library, the wrapper, the man pages
#    and the configuration file, with the wrapper pointing at the package's library.
# The npm package has its own test: test/npm/run.sh (make test-npm).
# Prints "ok"/"not ok" lines and "N passed, M failed"; exits 1 if anything failed.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"
MAKE=${MAKE:-make}
make_q() { "$MAKE" --no-print-directory -C "$top" "$@"; }

passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() {
  echo "not ok - $1"
  [ -n "${2:-}" ] && printf '%s\n' "$2" | head -n 30 | sed 's/^/#   /'
  failed=$((failed + 1))
}
# check DESCRIPTION COMMAND...: ok if the command succeeds, else its output
check() {
  local desc=$1 out
  shift
  if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc" "$out"; fi
}

work=$(mktemp -d "${TMPDIR:-/tmp}/src-vipa-package.XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM


version=$(node -p "require('./package.json').version")
multiarch=$(gcc -print-multiarch 2>/dev/null || true)

# --- man pages ---------------------------------------------------------------------------
for page in docs/src_vipa.8 docs/src-vipa.1; do
  check "$page renders with groff -ww without warnings" \
    bash -c 'out=$(groff -man -Tutf8 -ww -z "$1" 2>&1); [ -z "$out" ] || { echo "$out"; exit 1; }' _ "$page"
  check "man -l $page renders" \
    bash -c 'MANWIDTH=80 man -l "$1" 2>&1 | grep -q "^NAME"' _ "$page"
  check "$page names version $version (package.json)" grep -q "^\.TH .*\"src-vipa $version\"" "$page"
done

# --- the example configuration ---------------------------------------------------------
cli=(node "$top/dist/cli.js")
# `src-vipa check --json` succeeds and reports no error and no warning
clean() {
  local out
  out=$("${cli[@]}" check --json "$1" 2>&1) || { echo "$out"; return 1; }
  node -e 'const r = JSON.parse(process.argv[1]); process.exit(r.errors.length + r.warnings.length ? 1 : 0)' "$out" \
    || { echo "$out"; return 1; }
}
check "examples/src_vipa.conf is valid without warnings" clean examples/src_vipa.conf
sed -n 's/^#\([0-9a-fA-F.:]*\/\|\.INADDR_ANY \)/\1/p' examples/src_vipa.conf > "$work/uncommented.conf"
uncommented_clean() {
  [ "$(grep -c . "$1")" -eq 8 ] || { echo "expected 8 commented rules, found:"; cat "$1"; return 1; }
  clean "$1"
}
check "examples/src_vipa.conf: its 8 commented rules, uncommented, are valid without warnings" \
  uncommented_clean "$work/uncommented.conf"

# --- make install DESTDIR=... ------------------------------------------------------------
dest=$work/root
prefix=/usr/local
libdir=$prefix/lib${multiarch:+/$multiarch}
[ -n "$multiarch" ] || { [ -d /usr/lib64 ] && libdir=$prefix/lib64; }
if out=$(make_q install-files DESTDIR="$dest" 2>&1); then ok "make install DESTDIR=$dest"; else not_ok "make install DESTDIR=..." "$out"; fi

for f in "$libdir/src_vipa.so" "$prefix/sbin/src_vipa.sh" "$prefix/share/man/man8/src_vipa.8" \
         "$prefix/share/man/man1/src-vipa.1" /etc/src_vipa.conf \
         "$prefix/share/bash-completion/completions/src-vipa"; do
  check "installed: $f" test -f "$dest$f"
done
check "installed src_vipa.sh is executable" test -x "$dest$prefix/sbin/src_vipa.sh"
# the wrapper names its library directory (the placeholder replaced by LIBDIR)
names_libdir() { grep -qF "$2" "$1" && ! grep -q "@LIBDIR@" "$1"; }
check "installed src_vipa.sh names $libdir, the placeholder is gone" names_libdir "$dest$prefix/sbin/src_vipa.sh" "$libdir"
check "installed /etc/src_vipa.conf is the example" cmp examples/src_vipa.conf "$dest/etc/src_vipa.conf"
check "installed src-vipa CLI runs from $prefix/bin" \
  bash -c '"$1" check "$2"' _ "$dest$prefix/bin/src-vipa" "$dest/etc/src_vipa.conf"

# --- real programs through the installed wrapper -----------------------------------------
# The installed wrapper names its library by its final path ($libdir), which is what an
# installation must do. To run those very files at that path, the staged $prefix is
# mounted over $prefix in a private mount namespace (nothing outside the test sees it).
python3 "$top/demo/server.py" "$work/connections.log" "$work/ready" 0 60 127.0.0.1 &
server_pid=$!
for _ in $(seq 1 100); do [ -s "$work/ready" ] && break; sleep 0.05; done
port=
[ -s "$work/ready" ] && read -r _ port < "$work/ready"
conf=$dest/etc/src_vipa-test.conf
printf '# test-package\n127.0.0.1/32 onevipa 127.0.0.42\n' > "$conf"

in_installed_tree() { # COMMAND...: run with $dest$prefix mounted on $prefix
  local ns=(unshare -m)
  [ "$(id -u)" = 0 ] || ns=(unshare -rm)
  timeout 30 "${ns[@]}" bash -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' _ \
    "$dest$prefix" "$prefix" "$@"
}
sources_of() { awk -v c="$1" '$3 == c { print $2 }' "$work/connections.log" 2>/dev/null | sort -u | tr '\n' ' '; }

if [ -z "$port" ]; then
  not_ok "local recording server on 127.0.0.1 started"
elif ! in_installed_tree true 2>/dev/null; then
  not_ok "a private mount namespace (unshare -m) is available to run the installed files"
else
  in_installed_tree env SRC_VIPA_CONFIG_FILE="$conf" "$prefix/sbin/src_vipa.sh" \
    python3 "$top/demo/client.py" 127.0.0.1 "$port" 2 > "$work/python.out" 2>&1
  got=$(sources_of python3)
  if [ "$got" = "127.0.0.42 " ]; then ok "python3 through the installed src_vipa.sh leaves from 127.0.0.42"
  else not_ok "python3 through the installed src_vipa.sh leaves from 127.0.0.42 (server saw: ${got:-nothing})" "$(cat "$work/python.out")"; fi

  in_installed_tree env SRC_VIPA_CONFIG_FILE="$conf" "$prefix/sbin/src_vipa.sh" \
    curl -sS --max-time 5 -A curl "http://127.0.0.1:$port/" > "$work/curl.out" 2>&1
  got=$(sources_of curl)
  if [ "$got" = "127.0.0.42 " ]; then ok "curl through the installed src_vipa.sh leaves from 127.0.0.42"
  else not_ok "curl through the installed src_vipa.sh leaves from 127.0.0.42 (server saw: ${got:-nothing})" "$(cat "$work/curl.out")"; fi

  # and without the wrapper, the same client leaves from the usual 127.0.0.1
  SRC_VIPA_CONFIG_FILE="$conf" timeout 10 curl -sS --max-time 5 -A plain "http://127.0.0.1:$port/" >/dev/null 2>&1
  check "without the wrapper, curl leaves from 127.0.0.1" bash -c '[ "$1" = "127.0.0.1 " ]' _ "$(sources_of plain)"
fi

# --- reinstall and uninstall -------------------------------------------------------------
echo "10.0.0.0/8 onevipa 192.0.2.1   # changed by the operator" >> "$dest/etc/src_vipa.conf"
make_q install-files DESTDIR="$dest" >/dev/null 2>&1
check "a second install keeps a changed /etc/src_vipa.conf" grep -q "changed by the operator" "$dest/etc/src_vipa.conf"
rm -f "$conf"
make_q uninstall DESTDIR="$dest" >/dev/null 2>&1
check "uninstall keeps the changed /etc/src_vipa.conf" test -f "$dest/etc/src_vipa.conf"
check "uninstall removes every other file" \
  bash -c 'left=$(find "$1" -not -type d -not -path "$1/etc/src_vipa.conf"); [ -z "$left" ] || { echo "$left"; exit 1; }' _ "$dest"
rm -rf "$dest"
make_q install-files DESTDIR="$dest" >/dev/null 2>&1
make_q uninstall DESTDIR="$dest" >/dev/null 2>&1
check "install then uninstall leaves no file (unchanged example config removed)" \
  bash -c 'left=$(find "$1" -not -type d); [ -z "$left" ] || { echo "$left"; exit 1; }' _ "$dest"

# --- make rpm ----------------------------------------------------------------------------
rpm_file=build/src_vipa-$version-1.$(rpm --eval '%{_arch}').rpm
rm -f "$rpm_file"
if out=$(make_q rpm 2>&1) && [ -f "$rpm_file" ]; then
  ok "make rpm builds $rpm_file"
  list=$(rpm -qlp "$rpm_file" 2>/dev/null)
  for f in /usr/lib64/src_vipa.so /usr/sbin/src_vipa.sh /usr/share/man/man8/src_vipa.8 \
           /usr/share/man/man1/src-vipa.1 /etc/src_vipa.conf /usr/bin/src-vipa \
           /usr/share/bash-completion/completions/src-vipa; do
    if grep -qE "^$f(\.gz)?\$" <<< "$list"; then ok "rpm -qlp lists $f"; else not_ok "rpm -qlp lists $f" "$list"; fi
  done
  check "rpm marks /etc/src_vipa.conf as a configuration file" \
    bash -c 'rpm -qcp "$1" 2>/dev/null | grep -qx /etc/src_vipa.conf' _ "$rpm_file"
  mkdir -p "$work/rpm" && (cd "$work/rpm" && rpm2cpio "$top/$rpm_file" | cpio -idm --quiet 2>/dev/null)
  check "the rpm's src_vipa.sh names /usr/lib64" names_libdir "$work/rpm/usr/sbin/src_vipa.sh" /usr/lib64
else
  not_ok "make rpm builds $rpm_file" "$out"
fi

# --- make deb ----------------------------------------------------------------------------
deb_file=build/src-vipa_$version-1_$(dpkg --print-architecture).deb
deb_libdir=/usr/lib${multiarch:+/$multiarch}
rm -f "$deb_file"
if out=$(make_q deb 2>&1) && [ -f "$deb_file" ]; then
  ok "make deb builds $deb_file"
  list=$(dpkg-deb -c "$deb_file" | awk '{ print $6 }' | sed 's|^\.||')
  for f in "$deb_libdir/src_vipa.so" /usr/sbin/src_vipa.sh /usr/share/man/man8/src_vipa.8 \
           /usr/share/man/man1/src-vipa.1 /etc/src_vipa.conf /usr/bin/src-vipa \
           /usr/share/bash-completion/completions/src-vipa; do
    if grep -qE "^$f(\.gz)?\$" <<< "$list"; then ok "dpkg-deb -c lists $f"; else not_ok "dpkg-deb -c lists $f" "$list"; fi
  done
  check "the deb marks /etc/src_vipa.conf as a conffile" \
    bash -c 'dpkg-deb -I "$1" conffiles | grep -qx /etc/src_vipa.conf' _ "$deb_file"
  dpkg-deb -x "$deb_file" "$work/deb"
  check "the deb's src_vipa.sh names $deb_libdir" names_libdir "$work/deb/usr/sbin/src_vipa.sh" "$deb_libdir"
else
  not_ok "make deb builds $deb_file" "$out"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
