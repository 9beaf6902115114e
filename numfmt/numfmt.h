/* SPDX-License-Identifier: MIT */
/* numfmt: one number format for every vexp output (terminal tables, HTML, CSV/JSON). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Every figure vexp shows goes through here, so that `vexp results`, `vexp
 * compare`, `vexp regress` and the report print the same figure the same way:
 *
 *   for people   49,360 ± 3,600 (2) cv 7.2% !2
 *                the mean to NUMFMT_SIG significant digits, the spread to 2,
 *                thousands grouped with ',' (ASCII: the same under every locale)
 *   for programs 49360.5 (numfmt_raw: shortest text that reads back as the same
 *                double, '.' decimal point, never an exponent below 1e15)
 *
 * Nothing here depends on LC_NUMERIC: vexp calls setlocale(LC_ALL, "") for
 * the charset and keeps LC_NUMERIC at "C" (orchestrator/main.c).  The only
 * locale-dependent choice is the symbol set of NUMFMT_TEXT: "±", "µ", "→"
 * where the locale's charset is UTF-8, ASCII ("+/-", "u", "->") elsewhere
 * (LC_ALL=C), where GLib would otherwise print '?'.  NUMFMT_HTML is UTF-8
 * always.  Returned strings are owned by the caller (g_free) unless noted.
 */

typedef enum {
    NUMFMT_TEXT, /* a terminal or a text file: the locale's charset decides the symbols */
    NUMFMT_HTML, /* UTF-8 */
} numfmt_target;

#define NUMFMT_SIG 4        /* significant digits of a figure for people */
#define NUMFMT_SPREAD_SIG 2 /* significant digits of its stddev */

/* TRUE when the locale's charset is UTF-8 (g_get_charset()). */
gboolean numfmt_utf8(void);
/* "±" or "+/-" for the target; static. */
const char *numfmt_pm(numfmt_target t);

/* v rounded to sig (1..17) significant digits, without an exponent, grouped
 * by thousands with ',' when group: 1413690 -> "1,414,000", 36.7249 -> "36.72",
 * 0.012345 -> "0.01235".  Non-finite: "-" ("inf"/"-inf" for infinities). */
char *numfmt_number(double v, guint sig, gboolean group);

/* An exact count grouped by thousands: 1234567 -> "1,234,567". */
char *numfmt_count(guint64 v);

/* A figure with its spread for people: "49,360 ± 3,600 (2) cv 7.2% !2".
 * n = 0: "-"; n = 1 or stddev NAN: "49,360 (1)"; cov_pct NAN: no cv part;
 * bimodal: " !2" (the repetitions fall into two bands). */
char *numfmt_figure(double mean, double stddev, guint n, double cov_pct, gboolean bimodal,
                    numfmt_target t);

/* A signed change in percent for people: "+12.3%", "-0.52%"; NAN: "-";
 * infinities: "+inf%" / "-inf%". */
char *numfmt_delta_pct(double pct);

/* For CSV/JSON: the shortest decimal text that reads back as exactly v
 * ("%.17g" at most), '.' as decimal point; NULL for a non-finite v (the
 * caller writes its empty field or null). */
char *numfmt_raw(double v);

/* UTF-8 text as the locale shows it: unchanged where the charset is UTF-8,
 * else the symbols vexp prints (± µ → – — … × ≤ ≥ “ ” ‘ ’) spelled in ASCII
 * and any other non-ASCII character as '?'. */
char *numfmt_for_locale(const char *utf8);

G_END_DECLS
