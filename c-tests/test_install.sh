#!/usr/bin/env bash
# The installed library, as a user of it sees it: packaging/install.sh into a
# fresh prefix, then
#   - the shared library is stripped (and much smaller than build/lib's), its
#     debug information is in a separate file it is linked to, and it still
#     exports the API under SONAME libzmq.so.5;
#   - the static library has no debug information and links a program
#     with the system libraries libzmq.pc's Libs.private lists;
#   - pkg-config builds a program that loads the installed library (version
#     4.3.5, not the system's 4.3.4);
#   - the CMake package: version rules, and c-tests/cmake-consumer built
#     against it with find_package(ZeroMQ) and find_package(cppzmq);
#   - a staged install (DESTDIR) writes only the final paths into its files.
# Needs the Debian packages gcc, g++, binutils, pkg-config, cmake,
# cppzmq-dev and python3; gdb, when installed, is used too.
# One line per check, then "N passed, N failed"; exits non-zero on a failure.
# KEEP=1 keeps the temporary directory.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# Programs must find the installed library by their own run path, not by a
# path c-tests/run.sh exports for build/lib.
unset LD_LIBRARY_PATH

VERSION=4.3.5
LIBVERSION=5.2.5
SOVERSION=5
BUILD=build
built_so=$BUILD/lib/libzmq.so.$LIBVERSION
built_a=$BUILD/lib/libzmq.a

# What the test needs, by Debian package; none is installed from here.
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2 (for $1)"); }
need cc gcc
need c++ g++
need nm binutils
need readelf binutils
need objdump binutils
need strip binutils
need objcopy binutils
need pkg-config pkg-config
need cmake cmake
need python3 python3
cppzmq_config=$(ls /usr/share/cmake/cppzmq/cppzmqConfig.cmake \
    /usr/lib/*/cmake/cppzmq/cppzmqConfig.cmake 2>/dev/null | head -1)
[ -n "$cppzmq_config" ] || missing+=("cppzmq-dev (for cppzmqConfig.cmake and zmq.hpp)")
if [ ${#missing[@]} -gt 0 ]; then
    echo "test_install: missing tools; install these Debian packages:"
    printf '  %s\n' "${missing[@]}"
    echo "0 passed, 1 failed"
    exit 1
fi
for f in "$built_so" "$built_a"; do
    [ -f "$f" ] || { echo "test_install: $f is missing: run make lib first"; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/zmq-test-install.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
    echo "keeping $work"
else
    trap 'rm -rf "$work"' EXIT
fi
prefix=$work/prefix
lib=$prefix/lib
log=$work/check.log
src=$root/c-tests/cmake-consumer

passed=0
failed=0
note=""
# check NAME FUNCTION [ARGS]: runs the function in this shell with its
# output in a log; it may set $note, printed after the name.
check() {
    local name=$1
    shift
    note=""
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        echo "ok   $name${note:+: $note}"
    else
        failed=$((failed + 1))
        echo "FAIL $name${note:+: $note}"
        tail -n 25 "$log" | sed 's/^/     | /'
    fi
}

size_of() { stat -c %s "$1"; }
debug_sections() { readelf -S -W "$1" | grep -o '\.debug_[a-z_]*' | sort -u; }
exported() { nm -D --defined-only "$1" | awk '{print $NF}' | sort; }
# Prints the libzmq.so the program loads (from ldd), or nothing.
loaded_libzmq() { ldd "$1" | awk '$1 ~ /^libzmq\.so/ {print $3}'; }
# Runs a program built from version.c / version.cpp: it must print 4.3.5.
reports_version() {
    local out
    out=$("$@") || { echo "$1 failed"; return 1; }
    [ "$out" = "$VERSION" ] || { echo "$1 reports '$out', not $VERSION"; return 1; }
}

# --- install --------------------------------------------------------------

install_into_prefix() {
    local out
    out=$(DESTDIR= PREFIX=$prefix LIBDIR=$lib INCLUDEDIR=$prefix/include \
          MANDIR=$prefix/share/man VERSION=$VERSION LIBVERSION=$LIBVERSION \
          SOVERSION=$SOVERSION BUILD=$BUILD bash packaging/install.sh 2>&1)
    local rc=$?
    [ -z "$out" ] || { echo "install.sh printed:"; echo "$out"; return 1; }
    [ $rc = 0 ] || { echo "install.sh exited $rc"; return 1; }
    note="into $prefix, silently"
}
check "install.sh installs into a fresh prefix" install_into_prefix

installed_files() {
    local f
    for f in "$lib/libzmq.so.$LIBVERSION" "$lib/libzmq.a" "$lib/pkgconfig/libzmq.pc" \
             "$lib/cmake/ZeroMQ/ZeroMQConfig.cmake" \
             "$lib/cmake/ZeroMQ/ZeroMQConfigVersion.cmake"; do
        [ -f "$f" ] || { echo "missing $f"; return 1; }
    done
    [ "$(readlink "$lib/libzmq.so.$SOVERSION")" = "libzmq.so.$LIBVERSION" ] \
        || { echo "libzmq.so.$SOVERSION does not point to libzmq.so.$LIBVERSION"; return 1; }
    [ "$(readlink "$lib/libzmq.so")" = "libzmq.so.$SOVERSION" ] \
        || { echo "libzmq.so does not point to libzmq.so.$SOVERSION"; return 1; }
    for f in zmq.h zmq_utils.h; do
        cmp "include/$f" "$prefix/include/$f" || return 1
    done
    note="libzmq.so.$LIBVERSION, libzmq.so.$SOVERSION -> libzmq.so.$LIBVERSION, libzmq.so -> libzmq.so.$SOVERSION, libzmq.a, headers, libzmq.pc, cmake/ZeroMQ"
}
check "installed files and links" installed_files

# --- shared library -----------------------------------------------------

so=$lib/libzmq.so.$LIBVERSION

shared_stripped() {
    local sections before after
    sections=$(debug_sections "$so")
    [ -z "$sections" ] || { echo "debug sections left:"; echo "$sections"; return 1; }
    before=$(size_of "$built_so")
    after=$(size_of "$so")
    note="no .debug_* sections; $after bytes installed, $before in $built_so"
    # Stripping takes off well over half of a build with debug information.
    [ $((after * 3)) -lt "$before" ] || { echo "not much smaller: $after vs $before"; return 1; }
}
check "shared library stripped" shared_stripped

shared_exports() {
    local actual built expected
    actual=$(exported "$so")
    built=$(exported "$built_so")
    expected=$(sort c-tests/exported-symbols.txt)
    diff <(echo "$expected") <(echo "$actual") || { echo "differs from c-tests/exported-symbols.txt"; return 1; }
    diff <(echo "$built") <(echo "$actual") || { echo "differs from $built_so"; return 1; }
    note="$(echo "$actual" | wc -l) symbols, as c-tests/exported-symbols.txt and $built_so"
}
check "shared library exports the API" shared_exports

shared_soname() {
    local soname
    soname=$(objdump -p "$so" | awk '/SONAME/ {print $2}')
    note="$soname"
    [ "$soname" = "libzmq.so.$SOVERSION" ]
}
check "shared library SONAME" shared_soname

debug_file_linked() {
    local debugfile
    debugfile=$(find "$lib/debug" -name "libzmq.so.$LIBVERSION.debug" -type f)
    [ "$debugfile" = "$lib/debug$lib/libzmq.so.$LIBVERSION.debug" ] \
        || { echo "debug file at '$debugfile', not under $lib/debug$lib"; return 1; }
    debug_sections "$debugfile" | grep -qx '\.debug_info' || { echo "no .debug_info in $debugfile"; return 1; }
    # The link is the file name, then the CRC-32 of the debug file.
    objcopy --dump-section .gnu_debuglink="$work/debuglink" "$so" "$work/so.copy" || return 1
    python3 - "$work/debuglink" "$debugfile" <<'EOF' || return 1
import sys, zlib, struct
link, debug = sys.argv[1], sys.argv[2]
raw = open(link, "rb").read()
name = raw.split(b"\0", 1)[0].decode()
crc = struct.unpack("<I", raw[-4:])[0]
want_name = debug.rsplit("/", 1)[1]
want_crc = zlib.crc32(open(debug, "rb").read()) & 0xffffffff
if name != want_name or crc != want_crc:
    sys.exit(f"debuglink {name} {crc:08x}, file {want_name} {want_crc:08x}")
EOF
    note="${debugfile#"$prefix"/}, named with its CRC by .gnu_debuglink"
    if command -v gdb >/dev/null; then
        # gdb finds it by itself and knows the source line of an API call.
        gdb -nx -batch -ex "set debug-file-directory $lib/debug" \
            -ex "file $so" -ex "info line zmq_ctx_new" 2>&1 | tee "$work/gdb.out"
        grep -q '^Line [0-9]* of "' "$work/gdb.out" || { echo "gdb found no line information"; return 1; }
        note="$note; gdb reads it"
    fi
}
check "debug information kept beside it" debug_file_linked

# --- static library -----------------------------------------------------

archive=$lib/libzmq.a
export PKG_CONFIG_PATH=$lib/pkgconfig

static_stripped() {
    local sections
    sections=$(debug_sections "$archive")
    [ -z "$sections" ] || { echo "debug sections left:"; echo "$sections"; return 1; }
    note="no .debug_* sections; $(size_of "$archive") bytes installed, $(size_of "$built_a") in $built_a"
}
check "static library stripped" static_stripped

static_link() {
    local libs exe=$work/static_pc
    # pkg-config --static gives Libs and Libs.private; -lzmq is taken as the
    # archive, the rest as the system libraries a static link needs.
    libs=$(pkg-config --static --libs libzmq) || return 1
    libs=${libs//-lzmq/-l:libzmq.a}
    cc -std=gnu11 -Wall -Werror $(pkg-config --cflags libzmq) -o "$exe" \
        "$src/version.c" $libs || return 1
    [ -z "$(loaded_libzmq "$exe")" ] || { echo "still loads a libzmq.so"; ldd "$exe"; return 1; }
    reports_version "$exe" || return 1
    note="cc version.c libzmq.a $(pkg-config --libs-only-l --static libzmq | sed -e 's/-lzmq *//' -e 's/ *$//'): runs, $VERSION"
}
check "static library links a C program" static_link

# --- pkg-config ---------------------------------------------------------

pkg_config_program() {
    local exe=$work/shared_pc libdir loaded modversion
    modversion=$(pkg-config --modversion libzmq)
    [ "$modversion" = "$VERSION" ] || { echo "pkg-config --modversion: $modversion"; return 1; }
    libdir=$(pkg-config --variable=libdir libzmq)
    [ "$libdir" = "$lib" ] || { echo "libdir is $libdir, not $lib"; return 1; }
    cc -std=gnu11 -Wall -Werror $(pkg-config --cflags libzmq) -o "$exe" \
        "$src/version.c" $(pkg-config --libs libzmq) -Wl,-rpath,"$libdir" || return 1
    loaded=$(loaded_libzmq "$exe")
    [ "$loaded" = "$lib/libzmq.so.$SOVERSION" ] || { echo "loads '$loaded'"; return 1; }
    reports_version "$exe" || return 1
    note="modversion $modversion; the program loads $loaded and reports $VERSION"
}
check "pkg-config builds a program on the installed library" pkg_config_program

# --- CMake --------------------------------------------------------------

# find_package's version rules, by asking the version file directly.
cmake_version_rules() {
    local script=$work/version_rules.cmake
    cat >"$script" <<EOF
set(CMAKE_SIZEOF_VOID_P 8)
set(failures "")
function(expect request range_min range_max max_kind want)
  foreach(v PACKAGE_FIND_VERSION PACKAGE_FIND_VERSION_MAJOR PACKAGE_FIND_VERSION_RANGE
            PACKAGE_FIND_VERSION_MIN PACKAGE_FIND_VERSION_MIN_MAJOR
            PACKAGE_FIND_VERSION_MAX PACKAGE_FIND_VERSION_RANGE_MAX
            PACKAGE_VERSION_COMPATIBLE PACKAGE_VERSION_EXACT PACKAGE_VERSION_UNSUITABLE)
    unset(\${v})
  endforeach()
  if(range_min STREQUAL "")
    set(PACKAGE_FIND_VERSION "\${request}")
    string(REGEX MATCH "^[0-9]+" PACKAGE_FIND_VERSION_MAJOR "\${request}")
  else()
    set(PACKAGE_FIND_VERSION_RANGE "\${request}")
    set(PACKAGE_FIND_VERSION "\${range_min}")
    set(PACKAGE_FIND_VERSION_MIN "\${range_min}")
    string(REGEX MATCH "^[0-9]+" PACKAGE_FIND_VERSION_MAJOR "\${range_min}")
    set(PACKAGE_FIND_VERSION_MIN_MAJOR "\${PACKAGE_FIND_VERSION_MAJOR}")
    set(PACKAGE_FIND_VERSION_MAX "\${range_max}")
    set(PACKAGE_FIND_VERSION_RANGE_MAX "\${max_kind}")
  endif()
  include("$lib/cmake/ZeroMQ/ZeroMQConfigVersion.cmake")
  if(want STREQUAL "exact")
    set(ok FALSE)
    if(PACKAGE_VERSION_COMPATIBLE AND PACKAGE_VERSION_EXACT)
      set(ok TRUE)
    endif()
  elseif(want)
    set(ok FALSE)
    if(PACKAGE_VERSION_COMPATIBLE AND NOT PACKAGE_VERSION_EXACT)
      set(ok TRUE)
    endif()
  else()
    set(ok TRUE)
    if(PACKAGE_VERSION_COMPATIBLE)
      set(ok FALSE)
    endif()
  endif()
  if(NOT ok)
    set(failures "\${failures} '\${request}'" PARENT_SCOPE)
  endif()
endfunction()
expect(4       "" "" "" TRUE)
expect(4.0     "" "" "" TRUE)
expect(4.3     "" "" "" TRUE)
expect(4.3.4   "" "" "" TRUE)
expect(4.3.5   "" "" "" exact)
expect(4.3.6   "" "" "" FALSE)
expect(4.4     "" "" "" FALSE)
expect(3.2     "" "" "" FALSE)
expect(5       "" "" "" FALSE)
expect(4.1...<5     4.1 5     EXCLUDE TRUE)
expect(4.3.5...4.3.5 4.3.5 4.3.5 INCLUDE TRUE)
expect(4.0...4.3.4  4.0 4.3.4 INCLUDE FALSE)
expect(4.3.6...5    4.3.6 5   INCLUDE FALSE)
expect(3.0...<5     3.0 5     EXCLUDE FALSE)
if(NOT failures STREQUAL "")
  message(FATAL_ERROR "wrong answer for:\${failures}")
endif()
# A 32-bit project is told the 64-bit package does not suit it.
set(CMAKE_SIZEOF_VOID_P 4)
unset(PACKAGE_VERSION_UNSUITABLE)
set(PACKAGE_FIND_VERSION 4.3)
set(PACKAGE_FIND_VERSION_MAJOR 4)
include("$lib/cmake/ZeroMQ/ZeroMQConfigVersion.cmake")
if(NOT PACKAGE_VERSION_UNSUITABLE)
  message(FATAL_ERROR "a 32-bit project accepts the 64-bit library")
endif()
EOF
    cmake -P "$script" || return 1
    note="4, 4.0, 4.3, 4.3.4, 4.1...<5 accepted; 4.3.5 exact; 4.3.6, 4.4, 3.2, 5, 3.0...<5 refused"
}
check "CMake version file: same major version, up to $VERSION" cmake_version_rules

cmake_configure_build() {
    cmake -S "$src" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
        -DEXPECTED_PREFIX="$prefix" -DCMAKE_BUILD_TYPE=Release || return 1
    cmake --build "$work/cmake-build" || return 1
    note="$(grep -o 'ZeroMQ [0-9.]* from .*' "$log" | sed "s|$work/||")"
}
check "CMake: find_package(ZeroMQ 4.3) and find_package(cppzmq), build" cmake_configure_build

cmake_runs() {
    local exe=$work/cmake-build/$1 want=$2 loaded
    [ -x "$exe" ] || { echo "$exe was not built"; return 1; }
    loaded=$(loaded_libzmq "$exe")
    if [ "$want" = static ]; then
        [ -z "$loaded" ] || { echo "loads $loaded"; return 1; }
    else
        [ "$loaded" = "$lib/libzmq.so.$SOVERSION" ] || { echo "loads '$loaded'"; return 1; }
    fi
    reports_version "$exe" || return 1
    note="reports $VERSION, ${loaded:-no libzmq.so loaded}"
}
check "CMake: C program linked to target libzmq" cmake_runs consumer_shared shared
check "CMake: C program linked to target libzmq-static" cmake_runs consumer_static static
check "CMake: C++ program linked to target cppzmq" cmake_runs consumer_cppzmq shared

# ZeroMQConfig.cmake finds the library relative to itself: a copy of the
# prefix elsewhere is found there (the original stays, so a fallback to the
# install-time paths would show).
cmake_moved_prefix() {
    local moved=$work/moved
    cp -a "$prefix" "$moved" || return 1
    cmake -S "$src" -B "$work/cmake-moved" -DCMAKE_PREFIX_PATH="$moved" \
        -DEXPECTED_PREFIX="$moved" || return 1
    note="configured against a copy of the prefix, paths inside the copy"
}
check "CMake: the installed tree can be moved" cmake_moved_prefix

# --- manual pages -------------------------------------------------------

man_pages() {
    if [ -f docs/man/build.sh ]; then
        ls "$prefix/share/man/man3"/zmq_* >/dev/null || return 1
        ls "$prefix/share/man/man7"/* >/dev/null || return 1
        note="$(ls "$prefix/share/man/man3" | wc -l) in man3, $(ls "$prefix/share/man/man7" | wc -l) in man7"
    else
        [ ! -e "$prefix/share/man" ] || { echo "share/man made without docs/man/build.sh"; return 1; }
        note="no docs/man/build.sh yet: none installed"
    fi
}
check "manual pages" man_pages

# --- staged install -----------------------------------------------------

staged_install() {
    local stage=$work/stage final=/opt/libzmq-test out leaks
    out=$(DESTDIR=$stage PREFIX=$final LIBDIR=$final/lib64 INCLUDEDIR=$final/include \
          MANDIR= VERSION=$VERSION LIBVERSION=$LIBVERSION SOVERSION=$SOVERSION \
          BUILD=$BUILD bash packaging/install.sh 2>&1) || { echo "$out"; return 1; }
    [ -z "$out" ] || { echo "install.sh printed: $out"; return 1; }
    [ -f "$stage$final/lib64/libzmq.so.$LIBVERSION" ] || { echo "nothing in $stage$final/lib64"; return 1; }
    [ -f "$stage$final/lib/debug$final/lib64/libzmq.so.$LIBVERSION.debug" ] || { echo "no debug file"; return 1; }
    [ ! -e "$stage$final/share/man" ] || { echo "manual pages installed with MANDIR empty"; return 1; }
    [ ! -e "$final" ] || { echo "wrote outside DESTDIR"; return 1; }
    leaks=$(grep -rl "$stage" "$stage" || true)
    [ -z "$leaks" ] || { echo "files naming the staging directory: $leaks"; return 1; }
    grep -qx "prefix=$final" "$stage$final/lib64/pkgconfig/libzmq.pc" || return 1
    grep -qx 'libdir=${prefix}/lib64' "$stage$final/lib64/pkgconfig/libzmq.pc" || return 1
    grep -q "\"$final/include\"" "$stage$final/lib64/cmake/ZeroMQ/ZeroMQConfig.cmake" || return 1
    note="DESTDIR=…/stage PREFIX=$final LIBDIR=$final/lib64: files name only $final"
}
check "staged install (DESTDIR)" staged_install

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
