/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Snapshots of a live Linux machine and the exposure classifier.
 *
 * snapshot/capture.c reads /proc and /sys (read-only) into a struct snapshot;
 * snapshot/format.c writes and reads it as the versioned file format of
 * docs/snapshot-format.md; snapshot/classify.c sorts every pfn into an
 * outcome of 6.1's memory_failure (docs/exposure.md); snapshot/report.c and
 * snapshot/plot.c print and draw the result.
 */
#ifndef MEMFAIL_SNAPSHOT_H
#define MEMFAIL_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "memfail/memfail.h"

#define SNAP_FORMAT_VERSION 1
#define SNAP_FLAG_ANONYMIZED 0x1

/* SigCgt/SigBlk/SigIgn are masks with bit (signo - 1): SIGBUS (7) is bit 6. */
#define SNAP_SIGBUS_BIT (1ULL << 6)

/* pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst) */
#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_FILE_SHARED_ANON (1ULL << 61)
#define PM_PFN_MASK ((1ULL << 55) - 1)

/* One present or swapped page of a process: a non-zero pagemap entry. */
struct snap_pte {
	uint64_t vpn; /* virtual address >> 12 */
	uint64_t entry;
};

struct snap_map {
	uint64_t start, end, pgoff, inode;
	char perms[5];
	char dev[16];
	char *path; /* "" for anonymous mappings */
};

struct snap_proc {
	int pid, threads;
	uint64_t sigcgt, sigblk, sigign;
	char *comm;
	struct snap_map *maps;
	size_t nr_maps, cap_maps;
	struct snap_pte *ptes; /* sorted by vpn */
	size_t nr_ptes, cap_ptes;
};

/* A top-level /proc/iomem (or /sys/firmware/memmap) range, in pfns. */
struct snap_range {
	uint64_t start_pfn, end_pfn; /* end exclusive */
	char *type;
};

struct snapshot {
	uint32_t version, flags;
	char *info; /* "key=value\n" lines; see docs/snapshot-format.md */
	char *meminfo, *buddyinfo, *zoneinfo, *swaps, *mounts, *hugepages;
	/* u64 per pfn from pfn 0; NULL when unreadable */
	uint64_t nr_pfns;
	uint64_t *kpageflags, *kpagecount, *kpagecgroup;
	struct snap_range *ranges;
	size_t nr_ranges, cap_ranges;
	struct snap_proc *procs;
	size_t nr_procs, cap_procs;
	char *missing; /* one line per thing not read and what it costs */
};

/* snapshot/capture.c */
struct snap_capture_opts {
	bool anonymize;
	bool with_counts; /* read /proc/kpagecount (exposure does not need it) */
	bool with_cgroup; /* read /proc/kpagecgroup (implies with_counts) */
	bool with_procs;
};
void snapshot_capture(struct snapshot *s, const struct snap_capture_opts *o);
void snapshot_free(struct snapshot *s);
/* Value of KEY in s->info, or NULL (the pointer is to a static copy). */
const char *snapshot_info(const struct snapshot *s, const char *key);
void snap_info_add(struct snapshot *s, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void snap_missing_add(struct snapshot *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int snap_parse_ranges(struct snapshot *s, const char *iomem_text);

/* snapshot/anon.c: keyed, stable hashes for names and paths */
void snap_anon_key(uint8_t key[16]);
void snap_anonymize(struct snapshot *s, const uint8_t key[16]);
uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);

/* snapshot/format.c: 0, or -1 with a message naming the section in err */
int snapshot_write(const struct snapshot *s, const char *path, char *err, size_t errlen);
int snapshot_encode(const struct snapshot *s, uint8_t **buf, size_t *len, char *err,
		    size_t errlen);
int snapshot_read(const char *path, struct snapshot *s, char *err, size_t errlen);
int snapshot_decode(const uint8_t *buf, size_t len, struct snapshot *s, char *err,
		    size_t errlen);
uint32_t snap_crc32(uint32_t crc, const void *data, size_t len);

/* snapshot/classify.c */
enum exp_class {
	EXP_NOT_RAM,
	EXP_DAX,
	EXP_HWPOISON,
	EXP_RESERVED,
	EXP_SLAB,
	EXP_PGTABLE,
	EXP_KERNEL,
	EXP_FREE,
	EXP_HUGETLB_FREE,
	EXP_HUGETLB,
	EXP_ZERO,
	EXP_KSM,
	EXP_THP,
	EXP_MLOCKED,
	EXP_SWAPCACHE_DIRTY,
	EXP_SWAPCACHE_CLEAN,
	EXP_ANON,
	EXP_SHMEM,
	EXP_FILE_DIRTY,
	EXP_FILE_CLEAN,
	EXP_UNKNOWN,
	EXP_NR_CLASSES
};

struct exp_class_info {
	const char *name, *label, *outcome;
	bool kills;	    /* a mapper of such a page gets SIGBUS */
	bool on_access_only; /* ... only when it touches it, even with early kill */
	double rgb[3];
};
extern const struct exp_class_info exp_classes[EXP_NR_CLASSES];

/* The class of a kpageflags word as kernel k (MF_KERNEL_*) reports and handles it. */
enum exp_class exp_classify(uint64_t kpf, bool ram, bool dax, enum mf_kernel k);
/* Classify pfns [first_pfn, first_pfn + n) into cls[]; s's ranges tell RAM and DAX. */
void exp_classify_all(const struct snapshot *s, uint64_t n, const uint64_t *kpf,
		      uint64_t first_pfn, uint8_t *cls, enum mf_kernel k);

struct exp_proc {
	const struct snap_proc *p;
	uint64_t pages[EXP_NR_CLASSES];
	uint64_t resident, fatal, swapped;
};

struct exp_file {
	const char *path;
	uint64_t resident, dirty, mappers;
};

struct exposure {
	const struct snapshot *s;
	enum mf_kernel kernel_id; /* the profile predicted */
	const char *kernel;	 /* its release: "6.1", "6.12" */
	char snap_kernel[128]; /* the kernel the snapshot was taken on */
	uint64_t nr_pfns;
	uint8_t *cls; /* per pfn */
	uint64_t count[EXP_NR_CLASSES];
	int early_kill, recovery; /* -1: unknown */
	struct exp_proc *procs;
	size_t nr_procs;
	struct exp_file *files;
	size_t nr_files, cap_files;
	uint64_t dirty_unmapped;
};

int exposure_build(struct exposure *e, const struct snapshot *s, enum mf_kernel k, char *err,
		   size_t errlen);
void exposure_count(struct exposure *e);
void exposure_free(struct exposure *e);

/* snapshot/report.c */
/* s with control characters as '?', in buf */
const char *snap_printable(const char *s, char *buf, size_t len);
/* "N pages", "X MiB" or "X GiB" */
const char *snap_size(uint64_t pages, char *buf, size_t len);
void exposure_print(const struct exposure *e, FILE *out, bool procs);
int exposure_print_json(const struct exposure *e, FILE *out);
/* "PFN CLASS KPAGEFLAGS" lines: up to k pfns per class, for injection experiments */
void exposure_print_sample(const struct exposure *e, unsigned k, FILE *out);
/* snapshot/plot.c: PNG or SVG by the file name's extension */
int exposure_plot(const struct exposure *e, const char *path, char *err, size_t errlen);

/* cli/snapshot.c: the subcommands (argv[0] is the subcommand's name) */
int memfail_cmd_snapshot(int argc, char **argv);
int memfail_cmd_exposure(int argc, char **argv);
/* --kernel's argument: 0, or -1 after saying why on stderr */
int exp_parse_kernel(const char *cmd, const char *arg, enum mf_kernel *k);

#endif
