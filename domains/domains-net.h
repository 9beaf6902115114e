/* SPDX-License-Identifier: MIT */
/* domains: the per-run network namespace, its bridge and addresses; bridge checks. */
#pragma once

#include <glib.h>

#include "domains-error.h"

G_BEGIN_DECLS

/* ---- network: one namespace per run ------------------------------------- */

typedef struct domains_net domains_net;

/*
 * Create netns "vexp-<tag>" holding bridge "br0" (STP off, forward delay 0)
 * with the tester address 198.18.0.1/15, and lo up.  The owner pid is
 * recorded in /run/vexp/<netns>.pid for domains_net_sweep().
 * tag: [A-Za-z0-9_-], at most 20 characters.
 */
domains_net *domains_net_create(const char *tag, GError **error);
/* setns() the calling thread into the namespace.  Call it before any thread
 * starts (fails with DOMAINS_ERROR_ENV when the process has other threads). */
gboolean domains_net_enter(domains_net *net, GError **error);
const char *domains_net_name(domains_net *net);        /* "vexp-<tag>" */
const char *domains_net_bridge(domains_net *net);      /* "br0" */
const char *domains_net_tester_addr(domains_net *net); /* "198.18.0.1" */
unsigned domains_net_prefix(domains_net *net);         /* 15 */
/* 198.18.0.10 + index (index < 100000); caller frees. */
char *domains_net_guest_addr(domains_net *net, unsigned index);
/* "vexp-<tag>-<index>": a tap name for guest index; caller frees. */
char *domains_net_tap_name(domains_net *net, unsigned index);
/* the bridge's end of the host peer's veth pair (domains_net_limit() shapes it) */
#define DOMAINS_NET_HOST_PEER_BR_DEV "vxh0"
/* For nic=host: netns "vexp-<tag>-h" joined to the bridge by a veth pair, holding
 * 198.18.0.2/15.  Run the agent there with `ip netns exec`.  Caller frees ret_*. */
gboolean domains_net_add_host_peer(domains_net *net, char **ret_netns, char **ret_addr,
                                   GError **error);
/* Shape traffic leaving the bridge towards dev (e.g. a guest's tap) with tc tbf;
 * rate_bps 0 = remove the shaping. */
gboolean domains_net_limit(domains_net *net, const char *dev, guint64 rate_bps, GError **error);
/* Kill what still runs inside, delete both namespaces and the pid file.  Accepts NULL. */
void domains_net_destroy(domains_net *net);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(domains_net, domains_net_destroy)
/* Remove namespaces "vexp-*" whose owner recorded in /run/vexp/<name>.pid is dead
 * (namespaces without that file are not vexp's and stay). */
gboolean domains_net_sweep(guint *ret_removed, GError **error);

/*
 * Check that bridge exists in the caller's network namespace and that none of
 * its ports is a physical device (one with /sys/class/net/PORT/device, e.g.
 * eth0): benchmark traffic belongs on an isolated network (RFC 6815).
 * Reads sysfs, which shows the devices of the namespace that mounted /sys:
 * inside a namespace entered with setns() alone, remount /sys first as
 * `ip netns exec` does; a sysfs of another namespace is detected by the
 * ifindex and fails with DOMAINS_ERROR_ENV.
 * isolated_ports (NULL-terminated, may be NULL): physical ports the user
 * declares a dedicated benchmark link (a cable to the tester); they pass.
 * Errors: DOMAINS_ERROR_INPUT "bridge 'X' does not exist", "... is not a
 * bridge", "bridge 'X' has the physical port 'eth0': ...".
 */
gboolean domains_bridge_check(const char *bridge, const char *const *isolated_ports,
                              GError **error);

G_END_DECLS
