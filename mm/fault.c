/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A CPU access from user space, as x86's do_user_addr_fault: a present PTE is
 * read or written directly, anything else goes through handle_mm_fault and
 * its result becomes a signal (do_sigbus: a hwpoison fault is SIGBUS
 * BUS_MCEERR_AR). Also follow_page, the look-up that faults nothing.
 */
#include <errno.h>

#include "memfail/huge_mm.h"
#include "memfail/mm.h"

/* The page a user address maps now (no fault); *hwpoison when it is a hwpoison entry. */
struct page *follow_page(struct vm_area_struct *vma, uint64_t addr, bool *hwpoison)
{
	struct machine *m = vma->vm_mm->owner->m;
	pte_t *p = pte_lookup(vma->vm_mm, addr & ~(PAGE_SIZE - 1));

	*hwpoison = false;
	if (!p)
		return NULL;
	if (pte_present(*p))
		return pfn_to_page(m, pte_pfn(*p));
	if (is_hwpoison_pte(*p)) {
		*hwpoison = true;
		return pfn_to_page(m, swp_offset(*p));
	}
	if (pte_is_swp(*p) && swp_type(*p) == SWP_SWAPFILE)
		return lookup_swap_cache(m, swp_offset(*p));
	return NULL;
}

/* x86's do_sigbus for a hwpoison fault: log and force BUS_MCEERR_AR. */
static void hwpoison_fault_kill(struct task_struct *t, uint64_t addr, int lsb)
{
	printk(t->m, KERN_ERR, "MCE: Killing %s:%d due to hardware memory corruption fault at %llx",
	       t->comm, t->pid, (unsigned long long)addr);
	force_sig_mceerr(4 /* BUS_MCEERR_AR */, addr, lsb, t);
}

/* What an access does with the bytes: copies buf in or out, or writes or compares one value. */
struct uaccess {
	uint8_t *buf;		/* NULL: byte */
	uint8_t byte;
	bool write;
	bool *match;		/* a compare of byte: false when one differs */
};

static void access_bytes(struct machine *m, struct page *page, uint64_t off, size_t len, const struct uaccess *ua)
{
	if (ua->buf && ua->write)
		page_data_set(m, page, off, ua->buf, len);
	else if (ua->buf)
		page_data_get(m, page, off, ua->buf, len);
	else if (ua->write)
		page_data_set_byte(m, page, off, ua->byte, len);
	else if (!page_data_is_byte(m, page, off, ua->byte, len))
		*ua->match = false;
}

/*
 * A CPU access of len bytes inside one page: the first byte takes any fault
 * or signal, the rest go through the PTE it left present. A write of a whole
 * page of one byte value stores no buffer (page_data_set).
 */
static int access_locked(struct task_struct *t, uint64_t addr, size_t len, const struct uaccess *ua)
{
	bool write = ua->write;
	struct machine *m = t->m;
	struct vm_area_struct *vma = t->mm ? find_vma(t->mm, addr) : NULL;
	struct kernel_siginfo si = { 0 };
	int tries;

	if (!vma) {
		si = (struct kernel_siginfo){ SIGSEGV, 1 /* SEGV_MAPERR */, addr, 0 };
		send_sig_info(SIGSEGV, &si, t, true);
		return -1;
	}
	for (tries = 0; tries < 4; tries++) {
		pte_t *p = pte_lookup(t->mm, addr & ~(PAGE_SIZE - 1));
		int ret;
		if (p && pte_present(*p) && (!write || (*p & PTE_WRITE))) {
			access_bytes(m, pfn_to_page(m, pte_pfn(*p)), addr & (PAGE_SIZE - 1), len, ua);
			*p |= write ? PTE_DIRTY | PTE_YOUNG : PTE_YOUNG;
			return 0;
		}
		ret = handle_mm_fault(vma, addr, write ? FAULT_FLAG_WRITE : 0);
		if (ret & VM_FAULT_HWPOISON_LARGE) {
			hwpoison_fault_kill(t, addr, HUGETLB_PAGE_SHIFT);
			return -1;
		}
		if (ret & VM_FAULT_HWPOISON) {
			hwpoison_fault_kill(t, addr, PAGE_SHIFT);
			return -1;
		}
		if (ret & VM_FAULT_SIGSEGV) {
			si = (struct kernel_siginfo){ SIGSEGV, 2 /* SEGV_ACCERR */, addr, 0 };
			send_sig_info(SIGSEGV, &si, t, true);
			return -1;
		}
		if (ret & VM_FAULT_OOM)
			return -ENOMEM;	/* the run stops: out_of_memory() */
		if (ret & VM_FAULT_SIGBUS) {
			si = (struct kernel_siginfo){ SIGBUS, 2 /* BUS_ADRERR */, addr, 0 };
			send_sig_info(SIGBUS, &si, t, true);
			return -1;
		}
	}
	return -EFAULT;
}

/* A CPU access: a fault runs under the mm's mmap_lock (taken for the whole access here). */
static int access_user_locked(struct task_struct *t, uint64_t addr, size_t len, const struct uaccess *ua)
{
	void *lock = t->mm;
	int ret;

	mf_lock_obj(t->m, lock, "mmap_lock");
	ret = access_locked(t, addr, len, ua);
	mf_unlock_obj(t->m, lock);
	if (ret)
		deliver_fatal_signals(t->m);	/* back to user space: a default action kills */
	return ret;
}

int access_user_page(struct task_struct *t, uint64_t addr, uint8_t *buf, size_t len, bool write)
{
	return access_user_locked(t, addr, len, &(struct uaccess){ .buf = buf, .write = write });
}

int access_user_byte(struct task_struct *t, uint64_t addr, uint8_t b, size_t len, bool *match)
{
	return access_user_locked(t, addr, len, &(struct uaccess){ .byte = b, .write = !match, .match = match });
}

int access_user(struct task_struct *t, uint64_t addr, uint8_t *byte, bool write)
{
	return access_user_page(t, addr, byte, 1, write);
}
