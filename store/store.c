/* SPDX-License-Identifier: MIT */
/* vexp store: SQLite schema, migrations, writes per trial and the queries behind the commands. */
#include "vexp-config.h"

#include <math.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "store-priv.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

G_DEFINE_QUARK(vexp_store_error, store_error)

struct vexp_store {
    sqlite3 *db;
    char *path;
    gboolean readonly;
};

/* Schema history.  Never edit a released step: append a new one. */
static const char schema_v1[] =
    "CREATE TABLE run ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  started_at TEXT NOT NULL,"
    "  finished_at TEXT,"
    "  status TEXT NOT NULL CHECK (status IN ('running','complete','interrupted','failed')),"
    "  matrix_text TEXT NOT NULL,"
    "  matrix_hash TEXT NOT NULL,"
    "  vexp_version TEXT NOT NULL,"
    "  host TEXT,"
    "  libvirt_version TEXT,"
    "  qemu_version TEXT,"
    "  accel TEXT"
    ");"
    "CREATE INDEX run_matrix_hash ON run (matrix_hash, id);"
    "CREATE TABLE config ("
    "  id INTEGER PRIMARY KEY,"
    "  key TEXT NOT NULL UNIQUE,"
    "  nic TEXT NOT NULL,"
    "  vcpus INTEGER,"
    "  vcpu_pin TEXT,"
    "  emulator_pin TEXT,"
    "  memory_mib INTEGER,"
    "  accel TEXT,"
    "  machine TEXT,"
    "  domain_xml TEXT,"
    "  created_at TEXT NOT NULL"
    ");"
    "CREATE TABLE cell ("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,"
    "  config_id INTEGER NOT NULL REFERENCES config (id),"
    "  cell_index INTEGER NOT NULL,"
    "  attempt INTEGER NOT NULL DEFAULT 1,"
    "  label TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('running','complete','failed','interrupted')),"
    "  reason TEXT,"
    "  guest_driver TEXT,"
    "  guest_kernel TEXT,"
    "  hypervisor TEXT,"
    "  host TEXT,"
    "  started_at TEXT NOT NULL,"
    "  finished_at TEXT,"
    "  UNIQUE (run_id, cell_index, attempt)"
    ");"
    "CREATE INDEX cell_config ON cell (config_id);"
    "CREATE TABLE trial ("
    "  id INTEGER PRIMARY KEY,"
    "  cell_id INTEGER NOT NULL REFERENCES cell (id) ON DELETE CASCADE,"
    "  test TEXT NOT NULL,"
    "  direction TEXT NOT NULL,"
    "  frame_size INTEGER NOT NULL,"
    "  repetition INTEGER NOT NULL,"
    "  step INTEGER NOT NULL,"
    "  offered_fps REAL,"
    "  duration_s REAL,"
    "  tx INTEGER NOT NULL,"
    "  rx INTEGER NOT NULL,"
    "  lost INTEGER NOT NULL,"
    "  reordered INTEGER NOT NULL,"
    "  duplicated INTEGER NOT NULL,"
    "  loss_pct REAL,"
    "  dut_cpu_pct REAL,"
    "  host_cpu_pct REAL,"
    "  passed INTEGER NOT NULL,"
    "  valid INTEGER NOT NULL,"
    "  reason TEXT,"
    "  reflect INTEGER NOT NULL,"
    "  burst_frames INTEGER,"
    "  rtt_n INTEGER,"
    "  rtt_min_us REAL,"
    "  rtt_mean_us REAL,"
    "  rtt_p50_us REAL,"
    "  rtt_p90_us REAL,"
    "  rtt_p99_us REAL,"
    "  rtt_p999_us REAL,"
    "  rtt_max_us REAL,"
    "  rtt_jitter_us REAL,"
    "  recorded_at TEXT NOT NULL"
    ");"
    "CREATE INDEX trial_cell ON trial (cell_id);"
    "CREATE TABLE result ("
    "  id INTEGER PRIMARY KEY,"
    "  cell_id INTEGER NOT NULL REFERENCES cell (id) ON DELETE CASCADE,"
    "  test TEXT NOT NULL,"
    "  direction TEXT NOT NULL,"
    "  frame_size INTEGER NOT NULL,"
    "  metric TEXT NOT NULL,"
    "  unit TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  mean REAL NOT NULL,"
    "  stddev REAL,"
    "  ci95_low REAL,"
    "  ci95_high REAL,"
    "  UNIQUE (cell_id, test, direction, frame_size, metric)"
    ");";

/* v2: KVM-only NIC options of a config (vhost-net, virtio multiqueue).  Old
 * configs get NULL: not recorded, i.e. the template's default. */
static const char schema_v2[] =
    "ALTER TABLE config ADD COLUMN vhost TEXT CHECK (vhost IN ('on','off'));"
    "ALTER TABLE config ADD COLUMN queues INTEGER CHECK (queues >= 1);";

/* v3: the run's [traffic] settings, recorded by `vexp run`.  Older runs
 * get their line rate from their matrix text (vexp_matrix_line_rate(),
 * legacy.c), the one place that reads it; the rest stays NULL = unknown. */
static const char schema_v3[] =
    "ALTER TABLE run ADD COLUMN line_rate_mbps REAL CHECK (line_rate_mbps > 0);"
    "ALTER TABLE run ADD COLUMN trial_s REAL CHECK (trial_s > 0);"
    "ALTER TABLE run ADD COLUMN resolution_pct REAL CHECK (resolution_pct > 0);"
    "ALTER TABLE run ADD COLUMN repetitions INTEGER CHECK (repetitions >= 1);"
    "UPDATE run SET line_rate_mbps = vexp_matrix_line_rate(matrix_text);";

/* v4: the throughput search (RFC 9971): the rate a trial actually sent (its
 * offered load, beside offered_fps, the load it was asked for), the run's
 * search method and goals, and every figure's repeatability: coefficient of
 * variation and a two-band flag.  Older rows get NULL = not recorded. */
static const char schema_v4[] =
    "ALTER TABLE trial ADD COLUMN sent_fps REAL;"
    "ALTER TABLE run ADD COLUMN method TEXT;"
    "ALTER TABLE run ADD COLUMN goals TEXT;"
    "ALTER TABLE run ADD COLUMN exceed_pct REAL;"
    "ALTER TABLE run ADD COLUMN duration_sum_s REAL;"
    "ALTER TABLE result ADD COLUMN cov_pct REAL;"
    "ALTER TABLE result ADD COLUMN bimodal INTEGER CHECK (bimodal IN (0, 1));";

const store_migration store_migrations[] = {
    {1, schema_v1},
    {2, schema_v2},
    {3, schema_v3},
    {4, schema_v4},
};
G_STATIC_ASSERT(G_N_ELEMENTS(store_migrations) == STORE_SCHEMA_VERSION);
const guint store_n_migrations = G_N_ELEMENTS(store_migrations);

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

/* Sets STORE_ERROR_SQL: the caller's formatted message, then SQLite's. */
G_GNUC_PRINTF(3, 4)
static void set_sql_error(vexp_store *s, GError **error, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    int rc = sqlite3_errcode(s->db) & 0xff;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* a damaged or foreign file is the user's input, not the host failing */
    g_set_error(error, STORE_ERROR,
                rc == SQLITE_CORRUPT  ? STORE_ERROR_CORRUPT
                : rc == SQLITE_NOTADB ? STORE_ERROR_OPEN
                                      : STORE_ERROR_SQL,
                "%s in store '%s': %s", msg, s->path, sqlite3_errmsg(s->db));
}

static sqlite3_stmt *prepare(vexp_store *s, const char *sql, GError **error)
{
    sqlite3_stmt *stmt = NULL;

    if (sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        set_sql_error(s, error, "failed to prepare statement '%.60s'", sql);
        return NULL;
    }
    return stmt;
}

/* statements without parameters or rows (BEGIN, COMMIT, PRAGMA x = y) */
static gboolean exec(vexp_store *s, const char *sql, GError **error)
{
    char *errmsg = NULL;

    if (sqlite3_exec(s->db, sql, NULL, NULL, &errmsg) != SQLITE_OK) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_SQL, "failed to run '%.60s' in store '%s': %s",
                    sql, s->path, errmsg ? errmsg : sqlite3_errmsg(s->db));
        sqlite3_free(errmsg);
        return FALSE;
    }
    return TRUE;
}

static void rollback(vexp_store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static void bind_double(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

/* unsigned counts fit in int64 as long as they are below 2^63 frames */
static void bind_u64(sqlite3_stmt *st, int i, guint64 v)
{
    sqlite3_bind_int64(st, i, (sqlite3_int64)MIN(v, (guint64)G_MAXINT64));
}

static char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    return t ? g_strdup((const char *)t) : NULL;
}

static double col_double(sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return NAN;
    return sqlite3_column_double(st, i);
}

/* A negative user_version is a damaged or foreign file, not a vexp store. */
static gboolean read_user_version(vexp_store *s, int *ret_version, GError **error)
{
    g_autoptr(sqlite3_stmt) st = prepare(s, "PRAGMA user_version", error);
    int v;

    if (!st)
        return FALSE;
    if (sqlite3_step(st) != SQLITE_ROW) {
        set_sql_error(s, error, "failed to read the schema version");
        return FALSE;
    }
    v = sqlite3_column_int(st, 0);
    if (v < 0) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN,
                    "'%s' is not a vexp store: schema version (user_version) %d is negative",
                    s->path, v);
        return FALSE;
    }
    *ret_version = v;
    return TRUE;
}

int store_schema_version(vexp_store *store)
{
    int v = -1;

    return read_user_version(store, &v, NULL) ? v : -1;
}

/* user_version 0 with tables: some other program's database */
static gboolean check_not_foreign(vexp_store *s, GError **error)
{
    g_autoptr(sqlite3_stmt) st =
        prepare(s, "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'", error);
    if (!st)
        return FALSE;
    if (sqlite3_step(st) != SQLITE_ROW) {
        set_sql_error(s, error, "failed to inspect the schema");
        return FALSE;
    }
    if (sqlite3_column_int(st, 0) > 0) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN,
                    "'%s' is an SQLite database but not a vexp store (user_version 0 and "
                    "%d tables)",
                    s->path, sqlite3_column_int(st, 0));
        return FALSE;
    }
    return TRUE;
}

gboolean store_check_integrity(vexp_store *s, gboolean full, char **ret_report, GError **error)
{
    g_autoptr(sqlite3_stmt) st =
        prepare(s, full ? "PRAGMA integrity_check(100)" : "PRAGMA quick_check(100)", error);
    g_autoptr(GString) problems = g_string_new(NULL);
    int rc;

    if (!st)
        return FALSE;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *line = (const char *)sqlite3_column_text(st, 0);

        if (line && strcmp(line, "ok"))
            g_string_append_printf(problems, "%s%s", problems->len ? "; " : "", line);
    }
    if (rc != SQLITE_DONE) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_CORRUPT,
                    "store '%s' is damaged: %s (PRAGMA %s)", s->path, sqlite3_errmsg(s->db),
                    full ? "integrity_check" : "quick_check");
        return FALSE;
    }
    if (problems->len) {
        if (ret_report) {
            *ret_report = g_string_free(g_steal_pointer(&problems), FALSE);
            return TRUE;
        }
        g_set_error(error, STORE_ERROR, STORE_ERROR_CORRUPT,
                    "store '%s' is damaged: %.300s (PRAGMA %s)", s->path, problems->str,
                    full ? "integrity_check" : "quick_check");
        return FALSE;
    }
    if (ret_report)
        *ret_report = NULL;
    return TRUE;
}

static gboolean migrate(vexp_store *s, const store_migration *migrations, guint n, GError **error)
{
    int version, latest = n ? migrations[n - 1].version : 0;

    if (!read_user_version(s, &version, error))
        return FALSE;
    if (version > latest) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_VERSION,
                    "store '%s' has schema version %d, newer than this vexp's %d: "
                    "use a newer vexp",
                    s->path, version, latest);
        return FALSE;
    }
    if (version == 0 && !check_not_foreign(s, error))
        return FALSE;
    for (guint i = 0; i < n; i++) {
        g_autofree char *bump = NULL;

        if (migrations[i].version <= version)
            continue;
        /* IMMEDIATE: two vexp processes opening a fresh file do not both migrate */
        if (!exec(s, "BEGIN IMMEDIATE", error))
            return FALSE;
        /* re-read inside the write lock: another process may have migrated */
        if (!read_user_version(s, &version, error)) {
            rollback(s);
            return FALSE;
        }
        if (migrations[i].version <= version) {
            rollback(s);
            continue;
        }
        bump = g_strdup_printf("PRAGMA user_version = %d", migrations[i].version);
        if (!exec(s, migrations[i].sql, error) || !exec(s, bump, error) ||
            !exec(s, "COMMIT", error)) {
            rollback(s);
            g_prefix_error(error, "failed to migrate store '%s' to schema version %d: ", s->path,
                           migrations[i].version);
            return FALSE;
        }
        version = migrations[i].version;
    }
    return TRUE;
}

vexp_store *store_open_with(const char *path, const store_migration *migrations, guint n,
                            GError **error)
{
    g_autoptr(vexp_store) s = g_new0(vexp_store, 1);
    int rc;

    s->path = g_strdup(path);
    rc = sqlite3_open_v2(path, &s->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "failed to open store '%s': %s", path,
                    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        return NULL;
    }
    sqlite3_extended_result_codes(s->db, 1);
    /* a second vexp (results while run writes) waits instead of failing */
    sqlite3_busy_timeout(s->db, 5000);
    /* refuse a foreign, newer or damaged file before switching it to WAL */
    {
        int version = 0;
        int latest = n ? migrations[n - 1].version : 0;

        if (!read_user_version(s, &version, error))
            return NULL;
        if (version > latest) {
            g_set_error(error, STORE_ERROR, STORE_ERROR_VERSION,
                        "store '%s' has schema version %d, newer than this vexp's %d: "
                        "use a newer vexp",
                        path, version, latest);
            return NULL;
        }
        if (version == 0 && !check_not_foreign(s, error))
            return NULL;
        /* cheap on a store of this size; a damaged one is never written to */
        if (version > 0 && !store_check_integrity(s, FALSE, NULL, error))
            return NULL;
    }
    {
        /* journal_mode returns a row; ":memory:" stays "memory" */
        g_autoptr(sqlite3_stmt) st = prepare(s, "PRAGMA journal_mode = WAL", error);
        if (!st)
            return NULL;
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
            set_sql_error(s, error, "failed to switch to WAL");
            return NULL;
        }
    }
    /* FULL: a finished trial survives a power cut too; one fsync per trial is cheap */
    if (!exec(s, "PRAGMA foreign_keys = ON", error) || !exec(s, "PRAGMA synchronous = FULL", error))
        return NULL;
    if (store_legacy_register(s->db) != SQLITE_OK) {
        set_sql_error(s, error, "failed to register the migration functions");
        return NULL;
    }
    if (!migrate(s, migrations, n, error))
        return NULL;
    return g_steal_pointer(&s);
}

vexp_store *store_open(const char *path, GError **error)
{
    return store_open_with(path, store_migrations, store_n_migrations, error);
}

vexp_store *store_open_readonly(const char *path, GError **error)
{
    g_autoptr(vexp_store) s = g_new0(vexp_store, 1);
    GStatBuf sb;
    int rc, version = 0;

    s->path = g_strdup(path);
    s->readonly = TRUE;
    /* SQLite reads an empty file as an empty database: it is not a store */
    if (g_stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "'%s' is not a vexp store: empty file",
                    path);
        return NULL;
    }
    rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "failed to open store '%s': %s", path,
                    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        return NULL;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000);
    if (!read_user_version(s, &version, error)) {
        g_autofree char *uri = NULL;

        /* a WAL store on read-only media: SQLite cannot make its -shm file;
         * nothing can write there either, so the file is immutable */
        if ((sqlite3_errcode(s->db) & 0xff) != SQLITE_CANTOPEN)
            return NULL;
        g_clear_error(error);
        sqlite3_close_v2(s->db);
        s->db = NULL;
        uri = sqlite3_mprintf("file:%q?immutable=1", path);
        rc = sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
        sqlite3_free(g_steal_pointer(&uri));
        if (rc != SQLITE_OK) {
            g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "failed to open store '%s': %s", path,
                        s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
            return NULL;
        }
        sqlite3_extended_result_codes(s->db, 1);
        if (!read_user_version(s, &version, error))
            return NULL;
    }
    if (version == 0) {
        if (!check_not_foreign(s, error))
            return NULL;
        g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN,
                    "'%s' is not a vexp store (an SQLite database without tables)", path);
        return NULL;
    }
    if (version > STORE_SCHEMA_VERSION) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_VERSION,
                    "store '%s' has schema version %d, newer than this vexp's %d: "
                    "use a newer vexp",
                    path, version, STORE_SCHEMA_VERSION);
        return NULL;
    }
    if (version < STORE_SCHEMA_VERSION) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_VERSION,
                    "store '%s' has schema version %d and this vexp reads version %d: "
                    "'vexp results --migrate --store %s' upgrades it (read-only commands never "
                    "write to a store)",
                    path, version, STORE_SCHEMA_VERSION, path);
        return NULL;
    }
    if (!exec(s, "PRAGMA foreign_keys = ON", error))
        return NULL;
    return g_steal_pointer(&s);
}

gboolean store_is_readonly(const vexp_store *store)
{
    return store->readonly;
}

void store_close(vexp_store *store)
{
    if (!store)
        return;
    sqlite3_close_v2(store->db);
    g_free(store->path);
    g_free(store);
}

const char *store_path(const vexp_store *store)
{
    return store->path;
}

/* Runs one prepared write statement in its own transaction; checks one row changed. */
static gboolean step_done(vexp_store *s, sqlite3_stmt *st, gboolean need_change, GError **error,
                          const char *what)
{
    int rc = sqlite3_step(st);

    if (rc != SQLITE_DONE) {
        set_sql_error(s, error, "failed to %s", what);
        return FALSE;
    }
    if (need_change && sqlite3_changes(s->db) == 0) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                    "failed to %s in store '%s': no "
                    "such row",
                    what, s->path);
        return FALSE;
    }
    return TRUE;
}

static gboolean check_status(const char *status, const char *const *allowed, const char *what,
                             GError **error)
{
    if (status && g_strv_contains(allowed, status))
        return TRUE;
    g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID, "invalid %s status '%s'", what,
                status ? status : "(null)");
    return FALSE;
}

/* ---- runs ---- */

void store_run_traffic_init(store_run_traffic *t)
{
    *t = (store_run_traffic){NAN, NAN, NAN, 0, NULL, NULL, NAN, NAN};
}

gboolean store_run_begin(vexp_store *store, const store_run_info *info, gint64 *ret_run_id,
                         GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;

    if (!info->name || !info->matrix_text || !info->matrix_hash || !info->vexp_version) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                    "run '%s': name, matrix text, matrix hash and vexp version are required",
                    info->name ? info->name : "(null)");
        return FALSE;
    }
    st = prepare(store,
                 "INSERT INTO run (name, started_at, status, matrix_text, matrix_hash, "
                 "vexp_version, host, libvirt_version, qemu_version, accel, line_rate_mbps, "
                 "trial_s, resolution_pct, repetitions, method, goals, exceed_pct, duration_sum_s) "
                 "VALUES (?, " NOW_SQL ", 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 error);
    if (!st)
        return FALSE;
    bind_text(st, 1, info->name);
    bind_text(st, 2, info->matrix_text);
    bind_text(st, 3, info->matrix_hash);
    bind_text(st, 4, info->vexp_version);
    bind_text(st, 5, info->host);
    bind_text(st, 6, info->libvirt_version);
    bind_text(st, 7, info->qemu_version);
    bind_text(st, 8, info->accel);
    if (info->traffic) {
        /* unknown and out-of-range values become NULL: the columns' CHECKs stay quiet */
        bind_double(st, 9, info->traffic->line_rate_mbps > 0 ? info->traffic->line_rate_mbps : NAN);
        bind_double(st, 10, info->traffic->trial_s > 0 ? info->traffic->trial_s : NAN);
        bind_double(st, 11,
                    info->traffic->resolution_pct > 0 ? info->traffic->resolution_pct : NAN);
        if (info->traffic->repetitions)
            sqlite3_bind_int64(st, 12, info->traffic->repetitions);
        bind_text(st, 13, info->traffic->method);
        bind_text(st, 14, info->traffic->goals);
        bind_double(st, 15, info->traffic->exceed_pct);
        bind_double(st, 16, info->traffic->duration_sum_s);
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
        set_sql_error(store, error, "failed to insert run '%s'", info->name);
        return FALSE;
    }
    *ret_run_id = sqlite3_last_insert_rowid(store->db);
    return TRUE;
}

gboolean store_run_find_resumable(vexp_store *store, const char *matrix_hash, gint64 *ret_run_id,
                                  GError **error)
{
    g_autoptr(sqlite3_stmt) st =
        prepare(store,
                "SELECT id FROM run WHERE matrix_hash = ? AND status IN ('running', "
                "'interrupted') ORDER BY id DESC LIMIT 1",
                error);
    int rc;

    if (!st)
        return FALSE;
    bind_text(st, 1, matrix_hash);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *ret_run_id = sqlite3_column_int64(st, 0);
        return TRUE;
    }
    if (rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to look up a resumable run of matrix '%s'",
                      matrix_hash);
        return FALSE;
    }
    *ret_run_id = 0;
    return TRUE;
}

gboolean store_run_resume(vexp_store *store, gint64 run_id, GError **error)
{
    g_autoptr(sqlite3_stmt) st =
        prepare(store, "UPDATE run SET status = 'running', finished_at = NULL WHERE id = ?", error);
    g_autofree char *what = NULL;

    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, run_id);
    what = g_strdup_printf("resume run %" G_GINT64_FORMAT, run_id);
    return step_done(store, st, TRUE, error, what);
}

gboolean store_run_finish(vexp_store *store, gint64 run_id, const char *status, GError **error)
{
    static const char *const allowed[] = {"complete", "interrupted", "failed", NULL};
    g_autoptr(sqlite3_stmt) st = NULL;
    g_autofree char *what = NULL;

    if (!check_status(status, allowed, "run", error))
        return FALSE;
    st = prepare(store, "UPDATE run SET status = ?, finished_at = " NOW_SQL " WHERE id = ?", error);
    if (!st)
        return FALSE;
    bind_text(st, 1, status);
    sqlite3_bind_int64(st, 2, run_id);
    what = g_strdup_printf("finish run %" G_GINT64_FORMAT " as '%s'", run_id, status);
    return step_done(store, st, TRUE, error, what);
}

void store_run_free(store_run *run)
{
    if (!run)
        return;
    g_free(run->name);
    g_free(run->started_at);
    g_free(run->finished_at);
    g_free(run->status);
    g_free(run->matrix_hash);
    g_free(run->vexp_version);
    g_free(run->host);
    g_free(run->libvirt_version);
    g_free(run->qemu_version);
    g_free(run->accel);
    g_free((char *)run->traffic.method);
    g_free((char *)run->traffic.goals);
    g_free(run);
}

#define RUN_COLUMNS                                                                                \
    "id, name, started_at, finished_at, status, matrix_hash, vexp_version, host, "                 \
    "libvirt_version, qemu_version, accel, line_rate_mbps, trial_s, resolution_pct, repetitions, " \
    "method, goals, exceed_pct, duration_sum_s"

static store_run *run_from_row(sqlite3_stmt *st)
{
    store_run *r = g_new0(store_run, 1);

    r->id = sqlite3_column_int64(st, 0);
    r->name = col_text(st, 1);
    r->started_at = col_text(st, 2);
    r->finished_at = col_text(st, 3);
    r->status = col_text(st, 4);
    r->matrix_hash = col_text(st, 5);
    r->vexp_version = col_text(st, 6);
    r->host = col_text(st, 7);
    r->libvirt_version = col_text(st, 8);
    r->qemu_version = col_text(st, 9);
    r->accel = col_text(st, 10);
    r->traffic.line_rate_mbps = col_double(st, 11);
    r->traffic.trial_s = col_double(st, 12);
    r->traffic.resolution_pct = col_double(st, 13);
    r->traffic.repetitions = (guint)sqlite3_column_int64(st, 14);
    r->traffic.method = col_text(st, 15);
    r->traffic.goals = col_text(st, 16);
    r->traffic.exceed_pct = col_double(st, 17);
    r->traffic.duration_sum_s = col_double(st, 18);
    return r;
}

/* run_id 0 -> the latest run's id */
static gboolean resolve_run(vexp_store *store, gint64 run_id, gint64 *ret_id, GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;
    int rc;

    st = prepare(store,
                 run_id ? "SELECT id FROM run WHERE id = ?"
                        : "SELECT id FROM run ORDER BY id DESC LIMIT 1",
                 error);
    if (!st)
        return FALSE;
    if (run_id)
        sqlite3_bind_int64(st, 1, run_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *ret_id = sqlite3_column_int64(st, 0);
        return TRUE;
    }
    if (rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to look up run %" G_GINT64_FORMAT, run_id);
        return FALSE;
    }
    if (run_id)
        g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                    "no run %" G_GINT64_FORMAT " in store '%s'", run_id, store->path);
    else
        g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no runs in store '%s'",
                    store->path);
    return FALSE;
}

gboolean store_run_get(vexp_store *store, gint64 run_id, store_run **ret_run, GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;
    gint64 id;

    if (!resolve_run(store, run_id, &id, error))
        return FALSE;
    st = prepare(store, "SELECT " RUN_COLUMNS " FROM run WHERE id = ?", error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        set_sql_error(store, error, "failed to read run %" G_GINT64_FORMAT, id);
        return FALSE;
    }
    *ret_run = run_from_row(st);
    return TRUE;
}

gboolean store_run_matrix_text(vexp_store *store, gint64 run_id, char **ret_text, GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;
    gint64 id;

    if (!resolve_run(store, run_id, &id, error))
        return FALSE;
    st = prepare(store, "SELECT matrix_text FROM run WHERE id = ?", error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        set_sql_error(store, error, "failed to read the matrix of run %" G_GINT64_FORMAT, id);
        return FALSE;
    }
    *ret_text = col_text(st, 0);
    return TRUE;
}

gboolean store_run_list(vexp_store *store, GPtrArray **ret_runs, GError **error)
{
    g_autoptr(sqlite3_stmt) st =
        prepare(store, "SELECT " RUN_COLUMNS " FROM run ORDER BY id DESC", error);
    g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func((GDestroyNotify)store_run_free);
    int rc;

    if (!st)
        return FALSE;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        g_ptr_array_add(runs, run_from_row(st));
    if (rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to list runs");
        return FALSE;
    }
    *ret_runs = g_steal_pointer(&runs);
    return TRUE;
}

/* ---- configs ---- */

gboolean store_config_upsert(vexp_store *store, const store_config_info *info,
                             gint64 *ret_config_id, GError **error)
{
    g_autoptr(sqlite3_stmt) ins = NULL;
    g_autoptr(sqlite3_stmt) sel = NULL;

    if (!info->key || !*info->key || !info->nic) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                    "config '%s': key and nic are required", info->key ? info->key : "(null)");
        return FALSE;
    }
    if (info->vhost && strcmp(info->vhost, "on") && strcmp(info->vhost, "off")) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                    "config '%s': vhost '%s' is not 'on' or 'off'", info->key, info->vhost);
        return FALSE;
    }
    ins = prepare(store,
                  "INSERT INTO config (key, nic, vcpus, vcpu_pin, emulator_pin, memory_mib, "
                  "accel, machine, domain_xml, vhost, queues, created_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, " NOW_SQL ") "
                  "ON CONFLICT (key) DO NOTHING",
                  error);
    sel = ins ? prepare(store, "SELECT id FROM config WHERE key = ?", error) : NULL;
    if (!sel)
        return FALSE;
    bind_text(ins, 1, info->key);
    bind_text(ins, 2, info->nic);
    if (info->vcpus)
        sqlite3_bind_int64(ins, 3, info->vcpus);
    bind_text(ins, 4, info->vcpu_pin);
    bind_text(ins, 5, info->emulator_pin);
    if (info->memory_mib)
        sqlite3_bind_int64(ins, 6, info->memory_mib);
    bind_text(ins, 7, info->accel);
    bind_text(ins, 8, info->machine);
    bind_text(ins, 9, info->domain_xml);
    bind_text(ins, 10, info->vhost);
    if (info->queues)
        sqlite3_bind_int64(ins, 11, info->queues);
    if (sqlite3_step(ins) != SQLITE_DONE) {
        set_sql_error(store, error, "failed to insert config '%s'", info->key);
        return FALSE;
    }
    bind_text(sel, 1, info->key);
    if (sqlite3_step(sel) != SQLITE_ROW) {
        set_sql_error(store, error, "failed to read back config '%s'", info->key);
        return FALSE;
    }
    *ret_config_id = sqlite3_column_int64(sel, 0);
    return TRUE;
}

/* ---- cells ---- */

gboolean store_cell_begin(vexp_store *store, gint64 run_id, gint64 config_id, guint cell_index,
                          const char *label, gint64 *ret_cell_id, GError **error)
{
    g_autoptr(sqlite3_stmt) upd = NULL;
    g_autoptr(sqlite3_stmt) ins = NULL;

    upd = prepare(store,
                  "UPDATE cell SET status = 'interrupted', finished_at = " NOW_SQL ", "
                  "reason = coalesce(reason, 'vexp stopped during the cell') "
                  "WHERE run_id = ? AND cell_index = ? AND status = 'running'",
                  error);
    ins = upd ? prepare(store,
                        "INSERT INTO cell (run_id, config_id, cell_index, attempt, label, status, "
                        "started_at) VALUES (?1, ?2, ?3, (SELECT coalesce(max(attempt), 0) + 1 "
                        "FROM cell WHERE run_id = ?1 AND cell_index = ?3), ?4, 'running', " NOW_SQL
                        ")",
                        error)
              : NULL;
    if (!ins)
        return FALSE;
    if (!exec(store, "BEGIN IMMEDIATE", error))
        return FALSE;
    sqlite3_bind_int64(upd, 1, run_id);
    sqlite3_bind_int64(upd, 2, cell_index);
    if (sqlite3_step(upd) != SQLITE_DONE) {
        set_sql_error(store, error,
                      "failed to close earlier attempts of cell %u of run %" G_GINT64_FORMAT,
                      cell_index, run_id);
        rollback(store);
        return FALSE;
    }
    sqlite3_bind_int64(ins, 1, run_id);
    sqlite3_bind_int64(ins, 2, config_id);
    sqlite3_bind_int64(ins, 3, cell_index);
    bind_text(ins, 4, label ? label : "");
    if (sqlite3_step(ins) != SQLITE_DONE) {
        set_sql_error(store, error, "failed to insert cell %u ('%s') of run %" G_GINT64_FORMAT,
                      cell_index, label ? label : "", run_id);
        rollback(store);
        return FALSE;
    }
    if (!exec(store, "COMMIT", error)) {
        rollback(store);
        return FALSE;
    }
    *ret_cell_id = sqlite3_last_insert_rowid(store->db);
    return TRUE;
}

gboolean store_cell_set_hypervisor(vexp_store *store, gint64 cell_id, const char *uri,
                                   const char *host, GError **error)
{
    g_autoptr(sqlite3_stmt) st =
        prepare(store, "UPDATE cell SET hypervisor = ?, host = ? WHERE id = ?", error);
    g_autofree char *what = NULL;

    if (!st)
        return FALSE;
    bind_text(st, 1, uri);
    bind_text(st, 2, host);
    sqlite3_bind_int64(st, 3, cell_id);
    what = g_strdup_printf("record the hypervisor '%s' of cell %" G_GINT64_FORMAT, uri ? uri : "",
                           cell_id);
    return step_done(store, st, TRUE, error, what);
}

gboolean store_cell_status(vexp_store *store, gint64 run_id, guint cell_index, char **ret_status,
                           GError **error)
{
    g_autoptr(sqlite3_stmt) st =
        prepare(store,
                "SELECT status FROM cell WHERE run_id = ? AND cell_index = ? "
                "ORDER BY attempt DESC LIMIT 1",
                error);
    int rc;

    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, cell_index);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to read the status of cell %u of run %" G_GINT64_FORMAT,
                      cell_index, run_id);
        return FALSE;
    }
    *ret_status = rc == SQLITE_ROW ? col_text(st, 0) : NULL;
    return TRUE;
}

gboolean store_cell_done(vexp_store *store, gint64 run_id, guint cell_index, gboolean *ret_done,
                         GError **error)
{
    g_autofree char *status = NULL;

    if (!store_cell_status(store, run_id, cell_index, &status, error))
        return FALSE;
    *ret_done = status && (!strcmp(status, "complete") || !strcmp(status, "failed"));
    return TRUE;
}

gboolean store_cell_finish(vexp_store *store, gint64 cell_id, const char *status,
                           const char *reason, const char *guest_driver, const char *guest_kernel,
                           GError **error)
{
    static const char *const allowed[] = {"complete", "failed", "interrupted", NULL};
    g_autoptr(sqlite3_stmt) st = NULL;
    g_autofree char *what = NULL;

    if (!check_status(status, allowed, "cell", error))
        return FALSE;
    st = prepare(store,
                 "UPDATE cell SET status = ?, reason = ?, guest_driver = coalesce(?, "
                 "guest_driver), guest_kernel = coalesce(?, guest_kernel), finished_at = " NOW_SQL
                 " WHERE id = ?",
                 error);
    if (!st)
        return FALSE;
    bind_text(st, 1, status);
    bind_text(st, 2, reason);
    bind_text(st, 3, guest_driver);
    bind_text(st, 4, guest_kernel);
    sqlite3_bind_int64(st, 5, cell_id);
    what = g_strdup_printf("finish cell %" G_GINT64_FORMAT " as '%s'", cell_id, status);
    return step_done(store, st, TRUE, error, what);
}

/* ---- trials ---- */

void store_trial_init(store_trial *t)
{
    memset(t, 0, sizeof(*t));
    t->offered_fps = NAN;
    t->sent_fps = NAN;
    t->duration_s = NAN;
    t->loss_pct = NAN;
    t->dut_cpu_pct = NAN;
    t->host_cpu_pct = NAN;
    t->valid = TRUE;
    t->rtt_min_us = t->rtt_mean_us = t->rtt_p50_us = t->rtt_p90_us = NAN;
    t->rtt_p99_us = t->rtt_p999_us = t->rtt_max_us = t->rtt_jitter_us = NAN;
}

gboolean store_trial_add(vexp_store *store, gint64 cell_id, const store_trial *t, GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;
    int i = 1;

    if (!t->test || !t->direction) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                    "trial of cell %" G_GINT64_FORMAT ": test and direction are required", cell_id);
        return FALSE;
    }
    st = prepare(
        store,
        "INSERT INTO trial (cell_id, test, direction, frame_size, repetition, step, "
        "offered_fps, duration_s, tx, rx, lost, reordered, duplicated, loss_pct, "
        "dut_cpu_pct, host_cpu_pct, passed, valid, reason, reflect, burst_frames, "
        "rtt_n, rtt_min_us, rtt_mean_us, rtt_p50_us, rtt_p90_us, rtt_p99_us, "
        "rtt_p999_us, rtt_max_us, rtt_jitter_us, sent_fps, recorded_at) VALUES (?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, " NOW_SQL
        ")",
        error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, i++, cell_id);
    bind_text(st, i++, t->test);
    bind_text(st, i++, t->direction);
    sqlite3_bind_int64(st, i++, t->frame_size);
    sqlite3_bind_int64(st, i++, t->repetition);
    sqlite3_bind_int64(st, i++, t->step);
    bind_double(st, i++, t->offered_fps);
    bind_double(st, i++, t->duration_s);
    bind_u64(st, i++, t->tx);
    bind_u64(st, i++, t->rx);
    bind_u64(st, i++, t->lost);
    bind_u64(st, i++, t->reordered);
    bind_u64(st, i++, t->duplicated);
    bind_double(st, i++, t->loss_pct);
    bind_double(st, i++, t->dut_cpu_pct);
    bind_double(st, i++, t->host_cpu_pct);
    sqlite3_bind_int(st, i++, !!t->passed);
    sqlite3_bind_int(st, i++, !!t->valid);
    bind_text(st, i++, t->reason);
    sqlite3_bind_int(st, i++, !!t->reflect);
    if (t->burst_frames)
        bind_u64(st, i, t->burst_frames);
    i++;
    if (t->has_rtt) {
        bind_u64(st, i++, t->rtt_n);
        bind_double(st, i++, t->rtt_min_us);
        bind_double(st, i++, t->rtt_mean_us);
        bind_double(st, i++, t->rtt_p50_us);
        bind_double(st, i++, t->rtt_p90_us);
        bind_double(st, i++, t->rtt_p99_us);
        bind_double(st, i++, t->rtt_p999_us);
        bind_double(st, i++, t->rtt_max_us);
        bind_double(st, i++, t->rtt_jitter_us);
    }
    bind_double(st, 31, t->sent_fps);
    /* autocommit: the INSERT is its own transaction, durable when it returns */
    if (sqlite3_step(st) != SQLITE_DONE) {
        set_sql_error(store, error,
                      "failed to insert trial (test '%s', direction '%s', frame size %u, "
                      "repetition %u, step %u) of cell %" G_GINT64_FORMAT,
                      t->test, t->direction, t->frame_size, t->repetition, t->step, cell_id);
        return FALSE;
    }
    return TRUE;
}

/* ---- results ---- */

gboolean store_metric_higher_is_better(const char *metric)
{
    /* rates and bursts; times, loss and CPU are lower-is-better */
    return g_str_has_prefix(metric, "throughput_") || g_str_has_prefix(metric, "b2b_") ||
           g_str_has_suffix(metric, "_fps") || strstr(metric, "_mbps") != NULL;
}

gboolean store_result_add(vexp_store *store, gint64 cell_id, const char *test,
                          const char *direction, guint frame_size, const char *metric,
                          const char *unit, const double *samples, guint n, GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;
    g_autofree double *x = g_new(double, n ? n : 1);
    guint m = 0;
    double mean, sd, half;

    if (!test || !direction || !metric || !unit) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                    "result of cell %" G_GINT64_FORMAT ": test, direction, metric and unit are "
                    "required",
                    cell_id);
        return FALSE;
    }
    for (guint i = 0; i < n; i++)
        if (isfinite(samples[i]))
            x[m++] = samples[i];
    if (m == 0) {
        g_set_error(
            error, STORE_ERROR, STORE_ERROR_INVALID,
            "result '%s' (test '%s', direction '%s', frame size %u) of cell %" G_GINT64_FORMAT
            ": no finite samples among %u",
            metric, test, direction, frame_size, cell_id, n);
        return FALSE;
    }
    mean = stats_mean(x, m);
    sd = stats_stddev(x, m);
    half = stats_ci95_half(sd, m);
    st = prepare(store,
                 "INSERT INTO result (cell_id, test, direction, frame_size, metric, unit, n, "
                 "mean, stddev, ci95_low, ci95_high, cov_pct, bimodal) VALUES (?, ?, ?, ?, ?, ?, "
                 "?, ?, ?, ?, ?, ?, ?) "
                 "ON CONFLICT (cell_id, test, direction, frame_size, metric) DO UPDATE SET "
                 "unit = excluded.unit, n = excluded.n, mean = excluded.mean, stddev = "
                 "excluded.stddev, ci95_low = excluded.ci95_low, ci95_high = excluded.ci95_high, "
                 "cov_pct = excluded.cov_pct, bimodal = excluded.bimodal",
                 error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, cell_id);
    bind_text(st, 2, test);
    bind_text(st, 3, direction);
    sqlite3_bind_int64(st, 4, frame_size);
    bind_text(st, 5, metric);
    bind_text(st, 6, unit);
    sqlite3_bind_int64(st, 7, m);
    bind_double(st, 8, mean);
    bind_double(st, 9, sd);
    bind_double(st, 10, mean - half);
    bind_double(st, 11, mean + half);
    bind_double(st, 12, stats_cov_pct(mean, sd));
    if (m >= STATS_BIMODAL_MIN_N)
        sqlite3_bind_int(st, 13, stats_bimodal(x, m));
    if (sqlite3_step(st) != SQLITE_DONE) {
        set_sql_error(store, error,
                      "failed to insert result '%s' (test '%s', direction '%s', frame size %u) "
                      "of cell %" G_GINT64_FORMAT,
                      metric, test, direction, frame_size, cell_id);
        return FALSE;
    }
    return TRUE;
}

void store_result_row_free(store_result_row *row)
{
    if (!row)
        return;
    g_free(row->label);
    g_free(row->cell_status);
    g_free(row->config_key);
    g_free(row->nic);
    g_free(row->accel);
    g_free(row->vhost);
    g_free(row->hypervisor);
    g_free(row->host);
    g_free(row->test);
    g_free(row->direction);
    g_free(row->metric);
    g_free(row->unit);
    g_free(row);
}

/* the latest attempt of each cell of a run */
#define LATEST_ATTEMPT                                                                             \
    "ce.attempt = (SELECT max(x.attempt) FROM cell x WHERE x.run_id = ce.run_id AND "              \
    "x.cell_index = ce.cell_index)"

gboolean store_results_rows(vexp_store *store, gint64 run_id, store_run **ret_run,
                            GPtrArray **ret_rows, GError **error)
{
    g_autoptr(store_run) run = NULL;
    g_autoptr(sqlite3_stmt) st = NULL;
    g_autoptr(GPtrArray) rows =
        g_ptr_array_new_with_free_func((GDestroyNotify)store_result_row_free);
    int rc;

    if (!store_run_get(store, run_id, &run, error))
        return FALSE;
    st = prepare(store,
                 "SELECT ce.cell_index, ce.label, ce.status, c.key, c.nic, "
                 "coalesce(c.accel, ru.accel), r.test, r.direction, r.frame_size, r.metric, "
                 "r.unit, r.n, r.mean, r.stddev, r.ci95_low, r.ci95_high, c.vhost, c.queues, "
                 "ce.hypervisor, ce.host, r.cov_pct, r.bimodal "
                 "FROM result r JOIN cell ce ON ce.id = r.cell_id "
                 "JOIN config c ON c.id = ce.config_id JOIN run ru ON ru.id = ce.run_id "
                 "WHERE ce.run_id = ? AND " LATEST_ATTEMPT " ORDER BY ce.cell_index, r.id",
                 error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, run->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_result_row *r = g_new0(store_result_row, 1);

        r->cell_index = (guint)sqlite3_column_int64(st, 0);
        r->label = col_text(st, 1);
        r->cell_status = col_text(st, 2);
        r->config_key = col_text(st, 3);
        r->nic = col_text(st, 4);
        r->accel = col_text(st, 5);
        r->test = col_text(st, 6);
        r->direction = col_text(st, 7);
        r->frame_size = (guint)sqlite3_column_int64(st, 8);
        r->metric = col_text(st, 9);
        r->unit = col_text(st, 10);
        r->n = (guint)sqlite3_column_int64(st, 11);
        r->mean = col_double(st, 12);
        r->stddev = col_double(st, 13);
        r->ci95_low = col_double(st, 14);
        r->ci95_high = col_double(st, 15);
        r->vhost = col_text(st, 16);
        r->queues = (guint)sqlite3_column_int64(st, 17); /* NULL -> 0 */
        r->hypervisor = col_text(st, 18);
        r->host = col_text(st, 19);
        r->cov_pct = col_double(st, 20);
        r->bimodal = sqlite3_column_int(st, 21) == 1;
        g_ptr_array_add(rows, r);
    }
    if (rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to read the results of run %" G_GINT64_FORMAT, run->id);
        return FALSE;
    }
    if (ret_run)
        *ret_run = g_steal_pointer(&run);
    *ret_rows = g_steal_pointer(&rows);
    return TRUE;
}

void store_cell_row_free(store_cell_row *row)
{
    if (!row)
        return;
    g_free(row->label);
    g_free(row->config_key);
    g_free(row->nic);
    g_free(row->status);
    g_free(row->reason);
    g_free(row->guest_driver);
    g_free(row->guest_kernel);
    g_free(row->hypervisor);
    g_free(row->host);
    g_free(row->started_at);
    g_free(row->finished_at);
    g_free(row->accel);
    g_free(row->vhost);
    g_free(row);
}

gboolean store_cells_rows(vexp_store *store, gint64 run_id, GPtrArray **ret_rows, GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)store_cell_row_free);
    gint64 id;
    int rc;

    if (!resolve_run(store, run_id, &id, error))
        return FALSE;
    st = prepare(store,
                 "SELECT ce.id, ce.cell_index, ce.attempt, ce.label, c.key, c.nic, ce.status, "
                 "ce.reason, ce.guest_driver, ce.guest_kernel, ce.hypervisor, ce.host, "
                 "ce.started_at, ce.finished_at, coalesce(c.accel, ru.accel), c.vhost, c.queues, "
                 "c.vcpus FROM cell ce JOIN config c ON c.id = ce.config_id JOIN run ru ON ru.id = "
                 "ce.run_id WHERE ce.run_id = ? AND " LATEST_ATTEMPT " ORDER BY ce.cell_index",
                 error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_cell_row *r = g_new0(store_cell_row, 1);

        r->id = sqlite3_column_int64(st, 0);
        r->cell_index = (guint)sqlite3_column_int64(st, 1);
        r->attempt = (guint)sqlite3_column_int64(st, 2);
        r->label = col_text(st, 3);
        r->config_key = col_text(st, 4);
        r->nic = col_text(st, 5);
        r->status = col_text(st, 6);
        r->reason = col_text(st, 7);
        r->guest_driver = col_text(st, 8);
        r->guest_kernel = col_text(st, 9);
        r->hypervisor = col_text(st, 10);
        r->host = col_text(st, 11);
        r->started_at = col_text(st, 12);
        r->finished_at = col_text(st, 13);
        r->accel = col_text(st, 14);
        r->vhost = col_text(st, 15);
        r->queues = (guint)sqlite3_column_int64(st, 16);
        r->vcpus = (guint)sqlite3_column_int64(st, 17);
        g_ptr_array_add(rows, r);
    }
    if (rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to read the cells of run %" G_GINT64_FORMAT, id);
        return FALSE;
    }
    *ret_rows = g_steal_pointer(&rows);
    return TRUE;
}

void store_trial_row_free(store_trial_row *row)
{
    if (!row)
        return;
    g_free(row->test);
    g_free(row->direction);
    g_free(row);
}

gboolean store_trials_rows(vexp_store *store, gint64 run_id, const char *test, GPtrArray **ret_rows,
                           GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;
    g_autoptr(GPtrArray) rows =
        g_ptr_array_new_with_free_func((GDestroyNotify)store_trial_row_free);
    gint64 id;
    int rc;

    if (!resolve_run(store, run_id, &id, error))
        return FALSE;
    st = prepare(store,
                 "SELECT ce.cell_index, t.test, t.direction, t.frame_size, t.repetition, t.step, "
                 "t.offered_fps, t.duration_s, t.loss_pct, t.tx, t.rx, t.lost, t.passed, t.valid "
                 "FROM trial t JOIN cell ce ON ce.id = t.cell_id WHERE ce.run_id = ?1 AND "
                 "(?2 IS NULL OR t.test = ?2) AND " LATEST_ATTEMPT
                 " ORDER BY ce.cell_index, t.test, t.direction, t.frame_size, t.repetition, "
                 "t.step, t.id",
                 error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, id);
    bind_text(st, 2, test);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_trial_row *r = g_new0(store_trial_row, 1);

        r->cell_index = (guint)sqlite3_column_int64(st, 0);
        r->test = col_text(st, 1);
        r->direction = col_text(st, 2);
        r->frame_size = (guint)sqlite3_column_int64(st, 3);
        r->repetition = (guint)sqlite3_column_int64(st, 4);
        r->step = (guint)sqlite3_column_int64(st, 5);
        r->offered_fps = col_double(st, 6);
        r->duration_s = col_double(st, 7);
        r->loss_pct = col_double(st, 8);
        r->tx = (guint64)sqlite3_column_int64(st, 9);
        r->rx = (guint64)sqlite3_column_int64(st, 10);
        r->lost = (guint64)sqlite3_column_int64(st, 11);
        r->passed = sqlite3_column_int(st, 12) != 0;
        r->valid = sqlite3_column_int(st, 13) != 0;
        g_ptr_array_add(rows, r);
    }
    if (rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to read the trials of run %" G_GINT64_FORMAT, id);
        return FALSE;
    }
    *ret_rows = g_steal_pointer(&rows);
    return TRUE;
}

guint store_cells_n_hypervisors(GPtrArray *cells)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; i < cells->len; i++) {
        const store_cell_row *c = g_ptr_array_index(cells, i);
        if (!c->hypervisor && !c->host)
            continue;
        /* \x1f: neither a URI nor a host name contains it */
        g_hash_table_add(seen, g_strdup_printf("%s\x1f%s", c->hypervisor ? c->hypervisor : "",
                                               c->host ? c->host : ""));
    }
    return g_hash_table_size(seen);
}

/* ---- compare ---- */

const char *store_verdict_name(store_verdict v)
{
    switch (v) {
    case STORE_VERDICT_SAME:
        return "same";
    case STORE_VERDICT_BETTER:
        return "better";
    case STORE_VERDICT_WORSE:
        return "worse";
    case STORE_VERDICT_ONLY_A:
        return "only-a";
    case STORE_VERDICT_ONLY_B:
        return "only-b";
    }
    return "unknown";
}

void store_compare_row_free(store_compare_row *row)
{
    if (!row)
        return;
    g_free(row->config_key);
    g_free(row->label);
    g_free(row->nic);
    g_free(row->test);
    g_free(row->direction);
    g_free(row->metric);
    g_free(row->unit);
    g_free(row->accel_a);
    g_free(row->accel_b);
    g_free(row->vhost);
    g_free(row);
}

gboolean store_compare_row_mixed_accel(const store_compare_row *row)
{
    if (row->verdict == STORE_VERDICT_ONLY_A || row->verdict == STORE_VERDICT_ONLY_B)
        return FALSE;
    return row->accel_a && row->accel_b && strcmp(row->accel_a, row->accel_b) != 0;
}

/* one side's figure for a match key */
typedef struct cmp_side {
    char *match; /* key \x1f test \x1f direction \x1f frame \x1f metric */
    char *config_key, *label, *nic, *test, *direction, *metric, *unit;
    char *accel, *vhost;
    guint frame_size, n, queues;
    double mean, stddev;
} cmp_side;

static void cmp_side_free(cmp_side *c)
{
    g_free(c->match);
    g_free(c->config_key);
    g_free(c->label);
    g_free(c->nic);
    g_free(c->test);
    g_free(c->direction);
    g_free(c->metric);
    g_free(c->unit);
    g_free(c->accel);
    g_free(c->vhost);
    g_free(c);
}

/* A config key can occur in several cells of a run (axes that do not change
 * the canonical XML): the first cell wins, and of its attempts the latest. */
static gboolean cmp_load(vexp_store *store, gint64 run_id, GPtrArray **ret, GError **error)
{
    g_autoptr(sqlite3_stmt) st = NULL;
    g_autoptr(GPtrArray) sides = g_ptr_array_new_with_free_func((GDestroyNotify)cmp_side_free);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    int rc;

    /* the bare-host reference runs no VM: no accelerator, whatever the run's */
    st = prepare(store,
                 "SELECT c.key, ce.label, c.nic, r.test, r.direction, r.frame_size, r.metric, "
                 "r.unit, r.n, r.mean, r.stddev, "
                 "CASE WHEN c.nic = 'host' THEN NULL ELSE coalesce(c.accel, ru.accel) END, "
                 "c.vhost, c.queues FROM result r JOIN cell ce ON ce.id = r.cell_id "
                 "JOIN config c ON c.id = ce.config_id JOIN run ru ON ru.id = ce.run_id "
                 "WHERE ce.run_id = ? ORDER BY ce.cell_index, ce.attempt DESC, ce.id DESC, r.id",
                 error);
    if (!st)
        return FALSE;
    sqlite3_bind_int64(st, 1, run_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cmp_side *c = g_new0(cmp_side, 1);

        c->config_key = col_text(st, 0);
        c->label = col_text(st, 1);
        c->nic = col_text(st, 2);
        c->test = col_text(st, 3);
        c->direction = col_text(st, 4);
        c->frame_size = (guint)sqlite3_column_int64(st, 5);
        c->metric = col_text(st, 6);
        c->unit = col_text(st, 7);
        c->n = (guint)sqlite3_column_int64(st, 8);
        c->mean = col_double(st, 9);
        c->stddev = col_double(st, 10);
        c->accel = col_text(st, 11);
        c->vhost = col_text(st, 12);
        c->queues = (guint)sqlite3_column_int64(st, 13);
        c->match = g_strdup_printf("%s\x1f%s\x1f%s\x1f%u\x1f%s", c->config_key, c->test,
                                   c->direction, c->frame_size, c->metric);
        /* first seen = latest attempt of the earliest cell with that figure */
        if (g_hash_table_contains(seen, c->match)) {
            cmp_side_free(c);
            continue;
        }
        g_hash_table_add(seen, c->match);
        g_ptr_array_add(sides, c);
    }
    if (rc != SQLITE_DONE) {
        set_sql_error(store, error, "failed to read the results of run %" G_GINT64_FORMAT, run_id);
        return FALSE;
    }
    *ret = g_steal_pointer(&sides);
    return TRUE;
}

static store_compare_row *cmp_row_new(const cmp_side *c)
{
    store_compare_row *r = g_new0(store_compare_row, 1);

    r->config_key = g_strdup(c->config_key);
    r->label = g_strdup(c->label);
    r->nic = g_strdup(c->nic);
    r->test = g_strdup(c->test);
    r->direction = g_strdup(c->direction);
    r->frame_size = c->frame_size;
    r->metric = g_strdup(c->metric);
    r->unit = g_strdup(c->unit);
    r->higher_is_better = store_metric_higher_is_better(c->metric);
    r->vhost = g_strdup(c->vhost);
    r->queues = c->queues;
    r->mean_a = r->stddev_a = r->mean_b = r->stddev_b = NAN;
    r->delta_pct = r->t = r->df = r->p = NAN;
    return r;
}

static void cmp_decide(store_compare_row *r, double threshold_pct, double alpha)
{
    gboolean significant, beyond;
    double worse_pct;

    if (r->mean_a == r->mean_b)
        r->delta_pct = 0.0;
    else if (r->mean_a == 0.0)
        r->delta_pct = r->mean_b > 0 ? INFINITY : -INFINITY;
    else
        r->delta_pct = (r->mean_b - r->mean_a) / fabs(r->mean_a) * 100.0;

    r->threshold_only = r->n_a < 2 || r->n_b < 2;
    if (r->threshold_only) {
        significant = TRUE;
    } else {
        stats_welch w =
            stats_welch_test(r->mean_a, r->stddev_a, r->n_a, r->mean_b, r->stddev_b, r->n_b);
        r->t = w.t;
        r->df = w.df;
        r->p = w.p;
        significant = w.p < alpha;
    }
    /* positive = changed for the worse */
    worse_pct = r->higher_is_better ? -r->delta_pct : r->delta_pct;
    beyond = fabs(worse_pct) > threshold_pct;
    if (beyond && significant)
        r->verdict = worse_pct > 0 ? STORE_VERDICT_WORSE : STORE_VERDICT_BETTER;
    else
        r->verdict = STORE_VERDICT_SAME;
}

gboolean store_compare(vexp_store *store, gint64 run_a, gint64 run_b, double threshold_pct,
                       double alpha, GPtrArray **ret_rows, GError **error)
{
    g_autoptr(GPtrArray) a = NULL;
    g_autoptr(GPtrArray) b = NULL;
    g_autoptr(GHashTable) b_by_match = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) b_used = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_autoptr(GPtrArray) rows =
        g_ptr_array_new_with_free_func((GDestroyNotify)store_compare_row_free);
    g_autoptr(GPtrArray) only_a = g_ptr_array_new();
    gint64 id_a, id_b;

    if (!(threshold_pct >= 0.0) || !isfinite(threshold_pct) || !(alpha > 0.0 && alpha < 1.0)) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                    "compare: threshold %g %% must be >= 0 and alpha %g within (0, 1)",
                    threshold_pct, alpha);
        return FALSE;
    }
    if (!resolve_run(store, run_a, &id_a, error) || !resolve_run(store, run_b, &id_b, error) ||
        !cmp_load(store, id_a, &a, error) || !cmp_load(store, id_b, &b, error))
        return FALSE;
    for (guint i = 0; i < b->len; i++) {
        cmp_side *c = b->pdata[i];
        g_hash_table_insert(b_by_match, c->match, c);
    }
    for (guint i = 0; i < a->len; i++) {
        cmp_side *ca = a->pdata[i];
        cmp_side *cb = g_hash_table_lookup(b_by_match, ca->match);
        store_compare_row *r;

        if (!cb) {
            g_ptr_array_add(only_a, ca);
            continue;
        }
        g_hash_table_add(b_used, cb);
        r = cmp_row_new(ca);
        r->accel_a = g_strdup(ca->accel);
        r->accel_b = g_strdup(cb->accel);
        r->n_a = ca->n;
        r->mean_a = ca->mean;
        r->stddev_a = ca->stddev;
        r->n_b = cb->n;
        r->mean_b = cb->mean;
        r->stddev_b = cb->stddev;
        cmp_decide(r, threshold_pct, alpha);
        g_ptr_array_add(rows, r);
    }
    for (guint i = 0; i < only_a->len; i++) {
        cmp_side *ca = only_a->pdata[i];
        store_compare_row *r = cmp_row_new(ca);

        r->accel_a = g_strdup(ca->accel);
        r->n_a = ca->n;
        r->mean_a = ca->mean;
        r->stddev_a = ca->stddev;
        r->verdict = STORE_VERDICT_ONLY_A;
        g_ptr_array_add(rows, r);
    }
    for (guint i = 0; i < b->len; i++) {
        cmp_side *cb = b->pdata[i];
        store_compare_row *r;

        if (g_hash_table_contains(b_used, cb))
            continue;
        r = cmp_row_new(cb);
        r->accel_b = g_strdup(cb->accel);
        r->n_b = cb->n;
        r->mean_b = cb->mean;
        r->stddev_b = cb->stddev;
        r->verdict = STORE_VERDICT_ONLY_B;
        g_ptr_array_add(rows, r);
    }
    *ret_rows = g_steal_pointer(&rows);
    return TRUE;
}
