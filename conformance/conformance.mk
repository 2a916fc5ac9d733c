# SPDX-License-Identifier: GPL-2.0-only
# The conformance runner (a static binary for the guest) and `make conformance`,
# which boots Debian's Linux 6.1 under QEMU and compares every portable scenario's
# trace with the model's. Included by the top Makefile. Always built in build/
# (a static binary cannot use the sanitizers).

LB_SRC := $(sort $(wildcard conformance/*.c))
LB_OBJ := $(LB_SRC:%.c=build/%.o)

# Until scenario/driver.c lands, the runner only has its --raw mode.
LB_DRIVER := $(shell grep -l '^int mf_run_files' scenario/*.c 2>/dev/null)
LB_DEFS := $(if $(LB_DRIVER),,-DLB_NO_DRIVER)

build/conformance/%.o: conformance/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(LB_DEFS) -O2 -g -c -o $@ $<

build/conformance/memfail-linux.o: $(LB_DRIVER)

# The runner needs the parser and the driver, not the model: link those objects
# directly, so that it builds whatever state the model is in.
LB_DRV_OBJ := $(patsubst %.c,build/%.o,$(sort $(wildcard scenario/*.c)))

build/memfail-linux: $(LB_OBJ) $(LB_DRV_OBJ)
	$(CC) -static -o $@ $(LB_OBJ) $(LB_DRV_OBJ) $(JSON_LIBS) -lpthread

conformance: deps build/memfail-linux build/memfail
	@./conformance/run.sh

-include $(LB_OBJ:.o=.d)
