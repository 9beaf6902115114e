/* SPDX-License-Identifier: MIT */
/* End to end for domains/: the default guest under the embedded QEMU driver inside a
 * network namespace, one boot per NIC model; root, real QEMU, the image from
 * $VEXP_IMAGE_DIR or domains_image_default_dir() (vmlinuz + initramfs.img).
 * Exit 77 (skip) without them. */
#include "vexp-config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "domains-priv.h"
#include "tests-common.h"

static char *image_dir;
static char *state_dir;
static char *tag;
static domains_net *net;

static const char *const nics[] = {"virtio", "e1000", "rtl8139", "vmxnet3"};

/* unchecked fixture: runs in the parent, so the namespace goes even if a test crashes */
static void net_setup(void)
{
    g_autoptr(GError) error = NULL;

    net = domains_net_create(tag, &error);
    if (net == NULL) {
        fprintf(stderr, "setup: %s\n", error->message);
        exit(EXIT_FAILURE);
    }
}

static void net_teardown(void)
{
    g_autofree char *path = g_build_filename("/run/netns", domains_net_name(net), NULL);

    domains_net_destroy(g_steal_pointer(&net));
    if (g_file_test(path, G_FILE_TEST_EXISTS))
        fprintf(stderr, "teardown: namespace '%s' is still there\n", path);
}

static char *run_out(const char *const *argv)
{
    g_autoptr(GError) error = NULL;
    char *out = NULL;

    ck_assert_msg(domains_run(argv, &out, &error), "%s", error ? error->message : "");
    return out;
}

START_TEST(test_boot_nic)
{
    const char *nic = nics[_i];
    g_autoptr(GError) error = NULL;
    g_autofree char *tpath = tests_source_path("examples/templates/tiny-guest.xml", NULL);
    g_autofree char *kernel = g_build_filename(image_dir, "vmlinuz", NULL);
    g_autofree char *initrd = g_build_filename(image_dir, "initramfs.img", NULL);
    g_autofree char *name = g_strdup_printf("vexp-t-%s", nic);
    g_autofree char *addr = domains_net_guest_addr(net, (unsigned)_i);
    g_autofree char *tap = domains_net_tap_name(net, (unsigned)_i);
    g_autofree char *cmdline = g_strdup_printf("console=ttyS0 " DOMAINS_GUEST_IP_ARG "=%s/%u", addr,
                                               domains_net_prefix(net));
    g_autofree char *log = g_strdup_printf("%s/%s.console", state_dir, name);
    g_autofree char *xml = NULL;
    g_autofree char *link = NULL;
    g_autofree char *lib = NULL, *qemu = NULL;
    g_autoptr(domains_conn) conn = NULL;
    domains_guest *g;
    guint64 t0 = 0, t1 = 0;
    gint64 start;
    domains_spec spec = {
        .template_path = tpath,
        .name = name,
        .nic = nic,
        .bridge = domains_net_bridge(net),
        .tap = tap,
        .vcpus = 1,
        .vcpu_pin = "1",
        .emulator_pin = "0",
        .memory_mib = 256,
        /* tcg by default: on this CI machine /dev/kvm answers but guests hang right
         * after the kernel's real-mode setup ("Probing EDD") under KVM */
        .accel = g_getenv("VEXP_E2E_ACCEL") ? g_getenv("VEXP_E2E_ACCEL") : "tcg",
        .kernel = kernel,
        .initrd = initrd,
        .cmdline = cmdline,
        .console_log = log,
    };

    ck_assert_msg(domains_net_enter(net, &error), "%s", error ? error->message : "");
    conn = domains_connect("qemu:///embed", state_dir, &error);
    ck_assert_msg(conn != NULL, "%s", error ? error->message : "");
    ck_assert(domains_conn_versions(conn, &lib, &qemu, NULL, &error));
    ck_assert_msg(domains_render(&spec, &xml, NULL, NULL, &error), "%s", error->message);

    start = g_get_monotonic_time();
    g = domains_guest_start(conn, xml, &error);
    ck_assert_msg(g != NULL, "%s", error ? error->message : "");
    ck_assert(domains_guest_cpu_time(g, &t0, &error));
    if (!domains_guest_wait_ssh(g, addr, 22, 60, log, &error)) {
        domains_guest_destroy(g);
        ck_abort_msg("%s", error->message);
    }
    fprintf(stderr, "e2e: %s (%s, libvirt %s, QEMU %s): SSH after %.1f s\n", nic,
            domains_resolve_accel(spec.accel, NULL), lib, qemu,
            (double)(g_get_monotonic_time() - start) / 1e6);
    ck_assert_msg(domains_guest_check_pinning(g, &spec, &error), "%s", error->message);
    ck_assert(domains_guest_cpu_time(g, &t1, &error));
    ck_assert_uint_gt(t1, t0);

    /* libvirt made the tap inside the namespace and enslaved it to the bridge */
    {
        const char *argv[] = {"ip", "-n", domains_net_name(net), "-o", "link", "show", tap, NULL};

        link = run_out(argv);
        ck_assert_msg(strstr(link, "master br0") != NULL, "%s", link);
    }
    /* /sys is still the root namespace's mount: nothing may appear there */
    {
        g_autofree char *root_dev = g_build_filename("/sys/class/net", tap, NULL);

        ck_assert_msg(!g_file_test(root_dev, G_FILE_TEST_EXISTS),
                      "tap '%s' appeared in the root namespace", tap);
    }
    domains_guest_destroy(g);
}
END_TEST

START_TEST(test_root_busy)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(domains_conn) a = NULL;
    g_autoptr(domains_conn) b = NULL;
    g_autofree char *root = g_build_filename(state_dir, "libvirt", NULL);
    g_autofree char *want = g_strdup_printf("libvirt root '%s' is in use by another process", root);

    ck_assert_msg(domains_net_enter(net, &error), "%s", error ? error->message : "");
    a = domains_connect("qemu:///embed", state_dir, &error);
    ck_assert_msg(a != NULL, "%s", error ? error->message : "");
    b = domains_connect("qemu:///embed", state_dir, &error);
    ck_assert_ptr_null(b);
    ck_assert_int_eq(error->code, DOMAINS_ERROR_BUSY);
    ck_assert_msg(g_str_has_prefix(error->message, want), "%s", error->message);
}
END_TEST

START_TEST(test_host_peer_and_limit)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *peer = NULL;
    g_autofree char *addr = NULL;
    g_autofree char *out = NULL;
    g_autofree char *qdisc = NULL;

    ck_assert_msg(domains_net_add_host_peer(net, &peer, &addr, &error), "%s", error->message);
    ck_assert_str_eq(addr, "198.18.0.2");
    {
        const char *argv[] = {"ip", "-n", peer, "-o", "addr", "show", "dev", "vxh1", NULL};

        out = run_out(argv);
        ck_assert_msg(strstr(out, "198.18.0.2/15") != NULL, "%s", out);
    }
    ck_assert_msg(domains_net_limit(net, "vxh0", 100000000, &error), "%s", error->message);
    {
        const char *argv[] = {"tc",   "-n", domains_net_name(net), "qdisc", "show", "dev",
                              "vxh0", NULL};

        qdisc = run_out(argv);
        ck_assert_msg(strstr(qdisc, "tbf") != NULL && strstr(qdisc, "100Mbit") != NULL, "%s",
                      qdisc);
    }
    ck_assert(domains_net_limit(net, "vxh0", 0, &error));
}
END_TEST

START_TEST(test_sweep)
{
    g_autofree char *t = g_strdup_printf("%s-sw", tag);
    g_autofree char *ns = g_strdup_printf("/run/netns/vexp-%s", t);
    g_autoptr(GError) error = NULL;
    guint removed = 0;
    pid_t pid;
    int status;

    /* a run that dies without cleaning up */
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        domains_net *n = domains_net_create(t, NULL);

        _exit(n != NULL ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert(g_file_test(ns, G_FILE_TEST_EXISTS));
    ck_assert(domains_net_sweep(&removed, &error));
    ck_assert_uint_ge(removed, 1);
    ck_assert(!g_file_test(ns, G_FILE_TEST_EXISTS));
    /* the live run's namespace stays */
    ck_assert(g_file_test("/run/netns", G_FILE_TEST_IS_DIR));
    {
        g_autofree char *mine = g_build_filename("/run/netns", domains_net_name(net), NULL);

        ck_assert(g_file_test(mine, G_FILE_TEST_EXISTS));
    }
}
END_TEST

int main(void)
{
    /* the image of `vexp image build`, or another one */
    const char *dir =
        g_getenv("VEXP_IMAGE_DIR") ? g_getenv("VEXP_IMAGE_DIR") : domains_image_default_dir();
    g_autofree char *kernel = NULL;
    Suite *s;
    TCase *tc;
    SRunner *sr;
    int failed;

    kernel = dir ? g_build_filename(dir, "vmlinuz", NULL) : NULL;
    if (geteuid() != 0 || kernel == NULL || !g_file_test(kernel, G_FILE_TEST_EXISTS)) {
        fprintf(stderr,
                "skip: needs root and vmlinuz + initramfs.img in '%s' "
                "(vexp image build, or set VEXP_IMAGE_DIR)\n",
                dir ? dir : "");
        return 77;
    }
    image_dir = g_strdup(dir);
    state_dir = g_dir_make_tmp("vexp-t-XXXXXX", NULL);
    tag = g_strdup_printf("t-%ld", (long)getpid());

    s = suite_create("domains-e2e");
    tc = tcase_create("boot");
    tcase_set_timeout(tc, 180);
    tcase_add_unchecked_fixture(tc, net_setup, net_teardown);
    tcase_add_loop_test(tc, test_boot_nic, 0, G_N_ELEMENTS(nics));
    tcase_add_test(tc, test_root_busy);
    tcase_add_test(tc, test_host_peer_and_limit);
    tcase_add_test(tc, test_sweep);
    suite_add_tcase(s, tc);

    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK); /* each test enters the namespace in its own child */
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    {
        const char *argv[] = {"rm", "-rf", "--", state_dir, NULL};

        domains_run(argv, NULL, NULL);
    }
    g_free(state_dir);
    g_free(image_dir);
    g_free(tag);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
