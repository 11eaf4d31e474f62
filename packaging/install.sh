#!/usr/bin/env bash
# Installs, uninstalls or lists the files of packaging/manifest (see its header).
#
#   packaging/install.sh install PART...     copy the files (make install-files)
#   packaging/install.sh uninstall PART...   remove them (make uninstall)
#   packaging/install.sh files PART...       an rpm %files list of them (the spec)
#
# The directories come from the environment, as mk/package.mk exports them: DESTDIR,
# LIBDIR, BINDIR, MANDIR, DOCDIR, LICENSEDIR, NODEDIR, SYSCONFDIR, INCLUDEDIR, BASHCOMPDIR,
# PKGCONFIGDIR; VERSION; NODE (optional) is the interpreter named in installed Node
# scripts. INSTALL_RECORD (a path below DESTDIR, or
# empty for none) is where `install` notes the directories it created, so that
# `uninstall` removes exactly those once they are empty; package builds set it empty (the
# package manager owns directories). Runs from the top of the source tree.
set -euo pipefail

action=${1:-}
shift || true
[ $# -gt 0 ] || { echo "usage: $0 install|uninstall|files PART..." >&2; exit 2; }
DESTDIR=${DESTDIR:-}
VARS=(LIBDIR BINDIR MANDIR DOCDIR LICENSEDIR NODEDIR SYSCONFDIR INCLUDEDIR PKGCONFIGDIR BASHCOMPDIR)
for v in "${VARS[@]}"; do
  [ -n "${!v:-}" ] || { echo "$0: $v is not set (run through make)" >&2; exit 2; }
done

# expand DEST: ${NAME} of the directories above, nothing else
expand() {
  local s=$1 v
  for v in "${VARS[@]}"; do s=${s//\$\{$v\}/${!v}}; done
  case $s in *'${'*) echo "$0: unknown directory in $1" >&2; exit 2 ;; esac
  printf '%s' "$s"
}

# ENTRIES: "kind source dest" of the wanted parts, in manifest order
ENTRIES=()
while read -r part kind src dest; do
  case $part in '' | '#'*) continue ;; esac
  for p in "$@"; do
    [ "$p" = "$part" ] || continue
    [ "$kind" = link ] && src=$(expand "$src")
    ENTRIES+=("$part $kind $src $(expand "$dest")")
  done
done < packaging/manifest

# a part whose sources are not all there: `cli` is skipped (Node parts are optional),
# anything else is an error
missing_part() {
  local part=$1 kind src dest
  for e in "${ENTRIES[@]}"; do
    read -r p kind src dest <<<"$e"
    [ "$p" = "$part" ] && [ "$kind" != link ] && [ ! -e "$src" ] && { echo "$src"; return 0; }
  done
  return 1
}

# mkdir_p DIR: like install -d, noting each directory it creates in the record
CREATED=()
mkdir_p() {
  local d=$1 todo=()
  [ -z "$DESTDIR" ] || install -d "$DESTDIR"
  while [ "$d" != / ] && [ ! -d "$DESTDIR$d" ]; do todo=("$d" "${todo[@]}"); d=$(dirname "$d"); done
  for d in "${todo[@]}"; do install -d -m 0755 "$DESTDIR$d"; CREATED+=("$d"); done
}

do_install() {
  local e part kind src dest skip=" " m
  for part in "$@"; do
    if m=$(missing_part "$part"); then
      if [ "$part" = cli ]; then
        echo "$m is not built: the src-vipa CLI is not installed"; skip="$skip$part "
      else
        echo "install: $m is missing; run make first" >&2; exit 1
      fi
    fi
  done
  for e in "${ENTRIES[@]}"; do
    read -r part kind src dest <<<"$e"
    [[ $skip == *" $part "* ]] && continue
    mkdir_p "$(dirname "$dest")"
    case $kind in
      lib | bin) install -m 0755 "$src" "$DESTDIR$dest" ;;
      script)
        sed -e "s|@LIBDIR@|$LIBDIR|g" ${NODE:+-e "1s|^#!/usr/bin/env node\$|#!$NODE|"} \
          "$src" > "$DESTDIR$dest"
        chmod 0755 "$DESTDIR$dest" ;;
      man | data | license) install -m 0644 "$src" "$DESTDIR$dest" ;;
      template)
        sed -e "s|@LIBDIR@|$LIBDIR|g" -e "s|@INCLUDEDIR@|$INCLUDEDIR|g" -e "s|@VERSION@|${VERSION:?}|g" \
          "$src" > "$DESTDIR$dest"
        chmod 0644 "$DESTDIR$dest" ;;
      config)
        if [ -e "$DESTDIR$dest" ]; then
          echo "keeping the existing $DESTDIR$dest (the example: $src)"
        else
          install -m 0644 "$src" "$DESTDIR$dest"
        fi ;;
      tree)
        rm -rf "$DESTDIR$dest"
        cp -R "$src" "$DESTDIR$dest"
        find "$DESTDIR$dest" \( -name '*.d.ts' -o -name '*.map' \) -delete
        find "$DESTDIR$dest" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} + ;;
      link) ln -sfn "$(realpath -m --relative-to="$(dirname "$dest")" "$src")" "$DESTDIR$dest" ;;
      *) echo "$0: unknown kind $kind" >&2; exit 2 ;;
    esac
    echo "installed $DESTDIR$dest"
  done
  if [ -n "${INSTALL_RECORD:-}" ] && [ ${#CREATED[@]} -gt 0 ]; then
    mkdir_p "$(dirname "$INSTALL_RECORD")"
    { [ -f "$DESTDIR$INSTALL_RECORD" ] && cat "$DESTDIR$INSTALL_RECORD"; printf '%s\n' "${CREATED[@]}"; } |
      sort -u > "$DESTDIR$INSTALL_RECORD.new"
    mv "$DESTDIR$INSTALL_RECORD.new" "$DESTDIR$INSTALL_RECORD"
  fi
}

do_uninstall() {
  local e part kind src dest
  for e in "${ENTRIES[@]}"; do
    read -r part kind src dest <<<"$e"
    case $kind in
      config)
        if [ -e "$DESTDIR$dest" ] && ! cmp -s "$src" "$DESTDIR$dest"; then
          echo "keeping $DESTDIR$dest: it differs from the example"
          continue
        fi ;;
      tree) rm -rf "$DESTDIR$dest"; continue ;;
    esac
    rm -f "$DESTDIR$dest"
  done
  # the directories install created, deepest first, while empty
  if [ -n "${INSTALL_RECORD:-}" ] && [ -f "$DESTDIR$INSTALL_RECORD" ]; then
    local dirs
    dirs=$(sort -r "$DESTDIR$INSTALL_RECORD")
    rm -f "$DESTDIR$INSTALL_RECORD"
    while read -r d; do
      [ -n "$d" ] && rmdir "$DESTDIR$d" 2>/dev/null || true
    done <<<"$dirs"
  fi
}

# rpm %files: every file, with the marks of its kind, and %dir for the project's own
# directories (those below DOCDIR, LICENSEDIR and NODEDIR)
do_files() {
  local e part kind src dest d trees=" "
  for e in "${ENTRIES[@]}"; do
    read -r part kind src dest <<<"$e"
    [[ $trees == *" $(dirname "$dest") "* ]] && continue # listed with its tree
    case $kind in
      tree) trees="$trees$dest "; echo "$dest" ;;
      man) echo "$dest*" ;;
      license) echo "%license $dest" ;;
      config) echo "%config(noreplace) $dest" ;;
      *) echo "$dest" ;;
    esac
    d=$(dirname "$dest")
    while case $d/ in "$DOCDIR"/* | "$LICENSEDIR"/* | "$NODEDIR"/*) true ;; *) false ;; esac; do
      echo "%dir $d"; d=$(dirname "$d")
    done
  done | awk '!seen[$0]++'
}

case $action in
  install) do_install "$@" ;;
  uninstall) do_uninstall ;;
  files) do_files ;;
  *) echo "usage: $0 install|uninstall|files PART..." >&2; exit 2 ;;
esac
