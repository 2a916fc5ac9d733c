/* SPDX-License-Identifier: GPL-2.0-only */
/* The page cache: mm/filemap.c (lookup, insertion, write-back errors) and mm/truncate.c. */
#ifndef MEMFAIL_FILEMAP_H
#define MEMFAIL_FILEMAP_H

#include <stdbool.h>
#include <stdint.h>

struct address_space;
struct file;
struct page;
struct vm_area_struct;

/* mm/filemap.c */
struct page *find_get_page(struct address_space *mapping, uint64_t index);
struct page *filemap_get_page(struct address_space *mapping, uint64_t index,
			      struct vm_area_struct *vma, int *err);
int add_to_page_cache(struct page *page, struct address_space *mapping, uint64_t index);
void delete_from_page_cache(struct page *page);
int filemap_write_page(struct page *page);
void mapping_set_error(struct address_space *mapping, int err);
int filemap_check_and_advance_wb_err(struct file *f);
bool mapping_can_writeback(const struct address_space *mapping);
bool shmem_mapping(const struct address_space *mapping);

/* mm/truncate.c */
void truncate_inode_pages_range(struct address_space *mapping, uint64_t lstart, uint64_t lend);
int generic_error_remove_page(struct address_space *mapping, struct page *page);
int invalidate_inode_page(struct page *page);
int mapping_evict_page(struct address_space *mapping, struct page *page);

#endif
