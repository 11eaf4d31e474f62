#!/usr/bin/env bash
# The packages' changelogs from CHANGELOG.md (its `## VERSION (YYYY-MM-DD)` sections and
# their `- ` items, continuation lines indented):
#   packaging/changelog.sh rpm "NAME <MAIL>" RELEASE   the body of the spec's %changelog
#   packaging/changelog.sh deb "NAME <MAIL>" RELEASE   debian/changelog (for changelog.Debian.gz)
# RELEASE is the package release appended to each version (1). Dates are the sections'
# own (noon UTC), so the output depends only on CHANGELOG.md.
set -euo pipefail
format=$1 maintainer=$2 release=$3
LC_ALL=C awk -v fmt="$format" -v who="$maintainer" -v rel="$release" '
  # print TEXT after FIRST, wrapped at 78 columns, later lines indented by INDENT spaces
  function wrap(first, text, indent,   w, k, i, line, pad) {
    k = split(text, w, " "); line = first; pad = sprintf("%" indent "s", "")
    for (i = 1; i <= k; i++) {
      if (line != first && line != pad && length(line) + 1 + length(w[i]) > 78) { print line; line = pad }
      line = line (line == first || line == pad ? "" : " ") w[i]
    }
    print line
  }
  function flush() { if (item != "") { items[n++] = item; item = "" } }
  function emit(   i, cmd, d) {
    flush()
    if (ver == "") return
    if (fmt == "rpm") {
      cmd = "date -u -d " date " +\"%a %b %d %Y\""; cmd | getline d; close(cmd)
      printf "%s* %s %s - %s-%s\n", (out++ ? "\n" : ""), d, who, ver, rel
      for (i = 0; i < n; i++) { t = items[i]; gsub(/%/, "%%", t); wrap("- ", t, 2) }
    } else {
      cmd = "date -u -d \"" date " 12:00\" -R"; cmd | getline d; close(cmd)
      printf "%ssrc-vipa (%s-%s) unstable; urgency=medium\n\n", (out++ ? "\n" : ""), ver, rel
      for (i = 0; i < n; i++) wrap("  * ", items[i], 4)
      printf "\n -- %s  %s\n", who, d
    }
    n = 0
  }
  /^## / {
    emit()
    if (!match($0, /^## [0-9][^ ]* \([0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]\)$/)) {
      print "CHANGELOG.md:" NR ": a release heading is ## VERSION (YYYY-MM-DD)" > "/dev/stderr"; exit 2
    }
    ver = $2; date = substr($3, 2, 10); next
  }
  ver != "" && /^- / { flush(); item = substr($0, 3); next }
  ver != "" && /^  +[^ ]/ && item != "" { sub(/^ +/, ""); item = item " " $0; next }
  END { emit() }
' CHANGELOG.md
