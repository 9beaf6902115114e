/* SPDX-License-Identifier: MIT */
/* vexp store: runs (begin, resume, finish, read), their tags, gate verdicts and baselines. */
#include "vexp-config.h"

#include <math.h>
#include <string.h>

#include "store-int.h"

/* Runs one prepared write statement in its own transaction; checks one row changed. */
gboolean step_done(vexp_store *s, sqlite3_stmt *st, gboolean need_change, GError **error,
                   const char *what)
{
    int rc = sqlite3_step(st);

    if (rc != SQLITE_DONE) {
        set_sql_error(s, error, "failed to %s", what);
        return FALSE;
    }
    if (need_change && sqlite3_changes(s->db) == 0) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                    "failed to %s in store '%s': no "
                    "such row",
                    what, s->path);
        return FALSE;
    }
    return TRUE;
}

gboolean check_status(const char *status, const char *const *allowed, const char *what,
                      GError **error)
{
    if (status && g_strv_contains(allowed, status))
        return TRUE;
    g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID, "invalid %s status '%s'", what,
                status ? status : "(null)");
    return FALSE;
}

/* ---- runs ---- */

void store_run_traffic_init(store_run_traffic *t)
{
    *t = (store_run_traffic){NAN, NAN, NAN, 0, NULL, NULL, NAN, NAN};
}

gboolean store_run_begin(vexp_store *store, const store_run_info *info, gint64 *ret_run_id,
                         GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;

    if (!info->name || !info->matrix_text || !info->matrix_hash || !info->vexp_version) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                    "run '%s': name, matrix text, matrix hash and vexp version are required",
                    info->name ? info->name : "(null)");
        return FALSE;
    }
    st = prepare(store,
                 "INSERT INTO run (name, started_at, status, matrix_text, matrix_hash, "
                 "vexp_version, host, libvirt_version, qemu_version, accel, line_rate_mbps, "
                 "trial_s, resolution_pct, repetitions, method, goals, exceed_pct, duration_sum_s) "
                 "VALUES (?, " NOW_SQL ", 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 error);
    if (!st)
        return FALSE;
    bind_text(st, 1, info->name);
    bind_text(st, 2, info->matrix_text);
    bind_text(st, 3, info->matrix_hash);
    bind_text(st, 4, info->vexp_version);
    bind_text(st, 5, info->host);
    bind_text(st, 6, info->libvirt_version);
    bind_text(st, 7, info->qemu_version);
    bind_text(st, 8, info->accel);
    if (info->traffic) {
        /* unknown and out-of-range values become NULL: the columns' CHECKs stay quiet */
        bind_double(st, 9, info->traffic->line_rate_mbps > 0 ? info->traffic->line_rate_mbps : NAN);
        bind_double(st, 10, info->traffic->trial_s > 0 ? info->traffic->trial_s : NAN);
        bind_double(st, 11,
                    info->traffic->resolution_pct > 0 ? info->traffic->resolution_pct : NAN);
        if (info->traffic->repetitions)
            sqlite3_bind_int64(st, 12, info->traffic->repetitions);
        bind_text(st, 13, info->traffic->method);
        bind_text(st, 14, info->traffic->goals);
        bind_double(st, 15, info->traffic->exceed_pct);
        bind_double(st, 16, info->traffic->duration_sum_s);
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
        set_sql_error(store, error, "failed to insert run '%s'", info->name);
        return FALSE;
    }
    *ret_run_id = sqlite3_last_insert_rowid(store->db);
    return TRUE;
}

gboolean store_run_find_resumable(vexp_store *store, const char *matrix_hash, gint64 *ret_run_id,
                                  GError **error)
{
    g_autoptr(sqlite3_stmt) st =
        prepare(store,
                "SELECT id FROM run WHERE matrix_hash = ? AND status IN ('running', "
                "'interrupted') ORDER BY id DESC LIMIT 1",
                error);
    int rc;

    if (!st)
        return FALSE;
    bind_text(st, 1, matrix_hash);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *ret_run_id = sqlite3_column_int64(st, 0);
        return TRUE;
    }
    if (rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to look up a resumable run of matrix '%s'",
                      matrix_hash);
        return FALSE;
    }
    *ret_run_id = 0;
    return TRUE;
}

gboolean store_run_resume(vexp_store *store, gint64 run_id, GError **error)
{
    g_autoptr(sqlite3_stmt) st =
        prepare(store, "UPDATE run SET status = 'running', finished_at = NULL WHERE id = ?", error);
    g_autofree char *what = NULL;

    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, run_id);
    what = g_strdup_printf("resume run %" G_GINT64_FORMAT, run_id);
    return step_done(store, st, TRUE, error, what);
}

gboolean store_run_finish(vexp_store *store, gint64 run_id, const char *status, GError **error)
{
    static const char *const allowed[] = {"complete", "interrupted", "failed", NULL};
    g_autoptr(sqlite3_stmt) st = NULL;
    g_autofree char *what = NULL;

    if (!check_status(status, allowed, "run", error))
        return FALSE;
    st = prepare(store, "UPDATE run SET status = ?, finished_at = " NOW_SQL " WHERE id = ?", error);
    if (!st)
        return FALSE;
    bind_text(st, 1, status);
    sqlite3_bind_int64(st, 2, run_id);
    what = g_strdup_printf("finish run %" G_GINT64_FORMAT " as '%s'", run_id, status);
    return step_done(store, st, TRUE, error, what);
}

void store_run_free(store_run *run)
{
    if (!run)
        return;
    g_free(run->name);
    g_free(run->started_at);
    g_free(run->finished_at);
    g_free(run->status);
    g_free(run->matrix_hash);
    g_free(run->vexp_version);
    g_free(run->host);
    g_free(run->libvirt_version);
    g_free(run->qemu_version);
    g_free(run->accel);
    g_free((char *)run->traffic.method);
    g_free((char *)run->traffic.goals);
    g_free(run);
}

#define RUN_COLUMNS                                                                                \
    "id, name, started_at, finished_at, status, matrix_hash, vexp_version, host, "                 \
    "libvirt_version, qemu_version, accel, line_rate_mbps, trial_s, resolution_pct, repetitions, " \
    "method, goals, exceed_pct, duration_sum_s"

static store_run *run_from_row(sqlite3_stmt *st)
{
    store_run *r = g_new0(store_run, 1);

    r->id = sqlite3_column_int64(st, 0);
    r->name = col_text(st, 1);
    r->started_at = col_text(st, 2);
    r->finished_at = col_text(st, 3);
    r->status = col_text(st, 4);
    r->matrix_hash = col_text(st, 5);
    r->vexp_version = col_text(st, 6);
    r->host = col_text(st, 7);
    r->libvirt_version = col_text(st, 8);
    r->qemu_version = col_text(st, 9);
    r->accel = col_text(st, 10);
    r->traffic.line_rate_mbps = col_double(st, 11);
    r->traffic.trial_s = col_double(st, 12);
    r->traffic.resolution_pct = col_double(st, 13);
    r->traffic.repetitions = (guint)sqlite3_column_int64(st, 14);
    r->traffic.method = col_text(st, 15);
    r->traffic.goals = col_text(st, 16);
    r->traffic.exceed_pct = col_double(st, 17);
    r->traffic.duration_sum_s = col_double(st, 18);
    return r;
}

/* run_id 0 -> the latest run's id */
gboolean resolve_run(vexp_store *store, gint64 run_id, gint64 *ret_id, GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;
    int rc;

    st = prepare(store,
                 run_id ? "SELECT id FROM run WHERE id = ?"
                        : "SELECT id FROM run ORDER BY id DESC LIMIT 1",
                 error);
    if (!st)
        return FALSE;
    if (run_id)
        sqlite3_bind_int64(st, 1, run_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *ret_id = sqlite3_column_int64(st, 0);
        return TRUE;
    }
    if (rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to look up run %" G_GINT64_FORMAT, run_id);
        return FALSE;
    }
    if (run_id)
        g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                    "no run %" G_GINT64_FORMAT " in store '%s'", run_id, store->path);
    else
        g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no runs in store '%s'",
                    store->path);
    return FALSE;
}

gboolean store_run_get(vexp_store *store, gint64 run_id, store_run **ret_run, GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;
    gint64 id;

    if (!resolve_run(store, run_id, &id, error))
        return FALSE;
    st = prepare(store, "SELECT " RUN_COLUMNS " FROM run WHERE id = ?", error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        set_sql_error(store, error, "failed to read run %" G_GINT64_FORMAT, id);
        return FALSE;
    }
    *ret_run = run_from_row(st);
    return TRUE;
}

gboolean store_run_matrix_text(vexp_store *store, gint64 run_id, char **ret_text, GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;
    gint64 id;

    if (!resolve_run(store, run_id, &id, error))
        return FALSE;
    st = prepare(store, "SELECT matrix_text FROM run WHERE id = ?", error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        set_sql_error(store, error, "failed to read the matrix of run %" G_GINT64_FORMAT, id);
        return FALSE;
    }
    *ret_text = col_text(st, 0);
    return TRUE;
}

gboolean store_run_list(vexp_store *store, GPtrArray **ret_runs, GError **error)
{
    g_autoptr(sqlite3_stmt) st =
        prepare(store, "SELECT " RUN_COLUMNS " FROM run ORDER BY id DESC", error);
    g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func((GDestroyNotify)store_run_free);
    int rc;

    if (!st)
        return FALSE;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        g_ptr_array_add(runs, run_from_row(st));
    if (rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to list runs");
        return FALSE;
    }
    *ret_runs = g_steal_pointer(&runs);
    return TRUE;
}
