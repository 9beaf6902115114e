/* SPDX-License-Identifier: MIT */
/* vexp store: the schema, its migrations, opening a file, and the SQL helpers the other files
 * share. */
#include "vexp-config.h"

#include <math.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "store-int.h"

G_DEFINE_QUARK(vexp_store_error, store_error)

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

/* v5: the CI gate.  Tags of a run (commit, branch, pipeline, ...), each
 * verdict of `vexp regress` with the run it judged and its baseline, runs
 * marked as baselines by hand, and two views that make the usual queries
 * one-liners: the latest attempt of every cell, and every figure with its
 * run, config key and cell. */
static const char schema_v5[] =
    "ALTER TABLE run ADD COLUMN tester_cpus TEXT;"
    "CREATE TABLE run_tag ("
    "  run_id INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (run_id, key)"
    ");"
    "CREATE INDEX run_tag_value ON run_tag (key, value, run_id);"
    "CREATE TABLE gate ("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,"
    "  baseline_id INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,"
    "  verdict TEXT NOT NULL CHECK (verdict IN ('pass','fail')),"
    "  threshold_pct REAL NOT NULL,"
    "  alpha REAL NOT NULL,"
    "  matched INTEGER NOT NULL,"
    "  worse INTEGER NOT NULL,"
    "  unmatched INTEGER NOT NULL,"
    "  reason TEXT,"
    "  vexp_version TEXT NOT NULL,"
    "  decided_at TEXT NOT NULL"
    ");"
    "CREATE INDEX gate_run ON gate (run_id, id);"
    "CREATE TABLE baseline ("
    "  run_id INTEGER PRIMARY KEY REFERENCES run (id) ON DELETE CASCADE,"
    "  set_at TEXT NOT NULL"
    ");"
    "CREATE VIEW latest_cell AS SELECT ce.* FROM cell ce WHERE ce.attempt = "
    "  (SELECT max(x.attempt) FROM cell x WHERE x.run_id = ce.run_id "
    "   AND x.cell_index = ce.cell_index);"
    "CREATE VIEW figure AS SELECT ce.run_id AS run_id, c.key AS config_key, ce.label AS label, "
    "  c.nic AS nic, ce.cell_index AS cell_index, ce.status AS cell_status, r.test AS test, "
    "  r.direction AS direction, r.frame_size AS frame_size, r.metric AS metric, r.unit AS unit, "
    "  r.mean AS mean, r.stddev AS stddev, r.n AS n, r.ci95_low AS ci95_low, "
    "  r.ci95_high AS ci95_high, r.cov_pct AS cov_pct, r.bimodal AS bimodal "
    "  FROM result r JOIN latest_cell ce ON ce.id = r.cell_id "
    "  JOIN config c ON c.id = ce.config_id;";

/* v6: a resume at the figure level.  A measure is one test x direction x frame size x
 * repetition of a cell attempt, written when final with the values of its figures (the
 * samples); the result rows are derived from them.  A later attempt of the cell carries the
 * earlier attempts' measures forward: measured_by names the attempt whose trials they are. */
static const char schema_v6[] =
    "CREATE TABLE measure ("
    "  id INTEGER PRIMARY KEY,"
    "  cell_id INTEGER NOT NULL REFERENCES cell (id) ON DELETE CASCADE,"
    "  test TEXT NOT NULL,"
    "  direction TEXT NOT NULL,"
    "  frame_size INTEGER NOT NULL,"
    "  repetition INTEGER NOT NULL,"
    "  measured_by INTEGER NOT NULL REFERENCES cell (id) ON DELETE CASCADE,"
    "  recorded_at TEXT NOT NULL,"
    "  UNIQUE (cell_id, test, direction, frame_size, repetition)"
    ");"
    "CREATE INDEX measure_by ON measure (measured_by);"
    "CREATE TABLE sample ("
    "  id INTEGER PRIMARY KEY,"
    "  measure_id INTEGER NOT NULL REFERENCES measure (id) ON DELETE CASCADE,"
    "  metric TEXT NOT NULL,"
    "  unit TEXT NOT NULL,"
    "  value REAL NOT NULL"
    ");"
    "CREATE INDEX sample_measure ON sample (measure_id);";

/* v7: the tester's data plane: the one a run asked for (auto, xdp or socket: --tester-dataplane,
 * else [traffic] tester_dataplane, else the engine's default) and the one each trial ran on
 * (xdp or socket: auto picks per trial and may fall back).  Older rows, and trials whose tester
 * side did not say, get NULL = unknown.  No CHECK: the names are the engine's, and a plane it
 * adds should need no table rebuild. */
static const char schema_v7[] = "ALTER TABLE run ADD COLUMN tester_dataplane TEXT;"
                                "ALTER TABLE trial ADD COLUMN tester_dataplane TEXT;";

const store_migration store_migrations[] = {
    {1, schema_v1}, {2, schema_v2}, {3, schema_v3}, {4, schema_v4},
    {5, schema_v5}, {6, schema_v6}, {7, schema_v7},
};
G_STATIC_ASSERT(G_N_ELEMENTS(store_migrations) == STORE_SCHEMA_VERSION);
const guint store_n_migrations = G_N_ELEMENTS(store_migrations);

/* Sets STORE_ERROR_SQL: the caller's formatted message, then SQLite's. */
G_GNUC_PRINTF(3, 4)
void set_sql_error(vexp_store *s, GError **error, const char *fmt, ...)
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

sqlite3_stmt *prepare(vexp_store *s, const char *sql, GError **error)
{
    sqlite3_stmt *stmt = NULL;

    if (sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        set_sql_error(s, error, "failed to prepare statement '%.60s'", sql);
        return NULL;
    }
    return stmt;
}

/* statements without parameters or rows (BEGIN, COMMIT, PRAGMA x = y) */
gboolean exec(vexp_store *s, const char *sql, GError **error)
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

void rollback(vexp_store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

void bind_double(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

/* unsigned counts fit in int64 as long as they are below 2^63 frames */
void bind_u64(sqlite3_stmt *st, int i, guint64 v)
{
    sqlite3_bind_int64(st, i, (sqlite3_int64)MIN(v, (guint64)G_MAXINT64));
}

char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    return t ? g_strdup((const char *)t) : NULL;
}

double col_double(sqlite3_stmt *st, int i)
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
