/* SPDX-License-Identifier: MIT */
/* Statistics behind results and compare: mean, stddev, Student t, Welch's t-test. */
#include <math.h>
#include <stdlib.h>

#include "store-priv.h"

double stats_mean(const double *x, guint n)
{
    double sum = 0.0;

    if (n == 0)
        return NAN;
    for (guint i = 0; i < n; i++)
        sum += x[i];
    return sum / n;
}

double stats_stddev(const double *x, guint n)
{
    double mean, ss = 0.0;

    if (n < 2)
        return NAN;
    mean = stats_mean(x, n);
    /* two-pass: numerically sound for the small n of repetitions */
    for (guint i = 0; i < n; i++)
        ss += (x[i] - mean) * (x[i] - mean);
    return sqrt(ss / (n - 1));
}

/* Continued fraction for I_x(a, b), modified Lentz; converges for x < (a+1)/(a+b+2). */
static double betacf(double a, double b, double x)
{
    const double tiny = 1e-300, eps = 1e-15;
    double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    double c = 1.0, d = 1.0 - qab * x / qap, h;

    if (fabs(d) < tiny)
        d = tiny;
    d = 1.0 / d;
    h = d;
    for (int m = 1; m <= 1000; m++) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2)), del;

        d = 1.0 + aa * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1.0 + aa / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1.0 + aa / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1.0 / d;
        del = d * c;
        h *= del;
        if (fabs(del - 1.0) < eps)
            break;
    }
    return h;
}

double stats_betai(double a, double b, double x)
{
    double lbt;

    if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0) || !(x <= 1.0))
        return NAN;
    if (x == 0.0 || x == 1.0)
        return x;
    /* log of x^a (1-x)^b / B(a, b) */
    lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1.0) / (a + b + 2.0))
        return exp(lbt) * betacf(a, b, x) / a;
    return 1.0 - exp(lbt) * betacf(b, a, 1.0 - x) / b;
}

double stats_t_cdf(double t, double df)
{
    double tail;

    if (isnan(t) || !(df > 0.0))
        return NAN;
    if (isinf(t))
        return t > 0 ? 1.0 : 0.0;
    /* P(|T| > |t|) = I_{df/(df+t^2)}(df/2, 1/2) */
    tail = 0.5 * stats_betai(df / 2.0, 0.5, df / (df + t * t));
    return t > 0 ? 1.0 - tail : tail;
}

double stats_t_quantile(double p, double df)
{
    double lo = 0.0, hi = 1.0, q = p > 0.5 ? p : 1.0 - p;

    if (!(p > 0.0 && p < 1.0) || !(df > 0.0))
        return NAN;
    if (p == 0.5)
        return 0.0;
    /* bracket, then bisect: the cdf is monotonic and cheap enough */
    while (stats_t_cdf(hi, df) < q && hi < 1e300)
        hi *= 2.0;
    for (int i = 0; i < 2000 && hi - lo > 1e-13 * hi; i++) {
        double mid = 0.5 * (lo + hi);

        if (stats_t_cdf(mid, df) < q)
            lo = mid;
        else
            hi = mid;
    }
    return p > 0.5 ? 0.5 * (lo + hi) : -0.5 * (lo + hi);
}

double stats_ci95_half(double stddev, guint n)
{
    if (n < 2 || isnan(stddev))
        return NAN;
    return stats_t_quantile(0.975, n - 1) * stddev / sqrt((double)n);
}

stats_welch stats_welch_test(double mean_a, double sd_a, guint n_a, double mean_b, double sd_b,
                             guint n_b)
{
    stats_welch w = {NAN, NAN, NAN};
    double va, vb, se2;

    if (n_a < 2 || n_b < 2)
        return w;
    va = sd_a * sd_a / n_a;
    vb = sd_b * sd_b / n_b;
    se2 = va + vb;
    if (se2 == 0.0) {
        /* no spread at all: any difference is certain, none is none */
        if (mean_a == mean_b) {
            w.t = 0.0;
            w.p = 1.0;
        } else {
            w.t = mean_b > mean_a ? INFINITY : -INFINITY;
            w.p = 0.0;
        }
        w.df = (double)(n_a + n_b - 2);
        return w;
    }
    w.t = (mean_b - mean_a) / sqrt(se2);
    w.df = se2 * se2 / (va * va / (n_a - 1) + vb * vb / (n_b - 1));
    w.p = 2.0 * stats_t_cdf(-fabs(w.t), w.df);
    if (w.p > 1.0)
        w.p = 1.0;
    return w;
}

store_summary store_summarise(const double *samples, guint n)
{
    store_summary sum;

    sum.mean = stats_mean(samples, n);
    sum.stddev = stats_stddev(samples, n);
    sum.ci95_half = stats_ci95_half(sum.stddev, n);
    return sum;
}

double stats_cov_pct(double mean, double stddev)
{
    if (!isfinite(mean) || !isfinite(stddev) || mean == 0)
        return NAN;
    return stddev / fabs(mean) * 100.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

gboolean stats_bimodal(const double *x, guint n)
{
    g_autofree double *v = NULL;
    double gap = 0, mean;
    guint cut = 0;

    if (n < STATS_BIMODAL_MIN_N)
        return FALSE;
    v = g_memdup2(x, n * sizeof(double));
    qsort(v, n, sizeof(double), cmp_double);
    /* the widest gap that leaves two values or more on each side */
    for (guint i = 2; i + 2 <= n; i++) {
        if (v[i] - v[i - 1] > gap) {
            gap = v[i] - v[i - 1];
            cut = i;
        }
    }
    if (cut == 0 || gap <= 0)
        return FALSE;
    mean = stats_mean(v, n);
    double spread = fmax(stats_stddev(v, cut), stats_stddev(v + cut, n - cut));
    return gap >= 0.01 * fabs(mean) && gap > 3 * spread;
}
