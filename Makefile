# libzmq in Rust: build, test, install, demonstrate, benchmark.
#
#   make                      release library in build/lib (headers stay in include/)
#   make run                  build, then a short tour of the example programs
#   make test                 Rust tests (core also with the draft options), exported-symbol
#                             check, C tests against the system libzmq (reference), then on
#                             ours (and under valgrind)
#   make lint                 rustfmt and clippy, warnings as errors
#   make bench                our perf tools on this library and on the system libzmq
#   make install PREFIX=/usr/local
#
# Any C program builds with -Iinclude -Lbuild/lib -lzmq and runs with
# LD_LIBRARY_PATH=build/lib.

SOVERSION   := 5
LIBVERSION  := 5.2.5
VERSION     := 4.3.5
PREFIX      ?= /usr/local
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
CARGO       ?= cargo
CC          ?= cc
BUILD       := build
CARGO_OUT   := target/release

.PHONY: all lib run test test-rust test-symbols test-reference test-c lint bench install clean

all: lib

lib:
	$(CARGO) build --release
	mkdir -p $(BUILD)/lib
	cp -f $(CARGO_OUT)/libzmq.so $(BUILD)/lib/libzmq.so.$(LIBVERSION)
	ln -sf libzmq.so.$(LIBVERSION) $(BUILD)/lib/libzmq.so.$(SOVERSION)
	ln -sf libzmq.so.$(SOVERSION) $(BUILD)/lib/libzmq.so
	cp -f $(CARGO_OUT)/libzmq.a $(BUILD)/lib/libzmq.a

run: lib
	bash examples-c/tour.sh

test: lib test-rust test-symbols test-reference test-c

test-rust:
	$(CARGO) test --workspace --release
	$(CARGO) test -p zmq-core --release --features draft

test-symbols: lib
	bash c-tests/check_symbols.sh $(BUILD)/lib/libzmq.so.$(SOVERSION)

# The same C tests against the system libzmq: proves they expect libzmq's
# behaviour (checks of input libzmq crashes on are ours only).
test-reference:
	REFERENCE=1 VALGRIND=0 bash c-tests/run.sh

test-c: lib
	bash c-tests/run.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p zmq-core --all-targets --features draft -- -D warnings

bench: lib
	bash perf/bench.sh

install: lib
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 755 $(BUILD)/lib/libzmq.so.$(LIBVERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libzmq.so.$(LIBVERSION) $(DESTDIR)$(LIBDIR)/libzmq.so.$(SOVERSION)
	ln -sf libzmq.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libzmq.so
	install -m 644 $(BUILD)/lib/libzmq.a $(DESTDIR)$(LIBDIR)/
	install -m 644 include/zmq.h include/zmq_utils.h $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    libzmq.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libzmq.pc

clean:
	$(CARGO) clean
	rm -rf $(BUILD)
