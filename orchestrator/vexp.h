/* SPDX-License-Identifier: MIT */
/* Orchestrator internals shared by main.c and the cmd-*.c subcommands. */
#pragma once

#include <glib.h>

/* exit statuses of the vexp command (STYLE.md) */
enum {
    VEXP_EXIT_OK = 0,
    VEXP_EXIT_FINDING = 1, /* e.g. a regression, or failed cells */
    VEXP_EXIT_USAGE = 2,   /* bad usage or bad input */
    VEXP_EXIT_ENV = 3,     /* the environment failed (libvirt, QEMU, namespaces) */
};

typedef struct vexp_cmd {
    const char *name;
    int (*handler)(int argc, char **argv); /* argv[0] is the command name */
    const char *summary;
} vexp_cmd;

extern const vexp_cmd vexp_cmd_run;
extern const vexp_cmd vexp_cmd_render;
extern const vexp_cmd vexp_cmd_results;
extern const vexp_cmd vexp_cmd_compare;
extern const vexp_cmd vexp_cmd_regress;
extern const vexp_cmd vexp_cmd_report;
extern const vexp_cmd vexp_cmd_image;
extern const vexp_cmd vexp_cmd_doctor;

#define VEXP_ERROR (vexp_error_quark())
GQuark vexp_error_quark(void);
typedef enum {
    VEXP_ERROR_INPUT, /* exit 2 */
    VEXP_ERROR_ENV,   /* exit 3 */
} vexp_error_code;

/* Parse a subcommand's options; prints the error or help itself.
 * Returns -1 to go on, else the exit status to return. */
int vexp_parse_options(GOptionContext *ctx, int *argc, char ***argv);

/* Map an error to an exit status and print it as "vexp: <message>". */
int vexp_report_error(const GError *error);

/* Is stdout/stderr a terminal (progress lines vs plain lines). */
gboolean vexp_is_tty(void);
