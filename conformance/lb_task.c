/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The task side of the Linux back end: a real process (or thread) that serves
 * requests from the controller, one at a time, over a SOCK_SEQPACKET socket.
 *
 * SIGBUS/SIGSEGV: a SA_SIGINFO handler records every signal. When the thread
 * is inside an access window (a load/store/fill/check of scenario memory) and
 * the signal is synchronous (BUS_MCEERR_AR, BUS_ADRERR, SIGSEGV), it is the
 * step's result and the handler siglongjmps out of the access; otherwise it is
 * appended to the process signal log that the controller collects after each
 * step (MF_EV_SIGNAL). An idle thread holds SIGBUS blocked (recv_request).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lb.h"
#include "memfail/array.h"

/*
 * Process-wide signal log (shared by the threads of the process): a ring, as
 * the handler cannot allocate; nsiglog counts every signal recorded.
 */
static struct lb_sig siglog[LB_SIGLOG];
static atomic_int nsiglog;

/* Channels of this process: closed in a forked child. */
static int *chans;
static int nchans, cap_chans;
static bool my_sigbus_default;

static __thread sigjmp_buf access_jb;
static __thread volatile sig_atomic_t in_access;
__thread struct lb_sig lb_intr;

static void on_signal(int signo, siginfo_t *si, void *uc)
{
	struct lb_sig s;

	(void)uc;
	s.signo = signo;
	s.code = si->si_code;
	s.addr = (uint64_t)(uintptr_t)si->si_addr;
	s.lsb = (signo == SIGBUS) ? si->si_addr_lsb : 0;
	s.tid = (int)syscall(SYS_gettid);
	if (in_access && (signo == SIGSEGV || si->si_code == BUS_MCEERR_AR ||
			  si->si_code == BUS_ADRERR)) {
		lb_intr = s;
		in_access = 0;
		siglongjmp(access_jb, 1);
	}
	if (signo == SIGSEGV) {
		/* a SIGSEGV outside an access window is a bug of ours: die loudly */
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
		return;
	}
	int i = atomic_fetch_add(&nsiglog, 1);

	siglog[i % LB_SIGLOG] = s;
}

int lb_access_begin(void)
{
	memset(&lb_intr, 0, sizeof(lb_intr));
	if (sigsetjmp(access_jb, 1))
		return 1;
	in_access = 1;
	return 0;
}

void lb_access_end(void)
{
	in_access = 0;
}

static void set_handlers(bool sigbus_default)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	if (sigbus_default) {
		signal(SIGBUS, SIG_DFL);
	} else {
		sigaction(SIGBUS, &sa, NULL);
	}
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGBUS);
	sigaddset(&set, SIGSEGV);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int lb_send_fd(int sock, const void *buf, size_t len, int fd)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.b;
		mh.msg_controllen = sizeof(u.b);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	for (;;) {
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);

		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

ssize_t lb_recv_fd(int sock, void *buf, size_t len, int *fd)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.b, .msg_controllen = sizeof(u.b) };
	ssize_t n;

	if (fd)
		*fd = -1;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n > 0 && fd) {
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
				memcpy(fd, CMSG_DATA(c), sizeof(int));
	}
	return n;
}

static void serve(int chan) __attribute__((noreturn));

struct thread_arg {
	int chan;
	char name[MF_NAME_MAX];
};

static void *thread_main(void *p)
{
	struct thread_arg a = *(struct thread_arg *)p;
	int tid = (int)syscall(SYS_gettid);

	free(p);
	prctl(PR_SET_NAME, a.name, 0, 0, 0);
	if (lb_send_fd(a.chan, &tid, sizeof(tid), -1) < 0)
		return NULL;
	serve(a.chan);
}

static void do_thread(const struct lb_req *rq, struct lb_rep *rp, int *pass_fd)
{
	int sp[2];
	pthread_t th;
	pthread_attr_t attr;
	struct thread_arg *a = calloc(1, sizeof(*a));

	if (!a || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		lb_set_errno(&rp->res, errno);
		free(a);
		return;
	}
	a->chan = sp[1];
	snprintf(a->name, sizeof(a->name), "%s", rq->name);
	ARRAY_PUSH(chans, nchans, cap_chans, sp[1], "the task's channels");
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int err = pthread_create(&th, &attr, thread_main, a);

	pthread_attr_destroy(&attr);
	if (err) {
		lb_set_errno(&rp->res, err);
		close(sp[0]);
		close(sp[1]);
		free(a);
		return;
	}
	*pass_fd = sp[0];
	rp->res.kind = MF_RES_OK;
}

/*
 * fork: a double fork, so that the new task is reparented to the controller
 * (a child subreaper) and the controller can waitpid() it.
 */
static void do_fork(const struct lb_req *rq, struct lb_rep *rp, int *pass_fd)
{
	int sp[2];
	pid_t mid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		lb_set_errno(&rp->res, errno);
		return;
	}
	mid = fork();
	if (mid < 0) {
		lb_set_errno(&rp->res, errno);
		close(sp[0]);
		close(sp[1]);
		return;
	}
	if (mid == 0) {
		pid_t c = fork();

		if (c != 0)
			_exit(c < 0 ? 1 : 0);
		/* the new task: a copy of this thread, with its own channel */
		for (int i = 0; i < nchans; i++)
			close(chans[i]);
		close(sp[0]);
		nchans = 0;
		atomic_store(&nsiglog, 0);
		lb_task_main(sp[1], rq->name, rq->sigbus_default || my_sigbus_default);
	}
	close(sp[1]);
	int st;

	while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		rp->res.kind = MF_RES_ERROR;
		snprintf(rp->res.msg, sizeof(rp->res.msg), "fork failed");
		close(sp[0]);
		return;
	}
	*pass_fd = sp[0];
	rp->res.kind = MF_RES_OK;
}

static void do_sigs(const struct lb_req *rq, struct lb_rep *rp)
{
	int n = atomic_load(&nsiglog);
	int from = rq->cursor;

	rp->res.kind = MF_RES_OK;
	if (n - from > LB_SIGLOG) {	/* overwritten before the controller drained them */
		rp->res.kind = MF_RES_ERROR;
		snprintf(rp->res.msg, sizeof(rp->res.msg), "more than %d signals in one step", LB_SIGLOG);
		from = n - LB_SIGLOG;
	}
	rp->total = n;
	rp->first = from;
	rp->nsig = 0;
	for (int i = from; i < n && rp->nsig < LB_MAX_SIG; i++)
		rp->sig[rp->nsig++] = siglog[i % LB_SIGLOG];
}

/*
 * Between requests the thread keeps SIGBUS blocked, so a signal sent while it
 * waits stays pending until its next request (the controller pings every
 * thread after each statement): delivery at the step boundary, as the model
 * does it. A second SIGBUS sent in the meantime then always finds the first
 * pending and is dropped (legacy_queue), instead of racing with a handler
 * already running on the other CPU.
 */
static ssize_t recv_request(int chan, struct lb_req *rq)
{
	sigset_t bus;
	ssize_t n;

	sigemptyset(&bus);
	sigaddset(&bus, SIGBUS);
	pthread_sigmask(SIG_BLOCK, &bus, NULL);
	n = lb_recv_fd(chan, rq, sizeof(*rq), NULL);
	if (n > 0)
		pthread_sigmask(SIG_UNBLOCK, &bus, NULL);	/* what is pending arrives now */
	return n;
}

static void serve(int chan)
{
	static __thread struct lb_req rq;
	static __thread struct lb_rep rp;

	for (;;) {
		ssize_t n = recv_request(chan, &rq);
		int pass_fd = -1;

		if (n <= 0)
			_exit(0);	/* the controller went away */
		memset(&rp, 0, sizeof(rp));
		rp.res.kind = MF_RES_OK;
		switch (rq.op) {
		case LB_REQ_STEP:
			lb_ops_step(&rq, &rp);
			break;
		case LB_REQ_PING:
			break;
		case LB_REQ_SIGS:
			do_sigs(&rq, &rp);
			break;
		case LB_REQ_FORK:
			do_fork(&rq, &rp, &pass_fd);
			break;
		case LB_REQ_THREAD:
			do_thread(&rq, &rp, &pass_fd);
			break;
		case LB_REQ_RECLAIM:
			lb_ops_reclaim(&rq, &rp);
			break;
		}
		size_t len = offsetof(struct lb_rep, sig) + (size_t)rp.nsig * sizeof(rp.sig[0]);

		lb_send_fd(chan, &rp, len, pass_fd);
		if (pass_fd >= 0)
			close(pass_fd);
		if (rq.op == LB_REQ_STEP && rq.st.op == MF_OP_EXIT && rp.res.kind == MF_RES_OK) {
			if (rq.st.thread[0] && strcmp(rq.st.thread, "main"))
				pthread_exit(NULL);
			_exit(0);
		}
	}
}

void lb_task_main(int chan, const char *name, bool sigbus_default)
{
	int pid = getpid();

	prctl(PR_SET_NAME, name, 0, 0, 0);
	my_sigbus_default = sigbus_default;
	set_handlers(sigbus_default);
	ARRAY_PUSH(chans, nchans, cap_chans, chan, "the task's channels");
	if (lb_send_fd(chan, &pid, sizeof(pid), -1) < 0)
		_exit(1);
	serve(chan);
}
