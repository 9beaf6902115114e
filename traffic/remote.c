/* SPDX-License-Identifier: MIT */
/* One trial with the tester side in a second agent (a remote tester machine). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "traffic-conn.h"


static void set_error(traffic_conn *conn, const char *msg)
{
    snprintf(conn->last_error, sizeof(conn->last_error), "%s", msg);
}

/* ask_plane: the tester's agent is asked for data plane d (the DUT's agent never is). */
static int listen_sink(traffic_conn *conn, uint16_t stream, unsigned payload, bool ask_plane,
                       enum traffic_dataplane d, traffic_kv *ret_kv)
{
    char dp[32] = "";
    if (ask_plane)
        snprintf(dp, sizeof(dp), " dataplane=%s", traffic_dataplane_name(d));
    /* all the trial's stream ids: the sender decides how many parallel senders it runs */
    int r = traffic_conn_send(conn, "listen stream=%u size=%u mode=sink streams=%u%s", stream,
                              payload, TRAFFIC_MAX_STREAMS, dp);
    if (r < 0)
        return r;
    return traffic_conn_reply(conn, TRAFFIC_CTRL_TIMEOUT_MS, NULL, NULL, "listen", ret_kv);
}

/* What the tester's agent says it ran ("dataplane", "plane" in its listen or tx reply). */
static void tester_plane(const traffic_kv *kv, traffic_trial *t)
{
    const char *dp = traffic_kv_get(kv, "dataplane"), *why = traffic_kv_get(kv, "plane");
    int d = dp ? traffic_dataplane_from_name(dp) : -EINVAL;
    if (d != TRAFFIC_DATAPLANE_XDP && d != TRAFFIC_DATAPLANE_SOCKET)
        return;
    t->tester_dataplane = traffic_dataplane_name((enum traffic_dataplane)d);
    snprintf(t->tester_plane, sizeof(t->tester_plane), "%s", why ? why : "");
}

/*
 * The sending agent runs "tx" while the receiving agent sinks (and echoes the
 * tagged frames, so the sender times their round trips); the receiver's
 * "stop" gives the counts.  in: tester agent -> DUT agent; out: the reverse.
 */
static int run_remote(traffic_runner *rn, const traffic_params *p, traffic_trial *t,
                      unsigned tagged)
{
    traffic_remote *rc = rn->ctx;
    const traffic_observer *obs = rn->obs;
    if (t->reflect) {
        set_error(rc->tester, TRAFFIC_REMOTE_REFLECT_ERROR);
        set_error(rc->dut, TRAFFIC_REMOTE_REFLECT_ERROR);
        return -EOPNOTSUPP;
    }
    const unsigned payload = traffic_frame_payload(t->frame_size);
    if (!payload)
        return -EINVAL;
    int r = traffic_agent_ensure(rc->dut, p->dut_addr, p->dut_port, p->tester_addr, p->tester_port);
    if (r < 0)
        return r;
    /* roles swapped: the tester's agent binds the tester's address and sends to the DUT */
    r = traffic_agent_ensure(rc->tester, p->tester_addr, p->tester_port, p->dut_addr, p->dut_port);
    if (r < 0)
        return r;

    rc->stream = (uint16_t)(rc->stream + TRAFFIC_MAX_STREAMS);
    if (rc->stream == 0 || rc->stream + TRAFFIC_MAX_STREAMS - 1 > TRAFFIC_TAG_STREAM)
        rc->stream = 1;
    const bool in = t->direction == TRAFFIC_DIR_IN;
    traffic_conn *sender = in ? rc->tester : rc->dut;
    traffic_conn *receiver = in ? rc->dut : rc->tester;
    const int64_t straggle_ms = (int64_t)(p->straggler_s * 1000);
    double dur_s;
    uint64_t tag_every;
    traffic_trial_plan(t, tagged, &dur_s, &tag_every);
    const traffic_agent_tx tx = {.stream = rc->stream,
                                 .payload = payload,
                                 .rate_fps = t->offered_fps,
                                 .dur_s = dur_s,
                                 .count = t->burst_frames,
                                 .tag_every = tag_every,
                                 .warmup_s = p->warmup_s,
                                 /* echoes are awaited by the sender, late frames by us */
                                 .linger_ms = tagged ? (uint64_t)straggle_ms : 0,
                                 .threads = p->senders,
                                 /* the tester's agent sends: it is asked */
                                 .ask_plane = in,
                                 .dataplane = p->dataplane};

    traffic_kv lkv, txkv, stkv;
    if ((r = listen_sink(receiver, rc->stream, payload, !in, p->dataplane, &lkv)) < 0)
        return r;
    if (!in)
        tester_plane(&lkv, t);
    traffic_gen_result gr = {0};
    double tx_cpu = -1, rx_cpu = -1;
    r = traffic_agent_send(sender, obs, &tx, &gr, &tx_cpu, &txkv);
    if (r == 0 && in)
        tester_plane(&txkv, t);
    if (r == 0 && !tagged)
        r = traffic_wait_ms(obs, NULL, straggle_ms);
    /* always: a receiver left listening would count the next trial's frames */
    int rs = traffic_agent_stop(receiver, &stkv);
    if (r == 0)
        r = rs;
    if (r < 0)
        return r;

    uint64_t rx = 0, reord = 0, dup = 0;
    (void)traffic_kv_u64(&stkv, "rx", UINT64_MAX, &rx);
    (void)traffic_kv_u64(&stkv, "reordered", UINT64_MAX, &reord);
    (void)traffic_kv_u64(&stkv, "duplicated", UINT64_MAX, &dup);
    (void)traffic_kv_double(&stkv, "cpu_pct", -1, 1e4, &rx_cpu);
    if (tagged) {
        t->has_rtt = true;
        traffic_kv_rtt(&txkv, &t->rtt);
    }
    traffic_trial_finish(t, &gr, rx, reord, dup, in ? rx_cpu : tx_cpu);
    return 0;
}

void traffic_runner_remote(traffic_runner *r, traffic_remote *rc, const traffic_observer *obs)
{
    r->run = run_remote;
    r->ctx = rc;
    r->obs = obs;
}

int traffic_run_suite_remote(traffic_conn *tester, traffic_conn *dut, const traffic_params *p,
                             const traffic_observer *obs)
{
    if (!tester || !dut || tester == dut || !p)
        return -EINVAL;
    if (traffic_params_validate(p, NULL) < 0)
        return -EINVAL;
    if (p->reflect) {
        set_error(tester, TRAFFIC_REMOTE_REFLECT_ERROR);
        set_error(dut, TRAFFIC_REMOTE_REFLECT_ERROR);
        return -EOPNOTSUPP;
    }
    traffic_remote rc = {.tester = tester, .dut = dut, .stream = tester->stream};
    traffic_runner r;
    traffic_runner_remote(&r, &rc, obs);
    int ret = traffic_proc_suite(&r, p);
    tester->stream = rc.stream;
    return ret;
}
