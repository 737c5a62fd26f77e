#!/usr/bin/env bash
# Builds every c-tests/test_*.c against include/zmq.h and build/lib, runs each
# natively and under valgrind (invalid accesses and leaks fail the test), runs
# every c-tests/test_*.sh, and prints one summary line: "N passed, M failed".
#
#   bash c-tests/run.sh [name-filter]
#
# REFERENCE=1 builds the same C tests against the system libzmq (Debian's
# libzmq3-dev) with -DREFERENCE_LIBZMQ instead: this proves that what the tests
# expect is libzmq's behaviour. Sections that check our answers to input on
# which libzmq crashes or asserts are compiled out there. VALGRIND=0 skips the
# valgrind runs. ASAN=1 builds the same C tests with AddressSanitizer and
# UndefinedBehaviorSanitizer (and LeakSanitizer at exit) against our
# library, and runs them natively. DRAFT=1 builds c-tests/draft/test_*.c instead, with
# ZMQ_BUILD_DRAFT_API, against the draft build in build/draft/lib (`make
# lib-draft`); the system libzmq is a stable build, so these are ours only.
set -u
cd "$(dirname "$0")/.."
root=$PWD
lib=$root/build/lib
out=$root/build/c-tests
mkdir -p "$out"
filter=${1:-}
CC=${CC:-cc}
sources=(c-tests/test_*.c)
if [ "${ASAN:-0}" = 1 ]; then
    out=$root/build/c-tests-asan
    mkdir -p "$out"
    CFLAGS="-std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -I$root/include -I$root/c-tests"
    LIBS="-L$lib -lzmq -lpthread"
    export LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    # Leaks are checked at exit, in the library's allocations too (they go
    # through the sanitizer's malloc).
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
    VALGRIND=0
elif [ "${DRAFT:-0}" = 1 ]; then
    lib=$root/build/draft/lib
    out=$root/build/c-tests-draft
    mkdir -p "$out"
    sources=(c-tests/draft/test_*.c)
    CFLAGS="-std=gnu11 -g -O1 -Wall -Wextra -Werror -DZMQ_BUILD_DRAFT_API -I$root/include -I$root/c-tests"
    LIBS="-L$lib -lzmq -lpthread"
    export LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
elif [ "${REFERENCE:-0}" = 1 ]; then
    out=$root/build/c-tests-reference
    mkdir -p "$out"
    CFLAGS="-std=gnu11 -g -O1 -Wall -Wextra -Werror -DREFERENCE_LIBZMQ -I$root/c-tests"
    LIBS="-lzmq -lpthread"
else
    CFLAGS="-std=gnu11 -g -O1 -Wall -Wextra -Werror -I$root/include -I$root/c-tests"
    LIBS="-L$lib -lzmq -lpthread"
    export LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
export ZMQ_ROOT=$root

passed=0
failed=0
failures=()

result() { # name status
    if [ "$2" -eq 0 ]; then
        passed=$((passed + 1)); echo "PASS $1"
    else
        failed=$((failed + 1)); failures+=("$1"); echo "FAIL $1 (exit $2)"
    fi
}

have_valgrind=0
[ "${VALGRIND:-1}" = 1 ] && command -v valgrind >/dev/null 2>&1 && have_valgrind=1
[ "$have_valgrind" = 1 ] || echo "note: no valgrind runs (VALGRIND=0 or valgrind missing)"

for src in "${sources[@]}"; do
    name=$(basename "$src" .c)
    case "$name" in *"$filter"*) ;; *) continue ;; esac
    if ! $CC $CFLAGS -o "$out/$name" "$src" $LIBS 2>"$out/$name.build.log"; then
        cat "$out/$name.build.log"; result "$name [build]" 1; continue
    fi
    timeout "${TEST_TIMEOUT:-120}" "$out/$name" >"$out/$name.log" 2>&1
    rc=$?; [ $rc -eq 0 ] || tail -20 "$out/$name.log"
    result "$name" $rc
    # A test whose first line says "no-valgrind: <reason>" runs natively only.
    if [ "$have_valgrind" = 1 ]; then
        if head -1 "$src" | grep -q 'no-valgrind:'; then
            echo "     $name runs natively only: $(head -1 "$src" | sed 's/.*no-valgrind: *//; s/ *\*\/.*//')"
        else
            ZMQ_TEST_SCALE=valgrind timeout 600 valgrind -q --error-exitcode=99 --leak-check=full \
                --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
                "$out/$name" >"$out/$name.vg.log" 2>&1
            rc=$?; [ $rc -eq 0 ] || tail -40 "$out/$name.vg.log"
            result "$name [valgrind]" $rc
        fi
    fi
done

for script in c-tests/test_*.sh; do
    [ -e "$script" ] || continue
    [ "${REFERENCE:-0}" = 1 ] || [ "${DRAFT:-0}" = 1 ] || [ "${ASAN:-0}" = 1 ] && continue
    name=$(basename "$script" .sh)
    case "$name" in *"$filter"*) ;; *) continue ;; esac
    timeout 300 bash "$script" >"$out/$name.log" 2>&1
    rc=$?; [ $rc -eq 0 ] || tail -40 "$out/$name.log"
    result "$name" $rc
done

[ ${#failures[@]} -eq 0 ] || printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
