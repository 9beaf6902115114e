/* SPDX-License-Identifier: MIT */
/* domains: the rules of a domain spec that need no template, libvirt or libxml2. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* limits of a domain spec (render refuses more; the matrix asks here) */
#define DOMAINS_VCPUS_MAX 256
#define DOMAINS_MEMORY_MIB_MAX (1024u * 1024u) /* 1 TiB */
#define DOMAINS_QUEUES_MAX 256                 /* QEMU's virtio-net limit on queue pairs */
#define DOMAINS_CPU_MAX 1024 /* host CPUs 0..1023 in vcpu_pin/emulator_pin (cpumap bits) */

/* The values of spec->vhost, NULL-terminated: "on" (vhost-net), "off" (QEMU's own). */
extern const char *const domains_vhost_values[];

/* Which rule domains_spec_check_nic() found broken. */
typedef enum {
    DOMAINS_SPEC_OK = 0,
    DOMAINS_SPEC_VHOST,       /* vhost neither "on" nor "off" */
    DOMAINS_SPEC_QUEUES,      /* queues above DOMAINS_QUEUES_MAX */
    DOMAINS_SPEC_NOT_VIRTIO,  /* vhost or queues on a NIC other than virtio */
    DOMAINS_SPEC_VHOST_ACCEL, /* vhost = on under an accelerator other than kvm */
} domains_spec_rule;

/* vhost-net and multiqueue are virtio-net's: TRUE for "virtio" only (the
 * transitional variants are other models). */
gboolean domains_spec_nic_has_virtio_options(const char *nic);

/*
 * The NIC options of a spec: vhost NULL (the template's), "on" or "off";
 * queues 0 (the template's) to DOMAINS_QUEUES_MAX; either only with nic
 * "virtio"; vhost "on" needs accel "kvm" (accel NULL or "auto": not resolved
 * yet, that rule is left for later).  Returns the first rule broken,
 * DOMAINS_SPEC_OK when none; error (may be NULL) then gets
 * DOMAINS_ERROR_INPUT with a message quoting the value.
 */
domains_spec_rule domains_spec_check_nic(const char *nic, const char *vhost, unsigned queues,
                                         const char *accel, GError **error);

G_END_DECLS
