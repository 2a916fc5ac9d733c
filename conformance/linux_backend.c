/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Linux back end: struct mf_backend_ops with real processes and system
 * calls, for a disposable Linux guest. This file is the controller's ops: it
 * hands task steps to the task processes (lb_proc.c starts, drives and reaps
 * them; lb_task.c is their side) and system steps to lb_sys.c; what each step
 * produced is gathered by lb_collect.c.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lb.h"
#include "memfail/array.h"
#include "memfail/linux_backend.h"

#define LB(be) ((struct lb *)(be)->priv)

const char *lb_kernel;

static bool model_only(const struct mf_scenario *sc)
{
	for (int i = 0; i < sc->nstmt; i++) {
		const struct mf_stmt *st = &sc->stmt[i];

		if (st->is_expect)
			continue;
		if (mf_op_flags(st->op) & MF_OPF_MODEL_ONLY)
			return true;
		if ((mf_op_flags(st->op) & MF_OPF_PAGEREF) && mf_pref_model_only(st->ref.kind))
			return true;
	}
	return false;
}

static int count_op(const struct mf_scenario *sc, enum mf_op op)
{
	int n = 0;

	for (int i = 0; i < sc->nstmt; i++)
		n += !sc->stmt[i].is_expect && sc->stmt[i].op == op;
	return n;
}

static int start_fail(struct mf_result *res, enum mf_res_kind kind, const char *msg)
{
	res->kind = kind;
	snprintf(res->msg, sizeof(res->msg), "%s", msg);
	return -1;
}

static int be_start(struct mf_backend *be, const struct mf_scenario *sc, struct mf_result *res)
{
	struct lb *lb = LB(be);
	const char *want = lb_kernel ? lb_kernel : sc->kernel;
	struct utsname u;
	char why[160];

	lb->sc = sc;
	res->kind = MF_RES_OK;
	if (sc->requires_model)
		return start_fail(res, MF_RES_SKIP, "requires model");
	if (model_only(sc))
		return start_fail(res, MF_RES_SKIP, "model-only statement (mce, slab)");
	/* "6.1" must not accept 6.12: the release goes on with '.' or '-' */
	if (uname(&u) || strncmp(u.release, want, strlen(want)) ||
	    !strchr(".-", u.release[strlen(want)])) {
		snprintf(why, sizeof(why), "not a Linux %s kernel", want);
		return start_fail(res, MF_RES_SKIP, why);
	}
	if (lb_tainted_by_oops())
		return start_fail(res, MF_RES_SKIP, "the kernel oopsed earlier in this boot");
	if (sc->machine.nodes > 1)
		return start_fail(res, MF_RES_SKIP, "machine nodes>1: the guest has one node");
	if (lb_dax_check(sc, why, sizeof(why)))
		return start_fail(res, MF_RES_SKIP, why);
	if (lb_machine_setup(lb, sc, res))
		return -1;
	for (int i = 0; i < sc->nsysctl; i++) {
		int rc = lb_sysctl_set(sc->sysctl[i].key, sc->sysctl[i].val);

		if (rc) {
			char m[128];

			snprintf(m, sizeof(m), "sysctl %s: %s", sc->sysctl[i].key, strerror(-rc));
			return start_fail(res, MF_RES_ERROR, m);
		}
	}
	if (count_op(sc, MF_OP_UNPOISON))
		lb_unpoison_wait(count_op(sc, MF_OP_UNPOISON));
	lb_kmsg_open(lb);
	return 0;
}

static void be_exec(struct mf_backend *be, const struct mf_stmt *st, const uint64_t *pfns, int nr,
		    struct mf_result *res, struct mf_events *evs)
{
	struct lb *lb = LB(be);

	memset(res, 0, sizeof(*res));
	res->kind = MF_RES_OK;
	if (st->is_expect || lb_oops_blocks(lb, st, res)) {
		lb_collect(lb, st, res, evs);
		return;
	}
	switch (st->op) {
	case MF_OP_FILE:
		lb_create_file(st, res);
		break;
	case MF_OP_TASK:
		lb_decl_task(lb, st, res);
		break;
	case MF_OP_THREAD:
		lb_decl_thread(lb, st, res);
		break;
	case MF_OP_SYSCTL: {
		int rc = lb_sysctl_set(st->sysctl_key, st->sysctl_val);

		if (rc)
			lb_set_errno(res, -rc);
		break;
	}
	case MF_OP_RECLAIM:
		lb_reclaim_step(lb, st, res);
		break;
	case MF_OP_REFLINK: {
		int rc = lb_dax_reflink(st);

		if (rc)
			lb_set_errno(res, -rc);
		break;
	}
	default:
		/* the rest of the system steps run in the controller, task steps in the task */
		if (mf_op_class(st->op) == MF_CLASS_SYSTEM)
			lb_system_step(lb, st, pfns, nr, res);
		else
			lb_task_step(lb, st, pfns, nr, res);
		break;
	}
	lb_collect(lb, st, res, evs);
}

static int be_resolve(struct mf_backend *be, const struct mf_pageref *ref, uint64_t *pfn,
		      char *msg, size_t msglen)
{
	struct lb *lb = LB(be);

	switch (ref->kind) {
	case MF_PREF_TASK: {
		struct lb_task *t = lb_task_find(lb, ref->task);
		bool present = false;

		if (!t || t->state != MF_TASK_ALIVE) {
			snprintf(msg, msglen, "task %s is not alive", ref->task);
			return -1;
		}
		for (int i = 0; i < t->nreg; i++) {
			if (strcmp(t->reg[i].name, ref->addr.region))
				continue;
			if (lb_pagemap(t->pid, t->reg[i].addr + ref->addr.off, pfn, &present)) {
				snprintf(msg, msglen, "nothing mapped at %s:%s+0x%llx", ref->task,
					 ref->addr.region, (unsigned long long)ref->addr.off);
				return -1;
			}
			return 0;
		}
		snprintf(msg, msglen, "%s has no region %s", ref->task, ref->addr.region);
		return -1;
	}
	case MF_PREF_FILE:
		return lb_resolve_file(ref, pfn, msg, msglen);
	case MF_PREF_FREE:
		return lb_find_free(false, pfn, msg, msglen);
	case MF_PREF_FREE_HUGE:
		return lb_find_free(true, pfn, msg, msglen);
	case MF_PREF_KERNEL:
		return lb_find_kernel(pfn, msg, msglen);
	case MF_PREF_PMEM:
		return lb_dax_resolve(ref, pfn, msg, msglen);
	default:
		snprintf(msg, msglen, "model-only page reference");
		return -1;
	}
}

static uint64_t be_hwcorrupt(struct mf_backend *be)
{
	(void)be;
	return lb_meminfo("HardwareCorrupted");
}

static int be_kpageflags(struct mf_backend *be, uint64_t pfn, uint64_t *flags)
{
	(void)be;
	return lb_kpageflags(pfn, flags);
}

static int be_hugepages(struct mf_backend *be, long *free, long *total)
{
	(void)be;
	*free = (long)lb_meminfo("HugePages_Free");
	*total = (long)lb_meminfo("HugePages_Total");
	return 0;
}

/* /sys/devices/system/node/nodeN/memory_failure/ (6.12; 6.1 has no such directory) */
static int be_mf_stats(struct mf_backend *be, int node, uint64_t v[5])
{
	static const char *const name[] = { "total", "ignored", "failed", "delayed", "recovered" };
	char path[96], buf[32];

	(void)be;
	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/memory_failure/%s",
			 node, name[i]);
		if (lb_read_file(path, buf, sizeof(buf)) < 0)
			return -1;
		v[i] = strtoull(buf, NULL, 10);
	}
	return 0;
}

static enum mf_task_state be_task_state(struct mf_backend *be, const char *task, int *code)
{
	struct lb_task *t = lb_task_find(LB(be), task);

	if (!t)
		return MF_TASK_UNKNOWN;
	if (code)
		*code = t->code;
	return t->state;
}

static const char *be_name_of_tid(struct mf_backend *be, int tid)
{
	struct lb *lb = LB(be);

	for (int i = 0; i < lb->ntask; i++)
		for (int k = 0; k < lb->task[i]->nthr; k++)
			if (lb->task[i]->thr[k].tid == tid)
				return lb->task[i]->thr[k].full;
	return NULL;
}

static int be_tid_of(struct mf_backend *be, const char *task, const char *thread)
{
	struct lb_task *t = lb_task_find(LB(be), task);
	struct lb_thread *th = t ? lb_thread_find(t, thread) : NULL;

	return th ? th->tid : -1;
}

static uint64_t be_region_base(struct mf_backend *be, const char *task, const char *region)
{
	struct lb_task *t = lb_task_find(LB(be), task);

	for (int i = 0; t && i < t->nreg; i++)
		if (!strcmp(t->reg[i].name, region))
			return t->reg[i].addr;
	return 0;
}

static bool be_addr_region(struct mf_backend *be, const char *task, uint64_t addr,
			   char *region, size_t len, uint64_t *off)
{
	struct lb_task *t = lb_task_find(LB(be), task);

	for (int i = 0; t && i < t->nreg; i++) {
		if (addr >= t->reg[i].addr && addr - t->reg[i].addr < t->reg[i].size) {
			snprintf(region, len, "%s", t->reg[i].name);
			*off = addr - t->reg[i].addr;
			return true;
		}
	}
	return false;
}

static const char *be_dmesg(struct mf_backend *be)
{
	return LB(be)->dmesg;
}

static void be_destroy(struct mf_backend *be)
{
	struct lb *lb = LB(be);

	for (int i = 0; i < lb->ntask; i++) {
		struct lb_task *t = lb->task[i];

		if (t->state == MF_TASK_ALIVE) {
			kill(t->pid, SIGKILL);
			lb_reap(t);
		}
		lb_close_channels(t);
		free(t->thr);
		free(t->reg);
		free(t);
	}
	free(lb->task);
	lb_machine_teardown(lb);
	free(lb->poison);
	if (lb->kmsg_fd >= 0)
		close(lb->kmsg_fd);
	free(lb->dmesg);
	free(lb);
	free(be);
}

/* tasks, threads, regions, fds and pins are growable tables (lb.h): no limit (0) */
static const struct mf_limits linux_limits = { 0 };

static const struct mf_backend_ops linux_ops = {
	.name = "linux",
	.model_only_ok = false,
	.limits = &linux_limits,
	.start = be_start,
	.exec = be_exec,
	.resolve = be_resolve,
	.hardware_corrupted_kb = be_hwcorrupt,
	.kpageflags = be_kpageflags,
	.hugepages = be_hugepages,
	.mf_stats = be_mf_stats,
	.task_state = be_task_state,
	.name_of_tid = be_name_of_tid,
	.tid_of = be_tid_of,
	.region_base = be_region_base,
	.addr_region = be_addr_region,
	.dmesg = be_dmesg,
	.dump_state = NULL,
	.destroy = be_destroy,
};

const struct mf_limits *mf_linux_limits(void)
{
	return &linux_limits;
}

struct mf_backend *mf_linux_backend_new(void)
{
	struct mf_backend *be = calloc(1, sizeof(*be));
	struct lb *lb = calloc(1, sizeof(*lb));

	if (!be || !lb) {
		free(be);
		free(lb);
		return NULL;
	}
	lb->kmsg_fd = -1;
	be->ops = &linux_ops;
	be->priv = lb;
	return be;
}
