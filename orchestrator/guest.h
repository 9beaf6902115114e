/* SPDX-License-Identifier: MIT */
/* A booted guest as the run loop sees it: SSH session, pushed engine, agent. */
#pragma once

#include <glib.h>

#include "domains.h"
#include "traffic.h"

typedef struct vexp_guest_session vexp_guest_session;

/*
 * Connect to root@addr:22 with the image's client key, verify the host key
 * against the image's pinned one, push the static engine to the guest
 * (checksum verified) and read the NIC driver the guest bound to eth0.
 */
vexp_guest_session *vexp_guest_session_open(const char *addr, const domains_image *img,
                                            const char *engine_path, GError **error);
/* e.g. "virtio_net"; borrowed. */
const char *vexp_guest_session_driver(vexp_guest_session *s);
/* Start `vexp-traffic agent` in the guest and say hello over the SSH channel.
 * The returned conn is the caller's (traffic_conn_free) and must be freed
 * before the session. */
traffic_conn *vexp_guest_session_agent(vexp_guest_session *s, GError **error);
/* Accepts NULL. */
void vexp_guest_session_free(vexp_guest_session *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vexp_guest_session, vexp_guest_session_free)
