#!/usr/bin/env python3
"""Runs a command as a child subreaper (prctl PR_SET_CHILD_SUBREAPER): every
descendant, orphaned or not, is reparented to and reaped here, so
RUSAGE_CHILDREN holds the CPU of the whole process tree, Chromium processes
left behind when a browser is killed included (a parent's cutime alone misses
them: they are reaped by init). Waits for the last descendant. Prints one line
on stderr: REAP exit=N wall_ms=N cpu_ms=N; exits with the command's code.

    /usr/bin/python3 bench/lib/reap.py command args...
"""
import ctypes, os, resource, subprocess, sys, time

PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
started = time.monotonic()
child = subprocess.Popen(sys.argv[1:])
code = child.wait()
wall = time.monotonic() - started
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"REAP exit={code} wall_ms={wall * 1000:.0f} cpu_ms={(usage.ru_utime + usage.ru_stime) * 1000:.0f}", file=sys.stderr)
sys.exit(code)
