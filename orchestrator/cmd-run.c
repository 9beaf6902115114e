/* SPDX-License-Identifier: MIT */
/* vexp run: the options; the work (plan, worker pool, recording, progress) is in run/. */
#include "vexp-config.h"

#include <stdio.h>

#include "estimate.h"
#include "run.h"
#include "vexp.h"

static int cmd_run(int argc, char **argv)
{
    g_autofree char *store_opt = NULL, *image_dir = NULL;
    gboolean resume = FALSE;
    double limit_tap_mbps = 0, budget_s = 0;
    g_autofree char *budget = NULL;
    GOptionEntry entries[] = {
        {"resume", 0, 0, G_OPTION_ARG_NONE, &resume,
         "Continue the latest interrupted run of this matrix; run only the missing cells", NULL},
        {"store", 0, 0, G_OPTION_ARG_FILENAME, &store_opt,
         "SQLite results file (default: the matrix's store, else results.db)", "FILE"},
        {"image", 0, 0, G_OPTION_ARG_FILENAME, &image_dir,
         "Guest image directory (default: the one 'vexp image build' writes)", "DIR"},
        {"limit-tap-mbps", 0, 0, G_OPTION_ARG_DOUBLE, &limit_tap_mbps,
         "Shape traffic towards each guest with tc tbf at this rate (a deliberate slowdown, "
         "e.g. to check that 'vexp regress' catches it)",
         "MBPS"},
        {"budget", 0, 0, G_OPTION_ARG_STRING, &budget,
         "Refuse a matrix whose estimated lower bound (vexp render) exceeds this, e.g. 30m, "
         "2h, 1d",
         "DURATION"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("MATRIX");
    run_options o = {0};
    int rc;

    g_option_context_set_summary(ctx,
                                 "Boot every cell of MATRIX, run the RFC 2544 suite and store "
                                 "every trial.\nExit status: 0 all cells complete, 1 some "
                                 "failed, 2 bad input, 3 environment failure, 130 interrupted.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if ((rc = vexp_parse_options(ctx, &argc, &argv)) >= 0)
        return rc;
    if (argc != 2) {
        fprintf(stderr, "vexp run: expected one MATRIX file\n");
        return VEXP_EXIT_USAGE;
    }
    if (limit_tap_mbps < 0 || limit_tap_mbps > 400000) {
        fprintf(stderr, "vexp run: --limit-tap-mbps %g: expected 0..400000\n", limit_tap_mbps);
        return VEXP_EXIT_USAGE;
    }

    if (budget) {
        g_autoptr(GError) error = NULL;

        if (!vexp_parse_duration(budget, &budget_s, &error)) {
            fprintf(stderr, "vexp run: --budget: %s\n", error->message);
            return VEXP_EXIT_USAGE;
        }
    }

    o.matrix_path = argv[1];
    o.budget_s = budget_s;
    o.store = store_opt;
    o.image_dir = image_dir;
    o.resume = resume;
    o.limit_tap_mbps = limit_tap_mbps;
    return run_matrix(&o);
}

const vexp_cmd vexp_cmd_run = {"run", cmd_run,
                               "boot every cell of a matrix, run RFC 2544, store every trial"};
