#!/usr/bin/env python3
"""Runs the six benchmarks of issue 5 and writes build/bench/results.json and
build/bench/benchmarks.md (`make bench-record` copies them to bench/results.json and
docs/benchmarks.md, the checked-in page).

    python3 bench/run.py [--quick] [--only STEP,...]      (what `make bench` runs)

Steps: instructions, wallclock, startup, load, memory, select, portscale (all by default).
Everything that opens sockets runs inside a network, IPC and user namespace of its own
(`unshare -rni`): loopback up, fd00::2-4 on lo, a wide ephemeral port range for the
lifecycle loops and a narrow one (300 ports) for the port-scale test. Traffic goes only to
127.0.0.0/8 and ::1 there. The script re-executes itself inside that namespace.

Inputs: build/engine.wasm (+ build/engine.wat for function names), build/src_vipa.so (the
shim; steps that need it are skipped, and say so, while it is missing), the programs of
mk/bench.mk in build/bench/. Needs valgrind, python3, node, unshare, ip."""
import argparse
import concurrent.futures
import datetime
import glob
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.dont_write_bytecode = True  # no bench/__pycache__ in the work tree
sys.path.insert(0, HERE)
import report  # noqa: E402  (bench/report.py: the Markdown)
import w2c_names  # noqa: E402

B = os.path.join(ROOT, "build", "bench")
CONF = os.path.join(B, "conf")
SHIM = os.path.join(ROOT, "build", "src_vipa.so")
WASM = os.path.join(ROOT, "build", "engine.wasm")
WAT = os.path.join(ROOT, "build", "engine.wat")
# a run writes under build/ only; `make bench-record` (bench/report.py --record) checks in
RESULTS = os.path.join(B, "results.json")
DOC = os.path.join(B, "benchmarks.md")
RECORDED = os.path.join(HERE, "results.json")

SINK_PORT = 5001
POLICIES = {"onevipa": "onevipa", "random": "random", "lrr": "lrr", "rr600": "rr:600", "lc": "lc"}
SIZES = [10, 1000, 100000]
MIXES = ["ipv4", "mixed"]
WIDE_RANGE = "10000 65535"  # the listeners (5001, 5101, 5102) stay below it
NARROW_RANGE = (40000, 40299)


def log(*a):
    print("[bench %s]" % time.strftime("%H:%M:%S"), *a, flush=True)


def cfg(rules, mix="mixed", policy="onevipa", lengths="real"):
    if rules == 0:
        return os.path.join(CONF, "empty.conf")
    name = "r%d_%s_%s%s.conf" % (rules, mix, policy, "_all" if lengths == "all" else "")
    return os.path.join(CONF, name)


def generate_configs():
    os.makedirs(CONF, exist_ok=True)
    want = [(0, "ipv4", "onevipa", "real")]
    want += [(n, m, "onevipa", "real") for n in SIZES for m in MIXES]
    want += [(10, "mixed", p, "real") for p in POLICIES if p != "onevipa"]
    want += [(100000, "mixed", "onevipa", "all")]
    for n, m, p, lengths in want:
        path = cfg(n, m, p, lengths)
        if os.path.exists(path):
            continue
        subprocess.run([sys.executable, os.path.join(HERE, "gen_config.py"), "--rules", str(n),
                        "--mix", m, "--policy", POLICIES[p], "--lengths", lengths, path],
                       check=True)
    with open(os.path.join(CONF, "portscale.conf"), "w") as f:
        f.write("# bench/run.py port scale: every 127/8 destination from one VIPA\n"
                "127.0.0.0/8 onevipa 127.0.0.2\n")


def base_env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("LD_PRELOAD", "SRC_VIPA_CONFIG_FILE", "SRC_VIPA_DEBUG")}
    return env


def shim_env(config):
    env = base_env()
    env["LD_PRELOAD"] = SHIM
    env["SRC_VIPA_CONFIG_FILE"] = config
    return env


def run(cmd, env=None, timeout=300, check=True):
    p = subprocess.run(cmd, env=env or base_env(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr[-2000:]))
    return p


def run_json(cmd, env=None, timeout=300, check=True):
    p = run(cmd, env, timeout, check)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise RuntimeError("%s printed no JSON: %s %s" % (" ".join(cmd), p.stdout, p.stderr))
    out = json.loads(lines[-1])
    if p.returncode != 0:
        out["exit_status"] = p.returncode
        out["stderr"] = p.stderr.strip()[-500:]
    return out


def median(v):
    return statistics.median(v) if v else None


def pct(v, p):
    s = sorted(v)
    return s[min(len(s) - 1, max(0, int(round(p * (len(s) - 1)))))]


def have_shim():
    return os.path.exists(SHIM)


# ---- the namespace ------------------------------------------------------------------------

def setup_namespace():
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for a in ("fd00::2", "fd00::3", "fd00::4"):
        subprocess.run(["ip", "-6", "addr", "add", a + "/128", "dev", "lo", "nodad"], check=True)
    set_port_range(WIDE_RANGE)
    with open("/proc/sys/net/ipv4/tcp_tw_reuse", "w") as f:
        f.write("1")


def set_port_range(text):
    with open("/proc/sys/net/ipv4/ip_local_port_range", "w") as f:
        f.write(text)


def start_sink():
    p = subprocess.Popen([os.path.join(B, "tcp_sink"), "127.0.0.1", str(SINK_PORT), "900"],
                         stdout=subprocess.PIPE, text=True)
    if p.stdout.readline().strip() != "ready":
        raise RuntimeError("tcp_sink did not start")
    return p


# ---- the lifecycles -------------------------------------------------------------------------

LIFECYCLES = {
    "udp4": {"args": ["-p", "udp", "-f", "4", "-d", "127.0.0.1", "-P", str(SINK_PORT)],
             "src": "127.0.0.2", "what": "UDP socket+connect+close to 127.0.0.1"},
    "tcp4": {"args": ["-p", "tcp", "-f", "4", "-d", "127.0.0.1", "-P", str(SINK_PORT)],
             "src": "127.0.0.2", "what": "TCP socket+connect+close to 127.0.0.1 (handshake)"},
    "udp6": {"args": ["-p", "udp", "-f", "6", "-d", "::1", "-P", str(SINK_PORT)],
             "src": "fd00::2", "what": "UDP socket+connect+close to ::1"},
}


def variant_list(lc):
    """(name, description, mode, config or None) for one lifecycle."""
    v = [("none", "no preload, no bind", "plain", None),
         ("bind", "no preload; the program binds the VIPA itself (port 0)", "bind", None)]
    if lc == "tcp4":
        v.append(("bindnp", "no preload; setsockopt(IP_BIND_ADDRESS_NO_PORT) + bind, as the "
                            "shim does for TCP", "bindnp", None))
    if lc == "udp6":
        v += [("shim:onevipa:10:mixed", "src_vipa.so, onevipa, 10 rules (mixed)", "plain",
               cfg(10, "mixed")),
              ("shim:onevipa:100000:mixed", "src_vipa.so, onevipa, 100,000 rules (mixed)",
               "plain", cfg(100000, "mixed"))]
        return v
    v.append(("shim:empty", "src_vipa.so, empty configuration (no rule: pass through)",
              "plain", cfg(0)))
    for p in POLICIES:
        v.append(("shim:%s:10:mixed" % p, "src_vipa.so, %s, 10 rules (mixed)" % POLICIES[p],
                  "plain", cfg(10, "mixed", p)))
    for n in SIZES:
        for m in MIXES:
            if (n, m) == (10, "mixed"):
                continue
            v.append(("shim:onevipa:%d:%s" % (n, m),
                      "src_vipa.so, onevipa, %s rules (%s)" % (format(n, ","), m), "plain",
                      cfg(n, m)))
    return v


def lifecycle_cmd(lc, mode, out, n, n2=None):
    spec = LIFECYCLES[lc]
    cmd = [os.path.join(B, "lifecycle")] + spec["args"] + ["-m", mode]
    if mode != "plain":
        cmd += ["-s", spec["src"]]
    cmd += ["-o", out, "-n", str(n)]
    if n2 is not None:
        cmd += ["-N", str(n2)]
    return cmd


def callgrind_totals(files):
    """{label: (Ir, path)} of the dumps of one run."""
    out = {}
    for path in files:
        label, total = None, None
        with open(path) as f:
            for line in f:
                if line.startswith("desc: Trigger: Client Request: "):
                    label = line[len("desc: Trigger: Client Request: "):].strip()
                elif line.startswith("totals:") or line.startswith("summary:"):
                    total = int(line.split()[1])
        if label is not None and total is not None:
            out[label] = (total, path)
    return out


def callgrind(cmd, env, tag, n1, n2):
    d = os.path.join(B, "cg", tag.replace(":", "_"))
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    full = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
            "--callgrind-out-file=%s/cg.out" % d] + cmd
    p = subprocess.run(full, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=600)
    tot = callgrind_totals(glob.glob(d + "/cg.out.*"))
    a, b = tot.get(str(n1)), tot.get(str(n2))
    if a is None or b is None:
        raise RuntimeError("callgrind %s: dumps missing (exit %d): %s" % (
            tag, p.returncode, p.stderr[-1500:]))
    return {"ir": round((b[0] - a[0]) / (n2 - n1), 1), "files": [a[1], b[1]],
            "exit_status": p.returncode}


def annotate_self(path):
    """{function: self Ir} from callgrind_annotate (all functions, no threshold)."""
    p = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100",
                        "--show-percs=no", path], stdout=subprocess.PIPE, text=True)
    out = {}
    started = False
    for line in p.stdout.splitlines():
        if "file:function" in line:
            started = True
            continue
        if not started:
            continue
        m = re.match(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.*\S)\s*$", line)
        if not m:
            if out and line.startswith("----"):
                break
            continue
        name = m.group(2)  # FILE:FUNCTION [OBJECT], or FILE:FUNCTION for inlined lines
        out[name] = out.get(name, 0) + int(m.group(1).replace(",", ""))
    return out


def profile(files, n1, n2, names):
    a, b = annotate_self(files[0]), annotate_self(files[1])
    rows = []
    for fn in set(a) | set(b):
        per = (b.get(fn, 0) - a.get(fn, 0)) / (n2 - n1)
        if abs(per) >= 0.5:
            # the source file tells the parts apart: with link-time optimisation the
            # engine's code is inlined into the host's functions (build/engine.c lines
            # inside sv_engine_select); lines inlined from a header have no object
            m = re.match(r"^(\S*?):(\S+)(?: \[(.*)\])?$", fn)
            if m:
                src, func, obj = m.group(1), m.group(2), os.path.basename(m.group(3) or "?")
            else:
                src, func, obj = "?", fn, "?"
            rows.append({"function": w2c_names.rename(func, names), "object": obj,
                         "file": os.path.relpath(src, ROOT) if src.startswith("/") else src,
                         "ir": round(per, 1)})
    rows.sort(key=lambda r: -r["ir"])
    by_obj = {}
    for r in rows:
        by_obj[r["object"]] = round(by_obj.get(r["object"], 0) + r["ir"], 1)
    return {"functions": rows, "by_object": by_obj}


def step_instructions(R, quick):
    n1, n2 = (200, 1200) if quick else (1000, 5000)
    jobs = []
    for lc in LIFECYCLES:
        for name, desc, mode, conf in variant_list(lc):
            if conf and not have_shim():
                continue
            env = shim_env(conf) if conf else base_env()
            jobs.append((lc, name, desc, lifecycle_cmd(lc, mode, "cg", n1, n2), env))
    # the start-up of a program that never opens a socket, in instructions
    true_jobs = [("true", "none", base_env()),
                 ("true", "empty_preload.so", dict(base_env(), LD_PRELOAD=os.path.join(
                     B, "empty_preload.so")))]
    if have_shim():
        true_jobs += [("true", "shim:10", shim_env(cfg(10))),
                      ("true", "shim:100000", shim_env(cfg(100000)))]
    res = {lc: {} for lc in LIFECYCLES}
    names = w2c_names.load(WAT) if os.path.exists(WAT) else {}
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        futs = {ex.submit(callgrind, cmd, env, "%s_%s" % (lc, name), n1, n2): (lc, name, desc)
                for lc, name, desc, cmd, env in jobs}
        tfuts = {ex.submit(callgrind_plain, ["/bin/true"], env, "true_" + name): name
                 for _, name, env in true_jobs}
        for f in concurrent.futures.as_completed(futs):
            lc, name, desc = futs[f]
            r = f.result()
            res[lc][name] = {"desc": desc, "ir": r["ir"], "files": r["files"]}
            log("instructions %s %-28s %8.1f Ir/lifecycle" % (lc, name, r["ir"]))
        # back into the order of the plan (as_completed gives them as they finish)
        order = [(lc, name) for lc, name, _, _, _ in jobs]
        res = {lc: {name: res[lc][name] for l2, name in order if l2 == lc and name in res[lc]}
               for lc in res}
        startup = {}
        for f in concurrent.futures.as_completed(tfuts):
            startup[tfuts[f]] = f.result()
    # per-function profiles of the interesting ones
    profiles = {}
    for lc in ("udp4", "tcp4", "udp6"):
        for name in ("none", "bind", "bindnp", "shim:onevipa:10:mixed", "shim:lc:10:mixed",
                     "shim:onevipa:100000:mixed", "shim:onevipa:1000:mixed"):
            if name in res[lc]:
                profiles["%s %s" % (lc, name)] = profile(res[lc][name]["files"], n1, n2, names)
    for lc in res:
        for name in res[lc]:
            del res[lc][name]["files"]
    R["instructions"] = {"loops": [n1, n2], "lifecycles": {k: v["what"] for k, v in
                                                          LIFECYCLES.items()},
                         "results": res, "profiles": profiles, "true_startup_ir": startup}


def callgrind_plain(cmd, env, tag):
    d = os.path.join(B, "cg", tag.replace(":", "_"))
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    out = os.path.join(d, "cg.out")
    subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] + cmd,
                   env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    with open(out) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1])
    return None


# ---- wall clock ------------------------------------------------------------------------------

def step_wallclock(R, quick):
    # 101 rounds: on a 2-CPU VM the median ratio of one variant moved by ±4 % between runs
    # of 31 rounds (two variants with the same code path differed by that much)
    rounds = 9 if quick else 101
    plan = {"udp4": (10000, "bind"), "tcp4": (2000, "bindnp")}
    out = {}
    for lc, (n, floor) in plan.items():
        variants = [("none", "plain", None), (floor, floor, None)]
        if have_shim():
            variants += [("shim:onevipa:10:mixed", "plain", cfg(10)),
                         ("shim:lc:10:mixed", "plain", cfg(10, "mixed", "lc")),
                         ("shim:onevipa:100000:mixed", "plain", cfg(100000))]
        times = {v[0]: [] for v in variants}
        cpu = {v[0]: [] for v in variants}
        errors = {v[0]: 0 for v in variants}
        for r in range(rounds):
            for name, mode, conf in variants:
                env = shim_env(conf) if conf else base_env()
                j = run_json(lifecycle_cmd(lc, mode, "time", n), env, check=False)
                times[name].append(j["ns"])
                cpu[name].append(j["cpu_ns"])
                errors[name] += j.get("errors", 0)
        res = {}
        for name, _, _ in variants:
            ratios = [a / b for a, b in zip(times[name], times[floor])]
            cratios = [a / b for a, b in zip(cpu[name], cpu[floor]) if b > 0]
            res[name] = {"ns_median": round(median(times[name]), 1),
                         "ns_min": round(min(times[name]), 1),
                         "ns_max": round(max(times[name]), 1),
                         "ratio_to_floor_median": round(median(ratios), 4),
                         "ratio_to_floor_p25": round(pct(ratios, 0.25), 4),
                         "ratio_to_floor_p75": round(pct(ratios, 0.75), 4),
                         "ratio_to_floor_min": round(min(ratios), 4),
                         "ratio_to_floor_max": round(max(ratios), 4),
                         "ratio_of_minimums": round(min(times[name]) / min(times[floor]), 4),
                         "cpu_ns_median": round(median(cpu[name]), 1),
                         "cpu_ratio_median": round(median(cratios), 4) if cratios else None,
                         "errors": errors[name]}
            log("wallclock %s %-28s %8.1f ns  x%.3f of %s" % (
                lc, name, res[name]["ns_median"], res[name]["ratio_to_floor_median"], floor))
        out[lc] = {"n": n, "rounds": rounds, "floor": floor, "variants": res}
    R["wallclock"] = out
    # why: what one system call costs here, and how many each variant makes per lifecycle
    costs = [run_json(lifecycle_cmd("udp4", "plain", "syscalls", 100000)) for _ in range(3)]
    R["syscalls"] = {"ns": {k: round(median([c[k] for c in costs]), 1) for k in costs[0]
                            if k.endswith("_ns")}, "per_lifecycle": {}}
    pf = [run_json([os.path.join(B, "engine_bench"), "pagefault", "-", "-"]) for _ in range(3)]
    R["syscalls"]["page_fault_us"] = round(median([p["fresh_page_us"] for p in pf]), 2)
    log("syscall costs %s" % R["syscalls"]["ns"])
    if shutil.which("strace"):
        for lc, (n, floor) in plan.items():
            for name, mode, conf in [("none", "plain", None), (floor, floor, None)] + (
                    [("shim:onevipa:10:mixed", "plain", cfg(10))] if have_shim() else []):
                R["syscalls"]["per_lifecycle"]["%s %s" % (lc, name)] = strace_counts(
                    lifecycle_cmd(lc, mode, "count", 1000), shim_env(conf) if conf else
                    base_env(), 1000)
                log("syscalls %s %s: %s" % (lc, name,
                                            R["syscalls"]["per_lifecycle"]["%s %s" % (lc, name)]))


def strace_counts(cmd, env, n):
    """System calls per lifecycle: strace -c of n lifecycles (calls made n times or more)."""
    path = os.path.join(B, "strace.out")
    subprocess.run(["strace", "-f", "-c", "-o", path] + cmd, env=env, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, timeout=300)
    out = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if (len(parts) >= 5 and parts[-1].isidentifier() and parts[-1] != "total" and
                    parts[3].isdigit()):
                calls = int(parts[3])
                if calls >= n:
                    out[parts[-1]] = round(calls / n, 2)
    return out


# ---- start-up -------------------------------------------------------------------------------

def step_startup(R, quick):
    rounds = 150 if quick else 600
    variants = ["-", "LD_PRELOAD=%s" % os.path.join(B, "empty_preload.so")]
    labels = ["none", "empty_preload.so"]
    if have_shim():
        variants += ["LD_PRELOAD=%s,SRC_VIPA_CONFIG_FILE=%s" % (SHIM, cfg(10)),
                     "LD_PRELOAD=%s,SRC_VIPA_CONFIG_FILE=%s" % (SHIM, cfg(100000))]
        labels += ["shim:10", "shim:100000"]
    j = run_json([os.path.join(B, "spawn"), str(rounds)] + variants + ["--", "/bin/true"],
                 timeout=600)
    R["startup"] = {"rounds": rounds, "program": "/bin/true",
                    "variants": dict(zip(labels, j["variants"]))}
    for k, v in R["startup"]["variants"].items():
        log("startup %-12s median %.0f us  ratio %s" % (k, v["median_us"],
                                                       v.get("ratio_median", "-")))


# ---- configuration load ---------------------------------------------------------------------

LOAD_CONFIGS = [(10, "ipv4"), (10, "mixed"), (1000, "ipv4"), (1000, "mixed"),
                (100000, "ipv4"), (100000, "mixed")]


def step_load(R, quick):
    reps = 5 if quick else 15
    out = {"native_first_connect": {}, "engine_native": {}, "node": {}}
    if have_shim():
        series = [("none", None), ("empty", cfg(0))] + [
            ("%d:%s" % (n, m), cfg(n, m)) for n, m in LOAD_CONFIGS]
        firsts = {k: [] for k, _ in series}
        for r in range(reps):
            for k, conf in series:
                env = shim_env(conf) if conf else base_env()
                j = run_json(lifecycle_cmd("udp4", "plain", "first", 1), env, check=False)
                firsts[k].append(j["first_ns"])
        base = median(firsts["empty"])
        for k, _ in series:
            m = median(firsts[k])
            out["native_first_connect"][k] = {
                "first_connect_us": round(m / 1e3, 1),
                "p10_us": round(pct(firsts[k], 0.1) / 1e3, 1),
                "p90_us": round(pct(firsts[k], 0.9) / 1e3, 1),
                "min_us": round(min(firsts[k]) / 1e3, 1),
                "load_ms": round((m - base) / 1e6, 3) if k not in ("none", "empty") else None,
                "load_min_ms": round((min(firsts[k]) - min(firsts["empty"])) / 1e6, 3)
                if k not in ("none", "empty") else None}
            log("load native first connect %-14s %9.1f us" % (k, m / 1e3))
    if have_shim():
        # the same in instructions (whole process; exact where the times above are noisy)
        jobs = [("none", None), ("empty", cfg(0))] + [("%d:%s" % (n, m), cfg(n, m))
                                                     for n, m in LOAD_CONFIGS]
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            futs = {k: ex.submit(callgrind_plain, lifecycle_cmd("udp4", "plain", "first", 1),
                                 shim_env(c) if c else base_env(), "first_" + k)
                    for k, c in jobs}
        irs = {k: f.result() for k, f in futs.items()}
        for k in irs:
            out["native_first_connect"][k]["process_ir"] = irs[k]
            out["native_first_connect"][k]["load_ir"] = (
                irs[k] - irs["empty"] if k not in ("none", "empty") else None)
            log("load native first connect %-14s %12s Ir (whole process)" % (k, irs[k]))
    for n, m in LOAD_CONFIGS + [(100000, "all")]:
        conf = cfg(n, m) if m != "all" else cfg(n, "mixed", lengths="all")
        k = "%d:%s" % (n, m)
        out["engine_native"][k] = run_json([os.path.join(B, "engine_bench"), "load", conf,
                                            str(reps)])
        log("load engine native %-14s %8.3f ms" % (k, out["engine_native"][k]["load_ms"]))
    R["load"] = out


def step_node(R, quick):
    """Node: load time and ns per select (the same configurations)."""
    n = 300000 if quick else 1000000
    out = {}
    for nr, m in LOAD_CONFIGS + [(100000, "all")]:
        conf = cfg(nr, m) if m != "all" else cfg(nr, "mixed", lengths="all")
        k = "%d:%s" % (nr, m)
        out[k] = run_json(["node", os.path.join(HERE, "node_engine.mjs"), WASM, conf,
                           "5", str(n)], timeout=300)
        log("node %-14s load %.3f ms, select hit4 %.1f ns" % (
            k, out[k]["load_ms"], out[k]["select"]["hit4"]))
    R.setdefault("load", {})["node"] = {k: {kk: v[kk] for kk in (
        "via", "rules", "load_ms", "load_min_ms", "host_load_ms", "host_load_min_ms", "compile_ms",
        "memory_bytes") if kk in v}
        for k, v in out.items()}
    R.setdefault("select", {})["node"] = {k: dict(v["select"], **(
        {"host_select_hit4": v["host_select_hit4"]} if "host_select_hit4" in v else {}))
        for k, v in out.items()}


# ---- memory ---------------------------------------------------------------------------------

def step_memory(R, quick):
    n = 20000 if quick else 100000
    series = [("none", None)]
    if have_shim():
        series += [("shim:empty", cfg(0)), ("shim:onevipa:10:mixed", cfg(10)),
                   ("shim:onevipa:1000:mixed", cfg(1000)),
                   ("shim:onevipa:100000:mixed", cfg(100000)),
                   ("shim:lc:10:mixed", cfg(10, "mixed", "lc")),
                   ("shim:rr600:10:mixed", cfg(10, "mixed", "rr600"))]
    out = {}
    for name, conf in series:
        env = shim_env(conf) if conf else base_env()
        j = run_json(lifecycle_cmd("udp4", "plain", "mem", n), env, timeout=600, check=False)
        out[name] = j
        log("memory %-28s idle %d kB, loaded %d kB, after %d: %d kB (VSZ %d kB)" % (
            name, j["idle"]["rss_kb"], j["loaded"]["rss_kb"], n, j["after"]["rss_kb"],
            j["after"]["vsz_kb"]))
    R["memory"] = {"connections": n, "lifecycle": "udp4", "series": out}


# ---- decision speed -------------------------------------------------------------------------

SELECT_CONFIGS = [(10, "ipv4"), (10, "mixed"), (1000, "ipv4"), (1000, "mixed"),
                  (100000, "ipv4"), (100000, "mixed"), (100000, "all")]


def select_ir(tag, binary, conf, n1, n2):
    d = os.path.join(B, "cg", "select_" + tag.replace(":", "_"))
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    run(["valgrind", "--tool=callgrind", "--instr-atstart=no",
         "--callgrind-out-file=%s/cg.out" % d, os.path.join(B, binary), "ir",
         conf, str(n1), str(n2), "null", "hit4", "hit6", "rand4"])
    return callgrind_totals(glob.glob(d + "/cg.out.*"))


def step_select(R, quick):
    n = 300000 if quick else 1000000
    names = w2c_names.load(WAT) if os.path.exists(WAT) else {}
    native, ir, prof = {}, {}, {}
    for nr, m in SELECT_CONFIGS:
        conf = cfg(nr, m) if m != "all" else cfg(nr, "mixed", lengths="all")
        k = "%d:%s" % (nr, m)
        native[k] = {}
        for d in ("hit4", "hit6", "rand4"):
            native[k][d] = run_json([os.path.join(B, "engine_bench"), "select", conf, d, str(n),
                                     "5"])["ns_per_select"]
        n1, n2 = 1000, 5000
        # the counts from the build as the shim compiles it (-O2: everything inlined into
        # Z_engineZ_sv_select), the per-function split from a -fno-inline build
        tot = select_ir(k, "engine_bench", conf, n1, n2)
        null = (tot["null %d" % n2][0] - tot["null %d" % n1][0]) / (n2 - n1)
        ir[k] = {"harness_loop": round(null, 1)}
        for dest in ("hit4", "hit6", "rand4"):
            a, b = tot["%s %d" % (dest, n1)], tot["%s %d" % (dest, n2)]
            ir[k][dest] = round((b[0] - a[0]) / (n2 - n1) - null, 1)
        if m in ("mixed", "all"):
            tot = select_ir(k + "_noinline", "engine_bench_prof", conf, n1, n2)
            for dest in ("hit4", "hit6"):
                a, b = tot["%s %d" % (dest, n1)], tot["%s %d" % (dest, n2)]
                prof["%s %s" % (k, dest)] = profile([a[1], b[1]], n1, n2, names)
        log("select native %-14s ns %s  Ir %s" % (k, native[k], ir[k]))
    R.setdefault("select", {})["native_ns"] = native
    R["select"]["native_ir"] = ir
    R["select"]["profiles"] = prof


# ---- port scale -----------------------------------------------------------------------------

def step_portscale(R, quick):
    """Each case in a fresh network namespace of its own (nested in ours), so that no
    TIME_WAIT socket of an earlier step or case holds a port of the narrow range."""
    lo, hi = NARROW_RANGE
    nports = hi - lo + 1
    n = 500
    ports = "5101,5102"
    cases = []
    if have_shim():
        cases.append(("src_vipa.so (onevipa 127.0.0.2), the program does not bind", "plain",
                      shim_env(os.path.join(CONF, "portscale.conf")), None))
    cases += [("explicit bind(127.0.0.2, port 0) WITHOUT IP_BIND_ADDRESS_NO_PORT "
               "(binding with a port, as src_vipa 2.1.0 does)", "bind", base_env(), "127.0.0.2"),
              ("explicit bind(127.0.0.2, port 0) WITH IP_BIND_ADDRESS_NO_PORT (what "
               "src_vipa.so does)", "bindnp", base_env(), "127.0.0.2"),
              ("no preload, no bind (the kernel picks 127.0.0.1)", "plain", base_env(), None)]
    setup = ("ip link set lo up && echo '%d %d' > /proc/sys/net/ipv4/ip_local_port_range && "
             "exec \"$@\"" % (lo, hi))
    out = []
    for desc, mode, env, src in cases:
        cmd = [os.path.join(B, "portscale"), "-d", "127.0.0.1", "-P", ports, "-n", str(n),
               "-m", mode]
        if src:
            cmd += ["-s", src]
        j = run_json(["unshare", "-n", "sh", "-c", setup, "sh"] + cmd, env)
        j["case"] = desc
        out.append(j)
        log("portscale %-8s %d/%d (%s)" % (mode, j["succeeded"], n, j["first_failure"]))
    R["portscale"] = {"port_range": [lo, hi], "ports_in_range": nports, "connections": n,
                      "destination_ports": ports, "cases": out}


# ---- main -----------------------------------------------------------------------------------

STEPS = ["instructions", "wallclock", "startup", "load", "memory", "select", "portscale"]


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def inside(args):
    load_before = loadavg()
    setup_namespace()
    sink = start_sink()
    R = {}
    # --only: the other steps keep the results of the last run (or the recorded ones)
    last = RESULTS if os.path.exists(RESULTS) else RECORDED
    if args.only and os.path.exists(last):
        with open(last) as f:
            R = json.load(f)
    steps = args.only.split(",") if args.only else STEPS
    t0 = time.time()
    try:
        for s in steps:
            ts = time.time()
            log("== %s" % s)
            if s == "select":
                step_select(R, args.quick)
                step_node(R, args.quick)
            else:
                globals()["step_" + s](R, args.quick)
            R.setdefault("step_seconds", {})[s] = round(time.time() - ts, 1)
    finally:
        sink.kill()
        sink.wait()
    R["meta"] = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": args.quick, "seconds": round(time.time() - t0, 1),
        "loadavg_before": load_before, "loadavg_after": loadavg(),
        "machine": "%s, %d CPUs, %s" % (cpu_model(), os.cpu_count(), platform.release()),
        "shim": SHIM if have_shim() else None,
        "shim_missing": not have_shim(),
        "valgrind": subprocess.run(["valgrind", "--version"], stdout=subprocess.PIPE,
                                   text=True).stdout.strip(),
        "node": subprocess.run(["node", "--version"], stdout=subprocess.PIPE,
                               text=True).stdout.strip(),
        "git": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                              stdout=subprocess.PIPE, text=True).stdout.strip(),
    }
    os.makedirs(B, exist_ok=True)
    with open(RESULTS, "w") as f:
        json.dump(R, f, indent=1, sort_keys=False)
        f.write("\n")
    with open(DOC, "w") as f:
        f.write(report.markdown(R))
    log("wrote %s and %s in %.0f s" % (os.path.relpath(RESULTS, ROOT),
                                       os.path.relpath(DOC, ROOT), time.time() - t0))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    ap.add_argument("--only", help="comma-separated steps; the others keep their last results")
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inside:
        inside(args)
        return
    if not have_shim():
        log("WARNING: %s is missing: the steps that need the preload library are skipped"
            % os.path.relpath(SHIM, ROOT))
    generate_configs()
    cmd = ["unshare", "-rni", sys.executable, os.path.abspath(__file__), "--inside"]
    if args.quick:
        cmd.append("--quick")
    if args.only:
        cmd += ["--only", args.only]
    sys.exit(subprocess.run(cmd).returncode)


if __name__ == "__main__":
    main()
