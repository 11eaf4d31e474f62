#!/usr/bin/env bash
# test-npm: the npm package as a user gets it.
#  - `npm pack` in a fresh copy of the sources (no build/, no dist/) builds what it ships
#    (prepack), and fails loudly when the build fails;
#  - the tarball holds LICENSE, README.md, the engine, the CLI, the types and docs/node.md,
#    and its source maps point at files it holds;
#  - installed into a scratch project, every export is used from an ES module, from
#    CommonJS and from TypeScript (tsc --noEmit --strict, ESM and CommonJS files), and an
#    http.get, a fetch and a net connection through agent(), dispatcher() and connect()
#    leave from the sources of the rules (a local server records them);
#  - the installed CLI runs.
# Prints TAP ("ok N - ...", the plan at the end) and "N passed, M failed".
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"

n=0
passed=0
failed=0
ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n - $1"; }
not_ok() {
  n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
  [ -n "${2:-}" ] && printf '%s\n' "$2" | tail -n 40 | sed 's/^/#   /'
}
finish() { echo "1..$n"; echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; }

work=$(mktemp -d "${TMPDIR:-/tmp}/src-vipa-npm.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A fresh copy of the sources: every file git knows or would add, none of build/ or dist/.
# node_modules is shared with this checkout (prepack's `make` would otherwise run npm ci).
fresh() {
  mkdir -p "$1"
  git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    [ -e "$f" ] && printf '%s\0' "$f"
  done | cpio -0 -pdm --quiet "$1" 2>/dev/null
  ln -s "$top/node_modules" "$1/node_modules"
}

# --- npm pack from fresh sources ----------------------------------------------------------
src=$work/src
fresh "$src"
if [ -e "$src/build" ] || [ -e "$src/dist" ]; then
  not_ok "the fresh copy has no build/ and no dist/"
fi
tarball=
if out=$(cd "$src" && timeout 600 npm pack --pack-destination "$work" 2>&1); then
  tarball=$work/$(printf '%s\n' "$out" | tail -n 1)
fi
if [ -n "$tarball" ] && [ -f "$tarball" ]; then ok "npm pack on fresh sources builds the engine and dist/ (prepack), then packs"
else not_ok "npm pack on fresh sources builds the engine and dist/ (prepack), then packs" "$out"; fi

broken=$work/broken
fresh "$broken"
printf 'this is not AssemblyScript\n' >> "$broken/assembly/index.ts"
if out=$(cd "$broken" && timeout 600 npm pack --pack-destination "$work/none" 2>&1); then
  not_ok "npm pack fails when the build fails" "$out"
elif grep -q "prepack" <<< "$out" && grep -qi "error" <<< "$out" && [ ! -e "$work/none" ]; then
  ok "npm pack fails loudly when the build fails (no tarball)"
else
  not_ok "npm pack fails loudly when the build fails (no tarball)" "$out"
fi
rm -rf "$broken"

[ -n "$tarball" ] && [ -f "$tarball" ] || { finish; exit 1; }

# --- what the tarball holds --------------------------------------------------------------
contents=$(tar -tzf "$tarball" | sed 's|^package/||')
for f in LICENSE README.md package.json build/engine.wasm dist/cli.js dist/index.js dist/index.d.ts \
         dist/agent.d.ts docs/node.md docs/policy-tests.md schema/policy-test.schema.json; do
  if grep -qx "$f" <<< "$contents"; then ok "the tarball holds $f"; else not_ok "the tarball holds $f" "$contents"; fi
done
unpacked=$work/unpacked
mkdir -p "$unpacked" && tar -xzf "$tarball" -C "$unpacked"
maps_point_at_shipped_files() {
  local map missing=0 source
  for map in "$unpacked"/package/dist/*.js.map "$unpacked"/package/dist/*/*.js.map; do
    [ -e "$map" ] || continue
    while IFS= read -r source; do
      [ -e "$(dirname "$map")/$source" ] || { echo "$map: $source is not in the package"; missing=1; }
    done < <(node -e 'for (const s of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).sources) console.log(s)' "$map")
  done
  return $missing
}
if out=$(maps_point_at_shipped_files 2>&1); then ok "every source map points at files in the tarball"
else not_ok "every source map points at files in the tarball" "$out"; fi
fields=$(node -p 'const p = require(process.argv[1]); [p.repository && p.repository.url, p.homepage, p.bugs && p.bugs.url].every(Boolean)' "$unpacked/package/package.json")
if [ "$fields" = true ]; then ok "package.json has repository, homepage and bugs"; else not_ok "package.json has repository, homepage and bugs"; fi

# --- a scratch project that installs the tarball -----------------------------------------
app=$work/app
mkdir -p "$app"
cp test/npm/consumer/* "$app/"
if out=$(cd "$app" && npm init -y >/dev/null 2>&1 &&
         timeout 300 npm install --prefer-offline --no-audit --no-fund "$tarball" 2>&1); then
  ok "npm install of the tarball into a scratch project"
else
  not_ok "npm install of the tarball into a scratch project" "$out"
  finish; exit 1
fi

# the exports the built package has (each consumer must find exactly these)
exports=$(cd "$app" && node --input-type=module -e "console.log(JSON.stringify(Object.keys(await import('src-vipa'))))")
run_consumer() { # NAME FILE
  local out
  if out=$(cd "$app" && timeout 60 node "$2" "$exports" 2>&1) && [[ $out =~ ^$1\ 127\.0\.0\.1[123]\ 127\.0\.0\.1[123]\ 127\.0\.0\.1[123]$ ]]; then
    ok "$1: every export used; http.get, fetch and connect left from the rule's sources (${out#* })"
  else
    not_ok "$1: every export used; http.get, fetch and connect left from the rule's sources" "$out"
  fi
}
run_consumer esm app.mjs
run_consumer cjs app.cjs

# TypeScript: the project's compiler, the scratch project's installed package and types
tsc=$top/node_modules/typescript/bin/tsc
if out=$(cd "$app" && ln -sfn "$top/node_modules/@types" node_modules/@types &&
         timeout 120 node "$tsc" -p tsconfig.json 2>&1); then
  ok "TypeScript: every export with its types, ESM and CommonJS files (tsc --noEmit, strict)"
else
  not_ok "TypeScript: every export with its types, ESM and CommonJS files (tsc --noEmit, strict)" "$out"
fi

# --- the installed CLI ------------------------------------------------------------------
printf '10.0.0.0/8 lrr 127.0.0.2 127.0.0.3\n' > "$app/cli.conf"
out=$(cd "$app" && timeout 60 npx --no-install src-vipa explain --config cli.conf --json 10.1.2.3 2>&1)
if grep -q '"line":1' <<< "$out"; then ok "the installed src-vipa CLI explains a decision"
else not_ok "the installed src-vipa CLI explains a decision" "$out"; fi
out=$(cd "$app" && timeout 60 npx --no-install src-vipa --version 2>&1)
version=$(node -p "require('./package.json').version")
if [ "$out" = "src-vipa $version" ]; then ok "the installed CLI says src-vipa $version"
else not_ok "the installed CLI says src-vipa $version" "$out"; fi

finish
