#!/usr/bin/env python3
"""Runs a command with a syslog receiver on /dev/log; prints each datagram received as a
line on OUT after the command ends. The receiver socket exists before the command starts
and the messages wait in its queue, so nothing needs to run concurrently.

usage: syslog_capture.py OUT COMMAND [ARG...]   (exit status: the command's)
"""
import os
import socket
import subprocess
import sys


def main():
    out, cmd = sys.argv[1], sys.argv[2:]
    if os.path.exists("/dev/log"):
        os.unlink("/dev/log")
    rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    rx.bind("/dev/log")
    rx.setblocking(False)
    status = subprocess.run(cmd, timeout=30).returncode
    with open(out, "w") as f:
        while True:
            try:
                data = rx.recv(65536)
            except BlockingIOError:
                break
            f.write(data.decode(errors="replace").rstrip("\n") + "\n")
    sys.exit(status)


if __name__ == "__main__":
    main()
