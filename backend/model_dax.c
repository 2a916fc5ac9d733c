/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The model back end's pmem pieces: the pmem device and its filesystem at
 * start, pmem file declarations, pmem page references (FIEMAP-like file
 * offsets, device offsets), reflink and the DAX knobs.
 */
#include <errno.h>
#include <string.h>

#include "memfail/dax.h"
#include "model.h"

int mb_dax_start(struct model *mo, const struct mf_scenario *sc, char *msg, size_t len)
{
	int i, ret;

	if (!sc->machine.pmem)
		return 0;
	ret = pmem_create(mo->m, sc->machine.pmem, msg, len);
	if (ret)
		return ret;
	for (i = 0; i < sc->nstmt; i++) {
		const struct mf_stmt *st = &sc->stmt[i];
		enum daxfs_kind kind;

		if (st->is_expect || st->op != MF_OP_FILE || !MF_FS_IS_PMEM(st->fs))
			continue;
		kind = st->fs == MF_FS_PMEM_EXT4 ? DAXFS_EXT4 :
		       st->fs == MF_FS_PMEM_XFS ? DAXFS_XFS : DAXFS_XFS_NORMAP;
		ret = daxfs_mount(mo->m, kind);
		if (ret)
			snprintf(msg, len, "pmem: cannot make the filesystem");
		return ret;
	}
	return 0;
}

/* A pmem file: written and "fsynced" through DAX, or allocated aligned first. */
void mb_dax_file_decl(struct model *mo, const struct mf_stmt *st, struct mf_result *res)
{
	struct inode *inode = fs_create(mo->m, FS_DAX, st->file, 0);
	struct file *f = inode ? fs_open(inode, FMODE_READ | FMODE_WRITE) : NULL;
	uint8_t buf[PAGE_SIZE];
	uint64_t off;
	long ret = 0;

	if (!f) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "cannot create file %s", st->file);
		return;
	}
	if (st->aligned)
		ret = daxfs_fallocate_aligned(inode, st->size);
	if (st->fstate == MF_FILE_HOLE && !ret)
		ret = fs_ftruncate(f, st->size);
	for (off = 0; st->fstate != MF_FILE_HOLE && off < st->size && ret >= 0; off += PAGE_SIZE) {
		uint8_t b = st->pat.kind == MF_PAT_BYTE ? st->pat.byte : (uint8_t)((off >> PAGE_SHIFT) + 1);

		memset(buf, b, sizeof(buf));
		ret = fs_pwrite(f, buf, st->size - off < PAGE_SIZE ? st->size - off : PAGE_SIZE, off);
	}
	fput(f);
	if (ret < 0) {
		res->kind = MF_RES_ERRNO;
		res->err = (int)-ret;
	}
}

/* 1: not a pmem reference; 0 resolved; -1 with msg. */
int mb_dax_resolve(struct model *mo, const struct mf_pageref *ref, uint64_t *pfn, char *msg, size_t len)
{
	struct machine *m = mo->m;
	struct inode *inode;
	int err;

	if (ref->kind == MF_PREF_PMEM) {
		*pfn = daxfs_pmem_pfn(m, ref->file_off);
		if (*pfn != NO_PFN)
			return 0;
		snprintf(msg, len, "pmem+%#llx: outside the pmem", (unsigned long long)ref->file_off);
		return -1;
	}
	if (ref->kind != MF_PREF_FILE || !MF_FS_IS_PMEM(ref->fs))
		return 1;
	/* FIEMAP: the block behind that file offset */
	inode = fs_lookup(m, FS_DAX, ref->file);
	*pfn = inode ? daxfs_iomap(inode, ref->file_off >> PAGE_SHIFT, false, NULL, &err) : NO_PFN;
	if (*pfn != NO_PFN)
		return 0;
	snprintf(msg, len, "no pmem block at file %s+%#llx", ref->file, (unsigned long long)ref->file_off);
	return -1;
}

int mb_dax_reflink(struct model *mo, const struct mf_stmt *st)
{
	struct inode *src = fs_lookup(mo->m, FS_DAX, st->file);
	struct inode *dst = fs_lookup(mo->m, FS_DAX, st->file2);

	if (!src || !dst)
		return -ENOENT;
	return daxfs_reflink(src, st->offset, dst, st->offset2, st->size);
}

/* memfail.dax_lookup=conflict (6.1, default) | load (the v4.20-rc1 regression, seed 003) */
int mb_dax_sysctl(struct machine *m, const char *key, const char *val)
{
	if (strcmp(key, "memfail.dax_lookup"))
		return -ENOENT;
	if (!m->pmem)
		return -EINVAL;
	if (!strcmp(val, "conflict"))
		m->pmem->lookup_policy = DAX_LOOKUP_CONFLICT;
	else if (!strcmp(val, "load"))
		m->pmem->lookup_policy = DAX_LOOKUP_PLAIN_LOAD;
	else
		return -EINVAL;
	return 0;
}

/* XFS refuses to open anything once shut down. */
bool mb_dax_open_fails(struct inode *inode)
{
	return inode && IS_DAX(inode) && daxfs_shutdown(inode->m);
}
