/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Poisoned pages on the real kernel: unpoison-pfn writes paced by 6.1's
 * message rate limit, the pfns a scenario poisoned, and their clean-up (or a
 * note that only a reboot clears them) when the scenario ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lb.h"
#include "memfail/array.h"

/*
 * 6.1 prints the unpoison messages through a ratelimit of 10 per 5 s (jiffies
 * based). A window open at time T began after T-5, so it has printed at most
 * the writes made since T-5: a scenario with U unpoison steps starts when at
 * most 10-U writes happened in the last 5 s (+0.3 s of margin). The times of
 * the recent writes are kept in a file: each scenario runs in a new process.
 */
#define LB_UNPOISON_STAMP "/tmp/.memfail-unpoison-times"
#define LB_NSTAMP 16

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int read_stamps(double *t)
{
	char buf[LB_NSTAMP * 24 + 1];
	int n = 0;

	if (lb_read_file(LB_UNPOISON_STAMP, buf, sizeof(buf)) <= 0)
		return 0;
	for (char *p = buf; *p && n < LB_NSTAMP; n++) {
		char *e;

		t[n] = strtod(p, &e);
		if (e == p)
			break;
		p = e + (*e == '\n');
	}
	return n;
}

int lb_unpoison(uint64_t pfn)
{
	double t[LB_NSTAMP + 1];
	char v[LB_NSTAMP * 24 + 1];
	int n = read_stamps(t), o = 0;

	snprintf(v, sizeof(v), "%#llx", (unsigned long long)pfn);
	int rc = lb_write_file(LB_HWPOISON_DIR "/unpoison-pfn", v);

	t[n++] = now();
	for (int i = n > LB_NSTAMP ? n - LB_NSTAMP : 0; i < n; i++)
		o += snprintf(v + o, sizeof(v) - (size_t)o, "%.3f\n", t[i]);
	lb_write_file_create(LB_UNPOISON_STAMP, v);
	return rc;
}

void lb_unpoison_wait(int steps)
{
	double t[LB_NSTAMP];
	int n = read_stamps(t);

	for (;;) {
		double cut = now() - 5.3;
		int recent = 0;

		for (int i = 0; i < n; i++)
			recent += t[i] >= cut;
		if (recent + steps <= 10)
			return;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
}

void lb_note_poison(struct lb *lb, uint64_t pfn)
{
	for (int i = 0; i < lb->npoison; i++)
		if (lb->poison[i] == pfn)
			return;
	ARRAY_PUSH(lb->poison, lb->npoison, lb->cap_poison, pfn, "the poisoned pages");
}

/* pages that unpoison could not clear: never retried (each try logs) */
#define LB_STUCK_FILE "/tmp/.memfail-stuck-pfns"

static bool is_stuck(const char *stuck, uint64_t pfn)
{
	char k[32];

	snprintf(k, sizeof(k), "%#llx\n", (unsigned long long)pfn);
	for (const char *p = stuck; p && (p = strstr(p, k)); p++)
		if (p == stuck || p[-1] == '\n')
			return true;
	return false;
}

static void try_unpoison(uint64_t pfn, const char *stuck, FILE *sf)
{
	uint64_t fl = 0;

	if (lb_kpageflags(pfn, &fl) || !(fl & BIT(LB_KPF_HWPOISON)) || (fl & BIT(LB_KPF_RESERVED)) ||
	    is_stuck(stuck, pfn))
		return;
	lb_unpoison(pfn);
	if (!lb_kpageflags(pfn, &fl) && (fl & BIT(LB_KPF_HWPOISON)) && sf)
		fprintf(sf, "%#llx\n", (unsigned long long)pfn);
}

/* unpoison what the scenario poisoned, then whatever else is still poisoned */
void lb_unpoison_all(struct lb *lb)
{
	static char stuck[16384];
	uint64_t n = 0, *f;
	FILE *sf;

	if (lb_read_file(LB_STUCK_FILE, stuck, sizeof(stuck)) < 0)
		stuck[0] = 0;
	sf = fopen(LB_STUCK_FILE, "a");
	for (int i = 0; i < lb->npoison; i++)
		try_unpoison(lb->poison[i], stuck, sf);
	lb->npoison = 0;
	f = lb_read_kpageflags(&n);
	for (uint64_t i = 0; f && i < n; i++)
		if ((f[i] & BIT(LB_KPF_HWPOISON)) && !(f[i] & BIT(LB_KPF_RESERVED)))
			try_unpoison(i, stuck, sf);
	free(f);
	if (sf)
		fclose(sf);
}

