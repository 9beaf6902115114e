/* SPDX-License-Identifier: MIT */
/* vexp regress: the CI gate; a baseline by run id or by tag, the verdict printed and recorded. */
#include "vexp-config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "compare.h"
#include "verdict.h"
#include "vexp.h"

/* --baseline N | tag:KEY=VALUE; a tag picks the latest complete run with it,
 * older than the candidate, that passed its own gate or was marked. */
static int resolve_baseline(vexp_store *store, const char *spec, gint64 candidate, gint64 *ret_id)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *key = NULL, *value = NULL;

    if (!g_str_has_prefix(spec, "tag:")) {
        if (!vexp_parse_run_id(spec, ret_id, &error)) {
            fprintf(stderr, "vexp regress: --baseline '%s': expected a run id or tag:KEY=VALUE\n",
                    spec);
            return VEXP_EXIT_USAGE;
        }
        return -1;
    }
    if (!store_tag_parse(spec + 4, &key, &value, &error) ||
        !store_baseline_find(store, key, value, candidate, ret_id, &error))
        return vexp_report_error(error);
    if (!*ret_id) {
        fprintf(stderr,
                "vexp regress: --baseline %s: no complete run tagged %s=%s before run "
                "%" G_GINT64_FORMAT " in store '%s' passed its gate or was marked with 'vexp "
                "baseline set RUN'\n",
                spec, key, value, candidate, store_path(store));
        return VEXP_EXIT_USAGE;
    }
    return -1;
}

/* The baseline's figures of cells both runs have: how many matched. */
static void matched_share(const cmp_result *r, verdict_info *v)
{
    guint missing = 0;

    for (guint i = 0; i < r->rows->len; i++) {
        const store_compare_row *row = r->rows->pdata[i];
        missing += row->verdict == STORE_VERDICT_ONLY_A && row->cell_in_both;
    }
    v->eligible = cmp_matched(r) + missing;
    v->matched_pct = v->eligible ? 100.0 * cmp_matched(r) / v->eligible : 100.0;
    v->too_few_matched = v->matched_pct < v->min_matched_pct;
}

static void print_unmatched(const cmp_result *r, const verdict_info *v)
{
    printf("UNMATCHED: %u of %u baseline figure(s) of the cells both runs have matched (%.1f %%), "
           "below --min-matched %g %%; without a match in run %" G_GINT64_FORMAT ":\n",
           cmp_matched(r), v->eligible, v->matched_pct, v->min_matched_pct, r->b->id);
    for (guint i = 0; i < r->rows->len; i++) {
        const store_compare_row *row = r->rows->pdata[i];
        if (row->verdict == STORE_VERDICT_ONLY_A && row->cell_in_both)
            printf("  cell '%s' %s %s %u B %s (config %.12s)\n", row->label, row->test,
                   row->direction, row->frame_size, row->metric, row->config_key);
    }
}

static int output(const cmp_options *o, const cmp_result *r, const verdict_info *v,
                  const char *format, const char *path, gboolean all)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *doc = NULL;

    if (!strcmp(format, "json"))
        doc = verdict_json(o, r, v);
    else if (!strcmp(format, "junit"))
        doc = verdict_junit(o, r, v);
    if (doc && !path) {
        fputs(doc, stdout);
        return -1;
    }
    if (doc && !g_file_set_contents(path, doc, -1, &error))
        return vexp_report_env_error(error);
    cmp_print_text(o, r, !all);
    if (v->too_few_matched)
        print_unmatched(r, v);
    if (r->worse)
        printf("REGRESSION: %u figure(s) significantly worse than run %" G_GINT64_FORMAT "\n",
               r->worse, r->a->id);
    else if (v->passed)
        printf("no regression against run %" G_GINT64_FORMAT "\n", r->a->id);
    return -1;
}

typedef struct regress_args {
    char *store, *baseline, *candidate, *format, *output;
    gboolean all;
    double min_matched;
    cmp_options o;
} regress_args;

static int regress(regress_args *ra)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(cmp_result) r = NULL;
    g_autoptr(store_run) cand = NULL;
    vexp_store *store;
    gint64 a = 0, b = 0;
    int rc;

    if (!(store = vexp_open_store(ra->o.store_path, TRUE, &error)))
        return vexp_report_error(error);
    if ((ra->candidate && !vexp_parse_run_id(ra->candidate, &b, &error)) ||
        !store_run_get(store, b, &cand, &error)) {
        store_close(store);
        return vexp_report_error(error);
    }
    if ((rc = resolve_baseline(store, ra->baseline, cand->id, &a)) >= 0) {
        store_close(store);
        return rc;
    }
    if ((rc = cmp_load(&ra->o, store, a, cand->id, &r)) >= 0)
        return rc;
    verdict_info v = {.baseline_spec = ra->baseline, .min_matched_pct = ra->min_matched};
    matched_share(r, &v);
    v.passed = r->worse == 0 && !v.too_few_matched;
    if ((rc = output(&ra->o, r, &v, ra->format, ra->output, ra->all)) >= 0)
        return rc;
    store_gate gate = {r->b->id,
                       r->a->id,
                       v.passed,
                       ra->o.threshold_pct,
                       ra->o.alpha,
                       cmp_matched(r),
                       r->worse,
                       r->only_a + r->only_b,
                       v.too_few_matched ? "too few figures matched (--min-matched)" : NULL};
    if (!store_gate_record(r->store, &gate, &error))
        return vexp_report_env_error(error);
    return v.passed ? VEXP_EXIT_OK : VEXP_EXIT_FINDING;
}

static int cmd_regress(int argc, char **argv)
{
    regress_args ra = {.min_matched = 100,
                       .o = {.verb = "regress", .threshold_pct = 5, .alpha = 0.05}};
    g_autofree char *metrics = NULL, *tests = NULL, *dirs = NULL, *frames = NULL;
    GOptionEntry entries[] = {
        {"baseline", 0, 0, G_OPTION_ARG_STRING, &ra.baseline,
         "The good run: a run id, or tag:KEY=VALUE for the latest complete run with that tag "
         "that passed its own gate or was marked with 'vexp baseline set' (required)",
         "RUN"},
        {"candidate", 0, 0, G_OPTION_ARG_STRING, &ra.candidate,
         "The run to judge (default: the latest)", "RUN"},
        {"threshold-pct", 0, 0, G_OPTION_ARG_DOUBLE, &ra.o.threshold_pct,
         "Smallest change that counts, in percent (default 5)", "P"},
        {"alpha", 0, 0, G_OPTION_ARG_DOUBLE, &ra.o.alpha, "Significance level (default 0.05)", "A"},
        {"metrics", 0, 0, G_OPTION_ARG_STRING, &metrics,
         "Judge only these metrics (comma separated; default: every stored metric but the "
         "search's diagnostics *_precision_pct, *_search_trial_s, *_ceiling_fps)",
         "LIST"},
        {"tests", 0, 0, G_OPTION_ARG_STRING, &tests, "Only these tests", "LIST"},
        {"directions", 0, 0, G_OPTION_ARG_STRING, &dirs, "Only these directions", "LIST"},
        {"frame-sizes", 0, 0, G_OPTION_ARG_STRING, &frames, "Only these frame sizes", "LIST"},
        {"min-matched", 0, 0, G_OPTION_ARG_DOUBLE, &ra.min_matched,
         "Fail (exit 1) when fewer than this % of the baseline's figures of the cells both runs "
         "have found a match (default 100)",
         "PCT"},
        {"format", 0, 0, G_OPTION_ARG_STRING, &ra.format, "text (default), json or junit",
         "FORMAT"},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &ra.output,
         "Write the json/junit verdict to FILE and the text table to stdout", "FILE"},
        {"all", 0, 0, G_OPTION_ARG_NONE, &ra.all, "Print every compared row, not only changes",
         NULL},
        {"allow-mixed-accel", 0, 0, G_OPTION_ARG_NONE, &ra.o.allow_mixed_accel,
         "Judge figures measured under different accelerators (kvm, tcg) too", NULL},
        {"allow-different-settings", 0, 0, G_OPTION_ARG_NONE, &ra.o.allow_different_settings,
         "Judge runs whose traffic settings differ (warns)", NULL},
        {"store", 0, 0, G_OPTION_ARG_FILENAME, &ra.store, "SQLite results file", "FILE"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("");
    int rc;

    g_option_context_set_summary(
        ctx, "CI gate: exit 1 when a figure got worse than the baseline by more than the\n"
             "threshold and significantly (Welch's t-test), or too few figures matched; 2 when\n"
             "the runs cannot be compared (nothing matched, settings differ, a filter names\n"
             "what the runs lack); else 0.  The verdict is recorded in the store.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if ((rc = vexp_parse_options(ctx, &argc, &argv)) >= 0)
        goto out;
    rc = VEXP_EXIT_USAGE;
    if (argc != 1 || !ra.baseline) {
        fprintf(stderr, "vexp regress: --baseline RUN is required\n");
        goto out;
    }
    if (ra.format && strcmp(ra.format, "text") && strcmp(ra.format, "json") &&
        strcmp(ra.format, "junit")) {
        fprintf(stderr, "vexp regress: --format '%s': expected text, json or junit\n", ra.format);
        goto out;
    }
    if (!(ra.min_matched >= 0 && ra.min_matched <= 100)) {
        fprintf(stderr, "vexp regress: --min-matched %g: expected 0..100 (%%)\n", ra.min_matched);
        goto out;
    }
    if (ra.output && (!ra.format || !strcmp(ra.format, "text"))) {
        fprintf(stderr, "vexp regress: --output needs --format json or junit\n");
        goto out;
    }
    ra.o.store_path = vexp_store_path(ra.store, NULL);
    ra.o.metrics = metrics;
    ra.o.tests = tests;
    ra.o.directions = dirs;
    ra.o.frame_sizes = frames;
    if (!ra.format)
        ra.format = g_strdup("text");
    rc = cmp_options_check(&ra.o) ? regress(&ra) : VEXP_EXIT_USAGE;
out:
    g_free(ra.store);
    g_free(ra.baseline);
    g_free(ra.candidate);
    g_free(ra.format);
    g_free(ra.output);
    return rc;
}

const vexp_cmd vexp_cmd_regress = {"regress", cmd_regress,
                                   "exit 1 when a run is significantly worse than a baseline"};
