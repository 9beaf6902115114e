/* SPDX-License-Identifier: MIT */
/* A matrix's length before it runs, from the engine's cost model and the boot times. */
#include "vexp-config.h"

#include <math.h>
#include <string.h>

#include "estimate.h"

static const char *const test_names[6] = {"throughput", "latency", "loss", "b2b", "rtt", "fixed"};

gboolean vexp_estimate_matrix(const vexp_matrix *m, const double *boot_s, vexp_estimate *ret,
                              GError **error)
{
    const traffic_params *p = matrix_get_traffic_params(m);
    const matrix_experiment *x = matrix_get_experiment(m);
    vexp_estimate e;

    memset(&e, 0, sizeof(e));
    if (traffic_estimate_suite(p, VEXP_ESTIMATE_TRIAL_OVERHEAD_S, &e.suite) < 0) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s: the engine refused the [traffic] parameters", matrix_path(m));
        return FALSE;
    }
    e.n_cells = matrix_cell_count(m);
    for (guint i = 0; i < e.n_cells; i++)
        e.n_vm_cells += !matrix_get_cell(m, i)->is_host;
    e.n_hvs = MAX(1u, x->n_uris);
    e.parallel_trials = x->parallel_trials;
    e.boot_s[0] = boot_s ? boot_s[0] : VEXP_ESTIMATE_BOOT_LO_S;
    e.boot_s[1] = boot_s ? boot_s[1] : VEXP_ESTIMATE_BOOT_HI_S;
    e.boot_s[2] = (e.boot_s[0] + e.boot_s[1]) / 2;
    for (guint b = 0; b < 3; b++) {
        const double boots = e.n_vm_cells * e.boot_s[b];
        const double traffic = e.n_cells * e.suite.wall_s[b];

        e.vm_cell_wall_s[b] = e.boot_s[b] + e.suite.wall_s[b];
        e.host_cell_wall_s[b] = e.suite.wall_s[b];
        e.trial_s[b] = e.n_cells * e.suite.trial_s[b];
        /* several hypervisors boot at once; their trials take turns on the one tester
         * unless parallel_trials */
        e.wall_s[b] = e.parallel_trials ? (boots + traffic) / e.n_hvs : boots / e.n_hvs + traffic;
    }
    e.model_wall_typ_s = e.wall_s[TRAFFIC_ESTIMATE_TYPICAL];
    e.typ_spread_s[0] = e.typ_spread_s[1] = e.model_wall_typ_s;
    *ret = e;
    return TRUE;
}

static int cmp_double(gconstpointer a, gconstpointer b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double vexp_calibration_factor(const vexp_calibration *c, const char *label, gboolean is_host,
                               guint *ret_n, gboolean *ret_by_label, double *ret_lo,
                               double *ret_hi)
{
    double r[VEXP_CALIB_SAMPLES];
    guint n = 0;
    gboolean by_label = TRUE;

    for (guint pass = 0; pass < 2 && n == 0; pass++) {
        by_label = pass == 0;
        for (guint i = 0; c && i < c->n && n < VEXP_CALIB_SAMPLES; i++) {
            const vexp_calib_sample *s = &c->samples[i];
            if (!(s->ratio > 0) || !isfinite(s->ratio))
                continue;
            if (by_label ? g_strcmp0(s->label, label) == 0 : s->is_host == is_host)
                r[n++] = s->ratio;
        }
    }
    if (ret_n)
        *ret_n = n;
    if (ret_by_label)
        *ret_by_label = n > 0 && by_label;
    if (ret_lo)
        *ret_lo = 1;
    if (ret_hi)
        *ret_hi = 1;
    if (n == 0)
        return 1;
    qsort(r, n, sizeof(r[0]), cmp_double);
    if (ret_lo)
        *ret_lo = r[0];
    if (ret_hi)
        *ret_hi = r[n - 1];
    return n % 2 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
}

void vexp_estimate_calibrate(vexp_estimate *e, const vexp_matrix *m, const vexp_calibration *c)
{
    double model = 0, scaled = 0, scaled_lo = 0, scaled_hi = 0;

    if (!c || c->n == 0)
        return;
    for (guint i = 0; i < e->n_cells; i++) {
        const matrix_cell *cell = matrix_get_cell(m, i);
        const double w = cell->is_host ? e->host_cell_wall_s[TRAFFIC_ESTIMATE_TYPICAL]
                                       : e->vm_cell_wall_s[TRAFFIC_ESTIMATE_TYPICAL];
        guint n = 0;
        gboolean by_label = FALSE;
        double lo = 1, hi = 1;
        const double f =
            vexp_calibration_factor(c, cell->label, cell->is_host, &n, &by_label, &lo, &hi);

        if (n > 0) {
            if (e->n_calib_label + e->n_calib_kind == 0 || f < e->factor_lo)
                e->factor_lo = f;
            if (e->n_calib_label + e->n_calib_kind == 0 || f > e->factor_hi)
                e->factor_hi = f;
            if (by_label)
                e->n_calib_label++;
            else
                e->n_calib_kind++;
        }
        model += w;
        scaled += w * f;
        scaled_lo += w * lo;
        scaled_hi += w * hi;
    }
    if (model > 0 && e->n_calib_label + e->n_calib_kind > 0) {
        /* the model's matrix time (boots spread over hypervisors) scaled by the cells'
         * weighted factor */
        double *typ = &e->wall_s[TRAFFIC_ESTIMATE_TYPICAL];
        e->typ_spread_s[0] = e->model_wall_typ_s * scaled_lo / model;
        e->typ_spread_s[1] = e->model_wall_typ_s * scaled_hi / model;
        *typ = e->model_wall_typ_s * scaled / model;
        e->wall_s[0] = MIN(e->wall_s[0], *typ);
        e->wall_s[1] = MAX(e->wall_s[1], *typ);
    }
}

void vexp_format_duration(double s, char *buf, gsize len)
{
    const long long t = (long long)llround(s);

    if (!isfinite(s) || s < 0)
        g_snprintf(buf, len, "--");
    else if (t >= 86400)
        g_snprintf(buf, len, "%lldd%02lldh", t / 86400, t % 86400 / 3600);
    else if (t >= 3600)
        g_snprintf(buf, len, "%lldh%02lldm", t / 3600, t % 3600 / 60);
    else if (t >= 60)
        g_snprintf(buf, len, "%lldm%02llds", t / 60, t % 60);
    else
        g_snprintf(buf, len, "%llds", t);
}

static void range(GString *out, const double *v)
{
    char a[32], b[32], t[32];

    vexp_format_duration(v[0], a, sizeof(a));
    vexp_format_duration(v[1], b, sizeof(b));
    vexp_format_duration(v[2], t, sizeof(t));
    g_string_append_printf(out, "%s .. %s (typically %s)", a, b, t);
}

char *vexp_estimate_format(const vexp_matrix *m, const vexp_estimate *e)
{
    const traffic_params *p = matrix_get_traffic_params(m);
    GString *out = g_string_new(NULL);
    char day[32];

    g_string_append_printf(out,
                           "# estimate: %u cell(s) (%u with a domain), latency = %s, repeat = %s, "
                           "repetitions = %u, trial_s = %g\n",
                           e->n_cells, e->n_vm_cells, traffic_latency_mode_name(p->latency_mode),
                           traffic_repeat_name(p->repeat), p->repetitions, p->trial_s);
    g_string_append(out, "#   per cell, traffic sent:  ");
    range(out, e->suite.trial_s);
    g_string_append_printf(out, ", %.0f .. %.0f trials\n", e->suite.trials[0], e->suite.trials[1]);
    for (guint t = 0; t < 6; t++) {
        if (!(p->tests & (1u << t)))
            continue;
        g_string_append_printf(out, "#     %-10s              ", test_names[t]);
        range(out, e->suite.test_trial_s[t]);
        g_string_append(out, " sent, ");
        range(out, e->suite.test_wall_s[t]);
        g_string_append(out, " wall\n");
    }
    if (e->n_vm_cells) {
        g_string_append(out, "#   per cell with a domain:  ");
        range(out, e->vm_cell_wall_s);
        g_string_append_printf(out, " wall (boot %g .. %g s)\n", e->boot_s[0], e->boot_s[1]);
    }
    if (e->n_cells > e->n_vm_cells) {
        g_string_append(out, "#   per host cell:           ");
        range(out, e->host_cell_wall_s);
        g_string_append(out, " wall\n");
    }
    g_string_append(out, "#   matrix, traffic sent:    ");
    range(out, e->trial_s);
    g_string_append(out, "\n#   matrix, wall time:       ");
    range(out, e->wall_s);
    g_string_append_c(out, '\n');
    if (e->n_calib_label + e->n_calib_kind > 0) {
        char model[32], slo[32], shi[32];

        vexp_format_duration(e->model_wall_typ_s, model, sizeof(model));
        vexp_format_duration(e->typ_spread_s[0], slo, sizeof(slo));
        vexp_format_duration(e->typ_spread_s[1], shi, sizeof(shi));
        g_string_append_printf(out,
                               "#   typical calibrated on this host: %u cell(s) by earlier "
                               "cells with their label, %u by earlier cells of their kind; "
                               "x%.2f .. x%.2f per cell (measured / model, median of the "
                               "newest %u); the model alone: %s; as the least and the most "
                               "of those cells took: %s .. %s\n",
                               e->n_calib_label, e->n_calib_kind, e->factor_lo, e->factor_hi,
                               VEXP_CALIB_SAMPLES, model, slo, shi);
    } else {
        g_string_append(out, "#   typical not calibrated: no complete cell of an earlier run on "
                             "this host in the store (each run calibrates the next)\n");
    }
    vexp_format_duration(VEXP_ESTIMATE_DAY_S, day, sizeof(day));
    if (e->wall_s[0] > VEXP_ESTIMATE_DAY_S)
        g_string_append_printf(out,
                               "# warning: this matrix runs longer than a day (%s) even at "
                               "its lower bound\n",
                               day);
    else if (e->wall_s[1] > VEXP_ESTIMATE_DAY_S)
        g_string_append_printf(out, "# warning: this matrix may run longer than a day (%s)\n", day);
    return g_string_free(out, FALSE);
}

/* The keys behind one test's cost. */
static char *test_keys(const traffic_params *p, guint t)
{
    switch (t) {
    case 0:
        return g_strdup_printf(
            "method = %s, trial_s = %g, duration_sum_s = %g, "
            "resolution_pct = %g, %u goal(s)",
            traffic_method_name(p->method), p->trial_s,
            p->repeat == TRAFFIC_REPEAT_TRIALS
                ? fmax(traffic_params_duration_sum(p), p->repetitions * p->trial_s)
                : traffic_params_duration_sum(p),
            p->resolution_pct, p->n_goals);
    case 1:
        if (p->latency_mode == TRAFFIC_LATENCY_RFC2544)
            return g_strdup_printf("latency = rfc2544: latency_repetitions = %u trials of "
                                   "trial_s = %g s per figure",
                                   p->latency_repetitions, p->trial_s);
        return g_strdup_printf("latency = load: %u trials of trial_s = %g s per figure",
                               TRAFFIC_LATENCY_LEVELS, p->trial_s);
    case 2:
        return g_strdup_printf("up to %.0f trials of trial_s = %g s per curve",
                               ceil(100 / p->loss_step_pct - 1e-9), p->trial_s);
    case 3:
        return g_strdup_printf("b2b_budget_s = %g, b2b_repetitions = %u", p->b2b_budget_s,
                               p->b2b_repetitions);
    case 4:
        return g_strdup_printf("probes = %u", p->probes);
    default:
        return g_strdup_printf("trial_s = %g", p->trial_s);
    }
}

char *vexp_estimate_costliest(const vexp_matrix *m, const vexp_estimate *e)
{
    const traffic_params *p = matrix_get_traffic_params(m);
    GString *out = g_string_new(NULL);
    guint order[6] = {0, 1, 2, 3, 4, 5};
    const double total = e->suite.wall_s[0] > 0 ? e->suite.wall_s[0] : 1;
    guint ndirs = __builtin_popcount(p->directions & TRAFFIC_DIR_MASK);

    /* by the lower bound's wall time, most first */
    for (guint i = 0; i < 6; i++)
        for (guint j = i + 1; j < 6; j++)
            if (e->suite.test_wall_s[order[j]][0] > e->suite.test_wall_s[order[i]][0]) {
                guint k = order[i];
                order[i] = order[j];
                order[j] = k;
            }
    for (guint i = 0; i < 6; i++) {
        const guint t = order[i];
        g_autofree char *keys = NULL;

        if (!(p->tests & (1u << t)) || e->suite.test_wall_s[t][0] <= 0)
            continue;
        keys = test_keys(p, t);
        g_string_append_printf(out, "%s%s %.0f %% (%s)", out->len ? "; " : "", test_names[t],
                               100 * e->suite.test_wall_s[t][0] / total, keys);
    }
    g_string_append_printf(out,
                           "; each multiplied by %u cell(s) x %u frame_sizes x %u "
                           "direction(s) x repetitions = %u (repeat = %s)",
                           e->n_cells, p->n_frame_sizes, ndirs, p->repetitions,
                           traffic_repeat_name(p->repeat));
    return g_string_free(out, FALSE);
}

gboolean vexp_parse_duration(const char *text, double *ret_s, GError **error)
{
    const char *s = text;
    double total = 0;
    gboolean any = FALSE;

    while (s && *s) {
        char *end = NULL;
        guint64 v;
        double unit = 1;

        if (!g_ascii_isdigit(*s))
            break;
        v = g_ascii_strtoull(s, &end, 10);
        if (end == s || v > 1000000000ull)
            break;
        switch (*end) {
        case 'd':
            unit = 86400;
            end++;
            break;
        case 'h':
            unit = 3600;
            end++;
            break;
        case 'm':
            unit = 60;
            end++;
            break;
        case 's':
            end++;
            break;
        case '\0':
            break;
        default:
            goto bad;
        }
        total += (double)v * unit;
        any = TRUE;
        s = end;
    }
    if (!any || (s && *s) || total <= 0 || total > 10 * 365 * 86400.0)
        goto bad;
    *ret_s = total;
    return TRUE;
bad:
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "duration '%s': expected e.g. 90s, 45m, 2h, 1d or 1h30m (more than 0, at most "
                "10 years)",
                text ? text : "");
    return FALSE;
}
