/* SPDX-License-Identifier: MIT */
/* image: the default guest image directory: where it lives, loading it. */

#include <unistd.h>

#include "image-priv.h"

GQuark image_error_quark(void)
{
    return g_quark_from_static_string("vexp-image-error");
}

const char *image_default_dir(void)
{
    static gsize once;
    static char *dir;

    if (g_once_init_enter(&once)) {
        if (geteuid() == 0)
            dir = g_strdup("/var/lib/vexp/image");
        else
            dir = g_build_filename(g_get_user_data_dir(), "vexp", "image", NULL);
        g_once_init_leave(&once, 1);
    }
    return dir;
}

const char *image_default_workdir(void)
{
    static gsize once;
    static char *dir;

    if (g_once_init_enter(&once)) {
        if (geteuid() == 0)
            dir = g_strdup("/var/cache/vexp/image-build");
        else
            dir = g_build_filename(g_get_user_cache_dir(), "vexp", "image-build", NULL);
        g_once_init_leave(&once, 1);
    }
    return dir;
}

/* ---- load ----------------------------------------------------------------- */

void image_free(vexp_image *img)
{
    if (!img)
        return;
    g_free(img->dir);
    g_free(img->kernel);
    g_free(img->initrd);
    g_free(img->client_key);
    g_free(img->host_key_pub);
    g_free(img->manifest);
    g_free(img->kernel_release);
    g_free(img->host_key_fingerprint);
    g_free(img);
}

vexp_image *image_load(const char *dir, GError **error)
{
    g_autoptr(vexp_image) img = g_new0(vexp_image, 1);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) local = NULL;

    if (!dir)
        dir = image_default_dir();
    img->dir = g_strdup(dir);
    img->kernel = g_build_filename(dir, "vmlinuz", NULL);
    img->initrd = g_build_filename(dir, "initramfs.img", NULL);
    img->client_key = g_build_filename(dir, "client_key", NULL);
    img->host_key_pub = g_build_filename(dir, "host_key.pub", NULL);
    img->manifest = g_build_filename(dir, "manifest", NULL);
    const char *need[] = {img->manifest, img->kernel, img->initrd, img->client_key,
                          img->host_key_pub};
    for (gsize i = 0; i < G_N_ELEMENTS(need); i++) {
        if (!g_file_test(need[i], G_FILE_TEST_IS_REGULAR)) {
            g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_MISSING,
                        "guest image file '%s' is missing; run 'vexp image build -o %s'", need[i],
                        dir);
            return NULL;
        }
    }
    if (!g_key_file_load_from_file(kf, img->manifest, G_KEY_FILE_NONE, &local)) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_INPUT,
                    "cannot read image manifest '%s': %s; run 'vexp image build -o %s'",
                    img->manifest, local->message, dir);
        return NULL;
    }
    gint format = g_key_file_get_integer(kf, IMAGE_MANIFEST_GROUP, "format", NULL);
    img->kernel_release = g_key_file_get_string(kf, IMAGE_MANIFEST_GROUP, "kernel-release", NULL);
    img->host_key_fingerprint =
        g_key_file_get_string(kf, IMAGE_MANIFEST_GROUP, "host-key-fingerprint", NULL);
    if (format != IMAGE_FORMAT || !img->kernel_release || !img->host_key_fingerprint) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_INPUT,
                    "image manifest '%s' is not format %d with kernel-release and "
                    "host-key-fingerprint; run 'vexp image build -o %s'",
                    img->manifest, IMAGE_FORMAT, dir);
        return NULL;
    }
    return g_steal_pointer(&img);
}
