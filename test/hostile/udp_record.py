#!/usr/bin/env python3
"""UDP recording server for the dual-stack checks: receives on 127.0.0.1:PORT and on
[::1]:PORT (IPv6-only) and appends "PAYLOAD SOURCE" per datagram to LOG (IPv4-mapped
sources written as plain IPv4), flushed before the next datagram is read. Touches READY
once both sockets are bound. Ends by itself after 600 s at the latest.

usage: udp_record.py PORT LOG READY
"""
import selectors
import socket
import sys
import time


def main():
    port, log, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    sel = selectors.DefaultSelector()
    s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s4.bind(("127.0.0.1", port))
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s6.bind(("::1", port))
    for s in (s4, s6):
        sel.register(s, selectors.EVENT_READ)
    open(ready, "w").close()
    end = time.monotonic() + 600
    with open(log, "a") as out:
        while time.monotonic() < end:
            for key, _ in sel.select(timeout=1):
                data, peer = key.fileobj.recvfrom(2048)
                src = peer[0]
                if src.startswith("::ffff:") and "." in src:
                    src = src[7:]
                out.write(f"{data.decode(errors='replace')} {src}\n")
                out.flush()


if __name__ == "__main__":
    main()
