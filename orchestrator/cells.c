/* SPDX-License-Identifier: MIT */
/* From a matrix cell to what the other modules take: domain spec, traffic params, store config. */
#include "vexp-config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "cells.h"
#include "net-defaults.h"
#include "vexp.h"

const char *vexp_state_dir(void)
{
    static char *dir;

    if (!dir) {
        const char *env = g_getenv("VEXP_STATE_DIR");
        if (env && *env)
            dir = g_strdup(env);
        else if (geteuid() == 0)
            dir = g_strdup("/var/lib/vexp");
        else
            dir = g_build_filename(g_get_user_state_dir(), "vexp", NULL);
    }
    return dir;
}

void vexp_cell_domain_free(vexp_cell_domain *d)
{
    if (!d)
        return;
    g_free(d->name);
    g_free(d->tap);
    g_free(d->mac);
    g_free(d->guest_addr);
    g_free(d->cmdline);
    g_free(d->console_log);
    g_free(d->xml);
    g_free(d->key);
    g_free(d->canonical);
    g_free(d);
}

void vexp_netplan_init(vexp_netplan *ret_plan, const vexp_matrix *m, domains_net *net,
                       const char *tag, char *plan_tap, gsize plan_tap_len)
{
    const matrix_network *n = matrix_get_network(m);
    struct in_addr in;

    memset(ret_plan, 0, sizeof(*ret_plan));
    if (n->mode == MATRIX_NETWORK_BRIDGE) {
        ret_plan->bridge = n->bridge;
        ret_plan->tester_addr = n->tester_address;
        ret_plan->prefix = n->prefix;
        inet_pton(AF_INET, n->guest_address, &in); /* checked by the matrix parser */
        ret_plan->guest_base = ntohl(in.s_addr);
        /* "vx" + tag + "-" + index: unique on a shared bridge host, <= 15 chars */
        g_snprintf(plan_tap, plan_tap_len, "vx%.7s-", tag);
        ret_plan->tap_prefix = plan_tap;
        return;
    }
    ret_plan->bridge = net ? domains_net_bridge(net) : DOMAINS_NET_BRIDGE;
    ret_plan->tester_addr = net ? domains_net_tester_addr(net) : DOMAINS_NET_TESTER_ADDR;
    ret_plan->prefix = net ? domains_net_prefix(net) : DOMAINS_NET_PREFIX_LEN;
    ret_plan->guest_base = DOMAINS_NET_GUEST_BASE;
    ret_plan->tap_prefix = NULL;
    ret_plan->net = net;
}

char *vexp_netplan_guest_addr(const vexp_netplan *plan, guint i)
{
    if (plan->net)
        return domains_net_guest_addr(plan->net, i);
    struct in_addr in = {.s_addr = htonl(plan->guest_base + i)};
    char buf[INET_ADDRSTRLEN];

    return g_strdup(inet_ntop(AF_INET, &in, buf, sizeof(buf)));
}

vexp_cell_domain *vexp_cell_domain_new(const vexp_matrix *m, guint i, const char *tag,
                                       const vexp_netplan *plan, const char *accel,
                                       const vexp_image *img, const char *console_dir,
                                       GError **error)
{
    const matrix_cell *cell = matrix_get_cell(m, i);
    g_autoptr(vexp_cell_domain) d = g_new0(vexp_cell_domain, 1);
    g_autoptr(GError) local = NULL;
    g_autofree char *default_kernel = NULL;
    g_autofree char *default_initrd = NULL;
    domains_spec *s = &d->spec;
    vexp_netplan own;
    char own_tap[16];

    if (!plan) {
        vexp_netplan_init(&own, m, NULL, tag, own_tap, sizeof(own_tap));
        plan = &own;
    }
    d->name = g_strdup_printf("vexp-%s-%u", tag, i);
    if (plan->net)
        d->tap = domains_net_tap_name(plan->net, i);
    else
        d->tap = g_strdup_printf("%s%u", plan->tap_prefix ? plan->tap_prefix : "vx", i);
    if (strlen(d->tap) > 15) {
        g_set_error(error, VEXP_ERROR, VEXP_ERROR_INPUT,
                    "%s: cell %u: tap name '%s' is longer than 15 characters", matrix_path(m), i,
                    d->tap);
        return NULL;
    }
    d->guest_addr = vexp_netplan_guest_addr(plan, i);
    /* locally administered (52:54:00 is QEMU's), 02:76 then the guest's IPv4
     * address: distinct addresses give distinct MACs, so runs that share a
     * bridge with separate guest_address ranges do not collide on either */
    {
        struct in_addr in;
        if (inet_pton(AF_INET, d->guest_addr, &in) != 1) {
            g_set_error(error, VEXP_ERROR, VEXP_ERROR_INPUT, "%s: cell %u: guest address '%s'",
                        matrix_path(m), i, d->guest_addr);
            return NULL;
        }
        const guint8 *b = (const guint8 *)&in.s_addr;
        d->mac = g_strdup_printf("02:76:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3]);
    }
    d->cmdline = g_strdup_printf("console=ttyS0 quiet %s=%s/%u", DOMAINS_GUEST_IP_ARG,
                                 d->guest_addr, plan->prefix);
    d->console_log = g_strdup_printf("%s/%s.log", console_dir, d->name);

    s->template_path = cell->template_path;
    s->name = d->name;
    s->nic = cell->nic;
    s->mac = d->mac;
    s->bridge = plan->bridge;
    s->tap = d->tap;
    s->vcpus = cell->vcpus;
    s->vcpu_pin = cell->vcpu_pin_cpusets; /* typed from the matrix on: no text between */
    s->emulator_pin = cell->emulator_cpuset;
    s->memory_mib = cell->memory_mib;
    s->accel = accel ? accel : cell->accel;
    s->machine = cell->machine;
    s->vhost = cell->vhost;
    s->queues = cell->queues;
    if (img) {
        s->kernel = img->kernel;
        s->initrd = img->initrd;
        s->image_id = img->kernel_release;
    } else {
        default_kernel = g_build_filename(image_default_dir(), "vmlinuz", NULL);
        default_initrd = g_build_filename(image_default_dir(), "initramfs.img", NULL);
        s->kernel = default_kernel;
        s->initrd = default_initrd;
    }
    s->cmdline = d->cmdline;
    s->console_log = d->console_log;

    if (!domains_render(s, &d->xml, &d->key, &d->canonical, &local)) {
        guint line = matrix_line_of(m, "domain", "template");
        if (!line)
            line = matrix_line_of(m, "matrix", "nic");
        g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                   "%s:%u: cell %u (%s): ", matrix_path(m), line, i, cell->label);
        return NULL;
    }
    /* the spec must not point into freed strings once returned */
    if (!img) {
        s->kernel = NULL;
        s->initrd = NULL;
    }
    return g_steal_pointer(&d);
}

char *vexp_host_config_key(void)
{
    return g_compute_checksum_for_string(G_CHECKSUM_SHA256, VEXP_HOST_CONFIG_XML, -1);
}

gboolean vexp_traffic_params(const vexp_matrix *m, traffic_params *ret_params, GError **error)
{
    const traffic_params *p = matrix_get_traffic_params(m);
    const char *msg = NULL;

    /* the matrix filled them and the engine checked them while loading */
    if (traffic_params_validate(p, &msg) < 0) {
        g_set_error(error, VEXP_ERROR, VEXP_ERROR_INPUT, "%s:%u: [traffic]: %s", matrix_path(m),
                    matrix_line_of(m, "traffic", NULL), msg);
        return FALSE;
    }
    *ret_params = *p;
    return TRUE;
}

guint vexp_cell_units(const vexp_matrix *m)
{
    const matrix_traffic *t = matrix_get_traffic(m);
    const matrix_experiment *e = matrix_get_experiment(m);
    guint dirs = 0;

    for (guint k = 0; k < t->n_directions; k++)
        dirs += !strcmp(t->directions[k], "both") ? 2 : 1;
    return MAX(1u, t->n_tests * t->n_frame_sizes * dirs * e->repetitions);
}
