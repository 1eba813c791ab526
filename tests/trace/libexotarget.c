/* The shared library of the uprobe tests. */
__attribute__((noinline)) int lib_add(int a, int b)
{
	__asm__ volatile("" ::: "memory");
	return a + b;
}
