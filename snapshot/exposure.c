// SPDX-License-Identifier: GPL-2.0-only
/*
 * Exposure of a snapshot: per-pfn outcome counts, then each process's
 * resident pages (from its pagemap) by outcome, and the mapped files whose
 * page cache holds data an error would destroy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/snapshot.h"

void exposure_count(struct exposure *e)
{
	memset(e->count, 0, sizeof(e->count));
	for (uint64_t pfn = 0; pfn < e->nr_pfns; pfn++)
		e->count[e->cls[pfn]]++;
}

static int info_int(const struct snapshot *s, const char *key)
{
	const char *v = snapshot_info(s, key);

	return v && *v >= '0' && *v <= '9' ? atoi(v) : -1;
}

static bool is_file_map(const struct snap_map *m)
{
	return m->path[0] == '/' && m->inode;
}

static uint32_t file_index(struct exposure *e, const char *path)
{
	for (size_t i = e->nr_files; i-- > 0;)
		if (!strcmp(e->files[i].path, path))
			return (uint32_t)i;
	struct exp_file f = { .path = path };

	ARRAY_PUSH(e->files, e->nr_files, e->cap_files, f, "exposure files");
	return (uint32_t)(e->nr_files - 1);
}

/* Counts p's present pages by outcome; file pages remember their file in pfile. */
static void account_proc(struct exposure *e, struct exp_proc *ep, uint32_t *pfile,
			 uint32_t *lastproc, uint32_t pi)
{
	const struct snap_proc *p = ep->p;
	size_t mi = 0;
	uint32_t fi = UINT32_MAX;

	for (size_t i = 0; i < p->nr_ptes; i++) {
		uint64_t ent = p->ptes[i].entry, pfn = ent & PM_PFN_MASK, va = p->ptes[i].vpn << 12;
		uint8_t c;

		if (ent & PM_SWAP)
			ep->swapped++;
		if (!(ent & PM_PRESENT) || !pfn || pfn >= e->nr_pfns)
			continue;
		c = e->cls[pfn];
		ep->pages[c]++;
		ep->resident++;
		ep->fatal += exp_classes[c].kills;
		while (mi < p->nr_maps && p->maps[mi].end <= va)
			mi++, fi = UINT32_MAX;
		if (mi == p->nr_maps || p->maps[mi].start > va || !is_file_map(&p->maps[mi]))
			continue;
		if (fi == UINT32_MAX)
			fi = file_index(e, p->maps[mi].path);
		if (!pfile[pfn])
			pfile[pfn] = fi + 1;
		if (lastproc[fi] != pi + 1) {
			lastproc[fi] = pi + 1;
			e->files[fi].mappers++;
		}
	}
}

static int by_fatal(const void *a, const void *b)
{
	const struct exp_proc *x = a, *y = b;

	if (x->fatal != y->fatal)
		return x->fatal < y->fatal ? 1 : -1;
	return x->p->pid - y->p->pid;
}

static int by_dirty(const void *a, const void *b)
{
	const struct exp_file *x = a, *y = b;

	if (x->dirty != y->dirty)
		return x->dirty < y->dirty ? 1 : -1;
	if (x->resident != y->resident)
		return x->resident < y->resident ? 1 : -1;
	return strcmp(x->path, y->path);
}

static void build_procs(struct exposure *e)
{
	const struct snapshot *s = e->s;
	uint32_t *pfile = xcalloc(e->nr_pfns + 1, sizeof(*pfile), "pfn to file");
	size_t nr_maps = 1;
	uint32_t *lastproc;

	for (size_t i = 0; i < s->nr_procs; i++)
		nr_maps += s->procs[i].nr_maps; /* no more files than mappings */
	lastproc = xcalloc(nr_maps, sizeof(*lastproc), "exposure files");
	e->procs = xcalloc(s->nr_procs + 1, sizeof(*e->procs), "exposure processes");
	for (size_t i = 0; i < s->nr_procs; i++) {
		struct exp_proc *ep = &e->procs[e->nr_procs++];

		ep->p = &s->procs[i];
		account_proc(e, ep, pfile, lastproc, (uint32_t)i);
	}
	for (uint64_t pfn = 0; pfn < e->nr_pfns; pfn++) {
		uint8_t c = e->cls[pfn];
		bool at_risk = c == EXP_FILE_DIRTY || c == EXP_SHMEM || c == EXP_MLOCKED;

		if (pfile[pfn]) {
			e->files[pfile[pfn] - 1].resident++;
			e->files[pfile[pfn] - 1].dirty += at_risk;
		} else if (c == EXP_FILE_DIRTY || c == EXP_SHMEM) {
			e->dirty_unmapped++;
		}
	}
	free(pfile);
	free(lastproc);
	qsort(e->procs, e->nr_procs, sizeof(*e->procs), by_fatal);
	if (e->nr_files)
		qsort(e->files, e->nr_files, sizeof(*e->files), by_dirty);
}

int exposure_build(struct exposure *e, const struct snapshot *s, enum mf_kernel kid, char *err,
		   size_t errlen)
{
	const char *k;

	memset(e, 0, sizeof(*e));
	e->kernel_id = kid;
	e->kernel = mf_kernel_name(kid);
	if (s->kpagecount && !s->kpageflags) {
		snprintf(err, errlen, "snapshot has map counts but no page flags");
		return -1;
	}
	e->s = s;
	e->nr_pfns = s->nr_pfns;
	e->cls = xmalloc(e->nr_pfns + 1, "exposure classes");
	exp_classify_all(s, e->nr_pfns, s->kpageflags, 0, e->cls, kid);
	exposure_count(e);
	e->early_kill = info_int(s, "memory_failure_early_kill");
	e->recovery = info_int(s, "memory_failure_recovery");
	k = snapshot_info(s, "kernel");
	snprintf(e->snap_kernel, sizeof(e->snap_kernel), "%s", k ? k : "?");
	if (s->nr_procs)
		build_procs(e);
	return 0;
}

void exposure_free(struct exposure *e)
{
	free(e->cls);
	free(e->procs);
	free(e->files);
	memset(e, 0, sizeof(*e));
}
