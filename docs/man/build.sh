#!/bin/sh
# Builds the manual pages of docs/man/*.scd with scdoc(1).
#
#   docs/man/build.sh OUTDIR
#
# writes OUTDIR/man3/*.3 and OUTDIR/man7/zmq.7, plus one-line ".so" pages
# for the functions documented on another function's page (the ALIASES
# table below). Exits non-zero if scdoc is missing or any page fails.
set -eu

usage() {
    echo "usage: $0 OUTDIR" >&2
    exit 2
}
[ $# -eq 1 ] || usage
out=$1
src=$(cd "$(dirname "$0")" && pwd)

if ! command -v scdoc >/dev/null 2>&1; then
    echo "$0: scdoc not found; install the Debian package 'scdoc' (apt-get install scdoc)" >&2
    exit 1
fi

# name -> page that documents it
ALIASES='
zmq_atomic_counter_set      zmq_atomic_counter_new
zmq_atomic_counter_inc      zmq_atomic_counter_new
zmq_atomic_counter_dec      zmq_atomic_counter_new
zmq_atomic_counter_value    zmq_atomic_counter_new
zmq_atomic_counter_destroy  zmq_atomic_counter_new
zmq_term                    zmq_init
zmq_ctx_destroy             zmq_init
zmq_device                  zmq_proxy
zmq_msg_init_size           zmq_msg_init
zmq_msg_init_data           zmq_msg_init
zmq_msg_size                zmq_msg_data
zmq_msg_set                 zmq_msg_get
zmq_sendmsg                 zmq_msg_send
zmq_recvmsg                 zmq_msg_recv
zmq_recviov                 zmq_sendiov
zmq_timers                  zmq_timers_new
zmq_timers_destroy          zmq_timers_new
zmq_timers_add              zmq_timers_new
zmq_timers_cancel           zmq_timers_new
zmq_timers_set_interval     zmq_timers_new
zmq_timers_reset            zmq_timers_new
zmq_timers_timeout          zmq_timers_new
zmq_timers_execute          zmq_timers_new
zmq_stopwatch_intermediate  zmq_stopwatch_start
zmq_stopwatch_stop          zmq_stopwatch_start
zmq_threadclose             zmq_threadstart
'

mkdir -p "$out/man3" "$out/man7"
failed=0
pages=0
for scd in "$src"/*.scd; do
    base=$(basename "$scd" .scd)          # e.g. zmq_bind.3
    section=${base##*.}
    case $section in
        3|7) ;;
        *) echo "$0: $scd: unexpected section '$section'" >&2; failed=1; continue ;;
    esac
    dest="$out/man$section/$base"
    if scdoc <"$scd" >"$dest.tmp" 2>"$dest.err"; then
        mv "$dest.tmp" "$dest"
        rm -f "$dest.err"
        pages=$((pages + 1))
    else
        echo "$0: scdoc failed on $scd:" >&2
        cat "$dest.err" >&2
        rm -f "$dest.tmp" "$dest.err"
        failed=1
    fi
done

aliases=0
echo "$ALIASES" | while read -r name target; do
    [ -n "$name" ] || continue
    if [ ! -f "$src/$target.3.scd" ]; then
        echo "$0: alias $name points to missing page $target.3" >&2
        exit 1
    fi
    echo ".so man3/$target.3" >"$out/man3/$name.3"
done || failed=1
aliases=$(echo "$ALIASES" | grep -c '[a-z]' || true)

if [ "$failed" -ne 0 ]; then
    echo "$0: some pages failed" >&2
    exit 1
fi
echo "built $pages pages and $aliases aliases in $out"
