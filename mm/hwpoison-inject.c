/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ways an error reaches memory_failure(): debugfs hwpoison/ (with the
 * corrupt filter), sysfs hard/soft_offline_page, and machine checks (a patrol
 * scrub queued to the work queue, or a load that consumes the poison).
 */
#include <errno.h>

#include "memfail/kpageflags.h"
#include "memfail/printk.h"
#include "mf-internal.h"

int hwpoison_filter(struct machine *m, unsigned long pfn)
{
	struct hwpoison_filter *f = &m->filter;
	struct page *p = pfn_to_page(m, pfn);

	if (!f->enable)
		return 0;
	if (f->dev_major != ~0U || f->dev_minor != ~0U) {
		struct address_space *mapping = page_mapping_file(p);
		struct super_block *sb;
		if (!mapping || !mapping->host)
			return -EINVAL;
		sb = mapping->host->i_sb;
		if (f->dev_major != ~0U && f->dev_major != sb->dev_major)
			return -EINVAL;
		if (f->dev_minor != ~0U && f->dev_minor != sb->dev_minor)
			return -EINVAL;
	}
	if (f->flags_mask && (stable_page_flags(m, pfn) & f->flags_mask) != f->flags_value)
		return -EINVAL;
	if (f->memcg)
		return -EINVAL;	/* no page belongs to a memcg in the model */
	return 0;
}

int hwpoison_inject_corrupt_pfn(struct machine *m, unsigned long pfn)
{
	struct page *p;
	int err;

	if (!pfn_valid(m, pfn))
		return -ENXIO;
	p = pfn_to_page(m, pfn);
	if (m->filter.enable) {
		shake_page(m, p);
		/* Only LRU and free pages can be filtered reliably: others are skipped. */
		if (!PageFlag(compound_head_page(p), PG_lru) && !PageFlag(compound_head_page(p), PG_hugetlb) &&
		    !is_free_buddy_page(m, p))
			return 0;
		if (hwpoison_filter(m, pfn))
			return 0;
	}
	pr_info(m, "Injecting memory failure at pfn %#lx", pfn);
	err = memory_failure(m, pfn, MF_SW_SIMULATED);
	return err == -EOPNOTSUPP ? 0 : err;
}

int hwpoison_inject_unpoison_pfn(struct machine *m, unsigned long pfn)
{
	return unpoison_memory(m, pfn);
}

int sysfs_hard_offline_page(struct machine *m, uint64_t phys)
{
	int ret = memory_failure(m, phys >> PAGE_SHIFT, MF_SW_SIMULATED);

	return ret == -EOPNOTSUPP ? 0 : ret;
}

int sysfs_soft_offline_page(struct machine *m, uint64_t phys)
{
	return soft_offline_page(m, phys >> PAGE_SHIFT, 0);
}

void memory_failure_queue(struct machine *m, unsigned long pfn, int flags)
{
	if (m->mf_fifo.n == MF_FIFO_SIZE) {
		/* 6.1 prints this from mm/memory-failure.c, hence its prefix */
		pr_err(m, "Memory failure: buffer overflow when queuing memory failure at %#lx", pfn);
		return;
	}
	m->mf_fifo.pfn[m->mf_fifo.n] = pfn;
	m->mf_fifo.flags[m->mf_fifo.n++] = flags;
}

void memory_failure_work(struct machine *m)
{
	int i, n = m->mf_fifo.n;

	m->mf_fifo.n = 0;
	for (i = 0; i < n; i++) {
		if (m->mf_fifo.flags[i] & MF_SOFT_OFFLINE)
			soft_offline_page(m, m->mf_fifo.pfn[i], m->mf_fifo.flags[i]);
		else
			memory_failure(m, m->mf_fifo.pfn[i], m->mf_fifo.flags[i]);
	}
}

/* x86 kill_me_maybe: the consuming task is current, the error action-required. */
int mce_srar(struct machine *m, struct task_struct *t, unsigned long pfn)
{
	struct task_struct *saved = m->current;
	int ret;

	m->current = t;
	ret = memory_failure(m, pfn, MF_ACTION_REQUIRED);
	m->current = saved;
	if (ret == 0 || ret == -EHWPOISON || ret == -EOPNOTSUPP)
		return ret;
	pr_err(m, "Memory error not recovered");
	send_sig_info(SIGBUS, &(struct kernel_siginfo){ SIGBUS, 0, 0, 0 }, t, true);
	return ret;
}
