/* SPDX-License-Identifier: MIT */
/* domains: the libvirt connection (with its event loop thread) and a guest's lifecycle. */
#include "vexp-config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "domains-priv.h"

#define WAIT_TIMEOUT_MAX_S 3600
#define CONSOLE_TAIL_LINES 20
#define CONSOLE_TAIL_BYTES 8192

static const char qemu_conf[] =
    "# Written by vexp for the embedded QEMU driver (no libvirtd, no virtlogd).\n"
    "user = \"root\"\n"
    "group = \"root\"\n"
    "dynamic_ownership = 0\n"
    "security_driver = \"none\"\n"
    "stdio_handler = \"file\"\n";

struct domains_conn {
    virConnectPtr conn;
    char *uri;
    char *root; /* embedded driver root, or NULL */
    int lock_fd;
    gboolean event_ref;
    gboolean remote;  /* the URI names a host */
    int remote_kvm;   /* -1 not asked yet, else whether the remote offers domain type kvm */
    char *remote_why; /* libvirt's answer when it does not */
};

/* ---- libvirt's event loop: one thread per process, shared by connections -- */

static GMutex event_lock;
static guint event_users;
static GThread *event_thread;
static gint event_quit;

static gpointer event_loop(gpointer data)
{
    while (!g_atomic_int_get(&event_quit)) {
        if (virEventRunDefaultImpl() < 0)
            virResetLastError();
    }
    return NULL;
}

static void event_wakeup(int timer, void *opaque)
{
    /* only here to make virEventRunDefaultImpl() return */
}

static gboolean event_loop_ref(GError **error)
{
    static gsize registered;
    g_autoptr(GError) local = NULL;
    gboolean ok = TRUE;

    if (g_once_init_enter(&registered)) {
        /* must precede the first virConnectOpen */
        virEventRegisterDefaultImpl();
        g_once_init_leave(&registered, 1);
    }
    g_mutex_lock(&event_lock);
    if (event_users++ == 0) {
        g_atomic_int_set(&event_quit, 0);
        event_thread = g_thread_try_new("vexp-virt-events", event_loop, NULL, &local);
        if (event_thread == NULL) {
            event_users--;
            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                        "failed to start libvirt's event loop thread: %s", local->message);
            ok = FALSE;
        }
    }
    g_mutex_unlock(&event_lock);
    return ok;
}

static void event_loop_unref(void)
{
    int timer;

    g_mutex_lock(&event_lock);
    if (event_users > 0 && --event_users == 0) {
        g_atomic_int_set(&event_quit, 1);
        timer = virEventAddTimeout(0, event_wakeup, NULL, NULL);
        g_thread_join(g_steal_pointer(&event_thread));
        if (timer >= 0)
            virEventRemoveTimeout(timer);
        virResetLastError();
    }
    g_mutex_unlock(&event_lock);
}

/* ---- connection --------------------------------------------------------- */

static char *default_state_dir(const char *state_dir)
{
    const char *env = g_getenv("VEXP_STATE_DIR");

    if (state_dir != NULL)
        return g_strdup(state_dir);
    if (env != NULL && *env != '\0')
        return g_strdup(env);
    return g_build_filename(g_get_user_state_dir(), "vexp", NULL);
}

/* For embed URIs: the root directory and the full URI; NULL root for others. */
static gboolean embed_root(const char *uri, const char *state_dir, char **ret_root, char **ret_uri,
                           GError **error)
{
    const char *q;
    g_autofree char *root = NULL;

    if (!g_str_has_prefix(uri, "qemu:///embed")) {
        *ret_root = NULL;
        *ret_uri = g_strdup(uri);
        return TRUE;
    }
    q = strstr(uri, "root=");
    if (q != NULL) {
        g_autofree char *raw = g_strndup(q + 5, strcspn(q + 5, "&"));

        root = g_uri_unescape_string(raw, NULL);
        if (root == NULL || !g_path_is_absolute(root)) {
            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                        "libvirt URI '%s': the embed root must be an absolute path", uri);
            return FALSE;
        }
        *ret_uri = g_strdup(uri);
    } else {
        g_autofree char *dir = default_state_dir(state_dir);
        g_autofree char *esc = NULL;

        root = g_build_filename(dir, "libvirt", NULL);
        esc = g_uri_escape_string(root, "/", FALSE);
        *ret_uri = g_strdup_printf("qemu:///embed?root=%s", esc);
    }
    *ret_root = g_steal_pointer(&root);
    return TRUE;
}

/* Prepare root/etc/qemu.conf and take root/vexp.lock; returns the lock fd or -1. */
static int embed_prepare(const char *root, GError **error)
{
    g_autofree char *etc = g_build_filename(root, "etc", NULL);
    g_autofree char *conf = g_build_filename(etc, "qemu.conf", NULL);
    g_autofree char *lock = g_build_filename(root, "vexp.lock", NULL);
    g_autoptr(GError) local = NULL;
    char pid[32];
    int fd;

    if (getpwnam("libvirt-qemu") == NULL) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                    "user 'libvirt-qemu' does not exist: libvirt's QEMU driver looks it up "
                    "before reading '%s' (run scripts/setup.sh as root)",
                    conf);
        return -1;
    }
    if (g_mkdir_with_parents(etc, 0700) < 0) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV, "failed to create '%s': %s", etc,
                    g_strerror(errno));
        return -1;
    }
    if (!g_file_test(conf, G_FILE_TEST_EXISTS) &&
        !g_file_set_contents(conf, qemu_conf, -1, &local)) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV, "failed to write '%s': %s", conf,
                    local->message);
        return -1;
    }
    fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV, "failed to open '%s': %s", lock,
                    g_strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);

        pid[n > 0 ? n : 0] = '\0';
        close(fd);
        if (e == EWOULDBLOCK) {
            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_BUSY,
                        "libvirt root '%s' is in use by another process (pid %s); "
                        "one run per root at a time",
                        root, *g_strstrip(pid) ? pid : "unknown");
        } else {
            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV, "failed to lock '%s': %s", lock,
                        g_strerror(e));
        }
        return -1;
    }
    snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, strlen(pid), 0) < 0) {
        /* the pid is only informative */
    }
    return fd;
}

/* libvirt logs warnings and errors to stderr (in-process drivers log much); libraries do
 * not print, so send its log to <state dir>/libvirt.log unless the user set
 * LIBVIRT_LOG_OUTPUTS.  libvirt reads it once, in virInitialize(). */
static void log_to_file(const char *state_dir)
{
    static gsize done;
    g_autofree char *dir = NULL;
    g_autofree char *outputs = NULL;

    if (!g_once_init_enter(&done))
        return;
    dir = default_state_dir(state_dir);
    if (g_getenv("LIBVIRT_LOG_OUTPUTS") == NULL && g_mkdir_with_parents(dir, 0700) == 0) {
        outputs = g_strdup_printf("3:file:%s/libvirt.log", dir);
        g_setenv("LIBVIRT_LOG_OUTPUTS", outputs, TRUE);
    }
    g_once_init_leave(&done, 1);
}

domains_conn *domains_connect(const char *uri, const char *state_dir, GError **error)
{
    g_autofree char *root = NULL;
    g_autofree char *full = NULL;
    domains_conn *c;

    if (uri == NULL || *uri == '\0') {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT, "no libvirt URI given");
        return NULL;
    }
    if (!embed_root(uri, state_dir, &root, &full, error))
        return NULL;
    log_to_file(state_dir);
    domains_virt_init();

    c = g_new0(domains_conn, 1);
    c->lock_fd = -1;
    c->uri = g_steal_pointer(&full);
    c->root = g_steal_pointer(&root);
    if (c->root != NULL && (c->lock_fd = embed_prepare(c->root, error)) < 0)
        goto fail;
    if (!event_loop_ref(error))
        goto fail;
    c->event_ref = TRUE;
    c->conn = virConnectOpenAuth(c->uri, virConnectAuthPtrDefault, 0);
    if (c->conn == NULL) {
        g_autofree char *why = domains_virt_last_error();

        if (strstr(why, "driver.pid") != NULL)
            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_BUSY,
                        "libvirt root '%s' is in use by another process: %s",
                        c->root ? c->root : c->uri, why);
        else
            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                        "failed to open libvirt connection '%s': %s", c->uri, why);
        goto fail;
    }
    {
        /* libvirt's own idea of the URI: aliases and default URIs resolved */
        char *actual = virConnectGetURI(c->conn);

        c->remote = domains_uri_is_remote(actual != NULL ? actual : c->uri);
        free(actual);
        virResetLastError();
    }
    c->remote_kvm = -1;
    return c;

fail:
    domains_conn_free(c);
    return NULL;
}

void domains_conn_free(domains_conn *c)
{
    if (c == NULL)
        return;
    if (c->conn != NULL) {
        virConnectClose(c->conn);
        virResetLastError();
    }
    if (c->event_ref)
        event_loop_unref();
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    g_free(c->uri);
    g_free(c->root);
    g_free(c->remote_why);
    g_free(c);
}

const char *domains_conn_uri(domains_conn *c)
{
    return c->uri;
}

gboolean domains_uri_is_remote(const char *uri)
{
    const char *host = uri != NULL ? strstr(uri, "://") : NULL;
    size_t len;
    const char *at;

    if (host == NULL)
        return FALSE;
    host += 3;
    len = strcspn(host, "/?#");
    /* user@host: only the part after the user counts */
    at = memchr(host, '@', len);
    if (at != NULL) {
        len -= (size_t)(at + 1 - host);
        host = at + 1;
    }
    return len > 0;
}

char *domains_uri_insecure(const char *uri)
{
    const char *scheme_end = uri != NULL ? strstr(uri, "://") : NULL;
    const char *q = uri != NULL ? strchr(uri, '?') : NULL;
    g_auto(GStrv) params = NULL;

    if (scheme_end == NULL)
        return NULL;
    /* qemu+ext://: libvirt runs an arbitrary local command as the transport */
    {
        g_autofree char *scheme = g_ascii_strdown(uri, scheme_end - uri);
        const char *plus = strchr(scheme, '+');

        if (plus != NULL && !strcmp(plus + 1, "ext"))
            return g_strdup_printf("transport '%s' (runs a local command)", plus + 1);
    }
    if (q == NULL)
        return NULL;
    params = g_strsplit(q + 1, "&", -1);
    for (guint i = 0; params[i] != NULL; i++) {
        g_autofree char *key = NULL, *value = NULL;
        char *eq = strchr(params[i], '=');
        g_autofree char *rawkey = eq ? g_strndup(params[i], eq - params[i]) : g_strdup(params[i]);

        /* libvirt unescapes and compares the names without regard to case */
        key = g_uri_unescape_string(rawkey, NULL);
        value = eq ? g_uri_unescape_string(eq + 1, NULL) : g_strdup("");
        if (key == NULL || value == NULL)
            return g_strdup_printf("parameter '%s' (bad %%-escape)", params[i]);
        if (!g_ascii_strcasecmp(key, "no_verify") && strcmp(value, "0") && *value)
            return g_strdup_printf("parameter 'no_verify=%s' (no TLS certificate check)", value);
        if (!g_ascii_strcasecmp(key, "known_hosts_verify") &&
            (!g_ascii_strcasecmp(value, "ignore") || !g_ascii_strcasecmp(value, "auto")))
            return g_strdup_printf("parameter 'known_hosts_verify=%s' (no SSH host key check)",
                                   value);
        if (!g_ascii_strcasecmp(key, "command"))
            return g_strdup_printf("parameter 'command=%s' (a local command)", value);
        if (!g_ascii_strcasecmp(key, "transport"))
            return g_strdup_printf("parameter 'transport=%s' (another transport)", value);
    }
    return NULL;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virInterface, virInterfaceFree)

gboolean domains_conn_check_bridge(domains_conn *c, const char *bridge, GError **error)
{
    g_autoptr(virInterface) iface = virInterfaceLookupByName(c->conn, bridge);
    g_autofree char *xml = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    xmlNodePtr root;
    xmlChar *type;
    gboolean is_bridge;

    if (!iface) {
        virErrorPtr e = virGetLastError();
        gboolean missing = e && e->code == VIR_ERR_NO_INTERFACE;

        virResetLastError();
        /* no interface driver there (or no right to ask): the first boot says */
        if (!missing)
            return TRUE;
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "bridge '%s' does not exist on hypervisor '%s'", bridge, c->uri);
        return FALSE;
    }
    if (!(xml = virInterfaceGetXMLDesc(iface, 0))) {
        virResetLastError();
        return TRUE;
    }
    doc = xmlReadMemory(xml, (int)strlen(xml), "interface.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc || !(root = xmlDocGetRootElement(doc)))
        return TRUE;
    type = xmlGetProp(root, (const xmlChar *)"type");
    is_bridge = type && xmlStrEqual(type, (const xmlChar *)"bridge");
    if (!is_bridge)
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "device '%s' on hypervisor '%s' is not a bridge (libvirt says type '%s')",
                    bridge, c->uri, type ? (const char *)type : "?");
    xmlFree(type);
    return is_bridge;
}

gboolean domains_conn_is_alive(domains_conn *c)
{
    int alive = virConnectIsAlive(c->conn);

    if (alive < 0)
        virResetLastError();
    return alive == 1;
}

gboolean domains_conn_is_remote(domains_conn *c)
{
    return c->remote;
}

void domains_conn_set_remote(domains_conn *c, gboolean remote)
{
    c->remote = remote;
    c->remote_kvm = -1;
    g_clear_pointer(&c->remote_why, g_free);
}

const char *domains_conn_resolve_accel(domains_conn *c, const char *accel, GError **error)
{
    gboolean want_kvm = g_strcmp0(accel, "kvm") == 0;

    /* this host's /dev/kvm says nothing about a remote hypervisor */
    if (!c->remote || !(accel == NULL || want_kvm || strcmp(accel, "auto") == 0))
        return domains_resolve_accel(accel, error);
    if (c->remote_kvm < 0) {
        char *caps = virConnectGetDomainCapabilities(c->conn, NULL, "x86_64", NULL, "kvm", 0);

        c->remote_kvm = caps != NULL;
        if (caps == NULL)
            c->remote_why = domains_virt_last_error();
        free(caps);
    }
    if (c->remote_kvm)
        return "kvm";
    if (want_kvm) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                    "accel 'kvm' asked but the hypervisor host of '%s' offers no KVM for "
                    "x86_64: %s (use accel 'auto' or 'tcg')",
                    c->uri, c->remote_why);
        return NULL;
    }
    return "tcg";
}

static char *version_string(unsigned long v)
{
    return g_strdup_printf("%lu.%lu.%lu", v / 1000000, (v / 1000) % 1000, v % 1000);
}

gboolean domains_conn_versions(domains_conn *c, char **ret_libvirt, char **ret_qemu,
                               char **ret_host, GError **error)
{
    unsigned long lib = 0, hv = 0;
    char *host;
    g_autofree char *hostname = NULL;

    if (virConnectGetLibVersion(c->conn, &lib) < 0 || virConnectGetVersion(c->conn, &hv) < 0) {
        g_autofree char *why = domains_virt_last_error();

        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                    "failed to read versions from '%s': %s", c->uri, why);
        return FALSE;
    }
    host = virConnectGetHostname(c->conn);
    if (host == NULL) {
        g_autofree char *why = domains_virt_last_error();

        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                    "failed to read the host name from '%s': %s", c->uri, why);
        return FALSE;
    }
    hostname = g_strdup(host);
    free(host);
    if (ret_libvirt != NULL)
        *ret_libvirt = version_string(lib);
    if (ret_qemu != NULL)
        *ret_qemu = version_string(hv);
    if (ret_host != NULL)
        *ret_host = g_steal_pointer(&hostname);
    return TRUE;
}

/* ---- guests ------------------------------------------------------------- */

/* The <name> of a domain XML, for messages before libvirt knows the domain. */
static char *xml_domain_name(const char *xml)
{
    g_autoptr(xmlDoc) doc =
        xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;

    for (xmlNodePtr c = root ? root->children : NULL; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, (const xmlChar *)"name")) {
            xmlChar *t = xmlNodeGetContent(c);
            char *name = g_strdup((const char *)t);

            xmlFree(t);
            return name;
        }
    }
    return g_strdup("(unnamed)");
}

static void undefine(virDomainPtr dom)
{
    if (virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                                        VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                                        VIR_DOMAIN_UNDEFINE_NVRAM) < 0) {
        virResetLastError();
        if (virDomainUndefine(dom) < 0)
            virResetLastError();
    }
}

domains_guest *domains_guest_start(domains_conn *c, const char *xml, GError **error)
{
    g_autofree char *name = xml_domain_name(xml);
    g_autoptr(virDomain) old = NULL;
    g_autoptr(virDomain) dom = NULL;
    domains_guest *g;

    /* a domain of this name left defined by a run that died: replace it when inactive */
    old = virDomainLookupByName(c->conn, name);
    virResetLastError();
    if (old != NULL) {
        if (virDomainIsActive(old) == 1) {
            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                        "failed to define domain '%s': a running domain of that name exists "
                        "on '%s'",
                        name, c->uri);
            return NULL;
        }
        undefine(old);
    }
    /* transient and bound to this connection: libvirt destroys the domain
     * when the connection closes, also after SIGKILL or OOM of vexp, so no
     * guest outlives its run on a remote hypervisor and nothing stays defined.
     * The embedded driver (libvirt 9.0) refuses autodestroy ("not supported for
     * embedded drivers yet"): there the domain is transient only, and the next
     * run's sweep (or doctor --clean) removes what a killed one left. */
    dom = virDomainCreateXML(c->conn, xml, c->root ? 0 : VIR_DOMAIN_START_AUTODESTROY);
    if (dom == NULL && g_str_has_prefix(c->uri, "test:")) {
        virErrorPtr e = virGetLastError();

        /* libvirt's test driver has no autodestroy; tests only */
        if (e != NULL && e->code == VIR_ERR_INVALID_ARG) {
            virResetLastError();
            dom = virDomainCreateXML(c->conn, xml, 0);
        }
    }
    if (dom == NULL) {
        g_autofree char *why = domains_virt_last_error();

        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                    "failed to start transient domain '%s': %s", name, why);
        return NULL;
    }
    g = g_new0(domains_guest, 1);
    g->dom = g_steal_pointer(&dom);
    g->name = g_steal_pointer(&name);
    return g;
}

/* "vexp-<pid>-<index>": the pid of the vexp that named it, else 0 */
static long leftover_owner(const char *name)
{
    g_auto(GStrv) parts = g_strsplit(name, "-", -1);
    guint64 pid = 0, index = 0;

    if (g_strv_length(parts) != 3 || strcmp(parts[0], "vexp") ||
        !g_ascii_string_to_unsigned(parts[1], 10, 1, G_MAXINT32, &pid, NULL) ||
        !g_ascii_string_to_unsigned(parts[2], 10, 0, G_MAXUINT32, &index, NULL))
        return 0;
    return (long)pid;
}

gboolean domains_conn_clean(domains_conn *c, gboolean remove, GPtrArray **ret_found, GError **error)
{
    g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(g_free);
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(c->conn, &doms, 0);

    if (n < 0) {
        g_autofree char *why = domains_virt_last_error();

        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV, "failed to list domains on '%s': %s",
                    c->uri, why);
        return FALSE;
    }
    for (int i = 0; i < n; i++) {
        const char *name = virDomainGetName(doms[i]);
        long pid = name ? leftover_owner(name) : 0;

        /* the run that named it is alive on this host: not a leftover */
        if (pid > 0 && !(kill((pid_t)pid, 0) < 0 && errno == ESRCH))
            pid = 0;
        if (pid > 0) {
            gboolean active = virDomainIsActive(doms[i]) == 1;
            gboolean persistent = virDomainIsPersistent(doms[i]) == 1;

            g_ptr_array_add(found, g_strdup_printf("%s (%s%s, run pid %ld gone)", name,
                                                   active ? "running" : "shut off",
                                                   persistent ? ", defined" : "", pid));
            if (remove) {
                if (active && virDomainDestroy(doms[i]) < 0)
                    virResetLastError();
                if (persistent)
                    undefine(doms[i]);
            }
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    virResetLastError();
    *ret_found = g_steal_pointer(&found);
    return TRUE;
}

const char *domains_guest_name(domains_guest *g)
{
    return g->name;
}

gboolean domains_guest_is_running(domains_guest *g)
{
    int state = 0, reason = 0;

    if (virDomainGetState(g->dom, &state, &reason, 0) < 0) {
        virResetLastError();
        return FALSE;
    }
    return state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_BLOCKED;
}

void domains_guest_destroy(domains_guest *g)
{
    if (g == NULL)
        return;
    if (virDomainIsActive(g->dom) == 1 && virDomainDestroy(g->dom) < 0)
        virResetLastError();
    /* a transient domain is gone once destroyed; undefine only a persistent one */
    if (virDomainIsPersistent(g->dom) == 1)
        undefine(g->dom);
    virDomainFree(g->dom);
    virResetLastError();
    g_free(g->name);
    g_free(g);
}

char *domains_console_tx_stall(const char *text)
{
    const char *from, *hit = NULL;

    if (!text)
        return NULL;
    /* the guest's init prints "vexp: ready" once it is up: only what came after */
    from = g_strrstr(text, "vexp: ready");
    for (const char *p = from ? from : text; (p = strstr(p, "transmit queue")); p++) {
        const char *to = strstr(p, "timed out"), *nl = strchr(p, '\n');
        if (to && (!nl || to < nl))
            hit = p;
    }
    if (!hit)
        return NULL;
    const char *bol = hit;
    while (bol > text && bol[-1] != '\n')
        bol--;
    const char *eol = strchr(hit, '\n');
    g_autofree char *line = g_strndup(bol, eol ? (gsize)(eol - bol) : strlen(bol));
    char *msg = line;
    if (*msg == '[' && strchr(msg, ']')) /* the kernel's timestamp */
        msg = strchr(msg, ']') + 1;
    return g_strdup(g_strstrip(msg));
}

/* The last lines of a console log, control characters replaced; g_free(). */
static char *console_tail(const char *path)
{
    g_autofree char *buf = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    g_auto(GStrv) lines = NULL;
    FILE *f;
    size_t n;
    guint count, first;

    if (path == NULL)
        return g_strdup("(no console log)");
    f = fopen(path, "re");
    if (f == NULL)
        return g_strdup_printf("(console log '%s' unreadable: %s)", path, g_strerror(errno));
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);

        if (size > CONSOLE_TAIL_BYTES && fseek(f, size - CONSOLE_TAIL_BYTES, SEEK_SET) != 0)
            rewind(f);
        else if (size <= CONSOLE_TAIL_BYTES)
            rewind(f);
    }
    buf = g_malloc(CONSOLE_TAIL_BYTES + 1);
    n = fread(buf, 1, CONSOLE_TAIL_BYTES, f);
    fclose(f);
    buf[n] = '\0';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)buf[i];

        if (ch == '\r' || ch == '\0' || (ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f)
            buf[i] = ' ';
    }
    lines = g_strsplit(g_strchomp(buf), "\n", -1);
    count = g_strv_length(lines);
    if (count == 0 || (count == 1 && *lines[0] == '\0'))
        return g_strdup_printf("(console log '%s' is empty)", path);
    first = count > CONSOLE_TAIL_LINES ? count - CONSOLE_TAIL_LINES : 0;
    g_string_append_printf(out, "console log '%s' ends with:", path);
    for (guint i = first; i < count; i++)
        g_string_append_printf(out, "\n  %s", g_strchomp(lines[i]));
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* One connection attempt: TRUE when the peer sends "SSH-" within timeout_ms. */
static gboolean try_banner(const struct sockaddr *sa, socklen_t salen, int timeout_ms,
                           char **ret_why)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    struct pollfd pfd;
    char banner[8];
    size_t got = 0;
    int fd, err = 0;
    socklen_t errlen = sizeof(err);
    gboolean ok = FALSE;

    fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        *ret_why = g_strdup_printf("socket: %s", g_strerror(errno));
        return FALSE;
    }
    if (connect(fd, sa, salen) < 0 && errno != EINPROGRESS) {
        *ret_why = g_strdup(g_strerror(errno));
        goto out;
    }
    pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
    if (poll(&pfd, 1, timeout_ms) <= 0) {
        *ret_why = g_strdup("connect timed out");
        goto out;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) < 0 || err != 0) {
        *ret_why = g_strdup(g_strerror(err ? err : errno));
        goto out;
    }
    while (got < 4) {
        gint64 left = (end - g_get_monotonic_time()) / 1000;
        ssize_t r;

        pfd = (struct pollfd){.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
            *ret_why = g_strdup("connected, but no SSH banner");
            goto out;
        }
        r = read(fd, banner + got, 4 - got);
        if (r <= 0) {
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            *ret_why =
                g_strdup(r == 0 ? "connection closed before the SSH banner" : g_strerror(errno));
            goto out;
        }
        got += (size_t)r;
    }
    ok = memcmp(banner, "SSH-", 4) == 0;
    if (!ok)
        *ret_why = g_strdup("the peer sent something other than an SSH banner");
out:
    close(fd);
    return ok;
}

gboolean domains_addr_answers(const char *addr, unsigned port, int timeout_ms)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct pollfd pfd;
    int fd, err = 0;
    socklen_t errlen = sizeof(err);
    gboolean answers = FALSE;

    if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
        return FALSE;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return FALSE;
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
        answers = TRUE;
    } else if (errno == ECONNREFUSED) {
        answers = TRUE;
    } else if (errno == EINPROGRESS) {
        pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
        if (poll(&pfd, 1, timeout_ms) > 0 &&
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) == 0)
            answers = err == 0 || err == ECONNREFUSED;
    }
    close(fd);
    return answers;
}

gboolean domains_guest_wait_ssh(domains_guest *g, const char *addr, unsigned port,
                                unsigned timeout_s, const char *console_log, GError **error)
{
    struct sockaddr_storage ss = {0};
    socklen_t salen;
    gint64 deadline;
    g_autofree char *why = NULL;

    if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        salen = sizeof(*sin);
    } else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        salen = sizeof(*sin6);
    } else {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "guest address '%s' is not a numeric IPv4 or IPv6 address", addr);
        return FALSE;
    }
    if (port == 0 || port > 65535) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT, "SSH port '%u' out of range", port);
        return FALSE;
    }
    timeout_s = MIN(timeout_s, WAIT_TIMEOUT_MAX_S);
    deadline = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;

    for (;;) {
        gint64 left;

        if (domains_cancelled()) {
            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_CANCELLED,
                        "cancelled while waiting for SSH on domain '%s'", g->name);
            return FALSE;
        }
        if (!domains_guest_is_running(g)) {
            g_autofree char *tail = console_tail(console_log);

            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_GUEST,
                        "domain '%s' stopped before SSH answered on %s:%u; %s", g->name, addr, port,
                        tail);
            return FALSE;
        }
        left = (deadline - g_get_monotonic_time()) / 1000;
        g_clear_pointer(&why, g_free);
        if (try_banner((struct sockaddr *)&ss, salen, (int)CLAMP(left, 1, 2000), &why))
            return TRUE;
        if (g_get_monotonic_time() >= deadline) {
            g_autofree char *tail = console_tail(console_log);

            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_TIMEOUT,
                        "domain '%s' did not answer SSH on %s:%u within %u s (last attempt: "
                        "%s); %s",
                        g->name, addr, port, timeout_s, why, tail);
            return FALSE;
        }
        for (int i = 0; i < 5 && !domains_cancelled(); i++)
            g_usleep(50 * 1000);
    }
}
