/* SPDX-License-Identifier: MIT */
/* The run lock: taken and released, never through a symlink or another user's file. */
#include "vexp-config.h"

#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runlock.h"

static char *dir;

static void setup(void)
{
    dir = g_dir_make_tmp("vexp-runlock-XXXXXX", NULL);
}

static void teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    g_free(dir);
}

START_TEST(test_take_and_probe)
{
    g_autofree char *store = g_build_filename(dir, "s.db", NULL);
    g_autofree char *lock = g_build_filename(dir, "s.db-run7.lock", NULL);
    g_auto(vexp_run_lock) l = {.fd = -1};
    g_autoptr(GError) error = NULL;
    long owner = -1;

    ck_assert(g_file_set_contents(store, "", 0, NULL));
    ck_assert_msg(vexp_run_lock_take(&l, store, 7, &owner, &error), "%s", error->message);
    ck_assert(g_file_test(lock, G_FILE_TEST_IS_REGULAR));
    /* flock is per open file: a second open in this process sees it held */
    ck_assert_int_eq(vexp_run_lock_probe(store, 7, &owner), VEXP_RUN_LOCK_HELD);
    ck_assert_int_eq(owner, (long)getpid());
    vexp_run_lock_clear(&l);
    ck_assert(!g_file_test(lock, G_FILE_TEST_EXISTS));
    ck_assert_int_eq(vexp_run_lock_probe(store, 7, &owner), VEXP_RUN_LOCK_FREE);
}
END_TEST

START_TEST(test_symlink_refused)
{
    g_autofree char *store = g_build_filename(dir, "s.db", NULL);
    g_autofree char *lock = g_build_filename(dir, "s.db-run1.lock", NULL);
    g_autofree char *victim = g_build_filename(dir, "victim", NULL);
    g_autofree char *content = NULL;
    g_auto(vexp_run_lock) l = {.fd = -1};
    g_autoptr(GError) error = NULL;
    long owner = 0;

    ck_assert(g_file_set_contents(store, "", 0, NULL));
    ck_assert(g_file_set_contents(victim, "precious\n", -1, NULL));
    ck_assert_int_eq(symlink(victim, lock), 0);
    ck_assert(!vexp_run_lock_take(&l, store, 1, &owner, &error));
    ck_assert_msg(strstr(error->message, "s.db-run1.lock") &&
                      strstr(error->message, "it is a symlink; vexp never follows one there"),
                  "%s", error->message);
    fprintf(stderr, "symlinked lock: %s\n", error->message);
    ck_assert(g_file_get_contents(victim, &content, NULL, NULL));
    ck_assert_str_eq(content, "precious\n");
    ck_assert_int_eq(vexp_run_lock_probe(store, 1, &owner), VEXP_RUN_LOCK_UNKNOWN);
}
END_TEST

START_TEST(test_foreign_file_refused)
{
    g_autofree char *store = g_build_filename(dir, "s.db", NULL);
    g_autofree char *lock = g_build_filename(dir, "s.db-run2.lock", NULL);
    g_autofree char *other = g_build_filename(dir, "other", NULL);
    g_auto(vexp_run_lock) l = {.fd = -1};
    g_autoptr(GError) error = NULL;
    long owner = 0;

    ck_assert(g_file_set_contents(store, "", 0, NULL));
    /* a hard link to another file: writing the pid would change that file */
    ck_assert(g_file_set_contents(other, "x", -1, NULL));
    ck_assert_int_eq(link(other, lock), 0);
    ck_assert(!vexp_run_lock_take(&l, store, 2, &owner, &error));
    ck_assert_msg(strstr(error->message, "refusing the run lock") &&
                      strstr(error->message, "2 links"),
                  "%s", error->message);
    fprintf(stderr, "hard-linked lock: %s\n", error->message);
    /* another user's file (as root: chown it away) */
    ck_assert_int_eq(unlink(lock), 0);
    ck_assert(g_file_set_contents(lock, "", 0, NULL));
    if (geteuid() == 0) {
        ck_assert_int_eq(chown(lock, 65534, 65534), 0);
        g_clear_error(&error);
        ck_assert(!vexp_run_lock_take(&l, store, 2, &owner, &error));
        ck_assert_msg(strstr(error->message, "uid 65534"), "%s", error->message);
        fprintf(stderr, "foreign lock: %s\n", error->message);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("runlock");
    TCase *tc = tcase_create("lock");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_take_and_probe);
    tcase_add_test(tc, test_symlink_refused);
    tcase_add_test(tc, test_foreign_file_refused);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
