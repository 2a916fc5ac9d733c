// SPDX-License-Identifier: GPL-2.0-only
/*
 * Snapshot files and the exposure classifier: round trip, every truncation,
 * a damaged byte in every section, the class of each page kind, and the
 * saved snapshots under tests/snapshots/ against their expected output
 * (UPDATE_GOLDEN=1 rewrites synthetic.snap and the .expected files).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "memfail/array.h"
#include "memfail/memory-failure.h"
#include "memfail/snapshot.h"

#define B(n) (1ULL << KPF_##n)
#define NR_PFNS 64

static const uint64_t synth_flags[30] = {
	[1] = B(RESERVED),
	[2] = B(SLAB),
	[3] = B(PGTABLE),
	[5] = B(BUDDY), [6] = B(BUDDY), [7] = B(BUDDY), [8] = B(BUDDY),
	[9] = B(HWPOISON) | B(LRU) | B(ANON),
	[10] = B(HUGE) | B(COMPOUND_HEAD) | B(MMAP),
	[11] = B(HUGE) | B(COMPOUND_TAIL) | B(MMAP),
	[12] = B(HUGE) | B(COMPOUND_HEAD),
	[13] = B(ZERO_PAGE) | B(RESERVED),
	[14] = B(KSM) | B(ANON) | B(LRU) | B(MMAP),
	[15] = B(THP) | B(ANON) | B(LRU) | B(COMPOUND_HEAD) | B(MMAP),
	[16] = B(THP) | B(ANON) | B(COMPOUND_TAIL) | B(MMAP),
	[17] = B(MLOCKED) | B(ANON) | B(LRU) | B(SWAPBACKED) | B(UNEVICTABLE) | B(MMAP),
	[18] = B(SWAPCACHE) | B(DIRTY) | B(LRU) | B(ANON) | B(SWAPBACKED) | B(MMAP),
	[19] = B(SWAPCACHE) | B(LRU) | B(ANON) | B(SWAPBACKED),
	[20] = B(ANON) | B(LRU) | B(SWAPBACKED) | B(MMAP),
	[21] = B(ANON) | B(LRU) | B(SWAPBACKED) | B(MMAP),
	[22] = B(LRU) | B(SWAPBACKED) | B(MMAP),
	[23] = B(LRU) | B(DIRTY) | B(MMAP),
	[24] = B(LRU) | B(MMAP) | B(UPTODATE),
	[25] = B(LRU) | B(UPTODATE),
	[26] = B(LRU) | B(DIRTY),
	[27] = B(LRU) | B(WRITEBACK) | B(MMAP),
	[28] = B(MLOCKED) | B(LRU) | B(MMAP) | B(UPTODATE),
	[29] = B(NOPAGE),
};

static const uint8_t synth_class[30] = {
	EXP_NOT_RAM, EXP_RESERVED, EXP_SLAB, EXP_PGTABLE, EXP_KERNEL, EXP_FREE, EXP_FREE,
	EXP_FREE, EXP_FREE, EXP_HWPOISON, EXP_HUGETLB, EXP_HUGETLB, EXP_HUGETLB_FREE, EXP_ZERO,
	EXP_KSM, EXP_THP, EXP_THP, EXP_MLOCKED, EXP_SWAPCACHE_DIRTY, EXP_SWAPCACHE_CLEAN,
	EXP_ANON, EXP_ANON, EXP_SHMEM, EXP_FILE_DIRTY, EXP_FILE_CLEAN, EXP_FILE_CLEAN,
	EXP_FILE_DIRTY, EXP_FILE_DIRTY, EXP_FILE_CLEAN, EXP_NOT_RAM,
};

static void add_map(struct snap_proc *p, uint64_t start, uint64_t end, const char *perms,
		    uint64_t inode, const char *path)
{
	struct snap_map m = { .start = start, .end = end, .inode = inode };

	snprintf(m.perms, sizeof(m.perms), "%s", perms);
	snprintf(m.dev, sizeof(m.dev), "%s", inode ? "08:01" : "00:00");
	m.path = xstrdup(path, "test");
	ARRAY_PUSH(p->maps, p->nr_maps, p->cap_maps, m, "test");
}

static void add_pte(struct snap_proc *p, uint64_t vpn, uint64_t entry)
{
	struct snap_pte pte = { vpn, entry };

	ARRAY_PUSH(p->ptes, p->nr_ptes, p->cap_ptes, pte, "test");
}

static void add_proc(struct snapshot *s, int pid, const char *comm, uint64_t cgt, uint64_t blk)
{
	struct snap_proc p = { .pid = pid, .threads = 2, .sigcgt = cgt, .sigblk = blk };

	p.comm = xstrdup(comm, "test");
	ARRAY_PUSH(s->procs, s->nr_procs, s->cap_procs, p, "test");
}

/* Every class once, a DAX range, two processes sharing a dirty file page. */
static void make_synthetic(struct snapshot *s)
{
	struct snap_proc *a, *b;

	memset(s, 0, sizeof(*s));
	s->version = SNAP_FORMAT_VERSION;
	s->info = xstrdup("", "test");
	snap_info_add(s, "kernel", "6.1.0-test");
	snap_info_add(s, "memory_failure_early_kill", "0");
	snap_info_add(s, "memory_failure_recovery", "1");
	s->missing = xstrdup("/proc/kpagecgroup: not read in this test (only informational)\n",
			     "test");
	s->meminfo = xstrdup("MemTotal: 256 kB\n", "test");
	snap_parse_ranges(s, "0 1 Reserved\n1 1e System RAM\n1e 26 Persistent Memory\n"
			     "26 40 System RAM\n");
	s->nr_pfns = NR_PFNS;
	s->kpageflags = xcalloc(NR_PFNS, 8, "test");
	s->kpagecount = xcalloc(NR_PFNS, 8, "test");
	memcpy(s->kpageflags, synth_flags, sizeof(synth_flags));
	for (int pfn = 30; pfn < 38; pfn++)
		s->kpageflags[pfn] = B(NOPAGE);
	for (int pfn = 38; pfn < NR_PFNS; pfn++)
		s->kpageflags[pfn] = B(BUDDY);
	for (int pfn = 0; pfn < NR_PFNS; pfn++)
		s->kpagecount[pfn] = !!(s->kpageflags[pfn] & B(MMAP));
	add_proc(s, 100, "app\nwith newline", SNAP_SIGBUS_BIT, 0);
	add_proc(s, 200, "worker", 0, SNAP_SIGBUS_BIT);
	a = &s->procs[0], b = &s->procs[1];
	add_map(a, 0x10000, 0x20000, "rw-p", 0, "");
	add_map(a, 0x40000, 0x44000, "rw-s", 12, "/data/db");
	add_pte(a, 0x10, PM_PRESENT | 20);
	add_pte(a, 0x11, PM_PRESENT | 21);
	add_pte(a, 0x12, PM_PRESENT | 15);
	add_pte(a, 0x13, PM_SWAP | 0x1234);
	add_pte(a, 0x40, PM_PRESENT | PM_FILE_SHARED_ANON | 23);
	add_pte(a, 0x41, PM_PRESENT | PM_FILE_SHARED_ANON | 24);
	add_map(b, 0x10000, 0x14000, "rw-p", 0, "[heap]");
	add_map(b, 0x50000, 0x52000, "rw-s", 12, "/data/db");
	add_pte(b, 0x10, PM_PRESENT | 14);
	add_pte(b, 0x11, PM_PRESENT | 13);
	add_pte(b, 0x12, PM_PRESENT | 10);
	add_pte(b, 0x50, PM_PRESENT | PM_FILE_SHARED_ANON | 23);
}

static void encode(const struct snapshot *s, uint8_t **buf, size_t *len)
{
	char err[256];

	assert_int_equal(snapshot_encode(s, buf, len, err, sizeof(err)), 0);
}

static void test_round_trip(void **state)
{
	struct snapshot s, r;
	uint8_t *buf;
	size_t len;
	char err[256];

	(void)state;
	make_synthetic(&s);
	encode(&s, &buf, &len);
	assert_int_equal(snapshot_decode(buf, len, &r, err, sizeof(err)), 0);
	assert_string_equal(r.info, s.info);
	assert_string_equal(r.missing, s.missing);
	assert_string_equal(r.meminfo, s.meminfo);
	assert_null(r.kpagecgroup);
	assert_int_equal(r.nr_pfns, NR_PFNS);
	assert_memory_equal(r.kpageflags, s.kpageflags, NR_PFNS * 8);
	assert_memory_equal(r.kpagecount, s.kpagecount, NR_PFNS * 8);
	assert_int_equal(r.nr_ranges, 4);
	assert_string_equal(r.ranges[2].type, "Persistent Memory");
	assert_int_equal(r.ranges[3].end_pfn, 0x40);
	assert_int_equal(r.nr_procs, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct snap_proc *p = &s.procs[i], *q = &r.procs[i];

		assert_int_equal(q->pid, p->pid);
		assert_string_equal(q->comm, p->comm);
		assert_int_equal(q->sigcgt, p->sigcgt);
		assert_int_equal(q->sigblk, p->sigblk);
		assert_int_equal(q->nr_maps, p->nr_maps);
		for (size_t j = 0; j < p->nr_maps; j++) {
			assert_string_equal(q->maps[j].path, p->maps[j].path);
			assert_int_equal(q->maps[j].end, p->maps[j].end);
			assert_string_equal(q->maps[j].perms, p->maps[j].perms);
		}
		assert_int_equal(q->nr_ptes, p->nr_ptes);
		assert_memory_equal(q->ptes, p->ptes, p->nr_ptes * sizeof(*p->ptes));
	}
	snapshot_free(&r);
	snapshot_free(&s);
	free(buf);
}

/* Start offsets and tags of the sections of an encoded file, END last. */
static size_t sections(const uint8_t *b, size_t len, size_t *off, char tags[][5], size_t max)
{
	size_t n = 0;

	for (size_t o = 16; o + 32 <= len && n < max; n++) {
		uint64_t stored = 0;

		for (int i = 7; i >= 0; i--)
			stored = stored << 8 | b[o + 16 + i];
		off[n] = o;
		if (tags) {
			memcpy(tags[n], b + o, 4);
			tags[n][4] = 0;
		}
		o += 32 + stored;
	}
	return n;
}

/* Every cut (every step-th, and each section's edges): an error, naming the section cut. */
static void check_truncations(const uint8_t *buf, size_t len, size_t step)
{
	size_t off[32], n = sections(buf, len, off, NULL, 32), cut;
	char tags[32][5], err[256];
	struct snapshot r;

	sections(buf, len, off, tags, 32);
	assert_string_equal(tags[n - 1], "END ");
	for (size_t k = 0; k < len; k++) {
		cut = k;
		if (step > 1 && k % step) {
			bool edge = false;

			for (size_t i = 0; i < n && !edge; i++)
				edge = k + 1 >= off[i] && k <= off[i] + 33;
			if (!edge)
				continue;
		}
		assert_int_equal(snapshot_decode(buf, cut, &r, err, sizeof(err)), -1);
		if (cut < 16) {
			assert_non_null(strstr(err, "not a memfail snapshot"));
			continue;
		}
		assert_non_null(strstr(err, "truncated"));
		for (size_t i = 0; i < n; i++) /* inside a payload: that section is named */
			if (cut > off[i] + 32 && (i + 1 == n || cut < off[i + 1]))
				assert_non_null(strstr(err, tags[i]));
	}
}

/* A damaged byte in the file header, and in every section's header and payload. */
static void check_corruptions(uint8_t *buf, size_t len)
{
	size_t off[32], n;
	struct snapshot r;
	char tags[32][5], err[256], want[64];

	n = sections(buf, len, off, tags, 32);
	buf[13] ^= 0x40;
	assert_int_equal(snapshot_decode(buf, len, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "file header: checksum mismatch"));
	buf[13] ^= 0x40;
	for (size_t i = 0; i < n; i++) {
		size_t end = i + 1 < n ? off[i + 1] : len, at = off[i] + 32 + (end - off[i] - 32) / 2;

		buf[off[i] + 9] ^= 1; /* the raw length, in the header */
		assert_int_equal(snapshot_decode(buf, len, &r, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "header of the section after"));
		buf[off[i] + 9] ^= 1;
		buf[at] ^= 0x10;
		assert_int_equal(snapshot_decode(buf, len, &r, err, sizeof(err)), -1);
		snprintf(want, sizeof(want), "corrupted: section %.4s", tags[i]);
		assert_non_null(strstr(err, want));
		buf[at] ^= 0x10;
	}
	assert_int_equal(snapshot_decode(buf, len, &r, err, sizeof(err)), 0);
	snapshot_free(&r);
}

static void test_truncated(void **state)
{
	struct snapshot s;
	uint8_t *buf;
	size_t len;

	(void)state;
	make_synthetic(&s);
	encode(&s, &buf, &len);
	check_truncations(buf, len, 1);
	snapshot_free(&s);
	free(buf);
}

static void test_corrupted(void **state)
{
	struct snapshot s;
	uint8_t *buf;
	size_t len;

	(void)state;
	make_synthetic(&s);
	encode(&s, &buf, &len);
	check_corruptions(buf, len);
	snapshot_free(&s);
	free(buf);
}

/* The saved guest snapshots, cut and damaged (every 61st cut: each decode inflates MiBs). */
static void test_saved_damaged(void **state)
{
	static const char *const files[] = { "tests/snapshots/guest-6.1.snap",
					      "tests/snapshots/guest-6.12.snap" };

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f = fopen(files[i], "rb");
		uint8_t *buf = malloc(1 << 20);
		size_t len;

		assert_non_null(f);
		assert_non_null(buf);
		len = fread(buf, 1, 1 << 20, f);
		fclose(f);
		assert_true(len > 0 && len < (1 << 20));
		check_truncations(buf, len, 61);
		check_corruptions(buf, len);
		free(buf);
	}
}

static void test_classes(void **state)
{
	struct snapshot s;
	struct exposure e;
	char err[256];

	(void)state;
	make_synthetic(&s);
	assert_int_equal(exposure_build(&e, &s, MF_KERNEL_6_1, err, sizeof(err)), 0);
	for (int pfn = 0; pfn < 30; pfn++)
		assert_int_equal(e.cls[pfn] * 100 + pfn, synth_class[pfn] * 100 + pfn);
	for (int pfn = 30; pfn < 38; pfn++)
		assert_int_equal(e.cls[pfn], EXP_DAX);
	assert_int_equal(e.count[EXP_FREE], 4 + NR_PFNS - 38);
	/* sorted by fatal pages: both have 4 */
	assert_int_equal(e.procs[0].p->pid, 100);
	assert_int_equal(e.procs[0].resident, 5);
	assert_int_equal(e.procs[0].fatal, 4);
	assert_int_equal(e.procs[0].swapped, 1);
	assert_int_equal(e.procs[1].resident, 4);
	assert_int_equal(e.procs[1].fatal, 4);
	assert_int_equal(e.nr_files, 1);
	assert_string_equal(e.files[0].path, "/data/db");
	assert_int_equal(e.files[0].resident, 2);
	assert_int_equal(e.files[0].dirty, 1);
	assert_int_equal(e.files[0].mappers, 2);
	assert_int_equal(e.dirty_unmapped, 3); /* pfns 22 (tmpfs), 26 and 27 */
	exposure_free(&e);
	snapshot_free(&s);
}

static void test_anonymize(void **state)
{
	static const uint8_t key[16] = { 1, 2, 3 };
	struct snapshot s, t;

	(void)state;
	make_synthetic(&s);
	make_synthetic(&t);
	snap_anonymize(&s, key);
	snap_anonymize(&t, key);
	assert_true(s.flags & SNAP_FLAG_ANONYMIZED);
	assert_null(strstr(s.procs[1].comm, "worker"));
	assert_string_equal(s.procs[1].comm, t.procs[1].comm); /* stable */
	assert_string_equal(s.procs[0].maps[1].path, s.procs[1].maps[1].path);
	assert_null(strstr(s.procs[0].maps[1].path, "data"));
	assert_string_equal(s.procs[1].maps[0].path, "[heap]");
	snapshot_free(&s);
	snapshot_free(&t);
}

static char *exposure_text(const char *snap, enum mf_kernel k)
{
	struct snapshot s;
	struct exposure e;
	char err[512], *txt = NULL;
	size_t len;
	FILE *f = open_memstream(&txt, &len);

	if (snapshot_read(snap, &s, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(exposure_build(&e, &s, k, err, sizeof(err)), 0);
	exposure_print(&e, f, true);
	exposure_print_json(&e, f);
	fclose(f);
	exposure_free(&e);
	snapshot_free(&s);
	return txt;
}

static void check_golden(const char *snap, const char *expected, enum mf_kernel k)
{
	char *got = exposure_text(snap, k), *want = NULL;
	size_t n = 0;
	FILE *f;

	if (getenv("UPDATE_GOLDEN")) {
		f = fopen(expected, "w");
		assert_non_null(f);
		fputs(got, f);
		fclose(f);
	}
	f = fopen(expected, "r");
	if (!f)
		fail_msg("%s: missing (UPDATE_GOLDEN=1 writes it)", expected);
	assert_int_not_equal(getdelim(&want, &n, 0, f), -1);
	fclose(f);
	assert_string_equal(got, want);
	free(got);
	free(want);
}

static void test_saved_synthetic(void **state)
{
	char err[256];

	(void)state;
	if (getenv("UPDATE_GOLDEN")) {
		struct snapshot s;

		make_synthetic(&s);
		assert_int_equal(snapshot_write(&s, "tests/snapshots/synthetic.snap", err,
						sizeof(err)), 0);
		snapshot_free(&s);
	}
	check_golden("tests/snapshots/synthetic.snap", "tests/snapshots/synthetic.expected",
		     MF_KERNEL_6_1);
}

static void test_saved_machine(void **state)
{
	(void)state;
	check_golden("tests/snapshots/dev-vm-6.18.snap", "tests/snapshots/dev-vm-6.18.expected",
		     MF_KERNEL_6_1);
}

/*
 * Debian's 6.1 and 6.12 in the conformance guest with the exposure proof's
 * workload (conformance/exposure-guest.sh), each predicted with its profile.
 */
static void test_saved_guest(void **state)
{
	struct snapshot s;
	struct exposure e;
	char err[256];

	(void)state;
	check_golden("tests/snapshots/guest-6.1.snap", "tests/snapshots/guest-6.1.expected",
		     MF_KERNEL_6_1);
	check_golden("tests/snapshots/guest-6.12.snap", "tests/snapshots/guest-6.12.expected",
		     MF_KERNEL_6_12);
	/* 6.12's kpageflags show KSM on every anonymous page: its profile ignores the bit */
	assert_int_equal(snapshot_read("tests/snapshots/guest-6.12.snap", &s, err, sizeof(err)), 0);
	assert_int_equal(exposure_build(&e, &s, MF_KERNEL_6_12, err, sizeof(err)), 0);
	assert_int_equal(e.count[EXP_KSM], 0);
	assert_true(e.count[EXP_ANON] > 0 && e.count[EXP_MLOCKED] > 0);
	exposure_free(&e);
	assert_int_equal(exposure_build(&e, &s, MF_KERNEL_6_1, err, sizeof(err)), 0);
	assert_true(e.count[EXP_KSM] > 0 && e.count[EXP_ANON] == 0);
	exposure_free(&e);
	snapshot_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupted),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_anonymize),
		cmocka_unit_test(test_saved_synthetic),
		cmocka_unit_test(test_saved_machine),
		cmocka_unit_test(test_saved_guest),
		cmocka_unit_test(test_saved_damaged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
