/* SPDX-License-Identifier: MIT */
/* matrix.conf [traffic]: the engine's parameters, checked by the engine. */
#include "vexp-config.h"

#include <string.h>

#include "matrix-priv.h"

static const char *const known_tests[] = {"throughput", "latency", "loss", "b2b",
                                          "rtt",        "fixed",   NULL};
static const char *const known_directions[] = {"in", "out", "both", NULL};

static const guint default_frame_sizes[] = {64, 128, 256, 512, 1024, 1280, 1518};

gboolean matrix_load_traffic(vexp_matrix *m, GError **error)
{
    static const char g[] = "traffic";
    matrix_traffic *t = &m->traffic;
    g_autofree char *v = NULL;
    guint line;
    struct {
        const char *key;
        double *dst, min, max, def;
    } doubles[] = {
        {"trial_s", &t->trial_s, 0.1, 3600, 60},
        {"line_rate_mbps", &t->line_rate_mbps, 1, 400000, 1000},
        {"resolution_pct", &t->resolution_pct, 0.01, 50, 0.5},
        {"loss_tolerance_pct", &t->loss_tolerance_pct, 0, 100, 0},
        {"b2b_trial_s", &t->b2b_trial_s, 2, 3600, 2},
        {"wait_s", &t->wait_s, 0, 600, 2},
        {"rate_mbps", &t->rate_mbps, 0.001, 400000, 0},
    };
    struct {
        const char *key;
        guint *dst, min, max, def;
    } uints[] = {
        {"probes", &t->probes, 1, 1000000, 100},
        {"latency_repetitions", &t->latency_repetitions, 1, 1000, 20},
        {"b2b_repetitions", &t->b2b_repetitions, 1, 1000, 50},
    };

    /* tests */
    if (!matrix_get_value(m, g, "tests", &v, &line, error))
        return FALSE;
    {
        g_auto(GStrv) items = v ? matrix_split_list(m, g, "tests", v, line, "list", error)
                                : g_strsplit("throughput,latency,loss,b2b", ",", -1);
        if (!items)
            return FALSE;
        for (guint i = 0; items[i]; i++)
            if (!matrix_parse_choice(m, g, "tests", items[i], line, known_tests, error))
                return FALSE;
        if (g_strv_contains((const char *const *)items, "latency") &&
            !g_strv_contains((const char *const *)items, "throughput")) {
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                        "%s:%u: [traffic] tests = '%s': 'latency' is measured at the throughput "
                        "rate, so it needs 'throughput' too",
                        m->path, line, v);
            return FALSE;
        }
        t->n_tests = g_strv_length(items);
        for (guint i = 0; items[i]; i++)
            matrix_keep(m, items[i]);
        t->tests = matrix_keep(m, g_memdup2(items, sizeof(char *) * (t->n_tests + 1)));
        g_free(g_steal_pointer(&items)); /* the strings are kept */
    }
    g_clear_pointer(&v, g_free);

    /* frame sizes */
    if (!matrix_get_value(m, g, "frame_sizes", &v, &line, error))
        return FALSE;
    if (v) {
        g_auto(GStrv) items = matrix_split_list(m, g, "frame_sizes", v, line, "list", error);
        guint *sizes;

        if (!items)
            return FALSE;
        t->n_frame_sizes = g_strv_length(items);
        sizes = matrix_keep(m, g_new0(guint, t->n_frame_sizes));
        for (guint i = 0; items[i]; i++) {
            if (!matrix_parse_uint(m, g, "frame_sizes", items[i], line, 64, 9018, &sizes[i], error))
                return FALSE;
            /* "64" and "064" are the same size */
            for (guint j = 0; j < i; j++) {
                if (sizes[j] == sizes[i]) {
                    g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                                "%s:%u: [traffic] frame_sizes = '%s': duplicate value '%s'",
                                m->path, line, v, items[i]);
                    return FALSE;
                }
            }
        }
        t->frame_sizes = sizes;
    } else {
        t->frame_sizes = default_frame_sizes;
        t->n_frame_sizes = G_N_ELEMENTS(default_frame_sizes);
    }
    g_clear_pointer(&v, g_free);

    /* directions */
    if (!matrix_get_value(m, g, "directions", &v, &line, error))
        return FALSE;
    {
        g_auto(GStrv) items = v ? matrix_split_list(m, g, "directions", v, line, "list", error)
                                : g_strsplit("in", ",", -1);
        if (!items)
            return FALSE;
        for (guint i = 0; items[i]; i++)
            if (!matrix_parse_choice(m, g, "directions", items[i], line, known_directions, error))
                return FALSE;
        t->n_directions = g_strv_length(items);
        for (guint i = 0; items[i]; i++)
            matrix_keep(m, items[i]);
        t->directions = matrix_keep(m, g_memdup2(items, sizeof(char *) * (t->n_directions + 1)));
        g_free(g_steal_pointer(&items));
    }
    g_clear_pointer(&v, g_free);

    for (guint i = 0; i < G_N_ELEMENTS(doubles); i++) {
        *doubles[i].dst = doubles[i].def;
        if (!matrix_get_value(m, g, doubles[i].key, &v, &line, error))
            return FALSE;
        if (v && !matrix_parse_double(m, g, doubles[i].key, v, line, doubles[i].min, doubles[i].max,
                                      doubles[i].dst, error))
            return FALSE;
        g_clear_pointer(&v, g_free);
    }
    for (guint i = 0; i < G_N_ELEMENTS(uints); i++) {
        *uints[i].dst = uints[i].def;
        if (!matrix_get_value(m, g, uints[i].key, &v, &line, error))
            return FALSE;
        if (v && !matrix_parse_uint(m, g, uints[i].key, v, line, uints[i].min, uints[i].max,
                                    uints[i].dst, error))
            return FALSE;
        g_clear_pointer(&v, g_free);
    }

    {
        gboolean fixed = g_strv_contains(t->tests, "fixed");
        guint rate_line = matrix_line_of(m, g, "rate_mbps");

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
    }

    if (!matrix_get_value(m, g, "reflect", &v, &line, error))
        return FALSE;
    if (v && !matrix_parse_bool(m, g, "reflect", v, line, &t->reflect, error))
        return FALSE;
    g_clear_pointer(&v, g_free);

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
        if (!matrix_parse_uint(m, g, "repetitions", v, line, 1, 1000, &m->exp.repetitions, error))
            return FALSE;
    }
    return TRUE;
}

/* An IPv4 address, optionally with "/prefix" when ret_prefix is not NULL. */
