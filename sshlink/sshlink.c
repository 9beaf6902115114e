/* SPDX-License-Identifier: MIT */
/* SSH push over libssh: pinned host key, exec, file copy, the agent as a traffic transport. */

#include "sshlink.h"

#include <errno.h>
#include <string.h>

#include <libssh/libssh.h>

#define SSH_DEFAULT_TIMEOUT_MS 10000u
#define SSH_MAX_OUTPUT (16u << 20)  /* bytes per stream of sshlink_exec */
#define SSH_MAX_PUSH (512u << 20)   /* bytes; the engine is ~1 MB */
#define SSH_MAX_KEYFILE (1u << 20)  /* bytes of a pinned key / known_hosts file */
#define SSH_AGENT_STDERR_KEEP 4096u /* bytes of agent stderr kept for messages */
#define SSH_POLL_MS 50              /* read slice while waiting for a command */

GQuark sshlink_error_quark(void)
{
    return g_quark_from_static_string("vexp-sshlink-error");
}

/* g_autoptr names for libssh's pointer typedefs */
typedef struct ssh_key_struct ssh_key_obj;
typedef struct ssh_channel_struct ssh_channel_obj;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ssh_key_obj, ssh_key_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ssh_channel_obj, ssh_channel_free)

struct sshlink {
    gint refs; /* the caller's + one per live agent channel */
    ssh_session session;
    char *target; /* "user@host:port" for messages */
    char *fingerprint;
    unsigned timeout_ms;
    GString *agent_stderr;
};

static sshlink *sshlink_ref(sshlink *ssh)
{
    g_atomic_int_inc(&ssh->refs);
    return ssh;
}

static void sshlink_unref(sshlink *ssh)
{
    if (!ssh || !g_atomic_int_dec_and_test(&ssh->refs))
        return;
    if (ssh->session) {
        if (ssh_is_connected(ssh->session))
            ssh_disconnect(ssh->session);
        ssh_free(ssh->session);
    }
    g_free(ssh->target);
    g_free(ssh->fingerprint);
    g_string_free(ssh->agent_stderr, TRUE);
    g_free(ssh);
}

void sshlink_free(sshlink *ssh)
{
    sshlink_unref(ssh);
}

const char *sshlink_host_fingerprint(sshlink *ssh)
{
    return ssh->fingerprint;
}

const char *sshlink_agent_stderr(sshlink *ssh)
{
    return ssh->agent_stderr->str;
}

/* ---- pure helpers --------------------------------------------------------- */

char *sshlink_quote(const char *arg)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789_./:=@%+,-";
    GString *q;

    if (*arg && strspn(arg, safe) == strlen(arg))
        return g_strdup(arg);
    q = g_string_new("'");
    for (const char *c = arg; *c; c++) {
        if (*c == '\'')
            g_string_append(q, "'\\''");
        else
            g_string_append_c(q, *c);
    }
    g_string_append_c(q, '\'');
    return g_string_free(q, FALSE);
}

char *sshlink_format_fingerprint(const guint8 *digest, gsize len)
{
    g_autofree char *b64 = g_base64_encode(digest, len);
    char *eq = strchr(b64, '=');

    if (eq)
        *eq = '\0';
    return g_strconcat("SHA256:", b64, NULL);
}

/* Split "TYPE BASE64 [comment]"; FALSE when it is not a key line. */
static gboolean parse_key_line(const char *line, char **ret_type, char **ret_b64)
{
    g_auto(GStrv) f = g_strsplit_set(line, " \t", 3);
    gsize len = 0;

    if (!f[0] || !f[1] || ssh_key_type_from_name(f[0]) == SSH_KEYTYPE_UNKNOWN)
        return FALSE;
    g_autofree guchar *blob = g_base64_decode(f[1], &len);
    if (len < 4)
        return FALSE;
    *ret_type = g_strdup(f[0]);
    *ret_b64 = g_strdup(f[1]);
    return TRUE;
}

char *sshlink_key_fingerprint(const char *pubkey_line, GError **error)
{
    g_autofree char *type = NULL;
    g_autofree char *b64 = NULL;
    g_autofree char *line = g_strstrip(g_strdup(pubkey_line));
    guint8 digest[32];
    gsize dlen = sizeof(digest);
    gsize len = 0;

    if (!parse_key_line(line, &type, &b64)) {
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_INPUT,
                    "'%s' is not a public key line (TYPE BASE64 [comment])", line);
        return NULL;
    }
    g_autofree guchar *blob = g_base64_decode(b64, &len);
    g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(ck, blob, len);
    g_checksum_get_digest(ck, digest, &dlen);
    return sshlink_format_fingerprint(digest, dlen);
}

static char *key_fingerprint(ssh_key key)
{
    unsigned char *hash = NULL;
    size_t hlen = 0;

    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) < 0)
        return g_strdup("SHA256:?");
    char *fp = sshlink_format_fingerprint(hash, hlen);
    ssh_clean_pubkey_hash(&hash);
    return fp;
}

/* ---- connect ------------------------------------------------------------------ */

/* Pinned keys of a file with key lines; NULL (and no error) when the file
 * is a known_hosts file instead. */
static GPtrArray *read_pinned_keys(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    g_autoptr(GError) local = NULL;
    g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func((GDestroyNotify)ssh_key_free);
    unsigned lineno = 0;

    if (!g_file_get_contents(path, &text, &len, &local)) {
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_INPUT,
                    "cannot read pinned host key file: %s", local->message);
        return NULL;
    }
    if (len > SSH_MAX_KEYFILE || memchr(text, '\0', len)) {
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_INPUT,
                    "pinned host key file '%s' is not a text file of at most %u bytes", path,
                    SSH_MAX_KEYFILE);
        return NULL;
    }
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        char *s = g_strstrip(*l);
        g_autofree char *type = NULL;
        g_autofree char *b64 = NULL;
        ssh_key key = NULL;
        lineno++;
        if (!*s || *s == '#')
            continue;
        if (!parse_key_line(s, &type, &b64)) {
            if (keys->len == 0)
                return NULL; /* known_hosts */
            g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_INPUT,
                        "%s:%u: not a public key line: '%s'", path, lineno, s);
            return NULL;
        }
        if (ssh_pki_import_pubkey_base64(b64, ssh_key_type_from_name(type), &key) != SSH_OK) {
            g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_INPUT,
                        "%s:%u: cannot decode the '%s' key", path, lineno, type);
            return NULL;
        }
        g_ptr_array_add(keys, key);
    }
    if (keys->len == 0) {
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_INPUT,
                    "pinned host key file '%s' holds no key", path);
        return NULL;
    }
    return g_steal_pointer(&keys);
}

/* Host key algorithms that can present one of the pinned keys, so a
 * server with several host keys shows the pinned one. */
static char *hostkey_algorithms(GPtrArray *keys)
{
    g_autoptr(GString) s = g_string_new(NULL);

    for (guint i = 0; i < keys->len; i++) {
        enum ssh_keytypes_e t = ssh_key_type(g_ptr_array_index(keys, i));
        const char *alg =
            t == SSH_KEYTYPE_RSA ? "rsa-sha2-512,rsa-sha2-256,ssh-rsa" : ssh_key_type_to_char(t);
        if (!alg || strstr(s->str, alg))
            continue;
        if (s->len)
            g_string_append_c(s, ',');
        g_string_append(s, alg);
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static gboolean verify_host_key(sshlink *ssh, const sshlink_options *opts, GPtrArray *pinned,
                                GError **error)
{
    g_autoptr(ssh_key_obj) server = NULL;

    if (ssh_get_server_publickey(ssh->session, &server) != SSH_OK) {
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_CONNECT, "no host key from '%s': %s",
                    ssh->target, ssh_get_error(ssh->session));
        return FALSE;
    }
    ssh->fingerprint = key_fingerprint(server);
    if (pinned) {
        for (guint i = 0; i < pinned->len; i++) {
            if (ssh_key_cmp(server, g_ptr_array_index(pinned, i), SSH_KEY_CMP_PUBLIC) == 0)
                return TRUE;
        }
        g_autofree char *want = key_fingerprint(g_ptr_array_index(pinned, 0));
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_HOST_KEY,
                    "host key of '%s' is %s, but '%s' pins %s%s", ssh->target, ssh->fingerprint,
                    opts->host_key, want, pinned->len > 1 ? " (and others)" : "");
        return FALSE;
    }
    switch (ssh_session_is_known_server(ssh->session)) {
    case SSH_KNOWN_HOSTS_OK:
        return TRUE;
    case SSH_KNOWN_HOSTS_ERROR:
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_INPUT,
                    "cannot check '%s' against known_hosts file '%s': %s", ssh->target,
                    opts->host_key, ssh_get_error(ssh->session));
        return FALSE;
    default:
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_HOST_KEY,
                    "host key of '%s' is %s, which known_hosts file '%s' does not list "
                    "for this host",
                    ssh->target, ssh->fingerprint, opts->host_key);
        return FALSE;
    }
}

static gboolean authenticate(sshlink *ssh, const sshlink_options *opts, GError **error)
{
    int rc;

    if (opts->identity) {
        g_autoptr(ssh_key_obj) key = NULL;
        if (ssh_pki_import_privkey_file(opts->identity, NULL, NULL, NULL, &key) != SSH_OK) {
            g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_INPUT,
                        "cannot read private key '%s' (missing, unreadable or with a "
                        "passphrase)",
                        opts->identity);
            return FALSE;
        }
        rc = ssh_userauth_publickey(ssh->session, NULL, key);
    } else {
        rc = ssh_userauth_publickey_auto(ssh->session, NULL, NULL);
    }
    if (rc != SSH_AUTH_SUCCESS) {
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_AUTH, "'%s' refused key '%s': %s",
                    ssh->target, opts->identity ? opts->identity : "(ssh-agent/default keys)",
                    rc == SSH_AUTH_ERROR ? ssh_get_error(ssh->session) : "not accepted");
        return FALSE;
    }
    return TRUE;
}

sshlink *sshlink_connect(const sshlink_options *opts, GError **error)
{
    g_autoptr(sshlink) ssh = g_new0(sshlink, 1);
    g_autoptr(GPtrArray) pinned = NULL;
    g_autoptr(GError) local = NULL;
    const char *user = opts->user ? opts->user : "root";
    unsigned port = opts->port ? opts->port : 22;
    int verbosity = SSH_LOG_NOLOG;
    int no = 0;

    ssh->refs = 1;
    ssh->agent_stderr = g_string_new(NULL);
    ssh->timeout_ms = opts->timeout_ms ? opts->timeout_ms : SSH_DEFAULT_TIMEOUT_MS;
    if (!opts->host || !*opts->host || port > 65535) {
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_INPUT, "invalid SSH target '%s' port %u",
                    opts->host ? opts->host : "", port);
        return NULL;
    }
    ssh->target = g_strdup_printf("%s@%s:%u", user, opts->host, port);
    if (!opts->host_key) {
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_INPUT, "no pinned host key for '%s'",
                    ssh->target);
        return NULL;
    }
    pinned = read_pinned_keys(opts->host_key, &local);
    if (local) {
        g_propagate_error(error, g_steal_pointer(&local));
        return NULL;
    }

    long timeout_usec = (long)ssh->timeout_ms * 1000;
    ssh->session = ssh_new();
    if (!ssh->session) {
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_CONNECT, "ssh_new failed");
        return NULL;
    }
    /* no ~/.ssh/config: what vexp asks for is what happens */
    if (ssh_options_set(ssh->session, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
        ssh_options_set(ssh->session, SSH_OPTIONS_LOG_VERBOSITY, &verbosity) < 0 ||
        ssh_options_set(ssh->session, SSH_OPTIONS_HOST, opts->host) < 0 ||
        ssh_options_set(ssh->session, SSH_OPTIONS_PORT, &port) < 0 ||
        ssh_options_set(ssh->session, SSH_OPTIONS_USER, user) < 0 ||
        ssh_options_set(ssh->session, SSH_OPTIONS_TIMEOUT_USEC, &timeout_usec) < 0 ||
        ssh_options_set(ssh->session, SSH_OPTIONS_KNOWNHOSTS,
                        pinned ? "/dev/null" : opts->host_key) < 0 ||
        ssh_options_set(ssh->session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") < 0) {
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_INPUT, "invalid SSH options for '%s': %s",
                    ssh->target, ssh_get_error(ssh->session));
        return NULL;
    }
    if (pinned) {
        g_autofree char *algs = hostkey_algorithms(pinned);
        if (*algs && ssh_options_set(ssh->session, SSH_OPTIONS_HOSTKEYS, algs) < 0) {
            g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_INPUT,
                        "host key type '%s' pinned for '%s' is not supported: %s", algs,
                        ssh->target, ssh_get_error(ssh->session));
            return NULL;
        }
    }
    if (ssh_connect(ssh->session) != SSH_OK) {
        const char *msg = ssh_get_error(ssh->session);
        gboolean timed_out = strstr(msg, "imeout") || strstr(msg, "timed out");
        g_set_error(error, SSHLINK_ERROR, timed_out ? SSHLINK_ERROR_TIMEOUT : SSHLINK_ERROR_CONNECT,
                    "cannot connect to '%s': %s", ssh->target, msg);
        return NULL;
    }
    if (!verify_host_key(ssh, opts, pinned, error) || !authenticate(ssh, opts, error))
        return NULL;
    return g_steal_pointer(&ssh);
}

/* ---- exec ------------------------------------------------------------------ */

static ssh_channel open_exec(sshlink *ssh, const char *command, GError **error)
{
    g_autoptr(ssh_channel_obj) ch = ssh_channel_new(ssh->session);

    if (!ch || ssh_channel_open_session(ch) != SSH_OK ||
        ssh_channel_request_exec(ch, command) != SSH_OK) {
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_CONNECT, "cannot run '%s' on '%s': %s",
                    command, ssh->target, ssh_get_error(ssh->session));
        return NULL;
    }
    return g_steal_pointer(&ch);
}

/* Append what is available on one stream; FALSE on a channel error. */
static gboolean drain(ssh_channel ch, int is_stderr, int timeout_ms, GString *out)
{
    char buf[16384];
    int n = ssh_channel_read_timeout(ch, buf, sizeof(buf), is_stderr, timeout_ms);

    if (n == SSH_ERROR)
        return FALSE;
    if (n > 0 && out)
        g_string_append_len(out, buf, n);
    return TRUE;
}

/* Read stdout and stderr until EOF, then the exit status. */
static gboolean collect(sshlink *ssh, ssh_channel ch, const char *command, unsigned timeout_ms,
                        GString *out, GString *err, int *ret_status, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    while (!ssh_channel_is_eof(ch)) {
        if (!drain(ch, 0, SSH_POLL_MS, out) || !drain(ch, 1, 0, err)) {
            g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_CONNECT,
                        "lost '%s' while running '%s': %s", ssh->target, command,
                        ssh_get_error(ssh->session));
            return FALSE;
        }
        if (out->len > SSH_MAX_OUTPUT || err->len > SSH_MAX_OUTPUT) {
            g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_REMOTE,
                        "'%s' on '%s' wrote more than %u bytes", command, ssh->target,
                        SSH_MAX_OUTPUT);
            return FALSE;
        }
        if (g_get_monotonic_time() > deadline) {
            g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_TIMEOUT,
                        "'%s' on '%s' did not finish within %u ms", command, ssh->target,
                        timeout_ms);
            return FALSE;
        }
    }
    /* what arrived with the EOF */
    while (ssh_channel_poll(ch, 0) > 0 && drain(ch, 0, 0, out))
        ;
    while (ssh_channel_poll(ch, 1) > 0 && drain(ch, 1, 0, err))
        ;
    /* blocks until exit-status arrives or the channel closes */
    *ret_status = ssh_channel_get_exit_status(ch);
    return TRUE;
}

gboolean sshlink_exec(sshlink *ssh, const char *command, unsigned timeout_ms, char **ret_stdout,
                      char **ret_stderr, int *ret_status, GError **error)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GString) err = g_string_new(NULL);
    int status = -1;

    if (!timeout_ms)
        timeout_ms = ssh->timeout_ms;
    g_autoptr(ssh_channel_obj) ch = open_exec(ssh, command, error);
    if (!ch)
        return FALSE;
    ssh_channel_send_eof(ch);
    if (!collect(ssh, ch, command, timeout_ms, out, err, &status, error))
        return FALSE;
    ssh_channel_close(ch);
    if (ret_stdout)
        *ret_stdout = g_string_free(g_steal_pointer(&out), FALSE);
    if (ret_stderr)
        *ret_stderr = g_string_free(g_steal_pointer(&err), FALSE);
    if (ret_status)
        *ret_status = status;
    return TRUE;
}

static void set_remote_error(GError **error, sshlink *ssh, const char *command, int status,
                             const char *err)
{
    g_autofree char *e = g_strstrip(g_strdup(err ? err : ""));
    gsize len = strlen(e);
    g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_REMOTE, "'%s' on '%s' failed (status %d): %s",
                command, ssh->target, status, len > 400 ? e + len - 400 : e);
}

gboolean sshlink_run(sshlink *ssh, const char *command, unsigned timeout_ms, char **ret_stdout,
                     GError **error)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int status = -1;

    if (!sshlink_exec(ssh, command, timeout_ms, &out, &err, &status, error))
        return FALSE;
    if (status != 0) {
        set_remote_error(error, ssh, command, status, err);
        return FALSE;
    }
    if (ret_stdout)
        *ret_stdout = g_steal_pointer(&out);
    return TRUE;
}

/* ---- push -------------------------------------------------------------------- */

/* Runs command with the file on its stdin; the command prints the
 * remote path on its first line and then the checksum (or size) line. */
static gboolean push_with(sshlink *ssh, const char *local_path, const char *command,
                          char **ret_remote, GError **error)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(GError) local = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GString) err = g_string_new(NULL);
    int status = -1;

    if (!g_file_get_contents(local_path, &data, &len, &local)) {
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_INPUT, "cannot push: %s", local->message);
        return FALSE;
    }
    if (len > SSH_MAX_PUSH) {
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_INPUT,
                    "cannot push '%s': larger than %u bytes", local_path, SSH_MAX_PUSH);
        return FALSE;
    }
    g_autofree char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)data, len);

    g_autoptr(ssh_channel_obj) ch = open_exec(ssh, command, error);
    if (!ch)
        return FALSE;
    gboolean sent = TRUE;
    for (gsize off = 0; off < len;) {
        guint32 chunk = (guint32)MIN(len - off, 1u << 20);
        int n = ssh_channel_write(ch, data + off, chunk);
        if (n <= 0) {
            sent = FALSE; /* usually the remote command failed: its status says why */
            break;
        }
        off += (gsize)n;
    }
    if (sent)
        ssh_channel_send_eof(ch);
    if (!collect(ssh, ch, command, ssh->timeout_ms, out, err, &status, error))
        return FALSE;
    if (status != 0) {
        set_remote_error(error, ssh, command, status, err->str);
        return FALSE;
    }
    if (!sent) {
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_CONNECT, "failed to send '%s' to '%s': %s",
                    local_path, ssh->target, ssh_get_error(ssh->session));
        return FALSE;
    }
    g_strstrip(out->str);
    char *nl = strchr(out->str, '\n');
    g_autofree char *remote = nl ? g_strndup(out->str, (gsize)(nl - out->str)) : NULL;
    const char *check = nl ? nl + 1 : "";
    g_autofree char *size = g_strdup_printf("%" G_GSIZE_FORMAT, len);
    gboolean same =
        remote && *remote == '/' &&
        (g_str_has_prefix(check, sum) ? check[strlen(sum)] == ' ' : strcmp(check, size) == 0);
    if (!same) {
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_REMOTE,
                    "'%s' copied to '%s' on '%s' differs: remote says '%.120s', local sha256 "
                    "%s, %s bytes",
                    local_path, remote ? remote : "?", ssh->target, out->str, sum, size);
        return FALSE;
    }
    if (ret_remote)
        *ret_remote = g_steal_pointer(&remote);
    return TRUE;
}

/* sha256sum where the remote has one (busybox does), else the size */
#define PUSH_CHECK "{ sha256sum \"$f\" 2>/dev/null || wc -c < \"$f\"; }"

gboolean sshlink_push(sshlink *ssh, const char *local_path, const char *remote_path, unsigned mode,
                      GError **error)
{
    if (mode > 07777 || !remote_path || remote_path[0] != '/') {
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_INPUT,
                    "cannot push '%s' to '%s': an absolute path and a mode up to 07777 needed",
                    local_path, remote_path ? remote_path : "(null)");
        return FALSE;
    }
    g_autofree char *dir = g_path_get_dirname(remote_path);
    g_autofree char *qdir = sshlink_quote(dir);
    g_autofree char *qpath = sshlink_quote(remote_path);
    /* staged in a directory mktemp made 0700 beside the target: nobody can
     * pre-create or swap the file written; rename() then replaces the name
     * itself (a symlink or another user's file there is not written through) */
    g_autofree char *command = g_strdup_printf(
        "d=$(mktemp -d %s/.vexp-push.XXXXXXXX) || exit 1; "
        "if cat > \"$d/f\" && chmod %o \"$d/f\" && mv -f \"$d/f\" %s; then rmdir \"$d\"; "
        "else rm -rf \"$d\"; exit 1; fi; f=%s; echo %s; " PUSH_CHECK,
        qdir, mode, qpath, qpath, qpath);

    return push_with(ssh, local_path, command, NULL, error);
}

gboolean sshlink_push_private(sshlink *ssh, const char *local_path, const char *name, unsigned mode,
                              char **ret_remote_path, GError **error)
{
    if (mode > 07777 || !name || !*name || strchr(name, '/') || !strcmp(name, ".") ||
        !strcmp(name, "..")) {
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_INPUT,
                    "cannot push '%s' as '%s': a plain file name and a mode up to 07777 needed",
                    local_path, name ? name : "(null)");
        return FALSE;
    }
    g_autofree char *qname = sshlink_quote(name);
    /* mktemp -d: a fresh directory, mode 0700, that no other user can enter */
    g_autofree char *command = g_strdup_printf(
        "d=$(mktemp -d /tmp/" SSHLINK_PRIVATE_PREFIX "XXXXXXXX) || exit 1; f=\"$d\"/%s; "
        "if ! { chmod 700 \"$d\" && cat > \"$f\" && chmod %o \"$f\"; }; then rm -rf \"$d\"; "
        "exit 1; fi; echo \"$f\"; " PUSH_CHECK,
        qname, mode);

    return push_with(ssh, local_path, command, ret_remote_path, error);
}

gboolean sshlink_remove_private(sshlink *ssh, const char *remote_path, GError **error)
{
    g_autofree char *dir = remote_path ? g_path_get_dirname(remote_path) : NULL;
    g_autofree char *base = dir ? g_path_get_basename(dir) : NULL;

    if (!base || !g_str_has_prefix(dir, "/tmp/" SSHLINK_PRIVATE_PREFIX) ||
        strlen(base) != strlen(SSHLINK_PRIVATE_PREFIX) + 8) {
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_INPUT,
                    "'%s' is not a path sshlink_push_private() made", remote_path);
        return FALSE;
    }
    g_autofree char *q = sshlink_quote(dir);
    g_autofree char *cmd = g_strdup_printf("rm -rf %s", q);

    return sshlink_run(ssh, cmd, 10000, NULL, error);
}

/* ---- the agent as a traffic transport --------------------------------------- */

typedef struct agent_chan {
    sshlink *ssh; /* a reference */
    ssh_channel ch;
} agent_chan;

static void keep_stderr(agent_chan *a)
{
    GString *s = a->ssh->agent_stderr;

    while (ssh_channel_poll(a->ch, 1) > 0 && drain(a->ch, 1, 0, s)) {
        if (s->len > SSH_AGENT_STDERR_KEEP)
            g_string_erase(s, 0, (gssize)(s->len - SSH_AGENT_STDERR_KEEP));
    }
}

static ssize_t agent_read(void *ctx, void *buf, size_t len, int timeout_ms)
{
    agent_chan *a = ctx;
    int n;

    keep_stderr(a);
    if (ssh_channel_is_eof(a->ch) && ssh_channel_poll(a->ch, 0) <= 0)
        return 0;
    n = ssh_channel_read_timeout(a->ch, buf, (guint32)MIN(len, G_MAXINT32), 0,
                                 timeout_ms < 0 ? -1 : timeout_ms);
    keep_stderr(a);
    if (n == SSH_ERROR)
        return -EIO;
    if (n == 0)
        return ssh_channel_is_eof(a->ch) || ssh_channel_is_closed(a->ch) ? 0 : -ETIMEDOUT;
    return n;
}

static ssize_t agent_write(void *ctx, const void *buf, size_t len)
{
    agent_chan *a = ctx;
    const char *p = buf;

    for (size_t off = 0; off < len;) {
        int n = ssh_channel_write(a->ch, p + off, (guint32)MIN(len - off, 1u << 20));
        if (n <= 0)
            return ssh_channel_is_closed(a->ch) ? -EPIPE : -EIO;
        off += (size_t)n;
    }
    return (ssize_t)len;
}

static void agent_close(void *ctx)
{
    agent_chan *a = ctx;

    if (ssh_channel_is_open(a->ch)) {
        ssh_channel_send_eof(a->ch);
        keep_stderr(a);
        ssh_channel_close(a->ch);
    }
    ssh_channel_free(a->ch);
    sshlink_unref(a->ssh);
    g_free(a);
}

static const traffic_transport_ops agent_ops = {
    .read = agent_read,
    .write = agent_write,
    .close = agent_close,
};

traffic_conn *sshlink_start_agent(sshlink *ssh, const char *command, GError **error)
{
    traffic_conn *conn = NULL;
    ssh_channel ch = open_exec(ssh, command, error);

    if (!ch)
        return NULL;
    g_string_truncate(ssh->agent_stderr, 0);
    agent_chan *a = g_new0(agent_chan, 1);
    a->ssh = sshlink_ref(ssh);
    a->ch = ch;
    int rc = traffic_conn_open_ops(&agent_ops, a, &conn);
    if (rc < 0) {
        agent_close(a);
        g_set_error(error, SSHLINK_ERROR, SSHLINK_ERROR_CONNECT,
                    "cannot use '%s' on '%s' as the control connection: %s", command, ssh->target,
                    g_strerror(-rc));
        return NULL;
    }
    return conn;
}
