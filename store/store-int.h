/* SPDX-License-Identifier: MIT */
/* store internals shared by the files of store/ (the only place that includes sqlite3.h). */
#pragma once

#include <sqlite3.h>

#include "store-priv.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

struct vexp_store {
    sqlite3 *db;
    char *path;
    gboolean readonly; /* opened with store_open_readonly(): never written or migrated */
};

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

/* the latest attempt of each cell of a run (cell aliased ce) */
#define LATEST_ATTEMPT                                                                             \
    "ce.attempt = (SELECT max(x.attempt) FROM cell x WHERE x.run_id = ce.run_id AND "              \
    "x.cell_index = ce.cell_index)"

/* ---- SQL helpers (store.c) ---- */

/* Sets STORE_ERROR_SQL: the caller's formatted message, then SQLite's. */
G_GNUC_INTERNAL G_GNUC_PRINTF(3, 4) void set_sql_error(vexp_store *s, GError **error,
                                                       const char *fmt, ...);
G_GNUC_INTERNAL sqlite3_stmt *prepare(vexp_store *s, const char *sql, GError **error);
/* statements without parameters or rows (BEGIN, COMMIT, PRAGMA x = y) */
G_GNUC_INTERNAL gboolean exec(vexp_store *s, const char *sql, GError **error);
/* ROLLBACK when a transaction is open */
G_GNUC_INTERNAL void rollback(vexp_store *s);
/* NULL / non-finite bind as SQL NULL */
G_GNUC_INTERNAL void bind_text(sqlite3_stmt *st, int i, const char *v);
G_GNUC_INTERNAL void bind_double(sqlite3_stmt *st, int i, double v);
G_GNUC_INTERNAL void bind_u64(sqlite3_stmt *st, int i, guint64 v);
/* newly allocated copy, NULL for SQL NULL */
G_GNUC_INTERNAL char *col_text(sqlite3_stmt *st, int i);
/* NAN for SQL NULL */
G_GNUC_INTERNAL double col_double(sqlite3_stmt *st, int i);

/* ---- runs (runs.c) ---- */

/* Steps a prepared write; need_change: STORE_ERROR_NOT_FOUND when no row changed. */
G_GNUC_INTERNAL gboolean step_done(vexp_store *s, sqlite3_stmt *st, gboolean need_change,
                                   GError **error, const char *what);
G_GNUC_INTERNAL gboolean check_status(const char *status, const char *const *allowed,
                                      const char *what, GError **error);
/* run_id 0 -> the latest run's id; STORE_ERROR_NOT_FOUND when there is none */
G_GNUC_INTERNAL gboolean resolve_run(vexp_store *store, gint64 run_id, gint64 *ret_id,
                                     GError **error);
