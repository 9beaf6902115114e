/* SPDX-License-Identifier: MIT */
/* domains: a cell's domain spec, rendered into domain XML and its config key. */
#pragma once

#include <glib.h>

#include "domains-error.h"
#include "spec.h"

G_BEGIN_DECLS

/* One cell's domain configuration.  Strings are borrowed; NULL = keep the template's. */
typedef struct domains_spec {
    const char *template_path; /* libvirt domain XML file */
    const char *name;          /* domain name, e.g. "vexp-12-3" (required) */
    const char *nic;           /* libvirt model: virtio, e1000, rtl8139, vmxnet3, ... (required) */
    const char *const *nic_models; /* valid models (domains_nic_models()); NULL = built-in list */
    const char *mac;               /* NULL = stable locally administered MAC derived from name */
    const char *bridge;            /* bridge the tap is enslaved to; NULL = template's source */
    const char *tap;               /* tap device name (<= 15 chars); NULL = libvirt picks */
    unsigned vcpus;                /* 0 = template's */
    const char *const *vcpu_pin;   /* host cpuset per vCPU ("1", "0-1", "2,3"), one per vCPU,
                                    * NULL-terminated; NULL = not pinned */
    const char *emulator_pin;      /* cpuset ("0", "0-1"); NULL or "none" = not pinned */
    unsigned memory_mib;           /* 0 = template's */
    const char *accel;             /* "auto" | "kvm" | "tcg"; NULL = "auto".  Only "auto" is
                                    * resolved here, against this host's /dev/kvm; "kvm" and
                                    * "tcg" are taken as given (check the hypervisor first with
                                    * domains_conn_resolve_accel(), which answers for remote
                                    * hosts too, and pass its answer) */
    const char *machine;           /* e.g. "pc", "q35"; NULL = template's */
    const char *kernel;            /* direct kernel boot; NULL = template's */
    const char *initrd;
    const char *cmdline;     /* e.g. "console=ttyS0 vexp.ip=198.18.0.10/15" */
    const char *disk;        /* source file of the first <disk device='disk'>; NULL = template's */
    const char *image_id;    /* content hash of kernel+initrd or disk: part of the config
                              * key (paths are not), NULL = none */
    const char *console_log; /* serial console file; NULL = template's serial */
    /* KVM-only virtio-net options, nic = "virtio" only (else DOMAINS_ERROR_INPUT).
     * They end up in the domain XML, so they are part of the config key. */
    const char *vhost; /* "on" = <driver name='vhost'/> (vhost-net; accel must resolve to
                        * kvm), "off" = <driver name='qemu'/>; NULL = template's */
    unsigned queues;   /* multiqueue 1..256: N > 1 = <driver queues='N'/>, 1 = no queues
                        * attribute (one queue pair); 0 = template's */
} domains_spec;

/* The guest reads its address from this kernel argument ("vexp.ip=198.18.0.10/15"). */
#define DOMAINS_GUEST_IP_ARG "vexp.ip"

/*
 * Render the spec's domain XML from its template.
 * ret_xml: the domain XML to start.  ret_key: SHA-256 (64 hex digits) of
 * ret_canonical, the C14N form of the domain without what differs between
 * runs and machines (name, uuid, MAC, tap, bridge, console path, emulator
 * path, directories of kernel/initrd/disk, the vexp.ip= argument).
 * Any of the ret_* may be NULL; the caller frees them with g_free().
 * Errors: DOMAINS_ERROR_INPUT naming "file:line:" and what is wrong in the
 * template, or the spec value: unknown NIC model or accel, vhost/queues on a
 * NIC other than virtio, vhost = on when accel resolves to tcg, limits.
 */
gboolean domains_render(const domains_spec *spec, char **ret_xml, char **ret_key,
                        char **ret_canonical, GError **error);

/* The size of a cpumap (DOMAINS_CPU_MAX: spec.h). */
#define DOMAINS_CPUMAP_LEN (DOMAINS_CPU_MAX / 8)

/* Parse a libvirt cpuset ("0", "0-3,^2", "1,3") into map (DOMAINS_CPUMAP_LEN bytes,
 * bit n%8 of byte n/8 as libvirt's cpumaps).  what names the setting in messages;
 * errors: DOMAINS_ERROR_INPUT quoting the value. */
gboolean domains_cpuset_parse(const char *s, const char *what, unsigned char *map, GError **error);
/* Format a map as "0-1,3" ("" when empty); g_free(). */
char *domains_cpuset_format(const unsigned char *map, size_t maplen);

G_END_DECLS
