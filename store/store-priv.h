/* SPDX-License-Identifier: MIT */
/* store internals for tests: the statistics and the migration list. */
#pragma once

#include "store.h"

/* ---- statistics (stats.c) ---- */

/* Arithmetic mean; NAN when n = 0. */
double stats_mean(const double *x, guint n);
/* Sample standard deviation (n - 1 denominator); NAN when n < 2. */
double stats_stddev(const double *x, guint n);
/* Regularized incomplete beta I_x(a, b), a, b > 0, 0 <= x <= 1; NAN otherwise. */
double stats_betai(double a, double b, double x);
/* Student t with df degrees of freedom (df > 0, not necessarily integer). */
double stats_t_cdf(double t, double df);
/* Inverse of stats_t_cdf for 0 < p < 1. */
double stats_t_quantile(double p, double df);
/* Half width of the two-sided 95 % Student-t interval of the mean; NAN when n < 2. */
double stats_ci95_half(double stddev, guint n);
/* stddev / mean in %; NAN when either is not finite or the mean is 0 */
double stats_cov_pct(double mean, double stddev);
/* Two bands (CSIT's "two-band" results): the values, split at their widest
 * gap into a low and a high group of at least two each, lie further apart
 * (the gap between the groups) than 3 x the larger of the groups' own
 * standard deviations, and the gap is at least 1 % of the mean.  Needs
 * n >= STATS_BIMODAL_MIN_N; FALSE below. */
#define STATS_BIMODAL_MIN_N 4
gboolean stats_bimodal(const double *x, guint n);

typedef struct stats_welch {
    double t;  /* (mean_b - mean_a) / sqrt(s_a^2/n_a + s_b^2/n_b) */
    double df; /* Welch-Satterthwaite */
    double p;  /* two-sided */
} stats_welch;
/* Welch's unequal-variance t-test from summary statistics; n_a, n_b >= 2.
 * Both variances 0: p = 1 when the means are equal, else 0 (t = +-inf). */
stats_welch stats_welch_test(double mean_a, double sd_a, guint n_a, double mean_b, double sd_b,
                             guint n_b);

/* ---- schema migrations (store.c) ---- */

typedef struct store_migration {
    int version;     /* user_version after this step */
    const char *sql; /* run in one transaction with the version bump */
} store_migration;

extern const store_migration store_migrations[];
extern const guint store_n_migrations;

/* store_open() with another migration list: tests add a v2 step. */
vexp_store *store_open_with(const char *path, const store_migration *migrations, guint n,
                            GError **error);

/* ---- what older stores need (legacy.c) ---- */

/* line_rate_mbps of [traffic] in a matrix text (GKeyFile syntax) as vexp
 * before schema v3 read it: 1000 (the matrix default then) when absent; NAN
 * when the text does not parse or the value is not a number in (0, 400000]. */
double store_matrix_line_rate(const char *matrix_text);

struct sqlite3;
/* Registers vexp_matrix_line_rate(text) on db for the v3 migration; an SQLite code. */
int store_legacy_register(struct sqlite3 *db);
