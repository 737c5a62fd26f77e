#!/usr/bin/env bash
# The Debian packages `make test` needs, installed when missing.
#
#   bash scripts/deps.sh            # check; as root, install what is missing
#   bash scripts/deps.sh --list     # print the list
#
# As root, a missing package is installed (one `apt-get update` first).
# Otherwise the script stops at once and prints the command to run.
set -eu

packages=(
    # building and checking the library and the C tests
    gcc g++ make pkg-config binutils valgrind
    # the reference: the real libzmq, its C++ header, and programs built on it
    libzmq3-dev cppzmq-dev libczmq-dev
    # pyzmq on our library, and its own test suite
    python3-zmq python3-pytest python3-tornado
    # the install: its CMake package and man pages
    cmake scdoc man-db
    # other bindings and a real application on our library
    libzmq-ffi-perl ruby-ffi-rzmq rsyslog rsyslog-czmq
    # a real SOCKS5 proxy for ZMQ_SOCKS_PROXY
    microsocks
    # the benchmark's chart (make bench; the perf stage draws one too)
    python3-matplotlib
)

if [ "${1:-}" = --list ]; then
    printf '%s\n' "${packages[@]}"
    exit 0
fi

missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "make test needs these Debian packages: ${missing[*]}"
    echo "install them with:"
    echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
