#!/usr/bin/env python3
"""Hostile and concurrent clients of the engine's control socket.

ctl_client.py SOCKET CHECK   runs one check and exits 0 when it holds:
  oversized  a 70 000-byte line is refused with a reason and disconnected
  partial    a request split across writes is answered once whole
  garbage    broken JSON is refused and disconnected; a client connected
             before it is still served
  clients    16 clients are served at once, the 17th is refused; after they
             go, a new one is served
  busy       of two reloads sent back to back, the second answers busy
             (tried up to 10 times: the first may finish first)
ctl_client.py SOCKET reloads N ODD EVEN
             N reloads on one connection, ODD's snapshot at odd generations
             and EVEN's at even ones; prints the slowest in ms
"""
import json
import socket
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s


def reply(s):
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return json.loads(buf) if buf else None


def closed(s):
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, socket.timeout):
        return True


def ask(s, req):
    s.sendall(json.dumps(req).encode() + b"\n")
    return reply(s)


def oversized(path):
    s = connect(path)
    try:
        s.sendall(b"x" * 70000)
    except BrokenPipeError:
        pass
    r = reply(s)
    return r is not None and not r["ok"] and "64 KiB" in r["error"] and closed(s)


def partial(path):
    s = connect(path)
    s.sendall(b'{"cmd":')
    time.sleep(0.2)
    s.sendall(b'"status"}\n')
    r = reply(s)
    return r["ok"] and r["generation"] >= 1


def garbage(path):
    good = connect(path)
    bad = connect(path)
    bad.sendall(b"\x00\xffnot json at all\n")
    r = reply(bad)
    ok = r is not None and not r["ok"] and "invalid JSON" in r["error"] and closed(bad)
    return ok and ask(good, {"cmd": "version"})["ok"]


def clients(path):
    held = [connect(path) for _ in range(16)]
    for s in held:  # each is being served
        if not ask(s, {"cmd": "version"})["ok"]:
            return False
    extra = connect(path)
    r = reply(extra)
    refused = r is not None and not r["ok"] and "too many clients" in r["error"]
    for s in held:
        s.close()
    time.sleep(0.3)
    return refused and ask(connect(path), {"cmd": "status"})["ok"]


def busy(path, snap):
    for _ in range(10):
        a, b = connect(path), connect(path)
        a.sendall(json.dumps({"cmd": "reload", "path": snap}).encode() + b"\n")
        b.sendall(json.dumps({"cmd": "reload", "path": snap}).encode() + b"\n")
        ra, rb = reply(a), reply(b)
        if not ra["ok"]:
            return False
        if not rb["ok"] and rb["error"].startswith("busy"):
            return True
    return False


def reloads(path, n, odd, even):
    s = connect(path)
    gen = ask(s, {"cmd": "status"})["generation"]
    slowest = 0.0
    for _ in range(n):
        gen += 1
        r = ask(s, {"cmd": "reload", "path": odd if gen % 2 else even})
        if not r["ok"] or r["generation"] != gen:
            print(f"reload to generation {gen}: {r}")
            return False
        slowest = max(slowest, r["duration_ms"])
    print(f"{slowest:.1f}")
    return True


def main():
    path, check = sys.argv[1], sys.argv[2]
    if check == "reloads":
        sys.exit(0 if reloads(path, int(sys.argv[3]), sys.argv[4], sys.argv[5]) else 1)
    fn = {"oversized": oversized, "partial": partial, "garbage": garbage,
          "clients": clients}.get(check)
    ok = busy(path, sys.argv[3]) if check == "busy" else fn(path)
    print(f"{check}: {'ok' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
