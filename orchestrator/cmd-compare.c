/* SPDX-License-Identifier: MIT */
/* vexp compare and vexp regress: two runs matched cell by cell, Welch's t-test. */
#include "vexp-config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "vexp.h"

static void fmt_side(char *buf, size_t len, guint n, double mean, double sd)
{
    if (n == 0)
        g_snprintf(buf, len, "-");
    else if (n > 1 && isfinite(sd))
        g_snprintf(buf, len, "%.5g ± %.2g (%u)", mean, sd, n);
    else
        g_snprintf(buf, len, "%.5g (%u)", mean, n);
}

/* Print the comparison; returns the number of "worse" rows. */
static guint print_rows(const store_run *a, const store_run *b, GPtrArray *rows,
                        gboolean only_changes, double threshold, double alpha,
                        const char *const *metrics)
{
    guint worse = 0, better = 0, same = 0, unmatched = 0, thr_only = 0, skipped = 0;

    printf("baseline  run %" G_GINT64_FORMAT " '%s' (%s, accel %s)\n", a->id, a->name,
           a->started_at, a->accel ? a->accel : "?");
    printf("candidate run %" G_GINT64_FORMAT " '%s' (%s, accel %s)\n", b->id, b->name,
           b->started_at, b->accel ? b->accel : "?");
    printf("rule: worse/better = change beyond %.3g %% and Welch's t-test p < %.3g "
           "(threshold alone where a side has n = 1)\n\n",
           threshold, alpha);
    printf("%-22s %-10s %-4s %6s %-20s %22s %22s %9s %8s  %s\n", "cell", "test", "dir", "frame",
           "metric", "baseline", "candidate", "change", "p", "verdict");
    for (guint i = 0; i < rows->len; i++) {
        const store_compare_row *r = g_ptr_array_index(rows, i);
        char sa[48], sb[48], delta[16], p[16];
        if (metrics && !g_strv_contains(metrics, r->metric)) {
            skipped++;
            continue;
        }
        switch (r->verdict) {
        case STORE_VERDICT_WORSE:
            worse++;
            break;
        case STORE_VERDICT_BETTER:
            better++;
            break;
        case STORE_VERDICT_SAME:
            same++;
            break;
        default:
            unmatched++;
        }
        if (r->threshold_only)
            thr_only++;
        if (only_changes && r->verdict == STORE_VERDICT_SAME)
            continue;
        fmt_side(sa, sizeof(sa), r->n_a, r->mean_a, r->stddev_a);
        fmt_side(sb, sizeof(sb), r->n_b, r->mean_b, r->stddev_b);
        if (isfinite(r->delta_pct))
            g_snprintf(delta, sizeof(delta), "%+.2f%%", r->delta_pct);
        else
            g_snprintf(delta, sizeof(delta), "-");
        if (isfinite(r->p))
            g_snprintf(p, sizeof(p), "%.3g", r->p);
        else
            g_snprintf(p, sizeof(p), r->threshold_only ? "n=1" : "-");
        printf("%-22.22s %-10s %-4s %6u %-20s %22s %22s %9s %8s  %s\n", r->label, r->test,
               r->direction, r->frame_size, r->metric, sa, sb, delta, p,
               store_verdict_name(r->verdict));
    }
    printf("\ncompared %u figure(s): %u worse, %u better, %u same, %u unmatched",
           rows->len - skipped, worse, better, same, unmatched);
    if (thr_only)
        printf("; %u decided by the threshold alone (one repetition)", thr_only);
    if (skipped)
        printf("; %u of other metrics not compared (--metrics)", skipped);
    printf("\n");
    if (g_strcmp0(a->accel, b->accel))
        printf("warning: the runs used different accelerators (%s vs %s): TCG and KVM figures "
               "are not comparable\n",
               a->accel ? a->accel : "?", b->accel ? b->accel : "?");
    return worse;
}

static int compare_common(const char *store_opt, gint64 ra, gint64 rb, double threshold,
                          double alpha, gboolean only_changes, gboolean regress,
                          const char *metrics_list)
{
    g_auto(GStrv) metrics = NULL;

    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_store) store = NULL;
    g_autoptr(store_run) a = NULL;
    g_autoptr(store_run) b = NULL;
    g_autoptr(GPtrArray) rows = NULL;
    guint worse;

    if (!(threshold >= 0 && threshold <= 1000) || !(alpha > 0 && alpha < 1)) {
        fprintf(stderr, "vexp: --threshold-pct must be in 0..1000 and --alpha in (0, 1)\n");
        return VEXP_EXIT_USAGE;
    }
    if (metrics_list) {
        metrics = g_strsplit(metrics_list, ",", -1);
        for (char **m = metrics; *m; m++) {
            g_strstrip(*m);
            if (!**m) {
                fprintf(stderr, "vexp: --metrics '%s': empty metric name\n", metrics_list);
                return VEXP_EXIT_USAGE;
            }
        }
    }
    if (!(store = vexp_open_store(vexp_store_path(store_opt, NULL), TRUE, &error)))
        return vexp_report_error(error);
    if (!store_run_get(store, ra, &a, &error) || !store_run_get(store, rb, &b, &error) ||
        !store_compare(store, a->id, b->id, threshold, alpha, &rows, &error)) {
        if (error->domain == STORE_ERROR && error->code == STORE_ERROR_NOT_FOUND)
            error->domain = VEXP_ERROR, error->code = VEXP_ERROR_INPUT;
        return vexp_report_error(error);
    }
    if (a->id == b->id)
        fprintf(stderr, "vexp: warning: comparing run %" G_GINT64_FORMAT " with itself\n",
                a->id);
    worse = print_rows(a, b, rows, only_changes, threshold, alpha,
                       (const char *const *)metrics);
    if (!regress)
        return VEXP_EXIT_OK;
    if (worse) {
        printf("REGRESSION: %u figure(s) significantly worse than run %" G_GINT64_FORMAT "\n",
               worse, a->id);
        return VEXP_EXIT_FINDING;
    }
    printf("no regression against run %" G_GINT64_FORMAT "\n", a->id);
    return VEXP_EXIT_OK;
}

static int cmd_compare(int argc, char **argv)
{
    g_autofree char *store_opt = NULL, *metrics = NULL;
    double threshold = 5, alpha = 0.05;
    gboolean changes = FALSE;
    GOptionEntry entries[] = {
        {"threshold-pct", 0, 0, G_OPTION_ARG_DOUBLE, &threshold,
         "Smallest change that counts, in percent (default 5)", "P"},
        {"alpha", 0, 0, G_OPTION_ARG_DOUBLE, &alpha, "Significance level (default 0.05)", "A"},
        {"changes", 0, 0, G_OPTION_ARG_NONE, &changes, "Only rows that are not 'same'", NULL},
        {"metrics", 0, 0, G_OPTION_ARG_STRING, &metrics,
         "Compare only these metrics (comma separated, e.g. throughput_fps,rtt_p50_us)", "LIST"},
        {"store", 0, 0, G_OPTION_ARG_FILENAME, &store_opt, "SQLite results file", "FILE"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("RUN_A RUN_B");
    g_autoptr(GError) error = NULL;
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
    return compare_common(store_opt, a, b, threshold, alpha, changes, FALSE, metrics);
}

static int cmd_regress(int argc, char **argv)
{
    g_autofree char *store_opt = NULL, *base_text = NULL, *cand_text = NULL, *metrics = NULL;
    double threshold = 5, alpha = 0.05;
    gboolean all = FALSE;
    GOptionEntry entries[] = {
        {"baseline", 0, 0, G_OPTION_ARG_STRING, &base_text, "The good run (required)", "RUN"},
        {"candidate", 0, 0, G_OPTION_ARG_STRING, &cand_text,
         "The run to judge (default: the latest)", "RUN"},
        {"threshold-pct", 0, 0, G_OPTION_ARG_DOUBLE, &threshold,
         "Smallest change that counts, in percent (default 5)", "P"},
        {"alpha", 0, 0, G_OPTION_ARG_DOUBLE, &alpha, "Significance level (default 0.05)", "A"},
        {"metrics", 0, 0, G_OPTION_ARG_STRING, &metrics,
         "Judge only these metrics (comma separated; default: every stored metric)", "LIST"},
        {"all", 0, 0, G_OPTION_ARG_NONE, &all, "Print every compared row, not only changes",
         NULL},
        {"store", 0, 0, G_OPTION_ARG_FILENAME, &store_opt, "SQLite results file", "FILE"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("");
    g_autoptr(GError) error = NULL;
    gint64 a = 0, b = 0;
    int rc;

    g_option_context_set_summary(ctx, "CI gate: exit 1 when a figure got worse than the baseline "
                                      "by more than the\nthreshold and significantly (Welch's "
                                      "t-test), else 0.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if ((rc = vexp_parse_options(ctx, &argc, &argv)) >= 0)
        return rc;
    if (argc != 1 || !base_text) {
        fprintf(stderr, "vexp regress: --baseline RUN is required\n");
        return VEXP_EXIT_USAGE;
    }
    if (!vexp_parse_run_id(base_text, &a, &error) ||
        (cand_text && !vexp_parse_run_id(cand_text, &b, &error)))
        return vexp_report_error(error);
    return compare_common(store_opt, a, b, threshold, alpha, !all, TRUE, metrics);
}

const vexp_cmd vexp_cmd_compare = {"compare", cmd_compare,
                                   "cell-by-cell differences between two runs"};
const vexp_cmd vexp_cmd_regress = {"regress", cmd_regress,
                                   "exit 1 when a run is significantly worse than a baseline"};
