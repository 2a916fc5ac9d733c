// SPDX-License-Identifier: GPL-2.0-only
/*
 * `memfail exposure --live --summary` against a plain read of
 * /proc/kpageflags and /proc/kpagecount (the yardstick; the summary
 * itself reads only the flags) with 1 MiB reads in the same run, in two
 * threads and one after the other; ROUNDS rounds of each, interleaved, and the
 * ratio of the medians (against the faster plain read).
 * Prints bench: exposure_vs_kpageflags_read_ratio (issue 19 wants <= 1.2).
 * Then `memfail snapshot` of this machine (all three kpage files, every
 * process, written zstd-compressed), ROUNDS times: bench: snapshot_wall_s, the
 * median wall-clock time (issue 19 wants <= 2 s), with its CPU time.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "memfail/snapshot.h"

#define ROUNDS 7

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

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One `memfail snapshot -o FILE`: its wall-clock time, *cpu its CPU time. */
static double snapshot_full(double *cpu)
{
	struct snap_capture_opts o = { .with_cgroup = true, .with_procs = true };
	char path[] = "/tmp/bench_exposure.XXXXXX", err[256];
	double t = wall(), c = now();
	struct snapshot s;
	int fd = mkstemp(path);

	if (fd < 0) {
		perror("bench_exposure: mkstemp");
		exit(1);
	}
	close(fd);
	snapshot_capture(&s, &o);
	if (snapshot_write(&s, path, err, sizeof(err))) {
		fprintf(stderr, "bench_exposure: %s\n", err);
		exit(1);
	}
	snapshot_free(&s);
	*cpu = now() - c;
	t = wall() - t;
	unlink(path);
	return t;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, ROUNDS, sizeof(*v), by_value);
	return v[ROUNDS / 2];
}

int main(void)
{
	double par[ROUNDS], ser[ROUNDS], exp[ROUNDS], snap[ROUNDS], cpu[ROUNDS], p, q, e;
	char load[64] = "?";
	FILE *f;

	if (access("/proc/kpageflags", R_OK)) {
		printf("bench: exposure_vs_kpageflags_read_ratio skipped (/proc/kpageflags needs "
		       "root)\n");
		printf("bench: snapshot_wall_s skipped (/proc/kpageflags needs root)\n");
		return 0;
	}
	for (int i = 0; i < ROUNDS; i++) { /* interleaved: load changes hit all alike */
		par[i] = read_both(true);
		ser[i] = read_both(false);
		exp[i] = exposure_summary();
		snap[i] = snapshot_full(&cpu[i]);
	}
	if ((f = fopen("/proc/loadavg", "r"))) {
		if (!fgets(load, sizeof(load), f))
			snprintf(load, sizeof(load), "?");
		load[strcspn(load, " ")] = 0;
		fclose(f);
	}
	p = median(par), q = median(ser), e = median(exp);
	printf("bench_exposure: medians of %d rounds (CPU time), load average %s: plain read, "
	       "two threads %.3f s, one after the other %.3f s; exposure --live --summary %.3f s\n",
	       ROUNDS, load, p, q, e);
	/* against the faster of the two ways to read */
	printf("bench: exposure_vs_kpageflags_read_ratio %.2f x\n", e / (p < q ? p : q));
	p = median(snap), q = median(cpu);
	printf("bench: snapshot_wall_s %.2f s (median of %d, %.2f s CPU; load average %s)\n", p,
	       ROUNDS, q, load);
	return 0;
}
