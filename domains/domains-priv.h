/* SPDX-License-Identifier: MIT */
/* domains: internals shared by the domains/ sources and its tests (not public). */
#pragma once

#include <stddef.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/tree.h>

#include "domains-error.h"
#include "domains-host.h"
#include "domains-lifecycle.h"
#include "domains-net.h"
#include "domains-render.h"

/* autoptr wrappers (libvirt's tools/virsh-util.h does the same) */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virConnect, virConnectClose)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)

/* Largest template file and largest host CPU number we accept. */
#define DOMAINS_TEMPLATE_MAX (1024 * 1024)
#include "spec.h" /* DOMAINS_CPU_MAX */
#define DOMAINS_CPUMAP_LEN (DOMAINS_CPU_MAX / 8)

/* virInitialize() and a silent libvirt error handler, once per process. */
void domains_virt_init(void);
/* libvirt's last error message (or "unknown libvirt error"), then reset it; g_free(). */
char *domains_virt_last_error(void);
/* The current cancel flag state. */
gboolean domains_cancelled(void);

/* Render from a buffer; filename is only used in messages (the fuzzer uses this). */
gboolean domains_render_buffer(const char *buf, size_t len, const char *filename,
                               const domains_spec *spec, char **ret_xml, char **ret_key,
                               char **ret_canonical, GError **error);

/* "52:54:00:xx:xx:xx" from SHA-256(name); g_free(). */
char *domains_mac_from_name(const char *name);

/* Parse a libvirt cpuset ("0", "0-3,^2", "1,3") into map (DOMAINS_CPUMAP_LEN bytes,
 * bit n%8 of byte n/8 as libvirt's cpumaps).  what names the setting in messages. */
gboolean domains_cpuset_parse(const char *s, const char *what, unsigned char *map, GError **error);
/* Format a map as "0-1,3" ("" when empty); g_free(). */
char *domains_cpuset_format(const unsigned char *map, size_t maplen);
/* The text form "0 1-2" (tests, tools) into one cpuset per vCPU, checked with
 * domains_vcpu_pin_check(); NULL/"none" -> *ret = NULL, ok.  vcpus 0 = any count. */
gboolean domains_vcpu_pin_split(const char *vcpu_pin, unsigned vcpus, GStrv *ret_sets,
                                GError **error);
/* spec->vcpu_pin: NULL (not pinned) or vcpus valid cpusets (vcpus 0 = any count). */
gboolean domains_vcpu_pin_check(const char *const *sets, unsigned vcpus, GError **error);

/* Run argv (no shell), capture stdout; error names argv[0..] and quotes stderr. */
gboolean domains_run(const char *const *argv, char **ret_stdout, GError **error);

/* Parse "qemu -nic model=help" output into libvirt model names, sorted. */
GStrv domains_nic_models_parse(const char *output);

/* Is /dev/kvm usable (open + KVM_GET_API_VERSION == 12)?  VEXP_NO_KVM=1 forces no. */
gboolean domains_kvm_usable(void);
/* Tests: -1 = probe /dev/kvm (default), 0 = pretend absent, 1 = pretend usable. */
void domains_set_kvm_override(int usable);

/* Tests: treat conn as remote (or not) from now on; forgets the cached KVM answer. */
void domains_conn_set_remote(domains_conn *conn, gboolean remote);

/* domains_vhost_available() with every path under root ("" = the real one). */
gboolean domains_vhost_available_at(const char *root, char **ret_detail);
/* The sysfs part of domains_bridge_check() under sysfs_root ("/sys" = the real one;
 * tests pass a fake tree).  Does not compare with the caller's namespace. */
gboolean domains_bridge_check_at(const char *sysfs_root, const char *bridge,
                                 const char *const *isolated_ports, GError **error);
