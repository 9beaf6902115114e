/* SPDX-License-Identifier: MIT */
/* domains: what this host offers: accel (KVM or TCG), vhost-net, QEMU's NIC models. */
#pragma once

#include <glib.h>

#include "domains-error.h"

G_BEGIN_DECLS

/* "auto" (or NULL) -> "kvm" when /dev/kvm is usable, else "tcg"; "kvm" fails when
 * it is not usable (DOMAINS_ERROR_ENV); "tcg" -> "tcg"; anything else
 * DOMAINS_ERROR_INPUT.  Returns a static string. */
const char *domains_resolve_accel(const char *accel, GError **error);

/*
 * Is vhost-net usable by QEMU here: /dev/vhost-net exists, opens read-write,
 * and the vhost_net module is loaded or built in (/sys/module/vhost_net)?
 * ret_detail (may be NULL): one line for the user saying what is there or
 * why not; g_free().  Only meaningful with KVM: vhost-net is not used under TCG.
 */
gboolean domains_vhost_available(char **ret_detail);

/*
 * Check that "auto" may really mean kvm: /dev/kvm can exist and answer while
 * guests hang (broken nested virtualisation).  When /dev/kvm is usable, boot
 * kernel under KVM with QEMU directly until it prints its banner (20 s at
 * most); when it does not, "auto" resolves to "tcg" from then on.  The
 * answer is cached in state_dir until the host reboots.  ret_detail (may be
 * NULL): one line for the user; g_free().  Returns TRUE when KVM runs guests.
 */
gboolean domains_accel_probe(const char *kernel, const char *state_dir, char **ret_detail);

/* The NIC models qemu_binary offers, in libvirt's names (virtio-net-pci -> virtio),
 * sorted.  qemu_binary NULL = "qemu-system-x86_64".  Cached per binary.
 * ret_models: caller frees with g_strfreev(). */
gboolean domains_nic_models(const char *qemu_binary, GStrv *ret_models, GError **error);

/* The built-in list used when a spec has no nic_models (static, NULL-terminated). */
const char *const *domains_default_nic_models(void);

G_END_DECLS
