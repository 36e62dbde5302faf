#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# virtio_test.sh: the monitor's virtio devices with Debian's stock kernel
# as the guest, whose own virtio modules its initramfs loads
# (guest_init.sh).  Four guest runs: three disks (an ext4 image, a
# random pattern, the pattern again read-only) and the entropy source;
# the console on hvc0; a network card on a TAP device; the same card
# with packed rings offered.  Prints TAP 13 with the same 17 names on
# every device (details on "#" lines); a case whose monitor option does
# not exist yet (vireo run --help) is skipped.
# POSIX sh: it runs under busybox inside the testbed.
#
#   virtio_test.sh VIREO KERNEL DEVICE [WORKDIR]
#
# VIREO is the monitor, KERNEL a bzImage, DEVICE /dev/vireo or /dev/kvm.
# Environment:
#   VT_INITRD   the guest's initramfs (selftests/testbed/virtio.sh builds it)
#   VT_IMAGES   a directory with ext4.img (holding /from-host.txt) and
#               pattern.img (random bytes); copied to WORKDIR per run
#   VT_TIMEOUT  seconds each guest run may take (default 180)
#   VT_ONLY     run only these guest runs (out of "disk console net packed",
#               separated by spaces; default all); the plan then comes last
#   VT_QEMU     a QEMU command ("qemu-system-x86_64 -accel tcg -cpu max")
#               to run the same guests with QEMU's virtio devices instead
#               of VIREO: checks the guest side alone
# debugfs and e2fsck must be in PATH (the testbed packs them); the net
# case needs busybox's tunctl, ip and nc and a tun driver; run it in a
# network namespace of its own (unshare -n).

set -u
trap '' PIPE

MARK="VIREO-VIRTIO"
VIREO=${1:?usage: virtio_test.sh VIREO KERNEL DEVICE [WORKDIR]}
KERNEL=${2:?usage: virtio_test.sh VIREO KERNEL DEVICE [WORKDIR]}
DEVICE=${3:?usage: virtio_test.sh VIREO KERNEL DEVICE [WORKDIR]}
WORK=${4:-$(mktemp -d /tmp/vireo-virtio.XXXXXX)}
INITRD=${VT_INITRD:?VT_INITRD: the guest initramfs}
IMAGES=${VT_IMAGES:?VT_IMAGES: the directory of the disk images}
TIMEOUT=${VT_TIMEOUT:-180}
HOST_TEXT="written by the host"
TAP=vt0
MAC=52:54:00:12:34:56
GUEST_IP=10.0.2.15
PEER_IP=10.0.2.1
NET_SIZE=524288

n=0
failed=0

# tap OK|FAIL|SKIP DESCRIPTION [REASON]
tap() {
	n=$((n + 1))
	case $1 in
	OK) echo "ok $n - $2" ;;
	SKIP) echo "ok $n - $2 # SKIP ${3:-}" ;;
	*) echo "not ok $n - $2"; failed=$((failed + 1)) ;;
	esac
}

# check COND DESCRIPTION WHY: a result from a shell condition (a string
# to eval); WHY goes on a "#" line when it fails.
check() {
	if eval "$1"; then
		tap OK "$2"
	else
		echo "# $DEVICE: $3"
		tap FAIL "$2"
	fi
}

diag_tail() {	# the end of a log as TAP diagnostics
	tail -n "${2:-6}" "$1" 2>/dev/null | tr -d '\r' | sed 's/^/# /'
}

# supports OPTION: whether the monitor knows OPTION (always with QEMU).
supports() {
	[ -n "${VT_QEMU:-}" ] && return 0
	"$VIREO" run --help 2>&1 | grep -q -e "$1"
}

# qemu_args OPTION...: the QEMU options for the monitor's device options
# (no value holds a space).
qemu_args() {
	d=0 serial="-serial stdio" packed=
	while [ $# -gt 0 ]; do
		case $1 in
		--virtio-ring)	# before the device options
			[ "$2" = packed ] && packed=,packed=on
			shift ;;
		--disk)
			ro=
			case $2 in *,ro) ro=,readonly=on ;; esac
			echo "-drive file=${2%,ro},if=none,id=d$d,format=raw$ro -device virtio-blk-pci,drive=d$d$packed"
			d=$((d + 1)); shift ;;
		--rng) echo "-device virtio-rng-pci" ;;
		--console)
			serial=
			echo "-device virtio-serial-pci -chardev stdio,id=con -device virtconsole,chardev=con" ;;
		--net)
			tapname=${2#tap=}; tapname=${tapname%%,*} mac=
			case $2 in *,mac=*) mac=,mac=${2##*,mac=} ;; esac
			echo "-netdev tap,id=n0,ifname=$tapname,script=no,downscript=no -device virtio-net-pci,netdev=n0$mac$packed"
			shift ;;
		esac
		shift
	done
	echo "$serial"
}

# start_guest NAME CMDLINE OPTION...: starts the monitor (or QEMU) in
# the background: stdin from the FIFO $WORK/NAME.in (held open on fd 3),
# stdout in NAME.out, stderr in NAME.err; $pid, $start.
start_guest() {
	name=$1 cmdline=$2
	shift 2
	# VT_VERBOSE=1: the kernel's messages too (shown by finish_guest).
	[ "${VT_VERBOSE:-0}" = 0 ] || cmdline="$cmdline loglevel=7"
	rm -f "$WORK/$name.in"
	mkfifo "$WORK/$name.in" || return 1
	echo "# $DEVICE $name: starting"
	start=$(date +%s)
	if [ -n "${VT_QEMU:-}" ]; then
		# shellcheck disable=SC2046 # the words are options
		timeout "$TIMEOUT" $VT_QEMU -M q35 -m 256 -nodefaults -no-user-config \
			-display none -monitor none -no-reboot -kernel "$KERNEL" \
			-initrd "$INITRD" -append "$cmdline" $(qemu_args "$@") \
			< "$WORK/$name.in" > "$WORK/$name.out" 2> "$WORK/$name.err" &
	else
		timeout "$TIMEOUT" "$VIREO" run --kernel "$KERNEL" --initrd "$INITRD" \
			--mem 256M --device "$DEVICE" --cmdline "$cmdline" "$@" \
			< "$WORK/$name.in" > "$WORK/$name.out" 2> "$WORK/$name.err" &
	fi
	pid=$!
	exec 3> "$WORK/$name.in"
}

# finish_guest NAME: waits for the guest; $rc, $secs, and one "#" line
# with the time and the monitor's last words.
finish_guest() {
	wait "$pid"
	rc=$?
	exec 3>&-
	secs=$(($(date +%s) - start))
	echo "# $DEVICE $1: status $rc, ${secs}s, $(tail -n 1 "$WORK/$1.err" | tr -d '\r')"
	[ "${VT_VERBOSE:-0}" = 0 ] || tr -d '\r' < "$WORK/$1.out" | sed 's/^/#   | /'
	echo "# $DEVICE $1: guest clocksource $(line "$1" clocksource), uptime at power-off $(line "$1" 'powering off uptime')"
}

# type_after NAME PATTERN TEXT: once PATTERN is in the guest's output,
# types TEXT and a newline into its console.
type_after() {
	w=0
	while ! grep -q "$2" "$WORK/$1.out" 2>/dev/null && kill -0 "$pid" 2>/dev/null &&
	      [ "$w" -lt "$TIMEOUT" ]; do
		sleep 1
		w=$((w + 1))
	done
	sleep 1
	printf '%s\n' "$3" >&3 2>/dev/null
}

# line NAME KEY: the rest of the guest's first output line "MARK KEY ...".
line() {
	tr -d '\r' < "$WORK/$1.out" | sed -n "s/^$MARK $2 //p" | head -n 1
}

# ran_ok NAME: the guest powered off cleanly after its checks.
ran_ok() {
	[ "$rc" = 0 ] && grep -q "^$MARK powering off" "$WORK/$1.out" &&
		grep -q "^$MARK modules loaded, failed: none" "$WORK/$1.out"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# disk_cases: one guest with vda (ext4), vdb (pattern), vdc (pattern, ro)
# and, when there is one, the entropy source.
disk_cases() {
	if ! supports --disk; then
		for c in "boot with three disks, the modules load, power-off" \
			"three disks of the images' sizes, only vdc read-only" \
			"ext4 on vda: the guest reads the host's file" \
			"ext4 on vda: debugfs on the host reads the guest's file" \
			"ext4 on vda: e2fsck -fn finds it clean afterwards" \
			"vdb: the guest's sha256 of the whole disk is the host's" \
			"vdc ,ro: read-only in the guest, a write fails" \
			"vdc ,ro: the image is unchanged"; do
			tap SKIP "virtio-blk: $c" "the monitor has no --disk yet"
		done
		tap SKIP "virtio-rng: rng_current is virtio, two 64-byte reads of /dev/hwrng differ" "the monitor has no --disk yet"
		return 0
	fi
	cp "$IMAGES/ext4.img" "$WORK/ext4.img"
	cp "$IMAGES/pattern.img" "$WORK/pattern.img"
	cp "$IMAGES/pattern.img" "$WORK/ro.img"
	want=$(sha "$IMAGES/pattern.img")
	nonce="vt-$$-$(date +%s)"
	rng=
	supports --rng && rng=--rng
	start_guest disk "console=ttyS0 quiet panic=-1 virtio_test=disk virtio_nonce=$nonce" \
		--disk "$WORK/ext4.img" --disk "$WORK/pattern.img" --disk "$WORK/ro.img,ro" $rng
	finish_guest disk
	o=disk

	if ran_ok $o; then
		tap OK "virtio-blk: boot with three disks, the modules load, power-off"
	else
		echo "# $DEVICE: status $rc (124: timed out); $(line $o modules)"
		diag_tail "$WORK/$o.out" 5
		diag_tail "$WORK/$o.err" 2
		tap FAIL "virtio-blk: boot with three disks, the modules load, power-off"
	fi
	s1=$(($(stat -c %s "$WORK/ext4.img") / 512))
	s2=$(($(stat -c %s "$WORK/pattern.img") / 512))
	got="$(line $o 'blk vda') / $(line $o 'blk vdb') / $(line $o 'blk vdc')"
	check "[ \"\$got\" = 'size $s1 ro 0 / size $s2 ro 0 / size $s2 ro 1' ]" \
		"virtio-blk: three disks of the images' sizes, only vdc read-only" \
		"vda/vdb/vdc: $got; expected sizes $s1, $s2, $s2 sectors, vdc ro"
	got=$(line $o 'ext4 read')
	check "[ \"\$got\" = \"\$HOST_TEXT\" ]" \
		"virtio-blk: ext4 on vda: the guest reads the host's file" \
		"the guest read '$got' ($(line $o ext4)), expected '$HOST_TEXT'"
	got=$(debugfs -R 'cat /from-guest.txt' "$WORK/ext4.img" 2>/dev/null)
	check "[ \"\$got\" = \"\$nonce written by the guest\" ]" \
		"virtio-blk: ext4 on vda: debugfs on the host reads the guest's file" \
		"debugfs read '$got', expected '$nonce written by the guest'"
	e2fsck -fn "$WORK/ext4.img" > "$WORK/e2fsck.out" 2>&1
	e=$?
	check "[ $e = 0 ]" "virtio-blk: ext4 on vda: e2fsck -fn finds it clean afterwards" \
		"e2fsck -fn exited with $e: $(tail -n 3 "$WORK/e2fsck.out" | tr '\n' ' ')"
	got=$(line $o 'vdb sha256')
	check "[ \"\$got\" = \"\$want\" ]" \
		"virtio-blk: vdb: the guest's sha256 of the whole disk is the host's" \
		"the guest's sha256 '$got', the host's '$want'"
	got=$(line $o 'vdc write status')
	check "[ -n \"\$got\" ] && [ \"\$got\" != 0 ] && [ \"\$(line $o 'blk vdc')\" = 'size $s2 ro 1' ]" \
		"virtio-blk: vdc ,ro: read-only in the guest, a write fails" \
		"dd to /dev/vdc exited with '$got' (expected non-zero); vdc: $(line $o 'blk vdc')"
	got="$(sha "$WORK/ro.img") $(line $o 'vdc sha256')"
	check "[ \"\$got\" = \"\$want \$want\" ]" \
		"virtio-blk: vdc ,ro: the image is unchanged" \
		"the image's and the guest's sha256: $got; expected $want"
	if [ -z "$rng" ]; then
		tap SKIP "virtio-rng: rng_current is virtio, two 64-byte reads of /dev/hwrng differ" "the monitor has no --rng yet"
	else
		r1=$(line $o 'rng read 1') r2=$(line $o 'rng read 2') cur=$(line $o 'rng current')
		check "echo \"\$cur\" | grep -q '^virtio' && [ \${#r1} = 128 ] && [ \${#r2} = 128 ] && [ \"\$r1\" != \"\$r2\" ]" \
			"virtio-rng: rng_current is virtio, two 64-byte reads of /dev/hwrng differ" \
			"rng_current '$cur'; reads '$r1' and '$r2'"
	fi
}

# console_cases: the guest's console on hvc0 only.
console_cases() {
	c1="virtio console: with console=hvc0 the guest's output is on the monitor's stdout"
	c2="virtio console: a line typed on the monitor's stdin reaches the guest"
	if ! supports '--console'; then
		tap SKIP "$c1" "the monitor has no --console virtio yet"
		tap SKIP "$c2" "the monitor has no --console virtio yet"
		return 0
	fi
	typed="typed-$$-$(date +%s)"
	start_guest console "console=hvc0 quiet panic=-1 virtio_test=console" --console virtio
	type_after console "^$MARK console ready" "$typed"
	finish_guest console
	check "ran_ok console && [ \"\$(line console 'console active')\" = hvc0 ] && grep -q '^$MARK direct to hvc0' '$WORK/console.out'" \
		"$c1" "status $rc; console active: '$(line console 'console active')'; last lines: $(tail -n 3 "$WORK/console.out" | tr -d '\r' | tr '\n' '|')"
	got=$(line console 'console got')
	check "[ \"\$got\" = \"\$typed\" ]" "$c2" "the guest read '$got', expected '$typed'"
}

# net_host_side: the TAP device with PEER_IP, a listener on 5001 that
# keeps what the guest sends, one on 5002 that sends a random blob.
net_host_side() {
	recv_pid='' send_pid=''
	tunctl -t "$TAP" > /dev/null || return 1
	ip link set "$TAP" up && ip addr add "$PEER_IP/24" dev "$TAP" || return 1
	head -c "$NET_SIZE" /dev/urandom > "$WORK/net-blob"
	rm -f "$WORK/net-hold"
	mkfifo "$WORK/net-hold"
	timeout "$TIMEOUT" nc -l -p 5001 < "$WORK/net-hold" > "$WORK/net-got" &
	recv_pid=$!
	exec 4> "$WORK/net-hold"
	timeout "$TIMEOUT" nc -l -p 5002 < "$WORK/net-blob" > /dev/null &
	send_pid=$!
}

net_cleanup() {
	exec 4>&-
	if [ -n "$recv_pid$send_pid" ]; then
		kill $recv_pid $send_pid 2>/dev/null
		wait $recv_pid $send_pid 2>/dev/null
	fi
	tunctl -d "$TAP" > /dev/null 2>&1
}

# net_run NAME OPTION...: one guest run NAME of the net test (ping, then
# NET_SIZE bytes each way) with the TAP side around it; false when the
# TAP side could not be set up.
net_run() {
	nr=$1
	shift
	if ! net_host_side; then
		echo "# cannot set up the TAP device $TAP (tun driver, busybox tunctl and ip)"
		net_cleanup
		return 1
	fi
	start_guest "$nr" "console=ttyS0 quiet panic=-1 virtio_test=net virtio_ip=$GUEST_IP virtio_peer=$PEER_IP virtio_size=$NET_SIZE" \
		"$@" --net "tap=$TAP,mac=$MAC"
	finish_guest "$nr"
	net_cleanup
	net_features "$nr"
}

# net_cases: eth0 on a TAP device of this machine.
net_cases() {
	c1="virtio-net: eth0 has the MAC given and pings the TAP side"
	c2="virtio-net: TCP from the guest: the host receives the same bytes"
	c3="virtio-net: TCP to the guest: the guest receives the same bytes"
	c4="virtio-net: the guest's clock did not run ahead of the host's during the transfers"
	c5="virtio-net: the driver negotiated merged receive buffers (MRG_RXBUF, bit 15) for the transfers"
	if ! supports '--net'; then
		for c in "$c1" "$c2" "$c3" "$c4" "$c5"; do tap SKIP "$c" "the monitor has no --net yet"; done
		return 0
	fi
	if ! net_run net; then
		for c in "$c1" "$c2" "$c3" "$c4" "$c5"; do tap FAIL "$c"; done
		return 0
	fi
	check "[ \"\$(line net 'net mac')\" = $MAC ] && line net 'net ping status' | grep -q '^0 '" \
		"$c1" "mac '$(line net 'net mac')'; ping: $(line net 'net ping status')"
	f=$(line net 'net features')
	check "[ \"\$(printf '%s' \"\$f\" | cut -c 16)\" = 1 ]" "$c5" \
		"features $f (bit 15 is MRG_RXBUF)"
	got=$(sha "$WORK/net-got")
	check "[ \"\$got\" = \"\$(line net 'net sent sha256')\" ]" "$c2" \
		"the host got $(stat -c %s "$WORK/net-got") bytes, sha256 $got; the guest sent $(line net 'net sent sha256'), status $(line net 'net send status')"
	want=$(sha "$WORK/net-blob")
	check "[ \"\$(line net 'net received sha256')\" = \"\$want bytes $NET_SIZE\" ]" \
		"$c3" "the guest got '$(line net 'net received sha256')', expected $want, $NET_SIZE bytes"
	# The guest waits for the data by its own clock (60 s): a clock that
	# runs fast ends the wait early.  Its uptime cannot be more than the
	# host's time for the run (whole seconds, hence the 2 s).
	up=$(line net 'powering off uptime')
	check "[ -n \"\$up\" ] && awk -v u=\"\$up\" -v s=$secs 'BEGIN { exit !(u <= s + 2) }'" \
		"$c4" "the guest's uptime at power-off was '$up' s, the run took $secs s"
}

# net_features NAME: the offloads the guest's driver accepted, as a
# diagnostic (from the feature bits it printed, bit 0 first).
net_features() {
	f=$(line "$1" 'net features')
	on=""
	for b in 0:CSUM 1:GUEST_CSUM 7:GUEST_TSO4 8:GUEST_TSO6 11:HOST_TSO4 \
		 12:HOST_TSO6 15:MRG_RXBUF; do
		[ "$(printf '%s' "$f" | cut -c $((${b%%:*} + 1)))" = 1 ] &&
			on="$on ${b#*:}"
	done
	echo "# $DEVICE $1: the driver accepted${on:- no offloads} (features $f)"
}

# packed_cases: the net test again with packed rings offered
# (--virtio-ring packed), which Linux's driver takes: feature bit 34.
packed_cases() {
	c1="packed rings: boot and power-off, the net driver took VIRTIO_F_RING_PACKED, eth0 pings the TAP side"
	c2="packed rings: TCP both ways, each side receives the same bytes"
	if ! supports '--virtio-ring'; then
		for c in "$c1" "$c2"; do tap SKIP "$c" "the monitor has no --virtio-ring yet"; done
		return 0
	fi
	if ! net_run packed --virtio-ring packed; then
		for c in "$c1" "$c2"; do tap FAIL "$c"; done
		return 0
	fi
	f=$(line packed 'net features')
	check "ran_ok packed && [ \"\$(printf '%s' \"\$f\" | cut -c 35)\" = 1 ] && line packed 'net ping status' | grep -q '^0 '" \
		"$c1" "status $rc; features $f (bit 34 is RING_PACKED); ping: $(line packed 'net ping status')"
	got=$(sha "$WORK/net-got")
	want=$(sha "$WORK/net-blob")
	check "[ \"\$got\" = \"\$(line packed 'net sent sha256')\" ] && [ \"\$(line packed 'net received sha256')\" = \"\$want bytes $NET_SIZE\" ]" \
		"$c2" "the host got sha256 $got, the guest sent $(line packed 'net sent sha256'); the guest got '$(line packed 'net received sha256')', expected $want"
}

# want RUN: whether VT_ONLY lets the guest run RUN happen.
want() {
	[ -z "${VT_ONLY:-}" ] && return 0
	case " $VT_ONLY " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

echo "TAP version 13"
# A misspelt run name would otherwise run nothing and pass.
for r in ${VT_ONLY:-}; do
	case " disk console net packed " in
	*" $r "*) ;;
	*) echo "Bail out! VT_ONLY: no run '$r' (disk console net packed)"; exit 1 ;;
	esac
done
[ -n "${VT_ONLY:-}" ] || echo "1..18"
mkdir -p "$WORK"
! want disk || disk_cases
! want console || console_cases
! want net || net_cases
! want packed || packed_cases
[ -z "${VT_ONLY:-}" ] || echo "1..$n"
echo "# $failed of $n failed; logs in $WORK"
[ "$failed" = 0 ]
