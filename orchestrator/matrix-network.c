/* SPDX-License-Identifier: MIT */
/* matrix.conf [network]: namespace or bridge, addresses, the tester. */
#include "vexp-config.h"

#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "matrix-priv.h"

static gboolean parse_ipv4(vexp_matrix *m, const char *key, const char *value, guint line,
                           guint *ret_prefix, GError **error)
{
    g_autofree char *addr = g_strdup(value);
    char *slash = strchr(addr, '/');
    struct in_addr in;
    guint prefix = 0;

    if (slash) {
        *slash = '\0';
        if (!ret_prefix || !matrix_all_digits(slash + 1) || strlen(slash + 1) > 2 ||
            (prefix = (guint)g_ascii_strtoull(slash + 1, NULL, 10)) < 8 || prefix > 30)
            goto bad;
    }
    if (inet_pton(AF_INET, addr, &in) != 1)
        goto bad;
    if (ret_prefix && slash)
        *ret_prefix = prefix;
    return TRUE;
bad:
    g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                "%s:%u: [network] %s = '%s': expected an IPv4 address%s", m->path, line, key, value,
                ret_prefix ? " with an optional /prefix (8..30), e.g. " DOMAINS_NET_GUEST_ADDR "/15"
                           : "");
    return FALSE;
}

/* "ssh://[user@]host[:port]" into the network's tester_* fields */
static gboolean parse_tester(vexp_matrix *m, const char *value, guint line, GError **error)
{
    /* past "ssh://" only once the prefix is there (fuzz-matrix: "tester = ss") */
    const char *rest = g_str_has_prefix(value, "ssh://") ? value + strlen("ssh://") : value;
    const char *at = strchr(rest, '@');
    g_autofree char *user = NULL, *hostport = NULL;
    char *colon;
    guint port = 22;

    if (!strcmp(value, "local")) {
        m->net.tester = "local";
        return TRUE;
    }
    if (!g_str_has_prefix(value, "ssh://"))
        goto bad;
    user = at ? g_strndup(rest, at - rest) : g_strdup("root");
    hostport = g_strdup(at ? at + 1 : rest);
    colon = strrchr(hostport, ':');
    if (colon) {
        *colon = '\0';
        if (!matrix_all_digits(colon + 1) || strlen(colon + 1) > 5 ||
            (port = (guint)g_ascii_strtoull(colon + 1, NULL, 10)) == 0 || port > 65535)
            goto bad;
    }
    if (!*user || !*hostport || strlen(hostport) > 253 || strchr(hostport, '/'))
        goto bad;
    for (const char *c = user; *c; c++)
        if (!g_ascii_isalnum(*c) && !strchr("._-", *c))
            goto bad;
    for (const char *c = hostport; *c; c++)
        if (!g_ascii_isalnum(*c) && !strchr(".-", *c))
            goto bad;
    m->net.tester = matrix_keep_str(m, value);
    m->net.tester_user = matrix_keep_str(m, user);
    m->net.tester_host = matrix_keep_str(m, hostport);
    m->net.tester_port = port;
    return TRUE;
bad:
    g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                "%s:%u: [network] tester = '%s': expected 'local' or 'ssh://[user@]host[:port]'",
                m->path, line, value);
    return FALSE;
}

/* a file named in [network]: absolute (relative to the matrix's directory), readable */
static gboolean network_file(vexp_matrix *m, const char *key, const char *value, guint line,
                             const char **ret_path, GError **error)
{
    g_autofree char *path = g_canonicalize_filename(value, m->base_dir);

    if (m->files_unchecked) {
        *ret_path = matrix_keep_str(m, value);
        return TRUE;
    }
    if (!*value || !g_file_test(path, G_FILE_TEST_IS_REGULAR) || access(path, R_OK) != 0) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [network] %s = '%s': no readable file '%s'", m->path, line, key, value,
                    path);
        return FALSE;
    }
    *ret_path = matrix_keep_str(m, path);
    return TRUE;
}

/* URIs of the embedded driver: the only ones whose domains live in vexp's own namespace */
static gboolean uri_is_embed(const char *uri)
{
    return g_str_has_prefix(uri, "qemu:///embed");
}

static gboolean check_ifname(vexp_matrix *m, const char *key, const char *name, guint line,
                             GError **error)
{
    gboolean ok = *name && strlen(name) <= 15;

    for (const char *c = name; *c; c++)
        if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_' && *c != '.')
            ok = FALSE;
    if (!ok)
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [network] %s = '%s': expected an interface name of 1 to 15 "
                    "letters, digits, '-', '_' or '.'",
                    m->path, line, key, name);
    return ok;
}

gboolean matrix_load_network(vexp_matrix *m, GError **error)
{
    static const char g[] = "network";
    static const char *const modes[] = {"namespace", "bridge", NULL};
    static const char *const bridge_only[] = {"tester",
                                              "tester_address",
                                              "guest_address",
                                              "tester_identity",
                                              "tester_host_key",
                                              "isolated_ports",
                                              NULL};
    g_autofree char *mode = NULL;
    g_autofree char *bridge = NULL;
    guint mode_line, bridge_line;

    if (!matrix_get_value(m, g, "mode", &mode, &mode_line, error) ||
        !matrix_get_value(m, g, "bridge", &bridge, &bridge_line, error))
        return FALSE;
    if (mode && !matrix_parse_choice(m, g, "mode", mode, mode_line, modes, error))
        return FALSE;
    m->net.mode =
        mode && !strcmp(mode, "bridge") ? MATRIX_NETWORK_BRIDGE : MATRIX_NETWORK_NAMESPACE;
    m->net.tester = "local";
    m->net.tester_address = DOMAINS_NET_TESTER_ADDR;
    m->net.guest_address = DOMAINS_NET_GUEST_ADDR;
    m->net.prefix = DOMAINS_NET_PREFIX_LEN;
    if (bridge) {
        if (!check_ifname(m, "bridge", bridge, bridge_line, error))
            return FALSE;
        if (m->net.mode != MATRIX_NETWORK_BRIDGE) {
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                        "%s:%u: [network] bridge = '%s' needs mode = bridge", m->path, bridge_line,
                        bridge);
            return FALSE;
        }
        m->net.bridge = matrix_keep_str(m, bridge);
    } else if (m->net.mode == MATRIX_NETWORK_BRIDGE) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [network] mode = '%s' needs a 'bridge = NAME'", m->path, mode_line,
                    mode);
        return FALSE;
    }

    if (m->net.mode == MATRIX_NETWORK_NAMESPACE) {
        /* vexp's own namespace holds its addresses and the taps of in-process domains */
        for (guint i = 0; bridge_only[i]; i++) {
            guint line = matrix_line_of(m, g, bridge_only[i]);
            if (line) {
                g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                            "%s:%u: [network] %s needs mode = bridge (in the default mode = "
                            "namespace vexp picks the addresses and runs the tester itself)",
                            m->path, line, bridge_only[i]);
                return FALSE;
            }
        }
        for (guint i = 0; i < m->exp.n_uris; i++) {
            if (!uri_is_embed(m->exp.uris[i])) {
                g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                            "%s:%u: [experiment] uri = '%s': a libvirtd or remote hypervisor "
                            "cannot reach the private network namespace vexp makes for a run; "
                            "set [network] mode = bridge with a bridge on that host (or use "
                            "qemu:///embed)",
                            m->path, matrix_line_of(m, "experiment", "uri"), m->exp.uris[i]);
                return FALSE;
            }
        }
        return TRUE;
    }

    /* mode = bridge */
    for (guint k = 0; bridge_only[k]; k++) {
        g_autofree char *v = NULL;
        guint line = 0;

        if (!matrix_get_value(m, g, bridge_only[k], &v, &line, error))
            return FALSE;
        if (!v)
            continue;
        if (!strcmp(bridge_only[k], "tester")) {
            if (!parse_tester(m, v, line, error))
                return FALSE;
        } else if (!strcmp(bridge_only[k], "tester_address")) {
            if (!parse_ipv4(m, "tester_address", v, line, NULL, error))
                return FALSE;
            m->net.tester_address = matrix_keep_str(m, v);
        } else if (!strcmp(bridge_only[k], "guest_address")) {
            char *slash;

            if (!parse_ipv4(m, "guest_address", v, line, &m->net.prefix, error))
                return FALSE;
            if ((slash = strchr(v, '/')))
                *slash = '\0';
            m->net.guest_address = matrix_keep_str(m, v);
        } else if (!strcmp(bridge_only[k], "isolated_ports")) {
            g_auto(GStrv) ports = matrix_split_list(m, g, "isolated_ports", v, line, "list", error);

            if (!ports)
                return FALSE;
            for (guint i = 0; ports[i]; i++)
                if (!check_ifname(m, "isolated_ports", ports[i], line, error))
                    return FALSE;
            for (guint i = 0; ports[i]; i++)
                matrix_keep(m, ports[i]);
            m->net.isolated_ports = (const char *const *)matrix_keep(m, g_steal_pointer(&ports));
        } else if (!strcmp(bridge_only[k], "tester_identity")) {
            if (!network_file(m, "tester_identity", v, line, &m->net.tester_identity, error))
                return FALSE;
        } else if (!network_file(m, "tester_host_key", v, line, &m->net.tester_host_key, error)) {
            return FALSE;
        }
    }
    if (!matrix_line_of(m, g, "tester_address")) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [network] mode = bridge needs 'tester_address = ADDR' (the "
                    "tester's IPv4 address on the bridge's network)",
                    m->path, mode_line);
        return FALSE;
    }
    if (!strcmp(m->net.tester, "local") &&
        (matrix_line_of(m, g, "tester_identity") || matrix_line_of(m, g, "tester_host_key"))) {
        guint line = matrix_line_of(m, g, "tester_identity");
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [network] tester_identity and tester_host_key need "
                    "tester = ssh://[user@]host",
                    m->path, line ? line : matrix_line_of(m, g, "tester_host_key"));
        return FALSE;
    }
    if (strcmp(m->net.tester, "local") != 0 && !m->net.tester_host_key) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [network] tester = '%s' needs 'tester_host_key = FILE' (its pinned "
                    "SSH host key: a known_hosts file or a .pub key)",
                    m->path, matrix_line_of(m, g, "tester"), m->net.tester);
        return FALSE;
    }
    return TRUE;
}

gboolean matrix_check_guest_addresses(vexp_matrix *m, GError **error)
{
    struct in_addr in, tester;
    guint32 base, last, mask, net, bcast, n = matrix_cell_count(m), t;
    guint line;

    if (m->net.mode != MATRIX_NETWORK_BRIDGE || n == 0)
        return TRUE; /* the namespace's addresses are vexp's own */
    line = matrix_line_of(m, "network", "guest_address");
    inet_pton(AF_INET, m->net.guest_address, &in); /* parse_ipv4() checked it */
    inet_pton(AF_INET, m->net.tester_address, &tester);
    base = ntohl(in.s_addr);
    t = ntohl(tester.s_addr);
    mask = m->net.prefix ? ~0u << (32 - m->net.prefix) : 0;
    net = base & mask;
    bcast = net | ~mask;
    last = base + (n - 1);
    if (base == net) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [network] guest_address = '%s/%u' is the subnet's network address, "
                    "not a host's",
                    m->path, line, m->net.guest_address, m->net.prefix);
        return FALSE;
    }
    if (last < base || last >= bcast) {
        struct in_addr b = {.s_addr = htonl(bcast)};
        char buf[INET_ADDRSTRLEN];

        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [network] guest_address = '%s/%u': %u cells need %u addresses from "
                    "there, past the subnet's last host (broadcast %s)",
                    m->path, line, m->net.guest_address, m->net.prefix, n, n,
                    inet_ntop(AF_INET, &b, buf, sizeof(buf)));
        return FALSE;
    }
    if (t >= base && t <= last) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [network] guest_address = '%s': the %u guests' addresses include "
                    "tester_address '%s'",
                    m->path, line, m->net.guest_address, n, m->net.tester_address);
        return FALSE;
    }
    if ((t & mask) != net) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [network] tester_address = '%s' is outside guest_address's subnet "
                    "%s/%u",
                    m->path, matrix_line_of(m, "network", "tester_address"), m->net.tester_address,
                    m->net.guest_address, m->net.prefix);
        return FALSE;
    }
    return TRUE;
}
