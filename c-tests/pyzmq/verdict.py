"""Reads pytest's JUnit XML reports and prints the node ids (relative to
pyzmq's test folder) of the tests that failed or errored, one per line,
leaving out those in the known-failures file given with --known (an entry
covers every parameter of its test: "test_x.py::test_y" covers
"test_x.py::test_y[2]")."""
import argparse
import re
import xml.etree.ElementTree as ET


def failed(path):
    for case in ET.parse(path).getroot().iter("testcase"):
        if case.find("failure") is None and case.find("error") is None:
            continue
        # classname is "test_x.TestY" or "test_x" (the test folder is the
        # root directory), or the same behind "zmq.tests.".
        parts = case.get("classname", "").split(".")
        module = next((i for i, p in enumerate(parts) if p.startswith("test_")), None)
        if module is None:
            yield case.get("name")
            continue
        folders = parts[:module]
        if folders[:2] == ["zmq", "tests"]:
            folders = folders[2:]
        node = "/".join(folders + [parts[module]]) + ".py"
        node += "".join("::" + p for p in parts[module + 1:])
        yield node + "::" + case.get("name")


def known(path):
    with open(path) as f:
        return {re.sub(r"#.*", "", line).strip() for line in f} - {""}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--known", required=True)
    parser.add_argument("reports", nargs="+")
    args = parser.parse_args()
    allowed = known(args.known)
    seen = set()
    for report in args.reports:
        for node in failed(report):
            if node.split("[")[0] in allowed or node in allowed or node in seen:
                continue
            seen.add(node)
            print(node)


main()
