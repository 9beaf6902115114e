/* SPDX-License-Identifier: MIT */
/* vexp compare: two runs matched cell by cell, Welch's t-test (the work is in compare.c). */
#include "vexp-config.h"

#include <stdio.h>

#include "common.h"
#include "compare.h"
#include "vexp.h"

static int cmd_compare(int argc, char **argv)
{
    g_autofree char *store_opt = NULL, *metrics = NULL, *tests = NULL, *dirs = NULL, *frames = NULL;
    double threshold = 5, alpha = 0.05;
    gboolean changes = FALSE, allow_mixed = FALSE, allow_settings = FALSE;
    GOptionEntry entries[] = {
        {"threshold-pct", 0, 0, G_OPTION_ARG_DOUBLE, &threshold,
         "Smallest change that counts, in percent (default 5)", "P"},
        {"alpha", 0, 0, G_OPTION_ARG_DOUBLE, &alpha, "Significance level (default 0.05)", "A"},
        {"changes", 0, 0, G_OPTION_ARG_NONE, &changes, "Only rows that are not 'same'", NULL},
        {"metrics", 0, 0, G_OPTION_ARG_STRING, &metrics,
         "Compare only these metrics (comma separated, e.g. throughput_fps,rtt_p50_us; default: "
         "all but the search's diagnostics *_precision_pct, *_search_trial_s, *_ceiling_fps)",
         "LIST"},
        {"tests", 0, 0, G_OPTION_ARG_STRING, &tests, "Only these tests (e.g. throughput)", "LIST"},
        {"directions", 0, 0, G_OPTION_ARG_STRING, &dirs, "Only these directions (in, out, both)",
         "LIST"},
        {"frame-sizes", 0, 0, G_OPTION_ARG_STRING, &frames, "Only these frame sizes (e.g. 64,1518)",
         "LIST"},
        {"allow-mixed-accel", 0, 0, G_OPTION_ARG_NONE, &allow_mixed,
         "Compare figures measured under different accelerators (kvm, tcg) too", NULL},
        {"allow-different-settings", 0, 0, G_OPTION_ARG_NONE, &allow_settings,
         "Compare runs whose traffic settings differ (warns)", NULL},
        {"store", 0, 0, G_OPTION_ARG_FILENAME, &store_opt, "SQLite results file", "FILE"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("RUN_A RUN_B");
    g_autoptr(GError) error = NULL;
    g_autoptr(cmp_result) res = NULL;
    vexp_store *store;
    gint64 a, b;
    int rc;

    g_option_context_set_summary(ctx, "Cell-by-cell differences between two runs, matched by "
                                      "config key, test, direction,\nframe size and metric.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if ((rc = vexp_parse_options(ctx, &argc, &argv)) >= 0)
        return rc;
    if (argc != 3) {
        fprintf(stderr, "vexp compare: expected two run ids (vexp results --list shows them)\n");
        return VEXP_EXIT_USAGE;
    }
    if (!vexp_parse_run_id(argv[1], &a, &error) || !vexp_parse_run_id(argv[2], &b, &error))
        return vexp_report_error(error);
    cmp_options o = {"compare",   vexp_store_path(store_opt, NULL),
                     threshold,   alpha,
                     metrics,     tests,
                     dirs,        frames,
                     allow_mixed, allow_settings};
    if (!cmp_options_check(&o))
        return VEXP_EXIT_USAGE;
    if (!(store = vexp_open_store_readonly(o.store_path, &error)))
        return vexp_report_error(error);
    if ((rc = cmp_load(&o, store, a, b, &res)) >= 0)
        return rc;
    cmp_print_text(&o, res, changes);
    return VEXP_EXIT_OK;
}

const vexp_cmd vexp_cmd_compare = {"compare", cmd_compare,
                                   "cell-by-cell differences between two runs"};
