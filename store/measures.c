/* SPDX-License-Identifier: MIT */
/* vexp store: measures (one repetition's figures, final), carried forward, and the results from
 * them. */
#include "vexp-config.h"

#include <math.h>
#include <string.h>

#include "store-int.h"
#include "store.h"

static gboolean insert_measure(vexp_store *store, sqlite3_stmt *ins, gint64 cell_id,
                               const char *test, const char *direction, gint64 frame_size,
                               gint64 repetition, gint64 measured_by, gint64 *ret_id,
                               GError **error)
{
    sqlite3_reset(ins);
    sqlite3_bind_int64(ins, 1, cell_id);
    bind_text(ins, 2, test);
    bind_text(ins, 3, direction);
    sqlite3_bind_int64(ins, 4, frame_size);
    sqlite3_bind_int64(ins, 5, repetition);
    sqlite3_bind_int64(ins, 6, measured_by);
    if (sqlite3_step(ins) != SQLITE_DONE) {
        const gboolean dup = sqlite3_extended_errcode(store->db) == SQLITE_CONSTRAINT_UNIQUE;

        if (dup)
            g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                        "measure %s %s %" G_GINT64_FORMAT " B repetition %" G_GINT64_FORMAT
                        " of cell %" G_GINT64_FORMAT " is stored already",
                        test, direction, frame_size, repetition, cell_id);
        else
            set_sql_error(store, error,
                          "failed to insert measure %s %s %" G_GINT64_FORMAT
                          " B repetition %" G_GINT64_FORMAT " of cell %" G_GINT64_FORMAT,
                          test, direction, frame_size, repetition, cell_id);
        return FALSE;
    }
    *ret_id = sqlite3_last_insert_rowid(store->db);
    return TRUE;
}

#define INSERT_MEASURE_SQL                                                                         \
    "INSERT INTO measure (cell_id, test, direction, frame_size, repetition, measured_by, "         \
    "recorded_at) VALUES (?, ?, ?, ?, ?, ?, " NOW_SQL ")"

gboolean store_measures_add(vexp_store *store, gint64 cell_id, const store_measure *measures,
                            guint n_measures, const store_sample *samples, guint n_samples,
                            GError **error)
{
    g_autoptr(sqlite3_stmt) ins = NULL;
    g_autoptr(sqlite3_stmt) sam = NULL;
    g_autofree gint64 *ids = g_new0(gint64, n_measures ? n_measures : 1);

    for (guint i = 0; i < n_measures; i++)
        if (!measures[i].test || !measures[i].direction) {
            g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                        "measure of cell %" G_GINT64_FORMAT ": test and direction are required",
                        cell_id);
            return FALSE;
        }
    for (guint i = 0; i < n_samples; i++)
        if (samples[i].measure >= n_measures || !samples[i].metric || !samples[i].unit ||
            !isfinite(samples[i].value)) {
            g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                        "sample %u of cell %" G_GINT64_FORMAT
                        ": a measure, a metric, a unit and a finite value are required",
                        i, cell_id);
            return FALSE;
        }
    ins = prepare(store, INSERT_MEASURE_SQL, error);
    sam = ins ? prepare(store,
                        "INSERT INTO sample (measure_id, metric, unit, value) VALUES (?, "
                        "?, ?, ?)",
                        error)
              : NULL;
    if (!sam || !exec(store, "BEGIN IMMEDIATE", error))
        return FALSE;
    for (guint i = 0; i < n_measures; i++)
        if (!insert_measure(store, ins, cell_id, measures[i].test, measures[i].direction,
                            measures[i].frame_size, measures[i].repetition, cell_id, &ids[i],
                            error))
            goto fail;
    for (guint i = 0; i < n_samples; i++) {
        sqlite3_reset(sam);
        sqlite3_bind_int64(sam, 1, ids[samples[i].measure]);
        bind_text(sam, 2, samples[i].metric);
        bind_text(sam, 3, samples[i].unit);
        sqlite3_bind_double(sam, 4, samples[i].value);
        if (sqlite3_step(sam) != SQLITE_DONE) {
            set_sql_error(store, error, "failed to insert sample '%s' of cell %" G_GINT64_FORMAT,
                          samples[i].metric, cell_id);
            goto fail;
        }
    }
    if (exec(store, "COMMIT", error))
        return TRUE;
fail:
    rollback(store);
    return FALSE;
}

gboolean store_measures_carry(vexp_store *store, gint64 cell_id, guint *ret_n, GError **error)
{
    g_autoptr(sqlite3_stmt) sel = NULL;
    g_autoptr(sqlite3_stmt) ins = NULL;
    g_autoptr(sqlite3_stmt) cp = NULL;
    guint n = 0;
    int rc;

    /* the previous attempt of the same run and cell index */
    sel = prepare(store,
                  "SELECT m.id, m.test, m.direction, m.frame_size, m.repetition, m.measured_by "
                  "FROM cell ce JOIN cell p ON p.run_id = ce.run_id AND p.cell_index = "
                  "ce.cell_index AND p.attempt = ce.attempt - 1 JOIN measure m ON m.cell_id = "
                  "p.id WHERE ce.id = ? ORDER BY m.id",
                  error);
    ins = sel ? prepare(store, INSERT_MEASURE_SQL, error) : NULL;
    cp = ins ? prepare(store,
                       "INSERT INTO sample (measure_id, metric, unit, value) SELECT ?, metric, "
                       "unit, value FROM sample WHERE measure_id = ? ORDER BY id",
                       error)
             : NULL;
    if (!cp || !exec(store, "BEGIN IMMEDIATE", error))
        return FALSE;
    sqlite3_bind_int64(sel, 1, cell_id);
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        gint64 id;

        if (!insert_measure(store, ins, cell_id, (const char *)sqlite3_column_text(sel, 1),
                            (const char *)sqlite3_column_text(sel, 2), sqlite3_column_int64(sel, 3),
                            sqlite3_column_int64(sel, 4), sqlite3_column_int64(sel, 5), &id, error))
            goto fail;
        sqlite3_reset(cp);
        sqlite3_bind_int64(cp, 1, id);
        sqlite3_bind_int64(cp, 2, sqlite3_column_int64(sel, 0));
        if (sqlite3_step(cp) != SQLITE_DONE) {
            set_sql_error(store, error, "failed to carry the samples of cell %" G_GINT64_FORMAT,
                          cell_id);
            goto fail;
        }
        n++;
    }
    if (rc != SQLITE_DONE) {
        set_sql_error(store, error,
                      "failed to read the earlier attempt's measures of cell %" G_GINT64_FORMAT,
                      cell_id);
        goto fail;
    }
    if (!exec(store, "COMMIT", error))
        goto fail;
    if (ret_n)
        *ret_n = n;
    return TRUE;
fail:
    rollback(store);
    return FALSE;
}

void store_measure_row_free(store_measure_row *row)
{
    if (!row)
        return;
    g_free(row->test);
    g_free(row->direction);
    g_free(row);
}

gboolean store_measures_rows(vexp_store *store, gint64 cell_id, GPtrArray **ret_rows,
                             GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;
    g_autoptr(GPtrArray) rows =
        g_ptr_array_new_with_free_func((GDestroyNotify)store_measure_row_free);
    int rc;

    st = prepare(store,
                 "SELECT test, direction, frame_size, repetition, measured_by FROM measure "
                 "WHERE cell_id = ? ORDER BY id",
                 error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, cell_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_measure_row *r = g_new0(store_measure_row, 1);

        r->test = col_text(st, 0);
        r->direction = col_text(st, 1);
        r->frame_size = (guint)sqlite3_column_int64(st, 2);
        r->repetition = (guint)sqlite3_column_int64(st, 3);
        r->measured_by = sqlite3_column_int64(st, 4);
        g_ptr_array_add(rows, r);
    }
    if (rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to read the measures of cell %" G_GINT64_FORMAT,
                      cell_id);
        return FALSE;
    }
    *ret_rows = g_steal_pointer(&rows);
    return TRUE;
}

/* one result row's samples, gathered in the order their first sample came */
typedef struct {
    char *test, *direction, *metric, *unit;
    guint frame_size;
    GArray *values; /* double */
} figure_acc;

static void figure_acc_free(gpointer p)
{
    figure_acc *f = p;

    g_free(f->test);
    g_free(f->direction);
    g_free(f->metric);
    g_free(f->unit);
    g_array_unref(f->values);
    g_free(f);
}

gboolean store_results_derive(vexp_store *store, gint64 cell_id, GError **error)
{
    g_autoptr(sqlite3_stmt) sel = NULL;
    g_autoptr(sqlite3_stmt) del = NULL;
    g_autoptr(GPtrArray) order = g_ptr_array_new_with_free_func(figure_acc_free);
    g_autoptr(GHashTable) by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    int rc;

    sel = prepare(store,
                  "SELECT m.test, m.direction, m.frame_size, s.metric, s.unit, s.value "
                  "FROM sample s JOIN measure m ON m.id = s.measure_id WHERE m.cell_id = ? "
                  "ORDER BY s.id",
                  error);
    del = sel ? prepare(store, "DELETE FROM result WHERE cell_id = ?", error) : NULL;
    if (!del || !exec(store, "BEGIN IMMEDIATE", error))
        return FALSE;
    sqlite3_bind_int64(sel, 1, cell_id);
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        const char *test = (const char *)sqlite3_column_text(sel, 0);
        const char *dir = (const char *)sqlite3_column_text(sel, 1);
        const gint64 fs = sqlite3_column_int64(sel, 2);
        const char *metric = (const char *)sqlite3_column_text(sel, 3);
        const char *unit = (const char *)sqlite3_column_text(sel, 4);
        const double v = sqlite3_column_double(sel, 5);
        g_autofree char *key =
            g_strdup_printf("%s\x1f%s\x1f%" G_GINT64_FORMAT "\x1f%s", test, dir, fs, metric);
        figure_acc *f = g_hash_table_lookup(by_key, key);

        if (!f) {
            f = g_new0(figure_acc, 1);
            f->test = g_strdup(test);
            f->direction = g_strdup(dir);
            f->frame_size = (guint)fs;
            f->metric = g_strdup(metric);
            f->unit = g_strdup(unit);
            f->values = g_array_new(FALSE, FALSE, sizeof(double));
            g_ptr_array_add(order, f);
            g_hash_table_insert(by_key, g_steal_pointer(&key), f);
        }
        g_array_append_val(f->values, v);
    }
    if (rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to read the samples of cell %" G_GINT64_FORMAT,
                      cell_id);
        goto fail;
    }
    sqlite3_bind_int64(del, 1, cell_id);
    if (sqlite3_step(del) != SQLITE_DONE) {
        set_sql_error(store, error, "failed to replace the results of cell %" G_GINT64_FORMAT,
                      cell_id);
        goto fail;
    }
    for (guint i = 0; i < order->len; i++) {
        const figure_acc *f = g_ptr_array_index(order, i);

        if (!store_result_add(store, cell_id, f->test, f->direction, f->frame_size, f->metric,
                              f->unit, (const double *)(void *)f->values->data, f->values->len,
                              error))
            goto fail;
    }
    if (exec(store, "COMMIT", error))
        return TRUE;
fail:
    rollback(store);
    return FALSE;
}
