/* SPDX-License-Identifier: MIT */
/* SSH push: connect with a pinned host key, run commands, copy the engine, start its agent. */
#pragma once

#include <glib.h>

#include "traffic.h"

G_BEGIN_DECLS

/*
 * Host side only (links libssh; the engine pushed into guests does not).
 * Functions fill a GError in TRAFFIC_SSH_ERROR and never print.  One
 * session is used from one thread at a time (libssh sessions are not
 * thread safe); an agent's traffic_conn uses the session too.
 */
#define TRAFFIC_SSH_ERROR (traffic_ssh_error_quark())
GQuark traffic_ssh_error_quark(void);
typedef enum {
    TRAFFIC_SSH_ERROR_INPUT,    /* bad option, key file or pinned key file */
    TRAFFIC_SSH_ERROR_CONNECT,  /* TCP/SSH connection failed or dropped */
    TRAFFIC_SSH_ERROR_HOST_KEY, /* the server's host key is not the pinned one */
    TRAFFIC_SSH_ERROR_AUTH,     /* the server refused our key */
    TRAFFIC_SSH_ERROR_TIMEOUT,  /* an operation ran out of time */
    TRAFFIC_SSH_ERROR_REMOTE,   /* a remote command failed (exit status, checksum) */
} traffic_ssh_error_code;

typedef struct traffic_ssh_options {
    const char *host;     /* address or name (required) */
    unsigned port;        /* 0 = 22 */
    const char *user;     /* NULL = "root" */
    const char *identity; /* private key file (OpenSSH/PEM, no passphrase);
                           * NULL = ssh-agent and ~/.ssh default keys */
    /*
     * The pinned host key (required): a file holding either public keys
     * ("ssh-ed25519 BASE64 [comment]" per line, e.g. the image's
     * host_key.pub; any of them may match) or an OpenSSH known_hosts file
     * (hashed names work).  A mismatch fails with TRAFFIC_SSH_ERROR_HOST_KEY
     * naming both fingerprints.
     */
    const char *host_key;
    unsigned timeout_ms; /* connect, authenticate and each blocking step; 0 = 10000 */
} traffic_ssh_options;

typedef struct traffic_ssh traffic_ssh;

traffic_ssh *traffic_ssh_connect(const traffic_ssh_options *opts, GError **error);
/* Disconnects once every agent conn started from it is freed too.  Accepts NULL. */
void traffic_ssh_free(traffic_ssh *ssh);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(traffic_ssh, traffic_ssh_free)
/* The server's host key as "SHA256:<base64>" (borrowed). */
const char *traffic_ssh_host_fingerprint(traffic_ssh *ssh);

/*
 * Run command (a POSIX shell command line: quote arguments with
 * traffic_ssh_quote()) with empty stdin; wait at most timeout_ms (0 = the
 * session's timeout).  Returns TRUE when the command ran to its end,
 * whatever its exit status (*ret_status; -1 when killed by a signal).
 * ret_*: any may be NULL; the caller frees the strings.  Output beyond
 * 16 MiB per stream fails the call.
 */
gboolean traffic_ssh_exec(traffic_ssh *ssh, const char *command, unsigned timeout_ms,
                          char **ret_stdout, char **ret_stderr, int *ret_status, GError **error);
/* traffic_ssh_exec, and a non-zero exit status is TRAFFIC_SSH_ERROR_REMOTE
 * quoting the command and its stderr.  ret_stdout may be NULL. */
gboolean traffic_ssh_run(traffic_ssh *ssh, const char *command, unsigned timeout_ms,
                         char **ret_stdout, GError **error);

/*
 * Copy local_path to remote_path with an exec channel running
 * `cat > TMP && chmod MODE TMP && mv -f TMP PATH` (works with any POSIX
 * shell, and replaces a running executable), then compare the remote
 * `sha256sum` with the local SHA-256 (or the size when the remote has no
 * sha256sum).  mode: e.g. 0755.
 */
gboolean traffic_ssh_push(traffic_ssh *ssh, const char *local_path, const char *remote_path,
                          unsigned mode, GError **error);

/*
 * Start command (e.g. "/tmp/vexp-traffic agent") on an exec channel and
 * return it as the engine's control connection: the procedures in
 * traffic.h then run over SSH exactly as over a local pipe.  The conn keeps
 * the session alive; free it with traffic_conn_free().  The agent's stderr
 * is kept (last 4 KiB): traffic_ssh_agent_stderr().
 */
traffic_conn *traffic_ssh_start_agent(traffic_ssh *ssh, const char *command, GError **error);
/* The last agent's stderr tail, "" when none (borrowed, valid until the next call). */
const char *traffic_ssh_agent_stderr(traffic_ssh *ssh);

/* ---- helpers (pure) ---------------------------------------------------- */

/* One POSIX shell word: arg unchanged when it has only [A-Za-z0-9_./:=@%+,-]
 * and is not empty, else single-quoted ('\'' for each quote).  g_free(). */
char *traffic_ssh_quote(const char *arg);
/* "SHA256:" + base64 without padding of digest, as OpenSSH prints it.  g_free(). */
char *traffic_ssh_format_fingerprint(const guint8 *digest, gsize len);
/* The SHA-256 fingerprint of a public key line "TYPE BASE64 [comment]";
 * NULL with TRAFFIC_SSH_ERROR_INPUT when it is not one.  g_free(). */
char *traffic_ssh_key_fingerprint(const char *pubkey_line, GError **error);

G_END_DECLS
