/* SPDX-License-Identifier: MIT */
/* matrix.conf [traffic]: the engine's parameters, held to the engine's own limits. */
#include "vexp-config.h"

#include <math.h>
#include <string.h>

#include "matrix-priv.h"

static const char *const known_tests[] = {"throughput", "latency", "loss", "b2b",
                                          "rtt",        "fixed",   NULL};
static const char *const known_directions[] = {"in", "out", "both", NULL};

static const guint default_frame_sizes[] = {64, 128, 256, 512, 1024, 1280, 1518};

/*
 * The [traffic] numbers and the engine's field each one fills.  Their limits
 * are the engine's (traffic_params_check, traffic_param_range); the matrix
 * only checks the syntax.  floor: where the matrix means more than the engine
 * by a value, it refuses what the engine would take with another meaning.
 */
typedef struct traffic_number {
    const char *key;
    enum traffic_param field;
    gboolean whole; /* a whole number, else a decimal */
    double def;     /* the matrix's default */
    double floor;   /* lowest value the matrix takes; NAN = the engine's minimum */
} traffic_number;

static const traffic_number numbers[] = {
    {"trial_s", TRAFFIC_PARAM_TRIAL_S, FALSE, 60, NAN},
    /* the engine's 0 = "measure the maximum": a matrix states its line (reports use it) */
    {"line_rate_mbps", TRAFFIC_PARAM_LINE_RATE_MBPS, FALSE, 1000, 1},
    {"resolution_pct", TRAFFIC_PARAM_RESOLUTION_PCT, FALSE, 0.5, NAN},
    {"loss_tolerance_pct", TRAFFIC_PARAM_LOSS_TOLERANCE_PCT, FALSE, 0, NAN},
    {"exceed_pct", TRAFFIC_PARAM_EXCEED_PCT, FALSE, 50, NAN},
    {"duration_sum_s", TRAFFIC_PARAM_DURATION_SUM_S, FALSE, 0, NAN},
    {"precision_pct", TRAFFIC_PARAM_PRECISION_PCT, FALSE, 0, NAN},
    /* RFC 2544 §26.4: back-to-back trials of at least 2 s */
    {"b2b_trial_s", TRAFFIC_PARAM_B2B_BURST_S, FALSE, 2, 2},
    {"wait_s", TRAFFIC_PARAM_STRAGGLER_S, FALSE, 2, NAN},
    /* the engine's 0 = not set: written, it is the fixed test's rate */
    {"rate_mbps", TRAFFIC_PARAM_RATE_MBPS, FALSE, 0, 0.001},
    {"probes", TRAFFIC_PARAM_PROBES, TRUE, 100, NAN},
    {"latency_repetitions", TRAFFIC_PARAM_LATENCY_REPETITIONS, TRUE, 20, NAN},
    {"b2b_repetitions", TRAFFIC_PARAM_B2B_REPETITIONS, TRUE, 50, NAN},
    {"b2b_budget_s", TRAFFIC_PARAM_B2B_BUDGET_S, FALSE, 60, NAN},
    {"b2b_ci_pct", TRAFFIC_PARAM_B2B_CI_PCT, FALSE, 5, NAN},
};

/* The other keys that fill one engine field. */
static const struct {
    const char *key;
    enum traffic_param field;
} other_keys[] = {
    {"tests", TRAFFIC_PARAM_TESTS},
    {"frame_sizes", TRAFFIC_PARAM_FRAME_SIZES},
    {"directions", TRAFFIC_PARAM_DIRECTIONS},
    {"trial_s", TRAFFIC_PARAM_SEARCH_TRIAL_S}, /* the search's trials: at most trial_s */
    {"reflect", TRAFFIC_PARAM_REFLECT},
    {"repetitions", TRAFFIC_PARAM_REPETITIONS},
    {"goals", TRAFFIC_PARAM_GOALS},
    {"method", TRAFFIC_PARAM_METHOD},
    {"latency", TRAFFIC_PARAM_LATENCY_MODE},
    {"repeat", TRAFFIC_PARAM_REPEAT},
    {"tester_dataplane", TRAFFIC_PARAM_DATAPLANE},
};

static double *number_dst(matrix_traffic *t, guint i)
{
    switch (numbers[i].field) {
    case TRAFFIC_PARAM_TRIAL_S:
        return &t->trial_s;
    case TRAFFIC_PARAM_LINE_RATE_MBPS:
        return &t->line_rate_mbps;
    case TRAFFIC_PARAM_RESOLUTION_PCT:
        return &t->resolution_pct;
    case TRAFFIC_PARAM_LOSS_TOLERANCE_PCT:
        return &t->loss_tolerance_pct;
    case TRAFFIC_PARAM_EXCEED_PCT:
        return &t->exceed_pct;
    case TRAFFIC_PARAM_DURATION_SUM_S:
        return &t->duration_sum_s;
    case TRAFFIC_PARAM_PRECISION_PCT:
        return &t->precision_pct;
    case TRAFFIC_PARAM_B2B_BURST_S:
        return &t->b2b_trial_s;
    case TRAFFIC_PARAM_STRAGGLER_S:
        return &t->wait_s;
    case TRAFFIC_PARAM_RATE_MBPS:
        return &t->rate_mbps;
    case TRAFFIC_PARAM_B2B_BUDGET_S:
        return &t->b2b_budget_s;
    case TRAFFIC_PARAM_B2B_CI_PCT:
        return &t->b2b_ci_pct;
    default:
        g_assert_not_reached(); /* whole numbers: whole_dst() */
    }
}

static guint *whole_dst(vexp_matrix *m, enum traffic_param field)
{
    switch (field) {
    case TRAFFIC_PARAM_PROBES:
        return &m->traffic.probes;
    case TRAFFIC_PARAM_LATENCY_REPETITIONS:
        return &m->traffic.latency_repetitions;
    case TRAFFIC_PARAM_B2B_REPETITIONS:
        return &m->traffic.b2b_repetitions;
    default:
        g_assert_not_reached();
    }
}

static gboolean load_numbers(vexp_matrix *m, GError **error)
{
    static const char g[] = "traffic";

    for (guint i = 0; i < G_N_ELEMENTS(numbers); i++) {
        const traffic_number *n = &numbers[i];
        g_autofree char *v = NULL;
        guint line;

        if (n->whole)
            *whole_dst(m, n->field) = (guint)n->def;
        else
            *number_dst(&m->traffic, i) = n->def;
        if (!matrix_get_value(m, g, n->key, &v, &line, error))
            return FALSE;
        if (!v)
            continue;
        if (n->whole ? !matrix_parse_whole(m, g, n->key, v, line, whole_dst(m, n->field), error)
                     : !matrix_parse_double(m, g, n->key, v, line, 0, INFINITY,
                                            number_dst(&m->traffic, i), error))
            return FALSE;
        if (!isnan(n->floor) && !n->whole && *number_dst(&m->traffic, i) < n->floor) {
            double lo, hi;

            traffic_param_range(n->field, &lo, &hi);
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                        "%s:%u: [%s] %s = '%s': out of range %g..%g", m->path, line, g, n->key, v,
                        MAX(lo, n->floor), hi);
            return FALSE;
        }
    }
    return TRUE;
}

/* a list of choices (tests, directions); default when absent; the strings are kept */
static gboolean load_choices(vexp_matrix *m, const char *key, const char *def,
                             const char *const *choices, const char *const **ret_items,
                             guint *ret_n, GError **error)
{
    static const char g[] = "traffic";
    g_autofree char *v = NULL;
    g_auto(GStrv) items = NULL;
    guint line;

    if (!matrix_get_value(m, g, key, &v, &line, error))
        return FALSE;
    items = v ? matrix_split_list(m, g, key, v, line, "list", error) : g_strsplit(def, ",", -1);
    if (!items)
        return FALSE;
    for (guint i = 0; items[i]; i++)
        if (!matrix_parse_choice(m, g, key, items[i], line, choices, error))
            return FALSE;
    if (!strcmp(key, "tests") && g_strv_contains((const char *const *)items, "latency") &&
        !g_strv_contains((const char *const *)items, "throughput")) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [traffic] tests = '%s': 'latency' is measured at the throughput "
                    "rate, so it needs 'throughput' too",
                    m->path, line, v);
        return FALSE;
    }
    *ret_n = g_strv_length(items);
    for (guint i = 0; items[i]; i++)
        matrix_keep(m, items[i]);
    *ret_items = matrix_keep(m, g_memdup2(items, sizeof(char *) * (*ret_n + 1)));
    g_free(g_steal_pointer(&items)); /* the strings are kept */
    return TRUE;
}

static gboolean load_frame_sizes(vexp_matrix *m, GError **error)
{
    static const char g[] = "traffic";
    matrix_traffic *t = &m->traffic;
    g_autofree char *v = NULL;
    g_auto(GStrv) items = NULL;
    guint *sizes;
    guint line;

    if (!matrix_get_value(m, g, "frame_sizes", &v, &line, error))
        return FALSE;
    if (!v) {
        t->frame_sizes = default_frame_sizes;
        t->n_frame_sizes = G_N_ELEMENTS(default_frame_sizes);
        return TRUE;
    }
    items = matrix_split_list(m, g, "frame_sizes", v, line, "list", error);
    if (!items)
        return FALSE;
    t->n_frame_sizes = g_strv_length(items);
    sizes = matrix_keep(m, g_new0(guint, t->n_frame_sizes));
    for (guint i = 0; items[i]; i++) {
        /* the engine's limits, named per item */
        if (!matrix_parse_uint(m, g, "frame_sizes", items[i], line, TRAFFIC_FRAME_MIN,
                               TRAFFIC_FRAME_MAX, &sizes[i], error))
            return FALSE;
        /* "64" and "064" are the same size */
        for (guint j = 0; j < i; j++) {
            if (sizes[j] == sizes[i]) {
                g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                            "%s:%u: [traffic] frame_sizes = '%s': duplicate value '%s'", m->path,
                            line, v, items[i]);
                return FALSE;
            }
        }
    }
    t->frame_sizes = sizes;
    return TRUE;
}

/* tester_cpus (tester_pin, its older name, is an alias: one of them): auto, none or a
 * cpuset; the CPUs that exist are vexp run's and vexp_host_check()'s business, how many
 * the engine places its threads on is the engine's (traffic_params_check) */
static gboolean load_tester_cpus(vexp_matrix *m, GError **error)
{
    static const char g[] = "traffic";
    matrix_traffic *t = &m->traffic;
    g_autofree char *v = NULL;
    guint line, alias_line = matrix_line_of(m, g, "tester_pin");
    unsigned cpus[TRAFFIC_CPU_MAX + 1], n;
    traffic_params scratch;
    enum traffic_param field;
    const char *msg = NULL;

    t->tester_cpus = "auto";
    t->tester_cpus_key = "tester_cpus";
    if (!matrix_get_value(m, g, "tester_cpus", &v, &line, error))
        return FALSE;
    if (line && alias_line) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [traffic] tester_pin: already given as tester_cpus at line %u "
                    "(tester_pin is its older name)",
                    m->path, alias_line, line);
        return FALSE;
    }
    if (alias_line) {
        t->tester_cpus_key = "tester_pin";
        if (!matrix_get_value(m, g, "tester_pin", &v, &line, error))
            return FALSE;
    }
    if (!v)
        return TRUE;
    if (!*v) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [traffic] %s = '': expected auto, none or a cpuset like 0 or 2-3",
                    m->path, line, t->tester_cpus_key);
        return FALSE;
    }
    if (strcmp(v, "auto") != 0 && strcmp(v, "none") != 0) {
        /* the engine's list syntax; how many it takes is its check's */
        if (traffic_cpus_from_list(v, cpus, G_N_ELEMENTS(cpus), &n) < 0) {
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                        "%s:%u: [traffic] %s = '%s': expected auto, none or distinct CPUs "
                        "like 0, 2-3 or 0,2",
                        m->path, line, t->tester_cpus_key, v);
            return FALSE;
        }
        traffic_params_init(&scratch);
        scratch.n_tester_cpus = n;
        for (guint i = 0; i < n && i < TRAFFIC_MAX_TESTER_CPUS; i++)
            scratch.tester_cpus[i] = cpus[i];
        if (traffic_params_check(&scratch, &field, &msg) < 0) {
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID, "%s:%u: [traffic] %s = '%s': %s",
                        m->path, line, t->tester_cpus_key, v, msg);
            return FALSE;
        }
    }
    t->tester_cpus = matrix_keep(m, g_steal_pointer(&v));
    return TRUE;
}

/* tester_dataplane: the engine's names; unset stays -1, so that the engine's default
 * (traffic_params_init) applies and vexp run --tester-dataplane can still override it */
static gboolean load_tester_dataplane(vexp_matrix *m, GError **error)
{
    static const char g[] = "traffic";
    g_autofree char *v = NULL;
    guint line;

    m->traffic.tester_dataplane = -1;
    if (!matrix_get_value(m, g, "tester_dataplane", &v, &line, error))
        return FALSE;
    if (v && (m->traffic.tester_dataplane = traffic_dataplane_from_name(v)) < 0) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [traffic] tester_dataplane = '%s': expected auto (AF_XDP where the "
                    "tester's interface allows it, else sockets), xdp (AF_XDP or the trial "
                    "fails) or socket (UDP sockets)",
                    m->path, line, v);
        return FALSE;
    }
    return TRUE;
}

/* goals (RFC 9971 search goals) or loss_tolerance_pct (one goal), and method */
static gboolean load_goals(vexp_matrix *m, GError **error)
{
    static const char g[] = "traffic";
    matrix_traffic *t = &m->traffic;
    g_autofree char *v = NULL;
    guint line, tol_line = matrix_line_of(m, g, "loss_tolerance_pct");
    int method;

    if (!load_tester_cpus(m, error) || !load_tester_dataplane(m, error))
        return FALSE;
    t->method = TRAFFIC_METHOD_MLR;
    if (!matrix_get_value(m, g, "method", &v, &line, error))
        return FALSE;
    if (v) {
        if ((method = traffic_method_from_name(v)) < 0) {
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                        "%s:%u: [traffic] method = '%s': expected mlrsearch (RFC 9971) or "
                        "rfc2544 (the classic binary search)",
                        m->path, line, v);
            return FALSE;
        }
        t->method = method;
    }
    g_clear_pointer(&v, g_free);
    t->latency_mode = TRAFFIC_LATENCY_LOAD;
    if (!matrix_get_value(m, g, "latency", &v, &line, error))
        return FALSE;
    if (v && (t->latency_mode = traffic_latency_mode_from_name(v)) < 0) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [traffic] latency = '%s': expected load (from the throughput "
                    "search's trials, at NDR, PDR and 10/50/90 %% of PDR) or rfc2544 (the "
                    "standalone procedure: latency_repetitions trials at the throughput rate)",
                    m->path, line, v);
        return FALSE;
    }
    g_clear_pointer(&v, g_free);
    t->repeat = TRAFFIC_REPEAT_SEARCHES;
    if (!matrix_get_value(m, g, "repeat", &v, &line, error))
        return FALSE;
    if (v && (t->repeat = traffic_repeat_from_name(v)) < 0) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [traffic] repeat = '%s': expected searches (each repetition a "
                    "whole search) or trials (repetitions full-length trials at the load the "
                    "one search decides)",
                    m->path, line, v);
        return FALSE;
    }
    g_clear_pointer(&v, g_free);
    if (!matrix_get_value(m, g, "goals", &v, &line, error))
        return FALSE;
    if (v && tol_line) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [traffic] goals = '%s': loss_tolerance_pct (line %u) already sets "
                    "the one goal; write one or the other",
                    m->path, line, v, tol_line);
        return FALSE;
    }
    if (v && traffic_goals_from_list(v, t->goals, TRAFFIC_MAX_GOALS, &t->n_goals) < 0) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [traffic] goals = '%s': expected up to %u goals like 'ndr, pdr:0.5' "
                    "(names of a-z, 0-9, _; ndr = 0 %% loss, pdr = 0.5 %%, any other "
                    "name:loss_pct with 0..50), each name once",
                    m->path, line, v, TRAFFIC_MAX_GOALS);
        return FALSE;
    }
    return TRUE;
}

/* rules of the matrix's own: fixed's rate, repetitions written once, reflect's syntax */
static gboolean load_rules(vexp_matrix *m, GError **error)
{
    static const char g[] = "traffic";
    matrix_traffic *t = &m->traffic;
    gboolean fixed = g_strv_contains(t->tests, "fixed");
    guint rate_line = matrix_line_of(m, g, "rate_mbps");
    g_autofree char *v = NULL;
    guint line;

    if (fixed && t->rate_mbps == 0) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [traffic] tests includes 'fixed': give its offered rate as "
                    "rate_mbps = M (L2 Mb/s)",
                    m->path, matrix_line_of(m, g, "tests"));
        return FALSE;
    }
    if (!fixed && rate_line) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [traffic] rate_mbps is the offered rate of the 'fixed' test, "
                    "which tests does not include",
                    m->path, rate_line);
        return FALSE;
    }
    if (!matrix_get_value(m, g, "reflect", &v, &line, error))
        return FALSE;
    if (v && !matrix_parse_bool(m, g, "reflect", v, line, &t->reflect, error))
        return FALSE;
    g_clear_pointer(&v, g_free);

    if (!load_goals(m, error))
        return FALSE;

    if (!matrix_get_value(m, g, "repetitions", &v, &line, error))
        return FALSE;
    if (v) {
        guint first = matrix_line_of(m, "experiment", "repetitions");

        if (first) {
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                        "%s:%u: [traffic] repetitions = '%s': already given in [experiment] at "
                        "line %u",
                        m->path, line, v, first);
            return FALSE;
        }
        if (!matrix_parse_whole(m, g, "repetitions", v, line, &m->exp.repetitions, error))
            return FALSE;
    }
    return TRUE;
}

/* [traffic] + [experiment] repetitions as the engine takes them */
static void fill_params(vexp_matrix *m)
{
    const matrix_traffic *t = &m->traffic;
    traffic_params *p = &m->params;

    traffic_params_init(p);
    p->tests = 0;
    for (guint k = 0; k < t->n_tests; k++)
        p->tests |= (unsigned)traffic_test_from_name(t->tests[k]); /* a known_tests name */
    /* more than the engine holds: its check refuses the count */
    p->n_frame_sizes = t->n_frame_sizes;
    for (guint k = 0; k < MIN(t->n_frame_sizes, TRAFFIC_MAX_FRAME_SIZES); k++)
        p->frame_sizes[k] = t->frame_sizes[k];
    p->directions = 0;
    for (guint k = 0; k < t->n_directions; k++) {
        unsigned mask = 0;

        traffic_directions_from_list(t->directions[k], &mask); /* a known_directions name */
        p->directions |= mask;
    }
    p->trial_s = t->trial_s;
    if (p->search_trial_s > p->trial_s)
        p->search_trial_s = p->trial_s;
    p->repetitions = m->exp.repetitions;
    p->latency_repetitions = t->latency_repetitions;
    p->b2b_repetitions = t->b2b_repetitions;
    p->b2b_burst_s = t->b2b_trial_s;
    p->line_rate_mbps = t->line_rate_mbps;
    p->resolution_pct = t->resolution_pct;
    if (t->n_goals) {
        p->n_goals = t->n_goals;
        memcpy(p->goals, t->goals, sizeof(p->goals));
    } else if (matrix_line_of(m, "traffic", "loss_tolerance_pct")) {
        traffic_goals_set_tolerance(p, t->loss_tolerance_pct); /* the one-goal shorthand */
    }
    p->method = (unsigned)t->method;
    p->exceed_pct = t->exceed_pct;
    p->duration_sum_s = t->duration_sum_s;
    p->precision_pct = t->precision_pct;
    p->latency_mode = (unsigned)t->latency_mode;
    p->repeat = (unsigned)t->repeat;
    p->b2b_budget_s = t->b2b_budget_s;
    p->b2b_ci_pct = t->b2b_ci_pct;
    p->probes = t->probes;
    p->straggler_s = t->wait_s;
    p->reflect = t->reflect;
    p->rate_mbps = t->rate_mbps;
    if (t->tester_dataplane >= 0)
        p->dataplane = (unsigned)t->tester_dataplane;
}

static const char *key_of(enum traffic_param field)
{
    for (guint i = 0; i < G_N_ELEMENTS(numbers); i++)
        if (numbers[i].field == field)
            return numbers[i].key;
    for (guint i = 0; i < G_N_ELEMENTS(other_keys); i++)
        if (other_keys[i].field == field)
            return other_keys[i].key;
    return NULL;
}

/* The engine's check; what it refuses is named by the key and line the user wrote. */
static gboolean check_params(vexp_matrix *m, GError **error)
{
    enum traffic_param field = TRAFFIC_PARAM_NONE;
    const char *msg = NULL;
    const char *key, *group = "traffic";
    g_autofree char *raw = NULL;
    double lo, hi;
    guint line;

    if (traffic_params_check(&m->params, &field, &msg) == 0)
        return TRUE;
    key = key_of(field);
    line = key ? matrix_line_of(m, group, key) : 0;
    if (key && !line && !strcmp(key, "repetitions") &&
        (line = matrix_line_of(m, "experiment", key)))
        group = "experiment";
    if (!line) {
        /* a default refused, or a rule over several keys: the section names it */
        line = matrix_line_of(m, "traffic", NULL);
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID, "%s:%u: [traffic]: %s", m->path,
                    line ? line : 1, msg);
        return FALSE;
    }
    raw = g_key_file_get_value(m->kf, group, key, NULL);
    if (raw)
        g_strstrip(raw);
    /* out of the engine's range: say the range; in it, a rule over several keys refused it */
    if (traffic_param_range(field, &lo, &hi) == 0 &&
        !(raw && g_ascii_strtod(raw, NULL) >= lo && g_ascii_strtod(raw, NULL) <= hi)) {
        for (guint i = 0; i < G_N_ELEMENTS(numbers); i++)
            if (numbers[i].field == field && !isnan(numbers[i].floor))
                lo = MAX(lo, numbers[i].floor);
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [%s] %s = '%s': out of range %g..%g", m->path, line, group, key,
                    raw ? raw : "", lo, hi);
        return FALSE;
    }
    g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID, "%s:%u: [%s] %s = '%s': %s", m->path,
                line, group, key, raw ? raw : "", msg);
    return FALSE;
}

gboolean matrix_load_traffic(vexp_matrix *m, GError **error)
{
    matrix_traffic *t = &m->traffic;

    if (!load_choices(m, "tests", "throughput,latency,loss,b2b", known_tests, &t->tests,
                      &t->n_tests, error) ||
        !load_frame_sizes(m, error) ||
        !load_choices(m, "directions", "in", known_directions, &t->directions, &t->n_directions,
                      error) ||
        !load_numbers(m, error) || !load_rules(m, error))
        return FALSE;
    fill_params(m);
    return check_params(m, error);
}

const traffic_params *matrix_get_traffic_params(const vexp_matrix *m)
{
    return &m->params;
}
