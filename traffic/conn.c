/* SPDX-License-Identifier: MIT */
/* The control connection: a command's stdin/stdout or any transport, line framed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "cleanup.h"
#include "traffic-conn.h"

extern char **environ;

/* ---- transport: a child run with /bin/sh -c over a socketpair ----
 * A socket rather than pipes: send(MSG_NOSIGNAL) turns a dead agent into
 * EPIPE instead of a SIGPIPE that would kill the orchestrator. */

typedef struct cmd_ctx {
    pid_t pid;
    int fd;
} cmd_ctx;

static ssize_t cmd_read(void *ctx, void *buf, size_t len, int timeout_ms)
{
    cmd_ctx *c = ctx;
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    for (;;) {
        int n = poll(&pfd, 1, timeout_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -ETIMEDOUT;
        ssize_t r = recv(c->fd, buf, len, 0);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        return r < 0 ? -errno : r;
    }
}

static ssize_t cmd_write(void *ctx, const void *buf, size_t len)
{
    cmd_ctx *c = ctx;
    size_t done = 0;
    while (done < len) {
        ssize_t w = send(c->fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        done += (size_t)w;
    }
    return (ssize_t)len;
}

static bool reap(pid_t pid, int ms)
{
    for (int i = 0; i <= ms / 10; i++) {
        pid_t r = waitpid(pid, NULL, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD))
            return true;
        usleep(10000);
    }
    return false;
}

static void cmd_close(void *ctx)
{
    cmd_ctx *c = ctx;
    if (!c)
        return;
    if (c->fd >= 0) {
        (void)shutdown(c->fd, SHUT_WR);
        close(c->fd);
    }
    if (c->pid > 0 && !reap(c->pid, 2000)) {
        kill(c->pid, SIGTERM);
        if (!reap(c->pid, 1000)) {
            kill(c->pid, SIGKILL);
            (void)waitpid(c->pid, NULL, 0);
        }
    }
    free(c);
}

static const traffic_transport_ops cmd_ops = {
    .read = cmd_read,
    .write = cmd_write,
    .close = cmd_close,
};

int traffic_conn_open_cmd(const char *cmd, traffic_conn **ret_conn)
{
    if (!cmd || !*cmd || !ret_conn)
        return -EINVAL;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    _cleanup_close_ int mine = sv[0];
    _cleanup_close_ int theirs = sv[1];

    posix_spawn_file_actions_t fa;
    int r = posix_spawn_file_actions_init(&fa);
    if (r)
        return -r;
    /* dup2 clears CLOEXEC on the copies only */
    posix_spawn_file_actions_adddup2(&fa, theirs, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, theirs, STDOUT_FILENO);
    char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
    pid_t pid;
    r = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r)
        return -r;

    cmd_ctx *c = calloc(1, sizeof(*c));
    if (!c) {
        kill(pid, SIGKILL);
        (void)waitpid(pid, NULL, 0);
        return -ENOMEM;
    }
    c->pid = pid;
    c->fd = TAKE_FD(mine);
    return traffic_conn_open_ops(&cmd_ops, c, ret_conn);
}

int traffic_conn_open_ops(const traffic_transport_ops *ops, void *ctx, traffic_conn **ret_conn)
{
    if (!ops || !ops->read || !ops->write || !ret_conn) {
        if (ops && ops->close)
            ops->close(ctx);
        return -EINVAL;
    }
    traffic_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        if (ops->close)
            ops->close(ctx);
        return -ENOMEM;
    }
    c->ops = *ops;
    c->ctx = ctx;
    c->stream = (uint16_t)(getpid() & 0xfff);
    *ret_conn = c;
    return 0;
}

void traffic_conn_free(traffic_conn *conn)
{
    if (!conn)
        return;
    if (conn->ops.close)
        conn->ops.close(conn->ctx);
    free(conn);
}

const traffic_agent_info *traffic_conn_agent(const traffic_conn *conn)
{
    return conn && conn->hello_done ? &conn->info : NULL;
}

const char *traffic_conn_last_error(const traffic_conn *conn)
{
    return conn ? conn->last_error : "";
}

int traffic_conn_send(traffic_conn *conn, const char *fmt, ...)
{
    char line[TRAFFIC_LINE_MAX + 2];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, TRAFFIC_LINE_MAX + 1, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= (int)TRAFFIC_LINE_MAX)
        return -EINVAL;
    line[n++] = '\n';
    if (conn->broken)
        return -EPIPE;
    ssize_t w = conn->ops.write(conn->ctx, line, (size_t)n);
    if (w < 0) {
        conn->broken = true;
        return (int)w;
    }
    return 0;
}

int traffic_conn_recv(traffic_conn *conn, int timeout_ms, traffic_cancel_fn cancel, void *ud,
                      traffic_kv *ret)
{
    int64_t deadline = traffic_now_ns() + (int64_t)timeout_ms * 1000000;
    if (conn->broken)
        return -EPIPE;
    for (;;) {
        char *nl = memchr(conn->buf, '\n', conn->len);
        if (nl) {
            *nl = '\0';
            size_t used = (size_t)(nl - conn->buf) + 1;
            int r = traffic_json_parse(conn->buf, ret);
            if (r < 0)
                snprintf(conn->last_error, sizeof(conn->last_error),
                         "agent sent a line that is not a JSON reply: '%.60s'", conn->buf);
            memmove(conn->buf, conn->buf + used, conn->len - used);
            conn->len -= used;
            return r < 0 ? -EPROTO : 0;
        }
        if (conn->len >= sizeof(conn->buf) - 1) {
            conn->broken = true;
            snprintf(conn->last_error, sizeof(conn->last_error), "agent reply line too long");
            return -EPROTO;
        }
        int64_t left = (deadline - traffic_now_ns()) / 1000000;
        if (left <= 0) {
            snprintf(conn->last_error, sizeof(conn->last_error), "no reply within %.1f s",
                     timeout_ms / 1000.0);
            return -ETIMEDOUT;
        }
        if (cancel && cancel(ud))
            return -ECANCELED;
        int slice = left > 100 ? 100 : (int)left;
        ssize_t n = conn->ops.read(conn->ctx, conn->buf + conn->len,
                                   sizeof(conn->buf) - 1 - conn->len, slice);
        if (n == -ETIMEDOUT)
            continue;
        if (n == 0) {
            conn->broken = true;
            snprintf(conn->last_error, sizeof(conn->last_error), "agent closed the connection");
            return -ECONNRESET;
        }
        if (n < 0) {
            conn->broken = true;
            return (int)n;
        }
        conn->len += (size_t)n;
    }
}

int traffic_conn_reply(traffic_conn *conn, int timeout_ms, traffic_cancel_fn cancel, void *ud,
                       const char *type, traffic_kv *ret)
{
    int r = traffic_conn_recv(conn, timeout_ms, cancel, ud, ret);
    if (r == -ETIMEDOUT && type)
        snprintf(conn->last_error, sizeof(conn->last_error), "no '%s' reply within %.1f s", type,
                 timeout_ms / 1000.0);
    if (r < 0)
        return r;
    const char *ok = traffic_kv_get(ret, "ok");
    const char *t = traffic_kv_get(ret, "type");
    if (!ok || strcmp(ok, "true") != 0) {
        const char *e = traffic_kv_get(ret, "error");
        snprintf(conn->last_error, sizeof(conn->last_error), "%s", e ? e : "agent error");
        return -EREMOTEIO;
    }
    if (type && (!t || strcmp(t, type) != 0)) {
        snprintf(conn->last_error, sizeof(conn->last_error), "expected a '%s' reply, got '%s'",
                 type, t ? t : "(none)");
        return -EPROTO;
    }
    return 0;
}

int traffic_conn_hello(traffic_conn *conn, int timeout_ms, traffic_agent_info *ret_info)
{
    if (!conn)
        return -EINVAL;
    traffic_kv kv;
    int r = traffic_conn_send(conn, "hello proto=%d", TRAFFIC_PROTO_VERSION);
    if (r < 0)
        return r;
    r = traffic_conn_recv(conn, timeout_ms, NULL, NULL, &kv);
    if (r < 0)
        return r;
    const char *type = traffic_kv_get(&kv, "type");
    uint64_t proto = 0;
    (void)traffic_kv_u64(&kv, "proto", 1000000, &proto);
    if (proto != TRAFFIC_PROTO_VERSION) {
        snprintf(conn->last_error, sizeof(conn->last_error),
                 "protocol version mismatch: tester speaks %d, agent %llu", TRAFFIC_PROTO_VERSION,
                 (unsigned long long)proto);
        return -EPROTO;
    }
    if (!type || strcmp(type, "hello") != 0) {
        const char *e = traffic_kv_get(&kv, "error");
        snprintf(conn->last_error, sizeof(conn->last_error), "hello refused: %s",
                 e ? e : "no hello reply");
        return -EPROTO;
    }
    traffic_agent_info info = {.proto = (int)proto};
    const char *v;
    if ((v = traffic_kv_get(&kv, "version")))
        snprintf(info.version, sizeof(info.version), "%s", v);
    if ((v = traffic_kv_get(&kv, "kernel")))
        snprintf(info.kernel, sizeof(info.kernel), "%s", v);
    if ((v = traffic_kv_get(&kv, "machine")))
        snprintf(info.machine, sizeof(info.machine), "%s", v);
    uint64_t ncpu = 1;
    (void)traffic_kv_u64(&kv, "ncpu", 65536, &ncpu);
    info.ncpu = (int)ncpu;
    conn->info = info;
    conn->hello_done = true;
    if (ret_info)
        *ret_info = info;
    return 0;
}
