/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Driver tests on a scripted fake back end: normalization, labels, signal
 * cursors, log windows, expectations, JSON and the multi-file framing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

#include "memfail/driver.h"

#define BASE 0x7f0000000000ull	/* A:buf; A:m is BASE + 1M */

/* What exec does for the statement on a line. */
struct script {
	int line;
	struct mf_result res;
	const char *logs[4];
	int sig_tid;		/* a MF_EV_SIGNAL to this tid, if nonzero */
	struct mf_siginfo sig;
	int killed_tid;
	int hwc_add;		/* kB */
	bool panic;
};

static struct fake {
	const struct script *script;
	int nscript;
	uint64_t hwc;
	uint64_t flags;
	bool model_only_ok;
	bool start_skip;
	int last_nr;
	uint64_t last_pfn0;
	enum mf_task_state state_b;
} F;

static int f_start(struct mf_backend *be, const struct mf_scenario *sc, struct mf_result *res)
{
	(void)be;
	(void)sc;
	if (F.start_skip) {
		res->kind = MF_RES_SKIP;
		strcpy(res->msg, "no hugetlbfs");
		return -1;
	}
	return 0;
}

static void f_exec(struct mf_backend *be, const struct mf_stmt *st, const uint64_t *pfns,
		   int nr, struct mf_result *res, struct mf_events *evs)
{
	(void)be;
	F.last_nr = nr;
	F.last_pfn0 = nr ? pfns[0] : 0;
	res->kind = st->op >= MF_OP_MADVISE && st->op < MF_OP_CORRUPT_PFN ? MF_RES_VALUE
									   : MF_RES_OK;
	for (int i = 0; i < F.nscript; i++) {
		const struct script *s = &F.script[i];
		struct mf_event e;

		if (s->line != st->line)
			continue;
		*res = s->res;
		for (int j = 0; j < 4 && s->logs[j]; j++) {
			memset(&e, 0, sizeof(e));
			e.kind = MF_EV_LOG;
			snprintf(e.text, sizeof(e.text), "%s", s->logs[j]);
			mf_events_push(evs, &e);
		}
		if (s->sig_tid) {
			memset(&e, 0, sizeof(e));
			e.kind = MF_EV_SIGNAL;
			e.tid = s->sig_tid;
			e.sig = s->sig;
			mf_events_push(evs, &e);
		}
		if (s->killed_tid) {
			memset(&e, 0, sizeof(e));
			e.kind = MF_EV_KILLED;
			e.tid = s->killed_tid;
			e.sig.signo = 7;
			mf_events_push(evs, &e);
		}
		if (s->panic) {
			memset(&e, 0, sizeof(e));
			e.kind = MF_EV_PANIC;
			strcpy(e.text, "Memory failure: 0x1000: recovery is off");
			mf_events_push(evs, &e);
		}
		F.hwc += s->hwc_add;
	}
}

static int f_resolve(struct mf_backend *be, const struct mf_pageref *ref, uint64_t *pfn,
		     char *msg, size_t len)
{
	(void)be;
	switch (ref->kind) {
	case MF_PREF_TASK:
		if (strcmp(ref->task, "A") || strcmp(ref->addr.region, "buf") ||
		    ref->addr.off >= 0x8000) {
			snprintf(msg, len, "nothing is mapped at %s:%s+0x%llx", ref->task,
				 ref->addr.region, (unsigned long long)ref->addr.off);
			return -1;
		}
		*pfn = 0x1000 + ref->addr.off / 4096;
		return 0;
	case MF_PREF_FREE:
		*pfn = 0x5000;
		return 0;
	default:
		return -1;
	}
}

static uint64_t f_hwc(struct mf_backend *be)
{
	(void)be;
	return F.hwc;
}

static int f_kpf(struct mf_backend *be, uint64_t pfn, uint64_t *flags)
{
	(void)be;
	(void)pfn;
	*flags = F.flags;
	return 0;
}

static int f_huge(struct mf_backend *be, long *fr, long *to)
{
	(void)be;
	*fr = 7;
	*to = 8;
	return 0;
}

static enum mf_task_state f_state(struct mf_backend *be, const char *task, int *x)
{
	(void)be;
	*x = 7;
	return !strcmp(task, "B") ? F.state_b : MF_TASK_ALIVE;
}

static const char *f_name(struct mf_backend *be, int tid)
{
	(void)be;
	return tid == 100 ? "A" : tid == 101 ? "A.t2" : tid == 200 ? "B" : NULL;
}

static bool f_addr_region(struct mf_backend *be, const char *task, uint64_t addr, char *region,
			  size_t len, uint64_t *off)
{
	(void)be;
	if (strcmp(task, "A") && strcmp(task, "B"))
		return false;
	if (addr >= BASE && addr < BASE + 0x8000) {
		snprintf(region, len, "buf");
		*off = addr - BASE;
		return true;
	}
	if (addr >= BASE + (1 << 20) && addr < BASE + (1 << 20) + 0x5000) {
		snprintf(region, len, "m");
		*off = addr - BASE - (1 << 20);
		return true;
	}
	return false;
}

static void f_destroy(struct mf_backend *be)
{
	free(be);
}

static struct mf_backend_ops ops = {
	.name = "fake", .start = f_start, .exec = f_exec, .resolve = f_resolve,
	.hardware_corrupted_kb = f_hwc, .kpageflags = f_kpf, .hugepages = f_huge,
	.task_state = f_state, .name_of_tid = f_name, .addr_region = f_addr_region,
	.destroy = f_destroy,
};

static struct mf_backend *make(void *ctx)
{
	struct mf_backend *be = calloc(1, sizeof(*be));

	(void)ctx;
	ops.model_only_ok = F.model_only_ok;
	be->ops = &ops;
	return be;
}

static struct mf_backend *make_null(void *ctx)
{
	(void)ctx;
	return NULL;
}

static const char HEAD[] = "scenario \"t\"\n"			/* 1 */
			   "task A\n"				/* 2 */
			   "task B sigbus=default\n"		/* 3 */
			   "thread A.t2\n"			/* 4 */
			   "A: mmap buf anon private 32K fill=index\n"	/* 5 */
			   "A: mmap m anon private 20K\n";	/* 6 */

/* Run src (HEAD + more) on the fake; returns the exit code, output in *out. */
static int run(const char *more, const struct script *s, int ns, bool json, char **out)
{
	char path[] = "/tmp/test_driver_XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	size_t len;
	FILE *o = open_memstream(out, &len);
	struct mf_run_opts opt = { .json = json, .err = o };
	char *files[] = { path };
	int rc;

	fprintf(f, "%s%s", HEAD, more);
	fclose(f);
	F.script = s;
	F.nscript = ns;
	F.hwc = 0;
	rc = mf_run_files(make, NULL, files, 1, &opt, o);
	fclose(o);
	unlink(path);
	/* the temporary path differs per run: replace it by "T" */
	for (char *p; (p = strstr(*out, path));) {
		*p = 'T';
		memmove(p + 1, p + strlen(path), strlen(p + strlen(path)) + 1);
	}
	return rc;
}

static const struct script inject[] = {
	{ .line = 7, .res = { .kind = MF_RES_VALUE },
	  .logs = { "Injecting memory failure for pfn 0x1000 at process virtual address 0x7f0000000000",
		    "Memory failure: 0x1000: Sending SIGBUS to A:100 due to hardware memory corruption",
		    "Memory failure: 0x1000: recovery action for dirty LRU page: Recovered",
		    "some unrelated line" },
	  .sig_tid = 100, .sig = { .signo = 7, .code = 5, .addr = BASE, .lsb = 12 },
	  .hwc_add = 4 },
	{ .line = 8, .res = { .kind = MF_RES_SIGNAL,
			      .sig = { .signo = 7, .code = 4, .addr = BASE + 0x123, .lsb = 12 } },
	  .logs = { "[    3.37] <3> MCE: Killing A:100 due to hardware memory corruption fault at 7f0000000123" } },
};

static void test_spec_trace(void **state)
{
	char *out;
	int rc;

	(void)state;
	rc = run("A: madvise buf+0 4K hwpoison => 0\n"
		 "A: load buf+0x123 => SIGBUS AR addr=buf+0x123 lsb=12\n"
		 "expect A signals SIGBUS AO addr=buf+0 lsb=12, SIGBUS AR addr=buf+0x123\n",
		 inject, 2, false, &out);
	assert_string_equal(out,
		"step 5 A: mmap buf anon private 32K fill=index = ok\n"
		"step 6 A: mmap m anon private 20K = ok\n"
		"step 7 A: madvise buf+0x0 4K hwpoison = 0\n"
		"  log Injecting memory failure for pfn A:buf+0x0 at process virtual address buf+0x0\n"
		"  log Memory failure: A:buf+0x0: Sending SIGBUS to A due to hardware memory corruption\n"
		"  log Memory failure: A:buf+0x0: recovery action for dirty LRU page: Recovered\n"
		"  signal A SIGBUS BUS_MCEERR_AO addr=buf+0x0 lsb=12\n"
		"  hardware-corrupted +4K\n"
		"step 8 A: load buf+0x123 = SIGBUS BUS_MCEERR_AR addr=buf+0x123 lsb=12\n"
		"  log MCE: Killing A due to hardware memory corruption fault at buf+0x123\n");
	assert_int_equal(rc, 0);
	free(out);
}

static void test_madvise_pfns(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run("A: madvise buf+4K 8K hwpoison as P\n", NULL, 0, false, &out), 0);
	assert_int_equal(F.last_nr, 2);
	assert_int_equal(F.last_pfn0, 0x1001);
	free(out);
}

static void test_labels(void **state)
{
	static const struct script s[] = {
		{ .line = 9, .res = { .kind = MF_RES_OK },
		  .logs = { "Memory failure: 0x1002: x", "Memory failure: 0x5000: y",
			    "Memory failure: 0x9999: z" } },
	};
	char *out;

	(void)state;
	run("corrupt-pfn A:buf+8K\n"
	    "label Q = A:buf+8K\n"
	    "corrupt-pfn free\n", s, 1, false, &out);
	assert_non_null(strstr(out, "step 9 corrupt-pfn free = ok\n"
				    "  log Memory failure: Q: x\n"
				    "  log Memory failure: free: y\n"
				    "  log Memory failure: pfn?: z\n"));
	free(out);
}

static void test_unknown_pid_addr(void **state)
{
	static const struct script s[] = {
		{ .line = 7, .res = { .kind = MF_RES_OK },
		  .logs = { "Memory failure: 0x1000: Sending SIGBUS to kworker:77 due to hardware memory corruption",
			    "MCE: Killing B:200 due to hardware memory corruption fault at 7f0000009999",
			    "Memory failure: 0x0: hwpoison at address 0x0" } },
	};
	char *out;

	(void)state;
	run("sync\n", s, 1, false, &out);
	assert_non_null(strstr(out, "step 7 sync = ok\n"
				    "  log Memory failure: pfn?: Sending SIGBUS to kworker:pid? due to hardware memory corruption\n"
				    "  log MCE: Killing B due to hardware memory corruption fault at addr?\n"
				    "  log Memory failure: pfn?: hwpoison at address addr?\n"));
	free(out);
}

/*
 * A failed soft offline's flags: lru (its putback's batch drained or not) is
 * timing, left out wherever it stands in the list (alone: empty parentheses);
 * elsewhere it is kept.
 */
static void test_putback_lru(void **state)
{
	static const struct script s[] = {
		{ .line = 7, .res = { .kind = MF_RES_OK },
		  .logs = { "soft offline: 0x1000: page migration failed 1, type 0x17ffffc0080038(uptodate|dirty|lru|swapbacked|node=0|zone=1)",
			    "soft offline: 0x1000: page migration failed 1, type 0x17ffffc0080038(uptodate|lru)",
			    "Memory failure: 0x1000: type 0x17ffffc0080038(uptodate|lru)",
			    "soft offline: 0x1000: page migration failed 1, type 0x17ffffc0080038(mlocked|unevictable)" } },
		{ .line = 7, .res = { .kind = MF_RES_OK },
		  .logs = { "soft offline: 0x1000: page migration failed 1, type 0x10(lru)" } },
	};
	char *out;

	(void)state;
	run("sync\n", s, 2, false, &out);
	assert_non_null(strstr(out, "step 7 sync = ok\n"
				    "  log soft offline: pfn?: page migration failed 1, type flags?(uptodate|dirty|swapbacked|node=0|zone=1)\n"
				    "  log soft offline: pfn?: page migration failed 1, type flags?(uptodate)\n"
				    "  log Memory failure: pfn?: type flags?(uptodate|lru)\n"
				    "  log soft offline: pfn?: page migration failed 1, type flags?(mlocked|unevictable)\n"
				    "  log soft offline: pfn?: page migration failed 1, type flags?()\n"));
	free(out);
}

static void test_expect_fail(void **state)
{
	char *out;
	int rc;

	(void)state;
	rc = run("A: madvise buf+0 4K hwpoison => EIO\nA: exit\n", inject, 1, false, &out);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "T:7: expected EIO, got 0\n"));
	assert_null(strstr(out, "step 8"));
	free(out);
}

static void test_signal_cursors(void **state)
{
	static const struct script s[] = {
		{ .line = 7, .res = { .kind = MF_RES_OK }, .sig_tid = 101,
		  .sig = { .signo = 7, .code = 5, .addr = BASE + 0x1000, .lsb = 12 } },
	};
	char *out;
	int rc;

	(void)state;
	rc = run("sync\n"
		 "expect A.t2 signals SIGBUS AO addr=buf+4K lsb=12\n"
		 "expect A.t2 signals none\n"
		 "expect A.main signals none\n"
		 "expect A signals SIGBUS AO\n"
		 "expect A signals SIGBUS AO\n", s, 1, false, &out);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "  signal A.t2 SIGBUS BUS_MCEERR_AO addr=buf+0x1000 lsb=12\n"));
	assert_non_null(strstr(out, "T:12: expected A signals SIGBUS AO, got none\n"));
	free(out);
}

static void test_log_windows(void **state)
{
	char *out;
	int rc;

	(void)state;
	rc = run("A: madvise buf+0 4K hwpoison\n"
		 "expect log \"dirty LRU page\"\n"
		 "expect no-log \"clean LRU\"\n"
		 "expect log \"Injecting\"\n"
		 "sync\n"
		 "expect no-log \"Recovered\"\n"
		 "expect log \"Recovered\"\n", inject, 1, false, &out);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "T:13: expected log \"Recovered\", got no log lines\n"));
	free(out);
}

static void test_state_expectations(void **state)
{
	char *out;
	int rc;

	(void)state;
	F.flags = 1ull << 19;
	F.state_b = MF_TASK_KILLED;
	rc = run("A: madvise buf+0 4K hwpoison as P\n"
		 "expect page P hwpoison !buddy\n"
		 "expect hardware-corrupted +4K\n"
		 "expect A:buf+0 is P\n"
		 "expect A:buf+4K is-not P\n"
		 "expect hugepages free=7 total=8\n"
		 "expect B killed SIGBUS\n"
		 "expect A alive\n"
		 "expect page P buddy\n", inject, 1, false, &out);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "T:15: expected page P buddy, got page P !buddy\n"));
	F.flags = 0;
	F.state_b = MF_TASK_ALIVE;
	free(out);
}

static void test_runtime_error(void **state)
{
	char *out;
	int rc;

	(void)state;
	rc = run("corrupt-pfn A:m+0\n", NULL, 0, false, &out);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "T:7: error: nothing is mapped at A:m+0x0\n"));
	free(out);
}

static void test_dead_task(void **state)
{
	char *out;
	int rc;

	(void)state;
	F.state_b = MF_TASK_KILLED;
	rc = run("B: mmap x anon private 4K\n", NULL, 0, false, &out);
	F.state_b = MF_TASK_ALIVE;
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "T:7: error: task B was killed by SIGBUS\n"));
	free(out);
}

static void test_killed_and_short_read(void **state)
{
	static const struct script s[] = {
		{ .line = 7, .res = { .kind = MF_RES_KILLED, .killed_signo = 7 }, .killed_tid = 200 },
		{ .line = 10, .res = { .kind = MF_RES_READ, .read_kind = MF_READ_INDEX,
				       .read_short = true, .read_len = 2048 } },
		{ .line = 11, .res = { .kind = MF_RES_BYTE, .value = 0x41 } },
		{ .line = 12, .res = { .kind = MF_RES_VALUE, .value = 4096 } },
	};
	char *out;
	int rc;

	(void)state;
	rc = run("A: load m+0 => killed SIGBUS\n"
		 "file disk:d size=4K\n"
		 "A: open f disk:d rw\n"
		 "A: read f 0 4K => 2K index\n"
		 "A: load buf => 0x41\n"
		 "A: write f 0 4K => 4K\n", s, 4, false, &out);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "step 7 A: load m+0x0 = killed SIGBUS\n  killed B SIGBUS\n"));
	assert_non_null(strstr(out, "step 10 A: read f 0 4K = index (short: 2048 bytes)\n"));
	free(out);
}

static void test_json(void **state)
{
	char *out;

	(void)state;
	run("A: madvise buf+0 4K hwpoison\n", inject, 1, true, &out);
	assert_non_null(strstr(out, "{\"event\":\"step\",\"line\":7,\"step\":\"A: madvise buf+0x0 4K hwpoison\",\"result\":\"0\"}\n"));
	assert_non_null(strstr(out, "{\"event\":\"signal\",\"task\":\"A\",\"signal\":\"SIGBUS BUS_MCEERR_AO addr=buf+0x0 lsb=12\"}\n"));
	assert_non_null(strstr(out, "{\"event\":\"counter\",\"name\":\"hardware-corrupted\",\"value\":\"+4K\"}\n"));
	assert_non_null(strstr(out, "{\"event\":\"log\",\"text\":\"Memory failure: A:buf+0x0: recovery action for dirty LRU page: Recovered\"}\n"));
	free(out);
}

static void test_model_only_skip(void **state)
{
	char *out;

	(void)state;
	F.model_only_ok = false;
	assert_int_equal(run("mce srao A:buf+0\n", NULL, 0, false, &out), MF_EXIT_SKIP);
	assert_string_equal(out, "skip: T:7: mce srao is model-only\n");
	free(out);
	F.model_only_ok = true;
	assert_int_equal(run("mce srao A:buf+0\n", NULL, 0, false, &out), 0);
	free(out);
	F.start_skip = true;
	assert_int_equal(run("sync\n", NULL, 0, false, &out), MF_EXIT_SKIP);
	assert_string_equal(out, "skip: no hugetlbfs\n");
	F.start_skip = false;
	free(out);
}

static void test_panic(void **state)
{
	static const struct script s[] = { { .line = 7, .res = { .kind = MF_RES_OK }, .panic = true } };
	char *out;

	(void)state;
	assert_int_equal(run("sync => panic\nsync\n", s, 1, false, &out), 0);
	assert_non_null(strstr(out, "step 7 sync = panic\nnote:"));
	free(out);
	assert_int_equal(run("sync => ok\n", s, 1, false, &out), 1);
	assert_non_null(strstr(out, "T:7: expected ok, got panic\n"));
	free(out);
	assert_int_equal(run("sync\nsync\n", s, 1, false, &out), 0);
	assert_non_null(strstr(out, "note: the machine panicked (Memory failure: 0x1000: recovery is off); 1 statement not run\n"));
	free(out);
}

static void test_multi_files(void **state)
{
	char p1[] = "/tmp/test_drv_a_XXXXXX", p2[] = "/tmp/test_drv_b_XXXXXX";
	int f1 = mkstemp(p1), f2 = mkstemp(p2);
	char *files[] = { p1, p2 }, *out, want[512];
	size_t len;
	FILE *o = open_memstream(&out, &len);
	struct mf_run_opts opt = { .err = o };

	(void)state;
	dprintf(f1, "scenario \"a\"\nsync\n");
	dprintf(f2, "scenario \"b\"\nsync => EIO\n");
	close(f1);
	close(f2);
	F.nscript = 0;
	assert_int_equal(mf_run_files(make, NULL, files, 2, &opt, o), 1);
	fclose(o);
	snprintf(want, sizeof(want),
		 "=== %s\nstep 2 sync = ok\n=== %s: pass\n=== %s\nstep 2 sync = ok\n"
		 "%s:2: expected EIO, got ok\n=== %s: FAIL\n"
		 "=== 2 scenarios: 1 passed, 1 failed, 0 skipped, 0 errors\n",
		 p1, p1, p2, p2, p2);
	assert_string_equal(out, want);
	free(out);
	/* a parse error in any file: nothing runs, exit 2 */
	f2 = open(p2, O_WRONLY | O_TRUNC);
	dprintf(f2, "scenario \"b\"\nsink\n");
	close(f2);
	o = open_memstream(&out, &len);
	opt.err = o;
	assert_int_equal(mf_run_files(make, NULL, files, 2, &opt, o), 2);
	fclose(o);
	assert_non_null(strstr(out, ":2:1: error: found 'sink', expected a statement"));
	assert_null(strstr(out, "step 2"));
	free(out);
	unlink(p1);
	unlink(p2);
}

static void test_no_backend(void **state)
{
	char p1[] = "/tmp/test_drv_c_XXXXXX";
	int f1 = mkstemp(p1);
	char *files[] = { p1 }, *out;
	size_t len;
	FILE *o = open_memstream(&out, &len);
	struct mf_run_opts opt = { .err = o };

	(void)state;
	dprintf(f1, "scenario \"a\"\nsync\n");
	close(f1);
	assert_int_equal(mf_run_files(make_null, NULL, files, 1, &opt, o), 1);
	fclose(o);
	assert_non_null(strstr(out, ":1: error: no back end"));
	free(out);
	unlink(p1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_trace),
		cmocka_unit_test(test_madvise_pfns),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_unknown_pid_addr),
		cmocka_unit_test(test_putback_lru),
		cmocka_unit_test(test_expect_fail),
		cmocka_unit_test(test_signal_cursors),
		cmocka_unit_test(test_log_windows),
		cmocka_unit_test(test_state_expectations),
		cmocka_unit_test(test_runtime_error),
		cmocka_unit_test(test_dead_task),
		cmocka_unit_test(test_killed_and_short_read),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_model_only_skip),
		cmocka_unit_test(test_panic),
		cmocka_unit_test(test_multi_files),
		cmocka_unit_test(test_no_backend),
	};

	F.model_only_ok = true;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
