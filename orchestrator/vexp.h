/* SPDX-License-Identifier: MIT */
/* Orchestrator internals shared by main.c and the cmd-*.c subcommands. */
#pragma once

#include <glib.h>

/* exit statuses of the vexp command, as docs/vexp.1 lists them */
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
extern const vexp_cmd vexp_cmd_baseline;
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

/* The one mapping from an error to an exit status (common.c): the user's input
 * (VEXP_ERROR_INPUT, option and matrix errors, a module's *_INPUT code, a store
 * that is missing, newer or asked for a run it lacks) is VEXP_EXIT_USAGE,
 * anything else VEXP_EXIT_ENV. */
int vexp_exit_status(GQuark domain, int code);
/* Print error as "vexp: <message>"; returns vexp_exit_status() of it. */
int vexp_report_error(const GError *error);
/* Print error as "vexp: <message>"; returns VEXP_EXIT_ENV.  For what vexp run
 * meets on the host or a hypervisor (the image, a bridge, the namespace,
 * libvirt, the tester, the store's writes): whatever code the module gave it,
 * e.g. a bridge missing on a remote hypervisor, it is the environment's. */
int vexp_report_env_error(const GError *error);

/* Is stdout/stderr a terminal (progress lines vs plain lines). */
gboolean vexp_is_tty(void);
