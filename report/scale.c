/* SPDX-License-Identifier: MIT */
/* vexp report: axis scales, tick labels and the theoretical maximum (RFC 2544 section 26.1). */
#include <math.h>

#include "report.h"

/* ---- axis scales ---------------------------------------------------- */

double report_nice_number(double x, gboolean round)
{
    if (!(x > 0) || !isfinite(x))
        return 1;
    double e = floor(log10(x));
    double f = x / pow(10, e); /* 1 <= f < 10 */
    double nf;

    if (round)
        nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    else
        nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nf * pow(10, e);
}

report_scale report_scale_nice(double lo, double hi, guint max_ticks, gboolean include_zero)
{
    report_scale s;

    if (max_ticks < 2)
        max_ticks = 2;
    if (!isfinite(lo) && !isfinite(hi))
        lo = 0, hi = 1;
    else if (!isfinite(lo))
        lo = hi;
    else if (!isfinite(hi))
        hi = lo;
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (include_zero) {
        lo = MIN(lo, 0);
        hi = MAX(hi, 0);
    }
    if (hi == lo) {
        if (lo == 0)
            hi = 1;
        else if (lo > 0)
            hi = lo * 2, lo = include_zero ? 0 : lo / 2;
        else
            lo = hi * 2, hi = include_zero ? 0 : hi / 2;
    }
    /* the largest nice step that still fits the range in max_ticks ticks */
    s.step = report_nice_number((hi - lo) / (max_ticks - 1), TRUE);
    for (;;) {
        /* the epsilon keeps 1 / 0.2 = 5.000000001 from adding a tick */
        s.min = floor(lo / s.step + 1e-9) * s.step;
        s.max = ceil(hi / s.step - 1e-9) * s.step;
        s.n_ticks = (guint)llround((s.max - s.min) / s.step) + 1;
        if (s.n_ticks <= max_ticks)
            break;
        s.step = report_nice_number(s.step * 1.01, FALSE);
    }
    if (s.min == 0)
        s.min = 0; /* no "-0" labels */
    return s;
}

report_scale report_scale_log(double lo, double hi)
{
    report_scale s = {1, 10, 10, 2, TRUE};

    if (!(lo > 0) || !isfinite(lo))
        lo = hi;
    if (!(hi > 0) || !isfinite(hi))
        return s;
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    /* the epsilon keeps 1000 from opening a decade of its own */
    double e0 = floor(log10(lo) + 1e-9), e1 = ceil(log10(hi) - 1e-9);
    if (e1 <= e0)
        e1 = e0 + 1;
    s.min = pow(10, e0);
    s.max = pow(10, e1);
    s.n_ticks = (guint)(e1 - e0) + 1;
    return s;
}

char *report_tick_label(double v, double step)
{
    const char *suffix = "";
    double div = 1;
    char buf[G_ASCII_DTOSTR_BUF_SIZE];

    if (fabs(v) < step * 1e-9)
        return g_strdup("0");
    /* the suffix follows the step, so that one axis uses one unit */
    if (step >= 1e5)
        div = 1e6, suffix = "M";
    else if (step >= 1e3)
        div = 1e3, suffix = "k";
    double st = step / div;
    int decimals = st >= 1 ? 0 : (int)ceil(-log10(st) - 1e-9);
    if (decimals > 9)
        decimals = 9;
    g_autofree char *fmt = g_strdup_printf("%%.%df", decimals);
    g_ascii_formatd(buf, sizeof(buf), fmt, v / div);
    return g_strconcat(buf, suffix, NULL);
}

/* ---- theoretical maximum ------------------------------------------- */

double report_line_fps(double line_mbps, guint frame_size)
{
    if (!(line_mbps > 0) || frame_size == 0)
        return NAN;
    return line_mbps * 1e6 / ((frame_size + 20.0) * 8.0);
}

double report_line_mbps_l2(double line_mbps, guint frame_size)
{
    return report_line_fps(line_mbps, frame_size) * frame_size * 8.0 / 1e6;
}
