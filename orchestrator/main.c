/* SPDX-License-Identifier: MIT */
/* vexp: the command table and dispatch. */
#include "vexp-config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "numfmt.h"
#include "vexp.h"

static const vexp_cmd *const commands[] = {
    &vexp_cmd_run,      &vexp_cmd_render, &vexp_cmd_results, &vexp_cmd_compare, &vexp_cmd_regress,
    &vexp_cmd_baseline, &vexp_cmd_report, &vexp_cmd_image,   &vexp_cmd_doctor,
};

G_DEFINE_QUARK(vexp - error - quark, vexp_error)

static void usage(FILE *f)
{
    fprintf(f, "Usage: vexp COMMAND [OPTIONS] [ARGS]\n\n"
               "Measure what virtual NICs cost: RFC 2544 runs over libvirt domains.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(f, "  %-9s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\nRun 'vexp COMMAND --help' for a command's options; see vexp(1).\n");
}

int vexp_parse_options(GOptionContext *ctx, int *argc, char ***argv)
{
    g_autoptr(GError) error = NULL;

    if (!g_option_context_parse(ctx, argc, argv, &error)) {
        fprintf(stderr, "vexp: %s\n", error->message);
        fprintf(stderr, "Run '%s --help' for usage.\n", g_get_prgname());
        return VEXP_EXIT_USAGE;
    }
    return -1;
}

gboolean vexp_is_tty(void)
{
    return isatty(STDERR_FILENO);
}

/* VEXP_PRINT_PEAK_RSS=1: this process's own peak RSS (VmHWM) on exit, for
 * bench/orchestrator.sh; /usr/bin/time would count QEMU children too */
static void print_peak_rss(void)
{
    g_autofree char *status = NULL;
    const char *hwm;

    if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL))
        return;
    if ((hwm = strstr(status, "VmHWM:")))
        fprintf(stderr, "vexp: peak RSS %" G_GUINT64_FORMAT " KiB\n",
                g_ascii_strtoull(hwm + strlen("VmHWM:"), NULL, 10));
}

static int dispatch(int argc, char **argv);

/* g_print/g_printerr (--help, GOption's errors): GLib would turn what the
 * locale's charset lacks into '?' ("[OPTION?]" under LC_ALL=C); numfmt spells
 * vexp's symbols in ASCII there instead */
static void print_stdout(const char *text)
{
    g_autofree char *t = numfmt_for_locale(text);
    fputs(t, stdout);
    fflush(stdout);
}

static void print_stderr(const char *text)
{
    g_autofree char *t = numfmt_for_locale(text);
    fputs(t, stderr);
}

int main(int argc, char **argv)
{
    /* the charset from the environment (UTF-8 symbols under C.UTF-8); numbers
     * stay "C" so that no CSV, JSON, SQL or matrix value gets a decimal comma */
    setlocale(LC_ALL, "");
    setlocale(LC_NUMERIC, "C");
    g_set_print_handler(print_stdout);
    g_set_printerr_handler(print_stderr);

    int rc = dispatch(argc, argv);

    if (g_strcmp0(g_getenv("VEXP_PRINT_PEAK_RSS"), "1") == 0)
        print_peak_rss();
    return rc;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return VEXP_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return VEXP_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("vexp %s\n", VEXP_VERSION);
        return VEXP_EXIT_OK;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (!strcmp(argv[1], commands[i]->name)) {
            g_autofree char *prgname = g_strdup_printf("vexp %s", commands[i]->name);
            g_set_prgname(prgname);
            return commands[i]->handler(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "vexp: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return VEXP_EXIT_USAGE;
}
