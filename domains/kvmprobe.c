/* SPDX-License-Identifier: MIT */
/* Does KVM really run guests here?  /dev/kvm can exist and answer while guests
 * hang (broken nested KVM); QEMU's stderr says which way a probe failed. */
#include "vexp-config.h"

#include <errno.h>
#include <fcntl.h>
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

/* The last lines QEMU wrote on stderr, one line, at most ~400 bytes; g_free(). */
static char *stderr_tail(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
    g_autoptr(GPtrArray) keep = g_ptr_array_new();
    g_autofree char *joined = NULL;
    guint n = g_strv_length(lines);

    for (guint i = n; i > 0 && keep->len < 3; i--) {
        char *l = g_strstrip(lines[i - 1]);
        if (*l)
            g_ptr_array_insert(keep, 0, l);
    }
    if (keep->len == 0)
        return NULL;
    g_ptr_array_add(keep, NULL);
    joined = g_strjoinv(" | ", (char **)keep->pdata);
    if (strlen(joined) > 400)
        return g_strdup_printf("...%s", joined + strlen(joined) - 400);
    return g_steal_pointer(&joined);
}

char *domains_kvm_probe_verdict(gboolean banner, gboolean exited, int status,
                                const char *qemu_stderr, unsigned timeout_s)
{
    g_autofree char *tail = stderr_tail(qemu_stderr);
    g_autofree char *how = NULL;

    if (banner)
        return g_strdup("a guest kernel started under KVM");
    if (!exited)
        return tail ? g_strdup_printf("QEMU ran but the guest kernel printed no banner within %u s "
                                      "under KVM (guest code stuck or emulated: broken nested "
                                      "virtualisation?); QEMU's stderr: %s",
                                      timeout_s, tail)
                    : g_strdup_printf("QEMU ran but the guest kernel printed no banner within %u s "
                                      "under KVM (guest code stuck or emulated: broken nested "
                                      "virtualisation?); QEMU printed nothing on stderr",
                                      timeout_s);
    if (WIFSIGNALED(status))
        how = g_strdup_printf("killed by signal %d (%s)", WTERMSIG(status),
                              g_strsignal(WTERMSIG(status)));
    else
        how = g_strdup_printf("exit status %d", WEXITSTATUS(status));
    return tail
               ? g_strdup_printf("QEMU stopped before the guest kernel started (%s): %s", how, tail)
               : g_strdup_printf("QEMU stopped before the guest kernel started (%s) and printed "
                                 "nothing on stderr",
                                 how);
}

static gboolean boots_under_kvm(const char *kernel, const char *workdir, unsigned timeout_s,
                                char **ret_detail)
{
    g_autofree char *log = g_build_filename(workdir, "kvm-probe.log", NULL);
    /* kept after the probe: the whole of what QEMU said */
    g_autofree char *errlog = g_build_filename(workdir, "kvm-probe.stderr", NULL);
    g_autofree char *serial = g_strdup_printf("file:%s", log);
    g_autofree char *errtext = NULL;
    const char *argv[] = {
        "qemu-system-x86_64",
        "-accel",
        "kvm",
        "-cpu",
        "host",
        "-m",
        "128",
        "-nodefaults",
        "-display",
        "none",
        "-no-reboot",
        "-serial",
        serial,
        "-kernel",
        kernel,
        "-append",
        "console=ttyS0 earlyprintk=serial,ttyS0 panic=-1 rdinit=/vexp-kvm-probe",
        NULL,
    };
    g_autoptr(GError) error = NULL;
    GPid pid = 0;
    gboolean banner = FALSE, exited = FALSE;
    int status = 0, errfd;
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;

    unlink(log);
    errfd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (errfd < 0) {
        *ret_detail = g_strdup_printf("cannot create '%s': %s", errlog, g_strerror(errno));
        return FALSE;
    }
    if (!g_spawn_async_with_fds(NULL, (char **)argv, NULL,
                                G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                                    G_SPAWN_STDOUT_TO_DEV_NULL,
                                NULL, NULL, &pid, -1, -1, errfd, &error)) {
        close(errfd);
        *ret_detail = g_strdup_printf("cannot start QEMU: %s", error->message);
        return FALSE;
    }
    close(errfd);
    while (g_get_monotonic_time() < deadline) {
        g_autofree char *text = NULL;
        if (g_file_get_contents(log, &text, NULL, NULL) && strstr(text, KERNEL_BANNER)) {
            banner = TRUE;
            break;
        }
        if (waitpid(pid, &status, WNOHANG) == pid) {
            pid = 0;
            exited = TRUE;
            /* it may have exited right after printing */
            g_clear_pointer(&text, g_free);
            banner = g_file_get_contents(log, &text, NULL, NULL) && strstr(text, KERNEL_BANNER);
            break;
        }
        g_usleep(100000);
    }
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    g_file_get_contents(errlog, &errtext, NULL, NULL);
    *ret_detail = domains_kvm_probe_verdict(banner, exited, status, errtext, timeout_s);
    unlink(log);
    return banner;
}

gboolean domains_accel_probe(const char *kernel, const char *state_dir, char **ret_detail)
{
    g_autofree char *cache = NULL, *cached = NULL, *id = boot_id(), *detail = NULL;
    gboolean ok;

    if (!domains_kvm_check(&detail)) {
        if (ret_detail)
            *ret_detail = g_steal_pointer(&detail);
        return FALSE;
    }
    g_clear_pointer(&detail, g_free);
    g_mkdir_with_parents(state_dir, 0755);
    cache = g_build_filename(state_dir, "kvm-probe", NULL);
    /* "BOOT_ID ok" or "BOOT_ID broken WHY" */
    if (g_file_get_contents(cache, &cached, NULL, NULL)) {
        g_auto(GStrv) f = g_strsplit(g_strstrip(cached), " ", 3);
        if (f[0] && f[1] && !strcmp(f[0], id)) {
            ok = !strcmp(f[1], "ok");
            detail = ok ? g_strdup("KVM runs guests (checked earlier since boot)")
                        : g_strdup_printf("KVM does not run guests here (checked earlier since "
                                          "boot: %s; delete '%s' to check again)",
                                          f[2] ? f[2] : "no reason recorded", cache);
            if (!ok)
                domains_kvm_set_broken(detail);
            if (ret_detail)
                *ret_detail = g_steal_pointer(&detail);
            return ok;
        }
    }
    ok = boots_under_kvm(kernel, state_dir, 20, &detail);
    {
        g_autofree char *oneline = g_strdelimit(g_strdup(detail), "\n", ' ');
        g_autofree char *line = g_strdup_printf("%s %s%s%s\n", id, ok ? "ok" : "broken",
                                                ok ? "" : " ", ok ? "" : oneline);
        g_file_set_contents(cache, line, -1, NULL);
    }
    if (!ok)
        domains_kvm_set_broken(detail);
    if (ret_detail)
        *ret_detail = g_steal_pointer(&detail);
    return ok;
}
