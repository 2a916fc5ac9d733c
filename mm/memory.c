/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Page tables and page faults: zero-page and anonymous faults, file faults
 * through the page cache, COW, swap-in, and the hwpoison entry that turns an
 * access into SIGBUS BUS_MCEERR_AR. Every present PTE (but the zero page's)
 * holds one reference and one mapcount on its page. User accesses that end
 * in a fault are in fault.c.
 */
#include <errno.h>
#include <stdlib.h>

#include "memfail/array.h"
#include "memfail/dax.h"
#include "memfail/huge_mm.h"
#include "memfail/ksm.h"
#include "memfail/mm.h"
#include "memfail/profile.h"
#include "../fs/internal.h"

pte_t *pte_lookup(struct mm_struct *mm, uint64_t addr)
{
	return pt_lookup(&mm->pt, addr >> PAGE_SHIFT);
}

void set_pte(struct mm_struct *mm, uint64_t addr, pte_t pte)
{
	pt_set(&mm->pt, addr >> PAGE_SHIFT, pte);
}

/*
 * No PTE in the 2M range at haddr: the model's "pmd_none" (a table whose
 * PTEs were all zapped reads as none, as after the kernel's retract of an
 * empty PTE table).
 */
bool pmd_none_range(struct mm_struct *mm, uint64_t haddr)
{
	return pt_range_none(&mm->pt, haddr >> PAGE_SHIFT, HPAGE_PMD_NR);
}

void pte_clear(struct mm_struct *mm, uint64_t addr)
{
	pt_set(&mm->pt, addr >> PAGE_SHIFT, 0);
}

static struct machine *vma_machine(struct vm_area_struct *vma)
{
	return vma->vm_mm->owner->m;
}

static pte_t mk_pte(struct machine *m, struct page *page, bool write, bool dirty)
{
	pte_t p = (page_to_pfn(m, page) << PTE_PFN_SHIFT) | PTE_PRESENT | PTE_YOUNG;

	if (write)
		p |= PTE_WRITE;
	if (dirty)
		p |= PTE_DIRTY;
	return p;
}

static bool is_zero_pfn(struct machine *m, uint64_t pfn)
{
	return pfn == m->zero_pfn;
}

static struct page *new_anon_page(struct vm_area_struct *vma, uint64_t addr)
{
	struct machine *m = vma_machine(vma);
	struct page *page;

	if (anon_vma_prepare(vma))
		return NULL;
	page = alloc_pages(m, 0);
	if (!page)
		return NULL;
	SetPageFlag(page, PG_swapbacked);
	SetPageFlag(page, PG_uptodate);
	SetPageFlag(page, PG_anon_exclusive);	/* page_add_new_anon_rmap */
	page_add_anon_rmap(page, vma, addr);
	/* MGLRU's folio_add_lru in a fault: active until lru_gen_add_folio */
	if (m->profile->lru_gen)
		SetPageFlag(page, PG_active);
	lru_cache_add(m, page);
	return page;	/* the caller's reference becomes the PTE's */
}

static void map_page(struct vm_area_struct *vma, uint64_t addr, struct page *page, bool write, bool dirty)
{
	struct machine *m = vma_machine(vma);

	page->_mapcount++;
	/* mlock_vma_page, or for a new anonymous page mlock_new_page: one locked mapping */
	if (vma->vm_flags & VM_LOCKED)
		mlock_page(m, page);
	set_pte(vma->vm_mm, addr, mk_pte(m, page, write, dirty));
}

/* COW: copy the page the PTE maps (or zeroes) into a new anonymous page. */
static int do_wp_copy(struct vm_area_struct *vma, uint64_t addr, struct page *old)
{
	struct machine *m = vma_machine(vma);
	struct page *page = new_anon_page(vma, addr);

	if (!page)
		return VM_FAULT_OOM;
	if (old)
		page_data_copy(m, page, old);
	if (old) {
		page_remove_rmap(m, old, vma);
		put_page(m, old);
	}
	map_page(vma, addr, page, true, true);
	return VM_FAULT_OK;
}

static int do_file_fault(struct vm_area_struct *vma, uint64_t addr, unsigned flags)
{
	struct machine *m = vma_machine(vma);
	struct address_space *mapping = file_mapping(vma->vm_file);
	uint64_t pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	bool write = flags & FAULT_FLAG_WRITE;
	struct page *page;
	int err = 0;

	if (IS_DAX(mapping->host) && (!write || (vma->vm_flags & VM_SHARED)))
		return dax_iomap_fault(vma, addr, flags);	/* pmem mapped directly (fs/dax.c) */
	if (pgoff << PAGE_SHIFT >= ((mapping->host->i_size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)))
		return VM_FAULT_SIGBUS;	/* beyond EOF */
	page = filemap_get_page(mapping, pgoff, vma, &err);
	if (!page)
		return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
	if (PageFlag(page, PG_hwpoison)) {
		/* A poisoned page still in the cache (shmem, or a failed recovery). */
		put_page(m, page);
		return VM_FAULT_HWPOISON;
	}
	if (write && !(vma->vm_flags & VM_SHARED)) {
		struct page *copy = new_anon_page(vma, addr);
		if (!copy) {
			put_page(m, page);
			return VM_FAULT_OOM;
		}
		page_data_copy(m, copy, page);
		put_page(m, page);
		map_page(vma, addr, copy, true, true);
		return VM_FAULT_OK;
	}
	/* finish_fault: a page-cache THP gets a PMD where the VMA allows one */
	if (PageTransHuge(compound_head_page(page)) &&
	    do_set_pmd(vma, addr, compound_head_page(page), write) == VM_FAULT_OK)
		return VM_FAULT_OK;
	page_add_file_rmap(page);
	map_page(vma, addr, page, write, write);
	if (write)
		SetPageFlag(compound_head_page(page), PG_dirty);
	return VM_FAULT_OK;
}

/* An anonymous page mapped once that nobody else holds a reference to. */
static bool anon_page_reusable(struct machine *m, struct page *page)
{
	/* 6.1 do_wp_page always copies a KSM page */
	return PageAnon(page) && !PageKsm(page) && page->_mapcount == 1 &&
	       page->_refcount == 1 + (PageFlag(page, PG_swapcache) ? 1 : 0) +
	       (page_in_pagevec(m, page) ? 1 : 0);
}

/* do_anonymous_page: a read maps the zero page, a write a new (possibly huge) page. */
static int do_anonymous_page(struct vm_area_struct *vma, uint64_t addr, bool write)
{
	struct machine *m = vma_machine(vma);
	struct page *page;

	/* 6.1's huge zero page splits the same way on write */
	if (write && do_huge_pmd_anonymous_page(vma, addr) != VM_FAULT_FALLBACK)
		return VM_FAULT_OK;
	if (!write) {
		set_pte(vma->vm_mm, addr, (m->zero_pfn << PTE_PFN_SHIFT) | PTE_PRESENT | PTE_YOUNG);
		return VM_FAULT_OK;
	}
	page = new_anon_page(vma, addr);
	if (!page)
		return VM_FAULT_OOM;
	map_page(vma, addr, page, true, true);
	return VM_FAULT_OK;
}

/* A fault on a swap entry: hwpoison, a swapped-out page, or anything else (SIGBUS). */
static int do_swap_fault(struct vm_area_struct *vma, uint64_t addr, pte_t pte, bool write)
{
	struct machine *m = vma_machine(vma);
	struct page *page;
	pte_t *ptep;
	int ret;

	if (is_hwpoison_pte(pte))
		return VM_FAULT_HWPOISON;
	if (swp_type(pte) != SWP_SWAPFILE)
		return VM_FAULT_SIGBUS;
	ret = do_swap_page(vma, addr, pte);
	/*
	 * 6.1 do_swap_page: a write fault on a page nobody else holds frees
	 * its swap slot (should_try_to_free_swap) and maps it writable; a
	 * read fault keeps it in the swap cache.
	 */
	ptep = pte_lookup(vma->vm_mm, addr);
	if (ret == VM_FAULT_OK && write && ptep && pte_present(*ptep)) {
		page = pfn_to_page(m, pte_pfn(*ptep));
		if (anon_page_reusable(m, page)) {
			if (PageFlag(page, PG_swapcache) &&
			    m->swap->swap_map[page->private] == 1)
				delete_from_swap_cache(m, page);
			*ptep |= PTE_WRITE | PTE_DIRTY | PTE_YOUNG;
			SetPageFlag(page, PG_anon_exclusive);
		}
	}
	return ret;
}

/* do_wp_page: a write to a present, write-protected PTE. */
static int do_wp_page(struct vm_area_struct *vma, uint64_t addr, unsigned flags, pte_t *ptep, pte_t pte)
{
	struct machine *m = vma_machine(vma);
	struct mm_struct *mm = vma->vm_mm;
	struct page *page;

	if (pte & PTE_DEVMAP) {
		/* DAX: pfn_mkwrite (shared), or a private copy of the pmem page */
		if (vma->vm_flags & VM_SHARED)
			return dax_iomap_fault(vma, addr, flags);
		dax_zap_pmd(vma, addr, pte);
		pte_clear(mm, addr);
		return do_file_fault(vma, addr, flags);
	}
	if (is_zero_pfn(m, pte_pfn(pte))) {
		pte_clear(mm, addr);
		page = new_anon_page(vma, addr);
		if (!page)
			return VM_FAULT_OOM;
		map_page(vma, addr, page, true, true);
		return VM_FAULT_OK;
	}
	page = pfn_to_page(m, pte_pfn(pte));
	if (vma->vm_flags & VM_SHARED) {
		/* page_mkwrite: a shared file page becomes dirty when first written */
		*ptep |= PTE_WRITE | PTE_DIRTY | PTE_YOUNG;
		SetPageFlag(compound_head_page(page), PG_dirty);
		return VM_FAULT_OK;
	}
	/*
	 * private: reuse an anonymous page nobody else holds, else copy. 6.1
	 * do_wp_page reuses an exclusive anon page as it is: one read back from
	 * swap stays in the swap cache (a dirty swap-cache page from now on).
	 */
	if (anon_page_reusable(m, page)) {
		*ptep |= PTE_WRITE | PTE_DIRTY | PTE_YOUNG;
		SetPageFlag(page, PG_anon_exclusive);	/* page_move_anon_rmap */
		return VM_FAULT_OK;
	}
	return do_wp_copy(vma, addr, page);
}

static int __handle_mm_fault(struct vm_area_struct *vma, uint64_t addr, unsigned flags)
{
	struct mm_struct *mm = vma->vm_mm;
	bool write = flags & FAULT_FLAG_WRITE;
	pte_t *ptep, pte;

	addr &= ~(PAGE_SIZE - 1);
	if (write && !(vma->vm_flags & VM_WRITE))
		return VM_FAULT_SIGSEGV;
	if (vma->vm_flags & VM_HUGETLB)
		return hugetlb_fault(vma, addr, flags);
	ptep = pte_lookup(mm, addr);
	pte = ptep ? *ptep : 0;
	if (pte_huge(pte) && write && !(pte & PTE_WRITE)) {
		int ret = do_huge_pmd_wp_page(vma, addr);
		if (ret != VM_FAULT_FALLBACK)
			return ret;
		/* PTE-mapped now (COW one 4K page), or a file PMD dropped (refault) */
		ptep = pte_lookup(mm, addr);
		pte = ptep ? *ptep : 0;
	}
	if (pte_none(pte))
		return vma->vm_file ? do_file_fault(vma, addr, flags) : do_anonymous_page(vma, addr, write);
	if (pte_is_swp(pte))
		return do_swap_fault(vma, addr, pte, write);
	/* present */
	if (!write) {
		*ptep |= PTE_YOUNG;
		return VM_FAULT_OK;
	}
	if (pte & PTE_WRITE) {
		*ptep |= PTE_DIRTY | PTE_YOUNG;
		return VM_FAULT_OK;
	}
	return do_wp_page(vma, addr, flags, ptep, pte);
}

/*
 * A fault that found no free page: 6.1 reclaims or OOM-kills inside the
 * allocator and tries again; a faulting task that is itself the victim (or
 * already dying) gives up and dies on its return to user space. Only a
 * task's own fault kills here: one of ksmd's (break_cow) stops the run, as
 * the model's ksmd walks every mm and must not have one freed under it.
 */
int handle_mm_fault(struct vm_area_struct *vma, uint64_t addr, unsigned flags)
{
	struct machine *m = vma_machine(vma);
	struct task_struct *owner = vma->vm_mm->owner;
	int ret = __handle_mm_fault(vma, addr, flags);
	bool own = m->current && m->current->mm == vma->vm_mm;

	while ((ret & VM_FAULT_OOM) && owner->signal->fatal_signal != SIGKILL && !m->oom_stop) {
		if (!own || !oom_kill(m, owner)) {
			out_of_memory(m, "a page fault");
			break;
		}
		if (owner->signal->fatal_signal == SIGKILL)
			break;
		ret = __handle_mm_fault(vma, addr, flags);
	}
	return ret;
}

/* Drop one PTE's hold on its page (or swap slot). */
static void zap_pte(struct vm_area_struct *vma, uint64_t addr, pte_t pte)
{
	struct machine *m = vma_machine(vma);

	if (pte_present(pte)) {
		struct page *page;
		if (pte & PTE_DEVMAP) {	/* DAX: no reference, no mapcount */
			dax_zap_pmd(vma, addr, pte);
			goto out;
		}
		if (is_zero_pfn(m, pte_pfn(pte)))
			goto out;
		page = pfn_to_page(m, pte_pfn(pte));
		if ((pte & PTE_DIRTY) && !PageAnon(page))
			SetPageFlag(compound_head_page(page), PG_dirty);
		page_remove_rmap(m, page, vma);
		/* as zap_pte_range: the PTE is cleared under its lock, the page dropped after */
		pte_clear(vma->vm_mm, addr);
		put_page(m, page);
		return;
	} else if (pte_is_swp(pte) && swp_type(pte) == SWP_SWAPFILE) {
		swap_entry_free(m, swp_offset(pte));
	}
out:
	pte_clear(vma->vm_mm, addr);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * The 2M blocks of [start, end) that hold a PTE, ascending, in *out: a range
 * far larger than the page table (a 64G mapping nothing touched) is zapped
 * block by block instead of page by page, in the same address order.
 */
static uint64_t pte_blocks(struct mm_struct *mm, uint64_t start, uint64_t end, uint64_t **out)
{
	uint64_t *b = NULL, n = 0, cap = 0, vpn, i, k = 0;
	struct pt_iter it = { 0 };
	struct pte_block *blk;

	while ((blk = pt_next_block(&mm->pt, &it, &vpn)))
		if (vpn + PTES_PER_BLOCK > start >> PAGE_SHIFT && vpn < end >> PAGE_SHIFT &&
		    !pt_block_empty(blk))
			ARRAY_PUSH(b, n, cap, (vpn << PAGE_SHIFT) & HPAGE_PMD_MASK, "zap blocks");
	if (n)
		qsort(b, n, sizeof(*b), cmp_u64);
	for (i = 0; i < n; i++)
		if (!k || b[i] != b[k - 1])
			b[k++] = b[i];
	*out = b;
	return k;
}

static void zap_pages(struct vm_area_struct *vma, uint64_t start, uint64_t end)
{
	uint64_t a;

	for (a = start; a < end; a += PAGE_SIZE) {
		pte_t *p = pte_lookup(vma->vm_mm, a);
		struct page *head;
		if (!p)
			continue;
		if (pte_huge(*p)) {
			uint64_t haddr = a & HPAGE_PMD_MASK;
			if (haddr >= start && haddr + HPAGE_PMD_SIZE <= end) {
				zap_huge_pmd(vma, haddr);
				a = haddr + HPAGE_PMD_SIZE - PAGE_SIZE;
				continue;
			}
			split_huge_pmd(vma, haddr);	/* a partial zap PTE-maps an anon THP */
			p = pte_lookup(vma->vm_mm, a);	/* a file PMD is gone altogether */
			if (!p)
				continue;
		}
		head = pte_present(*p) && !is_zero_pfn(vma_machine(vma), pte_pfn(*p)) ?
		       compound_head_page(pfn_to_page(vma_machine(vma), pte_pfn(*p))) : NULL;
		zap_pte(vma, a, *p);
		if (head && PageTransHuge(head) && head->_refcount && PageAnon(head))
			deferred_split_huge_page(vma_machine(vma), head);
	}
}

void zap_page_range(struct vm_area_struct *vma, uint64_t start, uint64_t end)
{
	uint64_t *blocks, n, i;

	if (vma->vm_flags & VM_HUGETLB) {
		hugetlb_zap_range(vma, start, end);
		return;
	}
	if ((end - start) >> PAGE_SHIFT <= 4 * vma->vm_mm->pt.nr + HPAGE_PMD_NR) {
		zap_pages(vma, start, end);
		return;
	}
	/* a split of a huge PMD adds PTEs only inside its own block, which is listed */
	n = pte_blocks(vma->vm_mm, start, end, &blocks);
	for (i = 0; i < n; i++)
		zap_pages(vma, blocks[i] > start ? blocks[i] : start,
			  blocks[i] + HPAGE_PMD_SIZE < end ? blocks[i] + HPAGE_PMD_SIZE : end);
	free(blocks);
}

static void unmap_mapping_locked(struct address_space *mapping, uint64_t start, uint64_t nr,
				 bool even_cows)
{
	struct machine *m = mapping_machine(mapping);
	int i;

	i_mmap_compact(mapping);
	for (i = 0; i < mapping->nr_mmap; i++) {
		struct vm_area_struct *vma = mapping->i_mmap[i];
		uint64_t vstart = vma->vm_pgoff, vend = vstart + ((vma->vm_end - vma->vm_start) >> PAGE_SHIFT);
		uint64_t pg;
		if (vma->vm_flags & VM_HUGETLB) {
			/* hugetlb_vmdelete_list: whole huge PTEs, hwpoison entries included */
			uint64_t s = start > vstart ? start : vstart, e = start + nr < vend ? start + nr : vend;
			if (s < e)
				hugetlb_zap_range(vma, vma->vm_start + ((s - vstart) << PAGE_SHIFT),
						  vma->vm_start + ((e - vstart) << PAGE_SHIFT));
			continue;
		}
		for (pg = start > vstart ? start : vstart; pg < start + nr && pg < vend; pg++) {
			uint64_t addr = vma->vm_start + ((pg - vstart) << PAGE_SHIFT);
			pte_t *p = pte_lookup(vma->vm_mm, addr);
			if (!p)
				continue;
			if (pte_huge(*p)) {
				/* zap_pmd_range: any part of a file PMD drops all of it */
				zap_huge_pmd(vma, addr & HPAGE_PMD_MASK);
				continue;
			}
			if (!even_cows) {
				/* keep private COW copies and their hwpoison entries */
				if (!pte_present(*p))
					continue;
				if (PageAnon(pfn_to_page(m, pte_pfn(*p))))
					continue;
			}
			zap_pte(vma, addr, *p);
		}
	}
}

/* Under i_mmap_lock_write, as unmap_mapping_range: VMAs may not come or go meanwhile. */
void unmap_mapping_pages(struct address_space *mapping, uint64_t start, uint64_t nr, bool even_cows)
{
	mf_lock_obj(NULL, mapping, "i_mmap_rwsem");
	unmap_mapping_locked(mapping, start, nr, even_cows);
	mf_unlock_obj(NULL, mapping);
}

/* fork: share private pages copy-on-write; copy swap and hwpoison entries. */
void copy_page_range(struct vm_area_struct *dst, struct vm_area_struct *src)
{
	struct machine *m = vma_machine(src);
	uint64_t a;

	if (!src->anon_vma)
		return;	/* nothing private (6.1 vma_needs_copy): the child refaults */
	if (src->vm_flags & VM_HUGETLB) {
		copy_hugetlb_page_range(dst, src);
		return;
	}
	for (a = src->vm_start; a < src->vm_end; a += PAGE_SIZE) {
		pte_t *p = pte_lookup(src->vm_mm, a), pte;
		if (!p)
			continue;
		pte = *p;
		if (pte_huge(pte)) {
			copy_huge_pmd(dst, src, a);
			a += HPAGE_PMD_SIZE - PAGE_SIZE;
			continue;
		}
		if (pte & PTE_DEVMAP)
			continue;	/* DAX pfns: the child refaults them */
		if (pte_present(pte) && !is_zero_pfn(m, pte_pfn(pte))) {
			struct page *page = pfn_to_page(m, pte_pfn(pte));
			if (!(src->vm_flags & VM_SHARED)) {
				pte &= ~PTE_WRITE;
				*p = pte;
				if (PageAnon(page))	/* page_try_dup_anon_rmap */
					ClearPageFlag(page, PG_anon_exclusive);
			}
			get_page(page);
			page->_mapcount++;
		} else if (pte_is_swp(pte) && swp_type(pte) == SWP_SWAPFILE) {
			swap_duplicate(m, swp_offset(pte));
		}
		set_pte(dst->vm_mm, a, pte);
	}
}
