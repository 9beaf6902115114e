/* SPDX-License-Identifier: MIT */
/* domains: the per-run network namespace (bridge, tester veth, taps) made with iproute2. */
#include "vexp-config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domains-priv.h"
#include "net-defaults.h"

#define NETNS_DIR "/run/netns"
#define PID_DIR "/run/vexp"
#define NET_PREFIX "vexp-"
#define TAG_MAX 20
#define BRIDGE DOMAINS_NET_BRIDGE
#define TESTER_ADDR DOMAINS_NET_TESTER_ADDR
#define PEER_ADDR DOMAINS_NET_PEER_ADDR
#define PREFIX_LEN DOMAINS_NET_PREFIX_LEN
#define GUEST_BASE DOMAINS_NET_GUEST_BASE
#define GUEST_INDEX_MAX 100000
#define PEER_BR_END DOMAINS_NET_HOST_PEER_BR_DEV
#define PEER_NS_END "vxh1"
/* The tester's own interface: a veth pair into the bridge (a bridge device has no native
 * XDP, a veth has: the tester's AF_XDP data plane runs there). */
#define TESTER_DEV "vxt0"
#define TESTER_BR_END "vxt1"

struct domains_net {
    char *name;
    char *peer; /* "<name>-h" once created */
};

static char *pid_file(const char *ns)
{
    return g_strdup_printf(PID_DIR "/%s.pid", ns);
}

static gboolean write_pid_file(const char *ns, GError **error)
{
    g_autofree char *path = pid_file(ns);
    g_autofree char *pid = g_strdup_printf("%ld\n", (long)getpid());
    g_autoptr(GError) local = NULL;

    if (g_mkdir_with_parents(PID_DIR, 0755) < 0) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV, "failed to create '%s': %s", PID_DIR,
                    g_strerror(errno));
        return FALSE;
    }
    if (!g_file_set_contents(path, pid, -1, &local)) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV, "failed to write '%s': %s", path,
                    local->message);
        return FALSE;
    }
    return TRUE;
}

static gboolean ns_exists(const char *ns)
{
    g_autofree char *path = g_build_filename(NETNS_DIR, ns, NULL);

    return g_file_test(path, G_FILE_TEST_EXISTS);
}

/* Run "ip" with the given arguments (NULL-terminated). */
static gboolean ip(GError **error, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    va_list ap;
    const char *a;

    g_ptr_array_add(argv, (gpointer) "ip");
    va_start(ap, error);
    while ((a = va_arg(ap, const char *)) != NULL)
        g_ptr_array_add(argv, (gpointer)a);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    return domains_run((const char *const *)argv->pdata, NULL, error);
}

/* SIGKILL what still runs in the namespace (QEMU, agents), except this process. */
static void kill_inside(const char *ns)
{
    const char *argv[] = {"ip", "netns", "pids", ns, NULL};
    g_autofree char *out = NULL;
    g_auto(GStrv) pids = NULL;

    if (!domains_run(argv, &out, NULL))
        return;
    pids = g_strsplit(out, "\n", -1);
    for (guint i = 0; pids[i] != NULL; i++) {
        guint64 pid;

        if (g_ascii_string_to_unsigned(g_strstrip(pids[i]), 10, 2, G_MAXINT32, &pid, NULL) &&
            (pid_t)pid != getpid())
            kill((pid_t)pid, SIGKILL);
    }
}

static void remove_ns(const char *ns)
{
    g_autofree char *pf = pid_file(ns);

    if (ns_exists(ns)) {
        kill_inside(ns);
        ip(NULL, "netns", "delete", ns, NULL);
    }
    unlink(pf);
}

domains_net *domains_net_create(const char *tag, GError **error)
{
    g_autoptr(domains_net) net = NULL;
    g_autofree char *addr = g_strdup_printf(TESTER_ADDR "/%d", PREFIX_LEN);
    const char *ns;

    if (tag == NULL || *tag == '\0' || strlen(tag) > TAG_MAX ||
        strspn(tag, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
            strlen(tag)) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "namespace tag '%s' must be 1 to %d characters of [A-Za-z0-9_-]",
                    tag ? tag : "", TAG_MAX);
        return NULL;
    }
    net = g_new0(domains_net, 1);
    net->name = g_strconcat(NET_PREFIX, tag, NULL);
    ns = net->name;
    if (ns_exists(ns)) {
        g_autofree char *name = g_steal_pointer(&net->name);

        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                    "network namespace '%s' already exists (another run, or a leftover "
                    "that a sweep removes)",
                    name);
        return NULL;
    }
    /* the pid file first: a sweep never sees our namespace without an owner */
    if (!write_pid_file(ns, error))
        return NULL;
    if (!ip(error, "netns", "add", ns, NULL)) {
        g_autofree char *pf = pid_file(ns);

        unlink(pf);
        g_clear_pointer(&net->name, g_free);
        return NULL;
    }
    if (!ip(error, "-n", ns, "link", "set", "lo", "up", NULL) ||
        !ip(error, "-n", ns, "link", "add", BRIDGE, "type", "bridge", "stp_state", "0",
            "forward_delay", "0", NULL) ||
        !ip(error, "-n", ns, "link", "set", BRIDGE, "up", NULL) ||
        !ip(error, "-n", ns, "link", "add", TESTER_DEV, "type", "veth", "peer", "name",
            TESTER_BR_END, NULL) ||
        !ip(error, "-n", ns, "link", "set", TESTER_BR_END, "master", BRIDGE, "up", NULL) ||
        !ip(error, "-n", ns, "addr", "add", addr, "dev", TESTER_DEV, NULL) ||
        !ip(error, "-n", ns, "link", "set", TESTER_DEV, "up", NULL))
        return NULL; /* net's cleanup removes the namespace */
    return g_steal_pointer(&net);
}

gboolean domains_net_enter(domains_net *net, GError **error)
{
    g_autofree char *path = g_build_filename(NETNS_DIR, net->name, NULL);
    g_autoptr(GDir) tasks = g_dir_open("/proc/self/task", 0, NULL);
    guint threads = 0;
    int fd;

    while (tasks != NULL && g_dir_read_name(tasks) != NULL)
        threads++;
    if (threads > 1) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                    "cannot enter network namespace '%s': the process already runs %u threads "
                    "(enter before starting any)",
                    net->name, threads);
        return FALSE;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV, "failed to open '%s': %s", path,
                    g_strerror(errno));
        return FALSE;
    }
    if (setns(fd, CLONE_NEWNET) < 0) {
        int e = errno;

        close(fd);
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                    "failed to enter network namespace '%s': %s", net->name, g_strerror(e));
        return FALSE;
    }
    close(fd);
    return TRUE;
}

const char *domains_net_name(domains_net *net)
{
    return net->name;
}

const char *domains_net_bridge(domains_net *net)
{
    return BRIDGE;
}

const char *domains_net_tester_addr(domains_net *net)
{
    return TESTER_ADDR;
}

unsigned domains_net_prefix(domains_net *net)
{
    return PREFIX_LEN;
}

char *domains_net_guest_addr(domains_net *net, unsigned index)
{
    struct in_addr a;
    char buf[INET_ADDRSTRLEN];

    if (index >= GUEST_INDEX_MAX)
        return NULL;
    a.s_addr = htonl(GUEST_BASE + index);
    return g_strdup(inet_ntop(AF_INET, &a, buf, sizeof(buf)));
}

char *domains_net_tap_name(domains_net *net, unsigned index)
{
    /* taps live inside the run's namespace: short names are unique there */
    return g_strdup_printf("vx%u", index);
}

gboolean domains_net_add_host_peer(domains_net *net, char **ret_netns, char **ret_addr,
                                   GError **error)
{
    g_autofree char *peer = g_strconcat(net->name, "-h", NULL);
    g_autofree char *addr = g_strdup_printf(PEER_ADDR "/%d", PREFIX_LEN);

    if (net->peer == NULL) {
        if (!write_pid_file(peer, error))
            return FALSE;
        if (!ip(error, "netns", "add", peer, NULL)) {
            g_autofree char *pf = pid_file(peer);

            unlink(pf);
            return FALSE;
        }
        net->peer = g_strdup(peer);
        if (!ip(error, "-n", peer, "link", "set", "lo", "up", NULL) ||
            !ip(error, "-n", net->name, "link", "add", PEER_BR_END, "type", "veth", "peer", "name",
                PEER_NS_END, "netns", peer, NULL) ||
            !ip(error, "-n", net->name, "link", "set", PEER_BR_END, "master", BRIDGE, "up", NULL) ||
            !ip(error, "-n", peer, "addr", "add", addr, "dev", PEER_NS_END, NULL) ||
            !ip(error, "-n", peer, "link", "set", PEER_NS_END, "up", NULL)) {
            remove_ns(net->peer);
            g_clear_pointer(&net->peer, g_free);
            return FALSE;
        }
    }
    if (ret_netns != NULL)
        *ret_netns = g_strdup(net->peer);
    if (ret_addr != NULL)
        *ret_addr = g_strdup(PEER_ADDR);
    return TRUE;
}

gboolean domains_net_limit(domains_net *net, const char *dev, guint64 rate_bps, GError **error)
{
    g_autofree char *rate = NULL;
    g_autofree char *burst = NULL;

    if (dev == NULL || *dev == '\0' || strlen(dev) > 15) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT, "device name '%s' is invalid",
                    dev ? dev : "");
        return FALSE;
    }
    if (rate_bps == 0) {
        const char *argv[] = {"tc", "-n", net->name, "qdisc", "del", "dev", dev, "root", NULL};

        domains_run(argv, NULL, NULL); /* no shaping to remove is fine */
        return TRUE;
    }
    rate = g_strdup_printf("%" G_GUINT64_FORMAT "bit", rate_bps);
    /* 10 ms worth of bytes, at least 16 KiB so that full frames pass */
    burst = g_strdup_printf("%" G_GUINT64_FORMAT, MAX(rate_bps / 8 / 100, (guint64)16384));
    {
        const char *argv[] = {"tc",  "-n",      net->name, "qdisc", "replace", "dev",
                              dev,   "root",    "tbf",     "rate",  rate,      "burst",
                              burst, "latency", "50ms",    NULL};

        return domains_run(argv, NULL, error);
    }
}

void domains_net_destroy(domains_net *net)
{
    if (net == NULL)
        return;
    if (net->peer != NULL)
        remove_ns(net->peer);
    if (net->name != NULL)
        remove_ns(net->name);
    g_free(net->peer);
    g_free(net->name);
    g_free(net);
}

/* TRUE when ns has a pid file naming a process that no longer exists. */
static gboolean owner_dead(const char *ns)
{
    g_autofree char *pf = pid_file(ns);
    g_autofree char *text = NULL;
    guint64 pid;

    /* no pid file: not made by vexp (it writes the file first), leave it alone */
    if (!g_file_get_contents(pf, &text, NULL, NULL))
        return FALSE;
    if (!g_ascii_string_to_unsigned(g_strstrip(text), 10, 1, G_MAXINT32, &pid, NULL))
        return TRUE;
    return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

gboolean domains_net_sweep(guint *ret_removed, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(GDir) dir = NULL;
    g_autoptr(GPtrArray) dead = g_ptr_array_new_with_free_func(g_free);
    const char *e;

    dir = g_dir_open(NETNS_DIR, 0, &local);
    if (dir == NULL && !g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV, "failed to list '%s': %s", NETNS_DIR,
                    local->message);
        return FALSE;
    }
    while (dir != NULL && (e = g_dir_read_name(dir)) != NULL) {
        if (g_str_has_prefix(e, NET_PREFIX) && owner_dead(e))
            g_ptr_array_add(dead, g_strdup(e));
    }
    for (guint i = 0; i < dead->len; i++)
        remove_ns(dead->pdata[i]);
    /* pid files of namespaces that are gone */
    g_clear_pointer(&dir, g_dir_close);
    dir = g_dir_open(PID_DIR, 0, NULL);
    while (dir != NULL && (e = g_dir_read_name(dir)) != NULL) {
        g_autofree char *ns = g_str_has_suffix(e, ".pid") ? g_strndup(e, strlen(e) - 4) : NULL;

        if (ns != NULL && g_str_has_prefix(ns, NET_PREFIX) && !ns_exists(ns) && owner_dead(ns)) {
            g_autofree char *pf = pid_file(ns);

            unlink(pf);
        }
    }
    if (ret_removed != NULL)
        *ret_removed = dead->len;
    return TRUE;
}

/* ---- bridges given by the user ([network] mode = bridge) ------------------ */

static gboolean ifname_valid(const char *name)
{
    return name != NULL && *name != '\0' && strlen(name) < IFNAMSIZ &&
           strpbrk(name, "/ :") == NULL && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static int cmp_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

gboolean domains_bridge_check_at(const char *sysfs_root, const char *bridge,
                                 const char *const *isolated_ports, GError **error)
{
    g_autofree char *dev = NULL;
    g_autofree char *br = NULL;
    g_autofree char *brif = NULL;
    g_autoptr(GDir) dir = NULL;
    g_autoptr(GError) local = NULL;
    g_autoptr(GPtrArray) ports = g_ptr_array_new_with_free_func(g_free);
    const char *e;

    if (!ifname_valid(bridge)) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "bridge '%s' is not a device name (at most %d characters, no '/', ' ', ':')",
                    bridge ? bridge : "", IFNAMSIZ - 1);
        return FALSE;
    }
    dev = g_build_filename(sysfs_root, "class", "net", bridge, NULL);
    br = g_build_filename(dev, "bridge", NULL);
    brif = g_build_filename(dev, "brif", NULL);
    if (!g_file_test(dev, G_FILE_TEST_EXISTS)) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT, "bridge '%s' does not exist",
                    bridge);
        return FALSE;
    }
    if (!g_file_test(br, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "device '%s' exists but is not a bridge", bridge);
        return FALSE;
    }
    dir = g_dir_open(brif, 0, &local);
    if (dir == NULL) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                    "failed to list the ports of bridge '%s': %s", bridge, local->message);
        return FALSE;
    }
    while ((e = g_dir_read_name(dir)) != NULL)
        g_ptr_array_add(ports, g_strdup(e));
    /* the same port named every time when there are several */
    g_ptr_array_sort(ports, cmp_names);
    for (guint i = 0; i < ports->len; i++) {
        const char *port = ports->pdata[i];
        g_autofree char *link = g_build_filename(sysfs_root, "class", "net", port, "device", NULL);

        /* virtual devices (veth, tap, dummy, bond) have no device link; a
         * physical port passes only when the user declared it a dedicated
         * benchmark link */
        if (g_file_test(link, G_FILE_TEST_EXISTS) &&
            !(isolated_ports && g_strv_contains(isolated_ports, port))) {
            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                        "bridge '%s' has the physical port '%s': vexp sends benchmark traffic "
                        "only on an isolated bridge (RFC 6815); if '%s' is a cable to the "
                        "tester and nothing else, list it in [network] isolated_ports",
                        bridge, port, port);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean domains_bridge_check(const char *bridge, const char *const *isolated_ports, GError **error)
{
    g_autofree char *path = NULL;
    g_autofree char *text = NULL;
    unsigned index;
    guint64 sysfs_index = 0;

    if (!ifname_valid(bridge))
        return domains_bridge_check_at("/sys", bridge, isolated_ports, error);
    index = if_nametoindex(bridge);
    if (index == 0) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT, "bridge '%s' does not exist",
                    bridge);
        return FALSE;
    }
    /* sysfs shows the devices of the namespace that mounted it, maybe not ours */
    path = g_strdup_printf("/sys/class/net/%s/ifindex", bridge);
    if (!g_file_get_contents(path, &text, NULL, NULL) ||
        !g_ascii_string_to_unsigned(g_strstrip(text), 10, 1, G_MAXUINT, &sysfs_index, NULL) ||
        sysfs_index != index) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                    "/sys shows another network namespace's devices (bridge '%s' has ifindex %u "
                    "here, '%s' says otherwise): remount /sys inside the namespace as "
                    "`ip netns exec` does",
                    bridge, index, path);
        return FALSE;
    }
    return domains_bridge_check_at("/sys", bridge, isolated_ports, error);
}
