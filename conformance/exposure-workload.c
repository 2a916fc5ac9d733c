// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest workload of conformance/exposure-run.sh (static, runs in the
 * conformance guest). One process "xw-main" maps every kind of page memfail
 * exposure classifies: an anonymous heap, mlocked memory, a THP, a hugetlb
 * page, KSM-mergeable pages, clean swap cache (paged out and read back), a
 * dirty and a clean shared ext4 mapping and a tmpfs mapping. It forks
 * "xw-fork" (sharing the heap copy-on-write) and "xw-early" (prctl
 * PR_MCE_KILL early kill, its own heap). Every process catches SIGBUS and
 * appends "SIG PID CODE PFN" to LOG (the pfn its own table had for the
 * address), so the harness tells which process got which signal for which
 * pfn. On SIGUSR1 each touches its pages (writes only to its shared file
 * mappings: a write to a private page the forks share would copy it),
 * fsyncs its dirty file ("FSYNC PID ERRNO" when that fails) and appends
 * "DONE PID". At start each writes "MAP PID REGION PFN" lines, and "OWN
 * PID PFN" (decimal) for every other page it maps (its program, libc heap,
 * stack): the harness injects none of those, as an error there ends the
 * process (its data) or the comparison of every later pfn.
 * Usage: exposure-workload DIR (DIR on ext4: LOG is DIR/xw.log).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL
#define HPAGE (2UL << 20)

enum { R_HEAP, R_MLOCK, R_THP, R_HUGETLB, R_KSM, R_SWAP, R_DIRTY, R_CLEAN, R_TMPFS, R_NR };

struct region {
	char *p;
	size_t len;
	int write;	   /* touching writes (keeps the class) */
	uint64_t *pfn;	   /* per 4K page, from /proc/self/pagemap at start */
	unsigned char *bad; /* a SIGBUS named this page: not touched again */
};

static struct region reg[R_NR];
/* every test region as set up, also those xw-early leaves alone (its inherited ones) */
static struct {
	char *p;
	size_t len;
} test[R_NR + 1];
static int logfd, dirtyfd;
static volatile sig_atomic_t touch_req;
static sigjmp_buf jb;
static volatile int touching;

static void wlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void wlog(const char *fmt, ...)
{
	char b[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	if (write(logfd, b, (size_t)n) != n)
		_exit(3);
}

/* The region page an address is in, marking [addr, addr + 2^lsb) bad. */
static uint64_t mark_bad(char *a, int lsb)
{
	uint64_t pfn = 0;

	for (int i = 0; i < R_NR; i++) {
		struct region *r = &reg[i];

		if (!r->p || a < r->p || a >= r->p + r->len)
			continue;
		size_t first = (size_t)(a - r->p) / PAGE, n = lsb > 12 ? 1UL << (lsb - 12) : 1;

		first &= ~(n - 1);
		pfn = r->pfn[(size_t)(a - r->p) / PAGE];
		for (size_t j = first; j < first + n && j < r->len / PAGE; j++)
			r->bad[j] = 1;
	}
	return pfn;
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uint64_t pfn = mark_bad(si->si_addr, si->si_addr_lsb);

	(void)sig, (void)uc;
	wlog("SIG %d %s %#lx\n", getpid(), si->si_code == BUS_MCEERR_AO ? "AO" :
	     si->si_code == BUS_MCEERR_AR ? "AR" : "other", (unsigned long)pfn);
	/* an access to its own memory (tables, stack, libc), not a test page: it cannot go on */
	if (si->si_code == BUS_MCEERR_AR && !pfn) {
		wlog("GONE %d\n", getpid());
		_exit(0);
	}
	if (touching)
		siglongjmp(jb, 1);
}

static void on_usr1(int sig)
{
	(void)sig;
	touch_req = 1;
}

static void *map(size_t len, int flags, int fd)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);

	if (p == MAP_FAILED) {
		perror("exposure-workload: mmap");
		return NULL;
	}
	return p;
}

static int file_of(const char *path, size_t len, int keep_dirty)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	char *b = malloc(len);

	for (size_t i = 0; i < len; i++)
		b[i] = (char)(i * 7 + 1);
	if (fd < 0 || write(fd, b, len) != (ssize_t)len || (!keep_dirty && fsync(fd)))
		perror(path);
	free(b);
	return fd;
}

static void set(int i, void *p, size_t len, int write)
{
	reg[i].p = p, reg[i].len = len, reg[i].write = write;
}

static void setup(const char *dir)
{
	char path[256];
	char *t;

	set(R_HEAP, map(1 << 20, MAP_PRIVATE | MAP_ANONYMOUS, -1), 1 << 20, 0);
	set(R_MLOCK, map(1 << 20, MAP_PRIVATE | MAP_ANONYMOUS, -1), 1 << 20, 0);
	t = map(2 * HPAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	t = (char *)(((uintptr_t)t + HPAGE - 1) & ~(HPAGE - 1));
	madvise(t, HPAGE, MADV_HUGEPAGE);
	set(R_THP, t, HPAGE, 0);
	set(R_HUGETLB, map(HPAGE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1), HPAGE, 0);
	set(R_KSM, map(1 << 20, MAP_PRIVATE | MAP_ANONYMOUS, -1), 1 << 20, 0);
	set(R_SWAP, map(1 << 20, MAP_PRIVATE | MAP_ANONYMOUS, -1), 1 << 20, 0);
	snprintf(path, sizeof(path), "%s/xw-dirty", dir);
	dirtyfd = file_of(path, 1 << 20, 1);
	set(R_DIRTY, map(1 << 20, MAP_SHARED, dirtyfd), 1 << 20, 1);
	snprintf(path, sizeof(path), "%s/xw-clean", dir);
	set(R_CLEAN, map(1 << 20, MAP_SHARED, file_of(path, 1 << 20, 0)), 1 << 20, 0);
	set(R_TMPFS, map(1 << 20, MAP_SHARED, file_of("/dev/shm/xw-tmpfs", 1 << 20, 1)), 1 << 20,
	    1);
	/* 4K pages where the class is not THP (the guest has THP "always") */
	for (int i = R_HEAP; i <= R_SWAP; i++)
		if (i != R_THP && i != R_HUGETLB && reg[i].p)
			madvise(reg[i].p, reg[i].len, MADV_NOHUGEPAGE);
	for (int i = R_HEAP; i <= R_HUGETLB; i++)
		for (size_t o = 0; reg[i].p && o < reg[i].len; o += PAGE)
			reg[i].p[o] = (char)(o / PAGE + 1);
	for (size_t o = 0; reg[R_KSM].p && o < reg[R_KSM].len; o += PAGE)
		memset(reg[R_KSM].p + o, 0x5a, PAGE);
	madvise(reg[R_KSM].p, reg[R_KSM].len, MADV_MERGEABLE);
	if (mlock(reg[R_MLOCK].p, reg[R_MLOCK].len))
		perror("exposure-workload: mlock");
	for (size_t o = 0; reg[R_SWAP].p && o < reg[R_SWAP].len; o += PAGE)
		reg[R_SWAP].p[o] = (char)(o / PAGE + 3);
	/* out to swap, then read back: clean pages that stay in the swap cache */
	madvise(reg[R_SWAP].p, reg[R_SWAP].len, MADV_PAGEOUT);
}

/* One page; a SIGBUS while at it jumps back here and the page is skipped. */
static void touch_page(struct region *r, size_t j, int write)
{
	volatile char *a = r->p + j * PAGE;

	if (r->bad[j] || sigsetjmp(jb, 1)) {
		touching = 0;
		return;
	}
	touching = 1;
	if (write)
		*a = (char)(*a + 1);
	else
		(void)*a;
	touching = 0;
}

static void touch(void)
{
	for (int i = 0; i < R_NR; i++)
		for (size_t j = 0; reg[i].p && j < reg[i].len / PAGE; j++)
			touch_page(&reg[i], j, reg[i].write);
	if (fsync(dirtyfd))
		wlog("FSYNC %d %d\n", getpid(), errno);
	/* keep the file's pages dirty, as the snapshot saw them */
	for (size_t j = 0; reg[R_DIRTY].p && j < reg[R_DIRTY].len / PAGE; j++)
		touch_page(&reg[R_DIRTY], j, 1);
	wlog("DONE %d\n", getpid());
}

/* The pfn of each page, read after setup (and again in a forked child). */
static void read_pfns(void)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);

	for (int i = 0; i < R_NR; i++) {
		struct region *r = &reg[i];
		size_t n = r->len / PAGE;

		if (!r->p)
			continue;
		free(r->pfn);
		r->pfn = calloc(n, sizeof(*r->pfn));
		if (!r->bad)
			r->bad = calloc(n, 1);
		for (size_t j = 0; j < n; j++) {
			uint64_t e = 0;

			(void)*(volatile char *)(r->p + j * PAGE);
			if (pread(fd, &e, 8, (off_t)((uintptr_t)(r->p + j * PAGE) / PAGE * 8)) == 8 &&
			    e >> 63)
				r->pfn[j] = e & ((1ULL << 55) - 1);
			if (r->pfn[j])
				wlog("MAP %d %d %#lx\n", getpid(), i, (unsigned long)r->pfn[j]);
		}
	}
	close(fd);
}

/* Whether addr is a page of one of the test regions. */
static int in_region(uintptr_t addr)
{
	for (int i = 0; i < R_NR + 1; i++)
		if (test[i].p && addr >= (uintptr_t)test[i].p &&
		    addr < (uintptr_t)test[i].p + test[i].len)
			return 1;
	return 0;
}

/* "OWN PID PFN" for each present page of /proc/self/maps outside the test regions. */
static void own_pages(void)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	int fd = open("/proc/self/pagemap", O_RDONLY);
	unsigned long start, end;
	char line[512];

	while (maps && fd >= 0 && fgets(line, sizeof(line), maps)) {
		if (sscanf(line, "%lx-%lx", &start, &end) != 2 || strstr(line, "[vsyscall]"))
			continue;
		for (unsigned long a = start; a < end; a += PAGE) {
			uint64_t e = 0;

			if (in_region(a) || pread(fd, &e, 8, (off_t)(a / PAGE * 8)) != 8 || !(e >> 63))
				continue;
			if (e & ((1ULL << 55) - 1))
				wlog("OWN %d %lu\n", getpid(), (unsigned long)(e & ((1ULL << 55) - 1)));
		}
	}
	if (maps)
		fclose(maps);
	if (fd >= 0)
		close(fd);
}

static void serve(const char *comm)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO | SA_NODEFER };

	prctl(PR_SET_NAME, comm);
	sigaction(SIGBUS, &sa, NULL);
	read_pfns();
	own_pages();
	wlog("READY %d %s\n", getpid(), comm);
	for (;;) {
		pause();
		if (touch_req) {
			touch_req = 0;
			touch();
		}
	}
}

int main(int argc, char **argv)
{
	char path[256];

	if (argc != 2)
		return 2;
	snprintf(path, sizeof(path), "%s/xw.log", argv[1]);
	logfd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (logfd < 0)
		return 1;
	signal(SIGUSR1, on_usr1);
	setup(argv[1]);
	for (int i = 0; i < R_NR; i++)
		test[i].p = reg[i].p, test[i].len = reg[i].len;
	if (!fork())
		serve("xw-fork");
	if (!fork()) {
		/* its own heap, not the parent's: an early kill of a shared page is the fork's test */
		for (int i = 0; i < R_NR; i++)
			if (i != R_HEAP && i != R_KSM && i != R_DIRTY)
				reg[i].p = NULL;
		reg[R_HEAP].p = map(reg[R_HEAP].len, MAP_PRIVATE | MAP_ANONYMOUS, -1);
		test[R_NR].p = reg[R_HEAP].p, test[R_NR].len = reg[R_HEAP].len;
		memset(reg[R_HEAP].p, 0x11, reg[R_HEAP].len);
		prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0);
		serve("xw-early");
	}
	serve("xw-main");
}
