#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run.sh [-d vireo|kvm_amd|kvm_intel] [-H] [-v] PROGRAM...: boots the
# testbed once (the AMD-V machine, or with TB_MACHINE=intel the VT-x one),
# loads the device's module (vireo.ko from the repository root, or
# Debian's kvm_amd or kvm_intel), runs each static PROGRAM there with
# VIREO_DEVICE set,
# unloads the module and prints one line per TAP result.  The way to run
# one test by hand:
#   selftests/testbed/run.sh build/selftests/modes_test
#   selftests/testbed/run.sh -d kvm_amd -H build/selftests/modes_test
#   TB_MACHINE=intel selftests/testbed/run.sh -d kvm_intel build/selftests/state_test
#   -H  hold one VM open while the programs run (the TCG trap, see
#       Documentation/testing.md)
#   -v  also print each program's output that is not a TAP result
# Exits 0 when every result is ok, 1 otherwise, 2 on a setup problem.
set -euo pipefail
. "$(dirname "$0")/testbed-lib.sh"

dev=vireo
hold=0
verbose=0
while getopts "d:Hv" opt; do
	case $opt in
	d) dev=$OPTARG ;;
	H) hold=1 ;;
	v) verbose=1 ;;
	*) tb_die "usage: run.sh [-d vireo|kvm_amd|kvm_intel] [-H] [-v] PROGRAM..." ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || tb_die "usage: run.sh [-d vireo|kvm_amd|kvm_intel] [-H] [-v] PROGRAM..."
if [ "${TB_MACHINE:-amd}" = intel ]; then
	machine="Bochs (VT-x)"
	case $dev in vireo | kvm_intel) ;; *) tb_die "unknown device $dev for TB_MACHINE=intel (vireo or kvm_intel)" ;; esac
else
	machine="QEMU (TCG, -cpu max)"
	case $dev in vireo | kvm_amd) ;; *) tb_die "unknown device $dev (vireo or kvm_amd; kvm_intel needs TB_MACHINE=intel)" ;; esac
fi
tb_require_tools
progs=()
for p in "$@"; do
	[ -x "$p" ] || tb_die "$p is not an executable"
	progs+=("$(cd "$(dirname "$p")" && pwd)/$(basename "$p")")
done
if [ "$dev" = vireo ] && [ ! -r "${TB_VIREO_KO:-$TB_TOP/vireo.ko}" ]; then
	tb_die "no vireo.ko at the repository root; run make module"
fi

tb_msg "booting $(tb_kver) in $machine with $dev: $*"
tb_suite "$dev" "run-$dev" "$hold" "$(tb_limit ${#progs[@]})" "${progs[@]}"
tb_msg "guest ran ${TB_BOOT_SECS}s ($TB_BOOT_STATUS); console log: $TB_LOG"
if [ $verbose = 1 ]; then
	for p in "${progs[@]}" module_unload; do
		tb_output "$TB_RESULTS" "$dev" "$(basename "$p")" | sed "s|^|$(basename "$p")> |"
	done
fi
tb_summary "$TB_RESULTS" "$dev" "$TB_LOG"
echo "$TB_PASSED passed, $TB_FAILED failed${TB_SKIPPED:+, $TB_SKIPPED skipped}"
[ "$TB_FAILED" -eq 0 ]
