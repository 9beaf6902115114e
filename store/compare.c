/* SPDX-License-Identifier: MIT */
/* vexp store: two runs matched figure by figure, Welch's t-test, their settings side by side. */
#include "vexp-config.h"

#include <math.h>
#include <string.h>

#include "store-int.h"

/* ---- compare ---- */

const char *store_verdict_name(store_verdict v)
{
    switch (v) {
    case STORE_VERDICT_SAME:
        return "same";
    case STORE_VERDICT_BETTER:
        return "better";
    case STORE_VERDICT_WORSE:
        return "worse";
    case STORE_VERDICT_ONLY_A:
        return "only-a";
    case STORE_VERDICT_ONLY_B:
        return "only-b";
    }
    return "unknown";
}

void store_compare_row_free(store_compare_row *row)
{
    if (!row)
        return;
    g_free(row->config_key);
    g_free(row->label);
    g_free(row->nic);
    g_free(row->test);
    g_free(row->direction);
    g_free(row->metric);
    g_free(row->unit);
    g_free(row->accel_a);
    g_free(row->accel_b);
    g_free(row->vhost);
    g_free(row);
}

gboolean store_compare_row_mixed_accel(const store_compare_row *row)
{
    if (row->verdict == STORE_VERDICT_ONLY_A || row->verdict == STORE_VERDICT_ONLY_B)
        return FALSE;
    return row->accel_a && row->accel_b && strcmp(row->accel_a, row->accel_b) != 0;
}

/* one side's figure for a match key */
typedef struct cmp_side {
    char *match; /* key \x1f test \x1f direction \x1f frame \x1f metric */
    char *config_key, *label, *nic, *test, *direction, *metric, *unit;
    char *accel, *vhost;
    guint frame_size, n, queues;
    double mean, stddev, cov_pct;
    gboolean bimodal;
} cmp_side;

static void cmp_side_free(cmp_side *c)
{
    g_free(c->match);
    g_free(c->config_key);
    g_free(c->label);
    g_free(c->nic);
    g_free(c->test);
    g_free(c->direction);
    g_free(c->metric);
    g_free(c->unit);
    g_free(c->accel);
    g_free(c->vhost);
    g_free(c);
}

/* A config key can occur in several cells of a run (axes that do not change
 * the canonical XML): the first cell wins, and of its attempts the latest. */
static gboolean cmp_load(vexp_store *store, gint64 run_id, GPtrArray **ret, GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;
    g_autoptr(GPtrArray) sides = g_ptr_array_new_with_free_func((GDestroyNotify)cmp_side_free);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    int rc;

    /* the bare-host reference runs no VM: no accelerator, whatever the run's */
    st = prepare(store,
                 "SELECT c.key, ce.label, c.nic, r.test, r.direction, r.frame_size, r.metric, "
                 "r.unit, r.n, r.mean, r.stddev, "
                 "CASE WHEN c.nic = 'host' THEN NULL ELSE coalesce(c.accel, ru.accel) END, "
                 "c.vhost, c.queues, r.cov_pct, r.bimodal FROM result r "
                 "JOIN cell ce ON ce.id = r.cell_id "
                 "JOIN config c ON c.id = ce.config_id JOIN run ru ON ru.id = ce.run_id "
                 "WHERE ce.run_id = ? ORDER BY ce.cell_index, ce.attempt DESC, ce.id DESC, r.id",
                 error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, run_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cmp_side *c = g_new0(cmp_side, 1);

        c->config_key = col_text(st, 0);
        c->label = col_text(st, 1);
        c->nic = col_text(st, 2);
        c->test = col_text(st, 3);
        c->direction = col_text(st, 4);
        c->frame_size = (guint)sqlite3_column_int64(st, 5);
        c->metric = col_text(st, 6);
        c->unit = col_text(st, 7);
        c->n = (guint)sqlite3_column_int64(st, 8);
        c->mean = col_double(st, 9);
        c->stddev = col_double(st, 10);
        c->accel = col_text(st, 11);
        c->vhost = col_text(st, 12);
        c->queues = (guint)sqlite3_column_int64(st, 13);
        c->cov_pct = col_double(st, 14);
        c->bimodal = sqlite3_column_int(st, 15) == 1;
        c->match = g_strdup_printf("%s\x1f%s\x1f%s\x1f%u\x1f%s", c->config_key, c->test,
                                   c->direction, c->frame_size, c->metric);
        /* first seen = latest attempt of the earliest cell with that figure */
        if (g_hash_table_contains(seen, c->match)) {
            cmp_side_free(c);
            continue;
        }
        g_hash_table_add(seen, c->match);
        g_ptr_array_add(sides, c);
    }
    if (rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to read the results of run %" G_GINT64_FORMAT, run_id);
        return FALSE;
    }
    *ret = g_steal_pointer(&sides);
    return TRUE;
}

static store_compare_row *cmp_row_new(const cmp_side *c)
{
    store_compare_row *r = g_new0(store_compare_row, 1);

    r->config_key = g_strdup(c->config_key);
    r->label = g_strdup(c->label);
    r->nic = g_strdup(c->nic);
    r->test = g_strdup(c->test);
    r->direction = g_strdup(c->direction);
    r->frame_size = c->frame_size;
    r->metric = g_strdup(c->metric);
    r->unit = g_strdup(c->unit);
    r->higher_is_better = store_metric_higher_is_better(c->metric);
    r->vhost = g_strdup(c->vhost);
    r->queues = c->queues;
    r->mean_a = r->stddev_a = r->mean_b = r->stddev_b = NAN;
    r->delta_pct = r->t = r->df = r->p = r->mdc_pct = NAN;
    r->cov_a = r->cov_b = NAN;
    return r;
}

static void cmp_set_a(store_compare_row *r, const cmp_side *c)
{
    r->accel_a = g_strdup(c->accel);
    r->n_a = c->n;
    r->mean_a = c->mean;
    r->stddev_a = c->stddev;
    r->cov_a = c->cov_pct;
    r->bimodal_a = c->bimodal;
}

static void cmp_set_b(store_compare_row *r, const cmp_side *c)
{
    r->accel_b = g_strdup(c->accel);
    r->n_b = c->n;
    r->mean_b = c->mean;
    r->stddev_b = c->stddev;
    r->cov_b = c->cov_pct;
    r->bimodal_b = c->bimodal;
}

/* t(1 - alpha/2, df) x standard error / |mean_a|, in % */
static double cmp_mdc_pct(const store_compare_row *r, double alpha)
{
    double se = sqrt(r->stddev_a * r->stddev_a / r->n_a + r->stddev_b * r->stddev_b / r->n_b);

    if (!isfinite(se) || r->mean_a == 0.0)
        return NAN;
    if (se == 0.0)
        return 0.0;
    return stats_t_quantile(1.0 - alpha / 2.0, r->df) * se / fabs(r->mean_a) * 100.0;
}

static void cmp_decide(store_compare_row *r, double threshold_pct, double alpha)
{
    gboolean significant, beyond;
    double worse_pct;

    if (r->mean_a == r->mean_b)
        r->delta_pct = 0.0;
    else if (r->mean_a == 0.0)
        r->delta_pct = r->mean_b > 0 ? INFINITY : -INFINITY;
    else
        r->delta_pct = (r->mean_b - r->mean_a) / fabs(r->mean_a) * 100.0;

    r->threshold_only = r->n_a < 2 || r->n_b < 2;
    if (r->threshold_only) {
        significant = TRUE;
    } else {
        stats_welch w =
            stats_welch_test(r->mean_a, r->stddev_a, r->n_a, r->mean_b, r->stddev_b, r->n_b);
        r->t = w.t;
        r->df = w.df;
        r->p = w.p;
        r->mdc_pct = cmp_mdc_pct(r, alpha);
        significant = w.p < alpha;
    }
    /* positive = changed for the worse */
    worse_pct = r->higher_is_better ? -r->delta_pct : r->delta_pct;
    beyond = fabs(worse_pct) > threshold_pct;
    if (beyond && significant)
        r->verdict = worse_pct > 0 ? STORE_VERDICT_WORSE : STORE_VERDICT_BETTER;
    else
        r->verdict = STORE_VERDICT_SAME;
}

gboolean store_compare(vexp_store *store, gint64 run_a, gint64 run_b, double threshold_pct,
                       double alpha, GPtrArray **ret_rows, GError **error)
{
    g_autoptr(GPtrArray) a = NULL;
    g_autoptr(GPtrArray) b = NULL;
    g_autoptr(GHashTable) b_by_match = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) b_used = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_autoptr(GPtrArray) rows =
        g_ptr_array_new_with_free_func((GDestroyNotify)store_compare_row_free);
    g_autoptr(GPtrArray) only_a = g_ptr_array_new();
    g_autoptr(GHashTable) labels_a = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) labels_b = g_hash_table_new(g_str_hash, g_str_equal);
    gint64 id_a, id_b;

    if (!(threshold_pct >= 0.0) || !isfinite(threshold_pct) || !(alpha > 0.0 && alpha < 1.0)) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                    "compare: threshold %g %% must be >= 0 and alpha %g within (0, 1)",
                    threshold_pct, alpha);
        return FALSE;
    }
    if (!resolve_run(store, run_a, &id_a, error) || !resolve_run(store, run_b, &id_b, error) ||
        !cmp_load(store, id_a, &a, error) || !cmp_load(store, id_b, &b, error))
        return FALSE;
    for (guint i = 0; i < b->len; i++) {
        cmp_side *c = b->pdata[i];
        g_hash_table_insert(b_by_match, c->match, c);
        g_hash_table_add(labels_b, c->label);
    }
    for (guint i = 0; i < a->len; i++)
        g_hash_table_add(labels_a, ((cmp_side *)a->pdata[i])->label);
    for (guint i = 0; i < a->len; i++) {
        cmp_side *ca = a->pdata[i];
        cmp_side *cb = g_hash_table_lookup(b_by_match, ca->match);
        store_compare_row *r;

        if (!cb) {
            g_ptr_array_add(only_a, ca);
            continue;
        }
        g_hash_table_add(b_used, cb);
        r = cmp_row_new(ca);
        cmp_set_a(r, ca);
        cmp_set_b(r, cb);
        cmp_decide(r, threshold_pct, alpha);
        g_ptr_array_add(rows, r);
    }
    for (guint i = 0; i < only_a->len; i++) {
        cmp_side *ca = only_a->pdata[i];
        store_compare_row *r = cmp_row_new(ca);

        cmp_set_a(r, ca);
        r->cell_in_both = g_hash_table_contains(labels_b, ca->label);
        r->verdict = STORE_VERDICT_ONLY_A;
        g_ptr_array_add(rows, r);
    }
    for (guint i = 0; i < b->len; i++) {
        cmp_side *cb = b->pdata[i];
        store_compare_row *r;

        if (g_hash_table_contains(b_used, cb))
            continue;
        r = cmp_row_new(cb);
        cmp_set_b(r, cb);
        r->cell_in_both = g_hash_table_contains(labels_a, cb->label);
        r->verdict = STORE_VERDICT_ONLY_B;
        g_ptr_array_add(rows, r);
    }
    *ret_rows = g_steal_pointer(&rows);
    return TRUE;
}

/* ---- settings ---- */

void store_setting_diff_free(store_setting_diff *d)
{
    if (!d)
        return;
    g_free(d->name);
    g_free(d->value_a);
    g_free(d->value_b);
    g_free(d);
}

/* The frame sizes of a run's results (latest attempts), "64,1518"; NULL when it has none. */
static gboolean run_frame_sizes(vexp_store *store, gint64 run_id, char **ret, GError **error)
{
    g_autoptr(sqlite3_stmt) st = prepare(
        store,
        "SELECT group_concat(fs, ',') FROM (SELECT DISTINCT r.frame_size AS fs FROM result r "
        "JOIN cell ce ON ce.id = r.cell_id WHERE ce.run_id = ? AND " LATEST_ATTEMPT " ORDER BY fs)",
        error);

    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        set_sql_error(store, error, "failed to read the frame sizes of run %" G_GINT64_FORMAT,
                      run_id);
        return FALSE;
    }
    *ret = col_text(st, 0);
    return TRUE;
}

static void diff_text(GPtrArray *diffs, const char *name, const char *a, const char *b)
{
    store_setting_diff *d;

    if (!a || !b || strcmp(a, b) == 0)
        return;
    d = g_new0(store_setting_diff, 1);
    d->name = g_strdup(name);
    d->value_a = g_strdup(a);
    d->value_b = g_strdup(b);
    g_ptr_array_add(diffs, d);
}

static void diff_double(GPtrArray *diffs, const char *name, double a, double b)
{
    char sa[32], sb[32];

    if (!isfinite(a) || !isfinite(b))
        return;
    g_snprintf(sa, sizeof(sa), "%g", a);
    g_snprintf(sb, sizeof(sb), "%g", b);
    diff_text(diffs, name, sa, sb);
}

gboolean store_compare_settings(vexp_store *store, gint64 run_a, gint64 run_b,
                                GPtrArray **ret_diffs, GError **error)
{
    g_autoptr(store_run) a = NULL;
    g_autoptr(store_run) b = NULL;
    g_autofree char *fa = NULL, *fb = NULL;
    g_autoptr(GPtrArray) diffs =
        g_ptr_array_new_with_free_func((GDestroyNotify)store_setting_diff_free);

    if (!store_run_get(store, run_a, &a, error) || !store_run_get(store, run_b, &b, error) ||
        !run_frame_sizes(store, a->id, &fa, error) || !run_frame_sizes(store, b->id, &fb, error))
        return FALSE;
    diff_double(diffs, "trial_s", a->traffic.trial_s, b->traffic.trial_s);
    diff_text(diffs, "method", a->traffic.method, b->traffic.method);
    diff_text(diffs, "goals", a->traffic.goals, b->traffic.goals);
    diff_double(diffs, "exceed_pct", a->traffic.exceed_pct, b->traffic.exceed_pct);
    diff_double(diffs, "duration_sum_s", a->traffic.duration_sum_s, b->traffic.duration_sum_s);
    diff_double(diffs, "resolution_pct", a->traffic.resolution_pct, b->traffic.resolution_pct);
    diff_double(diffs, "line_rate_mbps", a->traffic.line_rate_mbps, b->traffic.line_rate_mbps);
    diff_text(diffs, "frame_sizes", fa, fb);
    *ret_diffs = g_steal_pointer(&diffs);
    return TRUE;
}
