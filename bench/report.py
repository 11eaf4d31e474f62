"""docs/benchmarks.md from the results of bench/run.py.

    python3 bench/report.py            rewrites docs/benchmarks.md from bench/results.json
    python3 bench/report.py --record   (make bench-record) first copies the last run's
                                       build/bench/results.json to bench/results.json

The analysis of the misses (why, and what to change) is bench/analysis.md, written by hand
from the profiles below and included as it is."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def fmt(x, digits=0):
    if x is None:
        return "n/a"
    if isinstance(x, str):
        return x
    if digits == 0:
        return format(int(round(x)), ",")
    return format(x, ",.%df" % digits)


def verdict(ok):
    if ok is None:
        return "not measured"
    return "**met**" if ok else "**MISSED**"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out) + "\n"


def ir_of(R, lc, name):
    try:
        return R["instructions"]["results"][lc][name]["ir"]
    except KeyError:
        return None


def added(R, lc, name, base="none"):
    a, b = ir_of(R, lc, name), ir_of(R, lc, base)
    return None if a is None or b is None else a - b


def targets(R):
    rows = []
    shim = not R.get("meta", {}).get("shim_missing", True)

    def cmp(value, limit, digits=0, unit=""):
        if value is None:
            return "n/a", None
        return fmt(value, digits) + unit, value <= limit

    # 1. instructions
    for lc in ("udp4", "tcp4"):
        v, ok = cmp(added(R, lc, "shim:onevipa:10:mixed"), 150)
        rows.append(("≤ 150 instructions added per lifecycle, 10 rules (onevipa, %s)" % lc,
                     v, verdict(ok)))
    worst = None
    for lc in ("udp4", "tcp4"):
        for p in ("onevipa", "random", "lrr", "rr600", "lc"):
            a = added(R, lc, "shim:%s:10:mixed" % p)
            if a is not None and (worst is None or a > worst[0]):
                worst = (a, "%s %s" % (lc, p))
    if worst:
        rows.append(("≤ 150 added, 10 rules, the dearest policy (%s)" % worst[1],
                     fmt(worst[0]), verdict(worst[0] <= 150)))
    for lc in ("udp4", "tcp4"):
        for m in ("ipv4", "mixed"):
            v, ok = cmp(added(R, lc, "shim:onevipa:100000:%s" % m), 300)
            rows.append(("≤ 300 added per lifecycle, 100,000 rules (%s, %s)" % (m, lc), v,
                         verdict(ok)))
    sel = R.get("select", {}).get("native_ir", {})
    for k in ("10:mixed", "100000:mixed"):
        for d in ("hit4", "hit6"):
            v, ok = cmp(sel.get(k, {}).get(d), 100)
            rows.append(("engine decision ≤ 100 instructions (%s rules, %s)" % (
                k.replace(":", " "), d), v, verdict(ok)))
    # 2. wall clock
    for lc, w in R.get("wallclock", {}).items():
        for name, v in w["variants"].items():
            if not name.startswith("shim"):
                continue
            r = v["ratio_to_floor_median"]
            rows.append(("wall-clock ≤ 1.05 × floor (%s, %s; floor = %s)" % (lc, name[5:],
                                                                              w["floor"]),
                         "%.3f (quartiles %.3f–%.3f)" % (r, v.get("ratio_to_floor_p25", 0),
                                                         v.get("ratio_to_floor_p75", 0)),
                         verdict(r <= 1.05)))
            c = v.get("cpu_ratio_median")
            if c is not None:
                rows.append(("… the same in CPU time (user + system of the process)", "%.3f" % c,
                             verdict(c <= 1.05)))
    # 3. start-up
    st = R.get("startup", {}).get("variants", {})
    for k in ("shim:10", "shim:100000"):
        if k in st:
            r = st[k]["ratio_median"]
            rows.append(("/bin/true start-up ratio ≤ 1.02 (%s rules)" % k[5:],
                         "%.3f (p10 %.3f, p90 %.3f)" % (r, st[k]["ratio_p10"], st[k]["ratio_p90"]),
                         verdict(r <= 1.02)))
    # 4. load
    ld = R.get("load", {})
    fc = ld.get("native_first_connect", {})
    en = ld.get("engine_native", {})
    for n, limit in ((1000, 2.0), (100000, 200.0)):
        for m in ("ipv4", "mixed"):
            k = "%d:%s" % (n, m)
            if k in fc and fc[k]["load_ms"] is not None:
                best = fc[k].get("load_min_ms")
                rows.append(("config load ≤ %g ms, %s rules %s (shim: first connect − the same "
                             "with an empty file; best of N, median)" % (limit, fmt(n), m),
                             "%s ms, %s ms" % (fmt(best, 2), fmt(fc[k]["load_ms"], 2)),
                             verdict(best is not None and best <= limit)))
            if k in en:
                best = en[k].get("load_min_ms", en[k]["load_ms"])
                rows.append(("config load ≤ %g ms, %s rules %s (engine alone, native; best of "
                             "N, median)" % (limit, fmt(n), m),
                             "%s ms, %s ms" % (fmt(best, 2), fmt(en[k]["load_ms"], 2)),
                             verdict(best <= limit)))
    # 5. memory
    mem = R.get("memory", {}).get("series", {})
    if "none" in mem:
        base = mem["none"]
        for k, v in mem.items():
            if k == "none":
                continue
            add = v["loaded"]["rss_kb"] - base["loaded"]["rss_kb"]
            rows.append(("≤ 2 MiB RSS added (%s, after the first connection)" % k[5:],
                         "%s KiB" % fmt(add), verdict(add <= 2048)))
            grow = v["after"]["rss_kb"] - v["loaded"]["rss_kb"]
            rows.append(("zero RSS growth over %s connections (%s)" % (
                fmt(R["memory"]["connections"]), k[5:]), "%+d KiB" % grow, verdict(grow <= 0)))
    # 6. port scale
    ps = R.get("portscale", {})
    for c in ps.get("cases", []):
        if c["mode"] == "plain" and c.get("source_addresses") == ["127.0.0.2"]:
            rows.append(("port scale: %d connections from one VIPA with %d ephemeral ports" % (
                c["attempted"], ps["ports_in_range"]), "%d succeeded" % c["succeeded"],
                verdict(c["succeeded"] == c["attempted"])))
    if not shim:
        rows.append(("(build/src_vipa.so was missing: every shim figure above is n/a)", "", ""))
    return table(["target", "measured", "verdict"], rows)


def instructions(R):
    I = R.get("instructions")
    if not I:
        return "Not run.\n"
    n1, n2 = I["loops"]
    out = ["Loops of %s and %s lifecycles in one process under `valgrind --tool=callgrind "
           "--instr-atstart=no`; one untimed lifecycle first (the library loads its "
           "configuration there), then each loop between `CALLGRIND_ZERO_STATS` and "
           "`CALLGRIND_DUMP_STATS_AT`; per lifecycle = (Ir(%s) − Ir(%s)) / %s. User-space "
           "instructions only (the kernel's work is not counted).\n" % (
               fmt(n1), fmt(n2), fmt(n2), fmt(n1), fmt(n2 - n1))]
    for lc, res in I["results"].items():
        if not res:
            continue
        floor = "bindnp" if "bindnp" in res else "bind"
        out.append("\n**%s** (%s)\n\n" % (lc, I["lifecycles"][lc]))
        rows = []
        for name, v in res.items():
            a = added(R, lc, name)
            f = added(R, lc, name, floor)
            rows.append((name, v["desc"], fmt(v["ir"], 1), fmt(a, 1) if name != "none" else "",
                         fmt(f, 1) if name not in ("none", floor) else ""))
        out.append(table(["variant", "what", "Ir / lifecycle", "added vs none",
                          "added vs %s" % floor], rows))
    t = I.get("true_startup_ir")
    if t:
        out.append("\n`/bin/true` start-up, whole process, user-space instructions: " + ", ".join(
            "%s %s" % (k, fmt(v)) for k, v in t.items()) + ".\n")
    return "".join(out)


def profiles(P, title, limit=14):
    out = []
    for key, p in P.items():
        out.append("\n%s **%s** — by object: %s\n\n" % (title, key, ", ".join(
            "%s %s" % (o, fmt(v, 1)) for o, v in sorted(p["by_object"].items(),
                                                       key=lambda x: -x[1]))))
        rows = [(fmt(r["ir"], 1), "`%s`" % r["function"], r.get("file", ""), r["object"])
                for r in p["functions"][:limit]]
        out.append(table(["Ir / call", "function (self)", "source file", "object"], rows))
    return "".join(out)


GLUE = ("sv_engine_select", "addr_words", "select_call", "sv_engine_release", "read_result",
        "get_u32", "release_call")


def component(fn, obj, src=""):
    """Which part of the stack a function of a lifecycle profile belongs to. With link-time
    optimisation the engine is inlined into the host's functions: the source file of the
    instructions decides (build/engine.c is the engine, shim/engine_host.c the glue)."""
    base = fn.split(".")[0]  # sv_engine_select.constprop.0.isra.0 -> sv_engine_select
    if src.endswith("/engine.c") or src == "engine.c":
        return "engine (wasm2c code)"
    if src.endswith("engine_host.c"):
        return "engine host glue (shim/engine_host.c)"
    if fn.startswith(("Z_engineZ", "w2c_")):
        return "engine (wasm2c code)"
    if base in GLUE:
        return "engine host glue (shim/engine_host.c)"
    if fn.startswith(("__sigsetjmp", "__sigjmp_save", "_setjmp")):
        return "setjmp per engine call (libc)"
    if "mutex" in fn or "pthread_once" in fn:
        return "lock and once (libc)"
    if obj == "lifecycle":
        return "the program itself"
    if obj.startswith("libc"):
        return "libc (system call wrappers, errno)"
    if obj.startswith("ld-linux"):
        return "dynamic linker"
    return "shim wrappers, decision path, fd table"


def components(R):
    P = R.get("instructions", {}).get("profiles", {})
    keys = [k for k in P if " shim:" in k]
    if not keys:
        return ""
    names = sorted({component(f["function"], f["object"], f.get("file", "")) for k in keys
                    for f in P[k]["functions"]})
    rows = []
    for k in keys:
        sums = {}
        for f in P[k]["functions"]:
            c = component(f["function"], f["object"], f.get("file", ""))
            sums[c] = sums.get(c, 0) + f["ir"]
        rows.append([k] + [fmt(sums.get(n, 0)) for n in names] + [fmt(sum(sums.values()))])
    return ("\nThe same profiles summed by part (self Ir per lifecycle; the program's own "
            "loop and libc's socket/connect/close wrappers are in the no-preload figure "
            "too):\n\n" + table(["lifecycle, variant"] + names + ["total"], rows))


def wallclock(R):
    W = R.get("wallclock")
    if not W:
        return "Not run.\n"
    out = []
    for lc, w in W.items():
        out.append("\n**%s**: %s rounds, each variant a process of %s timed lifecycles (after "
                   "one untimed), run in turn A B C … A B C …; ratio per round to the floor "
                   "(`%s`) of the same round.\n\n" % (lc, w["rounds"], fmt(w["n"]), w["floor"]))
        rows = [(name, fmt(v["ns_median"]), "%s–%s" % (fmt(v["ns_min"]), fmt(v["ns_max"])),
                 "%.3f" % v["ratio_to_floor_median"],
                 "%.3f–%.3f" % (v.get("ratio_to_floor_p25", 0), v.get("ratio_to_floor_p75", 0)),
                 "%.3f–%.3f" % (v["ratio_to_floor_min"], v["ratio_to_floor_max"]),
                 "%.3f" % v.get("ratio_of_minimums", 0), fmt(v.get("cpu_ns_median")),
                 "%.3f" % v["cpu_ratio_median"] if v.get("cpu_ratio_median") else "",
                 v["errors"])
                for name, v in w["variants"].items()]
        out.append(table(["variant", "wall ns / lifecycle (median)", "min–max",
                          "wall ratio to floor (median)", "quartiles", "min–max",
                          "ratio of the minimums", "CPU ns (median)", "CPU ratio (median)",
                          "failed calls"], rows))
    return "".join(out)


def syscalls(R):
    S = R.get("syscalls")
    if not S:
        return ""
    out = ["\nWhat a system call costs on this machine (median of 3 loops of 100,000): " +
           ", ".join("%s %s ns" % (k[:-3].replace("_", "+"), fmt(v)) for k, v in S["ns"].items())
           + (("; touching a fresh 4 KiB page (the first write to newly mapped memory: a page "
               "fault) %s µs" % fmt(S["page_fault_us"], 2)) if "page_fault_us" in S else "")
           + ".\n"]
    if S.get("per_lifecycle"):
        rows = [(k, fmt(sum(v.values()), 2), ", ".join("%s %g" % (c, n) for c, n in sorted(v.items())))
                for k, v in S["per_lifecycle"].items()]
        out.append("\nSystem calls per lifecycle (`strace -f -c` of 1,000 lifecycles):\n\n")
        out.append(table(["variant", "calls", "which"], rows))
    return "".join(out)


def startup(R):
    S = R.get("startup")
    if not S:
        return "Not run.\n"
    rows = []
    for k, v in S["variants"].items():
        rows.append((k, fmt(v["median_us"], 0), "%s–%s" % (fmt(v["p10_us"]), fmt(v["p90_us"])),
                     fmt(v.get("cpu_median_us"), 0),
                     "%.3f (%.3f–%.3f)" % (v["ratio_median"], v["ratio_p10"], v["ratio_p90"])
                     if "ratio_median" in v else "",
                     "%.3f" % v["cpu_ratio_median"] if "cpu_ratio_median" in v else ""))
    return ("`%s`, %s rounds of fork + execve + wait per variant, interleaved; ratios per "
            "round to the run without preload of the same round. `empty_preload.so` is a "
            "library with nothing in it: what any LD_PRELOAD costs.\n\n" % (
                S["program"], S["rounds"]) + table(["variant", "wall µs (median)", "p10–p90",
                                            "CPU µs (median)", "wall ratio (median, p10–p90)",
                                            "CPU ratio (median)"], rows))


def load(R):
    L = R.get("load")
    if not L:
        return "Not run.\n"
    out = []
    fc = L.get("native_first_connect", {})
    if fc:
        rows = [(k, fmt(v["first_connect_us"], 1), "%s–%s" % (fmt(v["p10_us"], 1),
                                                             fmt(v["p90_us"], 1)),
                 fmt(v.get("min_us"), 1),
                 fmt(v["load_ms"], 3) if v["load_ms"] is not None else "",
                 fmt(v.get("load_min_ms"), 3) if v.get("load_min_ms") is not None else "",
                 fmt(v.get("process_ir")), fmt(v.get("load_ir")) if v.get("load_ir") is not None
                 else "")
                for k, v in fc.items()]
        out.append("Native, through the shim: the first `socket`+`connect` of a UDP process "
                   "(`lifecycle -o first`), with each configuration; load = its median minus "
                   "the median with an empty configuration file. The same processes under "
                   "callgrind give the load in instructions (whole process with the "
                   "configuration minus whole process with the empty file), which is exact "
                   "where the times of a first call (page faults of a freshly mapped library "
                   "on a VM) are noisy.\n\n")
        out.append(table(["configuration", "first socket+connect µs (median)", "p10–p90",
                          "min", "load ms (medians)", "load ms (minimums)", "process Ir",
                          "load Ir"], rows))
    en = L.get("engine_native", {})
    nd = L.get("node", {})
    if en:
        out.append("\nThe engine alone (`sv_input` + copy + `sv_parse` + `sv_finalize` on a "
                   "fresh instance), native (`bench/engine_bench.c`, wasm2c) and in Node "
                   "(`bench/node_engine.mjs`, WebAssembly; `Engine.load` when the Node host "
                   "is built):\n\n")
        rows = []
        for k, v in en.items():
            n = nd.get(k, {})
            rows.append((k, fmt(v["rules"]), fmt(v["bytes"]), fmt(v["load_ms"], 3),
                         fmt(v.get("load_min_ms"), 3), fmt(v.get("load_cold_ms"), 3),
                         fmt(v["parse_ms"], 3), fmt(v["finalize_ms"], 3),
                         fmt(v["memory_bytes"] / 1048576, 1),
                         fmt(n.get("load_ms"), 3), fmt(n.get("load_min_ms"), 3),
                         fmt(n.get("host_load_ms"), 3)))
        out.append(table(["configuration", "rules", "bytes", "native ms (median)", "native ms "
                          "(best)", "native ms (first of the process)", "parse ms", "finalize ms", "engine memory MiB",
                          "Node ms (raw, median)", "Node ms (raw, best)",
                          "Node ms (Engine.load, median)"], rows))
    return "".join(out)


def memory(R):
    M = R.get("memory")
    if not M:
        return "Not run.\n"
    s = M["series"]
    base = s.get("none")
    rows = []
    for k, v in s.items():
        def d(stage, field):
            return "%+d" % (v[stage][field] - base[stage][field]) if base and k != "none" else ""
        rows.append((k, fmt(v["idle"]["rss_kb"]), d("idle", "rss_kb"), fmt(v["loaded"]["rss_kb"]),
                     d("loaded", "rss_kb"), fmt(v["after"]["rss_kb"]),
                     "%+d" % (v["after"]["rss_kb"] - v["loaded"]["rss_kb"]),
                     fmt(v["after"]["vsz_kb"]), d("after", "vsz_kb"), fmt(v["after"]["hwm_kb"])))
    return ("`/proc/self/status` of `lifecycle -o mem` (UDP to 127.0.0.1): before any socket "
            "(idle), after the first lifecycle (configuration loaded) and after %s more. kB.\n\n"
            % fmt(M["connections"]) +
            table(["variant", "RSS idle", "added", "RSS loaded", "added", "RSS after",
                   "growth", "VSZ after", "added", "peak (HWM)"], rows))


def select(R):
    S = R.get("select")
    if not S:
        return "Not run.\n"
    out = []
    ns, ir, nd = S.get("native_ns", {}), S.get("native_ir", {}), S.get("node", {})
    rows = []
    for k in ns:
        n = nd.get(k, {})
        rows.append((k, fmt(ir.get(k, {}).get("hit4"), 0), fmt(ir.get(k, {}).get("hit6"), 0),
                     fmt(ir.get(k, {}).get("rand4"), 0), fmt(ns[k]["hit4"], 1),
                     fmt(ns[k]["hit6"], 1), fmt(ns[k]["rand4"], 1), fmt(n.get("hit4"), 1),
                     fmt(n.get("hit6"), 1), fmt(n.get("rand4"), 1),
                     fmt(n.get("host_select_hit4"), 0)))
    out.append("`sv_select(connect, …)` called directly in a loop: hit4 = 127.0.0.1 (the /8 "
               "rule, found after every longer prefix length is probed), hit6 = ::1 (a /128 "
               "rule), rand4 = 1,024 pseudo-random IPv4 destinations in turn. Instructions "
               "from callgrind (two loop lengths, minus the harness's own loop measured with an "
               "empty function); ns = median of 5 timed loops. `100000:all` spreads the rules "
               "over every prefix length (worst case).\n\n")
    out.append(table(["configuration", "Ir hit4", "Ir hit6", "Ir rand4", "native ns hit4",
                      "native ns hit6", "native ns rand4", "Node ns hit4", "Node ns hit6",
                      "Node ns rand4", "Node `Engine.select` ns"], rows))
    return "".join(out)


def portscale(R):
    P = R.get("portscale")
    if not P:
        return "Not run.\n"
    rows = [(c["case"], "%d / %d" % (c["succeeded"], c["attempted"]),
             c["first_failure"] or "none", c["first_failure_at"] if c["failed"] else "",
             fmt(c["distinct_source_ports"]), ", ".join(c["source_addresses"]))
            for c in P["cases"]]
    return ("Inside the namespace, `net.ipv4.ip_local_port_range` = %d–%d (%d ports); %d "
            "concurrent TCP connections to 127.0.0.1 ports %s (alternating), all kept open "
            "(`bench/portscale.c`; the listeners never accept, the kernel completes the "
            "handshakes into their queues).\n\n" % (
                P["port_range"][0], P["port_range"][1], P["ports_in_range"], P["connections"],
                P["destination_ports"]) +
            table(["case", "connected", "first failure", "at connection #",
                   "distinct source ports", "source addresses"], rows))


def markdown(R):
    meta = R.get("meta", {})
    analysis = os.path.join(HERE, "analysis.md")
    parts = [
        "# Benchmarks\n\n",
        "Generated by `make bench` and recorded by `make bench-record` (`bench/run.py`; raw "
        "figures in `bench/results.json`) on "
        "%s, %s; %s, node %s; commit %s%s. Run time %s s; load average %s before, %s "
        "after (other work on the machine shows in the times, not in the instruction "
        "counts).\n\n" % (
            meta.get("date", "?"), meta.get("machine", "?"), meta.get("valgrind", "?"),
            meta.get("node", "?"), meta.get("git", "?"),
            " (**quick run**: fewer rounds)" if meta.get("quick") else "",
            meta.get("seconds", "?"), meta.get("loadavg_before", "?"),
            meta.get("loadavg_after", "?")),
        "What is measured and how is issue 5; this page gives each figure next to its target. "
        "Instruction counts are exact and repeatable; times depend on the machine (a 2-CPU VM "
        "here, where a process start takes milliseconds and a UDP socket+connect+close about "
        "10 µs), so they are given with their spread.\n\n",
        "## Targets\n\n", targets(R),
    ]
    if os.path.exists(analysis):
        with open(analysis) as f:
            parts += ["\n", f.read().rstrip() + "\n"]
    parts += [
        "\n## 1. Instruction overhead per lifecycle\n\n", instructions(R),
        "\n### Where the instructions go\n\nSelf instructions per lifecycle, by function "
        "(difference of the two loop lengths' profiles). Engine functions are the wasm2c "
        "output: `Z_engineZ_*` are the exports, `w2c_fN<name>` the others, with their "
        "AssemblyScript name from `build/engine.wat`.\n",
        components(R),
        profiles(R.get("instructions", {}).get("profiles", {}), "Lifecycle"),
        "\n## 2. Wall clock against the explicit-bind floor\n", wallclock(R), syscalls(R),
        "\n## 3. Start-up\n\n", startup(R),
        "\n## 3b. Configuration load\n\n", load(R),
        "\n## 4. Memory\n\n", memory(R),
        "\n## 5. Decision speed of the engine alone\n\n", select(R),
        "\n### Where the decision's instructions go\n\nThe same loops in a build without "
        "inlining (`engine_bench_prof`, so each wasm function keeps its own count; the call "
        "overhead this adds makes the totals larger than above).\n",
        profiles(R.get("select", {}).get("profiles", {}), "sv_select,"),
        "\n## 6. Port scale\n\n", portscale(R),
        "\n## Running it\n\n"
        "`make bench` (everything: builds, then about %s s here); `make bench "
        "BENCH_ARGS=--quick` for a smoke run; `make bench BENCH_ARGS=\"--only memory,select\"` "
        "re-runs some steps and keeps the rest of the last run. A run writes only under "
        "`build/bench/` (`results.json`, `benchmarks.md`); `make bench-record` copies its "
        "figures to `bench/results.json` and rewrites this page from them. Programs: "
        "`bench/lifecycle.c` (the lifecycles, `-o cg|time|first|mem`), `bench/portscale.c`, "
        "`bench/spawn.c` (start-up), `bench/tcp_sink.c` (TCP peer), `bench/engine_bench.c` "
        "(engine alone, wasm2c), `bench/node_engine.mjs` (engine in Node), "
        "`bench/gen_config.py` (configurations: the rules the benchmarks hit are the last two "
        "lines, after N−2 filler rules that never match), `bench/w2c_names.py` (wasm2c "
        "function names). Everything that opens a socket runs in a private network namespace "
        "(`unshare -rni`).\n" % meta.get("seconds", "?"),
    ]
    return "".join(parts)


if __name__ == "__main__":
    recorded = os.path.join(HERE, "results.json")
    if sys.argv[1:] == ["--record"]:
        last = os.path.join(ROOT, "build", "bench", "results.json")
        if not os.path.exists(last):
            sys.exit("bench/report.py: no %s: run make bench first" % os.path.relpath(last, ROOT))
        with open(last) as f, open(recorded, "w") as out:
            out.write(f.read())
    elif sys.argv[1:]:
        sys.exit("usage: python3 bench/report.py [--record]")
    with open(recorded) as f:
        R = json.load(f)
    with open(os.path.join(ROOT, "docs", "benchmarks.md"), "w") as f:
        f.write(markdown(R))
