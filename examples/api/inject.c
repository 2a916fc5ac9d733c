// SPDX-License-Identifier: GPL-2.0-only
/*
 * The memfail API in a few lines: build a machine, map a page in a process,
 * poison it with madvise(MADV_HWPOISON), touch it, and print the signal the
 * process got and what the kernel logged. Build against an installed copy:
 *
 *   cc inject.c $(pkg-config --cflags --libs memfail) -o inject
 */
#include <stdio.h>

#include <memfail/memfail.h>

static int fail(struct mf_machine *m, const char *what, int err)
{
	fprintf(stderr, "inject: %s: error %d %s\n", what, err, m ? mf_errmsg(m) : "");
	mf_machine_destroy(m);
	return 1;
}

int main(void)
{
	struct mf_machine_desc desc;
	struct mf_machine *m;
	struct mf_sig sig;
	const char *line;
	uint64_t addr;
	char err[256];
	uint8_t byte;
	int pid, ret;

	mf_machine_desc_default(&desc);
	desc.memory = 64 << 20;
	ret = mf_machine_create(&desc, &m, err, sizeof(err));
	if (ret)
		return fail(NULL, err, ret);
	pid = mf_task_create(m, "app", MF_SIGBUS_HANDLER);
	if (pid < 0)
		return fail(m, "task", pid);
	ret = mf_mmap(m, pid, MF_PAGE_SIZE, MF_PROT_READ | MF_PROT_WRITE,
		      MF_MAP_PRIVATE | MF_MAP_ANONYMOUS | MF_MAP_POPULATE, -1, 0, &addr);
	if (ret)
		return fail(m, "mmap", ret);
	mf_store(m, pid, addr, 0x41, &sig);
	mf_log_skip(m);
	ret = mf_madvise(m, pid, addr, MF_PAGE_SIZE, MF_MADVISE_HWPOISON);
	printf("madvise(MADV_HWPOISON) = %d\n", ret);
	while ((line = mf_log_next(m, NULL)))
		printf("kernel: %s\n", line);
	ret = mf_load(m, pid, addr + 0x10, &byte, &sig);
	if (ret == MF_ACCESS_SIGNAL)
		printf("load: signal %d code %d at mapping+%#llx lsb %d\n", sig.signo, sig.code,
		       (unsigned long long)(sig.addr - addr), sig.lsb);
	else
		printf("load: returned %d\n", ret);
	mf_machine_destroy(m);
	return 0;
}
