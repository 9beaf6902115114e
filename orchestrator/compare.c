/* SPDX-License-Identifier: MIT */
/* vexp compare and vexp regress: two runs' figures loaded, checked, filtered and tabled. */
#include "vexp-config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "compare.h"
#include "vexp.h"

void cmp_result_free(cmp_result *r)
{
    if (!r)
        return;
    g_clear_pointer(&r->rows, g_ptr_array_unref);
    g_clear_pointer(&r->diffs, g_ptr_array_unref);
    store_run_free(r->a);
    store_run_free(r->b);
    store_close(r->store);
    g_free(r);
}

gboolean cmp_options_check(const cmp_options *o)
{
    if (!(o->threshold_pct >= 0 && o->threshold_pct <= 1000) || !(o->alpha > 0 && o->alpha < 1)) {
        fprintf(stderr, "vexp %s: --threshold-pct %g must be in 0..1000 and --alpha %g in (0, 1)\n",
                o->verb, o->threshold_pct, o->alpha);
        return FALSE;
    }
    return TRUE;
}

/* one filter: its option, the values given, the values the runs have */
typedef struct cmp_filter {
    const char *option, *what;
    GHashTable *given; /* NULL = every value */
    GHashTable *valid; /* owned keys */
} cmp_filter;

static const char *row_field(const store_compare_row *r, guint which, char *buf, size_t len)
{
    switch (which) {
    case 0:
        return r->metric;
    case 1:
        return r->test;
    case 2:
        return r->direction;
    default:
        g_snprintf(buf, len, "%u", r->frame_size);
        return buf;
    }
}

static gint cmp_strings(gconstpointer a, gconstpointer b)
{
    const char *sa = *(const char *const *)a, *sb = *(const char *const *)b;
    char *ea, *eb;
    guint64 na = g_ascii_strtoull(sa, &ea, 10), nb = g_ascii_strtoull(sb, &eb, 10);

    /* frame sizes in numeric order, names in alphabetical */
    if (!*ea && !*eb && ea != sa && eb != sb)
        return na < nb ? -1 : na > nb;
    return strcmp(sa, sb);
}

/* "a, b, c" of the hash table's keys, sorted */
static char *valid_list(GHashTable *valid)
{
    g_autofree gpointer *keys = g_hash_table_get_keys_as_array(valid, NULL);
    guint n = g_hash_table_size(valid);

    qsort(keys, n, sizeof(gpointer), (int (*)(const void *, const void *))cmp_strings);
    return n ? g_strjoinv(", ", (char **)keys) : g_strdup("(none: the runs have no figures)");
}

/* Parses one --option list; every value must be one of the runs'. */
static gboolean filter_parse(cmp_filter *f, const char *list, const cmp_options *o,
                             const cmp_result *r)
{
    g_auto(GStrv) items = NULL;

    if (!list)
        return TRUE;
    items = g_strsplit(list, ",", -1);
    f->given = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (char **it = items; *it; it++) {
        g_strstrip(*it);
        if (!**it) {
            fprintf(stderr, "vexp %s: --%s '%s': an empty %s\n", o->verb, f->option, list, f->what);
            return FALSE;
        }
        if (!g_hash_table_contains(f->valid, *it)) {
            g_autofree char *valid = valid_list(f->valid);
            fprintf(stderr,
                    "vexp %s: --%s: '%s' is not a %s of run %" G_GINT64_FORMAT
                    " or run %" G_GINT64_FORMAT "; valid: %s\n",
                    o->verb, f->option, *it, f->what, r->a->id, r->b->id, valid);
            return FALSE;
        }
        g_hash_table_add(f->given, g_strdup(*it));
    }
    return TRUE;
}

/* Keeps the rows every filter selects; refuses values the runs do not have. */
static gboolean apply_filters(const cmp_options *o, cmp_result *r)
{
    cmp_filter f[4] = {{"metrics", "metric", NULL, NULL},
                       {"tests", "test", NULL, NULL},
                       {"directions", "direction", NULL, NULL},
                       {"frame-sizes", "frame size", NULL, NULL}};
    const char *lists[4] = {o->metrics, o->tests, o->directions, o->frame_sizes};
    g_autoptr(GPtrArray) kept =
        g_ptr_array_new_with_free_func((GDestroyNotify)store_compare_row_free);
    gboolean ok = TRUE;
    char buf[16];

    for (guint k = 0; k < 4; k++)
        f[k].valid = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < r->rows->len; i++)
        for (guint k = 0; k < 4; k++)
            g_hash_table_add(f[k].valid,
                             g_strdup(row_field(r->rows->pdata[i], k, buf, sizeof(buf))));
    for (guint k = 0; k < 4 && ok; k++)
        ok = filter_parse(&f[k], lists[k], o, r);
    for (guint i = 0; i < r->rows->len && ok; i++) {
        store_compare_row *row = r->rows->pdata[i];
        gboolean take = TRUE;

        for (guint k = 0; k < 4; k++)
            take &= !f[k].given ||
                    g_hash_table_contains(f[k].given, row_field(row, k, buf, sizeof(buf)));
        if (take && !f[0].given && store_metric_is_diagnostic(row->metric))
            /* the search's diagnostics (precision, trial time, tester ceiling) only when named */
            r->n_diagnostic++;
        else if (take)
            g_ptr_array_add(kept, g_steal_pointer(&r->rows->pdata[i]));
        else
            r->n_filtered++;
    }
    for (guint k = 0; k < 4; k++) {
        g_clear_pointer(&f[k].valid, g_hash_table_unref);
        g_clear_pointer(&f[k].given, g_hash_table_unref);
    }
    if (ok) {
        g_ptr_array_unref(r->rows);
        r->rows = g_steal_pointer(&kept);
    }
    return ok;
}

static void count_rows(cmp_result *r)
{
    for (guint i = 0; i < r->rows->len; i++) {
        const store_compare_row *row = r->rows->pdata[i];

        r->worse += row->verdict == STORE_VERDICT_WORSE;
        r->better += row->verdict == STORE_VERDICT_BETTER;
        r->same += row->verdict == STORE_VERDICT_SAME;
        r->only_a += row->verdict == STORE_VERDICT_ONLY_A;
        r->only_b += row->verdict == STORE_VERDICT_ONLY_B;
        r->thr_only += row->threshold_only;
        if (store_compare_row_mixed_accel(row)) {
            if (!r->mixed)
                r->mixed = row;
            r->n_mixed++;
        }
    }
}

/* Settings that differ: refused unless allowed (then kept for the warning).
 * Returns -1 to go on, else the exit status. */
static int check_settings(const cmp_options *o, cmp_result *r)
{
    g_autoptr(GError) error = NULL;
    GPtrArray *d;

    if (!store_compare_settings(r->store, r->a->id, r->b->id, &r->diffs, &error))
        return vexp_report_error(error);
    d = r->diffs;
    if (!d->len || o->allow_different_settings)
        return -1;
    fprintf(stderr,
            "vexp %s: run %" G_GINT64_FORMAT " and run %" G_GINT64_FORMAT
            " were measured with different settings:\n",
            o->verb, r->a->id, r->b->id);
    for (guint i = 0; i < d->len; i++) {
        const store_setting_diff *s = d->pdata[i];
        fprintf(stderr, "  %s: %s in run %" G_GINT64_FORMAT ", %s in run %" G_GINT64_FORMAT "\n",
                s->name, s->value_a, r->a->id, s->value_b, r->b->id);
    }
    fprintf(stderr, "their figures are not comparable (--allow-different-settings compares them "
                    "anyway, with a warning)\n");
    return VEXP_EXIT_USAGE;
}

int cmp_load(const cmp_options *o, vexp_store *store, gint64 a, gint64 b, cmp_result **ret)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(cmp_result) r = g_new0(cmp_result, 1);
    int status;

    r->store = store;
    if (!store_run_get(store, a, &r->a, &error) || !store_run_get(store, b, &r->b, &error) ||
        !store_compare(store, r->a->id, r->b->id, o->threshold_pct, o->alpha, &r->rows, &error))
        return vexp_report_error(error);
    if (r->a->id == r->b->id)
        fprintf(stderr, "vexp: warning: comparing run %" G_GINT64_FORMAT " with itself\n",
                r->a->id);
    if (!apply_filters(o, r))
        return VEXP_EXIT_USAGE;
    count_rows(r);
    if (r->mixed && !o->allow_mixed_accel) {
        const store_compare_row *m = r->mixed;
        fprintf(stderr,
                "vexp %s: run %" G_GINT64_FORMAT " (accel %s) and run %" G_GINT64_FORMAT
                " (accel %s) measured %u paired figure(s) under different accelerators, e.g. "
                "cell '%s' %s %s %u B %s: %s against %s; TCG and KVM figures are not "
                "comparable (--allow-mixed-accel compares them anyway)\n",
                o->verb, r->a->id, r->a->accel ? r->a->accel : "?", r->b->id,
                r->b->accel ? r->b->accel : "?", r->n_mixed, m->label, m->test, m->direction,
                m->frame_size, m->metric, m->accel_a, m->accel_b);
        return VEXP_EXIT_USAGE;
    }
    if ((status = check_settings(o, r)) >= 0)
        return status;
    if (cmp_matched(r) == 0) {
        fprintf(stderr,
                "vexp %s: no figure of run %" G_GINT64_FORMAT
                " matched one of run %" G_GINT64_FORMAT
                " (%u only in the baseline, %u only in the candidate): config keys, tests, "
                "directions, frame sizes or metrics differ, so nothing was compared\n",
                o->verb, r->a->id, r->b->id, r->only_a, r->only_b);
        return VEXP_EXIT_USAGE;
    }
    *ret = g_steal_pointer(&r);
    return -1;
}

/* ---- the text table ---- */

static void fmt_side(char *buf, size_t len, guint n, double mean, double sd)
{
    if (n == 0)
        g_snprintf(buf, len, "-");
    else if (n > 1 && isfinite(sd))
        g_snprintf(buf, len, "%.5g ± %.2g (%u)", mean, sd, n);
    else
        g_snprintf(buf, len, "%.5g (%u)", mean, n);
}

/* "3.2%", "3.2%!2" (two bands), "-" */
static void fmt_cov(char *buf, size_t len, guint n, double cov, gboolean bimodal)
{
    if (n == 0 || !isfinite(cov))
        g_snprintf(buf, len, "-");
    else
        g_snprintf(buf, len, "%.1f%%%s", cov, bimodal ? "!2" : "");
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

/* beyond the threshold, but the t-test could not call it: with few
 * repetitions that is a silent pass on a large change, so say so */
static gboolean not_significant(const store_compare_row *r, const cmp_options *o)
{
    return r->verdict == STORE_VERDICT_SAME && isfinite(r->delta_pct) &&
           fabs(r->delta_pct) > o->threshold_pct && isfinite(r->p) && r->p >= o->alpha;
}

static void print_header(const cmp_options *o, const cmp_result *r, gboolean any_vhost, int w)
{
    const store_run *a = r->a, *b = r->b;

    printf("baseline  run %" G_GINT64_FORMAT " '%s' (%s, accel %s)\n", a->id, a->name,
           a->started_at, a->accel ? a->accel : "?");
    printf("candidate run %" G_GINT64_FORMAT " '%s' (%s, accel %s)\n", b->id, b->name,
           b->started_at, b->accel ? b->accel : "?");
    printf("rule: worse/better = change beyond %.3g %% and Welch's t-test p < %.3g "
           "(threshold alone where a side has n = 1)\n",
           o->threshold_pct, o->alpha);
    printf("accel: the figure's (config's, else run's); kvm/tcg = baseline/candidate; "
           "- = no VM (nic = host)\n");
    printf("cv: coefficient of variation of a side's repetitions (stddev / mean); !2 = its "
           "repetitions fall into two bands, so its mean describes neither\n");
    printf("mdc: minimum detectable change, t(1 - alpha/2, Welch df) x sqrt(sa²/na + sb²/nb) "
           "/ |baseline| x 100: the smallest change Welch's test could call significant with "
           "these spreads and n; a smaller change passes as same whatever it is\n");
    if (any_vhost)
        printf("vhost: vhost-net of the config, on/off; - = the template's\n");
    putchar('\n');
    printf("%-*s %-7s", w, "cell", "accel");
    if (any_vhost)
        printf(" %-5s", "vhost");
    printf(" %-10s %-4s %6s %-20s %22s %8s %22s %8s %9s %8s %7s  %s\n", "test", "dir", "frame",
           "metric", "baseline", "cv", "candidate", "cv", "change", "p", "mdc", "verdict");
}

static void print_row(const cmp_options *o, const store_compare_row *r, gboolean any_vhost,
                      gboolean not_sig, int w)
{
    char sa[48], sb[48], ca[16], cb[16], delta[16], p[16], mdc[16], accel[24];

    fmt_side(sa, sizeof(sa), r->n_a, r->mean_a, r->stddev_a);
    fmt_side(sb, sizeof(sb), r->n_b, r->mean_b, r->stddev_b);
    fmt_cov(ca, sizeof(ca), r->n_a, r->cov_a, r->bimodal_a);
    fmt_cov(cb, sizeof(cb), r->n_b, r->cov_b, r->bimodal_b);
    if (isfinite(r->delta_pct))
        g_snprintf(delta, sizeof(delta), "%+.2f%%", r->delta_pct);
    else
        g_snprintf(delta, sizeof(delta), "-");
    if (isfinite(r->p))
        g_snprintf(p, sizeof(p), "%.3g", r->p);
    else
        g_snprintf(p, sizeof(p), r->threshold_only ? "n=1" : "-");
    if (isfinite(r->mdc_pct))
        g_snprintf(mdc, sizeof(mdc), "%.1f%%", r->mdc_pct);
    else
        g_snprintf(mdc, sizeof(mdc), "-");
    fmt_accel(accel, sizeof(accel), r);
    /* the whole label, however long: cells that differ only at the end (queues=1,
     * queues=2) must not print alike */
    printf("%-*s %-7s", w, r->label, accel);
    if (any_vhost)
        printf(" %-5s", r->vhost ? r->vhost : "-");
    printf(" %-10s %-4s %6u %-20s %22s %8s %22s %8s %9s %8s %7s  %s\n", r->test, r->direction,
           r->frame_size, r->metric, sa, ca, sb, cb, delta, p, mdc,
           not_sig ? "same*" : store_verdict_name(r->verdict));
}

void cmp_print_text(const cmp_options *o, const cmp_result *r, gboolean only_changes)
{
    guint unsure = 0, unsure_min_n = G_MAXUINT, bimodal = 0;
    gboolean any_vhost = FALSE;
    int w = 4; /* "cell" */

    for (guint i = 0; i < r->rows->len; i++) {
        const store_compare_row *row = r->rows->pdata[i];
        any_vhost |= row->vhost || row->queues;
        w = MAX(w, (int)g_utf8_strlen(row->label, -1));
    }
    print_header(o, r, any_vhost, w);
    for (guint i = 0; i < r->rows->len; i++) {
        const store_compare_row *row = r->rows->pdata[i];
        gboolean not_sig = not_significant(row, o);

        if (not_sig) {
            unsure++;
            unsure_min_n = MIN(unsure_min_n, MIN(row->n_a, row->n_b));
        }
        bimodal += row->bimodal_a || row->bimodal_b;
        if (only_changes && row->verdict == STORE_VERDICT_SAME && !not_sig)
            continue;
        print_row(o, row, any_vhost, not_sig, w);
    }
    printf("\ncompared %u figure(s): %u worse, %u better, %u same, %u unmatched", r->rows->len,
           r->worse, r->better, r->same, r->only_a + r->only_b);
    if (r->thr_only)
        printf("; %u decided by the threshold alone (one repetition)", r->thr_only);
    if (r->n_filtered)
        printf("; %u left out by --metrics/--tests/--directions/--frame-sizes", r->n_filtered);
    if (r->n_diagnostic)
        printf("; %u search diagnostic(s) (precision, trial time, tester ceiling) left out: "
               "--metrics names them",
               r->n_diagnostic);
    printf("\n");
    if (unsure)
        printf("note: %u figure(s) marked same* changed by more than %.3g %% but not "
               "significantly (p >= %.3g); the fewest repetitions on a side is %u%s\n",
               unsure, o->threshold_pct, o->alpha, unsure_min_n,
               unsure_min_n <= 2 ? ": with 2, Welch's test has about one degree of freedom "
                                   "and misses even large changes; gate on repetitions >= 3"
                                 : "");
    if (bimodal)
        printf("note: %u figure(s) have a side whose repetitions fall into two bands (!2): "
               "look at their trials before trusting the verdict\n",
               bimodal);
    for (guint i = 0; r->diffs && i < r->diffs->len; i++) {
        const store_setting_diff *d = r->diffs->pdata[i];
        printf("warning: --allow-different-settings: %s is %s in run %" G_GINT64_FORMAT
               " and %s in run %" G_GINT64_FORMAT "\n",
               d->name, d->value_a, r->a->id, d->value_b, r->b->id);
    }
    if (r->mixed)
        printf("warning: --allow-mixed-accel: %u figure(s) compared across accelerators (%s in "
               "run %" G_GINT64_FORMAT ", %s in run %" G_GINT64_FORMAT "): TCG and KVM figures "
               "are not comparable\n",
               r->n_mixed, r->mixed->accel_a, r->a->id, r->mixed->accel_b, r->b->id);
    else if (g_strcmp0(r->a->accel, r->b->accel))
        /* the accelerator is in the domain XML: kvm and tcg cells do not pair */
        printf("note: the runs used different accelerators (%s vs %s); cells of different "
               "accelerators have different config keys and are listed as unmatched\n",
               r->a->accel ? r->a->accel : "?", r->b->accel ? r->b->accel : "?");
}
