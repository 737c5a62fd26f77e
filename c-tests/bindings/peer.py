#!/usr/bin/python3
"""The far side of the binding exchanges: Debian's pyzmq on the system libzmq.

    peer.py DIR NAME

Plays the counterpart of c-tests/bindings/*_side.* (the binding under test,
on our library). Both sides publish their bound endpoints in DIR (the
binding's in DIR/b.eps, ours in DIR/p.eps, one "role endpoint" a line,
written to a temporary name and renamed). The exchange, in order:

  1. REQ/REP, binding's REQ connects to our REP
  2. REQ/REP, our REQ connects to the binding's REP
  3. PUSH/PULL, binding's PUSH connects to our PULL
  4. PUSH/PULL, our PUSH connects to the binding's PULL
  5. PUB/SUB, binding's SUB ("wx." and "alert") connects to our PUB
  6. PUB/SUB, our SUB ("wx." and "alert") connects to the binding's PUB

Every message is multipart; the payloads include an empty frame, a 100 KB
frame and binary bytes. Each check prints "PASS: ..." or "FAIL: ..."; the
exit status is non-zero on any failure. NAME names the binding in the lines.
"""
import os
import sys
import time

import zmq

TIMEOUT_MS = 10000
PAYLOADS = [b"", b"x" * 100000, bytes(range(256)), "h\u00e9llo w\u00f6rld".encode()]
TOPICS = [b"wx.", b"alert"]
failures = 0


def check(ok, what):
    global failures
    if ok:
        print("PASS: %s" % what, flush=True)
    else:
        failures += 1
        print("FAIL: %s" % what, flush=True)
    return ok


def wait_eps(path, deadline=20.0):
    end = time.monotonic() + deadline
    while not os.path.exists(path):
        if time.monotonic() > end:
            raise SystemExit("FAIL: %s never appeared" % path)
        time.sleep(0.02)
    eps = {}
    with open(path) as f:
        for line in f:
            role, ep = line.split()
            eps[role] = ep
    return eps


def write_eps(path, eps):
    with open(path + ".tmp", "w") as f:
        for role, ep in eps.items():
            f.write("%s %s\n" % (role, ep))
    os.rename(path + ".tmp", path)


def sock(ctx, kind):
    s = ctx.socket(kind)
    s.setsockopt(zmq.LINGER, 2000)
    s.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
    s.setsockopt(zmq.SNDTIMEO, TIMEOUT_MS)
    return s


def sub_receive(sub, name, who, side):
    """Read until 3 "wx." and 3 "alert" messages came; anything else fails."""
    seen = {t: 0 for t in TOPICS}
    bad = []
    while min(seen.values()) < 3:
        parts = sub.recv_multipart()
        topic = parts[0]
        match = [t for t in TOPICS if topic.startswith(t)]
        if not match or len(parts) != 2:
            bad.append(parts[:2])
            continue
        seen[match[0]] += 1
    check(not bad, "PUB/SUB %s: topic filter let through only subscribed topics "
          "(%s SUB on %s)%s" % (who, side, name, " got %r" % bad[:3] if bad else ""))
    check(True, "PUB/SUB %s: multipart messages on both topics arrived" % who)


def publish_until(pub, pull, expect, name):
    """Publish rounds of four topics until `expect` arrives on pull."""
    pull.setsockopt(zmq.RCVTIMEO, 0)
    end = time.monotonic() + 15
    r = 0
    try:
        while time.monotonic() < end:
            r += 1
            n = str(r).encode()
            pub.send_multipart([b"news." + n, b"not subscribed"])
            pub.send_multipart([b"wx." + n, b"sunny " + n])
            pub.send_multipart([b"wxx" + n, b"near miss"])
            pub.send_multipart([b"alert", b"alarm " + n])
            try:
                msg = pull.recv_multipart()
                return check(msg == expect, "PUB/SUB: %s confirmed its subscription "
                             "results (%r)" % (name, msg))
            except zmq.Again:
                time.sleep(0.02)
        return check(False, "PUB/SUB: no confirmation from %s's SUB within 15 s" % name)
    finally:
        pull.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)


def main():
    d, name = sys.argv[1], sys.argv[2]
    ctx = zmq.Context()
    print("peer: pyzmq %s on libzmq %s" % (zmq.pyzmq_version(), zmq.zmq_version()), flush=True)
    maps = open("/proc/self/maps").read()
    libs = sorted({l.split()[-1] for l in maps.splitlines() if "libzmq" in l})
    print("peer: mapped %s" % " ".join(libs), flush=True)
    if not check(zmq.zmq_version() != "4.3.5" and all("/build/lib/" not in l for l in libs),
                 "peer runs on the system libzmq, not ours"):
        return 1

    rep, pub, pull = sock(ctx, zmq.REP), sock(ctx, zmq.PUB), sock(ctx, zmq.PULL)
    for s in (rep, pub, pull):
        s.bind("tcp://127.0.0.1:*")
    write_eps(os.path.join(d, "p.eps"), {
        "rep": rep.getsockopt_string(zmq.LAST_ENDPOINT),
        "pub": pub.getsockopt_string(zmq.LAST_ENDPOINT),
        "pull": pull.getsockopt_string(zmq.LAST_ENDPOINT)})
    b = wait_eps(os.path.join(d, "b.eps"))

    # 1. the binding's REQ (connect) -> our REP (bind)
    ok = True
    for i, p in enumerate(PAYLOADS):
        msg = rep.recv_multipart()
        ok &= msg == [b"req", str(i).encode(), p]
        rep.send_multipart([b"rep", str(i).encode(), p[::-1], b"from-pyzmq"])
    check(ok, "REQ/REP: %s REQ (connect) -> pyzmq REP (bind), %d multipart requests "
          "arrived intact" % (name, len(PAYLOADS)))

    # 2. our REQ (connect) -> the binding's REP (bind)
    req = sock(ctx, zmq.REQ)
    req.connect(b["rep"])
    ok = True
    for i, p in enumerate(PAYLOADS):
        req.send_multipart([b"req", str(i).encode(), p])
        ok &= req.recv_multipart() == [b"rep", str(i).encode(), p[::-1], name.encode()]
    check(ok, "REQ/REP: pyzmq REQ (connect) -> %s REP (bind), %d multipart replies "
          "arrived intact" % (name, len(PAYLOADS)))

    # 3. the binding's PUSH (connect) -> our PULL (bind)
    got = [pull.recv_multipart() for _ in range(20)]
    want = [[b"push", str(i).encode(), PAYLOADS[i % len(PAYLOADS)]] for i in range(20)]
    check(got == want, "PUSH/PULL: %s PUSH (connect) -> pyzmq PULL (bind), 20 multipart "
          "messages in order" % name)

    # 4. our PUSH (connect) -> the binding's PULL (bind)
    push = sock(ctx, zmq.PUSH)
    push.connect(b["pull"])
    for i in range(20):
        push.send_multipart([b"push", str(i).encode(), PAYLOADS[i % len(PAYLOADS)]])
    check(True, "PUSH/PULL: pyzmq PUSH (connect) -> %s PULL (bind), 20 sent" % name)

    # 5. our PUB (bind) -> the binding's SUB (connect); it confirms over PUSH
    publish_until(pub, pull, [b"sub-done", b"ok"], name)

    # 6. the binding's PUB (bind) -> our SUB (connect); we confirm over PUSH
    sub = sock(ctx, zmq.SUB)
    for t in TOPICS:
        sub.setsockopt(zmq.SUBSCRIBE, t)
    sub.connect(b["pub"])
    sub_receive(sub, name, "%s PUB (bind) -> pyzmq SUB (connect)" % name, "pyzmq")
    push.send_multipart([b"sub-done", b"ok"])

    # The binding says goodbye over REQ/REP once it has seen everything.
    msg = rep.recv_multipart()
    check(msg == [b"bye", name.encode()], "%s finished its side (%r)" % (name, msg))
    rep.send_multipart([b"bye"])

    for s in (rep, pub, pull, req, push, sub):
        s.close()
    ctx.term()
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except zmq.Again:
        print("FAIL: peer timed out waiting for the binding", flush=True)
        sys.exit(1)
