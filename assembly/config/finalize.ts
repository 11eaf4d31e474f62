// Phase two of loading: turns pending lines plus the resolver's answers into rules,
// source blocks and lookup tables. Runs once; may allocate. Afterwards nothing allocates.
// Nothing here (nor anything later) reads the input area: host names were copied.
import {
  D_FAMILY_EMPTY, D_MAPPED_ADDRESS, D_NOT_PORTABLE, D_RESOLVE_FAILED, D_SHADOWED, D_SHORT_PREFIX,
  D_TOO_MANY_ADDRESSES, D_TOO_MANY_RULES, P_LC, P_LRR, P_RR, RULE_DEST, SCRATCH, SEV_ERROR,
  SEV_NOTE, SEV_WARNING,
} from "../abi";
import { formatAddress } from "../addr";
import { BIND_COST, fits, growFor, PREFIX_COST, RESERVE, RULE_COST, SOURCE_COST } from "./budget";
import { note, report, reportOmitted, warning, willReport } from "./diag";
import { MAX_ADDRESSES, Name, names } from "./names";
import { itemWord, Pending, pendingAt, pendingCount } from "./parse";
import { BindList, binds4, binds6 } from "../table/binds";
import { maskWord, prefixes4, prefixes6 } from "../table/prefix";
import {
  addRule, addSource, freeze, R_COUNTER, R_LC_LAST, R_DEST, R_FAMILY, R_KIND, R_LINE, R_PERM, R_POLICY,
  R_PORT_HI, R_PORT_LO, R_PREFIX, R_SHADOWED_BY, R_SRC_COUNT, R_SRC_FIRST, rulePtrBuilding,
  reserveRules, sourceCount, sourcePtrBuilding,
} from "../table/rules";
import { below } from "../policy/rng";
import { prepareNotices } from "../policy/notices";

const PORTABLE_SOURCES = 8; // src_vipa 2.x's limit per destination

// What the lines will make, counted before anything is built (see size()).
let builtLines: i32 = 0; // the lines that fit; the others are skipped
let lastMappedLine: u32 = 0;

export function finalizeConfig(): void {
  let anyRr = false;
  const p = new Pending();
  size(p);
  for (let i = 0; i < builtLines; i++) {
    pendingAt(i, p);
    growFor(0);
    if (p.policy == P_RR) anyRr = true;
    warnUnresolvedSources(p);
    if (p.destName >= 0) {
      const name = names[p.destName];
      if (!name.count()) {
        if (willReport(SEV_WARNING)) {
          warning(D_RESOLVE_FAILED, p.line, 1,
            `destination '${name.text}' did not resolve (${name.whyUnresolved()}); the line is skipped: check the name or write the address`);
        }
        continue;
      }
      warnDroppedAnswers(p, name, 1);
      for (let family: u32 = 4; family <= 6; family += 2) {
        if (!name.hasFamily(family)) continue;
        if (family == 4 && p.prefix > 32) {
          if (willReport(SEV_WARNING)) {
            warning(D_FAMILY_EMPTY, p.line, 1,
              `'${name.text}' has IPv4 addresses, but /${p.prefix} is longer than an IPv4 prefix can be; they are skipped: write a separate line with a prefix of 0 to 32`);
          }
          continue;
        }
        const block = buildSources(p, family);
        if (block < 0) {
          if (willReport(SEV_WARNING)) {
            warning(D_FAMILY_EMPTY, p.line, 1,
              `'${name.text}' has IPv${family} addresses but the line has no IPv${family} source; no IPv${family} rule: add an IPv${family} source if you want one`);
          }
          continue;
        }
        if (family == 6 && p.prefix <= 32 && willReport(SEV_WARNING)) {
          warning(D_SHORT_PREFIX, p.line, 1,
            `/${p.prefix} is applied to the IPv6 addresses of '${name.text}' too, which makes each a whole IPv6 network: write a separate IPv6 line with a longer prefix (e.g. /128) if that is not meant`);
        }
        for (let a = 0; a < name.count(); a++) {
          if (name.family(a) != family) continue;
          addDestRule(p, family, name.word(a, 0), name.word(a, 1), name.word(a, 2), name.word(a, 3), block);
        }
      }
    } else if (p.kind == RULE_DEST) {
      const block = buildSources(p, p.destFamily);
      if (block < 0) { noSourcesLeft(p, p.destFamily); continue; }
      addDestRule(p, p.destFamily, p.d0, p.d1, p.d2, p.d3, block);
    } else {
      // .INADDR_ANY: the family comes from the sources
      for (let family: u32 = 4; family <= 6; family += 2) {
        if (!hasSourceOfFamily(p, family)) continue;
        const block = buildSources(p, family);
        if (block >= 0) addBindRule(p, family, block);
      }
      if (!hasSourceOfFamily(p, 4) && !hasSourceOfFamily(p, 6)) noSourcesLeft(p, 0);
    }
  }
  warnShadowedBinds(binds4, 4);
  warnShadowedBinds(binds6, 6);
  if (anyRr) prepareNotices();
  freeze();
  reportOmitted();
}

// Counts the rules and sources each line makes now that its host names are resolved, and
// keeps the lines whose tables fit in the engine's memory (a file of addresses only was
// already held to that when parsed: host names can make many rules of one line). Then
// sizes every table once, so that building them copies nothing.
function size(p: Pending): void {
  let rules: u32 = 0, sources: u32 = 0, dest4: u32 = 0, dest6: u32 = 0, bind4: u32 = 0, bind6: u32 = 0;
  let need: u64 = 0;
  builtLines = pendingCount;
  for (let i = 0; i < pendingCount; i++) {
    pendingAt(i, p);
    let r4: u32 = 0, r6: u32 = 0, s: u32 = 0;
    for (let family: u32 = 4; family <= 6; family += 2) {
      const n = sourcesOf(p, family);
      if (!n) continue;
      let r: u32 = 0;
      if (p.destName >= 0) {
        const name = names[p.destName];
        if (family == 4 && p.prefix > 32) continue;
        for (let a = 0; a < name.count(); a++) if (name.family(a) == family) r++;
      } else if (p.kind != RULE_DEST || p.destFamily == family) {
        r = 1;
      }
      if (!r) continue;
      s += n;
      if (family == 4) r4 = r; else r6 = r;
    }
    const perRule = RULE_COST + (p.kind == RULE_DEST ? PREFIX_COST : BIND_COST);
    const cost = <u64>(r4 + r6) * perRule + <u64>s * SOURCE_COST;
    if (!fits(need + cost, RESERVE / 2)) {
      builtLines = i;
      tooManyRules(p.line, rules, sources, i);
      break;
    }
    need += cost;
    rules += r4 + r6;
    sources += s;
    if (p.kind == RULE_DEST) { dest4 += r4; dest6 += r6; } else { bind4 += r4; bind6 += r6; }
  }
  growFor(need);
  reserveRules(rules, sources);
  prefixes4.reserve(dest4);
  prefixes6.reserve(dest6);
  binds4.reserve(<i32>bind4);
  binds6.reserve(<i32>bind6);
}

function tooManyRules(line: u32, rules: u32, sources: u32, skipped: i32): void {
  const rest = pendingCount - skipped;
  report(SEV_ERROR, D_TOO_MANY_RULES, line, 0,
    `with their host names resolved, the lines before this one make ${rules} rules with ${sources} source addresses, and no more fit in the engine's 256 MiB of memory; this line and the ${rest - 1} rule lines after it are skipped: write fewer host names, or names with fewer addresses, or give each group of programs a smaller file of its own (SRC_VIPA_CONFIG_FILE)`);
}

// The number of sources of `family` the line has after resolving (what buildSources adds).
function sourcesOf(p: Pending, family: u32): u32 {
  let n: u32 = 0;
  for (let s = 0; s < p.srcCount; s++) {
    const item = p.srcFirst + s;
    const f = itemWord(item, 0);
    if (f == family) {
      n++;
    } else if (f == 0) {
      const name = names[itemWord(item, 1)];
      for (let a = 0; a < name.count(); a++) if (name.family(a) == family) n++;
    }
  }
  return n;
}

function noSourcesLeft(p: Pending, family: u32): void {
  if (!willReport(SEV_WARNING)) return;
  const which = family ? `IPv${family} ` : "";
  warning(D_FAMILY_EMPTY, p.line, 0,
    `no ${which}source address is left after resolving host names; the line is skipped: fix the names or write addresses`);
}

function warnUnresolvedSources(p: Pending): void {
  for (let s = 0; s < p.srcCount; s++) {
    const item = p.srcFirst + s;
    if (itemWord(item, 0) != 0) continue;
    const name = names[itemWord(item, 1)];
    if (name.count()) {
      warnDroppedAnswers(p, name, itemWord(item, 5));
      continue;
    }
    if (willReport(SEV_WARNING)) {
      warning(D_RESOLVE_FAILED, p.line, itemWord(item, 5),
        `source '${name.text}' did not resolve (${name.whyUnresolved()}); it is skipped: check the name or write the address`);
    }
  }
}

// A name that gave more addresses than the engine keeps: once, where it is first used.
function warnDroppedAnswers(p: Pending, name: Name, column: u32): void {
  if (!name.dropped) return;
  if (willReport(SEV_WARNING)) {
    warning(D_TOO_MANY_ADDRESSES, p.line, column,
      `'${name.text}' resolved to more addresses than the engine keeps for one name (${MAX_ADDRESSES}); ${name.dropped} more are ignored: use a name with fewer addresses, or write the addresses`);
  }
  name.dropped = 0;
}

function hasSourceOfFamily(p: Pending, family: u32): bool {
  for (let s = 0; s < p.srcCount; s++) {
    const item = p.srcFirst + s;
    const f = itemWord(item, 0);
    if (f == family) return true;
    if (f == 0 && names[itemWord(item, 1)].hasFamily(family)) return true;
  }
  return false;
}

// Copies the line's sources of `family` into the pool, in the order written (a host name
// contributes its addresses in the resolver's order). Returns the block's first index, or
// -1 if the family has no source. The block's size is left in `lastBlockCount` for the
// rules built on it next (all addresses of a host-name destination share one block).
let lastBlockCount: u32 = 0;

function buildSources(p: Pending, family: u32): i32 {
  const first = sourceCount();
  let n: u32 = 0;
  let mappedColumn: u32 = 0;
  for (let s = 0; s < p.srcCount; s++) {
    const item = p.srcFirst + s;
    const f = itemWord(item, 0);
    if (f == family) {
      putWords(family, itemWord(item, 1), itemWord(item, 2), itemWord(item, 3), itemWord(item, 4));
      if (!mappedColumn && isMapped(family, itemWord(item, 1), itemWord(item, 2), itemWord(item, 3))) mappedColumn = itemWord(item, 5);
      addSource(SCRATCH);
      n++;
    } else if (f == 0) {
      const name = names[itemWord(item, 1)];
      for (let a = 0; a < name.count(); a++) {
        if (name.family(a) != family) continue;
        putWords(family, name.word(a, 0), name.word(a, 1), name.word(a, 2), name.word(a, 3));
        if (!mappedColumn && isMapped(family, name.word(a, 0), name.word(a, 1), name.word(a, 2))) mappedColumn = itemWord(item, 5);
        addSource(SCRATCH);
        n++;
      }
    }
  }
  if (!n) return -1;
  lastBlockCount = n;
  if (n > <u32>PORTABLE_SOURCES && willReport(SEV_NOTE)) {
    note(D_NOT_PORTABLE, p.line, 0,
      `${n} IPv${family} sources: src_vipa 2.x accepts at most ${PORTABLE_SOURCES} per destination (not portable to it)`);
  }
  if (mappedColumn) warnMappedSource(p, first, n, mappedColumn);
  return <i32>first;
}

// ::ffff:a.b.c.d (words big-endian)
@inline function isMapped(family: u32, a0: u32, a1: u32, a2: u32): bool {
  return family == 6 && a0 == 0 && a1 == 0 && a2 == 0xFFFF;
}

// An IPv6 rule with an IPv4-mapped source: a socket bound to ::ffff:a.b.c.d can reach IPv4
// only (IPv6 destinations then fail with EAFNOSUPPORT). Not said for a rule that itself
// can never match (its destination is mapped: addDestRule says that).
function warnMappedSource(p: Pending, first: u32, n: u32, column: u32): void {
  if (p.kind == RULE_DEST && p.destName < 0 && isMapped(p.destFamily, p.d0, p.d1, p.d2) && p.prefix >= 96) return;
  if (!willReport(SEV_WARNING)) return;
  let shown = "";
  for (let i: u32 = 0; i < n; i++) {
    const src = sourcePtrBuilding(first + i);
    if (load<u64>(src) == 0 && load<u32>(src + 8) == 0xFFFF0000) {
      shown = String.UTF8.decodeUnsafe(SCRATCH + 64, formatAddress(6, src, SCRATCH + 64));
      break;
    }
  }
  const effect = p.kind == RULE_DEST
    ? "an IPv6 socket bound to it can reach IPv4 destinations only, so this IPv6 rule would make its connections fail (EAFNOSUPPORT): write an IPv6 source (IPv4-mapped destinations already take their sources from the IPv4 rules)"
    : "binding an IPv6 socket to it takes IPv6 away from the socket (its IPv6 sends fail with EAFNOSUPPORT): write an IPv6 source";
  warning(D_MAPPED_ADDRESS, p.line, column, `source ${shown} is an IPv4-mapped address: ${effect}`);
}

function putWords(family: u32, a0: u32, a1: u32, a2: u32, a3: u32): void {
  store<u32>(SCRATCH, bswap<u32>(a0));
  store<u32>(SCRATCH + 4, family == 4 ? 0 : bswap<u32>(a1));
  store<u32>(SCRATCH + 8, family == 4 ? 0 : bswap<u32>(a2));
  store<u32>(SCRATCH + 12, family == 4 ? 0 : bswap<u32>(a3));
}

function newRule(p: Pending, family: u32, block: i32): u32 {
  const id = addRule();
  const r = rulePtrBuilding(id);
  store<u32>(r + R_LINE, p.line);
  store<u32>(r + R_KIND, p.kind);
  store<u32>(r + R_FAMILY, family);
  store<u32>(r + R_POLICY, p.policy);
  store<u32>(r + R_PERM, p.perm);
  store<u32>(r + R_PREFIX, p.prefix);
  store<u32>(r + R_PORT_LO, p.portLo);
  store<u32>(r + R_PORT_HI, p.portHi);
  store<u32>(r + R_SRC_COUNT, lastBlockCount);
  store<u32>(r + R_SRC_FIRST, <u32>block);
  // per-process round robins start at a random place, so that processes spread out
  if ((p.policy == P_LRR || p.policy == P_RR) && lastBlockCount > 1) {
    store<u32>(r + R_COUNTER, below(lastBlockCount));
  }
  // lc breaks ties starting after the last pick: the first socket gets the first source
  if (p.policy == P_LC) store<u32>(r + R_LC_LAST, lastBlockCount - 1);
  return id;
}

function addDestRule(p: Pending, family: u32, a0: u32, a1: u32, a2: u32, a3: u32, block: i32): void {
  const len = <i32>p.prefix;
  const k0 = a0 & maskWord(len, 0);
  const k1 = family == 4 ? 0 : a1 & maskWord(len, 1);
  const k2 = family == 4 ? 0 : a2 & maskWord(len, 2);
  const k3 = family == 4 ? 0 : a3 & maskWord(len, 3);
  const table = family == 4 ? prefixes4 : prefixes6;
  const before = table.find(k0, k1, k2, k3, <u32>len);
  // two addresses of one host name in the same network: one rule is enough
  if (before && load<u32>(rulePtrBuilding(before - 1) + R_LINE) == p.line) return;
  const id = newRule(p, family, block);
  const r = rulePtrBuilding(id);
  store<u32>(r + R_DEST, bswap<u32>(k0));
  store<u32>(r + R_DEST + 4, bswap<u32>(k1));
  store<u32>(r + R_DEST + 8, bswap<u32>(k2));
  store<u32>(r + R_DEST + 12, bswap<u32>(k3));
  table.insert(k0, k1, k2, k3, <u32>len, id);
  if (len >= 96 && isMapped(family, k0, k1, k2)) warnMappedDestination(p, r, len);
  if (before) {
    const old = rulePtrBuilding(before - 1);
    store<u32>(old + R_SHADOWED_BY, p.line);
    if (willReport(SEV_WARNING)) {
      const shown = formatAddress(family, r + R_DEST, SCRATCH + 64);
      warning(D_SHADOWED, load<u32>(old + R_LINE), 0,
        `${String.UTF8.decodeUnsafe(SCRATCH + 64, shown)}/${len} is given again on line ${p.line}, which wins: remove one of the two lines`);
    }
  }
}

// An IPv6 destination inside ::ffff:0:0/96 never matches: a socket connecting to
// ::ffff:a.b.c.d is matched against the IPv4 rules (docs/abi.md). Once per line.
function warnMappedDestination(p: Pending, r: usize, len: i32): void {
  if (lastMappedLine == p.line || !willReport(SEV_WARNING)) return;
  lastMappedLine = p.line;
  const network = String.UTF8.decodeUnsafe(SCRATCH + 64, formatAddress(6, r + R_DEST, SCRATCH + 64));
  const v4 = String.UTF8.decodeUnsafe(SCRATCH + 128, formatAddress(4, r + R_DEST + 12, SCRATCH + 128));
  const what = p.destName >= 0 ? `'${names[p.destName].text}' resolves to ${network}, an IPv4-mapped address` : `${network}/${len} is an IPv4-mapped destination`;
  warning(D_MAPPED_ADDRESS, p.line, 1,
    `${what}: sockets connecting to ::ffff:a.b.c.d are matched against the IPv4 rules, so this IPv6 rule never matches: write the IPv4 form, ${v4}/${len - 96}`);
}

function addBindRule(p: Pending, family: u32, block: i32): void {
  const id = newRule(p, family, block);
  if (family == 4) binds4.add(id);
  else binds6.add(id);
}

// `.INADDR_ANY` statements that never apply: later ones hold every one of their ports.
function warnShadowedBinds(list: BindList, family: u32): void {
  const shadowed = list.shadowed();
  for (let i = 0; i < shadowed.length; i++) {
    if (!willReport(SEV_WARNING)) continue;
    const r = rulePtrBuilding(unchecked(shadowed[i]));
    const lo = load<u32>(r + R_PORT_LO), hi = load<u32>(r + R_PORT_HI);
    const ports = lo == hi ? `port ${lo}` : `ports ${lo}-${hi}`;
    warning(D_SHADOWED, load<u32>(r + R_LINE), 0,
      `this .INADDR_ANY statement never applies to IPv${family} sockets: later IPv${family} statements cover its ${ports}, and the last statement that covers a port wins: move it below them, or remove it`);
  }
}
