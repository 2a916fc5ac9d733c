/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * System side of the Linux back end: sysctls, scenario files, injections
 * (debugfs hwpoison, sysfs {hard,soft}_offline_page), /dev/kmsg and the /proc
 * readers (meminfo, kpageflags, pagemap). Poisoned pages: lb_unpoison.c.
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "lb.h"

void lb_set_errno(struct mf_result *res, int err)
{
	res->kind = MF_RES_ERRNO;
	res->err = err ? err : EIO;
}

int lb_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

int lb_write_file_create(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

int lb_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return (int)n;
}

int lb_sysctl_set(const char *key, const char *val)
{
	char path[160];
	int n = snprintf(path, sizeof(path), "/proc/sys/%s", key);

	if (!strncmp(key, "vm.dirty_", 9))
		return 0;	/* accepted and ignored: no background write-back */
	for (int i = 10; i < n; i++)
		if (path[i] == '.')
			path[i] = '/';
	return lb_write_file(path, val);
}

void lb_file_path(enum mf_fs fs, const char *name, char *buf, size_t len)
{
	const char *dir = fs == MF_FS_DISK ? LB_EXT4_DIR : fs == MF_FS_TMPFS ? LB_TMPFS_DIR : LB_HUGE_DIR;

	if (MF_FS_IS_PMEM(fs)) {
		lb_dax_path(name, buf, len);
		return;
	}
	snprintf(buf, len, "%s/%s", dir, name);
}

static int fill_fd(int fd, const struct mf_stmt *st)
{
	static uint8_t page[LB_PAGE];

	for (uint64_t off = 0; off < st->size; off += LB_PAGE) {
		memset(page, lb_pattern_byte(&st->pat, off / LB_PAGE), sizeof(page));
		uint64_t n = st->size - off < LB_PAGE ? st->size - off : LB_PAGE;

		if (pwrite(fd, page, n, (off_t)off) != (ssize_t)n)
			return -1;
	}
	return 0;
}

/* file FS:NAME size=… fill=… synced|dirty|hole|uncached */
int lb_create_file(const struct mf_stmt *st, struct mf_result *res)
{
	char path[LB_PATH_MAX];
	int fd, rc = 0;

	lb_file_path(st->fs, st->file, path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		lb_set_errno(res, errno);
		return -1;
	}
	if (st->fs == MF_FS_HUGETLBFS) {
		uint8_t *m;

		rc = ftruncate(fd, (off_t)st->size);
		if (!rc && st->fstate == MF_FILE_HOLE)
			goto out;	/* no page instantiated */
		m = rc ? MAP_FAILED : mmap(NULL, st->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) {
			rc = -1;
		} else {
			for (uint64_t off = 0; off < st->size; off += LB_PAGE)
				memset(m + off, lb_pattern_byte(&st->pat, off / LB_PAGE), LB_PAGE);
			munmap(m, st->size);
		}
	} else if (MF_FS_IS_PMEM(st->fs) && lb_dax_prepare(fd, st)) {
		rc = -1;
	} else if (st->fstate == MF_FILE_HOLE) {
		rc = ftruncate(fd, (off_t)st->size);
	} else {
		rc = fill_fd(fd, st);
		if (!rc && (st->fs == MF_FS_DISK || MF_FS_IS_PMEM(st->fs)) &&
		    (st->fstate == MF_FILE_SYNCED || st->fstate == MF_FILE_UNCACHED))
			rc = fsync(fd);
		if (!rc && st->fs == MF_FS_DISK && st->fstate == MF_FILE_UNCACHED)
			rc = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) ? -1 : 0;
	}
out:
	if (rc)
		lb_set_errno(res, errno);
	else
		res->kind = MF_RES_OK;
	close(fd);
	return rc;
}

/* ---- /proc readers -------------------------------------------------------- */

uint64_t lb_meminfo(const char *key)
{
	static char buf[8192];
	size_t kl = strlen(key);

	if (lb_read_file("/proc/meminfo", buf, sizeof(buf)) < 0)
		return 0;
	for (char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == ':')
			return strtoull(p + kl + 1, NULL, 10);
	return 0;
}

int lb_kpageflags(uint64_t pfn, uint64_t *flags)
{
	int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, flags, sizeof(*flags), (off_t)(pfn * 8));
	close(fd);
	return n == sizeof(*flags) ? 0 : -1;
}

/*
 * pfn of the page mapped at vaddr in pid: bit 63 present (pfn in bits 0-54),
 * bit 62 swap (type in bits 0-4, offset above): a hwpoison entry (and a
 * migration entry) carries the pfn as its offset.
 */
int lb_pagemap(int pid, uint64_t vaddr, uint64_t *pfn, bool *present)
{
	char path[64];
	uint64_t e;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = pread(fd, &e, sizeof(e), (off_t)(vaddr / LB_PAGE * 8));
	close(fd);
	if (n != sizeof(e))
		return -1;
	*present = (e >> 63) & 1;
	if (*present) {
		*pfn = e & ((1ULL << 55) - 1);
		return 0;
	}
	if ((e >> 62) & 1) {
		uint64_t type = e & 0x1f, off = (e & ((1ULL << 55) - 1)) >> 5;

		if (type >= 23) {	/* not a real swap device: pfn-carrying entry */
			*pfn = off;
			return 0;
		}
	}
	return -1;
}

int lb_resolve_file(const struct mf_pageref *ref, uint64_t *pfn, char *msg, size_t len)
{
	char path[LB_PATH_MAX];
	uint64_t span = ref->fs == MF_FS_HUGETLBFS ? LB_HPAGE : LB_PAGE;
	uint64_t base = ref->file_off / span * span;
	bool present = false;
	int fd, rc = -1;
	uint8_t *m;

	if (MF_FS_IS_PMEM(ref->fs))
		return lb_dax_resolve(ref, pfn, msg, len);	/* FIEMAP: no page cache */
	lb_file_path(ref->fs, ref->file, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(msg, len, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	m = mmap(NULL, span, PROT_READ, MAP_SHARED, fd, (off_t)base);
	close(fd);
	if (m == MAP_FAILED) {
		snprintf(msg, len, "cannot map %s: %s", path, strerror(errno));
		return -1;
	}
	if (span == LB_PAGE) {
		unsigned char vec = 0;

		if (mincore(m, LB_PAGE, &vec) < 0 || !(vec & 1)) {
			snprintf(msg, len, "no page-cache page at that offset");
			goto out;
		}
	}
	madvise(m, span, LB_MADV_POPULATE_READ);
	if (lb_pagemap(getpid(), (uint64_t)(uintptr_t)m + (ref->file_off - base), pfn, &present) ||
	    !present)
		snprintf(msg, len, "no page-cache page at that offset");
	else
		rc = 0;
out:
	munmap(m, span);
	return rc;
}

/* reclaim file X+off: drop that clean page-cache page; EAGAIN if it stays */
int lb_reclaim_file(const struct mf_pageref *ref, struct mf_result *res)
{
	char path[LB_PATH_MAX];
	uint64_t off = ref->file_off / LB_PAGE * LB_PAGE;
	unsigned char vec = 0;
	uint8_t *m;
	int fd;

	lb_file_path(ref->fs, ref->file, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		lb_set_errno(res, errno);
		return -1;
	}
	posix_fadvise(fd, (off_t)off, LB_PAGE, POSIX_FADV_DONTNEED);
	m = mmap(NULL, LB_PAGE, PROT_READ, MAP_SHARED, fd, (off_t)off);
	close(fd);
	if (m == MAP_FAILED) {
		lb_set_errno(res, errno);
		return -1;
	}
	mincore(m, LB_PAGE, &vec);
	munmap(m, LB_PAGE);
	if (vec & 1)
		lb_set_errno(res, EAGAIN);
	else
		res->kind = MF_RES_OK;
	return 0;
}

uint64_t *lb_read_kpageflags(uint64_t *npfn)
{
	int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	size_t cap = 1 << 18, n = 0;
	uint64_t *v = malloc(cap * 8);

	if (fd < 0 || !v) {
		if (fd >= 0)
			close(fd);
		free(v);
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			uint64_t *nv = realloc(v, cap * 2 * 8);

			if (!nv)
				break;
			v = nv;
			cap *= 2;
		}
		ssize_t r = pread(fd, v + n, (cap - n) * 8, (off_t)(n * 8));

		if (r <= 0)
			break;
		n += (size_t)r / 8;
	}
	close(fd);
	*npfn = n;
	return v;
}


/* free: the highest buddy head not poisoned; free-huge: a free hugetlb head */
int lb_find_free(bool huge, uint64_t *pfn, char *msg, size_t len)
{
	uint64_t n = 0, *f = lb_read_kpageflags(&n);

	if (!f) {
		snprintf(msg, len, "cannot read /proc/kpageflags");
		return -1;
	}
	for (uint64_t i = n; i-- > 0;) {
		uint64_t v = f[i];

		if (v & BIT(LB_KPF_HWPOISON))
			continue;
		if (!huge && (v & BIT(LB_KPF_BUDDY))) {
			*pfn = i;
			free(f);
			return 0;
		}
		if (huge && (v & BIT(LB_KPF_HUGE)) && (v & BIT(LB_KPF_COMPOUND_HEAD)) &&
		    !(v & (BIT(LB_KPF_MMAP) | BIT(LB_KPF_ANON)))) {
			*pfn = i;
			free(f);
			return 0;
		}
	}
	free(f);
	snprintf(msg, len, "no %s page", huge ? "free hugetlb" : "free");
	return -1;
}

/* kernel: the first reserved page at or above 1M not poisoned yet */
int lb_find_kernel(uint64_t *pfn, char *msg, size_t len)
{
	uint64_t n = 0, *f = lb_read_kpageflags(&n);

	if (!f) {
		snprintf(msg, len, "cannot read /proc/kpageflags");
		return -1;
	}
	for (uint64_t i = 0x100; i < n; i++) {
		if ((f[i] & BIT(LB_KPF_RESERVED)) && !(f[i] & BIT(LB_KPF_HWPOISON))) {
			*pfn = i;
			free(f);
			return 0;
		}
	}
	free(f);
	snprintf(msg, len, "no reserved page");
	return -1;
}

/* ---- kernel log ------------------------------------------------------------ */

void lb_kmsg_open(struct lb *lb)
{
	lb->kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (lb->kmsg_fd >= 0)
		lseek(lb->kmsg_fd, 0, SEEK_END);
}

static void dmesg_append(struct lb *lb, const char *s, size_t n)
{
	if (lb->dmesg_len + n + 2 > lb->dmesg_cap) {
		size_t cap = (lb->dmesg_cap + n + 2) * 2;
		char *d = realloc(lb->dmesg, cap);

		if (!d)
			return;
		lb->dmesg = d;
		lb->dmesg_cap = cap;
	}
	memcpy(lb->dmesg + lb->dmesg_len, s, n);
	lb->dmesg_len += n;
	lb->dmesg[lb->dmesg_len++] = '\n';
	lb->dmesg[lb->dmesg_len] = 0;
}

/* kmsg record: "prio,seq,usec,flags;text\n" then " KEY=VALUE" lines; \xNN escapes */
void lb_kmsg_drain(struct lb *lb, struct mf_events *evs)
{
	char rec[2048];

	if (lb->kmsg_fd < 0)
		return;
	for (;;) {
		ssize_t n = read(lb->kmsg_fd, rec, sizeof(rec) - 1);

		if (n < 0 && errno == EPIPE)
			continue;	/* overrun: records lost, go on */
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		char *t = strchr(rec, ';');

		if (!t)
			continue;
		t++;
		char *nl = strchr(t, '\n');

		if (nl)
			*nl = 0;
		struct mf_event e;
		size_t o = 0;

		memset(&e, 0, sizeof(e));
		e.kind = MF_EV_LOG;
		for (char *p = t; *p && o + 1 < sizeof(e.text); p++) {
			unsigned int c;

			if (p[0] == '\\' && p[1] == 'x' && sscanf(p + 2, "%2x", &c) == 1) {
				e.text[o++] = (char)c;
				p += 3;
			} else {
				e.text[o++] = *p;
			}
		}
		e.text[o] = 0;
		dmesg_append(lb, e.text, o);
		if (!lb_oops_scan(lb, e.text))
			mf_events_push(evs, &e);
	}
}

/* ---- system steps ----------------------------------------------------------- */

static void res_write(struct mf_result *res, int rc)
{
	if (rc < 0)
		lb_set_errno(res, -rc);
	else
		res->kind = MF_RES_OK;
}

static int write_u64(const char *path, uint64_t v)
{
	char s[32];

	snprintf(s, sizeof(s), "%#llx", (unsigned long long)v);
	return lb_write_file(path, s);
}

void lb_system_step(struct lb *lb, const struct mf_stmt *st, const uint64_t *pfns, int nr,
		    struct mf_result *res)
{
	uint64_t pfn = nr > 0 ? pfns[0] : 0;
	char v[16];

	switch (st->op) {
	case MF_OP_CORRUPT_PFN:
		lb_note_poison(lb, pfn);
		res_write(res, write_u64(LB_HWPOISON_DIR "/corrupt-pfn", pfn));
		break;
	case MF_OP_UNPOISON:
		res_write(res, lb_unpoison(pfn));
		break;
	case MF_OP_HARD_OFFLINE:
		lb_note_poison(lb, pfn);
		res_write(res, write_u64("/sys/devices/system/memory/hard_offline_page", pfn * LB_PAGE));
		break;
	case MF_OP_SOFT_OFFLINE:
		lb_note_poison(lb, pfn);
		res_write(res, write_u64("/sys/devices/system/memory/soft_offline_page", pfn * LB_PAGE));
		break;
	case MF_OP_FILTER_ENABLE: {
		int rc = write_u64(LB_HWPOISON_DIR "/corrupt-filter-flags-mask", st->flags_mask);

		if (!rc)
			rc = write_u64(LB_HWPOISON_DIR "/corrupt-filter-flags-value", st->flags_value);
		if (!rc)
			rc = lb_write_file(LB_HWPOISON_DIR "/corrupt-filter-enable", "1");
		res_write(res, rc);
		break;
	}
	case MF_OP_FILTER_DISABLE:
		res_write(res, lb_write_file(LB_HWPOISON_DIR "/corrupt-filter-enable", "0"));
		break;
	case MF_OP_SYNC:
		sync();
		res->kind = MF_RES_OK;
		break;
	case MF_OP_KSM_SCAN:
		lb_ksm_scan(res);
		break;
	case MF_OP_SWAPOFF:
		res_write(res, lb_swapoff(lb));
		break;
	case MF_OP_DROP_CACHES:
		snprintf(v, sizeof(v), "%d", st->drop_caches);
		res_write(res, lb_write_file("/proc/sys/vm/drop_caches", v));
		break;
	case MF_OP_LABEL:
		res->kind = MF_RES_OK;
		break;
	case MF_OP_MCE_SRAO:
	case MF_OP_MCE_SRAR:
	default:
		res->kind = MF_RES_SKIP;
		snprintf(res->msg, sizeof(res->msg), "model-only statement");
		break;
	}
}

bool lb_in_vm(void)
{
	char buf[128];
	unsigned int a, b, c, d;

	if (lb_read_file("/sys/class/dmi/id/sys_vendor", buf, sizeof(buf)) > 0 &&
	    (strstr(buf, "QEMU") || strstr(buf, "KVM") || strstr(buf, "VMware") ||
	     strstr(buf, "Xen") || strstr(buf, "Microsoft")))
		return true;
	if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 31)))
		return true;
	return false;
}
