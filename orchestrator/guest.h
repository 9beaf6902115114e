/* SPDX-License-Identifier: MIT */
/* A booted guest as the run loop sees it: SSH session, pushed engine, agent. */
#pragma once

#include <glib.h>

#include "image.h"
#include "matrix.h"
#include "traffic.h"

typedef struct vexp_guest_session vexp_guest_session;

/*
 * Connect to root@addr:22 with the image's client key, verify the host key
 * against the image's pinned one, push the static engine into a private
 * directory in the guest (checksum verified) and read the NIC driver the guest bound to eth0.
 */
vexp_guest_session *vexp_guest_session_open(const char *addr, const vexp_image *img,
                                            const char *engine_path, GError **error);
/*
 * The tester machine of [network] tester = ssh://user@host: connect with
 * n->tester_identity (else identity, e.g. the image's client key) and the
 * pinned n->tester_host_key; remote_path NULL: push the static engine into a
 * fresh private directory (sshlink_push_private(), checksum verified), else
 * use the engine already at remote_path (a previous push's).
 * vexp_guest_session_agent() then starts its agent.  Errors name the tester.
 */
vexp_guest_session *vexp_tester_session_open(const matrix_network *n, const char *identity,
                                             const char *engine_path, const char *remote_path,
                                             GError **error);
/* Remove the pushed engine and its private directory (best effort). */
void vexp_guest_session_remove_engine(vexp_guest_session *s);
/* The engine's path on the remote side; borrowed. */
const char *vexp_guest_session_engine(vexp_guest_session *s);
/* e.g. "virtio_net"; NULL for a tester session; borrowed. */
const char *vexp_guest_session_driver(vexp_guest_session *s);
/* Start `vexp-traffic agent` in the guest and say hello over the SSH channel.
 * The returned conn is the caller's (traffic_conn_free) and must be freed
 * before the session. */
traffic_conn *vexp_guest_session_agent(vexp_guest_session *s, GError **error);
/* Accepts NULL. */
void vexp_guest_session_free(vexp_guest_session *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vexp_guest_session, vexp_guest_session_free)
