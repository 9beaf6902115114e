/* SPDX-License-Identifier: MIT */
/* A matrix's needs against this host, checked without booting: pinned CPUs, memory, KVM. */
#pragma once

#include <glib.h>

#include "domains-host.h"
#include "matrix.h"

/*
 * Does any of the matrix's hypervisors run on this host (a local libvirt
 * URI)?  Only then do its cells' vcpu_pin, emulator_pin, memory_mib and
 * accel = kvm concern this host.
 */
gboolean vexp_host_runs_cells(const vexp_matrix *m);

/*
 * Check the matrix against host: each distinct vcpu_pin and emulator_pin of
 * a VM cell names online CPUs, each memory_mib fits the host's memory and
 * accel = kvm finds a KVM that runs guests (all three only when
 * vexp_host_runs_cells()); [traffic] tester_cpus names online CPUs when the
 * tester runs here.  Returns the findings in that order, empty when the
 * matrix fits: GErrors of the domains' checks (DOMAINS_ERROR_INPUT for CPUs
 * and memory, DOMAINS_ERROR_ENV for KVM) reading "FILE:LINE: key = 'value':
 * why".  The caller frees the array with g_ptr_array_unref().
 */
GPtrArray *vexp_host_check(const vexp_matrix *m, const domains_host *host);
