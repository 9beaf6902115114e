/* SPDX-License-Identifier: MIT */
/* vexp store: configs, cells, trials and derived results, written per trial and read back. */
#include "vexp-config.h"

#include <math.h>
#include <string.h>

#include "store-int.h"

/* ---- configs ---- */

gboolean store_config_upsert(vexp_store *store, const store_config_info *info,
                             gint64 *ret_config_id, GError **error)
{
    g_autoptr(sqlite3_stmt) ins = NULL;
    g_autoptr(sqlite3_stmt) sel = NULL;

    if (!info->key || !*info->key || !info->nic) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                    "config '%s': key and nic are required", info->key ? info->key : "(null)");
        return FALSE;
    }
    if (info->vhost && strcmp(info->vhost, "on") && strcmp(info->vhost, "off")) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                    "config '%s': vhost '%s' is not 'on' or 'off'", info->key, info->vhost);
        return FALSE;
    }
    ins = prepare(store,
                  "INSERT INTO config (key, nic, vcpus, vcpu_pin, emulator_pin, memory_mib, "
                  "accel, machine, domain_xml, vhost, queues, created_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, " NOW_SQL ") "
                  "ON CONFLICT (key) DO NOTHING",
                  error);
    sel = ins ? prepare(store, "SELECT id FROM config WHERE key = ?", error) : NULL;
    if (!sel)
        return FALSE;
    bind_text(ins, 1, info->key);
    bind_text(ins, 2, info->nic);
    if (info->vcpus)
        sqlite3_bind_int64(ins, 3, info->vcpus);
    bind_text(ins, 4, info->vcpu_pin);
    bind_text(ins, 5, info->emulator_pin);
    if (info->memory_mib)
        sqlite3_bind_int64(ins, 6, info->memory_mib);
    bind_text(ins, 7, info->accel);
    bind_text(ins, 8, info->machine);
    bind_text(ins, 9, info->domain_xml);
    bind_text(ins, 10, info->vhost);
    if (info->queues)
        sqlite3_bind_int64(ins, 11, info->queues);
    if (sqlite3_step(ins) != SQLITE_DONE) {
        set_sql_error(store, error, "failed to insert config '%s'", info->key);
        return FALSE;
    }
    bind_text(sel, 1, info->key);
    if (sqlite3_step(sel) != SQLITE_ROW) {
        set_sql_error(store, error, "failed to read back config '%s'", info->key);
        return FALSE;
    }
    *ret_config_id = sqlite3_column_int64(sel, 0);
    return TRUE;
}

/* ---- cells ---- */

gboolean store_cell_begin(vexp_store *store, gint64 run_id, gint64 config_id, guint cell_index,
                          const char *label, gint64 *ret_cell_id, GError **error)
{
    g_autoptr(sqlite3_stmt) upd = NULL;
    g_autoptr(sqlite3_stmt) ins = NULL;

    upd = prepare(store,
                  "UPDATE cell SET status = 'interrupted', finished_at = " NOW_SQL ", "
                  "reason = coalesce(reason, 'vexp stopped during the cell') "
                  "WHERE run_id = ? AND cell_index = ? AND status = 'running'",
                  error);
    ins = upd ? prepare(store,
                        "INSERT INTO cell (run_id, config_id, cell_index, attempt, label, status, "
                        "started_at) VALUES (?1, ?2, ?3, (SELECT coalesce(max(attempt), 0) + 1 "
                        "FROM cell WHERE run_id = ?1 AND cell_index = ?3), ?4, 'running', " NOW_SQL
                        ")",
                        error)
              : NULL;
    if (!ins)
        return FALSE;
    if (!exec(store, "BEGIN IMMEDIATE", error))
        return FALSE;
    sqlite3_bind_int64(upd, 1, run_id);
    sqlite3_bind_int64(upd, 2, cell_index);
    if (sqlite3_step(upd) != SQLITE_DONE) {
        set_sql_error(store, error,
                      "failed to close earlier attempts of cell %u of run %" G_GINT64_FORMAT,
                      cell_index, run_id);
        rollback(store);
        return FALSE;
    }
    sqlite3_bind_int64(ins, 1, run_id);
    sqlite3_bind_int64(ins, 2, config_id);
    sqlite3_bind_int64(ins, 3, cell_index);
    bind_text(ins, 4, label ? label : "");
    if (sqlite3_step(ins) != SQLITE_DONE) {
        set_sql_error(store, error, "failed to insert cell %u ('%s') of run %" G_GINT64_FORMAT,
                      cell_index, label ? label : "", run_id);
        rollback(store);
        return FALSE;
    }
    if (!exec(store, "COMMIT", error)) {
        rollback(store);
        return FALSE;
    }
    *ret_cell_id = sqlite3_last_insert_rowid(store->db);
    return TRUE;
}

gboolean store_cell_set_hypervisor(vexp_store *store, gint64 cell_id, const char *uri,
                                   const char *host, GError **error)
{
    g_autoptr(sqlite3_stmt) st =
        prepare(store, "UPDATE cell SET hypervisor = ?, host = ? WHERE id = ?", error);
    g_autofree char *what = NULL;

    if (!st)
        return FALSE;
    bind_text(st, 1, uri);
    bind_text(st, 2, host);
    sqlite3_bind_int64(st, 3, cell_id);
    what = g_strdup_printf("record the hypervisor '%s' of cell %" G_GINT64_FORMAT, uri ? uri : "",
                           cell_id);
    return step_done(store, st, TRUE, error, what);
}

gboolean store_cell_status(vexp_store *store, gint64 run_id, guint cell_index, char **ret_status,
                           GError **error)
{
    g_autoptr(sqlite3_stmt) st =
        prepare(store,
                "SELECT status FROM cell WHERE run_id = ? AND cell_index = ? "
                "ORDER BY attempt DESC LIMIT 1",
                error);
    int rc;

    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, cell_index);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to read the status of cell %u of run %" G_GINT64_FORMAT,
                      cell_index, run_id);
        return FALSE;
    }
    *ret_status = rc == SQLITE_ROW ? col_text(st, 0) : NULL;
    return TRUE;
}

gboolean store_cell_done(vexp_store *store, gint64 run_id, guint cell_index, gboolean *ret_done,
                         GError **error)
{
    g_autofree char *status = NULL;

    if (!store_cell_status(store, run_id, cell_index, &status, error))
        return FALSE;
    *ret_done = status && (!strcmp(status, "complete") || !strcmp(status, "failed"));
    return TRUE;
}

gboolean store_cell_finish(vexp_store *store, gint64 cell_id, const char *status,
                           const char *reason, const char *guest_driver, const char *guest_kernel,
                           GError **error)
{
    static const char *const allowed[] = {"complete", "failed", "interrupted", NULL};
    g_autoptr(sqlite3_stmt) st = NULL;
    g_autofree char *what = NULL;

    if (!check_status(status, allowed, "cell", error))
        return FALSE;
    st = prepare(store,
                 "UPDATE cell SET status = ?, reason = ?, guest_driver = coalesce(?, "
                 "guest_driver), guest_kernel = coalesce(?, guest_kernel), finished_at = " NOW_SQL
                 " WHERE id = ?",
                 error);
    if (!st)
        return FALSE;
    bind_text(st, 1, status);
    bind_text(st, 2, reason);
    bind_text(st, 3, guest_driver);
    bind_text(st, 4, guest_kernel);
    sqlite3_bind_int64(st, 5, cell_id);
    what = g_strdup_printf("finish cell %" G_GINT64_FORMAT " as '%s'", cell_id, status);
    return step_done(store, st, TRUE, error, what);
}

/* ---- trials ---- */

void store_trial_init(store_trial *t)
{
    memset(t, 0, sizeof(*t));
    t->offered_fps = NAN;
    t->sent_fps = NAN;
    t->duration_s = NAN;
    t->loss_pct = NAN;
    t->dut_cpu_pct = NAN;
    t->host_cpu_pct = NAN;
    t->valid = TRUE;
    t->rtt_min_us = t->rtt_mean_us = t->rtt_p50_us = t->rtt_p90_us = NAN;
    t->rtt_p99_us = t->rtt_p999_us = t->rtt_max_us = t->rtt_jitter_us = NAN;
}

gboolean store_trial_add(vexp_store *store, gint64 cell_id, const store_trial *t, GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;
    int i = 1;

    if (!t->test || !t->direction) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                    "trial of cell %" G_GINT64_FORMAT ": test and direction are required", cell_id);
        return FALSE;
    }
    st = prepare(
        store,
        "INSERT INTO trial (cell_id, test, direction, frame_size, repetition, step, "
        "offered_fps, duration_s, tx, rx, lost, reordered, duplicated, loss_pct, "
        "dut_cpu_pct, host_cpu_pct, passed, valid, reason, reflect, burst_frames, "
        "rtt_n, rtt_min_us, rtt_mean_us, rtt_p50_us, rtt_p90_us, rtt_p99_us, "
        "rtt_p999_us, rtt_max_us, rtt_jitter_us, sent_fps, tester_dataplane, recorded_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?, " NOW_SQL ")",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, i++, cell_id);
    bind_text(st, i++, t->test);
    bind_text(st, i++, t->direction);
    sqlite3_bind_int64(st, i++, t->frame_size);
    sqlite3_bind_int64(st, i++, t->repetition);
    sqlite3_bind_int64(st, i++, t->step);
    bind_double(st, i++, t->offered_fps);
    bind_double(st, i++, t->duration_s);
    bind_u64(st, i++, t->tx);
    bind_u64(st, i++, t->rx);
    bind_u64(st, i++, t->lost);
    bind_u64(st, i++, t->reordered);
    bind_u64(st, i++, t->duplicated);
    bind_double(st, i++, t->loss_pct);
    bind_double(st, i++, t->dut_cpu_pct);
    bind_double(st, i++, t->host_cpu_pct);
    sqlite3_bind_int(st, i++, !!t->passed);
    sqlite3_bind_int(st, i++, !!t->valid);
    bind_text(st, i++, t->reason);
    sqlite3_bind_int(st, i++, !!t->reflect);
    if (t->burst_frames)
        bind_u64(st, i, t->burst_frames);
    i++;
    if (t->has_rtt) {
        bind_u64(st, i++, t->rtt_n);
        bind_double(st, i++, t->rtt_min_us);
        bind_double(st, i++, t->rtt_mean_us);
        bind_double(st, i++, t->rtt_p50_us);
        bind_double(st, i++, t->rtt_p90_us);
        bind_double(st, i++, t->rtt_p99_us);
        bind_double(st, i++, t->rtt_p999_us);
        bind_double(st, i++, t->rtt_max_us);
        bind_double(st, i++, t->rtt_jitter_us);
    }
    bind_double(st, 31, t->sent_fps);
    bind_text(st, 32, t->tester_dataplane);
    /* autocommit: the INSERT is its own transaction, durable when it returns */
    if (sqlite3_step(st) != SQLITE_DONE) {
        set_sql_error(store, error,
                      "failed to insert trial (test '%s', direction '%s', frame size %u, "
                      "repetition %u, step %u) of cell %" G_GINT64_FORMAT,
                      t->test, t->direction, t->frame_size, t->repetition, t->step, cell_id);
        return FALSE;
    }
    return TRUE;
}

/* ---- results ---- */

gboolean store_metric_is_diagnostic(const char *metric)
{
    return g_str_has_suffix(metric, "_precision_pct") ||
           g_str_has_suffix(metric, "_search_trial_s") || g_str_has_suffix(metric, "_ceiling_fps");
}

gboolean store_metric_higher_is_better(const char *metric)
{
    /* rates and bursts; times, loss, CPU and a search's precision are lower-is-better */
    if (g_str_has_suffix(metric, "_precision_pct") || g_str_has_suffix(metric, "_search_trial_s"))
        return FALSE;
    return g_str_has_prefix(metric, "throughput_") || g_str_has_prefix(metric, "b2b_") ||
           g_str_has_suffix(metric, "_fps") || strstr(metric, "_mbps") != NULL;
}

gboolean store_result_add(vexp_store *store, gint64 cell_id, const char *test,
                          const char *direction, guint frame_size, const char *metric,
                          const char *unit, const double *samples, guint n, GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;
    g_autofree double *x = g_new(double, n ? n : 1);
    guint m = 0;
    double mean, sd, half;

    if (!test || !direction || !metric || !unit) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                    "result of cell %" G_GINT64_FORMAT ": test, direction, metric and unit are "
                    "required",
                    cell_id);
        return FALSE;
    }
    for (guint i = 0; i < n; i++)
        if (isfinite(samples[i]))
            x[m++] = samples[i];
    if (m == 0) {
        g_set_error(
            error, STORE_ERROR, STORE_ERROR_INVALID,
            "result '%s' (test '%s', direction '%s', frame size %u) of cell %" G_GINT64_FORMAT
            ": no finite samples among %u",
            metric, test, direction, frame_size, cell_id, n);
        return FALSE;
    }
    mean = stats_mean(x, m);
    sd = stats_stddev(x, m);
    half = stats_ci95_half(sd, m);
    st = prepare(store,
                 "INSERT INTO result (cell_id, test, direction, frame_size, metric, unit, n, "
                 "mean, stddev, ci95_low, ci95_high, cov_pct, bimodal) VALUES (?, ?, ?, ?, ?, ?, "
                 "?, ?, ?, ?, ?, ?, ?) "
                 "ON CONFLICT (cell_id, test, direction, frame_size, metric) DO UPDATE SET "
                 "unit = excluded.unit, n = excluded.n, mean = excluded.mean, stddev = "
                 "excluded.stddev, ci95_low = excluded.ci95_low, ci95_high = excluded.ci95_high, "
                 "cov_pct = excluded.cov_pct, bimodal = excluded.bimodal",
                 error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, cell_id);
    bind_text(st, 2, test);
    bind_text(st, 3, direction);
    sqlite3_bind_int64(st, 4, frame_size);
    bind_text(st, 5, metric);
    bind_text(st, 6, unit);
    sqlite3_bind_int64(st, 7, m);
    bind_double(st, 8, mean);
    bind_double(st, 9, sd);
    bind_double(st, 10, mean - half);
    bind_double(st, 11, mean + half);
    bind_double(st, 12, stats_cov_pct(mean, sd));
    if (m >= STATS_BIMODAL_MIN_N)
        sqlite3_bind_int(st, 13, stats_bimodal(x, m));
    if (sqlite3_step(st) != SQLITE_DONE) {
        set_sql_error(store, error,
                      "failed to insert result '%s' (test '%s', direction '%s', frame size %u) "
                      "of cell %" G_GINT64_FORMAT,
                      metric, test, direction, frame_size, cell_id);
        return FALSE;
    }
    return TRUE;
}

void store_result_row_free(store_result_row *row)
{
    if (!row)
        return;
    g_free(row->label);
    g_free(row->cell_status);
    g_free(row->config_key);
    g_free(row->nic);
    g_free(row->accel);
    g_free(row->vhost);
    g_free(row->hypervisor);
    g_free(row->host);
    g_free(row->test);
    g_free(row->direction);
    g_free(row->metric);
    g_free(row->unit);
    g_free(row);
}

gboolean store_results_rows(vexp_store *store, gint64 run_id, store_run **ret_run,
                            GPtrArray **ret_rows, GError **error)
{
    g_autoptr(store_run) run = NULL;
    g_autoptr(sqlite3_stmt) st = NULL;
    g_autoptr(GPtrArray) rows =
        g_ptr_array_new_with_free_func((GDestroyNotify)store_result_row_free);
    int rc;

    if (!store_run_get(store, run_id, &run, error))
        return FALSE;
    st = prepare(store,
                 "SELECT ce.cell_index, ce.label, ce.status, c.key, c.nic, "
                 "coalesce(c.accel, ru.accel), r.test, r.direction, r.frame_size, r.metric, "
                 "r.unit, r.n, r.mean, r.stddev, r.ci95_low, r.ci95_high, c.vhost, c.queues, "
                 "ce.hypervisor, ce.host, r.cov_pct, r.bimodal "
                 "FROM result r JOIN cell ce ON ce.id = r.cell_id "
                 "JOIN config c ON c.id = ce.config_id JOIN run ru ON ru.id = ce.run_id "
                 "WHERE ce.run_id = ? AND " LATEST_ATTEMPT " ORDER BY ce.cell_index, r.id",
                 error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, run->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_result_row *r = g_new0(store_result_row, 1);

        r->cell_index = (guint)sqlite3_column_int64(st, 0);
        r->label = col_text(st, 1);
        r->cell_status = col_text(st, 2);
        r->config_key = col_text(st, 3);
        r->nic = col_text(st, 4);
        r->accel = col_text(st, 5);
        r->test = col_text(st, 6);
        r->direction = col_text(st, 7);
        r->frame_size = (guint)sqlite3_column_int64(st, 8);
        r->metric = col_text(st, 9);
        r->unit = col_text(st, 10);
        r->n = (guint)sqlite3_column_int64(st, 11);
        r->mean = col_double(st, 12);
        r->stddev = col_double(st, 13);
        r->ci95_low = col_double(st, 14);
        r->ci95_high = col_double(st, 15);
        r->vhost = col_text(st, 16);
        r->queues = (guint)sqlite3_column_int64(st, 17); /* NULL -> 0 */
        r->hypervisor = col_text(st, 18);
        r->host = col_text(st, 19);
        r->cov_pct = col_double(st, 20);
        r->bimodal = sqlite3_column_int(st, 21) == 1;
        g_ptr_array_add(rows, r);
    }
    if (rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to read the results of run %" G_GINT64_FORMAT, run->id);
        return FALSE;
    }
    if (ret_run)
        *ret_run = g_steal_pointer(&run);
    *ret_rows = g_steal_pointer(&rows);
    return TRUE;
}

void store_cell_row_free(store_cell_row *row)
{
    if (!row)
        return;
    g_free(row->label);
    g_free(row->config_key);
    g_free(row->nic);
    g_free(row->status);
    g_free(row->reason);
    g_free(row->guest_driver);
    g_free(row->guest_kernel);
    g_free(row->hypervisor);
    g_free(row->host);
    g_free(row->started_at);
    g_free(row->finished_at);
    g_free(row->accel);
    g_free(row->vhost);
    g_free(row);
}

gboolean store_cells_rows(vexp_store *store, gint64 run_id, GPtrArray **ret_rows, GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)store_cell_row_free);
    gint64 id;
    int rc;

    if (!resolve_run(store, run_id, &id, error))
        return FALSE;
    st = prepare(store,
                 "SELECT ce.id, ce.cell_index, ce.attempt, ce.label, c.key, c.nic, ce.status, "
                 "ce.reason, ce.guest_driver, ce.guest_kernel, ce.hypervisor, ce.host, "
                 "ce.started_at, ce.finished_at, coalesce(c.accel, ru.accel), c.vhost, c.queues, "
                 "c.vcpus FROM cell ce JOIN config c ON c.id = ce.config_id JOIN run ru ON ru.id = "
                 "ce.run_id WHERE ce.run_id = ? AND " LATEST_ATTEMPT " ORDER BY ce.cell_index",
                 error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_cell_row *r = g_new0(store_cell_row, 1);

        r->id = sqlite3_column_int64(st, 0);
        r->cell_index = (guint)sqlite3_column_int64(st, 1);
        r->attempt = (guint)sqlite3_column_int64(st, 2);
        r->label = col_text(st, 3);
        r->config_key = col_text(st, 4);
        r->nic = col_text(st, 5);
        r->status = col_text(st, 6);
        r->reason = col_text(st, 7);
        r->guest_driver = col_text(st, 8);
        r->guest_kernel = col_text(st, 9);
        r->hypervisor = col_text(st, 10);
        r->host = col_text(st, 11);
        r->started_at = col_text(st, 12);
        r->finished_at = col_text(st, 13);
        r->accel = col_text(st, 14);
        r->vhost = col_text(st, 15);
        r->queues = (guint)sqlite3_column_int64(st, 16);
        r->vcpus = (guint)sqlite3_column_int64(st, 17);
        g_ptr_array_add(rows, r);
    }
    if (rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to read the cells of run %" G_GINT64_FORMAT, id);
        return FALSE;
    }
    *ret_rows = g_steal_pointer(&rows);
    return TRUE;
}

void store_trial_row_free(store_trial_row *row)
{
    if (!row)
        return;
    g_free(row->test);
    g_free(row->direction);
    g_free(row->tester_dataplane);
    g_free(row);
}

gboolean store_trials_rows(vexp_store *store, gint64 run_id, const char *test, GPtrArray **ret_rows,
                           GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;
    g_autoptr(GPtrArray) rows =
        g_ptr_array_new_with_free_func((GDestroyNotify)store_trial_row_free);
    gint64 id;
    int rc;

    if (!resolve_run(store, run_id, &id, error))
        return FALSE;
    /* the latest attempt's own trials, and those of earlier attempts whose measures it
     * carried (schema v6: a resume at the figure level) */
    st = prepare(
        store,
        "SELECT ce.cell_index, t.test, t.direction, t.frame_size, t.repetition, t.step, "
        "t.offered_fps, t.duration_s, t.loss_pct, t.tx, t.rx, t.lost, t.passed, t.valid, "
        "t.id, t.tester_dataplane FROM trial t JOIN cell ce ON ce.id = t.cell_id "
        "WHERE ce.run_id = ?1 AND (?2 IS NULL OR t.test = ?2) AND " LATEST_ATTEMPT " UNION ALL "
        "SELECT ce.cell_index, t.test, t.direction, t.frame_size, t.repetition, t.step, "
        "t.offered_fps, t.duration_s, t.loss_pct, t.tx, t.rx, t.lost, t.passed, t.valid, "
        "t.id, t.tester_dataplane FROM measure m JOIN cell ce ON ce.id = m.cell_id "
        "JOIN trial t ON t.cell_id = m.measured_by AND t.test = m.test AND "
        "t.direction = m.direction AND t.frame_size = m.frame_size AND "
        "t.repetition = m.repetition WHERE ce.run_id = ?1 AND m.measured_by <> m.cell_id "
        "AND (?2 IS NULL OR t.test = ?2) AND " LATEST_ATTEMPT " ORDER BY 1, 2, 3, 4, 5, 6, 15",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, id);
    bind_text(st, 2, test);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_trial_row *r = g_new0(store_trial_row, 1);

        r->cell_index = (guint)sqlite3_column_int64(st, 0);
        r->test = col_text(st, 1);
        r->direction = col_text(st, 2);
        r->frame_size = (guint)sqlite3_column_int64(st, 3);
        r->repetition = (guint)sqlite3_column_int64(st, 4);
        r->step = (guint)sqlite3_column_int64(st, 5);
        r->offered_fps = col_double(st, 6);
        r->duration_s = col_double(st, 7);
        r->loss_pct = col_double(st, 8);
        r->tx = (guint64)sqlite3_column_int64(st, 9);
        r->rx = (guint64)sqlite3_column_int64(st, 10);
        r->lost = (guint64)sqlite3_column_int64(st, 11);
        r->passed = sqlite3_column_int(st, 12) != 0;
        r->valid = sqlite3_column_int(st, 13) != 0;
        r->tester_dataplane = col_text(st, 15);
        g_ptr_array_add(rows, r);
    }
    if (rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to read the trials of run %" G_GINT64_FORMAT, id);
        return FALSE;
    }
    *ret_rows = g_steal_pointer(&rows);
    return TRUE;
}

guint store_cells_n_hypervisors(GPtrArray *cells)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; i < cells->len; i++) {
        const store_cell_row *c = g_ptr_array_index(cells, i);
        if (!c->hypervisor && !c->host)
            continue;
        /* \x1f: neither a URI nor a host name contains it */
        g_hash_table_add(seen, g_strdup_printf("%s\x1f%s", c->hypervisor ? c->hypervisor : "",
                                               c->host ? c->host : ""));
    }
    return g_hash_table_size(seen);
}
