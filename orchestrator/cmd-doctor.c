/* SPDX-License-Identifier: MIT */
/* vexp doctor: what is present and what is missing, with the fix for each. */
#include "vexp-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cells.h"
#include "domains-host.h"
#include "domains-lifecycle.h"
#include "domains-net.h"
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

static int cmd_doctor(int argc, char **argv)
{
    g_autofree char *uri_opt = NULL, *image_dir = NULL;
    gboolean do_clean = FALSE;
    GOptionEntry entries[] = {
        {"uri", 0, 0, G_OPTION_ARG_STRING, &uri_opt, "libvirt URI to try (default qemu:///embed)",
         "URI"},
        {"image", 0, 0, G_OPTION_ARG_FILENAME, &image_dir, "Guest image directory", "DIR"},
        {"clean", 0, 0, G_OPTION_ARG_NONE, &do_clean,
         "List and remove what dead runs left: network namespaces, domains 'vexp-PID-N' "
         "whose vexp is gone (on --uri)",
         NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("");
    g_autoptr(GError) error = NULL;
    tally t = {0};
    gboolean kvm_runs = FALSE;
    int rc;

    g_option_context_set_summary(ctx, "Check what vexp needs on this machine.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if ((rc = vexp_parse_options(ctx, &argc, &argv)) >= 0)
        return rc;
    if (do_clean)
        return clean(uri_opt ? uri_opt : "qemu:///embed");

    /* accelerator: /dev/kvm answering is not enough, a guest must boot (the probe) */
    {
        const char *accel = domains_resolve_accel("auto", NULL);
        gboolean kvm = !g_strcmp0(accel, "kvm");
        g_autoptr(vexp_image) img = image_load(image_dir ? image_dir : image_default_dir(), NULL);
        g_autofree char *detail = NULL;
        if (kvm && img && !domains_accel_probe(img->kernel, vexp_state_dir(), &detail)) {
            g_autofree char *d = g_strdup_printf(
                "/dev/kvm is present but %s: accel = auto uses TCG (software emulation)", detail);
            kvm = FALSE;
            item(&t, TRUE, "accelerator", d, NULL);
        } else {
            item(&t, TRUE, "accelerator",
                 kvm ? (img ? "KVM runs guests: domains run with KVM"
                            : "/dev/kvm usable (not yet checked with a guest: build the image)")
                     : "no usable /dev/kvm: domains run under TCG (software emulation; "
                       "figures are labelled as such)",
                 NULL);
        }
        kvm_runs = kvm;
    }
    /* vhost-net, and what the KVM-only axes may take here */
    {
        g_autofree char *detail = NULL;
        gboolean vhost = domains_vhost_available(&detail);

        if (vhost)
            item(&t, TRUE, "vhost-net", detail, NULL);
        else
            optional(&t, "vhost-net", detail,
                     "modprobe vhost_net (used with KVM only, by matrices with vhost = on)");
        if (kvm_runs && vhost)
            item(&t, TRUE, "KVM-only axes", "vhost = on, off; queues = 1..256 (nic = virtio)",
                 NULL);
        else if (kvm_runs)
            optional(&t, "KVM-only axes",
                     "vhost = off, queues = 1..256 (nic = virtio); vhost = on unusable: "
                     "no vhost-net",
                     "modprobe vhost_net");
        else
            optional(&t, "KVM-only axes",
                     "vhost = on unusable: no KVM here (vhost = off and queues run under "
                     "TCG, measuring QEMU's emulation)",
                     "a host whose KVM runs guests, or a remote libvirt URI on one");
    }
    /* QEMU and its NIC models */
    {
        g_auto(GStrv) models = NULL;
        g_autoptr(GError) e = NULL;
        if (domains_nic_models(NULL, &models, &e)) {
            g_autofree char *list = g_strjoinv(", ", models);
            item(&t, TRUE, "QEMU NIC models", list, NULL);
            for (const char *const *want =
                     (const char *const[]){"virtio", "e1000", "rtl8139", "vmxnet3", NULL};
                 *want; want++) {
                if (!g_strv_contains((const char *const *)models, *want)) {
                    g_autofree char *d = g_strdup_printf("QEMU lacks NIC model '%s'", *want);
                    item(&t, FALSE, "NIC model", d, "apt-get install qemu-system-x86");
                }
            }
        } else {
            item(&t, FALSE, "QEMU", e->message, "apt-get install qemu-system-x86");
        }
    }
    /* tun, namespaces, tools */
    {
        int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        item(&t, fd >= 0, "/dev/net/tun", fd >= 0 ? "present" : g_strerror(errno),
             "modprobe tun (the kernel needs CONFIG_TUN)");
        if (fd >= 0)
            close(fd);
    }
    item(&t, geteuid() == 0, "root", geteuid() == 0 ? "yes" : "not root",
         "run vexp as root (namespaces, taps and the embedded QEMU driver need it)");
    item(&t, have_program("ip"), "iproute2 (ip)", have_program("ip") ? "present" : "missing",
         "apt-get install iproute2");
    item(&t, g_file_test("/proc/self/ns/net", G_FILE_TEST_EXISTS), "network namespaces",
         "/proc/self/ns/net", "a kernel with CONFIG_NET_NS");
    item(&t, have_program("tc"), "tc (for shaping tests)",
         have_program("tc") ? "present" : "missing", "apt-get install iproute2");
    /* libvirt-qemu user needed by the QEMU driver */
    {
        gboolean ok = g_file_test("/etc/passwd", G_FILE_TEST_EXISTS);
        g_autofree char *pw = NULL;
        if (ok && g_file_get_contents("/etc/passwd", &pw, NULL, NULL))
            ok = strstr(pw, "\nlibvirt-qemu:") != NULL || g_str_has_prefix(pw, "libvirt-qemu:");
        item(&t, ok, "user libvirt-qemu",
             ok ? "present" : "missing (libvirt looks it up before reading qemu.conf)",
             "scripts/setup.sh creates it (useradd --system libvirt-qemu)");
    }
    /* the guest image */
    {
        g_autoptr(GError) e = NULL;
        const char *dir = image_dir ? image_dir : image_default_dir();
        g_autoptr(vexp_image) img = image_load(dir, &e);
        g_autofree char *d = img ? g_strdup_printf("%s (kernel %s, host key %s)", dir,
                                                   img->kernel_release, img->host_key_fingerprint)
                                 : g_strdup(e->message);
        item(&t, img != NULL, "guest image", d, "vexp image build");
    }
    /* the libvirt URI: only a remote or system URI is opened here; the embedded
     * driver is opened by 'vexp run' inside its namespace */
    {
        const char *uri = uri_opt ? uri_opt : "qemu:///embed";
        if (g_str_has_prefix(uri, "qemu:///embed")) {
            g_autofree char *d =
                g_strdup_printf("%s (in-process; state in %s)", uri, vexp_state_dir());
            gboolean ok = have_program("qemu-system-x86_64");
            item(&t, ok, "libvirt URI", d,
                 "apt-get install libvirt-daemon-driver-qemu qemu-system-x86");
        } else {
            g_autoptr(GError) e = NULL;
            g_autoptr(domains_conn) c = domains_connect(uri, vexp_state_dir(), &e);
            g_autofree char *lv = NULL, *qv = NULL, *host = NULL;
            if (c)
                domains_conn_versions(c, &lv, &qv, &host, NULL);
            g_autofree char *d =
                c ? g_strdup_printf("%s: libvirt %s, QEMU %s on %s", uri, lv ? lv : "?",
                                    qv ? qv : "?", host ? host : "?")
                  : g_strdup(e->message);
            item(&t, c != NULL, "libvirt URI", d,
                 "check the URI; for qemu:///system start libvirtd (and virtlogd)");
            /* a remote hypervisor has its own KVM: this host's says nothing about it */
            if (c && domains_conn_is_remote(c)) {
                const char *ra = domains_conn_resolve_accel(c, "auto", NULL);
                g_autofree char *rd = NULL;

                if (!g_strcmp0(ra, "kvm")) {
                    rd = g_strdup_printf("%s offers KVM: accel = auto resolves to kvm there "
                                         "(its vhost-net is not checked from here)",
                                         host ? host : uri);
                    item(&t, TRUE, "remote accelerator", rd, NULL);
                } else {
                    rd = g_strdup_printf("%s offers no KVM: accel = auto resolves to tcg there, "
                                         "vhost = on cannot run",
                                         host ? host : uri);
                    optional(&t, "remote accelerator", rd, "KVM on that host");
                }
            }
        }
    }
    if (t.optional)
        printf("\n%u ok, %u missing, %u optional not available\n", t.ok, t.missing, t.optional);
    else
        printf("\n%u ok, %u missing\n", t.ok, t.missing);
    return t.missing ? VEXP_EXIT_ENV : VEXP_EXIT_OK;
}

const vexp_cmd vexp_cmd_doctor = {"doctor", cmd_doctor,
                                  "check what vexp needs here, with the fix for each"};
