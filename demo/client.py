#!/usr/bin/env python3
"""Demo client: N TCP connections from one process to HOST:PORT.

Each connection sends "python3" as one line and reads the server's answer (the source
address it saw). Without --hold every connection is closed before the next one opens;
with --hold all of them stay open until the last one has been answered, which is what
makes the least-connections policy (lc) spread them.

With --linger SECONDS FILE the process stays alive after its connections until FILE
exists, at most SECONDS, and then exits normally (being killed instead would skip the
library's clean-up at exit).

usage: client.py HOST PORT N [--hold] [--linger SECONDS FILE]
"""
import os
import socket
import sys
import time


def main():
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    options = sys.argv[4:]
    hold = "--hold" in options
    linger, until = 0.0, None
    if "--linger" in options:
        at = options.index("--linger")
        linger, until = float(options[at + 1]), options[at + 2]
    held = []
    for _ in range(count):
        s = socket.create_connection((host, port), timeout=5)
        s.sendall(b"python3\n")
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = s.recv(256)
            if not chunk:
                break
            answer += chunk
        if hold:
            held.append(s)
        else:
            s.close()
    for s in held:
        s.close()
    deadline = time.monotonic() + linger
    while until and not os.path.exists(until) and time.monotonic() < deadline:
        time.sleep(0.02)


if __name__ == "__main__":
    main()
