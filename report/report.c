/* SPDX-License-Identifier: MIT */
/* vexp report: a run read from the store, and the report directory written. */
#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "report-internal.h"

G_DEFINE_QUARK(vexp_report_error, report_error)

/* ---- runs --------------------------------------------------------- */

void report_loss_trial_free(report_loss_trial *t)
{
    if (!t)
        return;
    g_free(t->direction);
    g_free(t);
}

report_run *report_run_new(void)
{
    report_run *r = g_new0(report_run, 1);

    r->line_rate_mbps = NAN;
    r->results = g_ptr_array_new_with_free_func((GDestroyNotify)store_result_row_free);
    r->cells = g_ptr_array_new_with_free_func((GDestroyNotify)store_cell_row_free);
    r->loss_trials = g_ptr_array_new_with_free_func((GDestroyNotify)report_loss_trial_free);
    r->vcpus = g_hash_table_new(g_direct_hash, g_direct_equal);
    r->search_trials = g_ptr_array_new_with_free_func((GDestroyNotify)store_trial_row_free);
    return r;
}

void report_run_free(report_run *run)
{
    if (!run)
        return;
    store_run_free(run->run);
    g_clear_pointer(&run->results, g_ptr_array_unref);
    g_clear_pointer(&run->cells, g_ptr_array_unref);
    g_clear_pointer(&run->loss_trials, g_ptr_array_unref);
    g_clear_pointer(&run->vcpus, g_hash_table_unref);
    g_clear_pointer(&run->search_trials, g_ptr_array_unref);
    g_free(run->matrix_text);
    g_free(run);
}

gboolean report_run_load(vexp_store *store, gint64 run_id, report_run **ret_run, GError **error)
{
    g_autoptr(report_run) r = report_run_new();
    g_autoptr(GPtrArray) results = NULL;
    g_autoptr(GPtrArray) cells = NULL;
    g_autoptr(GPtrArray) trials = NULL;
    g_autoptr(GPtrArray) search = NULL;

    if (!store_results_rows(store, run_id, &r->run, &results, error) ||
        !store_cells_rows(store, r->run->id, &cells, error) ||
        !store_trials_rows(store, r->run->id, "loss", &trials, error) ||
        !store_trials_rows(store, r->run->id, "throughput", &search, error) ||
        !store_run_matrix_text(store, r->run->id, &r->matrix_text, error))
        return FALSE;
    g_ptr_array_extend_and_steal(r->search_trials, g_steal_pointer(&search));
    for (guint i = 0; i < cells->len; i++) {
        const store_cell_row *c = g_ptr_array_index(cells, i);
        if (c->vcpus)
            g_hash_table_insert(r->vcpus, GUINT_TO_POINTER(c->cell_index),
                                GUINT_TO_POINTER(c->vcpus));
    }
    /* a loss curve is drawn from the valid trials with a rate and a loss */
    for (guint i = 0; i < trials->len; i++) {
        const store_trial_row *st = g_ptr_array_index(trials, i);
        if (!st->valid || !isfinite(st->offered_fps) || !isfinite(st->loss_pct))
            continue;
        report_loss_trial *t = g_new0(report_loss_trial, 1);
        t->cell_index = st->cell_index;
        t->direction = g_strdup(st->direction);
        t->frame_size = st->frame_size;
        t->repetition = st->repetition;
        t->step = st->step;
        t->offered_fps = st->offered_fps;
        t->loss_pct = st->loss_pct;
        g_ptr_array_add(r->loss_trials, t);
    }
    g_ptr_array_extend_and_steal(r->results, g_steal_pointer(&results));
    g_ptr_array_extend_and_steal(r->cells, g_steal_pointer(&cells));
    r->line_rate_mbps = r->run->traffic.line_rate_mbps;
    *ret_run = g_steal_pointer(&r);
    return TRUE;
}

/* ---- writing the directory ----------------------------------------- */

static gboolean write_file(const char *dir, const char *name, const char *text, gssize len,
                           GPtrArray *files, GError **error)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autoptr(GError) local = NULL;

    if (!g_file_set_contents(path, text, len, &local)) {
        g_set_error(error, REPORT_ERROR, REPORT_ERROR_WRITE, "cannot write '%s': %s", path,
                    local->message);
        return FALSE;
    }
    g_ptr_array_add(files, g_steal_pointer(&path));
    return TRUE;
}

gboolean report_write(vexp_store *store, const gint64 *run_ids, guint n_runs, const char *dir,
                      double threshold_pct, double alpha, GPtrArray **ret_files, GError **error)
{
    g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func((GDestroyNotify)report_run_free);
    g_autoptr(GPtrArray) compare = NULL;
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);

    if (n_runs < 1 || n_runs > 2) {
        g_set_error(error, REPORT_ERROR, REPORT_ERROR_INVALID,
                    "a report shows one run or compares two, not %u", n_runs);
        return FALSE;
    }
    for (guint i = 0; i < n_runs; i++) {
        report_run *r = NULL;
        if (!report_run_load(store, run_ids[i], &r, error))
            return FALSE;
        g_ptr_array_add(runs, r);
    }
    report_run *const *rv = (report_run *const *)runs->pdata;
    if (n_runs == 2 && !store_compare(store, rv[0]->run->id, rv[1]->run->id, threshold_pct, alpha,
                                      &compare, error))
        return FALSE;
    if (g_mkdir_with_parents(dir, 0755) < 0) {
        int e = errno;
        g_set_error(error, REPORT_ERROR, REPORT_ERROR_WRITE, "cannot create directory '%s': %s",
                    dir, g_strerror(e));
        return FALSE;
    }

    g_autoptr(GPtrArray) charts = report_charts(rv, n_runs);
    for (guint i = 0; i < charts->len; i++) {
        const report_chart *c = g_ptr_array_index(charts, i);
        gsize len = 0;
        g_autofree char *svg = report_chart_svg(c, &len);
        g_autofree char *name = g_strdup_printf("%s.svg", c->id);
        if (!write_file(dir, name, svg, (gssize)len, files, error))
            return FALSE;
    }
    g_autofree char *csv = report_csv(rv, n_runs);
    g_autofree char *json = report_json(rv, n_runs, compare);
    g_autofree char *html = report_html(rv, n_runs, charts, compare, threshold_pct, alpha);
    /* index.html last: its presence means the rest is there */
    if (!write_file(dir, "results.csv", csv, -1, files, error) ||
        !write_file(dir, "results.json", json, -1, files, error) ||
        !write_file(dir, "index.html", html, -1, files, error))
        return FALSE;
    if (ret_files)
        *ret_files = g_steal_pointer(&files);
    return TRUE;
}
