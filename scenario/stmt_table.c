/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one table of statement kinds (stmt.h): name, class, flags, parse
 * function, canonical printer and help syntax of every enum mf_op. Rows are
 * in enum order, which is also the order of every list printed from it.
 */
#include <string.h>

#include "stmt.h"

#define D MF_CLASS_DECL
#define T MF_CLASS_TASK
#define S MF_CLASS_SYSTEM
#define REF MF_OPF_PAGEREF
#define INJ (MF_OPF_PAGEREF | MF_OPF_INJECTS)

const struct stmt_kind stmt_kinds[MF_OP__COUNT] = {
	[MF_OP_FILE] = { "file", D, 0, p_file_decl, c_file,
			 "file FS:NAME size=SIZE [fill=index|0xNN] [synced|dirty|hole|uncached] "
			 "[aligned]" },
	[MF_OP_TASK] = { "task", D, 0, p_task_decl, c_task, "task T [fork P] [sigbus=default]" },
	[MF_OP_THREAD] = { "thread", D, 0, p_thread_decl, c_thread, "thread T.NAME" },
	[MF_OP_SYSCTL] = { "sysctl", D, 0, p_sysctl_stmt, c_sysctl, "sysctl KEY=VALUE" },
	[MF_OP_MMAP] = { "mmap", T, 0, p_mmap, c_mmap,
			 "mmap R anon|file FS:NAME|fd F private|shared|sysv SIZE [offset=SIZE] [ro] "
			 "[populate] [locked] [hugetlb] [thp] [fill=index|0xNN]" },
	[MF_OP_MUNMAP] = { "munmap", T, 0, p_munmap, c_region, "munmap R" },
	[MF_OP_MLOCK] = { "mlock", T, 0, p_mlock, c_range, "mlock R+OFF [SIZE]" },
	[MF_OP_MUNLOCK] = { "munlock", T, 0, p_mlock, c_range, "munlock R+OFF [SIZE]" },
	[MF_OP_MADVISE] = { "madvise", T, MF_OPF_INJECTS, p_madvise, c_madvise,
			    "madvise R+OFF SIZE hwpoison|soft_offline|hugepage|nohugepage|dontneed|"
			    "pageout|willneed|collapse|mergeable|unmergeable [as L]" },
	[MF_OP_LOAD] = { "load", T, 0, p_load, c_addr, "load R+OFF" },
	[MF_OP_STORE] = { "store", T, 0, p_store, c_store, "store R+OFF 0xNN" },
	[MF_OP_FILL] = { "fill", T, 0, p_fill, c_fill, "fill R+OFF SIZE index|0xNN" },
	[MF_OP_CHECK] = { "check", T, 0, p_fill, c_fill, "check R+OFF SIZE index|0xNN" },
	[MF_OP_PRCTL_MCE_KILL] = { "prctl mce_kill", T, 0, p_mce_kill, c_mce_kill,
				   "prctl mce_kill early|late|clear" },
	[MF_OP_PRCTL_MCE_KILL_GET] = { "prctl mce_kill_get", T, 0, p_nothing, c_none,
				       "prctl mce_kill_get" },
	[MF_OP_EXIT] = { "exit", T, 0, p_exit, c_none, "exit" },
	[MF_OP_PIN] = { "pin", T, 0, p_pin, c_range, "pin R+OFF SIZE (at most 64K)" },
	[MF_OP_UNPIN] = { "unpin", T, 0, p_nothing, c_none, "unpin" },
	[MF_OP_OPEN] = { "open", T, 0, p_open, c_open, "open F FS:NAME rw|ro" },
	[MF_OP_READ] = { "read", T, 0, p_rw, c_rw, "read F OFFSET LENGTH" },
	[MF_OP_WRITE] = { "write", T, 0, p_rw, c_rw, "write F OFFSET LENGTH [fill=index|0xNN]" },
	[MF_OP_FSYNC] = { "fsync", T, 0, p_fdop, c_fd, "fsync F" },
	[MF_OP_FDATASYNC] = { "fdatasync", T, 0, p_fdop, c_fd, "fdatasync F" },
	[MF_OP_MSYNC] = { "msync", T, 0, p_msync, c_range, "msync R [SIZE]" },
	[MF_OP_FTRUNCATE] = { "ftruncate", T, 0, p_ftruncate, c_ftruncate, "ftruncate F SIZE" },
	[MF_OP_PUNCH] = { "punch", T, 0, p_rw, c_rw, "punch F OFFSET LENGTH" },
	[MF_OP_CLOSE] = { "close", T, 0, p_close, c_fd, "close F" },
	[MF_OP_UNLINK] = { "unlink", T, 0, p_unlink, c_unlink, "unlink FS:NAME" },
	[MF_OP_CORRUPT_PFN] = { "corrupt-pfn", S, INJ, p_inject, c_ref, "corrupt-pfn PAGE [as L]" },
	[MF_OP_UNPOISON] = { "unpoison", S, REF, p_ref, c_ref, "unpoison PAGE" },
	[MF_OP_HARD_OFFLINE] = { "hard-offline", S, INJ, p_inject, c_ref,
				 "hard-offline PAGE [as L]" },
	[MF_OP_SOFT_OFFLINE] = { "soft-offline", S, INJ, p_inject, c_ref,
				 "soft-offline PAGE [as L]" },
	[MF_OP_FILTER_ENABLE] = { "filter enable", S, 0, p_filter, c_filter,
				  "filter enable [flags-mask=FLAGS] [flags-value=FLAGS]" },
	[MF_OP_FILTER_DISABLE] = { "filter disable", S, 0, p_nothing, c_none, "filter disable" },
	[MF_OP_MCE_SRAO] = { "mce srao", S, INJ | MF_OPF_MODEL_ONLY, p_mce, c_ref,
			     "mce srao PAGE [as L] (model-only)" },
	[MF_OP_MCE_SRAR] = { "mce srar", S, INJ | MF_OPF_MODEL_ONLY, p_mce, c_ref,
			     "mce srar T:R+OFF [as L] (model-only)" },
	[MF_OP_SYNC] = { "sync", S, 0, p_nothing, c_none, "sync" },
	[MF_OP_DROP_CACHES] = { "drop_caches", S, 0, p_drop_caches, c_drop_caches,
				"drop_caches 1|2|3" },
	[MF_OP_RECLAIM] = { "reclaim", S, REF, p_ref, c_ref, "reclaim PAGE" },
	[MF_OP_LABEL] = { "label", S, REF, p_label, c_label, "label L = PAGE" },
	[MF_OP_REFLINK] = { "reflink", S, 0, p_reflink, c_reflink,
			    "reflink FS:SRC FS:DST [SRC_OFFSET LENGTH DST_OFFSET] (pmem files)" },
	[MF_OP_KSM_SCAN] = { "ksm-scan", S, 0, p_nothing, c_none, "ksm-scan" },
	[MF_OP_SWAPOFF] = { "swapoff", S, 0, p_nothing, c_none, "swapoff" },
	[MF_OP_CONCURRENTLY] = { "concurrently", S, 0, p_conc, c_conc,
				 "concurrently [schedule C|CxN ...] (then 2 or 3 steps, then end)" },
	[MF_OP_END_CONCURRENTLY] = { "end", S, 0, p_nothing, c_none,
				     "end (closes a concurrently block)" },
};

const char *const mf_fs_names[] = { "disk", "tmpfs", "hugetlbfs", "pmem-xfs", "pmem-xfs-normap",
				    "pmem-ext4", NULL };
const char *const mf_madv_names[] = { "hwpoison", "soft_offline", "hugepage", "nohugepage",
				      "dontneed", "pageout", "willneed", "collapse", "mergeable",
				      "unmergeable", NULL };
const char *const mf_kill_names[] = { "early", "late", "clear", NULL };
const char *const mf_state_names[] = { "synced", "dirty", "hole", "uncached", NULL };

int word_index(const char *s, const char *const *words)
{
	for (int i = 0; words[i]; i++)
		if (!strcmp(s, words[i]))
			return i;
	return -1;
}

bool mf_madv_injects(enum mf_madv advice)
{
	return advice == MF_MADV_HWPOISON || advice == MF_MADV_SOFT_OFFLINE;
}

static bool valid(enum mf_op op)
{
	return (int)op >= 0 && op < MF_OP__COUNT;
}

const char *mf_op_name(enum mf_op op)
{
	return valid(op) ? stmt_kinds[op].name : "?";
}

enum mf_stmt_class mf_op_class(enum mf_op op)
{
	return valid(op) ? stmt_kinds[op].cls : MF_CLASS_SYSTEM;
}

unsigned mf_op_flags(enum mf_op op)
{
	return valid(op) ? stmt_kinds[op].flags : 0;
}

/* Length of the first word of a name. */
static size_t word1(const char *name)
{
	const char *sp = strchr(name, ' ');

	return sp ? (size_t)(sp - name) : strlen(name);
}

static bool first_is(const struct stmt_kind *k, const char *w)
{
	size_t n = word1(k->name);

	return strlen(w) == n && !strncmp(k->name, w, n);
}

static bool same_first(const struct stmt_kind *a, const struct stmt_kind *b)
{
	return word1(a->name) == word1(b->name) && !strncmp(a->name, b->name, word1(a->name));
}

/* "a or b" / "a, b or c": second words of the names starting with w. */
static void second_words(struct sbuf *b, enum mf_stmt_class cls, const char *w)
{
	int n = 0, i, seen = 0;

	for (i = 0; i < MF_OP__COUNT; i++)
		n += stmt_kinds[i].cls == cls && first_is(&stmt_kinds[i], w);
	for (i = 0; i < MF_OP__COUNT; i++) {
		const struct stmt_kind *k = &stmt_kinds[i];

		if (k->cls != cls || !first_is(k, w))
			continue;
		sb_printf(b, "%s%s", !seen ? "" : seen == n - 1 ? " or " : ", ",
			  k->name + word1(k->name) + 1);
		seen++;
	}
}

bool stmt_known(enum mf_stmt_class cls, const char *w)
{
	for (int i = 0; i < MF_OP__COUNT; i++)
		if (stmt_kinds[i].cls == cls && first_is(&stmt_kinds[i], w))
			return true;
	return false;
}

const struct stmt_kind *stmt_lookup(struct pctx *p, enum mf_stmt_class cls, const char *w,
				    bool *known)
{
	const struct stmt_kind *first = NULL;
	struct sbuf alt = { 0 };
	struct tok *t;

	*known = false;
	for (int i = 0; i < MF_OP__COUNT && !first; i++)
		if (stmt_kinds[i].cls == cls && first_is(&stmt_kinds[i], w))
			first = &stmt_kinds[i];
	if (!first || !first->name[strlen(w)])
		return first;
	*known = true;
	second_words(&alt, cls, w);
	t = p_word(p, alt.s);
	for (int i = 0; t && i < MF_OP__COUNT; i++) {
		const struct stmt_kind *k = &stmt_kinds[i];

		if (k->cls == cls && first_is(k, w) && !strcmp(k->name + strlen(w) + 1, t->s)) {
			sb_free(&alt);
			return k;
		}
	}
	if (t)
		p_err(p, t, "%s", alt.s);
	sb_free(&alt);
	return NULL;
}

void stmt_word_list(struct sbuf *b, enum mf_stmt_class cls)
{
	int n = 0, seen = 0;

	for (int i = 0; i < MF_OP__COUNT; i++) {
		const struct stmt_kind *k = &stmt_kinds[i];

		n += k->cls == cls && (!i || !same_first(&stmt_kinds[i - 1], k));
	}
	for (int i = 0; i < MF_OP__COUNT; i++) {
		const struct stmt_kind *k = &stmt_kinds[i];

		if (k->cls != cls || (i && same_first(&stmt_kinds[i - 1], k)))
			continue;
		sb_printf(b, "%s%.*s", !seen ? "" : seen == n - 1 ? " or " : ", ",
			  (int)word1(k->name), k->name);
		seen++;
	}
}

void mf_stmt_help(FILE *f)
{
	static const char *const heading[] = {
		[MF_CLASS_DECL] = "Declarations:",
		[MF_CLASS_TASK] = "Task steps (T: or T.THREAD: before the operation):",
		[MF_CLASS_SYSTEM] = "System steps (PAGE: a page reference):",
	};

	for (int c = MF_CLASS_DECL; c <= MF_CLASS_SYSTEM; c++) {
		fprintf(f, "%s\n", heading[c]);
		for (int i = 0; i < MF_OP__COUNT; i++)
			if (stmt_kinds[i].cls == (enum mf_stmt_class)c)
				fprintf(f, "  %s\n", stmt_kinds[i].syntax);
	}
}
