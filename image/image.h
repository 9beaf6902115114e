/* SPDX-License-Identifier: MIT */
/* image: the default guest (Debian kernel + busybox/dropbear initramfs), built and loaded. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The default guest, built by `vexp image build` from Debian packages.  The
 * image directory holds vmlinuz, initramfs.img, client_key (root's key,
 * OpenSSH format, 0600) + client_key.pub, host_key (dropbear, 0600) +
 * host_key.pub (pin it: "ssh-ed25519 BASE64 vexp-guest") and manifest.
 * Boot it with the kernel command line
 *     console=ttyS0 vexp.ip=ADDR/PREFIX [vexp.gw=ADDR]
 * The guest's interface is eth0; dropbear listens on port 22 for root.
 */
#define IMAGE_ERROR (image_error_quark())
GQuark image_error_quark(void);
typedef enum {
    IMAGE_ERROR_MISSING, /* no (complete) image: run `vexp image build` (exit 3) */
    IMAGE_ERROR_INPUT,   /* a package or file is not what it should be (exit 2) */
    IMAGE_ERROR_ENV,     /* apt-get, dpkg-deb, dropbearkey, gzip, files (exit 3) */
} image_error_code;

typedef struct vexp_image {
    char *dir;
    char *kernel;               /* DIR/vmlinuz */
    char *initrd;               /* DIR/initramfs.img */
    char *client_key;           /* DIR/client_key: identity for user "root" */
    char *host_key_pub;         /* DIR/host_key.pub: the pinned host key */
    char *manifest;             /* DIR/manifest (GKeyFile, group [image]) */
    char *kernel_release;       /* e.g. "6.1.0-56-amd64" */
    char *host_key_fingerprint; /* "SHA256:..." as OpenSSH prints it */
} vexp_image;

/*
 * Build the image into outdir (NULL = image_default_dir()).
 * workdir caches the downloaded .debs and their extracted trees (NULL =
 * image_default_workdir()).  Needs apt-get (package lists), dpkg-deb,
 * dropbearkey, dropbearconvert and gzip.  The keys in outdir are reused when
 * present, so a rebuild from the same packages gives the same initramfs.img
 * (same SHA-256).  ret_summary (may be NULL): one line for the user; g_free().
 */
gboolean image_build(const char *outdir, const char *workdir, char **ret_summary, GError **error);
/* Check the files exist and read the manifest.  IMAGE_ERROR_MISSING
 * tells the user to run `vexp image build`.  Free with image_free(). */
vexp_image *image_load(const char *dir, GError **error);
/* Accepts NULL. */
void image_free(vexp_image *img);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vexp_image, image_free)
/* /var/lib/vexp/image as root, else $XDG_DATA_HOME/vexp/image.  Static string. */
const char *image_default_dir(void);
/* /var/cache/vexp/image-build as root, else $XDG_CACHE_HOME/vexp/image-build.  Static. */
const char *image_default_workdir(void);

G_END_DECLS
