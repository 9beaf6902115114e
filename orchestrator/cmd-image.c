/* SPDX-License-Identifier: MIT */
/* vexp image build: the default guest (kernel + initramfs) from Debian packages. */
#include "vexp-config.h"

#include <stdio.h>
#include <string.h>

#include "image.h"
#include "vexp.h"

static int cmd_image(int argc, char **argv)
{
    g_autofree char *outdir = NULL, *workdir = NULL, *summary = NULL;
    GOptionEntry entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &outdir,
         "Output directory (default: vexp's data directory)", "DIR"},
        {"workdir", 0, 0, G_OPTION_ARG_FILENAME, &workdir,
         "Cache for downloaded packages (default: vexp's cache directory)", "DIR"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("build");
    g_autoptr(GError) error = NULL;
    int rc;

    g_option_context_set_summary(
        ctx, "Build the default guest from Debian packages: Debian's kernel and an initramfs\n"
             "with busybox, dropbear, the NIC driver modules and generated SSH keys.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if ((rc = vexp_parse_options(ctx, &argc, &argv)) >= 0)
        return rc;
    if (argc != 2 || strcmp(argv[1], "build")) {
        fprintf(stderr, "vexp image: expected 'vexp image build [-o DIR]'\n");
        return VEXP_EXIT_USAGE;
    }
    const char *dir = outdir ? outdir : image_default_dir();
    fprintf(stderr, "vexp: building the default guest image into %s\n", dir);
    if (!image_build(dir, workdir, &summary, &error))
        return vexp_report_error(error);
    printf("%s\n", summary ? summary : dir);
    return VEXP_EXIT_OK;
}

const vexp_cmd vexp_cmd_image = {"image", cmd_image,
                                 "build the default guest image from Debian packages"};
