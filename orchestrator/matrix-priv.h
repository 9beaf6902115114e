/* SPDX-License-Identifier: MIT */
/* matrix.conf internals shared by orchestrator/matrix*.c (and no one else). */
#pragma once

#include "matrix.h"
#include "net-defaults.h"
#include "spec.h"

/* [domain] keys, also the possible [matrix] axes */
enum {
    D_TEMPLATE,
    D_NIC,
    D_VCPUS,
    D_VCPU_PIN,
    D_EMULATOR_PIN,
    D_MEMORY_MIB,
    D_ACCEL,
    D_MACHINE,
    D_VHOST,
    D_QUEUES,
    N_DOMAIN_KEYS
};

/* the keys of each section, NULL-terminated (matrix-keys.c) */
extern const char *const matrix_keys_domain[]; /* also the possible [matrix] axes */
extern const char *const matrix_keys_experiment[];
extern const char *const matrix_keys_traffic[];
extern const char *const matrix_keys_network[];
extern const char *const matrix_sections[];
extern const char *const matrix_known_accels[];

/* the renderer's limit (libvirt cpumaps of DOMAINS_CPU_MAX bits) */
#define MAX_CPU (DOMAINS_CPU_MAX - 1)
#define MAX_NAME 64

typedef struct cell_priv {
    matrix_cell pub;
    const char *values[N_DOMAIN_KEYS]; /* raw resolved values, owned by the matrix */
} cell_priv;

typedef struct axis {
    guint key;
    guint line;
    char **values; /* NULL-terminated */
    guint n;
} axis;

struct vexp_matrix {
    char *path;
    char *text;
    gsize len;
    char *hash;
    char *base_dir;
    gboolean files_unchecked; /* matrix_load_stored(): file paths as written, not looked up */
    GKeyFile *kf;
    GHashTable *lines; /* "group\x1fkey" (or "group\x1f" for the header) -> line */
    GPtrArray *owned;  /* everything the public structs point to */
    const char *const *valid_nics;
    matrix_experiment exp;
    matrix_traffic traffic;
    traffic_params params; /* [traffic] as the engine takes it, checked by the engine */
    matrix_network net;
    const char *domain[N_DOMAIN_KEYS]; /* [domain] values or defaults */
    guint domain_line[N_DOMAIN_KEYS];  /* 0 = default */
    GPtrArray *axes;                   /* axis * */
    GPtrArray *cells;                  /* cell_priv * */
};

/* The matrix owns p (g_free) from now; returns p. */
gpointer matrix_keep(vexp_matrix *m, gpointer p);
/* A copy of s (NULL: NULL) owned by the matrix. */
const char *matrix_keep_str(vexp_matrix *m, const char *s);
/* The line index's key of [group] key ("group\x1fkey"); caller frees. */
char *matrix_line_key(const char *group, const char *key);

/* ---- syntax (matrix-lexer.c) ---- */
gboolean matrix_index_lines(vexp_matrix *m, GError **error);
/* *ret_value: [group] key unescaped and stripped (caller frees), NULL when absent;
 * *ret_line its line. */
gboolean matrix_get_value(vexp_matrix *m, const char *group, const char *key, char **ret_value,
                          guint *ret_line, GError **error);
/* A comma list; empty items and duplicates are errors; caller frees (g_strfreev). */
char **matrix_split_list(vexp_matrix *m, const char *group, const char *key, const char *value,
                         guint line, const char *what, GError **error);
gboolean matrix_check_keys(vexp_matrix *m, const char *group, const char *const *known,
                           GError **error);

/* ---- values (matrix-values.c): errors name file:line, [group], key and value ---- */
gboolean matrix_all_digits(const char *s);
gboolean matrix_parse_uint(vexp_matrix *m, const char *group, const char *key, const char *value,
                           guint line, guint64 min, guint64 max, guint *ret, GError **error);
gboolean matrix_parse_whole(vexp_matrix *m, const char *group, const char *key, const char *value,
                            guint line, guint *ret, GError **error);
gboolean matrix_parse_double(vexp_matrix *m, const char *group, const char *key, const char *value,
                             guint line, double min, double max, double *ret, GError **error);
gboolean matrix_parse_bool(vexp_matrix *m, const char *group, const char *key, const char *value,
                           guint line, gboolean *ret, GError **error);
gboolean matrix_parse_choice(vexp_matrix *m, const char *group, const char *key, const char *value,
                             guint line, const char *const *choices, GError **error);
gboolean matrix_parse_name(vexp_matrix *m, const char *group, const char *key, const char *value,
                           guint line, GError **error);
/* "none" or space-separated cpusets; *ret_entries NULL for none (caller frees). */
gboolean matrix_parse_pin(vexp_matrix *m, const char *group, const char *key, const char *value,
                          guint line, char ***ret_entries, GError **error);

/* ---- sections, in this order ---- */
gboolean matrix_load_experiment(vexp_matrix *m, GError **error); /* matrix-sections.c */
gboolean matrix_load_domain(vexp_matrix *m, GError **error);
gboolean matrix_load_axes(vexp_matrix *m, GError **error);
gboolean matrix_load_traffic(vexp_matrix *m, GError **error); /* matrix-traffic.c */
gboolean matrix_load_network(vexp_matrix *m, GError **error); /* matrix-network.c */
/* After expansion: cell i's guest gets guest_address + i; all of them must be
 * hosts of guest_address/prefix (not its network or broadcast address) and none
 * the tester's.  matrix-network.c */
gboolean matrix_check_guest_addresses(vexp_matrix *m, GError **error);
gboolean matrix_expand(vexp_matrix *m, GError **error); /* matrix-expand.c */
