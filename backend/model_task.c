// SPDX-License-Identifier: GPL-2.0-only
/* The model back end's task steps: one task's memory and file system calls, as API calls. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* What one task step works on. */
struct step {
	struct model *mo;
	const struct mf_stmt *st;
	struct mf_result *res;
	struct mb_proc *p;
	int tid;
	struct mb_region *r;	/* the step's region, when it names one */
};

/* The end of a user access: its signal, the task's death, or an error. */
static void access_res(struct mf_result *res, int ret, const struct mf_sig *sig)
{
	if (ret == MF_ACCESS_KILLED) {
		res->kind = MF_RES_KILLED;
		res->killed_signo = sig->signo;
	} else if (ret == MF_ACCESS_SIGNAL) {
		res->kind = MF_RES_SIGNAL;
		res->sig = (struct mf_siginfo){ sig->signo, sig->code, sig->addr, sig->lsb };
	} else if (ret < 0) {
		mb_set_errno(res, ret, false);
	}
}

static struct mf_fill region_fill(const struct mf_pattern *pat, const struct mb_region *r)
{
	return (struct mf_fill){ pat->kind == MF_PAT_BYTE ? MF_FILL_BYTE : MF_FILL_INDEX, pat->byte,
				 r->addr, r->file ? r->pgoff : 0 };
}

static void fill_check(struct step *s, uint64_t off, uint64_t len, bool check)
{
	struct mf_fill pat = region_fill(&s->st->pat, s->r);
	struct mf_sig sig;
	bool match;
	int ret = check ? mf_check(s->mo->m, s->tid, s->r->addr + off, len, &pat, &match, &sig) :
			  mf_fill(s->mo->m, s->tid, s->r->addr + off, len, &pat, &sig);

	access_res(s->res, ret, &sig);
	if (check && !ret) {
		s->res->kind = MF_RES_CHECK;
		s->res->value = match;
	}
}

static int fd_of(struct mb_proc *p, const char *name)
{
	int i = mb_names_get(&p->fd_idx, name);

	return i < 0 ? -1 : p->fds[i].fd;
}

static void region_add(struct step *s, uint64_t addr)
{
	const struct mf_stmt *st = s->st;
	struct mb_proc *p = s->p;
	struct mb_region r = { .addr = addr, .len = st->size, .pgoff = st->offset / MF_PAGE_SIZE,
			       .file = st->mkind == MF_MAP_FILE || st->mkind == MF_MAP_FD };
	int i = mb_names_get(&p->reg_idx, st->name);

	snprintf(r.name, sizeof(r.name), "%s", st->name);
	if (i >= 0) {
		p->reg[i] = r;	/* the name now means the new mapping */
	} else {
		mb_names_put(&p->reg_idx, r.name, p->nreg);
		ARRAY_PUSH(p->reg, p->nreg, p->cap_reg, r, "adding a region");
		i = p->nreg - 1;
	}
	s->r = &p->reg[i];
}

/* mmap of every kind: SysV is shmget + shmat + IPC_RMID, a named file open + mmap + close. */
static int do_map(struct step *s, int prot, int flags, uint64_t *addr)
{
	const struct mf_stmt *st = s->st;
	struct mf_machine *m = s->mo->m;
	char path[MF_PATH_MAX + 16];
	int id, fd, ret;

	switch (st->mkind) {
	case MF_MAP_ANON:
		return mf_mmap(m, s->tid, st->size, prot, flags | MF_MAP_ANONYMOUS, -1, 0, addr);
	case MF_MAP_SYSV:
		id = mf_shmget(m, st->size, st->hugetlb ? MF_SHM_HUGETLB : 0);
		if (id < 0)
			return id;
		ret = mf_shmat(m, s->tid, id, prot, flags & ~(MF_MAP_SHARED | MF_MAP_HUGETLB), addr);
		mf_shmctl_rmid(m, id);
		return ret;
	case MF_MAP_FD:
		return mf_mmap(m, s->tid, st->size, prot, flags, fd_of(s->p, st->fd), st->offset, addr);
	default:	/* MF_MAP_FILE */
		mb_path(path, sizeof(path), st->fs, st->file);
		fd = mf_open(m, s->tid, path, st->ro ? MF_O_RDONLY : MF_O_RDWR);
		if (fd < 0)
			return fd;
		ret = mf_mmap(m, s->tid, st->size, prot, flags, fd, st->offset, addr);
		mf_close(m, s->tid, fd);
		return ret;
	}
}

static void step_mmap(struct step *s)
{
	const struct mf_stmt *st = s->st;
	int prot = MF_PROT_READ | (st->ro ? 0 : MF_PROT_WRITE);
	int flags = (st->shared || st->mkind == MF_MAP_SYSV ? MF_MAP_SHARED : MF_MAP_PRIVATE) |
		    (st->locked ? MF_MAP_LOCKED : 0) | (st->thp ? MF_MAP_THP : 0) |
		    (st->hugetlb ? MF_MAP_HUGETLB : 0) |
		    (st->populate || st->pat.kind != MF_PAT_NONE ? MF_MAP_POPULATE : 0);
	uint64_t addr = 0;
	int ret = do_map(s, prot, flags, &addr);

	if (ret) {
		mb_set_errno(s->res, ret, false);
		return;
	}
	region_add(s, addr);
	if (st->pat.kind != MF_PAT_NONE)
		fill_check(s, 0, st->size, false);
}

static void region_del(struct mb_proc *p, struct mb_region *r)
{
	int i = (int)(r - p->reg);

	mb_names_del(&p->reg_idx, r->name);
	if (i != --p->nreg) {
		p->reg[i] = p->reg[p->nreg];
		mb_names_put(&p->reg_idx, p->reg[i].name, i);
	}
}

static void no_region(struct step *s)
{
	s->res->kind = MF_RES_ERROR;
	snprintf(s->res->msg, sizeof(s->res->msg), "%s has no region %s", s->st->task, s->st->name);
}

static void step_munmap(struct step *s)
{
	struct mb_region *r = mb_region(s->p, s->st->name);

	if (!r) {
		no_region(s);
		return;
	}
	mb_set_errno(s->res, mf_munmap(s->mo->m, s->tid, r->addr, r->len), true);
	region_del(s->p, r);
}

static void step_mlock(struct step *s)
{
	uint64_t a = s->r->addr + s->st->addr.off;

	mb_set_errno(s->res, s->st->op == MF_OP_MLOCK ? mf_mlock(s->mo->m, s->tid, a, s->st->size) :
			     mf_munlock(s->mo->m, s->tid, a, s->st->size), true);
}

static void step_msync(struct step *s)
{
	struct mb_region *r = mb_region(s->p, s->st->name);

	if (!r) {
		no_region(s);
		return;
	}
	mb_set_errno(s->res, mf_msync(s->mo->m, s->tid, r->addr, s->st->size ? s->st->size : r->len), true);
}

static void step_madvise(struct step *s)
{
	static const int adv[] = {
		[MF_MADV_HWPOISON] = MF_MADVISE_HWPOISON, [MF_MADV_SOFT_OFFLINE] = MF_MADVISE_SOFT_OFFLINE,
		[MF_MADV_HUGEPAGE] = MF_MADVISE_HUGEPAGE, [MF_MADV_NOHUGEPAGE] = MF_MADVISE_NOHUGEPAGE,
		[MF_MADV_DONTNEED] = MF_MADVISE_DONTNEED, [MF_MADV_PAGEOUT] = MF_MADVISE_PAGEOUT,
		[MF_MADV_WILLNEED] = MF_MADVISE_WILLNEED, [MF_MADV_COLLAPSE] = MF_MADVISE_COLLAPSE,
		[MF_MADV_MERGEABLE] = MF_MADVISE_MERGEABLE, [MF_MADV_UNMERGEABLE] = MF_MADVISE_UNMERGEABLE,
	};

	mb_set_errno(s->res, mf_madvise(s->mo->m, s->tid, s->r->addr + s->st->addr.off, s->st->size,
					adv[s->st->madv]), true);
}

static void step_load_store(struct step *s)
{
	uint64_t a = s->r->addr + s->st->addr.off;
	struct mf_sig sig;
	uint8_t b = 0;
	int ret;

	if (s->st->op == MF_OP_STORE) {
		access_res(s->res, mf_store(s->mo->m, s->tid, a, s->st->byte, &sig), &sig);
		return;
	}
	ret = mf_load(s->mo->m, s->tid, a, &b, &sig);
	access_res(s->res, ret, &sig);
	if (!ret) {
		s->res->kind = MF_RES_BYTE;
		s->res->value = b;
	}
}

static void step_fill_check(struct step *s)
{
	fill_check(s, s->st->addr.off, s->st->size, s->st->op == MF_OP_CHECK);
}

static void step_prctl(struct step *s)
{
	const struct mf_stmt *st = s->st;

	if (st->op == MF_OP_PRCTL_MCE_KILL_GET) {
		mb_set_errno(s->res, mf_prctl_mce_kill_get(s->mo->m, s->tid), true);
		return;
	}
	mb_set_errno(s->res, mf_prctl_mce_kill(s->mo->m, s->tid,
					       st->mce_kill == MF_MCE_KILL_CLEAR ? MF_PR_MCE_KILL_CLEAR :
					       MF_PR_MCE_KILL_SET,
					       st->mce_kill == MF_MCE_KILL_EARLY ? MF_PR_MCE_KILL_EARLY :
					       MF_PR_MCE_KILL_LATE), true);
}

/* pin: a new pipe the task keeps open, with the range vmspliced into it. */
static void step_pin(struct step *s)
{
	int fd = mf_pipe(s->mo->m, s->tid);

	if (fd < 0) {
		mb_set_errno(s->res, fd, false);
		return;
	}
	ARRAY_PUSH(s->p->pins, s->p->npin, s->p->cap_pin, fd, "adding a pin");
	/* bytes spliced, as vmsplice returns */
	mb_set_errno(s->res, mf_vmsplice(s->mo->m, s->tid, fd, s->r->addr + s->st->addr.off, s->st->size),
		     true);
}

static void step_unpin(struct step *s)
{
	while (s->p->npin)
		mf_close(s->mo->m, s->tid, s->p->pins[--s->p->npin]);
}

static void step_exit(struct step *s)
{
	mf_exit_group(s->mo->m, s->tid, 0);
}

static void step_file(struct step *s)
{
	mb_exec_file_step(s->mo, s->p, s->tid, s->st, s->res);
}

typedef void step_fn(struct step *s);

static step_fn *const task_op[MF_OP__COUNT] = {
	[MF_OP_MMAP] = step_mmap, [MF_OP_MUNMAP] = step_munmap, [MF_OP_MLOCK] = step_mlock,
	[MF_OP_MUNLOCK] = step_mlock, [MF_OP_MADVISE] = step_madvise, [MF_OP_LOAD] = step_load_store,
	[MF_OP_STORE] = step_load_store, [MF_OP_FILL] = step_fill_check,
	[MF_OP_CHECK] = step_fill_check, [MF_OP_PRCTL_MCE_KILL] = step_prctl,
	[MF_OP_PRCTL_MCE_KILL_GET] = step_prctl, [MF_OP_EXIT] = step_exit, [MF_OP_PIN] = step_pin,
	[MF_OP_UNPIN] = step_unpin, [MF_OP_MSYNC] = step_msync,
	[MF_OP_OPEN] = step_file, [MF_OP_READ] = step_file, [MF_OP_WRITE] = step_file,
	[MF_OP_FSYNC] = step_file, [MF_OP_FDATASYNC] = step_file, [MF_OP_FTRUNCATE] = step_file,
	[MF_OP_PUNCH] = step_file, [MF_OP_CLOSE] = step_file, [MF_OP_UNLINK] = step_file,
};

void mb_exec_task_step(struct model *mo, const struct mf_stmt *st, struct mf_result *res)
{
	struct step s = { mo, st, res, mb_proc(mo, st->task), mb_tid(mo, st->task, st->thread), NULL };
	int v;

	if (!s.p || s.tid < 0 || mf_proc_state(mo->m, s.p->pid, &v) != MF_PROC_ALIVE || !task_op[st->op]) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "task %s is not alive", st->task);
		return;
	}
	if (st->addr.region[0]) {
		s.r = mb_region(s.p, st->addr.region);
		if (!s.r) {
			res->kind = MF_RES_ERROR;
			snprintf(res->msg, sizeof(res->msg), "%s has no region %s", st->task, st->addr.region);
			return;
		}
	}
	task_op[st->op](&s);
	/* e.g. an early-kill SIGBUS during its own madvise: the step never returns */
	if (st->op != MF_OP_EXIT && res->kind != MF_RES_KILLED &&
	    mf_proc_state(mo->m, s.p->pid, &v) == MF_PROC_KILLED) {
		res->kind = MF_RES_KILLED;
		res->killed_signo = v;
	}
}
