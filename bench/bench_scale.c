/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * How the model scales with the number of tasks: fork, kill and exit of
 * 100,000 processes that share an anonymous page (one anon_vma) and a file
 * page (one i_mmap), driven through the model's kernel functions. Prints
 * "bench: <name> <value> [<unit>]" lines (bench/README.md).
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "memfail/array.h"
#include "memfail/backend.h"
#include "memfail/driver.h"
#include "memfail/mm.h"
#include "memfail/scenario.h"

/* include/memfail/arena.h without its redirection of this file's allocations */
struct mf_arena *mf_arena_create(void);
void mf_arena_destroy(struct mf_arena *a);
struct mf_arena *mf_arena_enter(struct mf_arena *a);

#include <sys/wait.h>	/* after memfail/sched.h: it defines si_addr as a macro */

#define MiB (1ULL << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_scale: %s\n", what);
	exit(1);
}

/*
 * Each family's machine allocates from its own arena (lib/arena.c), as every
 * machine of the API, and so of `memfail run`, does.
 */
struct family {
	struct machine *m;
	struct mf_arena *arena;
	struct task_struct **kids;
	int n;
};

/* A parent with a written private anonymous page and a written shared file page, and n children. */
static struct family fork_family(int n)
{
	struct machine_config cfg = { .memory = 256 * MiB, .nodes = 1, .seed = 1 };
	struct family f = { .n = n };
	struct task_struct *p;
	struct inode *ino;
	struct file *file;
	uint64_t anon, shared;
	uint8_t v = 0x5a;
	char err[128];
	int i;

	f.arena = mf_arena_create();
	mf_arena_enter(f.arena);
	if (machine_create(&cfg, &f.m, err, sizeof(err)))
		die(err);
	p = task_create(f.m, "parent");
	ino = fs_create(f.m, FS_TMPFS, "shared", PAGE_SIZE);
	file = ino ? fs_open(ino, FMODE_READ | FMODE_WRITE) : NULL;
	if (!p || !file || do_mmap(p, PAGE_SIZE, VM_READ | VM_WRITE, NULL, 0, false, &anon) ||
	    do_mmap(p, PAGE_SIZE, VM_READ | VM_WRITE | VM_SHARED, file, 0, false, &shared) ||
	    access_user(p, anon, &v, true) || access_user(p, shared, &v, true))
		die("cannot set up the parent");
	fput(file);
	f.kids = xcalloc((size_t)n, sizeof(*f.kids), "children");
	for (i = 0; i < n; i++)
		if (!(f.kids[i] = task_fork(p, "child")))
			die("fork failed");
	return f;
}

/* SIGKILL every child in creation order (collect_procs' order) and reap it. */
static double kill_all(struct family *f)
{
	double t;
	int i;

	mf_arena_enter(f->arena);
	t = now();
	for (i = 0; i < f->n; i++) {
		do_exit_group(f->kids[i], SIGKILL, 0);
		task_release(f->kids[i]);
	}
	malloc_trim(0);
	t = now() - t;
	if (f->m->nr_threads != 1 || check_invariants(f->m, stderr))
		die("kill_all left the machine inconsistent");
	machine_destroy(f->m);
	mf_arena_enter(NULL);
	mf_arena_destroy(f->arena);
	free(f->kids);
	return t;
}

/*
 * In a fresh host process: `families` machines of n children each, all forked
 * first, then every family killed and reaped. kill_s: the kill time of one
 * family (mean); total_s: everything, teardown included.
 */
static void fork_kill_exit(int n, int families, double *kill_s, double *total_s)
{
	double t[2];
	int fd[2], status, i;
	pid_t pid;

	if (pipe(fd) || (pid = fork()) < 0)
		die("cannot fork the host process");
	if (pid == 0) {
		struct family *f = xcalloc((size_t)families, sizeof(*f), "families");
		t[0] = 0;
		t[1] = now();
		for (i = 0; i < families; i++)
			f[i] = fork_family(n);
		for (i = 0; i < families; i++)
			t[0] += kill_all(&f[i]) / families;
		t[1] = now() - t[1];
		_exit(write(fd[1], t, sizeof(t)) != sizeof(t));
	}
	close(fd[1]);
	if (read(fd[0], t, sizeof(t)) != sizeof(t) || waitpid(pid, &status, 0) != pid || status)
		die("the measuring process failed");
	close(fd[0]);
	*kill_s = t[0];
	*total_s = t[1];
}

/*
 * Both sizes kill 100,000 tasks' worth of structures made beforehand, so the
 * host's caches and heap are in the same state for both: 100 machines of
 * 1,000 children against one of 100,000. The ratio is then the model's
 * scaling alone (100: linear). Fastest of several fresh processes each: the
 * host is shared, and a slow outlier says nothing about the model.
 */
static void bench_kill(void)
{
	enum { SMALL = 1000, BIG = 100000, REPS = 3 };
	double t_small = 1e9, t_big = 1e9, total = 1e9, k, t;
	int r;

	for (r = 0; r < REPS; r++) {
		fork_kill_exit(BIG, 1, &k, &t);
		t_big = k < t_big ? k : t_big;
		total = t < total ? t : total;
		fork_kill_exit(SMALL, BIG / SMALL, &k, &t);
		t_small = k < t_small ? k : t_small;
	}
	printf("bench: fork_kill_exit_100k_s %.2f s\n", total);
	printf("bench: kill_all_cost_ratio_100000_vs_1000_tasks %.0f\n", t_big / t_small);
}

/*
 * The fixed cost of a scenario in one process: parse, a fresh model with the
 * checker on, boot (the default 256 MiB machine), one task, teardown.
 */
static void run_text(const char *text, FILE *out)
{
	struct mf_run_opts o = { 0 };
	struct mf_parse_error perr;
	struct mf_scenario *sc = mf_scenario_parse_buf("bench.mf", text, strlen(text), &perr);
	struct mf_backend *be = mf_model_backend_new(1, true);

	if (!sc || !be || mf_run_scenario(be, sc, &o, out) != MF_PASS)
		die("a bench scenario does not pass");
	be->ops->destroy(be);
	mf_scenario_free(sc);
}

static void bench_empty_scenario(void)
{
	FILE *out = fopen("/dev/null", "w");
	enum { N = 200 };
	double t = now();
	int i;

	if (!out)
		die("cannot open /dev/null");
	for (i = 0; i < N; i++)
		run_text("scenario \"empty\"\nkernel 6.1\ntask A\n", out);
	fclose(out);
	printf("bench: empty_scenario_ms %.3f ms\n", (now() - t) * 1e3 / N);
}

/* Peak host memory (MiB) of a fresh host process that runs text. */
static double peak_mib(const char *text)
{
	struct rusage ru;
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("cannot fork the host process");
	if (pid == 0) {
		FILE *out = fopen("/dev/null", "w");
		if (!out)
			_exit(1);
		run_text(text, out);
		_exit(0);
	}
	if (wait4(pid, &status, 0, &ru) != pid || status)
		die("the measuring process failed");
	return (double)ru.ru_maxrss / 1024;
}

/* A 1 GiB fill=index tmpfs file mapped with populate, against the same machine without it. */
static void bench_populate(void)
{
	static const char base[] = "scenario \"base\"\nkernel 6.1\nmachine memory=2G\ntask A\n";
	static const char big[] = "scenario \"populate 1G\"\nkernel 6.1\nmachine memory=2G\n"
				  "file tmpfs:big size=1G fill=index\ntask A\n"
				  "A: mmap m file tmpfs:big shared 1G populate\n";

	printf("bench: populate_1g_host_mib %.0f MiB\n", peak_mib(big) - peak_mib(base));
}

/*
 * A 4 TiB machine with 1 GiB of it touched, the checker on: the sparse frame
 * map backs only the sections something touched (mm/sparse.c).
 */
static void bench_sparse(void)
{
	static const char text[] = "scenario \"4T, 1G touched\"\nkernel 6.1\nmachine memory=4T\ntask A\n"
				   "A: mmap m anon private 1G populate\n"
				   "A: madvise m+0x1000 4K hwpoison => 0\n";

	printf("bench: rss_mib_memory_4t_touch_1g %.0f MiB\n", peak_mib(text));
}

int main(void)
{
	bench_empty_scenario();
	fflush(stdout);
	bench_populate();
	fflush(stdout);
	bench_sparse();
	fflush(stdout);
	bench_kill();
	return 0;
}
