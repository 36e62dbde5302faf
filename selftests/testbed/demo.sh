#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# demo.sh: make demo.  Builds the module and build/selftests/demo_guest, loads
# vireo.ko and runs that first guest, printing what it prints.  On a host
# whose CPU has VT-x or AMD-V and whose kernel loads modules, it does so
# right here (as root); anywhere else it boots the AMD-V testbed (QEMU TCG,
# about a minute) and does it there.
set -euo pipefail
. "$(dirname "$0")/testbed-lib.sh"

demo=$BUILD/selftests/demo_guest
say() { printf 'demo: %s\n' "$*"; }

if grep -q -w -E 'vmx|svm' /proc/cpuinfo && [ -e /proc/modules ]; then
	say "this CPU has $(grep -o -w -m1 -E 'vmx|svm' /proc/cpuinfo): running on the host"
	[ "$(id -u)" -eq 0 ] || tb_die "loading vireo.ko needs root: run sudo make demo"
	make -s -C "$TB_TOP" module selftests
	[ -x "$demo" ] || { say "$demo is not built yet (selftests/module/demo_guest.c); nothing to run"; exit 1; }
	if grep -q -E '^kvm_(amd|intel) ' /proc/modules; then
		say "note: kvm is loaded and may hold the CPU's virtualization; rmmod kvm_amd (or kvm_intel) if insmod fails"
	fi
	insmod "$TB_TOP/vireo.ko"
	status=0
	VIREO_DEVICE=/dev/vireo "$demo" || status=$?
	rmmod vireo
	say "demo_guest exited with status $status; vireo unloaded"
	exit "$status"
fi

say "this CPU has no VT-x or AMD-V (or no module loading): using the emulated AMD-V machine"
tb_require_tools
KVER=$(tb_kver)
export KVER KDIR=/usr/src/linux-headers-$KVER BUILD
make -s -C "$TB_TOP" module KDIR="$KDIR" selftests
[ -x "$demo" ] || { say "$demo is not built yet (selftests/module/demo_guest.c); nothing to run"; exit 1; }
say "booting Debian $KVER in QEMU (TCG, -cpu max), insmod vireo.ko, running demo_guest"
tb_suite vireo demo 0 "$(tb_limit 1)" "$demo"
echo "--- demo_guest output ---"
tb_output "$TB_RESULTS" vireo demo_guest
echo "-------------------------"
status=$(tb_status "$TB_RESULTS" vireo demo_guest)
problems=$(tb_problems "$TB_RESULTS" vireo)
say "demo_guest exit status: $status; rmmod vireo: $(awk -F '\t' '$1 == "T" && $3 == "module_unload" { print $4 }' "$TB_RESULTS")"
say "guest machine ran ${TB_BOOT_SECS}s; console log: $TB_LOG"
if [ -n "$problems" ]; then
	echo "$problems" | sed 's/^/demo: problem: /'
	exit 1
fi
[ "$status" = 0 ]
