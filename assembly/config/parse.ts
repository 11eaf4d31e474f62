// Phase one of loading: reads every line into a pending rule, collecting host names to
// resolve. Errors skip their line; warnings keep it. Runs once; may allocate.
//
// Memory grows with rules, never with lines or bytes: the lines are read twice. The first
// pass reports every problem, interns the host names and counts the valid lines and their
// sources, keeping them only while their whole cost (to the final tables) fits in the
// engine's memory; the second pass, silent, stores exactly those into blocks sized once.
import { formatAddress, parseAddress } from "../addr";
import {
  D_BAD_DEST, D_BAD_MASK, D_BAD_POLICY, D_BAD_PORT, D_BAD_SOURCE, D_HOST_BITS, D_LINE_TOO_LONG,
  D_MIXED_FAMILY, D_NO_SOURCES, D_OLD_FORMAT, D_SYNTAX, D_TOO_MANY_RULES, P_LC, P_LRR, P_ONEVIPA,
  P_RANDOM, P_RR, RULE_BIND, RULE_DEST, SCRATCH, SEV_ERROR, SEV_WARNING,
} from "../abi";
import {
  BIND_COST, fits, growFor, ITEM_COST, PENDING_COST, PREFIX_COST, RULE_COST, SOURCE_COST,
} from "./budget";
import { error, mute, report, warning, willReport } from "./diag";
import { isHostName, Lexer, MAX_LINE, MAX_TOKENS, parseDecimal, tokenIs } from "./lexer";
import { internName } from "./names";
import { quote, QUOTE_MAX } from "./quote";
import { maskWord } from "../table/prefix";
import { Buf } from "../buf";

export class Pending {
  line: u32 = 0;
  kind: u32 = 0;
  policy: u32 = 0;
  perm: u32 = 0;
  prefix: u32 = 0;
  portLo: u32 = 0;
  portHi: u32 = 0;
  destName: i32 = -1;   // a host name to resolve, or -1 for a literal
  destFamily: u32 = 0;  // 4 or 6 for a literal
  d0: u32 = 0; d1: u32 = 0; d2: u32 = 0; d3: u32 = 0; // a name's offset and length until interned
  srcFirst: i32 = 0;    // first source item
  srcCount: i32 = 0;

  reset(line: u32, kind: u32): void {
    this.line = line; this.kind = kind; this.policy = 0; this.perm = 0; this.prefix = 0;
    this.portLo = 0; this.portHi = 0; this.destName = -1; this.destFamily = 0;
    this.d0 = 0; this.d1 = 0; this.d2 = 0; this.d3 = 0; this.srcFirst = 0; this.srcCount = 0;
  }
}

// Valid lines are kept as flat records (the fields of Pending, in order, 4 bytes each), not
// as objects: a 100,000-line configuration then costs a few megabytes, not tens.
const PENDING_SIZE: u32 = offsetof<Pending>();
const lines = new Buf();
export let pendingCount: i32 = 0;

// The first pass counts, the second stores.
let counting = true;
let keptLines: u32 = 0;
let keptItems: u32 = 0;
let committed: u64 = 0; // what the kept lines will cost from here to the final tables
let cutLine: u32 = 0;   // the first valid line that did not fit; it and all after are skipped
let skippedRules: u32 = 0;

function keep(p: Pending): void {
  const offset = lines.grow(PENDING_SIZE); // grow first: it may move the block
  const at = lines.ptr + offset;
  memory.copy(at, changetype<usize>(p), PENDING_SIZE);
  pendingCount++;
}

// Loads pending line `i` into `p`.
export function pendingAt(i: i32, p: Pending): void {
  memory.copy(changetype<usize>(p), lines.ptr + <usize>i * PENDING_SIZE, PENDING_SIZE);
}

// Per source, six words: family (0 = host name), name index or word 0, words 1-3, column.
// A host name's item holds its offset and length in words 2 and 3 until it is interned.
export const SOURCE_ITEM: i32 = 6;
const items = new Buf();

function pushItem(family: u32, w0: u32, w1: u32, w2: u32, w3: u32, column: u32): void {
  const offset = items.grow(SOURCE_ITEM * 4); // grow first: it may move the block
  const at = items.ptr + offset;
  store<u32>(at, family); store<u32>(at + 4, w0); store<u32>(at + 8, w1);
  store<u32>(at + 12, w2); store<u32>(at + 16, w3); store<u32>(at + 20, column);
}

@inline export function itemCount(): i32 {
  return <i32>(items.used / <u32>(SOURCE_ITEM * 4));
}

// Word `w` of source item `i`.
@inline export function itemWord(i: i32, w: i32): u32 {
  return load<u32>(items.ptr + (<usize>(i * SOURCE_ITEM + w) << 2));
}

@inline function setItemWord(i: i32, w: i32, v: u32): void {
  store<u32>(items.ptr + (<usize>(i * SOURCE_ITEM + w) << 2), v);
}

const scratchLine = new Pending();

const WILDCARD_WORD = ".INADDR_ANY";

function ipWord(p: usize, w: i32): u32 {
  return bswap<u32>(load<u32>(p + (w << 2)));
}

export function parseConfig(base: usize, len: u32): void {
  counting = true;
  readLines(base, len);
  if (cutLine) {
    const kept = keptLines;
    report(SEV_ERROR, D_TOO_MANY_RULES, cutLine, 0,
      `the configuration has ${kept + skippedRules} rules, but only the ${kept} before this line fit in the engine's 256 MiB of memory; this line and the ${skippedRules - 1} rules after it are skipped: give each group of programs a smaller file of its own (SRC_VIPA_CONFIG_FILE), or merge rules into wider prefixes (500,000 rules with 1,000,000 sources in all always fit)`);
  }
  counting = false;
  items.used = 0;
  growFor(<u64>keptLines * PENDING_SIZE + <u64>keptItems * (SOURCE_ITEM * 4));
  lines.reserve(keptLines * PENDING_SIZE);
  items.reserve(keptItems * SOURCE_ITEM * 4);
  mute(true);
  readLines(base, len);
  mute(false);
}

function readLines(base: usize, len: u32): void {
  const lx = new Lexer(base, len);
  while (lx.nextLine()) {
    if (!counting && cutLine && lx.line >= cutLine) break; // the rest does not fit
    if (counting) {
      items.used = 0; // the first pass keeps no sources
      growFor(0);
    }
    if (lx.lineLength() > MAX_LINE) {
      if (willReport(SEV_ERROR)) {
        error(D_LINE_TOO_LONG, lx.line, 0,
          `line is ${lx.lineLength()} bytes long; lines may be at most ${MAX_LINE} bytes: split the rule into several lines`);
      }
      continue;
    }
    if (lx.count == 0) continue;
    if (lx.tooManyTokens) {
      if (willReport(SEV_ERROR)) {
        error(D_SYNTAX, lx.line, 0, `too many words on one line: a rule may have at most ${MAX_TOKENS - 3} sources; split the rule into several lines with the same destination`);
      }
      continue;
    }
    if (tokenIs(lx.start(0), lx.len(0), WILDCARD_WORD)) parseBindLine(lx);
    else parseDestLine(lx);
  }
}

// The line is valid: the first pass keeps it if its cost fits, the second stores it.
function accept(p: Pending): void {
  if (counting) {
    if (cutLine) {
      skippedRules++;
      return;
    }
    const need = costOf(p);
    if (!fits(committed + need)) {
      cutLine = p.line;
      skippedRules = 1;
      return;
    }
    committed += need;
    keptLines++;
    keptItems += <u32>p.srcCount;
    internNames(p); // a new name's memory is counted by the next fits()
    return;
  }
  internNames(p);
  keep(p);
}

// What a line costs from parsing to the final tables, at most, with literal sources (a
// host name's addresses are counted when the tables are built, config/finalize.ts).
function costOf(p: Pending): u64 {
  let named = p.destName != -1;
  let four = false, six = false;
  for (let i = 0; i < p.srcCount; i++) {
    const family = itemWord(p.srcFirst + i, 0);
    if (family == 0) named = true;
    if (family == 4) four = true;
    if (family == 6) six = true;
  }
  // a host name or both families may make two rules of one line
  const rules: u64 = named || (four && six) ? 2 : 1;
  const perRule = RULE_COST + (p.kind == RULE_DEST ? PREFIX_COST : BIND_COST);
  return PENDING_COST + rules * perRule + <u64>p.srcCount * (ITEM_COST + SOURCE_COST);
}

function internNames(p: Pending): void {
  if (p.destName == -2) {
    p.destName = internName(<usize>p.d0, <i32>p.d1);
    p.d0 = 0; p.d1 = 0;
  }
  for (let i = 0; i < p.srcCount; i++) {
    const item = p.srcFirst + i;
    if (itemWord(item, 0) == 0) {
      setItemWord(item, 1, <u32>internName(<usize>itemWord(item, 2), <i32>itemWord(item, 3)));
      setItemWord(item, 2, 0); setItemWord(item, 3, 0);
    }
  }
}

function parseDestLine(lx: Lexer): void {
  const t = lx.start(0);
  const tlen = lx.len(0);
  let slash = -1;
  for (let i = tlen - 1; i >= 0; i--) if (load<u8>(t + i) == 0x2f) { slash = i; break; }
  const destLen = slash < 0 ? tlen : slash;
  const p = scratchLine;
  p.reset(lx.line, RULE_DEST);

  if (tokenIs(t, tlen, "INADDR_ANY")) {
    if (willReport(SEV_ERROR)) {
      error(D_BAD_DEST, lx.line, 1, "'INADDR_ANY' needs its leading dot: write .INADDR_ANY PORT[-PORT] POLICY SOURCE...");
    }
    return;
  }
  const family = parseAddress(t, destLen, SCRATCH);
  if (family) {
    p.destFamily = family;
    p.d0 = ipWord(SCRATCH, 0); p.d1 = ipWord(SCRATCH, 1);
    p.d2 = ipWord(SCRATCH, 2); p.d3 = ipWord(SCRATCH, 3);
  } else if (isHostName(t, destLen)) {
    p.destName = -2; // interned once the line is known to be valid and kept
  } else {
    if (willReport(SEV_ERROR)) {
      error(D_BAD_DEST, lx.line, 1,
        `'${quote(t, destLen)}' is neither an IP address nor a host name: write a destination such as 10.0.0.0/8, 2001:db8::/32 or db.example.com/32`);
    }
    return;
  }
  if (slash < 0) {
    if (willReport(SEV_ERROR)) {
      const example = family == 6 ? "/128" : "/32";
      error(D_BAD_MASK, lx.line, 1 + tlen,
        `missing prefix length after '${lx.text(0)}': write ${lx.text(0)}${example} for one host, or NETWORK/BITS for a range`);
    }
    return;
  }
  const maxPrefix = family == 4 ? 32 : 128;
  const prefix = parseDecimal(t + slash + 1, tlen - slash - 1, 3);
  if (prefix < 0 || prefix > maxPrefix) {
    if (willReport(SEV_ERROR)) {
      const shown = quote(t + slash + 1, tlen - slash - 1);
      const what = family == 4 ? "IPv4" : family == 6 ? "IPv6" : "a host name";
      error(D_BAD_MASK, lx.line, <u32>(2 + slash),
        `prefix length '${shown}' is not valid for ${what}: write a number from 0 to ${maxPrefix} after the '/'`);
    }
    return;
  }
  p.prefix = <u32>prefix;
  if (!parsePolicyAndSources(lx, p, 1)) return;

  if (family) {
    const m0 = p.d0 & maskWord(prefix, 0), m1 = p.d1 & maskWord(prefix, 1);
    const m2 = p.d2 & maskWord(prefix, 2), m3 = p.d3 & maskWord(prefix, 3);
    if (family == 4) { // IPv4 lives in word 0; the other words are zero
      if (m0 != p.d0) hostBitsWarning(lx, prefix, 4, m0, 0, 0, 0);
    } else if (m0 != p.d0 || m1 != p.d1 || m2 != p.d2 || m3 != p.d3) {
      hostBitsWarning(lx, prefix, 6, m0, m1, m2, m3);
    }
    p.d0 = m0; p.d1 = m1; p.d2 = m2; p.d3 = m3;
  } else {
    p.d0 = <u32>t; p.d1 = <u32>destLen;
  }
  accept(p);
}

function hostBitsWarning(lx: Lexer, prefix: i32, family: u32, m0: u32, m1: u32, m2: u32, m3: u32): void {
  if (!willReport(SEV_WARNING)) return;
  store<u32>(SCRATCH + 64, bswap<u32>(m0)); store<u32>(SCRATCH + 68, bswap<u32>(m1));
  store<u32>(SCRATCH + 72, bswap<u32>(m2)); store<u32>(SCRATCH + 76, bswap<u32>(m3));
  const len = formatAddress(family, SCRATCH + 64, SCRATCH + 96);
  const net = String.UTF8.decodeUnsafe(SCRATCH + 96, len);
  warning(D_HOST_BITS, lx.line, 1,
    `'${lx.text(0)}' has host bits set beyond /${prefix}; they are ignored: write ${net}/${prefix}`);
}


function parseBindLine(lx: Lexer): void {
  const p = scratchLine;
  p.reset(lx.line, RULE_BIND);
  if (lx.count < 2) {
    if (willReport(SEV_ERROR)) {
      error(D_BAD_PORT, lx.line, 1 + <u32>lx.len(0),
        ".INADDR_ANY needs a port or port range: write .INADDR_ANY 1024-65535 POLICY SOURCE...");
    }
    return;
  }
  const t = lx.start(1);
  const tlen = lx.len(1);
  let dash = -1;
  for (let i = 0; i < tlen; i++) if (load<u8>(t + i) == 0x2d) { dash = i; break; }
  const lo = parseDecimal(t, dash < 0 ? tlen : dash, 5);
  const hi = dash < 0 ? lo : parseDecimal(t + dash + 1, tlen - dash - 1, 5);
  if (lo < 0 || hi < 0 || lo > 65535 || hi > 65535) {
    if (willReport(SEV_ERROR)) {
      error(D_BAD_PORT, lx.line, lx.column(1),
        `'${lx.text(1)}' is not a port or port range: write a port from 0 to 65535, or FIRST-LAST such as 1024-65535`);
    }
    return;
  }
  if (lo > hi) {
    if (willReport(SEV_ERROR)) {
      error(D_BAD_PORT, lx.line, lx.column(1), `port range '${lx.text(1)}' is reversed: write ${hi}-${lo}`);
    }
    return;
  }
  p.portLo = <u32>lo;
  p.portHi = <u32>hi;
  if (!parsePolicyAndSources(lx, p, 2)) return;
  accept(p);
}

// Reads the policy word at token `at` and the sources after it into `p`.
// Returns false (after reporting) if the line must be skipped.
function parsePolicyAndSources(lx: Lexer, p: Pending, at: i32): bool {
  if (lx.count <= at) {
    if (willReport(SEV_ERROR)) {
      const example = p.kind == RULE_BIND ? `${lx.text(0)} ${lx.text(1)} onevipa 192.0.2.1` : `${lx.text(0)} onevipa 192.0.2.1`;
      error(D_NO_SOURCES, lx.line, 0,
        `no policy and no source addresses: write e.g. ${example} (policy onevipa, random, lrr, rr:600 or lc)`);
    }
    return false;
  }
  let firstSource = at + 1;
  const w = lx.start(at);
  const wlen = lx.len(at);
  if (parseAddress(w, wlen, SCRATCH)) {
    // src_vipa 1.x: DEST/MASK SRC, without a policy
    p.policy = P_ONEVIPA;
    firstSource = at;
    if (willReport(SEV_WARNING)) {
      warning(D_OLD_FORMAT, lx.line, lx.column(at),
        `src_vipa 1.x form without a policy: read as onevipa; write '${lx.text(0)}${at == 2 ? " " + lx.text(1) : ""} onevipa ${lineText(lx, at)}'`);
    }
  } else {
    parsePolicy(lx, at, p);
  }
  if (lx.count <= firstSource) {
    if (willReport(SEV_ERROR)) {
      error(D_NO_SOURCES, lx.line, 0,
        `no source addresses after the policy: write at least one, e.g. ${lx.text(0)}${at == 2 ? " " + lx.text(1) : ""} ${lx.text(at)} 192.0.2.1`);
    }
    return false;
  }
  let literalFamily: u32 = 0;
  let mixedAt: i32 = -1;
  if (p.kind == RULE_DEST) literalFamily = p.destFamily;
  p.srcFirst = itemCount();
  const itemsBefore = items.used;
  for (let i = firstSource; i < lx.count; i++) {
    const s = lx.start(i);
    const slen = lx.len(i);
    const family = parseAddress(s, slen, SCRATCH);
    if (family) {
      if (literalFamily && family != literalFamily && mixedAt < 0) mixedAt = i;
      if (!literalFamily) literalFamily = family;
      pushItem(family, ipWord(SCRATCH, 0), ipWord(SCRATCH, 1), ipWord(SCRATCH, 2), ipWord(SCRATCH, 3), lx.column(i));
    } else if (isHostName(s, slen)) {
      // interned once the line is known to be valid and kept
      pushItem(0, 0xFFFFFFFF, <u32>s, <u32>slen, 0, lx.column(i));
    } else {
      items.used = itemsBefore;
      if (willReport(SEV_ERROR)) {
        const hint = slen > 0 && load<u8>(s + slen - 1) == 0x2c ? " (separate sources with blanks, not commas)" : "";
        error(D_BAD_SOURCE, lx.line, lx.column(i),
          `source '${lx.text(i)}' is neither an IP address nor a host name${hint}: write an address such as 192.0.2.1 or 2001:db8::1, or a host name`);
      }
      return false;
    }
  }
  if (mixedAt >= 0) {
    items.used = itemsBefore;
    if (willReport(SEV_ERROR)) {
      error(D_MIXED_FAMILY, lx.line, lx.column(mixedAt),
        `'${lx.text(mixedAt)}' mixes IPv4 and IPv6 in one rule: write one rule per address family`);
    }
    return false;
  }
  p.srcCount = lx.count - firstSource;
  return true;
}

// Tokens `from` onwards, one blank apart, cut short like any quoted text.
function lineText(lx: Lexer, from: i32): string {
  let s = "";
  for (let i = from; i < lx.count; i++) {
    if (s.length > QUOTE_MAX) return s + " ...";
    s += (i > from ? " " : "") + lx.text(i);
  }
  return s;
}

function parsePolicy(lx: Lexer, at: i32, p: Pending): void {
  const w = lx.start(at);
  const wlen = lx.len(at);
  if (tokenIs(w, wlen, "onevipa")) { p.policy = P_ONEVIPA; return; }
  if (tokenIs(w, wlen, "random")) { p.policy = P_RANDOM; return; }
  if (tokenIs(w, wlen, "lrr")) { p.policy = P_LRR; return; }
  if (tokenIs(w, wlen, "lc")) { p.policy = P_LC; return; }
  p.policy = P_LRR; // the manual: a policy that cannot be parsed means round robin
  if (wlen >= 2 && tokenIs(w, 2, "rr") && (wlen == 2 || load<u8>(w + 2) == 0x3a)) {
    if (wlen == 6) {
      let perm: u32 = 0;
      let ok = true;
      for (let i = 3; i < 6; i++) {
        const d = <u32>load<u8>(w + i) - 0x30;
        if (d > 7) ok = false;
        perm = (perm << 3) | d;
      }
      if (ok) { p.policy = P_RR; p.perm = perm; return; }
    }
    if (willReport(SEV_WARNING)) {
      warning(D_BAD_POLICY, lx.line, lx.column(at),
        `'${lx.text(at)}': rr needs exactly three octal permission digits for its shared counter; using round robin per process (lrr): write e.g. rr:600`);
    }
    return;
  }
  if (willReport(SEV_WARNING)) {
    warning(D_BAD_POLICY, lx.line, lx.column(at),
      `unknown policy '${lx.text(at)}'; using round robin per process (lrr): write onevipa, random, lrr, rr:600 or lc`);
  }
}
