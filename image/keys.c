/* SPDX-License-Identifier: MIT */
/* image: the guest's dropbear host key and root's client key, generated once. */

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "image-priv.h"

/* ---- keys ------------------------------------------------------------------- */

/* "TYPE BASE64" from `dropbearkey -y -f KEY` */
static char *dropbear_public(const char *key, GError **error)
{
    g_autofree char *out = NULL;
    const char *argv[] = {"dropbearkey", "-y", "-f", key, NULL};

    if (!image_run_tool(argv, NULL, &out, error))
        return NULL;
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    for (char **l = lines; *l; l++) {
        g_auto(GStrv) f = g_strsplit(*l, " ", 3);
        if (g_str_has_prefix(*l, "ssh-") && f[0] && f[1])
            return g_strdup_printf("%s %s", f[0], f[1]);
    }
    g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV, "dropbearkey printed no public key for '%s'",
                key);
    return NULL;
}

static const char *dropbearconvert_path(void)
{
    /* Debian keeps it out of PATH */
    return g_file_test("/usr/lib/dropbear/dropbearconvert", G_FILE_TEST_IS_EXECUTABLE)
               ? "/usr/lib/dropbear/dropbearconvert"
               : "dropbearconvert";
}

gboolean image_ensure_host_key(const char *outdir, char **ret_pub, GError **error)
{
    g_autofree char *key = g_build_filename(outdir, "host_key", NULL);
    g_autofree char *pubpath = g_build_filename(outdir, "host_key.pub", NULL);

    if (!g_file_test(key, G_FILE_TEST_EXISTS)) {
        g_autofree char *tmp = g_strconcat(key, ".tmp", NULL);
        const char *argv[] = {"dropbearkey", "-t", "ed25519", "-f", tmp, NULL};
        g_unlink(tmp);
        if (!image_run_tool(argv, NULL, NULL, error))
            return FALSE;
        if (g_chmod(tmp, 0600) < 0 || g_rename(tmp, key) < 0) {
            int e = errno;
            g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV, "failed to store host key '%s': %s",
                        key, g_strerror(e));
            return FALSE;
        }
    }
    g_autofree char *pub = dropbear_public(key, error);
    if (!pub)
        return FALSE;
    g_autofree char *line = g_strdup_printf("%s vexp-guest\n", pub);
    if (!image_write_file(pubpath, line, strlen(line), 0644, error))
        return FALSE;
    *ret_pub = g_steal_pointer(&pub);
    return TRUE;
}

gboolean image_ensure_client_key(const char *outdir, const char *workdir, char **ret_pub,
                                 GError **error)
{
    g_autofree char *key = g_build_filename(outdir, "client_key", NULL);
    g_autofree char *pubpath = g_build_filename(outdir, "client_key.pub", NULL);
    g_autofree char *dbkey = g_build_filename(workdir, "client_key.dropbear", NULL);
    const char *conv = dropbearconvert_path();

    g_unlink(dbkey);
    if (!g_file_test(key, G_FILE_TEST_EXISTS)) {
        g_autofree char *tmp = g_strconcat(key, ".tmp", NULL);
        const char *gen_argv[] = {"dropbearkey", "-t", "ed25519", "-f", dbkey, NULL};
        const char *conv_argv[] = {conv, "dropbear", "openssh", dbkey, tmp, NULL};
        g_unlink(tmp);
        if (!image_run_tool(gen_argv, NULL, NULL, error) ||
            !image_run_tool(conv_argv, NULL, NULL, error))
            return FALSE;
        if (g_chmod(tmp, 0600) < 0 || g_rename(tmp, key) < 0) {
            int e = errno;
            g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV, "failed to store client key '%s': %s",
                        key, g_strerror(e));
            return FALSE;
        }
    } else {
        const char *conv_argv[] = {conv, "openssh", "dropbear", key, dbkey, NULL};
        if (!image_run_tool(conv_argv, NULL, NULL, error))
            return FALSE;
    }
    g_autofree char *pub = dropbear_public(dbkey, error);
    g_unlink(dbkey);
    if (!pub)
        return FALSE;
    g_autofree char *line = g_strdup_printf("%s vexp-client\n", pub);
    if (!image_write_file(pubpath, line, strlen(line), 0644, error))
        return FALSE;
    *ret_pub = g_steal_pointer(&pub);
    return TRUE;
}

/* OpenSSH-style "SHA256:<base64 without padding>" of "TYPE BASE64" */
char *image_key_fingerprint(const char *pub)
{
    g_auto(GStrv) f = g_strsplit(pub, " ", 3);
    gsize len = 0;

    if (!f[0] || !f[1])
        return NULL;
    g_autofree guchar *blob = g_base64_decode(f[1], &len);
    guint8 digest[32];
    gsize dlen = sizeof(digest);
    g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(ck, blob, len);
    g_checksum_get_digest(ck, digest, &dlen);
    g_autofree char *b64 = g_base64_encode(digest, dlen);
    char *eq = strchr(b64, '=');
    if (eq)
        *eq = '\0';
    return g_strconcat("SHA256:", b64, NULL);
}
