/* SPDX-License-Identifier: MIT */
/* RFC 2544 §26 procedures (and RFC 9004 back-to-back) over a trial runner. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "traffic-priv.h"

#define MAX_SEARCH_TRIALS 64u
#define MAX_INVALID_RETRIES 12u
/* trials in a row that could not offer a rate well under the generator's
 * best: the path holds the sender back (a shaper on the tester's egress) */
#define HELD_BACK_TRIALS 3u

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
                           unsigned *index, double *ret_max_fps)
{
    return calibrate(r, p, dir, frame_size, test, repetition, index, ret_max_fps, NULL);
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
    return traffic_proc_calibrate(r, p, dir, frame_size, test, rep, index, max_fps);
}

/*
 * In direction out (not reflected) the generator is the DUT's own: a trial
 * whose generator fell short measured the DUT's sending limit.  It stays
 * marked invalid (no loss figure at the offered rate), but for the search it
 * is a failure at that rate, with what arrived as the estimate.
 */
static bool dut_tx_limited(const traffic_params *p, enum traffic_direction dir,
                           const traffic_trial *t)
{
    return dir == TRAFFIC_DIR_OUT && !p->reflect && !t->valid && t->reason &&
           strcmp(t->reason, "generator-limited") == 0;
}

/*
 * A trial whose generator fell short of its target rate but whose frames were
 * lost all the same (over the tolerance): not a result at its target rate,
 * but a failure at the rate the generator did reach.  Typical of a shaper on
 * the tester's own egress: it pushes back on the sender and drops too.
 * *ret_reached: frames/s actually sent.
 */
static bool gen_limited_lossy(const traffic_params *p, const traffic_trial *t, double *ret_reached)
{
    if (t->valid || !t->reason || strcmp(t->reason, "generator-limited") != 0 ||
        t->loss_pct <= p->loss_tolerance_pct || t->elapsed_s <= 0)
        return false;
    *ret_reached = (double)t->tx / t->elapsed_s;
    return true;
}

/* Run search trials at duration dur_s until the search is done. */
static int search_loop(traffic_runner *r, const traffic_params *p, traffic_search *s,
                       enum traffic_direction dir, unsigned frame_size, unsigned rep,
                       unsigned *index, const char *phase, double dur_s, double rate)
{
    unsigned invalid = 0, consecutive = 0;
    if (s->done)
        return 0;
    for (unsigned n = 0; n < MAX_SEARCH_TRIALS && rate > 0; n++) {
        traffic_trial t;
        trial_init(&t, TRAFFIC_TEST_THROUGHPUT, dir, frame_size, rep, index, phase, p->reflect,
                   rate, dur_s);
        int rc = do_trial(r, p, &t, 0);
        if (rc < 0)
            return rc;
        if (dut_tx_limited(p, dir, &t)) {
            rate = traffic_search_step(s, rate, true, t.rx_fps);
            continue;
        }
        if (!t.valid) {
            /* Not a DUT result: retry (a busy machine can starve the generator for a
             * moment).  Near the generator's known maximum, two in a row lower the
             * ceiling to what it did send. */
            double reached;
            if (++invalid > MAX_INVALID_RETRIES)
                return -EAGAIN;
            if (gen_limited_lossy(p, &t, &reached)) {
                /* a failure where the generator got to, with what got through as
                 * the estimate */
                consecutive = 0;
                if (reached < rate) {
                    rate = traffic_search_step(s, reached, true, t.rx_fps);
                    continue;
                }
            }
            if (++consecutive >= 2 && rate >= 0.9 * s->max_fps && t.reason &&
                strcmp(t.reason, "generator-limited") == 0 && t.elapsed_s > 0) {
                consecutive = 0;
                double can = (double)t.tx / t.elapsed_s * 0.98;
                if (can < s->max_fps)
                    s->max_fps = can;
                if (s->has_hi && s->hi > can)
                    s->hi = can;
                rate = rate < can ? rate : can;
                if (s->has_lo && rate <= s->lo) {
                    s->done = true;
                    return 0;
                }
            } else if (consecutive >= HELD_BACK_TRIALS && t.reason &&
                       strcmp(t.reason, "generator-limited") == 0 && t.elapsed_s > 0 &&
                       (double)t.tx / t.elapsed_s < rate) {
                /* held back (or starved: the two look alike from here): this
                 * rate cannot be offered, a failure here with what was sent as
                 * the estimate.  Those trials were a finding, not retries: the
                 * retry budget starts again. */
                consecutive = 0;
                invalid = 0;
                rate = traffic_search_step(s, rate, true, (double)t.tx / t.elapsed_s);
            }
            continue;
        }
        consecutive = 0;
        bool lossy = t.loss_pct > p->loss_tolerance_pct;
        rate = traffic_search_step(s, rate, lossy, t.rx_fps);
    }
    if (!s->done)
        return -EIO;
    return 0;
}

int traffic_proc_throughput(traffic_runner *r, const traffic_params *p, enum traffic_direction dir,
                            unsigned frame_size, double max_fps, unsigned repetition,
                            traffic_result *ret)
{
    unsigned index = 0;
    int rc;
    traffic_trial cal;
    bool calibrated = false;
    if (max_fps <= 0 && p->line_rate_mbps > 0) {
        max_fps = traffic_line_rate_fps(p->line_rate_mbps, frame_size);
    } else if (max_fps <= 0) {
        rc = calibrate(r, p, dir, frame_size, TRAFFIC_TEST_THROUGHPUT, repetition, &index, &max_fps,
                       &cal);
        if (rc < 0)
            return rc;
        calibrated = true;
    }
    const double min_fps = 1;
    const double dshort = short_s(p);
    const bool two_phase = dshort < p->trial_s;
    traffic_search s;
    traffic_search_init(&s, max_fps, min_fps, p->resolution_pct);
    double start = max_fps;
    if (calibrated) {
        /* The calibration trial is the search's first point: its loss (against the
         * frames it sent) and the rate that got through tell where to go. */
        if (cal.loss_pct > p->loss_tolerance_pct)
            start = traffic_search_step(&s, cal.offered_fps, true, cal.rx_fps);
        else
            start = traffic_search_step(&s, max_fps, false, cal.rx_fps);
    }
    /* -EAGAIN: the generator never managed a valid trial often enough; the
     * figure is reported, flagged, rather than failing the whole suite */
    const char *invalid_reason = NULL;
    rc = search_loop(r, p, &s, dir, frame_size, repetition, &index, two_phase ? "search" : "trial",
                     dshort, start);
    if (rc == -EAGAIN)
        invalid_reason = "generator-limited";
    else if (rc < 0)
        return rc;
    double answer = s.has_lo ? s.lo : 0;
    if (two_phase && answer > 0 && !invalid_reason) {
        /* Full-length trials only near the answer: confirm it, search down if it fails. */
        traffic_trial t;
        double reached = 0;
        bool fell_short = false;
        unsigned held_back = 0;
        for (unsigned k = 0;; k++) {
            trial_init(&t, TRAFFIC_TEST_THROUGHPUT, dir, frame_size, repetition, &index, "confirm",
                       p->reflect, answer, p->trial_s);
            if ((rc = do_trial(r, p, &t, 0)) < 0)
                return rc;
            fell_short = gen_limited_lossy(p, &t, &reached) && reached < answer;
            /* The generator fell short at this rate HELD_BACK_TRIALS times in a
             * row, with no loss to speak of: the path pushes back on the sender
             * (a shaper on the tester's egress; a starved tester looks the
             * same) and the rate cannot be offered.  Not confirmed: search
             * down from what was sent. */
            if (!t.valid && t.reason && strcmp(t.reason, "generator-limited") == 0 &&
                t.elapsed_s > 0 && (double)t.tx / t.elapsed_s < answer) {
                if (++held_back >= HELD_BACK_TRIALS) {
                    reached = (double)t.tx / t.elapsed_s;
                    fell_short = true;
                }
            } else {
                held_back = 0;
            }
            if (t.valid || dut_tx_limited(p, dir, &t) || fell_short || k + 1 >= MAX_INVALID_RETRIES)
                break;
        }
        if (!t.valid && !dut_tx_limited(p, dir, &t) && !fell_short) {
            invalid_reason = t.reason;
        } else if (!t.valid || t.loss_pct > p->loss_tolerance_pct) {
            /* a short search found a rate that a full-length trial fails (a
             * queue that absorbed the short one's excess): search down from
             * it, or from where the generator got to */
            traffic_search s2;
            traffic_search_init(&s2, answer, min_fps, p->resolution_pct);
            double next = traffic_search_step(&s2, fell_short ? reached : answer, true, t.rx_fps);
            rc = search_loop(r, p, &s2, dir, frame_size, repetition, &index, "confirm", p->trial_s,
                             next);
            if (rc == -EAGAIN)
                invalid_reason = "generator-limited";
            else if (rc < 0)
                return rc;
            answer = s2.has_lo ? s2.lo : 0;
        }
    }
    traffic_result res;
    result_init(&res, TRAFFIC_TEST_THROUGHPUT, dir, frame_size, repetition, p->reflect);
    result_rate(&res, answer);
    res.max_fps = max_fps;
    res.trials = index;
    if (invalid_reason) {
        res.valid = false;
        res.reason = invalid_reason;
    }
    emit(r, &res);
    if (ret)
        *ret = res;
    return 0;
}

/* Several trials' RTT summaries into one (RFC 2544 §26.2 reports the mean of
 * the trials): mean of each statistic, min of the minima, max of the maxima. */
static void rtt_accumulate(traffic_rtt_summary *sum, const traffic_rtt_summary *x, unsigned n)
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

static void rtt_finish(traffic_result *res, traffic_rtt_summary *sum, unsigned n)
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
            rtt_accumulate(&sum, &t.rtt, n++);
    }
    rtt_finish(&res, &sum, n);
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
        traffic_trial t;
        trial_init(&t, TRAFFIC_TEST_LOSS, dir, frame_size, repetition, &index, "trial", p->reflect,
                   (k == 0 && measure_max) ? 0 : max_fps * pct / 100.0, p->trial_s);
        if ((rc = do_trial(r, p, &t, 0)) < 0)
            return rc;
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
                      double guess, double *ret_frames)
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
        double sum = 0, sum2 = 0, mn = 0, mx = 0, guess = 0;
        unsigned n = 0;
        for (unsigned k = 0; k < p->b2b_repetitions; k++) {
            double frames = 0;
            rc = b2b_search(r, &pb, dir, frame_size, max_fps, repetition, &index, guess, &frames);
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
            rtt_accumulate(&sum, &t.rtt, n++);
    }
    rtt_finish(&res, &sum, n);
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

int traffic_proc_suite(traffic_runner *r, const traffic_params *p)
{
    static const enum traffic_direction dirs[] = {TRAFFIC_DIR_IN, TRAFFIC_DIR_OUT};
    const bool need_thr = (p->tests & TRAFFIC_TEST_THROUGHPUT) ||
                          ((p->tests & (TRAFFIC_TEST_LATENCY | TRAFFIC_TEST_B2B)) &&
                           !(p->rate_fps > 0 || p->rate_mbps > 0));
    int rc;
    for (unsigned f = 0; f < p->n_frame_sizes; f++) {
        const unsigned F = p->frame_sizes[f];
        for (unsigned d = 0; d < 2; d++) {
            const enum traffic_direction dir = dirs[d];
            if (!(p->directions & dir))
                continue;
            for (unsigned rep = 1; rep <= p->repetitions; rep++) {
                double thr =
                    p->rate_fps > 0 ? p->rate_fps : traffic_mbps_l2_to_fps(p->rate_mbps, F);
                double max_fps = 0;
                if (need_thr) {
                    traffic_result res;
                    if ((rc = traffic_proc_throughput(r, p, dir, F, 0, rep, &res)) < 0)
                        return rc;
                    thr = res.fps;
                    max_fps = res.max_fps;
                }
                if ((p->tests & TRAFFIC_TEST_LATENCY) &&
                    (rc = traffic_proc_latency(r, p, dir, F, thr, rep, NULL)) < 0)
                    return rc;
                if ((p->tests & TRAFFIC_TEST_LOSS) &&
                    (rc = traffic_proc_loss(r, p, dir, F, max_fps, rep, NULL)) < 0)
                    return rc;
                if ((p->tests & TRAFFIC_TEST_B2B) &&
                    (rc = traffic_proc_b2b(r, p, dir, F, thr, max_fps, rep, NULL)) < 0)
                    return rc;
                if ((p->tests & TRAFFIC_TEST_FIXED) &&
                    (rc = traffic_proc_fixed(r, p, dir, F, rep, NULL)) < 0)
                    return rc;
            }
        }
        /* rtt has no direction: the probes go to the DUT and back */
        for (unsigned rep = 1; (p->tests & TRAFFIC_TEST_RTT) && rep <= p->repetitions; rep++)
            if ((rc = traffic_proc_rtt(r, p, F, rep, NULL)) < 0)
                return rc;
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
    return traffic_proc_calibrate(&r, p, dir, frame_size, test, repetition, &index, ret_max_fps);
}
