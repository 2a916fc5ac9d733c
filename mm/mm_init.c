/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Boot: lay out zones, reserve the kernel's low memory, set up the shared zero
 * page and hand everything else to the buddy allocator.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/dax.h"
#include "memfail/memory-failure.h"
#include "memfail/ksm.h"
#include "memfail/memfail.h"
#include "memfail/mm.h"
#include "memfail/profile.h"

#define MIN_MEMORY (1ULL << 20)
#define MAX_MEMORY (8ULL << 40) /* pfns fit the 32-bit list links, pmem after RAM too */
#define MAX_SWAP (8ULL << 40)	/* 14 bytes of address space a slot, in the machine's 64 GiB arena */
#define DMA32_END_PFN (1ULL << (32 - PAGE_SHIFT))

static void zone_init(struct zone *z, enum zone_type type, uint64_t start, uint64_t end, const char *name)
{
	unsigned o;

	memset(z, 0, sizeof(*z));
	z->type = type;
	z->start_pfn = start;
	z->end_pfn = end;
	z->name = name;
	for (o = 0; o < MAX_ORDER; o++)
		z->free_area[o].free_list.head = z->free_area[o].free_list.tail = NO_PFN;
}

int machine_create(const struct machine_config *cfg, struct machine **out, char *err, size_t errlen)
{
	struct machine *m;
	uint64_t nr, reserved;
	int zi, l;

	*out = NULL;
	if (cfg->memory < MIN_MEMORY || cfg->memory % PAGE_SIZE) {
		snprintf(err, errlen, "memory=%llu: must be a multiple of 4K and at least 1M",
			 (unsigned long long)cfg->memory);
		return -EINVAL;
	}
	if (cfg->memory > MAX_MEMORY) {
		snprintf(err, errlen, "memory=%llu: more than the 8T the model supports",
			 (unsigned long long)cfg->memory);
		return -EINVAL;
	}
	if (cfg->swap > MAX_SWAP) {
		snprintf(err, errlen, "swap=%llu: more than the 8T the model supports",
			 (unsigned long long)cfg->swap);
		return -EINVAL;
	}
	if (cfg->nodes < 1 || cfg->nodes > MF_MAX_NUMNODES) {
		snprintf(err, errlen, "nodes=%d: must be 1..%d", cfg->nodes, MF_MAX_NUMNODES);
		return -EINVAL;
	}
	nr = cfg->memory >> PAGE_SHIFT;
	m = xcalloc(1, sizeof(*m), "allocating a machine");
	*out = m;	/* now: a host out of memory that unwinds boot still tears it down */
	sparse_init(m, nr);
	m->nr_pages = m->nr_ram_pages = nr;
	m->nr_nodes = cfg->nodes;
	m->next_pid = 100;
	m->sysctl_memory_failure_recovery = 1;
	m->sysctl_enable_soft_offline = 1;
	m->filter.dev_major = m->filter.dev_minor = ~0U;
	m->disk_sb = (struct super_block){ FS_DISK, "disk", 0, 254, 0 };
	m->tmpfs_sb = (struct super_block){ FS_TMPFS, "tmpfs", 0, 0, 23 };
	m->hugetlbfs_sb = (struct super_block){ FS_HUGETLBFS, "hugetlbfs", 0, 0, 24 };
	m->bdev_sb = (struct super_block){ FS_BDEV, "bdev", 0, 0, 0 };
	m->nr_data = 1;	/* slot 0: the all-zero page */
	for (l = 0; l < NR_LRU_LISTS; l++)
		m->lruvec.lists[l].head = m->lruvec.lists[l].tail = NO_PFN;
	m->hstate.freelist.head = m->hstate.freelist.tail = NO_PFN;
	m->thp.enabled = 1;	/* madvise, Debian's default */
	m->profile = kernel_profile_get(MF_KERNEL_6_1);	/* mf_machine_create picks another */

	zone_init(&m->zones[0], ZONE_DMA32, 0, nr < DMA32_END_PFN ? nr : DMA32_END_PFN, "DMA32");
	m->nr_zones = 1;
	if (nr > DMA32_END_PFN) {
		zone_init(&m->zones[1], ZONE_NORMAL, DMA32_END_PFN, nr, "Normal");
		m->nr_zones = 2;
	}
	/* Low memory and the kernel image: 1/64 of RAM, at least 64 pages. */
	reserved = nr / 64 < 64 ? 64 : nr / 64;
	m->reserved_end = reserved;
	/* whole sections of reserved frames or free blocks are written on first touch */
	sparse_reserve(m, reserved);
	m->zero_pfn = (uint32_t)(reserved - 1);
	SetPageFlag(&m->pages[m->zero_pfn], PG_zero);
	for (zi = 0; zi < m->nr_zones; zi++) {
		struct zone *z = &m->zones[zi];
		uint64_t start = z->start_pfn > reserved ? z->start_pfn : reserved;
		z->managed = z->end_pfn - start;
		memblock_free_pages(m, z, start);
	}
	if (cfg->swap)
		swap_init(m, cfg->swap);
	return 0;
}

void machine_forget(struct machine *m)
{
	ck_state_free(m);	/* to the next machine, as the frame array */
	sparse_destroy(m);
}

void machine_destroy(struct machine *m)
{
	uint64_t i;

	if (!m)
		return;
	while (m->tasks)
		task_release(m->tasks);
	while (m->nr_inodes)
		inode_destroy(m->inodes[m->nr_inodes - 1]);
	pmem_destroy(m);	/* after the inodes: their blocks are its */
	ksm_destroy(m);		/* after the tasks: KSM pages kept poisoned lose their nodes */
	/* pages kept forever (poisoned, leaked by design) still hold their anon_vma */
	for (i = 0; i < m->nr_pages; i++) {
		struct page *p = &m->pages[i];
		if (sparse_section_state(m, i) != SECTION_PRESENT)	/* as boot left it */
			i += PAGES_PER_SECTION - 1 - i % PAGES_PER_SECTION;
		else if (PageFlag(p, PG_buddy))	/* a free block: its frames hold nothing */
			i += (1ULL << p->private) - 1;
		else if (page_anon_vma(p))	/* not a retired page's stale bits */
			anon_vma_put(page_anon_vma(p));
	}
	free(m->inodes);
	u64map_free(&m->hwpoison_mapped);
	swap_free_all(m);
	for (i = 1; i < m->nr_data; i++)
		free(m->data[i]);
	free(m->data);
	for (i = 0; i < ARRAY_SIZE(m->uniform); i++)
		free(m->uniform[i]);
	free(m->free_slots);
	free(m->ck_dead);
	free(m->sigs);
	free(m->slab_pfns);
	free(m->trace);
	free(m->log.buf);
	ck_state_free(m);
	sparse_destroy(m);
	free(m);
}
