#!/usr/bin/env python3
"""Prints the System V keys (0x%08x, one a line) that src_vipa.so may use for the rr
counter of line LINE of configuration file FILE, in the order it tries them: the key
derivation of shim/shm_counter.c (FNV-1a-32 of a tag, the file's device and inode and
the line; then up to 7 probe keys if another segment already holds one).

usage: shm_keys.py FILE LINE
"""
import os
import struct
import sys

TAG = b"src_vipa rr 2"  # layout 2 (docs/shim.md "Shared memory")
PROBES = 8
STEP = 0x9E3779B1


def fnv1a32(data, h=2166136261):
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def main():
    path, line = sys.argv[1], int(sys.argv[2])
    st = os.stat(path)
    ident = struct.pack("<QQI", st.st_dev, st.st_ino, line)
    base = fnv1a32(ident, fnv1a32(TAG))
    for probe in range(PROBES):
        key = (base + probe * STEP) & 0xFFFFFFFF
        if key != 0:  # IPC_PRIVATE is never used
            print(f"0x{key:08x}")


if __name__ == "__main__":
    main()
