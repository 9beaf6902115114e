/* SPDX-License-Identifier: MIT */
/* vexp-traffic: the engine's public interface (tester side, agent, RFC 2544 procedures). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Errors: functions return >= 0 on success or -errno.  Nothing here prints.
 *
 * The control connection to an agent is transport independent: a local
 * pipe pair (a command run with /bin/sh -c), or any byte stream that
 * provides these operations (traffic/ssh/ wraps a libssh channel in them).
 */
typedef struct traffic_transport_ops {
    /* read up to len bytes; wait at most timeout_ms (-1 = forever);
     * returns bytes read, 0 on EOF, -ETIMEDOUT on timeout, or -errno */
    ssize_t (*read)(void *ctx, void *buf, size_t len, int timeout_ms);
    /* write all len bytes; returns len or -errno */
    ssize_t (*write)(void *ctx, const void *buf, size_t len);
    /* release the transport; called once by traffic_conn_free() */
    void (*close)(void *ctx);
} traffic_transport_ops;

typedef struct traffic_conn traffic_conn;

/* Run cmd with /bin/sh -c; its stdin/stdout become the control channel. */
int traffic_conn_open_cmd(const char *cmd, traffic_conn **ret_conn);
/* Wrap a transport; the conn owns ctx and calls ops->close(ctx) when freed. */
int traffic_conn_open_ops(const traffic_transport_ops *ops, void *ctx, traffic_conn **ret_conn);
/* Accepts NULL. */
void traffic_conn_free(traffic_conn *conn);
