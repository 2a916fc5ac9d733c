/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal interface of the Linux back end (conformance/linux_backend.c and
 * friends). The controller (the runner process) drives one real process per
 * scenario task over a SOCK_SEQPACKET socket pair per thread: one request,
 * one reply. Task processes keep their own region and fd tables; the
 * controller mirrors the region table for page references and addresses.
 */
#ifndef MEMFAIL_CONFORMANCE_LB_H
#define MEMFAIL_CONFORMANCE_LB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memfail/backend.h"
#include "memfail/scenario.h"

/*
 * Tasks, threads, regions, fds, pins and poisoned pages are growable tables.
 * LB_MAX_SIG is only how many signals one LB_REQ_SIGS reply carries (the
 * controller pages through the log); LB_SIGLOG is the ring a process records
 * its signals in from the handler (which cannot allocate): the controller
 * drains it after every statement, so it bounds the signals of one step.
 */
#define LB_MAX_SIG	64
#define LB_SIGLOG	4096
#define LB_PATH_MAX	160

#define LB_EXT4_DIR	"/mnt/ext4"
#define LB_TMPFS_DIR	"/mnt/tmpfs"
#define LB_HUGE_DIR	"/mnt/huge"
#define LB_HWPOISON_DIR	"/sys/kernel/debug/hwpoison"
#define LB_PAGE		4096ULL
#define LB_HPAGE	(2ULL << 20)

/* madvise(2) advice numbers (not all libcs define the newer ones). */
#define BIT(b) (1ULL << (b))
#define LB_MADV_WILLNEED	3
#define LB_MADV_DONTNEED	4
#define LB_MADV_MERGEABLE	12
#define LB_MADV_UNMERGEABLE	13
#define LB_MADV_HUGEPAGE	14
#define LB_MADV_NOHUGEPAGE	15
#define LB_MADV_PAGEOUT		21
#define LB_MADV_POPULATE_READ	22
#define LB_MADV_POPULATE_WRITE	23
#define LB_MADV_COLLAPSE	25
#define LB_MADV_HWPOISON	100
#define LB_MADV_SOFT_OFFLINE	101

/* kpageflags bits */
#define LB_KPF_BUDDY		10
#define LB_KPF_COMPOUND_HEAD	15
#define LB_KPF_HUGE		17
#define LB_KPF_HWPOISON		19
#define LB_KPF_RESERVED		32
#define LB_KPF_ANON		12
#define LB_KPF_MMAP		11

enum lb_req_op {
	LB_REQ_STEP,	/* run st */
	LB_REQ_PING,	/* nothing: lets pending signals be handled */
	LB_REQ_SIGS,	/* return process signal log entries from cursor */
	LB_REQ_FORK,	/* fork a new task named name; reply carries its channel */
	LB_REQ_THREAD,	/* start thread name; reply carries its channel */
	LB_REQ_RECLAIM,	/* MADV_PAGEOUT one page at region+off, report presence */
};

struct lb_sig {
	int signo, code, lsb, tid;
	uint64_t addr;
};

struct lb_req {
	int op;
	char name[MF_NAME_MAX];
	bool sigbus_default;
	int cursor;
	char path[LB_PATH_MAX];	/* file path of MMAP file / OPEN / UNLINK */
	struct mf_stmt st;
};

struct lb_rep {
	struct mf_result res;
	uint64_t addr, size;	/* MMAP: where the region went */
	int id;			/* FORK: pid, THREAD: tid, RECLAIM: still present */
	int nsig, total, first;	/* SIGS: returned, recorded so far, index of sig[0] */
	struct lb_sig sig[LB_MAX_SIG];
};

/* lb_task.c: the task side */
void lb_task_main(int chan, const char *name, bool sigbus_default) __attribute__((noreturn));
int lb_send_fd(int sock, const void *buf, size_t len, int fd);
ssize_t lb_recv_fd(int sock, void *buf, size_t len, int *fd);

/* lb_ops.c: task steps, run inside the task */
void lb_ops_step(const struct lb_req *rq, struct lb_rep *rp);
void lb_ops_reclaim(const struct lb_req *rq, struct lb_rep *rp);
uint8_t lb_pattern_byte(const struct mf_pattern *pat, uint64_t page_index);
/* the result of a system call returning -1 and errno, or a value */
void lb_res_value(struct mf_result *res, long ret);
/* lb_file.c: the task's open files and the file steps */
int lb_fd_of(const char *name);
void lb_op_file(const struct lb_req *rq, struct mf_result *res);
/* the access window: 0 = ran to the end, else interrupted (signal in *sig) */
int lb_access_begin(void);
void lb_access_end(void);
extern __thread struct lb_sig lb_intr;

/* Controller-side state. */
struct lb_region {
	char name[MF_NAME_MAX];
	uint64_t addr, size;
};
struct lb_thread {
	char name[MF_NAME_MAX];
	char full[2 * MF_NAME_MAX + 2];	/* "A" or "A.t2" */
	int tid, fd;
};
struct lb_task {
	char name[MF_NAME_MAX];
	int pid;
	enum mf_task_state state;
	int code;		/* KILLED: signo; EXITED: status */
	int nthr, cap_thr;	/* thr[0]: main */
	struct lb_thread *thr;
	int nreg, cap_reg;
	struct lb_region *reg;
	int sigcur;
};

struct lb {
	const struct mf_scenario *sc;
	int ntask, cap_task;
	struct lb_task **task;	/* pointers: a task stays put while the table grows */
	int kmsg_fd;
	char *dmesg;
	size_t dmesg_len, dmesg_cap;
	int npoison, cap_poison;
	uint64_t *poison;
	bool tmpfs_mounted, huge_mounted, swap_on;
	char last_name[2 * MF_NAME_MAX + 2];
	bool in_oops, oops_told;	/* inside an oops report; its MF_EV_OOPS sent */
	char oops[64];			/* the function an oops named ("" none) */
};

/* linux_backend.c: the controller */
/*
 * memfail-linux --kernel V: the version this run was booted for ("6.12"); the
 * start check compares uname with it instead of the scenario's kernel line.
 */
extern const char *lb_kernel;
/* lb_proc.c: the task processes, seen from the controller */
struct lb_task *lb_task_find(struct lb *lb, const char *name);
struct lb_thread *lb_thread_find(struct lb_task *t, const char *thread);
void lb_close_channels(struct lb_task *t);
/* one request, one reply: 0, or -1 when the channel is dead */
int lb_rpc(struct lb_thread *th, const struct lb_req *rq, struct lb_rep *rp, int *fd);
/* the process is gone (or going): wait for it and record how it ended */
void lb_reap(struct lb_task *t);
void lb_decl_task(struct lb *lb, const struct mf_stmt *st, struct mf_result *res);
void lb_decl_thread(struct lb *lb, const struct mf_stmt *st, struct mf_result *res);
void lb_task_step(struct lb *lb, const struct mf_stmt *st, const uint64_t *pfns, int nr,
		  struct mf_result *res);
void lb_reclaim_step(struct lb *lb, const struct mf_stmt *st, struct mf_result *res);
/* lb_collect.c: after every statement, the signals, deaths and kernel log of the step */
void lb_collect(struct lb *lb, const struct mf_stmt *st, struct mf_result *res, struct mf_events *evs);

/* lb_machine.c: scenario defaults (spec section 2) and clean-up */
int lb_machine_setup(struct lb *lb, const struct mf_scenario *sc, struct mf_result *res);
void lb_machine_teardown(struct lb *lb);
/* lb_ksm.c: ksmd through /sys/kernel/mm/ksm */
void lb_ksm_reset(void);
void lb_ksm_scan(struct mf_result *res);

/* lb_sys.c: system steps, /proc readers, kmsg, files */
int lb_write_file(const char *path, const char *val);
int lb_write_file_create(const char *path, const char *val);
int lb_read_file(const char *path, char *buf, size_t len);
int lb_sysctl_set(const char *key, const char *val);
void lb_file_path(enum mf_fs fs, const char *name, char *buf, size_t len);
int lb_create_file(const struct mf_stmt *st, struct mf_result *res);
int lb_swapoff(struct lb *lb);	/* the swapoff step: 0 or -errno */
void lb_system_step(struct lb *lb, const struct mf_stmt *st, const uint64_t *pfns, int nr,
		    struct mf_result *res);
void lb_kmsg_open(struct lb *lb);
void lb_kmsg_drain(struct lb *lb, struct mf_events *evs);
uint64_t lb_meminfo(const char *key);
int lb_kpageflags(uint64_t pfn, uint64_t *flags);
int lb_pagemap(int pid, uint64_t vaddr, uint64_t *pfn, bool *present);
int lb_reclaim_file(const struct mf_pageref *ref, struct mf_result *res);
int lb_resolve_file(const struct mf_pageref *ref, uint64_t *pfn, char *msg, size_t len);
/* lb_dax.c: pmem (legacy e820) and its dax=always filesystem on /mnt/pmem */
int lb_dax_check(const struct mf_scenario *sc, char *why, size_t len);
void lb_dax_path(const char *name, char *buf, size_t len);
int lb_dax_prepare(int fd, const struct mf_stmt *st);
int lb_dax_resolve(const struct mf_pageref *ref, uint64_t *pfn, char *msg, size_t len);
int lb_dax_reflink(const struct mf_stmt *st);
int lb_find_free(bool huge, uint64_t *pfn, char *msg, size_t len);
int lb_find_kernel(uint64_t *pfn, char *msg, size_t len);
void lb_note_poison(struct lb *lb, uint64_t pfn);
void lb_unpoison_all(struct lb *lb);
void lb_unpoison_wait(int steps);
int lb_unpoison(uint64_t pfn);		/* debugfs unpoison-pfn: 0 or -errno */
uint64_t *lb_read_kpageflags(uint64_t *npfn);	/* all of /proc/kpageflags, malloc()ed */
void lb_set_errno(struct mf_result *res, int err);
bool lb_in_vm(void);

/* lb_oops.c: a kernel oops in the guest's log */
bool lb_oops_scan(struct lb *lb, const char *text);	/* true: a line of an oops report */
void lb_oops_report(struct lb *lb, struct mf_events *evs);
bool lb_oops_blocks(const struct lb *lb, const struct mf_stmt *st, struct mf_result *res);
bool lb_tainted_by_oops(void);

#endif
