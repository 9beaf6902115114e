/* SPDX-License-Identifier: MIT */
/* From a matrix cell to what the other modules take: domain spec, traffic params, store config. */
#pragma once

#include <glib.h>

#include "domains-net.h"
#include "domains-render.h"
#include "image.h"
#include "matrix.h"
#include "traffic.h"

/* The config key of the bare reference (nic = host): no domain XML exists. */
#define VEXP_HOST_CONFIG_XML "<host-reference engine='vexp-traffic' link='veth'/>"

/* One cell's domain, with the strings the spec borrows. */
typedef struct vexp_cell_domain {
    domains_spec spec;
    char *name;        /* "vexp-<tag>-<index>" */
    char *tap;
    char *mac;
    char *guest_addr;  /* dotted quad */
    char *cmdline;
    char *console_log;
    char *xml;         /* rendered */
    char *key;         /* config key, 64 hex */
    char *canonical;   /* canonical XML the key hashes */
} vexp_cell_domain;

void vexp_cell_domain_free(vexp_cell_domain *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vexp_cell_domain, vexp_cell_domain_free)

/* Where a run's guests live: vexp's own namespace, or an existing bridge. */
typedef struct vexp_netplan {
    const char *bridge;      /* the bridge every guest's tap joins */
    const char *tap_prefix;  /* tap "<prefix><index>" (<= 15 chars); NULL = libvirt picks */
    guint32 guest_base;      /* first guest's IPv4 address, host byte order; cell i gets +i */
    guint prefix;            /* the network's prefix length */
    const char *tester_addr; /* dotted quad */
    domains_net *net;        /* namespace mode in a run: taps and addresses are the net's */
} vexp_netplan;

/* The plan of a run: net (namespace mode) or the matrix's [network] (bridge mode);
 * both NULL-safe: without net in namespace mode, what a run would use ("br0",
 * 198.18.0.10/15, taps "vx<i>").  Strings point into net, m or plan_tap, which
 * holds the bridge mode's tap prefix "vx<tag>-" (taps there share the host). */
void vexp_netplan_init(vexp_netplan *ret_plan, const vexp_matrix *m, domains_net *net,
                       const char *tag, char *plan_tap, gsize plan_tap_len);

/* Cell i's guest address (dotted quad); caller frees. */
char *vexp_netplan_guest_addr(const vexp_netplan *plan, guint i);

/*
 * Fill and render cell i's domain.  img may be NULL (render only: the paths of
 * the default image dir are used and the key then lacks the image identity).
 * accel: the accelerator resolved for the hypervisor that runs the cell
 * ("kvm" | "tcg"); NULL = the cell's own setting, resolved on this host.
 * console_dir: where the hypervisor writes the serial console's file
 * (<console_dir>/<name>.log): vexp's state dir on this machine, a directory
 * that exists on the hypervisor for a remote one (VEXP_REMOTE_CONSOLE_DIR).
 * The path is not part of the config key.
 * Errors: render errors are prefixed with the matrix file:line of the cell's
 * template key.
 */
vexp_cell_domain *vexp_cell_domain_new(const vexp_matrix *m, guint i, const char *tag,
                                       const vexp_netplan *plan, const char *accel,
                                       const vexp_image *img, const char *console_dir,
                                       GError **error);

/* A remote hypervisor's filesystem is not ours: its console files go to
 * libvirt's own QEMU state directory, which every qemu:///system host has
 * (writable by QEMU and by virtlogd). */
#define VEXP_REMOTE_CONSOLE_DIR "/var/lib/libvirt/qemu"

/* The config key of a host cell: SHA-256 of VEXP_HOST_CONFIG_XML; caller frees. */
char *vexp_host_config_key(void);

/* Map [traffic] + [experiment] into the engine's parameters (validated). */
gboolean vexp_traffic_params(const vexp_matrix *m, traffic_params *ret_params, GError **error);

/* Total procedure units of one cell (test x frame size x direction x repetition),
 * for progress and ETA. */
guint vexp_cell_units(const vexp_matrix *m);

/* The vexp state directory (embedded libvirt root, console logs):
 * $VEXP_STATE_DIR, else /var/lib/vexp as root, else the user state dir. */
const char *vexp_state_dir(void);
