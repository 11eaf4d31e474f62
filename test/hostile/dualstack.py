#!/usr/bin/env python3
"""Sends one datagram to [::1]:PORT and one to 127.0.0.1:PORT from a UDP socket the
program binds to the wildcard with port 0, as many programs do before sending. Prints
"TARGET: sent" or "TARGET: error ERRNO_NAME" per datagram; the payload is "TAG TARGET".

usage: dualstack.py udp6|udp4 PORT TAG
  udp6  AF_INET6 socket (IPV6_V6ONLY off) bound to [::]:0; sends to ::1 and 127.0.0.1
        (as ::ffff:127.0.0.1)
  udp4  AF_INET socket bound to 0.0.0.0:0; sends to 127.0.0.1
"""
import errno
import socket
import sys


def main():
    mode, port, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if mode == "udp6":
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", 0))
        targets = [("::1", "::1"), ("127.0.0.1", "::ffff:127.0.0.1")]
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", 0))
        targets = [("127.0.0.1", "127.0.0.1")]
    for name, addr in targets:
        try:
            s.sendto(f"{tag} {name}".encode(), (addr, port))
            print(f"{name}: sent")
        except OSError as e:
            print(f"{name}: error {errno.errorcode.get(e.errno, e.errno)}")
    s.close()


if __name__ == "__main__":
    main()
