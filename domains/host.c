/* SPDX-License-Identifier: MIT */
/* domains: what this host offers: accel resolution and the NIC models QEMU has. */
#include "vexp-config.h"

#include <string.h>

#include "domains-priv.h"

static const char *const default_nic_models[] = {
    "e1000",
    "e1000e",
    "ne2k_pci",
    "pcnet",
    "rtl8139",
    "virtio",
    "virtio-non-transitional",
    "virtio-transitional",
    "vmxnet3",
    NULL,
};

const char *const *domains_default_nic_models(void)
{
    return default_nic_models;
}

/* ---- accel -------------------------------------------------------------- */

const char *domains_resolve_accel(const char *accel, GError **error)
{
    if (accel == NULL || strcmp(accel, "auto") == 0)
        return domains_kvm_usable() ? "kvm" : "tcg";
    if (strcmp(accel, "kvm") == 0) {
        g_autofree char *why = NULL;

        if (!domains_kvm_check(&why)) {
            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                        "accel 'kvm' asked but KVM does not run guests here: %s "
                        "(use accel 'auto' or 'tcg')",
                        why);
            return NULL;
        }
        return "kvm";
    }
    if (strcmp(accel, "tcg") == 0)
        return "tcg";
    g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                "unknown accel '%s' (valid: auto, kvm, tcg)", accel);
    return NULL;
}

/* ---- NIC models --------------------------------------------------------- */

static int cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

GStrv domains_nic_models_parse(const char *output)
{
    static const struct {
        const char *qemu, *libvirt;
    } aliases[] = {
        {"virtio-net-pci", "virtio"},
        {"virtio-net-pci-transitional", "virtio-transitional"},
        {"virtio-net-pci-non-transitional", "virtio-non-transitional"},
    };
    g_auto(GStrv) lines = g_strsplit(output, "\n", -1);
    g_autoptr(GPtrArray) models = g_ptr_array_new_with_free_func(g_free);
    gboolean in_list = FALSE;

    for (guint i = 0; lines[i] != NULL; i++) {
        const char *l = g_strstrip(lines[i]);
        const char *name = l;

        if (g_str_has_prefix(l, "Supported NIC models")) {
            in_list = TRUE;
            continue;
        }
        if (!in_list || *l == '\0')
            continue;
        if (strspn(l, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != strlen(l))
            continue;
        for (size_t a = 0; a < G_N_ELEMENTS(aliases); a++) {
            if (strcmp(l, aliases[a].qemu) == 0)
                name = aliases[a].libvirt;
        }
        g_ptr_array_add(models, g_strdup(name));
    }
    if (models->len == 0)
        return NULL;
    g_ptr_array_sort(models, cmp_str);
    g_ptr_array_add(models, NULL);
    return (GStrv)g_ptr_array_free(g_steal_pointer(&models), FALSE);
}

gboolean domains_nic_models(const char *qemu_binary, GStrv *ret_models, GError **error)
{
    static GMutex lock;
    static GHashTable *cache; /* binary -> GStrv */
    const char *bin = qemu_binary != NULL ? qemu_binary : "qemu-system-x86_64";
    /* the default machine: with "-machine none" QEMU waits instead of listing */
    const char *argv[] = {bin, "-display", "none", "-nic", "model=help", NULL};
    g_autofree char *out = NULL;
    GStrv models;
    gboolean ok = TRUE;

    g_mutex_lock(&lock);
    if (cache == NULL)
        cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_strfreev);
    models = g_hash_table_lookup(cache, bin);
    if (models == NULL) {
        if (!domains_run(argv, &out, error)) {
            ok = FALSE;
        } else if ((models = domains_nic_models_parse(out)) == NULL) {
            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                        "'%s -nic model=help' listed no NIC models", bin);
            ok = FALSE;
        } else {
            g_hash_table_insert(cache, g_strdup(bin), models);
        }
    }
    if (ok)
        *ret_models = g_strdupv(models);
    g_mutex_unlock(&lock);
    return ok;
}
