/* SPDX-License-Identifier: MIT */
/* domains: what this host offers: accel (KVM or TCG), vhost-net, QEMU's NIC models. */
#pragma once

#include <glib.h>

#include "domains-error.h"

G_BEGIN_DECLS

/* "auto" (or NULL) -> "kvm" when KVM is usable (domains_kvm_check()), else "tcg";
 * "kvm" fails when it is not (DOMAINS_ERROR_ENV, saying why); "tcg" -> "tcg";
 * anything else DOMAINS_ERROR_INPUT.  Returns a static string. */
const char *domains_resolve_accel(const char *accel, GError **error);

/* What kind of KVM the host's CPU and kernel offer. */
typedef enum {
    DOMAINS_KVM_KIND_NONE,     /* no vmx/svm in /proc/cpuinfo, no software KVM */
    DOMAINS_KVM_KIND_HARDWARE, /* vmx (VT-x) or svm (AMD-V): kvm_intel / kvm_amd */
    DOMAINS_KVM_KIND_PVM,      /* a software KVM (/sys/module/kvm_pvm) and no vmx/svm:
                                * guest kernel code runs in KVM's instruction emulator */
} domains_kvm_kind;

/*
 * Does KVM run guests here, as far as can be told without booting one:
 * /dev/kvm opens and answers KVM_GET_API_VERSION, the KVM is not a software
 * one (PVM), VEXP_NO_KVM is not 1, and domains_accel_probe() has not found it
 * broken.  ret_why (may be NULL): one line saying why not, or what answered;
 * g_free().
 */
gboolean domains_kvm_check(char **ret_why);

/* This host's online CPUs, memory and KVM, read once (no guest booted). */
typedef struct domains_host domains_host;
domains_host *domains_host_probe(void);
/* Accepts NULL. */
void domains_host_free(domains_host *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(domains_host, domains_host_free)
/* The online CPUs as a cpuset ("0-1"); borrowed. */
const char *domains_host_cpus(const domains_host *h);
/* MemTotal in MiB; 0 when unknown. */
guint64 domains_host_memory_mib(const domains_host *h);
domains_kvm_kind domains_host_kvm_kind(const domains_host *h);
/* domains_kvm_check() at probe time; ret_why (may be NULL) is borrowed. */
gboolean domains_host_kvm(const domains_host *h, const char **ret_why);
/* Is every CPU of cpuset (libvirt syntax) online here?  DOMAINS_ERROR_INPUT:
 * "CPU 2 does not exist on this host (online: 0-1)" (or its parse error). */
gboolean domains_host_check_cpuset(const domains_host *h, const char *cpuset, GError **error);
/* Does KVM run guests here (domains_host_kvm())?  DOMAINS_ERROR_ENV saying why not. */
gboolean domains_host_check_kvm(const domains_host *h, GError **error);
/* Does a domain of memory_mib fit the host's memory?  DOMAINS_ERROR_INPUT:
 * "65536 MiB is more than this host's memory (2048 MiB in /proc/meminfo)";
 * always TRUE when the host's memory is unknown. */
gboolean domains_host_check_memory(const domains_host *h, guint64 memory_mib, GError **error);

/*
 * Is vhost-net usable by QEMU here: /dev/vhost-net exists, opens read-write,
 * and the vhost_net module is loaded or built in (/sys/module/vhost_net)?
 * ret_detail (may be NULL): one line for the user saying what is there or
 * why not; g_free().  Only meaningful with KVM: vhost-net is not used under TCG.
 */
gboolean domains_vhost_available(char **ret_detail);

/*
 * Check that "auto" may really mean kvm: /dev/kvm can exist and answer while
 * guests hang (broken nested virtualisation).  When domains_kvm_check() passes,
 * boot kernel under KVM with QEMU directly until it prints its banner (20 s at
 * most); when it does not, "auto" resolves to "tcg" from then on and
 * domains_kvm_check() gives the probe's reason.  QEMU's stderr is kept in
 * state_dir/kvm-probe.stderr and quoted in the reason, so that "QEMU aborted
 * at once" and "no banner in 20 s" read apart.  The answer is cached in
 * state_dir/kvm-probe until the host reboots.  ret_detail (may be NULL): one
 * line for the user; g_free().  Returns TRUE when KVM runs guests.
 */
gboolean domains_accel_probe(const char *kernel, const char *state_dir, char **ret_detail);

/* The NIC models qemu_binary offers, in libvirt's names (virtio-net-pci -> virtio),
 * sorted.  qemu_binary NULL = "qemu-system-x86_64".  Cached per binary.
 * ret_models: caller frees with g_strfreev(). */
gboolean domains_nic_models(const char *qemu_binary, GStrv *ret_models, GError **error);

/* The built-in list used when a spec has no nic_models (static, NULL-terminated). */
const char *const *domains_default_nic_models(void);

G_END_DECLS
