/* SPDX-License-Identifier: MIT */
/* Unit tests of orchestrator/matrix.c: good matrices and the malformed corpus in tests/data/matrix.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "domains-priv.h"
#include "hostfit.h"
#include "matrix.h"

static const char *const nics[] = {"virtio", "e1000", "rtl8139", "vmxnet3", NULL};

static char *data_path(const char *name)
{
    const char *dir = g_getenv("VEXP_MATRIX_DATA");
    g_autofree char *fallback = NULL;

    if (!dir) {
        const char *root = g_getenv("VEXP_SOURCE_ROOT");
        fallback = g_build_filename(root ? root : ".", "tests", "data", "matrix", NULL);
        dir = fallback;
    }
    return g_build_filename(dir, name, NULL);
}

static vexp_matrix *load_good(const char *name)
{
    g_autofree char *path = data_path(name);
    g_autoptr(GError) error = NULL;
    vexp_matrix *m = matrix_load(path, nics, &error);

    ck_assert_msg(m != NULL, "%s: %s", name, error ? error->message : "");
    return m;
}

/* A fake host (tests/data/host/NAME: a sysfs and procfs tree). */
static domains_host *fake_host(const char *name)
{
    const char *root = g_getenv("VEXP_SOURCE_ROOT");
    g_autofree char *dir = g_build_filename(root ? root : ".", "tests", "data", "host", name, NULL);

    return domains_host_probe_at(dir);
}

static const char *finding(GPtrArray *f, guint i)
{
    ck_assert_uint_lt(i, f->len);
    return ((GError *)f->pdata[i])->message;
}

/* vexp render's and doctor's checks against a 2-CPU, 2 GiB PVM host */
START_TEST(test_host_fit_pvm)
{
    g_autoptr(vexp_matrix) m = load_good("host-fit-kvm.conf");
    g_autoptr(vexp_matrix) ok = load_good("good-minimal.conf");
    g_autoptr(vexp_matrix) pins = load_good("good-pins.conf");
    g_autoptr(domains_host) pvm = fake_host("pvm");
    g_autoptr(domains_host) svm = fake_host("svm");
    g_autoptr(GPtrArray) f = vexp_host_check(m, pvm);
    g_autoptr(GPtrArray) f_ok = vexp_host_check(ok, pvm);
    g_autoptr(GPtrArray) f_pins = vexp_host_check(pins, pvm);
    g_autoptr(GPtrArray) f_pins4 = vexp_host_check(pins, svm);
    g_autofree char *path = data_path("host-fit-kvm.conf");
    g_autofree char *pins_path = data_path("good-pins.conf");
    g_autofree char *want = NULL;
    const GError *e;

    ck_assert(vexp_host_runs_cells(m));
    ck_assert_uint_eq(f->len, 4);
    /* in cell order (memory_mib varies fastest), each distinct value once, the axis's line */
    want = g_strdup_printf("%s:13: vcpu_pin = '1 2': CPU 2 does not exist on this host "
                           "(online: 0-1)",
                           path);
    ck_assert_str_eq(finding(f, 1), want);
    g_free(want);
    want = g_strdup_printf("%s:14: memory_mib = 4096: 4096 MiB is more than this host's memory "
                           "(2048 MiB in /proc/meminfo)",
                           path);
    ck_assert_str_eq(finding(f, 0), want);
    g_free(want);
    want = g_strdup_printf("%s:17: [traffic] tester_cpus = '0,4': CPU 4 does not exist on this "
                           "host (online: 0-1)",
                           path);
    ck_assert_str_eq(finding(f, 2), want);
    g_free(want);
    /* [experiment] accel, with the reason */
    want = g_strdup_printf("%s:5: accel = kvm: KVM does not run guests on this host: KVM here is "
                           "PVM, a software KVM (",
                           path);
    ck_assert_msg(g_str_has_prefix(finding(f, 3), want), "%s", finding(f, 3));
    e = f->pdata[0];
    ck_assert(e->domain == DOMAINS_ERROR && e->code == DOMAINS_ERROR_INPUT);
    e = f->pdata[1];
    ck_assert(e->domain == DOMAINS_ERROR && e->code == DOMAINS_ERROR_INPUT);
    e = f->pdata[3];
    ck_assert(e->domain == DOMAINS_ERROR && e->code == DOMAINS_ERROR_ENV);

    /* accel = auto, nothing pinned: fits */
    ck_assert_uint_eq(f_ok->len, 0);
    /* [domain] emulator_pin = 0 2-3: once, although three cells carry it */
    ck_assert_uint_eq(f_pins->len, 1);
    g_free(want);
    want = g_strdup_printf("%s:5: emulator_pin = '0 2-3': CPUs 2-3 do not exist on this host "
                           "(online: 0-1)",
                           pins_path);
    ck_assert_str_eq(finding(f_pins, 0), want);
    /* CPUs 0-3,6 online: fits */
    ck_assert_uint_eq(f_pins4->len, 0);
}
END_TEST

/* cells on a remote hypervisor are its business; the tester runs here */
START_TEST(test_host_fit_remote)
{
    g_autoptr(vexp_matrix) m = load_good("host-fit-remote.conf");
    g_autoptr(domains_host) pvm = fake_host("pvm");
    g_autoptr(GPtrArray) f = vexp_host_check(m, pvm);
    g_autofree char *path = data_path("host-fit-remote.conf");
    g_autofree char *want = g_strdup_printf(
        "%s:22: [traffic] tester_pin = '3': CPU 3 does not exist on this host (online: 0-1)",
        path);

    ck_assert(!vexp_host_runs_cells(m));
    ck_assert_uint_eq(f->len, 1);
    ck_assert_str_eq(finding(f, 0), want);
}
END_TEST

START_TEST(test_issue_example)
{
    g_autoptr(vexp_matrix) m = load_good("good-issue.conf");
    const char *labels[] = {"nic=virtio", "nic=e1000", "nic=rtl8139", "nic=vmxnet3", "nic=host"};
    const matrix_experiment *e = matrix_get_experiment(m);
    const matrix_traffic *t = matrix_get_traffic(m);
    const matrix_cell *c;
    g_autofree char *hash = NULL;

    ck_assert_uint_eq(matrix_cell_count(m), 5);
    for (guint i = 0; i < 5; i++) {
        c = matrix_get_cell(m, i);
        ck_assert_uint_eq(c->index, i);
        ck_assert_str_eq(c->label, labels[i]);
        ck_assert_str_eq(c->nic, labels[i] + 4);
    }
    c = matrix_get_cell(m, 0);
    ck_assert(!c->is_host);
    ck_assert_uint_eq(c->vcpus, 1);
    ck_assert_uint_eq(c->memory_mib, 256);
    ck_assert_str_eq(c->vcpu_pin, "1");
    ck_assert_str_eq(c->vcpu_pin_cpusets[0], "1");
    ck_assert_ptr_null(c->vcpu_pin_cpusets[1]);
    ck_assert_str_eq(c->emulator_cpuset, "0");
    ck_assert_str_eq(c->accel, "auto");
    ck_assert_ptr_null(c->machine);
    ck_assert(g_path_is_absolute(c->template_path));
    ck_assert(g_str_has_suffix(c->template_path, "/tests/data/matrix/tiny-guest.xml"));
    c = matrix_get_cell(m, 4);
    ck_assert(c->is_host);
    ck_assert_ptr_null(c->template_path);

    ck_assert_str_eq(e->name, "nic-models");
    ck_assert_str_eq(e->uri, "qemu:///embed");
    ck_assert_str_eq(e->store, "results.db");
    ck_assert_uint_eq(e->repetitions, 3);

    ck_assert_uint_eq(t->n_tests, 5);
    ck_assert_str_eq(t->tests[0], "throughput");
    ck_assert_str_eq(t->tests[4], "rtt");
    ck_assert_ptr_null(t->tests[5]);
    ck_assert_uint_eq(t->n_frame_sizes, 7);
    ck_assert_uint_eq(t->frame_sizes[0], 64);
    ck_assert_uint_eq(t->frame_sizes[6], 1518);
    ck_assert_uint_eq(t->n_directions, 2);
    ck_assert_str_eq(t->directions[1], "out");
    ck_assert(t->trial_s == 60.0 && t->line_rate_mbps == 1000.0);
    ck_assert(t->resolution_pct == 0.5 && t->loss_tolerance_pct == 0.0);
    ck_assert_int_eq(matrix_get_network(m)->mode, MATRIX_NETWORK_NAMESPACE);

    hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, matrix_text(m), -1);
    ck_assert_str_eq(matrix_hash(m), hash);
    ck_assert_uint_eq(matrix_line_of(m, "matrix", "nic"), 22);
    ck_assert_uint_eq(matrix_line_of(m, "matrix", NULL), 21);
    ck_assert_uint_eq(matrix_line_of(m, "matrix", "vcpus"), 0);
    ck_assert_str_eq(matrix_cell_value(m, 2, "nic"), "rtl8139");
    ck_assert_str_eq(matrix_cell_value(m, 2, "template"), "tiny-guest.xml");
    ck_assert_ptr_null(matrix_cell_value(m, 2, "machine"));
}
END_TEST

START_TEST(test_pins_axis)
{
    g_autoptr(vexp_matrix) m = load_good("good-pins.conf");
    const matrix_cell *c;

    ck_assert_uint_eq(matrix_cell_count(m), 3);
    c = matrix_get_cell(m, 0);
    ck_assert_str_eq(c->label, "vcpu_pin=1");
    ck_assert_uint_eq(c->vcpus, 1);
    ck_assert_str_eq(c->emulator_cpuset, "0,2-3");
    c = matrix_get_cell(m, 1);
    ck_assert_str_eq(c->label, "vcpu_pin=none");
    ck_assert_ptr_null(c->vcpu_pin_cpusets);
    ck_assert_uint_eq(c->vcpus, 1);
    c = matrix_get_cell(m, 2);
    ck_assert_str_eq(c->label, "vcpu_pin='0 1'");
    ck_assert_uint_eq(c->vcpus, 2);
    ck_assert_str_eq(c->vcpu_pin_cpusets[0], "0");
    ck_assert_str_eq(c->vcpu_pin_cpusets[1], "1");
    ck_assert_str_eq(matrix_cell_value(m, 2, "vcpus"), "2");
    /* name from the file name */
    ck_assert_str_eq(matrix_get_experiment(m)->name, "good-pins");
}
END_TEST

START_TEST(test_product_order)
{
    g_autoptr(vexp_matrix) m = load_good("good-product.conf");
    const char *labels[] = {"nic=virtio memory_mib=256", "nic=virtio memory_mib=512",
                            "nic=e1000 memory_mib=256", "nic=e1000 memory_mib=512"};
    const matrix_traffic *t = matrix_get_traffic(m);

    ck_assert_uint_eq(matrix_cell_count(m), 4);
    for (guint i = 0; i < 4; i++)
        ck_assert_str_eq(matrix_get_cell(m, i)->label, labels[i]);
    ck_assert_uint_eq(matrix_get_cell(m, 3)->memory_mib, 512);
    ck_assert_uint_eq(t->n_tests, 1);
    ck_assert_uint_eq(t->frame_sizes[0], 1518); /* file order kept */
    ck_assert(t->trial_s == 0.5 && t->reflect);
    ck_assert_uint_eq(t->latency_repetitions, 20);
}
END_TEST

START_TEST(test_host_dedupe)
{
    g_autoptr(vexp_matrix) m = load_good("good-host.conf");
    const matrix_network *n = matrix_get_network(m);

    ck_assert_uint_eq(matrix_cell_count(m), 3);
    ck_assert_str_eq(matrix_get_cell(m, 0)->label, "nic=host");
    ck_assert(matrix_get_cell(m, 0)->is_host);
    ck_assert_str_eq(matrix_get_cell(m, 1)->label, "vcpus=1 nic=virtio");
    ck_assert_str_eq(matrix_get_cell(m, 2)->label, "vcpus=2 nic=virtio");
    ck_assert_uint_eq(matrix_get_cell(m, 2)->vcpus, 2);
    ck_assert_str_eq(matrix_get_cell(m, 2)->accel, "tcg"); /* from [experiment] */
    ck_assert_int_eq(n->mode, MATRIX_NETWORK_NAMESPACE);
    ck_assert_ptr_null(n->bridge);
    ck_assert_str_eq(n->tester, "local");
    ck_assert_str_eq(n->tester_address, "198.18.0.1");
}
END_TEST

START_TEST(test_bridge_uris_vhost)
{
    g_autoptr(vexp_matrix) m = load_good("good-bridge.conf");
    const matrix_network *n = matrix_get_network(m);
    const matrix_experiment *e = matrix_get_experiment(m);
    static const char *const labels[] = {
        "nic=virtio vhost=on queues=1",  "nic=virtio vhost=on queues=2",
        "nic=virtio vhost=off queues=1", "nic=virtio vhost=off queues=2",
        "nic=e1000",
    };

    ck_assert_uint_eq(e->n_uris, 2);
    ck_assert_str_eq(e->uris[0], "qemu:///embed");
    ck_assert_str_eq(e->uris[1], "qemu+ssh://root@hv2/system?keyfile=/root/k");
    ck_assert_ptr_null(e->uris[2]);
    ck_assert_str_eq(e->uri, e->uris[0]);
    ck_assert(e->parallel_trials);
    ck_assert_int_eq(n->mode, MATRIX_NETWORK_BRIDGE);
    ck_assert_str_eq(n->bridge, "br-lab");
    ck_assert_str_eq(n->tester_user, "bench");
    ck_assert_str_eq(n->tester_host, "198.18.0.3");
    ck_assert_uint_eq(n->tester_port, 2222);
    ck_assert_str_eq(n->tester_address, "198.18.0.3");
    ck_assert_str_eq(n->guest_address, "198.18.1.10");
    ck_assert_uint_eq(n->prefix, 16);
    ck_assert(g_path_is_absolute(n->tester_host_key));
    ck_assert(g_str_has_suffix(n->tester_host_key, "/tester_known_hosts"));
    ck_assert_ptr_null(n->tester_identity);
    ck_assert_ptr_nonnull(n->isolated_ports);
    ck_assert_str_eq(n->isolated_ports[0], "eno2");
    ck_assert_str_eq(n->isolated_ports[1], "enp3s0f1");
    ck_assert_ptr_null(n->isolated_ports[2]);
    /* e1000 x (vhost, queues): one cell, without the axes that are virtio's */
    ck_assert_uint_eq(matrix_cell_count(m), G_N_ELEMENTS(labels));
    for (guint i = 0; i < G_N_ELEMENTS(labels); i++)
        ck_assert_str_eq(matrix_get_cell(m, i)->label, labels[i]);
    ck_assert_str_eq(matrix_get_cell(m, 1)->vhost, "on");
    ck_assert_uint_eq(matrix_get_cell(m, 1)->queues, 2);
    ck_assert_ptr_null(matrix_get_cell(m, 4)->vhost);
    ck_assert_uint_eq(matrix_get_cell(m, 4)->queues, 0);
}
END_TEST

START_TEST(test_defaults)
{
    g_autoptr(vexp_matrix) m = load_good("good-minimal.conf");
    g_autoptr(vexp_matrix) h = load_good("good-host-only.conf");
    const matrix_traffic *t = matrix_get_traffic(m);
    const matrix_cell *c = matrix_get_cell(m, 0);

    ck_assert_uint_eq(matrix_cell_count(m), 1);
    ck_assert_str_eq(c->label, "nic=virtio");
    ck_assert_str_eq(c->vcpu_pin, "none");
    ck_assert_ptr_null(c->emulator_cpuset);
    ck_assert_uint_eq(c->memory_mib, 256);
    ck_assert_uint_eq(t->n_tests, 4);
    ck_assert_uint_eq(t->n_frame_sizes, 7);
    ck_assert_uint_eq(t->n_directions, 1);
    ck_assert_str_eq(t->directions[0], "in");
    ck_assert_uint_eq(t->probes, 100);
    ck_assert_uint_eq(t->b2b_repetitions, 50);
    ck_assert(t->b2b_trial_s == 2.0 && t->wait_s == 2.0 && !t->reflect);
    ck_assert_uint_eq(matrix_get_experiment(m)->repetitions, 3);
    ck_assert_ptr_null(matrix_get_experiment(m)->store);
    {
        /* the same values as the engine's parameters, typed */
        const traffic_params *p = matrix_get_traffic_params(m);

        ck_assert_uint_eq(p->tests, TRAFFIC_TEST_RFC2544);
        ck_assert_uint_eq(p->directions, TRAFFIC_DIR_IN);
        ck_assert_uint_eq(p->n_frame_sizes, 7);
        ck_assert_uint_eq(p->frame_sizes[6], 1518);
        ck_assert_uint_eq(p->repetitions, 3);
        ck_assert(p->b2b_burst_s == 2.0 && p->straggler_s == 2.0 && p->line_rate_mbps == 1000);
        ck_assert(p->resolution_pct == 0.5 && p->search_trial_s == 1.0);
        ck_assert_int_eq(traffic_params_validate(p, NULL), 0);
    }

    ck_assert_uint_eq(matrix_cell_count(h), 1);
    ck_assert(matrix_get_cell(h, 0)->is_host);
    ck_assert_uint_eq(matrix_get_experiment(h)->repetitions, 7);
}
END_TEST

START_TEST(test_load_data)
{
    static const char text[] = "[matrix]\r\nnic = e1000 , virtio\r\n";
    g_autofree char *dir = data_path("");
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_matrix) m = NULL;

    /* no template: an error naming the [matrix] header */
    m = matrix_load_data(text, strlen(text), "mem.conf", dir, NULL, &error);
    ck_assert_ptr_null(m);
    ck_assert_msg(g_str_has_prefix(error->message, "mem.conf:2: [domain] template"), "%s",
                  error->message);
    g_clear_error(&error);

    /* NULL valid list: any lower-case name is a model */
    {
        static const char t2[] = "[domain]\ntemplate = tiny-guest.xml\n[matrix]\nnic = ne2k_pci\n";
        m = matrix_load_data(t2, strlen(t2), "mem.conf", dir, NULL, &error);
        ck_assert_msg(m != NULL, "%s", error ? error->message : "");
        ck_assert_str_eq(matrix_get_cell(m, 0)->nic, "ne2k_pci");
        g_clear_pointer(&m, matrix_free);
    }
    /* NUL byte, invalid UTF-8 */
    m = matrix_load_data("[domain]\n\0x", 11, "nul.conf", dir, nics, &error);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(error->message, "nul.conf:2: NUL byte"), "%s", error->message);
    g_clear_error(&error);
    m = matrix_load_data("[domain]\nnic = \xff\n", 17, "utf.conf", dir, nics, &error);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(error->message, "utf.conf:2: invalid UTF-8"), "%s", error->message);
    g_clear_error(&error);

    /* a stored run's matrix: its files are not looked up, their paths stay as written */
    {
        static const char t3[] = "[domain]\ntemplate = gone/tiny-guest.xml\n[matrix]\n"
                                 "nic = virtio, e1000\n[network]\nmode = bridge\n"
                                 "bridge = br0\ntester = ssh://t.example\n"
                                 "tester_address = 198.18.0.1\ntester_identity = keys/id\n"
                                 "tester_host_key = keys/t.pub\n";
        m = matrix_load_data(t3, strlen(t3), "run #1", dir, nics, &error);
        ck_assert_ptr_null(m);
        g_clear_error(&error);
        m = matrix_load_stored(t3, strlen(t3), "run #1", nics, &error);
        ck_assert_msg(m != NULL, "%s", error ? error->message : "");
        ck_assert_str_eq(matrix_get_cell(m, 0)->template_path, "gone/tiny-guest.xml");
        ck_assert_str_eq(matrix_get_cell(m, 1)->nic, "e1000");
        ck_assert_str_eq(matrix_get_network(m)->tester_identity, "keys/id");
        g_clear_pointer(&m, matrix_free);
        /* everything else is checked as ever */
        m = matrix_load_stored("[matrix]\nnic = virtio\n[traffic]\ntrial_s = -1\n", 41, "run #2",
                               nics, &error);
        ck_assert_ptr_null(m);
        g_clear_error(&error);
    }
    /* a missing matrix file */
    m = matrix_load("/nonexistent/matrix.conf", nics, &error);
    ck_assert_ptr_null(m);
    ck_assert(g_error_matches(error, MATRIX_ERROR, MATRIX_ERROR_INVALID));
    ck_assert_msg(strstr(error->message, "'/nonexistent/matrix.conf'"), "%s", error->message);
}
END_TEST

START_TEST(test_relative_path)
{
    g_autofree char *dir = data_path("");
    g_autofree char *parent = g_path_get_dirname(dir);
    g_autofree char *cwd = g_get_current_dir();
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_matrix) m = NULL;

    /* "matrix/good-product.conf" from tests/data: the template is found next to it */
    ck_assert_int_eq(g_chdir(parent), 0);
    m = matrix_load("matrix/good-product.conf", nics, &error);
    ck_assert_int_eq(g_chdir(cwd), 0);
    ck_assert_msg(m != NULL, "%s", error ? error->message : "");
    ck_assert(g_path_is_absolute(matrix_get_cell(m, 0)->template_path));
    ck_assert_str_eq(matrix_path(m), "matrix/good-product.conf");
}
END_TEST

/* tester_cpus, or tester_pin (its older name): one value, and the key the user wrote */
START_TEST(test_tester_cpus_key)
{
    g_autoptr(vexp_matrix) m = load_good("host-fit-kvm.conf");
    g_autoptr(vexp_matrix) alias = load_good("host-fit-remote.conf");
    g_autoptr(vexp_matrix) dflt = load_good("good-pins.conf");

    ck_assert_str_eq(matrix_get_traffic(m)->tester_cpus, "0,4");
    ck_assert_str_eq(matrix_get_traffic(m)->tester_cpus_key, "tester_cpus");
    ck_assert_str_eq(matrix_get_traffic(alias)->tester_cpus, "3");
    ck_assert_str_eq(matrix_get_traffic(alias)->tester_cpus_key, "tester_pin");
    ck_assert_str_eq(matrix_get_traffic(dflt)->tester_cpus, "auto");
    ck_assert_str_eq(matrix_get_traffic(dflt)->tester_cpus_key, "tester_cpus");
    /* the engine places its threads on the run's resolved CPUs, not on the matrix's */
    ck_assert_uint_eq(matrix_get_traffic_params(m)->n_tester_cpus, 0);
}
END_TEST

/* tester_dataplane: each name to the engine's value; unset leaves the engine's default */
START_TEST(test_tester_dataplane)
{
    static const struct {
        const char *line; /* the [traffic] line, "" = none */
        int want;         /* matrix_traffic.tester_dataplane */
    } cases[] = {
        {"tester_dataplane = auto\n", TRAFFIC_DATAPLANE_AUTO},
        {"tester_dataplane = xdp\n", TRAFFIC_DATAPLANE_XDP},
        {"tester_dataplane =  socket \n", TRAFFIC_DATAPLANE_SOCKET},
        {"", -1},
    };
    g_autofree char *dir = data_path("");
    traffic_params engine;

    traffic_params_init(&engine);
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = g_strdup_printf("[domain]\ntemplate = tiny-guest.xml\n"
                                                "[traffic]\n%s",
                                                cases[i].line);
        g_autoptr(GError) error = NULL;
        g_autoptr(vexp_matrix) m =
            matrix_load_data(text, strlen(text), "dp.conf", dir, nics, &error);

        ck_assert_msg(m != NULL, "case %u: %s", i, error ? error->message : "");
        ck_assert_int_eq(matrix_get_traffic(m)->tester_dataplane, cases[i].want);
        ck_assert_uint_eq(matrix_get_traffic_params(m)->dataplane,
                          cases[i].want >= 0 ? (unsigned)cases[i].want : engine.dataplane);
    }
    /* a bad value: file, line and value (also in the corpus: bad-tester-dataplane.conf) */
    {
        static const char bad[] = "[domain]\ntemplate = tiny-guest.xml\n[traffic]\n"
                                  "trial_s = 10\ntester_dataplane = dpdk\n";
        g_autoptr(GError) error = NULL;
        g_autoptr(vexp_matrix) m = matrix_load_data(bad, strlen(bad), "dp.conf", dir, nics, &error);

        ck_assert_ptr_null(m);
        ck_assert(g_error_matches(error, MATRIX_ERROR, MATRIX_ERROR_INVALID));
        ck_assert_msg(g_str_has_prefix(error->message,
                                       "dp.conf:5: [traffic] tester_dataplane = 'dpdk': expected "
                                       "auto"),
                      "%s", error->message);
    }
}
END_TEST

/* ---- the malformed corpus: every bad-*.conf with its bad-*.expect ---- */

START_TEST(test_bad_corpus)
{
    g_autofree char *dir = data_path("");
    g_autoptr(GError) error = NULL;
    g_autoptr(GDir) d = g_dir_open(dir, 0, &error);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    ck_assert_msg(d != NULL, "%s", error ? error->message : "");
    while ((name = g_dir_read_name(d)))
        if (g_str_has_prefix(name, "bad-") && g_str_has_suffix(name, ".conf"))
            g_ptr_array_add(names, g_strdup(name));
    ck_assert_uint_ge(names->len, 20);

    for (guint i = 0; i < names->len; i++) {
        const char *conf = names->pdata[i];
        g_autofree char *path = g_build_filename(dir, conf, NULL);
        g_autofree char *stem = g_strndup(conf, strlen(conf) - strlen(".conf"));
        g_autofree char *expect_name = g_strconcat(stem, ".expect", NULL);
        g_autofree char *expect_path = g_build_filename(dir, expect_name, NULL);
        g_autofree char *expect = NULL;
        g_autoptr(vexp_matrix) m = NULL;

        ck_assert_msg(g_file_get_contents(expect_path, &expect, NULL, NULL), "%s: no %s", conf,
                      expect_name);
        g_strchomp(expect);
        m = matrix_load(path, nics, &error);
        ck_assert_msg(m == NULL, "%s: loaded, expected \"%s\"", conf, expect);
        ck_assert_msg(g_error_matches(error, MATRIX_ERROR, MATRIX_ERROR_INVALID), "%s: %s", conf,
                      error->message);
        /* the message starts with the path as given, so the expectation is its tail */
        ck_assert_msg(strstr(error->message, expect), "%s:\n  got      \"%s\"\n  expected \"%s\"",
                      conf, error->message, expect);
        g_clear_error(&error);
    }
}
END_TEST

static Suite *matrix_suite(void)
{
    Suite *s = suite_create("matrix");
    TCase *tc = tcase_create("good");

    tcase_add_test(tc, test_issue_example);
    tcase_add_test(tc, test_pins_axis);
    tcase_add_test(tc, test_product_order);
    tcase_add_test(tc, test_host_dedupe);
    tcase_add_test(tc, test_bridge_uris_vhost);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_load_data);
    tcase_add_test(tc, test_relative_path);
    tcase_add_test(tc, test_host_fit_pvm);
    tcase_add_test(tc, test_host_fit_remote);
    tcase_add_test(tc, test_tester_cpus_key);
    tcase_add_test(tc, test_tester_dataplane);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad");
    tcase_add_test(tc, test_bad_corpus);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(matrix_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
