/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Task steps of the Linux back end, executed inside the task process (or
 * thread) with real system calls. Loads, stores, fills and checks run in an
 * access window: a synchronous SIGBUS/SIGSEGV ends the step as MF_RES_SIGNAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lb.h"
#include "memfail/array.h"

#ifndef PR_MCE_KILL
#define PR_MCE_KILL 33
#define PR_MCE_KILL_GET 34
#endif
#ifndef PR_MCE_KILL_CLEAR
#define PR_MCE_KILL_CLEAR 0
#define PR_MCE_KILL_SET 1
#define PR_MCE_KILL_LATE 0
#define PR_MCE_KILL_EARLY 1
#endif
#ifndef SHM_HUGETLB
#define SHM_HUGETLB 04000
#endif

struct t_region {
	char name[MF_NAME_MAX];
	uint8_t *addr;
	uint64_t size;
	uint64_t foff;		/* file offset of the mapping */
	bool file;		/* pattern pages are file pages */
	bool sysv;
};

/* growable; a free slot (addr NULL, name empty) is reused */
static struct t_region *regions;
static int nregions, cap_regions;
/* pin steps: each a pipe (both ends kept open) whose buffers reference the pages */
static int (*pins)[2];
static int npin, cap_pins;

static struct t_region *region_find(const char *name)
{
	for (int i = 0; i < nregions; i++)
		if (regions[i].addr && !strcmp(regions[i].name, name))
			return &regions[i];
	return NULL;
}

uint8_t lb_pattern_byte(const struct mf_pattern *pat, uint64_t page_index)
{
	if (pat->kind == MF_PAT_BYTE)
		return pat->byte;
	return (uint8_t)((page_index + 1) & 0xff);
}

static void res_signal(struct mf_result *res)
{
	res->kind = MF_RES_SIGNAL;
	res->sig.signo = lb_intr.signo;
	res->sig.code = lb_intr.code;
	res->sig.addr = lb_intr.addr;
	res->sig.lsb = lb_intr.lsb;
}

static int resolve(const struct mf_addr *a, const char *fallback, uint8_t **p,
		   struct t_region **rp, struct mf_result *res)
{
	const char *name = a->region[0] ? a->region : fallback;
	struct t_region *r = region_find(name);

	if (!r) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "no region %s", name);
		return -1;
	}
	*p = r->addr + a->off;
	if (rp)
		*rp = r;
	return 0;
}

/* fill (store) or check the pattern over [p, p+len) of region r */
static int pattern_range(struct t_region *r, uint8_t *p, uint64_t len,
			 const struct mf_pattern *pat, bool check, struct mf_result *res)
{
	volatile uint8_t *v = p;
	uint64_t base = r->file ? r->foff : 0;
	bool ok = true;

	if (lb_access_begin()) {
		res_signal(res);
		return -1;
	}
	for (uint64_t i = 0; i < len; i++) {
		uint64_t o = (uint64_t)(p - r->addr) + i;
		uint8_t b = lb_pattern_byte(pat, (base + o) / LB_PAGE);

		if (check) {
			if (v[i] != b) {
				ok = false;
				break;
			}
		} else {
			v[i] = b;
		}
	}
	lb_access_end();
	if (check) {
		res->kind = MF_RES_CHECK;
		res->value = ok;
	} else {
		res->kind = MF_RES_OK;
	}
	return 0;
}

static uint8_t *map_aligned(uint64_t size, int prot, int flags, int fd, off_t off)
{
	uint8_t *res = mmap(NULL, size + LB_HPAGE, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return MAP_FAILED;
	uint8_t *al = (uint8_t *)(((uintptr_t)res + LB_HPAGE - 1) & ~(uintptr_t)(LB_HPAGE - 1));
	uint8_t *m = mmap(al, size, prot, flags | MAP_FIXED, fd, off);

	if (m == MAP_FAILED) {
		int e = errno;

		munmap(res, size + LB_HPAGE);
		errno = e;
		return MAP_FAILED;
	}
	if (al > res)
		munmap(res, (size_t)(al - res));
	if (res + size + LB_HPAGE > al + size)
		munmap(al + size, (size_t)(res + size + LB_HPAGE - (al + size)));
	return m;
}

/* A free slot in the region table (growing it when none is free), zeroed. */
static struct t_region *region_slot(void)
{
	struct t_region *slot = NULL;

	for (int i = 0; i < nregions && !slot; i++)
		if (!regions[i].addr)
			slot = &regions[i];
	if (!slot) {
		ARRAY_GROW(regions, nregions, cap_regions, "the task's regions");
		slot = &regions[nregions++];
	}
	memset(slot, 0, sizeof(*slot));
	return slot;
}

/* shmget + shmat (the segment removed at once: it lives while attached); NULL on error. */
static uint8_t *map_sysv(const struct mf_stmt *st, bool populate, struct mf_result *res)
{
	int id = shmget(IPC_PRIVATE, st->size, IPC_CREAT | 0600 | (st->hugetlb ? SHM_HUGETLB : 0));
	uint8_t *m;

	if (id < 0) {
		lb_set_errno(res, errno);
		return NULL;
	}
	m = shmat(id, NULL, st->ro ? SHM_RDONLY : 0);
	int e = errno;

	shmctl(id, IPC_RMID, NULL);
	if (m == (void *)-1) {
		lb_set_errno(res, e);
		return NULL;
	}
	if (populate)
		madvise(m, st->size, LB_MADV_POPULATE_READ);
	return m;
}

/*
 * The fd an mmap of a file (opened here: *closefd) or of a declared fd maps;
 * -1 with res set on error.
 */
static int map_fd(const struct lb_req *rq, struct mf_result *res, int *closefd)
{
	const struct mf_stmt *st = &rq->st;
	int fd;

	if (st->mkind == MF_MAP_FILE) {
		fd = open(rq->path, st->ro ? O_RDONLY : O_RDWR);
		if (fd < 0)
			lb_set_errno(res, errno);
		*closefd = fd;
		return fd;
	}
	fd = lb_fd_of(st->fd);
	if (fd < 0) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "no fd %s", st->fd);
	}
	return fd;
}

/* mmap of anonymous memory or a file: THP mappings 2 MiB aligned, then MADV_HUGEPAGE. */
static uint8_t *map_plain(const struct lb_req *rq, int prot, int flags, bool populate,
			  struct t_region *slot, struct mf_result *res)
{
	const struct mf_stmt *st = &rq->st;
	int fd = -1, closefd = -1;
	uint8_t *m;

	if (st->mkind == MF_MAP_ANON) {
		flags |= MAP_ANONYMOUS | (st->hugetlb ? MAP_HUGETLB : 0);
	} else {
		fd = map_fd(rq, res, &closefd);
		if (fd < 0)
			return NULL;
		slot->file = true;
	}
	slot->foff = st->offset;
	if (populate && !st->thp)
		flags |= MAP_POPULATE;
	if (st->thp)
		m = map_aligned(st->size, prot, flags, fd, (off_t)st->offset);
	else
		m = mmap(NULL, st->size, prot, flags, fd, (off_t)st->offset);
	int e = errno;

	if (closefd >= 0)
		close(closefd);
	if (m == MAP_FAILED) {
		lb_set_errno(res, e);
		return NULL;
	}
	if (st->thp) {
		madvise(m, st->size, LB_MADV_HUGEPAGE);
		if (populate)
			madvise(m, st->size, (flags & MAP_SHARED) || st->ro ?
				LB_MADV_POPULATE_READ : LB_MADV_POPULATE_WRITE);
	}
	return m;
}

static void op_mmap(const struct lb_req *rq, struct lb_rep *rp)
{
	const struct mf_stmt *st = &rq->st;
	struct mf_result *res = &rp->res;
	struct t_region *slot = region_slot();
	int prot = st->ro ? PROT_READ : PROT_READ | PROT_WRITE;
	int flags = st->shared || st->mkind == MF_MAP_SYSV ? MAP_SHARED : MAP_PRIVATE;
	bool fill = st->pat.kind != MF_PAT_NONE;
	bool populate = st->populate || fill;
	uint8_t *m;

	if (st->mkind == MF_MAP_SYSV) {
		m = map_sysv(st, populate, res);
		slot->sysv = m != NULL;
	} else {
		m = map_plain(rq, prot, flags, populate, slot, res);
	}
	if (!m)
		return;
	snprintf(slot->name, sizeof(slot->name), "%s", st->name);
	slot->addr = m;
	slot->size = st->size;
	rp->addr = (uint64_t)(uintptr_t)m;
	rp->size = st->size;
	res->kind = MF_RES_OK;
	if (st->locked && mlock(m, st->size) < 0) {
		lb_set_errno(res, errno);
		return;
	}
	if (fill)
		pattern_range(slot, m, st->size, &st->pat, false, res);
}

static void op_munmap(const struct mf_stmt *st, struct mf_result *res)
{
	struct t_region *r = region_find(st->name[0] ? st->name : st->addr.region);

	if (!r) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "no region");
		return;
	}
	lb_res_value(res, r->sysv ? shmdt(r->addr) : munmap(r->addr, r->size));
	if (res->kind == MF_RES_VALUE)
		memset(r, 0, sizeof(*r));
}

static int advice_of(enum mf_madv a)
{
	switch (a) {
	case MF_MADV_HWPOISON: return LB_MADV_HWPOISON;
	case MF_MADV_SOFT_OFFLINE: return LB_MADV_SOFT_OFFLINE;
	case MF_MADV_HUGEPAGE: return LB_MADV_HUGEPAGE;
	case MF_MADV_NOHUGEPAGE: return LB_MADV_NOHUGEPAGE;
	case MF_MADV_DONTNEED: return LB_MADV_DONTNEED;
	case MF_MADV_PAGEOUT: return LB_MADV_PAGEOUT;
	case MF_MADV_WILLNEED: return LB_MADV_WILLNEED;
	case MF_MADV_COLLAPSE: return LB_MADV_COLLAPSE;
	case MF_MADV_MERGEABLE: return LB_MADV_MERGEABLE;
	case MF_MADV_UNMERGEABLE: return LB_MADV_UNMERGEABLE;
	}
	return -1;
}

/*
 * MADV_PAGEOUT writes anonymous pages to swap asynchronously: they stay in the
 * swap cache, and the end of the write-back queues them on a per-CPU LRU batch
 * that holds a reference until that CPU drains it. 6.1 frees the swap slot on a
 * write fault only when the page has no other reference (should_try_to_free_swap),
 * so a later store would see a swap-cache page or not depending on timing. Settle
 * it as the model has it: wait for the write-back to end, then drain every CPU's
 * batches (lru_add_drain_all, which 6.1's POSIX_FADV_DONTNEED runs when a page of
 * the range cannot be invalidated: here, a mapped page of a scratch ext4 file).
 */
#define LB_KPF_WRITEBACK 8
#define LB_SETTLE_MAX 512
static void pageout_record(uint8_t *p, uint64_t size, uint64_t *pfn, int *n)
{
	uint64_t off;
	bool present;

	*n = 0;
	for (off = 0; off < size && *n < LB_SETTLE_MAX; off += LB_PAGE)
		if (!lb_pagemap(getpid(), (uint64_t)(uintptr_t)(p + off), &pfn[*n], &present) &&
		    present)
			(*n)++;
}

static void pageout_settle(const uint64_t *pfn, int n)
{
	char path[] = LB_EXT4_DIR "/.memfail-drain";
	static uint8_t page[LB_PAGE];
	uint64_t fl;
	void *m;
	int i, tries, fd;

	for (i = 0; i < n; i++)
		for (tries = 0; tries < 2000; tries++) {
			if (lb_kpageflags(pfn[i], &fl) || !(fl & (1ULL << LB_KPF_WRITEBACK)))
				break;
			usleep(1000);
		}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (pwrite(fd, page, sizeof(page), 0) == (ssize_t)sizeof(page) && !fsync(fd)) {
		m = mmap(NULL, LB_PAGE, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
		if (m != MAP_FAILED) {
			posix_fadvise(fd, 0, LB_PAGE, POSIX_FADV_DONTNEED);
			munmap(m, LB_PAGE);
		}
	}
	close(fd);
	unlink(path);
}

static void op_memory(const struct mf_stmt *st, struct mf_result *res)
{
	struct t_region *r;
	uint8_t *p;

	if (resolve(&st->addr, st->name, &p, &r, res))
		return;
	switch (st->op) {
	case MF_OP_MLOCK:
		lb_res_value(res, mlock(p, st->size));
		break;
	case MF_OP_MUNLOCK:
		lb_res_value(res, munlock(p, st->size));
		break;
	case MF_OP_MADVISE:
		if (st->madv == MF_MADV_PAGEOUT) {
			static uint64_t pfn[LB_SETTLE_MAX];
			int n;

			pageout_record(p, st->size, pfn, &n);
			lb_res_value(res, madvise(p, st->size, LB_MADV_PAGEOUT));
			pageout_settle(pfn, n);
			break;
		}
		lb_res_value(res, madvise(p, st->size, advice_of(st->madv)));
		break;
	case MF_OP_LOAD: {
		volatile uint8_t *v = p;
		uint8_t b;

		if (lb_access_begin()) {
			res_signal(res);
			return;
		}
		b = *v;
		lb_access_end();
		res->kind = MF_RES_BYTE;
		res->value = b;
		break;
	}
	case MF_OP_STORE: {
		volatile uint8_t *v = p;

		if (lb_access_begin()) {
			res_signal(res);
			return;
		}
		*v = st->byte;
		lb_access_end();
		res->kind = MF_RES_OK;
		break;
	}
	case MF_OP_FILL:
	case MF_OP_CHECK:
		pattern_range(r, p, st->size, &st->pat, st->op == MF_OP_CHECK, res);
		break;
	case MF_OP_MSYNC:
		lb_res_value(res, msync(r->addr, st->size ? st->size : r->size, MS_SYNC));
		break;
	default:
		break;
	}
}

static void op_pin(const struct mf_stmt *st, struct mf_result *res)
{
	struct iovec iov;
	uint8_t *p;

	if (resolve(&st->addr, st->name, &p, NULL, res))
		return;
	ARRAY_GROW(pins, npin, cap_pins, "the task's pins");
	if (pipe2(pins[npin], O_CLOEXEC) < 0) {
		lb_set_errno(res, errno);
		return;
	}
	npin++;
	iov.iov_base = p;
	iov.iov_len = st->size;
	lb_res_value(res, vmsplice(pins[npin - 1][1], &iov, 1, 0));
}

static void op_unpin(struct mf_result *res)
{
	while (npin) {
		npin--;
		close(pins[npin][0]);
		close(pins[npin][1]);
	}
	res->kind = MF_RES_OK;
}

void lb_ops_step(const struct lb_req *rq, struct lb_rep *rp)
{
	const struct mf_stmt *st = &rq->st;
	struct mf_result *res = &rp->res;

	switch (st->op) {
	case MF_OP_MMAP:
		op_mmap(rq, rp);
		break;
	case MF_OP_MUNMAP:
		op_munmap(st, res);
		break;
	case MF_OP_MLOCK: case MF_OP_MUNLOCK: case MF_OP_MADVISE: case MF_OP_LOAD:
	case MF_OP_STORE: case MF_OP_FILL: case MF_OP_CHECK: case MF_OP_MSYNC:
		op_memory(st, res);
		break;
	case MF_OP_PRCTL_MCE_KILL:
		if (st->mce_kill == MF_MCE_KILL_CLEAR)
			lb_res_value(res, prctl(PR_MCE_KILL, PR_MCE_KILL_CLEAR, 0, 0, 0));
		else
			lb_res_value(res, prctl(PR_MCE_KILL, PR_MCE_KILL_SET,
					     st->mce_kill == MF_MCE_KILL_EARLY ?
					     PR_MCE_KILL_EARLY : PR_MCE_KILL_LATE, 0, 0));
		break;
	case MF_OP_PRCTL_MCE_KILL_GET:
		lb_res_value(res, prctl(PR_MCE_KILL_GET, 0, 0, 0, 0));
		break;
	case MF_OP_EXIT:
		res->kind = MF_RES_OK;
		break;
	case MF_OP_PIN:
		op_pin(st, res);
		break;
	case MF_OP_UNPIN:
		op_unpin(res);
		break;
	case MF_OP_OPEN: case MF_OP_READ: case MF_OP_WRITE: case MF_OP_FSYNC:
	case MF_OP_FDATASYNC: case MF_OP_FTRUNCATE: case MF_OP_PUNCH: case MF_OP_CLOSE:
	case MF_OP_UNLINK:
		lb_op_file(rq, res);
		break;
	default:
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "not a task step: %d", st->op);
		break;
	}
}

/* reclaim: MADV_PAGEOUT of one page; rp->id = 1 when it is still mapped */
void lb_ops_reclaim(const struct lb_req *rq, struct lb_rep *rp)
{
	uint8_t *p;
	uint64_t pfn, settle[1];
	bool present = false;
	int n;

	if (resolve(&rq->st.ref.addr, "", &p, NULL, &rp->res))
		return;
	p = (uint8_t *)((uintptr_t)p & ~(uintptr_t)(LB_PAGE - 1));
	pageout_record(p, LB_PAGE, settle, &n);
	if (madvise(p, LB_PAGE, LB_MADV_PAGEOUT) < 0) {
		lb_set_errno(&rp->res, errno);
		return;
	}
	pageout_settle(settle, n);
	if (lb_pagemap(getpid(), (uint64_t)(uintptr_t)p, &pfn, &present))
		present = false;
	rp->id = present;
	rp->res.kind = MF_RES_OK;
}
