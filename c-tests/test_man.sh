#!/bin/sh
# Checks the manual pages of docs/man:
#  (a) every function in c-tests/exported-symbols.txt has a page or an
#      alias page in man3, and zmq(7) exists;
#  (b) every page renders with man --warnings (groff -ww) without a warning;
#  (c) every prototype and typedef in a SYNOPSIS matches include/zmq.h, as
#      normalised text and by compiling the synopses against the header;
#      each function's page declares it.
# Needs: scdoc, man-db + groff-base (or groff-base alone), a C compiler.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
symbols=$root/c-tests/exported-symbols.txt
header=$root/include/zmq.h
CC=${CC:-cc}

failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

missing=""
command -v scdoc >/dev/null 2>&1 || missing="$missing scdoc(package scdoc)"
if command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1; then
    renderer=man
elif command -v groff >/dev/null 2>&1; then
    renderer=groff
else
    missing="$missing man/groff(packages man-db groff-base)"
fi
command -v "$CC" >/dev/null 2>&1 || missing="$missing $CC(package gcc)"
if [ -n "$missing" ]; then
    echo "test_man: missing tools:$missing" >&2
    echo "test_man: install the Debian packages named above" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
out=$tmp/man

if ! "$root/docs/man/build.sh" "$out" >"$tmp/build.log" 2>&1; then
    cat "$tmp/build.log"
    echo "test_man: docs/man/build.sh failed"
    exit 1
fi
cat "$tmp/build.log"

# The page documenting NAME: NAME itself or the target of its .so alias.
page_of() {
    f=$out/man3/$1.3
    [ -f "$f" ] || return 1
    first=$(head -n 1 "$f")
    case $first in
        .so\ *) t=${first#.so }; t=${t##*/}; echo "${t%.3}" ;;
        *) echo "$1" ;;
    esac
}

# ---- (a) a page for every exported function --------------------------------
n_names=0
while read -r name; do
    [ -n "$name" ] || continue
    n_names=$((n_names + 1))
    if ! page=$(page_of "$name"); then
        fail "(a) no man3 page or alias for $name"
    elif [ ! -f "$out/man3/$page.3" ]; then
        fail "(a) $name.3 is an alias of missing page $page.3"
    fi
done <"$symbols"
[ -f "$out/man7/zmq.7" ] || fail "(a) man7/zmq.7 missing"
n_pages=$(grep -L '^\.so ' "$out"/man3/*.3 | wc -l)
n_alias=$(grep -l '^\.so ' "$out"/man3/*.3 | wc -l)
echo "(a) checked $n_names exported names: man3 has $n_pages pages and $n_alias aliases, man7 has zmq.7"

# ---- (b) rendering without warnings -----------------------------------------
n_rendered=0
for page in "$out"/man3/*.3 "$out"/man7/*.7; do
    rel=${page#"$out"/}
    if [ "$renderer" = man ]; then
        (cd "$out" && MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l "$rel") \
            >"$tmp/render.out" 2>"$tmp/render.err"
    else
        groff -s -I "$out" -man -ww -z -Tutf8 "$page" >"$tmp/render.out" 2>"$tmp/render.err"
    fi
    rc=$?
    if [ $rc -ne 0 ] || [ -s "$tmp/render.err" ]; then
        fail "(b) $rel renders with warnings (exit $rc):"
        sed 's/^/    /' "$tmp/render.err"
    elif [ "$renderer" = man ] && ! grep -q 'NAME' "$tmp/render.out"; then
        fail "(b) $rel renders without a NAME section"
    fi
    n_rendered=$((n_rendered + 1))
done
echo "(b) rendered $n_rendered pages with $renderer --warnings: $([ $failures -eq 0 ] && echo no warnings || echo see failures)"

# ---- (c) synopses against include/zmq.h ------------------------------------
# Normalise C text: drop ZMQ_EXPORT, collapse white space, remove blanks
# next to punctuation.
normalise() {
    sed -e 's/ZMQ_EXPORT//g' -e 's/[[:space:]][[:space:]]*/ /g' \
        -e 's/ *\([][(),*;{}]\) */\1/g' -e 's/^ //' -e 's/ $//'
}

# The header as one line: comments and preprocessor lines (with their
# continuations) removed.
hdr=$(awk '
    { text = text $0 "\n" }
    END {
        out = ""
        while ((i = index(text, "/*")) > 0) {
            rest = substr(text, i + 2)
            j = index(rest, "*/")
            out = out substr(text, 1, i - 1) " "
            text = substr(rest, j + 2)
        }
        text = out text
        n = split(text, lines, "\n")
        cont = 0
        for (k = 1; k <= n; k++) {
            l = lines[k]
            if (cont || l ~ /^[ \t]*#/) {
                cont = (l ~ /\\$/)
                continue
            }
            printf "%s ", l
        }
    }' "$header" | normalise)
hdr=";$hdr"

# SYNOPSIS code of a rendered page, roff escapes undone, one line.
synopsis() {
    awk '
        /^\.SH / { insyn = ($0 ~ /^\.SH "?SYNOPSIS"?$/); next }
        insyn && /^\.nf/ { code = 1; next }
        insyn && /^\.fi/ { code = 0; next }
        insyn && code && !/^\./ && !/^#include/ { print }
    ' "$1" | sed -e 's/\\&//g' -e 's/\\(aq/'"'"'/g' -e 's/\\\*(Aq/'"'"'/g' \
                 -e 's/\\e/\\/g' -e 's/\\\\/\\/g' -e 's/\\-/-/g' | tr '\n' ' ' | normalise
}

n_decl=0
: >"$tmp/decls.c"
for page in "$out"/man3/*.3; do
    head -n 1 "$page" | grep -q '^\.so ' && continue
    rel=man3/${page##*/}
    syn=$(synopsis "$page")
    if [ -z "$syn" ]; then
        fail "(c) $rel has no SYNOPSIS code"
        continue
    fi
    echo "$syn" | tr ';' '\n' | sed '/^$/d' >"$tmp/pieces"
    while IFS= read -r piece; do
        if ! awk -v h="$hdr" -v p="$piece" 'BEGIN {
                exit !(index(h, ";" p ";") || index(h, "{" p ";") || index(h, "}" p ";")) }'; then
            fail "(c) $rel: '$piece;' does not match include/zmq.h"
            continue
        fi
        case $piece in
            *"{"* | *"}"*) ;;
            *zmq_*"("*) n_decl=$((n_decl + 1)); echo "$piece;" >>"$tmp/decls.c" ;;
        esac
    done <"$tmp/pieces"
    echo "$syn" >"$tmp/syn.$(basename "$page" .3)"
done

# Each exported function is declared in the synopsis of its page.
while read -r name; do
    [ -n "$name" ] || continue
    page=$(page_of "$name") || continue
    f=$tmp/syn.$page
    if [ ! -f "$f" ] || ! grep -Eq "(^|[ *;])$name\(" "$f"; then
        fail "(c) $name is not declared in the SYNOPSIS of $page(3)"
    fi
done <"$symbols"

# The synopses compile as redeclarations against the header.
{
    echo '#include <sys/uio.h>'
    echo '#include <zmq.h>'
    cat "$tmp/decls.c"
} >"$tmp/synopsis.c"
if ! "$CC" -std=c11 -Wall -Werror -fsyntax-only -I"$root/include" "$tmp/synopsis.c" \
        >"$tmp/cc.log" 2>&1; then
    fail "(c) the SYNOPSIS declarations do not compile against include/zmq.h:"
    sed 's/^/    /' "$tmp/cc.log"
fi
echo "(c) compared $n_decl SYNOPSIS declarations with include/zmq.h (text and $CC -fsyntax-only)"

if [ $failures -ne 0 ]; then
    echo "test_man: $failures failure(s)"
    exit 1
fi
echo "test_man: all checks passed"
