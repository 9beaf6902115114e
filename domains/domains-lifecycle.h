/* SPDX-License-Identifier: MIT */
/* domains: the libvirt connection and the guests' lifecycle (define, start, wait, destroy). */
#pragma once

#include <signal.h>

#include <glib.h>

#include "domains-error.h"
#include "domains-render.h"

G_BEGIN_DECLS

/* ---- libvirt connection ------------------------------------------------- */

/* One per run.  Runs libvirt's event loop in a thread (the embedded driver needs it). */
typedef struct domains_conn domains_conn;

/*
 * Open uri.  "qemu:///embed" alone means qemu:///embed?root=<state_dir>/libvirt;
 * for any embed URI the root's etc/qemu.conf is written if absent (root user,
 * no dynamic ownership, no security driver, stdio_handler file) and the root
 * is locked: a second process gets DOMAINS_ERROR_BUSY naming the root.
 * state_dir NULL = $VEXP_STATE_DIR, else g_get_user_state_dir()/vexp.  libvirt's own
 * log goes to <state_dir>/libvirt.log unless LIBVIRT_LOG_OUTPUTS is set (first call decides).
 * With a local network namespace, call domains_net_enter() before this:
 * it starts a thread.  Remote URIs must be opened outside the namespace.
 */
domains_conn *domains_connect(const char *uri, const char *state_dir, GError **error);
/* Closes the connection and stops the event thread.  Accepts NULL. */
void domains_conn_free(domains_conn *conn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(domains_conn, domains_conn_free)
/* The URI actually opened (with the embed root filled in). */
const char *domains_conn_uri(domains_conn *conn);
/* "9.0.0", "7.2.0" and the host name; caller frees.  Any ret_* may be NULL. */
gboolean domains_conn_versions(domains_conn *conn, char **ret_libvirt, char **ret_qemu,
                               char **ret_host, GError **error);
/* FALSE once the connection broke (remote libvirtd gone, SSH dropped): a cell that
 * failed then was not the cell's fault.  In-process drivers are always alive. */
gboolean domains_conn_is_alive(domains_conn *conn);
/* TRUE when the URI names a host ("qemu+ssh://host/system", "qemu+tcp://host/...");
 * FALSE for the embedded driver and local URIs without a host part. */
gboolean domains_conn_is_remote(domains_conn *conn);
/* Does a libvirt URI name a host ("qemu+ssh://user@host/system")?  Local URIs
 * ("qemu:///system", "qemu:///embed?root=...", "test:///default") do not. */
gboolean domains_uri_is_remote(const char *uri);
/* What in a libvirt URI switches off a security check or runs a local command
 * ("parameter 'no_verify=1' (no TLS certificate check)", "transport 'ext'"),
 * else NULL.  Caller frees. */
char *domains_uri_insecure(const char *uri);
/* Bridge mode on a hypervisor: bridge must exist there and be a bridge, as
 * its interface driver sees it.  DOMAINS_ERROR_INPUT naming the bridge and
 * the URI when it is missing or not a bridge; TRUE when the hypervisor cannot
 * say (no interface driver: the first boot reports a missing bridge). */
gboolean domains_conn_check_bridge(domains_conn *conn, const char *bridge, GError **error);
/*
 * domains_resolve_accel() for the connection's hypervisor host.  Local
 * connections: exactly domains_resolve_accel().  Remote ones: "auto" (or
 * NULL) -> "kvm" when the remote libvirt offers domain type kvm for x86_64
 * (virConnectGetDomainCapabilities), else "tcg"; "kvm" on a remote without
 * KVM fails with DOMAINS_ERROR_ENV naming the URI; "tcg" -> "tcg".
 * Returns a static string; pass it as domains_spec.accel.
 */
const char *domains_conn_resolve_accel(domains_conn *conn, const char *accel, GError **error);

/* ---- guests ------------------------------------------------------------- */

typedef struct domains_guest domains_guest;

/* Start xml as a transient domain with VIR_DOMAIN_START_AUTODESTROY: it dies
 * with the connection (vexp killed by any signal, a dropped SSH link) and is
 * never defined.  An inactive persistent domain of the same name (left by an
 * older vexp) is undefined first; a running one is refused. */
domains_guest *domains_guest_start(domains_conn *conn, const char *xml, GError **error);
/* Domains "vexp-<pid>-<n>" on conn whose vexp (pid, on this host) is gone:
 * *ret_found describes each ("vexp-12-0 (running, defined, run pid 12
 * gone)"; caller frees); with remove, destroyed and undefined. */
gboolean domains_conn_clean(domains_conn *conn, gboolean remove, GPtrArray **ret_found,
                            GError **error);
/* Borrowed; valid until domains_guest_destroy(). */
const char *domains_guest_name(domains_guest *guest);
/*
 * Wait until addr:port accepts TCP and sends an "SSH-" banner, at most timeout_s
 * seconds.  Fails early (DOMAINS_ERROR_GUEST) if the domain stops; on timeout
 * (DOMAINS_ERROR_TIMEOUT) the message ends with the last lines of console_log
 * (may be NULL).  Returns early with DOMAINS_ERROR_CANCELLED when the cancel flag is set.
 */
gboolean domains_guest_wait_ssh(domains_guest *guest, const char *addr, unsigned port,
                                unsigned timeout_s, const char *console_log, GError **error);
/* A guest kernel's console text (since it last printed "vexp: ready"): its last line saying
 * that a NIC's transmit queue timed out (the netdev watchdog: the NIC stopped sending), the
 * timestamp removed; NULL when there is none.  Pure; g_free(). */
char *domains_console_tx_stall(const char *text);
/* Whether a host answers at IPv4 addr: TRUE when a TCP connection to port is
 * accepted or refused within timeout_ms (either needs a live host there),
 * FALSE on silence or an unreachable host.  Used before booting a guest on a
 * shared bridge: its address must be free. */
gboolean domains_addr_answers(const char *addr, unsigned port, int timeout_ms);
/* Read back vCPU and emulator pinning and compare with spec->vcpu_pin/emulator_pin
 * (unpinned asked = not checked).  Mismatch: DOMAINS_ERROR_GUEST naming both sets. */
gboolean domains_guest_check_pinning(domains_guest *guest, const domains_spec *spec,
                                     GError **error);
/* CPU time of the whole QEMU process in ns (for host_cpu_pct). */
gboolean domains_guest_cpu_time(domains_guest *guest, guint64 *ret_ns, GError **error);
gboolean domains_guest_is_running(domains_guest *guest);
/* Destroy (if running), undefine and free.  Accepts NULL; never fails loudly. */
void domains_guest_destroy(domains_guest *guest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(domains_guest, domains_guest_destroy)

/* Let waits return early (DOMAINS_ERROR_CANCELLED) once *flag != 0; NULL = off. */
void domains_set_cancel_flag(volatile sig_atomic_t *flag);

G_END_DECLS
