#!/usr/bin/env bash
# packaging/deb-strip.sh ROOT DBGROOT: as debhelper's dh_strip does for a deb, every ELF
# file below ROOT is stripped, its debug information kept in
# DBGROOT/usr/lib/debug/.build-id/XX/REST.debug (linked back with .gnu_debuglink);
# shared libraries (*.so, *.so.N) lose their execute bits. Prints the build IDs, one line.
set -euo pipefail
root=$1 dbg=$2
ids=()
while IFS= read -r -d '' f; do
  [ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] || continue
  id=$(readelf -n "$f" | sed -n 's/.*Build ID: //p')
  [ -n "$id" ] || { echo "$0: $f has no build ID (link with --build-id)" >&2; exit 1; }
  out=$dbg/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
  install -d "$(dirname "$out")"
  objcopy --only-keep-debug --compress-debug-sections "$f" "$out"
  chmod 0644 "$out"
  case $f in
    *.so | *.so.*) strip --remove-section=.comment --remove-section=.note --strip-unneeded "$f"
      chmod 0644 "$f" ;;
    *) strip --remove-section=.comment --remove-section=.note "$f" ;;
  esac
  objcopy --add-gnu-debuglink="$out" "$f"
  ids+=("$id")
done < <(find "$root" -type f -print0 | LC_ALL=C sort -z)
echo "${ids[*]}"
