/* SPDX-License-Identifier: MIT */
/* A matrix's needs against this host, checked without booting: pinned CPUs, memory, KVM. */
#include "vexp-config.h"

#include <string.h>

#include "domains-lifecycle.h"
#include "hostfit.h"

gboolean vexp_host_runs_cells(const vexp_matrix *m)
{
    const matrix_experiment *e = matrix_get_experiment(m);

    for (guint k = 0; e->uris && e->uris[k]; k++)
        if (!domains_uri_is_remote(e->uris[k]))
            return TRUE;
    return FALSE;
}

/* The line a [domain] key's value comes from: its axis, else [domain], else
 * [experiment] (accel), else the [domain] header. */
static guint key_line(const vexp_matrix *m, const char *key)
{
    const char *groups[] = {"matrix", "domain", "experiment"};

    for (guint g = 0; g < G_N_ELEMENTS(groups); g++) {
        guint line = matrix_line_of(m, groups[g], key);
        if (line)
            return line;
    }
    return MAX(1u, matrix_line_of(m, "domain", NULL));
}

/* Each distinct value of a key is checked (and reported) once. */
static gboolean first_time(GHashTable *seen, const char *key, const char *value)
{
    char *k = g_strconcat(key, "=", value, NULL);

    if (g_hash_table_contains(seen, k)) {
        g_free(k);
        return FALSE;
    }
    g_hash_table_add(seen, k);
    return TRUE;
}

static void check_cpus(const vexp_matrix *m, const domains_host *host, const char *key,
                       const char *written, const char *cpuset, GPtrArray *findings)
{
    GError *error = NULL;

    if (domains_host_check_cpuset(host, cpuset, &error))
        return;
    g_prefix_error(&error, "%s:%u: %s = '%s': ", matrix_path(m), key_line(m, key), key, written);
    g_ptr_array_add(findings, error);
}

static void check_cell(const vexp_matrix *m, const domains_host *host, const matrix_cell *c,
                       GHashTable *seen, GPtrArray *findings)
{
    g_autofree char *mem = g_strdup_printf("%u", c->memory_mib);
    GError *error = NULL;

    if (c->vcpu_pin_cpusets && first_time(seen, "vcpu_pin", c->vcpu_pin)) {
        g_autofree char *all = g_strjoinv(",", (char **)c->vcpu_pin_cpusets);
        check_cpus(m, host, "vcpu_pin", c->vcpu_pin, all, findings);
    }
    if (c->emulator_cpuset && first_time(seen, "emulator_pin", c->emulator_pin))
        check_cpus(m, host, "emulator_pin", c->emulator_pin, c->emulator_cpuset, findings);
    if (first_time(seen, "memory_mib", mem) &&
        !domains_host_check_memory(host, c->memory_mib, &error)) {
        g_prefix_error(&error, "%s:%u: memory_mib = %u: ", matrix_path(m),
                       key_line(m, "memory_mib"), c->memory_mib);
        g_ptr_array_add(findings, error);
    }
}

GPtrArray *vexp_host_check(const vexp_matrix *m, const domains_host *host)
{
    GPtrArray *findings = g_ptr_array_new_with_free_func((GDestroyNotify)g_error_free);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    const char *tester_pin = matrix_get_traffic(m)->tester_cpus;
    const char *pin_key = matrix_get_traffic(m)->tester_cpus_key;
    gboolean here = vexp_host_runs_cells(m), want_kvm = FALSE;
    GError *error = NULL;

    for (guint i = 0; here && i < matrix_cell_count(m); i++) {
        const matrix_cell *c = matrix_get_cell(m, i);

        if (c->is_host)
            continue;
        check_cell(m, host, c, seen, findings);
        want_kvm |= !g_strcmp0(c->accel, "kvm");
    }
    /* vexp run pins the tester only when it runs here (run/pin.c) */
    if (tester_pin && strcmp(tester_pin, "auto") && strcmp(tester_pin, "none") &&
        !strcmp(matrix_get_network(m)->tester, "local") &&
        !domains_host_check_cpuset(host, tester_pin, &error)) {
        g_prefix_error(&error, "%s:%u: [traffic] %s = '%s': ", matrix_path(m),
                       matrix_line_of(m, "traffic", pin_key), pin_key, tester_pin);
        g_ptr_array_add(findings, error);
        error = NULL;
    }
    if (want_kvm && !domains_host_check_kvm(host, &error)) {
        g_prefix_error(&error, "%s:%u: accel = kvm: ", matrix_path(m), key_line(m, "accel"));
        g_ptr_array_add(findings, error);
    }
    return findings;
}
