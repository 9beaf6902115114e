/* SPDX-License-Identifier: MIT */
/* Unit tests of domains/: template rendering, config keys, malformed templates, and the
 * lifecycle against libvirt's test:///default driver (no hypervisor). */
#include "vexp-config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "domains-priv.h"
#include "spec.h"
#include "tests-common.h"

static char *data_path(const char *name)
{
    return tests_source_path("tests", "data", "domains", name, NULL);
}

static char *example_path(const char *name)
{
    return tests_source_path("examples", "templates", name, NULL);
}

/* A typical cell of the orchestrator. */
/* vcpu_pin values: one cpuset per vCPU */
static const char *const pin_0[] = {"0", NULL};
static const char *const pin_1[] = {"1", NULL};
static const char *const pin_1_1[] = {"1", "1", NULL};
static const char *const pin_1x[] = {"1-x", NULL};
static const char *const pin_0_1[] = {"0", "1", NULL};
static const char *const pin_0_12[] = {"0", "1-2", NULL};

static domains_spec base_spec(const char *template_path)
{
    return (domains_spec){
        .template_path = template_path,
        .name = "vexp-1-1",
        .nic = "virtio",
        .bridge = "br0",
        .tap = "vx1",
        .vcpus = 1,
        .vcpu_pin = pin_1,
        .emulator_pin = "0",
        .memory_mib = 256,
        .accel = "tcg",
        .kernel = "/var/lib/vexp/image/vmlinuz",
        .initrd = "/var/lib/vexp/image/initramfs.img",
        .cmdline = "console=ttyS0 " DOMAINS_GUEST_IP_ARG "=198.18.0.11/15",
        .console_log = "/var/lib/vexp/runs/1/vexp-1-1.console",
    };
}

/* ---- rendering: template in, expected XML out (libvirt's DO_TEST) ---------- */

typedef struct {
    const char *out;      /* tests/data/domains/out-<out>.xml */
    const char *template; /* NULL = template.xml */
    const char *nic;
    unsigned vcpus;
    const char *vcpu_pin;
    const char *emulator_pin;
    const char *accel; /* "kvm" runs with /dev/kvm pretended usable */
    const char *machine;
    const char *disk;
    const char *image_id;
    const char *vhost; /* KVM-only virtio options (NULL, 0 = the template's) */
    unsigned queues;
} render_case;

static const render_case render_cases[] = {
    {"nic-virtio", NULL, "virtio", 1, "1", "0", "tcg", NULL, NULL, NULL, NULL, 0},
    {"nic-e1000", NULL, "e1000", 1, "1", "0", "tcg", NULL, NULL, NULL, NULL, 0},
    {"nic-rtl8139", NULL, "rtl8139", 1, "1", "0", "tcg", NULL, NULL, NULL, NULL, 0},
    {"nic-vmxnet3", NULL, "vmxnet3", 1, "1", "0", "tcg", NULL, NULL, NULL, NULL, 0},
    {"pin-none", NULL, "virtio", 2, "none", NULL, "tcg", NULL, NULL, NULL, NULL, 0},
    {"pin-2vcpu", NULL, "virtio", 2, "0 1", "0", "tcg", NULL, NULL, NULL, NULL, 0},
    {"pin-sets", NULL, "e1000", 3, "0-1 1,3  2", "0-1", "tcg", NULL, NULL, NULL, NULL, 0},
    {"accel-kvm", NULL, "virtio", 1, "1", "0", "kvm", "q35", NULL, "sha256:feedbeef", NULL, 0},
    {"tiny-guest", "tiny-guest", "vmxnet3", 1, "1", "0", "tcg", NULL, NULL, NULL, NULL, 0},
    {"disk", "template-disk.xml", "rtl8139", 4, NULL, NULL, "kvm", NULL, "/images/other.qcow2",
     NULL, NULL, 0},
    /* template.xml has <driver queues='1'/>: edited in place */
    {"vhost-on-queues", NULL, "virtio", 2, "0 1", "0", "kvm", NULL, NULL, NULL, "on", 4},
    {"vhost-off", NULL, "virtio", 1, "1", "0", "tcg", NULL, NULL, NULL, "off", 0},
    /* one queue pair: the attribute goes, and with it the then empty <driver> */
    {"queues-1", NULL, "virtio", 1, "1", "0", "tcg", NULL, NULL, NULL, NULL, 1},
    /* tiny-guest.xml has no <driver>: created */
    {"queues-tiny", "tiny-guest", "virtio", 2, "0 1", "0", "kvm", NULL, NULL, NULL, NULL, 2},
    {"vhost-tiny", "tiny-guest", "virtio", 1, "1", "0", "kvm", NULL, NULL, NULL, "on", 0},
};

static void check_against_file(const char *out_name, const char *actual)
{
    g_autofree char *file = g_strdup_printf("out-%s.xml", out_name);
    g_autofree char *path = data_path(file);
    g_autofree char *expected = NULL;
    g_autoptr(GError) error = NULL;

    if (g_strcmp0(g_getenv("VEXP_TEST_REGENERATE"), "1") == 0) {
        ck_assert_msg(g_file_set_contents(path, actual, -1, &error), "%s", error->message);
        return;
    }
    ck_assert_msg(g_file_get_contents(path, &expected, NULL, &error), "%s", error->message);
    ck_assert_msg(strcmp(expected, actual) == 0, "%s differs; got:\n%s", file, actual);
}

START_TEST(test_console_tx_stall)
{
    /* as a Debian 6.1 guest's console says it after its virtio TX queue stopped under TCG */
    static const char before[] =
        "[    2.1] virtio_net virtio0 eth0: NETDEV WATCHDOG: CPU: 0: transmit queue 0 timed out "
        "9 ms\n"
        "vexp: ready 198.18.0.10/15 4.75s\n"
        "[109] Dec 01 23:34:21 Pubkey auth succeeded for 'root'\n";
    static const char after[] =
        "vexp: ready 198.18.0.10/15 4.75s\n"
        "[  152.413419] virtio_net virtio0 eth0: NETDEV WATCHDOG: CPU: 0: transmit queue 0 timed "
        "out 5428 ms\n"
        "[  152.416698] virtio_net virtio0 eth0: TX timeout on queue: 0, sq: output.0\n"
        "[  157.275707] virtio_net virtio0 eth0: NETDEV WATCHDOG: CPU: 0: transmit queue 0 timed "
        "out 10292 ms";
    g_autofree char *none = domains_console_tx_stall(before);
    g_autofree char *hit = domains_console_tx_stall(after);
    ck_assert_ptr_null(none); /* a stall before the guest came up is not this cell's */
    ck_assert_str_eq(hit, "virtio_net virtio0 eth0: NETDEV WATCHDOG: CPU: 0: transmit queue 0 "
                          "timed out 10292 ms");
    ck_assert_ptr_null(domains_console_tx_stall("transmit queue 0 is fine\ntimed out later\n"));
    ck_assert_ptr_null(domains_console_tx_stall(NULL));
}
END_TEST

START_TEST(test_render_case)
{
    const render_case *c = &render_cases[_i];
    g_autofree char *tpath = c->template == NULL ? data_path("template.xml")
                             : strcmp(c->template, "tiny-guest") == 0
                                 ? example_path("tiny-guest.xml")
                                 : data_path(c->template);
    domains_spec spec = base_spec(tpath);
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *key = NULL;
    g_autofree char *canonical = NULL;
    g_auto(GStrv) pins = NULL;

    spec.nic = c->nic;
    spec.vcpus = c->vcpus;
    /* the fixtures' text form, split at this edge */
    ck_assert(domains_vcpu_pin_split(c->vcpu_pin, 0, &pins, NULL));
    spec.vcpu_pin = (const char *const *)pins;
    spec.emulator_pin = c->emulator_pin;
    spec.accel = c->accel;
    spec.machine = c->machine;
    spec.disk = c->disk;
    spec.image_id = c->image_id;
    spec.vhost = c->vhost;
    spec.queues = c->queues;
    if (c->disk != NULL) {
        spec.kernel = spec.initrd = spec.cmdline = NULL;
    }
    domains_set_kvm_override(1);
    ck_assert_msg(domains_render(&spec, &xml, &key, &canonical, &error), "%s: %s", c->out,
                  error->message);
    check_against_file(c->out, xml);
    ck_assert_uint_eq(strlen(key), 64);
    ck_assert_ptr_null(strstr(canonical, "vexp-1-1"));
    ck_assert_ptr_null(strstr(canonical, "198.18.0.11"));
}
END_TEST

/* the NIC rules the renderer and the matrix share, without a template */
START_TEST(test_spec_check_nic)
{
    g_autoptr(GError) error = NULL;

    ck_assert_int_eq(domains_spec_check_nic("virtio", "on", 4, "kvm", NULL), DOMAINS_SPEC_OK);
    ck_assert_int_eq(domains_spec_check_nic("virtio", "on", 0, NULL, NULL), DOMAINS_SPEC_OK);
    ck_assert_int_eq(domains_spec_check_nic("virtio", "on", 0, "auto", NULL), DOMAINS_SPEC_OK);
    ck_assert_int_eq(domains_spec_check_nic("e1000", NULL, 0, "tcg", NULL), DOMAINS_SPEC_OK);
    ck_assert_int_eq(domains_spec_check_nic("virtio", "yes", 0, NULL, NULL), DOMAINS_SPEC_VHOST);
    ck_assert_int_eq(domains_spec_check_nic("virtio", NULL, DOMAINS_QUEUES_MAX + 1, NULL, NULL),
                     DOMAINS_SPEC_QUEUES);
    ck_assert_int_eq(domains_spec_check_nic("virtio-transitional", NULL, 2, NULL, NULL),
                     DOMAINS_SPEC_NOT_VIRTIO);
    ck_assert_int_eq(domains_spec_check_nic("virtio", "on", 0, "tcg", &error),
                     DOMAINS_SPEC_VHOST_ACCEL);
    ck_assert(g_error_matches(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT));
    ck_assert_str_eq(error->message, "vhost-net needs accel = kvm; this cell resolves to tcg");
}
END_TEST

START_TEST(test_render_mac)
{
    g_autofree char *tpath = data_path("template.xml");
    domains_spec spec = base_spec(tpath);
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *derived = domains_mac_from_name("vexp-1-1");
    g_autofree char *again = domains_mac_from_name("vexp-1-1");

    /* stable (SHA-256 of the name), locally administered, unicast */
    ck_assert_str_eq(derived, "52:54:00:25:ee:c3");
    ck_assert_str_eq(derived, again);
    spec.mac = "52:54:00:aa:bb:cc";
    ck_assert(domains_render(&spec, &xml, NULL, NULL, &error));
    ck_assert_ptr_nonnull(strstr(xml, "<mac address=\"52:54:00:aa:bb:cc\"/>"));
}
END_TEST

/* ---- config keys ---------------------------------------------------------- */

static char *key_of(const domains_spec *spec)
{
    g_autoptr(GError) error = NULL;
    char *key = NULL;

    domains_set_kvm_override(1);
    ck_assert_msg(domains_render(spec, NULL, &key, NULL, &error), "%s", error->message);
    return key;
}

START_TEST(test_key_stability)
{
    g_autofree char *tpath = data_path("template.xml");
    g_autofree char *tpath2 = data_path("template-reformatted.xml");
    domains_spec a = base_spec(tpath);
    domains_spec b = base_spec(tpath2);
    g_autofree char *ka = key_of(&a);
    g_autofree char *kb = NULL;

    /* what differs between runs and machines of one configuration */
    b.name = "vexp-77-3";
    b.mac = "52:54:00:12:34:56";
    b.tap = "vx42";
    b.bridge = "br-bare";
    b.console_log = "/tmp/other/console.log";
    b.kernel = "/home/u/.local/share/vexp/vmlinuz";
    b.initrd = "/home/u/.local/share/vexp/initramfs.img";
    b.cmdline = "console=ttyS0  " DOMAINS_GUEST_IP_ARG "=198.18.0.99/15";
    kb = key_of(&b);
    ck_assert_str_eq(ka, kb);
    g_clear_pointer(&kb, g_free);
    /* same again: deterministic */
    kb = key_of(&a);
    ck_assert_str_eq(ka, kb);
}
END_TEST

typedef struct {
    const char *what;
    void (*change)(domains_spec *s);
} key_change;

static void ch_nic(domains_spec *s)
{
    s->nic = "e1000";
}
static void ch_vcpus(domains_spec *s)
{
    s->vcpus = 2;
    s->vcpu_pin = pin_1_1;
}
static void ch_pin(domains_spec *s)
{
    s->vcpu_pin = pin_0;
}
static void ch_unpinned(domains_spec *s)
{
    s->vcpu_pin = NULL;
}
static void ch_emu(domains_spec *s)
{
    s->emulator_pin = "1";
}
static void ch_memory(domains_spec *s)
{
    s->memory_mib = 512;
}
static void ch_accel(domains_spec *s)
{
    s->accel = "kvm";
}
static void ch_machine(domains_spec *s)
{
    s->machine = "q35";
}
static void ch_image(domains_spec *s)
{
    s->image_id = "sha256:0123";
}
static void ch_kernel(domains_spec *s)
{
    s->kernel = "/var/lib/vexp/image/vmlinuz-6.1";
}
static void ch_cmdline(domains_spec *s)
{
    s->cmdline = "console=ttyS0 mitigations=off";
}
static void ch_vhost(domains_spec *s)
{
    s->vhost = "off";
}
static void ch_vhost_on(domains_spec *s)
{
    s->accel = "kvm";
    s->vhost = "on";
}
static void ch_queues(domains_spec *s)
{
    s->queues = 2;
}

static const key_change key_changes[] = {
    {"nic", ch_nic},           {"vcpus", ch_vcpus},      {"vcpu_pin", ch_pin},
    {"unpinned", ch_unpinned}, {"emulator_pin", ch_emu}, {"memory", ch_memory},
    {"accel", ch_accel},       {"machine", ch_machine},  {"image_id", ch_image},
    {"kernel", ch_kernel},     {"cmdline", ch_cmdline},  {"vhost", ch_vhost},
    {"vhost on", ch_vhost_on}, {"queues", ch_queues},
};

/* vhost on and vhost off differ from each other too, not only from the template's */
START_TEST(test_key_vhost)
{
    g_autofree char *tpath = data_path("template.xml");
    g_autofree char *tpath2 = example_path("tiny-guest.xml");
    domains_spec a = base_spec(tpath);
    domains_spec b = base_spec(tpath);
    g_autofree char *ka = NULL;
    g_autofree char *kb = NULL;

    a.accel = b.accel = "kvm";
    a.vhost = "on";
    b.vhost = "off";
    ka = key_of(&a);
    kb = key_of(&b);
    ck_assert_str_ne(ka, kb);
    g_clear_pointer(&kb, g_free);
    /* queues = 1 on a template without <driver>: the template's configuration.
     * (A template that writes queues='1' keeps its own key: only queues = 0 leaves
     * it alone, so existing keys stay.) */
    b = base_spec(tpath2);
    g_clear_pointer(&ka, g_free);
    ka = key_of(&b);
    b.queues = 1;
    kb = key_of(&b);
    ck_assert_str_eq(ka, kb);
}
END_TEST

START_TEST(test_key_sensitivity)
{
    g_autofree char *tpath = data_path("template.xml");
    domains_spec a = base_spec(tpath);
    domains_spec b = base_spec(tpath);
    g_autofree char *ka = key_of(&a);
    g_autofree char *kb = NULL;

    key_changes[_i].change(&b);
    kb = key_of(&b);
    ck_assert_msg(strcmp(ka, kb) != 0, "changing %s kept the key", key_changes[_i].what);
}
END_TEST

START_TEST(test_canonical_content)
{
    g_autofree char *tpath = data_path("template.xml");
    domains_spec spec = base_spec(tpath);
    g_autoptr(GError) error = NULL;
    g_autofree char *canonical = NULL;
    g_autofree char *key = NULL;
    g_autofree char *sum = NULL;

    domains_set_kvm_override(0);
    ck_assert(domains_render(&spec, NULL, &key, &canonical, &error));
    sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, canonical, -1);
    ck_assert_str_eq(key, sum);
    check_against_file("canonical", canonical);
}
END_TEST

/* ---- bad input -------------------------------------------------------------- */

typedef struct {
    const char *file;
    const char *message; /* expected after "<path>" */
} bad_template;

static const bad_template bad_templates[] = {
    {"bad-notwellformed.xml",
     ":5: not well-formed XML: Opening and ending tag mismatch: interface line 4 and devices"},
    {"bad-nodevices.xml", ":1: <domain> lacks <devices>"},
    {"bad-nointerface.xml", ":3: <devices> has no <interface> to set the NIC model in"},
    {"bad-root.xml", ":2: root element is <network>, expected <domain>"},
    {"bad-doctype.xml", ":3: a domain template must not have a DOCTYPE"},
    {"bad-vcpu.xml", ":2: <vcpu> 'many' is not a count between 1 and 256"},
    {"bad-empty.xml", ":1: not well-formed XML: Document is empty"},
    {"does-not-exist.xml", "failed to read template '"},
};

START_TEST(test_bad_template)
{
    const bad_template *b = &bad_templates[_i];
    g_autofree char *tpath = data_path(b->file);
    domains_spec spec = base_spec(tpath);
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *expected = NULL;

    spec.vcpus = 0;
    spec.vcpu_pin = NULL;
    ck_assert(!domains_render(&spec, &xml, NULL, NULL, &error));
    ck_assert_ptr_null(xml);
    ck_assert_int_eq(error->code, DOMAINS_ERROR_INPUT);
    expected = g_str_has_prefix(b->message, ":") ? g_strconcat(tpath, b->message, NULL)
                                                 : g_strdup(b->message);
    ck_assert_msg(g_str_has_prefix(error->message, expected), "%s: got '%s', want '%s'", b->file,
                  error->message, expected);
}
END_TEST

typedef struct {
    const char *what;
    void (*change)(domains_spec *s);
    const char *message;
} bad_spec;

static void bs_nic(domains_spec *s)
{
    s->nic = "ne2000-isa";
}
static void bs_pincount(domains_spec *s)
{
    s->vcpus = 2;
    s->vcpu_pin = pin_1;
}
static void bs_pinset(domains_spec *s)
{
    s->vcpu_pin = pin_1x;
}
static void bs_emu(domains_spec *s)
{
    s->emulator_pin = "5-2";
}
static void bs_tap(domains_spec *s)
{
    s->tap = "a-very-long-tap-name";
}
static void bs_mac(domains_spec *s)
{
    s->mac = "01:00:5e:00:00:01";
}
static void bs_accel(domains_spec *s)
{
    s->accel = "hvf";
}
static void bs_mem(domains_spec *s)
{
    s->memory_mib = 4u * 1024 * 1024;
}
static void bs_name(domains_spec *s)
{
    s->name = NULL;
}
static void bs_ctl(domains_spec *s)
{
    s->cmdline = "console=ttyS0\n";
}
static void bs_vhost_nic(domains_spec *s)
{
    s->nic = "e1000";
    s->vhost = "off";
}
static void bs_queues_nic(domains_spec *s)
{
    s->nic = "virtio-transitional";
    s->queues = 2;
}
static void bs_vhost_tcg(domains_spec *s)
{
    s->vhost = "on";
}
static void bs_vhost_auto(domains_spec *s)
{
    /* auto on a host without KVM (test_bad_spec pretends /dev/kvm absent) */
    s->accel = "auto";
    s->vhost = "on";
}
static void bs_vhost_value(domains_spec *s)
{
    s->vhost = "yes";
}
static void bs_queues_max(domains_spec *s)
{
    s->queues = 257;
}

static const bad_spec bad_specs[] = {
    {"nic", bs_nic,
     "unknown NIC model 'ne2000-isa' (valid: e1000, e1000e, ne2k_pci, pcnet, rtl8139, virtio, "
     "virtio-non-transitional, virtio-transitional, vmxnet3)"},
    {"pin count", bs_pincount, "vcpu_pin '1' names 1 cpusets for 2 vCPUs (one per vCPU)"},
    {"pin set", bs_pinset, "vcpu_pin '1-x': expected a CPU number at 'x'"},
    {"emulator", bs_emu, "emulator_pin '5-2': range 5-2 goes backwards"},
    {"tap", bs_tap, "tap name 'a-very-long-tap-name' is not a device name"},
    {"mac", bs_mac, "MAC address '01:00:5e:00:00:01' is not a unicast address"},
    {"accel", bs_accel, "unknown accel 'hvf' (valid: auto, kvm, tcg)"},
    {"memory", bs_mem, "memory '4194304' MiB above the limit 1048576 MiB"},
    {"name", bs_name, "domain name '' is missing"},
    {"control", bs_ctl, "cmdline 'console=ttyS0\n' contains a control character"},
    {"vhost nic", bs_vhost_nic, "vhost/queues apply to nic = virtio only, not 'e1000'"},
    {"queues nic", bs_queues_nic,
     "vhost/queues apply to nic = virtio only, not 'virtio-transitional'"},
    {"vhost tcg", bs_vhost_tcg, "vhost-net needs accel = kvm; this cell resolves to tcg"},
    {"vhost auto", bs_vhost_auto, "vhost-net needs accel = kvm; this cell resolves to tcg"},
    {"vhost value", bs_vhost_value, "vhost 'yes' is neither 'on' nor 'off'"},
    {"queues max", bs_queues_max, "queues '257' above the limit 256"},
};

START_TEST(test_bad_spec)
{
    g_autofree char *tpath = data_path("template.xml");
    domains_spec spec = base_spec(tpath);
    g_autoptr(GError) error = NULL;

    domains_set_kvm_override(0);
    bad_specs[_i].change(&spec);
    ck_assert(!domains_render(&spec, NULL, NULL, NULL, &error));
    ck_assert_int_eq(error->code, DOMAINS_ERROR_INPUT);
    ck_assert_msg(g_str_has_prefix(error->message, bad_specs[_i].message), "%s: got '%s'",
                  bad_specs[_i].what, error->message);
}
END_TEST

START_TEST(test_nic_models_given)
{
    g_autofree char *tpath = data_path("template.xml");
    domains_spec spec = base_spec(tpath);
    const char *const models[] = {"e1000", "pcnet", NULL};
    g_autoptr(GError) error = NULL;

    spec.nic_models = models;
    spec.nic = "pcnet";
    ck_assert(domains_render(&spec, NULL, NULL, NULL, &error));
    spec.nic = "virtio";
    ck_assert(!domains_render(&spec, NULL, NULL, NULL, &error));
    ck_assert_str_eq(error->message, "unknown NIC model 'virtio' (valid: e1000, pcnet)");
}
END_TEST

START_TEST(test_nic_models_parse)
{
    g_autofree char *path = data_path("qemu-nic-help.txt");
    g_autofree char *text = NULL;
    g_auto(GStrv) models = NULL;
    g_autofree char *joined = NULL;

    ck_assert(g_file_get_contents(path, &text, NULL, NULL));
    models = domains_nic_models_parse(text);
    joined = g_strjoinv(" ", models);
    ck_assert_str_eq(joined, "e1000 e1000-82544gc e1000e ne2k_pci rtl8139 virtio "
                             "virtio-non-transitional virtio-transitional vmxnet3");
    ck_assert_ptr_null(domains_nic_models_parse("nothing here\n"));
}
END_TEST

START_TEST(test_accel)
{
    g_autoptr(GError) error = NULL;

    domains_set_kvm_override(1);
    ck_assert_str_eq(domains_resolve_accel("auto", NULL), "kvm");
    ck_assert_str_eq(domains_resolve_accel(NULL, NULL), "kvm");
    ck_assert_str_eq(domains_resolve_accel("tcg", NULL), "tcg");
    domains_set_kvm_override(0);
    ck_assert_str_eq(domains_resolve_accel("auto", NULL), "tcg");
    ck_assert_ptr_null(domains_resolve_accel("kvm", &error));
    ck_assert_int_eq(error->code, DOMAINS_ERROR_ENV);
    domains_set_kvm_override(-1);
}
END_TEST

/* render takes "kvm" as given: it may be a remote host's answer */
START_TEST(test_render_kvm_given)
{
    g_autofree char *tpath = data_path("template.xml");
    domains_spec spec = base_spec(tpath);
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;

    domains_set_kvm_override(0);
    spec.accel = "kvm";
    spec.vhost = "on";
    ck_assert_msg(domains_render(&spec, &xml, NULL, NULL, &error), "%s", error->message);
    ck_assert_ptr_nonnull(strstr(xml, "<domain type=\"kvm\">"));
    ck_assert_ptr_nonnull(strstr(xml, "<driver queues=\"1\" name=\"vhost\"/>"));
    domains_set_kvm_override(-1);
}
END_TEST

/* ---- vhost-net and bridges over fake trees ---------------------------------- */

static void make_file(const char *root, const char *rel)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);
    g_autofree char *dir = g_path_get_dirname(path);

    ck_assert_int_eq(g_mkdir_with_parents(dir, 0700), 0);
    ck_assert(g_file_set_contents(path, "", 0, NULL));
}

static void make_dir(const char *root, const char *rel)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);

    ck_assert_int_eq(g_mkdir_with_parents(path, 0700), 0);
}

static void remove_tree(const char *path)
{
    const char *argv[] = {"rm", "-rf", "--", path, NULL};

    ck_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                           NULL, NULL));
}

static char *host_root(const char *name)
{
    return tests_source_path("tests", "data", "host", name, NULL);
}

/* PVM as this workplace's machines have it: the kvm_pvm module, no vmx/svm */
START_TEST(test_kvm_kind)
{
    g_autofree char *pvm = host_root("pvm");
    g_autofree char *svm = host_root("svm");
    g_autofree char *pvm_mod = g_build_filename(pvm, "sys", "module", NULL);
    g_autofree char *svm_mod = g_build_filename(svm, "sys", "module", NULL);
    g_autofree char *pvm_cpuinfo_path = g_build_filename(pvm, "proc", "cpuinfo", NULL);
    g_autofree char *svm_cpuinfo_path = g_build_filename(svm, "proc", "cpuinfo", NULL);
    g_autofree char *pvm_cpuinfo = NULL, *svm_cpuinfo = NULL;

    ck_assert(g_file_get_contents(pvm_cpuinfo_path, &pvm_cpuinfo, NULL, NULL));
    ck_assert(g_file_get_contents(svm_cpuinfo_path, &svm_cpuinfo, NULL, NULL));
    ck_assert_int_eq(domains_kvm_kind_of(pvm_cpuinfo, pvm_mod), DOMAINS_KVM_KIND_PVM);
    ck_assert_int_eq(domains_kvm_kind_of(svm_cpuinfo, svm_mod), DOMAINS_KVM_KIND_HARDWARE);
    /* the flag decides even with kvm_pvm loaded; the module alone makes PVM */
    ck_assert_int_eq(domains_kvm_kind_of(svm_cpuinfo, pvm_mod), DOMAINS_KVM_KIND_HARDWARE);
    ck_assert_int_eq(domains_kvm_kind_of(pvm_cpuinfo, svm_mod), DOMAINS_KVM_KIND_NONE);
    ck_assert_int_eq(domains_kvm_kind_of(NULL, pvm_mod), DOMAINS_KVM_KIND_PVM);
    ck_assert_int_eq(domains_kvm_kind_of("flags\t\t: fpu vmx sse\n", "/nonexistent"),
                     DOMAINS_KVM_KIND_HARDWARE);
    /* whole words of a flags line only */
    ck_assert_int_eq(domains_kvm_kind_of("flags\t\t: fpu vmxe svm_lock\nmodel name\t: svm\n",
                                         "/nonexistent"),
                     DOMAINS_KVM_KIND_NONE);
}
END_TEST

START_TEST(test_kvm_check_at)
{
    g_autofree char *pvm = host_root("pvm");
    g_autofree char *svm = host_root("svm");
    g_autofree char *why = NULL, *want = NULL;

    ck_assert(!domains_kvm_check_at(pvm, &why));
    want = g_strdup_printf(
        "KVM here is PVM, a software KVM (%s/sys/module/kvm_pvm is present, no vmx or svm in "
        "%s/proc/cpuinfo): it runs guest kernel code in KVM's instruction emulator, far slower "
        "than TCG, and QEMU aborts with -cpu host (MSR 0x10a); %s/dev/kvm: No such file or "
        "directory",
        pvm, pvm, pvm);
    ck_assert_str_eq(why, want);
    g_clear_pointer(&why, g_free);
    g_clear_pointer(&want, g_free);
    ck_assert(!domains_kvm_check_at(svm, &why));
    want = g_strdup_printf("%s/dev/kvm: No such file or directory, although the CPU has vmx or "
                           "svm (modprobe kvm_intel or kvm_amd)",
                           svm);
    ck_assert_str_eq(why, want);
}
END_TEST

START_TEST(test_host_checks)
{
    g_autofree char *pvm = host_root("pvm");
    g_autofree char *svm = host_root("svm");
    g_autoptr(domains_host) h = domains_host_probe_at(pvm);
    g_autoptr(domains_host) h4 = domains_host_probe_at(svm);
    g_autoptr(GError) error = NULL;
    const char *why = NULL;

    ck_assert_str_eq(domains_host_cpus(h), "0-1");
    ck_assert_uint_eq(domains_host_memory_mib(h), 2048);
    ck_assert_int_eq(domains_host_kvm_kind(h), DOMAINS_KVM_KIND_PVM);
    ck_assert(!domains_host_kvm(h, &why));
    ck_assert(g_str_has_prefix(why, "KVM here is PVM, a software KVM ("));
    ck_assert(domains_host_check_cpuset(h, "0-1", NULL));
    ck_assert(!domains_host_check_cpuset(h, "1-2", &error));
    ck_assert_int_eq(error->code, DOMAINS_ERROR_INPUT);
    ck_assert_str_eq(error->message, "CPU 2 does not exist on this host (online: 0-1)");
    g_clear_error(&error);
    ck_assert(!domains_host_check_cpuset(h, "0,2,3,7", &error));
    ck_assert_str_eq(error->message, "CPUs 2-3,7 do not exist on this host (online: 0-1)");
    g_clear_error(&error);
    ck_assert(domains_host_check_memory(h, 2048, NULL));
    ck_assert(!domains_host_check_memory(h, 2049, &error));
    ck_assert_str_eq(error->message,
                     "2049 MiB is more than this host's memory (2048 MiB in /proc/meminfo)");
    g_clear_error(&error);
    ck_assert(!domains_host_check_kvm(h, &error));
    ck_assert_int_eq(error->code, DOMAINS_ERROR_ENV);
    ck_assert(g_str_has_prefix(error->message,
                               "KVM does not run guests on this host: KVM here is PVM"));
    ck_assert(g_str_has_suffix(error->message, "(use accel = auto or tcg here, or a remote "
                                               "libvirt URI on a host with KVM)"));
    g_clear_error(&error);
    /* a hole in the online CPUs */
    ck_assert_str_eq(domains_host_cpus(h4), "0-3,6");
    ck_assert_uint_eq(domains_host_memory_mib(h4), 16000);
    ck_assert_int_eq(domains_host_kvm_kind(h4), DOMAINS_KVM_KIND_HARDWARE);
    ck_assert(domains_host_check_cpuset(h4, "6", NULL));
    ck_assert(!domains_host_check_cpuset(h4, "3-5", &error));
    ck_assert_str_eq(error->message, "CPUs 4-5 do not exist on this host (online: 0-3,6)");
}
END_TEST

/* what a failed probe says: QEMU's own words, and which way it failed */
START_TEST(test_kvm_probe_verdict)
{
    g_autofree char *path = tests_source_path("tests", "data", "host", "qemu-no-kvm.stderr", NULL);
    g_autofree char *text = NULL, *v = NULL;

    /* captured from qemu-system-x86_64 7.2 -accel kvm on a host without /dev/kvm */
    ck_assert(g_file_get_contents(path, &text, NULL, NULL));
    v = domains_kvm_probe_verdict(FALSE, TRUE, 1 << 8, text, 20);
    ck_assert_str_eq(v, "QEMU stopped before the guest kernel started (exit status 1): Could not "
                        "access KVM kernel module: No such file or directory | "
                        "qemu-system-x86_64: -accel kvm: failed to initialize kvm: No such file "
                        "or directory");
    g_clear_pointer(&v, g_free);
    /* the shape of -cpu host on PVM (ENVIRONMENT.md): an assertion, SIGABRT */
    v = domains_kvm_probe_verdict(FALSE, TRUE, SIGABRT,
                                  "qemu-system-x86_64: error: failed to set MSR 0x10a\n"
                                  "qemu-system-x86_64: kvm_buf_set_msrs: Assertion failed.\n\n",
                                  20);
    ck_assert_str_eq(v, "QEMU stopped before the guest kernel started (killed by signal 6 "
                        "(Aborted)): qemu-system-x86_64: error: failed to set MSR 0x10a | "
                        "qemu-system-x86_64: kvm_buf_set_msrs: Assertion failed.");
    g_clear_pointer(&v, g_free);
    v = domains_kvm_probe_verdict(FALSE, FALSE, 0, "", 20);
    ck_assert_str_eq(v, "QEMU ran but the guest kernel printed no banner within 20 s under KVM "
                        "(guest code stuck or emulated: broken nested virtualisation?); QEMU "
                        "printed nothing on stderr");
    g_clear_pointer(&v, g_free);
    v = domains_kvm_probe_verdict(TRUE, TRUE, 0, NULL, 20);
    ck_assert_str_eq(v, "a guest kernel started under KVM");
}
END_TEST

/* accel = kvm refused with the reason */
START_TEST(test_accel_kvm_why)
{
    g_autoptr(GError) error = NULL;

    domains_kvm_set_broken("QEMU stopped before the guest kernel started (exit status 1)");
    ck_assert_ptr_null(domains_resolve_accel("kvm", &error));
    ck_assert_int_eq(error->code, DOMAINS_ERROR_ENV);
    ck_assert_str_eq(error->message, "accel 'kvm' asked but KVM does not run guests here: QEMU "
                                     "stopped before the guest kernel started (exit status 1) "
                                     "(use accel 'auto' or 'tcg')");
    ck_assert_str_eq(domains_resolve_accel("auto", NULL), "tcg");
    domains_set_kvm_override(-1);
}
END_TEST

START_TEST(test_vhost_available)
{
    g_autofree char *root = g_dir_make_tmp("vexp-vhost-XXXXXX", NULL);
    g_autofree char *dev = g_build_filename(root, "dev", "vhost-net", NULL);
    g_autofree char *detail = NULL;

    ck_assert_ptr_nonnull(root);
    /* nothing at all */
    ck_assert(!domains_vhost_available_at(root, &detail));
    ck_assert_msg(g_str_has_suffix(detail, "/dev/vhost-net: the vhost_net module is not loaded "
                                           "(modprobe vhost_net)"),
                  "%s", detail);
    g_clear_pointer(&detail, g_free);
    /* module, no node */
    make_dir(root, "sys/module/vhost_net");
    ck_assert(!domains_vhost_available_at(root, &detail));
    ck_assert_msg(strstr(detail, "although vhost_net is loaded (mknod ") != NULL, "%s", detail);
    g_clear_pointer(&detail, g_free);
    /* a node that does not open read-write (a directory: EISDIR even as root) */
    make_dir(root, "dev/vhost-net");
    ck_assert(!domains_vhost_available_at(root, &detail));
    ck_assert_msg(g_str_has_suffix(detail, "/dev/vhost-net does not open read-write: "
                                           "Is a directory"),
                  "%s", detail);
    g_clear_pointer(&detail, g_free);
    ck_assert_int_eq(rmdir(dev), 0);
    make_file(root, "dev/vhost-net");
    ck_assert(domains_vhost_available_at(root, &detail));
    ck_assert_msg(g_str_has_suffix(detail, "/dev/vhost-net opens read-write (vhost_net loaded)"),
                  "%s", detail);
    g_clear_pointer(&detail, g_free);
    ck_assert(domains_vhost_available_at(root, NULL));
    /* the node without the module */
    {
        g_autofree char *sys = g_build_filename(root, "sys", NULL);

        remove_tree(sys);
    }
    ck_assert(!domains_vhost_available_at(root, &detail));
    ck_assert_msg(strstr(detail, "opens but the vhost_net module is neither loaded nor built in") !=
                      NULL,
                  "%s", detail);
    g_clear_pointer(&detail, g_free);
    /* the real host: whatever it says, it says why */
    domains_vhost_available(&detail);
    ck_assert(detail != NULL && *detail != '\0');
    remove_tree(root);
}
END_TEST

START_TEST(test_bridge_check_fake_sysfs)
{
    g_autofree char *root = g_dir_make_tmp("vexp-sysfs-XXXXXX", NULL);
    g_autofree char *eth0_port = g_build_filename(root, "class/net/br0/brif/eth0", NULL);
    g_autoptr(GError) error = NULL;

    ck_assert_ptr_nonnull(root);
    make_dir(root, "class/net/br0/bridge");
    make_dir(root, "class/net/br0/brif/vx1");
    make_dir(root, "class/net/br0/brif/vxh0");
    make_dir(root, "class/net/vx1");
    make_dir(root, "class/net/vxh0");
    make_dir(root, "class/net/eth0/device");
    make_dir(root, "class/net/vx2");
    /* virtual ports only */
    ck_assert_msg(domains_bridge_check_at(root, "br0", NULL, &error), "%s", error->message);
    /* a physical port */
    make_dir(root, "class/net/br0/brif/eth0");
    ck_assert(!domains_bridge_check_at(root, "br0", NULL, &error));
    ck_assert_int_eq(error->code, DOMAINS_ERROR_INPUT);
    ck_assert_str_eq(error->message,
                     "bridge 'br0' has the physical port 'eth0': vexp sends benchmark traffic "
                     "only on an isolated bridge (RFC 6815); if 'eth0' is a cable to the "
                     "tester and nothing else, list it in [network] isolated_ports");
    g_clear_error(&error);
    {
        /* declared a dedicated link: it passes; another physical port does not */
        const char *const eth0[] = {"eth1", "eth0", NULL};
        const char *const eth1[] = {"eth1", NULL};

        ck_assert_msg(domains_bridge_check_at(root, "br0", eth0, &error), "%s",
                      error ? error->message : "");
        ck_assert(!domains_bridge_check_at(root, "br0", eth1, &error));
        ck_assert_int_eq(error->code, DOMAINS_ERROR_INPUT);
        g_clear_error(&error);
    }
    ck_assert_int_eq(rmdir(eth0_port), 0);
    ck_assert(!domains_bridge_check_at(root, "br9", NULL, &error));
    ck_assert_str_eq(error->message, "bridge 'br9' does not exist");
    g_clear_error(&error);
    ck_assert(!domains_bridge_check_at(root, "vx2", NULL, &error));
    ck_assert_str_eq(error->message, "device 'vx2' exists but is not a bridge");
    g_clear_error(&error);
    ck_assert(!domains_bridge_check_at(root, "../br0", NULL, &error));
    ck_assert_int_eq(error->code, DOMAINS_ERROR_INPUT);
    g_clear_error(&error);
    ck_assert(!domains_bridge_check_at(root, "a-very-long-name-x", NULL, &error));
    g_clear_error(&error);
    ck_assert(!domains_bridge_check("", NULL, &error));
    ck_assert_int_eq(error->code, DOMAINS_ERROR_INPUT);
    remove_tree(root);
}
END_TEST

START_TEST(test_cpuset)
{
    unsigned char map[DOMAINS_CPUMAP_LEN];
    g_autoptr(GError) error = NULL;
    g_autofree char *s1 = NULL;
    g_autofree char *s2 = NULL;
    g_auto(GStrv) sets = NULL;

    ck_assert(domains_cpuset_parse("0-3,^2,7", "x", map, NULL));
    s1 = domains_cpuset_format(map, 2);
    ck_assert_str_eq(s1, "0-1,3,7");
    ck_assert(domains_cpuset_parse("9", "x", map, NULL));
    s2 = domains_cpuset_format(map, 2);
    ck_assert_str_eq(s2, "9");
    ck_assert(!domains_cpuset_parse("1024", "x", map, &error));
    ck_assert(!domains_cpuset_parse("^1", "x", map, NULL));
    ck_assert(!domains_cpuset_parse("", "x", map, NULL));
    ck_assert(!domains_cpuset_parse("1,", "x", map, NULL));
    ck_assert(domains_vcpu_pin_split(" 0  1 ", 2, &sets, NULL));
    ck_assert_uint_eq(g_strv_length(sets), 2);
    g_clear_pointer(&sets, g_strfreev);
    ck_assert(domains_vcpu_pin_split("none", 2, &sets, NULL));
    ck_assert_ptr_null(sets);
}
END_TEST

/* ---- lifecycle against test:///default ----------------------------------------- */

/* The test driver knows only domain type 'test'. */
static char *as_test_domain(const char *xml)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "x.xml", NULL, XML_PARSE_NOBLANKS);
    xmlChar *mem = NULL;
    int len = 0;
    char *out;

    ck_assert_ptr_nonnull(doc);
    xmlSetProp(xmlDocGetRootElement(doc), (const xmlChar *)"type", (const xmlChar *)"test");
    xmlDocDumpMemory(doc, &mem, &len);
    out = g_strndup((const char *)mem, (gsize)len);
    xmlFree(mem);
    xmlFreeDoc(doc);
    return out;
}

static domains_guest *start_test_guest(domains_conn *conn, const domains_spec *spec)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *txml = NULL;
    domains_guest *g;

    ck_assert_msg(domains_render(spec, &xml, NULL, NULL, &error), "%s", error->message);
    txml = as_test_domain(xml);
    g = domains_guest_start(conn, txml, &error);
    ck_assert_msg(g != NULL, "%s", error ? error->message : "");
    return g;
}

START_TEST(test_lifecycle)
{
    g_autofree char *tpath = example_path("tiny-guest.xml");
    domains_spec spec = base_spec(tpath);
    g_autoptr(GError) error = NULL;
    g_autoptr(domains_conn) conn = NULL;
    g_autofree char *lib = NULL, *qemu = NULL, *host = NULL;
    domains_guest *g;
    guint64 ns = 0;
    virConnectPtr other;
    virDomainPtr dom;

    conn = domains_connect("test:///default", NULL, &error);
    ck_assert_msg(conn != NULL, "%s", error ? error->message : "");
    ck_assert_str_eq(domains_conn_uri(conn), "test:///default");
    ck_assert(domains_conn_versions(conn, &lib, &qemu, &host, &error));
    ck_assert_ptr_nonnull(strchr(lib, '.'));

    spec.vcpus = 2;
    spec.vcpu_pin = pin_0_12;
    spec.emulator_pin = "3";
    g = start_test_guest(conn, &spec);
    ck_assert_str_eq(domains_guest_name(g), "vexp-1-1");
    ck_assert(domains_guest_is_running(g));
    /* transient: never defined, so nothing is left when it stops */
    other = virConnectOpen("test:///default");
    dom = virDomainLookupByName(other, "vexp-1-1");
    ck_assert_ptr_nonnull(dom);
    ck_assert_int_eq(virDomainIsPersistent(dom), 0);
    virDomainFree(dom);
    virConnectClose(other);
    ck_assert_msg(domains_guest_check_pinning(g, &spec, &error), "%s", error->message);
    ck_assert(domains_guest_cpu_time(g, &ns, &error));

    /* asked otherwise than the domain runs: a cell failure naming both sets */
    spec.vcpu_pin = pin_0_1;
    ck_assert(!domains_guest_check_pinning(g, &spec, &error));
    ck_assert_int_eq(error->code, DOMAINS_ERROR_GUEST);
    ck_assert_str_eq(error->message,
                     "vCPU 1 of domain 'vexp-1-1' runs on host CPUs '1-2', asked '1'");
    g_clear_error(&error);
    spec.vcpu_pin = pin_0_12;
    spec.emulator_pin = "2";
    ck_assert(!domains_guest_check_pinning(g, &spec, &error));
    ck_assert_str_eq(error->message, "the emulator threads of domain 'vexp-1-1' run on host "
                                     "CPUs '3', asked '2'");
    g_clear_error(&error);

    domains_guest_destroy(g);
    /* nothing left defined */
    other = virConnectOpen("test:///default");
    ck_assert_ptr_nonnull(other);
    dom = virDomainLookupByName(other, "vexp-1-1");
    ck_assert_ptr_null(dom);
    virResetLastError();
    virConnectClose(other);
    domains_guest_destroy(NULL);
}
END_TEST

START_TEST(test_lifecycle_leftover)
{
    g_autofree char *tpath = example_path("tiny-guest.xml");
    domains_spec spec = base_spec(tpath);
    g_autoptr(GError) error = NULL;
    g_autoptr(domains_conn) conn = domains_connect("test:///default", NULL, &error);
    g_autofree char *xml = NULL;
    g_autofree char *txml = NULL;
    domains_guest *g1, *g2;

    ck_assert_ptr_nonnull(conn);
    g1 = start_test_guest(conn, &spec);
    /* a running domain of the same name: refused */
    ck_assert(domains_render(&spec, &xml, NULL, NULL, &error));
    txml = as_test_domain(xml);
    ck_assert_ptr_null(domains_guest_start(conn, txml, &error));
    ck_assert_int_eq(error->code, DOMAINS_ERROR_ENV);
    ck_assert_ptr_nonnull(strstr(error->message, "a running domain of that name exists"));
    g_clear_error(&error);
    domains_guest_destroy(g1);
    /* a define that fails leaves nothing behind and names the domain */
    ck_assert_ptr_null(domains_guest_start(conn,
                                           "<domain type='test'><name>vexp-bad</name>"
                                           "<memory>x</memory></domain>",
                                           &error));
    ck_assert_msg(g_str_has_prefix(error->message, "failed to start transient domain 'vexp-bad': "),
                  "%s", error->message);
    g_clear_error(&error);
    g2 = start_test_guest(conn, &spec);
    domains_guest_destroy(g2);
}
END_TEST

/* doctor --clean: domains named by a vexp that is gone are removed, a live one's stay */
START_TEST(test_clean_leftovers)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(domains_conn) conn = domains_connect("test:///default", NULL, &error);
    g_autoptr(GPtrArray) found = NULL;
    g_autofree char *dead_name = NULL, *live_name = NULL, *xml = NULL;
    virConnectPtr other;
    virDomainPtr dom;
    pid_t child = fork();

    ck_assert_ptr_nonnull(conn);
    if (child == 0)
        _exit(0);
    ck_assert_int_eq(waitpid(child, NULL, 0), child);
    dead_name = g_strdup_printf("vexp-%d-0", (int)child);
    live_name = g_strdup_printf("vexp-%d-1", (int)getpid());
    other = virConnectOpen("test:///default");
    for (int k = 0; k < 2; k++) {
        g_free(xml);
        xml = g_strdup_printf("<domain type='test'><name>%s</name><memory>65536</memory>"
                              "<os><type>hvm</type></os></domain>",
                              k ? live_name : dead_name);
        dom = virDomainDefineXML(other, xml);
        ck_assert_ptr_nonnull(dom);
        ck_assert_int_eq(virDomainCreate(dom), 0);
        virDomainFree(dom);
    }
    ck_assert_msg(domains_conn_clean(conn, FALSE, &found, &error), "%s", error->message);
    ck_assert_uint_eq(found->len, 1);
    ck_assert_msg(g_str_has_prefix(found->pdata[0], dead_name) &&
                      strstr(found->pdata[0], "(running, defined, run pid"),
                  "%s", (char *)found->pdata[0]);
    g_clear_pointer(&found, g_ptr_array_unref);
    ck_assert(domains_conn_clean(conn, TRUE, &found, &error));
    ck_assert_uint_eq(found->len, 1);
    dom = virDomainLookupByName(other, dead_name);
    ck_assert_ptr_null(dom);
    virResetLastError();
    dom = virDomainLookupByName(other, live_name);
    ck_assert_ptr_nonnull(dom);
    ck_assert_int_eq(virDomainIsActive(dom), 1);
    virDomainDestroy(dom);
    virDomainUndefine(dom);
    virDomainFree(dom);
    virConnectClose(other);
}
END_TEST

static int listen_local(unsigned *ret_port, gboolean *ret_ok)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    ck_assert_int_eq(listen(fd, 4), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    *ret_port = ntohs(sin.sin_port);
    *ret_ok = TRUE;
    return fd;
}

static gpointer banner_server(gpointer data)
{
    int fd = GPOINTER_TO_INT(data);
    int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

    if (c >= 0) {
        ck_assert_int_eq(write(c, "SSH-2.0-dropbear\r\n", 18), 18);
        close(c);
    }
    return NULL;
}

/* a listener answers, a closed port answers (refused: a host is there), an
 * unparsable address does not; silence is left to the e2e tests (no traffic
 * may leave loopback here) */
START_TEST(test_addr_answers)
{
    unsigned port;
    gboolean ok;
    int lfd = listen_local(&port, &ok);

    ck_assert(domains_addr_answers("127.0.0.1", port, 500));
    close(lfd);
    ck_assert(domains_addr_answers("127.0.0.1", port, 500));
    ck_assert(!domains_addr_answers("not-an-address", 22, 500));
    ck_assert(!domains_addr_answers("::1", 22, 500));
}
END_TEST

START_TEST(test_wait_ssh)
{
    g_autofree char *tpath = example_path("tiny-guest.xml");
    domains_spec spec = base_spec(tpath);
    g_autoptr(GError) error = NULL;
    g_autoptr(domains_conn) conn = domains_connect("test:///default", NULL, &error);
    g_autofree char *logdir = g_dir_make_tmp("vexp-t-XXXXXX", NULL);
    g_autofree char *log = g_build_filename(logdir, "console.log", NULL);
    g_autoptr(domains_guest) g = NULL;
    unsigned port;
    gboolean ok;
    int lfd;
    GThread *t;
    virConnectPtr other;
    virDomainPtr dom;

    ck_assert_ptr_nonnull(conn);
    g = start_test_guest(conn, &spec);

    lfd = listen_local(&port, &ok);
    t = g_thread_new("banner", banner_server, GINT_TO_POINTER(lfd));
    ck_assert_msg(domains_guest_wait_ssh(g, "127.0.0.1", port, 5, NULL, &error), "%s",
                  error->message);
    g_thread_join(t);

    /* nobody answers: timeout with the console's last lines */
    ck_assert(g_file_set_contents(log, "[    0.0] Linux\r\nvexp init: no eth0\n", -1, NULL));
    ck_assert(!domains_guest_wait_ssh(g, "127.0.0.1", port, 1, log, &error));
    close(lfd);
    ck_assert_int_eq(error->code, DOMAINS_ERROR_TIMEOUT);
    ck_assert_msg(g_str_has_suffix(error->message, "ends with:\n  [    0.0] Linux\n  vexp init: "
                                                   "no eth0"),
                  "%s", error->message);
    g_clear_error(&error);

    /* the domain stops: fail early */
    other = virConnectOpen("test:///default");
    dom = virDomainLookupByName(other, "vexp-1-1");
    ck_assert_int_eq(virDomainDestroy(dom), 0);
    virDomainFree(dom);
    virConnectClose(other);
    ck_assert(!domains_guest_wait_ssh(g, "127.0.0.1", port, 30, log, &error));
    ck_assert_int_eq(error->code, DOMAINS_ERROR_GUEST);
    ck_assert(g_str_has_prefix(error->message, "domain 'vexp-1-1' stopped before SSH answered"));
    g_clear_error(&error);
    ck_assert(!domains_guest_wait_ssh(g, "not-an-address", 22, 1, NULL, &error));
    ck_assert_int_eq(error->code, DOMAINS_ERROR_INPUT);
    unlink(log);
    rmdir(logdir);
}
END_TEST

typedef struct {
    const char *uri;
    gboolean remote;
} uri_case;

static const uri_case uri_cases[] = {
    {"qemu+ssh://root@lab-2/system", TRUE},
    {"qemu+libssh://lab-2/system?known_hosts=/k", TRUE},
    {"qemu+tcp://10.0.0.2:16509/system", TRUE},
    {"qemu://[fd00::2]/system", TRUE},
    {"qemu:///system", FALSE},
    {"qemu+unix:///system", FALSE},
    {"qemu:///embed?root=/var/lib/vexp/libvirt", FALSE},
    {"test:///default", FALSE},
    {"qemu+ssh://root@/system", FALSE},
    {"qemu", FALSE},
};

START_TEST(test_uri_is_remote)
{
    ck_assert_msg(domains_uri_is_remote(uri_cases[_i].uri) == uri_cases[_i].remote, "%s",
                  uri_cases[_i].uri);
}
END_TEST

START_TEST(test_conn_resolve_accel)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(domains_conn) conn = domains_connect("test:///default", NULL, &error);

    ck_assert_msg(conn != NULL, "%s", error ? error->message : "");
    ck_assert(domains_conn_is_alive(conn));
    /* local: /dev/kvm decides, as domains_resolve_accel() */
    ck_assert(!domains_conn_is_remote(conn));
    domains_set_kvm_override(1);
    ck_assert_str_eq(domains_conn_resolve_accel(conn, "auto", NULL), "kvm");
    ck_assert_str_eq(domains_conn_resolve_accel(conn, NULL, NULL), "kvm");
    domains_set_kvm_override(0);
    ck_assert_str_eq(domains_conn_resolve_accel(conn, "auto", NULL), "tcg");
    ck_assert_ptr_null(domains_conn_resolve_accel(conn, "kvm", &error));
    ck_assert_int_eq(error->code, DOMAINS_ERROR_ENV);
    g_clear_error(&error);

    /* remote: the remote libvirt decides, whatever /dev/kvm here says.  The test
     * driver has no domain capabilities, i.e. a remote host without KVM. */
    domains_set_kvm_override(1);
    domains_conn_set_remote(conn, TRUE);
    ck_assert(domains_conn_is_remote(conn));
    ck_assert_str_eq(domains_conn_resolve_accel(conn, "auto", NULL), "tcg");
    ck_assert_str_eq(domains_conn_resolve_accel(conn, NULL, NULL), "tcg");
    ck_assert_str_eq(domains_conn_resolve_accel(conn, "tcg", NULL), "tcg");
    ck_assert_ptr_null(domains_conn_resolve_accel(conn, "kvm", &error));
    ck_assert_int_eq(error->code, DOMAINS_ERROR_ENV);
    ck_assert_msg(g_str_has_prefix(error->message, "accel 'kvm' asked but the hypervisor host of "
                                                   "'test:///default' offers no KVM for x86_64: "),
                  "%s", error->message);
    ck_assert(g_str_has_suffix(error->message, " (use accel 'auto' or 'tcg')"));
    g_clear_error(&error);
    ck_assert_ptr_null(domains_conn_resolve_accel(conn, "hvf", &error));
    ck_assert_int_eq(error->code, DOMAINS_ERROR_INPUT);
    domains_set_kvm_override(-1);
}
END_TEST

START_TEST(test_connect_errors)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(domains_conn) conn = domains_connect("nosuchdriver:///x", NULL, &error);

    ck_assert_ptr_null(conn);
    ck_assert_int_eq(error->code, DOMAINS_ERROR_ENV);
    ck_assert(g_str_has_prefix(error->message,
                               "failed to open libvirt connection 'nosuchdriver:///x': "));
}
END_TEST

/* ---- bridges in a network namespace of this test's own (root) ---------------- */

static ino_t netns_inode(void)
{
    struct stat st;

    ck_assert_int_eq(stat("/proc/self/ns/net", &st), 0);
    return st.st_ino;
}

static void ip_in_test_ns(ino_t outside, const char *const *argv)
{
    g_autoptr(GError) error = NULL;

    /* never touch the root namespace's devices */
    ck_assert(netns_inode() != outside);
    ck_assert_msg(domains_run(argv, NULL, &error), "%s", error->message);
}

/*
 * Check runs each test in a child process (CK_FORK, forced in main): the
 * namespaces unshared here and every device in them go when it exits.
 */
START_TEST(test_bridge_check_netns)
{
    const char *add_br[] = {"ip", "link", "add", "vxbr0", "type", "bridge", NULL};
    const char *add_veth[] = {"ip",   "link", "add",  "vxv0", "type",
                              "veth", "peer", "name", "vxv1", NULL};
    const char *enslave[] = {"ip", "link", "set", "vxv0", "master", "vxbr0", NULL};
    const char *add_br2[] = {"ip", "link", "add", "vxbr1", "type", "bridge", NULL};
    g_autoptr(GError) error = NULL;
    ino_t outside = netns_inode();

    ck_assert_msg(unshare(CLONE_NEWNET | CLONE_NEWNS) == 0, "unshare: %s", g_strerror(errno));
    ck_assert(netns_inode() != outside);
    ip_in_test_ns(outside, add_br);
    ip_in_test_ns(outside, add_veth);
    ip_in_test_ns(outside, enslave);

    /* /sys still shows the outer namespace (setns() alone): refused, not misread */
    ck_assert(!domains_bridge_check("vxbr0", NULL, &error));
    ck_assert_int_eq(error->code, DOMAINS_ERROR_ENV);
    ck_assert_msg(g_str_has_prefix(error->message, "/sys shows another network namespace's "
                                                   "devices (bridge 'vxbr0'"),
                  "%s", error->message);
    g_clear_error(&error);

    /* what `ip netns exec` does: a private mount namespace with its own /sys */
    ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
    ck_assert_int_eq(umount2("/sys", MNT_DETACH), 0);
    ck_assert_msg(mount("sysfs", "/sys", "sysfs", 0, NULL) == 0, "mount sysfs: %s",
                  g_strerror(errno));

    ck_assert_msg(domains_bridge_check("vxbr0", NULL, &error), "%s", error->message);
    ip_in_test_ns(outside, add_br2);
    ck_assert_msg(domains_bridge_check("vxbr1", NULL, &error), "%s", error->message);
    ck_assert(!domains_bridge_check("vxnone", NULL, &error));
    ck_assert_int_eq(error->code, DOMAINS_ERROR_INPUT);
    ck_assert_str_eq(error->message, "bridge 'vxnone' does not exist");
    g_clear_error(&error);
    ck_assert(!domains_bridge_check("vxv1", NULL, &error));
    ck_assert_str_eq(error->message, "device 'vxv1' exists but is not a bridge");
}
END_TEST

static Suite *netns_suite(void)
{
    Suite *s = suite_create("domains-netns");
    TCase *tc = tcase_create("bridge");

    tcase_add_test(tc, test_bridge_check_netns);
    suite_add_tcase(s, tc);
    return s;
}

static Suite *domains_suite(void)
{
    Suite *s = suite_create("domains");
    TCase *tc = tcase_create("render");

    tcase_add_loop_test(tc, test_render_case, 0, G_N_ELEMENTS(render_cases));
    tcase_add_test(tc, test_spec_check_nic);
    tcase_add_test(tc, test_render_mac);
    tcase_add_test(tc, test_key_stability);
    tcase_add_loop_test(tc, test_key_sensitivity, 0, G_N_ELEMENTS(key_changes));
    tcase_add_test(tc, test_canonical_content);
    tcase_add_loop_test(tc, test_bad_template, 0, G_N_ELEMENTS(bad_templates));
    tcase_add_loop_test(tc, test_bad_spec, 0, G_N_ELEMENTS(bad_specs));
    tcase_add_test(tc, test_nic_models_given);
    tcase_add_test(tc, test_nic_models_parse);
    tcase_add_test(tc, test_accel);
    tcase_add_test(tc, test_render_kvm_given);
    tcase_add_test(tc, test_key_vhost);
    tcase_add_test(tc, test_cpuset);
    tcase_add_test(tc, test_vhost_available);
    tcase_add_test(tc, test_kvm_kind);
    tcase_add_test(tc, test_kvm_check_at);
    tcase_add_test(tc, test_host_checks);
    tcase_add_test(tc, test_kvm_probe_verdict);
    tcase_add_test(tc, test_accel_kvm_why);
    tcase_add_test(tc, test_bridge_check_fake_sysfs);
    tcase_add_loop_test(tc, test_uri_is_remote, 0, G_N_ELEMENTS(uri_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("lifecycle");
    tcase_add_test(tc, test_lifecycle);
    tcase_add_test(tc, test_lifecycle_leftover);
    tcase_add_test(tc, test_clean_leftovers);
    tcase_add_test(tc, test_wait_ssh);
    tcase_add_test(tc, test_addr_answers);
    tcase_add_test(tc, test_connect_errors);
    tcase_add_test(tc, test_conn_resolve_accel);
    tcase_add_test(tc, test_console_tx_stall);
    suite_add_tcase(s, tc);
    return s;
}

/* test-domains [unit | netns]: netns needs root and makes its own namespaces */
int main(int argc, char **argv)
{
    gboolean netns = argc > 1 && strcmp(argv[1], "netns") == 0;
    g_autofree char *state = NULL;
    g_autofree char *log = NULL;
    SRunner *sr;
    int failed;

    if (argc > 1 && !netns && strcmp(argv[1], "unit") != 0) {
        fprintf(stderr, "usage: %s [unit | netns]\n", argv[0]);
        return 2;
    }
    if (netns) {
        if (geteuid() != 0) {
            fprintf(stderr, "test-domains netns: needs root, skipped\n");
            return 77;
        }
        sr = srunner_create(netns_suite());
        /* the namespaces die with each test's process */
        srunner_set_fork_status(sr, CK_FORK);
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
    }
    state = g_dir_make_tmp("vexp-t-XXXXXX", NULL);
    log = g_build_filename(state, "libvirt.log", NULL);
    sr = srunner_create(domains_suite());

    /* libvirt's log goes under the state dir: keep it out of $HOME */
    g_setenv("VEXP_STATE_DIR", state, TRUE);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    unlink(log);
    rmdir(state);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
