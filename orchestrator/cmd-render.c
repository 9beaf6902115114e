/* SPDX-License-Identifier: MIT */
/* vexp render: each cell's config key and final domain XML; boots nothing. */
#include "vexp-config.h"

#include <stdio.h>

#include "cells.h"
#include "common.h"
#include "hostfit.h"
#include "estimate.h"
#include "calibrate.h"
#include "vexp.h"

/* The matrix's length before it runs (--keys keeps stdout to the keys), its typical figure
 * calibrated by the store's earlier cells on this host. */
static int render_estimate(const vexp_matrix *m, const char *store_opt, FILE *out)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    g_autofree char *note = NULL;
    g_autoptr(vexp_calib_set) calib = vexp_calib_load(vexp_store_path(store_opt, m), m, &note);
    const vexp_calibration c = vexp_calib_get(calib);
    vexp_estimate e;

    if (note)
        fprintf(stderr, "vexp render: warning: %s\n", note);
    if (!vexp_estimate_matrix(m, NULL, &e, &error))
        return vexp_report_error(error);
    vexp_estimate_calibrate(&e, m, &c);
    text = vexp_estimate_format(m, &e);
    fputs(text, out);
    return VEXP_EXIT_OK;
}

static int cmd_render(int argc, char **argv)
{
    g_autofree char *image_dir = NULL;
    g_autofree char *store_opt = NULL;
    gboolean keys_only = FALSE;
    GOptionEntry entries[] = {
        {"store", 0, 0, G_OPTION_ARG_FILENAME, &store_opt,
         "Store whose earlier runs on this host calibrate the estimate (default: $VEXP_STORE, "
         "the matrix's store, results.db)",
         "FILE"},
        {"image", 0, 0, G_OPTION_ARG_FILENAME, &image_dir,
         "Guest image directory (default: the built default image)", "DIR"},
        {"keys", 0, 0, G_OPTION_ARG_NONE, &keys_only, "Print only cell, key and label", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("MATRIX");
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_matrix) m = NULL;
    g_autoptr(vexp_image) img = NULL;
    g_autofree char *console_dir = g_build_filename(vexp_state_dir(), "console", NULL);
    int rc;

    g_option_context_set_summary(ctx, "Print each cell's config key and domain XML; boot nothing.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if ((rc = vexp_parse_options(ctx, &argc, &argv)) >= 0)
        return rc;
    if (argc != 2) {
        fprintf(stderr, "vexp render: expected one MATRIX file\n");
        return VEXP_EXIT_USAGE;
    }
    if (!(m = vexp_load_matrix(argv[1], &error)))
        return vexp_report_error(error);

    img = image_load(image_dir ? image_dir : image_default_dir(), &error);
    if (!img) {
        fprintf(stderr,
                "vexp render: warning: %s\n"
                "vexp render: keys below lack the guest kernel's identity\n",
                error->message);
        g_clear_error(&error);
    } else {
        vexp_probe_accel(img);
    }
    /* what can be checked without booting: pinned CPUs, memory, KVM */
    if (!vexp_host_runs_cells(m))
        fprintf(stderr, "vexp render: every hypervisor is remote: vcpu_pin, emulator_pin, "
                        "memory_mib and accel are checked against each by vexp run\n");
    if ((rc = vexp_report_host_check(m)) != VEXP_EXIT_OK)
        return rc;
    for (guint i = 0; i < matrix_cell_count(m); i++) {
        const matrix_cell *cell = matrix_get_cell(m, i);
        if (cell->is_host) {
            g_autofree char *key = vexp_host_config_key();
            printf("# cell %u: %s\n# key %s\n# bare reference: the engine between two "
                   "namespaces over veth, no domain\n%s\n\n",
                   i, cell->label, key, VEXP_HOST_CONFIG_XML);
            continue;
        }
        g_autoptr(vexp_cell_domain) d =
            vexp_cell_domain_new(m, i, "render", NULL, NULL, img, console_dir, &error);
        if (!d)
            return vexp_report_error(error);
        if (keys_only)
            printf("%u %s %s\n", i, d->key, cell->label);
        else
            printf("# cell %u: %s\n# key %s\n%s\n", i, cell->label, d->key, d->xml);
    }
    return render_estimate(m, store_opt, keys_only ? stderr : stdout);
}

const vexp_cmd vexp_cmd_render = {"render", cmd_render,
                                  "print each cell's config key and domain XML (dry run)"};
