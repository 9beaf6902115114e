/* SPDX-License-Identifier: MIT */
/* domains/image.c: loading an image directory (unit); building it twice, reproducibly (e2e). */
#include "vexp-config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "image.h"
#include "sshlink.h"

static const char *const image_files[] = {
    "vmlinuz", "initramfs.img", "client_key", "host_key.pub", "manifest",
};

static const char good_manifest[] = "[image]\n"
                                    "format=1\n"
                                    "kernel-release=6.1.0-56-amd64\n"
                                    "host-key-fingerprint=SHA256:abc\n";

static char *tmpdir;

static void tmp_setup(void)
{
    tmpdir = g_dir_make_tmp("vexp-test-image-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
}

static void tmp_teardown(void)
{
    const char *argv[] = {"rm", "-rf", "--", tmpdir, NULL};

    g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
                 NULL);
    g_clear_pointer(&tmpdir, g_free);
}

/* All image files, the manifest with the given text. */
static void make_image(const char *manifest, const char *skip)
{
    for (gsize i = 0; i < G_N_ELEMENTS(image_files); i++) {
        g_autofree char *p = g_build_filename(tmpdir, image_files[i], NULL);
        if (skip && strcmp(skip, image_files[i]) == 0)
            continue;
        ck_assert(
            g_file_set_contents(p, strcmp(image_files[i], "manifest") ? "x" : manifest, -1, NULL));
    }
}

START_TEST(test_load_ok)
{
    g_autoptr(GError) error = NULL;

    make_image(good_manifest, NULL);
    g_autoptr(vexp_image) img = image_load(tmpdir, &error);
    ck_assert_msg(img, "%s", error ? error->message : "");
    ck_assert_str_eq(img->kernel_release, "6.1.0-56-amd64");
    ck_assert_str_eq(img->host_key_fingerprint, "SHA256:abc");
    g_autofree char *k = g_build_filename(tmpdir, "vmlinuz", NULL);
    ck_assert_str_eq(img->kernel, k);
}
END_TEST

/* Each missing file: IMAGE_ERROR_MISSING naming it and `vexp image build`. */
START_TEST(test_load_missing)
{
    g_autoptr(GError) error = NULL;

    make_image(good_manifest, image_files[_i]);
    g_autoptr(vexp_image) img = image_load(tmpdir, &error);
    ck_assert_ptr_null(img);
    ck_assert(g_error_matches(error, IMAGE_ERROR, IMAGE_ERROR_MISSING));
    ck_assert_msg(strstr(error->message, image_files[_i]) &&
                      strstr(error->message, "vexp image build"),
                  "%s", error->message);
}
END_TEST

static const char *const bad_manifests[] = {
    "not a key file",
    "[image]\nformat=2\nkernel-release=x\nhost-key-fingerprint=y\n",
    "[image]\nformat=1\nhost-key-fingerprint=y\n",
    "[image]\nformat=1\nkernel-release=x\n",
};

START_TEST(test_load_bad_manifest)
{
    g_autoptr(GError) error = NULL;

    make_image(bad_manifests[_i], NULL);
    g_autoptr(vexp_image) img = image_load(tmpdir, &error);
    ck_assert_ptr_null(img);
    ck_assert(g_error_matches(error, IMAGE_ERROR, IMAGE_ERROR_INPUT));
    ck_assert_msg(strstr(error->message, "manifest"), "%s", error->message);
}
END_TEST

START_TEST(test_default_dirs)
{
    ck_assert(g_path_is_absolute(image_default_dir()));
    ck_assert(g_path_is_absolute(image_default_workdir()));
    ck_assert_str_ne(image_default_dir(), image_default_workdir());
}
END_TEST

/* ---- e2e: real packages ------------------------------------------------------ */

static char *file_sha256(const char *dir, const char *name)
{
    g_autofree char *p = g_build_filename(dir, name, NULL);
    g_autofree char *data = NULL;
    gsize len = 0;

    ck_assert_msg(g_file_get_contents(p, &data, &len, NULL), "cannot read '%s'", p);
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)data, len);
}

static void copy_file(const char *from_dir, const char *to_dir, const char *name)
{
    g_autofree char *a = g_build_filename(from_dir, name, NULL);
    g_autofree char *b = g_build_filename(to_dir, name, NULL);
    g_autofree char *data = NULL;
    gsize len = 0;

    ck_assert(g_file_get_contents(a, &data, &len, NULL));
    ck_assert(g_file_set_contents_full(b, data, (gssize)len, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
}

/* Build, build again into another directory with the same keys: same bytes. */
START_TEST(test_build_reproducible)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *a = g_build_filename(tmpdir, "a", NULL);
    g_autofree char *b = g_build_filename(tmpdir, "b", NULL);
    g_autofree char *summary = NULL;
    const char *workdir = g_getenv("VEXP_IMAGE_WORKDIR");

    ck_assert_msg(image_build(a, workdir, &summary, &error), "%s", error ? error->message : "");
    fprintf(stderr, "%s\n", summary);
    g_mkdir_with_parents(b, 0755);
    copy_file(a, b, "host_key");
    copy_file(a, b, "client_key");
    ck_assert_msg(image_build(b, workdir, NULL, &error), "%s", error ? error->message : "");

    const char *same[] = {"vmlinuz", "initramfs.img", "host_key.pub", "client_key.pub", "manifest"};
    for (gsize i = 0; i < G_N_ELEMENTS(same); i++) {
        g_autofree char *ha = file_sha256(a, same[i]);
        g_autofree char *hb = file_sha256(b, same[i]);
        ck_assert_msg(strcmp(ha, hb) == 0, "'%s' differs between two builds", same[i]);
    }

    g_autoptr(vexp_image) img = image_load(a, &error);
    ck_assert_msg(img, "%s", error ? error->message : "");
    g_autofree char *pub = NULL;
    ck_assert(g_file_get_contents(img->host_key_pub, &pub, NULL, NULL));
    g_autofree char *fp = sshlink_key_fingerprint(pub, &error);
    ck_assert_msg(fp, "%s", error ? error->message : "");
    ck_assert_str_eq(fp, img->host_key_fingerprint);

    /* private keys stay private */
    GStatBuf st;
    ck_assert_int_eq(g_stat(img->client_key, &st), 0);
    ck_assert_uint_eq(st.st_mode & 077, 0);

    /* small: kernel + initramfs under 15 MB */
    GStatBuf sk, si;
    ck_assert_int_eq(g_stat(img->kernel, &sk), 0);
    ck_assert_int_eq(g_stat(img->initrd, &si), 0);
    ck_assert_int_lt(sk.st_size + si.st_size, 15 * 1000 * 1000);

    /* what the archive holds, as GNU cpio reads it */
    g_autofree char *script = g_strdup_printf("gzip -dc < '%s' | cpio -it --quiet", img->initrd);
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    g_autofree char *list = NULL;
    int status = -1;
    ck_assert(g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL, &list, NULL, &status, NULL));
    ck_assert_int_eq(status, 0);
    g_auto(GStrv) entries = g_strsplit(list, "\n", -1);
    const char *want[] = {
        "init",
        "bin/busybox",
        "bin/sh",
        "usr/sbin/dropbear",
        "dev/console",
        "etc/dropbear/dropbear_ed25519_host_key",
        "root/.ssh/authorized_keys",
        "lib/x86_64-linux-gnu/libc.so.6",
        "lib64/ld-linux-x86-64.so.2",
        "lib/modules/virtio_net.ko",
        "lib/modules/virtio_pci.ko",
        "lib/modules/e1000.ko",
        "lib/modules/8139cp.ko",
        "lib/modules/vmxnet3.ko",
        "lib/modules/mii.ko",
        "lib/modules/net_failover.ko",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(want); i++)
        ck_assert_msg(g_strv_contains((const char *const *)entries, want[i]),
                      "'%s' is not in the initramfs", want[i]);
}
END_TEST

int main(int argc, char **argv)
{
    gboolean e2e = argc > 1 && strcmp(argv[1], "e2e") == 0;
    Suite *s = suite_create(e2e ? "image-e2e" : "image");
    TCase *tc = tcase_create(e2e ? "build" : "load");

    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    if (e2e) {
        g_autofree char *apt = g_find_program_in_path("apt-get");
        g_autofree char *dbk = g_find_program_in_path("dropbearkey");
        if (!apt || !dbk) {
            fprintf(stderr, "skip: needs apt-get and dropbear-bin\n");
            return 77;
        }
        tcase_set_timeout(tc, 600);
        tcase_add_test(tc, test_build_reproducible);
    } else {
        tcase_add_test(tc, test_load_ok);
        tcase_add_loop_test(tc, test_load_missing, 0, G_N_ELEMENTS(image_files));
        tcase_add_loop_test(tc, test_load_bad_manifest, 0, G_N_ELEMENTS(bad_manifests));
        tcase_add_test(tc, test_default_dirs);
    }
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
