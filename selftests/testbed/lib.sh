# SPDX-License-Identifier: GPL-2.0-only
#
# The emulated machines Vireo is tested in: QEMU without acceleration
# (AMD-V with nested paging) and Bochs (Intel VT-x with EPT), both booting
# Debian's stock kernel from a busybox initramfs that this file builds.
# Sourced by check.sh, demo.sh and bench.sh.

TB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TB_BUILD=${BUILD:-$TB_TOP/build}
TB_OUT=$TB_BUILD/testbed
TB_END_MARKER="### VIREO-TESTBED-END"

tb_die() {
	echo "testbed: $*" >&2
	exit 2
}

# The newest Debian kernel that has both its image and its headers.
tb_kver() {
	local d v
	for d in $(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V -r); do
		v=${d#/usr/src/linux-headers-}
		if [ -r "/boot/vmlinuz-$v" ] && [ -d "/lib/modules/$v" ]; then
			echo "$v"
			return 0
		fi
	done
	return 1
}

# tb_initramfs OUT INIT_SCRIPT [FILE...]: a busybox initramfs whose /init
# is INIT_SCRIPT; each FILE is copied to the root, keeping its base name.
# Debian's kvm modules come along in /kvm for the reference runs.
tb_initramfs() {
	local out=$1 init=$2 kver root f
	shift 2
	kver=$(tb_kver) || tb_die "no Debian kernel with headers; run make deps"
	root=$(mktemp -d "$TB_OUT/root.XXXXXX")
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,kvm}
	cp /bin/busybox "$root/bin/busybox"
	"$root/bin/busybox" --list | while read -r applet; do
		[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
	done
	for f in virt/lib/irqbypass.ko arch/x86/kvm/kvm.ko \
		 arch/x86/kvm/kvm-amd.ko arch/x86/kvm/kvm-intel.ko \
		 drivers/crypto/ccp/ccp.ko; do
		[ -e "/lib/modules/$kver/kernel/$f" ] &&
			cp "/lib/modules/$kver/kernel/$f" "$root/kvm/"
	done
	for f in "$@"; do
		cp "$f" "$root/"
	done
	cp "$init" "$root/init"
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
	rm -rf "$root"
}

# tb_qemu INITRD LOG TIMEOUT: boots the AMD-V machine; the serial console
# goes to LOG.  Returns timeout's status (124 on timeout).
tb_qemu() {
	local initrd=$1 log=$2 secs=$3 kver
	kver=$(tb_kver) || tb_die "no Debian kernel with headers; run make deps"
	timeout --kill-after=10 "$secs" qemu-system-x86_64 -M q35 -cpu max \
		-smp 2 -m 2048 -nographic -no-reboot -monitor none \
		-serial "file:$log" -display none \
		-kernel "/boot/vmlinuz-$kver" -initrd "$initrd" \
		-append "console=ttyS0 quiet oops=panic panic=-1 panic_on_warn=1" \
		</dev/null >/dev/null 2>&1
}

# tb_bochs INITRD LOG TIMEOUT: boots the VT-x machine (Bochs has no direct
# kernel boot: GRUB on an ISO loads the kernel and initramfs).
tb_bochs() {
	local initrd=$1 log=$2 secs=$3 kver dir
	kver=$(tb_kver) || tb_die "no Debian kernel with headers; run make deps"
	dir=$(mktemp -d "$TB_OUT/bochs.XXXXXX")
	mkdir -p "$dir/iso/boot/grub"
	cp "/boot/vmlinuz-$kver" "$dir/iso/boot/vmlinuz"
	cp "$initrd" "$dir/iso/boot/initrd.gz"
	cat > "$dir/iso/boot/grub/grub.cfg" <<-GRUB
	serial --unit=0 --speed=115200
	terminal_input serial
	terminal_output serial
	set timeout=0
	menuentry vireo {
	  linux /boot/vmlinuz console=ttyS0 quiet oops=panic panic=-1 panic_on_warn=1
	  initrd /boot/initrd.gz
	}
	GRUB
	grub-mkrescue -o "$dir/l1.iso" "$dir/iso" >/dev/null 2>&1 ||
		tb_die "grub-mkrescue failed; run make deps"
	cat > "$dir/bochsrc" <<-BOCHS
	megs: 1024
	cpu: model=corei7_haswell_4770, count=1, ips=200000000, reset_on_triple_fault=1, ignore_bad_msrs=1
	romimage: file=/usr/share/bochs/BIOS-bochs-latest
	vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
	ata0-master: type=cdrom, path=$dir/l1.iso, status=inserted
	boot: cdrom
	com1: enabled=1, mode=file, dev=$log
	display_library: term
	log: $dir/bochs.log
	clock: sync=none
	BOCHS
	echo c > "$dir/dbg.rc"
	# Powering off ends Bochs with a PANIC line: that is its normal end.
	timeout --kill-after=10 "$secs" bochs -q -f "$dir/bochsrc" \
		-rc "$dir/dbg.rc" </dev/null >"$dir/bochs.out" 2>&1
	local rc=$?
	rm -rf "$dir/iso" "$dir/l1.iso"
	return $rc
}

# tb_init_header: the start of every /init.
tb_init_header() {
	cat <<-'INIT'
	#!/bin/sh
	mount -t proc proc /proc
	mount -t sysfs sys /sys
	mount -t devtmpfs dev /dev
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	mount -t tmpfs tmp /tmp
	export PATH=/bin:/sbin
	# Load Debian's kvm for the vendor of this CPU: tb_load_kvm
	tb_load_kvm() {
		insmod /kvm/irqbypass.ko 2>/dev/null
		insmod /kvm/kvm.ko || return 1
		if grep -qw svm /proc/cpuinfo; then
			insmod /kvm/ccp.ko 2>/dev/null
			insmod /kvm/kvm-amd.ko
		else
			insmod /kvm/kvm-intel.ko
		fi
	}
	tb_unload_kvm() {
		rmmod kvm_amd kvm_intel 2>/dev/null
		rmmod kvm ccp irqbypass 2>/dev/null
		return 0
	}
	INIT
}

# tb_init_footer: flush the console and power off.
tb_init_footer() {
	cat <<-INIT
	echo "$TB_END_MARKER"
	sync
	sleep 1
	poweroff -f
	INIT
}

# tb_log_problems LOG: prints what makes a run a failure, if anything.
tb_log_problems() {
	local log=$1
	if grep -qE "BUG:|Oops|Kernel panic|Call Trace|WARNING: CPU|general protection fault" "$log"; then
		echo "the kernel oopsed or panicked:"
		grep -m 5 -E "BUG:|Oops|Kernel panic|WARNING: CPU|general protection fault|RIP:" "$log"
	fi
	grep -q "^$TB_END_MARKER" "$log" || echo "the run did not reach its end marker"
}
