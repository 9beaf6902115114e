/* SPDX-License-Identifier: MIT */
/* sshlink: SSH to a guest: pinned host key, commands, the engine's push, its agent. */
#pragma once

#include <glib.h>

#include "traffic.h"

G_BEGIN_DECLS

/*
 * Host side only (links libssh; the engine pushed into guests does not).
 * Functions fill a GError in SSHLINK_ERROR and never print.  One
 * session is used from one thread at a time (libssh sessions are not
 * thread safe); an agent's traffic_conn uses the session too.
 */
#define SSHLINK_ERROR (sshlink_error_quark())
GQuark sshlink_error_quark(void);
typedef enum {
    SSHLINK_ERROR_INPUT,    /* bad option, key file or pinned key file */
    SSHLINK_ERROR_CONNECT,  /* TCP/SSH connection failed or dropped */
    SSHLINK_ERROR_HOST_KEY, /* the server's host key is not the pinned one */
    SSHLINK_ERROR_AUTH,     /* the server refused our key */
    SSHLINK_ERROR_TIMEOUT,  /* an operation ran out of time */
    SSHLINK_ERROR_REMOTE,   /* a remote command failed (exit status, checksum) */
} sshlink_error_code;

typedef struct sshlink_options {
    const char *host;     /* address or name (required) */
    unsigned port;        /* 0 = 22 */
    const char *user;     /* NULL = "root" */
    const char *identity; /* private key file (OpenSSH/PEM, no passphrase);
                           * NULL = ssh-agent and ~/.ssh default keys */
    /*
     * The pinned host key (required): a file holding either public keys
     * ("ssh-ed25519 BASE64 [comment]" per line, e.g. the image's
     * host_key.pub; any of them may match) or an OpenSSH known_hosts file
     * (hashed names work).  A mismatch fails with SSHLINK_ERROR_HOST_KEY
     * naming both fingerprints.
     */
    const char *host_key;
    unsigned timeout_ms; /* connect, authenticate and each blocking step; 0 = 10000 */
} sshlink_options;

typedef struct sshlink sshlink;

sshlink *sshlink_connect(const sshlink_options *opts, GError **error);
/* Disconnects once every agent conn started from it is freed too.  Accepts NULL. */
void sshlink_free(sshlink *ssh);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sshlink, sshlink_free)
/* The server's host key as "SHA256:<base64>" (borrowed). */
const char *sshlink_host_fingerprint(sshlink *ssh);

/*
 * Run command (a POSIX shell command line: quote arguments with
 * sshlink_quote()) with empty stdin; wait at most timeout_ms (0 = the
 * session's timeout).  Returns TRUE when the command ran to its end,
 * whatever its exit status (*ret_status; -1 when killed by a signal).
 * ret_*: any may be NULL; the caller frees the strings.  Output beyond
 * 16 MiB per stream fails the call.
 */
gboolean sshlink_exec(sshlink *ssh, const char *command, unsigned timeout_ms, char **ret_stdout,
                      char **ret_stderr, int *ret_status, GError **error);
/* sshlink_exec, and a non-zero exit status is SSHLINK_ERROR_REMOTE
 * quoting the command and its stderr.  ret_stdout may be NULL. */
gboolean sshlink_run(sshlink *ssh, const char *command, unsigned timeout_ms, char **ret_stdout,
                     GError **error);

/*
 * Copy local_path to the absolute remote_path: written inside a directory
 * that `mktemp -d` makes (0700) beside the target, chmod'ed, then renamed
 * over remote_path (replaces a running executable; a symlink or a file of
 * another user at remote_path is replaced or refused, never written
 * through).  Then the remote `sha256sum` is compared with the local SHA-256
 * (or the size when the remote has no sha256sum).  mode: e.g. 0755.
 */
gboolean sshlink_push(sshlink *ssh, const char *local_path, const char *remote_path, unsigned mode,
                      GError **error);

/* the directories sshlink_push_private() makes: /tmp/<prefix>XXXXXXXX */
#define SSHLINK_PRIVATE_PREFIX "vexp-push."

/*
 * Copy local_path into a fresh private directory (mktemp -d, 0700) on the
 * remote side as `name`, for programs that run as root there (the engine on a
 * shared tester): no other user can pre-create, replace or read the file.
 * *ret_remote_path: the file's absolute path (caller frees).  Remove with
 * sshlink_remove_private().
 */
gboolean sshlink_push_private(sshlink *ssh, const char *local_path, const char *name, unsigned mode,
                              char **ret_remote_path, GError **error);
/* rm -rf the directory of a path sshlink_push_private() returned. */
gboolean sshlink_remove_private(sshlink *ssh, const char *remote_path, GError **error);

/*
 * Start command (e.g. "/tmp/vexp-traffic agent") on an exec channel and
 * return it as the engine's control connection: the procedures in
 * traffic.h then run over SSH exactly as over a local pipe.  The conn keeps
 * the session alive; free it with traffic_conn_free().  The agent's stderr
 * is kept (last 4 KiB): sshlink_agent_stderr().
 */
traffic_conn *sshlink_start_agent(sshlink *ssh, const char *command, GError **error);
/* The last agent's stderr tail, "" when none (borrowed, valid until the next call). */
const char *sshlink_agent_stderr(sshlink *ssh);

/* ---- helpers (pure) ---------------------------------------------------- */

/* One POSIX shell word: arg unchanged when it has only [A-Za-z0-9_./:=@%+,-]
 * and is not empty, else single-quoted ('\'' for each quote).  g_free(). */
char *sshlink_quote(const char *arg);
/* "SHA256:" + base64 without padding of digest, as OpenSSH prints it.  g_free(). */
char *sshlink_format_fingerprint(const guint8 *digest, gsize len);
/* The SHA-256 fingerprint of a public key line "TYPE BASE64 [comment]";
 * NULL with SSHLINK_ERROR_INPUT when it is not one.  g_free(). */
char *sshlink_key_fingerprint(const char *pubkey_line, GError **error);

G_END_DECLS
