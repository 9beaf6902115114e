/* SPDX-License-Identifier: MIT */
/* Helpers shared by the test runners. */
#pragma once

#include <glib.h>

/* A path in the source tree ($VEXP_SOURCE_ROOT, else the configured one) from
 * its components, NULL-terminated: tests_source_path("tests", "data", x, NULL).
 * g_free() the result. */
char *tests_source_path(const char *first, ...) G_GNUC_NULL_TERMINATED;
