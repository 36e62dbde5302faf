# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# testbed-lib.sh: the testbed library, sourced by check.sh, run.sh, demo.sh and
# bench.sh.  The machine under test is QEMU without acceleration (TCG,
# -cpu max: AMD-V with nested paging) booting Debian's stock kernel from a
# busybox initramfs built here.  Its /init loads vireo.ko or Debian's
# kvm_amd (the reference), runs programs that print kselftest TAP on the
# serial console between marker lines, prints an end marker and powers off.
# The host parses the console log.  See Documentation/testing.md.
#
# Everything the library writes goes under $TB_OUT (build/testbed).

TB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TB_TOP=$(cd "$TB_DIR/../.." && pwd)
BUILD=${BUILD:-$TB_TOP/build}
TB_OUT=${TB_OUT:-$BUILD/testbed}
TB_CACHE=$TB_OUT/cache
# Every marker line the guest prints starts with this.
TB_MARK='@@vireo-tb@@'
# Seconds one program may run inside the guest before it is killed.
TB_PROG_TIMEOUT=${TB_PROG_TIMEOUT:-240}
# Seconds without any console output after which the guest counts as hung
# (both emulated CPUs stuck in the kernel print nothing).
# TB_IDLE_SET: whether the caller chose it (scripts with other defaults
# look at this, as the line below always gives it a value).
TB_IDLE_SET=${TB_IDLE_TIMEOUT:+1}
TB_IDLE_TIMEOUT=${TB_IDLE_TIMEOUT:-$((TB_PROG_TIMEOUT + 60))}
# Parameters for insmod vireo.ko.  dump_shutdown=1 logs the guest's state
# and last exits if a nested guest triple-faults on AMD-V (see
# Documentation/testing.md), so that a rare one leaves more than its RIP.
TB_VIREO_PARAMS=${TB_VIREO_PARAMS-dump_shutdown=1}
# What counts as a kernel problem in the console log.
TB_KERNEL_BAD='BUG:|Oops|rcu: INFO: rcu_[a-z]* detected stalls|Kernel panic|Call Trace|WARNING:|general protection fault|kernel BUG|UBSAN:|refcount_t:|list_(add|del) corruption|soft lockup|hard LOCKUP|blocked for more than'
# tb_kernel_bad: the pattern for the machine at hand.  In Bochs an RCU
# stall report is expected (see TB_BOCHS_APPEND below) and comes with an
# NMI backtrace ("Call Trace"), so those two are left out there; oopses,
# BUGs and WARNINGs still count.
tb_kernel_bad() {
	if [ "$TB_MACHINE" = intel ]; then
		echo 'BUG:|Oops|Kernel panic|WARNING:|general protection fault|kernel BUG|UBSAN:|refcount_t:|list_(add|del) corruption|soft lockup|hard LOCKUP|blocked for more than'
	else
		echo "$TB_KERNEL_BAD"
	fi
}

tb_msg() { printf 'testbed: %s\n' "$*"; }
tb_die() {
	printf 'testbed: %s\n' "$*" >&2
	exit 2
}

# tb_require_tools: dies with one line naming the packages to install.
tb_require_tools() {
	local missing=()
	command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
	command -v cpio >/dev/null 2>&1 || missing+=(cpio)
	command -v gzip >/dev/null 2>&1 || missing+=(gzip)
	command -v timeout >/dev/null 2>&1 || missing+=(coreutils)
	command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
	if [ ! -x /bin/busybox ] || [[ "$(LC_ALL=C ldd /bin/busybox 2>&1 || true)" != *"not a dynamic"* ]]; then
		missing+=(busybox-static)
	fi
	if [ ${#missing[@]} -gt 0 ]; then
		tb_die "missing tools: install ${missing[*]} (apt-get install ${missing[*]}, or make deps)"
	fi
	return 0
}

# tb_kver: the Debian kernel the testbed boots.  $KVER if set, else the
# newest one with an image in /boot, modules in /lib/modules and headers in
# /usr/src (vireo.ko is built against those headers).
tb_kver() {
	local d v
	if [ -n "${KVER:-}" ]; then
		[ -r "/boot/vmlinuz-$KVER" ] && [ -d "/lib/modules/$KVER/kernel" ] ||
			tb_die "KVER=$KVER: no /boot/vmlinuz-$KVER or /lib/modules/$KVER; install linux-image-$KVER"
		echo "$KVER"
		return 0
	fi
	for d in $(ls -d /lib/modules/*/kernel 2>/dev/null | sort -V -r); do
		v=${d#/lib/modules/}
		v=${v%/kernel}
		if [ -r "/boot/vmlinuz-$v" ] && [ -d "/usr/src/linux-headers-$v" ]; then
			echo "$v"
			return 0
		fi
	done
	tb_die "no Debian kernel with image, modules and headers; install linux-image-amd64 linux-headers-amd64 (make deps)"
}

# tb_module_file KVER REL: the path of a kernel module of that kernel given
# without suffix (arch/x86/kvm/kvm-amd), uncompressed into the cache when
# the distribution ships it compressed.
tb_module_file() {
	local kver=$1 rel=$2 base=/lib/modules/$1/kernel/$2 out
	if [ -r "$base.ko" ]; then
		echo "$base.ko"
		return 0
	fi
	out=$TB_CACHE/modules-$kver/$(basename "$rel").ko
	mkdir -p "$(dirname "$out")"
	if [ -r "$base.ko.xz" ]; then
		xz -dc "$base.ko.xz" >"$out"
	elif [ -r "$base.ko.zst" ]; then
		zstd -qdc "$base.ko.zst" >"$out"
	elif [ -r "$base.ko.gz" ]; then
		gzip -dc "$base.ko.gz" >"$out"
	else
		return 1
	fi
	echo "$out"
}

# The kernel's own modules the reference needs, in load order.
TB_KVM_MODULES="virt/lib/irqbypass arch/x86/kvm/kvm drivers/crypto/ccp/ccp arch/x86/kvm/kvm-amd arch/x86/kvm/kvm-intel"

# tb_cpio DIR OUT: a gzip-compressed newc archive of DIR's contents.
tb_cpio() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$2.tmp"
	mv "$2.tmp" "$2"
}

# tb_base_initrd KVER: the cached part of every initramfs (busybox and its
# applet links, the directory skeleton, Debian's kvm modules in /modules,
# hold_vm and uartout in /bin).  Rebuilt only when one of its inputs changes.
tb_base_initrd() {
	local kver=$1 key out stage rel f p
	mkdir -p "$TB_CACHE"
	key=$({
		echo "base-v1 $kver"
		stat -c '%n %s %Y' /bin/busybox "$TB_DIR/hold_vm.c" "$TB_DIR/uartout.c" \
			"$TB_DIR/testbed-lib.sh"
		for rel in $TB_KVM_MODULES; do
			ls -l "/lib/modules/$kver/kernel/$rel".ko* 2>/dev/null || true
		done
	} | md5sum | cut -c1-12)
	out=$TB_CACHE/base-$kver-$key.cpio.gz
	if [ -s "$out" ]; then
		echo "$out"
		return 0
	fi
	rm -f "$TB_CACHE"/base-*.cpio.gz
	stage=$(mktemp -d "$TB_CACHE/stage.XXXXXX")
	chmod 755 "$stage"
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,modules,tests}
	cp /bin/busybox "$stage/bin/busybox"
	/bin/busybox --list-full | while read -r p; do
		[ -e "$stage/$p" ] || [ -L "$stage/$p" ] || ln -s /bin/busybox "$stage/$p"
	done
	for rel in $TB_KVM_MODULES; do
		f=$(tb_module_file "$kver" "$rel") ||
			tb_die "no module $rel in /lib/modules/$kver; reinstall linux-image-$kver"
		cp "$f" "$stage/modules/$(basename "$rel").ko"
	done
	gcc -static -O2 -Wall -o "$stage/bin/hold_vm" "$TB_DIR/hold_vm.c" ||
		tb_die "cannot build hold_vm with gcc -static; install gcc libc6-dev"
	gcc -static -O2 -Wall -o "$stage/bin/uartout" "$TB_DIR/uartout.c" ||
		tb_die "cannot build uartout with gcc -static; install gcc libc6-dev"
	tb_cpio "$stage" "$out"
	rm -rf "$stage"
	echo "$out"
}

# tb_initrd OUT INIT [SRC=DEST...]: the cached base, then one more archive
# holding INIT as /init and each SRC at DEST (the kernel unpacks
# concatenated archives in order).
tb_initrd() {
	local out=$1 init=$2 base stage pair src dest kver
	shift 2
	kver=$(tb_kver)
	base=$(tb_base_initrd "$kver")
	stage=$(mktemp -d "$TB_CACHE/stage.XXXXXX")
	chmod 755 "$stage"
	install -m 755 "$init" "$stage/init"
	for pair in "$@"; do
		src=${pair%%=*}
		dest=${pair#*=}
		[ -r "$src" ] || tb_die "cannot read $src"
		mkdir -p "$stage$(dirname "$dest")"
		cp "$src" "$stage$dest"
	done
	tb_cpio "$stage" "$stage.cpio.gz"
	cat "$base" "$stage.cpio.gz" >"$out"
	rm -rf "$stage" "$stage.cpio.gz"
}

#
# /init.  tb_init_head, then any of tb_init_load, tb_init_hold,
# tb_init_run, tb_init_unload, then tb_init_tail; each prints shell text.
#

# tb_init_head: mounts, and the functions the other pieces call.
tb_init_head() {
	cat <<-EOF_INIT
	#!/bin/sh
	# Generated by selftests/testbed/testbed-lib.sh.
	export PATH=/bin:/sbin:/usr/bin:/usr/sbin
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	mount -t tmpfs tmpfs /tmp
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	EOF_INIT
	# Bochs loses the UART's transmit interrupts now and then, and ttyS0
	# then stalls: there, what the programs print goes to the port
	# through uartout (uartout.c), which needs no interrupt.  No input.
	if [ "$TB_MACHINE" = intel ]; then
		cat <<-'EOF_INIT'
		mkfifo /run/console
		/bin/uartout </run/console &
		uart_pid=$!
		exec </dev/null >/run/console 2>&1
		EOF_INIT
	else
		echo "exec </dev/console >/dev/console 2>&1"
	fi
	cat <<-EOF_INIT
	M='$TB_MARK'
	BAD='$(tb_kernel_bad)'
	PROG_TIMEOUT=$TB_PROG_TIMEOUT
	VIREO_PARAMS='$TB_VIREO_PARAMS'
	hold_pid=
	echo "\$M boot \$(uname -r) cpu:\$(grep -o -w -m1 -E 'svm|vmx' /proc/cpuinfo) uptime:\$(cut -d' ' -f1 /proc/uptime)"
	dmesg -c >/dev/null
	EOF_INIT
	cat <<-'EOF_INIT'
	# tb_kmsg DEV: prints the kernel's messages since the last call, marked;
	# fails if one of them is a kernel problem.
	tb_kmsg() {
		k=$(dmesg -c)
		[ -n "$k" ] || return 0
		echo "$k" | sed "s/^/$M kmsg $1: /"
		! echo "$k" | grep -q -E "$BAD"
	}
	tb_node() {
		case $1 in vireo) echo /dev/vireo ;; *) echo /dev/kvm ;; esac
	}
	# tb_load DEV: vireo, kvm_amd or kvm_intel.
	tb_load() {
		case $1 in
		vireo) insmod /vireo.ko $VIREO_PARAMS ;;
		kvm_amd) insmod /modules/irqbypass.ko && insmod /modules/kvm.ko &&
			insmod /modules/ccp.ko && insmod /modules/kvm-amd.ko ;;
		kvm_intel) insmod /modules/irqbypass.ko && insmod /modules/kvm.ko &&
			insmod /modules/kvm-intel.ko ;;
		esac
		echo "$M load $1 $?"
		tb_kmsg "$1"
	}
	# tb_hold DEV: keeps one VM open in the background (the TCG trap).
	tb_hold() {
		/bin/hold_vm "$(tb_node "$1")" &
		hold_pid=$!
		sleep 1
	}
	tb_release() {
		[ -n "$hold_pid" ] || return 0
		kill "$hold_pid"
		wait "$hold_pid" 2>/dev/null
		hold_pid=
	}
	# tb_run DEV LABEL CMD...: one program, its TAP between two markers.
	tb_run() {
		dev=$1 label=$2
		shift 2
		echo "$M begin $dev $label"
		t0=$(date +%s)
		VIREO_DEVICE=$(tb_node "$dev") timeout "$PROG_TIMEOUT" "$@" </dev/null 2>&1
		rc=$?
		echo "$M end $dev $label $rc $(($(date +%s) - t0))"
		tb_kmsg "$dev"
	}
	# tb_unload DEV: for vireo, a TAP test of its own (rmmod works, the
	# module is gone, the kernel logged no problem).
	tb_unload() {
		tb_release
		case $1 in
		vireo)
			echo "$M begin vireo module_unload"
			echo "TAP version 13"
			echo "1..1"
			r=ok
			rmmod vireo || r="not ok"
			grep -q '^vireo ' /proc/modules && r="not ok"
			[ -e /dev/vireo ] && r="not ok"
			tb_kmsg vireo || r="not ok"
			echo "$r 1 rmmod vireo"
			echo "$M end vireo module_unload 0 0"
			;;
		kvm_amd) rmmod kvm_amd ccp kvm irqbypass; echo "$M unload $1 $?" ;;
		kvm_intel) rmmod kvm_intel kvm irqbypass; echo "$M unload $1 $?" ;;
		esac
	}
	EOF_INIT
}

tb_init_load() { echo "tb_load $1"; }
tb_init_hold() { echo "tb_hold $1"; }
tb_init_unload() { echo "tb_unload $1"; }
# tb_init_run DEV LABEL CMD...
tb_init_run() { echo "tb_run $*"; }

# tb_init_tail NONCE: the end marker, a flush, and power off.
tb_init_tail() {
	cat <<-EOF_INIT
	tb_release
	echo "\$M END $1"
	sync
	EOF_INIT
	# uartout ends when its last writer is gone and the port has sent
	# everything; a writer left behind costs 20 s, not the last lines.
	if [ "$TB_MACHINE" = intel ]; then
		cat <<-'EOF_INIT'
		exec >/dev/null 2>&1
		(sleep 20; kill $uart_pid) &
		wait $uart_pid
		EOF_INIT
	else
		echo "sleep 1"
	fi
	echo "poweroff -f"
}

# tb_nonce: a fresh end-marker word, so a stale log never looks finished.
tb_nonce() { echo "end-$(date +%s)-$$-$RANDOM"; }

#
# The emulator.
#

# The emulated machine: amd (QEMU TCG, -cpu max: AMD-V with nested
# paging) or intel (Bochs: VT-x with EPT, VPID, unrestricted guest; about
# 15 times slower).
TB_MACHINE=${TB_MACHINE:-amd}
TB_APPEND="console=ttyS0 quiet oops=panic panic=-1"
# Bochs 2.7 holds off the host's interrupts on a CPU whose VMX guest runs
# without exiting (a guest in "jmp ."): a 200 ms timer signal arrives
# only when the RCU stall detector's NMI backtrace gets through, some
# 20 s later.  Seen the same with Debian's kvm_intel, so it is the
# emulator's.  Those stall reports are expected there and not counted
# (tb_kernel_bad); QEMU has none.  TB_BOCHS_APPEND adds kernel options.
TB_BOCHS_APPEND=${TB_BOCHS_APPEND-}

# tb_require_bochs: dies with one line naming the packages the VT-x
# machine needs.
tb_require_bochs() {
	local missing=()
	command -v bochs >/dev/null 2>&1 || missing+=(bochs bochs-term)
	[ -r /usr/share/bochs/BIOS-bochs-latest ] || missing+=(bochsbios)
	[ -r /usr/share/bochs/VGABIOS-lgpl-latest ] || missing+=(vgabios)
	command -v grub-mkrescue >/dev/null 2>&1 || missing+=(grub-common)
	[ -d /usr/lib/grub/i386-pc ] || missing+=(grub-pc-bin)
	command -v xorriso >/dev/null 2>&1 || missing+=(xorriso)
	command -v mformat >/dev/null 2>&1 || missing+=(mtools)
	if [ ${#missing[@]} -gt 0 ]; then
		tb_die "missing tools for the VT-x machine: install ${missing[*]} (apt-get install ${missing[*]}, or make deps)"
	fi
	return 0
}

# tb_bochs_prepare INITRD DIR: writes DIR/l1.iso (GRUB on the serial
# console booting Debian's kernel with INITRD; Bochs has no direct kernel
# boot), DIR/bochsrc and DIR/dbg.rc.  The console goes to TCP port
# $TB_BOCHS_PORT on localhost: Bochs's "file" mode buffers its output,
# which both hides a live guest from the watchdog and loses the last
# lines at power-off.
tb_bochs_prepare() {
	local initrd=$1 dir=$2 kver iso
	kver=$(tb_kver)
	iso=$dir/iso
	rm -rf "$iso"
	mkdir -p "$iso/boot/grub"
	cp "/boot/vmlinuz-$kver" "$iso/boot/vmlinuz"
	cp "$initrd" "$iso/boot/initrd.gz"
	cat >"$iso/boot/grub/grub.cfg" <<-EOF
	serial --unit=0 --speed=115200
	terminal_input serial
	terminal_output serial
	set timeout=0
	menuentry vireo-testbed {
	  linux /boot/vmlinuz ${TB_APPEND/console=ttyS0 /console=ttyS0,115200 } $TB_BOCHS_APPEND
	  initrd /boot/initrd.gz
	}
	EOF
	grub-mkrescue -o "$dir/l1.iso" "$iso" >"$dir/grub-mkrescue.log" 2>&1 ||
		tb_die "grub-mkrescue failed (see $dir/grub-mkrescue.log)"
	rm -rf "$iso"
	# Two CPUs, so that a vCPU thread can be moved between them.
	cat >"$dir/bochsrc" <<-EOF
	megs: 1024
	cpu: model=corei7_haswell_4770, count=${TB_BOCHS_CPUS:-2}, ips=200000000, reset_on_triple_fault=1, ignore_bad_msrs=1
	romimage: file=/usr/share/bochs/BIOS-bochs-latest
	vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
	ata0-master: type=cdrom, path=$dir/l1.iso, status=inserted
	boot: cdrom
	com1: enabled=1, mode=socket-client, dev=localhost:$TB_BOCHS_PORT
	display_library: term
	log: $dir/bochs.log
	debug: action=ignore
	info: action=ignore
	error: action=ignore
	clock: sync=none
	EOF
	# Debian's Bochs starts in its debugger: continue at once.
	echo c >"$dir/dbg.rc"
}

# tb_bochs_drain OUT: reads away the emulated screen.  Debian's Bochs has
# no display-less build; its "term" display makes a pseudo-terminal of its
# own, names it in its output ('Bochs connected to screen "/dev/pts/N"')
# and draws the screen there.  Unread, that terminal fills up and Bochs
# blocks in write() for good, the machine frozen: a few nested guests
# into a run, as the testbed's kernel messages reach the screen.
tb_bochs_drain() {
	local pts i
	for i in $(seq 100); do
		pts=$(grep -a -o 'connected to screen "/dev/pts/[0-9]*"' "$1" 2>/dev/null |
			grep -o '/dev/pts/[0-9]*' || true)
		if [ -n "$pts" ]; then
			# Ends when Bochs closes the terminal (EIO).
			exec cat "$pts" >/dev/null 2>&1
		fi
		sleep 0.1
	done
}

# tb_wait_listen PORT: waits up to 5 s for a TCP listener on PORT.
tb_wait_listen() {
	local hex i
	hex=$(printf '%04X' "$1")
	for i in $(seq 50); do
		if grep -q -E "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:[0-9A-F]+ 0A " \
			/proc/net/tcp /proc/net/tcp6 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# tb_boot INITRD LOG LIMIT: boots the $TB_MACHINE machine with Debian's
# kernel and INITRD, serial console to LOG, stopped after LIMIT seconds,
# or after TB_IDLE_TIMEOUT seconds without console output, or at
# TB_DEADLINE (epoch seconds) if that comes first.  Sets
# TB_BOOT_STATUS (done, timeout, stalled, or emulator-error), TB_BOOT_SECS,
# and returns 0.  Whether the guest finished is for tb_parse to say (the
# end marker): Bochs exits with status 1 on the guest's power-off.
tb_boot() {
	local initrd=$1 log=$2 limit=$3 kver pid t0 now last size lastsize=-1
	local stalled=0 rc=0 next_note dir console listener
	kver=$(tb_kver)
	: >"$log"
	# TB_DEADLINE (epoch seconds, check.sh sets it): no boot outlives it.
	if [ -n "${TB_DEADLINE:-}" ] && [ $((TB_DEADLINE - $(date +%s))) -lt "$limit" ]; then
		limit=$((TB_DEADLINE - $(date +%s)))
		if [ "$limit" -lt 30 ]; then
			tb_msg "no time left before TB_DEADLINE for this boot"
			TB_BOOT_STATUS=timeout
			TB_BOOT_SECS=0
			return 0
		fi
	fi
	if [ "$TB_MACHINE" = intel ]; then
		tb_require_bochs
		dir=$log.bochs
		rm -rf "$dir"
		mkdir -p "$dir"
		console=$dir/serial
		: >"$console"
		# The console's listener: busybox nc, its input held open.
		TB_BOCHS_PORT=$((20000 + ($$ + RANDOM) % 20000))
		tb_bochs_prepare "$initrd" "$dir"
		(sleep "$limit" | /bin/busybox nc -l -p "$TB_BOCHS_PORT" >"$console") &
		listener=$!
		tb_wait_listen "$TB_BOCHS_PORT" ||
			tb_die "cannot listen on port $TB_BOCHS_PORT for the Bochs console (busybox nc)"
		t0=$(date +%s)
		timeout -k 10 "$limit" bochs -q -f "$dir/bochsrc" -rc "$dir/dbg.rc" \
			</dev/null >"$dir/bochs.out" 2>&1 &
		pid=$!
		tb_bochs_drain "$dir/bochs.out" &
	else
		console=$log
		t0=$(date +%s)
		# TB_QEMU_ARGS: more options, for debugging (as
		# "-d cpu_reset,guest_errors -D /tmp/qemu.log").
		# shellcheck disable=SC2086 # the words are options
		timeout -k 10 "$limit" qemu-system-x86_64 -M q35 -cpu max -smp 2 -m 2048 \
			-nographic -no-reboot -nic none -kernel "/boot/vmlinuz-$kver" -initrd "$initrd" \
			-append "$TB_APPEND" ${TB_QEMU_ARGS:-} \
			</dev/null >"$log" 2>"$log.qemu-stderr" &
		pid=$!
	fi
	last=$t0
	next_note=$((t0 + 60))
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		now=$(date +%s)
		size=$(stat -c %s "$console" 2>/dev/null || echo 0)
		if [ "$size" != "$lastsize" ]; then
			lastsize=$size
			last=$now
			# panic=-1 reboots; Bochs would boot GRUB again.
			if grep -a -q "Kernel panic - not syncing" "$console"; then
				sleep 2
				kill -TERM "$pid" 2>/dev/null || true
				break
			fi
		elif [ $((now - last)) -ge "$TB_IDLE_TIMEOUT" ]; then
			stalled=1
			kill -TERM "$pid" 2>/dev/null || true
			break
		fi
		if [ "$now" -ge "$next_note" ]; then
			tb_msg "  ... $((now - t0))s, running: $(tb_current "$console")"
			next_note=$((now + 60))
		fi
	done
	wait "$pid" || rc=$?
	if [ "$console" != "$log" ]; then
		# The listener ends when Bochs closes the socket.
		sleep 1
		pkill -P "$listener" 2>/dev/null || true
		kill "$listener" 2>/dev/null || true
		wait "$listener" 2>/dev/null || true
		cp "$console" "$log"
	fi
	TB_BOOT_SECS=$(($(date +%s) - t0))
	if [ $stalled = 1 ]; then
		TB_BOOT_STATUS=stalled
	elif [ $rc = 124 ] || [ $rc = 137 ]; then
		TB_BOOT_STATUS=timeout
	elif [ $rc != 0 ] && [ "$TB_MACHINE" != intel ]; then
		TB_BOOT_STATUS=emulator-error
	else
		TB_BOOT_STATUS="done"
	fi
	return 0
}

# tb_current LOG: the program the guest is running, from its markers.
tb_current() {
	local l
	l=$(tr -d '\r' <"$1" | grep -a "^$TB_MARK \(begin\|end\|load\|boot\)" | tail -n 1 || true)
	case $l in
	*" begin "*) set -- $l; echo "$4 on $3" ;;
	"") echo "booting" ;;
	*) echo "between programs" ;;
	esac
}

#
# Results.
#

# tb_parse LOG NONCE STATUS SECS: reads a console log and prints one
# tab-separated record per line:
#   T dev label status test   a TAP result (status ok, fail or skip)
#   P dev label message       a problem, which fails that device's run
#   O dev label line          a line of a program's output (not TAP)
#   D dev label test line     output printed before a failed TAP result
#   E dev label status secs   a program's exit status and run time
# Kernel problems, a missing end marker, a timeout or a stall are charged
# to the device that was running at the time.
tb_parse() {
	tr -d '\r' <"$1" | awk -v M="$TB_MARK" -v nonce="$2" -v status="$3" \
		-v secs="$4" -v bad="$(tb_kernel_bad)" -v limit="$TB_PROG_TIMEOUT" \
		-v idle="$TB_IDLE_TIMEOUT" '
	function rec(kind, d, l, a, b) { printf "%s\t%s\t%s\t%s%s\n", kind, d, l, a, (b == "" ? "" : "\t" b) }
	function problem(d, l, msg) { rec("P", d, l, msg) }
	BEGIN { dev = "boot"; label = "-"; inprog = 0; ended = 0; kbad = 0 }
	index($0, M " ") == 1 {
		n = split($0, w, " ")
		if (w[2] == "begin") {
			dev = w[3]; label = w[4]; inprog = 1
			ntap = 0; nfail = 0; plan = -1; nbuf = 0
		} else if (w[2] == "end" && inprog) {
			inprog = 0
			rc = w[5]
			rec("E", dev, label, rc, w[6])
			why = ""
			if (rc == 124 || rc == 143 || rc == 137)
				why = "killed after " limit "s (status " rc ")"
			else if (rc > 128)
				why = "died of signal " rc - 128
			else if (rc != 0 && nfail == 0)
				why = "exited with status " rc
			if (ntap == 0)
				why = (why == "" ? "exited with status " rc : why) ", printed no TAP result"
			else if (plan >= 0 && ntap < plan)
				why = (why == "" ? "exited with status " rc : why) " after " ntap " of " plan " planned results"
			if (why != "")
				problem(dev, label, why)
			label = "-"
		} else if (w[2] == "load") {
			dev = w[3]; label = "-"
			if (w[4] != 0)
				problem(dev, "-", "insmod of " dev " failed (status " w[4] ")")
		} else if (w[2] == "kmsg") {
			d = w[3]; sub(/:$/, "", d)
			if ($0 ~ bad && !(d in kdone)) {
				kdone[d] = 1
				line = $0; sub("^" M " kmsg [^ ]* ", "", line)
				problem(d, label, "kernel problem: " line)
			}
		} else if (w[2] == "END" && w[3] == nonce) {
			ended = 1
		}
		next
	}
	{
		if ($0 ~ bad && !(dev in kdone)) {
			kdone[dev] = 1
			problem(dev, label, "kernel problem: " $0)
		}
		if (!inprog)
			next
		if (match($0, /^(not )?ok [0-9]+/)) {
			st = ($0 ~ /^not /) ? "fail" : "ok"
			name = substr($0, RLENGTH + 1)
			sub(/^ *(- )?/, "", name)
			if (match(name, / *# *(SKIP|skip)/)) {
				if (st == "ok")
					st = "skip"
				name = substr(name, 1, RSTART - 1)
			} else if (match(name, / *# *(XFAIL|TODO|xfail|todo)/)) {
				name = substr(name, 1, RSTART - 1)
			}
			if (name == "")
				name = "test " ntap + 1
			ntap++
			if (st == "fail") {
				nfail++
				for (i = (nbuf > 8 ? nbuf - 7 : 1); i <= nbuf; i++)
					rec("D", dev, label, name, buf[i])
			}
			rec("T", dev, label, st, name)
			nbuf = 0
		} else if (match($0, /^1\.\.[0-9]+/)) {
			plan = substr($0, 4, RLENGTH - 3) + 0
		} else if ($0 ~ /^Bail out!/) {
			problem(dev, label, $0)
		} else {
			rec("O", dev, label, $0)
			if ($0 !~ /^TAP version/)
				buf[++nbuf] = $0
		}
	}
	END {
		if (ended && status == "done")
			exit
		where = inprog ? " while running " label " on " dev : " after " (dev == "boot" ? "booting" : dev " programs")
		if (status == "timeout")
			msg = "timed out after " secs "s" where
		else if (status == "stalled")
			msg = "guest hung (no console output for " idle "s)" where ", stopped after " secs "s"
		else if (status == "emulator-error")
			msg = "the emulator failed" where " (see the .qemu-stderr file or .bochs directory beside the log)"
		else
			msg = "no end marker: the guest stopped" where " (crash, panic or reboot)"
		problem(dev, label, msg)
	}'
}

# tb_summary PARSED DEV LOG [REF_PARSED REFDEV REFLOG]: prints one line per
# test of DEV with, if given, the reference result beside it, then the
# problems; sets TB_PASSED, TB_FAILED, TB_SKIPPED.  Reference problems are
# printed as information only.  $TB_TAG, if set, starts every test name
# (the vendor: "svm ", "vmx ").
tb_summary() {
	local parsed=$1 dev=$2 log=$3 ref=${4:-/dev/null} refdev=${5:-} reflog=${6:-} counts
	local refcopy=
	counts=$(mktemp)
	# Both runs in one boot: the reference is read from a copy, since awk
	# tells the two inputs apart by their names.
	if [ "$ref" = "$parsed" ]; then
		refcopy=$(mktemp)
		cp "$ref" "$refcopy"
		ref=$refcopy
	fi
	awk -F '\t' -v dev="$dev" -v refdev="$refdev" -v logf="$log" -v reflog="$reflog" -v tag="${TB_TAG:-}" \
		-v counts="$counts" -v reffile="$ref" '
	FILENAME == reffile && $1 == "T" && $2 == refdev { ref[$3 "\t" $5] = ($4 == "fail" ? "not ok" : $4) }
	FILENAME == reffile && $1 == "P" && ($2 == refdev || $2 == "boot") { refp[++nrefp] = ($3 == "-" ? $2 : $3) ": " $4 }
	FILENAME == reffile { next }
	$1 == "D" && $2 == dev { diag[$3 "\t" $4] = diag[$3 "\t" $4] "#        " $5 "\n"; next }
	$1 == "T" && $2 == dev {
		word = ($4 == "fail") ? "not ok" : "ok"
		skip = ($4 == "skip") ? " # SKIP" : ""
		if ($4 == "ok") p++; else if ($4 == "skip") s++; else f++
		r = ""
		if (refdev != "")
			r = "ref " refdev ": " ((($3 "\t" $5) in ref) ? ref[$3 "\t" $5] : "-")
		line = sprintf("%-7s%-66s %s", word, tag $3 ": " $5 skip, r)
		sub(/ +$/, "", line)
		print line
		if ($4 == "fail")
			printf "%s", diag[$3 "\t" $5]
	}
	$1 == "P" && ($2 == dev || $2 == "boot") {
		f++
		printf "%-7s%s\n", "not ok", tag ($3 == "-" ? $2 : $3) ": " $4 " (log: " logf ")"
	}
	END {
		for (i = 1; i <= nrefp; i++)
			printf "# ref %s (information, not counted): %s (log: %s)\n", refdev, refp[i], reflog
		printf "%d %d %d\n", p, f, s > counts
	}' "$ref" "$parsed"
	# shellcheck disable=SC2034 # read by the callers
	read -r TB_PASSED TB_FAILED TB_SKIPPED <"$counts"
	rm -f "$counts" ${refcopy:+"$refcopy"}
}

# tb_problems PARSED DEV: the problems of DEV's run, one a line, except a
# program printing no TAP (for programs that are not tests).
tb_problems() {
	awk -F '\t' -v dev="$2" '$1 == "P" && ($2 == dev || $2 == "boot") &&
		$4 !~ /printed no TAP result$/ { print $3 ": " $4 }' "$1"
}

# tb_status PARSED DEV LABEL: the exit status of one program, or "none".
tb_status() {
	awk -F '\t' -v dev="$2" -v label="$3" 'BEGIN { s = "none" }
	$1 == "E" && $2 == dev && $3 == label { s = $4 } END { print s }' "$1"
}

# tb_output PARSED DEV LABEL: the non-TAP output lines of one program.
tb_output() {
	awk -F '\t' -v dev="$2" -v label="$3" '
	$1 == "O" && $2 == dev && $3 == label { sub(/^[^\t]*\t[^\t]*\t[^\t]*\t/, ""); print }' "$1"
}

# tb_suite DEV NAME HOLD LIMIT PROG...: one boot that loads DEV (vireo,
# kvm_amd, kvm_intel), optionally holds a VM open (HOLD=1), runs each PROG
# against it, unloads DEV and powers off.  DEV may be a comma-separated
# list of such "dev" or "dev:hold" words (vireo,kvm_intel:1): each is
# loaded, tested and unloaded in turn in the same boot.  TB_PROG_ENV
# (words like VIREO_CYCLES=20) goes into every program's environment.
# Files: $TB_OUT/NAME.{init,initrd.gz,log,results}.  Sets TB_LOG and
# TB_RESULTS (tb_parse records) and the TB_BOOT_* variables.
tb_suite() {
	local devs=$1 name=$2 hold=$3 limit=$4 nonce p d dev h files=() run=()
	shift 4
	mkdir -p "$TB_OUT"
	nonce=$(tb_nonce)
	[ -n "${TB_PROG_ENV:-}" ] && run=(env $TB_PROG_ENV)
	for p in "$@"; do
		files+=("$p=/tests/$(basename "$p")")
	done
	{
		tb_init_head
		for d in ${devs//,/ }; do
			dev=${d%%:*}
			h=$hold
			[ "$d" != "$dev" ] && h=${d#*:}
			if [ "$dev" = vireo ]; then
				files+=("${TB_VIREO_KO:-$TB_TOP/vireo.ko}=/vireo.ko")
			fi
			tb_init_load "$dev"
			[ "$h" = 1 ] && tb_init_hold "$dev"
			for p in "$@"; do
				tb_init_run "$dev" "$(basename "$p")" "${run[@]}" "/tests/$(basename "$p")"
			done
			tb_init_unload "$dev"
		done
		tb_init_tail "$nonce"
	} >"$TB_OUT/$name.init"
	tb_initrd "$TB_OUT/$name.initrd.gz" "$TB_OUT/$name.init" "${files[@]}"
	TB_LOG=$TB_OUT/$name.log
	TB_RESULTS=$TB_OUT/$name.results
	tb_boot "$TB_OUT/$name.initrd.gz" "$TB_LOG" "$limit"
	tb_parse "$TB_LOG" "$nonce" "$TB_BOOT_STATUS" "$TB_BOOT_SECS" >"$TB_RESULTS"
}

# tb_limit NPROGS [MAX]: the overall time limit of a boot running NPROGS
# programs: 120 s plus TB_PROG_TIMEOUT each, at most MAX (default
# TB_BOOT_MAX, 900 s), so that make check stays well inside CI's limit.
tb_limit() {
	local t=$((120 + $1 * TB_PROG_TIMEOUT)) max=${2:-${TB_BOOT_MAX:-900}}
	echo $((t < max ? t : max))
}
