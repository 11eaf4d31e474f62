#!/bin/sh
# src_vipa.sh PROGRAM [ARGUMENT...]: runs PROGRAM with Source VIPA: src_vipa.so is put in
# front of LD_PRELOAD (an existing value is kept behind it) and PROGRAM replaces this shell.
#
# Where src_vipa.so is found: `libdir` below holds the placeholder LIBDIR between two
# at-signs, which `make install` replaces with the installed library directory
# (mk/package.mk runs sed on this file). Left as it is (a checkout): ../build/src_vipa.so
# relative to this script, as built by `make`.
# Configuration: SRC_VIPA_CONFIG_FILE (default /etc/src_vipa.conf); SRC_VIPA_DEBUG=1 also
# logs to stderr. setuid/setgid programs ignore LD_PRELOAD unless run by root, and then
# ignore SRC_VIPA_CONFIG_FILE (see docs/shim.md).

if [ $# -eq 0 ]; then
  echo "usage: src_vipa.sh PROGRAM [ARGUMENT...]" >&2
  echo "  runs PROGRAM with source addresses chosen by \${SRC_VIPA_CONFIG_FILE:-/etc/src_vipa.conf}" >&2
  exit 2
fi

libdir='@LIBDIR@'
case $libdir in
  @*@) lib=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)/build/src_vipa.so ;;
  *) lib=$libdir/src_vipa.so ;;
esac
if [ ! -f "$lib" ]; then
  echo "src_vipa.sh: $lib not found (in a checkout, run make first)" >&2
  exit 127
fi
LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}"
export LD_PRELOAD
exec "$@"
