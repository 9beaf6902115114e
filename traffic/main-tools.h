/* SPDX-License-Identifier: MIT */
/* vexp-traffic's subcommands outside main.c, and what they share with it. */
#pragma once

#include <stdio.h>

/* main.c: the usage text; whether SIGINT/SIGTERM asked to stop (ud unused). */
void vexp_traffic_usage(FILE *f);
int vexp_traffic_stopped(void *ud);

/* main-tools.c: "send" and "count" (argv[0] is the command); the exit status. */
int traffic_cmd_send(int argc, char **argv);
int traffic_cmd_count(int argc, char **argv);
