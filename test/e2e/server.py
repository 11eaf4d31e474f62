#!/usr/bin/env python3
"""Recording server for the end-to-end tests.

Listens on TCP and UDP (IPv4, IPv6-only and dual-stack) and appends one line per
connection or datagram to LOG, *before* answering, so that a client which got its
answer is already counted:

    LISTENER SRC_IP SRC_PORT DST_IP DST_PORT

IPv4-mapped peers (seen on the dual-stack listeners) are written as plain IPv4.
Answers: raw TCP and UDP get "SRC_IP SRC_PORT\\n"; HTTP gets a 200 with that body;
the DNS listener answers NXDOMAIN for every query.

usage: server.py LOG READY_FILE
"""
import os
import selectors
import socket
import sys

RAW, HTTP, UDP, DNS = "raw", "http", "udp", "dns"

# name, kind, family, v6only, port
LISTENERS = [
    ("tcp4", RAW, socket.AF_INET, None, 7001),
    ("tcp6", RAW, socket.AF_INET6, True, 7001),
    ("tcpd", RAW, socket.AF_INET6, False, 7002),
    ("http4", HTTP, socket.AF_INET, None, 7080),
    ("http6", HTTP, socket.AF_INET6, True, 7080),
    ("udp4", UDP, socket.AF_INET, None, 7001),
    ("udp6", UDP, socket.AF_INET6, True, 7001),
    ("udpd", UDP, socket.AF_INET6, False, 7002),
    ("dns4", DNS, socket.AF_INET, None, 53),
]


def plain(ip):
    return ip[7:] if ip.startswith("::ffff:") and "." in ip else ip


class Recorder:
    def __init__(self, path):
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def record(self, name, src, dst):
        line = f"{name} {plain(src[0])} {src[1]} {plain(dst[0])} {dst[1]}\n"
        os.write(self.fd, line.encode())  # one O_APPEND write per line
        return f"{plain(src[0])} {src[1]}\n".encode()


def open_listener(kind, family, v6only, port):
    stype = socket.SOCK_DGRAM if kind in (UDP, DNS) else socket.SOCK_STREAM
    s = socket.socket(family, stype)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if v6only else 0)
    s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
    if stype == socket.SOCK_STREAM:
        s.listen(1024)
    s.setblocking(False)
    return s


def dns_nxdomain(query):
    if len(query) < 12:
        return None
    # same id, QR=1 RD=1 RA=1 RCODE=3, same question, no answers
    return query[:2] + b"\x81\x83" + query[4:6] + b"\0" * 6 + query[12:]


def main():
    log, ready = sys.argv[1], sys.argv[2]
    rec = Recorder(log)
    sel = selectors.DefaultSelector()
    for name, kind, family, v6only, port in LISTENERS:
        s = open_listener(kind, family, v6only, port)
        sel.register(s, selectors.EVENT_READ, ("listen", name, kind))
    with open(ready, "w") as f:
        f.write(f"{os.getpid()}\n")

    while True:
        for key, _ in sel.select():
            role, name, kind = key.data[0], key.data[1], key.data[2]
            sock = key.fileobj
            try:
                if role == "listen" and kind in (UDP, DNS):
                    data, peer = sock.recvfrom(65535)
                    answer = rec.record(name, peer, sock.getsockname())
                    if kind == DNS:
                        answer = dns_nxdomain(data)
                    if answer:
                        sock.sendto(answer, peer)
                elif role == "listen":
                    conn, peer = sock.accept()
                    answer = rec.record(name, peer, conn.getsockname())
                    conn.setblocking(False)
                    if kind == RAW:
                        conn.send(answer)
                    sel.register(conn, selectors.EVENT_READ, ("conn", name, kind, answer, [b""]))
                else:
                    on_readable(sel, sock, key.data)
            except OSError:
                if role == "conn":
                    sel.unregister(sock)
                    sock.close()


def on_readable(sel, conn, data):
    _, _, kind, answer, buf = data
    chunk = conn.recv(65536)
    if kind == HTTP and chunk:
        buf[0] = (buf[0] + chunk)[-65536:]
        if b"\r\n\r\n" not in buf[0]:
            return
        head = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
        head += b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(answer)
        conn.sendall(head + answer)
    elif chunk:
        return  # raw TCP: ignore what the client sends, wait for its close
    sel.unregister(conn)
    conn.close()


if __name__ == "__main__":
    main()
