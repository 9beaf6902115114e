/* SPDX-License-Identifier: MIT */
/* End to end: boot the default guest per NIC model (the tap in the namespace on its bridge,
 * pinning, CPU time), check the driver, push the engine, run trials. */
/*
 * Root, real QEMU under the embedded libvirt driver, inside a network
 * namespace this test creates and removes.  The image comes from
 * $VEXP_IMAGE_DIR, else /var/cache/vexp/test-image, built there (once; later
 * runs reuse it) when it is missing.  The engine is the build's
 * traffic/vexp-traffic-static.  Accel: $VEXP_E2E_ACCEL, default tcg.
 */
#include "vexp-config.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domains-priv.h" /* domains_run */
#include "image.h"
#include "tests-common.h"
#include "sshlink.h"
#include "traffic.h"

#define BOOT_TIMEOUT_S 60
#define TRIAL_S 2.0
#define TRIAL_FPS 5000.0 /* frames/s: low enough for any model under TCG */

static char *state_dir;
static char *tag;
static char *engine;
static vexp_image *img;
static domains_net *net;

static const struct {
    const char *nic;
    const char *drivers; /* accepted /sys/class/net/eth0/device/driver names, ' '-separated */
} models[] = {
    {"virtio", "virtio_net"},
    {"e1000", "e1000"},
    {"rtl8139", "8139cp 8139too"},
    {"vmxnet3", "vmxnet3"},
};

/* unchecked fixture: runs in the parent, so the namespace goes even when a test crashes */
static void net_setup(void)
{
    g_autoptr(GError) error = NULL;

    net = domains_net_create(tag, &error);
    if (!net) {
        fprintf(stderr, "setup: %s\n", error->message);
        exit(EXIT_FAILURE);
    }
}

/* Domain definitions under dir (recursively) whose name starts with prefix. */
static unsigned count_prefixed(const char *dir, const char *prefix)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *ent;
    unsigned n = 0;

    while (d && (ent = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, ent, NULL);
        /* a definition left behind (console and QEMU logs may stay) */
        if (g_str_has_prefix(ent, prefix) && g_str_has_suffix(ent, ".xml")) {
            fprintf(stderr, "teardown: leftover '%s'\n", p);
            n++;
        }
        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
            n += count_prefixed(p, prefix);
    }
    return n;
}

/* A QEMU process whose command line names one of our domains. */
static unsigned count_qemu(const char *prefix)
{
    g_autoptr(GDir) d = g_dir_open("/proc", 0, NULL);
    const char *ent;
    unsigned n = 0;

    while (d && (ent = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename("/proc", ent, "cmdline", NULL);
        g_autofree char *cmd = NULL;
        gsize len = 0;
        if (!g_ascii_isdigit(*ent) || !g_file_get_contents(p, &cmd, &len, NULL))
            continue;
        for (gsize i = 0; i + 1 < len; i++) {
            if (cmd[i] == '\0')
                cmd[i] = ' ';
        }
        if (strstr(cmd, "qemu") && strstr(cmd, prefix)) {
            fprintf(stderr, "teardown: leftover QEMU %s: %.200s\n", ent, cmd);
            n++;
        }
    }
    return n;
}

static void net_teardown(void)
{
    g_autofree char *ns = g_build_filename("/run/netns", domains_net_name(net), NULL);
    g_autofree char *prefix = g_strdup_printf("vexp-b%ld-", (long)getpid());
    unsigned left = 0;

    domains_net_destroy(g_steal_pointer(&net));
    if (g_file_test(ns, G_FILE_TEST_EXISTS)) {
        fprintf(stderr, "teardown: namespace '%s' is still there\n", ns);
        left++;
    }
    left += count_qemu(prefix);
    left += count_prefixed(state_dir, prefix);
    if (left) {
        fprintf(stderr, "teardown: %u leftovers\n", left);
        exit(EXIT_FAILURE);
    }
}

static sshlink *guest_ssh(const char *addr, GError **error)
{
    sshlink_options o = {
        .host = addr,
        .port = 22,
        .user = "root",
        .identity = img->client_key,
        .host_key = img->host_key_pub,
        .timeout_ms = 15000,
    };
    return sshlink_connect(&o, error);
}

START_TEST(test_boot)
{
    const char *nic = models[_i].nic;
    g_autoptr(GError) error = NULL;
    g_autofree char *tpath = tests_source_path("examples/templates/tiny-guest.xml", NULL);
    g_autofree char *name = g_strdup_printf("vexp-b%ld-%s", (long)getppid(), nic);
    g_autofree char *addr = domains_net_guest_addr(net, (unsigned)_i);
    g_autofree char *tap = domains_net_tap_name(net, (unsigned)_i);
    g_autofree char *cmdline = g_strdup_printf("console=ttyS0 " DOMAINS_GUEST_IP_ARG "=%s/%u", addr,
                                               domains_net_prefix(net));
    g_autofree char *log = g_strdup_printf("%s/%s.console", state_dir, name);
    g_autofree char *xml = NULL;
    g_autofree char *driver = NULL;
    g_autoptr(domains_conn) conn = NULL;
    g_autoptr(domains_guest) guest = NULL;
    g_autoptr(sshlink) ssh = NULL;
    domains_spec spec = {
        .template_path = tpath,
        .name = name,
        .nic = nic,
        .bridge = domains_net_bridge(net),
        .tap = tap,
        .vcpus = 1,
        .vcpu_pin = (const char *const[]){"1", NULL},
        .emulator_pin = "0",
        .memory_mib = 256,
        /* this machine's /dev/kvm (kvm-pvm) does not run Debian's stock kernel */
        .accel = g_getenv("VEXP_E2E_ACCEL") ? g_getenv("VEXP_E2E_ACCEL") : "tcg",
        .kernel = img->kernel,
        .initrd = img->initrd,
        .cmdline = cmdline,
        .console_log = log,
    };

    /* before any thread: the namespace belongs to the thread */
    ck_assert_msg(domains_net_enter(net, &error), "%s", error ? error->message : "");
    conn = domains_connect("qemu:///embed", state_dir, &error);
    ck_assert_msg(conn, "%s", error ? error->message : "");
    ck_assert_msg(domains_render(&spec, &xml, NULL, NULL, &error), "%s", error->message);

    gint64 t0 = g_get_monotonic_time();
    guint64 cpu0 = 0, cpu1 = 0;
    guest = domains_guest_start(conn, xml, &error);
    ck_assert_msg(guest, "%s", error ? error->message : "");
    ck_assert(domains_guest_cpu_time(guest, &cpu0, &error));
    ck_assert_msg(domains_guest_wait_ssh(guest, addr, 22, BOOT_TIMEOUT_S, log, &error), "%s",
                  error->message);
    gint64 t_ssh = g_get_monotonic_time();
    ck_assert_msg(domains_guest_check_pinning(guest, &spec, &error), "%s", error->message);
    ck_assert(domains_guest_cpu_time(guest, &cpu1, &error));
    ck_assert_uint_gt(cpu1, cpu0);

    /* libvirt made the tap inside the namespace and enslaved it to the bridge */
    {
        const char *argv[] = {"ip", "-n", domains_net_name(net), "-o", "link", "show", tap, NULL};
        g_autofree char *link = NULL;

        ck_assert_msg(domains_run(argv, &link, &error), "%s", error ? error->message : "");
        ck_assert_msg(strstr(link, "master br0") != NULL, "%s", link);
    }
    /* /sys is still the root namespace's mount: nothing may appear there */
    {
        g_autofree char *root_dev = g_build_filename("/sys/class/net", tap, NULL);

        ck_assert_msg(!g_file_test(root_dev, G_FILE_TEST_EXISTS),
                      "tap '%s' appeared in the root namespace", tap);
    }

    ssh = guest_ssh(addr, &error);
    ck_assert_msg(ssh, "%s", error ? error->message : "");
    ck_assert_str_eq(sshlink_host_fingerprint(ssh), img->host_key_fingerprint);
    ck_assert_msg(sshlink_run(ssh, "basename \"$(readlink /sys/class/net/eth0/device/driver)\"", 0,
                              &driver, &error),
                  "%s", error ? error->message : "");
    g_strstrip(driver);
    g_auto(GStrv) accepted = g_strsplit(models[_i].drivers, " ", -1);
    ck_assert_msg(g_strv_contains((const char *const *)accepted, driver),
                  "%s: guest bound '%s', expected one of '%s'", nic, driver, models[_i].drivers);

    gint64 t_push = g_get_monotonic_time();
    ck_assert_msg(sshlink_push(ssh, engine, "/tmp/vexp-traffic", 0755, &error), "%s",
                  error->message);
    double push_s = (g_get_monotonic_time() - t_push) / 1e6;
    traffic_conn *agent = sshlink_start_agent(ssh, "/tmp/vexp-traffic agent", &error);
    ck_assert_msg(agent, "%s", error ? error->message : "");
    traffic_agent_info info;
    int r = traffic_conn_hello(agent, 10000, &info);
    ck_assert_msg(r == 0, "hello: %s; agent stderr: %s", g_strerror(-r), sshlink_agent_stderr(ssh));
    ck_assert_str_eq(info.kernel, img->kernel_release);

    traffic_params p;
    traffic_params_init(&p);
    p.tests = TRAFFIC_TEST_FIXED;
    p.trial_s = TRIAL_S;
    p.rate_fps = TRIAL_FPS;
    p.straggler_s = 0.5;
    g_strlcpy(p.dut_addr, addr, sizeof(p.dut_addr));
    g_strlcpy(p.tester_addr, domains_net_tester_addr(net), sizeof(p.tester_addr));
    uint64_t rx[2] = {0, 0};
    for (unsigned d = 0; d < 2; d++) {
        enum traffic_direction dir = d == 0 ? TRAFFIC_DIR_IN : TRAFFIC_DIR_OUT;
        traffic_result res;
        r = traffic_fixed(agent, &p, dir, 64, 1, NULL, &res);
        ck_assert_msg(r == 0, "%s fixed %s: %s (%s); agent stderr: %s", nic,
                      traffic_direction_name(dir), g_strerror(-r), traffic_conn_last_error(agent),
                      sshlink_agent_stderr(ssh));
        ck_assert_msg(res.rx > 0, "%s fixed %s: tx %" G_GUINT64_FORMAT ", nothing received", nic,
                      traffic_direction_name(dir), res.tx);
        rx[d] = res.rx;
    }
    traffic_conn_free(agent);
    fprintf(stderr,
            "e2e boot: %s (%s) driver %s, SSH after %.1f s, push %.2f s, "
            "fixed 64 B %.0f fps: rx in %" G_GUINT64_FORMAT " out %" G_GUINT64_FORMAT "\n",
            nic, domains_resolve_accel(spec.accel, NULL), driver, (t_ssh - t0) / 1e6, push_s,
            TRIAL_FPS, rx[0], rx[1]);
}
END_TEST

/* The image: $VEXP_IMAGE_DIR, else a stable cache built once. */
static vexp_image *ensure_image(GError **error)
{
    const char *env = g_getenv("VEXP_IMAGE_DIR");
    const char *dir = env && *env ? env : "/var/cache/vexp/test-image";
    g_autofree char *kernel = g_build_filename(dir, "vmlinuz", NULL);
    g_autofree char *manifest = g_build_filename(dir, "manifest", NULL);

    if (!g_file_test(kernel, G_FILE_TEST_EXISTS) || !g_file_test(manifest, G_FILE_TEST_EXISTS)) {
        g_autofree char *summary = NULL;
        fprintf(stderr, "building the guest image in '%s'\n", dir);
        if (!image_build(dir, NULL, &summary, error))
            return NULL;
        fprintf(stderr, "%s\n", summary);
    }
    return image_load(dir, error);
}

int main(void)
{
    g_autoptr(GError) error = NULL;
    const char *build = g_getenv("VEXP_BUILD_ROOT");

    if (geteuid() != 0) {
        fprintf(stderr, "skip: needs root\n");
        return 77;
    }
    engine =
        g_build_filename(build ? build : VEXP_BUILD_ROOT, "traffic", "vexp-traffic-static", NULL);
    if (!g_file_test(engine, G_FILE_TEST_IS_EXECUTABLE)) {
        fprintf(stderr, "skip: '%s' is not built\n", engine);
        return 77;
    }
    img = ensure_image(&error);
    if (!img) {
        fprintf(stderr, "cannot get the guest image: %s\n", error->message);
        return EXIT_FAILURE;
    }
    state_dir = g_dir_make_tmp("vexp-tb-XXXXXX", NULL);
    tag = g_strdup_printf("tb-%ld", (long)getpid());

    Suite *s = suite_create("boot-e2e");
    TCase *tc = tcase_create("nic");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, net_setup, net_teardown);
    tcase_add_loop_test(tc, test_boot, 0, G_N_ELEMENTS(models));
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK); /* each test enters the namespace in its own child */
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);

    const char *argv[] = {"rm", "-rf", "--", state_dir, NULL};
    g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
                 NULL);
    g_free(state_dir);
    g_free(tag);
    g_free(engine);
    image_free(img);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
