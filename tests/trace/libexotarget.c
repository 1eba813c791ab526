/* The shared library of the uprobe tests. */
__attribute__((noinline)) int lib_add(int a, int b)
{
	__asm__ volatile("" ::: "memory");
	return a + b;
}

/* Long enough for the fast path's 5-byte jump, without rip-relative code. */
__attribute__((noinline)) long lib_mix(long a, long b, long c, long d, long e, long f)
{
	return a * b + c * d + e * f;
}
