#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check.sh: what `make check` and CI run.
#   1. builds the module and the module selftests (each build is a test);
#   2. runs the host unit tests (make unit; selftests/vmm too when present);
#   3. boots the AMD-V testbed (QEMU TCG) with vireo.ko and runs every
#      build/selftests/*_test there, then rmmod vireo (counted);
#   4. boots it again with Debian's kvm_amd and runs the same programs, the
#      reference, printed beside each result and never counted;
#   5. boots it once more for the monitor's boot tests (boot.sh: the
#      stock kernel booted by build/vireo on vireo.ko, and on kvm_amd);
#   5b. boots it once more for the virtio devices (virtio.sh: disks, ext4,
#      read-only disk, entropy, hvc0, TAP network; TB_VIRTIO=0 skips it);
#   6. boots the VT-x testbed (Bochs) with vireo.ko and runs the same
#      programs there (counted; with TB_VMX_REF=1 also a kvm_intel boot);
#   7. boots it again for a shorter set of the monitor's boot tests
#      (boot.sh with TB_MACHINE=intel: power-off, triple fault, usage),
#      and once more for virtio.sh's disk run.
# Every result line names the vendor it came from ("svm", "vmx").
# Ends with the line "N passed, N failed"; exits 1 on any failure, 2 when a
# tool is missing.  Logs go to build/testbed/.  Environment: TB_TESTS (names
# of the programs to run, default every *_test), TB_REF=0 (skip the
# reference), TB_BOOT=0 (skip the boot tests), TB_VMX=0 (skip the VT-x
# machine), TB_VMX_REF=1, TB_VMX_CYCLES
# (churn cycles on VT-x, default 10), TB_PROG_TIMEOUT, TB_IDLE_TIMEOUT,
# TB_BOOT_MAX, TB_VMX_MAX, TB_CHECK_MAX (seconds; the last bounds the
# whole run, default 5100).
# Worst case, every program hanging: about 1 min of build and host tests,
# 15 min for the vireo boot, 10 min for the reference, 30 min for VT-x.
set -euo pipefail
. "$(dirname "$0")/testbed-lib.sh"

t0=$(date +%s)
# No boot may run past TB_CHECK_MAX seconds (85 min) from here, so that
# the final line comes before CI's 90-minute limit even if every program
# hangs; a boot cut short counts as the timeout it is.
export TB_DEADLINE=$((t0 + ${TB_CHECK_MAX:-5100}))
passed=0
failed=0
skipped=0

note() { printf '== [%4ds] %s\n' $(($(date +%s) - t0)) "$*"; }
pass() { passed=$((passed + 1)); printf '%-7s%s\n' ok "$*"; }
fail() { failed=$((failed + 1)); printf '%-7s%s\n' "not ok" "$*"; }

# build NAME CMD...: one build step, counted as one test.
build() {
	local name=$1 log=$TB_OUT/$1.log s
	shift
	s=$(date +%s)
	if "$@" >"$log" 2>&1; then
		pass "$name ($(($(date +%s) - s))s)"
		return 0
	fi
	fail "$name (log: $log)"
	tail -n 15 "$log" | sed 's/^/#   /'
	return 1
}

# host_suite NAME CMD...: a host test suite that ends with the line
# "NAME: N passed, N failed"; its results are added to the totals.
host_suite() {
	local name=$1 log=$TB_OUT/$1.log line p f s
	shift
	s=$(date +%s)
	"$@" >"$log" 2>&1 || true
	grep -a -E '^not ok' "$log" | sed "s/^/# $name: /" || true
	line=$(grep -a -E "^$name: [0-9]+ passed, [0-9]+ failed" "$log" | tail -n 1 || true)
	if [ -z "$line" ]; then
		fail "$name: no \"$name: N passed, N failed\" line (log: $log)"
		tail -n 15 "$log" | sed 's/^/#   /'
		return 0
	fi
	p=$(echo "$line" | sed -E 's/^[^:]*: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	passed=$((passed + p))
	failed=$((failed + f))
	echo "#      $line ($(($(date +%s) - s))s, log: $log)"
}

command -v make >/dev/null 2>&1 || tb_die "missing tools: install make (apt-get install make, or make deps)"
tb_require_tools
KVER=$(tb_kver)
export KVER KDIR=/usr/src/linux-headers-$KVER BUILD
mkdir -p "$TB_OUT"

note "build for Debian kernel $KVER (KDIR=$KDIR)"
module_ok=1
build build-module make -C "$TB_TOP" module KDIR="$KDIR" || module_ok=0
build build-selftests make -C "$TB_TOP" selftests || true

note "host unit tests"
host_suite unit make -C "$TB_TOP" unit
if [ -f "$TB_TOP/selftests/vmm/Makefile" ]; then
	host_suite vmm make -C "$TB_TOP/selftests/vmm" check
fi

progs=()
for p in "$BUILD"/selftests/*; do
	[ -f "$p" ] && [ -x "$p" ] || continue
	n=$(basename "$p")
	if [ -n "${TB_TESTS:-}" ]; then
		[[ " $TB_TESTS " == *" $n "* ]] || continue
	else
		[[ $n == *_test ]] || continue
	fi
	progs+=("$p")
done
[ ${#progs[@]} -gt 0 ] || fail "no module selftests (*_test) in $BUILD/selftests to run"

vireo_results=/dev/null
if [ $module_ok = 1 ] && [ ${#progs[@]} -gt 0 ]; then
	note "AMD-V testbed (QEMU TCG) with vireo.ko: ${progs[*]##*/}"
	tb_suite vireo check-vireo 0 "$(tb_limit ${#progs[@]})" "${progs[@]}"
	vireo_results=$TB_RESULTS
	vireo_log=$TB_LOG
	note "  guest ran ${TB_BOOT_SECS}s ($TB_BOOT_STATUS), log: $vireo_log"
elif [ $module_ok = 0 ]; then
	note "no vireo.ko: the module selftests were not run"
fi

ref_results=/dev/null
ref_log=
if [ "${TB_REF:-1}" != 0 ] && [ ${#progs[@]} -gt 0 ]; then
	note "reference: the same programs on Debian's kvm_amd (not counted)"
	tb_suite kvm_amd check-kvm_amd 1 "$(tb_limit ${#progs[@]} 600)" "${progs[@]}"
	ref_results=$TB_RESULTS
	ref_log=$TB_LOG
	note "  guest ran ${TB_BOOT_SECS}s ($TB_BOOT_STATUS), log: $ref_log"
fi

if [ "$vireo_results" != /dev/null ]; then
	note "module selftests on vireo, AMD-V (beside them: Debian's kvm_amd on the same emulated CPU)"
	TB_TAG="svm " tb_summary "$vireo_results" vireo "$vireo_log" "$ref_results" kvm_amd "$ref_log"
	passed=$((passed + TB_PASSED))
	failed=$((failed + TB_FAILED))
	skipped=$((skipped + TB_SKIPPED))
elif [ "$ref_results" != /dev/null ]; then
	note "reference results alone (information)"
	tb_summary "$ref_results" kvm_amd "$ref_log" | sed 's/^/# ref kvm_amd: /'
fi

# The monitor (build/vireo) boots Debian's kernel in the AMD-V testbed, on
# vireo.ko and on kvm_amd as the reference: one more QEMU boot.
if [ "${TB_BOOT:-1}" != 0 ] && [ $module_ok = 1 ]; then
	note "monitor boot tests (selftests/testbed/boot.sh, QEMU TCG)"
	host_suite boot "$TB_DIR/boot.sh"
fi
if [ "${TB_VIRTIO:-1}" != 0 ] && [ $module_ok = 1 ]; then
	note "virtio devices (selftests/testbed/virtio.sh, QEMU TCG)"
	host_suite virtio "$TB_DIR/virtio.sh"
fi

# The VT-x machine (Bochs): the same programs on vireo.ko.  Bochs is some
# 15 times slower than QEMU, so the churn tests make fewer cycles there
# (VIREO_CYCLES); every other test runs as on AMD-V.  Debian's kvm_intel
# as the reference is a second boot, only with TB_VMX_REF=1: in Bochs 2.7
# it runs each test many times slower than vireo and hangs in modes_test
# (32-bit MMIO), which would take CI past its limit.
vmx_ref=/dev/null
vmx_ref_log=
if [ "${TB_VMX:-1}" != 0 ] && [ $module_ok = 1 ] && [ ${#progs[@]} -gt 0 ]; then
	export TB_PROG_ENV="VIREO_CYCLES=${TB_VMX_CYCLES:-10} VIREO_CLOSE_CYCLES=${TB_VMX_CYCLES:-10}"
	note "VT-x testbed (Bochs) with vireo.ko: ${progs[*]##*/}"
	TB_MACHINE=intel TB_IDLE_TIMEOUT=${TB_VMX_IDLE:-600} \
		tb_suite vireo check-vmx 0 "${TB_VMX_MAX:-1800}" "${progs[@]}"
	vmx_results=$TB_RESULTS
	vmx_log=$TB_LOG
	note "  guest ran ${TB_BOOT_SECS}s ($TB_BOOT_STATUS), log: $vmx_log"
	# The Bochs guest's console sometimes goes silent for good while a
	# VMX guest churns (testing.md, "Known problems").  Once, and saying
	# so, the programs that did not finish run again in a second boot;
	# a second silence counts as the failure it is.
	if [ "$TB_BOOT_STATUS" = stalled ]; then
		finished=$(awk -F '\t' '$1 == "E" && $2 == "vireo" { print $3 }' "$vmx_results")
		rest=()
		for p in "${progs[@]}"; do
			grep -qx "$(basename "$p")" <<<"$finished" || rest+=("$p")
		done
		note "  the Bochs console went silent during $(tb_current "$vmx_log"); once more, in a new boot: ${rest[*]##*/}"
		TB_MACHINE=intel TB_IDLE_TIMEOUT=${TB_VMX_IDLE:-600} \
			tb_suite vireo check-vmx-again 0 "${TB_VMX_MAX:-1800}" "${rest[@]}"
		note "  guest ran ${TB_BOOT_SECS}s ($TB_BOOT_STATUS), log: $TB_LOG"
		# The finished programs' records from the first boot, then all
		# of the second.
		awk -F '\t' -v fin="$finished" '
		BEGIN { n = split(fin, f, "\n"); for (i = 1; i <= n; i++) ok[f[i]] = 1 }
		NR == FNR { if ($3 in ok) print; next }
		{ print }' "$vmx_results" "$TB_RESULTS" >"$TB_OUT/check-vmx.merged"
		vmx_results=$TB_OUT/check-vmx.merged
		vmx_log="$vmx_log and $TB_LOG"
	fi
	if [ "${TB_VMX_REF:-0}" = 1 ]; then
		note "reference: the same programs on Debian's kvm_intel (not counted)"
		TB_MACHINE=intel TB_IDLE_TIMEOUT=${TB_VMX_IDLE:-600} \
			tb_suite kvm_intel check-kvm_intel 1 "${TB_VMX_MAX:-1800}" "${progs[@]}"
		vmx_ref=$TB_RESULTS
		vmx_ref_log=$TB_LOG
		note "  guest ran ${TB_BOOT_SECS}s ($TB_BOOT_STATUS), log: $vmx_ref_log"
	fi
	unset TB_PROG_ENV
	beside=
	[ -z "$vmx_ref_log" ] || beside=" (beside them: Debian's kvm_intel on the same emulated CPU)"
	note "module selftests on vireo, VT-x$beside"
	TB_TAG="vmx " tb_summary "$vmx_results" vireo "$vmx_log" "$vmx_ref" \
		"${vmx_ref_log:+kvm_intel}" "$vmx_ref_log"
	passed=$((passed + TB_PASSED))
	failed=$((failed + TB_FAILED))
	skipped=$((skipped + TB_SKIPPED))
fi

# The monitor on VT-x: a stock-kernel boot to ACPI power-off, a triple
# fault and the usage errors, by build/vireo on vireo.ko in Bochs.
if [ "${TB_VMX:-1}" != 0 ] && [ "${TB_BOOT:-1}" != 0 ] && [ $module_ok = 1 ]; then
	note "monitor boot tests on VT-x (selftests/testbed/boot.sh, Bochs)"
	host_suite boot-vmx env TB_MACHINE=intel "$TB_DIR/boot.sh"
fi
# The virtio devices on VT-x: the three runs of virtio.sh (disk, console,
# net) in Bochs.
if [ "${TB_VMX:-1}" != 0 ] && [ "${TB_VIRTIO:-1}" != 0 ] && [ $module_ok = 1 ]; then
	note "virtio devices on VT-x (selftests/testbed/virtio.sh, Bochs)"
	host_suite virtio-vmx env TB_MACHINE=intel "$TB_DIR/virtio.sh"
fi

[ "$skipped" -eq 0 ] || note "$skipped skipped (not counted)"
note "done in $(($(date +%s) - t0))s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
