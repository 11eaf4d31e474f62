#!/usr/bin/env bash
# test-package: what an operator installs, and what a distribution would take. TAP
# (test/tap.sh).
#  - the man pages render without warnings; the example configuration is valid;
#  - `make install DESTDIR=...` puts every file where the README says; real programs
#    (python3, curl) through the INSTALLED src_vipa.sh leave from the configured source;
#    a second install keeps a changed /etc/src_vipa.conf; uninstall leaves no file and
#    no directory it created;
#  - `make dist`, `make srpm`, `make rpm` (the binary rpm rebuilt from the source rpm) and
#    `make deb` build; their contents; rpmlint and lintian --pedantic report nothing but
#    the documented exceptions (skipped, with the reason, where they are not installed);
#  - the deb installed with dpkg into a scratch root, seen over /usr in a private mount
#    namespace: programs through /usr/bin/src_vipa.sh, `man src_vipa.sh`, the systemd
#    examples (systemd-analyze verify, and the drop-in's environment at work); dpkg
#    --remove and --purge leave nothing;
#  - reproducible: the library, the tarball and every package built again from scratch
#    (and the library in another directory) are byte for byte the same;
#  - the npm tarball holds the engine, the CLI and LICENSE, and the CLI runs from it.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"
. "$top/test/tap.sh"
MAKE=${MAKE:-make}
make_q() { "$MAKE" --no-print-directory -C "$top" "$@"; }
# check_output DESCRIPTION COMMAND...: ok if the command succeeds, else not ok with its output
check_output() {
  local desc=$1 out
  shift
  if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc" "$out"; fi
}
# lists FILE DESCRIPTION LIST: ok if LIST (one path a line) has FILE (or FILE.gz)
lists() { if grep -qE "^$1(\.gz)?\$" <<<"$3"; then ok "$2 lists $1"; else not_ok "$2 lists $1" "$3"; fi; }

work=$(mktemp -d "${TMPDIR:-/tmp}/src-vipa-package.XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' package.json)
multiarch=$(gcc -print-multiarch 2>/dev/null || true)
as_root=$([ "$(id -u)" = 0 ] && echo 1 || echo 0)

# --- man pages ---------------------------------------------------------------------------
section "man pages"
for page in docs/src_vipa.8 docs/src-vipa.1; do
  check_output "$page renders with groff -ww without warnings" \
    bash -c 'out=$(groff -man -Tutf8 -ww -z "$1" 2>&1); [ -z "$out" ] || { echo "$out"; exit 1; }' _ "$page"
  check_output "man -l $page renders" \
    bash -c 'MANWIDTH=80 man -l "$1" 2>&1 | grep -q "^NAME"' _ "$page"
  check_output "$page names version $version (package.json)" grep -q "^\.TH .*\"src-vipa $version\"" "$page"
done

# --- the example configuration ---------------------------------------------------------
section "example configuration"
cli=(node "$top/dist/cli.js")
# `src-vipa check --json` succeeds and reports no error and no warning
clean() {
  local out
  out=$("${cli[@]}" check --json "$1" 2>&1) || { echo "$out"; return 1; }
  node -e 'const r = JSON.parse(process.argv[1]); process.exit(r.errors.length + r.warnings.length ? 1 : 0)' "$out" \
    || { echo "$out"; return 1; }
}
check_output "examples/src_vipa.conf is valid without warnings" clean examples/src_vipa.conf
sed -n 's/^#\([0-9a-fA-F.:]*\/\|\.INADDR_ANY \)/\1/p' examples/src_vipa.conf > "$work/uncommented.conf"
uncommented_clean() {
  [ "$(grep -c . "$1")" -eq 8 ] || { echo "expected 8 commented rules, found:"; cat "$1"; return 1; }
  clean "$1"
}
check_output "examples/src_vipa.conf: its 8 commented rules, uncommented, are valid without warnings" \
  uncommented_clean "$work/uncommented.conf"

# --- make install DESTDIR=... ------------------------------------------------------------
section "make install"
dest=$work/root
prefix=/usr/local
libdir=$prefix/lib${multiarch:+/$multiarch}
[ -n "$multiarch" ] || { [ -d /usr/lib64 ] && libdir=$prefix/lib64; }
doc=$prefix/share/doc/src-vipa
check_output "make install DESTDIR=$dest" make_q install-files DESTDIR="$dest"

for f in "$libdir/src_vipa.so" "$prefix/bin/src_vipa.sh" "$prefix/share/man/man8/src_vipa.8" \
         "$prefix/share/man/man8/src_vipa.sh.8" "$prefix/share/man/man1/src-vipa.1" /etc/src_vipa.conf \
         "$doc/LICENSE" "$doc/NOTICE" "$doc/CHANGELOG.md" "$doc/examples/src_vipa.conf" \
         "$doc/examples/systemd/src-vipa.conf" "$doc/examples/systemd/example-client.service"; do
  check_output "installed: $f" test -f "$dest$f"
done
check_output "installed src_vipa.sh is executable" test -x "$dest$prefix/bin/src_vipa.sh"
# the wrapper names its library directory (the placeholder replaced by LIBDIR)
names_libdir() { grep -qF "$2" "$1" && ! grep -q "@LIBDIR@" "$1"; }
check_output "installed src_vipa.sh names $libdir, the placeholder is gone" names_libdir "$dest$prefix/bin/src_vipa.sh" "$libdir"
check_output "installed /etc/src_vipa.conf is the example" cmp examples/src_vipa.conf "$dest/etc/src_vipa.conf"
check_output "installed src-vipa CLI runs from $prefix/bin" \
  bash -c '"$1" check "$2"' _ "$dest$prefix/bin/src-vipa" "$dest/etc/src_vipa.conf"
check_output "man finds src_vipa.sh in the installed tree" \
  bash -c 'MANPATH="$1" man -w src_vipa.sh | grep -qE "/man8/src_vipa(\.sh)?\.8$"' _ "$dest$prefix/share/man"
check_output "man src_vipa.sh shows src_vipa(8)" \
  bash -c 'MANPATH="$1" MANWIDTH=80 man src_vipa.sh 2>/dev/null | grep -q "src_vipa.sh, *src_vipa.so"' _ "$dest$prefix/share/man"

# --- real programs through the installed wrapper -----------------------------------------
# The installed wrapper names its library by its final path ($libdir), which is what an
# installation must do. To run those very files at that path, the staged $prefix is
# mounted over $prefix in a private mount namespace (nothing outside the test sees it).
# (stops by itself after 900 s at the latest; the cleanup stops it before)
python3 "$top/demo/server.py" "$work/connections.log" "$work/ready" 0 900 127.0.0.1 &
server_pid=$!
for _ in $(seq 1 100); do [ -s "$work/ready" ] && break; sleep 0.05; done
port=
[ -s "$work/ready" ] && read -r _ port < "$work/ready"
conf=$work/test.conf
printf '# test-package\n127.0.0.1/32 onevipa 127.0.0.42\n' > "$conf"

ns=(unshare -m)
[ "$as_root" = 1 ] || ns=(unshare -rm)
in_installed_tree() { # COMMAND...: run with $dest$prefix mounted on $prefix
  timeout 30 "${ns[@]}" bash -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' _ \
    "$dest$prefix" "$prefix" "$@"
}
sources_of() { awk -v c="$1" '$3 == c { print $2 }' "$work/connections.log" 2>/dev/null | sort -u | tr '\n' ' '; }
# expect_source DESC AGENT: the recording server saw AGENT's connections from 127.0.0.42 only
expect_source() {
  local got
  got=$(sources_of "$2")
  if [ "$got" = "127.0.0.42 " ]; then ok "$1"; else not_ok "$1 (server saw: ${got:-nothing})" "$(cat "$work/out" 2>/dev/null)"; fi
}

if [ -z "$port" ]; then
  not_ok "local recording server on 127.0.0.1 started"
elif ! in_installed_tree true 2>/dev/null; then
  not_ok "a private mount namespace (unshare -m) is available to run the installed files"
else
  in_installed_tree env SRC_VIPA_CONFIG_FILE="$conf" "$prefix/bin/src_vipa.sh" \
    python3 "$top/demo/client.py" 127.0.0.1 "$port" 2 > "$work/out" 2>&1
  expect_source "python3 through the installed src_vipa.sh leaves from 127.0.0.42" python3
  in_installed_tree env SRC_VIPA_CONFIG_FILE="$conf" "$prefix/bin/src_vipa.sh" \
    curl -sS --max-time 5 -A curl "http://127.0.0.1:$port/" > "$work/out" 2>&1
  expect_source "curl through the installed src_vipa.sh leaves from 127.0.0.42" curl
  # and without the wrapper, the same client leaves from the usual 127.0.0.1
  SRC_VIPA_CONFIG_FILE="$conf" timeout 10 curl -sS --max-time 5 -A plain "http://127.0.0.1:$port/" >/dev/null 2>&1
  expect_eq "without the wrapper, curl leaves from 127.0.0.1" "127.0.0.1 " "$(sources_of plain)"
fi

# --- reinstall and uninstall -------------------------------------------------------------
section "reinstall, uninstall"
echo "10.0.0.0/8 onevipa 192.0.2.1   # changed by the operator" >> "$dest/etc/src_vipa.conf"
make_q install-files DESTDIR="$dest" >/dev/null 2>&1
check_output "a second install keeps a changed /etc/src_vipa.conf" grep -q "changed by the operator" "$dest/etc/src_vipa.conf"
make_q uninstall DESTDIR="$dest" >/dev/null 2>&1
check_output "uninstall keeps the changed /etc/src_vipa.conf" test -f "$dest/etc/src_vipa.conf"
left_besides() { # ROOT [KEEP]: nothing below ROOT but KEEP and the directories above it
  local left
  left=$(find "$1" -mindepth 1 ${2:+-not -path "$1$2" -not -path "$1$(dirname "$2")"})
  [ -z "$left" ] || { echo "left behind:"; echo "$left"; return 1; }
}
check_output "uninstall removes every other file and every directory it created" left_besides "$dest" /etc/src_vipa.conf
rm -rf "$dest"
make_q install-files DESTDIR="$dest" >/dev/null 2>&1
make_q uninstall DESTDIR="$dest" >/dev/null 2>&1
check_output "install then uninstall leaves nothing (unchanged example configuration removed)" left_besides "$dest"
mkdir -p "$dest$prefix/bin" "$dest$prefix/share/man"
make_q install-files DESTDIR="$dest" >/dev/null 2>&1
make_q uninstall DESTDIR="$dest" >/dev/null 2>&1
check_output "uninstall keeps the directories that were there before install" \
  bash -c 'test -d "$1/bin" && test -d "$1/share/man" && [ -z "$(find "$1" -type f)" ]' _ "$dest$prefix"
rm -rf "$dest"

# --- make dist, srpm, rpm ----------------------------------------------------------------
section "make dist, make srpm, make rpm"
dist_file=build/src-vipa-$version.tar.gz
srpm_file=build/src-vipa-$version-1.src.rpm
rpm_file=build/src-vipa-$version-1.$(rpm --eval '%{_arch}').rpm
rm -f "$dist_file" "$srpm_file" "$rpm_file"
check_output "make dist builds $dist_file" make_q dist
contents=$(tar -tzf "$dist_file" 2>/dev/null | sed "s|^src-vipa-$version/||")
for f in LICENSE NOTICE CHANGELOG.md src-vipa.spec mk/release.mk build/engine.wasm dist/cli.js \
         shim/src_vipa.sh packaging/manifest Makefile; do
  lists "$f" "the tarball" "$contents"
done
check_output "make rpm builds $srpm_file and $rpm_file from it" make_q rpm
if [ -f "$rpm_file" ]; then
  list=$(rpm -qlp "$rpm_file" 2>/dev/null)
  for f in /usr/lib64/src_vipa.so /usr/bin/src_vipa.sh /usr/share/man/man8/src_vipa.8.gz \
           /usr/share/man/man8/src_vipa.sh.8.gz /usr/share/man/man1/src-vipa.1.gz /etc/src_vipa.conf \
           /usr/bin/src-vipa /usr/share/licenses/src-vipa/LICENSE /usr/share/doc/src-vipa/README.md \
           /usr/share/doc/src-vipa/examples/systemd/src-vipa.conf; do
    lists "$f" "rpm -qlp" "$list"
  done
  check_output "the rpm marks /etc/src_vipa.conf as a configuration file" \
    bash -c 'rpm -qcp "$1" 2>/dev/null | grep -qx /etc/src_vipa.conf' _ "$rpm_file"
  check_output "the rpm marks LICENSE as the license" \
    bash -c 'rpm -qLp "$1" 2>/dev/null | grep -qx /usr/share/licenses/src-vipa/LICENSE' _ "$rpm_file"
  check_output "the rpm provides src_vipa (the 2.x package's name)" \
    bash -c 'rpm -qp --provides "$1" 2>/dev/null | grep -q "^src_vipa = "' _ "$rpm_file"
  check_output "the rpm has a changelog from CHANGELOG.md" \
    bash -c 'rpm -qp --changelog "$1" | grep -q "^- The policy engine"' _ "$rpm_file"
  check_output "the source rpm holds the spec and the tarball" \
    bash -c 'l=$(rpm -qlp "$1"); grep -qx src-vipa.spec <<<"$l" && grep -qx "src-vipa-$2.tar.gz" <<<"$l"' _ "$srpm_file" "$version"
  mkdir -p "$work/rpm" && (cd "$work/rpm" && rpm2cpio "$top/$rpm_file" | cpio -idm --quiet 2>/dev/null)
  check_output "the rpm's src_vipa.sh names /usr/lib64" names_libdir "$work/rpm/usr/bin/src_vipa.sh" /usr/lib64
  check_output "the rpm's library carries the SONAME src_vipa.so" \
    bash -c 'readelf -d "$1" | grep -q "SONAME.*\[src_vipa.so\]"' _ "$work/rpm/usr/lib64/src_vipa.so"
  if command -v rpmlint >/dev/null; then
    out=$(rpmlint -c packaging/rpmlint.toml "$rpm_file" "$srpm_file" 2>&1)
    summary_line=$(grep -E '[0-9]+ errors, [0-9]+ warnings' <<<"$out")
    if grep -qE ' 0 errors, ' <<<"$summary_line"; then ok "rpmlint: no errors (${summary_line# })"
    else not_ok "rpmlint: no errors" "$out"; fi
    grep -E '^[^ ]+: [WE]: ' <<<"$out" | sed 's/^/# rpmlint: /'
  else
    skip "rpmlint: no errors" "rpmlint is not installed (as root, make test-package installs it)"
  fi
fi

# --- make deb ----------------------------------------------------------------------------
section "make deb"
deb_arch=$(dpkg --print-architecture)
deb_file=build/src-vipa_$version-1_$deb_arch.deb
dbg_file=build/src-vipa-dbgsym_$version-1_$deb_arch.deb
deb_libdir=/usr/lib${multiarch:+/$multiarch}
rm -f "$deb_file" "$dbg_file"
check_output "make deb builds $deb_file and $dbg_file" make_q deb
if [ -f "$deb_file" ] && [ -f "$dbg_file" ]; then
  list=$(dpkg-deb -c "$deb_file" | awk '{ print $6 }' | sed 's|^\.||')
  for f in "$deb_libdir/src_vipa.so" /usr/bin/src_vipa.sh /usr/share/man/man8/src_vipa.8 \
           /usr/share/man/man8/src_vipa.sh.8 /usr/share/man/man1/src-vipa.1 /etc/src_vipa.conf \
           /usr/bin/src-vipa /usr/share/doc/src-vipa/copyright /usr/share/doc/src-vipa/changelog.Debian.gz \
           /usr/share/doc/src-vipa/changelog.gz /usr/share/doc/src-vipa/examples/systemd/src-vipa.conf; do
    lists "$f" "dpkg-deb -c" "$list"
  done
  check_output "the deb marks /etc/src_vipa.conf as a conffile" \
    bash -c 'dpkg-deb -I "$1" conffiles | grep -qx /etc/src_vipa.conf' _ "$deb_file"
  check_output "the deb's maintainer is the packager given (a name and an address)" \
    bash -c 'dpkg-deb -f "$1" Maintainer | grep -qE "^[^<]+ <[^@ ]+@[^> ]+>$"' _ "$deb_file"
  dpkg-deb -x "$deb_file" "$work/deb"
  dpkg-deb -x "$dbg_file" "$work/dbg"
  lib=$work/deb$deb_libdir/src_vipa.so
  check_output "the deb's src_vipa.sh names $deb_libdir" names_libdir "$work/deb/usr/bin/src_vipa.sh" "$deb_libdir"
  check_output "the deb's library is stripped and carries the SONAME src_vipa.so" \
    bash -c '! readelf -S "$1" | grep -q "\.debug_\|\.symtab" && readelf -d "$1" | grep -q "SONAME.*\[src_vipa.so\]"' _ "$lib"
  id=$(readelf -n "$lib" | sed -n 's/.*Build ID: //p')
  check_output "the dbgsym deb has its debug information under its build id" \
    bash -c 'readelf -S "$1" | grep -q "\.debug_info"' _ "$work/dbg/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug"
  if command -v lintian >/dev/null; then
    out=$(lintian --pedantic -I -E --fail-on error,warning,info,pedantic,experimental "$deb_file" "$dbg_file" 2>&1)
    st=$?
    tags=$(grep -E '^[EWIPX]: ' <<<"$out")
    if [ "$st" = 0 ] && [ -z "$tags" ]; then ok "lintian --pedantic: no tags but the overridden ones"
    else not_ok "lintian --pedantic: no tags but the overridden ones" "$out"; fi
    overridden=$(lintian --pedantic -I -E --show-overrides "$deb_file" 2>/dev/null | grep -c '^O: ')
    echo "# lintian: $overridden overridden tags, each with its reason in packaging/deb/lintian-overrides"
  else
    skip "lintian --pedantic: no tags but the overridden ones" "lintian is not installed (as root, make test-package installs it)"
  fi
else
  not_ok "the deb files exist"
fi

# --- the deb installed with dpkg into a scratch root -------------------------------------
section "the deb installed (dpkg --root), seen over /usr"
root=$work/dpkg-root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
: > "$root/var/lib/dpkg/status"
dpkg_root() { dpkg --root="$root" --force-script-chrootless --force-depends "$@"; }
# in_deb_tree COMMAND...: the package's /usr and /etc files over the real ones (overlays,
# in a private mount namespace), so installed paths are the package's own
in_deb_tree() {
  timeout 60 "${ns[@]}" bash -c '
    r=$1; shift
    for d in usr etc; do
      mount -t overlay overlay -o "lowerdir=$r/$d:/$d" "/$d" || exit 97
    done
    exec "$@"' _ "$root" "$@"
}
if [ ! -f "$deb_file" ]; then
  not_ok "dpkg -i of the deb (no deb built)"
elif ! out=$(dpkg_root -i "$deb_file" 2>&1); then
  not_ok "dpkg --root -i installs the deb" "$out"
elif ! in_deb_tree true 2>/dev/null; then
  ok "dpkg --root -i installs the deb"
  skip "programs through the installed package" "no overlay mounts in a private mount namespace here"
else
  ok "dpkg --root -i installs the deb"
  check_output "dpkg -L lists the library" bash -c 'dpkg --root="$1" -L src-vipa | grep -qx "$2/src_vipa.so"' _ "$root" "$deb_libdir"
  in_deb_tree env SRC_VIPA_CONFIG_FILE="$conf" /usr/bin/src_vipa.sh \
    curl -sS --max-time 5 -A deb-curl "http://127.0.0.1:$port/" > "$work/out" 2>&1
  expect_source "curl through the package's /usr/bin/src_vipa.sh leaves from 127.0.0.42" deb-curl
  check_output "man src_vipa.sh finds the package's page" \
    in_deb_tree bash -c 'man -w src_vipa.sh | grep -qE "^/usr/share/man/man8/src_vipa(\.sh)?\.8\.gz$"'
  check_output "the package's src-vipa command checks its /etc/src_vipa.conf" in_deb_tree /usr/bin/src-vipa check /etc/src_vipa.conf

  # systemd: the drop-in's environment (LD_PRELOAD by bare name) does what it says
  dropin=/usr/share/doc/src-vipa/examples/systemd/src-vipa.conf
  mapfile -t envs < <(sed -n 's/^Environment=//p' "$root$dropin")
  expect_eq "the example drop-in sets LD_PRELOAD and SRC_VIPA_CONFIG_FILE" \
    "LD_PRELOAD=src_vipa.so SRC_VIPA_CONFIG_FILE=/etc/src_vipa.conf" "${envs[*]}"
  cp "$conf" "$root/etc/src_vipa.conf"   # the service's rules: the test's
  in_deb_tree env "${envs[@]}" curl -sS --max-time 5 -A dropin-curl "http://127.0.0.1:$port/" > "$work/out" 2>&1
  expect_source "a program with the drop-in's environment leaves from 127.0.0.42" dropin-curl
  if command -v systemd-analyze >/dev/null; then
    units=$work/units
    mkdir -p "$units/example-client.service.d" "$units/typo.service.d"
    cp "$root/usr/share/doc/src-vipa/examples/systemd/example-client.service" "$units/"
    cp "$root$dropin" "$units/example-client.service.d/src-vipa.conf"
    verify() { in_deb_tree systemd-analyze verify --man=no "$@" 2>&1; }
    out=$(verify "$units/example-client.service")
    if [ -z "$out" ]; then ok "systemd-analyze verify: the example unit and drop-in, no complaint"
    else not_ok "systemd-analyze verify: the example unit and drop-in, no complaint" "$out"; fi
    # the control: the same check sees a misspelt key in a drop-in, and a missing program
    sed 's|^Environment=|Enviroment=|' "$root$dropin" > "$units/typo.service.d/src-vipa.conf"
    sed 's|/usr/bin/src_vipa.sh|/usr/bin/no-such-wrapper|' "$units/example-client.service" > "$units/typo.service"
    out=$(verify "$units/typo.service")
    check_output "systemd-analyze verify sees a drop-in's misspelt key and a missing program (control)" \
      bash -c 'grep -q "Unknown key .Enviroment." <<<"$1" && grep -q "no-such-wrapper" <<<"$1"' _ "$out"
  else
    skip "systemd-analyze verify: the example unit and drop-in" "systemd-analyze is not installed"
  fi
  rm -f "$root/etc/src_vipa.conf" && cp examples/src_vipa.conf "$root/etc/src_vipa.conf"
  echo "# changed by the operator" >> "$root/etc/src_vipa.conf"
  check_output "dpkg --remove" dpkg_root -r src-vipa
  check_output "after dpkg --remove only the changed conffile is left" \
    bash -c 'left=$(find "$1" -mindepth 1 -not -path "$1/var*" -not -path "$1/etc" -not -path "$1/etc/src_vipa.conf"); [ -z "$left" ] || { echo "$left"; exit 1; }' _ "$root"
  check_output "dpkg --purge" dpkg_root --purge src-vipa
  check_output "after dpkg --purge nothing is left" \
    bash -c 'left=$(find "$1" -mindepth 1 -not -path "$1/var*"); [ -z "$left" ] || { echo "$left"; exit 1; }' _ "$root"
fi

# --- reproducible builds -----------------------------------------------------------------
# Nothing is set here: the Makefile takes every date from the last commit.
section "reproducible builds"
sums() { sha256sum "$@" 2>&1 | sed "s|$top/||"; }
products=("$dist_file" "$srpm_file" "$rpm_file" "$deb_file" "$dbg_file" build/src_vipa.so)
before=$(sums "${products[@]}")
rm -rf build/shim build/src_vipa.so "${products[@]}"
if out=$(make_q native dist srpm rpm deb 2>&1); then
  after=$(sums "${products[@]}")
  for i in "${!products[@]}"; do
    f=${products[$i]}
    expect_eq "built again from scratch: $f is the same" "$(sed -n "$((i + 1))p" <<<"$before")" \
      "$(sed -n "$((i + 1))p" <<<"$after")"
  done
else
  not_ok "built again from scratch" "$out"
fi
# the library from the release tarball, unpacked in another directory, without npm
mkdir -p "$work/elsewhere" && tar -C "$work/elsewhere" -xzf "$dist_file"
if out=$(env -u MAKEFLAGS -u MAKELEVEL "$MAKE" --no-print-directory -C "$work/elsewhere/src-vipa-$version" native 2>&1); then
  expect_eq "src_vipa.so built from the tarball in another directory is the same" \
    "$(sha256sum < build/src_vipa.so)" "$(sha256sum < "$work/elsewhere/src-vipa-$version/build/src_vipa.so")"
else
  not_ok "make native in the unpacked tarball" "$out"
fi

# ---- npm package: the tarball holds the engine, the CLI and the license ----------------
section "npm package"
npm_dir="$work/npm"
mkdir -p "$npm_dir/app"
if tarball=$(cd "$top" && npm pack --silent --pack-destination "$npm_dir" 2>/dev/null | tail -n 1) &&
   [ -f "$npm_dir/$tarball" ]; then
  ok "npm pack builds $tarball"
  contents=$(tar -tzf "$npm_dir/$tarball")
  for f in package/build/engine.wasm package/dist/cli.js package/dist/index.d.ts package/LICENSE; do
    if grep -qx "$f" <<< "$contents"; then ok "npm pack contains ${f#package/}"; else not_ok "npm pack contains ${f#package/}" "$contents"; fi
  done
  printf '10.0.0.0/8 lrr 127.0.0.2 127.0.0.3\n' > "$npm_dir/app/test.conf"
  if (cd "$npm_dir/app" && npm init -y >/dev/null 2>&1 &&
      npm install --offline --no-audit --no-fund "$npm_dir/$tarball" >/dev/null 2>&1); then
    ok "npm install of the tarball works offline (no runtime dependencies)"
    out=$(cd "$npm_dir/app" && timeout 60 npx --no-install src-vipa explain --config test.conf --json 10.1.2.3 2>&1)
    check_output "the installed src-vipa CLI explains a decision" grep -q '"line":1' <<< "$out"
  else
    not_ok "npm install of the tarball works offline (no runtime dependencies)" ""
  fi
else
  not_ok "npm pack builds a tarball" ""
fi

summary
