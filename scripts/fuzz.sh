#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets/) for a bounded time and prints
# a line per target with its executions; the last line is "N passed, M
# failed". A crash leaves its input in fuzz/artifacts/<target>/ and fails
# the run: replay it with `cargo fuzz run --fuzz-dir fuzz <target> <file>`,
# then keep it as a regression test.
#
#   bash scripts/fuzz.sh [seconds-per-target] [target...]
#
# cargo-fuzz is installed when missing (cargo install, no root needed).
# libFuzzer and AddressSanitizer need the compiler's unstable flags; the
# one toolchain here is stable, so RUSTC_BOOTSTRAP=1 lets it take them.
# Each target starts from its seeds in fuzz/seeds/<target>/ (if any) and
# the corpus earlier runs left in build/fuzz-corpus/<target>/.
set -u
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=($(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^zmq-fuzz$'))
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked --quiet || exit 1
fi
export RUSTC_BOOTSTRAP=1
logs=build/fuzz-logs
mkdir -p "$logs"
if ! cargo fuzz build -O --fuzz-dir fuzz >"$logs/build.log" 2>&1; then
    tail -40 "$logs/build.log"
    echo "0 passed, 1 failed"
    exit 1
fi
passed=0
failed=0
for target in "${targets[@]}"; do
    corpus=build/fuzz-corpus/$target
    mkdir -p "$corpus"
    seeds=()
    [ -d "fuzz/seeds/$target" ] && seeds=("fuzz/seeds/$target")
    cargo fuzz run -O --fuzz-dir fuzz "$target" "$corpus" ${seeds[@]+"${seeds[@]}"} -- \
        -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=4096 \
        >"$logs/$target.log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$target.log" | tail -1)
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
        printf 'PASS fuzz %-10s %10s runs in %ss\n' "$target" "${execs:-?}" "$seconds"
    else
        failed=$((failed + 1))
        grep -E 'panicked|ERROR: |SUMMARY|Test unit written' "$logs/$target.log" | head -10
        printf 'FAIL fuzz %-10s (exit %d; log %s)\n' "$target" "$rc" "$logs/$target.log"
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
