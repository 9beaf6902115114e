/* SPDX-License-Identifier: MIT */
/* What older stores need: the v3 migration's reading of a run's line rate from its matrix text. */
#include "vexp-config.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>

#include "store-priv.h"

double store_matrix_line_rate(const char *matrix_text)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *v = NULL;
    char *end = NULL;

    if (!matrix_text || !g_key_file_load_from_data(kf, matrix_text, -1, G_KEY_FILE_NONE, NULL))
        return NAN;
    if (!(v = g_key_file_get_value(kf, "traffic", "line_rate_mbps", NULL)))
        return 1000; /* the matrix default when these runs were recorded */
    g_strstrip(v);
    errno = 0;
    double d = g_ascii_strtod(v, &end);
    if (errno || end == v || *end || !(d > 0 && d <= 400000))
        return NAN;
    return d;
}

/* vexp_matrix_line_rate(matrix_text) -> REAL or NULL (unknown) */
static void sql_matrix_line_rate(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *text = (const char *)sqlite3_value_text(argv[0]);
    double d = store_matrix_line_rate(text);

    if (isfinite(d))
        sqlite3_result_double(ctx, d);
    else
        sqlite3_result_null(ctx);
}

int store_legacy_register(sqlite3 *db)
{
    return sqlite3_create_function_v2(db, "vexp_matrix_line_rate", 1,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
                                      sql_matrix_line_rate, NULL, NULL, NULL);
}
