#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# boot.sh: the monitor's boot tests in the AMD-V testbed, for make check;
# with TB_MACHINE=intel a shorter set in the VT-x machine (see below).
# Boots the emulated machine (QEMU TCG) once.  Inside, it runs
# selftests/boot/boot_test.sh with build/vireo-static on /dev/vireo
# (vireo.ko loaded), then rmmod vireo (a test too), then the same
# boot_test.sh on /dev/kvm with Debian's kvm_amd, a VM held open by
# hold_vm (the TCG trap, Documentation/testing.md): the reference.
#
# Prints one line per vireo result with the reference result beside it,
# problems as "not ok" lines, and last exactly one line
#   boot: N passed, N failed
# counting the vireo results only (skips are neither).  Exits 0 when
# nothing failed, 1 otherwise, 2 when a tool is missing.
#
# The guest kernel is the testbed's own Debian kernel, as a bzImage and,
# when its config has CONFIG_PVH=y, as the vmlinux unpacked from that
# bzImage (cached in build/testbed/cache).  Environment: TB_REF=0 skips the
# reference, BOOT_TIMEOUT (seconds per guest run inside, default 90),
# BOOT_PROG_TIMEOUT (seconds per device, default 360).
# Logs: build/testbed/boot-console.log (the console; check.sh keeps this
# script's own output in boot.log), boot.results; boot-vmx-* in Bochs.
set -euo pipefail
. "$(dirname "$0")/testbed-lib.sh"

# On the VT-x machine the suite is "boot-vmx" and its results say "vmx".
suite=boot
[ "$TB_MACHINE" != intel ] || suite=boot-vmx
say() { printf '%s: %s\n' "$suite" "$*"; }
# give_up WHY: a failure before any result, still in the NAME: form.
give_up() {
	printf '%-7s%s\n' "not ok" "$suite: $*"
	echo "$suite: 0 passed, 1 failed"
	exit 1
}

# boot_pvh_vmlinux KVER: prints the path of the PVH vmlinux unpacked from
# /boot/vmlinuz-KVER, or fails with the reason on stdout.  The bzImage
# header says where the compressed payload is (setup_sects at 0x1f1,
# payload_offset at 0x248, payload_length at 0x24c); the payload ends
# with its uncompressed size, which the decompressor ignores.
boot_pvh_vmlinux() {
	local kver=$1 bz=/boot/vmlinuz-$1 config=/boot/config-$1 out key
	local setup off len magic
	if [ -r "$config" ] && ! grep -q '^CONFIG_PVH=y' "$config"; then
		echo "the kernel $kver is built without CONFIG_PVH"
		return 1
	fi
	key=$(stat -c '%s-%Y' "$bz")
	out=$TB_CACHE/vmlinux-$kver-$key
	if [ -s "$out" ]; then
		echo "$out"
		return 0
	fi
	setup=$(od -An -tu1 -j $((0x1f1)) -N1 "$bz" | tr -d ' ')
	off=$(od -An -tu4 -j $((0x248)) -N4 "$bz" | tr -d ' ')
	len=$(od -An -tu4 -j $((0x24c)) -N4 "$bz" | tr -d ' ')
	[ "${setup:-0}" -gt 0 ] || setup=4
	off=$(((setup + 1) * 512 + off))
	magic=$(od -An -tx1 -j "$off" -N4 "$bz" | tr -d ' ')
	mkdir -p "$TB_CACHE"
	rm -f "$TB_CACHE"/vmlinux-"$kver"-*
	case $magic in
	fd377a58) tail -c +$((off + 1)) "$bz" | head -c "$len" | xz -dc --single-stream >"$out.tmp" ;;
	1f8b*) tail -c +$((off + 1)) "$bz" | head -c "$len" | gzip -dc >"$out.tmp" 2>/dev/null ;;
	28b52ffd) tail -c +$((off + 1)) "$bz" | head -c "$len" | zstd -qdc >"$out.tmp" ;;
	*) echo "cannot unpack $bz (payload magic $magic; xz, gzip and zstd are known)"; return 1 ;;
	esac
	if [ "$(od -An -tx1 -N4 "$out.tmp" | tr -d ' ')" != 7f454c46 ]; then
		rm -f "$out.tmp"
		echo "unpacking $bz gave no ELF file"
		return 1
	fi
	mv "$out.tmp" "$out"
	echo "$out"
}

t_start=$(date +%s)
tb_require_tools
KVER=$(tb_kver)
export KVER KDIR=/usr/src/linux-headers-$KVER BUILD
mkdir -p "$TB_OUT"

make -s -C "$TB_TOP/userspace-vmm" static >"$TB_OUT/boot-build.log" 2>&1 ||
	give_up "cannot build build/vireo-static (log: $TB_OUT/boot-build.log)"
make -s -C "$TB_TOP" module KDIR="$KDIR" >>"$TB_OUT/boot-build.log" 2>&1 ||
	give_up "cannot build vireo.ko (log: $TB_OUT/boot-build.log)"
guest=$TB_OUT/boot-guest.cpio.gz
sh "$TB_TOP/selftests/boot/boot_test.sh" --initramfs "$guest" ||
	give_up "cannot build the guest's initramfs"

files=("$TB_TOP/vireo.ko=/vireo.ko" "$BUILD/vireo-static=/bin/vireo"
	"$TB_TOP/selftests/boot/boot_test.sh=/boot-test/boot_test.sh"
	"/boot/vmlinuz-$KVER=/boot-test/vmlinuz" "$guest=/boot-test/guest.gz")
pvh_env="BOOT_PVH_WHY='no PVH vmlinux'"
if pvh=$(boot_pvh_vmlinux "$KVER"); then
	files+=("$pvh=/boot-test/vmlinux")
	pvh_env="BOOT_PVH=/boot-test/vmlinux"
else
	pvh_env="BOOT_PVH_WHY='$pvh'"
fi

# Each boot_test.sh run: five guest boots of about 20 s, a triple fault
# and nine usage errors, within BOOT_PROG_TIMEOUT seconds.  The VT-x
# machine (Bochs, TB_MACHINE=intel) runs a nested guest some 5 times
# slower than QEMU does, so there only the ACPI power-off boot, the
# triple fault and the usage errors run (BOOT_ONLY), and kvm_intel as
# the reference only with TB_REF=1.
if [ "$TB_MACHINE" = intel ]; then
	name=boot-vmx
	ref=kvm_intel
	use_ref=${TB_REF:-0}
	only=${BOOT_ONLY-poweroff triple usage}
	guest_timeout=${BOOT_TIMEOUT:-300}
	TB_PROG_TIMEOUT=${BOOT_PROG_TIMEOUT:-600}
	# Host seconds: Bochs's boot (600 below), then the nested guests
	# (about 150 s of host time each).
	per_dev=$TB_PROG_TIMEOUT
	[ -n "$TB_IDLE_SET" ] || TB_IDLE_TIMEOUT=600
else
	name=boot
	ref=kvm_amd
	use_ref=${TB_REF:-1}
	only=${BOOT_ONLY-}
	guest_timeout=${BOOT_TIMEOUT:-90}
	TB_PROG_TIMEOUT=${BOOT_PROG_TIMEOUT:-360}
	per_dev=$TB_PROG_TIMEOUT
fi
nonce=$(tb_nonce)
bt_env="BOOT_INITRD=/boot-test/guest.gz BOOT_TIMEOUT=$guest_timeout $pvh_env"
[ -z "$only" ] || bt_env="$bt_env BOOT_ONLY='$only'"
{
	tb_init_head
	tb_init_load vireo
	tb_init_run vireo boot_test env "$bt_env" sh /boot-test/boot_test.sh \
		/bin/vireo /boot-test/vmlinuz /dev/vireo /tmp/boot-vireo
	tb_init_unload vireo
	if [ "$use_ref" != 0 ]; then
		tb_init_load $ref
		tb_init_hold $ref
		tb_init_run $ref boot_test env "$bt_env" sh /boot-test/boot_test.sh \
			/bin/vireo /boot-test/vmlinuz /dev/kvm /tmp/boot-kvm
		tb_init_unload $ref
	fi
	tb_init_tail "$nonce"
} >"$TB_OUT/$name.init"
tb_initrd "$TB_OUT/$name.initrd.gz" "$TB_OUT/$name.init" "${files[@]}"

limit=120
[ "$TB_MACHINE" != intel ] || limit=600
limit=$((limit + per_dev * (use_ref != 0 ? 2 : 1)))
tb_boot "$TB_OUT/$name.initrd.gz" "$TB_OUT/$name-console.log" "$limit"
tb_parse "$TB_OUT/$name-console.log" "$nonce" "$TB_BOOT_STATUS" "$TB_BOOT_SECS" >"$TB_OUT/$name.results"
[ "$TB_MACHINE" != intel ] || export TB_TAG="vmx "
if [ "$use_ref" != 0 ]; then
	tb_summary "$TB_OUT/$name.results" vireo "$TB_OUT/$name-console.log" \
		"$TB_OUT/$name.results" $ref "$TB_OUT/$name-console.log"
else
	tb_summary "$TB_OUT/$name.results" vireo "$TB_OUT/$name-console.log"
fi
# The boot_test.sh lines of each device ("# /dev/vireo: 17s, ..."), for
# the times and the monitor's last words.
for dev in vireo $ref; do
	tb_output "$TB_OUT/$name.results" "$dev" boot_test | grep -E '^# /dev/' |
		sed "s/^# /#      $dev: /" || true
done
say "the emulated machine ran ${TB_BOOT_SECS}s ($TB_BOOT_STATUS), $(($(date +%s) - t_start))s in all; log: $TB_OUT/$name-console.log"
[ "${TB_SKIPPED:-0}" = 0 ] || say "$TB_SKIPPED skipped"
echo "$suite: $TB_PASSED passed, $TB_FAILED failed"
[ "$TB_FAILED" = 0 ]
