# SPDX-License-Identifier: GPL-2.0-only
# The conformance runner (a static binary for the guest) and `make conformance`,
# which boots Debian's Linux 6.1 (or 6.12, or a kernel you built) under QEMU and
# compares every portable scenario's trace with the model's. Included by the top
# Makefile. Always built in build/ (a static binary cannot use the sanitizers).

# exposure-workload.c is the exposure proof's guest workload (conformance/exposure-run.sh),
# a program of its own, not part of the runner.
LB_SRC := $(sort $(filter-out conformance/exposure-workload.c,$(wildcard conformance/*.c)))
LB_OBJ := $(LB_SRC:%.c=build/%.o)

build/conformance/%.o: conformance/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -O2 -g -c -o $@ $<

# The runner needs the scenario language, not the model: it links the language
# archive only (scenario/, backend/ and lib/array.c, the allocation helpers the
# parser uses), so a call into the model (memfail.h) would not link.
build/memfail-linux: $(LB_OBJ) build/libmfscenario.a
	$(CC) -static -o $@ $(LB_OBJ) build/libmfscenario.a $(JSON_LIBS) -lpthread

# KERNEL=6.1 (default) | 6.12: Debian's kernel package to boot. KERNEL_IMAGE=.../bzImage
# [KERNEL_MODULES=.../lib/modules/VERSION] boots a kernel you built, compared with the model's
# PROFILE=6.1|6.12. CONFORMANCE_TAP=1: TAP 13 output. See conformance/README.md.
KERNEL ?= 6.1
CONFORMANCE_ENV = CONFORMANCE_KERNEL=$(KERNEL) KERNEL_IMAGE=$(KERNEL_IMAGE) \
	KERNEL_MODULES=$(KERNEL_MODULES) PROFILE=$(PROFILE)

conformance: deps build/memfail-linux build/memfail
	@$(CONFORMANCE_ENV) ./conformance/run.sh

# The filesystem-DAX scenarios: one boot each (a DAX scenario changes the pmem
# filesystem; only a boot restores the image). About 15 s per scenario.
conformance-dax: deps build/memfail-linux build/memfail
	@$(CONFORMANCE_ENV) ./conformance/pmem-run.sh

-include $(LB_OBJ:.o=.d)
