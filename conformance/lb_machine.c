/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Machine state of the Linux back end: the guest check, one-time setup, and
 * the spec section 2 defaults every scenario starts from (and the clean-up
 * that lets the next scenario start clean).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/swap.h>
#include <fcntl.h>
#include <unistd.h>

#include "lb.h"
#include "memfail/linux_backend.h"

#define EXT4_MAGIC 0xEF53

bool mf_linux_guest_ok(char *why, unsigned long len)
{
	char cmd[4096];

	if (!lb_in_vm()) {
		snprintf(why, len, "not inside a virtual machine (no QEMU/KVM DMI vendor, no cpuid hypervisor bit)");
		return false;
	}
	if (lb_read_file("/proc/cmdline", cmd, sizeof(cmd)) < 0 ||
	    !strstr(cmd, "memfail.conformance=1")) {
		snprintf(why, len, "the kernel was not booted for memfail (no memfail.conformance=1 on its command line)");
		return false;
	}
	return true;
}

int mf_linux_setup(char *why, unsigned long len)
{
	static const char *const sysctls[][2] = {
		{ "kernel.printk_ratelimit", "0" },
		{ "kernel.printk_ratelimit_burst", "10000" },
		{ "vm.dirty_writeback_centisecs", "0" },
		{ "vm.dirty_expire_centisecs", "360000" },
	};
	struct statfs sf;

	signal(SIGPIPE, SIG_IGN);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) {
		snprintf(why, len, "PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++) {
		char p[128];

		snprintf(p, sizeof(p), "/proc/sys/%s", sysctls[i][0]);
		for (char *c = p + 10; *c; c++)
			if (*c == '.')
				*c = '/';
		if (lb_write_file(p, sysctls[i][1])) {
			snprintf(why, len, "cannot set %s", sysctls[i][0]);
			return -1;
		}
	}
	if (access(LB_HWPOISON_DIR "/corrupt-pfn", W_OK)) {
		snprintf(why, len, "%s/corrupt-pfn: %s (debugfs and hwpoison_inject needed)",
			 LB_HWPOISON_DIR, strerror(errno));
		return -1;
	}
	if (statfs(LB_EXT4_DIR, &sf) || sf.f_type != EXT4_MAGIC) {
		snprintf(why, len, "%s is not an ext4 mount", LB_EXT4_DIR);
		return -1;
	}
	mkdir(LB_TMPFS_DIR, 0755);
	mkdir(LB_HUGE_DIR, 0755);
	umount2(LB_TMPFS_DIR, MNT_DETACH);
	umount2(LB_HUGE_DIR, MNT_DETACH);
	return 0;
}

static int set_or_fail(const char *path, const char *val, struct mf_result *res)
{
	int rc = lb_write_file(path, val);

	if (rc) {
		res->kind = MF_RES_SKIP;
		snprintf(res->msg, sizeof(res->msg), "cannot write %s to %s: %s", val, path,
			 strerror(-rc));
		return -1;
	}
	return 0;
}

static void clean_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[LB_PATH_MAX + 256];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "lost+found"))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
}

#define LB_SWAPFILE LB_EXT4_DIR "/.memfail-swap"

/* machine swap=SIZE: a swap file on the ext4 disk, made and enabled here */
static int swap_on(uint64_t bytes, struct mf_result *res)
{
	static uint8_t buf[1 << 20];
	uint64_t pages = bytes / LB_PAGE;
	int fd = open(LB_SWAPFILE, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc = fd < 0 ? -1 : 0;

	memset(buf, 0, sizeof(buf));
	for (uint64_t off = 0; !rc && off < pages * LB_PAGE; off += sizeof(buf)) {
		uint64_t n = pages * LB_PAGE - off < sizeof(buf) ? pages * LB_PAGE - off : sizeof(buf);

		if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n)
			rc = -1;
	}
	if (!rc) {
		uint32_t hdr[3] = { 1, (uint32_t)(pages - 1), 0 };	/* version, last_page, nr_badpages */

		memcpy(buf + 1024, hdr, sizeof(hdr));
		memcpy(buf + LB_PAGE - 10, "SWAPSPACE2", 10);
		rc = pwrite(fd, buf, LB_PAGE, 0) == (ssize_t)LB_PAGE && !fsync(fd) ? 0 : -1;
	}
	if (fd >= 0)
		close(fd);
	if (!rc)
		rc = swapon(LB_SWAPFILE, 0);
	if (rc) {
		res->kind = MF_RES_SKIP;
		snprintf(res->msg, sizeof(res->msg), "machine swap: cannot enable a swap file: %s",
			 strerror(errno));
	}
	return rc;
}

static void filter_off(void)
{
	lb_write_file(LB_HWPOISON_DIR "/corrupt-filter-enable", "0");
	lb_write_file(LB_HWPOISON_DIR "/corrupt-filter-flags-mask", "0");
	lb_write_file(LB_HWPOISON_DIR "/corrupt-filter-flags-value", "0");
	lb_write_file(LB_HWPOISON_DIR "/corrupt-filter-dev-major", "0xffffffff");
	lb_write_file(LB_HWPOISON_DIR "/corrupt-filter-dev-minor", "0xffffffff");
	lb_write_file(LB_HWPOISON_DIR "/corrupt-filter-memcg", "0");
}

int lb_machine_setup(struct lb *lb, const struct mf_scenario *sc, struct mf_result *res)
{
	static const char *const thp[] = { "never", "madvise", "always" };
	static const char *const shmem[] = { "never", "advise", "within_size", "always" };
	const struct mf_machine_cfg *m = &sc->machine;
	char v[32], opt[96];

	if (set_or_fail("/proc/sys/vm/memory_failure_early_kill", "0", res) ||
	    set_or_fail("/proc/sys/vm/memory_failure_recovery", "1", res))
		return -1;
	lb_write_file("/proc/sys/vm/enable_soft_offline", "1");	/* 6.12 only: 6.1 lacks it */
	filter_off();
	lb_ksm_reset();
	/*
	 * The guest's RAM is fixed (CONFORMANCE_MEM): a scenario may ask for less
	 * (its tmpfs limit is then mounted to match) but not for more, as the
	 * commit limit and the memory the tasks can fill would differ.
	 */
	if (m->memory > lb_meminfo("MemTotal") << 10) {
		res->kind = MF_RES_SKIP;
		snprintf(res->msg, sizeof(res->msg), "machine memory=%lluM: the guest has only %lluM",
			 (unsigned long long)(m->memory >> 20),
			 (unsigned long long)(lb_meminfo("MemTotal") >> 10));
		return -1;
	}
	if (m->thp < 0 || m->thp > 2 || m->shmem_thp < 0 || m->shmem_thp > 3) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "bad thp setting");
		return -1;
	}
	if (set_or_fail("/sys/kernel/mm/transparent_hugepage/enabled", thp[m->thp], res) ||
	    set_or_fail("/sys/kernel/mm/transparent_hugepage/shmem_enabled", shmem[m->shmem_thp], res))
		return -1;
	snprintf(v, sizeof(v), "%ld", m->overcommit);
	if (set_or_fail("/proc/sys/vm/nr_overcommit_hugepages", v, res))
		return -1;
	snprintf(v, sizeof(v), "%ld", m->hugepages);
	if (set_or_fail("/proc/sys/vm/nr_hugepages", v, res))
		return -1;
	if (lb_read_file("/proc/sys/vm/nr_hugepages", v, sizeof(v)) < 0 || atol(v) != m->hugepages) {
		res->kind = MF_RES_SKIP;
		snprintf(res->msg, sizeof(res->msg), "machine hugepages=%ld: the guest has only %ld",
			 m->hugepages, atol(v));
		return -1;
	}
	swapoff(LB_SWAPFILE);
	clean_dir(LB_EXT4_DIR);
	if (m->swap) {
		if (m->swap > (96ULL << 20)) {
			res->kind = MF_RES_SKIP;
			snprintf(res->msg, sizeof(res->msg), "machine swap: at most 96M in the guest");
			return -1;
		}
		if (swap_on(m->swap, res))
			return -1;
		lb->swap_on = true;
	}
	/* the model's tmpfs size limit: half of the machine's memory (mm/shmem.c) */
	snprintf(opt, sizeof(opt), "mode=1777,huge=%s,size=%llu", shmem[m->shmem_thp],
		 (unsigned long long)((m->memory >> 12) / 2) << 12);
	if (mount("tmpfs", LB_TMPFS_DIR, "tmpfs", 0, opt)) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "mount tmpfs: %s", strerror(errno));
		return -1;
	}
	lb->tmpfs_mounted = true;
	if (mount("hugetlbfs", LB_HUGE_DIR, "hugetlbfs", 0, "pagesize=2M")) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "mount hugetlbfs: %s", strerror(errno));
		return -1;
	}
	lb->huge_mounted = true;
	return 0;
}

/* The swapoff step: the scenario's swap file only (EINVAL without one, as swapoff(2)). */
int lb_swapoff(struct lb *lb)
{
	if (!lb->swap_on)
		return -EINVAL;
	if (swapoff(LB_SWAPFILE))
		return -errno;
	lb->swap_on = false;
	return 0;
}

void lb_machine_teardown(struct lb *lb)
{
	if (lb->swap_on)
		swapoff(LB_SWAPFILE);
	lb->swap_on = false;
	clean_dir(LB_EXT4_DIR);
	if (lb->tmpfs_mounted) {
		clean_dir(LB_TMPFS_DIR);
		umount2(LB_TMPFS_DIR, MNT_DETACH);
	}
	if (lb->huge_mounted) {
		clean_dir(LB_HUGE_DIR);
		umount2(LB_HUGE_DIR, MNT_DETACH);
	}
	lb->tmpfs_mounted = lb->huge_mounted = false;
	filter_off();
	lb_ksm_reset();
	lb_write_file("/proc/sys/vm/memory_failure_early_kill", "0");
	lb_write_file("/proc/sys/vm/memory_failure_recovery", "1");
	lb_write_file("/proc/sys/vm/enable_soft_offline", "1");
	if (!lb->oops[0])	/* unpoison would wait for mf_mutex forever */
		lb_unpoison_all(lb);
}
