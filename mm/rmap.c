/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reverse mapping: from a page to every (VMA, address) that maps it. Anonymous
 * pages find their VMAs through the anon_vma they were faulted into (fork links
 * the child's VMAs into the parent's anon_vmas); file pages through the
 * mapping's list of VMAs. Neither walk looks at unrelated tasks.
 */
#include <stdlib.h>

#include "memfail/array.h"
#include "memfail/ksm.h"
#include "memfail/locking.h"
#include "memfail/mm.h"

struct anon_vma *anon_vma_alloc(void)
{
	struct anon_vma *av = xcalloc(1, sizeof(*av), "allocating an anon_vma");

	av->refcount = 1;
	return av;
}

/* anon_vma_prepare: the first anonymous page of a VMA gives it an anon_vma; 0 (6.1 shape). */
int anon_vma_prepare(struct vm_area_struct *vma)
{
	if (vma->anon_vma)
		return 0;
	vma->anon_vma = anon_vma_alloc();
	anon_vma_link(vma, vma->anon_vma);
	anon_vma_put(vma->anon_vma);	/* the link holds it now */
	return 0;
}

void anon_vma_put(struct anon_vma *av)
{
	if (--av->refcount == 0) {
		free(av->vmas);
		free(av);
	}
}

void anon_vma_link(struct vm_area_struct *vma, struct anon_vma *av)
{
	int cap = vma->cap_avc;

	mf_lock_obj(NULL, av, "anon_vma lock");	/* an rmap walk may be reading av->vmas */
	ARRAY_PUSH(av->vmas, av->nr, av->cap, vma, "anon_vma");
	mf_unlock_obj(NULL, av);
	ARRAY_PUSH(vma->avc, vma->nr_avc, vma->cap_avc, av, "anon_vma chain");
	if (!vma->avc_pos || vma->cap_avc != cap)
		vma->avc_pos = xrealloc_array(vma->avc_pos, (size_t)vma->cap_avc, sizeof(int), "anon_vma chain");
	vma->avc_pos[vma->nr_avc - 1] = av->nr - 1;
	av->refcount++;
}

/*
 * Removing a VMA leaves a hole, so an exit costs O(1) and not a memmove of
 * every later VMA; the holes go (order kept: it is the rmap walk order) when
 * they are half the array or before a walk.
 */
void anon_vma_compact(struct anon_vma *av)
{
	int i, k, a;

	if (!av->dead)
		return;
	for (i = k = 0; i < av->nr; i++) {
		struct vm_area_struct *vma = av->vmas[i];
		if (!vma)
			continue;
		for (a = 0; a < vma->nr_avc; a++)
			if (vma->avc[a] == av && vma->avc_pos[a] == i)
				vma->avc_pos[a] = k;
		av->vmas[k++] = vma;
	}
	av->nr = k;
	av->dead = 0;
}

void unlink_anon_vmas(struct vm_area_struct *vma)
{
	int i;

	for (i = 0; i < vma->nr_avc; i++) {
		struct anon_vma *av = vma->avc[i];

		mf_lock_obj(NULL, av, "anon_vma lock");
		av->vmas[vma->avc_pos[i]] = NULL;
		if (++av->dead * 2 > av->nr)
			anon_vma_compact(av);
		mf_unlock_obj(NULL, av);
		anon_vma_put(av);
	}
	free(vma->avc_pos);
	vma->avc_pos = NULL;
	vma->nr_avc = 0;
	vma->anon_vma = NULL;
}

void i_mmap_compact(struct address_space *mapping)
{
	int i, k;

	if (!mapping->dead_mmap)
		return;
	for (i = k = 0; i < mapping->nr_mmap; i++) {
		struct vm_area_struct *vma = mapping->i_mmap[i];
		if (!vma)
			continue;
		vma->i_mmap_pos = k;
		mapping->i_mmap[k++] = vma;
	}
	mapping->nr_mmap = k;
	mapping->dead_mmap = 0;
}

/* i_mmap_lock_write: a walk holding the lock may be reading the array (NULL: no machine at hand). */
void mapping_add_vma(struct address_space *mapping, struct vm_area_struct *vma)
{
	mf_lock_obj(NULL, mapping, "i_mmap_rwsem");
	ARRAY_PUSH(mapping->i_mmap, mapping->nr_mmap, mapping->cap_mmap, vma, "i_mmap");
	vma->i_mmap_pos = mapping->nr_mmap - 1;
	mf_unlock_obj(NULL, mapping);
}

void mapping_del_vma(struct address_space *mapping, struct vm_area_struct *vma)
{
	mf_lock_obj(NULL, mapping, "i_mmap_rwsem");
	mapping->i_mmap[vma->i_mmap_pos] = NULL;
	if (++mapping->dead_mmap * 2 > mapping->nr_mmap)
		i_mmap_compact(mapping);
	mf_unlock_obj(NULL, mapping);
}

void page_add_anon_rmap(struct page *page, struct vm_area_struct *vma, uint64_t addr)
{
	struct anon_vma *av = vma->anon_vma;

	av->refcount++;	/* a page keeps its anon_vma alive, as the kernel's folio does */
	page->mapping = (uintptr_t)av | PAGE_MAPPING_ANON;
	page->index = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
}

void page_add_file_rmap(struct page *page)
{
	(void)page;	/* file pages are found through mapping->i_mmap; nothing to record */
}

void page_remove_rmap(struct machine *m, struct page *page, struct vm_area_struct *vma)
{
	page->_mapcount--;
	/* munlock_vma_page: a locked mapping fewer; unlocked ones do not keep it mlocked */
	if (vma->vm_flags & VM_LOCKED)
		munlock_page(m, page);
}

uint64_t vma_address(const struct page *page, const struct vm_area_struct *vma)
{
	uint64_t pgoff = page->index, npages = (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;

	/* hugetlbfs indexes its cache in huge pages */
	if (PageFlag(page, PG_hugetlb) && !PageAnon(page))
		pgoff <<= HPAGE_PMD_ORDER;

	if (pgoff < vma->vm_pgoff || pgoff >= vma->vm_pgoff + npages)
		return UINT64_MAX;
	return vma->vm_start + ((pgoff - vma->vm_pgoff) << PAGE_SHIFT);
}

static void rmap_walk_vmas(struct page *page, struct vm_area_struct **vmas, int nr, rmap_one_fn fn,
			   void *arg)
{
	int i;

	for (i = 0; i < nr; i++) {
		uint64_t addr = vma_address(page, vmas[i]);
		if (addr != UINT64_MAX && !fn(page, vmas[i], addr, arg))
			break;
	}
}

/* Calls fn for every VMA that could map page, with the address it would be at. */
void rmap_walk(struct machine *m, struct page *page, rmap_one_fn fn, void *arg)
{
	struct address_space *mapping;

	if (PageKsm(page)) {
		rmap_walk_ksm(m, page, fn, arg);
	} else if (PageAnon(page)) {
		struct anon_vma *av = page_anon_vma(page);
		/* no anon_vma: a retired page's stale anon bit, nobody maps it */
		if (av) {
			mf_lock_obj(m, av, "anon_vma lock");	/* anon_vma_lock_read */
			anon_vma_compact(av);
			rmap_walk_vmas(page, av->vmas, av->nr, fn, arg);
			mf_unlock_obj(m, av);
		}
	} else if ((mapping = page_mapping_file(page))) {
		/* rmap_walk_file: the mapping's VMA list is read under i_mmap_rwsem */
		i_mmap_lock(m, mapping);
		i_mmap_compact(mapping);
		rmap_walk_vmas(page, mapping->i_mmap, mapping->nr_mmap, fn, arg);
		i_mmap_unlock(m, mapping);
	}
}

static bool maps_page(struct machine *m, struct vm_area_struct *vma, uint64_t addr, struct page *page)
{
	pte_t *p = pte_lookup(vma->vm_mm, addr);

	return p && pte_present(*p) && pte_pfn(*p) == page_to_pfn(m, page);
}

struct ttu_arg {
	struct machine *m;
	unsigned flags;
	bool failed;
};

/* 6.1 include/linux/mm.h: what one FOLL_PIN adds to an order-0 page's refcount */
#define GUP_PIN_COUNTING_BIAS 1024

static bool try_to_unmap_one(struct page *page, struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	struct ttu_arg *a = arg;
	struct machine *m = a->m;
	pte_t pte, *p;

	if (!maps_page(m, vma, addr, page))
		return true;
	if ((vma->vm_flags & VM_LOCKED) && !(a->flags & TTU_IGNORE_MLOCK)) {
		a->failed = true;
		return true;
	}
	p = pte_lookup(vma->vm_mm, addr);
	pte = *p;
	if (pte & PTE_DIRTY)
		SetPageFlag(page, PG_dirty);
	if ((a->flags & TTU_HWPOISON) && PageFlag(page, PG_hwpoison)) {
		*p = mk_swp_pte(SWP_HWPOISON, page_to_pfn(m, page));
	} else if (PageAnon(page)) {
		if (!PageFlag(page, PG_swapcache)) {
			a->failed = true;	/* nowhere to put anonymous data */
			return true;
		}
		/*
		 * 6.1 page_try_share_anon_rmap: an exclusive page that may be DMA
		 * pinned (page_maybe_dma_pinned: GUP_PIN_COUNTING_BIAS references on
		 * an order-0 page) cannot be shared: the PTE stays, the unmap fails.
		 */
		if (PageFlag(page, PG_anon_exclusive) && page->_refcount >= GUP_PIN_COUNTING_BIAS) {
			a->failed = true;
			return true;
		}
		swap_duplicate(m, page->private);
		*p = mk_swp_pte(SWP_SWAPFILE, page->private);
		ClearPageFlag(page, PG_anon_exclusive);	/* page_try_share_anon_rmap */
	} else {
		pte_clear(vma->vm_mm, addr);
	}
	page_remove_rmap(m, page, vma);
	put_page(m, page);
	return true;
}

bool try_to_unmap(struct machine *m, struct page *page, unsigned flags)
{
	struct ttu_arg a = { m, flags, false };

	get_page(page);	/* the walk may drop the last mapping's reference */
	rmap_walk(m, page, try_to_unmap_one, &a);
	put_page(m, page);
	return !page_mapped(page);
}

struct mkclean_arg {
	struct machine *m;
	int cleaned;
};

static bool page_mkclean_one(struct page *page, struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	struct mkclean_arg *a = arg;
	pte_t *p;

	if (!(vma->vm_flags & VM_SHARED) || !maps_page(a->m, vma, addr, page))
		return true;
	p = pte_lookup(vma->vm_mm, addr);
	if (!(*p & (PTE_DIRTY | PTE_WRITE)))
		return true;
	*p &= ~(PTE_DIRTY | PTE_WRITE);
	a->cleaned++;
	return true;
}

/* Write-protect and clean every shared mapping; returns how many PTEs were dirty or writable. */
int page_mkclean(struct machine *m, struct page *page)
{
	struct mkclean_arg a = { m, 0 };

	if (!page_mapped(page) || PageAnon(page))
		return 0;
	rmap_walk(m, page, page_mkclean_one, &a);
	return a.cleaned;
}
