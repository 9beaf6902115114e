/* SPDX-License-Identifier: MIT */
/* matrix.conf: load, validate and expand an experiment matrix into cells. */
#pragma once

#include <glib.h>

#include "traffic.h"

/*
 * Sections: [experiment], [domain], [matrix], [traffic], [network].
 * Every [domain] key may be an axis in [matrix] (comma separated values);
 * cells are the cartesian product of the axes in file order (the first axis
 * varies slowest).  Cells with nic = host (the bare veth reference) ignore
 * every other [domain] axis and are deduplicated: the first one is kept.
 * vhost and queues apply to nic = virtio only: other NICs' cells leave them
 * out (of the values and the label) and are deduplicated the same way.
 *
 * Every error is MATRIX_ERROR / MATRIX_ERROR_INVALID (exit 2) and reads
 * "FILE:LINE: ... 'key' ... 'value' ...".
 * Everything returned is owned by the vexp_matrix unless said otherwise.
 */

#define MATRIX_ERROR (matrix_error_quark())
GQuark matrix_error_quark(void);
typedef enum {
    MATRIX_ERROR_INVALID, /* any bad input: syntax, key, value, missing file */
} matrix_error_code;

/* limits */
#define MATRIX_MAX_FILE_BYTES (1024 * 1024)
#define MATRIX_MAX_CELLS 10000
#define MATRIX_MAX_LIST 64 /* values in one list or axis */

typedef struct vexp_matrix vexp_matrix;

typedef struct matrix_experiment {
    const char *name;  /* default: the file name without .conf */
    const char *uri;   /* the first of uris */
    const char *const *uris; /* libvirt URIs, file order, NULL-terminated; default
                              * "qemu:///embed".  Several: cells are spread over them */
    guint n_uris;
    gboolean parallel_trials; /* several URIs: trials of different hypervisors may overlap
                               * (default false: they take turns on the one tester) */
    const char *store; /* as written (relative to the cwd); NULL = not set */
    guint repetitions; /* the engine's repetitions, default 3 (also accepted in [traffic]) */
} matrix_experiment;

typedef struct matrix_traffic {
    const char *const *tests; /* throughput|latency|loss|b2b|rtt|fixed, file order, NULL-term. */
    guint n_tests;
    const guint *frame_sizes; /* TRAFFIC_FRAME_MIN..MAX bytes (L2 incl. FCS), file order */
    guint n_frame_sizes;
    const char *const *directions; /* in|out|both, NULL-terminated */
    guint n_directions;
    /* ranges: the engine's (traffic_param_range() of the field named) */
    double trial_s;            /* trial_s, default 60 */
    double line_rate_mbps;     /* >= 1, default 1000 (L2+preamble/IFG, i.e. wire) */
    double resolution_pct;     /* resolution_pct, default 0.5 */
    double loss_tolerance_pct; /* loss_tolerance_pct, default 0: one goal (see goals) */
    double exceed_pct;         /* exceed_pct, default 50 (RFC 9971 goal exceed ratio) */
    double duration_sum_s;     /* duration_sum_s, default 0 = 3 x trial_s */
    double precision_pct;      /* precision_pct, default 0 = off */
    int method;                /* method: enum traffic_method, default mlrsearch */
    int latency_mode;          /* latency: enum traffic_latency_mode, default load */
    int repeat;                /* repeat: enum traffic_repeat, default searches */
    double b2b_budget_s;       /* b2b_budget_s, default 60 */
    double b2b_ci_pct;         /* b2b_ci_pct, default 5 (0 = by count alone) */
    guint n_goals;             /* goals: 0 = the engine's default (ndr, pdr) */
    traffic_goal goals[TRAFFIC_MAX_GOALS];
    guint probes;              /* rtt probes per repetition (probes), default 100 */
    guint latency_repetitions; /* latency_repetitions, default 20 */
    guint b2b_repetitions;     /* b2b_repetitions, default 50 */
    double b2b_trial_s;        /* b2b_burst_s but >= 2, default 2 (RFC 2544: >= 2 s) */
    double wait_s;             /* settle time between trials (straggler_s), default 2 */
    double rate_mbps;          /* offered L2 rate of 'fixed' (required with it), else 0 */
    const char *tester_cpus;     /* tester_cpus: "auto" (default), "none" or a cpuset of at
                                  * most 4 CPUs (which exist: checked by vexp run) */
    const char *tester_cpus_key; /* the key it was given by: "tester_cpus", or "tester_pin"
                                  * (its older name, an alias) */
    int tester_dataplane;        /* tester_dataplane: enum traffic_dataplane; -1 = not set
                                  * (the engine's default applies) */
    gboolean reflect; /* guest reflects frames (round trip) instead of sinking; default false */
} matrix_traffic;

typedef enum {
    MATRIX_NETWORK_NAMESPACE, /* default: vexp makes a namespace + bridge per run */
    MATRIX_NETWORK_BRIDGE,    /* an existing bridge named by 'bridge' */
} matrix_network_mode;

typedef struct matrix_network {
    matrix_network_mode mode;
    const char *bridge; /* interface name (<= 15 chars) when mode = bridge, else NULL */
    /* mode = bridge: where the tester side of the engine runs */
    const char *tester;         /* "local" (default) or "ssh://[user@]host[:port]" as written */
    const char *tester_user;    /* ssh: default "root"; NULL for local */
    const char *tester_host;    /* ssh: host name or address; NULL for local */
    guint tester_port;          /* ssh: default 22 */
    const char *tester_address; /* the tester's IPv4 address on the bridge's network
                                 * (required with mode = bridge; 198.18.0.1 otherwise) */
    const char *guest_address;  /* first guest's IPv4 address (cell i gets +i);
                                 * default 198.18.0.10 */
    guint prefix;               /* the network's prefix length; default 15 */
    const char *tester_identity; /* ssh: private key file, absolute; NULL = the guest
                                  * image's client key */
    const char *tester_host_key; /* ssh: pinned host key (known_hosts or .pub), absolute;
                                  * required for ssh */
    const char *const *isolated_ports; /* physical ports of the bridge that the user declares
                                        * a dedicated benchmark link (a cable to the tester
                                        * and nothing else); NULL-terminated, NULL = none */
} matrix_network;

typedef struct matrix_cell {
    guint index;          /* 0-based position, stable for a matrix text (--resume) */
    const char *label;    /* "nic=virtio vcpu_pin=1"; axes only; "nic=X" without axes */
    const char *nic;      /* a valid model or "host" */
    gboolean is_host;     /* nic = host: no domain, the fields below are defaults */
    guint vcpus;          /* 1..256; default 1, or the number of vcpu_pin CPUs when
                           * vcpus is written nowhere (so "vcpu_pin = 1, none, 0 1"
                           * gives 1, 1 and 2 vCPUs); else vcpu_pin must name vcpus CPUs */
    const char *vcpu_pin; /* as written, "none" = not pinned (default) */
    const char *const *vcpu_pin_cpusets; /* vcpus entries, libvirt cpusets ("1", "2-3"),
                                          * NULL-terminated; NULL when none */
    const char *emulator_pin;            /* as written, "none" = not pinned (default) */
    const char *emulator_cpuset;         /* libvirt cpuset "0,2-3"; NULL when none */
    guint memory_mib;                    /* 16..1048576, default 256 */
    const char *accel;         /* auto | kvm | tcg ([domain], else [experiment], else auto) */
    const char *machine;       /* NULL = the template's / QEMU default */
    const char *vhost;         /* "on" | "off" (vhost-net, KVM only); NULL = the template's.
                                * virtio only: NULL for other NICs */
    guint queues;              /* virtio multiqueue 1..256; 0 = the template's (and non-virtio) */
    const char *template_path; /* absolute, exists; NULL for host cells */
} matrix_cell;

/* valid_nics: NULL-terminated list of NIC models domains/ supports ("host"
 * is always accepted in addition); NULL accepts any [a-z0-9_-] name. */
vexp_matrix *matrix_load(const char *path, const char *const *valid_nics, GError **error);
/* The same from memory: file_name is used in messages, base_dir resolves
 * relative template paths (then the cwd).  For tests and the fuzzer. */
vexp_matrix *matrix_load_data(const char *data, gsize len, const char *file_name,
                              const char *base_dir, const char *const *valid_nics, GError **error);
/* A stored run's matrix text (vexp run's store keeps it), read for what it asked: the files
 * it names (templates, [network] files) are not looked up, their paths stay as written (they
 * were relative to a directory the store does not know, and may have moved since). */
vexp_matrix *matrix_load_stored(const char *data, gsize len, const char *file_name,
                                const char *const *valid_nics, GError **error);
/* Accepts NULL. */
void matrix_free(vexp_matrix *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vexp_matrix, matrix_free)

const char *matrix_path(const vexp_matrix *m); /* file name as given */
const char *matrix_text(const vexp_matrix *m); /* the raw text, NUL-terminated */
const char *matrix_hash(const vexp_matrix *m); /* SHA-256 hex of the raw text */
const matrix_experiment *matrix_get_experiment(const vexp_matrix *m);
const matrix_traffic *matrix_get_traffic(const vexp_matrix *m);
/* [traffic] and the repetitions as the engine's parameters, which passed its
 * traffic_params_check() while loading (addresses and ports: the engine's defaults). */
const traffic_params *matrix_get_traffic_params(const vexp_matrix *m);
const matrix_network *matrix_get_network(const vexp_matrix *m);

guint matrix_cell_count(const vexp_matrix *m);
/* i < matrix_cell_count() */
const matrix_cell *matrix_get_cell(const vexp_matrix *m, guint i);
/* The resolved raw value of any [domain] key for a cell, NULL if unset. */
const char *matrix_cell_value(const vexp_matrix *m, guint i, const char *key);

/* Line (1-based) of 'key' in [group] (key NULL: the group header), 0 when
 * absent: for the lead's own "FILE:LINE:" errors (template render, ...). */
guint matrix_line_of(const vexp_matrix *m, const char *group, const char *key);
/* The [domain]/[matrix] keys the parser knows, NULL-terminated (static). */
const char *const *matrix_domain_keys(void);
