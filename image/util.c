/* SPDX-License-Identifier: MIT */
/* image: spawning tools, reading and writing files for the builder. */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

#include "image-priv.h"

/* ---- spawning tools ---------------------------------------------------- */

/* Run argv (searched in PATH) in cwd; ret_out gets stdout.  The error quotes
 * the command and the tail of its stderr. */
gboolean image_run_tool(const char *const *argv, const char *cwd, char **ret_out, GError **error)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *cmd = g_strjoinv(" ", (char **)argv);
    g_auto(GStrv) env = g_get_environ();
    int status = 0;
    g_autoptr(GError) local = NULL;

    env = g_environ_setenv(env, "LC_ALL", "C", TRUE);
    if (!g_spawn_sync(cwd, (char **)argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                      &local)) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV, "failed to run '%s': %s", cmd,
                    local->message);
        return FALSE;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        g_strstrip(err);
        gsize len = strlen(err);
        const char *tail = len > 400 ? err + len - 400 : err;
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV, "'%s' failed (status %d): %s", cmd,
                    WIFEXITED(status) ? WEXITSTATUS(status) : -1, tail);
        return FALSE;
    }
    if (ret_out)
        *ret_out = g_steal_pointer(&out);
    return TRUE;
}

gboolean image_mkdir_p(const char *path, int mode, GError **error)
{
    if (g_mkdir_with_parents(path, mode) < 0) {
        int e = errno;
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV, "failed to create directory '%s': %s",
                    path, g_strerror(e));
        return FALSE;
    }
    return TRUE;
}

gboolean image_read_file(const char *path, char **ret_data, gsize *ret_len, GError **error)
{
    GStatBuf st;
    g_autoptr(GError) local = NULL;

    if (g_stat(path, &st) == 0 && (guint64)st.st_size > IMAGE_MAX_FILE_SIZE) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_INPUT,
                    "file '%s' is too large (%" G_GUINT64_FORMAT " bytes)", path,
                    (guint64)st.st_size);
        return FALSE;
    }
    if (!g_file_get_contents(path, ret_data, ret_len, &local)) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV, "%s", local->message);
        return FALSE;
    }
    return TRUE;
}

gboolean image_write_file(const char *path, const void *data, gsize len, int mode, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (!g_file_set_contents_full(path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, mode,
                                  &local)) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV, "%s", local->message);
        return FALSE;
    }
    return TRUE;
}

char *image_sha256_file(const char *path, GError **error)
{
    g_autofree char *data = NULL;
    gsize len = 0;

    if (!image_read_file(path, &data, &len, error))
        return NULL;
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, len);
}
