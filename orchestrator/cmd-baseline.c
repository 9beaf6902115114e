/* SPDX-License-Identifier: MIT */
/* vexp baseline: mark a run as a baseline by hand, unmark it, find the baseline of a tag. */
#include "vexp-config.h"

#include <stdio.h>
#include <string.h>

#include "common.h"
#include "vexp.h"

/* find tag:KEY=VALUE: prints the run id; exit 1 when there is none */
static int baseline_find(vexp_store *store, const char *spec, const char *before_text)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *key = NULL, *value = NULL;
    gint64 before = 0, id = 0;

    if (!g_str_has_prefix(spec, "tag:")) {
        fprintf(stderr, "vexp baseline find: '%s': expected tag:KEY=VALUE\n", spec);
        return VEXP_EXIT_USAGE;
    }
    if ((before_text && !vexp_parse_run_id(before_text, &before, &error)) ||
        !store_tag_parse(spec + 4, &key, &value, &error) ||
        !store_baseline_find(store, key, value, before, &id, &error))
        return vexp_report_error(error);
    if (!id) {
        fprintf(stderr,
                "vexp baseline find: no complete run tagged %s=%s in store '%s' passed its gate "
                "or was marked with 'vexp baseline set RUN'\n",
                key, value, store_path(store));
        return VEXP_EXIT_FINDING;
    }
    printf("%" G_GINT64_FORMAT "\n", id);
    return VEXP_EXIT_OK;
}

static int cmd_baseline(int argc, char **argv)
{
    g_autofree char *store_opt = NULL, *before = NULL;
    GOptionEntry entries[] = {
        {"before", 0, 0, G_OPTION_ARG_STRING, &before,
         "find: only runs older than this one (e.g. the candidate)", "RUN"},
        {"store", 0, 0, G_OPTION_ARG_FILENAME, &store_opt, "SQLite results file", "FILE"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("set RUN | unset RUN | find tag:KEY=VALUE");
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_store) store = NULL;
    gint64 id = 0;
    int rc;

    g_option_context_set_summary(
        ctx, "Baselines of 'vexp regress --baseline tag:KEY=VALUE': a tagged run becomes one\n"
             "when it passes its own gate, or when marked here (the first run of a branch).\n"
             "find prints the run id that tag selects, or exits 1 when there is none.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if ((rc = vexp_parse_options(ctx, &argc, &argv)) >= 0)
        return rc;
    if (argc != 3 ||
        (strcmp(argv[1], "set") && strcmp(argv[1], "unset") && strcmp(argv[1], "find"))) {
        fprintf(stderr, "vexp baseline: expected set RUN, unset RUN or find tag:KEY=VALUE\n");
        return VEXP_EXIT_USAGE;
    }
    if (strcmp(argv[1], "find") && !vexp_parse_run_id(argv[2], &id, &error))
        return vexp_report_error(error);
    if (!(store = vexp_open_store(vexp_store_path(store_opt, NULL), TRUE, &error)))
        return vexp_report_error(error);
    if (!strcmp(argv[1], "find"))
        return baseline_find(store, argv[2], before);
    if (!(strcmp(argv[1], "set") ? store_baseline_unset(store, id, &error)
                                 : store_baseline_set(store, id, &error)))
        return vexp_report_error(error);
    printf("run %" G_GINT64_FORMAT " %s\n", id,
           strcmp(argv[1], "set") ? "is no longer marked as a baseline" : "marked as a baseline");
    return VEXP_EXIT_OK;
}

const vexp_cmd vexp_cmd_baseline = {"baseline", cmd_baseline,
                                    "mark a run as a baseline for regress, or find one by tag"};
