# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# virtio-lib.sh: what virtio.sh (make check), demo.sh and bench-virtio.sh
# build on the host for the monitor's virtio devices: the nested guest's
# initramfs (busybox, Debian's virtio, ext4 and virtio_net modules, and
# selftests/virtio/guest_init.sh as /init), disk images made with
# mke2fs -d, and the file lists that pack a dynamically linked Debian
# program with its libraries into an initramfs.  Sourced after
# testbed-lib.sh.

VT_SRC=$TB_TOP/selftests/virtio

# The guest's modules in load order, with their dependencies first (from
# modinfo -F depends on Debian 12's 6.1 kernel; rng-core is built in).
# ext4 finds crc32c through the crypto API, so crc32c_generic comes first.
VT_GUEST_MODULES="drivers/virtio/virtio_ring drivers/virtio/virtio
	drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci_legacy_dev
	drivers/virtio/virtio_pci drivers/block/virtio_blk drivers/char/virtio_console
	drivers/char/hw_random/virtio-rng lib/crc16 fs/mbcache fs/jbd2/jbd2
	crypto/crc32c_generic fs/ext4/ext4 net/core/failover
	drivers/net/net_failover drivers/net/virtio_net"

# vt_require_tools: dies with one line naming the packages the virtio
# cases need on the host.
vt_require_tools() {
	local missing=()
	command -v mke2fs >/dev/null 2>&1 || missing+=(e2fsprogs)
	command -v debugfs >/dev/null 2>&1 || missing+=(e2fsprogs)
	if [ ${#missing[@]} -gt 0 ]; then
		tb_die "missing tools: install ${missing[*]} (apt-get install ${missing[*]}, or make deps)"
	fi
	return 0
}

# vt_stage_busybox DIR: busybox-static and its applet links in DIR.
vt_stage_busybox() {
	local p
	mkdir -p "$1"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,mnt,root,etc}
	cp /bin/busybox "$1/bin/busybox"
	/bin/busybox --list-full | while read -r p; do
		[ -e "$1/$p" ] || [ -L "$1/$p" ] || ln -s /bin/busybox "$1/$p"
	done
}

# vt_guest_initrd KVER OUT: the nested guest's initramfs, cached by its
# inputs.  Prints OUT.
vt_guest_initrd() {
	local kver=$1 out=$2 key stage rel f
	key=$({
		echo "vt-guest-v1 $kver $VT_GUEST_MODULES"
		stat -c '%n %s %Y' /bin/busybox "$VT_SRC/guest_init.sh"
	} | md5sum | cut -c1-12)
	if [ -s "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
		echo "$out"
		return 0
	fi
	mkdir -p "$(dirname "$out")"
	stage=$(mktemp -d "${TMPDIR:-/tmp}/vt-guest.XXXXXX")
	chmod 755 "$stage"
	vt_stage_busybox "$stage"
	mkdir -p "$stage/modules"
	for rel in $VT_GUEST_MODULES; do
		f=$(tb_module_file "$kver" "$rel") ||
			tb_die "no module $rel in /lib/modules/$kver; reinstall linux-image-$kver"
		cp "$f" "$stage/modules/$(basename "$rel").ko"
		basename "$rel" >>"$stage/modules/order"
	done
	install -m 755 "$VT_SRC/guest_init.sh" "$stage/init"
	tb_cpio "$stage" "$out"
	rm -rf "$stage"
	echo "$key" >"$out.key"
	echo "$out"
}

# vt_test_images DIR: DIR/ext4.img (16 MiB, /from-host.txt) and
# DIR/pattern.img (4 MiB of random bytes), fresh each time.
vt_test_images() {
	local dir=$1 src
	mkdir -p "$dir"
	src=$(mktemp -d "${TMPDIR:-/tmp}/vt-ext4.XXXXXX")
	echo "written by the host" >"$src/from-host.txt"
	rm -f "$dir/ext4.img"
	mke2fs -q -F -t ext4 -L vireo-test -d "$src" "$dir/ext4.img" 16M >/dev/null ||
		tb_die "mke2fs -d failed for $dir/ext4.img"
	rm -rf "$src"
	head -c 4M /dev/urandom >"$dir/pattern.img"
}

# vt_prog_files PROG...: "SRC=DEST" words (for tb_initrd) for each
# program and every library ldd names, at the same paths.
vt_prog_files() {
	local p lib
	for p in "$@"; do
		p=$(command -v "$p") || tb_die "no $1 on this machine (make deps)"
		echo "$p=$p"
		for lib in $(ldd "$p" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'); do
			echo "$(readlink -f "$lib")=$lib"
		done
	done | sort -u
}

# vt_root_image DIR OUT SIZE [PROG...]: an ext4 image of SIZE made from
# DIR (busybox and its applets added), each PROG with its libraries at
# their own paths.  For the demo's and the benchmark's root on /dev/vda.
vt_root_image() {
	local dir=$1 out=$2 size=$3 pair src dest
	shift 3
	vt_stage_busybox "$dir"
	for pair in $(vt_prog_files "$@"); do
		src=${pair%%=*}
		dest=${pair#*=}
		mkdir -p "$dir$(dirname "$dest")"
		cp "$src" "$dir$dest"
	done
	rm -f "$out"
	mke2fs -q -F -t ext4 -L vireo-root -d "$dir" "$out" "$size" >/dev/null ||
		tb_die "mke2fs -d failed for $out"
}
