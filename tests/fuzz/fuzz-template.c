/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: render arbitrary bytes as a domain template with a few spec variants. */
#include "vexp-config.h"

#include <stddef.h>
#include <stdint.h>

#include "domains-priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const nics[] = {"virtio", "e1000", "rtl8139", "vmxnet3"};
    static const char *const pin1[] = {"1", NULL};
    static const char *const pin2[] = {"0", "1", NULL};
    static const char *const pin3[] = {"0-1", "2,3", "^1", NULL};
    static const char *const *const pins[] = {NULL, pin1, pin2, pin3};
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *key = NULL;
    g_autofree char *canonical = NULL;
    domains_spec spec = {0};
    uint8_t sel;

    if (size < 1)
        return 0;
    sel = data[0];
    domains_set_kvm_override(sel & 1);
    spec.name = "vexp-fuzz";
    spec.nic = nics[(sel >> 1) & 3];
    spec.vcpus = (sel >> 3) & 3;
    spec.vcpu_pin = pins[spec.vcpus];
    spec.emulator_pin = (sel & 0x20) ? "0" : NULL;
    spec.bridge = (sel & 0x40) ? "br0" : NULL;
    spec.tap = (sel & 0x40) ? "vx0" : NULL;
    spec.memory_mib = (sel & 0x80) ? 256 : 0;
    spec.kernel = (sel & 0x80) ? "/k/vmlinuz" : NULL;
    spec.cmdline = (sel & 0x80) ? "console=ttyS0 vexp.ip=198.18.0.10/15" : NULL;
    spec.console_log = (sel & 0x10) ? "/tmp/console.log" : NULL;
    spec.image_id = (sel & 0x10) ? "sha256:00" : NULL;
    spec.disk = (sel & 0x08) ? "/images/x.qcow2" : NULL;
    spec.machine = (sel & 0x04) ? "q35" : NULL;
    if (domains_render_buffer((const char *)data + 1, size - 1, "fuzz.xml", &spec, &xml, &key,
                              &canonical, &error))
        g_assert(xml != NULL && key != NULL && canonical != NULL);
    else
        g_assert(error != NULL && error->message != NULL);
    return 0;
}
