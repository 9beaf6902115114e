/* SPDX-License-Identifier: MIT */
/* matrix.conf keys: the matrix_sections, their keys and the fixed choices. */
#include "vexp-config.h"

#include "matrix-priv.h"

const char *const matrix_keys_domain[] = {
    "template", "nic",     "vcpus", "vcpu_pin", "emulator_pin", "memory_mib",
    "accel",    "machine", "vhost", "queues",   NULL,
};

const char *const matrix_keys_experiment[] = {
    "name", "description", "uri", "accel", "store", "repetitions", "parallel_trials", NULL,
};
const char *const matrix_keys_traffic[] = {
    "tests",
    "frame_sizes",
    "directions",
    "trial_s",
    "line_rate_mbps",
    "resolution_pct",
    "loss_tolerance_pct",
    "goals",
    "method",
    "exceed_pct",
    "duration_sum_s",
    "precision_pct",
    "tester_cpus",
    "tester_pin", /* tester_cpus' older name */
    "tester_dataplane",
    "probes",
    "latency_repetitions",
    "b2b_repetitions",
    "b2b_trial_s",
    "wait_s",
    "reflect",
    "repetitions",
    "rate_mbps",
    "latency",
    "repeat",
    "b2b_budget_s",
    "b2b_ci_pct",
    NULL,
};
const char *const matrix_keys_network[] = {
    "mode",
    "bridge",
    "tester",
    "tester_address",
    "guest_address",
    "tester_identity",
    "tester_host_key",
    "isolated_ports",
    NULL,
};

const char *const matrix_sections[] = {"experiment", "domain",  "matrix",
                                       "traffic",    "network", NULL};

const char *const matrix_known_accels[] = {"auto", "kvm", "tcg", NULL};
