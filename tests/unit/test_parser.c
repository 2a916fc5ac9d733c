/* SPDX-License-Identifier: GPL-2.0-only */
/* Parser tests: every statement kind, canonical text and its round trip, every error path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "memfail/driver.h"
#include "memfail/scenario.h"

static struct mf_scenario *parse(const char *src, struct mf_parse_error *err)
{
	return mf_scenario_parse_buf("t.mf", src, strlen(src), err);
}

static const char FULL[] =
	"scenario \"every \\\"statement\\\"\"   # title\n"
	"kernel 6.1\n"
	"machine memory=512M swap=64M hugepages=8 overcommit=2 thp=always shmem_thp=advise nodes=2\n"
	"sysctl vm.memory_failure_early_kill=0\n"
	"requires model\n"
	"file disk:data size=20K fill=index synced\n"
	"file disk:log  size=8K  fill=0x5a dirty\n"
	"file disk:sparse size=16K hole\n"
	"file disk:cold size=8K uncached\n"
	"file tmpfs:t1 size=8K\n"
	"file hugetlbfs:h1 size=2M\n"
	"task A\n"
	"task B sigbus=default\n"
	"thread A.t2\n"
	"sysctl vm.memory_failure_early_kill=1\n"
	"A: mmap buf anon private 16K fill=index\n"
	"A: mmap sh anon shared 4K populate\n"
	"A: mmap m file disk:data shared 20K offset=0 ro populate locked\n"
	"A: open f disk:data rw\n"
	"A: mmap m2 fd f shared 4K offset=4K\n"
	"A: mmap seg sysv 2M hugetlb\n"
	"A: mmap t file tmpfs:t1 shared 8K thp\n"
	"A: mlock buf 4K\n"
	"A: munlock buf+4K\n"
	"A: madvise buf+0 4K hwpoison as P => 0\n"
	"A: madvise buf 8K soft_offline\n"
	"A: madvise buf 16K dontneed\n"
	"A.t2: load buf+0x10 => SIGBUS AR addr=buf+0x10 lsb=12\n"
	"A: store buf+0x10 0x41\n"
	"A: fill buf 16K 0x5a\n"
	"A: check buf 16K index => mismatch\n"
	"A: prctl mce_kill early\n"
	"A: prctl mce_kill_get => 1\n"
	"A: read f 0 4K => 2K index\n"
	"A: write f 4K 4K\n"
	"A: write f 8K 4K fill=0x01 => 4K\n"
	"A: fsync f => EIO\n"
	"A: fdatasync f\n"
	"A: msync m\n"
	"A: msync m+0 4K\n"
	"A: ftruncate f 8K\n"
	"A: punch f 0 4K\n"
	"A: close f\n"
	"A: unlink disk:log\n"
	"A: load m+0 => killed SIGBUS\n"
	"task C fork A sigbus=default\n"
	"corrupt-pfn A:buf+4K as Q\n"
	"unpoison Q\n"
	"hard-offline file disk:data+8K as H\n"
	"soft-offline A:buf \\\n"
	"   as S\n"
	"filter enable flags-mask=anon flags-value=0\n"
	"filter disable\n"
	"mce srao A:buf+0\n"
	"mce srar A:buf+0x10\n"
	"sync\n"
	"drop_caches 3\n"
	"reclaim A:buf+0x3000 => EAGAIN\n"
	"label R = free\n"
	"label K = kernel\n"
	"label FH = free-huge\n"
	"label SL = slab\n"
	"expect A signals SIGBUS AO addr=buf+0 lsb=12, SIGBUS AR addr=buf+0x10 lsb=12\n"
	"expect A.t2 signals none\n"
	"expect A.main signals SIGSEGV ACCERR\n"
	"expect A alive\n"
	"expect B killed SIGBUS\n"
	"expect C exited 3\n"
	"expect log \"recovery action for dirty LRU page: Recovered\"\n"
	"expect no-log \"Sending SIGBUS\"\n"
	"expect hardware-corrupted +4K\n"
	"expect hardware-corrupted -8K\n"
	"expect page P hwpoison !buddy\n"
	"expect page A:buf+0 lru\n"
	"expect A:buf+0 is P\n"
	"expect A:buf+0 is-not A:buf+4K\n"
	"expect hugepages free=7 total=8\n"
	"A: madvise buf 16K collapse\n"
	"A: pin buf+4K 8K => 8K\n"
	"A: unpin\n"
	"A: madvise buf 16K mergeable\n"
	"ksm-scan\n"
	"A: madvise buf+4K 4K unmergeable\n"
	"A: exit\n";

static const char *const FULL_CANON[] = {
	"file disk:data size=20K fill=index synced",
	"file disk:log size=8K fill=0x5a dirty",
	"file disk:sparse size=16K fill=index hole",
	"file disk:cold size=8K fill=index uncached",
	"file tmpfs:t1 size=8K fill=index dirty",
	"file hugetlbfs:h1 size=2M fill=index dirty",
	"task A",
	"task B sigbus=default",
	"thread A.t2",
	"sysctl vm.memory_failure_early_kill=1",
	"A: mmap buf anon private 16K fill=index",
	"A: mmap sh anon shared 4K populate",
	"A: mmap m file disk:data shared 20K ro populate locked",
	"A: open f disk:data rw",
	"A: mmap m2 fd f shared 4K offset=4K",
	"A: mmap seg sysv 2M hugetlb",
	"A: mmap t file tmpfs:t1 shared 8K thp",
	"A: mlock buf+0x0 4K",
	"A: munlock buf+0x1000 12K",
	"A: madvise buf+0x0 4K hwpoison as P",
	"A: madvise buf+0x0 8K soft_offline",
	"A: madvise buf+0x0 16K dontneed",
	"A.t2: load buf+0x10",
	"A: store buf+0x10 0x41",
	"A: fill buf+0x0 16K 0x5a",
	"A: check buf+0x0 16K index",
	"A: prctl mce_kill early",
	"A: prctl mce_kill_get",
	"A: read f 0 4K",
	"A: write f 4K 4K fill=index",
	"A: write f 8K 4K fill=0x01",
	"A: fsync f",
	"A: fdatasync f",
	"A: msync m+0x0 20K",
	"A: msync m+0x0 4K",
	"A: ftruncate f 8K",
	"A: punch f 0 4K",
	"A: close f",
	"A: unlink disk:log",
	"A: load m+0x0",
	"task C fork A sigbus=default",
	"corrupt-pfn A:buf+0x1000 as Q",
	"unpoison Q",
	"hard-offline file disk:data+0x2000 as H",
	"soft-offline A:buf+0x0 as S",
	"filter enable flags-mask=0x1000 flags-value=0x0",
	"filter disable",
	"mce srao A:buf+0x0",
	"mce srar A:buf+0x10",
	"sync",
	"drop_caches 3",
	"reclaim A:buf+0x3000",
	"label R = free",
	"label K = kernel",
	"label FH = free-huge",
	"label SL = slab",
	"expect A signals SIGBUS AO addr=buf+0x0 lsb=12, SIGBUS AR addr=buf+0x10 lsb=12",
	"expect A.t2 signals none",
	"expect A.main signals SIGSEGV ACCERR",
	"expect A alive",
	"expect B killed SIGBUS",
	"expect C exited 3",
	"expect log \"recovery action for dirty LRU page: Recovered\"",
	"expect no-log \"Sending SIGBUS\"",
	"expect hardware-corrupted +4K",
	"expect hardware-corrupted -8K",
	"expect page P hwpoison !buddy",
	"expect page A:buf+0x0 lru",
	"expect A:buf+0x0 is P",
	"expect A:buf+0x0 is-not A:buf+0x1000",
	"expect hugepages free=7 total=8",
	"A: madvise buf+0x0 16K collapse",
	"A: pin buf+0x1000 8K",
	"A: unpin",
	"A: madvise buf+0x0 16K mergeable",
	"ksm-scan",
	"A: madvise buf+0x1000 4K unmergeable",
	"A: exit",
};

#define NCANON (sizeof(FULL_CANON) / sizeof(FULL_CANON[0]))

static void test_full_canonical(void **state)
{
	struct mf_parse_error err;
	struct mf_scenario *sc = parse(FULL, &err);
	char buf[512];

	(void)state;
	if (!sc)
		fail_msg("%s", err.msg);
	assert_int_equal(sc->nstmt, NCANON);
	for (int i = 0; i < sc->nstmt; i++)
		assert_string_equal(mf_stmt_canonical(&sc->stmt[i], buf, sizeof(buf)),
				    FULL_CANON[i]);
	mf_scenario_free(sc);
}

static void test_header(void **state)
{
	struct mf_parse_error err;
	struct mf_scenario *sc = parse(FULL, &err);

	(void)state;
	assert_non_null(sc);
	assert_string_equal(sc->title, "every \"statement\"");
	assert_string_equal(sc->kernel, "6.1");
	assert_int_equal(sc->machine.memory, 512ull << 20);
	assert_int_equal(sc->machine.swap, 64ull << 20);
	assert_int_equal(sc->machine.hugepages, 8);
	assert_int_equal(sc->machine.overcommit, 2);
	assert_int_equal(sc->machine.thp, 2);
	assert_int_equal(sc->machine.shmem_thp, 1);
	assert_int_equal(sc->machine.nodes, 2);
	assert_true(sc->requires_model);
	assert_int_equal(sc->nsysctl, 1);
	assert_string_equal(sc->sysctl[0].key, "vm.memory_failure_early_kill");
	assert_string_equal(sc->sysctl[0].val, "0");
	assert_int_equal(sc->stmt[0].line, 6);
	/* the continued soft-offline starts on its first line */
	for (int i = 0; i < sc->nstmt; i++)
		if (sc->stmt[i].op == MF_OP_SOFT_OFFLINE)
			assert_int_equal(sc->stmt[i].line, 50);
	mf_scenario_free(sc);
}

static void test_defaults(void **state)
{
	struct mf_parse_error err;
	struct mf_scenario *sc = parse("scenario \"d\"\n", &err);

	(void)state;
	assert_non_null(sc);
	assert_int_equal(sc->machine.memory, 256ull << 20);
	assert_int_equal(sc->machine.thp, 1);
	assert_int_equal(sc->machine.shmem_thp, 0);
	assert_int_equal(sc->machine.nodes, 1);
	assert_false(sc->requires_model);
	assert_int_equal(sc->nstmt, 0);
	mf_scenario_free(sc);
}

static const struct mf_stmt *find(const struct mf_scenario *sc, int line)
{
	for (int i = 0; i < sc->nstmt; i++)
		if (sc->stmt[i].line == line)
			return &sc->stmt[i];
	return NULL;
}

static void test_fields(void **state)
{
	struct mf_parse_error err;
	struct mf_scenario *sc = parse(FULL, &err);
	const struct mf_stmt *st;

	(void)state;
	assert_non_null(sc);
	st = find(sc, 25);	/* madvise hwpoison as P => 0 */
	assert_int_equal(st->op, MF_OP_MADVISE);
	assert_int_equal(st->madv, MF_MADV_HWPOISON);
	assert_string_equal(st->as, "P");
	assert_int_equal(st->expres->kind, MF_EXP_TEXT);
	assert_string_equal(st->expres->text, "0");
	st = find(sc, 28);	/* A.t2: load => SIGBUS AR */
	assert_string_equal(st->task, "A");
	assert_string_equal(st->thread, "t2");
	assert_int_equal(st->expres->kind, MF_EXP_SIGNAL);
	assert_string_equal(st->expres->text, "SIGBUS");
	assert_string_equal(st->expres->code, "AR");
	assert_true(st->expres->has_addr && st->expres->has_lsb);
	assert_int_equal(st->expres->addr.off, 0x10);
	assert_int_equal(st->expres->lsb, 12);
	st = find(sc, 34);	/* read => 2K index */
	assert_int_equal(st->expres->kind, MF_EXP_SHORT);
	assert_int_equal(st->expres->short_len, 2048);
	assert_string_equal(st->expres->text, "index");
	st = find(sc, 45);	/* load m+0 => killed SIGBUS */
	assert_int_equal(st->expres->kind, MF_EXP_KILLED);
	assert_string_equal(st->expres->text, "SIGBUS");
	st = find(sc, 21);	/* sysv */
	assert_int_equal(st->mkind, MF_MAP_SYSV);
	assert_true(st->shared && st->hugetlb);
	st = find(sc, 52);	/* filter */
	assert_int_equal(st->flags_mask, 1 << 12);
	st = find(sc, 49);
	assert_int_equal(st->ref.kind, MF_PREF_FILE);
	assert_int_equal(st->ref.file_off, 8192);
	assert_string_equal(st->ref.file, "data");
	st = find(sc, 65);	/* expect A.main signals */
	assert_true(st->is_expect);
	assert_string_equal(st->expect->thread, "main");
	assert_int_equal(st->expect->nsig, 1);
	st = find(sc, 72);
	assert_int_equal(st->expect->hwcorrupt_bytes, -8192);
	st = find(sc, 78);	/* madvise collapse */
	assert_int_equal(st->madv, MF_MADV_COLLAPSE);
	st = find(sc, 79);	/* pin buf+4K 8K */
	assert_int_equal(st->op, MF_OP_PIN);
	assert_int_equal(st->addr.off, 4096);
	assert_int_equal(st->size, 8192);
	assert_int_equal(find(sc, 80)->op, MF_OP_UNPIN);
	st = find(sc, 73);
	assert_int_equal(st->expect->nflags, 2);
	assert_int_equal(st->expect->flag_bit[0], 19);
	assert_true(st->expect->flag_set[0]);
	assert_int_equal(st->expect->flag_bit[1], 10);
	assert_false(st->expect->flag_set[1]);
	assert_string_equal(st->expect->label, "P");
	mf_scenario_free(sc);
}

/* Canonical text parses back to the same canonical text. */
static void test_round_trip(void **state)
{
	struct mf_parse_error err;
	struct mf_scenario *sc = parse(FULL, &err), *sc2;
	char *src = malloc(65536), buf[512];
	size_t n = 0;

	(void)state;
	assert_non_null(sc);
	n += sprintf(src, "scenario \"rt\"\nmachine hugepages=8\n");
	for (int i = 0; i < sc->nstmt; i++)
		n += sprintf(src + n, "%s\n", mf_stmt_canonical(&sc->stmt[i], buf, sizeof(buf)));
	sc2 = mf_scenario_parse_buf("rt.mf", src, n, &err);
	if (!sc2)
		fail_msg("%s", err.msg);
	assert_int_equal(sc2->nstmt, sc->nstmt);
	for (int i = 0; i < sc2->nstmt; i++)
		assert_string_equal(mf_stmt_canonical(&sc2->stmt[i], buf, sizeof(buf)),
				    FULL_CANON[i]);
	mf_scenario_free(sc);
	mf_scenario_free(sc2);
	free(src);
}

static void test_lexical(void **state)
{
	struct mf_parse_error err;
	struct mf_scenario *sc;
	char buf[256];
	static const char src[] =
		"# leading comment\n"
		"\n"
		"scenario \"a # not a comment\\n\\\\\"\r\n"
		"task A   # comment\n"
		"A: mmap b \\\n"
		"  anon \\   # comment after the backslash\n"
		"  private 0x2000\n"
		"A: load b+1K\n"
		"expect log \"x,y\"\n";

	(void)state;
	sc = parse(src, &err);
	if (!sc)
		fail_msg("%s", err.msg);
	assert_string_equal(sc->title, "a # not a comment\n\\");
	assert_int_equal(sc->nstmt, 4);
	assert_int_equal(sc->stmt[1].line, 5);
	assert_string_equal(mf_stmt_canonical(&sc->stmt[1], buf, sizeof(buf)),
			    "A: mmap b anon private 8K");
	assert_string_equal(mf_stmt_canonical(&sc->stmt[2], buf, sizeof(buf)),
			    "A: load b+0x400");
	assert_string_equal(sc->stmt[3].expect->log, "x,y");
	mf_scenario_free(sc);
}

static void test_sizes(void **state)
{
	struct mf_parse_error err;
	struct mf_scenario *sc;
	char buf[256];

	(void)state;
	sc = parse("scenario \"s\"\nfile disk:f size=1G\ntask A\nA: open f disk:f rw\n"
		   "A: read f 1536 6K\nA: read f 0x100000 2049\nA: read f 2T 0x1F\n", &err);
	if (!sc)
		fail_msg("%s", err.msg);
	assert_string_equal(mf_stmt_canonical(&sc->stmt[0], buf, sizeof(buf)),
			    "file disk:f size=1G fill=index synced");
	assert_string_equal(mf_stmt_canonical(&sc->stmt[3], buf, sizeof(buf)),
			    "A: read f 1536 6K");
	assert_string_equal(mf_stmt_canonical(&sc->stmt[4], buf, sizeof(buf)),
			    "A: read f 1M 2049");
	/* T is a unit; a hex number may end in the digit F */
	assert_string_equal(mf_stmt_canonical(&sc->stmt[5], buf, sizeof(buf)),
			    "A: read f 2T 31");
	mf_scenario_free(sc);
}

static void test_kpf(void **state)
{
	(void)state;
	assert_int_equal(mf_kpf_bit("locked"), 0);
	assert_int_equal(mf_kpf_bit("referenced"), 2);
	assert_int_equal(mf_kpf_bit("buddy"), 10);
	assert_int_equal(mf_kpf_bit("anon"), 12);
	assert_int_equal(mf_kpf_bit("hwpoison"), 19);
	assert_int_equal(mf_kpf_bit("thp"), 22);
	assert_int_equal(mf_kpf_bit("pgtable"), 26);
	assert_int_equal(mf_kpf_bit("bogus"), -1);
	assert_int_equal(mf_kpf_bit(""), -1);
	assert_string_equal(mf_op_name(MF_OP_CORRUPT_PFN), "corrupt-pfn");
}

/* Each bad scenario and the exact message it must produce. */
static const struct {
	const char *src, *msg;
} bad[] = {
	{ "", "t.mf:1:1: error: found end of file, expected 'scenario \"TITLE\"'" },
	{ "task A\n", "t.mf:1:1: error: found 'task', expected 'scenario \"TITLE\"' as the first statement" },
	{ "scenario x\n", "t.mf:1:10: error: found 'x', expected a title string \"...\"" },
	{ "scenario \"x\" y\n", "t.mf:1:14: error: found 'y', expected end of line" },
	{ "scenario \"x\nsync\n", "t.mf:1:12: error: found end of line, expected '\"' closing the string" },
	{ "scenario \"x\\q\"\n", "t.mf:1:12: error: found '\\q', expected an escape \\\" \\\\ or \\n" },
	{ "scenario \"x\"\ntask A\x01\n", "t.mf:2:7: error: found '\\x01', expected a token" },
	{ "scenario \"x\"\nscenario \"y\"\n", "t.mf:2:1: error: found 'scenario', expected a statement (scenario is the first statement only)" },
	{ "scenario \"x\"\nkernel 5.15\n", "t.mf:2:8: error: found '5.15', expected 6.1 or 6.12 (the kernel profiles)" },
	{ "scenario \"x\"\nmachine thp=sometimes\n", "t.mf:2:9: error: found 'thp=sometimes', expected thp=always|madvise|never" },
	{ "scenario \"x\"\nmachine memory=5000\n", "t.mf:2:9: error: found 'memory=5000', expected memory=SIZE, a multiple of 4K" },
	{ "scenario \"x\"\nmachine nodes=0\n", "t.mf:2:9: error: found 'nodes=0', expected nodes=N with N from 1 to 64" },
	{ "scenario \"x\"\nmachine memory=9T\n", "t.mf:2:9: error: found 'memory=9T', expected memory= of at most 8T" },
	{ "scenario \"x\"\nmachine pmem=8194G\n", "t.mf:2:9: error: found 'pmem=8194G', expected pmem= of at most 8T" },
	{ "scenario \"x\"\nmachine swap=8193G\n", "t.mf:2:9: error: found 'swap=8193G', expected swap= of at most 8T" },
	{ "scenario \"x\"\nmachine nodes=65\n", "t.mf:2:9: error: found 'nodes=65', expected nodes=N with N from 1 to 64" },
	{ "scenario \"x\"\ntask A\nexpect memory-failure-stats node=64 total=+0\n", "t.mf:3:29: error: found 'node=64', expected node=N, N from 0 to 63" },
	{ "scenario \"x\"\nrequires kernel\n", "t.mf:2:10: error: found 'kernel', expected model" },
	{ "scenario \"x\"\nsysctl vm.x\n", "t.mf:2:8: error: found 'vm.x', expected KEY=VALUE, e.g. vm.memory_failure_early_kill=1" },
	{ "scenario \"x\"\ntask A\nkernel 6.1\n", "t.mf:3:1: error: found 'kernel', expected a step (kernel belongs to the header, before the first declaration or step)" },
	{ "scenario \"x\"\nfoo\n", "t.mf:2:1: error: found 'foo', expected a statement: file, task, thread, sysctl, expect, a system step or TASK: step" },
	{ "scenario \"x\"\nfile nfs:a size=4K\n", "t.mf:2:6: error: found 'nfs:a', expected a file system disk, tmpfs or hugetlbfs before ':'" },
	{ "scenario \"x\"\nfile disk:a\n", "t.mf:2:12: error: found end of line, expected size=SIZE" },
	{ "scenario \"x\"\nfile disk:a size=4K\nfile disk:a size=4K\n", "t.mf:3:6: error: found 'disk:a', expected a new file name (disk:a is already declared)" },
	{ "scenario \"x\"\nfile hugetlbfs:h size=4K\n", "t.mf:2:18: error: found '4K', expected size=SIZE that is a multiple of 2M" },
	{ "scenario \"x\"\nfile tmpfs:t size=4K uncached\n", "t.mf:2:22: error: found 'uncached', expected dirty or hole (tmpfs and hugetlbfs have no backing store)" },
	{ "scenario \"x\"\ntask averyveryverylongname\n", "t.mf:2:6: error: found 'averyveryverylongname', expected a task name of at most 15 bytes" },
	{ "scenario \"x\"\ntask 9A\n", "t.mf:2:6: error: found '9A', expected a task name ([A-Za-z_][A-Za-z0-9_-]*)" },
	{ "scenario \"x\"\ntask A\ntask A\n", "t.mf:3:6: error: found 'A', expected a new task name (A is already declared)" },
	{ "scenario \"x\"\ntask C fork A\n", "t.mf:2:13: error: found 'A', expected a declared task to fork" },
	{ "scenario \"x\"\ntask A\nthread A.main\n", "t.mf:3:8: error: found 'A.main', expected a new thread name (main is taken)" },
	{ "scenario \"x\"\nthread Z.t\n", "t.mf:2:8: error: found 'Z.t', expected a thread of a declared task" },
	{ "scenario \"x\"\nZ: exit\n", "t.mf:2:1: error: found 'Z:', expected a declared task before ':'" },
	{ "scenario \"x\"\ntask A\nA.t9: exit\n", "t.mf:3:1: error: found 'A.t9:', expected a declared thread of A" },
	{ "scenario \"x\"\ntask A\nA: exit\nA: exit\n", "t.mf:4:1: error: found 'A:', expected a task that has not exited (A exited)" },
	{ "scenario \"x\"\ntask A\nthread A.t\nA.t: exit\n", "t.mf:4:6: error: found 'exit', expected a step of the process (exit is written 'A: exit')" },
	{ "scenario \"x\"\ntask A\nA: mmap b anon private 4K\nA: mmap b anon private 4K\n", "t.mf:4:9: error: found 'b', expected a new region name (b is mapped already in A)" },
	{ "scenario \"x\"\ntask A\nA: mmap b anon 4K\n", "t.mf:3:16: error: found '4K', expected private or shared" },
	{ "scenario \"x\"\ntask A\nA: mmap b heap private 4K\n", "t.mf:3:11: error: found 'heap', expected anon, file FS:NAME, fd FD or sysv" },
	{ "scenario \"x\"\ntask A\nA: mmap b anon private 0\n", "t.mf:3:24: error: found '0', expected a region size above 0" },
	{ "scenario \"x\"\ntask A\nA: mmap b anon private 4K ro\n", "t.mf:3:27: error: found 'ro', expected populate, locked, hugetlb, thp (anon), fill= or end of line" },
	{ "scenario \"x\"\ntask A\nA: mmap b anon private 2M hugetlb thp\n", "t.mf:3:38: error: found end of line, expected hugetlb or thp, not both" },
	{ "scenario \"x\"\nfile disk:d size=4K\ntask A\nA: mmap b file disk:d shared 4K thp\n", "t.mf:4:33: error: found 'thp', expected offset=, ro, populate, locked, thp (tmpfs) or end of line" },
	{ "scenario \"x\"\ntask A\nA: mmap b fd f shared 4K\n", "t.mf:3:14: error: found 'f', expected an fd that A opened" },
	{ "scenario \"x\"\ntask A\nA: mmap b anon private 4K\nA: load b+4K\n", "t.mf:4:9: error: found 'b+4K', expected an address inside region b (0x1000 bytes)" },
	{ "scenario \"x\"\ntask A\nA: mmap b anon private 4K\nA: load c\n", "t.mf:4:9: error: found 'c', expected a region of task A" },
	{ "scenario \"x\"\ntask A\nA: mmap b anon private 4K\nA: load b+zz\n", "t.mf:4:9: error: found 'b+zz', expected an address REGION+OFFSET (offset: a number, may end in K, M, G or T)" },
	{ "scenario \"x\"\ntask A\nA: mmap b anon private 4K\nA: store b 0x100\n", "t.mf:4:12: error: found '0x100', expected a byte value 0xNN" },
	{ "scenario \"x\"\ntask A\nA: mmap b anon private 8K\nA: madvise b 12K hwpoison\n", "t.mf:4:14: error: found '12K', expected a range inside region b (0x2000 bytes from offset 0x0)" },
	{ "scenario \"x\"\ntask A\nA: mmap b anon private 8K\nA: madvise b 4K poison\n", "t.mf:4:17: error: found 'poison', expected an advice: hwpoison, soft_offline, hugepage, nohugepage, dontneed, pageout, willneed, collapse, mergeable or unmergeable" },
	{ "scenario \"x\"\nksm-scan 2\n", "t.mf:2:10: error: found '2', expected end of line" },
	{ "scenario \"x\"\ntask A\nA: mmap b anon private 8K\nA: madvise b 4K mergeable as P\n", "t.mf:4:27: error: found 'as', expected end of line" },
	{ "scenario \"x\"\ntask A\nA: mmap b anon private 8K\nA: madvise b 4K dontneed as P\n", "t.mf:4:26: error: found 'as', expected end of line" },
	{ "scenario \"x\"\ntask A\nA: mmap b anon private 8K\nA: fill b 8K pattern\n", "t.mf:4:14: error: found 'pattern', expected a pattern: index or a byte 0xNN" },
	{ "scenario \"x\"\ntask A\nA: prctl mce_kill sometimes\n", "t.mf:3:19: error: found 'sometimes', expected early, late or clear" },
	{ "scenario \"x\"\ntask A\nA: open f disk:d rw\n", "t.mf:3:11: error: found 'disk:d', expected a declared file (declare it with 'file disk:d size=...')" },
	{ "scenario \"x\"\nfile disk:d size=4K\ntask A\nA: open f disk:d rx\n", "t.mf:4:18: error: found 'rx', expected rw or ro" },
	{ "scenario \"x\"\nfile disk:d size=4K\ntask A\nA: open f disk:d rw\nA: open f disk:d rw\n", "t.mf:5:9: error: found 'f', expected a new fd name (f is open in A)" },
	{ "scenario \"x\"\nfile disk:d size=4K\ntask A\nA: unlink disk:d\nA: open f disk:d rw\n", "t.mf:5:11: error: found 'disk:d', expected a file that exists (disk:d was unlinked)" },
	{ "scenario \"x\"\nfile disk:d size=4K\ntask A\nA: open f disk:d rw\nA: write f 0 4K fill=x\n", "t.mf:5:17: error: found 'x', expected a pattern: index or a byte 0xNN" },
	{ "scenario \"x\"\nfile disk:d size=4K\ntask A\nA: open f disk:d rw\nA: read f 0 0\n", "t.mf:5:13: error: found '0', expected a length above 0" },
	{ "scenario \"x\"\nunpoison P\n", "t.mf:2:10: error: found 'P', expected a page reference (TASK:REGION+OFF, file FS:NAME+OFF, free, free-huge, kernel, slab, metadata, metadata-busy or a label); no label P is bound before this line" },
	{ "scenario \"x\"\nlabel free = kernel\n", "t.mf:2:7: error: found 'free', expected a label name that is not a page-reference keyword" },
	{ "scenario \"x\"\nlabel P = kernel\nlabel P = free\n", "t.mf:3:7: error: found 'P', expected a new label name (P is already bound)" },
	{ "scenario \"x\"\nlabel P kernel\n", "t.mf:2:9: error: found 'kernel', expected '='" },
	{ "scenario \"x\"\ncorrupt-pfn kernel as kernel\n", "t.mf:2:23: error: found 'kernel', expected a label name that is not a page-reference keyword" },
	{ "scenario \"x\"\ncorrupt-pfn file disk:q+0\n", "t.mf:2:18: error: found 'disk:q+0', expected a declared file" },
	{ "scenario \"x\"\ncorrupt-pfn Z:b+0\n", "t.mf:2:13: error: found 'Z:b+0', expected a declared task before ':'" },
	{ "scenario \"x\"\nmce srar free\n", "t.mf:2:10: error: found 'free', expected TASK:REGION+OFF (srar is consumed by that task's load)" },
	{ "scenario \"x\"\nmce scrub free\n", "t.mf:2:5: error: found 'scrub', expected srao or srar" },
	{ "scenario \"x\"\nfilter on\n", "t.mf:2:8: error: found 'on', expected enable or disable" },
	{ "scenario \"x\"\nfilter enable flags-mask=anon|nope\n", "t.mf:2:15: error: found 'flags-mask=anon|nope', expected page-types flag names joined by '|' (unknown flag 'nope'), or a number" },
	{ "scenario \"x\"\nfilter enable dev-major=8\n", "t.mf:2:15: error: found 'dev-major=8', expected flags-mask=FLAGS, flags-value=FLAGS or end of line" },
	{ "scenario \"x\"\ndrop_caches 4\n", "t.mf:2:13: error: found '4', expected 1, 2 or 3" },
	{ "scenario \"x\"\nsync now\n", "t.mf:2:6: error: found 'now', expected end of line" },
	{ "scenario \"x\"\nsync =>\n", "t.mf:2:8: error: found end of line, expected an expected result" },
	{ "scenario \"x\"\nsync => killed 9\n", "t.mf:2:16: error: found '9', expected a signal name (SIGBUS, SIGKILL, SIGSEGV)" },
	{ "scenario \"x\"\nsync => SIGBUS XX\n", "t.mf:2:16: error: found 'XX', expected a SIGBUS code (AR, AO, ADRERR, ADRALN or OBJERR)" },
	{ "scenario \"x\"\nsync => SIGBUS AR addr=b+0\n", "t.mf:2:19: error: found 'addr=b+0', expected no addr= (no task to name a region of)" },
	{ "scenario \"x\"\nsync => SIGSEGV AR\n", "t.mf:2:17: error: found 'AR', expected a SIGSEGV code (MAPERR or ACCERR)" },
	{ "scenario \"x\"\ntask A\nA: mmap b anon private 4K\nA: load b => SIGBUS AR lsb=99\n", "t.mf:4:24: error: found 'lsb=99', expected lsb=N with N from 0 to 63" },
	{ "scenario \"x\"\nexpect\n", "t.mf:2:7: error: found end of line, expected an expectation" },
	{ "scenario \"x\"\nexpect Z alive\n", "t.mf:2:8: error: found 'Z', expected an expectation: log, no-log, hardware-corrupted, page, hugepages, memory-failure-stats, TASK:ADDR is, or a declared task" },
	{ "scenario \"x\"\ntask A\nexpect A happy\n", "t.mf:3:10: error: found 'happy', expected signals, alive, killed or exited" },
	{ "scenario \"x\"\ntask A\nthread A.t\nexpect A.t alive\n", "t.mf:4:12: error: found 'alive', expected signals (a thread has no state of its own)" },
	/* ';' separates statements of a line: nothing follows this one */
	{ "scenario \"x\"\ntask A\nexpect A signals SIGBUS AO;\n", "t.mf:3:28: error: found end of line, expected a statement after ';'" },
	{ "scenario \"x\"\ntask A\nexpect A signals SIGBUS ;AO\n", "t.mf:3:25: error: found ';', expected a signal code (AR, AO, ADRERR, ACCERR, MAPERR, ...)" },
	{ "scenario \"x\"\ntask A\nexpect A signals SIGBUS AO x\n", "t.mf:3:28: error: found 'x', expected ',', addr=, lsb= or end of line" },
	{ "scenario \"x\"\ntask A\nexpect A exited 300\n", "t.mf:3:17: error: found '300', expected an exit status 0..255 or end of line" },
	{ "scenario \"x\"\nexpect log \"\"\n", "t.mf:2:12: error: found \"\", expected a non-empty string \"...\"" },
	{ "scenario \"x\"\nexpect log x\n", "t.mf:2:12: error: found 'x', expected a non-empty string \"...\"" },
	{ "scenario \"x\"\nexpect hardware-corrupted 4\n", "t.mf:2:27: error: found '4', expected a change such as +4K, -4K or +0" },
	{ "scenario \"x\"\nexpect page free\n", "t.mf:2:17: error: found end of line, expected a page-types flag name (hwpoison, buddy, ...)" },
	{ "scenario \"x\"\nexpect page free !nosuch\n", "t.mf:2:18: error: found '!nosuch', expected a page-types flag name (hwpoison, buddy, lru, ...), or !name" },
	{ "scenario \"x\"\nexpect hugepages\n", "t.mf:2:17: error: found end of line, expected free=N or total=N" },
	{ "scenario \"x\"\nexpect hugepages used=1\n", "t.mf:2:18: error: found 'used=1', expected free=N or total=N" },
	{ "scenario \"x\"\ntask A\nA: mmap b anon private 4K\nexpect A:b+0 equals free\n", "t.mf:4:14: error: found 'equals', expected is or is-not" },
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mf_parse_error err;
		struct mf_scenario *sc = parse(bad[i].src, &err);

		if (sc)
			fail_msg("case %zu parsed: %s", i, bad[i].src);
		if (strcmp(err.msg, bad[i].msg))
			fail_msg("case %zu:\n  got  %s\n  want %s", i, err.msg, bad[i].msg);
		assert_true(err.line >= 1 && err.col >= 1);
	}
}

static void test_parse_file(void **state)
{
	struct mf_parse_error err;
	struct mf_scenario *sc;

	(void)state;
	sc = mf_scenario_parse_file("/nonexistent/x.mf", &err);
	assert_null(sc);
	assert_string_equal(err.msg, "/nonexistent/x.mf: error: No such file or directory");
}

/* Back-end limits: the first statement beyond one is named, with the back end. */
static void test_limits(void **state)
{
	static const struct mf_limits lim = { .tasks = 2, .threads = 2, .regions = 1, .fds = 1,
					      .pins = 1 };
	static const struct {
		const char *src;
		int line;
		const char *msg;
	} cases[] = {
		{ "task A\ntask B fork A\ntask C\n", 3,
		  "the test back end runs at most 2 tasks; this statement needs one more" },
		{ "task A\nthread A.t\nthread A.u\n", 3,
		  "the test back end runs at most 2 threads of task A; this statement needs one more" },
		{ "task A\nA: mmap a anon private 4K\nA: munmap a\nA: mmap b anon private 4K\n"
		  "task B fork A\nB: mmap c anon private 4K\n", 6,
		  "the test back end runs at most 1 regions mapped at once of task B; this "
		  "statement needs one more" },
		{ "file disk:f size=4K\ntask A\nA: open f disk:f rw\nA: close f\nA: open g disk:f ro\n"
		  "A: open h disk:f ro\n", 6,
		  "the test back end runs at most 1 fds open at once of task A; this statement "
		  "needs one more" },
		{ "task A\nA: mmap a anon private 8K\nA: pin a+0 4K\nA: unpin\nA: pin a+0 4K\n"
		  "A: pin a+0x1000 4K\n", 6,
		  "the test back end runs at most 1 pins before an unpin of task A; this statement "
		  "needs one more" },
		{ "task A\ntask B\nA: mmap a anon private 4K\n", 0, NULL },
	};
	char src[512], msg[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mf_parse_error err;
		struct mf_scenario *sc;
		const struct mf_stmt *over;

		snprintf(src, sizeof(src), "scenario \"l\"\n%s", cases[i].src);
		sc = parse(src, &err);
		if (!sc)
			fail_msg("case %zu: %s", i, err.msg);
		over = mf_check_limits(sc, "test", &lim, msg, sizeof(msg));
		if (!cases[i].msg) {
			assert_null(over);
		} else {
			assert_non_null(over);
			assert_int_equal(over->line, cases[i].line + 1);
			assert_string_equal(msg, cases[i].msg);
		}
		mf_scenario_free(sc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_canonical),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_lexical),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_kpf),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_parse_file),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
