#!/bin/sh
# bench/extract.sh OBJ OUT_BASE: each program section of a BPF object as raw
# bytecode (OUT_BASE.bin for xdp, OUT_BASE.raw.bin for raw) and the index of
# every lddw relocated against a map (.relocs beside each), until exobpf has
# an ELF loader. Fails on any other relocation, which raw bytecode could not
# honour.
set -e
obj=$1
out=$2
for sec in xdp raw; do
	base=$out
	[ "$sec" = raw ] && base=$out.raw
	llvm-objcopy -O binary --only-section=$sec "$obj" "$base.bin"
	: >"$base.relocs"
	cur=
	llvm-readelf -r "$obj" | while read -r off info type rest; do
		case "$off" in
		Relocation) cur=$(echo "$type" | tr -d "'") ;; # Relocation section 'NAME' at ...
		[0-9a-f]*[0-9a-f])
			[ "$cur" = ".rel$sec" ] || continue
			if [ "$type" != R_BPF_64_64 ]; then
				echo "$obj: unsupported relocation $type in $sec" >&2
				exit 1
			fi
			echo $((0x$off / 8)) >>"$base.relocs" ;;
		esac
	done
done
