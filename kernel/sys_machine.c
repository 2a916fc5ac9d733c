// SPDX-License-Identifier: GPL-2.0-only
/*
 * The machine behind the public API: create (boot, pmem and its filesystem,
 * THP settings, the hugetlb pool), destroy, errors, sysctls, task lookup and
 * the out-of-memory unwinding every API call arms.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/dax.h"
#include "memfail/huge_mm.h"
#include "memfail/memory-failure.h"
#include "memfail/profile.h"
#include "sys-internal.h"

static _Thread_local struct mf_machine *oom_current;
static uint64_t last_id;	/* machines made so far */

/* mf_oom's handler while an API call runs: the call unwinds, the machine is unusable. */
static _Noreturn void sys_oom(const char *what)
{
	struct mf_machine *mm = oom_current;

	mm->broken = true;
	snprintf(mm->errmsg, sizeof(mm->errmsg), "out of host memory for %s", what);
	sys_leave(mm, 0);
	longjmp(mm->oom_jmp, 1);
}

void sys_arm(struct mf_machine *mm)
{
	mm->prev_current = oom_current;
	mm->prev_oom = mf_set_oom_handler(sys_oom);
	oom_current = mm;
	mm->prev_arena = mf_arena_enter(mm->arena);
}

long sys_leave(struct mf_machine *mm, long ret)
{
	if (!mm->broken && !mm->m->oom_stop)
		deliver_fatal_signals(mm->m);	/* the call returns to user space */
	/* out of modelled memory (mm/oom_kill.c): no answer would be 6.1's, the machine stops */
	if (mm->m->oom_stop && !mm->broken) {
		mm->broken = true;
		snprintf(mm->errmsg, sizeof(mm->errmsg),
			 "out of modelled memory in %s: Linux would reclaim memory first, which the model does not (give the machine more memory=)",
			 mm->m->oom_stop);
		ret = -ENOTRECOVERABLE;
	}
	mf_set_oom_handler(mm->prev_oom);
	oom_current = mm->prev_current;
	mf_arena_enter(mm->prev_arena);
	mm->m->current = NULL;
	return ret;
}

int sys_error(struct mf_machine *mm, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(mm->errmsg, sizeof(mm->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

const char *mf_errmsg(const struct mf_machine *mm)
{
	return mm ? mm->errmsg : "no machine";
}

const char *mf_machine_oops(const struct mf_machine *mm)
{
	return mm ? mm->m->oops : NULL;
}

const char *mf_kernel_release(const struct mf_machine *mm)
{
	return mm ? mm->m->profile->release : "";
}

void mf_machine_desc_default(struct mf_machine_desc *d)
{
	if (!d)
		return;
	memset(d, 0, sizeof(*d));
	d->kernel = MF_KERNEL_6_1;
	d->memory = 256ULL << 20;
	d->nodes = 1;
	d->thp = MF_THP_MADVISE;
	d->shmem_thp = MF_SHMEM_THP_NEVER;
}

static int check_desc(const struct mf_machine_desc *d, char *err, size_t len)
{
	if (!kernel_profile_get(d->kernel)) {
		snprintf(err, len, "kernel %d: not modelled", (int)d->kernel);
		return -EINVAL;
	}
	if (d->thp < MF_THP_NEVER || d->thp > MF_THP_ALWAYS || d->shmem_thp < MF_SHMEM_THP_NEVER ||
	    d->shmem_thp > MF_SHMEM_THP_ALWAYS || d->pmem_fs < MF_PMEM_FS_NONE ||
	    d->pmem_fs > MF_PMEM_FS_EXT4 || d->hugepages < 0 || d->overcommit_hugepages < 0) {
		snprintf(err, len, "machine description: a setting is out of range");
		return -EINVAL;
	}
	if (d->pmem_fs != MF_PMEM_FS_NONE && !d->pmem) {
		snprintf(err, len, "pmem filesystem without pmem");
		return -EINVAL;
	}
	return 0;
}

/* The pmem device and the filesystem on it. */
static int setup_pmem(struct machine *m, const struct mf_machine_desc *d, char *err, size_t len)
{
	static const enum daxfs_kind kinds[] = {
		[MF_PMEM_FS_XFS] = DAXFS_XFS, [MF_PMEM_FS_XFS_NORMAP] = DAXFS_XFS_NORMAP,
		[MF_PMEM_FS_EXT4] = DAXFS_EXT4,
	};
	int ret;

	if (!d->pmem)
		return 0;
	ret = pmem_create(m, d->pmem, err, len);
	if (ret || d->pmem_fs == MF_PMEM_FS_NONE)
		return ret;
	ret = daxfs_mount(m, kinds[d->pmem_fs]);
	if (ret)
		snprintf(err, len, "pmem: cannot make the filesystem");
	return ret;
}

static int boot(struct mf_machine *mm, char *err, size_t len)
{
	const struct mf_machine_desc *d = &mm->desc;
	struct machine_config cfg = { d->memory, d->swap, d->nodes, d->seed };
	int ret = machine_create(&cfg, &mm->m, err, len);

	if (ret)
		return ret;
	mm->m->profile = kernel_profile_get(d->kernel);
	mm->m->exit_hook = sys_exit_hook;
	mm->m->exit_hook_ctx = mm;
	ret = setup_pmem(mm->m, d, err, len);
	if (ret)
		return ret;
	mm->m->thp.enabled = d->thp;
	mm->m->thp.shmem_huge = d->shmem_thp;
	if (hugetlb_set_pool(mm->m, (uint64_t)d->hugepages, (uint64_t)d->overcommit_hugepages)) {
		snprintf(err, len, "machine hugepages=%ld: not enough memory", d->hugepages);
		return -ENOMEM;
	}
	return 0;
}

/* mf_oom's handler while a machine boots: boot unwinds, mf_machine_create fails. */
static _Thread_local jmp_buf *boot_jmp;
static _Thread_local char boot_what[96];

static _Noreturn void boot_oom(const char *what)
{
	snprintf(boot_what, sizeof(boot_what), "%s", what);
	longjmp(*boot_jmp, 1);
}

/* boot() in a new arena; the host out of memory is -ENOTRECOVERABLE, not an exit. */
static int boot_guarded(struct mf_machine *mm, char *err, size_t errlen)
{
	mf_oom_handler_t prev = mf_set_oom_handler(boot_oom);
	jmp_buf jb;
	int ret;

	boot_jmp = &jb;
	mm->prev_arena = mf_arena_enter(NULL);
	if (!setjmp(jb)) {
		mm->arena = mf_arena_create();
		mf_arena_enter(mm->arena);
		ret = boot(mm, err, errlen);
	} else {
		snprintf(err, errlen, "out of host memory for %s", boot_what);
		ret = -ENOTRECOVERABLE;
	}
	mf_arena_enter(mm->prev_arena);
	mf_set_oom_handler(prev);
	return ret;
}

int mf_machine_create(const struct mf_machine_desc *desc, struct mf_machine **out, char *err,
		      size_t errlen)
{
	char dummy[8];
	struct mf_machine *mm;
	int ret;

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (!out || !desc) {
		snprintf(err, errlen, "no description or no place for the machine");
		return -EINVAL;
	}
	*out = NULL;
	ret = check_desc(desc, err, errlen);
	if (ret)
		return ret;
	mm = xcalloc(1, sizeof(*mm), "creating a machine");
	mm->id = ++last_id;
	mm->desc = *desc;
	u64map_init(&mm->tasks);
	ret = boot_guarded(mm, err, errlen);
	if (ret) {
		mf_machine_destroy(mm);
		return ret;
	}
	*out = mm;
	return 0;
}

void mf_machine_destroy(struct mf_machine *mm)
{
	if (!mm)
		return;
	/*
	 * Every object of the machine and of mm's tables is in the arena, which
	 * goes whole: taking it apart object by object (every task's exit, every
	 * page freed) is the kernel's work at power-off, which it skips too.
	 */
	if (mm->m)
		machine_forget(mm->m);
	mf_arena_destroy(mm->arena);
	free(mm);
}

/* ---- tasks ---------------------------------------------------------------------------- */

struct task_struct *sys_task_any(struct mf_machine *mm, int tid)
{
	uint64_t *v = tid > 0 ? u64map_slot(&mm->tasks, (uint64_t)tid) : NULL;

	return v ? (struct task_struct *)(uintptr_t)*v : NULL;
}

struct task_struct *sys_task(struct mf_machine *mm, int tid)
{
	struct task_struct *t = sys_task_any(mm, tid);

	if (!t || t->signal->dead)
		return NULL;
	mm->m->current = t;
	return t;
}

void sys_task_add(struct mf_machine *mm, struct task_struct *t)
{
	u64map_put(&mm->tasks, (uint64_t)t->pid, (uint64_t)(uintptr_t)t);
}

/* ---- sysctls -------------------------------------------------------------------------- */

/* memfail.dax_lookup=conflict (6.1, default) | load (the v4.20-rc1 regression, seed 003) */
static int dax_sysctl(struct machine *m, const char *key, const char *val)
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

static int sysctl_set(struct machine *m, const char *key, const char *val)
{
	char *end;
	long v;

	if (!strncmp(key, "vm.dirty_", 9))
		return 0;	/* write-back happens only when a scenario asks for it */
	if (!strncmp(key, "memfail.", 8)) {
		int err = dax_sysctl(m, key, val);

		return err == -ENOENT ? memfail_sysctl_set(m, key, val) : err;
	}
	v = strtol(val, &end, 0);
	if (*end || v < 0 || v > 1)
		return -EINVAL;
	if (!strcmp(key, "vm.memory_failure_early_kill"))
		m->sysctl_memory_failure_early_kill = (int)v;
	else if (!strcmp(key, "vm.memory_failure_recovery"))
		m->sysctl_memory_failure_recovery = (int)v;
	else if (!strcmp(key, "vm.enable_soft_offline") && m->profile->soft_offline_sysctl)
		m->sysctl_enable_soft_offline = (int)v;
	else
		return -ENOENT;
	return 0;
}

static void replay_sysctl(struct mf_machine *mm, const struct sys_rec *r)
{
	mf_sysctl_set(mm, r->s[0], r->s[1]);
}

int mf_sysctl_set(struct mf_machine *mm, const char *key, const char *val)
{
	int ret;

	SYS_ENTER(mm);
	if (!key || !val)
		return (int)sys_leave(mm, -EINVAL);
	sys_record(mm, replay_sysctl, NULL, 0, key, val, NULL, 0);
	ret = sysctl_set(mm->m, key, val);
	if (ret)
		sys_error(mm, ret, "sysctl %s=%s: %s", key, val,
			  ret == -ENOENT ? "no such key" : "bad value");
	return (int)sys_leave(mm, ret);
}
