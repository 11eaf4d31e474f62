#!/usr/bin/env bash
# Secure execution (make test-secure): a set-user-ID program under src_vipa.so ignores
# SRC_VIPA_CONFIG_FILE and SRC_VIPA_DEBUG and uses /etc/src_vipa.conf only (docs/shim.md).
#
# This needs the real root user: inside a user namespace (the other suites) the kernel
# does not honour a set-user-ID bit for an unmapped owner, so AT_SECURE would never be set.
# Everything happens in a private mount + network namespace, so the host sees nothing:
#   - glibc preloads a library into a set-user-ID program only by a bare name found in a
#     system library directory, and only if the library file is itself set-user-ID: a
#     set-user-ID copy of build/src_vipa.so is bind-mounted over an existing library file
#     of that directory (libanl.so.1, which the client does not use), for this namespace
#     only;
#   - /etc gets a throw-away overlay, so that /etc/src_vipa.conf can be written;
#   - the client (test/secure/client.c) is copied set-user-ID to `nobody` and run as root:
#     effective uid nobody's, real uid 0, so the kernel sets AT_SECURE.
# The same client without the set-user-ID bit is the control: it must follow
# SRC_VIPA_CONFIG_FILE, which proves the library is loaded by this very set-up.
# Prints TAP (test/tap.sh). Where it cannot run at all (not the real root user, no mount
# namespace, no overlayfs) it says why in a skip-all plan (`1..0 # SKIP why`) and exits 0;
# once set up, every check can fail.
# usage: test/secure/run.sh    (from the repository root, after make shim)
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${SV_BUILD:-$ROOT/build}
PORT=7100

. "$HERE/../tap.sh" # ok, not_ok, expect_eq, section, summary, skip_all
skip_suite() { skip_all "$* (the other suites run unprivileged)"; }

if [ "${SV_SECURE_INSIDE:-}" != 1 ]; then
  # the real root user: uid 0 mapped to uid 0 for the whole range, not root of a user
  # namespace (whose set-user-ID bits for unmapped owners the kernel ignores)
  if [ "$(id -u)" != 0 ] || ! awk '$1 == 0 && $2 == 0 && $3 == 4294967295 { f = 1 } END { exit !f }' \
    /proc/self/uid_map; then
    skip_suite "the secure-execution test needs the real root user (sudo make test-secure)"
  fi
  unshare --mount --net true 2>/dev/null || skip_suite "cannot create a mount + network namespace here"
  exec env SV_SECURE_INSIDE=1 SV_SECURE_OUTER_NS="$(readlink /proc/self/ns/mnt)" \
    timeout -k 5 120 unshare --mount --net --propagation private bash "$0" "$@"
fi
# never on the caller's own mounts: this script bind-mounts over a system library and /etc
NS=$(readlink /proc/self/ns/mnt)
if [ -z "$NS" ] || [ -z "${SV_SECURE_OUTER_NS:-}" ] || [ "$NS" = "$SV_SECURE_OUTER_NS" ]; then
  echo "test/secure/run.sh: not inside the mount namespace it creates itself: refusing" >&2
  exit 2
fi

unset LD_PRELOAD SRC_VIPA_DEBUG SRC_VIPA_CONFIG_FILE
ERR=/dev/null # lib.sh's not_ok shows this file; each run below has its own
# shellcheck source=../e2e/lib.sh
. "$HERE/../e2e/lib.sh" # ok, not_ok, expect_eq, section, summary
fatal() { not_ok "set-up: $*"; summary; exit 1; }

# A tmpfs (never mounted nosuid here) holds the set-user-ID files; it vanishes with the
# namespace.
T=$(mktemp -d /tmp/sv-secure.XXXXXX) || fatal "mktemp"
STAND_IN=
trap 'umount -l /etc 2>/dev/null; [ -z "$STAND_IN" ] || umount -l "$STAND_IN" 2>/dev/null
  umount -l "$T" 2>/dev/null; rmdir "$T" 2>/dev/null' EXIT
mount -t tmpfs -o mode=0755 sv-secure "$T" || fatal "cannot mount a tmpfs on $T"
ip link set lo up || fatal "cannot bring up lo"

# the system library directory: where this system's libc lives
LIBC=$(ldd /bin/true | awk '$1 ~ /^libc\.so/ { print $3 }')
LIBDIR=$(dirname "${LIBC:-/nonexistent/x}")
STAND_IN=$LIBDIR/libanl.so.1
[ -f "$STAND_IN" ] || fatal "no $STAND_IN to stand in for the library (glibc without libanl?)"

install -m 4755 "$BUILD/src_vipa.so" "$T/src_vipa.so" || fatal "copy src_vipa.so"
mount --bind "$T/src_vipa.so" "$STAND_IN" || fatal "bind mount over $STAND_IN"
cc -O2 -o "$T/client" "$HERE/client.c" || fatal "cannot compile client.c"
NOBODY=$(id -u nobody) || fatal "no user nobody"
install -m 4755 -o nobody "$T/client" "$T/client-setuid" || fatal "set-user-ID copy of the client"

mkdir "$T/upper" "$T/work"
mount -t overlay sv-secure-etc -o "lowerdir=/etc,upperdir=$T/upper,workdir=$T/work" /etc ||
  skip_suite "cannot put an overlay on /etc (no overlayfs?)"
echo "127.0.0.1/32 onevipa 127.0.0.88 # the default file" >/etc/src_vipa.conf
echo "127.0.0.1/32 onevipa 127.0.0.77 # named by SRC_VIPA_CONFIG_FILE" >"$T/env.conf"

# a listener that accepts and closes, for a bounded number of connections
timeout 30 python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
open(sys.argv[2], "w").close()
for _ in range(int(sys.argv[3])):
    c, _ = s.accept()
    c.close()
' "$PORT" "$T/ready" 3 &
for _ in $(seq 50); do [ -e "$T/ready" ] && break; sleep 0.1; done
[ -e "$T/ready" ] || fatal "the listener did not start"

run() { # run CLIENT STDERR-FILE: through the stand-in, with both environment variables set
  SRC_VIPA_CONFIG_FILE=$T/env.conf SRC_VIPA_DEBUG=1 LD_PRELOAD=$(basename "$STAND_IN") \
    timeout 10 "$1" "$PORT" 2>"$2"
}

section "secure execution ($STAND_IN is src_vipa.so in this namespace)"
expect_eq "control: a plain program follows SRC_VIPA_CONFIG_FILE" "0 127.0.0.77" \
  "$(run "$T/client" "$T/plain.err")"
if grep -q "source 127.0.0.77" "$T/plain.err"; then
  ok "control: SRC_VIPA_DEBUG=1 logs the decision to stderr"
else
  not_ok "control: SRC_VIPA_DEBUG=1 logs the decision to stderr" "stderr: $(head -c 500 "$T/plain.err")"
fi
expect_eq "set-user-ID program: SRC_VIPA_CONFIG_FILE ignored, /etc/src_vipa.conf used" \
  "$NOBODY 127.0.0.88" "$(run "$T/client-setuid" "$T/setuid.err")"
expect_eq "set-user-ID program: SRC_VIPA_DEBUG ignored (nothing on stderr)" "" \
  "$(cat "$T/setuid.err")"
rm /etc/src_vipa.conf
expect_eq "set-user-ID program, no /etc/src_vipa.conf: passes through, works" "$NOBODY 127.0.0.1" \
  "$(run "$T/client-setuid" "$T/setuid2.err")"
wait

summary
