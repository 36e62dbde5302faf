#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# virtio.sh: the monitor's virtio devices in the AMD-V testbed, for make
# check.  Boots the emulated machine (QEMU TCG) once.  Inside, in a
# network namespace of its own, selftests/virtio/virtio_test.sh runs
# build/vireo-static on /dev/vireo with Debian's kernel as the guest and
# Debian's virtio modules in its initramfs (disks, ext4, read-only disk,
# entropy source, console on hvc0, network on a TAP device); then rmmod
# vireo (a test too); then the same on /dev/kvm with Debian's kvm_amd and
# a VM held open (kvm_intel in Bochs: the reference, printed beside, never counted).
#
# Prints one line per vireo result with the reference beside it and last
# exactly one line
#   virtio: N passed, N failed
# (skips, such as a monitor option that does not exist yet, are neither).
# Exits 0 when nothing failed, 1 otherwise, 2 when a tool is missing.
#
# Environment: TB_REF=0 skips the reference; VT_TIMEOUT (seconds per
# guest run inside, default 150, 600 in Bochs); VT_PROG_TIMEOUT (seconds
# per device, default 480, 1200 in Bochs); VT_ONLY (some of "disk console net packed"; default all, in Bochs all but packed);
# VT_VERBOSE=1 shows each nested guest's output with its kernel messages
# (for debugging: their warnings then count as failures of the testbed);
# TB_MACHINE=intel runs it in Bochs instead, as "virtio-vmx".  VT_LOCAL=1
# runs virtio_test.sh right here with QEMU's own virtio devices instead of
# the monitor (QEMU TCG, no testbed): a check of the guest side alone.
# Logs: $TB_OUT/virtio-console.log, virtio.results.
set -euo pipefail
. "$(dirname "$0")/testbed-lib.sh"
. "$(dirname "$0")/virtio-lib.sh"

# On the VT-x machine the suite is "virtio-vmx" and its results say "vmx".
suite=virtio
[ "$TB_MACHINE" != intel ] || suite=virtio-vmx
say() { printf '%s: %s\n' "$suite" "$*"; }
# give_up WHY: a failure before any result, still in the NAME: form.
give_up() {
	printf '%-7s%s\n' "not ok" "$suite: $*"
	echo "$suite: 0 passed, 1 failed"
	exit 1
}

# local_run KVER: virtio_test.sh on this machine against QEMU's devices,
# with busybox's tunctl and nc first in PATH as in the testbed.
local_run() {
	local kver=$1 bb=$TB_OUT/virtio-local/bin
	mkdir -p "$bb"
	ln -sf /bin/busybox "$bb/tunctl"
	ln -sf /bin/busybox "$bb/nc"
	rm -rf "$TB_OUT/virtio-local/work"
	PATH=$bb:$PATH VT_QEMU="qemu-system-x86_64 -accel tcg -cpu max" \
		VT_INITRD=$guest VT_IMAGES=$TB_OUT/virtio-img \
		unshare -n sh "$VT_SRC/virtio_test.sh" none "/boot/vmlinuz-$kver" none \
		"$TB_OUT/virtio-local/work"
}

# testbed_init NONCE: the testbed's /init: the tun driver, then each
# device's run of virtio_test.sh in a network namespace of its own.
testbed_init() {
	local run dev node
	run="env VT_INITRD=/virtio/guest.gz VT_IMAGES=/virtio/img VT_TIMEOUT=$vt_timeout"
	[ -z "$vt_only" ] || run="$run VT_ONLY='$vt_only'"
	[ "${VT_VERBOSE:-0}" = 0 ] || run="$run VT_VERBOSE=1"
	tb_init_head
	echo 'insmod /virtio/tun.ko || echo "$M virtio cannot load tun.ko"'
	for dev in vireo "$refdev"; do
		[ "$dev" = vireo ] || [ "$use_ref" != 0 ] || continue
		[ "$dev" = vireo ] && node=/dev/vireo || node=/dev/kvm
		tb_init_load "$dev"
		[ "$dev" = vireo ] || tb_init_hold "$dev"
		tb_init_run "$dev" virtio_test $run unshare -n sh /virtio/virtio_test.sh \
			/bin/vireo /virtio/vmlinuz "$node" "/tmp/vt-$dev"
		tb_init_unload "$dev"
	done
	tb_init_tail "$1"
}

t_start=$(date +%s)
# In Bochs a nested guest runs some 5 times slower than in QEMU (the
# three runs take 10 to 14 minutes there): kvm_intel as the reference
# only with TB_REF=1.
if [ "$TB_MACHINE" = intel ]; then
	refdev=kvm_intel
	use_ref=${TB_REF:-0}
	# The packed-ring run is the net run's guest again, and ring code
	# is the same on either vendor: QEMU's machine covers it.
	vt_only=${VT_ONLY-disk console net}
	vt_timeout=${VT_TIMEOUT:-600}
	prog_timeout=1200
	[ -n "$TB_IDLE_SET" ] || TB_IDLE_TIMEOUT=900
else
	refdev=kvm_amd
	use_ref=${TB_REF:-1}
	vt_only=${VT_ONLY-}
	vt_timeout=${VT_TIMEOUT:-150}
	prog_timeout=480
fi
tb_require_tools
vt_require_tools
KVER=$(tb_kver)
export KVER KDIR=/usr/src/linux-headers-$KVER BUILD
mkdir -p "$TB_OUT" "$TB_CACHE"

guest=$(vt_guest_initrd "$KVER" "$TB_CACHE/virtio-guest.cpio.gz")
vt_test_images "$TB_OUT/virtio-img"
if [ "${VT_LOCAL:-0}" = 1 ]; then
	local_run "$KVER"
	exit
fi

make -s -C "$TB_TOP/userspace-vmm" static >"$TB_OUT/virtio-build.log" 2>&1 ||
	give_up "cannot build build/vireo-static (log: $TB_OUT/virtio-build.log)"
make -s -C "$TB_TOP" module KDIR="$KDIR" >>"$TB_OUT/virtio-build.log" 2>&1 ||
	give_up "cannot build vireo.ko (log: $TB_OUT/virtio-build.log)"

tun=$(tb_module_file "$KVER" drivers/net/tun) || tb_die "no tun module in /lib/modules/$KVER"
files=("$TB_TOP/vireo.ko=/vireo.ko" "$BUILD/vireo-static=/bin/vireo"
	"$VT_SRC/virtio_test.sh=/virtio/virtio_test.sh" "$tun=/virtio/tun.ko"
	"/boot/vmlinuz-$KVER=/virtio/vmlinuz" "$guest=/virtio/guest.gz"
	"$TB_OUT/virtio-img/ext4.img=/virtio/img/ext4.img"
	"$TB_OUT/virtio-img/pattern.img=/virtio/img/pattern.img")
mapfile -t -O ${#files[@]} files < <(vt_prog_files debugfs e2fsck)

TB_PROG_TIMEOUT=${VT_PROG_TIMEOUT:-$prog_timeout}
nonce=$(tb_nonce)
testbed_init "$nonce" >"$TB_OUT/$suite.init"
tb_initrd "$TB_OUT/$suite.initrd.gz" "$TB_OUT/$suite.init" "${files[@]}"

log=$TB_OUT/$suite-console.log
results=$TB_OUT/$suite.results
limit=$((120 + TB_PROG_TIMEOUT * (use_ref != 0 ? 2 : 1)))
[ "$TB_MACHINE" != intel ] || limit=$((600 + TB_PROG_TIMEOUT * (use_ref != 0 ? 2 : 1)))
tb_boot "$TB_OUT/$suite.initrd.gz" "$log" "$limit"
tb_parse "$log" "$nonce" "$TB_BOOT_STATUS" "$TB_BOOT_SECS" >"$results"
[ "$TB_MACHINE" != intel ] || export TB_TAG="vmx "
if [ "$use_ref" != 0 ]; then
	tb_summary "$results" vireo "$log" "$results" "$refdev" "$log"
else
	tb_summary "$results" vireo "$log"
fi
# Each guest run's time and the monitor's last line, per device.
for dev in vireo "$refdev"; do
	tb_output "$results" "$dev" virtio_test | grep -E '^# /dev/' |
		sed "s/^# /#      $dev: /" || true
done
say "the emulated machine ran ${TB_BOOT_SECS}s ($TB_BOOT_STATUS), $(($(date +%s) - t_start))s in all; log: $log"
[ "${TB_SKIPPED:-0}" = 0 ] || say "$TB_SKIPPED skipped"
echo "$suite: $TB_PASSED passed, $TB_FAILED failed"
[ "$TB_FAILED" = 0 ]
