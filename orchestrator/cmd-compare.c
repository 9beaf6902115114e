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

/* "kvm", "tcg", "kvm/tcg" (baseline/candidate differ), "-" (no VM or unknown) */
static void fmt_accel(char *buf, size_t len, const store_compare_row *r)
{
    const char *a = r->accel_a, *b = r->accel_b;

    if (a && b && strcmp(a, b))
        g_snprintf(buf, len, "%s/%s", a, b);
    else
        g_snprintf(buf, len, "%s", a ? a : b ? b : "-");
}

static gboolean metric_selected(const store_compare_row *r, const char *const *metrics)
{
    return !metrics || g_strv_contains(metrics, r->metric);
}

/* The first selected pair measured under different accelerators, and how many. */
static const store_compare_row *find_mixed_accel(GPtrArray *rows, const char *const *metrics,
                                                 guint *ret_n)
{
    const store_compare_row *first = NULL;
    guint n = 0;

    for (guint i = 0; i < rows->len; i++) {
        const store_compare_row *r = g_ptr_array_index(rows, i);
        if (!metric_selected(r, metrics) || !store_compare_row_mixed_accel(r))
            continue;
        if (!first)
            first = r;
        n++;
    }
    *ret_n = n;
    return first;
}

/* Print the comparison; returns the number of "worse" rows. */
static guint print_rows(const store_run *a, const store_run *b, GPtrArray *rows,
                        gboolean only_changes, double threshold, double alpha,
                        const char *const *metrics, const store_compare_row *mixed, guint n_mixed)
{
    guint worse = 0, better = 0, same = 0, unmatched = 0, thr_only = 0, skipped = 0;
    guint unsure = 0, unsure_min_n = G_MAXUINT;
    gboolean any_vhost = FALSE;

    for (guint i = 0; i < rows->len; i++) {
        const store_compare_row *r = g_ptr_array_index(rows, i);
        if (metric_selected(r, metrics) && (r->vhost || r->queues))
            any_vhost = TRUE;
    }

    printf("baseline  run %" G_GINT64_FORMAT " '%s' (%s, accel %s)\n", a->id, a->name,
           a->started_at, a->accel ? a->accel : "?");
    printf("candidate run %" G_GINT64_FORMAT " '%s' (%s, accel %s)\n", b->id, b->name,
           b->started_at, b->accel ? b->accel : "?");
    printf("rule: worse/better = change beyond %.3g %% and Welch's t-test p < %.3g "
           "(threshold alone where a side has n = 1)\n",
           threshold, alpha);
    printf("accel: the figure's (config's, else run's); kvm/tcg = baseline/candidate; "
           "- = no VM (nic = host)\n");
    if (any_vhost)
        printf("vhost: vhost-net of the config, on/off; - = the template's\n");
    putchar('\n');
    printf("%-22s %-7s", "cell", "accel");
    if (any_vhost)
        printf(" %-5s", "vhost");
    printf(" %-10s %-4s %6s %-20s %22s %22s %9s %8s  %s\n", "test", "dir", "frame", "metric",
           "baseline", "candidate", "change", "p", "verdict");
    for (guint i = 0; i < rows->len; i++) {
        const store_compare_row *r = g_ptr_array_index(rows, i);
        char sa[48], sb[48], delta[16], p[16], accel[24];
        if (!metric_selected(r, metrics)) {
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
        /* beyond the threshold, but the t-test could not call it: with few
         * repetitions that is a silent pass on a large change, so say so */
        gboolean not_sig = r->verdict == STORE_VERDICT_SAME && isfinite(r->delta_pct) &&
                           fabs(r->delta_pct) > threshold && isfinite(r->p) && r->p >= alpha;
        if (not_sig) {
            unsure++;
            unsure_min_n = MIN(unsure_min_n, MIN(r->n_a, r->n_b));
        }
        if (only_changes && r->verdict == STORE_VERDICT_SAME && !not_sig)
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
        fmt_accel(accel, sizeof(accel), r);
        printf("%-22.22s %-7s", r->label, accel);
        if (any_vhost)
            printf(" %-5s", r->vhost ? r->vhost : "-");
        printf(" %-10s %-4s %6u %-20s %22s %22s %9s %8s  %s\n", r->test, r->direction,
               r->frame_size, r->metric, sa, sb, delta, p,
               not_sig ? "same*" : store_verdict_name(r->verdict));
    }
    printf("\ncompared %u figure(s): %u worse, %u better, %u same, %u unmatched",
           rows->len - skipped, worse, better, same, unmatched);
    if (thr_only)
        printf("; %u decided by the threshold alone (one repetition)", thr_only);
    if (skipped)
        printf("; %u of other metrics not compared (--metrics)", skipped);
    printf("\n");
    if (unsure)
        printf("note: %u figure(s) marked same* changed by more than %.3g %% but not "
               "significantly (p >= %.3g); the fewest repetitions on a side is %u%s\n",
               unsure, threshold, alpha, unsure_min_n,
               unsure_min_n <= 2 ? ": with 2, Welch's test has about one degree of freedom "
                                   "and misses even large changes; gate on repetitions >= 3"
                                 : "");
    if (mixed)
        printf("warning: --allow-mixed-accel: %u figure(s) compared across accelerators (%s in "
               "run %" G_GINT64_FORMAT ", %s in run %" G_GINT64_FORMAT "): TCG and KVM figures "
               "are not comparable\n",
               n_mixed, mixed->accel_a, a->id, mixed->accel_b, b->id);
    else if (g_strcmp0(a->accel, b->accel))
        /* the accelerator is in the domain XML: kvm and tcg cells do not pair */
        printf("note: the runs used different accelerators (%s vs %s); cells of different "
               "accelerators have different config keys and are listed as unmatched\n",
               a->accel ? a->accel : "?", b->accel ? b->accel : "?");
    return worse;
}

static int compare_common(const char *store_opt, gint64 ra, gint64 rb, double threshold,
                          double alpha, gboolean only_changes, gboolean regress,
                          const char *metrics_list, gboolean allow_mixed_accel)
{
    const char *verb = regress ? "regress" : "compare";
    const store_compare_row *mixed;
    guint n_mixed;
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
    if (!(store = vexp_open_store_readonly(vexp_store_path(store_opt, NULL), &error)))
        return vexp_report_error(error);
    if (!store_run_get(store, ra, &a, &error) || !store_run_get(store, rb, &b, &error) ||
        !store_compare(store, a->id, b->id, threshold, alpha, &rows, &error))
        return vexp_report_error(error);
    if (a->id == b->id)
        fprintf(stderr, "vexp: warning: comparing run %" G_GINT64_FORMAT " with itself\n", a->id);
    mixed = find_mixed_accel(rows, (const char *const *)metrics, &n_mixed);
    if (mixed && !allow_mixed_accel) {
        fprintf(stderr,
                "vexp %s: run %" G_GINT64_FORMAT " (accel %s) and run %" G_GINT64_FORMAT
                " (accel %s) measured %u paired figure(s) under different accelerators, e.g. "
                "cell '%s' %s %s %u B %s: %s against %s; TCG and KVM figures are not "
                "comparable (--allow-mixed-accel compares them anyway)\n",
                verb, a->id, a->accel ? a->accel : "?", b->id, b->accel ? b->accel : "?", n_mixed,
                mixed->label, mixed->test, mixed->direction, mixed->frame_size, mixed->metric,
                mixed->accel_a, mixed->accel_b);
        return VEXP_EXIT_USAGE;
    }
    worse = print_rows(a, b, rows, only_changes, threshold, alpha, (const char *const *)metrics,
                       mixed, n_mixed);
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
    gboolean changes = FALSE, allow_mixed = FALSE;
    GOptionEntry entries[] = {
        {"threshold-pct", 0, 0, G_OPTION_ARG_DOUBLE, &threshold,
         "Smallest change that counts, in percent (default 5)", "P"},
        {"alpha", 0, 0, G_OPTION_ARG_DOUBLE, &alpha, "Significance level (default 0.05)", "A"},
        {"changes", 0, 0, G_OPTION_ARG_NONE, &changes, "Only rows that are not 'same'", NULL},
        {"metrics", 0, 0, G_OPTION_ARG_STRING, &metrics,
         "Compare only these metrics (comma separated, e.g. throughput_fps,rtt_p50_us)", "LIST"},
        {"allow-mixed-accel", 0, 0, G_OPTION_ARG_NONE, &allow_mixed,
         "Compare figures measured under different accelerators (kvm, tcg) too", NULL},
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
    return compare_common(store_opt, a, b, threshold, alpha, changes, FALSE, metrics, allow_mixed);
}

static int cmd_regress(int argc, char **argv)
{
    g_autofree char *store_opt = NULL, *base_text = NULL, *cand_text = NULL, *metrics = NULL;
    double threshold = 5, alpha = 0.05;
    gboolean all = FALSE, allow_mixed = FALSE;
    GOptionEntry entries[] = {
        {"baseline", 0, 0, G_OPTION_ARG_STRING, &base_text, "The good run (required)", "RUN"},
        {"candidate", 0, 0, G_OPTION_ARG_STRING, &cand_text,
         "The run to judge (default: the latest)", "RUN"},
        {"threshold-pct", 0, 0, G_OPTION_ARG_DOUBLE, &threshold,
         "Smallest change that counts, in percent (default 5)", "P"},
        {"alpha", 0, 0, G_OPTION_ARG_DOUBLE, &alpha, "Significance level (default 0.05)", "A"},
        {"metrics", 0, 0, G_OPTION_ARG_STRING, &metrics,
         "Judge only these metrics (comma separated; default: every stored metric)", "LIST"},
        {"all", 0, 0, G_OPTION_ARG_NONE, &all, "Print every compared row, not only changes", NULL},
        {"allow-mixed-accel", 0, 0, G_OPTION_ARG_NONE, &allow_mixed,
         "Judge figures measured under different accelerators (kvm, tcg) too", NULL},
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
    return compare_common(store_opt, a, b, threshold, alpha, !all, TRUE, metrics, allow_mixed);
}

const vexp_cmd vexp_cmd_compare = {"compare", cmd_compare,
                                   "cell-by-cell differences between two runs"};
const vexp_cmd vexp_cmd_regress = {"regress", cmd_regress,
                                   "exit 1 when a run is significantly worse than a baseline"};
