/* SPDX-License-Identifier: MIT */
/* The tester's view of the control connection (inside traffic/ only). */
#pragma once

#include "traffic-priv.h"

typedef int (*traffic_cancel_fn)(void *ud);

/* How long a control command's reply may take (setup, listen, stop): on a
 * loaded TCG host a guest agent that has just sent at its limit can take
 * seconds to be scheduled and for its TCP to recover from the flood. */
#define TRAFFIC_CTRL_TIMEOUT_MS 30000

struct traffic_conn {
    traffic_transport_ops ops;
    void *ctx;
    char buf[8192];
    size_t len;
    bool broken;
    bool hello_done;
    traffic_agent_info info;
    char last_error[256];
    uint16_t stream;     /* last stream id used; each trial takes a new one */
    char setup_key[160]; /* addresses/ports the agent is set up for */
};

__attribute__((format(printf, 2, 3))) int traffic_conn_send(traffic_conn *conn, const char *fmt,
                                                            ...);
/* One reply line parsed; waits up to timeout_ms, polling cancel every 100 ms. */
int traffic_conn_recv(traffic_conn *conn, int timeout_ms, traffic_cancel_fn cancel, void *ud,
                      traffic_kv *ret);
/* As recv, and the reply must have "ok":true and the given type (NULL: any). */
int traffic_conn_reply(traffic_conn *conn, int timeout_ms, traffic_cancel_fn cancel, void *ud,
                       const char *type, traffic_kv *ret);
