// SPDX-License-Identifier: GPL-2.0-only
/*
 * The /proc/kpage* files of a snapshot (snapshot/capture.c). The kernel's side
 * of reading them is most of the time a snapshot takes, so a pfn is read only
 * where the answer is not known already: the flags of RAM (and persistent
 * memory) only; /proc/kpagecount is page_mapcount(), 0 unless the flags say
 * mapped (KPF_MMAP); /proc/kpagecgroup is 0 for a free page (KPF_BUDDY, on
 * every page of a free block) and where there is no page (KPF_NOPAGE). Two
 * threads share the pfns; each reads a chunk of flags, then the counts and
 * cgroups that chunk leaves open, so the three files agree as closely as
 * reads apart in time can. The main thread walks the processes meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memfail/array.h"
#include "memfail/snapshot.h"
#include "capture.h"

#define HPAGE (2UL << 20)
/* Gaps shorter than this are read through: one pread costs more than 64 entries. */
#define RUN_GAP 64

enum { K_FLAGS, K_COUNT, K_CGROUP, K_NR };

static const char *const kpage_path[K_NR] = { "/proc/kpageflags", "/proc/kpagecount",
					      "/proc/kpagecgroup" };

struct kpages {
	struct snapshot *s;
	int nr;			 /* files read: K_FLAGS only, or the counts, or all three */
	uint64_t *out[K_NR];
	uint64_t (*ram)[2];	 /* [start, end) pfn runs of RAM */
	size_t nr_ram, cap_ram;
	int err[2][K_NR];	 /* per thread */
};

struct kpage_part {
	struct kpages *k;
	int id;
	uint64_t lo, hi; /* its pfns */
};

/* Huge pages where the host allows them: the arrays are 8 bytes per pfn, and
 * 4 KiB faults on them were a tenth of `exposure --live`. */
static uint64_t *kpage_array(uint64_t nr)
{
	size_t len = (nr * 8 + HPAGE - 1) / HPAGE * HPAGE;
	void *p;

	if (posix_memalign(&p, HPAGE, len))
		mf_oom("kpage array");
	madvise(p, len, MADV_HUGEPAGE);
	return p;
}

/* pfns [start, end) of a file into out[start...]: 0 or an errno */
static int read_run(int fd, uint64_t *out, uint64_t start, uint64_t end, uint64_t fill)
{
	uint64_t done = start;

	while (done < end) {
		size_t want = (end - done) * 8 < SNAP_CHUNK ? (end - done) * 8 : SNAP_CHUNK;
		ssize_t n = pread(fd, out + done, want, (off_t)(done * 8));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)	/* past max_pfn the file ends: those pfns have no struct page */
			break;
		done += (uint64_t)n / 8;
	}
	for (; done < end; done++)
		out[done] = fill;
	return 0;
}

/* Whether file f must be read at a pfn whose flags are v (flags unread: always). */
static bool wanted(int f, const uint64_t *flags, uint64_t pfn)
{
	if (!flags)
		return true;
	if (f == K_COUNT)
		return flags[pfn] & 1ULL << KPF_MMAP;
	return !(flags[pfn] & (1ULL << KPF_BUDDY | 1ULL << KPF_NOPAGE));
}

/* File f over [a, b), where the flags leave it open, in runs joined across short gaps. */
static int read_open(struct kpages *k, int f, int fd, uint64_t a, uint64_t b, const uint64_t *flags)
{
	uint64_t start = UINT64_MAX, last = 0;
	int err = 0;

	for (uint64_t pfn = a; pfn < b && !err; pfn++) {
		if (!wanted(f, flags, pfn))
			continue;
		if (start != UINT64_MAX && pfn > last + RUN_GAP) {
			err = read_run(fd, k->out[f], start, last + 1, 0);
			start = UINT64_MAX;
		}
		if (start == UINT64_MAX)
			start = pfn;
		last = pfn;
	}
	if (!err && start != UINT64_MAX)
		err = read_run(fd, k->out[f], start, last + 1, 0);
	return err;
}

static void *read_part(void *arg)
{
	struct kpage_part *p = arg;
	struct kpages *k = p->k;
	int fd[K_NR], *err = k->err[p->id];

	for (int f = 0; f < k->nr; f++)
		if ((fd[f] = open(kpage_path[f], O_RDONLY | O_CLOEXEC)) < 0)
			err[f] = errno;
	for (size_t i = 0; i < k->nr_ram; i++) {
		uint64_t a = k->ram[i][0] > p->lo ? k->ram[i][0] : p->lo;
		uint64_t end = k->ram[i][1] < p->hi ? k->ram[i][1] : p->hi;

		for (; a < end; a += SNAP_CHUNK / 8) {
			uint64_t b = end - a < SNAP_CHUNK / 8 ? end : a + SNAP_CHUNK / 8;

			if (!err[K_FLAGS])
				err[K_FLAGS] = read_run(fd[K_FLAGS], k->out[K_FLAGS], a, b,
							1ULL << KPF_NOPAGE);
			for (int f = K_COUNT; f < k->nr; f++)
				if (!err[f])
					err[f] = read_open(k, f, fd[f], a, b,
							   err[K_FLAGS] ? NULL : k->out[K_FLAGS]);
		}
	}
	for (int f = 0; f < k->nr; f++)
		if (fd[f] >= 0)
			close(fd[f]);
	return NULL;
}

/* The RAM and persistent-memory ranges; without ranges, every pfn. */
static void ram_runs(struct kpages *k)
{
	const struct snapshot *s = k->s;

	for (size_t i = 0; i < s->nr_ranges; i++) {
		const struct snap_range *r = &s->ranges[i];
		uint64_t end = r->end_pfn < s->nr_pfns ? r->end_pfn : s->nr_pfns;

		if ((strstr(r->type, "RAM") || strstr(r->type, "Persistent")) && r->start_pfn < end) {
			ARRAY_GROW(k->ram, k->nr_ram + 1, k->cap_ram, "kpage runs");
			k->ram[k->nr_ram][0] = r->start_pfn, k->ram[k->nr_ram++][1] = end;
		}
	}
	if (!s->nr_ranges) {
		ARRAY_GROW(k->ram, 1, k->cap_ram, "kpage runs");
		k->ram[0][0] = 0, k->ram[0][1] = s->nr_pfns, k->nr_ram = 1;
	}
}

/* The pfn that splits the RAM runs' pfns in two halves. */
static uint64_t middle(const struct kpages *k)
{
	uint64_t total = 0, acc = 0;

	for (size_t i = 0; i < k->nr_ram; i++)
		total += k->ram[i][1] - k->ram[i][0];
	for (size_t i = 0; i < k->nr_ram; i++) {
		uint64_t len = k->ram[i][1] - k->ram[i][0];

		if ((acc + len) * 2 >= total)
			return k->ram[i][0] + (total / 2 - acc);
		acc += len;
	}
	return k->s->nr_pfns;
}

/* The arrays, with what no read will overwrite: NOPAGE flags outside RAM, zeroes. */
static void prepare(struct kpages *k)
{
	uint64_t pfn = 0, n = k->s->nr_pfns;

	for (int f = 0; f < k->nr; f++) {
		k->out[f] = kpage_array(n);
		if (f != K_FLAGS)
			memset(k->out[f], 0, n * 8);
	}
	for (size_t i = 0; i < k->nr_ram; i++) {
		for (; pfn < k->ram[i][0]; pfn++)
			k->out[K_FLAGS][pfn] = 1ULL << KPF_NOPAGE;
		pfn = k->ram[i][1] > pfn ? k->ram[i][1] : pfn;
	}
	for (; pfn < n; pfn++)
		k->out[K_FLAGS][pfn] = 1ULL << KPF_NOPAGE;
}

/* Each file's array into s, or into s->missing with what its absence costs. */
static void collect(struct kpages *k)
{
	static const char *const cost[K_NR] = {
		"no page states: every pfn is 'unknown', the exposure answer is empty",
		"no map counts: mapped and unmapped pages look alike (only informational)",
		"no memory cgroup per page (only informational)",
	};
	uint64_t **dst[K_NR] = { &k->s->kpageflags, &k->s->kpagecount, &k->s->kpagecgroup };

	for (int f = 0; f < k->nr; f++) {
		int err = k->err[0][f] ? k->err[0][f] : k->err[1][f];

		if (err) {
			snap_missing_add(k->s, "%s: %s: %s", kpage_path[f], strerror(err), cost[f]);
			free(k->out[f]);
			continue;
		}
		*dst[f] = k->out[f];
	}
}

void snap_capture_kpages(struct snapshot *s, int nr,
			 void (*meanwhile)(struct snapshot *, const struct snap_capture_opts *),
			 const struct snap_capture_opts *o)
{
	struct kpages k = { .s = s, .nr = nr };
	struct kpage_part part[2] = { { .k = &k, .id = 0 }, { .k = &k, .id = 1 } };
	pthread_t th[2];
	bool started[2];

	ram_runs(&k);
	prepare(&k);
	part[0].hi = part[1].lo = middle(&k);
	part[1].hi = UINT64_MAX;
	for (int i = 0; i < 2; i++) {
		started[i] = !pthread_create(&th[i], NULL, read_part, &part[i]);
		if (!started[i])
			read_part(&part[i]);
	}
	meanwhile(s, o);
	for (int i = 0; i < 2; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	collect(&k);
	free(k.ram);
}
