/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * struct machine: everything one modelled computer owns (frames, zones, LRU,
 * tasks, files, swap, memory-failure state, locks, the log). Several machines
 * can live in one process; nothing in the model is global.
 */
#ifndef MEMFAIL_MACHINE_H
#define MEMFAIL_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "memfail/fs.h"
#include "memfail/locking.h"
#include "memfail/mm_types.h"
#include "memfail/printk.h"
#include "memfail/u64map.h"

struct inode;
struct ksm_state;
struct kernel_profile;
struct pmem_device;
struct sigrecord;
struct swap_info;
struct ck_state;
struct task_struct;

struct hwpoison_filter {
	bool enable;
	uint32_t dev_major, dev_minor;	/* ~0U = wildcard */
	uint64_t flags_mask, flags_value;
	uint64_t memcg;
};

struct mf_trace_rec {		/* ras:memory_failure_event */
	uint64_t pfn;
	int type, result;
};

#define MF_FIFO_SIZE 16

struct machine {
	uint64_t nr_pages;
	struct page *pages;		/* reserved address space, backed by section (mm/sparse.c) */
	uint8_t *sections;		/* enum section_state per section */
	uint64_t nr_sections;
	struct machine *sparse_next;	/* the fault handler's list of machines */
	uint64_t split_next;		/* the top-order block after the last one split */
	unsigned split_run;		/* top-order blocks split in a row, each after the last */
	/* write tracking for the invariant checker (sparse_track_*) */
	uint64_t *wp_dirty;		/* a bit per host page of the frame array: written since */
	uint64_t wp_dirty_hi;		/* host pages below which a wp_dirty bit may be set */
	uint64_t *wp_rw;		/* a bit per host page: writable now (faulted, or hot) */
	struct wp_hot *wp_hot;		/* chunks kept writable, compared with a copy (sparse_track.c) */
	int nr_wp_hot;
	uint64_t wp_seq_next, wp_seq_len;	/* the last range opened: a run's writes open twice as much */
	unsigned wp_seq_run;			/* ranges opened in a row, each after the last */
	bool wp_on;			/* present sections are read-only but for wp_rw's pages */
	bool wp_lost;			/* a write went untracked: the next check walks everything */
	int nr_nodes;
	struct zone zones[MAX_NR_ZONES];
	int nr_zones;
	struct lruvec lruvec;
	struct pagevec lru_add_pvec;	/* one modelled CPU's batch */
	uint64_t reserved_end;		/* pfns [0, reserved_end) are reserved at boot */
	uint64_t nr_ram_pages;		/* RAM, split evenly over nr_nodes (pmem follows it) */
	uint32_t zero_pfn;		/* the shared zero page */

	/* page contents: slot 0 reads as zeroes; others are PAGE_SIZE buffers (mm/page_data.c) */
	uint8_t *uniform[256];		/* shared images of uniform pages, by byte */
	uint8_t **data;
	uint32_t nr_data, cap_data;
	uint32_t *free_slots;
	uint32_t nr_free_slots;

	/* tasks */
	struct task_struct *tasks;	/* list of thread group leaders, creation order */
	struct task_struct *tasks_tail;
	int nr_threads;			/* threads of all processes */
	int next_pid;
	uint64_t next_seq;
	struct task_struct *current;	/* the thread making the current system call */
	struct sigrecord *sigs;		/* signals delivered since the last drain */
	int nr_sigs, cap_sigs;
	int nr_fatal;			/* processes with a signal_struct fatal_signal pending */

	/* files */
	struct super_block disk_sb, tmpfs_sb, hugetlbfs_sb, bdev_sb;
	struct inode **inodes;
	int nr_inodes, cap_inodes;
	uint64_t next_ino;
	struct swap_info *swap;
	struct pmem_device *pmem;	/* ZONE_DEVICE pmem after RAM (mm/memremap.c), or NULL */

	/* slab: pages handed to the small slab layer */
	uint32_t *slab_pfns;
	int nr_slab, cap_slab;

	/* memory failure */
	int sysctl_memory_failure_early_kill;
	const char *oom_stop;	/* set by out_of_memory(): what ran out of modelled memory */
	int sysctl_memory_failure_recovery;
	uint64_t num_poisoned_pages;
	/* model-only, for the invariant checker: pfns memory_failure left mapped, as 6.1 does */
	struct u64map hwpoison_mapped;
	bool hw_memory_failure;
	bool panicked;
	const char *oops;		/* the function a kernel oops died in, or NULL */
	struct hwpoison_filter filter;
	struct mf_trace_rec *trace;
	int nr_trace, cap_trace;
	uint64_t mf_results[4];		/* per mf_result */
	/* 6.12 per-node statistics (profile per_node_mf_stats): total, then per mf_result */
	uint64_t node_mf_stats[MF_MAX_NUMNODES][5];
	int sysctl_enable_soft_offline;	/* 6.12 vm.enable_soft_offline */
	bool soft_offline_disabled_said; /* its pr_info_once */
	/* soft offline, model-only knobs (memfail.* sysctls, mm/memory-failure-offline.c) */
	int soft_offline_order;		/* enum so_order: 0 = 6.1's poison_then_put */
	bool soft_offline_pause;	/* the next soft offline stops in its window */
	bool soft_offline_paused;	/* one is stopped there now, on soft_offline_pfn */
	unsigned long soft_offline_pfn;
	/* memory_failure_queue's per-CPU kfifo (6.1: 16 entries), drained by memory_failure_work */
	struct {
		unsigned long pfn[MF_FIFO_SIZE];
		int flags[MF_FIFO_SIZE];
		int n;
	} mf_fifo;
	int mf_sig_base;		/* m->sigs index where this DAX memory_failure began */

	/* kernel/locking.c */
	bool mf_mutex_held;
	uint64_t lock_count[MF_LOCK__COUNT];
	mf_lock_hook_fn lock_hook;
	void *lock_hook_ctx;

	struct hstate hstate;		/* mm/hugetlb.c */
	struct ksm_state *ksm;		/* mm/ksm.c, allocated on first use */
	struct thp_state thp;		/* mm/huge_memory.c */

	struct ck_state *ck;		/* mm/debug.c: the checker's per-pfn state, kept across steps */
	uint64_t *ck_dead;		/* page-table blocks freed since its last check (mm/debug_pte.c) */
	size_t ck_nr_dead, ck_cap_dead;

	struct printk_ring log;
	const struct kernel_profile *profile;	/* the kernel version followed (kernel/profile.c) */
	/* called as each process dies (the API's death ledger, kernel/sys_task.c) */
	void (*exit_hook)(void *ctx, struct task_struct *leader);
	void *exit_hook_ctx;
	uint64_t clock_ns;		/* the model's clock: advances per printk */
};

struct machine_config {
	uint64_t memory;		/* bytes, multiple of PAGE_SIZE, >= 1 MiB */
	uint64_t swap;			/* bytes */
	int nodes;
	uint64_t seed;
};

/* mm/mm_init.c: boot and tear down. Errors: -EINVAL (bad config), -ENOMEM. */
int machine_create(const struct machine_config *cfg, struct machine **out, char *err, size_t errlen);
void machine_destroy(struct machine *m);
/* For a machine all of whose objects are in an arena that goes whole: what lives outside it. */
void machine_forget(struct machine *m);
/*
 * mm/sparse.c: the frame array, 128 MiB sections backed by the host on first
 * touch (SPARSEMEM_VMEMMAP). A section nothing touched holds what boot left
 * there, told by its state; reading its frames backs it and writes that.
 */
#define SECTION_SHIFT 27
#define PAGES_PER_SECTION (1ULL << (SECTION_SHIFT - PAGE_SHIFT))
#define SECTION_BYTES (PAGES_PER_SECTION * sizeof(struct page))
/* SECTION_PRESENT last: mm/dump.c counts the others by state */
enum section_state { SECTION_ZERO, SECTION_RESERVED, SECTION_FREE, SECTION_DEVICE, SECTION_PRESENT };
void sparse_init(struct machine *m, uint64_t nr);
void sparse_resize(struct machine *m, uint64_t nr);
void sparse_destroy(struct machine *m);
void sparse_reserve(struct machine *m, uint64_t end);
/* pmem frames [from, to) as memremap leaves them (mm/memremap.c); SECTION_DEVICE's */
void pmem_init_frames(struct machine *m, uint64_t from, uint64_t to);
void sparse_free_blocks(struct machine *m, struct zone *z);
uint32_t sparse_boot_next(struct machine *m, uint64_t pfn);
void sparse_split_hint(struct machine *m, uint64_t pfn);	/* a top-order block is being split */
/*
 * Write tracking of the frame array, for the checker: sparse_track_start()
 * write-protects every present section (again: only what was written since)
 * and clears wp_dirty; the first write to a host page then faults, and the
 * handler marks the page (and its neighbours) in wp_dirty and makes them
 * writable. A chunk written at every step stays writable while it is (a copy
 * tells what changed: sparse_track_collect). A section backed while tracked stays read-only: it holds what its
 * state said. If the host refuses a protection change, tracking stops and
 * wp_lost says so.
 */
void sparse_track_start(struct machine *m);
/* Before a check: mark in wp_dirty the hot chunks' host pages that changed. */
void sparse_track_collect(struct machine *m);
bool sparse_track_fault(struct machine *m, uint64_t off);	/* the fault handler's: ours? */
void sparse_track_open(struct machine *m, uint64_t pfn, uint64_t n);	/* about to be written */
void sparse_track_lose(struct machine *m);
void sparse_track_free(struct machine *m);
uint64_t sparse_host_page_frames(void);	/* frames in a host page */
static inline enum section_state sparse_section_state(const struct machine *m, uint64_t pfn)
{
	return (enum section_state)m->sections[pfn / PAGES_PER_SECTION];
}

/* mm/debug.c: the invariant checker; returns the number of violations. */
int check_invariants(struct machine *m, FILE *report);
/*
 * The same checks of what changed since the previous check_invariants_changed():
 * frames on host pages written since (sparse_track_*), on free lists or mapped
 * then or now, and the compound pages and swap-cache slots they belong to;
 * the page-table blocks marked since (mm/debug_pte.c says when it reads
 * more); the free lists and the LRU when a frame on them or their heads
 * changed; the page cache, the hugetlb pool and KSM whole (they are as big as
 * what is in use, not as the machine).
 * Every CK_FULL_EVERY-th check, the first (unless check_invariants_begin
 * started them), and any after a lost write are full.
 */
#define CK_FULL_EVERY 64
int check_invariants_changed(struct machine *m, FILE *report);
int check_invariants_begin(struct machine *m, FILE *report);	/* MF_CHECK_BEGIN */
void ck_state_free(struct machine *m);
struct page_table;
void ck_pt_release(struct machine *m, struct page_table *pt);	/* an address space goes */
void machine_dump_state(struct machine *m, FILE *out);	/* counters and a page-types-like summary */

#endif
