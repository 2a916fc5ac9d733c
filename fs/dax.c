/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Filesystem DAX as 6.1's fs/dax.c: a DAX file's XArray holds value entries
 * (pfn, PMD bit, zero/empty bits, lock bit) instead of pages; faults map pmem
 * pfns directly, 2 MiB at a time when the VMA, the file size and the extent
 * allow it. Mapped pmem pages take no reference and no mapcount (6.1 keeps
 * none for fsdax); page->mapping/index name the file that faulted them last.
 *
 * The entry lock is the lock bit stored in the entry, whatever its order. The
 * model is single-threaded, so "would sleep on a locked entry" is reported to
 * the caller (VM_FAULT_RETRY, a 0 cookie) instead of waiting.
 */
#include <errno.h>

#include "memfail/dax.h"
#include "memfail/printk.h"

#define PMD_PAGES HPAGE_PMD_NR
#define PMD_BYTES (PMD_PAGES << PAGE_SHIFT)

static struct machine *mapping_m(struct address_space *mapping)
{
	return mapping->host->m;
}

static void *dax_lock_entry(struct xarray *xa, uint64_t index, void *entry)
{
	void *locked = xa_mk_value(xa_to_value(entry) | DAX_LOCKED);

	mf_sched_point(NULL, MF_SP_XA, xa);
	xa_replace(xa, index, locked);
	return locked;
}

int dax_unlock_entry(struct address_space *mapping, uint64_t index, void *entry)
{
	void *cur;

	mf_sched_point(mapping_m(mapping), MF_SP_XA, &mapping->i_pages);
	cur = xa_load(&mapping->i_pages, index);
	if (!dax_is_locked(cur)) {
		/* someone replaced our locked entry: the seed-003 damage (6.1: BUG_ON) */
		mapping_m(mapping)->pmem->erased_locked++;
		return -EINVAL;
	}
	xa_replace(&mapping->i_pages, index, xa_mk_value(xa_to_value(entry) & ~DAX_LOCKED));
	return 0;
}

static uint64_t entry_pages(const void *entry)
{
	return dax_is_pmd_entry(entry) ? PMD_PAGES : 1;
}

/* Does the entry name real pmem (not a zero or empty placeholder)? */
static bool entry_has_pfn(const void *entry)
{
	return entry && !dax_is_zero_entry(entry) && !dax_is_empty_entry(entry);
}

static void dax_disassociate_entry(struct machine *m, const void *entry)
{
	uint64_t i, pfn = dax_to_pfn(entry);

	if (!entry_has_pfn(entry))
		return;
	for (i = 0; i < entry_pages(entry); i++) {
		struct page *p = pfn_to_page(m, pfn + i);

		p->mapping = 0;
		p->index = 0;
	}
}

/* 6.1 warns once when a pfn shared by reflink is already another file's. */
static void warn_associate(struct machine *m)
{
	int pid = m->current ? m->current->pid : 0;

	if (m->pmem->warned_associate)
		return;
	m->pmem->warned_associate = true;
	printk(m, KERN_WARNING, "------------[ cut here ]------------");
	printk(m, KERN_WARNING, "WARNING: CPU: 0 PID: %d at fs/dax.c:380 dax_insert_entry+0x227/0x320", pid);
	printk(m, KERN_WARNING, "---[ end trace 0000000000000000 ]---");
}

static void dax_associate_entry(struct machine *m, const void *entry, struct address_space *mapping,
				uint64_t first_index)
{
	uint64_t i, pfn = dax_to_pfn(entry);

	if (!entry_has_pfn(entry))
		return;
	for (i = 0; i < entry_pages(entry); i++) {
		struct page *p = pfn_to_page(m, pfn + i);

		if (p->mapping)
			warn_associate(m);
		p->mapping = (uintptr_t)mapping;
		p->index = first_index + i;
	}
}

void *dax_grab_mapping_entry(struct address_space *mapping, uint64_t index, unsigned order,
			     enum dax_lookup_policy policy, int *status)
{
	struct xarray *xa = &mapping->i_pages;
	uint64_t base = index & ~((1ULL << order) - 1);
	void *entry;

	*status = 0;
	mf_sched_point(mapping_m(mapping), MF_SP_XA, xa);
	if (order && policy == DAX_LOOKUP_PLAIN_LOAD) {
		/* v4.20-rc1: NULL when PTE entries sit elsewhere in the range */
		entry = xa_load_order_raw(xa, base, order);
		if (xa_is_node(entry)) {
			*status = -EIO;
			return NULL;
		}
	} else if (order) {
		entry = xa_find_conflict(xa, base, order);
		if (entry && xa_is_value(entry) && dax_entry_order(entry) < order) {
			*status = 1;	/* smaller entries below: fall back to PTEs */
			return NULL;
		}
	} else {
		entry = xa_load(xa, index);
	}
	if (entry && !xa_is_value(entry)) {
		*status = -EIO;
		return NULL;
	}
	if (dax_is_locked(entry)) {
		*status = -EAGAIN;
		return NULL;
	}
	if (entry && !order && dax_is_pmd_entry(entry) &&
	    (dax_is_zero_entry(entry) || dax_is_empty_entry(entry))) {
		/* A placeholder PMD entry is split for the PTE fault. */
		if (dax_is_zero_entry(entry))
			unmap_mapping_pages(mapping, index & ~(uint64_t)(PMD_PAGES - 1), PMD_PAGES, false);
		xa_erase(xa, index);
		entry = NULL;
	}
	if (entry)
		return dax_lock_entry(xa, index, entry);
	entry = dax_make_entry(0, DAX_EMPTY | DAX_LOCKED | (order ? DAX_PMD : 0));
	/* Stores over the whole range: any smaller entry there goes, locked or not. */
	xa_store_order(xa, base, order, entry);
	return entry;
}

/* Replace a placeholder (or, for a COW, the old) entry with the new one, locked. */
static void *dax_insert_entry(struct address_space *mapping, uint64_t index, void *entry,
			      uint64_t pfn, unsigned long flags, bool cow)
{
	struct machine *m = mapping_m(mapping);
	void *new_entry = dax_make_entry(pfn, flags | DAX_LOCKED);
	uint64_t first = index & ~(entry_pages(new_entry) - 1);

	if (dax_is_zero_entry(entry) && !(flags & DAX_ZERO_PAGE))
		unmap_mapping_pages(mapping, index & ~(entry_pages(entry) - 1), entry_pages(entry), false);
	if (!(cow || dax_is_zero_entry(entry) || dax_is_empty_entry(entry)))
		return entry;
	if (cow)	/* other mappers must not keep the old block */
		unmap_mapping_pages(mapping, index & ~(entry_pages(entry) - 1), entry_pages(entry), false);
	dax_disassociate_entry(m, entry);
	dax_associate_entry(m, new_entry, mapping, first);
	if (entry_pages(entry) == entry_pages(new_entry)) {
		xa_replace(&mapping->i_pages, index, new_entry);
	} else {
		/* a COW of one page of a PMD entry: the PMD entry goes */
		xa_erase(&mapping->i_pages, index);
		xa_store_order(&mapping->i_pages, first, dax_entry_order(new_entry), new_entry);
	}
	return new_entry;
}

static pte_t devmap_pte(uint64_t pfn, bool write)
{
	pte_t p = (pfn << PTE_PFN_SHIFT) | PTE_PRESENT | PTE_YOUNG | PTE_DEVMAP;

	return write ? p | PTE_WRITE | PTE_DIRTY : p;
}

#define FALLBACK 0x1000

static int dax_pmd_fault(struct vm_area_struct *vma, uint64_t addr, uint64_t pgoff, bool write)
{
	struct address_space *mapping = file_mapping(vma->vm_file);
	struct inode *inode = mapping->host;
	struct machine *m = inode->m;
	uint64_t pmd_addr = addr & ~(PMD_BYTES - 1), index = pgoff & ~(uint64_t)(PMD_PAGES - 1);
	uint64_t max_pgoff = (inode->i_size + PAGE_SIZE - 1) >> PAGE_SHIFT, head, i;
	pte_t *ptep = pte_lookup(vma->vm_mm, addr);
	int status;
	void *entry;

	if ((vma->vm_flags & VM_NOHUGEPAGE) || (write && !(vma->vm_flags & VM_SHARED)))
		return FALLBACK;
	if (pmd_addr < vma->vm_start || pmd_addr + PMD_BYTES > vma->vm_end)
		return FALLBACK;
	if (((vma->vm_start >> PAGE_SHIFT) - vma->vm_pgoff) & (PMD_PAGES - 1))
		return FALLBACK;
	if ((index | (PMD_PAGES - 1)) >= max_pgoff)
		return FALLBACK;
	if (ptep && (*ptep & PTE_DEVMAP_PMD)) {
		/* write to a read-only PMD: keep it unless the extent is shared */
		if (daxfs_iomap_pmd(inode, index) == NO_PFN || daxfs_is_shared(inode, index)) {
			dax_zap_pmd(vma, addr, *ptep);
			return FALLBACK;
		}
		for (i = 0; i < PMD_PAGES; i++) {
			pte_t *p = pte_lookup(vma->vm_mm, pmd_addr + (i << PAGE_SHIFT));
			if (p)
				*p |= PTE_WRITE | PTE_DIRTY | PTE_YOUNG;
		}
		return VM_FAULT_OK;
	}
	if (!pmd_none_range(vma->vm_mm, pmd_addr))
		return FALLBACK;
	entry = dax_grab_mapping_entry(mapping, index, PMD_ORDER, m->pmem->lookup_policy, &status);
	if (!entry)
		return status == 1 ? FALLBACK : status == -EAGAIN ? VM_FAULT_RETRY : VM_FAULT_SIGBUS;
	head = daxfs_iomap_pmd(inode, index);
	if (head == NO_PFN || (write && daxfs_is_shared(inode, index))) {
		/* holes (6.1 maps the huge zero page) and COW: PTEs in the model */
		dax_unlock_entry(mapping, index, entry);
		return FALLBACK;
	}
	entry = dax_insert_entry(mapping, index, entry, head, DAX_PMD, false);
	for (i = 0; i < PMD_PAGES; i++)
		set_pte(vma->vm_mm, pmd_addr + (i << PAGE_SHIFT), devmap_pte(head + i, write) | PTE_DEVMAP_PMD);
	dax_unlock_entry(mapping, index, entry);
	return VM_FAULT_OK;
}

static int dax_pte_fault(struct vm_area_struct *vma, uint64_t addr, uint64_t pgoff, bool write)
{
	struct address_space *mapping = file_mapping(vma->vm_file);
	struct inode *inode = mapping->host;
	struct machine *m = inode->m;
	bool cow = false;
	uint64_t pfn;
	void *entry;
	int status, err = 0;

	entry = dax_grab_mapping_entry(mapping, pgoff, 0, m->pmem->lookup_policy, &status);
	if (!entry)
		return status == -EAGAIN ? VM_FAULT_RETRY : VM_FAULT_SIGBUS;
	pfn = daxfs_iomap(inode, pgoff, write, &cow, &err);
	if (err) {
		dax_unlock_entry(mapping, pgoff, entry);
		return VM_FAULT_SIGBUS;
	}
	if (pfn == NO_PFN) {
		/* dax_load_hole: the zero page, read-only */
		entry = dax_insert_entry(mapping, pgoff, entry, m->zero_pfn, DAX_ZERO_PAGE, false);
		set_pte(vma->vm_mm, addr, devmap_pte(m->zero_pfn, false));
	} else {
		entry = dax_insert_entry(mapping, pgoff, entry, pfn, 0, cow);
		set_pte(vma->vm_mm, addr, devmap_pte(pfn, write));
	}
	dax_unlock_entry(mapping, pgoff, entry);
	return VM_FAULT_OK;
}

int dax_iomap_fault(struct vm_area_struct *vma, uint64_t addr, unsigned flags)
{
	struct inode *inode = vma->vm_file->f_inode;
	uint64_t pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	bool write = flags & FAULT_FLAG_WRITE;
	pte_t *ptep;
	int ret;

	addr &= ~(PAGE_SIZE - 1);
	if (daxfs_shutdown(inode->m))
		return VM_FAULT_SIGBUS;	/* iomap_begin: -EIO */
	if (pgoff >= (inode->i_size + PAGE_SIZE - 1) >> PAGE_SHIFT)
		return VM_FAULT_SIGBUS;
	ret = dax_pmd_fault(vma, addr, pgoff, write);
	if (ret != FALLBACK)
		return ret;
	ptep = pte_lookup(vma->vm_mm, addr);
	if (ptep && write && pte_present(*ptep) && pte_pfn(*ptep) != inode->m->zero_pfn &&
	    !daxfs_is_shared(inode, pgoff)) {
		*ptep |= PTE_WRITE | PTE_DIRTY | PTE_YOUNG;	/* dax_iomap_pfn_mkwrite */
		return VM_FAULT_OK;
	}
	return dax_pte_fault(vma, addr, pgoff, write);
}

struct page *dax_cow_source(struct address_space *mapping, uint64_t index, int *err)
{
	struct machine *m = mapping_m(mapping);
	uint64_t pfn;
	struct page *page;

	*err = 0;
	pfn = daxfs_iomap(mapping->host, index, false, NULL, err);
	if (*err)
		return NULL;
	page = pfn_to_page(m, pfn == NO_PFN ? m->zero_pfn : pfn);
	get_page(page);
	return page;
}

void dax_zap_pmd(struct vm_area_struct *vma, uint64_t addr, pte_t pte)
{
	uint64_t base = addr & ~(PMD_BYTES - 1), i;

	if (!(pte & PTE_DEVMAP_PMD))
		return;
	for (i = 0; i < PMD_PAGES; i++)
		pte_clear(vma->vm_mm, base + (i << PAGE_SHIFT));
}

void dax_delete_mapping_range(struct address_space *mapping, uint64_t start, uint64_t end)
{
	struct machine *m = mapping_m(mapping);
	unsigned long index;
	void *entry;

	if (start >= end)
		return;
	xa_for_each_range(&mapping->i_pages, index, entry, start, end - 1) {
		if (!xa_is_value(entry))
			continue;
		/* A PMD entry goes whole, with every mapping of it. */
		unmap_mapping_pages(mapping, index, entry_pages(entry), false);
		dax_disassociate_entry(m, entry);
		xa_erase(&mapping->i_pages, index);
	}
}

unsigned dax_mapping_shift(struct vm_area_struct *vma, uint64_t addr)
{
	pte_t *p = pte_lookup(vma->vm_mm, addr & ~(PAGE_SIZE - 1));

	if (!p || !pte_present(*p) || !(*p & PTE_DEVMAP) || pte_pfn(*p) == vma->vm_mm->owner->m->zero_pfn)
		return 0;
	return (*p & PTE_DEVMAP_PMD) ? PAGE_SHIFT + PMD_ORDER : PAGE_SHIFT;
}

dax_entry_t dax_lock_page(struct machine *m, struct page *page)
{
	struct address_space *mapping = PageAnon(page) ? NULL : (struct address_space *)page->mapping;
	void *entry;

	(void)m;
	if (!mapping || !IS_DAX(mapping->host))
		return 0;
	entry = xa_load(&mapping->i_pages, page->index);
	while (dax_is_locked(entry) && mf_sched_wait(m, &mapping->i_pages))
		entry = xa_load(&mapping->i_pages, page->index);
	if (!entry || dax_is_locked(entry))
		return 0;	/* nothing to lock / would sleep (no other context to wait for) */
	return (dax_entry_t)dax_lock_entry(&mapping->i_pages, page->index, entry);
}

void dax_unlock_page(struct machine *m, struct page *page, dax_entry_t cookie)
{
	struct address_space *mapping = (struct address_space *)page->mapping;

	(void)m;
	if (cookie && mapping)
		dax_unlock_entry(mapping, page->index, (void *)cookie);
}

dax_entry_t dax_lock_mapping_entry(struct address_space *mapping, uint64_t index, struct page **page)
{
	void *entry;

	if (!IS_DAX(mapping->host))
		return 0;
	entry = xa_load(&mapping->i_pages, index);
	while (dax_is_locked(entry) && mf_sched_wait(mapping_m(mapping), &mapping->i_pages))
		entry = xa_load(&mapping->i_pages, index);
	if (dax_is_locked(entry))
		return 0;	/* would sleep (no other context to wait for) */
	if (!entry_has_pfn(entry))
		return ~(dax_entry_t)0;	/* nothing there yet: not an error, no page */
	*page = pfn_to_page(mapping_m(mapping), dax_to_pfn(entry));
	return (dax_entry_t)dax_lock_entry(&mapping->i_pages, index, entry);
}

void dax_unlock_mapping_entry(struct address_space *mapping, uint64_t index, dax_entry_t cookie)
{
	if (cookie == ~(dax_entry_t)0)
		return;
	dax_unlock_entry(mapping, index, (void *)cookie);
}
