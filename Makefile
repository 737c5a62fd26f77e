# libzmq in Rust: build, test, install, demonstrate, benchmark.
#
#   make                      release library in build/lib (headers stay in include/)
#   make run                  build, then a short tour of the example programs
#   make test                 every test, stage by stage (scripts/test.sh): lint, Rust
#                             tests (stable and draft builds), exported symbols, the C
#                             tests against the system libzmq (reference), then on ours
#                             (natively, under valgrind, interop, pyzmq, CZMQ...); the
#                             last line is "N passed, M failed". Installs the Debian
#                             packages it needs first (scripts/deps.sh).
#   make lib-draft            the library with the draft API, in build/draft/lib
#   make test-asan            the C tests under AddressSanitizer, UBSan, LSan
#   make test-loom            the loom models of the queue, the pipe and the mailbox
#   make interop-draft LIBZMQ_DRAFT=dir
#                             the draft socket types against a libzmq built with
#                             the draft API (dir holds its include/ and lib/)
#   make soak                 the load tests at full size for SOAK_MINUTES (10), with
#                             their figures (scripts/soak.sh); not part of make test
#   make fuzz-smoke           every fuzz target for FUZZ_SECONDS (30) each
#   make lint                 rustfmt and clippy, warnings as errors
#   make bench                our perf tools on this library and on the system libzmq:
#                             a table, bench/results.tsv, bench/results.svg (QUICK=1:
#                             under two minutes); not part of make test
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
MANDIR      ?= $(PREFIX)/share/man
CARGO       ?= cargo
CC          ?= cc
BUILD       := build
CARGO_OUT   := target/release

.PHONY: all lib lib-draft fuzz-smoke test-asan test-loom interop-draft soak run deps test test-rust test-symbols test-reference test-c test-perf lint bench install clean

all: lib

lib:
	$(CARGO) build --release
	mkdir -p $(BUILD)/lib
	# Copied under a new name and renamed, so programs running on the old
	# library keep their mapping.
	cp -f $(CARGO_OUT)/libzmq.so $(BUILD)/lib/.libzmq.so.new
	mv -f $(BUILD)/lib/.libzmq.so.new $(BUILD)/lib/libzmq.so.$(LIBVERSION)
	ln -sf libzmq.so.$(LIBVERSION) $(BUILD)/lib/libzmq.so.$(SOVERSION)
	ln -sf libzmq.so.$(SOVERSION) $(BUILD)/lib/libzmq.so
	cp -f $(CARGO_OUT)/libzmq.a $(BUILD)/lib/.libzmq.a.new
	mv -f $(BUILD)/lib/.libzmq.a.new $(BUILD)/lib/libzmq.a

# The library with the draft API (as libzmq's --enable-drafts) in
# build/draft/lib, for the C tests of c-tests/draft/. It leaves the draft
# build in target/release, which the next `make lib` relinks.
lib-draft:
	$(CARGO) build --release --features draft
	mkdir -p $(BUILD)/draft/lib
	cp -f $(CARGO_OUT)/libzmq.so $(BUILD)/draft/lib/.libzmq.so.new
	mv -f $(BUILD)/draft/lib/.libzmq.so.new $(BUILD)/draft/lib/libzmq.so.$(LIBVERSION)
	ln -sf libzmq.so.$(LIBVERSION) $(BUILD)/draft/lib/libzmq.so.$(SOVERSION)
	ln -sf libzmq.so.$(SOVERSION) $(BUILD)/draft/lib/libzmq.so

# Every fuzz target for FUZZ_SECONDS each (scripts/fuzz.sh).
FUZZ_SECONDS ?= 30
fuzz-smoke:
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

run: lib
	bash examples-c/tour.sh

deps:
	bash scripts/deps.sh

test: deps lib
	bash scripts/test.sh

# One stage of `make test` each.
test-rust:
	bash scripts/test.sh rust

test-loom:
	bash scripts/test.sh loom

interop-draft: lib-draft
	LIBZMQ_DRAFT=$(LIBZMQ_DRAFT) bash c-tests/interop/draft_interop.sh

test-symbols: lib
	bash scripts/test.sh symbols

# The same C tests against the system libzmq: proves they expect libzmq's
# behaviour (checks of input libzmq crashes on are ours only).
test-reference:
	bash scripts/test.sh reference

test-c: lib
	bash scripts/test.sh c

# Every perf tool once, with small counts, on this library and on the
# system libzmq, and perf/plot.py on the numbers: that they still work, not
# how fast (bash perf/bench.sh --smoke).
test-perf: lib
	bash scripts/test.sh perf

# The C tests with AddressSanitizer, UBSan and LeakSanitizer.
test-asan: lib
	bash scripts/test.sh asan

SOAK_MINUTES ?= 10
soak: lib
	SOAK_MINUTES=$(SOAK_MINUTES) bash scripts/soak.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --workspace --all-targets --features draft -- -D warnings
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml -- --check
	$(CARGO) clippy --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings

# perf/bench.sh: medians of interleaved runs, ours against the system
# libzmq, unpinned then pinned; the table, then bench/results.tsv and the
# chart bench/results.svg (matplotlib). QUICK=1 takes fewer runs, sizes and
# messages; BENCH=tcp,pubsub (...) runs some sections only.
QUICK ?=
bench: lib
	QUICK='$(QUICK)' bash perf/bench.sh

# A stripped library (its debug information in a separate file), headers,
# libzmq.pc, a CMake package (ZeroMQConfig.cmake: targets libzmq and
# libzmq-static) and the man pages; `make install MANDIR=` leaves the pages
# out. See packaging/install.sh.
install: lib
	DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' LIBDIR='$(LIBDIR)' \
	INCLUDEDIR='$(INCLUDEDIR)' MANDIR='$(MANDIR)' VERSION=$(VERSION) \
	LIBVERSION=$(LIBVERSION) SOVERSION=$(SOVERSION) BUILD=$(BUILD) \
	bash packaging/install.sh

clean:
	$(CARGO) clean
	rm -rf $(BUILD)
