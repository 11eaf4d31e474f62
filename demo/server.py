#!/usr/bin/env python3
"""Recording server for `make demo`.

Listens on TCP port PORT of every address given (all of them in 127.0.0.0/8) and, for
each connection, reads one request (an HTTP request or a single line), appends

    DEST_IP SOURCE_IP CLIENT

to LOG (CLIENT is the HTTP User-Agent or the line the client sent), and answers with the
source address it saw ("200 OK" with that body for HTTP). Connections are answered in
the order they arrive; a client that sends nothing is dropped after two seconds.

PORT 0 means any free port: the first address picks it and the others use the same. Once
listening, the server writes "PID PORT" to READY_FILE. It stops on SIGTERM, or by itself
after MAX_SECONDS so that a demo that dies without cleaning up never leaves it behind.

usage: server.py LOG READY_FILE PORT MAX_SECONDS ADDRESS...
"""
import os
import selectors
import signal
import socket
import sys
import time


def client_name(request):
    """The User-Agent of an HTTP request, or the first line of anything else."""
    text = request.decode("ascii", "replace")
    lines = text.split("\r\n") if "\r\n" in text else text.split("\n")
    if lines and lines[0].startswith(("GET ", "HEAD ", "POST ")):
        for line in lines[1:]:
            if line.lower().startswith("user-agent:"):
                return line.split(":", 1)[1].strip().split("/")[0] or "http"
        return "http"
    return (lines[0].strip() if lines else "") or "?"


def answer(request, source):
    body = f"{source}\n".encode()
    if request.startswith((b"GET ", b"HEAD ", b"POST ")):
        head = (f"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        return head + body
    return body


def complete(request):
    if request.startswith((b"GET ", b"HEAD ", b"POST ")):
        return b"\r\n\r\n" in request
    return b"\n" in request


def main():
    log, ready, port, max_seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    addresses = sys.argv[5:]
    deadline = time.monotonic() + max_seconds
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sel = selectors.DefaultSelector()
    for address in addresses:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((address, port))
        port = s.getsockname()[1]
        s.listen(128)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, None)
    with open(ready + ".tmp", "w") as f:
        f.write(f"{os.getpid()} {port}\n")
    os.rename(ready + ".tmp", ready)

    pending = {}  # connection -> [bytes so far, source, destination, give-up time]
    while time.monotonic() < deadline:
        now = time.monotonic()
        for conn, state in list(pending.items()):
            if now > state[3]:
                sel.unregister(conn)
                conn.close()
                del pending[conn]
        for key, _ in sel.select(timeout=0.2):
            if key.data is None:
                try:
                    conn, peer = key.fileobj.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(False)
                pending[conn] = [b"", peer[0], conn.getsockname()[0], now + 2.0]
                sel.register(conn, selectors.EVENT_READ, "client")
                continue
            conn = key.fileobj
            state = pending[conn]
            try:
                chunk = conn.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                chunk = b""
            state[0] += chunk
            if chunk and not complete(state[0]) and len(state[0]) < 16384:
                continue
            sel.unregister(conn)
            del pending[conn]
            if state[0]:
                os.write(out, f"{state[2]} {state[1]} {client_name(state[0])}\n".encode())
                try:
                    conn.setblocking(True)
                    conn.settimeout(1.0)
                    conn.sendall(answer(state[0], state[1]))
                except OSError:
                    pass
            conn.close()


if __name__ == "__main__":
    main()
