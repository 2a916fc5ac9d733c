/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The scenario language (docs/scenario-language.md) as a syntax tree.
 *
 * One parse serves every back end: the model (backend/model.c) and the real
 * kernel runner (conformance/). The parser fills these structures and never
 * interprets them; the driver (scenario/driver.c) walks them, resolving page
 * references and labels, checking expectations and printing the trace.
 */
#ifndef MEMFAIL_SCENARIO_H
#define MEMFAIL_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MF_NAME_MAX 16 /* task/thread/region/fd/label names: at most 15 bytes + NUL */
#define MF_PATH_MAX 64 /* "disk:data" style file names */
#define MF_MAX_KERNELS 2 /* the kernel profiles: 6.1, 6.12 */

enum mf_fs {
	MF_FS_DISK,	 /* regular file on the disk filesystem (ext4 in the guest) */
	MF_FS_TMPFS,	 /* shmem file */
	MF_FS_HUGETLBFS, /* hugetlbfs file */
	/* files on the pmem filesystem, mounted dax=always (one kind per scenario) */
	MF_FS_PMEM_XFS,	 /* pmem-xfs: XFS reflink=1 rmapbt=1 */
	MF_FS_PMEM_XFS_NORMAP, /* pmem-xfs-normap: XFS reflink=1 rmapbt=0 */
	MF_FS_PMEM_EXT4, /* pmem-ext4: ext4 -o dax=always */
};
#define MF_FS_IS_PMEM(fs) ((fs) >= MF_FS_PMEM_XFS)

/* A byte pattern: fill=index, fill=0xNN, or nothing given. */
enum mf_pattern_kind { MF_PAT_NONE, MF_PAT_INDEX, MF_PAT_BYTE };
struct mf_pattern {
	enum mf_pattern_kind kind;
	uint8_t byte;
};

/* REGION+OFFSET as written in a task step. */
struct mf_addr {
	char region[MF_NAME_MAX];
	uint64_t off;
};

/* A page reference (spec section 6); resolved to a pfn when its step runs. */
enum mf_pref_kind {
	MF_PREF_TASK,	   /* A:buf+0x1000 */
	MF_PREF_FILE,	   /* file disk:data+8K */
	MF_PREF_FREE,	   /* free */
	MF_PREF_FREE_HUGE, /* free-huge */
	MF_PREF_KERNEL,	   /* kernel */
	MF_PREF_SLAB,	   /* slab (model-only) */
	MF_PREF_METADATA,  /* metadata: a block-device page with idle buffers (model-only) */
	MF_PREF_METADATA_BUSY, /* metadata-busy: its buffers are in use (model-only) */
	MF_PREF_LABEL,	   /* a label bound earlier */
	MF_PREF_PMEM,	   /* pmem+OFF: the pmem pfn at that device offset (file_off) */
};
/* Page references only the model can resolve: user space cannot name such pages. */
#define mf_pref_model_only(k) \
	((k) == MF_PREF_SLAB || (k) == MF_PREF_METADATA || (k) == MF_PREF_METADATA_BUSY)

struct mf_pageref {
	enum mf_pref_kind kind;
	char task[MF_NAME_MAX]; /* MF_PREF_TASK */
	struct mf_addr addr;	/* MF_PREF_TASK */
	enum mf_fs fs;		/* MF_PREF_FILE */
	const char *file;	/* MF_PREF_FILE: name without the "fs:" prefix */
	uint64_t file_off;	/* MF_PREF_FILE */
	char label[MF_NAME_MAX];/* MF_PREF_LABEL */
};

/* Every operation: task steps, system steps and declarations. */
enum mf_op {
	/* declarations */
	MF_OP_FILE, MF_OP_TASK, MF_OP_THREAD, MF_OP_SYSCTL,
	/* task steps: memory */
	MF_OP_MMAP, MF_OP_MUNMAP, MF_OP_MLOCK, MF_OP_MUNLOCK, MF_OP_MADVISE,
	MF_OP_LOAD, MF_OP_STORE, MF_OP_FILL, MF_OP_CHECK,
	MF_OP_PRCTL_MCE_KILL, MF_OP_PRCTL_MCE_KILL_GET, MF_OP_EXIT,
	MF_OP_PIN, MF_OP_UNPIN,	/* vmsplice into a pipe the task keeps; close them all */
	/* task steps: files */
	MF_OP_OPEN, MF_OP_READ, MF_OP_WRITE, MF_OP_FSYNC, MF_OP_FDATASYNC,
	MF_OP_MSYNC, MF_OP_FTRUNCATE, MF_OP_PUNCH, MF_OP_CLOSE, MF_OP_UNLINK,
	/* system steps */
	MF_OP_CORRUPT_PFN, MF_OP_UNPOISON, MF_OP_HARD_OFFLINE, MF_OP_SOFT_OFFLINE,
	MF_OP_FILTER_ENABLE, MF_OP_FILTER_DISABLE, MF_OP_MCE_SRAO, MF_OP_MCE_SRAR,
	MF_OP_SYNC, MF_OP_DROP_CACHES, MF_OP_RECLAIM, MF_OP_LABEL,
	MF_OP_REFLINK,		/* reflink SRC DST [SRC_OFF LEN DST_OFF]: FICLONE(RANGE) */
	MF_OP_KSM_SCAN,		/* ksm-scan: ksmd runs until two full scans are done */
	MF_OP_SWAPOFF,		/* swapoff: swapoff(2) of the machine's swap device */
	/* a concurrently block: the steps up to end run as concurrent contexts */
	MF_OP_CONCURRENTLY, MF_OP_END_CONCURRENTLY,
	MF_OP__COUNT
};

/* What a statement is (one table of kinds: scenario/stmt_table.c). */
enum mf_stmt_class {
	MF_CLASS_DECL,		/* file, task, thread, sysctl */
	MF_CLASS_TASK,		/* "TASK: op ...": a system call of that task */
	MF_CLASS_SYSTEM,	/* injections, filters, sync, labels, ... */
};
#define MF_OPF_PAGEREF	 0x1u	/* names one page in st->ref, resolved by the driver */
#define MF_OPF_INJECTS	 0x2u	/* may inject an error (st->as binds the page) */
#define MF_OPF_MODEL_ONLY 0x4u	/* only the model can run it */

enum mf_stmt_class mf_op_class(enum mf_op op);
unsigned mf_op_flags(enum mf_op op);

enum mf_mmap_kind { MF_MAP_ANON, MF_MAP_FILE, MF_MAP_FD, MF_MAP_SYSV };
enum mf_madv {
	MF_MADV_HWPOISON, MF_MADV_SOFT_OFFLINE, MF_MADV_HUGEPAGE, MF_MADV_NOHUGEPAGE,
	MF_MADV_DONTNEED, MF_MADV_PAGEOUT, MF_MADV_WILLNEED, MF_MADV_COLLAPSE,
	MF_MADV_MERGEABLE, MF_MADV_UNMERGEABLE,	/* KSM (MADV_MERGEABLE 12, MADV_UNMERGEABLE 13) */
};
/* madvise advice that injects (hwpoison, soft_offline) */
bool mf_madv_injects(enum mf_madv advice);
enum mf_mce_kill { MF_MCE_KILL_EARLY, MF_MCE_KILL_LATE, MF_MCE_KILL_CLEAR };
enum mf_file_state { MF_FILE_SYNCED, MF_FILE_DIRTY, MF_FILE_HOLE, MF_FILE_UNCACHED };

/* Expected result after "=>" (spec section 7). */
enum mf_expres_kind {
	MF_EXP_NONE,
	MF_EXP_TEXT,	 /* compared with the result text: "0", "EIO", "0x41", "index", "mismatch", "EOF" */
	MF_EXP_SIGNAL,	 /* SIGBUS AR [addr=..] [lsb=..]; also SIGBUS ADRERR, SIGSEGV ACCERR */
	MF_EXP_KILLED,	 /* killed SIGBUS */
	MF_EXP_SHORT,	 /* read: "2K index": N bytes then a read-result word */
};
struct mf_expres {
	enum mf_expres_kind kind;
	char text[32];		/* TEXT, SHORT: the word; SIGNAL/KILLED: signal name "SIGBUS" */
	char code[16];		/* SIGNAL: "AR", "AO", "ADRERR", "ACCERR" (without BUS_MCEERR_ etc.) */
	bool has_addr, has_lsb;
	struct mf_addr addr;
	int lsb;
	uint64_t short_len;	/* SHORT */
	char kernel[8];		/* "=>@6.12 ...": this kernel's result; "" = every other kernel */
	struct mf_expres *next;	/* the other kernels' results ("=> A =>@6.12 B") */
};

/* One entry of "expect A signals ...". */
struct mf_expsig {
	char code[16];		/* "AO", "AR", "ADRERR", "ACCERR" */
	char signame[8];	/* "SIGBUS", "SIGSEGV" */
	bool has_addr, has_lsb;
	struct mf_addr addr;
	int lsb;
};

enum mf_expect_kind {
	MF_EXPECT_SIGNALS,	/* expect A[.t] signals ... | none */
	MF_EXPECT_ALIVE, MF_EXPECT_KILLED, MF_EXPECT_EXITED,
	MF_EXPECT_LOG, MF_EXPECT_NO_LOG,
	MF_EXPECT_HWCORRUPT,	/* expect hardware-corrupted +4K */
	MF_EXPECT_PAGE,		/* expect page P hwpoison !buddy */
	MF_EXPECT_IS, MF_EXPECT_IS_NOT, /* expect A:buf+0 is P */
	MF_EXPECT_HUGEPAGES,	/* expect hugepages free=7 total=8 */
	MF_EXPECT_MF_STATS,	/* expect memory-failure-stats node=0 total=+1 recovered=+1 */
};

/* The per-node memory_failure statistics, in sysfs order (6.12). */
enum { MF_STAT_TOTAL, MF_STAT_IGNORED, MF_STAT_FAILED, MF_STAT_DELAYED, MF_STAT_RECOVERED,
       MF_STAT_NR };
extern const char *const mf_stat_names[MF_STAT_NR];

#define MF_MAX_EXPSIG 16
#define MF_MAX_FLAGS 16
struct mf_expect {
	enum mf_expect_kind kind;
	char task[MF_NAME_MAX];	  /* SIGNALS/ALIVE/KILLED/EXITED */
	char thread[MF_NAME_MAX]; /* SIGNALS: "" = whole process, "main" = main thread */
	int nsig;
	struct mf_expsig sig[MF_MAX_EXPSIG];
	char signame[8];	  /* KILLED */
	int exit_code;		  /* EXITED (optional: has_exit_code) */
	bool has_exit_code;
	char *log;		  /* LOG/NO_LOG substring, malloc'd */
	int64_t hwcorrupt_bytes;  /* HWCORRUPT: signed change in bytes */
	char label[MF_NAME_MAX];  /* PAGE/IS/IS_NOT */
	int nflags;		  /* PAGE */
	int flag_bit[MF_MAX_FLAGS];  /* kpageflags bit numbers */
	bool flag_set[MF_MAX_FLAGS]; /* false for "!name" */
	struct mf_pageref ref;	  /* IS/IS_NOT: the left side; PAGE: the page */
	struct mf_pageref rhs;	  /* IS/IS_NOT: the right side (a label, or any page reference) */
	bool has_free, has_total; /* HUGEPAGES */
	long hp_free, hp_total;
	int mfs_node;		  /* MF_STATS: node, which counters (bit MF_STAT_*), changes */
	unsigned mfs_mask;
	uint64_t mfs_delta[MF_STAT_NR];
};

/* A statement. Fields are used by the ops noted beside them. */
struct mf_stmt {
	int line, col;		 /* first line of the statement */
	bool is_expect;		 /* an "expect" statement: see .expect */
	char on_kernel[8];	 /* "expect@6.12": checked on that kernel only ("" = all) */
	enum mf_op op;		 /* otherwise the operation */
	char task[MF_NAME_MAX];	 /* task steps: process name; TASK, THREAD: the new task */
	char thread[MF_NAME_MAX];/* task steps: "" = main thread; THREAD: the new thread */
	char name[MF_NAME_MAX];	 /* MMAP region, OPEN fd, LABEL label, MUNMAP/MLOCK/MSYNC region ... */
	char fd[MF_NAME_MAX];	 /* READ/WRITE/FSYNC/FDATASYNC/FTRUNCATE/PUNCH/CLOSE, MMAP fd */
	char as[MF_NAME_MAX];	 /* "as NAME" of an injection ("" if none) */

	/* FILE; MMAP file; OPEN; UNLINK */
	enum mf_fs fs;
	const char *file;	 /* (strings live as long as the scenario) */
	uint64_t size;		 /* FILE size; MMAP/MLOCK/MUNLOCK/MADVISE/FILL/CHECK/MSYNC length
				    (MSYNC: 0 = whole region); READ/WRITE length; FTRUNCATE size; PUNCH len */
	enum mf_file_state fstate; /* FILE */
	bool aligned;		 /* FILE (pmem): 2 MiB-aligned extents (extent size hint + fallocate) */
	const char *file2;	 /* REFLINK destination (same fs as file) */
	uint64_t offset2;	 /* REFLINK destination offset (source: offset, length: size, 0 = FICLONE) */
	struct mf_pattern pat;	 /* FILE fill=, MMAP fill=, WRITE fill=, FILL/CHECK pattern */

	/* TASK */
	char parent[MF_NAME_MAX];/* TASK fork PARENT ("" if none) */
	bool sigbus_default;	 /* TASK sigbus=default */

	/* MMAP */
	enum mf_mmap_kind mkind;
	bool shared, ro, populate, locked, hugetlb, thp;
	uint64_t offset;	 /* MMAP offset=; READ/WRITE/PUNCH file offset */
	bool rw;		 /* OPEN rw (false: ro) */

	/* memory addressing: MLOCK/MUNLOCK/MADVISE/LOAD/STORE/FILL/CHECK */
	struct mf_addr addr;
	uint8_t byte;		 /* STORE value */
	enum mf_madv madv;	 /* MADVISE */
	enum mf_mce_kill mce_kill; /* PRCTL_MCE_KILL */

	/* system steps */
	struct mf_pageref ref;	 /* CORRUPT_PFN/UNPOISON/HARD_OFFLINE/SOFT_OFFLINE/MCE_SRAO/MCE_SRAR/RECLAIM/LABEL */
	uint64_t flags_mask, flags_value; /* FILTER_ENABLE */
	int drop_caches;	 /* DROP_CACHES 1|2|3 */
	const char *sysctl_key;	 /* SYSCTL, e.g. "vm.memory_failure_early_kill" */
	const char *sysctl_val;
	int nctx;		 /* CONCURRENTLY: the steps that follow it, up to its end */
	const char *schedule;	 /* CONCURRENTLY: "1x4 2 1" or NULL (listed order) */

	/* Out of line (malloc'd): most statements have neither, and a statement
	 * stays small enough for a million of them. */
	struct mf_expres *expres; /* "=> ...", or NULL */
	struct mf_expect *expect; /* when is_expect */
};

struct mf_machine_cfg {
	uint64_t memory;	 /* bytes, default 256M */
	uint64_t swap;		 /* bytes, default 0 */
	long hugepages;		 /* 2M pool pages, default 0 */
	long overcommit;	 /* nr_overcommit_hugepages, default 0 */
	int thp;		 /* 0 never, 1 madvise, 2 always; default madvise */
	int shmem_thp;		 /* 0 never, 1 advise, 2 within_size, 3 always; default never */
	int nodes;		 /* default 1 */
	uint64_t pmem;		 /* bytes of persistent memory (legacy e820 pmem), default 0 */
};

struct mf_sysctl_kv {
	char key[64];
	char val[32];
};

/* The expected result of st on that kernel: its "=>@KERNEL", else its "=>" (NULL: none). */
const struct mf_expres *mf_expres_for(const struct mf_stmt *st, const char *kernel);

struct mf_scenario {
	char *path;		 /* as given on the command line */
	char *title;
	char kernel[16];	 /* the profile run: "6.1", "6.12" (default: the header's first) */
	int nkernels;		 /* the kernels the header names ("kernel 6.1 6.12"), 1 by default */
	char kernels[MF_MAX_KERNELS][8];
	struct mf_machine_cfg machine;
	bool requires_model;
	int nsysctl;		 /* header sysctls, applied before the first statement */
	struct mf_sysctl_kv *sysctl;
	int nstmt;
	struct mf_stmt *stmt;	 /* declarations and steps, in file order */
	struct mf_strpool *strings; /* what the statements' string pointers point to */
};

/* Parse error: "file:line:column: error: found X, expected Y" in msg. */
struct mf_parse_error {
	int line, col;
	char msg[512];
};

/* Parse a file / a buffer. Returns NULL and fills err on failure. */
struct mf_scenario *mf_scenario_parse_file(const char *path, struct mf_parse_error *err);
struct mf_scenario *mf_scenario_parse_buf(const char *path, const char *buf, size_t len,
					  struct mf_parse_error *err);
void mf_scenario_free(struct mf_scenario *sc);

/* Canonical step text (spec section 9) into buf; returns buf. */
const char *mf_stmt_canonical(const struct mf_stmt *st, char *buf, size_t len);
const char *mf_op_name(enum mf_op op);
/* The statement syntax of every kind, by class (for `memfail help statements`). */
void mf_stmt_help(FILE *f);

/* kpageflags bit number for a page-types name ("hwpoison" -> 19), -1 if unknown. */
int mf_kpf_bit(const char *name);
const char *mf_kpf_name(int bit);

#endif
