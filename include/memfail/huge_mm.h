/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Huge pages: transparent huge pages (mm/huge_memory.c, mm/khugepaged.c) and
 * the hugetlb pool (mm/hugetlb.c). Both are order-9 compound pages mapped at
 * PMD level; see docs/architecture.md, "Huge mappings", for how a PMD mapping
 * is represented in the model's PTE map.
 */
#ifndef MEMFAIL_HUGE_MM_H
#define MEMFAIL_HUGE_MM_H

#include "memfail/mm.h"

#define HPAGE_PMD_SIZE (HPAGE_PMD_NR << PAGE_SHIFT)
#define HPAGE_PMD_MASK (~(HPAGE_PMD_SIZE - 1))
#define HUGETLB_PAGE_SHIFT (PAGE_SHIFT + HPAGE_PMD_ORDER)

static inline bool PageCompound(const struct page *p)
{
	return p->flags & (uint32_t)(PGF(PG_head) | PGF(PG_tail));
}

static inline bool PageHuge(const struct page *p)	/* p: any page of the folio */
{
	return PageFlag(compound_head_page((struct page *)p), PG_hugetlb);
}

static inline bool PageTransHuge(const struct page *head)
{
	return PageFlag(head, PG_head) && !PageFlag(head, PG_hugetlb);
}

/* PMD mappings of a compound page are counted in its first tail's private. */
static inline int64_t *compound_mapcount_ptr(struct page *head)
{
	return (int64_t *)&head[1].private;
}

static inline bool pte_huge(pte_t p) { return pte_present(p) && (p & PTE_HUGE); }

/* mm/page_alloc.c */
void prep_compound_page(struct machine *m, struct page *head, unsigned order);
void destroy_compound_page(struct machine *m, struct page *head);

/* The shmem_thp policies, in the order of struct thp_state (the kernel numbers them otherwise). */
enum { SHMEM_HUGE_NEVER, SHMEM_HUGE_ADVISE, SHMEM_HUGE_WITHIN_SIZE, SHMEM_HUGE_ALWAYS };

/* mm/shmem.c */
bool shmem_is_huge(struct vm_area_struct *vma, struct inode *inode, uint64_t index);
struct page *shmem_alloc_folio(struct address_space *mapping, uint64_t index,
			       struct vm_area_struct *vma, uint64_t *first, int *err);
uint64_t shmem_mapping_align(struct machine *m, uint64_t len, uint64_t pgoff, uint64_t *offset);

/* mm/huge_memory.c */
int total_mapcount(struct page *head);
bool folio_mapped(struct page *page);	/* page: any page of the folio */
bool thp_vma_suitable(struct vm_area_struct *vma, uint64_t haddr);
bool transhuge_vma_suitable(struct vm_area_struct *vma, uint64_t haddr);
/* Map a page-cache THP with a PMD (6.1 do_set_pmd); VM_FAULT_FALLBACK for PTEs. */
int do_set_pmd(struct vm_area_struct *vma, uint64_t addr, struct page *head, bool write);
/* VM_FAULT_OK when a THP was mapped, VM_FAULT_FALLBACK to fault a 4K page. */
#define VM_FAULT_FALLBACK 0x800
int do_huge_pmd_anonymous_page(struct vm_area_struct *vma, uint64_t addr);
int do_huge_pmd_wp_page(struct vm_area_struct *vma, uint64_t addr);
void map_huge_pmd(struct vm_area_struct *vma, uint64_t haddr, struct page *head, bool write, bool dirty);
void zap_huge_pmd(struct vm_area_struct *vma, uint64_t haddr);
void split_huge_pmd(struct vm_area_struct *vma, uint64_t haddr);
void copy_huge_pmd(struct vm_area_struct *dst, struct vm_area_struct *src, uint64_t haddr);
int split_huge_page(struct machine *m, struct page *page);
int try_to_split_thp_page(struct machine *m, struct page *page);	/* under the folio lock */
bool can_split_huge_page(struct machine *m, struct page *head, int *pextra_pins);
void deferred_split_huge_page(struct machine *m, struct page *head);
unsigned long deferred_split_scan(struct machine *m);

/* mm/khugepaged.c: MADV_COLLAPSE of [start, end) within vma; 0 or -errno */
int madvise_collapse(struct vm_area_struct *vma, uint64_t start, uint64_t end);

/*
 * 6.1 keeps a hugetlb folio's own state in its head's private. Only
 * HPageTemporary is modelled: a folio allocated for a migration outside the
 * pool's accounting, dissolved instead of enqueued when it is freed.
 */
#define HPG_TEMPORARY 1UL

/* mm/hugetlb.c */
int hugetlb_set_pool(struct machine *m, uint64_t nr, uint64_t overcommit);
struct page *alloc_huge_page(struct machine *m, bool reserved);
void clear_huge_page(struct machine *m, struct page *head);
void free_huge_page(struct machine *m, struct page *head);	/* refcount reached 0 */
int dissolve_free_huge_page(struct machine *m, struct page *page);
int get_hwpoison_huge_page(struct page *head);
typedef void (*hugetlb_rmap_fn)(struct vm_area_struct *vma, uint64_t addr, struct page *head, void *arg);
void hugetlb_rmap_walk(struct machine *m, struct page *head, hugetlb_rmap_fn fn, void *arg);
struct page *alloc_huge_page_nodemask(struct machine *m);
int hugetlb_reserve_pages(struct machine *m, uint64_t nr);
void hugetlb_unreserve_pages(struct machine *m, uint64_t nr);
uint64_t hugetlb_mmap_reserve(struct machine *m, struct file *file, uint64_t off, uint64_t len,
			      unsigned long vm_flags);
struct page *find_free_huge_page(struct machine *m);
int hugetlb_fault(struct vm_area_struct *vma, uint64_t addr, unsigned flags);
void hugetlb_zap_range(struct vm_area_struct *vma, uint64_t start, uint64_t end);
void copy_hugetlb_page_range(struct vm_area_struct *dst, struct vm_area_struct *src);
bool hugetlb_try_to_unmap(struct machine *m, struct page *head, bool hwpoison);
uint64_t hugetlb_vma_address(struct page *head, struct vm_area_struct *vma);
/* memory_failure's hugetlb path (6.1 try_memory_failure_hugetlb); *hugetlb = 0 to fall back. */
int try_memory_failure_hugetlb(struct machine *m, unsigned long pfn, int flags, int *hugetlb);

/* fs/hugetlbfs.c */
struct page *hugetlbfs_get_page(struct inode *inode, uint64_t idx);
struct file *hugetlb_file_setup(struct machine *m, const char *prefix, uint64_t size);

/* mm/migrate_hugetlb.c (migrate_huge_page itself is in mm/mf-internal.h) */
bool isolate_hugetlb(struct page *head);

#endif
