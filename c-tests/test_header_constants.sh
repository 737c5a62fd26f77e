#!/usr/bin/env bash
# Every constant of include/zmq.h against the system libzmq's zmq.h (Debian
# libzmq3-dev): the union of the macro names of both headers is printed as
# compiled against each, plain and with ZMQ_BUILD_DRAFT_API, with the sizes,
# alignments and field offsets of the public structs; any difference fails.
#
# Allowed: ZMQ_VERSION_PATCH and ZMQ_VERSION, because this library is
# libzmq 4.3.5 and the system header may be another 4.3 release; the
# draft ZMQ_RECONNECT_STOP_AFTER_DISCONNECT, 0x3 before 4.3.5 (which made
# it a flag of its own, 0x4); and the draft options 4.3.5 added (113 to
# 116), which an older header lacks: their values are checked on their own.
set -eu
cd "$(dirname "$0")/.."
out=build/c-tests/header
mkdir -p "$out"
system=/usr/include/zmq.h
[ -f "$system" ] || { echo "no $system: install libzmq3-dev"; exit 1; }

python3 - "$out/constants.c" include/zmq.h include/zmq_utils.h "$system" /usr/include/zmq_utils.h <<'PY'
import re, sys
target, headers = sys.argv[1], sys.argv[2:]
names = set()
for path in headers:
    for m in re.finditer(r'^\s*#\s*define\s+([A-Z_][A-Z0-9_]*)(\(?)', open(path).read(), re.M):
        if m.group(2) != '(':
            names.add(m.group(1))
# Not values: the export attribute, include guards, feature markers.
names = sorted(n for n in names if n != 'ZMQ_EXPORT' and not n.startswith('__')
               and not n.startswith('ZMQ_HAVE_'))
lines = ['#include <zmq.h>', '#include <zmq_utils.h>', '#include <stdio.h>',
         '#include <stddef.h>', 'int main (void) {']
for n in names:
    fmt = 'printf ("%s=%%s\\n", %s);' % (n, n) if n.startswith('ZMQ_MSG_PROPERTY_') \
        else 'printf ("%s=%%lld\\n", (long long) (%s));' % (n, n)
    lines += ['#ifdef ' + n, fmt, '#else', 'printf ("%s undefined\\n");' % n, '#endif']
for feature in ['ZMQ_HAVE_TIMERS', 'ZMQ_HAVE_POLLER']:
    lines += ['#ifdef ' + feature, 'puts ("%s defined");' % feature, '#else',
              'puts ("%s undefined");' % feature, '#endif']
layout = [('sizeof (zmq_msg_t)',), ('_Alignof (zmq_msg_t)',), ('sizeof (zmq_pollitem_t)',),
          ('_Alignof (zmq_pollitem_t)',), ('offsetof (zmq_pollitem_t, socket)',),
          ('offsetof (zmq_pollitem_t, fd)',), ('offsetof (zmq_pollitem_t, events)',),
          ('offsetof (zmq_pollitem_t, revents)',), ('sizeof (zmq_fd_t)',)]
for (expr,) in layout:
    lines.append('printf ("%s=%%zu\\n", (size_t) %s);' % (expr, expr))
lines += ['#ifdef ZMQ_BUILD_DRAFT_API']
for expr in ['sizeof (zmq_poller_event_t)', 'offsetof (zmq_poller_event_t, fd)',
             'offsetof (zmq_poller_event_t, user_data)', 'offsetof (zmq_poller_event_t, events)']:
    lines.append('printf ("%s=%%zu\\n", (size_t) %s);' % (expr, expr))
lines += ['#endif', 'return 0;', '}']
open(target, 'w').write('\n'.join(lines) + '\n')
PY

status=0
for draft in "" "-DZMQ_BUILD_DRAFT_API"; do
    cc -std=c11 $draft -Iinclude -o "$out/ours" "$out/constants.c"
    cc -std=c11 $draft -I/usr/include -o "$out/system" "$out/constants.c" 2>"$out/system.log" || { cat "$out/system.log"; exit 1; }
    "$out/ours" > "$out/ours.txt"
    "$out/system" > "$out/system.txt"
    differences=$(diff "$out/ours.txt" "$out/system.txt" | grep '^[<>]' \
        | grep -v -E '^[<>] (ZMQ_VERSION(_PATCH)?|ZMQ_RECONNECT_STOP_AFTER_DISCONNECT)=' \
        | grep -v -E '^[<>] ZMQ_(BUSY_POLL|HICCUP_MSG|XSUB_VERBOSE_UNSUBSCRIBE|TOPICS_COUNT)[= ]' || true)
    count=$(wc -l < "$out/ours.txt")
    echo "${draft:-stable}: compared $count constants and layouts"
    if [ -n "$differences" ]; then
        echo "differences (< ours, > system):"
        echo "$differences"
        status=1
    fi
done
grep -q '^ZMQ_VERSION_PATCH=5$' "$out/ours.txt" || { echo "ZMQ_VERSION_PATCH is not 5"; status=1; }
# (ours.txt is the draft build's now.)
for expected in ZMQ_BUSY_POLL=113 ZMQ_HICCUP_MSG=114 ZMQ_XSUB_VERBOSE_UNSUBSCRIBE=115 ZMQ_TOPICS_COUNT=116; do
    grep -q "^$expected\$" "$out/ours.txt" || { echo "not $expected (libzmq 4.3.5)"; status=1; }
done
[ $status -eq 0 ] && echo "0 differences"
exit $status
