// SPDX-License-Identifier: GPL-2.0-only
/*
 * A machine recipe becomes a model machine through memfail.h calls only:
 * files, then processes with their mappings, populated and written. The
 * machine is checkpointed once; every trial restores it. Who maps which pfn
 * is read back with mf_virt_to_pfn() (the API has no reverse map), so an
 * action-required error can be consumed by a task that really maps the page.
 */
#include <errno.h>
#include <string.h>

#include "memfail/array.h"
#include "internal.h"

static size_t rhash(uint64_t k, size_t cap)
{
	return (size_t)((k * 0x9e3779b97f4a7c15ull) >> 17) & (cap - 1);
}

static void rmap_grow(struct cp_rmap *r)
{
	struct cp_rmap_ent *old = r->t;
	size_t ocap = r->cap;

	r->cap = ocap ? ocap * 2 : 1024;
	r->t = xcalloc(r->cap, sizeof(*r->t), "campaign rmap");
	r->used = 0;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].key)
			cp_rmap_put(r, old[i].key - 1, old[i].pid, old[i].addr);
	free(old);
}

void cp_rmap_put(struct cp_rmap *r, uint64_t pfn, int pid, uint64_t addr)
{
	size_t h;

	if (2 * (r->used + 1) > r->cap)
		rmap_grow(r);
	for (h = rhash(pfn + 1, r->cap); r->t[h].key; h = (h + 1) & (r->cap - 1))
		if (r->t[h].key == pfn + 1)
			break;
	if (!r->t[h].key)
		r->used++;
	r->t[h] = (struct cp_rmap_ent){ .key = pfn + 1, .pid = pid, .addr = addr };
}

const struct cp_rmap_ent *cp_rmap_get(const struct cp_rmap *r, uint64_t pfn)
{
	if (!r->cap)
		return NULL;
	for (size_t h = rhash(pfn + 1, r->cap); r->t[h].key; h = (h + 1) & (r->cap - 1))
		if (r->t[h].key == pfn + 1)
			return &r->t[h];
	return NULL;
}

void cp_rmap_clear(struct cp_rmap *r)
{
	if (r->used)
		memset(r->t, 0, r->cap * sizeof(*r->t));
	r->used = 0;
}

void cp_rmap_free(struct cp_rmap *r)
{
	free(r->t);
	r->t = NULL;
	r->cap = r->used = 0;
}

#define TRY(expr, what)                                                              \
	do {                                                                         \
		long ret_ = (expr);                                                  \
		if (ret_ < 0) {                                                      \
			snprintf(err, errlen, "machine %s: %s: %s%s%s", mc->name,   \
				 (what), strerror((int)-ret_), *mf_errmsg(m) ? ": " : "", \
				 mf_errmsg(m));                                      \
			return -1;                                                   \
		}                                                                    \
	} while (0)

struct region {
	int pid;
	uint64_t addr, len;
};
struct regions {
	struct region *r;
	size_t n, cap;
};

/* Every page of every region goes into the rmap, once the machine is built. */
static void learn(struct mf_machine *m, struct cp_built *b, const struct regions *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		const struct region *r = &rs->r[i];

		for (uint64_t a = r->addr; a < r->addr + r->len; a += MF_PAGE_SIZE) {
			uint64_t pfn;

			if (!mf_virt_to_pfn(m, r->pid, a, &pfn) && !cp_rmap_get(&b->rmap, pfn))
				cp_rmap_put(&b->rmap, pfn, r->pid, a);
		}
	}
}

static int map_region(struct mf_machine *m, struct cp_built *b, int pid, uint64_t len, int flags,
		      int fd, uint64_t *addr, struct regions *rs, char *err, size_t errlen)
{
	struct region r = { .pid = pid, .len = len };

	const struct cp_machine *mc = b->mc;
	struct mf_fill fill = { .kind = MF_FILL_BYTE, .byte = (uint8_t)(pid | 1) };
	char what[64];

	snprintf(what, sizeof(what), "mmap of %llu bytes", (unsigned long long)len);
	TRY(mf_mmap(m, pid, len, MF_PROT_READ | MF_PROT_WRITE, flags | MF_MAP_POPULATE, fd, 0,
		    addr), what);
	if (fd < 0)
		TRY(mf_fill(m, pid, *addr, len, &fill, NULL), "fill");
	r.addr = *addr;
	ARRAY_PUSH(rs->r, rs->n, rs->cap, r, "campaign regions");
	return 0;
}

static int one_proc(struct mf_machine *m, struct cp_built *b, const struct cp_proc *pr,
		    struct regions *rs, char *err, size_t errlen)
{
	const struct cp_machine *mc = b->mc;
	int pid = mf_task_create(m, pr->name, pr->sigbus_default ? MF_SIGBUS_DEFAULT
								  : MF_SIGBUS_HANDLER);
	int anon_flags = MF_MAP_PRIVATE | MF_MAP_ANONYMOUS | (pr->locked ? MF_MAP_LOCKED : 0) |
			 (pr->thp ? MF_MAP_THP : 0);
	uint64_t addr;

	TRY(pid, "process");
	if (pr->early)
		TRY(mf_prctl_mce_kill(m, pid, MF_PR_MCE_KILL_SET, MF_PR_MCE_KILL_EARLY), "prctl");
	if (pr->anon) {
		if (map_region(m, b, pid, pr->anon, anon_flags, -1, &addr, rs, err, errlen))
			return -1;
		if (pr->ksm)
			TRY(mf_madvise(m, pid, addr, pr->anon, MF_MADVISE_MERGEABLE), "madvise");
		/* a pipe holds 16 pages (PIPE_DEF_BUFFERS): one pipe per 64K pinned */
		for (uint64_t off = 0; off < pr->pin; off += 16 * MF_PAGE_SIZE) {
			uint64_t len = pr->pin - off < 16 * MF_PAGE_SIZE ? pr->pin - off
									 : 16 * MF_PAGE_SIZE;
			int fd = mf_pipe(m, pid);

			TRY(fd, "pipe");
			TRY(mf_vmsplice(m, pid, fd, addr + off, len), "vmsplice");
		}
	}
	if (pr->shmem && map_region(m, b, pid, pr->shmem, MF_MAP_SHARED | MF_MAP_ANONYMOUS, -1,
				    &addr, rs, err, errlen))
		return -1;
	if (pr->map[0]) {
		int fd = mf_open(m, pid, pr->map, MF_O_RDWR);

		TRY(fd, "open");
		if (map_region(m, b, pid, pr->map_len, MF_MAP_SHARED, fd, &addr, rs, err, errlen))
			return -1;
	}
	return 0;
}

/*
 * A process the OOM killer took while the machine was built: the recipe needs
 * more memory than the machine has, and trials on what is left would answer
 * for another machine. Checked after each process: a recipe of 100,000 that
 * do not fit stops at the first death, not after 100,000 OOM kills.
 */
static int no_deaths(struct mf_machine *m, const struct cp_machine *mc, char *err, size_t errlen)
{
	struct mf_death d;

	if (mf_death_next(m, &d) != 1)
		return 0;
	snprintf(err, errlen, "machine %s: a process (pid %d) was killed (signal %d) while the machine "
		 "was built: its processes need more than memory=%lluM", mc->name, d.pid, d.signo,
		 (unsigned long long)(mc->ram >> 20));
	return -1;
}

static int build_machine(struct mf_machine *m, struct cp_built *b, char *err, size_t errlen)
{
	const struct cp_machine *mc = b->mc;
	struct regions rs = { 0 };
	bool ksm = false;
	int ret = 0;

	for (size_t i = 0; i < mc->nfiles; i++) {
		const struct cp_file *f = &mc->files[i];
		struct mf_file_init init = { .size = f->size, .state = f->state,
					     .fill = { .kind = MF_FILL_INDEX } };

		TRY(mf_file_create(m, f->path, &init), f->path);
	}
	for (size_t i = 0; i < mc->nprocs && !ret; i++)
		for (int k = 0; k < mc->procs[i].count && !ret; k++) {
			ret = one_proc(m, b, &mc->procs[i], &rs, err, errlen);
			ret = ret ? ret : no_deaths(m, mc, err, errlen);
			ksm |= mc->procs[i].ksm;
		}
	if (!ret && ksm)
		TRY(mf_ksm_scan(m, 2), "ksm-scan");
	if (!ret) {
		TRY(mf_lru_drain(m), "lru drain");
		learn(m, b, &rs);
	}
	free(rs.r);
	return ret;
}

int cp_build(const struct cp_machine *mc, enum mf_kernel kernel, struct cp_built **out, char *err,
	     size_t errlen)
{
	struct cp_built *b = xcalloc(1, sizeof(*b), "campaign machine");
	struct mf_machine_desc d;
	struct mf_machine *m;
	int ret;

	b->mc = mc;
	b->kernel = kernel;
	b->pages = mc->ram / MF_PAGE_SIZE;
	mf_machine_desc_default(&d);
	d.kernel = kernel;
	d.memory = mc->ram;
	if (mc->snapshot[0])
		ret = cp_build_snapshot(b, &m, err, errlen);
	else
		ret = mf_machine_create(&d, &m, err, errlen);
	if (!ret) {
		if (!mc->snapshot[0])
			ret = build_machine(m, b, err, errlen);
		if (!ret && (ret = mf_checkpoint(m, &b->cp)))
			snprintf(err, errlen, "machine %s: checkpoint: error %d %s", mc->name, ret,
				 mf_errmsg(m));
		if (!ret)	/* the first policy's machine, already in its checkpoint's state */
			ARRAY_PUSH(b->slots, b->nslots, b->cslots, ((struct cp_slot){ m, b->cp }),
				   "campaign machines");
		else
			mf_machine_destroy(m);
	}
	if (ret) {
		cp_built_free(b);
		return -1;
	}
	*out = b;
	return 0;
}

/*
 * A slot's first use replays the recipe's checkpoint into a new machine
 * (mf_restore) and checkpoints that; every later use resets it in place
 * (mf_restore_into), which costs a copy of the state, not a rebuild.
 */
int cp_built_machine(struct cp_built *b, int i, struct mf_machine **out)
{
	struct cp_slot *sl;
	int ret;

	while (b->nslots <= i)
		ARRAY_PUSH(b->slots, b->nslots, b->cslots, ((struct cp_slot){ NULL, NULL }),
			   "campaign machines");
	sl = &b->slots[i];
	if (sl->m) {
		ret = mf_restore_into(sl->m, sl->cp);
	} else {
		ret = mf_restore(b->cp, &sl->m);
		if (!ret && (ret = mf_checkpoint(sl->m, &sl->cp))) {
			mf_machine_destroy(sl->m);
			sl->m = NULL;
		}
	}
	*out = ret ? NULL : sl->m;
	return ret;
}

void cp_built_free(struct cp_built *b)
{
	int i;

	if (!b)
		return;
	for (i = 0; i < b->nslots; i++) {
		mf_machine_destroy(b->slots[i].m);
		if (b->slots[i].cp != b->cp)
			mf_checkpoint_free(b->slots[i].cp);
	}
	free(b->slots);
	mf_checkpoint_free(b->cp);
	cp_rmap_free(&b->rmap);
	free(b);
}

uint64_t cp_built_pages(const struct cp_built *b)
{
	return b->pages;
}
