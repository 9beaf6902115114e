/* SPDX-License-Identifier: MIT */
/* Does KVM really run guests here?  /dev/kvm can exist and answer while guests
 * hang (broken nested KVM). */
#include "vexp-config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "domains-priv.h"

/* the kernel prints this once it runs in protected/long mode (earlyprintk) */
#define KERNEL_BANNER "Linux version"

static char *boot_id(void)
{
    char *id = NULL;

    if (!g_file_get_contents("/proc/sys/kernel/random/boot_id", &id, NULL, NULL))
        return g_strdup("unknown");
    return g_strstrip(id);
}

static gboolean boots_under_kvm(const char *kernel, const char *workdir, unsigned timeout_s,
                                char **ret_detail)
{
    g_autofree char *log = g_build_filename(workdir, "kvm-probe.log", NULL);
    g_autofree char *serial = g_strdup_printf("file:%s", log);
    const char *argv[] = {
        "qemu-system-x86_64", "-accel", "kvm", "-cpu", "host", "-m", "128", "-nodefaults",
        "-display", "none", "-no-reboot", "-serial", serial, "-kernel", kernel, "-append",
        "console=ttyS0 earlyprintk=serial,ttyS0 panic=-1 rdinit=/vexp-kvm-probe", NULL,
    };
    g_autoptr(GError) error = NULL;
    GPid pid = 0;
    gboolean ok = FALSE;
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;

    unlink(log);
    if (!g_spawn_async(NULL, (char **)argv, NULL,
                       G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                           G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                       NULL, NULL, &pid, &error)) {
        *ret_detail = g_strdup_printf("cannot start QEMU: %s", error->message);
        return FALSE;
    }
    while (g_get_monotonic_time() < deadline) {
        g_autofree char *text = NULL;
        int status;
        if (g_file_get_contents(log, &text, NULL, NULL) && strstr(text, KERNEL_BANNER)) {
            ok = TRUE;
            break;
        }
        if (waitpid(pid, &status, WNOHANG) == pid) {
            pid = 0;
            /* it may have exited right after printing */
            g_clear_pointer(&text, g_free);
            ok = g_file_get_contents(log, &text, NULL, NULL) && strstr(text, KERNEL_BANNER);
            break;
        }
        g_usleep(100000);
    }
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    *ret_detail = ok ? g_strdup("a guest kernel started under KVM")
                     : g_strdup_printf("a guest kernel did not start under KVM within %u s "
                                       "(broken nested virtualisation?)",
                                       timeout_s);
    unlink(log);
    return ok;
}

gboolean domains_accel_probe(const char *kernel, const char *state_dir, char **ret_detail)
{
    g_autofree char *cache = NULL, *cached = NULL, *id = boot_id(), *detail = NULL;
    gboolean ok;

    if (!domains_kvm_usable()) {
        if (ret_detail)
            *ret_detail = g_strdup("no usable /dev/kvm");
        return FALSE;
    }
    g_mkdir_with_parents(state_dir, 0755);
    cache = g_build_filename(state_dir, "kvm-probe", NULL);
    if (g_file_get_contents(cache, &cached, NULL, NULL)) {
        g_auto(GStrv) f = g_strsplit(g_strstrip(cached), " ", 2);
        if (f[0] && f[1] && !strcmp(f[0], id)) {
            ok = !strcmp(f[1], "ok");
            if (!ok)
                domains_set_kvm_override(0);
            if (ret_detail)
                *ret_detail = g_strdup(ok ? "KVM runs guests (checked earlier since boot)"
                                          : "KVM does not run guests here (checked earlier "
                                            "since boot; delete the cache file to check again)");
            return ok;
        }
    }
    ok = boots_under_kvm(kernel, state_dir, 20, &detail);
    {
        g_autofree char *line = g_strdup_printf("%s %s\n", id, ok ? "ok" : "broken");
        g_file_set_contents(cache, line, -1, NULL);
    }
    if (!ok)
        domains_set_kvm_override(0);
    if (ret_detail)
        *ret_detail = g_steal_pointer(&detail);
    return ok;
}
