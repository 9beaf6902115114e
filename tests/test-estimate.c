/* SPDX-License-Identifier: MIT */
/* Unit tests of the run-length estimate: matrices in, trial and wall seconds out, by hand. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "estimate.h"

/* Per trial: the learning phase (warmup_s 0.1), the drain (wait_s) and the model's overhead. */
#define WARMUP_S 0.1

static vexp_matrix *load(const char *text)
{
    const char *root = g_getenv("VEXP_SOURCE_ROOT");
    g_autofree char *base = g_build_filename(root ? root : ".", "examples", NULL);
    g_autoptr(GError) error = NULL;
    vexp_matrix *m = matrix_load_data(text, strlen(text), "est.conf", base, NULL, &error);

    ck_assert_msg(m != NULL, "%s", error ? error->message : "");
    return m;
}

static vexp_estimate estimate(const vexp_matrix *m)
{
    g_autoptr(GError) error = NULL;
    vexp_estimate e;

    ck_assert_msg(vexp_estimate_matrix(m, NULL, &e, &error), "%s", error ? error->message : "");
    return e;
}

/* rtt only: sequences of probes at a fixed pace, nothing searched; one domain cell and the
 * host cell. */
START_TEST(test_estimate_rtt)
{
    g_autoptr(vexp_matrix) m = load("[experiment]\nrepetitions = 3\n"
                                    "[domain]\ntemplate = templates/tiny-guest.xml\n"
                                    "[matrix]\nnic = virtio, host\n"
                                    "[traffic]\ntests = rtt\nframe_sizes = 64, 128\n"
                                    "probes = 100\nwait_s = 2\n");
    vexp_estimate e = estimate(m);
    /* 10 sequences (the engine's rtt_sequences) of 100 probes 10 ms apart = 1 s each,
     * per frame size and repetition: 10 x 2 x 3 = 60 trials, 60 s sent */
    const double trials = 10 * 2 * 3, sent = trials * 1.0;
    const double wall = trials * (1.0 + WARMUP_S + 2 + VEXP_ESTIMATE_TRIAL_OVERHEAD_S);
    for (int b = 0; b < 3; b++) { /* nothing searched: least, most and typical agree */
        ck_assert_double_eq_tol(e.suite.trials[b], trials, 1e-9);
        ck_assert_double_eq_tol(e.suite.trial_s[b], sent, 1e-9);
        ck_assert_double_eq_tol(e.suite.test_trial_s[4][b], sent, 1e-9);
        ck_assert_double_eq_tol(e.suite.wall_s[b], wall, 1e-9);
        ck_assert_double_eq_tol(e.trial_s[b], 2 * sent, 1e-9);
        ck_assert_double_eq_tol(e.host_cell_wall_s[b], wall, 1e-9);
    }
    ck_assert_uint_eq(e.n_cells, 2);
    ck_assert_uint_eq(e.n_vm_cells, 1);
    ck_assert_double_eq_tol(e.vm_cell_wall_s[0], VEXP_ESTIMATE_BOOT_LO_S + wall, 1e-9);
    ck_assert_double_eq_tol(e.wall_s[0], VEXP_ESTIMATE_BOOT_LO_S + 2 * wall, 1e-9);
    ck_assert_double_eq_tol(e.wall_s[1], VEXP_ESTIMATE_BOOT_HI_S + 2 * wall, 1e-9);
}
END_TEST

/* The classic binary search (one goal, 50 % resolution) and the loss curve with its points
 * taken from the search.  1518 B at 1000 Mb/s: max 81 274 frames/s, the search's lowest
 * load 1000 frames/s (1000 frames per 1 s trial), so the slowest DUT simulated forwards
 * 2 x 1000 / 81 274 = 2.46 % of the maximum. */
START_TEST(test_estimate_binary_loss)
{
    g_autoptr(vexp_matrix) m = load("[experiment]\nrepetitions = 1\n"
                                    "[matrix]\nnic = host\n"
                                    "[traffic]\ntests = throughput, loss\nframe_sizes = 1518\n"
                                    "directions = in\nmethod = rfc2544\ngoals = ndr\n"
                                    "resolution_pct = 50\ntrial_s = 10\nwait_s = 2\n");
    vexp_estimate e = estimate(m);
    const double per = 10 + WARMUP_S + 2 + VEXP_ESTIMATE_TRIAL_OVERHEAD_S;
    /* least: a DUT that forwards everything: one search trial at the maximum passes; the
     * curve's 100 % point is that trial, 90 % is a new one and the second without loss */
    ck_assert_double_eq_tol(e.suite.test_trial_s[0][0], 10, 1e-9);
    ck_assert_double_eq_tol(e.suite.test_trial_s[2][0], 10, 1e-9);
    ck_assert_double_eq_tol(e.suite.trials[0], 2, 1e-9);
    ck_assert_double_eq_tol(e.suite.wall_s[0], 2 * per, 1e-9);
    /* most: the slowest DUT (2.46 %): the search halves from 100 % to 1.5625 % (7 trials:
     * 100 50 25 12.5 6.25 3.125 fail, 1.5625 passes, and the interval is then within 50 %)
     * plus the search's 12 retries of trials a starved tester could not offer; the curve
     * runs 100 .. 10 % (all losing), 100 and 50 % taken from the search: 8 new */
    ck_assert_double_eq_tol(e.suite.test_trial_s[0][1], (7 + 12) * 10, 1e-9);
    ck_assert_double_eq_tol(e.suite.test_trial_s[2][1], 8 * 10, 1e-9);
    ck_assert_double_eq_tol(e.suite.trials[1], 27, 1e-9);
    ck_assert_double_eq_tol(e.suite.wall_s[1], 27 * per, 1e-9);
    ck_assert_double_eq_tol(e.wall_s[1], 27 * per, 1e-9); /* host cell: no boot */
    /* typical: the median DUT with a noisy knee, no retries: between the two */
    ck_assert_double_lt(e.suite.wall_s[0], e.suite.wall_s[2]);
    ck_assert_double_lt(e.suite.wall_s[2], e.suite.wall_s[1]);
    ck_assert_double_le(e.suite.test_trial_s[0][2], 7 * 10);
    ck_assert_double_ge(e.suite.test_trial_s[0][2], 2 * 10);
}
END_TEST

/* Latency: 20 trials per figure with latency = rfc2544, three (the CSIT levels) at load. */
/* precision_pct: the search adds full-length trials at the bounds, at most 10 x the duration
 * sum per search; the most spends all of it. */
START_TEST(test_estimate_precision)
{
    static const char fmt[] = "[matrix]\nnic = host\n"
                              "[traffic]\ntests = throughput\nframe_sizes = 1518\n"
                              "directions = in, out\nline_rate_mbps = 1000\n"
                              "trial_s = 2\nrepetitions = 3\n%s";
    g_autofree char *a = g_strdup_printf(fmt, "");
    g_autofree char *b = g_strdup_printf(fmt, "precision_pct = 2\n");
    g_autoptr(vexp_matrix) ma = load(a);
    g_autoptr(vexp_matrix) mb = load(b);
    vexp_estimate ea = estimate(ma), eb = estimate(mb);
    /* 2 directions x 3 repetitions = 6 searches; duration sum 3 x 2 s: a cap of 60 s each */
    const double cap = 6 * 10 * 3 * 2.0;
    ck_assert_double_eq_tol(eb.suite.test_trial_s[0][1] - ea.suite.test_trial_s[0][1], cap, 1e-6);
    ck_assert_double_gt(eb.suite.test_trial_s[0][2], ea.suite.test_trial_s[0][2]);
    ck_assert_double_le(eb.suite.test_trial_s[0][2] - ea.suite.test_trial_s[0][2], cap);
    ck_assert_double_ge(eb.suite.test_trial_s[0][0], ea.suite.test_trial_s[0][0]);
}
END_TEST

START_TEST(test_estimate_latency)
{
    static const char fmt[] = "[matrix]\nnic = host\n"
                              "[traffic]\ntests = throughput, latency\nframe_sizes = 64\n"
                              "directions = in, out\nmethod = rfc2544\ngoals = ndr\n"
                              "resolution_pct = 50\ntrial_s = 5\nrepetitions = 2\n"
                              "latency = %s\n";
    g_autofree char *a = g_strdup_printf(fmt, "rfc2544");
    g_autofree char *b = g_strdup_printf(fmt, "load");
    g_autoptr(vexp_matrix) ma = load(a);
    g_autoptr(vexp_matrix) mb = load(b);
    vexp_estimate ea = estimate(ma), eb = estimate(mb);
    /* 2 directions x 2 repetitions, whatever the DUT */
    for (int k = 0; k < 2; k++) {
        ck_assert_double_eq_tol(ea.suite.test_trial_s[1][k], 2 * 2 * 20 * 5, 1e-9);
        ck_assert_double_eq_tol(eb.suite.test_trial_s[1][k], 2 * 2 * 3 * 5, 1e-9);
    }
    /* the search itself is the same: lossless, one trial at the maximum */
    ck_assert_double_eq_tol(ea.suite.test_trial_s[0][0], 2 * 2 * 5, 1e-9);
    ck_assert_double_eq_tol(eb.suite.test_trial_s[0][0], 2 * 2 * 5, 1e-9);
}
END_TEST

/* repeat = trials: one RFC 9971 search whose duration sum is repetitions x trial_s.  A DUT
 * that forwards everything: the maximum is a lower bound once the full-length trials there
 * reach (1 - exceed 50 %) x 10 x 1 s = 5 s: 5 trials, both goals at once. */
START_TEST(test_estimate_repeat_trials)
{
    static const char fmt[] = "[matrix]\nnic = host\n"
                              "[traffic]\ntests = throughput, latency\nframe_sizes = 64\n"
                              "directions = in\ntrial_s = 1\nrepetitions = 10\n"
                              "repeat = %s\n";
    g_autofree char *a = g_strdup_printf(fmt, "trials");
    g_autofree char *b = g_strdup_printf(fmt, "searches");
    g_autoptr(vexp_matrix) ma = load(a);
    g_autoptr(vexp_matrix) mb = load(b);
    vexp_estimate et = estimate(ma), es = estimate(mb);
    ck_assert_double_eq_tol(et.suite.test_trial_s[0][0], 5, 1e-9);
    ck_assert_double_eq_tol(et.suite.test_trial_s[1][0], 3, 1e-9);
    ck_assert_double_eq_tol(et.suite.trial_s[0], 8, 1e-9);
    /* searches: ten searches with the default sum 3 x trial_s: 2 trials at the maximum
     * (1 for the 2 x width target, then 1.5 s of 3 s needs a second) and 3 latency trials,
     * ten times */
    ck_assert_double_eq_tol(es.suite.test_trial_s[0][0], 10 * 2, 1e-9);
    ck_assert_double_eq_tol(es.suite.test_trial_s[1][0], 10 * 3, 1e-9);
    ck_assert_double_le(et.suite.trial_s[1], es.suite.trial_s[1]);
}
END_TEST

START_TEST(test_estimate_text)
{
    g_autoptr(vexp_matrix) m = load("[matrix]\nnic = host\n[traffic]\ntests = throughput, "
                                    "latency\nlatency = rfc2544\ntrial_s = 60\n"
                                    "repetitions = 10\n");
    vexp_estimate e = estimate(m);
    g_autofree char *text = vexp_estimate_format(m, &e);
    g_autofree char *why = vexp_estimate_costliest(m, &e);
    g_autoptr(GError) error = NULL;
    double s = 0;
    char buf[32];

    /* 7 frame sizes x 1 direction x 10 x 20 x 60 s of latency alone: 46.7 h */
    ck_assert_ptr_nonnull(strstr(text, "runs longer than a day"));
    ck_assert_msg(g_str_has_prefix(why, "latency "), "%s", why);
    ck_assert_ptr_nonnull(strstr(why, "latency = rfc2544: latency_repetitions = 20 trials"));
    ck_assert(vexp_parse_duration("1h30m", &s, NULL));
    ck_assert_double_eq(s, 5400);
    ck_assert(vexp_parse_duration("90", &s, NULL));
    ck_assert_double_eq(s, 90);
    ck_assert(vexp_parse_duration("2d", &s, NULL));
    ck_assert_double_eq(s, 172800);
    static const char *bad[] = {"", "h", "1x", "-5m", "0", "1h-", "99999999999d"};
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        ck_assert_msg(!vexp_parse_duration(bad[i], &s, &error), "accepted '%s'", bad[i]);
        ck_assert_ptr_nonnull(strstr(error->message, "duration '"));
        g_clear_error(&error);
    }
    vexp_format_duration(90061, buf, sizeof(buf));
    ck_assert_str_eq(buf, "1d01h");
    vexp_format_duration(3725, buf, sizeof(buf));
    ck_assert_str_eq(buf, "1h02m");
}
END_TEST

/* The published study's matrix: 60 s trials decided by a 600 s duration sum; the noisy
 * median DUT costs more than the noiseless dearest, and the most is never below it. */
START_TEST(test_estimate_most_holds_typical)
{
    const char *root = g_getenv("VEXP_SOURCE_ROOT");
    g_autofree char *path = g_build_filename(root ? root : ".", "examples", "study.conf", NULL);
    g_autofree char *text = NULL;
    gsize len = 0;

    ck_assert_msg(g_file_get_contents(path, &text, &len, NULL), "%s", path);
    g_autoptr(vexp_matrix) m = load(text);
    vexp_estimate e = estimate(m);
    ck_assert(e.suite.trial_s[0] <= e.suite.trial_s[2]);
    ck_assert(e.suite.trial_s[2] <= e.suite.trial_s[1]);
    ck_assert(e.suite.wall_s[2] <= e.suite.wall_s[1]);
    ck_assert(e.wall_s[0] <= e.wall_s[2] && e.wall_s[2] <= e.wall_s[1]);
}
END_TEST

/* The factor: the median of the newest samples with the cell's label, else of its kind. */
START_TEST(test_calibration_factor)
{
    const vexp_calib_sample smp[] = {
        {"nic=virtio", FALSE, 1.20, 9}, {"nic=host", TRUE, 1.45, 9},   {"nic=virtio", FALSE, 1.40, 8},
        {"nic=virtio", FALSE, 0.90, 7}, {"nic=virtio", FALSE, 1.10, 6}, {"nic=e1000", FALSE, 1.00, 6},
        {"nic=virtio", FALSE, 1.30, 5}, {"nic=virtio", FALSE, 9.00, 4}, {"nic=virtio", FALSE, NAN, 3},
    };
    const vexp_calibration c = {smp, G_N_ELEMENTS(smp)};
    const vexp_calibration none = {NULL, 0};
    guint n = 99;
    gboolean by_label = FALSE;
    double lo = 0, hi = 0;

    /* the newest 5 virtio: 1.20 1.40 0.90 1.10 1.30 -> 1.20; the older 9.00 is not used */
    ck_assert_double_eq_tol(vexp_calibration_factor(&c, "nic=virtio", FALSE, &n, &by_label, &lo, &hi), 1.20,
                            1e-12);
    ck_assert_uint_eq(n, 5);
    ck_assert(by_label);
    ck_assert_double_eq_tol(lo, 0.90, 1e-12);
    ck_assert_double_eq_tol(hi, 1.40, 1e-12);
    /* one sample with the label */
    ck_assert_double_eq_tol(vexp_calibration_factor(&c, "nic=host", TRUE, &n, &by_label, NULL, NULL), 1.45,
                            1e-12);
    ck_assert_uint_eq(n, 1);
    /* no rtl8139 yet: the newest 5 domain cells, 1.20 1.40 0.90 1.10 1.00 -> 1.10 */
    ck_assert_double_eq_tol(vexp_calibration_factor(&c, "nic=rtl8139", FALSE, &n, &by_label, NULL, NULL), 1.10,
                            1e-12);
    ck_assert_uint_eq(n, 5);
    ck_assert(!by_label);
    /* an even count: the mean of the middle two (e1000 alone is 1.00; host kind: 1.45) */
    const vexp_calibration two = {smp, 3};
    ck_assert_double_eq_tol(vexp_calibration_factor(&two, "nic=virtio", FALSE, &n, NULL, &lo, &hi),
                            (1.20 + 1.40) / 2, 1e-12);
    ck_assert_uint_eq(n, 2);
    /* nothing: 1 */
    ck_assert(vexp_calibration_factor(&none, "nic=virtio", FALSE, &n, &by_label, &lo, &hi) == 1);
    ck_assert(lo == 1 && hi == 1);
    ck_assert_uint_eq(n, 0);
    ck_assert(!by_label);
}
END_TEST

/* Calibrated: each cell's model time scaled by its factor, number by number. */
START_TEST(test_estimate_calibrated)
{
    g_autoptr(vexp_matrix) m = load("[experiment]\nrepetitions = 1\n"
                                    "[domain]\ntemplate = templates/tiny-guest.xml\n"
                                    "[matrix]\nnic = virtio, e1000, host\n"
                                    "[traffic]\ntests = rtt\nframe_sizes = 64\n"
                                    "probes = 100\nwait_s = 2\n");
    const vexp_calib_sample smp[] = {
        {"nic=virtio", FALSE, 1.5, 2}, {"nic=host", TRUE, 0.8, 2}, {"nic=virtio", FALSE, 1.2, 1}};
    const vexp_calibration c = {smp, G_N_ELEMENTS(smp)};
    vexp_estimate e = estimate(m), u = e;
    const double vm = e.vm_cell_wall_s[2], host = e.host_cell_wall_s[2];
    g_autofree char *text = NULL;

    ck_assert_double_eq_tol(e.wall_s[2], 2 * vm + host, 1e-9);
    vexp_estimate_calibrate(&u, m, NULL); /* nothing to calibrate by */
    ck_assert_double_eq_tol(u.wall_s[2], e.wall_s[2], 1e-9);
    ck_assert_uint_eq(u.n_calib_label + u.n_calib_kind, 0);
    vexp_estimate_calibrate(&e, m, &c);
    /* virtio (1.5, 1.2) -> 1.35 by label, e1000 1.35 by kind, host 0.8 by label; the spread
     * with each cell's least and most */
    ck_assert_double_eq_tol(e.wall_s[2], 1.35 * vm + 1.35 * vm + 0.8 * host, 1e-9);
    ck_assert_double_eq_tol(e.typ_spread_s[0], 1.2 * vm + 1.2 * vm + 0.8 * host, 1e-9);
    ck_assert_double_eq_tol(e.typ_spread_s[1], 1.5 * vm + 1.5 * vm + 0.8 * host, 1e-9);
    ck_assert_double_eq_tol(e.model_wall_typ_s, 2 * vm + host, 1e-9);
    ck_assert_uint_eq(e.n_calib_label, 2);
    ck_assert_uint_eq(e.n_calib_kind, 1);
    ck_assert_double_eq_tol(e.factor_lo, 0.8, 1e-12);
    ck_assert_double_eq_tol(e.factor_hi, 1.35, 1e-12);
    /* nothing searched: the bounds were equal; they widen to hold the typical */
    ck_assert(e.wall_s[0] <= e.wall_s[2] && e.wall_s[2] <= e.wall_s[1]);
    text = vexp_estimate_format(m, &e);
    ck_assert_msg(strstr(text, "typical calibrated on this host: 2 cell(s) by earlier cells with "
                               "their label, 1 by earlier cells of their kind; x0.80 .. x1.35"),
                  "%s", text);
    g_free(g_steal_pointer(&text));
    text = vexp_estimate_format(m, &u);
    ck_assert_msg(strstr(text, "typical not calibrated"), "%s", text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("estimate");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_estimate_rtt);
    tcase_add_test(tc, test_estimate_binary_loss);
    tcase_add_test(tc, test_estimate_latency);
    tcase_add_test(tc, test_estimate_precision);
    tcase_add_test(tc, test_estimate_repeat_trials);
    tcase_add_test(tc, test_estimate_text);
    tcase_add_test(tc, test_estimate_most_holds_typical);
    tcase_add_test(tc, test_calibration_factor);
    tcase_add_test(tc, test_estimate_calibrated);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
