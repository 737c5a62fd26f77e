#!/usr/bin/env bash
# Installs the library as libzmq's own install lays it out. Called by the
# Makefile's install target from the top of the source tree:
#
#   DESTDIR=... PREFIX=... LIBDIR=... INCLUDEDIR=... MANDIR=... VERSION=4.3.5 \
#   LIBVERSION=5.2.5 SOVERSION=5 BUILD=build bash packaging/install.sh
#
# DESTDIR may be empty; it is put in front of every path written to, never in
# the paths written into the installed files. MANDIR may be empty: then no
# manual pages. The others are required, the directories as absolute paths.
#
# What goes where:
#   $LIBDIR/libzmq.so.$LIBVERSION       stripped of debug information and of
#                                       the static symbol table (strip
#                                       --strip-unneeded); the dynamic symbol
#                                       table stays. A .gnu_debuglink section
#                                       names the debug file below.
#   $LIBDIR/libzmq.so.$SOVERSION, $LIBDIR/libzmq.so     symbolic links
#   $LIBDIR/libzmq.a                    debug information stripped
#                                       (strip --strip-debug), still linkable
#   $INCLUDEDIR/zmq.h, zmq_utils.h
#   $LIBDIR/pkgconfig/libzmq.pc         from packaging/libzmq.pc.in
#   $LIBDIR/cmake/ZeroMQ/ZeroMQConfig.cmake, ZeroMQConfigVersion.cmake
#                                       from packaging/*.cmake.in
#   $MANDIR/man3, $MANDIR/man7          the pages docs/man/build.sh makes,
#                                       when MANDIR is set and that script is
#                                       there
#
# The debug information goes to Debian's layout for separate debug files,
# rooted in the prefix:
#   $PREFIX/lib/debug$LIBDIR/libzmq.so.$LIBVERSION.debug
# With PREFIX=/usr that is /usr/lib/debug/usr/lib/..., where gdb looks by
# itself; for any other prefix tell gdb once:
#   set debug-file-directory $PREFIX/lib/debug
# gdb then finds the file through the library's .gnu_debuglink (name and
# CRC).
#
# Prints nothing but errors; exits non-zero on any failure.
set -euo pipefail

fail() { echo "install.sh: $*" >&2; exit 1; }

for var in PREFIX LIBDIR INCLUDEDIR VERSION LIBVERSION SOVERSION BUILD; do
    [ -n "${!var:-}" ] || fail "$var is not set"
done
DESTDIR=${DESTDIR:-}
MANDIR=${MANDIR:-}
for var in PREFIX LIBDIR INCLUDEDIR MANDIR; do
    case ${!var} in
        /*|"") ;;
        *) fail "$var must be an absolute path, not '${!var}'" ;;
    esac
done
STRIP=${STRIP:-strip}
OBJCOPY=${OBJCOPY:-objcopy}
for tool in "$STRIP" "$OBJCOPY"; do
    command -v "$tool" >/dev/null || fail "$tool not found (Debian package binutils)"
done

cd "$(dirname "$0")/.."
so=$BUILD/lib/libzmq.so.$LIBVERSION
archive=$BUILD/lib/libzmq.a
for f in "$so" "$archive" include/zmq.h include/zmq_utils.h \
         packaging/libzmq.pc.in packaging/ZeroMQConfig.cmake.in \
         packaging/ZeroMQConfigVersion.cmake.in; do
    [ -f "$f" ] || fail "$f is missing (run make lib first)"
done

# What a static link of libzmq.a needs besides libc: threads, dlsym, math,
# clock functions on older C libraries, and the unwinder (libgcc_s) that the
# Rust runtime's panic handling calls. One list for pkg-config and CMake.
static_libs="pthread dl m rt gcc_s"

staging=$(mktemp -d "${TMPDIR:-/tmp}/zmq-install.XXXXXX")
trap 'rm -rf "$staging"' EXIT

# Escapes a value for the right-hand side of a sed s||| command.
sed_value() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }

# $1 relative to the prefix, as ${prefix}/..., where it lies inside it.
under_prefix() {
    case $1 in
        "$PREFIX") printf '%s' '${prefix}' ;;
        "${PREFIX%/}"/*) printf '%s' "\${prefix}/${1#"${PREFIX%/}"/}" ;;
        *) printf '%s' "$1" ;;
    esac
}

libdir=$DESTDIR$LIBDIR
cmakedir=$libdir/cmake/ZeroMQ
debugdir=$DESTDIR${PREFIX%/}/lib/debug$LIBDIR
install -d "$libdir" "$libdir/pkgconfig" "$cmakedir" "$DESTDIR$INCLUDEDIR" "$debugdir"

# Shared library: debug information split off, then stripped and linked to it.
debugfile=$debugdir/libzmq.so.$LIBVERSION.debug
"$OBJCOPY" --only-keep-debug "$so" "$staging/libzmq.so.$LIBVERSION.debug"
"$STRIP" --strip-unneeded --remove-section=.comment \
    -o "$staging/libzmq.so.$LIBVERSION" "$so"
install -m 644 "$staging/libzmq.so.$LIBVERSION.debug" "$debugfile"
"$OBJCOPY" --add-gnu-debuglink="$debugfile" "$staging/libzmq.so.$LIBVERSION"
install -m 755 "$staging/libzmq.so.$LIBVERSION" "$libdir/"
ln -sfn "libzmq.so.$LIBVERSION" "$libdir/libzmq.so.$SOVERSION"
ln -sfn "libzmq.so.$SOVERSION" "$libdir/libzmq.so"

# Static library.
"$STRIP" --strip-debug --enable-deterministic-archives \
    -o "$staging/libzmq.a" "$archive"
install -m 644 "$staging/libzmq.a" "$libdir/"

install -m 644 include/zmq.h include/zmq_utils.h "$DESTDIR$INCLUDEDIR/"

# pkg-config file.
libs_private=""
for l in $static_libs; do libs_private="$libs_private -l$l"; done
sed -e "s|@PREFIX@|$(sed_value "$PREFIX")|g" \
    -e "s|@LIBDIR@|$(sed_value "$(under_prefix "$LIBDIR")")|g" \
    -e "s|@INCLUDEDIR@|$(sed_value "$(under_prefix "$INCLUDEDIR")")|g" \
    -e "s|@VERSION@|$(sed_value "$VERSION")|g" \
    -e "s|@LIBS_PRIVATE@|$(sed_value "${libs_private# }")|g" \
    packaging/libzmq.pc.in > "$staging/libzmq.pc"
install -m 644 "$staging/libzmq.pc" "$libdir/pkgconfig/"

# CMake package. The config file lies in $LIBDIR/cmake/ZeroMQ and finds the
# library and the headers relative to itself.
elf_class=$(od -An -tu1 -j4 -N1 "$so" | tr -d ' ')
case $elf_class in
    1) sizeof_void_p=4 ;;
    2) sizeof_void_p=8 ;;
    *) fail "$so is not an ELF file" ;;
esac
includedir_from_here=$(realpath -m --relative-to="$LIBDIR/cmake/ZeroMQ" "$INCLUDEDIR")
cmake_values=(
    -e "s|@VERSION@|$(sed_value "$VERSION")|g"
    -e "s|@VERSION_MAJOR@|$(sed_value "${VERSION%%.*}")|g"
    -e "s|@LIBVERSION@|$(sed_value "$LIBVERSION")|g"
    -e "s|@SOVERSION@|$(sed_value "$SOVERSION")|g"
    -e "s|@LIBDIR@|$(sed_value "$LIBDIR")|g"
    -e "s|@INCLUDEDIR@|$(sed_value "$INCLUDEDIR")|g"
    -e "s|@LIBDIR_FROM_HERE@|../..|g"
    -e "s|@INCLUDEDIR_FROM_HERE@|$(sed_value "$includedir_from_here")|g"
    -e "s|@STATIC_LINK_LIBRARIES@|$(sed_value "$(echo $static_libs | tr ' ' ';')")|g"
    -e "s|@SIZEOF_VOID_P@|$sizeof_void_p|g"
    -e "s|@POINTER_BITS@|$((sizeof_void_p * 8))|g"
)
for f in ZeroMQConfig ZeroMQConfigVersion; do
    sed "${cmake_values[@]}" "packaging/$f.cmake.in" > "$staging/$f.cmake"
    if grep -q '@[A-Z_]*@' "$staging/$f.cmake"; then
        fail "packaging/$f.cmake.in: placeholder left unreplaced"
    fi
    install -m 644 "$staging/$f.cmake" "$cmakedir/"
done

# Manual pages, when asked for and when their build script is there.
if [ -n "$MANDIR" ] && [ -f docs/man/build.sh ]; then
    bash docs/man/build.sh "$staging/man" >/dev/null \
        || fail "docs/man/build.sh failed"
    found=0
    for section in man3 man7; do
        [ -d "$staging/man/$section" ] || continue
        pages=("$staging/man/$section"/*)
        [ -e "${pages[0]}" ] || continue
        install -d "$DESTDIR$MANDIR/$section"
        install -m 644 "${pages[@]}" "$DESTDIR$MANDIR/$section/"
        found=1
    done
    [ "$found" = 1 ] || fail "docs/man/build.sh made no pages in man3 or man7"
fi
