/* SPDX-License-Identifier: MIT */
/* Helpers shared by subcommands: loading a matrix with the NIC models QEMU offers, stores. */
#include "vexp-config.h"

#include <stdio.h>

#include "cells.h"
#include "common.h"
#include "domains-host.h"
#include "vexp.h"

vexp_matrix *vexp_load_matrix(const char *path, GError **error)
{
    g_auto(GStrv) models = NULL;
    g_autoptr(GError) local = NULL;
    const char *const *valid;

    if (domains_nic_models(NULL, &models, &local)) {
        valid = (const char *const *)models;
    } else {
        fprintf(stderr, "vexp: warning: %s; using the built-in NIC model list\n",
                local->message);
        valid = domains_default_nic_models();
    }
    vexp_matrix *m = matrix_load(path, valid, &local);
    if (!m) {
        g_set_error_literal(error, VEXP_ERROR, VEXP_ERROR_INPUT, local->message);
        return NULL;
    }
    return m;
}

const char *vexp_store_path(const char *option, const vexp_matrix *m)
{
    if (option)
        return option;
    if (g_getenv("VEXP_STORE") && *g_getenv("VEXP_STORE"))
        return g_getenv("VEXP_STORE");
    if (m && matrix_get_experiment(m)->store)
        return matrix_get_experiment(m)->store;
    return "results.db";
}

vexp_store *vexp_open_store(const char *path, gboolean must_exist, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (must_exist && !g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_set_error(error, VEXP_ERROR, VEXP_ERROR_INPUT,
                    "store '%s' does not exist (run 'vexp run MATRIX' first, or pass --store FILE)",
                    path);
        return NULL;
    }
    vexp_store *s = store_open(path, &local);
    if (!s) {
        g_set_error(error, VEXP_ERROR,
                    local->code == STORE_ERROR_OPEN || local->code == STORE_ERROR_VERSION
                        ? VEXP_ERROR_INPUT
                        : VEXP_ERROR_ENV,
                    "%s", local->message);
        return NULL;
    }
    return s;
}

gboolean vexp_parse_run_id(const char *text, gint64 *ret_id, GError **error)
{
    guint64 v = 0;

    if (!g_ascii_string_to_unsigned(text, 10, 1, G_MAXINT64, &v, NULL)) {
        g_set_error(error, VEXP_ERROR, VEXP_ERROR_INPUT,
                    "'%s' is not a run id (a positive integer; 'vexp results' lists runs)", text);
        return FALSE;
    }
    *ret_id = (gint64)v;
    return TRUE;
}

void vexp_probe_accel(const vexp_image *img)
{
    g_autofree char *detail = NULL;
    const char *before = domains_resolve_accel("auto", NULL);

    if (g_strcmp0(before, "kvm"))
        return;
    if (!domains_accel_probe(img->kernel, vexp_state_dir(), &detail))
        fprintf(stderr, "vexp: warning: /dev/kvm is present but %s; accel = auto uses tcg\n",
                detail);
}
