// SPDX-License-Identifier: GPL-2.0-only
/*
 * `memfail exposure --live --summary` against a plain read of the two files
 * it needs, /proc/kpageflags and /proc/kpagecount, with 1 MiB reads in the
 * same run, in two threads and one after the other; the best of a few rounds
 * of each, and the ratio against the faster plain read.
 * Prints bench: exposure_vs_kpageflags_read_ratio (issue 19 wants <= 1.2).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "memfail/snapshot.h"

#define ROUNDS 5

/* CPU time of the whole process (all threads, user and system): on a shared
 * machine wall-clock time mostly measures the other tenants. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *plain_read(void *path)
{
	static __thread char buf[1 << 20];
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return NULL;
}

static double read_both(bool parallel)
{
	double t = now();
	pthread_t th;

	if (parallel) {
		pthread_create(&th, NULL, plain_read, "/proc/kpagecount");
		plain_read("/proc/kpageflags");
		pthread_join(th, NULL);
	} else {
		plain_read("/proc/kpageflags");
		plain_read("/proc/kpagecount");
	}
	return now() - t;
}

static double exposure_summary(void)
{
	struct snap_capture_opts o = { 0 };
	FILE *null = fopen("/dev/null", "w");
	double t = now();
	struct snapshot s;
	struct exposure e;
	char err[256];

	snapshot_capture(&s, &o);
	if (exposure_build(&e, &s, MF_KERNEL_6_1, err, sizeof(err))) {
		fprintf(stderr, "bench_exposure: %s\n", err);
		exit(1);
	}
	exposure_print(&e, null, false);
	t = now() - t;
	exposure_free(&e);
	snapshot_free(&s);
	fclose(null);
	return t;
}

int main(void)
{
	double par = 1e9, ser = 1e9, exp = 1e9;

	if (access("/proc/kpageflags", R_OK)) {
		printf("bench: exposure_vs_kpageflags_read_ratio skipped (/proc/kpageflags needs "
		       "root)\n");
		return 0;
	}
	for (int i = 0; i < ROUNDS; i++) { /* interleaved: load changes hit all alike */
		double t;

		t = read_both(true), par = t < par ? t : par;
		t = read_both(false), ser = t < ser ? t : ser;
		t = exposure_summary(), exp = t < exp ? t : exp;
	}
	printf("bench_exposure: plain read, two threads %.3f s, one after the other %.3f s CPU\n",
	       par, ser);
	printf("bench_exposure: exposure --live --summary %.3f s CPU\n", exp);
	/* against the faster of the two ways to read */
	printf("bench: exposure_vs_kpageflags_read_ratio %.2f x\n", exp / (par < ser ? par : ser));
	return 0;
}
