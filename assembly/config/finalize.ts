// Phase two of loading: turns pending lines plus the resolver's answers into rules,
// source blocks and lookup tables. Runs once; may allocate. Afterwards nothing allocates.
import {
  D_FAMILY_EMPTY, D_NOT_PORTABLE, D_RESOLVE_FAILED, D_SHADOWED, D_SHORT_PREFIX, P_LC, P_LRR, P_RR, RULE_DEST, SCRATCH,
} from "../abi";
import { formatAddress } from "../addr";
import { note, warning } from "./diag";
import { names } from "./names";
import { destLineCount, itemWord, Pending, pendingAt, pendingCount } from "./parse";
import { binds4, binds6 } from "../table/binds";
import { maskWord, prefixes4, prefixes6 } from "../table/prefix";
import {
  addRule, addSource, freeze, R_COUNTER, R_LC_LAST, R_DEST, R_FAMILY, R_KIND, R_LINE, R_PERM, R_POLICY,
  R_PORT_HI, R_PORT_LO, R_PREFIX, R_SHADOWED_BY, R_SRC_COUNT, R_SRC_FIRST, rulePtrBuilding,
  reserveRules, sourceCount,
} from "../table/rules";
import { below } from "../policy/rng";
import { prepareNotices } from "../policy/notices";

const PORTABLE_SOURCES = 8; // src_vipa 2.x's limit per destination

export function finalizeConfig(): void {
  let anyRr = false;
  const p = new Pending();
  reserveTables();
  for (let i = 0; i < pendingCount; i++) {
    pendingAt(i, p);
    if (p.policy == P_RR) anyRr = true;
    warnUnresolvedSources(p);
    if (p.destName >= 0) {
      const name = names[p.destName];
      if (!name.count()) {
        warning(D_RESOLVE_FAILED, p.line, 1,
          `destination '${name.text}' did not resolve (${name.whyUnresolved()}); the line is skipped: check the name or write the address`);
        continue;
      }
      for (let family: u32 = 4; family <= 6; family += 2) {
        if (!name.hasFamily(family)) continue;
        if (family == 4 && p.prefix > 32) {
          warning(D_FAMILY_EMPTY, p.line, 1,
            `'${name.text}' has IPv4 addresses, but /${p.prefix} is longer than an IPv4 prefix can be; they are skipped: write a separate line with a prefix of 0 to 32`);
          continue;
        }
        const block = buildSources(p, family);
        if (block < 0) {
          warning(D_FAMILY_EMPTY, p.line, 1,
            `'${name.text}' has IPv${family} addresses but the line has no IPv${family} source; no IPv${family} rule: add an IPv${family} source if you want one`);
          continue;
        }
        if (family == 6 && p.prefix <= 32) {
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
  if (anyRr) prepareNotices();
  freeze();
}

// Sizes the tables for the lines parsed, so that building them copies nothing.
function reserveTables(): void {
  reserveRules(<u32>pendingCount);
  prefixes4.reserve(destLineCount(4));
  prefixes6.reserve(destLineCount(6));
}

function noSourcesLeft(p: Pending, family: u32): void {
  const which = family ? `IPv${family} ` : "";
  warning(D_FAMILY_EMPTY, p.line, 0,
    `no ${which}source address is left after resolving host names; the line is skipped: fix the names or write addresses`);
}

function warnUnresolvedSources(p: Pending): void {
  for (let s = 0; s < p.srcCount; s++) {
    const item = p.srcFirst + s;
    if (itemWord(item, 0) != 0) continue;
    const name = names[itemWord(item, 1)];
    if (name.count()) continue;
    warning(D_RESOLVE_FAILED, p.line, itemWord(item, 5),
      `source '${name.text}' did not resolve (${name.whyUnresolved()}); it is skipped: check the name or write the address`);
  }
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
  for (let s = 0; s < p.srcCount; s++) {
    const item = p.srcFirst + s;
    const f = itemWord(item, 0);
    if (f == family) {
      putWords(family, itemWord(item, 1), itemWord(item, 2), itemWord(item, 3), itemWord(item, 4));
      addSource(SCRATCH);
      n++;
    } else if (f == 0) {
      const name = names[itemWord(item, 1)];
      for (let a = 0; a < name.count(); a++) {
        if (name.family(a) != family) continue;
        putWords(family, name.word(a, 0), name.word(a, 1), name.word(a, 2), name.word(a, 3));
        addSource(SCRATCH);
        n++;
      }
    }
  }
  if (!n) return -1;
  lastBlockCount = n;
  if (n > <u32>PORTABLE_SOURCES) {
    note(D_NOT_PORTABLE, p.line, 0,
      `${n} IPv${family} sources: src_vipa 2.x accepts at most ${PORTABLE_SOURCES} per destination (not portable to it)`);
  }
  return <i32>first;
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
  if (before) {
    const old = rulePtrBuilding(before - 1);
    store<u32>(old + R_SHADOWED_BY, p.line);
    const shown = formatAddress(family, r + R_DEST, SCRATCH + 64);
    warning(D_SHADOWED, load<u32>(old + R_LINE), 0,
      `${String.UTF8.decodeUnsafe(SCRATCH + 64, shown)}/${len} is given again on line ${p.line}, which wins: remove one of the two lines`);
  }
}

function addBindRule(p: Pending, family: u32, block: i32): void {
  const id = newRule(p, family, block);
  if (family == 4) binds4.add(id);
  else binds6.add(id);
}

