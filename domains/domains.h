/* SPDX-License-Identifier: MIT */
/* domains: domain templates, the libvirt lifecycle and the per-run network namespace. */
#pragma once

#include <signal.h>

#include <glib.h>

G_BEGIN_DECLS

/*
 * Errors: every function that can fail takes a GError ** and sets it in
 * DOMAINS_ERROR with one of these codes.  Nothing here prints.
 */
#define DOMAINS_ERROR (domains_error_quark())
GQuark domains_error_quark(void);
typedef enum {
    DOMAINS_ERROR_INPUT,     /* bad template or spec value: the user's fault (exit 2) */
    DOMAINS_ERROR_ENV,       /* libvirt, QEMU, namespaces, files: the host's fault (exit 3) */
    DOMAINS_ERROR_BUSY,      /* the embedded libvirt root is used by another process */
    DOMAINS_ERROR_GUEST,     /* the guest died, or reads back other than asked: cell fails */
    DOMAINS_ERROR_TIMEOUT,   /* the guest did not answer in time: cell fails */
    DOMAINS_ERROR_CANCELLED, /* the cancel flag was raised */
} domains_error_code;

/* ---- templates ---------------------------------------------------------- */

/* One cell's domain configuration.  Strings are borrowed; NULL = keep the template's. */
typedef struct domains_spec {
    const char *template_path; /* libvirt domain XML file */
    const char *name;          /* domain name, e.g. "vexp-12-3" (required) */
    const char *nic;           /* libvirt model: virtio, e1000, rtl8139, vmxnet3, ... (required) */
    const char *const *nic_models; /* valid models (domains_nic_models()); NULL = built-in list */
    const char *mac;               /* NULL = stable locally administered MAC derived from name */
    const char *bridge;            /* bridge the tap is enslaved to; NULL = template's source */
    const char *tap;               /* tap device name (<= 15 chars); NULL = libvirt picks */
    unsigned vcpus;                /* 0 = template's */
    const char *const *vcpu_pin;   /* host cpuset per vCPU ("1", "0-1", "2,3"), one per vCPU,
                                    * NULL-terminated; NULL = not pinned */
    const char *emulator_pin;      /* cpuset ("0", "0-1"); NULL or "none" = not pinned */
    unsigned memory_mib;           /* 0 = template's */
    const char *accel;             /* "auto" | "kvm" | "tcg"; NULL = "auto".  Only "auto" is
                                    * resolved here, against this host's /dev/kvm; "kvm" and
                                    * "tcg" are taken as given (check the hypervisor first with
                                    * domains_conn_resolve_accel(), which answers for remote
                                    * hosts too, and pass its answer) */
    const char *machine;           /* e.g. "pc", "q35"; NULL = template's */
    const char *kernel;            /* direct kernel boot; NULL = template's */
    const char *initrd;
    const char *cmdline;     /* e.g. "console=ttyS0 vexp.ip=198.18.0.10/15" */
    const char *disk;        /* source file of the first <disk device='disk'>; NULL = template's */
    const char *image_id;    /* content hash of kernel+initrd or disk: part of the config
                              * key (paths are not), NULL = none */
    const char *console_log; /* serial console file; NULL = template's serial */
    /* KVM-only virtio-net options, nic = "virtio" only (else DOMAINS_ERROR_INPUT).
     * They end up in the domain XML, so they are part of the config key. */
    const char *vhost; /* "on" = <driver name='vhost'/> (vhost-net; accel must resolve to
                        * kvm), "off" = <driver name='qemu'/>; NULL = template's */
    unsigned queues;   /* multiqueue 1..256: N > 1 = <driver queues='N'/>, 1 = no queues
                        * attribute (one queue pair); 0 = template's */
} domains_spec;

/* The guest reads its address from this kernel argument ("vexp.ip=198.18.0.10/15"). */
#define DOMAINS_GUEST_IP_ARG "vexp.ip"

/*
 * Render the spec's domain XML from its template.
 * ret_xml: the domain XML to start.  ret_key: SHA-256 (64 hex digits) of
 * ret_canonical, the C14N form of the domain without what differs between
 * runs and machines (name, uuid, MAC, tap, bridge, console path, emulator
 * path, directories of kernel/initrd/disk, the vexp.ip= argument).
 * Any of the ret_* may be NULL; the caller frees them with g_free().
 * Errors: DOMAINS_ERROR_INPUT naming "file:line:" and what is wrong in the
 * template, or the spec value: unknown NIC model or accel, vhost/queues on a
 * NIC other than virtio, vhost = on when accel resolves to tcg, limits.
 */
gboolean domains_render(const domains_spec *spec, char **ret_xml, char **ret_key,
                        char **ret_canonical, GError **error);

/* "auto" (or NULL) -> "kvm" when /dev/kvm is usable, else "tcg"; "kvm" fails when
 * it is not usable (DOMAINS_ERROR_ENV); "tcg" -> "tcg"; anything else
 * DOMAINS_ERROR_INPUT.  Returns a static string. */
const char *domains_resolve_accel(const char *accel, GError **error);

/*
 * Is vhost-net usable by QEMU here: /dev/vhost-net exists, opens read-write,
 * and the vhost_net module is loaded or built in (/sys/module/vhost_net)?
 * ret_detail (may be NULL): one line for the user saying what is there or
 * why not; g_free().  Only meaningful with KVM: vhost-net is not used under TCG.
 */
gboolean domains_vhost_available(char **ret_detail);

/*
 * Check that bridge exists in the caller's network namespace and that none of
 * its ports is a physical device (one with /sys/class/net/PORT/device, e.g.
 * eth0): benchmark traffic belongs on an isolated network (RFC 6815).
 * Reads sysfs, which shows the devices of the namespace that mounted /sys:
 * inside a namespace entered with setns() alone, remount /sys first as
 * `ip netns exec` does; a sysfs of another namespace is detected by the
 * ifindex and fails with DOMAINS_ERROR_ENV.
 * isolated_ports (NULL-terminated, may be NULL): physical ports the user
 * declares a dedicated benchmark link (a cable to the tester); they pass.
 * Errors: DOMAINS_ERROR_INPUT "bridge 'X' does not exist", "... is not a
 * bridge", "bridge 'X' has the physical port 'eth0': ...".
 */
gboolean domains_bridge_check(const char *bridge, const char *const *isolated_ports,
                              GError **error);

/*
 * Check that "auto" may really mean kvm: /dev/kvm can exist and answer while
 * guests hang (broken nested virtualisation).  When /dev/kvm is usable, boot
 * kernel under KVM with QEMU directly until it prints its banner (20 s at
 * most); when it does not, "auto" resolves to "tcg" from then on.  The
 * answer is cached in state_dir until the host reboots.  ret_detail (may be
 * NULL): one line for the user; g_free().  Returns TRUE when KVM runs guests.
 */
gboolean domains_accel_probe(const char *kernel, const char *state_dir, char **ret_detail);

/* The NIC models qemu_binary offers, in libvirt's names (virtio-net-pci -> virtio),
 * sorted.  qemu_binary NULL = "qemu-system-x86_64".  Cached per binary.
 * ret_models: caller frees with g_strfreev(). */
gboolean domains_nic_models(const char *qemu_binary, GStrv *ret_models, GError **error);

/* The built-in list used when a spec has no nic_models (static, NULL-terminated). */
const char *const *domains_default_nic_models(void);

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

/* Define and start.  On failure nothing stays defined. */
domains_guest *domains_guest_start(domains_conn *conn, const char *xml, GError **error);
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

/* ---- network: one namespace per run ------------------------------------- */

typedef struct domains_net domains_net;

/*
 * Create netns "vexp-<tag>" holding bridge "br0" (STP off, forward delay 0)
 * with the tester address 198.18.0.1/15, and lo up.  The owner pid is
 * recorded in /run/vexp/<netns>.pid for domains_net_sweep().
 * tag: [A-Za-z0-9_-], at most 20 characters.
 */
domains_net *domains_net_create(const char *tag, GError **error);
/* setns() the calling thread into the namespace.  Call it before any thread
 * starts (fails with DOMAINS_ERROR_ENV when the process has other threads). */
gboolean domains_net_enter(domains_net *net, GError **error);
const char *domains_net_name(domains_net *net);        /* "vexp-<tag>" */
const char *domains_net_bridge(domains_net *net);      /* "br0" */
const char *domains_net_tester_addr(domains_net *net); /* "198.18.0.1" */
unsigned domains_net_prefix(domains_net *net);         /* 15 */
/* 198.18.0.10 + index (index < 100000); caller frees. */
char *domains_net_guest_addr(domains_net *net, unsigned index);
/* "vexp-<tag>-<index>": a tap name for guest index; caller frees. */
char *domains_net_tap_name(domains_net *net, unsigned index);
/* For nic=host: netns "vexp-<tag>-h" joined to the bridge by a veth pair, holding
 * 198.18.0.2/15.  Run the agent there with `ip netns exec`.  Caller frees ret_*. */
gboolean domains_net_add_host_peer(domains_net *net, char **ret_netns, char **ret_addr,
                                   GError **error);
/* Shape traffic leaving the bridge towards dev (e.g. a guest's tap) with tc tbf;
 * rate_bps 0 = remove the shaping. */
gboolean domains_net_limit(domains_net *net, const char *dev, guint64 rate_bps, GError **error);
/* Kill what still runs inside, delete both namespaces and the pid file.  Accepts NULL. */
void domains_net_destroy(domains_net *net);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(domains_net, domains_net_destroy)
/* Remove namespaces "vexp-*" whose owner recorded in /run/vexp/<name>.pid is dead
 * (namespaces without that file are not vexp's and stay). */
gboolean domains_net_sweep(guint *ret_removed, GError **error);

/* ---- guest image (domains/image.c): declarations below this line ---------- */

/*
 * The default guest, built by `vexp image build` from Debian packages.  The
 * image directory holds vmlinuz, initramfs.img, client_key (root's key,
 * OpenSSH format, 0600) + client_key.pub, host_key (dropbear, 0600) +
 * host_key.pub (pin it: "ssh-ed25519 BASE64 vexp-guest") and manifest.
 * Boot it with the kernel command line
 *     console=ttyS0 vexp.ip=ADDR/PREFIX [vexp.gw=ADDR]
 * The guest's interface is eth0; dropbear listens on port 22 for root.
 */
#define DOMAINS_IMAGE_ERROR (domains_image_error_quark())
GQuark domains_image_error_quark(void);
typedef enum {
    DOMAINS_IMAGE_ERROR_MISSING, /* no (complete) image: run `vexp image build` (exit 3) */
    DOMAINS_IMAGE_ERROR_INPUT,   /* a package or file is not what it should be (exit 2) */
    DOMAINS_IMAGE_ERROR_ENV,     /* apt-get, dpkg-deb, dropbearkey, gzip, files (exit 3) */
} domains_image_error_code;

typedef struct domains_image {
    char *dir;
    char *kernel;               /* DIR/vmlinuz */
    char *initrd;               /* DIR/initramfs.img */
    char *client_key;           /* DIR/client_key: identity for user "root" */
    char *host_key_pub;         /* DIR/host_key.pub: the pinned host key */
    char *manifest;             /* DIR/manifest (GKeyFile, group [image]) */
    char *kernel_release;       /* e.g. "6.1.0-56-amd64" */
    char *host_key_fingerprint; /* "SHA256:..." as OpenSSH prints it */
} domains_image;

/*
 * Build the image into outdir (NULL = domains_image_default_dir()).
 * workdir caches the downloaded .debs and their extracted trees (NULL =
 * domains_image_default_workdir()).  Needs apt-get (package lists), dpkg-deb,
 * dropbearkey, dropbearconvert and gzip.  The keys in outdir are reused when
 * present, so a rebuild from the same packages gives the same initramfs.img
 * (same SHA-256).  ret_summary (may be NULL): one line for the user; g_free().
 */
gboolean domains_image_build(const char *outdir, const char *workdir, char **ret_summary,
                             GError **error);
/* Check the files exist and read the manifest.  DOMAINS_IMAGE_ERROR_MISSING
 * tells the user to run `vexp image build`.  Free with domains_image_free(). */
domains_image *domains_image_load(const char *dir, GError **error);
/* Accepts NULL. */
void domains_image_free(domains_image *img);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(domains_image, domains_image_free)
/* /var/lib/vexp/image as root, else $XDG_DATA_HOME/vexp/image.  Static string. */
const char *domains_image_default_dir(void);
/* /var/cache/vexp/image-build as root, else $XDG_CACHE_HOME/vexp/image-build.  Static. */
const char *domains_image_default_workdir(void);

G_END_DECLS
