"""A pytest plugin: the session stops unless pyzmq runs on the library at
$ZMQ_EXPECTED_LIBRARY (the only libzmq mapped into the process, reporting
the version in $ZMQ_EXPECTED_VERSION)."""
import os

import pytest


def pytest_sessionstart(session):
    import zmq

    expected = os.path.realpath(os.environ["ZMQ_EXPECTED_LIBRARY"])
    with open("/proc/self/maps") as maps:
        mapped = {line.split()[-1] for line in maps if "libzmq.so" in line}
    mapped = {os.path.realpath(path) for path in mapped}
    if mapped != {expected}:
        raise pytest.UsageError(f"libzmq mapped: {sorted(mapped)}, expected {expected}")
    version = zmq.zmq_version()
    if version != os.environ["ZMQ_EXPECTED_VERSION"]:
        raise pytest.UsageError(f"libzmq reports {version}")
    print(f"pyzmq {zmq.__version__} on {expected} (libzmq {version})")
