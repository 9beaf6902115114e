/* SPDX-License-Identifier: MIT */
/* Helpers shared by subcommands: errors to exit statuses, the matrix with QEMU's NIC models,
 * stores. */
#include "vexp-config.h"

#include <stdio.h>

#include "cells.h"
#include "common.h"
#include "domains-host.h"
#include "domains-lifecycle.h"
#include "hostfit.h"
#include "report.h"
#include "vexp.h"

int vexp_exit_status(GQuark domain, int code)
{
    if (domain == VEXP_ERROR)
        return code == VEXP_ERROR_INPUT ? VEXP_EXIT_USAGE : VEXP_EXIT_ENV;
    if (domain == G_OPTION_ERROR || domain == G_KEY_FILE_ERROR || domain == MATRIX_ERROR)
        return VEXP_EXIT_USAGE;
    if (domain == DOMAINS_ERROR)
        return code == DOMAINS_ERROR_INPUT ? VEXP_EXIT_USAGE : VEXP_EXIT_ENV;
    if (domain == IMAGE_ERROR)
        return code == IMAGE_ERROR_INPUT ? VEXP_EXIT_USAGE : VEXP_EXIT_ENV;
    if (domain == REPORT_ERROR) /* a run that is not there, a directory that cannot be written */
        return VEXP_EXIT_USAGE;
    if (domain == STORE_ERROR)
        /* not a store, a newer one, no such run, a value it refuses; SQLite
         * failing (STORE_ERROR_SQL) is the host's */
        return code == STORE_ERROR_OPEN || code == STORE_ERROR_VERSION ||
                       code == STORE_ERROR_NOT_FOUND || code == STORE_ERROR_INVALID ||
                       code == STORE_ERROR_CORRUPT
                   ? VEXP_EXIT_USAGE
                   : VEXP_EXIT_ENV;
    return VEXP_EXIT_ENV;
}

int vexp_report_error(const GError *error)
{
    fprintf(stderr, "vexp: %s\n", error->message);
    return vexp_exit_status(error->domain, error->code);
}

int vexp_report_env_error(const GError *error)
{
    fprintf(stderr, "vexp: %s\n", error->message);
    return VEXP_EXIT_ENV;
}

vexp_matrix *vexp_load_matrix(const char *path, GError **error)
{
    g_auto(GStrv) models = NULL;
    g_autoptr(GError) local = NULL;
    const char *const *valid;

    if (domains_nic_models(NULL, &models, &local)) {
        valid = (const char *const *)models;
    } else {
        fprintf(stderr, "vexp: warning: %s; using the built-in NIC model list\n", local->message);
        valid = domains_default_nic_models();
    }
    g_clear_error(&local);
    return matrix_load(path, valid, error);
}

gboolean vexp_check_uris(const vexp_matrix *m, gboolean allow_insecure, GError **error)
{
    const matrix_experiment *e = matrix_get_experiment(m);

    for (guint i = 0; i < e->n_uris && !allow_insecure; i++) {
        g_autofree char *what = domains_uri_insecure(e->uris[i]);

        if (what) {
            g_set_error(error, VEXP_ERROR, VEXP_ERROR_INPUT,
                        "%s:%u: [experiment] uri = '%s': %s switches off a security check; "
                        "pass --allow-insecure-uri to use it anyway",
                        matrix_path(m), matrix_line_of(m, "experiment", "uri"), e->uris[i], what);
            return FALSE;
        }
    }
    return TRUE;
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
    if (must_exist && !g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_set_error(error, VEXP_ERROR, VEXP_ERROR_INPUT,
                    "store '%s' does not exist (run 'vexp run MATRIX' first, or pass --store FILE)",
                    path);
        return NULL;
    }
    return store_open(path, error);
}

vexp_store *vexp_open_store_readonly(const char *path, GError **error)
{
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_set_error(error, VEXP_ERROR, VEXP_ERROR_INPUT,
                    "store '%s' does not exist (run 'vexp run MATRIX' first, or pass --store FILE)",
                    path);
        return NULL;
    }
    return store_open_readonly(path, error);
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
        fprintf(stderr, "vexp: warning: KVM does not run guests here: %s; accel = auto uses tcg\n",
                detail);
}

int vexp_report_host_check(const vexp_matrix *m)
{
    g_autoptr(domains_host) host = domains_host_probe();
    g_autoptr(GPtrArray) findings = vexp_host_check(m, host);
    const GError *first;

    for (guint i = 0; i < findings->len; i++)
        fprintf(stderr, "vexp: %s\n", ((const GError *)findings->pdata[i])->message);
    if (findings->len == 0)
        return VEXP_EXIT_OK;
    first = findings->pdata[0];
    return vexp_exit_status(first->domain, first->code);
}
