#!/usr/bin/env python3
"""Records what a real libzmq peer sends and writes it as fuzz seeds.

A plain listener plays a ZMTP 3.1 ROUTER with the NULL or PLAIN mechanism
(a canned greeting and READY, or WELCOME and READY for PLAIN); Debian's
pyzmq, on the system libzmq, connects as a DEALER and sends two messages,
one of them multipart. Its bytes become seeds for the engine, greeting,
frames and commands targets (fuzz/seeds/<target>/).

    LD_LIBRARY_PATH= /usr/bin/python3 fuzz/record_seeds.py
"""
import os
import socket
import struct
import threading
import time

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))


def greeting(mechanism, as_server):
    return (b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03\x01"
            + mechanism.ljust(20, b"\0") + bytes([as_server]) + b"\0" * 31)


def command(name, body=b""):
    data = bytes([len(name)]) + name + body
    return bytes([0x04, len(data)]) + data


def prop(name, value):
    return bytes([len(name)]) + name + struct.pack(">I", len(value)) + value


def record(mechanism):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    got = bytearray()

    def serve():
        conn, _ = listener.accept()
        conn.settimeout(0.3)
        conn.sendall(greeting(mechanism, 1))
        ready = command(b"READY", prop(b"Socket-Type", b"ROUTER"))
        if mechanism == b"NULL":
            conn.sendall(ready)
        deadline = time.time() + 2
        welcomed = readied = False
        while time.time() < deadline:
            try:
                chunk = conn.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                break
            got.extend(chunk)
            if mechanism != b"PLAIN":
                continue
            if not welcomed and b"HELLO" in got:
                conn.sendall(command(b"WELCOME"))
                welcomed = True
            if not readied and b"INITIATE" in got:
                conn.sendall(ready)
                readied = True
        conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    ctx = zmq.Context()
    dealer = ctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.ROUTING_ID, b"seed")
    if mechanism == b"PLAIN":
        dealer.plain_username = b"user"
        dealer.plain_password = b"password"
    dealer.connect("tcp://127.0.0.1:%d" % port)
    dealer.send(b"hello")
    dealer.send_multipart([b"part one", b"", b"x" * 300])
    thread.join()
    dealer.close(linger=0)
    ctx.term()
    listener.close()
    return bytes(got)


def write(target, name, data):
    folder = os.path.join(HERE, "seeds", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def frames_after_greeting(data):
    return data[64:]


for mechanism, setup in ((b"NULL", 0x04), (b"PLAIN", 0x05)):
    data = record(mechanism)
    assert data.startswith(b"\xff"), data[:16]
    name = mechanism.decode().lower()
    # engine: [setup, rounds, chunking, verdict], then the peer's bytes;
    # setup makes the victim a server of this mechanism.
    write("engine", name + "-client", bytes([setup, 0, 0xFF, 0]) + data)
    write("engine", name + "-client-bytewise", bytes([setup, 0, 1, 0]) + data)
    # greeting: [mode, chunking], then the greeting.
    write("greeting", name, bytes([0, 0xFF]) + data[:64])
    # frames: [version 3.x, no limit, handshake, chunking], then frames.
    write("frames", name, bytes([2, 0, 1, 0xFF]) + frames_after_greeting(data))
    # commands: each command's body (past its 2-octet header).
    rest = frames_after_greeting(data)
    index = 0
    while len(rest) >= 2 and rest[0] & 0x04:
        size = rest[1]
        write("commands", "%s-%d" % (name, index), rest[2:2 + size])
        rest = rest[2 + size:]
        index += 1
print("seeds written to", os.path.join(HERE, "seeds"))
