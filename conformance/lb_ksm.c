/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KSM on the Linux back end: the `ksm-scan` step runs ksmd through
 * /sys/kernel/mm/ksm until it has finished enough full scans that every
 * identical mergeable page is merged, then stops it (run=0 keeps the merged
 * pages; run=2 would unmerge them). Every scenario starts and ends with KSM
 * unmerged and stopped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lb.h"

#define KSM_DIR "/sys/kernel/mm/ksm"
#define KSM_TIMEOUT_S 120
/*
 * A page merges on its second scan at the earliest (the first records its
 * checksum). A later ksm-scan may start in the middle of a scan (run=0
 * stops ksmd wherever it is), so wait for three: two of them are whole.
 */
#define KSM_SCANS 3

static long full_scans(void)
{
	char v[32];

	if (lb_read_file(KSM_DIR "/full_scans", v, sizeof(v)) < 0)
		return -1;
	return atol(v);
}

void lb_ksm_reset(void)
{
	lb_write_file(KSM_DIR "/run", "2");
	lb_write_file(KSM_DIR "/run", "0");
}

void lb_ksm_scan(struct mf_result *res)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	long start = full_scans(), now = start;
	time_t deadline = time(NULL) + KSM_TIMEOUT_S;
	int rc = start < 0 ? -ENOENT : 0;

	if (!rc)
		rc = lb_write_file(KSM_DIR "/pages_to_scan", "10000");
	if (!rc)
		rc = lb_write_file(KSM_DIR "/sleep_millisecs", "0");
	if (!rc)
		rc = lb_write_file(KSM_DIR "/run", "1");
	if (rc) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "ksm-scan: cannot start ksmd through %s: %s",
			 KSM_DIR, strerror(-rc));
		return;
	}
	while (now >= 0 && now < start + KSM_SCANS && time(NULL) < deadline) {
		nanosleep(&pause, NULL);
		now = full_scans();
	}
	lb_write_file(KSM_DIR "/run", "0");
	if (now < start + KSM_SCANS) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "ksm-scan: ksmd did %ld full scans in %d s, not %d",
			 now < 0 ? 0 : now - start, KSM_TIMEOUT_S, KSM_SCANS);
		return;
	}
	res->kind = MF_RES_OK;
}
