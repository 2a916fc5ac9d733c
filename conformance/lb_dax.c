/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The linux back end's pmem pieces. The guest boots with memmap=512M!1G
 * (legacy pmem, /dev/pmem0 through nd_e820 + nd_pmem) and QEMU's loader
 * device copies a filesystem image made on the host into that range, so the
 * filesystem is pristine at every boot; guest-init.sh mounts it dax=always on
 * /mnt/pmem and writes its variant to /mf/pmem (conformance/pmem-run.sh runs
 * one DAX scenario per boot). Pfns come from FIEMAP + the pmem start in
 * /proc/iomem, as the kernel oracle found them to agree with pagemap.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "lb.h"

#define LB_PMEM_DIR "/mnt/pmem"
#define LB_PMEM_SIZE (512ULL << 20)
#define XFS_MAGIC 0x58465342
#define EXT4_MAGIC_DAX 0xEF53

static const char *variant_of(enum mf_fs fs)
{
	return fs == MF_FS_PMEM_XFS ? "xfs" : fs == MF_FS_PMEM_XFS_NORMAP ? "xfs-normap" : "ext4";
}

/* Physical start of the pmem namespace, from /proc/iomem; 0 if none. */
static uint64_t pmem_base(void)
{
	static uint64_t base;
	char line[256];
	FILE *f;

	if (base)
		return base;
	f = fopen("/proc/iomem", "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long s, e;

		if (strstr(line, "Persistent Memory") && sscanf(line, " %llx-%llx", &s, &e) == 2) {
			base = s;
			break;
		}
	}
	if (f)
		fclose(f);
	return base;
}

/* Can this guest run the scenario's pmem? 0, or -1 with a skip reason. */
int lb_dax_check(const struct mf_scenario *sc, char *why, size_t len)
{
	char v[32] = "";
	struct statfs sf;
	int i;

	if (!sc->machine.pmem)
		return 0;
	if (sc->machine.pmem != LB_PMEM_SIZE) {
		snprintf(why, len, "machine pmem: the guest has 512M of pmem only");
		return -1;
	}
	if (lb_read_file("/mf/pmem", v, sizeof(v)) < 0 || statfs(LB_PMEM_DIR, &sf) ||
	    (sf.f_type != XFS_MAGIC && sf.f_type != EXT4_MAGIC_DAX) || !pmem_base()) {
		snprintf(why, len, "no pmem filesystem in this guest (conformance/pmem-run.sh boots one)");
		return -1;
	}
	v[strcspn(v, "\n")] = 0;
	for (i = 0; i < sc->nstmt; i++) {
		const struct mf_stmt *st = &sc->stmt[i];

		if (!st->is_expect && st->op == MF_OP_FILE && MF_FS_IS_PMEM(st->fs) &&
		    strcmp(variant_of(st->fs), v)) {
			snprintf(why, len, "the guest's pmem holds %s, the scenario wants %s", v,
				 variant_of(st->fs));
			return -1;
		}
	}
	return 0;
}

void lb_dax_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", LB_PMEM_DIR, name);
}

/* aligned: a 2 MiB extent size hint and fallocate, as the oracle does (XFS su=2m) */
int lb_dax_prepare(int fd, const struct mf_stmt *st)
{
	struct fsxattr fa;

	if (!st->aligned)
		return 0;
	if (!ioctl(fd, FS_IOC_FSGETXATTR, &fa)) {
		fa.fsx_xflags |= FS_XFLAG_EXTSIZE;
		fa.fsx_extsize = 2 << 20;
		ioctl(fd, FS_IOC_FSSETXATTR, &fa);	/* ext4 has no hint: stride does it */
	}
	return fallocate(fd, 0, 0, (off_t)st->size);
}

/* The pmem pfn behind a file offset (FIEMAP), or of a device offset. */
int lb_dax_resolve(const struct mf_pageref *ref, uint64_t *pfn, char *msg, size_t len)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent fe[1];
	} x;
	char path[LB_PATH_MAX];
	int fd;

	if (!pmem_base()) {
		snprintf(msg, len, "no pmem in /proc/iomem");
		return -1;
	}
	if (ref->kind == MF_PREF_PMEM) {
		*pfn = (pmem_base() + ref->file_off) / LB_PAGE;
		return 0;
	}
	lb_dax_path(ref->file, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(msg, len, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	memset(&x, 0, sizeof(x));
	x.fm.fm_start = ref->file_off / LB_PAGE * LB_PAGE;
	x.fm.fm_length = LB_PAGE;
	x.fm.fm_flags = FIEMAP_FLAG_SYNC;
	x.fm.fm_extent_count = 1;
	if (ioctl(fd, FS_IOC_FIEMAP, &x.fm) || x.fm.fm_mapped_extents < 1 ||
	    x.fe[0].fe_logical > x.fm.fm_start) {
		close(fd);
		snprintf(msg, len, "no pmem block at file %s+0x%llx", ref->file,
			 (unsigned long long)ref->file_off);
		return -1;
	}
	close(fd);
	*pfn = (pmem_base() + x.fe[0].fe_physical + (x.fm.fm_start - x.fe[0].fe_logical)) / LB_PAGE;
	return 0;
}

/* reflink SRC DST [SRC_OFF LEN DST_OFF]: FICLONE / FICLONERANGE; 0 or -errno */
int lb_dax_reflink(const struct mf_stmt *st)
{
	char src[LB_PATH_MAX], dst[LB_PATH_MAX];
	int sfd, dfd, rc;

	lb_dax_path(st->file, src, sizeof(src));
	lb_dax_path(st->file2, dst, sizeof(dst));
	sfd = open(src, O_RDONLY | O_CLOEXEC);
	dfd = open(dst, O_RDWR | O_CLOEXEC);
	if (sfd < 0 || dfd < 0) {
		rc = -errno;
	} else if (!st->size) {
		rc = ioctl(dfd, FICLONE, sfd) ? -errno : 0;
	} else {
		struct file_clone_range r = { sfd, st->offset, st->size, st->offset2 };

		rc = ioctl(dfd, FICLONERANGE, &r) ? -errno : 0;
	}
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}
