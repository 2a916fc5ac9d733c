/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Persistent memory and filesystem DAX: a pmem device whose pfns are
 * ZONE_DEVICE (struct pages that never see the buddy allocator, the LRU or
 * swap), its dev_pagemap and dax_device, the DAX entries a DAX file keeps in
 * its XArray instead of pages, and the pmem filesystem (XFS with or without
 * rmapbt, ext4) that holds the dax_device and answers memory failures.
 *
 * Wiring as 6.1: memory_failure -> memory_failure_dev_pagemap ->
 * pgmap->ops->memory_failure (pmem) -> dax_holder_notify_failure ->
 * holder_ops->notify_failure (XFS with rmapbt) -> mf_dax_kill_procs per owner.
 */
#ifndef MEMFAIL_DAX_H
#define MEMFAIL_DAX_H

#include <stdbool.h>
#include <stdint.h>

#include "memfail/mm.h"

/* ---- mm/memremap.c ---------------------------------------------------------- */
enum memory_type { MEMORY_DEVICE_PRIVATE = 1, MEMORY_DEVICE_COHERENT, MEMORY_DEVICE_FS_DAX,
		   MEMORY_DEVICE_GENERIC, MEMORY_DEVICE_PCI_P2PDMA };

struct dev_pagemap;
struct dev_pagemap_ops {
	int (*memory_failure)(struct dev_pagemap *pgmap, uint64_t pfn, uint64_t nr_pages, int mf_flags);
};

struct dev_pagemap {
	struct machine *m;
	uint64_t start_pfn, end_pfn;	/* [start, end) */
	enum memory_type type;
	const struct dev_pagemap_ops *ops;
	void *owner;			/* the struct pmem_device */
};

struct dax_device;
struct dax_holder_operations {
	int (*notify_failure)(struct dax_device *dax_dev, uint64_t offset, uint64_t len, int mf_flags);
};

struct dax_device {
	bool alive;
	void *holder_data;		/* the mounted filesystem */
	const struct dax_holder_operations *holder_ops;
};

enum dax_lookup_policy {
	DAX_LOOKUP_CONFLICT,	/* 6.1: a PMD-sized lookup uses xas_find_conflict() */
	DAX_LOOKUP_PLAIN_LOAD,	/* v4.20-rc1 (seed 003): a plain order-9 load, erases PTE entries */
};

struct daxfs;
struct pmem_device {
	struct machine *m;
	uint64_t start_pfn, nr_pages;	/* the whole namespace ("Persistent Memory (legacy)") */
	struct dev_pagemap pgmap;
	struct dax_device dax_dev;
	struct daxfs *fs;		/* mounted filesystem, NULL if none */
	enum dax_lookup_policy lookup_policy;
	unsigned long erased_locked;	/* unlocks that found their locked entry replaced */
	bool warned_associate;		/* WARN_ON_ONCE in dax_associate_entry, once per boot */
};

/* Boot, right after machine_create: pmem after RAM (2 MiB aligned). -EINVAL/-ENOMEM, err filled. */
int pmem_create(struct machine *m, uint64_t bytes, char *err, size_t errlen);
void pmem_destroy(struct machine *m);
struct page *pfn_to_online_page(struct machine *m, uint64_t pfn);
struct dev_pagemap *get_dev_pagemap(struct machine *m, uint64_t pfn);
static inline bool is_zone_device_page(struct machine *m, const struct page *p)
{
	return page_zone(m, p)->type == ZONE_DEVICE;
}
int dax_holder_notify_failure(struct dax_device *dax_dev, uint64_t off, uint64_t len, int mf_flags);

/* mm/memory-failure-dax.c */
int memory_failure_dev_pagemap(struct machine *m, unsigned long pfn, int flags, struct dev_pagemap *pgmap);
int mf_dax_kill_procs(struct address_space *mapping, uint64_t index, uint64_t count, int mf_flags);

/* ---- fs/dax.c: DAX entries in the XArray ------------------------------------ */
#define DAX_SHIFT 4
#define DAX_LOCKED 0x1UL
#define DAX_PMD 0x2UL
#define DAX_ZERO_PAGE 0x4UL
#define DAX_EMPTY 0x8UL
#define PMD_ORDER HPAGE_PMD_ORDER
#define PTE_DEVMAP (1ULL << 10)		/* pte_devmap: a pfn mapped without refcount or mapcount */
#define PTE_DEVMAP_PMD (1ULL << 11)	/* ... one of the 512 slots of a 2 MiB PMD mapping */

static inline unsigned long dax_to_pfn(const void *e) { return xa_to_value(e) >> DAX_SHIFT; }
static inline void *dax_make_entry(unsigned long pfn, unsigned long flags)
{
	return xa_mk_value(flags | (pfn << DAX_SHIFT));
}
static inline bool dax_is_locked(const void *e) { return e && xa_is_value(e) && (xa_to_value(e) & DAX_LOCKED); }
static inline bool dax_is_pmd_entry(const void *e) { return xa_to_value(e) & DAX_PMD; }
static inline bool dax_is_zero_entry(const void *e) { return xa_to_value(e) & DAX_ZERO_PAGE; }
static inline bool dax_is_empty_entry(const void *e) { return xa_to_value(e) & DAX_EMPTY; }
static inline unsigned dax_entry_order(const void *e) { return dax_is_pmd_entry(e) ? PMD_ORDER : 0; }

#define VM_FAULT_RETRY 0x400	/* the entry is locked: 6.1 would sleep, the model cannot */

static inline bool IS_DAX(const struct inode *inode) { return inode->i_sb->type == FS_DAX; }

/*
 * grab_mapping_entry(): the entry at index locked, an empty locked one made if
 * none. Returns it, or NULL with *status: -EAGAIN (the entry is locked by
 * someone else: the kernel would sleep), 1 (fall back to a PTE fault: smaller
 * entries under a PMD-sized range), -EIO.
 */
void *dax_grab_mapping_entry(struct address_space *mapping, uint64_t index, unsigned order,
			     enum dax_lookup_policy policy, int *status);
/* Store entry unlocked; -EINVAL if what is there is not locked (6.1's BUG_ON). */
int dax_unlock_entry(struct address_space *mapping, uint64_t index, void *entry);
typedef uintptr_t dax_entry_t;
dax_entry_t dax_lock_page(struct machine *m, struct page *page);
void dax_unlock_page(struct machine *m, struct page *page, dax_entry_t cookie);
dax_entry_t dax_lock_mapping_entry(struct address_space *mapping, uint64_t index, struct page **page);
void dax_unlock_mapping_entry(struct address_space *mapping, uint64_t index, dax_entry_t cookie);
/* Fault on a DAX file (shared, or a read): PMD when it can, else PTE. */
int dax_iomap_fault(struct vm_area_struct *vma, uint64_t addr, unsigned flags);
/* Private write fault: the page to copy from (pmem or the zero page), referenced. */
struct page *dax_cow_source(struct address_space *mapping, uint64_t index, int *err);
/* Zap the whole PMD mapping a DEVMAP_PMD slot belongs to. */
void dax_zap_pmd(struct vm_area_struct *vma, uint64_t addr, pte_t pte);
/* Unmap and drop the entries of [start, end) (page indices): truncate, punch, COW. */
void dax_delete_mapping_range(struct address_space *mapping, uint64_t start, uint64_t end);
unsigned dax_mapping_shift(struct vm_area_struct *vma, uint64_t addr);	/* 0, 12 or 21 */

/* ---- fs/dax_fs.c: the pmem filesystem --------------------------------------- */
enum daxfs_kind { DAXFS_XFS, DAXFS_XFS_NORMAP, DAXFS_EXT4 };
int daxfs_mount(struct machine *m, enum daxfs_kind kind);
void daxfs_unmount(struct machine *m);
struct super_block *daxfs_sb(struct machine *m);	/* NULL before the mount */
/* Block lookup for a file page: pmem pfn, or NO_PFN for a hole; alloc/cow as a write does. */
uint64_t daxfs_iomap(struct inode *inode, uint64_t index, bool write, bool *cow, int *err);
/* 2 MiB-aligned contiguous extent for a PMD at index (aligned to 512): head pfn or NO_PFN. */
uint64_t daxfs_iomap_pmd(struct inode *inode, uint64_t index);
bool daxfs_is_shared(struct inode *inode, uint64_t index);
bool daxfs_shutdown(struct machine *m);
long daxfs_read(struct file *f, void *buf, uint64_t len, uint64_t off);
long daxfs_write(struct file *f, const void *buf, uint64_t len, uint64_t off);
int daxfs_punch(struct inode *inode, uint64_t off, uint64_t len);
int daxfs_truncate(struct inode *inode, uint64_t size);
int daxfs_fsync(struct inode *inode);
void daxfs_evict_inode(struct inode *inode);
/* Allocate the whole file 2 MiB aligned now (extent size hint + fallocate). */
int daxfs_fallocate_aligned(struct inode *inode, uint64_t size);
/* FICLONE / FICLONERANGE (len 0: the whole source). */
int daxfs_reflink(struct inode *src, uint64_t soff, struct inode *dst, uint64_t doff, uint64_t len);
uint64_t daxfs_pmem_pfn(struct machine *m, uint64_t dev_off);	/* NO_PFN outside */

#endif
