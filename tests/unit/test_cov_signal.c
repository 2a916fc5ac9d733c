/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * send_sig_info (kernel/signal.c) in the cases memory_failure's callers do
 * not produce from scenarios: SIGKILL, an ignored SIGBUS (dropped when sent,
 * reset to the default and fatal when forced, as force_sig_info does), and
 * a signal to a process that is already dead (-ESRCH).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mm_test.h"

static void test_sigkill_then_dead(void **state)
{
	struct machine *m = mk_machine(16);
	struct task_struct *t = task_create(m, "A");
	struct kernel_siginfo si = { SIGKILL, 0, 0, 0 };

	(void)state;
	assert_int_equal(send_sig_info(SIGKILL, &si, t, true), 0);
	assert_true(t->signal->dead);
	assert_int_equal(t->signal->exit_signal, SIGKILL);
	assert_int_equal(send_sig_info(SIGKILL, &si, t, true), -ESRCH);
	ok(m);
	machine_destroy(m);
}

static void test_ignored_sigbus(void **state)
{
	struct machine *m = mk_machine(16);
	struct task_struct *t = task_create(m, "A");
	struct kernel_siginfo si = { SIGBUS, 4 /* BUS_MCEERR_AO */, 0x1000, 12 };

	(void)state;
	t->signal->sigbus = SIG_IGNORE;
	assert_int_equal(send_sig_info(SIGBUS, &si, t, false), 0);
	assert_false(t->signal->dead);
	assert_int_equal(m->nr_sigs, 0);
	assert_int_equal(send_sig_info(SIGBUS, &si, t, true), 0);
	assert_int_equal(t->signal->sigbus, SIG_DEFAULT);
	assert_false(t->signal->dead);	/* the default action waits for the return to user space */
	assert_int_equal(send_sig_info(SIGBUS, &si, t, true), 0);	/* pending: nothing more */
	deliver_fatal_signals(m);
	assert_true(t->signal->dead);
	assert_int_equal(t->signal->exit_signal, SIGBUS);
	ok(m);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigkill_then_dead),
		cmocka_unit_test(test_ignored_sigbus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
