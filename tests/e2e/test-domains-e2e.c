/* SPDX-License-Identifier: MIT */
/* End to end for domains/ around the guests (the boots per NIC model are in test-boot.c):
 * a second embedded-driver opener, the host peer and tap limits, the sweep of dead runs;
 * root (exit 77, skip, without). */
#include "vexp-config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "domains-priv.h"
#include "tests-common.h"

static char *state_dir;
static char *tag;
static domains_net *net;

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
    Suite *s;
    TCase *tc;
    SRunner *sr;
    int failed;

    if (geteuid() != 0) {
        fprintf(stderr, "skip: needs root\n");
        return 77;
    }
    state_dir = g_dir_make_tmp("vexp-t-XXXXXX", NULL);
    tag = g_strdup_printf("t-%ld", (long)getpid());

    s = suite_create("domains-e2e");
    tc = tcase_create("domains");
    tcase_set_timeout(tc, 180);
    tcase_add_unchecked_fixture(tc, net_setup, net_teardown);
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
    g_free(tag);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
