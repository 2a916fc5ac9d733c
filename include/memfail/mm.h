/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VM of the modelled machine: frames, buddy allocator, LRU, address
 * spaces, page tables, faults, rmap and swap. The struct machine that owns
 * all of it is in memfail/machine.h.
 */
#ifndef MEMFAIL_MM_H
#define MEMFAIL_MM_H

#include <stdbool.h>
#include <stdint.h>

#include "memfail/fs.h"
#include "memfail/locking.h"
#include "memfail/machine.h"
#include "memfail/mm_types.h"
#include "memfail/pgtable.h"
#include "memfail/sched.h"
#include "memfail/u64map.h"

/* umbrella, for now: users of these should include them directly */
#include "memfail/pagemap.h"
#include "memfail/printk.h"

/* ---- page table entries (mm/memory.c; the tables: memfail/pgtable.h) ---------------- */
#define PTE_PRESENT 0x1ULL
#define PTE_WRITE 0x2ULL
#define PTE_DIRTY 0x4ULL
#define PTE_YOUNG 0x8ULL
#define PTE_SWP 0x10ULL		/* a non-present entry: swap, migration or hwpoison */
/*
 * A present entry that is one of the 512 slots of a PMD mapping (THP or
 * hugetlb): see docs/architecture.md, "Huge mappings".
 */
#define PTE_HUGE 0x20ULL
#define PTE_PFN_SHIFT 12
#define SWP_TYPE_SHIFT 5
#define SWP_TYPE_MASK 0x7fULL
/* SWP_SWAPIN_ERROR: 6.1's entry for a page swapoff could not bring back (a fault: SIGBUS) */
enum { SWP_SWAPFILE = 0, SWP_HWPOISON = 26, SWP_SWAPIN_ERROR = 27, SWP_MIGRATION = 30 };

static inline bool pte_none(pte_t p) { return p == 0; }
static inline bool pte_present(pte_t p) { return p & PTE_PRESENT; }
static inline bool pte_is_swp(pte_t p) { return (p & PTE_SWP) && !(p & PTE_PRESENT); }
static inline uint64_t pte_pfn(pte_t p) { return p >> PTE_PFN_SHIFT; }
static inline unsigned swp_type(pte_t p) { return (unsigned)((p >> SWP_TYPE_SHIFT) & SWP_TYPE_MASK); }
static inline uint64_t swp_offset(pte_t p) { return p >> PTE_PFN_SHIFT; }
static inline pte_t mk_swp_pte(unsigned type, uint64_t off)
{
	return PTE_SWP | ((pte_t)type << SWP_TYPE_SHIFT) | (off << PTE_PFN_SHIFT);
}
static inline bool is_hwpoison_pte(pte_t p) { return pte_is_swp(p) && swp_type(p) == SWP_HWPOISON; }

/* ---- VMAs and address spaces (mm/mmap.c) --------------------------------------------- */
#define VM_READ 0x1UL
#define VM_WRITE 0x2UL
#define VM_SHARED 0x8UL
#define VM_MAYSHARE 0x80UL
#define VM_LOCKED 0x2000UL
#define VM_HUGEPAGE 0x20000000UL
#define VM_NOHUGEPAGE 0x40000000UL
#define VM_HUGETLB 0x400000UL

struct anon_vma {
	struct vm_area_struct **vmas;	/* every VMA whose pages may be in this anon_vma */
	int nr, cap;
	int dead;			/* NULL holes in vmas, squeezed out by anon_vma_compact */
	int refcount;			/* VMAs linked + pages pointing at it */
};

struct vm_area_struct {
	uint64_t vm_start, vm_end;
	unsigned long vm_flags;
	uint64_t vm_pgoff;		/* file page offset; for anon: vm_start >> PAGE_SHIFT */
	struct mm_struct *vm_mm;
	struct file *vm_file;		/* file or shmem object */
	struct anon_vma *anon_vma;	/* where new anon pages of this VMA go */
	struct anon_vma **avc;		/* every anon_vma this VMA is linked into */
	int *avc_pos;			/* this VMA's index in avc[i]->vmas */
	int nr_avc, cap_avc;
	int i_mmap_pos;			/* index in its file mapping's i_mmap */
	struct vm_area_struct *vm_next;
	uint64_t seq;			/* creation order: rmap walk order */
	uint64_t hugetlb_resv;		/* hugetlb pages reserved at mmap, not yet faulted */
};

struct mm_struct {
	struct vm_area_struct *mmap;	/* sorted by address */
	struct page_table pt;
	struct task_struct *owner;	/* the thread group leader */
	uint64_t mmap_base;		/* next address handed out by get_unmapped_area */
	int users;
	uint64_t ck_vma_sig;		/* its VMAs at the invariant checker's last check (mm/debug_pte.c) */
	bool ck_read_all;		/* this check read all its blocks */
};

/* ---- swap (mm/swapfile.c, mm/swap_state.c) --------------------------------------- */
/*
 * The per-slot arrays are zero for a free slot, so a device of terabytes
 * costs the host only the slots used (the arena's calloc does not touch them).
 */
struct swap_info {
	uint64_t nr_slots;
	uint64_t lowest_free;		/* every slot in [1, lowest_free) is in use */
	uint16_t *swap_map;		/* references per slot; 0 = free */
	uint8_t **slot_data;		/* what was written to the slot */
	uint32_t *cache;		/* swap cache: slot -> pfn + 1, 0 if none (swap_cache_set) */
	uint64_t inuse;
	/* for the invariant checker: the frames whose slot changed since its last check */
	uint32_t *ck_pfns;
	size_t ck_nr, ck_cap;
	bool ck_lost;			/* more than the log holds: the next check walks all */
};

static inline uint32_t swap_cache_pfn(const struct swap_info *si, uint64_t slot)
{
	return si->cache[slot] ? si->cache[slot] - 1 : NO_PFN;
}

/* pfns are unsigned long, as in the kernel (the model is LP64, like x86-64). */
_Static_assert(sizeof(unsigned long) == sizeof(uint64_t), "memfail models an LP64 kernel");
static inline struct page *pfn_to_page(struct machine *m, unsigned long pfn) { return &m->pages[pfn]; }
struct zone *page_zone(struct machine *m, const struct page *page);
unsigned page_to_nid(struct machine *m, const struct page *page);
static inline unsigned long page_to_pfn(struct machine *m, const struct page *p)
{
	return (unsigned long)(p - m->pages);
}
static inline bool pfn_valid(struct machine *m, unsigned long pfn) { return pfn < m->nr_pages; }
static inline bool PageFlag(const struct page *p, int b) { return p->flags & PGF(b); }
static inline void SetPageFlag(struct page *p, int b) { p->flags |= (uint32_t)PGF(b); }
static inline void ClearPageFlag(struct page *p, int b) { p->flags &= ~(uint32_t)PGF(b); }
static inline bool TestSetPageFlag(struct page *p, int b)
{
	bool was = PageFlag(p, b);
	SetPageFlag(p, b);
	return was;
}
/* A tail keeps its distance from the head in lru_next (tails are on no list). */
static inline struct page *compound_head_page(struct page *p)
{
	return PageFlag(p, PG_tail) ? p - p->lru_next : p;
}
static inline bool PageAnon(const struct page *p) { return p->mapping & PAGE_MAPPING_ANON; }
static inline struct anon_vma *page_anon_vma(const struct page *p)
{
	/* a KSM page (mm/ksm.c) is anonymous too, but its mapping names a stable node */
	return (p->mapping & PAGE_MAPPING_FLAGS) == PAGE_MAPPING_ANON ?
	       (struct anon_vma *)(p->mapping & ~PAGE_MAPPING_ANON) : NULL;
}
static inline struct address_space *page_mapping_file(const struct page *p)
{
	return PageAnon(p) ? NULL : (struct address_space *)p->mapping;
}
static inline bool page_mapped(const struct page *p) { return p->_mapcount > 0; }

/* mm/page_alloc.c: the buddy allocator */
struct page *alloc_pages(struct machine *m, unsigned order);
void free_pages(struct machine *m, struct page *page, unsigned order);
/* boot: hand the zone's pfns from start (fresh, unreferenced frames) to the buddy allocator */
void memblock_free_pages(struct machine *m, struct zone *z, uint64_t start);
void get_page(struct page *page);
void put_page(struct machine *m, struct page *page);	/* frees at refcount 0 */
bool is_free_buddy_page(struct machine *m, struct page *page);
bool take_page_off_buddy(struct machine *m, struct page *page);
bool put_page_back_buddy(struct machine *m, struct page *page);
uint64_t nr_free_pages(struct machine *m);
struct page *find_free_page(struct machine *m);	/* deterministic pick for "free" refs */

/* mm/slab.c */
struct page *slab_alloc_page(struct machine *m);

/* mm/page_data.c: page contents */
const uint8_t *page_data(struct machine *m, struct page *page);	/* NULL = all zero */
uint8_t *page_data_w(struct machine *m, struct page *page);
/* write len bytes at off (keeps uniform pages bufferless) */
void page_data_set(struct machine *m, struct page *page, size_t off, const uint8_t *buf, size_t len);
void page_data_set_byte(struct machine *m, struct page *page, size_t off, uint8_t b, size_t len);
bool page_data_is_byte(struct machine *m, struct page *page, size_t off, uint8_t b, size_t len);
int page_data_byte(const struct page *page);	/* what every byte is, -1 when they differ */
/* every byte of the page b (no buffer) */
void page_data_fill(struct machine *m, struct page *page, uint8_t b);
/* read len bytes at off */
void page_data_get(struct machine *m, struct page *page, size_t off, uint8_t *buf, size_t len);
void page_data_copy(struct machine *m, struct page *dst, struct page *src);
void page_data_release(struct machine *m, struct page *page);

/* mm/swap.c: LRU */
void lru_cache_add(struct machine *m, struct page *page);	/* via the per-CPU batch */
void lru_add_drain(struct machine *m);
bool isolate_lru_page(struct machine *m, struct page *page);	/* takes a ref on success */
void putback_lru_page(struct machine *m, struct page *page);	/* drops that ref */
void del_page_from_lru(struct machine *m, struct page *page);
void page_lru_update(struct machine *m, struct page *page);	/* re-file after mlock change */
void mlock_page(struct machine *m, struct page *page);	/* a locked mapping more */
void munlock_page(struct machine *m, struct page *page);	/* one fewer: the last munlocks */
void mark_page_accessed(struct machine *m, struct page *page);
bool page_in_pagevec(struct machine *m, struct page *page);
void page_list_add(struct machine *m, struct page_list *l, struct page *page);
void page_list_del(struct machine *m, struct page_list *l, struct page *page);

/* mm/rmap.c */
struct anon_vma *anon_vma_alloc(void);
void anon_vma_link(struct vm_area_struct *vma, struct anon_vma *av);
void anon_vma_put(struct anon_vma *av);
int anon_vma_prepare(struct vm_area_struct *vma);
void unlink_anon_vmas(struct vm_area_struct *vma);
/* Squeeze out removed VMAs (order kept) before walking av->vmas / mapping->i_mmap. */
void anon_vma_compact(struct anon_vma *av);
void i_mmap_compact(struct address_space *mapping);
void page_add_anon_rmap(struct page *page, struct vm_area_struct *vma, uint64_t addr);
void page_add_file_rmap(struct page *page);
void page_remove_rmap(struct machine *m, struct page *page, struct vm_area_struct *vma);
uint64_t vma_address(const struct page *page, const struct vm_area_struct *vma);
typedef bool (*rmap_one_fn)(struct page *page, struct vm_area_struct *vma, uint64_t addr, void *arg);
void rmap_walk(struct machine *m, struct page *page, rmap_one_fn fn, void *arg);
#define TTU_IGNORE_MLOCK 0x1
#define TTU_HWPOISON 0x2
bool try_to_unmap(struct machine *m, struct page *page, unsigned flags);
int page_mkclean(struct machine *m, struct page *page);
void mapping_add_vma(struct address_space *mapping, struct vm_area_struct *vma);
void mapping_del_vma(struct address_space *mapping, struct vm_area_struct *vma);

/* mm/memory.c: page tables and faults */
pte_t *pte_lookup(struct mm_struct *mm, uint64_t addr);	/* NULL when none */
void set_pte(struct mm_struct *mm, uint64_t addr, pte_t pte);
void pte_clear(struct mm_struct *mm, uint64_t addr);
bool pmd_none_range(struct mm_struct *mm, uint64_t haddr);	/* no PTE in the 2M at haddr */
#define FAULT_FLAG_WRITE 0x1
#define VM_FAULT_OK 0
#define VM_FAULT_SIGBUS 0x2
#define VM_FAULT_HWPOISON 0x10
#define VM_FAULT_HWPOISON_LARGE 0x20	/* a hugetlb page: SIGBUS lsb 21 */
#define VM_FAULT_SIGSEGV 0x40
#define VM_FAULT_OOM 0x1
int handle_mm_fault(struct vm_area_struct *vma, uint64_t addr, unsigned flags);
/* mm/oom_kill.c: no page for user memory; the run stops (m->oom_stop) */
void out_of_memory(struct machine *m, const char *where);
/* 6.1's OOM killer when nothing is reclaimable: false if it did not run */
bool oom_kill(struct machine *m, struct task_struct *current);
void zap_page_range(struct vm_area_struct *vma, uint64_t start, uint64_t end);
void copy_page_range(struct vm_area_struct *dst, struct vm_area_struct *src);
/* Zap the PTEs of file pages [start, start+nr) in every VMA mapping them. */
void unmap_mapping_pages(struct address_space *mapping, uint64_t start, uint64_t nr, bool even_cows);
struct page *follow_page(struct vm_area_struct *vma, uint64_t addr, bool *hwpoison);
/*
 * User access through the page tables, as a CPU does it: faults in, may end
 * with a signal (returns -1 after delivering it) or -EFAULT-style errors.
 */
int access_user(struct task_struct *t, uint64_t addr, uint8_t *byte, bool write);
/* The same for len bytes that lie in one page (a memcpy through the PTE). */
int access_user_page(struct task_struct *t, uint64_t addr, uint8_t *buf, size_t len, bool write);
/* The same access of len bytes of value b: written, or compared (*match false when one differs). */
int access_user_byte(struct task_struct *t, uint64_t addr, uint8_t b, size_t len, bool *match);
/* mm/gup.c: a reference on each page, faulting in; pages taken, or -errno if none */
int get_user_pages_fast(struct task_struct *t, uint64_t start, int nr_pages, bool write,
			struct page **pages);
void follow_page_touch(struct vm_area_struct *vma, uint64_t addr);	/* FOLL_TOUCH */

/* mm/mmap.c, mm/mlock.c, mm/madvise.c */
struct mm_struct *mm_alloc(void);
void mmput(struct machine *m, struct mm_struct *mm);
struct vm_area_struct *find_vma(struct mm_struct *mm, uint64_t addr);
long do_mmap(struct task_struct *t, uint64_t len, unsigned long vm_flags, struct file *file,
	     uint64_t pgoff, bool populate, uint64_t *addr_out);
int do_munmap(struct task_struct *t, uint64_t start, uint64_t len);
int do_mlock(struct task_struct *t, uint64_t start, uint64_t len, bool lock);
int do_mprotect(struct task_struct *t, uint64_t start, uint64_t len, unsigned long prot);
int do_madvise(struct task_struct *t, uint64_t start, uint64_t len, int advice);
void dup_mmap(struct mm_struct *dst, struct mm_struct *src, struct task_struct *child);
int do_msync(struct task_struct *t, uint64_t start, uint64_t len);
/* mm/shmem.c: an unnamed tmpfs object (shared anonymous memory, SysV segments) */
struct file *shmem_kernel_file_setup(struct machine *m, const char *prefix, uint64_t size);
#define MADV_DONTNEED 4
#define MADV_WILLNEED 3
#define MADV_PAGEOUT 21
#define MADV_COLLAPSE 25
#define MADV_HUGEPAGE 14
#define MADV_NOHUGEPAGE 15
#define MADV_HWPOISON 100
#define MADV_SOFT_OFFLINE 101

/* mm/swapfile.c, mm/vmscan.c */
void swap_init(struct machine *m, uint64_t bytes);
void swap_free_all(struct machine *m);
int reclaim_page(struct machine *m, struct page *page);	/* 0 or -EAGAIN */
struct page *lookup_swap_cache(struct machine *m, uint64_t slot);
/* slot's swap-cache page is now pfn (NO_PFN: none); logged for the invariant checker */
void swap_cache_set(struct machine *m, uint64_t slot, uint32_t pfn);
void delete_from_swap_cache(struct machine *m, struct page *page);
void swap_entry_free(struct machine *m, uint64_t slot);
void swap_duplicate(struct machine *m, uint64_t slot);
int do_swap_page(struct vm_area_struct *vma, uint64_t addr, pte_t pte);
int swapoff(struct machine *m);


#endif
