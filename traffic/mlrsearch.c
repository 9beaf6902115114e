/* SPDX-License-Identifier: MIT */
/* RFC 9971 Multiple Loss Ratio search: load classification, conditional throughput, next load. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "traffic-priv.h"

/*
 * Loads live on a geometric grid below the maximum (fps = max * ratio^k,
 * ratio = 1 - width / 4), so that trials at nearly the same rate (a DUT
 * sender that fell short, a retry) add up at one load, and bisection never
 * asks for a load that differs from a measured one by a rounding error.
 */

static double load_fps(const traffic_mlr *s, int k)
{
    return s->max_fps * pow(s->ratio, k);
}

/* grid index of the highest load at or below fps (k >= 0, <= kmax) */
static int snap_down_k(const traffic_mlr *s, double fps)
{
    if (!(fps > 0))
        return s->kmax;
    if (fps >= s->max_fps)
        return 0;
    int k = (int)ceil(log(fps / s->max_fps) / log(s->ratio) - 1e-9);
    if (k < 0)
        k = 0;
    if (k > s->kmax)
        k = s->kmax;
    return k;
}

double traffic_mlr_snap_down(const traffic_mlr *s, double fps)
{
    return load_fps(s, snap_down_k(s, fps));
}

double traffic_mlr_cap(traffic_mlr *s, double fps)
{
    int k = snap_down_k(s, fps);
    if (k > s->kmin)
        s->kmin = k;
    return load_fps(s, s->kmin);
}

double traffic_mlr_top(const traffic_mlr *s)
{
    return load_fps(s, s->kmin);
}

static void add_target(traffic_mlr_goal_state *g, double trial_s, double sum_s, double width)
{
    traffic_mlr_target *t = &g->targets[g->n_targets++];
    t->loss_ratio = g->goal.loss_ratio;
    t->exceed_ratio = g->goal.exceed_ratio;
    t->trial_s = trial_s;
    t->sum_s = sum_s;
    t->width = width;
}

void traffic_mlr_init(traffic_mlr *s, const traffic_mlr_goal *goals, unsigned n_goals,
                      double max_fps, double min_fps)
{
    memset(s, 0, sizeof(*s));
    if (n_goals > TRAFFIC_MAX_GOALS)
        n_goals = TRAFFIC_MAX_GOALS;
    s->n_goals = n_goals;
    s->max_fps = max_fps > 0 ? max_fps : 1;
    s->min_fps = min_fps > 0 && min_fps < s->max_fps ? min_fps : s->max_fps / 1e6;
    double wmin = 0.5;
    for (unsigned i = 0; i < n_goals; i++) {
        traffic_mlr_goal_state *g = &s->goals[i];
        g->goal = goals[i];
        if (g->goal.width < wmin)
            wmin = g->goal.width;
        /* Coarse targets first (RFC 9971 §1: earlier targets spend less time and
         * aim for less precision): one initial-length trial decides a load at
         * 4 x the width, then one full-length trial at 2 x, then the goal. */
        const double w = g->goal.width;
        if (g->goal.initial_s < g->goal.final_s)
            add_target(g, g->goal.initial_s, g->goal.initial_s, fmin(0.5, 4 * w));
        if (g->goal.sum_s > g->goal.final_s)
            add_target(g, g->goal.final_s, g->goal.final_s, fmin(0.5, 2 * w));
        add_target(g, g->goal.final_s, g->goal.sum_s, w);
    }
    if (wmin < 1e-4)
        wmin = 1e-4;
    s->ratio = 1 - wmin / 4;
    s->kmax = (int)ceil(log(s->min_fps / s->max_fps) / log(s->ratio));
    if (s->kmax < 1)
        s->kmax = 1;
}

static int find_load(const traffic_mlr *s, int k)
{
    for (unsigned i = 0; i < s->n_loads; i++)
        if (s->loads[i].k == k)
            return (int)i;
    return -1;
}

int traffic_mlr_add(traffic_mlr *s, double fps, double dur_s, double loss_ratio)
{
    if (s->n_trials >= TRAFFIC_MLR_MAX_TRIALS)
        return -ENOSPC;
    int k = snap_down_k(s, fps * (1 + 1e-9));
    int li = find_load(s, k);
    if (li < 0) {
        if (s->n_loads >= TRAFFIC_MLR_MAX_TRIALS)
            return -ENOSPC;
        li = (int)s->n_loads++;
        s->loads[li].k = k;
        s->loads[li].fps = load_fps(s, k);
    }
    traffic_mlr_trial *t = &s->trials[s->n_trials++];
    t->load = (unsigned)li;
    t->dur_s = dur_s;
    t->loss_ratio = loss_ratio < 0 ? 0 : loss_ratio > 1 ? 1 : loss_ratio;
    s->trial_seconds += dur_s;
    return 0;
}

/* The duration sums of RFC 9971 appendix A for one load and target. */
typedef struct sums {
    double fll, flh, sll, slh; /* full-length low/high loss, short low/high loss, s */
} sums;

static sums load_sums(const traffic_mlr *s, unsigned load, const traffic_mlr_target *t)
{
    sums x = {0};
    for (unsigned i = 0; i < s->n_trials; i++) {
        const traffic_mlr_trial *tr = &s->trials[i];
        if (tr->load != load)
            continue;
        const bool full = tr->dur_s >= t->trial_s * (1 - 1e-9);
        const bool high = tr->loss_ratio > t->loss_ratio;
        if (full)
            *(high ? &x.flh : &x.fll) += tr->dur_s;
        else
            *(high ? &x.slh : &x.sll) += tr->dur_s;
    }
    return x;
}

enum traffic_mlr_class traffic_mlr_classify(const traffic_mlr *s, unsigned load,
                                            const traffic_mlr_target *t)
{
    const sums x = load_sums(s, load, t);
    const double er = t->exceed_ratio;
    const double exceed_coefficient = er / (1 - er);
    const double balancing = x.sll * exceed_coefficient;
    const double positive_excess = fmax(0, x.slh - balancing);
    const double effect_high = x.flh + positive_excess;
    const double effect_full = x.fll + effect_high;
    const double effect_whole = fmax(effect_full, t->sum_s);
    const double quantile = effect_whole * er;
    const double pessimistic_high = effect_whole - x.fll;
    /* a hair of tolerance: sums of equal durations must compare equal */
    const double eps = 1e-9 * effect_whole;
    const bool pessimistic_lower = pessimistic_high <= quantile + eps;
    const bool optimistic_lower = effect_high <= quantile + eps;
    if (pessimistic_lower && optimistic_lower)
        return TRAFFIC_MLR_LOWER;
    if (!pessimistic_lower && !optimistic_lower)
        return TRAFFIC_MLR_UPPER;
    return TRAFFIC_MLR_UNDECIDED;
}

/* RFC 9971 appendix B: the load times (1 - the loss ratio at the exceed quantile of the
 * full-length trials, longest-first by low loss); 0 when there is no full-length trial. */
static double conditional_fps(const traffic_mlr *s, unsigned load, const traffic_mlr_target *t)
{
    double loss[TRAFFIC_MLR_MAX_TRIALS], dur[TRAFFIC_MLR_MAX_TRIALS];
    unsigned n = 0;
    double full = 0;
    for (unsigned i = 0; i < s->n_trials; i++) {
        const traffic_mlr_trial *tr = &s->trials[i];
        if (tr->load != load || tr->dur_s < t->trial_s * (1 - 1e-9))
            continue;
        /* insertion sort by increasing loss ratio */
        unsigned j = n++;
        while (j > 0 && loss[j - 1] > tr->loss_ratio) {
            loss[j] = loss[j - 1];
            dur[j] = dur[j - 1];
            j--;
        }
        loss[j] = tr->loss_ratio;
        dur[j] = tr->dur_s;
        full += tr->dur_s;
    }
    if (n == 0)
        return 0;
    double remaining = fmax(t->sum_s, full) * (1 - t->exceed_ratio);
    double q = -1;
    unsigned i = 0;
    for (; i < n; i++) {
        if (q < 0 || remaining > 1e-9) {
            q = loss[i];
            remaining -= dur[i];
        } else {
            break;
        }
    }
    if (i == n && remaining > 1e-9)
        q = 1;
    return s->loads[load].fps * (1 - q);
}

/* Relevant bounds of one target: the smallest upper bound, the largest lower bound under it,
 * and the smallest undecided load between them; -1 = none. */
typedef struct bounds {
    int ub, lb, und;
} bounds;

static bounds target_bounds(const traffic_mlr *s, const traffic_mlr_target *t)
{
    enum traffic_mlr_class cls[TRAFFIC_MLR_MAX_TRIALS];
    bounds b = {-1, -1, -1};
    for (unsigned i = 0; i < s->n_loads; i++) {
        cls[i] = traffic_mlr_classify(s, i, t);
        if (cls[i] == TRAFFIC_MLR_UPPER && (b.ub < 0 || s->loads[i].k > s->loads[b.ub].k))
            b.ub = (int)i;
    }
    const int kub = b.ub < 0 ? -1 : s->loads[b.ub].k;
    for (unsigned i = 0; i < s->n_loads; i++) {
        const int k = s->loads[i].k;
        if (cls[i] == TRAFFIC_MLR_LOWER && k > kub && (b.lb < 0 || k < s->loads[b.lb].k))
            b.lb = (int)i;
    }
    const int klb = b.lb < 0 ? s->kmax + 1 : s->loads[b.lb].k;
    /* Of the undecided loads between the bounds, the one nearest the middle:
     * whatever it turns out to be, about half of the others stop mattering.
     * (RFC 9971 leaves the order to the implementation; the reported bounds
     * do not depend on it.) */
    const double mid = ((kub < 0 ? 0 : kub) + (double)klb) / 2;
    for (unsigned i = 0; i < s->n_loads; i++) {
        const int k = s->loads[i].k;
        if (cls[i] == TRAFFIC_MLR_UNDECIDED && k > kub && k < klb &&
            (b.und < 0 || fabs(k - mid) < fabs(s->loads[b.und].k - mid)))
            b.und = (int)i;
    }
    return b;
}

/* The highest forwarding rate (load x (1 - loss)) of the trials at a load. */
static double ub_forwarding(const traffic_mlr *s, const traffic_mlr_load *l)
{
    double fwd = 0;
    for (unsigned i = 0; i < s->n_trials; i++)
        if (&s->loads[s->trials[i].load] == l && 1 - s->trials[i].loss_ratio > fwd)
            fwd = 1 - s->trials[i].loss_ratio;
    return fwd * l->fps;
}

/* The next load for one goal's current target; false when that target is decided. */
static bool target_next(traffic_mlr *s, traffic_mlr_goal_state *g, const traffic_mlr_target *t,
                        int *ret_k)
{
    const bounds b = target_bounds(s, t);
    if (b.lb >= 0 && s->loads[b.lb].k <= s->kmin)
        return false; /* the maximum (or the ceiling the tester set) is a lower bound */
    if (b.und >= 0 && s->loads[b.und].k >= s->kmin) {
        *ret_k = s->loads[b.und].k;
        return true;
    }
    if (b.ub < 0 || s->loads[b.ub].k < s->kmin) {
        *ret_k = s->kmin; /* nothing measured between the lower bound and the ceiling */
        return true;
    }
    const traffic_mlr_load *ub = &s->loads[b.ub];
    if (b.lb < 0) {
        if (ub->k >= s->kmax)
            return false; /* no lower bound above the minimum load */
        /* External search down: jump to what got through (the forwarding ratio
         * seen at the upper bound), at least one width, doubling the step each
         * time the load below fails too (no creeping down by one width). */
        const double fwd = ub_forwarding(s, ub) / ub->fps;
        const double step = fmin(0.9, t->width * (double)(1u << (g->down < 16 ? g->down : 16)));
        double next = ub->fps * fmin(fwd * (1 - t->width / 4), 1 - step);
        g->down++;
        int k = snap_down_k(s, next);
        if (k <= ub->k)
            k = ub->k + 1;
        *ret_k = k < s->kmin ? s->kmin : k;
        return true;
    }
    const traffic_mlr_load *lb = &s->loads[b.lb];
    if (ub->fps - lb->fps <= t->width * ub->fps * (1 + 1e-9) || lb->k - ub->k <= 1)
        return false;
    /* Use the loss seen: what got through at the upper bound estimates the
     * knee.  Just under it when that lies inside the interval, at least a
     * width under the upper bound (a small loss at every rate must not make
     * the search creep down); when it lies at or under the lower bound, probe
     * just under one width above the lower bound, which closes the interval if
     * it fails; else bisect. */
    const double est = ub_forwarding(s, ub);
    const int kest = snap_down_k(s, est);
    int k = (lb->k + ub->k) / 2;
    if (kest > ub->k && kest < lb->k) {
        if (est <= ub->fps * (1 - t->width))
            k = kest;
    } else if (kest >= lb->k) {
        int nw = (int)floor(log(1 - 0.9 * t->width) / log(s->ratio));
        k = lb->k - (nw > 1 ? nw : 1);
        if (k <= ub->k)
            k = (lb->k + ub->k) / 2;
    }
    *ret_k = k < s->kmin ? s->kmin : k;
    return true;
}

int traffic_mlr_next(traffic_mlr *s, double *ret_fps, double *ret_dur_s)
{
    for (unsigned i = 0; i < s->n_goals; i++) {
        traffic_mlr_goal_state *g = &s->goals[i];
        while (g->stage < g->n_targets) {
            const traffic_mlr_target *t = &g->targets[g->stage];
            int k;
            if (target_next(s, g, t, &k)) {
                *ret_fps = load_fps(s, k);
                *ret_dur_s = t->trial_s;
                return 1;
            }
            g->stage++;
            g->down = 0;
        }
    }
    return 0;
}

void traffic_mlr_answer(const traffic_mlr *s, unsigned goal, traffic_mlr_result *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (goal >= s->n_goals)
        return;
    const traffic_mlr_goal_state *g = &s->goals[goal];
    const traffic_mlr_target *t = &g->targets[g->n_targets - 1];
    const bounds b = target_bounds(s, t);
    if (b.ub >= 0)
        ret->upper_fps = s->loads[b.ub].fps;
    if (b.lb >= 0) {
        ret->found = true;
        ret->lower_fps = s->loads[b.lb].fps;
        ret->conditional_fps = conditional_fps(s, (unsigned)b.lb, t);
    }
}

/* ---- precision: how well the trials pin each goal's figure ---- */

/* Wilson score interval (95 %) of the proportion h of n. */
static void wilson95(unsigned h, unsigned n, double *lo, double *hi)
{
    const double z = 1.959964, z2 = z * z;
    const double ph = (double)h / n, den = 1 + z2 / n;
    const double c = (ph + z2 / (2.0 * n)) / den;
    const double hw = z * sqrt(ph * (1 - ph) / n + z2 / (4.0 * n * n)) / den;
    *lo = c - hw;
    *hi = c + hw;
}

/* Whether a load is a lower (-1) or upper (+1) bound of a target with 95 %
 * confidence: the share of its full-length trials over the goal's loss lies
 * entirely under (or over) the exceed ratio; 0 when the trials cannot say. */
static int confident(const traffic_mlr *s, unsigned load, const traffic_mlr_target *t)
{
    unsigned n = 0, h = 0;
    for (unsigned i = 0; i < s->n_trials; i++) {
        const traffic_mlr_trial *tr = &s->trials[i];
        if (tr->load != load || tr->dur_s < t->trial_s * (1 - 1e-9))
            continue;
        n++;
        h += tr->loss_ratio > t->loss_ratio;
    }
    if (n == 0)
        return 0;
    double lo, hi;
    wilson95(h, n, &lo, &hi);
    if (hi <= t->exceed_ratio)
        return -1;
    if (lo > t->exceed_ratio)
        return 1;
    return 0;
}

double traffic_mlr_precision(const traffic_mlr *s, unsigned goal, double *ret_next_fps)
{
    *ret_next_fps = 0;
    if (goal >= s->n_goals)
        return INFINITY;
    const traffic_mlr_goal_state *g = &s->goals[goal];
    const traffic_mlr_target *t = &g->targets[g->n_targets - 1];
    const bounds b = target_bounds(s, t);
    if (b.lb < 0)
        return INFINITY; /* no figure to be precise about */
    const double fig = conditional_fps(s, (unsigned)b.lb, t);
    if (!(fig > 0))
        return INFINITY;
    /* the interval the figure lies in with 95 % confidence: the highest
     * confident lower bound at or under the relevant one, the lowest confident
     * upper bound at or over the relevant one (the maximum when none) */
    double lo = 0, hi = s->max_fps;
    const int klb = s->loads[b.lb].k, kub = b.ub >= 0 ? s->loads[b.ub].k : -1;
    for (unsigned i = 0; i < s->n_loads; i++) {
        const int k = s->loads[i].k;
        const int c = confident(s, i, t);
        if (c < 0 && k >= klb && s->loads[i].fps > lo)
            lo = s->loads[i].fps;
        if (c > 0 && kub >= 0 && k <= kub && s->loads[i].fps < hi)
            hi = s->loads[i].fps;
    }
    if (b.ub < 0 && klb == 0)
        hi = s->loads[b.lb].fps; /* the maximum is the answer: nothing above */
    /* more trials where the relevant bounds are not yet confident */
    if (confident(s, (unsigned)b.lb, t) >= 0)
        *ret_next_fps = s->loads[b.lb].fps;
    else if (b.ub >= 0 && confident(s, (unsigned)b.ub, t) <= 0)
        *ret_next_fps = s->loads[b.ub].fps;
    return (hi - lo) / 2 / fig * 100;
}

double traffic_mlr_precision_next(const traffic_mlr *s, double target_pct)
{
    double next = 0, worst = 0;
    for (unsigned g = 0; g < s->n_goals; g++) {
        double at, prec = traffic_mlr_precision(s, g, &at);
        if (prec > target_pct && at > 0 && prec > worst) {
            worst = prec;
            next = at;
        }
    }
    return next;
}

/* ---- goals: parsing and defaults ---- */

int traffic_goals_from_list(const char *list, traffic_goal *goals, unsigned max, unsigned *ret_n)
{
    unsigned n = 0;
    const char *p = list;
    if (!list || !*list)
        return -EINVAL;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *end = p + strcspn(p, ",");
        const char *colon = memchr(p, ':', (size_t)(end - p));
        const char *name_end = colon ? colon : end;
        while (name_end > p && (name_end[-1] == ' ' || name_end[-1] == '\t'))
            name_end--;
        size_t len = (size_t)(name_end - p);
        if (n >= max || len == 0 || len >= TRAFFIC_GOAL_NAME)
            return -EINVAL;
        traffic_goal *g = &goals[n];
        memset(g, 0, sizeof(*g));
        for (size_t i = 0; i < len; i++) {
            char c = p[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
                return -EINVAL;
            g->name[i] = c;
        }
        if (colon) {
            char num[32];
            size_t nl = (size_t)(end - colon - 1);
            if (nl == 0 || nl >= sizeof(num))
                return -EINVAL;
            memcpy(num, colon + 1, nl);
            num[nl] = '\0';
            if (traffic_parse_double(num, 0, 50, &g->loss_pct) < 0)
                return -EINVAL;
        } else if (strcmp(g->name, "ndr") == 0) {
            g->loss_pct = 0;
        } else if (strcmp(g->name, "pdr") == 0) {
            g->loss_pct = TRAFFIC_PDR_LOSS_PCT;
        } else {
            return -EINVAL; /* only ndr and pdr have a default loss */
        }
        for (unsigned i = 0; i < n; i++)
            if (strcmp(goals[i].name, g->name) == 0)
                return -EINVAL;
        n++;
        p = *end ? end + 1 : end;
        if (*end && !*p)
            return -EINVAL; /* trailing comma */
    }
    *ret_n = n;
    return 0;
}

void traffic_goals_set_tolerance(traffic_params *p, double loss_pct)
{
    p->loss_tolerance_pct = loss_pct;
    p->n_goals = 1;
    memset(&p->goals[0], 0, sizeof(p->goals[0]));
    snprintf(p->goals[0].name, sizeof(p->goals[0].name), "%s", loss_pct > 0 ? "pdr" : "ndr");
    p->goals[0].loss_pct = loss_pct;
}

double traffic_params_duration_sum(const traffic_params *p)
{
    return p->duration_sum_s > 0 ? p->duration_sum_s : 3 * p->trial_s;
}

const char *traffic_method_name(enum traffic_method m)
{
    switch (m) {
    case TRAFFIC_METHOD_MLR:
        return "mlrsearch";
    case TRAFFIC_METHOD_RFC2544:
        return "rfc2544";
    }
    return "?";
}

int traffic_method_from_name(const char *name)
{
    if (name && strcmp(name, "mlrsearch") == 0)
        return TRAFFIC_METHOD_MLR;
    if (name && strcmp(name, "rfc2544") == 0)
        return TRAFFIC_METHOD_RFC2544;
    return -EINVAL;
}

int traffic_goals_validate(const traffic_params *p, const char **ret_msg)
{
    const char *msg = NULL;
    if (p->n_goals < 1 || p->n_goals > TRAFFIC_MAX_GOALS)
        msg = "goals: 1 to 4 goals";
    for (unsigned i = 0; !msg && i < p->n_goals; i++) {
        const traffic_goal *g = &p->goals[i];
        if (!g->name[0] || !memchr(g->name, '\0', sizeof(g->name)))
            msg = "goals: each goal needs a name";
        else if (!(isfinite(g->loss_pct) && g->loss_pct >= 0 && g->loss_pct <= 50))
            msg = "goals: loss 0 to 50 %";
        for (unsigned j = 0; !msg && j < i; j++)
            if (strcmp(p->goals[j].name, g->name) == 0)
                msg = "goals: names must differ";
    }
    if (ret_msg)
        *ret_msg = msg;
    return msg ? -EINVAL : 0;
}

void traffic_mlr_goals_from_params(const traffic_params *p, traffic_mlr_goal *ret, unsigned *ret_n)
{
    *ret_n = p->n_goals;
    for (unsigned i = 0; i < p->n_goals; i++) {
        ret[i].loss_ratio = p->goals[i].loss_pct / 100;
        ret[i].exceed_ratio = p->exceed_pct / 100;
        ret[i].final_s = p->trial_s;
        ret[i].sum_s = traffic_params_duration_sum(p);
        ret[i].initial_s = p->search_trial_s < p->trial_s ? p->search_trial_s : p->trial_s;
        ret[i].width = p->resolution_pct / 100;
    }
}
