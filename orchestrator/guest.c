/* SPDX-License-Identifier: MIT */
/* A booted guest as the run loop sees it: SSH session, pushed engine, agent. */
#include "vexp-config.h"

#include <string.h>

#include "guest.h"
#include "sshlink.h"
#include "vexp.h"

/* the engine's file name inside the private directory the push makes */
#define ENGINE_NAME "vexp-traffic"

struct vexp_guest_session {
    sshlink *ssh;
    char *driver;
    char *engine; /* the engine's path on the remote side */
};

vexp_guest_session *vexp_guest_session_open(const char *addr, const vexp_image *img,
                                            const char *engine_path, GError **error)
{
    g_autoptr(vexp_guest_session) s = g_new0(vexp_guest_session, 1);
    g_autofree char *out = NULL;
    sshlink_options o = {
        .host = addr,
        .port = 22,
        .user = "root",
        .identity = img->client_key,
        .host_key = img->host_key_pub,
        .timeout_ms = 15000,
    };

    if (!(s->ssh = sshlink_connect(&o, error)))
        return NULL;
    if (!sshlink_push_private(s->ssh, engine_path, ENGINE_NAME, 0755, &s->engine, error))
        return NULL;
    /* the driver the guest actually bound to its NIC */
    if (!sshlink_run(s->ssh, "basename \"$(readlink /sys/class/net/eth0/device/driver)\"", 10000,
                     &out, error))
        return NULL;
    s->driver = g_strstrip(g_steal_pointer(&out));
    return g_steal_pointer(&s);
}

const char *vexp_guest_session_driver(vexp_guest_session *s)
{
    return s->driver;
}

vexp_guest_session *vexp_tester_session_open(const matrix_network *n, const char *identity,
                                             const char *engine_path, const char *remote_path,
                                             GError **error)
{
    g_autoptr(vexp_guest_session) s = g_new0(vexp_guest_session, 1);
    sshlink_options o = {
        .host = n->tester_host,
        .port = n->tester_port,
        .user = n->tester_user,
        .identity = n->tester_identity ? n->tester_identity : identity,
        .host_key = n->tester_host_key,
        .timeout_ms = 15000,
    };

    s->engine = g_strdup(remote_path);
    if (!(s->ssh = sshlink_connect(&o, error))) {
        g_prefix_error(error, "tester %s: ", n->tester);
        return NULL;
    }
    if (!remote_path &&
        !sshlink_push_private(s->ssh, engine_path, ENGINE_NAME, 0755, &s->engine, error)) {
        g_prefix_error(error, "tester %s: ", n->tester);
        return NULL;
    }
    return g_steal_pointer(&s);
}

void vexp_guest_session_remove_engine(vexp_guest_session *s)
{
    if (s->engine)
        (void)sshlink_remove_private(s->ssh, s->engine, NULL);
}

const char *vexp_guest_session_engine(vexp_guest_session *s)
{
    return s->engine;
}

traffic_conn *vexp_guest_session_agent(vexp_guest_session *s, GError **error)
{
    g_autofree char *q = sshlink_quote(s->engine);
    g_autofree char *cmd = g_strdup_printf("exec %s agent", q);
    traffic_conn *conn = sshlink_start_agent(s->ssh, cmd, error);
    int rc;

    if (!conn)
        return NULL;
    if ((rc = traffic_conn_hello(conn, 15000, NULL)) < 0) {
        const char *err = sshlink_agent_stderr(s->ssh);
        g_set_error(error, VEXP_ERROR, VEXP_ERROR_ENV, "the agent did not answer: %s%s%s",
                    g_strerror(-rc), *err ? "; its stderr: " : "", err);
        traffic_conn_free(conn);
        return NULL;
    }
    return conn;
}

void vexp_guest_session_free(vexp_guest_session *s)
{
    if (!s)
        return;
    sshlink_free(s->ssh);
    g_free(s->driver);
    g_free(s->engine);
    g_free(s);
}
