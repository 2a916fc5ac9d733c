// SPDX-License-Identifier: GPL-2.0-only
/*
 * Capturing the processes: name, threads and SIGBUS disposition from
 * /proc/PID/status, the mappings, and the non-zero pagemap entries of each
 * mapping. PAGEMAP_SCAN (Linux 6.7+) lets the kernel skip the holes of huge,
 * sparse mappings such as a sanitizer's shadow; older kernels are read
 * mapping by mapping.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "memfail/array.h"
#include "memfail/snapshot.h"
#include "capture.h"

static void parse_status(struct snap_proc *p, char *t)
{
	for (char *l = t, *e; l && *l; l = e ? e + 1 : NULL) {
		unsigned long long v;

		e = strchr(l, '\n');
		if (e)
			*e = 0;
		if (!strncmp(l, "Name:\t", 6))
			p->comm = xstrdup(l + 6, "process name");
		else if (sscanf(l, "Threads: %d", &p->threads) == 1)
			continue;
		else if (sscanf(l, "SigBlk: %llx", &v) == 1)
			p->sigblk = v;
		else if (sscanf(l, "SigIgn: %llx", &v) == 1)
			p->sigign = v;
		else if (sscanf(l, "SigCgt: %llx", &v) == 1)
			p->sigcgt = v;
	}
	if (!p->comm)
		p->comm = xstrdup("?", "process name");
}

static void parse_maps(struct snap_proc *p, char *t)
{
	for (char *l = t, *e; *l; l = e + 1) {
		unsigned long long a, b, off, ino;
		struct snap_map m = { 0 };
		int used = -1;

		e = strchr(l, '\n');
		if (!e)
			break;
		*e = 0;
		if (sscanf(l, "%llx-%llx %4s %llx %15s %llu %n", &a, &b, m.perms, &off, m.dev, &ino,
			   &used) < 6 || used < 0)
			continue;
		m.start = a, m.end = b, m.pgoff = off, m.inode = ino;
		m.path = xstrdup(l + used, "mapped path");
		ARRAY_PUSH(p->maps, p->nr_maps, p->cap_maps, m, "process maps");
	}
}

/* PAGEMAP_SCAN (Linux 6.7+): the ranges holding present or swapped pages. */
struct pm_region {
	uint64_t start, end, categories;
};

struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};

#define PAGEMAP_SCAN_IOCTL _IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_PRESENT (1 << 3)
#define PAGE_IS_SWAPPED (1 << 4)
#define NR_REGIONS 1024
/* Without PAGEMAP_SCAN, larger mappings (sanitizer shadows) would take minutes. */
#define MAX_PLAIN_VMA (64ULL << 30)

struct proc_stats {
	int unreadable_maps, unreadable_pagemap, nopfn, skipped_vmas;
	bool no_scan;
};

/* Appends the non-zero pagemap entries of [va, end). */
static void read_range(struct snap_proc *p, int fd, uint64_t *buf, uint64_t va, uint64_t end)
{
	for (uint64_t v = va >> 12; v < end >> 12;) {
		uint64_t nr = (end >> 12) - v;
		ssize_t n;

		nr = nr > SNAP_CHUNK / 8 ? SNAP_CHUNK / 8 : nr;
		n = pread(fd, buf, nr * 8, (off_t)(v * 8));
		if (n <= 0)
			return;
		for (uint64_t k = 0; k < (uint64_t)n / 8; k++)
			if (buf[k]) {
				struct snap_pte pte = { v + k, buf[k] };

				ARRAY_PUSH(p->ptes, p->nr_ptes, p->cap_ptes, pte, "pagemap");
			}
		v += (uint64_t)n / 8;
	}
}

/* 0 when the kernel walked [start, end) for us, -1 when it has no PAGEMAP_SCAN. */
static int scan_ranges(struct snap_proc *p, int fd, uint64_t *buf, uint64_t start, uint64_t end)
{
	struct pm_region *vec = xcalloc(NR_REGIONS, sizeof(*vec), "pagemap scan");
	struct pm_scan_arg a = {
		.size = sizeof(a), .start = start, .end = end, .vec = (uintptr_t)vec,
		.vec_len = NR_REGIONS, .category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
	};

	while (a.start < end) {
		int n = ioctl(fd, PAGEMAP_SCAN_IOCTL, &a);

		if (n < 0) {
			free(vec);
			return -1;
		}
		for (int i = 0; i < n; i++)
			read_range(p, fd, buf, vec[i].start, vec[i].end);
		if (a.walk_end <= a.start)
			break;
		a.start = a.walk_end;
	}
	free(vec);
	return 0;
}

/* Non-zero pagemap entries of every mapping; 0, or -1 when unreadable. */
static int read_pagemap(struct snap_proc *p, uint64_t *buf, struct proc_stats *st)
{
	uint64_t end = 0;
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", p->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* the vsyscall page lies outside the user range pagemap covers */
	for (size_t i = 0; i < p->nr_maps; i++)
		if (strcmp(p->maps[i].path, "[vsyscall]"))
			end = p->maps[i].end;
	if (st->no_scan || scan_ranges(p, fd, buf, p->maps[0].start, end)) {
		st->no_scan = true;
		p->nr_ptes = 0;
		for (size_t i = 0; i < p->nr_maps; i++) {
			const struct snap_map *m = &p->maps[i];

			if (m->end > end)
				continue;
			if (m->end - m->start > MAX_PLAIN_VMA) {
				st->skipped_vmas++;
				continue;
			}
			read_range(p, fd, buf, m->start, m->end);
		}
	}
	close(fd);
	return 0;
}

static void capture_proc(struct snapshot *s, int pid, uint64_t *buf, struct proc_stats *st)
{
	struct snap_proc p = { .pid = pid };
	char path[64], *t;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (!(t = snap_slurp(path)))
		return; /* exited meanwhile */
	parse_status(&p, t);
	free(t);
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	if ((t = snap_slurp(path))) {
		parse_maps(&p, t);
		free(t);
	} else if (errno == EACCES || errno == EPERM) {
		st->unreadable_maps++;
	}
	if (p.nr_maps && read_pagemap(&p, buf, st))
		st->unreadable_pagemap++;
	for (size_t i = 0; i < p.nr_ptes; i++)
		if (p.ptes[i].entry & PM_PRESENT) {
			st->nopfn += !(p.ptes[i].entry & PM_PFN_MASK);
			break;
		}
	ARRAY_PUSH(s->procs, s->nr_procs, s->cap_procs, p, "snapshot processes");
}

/* memfail itself, after its pfn arrays are filled: its pages are in them. */
void snap_capture_self(struct snapshot *s)
{
	uint64_t *buf = xmalloc(SNAP_CHUNK, "pagemap buffer");
	struct proc_stats st = { 0 };

	capture_proc(s, getpid(), buf, &st);
	free(buf);
}

void snap_capture_procs(struct snapshot *s)
{
	uint64_t *buf = xmalloc(SNAP_CHUNK, "pagemap buffer");
	struct proc_stats st = { 0 };
	DIR *d = opendir("/proc");
	struct dirent *de;
	int self = getpid();

	if (!d) {
		snap_missing_add(s, "/proc: %s: no processes", strerror(errno));
		free(buf);
		return;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9' && atoi(de->d_name) != self)
			capture_proc(s, atoi(de->d_name), buf, &st);
	closedir(d);
	free(buf);
	if (st.unreadable_maps)
		snap_missing_add(s, "/proc/PID/maps of %d processes: permission denied: they "
				    "have no mappings in the per-process table",
				 st.unreadable_maps);
	if (st.unreadable_pagemap)
		snap_missing_add(s, "/proc/PID/pagemap of %d processes: permission denied: "
				    "their pages are not attributed to them",
				 st.unreadable_pagemap);
	if (st.nopfn)
		snap_missing_add(s, "/proc/PID/pagemap: pfns hidden in %d processes (needs "
				    "CAP_SYS_ADMIN): per-process and per-file exposure is unknown",
				 st.nopfn);
	if (st.skipped_vmas)
		snap_missing_add(s, "pagemap of %d mappings larger than %llu GiB (no PAGEMAP_SCAN "
				    "before Linux 6.7): their pages are not attributed to processes",
				 st.skipped_vmas, MAX_PLAIN_VMA >> 30);
}
