/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Linux back end (conformance/): runs scenarios with real processes and
 * system calls inside a disposable Linux guest. It poisons real memory.
 */
#ifndef MEMFAIL_LINUX_BACKEND_H
#define MEMFAIL_LINUX_BACKEND_H

#include <stdbool.h>

#include "memfail/backend.h"

/* What the runner can run (its fixed tables): memfail-linux refuses more up front. */
const struct mf_limits *mf_linux_limits(void);

/* A new back end for one scenario; NULL on allocation failure. */
struct mf_backend *mf_linux_backend_new(void);

/*
 * True inside a virtual machine (DMI vendor or the cpuid hypervisor bit) that
 * was booted for memfail (memfail.conformance=1 on the kernel command line).
 */
bool mf_linux_guest_ok(char *why, unsigned long len);

/* One-time machine setup: subreaper, printk ratelimits, mounts. 0 or -1. */
int mf_linux_setup(char *why, unsigned long len);

/* Raw mode (run.sh -r): the back end's facts for one file, no driver. Exit status. */
int lb_raw_run(const char *path);

#endif
