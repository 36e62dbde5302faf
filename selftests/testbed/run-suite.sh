#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run-suite.sh amd|intel [SUBSET]: boots the emulated machine of that
# vendor, runs every selftest program in build/selftests against vireo.ko
# and then against Debian's kvm module (the reference), unloads vireo, and
# prints a per-test table and the line "<machine>: N passed, N failed" for
# the vireo results.  SUBSET, if given, is a file listing the programs to
# run (Bochs is slow).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

vendor=$1
subset=${2:-}
mkdir -p "$TB_OUT"
case "$vendor" in
amd) machine=amd-v; boot=tb_qemu; limit=${TB_QEMU_TIMEOUT:-1500} ;;
intel) machine=vt-x; boot=tb_bochs; limit=${TB_BOCHS_TIMEOUT:-2400} ;;
*) tb_die "usage: run-suite.sh amd|intel [SUBSET]" ;;
esac

progs=()
for p in "$TB_BUILD"/selftests/*_test; do
	[ -x "$p" ] || continue
	name=$(basename "$p")
	if [ -n "$subset" ] && ! grep -qx "$name" "$subset"; then
		continue
	fi
	progs+=("$p")
done
[ ${#progs[@]} -gt 0 ] || tb_die "no selftest programs in $TB_BUILD/selftests; run make selftests"
[ -r "$TB_TOP/vireo.ko" ] || tb_die "no vireo.ko; run make module"

init=$TB_OUT/init-$vendor
{
	tb_init_header
	echo 'echo "### cpu: $(grep -o -w -m1 -E "svm|vmx" /proc/cpuinfo)"'
	echo 'for dev in vireo kvm; do'
	echo '  if [ $dev = vireo ]; then insmod /vireo.ko || echo "### insmod vireo failed"'
	echo '  else tb_load_kvm || echo "### insmod kvm failed"'
	echo '    VIREO_DEVICE=/dev/kvm /hold_vm & holder=$!; fi'
	echo '  echo "### device $dev"'
	for p in "${progs[@]}"; do
		n=$(basename "$p")
		echo "  echo \"### program $n\""
		echo "  VIREO_DEVICE=/dev/\$dev timeout 600 /$n 2>&1"
		echo "  echo \"### exit \$?\""
	done
	echo '  if [ $dev = vireo ]; then'
	echo '    cat /sys/kernel/debug/vireo/* 2>/dev/null | head -5'
	echo '    if rmmod vireo; then echo "### rmmod ok"; else echo "### rmmod failed"; fi'
	echo '  else kill $holder; sleep 1; tb_unload_kvm; fi'
	echo 'done'
	tb_init_footer
} > "$init"

initrd=$TB_OUT/initrd-$vendor.gz
tb_initramfs "$initrd" "$init" "$TB_TOP/vireo.ko" "${progs[@]}" \
	"$TB_BUILD/selftests/hold_vm"
log=$TB_OUT/console-$vendor.log
rm -f "$log"
start=$(date +%s)
echo "$machine: booting the emulated machine (log: $log)"
$boot "$initrd" "$log" "$limit"
rc=$?
secs=$(( $(date +%s) - start ))
[ $rc -eq 124 ] && echo "$machine: timed out after ${secs}s"

exec python3 "$(dirname "$0")/parse-tap.py" "$machine" "$log" "$secs" \
	"$TB_END_MARKER"
