/* SPDX-License-Identifier: MIT */
/* Unit tests of the report (report/): scales, chart data, findings, SVG and HTML. */
#include <check.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathObject, xmlXPathFreeObject)

#define ck_assert_close(a, b, rel)                                                                 \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        ck_assert_msg(fabs(a_ - b_) <= (rel)*fmax(fabs(b_), 1e-300), "%s = %.15g, expected %.15g", \
                      #a, a_, b_);                                                                 \
    } while (0)

static char *tmpdir;

static void rm_rf(const char *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
        const char *name;
        while (d && (name = g_dir_read_name(d))) {
            g_autofree char *p = g_build_filename(path, name, NULL);
            rm_rf(p);
        }
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

static void setup_tmp(void)
{
    tmpdir = g_dir_make_tmp("vexp-test-report-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
}

static void teardown_tmp(void)
{
    rm_rf(tmpdir);
    g_clear_pointer(&tmpdir, g_free);
}

/* ---- scales and ticks ---- */

static const struct {
    double lo, hi;
    guint max_ticks;
    gboolean zero;
    double min, max, step;
    guint n;
} scale_cases[] = {
    {0, 987, 6, TRUE, 0, 1000, 200, 6},
    {0, 1.488e6, 6, TRUE, 0, 1.5e6, 5e5, 4},
    {12, 18, 7, FALSE, 12, 18, 1, 7},
    {12, 18, 7, TRUE, 0, 20, 5, 5},
    {0, 0, 6, TRUE, 0, 1, 0.2, 6},
    {NAN, NAN, 5, TRUE, 0, 1, 0.5, 3},
    {5, 5, 7, TRUE, 0, 5, 1, 6},
    {5, 5, 7, FALSE, 2, 10, 2, 5},
    {0, 0.0123, 6, TRUE, 0, 0.015, 0.005, 4},
    {-3, 7, 6, FALSE, -5, 10, 5, 4},
    {0, 100, 11, TRUE, 0, 100, 10, 11},
};

START_TEST(test_scale_nice)
{
    for (guint i = 0; i < G_N_ELEMENTS(scale_cases); i++) {
        report_scale s = report_scale_nice(scale_cases[i].lo, scale_cases[i].hi,
                                           scale_cases[i].max_ticks, scale_cases[i].zero);
        ck_assert_msg(
            fabs(s.min - scale_cases[i].min) < 1e-9 && fabs(s.max - scale_cases[i].max) < 1e-9 &&
                fabs(s.step - scale_cases[i].step) < 1e-12 && s.n_ticks == scale_cases[i].n,
            "case %u: got [%g, %g] step %g n %u", i, s.min, s.max, s.step, s.n_ticks);
        ck_assert_uint_le(s.n_ticks, scale_cases[i].max_ticks);
    }
    ck_assert_close(report_nice_number(0.6, TRUE), 0.5, 1e-15);
    ck_assert_close(report_nice_number(0.73, FALSE), 1, 1e-15);
    ck_assert_close(report_nice_number(3.2e5, FALSE), 5e5, 1e-15);
    ck_assert_close(report_nice_number(1.6, TRUE), 2, 1e-15);
}
END_TEST

START_TEST(test_tick_label)
{
    static const struct {
        double v, step;
        const char *text;
    } cases[] = {
        {0, 200, "0"},           {1000, 200, "1000"}, {1.5e6, 5e5, "1.5M"}, {1e6, 5e5, "1.0M"},
        {20000, 5000, "20k"},    {5000, 5000, "5k"},  {0, 5000, "0"},       {0.25, 0.05, "0.25"},
        {0.004, 0.002, "0.004"}, {-4, 2, "-4"},       {1e-17, 0.1, "0"},    {2.5e6, 5e5, "2.5M"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *t = report_tick_label(cases[i].v, cases[i].step);
        ck_assert_msg(!strcmp(t, cases[i].text), "tick %g step %g: '%s', expected '%s'", cases[i].v,
                      cases[i].step, t, cases[i].text);
    }
}
END_TEST

START_TEST(test_line_rate)
{
    /* RFC 2544 appendix: 1 Gbit/s, 64 B -> 1,488,095 frames/s; 1518 B -> 81,274 */
    ck_assert_close(report_line_fps(1000, 64), 1e9 / (84 * 8), 1e-12);
    ck_assert_int_eq((int)report_line_fps(1000, 64), 1488095);
    ck_assert_int_eq((int)report_line_fps(1000, 1518), 81274);
    ck_assert_close(report_line_mbps_l2(1000, 64), 1000.0 * 64 / 84, 1e-12);
    ck_assert_close(report_line_mbps_l2(10000, 1518), 10000.0 * 1518 / 1538, 1e-12);
    ck_assert(isnan(report_line_fps(0, 64)));
    ck_assert(isnan(report_line_fps(1000, 0)));
    /* the line rate of older runs read from their matrix text: test-store.c */
}
END_TEST

/* ---- a synthetic store: host, virtio, e1000 x 7 frame sizes x in/out ---- */

static const guint frames[] = {64, 128, 256, 512, 1024, 1280, 1518};
static const char *const nics[] = {"host", "virtio", "e1000"};
#define LINE 1000.0

/* the throughput figure the synthetic run stores, frames/s */
static double synth_fps(const char *nic, const char *dir, guint f, double virtio_scale)
{
    double line = report_line_fps(LINE, f);
    if (!strcmp(nic, "host"))
        return line;
    if (!strcmp(nic, "virtio"))
        return line * (!strcmp(dir, "in") ? 0.95 : 0.93) * virtio_scale;
    /* e1000: far below virtio out; in close to virtio only for large frames */
    if (!strcmp(dir, "out"))
        return line * 0.30;
    return line * (f >= 1280 ? 0.92 : 0.50);
}

/* ck_assert outside a running test aborts: the --demo mode checks with g_error */
static gboolean demo_mode;
#define NEED(x)                                                                                    \
    do {                                                                                           \
        if (!demo_mode)                                                                            \
            ck_assert(x);                                                                          \
        else if (!(x))                                                                             \
            g_error("%s failed", #x);                                                              \
    } while (0)

static double synth_p50(const char *nic)
{
    return !strcmp(nic, "host") ? 50 : !strcmp(nic, "virtio") ? 60 : 100;
}

static void add3(vexp_store *s, gint64 cell, const char *test, const char *dir, guint f,
                 const char *metric, const char *unit, double v)
{
    const double x[] = {v * 0.99, v, v * 1.01};
    g_autoptr(GError) error = NULL;
    NEED(store_result_add(s, cell, test, dir, f, metric, unit, x, 3, &error));
}

/* One complete run; returns its id.  A 4th cell (rtl8139) fails. */
static gint64 build_run(vexp_store *s, const char *accel, double virtio_scale)
{
    g_autoptr(GError) error = NULL;
    const char *matrix = "[experiment]\nname = synth\n[matrix]\nnic = host, virtio, e1000, "
                         "rtl8139\n[traffic]\nline_rate_mbps = 1000\n";
    /* as `vexp run` records them: the matrix's [traffic] after its defaults */
    const store_run_traffic traffic = {1000, 60,  0.5,  3,   "mlrsearch", "ndr:0,pdr:0.5",
                                       50,   180, NULL, NULL};
    store_run_info info = {"synth",  matrix,  "hash", "0.1.0", "testhost",
                           "10.0.0", "8.2.0", accel,  &traffic, NULL};
    gint64 run = 0;

    NEED(store_run_begin(s, &info, &run, &error));
    for (guint n = 0; n < 4; n++) {
        const char *nic = n < 3 ? nics[n] : "rtl8139";
        g_autofree char *key = g_strdup_printf("%064u", n + 1);
        g_autofree char *label = g_strdup_printf("nic=%s", nic);
        store_config_info ci = {
            key, nic, strcmp(nic, "host") ? 1 : 0, "1", "0", 512, accel, NULL, NULL, NULL, 0};
        gint64 config = 0, cell = 0;
        NEED(store_config_upsert(s, &ci, &config, &error));
        NEED(store_cell_begin(s, run, config, n, label, &cell, &error));
        if (n == 3) {
            NEED(store_cell_finish(s, cell, "failed", "guest died: rtl8139 <timeout>", NULL, NULL,
                                   &error));
            continue;
        }
        for (guint d = 0; d < 2; d++) {
            const char *dir = d ? "out" : "in";
            for (guint i = 0; i < G_N_ELEMENTS(frames); i++) {
                guint f = frames[i];
                double fps = synth_fps(nic, dir, f, virtio_scale);
                add3(s, cell, "throughput", dir, f, "throughput_fps", "frames/s", fps);
                add3(s, cell, "throughput", dir, f, "throughput_mbps_l2", "Mbit/s",
                     fps * f * 8 / 1e6);
                if (strcmp(nic, "host")) {
                    add3(s, cell, "throughput", dir, f, "dut_cpu_pct", "%",
                         !strcmp(nic, "e1000") && d ? 95 : 40);
                    add3(s, cell, "throughput", dir, f, "host_cpu_pct", "%", 120);
                }
                add3(s, cell, "latency", dir, f, "rtt_p50_us", "us", synth_p50(nic));
                add3(s, cell, "latency", dir, f, "rtt_p99_us", "us", 2 * synth_p50(nic));
                add3(s, cell, "loss", dir, f, "loss_pct_at_max", "%", 5);
                add3(s, cell, "b2b", dir, f, "b2b_frames", "frames", 1000);
                add3(s, cell, "b2b", dir, f, "b2b_corrected_buffer_s", "s", 0.002);
                if (d == 0)
                    add3(s, cell, "rtt", "in", f, "rtt_p50_us", "us", synth_p50(nic) / 2);
            }
            /* loss curve at 64 B: two repetitions, 100 % .. 70 % */
            for (guint rep = 1; rep <= 2; rep++) {
                const double loss[] = {rep == 1 ? 10 : 12, 5, 0, 0};
                for (guint k = 0; k < 4; k++) {
                    store_trial t;
                    store_trial_init(&t);
                    t.test = "loss";
                    t.direction = dir;
                    t.frame_size = 64;
                    t.repetition = rep;
                    t.step = k;
                    t.offered_fps = 100000 * (1 - 0.1 * k);
                    t.duration_s = 1;
                    t.tx = (guint64)t.offered_fps;
                    t.lost = (guint64)(t.tx * loss[k] / 100);
                    t.rx = t.tx - t.lost;
                    t.loss_pct = loss[k];
                    NEED(store_trial_add(s, cell, &t, &error));
                }
            }
        }
        NEED(store_cell_finish(s, cell, "complete", NULL, "virtio_net", "6.1.0", &error));
    }
    NEED(store_run_finish(s, run, "complete", &error));
    return run;
}

/* ---- an 8-cell run with NDR and PDR, as examples/kvm.conf-like matrices give ---- */

static const struct {
    const char *nic, *label, *vhost;
    guint queues;
    double scale; /* of the line rate */
} wide_cells[] = {
    {"host", "nic=host", NULL, 0, 1.0},
    {"virtio", "nic=virtio vhost=on queues=1", "on", 1, 0.60},
    {"virtio", "nic=virtio vhost=on queues=2", "on", 2, 0.75},
    {"virtio", "nic=virtio vhost=off queues=1", "off", 1, 0.30},
    {"virtio", "nic=virtio vhost=off queues=2", "off", 2, 0.35},
    {"e1000", "nic=e1000", NULL, 0, 0.12},
    {"e1000e", "nic=e1000e", NULL, 0, 0.15},
    {"vmxnet3", "nic=vmxnet3", NULL, 0, 0.20},
};

static void add_n(vexp_store *s, gint64 cell, const char *test, const char *dir, guint f,
                  const char *metric, const char *unit, const double *x, guint n)
{
    g_autoptr(GError) error = NULL;
    NEED(store_result_add(s, cell, test, dir, f, metric, unit, x, n, &error));
}

static gint64 build_wide_run(vexp_store *s, const char *accel, double virtio_scale)
{
    g_autoptr(GError) error = NULL;
    const char *matrix = "[experiment]\nname = kvm-wide\n[matrix]\nnic = host, virtio, e1000, "
                         "e1000e, vmxnet3\nvhost = on, off\nqueues = 1, 2\n[traffic]\n"
                         "line_rate_mbps = 1000\ntrial_s = 1\nresolution_pct = 10\n"
                         "repetitions = 2\ngoals = ndr, pdr\n";
    const store_run_traffic traffic = {1000, 1, 10,   2,   "mlrsearch", "ndr:0,pdr:0.5",
                                       50,   3, NULL, NULL};
    store_run_info info = {"kvm-wide", matrix,  "hash-wide", "0.1.0", "testhost",
                           "9.0.0",    "7.2.0", accel,       &traffic,  NULL};
    gint64 run = 0;

    NEED(store_run_begin(s, &info, &run, &error));
    for (guint n = 0; n < G_N_ELEMENTS(wide_cells); n++) {
        const char *nic = wide_cells[n].nic;
        gboolean host = !strcmp(nic, "host");
        double scale = wide_cells[n].scale * (!strcmp(nic, "virtio") ? virtio_scale : 1);
        g_autofree char *key = g_strdup_printf("%064u", 100 + n);
        store_config_info ci = {key,
                                nic,
                                host ? 0 : 1,
                                "1",
                                "0",
                                512,
                                accel,
                                NULL,
                                NULL,
                                wide_cells[n].vhost,
                                wide_cells[n].queues};
        gint64 config = 0, cell = 0;
        NEED(store_config_upsert(s, &ci, &config, &error));
        NEED(store_cell_begin(s, run, config, n, wide_cells[n].label, &cell, &error));
        for (guint d = 0; d < 2; d++) {
            const char *dir = d ? "out" : "in";
            for (guint i = 0; i < G_N_ELEMENTS(frames); i++) {
                guint f = frames[i];
                double fps = report_line_fps(LINE, f) * scale * (d ? 0.9 : 1);
                /* two repetitions: the 95 % CI is t(0.975, 1) = 12.7 standard errors wide,
                 * far beyond 0 and the line rate: the whiskers must be cut */
                const double ndr[] = {fps * 0.80, fps * 0.95};
                const double pdr[] = {fps * 0.97, fps * (n == 3 && f == 512 ? 0.55 : 1.0)};
                const double mb_ndr[] = {ndr[0] * f * 8 / 1e6, ndr[1] * f * 8 / 1e6};
                const double mb_pdr[] = {pdr[0] * f * 8 / 1e6, pdr[1] * f * 8 / 1e6};
                add_n(s, cell, "throughput", dir, f, "throughput_ndr_fps", "frames/s", ndr, 2);
                add_n(s, cell, "throughput", dir, f, "throughput_pdr_fps", "frames/s", pdr, 2);
                add_n(s, cell, "throughput", dir, f, "throughput_fps", "frames/s", ndr, 2);
                add_n(s, cell, "throughput", dir, f, "throughput_ndr_mbps_l2", "Mbit/s", mb_ndr, 2);
                add_n(s, cell, "throughput", dir, f, "throughput_pdr_mbps_l2", "Mbit/s", mb_pdr, 2);
                if (!host) {
                    const double cpu[] = {70, 99};
                    const double qemu[] = {90, 180};
                    add_n(s, cell, "throughput", dir, f, "dut_cpu_pct", "%", cpu, 2);
                    add_n(s, cell, "throughput", dir, f, "host_cpu_pct", "%", qemu, 2);
                }
                /* the host's 38 us under the VMs' 5-8 ms: a log axis */
                double p50 = host ? 38 : 5000 + 400 * n;
                const double lat50[] = {p50 * 0.9, p50 * 1.1}, lat99[] = {p50 * 2, p50 * 2.4};
                add_n(s, cell, "latency", dir, f, "rtt_p50_us", "us", lat50, 2);
                add_n(s, cell, "latency", dir, f, "rtt_p99_us", "us", lat99, 2);
                const double loss[] = {host ? 0.5 : 20 + n, host ? 2 : 60 + n};
                add_n(s, cell, "loss", dir, f, "loss_pct_at_max", "%", loss, 2);
                if (d == 0) {
                    const double idle[] = {p50 / 4, p50 / 3.5};
                    add_n(s, cell, "rtt", "in", f, "rtt_p50_us", "us", idle, 2);
                }
                /* the search trace at 64 B: a few steps per repetition */
                for (guint rep = 1; f == 64 && rep <= 2; rep++)
                    for (guint k = 0; k < 3; k++) {
                        store_trial t;
                        store_trial_init(&t);
                        t.test = "throughput";
                        t.direction = dir;
                        t.frame_size = f;
                        t.repetition = rep;
                        t.step = k;
                        t.offered_fps = report_line_fps(LINE, f) * (1 - 0.2 * k);
                        t.duration_s = k == 2 ? 1 : 0.5;
                        t.tx = (guint64)(t.offered_fps * t.duration_s);
                        t.rx = (guint64)MIN((double)t.tx, fps * t.duration_s);
                        t.lost = t.tx - t.rx;
                        t.loss_pct = 100.0 * t.lost / t.tx;
                        t.passed = t.lost == 0;
                        NEED(store_trial_add(s, cell, &t, &error));
                    }
            }
        }
        NEED(store_cell_finish(s, cell, "complete", NULL, host ? NULL : nic, "6.1.0", &error));
    }
    NEED(store_run_finish(s, run, "complete", &error));
    return run;
}

static vexp_store *synth_store(const char *name, const char *accel, gint64 *ret_run)
{
    g_autofree char *path = g_build_filename(tmpdir, name, NULL);
    g_autoptr(GError) error = NULL;
    vexp_store *s = store_open(path, &error);
    ck_assert_msg(s != NULL, "%s", error ? error->message : "");
    *ret_run = build_run(s, accel, 1.0);
    return s;
}

static report_run *load(vexp_store *s, gint64 id)
{
    g_autoptr(GError) error = NULL;
    report_run *r = NULL;
    ck_assert_msg(report_run_load(s, id, &r, &error), "%s", error ? error->message : "");
    return r;
}

static const report_point *point(const report_series *s, guint i)
{
    return &g_array_index(s->points, report_point, i);
}

START_TEST(test_chart_data)
{
    gint64 id;
    g_autoptr(vexp_store) s = synth_store("r.db", "kvm", &id);
    g_autoptr(report_run) r = load(s, id);
    report_run *runs[] = {r};

    ck_assert_uint_eq(r->cells->len, 4);
    ck_assert_close(r->line_rate_mbps, 1000, 0);
    ck_assert_uint_eq(r->loss_trials->len, 3 * 2 * 2 * 4);
    ck_assert_uint_eq(GPOINTER_TO_UINT(g_hash_table_lookup(r->vcpus, GUINT_TO_POINTER(1))), 1);

    report_chart_spec spec = {
        "t",      "T", "throughput",          "throughput_mbps_l2", NULL,
        "Mbit/s", 0,   REPORT_THEORY_MBPS_L2, REPORT_CLAMP_THEORY,  REPORT_Y_LINEAR,
        FALSE};
    g_autoptr(report_chart) c = report_chart_metric(runs, 1, &spec);
    ck_assert_ptr_nonnull(c);
    ck_assert(c->x_categories);
    ck_assert_uint_eq(c->categories->len, 7);
    ck_assert_str_eq(g_ptr_array_index(c->categories, 0), "64");
    ck_assert_str_eq(g_ptr_array_index(c->categories, 6), "1518");
    ck_assert_uint_eq(c->panels->len, 2);
    ck_assert_uint_eq(report_chart_n_series(c), 6); /* the failed cell has no series */
    ck_assert_ptr_null(c->subtitle);
    for (guint p = 0; p < 2; p++) {
        const report_panel *panel = g_ptr_array_index(c->panels, p);
        const char *dir = p ? "out" : "in";
        ck_assert_str_eq(panel->direction, dir);
        ck_assert_uint_eq(panel->series->len, 4);
        for (guint n = 0; n < 3; n++) {
            const report_series *se = g_ptr_array_index(panel->series, n);
            g_autofree char *label = g_strdup_printf("nic=%s", nics[n]);
            ck_assert_str_eq(se->name, label);
            ck_assert_int_eq(se->style, REPORT_STYLE_SOLID);
            ck_assert_uint_eq(se->points->len, 7);
            for (guint i = 0; i < 7; i++) {
                double v = synth_fps(nics[n], dir, frames[i], 1) * frames[i] * 8 / 1e6;
                /* samples v * (0.99, 1, 1.01): sd = 0.01 v, CI half = t(0.975, 2) sd / sqrt 3 */
                double half = 4.302652729749464 * 0.01 * v / sqrt(3);
                ck_assert_close(point(se, i)->x, i, 0);
                ck_assert_close(point(se, i)->y, v, 1e-9);
                /* the whisker is cut at the line's maximum (the host sits on it) */
                double limit = report_line_mbps_l2(LINE, frames[i]);
                ck_assert_close(point(se, i)->hi, MIN(v + half, limit), 1e-6);
                ck_assert(point(se, i)->hi_clamped == (v + half > limit));
                ck_assert_close(point(se, i)->y - point(se, i)->lo, half, 1e-6);
                ck_assert_uint_eq(point(se, i)->n, 3);
            }
        }
        const report_series *th = g_ptr_array_index(panel->series, 3);
        ck_assert_int_eq(th->style, REPORT_STYLE_DASHED);
        ck_assert_close(point(th, 0)->y, 1000.0 * 64 / 84, 1e-12);
        ck_assert_close(point(th, 6)->y, 1000.0 * 1518 / 1538, 1e-12);
    }
    /* the y axis covers the theoretical line and the error bars */
    report_scale ys = report_chart_y_scale(c);
    ck_assert_close(ys.min, 0, 0);
    ck_assert(ys.max >= 1000.0 * 1518 / 1538);

    /* latency: whisker from p50 up to p99 */
    report_chart_spec lat = {"l",  "L", "latency",          "rtt_p50_us",      "rtt_p99_us",
                             "us", 0,   REPORT_THEORY_NONE, REPORT_CLAMP_NONE, REPORT_Y_LINEAR,
                             FALSE};
    g_autoptr(report_chart) lc = report_chart_metric(runs, 1, &lat);
    const report_series *e1000 =
        g_ptr_array_index(((report_panel *)g_ptr_array_index(lc->panels, 1))->series, 2);
    ck_assert_str_eq(e1000->name, "nic=e1000");
    ck_assert_close(point(e1000, 3)->y, 100, 1e-12);
    ck_assert_close(point(e1000, 3)->lo, 100, 1e-12);
    ck_assert_close(point(e1000, 3)->hi, 200, 1e-12);

    /* a metric nobody stored: no chart */
    report_chart_spec none = {"n",  "N", "throughput",       "nothing",         NULL,
                              "x",  0,   REPORT_THEORY_NONE, REPORT_CLAMP_NONE, REPORT_Y_LINEAR,
                              FALSE};
    ck_assert_ptr_null(report_chart_metric(runs, 1, &none));

    /* the loss curve at 64 B: x ascending 70..100 %, mean over the 2 repetitions */
    g_autoptr(report_chart) loss = report_chart_loss_curve(runs, 1, 64);
    ck_assert_ptr_nonnull(loss);
    ck_assert(!loss->x_categories);
    ck_assert_uint_eq(loss->panels->len, 2);
    ck_assert_uint_eq(report_chart_n_series(loss), 6);
    const report_series *ls =
        g_ptr_array_index(((report_panel *)g_ptr_array_index(loss->panels, 0))->series, 1);
    ck_assert_str_eq(ls->name, "nic=virtio");
    ck_assert_uint_eq(ls->points->len, 4);
    ck_assert_close(point(ls, 0)->x, 70, 1e-9);
    ck_assert_close(point(ls, 3)->x, 100, 1e-9);
    ck_assert_close(point(ls, 3)->y, 11, 1e-12);
    ck_assert_close(point(ls, 3)->hi - 11, 12.706204736174698 * sqrt(2) / sqrt(2), 1e-9);
    ck_assert_close(point(ls, 2)->y, 5, 1e-12);
    ck_assert_close(point(ls, 2)->lo, 5, 1e-12); /* no spread: a zero-width interval */
    ck_assert_ptr_null(report_chart_loss_curve(runs, 1, 1518));

    g_autoptr(GPtrArray) all = report_charts(runs, 1);
    /* 9 metric charts + 1 loss curve */
    ck_assert_uint_eq(all->len, 10);
    ck_assert_str_eq(((report_chart *)g_ptr_array_index(all, 0))->id, "throughput-mbps");
    ck_assert_str_eq(((report_chart *)g_ptr_array_index(all, 5))->id, "loss-curve-64");
    const report_chart *rtt = g_ptr_array_index(all, 7);
    ck_assert_str_eq(rtt->id, "rtt-idle");
    ck_assert_uint_eq(rtt->panels->len, 1);
    const report_chart *buf = g_ptr_array_index(all, 9);
    ck_assert_str_eq(buf->id, "b2b-buffer");
    const report_series *bs =
        g_ptr_array_index(((report_panel *)g_ptr_array_index(buf->panels, 0))->series, 0);
    ck_assert_close(point(bs, 0)->y, 2, 1e-9); /* seconds shown as ms */
}
END_TEST

/* ---- findings on constructed data ---- */

static void row(report_run *r, guint cell, const char *nic, const char *test, const char *dir,
                guint f, const char *metric, double mean)
{
    store_result_row *x = g_new0(store_result_row, 1);
    x->cell_index = cell;
    x->label = g_strdup_printf("nic=%s", nic);
    x->cell_status = g_strdup("complete");
    x->config_key = g_strdup_printf("key%u", cell);
    x->nic = g_strdup(nic);
    x->test = g_strdup(test);
    x->direction = g_strdup(dir);
    x->frame_size = f;
    x->metric = g_strdup(metric);
    x->unit = g_strdup("");
    x->n = 1;
    x->mean = mean;
    x->stddev = x->ci95_low = x->ci95_high = NAN;
    g_ptr_array_add(r->results, x);
}

typedef struct study_values {
    double virtio_in, virtio_out, host; /* fps, every frame size */
    double e1000_out, e1000_in_small, e1000_in_large;
    double p50_host, p50_e1000;
    double cpu_e1000_out;
    guint vcpus;
    gboolean no_out, no_1518, no_e1000;
} study_values;

static report_run *study_run(const study_values *v)
{
    report_run *r = report_run_new();
    r->run = g_new0(store_run, 1);
    r->run->id = 7;
    r->run->name = g_strdup("study");
    r->run->status = g_strdup("complete");
    r->run->started_at = g_strdup("2025-01-31T12:00:00.000Z");
    r->run->accel = g_strdup("kvm");
    for (guint i = 0; i < G_N_ELEMENTS(frames); i++) {
        guint f = frames[i];
        if (v->no_1518 && f == 1518)
            continue;
        for (guint d = 0; d < 2; d++) {
            const char *dir = d ? "out" : "in";
            if (d && v->no_out)
                continue;
            row(r, 0, "host", "throughput", dir, f, "throughput_fps", v->host);
            row(r, 1, "virtio", "throughput", dir, f, "throughput_fps",
                d ? v->virtio_out : v->virtio_in);
            row(r, 0, "host", "latency", dir, f, "rtt_p50_us", v->p50_host);
            if (v->no_e1000)
                continue;
            row(r, 2, "e1000", "throughput", dir, f, "throughput_fps",
                d           ? v->e1000_out
                : f >= 1280 ? v->e1000_in_large
                            : v->e1000_in_small);
            row(r, 2, "e1000", "latency", dir, f, "rtt_p50_us",
                f == 64 ? v->p50_e1000 : v->p50_host * 1.2);
            if (d)
                row(r, 2, "e1000", "throughput", dir, f, "dut_cpu_pct", v->cpu_e1000_out);
        }
    }
    if (v->vcpus)
        g_hash_table_insert(r->vcpus, GUINT_TO_POINTER(2), GUINT_TO_POINTER(v->vcpus));
    return r;
}

static void expect(GPtrArray *f, const report_verdict want[5])
{
    ck_assert_uint_eq(f->len, 5);
    for (guint i = 0; i < 5; i++) {
        const report_finding *x = g_ptr_array_index(f, i);
        ck_assert_uint_eq(x->number, i + 1);
        ck_assert_ptr_nonnull(x->evidence);
        ck_assert_msg(x->verdict == want[i], "finding %u: %s (%s), expected %s", i + 1,
                      report_verdict_name(x->verdict), x->evidence, report_verdict_name(want[i]));
    }
}

START_TEST(test_findings)
{
    const study_values study = {.virtio_in = 950,
                                .virtio_out = 920,
                                .host = 1000,
                                .e1000_out = 300,
                                .e1000_in_small = 500,
                                .e1000_in_large = 900,
                                .p50_host = 50,
                                .p50_e1000 = 100,
                                .cpu_e1000_out = 97};
    {
        g_autoptr(report_run) r = study_run(&study);
        g_autoptr(GPtrArray) f = report_findings(r);
        const report_verdict want[] = {REPORT_HOLDS, REPORT_HOLDS, REPORT_HOLDS, REPORT_HOLDS,
                                       REPORT_HOLDS};
        expect(f, want);
        const report_finding *f1 = g_ptr_array_index(f, 0);
        ck_assert_msg(strstr(f1->evidence, "in: 64 B 95 %") && strstr(f1->evidence, "lowest 92 %"),
                      "%s", f1->evidence);
        const report_finding *f4 = g_ptr_array_index(f, 3);
        ck_assert_msg(strstr(f4->evidence, "2.00"), "%s", f4->evidence);
    }
    {
        /* every conclusion contradicted, each just across its line */
        study_values v = study;
        v.virtio_out = 890;     /* 89 % of the host */
        v.e1000_out = 460;      /* 50 % of virtio out */
        v.e1000_in_large = 850; /* 89 % of virtio in */
        v.p50_e1000 = 130;      /* 2.6x */
        v.cpu_e1000_out = 89;
        g_autoptr(report_run) r = study_run(&v);
        g_autoptr(GPtrArray) f = report_findings(r);
        const report_verdict want[] = {REPORT_DOES_NOT_HOLD, REPORT_DOES_NOT_HOLD,
                                       REPORT_DOES_NOT_HOLD, REPORT_DOES_NOT_HOLD,
                                       REPORT_DOES_NOT_HOLD};
        expect(f, want);
    }
    {
        /* latency barely worse than the host is not "about twice" either */
        study_values v = study;
        v.p50_e1000 = 70;
        g_autoptr(report_run) r = study_run(&v);
        g_autoptr(GPtrArray) f = report_findings(r);
        ck_assert_int_eq(((report_finding *)g_ptr_array_index(f, 3))->verdict,
                         REPORT_DOES_NOT_HOLD);
    }
    {
        /* two vCPUs: 48 % of all vCPUs is 96 % of one */
        study_values v = study;
        v.cpu_e1000_out = 48;
        v.vcpus = 2;
        g_autoptr(report_run) r = study_run(&v);
        g_autoptr(GPtrArray) f = report_findings(r);
        ck_assert_int_eq(((report_finding *)g_ptr_array_index(f, 4))->verdict, REPORT_HOLDS);
    }
    {
        study_values v = study;
        v.no_e1000 = TRUE;
        g_autoptr(report_run) r = study_run(&v);
        g_autoptr(GPtrArray) f = report_findings(r);
        const report_verdict want[] = {REPORT_HOLDS, REPORT_NOT_MEASURED, REPORT_NOT_MEASURED,
                                       REPORT_NOT_MEASURED, REPORT_NOT_MEASURED};
        expect(f, want);
        ck_assert_str_eq(((report_finding *)g_ptr_array_index(f, 1))->evidence,
                         "no e1000 cell in this run");
    }
    {
        /* only 'in', and no 1518-byte frames */
        study_values v = study;
        v.no_out = TRUE;
        v.no_1518 = TRUE;
        g_autoptr(report_run) r = study_run(&v);
        g_autoptr(GPtrArray) f = report_findings(r);
        const report_verdict want[] = {REPORT_NOT_MEASURED, REPORT_NOT_MEASURED,
                                       REPORT_NOT_MEASURED, REPORT_HOLDS, REPORT_NOT_MEASURED};
        expect(f, want);
    }
    {
        g_autoptr(report_run) r = report_run_new();
        g_autoptr(GPtrArray) f = report_findings(r);
        const report_verdict want[] = {REPORT_NOT_MEASURED, REPORT_NOT_MEASURED,
                                       REPORT_NOT_MEASURED, REPORT_NOT_MEASURED,
                                       REPORT_NOT_MEASURED};
        expect(f, want);
    }
    ck_assert_str_eq(report_verdict_name(REPORT_DOES_NOT_HOLD), "does not hold");
}
END_TEST

START_TEST(test_findings_synthetic_store)
{
    gint64 id;
    g_autoptr(vexp_store) s = synth_store("f.db", "kvm", &id);
    g_autoptr(report_run) r = load(s, id);
    g_autoptr(GPtrArray) f = report_findings(r);
    const report_verdict want[] = {REPORT_HOLDS, REPORT_HOLDS, REPORT_HOLDS, REPORT_HOLDS,
                                   REPORT_HOLDS};
    expect(f, want);
}
END_TEST

/* ---- SVG and HTML parsed back ---- */

static long xpath_count(xmlDoc *doc, const char *expr)
{
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    xmlXPathRegisterNs(ctx, BAD_CAST "s", BAD_CAST "http://www.w3.org/2000/svg");
    g_autoptr(xmlXPathObject) o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    ck_assert_ptr_nonnull(o);
    return o->nodesetval ? o->nodesetval->nodeNr : 0;
}

static void check_svg(const report_chart *c, const char *text, gsize len)
{
    g_autoptr(xmlDoc) doc =
        xmlReadMemory(text, (int)len, "chart.svg", NULL,
                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    ck_assert_msg(doc != NULL, "chart %s is not well-formed XML", c->id);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    ck_assert_str_eq((const char *)root->name, "svg");
    ck_assert_str_eq((const char *)root->ns->href, "http://www.w3.org/2000/svg");
    ck_assert_int_eq(xpath_count(doc, "//s:g[@class='series']"), report_chart_n_series(c));
    ck_assert_int_eq(xpath_count(doc, "//s:g[@class='panel']"), c->panels->len);
    ck_assert_int_ge(xpath_count(doc, "//s:g[@class='legend']/s:text"), 1);
    /* axis labels with units are there */
    g_autofree char *yq = g_strdup_printf("//s:text[.='%s']", c->y_label);
    ck_assert_int_eq(xpath_count(doc, yq), 1);
}

/* libxml2's HTML parser knows HTML 4: details and summary (HTML 5) are the
 * only tags it may call invalid; anything else is an error in the page */
static void html_error(void *data, xmlErrorPtr e)
{
    guint *bad = data;
    if (e->message &&
        (strstr(e->message, "Tag details invalid") || strstr(e->message, "Tag summary invalid")))
        return;
    fprintf(stderr, "index.html:%d: %s", e->line, e->message ? e->message : "?\n");
    (*bad)++;
}

static xmlDoc *parse_html(const char *html)
{
    guint bad = 0;
    htmlParserCtxtPtr ctx = htmlNewParserCtxt();
    xmlSetStructuredErrorFunc(&bad, html_error);
    xmlDoc *doc =
        htmlCtxtReadMemory(ctx, html, (int)strlen(html), "index.html", "UTF-8", HTML_PARSE_NONET);
    xmlSetStructuredErrorFunc(NULL, NULL);
    htmlFreeParserCtxt(ctx);
    ck_assert_ptr_nonnull(doc);
    ck_assert_msg(bad == 0, "index.html has %u HTML parse errors", bad);
    return doc;
}

START_TEST(test_svg_and_html)
{
    gint64 id;
    g_autoptr(vexp_store) s = synth_store("h.db", "tcg", &id);
    g_autoptr(report_run) r = load(s, id);
    report_run *runs[] = {r};
    g_autoptr(GPtrArray) charts = report_charts(runs, 1);

    for (guint i = 0; i < charts->len; i++) {
        const report_chart *c = g_ptr_array_index(charts, i);
        gsize len = 0;
        g_autofree char *svg = report_chart_svg(c, &len);
        ck_assert_uint_eq(strlen(svg), len);
        check_svg(c, svg, len);
        ck_assert_ptr_nonnull(c->subtitle); /* TCG labelled in every chart */
        ck_assert_ptr_nonnull(strstr(svg, "emulation"));
        if (!strcmp(c->id, "throughput-fps"))
            ck_assert_ptr_nonnull(strstr(svg, "stroke-dasharray=\"7,5\""));
    }

    g_autofree char *html = report_html(runs, 1, charts, NULL, 5, 0.05);
    g_autoptr(xmlDoc) doc = parse_html(html);
    ck_assert_int_eq(xpath_count(doc, "//div[@class='figure']/img"), charts->len);
    ck_assert_int_eq(xpath_count(doc, "//img[@src='throughput-mbps.svg']"), 1);
    ck_assert_int_eq(xpath_count(doc, "//script"), 0);
    ck_assert_int_eq(xpath_count(doc, "//*[@class='tcg']"), 2); /* the page and the findings */
    ck_assert_int_eq(xpath_count(doc, "//tr[@class='holds']"), 5);
    ck_assert_int_eq(
        xpath_count(doc, "//tr[@class='failed']/td[.='guest died: rtl8139 <timeout>']"), 1);
    ck_assert_int_eq(xpath_count(doc, "//td[.='0000000000000000000000000000000000000000000000000"
                                      "000000000000002']"),
                     1); /* the full config key */
    ck_assert_int_eq(xpath_count(doc, "//td[.='8.2.0']"), 1);
    ck_assert_int_eq(xpath_count(doc, "//td[.='10.0.0']"), 1);
    ck_assert_int_eq(xpath_count(doc, "//td[.='testhost']"), 1);
    ck_assert_int_eq(xpath_count(doc, "//a[@href='results.csv']"), 1);
}
END_TEST

START_TEST(test_write_and_compare)
{
    gint64 a;
    g_autoptr(vexp_store) s = synth_store("c.db", "kvm", &a);
    gint64 b = build_run(s, "kvm", 0.8); /* virtio 20 % slower */
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) files = NULL;
    g_autofree char *out = g_build_filename(tmpdir, "out", "nested", NULL);
    const gint64 ids[] = {a, b};

    ck_assert_msg(report_write(s, ids, 2, out, 5, 0.05, &files, &error), "%s",
                  error ? error->message : "");
    ck_assert_uint_eq(files->len, 10 + 3);
    g_autofree char *last = g_path_get_basename(g_ptr_array_index(files, files->len - 1));
    ck_assert_str_eq(last, "index.html");
    for (guint i = 0; i < files->len; i++)
        ck_assert(g_file_test(g_ptr_array_index(files, i), G_FILE_TEST_IS_REGULAR));

    /* both runs in the charts: twice the series, run B dotted */
    g_autofree char *svg_path = g_build_filename(out, "throughput-mbps.svg", NULL);
    g_autoptr(xmlDoc) svg = xmlReadFile(svg_path, NULL, XML_PARSE_NONET);
    ck_assert_ptr_nonnull(svg);
    ck_assert_int_eq(xpath_count(svg, "//s:g[@class='series']"), 2 * 2 * 3);
    ck_assert_int_eq(xpath_count(svg, "//s:g[@data-name='nic=virtio, run 2']"), 2);

    g_autofree char *html_path = g_build_filename(out, "index.html", NULL);
    g_autoptr(xmlDoc) doc = htmlReadFile(
        html_path, "UTF-8", HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
    ck_assert_ptr_nonnull(doc);
    /* virtio's throughput (fps, L2 Mbit/s, wire absent) got worse at 7 sizes x 2 directions */
    ck_assert_int_eq(xpath_count(doc, "//tr[@class='worse']"), 2 * 7 * 2);
    ck_assert_int_eq(xpath_count(doc, "//tr[@class='better']"), 0);
    ck_assert_int_eq(xpath_count(doc, "//h2[.='Significant differences']"), 1);
    /* findings for both runs: in run 2, virtio is 74-76 % of the host */
    ck_assert_int_eq(xpath_count(doc, "//tr[@class='does-not-hold']"), 1);

    g_autofree char *csv = NULL;
    g_autofree char *csv_path = g_build_filename(out, "results.csv", NULL);
    ck_assert(g_file_get_contents(csv_path, &csv, NULL, NULL));
    g_auto(GStrv) lines = g_strsplit(csv, "\n", -1);
    /* header + rows of both runs + the empty string after the last newline */
    /* per NIC: 7 metrics x 2 directions x 7 sizes + idle rtt x 7; CPU x 2 for the VMs */
    ck_assert_uint_eq(g_strv_length(lines), 1 + 2 * (3 * (7 * 14 + 7) + 2 * 2 * 14) + 1);
    ck_assert(g_str_has_prefix(lines[1], "1,0,nic=host,"));

    g_autofree char *json = NULL;
    g_autofree char *json_path = g_build_filename(out, "results.json", NULL);
    ck_assert(g_file_get_contents(json_path, &json, NULL, NULL));
    ck_assert(g_str_has_prefix(json, "{\"runs\":[{\"id\":1,"));
    ck_assert_ptr_nonnull(strstr(json, "\"differences\":["));
    ck_assert_ptr_nonnull(strstr(json, "\"verdict\":\"worse\""));

    /* one run, then the errors */
    g_autofree char *one = g_build_filename(tmpdir, "one", NULL);
    ck_assert(report_write(s, ids, 1, one, 5, 0.05, NULL, &error));
    const gint64 missing[] = {42};
    ck_assert(!report_write(s, missing, 1, one, 5, 0.05, NULL, &error));
    ck_assert(g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND));
    g_clear_error(&error);
    ck_assert(!report_write(s, ids, 3, one, 5, 0.05, NULL, &error));
    ck_assert(g_error_matches(error, REPORT_ERROR, REPORT_ERROR_INVALID));
}
END_TEST

/* ---- the SVG read back: series, plot area, whiskers ---- */

static double prop_num(xmlNodePtr n, const char *name)
{
    g_autofree xmlChar *v = xmlGetProp(n, BAD_CAST name);
    return v ? g_ascii_strtod((const char *)v, NULL) : NAN;
}

typedef struct svg_check {
    double x0, y0, w, h;
    GString *err;
    GArray *theory; /* px pairs of the theoretical line: x, y, x, y, ... */
} svg_check;

static void check_xy(svg_check *c, const char *what, double x, double y)
{
    /* 0.6 px: coordinates are written with 2 decimals */
    if (!(x >= c->x0 - 0.6 && x <= c->x0 + c->w + 0.6 && y >= c->y0 - 0.6 &&
          y <= c->y0 + c->h + 0.6))
        g_string_append_printf(c->err, "%s at (%.2f, %.2f) outside the plot (%g %g %g %g); ", what,
                               x, y, c->x0, c->y0, c->w, c->h);
}

/* the numbers of a path's d: absolute M/L pairs; a marker path ("M x y m ...")
 * counts by its centre */
static void path_points(const char *d, GArray *out)
{
    gboolean marker = strchr(d, 'm') != NULL;
    const char *p = d;
    while (*p) {
        if (*p == 'M' || *p == 'L') {
            char *end;
            double x = g_ascii_strtod(p + 1, &end);
            double y = g_ascii_strtod(end, &end);
            g_array_append_val(out, x);
            g_array_append_val(out, y);
            p = end;
            if (marker)
                return;
        } else {
            p++;
        }
    }
}

/* The upper end of the theoretical line at px x (the vertex nearest in x). */
static double theory_y_at(const svg_check *c, double x)
{
    double best = INFINITY, y = NAN;
    for (guint i = 0; i + 1 < c->theory->len; i += 2) {
        double d = fabs(g_array_index(c->theory, double, i) - x);
        if (d < best)
            best = d, y = g_array_index(c->theory, double, i + 1);
    }
    return y;
}

static void check_group(svg_check *c, xmlNodePtr g, const char *name)
{
    for (xmlNodePtr n = g->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        const char *tag = (const char *)n->name;
        g_autofree xmlChar *cls = xmlGetProp(n, BAD_CAST "class");
        if (!strcmp(tag, "circle")) {
            check_xy(c, name, prop_num(n, "cx"), prop_num(n, "cy"));
        } else if (!strcmp(tag, "rect")) {
            check_xy(c, name, prop_num(n, "x") + prop_num(n, "width") / 2,
                     prop_num(n, "y") + prop_num(n, "height") / 2);
        } else if (!strcmp(tag, "line")) {
            double x1 = prop_num(n, "x1"), y1 = prop_num(n, "y1"), x2 = prop_num(n, "x2"),
                   y2 = prop_num(n, "y2");
            check_xy(c, name, x1, y1);
            check_xy(c, name, x2, y2);
            if (cls && !strcmp((const char *)cls, "whisker") && c->theory->len) {
                /* whiskers of a rate end at or under the line's maximum (px grow down) */
                double ty = theory_y_at(c, x1);
                if (isfinite(ty) && MIN(y1, y2) < ty - 0.6)
                    g_string_append_printf(c->err,
                                           "%s: whisker top %.2f above the line's "
                                           "maximum %.2f; ",
                                           name, MIN(y1, y2), ty);
            }
        } else if (!strcmp(tag, "path")) {
            g_autofree xmlChar *d = xmlGetProp(n, BAD_CAST "d");
            g_autoptr(GArray) pts = g_array_new(FALSE, FALSE, sizeof(double));
            path_points((const char *)d, pts);
            for (guint i = 0; i + 1 < pts->len; i += 2)
                check_xy(c, name, g_array_index(pts, double, i), g_array_index(pts, double, i + 1));
        }
    }
}

/* Every legend entry drawn as a series, no coordinate of a series or of the
 * theoretical line outside its panel's plot area, whiskers of rates under
 * the line's maximum.  Returns NULL when the SVG passes, else what failed. */
static char *svg_file_check(const char *path)
{
    g_autoptr(xmlDoc) doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    if (!doc)
        return g_strdup_printf("%s: not well-formed XML", path);
    g_autoptr(GString) err = g_string_new(NULL);
    g_autoptr(GHashTable) drawn = g_hash_table_new_full(g_str_hash, g_str_equal, xmlFree, NULL);
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    xmlXPathRegisterNs(ctx, BAD_CAST "s", BAD_CAST "http://www.w3.org/2000/svg");
    g_autoptr(xmlXPathObject) panels =
        xmlXPathEvalExpression(BAD_CAST "//s:g[@class='panel']", ctx);
    guint n_panels = panels->nodesetval ? panels->nodesetval->nodeNr : 0;
    if (n_panels == 0)
        g_string_append(err, "no panel; ");
    for (guint p = 0; p < n_panels; p++) {
        xmlNodePtr panel = panels->nodesetval->nodeTab[p];
        g_autofree xmlChar *plot = xmlGetProp(panel, BAD_CAST "data-plot");
        svg_check c = {0, 0, 0, 0, err, g_array_new(FALSE, FALSE, sizeof(double))};
        if (!plot || sscanf((const char *)plot, "%lf %lf %lf %lf", &c.x0, &c.y0, &c.w, &c.h) != 4) {
            g_string_append(err, "panel without data-plot; ");
            g_array_unref(c.theory);
            continue;
        }
        ctx->node = panel;
        g_autoptr(xmlXPathObject) th =
            xmlXPathEvalExpression(BAD_CAST ".//s:g[@class='theory']/s:path/@d", ctx);
        for (int i = 0; th->nodesetval && i < th->nodesetval->nodeNr; i++) {
            g_autofree xmlChar *d = xmlNodeGetContent(th->nodesetval->nodeTab[i]);
            path_points((const char *)d, c.theory);
        }
        g_autoptr(xmlXPathObject) groups =
            xmlXPathEvalExpression(BAD_CAST ".//s:g[@class='series' or @class='theory']", ctx);
        for (int i = 0; groups->nodesetval && i < groups->nodesetval->nodeNr; i++) {
            xmlNodePtr g = groups->nodesetval->nodeTab[i];
            xmlChar *name = xmlGetProp(g, BAD_CAST "data-name");
            check_group(&c, g, name ? (const char *)name : "?");
            if (name)
                g_hash_table_add(drawn, name); /* a second panel's copy replaces the first */
        }
        g_array_unref(c.theory);
    }
    ctx->node = NULL;
    g_autoptr(xmlXPathObject) legend =
        xmlXPathEvalExpression(BAD_CAST "//s:g[@class='legend']/s:text", ctx);
    for (int i = 0; legend->nodesetval && i < legend->nodesetval->nodeNr; i++) {
        g_autofree xmlChar *t = xmlNodeGetContent(legend->nodesetval->nodeTab[i]);
        g_autofree char *name = g_strdup((const char *)t);
        char *cut = strstr(name, " (partly off the scale)");
        if (cut)
            *cut = '\0';
        if (!g_hash_table_contains(drawn, name))
            g_string_append_printf(err, "legend entry '%s' has no series; ", name);
    }
    if (g_hash_table_size(drawn) == 0)
        g_string_append(err, "no series drawn; ");
    return err->len ? g_strdup_printf("%s: %s", path, err->str) : NULL;
}

/* every SVG of a report directory; NULL when all pass */
static char *svg_dir_check(const char *dir, guint *ret_n)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    GString *err = g_string_new(NULL);
    guint n = 0;
    while (d && (name = g_dir_read_name(d))) {
        if (!g_str_has_suffix(name, ".svg"))
            continue;
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_autofree char *e = svg_file_check(path);
        if (e)
            g_string_append_printf(err, "%s\n", e);
        n++;
    }
    *ret_n = n;
    return err->len ? g_string_free(err, FALSE) : (g_string_free(err, TRUE), NULL);
}

/* the clamps in the chart data: never below 0, rates under the line, % under 100 */
static void check_clamps(const report_chart *c)
{
    for (guint p = 0; p < c->panels->len; p++) {
        const report_panel *panel = g_ptr_array_index(c->panels, p);
        const report_series *theory = NULL;
        for (guint k = 0; k < panel->series->len; k++) {
            const report_series *se = g_ptr_array_index(panel->series, k);
            if (se->style == REPORT_STYLE_DASHED)
                theory = se;
        }
        for (guint k = 0; k < panel->series->len; k++) {
            const report_series *se = g_ptr_array_index(panel->series, k);
            for (guint i = 0; se->style != REPORT_STYLE_DASHED && i < se->points->len; i++) {
                const report_point *pt = point(se, i);
                if (!isfinite(pt->lo))
                    continue;
                ck_assert_msg(pt->lo >= 0, "%s %s: whisker to %g", c->id, se->name, pt->lo);
                if (theory && g_str_has_prefix(c->id, "throughput"))
                    ck_assert_msg(pt->hi <= point(theory, i)->y * (1 + 1e-12),
                                  "%s %s: whisker to %g over the line %g", c->id, se->name, pt->hi,
                                  point(theory, i)->y);
                if (!strcmp(c->id, "cpu-guest") || g_str_has_prefix(c->id, "loss"))
                    ck_assert_msg(pt->hi <= 100, "%s %s: whisker to %g %%", c->id, se->name,
                                  pt->hi);
                if (!strcmp(c->id, "cpu-qemu"))
                    ck_assert_msg(pt->hi <= 200, "%s %s: whisker to %g %% (1 vCPU)", c->id,
                                  se->name, pt->hi);
            }
        }
    }
}

START_TEST(test_goals_eight_cells)
{
    g_autofree char *path = g_build_filename(tmpdir, "w.db", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_store) s = store_open(path, &error);
    ck_assert_ptr_nonnull(s);
    const gint64 ids[] = {build_wide_run(s, "kvm", 1.0), build_wide_run(s, "kvm", 0.5)};
    g_autoptr(report_run) r = load(s, ids[0]);
    report_run *runs[] = {r};
    g_autoptr(GPtrArray) charts = report_charts(runs, 1);

    /* NDR and PDR charts, no headline chart repeating the first goal */
    const char *want[] = {"throughput-ndr-fps",
                          "throughput-pdr-fps",
                          "throughput-ndr-mbps",
                          "throughput-pdr-mbps",
                          "cpu-guest",
                          "cpu-qemu",
                          "loss-at-max",
                          "latency",
                          "rtt-idle"};
    ck_assert_uint_eq(charts->len, G_N_ELEMENTS(want));
    g_autoptr(GHashTable) looks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < charts->len; i++) {
        const report_chart *c = g_ptr_array_index(charts, i);
        ck_assert_str_eq(c->id, want[i]);
        /* the host has no guest and no QEMU: no CPU series */
        ck_assert_uint_eq(report_chart_n_series(c),
                          c->panels->len * (g_str_has_prefix(c->id, "cpu") ? 7 : 8));
        check_clamps(c);
        /* latency always log; the host's line-rate frames/s over TCG-like rates too */
        if (!strcmp(c->id, "latency")) {
            ck_assert(c->log_y);
            report_scale ys = report_chart_y_scale(c);
            ck_assert(ys.log);
            ck_assert_close(ys.min, 10, 0);
            ck_assert_close(ys.max, 10000, 0);
        }
        if (!strcmp(c->id, "cpu-guest"))
            ck_assert(!c->log_y);
    }
    /* 8 series, 8 different looks (colour, marker, dash) */
    const report_chart *ndr = g_ptr_array_index(charts, 0);
    const report_panel *in = g_ptr_array_index(ndr->panels, 0);
    for (guint k = 0; k < 8; k++) {
        const report_series *se = g_ptr_array_index(in->series, k);
        ck_assert_str_eq(se->name, wide_cells[k].label);
        char *look = g_strdup_printf("%s %d %s", se->color, se->marker, se->dash ? se->dash : "-");
        ck_assert_msg(g_hash_table_add(looks, look), "series %u looks like another: %s", k, look);
    }
    /* 95 % CI of (0.80, 0.95) x line, n = 2: far above the line, cut there */
    const report_series *host = g_ptr_array_index(in->series, 0);
    ck_assert(point(host, 0)->hi_clamped);
    ck_assert_close(point(host, 0)->hi, report_line_fps(LINE, 64), 1e-12);
    ck_assert(point(host, 0)->lo_clamped);
    ck_assert_close(point(host, 0)->lo, 0, 0);
    /* the axis follows the means (0.875 x line at 64 B), not the whiskers */
    report_scale ys = report_chart_y_scale(ndr);
    ck_assert(ys.log); /* 1.49 M frames/s at 64 B to 9 k at 1518 B for e1000 */

    /* the report of the two runs: every SVG passes the read-back check */
    g_autofree char *out = g_build_filename(tmpdir, "wide", NULL);
    ck_assert_msg(report_write(s, ids, 2, out, 5, 0.05, NULL, &error), "%s",
                  error ? error->message : "");
    guint n_svg = 0;
    g_autofree char *bad = svg_dir_check(out, &n_svg);
    ck_assert_msg(bad == NULL, "%s", bad);
    ck_assert_uint_eq(n_svg, G_N_ELEMENTS(want));

    g_autofree char *html_path = g_build_filename(out, "index.html", NULL);
    g_autofree char *html = NULL;
    ck_assert(g_file_get_contents(html_path, &html, NULL, NULL));
    g_autoptr(xmlDoc) doc = parse_html(html);
    /* NDR and PDR side by side, with cv and !2 */
    ck_assert_int_eq(xpath_count(doc, "//th[.='NDR frames/s']"), 2);
    ck_assert_int_eq(xpath_count(doc, "//th[.='PDR frames/s']"), 2);
    ck_assert_int_eq(xpath_count(doc, "//th[.='frames/s (first goal)']"), 0);
    ck_assert_int_ge(xpath_count(doc, "//td[contains(., ' cv ')]"), 8 * 14);
    /* cell 3 at 512 B: PDR 0.97 and 0.55 of the line is two bands? n = 2 cannot say */
    ck_assert_int_ge(xpath_count(doc, "//tbody/tr/td[.='nic=virtio vhost=on queues=2']"), 2 * 14);
    /* settings, the matrix, the quick-look mark, traces, the print stylesheet */
    ck_assert_int_eq(xpath_count(doc, "//th[.='final trial length']/../td[.='1 s']"), 2);
    ck_assert_int_eq(xpath_count(doc, "//th[.='goals (name:loss %)']/../td[.='ndr:0,pdr:0.5']"), 2);
    ck_assert_int_eq(xpath_count(doc, "//p[@class='quick']"), 2);
    ck_assert_int_eq(xpath_count(doc, "//pre[@class='matrix']"), 2);
    ck_assert_int_eq(xpath_count(doc, "//details/summary[.='nic=e1000, out, 64 B: 6 trials']"), 2);
    ck_assert_ptr_nonnull(strstr(html, "@media print"));
    ck_assert_int_eq(xpath_count(doc, "//script"), 0);
    /* virtio halved in run 2: worse, and the 2-repetition same* rows are named */
    ck_assert_int_ge(xpath_count(doc, "//tr[@class='worse']"), 1);
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("scales");

    tcase_add_test(tc, test_scale_nice);
    tcase_add_test(tc, test_tick_label);
    tcase_add_test(tc, test_line_rate);
    suite_add_tcase(s, tc);

    tc = tcase_create("findings");
    tcase_add_test(tc, test_findings);
    suite_add_tcase(s, tc);

    tc = tcase_create("store");
    tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
    tcase_add_test(tc, test_chart_data);
    tcase_add_test(tc, test_findings_synthetic_store);
    tcase_add_test(tc, test_svg_and_html);
    tcase_add_test(tc, test_write_and_compare);
    tcase_add_test(tc, test_goals_eight_cells);
    suite_add_tcase(s, tc);
    return s;
}

/* test-report --demo DIR [--compare]: a synthetic 8-cell report (two runs with --compare)
 * for tests/report-screenshot.sh; --check-svg DIR: the SVG read-back check on a report */
static int demo(const char *dir, gboolean compare)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_build_filename(dir, "demo.db", NULL);
    g_autoptr(vexp_store) s = NULL;
    gint64 ids[2];

    demo_mode = TRUE;
    if (g_mkdir_with_parents(dir, 0755) < 0 || (g_unlink(path) < 0 && errno != ENOENT))
        return EXIT_FAILURE;
    if (!(s = store_open(path, &error))) {
        g_printerr("%s\n", error->message);
        return EXIT_FAILURE;
    }
    ids[0] = build_wide_run(s, "tcg", 1.0);
    ids[1] = build_wide_run(s, "tcg", 0.8);
    if (!report_write(s, compare ? ids : ids + 1, compare ? 2 : 1, dir, 5, 0.05, NULL, &error)) {
        g_printerr("%s\n", error->message);
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    SRunner *sr;
    int failed;

    if (argc >= 3 && !strcmp(argv[1], "--check-svg")) {
        guint n = 0;
        g_autofree char *bad = svg_dir_check(argv[2], &n);
        if (bad || n == 0) {
            fprintf(stderr, "%s", bad ? bad : "no SVG files\n");
            return EXIT_FAILURE;
        }
        printf("%u SVG files: every series drawn, inside the plot, whiskers within the clamps\n",
               n);
        return EXIT_SUCCESS;
    }
    if (argc >= 3 && !strcmp(argv[1], "--demo"))
        return demo(argv[2], argc >= 4 && !strcmp(argv[3], "--compare"));
    sr = srunner_create(report_suite());

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    xmlCleanupParser();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
