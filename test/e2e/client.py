#!/usr/bin/env python3
"""Python clients for the end-to-end tests (run through shim/src_vipa.sh or not).

Every mode prints one line per socket: the local address the socket ended up with
(getsockname, as Python shows it). Usage: client.py MODE [options]; see --help.
"""
import argparse
import ctypes
import errno
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

TIMEOUT = 5.0


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def read_line(s):
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(256)
        if not chunk:
            break
        data += chunk
    return data.decode().strip()


def tcp_once(host, port, bind=None):
    s = socket.socket(family_of(host), socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    if bind:
        s.bind((bind, 0))
    s.connect((host, port))
    read_line(s)  # the server recorded us before answering
    return s


def local_ip(s):
    return s.getsockname()[0]


def mode_tcp(a):
    """N sequential connections, each closed before the next (HOST may be a comma
    separated list: the connections cycle through it)."""
    hosts = a.host.split(",")
    for i in range(a.n):
        s = tcp_once(hosts[i % len(hosts)], a.port, a.bind)
        print(local_ip(s), flush=True)
        s.close()
        if i == 0 and a.barrier:
            wait_for_file(a.barrier)
    if a.exit_fifo:
        # blocks until the test opens the fifo for writing and closes it: every process
        # waiting here wakes up (and exits) at the same moment
        with open(a.exit_fifo, "rb") as f:
            f.read()


def wait_for_file(path, limit=30):
    deadline = time.monotonic() + limit
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.02)


def mode_lc(a):
    """Hold N connections, release those bound to the source of connection 0
    (by close, shutdown or dup2), then open M more while the others stay open."""
    held = [tcp_once(a.host, a.port) for _ in range(a.n)]
    for s in held:
        print(local_ip(s))
    victim = local_ip(held[0])
    spare = os.open(os.devnull, os.O_RDONLY)
    for s in [s for s in held if local_ip(s) == victim]:
        if a.release == "close":
            s.close()
        elif a.release == "shutdown":
            s.shutdown(socket.SHUT_RDWR)  # still open: only shutdown releases it
        elif a.release == "closerange":
            os.closerange(s.fileno(), s.fileno() + 1)  # close_range(2) where libc has it
            s.detach()
        else:
            os.dup2(spare, s.fileno())  # closes the socket behind Python's back
    print("released", victim)
    more = [tcp_once(a.host, a.port) for _ in range(a.m)]
    for s in more:
        print(local_ip(s))
    sys.stdout.flush()


def sendmmsg_to(s, payload, addr):
    """sendmmsg(2) of one datagram with a destination, through libc (ctypes finds
    the preloaded symbol first, as a C program would)."""
    libc = ctypes.CDLL(None, use_errno=True)
    info = socket.getaddrinfo(addr[0], addr[1], s.family, s.type)[0][4]
    if s.family == socket.AF_INET6:
        raw = struct.pack("!HHI16sI", s.family, info[1], 0,
                          socket.inet_pton(socket.AF_INET6, info[0]), 0)
        raw = struct.pack("=H", s.family) + raw[2:]
    else:
        raw = struct.pack("=H", s.family) + struct.pack("!H4s8x", info[1],
                                                        socket.inet_aton(info[0]))

    class IoVec(ctypes.Structure):
        _fields_ = [("base", ctypes.c_char_p), ("len", ctypes.c_size_t)]

    class MsgHdr(ctypes.Structure):
        _fields_ = [("name", ctypes.c_char_p), ("namelen", ctypes.c_uint32),
                    ("iov", ctypes.POINTER(IoVec)), ("iovlen", ctypes.c_size_t),
                    ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                    ("flags", ctypes.c_int)]

    class MMsgHdr(ctypes.Structure):
        _fields_ = [("hdr", MsgHdr), ("len", ctypes.c_uint)]

    iov = IoVec(payload, len(payload))
    msg = MMsgHdr(MsgHdr(raw, len(raw), ctypes.pointer(iov), 1, None, 0, 0), 0)
    if libc.sendmmsg(s.fileno(), ctypes.byref(msg), 1, 0) != 1:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def udp_exchange(s, host, port, how):
    payload = b"ping\n"
    if how == "sendmmsg":
        sendmmsg_to(s, payload, (host, port))
    elif how == "sendmsg":
        s.sendmsg([payload], [], 0, (host, port))
    elif how == "connect":
        s.connect((host, port))
        s.send(payload)
    else:
        s.sendto(payload, (host, port))
    s.recvfrom(256)


def mode_many(a):
    """Hold N connections at once, cycling over the comma separated PORTS; prints
    "ADDR PORT" of each, or "error ERRNO" when a connect fails."""
    ports = [int(p) for p in a.ports.split(",")]
    held = []
    for i in range(a.n):
        try:
            held.append(tcp_once(a.host, ports[i % len(ports)]))
            print("%s %d" % held[-1].getsockname()[:2])
        except OSError as e:
            print("error", errno.errorcode.get(e.errno, e.errno))
    sys.stdout.flush()


def mode_resvport(a):
    """libc's rresvport() and bindresvport(): they bind a reserved port on the
    wildcard from inside libc. Prints the address each socket got."""
    libc = ctypes.CDLL(None, use_errno=True)
    port = ctypes.c_int(1023)  # what rcmd() passes: IPPORT_RESERVED - 1, then downwards
    fd = libc.rresvport(ctypes.byref(port))
    if fd < 0:
        print("rresvport error", errno.errorcode.get(ctypes.get_errno()))
    else:
        print("rresvport", socket.socket(fileno=fd).getsockname()[0])
    s = socket.socket()
    if libc.bindresvport(s.fileno(), None) != 0:
        print("bindresvport error", errno.errorcode.get(ctypes.get_errno()))
    else:
        print("bindresvport", s.getsockname()[0])
    sys.stdout.flush()


def mode_udp(a):
    """UDP datagrams: --sockets sockets, each sending --per datagrams."""
    for _ in range(a.sockets):
        s = socket.socket(family_of(a.host), socket.SOCK_DGRAM)
        s.settimeout(TIMEOUT)
        if a.bind:
            s.bind((a.bind, 0))
        for _ in range(a.per):
            udp_exchange(s, a.host, a.port, a.how)
            print("%s %d" % s.getsockname()[:2])
        s.close()
    sys.stdout.flush()


def mode_tfo(a):
    """TCP Fast Open: sendto() with MSG_FASTOPEN on an unconnected TCP socket."""
    s = socket.socket(family_of(a.host), socket.SOCK_STREAM)
    s.sendto(b"hello\n", socket.MSG_FASTOPEN, (a.host, a.port))  # blocking: connects
    s.settimeout(TIMEOUT)
    read_line(s)
    print(local_ip(s), flush=True)


def mode_bindany(a):
    """Bind the wildcard on PORT, print getsockname; then optionally connect
    (TCP) or send (UDP) to the server, so that it records what a peer sees."""
    fam = socket.AF_INET if a.family == "4" else socket.AF_INET6
    kind = socket.SOCK_DGRAM if a.proto == "udp" else socket.SOCK_STREAM
    s = socket.socket(fam, kind)
    s.settimeout(TIMEOUT)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if a.family == "6" else 0)
    try:
        s.bind(("0.0.0.0" if fam == socket.AF_INET else "::", a.port))
    except OSError as e:
        print("bind", errno.errorcode.get(e.errno, e.errno), flush=True)
        return
    print("%s %d" % s.getsockname()[:2], flush=True)
    if a.to:
        host, port = a.to.rsplit(":", 1)
        if kind == socket.SOCK_DGRAM:
            udp_exchange(s, host.strip("[]"), int(port), "sendto")
        else:
            s.connect((host.strip("[]"), int(port)))
            read_line(s)


def mode_errno(a):
    """Print the errno name the application sees for a few failing calls."""
    fam = family_of(a.host)
    s = socket.socket(fam, socket.SOCK_STREAM)
    print("blocking", errno.errorcode.get(s.connect_ex((a.host, a.port)), "0"))
    s.close()
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setblocking(False)
    print("nonblocking", errno.errorcode.get(s.connect_ex((a.host, a.port)), "0"))
    s.close()
    s = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        s.sendto(b"x", (a.host, 0))
        print("sendto-port0", "0")
    except OSError as e:
        print("sendto-port0", errno.errorcode.get(e.errno, e.errno))
    try:
        s.sendmsg([b"x"])
        print("sendmsg-noaddr", "0")
    except OSError as e:
        print("sendmsg-noaddr", errno.errorcode.get(e.errno, e.errno))
    # connect() on a descriptor that is not a socket, through libc as C would call it
    libc = ctypes.CDLL(None, use_errno=True)
    sin = struct.pack("=H", socket.AF_INET) + struct.pack("!H4s8x", a.port,
                                                          socket.inet_aton("127.0.0.1"))
    fd = os.open(os.devnull, os.O_RDONLY)
    ctypes.set_errno(0)
    rc = libc.connect(fd, sin, len(sin))
    print("connect-notsock", rc, errno.errorcode.get(ctypes.get_errno(), "0"))
    sys.stdout.flush()


def mode_nbconnect(a):
    """Non-blocking connect() called again until it reports EISCONN, then 3 more
    times; prints the errno names (repeats collapsed). Then closes that socket and
    holds 2 new connections, printing their sources (for lc bookkeeping)."""
    s = socket.socket(family_of(a.host), socket.SOCK_STREAM)
    s.setblocking(False)
    names, extra = [], 3
    for _ in range(200):
        e = s.connect_ex((a.host, a.port))
        name = errno.errorcode.get(e, "0")
        if not names or names[-1] != name:
            names.append(name)
        if e in (0, errno.EISCONN):
            if extra == 0:
                break
            extra -= 1
        else:
            select.select([], [s], [], 0.05)
    print(" ".join(names))
    s.close()
    held = [tcp_once(a.host, a.port) for _ in range(2)]
    for h in held:
        print(local_ip(h))
    sys.stdout.flush()


def mode_hold(a):
    """One connection, then keep the process alive until FILE exists (or 30 s)."""
    for host in a.host.split(","):
        s = tcp_once(host, a.port)
        print(local_ip(s), flush=True)
        s.close()
    wait_for_file(a.until)


def mode_threads(a):
    """T threads, each making N sequential connections."""
    errors = []

    def worker():
        try:
            for _ in range(a.n):
                tcp_once(a.host, a.port).close()
        except OSError as e:
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(a.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("errors", len(errors), *errors[:3], flush=True)
    sys.exit(1 if errors else 0)


def mode_forks(a):
    """--pre connections in the parent, then C children each making one
    connection (all alive at once; the first 3 leave with exit(), running the
    atexit handlers, the others with _exit(): Python's exit is slow after fork)."""
    for _ in range(a.pre):
        print("parent", local_ip(tcp_once(a.host, a.port)))
    sys.stdout.flush()
    pids = []
    for i in range(a.children):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                print("child", local_ip(tcp_once(a.host, a.port)), flush=True)
            except OSError:
                code = 3
            if i < 3:
                sys.exit(code)
            os._exit(code)
        pids.append(pid)
    bad = 0
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        bad += status != 0
    print("failed-children", bad, flush=True)
    sys.exit(1 if bad else 0)


def mode_spawn(a):
    """One connection here, then the same client as a child started by subprocess
    (vfork+exec where Python uses it) and by posix_spawn; prints the children's status."""
    tcp_once(a.host, a.port).close()
    argv = [sys.executable, os.path.abspath(__file__), "tcp", a.host, str(a.port)]
    r = subprocess.run(argv, stdout=subprocess.DEVNULL, timeout=20)
    pid = os.posix_spawn(sys.executable, argv, os.environ,
                         file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
    _, status = os.waitpid(pid, 0)
    print("subprocess", r.returncode, "posix_spawn", os.waitstatus_to_exitcode(status), flush=True)


def mode_forkthreads(a):
    """Threads connect in a loop while the main thread forks children that each
    connect once (a child that inherits a held lock hangs: killed after 5 s)."""
    stop = threading.Event()
    errors = []

    def worker():
        while not stop.is_set():
            try:
                tcp_once(a.host, a.port).close()
            except OSError as e:
                errors.append(e)
                return

    if a.warm:
        tcp_once(a.host, a.port).close()  # the shim has loaded before any thread runs
    threads = [threading.Thread(target=worker) for _ in range(a.threads)]
    for t in threads:
        t.start()
    time.sleep(a.delay)
    bad = 0
    for _ in range(a.children):
        pid = os.fork()
        if pid == 0:
            signal.alarm(5)
            try:
                tcp_once(a.host, a.port).close()
                os._exit(0)
            except BaseException as e:
                os.write(2, b"child: %r\n" % e)
                os._exit(3)
        _, status = os.waitpid(pid, 0)
        if status != 0:
            bad += 1
            how = os.waitstatus_to_exitcode(status)
            print("child", pid, "killed by signal" if how < 0 else "exit", abs(how), file=sys.stderr)
    stop.set()
    for t in threads:
        t.join()
    print("failed-children", bad, "thread-errors", len(errors), flush=True)


def mode_fds(a):
    """Make one connection (so the shim initialises), then exec a program that
    lists its open descriptors: anything beyond 0-2 leaked through exec."""
    if a.host:
        tcp_once(a.host, a.port).close()
    code = "import os; print(' '.join(sorted(f for f in os.listdir('/proc/self/fd') if int(f) > 2)))"
    os.execv(sys.executable, [sys.executable, "-c", code])


def main():
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="mode", required=True)

    def add(name, fn, host=True):
        q = sub.add_parser(name, help=fn.__doc__)
        if host:
            q.add_argument("host")
            q.add_argument("port", type=int)
        q.set_defaults(fn=fn)
        return q

    q = add("tcp", mode_tcp)
    q.add_argument("-n", type=int, default=1)
    q.add_argument("--bind")
    q.add_argument("--barrier", help="after the first connection, wait for this file")
    q.add_argument("--exit-fifo", help="at the end, wait for end of file on this fifo")
    q = add("lc", mode_lc)
    q.add_argument("-n", type=int, default=6)
    q.add_argument("-m", type=int, default=2)
    q.add_argument("--release", choices=["close", "shutdown", "dup2", "closerange"], default="close")
    q = add("udp", mode_udp)
    q.add_argument("--sockets", type=int, default=1)
    q.add_argument("--per", type=int, default=1)
    q.add_argument("--how", choices=["sendto", "sendmsg", "sendmmsg", "connect"], default="sendto")
    q.add_argument("--bind")
    add("tfo", mode_tfo)
    q = sub.add_parser("many", help=mode_many.__doc__)
    q.add_argument("host")
    q.add_argument("ports")
    q.add_argument("-n", type=int, default=10)
    q.set_defaults(fn=mode_many)
    sub.add_parser("resvport", help=mode_resvport.__doc__).set_defaults(fn=mode_resvport)
    q = add("bindany", mode_bindany, host=False)
    q.add_argument("port", type=int)
    q.add_argument("--family", choices=["4", "6", "dual"], default="4")
    q.add_argument("--proto", choices=["tcp", "udp"], default="tcp")
    q.add_argument("--to", help="HOST:PORT to connect/send to after the bind")
    add("errno", mode_errno)
    add("nbconnect", mode_nbconnect)
    q = add("hold", mode_hold)
    q.add_argument("--until", required=True)
    q = add("threads", mode_threads)
    q.add_argument("--threads", type=int, default=8)
    q.add_argument("-n", type=int, default=100)
    q = add("forks", mode_forks)
    q.add_argument("--pre", type=int, default=0)
    q.add_argument("--children", type=int, default=6)
    add("spawn", mode_spawn)
    q = add("forkthreads", mode_forkthreads)
    q.add_argument("--threads", type=int, default=4)
    q.add_argument("--children", type=int, default=30)
    q.add_argument("--delay", type=float, default=0, help="seconds before the first fork")
    q.add_argument("--warm", action="store_true", help="connect once before the threads")
    q = sub.add_parser("fds", help=mode_fds.__doc__)
    q.add_argument("host", nargs="?")
    q.add_argument("port", nargs="?", type=int)
    q.set_defaults(fn=mode_fds)

    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
