#!/usr/bin/env bash
# `make test`: every test of the project, stage by stage, and one total.
#
#   lint       rustfmt and clippy (both builds), one check
#   rust       zmq-core's unit and integration tests and the C layer's, one
#              check per test; then again in the draft build
#   loom       the loom models of the lock-free queue, the pipe and the mailbox
#              (built with --cfg loom), one check per model
#   symbols    the exported symbols and the SONAME, one check
#   reference  the C tests against the system libzmq (proves they expect
#              libzmq's behaviour), one check per program
#   c          the C tests on this library, natively and under valgrind, and
#              every c-tests/test_*.sh (interop, pyzmq, CZMQ, ...); then
#              c-tests/draft/ on the draft build (make lib-draft)
#   perf       every perf tool once with small counts, on this library and
#              on the system libzmq, one check per run (it passes when the
#              tool exits 0 and prints a number: timings decide nothing),
#              and one for perf/plot.py's chart (perf/bench.sh --smoke)
#   asan       the C tests built with AddressSanitizer, UndefinedBehavior-
#              Sanitizer and LeakSanitizer, on this library
#   fuzz       every fuzz target for FUZZ_SECONDS (30) each, one check per
#              target (scripts/fuzz.sh)
#
# Each stage prints a line per failure (shown in full) or per C program, and
# its own count; the last line is the total, "N passed, M failed". Full
# logs go to build/test-logs/. The exit status is non-zero on any failure.
#
#   bash scripts/test.sh [stage...]     # default: all of them
set -u
cd "$(dirname "$0")/.."
logs=build/test-logs
mkdir -p "$logs"
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(lint rust loom symbols reference c perf asan fuzz)

total_passed=0
total_failed=0
report() { # stage passed failed seconds
    total_passed=$((total_passed + $2))
    total_failed=$((total_failed + $3))
    printf '== %-10s %d passed, %d failed (%dm %02ds)\n' "$1" "$2" "$3" $(($4 / 60)) $(($4 % 60))
}

# One check that passes or fails as a whole; its log is shown on failure.
single() { # stage command...
    local stage=$1 start=$SECONDS
    shift
    if "$@" >"$logs/$stage.log" 2>&1; then
        report "$stage" 1 0 $((SECONDS - start))
    else
        tail -40 "$logs/$stage.log"
        report "$stage" 0 1 $((SECONDS - start))
    fi
}

# Rust tests under nextest (one process per test, a time limit on each,
# failures shown in full); plain cargo test where nextest is missing.
# $scope: the packages (default: the whole workspace).
rust() { # stage cargo-args...
    local stage=$1 start=$SECONDS passed=0 failed=0 summary
    shift
    if cargo nextest --version >/dev/null 2>&1; then
        cargo nextest run ${scope:---workspace} --release --no-fail-fast --cargo-quiet "$@" \
            >"$logs/$stage.log" 2>&1
        # "Summary [ 9.1s] 530 tests run: 528 passed, 1 failed, 1 timed out, 0 skipped"
        summary=$(grep -E '^ *Summary \[' "$logs/$stage.log" | tail -1)
        passed=$(sed -nE 's/.* ([0-9]+) passed.*/\1/p' <<<"$summary")
        failed=$(grep -oE '[0-9]+ (failed|timed out)' <<<"$summary" | awk '{n += $1} END {print n + 0}')
        grep -E '^ *(FAIL|TIMEOUT|SIGSEGV|SIGABRT|ABORT|LEAK)' "$logs/$stage.log" | sort -u
    else
        cargo test ${scope:---workspace} --release --no-fail-fast -q "$@" >"$logs/$stage.log" 2>&1
        passed=$(sed -nE 's/^test result: .* ([0-9]+) passed.*/\1/p' "$logs/$stage.log" | awk '{n += $1} END {print n + 0}')
        failed=$(sed -nE 's/^test result: .* ([0-9]+) failed.*/\1/p' "$logs/$stage.log" | awk '{n += $1} END {print n + 0}')
    fi
    if [ -z "$passed" ] || { [ "$passed" = 0 ] && [ "$failed" = 0 ]; }; then
        # No summary: the tests did not build or the runner died.
        tail -40 "$logs/$stage.log"
        passed=0 failed=1
    elif [ "$failed" != 0 ]; then
        sed -n '/^--- STD\(OUT\|ERR\): .* ---$/,$p' "$logs/$stage.log" | tail -200
    fi
    report "$stage" "$passed" "$failed" $((SECONDS - start))
}

# A runner that prints a line per check and ends with "N passed, M
# failed" (the C tests, the fuzz targets).
counted() { # stage command...
    local stage=$1 start=$SECONDS line
    shift
    "$@" 2>&1 | tee "$logs/$stage.log" | grep -vE '^[0-9]+ passed, [0-9]+ failed$'
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$logs/$stage.log" | tail -1)
    if [ -z "$line" ]; then
        report "$stage" 0 1 $((SECONDS - start))
    else
        report "$stage" "${line%% passed*}" "$(sed -E 's/.*, ([0-9]+) failed/\1/' <<<"$line")" $((SECONDS - start))
    fi
}

for stage in "${stages[@]}"; do
    case $stage in
        lint) single lint make -s lint ;;
        rust)
            rust rust
            rust rust-draft --features draft ;;
        loom)
            # Its own target directory: --cfg loom rebuilds every crate.
            RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom scope="-p zmq-core --lib" \
                rust loom -- queue::models pipe::models mailbox::models ;;
        symbols) single symbols bash c-tests/check_symbols.sh build/lib/libzmq.so.5 ;;
        reference) counted reference env REFERENCE=1 VALGRIND=0 bash c-tests/run.sh ;;
        c)
            counted c bash c-tests/run.sh
            if make -s lib-draft >"$logs/lib-draft.log" 2>&1; then
                counted c-draft env DRAFT=1 bash c-tests/run.sh
            else
                tail -40 "$logs/lib-draft.log"
                report c-draft 0 1 0
            fi ;;
        perf) counted perf bash perf/bench.sh --smoke ;;
        asan) counted asan env ASAN=1 bash c-tests/run.sh ;;
        fuzz) counted fuzz bash scripts/fuzz.sh "${FUZZ_SECONDS:-30}" ;;
        *) echo "unknown stage '$stage' (lint, rust, loom, symbols, reference, c, perf, asan, fuzz)"; exit 2 ;;
    esac
done

echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
