#!/usr/bin/python3
"""Feeds rsyslogd's imczmq inputs and reads its omczmq outputs, on the
system libzmq (Debian's pyzmq), for c-tests/test_app_rsyslog_czmq.sh.

    rsyslog_driver.py DIR N

Binds, on 127.0.0.1 with ports the kernel picks, a PUB (rsyslog's imczmq
SUB connects to it) and a PULL (rsyslog's omczmq PUSH connects), writes
their endpoints to DIR/endpoints and waits for DIR/go (rsyslogd is up).
Then:

  A. connects a PUSH to rsyslog's imczmq PULL at ipc://DIR/in.ipc and sends
     N syslog lines; all N must come back, in order and intact, from
     rsyslog's omczmq PUSH;
  B. publishes lines on topic "keep" (subscribed by imczmq) and "drop" (not
     subscribed) until five "keep" lines came back through omczmq; a marker
     line sent last through path A must arrive with no "drop" line before it.

Writes each line that came back through omczmq PUSH to DIR/pushed.txt.
Prints one "PASS: ..." or "FAIL: ..." line per check; exits non-zero on any
failure.
"""
import os
import sys
import time

import zmq

failures = 0


def check(ok, what):
    global failures
    print("%s: %s" % ("PASS" if ok else "FAIL", what), flush=True)
    if not ok:
        failures += 1
    return ok


def main():
    d, n = sys.argv[1], int(sys.argv[2])
    token = "%d.%d" % (os.getpid(), int(time.time()))
    ctx = zmq.Context()
    libs = sorted({l.split()[-1] for l in open("/proc/self/maps") if "libzmq" in l})
    print("driver: pyzmq %s on libzmq %s, mapped %s"
          % (zmq.pyzmq_version(), zmq.zmq_version(), " ".join(libs)), flush=True)
    if not check(zmq.zmq_version() != "4.3.5" and all("/build/lib/" not in l for l in libs),
                 "driver runs on the system libzmq, not ours"):
        return 1

    def sock(kind):
        s = ctx.socket(kind)
        s.setsockopt(zmq.LINGER, 1000)
        s.setsockopt(zmq.RCVTIMEO, 10000)
        s.setsockopt(zmq.SNDTIMEO, 10000)
        return s

    pub, pull = sock(zmq.PUB), sock(zmq.PULL)
    for s in (pub, pull):
        s.bind("tcp://127.0.0.1:*")
    with open(os.path.join(d, "endpoints.tmp"), "w") as f:
        for role, s in (("pub", pub), ("pull", pull)):
            f.write("%s %s\n" % (role, s.getsockopt_string(zmq.LAST_ENDPOINT)))
    os.rename(os.path.join(d, "endpoints.tmp"), os.path.join(d, "endpoints"))

    end = time.monotonic() + 30
    while not os.path.exists(os.path.join(d, "go")):
        if time.monotonic() > end:
            check(False, "rsyslogd never came up (no %s/go)" % d)
            return 1
        time.sleep(0.02)

    pushed = open(os.path.join(d, "pushed.txt"), "w")

    def pulled():
        parts = pull.recv_multipart()
        line = b"|".join(parts).decode(errors="replace")
        pushed.write(line if line.endswith("\n") else line + "\n")
        pushed.flush()
        return parts

    # A. imczmq PULL (rsyslog binds ipc) -> rsyslog -> omczmq PUSH (connects to us)
    push = sock(zmq.PUSH)
    push.connect("ipc://" + os.path.join(d, "in.ipc"))
    for i in range(n):
        push.send_string("<14>zmqtest[%d]: push line %d %s" % (os.getpid(), i, token))
    want = [[("zmqtest[%d]: push line %d %s\n" % (os.getpid(), i, token)).encode()]
            for i in range(n)]
    got = [pulled() for _ in range(n)]
    bad = [(w, g) for w, g in zip(want, got) if w != g]
    check(not bad, "imczmq PULL (bind ipc) -> rsyslog -> omczmq PUSH (connect tcp): "
          "%d/%d syslog lines came back in order and intact%s"
          % (n - len(bad), n, " first bad %r" % (bad[0],) if bad else ""))

    # B. our PUB (bind) -> imczmq SUB (connect, topic "keep") -> omczmq PUSH
    kept, dropped, r = 0, [], 0
    pull.setsockopt(zmq.RCVTIMEO, 20)
    end = time.monotonic() + 15
    while kept < 5 and time.monotonic() < end:
        r += 1
        pub.send_multipart([b"drop", ("<14>zmqtest: dropped %d %s" % (r, token)).encode()])
        pub.send_multipart([b"keep", ("<14>zmqtest: kept %d %s" % (r, token)).encode()])
        try:
            while True:
                line = pulled()[0].decode()
                if "dropped" in line:
                    dropped.append(line)
                elif "kept" in line:
                    kept += 1
        except zmq.Again:
            pass
    pull.setsockopt(zmq.RCVTIMEO, 10000)
    marker = "zmqtest: marker %s" % token
    push.send_string("<14>" + marker)
    try:
        while True:
            line = pulled()[0].decode()
            if "dropped" in line:
                dropped.append(line)
            elif "kept" in line:
                kept += 1
            elif marker in line:
                break
        got_marker = True
    except zmq.Again:
        got_marker = False
    check(kept >= 5, "PUB (bind tcp) -> imczmq SUB (connect, topics=\"keep\") -> rsyslog -> "
          "omczmq PUSH: %d \"keep\" lines came back after %d published" % (kept, r))
    check(got_marker and not dropped, "imczmq SUB's topic filter kept out every \"drop\" line "
          "(marker %s%s)" % ("arrived" if got_marker else "MISSING",
                             ", got %r" % dropped[:2] if dropped else ""))

    for s in (pub, pull, push):
        s.close()
    ctx.term()
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except zmq.Again:
        print("FAIL: driver timed out waiting for rsyslogd", flush=True)
        sys.exit(1)
