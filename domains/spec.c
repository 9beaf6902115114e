/* SPDX-License-Identifier: MIT */
/* domains: the spec's rules shared by the renderer and the matrix (GLib only). */
#include "vexp-config.h"

#include <string.h>

#include "domains-error.h"
#include "spec.h"

/* here, not in common.c: the matrix links this file without libvirt */
G_DEFINE_QUARK(domains - error - quark, domains_error)

const char *const domains_vhost_values[] = {"on", "off", NULL};

gboolean domains_spec_nic_has_virtio_options(const char *nic)
{
    return g_strcmp0(nic, "virtio") == 0;
}

domains_spec_rule domains_spec_check_nic(const char *nic, const char *vhost, unsigned queues,
                                         const char *accel, GError **error)
{
    if (vhost != NULL && !g_strv_contains(domains_vhost_values, vhost)) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "vhost '%s' is neither 'on' nor 'off'", vhost);
        return DOMAINS_SPEC_VHOST;
    }
    if (queues > DOMAINS_QUEUES_MAX) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT, "queues '%u' above the limit %d",
                    queues, DOMAINS_QUEUES_MAX);
        return DOMAINS_SPEC_QUEUES;
    }
    if ((vhost != NULL || queues != 0) && !domains_spec_nic_has_virtio_options(nic)) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "vhost/queues apply to nic = virtio only, not '%s'", nic ? nic : "");
        return DOMAINS_SPEC_NOT_VIRTIO;
    }
    if (g_strcmp0(vhost, "on") == 0 && accel != NULL && strcmp(accel, "auto") != 0 &&
        strcmp(accel, "kvm") != 0) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "vhost-net needs accel = kvm; this cell resolves to %s", accel);
        return DOMAINS_SPEC_VHOST_ACCEL;
    }
    return DOMAINS_SPEC_OK;
}
