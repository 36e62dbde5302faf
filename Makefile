# SPDX-License-Identifier: GPL-2.0-only
#
# Vireo: `make` builds the module and the user-space programs,
# `make check` runs every test, `make demo` runs the main job,
# `make bench` prints the measured figures.  See README.md.

KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64))))
BUILD := $(CURDIR)/build

export KDIR BUILD

.PHONY: all module vmm selftests unit deps check demo bench clean

all: module vmm selftests

deps:
	@selftests/testbed/install-deps.sh

module:
	@test -n "$(KDIR)" || { echo "vireo: no kernel headers found; install linux-headers-amd64 or pass KDIR=" >&2; exit 2; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

vmm:
	$(MAKE) -C userspace-vmm

selftests:
	$(MAKE) -C selftests/module

unit:
	$(MAKE) -C selftests/unit check

check: deps
	@selftests/testbed/check.sh

demo: deps
	@selftests/testbed/demo.sh

bench: deps
	@selftests/testbed/bench.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C userspace-vmm clean
	rm -rf $(BUILD)
