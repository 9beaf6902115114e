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

/* virInitialize() and a silent libvirt error handler, once per process. */
void domains_virt_init(void);
/* libvirt's last error message (or "unknown libvirt error"), then reset it; g_free(). */
char *domains_virt_last_error(void);
/* The current cancel flag state. */
gboolean domains_cancelled(void);

/* A defined, running guest (lifecycle.c starts and destroys it, guest-cpu.c reads its CPUs). */
struct domains_guest {
    virDomainPtr dom;
    char *name;
};

/* Render from a buffer; filename is only used in messages (the fuzzer uses this). */
gboolean domains_render_buffer(const char *buf, size_t len, const char *filename,
                               const domains_spec *spec, char **ret_xml, char **ret_key,
                               char **ret_canonical, GError **error);

/* "52:54:00:xx:xx:xx" from SHA-256(name); g_free(). */
char *domains_mac_from_name(const char *name);

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

/* domains_kvm_check(NULL). */
gboolean domains_kvm_usable(void);
/* Tests: -1 = probe /dev/kvm (default), 0 = pretend absent, 1 = pretend usable. */
void domains_set_kvm_override(int usable);
/* The probe found KVM broken: unusable from now on, why (copied) the reason given. */
void domains_kvm_set_broken(const char *why);
/* The kind of KVM from the text of /proc/cpuinfo (NULL = unreadable) and the
 * sysfs module directory ("/sys/module"): pure but for a stat of module_dir/kvm_pvm. */
domains_kvm_kind domains_kvm_kind_of(const char *cpuinfo, const char *module_dir);
/* domains_kvm_check() on /dev/kvm, /proc/cpuinfo and /sys/module under root ("" =
 * the real ones), without VEXP_NO_KVM and the test override. */
gboolean domains_kvm_check_at(const char *root, char **ret_why);
/* domains_host_probe() with /sys/devices/system/cpu/online, /proc/meminfo and the
 * KVM files under root ("" = the real ones and domains_kvm_check()). */
domains_host *domains_host_probe_at(const char *root);

/* What a KVM probe saw, in words: QEMU's exit (exited: status as from waitpid),
 * its stderr (may be NULL), whether the guest printed its banner, the timeout.
 * g_free(). */
char *domains_kvm_probe_verdict(gboolean banner, gboolean exited, int status,
                                const char *qemu_stderr, unsigned timeout_s);

/* Tests: treat conn as remote (or not) from now on; forgets the cached KVM answer. */
void domains_conn_set_remote(domains_conn *conn, gboolean remote);

/* domains_vhost_available() with every path under root ("" = the real one). */
gboolean domains_vhost_available_at(const char *root, char **ret_detail);
/* The sysfs part of domains_bridge_check() under sysfs_root ("/sys" = the real one;
 * tests pass a fake tree).  Does not compare with the caller's namespace. */
gboolean domains_bridge_check_at(const char *sysfs_root, const char *bridge,
                                 const char *const *isolated_ports, GError **error);
