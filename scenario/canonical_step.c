/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Canonical text of each statement kind after its name (spec section 9),
 * one printer per row of the statement table (stmt_table.c).
 */
#include <stdio.h>

#include "stmt.h"

static void addr(struct sbuf *b, const struct mf_addr *a)
{
	sb_printf(b, " %s+0x%llx", a->region, (unsigned long long)a->off);
}

static void size(struct sbuf *b, uint64_t v)
{
	char s[32];

	sb_printf(b, " %s", mf_fmt_size(s, sizeof(s), v));
}

static void pattern(struct sbuf *b, const char *pre, const struct mf_pattern *p)
{
	if (p->kind == MF_PAT_INDEX)
		sb_printf(b, "%sindex", pre);
	else if (p->kind == MF_PAT_BYTE)
		sb_printf(b, "%s0x%02x", pre, p->byte);
}

void c_none(struct sbuf *b, const struct mf_stmt *st)
{
	(void)b;
	(void)st;
}

void c_file(struct sbuf *b, const struct mf_stmt *st)
{
	char s[32];

	sb_printf(b, " %s:%s size=%s", mf_fs_names[st->fs], st->file,
		  mf_fmt_size(s, sizeof(s), st->size));
	pattern(b, " fill=", &st->pat);
	sb_printf(b, " %s", mf_state_names[st->fstate]);
	if (st->aligned)
		sb_printf(b, " aligned");
}

void c_task(struct sbuf *b, const struct mf_stmt *st)
{
	sb_printf(b, " %s", st->task);
	if (st->parent[0])
		sb_printf(b, " fork %s", st->parent);
	if (st->sigbus_default)
		sb_printf(b, " sigbus=default");
}

void c_thread(struct sbuf *b, const struct mf_stmt *st)
{
	sb_printf(b, " %s.%s", st->task, st->thread);
}

void c_sysctl(struct sbuf *b, const struct mf_stmt *st)
{
	sb_printf(b, " %s=%s", st->sysctl_key, st->sysctl_val);
}

void c_mmap(struct sbuf *b, const struct mf_stmt *st)
{
	char s[32];

	sb_printf(b, " %s", st->name);
	switch (st->mkind) {
	case MF_MAP_ANON: sb_printf(b, " anon"); break;
	case MF_MAP_FILE: sb_printf(b, " file %s:%s", mf_fs_names[st->fs], st->file); break;
	case MF_MAP_FD: sb_printf(b, " fd %s", st->fd); break;
	case MF_MAP_SYSV: sb_printf(b, " sysv"); break;
	}
	if (st->mkind != MF_MAP_SYSV)
		sb_printf(b, " %s", st->shared ? "shared" : "private");
	size(b, st->size);
	if (st->offset)
		sb_printf(b, " offset=%s", mf_fmt_size(s, sizeof(s), st->offset));
	if (st->ro)
		sb_printf(b, " ro");
	if (st->populate)
		sb_printf(b, " populate");
	if (st->locked)
		sb_printf(b, " locked");
	if (st->hugetlb)
		sb_printf(b, " hugetlb");
	if (st->thp)
		sb_printf(b, " thp");
	pattern(b, " fill=", &st->pat);
}

void c_region(struct sbuf *b, const struct mf_stmt *st)
{
	sb_printf(b, " %s", st->name);
}

/* mlock, munlock, pin, msync: always with the size */
void c_range(struct sbuf *b, const struct mf_stmt *st)
{
	addr(b, &st->addr);
	size(b, st->size);
}

void c_madvise(struct sbuf *b, const struct mf_stmt *st)
{
	c_range(b, st);
	sb_printf(b, " %s", mf_madv_names[st->madv]);
}

void c_addr(struct sbuf *b, const struct mf_stmt *st)
{
	addr(b, &st->addr);
}

void c_store(struct sbuf *b, const struct mf_stmt *st)
{
	addr(b, &st->addr);
	sb_printf(b, " 0x%02x", st->byte);
}

void c_fill(struct sbuf *b, const struct mf_stmt *st)
{
	c_range(b, st);
	pattern(b, " ", &st->pat);
}

void c_mce_kill(struct sbuf *b, const struct mf_stmt *st)
{
	sb_printf(b, " %s", mf_kill_names[st->mce_kill]);
}

void c_open(struct sbuf *b, const struct mf_stmt *st)
{
	sb_printf(b, " %s %s:%s %s", st->fd, mf_fs_names[st->fs], st->file, st->rw ? "rw" : "ro");
}

/* read, write, punch */
void c_rw(struct sbuf *b, const struct mf_stmt *st)
{
	sb_printf(b, " %s", st->fd);
	size(b, st->offset);
	size(b, st->size);
	if (st->op == MF_OP_WRITE)
		pattern(b, " fill=", &st->pat);
}

void c_fd(struct sbuf *b, const struct mf_stmt *st)
{
	sb_printf(b, " %s", st->fd);
}

void c_ftruncate(struct sbuf *b, const struct mf_stmt *st)
{
	sb_printf(b, " %s", st->fd);
	size(b, st->size);
}

void c_unlink(struct sbuf *b, const struct mf_stmt *st)
{
	sb_printf(b, " %s:%s", mf_fs_names[st->fs], st->file);
}

void c_ref(struct sbuf *b, const struct mf_stmt *st)
{
	sb_printf(b, " ");
	mf_fmt_pageref(b, &st->ref);
}

void c_filter(struct sbuf *b, const struct mf_stmt *st)
{
	sb_printf(b, " flags-mask=0x%llx flags-value=0x%llx", (unsigned long long)st->flags_mask,
		  (unsigned long long)st->flags_value);
}

void c_drop_caches(struct sbuf *b, const struct mf_stmt *st)
{
	sb_printf(b, " %d", st->drop_caches);
}

void c_reflink(struct sbuf *b, const struct mf_stmt *st)
{
	const char *fs = mf_fs_names[st->fs];
	char s1[32], s2[32], s3[32];

	sb_printf(b, " %s:%s %s:%s", fs, st->file, fs, st->file2);
	if (st->size)
		sb_printf(b, " %s %s %s", mf_fmt_size(s1, sizeof(s1), st->offset),
			  mf_fmt_size(s2, sizeof(s2), st->size),
			  mf_fmt_size(s3, sizeof(s3), st->offset2));
}

void c_label(struct sbuf *b, const struct mf_stmt *st)
{
	sb_printf(b, " %s = ", st->name);
	mf_fmt_pageref(b, &st->ref);
}
