/* What zmq_getsockopt answers on a fresh socket, and whether zmq_setsockopt
 * takes a value, for every socket type 0..11 and every option number
 * 0..120, one line per (type, option) pair.
 * c-tests/test_option_defaults.sh builds this twice, against include/zmq.h
 * and build/lib, and with -DREFERENCE_LIBZMQ against the system libzmq, and
 * compares the two outputs.
 *
 * Each socket is created, probed option by option in increasing order, and
 * closed; nothing is bound or connected, and nothing is set on it (the set
 * probes use sockets of their own). A line reads
 *
 *   TYPE OPTION rc errno len value clobbered=N [probes...] # NAME
 *
 *   rc errno len     the result of a call offering 256 bytes pre-filled with
 *                    0xaa, errno when rc is -1 ("-" on success, where errno
 *                    means nothing), *option_len afterwards;
 *   value            the first len bytes in hex, "empty" for none, "-" when
 *                    the call failed, "<varies>" for ZMQ_FD and ZMQ_EVENTS;
 *   clobbered=N      how many of the offered bytes past the value (all of
 *                    them on failure) the call changed;
 *   exact4 ...       for options of type int (ZMQ_FD too: a descriptor is
 *                    an int here), the same for a call offering exactly 4
 *                    bytes, the size most of libzmq's int options insist on;
 *   over8 rc errno len bytes
 *                    then a call offering 8 bytes pre-filled with 0xaa: all
 *                    8 bytes afterwards (an fd's or events mask's first 4
 *                    read "<varies>");
 *   exact8 ... over12 ...
 *                    the same two for the 64-bit options (uint64_t and
 *                    int64_t), with 8 and 12 bytes;
 *   exact32 ... exact41 ...
 *                    for the CURVE keys, calls offering the binary (32) and
 *                    Z85 (41) sizes, the only two libzmq accepts;
 *   set4 rc errno set8 rc errno setstr rc errno
 *                    zmq_setsockopt on a fresh socket of the same type
 *                    each time, with the int 1, the int64_t 1 and the
 *                    3 bytes "abc": which options a type takes, and in
 *                    which shapes;
 *   OVERRUN          after any probe: the call wrote past the bytes offered;
 *   # NAME           the option's name in the 4.3.5 header ("-" for numbers
 *                    it does not define), "(draft)" for draft options.
 *
 * The value of ZMQ_FD is a descriptor number and that of ZMQ_EVENTS depends
 * on when the library's internal commands are processed, so neither is
 * printed; every other value on a fresh socket is the same from run to run.
 * ZMQ_LAST_ENDPOINT on a fresh socket is the empty string (one NUL byte).
 *
 * Lines starting with "#" come first: the version zmq_version reports and
 * the file the dynamic loader found zmq_version in, which prove which
 * library ran. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#define MAX_OPTION 120
#define BIG 256

enum kind { OTHER, INT, WIDE, KEY };

struct option_info {
    const char *name;
    enum kind kind;
};

/* Numbers and value types from the 4.3.5 header and manual (zmq_setsockopt,
 * zmq_getsockopt), written out so that both builds use the same table
 * whatever their header defines. Write-only options are listed with their
 * type too: their probes show how a read of them is refused. */
static const struct option_info options[MAX_OPTION + 1] = {
    [4] = {"AFFINITY", WIDE},
    [5] = {"ROUTING_ID", OTHER},
    [6] = {"SUBSCRIBE", OTHER},
    [7] = {"UNSUBSCRIBE", OTHER},
    [8] = {"RATE", INT},
    [9] = {"RECOVERY_IVL", INT},
    [11] = {"SNDBUF", INT},
    [12] = {"RCVBUF", INT},
    [13] = {"RCVMORE", INT},
    [14] = {"FD", INT},
    [15] = {"EVENTS", INT},
    [16] = {"TYPE", INT},
    [17] = {"LINGER", INT},
    [18] = {"RECONNECT_IVL", INT},
    [19] = {"BACKLOG", INT},
    [21] = {"RECONNECT_IVL_MAX", INT},
    [22] = {"MAXMSGSIZE", WIDE},
    [23] = {"SNDHWM", INT},
    [24] = {"RCVHWM", INT},
    [25] = {"MULTICAST_HOPS", INT},
    [27] = {"RCVTIMEO", INT},
    [28] = {"SNDTIMEO", INT},
    [31] = {"IPV4ONLY", INT},
    [32] = {"LAST_ENDPOINT", OTHER},
    [33] = {"ROUTER_MANDATORY", INT},
    [34] = {"TCP_KEEPALIVE", INT},
    [35] = {"TCP_KEEPALIVE_CNT", INT},
    [36] = {"TCP_KEEPALIVE_IDLE", INT},
    [37] = {"TCP_KEEPALIVE_INTVL", INT},
    [38] = {"TCP_ACCEPT_FILTER", OTHER},
    [39] = {"IMMEDIATE", INT},
    [40] = {"XPUB_VERBOSE", INT},
    [41] = {"ROUTER_RAW", INT},
    [42] = {"IPV6", INT},
    [43] = {"MECHANISM", INT},
    [44] = {"PLAIN_SERVER", INT},
    [45] = {"PLAIN_USERNAME", OTHER},
    [46] = {"PLAIN_PASSWORD", OTHER},
    [47] = {"CURVE_SERVER", INT},
    [48] = {"CURVE_PUBLICKEY", KEY},
    [49] = {"CURVE_SECRETKEY", KEY},
    [50] = {"CURVE_SERVERKEY", KEY},
    [51] = {"PROBE_ROUTER", INT},
    [52] = {"REQ_CORRELATE", INT},
    [53] = {"REQ_RELAXED", INT},
    [54] = {"CONFLATE", INT},
    [55] = {"ZAP_DOMAIN", OTHER},
    [56] = {"ROUTER_HANDOVER", INT},
    [57] = {"TOS", INT},
    [58] = {"IPC_FILTER_PID", OTHER},
    [59] = {"IPC_FILTER_UID", OTHER},
    [60] = {"IPC_FILTER_GID", OTHER},
    [61] = {"CONNECT_ROUTING_ID", OTHER},
    [62] = {"GSSAPI_SERVER", INT},
    [63] = {"GSSAPI_PRINCIPAL", OTHER},
    [64] = {"GSSAPI_SERVICE_PRINCIPAL", OTHER},
    [65] = {"GSSAPI_PLAINTEXT", INT},
    [66] = {"HANDSHAKE_IVL", INT},
    [68] = {"SOCKS_PROXY", OTHER},
    [69] = {"XPUB_NODROP", INT},
    [70] = {"BLOCKY", INT},
    [71] = {"XPUB_MANUAL", INT},
    [72] = {"XPUB_WELCOME_MSG", OTHER},
    [73] = {"STREAM_NOTIFY", INT},
    [74] = {"INVERT_MATCHING", INT},
    [75] = {"HEARTBEAT_IVL", INT},
    [76] = {"HEARTBEAT_TTL", INT},
    [77] = {"HEARTBEAT_TIMEOUT", INT},
    [78] = {"XPUB_VERBOSER", INT},
    [79] = {"CONNECT_TIMEOUT", INT},
    [80] = {"TCP_MAXRT", INT},
    [81] = {"THREAD_SAFE", INT},
    [84] = {"MULTICAST_MAXTPDU", INT},
    [85] = {"VMCI_BUFFER_SIZE", WIDE},
    [86] = {"VMCI_BUFFER_MIN_SIZE", WIDE},
    [87] = {"VMCI_BUFFER_MAX_SIZE", WIDE},
    [88] = {"VMCI_CONNECT_TIMEOUT", INT},
    [89] = {"USE_FD", INT},
    [90] = {"GSSAPI_PRINCIPAL_NAMETYPE", INT},
    [91] = {"GSSAPI_SERVICE_PRINCIPAL_NAMETYPE", INT},
    [92] = {"BINDTODEVICE", OTHER},
    [93] = {"ZAP_ENFORCE_DOMAIN(draft)", INT},
    [94] = {"LOOPBACK_FASTPATH(draft)", INT},
    [95] = {"METADATA(draft)", OTHER},
    [96] = {"MULTICAST_LOOP(draft)", INT},
    [97] = {"ROUTER_NOTIFY(draft)", INT},
    [98] = {"XPUB_MANUAL_LAST_VALUE(draft)", INT},
    [99] = {"SOCKS_USERNAME(draft)", OTHER},
    [100] = {"SOCKS_PASSWORD(draft)", OTHER},
    [101] = {"IN_BATCH_SIZE(draft)", INT},
    [102] = {"OUT_BATCH_SIZE(draft)", INT},
    [103] = {"WSS_KEY_PEM(draft)", OTHER},
    [104] = {"WSS_CERT_PEM(draft)", OTHER},
    [105] = {"WSS_TRUST_PEM(draft)", OTHER},
    [106] = {"WSS_HOSTNAME(draft)", OTHER},
    [107] = {"WSS_TRUST_SYSTEM(draft)", INT},
    [108] = {"ONLY_FIRST_SUBSCRIBE(draft)", INT},
    [109] = {"RECONNECT_STOP(draft)", INT},
    [110] = {"HELLO_MSG(draft)", OTHER},
    [111] = {"DISCONNECT_MSG(draft)", OTHER},
    [112] = {"PRIORITY(draft)", INT},
    [113] = {"BUSY_POLL(draft)", INT},
    [114] = {"HICCUP_MSG(draft)", OTHER},
    [115] = {"XSUB_VERBOSE_UNSUBSCRIBE(draft)", INT},
    [116] = {"TOPICS_COUNT(draft)", INT},
};

static const char *const type_names[] = {
    "PAIR", "PUB",  "SUB",  "REQ", "REP",  "DEALER",
    "ROUTER", "PULL", "PUSH", "XPUB", "XSUB", "STREAM",
};

static void print_errno (int rc, int err)
{
    if (rc == 0) {
        printf (" -");
        return;
    }
    switch (err) {
        case EINVAL: printf (" EINVAL"); break;
        case EFAULT: printf (" EFAULT"); break;
        case ENOTSUP: printf (" ENOTSUP"); break;
        case ETERM: printf (" ETERM"); break;
        case ENOTSOCK: printf (" ENOTSOCK"); break;
        case EINTR: printf (" EINTR"); break;
        default: printf (" %d", err); break;
    }
}

static void print_hex (const unsigned char *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf ("%02x", bytes[i]);
}

/* One call offering `size` bytes pre-filled with 0xaa. Prints " label rc
 * errno len" and then either the first len bytes (all_bytes false: the
 * value) or all `size` bytes (all_bytes true: what the call did to the
 * rest of the buffer), then, for the first form, how many bytes past the
 * value the call changed. The 4 bytes of an fd or the events mask read
 * "<varies>". */
static void probe_sized (void *s, int option, size_t size, const char *label,
                         int all_bytes)
{
    unsigned char buf[BIG + 16];
    memset (buf, 0xaa, sizeof buf);
    size_t len = size;
    errno = 0;
    int rc = zmq_getsockopt (s, option, buf, &len);
    int err = errno;
    if (label)
        printf (" %s", label);
    printf (" %d", rc);
    print_errno (rc, err);
    printf (" %zu ", len);
    int varies = rc == 0 && (option == ZMQ_FD || option == ZMQ_EVENTS);
    size_t shown = rc == 0 ? (len < size ? len : size) : 0;
    if (all_bytes) {
        if (varies) {
            printf ("<varies>");
            print_hex (buf + sizeof (int), size - sizeof (int));
        } else
            print_hex (buf, size);
    } else if (rc != 0)
        printf ("-");
    else if (varies)
        printf ("<varies>");
    else if (len == 0)
        printf ("empty");
    else
        print_hex (buf, shown);
    if (!all_bytes) {
        int clobbered = 0;
        for (size_t i = shown; i < size; i++)
            if (buf[i] != 0xaa)
                clobbered++;
        printf (" clobbered=%d", clobbered);
    }
    /* A write past the buffer offered shows in the bytes after it. */
    for (size_t i = size; i < sizeof buf; i++)
        if (buf[i] != 0xaa) {
            printf (" OVERRUN");
            break;
        }
}

/* zmq_setsockopt on a fresh socket: prints " label rc errno". */
static void probe_set (void *ctx, int type, int option, const void *value,
                       size_t size, const char *label)
{
    void *s = zmq_socket (ctx, type);
    if (!s) {
        printf (" %s socket-failed", label);
        return;
    }
    errno = 0;
    int rc = zmq_setsockopt (s, option, value, size);
    int err = errno;
    printf (" %s %d", label, rc);
    print_errno (rc, err);
    zmq_close (s);
}

static void probe (void *ctx, void *s, int type, int option)
{
    const struct option_info *info = &options[option];
    printf ("%s %d", type_names[type], option);
    probe_sized (s, option, BIG, NULL, 0);
    if (info->name && info->kind == INT) {
        probe_sized (s, option, sizeof (int), "exact4", 0);
        probe_sized (s, option, 8, "over8", 1);
    } else if (info->name && info->kind == WIDE) {
        probe_sized (s, option, sizeof (int64_t), "exact8", 0);
        probe_sized (s, option, 12, "over12", 1);
    } else if (info->name && info->kind == KEY) {
        probe_sized (s, option, 32, "exact32", 0);
        probe_sized (s, option, 41, "exact41", 0);
    }
    int one = 1;
    int64_t wide_one = 1;
    probe_set (ctx, type, option, &one, sizeof one, "set4");
    probe_set (ctx, type, option, &wide_one, sizeof wide_one, "set8");
    probe_set (ctx, type, option, "abc", 3, "setstr");
    printf (" # %s\n", info->name ? info->name : "-");
}

int main (void)
{
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    printf ("# zmq_version %d.%d.%d\n", major, minor, patch);
    Dl_info where;
    if (dladdr ((void *) zmq_version, &where) && where.dli_fname)
        printf ("# library %s\n", where.dli_fname);
    else
        printf ("# library unknown\n");
#ifdef REFERENCE_LIBZMQ
    printf ("# built against the system zmq.h\n");
#else
    printf ("# built against include/zmq.h\n");
#endif

    for (int type = 0; type <= 11; type++) {
        /* A context per type: the set probes open 363 sockets each, and
         * a context holds at most 1023 (ZMQ_MAX_SOCKETS) at a time. */
        void *ctx = zmq_ctx_new ();
        if (!ctx) {
            fprintf (stderr, "zmq_ctx_new: %s\n", zmq_strerror (errno));
            return 1;
        }
        void *s = zmq_socket (ctx, type);
        if (!s) {
            fprintf (stderr, "zmq_socket (%s): %s\n", type_names[type],
                     zmq_strerror (errno));
            zmq_ctx_term (ctx);
            return 1;
        }
        for (int option = 0; option <= MAX_OPTION; option++)
            probe (ctx, s, type, option);
        if (zmq_close (s) != 0) {
            fprintf (stderr, "zmq_close (%s): %s\n", type_names[type],
                     zmq_strerror (errno));
            return 1;
        }
        if (zmq_ctx_term (ctx) != 0) {
            fprintf (stderr, "zmq_ctx_term: %s\n", zmq_strerror (errno));
            return 1;
        }
    }
    fflush (stdout);
    return 0;
}
