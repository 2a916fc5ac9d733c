// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory system calls of the public API: mmap (anonymous, file, hugetlb,
 * SysV shared memory), munmap, mprotect, mlock, msync, madvise.
 */
#include <string.h>

#include "memfail/huge_mm.h"
#include "sys-internal.h"

#define MAP_KNOWN (MF_MAP_SHARED | MF_MAP_PRIVATE | MF_MAP_ANONYMOUS | MF_MAP_LOCKED | \
		   MF_MAP_POPULATE | MF_MAP_HUGETLB | MF_MAP_THP)

/*
 * Map file (or anonymous memory when NULL) into t: hugetlb reservation first,
 * then do_mmap, then MAP_POPULATE of a hugetlb range after the reservation, as
 * the kernel's mmap does. The caller's reference on file stays the caller's.
 */
static int map_it(struct task_struct *t, uint64_t len, unsigned long vmflags, struct file *file,
		  uint64_t offset, bool populate, uint64_t *addr)
{
	struct machine *m = t->m;
	uint64_t resv = 0, a;
	struct vm_area_struct *vma;
	long ret;

	if (vmflags & VM_HUGETLB) {
		resv = hugetlb_mmap_reserve(m, file, offset, len, vmflags);
		if (resv == UINT64_MAX)
			return -ENOMEM;
	}
	ret = do_mmap(t, len, vmflags, file, offset >> PAGE_SHIFT, !(vmflags & VM_HUGETLB) && populate,
		      addr);
	if (ret) {
		if (resv)
			hugetlb_unreserve_pages(m, resv);
		return (int)ret;
	}
	if (!(vmflags & VM_HUGETLB))
		return 0;
	vma = find_vma(t->mm, *addr);
	vma->hugetlb_resv = resv;
	/* hugetlbfs_file_mmap: a writable mapping past the end of the file extends it */
	if (file && (vmflags & VM_WRITE) && file->f_inode->i_size < offset + len)
		file->f_inode->i_size = offset + len;
	if (populate || (vmflags & VM_LOCKED))
		for (a = *addr; a < *addr + len; a += HPAGE_PMD_SIZE)
			handle_mm_fault(vma, a, (vmflags & (VM_WRITE | VM_SHARED)) == VM_WRITE ?
						FAULT_FLAG_WRITE : 0);
	return 0;
}

static uint64_t page_align(uint64_t len)
{
	return (len + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
}

static uint64_t huge_align(uint64_t len)
{
	return (len + HPAGE_PMD_SIZE - 1) & ~(uint64_t)(HPAGE_PMD_SIZE - 1);
}

/*
 * munmap and mprotect may not split a hugetlb VMA inside a huge page
 * (hugetlb_vm_op_split): -EINVAL, as 6.1 answers.
 */
static bool splits_huge_page(struct mm_struct *mm, uint64_t start, uint64_t end)
{
	struct vm_area_struct *v;

	for (v = mm ? mm->mmap : NULL; v; v = v->vm_next) {
		if (!(v->vm_flags & VM_HUGETLB) || v->vm_end <= start || v->vm_start >= end)
			continue;
		if ((start > v->vm_start && start % HPAGE_PMD_SIZE) ||
		    (end < v->vm_end && end % HPAGE_PMD_SIZE))
			return true;
	}
	return false;
}

static unsigned long vm_flags_of(int prot, int flags)
{
	unsigned long vmflags = VM_READ | ((prot & MF_PROT_WRITE) ? VM_WRITE : 0);

	if (flags & MF_MAP_LOCKED)
		vmflags |= VM_LOCKED;
	if (flags & MF_MAP_THP)
		vmflags |= VM_HUGEPAGE;	/* 2M aligned, then MADV_HUGEPAGE */
	return vmflags;
}

static int sys_mmap(struct mf_machine *mm, int tid, uint64_t len, int prot, int flags, int fd,
		    uint64_t offset, uint64_t *addr)
{
	struct task_struct *t = sys_task(mm, tid);
	unsigned long vmflags = vm_flags_of(prot, flags);
	bool shared = flags & MF_MAP_SHARED;
	struct file *file = NULL;
	int ret;

	if (!t)
		return -ESRCH;
	if (len > TASK_SIZE)
		return -ENOMEM;
	if (!addr || (flags & ~MAP_KNOWN) || shared == !!(flags & MF_MAP_PRIVATE) ||
	    (prot & ~(MF_PROT_READ | MF_PROT_WRITE)) || !len || (offset & (PAGE_SIZE - 1)))
		return -EINVAL;
	/* as ksys_mmap_pgoff: whole pages, whole huge pages for MAP_HUGETLB (below for hugetlbfs) */
	len = (flags & MF_MAP_HUGETLB) ? huge_align(len) : page_align(len);
	if (flags & MF_MAP_ANONYMOUS) {
		if (shared)
			vmflags |= VM_SHARED;	/* do_mmap makes the shmem object */
		if (shared && (flags & MF_MAP_HUGETLB)) {
			/* MAP_SHARED|MAP_HUGETLB: an internal hugetlbfs file */
			file = hugetlb_file_setup(mm->m, "anon_hugepage", len);
			if (!file)
				return -ENOMEM;
		}
	} else {
		file = sys_fd_file(t, fd);
		if (!file)
			return -EBADF;
		if (file->f_pipe)
			return -ENODEV;	/* a pipe has no mmap */
		if (file->f_inode->i_sb->type == FS_HUGETLBFS)
			len = huge_align(len);
		else if (flags & MF_MAP_HUGETLB)
			return -EINVAL;	/* MAP_HUGETLB of a file that is not hugetlbfs */
		file->f_count++;
		/* a read-only shared file mapping cannot write back: private */
		if (shared && (prot & MF_PROT_WRITE))
			vmflags |= VM_SHARED;
	}
	if ((flags & MF_MAP_HUGETLB) || (file && file->f_inode->i_sb->type == FS_HUGETLBFS))
		vmflags |= VM_HUGETLB;
	ret = map_it(t, len, vmflags, file, offset, flags & MF_MAP_POPULATE, addr);
	if (file)
		fput(file);	/* the mapping holds its own reference */
	return ret;
}

static void replay_mmap(struct mf_machine *mm, const struct sys_rec *r)
{
	uint64_t addr;

	mf_mmap(mm, (int)r->a[0], (uint64_t)r->a[1], (int)r->a[2], (int)r->a[3], (int)r->a[4],
		(uint64_t)r->a[5], &addr);
}

int mf_mmap(struct mf_machine *mm, int tid, uint64_t len, int prot, int flags, int fd,
	    uint64_t offset, uint64_t *addr)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_mmap,
		   (int64_t[]){ tid, (int64_t)len, prot, flags, fd, (int64_t)offset }, 6,
		   NULL, NULL, NULL, 0);
	return (int)sys_leave(mm, sys_mmap(mm, tid, len, prot, flags, fd, offset, addr));
}

/* ---- SysV shared memory ----------------------------------------------------------------- */

static int shmget(struct mf_machine *mm, uint64_t size, int flags)
{
	struct file *f;

	if (!size || (flags & ~MF_SHM_HUGETLB))
		return -EINVAL;
	f = (flags & MF_SHM_HUGETLB) ? hugetlb_file_setup(mm->m, "SYSV", size) :
				       shmem_kernel_file_setup(mm->m, "SYSV", size);
	if (!f)
		return -ENOMEM;
	ARRAY_PUSH(mm->shm, mm->nr_shm, mm->cap_shm, ((struct sys_shm){ f, size }),
		   "adding a SysV segment");
	return mm->nr_shm - 1;
}

static void replay_shmget(struct mf_machine *mm, const struct sys_rec *r)
{
	mf_shmget(mm, (uint64_t)r->a[0], (int)r->a[1]);
}

int mf_shmget(struct mf_machine *mm, uint64_t size, int flags)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_shmget, (int64_t[]){ (int64_t)size, flags }, 2, NULL, NULL, NULL, 0);
	return (int)sys_leave(mm, shmget(mm, size, flags));
}

static int shmat(struct mf_machine *mm, int tid, int id, int prot, int flags, uint64_t *addr)
{
	struct task_struct *t = sys_task(mm, tid);
	unsigned long vmflags = vm_flags_of(prot, flags) | VM_SHARED;
	struct file *f;

	if (!t)
		return -ESRCH;
	if (id < 0 || id >= mm->nr_shm || !mm->shm[id].f)
		return -EINVAL;
	if (!addr || (flags & ~(MF_MAP_POPULATE | MF_MAP_LOCKED | MF_MAP_THP)))
		return -EINVAL;
	f = mm->shm[id].f;
	if (f->f_inode->i_sb->type == FS_HUGETLBFS)
		vmflags |= VM_HUGETLB;
	return map_it(t, (vmflags & VM_HUGETLB) ? huge_align(mm->shm[id].size) :
		      page_align(mm->shm[id].size), vmflags, f, 0, flags & MF_MAP_POPULATE, addr);
}

static void replay_shmat(struct mf_machine *mm, const struct sys_rec *r)
{
	uint64_t addr;

	mf_shmat(mm, (int)r->a[0], (int)r->a[1], (int)r->a[2], (int)r->a[3], &addr);
}

int mf_shmat(struct mf_machine *mm, int tid, int shmid, int prot, int flags, uint64_t *addr)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_shmat, (int64_t[]){ tid, shmid, prot, flags }, 4, NULL, NULL, NULL, 0);
	return (int)sys_leave(mm, shmat(mm, tid, shmid, prot, flags, addr));
}

static int shmrm(struct mf_machine *mm, int id)
{
	if (id < 0 || id >= mm->nr_shm || !mm->shm[id].f)
		return -EINVAL;
	fput(mm->shm[id].f);
	mm->shm[id].f = NULL;
	return 0;
}

static void replay_shmrm(struct mf_machine *mm, const struct sys_rec *r)
{
	mf_shmctl_rmid(mm, (int)r->a[0]);
}

int mf_shmctl_rmid(struct mf_machine *mm, int shmid)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_shmrm, (int64_t[]){ shmid }, 1, NULL, NULL, NULL, 0);
	return (int)sys_leave(mm, shmrm(mm, shmid));
}

/* ---- calls on an address range ---------------------------------------------------------- */

enum range_op { R_MUNMAP, R_MPROTECT, R_MLOCK, R_MUNLOCK, R_MSYNC, R_MADVISE };

static bool advice_known(int adv)
{
	static const int known[] = {
		MF_MADVISE_WILLNEED, MF_MADVISE_DONTNEED, MF_MADVISE_MERGEABLE,
		MF_MADVISE_UNMERGEABLE, MF_MADVISE_HUGEPAGE, MF_MADVISE_NOHUGEPAGE,
		MF_MADVISE_PAGEOUT, MF_MADVISE_COLLAPSE, MF_MADVISE_HWPOISON,
		MF_MADVISE_SOFT_OFFLINE,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (known[i] == adv)
			return true;
	return false;
}

static int range_call(struct mf_machine *mm, int op, int tid, uint64_t addr, uint64_t len, int arg)
{
	struct task_struct *t = sys_task(mm, tid);

	if (!t)
		return -ESRCH;
	if (len > TASK_SIZE || addr > TASK_SIZE - len)
		return -EINVAL;
	if (op == R_MLOCK || op == R_MUNLOCK) {
		/* mlock rounds the range out to whole pages */
		len += addr & (PAGE_SIZE - 1);
		addr &= ~(uint64_t)(PAGE_SIZE - 1);
	}
	len = page_align(len);
	if ((op == R_MUNMAP || op == R_MPROTECT) && splits_huge_page(t->mm, addr, addr + len))
		return -EINVAL;
	switch (op) {
	case R_MUNMAP:
		return do_munmap(t, addr, len);
	case R_MPROTECT:
		if (arg & ~(MF_PROT_READ | MF_PROT_WRITE))
			return -EINVAL;
		return do_mprotect(t, addr, len, ((arg & MF_PROT_READ) ? VM_READ : 0) |
						 ((arg & MF_PROT_WRITE) ? VM_WRITE : 0));
	case R_MLOCK:
	case R_MUNLOCK:
		return do_mlock(t, addr, len, op == R_MLOCK);
	case R_MSYNC:
		return do_msync(t, addr, len);
	default:
		/* the model's MADV_* numbers are Linux's */
		return advice_known(arg) ? do_madvise(t, addr, len, arg) : -EINVAL;
	}
}

static void replay_range(struct mf_machine *mm, const struct sys_rec *r);

static int range(struct mf_machine *mm, int op, int tid, uint64_t addr, uint64_t len, int arg)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_range, (int64_t[]){ op, tid, (int64_t)addr, (int64_t)len, arg }, 5,
		   NULL, NULL, NULL, 0);
	return (int)sys_leave(mm, range_call(mm, op, tid, addr, len, arg));
}

static void replay_range(struct mf_machine *mm, const struct sys_rec *r)
{
	range(mm, (int)r->a[0], (int)r->a[1], (uint64_t)r->a[2], (uint64_t)r->a[3], (int)r->a[4]);
}

int mf_munmap(struct mf_machine *mm, int tid, uint64_t addr, uint64_t len)
{
	return range(mm, R_MUNMAP, tid, addr, len, 0);
}

int mf_mprotect(struct mf_machine *mm, int tid, uint64_t addr, uint64_t len, int prot)
{
	return range(mm, R_MPROTECT, tid, addr, len, prot);
}

int mf_mlock(struct mf_machine *mm, int tid, uint64_t addr, uint64_t len)
{
	return range(mm, R_MLOCK, tid, addr, len, 0);
}

int mf_munlock(struct mf_machine *mm, int tid, uint64_t addr, uint64_t len)
{
	return range(mm, R_MUNLOCK, tid, addr, len, 0);
}

int mf_msync(struct mf_machine *mm, int tid, uint64_t addr, uint64_t len)
{
	return range(mm, R_MSYNC, tid, addr, len, 0);
}

int mf_madvise(struct mf_machine *mm, int tid, uint64_t addr, uint64_t len, int advice)
{
	return range(mm, R_MADVISE, tid, addr, len, advice);
}
