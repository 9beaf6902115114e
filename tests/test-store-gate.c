/* SPDX-License-Identifier: MIT */
/* Unit tests of store/'s CI gate (schema v5): tags, verdicts, baselines, views, SCHEMA.md's
 * queries. */
#include <check.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "store-priv.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

#define OK(call)                                                                                   \
    do {                                                                                           \
        g_autoptr(GError) e_ = NULL;                                                               \
        GError **error_ = &e_;                                                                     \
        (void)error_;                                                                              \
        ck_assert_msg((call), "%s", e_ ? e_->message : "");                                        \
    } while (0)

static char *tmpdir;

static void setup_tmp(void)
{
    tmpdir = g_dir_make_tmp("vexp-test-gate-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
}

static void teardown_tmp(void)
{
    g_autoptr(GDir) d = g_dir_open(tmpdir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(tmpdir, name, NULL);
        g_unlink(p);
    }
    g_rmdir(tmpdir);
    g_clear_pointer(&tmpdir, g_free);
}

static gint64 add_run(vexp_store *s, const char *const *tags, const char *status)
{
    const store_run_traffic traffic = {1000, 1, 5,    3,   "mlrsearch", "ndr:0,pdr:0.5",
                                       50,   3, NULL, NULL};
    store_run_info ri = {.name = "ci",
                         .matrix_text = "[matrix]\nnic = host\n",
                         .matrix_hash = "h",
                         .vexp_version = "0.1.0",
                         .traffic = &traffic,
                         .tags = tags};
    gint64 id = 0;

    OK(store_run_begin(s, &ri, &id, error_));
    if (status)
        OK(store_run_finish(s, id, status, error_));
    return id;
}

/* one cell (config key, label) with a throughput figure of the given samples */
static void add_fig(vexp_store *s, gint64 run, const char *key, guint index, const char *label,
                    const double *x, guint n)
{
    store_config_info ci = {.key = key, .nic = "host"};
    gint64 cfg = 0, cell = 0;

    OK(store_config_upsert(s, &ci, &cfg, error_));
    OK(store_cell_begin(s, run, cfg, index, label, &cell, error_));
    OK(store_result_add(s, cell, "throughput", "in", 64, "throughput_fps", "frames/s", x, n,
                        error_));
    OK(store_cell_finish(s, cell, "complete", NULL, NULL, NULL, error_));
}

static int count(vexp_store *s, const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int v = -1;

    (void)s;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    {
        g_autoptr(sqlite3_stmt) st = NULL;
        ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
                      sqlite3_errmsg(db));
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int(st, 0);
    }
    sqlite3_close(db);
    return v;
}

START_TEST(test_migrate_v4_to_v5)
{
    g_autofree char *path = g_build_filename(tmpdir, "v4.db", NULL);
    g_autoptr(vexp_store) s = NULL;
    const double x[] = {100, 110, 90};
    gint64 run;

    s = store_open_with(path, store_migrations, 4, NULL);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(store_schema_version(s), 4);
    g_clear_pointer(&s, store_close);
    {
        /* a run as vexp wrote it at version 4 (today's writer has v5 columns) */
        sqlite3 *db = NULL;
        ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
        ck_assert_int_eq(sqlite3_exec(db,
                                      "INSERT INTO run (name, started_at, finished_at, status, "
                                      "matrix_text, matrix_hash, vexp_version) VALUES ('old', "
                                      "'T', 'T', 'complete', 'm', 'h', '0.1.0')",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
        run = sqlite3_last_insert_rowid(db);
        sqlite3_close(db);
    }
    s = store_open_with(path, store_migrations, 4, NULL);
    ck_assert_ptr_nonnull(s);
    add_fig(s, run, "k", 0, "nic=host", x, 3);
    g_clear_pointer(&s, store_close);
    ck_assert_int_eq(count(NULL, path, "SELECT count(*) FROM sqlite_schema WHERE name = 'gate'"),
                     0);

    s = store_open_with(path, store_migrations, 5, NULL);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(store_schema_version(s), 5);
    ck_assert_int_eq(count(s, path,
                           "SELECT count(*) FROM sqlite_schema WHERE name IN "
                           "('run_tag', 'gate', 'baseline', 'latest_cell', 'figure')"),
                     5);
    /* the old run's figure through the view, no tags, no verdict, no mark */
    ck_assert_int_eq(count(s, path,
                           "SELECT count(*) FROM figure WHERE run_id = 1 AND "
                           "config_key = 'k' AND mean = 100 AND n = 3"),
                     1);
    ck_assert_int_eq(count(s, path,
                           "SELECT (SELECT count(*) FROM run_tag) + (SELECT count(*) "
                           "FROM gate) + (SELECT count(*) FROM baseline)"),
                     0);
    /* this build's readers read this build's schema: the rest of the way (v7's run columns) */
    g_clear_pointer(&s, store_close);
    s = store_open(path, NULL);
    ck_assert_ptr_nonnull(s);
    {
        gint64 found = -1;
        OK(store_baseline_find(s, "branch", "main", 0, &found, error_));
        ck_assert_int_eq(found, 0);
        OK(store_baseline_set(s, run, error_));
    }
}
END_TEST

START_TEST(test_tags)
{
    g_autofree char *path = g_build_filename(tmpdir, "tags.db", NULL);
    g_autoptr(vexp_store) s = store_open(path, NULL);
    g_autoptr(GPtrArray) tags = NULL;
    g_autoptr(GError) error = NULL;
    char *k = NULL, *v = NULL;
    const char *const good[] = {"commit=abc123", "branch=main", "empty=", NULL};
    const char *const twice[] = {"a=1", "a=2", NULL};
    const char *bad[] = {"nokey", "=v", "sp ace=1", "k=bell\a", NULL};
    g_autofree char *longkey = g_strnfill(STORE_TAG_KEY_MAX + 1, 'k');
    g_autofree char *longkey_tag = g_strconcat(longkey, "=1", NULL);
    g_autofree char *longval = g_strnfill(STORE_TAG_VALUE_MAX + 1, 'v');
    g_autofree char *longval_tag = g_strconcat("k=", longval, NULL);
    gint64 run;

    ck_assert(store_tag_parse("pipeline=12=3", &k, &v, NULL));
    ck_assert_str_eq(k, "pipeline");
    ck_assert_str_eq(v, "12=3");
    g_free(k);
    g_free(v);
    for (guint i = 0; bad[i]; i++) {
        k = v = NULL;
        ck_assert_msg(!store_tag_parse(bad[i], &k, &v, NULL), "%s", bad[i]);
        ck_assert_ptr_null(k);
    }
    ck_assert(!store_tag_parse(longkey_tag, &k, &v, NULL));
    ck_assert(!store_tag_parse(longval_tag, &k, &v, &error));
    ck_assert_str_eq(error->message, "tag 'k': value of 257 bytes, at most 256");
    g_clear_error(&error);

    run = add_run(s, good, NULL);
    OK(store_run_tags(s, run, &tags, error_));
    ck_assert_uint_eq(tags->len, 3);
    ck_assert_str_eq(g_ptr_array_index(tags, 0), "branch=main");
    ck_assert_str_eq(g_ptr_array_index(tags, 1), "commit=abc123");
    ck_assert_str_eq(g_ptr_array_index(tags, 2), "empty=");

    /* a refused tag: no run row either */
    {
        store_run_info ri = {.name = "x",
                             .matrix_text = "m",
                             .matrix_hash = "h",
                             .vexp_version = "0.1.0",
                             .tags = twice};
        gint64 id = 0;
        ck_assert(!store_run_begin(s, &ri, &id, &error));
        ck_assert_str_eq(error->message, "tag 'a=2': the key 'a' is given twice");
        ck_assert_int_eq(count(s, path, "SELECT count(*) FROM run"), 1);
    }
}
END_TEST

START_TEST(test_baseline_find)
{
    g_autofree char *path = g_build_filename(tmpdir, "base.db", NULL);
    g_autoptr(vexp_store) s = store_open(path, NULL);
    const char *const main_tags[] = {"branch=main", NULL};
    const char *const other[] = {"branch=feature", NULL};
    gint64 r1 = add_run(s, main_tags, "complete"), r2 = add_run(s, main_tags, "complete");
    gint64 r3 = add_run(s, other, "complete"), r4 = add_run(s, main_tags, "failed");
    gint64 r5 = add_run(s, main_tags, "complete"), found = -1;
    g_autofree char *verdict = NULL;
    g_autoptr(GError) error = NULL;

    /* never judged, never marked: none */
    OK(store_baseline_find(s, "branch", "main", 0, &found, error_));
    ck_assert_int_eq(found, 0);
    OK(store_baseline_set(s, r1, error_));
    OK(store_baseline_find(s, "branch", "main", r5, &found, error_));
    ck_assert_int_eq(found, r1);
    /* r2 failed its gate: still r1 */
    store_gate g = {r2, r1, FALSE, 5, 0.05, 3, 1, 0, NULL};
    OK(store_gate_record(s, &g, error_));
    OK(store_gate_latest(s, r2, &verdict, error_));
    ck_assert_str_eq(verdict, "fail");
    OK(store_baseline_find(s, "branch", "main", r5, &found, error_));
    ck_assert_int_eq(found, r1);
    /* r2 judged again and passed: its latest verdict counts */
    g.passed = TRUE;
    g.worse = 0;
    OK(store_gate_record(s, &g, error_));
    OK(store_baseline_find(s, "branch", "main", r5, &found, error_));
    ck_assert_int_eq(found, r2);
    /* other tags, failed runs and the candidate itself never count */
    g = (store_gate){r3, r1, TRUE, 5, 0.05, 3, 0, 0, NULL};
    OK(store_gate_record(s, &g, error_));
    g.run_id = r5;
    OK(store_gate_record(s, &g, error_));
    OK(store_baseline_find(s, "branch", "main", r5, &found, error_));
    ck_assert_int_eq(found, r2);
    OK(store_baseline_find(s, "branch", "main", 0, &found, error_));
    ck_assert_int_eq(found, r5);
    ck_assert(!store_baseline_set(s, r4, &error));
    ck_assert_str_eq(error->message,
                     "run 4 is 'failed', not 'complete': only a complete run can be a baseline");
    g_clear_error(&error);
    ck_assert(!store_baseline_set(s, 99, &error));
    ck_assert_int_eq(error->code, STORE_ERROR_NOT_FOUND);
    g_clear_error(&error);
    OK(store_baseline_unset(s, r1, error_));
    ck_assert(!store_baseline_unset(s, r1, &error));
    ck_assert_int_eq(error->code, STORE_ERROR_NOT_FOUND);
}
END_TEST

START_TEST(test_compare_cv_mdc_settings)
{
    g_autofree char *path = g_build_filename(tmpdir, "mdc.db", NULL);
    g_autoptr(vexp_store) s = store_open(path, NULL);
    g_autoptr(GPtrArray) rows = NULL;
    g_autoptr(GPtrArray) diffs = NULL;
    /* mean 100, stddev 10 (cv 10 %) on both sides, n = 5: se = sqrt(20 + 20),
     * df = 8, t(0.975, 8) = 2.306004 (tables): mdc = 14.584 % */
    const double a[] = {86, 98, 100, 102, 114};
    const double bimodal[] = {10, 10.1, 10.05, 20, 20.1, 20.05};
    gint64 ra = add_run(s, NULL, "complete"), rb = add_run(s, NULL, "complete");
    const store_compare_row *r;

    add_fig(s, ra, "k", 0, "nic=host", a, 5);
    add_fig(s, rb, "k", 0, "nic=host", a, 5);
    add_fig(s, ra, "k2", 1, "nic=two", bimodal, 6);
    add_fig(s, rb, "k3", 1, "nic=two", bimodal, 6);
    OK(store_compare(s, ra, rb, 5, 0.05, &rows, error_));
    ck_assert_uint_eq(rows->len, 3);
    r = rows->pdata[0];
    ck_assert(fabs(r->cov_a - 10) < 1e-6 && fabs(r->cov_b - 10) < 1e-6);
    ck_assert(!r->bimodal_a && !r->bimodal_b);
    ck_assert_msg(fabs(r->mdc_pct - 14.5844) < 1e-3, "mdc %.6f", r->mdc_pct);
    r = rows->pdata[1];
    ck_assert_int_eq(r->verdict, STORE_VERDICT_ONLY_A);
    ck_assert(r->bimodal_a && r->cell_in_both);
    ck_assert(isnan(r->mdc_pct));
    r = rows->pdata[2];
    ck_assert_int_eq(r->verdict, STORE_VERDICT_ONLY_B);
    ck_assert(r->cell_in_both);

    /* same settings: no difference; another trial length and frame size: two */
    OK(store_compare_settings(s, ra, rb, &diffs, error_));
    ck_assert_uint_eq(diffs->len, 0);
    g_clear_pointer(&diffs, g_ptr_array_unref);
    {
        const store_run_traffic t = {1000, 2, 5,    3,   "mlrsearch", "ndr:0,pdr:0.5",
                                     50,   3, NULL, NULL};
        store_run_info ri = {.name = "ci",
                             .matrix_text = "m",
                             .matrix_hash = "h",
                             .vexp_version = "0.1.0",
                             .traffic = &t};
        gint64 rc = 0, cell = 0, cfg = 0;
        store_config_info ci = {.key = "k", .nic = "host"};
        OK(store_run_begin(s, &ri, &rc, error_));
        OK(store_config_upsert(s, &ci, &cfg, error_));
        OK(store_cell_begin(s, rc, cfg, 0, "nic=host", &cell, error_));
        OK(store_result_add(s, cell, "throughput", "in", 1518, "throughput_fps", "frames/s", a, 5,
                            error_));
        OK(store_compare_settings(s, ra, rc, &diffs, error_));
    }
    ck_assert_uint_eq(diffs->len, 2);
    ck_assert_str_eq(((store_setting_diff *)diffs->pdata[0])->name, "trial_s");
    ck_assert_str_eq(((store_setting_diff *)diffs->pdata[0])->value_a, "1");
    ck_assert_str_eq(((store_setting_diff *)diffs->pdata[0])->value_b, "2");
    ck_assert_str_eq(((store_setting_diff *)diffs->pdata[1])->name, "frame_sizes");
    ck_assert_str_eq(((store_setting_diff *)diffs->pdata[1])->value_a, "64");
    ck_assert_str_eq(((store_setting_diff *)diffs->pdata[1])->value_b, "1518");
}
END_TEST

/* ```sql blocks of store/SCHEMA.md, each with its first line */
static GPtrArray *schema_queries(void)
{
    g_autofree char *path =
        g_build_filename(g_getenv("VEXP_SOURCE_ROOT"), "store", "SCHEMA.md", NULL);
    g_autofree char *text = NULL;
    GPtrArray *q = g_ptr_array_new_with_free_func(g_free);
    const char *p;

    ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "cannot read %s", path);
    for (p = text; (p = strstr(p, "```sql\n"));) {
        const char *end = strstr(p += 7, "```");
        ck_assert_ptr_nonnull(end);
        g_ptr_array_add(q, g_strndup(p, end - p));
        p = end + 3;
    }
    return q;
}

/* rows of a query as "a|b|c" lines */
static char *run_query(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    GString *out = g_string_new(NULL);

    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    {
        g_autoptr(sqlite3_stmt) st = NULL;
        int rc;
        ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s\n%s",
                      sqlite3_errmsg(db), sql);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            for (int i = 0; i < sqlite3_column_count(st); i++)
                g_string_append_printf(
                    out, "%s%s", i ? "|" : "",
                    sqlite3_column_text(st, i) ? (const char *)sqlite3_column_text(st, i) : "");
            g_string_append_c(out, '\n');
        }
        ck_assert_msg(rc == SQLITE_DONE, "%s\n%s", sqlite3_errmsg(db), sql);
    }
    sqlite3_close(db);
    return g_string_free(out, FALSE);
}

START_TEST(test_schema_doc_queries)
{
    g_autofree char *path = g_build_filename(tmpdir, "doc.db", NULL);
    g_autoptr(vexp_store) s = store_open(path, NULL);
    g_autoptr(GPtrArray) q = schema_queries();
    const char *const t1[] = {"branch=main", "commit=c1", NULL};
    const char *const t2[] = {"branch=main", "commit=c2", NULL};
    const double fast[] = {1000, 1010, 990}, slow[] = {500, 505, 495};
    gint64 r1 = add_run(s, t1, "complete"), r2;
    guint regression = 0;

    add_fig(s, r1, "k-e1000", 0, "nic=e1000", fast, 3);
    add_fig(s, r1, "k-virtio", 1, "nic=virtio", fast, 3);
    r2 = add_run(s, t2, "complete");
    add_fig(s, r2, "k-e1000", 0, "nic=e1000", slow, 3);
    add_fig(s, r2, "k-virtio", 1, "nic=virtio", fast, 3);
    OK(store_baseline_set(s, r1, error_));
    store_gate g = {r2, r1, FALSE, 5, 0.05, 2, 1, 0, NULL};
    OK(store_gate_record(s, &g, error_));

    ck_assert_uint_ge(q->len, 10);
    for (guint i = 0; i < q->len; i++) {
        const char *sql = q->pdata[i];
        g_autofree char *rows = run_query(path, sql);

        if (g_str_has_prefix(sql, "-- regression: drops")) {
            ck_assert_str_eq(rows,
                             "nic=e1000|throughput|in|64|throughput_fps|1000.0|500.0|-50.0\n");
            regression++;
        } else if (g_str_has_prefix(sql, "-- regression: baseline")) {
            ck_assert_str_eq(rows, "1\n");
            regression++;
        } else if (g_str_has_prefix(sql, "-- regression: verdicts")) {
            ck_assert_str_eq(rows, "2|c2|1|fail|1|2\n");
            regression++;
        }
    }
    ck_assert_uint_eq(regression, 3);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("store-gate");
    TCase *tc = tcase_create("gate");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
    tcase_add_test(tc, test_migrate_v4_to_v5);
    tcase_add_test(tc, test_tags);
    tcase_add_test(tc, test_baseline_find);
    tcase_add_test(tc, test_compare_cv_mdc_settings);
    tcase_add_test(tc, test_schema_doc_queries);
    suite_add_tcase(suite, tc);
    sr = srunner_create(suite);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
