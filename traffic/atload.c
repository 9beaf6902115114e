/* SPDX-License-Identifier: MIT */
/* Latency at load and the loss curve from the throughput search's own full-length trials. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "traffic-priv.h"

/*
 * Latency under load (as FD.io CSIT and TRex measure it): every full-length trial of the
 * search carries p->latency_tagged echo requests spread evenly over it (every Nth frame of
 * the stream has the echo flag; the frame is an ordinary frame of the trial: same size, same
 * slot in the schedule, same sequence numbering).  So the offered load is unchanged, a tagged
 * frame lost is counted as lost like any other, and the echoes travel the reverse path
 * (1000 per 60 s trial, a 17 frames/s trickle that the forward loss does not count).  The
 * RTT comes only from echoes that came back: at a load with loss it describes the frames
 * that got through, as the standalone RFC 2544 procedure does.  Tags sample the whole trial
 * (evenly spaced), not its start; short search trials carry none, so latency is only ever
 * reported from trials of the final duration.
 */

const unsigned traffic_latency_levels_pct[TRAFFIC_LATENCY_LEVELS] = {10, 50, 90};

const char *traffic_latency_mode_name(enum traffic_latency_mode m)
{
    switch (m) {
    case TRAFFIC_LATENCY_LOAD:
        return "load";
    case TRAFFIC_LATENCY_RFC2544:
        return "rfc2544";
    }
    return "?";
}

int traffic_latency_mode_from_name(const char *name)
{
    if (name && strcmp(name, "load") == 0)
        return TRAFFIC_LATENCY_LOAD;
    if (name && strcmp(name, "rfc2544") == 0)
        return TRAFFIC_LATENCY_RFC2544;
    return -EINVAL;
}

const char *traffic_repeat_name(enum traffic_repeat r)
{
    switch (r) {
    case TRAFFIC_REPEAT_SEARCHES:
        return "searches";
    case TRAFFIC_REPEAT_TRIALS:
        return "trials";
    }
    return "?";
}

int traffic_repeat_from_name(const char *name)
{
    if (name && strcmp(name, "searches") == 0)
        return TRAFFIC_REPEAT_SEARCHES;
    if (name && strcmp(name, "trials") == 0)
        return TRAFFIC_REPEAT_TRIALS;
    return -EINVAL;
}

double traffic_t95(unsigned df)
{
    static const double t[] = {0,     12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
                               2.306, 2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
                               2.120, 2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069,
                               2.064, 2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
    if (df == 0)
        return INFINITY;
    if (df < sizeof(t) / sizeof(t[0]))
        return t[df];
    return df < 60 ? 2.000 : df < 120 ? 1.980 : 1.960;
}

void traffic_seen_init(traffic_seen *s, unsigned tagged)
{
    s->tagged = tagged;
    s->n = 0;
}

void traffic_seen_add(traffic_seen *s, const traffic_trial *t, double fps)
{
    if (!s || s->n >= TRAFFIC_MLR_MAX_TRIALS)
        return;
    traffic_seen_trial *x = &s->t[s->n++];
    x->fps = fps;
    x->dur_s = t->duration_s;
    x->loss_pct = t->loss_pct;
    x->rx_fps = t->rx_fps;
    x->valid = t->valid;
    x->has_rtt = t->has_rtt && t->rtt.samples > 0;
    x->rtt = t->rtt;
}

static bool same_load(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(a, b);
}

void traffic_seen_fill_result(const traffic_seen *s, traffic_result *res)
{
    res->n_load_trials = 0;
    if (!s || !(res->lower_fps > 0))
        return;
    for (unsigned i = 0; i < s->n && res->n_load_trials < TRAFFIC_MAX_LOAD_TRIALS; i++)
        if (s->t[i].valid && same_load(s->t[i].fps, res->lower_fps))
            res->load_trial_fps[res->n_load_trials++] = s->t[i].fps * (1 - s->t[i].loss_pct / 100);
}

const traffic_seen_trial *traffic_seen_near(const traffic_seen *s, double fps, double tol_fps)
{
    const traffic_seen_trial *best = NULL;
    for (unsigned i = 0; s && i < s->n; i++) {
        const double d = fabs(s->t[i].fps - fps);
        if (s->t[i].valid && d <= tol_fps && (!best || d < fabs(best->fps - fps)))
            best = &s->t[i];
    }
    return best;
}

/* The goal whose load the CSIT levels are shares of: "pdr", else the one with most loss. */
static unsigned pdr_goal(const traffic_params *p)
{
    unsigned best = 0;
    for (unsigned g = 0; g < p->n_goals; g++) {
        if (strcmp(p->goals[g].name, "pdr") == 0)
            return g;
        if (p->goals[g].loss_pct > p->goals[best].loss_pct)
            best = g;
    }
    return best;
}

/* One latency figure: name, load, the trials' summaries (one figure each with repeat =
 * trials, their RFC 2544 mean otherwise). */
static void emit_latency(traffic_runner *r, const traffic_params *p, enum traffic_direction dir,
                         unsigned frame_size, unsigned rep, const char *name, double pct_of_pdr,
                         double fps, const traffic_rtt_summary *const *x, unsigned n)
{
    traffic_result res;
    traffic_proc_result_init(&res, TRAFFIC_TEST_LATENCY, dir, frame_size, rep, p->reflect, fps);
    snprintf(res.goal, sizeof(res.goal), "%s", name);
    res.pct_of_pdr = pct_of_pdr;
    if (n == 0) {
        res.valid = false;
        res.reason = fps > 0 ? "no-echo" : "no-throughput";
        traffic_proc_emit(r, &res);
        return;
    }
    if (p->repeat == TRAFFIC_REPEAT_TRIALS) {
        for (unsigned k = 0; k < n; k++) {
            traffic_rtt_summary sum = {0};
            traffic_result one = res;
            one.repetition = k + 1;
            one.trials = 1;
            traffic_rtt_accumulate(&sum, x[k], 0);
            traffic_rtt_finish(&one, &sum, 1);
            traffic_proc_emit(r, &one);
        }
        return;
    }
    traffic_rtt_summary sum = {0};
    for (unsigned k = 0; k < n; k++)
        traffic_rtt_accumulate(&sum, x[k], k);
    traffic_rtt_finish(&res, &sum, n);
    res.trials = n;
    traffic_proc_emit(r, &res);
}

/* A new trial at fps carrying p->latency_tagged echo requests.  Its echoes count even when
 * the tester fell a little short of fps (as in the standalone procedure): the RTT of the
 * frames sent is measured either way. */
static int latency_trial(traffic_runner *r, const traffic_params *p, enum traffic_direction dir,
                         unsigned frame_size, unsigned rep, unsigned *index, double fps,
                         traffic_trial *ret)
{
    traffic_proc_trial_init(ret, TRAFFIC_TEST_LATENCY, dir, frame_size, rep, index, "trial",
                            p->reflect, fps, p->trial_s);
    return traffic_proc_do_trial(r, p, ret, p->latency_tagged);
}

int traffic_proc_latency_at_load(traffic_runner *r, const traffic_params *p,
                                 enum traffic_direction dir, unsigned frame_size,
                                 unsigned repetition, const traffic_seen *seen,
                                 const traffic_result *goal_res)
{
    unsigned index = 0;
    int rc;
    for (unsigned g = 0; g < p->n_goals; g++) {
        const traffic_result *gr = &goal_res[g];
        const double load = gr->valid ? gr->lower_fps : 0;
        const traffic_rtt_summary *x[TRAFFIC_MLR_MAX_TRIALS];
        unsigned n = 0;
        for (unsigned i = 0; load > 0 && i < seen->n; i++)
            if (seen->t[i].valid && seen->t[i].has_rtt && same_load(seen->t[i].fps, load))
                x[n++] = &seen->t[i].rtt;
        traffic_trial t;
        if (load > 0 && n == 0) {
            /* the lower bound came from a load the search did not ask for itself (a DUT
             * sender that fell short): one trial there */
            if ((rc = latency_trial(r, p, dir, frame_size, repetition, &index, load, &t)) < 0)
                return rc;
            if (t.has_rtt && t.rtt.samples > 0)
                x[n++] = &t.rtt;
        }
        emit_latency(r, p, dir, frame_size, repetition, p->goals[g].name, 0, load, x, n);
    }
    const unsigned pg = pdr_goal(p);
    const double pdr = goal_res[pg].valid ? goal_res[pg].fps : 0;
    for (unsigned l = 0; l < TRAFFIC_LATENCY_LEVELS; l++) {
        const unsigned pct = traffic_latency_levels_pct[l];
        char name[TRAFFIC_GOAL_NAME];
        snprintf(name, sizeof(name), "%.11s_%u", p->goals[pg].name, pct);
        const traffic_rtt_summary *x[1];
        unsigned n = 0;
        traffic_trial t;
        if (pdr > 0) {
            if ((rc = latency_trial(r, p, dir, frame_size, repetition, &index, pdr * pct / 100,
                                    &t)) < 0)
                return rc;
            if (t.has_rtt && t.rtt.samples > 0)
                x[n++] = &t.rtt;
        }
        emit_latency(r, p, dir, frame_size, repetition, name, pct, pdr * pct / 100, x, n);
    }
    return 0;
}
