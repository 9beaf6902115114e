/* SPDX-License-Identifier: MIT */
/* sshlink: quoting and fingerprints (unit); against a real dropbear on loopback (e2e). */
#include "vexp-config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "sshlink.h"
#include "tests-common.h"

static char *data_path(const char *rel)
{
    return tests_source_path("tests", "data", "image", rel, NULL);
}

/* ---- unit ------------------------------------------------------------------ */

static const struct {
    const char *in, *out;
} quote_cases[] = {
    {"abc", "abc"},
    {"/tmp/vexp-traffic", "/tmp/vexp-traffic"},
    {"a=b,c:d@e%f+g", "a=b,c:d@e%f+g"},
    {"", "''"},
    {"a b", "'a b'"},
    {"it's", "'it'\\''s'"},
    {"'", "''\\'''"},
    {"$(reboot)", "'$(reboot)'"},
    {"`id`;rm -rf /", "'`id`;rm -rf /'"},
    {"a\nb", "'a\nb'"},
    {"*", "'*'"},
    {"~root", "'~root'"},
    {"\\", "'\\'"},
};

START_TEST(test_quote)
{
    g_autofree char *q = sshlink_quote(quote_cases[_i].in);

    ck_assert_str_eq(q, quote_cases[_i].out);
}
END_TEST

/* The quoted word, read back by a real POSIX shell, is the original. */
START_TEST(test_quote_shell)
{
    const char *in = quote_cases[_i].in;
    g_autofree char *q = sshlink_quote(in);
    g_autofree char *script = g_strdup_printf("printf %%s %s", q);
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    g_autofree char *out = NULL;
    int status = -1;
    g_autoptr(GError) error = NULL;

    ck_assert_msg(
        g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL, &out, NULL, &status, &error), "%s",
        error ? error->message : "");
    ck_assert_int_eq(status, 0);
    ck_assert_str_eq(out, in);
}
END_TEST

/* Fingerprints of keys made by ssh-keygen, as ssh-keygen -lf printed them. */
START_TEST(test_fingerprint_fixtures)
{
    g_autofree char *path = data_path("fingerprints.tsv");
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    unsigned n = 0;

    ck_assert_msg(g_file_get_contents(path, &text, NULL, &error), "%s",
                  error ? error->message : "");
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        if (**l == '#' || !**l)
            continue;
        g_auto(GStrv) f = g_strsplit(*l, "\t", 2);
        ck_assert_ptr_nonnull(f[1]);
        g_autofree char *fp = sshlink_key_fingerprint(f[1], &error);
        ck_assert_msg(fp, "%s", error ? error->message : "");
        ck_assert_str_eq(fp, f[0]);
        n++;
    }
    ck_assert_uint_eq(n, 3);
}
END_TEST

START_TEST(test_fingerprint_format)
{
    guint8 zero[32] = {0};
    guint8 ff[3] = {0xff, 0xff, 0xff};
    g_autofree char *a = sshlink_format_fingerprint(zero, sizeof(zero));
    g_autofree char *b = sshlink_format_fingerprint(ff, sizeof(ff));

    /* 32 bytes: 43 base64 characters, the '=' padding dropped */
    ck_assert_str_eq(a, "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    ck_assert_str_eq(b, "SHA256:////");
}
END_TEST

static const char *const bad_keys[] = {
    "", "not a key", "ssh-ed25519", "ssh-unknown AAAAC3NzaC1lZDI1NTE5AAAAIA== x", "ssh-ed25519 !!",
};

START_TEST(test_fingerprint_bad)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *fp = sshlink_key_fingerprint(bad_keys[_i], &error);

    ck_assert_ptr_null(fp);
    ck_assert(g_error_matches(error, SSHLINK_ERROR, SSHLINK_ERROR_INPUT));
}
END_TEST

START_TEST(test_connect_input)
{
    g_autofree char *fixture = data_path("fingerprints.tsv");
    sshlink_options none = {.host = "127.0.0.1", .port = 1};
    sshlink_options nohost = {.host = NULL, .host_key = fixture};
    sshlink_options missing = {.host = "127.0.0.1", .host_key = "/nonexistent/vexp"};
    const sshlink_options *cases[] = {&none, &nohost, &missing};

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(sshlink) ssh = sshlink_connect(cases[i], &error);
        ck_assert_ptr_null(ssh);
        ck_assert_msg(g_error_matches(error, SSHLINK_ERROR, SSHLINK_ERROR_INPUT), "case %zu: %s", i,
                      error ? error->message : "(none)");
    }
}
END_TEST

/* ---- e2e: a real dropbear on 127.0.0.1 ---------------------------------------- */

/*
 * dropbear runs as root in a private mount namespace where a temporary
 * directory is bind-mounted over /root, so it reads our authorized_keys
 * and the host's /root is never touched.  It listens on loopback only.
 */
static char *tmpdir;
static char *host_pub;   /* TMP/host_key.pub */
static char *client_key; /* TMP/client_key (OpenSSH) */
static unsigned port;
static GPid dropbear_pid;

static void run_ok(const char *const *argv)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *err = NULL;
    int status = -1;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                      NULL, NULL, NULL, &err, &status, &error) ||
        !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "setup: '%s' failed: %s %s\n", argv[0], error ? error->message : "",
                err ? err : "");
        exit(EXIT_FAILURE);
    }
}

static char *public_line(const char *dropbear_key)
{
    const char *argv[] = {"dropbearkey", "-y", "-f", dropbear_key, NULL};
    g_autofree char *out = NULL;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL, NULL,
                      NULL))
        return NULL;
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    for (char **l = lines; *l; l++) {
        if (g_str_has_prefix(*l, "ssh-"))
            return g_strdup(*l);
    }
    return NULL;
}

static unsigned free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        perror("setup: free port");
        exit(EXIT_FAILURE);
    }
    close(fd);
    return ntohs(sa.sin_port);
}

static gboolean port_open(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    gboolean ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;

    if (fd >= 0)
        close(fd);
    return ok;
}

static void dropbear_setup(void)
{
    g_autoptr(GError) error = NULL;

    tmpdir = g_dir_make_tmp("vexp-test-ssh-XXXXXX", &error);
    if (!tmpdir) {
        fprintf(stderr, "setup: %s\n", error->message);
        exit(EXIT_FAILURE);
    }
    g_autofree char *home = g_build_filename(tmpdir, "home", NULL);
    g_autofree char *dotssh = g_build_filename(home, ".ssh", NULL);
    g_autofree char *auth = g_build_filename(dotssh, "authorized_keys", NULL);
    g_autofree char *host_key = g_build_filename(tmpdir, "host_key", NULL);
    g_autofree char *client_db = g_build_filename(tmpdir, "client_key.dropbear", NULL);
    host_pub = g_build_filename(tmpdir, "host_key.pub", NULL);
    client_key = g_build_filename(tmpdir, "client_key", NULL);
    g_mkdir_with_parents(dotssh, 0700);
    g_chmod(home, 0700);

    const char *gen_host[] = {"dropbearkey", "-t", "ed25519", "-f", host_key, NULL};
    const char *gen_client[] = {"dropbearkey", "-t", "ed25519", "-f", client_db, NULL};
    const char *conv[] = {
        "/usr/lib/dropbear/dropbearconvert", "dropbear", "openssh", client_db, client_key, NULL};
    run_ok(gen_host);
    run_ok(gen_client);
    run_ok(conv);
    g_autofree char *hp = public_line(host_key);
    g_autofree char *cp = public_line(client_db);
    g_autofree char *hline = g_strconcat(hp, "\n", NULL);
    g_autofree char *cline = g_strconcat(cp, "\n", NULL);
    g_file_set_contents(host_pub, hline, -1, NULL);
    g_file_set_contents(auth, cline, -1, NULL);
    g_chmod(auth, 0600);

    port = free_port();
    g_autofree char *listen = g_strdup_printf("127.0.0.1:%u", port);
    const char *argv[] = {"unshare",
                          "--mount",
                          "--propagation",
                          "private",
                          "--",
                          "/bin/sh",
                          "-c",
                          "mount --bind \"$0\" /root && exec dropbear -F -E -s -j -k -p \"$1\" "
                          "-r \"$2\" 2>/dev/null",
                          home,
                          listen,
                          host_key,
                          NULL};
    if (!g_spawn_async(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                       NULL, NULL, &dropbear_pid, &error)) {
        fprintf(stderr, "setup: dropbear: %s\n", error->message);
        exit(EXIT_FAILURE);
    }
    for (int i = 0; i < 100 && !port_open(); i++)
        g_usleep(50000);
    if (!port_open()) {
        fprintf(stderr, "setup: dropbear does not listen on %s\n", listen);
        exit(EXIT_FAILURE);
    }
}

static void dropbear_teardown(void)
{
    if (dropbear_pid > 0) {
        kill(dropbear_pid, SIGTERM);
        waitpid(dropbear_pid, NULL, 0);
        dropbear_pid = 0;
    }
    const char *argv[] = {"rm", "-rf", "--", tmpdir, NULL};
    g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
                 NULL);
    g_clear_pointer(&tmpdir, g_free);
    g_clear_pointer(&host_pub, g_free);
    g_clear_pointer(&client_key, g_free);
}

static sshlink *connect_pinned(const char *pin, const char *identity, GError **error)
{
    sshlink_options o = {
        .host = "127.0.0.1",
        .port = port,
        .user = "root",
        .identity = identity,
        .host_key = pin,
        .timeout_ms = 5000,
    };
    return sshlink_connect(&o, error);
}

START_TEST(test_e2e_connect_pinned)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(sshlink) ssh = connect_pinned(host_pub, client_key, &error);
    g_autofree char *line = NULL;

    ck_assert_msg(ssh, "%s", error ? error->message : "");
    g_file_get_contents(host_pub, &line, NULL, NULL);
    g_autofree char *want = sshlink_key_fingerprint(line, NULL);
    ck_assert_str_eq(sshlink_host_fingerprint(ssh), want);
}
END_TEST

START_TEST(test_e2e_connect_known_hosts)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *line = NULL;
    g_autofree char *kh = g_build_filename(tmpdir, "known_hosts", NULL);

    g_file_get_contents(host_pub, &line, NULL, NULL);
    g_autofree char *entry = g_strdup_printf("[127.0.0.1]:%u %s", port, line);
    g_file_set_contents(kh, entry, -1, NULL);
    g_autoptr(sshlink) ssh = connect_pinned(kh, client_key, &error);
    ck_assert_msg(ssh, "%s", error ? error->message : "");
}
END_TEST

START_TEST(test_e2e_wrong_pin)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *fixture = data_path("fingerprints.tsv");
    g_autofree char *text = NULL;
    g_autofree char *pin = g_build_filename(tmpdir, "wrong.pub", NULL);

    /* the fixture's ed25519 key: same type, another key */
    g_file_get_contents(fixture, &text, NULL, NULL);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_auto(GStrv) f = g_strsplit(lines[1], "\t", 2);
    g_file_set_contents(pin, f[1], -1, NULL);

    g_autoptr(sshlink) ssh = connect_pinned(pin, client_key, &error);
    ck_assert_ptr_null(ssh);
    ck_assert_msg(g_error_matches(error, SSHLINK_ERROR, SSHLINK_ERROR_HOST_KEY), "%s",
                  error->message);
    /* both fingerprints named */
    g_autofree char *line = NULL;
    g_file_get_contents(host_pub, &line, NULL, NULL);
    g_autofree char *real = sshlink_key_fingerprint(line, NULL);
    ck_assert_msg(strstr(error->message, f[0]) && strstr(error->message, real), "%s",
                  error->message);

    /* a known_hosts file that does not list this host fails too */
    g_autoptr(GError) error2 = NULL;
    g_autofree char *kh = g_build_filename(tmpdir, "known_hosts_other", NULL);
    g_autofree char *entry = g_strdup_printf("[127.0.0.1]:%u %s", port, f[1]);
    g_file_set_contents(kh, entry, -1, NULL);
    g_autoptr(sshlink) ssh2 = connect_pinned(kh, client_key, &error2);
    ck_assert_ptr_null(ssh2);
    ck_assert_msg(g_error_matches(error2, SSHLINK_ERROR, SSHLINK_ERROR_HOST_KEY), "%s",
                  error2->message);
}
END_TEST

START_TEST(test_e2e_wrong_identity)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *other_db = g_build_filename(tmpdir, "other.dropbear", NULL);
    g_autofree char *other = g_build_filename(tmpdir, "other", NULL);
    const char *gen[] = {"dropbearkey", "-t", "ed25519", "-f", other_db, NULL};
    const char *conv[] = {
        "/usr/lib/dropbear/dropbearconvert", "dropbear", "openssh", other_db, other, NULL};

    run_ok(gen);
    run_ok(conv);
    g_autoptr(sshlink) ssh = connect_pinned(host_pub, other, &error);
    ck_assert_ptr_null(ssh);
    ck_assert_msg(g_error_matches(error, SSHLINK_ERROR, SSHLINK_ERROR_AUTH), "%s", error->message);
}
END_TEST

START_TEST(test_e2e_exec)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(sshlink) ssh = connect_pinned(host_pub, client_key, &error);
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int status = -1;

    ck_assert_msg(ssh, "%s", error ? error->message : "");
    ck_assert_msg(
        sshlink_exec(ssh, "echo hello; echo oops >&2; exit 3", 0, &out, &err, &status, &error),
        "%s", error ? error->message : "");
    ck_assert_str_eq(out, "hello\n");
    ck_assert_str_eq(err, "oops\n");
    ck_assert_int_eq(status, 3);

    ck_assert(!sshlink_run(ssh, "echo broken >&2; false", 0, NULL, &error));
    ck_assert(g_error_matches(error, SSHLINK_ERROR, SSHLINK_ERROR_REMOTE));
    ck_assert_msg(strstr(error->message, "broken"), "%s", error->message);
    g_clear_error(&error);

    ck_assert(!sshlink_run(ssh, "sleep 5", 300, NULL, &error));
    ck_assert_msg(g_error_matches(error, SSHLINK_ERROR, SSHLINK_ERROR_TIMEOUT), "%s",
                  error->message);
}
END_TEST

START_TEST(test_e2e_push)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(sshlink) ssh = connect_pinned(host_pub, client_key, &error);
    g_autofree char *local = g_build_filename(tmpdir, "payload", NULL);
    g_autofree char *remote_dir = g_build_filename(tmpdir, "remote dir", NULL);
    g_autofree char *remote = g_build_filename(remote_dir, "it's $x", NULL);
    g_autofree char *back = NULL;
    gsize len = 0;
    GStatBuf st;

    ck_assert_msg(ssh, "%s", error ? error->message : "");
    /* 2 MiB of pseudo-random bytes */
    g_autoptr(GRand) rand = g_rand_new_with_seed(42);
    g_autofree guint32 *data = g_new(guint32, 512 * 1024);
    for (gsize i = 0; i < 512 * 1024; i++)
        data[i] = g_rand_int(rand);
    g_file_set_contents(local, (const char *)data, 2 << 20, NULL);
    g_mkdir_with_parents(remote_dir, 0755);

    gint64 t0 = g_get_monotonic_time();
    ck_assert_msg(sshlink_push(ssh, local, remote, 0755, &error), "%s",
                  error ? error->message : "");
    fprintf(stderr, "push of 2 MiB over loopback: %.3f s\n", (g_get_monotonic_time() - t0) / 1e6);
    ck_assert(g_file_get_contents(remote, &back, &len, NULL));
    ck_assert_uint_eq(len, 2u << 20);
    ck_assert_int_eq(memcmp(back, data, len), 0);
    ck_assert_int_eq(g_stat(remote, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0755);

    /* a target that cannot be written: an error, not a silent success */
    ck_assert(!sshlink_push(ssh, local, "/nonexistent-dir/x", 0755, &error));
    ck_assert_msg(g_error_matches(error, SSHLINK_ERROR, SSHLINK_ERROR_REMOTE), "%s",
                  error->message);
}
END_TEST

/* Issue 15: a local user pre-creates the staging name (mode 666) or the
 * target itself in a sticky world-writable directory; the push must never
 * write through either, and the private push lands in a fresh 0700 dir. */
START_TEST(test_e2e_push_precreated)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(sshlink) ssh = connect_pinned(host_pub, client_key, &error);
    g_autofree char *local = g_build_filename(tmpdir, "engine", NULL);
    g_autofree char *shared = g_build_filename(tmpdir, "shared", NULL);
    g_autofree char *target = g_build_filename(shared, "vexp-traffic-42", NULL);
    g_autofree char *staged = g_strconcat(target, ".vexp-tmp", NULL);
    g_autofree char *theirs = g_build_filename(shared, "theirs", NULL);
    g_autofree char *back = NULL, *remote = NULL, *dir = NULL;
    GStatBuf st;

    ck_assert_msg(ssh, "%s", error ? error->message : "");
    ck_assert(g_file_set_contents(local, "#!/bin/sh\necho engine\n", -1, NULL));
    ck_assert_int_eq(g_mkdir_with_parents(shared, 0755), 0);
    ck_assert_int_eq(chmod(shared, 01777), 0); /* like /tmp */
    /* the attacker's staging file, writable by all: the old push wrote through it */
    ck_assert(g_file_set_contents(staged, "attacker\n", -1, NULL));
    ck_assert_int_eq(chmod(staged, 0666), 0);
    ck_assert_int_eq(chown(staged, 65534, 65534), 0);
    ck_assert_msg(sshlink_push(ssh, local, target, 0755, &error), "%s",
                  error ? error->message : "");
    ck_assert(g_file_get_contents(staged, &back, NULL, NULL));
    ck_assert_str_eq(back, "attacker\n");
    g_clear_pointer(&back, g_free);
    ck_assert(g_file_get_contents(target, &back, NULL, NULL));
    ck_assert_str_eq(back, "#!/bin/sh\necho engine\n");
    ck_assert_int_eq(g_lstat(target, &st), 0);
    ck_assert(S_ISREG(st.st_mode) && st.st_uid == 0 && (st.st_mode & 07777) == 0755);
    g_clear_pointer(&back, g_free);

    /* the target itself pre-created by another user, writable by all: the push
     * replaces the name (rename), it never writes into their file */
    ck_assert(g_file_set_contents(theirs, "attacker\n", -1, NULL));
    ck_assert_int_eq(chmod(theirs, 0666), 0);
    ck_assert_int_eq(chown(theirs, 65534, 65534), 0);
    int fd = open(theirs, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_msg(sshlink_push(ssh, local, theirs, 0755, &error), "%s",
                  error ? error->message : "");
    char buf[32] = {0};
    ck_assert_int_eq(pread(fd, buf, sizeof(buf) - 1, 0), 9);
    ck_assert_str_eq(buf, "attacker\n");
    close(fd);
    ck_assert_int_eq(g_lstat(theirs, &st), 0);
    ck_assert(S_ISREG(st.st_mode) && st.st_uid == 0 && (st.st_mode & 07777) == 0755);
    /* a symlink planted at the target is replaced, not followed */
    g_autofree char *link_target = g_build_filename(tmpdir, "victim", NULL);
    g_autofree char *planted = g_build_filename(shared, "planted", NULL);
    ck_assert(g_file_set_contents(link_target, "victim\n", -1, NULL));
    ck_assert_int_eq(symlink(link_target, planted), 0);
    ck_assert_msg(sshlink_push(ssh, local, planted, 0755, &error), "%s",
                  error ? error->message : "");
    g_clear_pointer(&back, g_free);
    ck_assert(g_file_get_contents(link_target, &back, NULL, NULL));
    ck_assert_str_eq(back, "victim\n");
    ck_assert_int_eq(g_lstat(planted, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    /* and no staging directory is left beside the targets */
    g_autoptr(GDir) d = g_dir_open(shared, 0, NULL);
    for (const char *e; (e = g_dir_read_name(d));)
        ck_assert_msg(!g_str_has_prefix(e, ".vexp-push."), "left behind: %s", e);

    /* the private push: a fresh directory only root can enter */
    ck_assert_msg(sshlink_push_private(ssh, local, "vexp-traffic", 0755, &remote, &error), "%s",
                  error ? error->message : "");
    fprintf(stderr, "private push: %s\n", remote);
    ck_assert(g_str_has_prefix(remote, "/tmp/" SSHLINK_PRIVATE_PREFIX));
    dir = g_path_get_dirname(remote);
    ck_assert_int_eq(g_lstat(dir, &st), 0);
    ck_assert(S_ISDIR(st.st_mode) && st.st_uid == 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0700);
    ck_assert_int_eq(g_lstat(remote, &st), 0);
    ck_assert(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0755);
    ck_assert(!sshlink_push_private(ssh, local, "../x", 0755, NULL, &error));
    g_clear_error(&error);
    ck_assert(!sshlink_remove_private(ssh, "/etc/passwd", &error));
    g_clear_error(&error);
    ck_assert_msg(sshlink_remove_private(ssh, remote, &error), "%s", error ? error->message : "");
    ck_assert(!g_file_test(dir, G_FILE_TEST_EXISTS));
}
END_TEST

/* The engine's agent over SSH: push the static engine, hello, a short
 * fixed trial on loopback.  Without the engine built, `cat` stands in. */
START_TEST(test_e2e_agent)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(sshlink) ssh = connect_pinned(host_pub, client_key, &error);
    const char *build = g_getenv("VEXP_BUILD_ROOT");
    g_autofree char *engine =
        g_build_filename(build ? build : VEXP_BUILD_ROOT, "traffic", "vexp-traffic-static", NULL);
    g_autofree char *remote = g_build_filename(tmpdir, "vexp-traffic", NULL);
    traffic_conn *conn = NULL;

    ck_assert_msg(ssh, "%s", error ? error->message : "");
    if (!g_file_test(engine, G_FILE_TEST_IS_EXECUTABLE)) {
        fprintf(stderr, "'%s' not built: testing the transport with cat\n", engine);
        conn = sshlink_start_agent(ssh, "cat", &error);
        ck_assert_msg(conn, "%s", error ? error->message : "");
        traffic_conn_free(conn);
        return;
    }
    ck_assert_msg(sshlink_push(ssh, engine, remote, 0755, &error), "%s",
                  error ? error->message : "");
    g_autofree char *q = sshlink_quote(remote);
    g_autofree char *cmd = g_strdup_printf("%s agent", q);
    conn = sshlink_start_agent(ssh, cmd, &error);
    ck_assert_msg(conn, "%s", error ? error->message : "");

    traffic_agent_info info;
    int r = traffic_conn_hello(conn, 5000, &info);
    ck_assert_msg(r == 0, "hello: %s; agent stderr: %s", g_strerror(-r), sshlink_agent_stderr(ssh));
    ck_assert_int_eq(info.proto, TRAFFIC_PROTO_VERSION);

    traffic_params p;
    traffic_result res;
    traffic_params_init(&p);
    p.tests = TRAFFIC_TEST_FIXED;
    p.trial_s = 0.5;
    p.rate_fps = 2000;
    p.warmup_s = 0;
    p.straggler_s = 0.2;
    g_strlcpy(p.dut_addr, "127.0.0.1", sizeof(p.dut_addr));
    g_strlcpy(p.tester_addr, "127.0.0.1", sizeof(p.tester_addr));
    p.dut_port = (uint16_t)free_port();
    p.tester_port = (uint16_t)free_port();
    for (unsigned dir = TRAFFIC_DIR_IN; dir <= TRAFFIC_DIR_OUT; dir <<= 1) {
        r = traffic_fixed(conn, &p, dir, 64, 1, NULL, &res);
        ck_assert_msg(r == 0, "fixed %s: %s (%s); agent stderr: %s", traffic_direction_name(dir),
                      g_strerror(-r), traffic_conn_last_error(conn), sshlink_agent_stderr(ssh));
        ck_assert_msg(res.rx > 0, "fixed %s: tx %" G_GUINT64_FORMAT " rx 0",
                      traffic_direction_name(dir), res.tx);
    }
    traffic_conn_free(conn);
    /* the session outlives the conn and still works */
    ck_assert_msg(sshlink_run(ssh, "true", 0, NULL, &error), "%s", error ? error->message : "");
}
END_TEST

static Suite *unit_suite(void)
{
    Suite *s = suite_create("ssh");
    TCase *tc = tcase_create("helpers");

    tcase_add_loop_test(tc, test_quote, 0, G_N_ELEMENTS(quote_cases));
    tcase_add_loop_test(tc, test_quote_shell, 0, G_N_ELEMENTS(quote_cases));
    tcase_add_test(tc, test_fingerprint_fixtures);
    tcase_add_test(tc, test_fingerprint_format);
    tcase_add_loop_test(tc, test_fingerprint_bad, 0, G_N_ELEMENTS(bad_keys));
    tcase_add_test(tc, test_connect_input);
    suite_add_tcase(s, tc);
    return s;
}

static Suite *e2e_suite(void)
{
    Suite *s = suite_create("ssh-e2e");
    TCase *tc = tcase_create("dropbear");

    tcase_add_unchecked_fixture(tc, dropbear_setup, dropbear_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_e2e_connect_pinned);
    tcase_add_test(tc, test_e2e_connect_known_hosts);
    tcase_add_test(tc, test_e2e_wrong_pin);
    tcase_add_test(tc, test_e2e_wrong_identity);
    tcase_add_test(tc, test_e2e_exec);
    tcase_add_test(tc, test_e2e_push);
    tcase_add_test(tc, test_e2e_push_precreated);
    tcase_add_test(tc, test_e2e_agent);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    gboolean e2e = argc > 1 && strcmp(argv[1], "e2e") == 0;

    if (e2e) {
        g_autofree char *db = g_find_program_in_path("dropbear");
        g_autofree char *us = g_find_program_in_path("unshare");
        if (geteuid() != 0 || !db || !us ||
            !g_file_test("/usr/lib/dropbear/dropbearconvert", G_FILE_TEST_IS_EXECUTABLE)) {
            fprintf(stderr, "skip: needs root, dropbear-bin and unshare\n");
            return 77;
        }
    }
    SRunner *sr = srunner_create(e2e ? e2e_suite() : unit_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
