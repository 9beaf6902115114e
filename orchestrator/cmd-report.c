/* SPDX-License-Identifier: MIT */
/* vexp report: SVG charts, an HTML page and CSV/JSON export of a run (or two compared). */
#include "vexp-config.h"

#include <stdio.h>
#include <string.h>

#include "common.h"
#include "report.h"
#include "vexp.h"

static gboolean parse_compare(const char *text, gint64 ret_ids[2], GError **error)
{
    g_auto(GStrv) parts = g_strsplit(text, ",", -1);

    if (g_strv_length(parts) != 2) {
        g_set_error(error, VEXP_ERROR, VEXP_ERROR_INPUT,
                    "--compare '%s': expected two run ids as A,B (baseline, candidate)", text);
        return FALSE;
    }
    for (guint i = 0; i < 2; i++)
        if (!vexp_parse_run_id(g_strstrip(parts[i]), &ret_ids[i], error))
            return FALSE;
    return TRUE;
}

static int cmd_report(int argc, char **argv)
{
    g_autofree char *store_opt = NULL, *run_text = NULL, *compare_text = NULL, *dir = NULL;
    double threshold = 5, alpha = 0.05;
    GOptionEntry entries[] = {
        {"run", 0, 0, G_OPTION_ARG_STRING, &run_text, "Run id (default: the latest)", "N"},
        {"compare", 0, 0, G_OPTION_ARG_STRING, &compare_text,
         "Two runs in the same charts, with their significant differences", "A,B"},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &dir,
         "Directory for index.html, the SVGs, results.csv and results.json (required)", "DIR"},
        {"threshold-pct", 0, 0, G_OPTION_ARG_DOUBLE, &threshold,
         "--compare: smallest change that counts, in percent (default 5)", "P"},
        {"alpha", 0, 0, G_OPTION_ARG_DOUBLE, &alpha, "--compare: significance level (default 0.05)",
         "A"},
        {"store", 0, 0, G_OPTION_ARG_FILENAME, &store_opt, "SQLite results file", "FILE"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("");
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_store) store = NULL;
    g_autoptr(GPtrArray) files = NULL;
    gint64 ids[2] = {0, 0};
    guint n_runs = 1;
    int rc;

    g_option_context_set_summary(
        ctx, "Write the charts of a run (throughput, CPU, loss, latency, back-to-back against "
             "frame size,\none series per cell (colour by NIC model), DUT in and out side by "
             "side) as SVG, an\nindex.html that opens from disk, results.csv and results.json; "
             "and check the study's\nconclusions.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if ((rc = vexp_parse_options(ctx, &argc, &argv)) >= 0)
        return rc;
    if (argc != 1) {
        fprintf(stderr, "vexp report: unexpected argument '%s'\n", argv[1]);
        return VEXP_EXIT_USAGE;
    }
    if (!dir || !*dir) {
        fprintf(stderr, "vexp report: -o DIR is required (where to write the report)\n");
        return VEXP_EXIT_USAGE;
    }
    if (run_text && compare_text) {
        fprintf(stderr, "vexp report: --run and --compare exclude each other\n");
        return VEXP_EXIT_USAGE;
    }
    if (!(threshold >= 0 && threshold <= 1000) || !(alpha > 0 && alpha < 1)) {
        fprintf(stderr, "vexp report: --threshold-pct must be in 0..1000 and --alpha in (0, 1)\n");
        return VEXP_EXIT_USAGE;
    }
    if (run_text && !vexp_parse_run_id(run_text, &ids[0], &error))
        return vexp_report_error(error);
    if (compare_text) {
        if (!parse_compare(compare_text, ids, &error))
            return vexp_report_error(error);
        n_runs = 2;
    }
    if (!(store = vexp_open_store_readonly(vexp_store_path(store_opt, NULL), &error)))
        return vexp_report_error(error);
    if (!report_write(store, ids, n_runs, dir, threshold, alpha, &files, &error))
        return vexp_report_error(error);
    for (guint i = 0; i < files->len; i++)
        printf("%s\n", (const char *)g_ptr_array_index(files, i));
    return VEXP_EXIT_OK;
}

const vexp_cmd vexp_cmd_report = {"report", cmd_report,
                                  "SVG charts + HTML page of a run; CSV/JSON export"};
