/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * memfail.h: the one public interface of the memfail library.
 *
 * A program builds a modelled Linux machine (struct mf_machine), makes system
 * calls in it on behalf of its tasks, injects hardware memory errors through
 * the interfaces Linux offers (madvise, debugfs, sysfs, machine checks) and
 * observes what a user or an administrator could see: signals, the kernel
 * log, /proc/kpageflags, /proc/<pid>/pagemap, meminfo counters, task states.
 *
 * Conventions (they hold for every function unless its comment says more):
 *  - A machine is used by one thread at a time. Several machines may live in
 *    one process and are independent.
 *  - Tasks are named by their ids as Linux numbers them: a process by its pid,
 *    a thread by its tid (the main thread's tid is the pid). Addresses are user
 *    virtual addresses of that task; pfns are page frame numbers; files are
 *    named "FS:NAME" with FS one of disk, tmpfs, hugetlbfs, pmem.
 *  - Functions return 0 or a non-negative value on success and a negative errno
 *    value on failure, as the kernel's system calls do: the errno the real
 *    system call would give, or -EINVAL (bad argument, e.g. a NULL pointer or
 *    an unknown flag), -ESRCH (no such task, or it is dead), -EBADF (no such
 *    fd), -ENOENT (no such file, key or page). A bad argument is never a crash.
 *  - mf_errmsg() gives a sentence for the last error that has more to say than
 *    its errno (an unknown sysctl key, a machine that cannot be built ...).
 *  - Out of memory: when the host cannot give the model memory during a call,
 *    the call returns -ENOTRECOVERABLE, mf_errmsg() says "out of host memory for
 *    WHAT", and the machine is unusable from then on: every later call but
 *    mf_machine_destroy() returns -ENOTRECOVERABLE. The process never exits.
 *  - Ownership: the caller owns what it passes and what it allocated; strings
 *    and buffers returned by the library belong to the machine and stay valid
 *    until the next call on that machine, unless said otherwise.
 *  - Calls that only observe (kpageflags, pagemap, meminfo, task state, the
 *    pfn look-ups that allocate nothing) change nothing a later call could see.
 */
#ifndef MEMFAIL_MEMFAIL_H
#define MEMFAIL_MEMFAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MF_PAGE_SIZE 4096u
#define MF_HPAGE_SIZE (2u << 20)
#define MF_MAX_NUMNODES 64	/* machine nodes=1..64, as x86-64's CONFIG_NODES_SHIFT=6 */

/* ==== The machine ======================================================== */

/* An opaque modelled machine. */
struct mf_machine;

/* Which kernel's behaviour the machine follows (docs/kernel-6.12.md: what differs). */
enum mf_kernel { MF_KERNEL_6_1 = 0, MF_KERNEL_6_12 = 1 };

/* transparent_hugepage/enabled and shmem_enabled */
enum { MF_THP_NEVER, MF_THP_MADVISE, MF_THP_ALWAYS };
enum { MF_SHMEM_THP_NEVER, MF_SHMEM_THP_ADVISE, MF_SHMEM_THP_WITHIN_SIZE, MF_SHMEM_THP_ALWAYS };
/* The filesystem on the pmem device, mounted dax=always. */
enum { MF_PMEM_FS_NONE, MF_PMEM_FS_XFS, MF_PMEM_FS_XFS_NORMAP, MF_PMEM_FS_EXT4 };

/*
 * What a machine is made of. Zero-initialise, then set what you need;
 * mf_machine_desc_default() fills the scenario language's defaults.
 */
struct mf_machine_desc {
	enum mf_kernel kernel;
	uint64_t memory;	/* RAM in bytes: a multiple of 4 KiB, at least 1 MiB */
	uint64_t swap;		/* swap device in bytes, 0 = none */
	int nodes;		/* NUMA nodes, at least 1 */
	long hugepages;		/* 2 MiB hugetlb pool pages (vm.nr_hugepages) */
	long overcommit_hugepages; /* vm.nr_overcommit_hugepages */
	int thp;		/* MF_THP_* */
	int shmem_thp;		/* MF_SHMEM_THP_* */
	uint64_t pmem;		/* persistent memory after RAM, in bytes, 0 = none */
	int pmem_fs;		/* MF_PMEM_FS_*: the filesystem made on it, if any */
	uint64_t seed;		/* reserved for randomised choices; the model uses none today */
};

/* Fill *d with 256 MiB, no swap, 1 node, THP madvise, shmem THP never. */
void mf_machine_desc_default(struct mf_machine_desc *d);

/*
 * Build a machine. On success *out is the new machine (the caller destroys
 * it) and 0 is returned. On failure *out is NULL, a negative errno is
 * returned (-EINVAL: a bad description; -ENOMEM: not enough memory for it,
 * in the host or, for the hugetlb pool and pmem, in the modelled machine)
 * and, when err is not NULL, a sentence is written to err (errlen bytes).
 */
int mf_machine_create(const struct mf_machine_desc *desc, struct mf_machine **out, char *err,
		      size_t errlen);

/* Free a machine and everything in it. NULL is allowed. */
void mf_machine_destroy(struct mf_machine *m);

/* The sentence of the last failed call ("" if none). Never NULL for a machine. */
const char *mf_errmsg(const struct mf_machine *m);

/*
 * 1 once the machine panicked (an error with vm.memory_failure_recovery=0),
 * else 0. A panicked machine still answers observers; what it did after the
 * panic is meaningless.
 */
int mf_machine_panicked(struct mf_machine *m);

/*
 * The function a kernel oops named ("dax_lock_folio", 6.12 profile), or NULL.
 * The task that oopsed died with SIGKILL; memory-failure code may hold its
 * mutex, so nothing that takes it should be called afterwards.
 */
const char *mf_machine_oops(const struct mf_machine *m);

/* The kernel version the machine follows, as "6.1". */
const char *mf_kernel_release(const struct mf_machine *m);
/* A profile's release ("6.1", "6.12"); NULL for none. */
const char *mf_kernel_name(enum mf_kernel k);
/* The profile of a release: 0, or -EINVAL when memfail has none for it. */
int mf_kernel_from_release(const char *release, enum mf_kernel *k);
/* Whether KPF_KSM in a kpageflags word of profile k names a KSM page (6.12 sets it on every anonymous page). */
bool mf_kpf_ksm_is_ksm(enum mf_kernel k);

/*
 * Write a sysctl. Keys: vm.memory_failure_early_kill and
 * vm.memory_failure_recovery (values 0 or 1), vm.dirty_* (accepted, no
 * effect: write-back happens only when asked), and the model's own knobs
 * memfail.soft_offline_order, memfail.soft_offline_pause, memfail.dax_lookup
 * (docs/scenario-language.md). Returns 0; -ENOENT for an unknown key;
 * -EINVAL for a bad value.
 */
int mf_sysctl_set(struct mf_machine *m, const char *key, const char *val);

/* ==== Tasks ================================================================ */

/* SIGBUS disposition of a new process */
enum { MF_SIGBUS_HANDLER, MF_SIGBUS_DEFAULT, MF_SIGBUS_INHERIT };

/*
 * A new process with an empty address space, named comm (at most 15 bytes
 * are kept). sigbus: MF_SIGBUS_HANDLER (a handler that records every SIGBUS
 * and returns) or MF_SIGBUS_DEFAULT (SIGBUS kills the process). Returns its
 * pid.
 */
int mf_task_create(struct mf_machine *m, const char *comm, int sigbus);
/*
 * fork(2) of process pid: the child gets a copy-on-write copy of the address
 * space and the open files. sigbus may also be MF_SIGBUS_INHERIT. Returns the
 * child's pid; -ESRCH if pid is no live process.
 */
int mf_fork(struct mf_machine *m, int pid, const char *comm, int sigbus);
/* A new thread in process pid (clone with CLONE_THREAD). Returns its tid. */
int mf_thread_create(struct mf_machine *m, int pid);
/* exit_group(code) from thread tid. */
int mf_exit_group(struct mf_machine *m, int tid, int code);

/* prctl(PR_MCE_KILL, arg2, arg3) and prctl(PR_MCE_KILL_GET) from thread tid. */
#define MF_PR_MCE_KILL_CLEAR 0
#define MF_PR_MCE_KILL_SET 1
#define MF_PR_MCE_KILL_LATE 0
#define MF_PR_MCE_KILL_EARLY 1
#define MF_PR_MCE_KILL_DEFAULT 2
int mf_prctl_mce_kill(struct mf_machine *m, int tid, unsigned long arg2, unsigned long arg3);
int mf_prctl_mce_kill_get(struct mf_machine *m, int tid);

/* How a process ended. */
enum { MF_PROC_ALIVE, MF_PROC_KILLED, MF_PROC_EXITED };
/*
 * State of process pid: MF_PROC_ALIVE, MF_PROC_KILLED (*value: the signal) or
 * MF_PROC_EXITED (*value: the exit code); value may be NULL. -ESRCH if the
 * machine never had that pid.
 */
int mf_proc_state(struct mf_machine *m, int pid, int *value);

/* ==== Signals and deaths ================================================= */

#define MF_SIGKILL 9
#define MF_SIGBUS 7
#define MF_SIGSEGV 11
/* si_code values of SIGBUS and SIGSEGV, as Linux numbers them */
#define MF_BUS_ADRERR 2
#define MF_BUS_MCEERR_AR 4
#define MF_BUS_MCEERR_AO 5
#define MF_SEGV_MAPERR 1
#define MF_SEGV_ACCERR 2

/* One signal a task's handler received. */
struct mf_sig {
	int tid;		/* the receiving thread */
	int signo, code;
	uint64_t addr;		/* si_addr */
	int lsb;		/* si_addr_lsb: 12 for a page, 21 for a 2 MiB page */
};

/*
 * The signal ledger: every signal a handler received, oldest first.
 * mf_signal_next() moves the oldest one to *out and returns 1; 0 if none.
 */
int mf_signal_next(struct mf_machine *m, struct mf_sig *out);

/* One process that died. */
struct mf_death {
	int pid;
	int signo;		/* the signal that killed it, 0 if it exited */
	int code;		/* the exit code */
};
/*
 * Processes that died since the last call: mf_death_next() moves one to
 * *out and returns 1, 0 if none. Deaths caused by one call come out in the
 * order the processes were created (the order Linux's task list has).
 */
int mf_death_next(struct mf_machine *m, struct mf_death *out);

/* ==== Memory system calls ================================================ */

#define MF_PROT_READ 0x1
#define MF_PROT_WRITE 0x2
#define MF_MAP_SHARED 0x01
#define MF_MAP_PRIVATE 0x02
#define MF_MAP_ANONYMOUS 0x20
#define MF_MAP_LOCKED 0x2000
#define MF_MAP_POPULATE 0x8000
#define MF_MAP_HUGETLB 0x40000
/*
 * Not a Linux flag: a 2 MiB-aligned mapping with MADV_HUGEPAGE set before it
 * is populated (what a program does with an aligned hint and madvise).
 */
#define MF_MAP_THP 0x10000000

/*
 * mmap(2) from thread tid: len bytes, prot MF_PROT_*, flags MF_MAP_* (exactly
 * one of SHARED and PRIVATE), fd (an open file of the task; ignored with
 * MF_MAP_ANONYMOUS) at byte offset offset. The kernel picks the address and
 * returns it in *addr. Hugetlb mappings reserve their pool pages here (-ENOMEM
 * when the pool is short).
 */
int mf_mmap(struct mf_machine *m, int tid, uint64_t len, int prot, int flags, int fd,
	    uint64_t offset, uint64_t *addr);
int mf_munmap(struct mf_machine *m, int tid, uint64_t addr, uint64_t len);
int mf_mprotect(struct mf_machine *m, int tid, uint64_t addr, uint64_t len, int prot);
int mf_mlock(struct mf_machine *m, int tid, uint64_t addr, uint64_t len);
int mf_munlock(struct mf_machine *m, int tid, uint64_t addr, uint64_t len);
int mf_msync(struct mf_machine *m, int tid, uint64_t addr, uint64_t len);

/* madvise(2) advice values (Linux's numbers) */
#define MF_MADVISE_WILLNEED 3
#define MF_MADVISE_DONTNEED 4
#define MF_MADVISE_MERGEABLE 12
#define MF_MADVISE_UNMERGEABLE 13
#define MF_MADVISE_HUGEPAGE 14
#define MF_MADVISE_NOHUGEPAGE 15
#define MF_MADVISE_PAGEOUT 21
#define MF_MADVISE_COLLAPSE 25
#define MF_MADVISE_HWPOISON 100	/* inject: memory_failure() on each page */
#define MF_MADVISE_SOFT_OFFLINE 101	/* inject: soft_offline_page() on each page */
int mf_madvise(struct mf_machine *m, int tid, uint64_t addr, uint64_t len, int advice);

/*
 * SysV shared memory: shmget(IPC_PRIVATE, size, flags) returns a segment id;
 * shmat() maps it into process tid (prot and the MF_MAP_POPULATE,
 * MF_MAP_LOCKED, MF_MAP_THP flags as for mf_mmap) and returns the address in
 * *addr; shmctl(IPC_RMID) marks it removed: it goes away with its last
 * mapping.
 */
#define MF_SHM_HUGETLB 04000
int mf_shmget(struct mf_machine *m, uint64_t size, int flags);
int mf_shmat(struct mf_machine *m, int tid, int shmid, int prot, int flags, uint64_t *addr);
int mf_shmctl_rmid(struct mf_machine *m, int shmid);

/* ==== User accesses ======================================================= */

/*
 * A load or store by thread tid goes through the page tables as the CPU's
 * would: it may fault pages in, and it may raise a signal. Outcomes:
 *  0                  the access completed;
 *  MF_ACCESS_SIGNAL   it raised a signal the task's handler took: *sig is that
 *                     signal (taken out of the signal ledger);
 *  MF_ACCESS_KILLED   the process died: sig->signo is the killing signal;
 *  negative errno     e.g. -ESRCH for a dead task, -EFAULT.
 * sig may be NULL.
 */
#define MF_ACCESS_SIGNAL 1
#define MF_ACCESS_KILLED 2
int mf_load(struct mf_machine *m, int tid, uint64_t addr, uint8_t *byte, struct mf_sig *sig);
int mf_store(struct mf_machine *m, int tid, uint64_t addr, uint8_t byte, struct mf_sig *sig);

/*
 * A byte pattern for fill/check: MF_FILL_BYTE writes .byte everywhere;
 * MF_FILL_INDEX writes, in the page at address a, the byte
 * (uint8_t)(((a - base) / 4096) + first_page + 1): page numbers counted from
 * base (e.g. a mapping's start), first_page added (e.g. its file offset in
 * pages). Files declared with mf_file_create use the same pattern.
 */
enum { MF_FILL_BYTE, MF_FILL_INDEX };
struct mf_fill {
	int kind;
	uint8_t byte;
	uint64_t base;
	uint64_t first_page;
};
/* Store the pattern over [addr, addr+len), a page at a time; outcomes as mf_store. */
int mf_fill(struct mf_machine *m, int tid, uint64_t addr, uint64_t len, const struct mf_fill *pat,
	    struct mf_sig *sig);
/* Load and compare; *match says whether every byte matched. Outcomes as mf_load. */
int mf_check(struct mf_machine *m, int tid, uint64_t addr, uint64_t len, const struct mf_fill *pat,
	     bool *match, struct mf_sig *sig);

/* ==== Files ================================================================ */

/* How a declared file starts (mf_file_create). */
enum {
	MF_FILE_INIT_DIRTY,		/* written, dirty in the page cache */
	MF_FILE_INIT_SYNCED,		/* written and fsynced */
	MF_FILE_INIT_HOLE,		/* size only, no blocks */
	MF_FILE_INIT_UNCACHED,	/* written, fsynced, then dropped from the page cache */
};
struct mf_file_init {
	uint64_t size;
	int state;		/* MF_FILE_INIT_* */
	struct mf_fill fill;	/* MF_FILL_BYTE or MF_FILL_INDEX (base and first_page unused) */
	bool aligned;		/* pmem: 2 MiB-aligned extents (extent size hint + fallocate) */
};
/*
 * Create file path ("disk:NAME", "tmpfs:NAME", "hugetlbfs:NAME", "pmem:NAME")
 * as a test harness would before the programs start (hugetlbfs files are
 * filled through a mapping, pmem files written through DAX). Returns 0;
 * -EINVAL for a bad path or init; -EEXIST when it cannot be created (it
 * exists, or there is no filesystem of that kind, e.g. pmem without
 * desc.pmem_fs); -ENOMEM for a hugetlbfs file the pool cannot fill; a pmem
 * file's write or fallocate error as is.
 */
int mf_file_create(struct mf_machine *m, const char *path, const struct mf_file_init *init);

#define MF_O_RDONLY 0
#define MF_O_RDWR 2
/* open(2) from thread tid: returns the fd. -ENOENT, -EIO (shut-down filesystem). */
int mf_open(struct mf_machine *m, int tid, const char *path, int flags);
int mf_close(struct mf_machine *m, int tid, int fd);
/*
 * pread(2)/pwrite(2): bytes transferred, or a negative errno (-EIO ...). As
 * Linux does, one call moves at most MF_MAX_RW_COUNT bytes (MAX_RW_COUNT), so
 * buf need be no longer than that.
 */
#define MF_MAX_RW_COUNT (0x7fffffffu & ~(MF_PAGE_SIZE - 1))
/* The bytes one pread/pwrite of len can move: the buffer it needs. */
static inline uint64_t mf_rw_count(uint64_t len)
{
	return len < MF_MAX_RW_COUNT ? len : MF_MAX_RW_COUNT;
}
long mf_pread(struct mf_machine *m, int tid, int fd, void *buf, uint64_t len, uint64_t off);
long mf_pwrite(struct mf_machine *m, int tid, int fd, const void *buf, uint64_t len, uint64_t off);
int mf_fsync(struct mf_machine *m, int tid, int fd);
int mf_fdatasync(struct mf_machine *m, int tid, int fd);
int mf_ftruncate(struct mf_machine *m, int tid, int fd, uint64_t size);
/* fallocate(2): only MF_FALLOC_PUNCH_HOLE|MF_FALLOC_KEEP_SIZE; else -EOPNOTSUPP. */
#define MF_FALLOC_KEEP_SIZE 0x01
#define MF_FALLOC_PUNCH_HOLE 0x02
int mf_fallocate(struct mf_machine *m, int tid, int fd, int mode, uint64_t off, uint64_t len);
int mf_unlink(struct mf_machine *m, int tid, const char *path);
/* pipe(2): one end is enough for vmsplice; returns its fd. */
int mf_pipe(struct mf_machine *m, int tid);
/* vmsplice(2) of [addr, addr+len) into pipe fd: pins the pages; bytes spliced. */
long mf_vmsplice(struct mf_machine *m, int tid, int fd, uint64_t addr, uint64_t len);
/* FICLONERANGE between two pmem files (len 0: the whole file, FICLONE). */
int mf_reflink(struct mf_machine *m, const char *src, uint64_t src_off, const char *dst,
	       uint64_t dst_off, uint64_t len);
/* sync(2) and echo MODE > /proc/sys/vm/drop_caches (1, 2 or 3). */
int mf_sync(struct mf_machine *m);
int mf_drop_caches(struct mf_machine *m, int mode);

/* ==== Memory management the administrator triggers ======================= */

/* Reclaim (swap out or evict) the page at pfn: 0 or -EAGAIN, -EINVAL. */
int mf_reclaim(struct mf_machine *m, uint64_t pfn);
/* Let ksmd run nr full scans. */
int mf_ksm_scan(struct mf_machine *m, int nr);
/* swapoff(2) of the machine's swap device: every swapped page comes back. -EINVAL: none. */
int mf_swapoff(struct mf_machine *m);
/* Drain the per-CPU LRU batch (what page-types' reading effectively causes). */
int mf_lru_drain(struct mf_machine *m);

/* ==== Injection =========================================================== */

/* debugfs hwpoison/corrupt-pfn and hwpoison/unpoison-pfn. -EINVAL outside RAM. */
int mf_corrupt_pfn(struct mf_machine *m, uint64_t pfn);
int mf_unpoison_pfn(struct mf_machine *m, uint64_t pfn);
/* /sys/devices/system/memory/{hard,soft}_offline_page: a physical address. */
int mf_hard_offline(struct mf_machine *m, uint64_t phys);
int mf_soft_offline(struct mf_machine *m, uint64_t phys);

/* The debugfs hwpoison filter (corrupt-filter-*). ~0u dev numbers: any. */
struct mf_hwpoison_filter {
	bool enable;
	unsigned dev_major, dev_minor;
	uint64_t flags_mask, flags_value;
	uint64_t memcg;
};
int mf_filter_get(struct mf_machine *m, struct mf_hwpoison_filter *f);
int mf_filter_set(struct mf_machine *m, const struct mf_hwpoison_filter *f);

/*
 * A machine check on pfn. MF_MCE_AO: an action-optional error (patrol scrub):
 * memory_failure() runs from the work queue. MF_MCE_AR: thread tid consumed
 * the error (action required); -ESRCH if it is not alive.
 */
enum { MF_MCE_AO, MF_MCE_AR };
int mf_mce(struct mf_machine *m, int kind, uint64_t pfn, int tid);

/* ==== Observation ========================================================= */

/* The bit numbers of a /proc/kpageflags word, as Linux's include/uapi/linux/kernel-page-flags.h */
#define KPF_LOCKED 0
#define KPF_ERROR_BIT 1
#define KPF_REFERENCED 2
#define KPF_UPTODATE 3
#define KPF_DIRTY 4
#define KPF_LRU 5
#define KPF_ACTIVE 6
#define KPF_SLAB 7
#define KPF_WRITEBACK 8
#define KPF_RECLAIM 9
#define KPF_BUDDY 10
#define KPF_MMAP 11
#define KPF_ANON 12
#define KPF_SWAPCACHE 13
#define KPF_SWAPBACKED 14
#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16
#define KPF_HUGE 17
#define KPF_UNEVICTABLE 18
#define KPF_HWPOISON 19
#define KPF_NOPAGE 20
#define KPF_KSM 21
#define KPF_THP 22
#define KPF_OFFLINE 23
#define KPF_ZERO_PAGE 24
#define KPF_IDLE 25
#define KPF_PGTABLE 26
#define KPF_RESERVED 32
#define KPF_MLOCKED 33
#define KPF_MAPPEDTODISK 34
#define KPF_PRIVATE 35
#define KPF_PRIVATE_2 36
#define KPF_OWNER_PRIVATE 37
#define KPF_ARCH 38
#define KPF_UNCACHED 39
#define KPF_SOFTDIRTY 40

/* /proc/kpageflags word of pfn (KPF_* bit numbers as Linux's). -EINVAL outside memory. */
int mf_kpageflags(struct mf_machine *m, uint64_t pfn, uint64_t *flags);
/* /proc/kpagecount of a 4K page: the page-table entries mapping it (a THP's PMD maps not added). */
int mf_kpagecount(struct mf_machine *m, uint64_t pfn, uint64_t *count);
/* /proc/<pid>/pagemap entry of addr (PM_PRESENT bit 63, PFN bits 0-54 ...). */
int mf_pagemap(struct mf_machine *m, int pid, uint64_t addr, uint64_t *entry);

struct mf_meminfo {
	uint64_t mem_total_kb, mem_free_kb;
	uint64_t hardware_corrupted_kb;	/* HardwareCorrupted */
	long hugepages_total, hugepages_free;
};
int mf_meminfo(struct mf_machine *m, struct mf_meminfo *out);

/*
 * /sys/devices/system/node/nodeN/memory_failure/ (6.12: update_per_node_mf_stats):
 * the errors action_result() reported on pages of node N since boot, in all and
 * per result. -ENOENT on a kernel without them (6.1) or a node the machine lacks.
 */
struct mf_node_mf_stats {
	uint64_t total, ignored, failed, delayed, recovered;
};
int mf_node_mf_stats(struct mf_machine *m, int node, struct mf_node_mf_stats *out);

/*
 * The kernel log. mf_log_next() returns the next unread line (without level
 * prefix or timestamp, as dmesg's text), its level in *level (may be NULL), or
 * NULL when every line was read. mf_log_skip() marks every line so far read.
 * mf_log_text() is the whole ring, "<level>[timestamp] text" lines.
 */
const char *mf_log_next(struct mf_machine *m, int *level);
int mf_log_skip(struct mf_machine *m);
const char *mf_log_text(struct mf_machine *m);

/* Pages a test wants to name, found as a pfn. */
enum {
	MF_PAGE_FREE,		/* a free page (deterministic pick) */
	MF_PAGE_FREE_HUGE,	/* a free hugetlb pool page */
	MF_PAGE_KERNEL,		/* a reserved kernel page */
	MF_PAGE_SLAB,		/* the slab page (allocated on first use) */
	MF_PAGE_METADATA,	/* a new block-device metadata page with idle buffers */
	MF_PAGE_METADATA_BUSY,	/* ... whose buffers are in use */
};
/* -ENOENT / -ENOMEM when there is no such page. May allocate (SLAB, METADATA*). */
int mf_find_page(struct mf_machine *m, int kind, uint64_t *pfn);
/*
 * The page user address addr of process pid maps, as pagemap would show it
 * (a hugetlb poison entry shows nothing). -ENOENT if nothing is mapped.
 */
int mf_virt_to_pfn(struct mf_machine *m, int pid, uint64_t addr, uint64_t *pfn);
/* The page-cache page (or, on pmem, the block: FIEMAP) of path at byte off. */
int mf_file_pfn(struct mf_machine *m, const char *path, uint64_t off, uint64_t *pfn);
/* The pmem pfn at byte offset off of the pmem device. */
int mf_pmem_pfn(struct mf_machine *m, uint64_t off, uint64_t *pfn);

/*
 * Run the model's invariant checker. Returns the number of violations (0 =
 * consistent); when report is not NULL and there are violations, *report is
 * a malloc'd text the caller frees.
 */
int mf_check_invariants(struct mf_machine *m, char **report);
/*
 * What mf_check_invariants_mode walks. MF_CHECK_FULL: everything, as
 * mf_check_invariants. MF_CHECK_CHANGED: the same checks, but of the frames
 * that changed since the machine's previous MF_CHECK_CHANGED (or
 * MF_CHECK_BEGIN) check (known from the host's write protection of the frame
 * array, and from what that check found on the free lists, in page tables and
 * in the swap cache), the page-table blocks written since, and the free lists
 * and the LRU when they changed; the page cache, the hugetlb pool and KSM are
 * walked whole. The first check, every 64th, and any after the host refused
 * to change a protection are full walks. MF_CHECK_BEGIN, on a machine as
 * mf_machine_create left it (no process, file or KSM yet): takes it as boot
 * left it, reading its free lists, LRU and hugetlb pool but not its frames,
 * and starts the checks of what changed from there (a full walk later checks
 * boot's work too); on any other machine it is MF_CHECK_CHANGED. While a
 * machine is checked this way its frame array is write-protected between
 * checks: the first write to each host page after a check costs a fault.
 * -EINVAL for another mode.
 */
enum mf_check_mode { MF_CHECK_FULL, MF_CHECK_CHANGED, MF_CHECK_BEGIN };
int mf_check_invariants_mode(struct mf_machine *m, enum mf_check_mode mode, char **report);
/* Counters and a page-types-like summary of the whole machine, to f. */
int mf_dump_state(struct mf_machine *m, FILE *f);

/* ==== Checkpoint and restore ============================================== */

/*
 * A checkpoint is a self-contained snapshot of a machine: mf_restore() makes
 * a new machine whose observable state (every observer above, and every
 * answer to every later call) equals the machine's at mf_checkpoint() time.
 * The checkpoint does not refer to the machine: either may be destroyed
 * first, and one checkpoint may be restored any number of times.
 *
 * A checkpoint holds an image of the machine's state (every object the model
 * allocated for it, and its frame array: memory about the size of that state)
 * and the calls that built it. mf_restore() makes a new machine by making the
 * calls again: it costs as much time as they took. mf_restore_into() resets
 * the machine the checkpoint was taken from, in place, by copying the image
 * back: it costs what copying the state costs (a 4 GiB machine with 100
 * processes: tens of milliseconds), whatever happened to the machine since
 * (even a panic or an out-of-memory stop). It returns -EXDEV for a checkpoint
 * of another machine, -EBUSY while contexts are interleaved (a concurrently
 * block: the others are suspended inside calls on the machine). Either way the result answers every later call as the
 * machine did at mf_checkpoint() time. A machine whose calls ran as
 * interleaved contexts (a concurrently block with a schedule) cannot be
 * replayed in order: mf_checkpoint() answers -EOPNOTSUPP.
 */
struct mf_checkpoint;
int mf_checkpoint(struct mf_machine *m, struct mf_checkpoint **out);
int mf_restore(const struct mf_checkpoint *cp, struct mf_machine **out);
int mf_restore_into(struct mf_machine *m, const struct mf_checkpoint *cp);
void mf_checkpoint_free(struct mf_checkpoint *cp);

/* ==== Concurrent contexts (the race explorer, docs/explore.md) ====
 *
 * Scheduling points: every lock and unlock of the model's locking seam, plus
 * the atomics the kernel uses between locks (refcount drops, PG_hwpoison, the
 * buddy allocator's zone lock, DAX XArray entry stores). The hook is
 * process-wide, set only while a concurrently block runs its contexts as
 * coroutines; without it a point costs one test of a pointer.
 */
struct machine;

enum mf_sp {
	MF_SP_LOCK,		/* before taking a lock (obj: the lock's object) */
	MF_SP_UNLOCK,		/* after releasing one */
	MF_SP_WAIT,		/* the lock is held by another context: sleep until someone moved */
	MF_SP_REF,		/* before a refcount drop (put_page) */
	MF_SP_FLAG,		/* before setting PG_hwpoison */
	MF_SP_ZONE,		/* before the buddy allocator takes its zone lock */
	MF_SP_XA,		/* before a DAX XArray entry store (lock, unlock, replace) */
	MF_SP__COUNT
};
/* m: the model's machine when the point knows it (may be NULL; never needed). */
typedef void (*mf_sched_hook_fn)(struct machine *m, enum mf_sp what, const void *obj, void *ctx);

/* kernel/locking.c */
void mf_set_sched_hook(mf_sched_hook_fn fn, void *ctx);
/* Contexts are interleaved now: a state between two points may be mid-operation. */
bool mf_sched_active(void);
const char *mf_sp_name(enum mf_sp what);

/* kernel/sched_explore.c */
/* The task making the running context's system call: saved and restored at each switch. */
void *mf_ctx_save(struct mf_machine *mm);
void mf_ctx_restore(struct mf_machine *mm, void *saved);
/*
 * A hash of the machine state (docs/explore.md): frames and page contents,
 * processes (VMAs, page tables, files, signals), files, swap, the LRU batch.
 */
uint64_t mf_state_hash(struct mf_machine *mm);
/*
 * The first failure of the checks valid at every scheduling point (a PTE or
 * a page-cache entry naming a free frame), kept until the next block starts.
 */
void mf_point_reset(void);
const char *mf_point_violation(void);
/* Unlocks of a DAX entry that found it replaced under its owner, so far (seed 003). */
unsigned long mf_dax_lock_losses(struct mf_machine *mm);


#endif
