/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the matrix parser: any bytes in, an error or a consistent matrix out. */
#include <stdint.h>
#include <string.h>

#include "matrix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const nics[] = {"virtio", "e1000", "rtl8139", "vmxnet3", NULL};

static void quiet_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer user)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_matrix) m = NULL;

    /* a GLib critical is a bug the fuzzer must see as a crash */
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    g_log_set_handler("GLib", G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO | G_LOG_LEVEL_MESSAGE, quiet_log,
                      NULL);
    /* templates resolve against the test data, where tiny-guest.xml exists */
    m = matrix_load_data((const char *)data, size, "fuzz.conf", FUZZ_DATA_DIR, nics, &error);
    if (!m) {
        g_assert(error && error->domain == MATRIX_ERROR);
        g_assert(g_str_has_prefix(error->message, "fuzz.conf:"));
        return 0;
    }
    g_assert(matrix_cell_count(m) >= 1 && matrix_cell_count(m) <= MATRIX_MAX_CELLS);
    g_assert(strlen(matrix_hash(m)) == 64);
    for (guint i = 0; i < matrix_cell_count(m); i++) {
        const matrix_cell *c = matrix_get_cell(m, i);

        g_assert(c->index == i && c->label && c->nic && c->vcpus >= 1);
        g_assert(c->is_host || c->template_path);
        for (guint k = 0; c->vcpu_pin_cpusets && c->vcpu_pin_cpusets[k]; k++)
            g_assert(k < c->vcpus);
        for (const char *const *key = matrix_domain_keys(); *key; key++)
            (void)matrix_cell_value(m, i, *key);
    }
    g_assert(matrix_get_traffic(m)->n_frame_sizes >= 1);
    return 0;
}
