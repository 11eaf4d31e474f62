#!/usr/bin/env python3
"""Names for wasm2c's anonymous functions: `w2c_fN` in the generated C (and so in callgrind
profiles) is function N of build/engine.wasm, whose name the text file build/engine.wat
(written by the release build next to it) still has. Imports come first in the index space.

    w2c_names.py build/engine.wat            prints "w2c_fN  $assembly/..." lines
    (or: import w2c_names; w2c_names.load(path) -> dict)"""
import re
import sys

FUNC = re.compile(r"^\s*\((?:import\s+\"[^\"]*\"\s+\"[^\"]*\"\s+\()?func\s+(\$[^\s()]+)")


def load(wat_path):
    names = {}
    index = 0
    with open(wat_path) as f:
        for line in f:
            s = line.lstrip()
            if s.startswith("(import") and "(func " in s or s.startswith("(func "):
                m = re.search(r"\(func\s+(\$[^\s()]+)", s)
                if m:
                    names["w2c_f%d" % index] = m.group(1)[1:]
                    index += 1
    return names


def rename(text, names):
    """Replaces every w2c_fN (with its gcc suffixes such as .isra.0) by its wasm name."""
    return re.sub(r"\bw2c_f(\d+)\b", lambda m: "w2c_f%s<%s>" % (
        m.group(1), names.get("w2c_f" + m.group(1), "?")), text)


if __name__ == "__main__":
    for k, v in load(sys.argv[1]).items():
        print(k, v)
