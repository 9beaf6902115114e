/* SPDX-License-Identifier: MIT */
/* Unit tests of store/: statistics, schema and migrations, writes, results and compare. */
#include <check.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store-priv.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

#define ck_assert_close(a, b, rel)                                                                 \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        ck_assert_msg(fabs(a_ - b_) <= (rel)*fmax(fabs(b_), 1e-300), "%s = %.15g, expected %.15g", \
                      #a, a_, b_);                                                                 \
    } while (0)

static char *tmpdir;

static void setup_tmp(void)
{
    tmpdir = g_dir_make_tmp("vexp-test-store-XXXXXX", NULL);
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

static char *tmp_path(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
}

/* ---- statistics against reference values ---- */

START_TEST(test_stats_mean_stddev)
{
    const double x[] = {2, 4, 4, 4, 5, 5, 7, 9};

    ck_assert_close(stats_mean(x, 8), 5.0, 1e-15);
    /* sample sd of this classic set: sqrt(32/7) */
    ck_assert_close(stats_stddev(x, 8), sqrt(32.0 / 7.0), 1e-14);
    ck_assert(isnan(stats_stddev(x, 1)));
    ck_assert(isnan(stats_mean(x, 0)));
}
END_TEST

/* two-sided 95 % quantiles t(0.975, df) from the published tables */
static const struct {
    double df, q;
} t975[] = {
    {1, 12.706204736174698},  {2, 4.302652729749464}, {3, 3.182446305284263},
    {4, 2.776445105197793},   {9, 2.262157162798205}, {29, 2.045229642132703},
    {100, 1.983971518523552},
};

START_TEST(test_stats_t_quantile)
{
    for (guint i = 0; i < G_N_ELEMENTS(t975); i++) {
        ck_assert_close(stats_t_quantile(0.975, t975[i].df), t975[i].q, 1e-9);
        ck_assert_close(stats_t_quantile(0.025, t975[i].df), -t975[i].q, 1e-9);
    }
    ck_assert(stats_t_quantile(0.5, 3) == 0.0);
    ck_assert(isnan(stats_t_quantile(1.0, 3)));
    ck_assert(isnan(stats_t_quantile(0.9, 0)));
}
END_TEST

START_TEST(test_stats_t_cdf)
{
    /* references: Simpson integration of the t density (python3, 2e5 steps),
     * independent of the incomplete beta; df = 1 is the Cauchy: 1/2 + atan(t)/pi */
    ck_assert_close(stats_t_cdf(2, 5), 0.9490302605850673, 1e-10);
    ck_assert_close(stats_t_cdf(1.5, 3.7), 0.8932009153989899, 1e-10);
    ck_assert_close(stats_t_cdf(-2.5, 10), 0.01572342211830452, 1e-9);
    ck_assert_close(stats_t_cdf(0.7, 1), 0.5 + atan(0.7) / G_PI, 1e-12);
    ck_assert_close(stats_t_cdf(3, 2.5), 0.9637119522254849, 1e-10);
    ck_assert(stats_t_cdf(0, 7) == 0.5);
    ck_assert(stats_t_cdf(INFINITY, 7) == 1.0);
    /* I_x(a, 1) = x^a, I_x(1, b) = 1 - (1-x)^b */
    ck_assert_close(stats_betai(2.5, 1, 0.3), pow(0.3, 2.5), 1e-12);
    ck_assert_close(stats_betai(1, 3.5, 0.8), 1 - pow(0.2, 3.5), 1e-12);
    ck_assert(isnan(stats_betai(0, 1, 0.5)));
}
END_TEST

START_TEST(test_stats_welch)
{
    /* R: t.test(c(1,2,3,4), c(2,4,6,8,10,12)) -> t = -2.7136, df = 6.5947,
     * p = 0.03182 (sign: we report b - a) */
    const double a[] = {1, 2, 3, 4}, b[] = {2, 4, 6, 8, 10, 12};
    const double c[] = {10.1, 9.8, 10.3, 9.9, 10.4, 10.0}, d[] = {10.6, 10.2, 11.0, 10.4, 10.9};
    stats_welch w = stats_welch_test(stats_mean(a, 4), stats_stddev(a, 4), 4, stats_mean(b, 6),
                                     stats_stddev(b, 6), 6);

    ck_assert_close(w.t, 2.7136021011998728, 1e-12);
    ck_assert_close(w.df, 6.59467097295115, 1e-12);
    ck_assert_close(w.p, 0.03182444378086435, 1e-8);

    w = stats_welch_test(stats_mean(c, 6), stats_stddev(c, 6), 6, stats_mean(d, 5),
                         stats_stddev(d, 5), 5);
    ck_assert_close(w.t, 3.0312679868234, 1e-12);
    ck_assert_close(w.df, 6.94619562892947, 1e-12);
    ck_assert_close(w.p, 0.019259446282248405, 1e-8);

    /* t = -20 on 8 df */
    w = stats_welch_test(100, 0.7905694150420949, 5, 90, 0.7905694150420949, 5);
    ck_assert_close(w.t, -20.0, 1e-12);
    ck_assert_close(w.df, 8.0, 1e-12);
    ck_assert_close(w.p, 4.073919468439158e-08, 1e-5);

    /* no spread */
    w = stats_welch_test(5, 0, 3, 5, 0, 3);
    ck_assert(w.p == 1.0);
    w = stats_welch_test(5, 0, 3, 6, 0, 3);
    ck_assert(w.p == 0.0 && isinf(w.t) && w.t > 0);
    /* n < 2 */
    w = stats_welch_test(5, NAN, 1, 6, 1, 3);
    ck_assert(isnan(w.p));
}
END_TEST

START_TEST(test_stats_repeatability)
{
    /* two bands: 5 repetitions near 100, 3 near 150 (CSIT's two-band results) */
    static const double two[] = {100, 150, 101, 99, 151, 100, 149, 102};
    static const double one[] = {100, 101, 99, 102, 100, 98};
    static const double spread[] = {80, 90, 100, 110, 120};
    static const double tiny[] = {100, 100, 100.2, 100.2}; /* apart, but by 0.2 % only */
    ck_assert(stats_bimodal(two, G_N_ELEMENTS(two)));
    ck_assert(!stats_bimodal(one, G_N_ELEMENTS(one)));
    ck_assert(!stats_bimodal(spread, G_N_ELEMENTS(spread)));
    ck_assert(!stats_bimodal(tiny, G_N_ELEMENTS(tiny)));
    ck_assert(!stats_bimodal(two, 3)); /* too few to tell */
    ck_assert_double_eq_tol(stats_cov_pct(200, 10), 5, 1e-12);
    ck_assert(isnan(stats_cov_pct(0, 1)));
    ck_assert(isnan(stats_cov_pct(100, NAN)));
}
END_TEST

START_TEST(test_stats_ci95)
{
    /* 1..5: sd = sqrt(2.5), half = t(0.975, 4) * sd / sqrt(5) */
    ck_assert_close(stats_ci95_half(sqrt(2.5), 5), 2.776445105197793 * sqrt(2.5) / sqrt(5.0), 1e-9);
    ck_assert(isnan(stats_ci95_half(NAN, 1)));
}
END_TEST

/* ---- schema and migrations ---- */

static int raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int v = -1;

    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    {
        g_autoptr(sqlite3_stmt) st = NULL;
        ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int(st, 0);
    }
    sqlite3_close(db);
    return v;
}

static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;

    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

START_TEST(test_schema_new)
{
    g_autofree char *path = tmp_path("new.db");
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_store) s = store_open(path, &error);

    ck_assert_msg(s != NULL, "%s", error ? error->message : "");
    ck_assert_int_eq(store_schema_version(s), STORE_SCHEMA_VERSION);
    g_clear_pointer(&s, store_close);
    ck_assert_int_eq(raw_int(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                                   "name IN ('run', 'config', 'cell', 'trial', 'result')"),
                     5);
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM pragma_table_info('config') WHERE "
                                   "(name = 'vhost' AND type = 'TEXT') OR "
                                   "(name = 'queues' AND type = 'INTEGER')"),
                     2);
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM pragma_journal_mode WHERE "
                                   "journal_mode = 'wal'"),
                     1);
    /* reopening an up-to-date file changes nothing */
    s = store_open(path, &error);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(store_schema_version(s), STORE_SCHEMA_VERSION);
}
END_TEST

START_TEST(test_schema_v0_empty)
{
    g_autofree char *path = tmp_path("v0.db");
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_store) s = NULL;

    /* a valid SQLite file at user_version 0 with no tables */
    raw_exec(path, "PRAGMA user_version = 0; CREATE TABLE t (x); DROP TABLE t;");
    s = store_open(path, &error);
    ck_assert_msg(s != NULL, "%s", error ? error->message : "");
    ck_assert_int_eq(store_schema_version(s), STORE_SCHEMA_VERSION);
}
END_TEST

/* A file written by the previous vexp (schema v1, before vhost/queues) with a
 * complete run in it: this build migrates it and reads everything back. */
START_TEST(test_schema_migrate_v1)
{
    g_autofree char *path = tmp_path("v1.db");
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_store) s = NULL;
    g_autoptr(GPtrArray) rows = NULL;
    g_autoptr(GPtrArray) cells = NULL;
    g_autoptr(GPtrArray) cmp = NULL;
    store_run_info ri = {.name = "old",
                         .matrix_text = "[matrix]\nnic = virtio\n",
                         .matrix_hash = "h",
                         .vexp_version = "0.1.0",
                         .accel = "kvm"};
    store_config_info ci = {.key = "k-old", .nic = "virtio", .vcpus = 1, .accel = "kvm"};
    const double x[] = {100, 101, 99};
    gint64 cfg = 0, cell = 0, run2 = 0;
    const store_result_row *row;
    const store_cell_row *c;

    /* the v1 schema exactly as released: the first step of the history */
    ck_assert_int_eq(store_migrations[0].version, 1);
    s = store_open_with(path, store_migrations, 1, &error);
    ck_assert_msg(s != NULL, "%s", error ? error->message : "");
    ck_assert_int_eq(store_schema_version(s), 1);
    g_clear_pointer(&s, store_close);
    /* rows as a v1 vexp wrote them (its INSERT had no vhost/queues) */
    raw_exec(path, "INSERT INTO run (id, name, started_at, status, matrix_text, matrix_hash, "
                   "vexp_version, accel) VALUES (1, 'old', '2025-01-31T12:00:00.000Z', "
                   "'complete', '[matrix]', 'h', '0.1.0', 'kvm');"
                   "INSERT INTO config (id, key, nic, vcpus, accel, created_at) VALUES "
                   "(1, 'k-old', 'virtio', 1, 'kvm', '2025-01-31T12:00:00.000Z');"
                   "INSERT INTO cell (id, run_id, config_id, cell_index, label, status, "
                   "hypervisor, host, started_at) VALUES (1, 1, 1, 0, 'nic=virtio', "
                   "'complete', 'qemu:///system', 'hv1', '2025-01-31T12:00:00.000Z');"
                   "INSERT INTO result (cell_id, test, direction, frame_size, metric, unit, n, "
                   "mean, stddev) VALUES (1, 'throughput', 'in', 64, 'throughput_fps', "
                   "'frames/s', 3, 100, 1);");
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM pragma_table_info('config') WHERE "
                                   "name IN ('vhost', 'queues')"),
                     0);

    s = store_open(path, &error);
    ck_assert_msg(s != NULL, "%s", error ? error->message : "");
    ck_assert_int_eq(store_schema_version(s), STORE_SCHEMA_VERSION);
    ck_assert(store_results_rows(s, 1, NULL, &rows, &error));
    ck_assert_int_eq(rows->len, 1);
    row = rows->pdata[0];
    ck_assert_str_eq(row->accel, "kvm");
    ck_assert_ptr_null(row->vhost);
    ck_assert_int_eq(row->queues, 0);
    ck_assert_str_eq(row->hypervisor, "qemu:///system");
    ck_assert_str_eq(row->host, "hv1");
    ck_assert(store_cells_rows(s, 1, &cells, &error));
    c = cells->pdata[0];
    ck_assert_str_eq(c->accel, "kvm");
    ck_assert_ptr_null(c->vhost);
    ck_assert_int_eq(c->queues, 0);

    /* the old config is reused as it is; a new run compares against the old one */
    ck_assert(store_config_upsert(s, &ci, &cfg, &error));
    ck_assert_int_eq(cfg, 1);
    ck_assert(store_run_begin(s, &ri, &run2, &error));
    ck_assert(store_cell_begin(s, run2, cfg, 0, "nic=virtio", &cell, &error));
    ck_assert(store_result_add(s, cell, "throughput", "in", 64, "throughput_fps", "frames/s", x, 3,
                               &error));
    ck_assert(store_compare(s, 1, run2, 5, 0.05, &cmp, &error));
    ck_assert_int_eq(cmp->len, 1);
    ck_assert_int_eq(((store_compare_row *)cmp->pdata[0])->verdict, STORE_VERDICT_SAME);
    g_clear_pointer(&s, store_close);
    ck_assert_int_eq(raw_int(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM config WHERE vhost IS NULL AND "
                                   "queues IS NULL"),
                     1);
}
END_TEST

/* Schema v3: a v2 file's runs get their line rate from their matrix text;
 * new runs record their traffic settings; the trials and vCPUs read back. */
START_TEST(test_schema_migrate_v2_traffic)
{
    g_autofree char *path = tmp_path("v2.db");
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_store) s = NULL;
    g_autoptr(store_run) r1 = NULL;
    g_autoptr(store_run) r2 = NULL;
    g_autoptr(store_run) r3 = NULL;
    g_autoptr(GPtrArray) trials = NULL;
    g_autoptr(GPtrArray) cells = NULL;
    const store_run_traffic traffic = {.line_rate_mbps = 2500,
                                       .trial_s = 30,
                                       .resolution_pct = 0.5,
                                       .repetitions = 4,
                                       .method = "mlrsearch",
                                       .goals = "ndr:0,pdr:0.5",
                                       .exceed_pct = 50,
                                       .duration_sum_s = 90,
                                       .tester_cpus = "0",
                                       .tester_dataplane = "auto"};
    store_run_info ri = {.name = "new",
                         .matrix_text = "[traffic]\nline_rate_mbps = 1\n",
                         .matrix_hash = "h",
                         .vexp_version = "0.1.0",
                         .traffic = &traffic};
    store_config_info ci = {.key = "k", .nic = "virtio", .vcpus = 2};
    gint64 run = 0, cfg = 0, cell = 0;

    /* the line rate as vexp before v3 read it from the matrix */
    ck_assert(store_matrix_line_rate("[traffic]\nline_rate_mbps = 10000\n") == 10000);
    ck_assert(store_matrix_line_rate("# c\n[experiment]\nname = x\n[traffic]\n"
                                     "tests = throughput, loss\n") == 1000);
    ck_assert(isnan(store_matrix_line_rate("[traffic]\nline_rate_mbps = fast\n")));
    ck_assert(isnan(store_matrix_line_rate("[traffic]\nline_rate_mbps = -5\n")));
    ck_assert(isnan(store_matrix_line_rate("[traffic]\nline_rate_mbps = 1e9\n")));
    ck_assert(isnan(store_matrix_line_rate("not a key file [")));
    ck_assert(isnan(store_matrix_line_rate(NULL)));

    s = store_open_with(path, store_migrations, 2, &error);
    ck_assert_msg(s != NULL, "%s", error ? error->message : "");
    g_clear_pointer(&s, store_close);
    raw_exec(path, "INSERT INTO run (id, name, started_at, status, matrix_text, matrix_hash, "
                   "vexp_version) VALUES (1, 'a', 'T', 'complete', "
                   "'[traffic]\nline_rate_mbps = 2.5e3\n', 'h', '0.1.0'), "
                   "(2, 'b', 'T', 'complete', '[matrix]\n', 'h', '0.1.0'), "
                   "(3, 'c', 'T', 'complete', '[traffic]\nline_rate_mbps = x\n', 'h', '0.1.0');");
    s = store_open(path, &error);
    ck_assert_msg(s != NULL, "%s", error ? error->message : "");
    ck_assert(store_run_get(s, 1, &r1, &error));
    ck_assert(store_run_get(s, 2, &r2, &error));
    ck_assert(store_run_get(s, 3, &r3, &error));
    ck_assert(r1->traffic.line_rate_mbps == 2500);
    ck_assert(isnan(r1->traffic.trial_s));
    ck_assert_ptr_null(r1->traffic.tester_dataplane);
    ck_assert_uint_eq(r1->traffic.repetitions, 0);
    ck_assert(r2->traffic.line_rate_mbps == 1000);
    ck_assert(isnan(r3->traffic.line_rate_mbps));
    g_clear_pointer(&r1, store_run_free);

    /* a new run: the settings given, not the matrix text */
    ck_assert(store_run_begin(s, &ri, &run, &error));
    ck_assert(store_run_get(s, run, &r1, &error));
    ck_assert(r1->traffic.line_rate_mbps == 2500);
    ck_assert(r1->traffic.trial_s == 30);
    ck_assert_str_eq(r1->traffic.method, "mlrsearch");
    ck_assert_str_eq(r1->traffic.goals, "ndr:0,pdr:0.5");
    ck_assert(r1->traffic.exceed_pct == 50);
    ck_assert(r1->traffic.duration_sum_s == 90);
    ck_assert_str_eq(r1->traffic.tester_cpus, "0");
    ck_assert_str_eq(r1->traffic.tester_dataplane, "auto");
    ck_assert(r1->traffic.resolution_pct == 0.5);
    ck_assert_uint_eq(r1->traffic.repetitions, 4);

    ck_assert(store_config_upsert(s, &ci, &cfg, &error));
    ck_assert(store_cell_begin(s, run, cfg, 0, "nic=virtio", &cell, &error));
    for (guint k = 0; k < 3; k++) {
        store_trial t;
        store_trial_init(&t);
        t.test = k == 1 ? "throughput" : "loss";
        t.direction = "in";
        t.frame_size = 64;
        t.repetition = 1;
        t.step = 2 - k;
        t.offered_fps = 1000 * (k + 1);
        t.tx = 10;
        t.rx = 9;
        t.lost = 1;
        t.loss_pct = 10;
        t.valid = k != 2;
        ck_assert(store_trial_add(s, cell, &t, &error));
    }
    ck_assert(store_trials_rows(s, run, "loss", &trials, &error));
    ck_assert_uint_eq(trials->len, 2);
    const store_trial_row *t0 = trials->pdata[0];
    ck_assert_uint_eq(t0->step, 0);
    ck_assert(!t0->valid);
    ck_assert(((store_trial_row *)trials->pdata[1])->offered_fps == 1000);
    g_clear_pointer(&trials, g_ptr_array_unref);
    ck_assert(store_trials_rows(s, 0, NULL, &trials, &error));
    ck_assert_uint_eq(trials->len, 3);
    ck_assert(store_cells_rows(s, run, &cells, &error));
    ck_assert_uint_eq(((store_cell_row *)cells->pdata[0])->vcpus, 2);
}
END_TEST

/* Schema v7: a v6 file keeps its rows; its runs and trials have no data plane (NULL =
 * unknown), and what this build writes reads back. */
START_TEST(test_schema_migrate_v6_dataplane)
{
    g_autofree char *path = tmp_path("v6.db");
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_store) s = NULL;
    g_autoptr(store_run) old = NULL;
    g_autoptr(store_run) now = NULL;
    g_autoptr(GPtrArray) trials = NULL;
    const store_run_traffic traffic = {.line_rate_mbps = 1000, .tester_dataplane = "socket"};
    store_run_info ri = {.name = "new",
                         .matrix_text = "[traffic]\ntester_dataplane = socket\n",
                         .matrix_hash = "h",
                         .vexp_version = "0.1.0",
                         .traffic = &traffic};
    gint64 run = 0, cell = 0;
    store_trial t;

    ck_assert_int_eq(store_migrations[5].version, 6);
    s = store_open_with(path, store_migrations, 6, &error);
    ck_assert_msg(s != NULL, "%s", error ? error->message : "");
    g_clear_pointer(&s, store_close);
    /* rows as a v6 vexp wrote them */
    raw_exec(path, "INSERT INTO run (id, name, started_at, status, matrix_text, matrix_hash, "
                   "vexp_version, tester_cpus) VALUES (1, 'old', 'T', 'complete', '[matrix]', "
                   "'h', '0.1.0', '0');"
                   "INSERT INTO config (id, key, nic, created_at) VALUES (1, 'k', 'host', 'T');"
                   "INSERT INTO cell (id, run_id, config_id, cell_index, label, status, "
                   "started_at) VALUES (1, 1, 1, 0, 'nic=host', 'complete', 'T');"
                   "INSERT INTO trial (cell_id, test, direction, frame_size, repetition, step, "
                   "tx, rx, lost, reordered, duplicated, passed, valid, reflect, sent_fps, "
                   "recorded_at) VALUES (1, 'throughput', 'in', 64, 1, 0, 10, 9, 1, 0, 0, 0, 1, "
                   "0, 1000, 'T');");
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM pragma_table_info('trial') WHERE "
                                   "name = 'tester_dataplane'"),
                     0);

    s = store_open(path, &error);
    ck_assert_msg(s != NULL, "%s", error ? error->message : "");
    ck_assert_int_eq(store_schema_version(s), STORE_SCHEMA_VERSION);
    ck_assert(store_run_get(s, 1, &old, &error));
    ck_assert_str_eq(old->name, "old");
    ck_assert_str_eq(old->traffic.tester_cpus, "0");
    ck_assert_ptr_null(old->traffic.tester_dataplane);
    ck_assert(store_trials_rows(s, 1, NULL, &trials, &error));
    ck_assert_uint_eq(trials->len, 1);
    ck_assert_uint_eq(((store_trial_row *)trials->pdata[0])->tx, 10);
    ck_assert_ptr_null(((store_trial_row *)trials->pdata[0])->tester_dataplane);
    g_clear_pointer(&trials, g_ptr_array_unref);

    /* a new run: the plane asked, and the plane each trial ran on */
    ck_assert(store_run_begin(s, &ri, &run, &error));
    ck_assert(store_run_get(s, run, &now, &error));
    ck_assert_str_eq(now->traffic.tester_dataplane, "socket");
    ck_assert(store_cell_begin(s, run, 1, 0, "nic=host", &cell, &error));
    store_trial_init(&t);
    t.test = "throughput";
    t.direction = "in";
    t.frame_size = 64;
    t.tester_dataplane = "socket";
    ck_assert(store_trial_add(s, cell, &t, &error));
    ck_assert(store_trials_rows(s, run, NULL, &trials, &error));
    ck_assert_uint_eq(trials->len, 1);
    ck_assert_str_eq(((store_trial_row *)trials->pdata[0])->tester_dataplane, "socket");
    g_clear_pointer(&s, store_close);
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM run WHERE tester_dataplane IS NULL"), 1);
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM trial WHERE tester_dataplane IS NULL"), 1);
}
END_TEST

START_TEST(test_schema_future)
{
    g_autofree char *path = tmp_path("future.db");
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_store) s = NULL;

    raw_exec(path, "CREATE TABLE run (id INTEGER); PRAGMA user_version = 99;");
    s = store_open(path, &error);
    ck_assert_ptr_null(s);
    ck_assert(g_error_matches(error, STORE_ERROR, STORE_ERROR_VERSION));
    ck_assert_msg(strstr(error->message, "99") && strstr(error->message, path), "%s",
                  error->message);
}
END_TEST

START_TEST(test_schema_foreign)
{
    g_autofree char *path = tmp_path("other.db");
    g_autofree char *junk = tmp_path("junk.db");
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_store) s = NULL;

    raw_exec(path, "CREATE TABLE notes (x TEXT);");
    s = store_open(path, &error);
    ck_assert_ptr_null(s);
    ck_assert(g_error_matches(error, STORE_ERROR, STORE_ERROR_OPEN));
    g_clear_error(&error);

    ck_assert(g_file_set_contents(junk,
                                  "this is not a database, not even close; padding padding "
                                  "padding padding padding padding padding padding",
                                  -1, NULL));
    s = store_open(junk, &error);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(error->message, junk), "%s", error->message);
}
END_TEST

START_TEST(test_schema_migration_step)
{
    g_autofree char *path = tmp_path("step.db");
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_store) s = store_open(path, &error);
    /* this build's steps, then one more */
    const int next = STORE_SCHEMA_VERSION + 1;
    g_autofree char *next_text = g_strdup_printf("version %d", next);
    g_autofree store_migration *steps = g_new0(store_migration, store_n_migrations + 1);
    g_autofree store_migration *broken = g_new0(store_migration, store_n_migrations + 1);

    memcpy(steps, store_migrations, store_n_migrations * sizeof(*steps));
    memcpy(broken, store_migrations, store_n_migrations * sizeof(*broken));
    steps[store_n_migrations] = (store_migration){
        next, "ALTER TABLE run ADD COLUMN note TEXT; CREATE TABLE extra (x INTEGER);"};
    broken[store_n_migrations] =
        (store_migration){next, "ALTER TABLE no_such_table ADD COLUMN y TEXT;"};
    gint64 run_id;
    store_run_info ri = {
        .name = "m", .matrix_text = "[matrix]\n", .matrix_hash = "h", .vexp_version = "0"};

    ck_assert_ptr_nonnull(s);
    ck_assert(store_run_begin(s, &ri, &run_id, &error));
    g_clear_pointer(&s, store_close);

    /* a failing step leaves the file at this build's version, data intact */
    s = store_open_with(path, broken, store_n_migrations + 1, &error);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(error->message, next_text), "%s", error->message);
    g_clear_error(&error);
    ck_assert_int_eq(raw_int(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);

    s = store_open_with(path, steps, store_n_migrations + 1, &error);
    ck_assert_msg(s != NULL, "%s", error ? error->message : "");
    ck_assert_int_eq(store_schema_version(s), next);
    g_clear_pointer(&s, store_close);
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM run WHERE note IS NULL"), 1);
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM extra"), 0);

    /* this build refuses the newer file */
    s = store_open(path, &error);
    ck_assert_ptr_null(s);
    ck_assert(g_error_matches(error, STORE_ERROR, STORE_ERROR_VERSION));
}
END_TEST

/* ---- writes ---- */

static vexp_store *open_fixture(char **ret_path)
{
    g_autofree char *path = tmp_path("fixture.db");
    g_autoptr(GError) error = NULL;
    vexp_store *s = store_open(path, &error);

    ck_assert_msg(s != NULL, "%s", error ? error->message : "");
    if (ret_path)
        *ret_path = g_steal_pointer(&path);
    return s;
}

static gint64 add_run(vexp_store *s, const char *hash)
{
    g_autoptr(GError) error = NULL;
    store_run_info ri = {
        .name = "nic-models",
        .matrix_text = "[matrix]\nnic = virtio\n",
        .matrix_hash = hash,
        .vexp_version = "0.1.0",
        .host = "tester",
        .accel = "tcg",
    };
    gint64 id = 0;

    ck_assert_msg(store_run_begin(s, &ri, &id, &error), "%s", error ? error->message : "");
    return id;
}

static gint64 add_config(vexp_store *s, const char *key, const char *nic)
{
    g_autoptr(GError) error = NULL;
    store_config_info ci = {
        .key = key,
        .nic = nic,
        .vcpus = 1,
        .vcpu_pin = "1",
        .emulator_pin = "0",
        .memory_mib = 256,
        .accel = "tcg",
        .domain_xml = "<domain/>",
    };
    gint64 id = 0;

    ck_assert_msg(store_config_upsert(s, &ci, &id, &error), "%s", error ? error->message : "");
    return id;
}

static gint64 add_cell(vexp_store *s, gint64 run, gint64 config, guint index, const char *label)
{
    g_autoptr(GError) error = NULL;
    gint64 id = 0;

    ck_assert_msg(store_cell_begin(s, run, config, index, label, &id, &error), "%s",
                  error ? error->message : "");
    return id;
}

START_TEST(test_trial_roundtrip)
{
    g_autofree char *path = NULL;
    g_autoptr(vexp_store) s = open_fixture(&path);
    g_autoptr(GError) error = NULL;
    gint64 run = add_run(s, "h1"), cfg = add_config(s, "k-virtio", "virtio"), cell;
    store_trial t;

    ck_assert_int_eq(add_config(s, "k-virtio", "virtio"), cfg); /* upsert */
    cell = add_cell(s, run, cfg, 0, "nic=virtio");
    store_trial_init(&t);
    t.test = "throughput";
    t.direction = "in";
    t.frame_size = 64;
    t.repetition = 2;
    t.step = 3;
    t.offered_fps = 148809.5;
    t.duration_s = 1.0;
    t.tx = 148810;
    t.rx = 148800;
    t.lost = 10;
    t.reordered = 4;
    t.duplicated = 1;
    t.loss_pct = 10.0 / 148810 * 100;
    t.host_cpu_pct = 97.5;
    t.passed = FALSE;
    t.has_rtt = TRUE;
    t.rtt_n = 100;
    t.rtt_p50_us = 61.5;
    t.rtt_p99_us = 180.25;
    t.tester_dataplane = "xdp";
    ck_assert_msg(store_trial_add(s, cell, &t, &error), "%s", error ? error->message : "");

    store_trial_init(&t);
    t.test = "b2b";
    t.direction = "out";
    t.frame_size = 1518;
    t.burst_frames = 4096;
    t.valid = FALSE;
    t.reason = "guest CPU sample missing";
    ck_assert(store_trial_add(s, cell, &t, &error));

    /* missing test name */
    store_trial_init(&t);
    ck_assert(!store_trial_add(s, cell, &t, &error));
    ck_assert(g_error_matches(error, STORE_ERROR, STORE_ERROR_INVALID));
    g_clear_error(&error);
    /* unknown cell: foreign key */
    t.test = "loss";
    t.direction = "in";
    ck_assert(!store_trial_add(s, 9999, &t, &error));
    ck_assert(g_error_matches(error, STORE_ERROR, STORE_ERROR_SQL));
    ck_assert_msg(strstr(error->message, "9999") && strstr(error->message, "FOREIGN KEY"), "%s",
                  error->message);
    g_clear_pointer(&s, store_close);

    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM trial"), 2);
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM trial WHERE test = 'throughput' AND "
                                   "direction = 'in' AND frame_size = 64 AND repetition = 2 AND "
                                   "step = 3 AND offered_fps = 148809.5 AND tx = 148810 AND "
                                   "rx = 148800 AND lost = 10 AND reordered = 4 AND "
                                   "duplicated = 1 AND dut_cpu_pct IS NULL AND "
                                   "host_cpu_pct = 97.5 AND passed = 0 AND valid = 1 AND "
                                   "rtt_n = 100 AND rtt_p50_us = 61.5 AND rtt_p99_us = 180.25 "
                                   "AND rtt_min_us IS NULL AND burst_frames IS NULL AND "
                                   "tester_dataplane = 'xdp'"),
                     1);
    /* the tester side did not say: NULL, not a guess */
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM trial WHERE test = 'b2b' AND "
                                   "burst_frames = 4096 AND valid = 0 AND reason = 'guest CPU "
                                   "sample missing' AND rtt_n IS NULL AND offered_fps IS NULL "
                                   "AND tester_dataplane IS NULL"),
                     1);
}
END_TEST

START_TEST(test_run_cell_lifecycle)
{
    g_autoptr(vexp_store) s = open_fixture(NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(store_run) run = NULL;
    g_autoptr(GPtrArray) cells = NULL;
    g_autofree char *status = NULL;
    gint64 r1 = add_run(s, "hash-a"), r2, found = -1, cfg = add_config(s, "k", "e1000");
    gint64 c0, c0b, c1;
    gboolean done = TRUE;

    ck_assert(store_run_find_resumable(s, "hash-a", &found, &error));
    ck_assert_int_eq(found, r1);
    ck_assert(store_run_find_resumable(s, "other", &found, &error));
    ck_assert_int_eq(found, 0);

    c0 = add_cell(s, r1, cfg, 0, "nic=e1000");
    ck_assert(store_cell_set_hypervisor(s, c0, "qemu:///embed", "tester", &error));
    ck_assert(store_cell_done(s, r1, 0, &done, &error));
    ck_assert(!done);
    ck_assert(store_cell_status(s, r1, 5, &status, &error));
    ck_assert_ptr_null(status);
    ck_assert(store_run_finish(s, r1, "interrupted", &error));
    ck_assert(!store_run_finish(s, r1, "bogus", &error));
    ck_assert(g_error_matches(error, STORE_ERROR, STORE_ERROR_INVALID));
    ck_assert_msg(strstr(error->message, "'bogus'"), "%s", error->message);
    g_clear_error(&error);

    /* a second run of another matrix does not hide the interrupted one */
    r2 = add_run(s, "hash-b");
    ck_assert(store_run_find_resumable(s, "hash-a", &found, &error));
    ck_assert_int_eq(found, r1);
    ck_assert(store_run_resume(s, r1, &error));
    ck_assert(store_run_get(s, r1, &run, &error));
    ck_assert_str_eq(run->status, "running");
    ck_assert_ptr_null(run->finished_at);
    g_clear_pointer(&run, store_run_free);

    /* resume: cell 0 again -> attempt 2, attempt 1 becomes interrupted */
    c0b = add_cell(s, r1, cfg, 0, "nic=e1000");
    ck_assert_int_ne(c0, c0b);
    ck_assert(store_cell_finish(s, c0b, "complete", NULL, "e1000", "6.1.0-18-amd64", &error));
    c1 = add_cell(s, r1, cfg, 1, "nic=e1000 vcpus=2");
    ck_assert(store_cell_finish(s, c1, "failed", "guest died: domain 'vexp-1' is not running", NULL,
                                NULL, &error));
    ck_assert(!store_cell_finish(s, c1, "running", NULL, NULL, NULL, &error));
    g_clear_error(&error);
    ck_assert(!store_cell_finish(s, 12345, "complete", NULL, NULL, NULL, &error));
    ck_assert(g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND));
    g_clear_error(&error);
    ck_assert(store_cell_done(s, r1, 0, &done, &error) && done);
    ck_assert(store_cell_done(s, r1, 1, &done, &error) && done);
    ck_assert(store_cell_done(s, r1, 2, &done, &error) && !done);

    ck_assert(store_cells_rows(s, r1, &cells, &error));
    ck_assert_int_eq(cells->len, 2);
    {
        store_cell_row *a = cells->pdata[0], *b = cells->pdata[1];
        ck_assert_int_eq(a->attempt, 2);
        ck_assert_str_eq(a->status, "complete");
        ck_assert_str_eq(a->guest_driver, "e1000");
        ck_assert_str_eq(b->status, "failed");
        ck_assert_str_eq(b->reason, "guest died: domain 'vexp-1' is not running");
    }
    ck_assert(store_cell_status(s, r1, 0, &status, &error));
    ck_assert_str_eq(status, "complete");

    ck_assert(store_run_finish(s, r1, "complete", &error));
    ck_assert(store_run_find_resumable(s, "hash-a", &found, &error));
    ck_assert_int_eq(found, 0);

    /* latest run = r2 */
    ck_assert(store_run_get(s, 0, &run, &error));
    ck_assert_int_eq(run->id, r2);
    g_clear_pointer(&run, store_run_free);
    ck_assert(!store_run_get(s, 777, &run, &error));
    ck_assert(g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND));
}
END_TEST

/* ---- results ---- */

START_TEST(test_results_aggregation)
{
    g_autoptr(vexp_store) s = open_fixture(NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) rows = NULL;
    g_autoptr(store_run) run = NULL;
    gint64 r = add_run(s, "h"), cfg = add_config(s, "k1", "virtio");
    gint64 cell = add_cell(s, r, cfg, 0, "nic=virtio");
    const double five[] = {1, 2, NAN, 3, 4, 5};
    const double one[] = {42};
    const double none[] = {NAN, INFINITY};
    store_result_row *row;

    ck_assert(store_result_add(s, cell, "throughput", "in", 64, STORE_METRIC_THROUGHPUT_FPS,
                               "frames/s", five, G_N_ELEMENTS(five), &error));
    ck_assert(
        store_result_add(s, cell, "rtt", "in", 64, STORE_METRIC_RTT_P50_US, "us", one, 1, &error));
    ck_assert(!store_result_add(s, cell, "rtt", "in", 64, STORE_METRIC_RTT_P99_US, "us", none, 2,
                                &error));
    ck_assert(g_error_matches(error, STORE_ERROR, STORE_ERROR_INVALID));
    g_clear_error(&error);
    /* replace: same key again */
    ck_assert(
        store_result_add(s, cell, "rtt", "in", 64, STORE_METRIC_RTT_P50_US, "us", one, 1, &error));

    ck_assert(store_results_rows(s, 0, &run, &rows, &error));
    ck_assert_int_eq(run->id, r);
    ck_assert_str_eq(run->accel, "tcg");
    ck_assert_int_eq(rows->len, 2);
    row = rows->pdata[0];
    ck_assert_str_eq(row->label, "nic=virtio");
    ck_assert_str_eq(row->config_key, "k1");
    ck_assert_str_eq(row->metric, "throughput_fps");
    ck_assert_str_eq(row->accel, "tcg");
    ck_assert_int_eq(row->n, 5);
    ck_assert_close(row->mean, 3.0, 1e-15);
    ck_assert_close(row->stddev, sqrt(2.5), 1e-14);
    ck_assert_close(row->ci95_high - row->mean, 2.776445105197793 * sqrt(2.5) / sqrt(5.0), 1e-9);
    ck_assert_close(row->mean - row->ci95_low, 2.776445105197793 * sqrt(2.5) / sqrt(5.0), 1e-9);
    ck_assert_close(row->cov_pct, sqrt(2.5) / row->mean * 100, 1e-9);
    ck_assert(!row->bimodal);
    row = rows->pdata[1];
    ck_assert_int_eq(row->n, 1);
    ck_assert_close(row->mean, 42.0, 1e-15);
    ck_assert(isnan(row->stddev) && isnan(row->ci95_low) && isnan(row->ci95_high));
    ck_assert(isnan(row->cov_pct));
}
END_TEST

/* A resume at the figure level: measures written per unit, carried to the next attempt with
 * the attempt that measured them, the results derived from their samples; the trials of the
 * carried measures are the latest attempt's trials too. */
static void add_trial_rep(vexp_store *s, gint64 cell, guint fs, guint rep)
{
    g_autoptr(GError) error = NULL;
    store_trial t;

    store_trial_init(&t);
    t.test = "throughput";
    t.direction = "in";
    t.frame_size = fs;
    t.repetition = rep;
    t.offered_fps = 1000;
    ck_assert_msg(store_trial_add(s, cell, &t, &error), "%s", error ? error->message : "");
}

START_TEST(test_measures_resume)
{
    g_autoptr(vexp_store) s = open_fixture(NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) rows = NULL;
    g_autoptr(GPtrArray) res = NULL;
    g_autoptr(GPtrArray) trials = NULL;
    gint64 r = add_run(s, "h"), cfg = add_config(s, "k1", "virtio");
    gint64 a1 = add_cell(s, r, cfg, 0, "nic=virtio"), a2;
    const store_measure m64[] = {{"throughput", "in", 64, 1}, {"loss", "in", 64, 1}};
    const store_sample s64[] = {{0, "throughput_fps", "frames/s", 10},
                                {0, "throughput_ndr_fps", "frames/s", 9},
                                {1, "loss_pct_at_max", "%", 1.5}};
    const store_measure m64b[] = {{"throughput", "in", 64, 2}, {"loss", "in", 64, 2}};
    const store_sample s64b[] = {{0, "throughput_fps", "frames/s", 20},
                                 {1, "loss_pct_at_max", "%", 2.5}};
    const store_measure m128[] = {{"throughput", "in", 128, 1}};
    const store_sample s128[] = {{0, "throughput_fps", "frames/s", 5}};
    const store_sample bad[] = {{1, "throughput_fps", "frames/s", 5}};
    guint n = 99;

    /* attempt 1: a unit of two repetitions' worth, one trial each, then killed mid-unit */
    ck_assert(store_measures_add(s, a1, m64, 2, s64, 3, &error));
    add_trial_rep(s, a1, 64, 1);
    ck_assert(store_measures_add(s, a1, m64b, 2, s64b, 2, &error));
    add_trial_rep(s, a1, 64, 2);
    add_trial_rep(s, a1, 128, 1); /* the unit in progress: a trial, no measure */
    /* refused whole: a measure twice, a sample without its measure */
    ck_assert(!store_measures_add(s, a1, m64, 1, NULL, 0, &error));
    ck_assert(g_error_matches(error, STORE_ERROR, STORE_ERROR_INVALID));
    g_clear_error(&error);
    ck_assert(!store_measures_add(s, a1, m128, 1, bad, 1, &error));
    ck_assert(g_error_matches(error, STORE_ERROR, STORE_ERROR_INVALID));
    g_clear_error(&error);
    ck_assert(store_measures_rows(s, a1, &rows, &error));
    ck_assert_uint_eq(rows->len, 4);
    g_clear_pointer(&rows, g_ptr_array_unref);
    /* a first attempt carries nothing */
    ck_assert(store_measures_carry(s, a1, &n, &error));
    ck_assert_uint_eq(n, 0);

    /* attempt 2 (the resume): carries the four, measures the missing unit */
    a2 = add_cell(s, r, cfg, 0, "nic=virtio");
    ck_assert(store_measures_carry(s, a2, &n, &error));
    ck_assert_uint_eq(n, 4);
    ck_assert(store_measures_rows(s, a2, &rows, &error));
    ck_assert_uint_eq(rows->len, 4);
    for (guint i = 0; i < rows->len; i++)
        ck_assert_int_eq(((store_measure_row *)rows->pdata[i])->measured_by, a1);
    ck_assert_str_eq(((store_measure_row *)rows->pdata[1])->test, "loss");
    ck_assert_uint_eq(((store_measure_row *)rows->pdata[2])->repetition, 2);
    g_clear_pointer(&rows, g_ptr_array_unref);
    add_trial_rep(s, a2, 128, 1);
    ck_assert(store_measures_add(s, a2, m128, 1, s128, 1, &error));
    ck_assert(store_measures_rows(s, a2, &rows, &error));
    ck_assert_uint_eq(rows->len, 5);
    ck_assert_int_eq(((store_measure_row *)rows->pdata[4])->measured_by, a2);

    /* the summary from the stored samples, in the order they first came */
    ck_assert_msg(store_results_derive(s, a2, &error), "%s", error ? error->message : "");
    ck_assert(store_results_derive(s, a2, &error)); /* again: replaced, not doubled */
    ck_assert(store_results_rows(s, r, NULL, &res, &error));
    ck_assert_uint_eq(res->len, 4);
    const store_result_row *f = res->pdata[0];
    ck_assert_str_eq(f->metric, "throughput_fps");
    ck_assert_uint_eq(f->frame_size, 64);
    ck_assert_uint_eq(f->n, 2);
    ck_assert_close(f->mean, 15, 1e-12);
    ck_assert_str_eq(((store_result_row *)res->pdata[1])->metric, "throughput_ndr_fps");
    f = res->pdata[2];
    ck_assert_str_eq(f->metric, "loss_pct_at_max");
    ck_assert_str_eq(f->test, "loss");
    ck_assert_close(f->mean, 2, 1e-12);
    f = res->pdata[3];
    ck_assert_uint_eq(f->frame_size, 128);
    ck_assert_uint_eq(f->n, 1);

    /* the run's trials: the carried measures' from attempt 1, the rest from attempt 2; the
     * interrupted unit's trial of attempt 1 is not one of them */
    ck_assert(store_trials_rows(s, r, NULL, &trials, &error));
    ck_assert_uint_eq(trials->len, 3);
    ck_assert_uint_eq(((store_trial_row *)trials->pdata[0])->frame_size, 64);
    ck_assert_uint_eq(((store_trial_row *)trials->pdata[1])->repetition, 2);
    ck_assert_uint_eq(((store_trial_row *)trials->pdata[2])->frame_size, 128);
    g_clear_pointer(&trials, g_ptr_array_unref);
    ck_assert(store_trials_rows(s, r, "loss", &trials, &error));
    ck_assert_uint_eq(trials->len, 0);
}
END_TEST

/* ---- compare / regress ---- */

static void add_metric(vexp_store *s, gint64 cell, const char *metric, const double *x, guint n)
{
    g_autoptr(GError) error = NULL;

    ck_assert_msg(store_result_add(s, cell, "throughput", "in", 64, metric, "u", x, n, &error),
                  "%s", error ? error->message : "");
}

static const store_compare_row *find_row(GPtrArray *rows, const char *key, const char *metric)
{
    for (guint i = 0; i < rows->len; i++) {
        const store_compare_row *r = rows->pdata[i];
        if (!strcmp(r->config_key, key) && !strcmp(r->metric, metric))
            return r;
    }
    ck_abort_msg("no compare row for %s %s", key, metric);
    return NULL;
}

START_TEST(test_compare)
{
    g_autoptr(vexp_store) s = open_fixture(NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) rows = NULL;
    gint64 ra = add_run(s, "h"), rb = add_run(s, "h");
    gint64 kv = add_config(s, "kv", "virtio"), ke = add_config(s, "ke", "e1000");
    gint64 kr = add_config(s, "kr", "rtl8139"), kx = add_config(s, "kx", "vmxnet3");
    gint64 a0 = add_cell(s, ra, kv, 0, "nic=virtio"), b0 = add_cell(s, rb, kv, 0, "nic=virtio");
    gint64 a1 = add_cell(s, ra, ke, 1, "nic=e1000"), b1 = add_cell(s, rb, ke, 1, "nic=e1000");
    gint64 a2 = add_cell(s, ra, kr, 2, "nic=rtl8139");
    gint64 b3 = add_cell(s, rb, kx, 3, "nic=vmxnet3");
    /* a clear 10 % drop, n = 5, low variance */
    const double base[] = {100000, 100500, 99800, 100200, 99900};
    const double drop[] = {90000, 90400, 89700, 90300, 89800};
    /* noisy, means 4 % apart: beyond a 3 % threshold but not significant */
    const double noisy_a[] = {100, 140, 70, 120, 90}, noisy_b[] = {96, 135, 65, 118, 85};
    /* rtt up 20 %: worse for a lower-is-better metric */
    const double rtt_a[] = {60, 61, 59, 60, 60}, rtt_b[] = {72, 73, 71, 72, 72};
    /* n = 1 on one side: threshold alone */
    const double one_a[] = {1000}, one_b[] = {900, 905, 910};
    const double small_a[] = {1000}, small_b[] = {990};
    const store_compare_row *r;

    add_metric(s, a0, "throughput_fps", base, 5);
    add_metric(s, b0, "throughput_fps", drop, 5);
    add_metric(s, a0, "dut_cpu_pct", noisy_a, 5);
    add_metric(s, b0, "dut_cpu_pct", noisy_b, 5);
    add_metric(s, a0, "rtt_p50_us", rtt_a, 5);
    add_metric(s, b0, "rtt_p50_us", rtt_b, 5);
    add_metric(s, a1, "throughput_fps", one_a, 1);
    add_metric(s, b1, "throughput_fps", one_b, 3);
    add_metric(s, a1, "b2b_frames", small_a, 1);
    add_metric(s, b1, "b2b_frames", small_b, 1);
    add_metric(s, a0, "throughput_mbps_l2", drop, 5); /* improvement: B = base */
    add_metric(s, b0, "throughput_mbps_l2", base, 5);
    add_metric(s, a2, "throughput_fps", base, 5);
    add_metric(s, b3, "throughput_fps", base, 5);

    ck_assert(!store_compare(s, ra, rb, -1, 0.05, &rows, &error));
    ck_assert(g_error_matches(error, STORE_ERROR, STORE_ERROR_INVALID));
    g_clear_error(&error);
    ck_assert(!store_compare(s, ra, 99, 5, 0.05, &rows, &error));
    ck_assert(g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND));
    g_clear_error(&error);

    ck_assert_msg(store_compare(s, ra, 0, 3.0, 0.05, &rows, &error), "%s",
                  error ? error->message : "");
    ck_assert_int_eq(rows->len, 8);

    r = find_row(rows, "kv", "throughput_fps");
    ck_assert_int_eq(r->verdict, STORE_VERDICT_WORSE);
    ck_assert(r->higher_is_better && !r->threshold_only);
    ck_assert_close(r->delta_pct, (90040.0 - 100080.0) / 100080.0 * 100, 1e-12);
    ck_assert(r->p < 1e-6 && r->t < 0);

    r = find_row(rows, "kv", "dut_cpu_pct");
    ck_assert_msg(r->verdict == STORE_VERDICT_SAME, "noise: p = %g", r->p);
    ck_assert(fabs(r->delta_pct) > 3.0 && r->p > 0.05);

    r = find_row(rows, "kv", "rtt_p50_us");
    ck_assert(!r->higher_is_better);
    ck_assert_int_eq(r->verdict, STORE_VERDICT_WORSE);

    r = find_row(rows, "kv", "throughput_mbps_l2");
    ck_assert_int_eq(r->verdict, STORE_VERDICT_BETTER);

    r = find_row(rows, "ke", "throughput_fps");
    ck_assert(r->threshold_only && isnan(r->p));
    ck_assert_int_eq(r->n_a, 1);
    ck_assert_int_eq(r->n_b, 3);
    ck_assert_int_eq(r->verdict, STORE_VERDICT_WORSE);

    r = find_row(rows, "ke", "b2b_frames");
    ck_assert(r->threshold_only);
    ck_assert_int_eq(r->verdict, STORE_VERDICT_SAME); /* -1 % within 3 % */

    r = find_row(rows, "kr", "throughput_fps");
    ck_assert_int_eq(r->verdict, STORE_VERDICT_ONLY_A);
    ck_assert_int_eq(r->n_b, 0);
    r = find_row(rows, "kx", "throughput_fps");
    ck_assert_int_eq(r->verdict, STORE_VERDICT_ONLY_B);
    ck_assert_str_eq(r->label, "nic=vmxnet3");
    /* matched rows first, then only-a, then only-b */
    ck_assert_int_eq(((store_compare_row *)rows->pdata[6])->verdict, STORE_VERDICT_ONLY_A);
    ck_assert_int_eq(((store_compare_row *)rows->pdata[7])->verdict, STORE_VERDICT_ONLY_B);
    ck_assert_str_eq(store_verdict_name(STORE_VERDICT_WORSE), "worse");
    ck_assert(store_metric_higher_is_better("rx_fps"));
    ck_assert(store_metric_higher_is_better("throughput_mbps_wire"));
    ck_assert(!store_metric_higher_is_better("rtt_jitter_us"));
    ck_assert(!store_metric_higher_is_better("host_cpu_pct"));
    ck_assert(!store_metric_higher_is_better("loss_pct_at_max"));

    /* a run against itself: all same */
    g_clear_pointer(&rows, g_ptr_array_unref);
    ck_assert(store_compare(s, ra, ra, 5.0, 0.05, &rows, &error));
    for (guint i = 0; i < rows->len; i++)
        ck_assert_int_eq(((store_compare_row *)rows->pdata[i])->verdict, STORE_VERDICT_SAME);
}
END_TEST

START_TEST(test_compare_zero_baseline)
{
    g_autoptr(vexp_store) s = open_fixture(NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) rows = NULL;
    gint64 ra = add_run(s, "h"), rb = add_run(s, "h"), k = add_config(s, "k", "virtio");
    gint64 a = add_cell(s, ra, k, 0, "nic=virtio"), b = add_cell(s, rb, k, 0, "nic=virtio");
    const double zero[] = {0, 0, 0}, some[] = {1.0, 1.2, 0.9};
    const store_compare_row *r;

    add_metric(s, a, "loss_pct_at_max", zero, 3);
    add_metric(s, b, "loss_pct_at_max", some, 3);
    ck_assert(store_compare(s, ra, rb, 5, 0.05, &rows, &error));
    r = find_row(rows, "k", "loss_pct_at_max");
    ck_assert(isinf(r->delta_pct) && r->delta_pct > 0);
    ck_assert_int_eq(r->verdict, STORE_VERDICT_WORSE);
}
END_TEST

/* vhost/queues of a config, accel and hypervisor read back through every reader */
START_TEST(test_config_kvm_options)
{
    g_autofree char *path = NULL;
    g_autoptr(vexp_store) s = open_fixture(&path);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) rows = NULL;
    g_autoptr(GPtrArray) cells = NULL;
    gint64 run = add_run(s, "h"), kon = 0, koff = 0, kbad = 0, kh;
    store_config_info on = {.key = "k-vhost-on",
                            .nic = "virtio",
                            .vcpus = 2,
                            .accel = "kvm",
                            .vhost = "on",
                            .queues = 2};
    store_config_info off = {.key = "k-vhost-off", .nic = "virtio", .accel = "kvm", .vhost = "off"};
    store_config_info bad = {.key = "k-bad", .nic = "virtio", .vhost = "yes"};
    gint64 c0, c1, c2;
    const double x[] = {1, 2, 3};
    const store_result_row *row;
    const store_cell_row *c;

    ck_assert(store_config_upsert(s, &on, &kon, &error));
    ck_assert(store_config_upsert(s, &off, &koff, &error));
    ck_assert(!store_config_upsert(s, &bad, &kbad, &error));
    ck_assert(g_error_matches(error, STORE_ERROR, STORE_ERROR_INVALID));
    ck_assert_msg(strstr(error->message, "'yes'") && strstr(error->message, "k-bad"), "%s",
                  error->message);
    ck_assert_int_eq(kbad, 0);
    g_clear_error(&error);
    kh = add_config(s, "k-host", "host");

    c0 = add_cell(s, run, kon, 0, "nic=virtio vhost=on queues=2");
    c1 = add_cell(s, run, koff, 1, "nic=virtio vhost=off");
    c2 = add_cell(s, run, kh, 2, "nic=host");
    ck_assert(store_cell_set_hypervisor(s, c0, "qemu+ssh://hv1/system", "hv1", &error));
    ck_assert(store_cell_set_hypervisor(s, c1, "qemu+ssh://hv2/system", "hv2", &error));
    add_metric(s, c0, "throughput_fps", x, 3);
    add_metric(s, c1, "throughput_fps", x, 3);
    add_metric(s, c2, "throughput_fps", x, 3);

    ck_assert(store_results_rows(s, run, NULL, &rows, &error));
    ck_assert_int_eq(rows->len, 3);
    row = rows->pdata[0];
    ck_assert_str_eq(row->accel, "kvm");
    ck_assert_str_eq(row->vhost, "on");
    ck_assert_int_eq(row->queues, 2);
    ck_assert_str_eq(row->hypervisor, "qemu+ssh://hv1/system");
    ck_assert_str_eq(row->host, "hv1");
    row = rows->pdata[1];
    ck_assert_str_eq(row->vhost, "off");
    ck_assert_int_eq(row->queues, 0);
    ck_assert_str_eq(row->host, "hv2");
    row = rows->pdata[2];
    ck_assert_ptr_null(row->vhost);
    ck_assert_ptr_null(row->hypervisor);
    ck_assert_ptr_null(row->host);

    ck_assert(store_cells_rows(s, run, &cells, &error));
    ck_assert_int_eq(cells->len, 3);
    c = cells->pdata[0];
    ck_assert_str_eq(c->accel, "kvm");
    ck_assert_str_eq(c->vhost, "on");
    ck_assert_int_eq(c->queues, 2);
    ck_assert_str_eq(c->hypervisor, "qemu+ssh://hv1/system");
    c = cells->pdata[2];
    ck_assert_str_eq(c->accel, "tcg"); /* the host config has one here: add_config's */
    /* the cell without a hypervisor does not count as one */
    ck_assert_int_eq(store_cells_n_hypervisors(cells), 2);
    ck_assert(store_cell_set_hypervisor(s, c1, "qemu+ssh://hv1/system", "hv1", &error));
    g_clear_pointer(&cells, g_ptr_array_unref);
    ck_assert(store_cells_rows(s, run, &cells, &error));
    ck_assert_int_eq(store_cells_n_hypervisors(cells), 1);
    g_clear_pointer(&s, store_close);

    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM config WHERE key = 'k-vhost-on' AND "
                                   "vhost = 'on' AND queues = 2"),
                     1);
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM config WHERE key = 'k-vhost-off' AND "
                                   "vhost = 'off' AND queues IS NULL"),
                     1);
    ck_assert_int_eq(raw_int(path, "SELECT count(*) FROM config WHERE key = 'k-host' AND "
                                   "vhost IS NULL AND queues IS NULL"),
                     1);
}
END_TEST

static gint64 add_run_accel(vexp_store *s, const char *accel)
{
    g_autoptr(GError) error = NULL;
    store_run_info ri = {.name = "accel",
                         .matrix_text = "[matrix]\n",
                         .matrix_hash = "h",
                         .vexp_version = "0.1.0",
                         .accel = accel};
    gint64 id = 0;

    ck_assert_msg(store_run_begin(s, &ri, &id, &error), "%s", error ? error->message : "");
    return id;
}

/* Each side's accelerator: the config's, else the run's; none for nic = host. */
START_TEST(test_compare_mixed_accel)
{
    g_autoptr(vexp_store) s = open_fixture(NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) rows = NULL;
    gint64 rk = add_run_accel(s, "kvm"), rt = add_run_accel(s, "tcg"),
           rk2 = add_run_accel(s, "kvm");
    /* configs that do not record their accelerator (accel = NULL) */
    store_config_info vi = {.key = "k-noaccel", .nic = "virtio", .vhost = "on"};
    store_config_info ho = {.key = "k-host", .nic = "host"};
    store_config_info kv = {.key = "k-kvm", .nic = "e1000", .accel = "kvm"};
    gint64 kvi = 0, kho = 0, kkv = 0;
    const double x[] = {100, 101, 99};
    const store_compare_row *r;
    const gint64 runs[] = {rk, rt, rk2};

    ck_assert(store_config_upsert(s, &vi, &kvi, &error));
    ck_assert(store_config_upsert(s, &ho, &kho, &error));
    ck_assert(store_config_upsert(s, &kv, &kkv, &error));
    for (guint i = 0; i < G_N_ELEMENTS(runs); i++) {
        add_metric(s, add_cell(s, runs[i], kvi, 0, "nic=virtio"), "throughput_fps", x, 3);
        add_metric(s, add_cell(s, runs[i], kho, 1, "nic=host"), "throughput_fps", x, 3);
        add_metric(s, add_cell(s, runs[i], kkv, 2, "nic=e1000"), "throughput_fps", x, 3);
    }
    /* only in the kvm run */
    add_metric(s, add_cell(s, rk, kvi, 3, "nic=virtio again"), "rtt_p50_us", x, 3);

    ck_assert(store_compare(s, rk, rt, 5, 0.05, &rows, &error));
    ck_assert_int_eq(rows->len, 4);
    r = find_row(rows, "k-noaccel", "throughput_fps");
    ck_assert_str_eq(r->accel_a, "kvm");
    ck_assert_str_eq(r->accel_b, "tcg");
    ck_assert_str_eq(r->vhost, "on");
    ck_assert(store_compare_row_mixed_accel(r));
    r = find_row(rows, "k-host", "throughput_fps");
    ck_assert_ptr_null(r->accel_a);
    ck_assert_ptr_null(r->accel_b);
    ck_assert(!store_compare_row_mixed_accel(r));
    r = find_row(rows, "k-kvm", "throughput_fps");
    ck_assert_str_eq(r->accel_a, "kvm");
    ck_assert_str_eq(r->accel_b, "kvm"); /* the config's, not the tcg run's */
    ck_assert(!store_compare_row_mixed_accel(r));
    r = find_row(rows, "k-noaccel", "rtt_p50_us");
    ck_assert_int_eq(r->verdict, STORE_VERDICT_ONLY_A);
    ck_assert_str_eq(r->accel_a, "kvm");
    ck_assert_ptr_null(r->accel_b);
    ck_assert(!store_compare_row_mixed_accel(r));

    g_clear_pointer(&rows, g_ptr_array_unref);
    ck_assert(store_compare(s, rk, rk2, 5, 0.05, &rows, &error));
    for (guint i = 0; i < rows->len; i++)
        ck_assert(!store_compare_row_mixed_accel(rows->pdata[i]));
}
END_TEST

START_TEST(test_busy_second_writer)
{
    g_autofree char *path = NULL;
    g_autoptr(vexp_store) s1 = open_fixture(&path);
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_store) s2 = store_open(path, &error);
    g_autoptr(GPtrArray) runs = NULL;

    /* two handles (vexp run + vexp results): both see each other's rows */
    ck_assert_ptr_nonnull(s2);
    add_run(s1, "x");
    add_run(s2, "y");
    ck_assert(store_run_list(s1, &runs, &error));
    ck_assert_int_eq(runs->len, 2);
    ck_assert_str_eq(((store_run *)runs->pdata[0])->matrix_hash, "y");
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("stats");

    tcase_add_test(tc, test_stats_mean_stddev);
    tcase_add_test(tc, test_stats_t_quantile);
    tcase_add_test(tc, test_stats_t_cdf);
    tcase_add_test(tc, test_stats_welch);
    tcase_add_test(tc, test_stats_ci95);
    tcase_add_test(tc, test_stats_repeatability);
    suite_add_tcase(s, tc);

    tc = tcase_create("schema");
    tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
    tcase_add_test(tc, test_schema_new);
    tcase_add_test(tc, test_schema_v0_empty);
    tcase_add_test(tc, test_schema_migrate_v1);
    tcase_add_test(tc, test_schema_future);
    tcase_add_test(tc, test_schema_migrate_v2_traffic);
    tcase_add_test(tc, test_schema_migrate_v6_dataplane);
    tcase_add_test(tc, test_schema_foreign);
    tcase_add_test(tc, test_schema_migration_step);
    suite_add_tcase(s, tc);

    tc = tcase_create("data");
    tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
    tcase_add_test(tc, test_trial_roundtrip);
    tcase_add_test(tc, test_run_cell_lifecycle);
    tcase_add_test(tc, test_results_aggregation);
    tcase_add_test(tc, test_measures_resume);
    tcase_add_test(tc, test_compare);
    tcase_add_test(tc, test_compare_zero_baseline);
    tcase_add_test(tc, test_config_kvm_options);
    tcase_add_test(tc, test_compare_mixed_accel);
    tcase_add_test(tc, test_busy_second_writer);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(store_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
