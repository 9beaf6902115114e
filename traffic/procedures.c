/* SPDX-License-Identifier: MIT */
/* RFC 2544 §26 procedures (and RFC 9004 back-to-back) over a trial runner. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "traffic-priv.h"

#define MAX_SEARCH_TRIALS TRAFFIC_MAX_SEARCH_TRIALS
#define MAX_INVALID_RETRIES TRAFFIC_MAX_INVALID_RETRIES

static bool cancelled(const traffic_runner *r)
{
    return r->obs && r->obs->cancelled && r->obs->cancelled(r->obs->userdata);
}

static void trial_init(traffic_trial *t, enum traffic_test test, enum traffic_direction dir,
                       unsigned frame_size, unsigned rep, unsigned *index, const char *phase,
                       bool reflect, double rate, double duration_s)
{
    memset(t, 0, sizeof(*t));
    t->test = test;
    t->direction = dir;
    t->frame_size = frame_size;
    t->repetition = rep;
    t->index = ++*index;
    t->phase = phase;
    t->reflect = reflect;
    t->offered_fps = rate;
    t->duration_s = duration_s;
    t->dut_cpu_pct = -1;
    t->tester_wait_pct = -1;
}

static int do_trial(traffic_runner *r, const traffic_params *p, traffic_trial *t, unsigned tagged)
{
    if (cancelled(r))
        return -ECANCELED;
    if (r->obs && r->obs->trial_begin)
        r->obs->trial_begin(r->obs->userdata, t);
    int rc = r->run(r, p, t, tagged);
    if (rc < 0)
        return rc;
    if (r->obs && r->obs->trial_end)
        r->obs->trial_end(r->obs->userdata, t);
    return 0;
}

static void result_init(traffic_result *res, enum traffic_test test, enum traffic_direction dir,
                        unsigned frame_size, unsigned rep, bool reflect)
{
    memset(res, 0, sizeof(*res));
    res->test = test;
    res->direction = dir;
    res->frame_size = frame_size;
    res->repetition = rep;
    res->reflect = reflect;
    res->valid = true;
}

static void result_rate(traffic_result *res, double fps)
{
    res->fps = fps;
    res->mbps_l2 = traffic_fps_to_mbps_l2(fps, res->frame_size);
    res->mbps_wire = traffic_fps_to_mbps_wire(fps, res->frame_size);
}

static void emit(traffic_runner *r, const traffic_result *res)
{
    if (r->obs && r->obs->result)
        r->obs->result(r->obs->userdata, res);
}

int traffic_proc_do_trial(traffic_runner *r, const traffic_params *p, traffic_trial *t,
                          unsigned tagged)
{
    return do_trial(r, p, t, tagged);
}

void traffic_proc_trial_init(traffic_trial *t, enum traffic_test test, enum traffic_direction dir,
                             unsigned frame_size, unsigned rep, unsigned *index, const char *phase,
                             bool reflect, double rate, double duration_s)
{
    trial_init(t, test, dir, frame_size, rep, index, phase, reflect, rate, duration_s);
}

void traffic_proc_result_init(traffic_result *res, enum traffic_test test,
                              enum traffic_direction dir, unsigned frame_size, unsigned rep,
                              bool reflect, double fps)
{
    result_init(res, test, dir, frame_size, rep, reflect);
    result_rate(res, fps);
}

void traffic_proc_emit(traffic_runner *r, const traffic_result *res)
{
    emit(r, res);
}

void traffic_proc_result_rate(traffic_result *res, double fps)
{
    result_rate(res, fps);
}

static double short_s(const traffic_params *p)
{
    return p->search_trial_s < p->trial_s ? p->search_trial_s : p->trial_s;
}

static int calibrate(traffic_runner *r, const traffic_params *p, enum traffic_direction dir,
                     unsigned frame_size, enum traffic_test test, unsigned repetition,
                     unsigned *index, double *ret_max_fps, traffic_trial *ret_trial)
{
    traffic_trial t;
    trial_init(&t, test, dir, frame_size, repetition, index, "calibrate", p->reflect, 0,
               short_s(p));
    int rc = do_trial(r, p, &t, 0);
    if (rc < 0)
        return rc;
    if (t.offered_fps <= 0)
        return -EIO;
    /* A hair under the generator's best so that trials at it are not generator-limited. */
    *ret_max_fps = t.offered_fps * 0.98;
    if (ret_trial)
        *ret_trial = t;
    return 0;
}

int traffic_proc_calibrate(traffic_runner *r, const traffic_params *p, enum traffic_direction dir,
                           unsigned frame_size, enum traffic_test test, unsigned repetition,
                           unsigned *index, double *ret_max_fps, traffic_trial *ret_trial)
{
    return calibrate(r, p, dir, frame_size, test, repetition, index, ret_max_fps, ret_trial);
}

/* The highest rate a procedure may offer: the line rate if known, else measured. */
static int max_rate(traffic_runner *r, const traffic_params *p, enum traffic_direction dir,
                    unsigned frame_size, enum traffic_test test, unsigned rep, unsigned *index,
                    double *max_fps)
{
    if (*max_fps > 0)
        return 0;
    if (p->line_rate_mbps > 0) {
        *max_fps = traffic_line_rate_fps(p->line_rate_mbps, frame_size);
        return 0;
    }
    return traffic_proc_calibrate(r, p, dir, frame_size, test, rep, index, max_fps, NULL);
}

/* Several trials' RTT summaries into one (RFC 2544 §26.2 reports the mean of
 * the trials): mean of each statistic, min of the minima, max of the maxima. */
void traffic_rtt_accumulate(traffic_rtt_summary *sum, const traffic_rtt_summary *x, unsigned n)
{
    if (n == 0 || x->min_us < sum->min_us)
        sum->min_us = x->min_us;
    if (x->max_us > sum->max_us)
        sum->max_us = x->max_us;
    sum->samples += x->samples;
    sum->mean_us += x->mean_us;
    sum->p50_us += x->p50_us;
    sum->p90_us += x->p90_us;
    sum->p99_us += x->p99_us;
    sum->p999_us += x->p999_us;
    sum->jitter_us += x->jitter_us;
}

void traffic_rtt_finish(traffic_result *res, traffic_rtt_summary *sum, unsigned n)
{
    if (n == 0)
        return;
    sum->mean_us /= n;
    sum->p50_us /= n;
    sum->p90_us /= n;
    sum->p99_us /= n;
    sum->p999_us /= n;
    sum->jitter_us /= n;
    res->has_rtt = true;
    res->rtt = *sum;
}

int traffic_proc_latency(traffic_runner *r, const traffic_params *p, enum traffic_direction dir,
                         unsigned frame_size, double rate_fps, unsigned repetition,
                         traffic_result *ret)
{
    traffic_result res;
    result_init(&res, TRAFFIC_TEST_LATENCY, dir, frame_size, repetition, p->reflect);
    result_rate(&res, rate_fps);
    unsigned index = 0, n = 0;
    traffic_rtt_summary sum = {0};
    if (rate_fps <= 0) {
        res.valid = false;
        res.reason = "no-throughput";
    }
    for (unsigned k = 0; res.valid && k < p->latency_repetitions; k++) {
        traffic_trial t;
        trial_init(&t, TRAFFIC_TEST_LATENCY, dir, frame_size, repetition, &index, "trial",
                   p->reflect, rate_fps, p->trial_s);
        int rc = do_trial(r, p, &t, p->latency_tagged);
        if (rc < 0)
            return rc;
        if (t.has_rtt && t.rtt.samples > 0)
            traffic_rtt_accumulate(&sum, &t.rtt, n++);
    }
    traffic_rtt_finish(&res, &sum, n);
    if (!res.has_rtt && res.valid) {
        res.valid = false;
        res.reason = "no-echo";
    }
    res.trials = index;
    emit(r, &res);
    if (ret)
        *ret = res;
    return 0;
}

int traffic_proc_loss(traffic_runner *r, const traffic_params *p, enum traffic_direction dir,
                      unsigned frame_size, double max_fps, unsigned repetition, traffic_result *ret)
{
    return traffic_proc_loss_seen(r, p, dir, frame_size, max_fps, repetition, NULL, ret);
}

int traffic_proc_loss_seen(traffic_runner *r, const traffic_params *p, enum traffic_direction dir,
                           unsigned frame_size, double max_fps, unsigned repetition,
                           const traffic_seen *seen, traffic_result *ret)
{
    unsigned index = 0;
    int rc;
    if (max_fps <= 0 && p->line_rate_mbps > 0)
        max_fps = traffic_line_rate_fps(p->line_rate_mbps, frame_size);
    /* Unknown maximum: the 100 % trial runs as fast as the generator can and
     * the rate it reached is the maximum of the curve. */
    const bool measure_max = max_fps <= 0;
    traffic_result res;
    result_init(&res, TRAFFIC_TEST_LOSS, dir, frame_size, repetition, p->reflect);
    unsigned zero = 0;
    for (unsigned k = 0; k < TRAFFIC_MAX_CURVE; k++) {
        double pct = 100.0 - k * p->loss_step_pct;
        if (pct <= 1e-9)
            break;
        /* a full-length trial of the search within a tenth of a step of this point's load
         * is the point (its own load is recorded) */
        const traffic_seen_trial *old =
            (k == 0 && measure_max) ? NULL
                                    : traffic_seen_near(seen, max_fps * pct / 100.0,
                                                        max_fps * p->loss_step_pct / 1000.0);
        traffic_trial t;
        trial_init(&t, TRAFFIC_TEST_LOSS, dir, frame_size, repetition, &index, "trial", p->reflect,
                   (k == 0 && measure_max) ? 0 : max_fps * pct / 100.0, p->trial_s);
        if (old) {
            index--; /* no trial made */
            t.offered_fps = old->fps;
            t.loss_pct = old->loss_pct;
            t.lost = old->loss_pct > 0; /* only zero or not matters below */
            t.valid = true;
            pct = 100.0 * old->fps / max_fps;
            res.n_load_trials++; /* points taken from the search */
        } else if ((rc = do_trial(r, p, &t, 0)) < 0) {
            return rc;
        }
        if (k == 0 && measure_max)
            max_fps = t.offered_fps;
        res.max_fps = max_fps;
        traffic_loss_point *pt = &res.curve[res.n_curve++];
        pt->pct_of_max = pct;
        pt->offered_fps = t.offered_fps;
        pt->loss_pct = t.loss_pct;
        if (!t.valid) {
            res.valid = false;
            res.reason = t.reason;
        }
        zero = t.lost == 0 ? zero + 1 : 0;
        if (zero >= 2)
            break;
    }
    res.trials = index;
    emit(r, &res);
    if (ret)
        *ret = res;
    return 0;
}

/* One b2b search: the longest burst at max_fps with no loss, frames. */
static int b2b_search(traffic_runner *r, const traffic_params *p, enum traffic_direction dir,
                      unsigned frame_size, double max_fps, unsigned repetition, unsigned *index,
                      double guess, double *spent_s, double *ret_frames)
{
    double hi_frames = ceil(max_fps * p->b2b_burst_s);
    double lo = 0, hi = hi_frames + 1;
    bool hi_known = false;
    double g = guess > 0 && guess < hi_frames ? guess : hi_frames;
    unsigned invalid = 0;
    for (unsigned n = 0; n < MAX_SEARCH_TRIALS; n++) {
        if (g < 1)
            g = 1;
        traffic_trial t;
        /* back to back: as fast as the generator goes, or paced at a known line rate */
        trial_init(&t, TRAFFIC_TEST_B2B, dir, frame_size, repetition, index, "burst", p->reflect,
                   p->line_rate_mbps > 0 ? max_fps : 0, g / max_fps);
        t.burst_frames = (uint64_t)g;
        int rc = do_trial(r, p, &t, 0);
        if (rc < 0)
            return rc;
        /* the burst, the learning phase and the drain after it */
        *spent_s += t.elapsed_s + p->warmup_s + p->straggler_s;
        if (!t.valid) {
            if (++invalid > MAX_INVALID_RETRIES)
                return -EAGAIN;
            continue;
        }
        if (t.lost == 0) {
            lo = g;
            if (g >= hi_frames)
                break;
        } else {
            hi = g;
            hi_known = true;
        }
        double width = fmax(1, p->resolution_pct / 100.0 * hi);
        if (hi_known && hi - lo <= width)
            break;
        if (lo == g && guess > 0 && n == 0)
            g = fmin(hi - 1, lo * (1 + p->resolution_pct / 100.0 * 0.9) + 1);
        else
            g = floor((lo + hi) / 2);
        if (g <= lo)
            break;
    }
    *ret_frames = lo;
    return 0;
}

int traffic_proc_b2b(traffic_runner *r, const traffic_params *p, enum traffic_direction dir,
                     unsigned frame_size, double throughput_fps, double max_fps,
                     unsigned repetition, traffic_result *ret)
{
    unsigned index = 0;
    int rc = max_rate(r, p, dir, frame_size, TRAFFIC_TEST_B2B, repetition, &index, &max_fps);
    if (rc < 0)
        return rc;
    traffic_result res;
    result_init(&res, TRAFFIC_TEST_B2B, dir, frame_size, repetition, p->reflect);
    res.max_fps = max_fps;
    result_rate(&res, throughput_fps);
    if (throughput_fps >= max_fps * (1 - p->resolution_pct / 100.0)) {
        /* RFC 9004: a DUT that forwards at the maximum rate has no buffer to measure. */
        res.valid = false;
        res.reason = "not-applicable";
    } else {
        /* RFC 9004: at least 2 s for the DUT to drain after each burst */
        traffic_params pb = *p;
        if (pb.straggler_s < 2)
            pb.straggler_s = 2;
        double sum = 0, sum2 = 0, mn = 0, mx = 0, guess = 0, spent = 0;
        unsigned n = 0;
        for (unsigned k = 0; k < p->b2b_repetitions; k++) {
            double frames = 0;
            /* bounded by time: the budget spent, or the burst length known well enough */
            if (k > 0 && spent >= p->b2b_budget_s)
                break;
            if (n >= 3 && p->b2b_ci_pct > 0 && sum > 0) {
                const double mean = sum / n;
                const double sd = sqrt(fmax(0, (sum2 - sum * sum / n) / (n - 1)));
                if (traffic_t95(n - 1) * sd / sqrt(n) <= mean * p->b2b_ci_pct / 100)
                    break;
            }
            rc = b2b_search(r, &pb, dir, frame_size, max_fps, repetition, &index, guess, &spent,
                            &frames);
            if (rc == -EAGAIN) {
                res.valid = false;
                res.reason = "generator-limited";
                break;
            }
            if (rc < 0)
                return rc;
            n++;
            guess = frames;
            sum += frames;
            sum2 += frames * frames;
            if (k == 0 || frames < mn)
                mn = frames;
            if (frames > mx)
                mx = frames;
        }
        res.b2b_repetitions = n;
        if (n == 0)
            n = 1;
        res.burst_frames_mean = sum / n;
        res.burst_frames_min = mn;
        res.burst_frames_max = mx;
        res.burst_frames_stddev = n > 1 ? sqrt(fmax(0, (sum2 - sum * sum / n) / (n - 1))) : 0;
        res.burst_s = res.burst_frames_mean / max_fps;
        res.buffer_time_s = res.burst_s;
        res.corrected_buffer_time_s = res.buffer_time_s * (1 - throughput_fps / max_fps);
    }
    res.trials = index;
    emit(r, &res);
    if (ret)
        *ret = res;
    return 0;
}

int traffic_proc_rtt(traffic_runner *r, const traffic_params *p, unsigned frame_size,
                     unsigned repetition, traffic_result *ret)
{
    unsigned index = 0, n = 0;
    double rate = 1000.0 / p->rtt_interval_ms;
    traffic_result res;
    result_init(&res, TRAFFIC_TEST_RTT, TRAFFIC_DIR_IN, frame_size, repetition, false);
    traffic_rtt_summary sum = {0};
    for (unsigned k = 0; k < p->rtt_sequences; k++) {
        traffic_trial t;
        trial_init(&t, TRAFFIC_TEST_RTT, TRAFFIC_DIR_IN, frame_size, repetition, &index, "probe",
                   false, rate, p->probes / rate);
        t.burst_frames = p->probes;
        int rc = do_trial(r, p, &t, p->probes);
        if (rc < 0)
            return rc;
        res.tx += t.tx;
        res.rx += t.rx;
        res.lost += t.lost;
        if (t.has_rtt && t.rtt.samples > 0)
            traffic_rtt_accumulate(&sum, &t.rtt, n++);
    }
    traffic_rtt_finish(&res, &sum, n);
    if (!res.has_rtt) {
        res.valid = false;
        res.reason = "no-echo";
    }
    res.trials = index;
    emit(r, &res);
    if (ret)
        *ret = res;
    return 0;
}

static double fixed_rate(const traffic_params *p, unsigned frame_size)
{
    if (p->rate_max)
        return 0;
    if (p->rate_fps > 0)
        return p->rate_fps;
    return traffic_mbps_l2_to_fps(p->rate_mbps, frame_size);
}

int traffic_proc_fixed(traffic_runner *r, const traffic_params *p, enum traffic_direction dir,
                       unsigned frame_size, unsigned repetition, traffic_result *ret)
{
    unsigned index = 0;
    traffic_trial t;
    trial_init(&t, TRAFFIC_TEST_FIXED, dir, frame_size, repetition, &index, "trial", p->reflect,
               fixed_rate(p, frame_size), p->trial_s);
    int rc = do_trial(r, p, &t, 0);
    if (rc < 0)
        return rc;
    traffic_result res;
    result_init(&res, TRAFFIC_TEST_FIXED, dir, frame_size, repetition, p->reflect);
    result_rate(&res, t.rx_fps);
    res.offered_fps = t.offered_fps;
    res.rx_fps = t.rx_fps;
    res.loss_pct = t.loss_pct;
    res.tx = t.tx;
    res.rx = t.rx;
    res.lost = t.lost;
    res.reordered = t.reordered;
    res.duplicated = t.duplicated;
    res.valid = t.valid;
    res.reason = t.reason;
    res.trials = index;
    emit(r, &res);
    if (ret)
        *ret = res;
    return 0;
}

/* The search first when a test needs its rate (no fixed rate given). */
static bool suite_needs_throughput(const traffic_params *p)
{
    return (p->tests & TRAFFIC_TEST_THROUGHPUT) ||
           ((p->tests & (TRAFFIC_TEST_LATENCY | TRAFFIC_TEST_B2B)) &&
            !(p->rate_fps > 0 || p->rate_mbps > 0));
}

/* The tests of a frame size x direction x repetition block: the search and what uses it. */
static unsigned suite_block_tests(const traffic_params *p)
{
    return (suite_needs_throughput(p) ? TRAFFIC_TEST_THROUGHPUT : 0) |
           (p->tests & (TRAFFIC_TEST_LATENCY | TRAFFIC_TEST_LOSS | TRAFFIC_TEST_B2B));
}

/* repeat = trials: the search runs once and holds the repetitions */
static unsigned suite_block_reps(const traffic_params *p)
{
    return p->repeat == TRAFFIC_REPEAT_TRIALS ? 1 : p->repetitions;
}

static void put_unit(traffic_unit *units, unsigned max, unsigned *n, unsigned tests,
                     enum traffic_direction dir, unsigned frame_size, unsigned rep)
{
    if (*n < max)
        units[*n] = (traffic_unit){tests, dir, frame_size, rep};
    ++*n;
}

/* The same loops as traffic_proc_suite() below, in the same order. */
int traffic_suite_units(const traffic_params *p, traffic_unit *units, unsigned max)
{
    static const enum traffic_direction dirs[] = {TRAFFIC_DIR_IN, TRAFFIC_DIR_OUT};
    unsigned block, n = 0;

    if (!p || (max && !units))
        return -EINVAL;
    block = suite_block_tests(p);
    for (unsigned f = 0; f < p->n_frame_sizes && f < TRAFFIC_MAX_FRAME_SIZES; f++) {
        const unsigned F = p->frame_sizes[f];
        for (unsigned d = 0; d < 2; d++) {
            if (!(p->directions & dirs[d]))
                continue;
            for (unsigned rep = 1; block && rep <= suite_block_reps(p); rep++)
                put_unit(units, max, &n, block, dirs[d], F, rep);
            for (unsigned rep = 1; (p->tests & TRAFFIC_TEST_FIXED) && rep <= p->repetitions; rep++)
                put_unit(units, max, &n, TRAFFIC_TEST_FIXED, dirs[d], F, rep);
        }
        for (unsigned rep = 1; (p->tests & TRAFFIC_TEST_RTT) && rep <= p->repetitions; rep++)
            put_unit(units, max, &n, TRAFFIC_TEST_RTT, TRAFFIC_DIR_IN, F, rep);
    }
    return (int)n;
}

/* Asks the observer whether the unit's figures are known; returns true to skip it. */
static bool unit_skipped(traffic_runner *r, const traffic_unit *u)
{
    return r->obs && r->obs->skip_unit && r->obs->skip_unit(r->obs->userdata, u);
}

static void unit_end(traffic_runner *r, const traffic_unit *u)
{
    if (r->obs && r->obs->unit_end)
        r->obs->unit_end(r->obs->userdata, u);
}

int traffic_proc_suite(traffic_runner *r, const traffic_params *p)
{
    static const enum traffic_direction dirs[] = {TRAFFIC_DIR_IN, TRAFFIC_DIR_OUT};
    const bool need_thr = suite_needs_throughput(p);
    const unsigned block = suite_block_tests(p);
    const bool at_load =
        (p->tests & TRAFFIC_TEST_LATENCY) && p->latency_mode == TRAFFIC_LATENCY_LOAD && need_thr;
    /* repeat = trials: one search whose duration sum holds the repetitions' trials */
    traffic_params sp = *p;
    const unsigned reps = block ? suite_block_reps(p) : 0;
    if (p->repeat == TRAFFIC_REPEAT_TRIALS)
        sp.duration_sum_s = fmax(traffic_params_duration_sum(p), p->repetitions * p->trial_s);
    _cleanup_free_ traffic_seen *seen = malloc(sizeof(*seen)); /* ~20 KiB */
    if (!seen)
        return -ENOMEM;
    int rc;
    for (unsigned f = 0; f < p->n_frame_sizes; f++) {
        const unsigned F = p->frame_sizes[f];
        for (unsigned d = 0; d < 2; d++) {
            const enum traffic_direction dir = dirs[d];
            if (!(p->directions & dir))
                continue;
            for (unsigned rep = 1; rep <= reps; rep++) {
                const traffic_unit u = {block, dir, F, rep};
                if (unit_skipped(r, &u))
                    continue;
                double thr =
                    p->rate_fps > 0 ? p->rate_fps : traffic_mbps_l2_to_fps(p->rate_mbps, F);
                double max_fps = 0;
                traffic_result goal_res[TRAFFIC_MAX_GOALS];
                traffic_seen_init(seen, at_load ? p->latency_tagged : 0);
                if (need_thr) {
                    traffic_result res;
                    if ((rc = traffic_proc_throughput_seen(r, &sp, dir, F, 0, rep, seen, goal_res,
                                                           &res)) < 0)
                        return rc;
                    thr = res.fps;
                    max_fps = res.max_fps;
                }
                if (at_load &&
                    (rc = traffic_proc_latency_at_load(r, &sp, dir, F, rep, seen, goal_res)) < 0)
                    return rc;
                if ((p->tests & TRAFFIC_TEST_LATENCY) && !at_load &&
                    (rc = traffic_proc_latency(r, &sp, dir, F, thr, rep, NULL)) < 0)
                    return rc;
                if ((p->tests & TRAFFIC_TEST_LOSS) &&
                    (rc = traffic_proc_loss_seen(r, &sp, dir, F, max_fps, rep,
                                                 need_thr ? seen : NULL, NULL)) < 0)
                    return rc;
                if ((p->tests & TRAFFIC_TEST_B2B) &&
                    (rc = traffic_proc_b2b(r, &sp, dir, F, thr, max_fps, rep, NULL)) < 0)
                    return rc;
                unit_end(r, &u);
            }
            for (unsigned rep = 1; (p->tests & TRAFFIC_TEST_FIXED) && rep <= p->repetitions;
                 rep++) {
                const traffic_unit u = {TRAFFIC_TEST_FIXED, dir, F, rep};
                if (unit_skipped(r, &u))
                    continue;
                if ((rc = traffic_proc_fixed(r, p, dir, F, rep, NULL)) < 0)
                    return rc;
                unit_end(r, &u);
            }
        }
        /* rtt has no direction: the probes go to the DUT and back */
        for (unsigned rep = 1; (p->tests & TRAFFIC_TEST_RTT) && rep <= p->repetitions; rep++) {
            const traffic_unit u = {TRAFFIC_TEST_RTT, TRAFFIC_DIR_IN, F, rep};
            if (unit_skipped(r, &u))
                continue;
            if ((rc = traffic_proc_rtt(r, p, F, rep, NULL)) < 0)
                return rc;
            unit_end(r, &u);
        }
    }
    return 0;
}

/* ---- public entry points over a real agent connection ---- */

#define PUBLIC_PROLOGUE                                                                            \
    if (!conn || !p)                                                                               \
        return -EINVAL;                                                                            \
    if (traffic_params_validate(p, NULL) < 0)                                                      \
        return -EINVAL;                                                                            \
    traffic_runner r;                                                                              \
    traffic_runner_conn(&r, conn, obs)

int traffic_run_suite(traffic_conn *conn, const traffic_params *p, const traffic_observer *obs)
{
    PUBLIC_PROLOGUE;
    return traffic_proc_suite(&r, p);
}

int traffic_throughput(traffic_conn *conn, const traffic_params *p, enum traffic_direction dir,
                       unsigned frame_size, unsigned repetition, const traffic_observer *obs,
                       traffic_result *ret_res)
{
    PUBLIC_PROLOGUE;
    if (!traffic_frame_payload(frame_size))
        return -EINVAL;
    return traffic_proc_throughput(&r, p, dir, frame_size, 0, repetition, ret_res);
}

int traffic_latency(traffic_conn *conn, const traffic_params *p, enum traffic_direction dir,
                    unsigned frame_size, double rate_fps, unsigned repetition,
                    const traffic_observer *obs, traffic_result *ret_res)
{
    PUBLIC_PROLOGUE;
    if (!traffic_frame_payload(frame_size) || !(rate_fps > 0 && rate_fps <= 1e8))
        return -EINVAL;
    return traffic_proc_latency(&r, p, dir, frame_size, rate_fps, repetition, ret_res);
}

int traffic_loss(traffic_conn *conn, const traffic_params *p, enum traffic_direction dir,
                 unsigned frame_size, double max_fps, unsigned repetition,
                 const traffic_observer *obs, traffic_result *ret_res)
{
    PUBLIC_PROLOGUE;
    if (!traffic_frame_payload(frame_size) || !(max_fps >= 0 && max_fps <= 1e8))
        return -EINVAL;
    return traffic_proc_loss(&r, p, dir, frame_size, max_fps, repetition, ret_res);
}

int traffic_b2b(traffic_conn *conn, const traffic_params *p, enum traffic_direction dir,
                unsigned frame_size, double throughput_fps, double max_fps, unsigned repetition,
                const traffic_observer *obs, traffic_result *ret_res)
{
    PUBLIC_PROLOGUE;
    if (!traffic_frame_payload(frame_size) || !(max_fps >= 0 && max_fps <= 1e8) ||
        !(throughput_fps >= 0 && throughput_fps <= 1e8))
        return -EINVAL;
    return traffic_proc_b2b(&r, p, dir, frame_size, throughput_fps, max_fps, repetition, ret_res);
}

int traffic_rtt(traffic_conn *conn, const traffic_params *p, unsigned frame_size,
                unsigned repetition, const traffic_observer *obs, traffic_result *ret_res)
{
    PUBLIC_PROLOGUE;
    if (!traffic_frame_payload(frame_size))
        return -EINVAL;
    return traffic_proc_rtt(&r, p, frame_size, repetition, ret_res);
}

int traffic_fixed(traffic_conn *conn, const traffic_params *p, enum traffic_direction dir,
                  unsigned frame_size, unsigned repetition, const traffic_observer *obs,
                  traffic_result *ret_res)
{
    PUBLIC_PROLOGUE;
    if (!traffic_frame_payload(frame_size))
        return -EINVAL;
    return traffic_proc_fixed(&r, p, dir, frame_size, repetition, ret_res);
}

int traffic_calibrate(traffic_conn *conn, const traffic_params *p, enum traffic_direction dir,
                      unsigned frame_size, enum traffic_test test, unsigned repetition,
                      const traffic_observer *obs, double *ret_max_fps)
{
    PUBLIC_PROLOGUE;
    unsigned index = 0;
    if (!traffic_frame_payload(frame_size) || !ret_max_fps)
        return -EINVAL;
    return traffic_proc_calibrate(&r, p, dir, frame_size, test, repetition, &index, ret_max_fps,
                                  NULL);
}
