#!/bin/sh
# exobpf trace: the opensnoop example on cat and on a target with threads
# and a forked child (every open, its process, thread name, fd or error),
# --format, attaching to a running process and leaving it unharmed, and the
# command's errors.
build=${1:-build}
exo=$build/exobpf
snoop=examples/opensnoop.bpf.o
tmp=$(mktemp -d /dev/shm/exobpf-trace-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export EXOBPF_PIN_DIR="$tmp"
pass=0
fail=0
check() { # name expected actual
	if [ "$2" = "$3" ]; then pass=$((pass + 1)); else
		fail=$((fail + 1))
		printf 'FAIL %s\n  expected: %s\n  actual:   %s\n' "$1" "$2" "$3"
	fi
}

# cat /etc/hostname: its open, with the fd the kernel gave (cat's first free
# fd is 3), and cat's own output passed through
"$exo" trace "$snoop" -- cat /etc/hostname >"$tmp/cat.out" 2>"$tmp/cat.err"
check "cat: exit status" "0" "$?"
check "cat: header" "PID     COMM             FD      ERR     PATH" "$(head -n 1 "$tmp/cat.out")"
check "cat: /etc/hostname opened as fd 3" "cat 3 0 /etc/hostname" \
	"$(awk '$5 == "/etc/hostname" { print $2, $3, $4, $5 }' "$tmp/cat.out")"
check "cat: its output" "$(cat /etc/hostname)" "$(grep -vx '.*/.*' "$tmp/cat.out" | grep -v '^PID' | head -n 1)"
"$exo" trace "$snoop" -- cat /nonexistent/exobpf >"$tmp/miss.out" 2>/dev/null
check "failed open: the command's status" "1" "$?"
check "failed open: fd -1, ENOENT" "cat -1 2 /nonexistent/exobpf" \
	"$(awk '$5 == "/nonexistent/exobpf" { print $2, $3, $4, $5 }' "$tmp/miss.out")"

# threads and a fork: each opens DIR/exists and DIR/missing-WHO
mkdir "$tmp/d" && : >"$tmp/d/exists"
"$exo" trace "$snoop" -- "$build/trace/opens" "$tmp/d" >"$tmp/opens.out" 2>"$tmp/opens.err"
check "opens: exit status" "0" "$?"
pids=$(grep -E '^[0-9]+ [0-9]+$' "$tmp/opens.out")
main=${pids% *}
child=${pids#* }
check "opens: every open of DIR, in order" \
	"$main opens-main 0 exists
$main opens-main 2 missing-main
$main opens-t1 0 exists
$main opens-t1 2 missing-opens-t1
$main opens-t2 0 exists
$main opens-t2 2 missing-opens-t2
$child opens-child 0 exists
$child opens-child 2 missing-child" \
	"$(awk -v d="$tmp/d/" 'index($5, d) == 1 { sub(d, "", $5); print $1, $2, $4, $5 }' "$tmp/opens.out")"
check "opens: fds of the successful opens" "3 3 3 3" \
	"$(awk -v d="$tmp/d/exists" '$5 == d { printf "%s%s", s, $3; s = " " }' "$tmp/opens.out")"
check "opens: missing files get fd -1" "-1 -1 -1 -1" \
	"$(awk -v d="$tmp/d/missing" 'index($5, d) == 1 { printf "%s%s", s, $3; s = " " }' "$tmp/opens.out")"

# --format with {field} placeholders
"$exo" trace "$snoop" --format '{comm}:{fd}:{path}\n' -- cat /etc/hostname >"$tmp/fmt.out" 2>&1
check "--format" "cat:3:/etc/hostname" "$(grep ':/etc/hostname$' "$tmp/fmt.out")"
"$exo" trace "$snoop" --program trace_enter_openat --program trace_exit_openat -- cat /etc/hostname \
	>"$tmp/sel.out" 2>&1
check "--program selects" "1" "$(grep -c ' /etc/hostname$' "$tmp/sel.out")"

# --pid: attach to a running shell loop, see the opens of the cat it starts
# (a fork after attaching), detach on SIGINT, and the loop goes on
mkfifo "$tmp/go"
sh -c 'read x <"$1"; i=0; while [ ! -e "$2" ]; do cat /etc/hostname >/dev/null; i=$((i+1)); done; echo "$i" >"$3"' \
	sh "$tmp/go" "$tmp/stop" "$tmp/loop.done" &
target=$!
"$exo" trace "$snoop" --pid "$target" >"$tmp/pid.out" 2>"$tmp/pid.err" &
tracer=$!
echo go >"$tmp/go"
n=0
while [ "$n" -lt 3000 ] && ! grep -q ' /etc/hostname$' "$tmp/pid.out" 2>/dev/null; do
	n=$((n + 1))
	sleep 0.01
done
kill -INT "$tracer"
wait "$tracer"
check "--pid: detached cleanly on SIGINT" "0" "$?"
check "--pid: saw the loop's cat open /etc/hostname" "cat 3 0" \
	"$(awk '$5 == "/etc/hostname" { print $2, $3, $4; exit }' "$tmp/pid.out")"
check "--pid: the target still runs" "yes" "$(kill -0 "$target" 2>/dev/null && echo yes)"
touch "$tmp/stop"
wait "$target"
check "--pid: the target ends normally" "0:yes" "$?:$([ -s "$tmp/loop.done" ] && echo yes)"

# uprobes on a PIE executable and its library: the breakpoint path, then the
# fast path (stubs inside the process; a sanitized build's preload library
# needs the sanitizer runtimes first)
up=$build/progs/trace_uprobe.bpf.o
"$exo" trace "$up" -- "$build/trace/uprobe_target" >"$tmp/up.out" 2>"$tmp/up.err"
check "uprobe (breakpoint): status" "0" "$?"
check "uprobe (breakpoint): lib_mix's arguments as an event" "1 2 3 4 5 6 same" \
	"$(awk 'NR == 2 { print $3, $4, $5, $6, $7, $8, ($1 == $2 ? "same" : "other") }' "$tmp/up.out")"
if ldd "$build/libexobpf-uprobe.so" | grep -q libasan; then
	export EXOBPF_UPROBE_PRELOAD="$(cc -print-file-name=libasan.so) $(cc -print-file-name=libubsan.so) $build/libexobpf-uprobe.so"
fi
fast="--fast --program mix_entry --program mix_exit --program mul_entry --program mul_exit"
ASAN_OPTIONS=detect_leaks=0 "$exo" trace "$up" $fast -- "$build/trace/uprobe_target" >"$tmp/fast.out" 2>"$tmp/fast.err"
check "uprobe (fast): status" "0" "$?"
check "uprobe (fast): nothing refused" "" "$(cat "$tmp/fast.err")"
check "uprobe (fast): lib_mix's arguments as an event" "1 2 3 4 5 6 same" \
	"$(awk 'NR == 2 { print $3, $4, $5, $6, $7, $8, ($1 == $2 ? "same" : "other") }' "$tmp/fast.out")"
check "uprobe (fast): maps unpinned after" "" "$(ls "$tmp" | grep '^trace-')"
ASAN_OPTIONS=detect_leaks=0 "$exo" trace "$up" --fast -- "$build/trace/uprobe_target" >/dev/null 2>"$tmp/fast.err"
check "uprobe (fast): a 4-byte function is refused, by name" "yes" \
	"$(grep -q 'libexotarget.so:lib_add: 4 bytes, shorter than the 5-byte jump' "$tmp/fast.err" && echo yes)"

# the other examples: execsnoop (the exit of a successful execve comes after
# the exec event), funclatency (uprobe + uretprobe in libc, both paths)
"$exo" trace examples/execsnoop.bpf.o -- sh -c '/bin/true; /nonexistent/x; exit 0' >"$tmp/exec.out" 2>/dev/null
check "execsnoop: status" "0" "$?"
check "execsnoop: /bin/true ran" "true 0" "$(awk '$4 == "/bin/true" { print $2, $3 }' "$tmp/exec.out")"
check "execsnoop: /nonexistent/x failed with ENOENT" "sh -2" \
	"$(awk '$4 == "/nonexistent/x" { print $2, $3 }' "$tmp/exec.out")"
"$exo" trace examples/funclatency.bpf.o -- sleep 0.2 >"$tmp/lat.out" 2>&1
check "funclatency: one nanosleep of at least 0.2 s" "sleep yes" \
	"$(awk 'NR > 1 { print $2, ($3 >= 200000000 ? "yes" : "no") }' "$tmp/lat.out")"

# errors: usage, bad input, nothing to trace
"$exo" trace "$snoop" >/dev/null 2>&1
check "no command: usage" "2" "$?"
"$exo" trace "$snoop" --pid 1 -- true >/dev/null 2>&1
check "--pid and a command: usage" "2" "$?"
"$exo" trace /nonexistent.o -- true >/dev/null 2>&1
check "missing object: bad input" "3" "$?"
"$exo" trace "$build/progs/arith.bpf.o" -- true 2>"$tmp/err"
check "object without tracing programs" "3:yes" \
	"$?:$(grep -q 'no syscall tracepoint or uprobe program to attach' "$tmp/err" && echo yes)"
"$exo" trace "$snoop" --program nope -- true 2>"$tmp/err"
check "unknown --program" "3:yes" "$?:$(grep -q "no program named 'nope'" "$tmp/err" && echo yes)"
"$exo" trace "$snoop" -- /nonexistent/cmd 2>"$tmp/err"
check "command not found" "1:yes" "$?:$(grep -q 'command not found' "$tmp/err" && echo yes)"
"$exo" trace "$snoop" --pid 999999999 2>"$tmp/err"
check "--pid of no process" "1:yes" "$?:$(grep -q 'no such process' "$tmp/err" && echo yes)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
