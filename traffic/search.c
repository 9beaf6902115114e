/* SPDX-License-Identifier: MIT */
/* The throughput search (RFC 2544 §26.1 binary search and RFC 9971 MLRsearch) over a trial
 * runner. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "traffic-priv.h"

#define MAX_SEARCH_TRIALS TRAFFIC_MAX_SEARCH_TRIALS
#define MAX_INVALID_RETRIES TRAFFIC_MAX_INVALID_RETRIES
/* trials in a row that could not offer a rate well under the generator's
 * best: the path holds the sender back (a shaper on the tester's egress) */
#define HELD_BACK_TRIALS 3u
/* Times a search lowers its top for a starved tester: at the top after HELD_BACK_TRIALS,
 * under it once the retries are spent; beyond that it is a busy host, not the tester's
 * limit, and the search gives up (tester-starved). */
#define MAX_CEILINGS 3u
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
    V_CEILING,    /* the tester, starved, cannot offer this load: search under what it sent */
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
    double starved_sent; /* the least a starved tester sent since the last decision, fps */
    double ceiling_fps;     /* > 0: the starved tester's ceiling the search ran under */
    unsigned ceilings;      /* times it was lowered */
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
    traffic_proc_emit(c->r, res);
}

/* at_top: fps is the highest load the search may ask for (the maximum, or a ceiling). */
static enum verdict judge(search_ctx *c, const traffic_trial *t, double fps, double max_loss_pct,
                          bool at_top)
{
    if (t->valid) {
        c->held = 0;
        c->starved_sent = 0; /* an old starved moment must not set a later ceiling */
        return V_AT_LOAD;
    }
    if (dut_tx_limited(c->p, c->dir, t))
        return V_FELL_SHORT;
    const bool starved = t->reason && strcmp(t->reason, "tester-starved") == 0;
    const bool short_sent = t->reason &&
                            (starved || strcmp(t->reason, "generator-limited") == 0) &&
                            t->tx > 0 && t->elapsed_s > 0 && t->sent_fps < fps;
    if (starved && short_sent && (c->starved_sent <= 0 || t->sent_fps < c->starved_sent))
        c->starved_sent = t->sent_fps;
    if (short_sent && t->loss_pct > max_loss_pct) {
        /* the tester fell short, but what it sent was lost over every goal: a
         * finding at the load that was offered (a shaper on the tester's egress
         * that also drops; a DUT overloaded even by what a starved tester got out) */
        c->held = 0;
        return V_AT_SENT;
    }
    if (short_sent) {
        /* The same load held back HELD_BACK_TRIALS times in a row, with no loss
         * to speak of.  Not starved: the path pushes back on the sender (a
         * shaper on the tester's egress) and this load cannot be offered; those
         * trials were a finding.  Starved at the search's highest load: the
         * tester's CPU cannot produce it (64 B at line rate); that says nothing
         * of the DUT, so the search goes on under what was sent (starved at a
         * lower load is retried first: a busy moment).  Either way retries start
         * again. */
        c->held = c->held_fps == fps ? c->held + 1 : 1;
        c->held_fps = fps;
        if (c->held >= HELD_BACK_TRIALS && (!starved || (at_top && c->ceilings < MAX_CEILINGS))) {
            c->held = 0;
            c->invalid = 0;
            c->ceilings += starved;
            return starved ? V_CEILING : V_FELL_SHORT;
        }
    }
    c->last_fault = t->reason;
    if (++c->invalid > MAX_INVALID_RETRIES) {
        if (short_sent && starved && c->ceilings < MAX_CEILINGS) {
            /* starved through every retry under the top (the bare-host cell on a small
             * machine: the DUT's receiver and the tester share its CPUs): the tester
             * cannot send this load, so search under what it sent rather than lose the
             * figure */
            c->held = 0;
            c->invalid = 0;
            c->ceilings++;
            return V_CEILING;
        }
        return V_GIVE_UP;
    }
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
    int rc = traffic_proc_calibrate(c->r, c->p, c->dir, c->frame_size, TRAFFIC_TEST_THROUGHPUT,
                                    c->rep, &c->index, max_fps, ret_cal);
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
    traffic_proc_trial_init(&t, TRAFFIC_TEST_THROUGHPUT, c->dir, c->frame_size, c->rep, &c->index,
                            dur < p->trial_s ? "search" : "confirm", p->reflect, fps, dur);
    /* full-length trials carry timestamped frames: latency at load (atload.c) */
    int rc = traffic_proc_do_trial(c->r, p, &t, seen_tagged(c, dur));
    if (rc < 0)
        return rc;
    c->seconds += t.duration_s;
    if (dur >= p->trial_s)
        traffic_seen_add(c->seen, &t, fps);
    const double sent = traffic_mlr_snap_down(s, t.sent_fps);
    const bool at_top = fps >= traffic_mlr_top(s) * (1 - 1e-9);
    const enum verdict v = judge(c, &t, fps, max_goal_loss(p), at_top);
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
    case V_CEILING:
        /* under the least it sent: a tester whose reach varies then reaches the new top */
        c->ceiling_fps = traffic_mlr_cap(s, fmin(c->starved_sent, fps * s->ratio));
        c->starved_sent = 0;
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
        const double next = traffic_mlr_precision_next(&s, p->precision_pct);
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
        traffic_proc_result_init(&res, TRAFFIC_TEST_THROUGHPUT, c->dir, c->frame_size, c->rep,
                                 p->reflect, a.conditional_fps);
        result_goal(&res, p, g);
        if (best[g] > 0 && a.conditional_fps < best[g] * (1 - p->resolution_pct / 100)) {
            /* Direction out: the DUT itself sent best[g] frames/s in a full-length
             * trial and the tester received them within the goal's loss.  That
             * is proof of what it can do; the figure never falls below it by
             * more than one width (a sender whose speed varies from trial to
             * trial can leave such a load undecided or above an upper bound). */
            traffic_proc_result_rate(&res, best[g]);
        }
        res.lower_fps = a.lower_fps;
        res.upper_fps = a.upper_fps;
        double next_fps;
        res.precision_pct = p->precision_pct > 0 ? traffic_mlr_precision(&s, g, &next_fps) : -1;
        res.max_fps = c->ceiling_fps > 0 ? c->ceiling_fps : max_fps;
        res.at_tester_ceiling =
            c->ceiling_fps > 0 && res.fps >= c->ceiling_fps * (1 - p->resolution_pct / 100);
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
    if (c->ceiling_fps > 0 && c->ceiling_fps < max_fps)
        max_fps = c->ceiling_fps; /* an earlier goal found what the tester can send */
    double lo = 0, hi = max_fps, rate = max_fps;
    bool failed = false;
    const char *invalid_reason = NULL;
    c->invalid = 0;
    c->held = 0;
    for (unsigned n = 0; n < MAX_SEARCH_TRIALS; n++) {
        traffic_trial t;
        traffic_proc_trial_init(&t, TRAFFIC_TEST_THROUGHPUT, c->dir, c->frame_size, c->rep,
                                &c->index, "trial", p->reflect, rate, p->trial_s);
        int rc = traffic_proc_do_trial(c->r, p, &t, seen_tagged(c, p->trial_s));
        if (rc < 0)
            return rc;
        c->seconds += t.duration_s;
        traffic_seen_add(c->seen, &t, rate);
        enum verdict v = judge(c, &t, rate, goal_loss, rate >= max_fps * (1 - 1e-9));
        if (v == V_RETRY)
            continue;
        if (v == V_CEILING) {
            /* the tester cannot offer more: the search's maximum is what it sent */
            max_fps = hi = rate = c->ceiling_fps = fmin(c->starved_sent, rate * (1 - width / 4));
            c->starved_sent = 0;
            if (hi - lo <= width * hi || hi < 1)
                break;
            continue;
        }
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
    traffic_proc_result_init(&res, TRAFFIC_TEST_THROUGHPUT, c->dir, c->frame_size, c->rep,
                             p->reflect, lo);
    result_goal(&res, p, goal);
    res.lower_fps = lo;
    res.upper_fps = failed ? hi : 0;
    res.max_fps = max_fps;
    res.at_tester_ceiling = c->ceiling_fps > 0 && lo >= c->ceiling_fps * (1 - width);
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
