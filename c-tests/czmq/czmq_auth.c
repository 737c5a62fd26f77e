/* CZMQ's authentication on this library: the zauth actor is the ZAP
 * handler. PLAIN against a password file, CURVE with zcert certificates
 * (a certificate directory, then any key), and address lists for NULL.
 * Each case checks that the allowed peer's message arrives and the
 * refused peer's does not. Exits 0 when every case did. */
#include <czmq.h>

/* Whether `client`'s message reaches `server` within `wait_ms`. */
static bool delivered (zsock_t *client, zsock_t *server, int wait_ms)
{
    /* A refused client's connection may be gone before this send: the
       PUSH then has no pipe and would wait for one for ever. */
    zsock_set_sndtimeo (client, wait_ms);
    if (zstr_send (client, "hello") != 0)
        return false;
    zsock_set_rcvtimeo (server, wait_ms);
    char *text = zstr_recv (server);
    bool ok = text && streq (text, "hello");
    zstr_free (&text);
    return ok;
}

static zsock_t *server_socket (const char *mechanism, zcert_t *cert, char *endpoint, size_t size)
{
    zsock_t *server = zsock_new (ZMQ_PULL);
    if (streq (mechanism, "PLAIN"))
        zsock_set_plain_server (server, 1);
    else if (streq (mechanism, "CURVE")) {
        zcert_apply (cert, server);
        zsock_set_curve_server (server, 1);
    } else
        zsock_set_zap_domain (server, "global");
    int port = zsock_bind (server, "tcp://127.0.0.1:*");
    assert (port > 0);
    snprintf (endpoint, size, "tcp://127.0.0.1:%d", port);
    return server;
}

static zsock_t *plain_client (const char *user, const char *password, const char *endpoint)
{
    zsock_t *client = zsock_new (ZMQ_PUSH);
    zsock_set_plain_username (client, user);
    zsock_set_plain_password (client, password);
    zsock_set_linger (client, 0);
    zsock_connect (client, "%s", endpoint);
    return client;
}

static zsock_t *curve_client (zcert_t *cert, zcert_t *server_cert, const char *endpoint)
{
    zsock_t *client = zsock_new (ZMQ_PUSH);
    zcert_apply (cert, client);
    zsock_set_curve_serverkey (client, zcert_public_txt (server_cert));
    zsock_set_linger (client, 0);
    zsock_connect (client, "%s", endpoint);
    return client;
}

int main (void)
{
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    printf ("libzmq %d.%d.%d\n", major, minor, patch);

    char dir[] = "/tmp/czmq-auth-XXXXXX";
    assert (mkdtemp (dir));
    char path[400];
    int ok = 1;

    zactor_t *auth = zactor_new (zauth, NULL);
    assert (auth);

    /* PLAIN: a password file. */
    snprintf (path, sizeof path, "%s/passwords", dir);
    FILE *f = fopen (path, "w");
    assert (f);
    fprintf (f, "admin=secret\n");
    fclose (f);
    zstr_sendx (auth, "PLAIN", path, NULL);
    zsock_wait (auth);
    char endpoint[64];
    zsock_t *server = server_socket ("PLAIN", NULL, endpoint, sizeof endpoint);
    zsock_t *bad = plain_client ("admin", "guess", endpoint);
    int plain_bad = !delivered (bad, server, 300);
    zsock_t *good = plain_client ("admin", "secret", endpoint);
    int plain_good = delivered (good, server, 3000);
    zsock_destroy (&bad);
    zsock_destroy (&good);
    zsock_destroy (&server);
    printf ("czmq: PLAIN password file: right password %s, wrong refused %s\n",
            plain_good ? "ok" : "FAILED", plain_bad ? "ok" : "FAILED");
    ok = ok && plain_good && plain_bad;

    /* CURVE: only the certificates in the directory are let in. */
    zcert_t *server_cert = zcert_new ();
    zcert_t *known = zcert_new ();
    zcert_t *stranger = zcert_new ();
    char certs[300];
    snprintf (certs, sizeof certs, "%s/certs", dir);
    zsys_dir_create ("%s", certs);
    snprintf (path, sizeof path, "%s/known.txt", certs);
    zcert_set_meta (known, "name", "known client");
    assert (zcert_save_public (known, path) == 0);
    zstr_sendx (auth, "CURVE", certs, NULL);
    zsock_wait (auth);
    server = server_socket ("CURVE", server_cert, endpoint, sizeof endpoint);
    bad = curve_client (stranger, server_cert, endpoint);
    int curve_bad = !delivered (bad, server, 300);
    good = curve_client (known, server_cert, endpoint);
    int curve_good = delivered (good, server, 3000);
    zsock_destroy (&bad);
    zsock_destroy (&good);
    zsock_destroy (&server);
    printf ("czmq: CURVE certificate store: known key %s, stranger refused %s\n",
            curve_good ? "ok" : "FAILED", curve_bad ? "ok" : "FAILED");
    ok = ok && curve_good && curve_bad;

    /* CURVE_ALLOW_ANY: encryption for everyone. */
    zstr_sendx (auth, "CURVE", CURVE_ALLOW_ANY, NULL);
    zsock_wait (auth);
    server = server_socket ("CURVE", server_cert, endpoint, sizeof endpoint);
    good = curve_client (stranger, server_cert, endpoint);
    int any_key = delivered (good, server, 3000);
    zsock_destroy (&good);
    zsock_destroy (&server);
    printf ("czmq: CURVE allow any: %s\n", any_key ? "ok" : "FAILED");
    ok = ok && any_key;

    /* NULL with a ZAP domain: an address block list. */
    zstr_sendx (auth, "DENY", "127.0.0.1", NULL);
    zsock_wait (auth);
    server = server_socket ("NULL", NULL, endpoint, sizeof endpoint);
    bad = zsock_new (ZMQ_PUSH);
    zsock_set_linger (bad, 0);
    zsock_connect (bad, "%s", endpoint);
    int denied = !delivered (bad, server, 300);
    zsock_destroy (&bad);
    zsock_destroy (&server);
    printf ("czmq: NULL with a denied address refused: %s\n", denied ? "ok" : "FAILED");
    ok = ok && denied;

    zactor_destroy (&auth);
    zcert_destroy (&server_cert);
    zcert_destroy (&known);
    zcert_destroy (&stranger);
    snprintf (path, sizeof path, "%s/known.txt", certs);
    zsys_file_delete (path);
    zsys_dir_delete ("%s", certs);
    snprintf (path, sizeof path, "%s/passwords", dir);
    zsys_file_delete (path);
    zsys_dir_delete ("%s", dir);
    return ok ? 0 : 1;
}
