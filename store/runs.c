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
    *t = (store_run_traffic){NAN, NAN, NAN, 0, NULL, NULL, NAN, NAN, NULL, NULL};
}

static gboolean insert_tags(vexp_store *store, gint64 run_id, const char *const *tags,
                            GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;

    if (!tags || !*tags)
        return TRUE;
    st = prepare(store, "INSERT INTO run_tag (run_id, key, value) VALUES (?, ?, ?)", error);
    if (!st)
        return FALSE;
    for (const char *const *t = tags; *t; t++) {
        g_autofree char *key = NULL, *value = NULL;

        if (!store_tag_parse(*t, &key, &value, error))
            return FALSE;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, run_id);
        bind_text(st, 2, key);
        bind_text(st, 3, value);
        if (sqlite3_step(st) != SQLITE_DONE) {
            set_sql_error(store, error, "failed to tag run %" G_GINT64_FORMAT " with '%s'", run_id,
                          *t);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean insert_run(vexp_store *store, const store_run_info *info, GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;

    st = prepare(store,
                 "INSERT INTO run (name, started_at, status, matrix_text, matrix_hash, "
                 "vexp_version, host, libvirt_version, qemu_version, accel, line_rate_mbps, "
                 "trial_s, resolution_pct, repetitions, method, goals, exceed_pct, duration_sum_s, "
                 "tester_cpus, tester_dataplane) VALUES (?, " NOW_SQL
                 ", 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        bind_text(st, 17, info->traffic->tester_cpus);
        bind_text(st, 18, info->traffic->tester_dataplane);
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
        set_sql_error(store, error, "failed to insert run '%s'", info->name);
        return FALSE;
    }
    return TRUE;
}

gboolean store_run_begin(vexp_store *store, const store_run_info *info, gint64 *ret_run_id,
                         GError **error)
{
    gint64 id;

    if (!info->name || !info->matrix_text || !info->matrix_hash || !info->vexp_version) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                    "run '%s': name, matrix text, matrix hash and vexp version are required",
                    info->name ? info->name : "(null)");
        return FALSE;
    }
    if (!store_tags_check(info->tags, error) || !exec(store, "BEGIN IMMEDIATE", error))
        return FALSE;
    if (!insert_run(store, info, error)) {
        rollback(store);
        return FALSE;
    }
    id = sqlite3_last_insert_rowid(store->db);
    if (!insert_tags(store, id, info->tags, error) || !exec(store, "COMMIT", error)) {
        rollback(store);
        return FALSE;
    }
    *ret_run_id = id;
    return TRUE;
}

static gboolean find_run(vexp_store *store, const char *matrix_hash, gboolean any_status,
                         gint64 *ret_run_id, GError **error)
{
    g_autoptr(sqlite3_stmt) st =
        prepare(store,
                any_status ? "SELECT id FROM run WHERE matrix_hash = ? ORDER BY id DESC LIMIT 1"
                           : "SELECT id FROM run WHERE matrix_hash = ? AND status IN ('running', "
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

gboolean store_run_find_resumable(vexp_store *store, const char *matrix_hash, gint64 *ret_run_id,
                                  GError **error)
{
    return find_run(store, matrix_hash, FALSE, ret_run_id, error);
}

gboolean store_run_find_latest(vexp_store *store, const char *matrix_hash, gint64 *ret_run_id,
                               GError **error)
{
    return find_run(store, matrix_hash, TRUE, ret_run_id, error);
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
    g_free((char *)run->traffic.tester_cpus);
    g_free((char *)run->traffic.tester_dataplane);
    g_free(run);
}

#define RUN_COLUMNS                                                                                \
    "id, name, started_at, finished_at, status, matrix_hash, vexp_version, host, "                 \
    "libvirt_version, qemu_version, accel, line_rate_mbps, trial_s, resolution_pct, repetitions, " \
    "method, goals, exceed_pct, duration_sum_s, tester_cpus, tester_dataplane"

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
    r->traffic.tester_cpus = col_text(st, 19);
    r->traffic.tester_dataplane = col_text(st, 20);
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

/* ---- tags ---- */

static gboolean tag_key_ok(const char *key, size_t len)
{
    if (len == 0 || len > STORE_TAG_KEY_MAX)
        return FALSE;
    for (size_t i = 0; i < len; i++)
        if (!g_ascii_isalnum(key[i]) && !strchr("_.-", key[i]))
            return FALSE;
    return TRUE;
}

gboolean store_tag_parse(const char *text, char **ret_key, char **ret_value, GError **error)
{
    const char *eq = strchr(text, '=');
    size_t klen = eq ? (size_t)(eq - text) : 0;

    if (!eq || !tag_key_ok(text, klen)) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                    "tag '%s': expected KEY=VALUE with a KEY of 1 to %d letters, digits, '_', "
                    "'.' or '-'",
                    text, STORE_TAG_KEY_MAX);
        return FALSE;
    }
    if (strlen(eq + 1) > STORE_TAG_VALUE_MAX) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                    "tag '%.*s': value of %zu bytes, at most %d", (int)klen, text, strlen(eq + 1),
                    STORE_TAG_VALUE_MAX);
        return FALSE;
    }
    for (const char *c = eq + 1; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                        "tag '%.*s': the value contains a control character (0x%02x)", (int)klen,
                        text, (unsigned char)*c);
            return FALSE;
        }
    }
    *ret_key = g_strndup(text, klen);
    *ret_value = g_strdup(eq + 1);
    return TRUE;
}

gboolean store_tags_check(const char *const *tags, GError **error)
{
    g_autoptr(GHashTable) keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    guint n = tags ? g_strv_length((char **)tags) : 0;

    if (n > STORE_TAGS_MAX) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID, "%u tags: at most %d per run", n,
                    STORE_TAGS_MAX);
        return FALSE;
    }
    for (guint i = 0; i < n; i++) {
        g_autofree char *value = NULL;
        char *key = NULL;

        if (!store_tag_parse(tags[i], &key, &value, error))
            return FALSE;
        if (!g_hash_table_add(keys, key)) {
            g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                        "tag '%s': the key '%s' is given twice", tags[i], key);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean store_run_tags(vexp_store *store, gint64 run_id, GPtrArray **ret_tags, GError **error)
{
    g_autoptr(sqlite3_stmt) st =
        prepare(store, "SELECT key, value FROM run_tag WHERE run_id = ? ORDER BY key", error);
    g_autoptr(GPtrArray) tags = g_ptr_array_new_with_free_func(g_free);
    int rc;

    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, run_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        g_ptr_array_add(tags, g_strdup_printf("%s=%s", (const char *)sqlite3_column_text(st, 0),
                                              (const char *)sqlite3_column_text(st, 1)));
    if (rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to read the tags of run %" G_GINT64_FORMAT, run_id);
        return FALSE;
    }
    *ret_tags = g_steal_pointer(&tags);
    return TRUE;
}

/* ---- gate verdicts ---- */

gboolean store_gate_record(vexp_store *store, const store_gate *g, GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;

    if (!(g->threshold_pct >= 0) || !(g->alpha > 0 && g->alpha < 1)) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                    "gate on run %" G_GINT64_FORMAT ": threshold %g %% and alpha %g out of range",
                    g->run_id, g->threshold_pct, g->alpha);
        return FALSE;
    }
    st = prepare(store,
                 "INSERT INTO gate (run_id, baseline_id, verdict, threshold_pct, alpha, matched, "
                 "worse, unmatched, reason, vexp_version, decided_at) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, " NOW_SQL ")",
                 error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, g->run_id);
    sqlite3_bind_int64(st, 2, g->baseline_id);
    bind_text(st, 3, g->passed ? "pass" : "fail");
    sqlite3_bind_double(st, 4, g->threshold_pct);
    sqlite3_bind_double(st, 5, g->alpha);
    sqlite3_bind_int64(st, 6, g->matched);
    sqlite3_bind_int64(st, 7, g->worse);
    sqlite3_bind_int64(st, 8, g->unmatched);
    bind_text(st, 9, g->reason);
    bind_text(st, 10, VEXP_VERSION);
    return step_done(store, st, FALSE, error, "record the gate verdict");
}

gboolean store_gate_latest(vexp_store *store, gint64 run_id, char **ret_verdict, GError **error)
{
    g_autoptr(sqlite3_stmt) st =
        prepare(store, "SELECT verdict FROM gate WHERE run_id = ? ORDER BY id DESC LIMIT 1", error);
    int rc;

    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, run_id);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to read the gate of run %" G_GINT64_FORMAT, run_id);
        return FALSE;
    }
    *ret_verdict = rc == SQLITE_ROW ? col_text(st, 0) : NULL;
    return TRUE;
}

/* ---- baselines ---- */

gboolean store_baseline_set(vexp_store *store, gint64 run_id, GError **error)
{
    g_autoptr(store_run) run = NULL;
    g_autoptr(sqlite3_stmt) st = NULL;

    if (!store_run_get(store, run_id, &run, error))
        return FALSE;
    if (strcmp(run->status, "complete") != 0) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                    "run %" G_GINT64_FORMAT " is '%s', not 'complete': only a complete run can "
                    "be a baseline",
                    run_id, run->status);
        return FALSE;
    }
    st = prepare(store, "INSERT OR IGNORE INTO baseline (run_id, set_at) VALUES (?, " NOW_SQL ")",
                 error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, run_id);
    return step_done(store, st, FALSE, error, "mark the run as a baseline");
}

gboolean store_baseline_unset(vexp_store *store, gint64 run_id, GError **error)
{
    g_autoptr(sqlite3_stmt) st = prepare(store, "DELETE FROM baseline WHERE run_id = ?", error);

    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) != SQLITE_DONE) {
        set_sql_error(store, error, "failed to unmark run %" G_GINT64_FORMAT, run_id);
        return FALSE;
    }
    if (sqlite3_changes(store->db) == 0) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                    "run %" G_GINT64_FORMAT " is not marked as a baseline in store '%s'", run_id,
                    store->path);
        return FALSE;
    }
    return TRUE;
}

gboolean store_baseline_find(vexp_store *store, const char *key, const char *value,
                             gint64 before_id, gint64 *ret_run_id, GError **error)
{
    g_autoptr(sqlite3_stmt) st =
        prepare(store,
                "SELECT ru.id FROM run ru JOIN run_tag t ON t.run_id = ru.id AND t.key = ?1 "
                "AND t.value = ?2 WHERE ru.status = 'complete' AND (?3 = 0 OR ru.id < ?3) "
                "AND (EXISTS (SELECT 1 FROM baseline b WHERE b.run_id = ru.id) OR "
                "(SELECT g.verdict FROM gate g WHERE g.run_id = ru.id ORDER BY g.id DESC LIMIT 1) "
                "= 'pass') ORDER BY ru.id DESC LIMIT 1",
                error);
    int rc;

    if (!st)
        return FALSE;
    bind_text(st, 1, key);
    bind_text(st, 2, value);
    sqlite3_bind_int64(st, 3, before_id);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to look up the baseline tagged %s=%s", key, value);
        return FALSE;
    }
    *ret_run_id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    return TRUE;
}
