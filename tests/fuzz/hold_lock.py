#!/usr/bin/python3
"""Runs a command while another process holds a popsim output lock, as a second writer would
find it (docs/files.md, "Analysis tools"): the POSIX record lock of LOCKFILE, whose one line
names this process. Exits with the command's exit code (re-raising the signal that ended it).

Usage: hold_lock.py LOCKFILE COMMAND [ARG...]
"""
import fcntl
import os
import signal
import subprocess
import sys


def main():
    lock, command = sys.argv[1], sys.argv[2:]
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.ftruncate(fd, 0)
    os.write(fd, f"pid {os.getpid()} on fuzz-host since 2026-01-01T00:00:00Z: hold_lock.py (the fuzz suite)\n".encode())
    code = subprocess.call(command)
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    sys.exit(code)


if __name__ == "__main__":
    main()
