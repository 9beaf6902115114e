/* SPDX-License-Identifier: MIT */
/* RFC 2544 §26 procedures (and RFC 9004 back-to-back) over a trial runner. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "traffic-priv.h"

#define MAX_SEARCH_TRIALS 64u
#define MAX_INVALID_RETRIES TRAFFIC_MAX_INVALID_RETRIES
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
 * whose generator fell short measured the DUT's sending limit, a finding and
 * not a tester fault.
 */
static bool dut_tx_limited(const traffic_params *p, enum traffic_direction dir,
                           const traffic_trial *t)
{
    return dir == TRAFFIC_DIR_OUT && !p->reflect && !t->valid && t->reason &&
           strcmp(t->reason, "generator-limited") == 0 && t->tx > 0 && t->elapsed_s > 0;
}

/* What one throughput trial tells the search.  RFC 9971 keeps the intended
 * load (asked) and the offered load (sent) apart. */
enum verdict {
    V_RETRY,      /* the tester's fault (starved a moment): ask again */
    V_AT_LOAD,    /* a trial at the intended load */
    V_AT_SENT,    /* only a trial at the load actually sent */
    V_FELL_SHORT, /* the intended load could not be offered, and a trial at what was sent */
    V_GIVE_UP,    /* the tester never managed a valid trial often enough */
};

typedef struct search_ctx {
    traffic_runner *r;
    const traffic_params *p;
    enum traffic_direction dir;
    unsigned frame_size, rep, index;
    unsigned invalid; /* tester faults so far (retries) */
    unsigned held;    /* tester shortfalls in a row at held_fps */
    double held_fps;
    const char *last_fault; /* static: why the last tester fault was one */
    double seconds;           /* trial time spent, s */
    traffic_seen *seen;       /* full-length trials for later procedures; NULL = none */
    traffic_result *goal_res; /* each goal's result; NULL = not wanted */
} search_ctx;

/* Echo requests in a trial of dur_s: only full-length ones carry them (latency at load). */
static unsigned seen_tagged(const search_ctx *c, double dur_s)
{
    return c->seen && dur_s >= c->p->trial_s ? c->seen->tagged : 0;
}

/* The figure is final: the trials at its load, then the caller's copy and the observer. */
static void search_emit(search_ctx *c, unsigned goal, traffic_result *res)
{
    traffic_seen_fill_result(c->seen, res);
    if (c->goal_res)
        c->goal_res[goal] = *res;
    emit(c->r, res);
}

static enum verdict judge(search_ctx *c, const traffic_trial *t, double fps, double max_loss_pct)
{
    if (t->valid) {
        c->held = 0;
        return V_AT_LOAD;
    }
    if (dut_tx_limited(c->p, c->dir, t))
        return V_FELL_SHORT;
    const bool short_sent = t->reason && strcmp(t->reason, "generator-limited") == 0 && t->tx > 0 &&
                            t->elapsed_s > 0 && t->sent_fps < fps;
    if (short_sent && t->loss_pct > max_loss_pct) {
        /* the tester fell short, but what it sent was lost over every goal: a
         * finding at the load that was offered (a shaper on the tester's egress
         * that also drops) */
        c->held = 0;
        return V_AT_SENT;
    }
    if (short_sent) {
        /* The same load held back HELD_BACK_TRIALS times in a row, with no loss
         * to speak of: the path pushes back on the sender (a shaper on the
         * tester's egress; a starved tester looks the same) and this load
         * cannot be offered.  Those trials were a finding: retries start again. */
        c->held = c->held_fps == fps ? c->held + 1 : 1;
        c->held_fps = fps;
        if (c->held >= HELD_BACK_TRIALS) {
            c->held = 0;
            c->invalid = 0;
            return V_FELL_SHORT;
        }
    }
    c->last_fault = t->reason;
    if (++c->invalid > MAX_INVALID_RETRIES)
        return V_GIVE_UP;
    return V_RETRY;
}

/* The loss of a trial that fell short, counted against the intended load: frames
 * that could not be offered were not forwarded either. */
static double loss_vs_intended(const traffic_trial *t, double fps)
{
    double fwd = t->elapsed_s > 0 ? (double)t->rx / t->elapsed_s : 0;
    double loss = 1 - fwd / fps;
    return loss < 0 ? 0 : loss > 1 ? 1 : loss;
}

/* Offered loads within this share of the intended one are the intended load (clock and
 * frame rounding); below it the shortfall counts as not forwarded. */
#define OFFERED_TOLERANCE 1e-3

/* Direction out (the DUT sends): the best forwarding rate of a full-length trial whose loss
 * met each goal, against what the DUT sent. */
static void note_proof(const search_ctx *c, const traffic_trial *t, double *best)
{
    if (c->dir != TRAFFIC_DIR_OUT || c->p->reflect || t->tx == 0 || t->elapsed_s <= 0)
        return;
    for (unsigned g = 0; g < c->p->n_goals; g++)
        if (t->loss_pct <= c->p->goals[g].loss_pct && t->rx_fps > best[g])
            best[g] = t->rx_fps;
}

static double max_goal_loss(const traffic_params *p)
{
    double m = 0;
    for (unsigned i = 0; i < p->n_goals; i++)
        if (p->goals[i].loss_pct > m)
            m = p->goals[i].loss_pct;
    return m;
}

/* The highest load the search may ask for: the line rate when known, else a
 * hair under what the generator managed in a calibration trial. */
static int search_max(search_ctx *c, double *max_fps, traffic_trial *ret_cal, bool *ret_calibrated)
{
    *ret_calibrated = false;
    if (*max_fps > 0)
        return 0;
    if (c->p->line_rate_mbps > 0) {
        *max_fps = traffic_line_rate_fps(c->p->line_rate_mbps, c->frame_size);
        return 0;
    }
    int rc = calibrate(c->r, c->p, c->dir, c->frame_size, TRAFFIC_TEST_THROUGHPUT, c->rep,
                       &c->index, max_fps, ret_cal);
    if (rc < 0)
        return rc;
    c->seconds += ret_cal->duration_s;
    *ret_calibrated = true;
    return 0;
}

static void result_goal(traffic_result *res, const traffic_params *p, unsigned goal)
{
    snprintf(res->goal, sizeof(res->goal), "%s", p->goals[goal].name);
    res->goal_loss_pct = p->goals[goal].loss_pct;
}

/* One trial of the MLRsearch at load fps for dur s, told to the search as judge() says.
 * 0 to go on, 1 when the search must stop (*ret_reason set), or -errno. */
static int mlr_trial(search_ctx *c, traffic_mlr *s, double fps, double dur, double *best,
                     const char **ret_reason)
{
    const traffic_params *p = c->p;
    if (s->n_trials + 2 > TRAFFIC_MLR_MAX_TRIALS) {
        *ret_reason = "search-budget";
        return 1;
    }
    traffic_trial t;
    trial_init(&t, TRAFFIC_TEST_THROUGHPUT, c->dir, c->frame_size, c->rep, &c->index,
               dur < p->trial_s ? "search" : "confirm", p->reflect, fps, dur);
    /* full-length trials carry timestamped frames: latency at load (atload.c) */
    int rc = do_trial(c->r, p, &t, seen_tagged(c, dur));
    if (rc < 0)
        return rc;
    c->seconds += t.duration_s;
    if (dur >= p->trial_s)
        traffic_seen_add(c->seen, &t, fps);
    const double sent = traffic_mlr_snap_down(s, t.sent_fps);
    const enum verdict v = judge(c, &t, fps, max_goal_loss(p));
    if (v != V_RETRY && v != V_GIVE_UP && dur >= p->trial_s)
        note_proof(c, &t, best);
    switch (v) {
    case V_RETRY:
        break;
    case V_GIVE_UP:
        *ret_reason = c->last_fault ? c->last_fault : "generator-limited";
        return 1;
    case V_AT_LOAD:
        /* offered a little under the load (within the generator's 0.5 %
         * tolerance): what was not offered was not forwarded either */
        (void)traffic_mlr_add(s, fps, dur,
                              t.sent_fps < fps * (1 - OFFERED_TOLERANCE)
                                  ? fmax(t.loss_pct / 100, loss_vs_intended(&t, fps))
                                  : t.loss_pct / 100);
        break;
    case V_AT_SENT:
        (void)traffic_mlr_add(s, sent, dur, t.loss_pct / 100);
        break;
    case V_FELL_SHORT:
        (void)traffic_mlr_add(s, fps, dur, loss_vs_intended(&t, fps));
        if (sent < fps)
            (void)traffic_mlr_add(s, sent, dur, t.loss_pct / 100);
        break;
    }
    return 0;
}

/* RFC 9971 MLRsearch over every goal at once. */
static int proc_mlr(search_ctx *c, double max_fps, traffic_result *ret)
{
    const traffic_params *p = c->p;
    traffic_trial cal;
    bool calibrated;
    int rc = search_max(c, &max_fps, &cal, &calibrated);
    if (rc < 0)
        return rc;
    traffic_mlr_goal goals[TRAFFIC_MAX_GOALS];
    unsigned n_goals;
    traffic_mlr_goals_from_params(p, goals, &n_goals);
    traffic_mlr s;
    /* the lowest load: a short trial still sends ~1000 frames (a frame or two
     * lost is then no more than 0.2 %), unless the maximum itself is that low */
    const double min_fps = fmax(max_fps * 1e-4, fmin(max_fps / 100, 1000 / goals[0].initial_s));
    traffic_mlr_init(&s, goals, n_goals, max_fps, min_fps);
    double best[TRAFFIC_MAX_GOALS] = {0};
    /* the calibration trial is the first point, at the maximum (it offered more) */
    if (calibrated)
        (void)traffic_mlr_add(&s, max_fps, cal.duration_s, cal.loss_pct / 100);
    const char *invalid_reason = NULL;
    double fps, dur, extra = 0;
    /* precision_pct: full-length trials at the bounds that cannot say yet, then
     * the search again (the bounds may move), within 10 x the duration sum */
    const double extra_cap = 10 * traffic_params_duration_sum(p);
    for (;;) {
        while (traffic_mlr_next(&s, &fps, &dur))
            if ((rc = mlr_trial(c, &s, fps, dur, best, &invalid_reason)) != 0)
                break;
        if (rc < 0)
            return rc;
        if (invalid_reason || !(p->precision_pct > 0) || extra + p->trial_s > extra_cap)
            break;
        double next = 0, worst = 0;
        for (unsigned g = 0; g < n_goals; g++) {
            double at, prec = traffic_mlr_precision(&s, g, &at);
            if (prec > p->precision_pct && at > 0 && prec > worst) {
                worst = prec;
                next = at;
            }
        }
        if (next <= 0)
            break; /* precise enough, or only a smaller width would narrow it */
        if ((rc = mlr_trial(c, &s, next, p->trial_s, best, &invalid_reason)) < 0)
            return rc;
        extra += p->trial_s;
        if (rc > 0)
            break;
    }
    for (unsigned g = 0; g < n_goals; g++) {
        traffic_mlr_result a;
        traffic_mlr_answer(&s, g, &a);
        traffic_result res;
        result_init(&res, TRAFFIC_TEST_THROUGHPUT, c->dir, c->frame_size, c->rep, p->reflect);
        result_goal(&res, p, g);
        result_rate(&res, a.conditional_fps);
        if (best[g] > 0 && a.conditional_fps < best[g] * (1 - p->resolution_pct / 100)) {
            /* Direction out: the DUT itself sent best[g] frames/s in a full-length
             * trial and the tester received them within the goal's loss.  That
             * is proof of what it can do; the figure never falls below it by
             * more than one width (a sender whose speed varies from trial to
             * trial can leave such a load undecided or above an upper bound). */
            result_rate(&res, best[g]);
        }
        res.lower_fps = a.lower_fps;
        res.upper_fps = a.upper_fps;
        double next_fps;
        res.precision_pct = p->precision_pct > 0 ? traffic_mlr_precision(&s, g, &next_fps) : -1;
        res.max_fps = max_fps;
        res.trials = c->index;
        res.trial_seconds = c->seconds;
        if (invalid_reason) {
            res.valid = false;
            res.reason = invalid_reason;
        } else if (!a.found) {
            res.valid = false;
            res.reason = "no-lower-bound";
        }
        search_emit(c, g, &res);
        if (ret && g == 0)
            *ret = res;
    }
    return 0;
}

/* The classic binary search (RFC 2544 §26.1 as usually done) for one goal:
 * full-length trials only, one per load, pass when the loss is within the goal. */
static int proc_binary(search_ctx *c, double max_fps, unsigned goal, traffic_result *ret)
{
    const traffic_params *p = c->p;
    const double goal_loss = p->goals[goal].loss_pct;
    const double width = p->resolution_pct / 100;
    double lo = 0, hi = max_fps, rate = max_fps;
    bool failed = false;
    const char *invalid_reason = NULL;
    c->invalid = 0;
    c->held = 0;
    for (unsigned n = 0; n < MAX_SEARCH_TRIALS; n++) {
        traffic_trial t;
        trial_init(&t, TRAFFIC_TEST_THROUGHPUT, c->dir, c->frame_size, c->rep, &c->index, "trial",
                   p->reflect, rate, p->trial_s);
        int rc = do_trial(c->r, p, &t, seen_tagged(c, p->trial_s));
        if (rc < 0)
            return rc;
        c->seconds += t.duration_s;
        traffic_seen_add(c->seen, &t, rate);
        enum verdict v = judge(c, &t, rate, goal_loss);
        if (v == V_RETRY)
            continue;
        if (v == V_GIVE_UP) {
            invalid_reason = c->last_fault ? c->last_fault : "generator-limited";
            break;
        }
        if (v == V_AT_LOAD && t.loss_pct <= goal_loss) {
            lo = rate;
            if (rate >= max_fps * (1 - 1e-9))
                break;
        } else {
            hi = rate;
            failed = true;
        }
        if (hi - lo <= width * hi || hi < 1)
            break;
        rate = (lo + hi) / 2;
    }
    traffic_result res;
    result_init(&res, TRAFFIC_TEST_THROUGHPUT, c->dir, c->frame_size, c->rep, p->reflect);
    result_goal(&res, p, goal);
    result_rate(&res, lo);
    res.lower_fps = lo;
    res.upper_fps = failed ? hi : 0;
    res.max_fps = max_fps;
    res.trials = c->index;
    res.trial_seconds = c->seconds;
    res.precision_pct = -1;
    if (invalid_reason) {
        res.valid = false;
        res.reason = invalid_reason;
    } else if (lo <= 0) {
        res.valid = false;
        res.reason = "no-lower-bound";
    }
    search_emit(c, goal, &res);
    if (ret)
        *ret = res;
    return 0;
}

int traffic_proc_throughput(traffic_runner *r, const traffic_params *p, enum traffic_direction dir,
                            unsigned frame_size, double max_fps, unsigned repetition,
                            traffic_result *ret)
{
    return traffic_proc_throughput_seen(r, p, dir, frame_size, max_fps, repetition, NULL, NULL,
                                        ret);
}

int traffic_proc_throughput_seen(traffic_runner *r, const traffic_params *p,
                                 enum traffic_direction dir, unsigned frame_size, double max_fps,
                                 unsigned repetition, traffic_seen *seen, traffic_result *goal_res,
                                 traffic_result *ret)
{
    search_ctx c = {.r = r,
                    .p = p,
                    .dir = dir,
                    .frame_size = frame_size,
                    .rep = repetition,
                    .seen = seen,
                    .goal_res = goal_res};
    if (p->method != TRAFFIC_METHOD_RFC2544)
        return proc_mlr(&c, max_fps, ret);
    traffic_trial cal;
    bool calibrated;
    int rc = search_max(&c, &max_fps, &cal, &calibrated);
    if (rc < 0)
        return rc;
    for (unsigned g = 0; g < p->n_goals; g++) {
        traffic_result res;
        if ((rc = proc_binary(&c, max_fps, g, &res)) < 0)
            return rc;
        if (ret && g == 0)
            *ret = res;
    }
    return 0;
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

int traffic_proc_suite(traffic_runner *r, const traffic_params *p)
{
    static const enum traffic_direction dirs[] = {TRAFFIC_DIR_IN, TRAFFIC_DIR_OUT};
    const bool need_thr = (p->tests & TRAFFIC_TEST_THROUGHPUT) ||
                          ((p->tests & (TRAFFIC_TEST_LATENCY | TRAFFIC_TEST_B2B)) &&
                           !(p->rate_fps > 0 || p->rate_mbps > 0));
    const bool at_load =
        (p->tests & TRAFFIC_TEST_LATENCY) && p->latency_mode == TRAFFIC_LATENCY_LOAD && need_thr;
    /* repeat = trials: one search whose duration sum holds the repetitions' trials */
    traffic_params sp = *p;
    unsigned reps = p->repetitions;
    if (p->repeat == TRAFFIC_REPEAT_TRIALS) {
        sp.duration_sum_s = fmax(traffic_params_duration_sum(p), p->repetitions * p->trial_s);
        reps = 1;
    }
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
            }
            for (unsigned rep = 1; (p->tests & TRAFFIC_TEST_FIXED) && rep <= p->repetitions; rep++)
                if ((rc = traffic_proc_fixed(r, p, dir, F, rep, NULL)) < 0)
                    return rc;
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
