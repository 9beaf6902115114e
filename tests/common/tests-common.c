/* SPDX-License-Identifier: MIT */
/* Helpers shared by the test runners. */
#include "vexp-config.h"

#include <stdarg.h>

#include "tests-common.h"

char *tests_source_path(const char *first, ...)
{
    const char *root = g_getenv("VEXP_SOURCE_ROOT");
    g_autofree char *rel = NULL;
    va_list ap;

    va_start(ap, first);
    rel = g_build_filename_valist(first, &ap);
    va_end(ap);
    return g_build_filename(root && *root ? root : VEXP_SOURCE_ROOT, rel, NULL);
}
