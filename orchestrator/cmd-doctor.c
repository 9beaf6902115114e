/* SPDX-License-Identifier: MIT */
/* vexp doctor: what is present and what is missing, with the fix for each. */
#include "vexp-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cells.h"
#include "common.h"
#include "domains-host.h"
#include "domains-lifecycle.h"
#include "domains-net.h"
#include "hostfit.h"
#include "image.h"
#include "vexp.h"

typedef struct {
    guint ok, missing, optional; /* optional: absent but only some axes need it */
} tally;

static void item(tally *t, gboolean ok, const char *what, const char *detail, const char *fix)
{
    if (ok)
        t->ok++;
    else
        t->missing++;
    printf("[%s] %-22s %s\n", ok ? " ok " : "MISS", what, detail ? detail : "");
    if (!ok && fix)
        printf("       fix: %s\n", fix);
}

/* Something only some matrices need: reported, never a reason to fail. */
static void optional(tally *t, const char *what, const char *detail, const char *fix)
{
    t->optional++;
    printf("[ -- ] %-22s %s\n", what, detail ? detail : "");
    if (fix)
        printf("       to use it: %s\n", fix);
}

static gboolean have_program(const char *name)
{
    g_autofree char *p = g_find_program_in_path(name);
    return p != NULL;
}

/* --clean: what dead runs left here (namespaces, domains) is listed and removed */
static int clean(const char *uri)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(domains_conn) c = NULL;
    g_autoptr(GPtrArray) found = NULL;
    guint removed = 0;

    if (!domains_net_sweep(&removed, &error))
        return vexp_report_error(error);
    printf("namespaces of dead runs removed: %u\n", removed);
    if (!(c = domains_connect(uri, vexp_state_dir(), &error)) ||
        !domains_conn_clean(c, TRUE, &found, &error))
        return vexp_report_error(error);
    for (guint i = 0; i < found->len; i++)
        printf("removed domain %s on %s\n", (const char *)found->pdata[i], uri);
    printf("domains of dead runs removed on %s: %u\n", uri, found->len);
    return VEXP_EXIT_OK;
}

/* The accelerator: /dev/kvm answering is not enough, a guest must boot (the probe).
 * Returns whether KVM runs guests here. */
static gboolean check_accel(tally *t, const char *image_dir)
{
    g_autoptr(vexp_image) img = image_load(image_dir, NULL);
    g_autofree char *why = NULL, *d = NULL;
    gboolean kvm = domains_kvm_check(&why);

    if (kvm && img && !domains_accel_probe(img->kernel, vexp_state_dir(), &why)) {
        d = g_strdup_printf("%s: accel = auto uses TCG (software emulation)", why);
        kvm = FALSE;
    } else if (kvm) {
        d = g_strdup(img ? "KVM runs guests: domains run with KVM"
                         : "/dev/kvm usable (not yet checked with a guest: build the image)");
    } else {
        d = g_strdup_printf("domains run under TCG (software emulation; figures are labelled "
                            "as such): %s",
                            why);
    }
    /* never missing by itself: a matrix with accel = kvm is held to it by check_matrix() */
    item(t, TRUE, "accelerator", d, NULL);
    return kvm;
}

/* vhost-net, and what the KVM-only axes may take here */
static void check_vhost(tally *t, gboolean kvm_runs, gboolean vhost_needed)
{
    g_autofree char *detail = NULL;
    gboolean vhost = domains_vhost_available(&detail);

    if (vhost)
        item(t, TRUE, "vhost-net", detail, NULL);
    else if (vhost_needed)
        item(t, FALSE, "vhost-net", detail, "modprobe vhost_net (the matrix has vhost = on)");
    else
        optional(t, "vhost-net", detail,
                 "modprobe vhost_net (used with KVM only, by matrices with vhost = on)");
    if (kvm_runs && vhost)
        item(t, TRUE, "KVM-only axes", "vhost = on, off; queues = 1..256 (nic = virtio)", NULL);
    else if (kvm_runs)
        optional(t, "KVM-only axes",
                 "vhost = off, queues = 1..256 (nic = virtio); vhost = on unusable: no vhost-net",
                 "modprobe vhost_net");
    else
        optional(t, "KVM-only axes",
                 "vhost = on unusable: no KVM here (vhost = off and queues run under "
                 "TCG, measuring QEMU's emulation)",
                 "a host whose KVM runs guests, or a remote libvirt URI on one");
}

/* QEMU and its NIC models */
static void check_qemu(tally *t)
{
    g_auto(GStrv) models = NULL;
    g_autoptr(GError) e = NULL;
    static const char *const want[] = {"virtio", "e1000", "rtl8139", "vmxnet3", NULL};

    if (!domains_nic_models(NULL, &models, &e)) {
        item(t, FALSE, "QEMU", e->message, "apt-get install qemu-system-x86");
        return;
    }
    {
        g_autofree char *list = g_strjoinv(", ", models);
        item(t, TRUE, "QEMU NIC models", list, NULL);
    }
    for (const char *const *w = want; *w; w++) {
        if (!g_strv_contains((const char *const *)models, *w)) {
            g_autofree char *d = g_strdup_printf("QEMU lacks NIC model '%s'", *w);
            item(t, FALSE, "NIC model", d, "apt-get install qemu-system-x86");
        }
    }
}

/* tun, root, namespaces, tools, the user the QEMU driver looks up */
static void check_system(tally *t)
{
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    g_autofree char *pw = NULL;
    gboolean ok;

    item(t, fd >= 0, "/dev/net/tun", fd >= 0 ? "present" : g_strerror(errno),
         "modprobe tun (the kernel needs CONFIG_TUN)");
    if (fd >= 0)
        close(fd);
    item(t, geteuid() == 0, "root", geteuid() == 0 ? "yes" : "not root",
         "run vexp as root (namespaces, taps and the embedded QEMU driver need it)");
    item(t, have_program("ip"), "iproute2 (ip)", have_program("ip") ? "present" : "missing",
         "apt-get install iproute2");
    item(t, g_file_test("/proc/self/ns/net", G_FILE_TEST_EXISTS), "network namespaces",
         "/proc/self/ns/net", "a kernel with CONFIG_NET_NS");
    item(t, have_program("tc"), "tc (for shaping tests)",
         have_program("tc") ? "present" : "missing", "apt-get install iproute2");
    ok = g_file_get_contents("/etc/passwd", &pw, NULL, NULL) &&
         (strstr(pw, "\nlibvirt-qemu:") != NULL || g_str_has_prefix(pw, "libvirt-qemu:"));
    item(t, ok, "user libvirt-qemu",
         ok ? "present" : "missing (libvirt looks it up before reading qemu.conf)",
         "scripts/setup.sh creates it (useradd --system libvirt-qemu)");
}

static void check_image(tally *t, const char *dir)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(vexp_image) img = image_load(dir, &e);
    g_autofree char *d = img ? g_strdup_printf("%s (kernel %s, host key %s)", dir,
                                               img->kernel_release, img->host_key_fingerprint)
                             : g_strdup(e->message);

    item(t, img != NULL, "guest image", d, "vexp image build");
}

/* a remote hypervisor has its own KVM: this host's says nothing about it */
static void check_remote_accel(tally *t, domains_conn *c, const char *uri, const char *host)
{
    const char *ra = domains_conn_resolve_accel(c, "auto", NULL);
    g_autofree char *rd = NULL;

    if (!g_strcmp0(ra, "kvm")) {
        rd = g_strdup_printf("%s offers KVM: accel = auto resolves to kvm there "
                             "(its vhost-net is not checked from here)",
                             host ? host : uri);
        item(t, TRUE, "remote accelerator", rd, NULL);
    } else {
        rd = g_strdup_printf("%s offers no KVM: accel = auto resolves to tcg there, "
                             "vhost = on cannot run",
                             host ? host : uri);
        optional(t, "remote accelerator", rd, "KVM on that host");
    }
}

/* The libvirt URI: only a remote or system URI is opened here; the embedded
 * driver is opened by 'vexp run' inside its namespace. */
static void check_uri(tally *t, const char *uri)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(domains_conn) c = NULL;
    g_autofree char *lv = NULL, *qv = NULL, *host = NULL, *d = NULL;

    if (g_str_has_prefix(uri, "qemu:///embed")) {
        d = g_strdup_printf("%s (in-process; state in %s)", uri, vexp_state_dir());
        item(t, have_program("qemu-system-x86_64"), "libvirt URI", d,
             "apt-get install libvirt-daemon-driver-qemu qemu-system-x86");
        return;
    }
    c = domains_connect(uri, vexp_state_dir(), &e);
    if (c)
        domains_conn_versions(c, &lv, &qv, &host, NULL);
    d = c ? g_strdup_printf("%s: libvirt %s, QEMU %s on %s", uri, lv ? lv : "?", qv ? qv : "?",
                            host ? host : "?")
          : g_strdup(e->message);
    item(t, c != NULL, "libvirt URI", d,
         "check the URI; for qemu:///system start libvirtd (and virtlogd)");
    if (c && domains_conn_is_remote(c))
        check_remote_accel(t, c, uri, host);
}

/* What the matrix asks of this host (vexp_host_check(), as vexp render checks
 * it).  Returns the first finding's exit status, VEXP_EXIT_OK when it fits. */
static int check_matrix(tally *t, const vexp_matrix *m)
{
    g_autoptr(domains_host) host = domains_host_probe();
    g_autoptr(GPtrArray) findings = vexp_host_check(m, host);
    g_autofree char *d = NULL;
    const GError *first;

    for (guint i = 0; i < findings->len; i++)
        item(t, FALSE, "matrix needs", ((const GError *)findings->pdata[i])->message,
             "change the matrix, or run it on a host that has this");
    if (findings->len > 0) {
        first = findings->pdata[0];
        return vexp_exit_status(first->domain, first->code);
    }
    if (vexp_host_runs_cells(m))
        d = g_strdup_printf("%s: %u cells; its pinned CPUs are among the %s online and its "
                            "memory within %" G_GUINT64_FORMAT " MiB",
                            matrix_path(m), matrix_cell_count(m), domains_host_cpus(host),
                            domains_host_memory_mib(host));
    else
        d = g_strdup_printf("%s: %u cells, on remote hypervisors (vexp run checks pinning, "
                            "memory and accel against each)",
                            matrix_path(m), matrix_cell_count(m));
    item(t, TRUE, "matrix needs", d, NULL);
    return VEXP_EXIT_OK;
}

/* What in the matrix makes an optional item required here. */
static void matrix_wants(const vexp_matrix *m, gboolean *ret_vhost, gboolean *ret_image)
{
    gboolean here = vexp_host_runs_cells(m);

    *ret_vhost = FALSE;
    *ret_image = strcmp(matrix_get_network(m)->tester, "local") != 0;
    for (guint i = 0; i < matrix_cell_count(m); i++) {
        const matrix_cell *c = matrix_get_cell(m, i);

        if (c->is_host)
            continue;
        *ret_image = TRUE;
        *ret_vhost |= here && !g_strcmp0(c->vhost, "on");
    }
}

static int cmd_doctor(int argc, char **argv)
{
    g_autofree char *uri_opt = NULL, *image_dir = NULL;
    gboolean do_clean = FALSE;
    GOptionEntry entries[] = {
        {"uri", 0, 0, G_OPTION_ARG_STRING, &uri_opt,
         "libvirt URI to try (default: the matrix's, else qemu:///embed)", "URI"},
        {"image", 0, 0, G_OPTION_ARG_FILENAME, &image_dir, "Guest image directory", "DIR"},
        {"clean", 0, 0, G_OPTION_ARG_NONE, &do_clean,
         "List and remove what dead runs left: network namespaces, domains 'vexp-PID-N' "
         "whose vexp is gone (on --uri)",
         NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("[MATRIX]");
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_matrix) m = NULL;
    const char *const default_uris[] = {uri_opt ? uri_opt : "qemu:///embed", NULL};
    const char *const *uris = default_uris;
    gboolean want_vhost = FALSE, want_image = TRUE, kvm_runs;
    tally t = {0};
    int rc, matrix_rc = VEXP_EXIT_OK;

    g_option_context_set_summary(ctx, "Check what vexp needs on this machine; with MATRIX, "
                                      "also what that matrix asks of it (pinned CPUs, memory, "
                                      "KVM, vhost-net, its libvirt URIs).");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if ((rc = vexp_parse_options(ctx, &argc, &argv)) >= 0)
        return rc;
    if (do_clean)
        return clean(uri_opt ? uri_opt : "qemu:///embed");

    if (argc > 2) {
        fprintf(stderr, "vexp doctor: expected at most one MATRIX file\n");
        return VEXP_EXIT_USAGE;
    }
    if (argc == 2) {
        if (!(m = vexp_load_matrix(argv[1], &error)))
            return vexp_report_error(error);
        matrix_wants(m, &want_vhost, &want_image);
        if (!uri_opt)
            uris = matrix_get_experiment(m)->uris;
    }
    if (!image_dir)
        image_dir = g_strdup(image_default_dir());

    kvm_runs = check_accel(&t, image_dir);
    check_vhost(&t, kvm_runs, want_vhost);
    check_qemu(&t);
    check_system(&t);
    if (want_image)
        check_image(&t, image_dir);
    for (guint k = 0; uris[k]; k++)
        check_uri(&t, uris[k]);
    /* after check_accel(): the probe's verdict is the one the matrix is held to */
    if (m)
        matrix_rc = check_matrix(&t, m);

    if (t.optional)
        printf("\n%u ok, %u missing, %u optional not available\n", t.ok, t.missing, t.optional);
    else
        printf("\n%u ok, %u missing\n", t.ok, t.missing);
    if (matrix_rc != VEXP_EXIT_OK)
        return matrix_rc;
    return t.missing ? VEXP_EXIT_ENV : VEXP_EXIT_OK;
}

const vexp_cmd vexp_cmd_doctor = {"doctor", cmd_doctor,
                                  "check what vexp needs here, with the fix for each"};
